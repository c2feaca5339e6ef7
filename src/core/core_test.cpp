#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/clock.h"
#include "core/config.h"
#include "core/crypto.h"

using namespace dangan;

TEST_CASE("config: TOML file, then environment, override the defaults") {
  auto path = std::filesystem::temp_directory_path() / "dangan-config-test.toml";
  std::ofstream(path) << "[server]\ndatabase = \"sqlite:/tmp/x.db\"\nlisten = \"0.0.0.0:9000\"\n"
                         "[security]\nlockout_threshold = 7\n";
  ::setenv("DANGAN_LISTEN", "127.0.0.1:9100", 1);
  auto c = load_config(path.string());
  ::unsetenv("DANGAN_LISTEN");
  REQUIRE(c);
  CHECK(c->database == "sqlite:/tmp/x.db");
  CHECK(c->listen == "127.0.0.1:9100");
  CHECK(c->lockout_threshold == 7);
  CHECK(c->session_idle_minutes == 30);
}

TEST_CASE("config: a broken file is a clear error") {
  auto path = std::filesystem::temp_directory_path() / "dangan-config-bad.toml";
  std::ofstream(path) << "[server\n";
  auto c = load_config(path.string());
  REQUIRE_FALSE(c);
  CHECK(c.error().field == "config");
  CHECK_FALSE(load_config("/nonexistent/dangan.toml"));
}

TEST_CASE("listen addresses") {
  CHECK(split_listen("127.0.0.1:8080")->second == 8080);
  CHECK(split_listen("[::1]:0")->first == "::1");
  CHECK_FALSE(split_listen("8080"));
  CHECK_FALSE(split_listen("host:99999"));
}

TEST_CASE("times: fixed-width UTC text that sorts in time order") {
  auto t = parse_time("2026-11-25T08:00:00+08:00");
  REQUIRE(t);
  CHECK(format_time(*t) == "2026-11-25T00:00:00.000000Z");
  CHECK(parse_time("2026-02-29") == std::nullopt);
  CHECK(parse_time("2024-02-29").has_value());
  CHECK(format_time(*parse_time("2026-01-02T03:04:05.5Z")) == "2026-01-02T03:04:05.500000Z");
  CHECK_FALSE(parse_time("2026-13-01"));
  CHECK_FALSE(parse_time("yesterday"));
}

TEST_CASE("argon2id password hashes verify only the right password") {
  crypto::init();
  auto h = crypto::hash_password("correct horse battery");
  CHECK(h.rfind("$argon2id$", 0) == 0);
  CHECK(crypto::verify_password(h, "correct horse battery"));
  CHECK_FALSE(crypto::verify_password(h, "correct horse batterY"));
  CHECK(crypto::random_hex(32).size() == 64);
  CHECK(crypto::random_hex(16) != crypto::random_hex(16));
}
