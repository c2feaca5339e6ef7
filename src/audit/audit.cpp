#include "audit/audit.h"

#include <spdlog/spdlog.h>

#include <mutex>

#include "core/crypto.h"
#include "core/cursor.h"

namespace dangan::audit {
namespace {

constexpr std::int64_t kChainLock = 0x64616e67;  // "dang": advisory lock id on PostgreSQL
constexpr const char* kGenesis = "0000000000000000000000000000000000000000000000000000000000000000";

struct Fields {
  std::int64_t seq;
  std::string at;
  std::optional<std::int64_t> actor_id;
  std::string actor_name, actor_role, action, entity_type, entity_id;
  std::optional<std::int64_t> patron_id;
  std::string reason, request_id, detail;
};

std::string chain_hash(const std::string& prev, const Fields& f) {
  // Unit separators keep field boundaries unambiguous.
  std::string s = prev;
  auto add = [&](const std::string& v) {
    s.push_back('\x1f');
    s += v;
  };
  add(std::to_string(f.seq));
  add(f.at);
  add(f.actor_id ? std::to_string(*f.actor_id) : "");
  add(f.actor_name);
  add(f.actor_role);
  add(f.action);
  add(f.entity_type);
  add(f.entity_id);
  add(f.patron_id ? std::to_string(*f.patron_id) : "");
  add(f.reason);
  add(f.request_id);
  add(f.detail);
  return crypto::sha256_hex(s);
}

// The chain's head, read once per transaction under the chain lock.
struct Head {
  std::int64_t seq = 0;
  std::string hash = kGenesis;
};

Result<Head> lock_head(store::Tx& tx) {
  if (tx.backend() == store::Backend::postgres)
    TRY(tx.query("SELECT pg_advisory_xact_lock(?)", {kChainLock}));
  auto last = TRY(tx.maybe_one("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", {}));
  Head h;
  if (last) h = {last->i64(0), last->str(1)};
  return h;
}

// The fields of the entry that follows `head`.
Fields fields_of(const Head& head, const Actor& by, const Entry& e, const std::string& at) {
  Fields f;
  f.seq = head.seq + 1;
  f.at = at;
  if (by.user_id) f.actor_id = by.user_id;
  f.actor_name = by.username;
  f.actor_role = std::string(to_string(by.role));
  f.action = e.action;
  f.entity_type = e.entity_type;
  f.entity_id = e.entity_id;
  f.patron_id = e.patron_id;
  f.reason = e.reason;
  f.request_id = by.request_id;
  f.detail = e.detail.dump();
  return f;
}

constexpr const char* kInsert =
    "INSERT INTO audit_log (seq, at, actor_id, actor_name, actor_role, action, entity_type, "
    "entity_id, patron_id, reason, request_id, detail, prev_hash, hash)";
constexpr std::size_t kColumns = 14;

// The entry's row (in kInsert's order), chained after `head`, which it advances.
void add_row(store::Params& p, Head& head, Fields&& f) {
  std::string hash = chain_hash(head.hash, f);
  p.insert(p.end(), {f.seq, std::move(f.at), store::opt(f.actor_id), std::move(f.actor_name),
                     std::move(f.actor_role), std::move(f.action), std::move(f.entity_type),
                     std::move(f.entity_id), store::opt(f.patron_id), std::move(f.reason),
                     std::move(f.request_id), std::move(f.detail), head.hash, hash});
  head = {f.seq, std::move(hash)};
}

// Appends after `head` and advances it.
Status append_after(store::Tx& tx, Head& head, const Actor& by, const Entry& e,
                    const std::string& at) {
  store::Params p;
  add_row(p, head, fields_of(head, by, e, at));
  TRY(store::insert_rows(tx, kInsert, kColumns, p));
  return {};
}

}  // namespace

Status append(store::Tx& tx, const Actor& by, const Entry& entry, const Clock& clock) {
  Head head = TRY(lock_head(tx));
  return append_after(tx, head, by, entry, format_time(clock.now()));
}

Status append_many(store::Tx& tx, const Actor& by, const std::vector<Entry>& entries,
                   const Clock& clock) {
  if (entries.empty()) return {};
  Head head = TRY(lock_head(tx));
  std::string at = format_time(clock.now());
  store::Params p;
  p.reserve(entries.size() * kColumns);
  for (const Entry& e : entries) add_row(p, head, fields_of(head, by, e, at));
  TRY(store::insert_rows(tx, kInsert, kColumns, p, {}, 128));
  return {};
}

ReadRecorder::ReadRecorder(store::Database& db, std::chrono::milliseconds interval)
    : db_(db), interval_(interval), thread_([this] { loop(); }) {}

ReadRecorder::~ReadRecorder() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void ReadRecorder::record(const Actor& by, Entry entry) {
  std::size_t n;
  {
    std::lock_guard lock(mu_);
    pending_.emplace_back(by, std::move(entry));
    n = pending_.size();
  }
  if (n >= 512) cv_.notify_all();
}

void ReadRecorder::flush() {
  // One flush at a time: a flush that finds nothing pending waits for the one in progress
  // (the background loop's), so after flush() returns every entry recorded before it is
  // written. Without this a test's flush() could return while the loop's batch was still
  // being committed (seen on PostgreSQL under load).
  static std::mutex writing;
  std::lock_guard serial(writing);
  std::vector<std::pair<Actor, Entry>> batch;
  {
    std::lock_guard lock(mu_);
    batch.swap(pending_);
  }
  if (batch.empty()) return;
  if (auto s = write(batch); !s)
    spdlog::error("event=audit_flush_failed entries={} code={} message={}", batch.size(),
                  to_string(s.error().code), s.error().message);
}

void ReadRecorder::loop() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait_for(lock, interval_, [&] { return stopping_ || pending_.size() >= 512; });
    bool stop = stopping_;
    lock.unlock();
    flush();
    lock.lock();
    if (stop && pending_.empty()) return;
  }
}

Status ReadRecorder::write(std::vector<std::pair<Actor, Entry>>& batch) {
  // Retries once: a busy database must not drop audit entries.
  for (int attempt = 0;; ++attempt) {
    auto tx = db_.begin(store::TxMode::write);
    Status s = tx ? Status{} : std::unexpected(tx.error());
    if (s) {
      std::string at = format_time(system_clock().now());
      auto head = lock_head(**tx);
      if (!head) s = std::unexpected(head.error());
      for (auto it = batch.begin(); s && it != batch.end(); ++it)
        s = append_after(**tx, *head, it->first, it->second, at);
      if (s) s = (*tx)->commit();
    }
    if (s || attempt >= 3) return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(50 * (attempt + 1)));
  }
}

Result<VerifyReport> verify(store::Database& db) {
  auto tx = TRY(db.begin(store::TxMode::read));
  VerifyReport report;
  std::string prev = kGenesis;
  std::int64_t expected_seq = 1;
  std::int64_t after = 0;
  // Pages through the chain so that a long log does not need to fit in memory.
  while (true) {
    auto rows = TRY(tx->query(
        "SELECT seq, at, actor_id, actor_name, actor_role, action, entity_type, entity_id, "
        "patron_id, reason, request_id, detail, prev_hash, hash FROM audit_log WHERE seq > ? "
        "ORDER BY seq LIMIT 5000",
        {after}));
    if (rows.empty()) break;
    for (auto& r : rows) {
      Fields f{r.i64(0), r.str(1), r.opt_i64(2), r.str(3), r.str(4),  r.str(5),
               r.str(6), r.str(7), r.opt_i64(8), r.str(9), r.str(10), r.str(11)};
      ++report.checked;
      auto bad = [&](std::string problem) {
        report.ok = false;
        report.bad_seq = f.seq;
        report.problem = std::move(problem);
      };
      if (f.seq != expected_seq) {
        bad("entries before this one are missing (deleted)");
      } else if (r.str(12) != prev) {
        bad("link to the previous entry is broken (an entry was inserted or deleted)");
      } else if (chain_hash(prev, f) != r.str(13)) {
        bad("entry content does not match its hash (edited)");
      }
      if (!report.ok) return report;
      prev = r.str(13);
      expected_seq = f.seq + 1;
      after = f.seq;
    }
  }
  return report;
}

Result<Page> list(store::Tx& tx, const Query& q) {
  std::string sql =
      "SELECT seq, at, actor_id, actor_name, actor_role, action, entity_type, entity_id, "
      "patron_id, reason, request_id, detail, hash FROM audit_log WHERE 1=1";
  store::Params p;
  if (q.patron_id) sql += " AND patron_id = ?", p.push_back(*q.patron_id);
  if (q.actor) sql += " AND actor_name = ?", p.push_back(*q.actor);
  if (q.from) sql += " AND at >= ?", p.push_back(*q.from);
  if (q.to) sql += " AND at < ?", p.push_back(*q.to);
  if (q.action) sql += " AND action = ?", p.push_back(*q.action);
  if (q.before_seq) sql += " AND seq < ?", p.push_back(*q.before_seq);
  sql += " ORDER BY seq DESC LIMIT ?";
  p.push_back(static_cast<std::int64_t>(q.limit + 1));
  auto rows = TRY(tx.query(sql, p));
  Page page;
  for (std::size_t i = 0; i < rows.size() && static_cast<int>(i) < q.limit; ++i) {
    auto& r = rows[i];
    nlohmann::json detail = nlohmann::json::parse(r.str(11), nullptr, false);
    page.items.push_back({{"seq", r.i64(0)},
                          {"at", r.str(1)},
                          {"actor_id", r.is_null(2) ? nlohmann::json() : nlohmann::json(r.i64(2))},
                          {"actor", r.str(3)},
                          {"actor_role", r.str(4)},
                          {"action", r.str(5)},
                          {"entity_type", r.str(6)},
                          {"entity_id", r.str(7)},
                          {"patron_id", r.is_null(8) ? nlohmann::json() : nlohmann::json(r.i64(8))},
                          {"reason", r.str(9)},
                          {"request_id", r.str(10)},
                          {"detail", detail.is_discarded() ? nlohmann::json::object() : detail},
                          {"hash", r.str(12)}});
  }
  if (static_cast<int>(rows.size()) > q.limit)
    page.next_cursor = cursor::encode_id(rows[q.limit - 1].i64(0));
  return page;
}

Result<std::vector<ReadCount>> personal_reads_since(store::Tx& tx, const std::string& since,
                                                    std::int64_t at_least) {
  auto rows = TRY(tx.query(
      "SELECT actor_id, MAX(actor_name), COUNT(*) FROM audit_log WHERE at >= ? AND patron_id IS "
      "NOT NULL AND actor_id IS NOT NULL AND (action LIKE '%read' OR action LIKE '%.reveal' OR "
      "action = 'record.list') GROUP BY actor_id HAVING COUNT(*) >= ? ORDER BY COUNT(*) DESC",
      {since, at_least}));
  std::vector<ReadCount> out;
  for (auto& r : rows) out.push_back({r.i64(0), r.str(1), r.i64(2)});
  return out;
}

}  // namespace dangan::audit
