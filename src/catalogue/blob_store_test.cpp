// Blob store: content addressing, crash-safe writes, encryption at rest, the key file.
#include "catalogue/blob_store.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "catalogue/attachments_testing.h"

using namespace dangan;
using namespace dangan::catalogue;
using namespace dangan::catalogue::testing;

namespace {

std::string sha_of(std::string_view s) {
  Sha256 h;
  h.update(s);
  return h.hex();
}

BlobStoreConfig config_in(const fs::path& root, bool replica = false) {
  Config c;
  c.blob_dir = (root / "blobs").string();
  if (replica) c.blob_replica_dir = (root / "replica").string();
  return blob_store_config(c);
}

// Files under `dir` (recursively) whose bytes contain `needle`.
int files_containing(const fs::path& dir, std::string_view needle) {
  int n = 0;
  for (auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file() && read_file(e.path()).find(needle) != std::string::npos) ++n;
  return n;
}

std::string big_text(std::size_t n) {
  std::string s;
  while (s.size() < n) s += "档案 record line " + std::to_string(s.size()) + "\n";
  return s;
}

}  // namespace

TEST_CASE("blob store: the blob directory defaults beside the SQLite file") {
  Config c;
  c.database = "sqlite:/srv/dangan/dangan.db";
  auto b = blob_store_config(c);
  CHECK(b.dir == fs::path("/srv/dangan/blobs"));
  CHECK(b.key_file == fs::path("/srv/dangan/blobs.key"));
  c.database = "postgresql://x@h/db";
  CHECK(blob_store_config(c).dir == fs::path("data/blobs"));
  c.blob_dir = "/var/lib/dangan/blobs/";
  CHECK(blob_store_config(c).dir == fs::path("/var/lib/dangan/blobs"));
  CHECK(blob_path("/b", "abcdef" + std::string(58, '0')) ==
        fs::path("/b/ab/cd/abcdef" + std::string(58, '0')));
}

TEST_CASE("blob store: identical content is stored once, under its SHA-256") {
  TempDir t;
  BlobStore store(config_in(t.path));
  std::string content = "the same content";
  std::string sha = sha_of(content);
  CHECK(sha == crypto::sha256_hex(content));
  for (int i = 0; i < 2; ++i) {
    auto staged = store.stage(sha, content, false);
    REQUIRE(staged);
    REQUIRE(store.publish(*staged));
  }
  int files = 0;
  for (auto& e : fs::recursive_directory_iterator(t.path / "blobs"))
    if (e.is_regular_file()) ++files;
  CHECK(files == 1);
  CHECK(read_file(blob_path(t.path / "blobs", sha)) == content);
  auto back = store.read(sha);
  REQUIRE(back);
  CHECK(*back == content);
}

TEST_CASE("blob store: a writer that dies before publishing leaves no file under the real name") {
  TempDir t;
  BlobStore store(config_in(t.path, true));
  std::string content = big_text(3 << 20);
  std::string sha = sha_of(content);
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // Written and synced, then the process dies before the rename: no destructor runs.
    auto staged = store.stage(sha, content, true);
    _exit(staged ? 0 : 3);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  CHECK_FALSE(fs::exists(blob_path(t.path / "blobs", sha)));
  CHECK_FALSE(fs::exists(blob_path(t.path / "replica", sha)));
  CHECK(store.check(t.path / "blobs", sha).state == CopyState::missing);
  CHECK(std::distance(fs::directory_iterator(t.path / "blobs" / "tmp"), fs::directory_iterator()) ==
        1);
  // Stale temporary files are swept (fixity does this with a day's grace).
  CHECK(store.sweep_temporary(std::chrono::seconds(0)) == 2);
  CHECK(fs::is_empty(t.path / "blobs" / "tmp"));

  // A staged write dropped without publishing (an upload that failed) cleans up too.
  {
    auto staged = store.stage(sha, content, false);
    REQUIRE(staged);
  }
  CHECK(fs::is_empty(t.path / "blobs" / "tmp"));
  CHECK_FALSE(store.exists(sha));
}

TEST_CASE("blob store: encrypted content round-trips and the file holds no plaintext") {
  TempDir t;
  BlobStore store(config_in(t.path, true));
  std::string marker = "涉密内容 SECRET-MARKER-41";
  std::string content = marker + "\n" + big_text(200 * 1024) + marker;  // several 64 KiB chunks
  std::string sha = sha_of(content);
  auto staged = store.stage(sha, content, true);
  REQUIRE(staged);
  CHECK(staged->encrypted());
  CHECK(staged->key_id().size() == 16);
  REQUIRE(store.publish(*staged));
  for (auto* dir : {"blobs", "replica"}) {
    std::string raw = read_file(blob_path(t.path / dir, sha));
    CHECK(raw.substr(0, 8) == "DGNBLOB1");
    CHECK(raw.find("SECRET-MARKER-41") == std::string::npos);
    CHECK(raw.find("record line 1000") == std::string::npos);
    CHECK(raw.size() > content.size());
    auto c = store.check(t.path / dir, sha);
    CHECK(c.state == CopyState::ok);
    CHECK(c.encrypted);
  }
  CHECK(files_containing(t.path, "SECRET-MARKER-41") == 0);
  auto back = store.read(sha);
  REQUIRE(back);
  CHECK(*back == content);

  // The key file: created once, 64 hex digits, readable by the owner only.
  fs::path key_file = t.path / "blobs.key";
  REQUIRE(fs::exists(key_file));
  struct stat st {};
  REQUIRE(::stat(key_file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(read_file(key_file).size() == 65);

  // Another process (another BlobStore) reads it with the same key file.
  BlobStore other(config_in(t.path, true));
  auto again = other.read(sha);
  REQUIRE(again);
  CHECK(*again == content);

  // A flipped byte, a truncated file and an appended byte all fail the check.
  fs::path file = blob_path(t.path / "blobs", sha);
  std::string raw = read_file(file);
  std::string flipped = raw;
  flipped[raw.size() / 2] ^= 0x01;
  write_file(file, flipped);
  CHECK(store.check(t.path / "blobs", sha).state == CopyState::mismatch);
  // Reading falls back to the good replica.
  auto via_replica = store.read(sha);
  REQUIRE(via_replica);
  CHECK(*via_replica == content);
  write_file(file, raw.substr(0, raw.size() - 100));
  CHECK(store.check(t.path / "blobs", sha).state == CopyState::mismatch);
  write_file(file, raw + "x");
  CHECK(store.check(t.path / "blobs", sha).state == CopyState::mismatch);
  REQUIRE(store.copy(t.path / "replica", t.path / "blobs", sha));
  CHECK(store.check(t.path / "blobs", sha).state == CopyState::ok);

  // With another key the file cannot be read (and is not mistaken for damage in place).
  Config c;
  c.blob_dir = (t.path / "blobs").string();
  c.blob_key = std::string(64, 'a');
  BlobStore wrong_key(blob_store_config(c));
  CHECK(wrong_key.check(t.path / "blobs", sha).state == CopyState::unreadable);
  CHECK_FALSE(wrong_key.read(sha));
}

TEST_CASE("blob store: a configured key is used instead of a key file") {
  TempDir t;
  Config c;
  c.blob_dir = (t.path / "blobs").string();
  c.blob_key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
  BlobStore store(blob_store_config(c));
  std::string content = "controlled";
  auto staged = store.stage(sha_of(content), content, true);
  REQUIRE(staged);
  REQUIRE(store.publish(*staged));
  CHECK_FALSE(fs::exists(t.path / "blobs.key"));
  BlobStore same(blob_store_config(c));
  auto back = same.read(sha_of(content));
  REQUIRE(back);
  CHECK(*back == content);
  auto id1 = store.key_id(), id2 = same.key_id();
  REQUIRE(id1);
  CHECK(*id1 == *id2);
}

TEST_CASE("blob store: missing and damaged plaintext copies are told apart") {
  TempDir t;
  BlobStore store(config_in(t.path, true));
  std::string content = "open record scan";
  std::string sha = sha_of(content);
  auto staged = store.stage(sha, content, false);
  REQUIRE(staged);
  REQUIRE(store.publish(*staged));
  fs::remove(blob_path(t.path / "replica", sha));
  CHECK(store.check(t.path / "replica", sha).state == CopyState::missing);
  write_file(blob_path(t.path / "blobs", sha), "open record scaN");
  CHECK(store.check(t.path / "blobs", sha).state == CopyState::mismatch);
  auto r = store.read(sha);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::internal);
  store.remove(sha);
  CHECK_FALSE(store.exists(sha));
  auto gone = store.read(sha);
  REQUIRE_FALSE(gone);
  CHECK(gone.error().code == ErrorCode::not_found);
}
