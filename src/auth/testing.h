// testing.h — for unit tests only: a user account made directly in the database, and the
// Actor that signs in as it (what the domain tests need to act as a role).
#pragma once
#include <doctest/doctest.h>

#include <cstdint>
#include <optional>
#include <string>

#include "auth/auth.h"
#include "core/actor.h"
#include "store/db.h"

namespace dangan::testing {

// Creates `name` with `role` (a portal account when `patron` is given), display name
// "<name> display", and returns its Actor. Fails the test on any error.
inline Actor make_user(store::Database& db, const std::string& name, Role role,
                       std::optional<std::int64_t> patron = {}) {
  auto tx = db.begin(store::TxMode::write);
  REQUIRE(tx);
  auth::NewUser u;
  u.username = name;
  u.display_name = name + " display";
  u.password = "Correct-horse-battery-9";
  u.role = role;
  u.patron_id = patron;
  auto created = auth::create_user(**tx, u);
  if (!created) FAIL(created.error().message);
  REQUIRE((*tx)->commit());
  Actor a;
  a.user_id = created->id;
  a.username = name;
  a.role = role;
  a.patron_id = patron;
  return a;
}

}  // namespace dangan::testing
