// The erasure registry and the patrons module's own steps (erasure.h).
#include "patrons/erasure.h"

#include <algorithm>

namespace dangan::patrons {

using json = nlohmann::json;

std::string_view to_string(ErasureAction a) {
  switch (a) {
    case ErasureAction::deleted:
      return "deleted";
    case ErasureAction::redacted:
      return "redacted";
    case ErasureAction::unlinked:
      return "unlinked";
    case ErasureAction::kept:
      return "kept";
  }
  return "kept";
}

namespace {

store::Params patron_params(const std::string& sql, std::int64_t patron_id) {
  store::Params p;
  for (std::size_t n = std::count(sql.begin(), sql.end(), '?'); n > 0; --n) p.push_back(patron_id);
  return p;
}

}  // namespace

Erasure::Step Erasure::delete_rows(std::string table, std::string where, std::string what) {
  std::string sql = "DELETE FROM " + table + " WHERE " + where;
  return {std::move(table), ErasureAction::deleted, std::move(what),
          [sql](store::Tx& tx, std::int64_t id, Context&) {
            return tx.exec(sql, patron_params(sql, id));
          }};
}

Erasure::Step Erasure::redact_rows(std::string table, std::string where, std::string set,
                                   std::string what) {
  std::string sql = "UPDATE " + table + " SET " + set + " WHERE " + where;
  return {std::move(table), ErasureAction::redacted, std::move(what),
          [sql](store::Tx& tx, std::int64_t id, Context&) {
            return tx.exec(sql, patron_params(sql, id));
          }};
}

Erasure::Step Erasure::keep_rows(std::string table, std::string why) {
  return {std::move(table), ErasureAction::kept, std::move(why), nullptr};
}

Erasure::Erasure() {
  add(delete_rows("patron_contacts", "patron_id = ?", "phones, e-mail addresses, handles"));
  // The timeline keeps its kinds and times (statistics); what each event said goes.
  add(redact_rows("events", "patron_id = ?", "summary = '', detail = '{}'",
                  "summary and detail; kind, time and actor stay"));
  add(redact_rows("key_field_changes", "patron_id = ?", "old_value = NULL, new_value = NULL",
                  "old and new names and ID numbers; who decided and when stay"));
  // Portal accounts: disabled, their login name (often a phone or e-mail) and display
  // name replaced, their sessions revoked.
  add({"users", ErasureAction::redacted,
       "portal accounts disabled, username and display name replaced, sessions revoked",
       [](store::Tx& tx, std::int64_t id, Context&) -> Result<std::int64_t> {
         TRY(
             tx.exec("UPDATE sessions SET revoked = 1 WHERE user_id IN (SELECT id FROM users WHERE "
                     "patron_id = ?)",
                     {id}));
         return tx.exec(
             "UPDATE users SET disabled = 1, username = 'erased-' || CAST(id AS TEXT), "
             "display_name = ? WHERE patron_id = ?",
             {std::string(kErased), id});
       }});
  // A relation names who the person is related to: it would lead back to them.
  add(delete_rows("patron_relations", "patron_id = ? OR related_id = ?",
                  "relations to other patrons, both directions"));
  add(keep_rows("patron_tags", "tags are categories (statistics), not personal text"));
  add(keep_rows(
      "audit_log",
      "append-only and hash-chained: who did what stays provable, this erasure included"));
}

void Erasure::add(Step step) { steps_.push_back(std::move(step)); }

Result<json> Erasure::run(store::Tx& tx, std::int64_t patron_id, Context& ctx) const {
  json out = json::array();
  for (const auto& s : steps_) {
    if (s.action == ErasureAction::kept || !s.run) continue;
    std::int64_t rows = TRY(s.run(tx, patron_id, ctx));
    out.push_back({{"table", s.table}, {"action", to_string(s.action)}, {"rows", rows}});
  }
  return out;
}

}  // namespace dangan::patrons
