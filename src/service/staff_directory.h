// staff_directory.h — who a staff member can pick: the ticket assignee, a routing rule's
// agent, an alert's owner, the member of staff at a loan or a visit. Screens used to take
// user ids typed as numbers; this lists the active staff accounts by name.
//
// What it shows is only what a picker needs: id, name (display name, else the username),
// role, service teams and chat availability — never contact details, units or login
// state. Disabled accounts and portal (patron) accounts are not listed. Who may read it:
// staff but auditor — the roles of Permission::patron_read, who are the ones that pick
// someone to act (assign, route, lend); auditors pick no one, and the audit log already
// names every actor they need.
//
// `q` matches the folded name or username by substring, or the name's pinyin (full or
// initials: "zs" finds 张三). Order: by name, then id; `cursor` is an opaque position.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/actor.h"
#include "core/result.h"
#include "http/api.h"
#include "store/db.h"

namespace dangan::service {

class StaffDirectory {
 public:
  explicit StaffDirectory(store::Database& db) : db_(db) {}
  Result<nlohmann::json> list(const Actor& by, const std::string& q,
                              const std::optional<std::string>& role,
                              const std::optional<std::string>& cursor, int limit);

 private:
  store::Database& db_;
};

// GET /api/v1/staff?q=&role=&cursor=&limit=
void register_staff_routes(http::Api& api, StaffDirectory& directory);

}  // namespace dangan::service
