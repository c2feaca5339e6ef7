// bulk.cpp — many upserts in one transaction, text prepared on worker threads.
//
// Documents are gathered into batches; each full batch is prepared (analysis::prepare,
// the expensive part) by a task on a worker thread, and the caller's thread writes
// finished batches in the order they were added, so the Tx never leaves that thread.
// At most kAheadChunks write chunks of batches (plus 2 × threads) are in flight, and at
// most kAheadBytes of document text, which bounds memory.
//
// The tasks run on a pool of threads that lives as long as the process: text preparation
// keeps per-thread tools (ICU's break iterator and Han-Latin transliterator, OpenCC's
// converter, the stemmer) that take milliseconds to make, and a thread per batch, as
// std::async gives, made them again for every 256 documents (measured at 100k records:
// 50 → 42 µs of text preparation a record; at 8k, 8% of all the CPU time went to parsing
// the transliterator's rules).
//
// Writes go out in chunks sorted by srowid: FTS5 writes the terms it holds in memory to a
// new segment whenever a rowid is not above the last one, and candidate order makes
// rowids of consecutive documents jump between tiers; unsorted, a bulk load made a
// segment per document and ran at half the speed (measured).
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

#include "search/search_internal.h"

namespace dangan::search {

namespace {
constexpr std::size_t kBatch = 256;
// A chunk is also the size of the index segment FTS5 writes (see the top): 4096 was
// measured faster than 1024, 2048, 8192 and 16384 (bigger segments make FTS5's in-memory
// hash table outgrow the CPU caches; smaller ones make more merging).
constexpr std::size_t kWriteChunk = 4096;
// Text prepared ahead of the writing thread, in chunks. FTS5 merges segments now and then
// while a chunk is written, which holds the writing thread for a while; with only one
// chunk ahead the preparing threads soon had nothing left to do and stopped, and after
// the merge the writing thread waited for them (measured at 300k records: the writing
// thread idle 6 µs a record; 1M records 17,600 → 19,800/s with 4 chunks ahead; 8 were
// no faster).
constexpr std::size_t kAheadChunks = 4;
// …and no more than about this much document text: attachment text can make a document
// 256 KB and more, where 4 chunks of them would be 4 GB. add() drops what is past
// analysis::kMaxContentBytes (it would not be indexed anyway), a batch goes to the
// workers early when its text passes kBatchBytes, and a chunk is written early when its
// text passes kChunkBytes. What waits in memory is then at most kAheadBytes of text plus
// a batch, and about three times that with the prepared terms and rows.
constexpr std::size_t kAheadBytes = std::size_t{64} << 20;
constexpr std::size_t kChunkBytes = std::size_t{16} << 20;
constexpr std::size_t kBatchBytes = std::size_t{4} << 20;
constexpr const char* kSetHashsize =
    "INSERT INTO search_fts(search_fts, rank) VALUES ('hashsize', ?)";
constexpr std::int64_t kDefaultHashsize = 1 << 20;  // FTS5's
constexpr const char* kSetAutomerge =
    "INSERT INTO search_fts(search_fts, rank) VALUES ('automerge', ?)";
constexpr std::int64_t kDefaultAutomerge = 4;  // FTS5's
constexpr std::int64_t kBulkAutomerge = 16;

struct Batch {
  std::vector<Document> docs;
  std::vector<PreparedDoc> prepared;
  std::size_t bytes = 0;  // text of the documents (text_bytes)
};

// The measure of a document's memory while it waits: its text (the prepared terms and
// row add about twice as much again; see kAheadBytes).
std::size_t text_bytes(const Document& d) {
  std::size_t n = d.reference_code.size() + d.title.size() + d.description.size() +
                  d.creator.size() + d.content.size();
  for (const auto& k : d.keywords) n += k.size();
  return n;
}

// Threads that run tasks in the order given; grown on demand, never stopped (they sleep
// when idle; the process ends them at exit).
class Pool {
 public:
  static Pool& instance() {
    static Pool* pool = new Pool();  // never destroyed: its threads are detached
    return *pool;
  }
  void ensure(int threads) {
    std::lock_guard lk(mu_);
    while (started_ < threads) {
      std::thread([this] { run(); }).detach();
      ++started_;
    }
  }
  void post(std::function<void()> task) {
    {
      std::lock_guard lk(mu_);
      tasks_.push_back(std::move(task));
    }
    cv_.notify_one();
  }
  // Runs the oldest task not yet started on the calling thread; false when there is none.
  bool run_one() {
    std::function<void()> task;
    {
      std::lock_guard lk(mu_);
      if (tasks_.empty()) return false;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
    return true;
  }

 private:
  void run() {
    while (true) {
      std::function<void()> task;
      {
        std::unique_lock lk(mu_);
        cv_.wait(lk, [this] { return !tasks_.empty(); });
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  int started_ = 0;
};
}  // namespace

// One thread fewer than there are cores: the writing thread, which bounds a load, keeps a
// core to itself (it prepares batches only when it would otherwise wait) instead of
// sharing it with a preparing thread that the scheduler runs in its place (measured on 2 cores,
// 100k documents on SQLite: 17,600–17,900 documents/s with one preparing thread, 16,500–17,200 with
// two; preparing takes ~41 µs a document and writing ~45, so one thread keeps up).
namespace {
int default_threads() {
  return static_cast<int>(std::max(2u, std::thread::hardware_concurrency()) - 1);
}
}  // namespace

struct Bulk::State {
  store::Tx& tx;
  int threads;
  bool fresh;
  std::vector<Document> pending;
  std::deque<std::future<Batch>> in_flight;
  std::size_t pending_bytes = 0;
  std::size_t ahead_bytes = 0;  // text in flight and in `ready`
  std::int64_t written = 0;
  std::optional<Error> failed;
  std::vector<Batch> ready;                 // prepared, waiting for a full chunk
  std::optional<std::int64_t> saved_cache;  // SQLite page cache size to restore
  std::size_t ready_docs = 0;
  std::size_t ready_bytes = 0;
  bool fts_hashsize = false;                    // FTS5's hashsize raised for the load (SQLite)
  std::optional<std::int64_t> saved_automerge;  // FTS5's automerge before the load (SQLite)

  Status write_ready() {
    struct Item {
      std::int64_t order;
      Document* doc;
      PreparedDoc* prepared;
    };
    std::vector<Item> items;
    items.reserve(ready_docs);
    for (auto& b : ready) {
      for (std::size_t i = 0; i < b.docs.size(); ++i) {
        const Document& d = b.docs[i];
        auto kind = detail::kind_code(d.kind);
        std::int64_t order = detail::make_srowid(
            detail::tier_of(d.important, d.use_count, d.cited_by, d.source_authority),
            kind ? *kind : 0, d.id);
        items.push_back({order, &b.docs[i], &b.prepared[i]});
      }
    }
    std::sort(items.begin(), items.end(),
              [](const Item& a, const Item& b) { return a.order < b.order; });
    std::vector<const Document*> docs;
    std::vector<const PreparedDoc*> prepared;
    docs.reserve(items.size());
    prepared.reserve(items.size());
    for (const Item& it : items) {
      docs.push_back(it.doc);
      prepared.push_back(it.prepared);
    }
    auto st = upsert_prepared_many(tx, docs, prepared, fresh);
    if (!st) {
      failed = st.error();
      return st;
    }
    written += static_cast<std::int64_t>(items.size());
    ready.clear();
    ahead_bytes -= ready_bytes;
    ready_docs = 0;
    ready_bytes = 0;
    return {};
  }

  Status write_oldest() {
    // Rather than wait for the batch, this thread prepares batches itself (the one it
    // waits for, if no worker has started it yet): at the start of a load, and whenever
    // the workers fall behind, it would otherwise sit idle (measured: BENCHMARKS.md
    // "Session 7").
    auto& next = in_flight.front();
    while (next.wait_for(std::chrono::seconds(0)) != std::future_status::ready &&
           Pool::instance().run_one()) {
    }
    Batch b = next.get();
    in_flight.pop_front();
    if (failed) return std::unexpected(*failed);
    ready_docs += b.docs.size();
    ready_bytes += b.bytes;
    ready.push_back(std::move(b));
    if (ready_docs >= kWriteChunk || ready_bytes >= kChunkBytes) return write_ready();
    return {};
  }

  // Batches queued for the workers or prepared and not yet taken. Writing a chunk keeps
  // this thread busy for a while (4096 documents, about a quarter of a second); the
  // workers must have batches queued meanwhile, or they run dry after the few batches in
  // flight and this thread then waits for a whole chunk to be prepared before it can
  // write again: preparing and writing took turns instead of overlapping (measured at 1M
  // on SQLite: 10,000 documents/s with the writing thread busy 68% of the time, when
  // 2 × threads batches were the limit). See kAheadChunks for how many.
  std::size_t max_in_flight() const {
    return kAheadChunks * kWriteChunk / kBatch + 2 * static_cast<std::size_t>(threads);
  }

  Status submit() {
    if (failed) return std::unexpected(*failed);
    if (pending.empty()) return {};
    std::vector<Document> docs;
    docs.swap(pending);
    pending.reserve(kBatch);
    const std::size_t bytes = pending_bytes;
    pending_bytes = 0;
    auto task = std::make_shared<std::packaged_task<Batch()>>(
        [docs = std::move(docs), bytes, backend = tx.backend()]() mutable {
          Batch b;
          b.prepared.reserve(docs.size());
          for (const auto& d : docs) b.prepared.push_back(prepare_doc(d, backend));
          b.docs = std::move(docs);
          b.bytes = bytes;
          return b;
        });
    in_flight.push_back(task->get_future());
    ahead_bytes += bytes;
    Pool::instance().post([task] { (*task)(); });
    // `ready` holds less than kChunkBytes (write_oldest writes it out past that), so when
    // there is more than kAheadBytes ahead, some of it is in flight.
    while (!in_flight.empty() && (in_flight.size() > max_in_flight() || ahead_bytes > kAheadBytes))
      TRY_STATUS(write_oldest());
    return {};
  }
};

Bulk::Bulk(store::Tx& tx, int threads, bool fresh)
    : state_(std::make_unique<State>(State{tx, threads > 0 ? threads : default_threads(), fresh})) {
  state_->pending.reserve(kBatch);
  Pool::instance().ensure(state_->threads);
  // SQLite: a bigger page cache for the writer while the load lasts. With the default
  // 2 MB, a long transaction spills pages to the WAL and reads them back (measured: an
  // eighth of a bulk load's time in pwrite and pread).
  if (tx.backend() == store::Backend::sqlite) {
    if (auto row = tx.maybe_one("PRAGMA cache_size", {}); row && *row) {
      state_->saved_cache = (*row)->i64(0);
      (void)tx.exec_script("PRAGMA cache_size = -262144");
    }
    // FTS5 writes the terms it holds in memory to a new segment, and merges segments,
    // whenever they pass `hashsize` (1 MB by default, a few hundred documents here); with
    // 64 MB a load makes ~50 times fewer segments to merge (measured: a third less time
    // writing). Restored by finish(), inside the same transaction.
    state_->fts_hashsize = tx.exec(kSetHashsize, {std::int64_t{64} << 20}).has_value();
    // FTS5 merges a level's segments into one of the next level once `automerge` of them
    // are there (4 by default); 16 during a load merges each posting a third as often.
    // Measured at 1M documents: the writing thread 65 → 56 µs a document; the index has
    // more segments until later writes merge them (searches right after: p50 1.42 → 1.58
    // ms). Restored by finish() to what it was.
    auto am = tx.maybe_one("SELECT v FROM search_fts_config WHERE k = 'automerge'", {});
    if (am) {
      std::int64_t before = *am && !(*am)->is_null(0) ? (*am)->i64(0) : kDefaultAutomerge;
      if (tx.exec(kSetAutomerge, {kBulkAutomerge})) state_->saved_automerge = before;
    }
  }
}

Bulk::~Bulk() {
  // Wait for running tasks: they own their documents, never the Tx.
  for (auto& f : state_->in_flight) f.wait();
  if (state_->saved_cache)
    (void)state_->tx.exec_script("PRAGMA cache_size = " + std::to_string(*state_->saved_cache));
}

Status Bulk::add(Document doc) {
  if (state_->failed) return std::unexpected(*state_->failed);
  doc.content.resize(analysis::indexed_content_size(doc.content));
  state_->pending_bytes += text_bytes(doc);
  state_->pending.push_back(std::move(doc));
  if (state_->pending.size() >= kBatch || state_->pending_bytes >= kBatchBytes)
    return state_->submit();
  return {};
}

Status Bulk::finish() {
  TRY_STATUS(state_->submit());
  while (!state_->in_flight.empty()) TRY_STATUS(state_->write_oldest());
  TRY_STATUS(state_->write_ready());
  if (state_->fts_hashsize) {
    TRY(state_->tx.exec(kSetHashsize, {kDefaultHashsize}));
    state_->fts_hashsize = false;
  }
  if (state_->saved_automerge) {
    TRY(state_->tx.exec(kSetAutomerge, {*state_->saved_automerge}));
    state_->saved_automerge.reset();
  }
  return {};
}

std::int64_t Bulk::written() const { return state_->written; }
int Bulk::threads() const { return state_->threads; }

Status clear(store::Tx& tx) {
  if (tx.backend() == store::Backend::sqlite)
    TRY(tx.exec("INSERT INTO search_fts(search_fts) VALUES ('delete-all')"));
  TRY(tx.exec("DELETE FROM search_docs"));
  return {};
}

}  // namespace dangan::search
