// Passwords are hashed before the write transaction that stores them (hash_new_password),
// so the argon2id work never holds the database's write lock.
#include <doctest/doctest.h>

#include "auth/auth.h"
#include "core/crypto.h"
#include "store/test_databases.h"

namespace dangan::auth {

TEST_CASE("auth: a new user's password is checked and hashed before the transaction") {
  NewUser bad_name{"x", "", "Correct-horse-battery-9"};
  auto r = hash_new_password(bad_name);
  REQUIRE_FALSE(r);
  CHECK(r.error().field == "username");
  CHECK(bad_name.password_hash.empty());

  NewUser short_pw{"zhang.san", "", "short"};
  r = hash_new_password(short_pw);
  REQUIRE_FALSE(r);
  CHECK(r.error().field == "password");

  NewUser u{"zhang.san", "张三", "Correct-horse-battery-9", Role::agent};
  REQUIRE(hash_new_password(u));
  CHECK(crypto::verify_password(u.password_hash, "Correct-horse-battery-9"));
  CHECK_FALSE(crypto::verify_password(u.password_hash, "Correct-horse-battery-8"));

  // create_user stores the hash it is given: no hashing inside the transaction.
  testing::TestDatabase tdb("sqlite");
  auto tx = tdb.db().begin(store::TxMode::write);
  REQUIRE(tx);
  auto created = create_user(**tx, u);
  REQUIRE_MESSAGE(created, (created ? "" : created.error().message));
  auto stored = (*tx)->one("SELECT password_hash FROM users WHERE id = ?", {created->id}, "user");
  REQUIRE(stored);
  CHECK(stored->str(0) == u.password_hash);
  REQUIRE((*tx)->commit());
}

}  // namespace dangan::auth
