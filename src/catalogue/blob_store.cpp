#include "catalogue/blob_store.h"

#include <fcntl.h>
#include <sodium.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "core/crypto.h"

namespace dangan::catalogue {

namespace fs = std::filesystem;

namespace {

constexpr char kMagic[8] = {'D', 'G', 'N', 'B', 'L', 'O', 'B', '1'};
constexpr std::size_t kKeyIdBytes = 8;
constexpr std::size_t kChunk = 64 * 1024;
constexpr std::size_t kHeaderBytes =
    sizeof(kMagic) + kKeyIdBytes + crypto_secretstream_xchacha20poly1305_HEADERBYTES;
constexpr std::size_t kSealedChunk = kChunk + crypto_secretstream_xchacha20poly1305_ABYTES;

struct Fd {
  int fd = -1;
  explicit Fd(int f = -1) : fd(f) {}
  Fd(Fd&& o) noexcept : fd(o.fd) { o.fd = -1; }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

std::string errno_text(int e) { return std::strerror(e); }

Status write_all(int fd, const unsigned char* p, std::size_t n, const fs::path& what) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return fail(ErrorCode::unavailable,
                  "cannot write " + what.string() + ": " + errno_text(errno));
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return {};
}

// Reads up to n bytes (fewer only at end of file); -1 on error.
ssize_t read_full(int fd, unsigned char* p, std::size_t n) {
  std::size_t got = 0;
  while (got < n) {
    ssize_t r = ::read(fd, p + got, n - got);
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (r == 0) break;
    got += static_cast<std::size_t>(r);
  }
  return static_cast<ssize_t>(got);
}

Status fsync_dir(const fs::path& dir) {
  Fd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d.fd < 0 || ::fsync(d.fd) != 0)
    return fail(ErrorCode::unavailable, "cannot sync directory " + dir.string());
  return {};
}

// Creates `dir` and its missing parents, syncing each parent whose entries changed, so
// a new shard directory survives a crash together with the file renamed into it.
Status make_dirs(const fs::path& dir) {
  if (fs::is_directory(dir)) return {};
  if (dir.has_parent_path() && dir.parent_path() != dir) TRY_STATUS(make_dirs(dir.parent_path()));
  if (::mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST)
    return fail(ErrorCode::unavailable,
                "cannot create directory " + dir.string() + ": " + errno_text(errno));
  return fsync_dir(dir.has_parent_path() ? dir.parent_path() : fs::path("."));
}

fs::path tmp_dir(const fs::path& dir) { return dir / "tmp"; }

std::string key_id_of(const unsigned char* key) {
  static constexpr char kContext[] = "dangan blob key id";
  unsigned char id[kKeyIdBytes];
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, sizeof id);
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(kContext),
                            sizeof kContext - 1);
  crypto_generichash_update(&st, key, 32);
  crypto_generichash_final(&st, id, sizeof id);
  char hex[2 * kKeyIdBytes + 1];
  sodium_bin2hex(hex, sizeof hex, id, sizeof id);
  return hex;
}

bool parse_key_hex(std::string_view hex, std::array<unsigned char, 32>& out) {
  if (hex.size() != 64) return false;
  std::size_t len = 0;
  return sodium_hex2bin(out.data(), out.size(), hex.data(), hex.size(), nullptr, &len, nullptr) ==
             0 &&
         len == 32;
}

}  // namespace

BlobStoreConfig blob_store_config(const Config& config) {
  BlobStoreConfig c;
  if (!config.blob_dir.empty()) {
    c.dir = config.blob_dir;
  } else if (config.database.rfind("sqlite:", 0) == 0) {
    fs::path db = config.database.substr(7);
    c.dir = (db.has_parent_path() ? db.parent_path() : fs::path(".")) / "blobs";
  } else {
    c.dir = fs::path("data") / "blobs";
  }
  c.dir = c.dir.lexically_normal();
  if (c.dir.filename().empty()) c.dir = c.dir.parent_path();  // "x/blobs/" → "x/blobs"
  if (!config.blob_replica_dir.empty()) {
    c.replica_dir = fs::path(config.blob_replica_dir).lexically_normal();
    if (c.replica_dir.filename().empty()) c.replica_dir = c.replica_dir.parent_path();
  }
  c.key_hex = config.blob_key;
  c.key_file = c.dir;
  c.key_file += ".key";
  return c;
}

bool valid_sha256(std::string_view hex) {
  return hex.size() == 64 && std::all_of(hex.begin(), hex.end(), [](char ch) {
           return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
         });
}

fs::path blob_path(const fs::path& dir, std::string_view sha256) {
  return dir / std::string(sha256.substr(0, 2)) / std::string(sha256.substr(2, 2)) /
         std::string(sha256);
}

Sha256::Sha256() {
  static_assert(sizeof(state_) >= sizeof(crypto_hash_sha256_state));
  crypto_hash_sha256_init(reinterpret_cast<crypto_hash_sha256_state*>(state_));
}

void Sha256::update(std::string_view data) {
  crypto_hash_sha256_update(reinterpret_cast<crypto_hash_sha256_state*>(state_),
                            reinterpret_cast<const unsigned char*>(data.data()), data.size());
}

std::string Sha256::hex() {
  unsigned char out[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(reinterpret_cast<crypto_hash_sha256_state*>(state_), out);
  char hex[2 * sizeof out + 1];
  sodium_bin2hex(hex, sizeof hex, out, sizeof out);
  return hex;
}

std::string_view to_string(CopyState s) {
  switch (s) {
    case CopyState::ok:
      return "ok";
    case CopyState::missing:
      return "missing";
    case CopyState::mismatch:
      return "mismatch";
    case CopyState::unreadable:
      return "unreadable";
  }
  return "unreadable";
}

// ------------------------------------------------------------------------- Staged

BlobStore::Staged::Staged(Staged&& o) noexcept
    : sha256_(std::move(o.sha256_)),
      key_id_(std::move(o.key_id_)),
      encrypted_(o.encrypted_),
      files_(std::move(o.files_)) {
  o.files_.clear();
}

BlobStore::Staged& BlobStore::Staged::operator=(Staged&& o) noexcept {
  if (this != &o) {
    discard();
    sha256_ = std::move(o.sha256_);
    key_id_ = std::move(o.key_id_);
    encrypted_ = o.encrypted_;
    files_ = std::move(o.files_);
    o.files_.clear();
  }
  return *this;
}

BlobStore::Staged::~Staged() { discard(); }

void BlobStore::Staged::discard() {
  for (auto& [tmp, final_path] : files_) ::unlink(tmp.c_str());
  files_.clear();
}

// ------------------------------------------------------------------------- BlobStore

BlobStore::BlobStore(BlobStoreConfig config) : config_(std::move(config)) { crypto::init(); }

Result<const BlobStore::Key*> BlobStore::key() {
  std::lock_guard lock(key_mu_);
  if (key_) return &*key_;
  Key k;
  if (!config_.key_hex.empty()) {
    if (!parse_key_hex(config_.key_hex, k.bytes))
      return fail(ErrorCode::internal, "blob_key must be 64 hexadecimal digits");
  } else {
    const fs::path& file = config_.key_file;
    if (!fs::exists(file)) {
      // Written under a temporary name, then linked into place: link() fails when
      // another process got there first, and then its key is the key.
      TRY_STATUS(make_dirs(file.parent_path().empty() ? fs::path(".") : file.parent_path()));
      std::array<unsigned char, 32> fresh{};
      randombytes_buf(fresh.data(), fresh.size());
      char hex[65];
      sodium_bin2hex(hex, sizeof hex, fresh.data(), fresh.size());
      sodium_memzero(fresh.data(), fresh.size());
      fs::path tmp = file;
      tmp += ".tmp-" + crypto::random_hex(6);
      {
        Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
        if (fd.fd < 0)
          return fail(ErrorCode::internal, "cannot create the blob key file " + file.string() +
                                               ": " + errno_text(errno));
        std::string line = std::string(hex) + "\n";
        sodium_memzero(hex, sizeof hex);
        auto w =
            write_all(fd.fd, reinterpret_cast<const unsigned char*>(line.data()), line.size(), tmp);
        sodium_memzero(line.data(), line.size());
        if (!w || ::fsync(fd.fd) != 0) {
          ::unlink(tmp.c_str());
          return fail(ErrorCode::internal, "cannot write the blob key file " + file.string());
        }
      }
      int linked = ::link(tmp.c_str(), file.c_str());
      int link_errno = errno;
      ::unlink(tmp.c_str());
      if (linked != 0 && link_errno != EEXIST)
        return fail(ErrorCode::internal, "cannot create the blob key file " + file.string() + ": " +
                                             errno_text(link_errno));
      (void)fsync_dir(file.parent_path().empty() ? fs::path(".") : file.parent_path());
      if (linked == 0) spdlog::warn("event=blob_key_created file={}", file.string());
    }
    struct stat st {};
    if (::stat(file.c_str(), &st) == 0 && (st.st_mode & 077) != 0)
      spdlog::warn("event=blob_key_file_mode file={} mode={:o} expected=600", file.string(),
                   st.st_mode & 0777);
    std::ifstream in(file);
    std::string text;
    std::getline(in, text);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
    bool ok = parse_key_hex(text, k.bytes);
    sodium_memzero(text.data(), text.size());
    if (!ok)
      return fail(ErrorCode::internal,
                  "the blob key file " + file.string() + " does not hold 64 hexadecimal digits");
  }
  k.id = key_id_of(k.bytes.data());
  key_ = k;
  sodium_memzero(k.bytes.data(), k.bytes.size());
  spdlog::info("event=blob_key_loaded key_id={}", key_->id);
  return &*key_;
}

Result<std::string> BlobStore::key_id() {
  auto k = TRY(key());
  return k->id;
}

Result<BlobStore::Staged> BlobStore::stage(std::string_view sha256, std::string_view plaintext,
                                           bool encrypt) {
  if (!valid_sha256(sha256))
    return fail(ErrorCode::internal, "not a SHA-256: " + std::string(sha256));
  const Key* k = nullptr;
  if (encrypt) k = TRY(key());

  Staged staged;
  staged.sha256_ = std::string(sha256);
  staged.encrypted_ = encrypt;
  if (k) staged.key_id_ = k->id;
  std::vector<fs::path> dirs{config_.dir};
  if (has_replica()) dirs.push_back(config_.replica_dir);
  std::vector<Fd> fds;
  fds.reserve(dirs.size());
  for (auto& dir : dirs) {
    TRY_STATUS(make_dirs(tmp_dir(dir)));
    fs::path tmp = tmp_dir(dir) / (std::string(sha256) + "." + crypto::random_hex(6) + ".tmp");
    fds.emplace_back(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (fds.back().fd < 0)
      return fail(ErrorCode::unavailable,
                  "cannot create " + tmp.string() + ": " + errno_text(errno));
    staged.files_.emplace_back(tmp, blob_path(dir, sha256));
  }
  auto write_everywhere = [&](const unsigned char* p, std::size_t n) -> Status {
    for (std::size_t i = 0; i < fds.size(); ++i)
      TRY_STATUS(write_all(fds[i].fd, p, n, staged.files_[i].first));
    return {};
  };

  if (!encrypt) {
    // Large writes in slices, so a failing disk reports early.
    for (std::size_t off = 0; off < plaintext.size(); off += 1 << 20) {
      std::size_t n = std::min<std::size_t>(1 << 20, plaintext.size() - off);
      TRY_STATUS(
          write_everywhere(reinterpret_cast<const unsigned char*>(plaintext.data()) + off, n));
    }
  } else {
    unsigned char header[kHeaderBytes];
    std::memcpy(header, kMagic, sizeof kMagic);
    std::size_t id_len = 0;
    sodium_hex2bin(header + sizeof kMagic, kKeyIdBytes, k->id.data(), k->id.size(), nullptr,
                   &id_len, nullptr);
    crypto_secretstream_xchacha20poly1305_state st;
    crypto_secretstream_xchacha20poly1305_init_push(&st, header + sizeof kMagic + kKeyIdBytes,
                                                    k->bytes.data());
    TRY_STATUS(write_everywhere(header, sizeof header));
    std::vector<unsigned char> out(kSealedChunk);
    std::size_t off = 0;
    do {
      std::size_t n = std::min(kChunk, plaintext.size() - off);
      bool last = off + n == plaintext.size();
      unsigned long long out_len = 0;
      crypto_secretstream_xchacha20poly1305_push(
          &st, out.data(), &out_len, reinterpret_cast<const unsigned char*>(plaintext.data()) + off,
          n, nullptr, 0,
          last ? crypto_secretstream_xchacha20poly1305_TAG_FINAL
               : crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
      TRY_STATUS(write_everywhere(out.data(), static_cast<std::size_t>(out_len)));
      off += n;
    } while (off < plaintext.size());
    sodium_memzero(&st, sizeof st);
  }
  for (std::size_t i = 0; i < fds.size(); ++i)
    if (::fsync(fds[i].fd) != 0)
      return fail(ErrorCode::unavailable, "cannot sync " + staged.files_[i].first.string());
  return staged;
}

Status BlobStore::publish(Staged& staged) {
  for (auto& [tmp, final_path] : staged.files_) {
    TRY_STATUS(make_dirs(final_path.parent_path()));
    if (::rename(tmp.c_str(), final_path.c_str()) != 0)
      return fail(ErrorCode::unavailable,
                  "cannot move a blob into " + final_path.string() + ": " + errno_text(errno));
    TRY_STATUS(fsync_dir(final_path.parent_path()));
  }
  staged.files_.clear();
  return {};
}

CopyCheck BlobStore::scan_copy(const fs::path& dir, std::string_view sha256, std::string* sink) {
  CopyCheck out;
  fs::path file = blob_path(dir, sha256);
  Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.fd < 0) {
    out.state = errno == ENOENT ? CopyState::missing : CopyState::unreadable;
    return out;
  }
  unsigned char header[kHeaderBytes];
  ssize_t got = read_full(fd.fd, header, sizeof header);
  if (got < 0) {
    out.state = CopyState::unreadable;
    return out;
  }
  auto plain = [&]() -> CopyCheck {
    CopyCheck c;
    if (::lseek(fd.fd, 0, SEEK_SET) != 0) return {CopyState::unreadable, false};
    if (sink) sink->clear();
    Sha256 h;
    std::vector<unsigned char> buf(1 << 20);
    for (;;) {
      ssize_t n = read_full(fd.fd, buf.data(), buf.size());
      if (n < 0) return {CopyState::unreadable, false};
      if (n == 0) break;
      std::string_view part(reinterpret_cast<const char*>(buf.data()), static_cast<std::size_t>(n));
      h.update(part);
      if (sink) sink->append(part);
    }
    c.state = h.hex() == sha256 ? CopyState::ok : CopyState::mismatch;
    return c;
  };
  if (static_cast<std::size_t>(got) < sizeof header ||
      std::memcmp(header, kMagic, sizeof kMagic) != 0)
    return plain();

  out.encrypted = true;
  auto k = key();
  if (!k) {
    out.state = CopyState::unreadable;
    return out;
  }
  char id_hex[2 * kKeyIdBytes + 1];
  sodium_bin2hex(id_hex, sizeof id_hex, header + sizeof kMagic, kKeyIdBytes);
  if ((*k)->id != id_hex) {
    // Another key wrote it (or the header is damaged): unless the bytes are plaintext
    // that happens to start with the magic, it cannot be checked with this key.
    CopyCheck c = plain();
    if (c.state == CopyState::ok) return c;
    spdlog::warn("event=blob_other_key sha256={} key_id={}", sha256, id_hex);
    return {CopyState::unreadable, true};
  }
  crypto_secretstream_xchacha20poly1305_state st;
  if (crypto_secretstream_xchacha20poly1305_init_pull(&st, header + sizeof kMagic + kKeyIdBytes,
                                                      (*k)->bytes.data()) != 0)
    return {CopyState::mismatch, true};
  Sha256 h;
  if (sink) sink->clear();
  std::vector<unsigned char> in(kSealedChunk), msg(kChunk);
  bool finished = false;
  for (;;) {
    ssize_t n = read_full(fd.fd, in.data(), in.size());
    if (n < 0) return {CopyState::unreadable, true};
    if (n == 0) break;
    if (finished) {  // bytes after the final chunk
      finished = false;
      break;
    }
    unsigned long long msg_len = 0;
    unsigned char tag = 0;
    if (crypto_secretstream_xchacha20poly1305_pull(&st, msg.data(), &msg_len, &tag, in.data(),
                                                   static_cast<std::size_t>(n), nullptr, 0) != 0) {
      CopyCheck c = plain();  // plaintext that starts with the magic
      if (c.state == CopyState::ok) return c;
      return {CopyState::mismatch, true};
    }
    std::string_view part(reinterpret_cast<const char*>(msg.data()),
                          static_cast<std::size_t>(msg_len));
    h.update(part);
    if (sink) sink->append(part);
    if (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL) finished = true;
  }
  sodium_memzero(&st, sizeof st);
  if (!finished) {  // truncated, or trailing bytes
    CopyCheck c = plain();
    if (c.state == CopyState::ok) return c;
    return {CopyState::mismatch, true};
  }
  return {h.hex() == sha256 ? CopyState::ok : CopyState::mismatch, true};
}

CopyCheck BlobStore::check(const fs::path& dir, std::string_view sha256) {
  return scan_copy(dir, sha256, nullptr);
}

Result<std::string> BlobStore::read(std::string_view sha256) {
  if (!valid_sha256(sha256)) return not_found("no such blob");
  std::string out;
  CopyCheck primary = scan_copy(config_.dir, sha256, &out);
  if (primary.state == CopyState::ok) return out;
  if (has_replica()) {
    CopyCheck replica = scan_copy(config_.replica_dir, sha256, &out);
    if (replica.state == CopyState::ok) {
      spdlog::warn("event=blob_read_from_replica sha256={} primary={}", sha256,
                   to_string(primary.state));
      return out;
    }
    if (primary.state == CopyState::missing && replica.state == CopyState::missing)
      return not_found("the content of this attachment is missing from the blob store");
  } else if (primary.state == CopyState::missing) {
    return not_found("the content of this attachment is missing from the blob store");
  }
  spdlog::error("event=blob_damaged sha256={} primary={}", sha256, to_string(primary.state));
  return fail(ErrorCode::internal,
              "the stored content of this attachment is damaged (fixity check failed)");
}

Status BlobStore::copy(const fs::path& from, const fs::path& to, std::string_view sha256) {
  fs::path src = blob_path(from, sha256);
  Fd in(::open(src.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.fd < 0) return fail(ErrorCode::unavailable, "cannot open " + src.string());
  TRY_STATUS(make_dirs(tmp_dir(to)));
  fs::path tmp = tmp_dir(to) / (std::string(sha256) + "." + crypto::random_hex(6) + ".tmp");
  Staged staged;  // removes the temporary file on any failure
  staged.files_.emplace_back(tmp, blob_path(to, sha256));
  Fd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (out.fd < 0) return fail(ErrorCode::unavailable, "cannot create " + tmp.string());
  std::vector<unsigned char> buf(1 << 20);
  for (;;) {
    ssize_t n = read_full(in.fd, buf.data(), buf.size());
    if (n < 0) return fail(ErrorCode::unavailable, "cannot read " + src.string());
    if (n == 0) break;
    TRY_STATUS(write_all(out.fd, buf.data(), static_cast<std::size_t>(n), tmp));
  }
  if (::fsync(out.fd) != 0) return fail(ErrorCode::unavailable, "cannot sync " + tmp.string());
  return publish(staged);
}

void BlobStore::remove(std::string_view sha256) {
  if (!valid_sha256(sha256)) return;
  for (const fs::path* dir : {&config_.dir, &config_.replica_dir}) {
    if (dir->empty()) continue;
    fs::path p = blob_path(*dir, sha256);
    if (::unlink(p.c_str()) == 0)
      (void)fsync_dir(p.parent_path());
    else if (errno != ENOENT)
      spdlog::warn("event=blob_remove_failed sha256={} error=\"{}\"", sha256, errno_text(errno));
  }
}

bool BlobStore::exists(std::string_view sha256) const {
  std::error_code ec;
  return valid_sha256(sha256) && fs::exists(blob_path(config_.dir, sha256), ec);
}

int BlobStore::sweep_temporary(std::chrono::seconds age) {
  int removed = 0;
  auto cutoff = fs::file_time_type::clock::now() - age;
  for (const fs::path* dir : {&config_.dir, &config_.replica_dir}) {
    if (dir->empty()) continue;
    std::error_code ec;
    for (auto it = fs::directory_iterator(tmp_dir(*dir), ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
      std::error_code e2;
      if (it->is_regular_file(e2) && it->last_write_time(e2) < cutoff && !e2 &&
          fs::remove(it->path(), e2))
        ++removed;
    }
  }
  return removed;
}

}  // namespace dangan::catalogue
