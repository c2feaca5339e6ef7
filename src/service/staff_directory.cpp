#include "service/staff_directory.h"

#include <algorithm>
#include <map>
#include <tuple>
#include <vector>

#include "auth/auth.h"
#include "core/cursor.h"
#include "text/text.h"

namespace dangan::service {

using json = nlohmann::json;

Result<json> StaffDirectory::list(const Actor& by, const std::string& q,
                                  const std::optional<std::string>& role,
                                  const std::optional<std::string>& cursor, int limit) {
  if (by.role == Role::patron) return forbidden("the staff directory is for staff");
  // Staff but auditor: the roles that read patrons (and pick someone to act for them).
  TRY_STATUS(auth::require(by, auth::Permission::patron_read));
  if (role) {
    auto r = parse_role(*role);
    if (!r || *r == Role::patron || *r == Role::system)
      return invalid("role",
                     "a staff role: administrator, archivist, agent, manager, analyst "
                     "or auditor");
  }
  // By folded name, then id; the cursor is [folded name, id] of the last entry.
  auto after = TRY(cursor::parse_key(cursor));
  auto tx = TRY(db_.begin(store::TxMode::read));
  store::Params p;
  std::string sql =
      "SELECT u.id, u.display_name, u.username, u.role, COALESCE(a.status, 'offline') "
      "FROM users u LEFT JOIN agent_availability a ON a.user_id = u.id "
      "WHERE u.disabled = 0 AND u.role <> 'patron'";
  if (role) {
    sql += " AND u.role = ?";
    p.emplace_back(*role);
  }
  auto rows = TRY(tx->query(sql, p));
  std::map<std::int64_t, json> teams;
  for (auto& r : TRY(tx->query("SELECT m.user_id, t.id, t.name FROM service_team_members m "
                               "JOIN service_teams t ON t.id = m.team_id ORDER BY t.name, t.id",
                               {}))) {
    auto& list = teams[r.i64(0)];
    if (list.is_null()) list = json::array();
    list.push_back({{"id", r.i64(1)}, {"name", r.str(2)}});
  }
  struct Entry {
    std::string sort_key;
    json item;
  };
  std::vector<Entry> found;
  std::string needle = text::fold(q);
  needle.erase(std::remove(needle.begin(), needle.end(), ' '), needle.end());
  for (auto& r : rows) {
    std::string name = r.str(1).empty() ? r.str(2) : r.str(1);
    if (!needle.empty()) {
      std::string pinyin = text::pinyin(name);
      pinyin.erase(std::remove(pinyin.begin(), pinyin.end(), ' '), pinyin.end());
      bool hit = text::fold(name).find(needle) != std::string::npos ||
                 text::fold(r.str(2)).find(needle) != std::string::npos ||
                 pinyin.find(needle) != std::string::npos ||
                 text::pinyin_initials(name).starts_with(needle);
      if (!hit) continue;
    }
    auto t = teams.find(r.i64(0));
    found.push_back({text::fold(name),
                     {{"id", r.i64(0)},
                      {"name", name},
                      {"role", r.str(3)},
                      {"teams", t == teams.end() ? json::array() : t->second},
                      {"availability", r.str(4)}}});
  }
  std::sort(found.begin(), found.end(), [](const Entry& a, const Entry& b) {
    if (a.sort_key != b.sort_key) return a.sort_key < b.sort_key;
    return a.item["id"].get<std::int64_t>() < b.item["id"].get<std::int64_t>();
  });
  std::size_t start = 0;
  if (after)
    start =
        std::partition_point(found.begin(), found.end(),
                             [&](const Entry& e) {
                               auto id = e.item["id"].get<std::int64_t>();
                               return std::tie(e.sort_key, id) <= std::tie(after->value, after->id);
                             }) -
        found.begin();
  json items = json::array();
  std::size_t end = std::min(found.size(), start + static_cast<std::size_t>(limit));
  for (std::size_t i = start; i < end; ++i) items.push_back(found[i].item);
  json next = nullptr;
  if (end < found.size() && end > start)
    next =
        cursor::encode_key(found[end - 1].sort_key, found[end - 1].item["id"].get<std::int64_t>());
  return json{{"items", items}, {"next_cursor", next}};
}

void register_staff_routes(http::Api& api, StaffDirectory& d) {
  api.secured_json("GET", "/api/v1/staff", [&d](http::Request& r, const Actor& a) -> Result<json> {
    TRY_STATUS(http::only_params(r, {"q", "role", "cursor", "limit"}));
    return d.list(a, http::text_param(r, "q").value_or(""), http::text_param(r, "role"),
                  TRY(http::cursor_param(r)), TRY(http::limit_param(r, 50, 200)));
  });
}

}  // namespace dangan::service
