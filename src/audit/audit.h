// audit.h — the append-only, hash-chained audit log.
//
// Every change is audited inside the transaction that makes it (append). Reads of
// personal data are audited through the ReadRecorder, which batches entries and
// writes them in one transaction every few milliseconds: a read costs no fsync of its
// own, and a crash can lose at most the reads of the last flush interval (never a
// change — those commit with their entry).
//
// Chain: entry n stores prev_hash = hash(n-1) and hash = SHA-256 over prev_hash and
// its own fields; seq is previous seq + 1, assigned under a lock (the SQLite writer
// lock; a PostgreSQL advisory transaction lock), so several server processes append
// to one chain. Database triggers refuse UPDATE and DELETE. verify() recomputes the
// chain and reports the first entry that was edited, inserted or deleted.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/actor.h"
#include "core/clock.h"
#include "core/result.h"
#include "store/db.h"

namespace dangan::audit {

struct Entry {
  std::string action;       // "patron.read", "patron.update", "user.login" …
  std::string entity_type;  // "patron", "user", …
  std::string entity_id;
  std::optional<std::int64_t> patron_id;
  std::string reason;
  nlohmann::json detail = nlohmann::json::object();  // never personal values
};

// Appends inside `tx` (a write transaction).
Status append(store::Tx& tx, const Actor& by, const Entry& entry,
              const Clock& clock = system_clock());

// Appends `entries` in order inside `tx`, as append() would one after another, with one
// look-up of the chain's head and multi-row INSERTs (bulk creation: an entry per record
// costs a hash and a share of a statement).
Status append_many(store::Tx& tx, const Actor& by, const std::vector<Entry>& entries,
                   const Clock& clock = system_clock());

// Staff who read personal data (entries about a patron whose action is a read, a list
// read or a reveal) at least `at_least` times since `since`, most first.
struct ReadCount {
  std::int64_t actor_id = 0;
  std::string actor_name;
  std::int64_t reads = 0;
};
Result<std::vector<ReadCount>> personal_reads_since(store::Tx& tx, const std::string& since,
                                                    std::int64_t at_least);

// Batches read entries; flushes every `interval` or at 512 pending, and on destruction.
class ReadRecorder {
 public:
  ReadRecorder(store::Database& db,
               std::chrono::milliseconds interval = std::chrono::milliseconds(20));
  ~ReadRecorder();
  void record(const Actor& by, Entry entry);
  // Writes everything pending now (tests, shutdown).
  void flush();

 private:
  void loop();
  Status write(std::vector<std::pair<Actor, Entry>>& batch);
  store::Database& db_;
  std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<Actor, Entry>> pending_;
  bool stopping_ = false;
  std::thread thread_;
};

struct VerifyReport {
  bool ok = true;
  std::int64_t checked = 0;
  std::optional<std::int64_t> bad_seq;
  std::string problem;
};
Result<VerifyReport> verify(store::Database& db);

struct Query {
  std::optional<std::int64_t> patron_id;
  std::optional<std::string> actor;     // username
  std::optional<std::string> from, to;  // ISO times
  std::optional<std::string> action;
  std::optional<std::int64_t> before_seq;  // cursor
  int limit = 50;
};
struct Page {
  nlohmann::json items = nlohmann::json::array();
  std::optional<std::string> next_cursor;
};
Result<Page> list(store::Tx& tx, const Query& q);

}  // namespace dangan::audit
