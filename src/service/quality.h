// quality.h — learning from the service desk: problem management (D13), quality
// inspection (D14) and cases replayed across channels (D32).
//
// Problem management: a configurable tree of cause codes (流程, 系统, 人员, 馆藏 … with
// finer codes below); staff record the cause found for a ticket (a complaint's service
// recovery can pick one); a **problem** gathers the tickets of one cause (the code or
// one below it), and **improvement actions** are assigned to a department (unit) with an
// owner and a due date. An action that is neither done nor cancelled after its due date
// (a local date on the desk's calendar) is overdue. **Cause trends** count tickets per
// cause per week or month and mark the causes that are rising.
//
// Who may do what: staff with ticket_read see cause codes, problems and actions; staff
// with ticket_write record a ticket's cause; managers (problem_manage) open and change
// problems and assign actions; an action's owner may report its progress (status,
// result); service_config changes the code tree; the trends report needs service_report.
// Reports (举报) are counted in trends but listed only to those who may see them.
//
// Quality inspection: recordings (audio, stored encrypted in their own blob store, next
// to the attachments' one) and their transcripts on tickets; a **scorecard** of weighted
// criteria (礼貌用语, 准确, 时效 …) each scored 0–5, the review's score being the weighted
// mean on 0–100; QA reviews drawn from closed tickets at `qa_sample_rate` (libsodium's
// generator, each closed ticket considered once, by whichever process sweeps first) or
// picked by hand; a review is scored by a reviewer (quality_review) who is not the
// agent, optionally against a scenario whose standard answers (话术) it shows; scores
// per agent per period; coaching notes to an agent, who sees and acknowledges their
// own; training records (course, date, result) per staff member, who sees their own.
// Playing a recording is audited as a read of personal data.
//
// Cases: a case follows one matter across channels. It links contacts and records by
// kind and id — `ticket`, `visit` and `interaction` (contacts.h) are built in; another
// module adds its kind with add_case_source — and keeps back-office steps of its own. Its
// **replay** is every step of every linked item in time order (channel, who, what),
// with the waiting time (wall-clock and working) since the step before. The touchpoint
// report gives per channel the volume of tickets, the mean satisfaction of their
// follow-up visits, and the effort: contacts per ticket and working time to resolution;
// and the same effort per case.
//
// Invariants: every change is one transaction with its audit entry (and a timeline
// event when it changes what is recorded about a patron's ticket); a problem's tickets
// all carry its cause or a code below it; cause codes are never deleted, only retired.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "audit/audit.h"
#include "catalogue/blob_store.h"
#include "core/actor.h"
#include "core/clock.h"
#include "core/result.h"
#include "service/tickets.h"
#include "store/db.h"

namespace dangan::service {

struct ProblemQuery {
  std::optional<std::string> status;  // a state, or "active" (open, analysing)
  std::optional<std::int64_t> cause_id;
  std::optional<std::string> cursor;
  int limit = 50;
};

struct ActionQuery {
  std::optional<std::string> status;  // a state, or "active" (planned, in_progress)
  std::optional<std::int64_t> owner_id, unit_id, problem_id;
  bool overdue = false;
  bool mine = false;  // owned by the caller
  std::optional<std::string> cursor;
  int limit = 50;
};

struct TrendQuery {
  std::string period = "week";  // week (Monday to Sunday, local) or month
  std::optional<std::string> from, to;  // local dates; default: the last 12 periods
  bool top = false;                     // roll finer codes up to their top-level cause
};

struct ReviewQuery {
  std::optional<std::string> status;  // pending, scored
  std::optional<std::int64_t> agent_id;
  std::optional<std::string> cursor;
  int limit = 50;
};

// A recording's content, for playing.
struct RecordingContent {
  std::string body, content_type, filename;
};

// One step of a case's replay.
struct CaseStep {
  std::string at;        // UTC, ISO 8601
  std::string channel;   // counter, phone, … or back_office
  std::string kind;      // patron, reply, note, system, visit, step …
  std::string who;       // a staff member's name, "patron" or "system"
  std::string what;      // shortened to 300 characters
  std::string item_kind;
  std::int64_t item_id = 0;
  std::string ref;       // what staff call the item: T2026-000042, a visit's number …
  bool contact = false;  // an exchange with the patron (counts as effort)
};

// What a case needs from a kind of linked item.
struct CaseSource {
  // The item's patron (or none) if it exists and `by` may see it; not_found otherwise.
  std::function<Result<std::optional<std::int64_t>>(store::Tx&, const Actor&, std::int64_t)> check;
  // Its steps, in any order.
  std::function<Result<std::vector<CaseStep>>(store::Tx&, const Actor&, std::int64_t)> steps;
};

struct CaseQuery {
  std::optional<std::string> status;
  std::optional<std::int64_t> patron_id;
  std::optional<std::string> cursor;
  int limit = 50;
};

class Quality {
 public:
  // `desk` gives the working calendar (its time zone decides local dates); `reads` records
  // the patrons' names the cases show (patrons::names_in_list).
  Quality(store::Database& db, audit::ReadRecorder& reads, Desk& desk,
          const Clock& clock = system_clock());

  // Cause codes: {code, name, parent_id?}; PATCH {name, active}.
  Result<nlohmann::json> list_causes(const Actor& by);
  Result<nlohmann::json> create_cause(const Actor& by, const nlohmann::json& body);
  Result<nlohmann::json> update_cause(const Actor& by, std::int64_t id, const nlohmann::json& body);
  // The cause found for a ticket {cause_id} (ticket_write); the tickets of a cause and
  // the codes below it, newest first, optionally only those in no problem yet.
  Result<nlohmann::json> set_ticket_cause(const Actor& by, std::int64_t ticket_id,
                                          const nlohmann::json& body);
  Result<nlohmann::json> ticket_cause(const Actor& by, std::int64_t ticket_id);
  Result<nlohmann::json> cause_tickets(const Actor& by, std::int64_t cause_id, bool unlinked,
                                       const std::optional<std::string>& cursor, int limit);

  // Problems: {title, cause_id, description?, owner_id?, ticket_ids?}; PATCH {title,
  // description, root_cause, status, owner_id}.
  Result<nlohmann::json> create_problem(const Actor& by, const nlohmann::json& body);
  Result<nlohmann::json> list_problems(const Actor& by, const ProblemQuery& q);
  Result<nlohmann::json> get_problem(const Actor& by, std::int64_t id);
  Result<nlohmann::json> update_problem(const Actor& by, std::int64_t id,
                                        const nlohmann::json& body);
  Result<nlohmann::json> link_ticket(const Actor& by, std::int64_t problem_id,
                                     const nlohmann::json& body);
  Status unlink_ticket(const Actor& by, std::int64_t problem_id, std::int64_t ticket_id);

  // Improvement actions: {title, unit_id, owner_id, due_on}; PATCH by a manager any of
  // those and {status, result}, by the owner {status, result}.
  Result<nlohmann::json> add_action(const Actor& by, std::int64_t problem_id,
                                    const nlohmann::json& body);
  Result<nlohmann::json> update_action(const Actor& by, std::int64_t id,
                                       const nlohmann::json& body);
  Result<nlohmann::json> list_actions(const Actor& by, const ActionQuery& q);

  // Counts of tickets per cause per period (by the ticket's opening, local time), with
  // `rising` when the last period's count is at least 2 above, and at least 1.5 times,
  // the mean of the periods before it.
  Result<nlohmann::json> cause_trends(const Actor& by, const TrendQuery& q);

  // Cases. A kind of linked item; ticket, visit and interaction are registered by the
  // constructor.
  void add_case_source(const std::string& kind, CaseSource source);
  // {title, patron_id?, owner_id?, links?: [{kind, id}]}; PATCH {title, status, owner_id}.
  Result<nlohmann::json> create_case(const Actor& by, const nlohmann::json& body);
  Result<nlohmann::json> list_cases(const Actor& by, const CaseQuery& q);
  Result<nlohmann::json> get_case(const Actor& by, std::int64_t id);
  Result<nlohmann::json> update_case(const Actor& by, std::int64_t id, const nlohmann::json& body);
  Result<nlohmann::json> link_case(const Actor& by, std::int64_t id, const nlohmann::json& body);
  Status unlink_case(const Actor& by, std::int64_t id, const std::string& kind,
                     std::int64_t item_id);
  // A back-office step {what, occurred_at?, unit_id?}.
  Result<nlohmann::json> add_case_step(const Actor& by, std::int64_t id, const nlohmann::json& body);
  Result<nlohmann::json> replay(const Actor& by, std::int64_t id);
  // Per channel: tickets opened in [from, to], contacts, satisfaction, working time to
  // resolution; and per case.
  Result<nlohmann::json> touchpoints(const Actor& by, const TrendQuery& range);

  // Where recordings are kept (blob_store.h; the server uses "<blob dir>-recordings").
  // Without it, uploads and playing fail as unavailable.
  void use_recording_store(catalogue::BlobStoreConfig config);
  // The store itself (null without one): erasure removes a patron's recordings' files.
  catalogue::BlobStore* recording_store() { return recordings_.get(); }
  // Recordings of a ticket's calls or conversations: the audio as uploaded (checked to
  // be audio), and a transcript staff type or paste.
  Result<nlohmann::json> add_recording(const Actor& by, std::int64_t ticket_id,
                                       const std::string& filename, const std::string& content);
  Result<nlohmann::json> list_recordings(const Actor& by, std::int64_t ticket_id);
  Result<RecordingContent> play_recording(const Actor& by, std::int64_t id);
  Result<nlohmann::json> put_transcript(const Actor& by, std::int64_t id, const nlohmann::json& body);

  // The scorecard {items, sample_rate}; criteria {name, weight 1–100, description};
  // PATCH also {active}. Settings {sample_rate 0–1}.
  Result<nlohmann::json> scorecard(const Actor& by);
  Result<nlohmann::json> add_criterion(const Actor& by, const nlohmann::json& body);
  Result<nlohmann::json> update_criterion(const Actor& by, std::int64_t id,
                                          const nlohmann::json& body);
  Result<nlohmann::json> put_qa_settings(const Actor& by, const nlohmann::json& body);

  // Draws closed tickets (closed in the last 14 days, not yet considered) for review at
  // the sample rate; returns how many reviews it opened. Run by the server's sweep.
  Result<int> draw_samples();
  // Reviews: picked by hand {ticket_id, agent_id?}; listed (reviewers all, an agent
  // their own scored ones); one with its ticket, thread, recordings, scorecard and the
  // standard answers of its scenario; scored {scores: [{criterion_id, score, note?}],
  // comments?, scenario?}.
  Result<nlohmann::json> create_review(const Actor& by, const nlohmann::json& body);
  Result<nlohmann::json> list_reviews(const Actor& by, const ReviewQuery& q);
  Result<nlohmann::json> get_review(const Actor& by, std::int64_t id);
  Result<nlohmann::json> score_review(const Actor& by, std::int64_t id, const nlohmann::json& body);
  // Mean score and count per agent per period (week or month, by scoring date).
  Result<nlohmann::json> agent_scores(const Actor& by, const TrendQuery& period,
                                      std::optional<std::int64_t> agent_id);

  // Coaching notes {agent_id, body, review_id?, answer_id?}; the agent acknowledges.
  Result<nlohmann::json> add_coaching(const Actor& by, const nlohmann::json& body);
  Result<nlohmann::json> list_coaching(const Actor& by, std::optional<std::int64_t> agent_id,
                                       const std::optional<std::string>& cursor, int limit);
  Result<nlohmann::json> acknowledge_coaching(const Actor& by, std::int64_t id);
  // Training records {user_id, course, taken_on, result, score?, notes?}.
  Result<nlohmann::json> add_training(const Actor& by, const nlohmann::json& body);
  Result<nlohmann::json> list_training(const Actor& by, std::optional<std::int64_t> user_id,
                                       const std::optional<std::string>& cursor, int limit);

 private:
  store::Database& db_;
  audit::ReadRecorder& reads_;
  Desk& desk_;
  const Clock& clock_;
  std::unique_ptr<catalogue::BlobStore> recordings_;
  std::map<std::string, CaseSource> sources_;

  // The ticket, visit and interaction case sources (cases.cpp).
  void add_builtin_case_sources();
  // Today's local date on the desk's calendar (overdue actions, default report ranges).
  std::string local_today();
};

namespace detail {
// Records `cause_id` as the ticket's cause inside `tx` (audit and timeline included);
// used by set_ticket_cause and by a complaint's service recovery.
Status record_ticket_cause(store::Tx& tx, const Actor& by, std::int64_t ticket_id,
                           std::int64_t cause_id, const Clock& clock);
}  // namespace detail

}  // namespace dangan::service
