// Whether personal data may be written about a patron (writes.h).
#include "patrons/writes.h"

namespace dangan::patrons {

namespace {

// The patron's status and merge target, held for the rest of the transaction.
Result<std::optional<store::Row>> status_of(store::Tx& tx, std::int64_t patron_id) {
  std::string sql = "SELECT status, merged_into FROM patrons WHERE id = ?";
  // A read transaction on PostgreSQL is READ ONLY (and a snapshot: nothing to hold).
  if (tx.backend() == store::Backend::postgres && tx.mode() == store::TxMode::write)
    sql += " FOR SHARE";
  return tx.maybe_one(sql, {patron_id});
}

}  // namespace

std::unexpected<Error> erased_conflict(std::int64_t patron_id) {
  return conflict("patron " + std::to_string(patron_id) +
                      " has been erased: nothing new may be recorded about them",
                  "patron_id");
}

Status may_write_about(store::Tx& tx, std::int64_t patron_id, IfMissing missing,
                       const std::string& field) {
  auto p = TRY(status_of(tx, patron_id));
  if (!p) {
    if (missing == IfMissing::invalid) return invalid(field, "no such patron");
    return fail(ErrorCode::not_found, "no patron with id " + std::to_string(patron_id), field);
  }
  const std::string status = p->str(0);
  if (status == "active") return {};
  if (status == "erased") {
    auto e = erased_conflict(patron_id);
    e.error().field = field;
    return e;
  }
  if (status == "merged")
    return conflict("patron " + std::to_string(patron_id) + " was merged into patron " + p->str(1) +
                        "; use that one",
                    field);
  return conflict("patron " + std::to_string(patron_id) + " is " + status, field);
}

Result<bool> is_erased(store::Tx& tx, std::optional<std::int64_t> patron_id) {
  if (!patron_id) return false;
  auto p = TRY(status_of(tx, *patron_id));
  return p && p->str(0) == "erased";
}

Status refuse_if_erased(store::Tx& tx, std::optional<std::int64_t> patron_id) {
  if (TRY(is_erased(tx, patron_id))) return erased_conflict(*patron_id);
  return {};
}

}  // namespace dangan::patrons
