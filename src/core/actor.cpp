#include "core/actor.h"

#include <array>
#include <utility>

namespace dangan {
namespace {
constexpr std::array<std::pair<Role, std::string_view>, 8> kRoles{{
    {Role::administrator, "administrator"},
    {Role::archivist, "archivist"},
    {Role::agent, "agent"},
    {Role::manager, "manager"},
    {Role::analyst, "analyst"},
    {Role::auditor, "auditor"},
    {Role::patron, "patron"},
    {Role::system, "system"},
}};
}  // namespace

std::string_view to_string(Role role) {
  for (auto& [r, s] : kRoles)
    if (r == role) return s;
  return "system";
}

std::optional<Role> parse_role(std::string_view s) {
  for (auto& [r, name] : kRoles)
    if (name == s && r != Role::system) return r;
  return std::nullopt;
}

}  // namespace dangan
