// blob_store.h — attachment content on disk, content-addressed by the SHA-256 of the
// plaintext, optionally encrypted at rest, optionally written to a replica as well.
//
// Layout: <dir>/ab/cd/<sha256> where "abcd" are the hash's first hex digits (65,536
// shard directories, so no directory grows past a few thousand files at millions of
// blobs); <dir>/tmp/ holds files being written. The same layout in the replica.
//
// Invariants:
//  - a file under its real name is complete: content is written to tmp/, fsync'd,
//    renamed into place and the directory fsync'd; a crash leaves at most a temporary
//    file (fixity removes those older than a day), never a half file under a real name;
//  - the name is the SHA-256 of the plaintext, so identical content is one file, and
//    whoever reads a file can check it against its name (fixity does);
//  - an encrypted file is "DGNBLOB1", the 8-byte id of the key, then libsodium's
//    secretstream (XChaCha20-Poly1305) in 64 KiB chunks, the last one tagged final: any
//    flipped, missing or appended byte fails authentication, and neither encrypting nor
//    decrypting needs a second copy of the whole content in memory;
//  - the key comes from Config::blob_key or a key file beside the blob directory
//    (<dir>.key, 64 hex digits, mode 0600), created atomically on first use so several
//    processes agree on one key. The key is never logged; its id (a hash of it) is.
//
// This class knows files only; which blob exists, and whether its file is encrypted,
// is the database's business (attachments.h), as is the locking that keeps a file from
// being deleted while an upload of the same content commits.
#pragma once
#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "core/result.h"

namespace dangan::catalogue {

struct BlobStoreConfig {
  std::filesystem::path dir;          // primary copy
  std::filesystem::path replica_dir;  // second copy; empty: none
  std::string key_hex;                // 64 hex digits; empty: use key_file
  std::filesystem::path key_file;     // <dir>.key
};

// Resolves Config: blob_dir "" is "<directory of the SQLite file>/blobs" on SQLite and
// ./data/blobs on PostgreSQL (every server process must be given the same directory).
BlobStoreConfig blob_store_config(const Config& config);

bool valid_sha256(std::string_view hex);
// <dir>/ab/cd/<sha256>
std::filesystem::path blob_path(const std::filesystem::path& dir, std::string_view sha256);

// Incremental SHA-256 (libsodium), for hashing streams.
class Sha256 {
 public:
  Sha256();
  void update(std::string_view data);
  std::string hex();  // finishes; call once
 private:
  alignas(64) unsigned char state_[128];
};

// What one copy of a blob looks like when checked against its name.
enum class CopyState { ok, missing, mismatch, unreadable };
std::string_view to_string(CopyState s);
struct CopyCheck {
  CopyState state = CopyState::missing;
  bool encrypted = false;  // what the file turned out to be (its header says)
};

class BlobStore {
 public:
  explicit BlobStore(BlobStoreConfig config);

  const BlobStoreConfig& config() const { return config_; }
  bool has_replica() const { return !config_.replica_dir.empty(); }

  // Content written under temporary names (in every copy), synced, not yet visible.
  // Removed on destruction unless published.
  class Staged {
   public:
    Staged() = default;
    Staged(Staged&&) noexcept;
    Staged& operator=(Staged&&) noexcept;
    ~Staged();
    const std::string& sha256() const { return sha256_; }
    bool encrypted() const { return encrypted_; }
    const std::string& key_id() const { return key_id_; }

   private:
    friend class BlobStore;
    void discard();
    std::string sha256_, key_id_;
    bool encrypted_ = false;
    std::vector<std::pair<std::filesystem::path, std::filesystem::path>> files_;  // tmp, final
  };

  // Writes `plaintext` (whose SHA-256 is `sha256`) to temporary files, encrypted when
  // asked. Fails with `unavailable` when a copy cannot be written (disk full, no
  // permission), `internal` when the key cannot be loaded.
  Result<Staged> stage(std::string_view sha256, std::string_view plaintext, bool encrypt);
  // Renames the staged files to their real names, replacing what is there, and syncs
  // the directories. Afterwards the Staged is empty.
  Status publish(Staged& staged);

  // The plaintext of a blob from the primary copy (the replica when the primary is
  // missing or fails its check), verified against its name on the way. Whether a file
  // is encrypted is read from its header, so a file whose encryption the database has
  // not recorded yet (a crash between the rename and the commit) still reads.
  // `not_found` when no copy exists, `internal` when no copy matches its name.
  Result<std::string> read(std::string_view sha256);

  // Hashes (decrypting if needed) the copy in `dir` and compares with the name.
  CopyCheck check(const std::filesystem::path& dir, std::string_view sha256);
  // Replaces the copy in `to` with the one in `from` (atomically, synced).
  Status copy(const std::filesystem::path& from, const std::filesystem::path& to,
              std::string_view sha256);
  // Deletes every copy; missing files are fine.
  void remove(std::string_view sha256);
  bool exists(std::string_view sha256) const;
  // Deletes temporary files older than `age` left by crashed writers; returns how many.
  int sweep_temporary(std::chrono::seconds age);

  // The id of the key (16 hex digits), loading or creating the key first.
  Result<std::string> key_id();

 private:
  struct Key {
    std::array<unsigned char, 32> bytes{};
    std::string id;
  };
  Result<const Key*> key();
  // Streams the plaintext of the copy in `dir` to `sink` (or nowhere) and checks it.
  CopyCheck scan_copy(const std::filesystem::path& dir, std::string_view sha256, std::string* sink);

  BlobStoreConfig config_;
  std::mutex key_mu_;
  std::optional<Key> key_;
};

}  // namespace dangan::catalogue
