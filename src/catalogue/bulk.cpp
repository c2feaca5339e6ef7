// Bulk creation of records (BulkCreator, catalogue.h): create_record_in's checks and
// numbering, with the writes of many records gathered into few statements.
//
// Equivalence with one create after another, which the tests hold it to:
//   - a body is checked by check_new_record, the code create_record_in runs;
//   - numbers: the records of a flush are numbered in the order added; within a series
//     a record without a code takes the next number and an imported code in the series
//     moves the counter to it (number_many), as take_number and claim_number would one
//     after another, and the counters stay locked until commit as theirs do;
//   - a reference code already held (in the table, or by an earlier record of the same
//     flush) fails that record with create_record_in's conflict; an imported code is
//     checked before its series' counter moves, so a refused code never moves it;
//   - audit entries, timeline events and search documents are those create_record_in
//     writes (the search document is built from the input instead of read back).
#include <unordered_map>
#include <unordered_set>

#include "catalogue/internal.h"

namespace dangan::catalogue {

using json = nlohmann::json;
using namespace detail;

namespace {

Error code_taken(const std::string& code) {
  return Error{ErrorCode::conflict, "reference code " + code + " is already used",
               "reference_code"};
}

constexpr const char* kHeldCodes =
    "SELECT reference_code FROM records WHERE number_released = 0 AND reference_code IN";

}  // namespace

struct BulkCreator::State {
  store::Tx& tx;
  const Actor& by;
  Options options;
  const Config& config;
  const Clock& clock;
  Status allowed;
  Lookup look;
  search::Bulk search;

  struct Pending {
    std::size_t ticket = 0;
    NewRecord rec;
    Numbered n;
    bool generated = false;
    std::optional<Error> error;
  };
  std::vector<Pending> queue;
  std::size_t next_ticket = 0;

  State(store::Tx& t, const Actor& a, Options o, const Config& c, const Clock& k)
      : tx(t),
        by(a),
        options(std::move(o)),
        config(c),
        clock(k),
        allowed(staff_may(a, auth::Permission::record_write)),
        look(t),
        // The records are new: their documents cannot be in the index yet.
        search(t, options.search_threads, true) {}

  // Which of `codes` records hold now.
  Result<std::unordered_set<std::string>> held(const std::vector<std::string>& codes) {
    std::unordered_set<std::string> out;
    if (codes.empty()) return out;
    store::Params p(codes.begin(), codes.end());
    auto rows = TRY(store::query_in(tx, kHeldCodes, p));
    for (auto& r : rows) out.insert(r.str(0));
    return out;
  }

  // Imported codes already held fail before any counter moves.
  Status refuse_held_imports() {
    std::vector<std::string> given;
    for (auto& p : queue)
      if (p.rec.reference_code) given.push_back(*p.rec.reference_code);
    auto taken = TRY(held(given));
    for (auto& p : queue)
      if (p.rec.reference_code && taken.count(*p.rec.reference_code))
        p.error = code_taken(*p.rec.reference_code);
    return {};
  }

  Status number() {
    std::vector<SeriesWishes> work;
    std::map<std::pair<std::int64_t, std::string>, std::size_t> slot;
    // (pending index, series slot) of each record that takes a number from number_many.
    std::vector<std::pair<std::size_t, std::size_t>> takers;
    for (std::size_t i = 0; i < queue.size(); ++i) {
      Pending& p = queue[i];
      if (p.error) continue;
      const Scheme& scheme = p.rec.scheme;
      if (scheme.reuse_numbers) {
        // Released numbers are handed out one at a time, as create_record_in does.
        if (p.rec.reference_code) {
          p.n.code = *p.rec.reference_code;
          p.n.series = render_series(scheme.tmpl, p.rec.parts);
          if (auto seq = seq_in_series(p.n.series, p.n.code)) {
            p.n.seq = *seq;
            TRY_STATUS(claim_number(tx, scheme, p.n.series, *seq));
          } else {
            p.n.series.clear();
          }
        } else {
          p.n = TRY(take_number(tx, scheme, p.rec.parts, p.rec.now));
          p.generated = true;
        }
        continue;
      }
      std::string series = render_series(scheme.tmpl, p.rec.parts);
      std::optional<std::int64_t> wish;
      if (p.rec.reference_code) {
        p.n.code = *p.rec.reference_code;
        auto seq = seq_in_series(series, p.n.code);
        if (!seq) continue;  // not in its series: no number, no counter
        p.n.series = series;
        p.n.seq = *seq;
        wish = *seq;
      } else {
        p.n.series = series;
        p.generated = true;
      }
      auto [it, fresh] = slot.emplace(std::pair{scheme.id, series}, work.size());
      if (fresh) work.push_back({scheme.id, series, {}, {}});
      work[it->second].wishes.push_back(wish);
      if (!wish) takers.emplace_back(i, it->second);
    }
    // number_many sorts `work`: remember which series each slot was.
    std::vector<std::pair<std::int64_t, std::string>> key_of(work.size());
    for (std::size_t k = 0; k < work.size(); ++k) key_of[k] = {work[k].scheme_id, work[k].series};
    TRY_STATUS(number_many(tx, work));
    std::map<std::pair<std::int64_t, std::string>, SeriesWishes*> by_key;
    for (auto& w : work) by_key[{w.scheme_id, w.series}] = &w;
    std::vector<std::size_t> used(work.size(), 0);
    for (auto [i, k] : takers) {
      SeriesWishes* w = by_key.at(key_of[k]);
      Pending& p = queue[i];
      p.n.seq = w->taken.at(used[k]++);
      p.n.code = render_code(p.rec.scheme.tmpl, p.rec.parts, p.n.seq);
    }
    return {};
  }

  // A generated code held already (another scheme rendering the same text), or a code
  // an earlier record of this flush has: that record fails, as create_record_in would.
  Status refuse_duplicates() {
    std::vector<std::string> generated;
    for (auto& p : queue)
      if (!p.error && p.generated) generated.push_back(p.n.code);
    auto taken = TRY(held(generated));
    std::unordered_set<std::string> seen;
    for (auto& p : queue) {
      if (p.error) continue;
      if ((p.generated && taken.count(p.n.code)) || !seen.insert(p.n.code).second) {
        p.error = code_taken(p.n.code);
        if (p.n.released_id)  // give the released number back
          TRY(tx.exec("UPDATE released_numbers SET reused_by_record = NULL, reused_at = NULL "
                      "WHERE id = ?",
                      {*p.n.released_id}));
      }
    }
    return {};
  }

  Result<std::unordered_map<std::string, std::int64_t>> insert() {
    const bool pg = tx.backend() == store::Backend::postgres;
    for (int attempt = 0;; ++attempt) {
      store::Params values;
      for (auto& p : queue)
        if (!p.error) record_values(values, p.rec, p.n, by);
      if (values.empty()) return std::unordered_map<std::string, std::int64_t>{};
      // PostgreSQL: another transaction may have committed one of these codes since they
      // were checked; its unique index refuses the statement, and the savepoint lets us
      // look again and leave those records out. (SQLite has one writer: us.)
      if (pg) TRY_STATUS(tx.exec_script("SAVEPOINT bulk_insert"));
      auto rows = store::insert_rows(tx, kRecordInsert, kRecordInsertColumns, values,
                                     "RETURNING id, reference_code");
      if (rows) {
        if (pg) TRY_STATUS(tx.exec_script("RELEASE SAVEPOINT bulk_insert"));
        std::unordered_map<std::string, std::int64_t> ids;
        for (auto& r : *rows) ids.emplace(r.str(1), r.i64(0));
        return ids;
      }
      if (!pg || rows.error().code != ErrorCode::conflict || attempt >= 3)
        return std::unexpected(rows.error());
      TRY_STATUS(
          tx.exec_script("ROLLBACK TO SAVEPOINT bulk_insert; RELEASE SAVEPOINT bulk_insert"));
      std::vector<std::string> codes;
      for (auto& p : queue)
        if (!p.error) codes.push_back(p.n.code);
      auto taken = TRY(held(codes));
      for (auto& p : queue)
        if (!p.error && taken.count(p.n.code)) p.error = code_taken(p.n.code);
    }
  }

  Result<std::vector<Outcome>> flush() {
    std::vector<Outcome> out;
    if (queue.empty()) return out;
    TRY_STATUS(refuse_held_imports());
    TRY_STATUS(number());
    TRY_STATUS(refuse_duplicates());
    auto ids = TRY(insert());
    const std::string today = today_text(clock);
    std::vector<audit::Entry> entries;
    entries.reserve(queue.size());
    out.reserve(queue.size());
    for (auto& p : queue) {
      Outcome o{p.ticket, 0, p.n.code, p.error};
      if (!p.error) {
        auto it = ids.find(p.n.code);
        if (it == ids.end()) return fail(ErrorCode::internal, "a created record was not returned");
        std::int64_t id = o.id = it->second;
        TRY_STATUS(attach_reused_number(tx, p.n, id));
        if (p.rec.location_id)
          TRY(tx.exec(
              "INSERT INTO record_moves (record_id, from_location_id, to_location_id, reason, "
              "moved_by, moved_at) VALUES (?, NULL, ?, 'filed', ?, ?)",
              {id, *p.rec.location_id,
               by.user_id ? store::Value(by.user_id) : store::null_value(), p.rec.now}));
        entries.push_back(create_entry(p.rec, id, p.n));
        for (auto& [k, v] : options.audit_detail.items()) entries.back().detail[k] = v;
        TRY_STATUS(created_event(tx, by, p.rec, id, p.n.code, clock));
        auto path = TRY(look.category_path(p.rec.category_id));
        TRY_STATUS(search.add(new_document(p.rec, id, p.n.code, path, today)));
      }
      out.push_back(std::move(o));
    }
    TRY_STATUS(audit::append_many(tx, by, entries, clock));
    queue.clear();
    return out;
  }
};

BulkCreator::BulkCreator(Service& service, store::Tx& tx, const Actor& by, Options options)
    : state_(std::make_unique<State>(tx, by, std::move(options), service.config_,
                                     service.clock_)) {}

BulkCreator::~BulkCreator() = default;

Result<std::size_t> BulkCreator::add(const json& body) {
  State& s = *state_;
  TRY_STATUS(s.allowed);
  State::Pending p;
  p.rec = TRY(check_new_record(s.look, s.by, body, s.config, now_text(s.clock)));
  p.ticket = s.next_ticket++;
  s.queue.push_back(std::move(p));
  return s.queue.back().ticket;
}

std::size_t BulkCreator::queued() const { return state_->queue.size(); }

Result<std::vector<BulkCreator::Outcome>> BulkCreator::flush() { return state_->flush(); }

Result<std::vector<BulkCreator::Outcome>> BulkCreator::finish() {
  auto out = TRY(state_->flush());
  TRY_STATUS(state_->search.finish());
  return out;
}

}  // namespace dangan::catalogue
