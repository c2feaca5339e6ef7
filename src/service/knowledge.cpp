// Knowledge services (定题服务): start, milestones, deliveries, close.
#include "service/knowledge.h"

#include <algorithm>
#include <set>

#include "patrons/patrons.h"
#include "patrons/timeline.h"
#include "patrons/writes.h"
#include "service/internal.h"

namespace dangan::service {

using json = nlohmann::json;
using namespace detail;

namespace {

constexpr const char* kCols =
    "k.id, k.patron_id, k.topic, k.scope, k.specialist_id, u.display_name, k.status, "
    "k.delivery_interval_days, k.next_delivery_due, k.started_at, k.closed_at, k.satisfaction, "
    "k.closing_comment, k.created_at, k.updated_at";
constexpr const char* kFrom = " FROM knowledge_services k LEFT JOIN users u ON u.id = k.specialist_id";

json service_json(const store::Row& r) {
  return {{"id", r.i64(0)},
          {"patron_id", r.i64(1)},
          {"topic", r.str(2)},
          {"scope", r.str(3)},
          {"specialist_id", opt(r.opt_i64(4))},
          {"specialist_name", opt(r.opt_str(5))},
          {"status", r.str(6)},
          {"delivery_interval_days", opt(r.opt_i64(7))},
          {"next_delivery_due", opt(r.opt_str(8))},
          {"started_at", r.str(9)},
          {"closed_at", opt(r.opt_str(10))},
          {"satisfaction", opt(r.opt_i64(11))},
          {"closing_comment", r.str(12)},
          {"created_at", r.str(13)},
          {"updated_at", r.str(14)}};
}

// Who may see the service: its own patron, or staff with ticket_read (a service that
// does not exist for the caller is not_found, as tickets are).
Status may_see(const Actor& by, std::int64_t patron_id) {
  if (by.role == Role::patron) {
    if (by.patron_id && *by.patron_id == patron_id) return {};
    return not_found("no such knowledge service");
  }
  return staff_may(by, auth::Permission::ticket_read);
}

Result<std::optional<std::int64_t>> interval_days(const json& body) {
  if (!body.contains("delivery_interval_days") || body["delivery_interval_days"].is_null())
    return std::optional<std::int64_t>{};
  const auto& v = body["delivery_interval_days"];
  if (!v.is_number_integer() || v.get<std::int64_t>() < 1 || v.get<std::int64_t>() > 366)
    return invalid("delivery_interval_days", "delivery_interval_days is a whole number 1–366");
  return std::optional<std::int64_t>(v.get<std::int64_t>());
}

std::optional<std::string> due_after(const std::string& from, std::optional<std::int64_t> days) {
  if (!days) return std::nullopt;
  auto t = parse_time(from);
  if (!t) return std::nullopt;
  return format_time(*t + std::chrono::days(*days));
}

Result<std::pair<std::string, std::string>> milestone_fields(const json& m) {
  TRY_STATUS(only_fields(m, {"title", "due_on"}));
  auto title = TRY(required_text(m, "title", 200));
  auto due = TRY(required_text(m, "due_on", 10));
  if (!valid_date(due)) return invalid("due_on", "due_on is a date YYYY-MM-DD");
  return std::make_pair(title, due);
}

// The service row for a change: exists, and still active.
// An active service; `adds_data`: the change records something new about the patron,
// refused when they were erased (such a service is only cancelled, without a comment).
Result<store::Row> active_row(store::Tx& tx, std::int64_t id, bool adds_data = true) {
  auto row = TRY(tx.maybe_one(
      "SELECT patron_id, status, topic, delivery_interval_days FROM knowledge_services WHERE id "
      "= ?",
      {id}));
  if (!row) return not_found("no such knowledge service");
  if (row->str(1) != "active") return conflict("the knowledge service is closed", "status");
  if (adds_data) TRY_STATUS(patrons::refuse_if_erased(tx, row->i64(0)));
  return *row;
}

}  // namespace

KnowledgeServices::KnowledgeServices(store::Database& db, audit::ReadRecorder& reads,
                                     RecordLookup records, const Clock& clock)
    : db_(db), reads_(reads), records_(std::move(records)), clock_(clock) {}

Result<json> KnowledgeServices::load_json(store::Tx& tx, std::int64_t id) {
  auto row = TRY(tx.maybe_one(std::string("SELECT ") + kCols + kFrom + " WHERE k.id = ?", {id}));
  if (!row) return not_found("no such knowledge service");
  json out = service_json(*row);
  json milestones = json::array();
  for (auto& m : TRY(tx.query(
           "SELECT id, title, due_on, done_at, done_by, created_at FROM knowledge_milestones "
           "WHERE service_id = ? ORDER BY due_on, id",
           {id})))
    milestones.push_back({{"id", m.i64(0)},
                          {"title", m.str(1)},
                          {"due_on", m.str(2)},
                          {"done_at", opt(m.opt_str(3))},
                          {"done_by", opt(m.opt_i64(4))},
                          {"created_at", m.str(5)}});
  out["milestones"] = milestones;
  json deliveries = json::array();
  auto drows = TRY(tx.query(
      "SELECT d.id, d.summary, d.delivered_at, d.delivered_by, u.display_name FROM "
      "knowledge_deliveries d LEFT JOIN users u ON u.id = d.delivered_by WHERE d.service_id = ? "
      "ORDER BY d.delivered_at DESC, d.id DESC",
      {id}));
  auto links = TRY(tx.query(
      "SELECT r.delivery_id, r.record_id, r.reference_code, r.title FROM "
      "knowledge_delivery_records r JOIN knowledge_deliveries d ON d.id = r.delivery_id WHERE "
      "d.service_id = ? ORDER BY r.delivery_id, r.reference_code",
      {id}));
  for (auto& d : drows) {
    json recs = json::array();
    for (auto& l : links)
      if (l.i64(0) == d.i64(0))
        recs.push_back({{"id", l.i64(1)}, {"reference_code", l.str(2)}, {"title", l.str(3)}});
    deliveries.push_back({{"id", d.i64(0)},
                          {"summary", d.str(1)},
                          {"delivered_at", d.str(2)},
                          {"delivered_by", opt(d.opt_i64(3))},
                          {"delivered_by_name", opt(d.opt_str(4))},
                          {"records", recs}});
  }
  out["deliveries"] = deliveries;
  return out;
}

Result<json> KnowledgeServices::start(const Actor& by, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_write));
  TRY_STATUS(only_fields(
      body, {"patron_id", "topic", "scope", "specialist_id", "delivery_interval_days",
             "milestones"}));
  auto patron_id = TRY(optional_id(body, "patron_id"));
  if (!patron_id) return invalid("patron_id", "patron_id is required");
  auto topic = TRY(required_text(body, "topic", 200));
  auto scope = TRY(optional_text(body, "scope", 4000)).value_or("");
  auto specialist = TRY(optional_id(body, "specialist_id"));
  auto interval = TRY(interval_days(body));
  std::vector<std::pair<std::string, std::string>> milestones;
  if (body.contains("milestones") && !body["milestones"].is_null()) {
    if (!body["milestones"].is_array() || body["milestones"].size() > 50)
      return invalid("milestones", "milestones is a list of at most 50 {title, due_on}");
    for (const auto& m : body["milestones"]) {
      auto f = milestone_fields(m);
      if (!f) return invalid("milestones", f.error().message);
      milestones.push_back(*f);
    }
  }
  auto tx = TRY(db_.begin(store::TxMode::write));
  TRY_STATUS(patrons::may_write_about(*tx, *patron_id));
  if (specialist) TRY_STATUS(check_user(*tx, *specialist, "specialist_id"));
  std::string now = format_time(clock_.now());
  auto row = TRY(tx->one(
      "INSERT INTO knowledge_services (patron_id, topic, scope, specialist_id, status, "
      "delivery_interval_days, next_delivery_due, started_at, created_by, created_at, "
      "updated_at) VALUES (?,?,?,?,'active',?,?,?,?,?,?) RETURNING id",
      {*patron_id, topic, scope, store::opt(specialist), store::opt(interval),
       store::opt(due_after(now, interval)), now, store::opt(author_of(by)), now, now},
      "knowledge service"));
  std::int64_t id = row.i64(0);
  for (auto& [title, due] : milestones)
    TRY(tx->exec(
        "INSERT INTO knowledge_milestones (service_id, title, due_on, created_at) VALUES "
        "(?,?,?,?)",
        {id, title, due, now}));
  TRY_STATUS(audit::append(*tx, by,
                           {"knowledge.start",
                            "knowledge_service",
                            std::to_string(id),
                            patron_id,
                            "",
                            {{"milestones", milestones.size()}}},
                           clock_));
  TRY(timeline::append(*tx, by,
                       {*patron_id, "knowledge.started", "Knowledge service started: " + topic,
                        json::object(), "knowledge_service", std::to_string(id)},
                       clock_));
  auto out = TRY(load_json(*tx, id));
  TRY_STATUS(tx->commit());
  return out;
}

Result<json> KnowledgeServices::get(const Actor& by, std::int64_t id) {
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto row = TRY(tx->maybe_one("SELECT patron_id FROM knowledge_services WHERE id = ?", {id}));
  if (!row) return not_found("no such knowledge service");
  std::int64_t patron_id = row->i64(0);
  TRY_STATUS(may_see(by, patron_id));
  auto out = TRY(load_json(*tx, id));
  // What a patron researches is personal data: staff reads are audited.
  if (!by.is_staff()) return out;
  reads_.record(by, {"knowledge.read", "knowledge_service", std::to_string(id), patron_id});
  // The patron's name as the list gives it.
  json one = json::array({std::move(out)});
  TRY_STATUS(patrons::add_patron_names(*tx, by, &reads_, one, "knowledge_services"));
  return std::move(one[0]);
}

Result<json> KnowledgeServices::list(const Actor& by, const KnowledgeQuery& q) {
  std::string where = "1 = 1";
  store::Params p;
  std::optional<std::int64_t> patron_id = q.patron_id;
  if (by.role == Role::patron) {
    if (!by.patron_id) return forbidden("a portal account without a patron");
    if (patron_id && *patron_id != *by.patron_id) return json{{"items", json::array()},
                                                              {"next_cursor", nullptr}};
    patron_id = by.patron_id;
  } else {
    TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  }
  if (q.status) {
    if (!is_one_of(*q.status, {"active", "completed", "cancelled"}))
      return invalid("status", "status is active, completed or cancelled");
    where += " AND k.status = ?";
    p.emplace_back(*q.status);
  }
  if (patron_id) {
    where += " AND k.patron_id = ?";
    p.emplace_back(*patron_id);
  }
  if (q.specialist_id) {
    where += " AND k.specialist_id = ?";
    p.emplace_back(*q.specialist_id);
  }
  if (q.mine) {
    where += " AND k.specialist_id = ?";
    p.emplace_back(by.user_id);
  }
  // Newest first; the cursor is the last id.
  if (auto after = TRY(after_id(q.cursor))) {
    where += " AND k.id < ?";
    p.emplace_back(after);
  }
  int limit = std::clamp(q.limit, 1, 200);
  p.emplace_back(static_cast<std::int64_t>(limit + 1));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto rows = TRY(tx->query(std::string("SELECT ") + kCols +
                                ", (SELECT COUNT(*) FROM knowledge_deliveries d WHERE "
                                "d.service_id = k.id), (SELECT MIN(m.due_on) FROM "
                                "knowledge_milestones m WHERE m.service_id = k.id AND m.done_at "
                                "IS NULL)" +
                                kFrom + " WHERE " + where + " ORDER BY k.id DESC LIMIT ?",
                            p));
  json items = json::array();
  for (std::size_t i = 0; i < rows.size() && i < static_cast<std::size_t>(limit); ++i) {
    json j = service_json(rows[i]);
    j["delivery_count"] = rows[i].i64(15);
    j["next_milestone_due"] = opt(rows[i].opt_str(16));
    items.push_back(std::move(j));
  }
  if (by.is_staff())
    TRY_STATUS(patrons::add_patron_names(*tx, by, &reads_, items, "knowledge_services"));
  bool any = !items.empty();  // read before items moves into the page
  json out = id_page(std::move(items), rows, limit);
  if (by.is_staff() && patron_id && any)
    reads_.record(by, {"knowledge.list", "patron", std::to_string(*patron_id), patron_id});
  return out;
}

Result<json> KnowledgeServices::update(const Actor& by, std::int64_t id, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_write));
  TRY_STATUS(
      only_fields(body, {"topic", "scope", "specialist_id", "delivery_interval_days"}));
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto cur = TRY(active_row(*tx, id));
  std::string set = "updated_at = ?";
  std::string now = format_time(clock_.now());
  store::Params p{now};
  std::vector<std::string> changed;
  if (body.contains("topic")) {
    p.emplace_back(TRY(required_text(body, "topic", 200)));
    set += ", topic = ?";
    changed.push_back("topic");
  }
  if (body.contains("scope")) {
    p.emplace_back(TRY(optional_text(body, "scope", 4000)).value_or(""));
    set += ", scope = ?";
    changed.push_back("scope");
  }
  if (body.contains("specialist_id")) {
    auto s = TRY(optional_id(body, "specialist_id"));
    if (s) TRY_STATUS(check_user(*tx, *s, "specialist_id"));
    p.emplace_back(store::opt(s));
    set += ", specialist_id = ?";
    changed.push_back("specialist_id");
  }
  if (body.contains("delivery_interval_days")) {
    auto interval = TRY(interval_days(body));
    // The rhythm restarts from the last delivery, or from the start.
    auto last = TRY(tx->one(
        "SELECT COALESCE(MAX(d.delivered_at), k.started_at) FROM knowledge_services k LEFT JOIN "
        "knowledge_deliveries d ON d.service_id = k.id WHERE k.id = ? GROUP BY k.started_at",
        {id}, "knowledge service"));
    p.emplace_back(store::opt(interval));
    p.emplace_back(store::opt(due_after(last.str(0), interval)));
    set += ", delivery_interval_days = ?, next_delivery_due = ?";
    changed.push_back("delivery_interval_days");
  }
  p.emplace_back(id);
  TRY(tx->exec("UPDATE knowledge_services SET " + set + " WHERE id = ?", p));
  std::int64_t patron_id = cur.i64(0);
  TRY_STATUS(audit::append(*tx, by,
                           {"knowledge.update",
                            "knowledge_service",
                            std::to_string(id),
                            patron_id,
                            "",
                            {{"changed", changed}}},
                           clock_));
  auto out = TRY(load_json(*tx, id));
  TRY_STATUS(tx->commit());
  return out;
}

Result<json> KnowledgeServices::add_milestone(const Actor& by, std::int64_t id, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_write));
  auto [title, due] = TRY(milestone_fields(body));
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto cur = TRY(active_row(*tx, id));
  std::string now = format_time(clock_.now());
  auto row = TRY(tx->one(
      "INSERT INTO knowledge_milestones (service_id, title, due_on, created_at) VALUES "
      "(?,?,?,?) RETURNING id",
      {id, title, due, now}, "milestone"));
  TRY(tx->exec("UPDATE knowledge_services SET updated_at = ? WHERE id = ?", {now, id}));
  TRY_STATUS(audit::append(*tx, by,
                           {"knowledge.milestone_add",
                            "knowledge_service",
                            std::to_string(id),
                            cur.i64(0),
                            "",
                            {{"milestone_id", row.i64(0)}, {"due_on", due}}},
                           clock_));
  auto out = TRY(load_json(*tx, id));
  TRY_STATUS(tx->commit());
  return out;
}

Result<json> KnowledgeServices::complete_milestone(const Actor& by, std::int64_t id,
                                                   std::int64_t milestone_id) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_write));
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto cur = TRY(active_row(*tx, id, false));  // no new text: a milestone that exists
  std::string now = format_time(clock_.now());
  auto m = TRY(tx->maybe_one(
      "SELECT title, done_at FROM knowledge_milestones WHERE id = ? AND service_id = ?",
      {milestone_id, id}));
  if (!m) return not_found("no such milestone in this knowledge service");
  if (!m->is_null(1)) return conflict("the milestone is done already", "milestone");
  TRY(tx->exec("UPDATE knowledge_milestones SET done_at = ?, done_by = ? WHERE id = ?",
               {now, store::opt(author_of(by)), milestone_id}));
  TRY(tx->exec("UPDATE knowledge_services SET updated_at = ? WHERE id = ?", {now, id}));
  std::int64_t patron_id = cur.i64(0);
  TRY_STATUS(audit::append(*tx, by,
                           {"knowledge.milestone_done",
                            "knowledge_service",
                            std::to_string(id),
                            patron_id,
                            "",
                            {{"milestone_id", milestone_id}}},
                           clock_));
  TRY(timeline::append(*tx, by,
                       {patron_id,
                        "knowledge.milestone_done",
                        "Milestone reached in " + cur.str(2) + ": " + m->str(0),
                        {{"milestone_id", milestone_id}},
                        "knowledge_service",
                        std::to_string(id)},
                       clock_));
  auto out = TRY(load_json(*tx, id));
  TRY_STATUS(tx->commit());
  return out;
}

Result<json> KnowledgeServices::deliver(const Actor& by, std::int64_t id, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_write));
  TRY_STATUS(only_fields(body, {"summary", "record_ids"}));
  auto summary = TRY(required_text(body, "summary", 4000));
  std::vector<std::int64_t> ids;
  if (body.contains("record_ids") && !body["record_ids"].is_null()) {
    if (!body["record_ids"].is_array() || body["record_ids"].size() > 200)
      return invalid("record_ids", "record_ids is a list of at most 200 record ids");
    for (const auto& v : body["record_ids"]) {
      if (!v.is_number_integer() || v.get<std::int64_t>() <= 0)
        return invalid("record_ids", "record_ids holds positive whole numbers");
      ids.push_back(v.get<std::int64_t>());
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  }
  // The records as the deliverer sees them, through the catalogue (before the write
  // transaction: the catalogue reads in its own).
  std::vector<json> recs;
  for (auto rid : ids) {
    if (!records_) return fail(ErrorCode::internal, "no catalogue to look records up in");
    auto r = records_(by, rid);
    if (!r) {
      if (r.error().code == ErrorCode::not_found || r.error().code == ErrorCode::forbidden)
        return invalid("record_ids", "no record with id " + std::to_string(rid) + " you may see");
      return std::unexpected(r.error());
    }
    recs.push_back(std::move(*r));
  }
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto cur = TRY(active_row(*tx, id));
  std::string now = format_time(clock_.now());
  auto row = TRY(tx->one(
      "INSERT INTO knowledge_deliveries (service_id, summary, delivered_at, delivered_by) VALUES "
      "(?,?,?,?) RETURNING id",
      {id, summary, now, store::opt(author_of(by))}, "delivery"));
  std::int64_t delivery_id = row.i64(0);
  store::Params values;
  for (auto& r : recs) {
    values.emplace_back(delivery_id);
    values.emplace_back(r["id"].get<std::int64_t>());
    values.emplace_back(r.value("reference_code", std::string()));
    values.emplace_back(r["title"].is_string() ? r["title"].get<std::string>() : std::string());
  }
  if (!values.empty())
    TRY(store::insert_rows(
        *tx, "INSERT INTO knowledge_delivery_records (delivery_id, record_id, reference_code, title)",
        4, values));
  TRY(tx->exec(
      "UPDATE knowledge_services SET updated_at = ?, next_delivery_due = ? WHERE id = ?",
      {now, store::opt(due_after(now, cur.opt_i64(3))), id}));
  std::int64_t patron_id = cur.i64(0);
  TRY_STATUS(audit::append(*tx, by,
                           {"knowledge.deliver",
                            "knowledge_service",
                            std::to_string(id),
                            patron_id,
                            "",
                            {{"delivery_id", delivery_id}, {"record_ids", ids}}},
                           clock_));
  TRY(timeline::append(*tx, by,
                       {patron_id,
                        "knowledge.delivered",
                        "Delivered for " + cur.str(2) + ": " + std::to_string(ids.size()) +
                            " record(s)",
                        {{"delivery_id", delivery_id}, {"record_ids", ids}},
                        "knowledge_service",
                        std::to_string(id)},
                       clock_));
  auto out = TRY(load_json(*tx, id));
  TRY_STATUS(tx->commit());
  return out;
}

Result<json> KnowledgeServices::close(const Actor& by, std::int64_t id, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_write));
  TRY_STATUS(only_fields(body, {"outcome", "satisfaction", "comment"}));
  auto outcome = TRY(one_of(body, "outcome", {"completed", "cancelled"}, nullptr));
  std::optional<std::int64_t> satisfaction;
  if (body.contains("satisfaction") && !body["satisfaction"].is_null()) {
    const auto& s = body["satisfaction"];
    if (!s.is_number_integer() || s.get<std::int64_t>() < 1 || s.get<std::int64_t>() > 5)
      return invalid("satisfaction", "satisfaction is a whole number from 1 to 5");
    satisfaction = s.get<std::int64_t>();
  }
  if (outcome == "completed" && !satisfaction)
    return invalid("satisfaction", "a completed service records the patron's satisfaction (1–5)");
  auto comment = TRY(optional_text(body, "comment", 2000)).value_or("");
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto cur = TRY(active_row(*tx, id, outcome != "cancelled" || !comment.empty()));
  std::string now = format_time(clock_.now());
  // Conditional on still active: two closes at once close it once.
  auto n = TRY(tx->exec(
      "UPDATE knowledge_services SET status = ?, satisfaction = ?, closing_comment = ?, "
      "closed_at = ?, next_delivery_due = NULL, updated_at = ? WHERE id = ? AND status = "
      "'active'",
      {outcome, store::opt(satisfaction), comment, now, now, id}));
  if (n == 0) return conflict("the knowledge service is closed", "status");
  std::int64_t patron_id = cur.i64(0);
  json detail = {{"outcome", outcome}, {"satisfaction", opt(satisfaction)}};
  TRY_STATUS(audit::append(
      *tx, by, {"knowledge.close", "knowledge_service", std::to_string(id), patron_id, "", detail},
      clock_));
  std::string summary =
      outcome == "completed"
          ? "Knowledge service completed: " + cur.str(2) + ", satisfaction " +
                std::to_string(*satisfaction) + "/5"
          : "Knowledge service cancelled: " + cur.str(2);
  TRY(timeline::append(
      *tx, by, {patron_id, "knowledge.closed", summary, detail, "knowledge_service",
                std::to_string(id)},
      clock_));
  auto out = TRY(load_json(*tx, id));
  TRY_STATUS(tx->commit());
  return out;
}

}  // namespace dangan::service
