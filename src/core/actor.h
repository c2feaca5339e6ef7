// actor.h — who is acting: a signed-in staff member or patron, or the system itself.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace dangan {

enum class Role { administrator, archivist, agent, manager, analyst, auditor, patron, system };

std::string_view to_string(Role role);
std::optional<Role> parse_role(std::string_view s);

struct Actor {
  std::int64_t user_id = 0;  // 0 for the system
  std::string username = "system";
  Role role = Role::system;
  std::optional<std::int64_t> unit_id;
  bool unit_scoped = false;               // sees only patrons of its own unit
  std::optional<std::int64_t> patron_id;  // portal accounts: the patron they are
  std::string request_id;

  bool is_staff() const { return role != Role::patron && role != Role::system; }
};

inline Actor system_actor() { return Actor{}; }

}  // namespace dangan
