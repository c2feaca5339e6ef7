// catalogue.h — fonds, categories, retention periods, reference codes (档号), storage
// locations and the records themselves, with their appraisal and disposal.
//
// A record moves through these states; nothing else changes them:
//
//   active --close--> closed            (a customer left: 销户; its number may be given
//     |                  |               back when the scheme reuses numbers, D37)
//     +--------+---------+
//              |
//   appraisal approved with outcome "dispose" (a manager; never under legal hold)
//              v
//           disposed                     (content and attachments removed; the record
//                                          keeps its code and title; the disposal
//                                          register keeps what, why, who, when)
//
// Reference codes come from the most specific scheme (fonds+category, category, fonds,
// default). A template such as "{fonds}-{category}-{year}-{retention}-{seq:04}" renders
// everything but the sequence into a series; the sequence is the series' counter,
// incremented in the record's transaction (an upsert on scheme_counters, so parallel
// creators — several processes on PostgreSQL too — never get the same number). A code is
// never reused unless the scheme opts in; then a closed record's number is released and
// the next record of that series takes the lowest released number, recorded in
// released_numbers (traceable both ways).
//
// What each audience sees of a record (view_of):
//   archivist, manager ................. everything, secret records included
//   administrator, agent, analyst ...... open and controlled records; secret ones are
//                                         not found
//   auditor ............................ nothing (forbidden)
//   patron (portal) .................... open records; controlled records as their
//                                         catalogue entry only (no description,
//                                         attachments or location) unless lent to
//                                         them or their own file; secret: not found
//                                         (patron_view)
//
// Invariants: every change is one transaction with its audit entry, its search-index
// update and (for a record linked to a patron) a timeline event; disposal never touches
// the disposal register except to append; a record under legal hold cannot be disposed.
#pragma once
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "audit/audit.h"
#include "core/actor.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/result.h"
#include "search/search.h"
#include "store/db.h"

namespace dangan::catalogue {

enum class RecordView { full, entry, none };
// What `by` may see of a record of `access_level` ("open", "controlled", "secret").
RecordView view_of(const Actor& by, const std::string& access_level);
// What a portal account may see of one record, all things known: its own customer file
// in full unless secret; an open record unless under embargo (D44); a controlled record
// when its content was granted (an approved loan) and no embargo holds; otherwise the
// catalogue entry; a secret record never. The record view, its attachments and search
// all follow this.
RecordView patron_view(const std::string& access_level, bool own_file, bool embargoed,
                       bool granted);

// The records whose content a patron has been granted, read inside `tx`. Today that is
// the records on open loans to them (loans::Desk::lent_to): lending a controlled record
// takes a manager's approval, on a stated basis.
using ContentGrants =
    std::function<Result<std::vector<std::int64_t>>(store::Tx&, std::int64_t patron_id)>;

// Template check and rendering, exposed for tests and the scheme preview.
struct CodeParts {
  std::string unit, fonds, category, category_path, year, retention, cabinet, box;
};
// Fails with `invalid` (field "template") unless the template has exactly one {seq} or
// {seq:N} (N = 1..9 digits) and only known placeholders.
Status check_template(const std::string& tmpl);
// The series has "{seq}" where the number goes; the code has the number.
std::string render_series(const std::string& tmpl, const CodeParts& parts);
std::string render_code(const std::string& tmpl, const CodeParts& parts, std::int64_t seq);
// The placeholder names a template uses ("seq" included), in order.
std::vector<std::string> template_placeholders(const std::string& tmpl);
// The number of `code` within `series` ("A-{seq}" and "A-0012" → 12), if it is one.
std::optional<std::int64_t> seq_in_series(const std::string& series, const std::string& code);

struct RecordQuery {
  std::optional<std::int64_t> fonds_id, category_id, patron_id, location_id;
  std::optional<int> year_from, year_to;
  std::optional<std::string> access_level, status, carrier, reference_code_prefix;
  std::string sort = "id";  // id, reference_code, title, year, updated_at; '-' = descending
  std::optional<std::string> cursor;
  int limit = 50;
};

// What OAI-PMH harvesters may collect: open records not under embargo, and open records
// that were disposed of (reported as deleted), ordered by (updated_at, id).
struct HarvestQuery {
  std::optional<std::string> from, until;  // inclusive, fixed-width ISO 8601 UTC
  std::optional<std::int64_t> fonds_id, category_id;  // a category includes its subtree
  std::optional<std::pair<std::string, std::int64_t>> after;  // (updated_at, id) cursor
  std::optional<std::int64_t> id;                               // one record (GetRecord)
  int limit = 100;
};

class Service {
 public:
  Service(store::Database& db, audit::ReadRecorder& reads, const Config& config,
          const Clock& clock = system_clock());

  // Called after a disposal committed, with the SHA-256 of content no attachment uses
  // any more, so the blob store can delete the files.
  void on_content_removed(std::function<void(const std::vector<std::string>&)> callback) {
    on_content_removed_ = std::move(callback);
  }
  // Called after a portal account (patron) was shown a record (trace points, D33).
  void on_patron_view(std::function<void(const Actor&, std::int64_t)> callback) {
    on_patron_view_ = std::move(callback);
  }

  // Where approved access to controlled content comes from (none: it never opens).
  void content_grants(ContentGrants grants) { grants_ = std::move(grants); }
  // The records search shows `patron` in full although they are indexed as controlled:
  // granted ones that are active, controlled and not under embargo, and their own
  // customer files but secret ones. Empty for anyone but a portal account.
  Result<std::vector<std::int64_t>> content_granted(const Actor& patron);

  // Creates the default fonds, category, retention periods and default scheme when they
  // are missing (idempotent; called at start).
  Status ensure_defaults();

  // Fonds (全宗).
  Result<nlohmann::json> create_fonds(const Actor& by, const nlohmann::json& body);
  Result<nlohmann::json> list_fonds(const Actor& by);
  Result<nlohmann::json> update_fonds(const Actor& by, std::int64_t id, const nlohmann::json& body);
  // Categories (门类/类别), a tree; list returns it flat with parent_id and depth.
  Result<nlohmann::json> create_category(const Actor& by, const nlohmann::json& body);
  Result<nlohmann::json> list_categories(const Actor& by);
  Result<nlohmann::json> update_category(const Actor& by, std::int64_t id,
                                         const nlohmann::json& body);
  // Retention periods (保管期限), by code; years null = permanent.
  Result<nlohmann::json> list_retention_periods(const Actor& by);
  Result<nlohmann::json> put_retention_period(const Actor& by, const std::string& code,
                                              const nlohmann::json& body);
  // Reference-code schemes.
  Result<nlohmann::json> create_scheme(const Actor& by, const nlohmann::json& body);
  Result<nlohmann::json> list_schemes(const Actor& by);
  Result<nlohmann::json> update_scheme(const Actor& by, std::int64_t id, const nlohmann::json& body);
  // The code the next record with these fields would get (nothing is reserved).
  Result<nlohmann::json> preview_code(const Actor& by, const nlohmann::json& record_fields);

  // Records. create() needs only title and access_level (description optional); fonds,
  // category and retention fall back to the configured defaults.
  Result<nlohmann::json> create_record(const Actor& by, const nlohmann::json& body);
  // Same, inside the caller's transaction (bulk import); does not commit.
  Result<nlohmann::json> create_record_in(store::Tx& tx, const Actor& by,
                                          const nlohmann::json& body);
  Result<nlohmann::json> get_record(const Actor& by, std::int64_t id);
  Result<nlohmann::json> get_record_by_code(const Actor& by, const std::string& reference_code);
  Result<nlohmann::json> update_record(const Actor& by, std::int64_t id, const nlohmann::json& body,
                                       std::optional<std::int64_t> expected_version);
  Result<nlohmann::json> list_records(const Actor& by, const RecordQuery& q);
  Result<nlohmann::json> close_record(const Actor& by, std::int64_t id, const std::string& reason);
  Result<nlohmann::json> set_legal_hold(const Actor& by, std::int64_t id, bool hold,
                                        const std::string& reason);
  // Typed relations between records (D43): cites, refers_to, part_of.
  Result<nlohmann::json> add_relation(const Actor& by, std::int64_t id, const nlohmann::json& body);
  Status remove_relation(const Actor& by, std::int64_t id, std::int64_t relation_id);
  // Counts a use (a view by a patron, a loan): an importance signal for ranking.
  Status count_use(std::int64_t id);

  // Locations (D37): building > room > cabinet > shelf > box, with capacity.
  Result<nlohmann::json> create_location(const Actor& by, const nlohmann::json& body);
  Result<nlohmann::json> list_locations(const Actor& by, std::optional<std::int64_t> parent_id);
  // Boxes (or shelves) with room left, fullest first within `under`.
  Result<nlohmann::json> vacant_locations(const Actor& by, std::optional<std::int64_t> under,
                                          int needed);
  Result<nlohmann::json> move_record(const Actor& by, std::int64_t id, std::int64_t location_id,
                                     const std::string& reason);
  Result<nlohmann::json> record_moves(const Actor& by, std::int64_t id);

  // Appraisal (鉴定) and disposal (销毁).
  // Active or closed records whose retention ended on or before `as_of` (today when
  // empty) and that have no open appraisal, oldest first.
  Result<nlohmann::json> appraisal_due(const Actor& by, std::optional<std::string> as_of,
                                       std::optional<std::string> cursor, int limit);
  Result<nlohmann::json> propose_appraisal(const Actor& by, std::int64_t record_id,
                                           const nlohmann::json& body);
  Result<nlohmann::json> list_appraisals(const Actor& by, std::optional<std::string> status,
                                         std::optional<std::string> cursor, int limit);
  // An appraiser's opinion on an open appraisal (D18). body: opinion ("agree" or
  // "disagree"), comment (required to disagree). Staff who may propose or decide
  // appraisals, but not the proposer; a later opinion replaces the same person's
  // (audited as appraisal.opinion each time). Answers the appraisal with its opinions.
  Result<nlohmann::json> give_opinion(const Actor& by, std::int64_t appraisal_id,
                                      const nlohmann::json& body);
  // A manager approves or rejects; approving a disposal removes the record's content and
  // attachments and appends to the disposal register, in one transaction. A disposal
  // needs no standing disagreement and config.disposal_appraisers people agreeing
  // (409 on "opinions").
  Result<nlohmann::json> decide_appraisal(const Actor& by, std::int64_t appraisal_id,
                                          bool approve, const std::string& note);
  Result<nlohmann::json> disposal_register(const Actor& by, std::optional<std::string> cursor,
                                           int limit);
  // Evidence of one disposal (D18): the register entry, the appraisal with its worksheet
  // and decision, the record's audit trail, and a SHA-256 over all of it (canonical
  // JSON, keys sorted) so a copy handed to an inspector can be checked later.
  Result<nlohmann::json> disposal_evidence(const Actor& by, std::int64_t register_id);

  // Records for harvesting (public, no actor): full records plus "deleted": true for the
  // disposed ones; {"items", "more"}.
  Result<nlohmann::json> harvest(const HarvestQuery& q);

  // Re-indexes the open records whose embargo (D44) has ended but which the search index
  // still keeps as controlled (an embargo is indexed as controlled until its date); the
  // server runs it when the day changes. Returns how many were lifted.
  Result<std::int64_t> lift_embargoes();

  // Rebuilds the search index from the records (dangan reindex); `progress(done, total)`.
  Result<std::int64_t> reindex(const std::function<void(std::int64_t, std::int64_t)>& progress);
  // The search document of a record, as the index keeps it (also used by attachments
  // when their text changes).
  Result<search::Document> document_of(store::Tx& tx, std::int64_t id);

  const search::Weights& weights() const { return weights_; }

 private:
  friend class BulkCreator;
  store::Database& db_;
  audit::ReadRecorder& reads_;
  const Config& config_;
  const Clock& clock_;
  search::Weights weights_;
  std::function<void(const std::vector<std::string>&)> on_content_removed_;
  std::function<void(const Actor&, std::int64_t)> on_patron_view_;
  ContentGrants grants_;

  // The records granted to `by` (a portal account), sorted; empty for staff.
  Result<std::vector<std::int64_t>> grants_of(store::Tx& tx, const Actor& by);
};

// Creates many records in the caller's transaction (imports): what create_record_in does
// for each, with its work gathered:
//   - add() checks a body with create_record_in's own code (the same errors, the same
//     fields), the look-ups (fonds, categories, retention periods, schemes, units,
//     defaults) asked once for the creator's life, and queues the record; nothing is
//     written yet;
//   - flush() writes the queue: taken reference codes refused as create_record_in refuses
//     them ("reference code … is already used"), the series' counters moved with two
//     statements for all series (the same numbers one create after another would get,
//     imported codes moving their series past them), the rows inserted 256 a statement,
//     no read-back, each record's own record.create audit entry (one head look-up and
//     multi-row inserts for all of them), a timeline event for a customer file, and the
//     search documents, built from the input, handed to search::Bulk (text prepared on
//     other threads while this one writes);
//   - finish() flushes and writes the search documents still queued: call it before
//     commit.
// Series of a scheme that reuses released numbers are numbered one record at a time, as
// create_record_in does. Use one creator per transaction, from one thread.
class BulkCreator {
 public:
  struct Options {
    // Merged into every record.create entry's detail (e.g. the import job).
    nlohmann::json audit_detail = nlohmann::json::object();
    int search_threads = 0;  // 0: one fewer than the cores (search::Bulk)
  };
  // What became of an added record (by its ticket, the order of add() calls from 0).
  struct Outcome {
    std::size_t ticket = 0;
    std::int64_t id = 0;  // 0 when it failed
    std::string reference_code;
    std::optional<Error> error;
  };

  BulkCreator(Service& service, store::Tx& tx, const Actor& by, Options options);
  BulkCreator(Service& service, store::Tx& tx, const Actor& by)
      : BulkCreator(service, tx, by, Options{}) {}
  ~BulkCreator();
  BulkCreator(const BulkCreator&) = delete;
  BulkCreator& operator=(const BulkCreator&) = delete;

  // Checks and queues; an error says why create_record_in would refuse the body (nothing
  // is queued then, and no ticket is used).
  Result<std::size_t> add(const nlohmann::json& body);
  std::size_t queued() const;
  // Writes the queued records; one Outcome for each, in ticket order. An error return is
  // a database failure: the transaction should be rolled back.
  Result<std::vector<Outcome>> flush();
  // flush(), then the search index's queue.
  Result<std::vector<Outcome>> finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace dangan::catalogue
