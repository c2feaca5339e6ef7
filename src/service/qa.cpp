// Quality inspection (D14): recordings and transcripts, the scorecard, sampled and
// hand-picked QA reviews, agents' scores, coaching notes and training records. See
// quality.h.
#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>

#include "catalogue/content.h"
#include "patrons/timeline.h"
#include "patrons/writes.h"
#include "service/erasure.h"
#include "service/internal.h"
#include "service/periods.h"
#include "service/quality.h"
#include "text/text.h"

namespace dangan::service {

using json = nlohmann::json;
using namespace detail;

namespace {

bool may(const Actor& by, auth::Permission p) {
  return by.role == Role::system || (by.role != Role::patron && auth::allowed(by.role, p));
}

double to_double(const std::string& s, double fallback) {
  double v = fallback;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() ? v : fallback;
}

// Who worked the ticket: its assignee, else the author of the last staff reply, else
// the staff member who opened it.
Result<std::optional<std::int64_t>> agent_of(store::Tx& tx, const Ticket& t) {
  if (t.assignee_id) return t.assignee_id;
  auto r = TRY(tx.maybe_one(
      "SELECT author_id FROM ticket_messages WHERE ticket_id = ? AND kind = 'reply' AND author_id "
      "IS NOT NULL ORDER BY id DESC LIMIT 1",
      {t.id}));
  if (r) return r->opt_i64(0);
  return t.created_by;
}

constexpr const char* kRecordingCols =
    "r.id, r.ticket_id, r.bytes, r.content_type, r.filename, r.uploaded_by, r.created_at, "
    "r.transcript, r.transcript_by, r.transcript_at, u.display_name";

json recording_json(const store::Row& r) {
  return {{"id", r.i64(0)},
          {"ticket_id", r.i64(1)},
          {"bytes", r.i64(2)},
          {"content_type", r.str(3)},
          {"filename", r.str(4)},
          {"uploaded_by", opt(r.opt_i64(5))},
          {"uploaded_by_name", opt(r.opt_str(10))},
          {"created_at", r.str(6)},
          {"transcript", r.str(7)},
          {"transcript_by", opt(r.opt_i64(8))},
          {"transcript_at", opt(r.opt_str(9))},
          {"content_url", "/api/v1/recordings/" + std::to_string(r.i64(0)) + "/content"}};
}

constexpr const char* kReviewCols =
    "q.id, q.ticket_id, q.agent_id, q.reason, q.status, q.scenario, q.reviewer_id, q.score, "
    "q.comments, q.drawn_at, q.scored_at, t.number, t.subject, t.kind, t.channel, ua.display_name, "
    "ur.display_name";
constexpr const char* kReviewFrom =
    " FROM qa_reviews q JOIN tickets t ON t.id = q.ticket_id JOIN users ua ON ua.id = q.agent_id "
    "LEFT JOIN users ur ON ur.id = q.reviewer_id";

json review_json(const store::Row& r) {
  return {{"id", r.i64(0)},
          {"ticket_id", r.i64(1)},
          {"ticket_number", r.str(11)},
          {"subject", r.str(12)},
          {"kind", r.str(13)},
          {"channel", r.str(14)},
          {"agent_id", r.i64(2)},
          {"agent_name", r.str(15)},
          {"reason", r.str(3)},
          {"status", r.str(4)},
          {"scenario", r.str(5)},
          {"reviewer_id", opt(r.opt_i64(6))},
          {"reviewer_name", opt(r.opt_str(16))},
          {"score", r.is_null(7) ? json(nullptr) : json(r.f64(7))},
          {"comments", r.str(8)},
          {"drawn_at", r.str(9)},
          {"scored_at", opt(r.opt_str(10))}};
}

json criterion_json(const store::Row& r) {
  return {{"id", r.i64(0)},
          {"name", r.str(1)},
          {"description", r.str(2)},
          {"weight", r.i64(3)},
          {"active", r.i64(4) != 0}};
}

Status check_staff_user(store::Tx& tx, std::int64_t id, const char* field) {
  auto row = TRY(tx.maybe_one("SELECT role FROM users WHERE id = ?", {id}));
  if (!row) return invalid(field, "no such user");
  if (row->str(0) == "patron") return invalid(field, "a portal account is not staff");
  return {};
}

}  // namespace

void Quality::use_recording_store(catalogue::BlobStoreConfig config) {
  recordings_ = std::make_unique<catalogue::BlobStore>(std::move(config));
}

// ---------------------------------------------------------------- recordings

Result<json> Quality::add_recording(const Actor& by, std::int64_t ticket_id,
                                    const std::string& filename, const std::string& content) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_write));
  if (!recordings_) return fail(ErrorCode::unavailable, "no recording store is configured");
  if (content.empty()) return invalid("file", "the recording is empty");
  std::string name = filename.substr(0, 200);
  if (auto slash = name.find_last_of("/\\"); slash != std::string::npos) name = name.substr(slash + 1);
  if (!text::valid_utf8(name)) name.clear();
  auto ident = catalogue::identify(content);
  // Browsers record WebM/Ogg, which libmagic may call video; both hold the audio.
  if (!ident.mime.starts_with("audio/") && ident.mime != "video/webm" && ident.mime != "video/ogg")
    return invalid("file", "a recording is an audio file (this is " + ident.mime + ")");
  catalogue::Sha256 h;
  h.update(content);
  std::string sha = h.hex();
  auto staged = TRY(recordings_->stage(sha, content, true));
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto t = TRY(load(*tx, ticket_id));
  TRY_STATUS(may_see(by, t));
  TRY_STATUS(patrons::refuse_if_erased(*tx, t.patron_id));
  // The file is in place before its row commits (a crash leaves at most an unused file),
  // and no erasure removes it meanwhile (erasure.h).
  TRY_STATUS(lock_blob(*tx, sha));
  TRY_STATUS(recordings_->publish(staged));
  std::string now = format_time(clock_.now());
  auto row = TRY(tx->one(
      "INSERT INTO recordings (ticket_id, sha256, bytes, content_type, filename, uploaded_by, "
      "created_at) VALUES (?,?,?,?,?,?,?) RETURNING id",
      {ticket_id, sha, static_cast<std::int64_t>(content.size()), ident.mime, name,
       store::opt(author_of(by)), now},
      "recording"));
  std::int64_t id = row.i64(0);
  TRY_STATUS(audit::append(*tx, by,
                           {"recording.add", "recording", std::to_string(id), t.patron_id, "",
                            {{"ticket_id", ticket_id}, {"bytes", content.size()}}},
                           clock_));
  if (t.patron_id)
    TRY(timeline::append(*tx, by,
                         {*t.patron_id, "ticket.recording_added", "Recording added to " + t.number,
                          json::object(), "ticket", std::to_string(ticket_id)},
                         clock_));
  auto out = TRY(tx->one(std::string("SELECT ") + kRecordingCols +
                             " FROM recordings r LEFT JOIN users u ON u.id = r.uploaded_by "
                             "WHERE r.id = ?",
                         {id}, "recording"));
  TRY_STATUS(tx->commit());
  return recording_json(out);
}

Result<json> Quality::list_recordings(const Actor& by, std::int64_t ticket_id) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto t = TRY(load(*tx, ticket_id));
  TRY_STATUS(may_see(by, t));
  auto rows = TRY(tx->query(std::string("SELECT ") + kRecordingCols +
                                " FROM recordings r LEFT JOIN users u ON u.id = r.uploaded_by "
                                "WHERE r.ticket_id = ? ORDER BY r.id",
                            {ticket_id}));
  json items = json::array();
  for (auto& r : rows) items.push_back(recording_json(r));
  return json{{"items", items}, {"next_cursor", nullptr}};
}

Result<RecordingContent> Quality::play_recording(const Actor& by, std::int64_t id) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  if (!recordings_) return fail(ErrorCode::unavailable, "no recording store is configured");
  RecordingContent out;
  std::string sha;
  {
    auto tx = TRY(db_.begin(store::TxMode::write));
    auto r = TRY(tx->maybe_one(
        "SELECT ticket_id, sha256, content_type, filename FROM recordings WHERE id = ?", {id}));
    if (!r) return not_found("no such recording");
    auto t = load(*tx, r->i64(0));
    if (!t || !may_see(by, *t)) return not_found("no such recording");
    sha = r->str(1);
    out.content_type = r->str(2);
    out.filename = r->str(3);
    // A patron's voice is personal data: every playing is in the audit log.
    TRY_STATUS(audit::append(*tx, by,
                             {"recording.play", "recording", std::to_string(id), t->patron_id, "",
                              {{"ticket_id", t->id}}},
                             clock_));
    TRY_STATUS(tx->commit());
  }
  out.body = TRY(recordings_->read(sha));
  return out;
}

Result<json> Quality::put_transcript(const Actor& by, std::int64_t id, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_write));
  TRY_STATUS(only_fields(body, {"transcript"}));
  if (!body.contains("transcript") || !body["transcript"].is_string())
    return invalid("transcript", "transcript is required (text)");
  auto text = TRY(optional_text(body, "transcript", 100000)).value_or("");
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto r = TRY(tx->maybe_one("SELECT ticket_id FROM recordings WHERE id = ?", {id}));
  if (!r) return not_found("no such recording");
  auto t = load(*tx, r->i64(0));
  if (!t || !may_see(by, *t)) return not_found("no such recording");
  TRY_STATUS(patrons::refuse_if_erased(*tx, t->patron_id));
  std::string now = format_time(clock_.now());
  TRY(tx->exec(
      "UPDATE recordings SET transcript = ?, transcript_by = ?, transcript_at = ? WHERE id = ?",
      {text, store::opt(author_of(by)), now, id}));
  TRY_STATUS(audit::append(*tx, by,
                           {"recording.transcript", "recording", std::to_string(id), t->patron_id,
                            "", {{"ticket_id", t->id}, {"chars", text.size()}}},
                           clock_));
  auto out = TRY(tx->one(std::string("SELECT ") + kRecordingCols +
                             " FROM recordings r LEFT JOIN users u ON u.id = r.uploaded_by "
                             "WHERE r.id = ?",
                         {id}, "recording"));
  TRY_STATUS(tx->commit());
  return recording_json(out);
}

// ---------------------------------------------------------------- scorecard

Result<json> Quality::scorecard(const Actor& by) {
  // Those who work tickets, and those who configure the desk.
  if (!may(by, auth::Permission::service_config))
    TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto rows = TRY(
      tx->query("SELECT id, name, description, weight, active FROM qa_criteria ORDER BY id"));
  json items = json::array();
  for (auto& r : rows) items.push_back(criterion_json(r));
  auto rate = TRY(tx->maybe_one("SELECT value FROM service_settings WHERE key = 'qa_sample_rate'", {}));
  return json{{"items", items},
              {"next_cursor", nullptr},
              {"sample_rate", to_double(rate ? rate->str(0) : "0.05", 0.05)}};
}

Result<json> Quality::add_criterion(const Actor& by, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::service_config));
  TRY_STATUS(only_fields(body, {"name", "description", "weight"}));
  auto name = TRY(required_text(body, "name", 100));
  auto description = TRY(optional_text(body, "description", 1000)).value_or("");
  if (!body.contains("weight") || !body["weight"].is_number_integer() ||
      body["weight"].get<std::int64_t>() < 1 || body["weight"].get<std::int64_t>() > 100)
    return invalid("weight", "weight is a whole number from 1 to 100");
  auto tx = TRY(db_.begin(store::TxMode::write));
  if (TRY(tx->maybe_one("SELECT 1 FROM qa_criteria WHERE name = ?", {name})))
    return conflict("a criterion " + name + " exists already", "name");
  auto row = TRY(tx->one(
      "INSERT INTO qa_criteria (name, description, weight) VALUES (?,?,?) RETURNING id, name, "
      "description, weight, active",
      {name, description, body["weight"].get<std::int64_t>()}, "criterion"));
  TRY_STATUS(audit::append(*tx, by,
                           {"qa.criterion_create", "qa_criterion", std::to_string(row.i64(0)),
                            std::nullopt, "", body},
                           clock_));
  TRY_STATUS(tx->commit());
  return criterion_json(row);
}

Result<json> Quality::update_criterion(const Actor& by, std::int64_t id, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::service_config));
  TRY_STATUS(only_fields(body, {"name", "description", "weight", "active"}));
  auto name = TRY(optional_text(body, "name", 100));
  if (name && name->empty()) return invalid("name", "name is required");
  auto description = TRY(optional_text(body, "description", 1000));
  if (body.contains("weight") &&
      (!body["weight"].is_number_integer() || body["weight"].get<std::int64_t>() < 1 ||
       body["weight"].get<std::int64_t>() > 100))
    return invalid("weight", "weight is a whole number from 1 to 100");
  if (body.contains("active") && !body["active"].is_boolean())
    return invalid("active", "active must be true or false");
  auto tx = TRY(db_.begin(store::TxMode::write));
  if (!TRY(tx->maybe_one("SELECT 1 FROM qa_criteria WHERE id = ?", {id})))
    return not_found("no such criterion");
  if (name) {
    if (TRY(tx->maybe_one("SELECT 1 FROM qa_criteria WHERE name = ? AND id <> ?", {*name, id})))
      return conflict("a criterion " + *name + " exists already", "name");
    TRY(tx->exec("UPDATE qa_criteria SET name = ? WHERE id = ?", {*name, id}));
  }
  if (description)
    TRY(tx->exec("UPDATE qa_criteria SET description = ? WHERE id = ?", {*description, id}));
  if (body.contains("weight"))
    TRY(tx->exec("UPDATE qa_criteria SET weight = ? WHERE id = ?",
                 {body["weight"].get<std::int64_t>(), id}));
  if (body.contains("active"))
    TRY(tx->exec("UPDATE qa_criteria SET active = ? WHERE id = ?",
                 {static_cast<std::int64_t>(body["active"].get<bool>() ? 1 : 0), id}));
  if (!TRY(tx->maybe_one("SELECT 1 FROM qa_criteria WHERE active = 1", {})))
    return invalid("active", "the scorecard keeps at least one active criterion");
  TRY_STATUS(audit::append(
      *tx, by, {"qa.criterion_update", "qa_criterion", std::to_string(id), std::nullopt, "", body},
      clock_));
  auto row = TRY(tx->one("SELECT id, name, description, weight, active FROM qa_criteria WHERE id = ?",
                         {id}, "criterion"));
  TRY_STATUS(tx->commit());
  return criterion_json(row);
}

Result<json> Quality::put_qa_settings(const Actor& by, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::service_config));
  TRY_STATUS(only_fields(body, {"sample_rate"}));
  if (!body.contains("sample_rate") || !body["sample_rate"].is_number() ||
      body["sample_rate"].get<double>() < 0 || body["sample_rate"].get<double>() > 1)
    return invalid("sample_rate", "sample_rate is a share from 0 to 1");
  {
    auto tx = TRY(db_.begin(store::TxMode::write));
    TRY(tx->exec(
        "INSERT INTO service_settings (key, value) VALUES ('qa_sample_rate', ?) ON CONFLICT (key) "
        "DO UPDATE SET value = excluded.value",
        {body["sample_rate"].dump()}));
    TRY_STATUS(audit::append(
        *tx, by, {"qa.settings", "service_settings", "qa", std::nullopt, "", body}, clock_));
    TRY_STATUS(tx->commit());
  }
  return scorecard(by);
}

// ---------------------------------------------------------------- reviews

Result<int> Quality::draw_samples() {
  Actor sys = system_actor();
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto rate_row =
      TRY(tx->maybe_one("SELECT value FROM service_settings WHERE key = 'qa_sample_rate'", {}));
  double rate = to_double(rate_row ? rate_row->str(0) : "0.05", 0.05);
  TimePoint now = clock_.now();
  std::string cutoff = format_time(now - std::chrono::hours(24 * 14));
  std::string at = format_time(now);
  auto rows = TRY(tx->query(
      "SELECT t.id FROM tickets t WHERE t.closed_at >= ? AND t.status = 'closed' AND NOT EXISTS "
      "(SELECT 1 FROM qa_draws d WHERE d.ticket_id = t.id) ORDER BY t.id LIMIT 500",
      {cutoff}));
  int opened = 0;
  for (auto& r : rows) {
    std::int64_t tid = r.i64(0);
    // Whoever inserts the row draws: another process sweeping at once skips the ticket.
    if (TRY(tx->exec("INSERT INTO qa_draws (ticket_id, drawn, considered_at) VALUES (?,0,?) ON "
                     "CONFLICT (ticket_id) DO NOTHING",
                     {tid, at})) == 0)
      continue;
    double draw = static_cast<double>(randombytes_uniform(1000000)) / 1000000.0;
    if (rate <= 0 || draw >= rate) continue;
    auto t = TRY(load(*tx, tid));
    auto agent = TRY(agent_of(*tx, t));
    if (!agent) continue;  // nobody on the staff worked it
    auto n = TRY(tx->exec(
        "INSERT INTO qa_reviews (ticket_id, agent_id, reason, status, drawn_at) VALUES "
        "(?,?,'sample','pending',?) ON CONFLICT (ticket_id) DO NOTHING",
        {tid, *agent, at}));
    if (n == 0) continue;
    TRY(tx->exec("UPDATE qa_draws SET drawn = 1 WHERE ticket_id = ?", {tid}));
    TRY_STATUS(audit::append(*tx, sys,
                             {"qa.review_drawn", "ticket", std::to_string(tid), std::nullopt, "",
                              {{"agent_id", *agent}}},
                             clock_));
    ++opened;
  }
  TRY_STATUS(tx->commit());
  return opened;
}

Result<json> Quality::create_review(const Actor& by, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::quality_review));
  TRY_STATUS(only_fields(body, {"ticket_id", "agent_id"}));
  auto tid = TRY(optional_id(body, "ticket_id"));
  if (!tid) return invalid("ticket_id", "ticket_id is required");
  auto given = TRY(optional_id(body, "agent_id"));
  std::int64_t id = 0;
  {
    auto tx = TRY(db_.begin(store::TxMode::write));
    auto t = load(*tx, *tid);
    if (!t || !may_see(by, *t)) return invalid("ticket_id", "no such ticket");
    std::optional<std::int64_t> agent = given;
    if (agent)
      TRY_STATUS(check_staff_user(*tx, *agent, "agent_id"));
    else
      agent = TRY(agent_of(*tx, *t));
    if (!agent) return invalid("agent_id", "nobody on the staff worked this ticket; name the agent");
    if (TRY(tx->maybe_one("SELECT 1 FROM qa_reviews WHERE ticket_id = ?", {*tid})))
      return conflict("the ticket is up for review already", "ticket_id");
    auto row = TRY(tx->one(
        "INSERT INTO qa_reviews (ticket_id, agent_id, reason, status, drawn_at) VALUES "
        "(?,?,'manual','pending',?) RETURNING id",
        {*tid, *agent, format_time(clock_.now())}, "review"));
    id = row.i64(0);
    TRY_STATUS(audit::append(*tx, by,
                             {"qa.review_create", "qa_review", std::to_string(id), std::nullopt, "",
                              {{"ticket_id", *tid}, {"agent_id", *agent}}},
                             clock_));
    TRY_STATUS(tx->commit());
  }
  return get_review(by, id);
}

Result<json> Quality::list_reviews(const Actor& by, const ReviewQuery& q) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  bool reviewer = may(by, auth::Permission::quality_review);
  auto after = TRY(after_id(q.cursor));
  int limit = std::clamp(q.limit, 1, 200);
  std::string where = "1 = 1";
  store::Params p;
  if (q.status) {
    if (!is_one_of(*q.status, {"pending", "scored"}))
      return invalid("status", "status is pending or scored");
    where += " AND q.status = ?";
    p.emplace_back(*q.status);
  }
  // An agent sees their own reviews once scored.
  if (!reviewer) {
    if (q.agent_id && *q.agent_id != by.user_id)
      return forbidden("you see your own reviews only");
    where += " AND q.agent_id = ? AND q.status = 'scored'";
    p.emplace_back(by.user_id);
  } else if (q.agent_id) {
    where += " AND q.agent_id = ?";
    p.emplace_back(*q.agent_id);
  }
  if (after) {
    where += " AND q.id < ?";
    p.emplace_back(after);
  }
  p.emplace_back(static_cast<std::int64_t>(limit + 1));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto rows = TRY(tx->query(std::string("SELECT ") + kReviewCols + kReviewFrom + " WHERE " + where +
                                " ORDER BY q.id DESC LIMIT ?",
                            p));
  json items = json::array();
  for (std::size_t i = 0; i < rows.size() && i < static_cast<std::size_t>(limit); ++i)
    items.push_back(review_json(rows[i]));
  return id_page(items, rows, limit);
}

Result<json> Quality::get_review(const Actor& by, std::int64_t id) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  bool reviewer = may(by, auth::Permission::quality_review);
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto row =
      TRY(tx->maybe_one(std::string("SELECT ") + kReviewCols + kReviewFrom + " WHERE q.id = ?", {id}));
  if (!row) return not_found("no such review");
  json out = review_json(*row);
  if (!reviewer && (out["agent_id"] != by.user_id || out["status"] != "scored"))
    return forbidden("you see your own reviews once they are scored");
  auto t = TRY(load(*tx, row->i64(1)));
  out["ticket"] = {{"id", t.id},
                   {"number", t.number},
                   {"subject", t.subject},
                   {"kind", t.kind},
                   {"channel", t.channel},
                   {"status", t.status},
                   {"created_at", t.created_at},
                   {"first_response_at", opt(t.first_response_at)},
                   {"first_response_breached", t.first_response_breached},
                   {"resolution_breached", t.resolution_breached},
                   {"closed_at", opt(t.closed_at)},
                   {"resolution", t.resolution}};
  auto msgs = TRY(tx->query(
      "SELECT m.kind, m.channel, m.author_id, u.display_name, m.body, m.created_at FROM "
      "ticket_messages m LEFT JOIN users u ON u.id = m.author_id WHERE m.ticket_id = ? ORDER BY "
      "m.id",
      {t.id}));
  json thread = json::array();
  for (auto& m : msgs)
    thread.push_back({{"kind", m.str(0)},
                      {"channel", m.str(1)},
                      {"author_id", opt(m.opt_i64(2))},
                      {"author_name", opt(m.opt_str(3))},
                      {"body", m.str(4)},
                      {"created_at", m.str(5)}});
  out["messages"] = thread;
  auto recs = TRY(tx->query(std::string("SELECT ") + kRecordingCols +
                                " FROM recordings r LEFT JOIN users u ON u.id = r.uploaded_by "
                                "WHERE r.ticket_id = ? ORDER BY r.id",
                            {t.id}));
  json rs = json::array();
  for (auto& r : recs) rs.push_back(recording_json(r));
  out["recordings"] = rs;
  auto scores = TRY(tx->query(
      "SELECT criterion_id, name, weight, score, note FROM qa_review_scores WHERE review_id = ? "
      "ORDER BY criterion_id",
      {id}));
  json ss = json::array();
  for (auto& s : scores)
    ss.push_back({{"criterion_id", s.i64(0)},
                  {"name", s.str(1)},
                  {"weight", s.i64(2)},
                  {"score", s.i64(3)},
                  {"note", s.str(4)}});
  out["scores"] = ss;
  auto crit = TRY(tx->query(
      "SELECT id, name, description, weight, active FROM qa_criteria WHERE active = 1 ORDER BY id"));
  json cs = json::array();
  for (auto& c : crit) cs.push_back(criterion_json(c));
  out["criteria"] = cs;
  // The scenarios of the standard answers (话术), and the answers of the chosen one: what
  // the agent should have said.
  auto scen = TRY(tx->query(
      "SELECT DISTINCT scenario FROM standard_answers WHERE scenario <> '' ORDER BY scenario"));
  json names = json::array();
  for (auto& s : scen) names.push_back(s.str(0));
  out["scenarios"] = names;
  json answers = json::array();
  if (!out["scenario"].get<std::string>().empty()) {
    auto as = TRY(tx->query(
        "SELECT id, title, body FROM standard_answers WHERE scenario = ? ORDER BY id LIMIT 20",
        {out["scenario"].get<std::string>()}));
    for (auto& a : as) answers.push_back({{"id", a.i64(0)}, {"title", a.str(1)}, {"body", a.str(2)}});
  }
  out["standard_answers"] = answers;
  return out;
}

Result<json> Quality::score_review(const Actor& by, std::int64_t id, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::quality_review));
  TRY_STATUS(only_fields(body, {"scores", "comments", "scenario"}));
  auto comments = TRY(optional_text(body, "comments", 5000)).value_or("");
  auto scenario = TRY(optional_text(body, "scenario", 100)).value_or("");
  if (!body.contains("scores") || !body["scores"].is_array())
    return invalid("scores", "scores is a list of {criterion_id, score 0–5, note}");
  {
    auto tx = TRY(db_.begin(store::TxMode::write));
    auto rev = TRY(tx->maybe_one("SELECT agent_id, status, ticket_id FROM qa_reviews WHERE id = ?",
                                 {id}));
    if (!rev) return not_found("no such review");
    if (rev->i64(0) == by.user_id)
      return forbidden("a reviewer does not score their own work");
    if (rev->str(1) != "pending") return conflict("the review is scored already", "status");
    auto crit = TRY(tx->query("SELECT id, name, weight FROM qa_criteria WHERE active = 1"));
    std::map<std::int64_t, std::pair<std::string, std::int64_t>> active;
    for (auto& c : crit) active[c.i64(0)] = {c.str(1), c.i64(2)};
    std::map<std::int64_t, std::pair<std::int64_t, std::string>> given;
    for (auto& s : body["scores"]) {
      if (!s.is_object() || !s.contains("criterion_id") || !s["criterion_id"].is_number_integer() ||
          !s.contains("score") || !s["score"].is_number_integer())
        return invalid("scores", "each score is {criterion_id, score 0–5, note}");
      auto cid = s["criterion_id"].get<std::int64_t>();
      auto v = s["score"].get<std::int64_t>();
      if (!active.contains(cid)) return invalid("scores", "not a criterion of the scorecard");
      if (v < 0 || v > 5) return invalid("scores", "a score is from 0 to 5");
      std::string note;
      if (s.contains("note") && s["note"].is_string()) note = s["note"].get<std::string>().substr(0, 1000);
      if (!text::valid_utf8(note)) return invalid("scores", "a note must be valid UTF-8");
      if (!given.emplace(cid, std::make_pair(v, note)).second)
        return invalid("scores", "a criterion is scored once");
    }
    for (auto& [cid, c] : active)
      if (!given.contains(cid)) return invalid("scores", "score every criterion (" + c.first + ")");
    double sum = 0, weights = 0;
    for (auto& [cid, g] : given) {
      auto& [name, weight] = active[cid];
      sum += static_cast<double>(weight) * static_cast<double>(g.first) / 5.0;
      weights += static_cast<double>(weight);
      TRY(tx->exec(
          "INSERT INTO qa_review_scores (review_id, criterion_id, name, weight, score, note) "
          "VALUES (?,?,?,?,?,?)",
          {id, cid, name, weight, g.first, g.second}));
    }
    double score = std::round(sum / weights * 1000.0) / 10.0;
    TRY(tx->exec(
        "UPDATE qa_reviews SET status = 'scored', reviewer_id = ?, score = ?, comments = ?, "
        "scenario = ?, scored_at = ? WHERE id = ?",
        {by.user_id, score, comments, scenario, format_time(clock_.now()), id}));
    TRY_STATUS(audit::append(*tx, by,
                             {"qa.review_score", "qa_review", std::to_string(id), std::nullopt, "",
                              {{"score", score}, {"agent_id", rev->i64(0)}}},
                             clock_));
    TRY_STATUS(tx->commit());
  }
  return get_review(by, id);
}

Result<json> Quality::agent_scores(const Actor& by, const TrendQuery& period,
                                   std::optional<std::int64_t> agent_id) {
  if (!may(by, auth::Permission::service_report) && !may(by, auth::Permission::quality_review)) {
    TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
    if (agent_id && *agent_id != by.user_id) return forbidden("you see your own scores only");
    agent_id = by.user_id;
  }
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto cal = TRY(desk_.calendar(*tx));
  auto per = TRY(make_periods(cal, clock_.now(), period));
  store::Params p{per.from_utc, per.to_utc};
  std::string where = "q.status = 'scored' AND q.scored_at >= ? AND q.scored_at < ?";
  if (agent_id) {
    where += " AND q.agent_id = ?";
    p.emplace_back(*agent_id);
  }
  auto rows = TRY(tx->query(
      "SELECT q.agent_id, u.display_name, q.score, q.scored_at FROM qa_reviews q JOIN users u ON "
      "u.id = q.agent_id WHERE " +
          where + " ORDER BY q.agent_id",
      p));
  struct Acc {
    std::string name;
    std::vector<double> sum;
    std::vector<std::int64_t> n;
  };
  std::map<std::int64_t, Acc> acc;
  for (auto& r : rows) {
    int i = per.index_of(r.str(3));
    if (i < 0) continue;
    auto& a = acc[r.i64(0)];
    a.name = r.str(1);
    a.sum.resize(per.starts.size());
    a.n.resize(per.starts.size());
    a.sum[static_cast<std::size_t>(i)] += r.f64(2);
    ++a.n[static_cast<std::size_t>(i)];
  }
  json items = json::array();
  for (auto& [agent, a] : acc) {
    json means = json::array();
    double total = 0;
    std::int64_t count = 0;
    for (std::size_t i = 0; i < a.n.size(); ++i) {
      means.push_back(a.n[i] ? json(std::round(a.sum[i] / static_cast<double>(a.n[i]) * 10) / 10)
                             : json(nullptr));
      total += a.sum[i];
      count += a.n[i];
    }
    items.push_back({{"agent_id", agent},
                     {"agent_name", a.name},
                     {"scores", means},
                     {"reviews", a.n},
                     {"mean", std::round(total / static_cast<double>(count) * 10) / 10},
                     {"total_reviews", count}});
  }
  return json{{"period", period.period}, {"buckets", per.starts}, {"from", per.first_day},
              {"to", per.last_day}, {"items", items}};
}

// ---------------------------------------------------------------- coaching, training

Result<json> Quality::add_coaching(const Actor& by, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::quality_review));
  TRY_STATUS(only_fields(body, {"agent_id", "body", "review_id", "answer_id"}));
  auto agent = TRY(optional_id(body, "agent_id"));
  if (!agent) return invalid("agent_id", "agent_id is required");
  auto text = TRY(required_text(body, "body", 5000));
  auto review = TRY(optional_id(body, "review_id"));
  auto answer = TRY(optional_id(body, "answer_id"));
  auto tx = TRY(db_.begin(store::TxMode::write));
  TRY_STATUS(check_staff_user(*tx, *agent, "agent_id"));
  if (*agent == by.user_id) return invalid("agent_id", "coaching is for another staff member");
  if (review) {
    auto r = TRY(tx->maybe_one("SELECT agent_id FROM qa_reviews WHERE id = ?", {*review}));
    if (!r) return invalid("review_id", "no such review");
    if (r->i64(0) != *agent) return invalid("review_id", "the review is of another agent");
  }
  if (answer && !TRY(tx->maybe_one("SELECT 1 FROM standard_answers WHERE id = ?", {*answer})))
    return invalid("answer_id", "no such standard answer");
  auto row = TRY(tx->one(
      "INSERT INTO coaching_notes (agent_id, author_id, review_id, answer_id, body, created_at) "
      "VALUES (?,?,?,?,?,?) RETURNING id",
      {*agent, by.user_id, store::opt(review), store::opt(answer), text,
       format_time(clock_.now())},
      "coaching note"));
  TRY_STATUS(audit::append(*tx, by,
                           {"qa.coaching_add", "coaching_note", std::to_string(row.i64(0)),
                            std::nullopt, "", {{"agent_id", *agent}}},
                           clock_));
  TRY_STATUS(tx->commit());
  auto page = TRY(list_coaching(by, *agent, std::to_string(row.i64(0) + 1), 1));
  return page["items"].empty() ? json::object() : page["items"][0];
}

Result<json> Quality::list_coaching(const Actor& by, std::optional<std::int64_t> agent_id,
                                    const std::optional<std::string>& cursor, int limit) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  if (!may(by, auth::Permission::quality_review)) {
    if (agent_id && *agent_id != by.user_id) return forbidden("you see your own coaching only");
    agent_id = by.user_id;
  }
  auto after = TRY(after_id(cursor));
  limit = std::clamp(limit, 1, 200);
  std::string where = "1 = 1";
  store::Params p;
  if (agent_id) {
    where += " AND c.agent_id = ?";
    p.emplace_back(*agent_id);
  }
  if (after) {
    where += " AND c.id < ?";
    p.emplace_back(after);
  }
  p.emplace_back(static_cast<std::int64_t>(limit + 1));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto rows = TRY(tx->query(
      "SELECT c.id, c.agent_id, ua.display_name, c.author_id, uw.display_name, c.review_id, "
      "c.answer_id, sa.title, c.body, c.created_at, c.acknowledged_at FROM coaching_notes c JOIN "
      "users ua ON ua.id = c.agent_id LEFT JOIN users uw ON uw.id = c.author_id LEFT JOIN "
      "standard_answers sa ON sa.id = c.answer_id WHERE " +
          where + " ORDER BY c.id DESC LIMIT ?",
      p));
  json items = json::array();
  for (std::size_t i = 0; i < rows.size() && i < static_cast<std::size_t>(limit); ++i) {
    auto& r = rows[i];
    items.push_back({{"id", r.i64(0)},
                     {"agent_id", r.i64(1)},
                     {"agent_name", r.str(2)},
                     {"author_id", opt(r.opt_i64(3))},
                     {"author_name", opt(r.opt_str(4))},
                     {"review_id", opt(r.opt_i64(5))},
                     {"answer_id", opt(r.opt_i64(6))},
                     {"answer_title", opt(r.opt_str(7))},
                     {"body", r.str(8)},
                     {"created_at", r.str(9)},
                     {"acknowledged_at", opt(r.opt_str(10))}});
  }
  return id_page(items, rows, limit);
}

Result<json> Quality::acknowledge_coaching(const Actor& by, std::int64_t id) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  {
    auto tx = TRY(db_.begin(store::TxMode::write));
    auto r = TRY(tx->maybe_one("SELECT agent_id, acknowledged_at FROM coaching_notes WHERE id = ?",
                               {id}));
    if (!r) return not_found("no such coaching note");
    if (r->i64(0) != by.user_id) return forbidden("only the agent acknowledges their coaching");
    if (!r->is_null(1)) return conflict("acknowledged already", "acknowledged_at");
    TRY(tx->exec("UPDATE coaching_notes SET acknowledged_at = ? WHERE id = ?",
                 {format_time(clock_.now()), id}));
    TRY_STATUS(audit::append(
        *tx, by, {"qa.coaching_acknowledge", "coaching_note", std::to_string(id)}, clock_));
    TRY_STATUS(tx->commit());
  }
  auto page = TRY(list_coaching(by, by.user_id, std::to_string(id + 1), 1));
  return page["items"].empty() ? json::object() : page["items"][0];
}

Result<json> Quality::add_training(const Actor& by, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::quality_review));
  TRY_STATUS(only_fields(body, {"user_id", "course", "taken_on", "result", "score", "notes"}));
  auto user = TRY(optional_id(body, "user_id"));
  if (!user) return invalid("user_id", "user_id is required");
  auto course = TRY(required_text(body, "course", 200));
  auto taken = TRY(required_text(body, "taken_on", 10));
  if (!valid_date(taken)) return invalid("taken_on", "taken_on is a date YYYY-MM-DD");
  auto result = TRY(one_of(body, "result", {"passed", "failed", "attended"}, nullptr));
  std::optional<double> score;
  if (body.contains("score") && !body["score"].is_null()) {
    if (!body["score"].is_number() || body["score"].get<double>() < 0 ||
        body["score"].get<double>() > 100)
      return invalid("score", "score is from 0 to 100");
    score = body["score"].get<double>();
  }
  auto notes = TRY(optional_text(body, "notes", 2000)).value_or("");
  std::int64_t id = 0;
  {
    auto tx = TRY(db_.begin(store::TxMode::write));
    TRY_STATUS(check_staff_user(*tx, *user, "user_id"));
    auto row = TRY(tx->one(
        "INSERT INTO training_records (user_id, course, taken_on, result, score, notes, "
        "recorded_by, created_at) VALUES (?,?,?,?,?,?,?,?) RETURNING id",
        {*user, course, taken, result, store::opt(score), notes, by.user_id,
         format_time(clock_.now())},
        "training record"));
    id = row.i64(0);
    TRY_STATUS(audit::append(*tx, by,
                             {"training.add", "training_record", std::to_string(id), std::nullopt,
                              "", {{"user_id", *user}, {"result", result}}},
                             clock_));
    TRY_STATUS(tx->commit());
  }
  auto page = TRY(list_training(by, *user, std::to_string(id + 1), 1));
  return page["items"].empty() ? json::object() : page["items"][0];
}

Result<json> Quality::list_training(const Actor& by, std::optional<std::int64_t> user_id,
                                    const std::optional<std::string>& cursor, int limit) {
  if (by.role == Role::patron) return forbidden("staff only");
  if (!may(by, auth::Permission::quality_review)) {
    if (user_id && *user_id != by.user_id) return forbidden("you see your own training only");
    user_id = by.user_id;
  }
  auto after = TRY(after_id(cursor));
  limit = std::clamp(limit, 1, 200);
  std::string where = "1 = 1";
  store::Params p;
  if (user_id) {
    where += " AND tr.user_id = ?";
    p.emplace_back(*user_id);
  }
  if (after) {
    where += " AND tr.id < ?";
    p.emplace_back(after);
  }
  p.emplace_back(static_cast<std::int64_t>(limit + 1));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto rows = TRY(tx->query(
      "SELECT tr.id, tr.user_id, u.display_name, tr.course, tr.taken_on, tr.result, tr.score, "
      "tr.notes, tr.recorded_by, tr.created_at FROM training_records tr JOIN users u ON u.id = "
      "tr.user_id WHERE " +
          where + " ORDER BY tr.id DESC LIMIT ?",
      p));
  json items = json::array();
  for (std::size_t i = 0; i < rows.size() && i < static_cast<std::size_t>(limit); ++i) {
    auto& r = rows[i];
    items.push_back({{"id", r.i64(0)},
                     {"user_id", r.i64(1)},
                     {"user_name", r.str(2)},
                     {"course", r.str(3)},
                     {"taken_on", r.str(4)},
                     {"result", r.str(5)},
                     {"score", r.is_null(6) ? json(nullptr) : json(r.f64(6))},
                     {"notes", r.str(7)},
                     {"recorded_by", opt(r.opt_i64(8))},
                     {"created_at", r.str(9)}});
  }
  return id_page(items, rows, limit);
}

}  // namespace dangan::service
