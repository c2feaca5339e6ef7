#include "patrons/timeline.h"

#include "core/cursor.h"
#include "patrons/writes.h"
#include "store/keyset.h"

namespace dangan::timeline {

Result<std::int64_t> append(store::Tx& tx, const Actor& by, const Event& e, const Clock& clock) {
  // What still happens to an erased patron's things (a loan returned, a ticket closed)
  // counts as erasure left their old events: kind, time and actor, saying nothing. The
  // erasure's own event ("personal data erased") says nothing about the person.
  const bool erased =
      e.kind != "patron.erased" && TRY(patrons::is_erased(tx, e.patron_id));
  auto r = TRY(tx.one(
      "INSERT INTO events (patron_id, at, kind, actor_id, summary, detail, ref_type, ref_id) "
      "VALUES (?,?,?,?,?,?,?,?) RETURNING id",
      {e.patron_id, format_time(clock.now()), e.kind,
       by.user_id ? store::Value(by.user_id) : store::null_value(),
       erased ? std::string() : e.summary, erased ? std::string("{}") : e.detail.dump(),
       e.ref_type.empty() ? store::null_value() : store::Value(e.ref_type),
       e.ref_id.empty() ? store::null_value() : store::Value(e.ref_id)},
      "event"));
  return r.i64(0);
}

Result<Page> list(store::Tx& tx, const Query& q) {
  std::string sql =
      "SELECT e.id, e.at, e.kind, e.actor_id, u.username, e.summary, e.detail, e.ref_type, "
      "e.ref_id FROM events e LEFT JOIN users u ON u.id = e.actor_id WHERE e.patron_id = ?";
  store::Params p{q.patron_id};
  if (!q.kinds.empty()) {
    sql += " AND (";
    for (std::size_t i = 0; i < q.kinds.size(); ++i) {
      sql += i ? " OR e.kind LIKE ? ESCAPE '\\'" : "e.kind LIKE ? ESCAPE '\\'";
      std::string k;
      for (char c : q.kinds[i]) {
        if (c == '%' || c == '_' || c == '\\') k.push_back('\\');
        k.push_back(c);
      }
      p.push_back(k + "%");
    }
    sql += ")";
  }
  // The cursor is [at, id] of the last event shown; newest first means strictly older next.
  if (auto after = TRY(cursor::parse_time_key(q.cursor)))
    sql += store::after_key("e.at", "e.id", *after, true, p);
  sql += " ORDER BY e.at DESC, e.id DESC LIMIT ?";
  p.push_back(static_cast<std::int64_t>(q.limit + 1));
  auto rows = TRY(tx.query(sql, p));
  Page page;
  int n = 0;
  for (auto& r : rows) {
    if (n++ == q.limit) break;
    auto detail = nlohmann::json::parse(r.str(6), nullptr, false);
    page.items.push_back({{"id", r.i64(0)},
                          {"at", r.str(1)},
                          {"kind", r.str(2)},
                          {"actor", r.is_null(4) ? nlohmann::json() : nlohmann::json(r.str(4))},
                          {"summary", r.str(5)},
                          {"detail", detail.is_discarded() ? nlohmann::json::object() : detail},
                          {"ref_type", r.is_null(7) ? nlohmann::json() : nlohmann::json(r.str(7))},
                          {"ref_id", r.is_null(8) ? nlohmann::json() : nlohmann::json(r.str(8))}});
  }
  if (static_cast<int>(rows.size()) > q.limit) {
    auto& last = rows[q.limit - 1];
    page.next_cursor = cursor::encode_key(last.str(1), last.i64(0));
  }
  return page;
}

}  // namespace dangan::timeline
