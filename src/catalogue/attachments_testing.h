// attachments_testing.h — fixtures shared by the attachment tests (test code only): a
// small real PDF written by hand, the EICAR test string and a ClamAV signature
// database that knows it, temporary directories, and a migrated database on each
// backend (SQLite always; PostgreSQL when DANGAN_TEST_PG_URL is set, one throwaway
// database per test).
#pragma once
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <pqxx/pqxx>
#include <sstream>
#include <string>
#include <vector>

#include "core/crypto.h"
#include "store/db.h"

namespace dangan::catalogue::testing {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    crypto::init();
    path = fs::temp_directory_path() / ("dangan-attach-" + crypto::random_hex(6));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

inline std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_file(const fs::path& p, std::string_view data) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

// A one-page PDF 1.4 whose page shows `lines` in Helvetica, with a correct xref table.
inline std::string make_pdf(const std::vector<std::string>& lines) {
  std::string content = "BT /F1 14 Tf 72 720 Td 16 TL\n";
  for (auto& l : lines) content += "(" + l + ") Tj T*\n";
  content += "ET\n";
  std::vector<std::string> objects = {
      "<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
      "/Resources << /Font << /F1 5 0 R >> >> >>",
      "<< /Length " + std::to_string(content.size()) + " >>\nstream\n" + content + "endstream",
      "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"};
  std::string pdf = "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n";
  std::vector<std::size_t> offsets;
  for (std::size_t i = 0; i < objects.size(); ++i) {
    offsets.push_back(pdf.size());
    pdf += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
  }
  std::size_t xref = pdf.size();
  pdf += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
  for (auto off : offsets) {
    char line[32];
    std::snprintf(line, sizeof line, "%010zu 00000 n \n", off);
    pdf += line;
  }
  pdf += "trailer\n<< /Size " + std::to_string(objects.size() + 1) +
         " /Root 1 0 R >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
  return pdf;
}

// The EICAR anti-virus test string, assembled here so this source file is not itself
// what scanners look for.
inline std::string eicar() {
  return std::string("X5O!P%@AP[4\\PZX54(P^)7CC)7}$") + "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
}

inline std::string hex_of(std::string_view s) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

// A ClamAV database (one .ndb file) that finds EICAR and a private test pattern.
constexpr const char* kTestPattern = "DANGAN-TEST-MALWARE-PATTERN-9c1e";
inline void write_test_signatures(const fs::path& dir) {
  write_file(dir / "dangan-test.ndb", "Dangan.Test.EICAR:0:*:" + hex_of(eicar()) +
                                          "\nDangan.Test.Pattern:0:*:" + hex_of(kTestPattern) +
                                          "\n");
}

inline const char* pg_url() {
  const char* url = std::getenv("DANGAN_TEST_PG_URL");
  return url != nullptr && *url != '\0' ? url : nullptr;
}

// A migrated, empty database: SQLite in `dir`, or a fresh PostgreSQL database dropped
// when this goes away.
struct TestDatabase {
  std::string url, admin_url, pg_name;
  std::unique_ptr<store::Database> db;
  TestDatabase(const std::string& backend, const fs::path& dir) {
    if (backend == "sqlite") {
      url = "sqlite:" + (dir / "db" / "test.db").string();
      fs::create_directories(dir / "db");
    } else {
      admin_url = pg_url();
      pg_name = "t_attach_" + crypto::random_hex(6);
      pqxx::connection c(admin_url);
      pqxx::nontransaction(c).exec("CREATE DATABASE " + pg_name);
      url = admin_url.substr(0, admin_url.rfind('/') + 1) + pg_name;
    }
    auto opened = store::open(url);
    if (!opened) FAIL("open failed: ", opened.error().message);
    db = std::move(*opened);
  }
  ~TestDatabase() {
    db.reset();
    if (!pg_name.empty()) {
      try {
        pqxx::connection c(admin_url);
        pqxx::nontransaction(c).exec("DROP DATABASE IF EXISTS " + pg_name + " WITH (FORCE)");
      } catch (...) {
      }
    }
  }
};

// Runs `body(backend)` for "sqlite" and, when configured, "postgres".
inline void for_each_backend(const std::function<void(const std::string&)>& body) {
  {
    INFO("backend: sqlite");
    body("sqlite");
  }
  if (pg_url()) {
    INFO("backend: postgres");
    body("postgres");
  }
}

inline void exec_sql(store::Database& db, const std::string& sql, const store::Params& p = {}) {
  auto tx = db.begin(store::TxMode::write);
  REQUIRE(tx);
  auto r = (*tx)->exec(sql, p);
  if (!r) FAIL("SQL failed: ", r.error().message, " in ", sql);
  REQUIRE((*tx)->commit());
}

inline std::int64_t count(store::Database& db, const std::string& sql,
                          const store::Params& p = {}) {
  auto tx = db.begin(store::TxMode::read);
  REQUIRE(tx);
  auto r = (*tx)->one(sql, p, "count");
  if (!r) FAIL("SQL failed: ", r.error().message, " in ", sql);
  return r->i64(0);
}

// A patron (for portal accounts and customer files).
inline std::int64_t make_patron(store::Database& db, const std::string& name) {
  auto tx = db.begin(store::TxMode::write);
  REQUIRE(tx);
  auto id = (*tx)->one(
      "INSERT INTO patrons (type, name, created_at, updated_at) VALUES ('person', ?, ?, ?) "
      "RETURNING id",
      {name, std::string("2025-01-01T00:00:00.000000Z"),
       std::string("2025-01-01T00:00:00.000000Z")},
      "patron");
  if (!id) FAIL("insert patron: ", id.error().message);
  REQUIRE((*tx)->commit());
  return id->i64(0);
}

// Records for the tests, written straight into the catalogue's tables (the catalogue
// service is not what these tests are about). Returns the record's id.
inline std::int64_t make_record(store::Database& db, const std::string& access_level,
                                const std::string& code) {
  auto tx = db.begin(store::TxMode::write);
  REQUIRE(tx);
  auto& t = **tx;
  const std::string now = "2025-01-01T00:00:00.000000Z";
  auto fonds = t.maybe_one("SELECT id FROM fonds WHERE code = 'TF'", {});
  REQUIRE(fonds);
  if (!*fonds) {
    REQUIRE(t.exec(
        "INSERT INTO fonds (code, name, created_at, updated_at) VALUES ('TF','测试全宗',?,?)",
        {now, now}));
    REQUIRE(
        t.exec("INSERT INTO categories (code, name, created_at, updated_at) VALUES "
               "('TC','测试类',?,?)",
               {now, now}));
    REQUIRE(
        t.exec("INSERT INTO retention_periods (code, name, years, created_at) VALUES "
               "('TR','十年',10,?)",
               {now}));
  }
  auto id = t.one(
      "INSERT INTO records (reference_code, title, fonds_id, category_id, retention_code, "
      "access_level, created_at, updated_at) VALUES (?, ?, (SELECT id FROM fonds WHERE code = "
      "'TF'), (SELECT id FROM categories WHERE code = 'TC'), 'TR', ?, ?, ?) RETURNING id",
      {code, "记录 " + code, access_level, now, now}, "record");
  if (!id) FAIL("insert record: ", id.error().message);
  REQUIRE(t.commit());
  return id->i64(0);
}

}  // namespace dangan::catalogue::testing
