// Appraisal (鉴定) and disposal (销毁).
//
// An appraisal moves through these states:
//
//   proposed --decide(approve)--> approved   (the outcome is carried out at once)
//       |
//       +----decide(reject)---> rejected
//
// Outcomes: keep (nothing changes; noted), extend (a longer retention period),
// change_access (a new access level), dispose (content and attachments removed, the
// record kept as a tombstone with its code and title, one disposal-register entry).
// The proposer never decides their own proposal; a legal hold blocks disposal, both at
// proposal and at decision; one open proposal per record.
//
// The appraisal group (D18): while a proposal is open, other appraisers (staff who may
// propose or decide) give an opinion, agree or disagree, with a comment; one standing
// opinion each. A disposal — the one outcome that cannot be undone — is approved only
// when no appraiser's standing opinion disagrees and at least `disposal_appraisers`
// distinct people agree, counting the proposer and the approving manager.
#include <algorithm>
#include <map>
#include <set>

#include "catalogue/attachments.h"
#include "catalogue/internal.h"
#include "core/crypto.h"
#include "core/cursor.h"
#include "patrons/timeline.h"
#include "store/keyset.h"

namespace dangan::catalogue {

using json = nlohmann::json;
using namespace detail;

namespace {

json appraisal_json(const store::Row& r) {
  json ws = json::parse(r.str(6), nullptr, false);
  return {{"id", r.i64(0)},
          {"record", {{"id", r.i64(1)}, {"reference_code", r.str(13)}, {"title", r.str(14)}}},
          {"outcome", r.str(2)},
          {"new_retention_code", r.opt_str(3) ? json(r.str(3)) : json()},
          {"new_access_level", r.opt_str(4) ? json(r.str(4)) : json()},
          {"reason", r.str(5)},
          {"worksheet", ws.is_object() ? ws : json::object()},
          {"status", r.str(7)},
          {"proposed_by", r.str(15)},
          {"proposed_at", r.str(8)},
          {"decided_by", r.opt_str(16) ? json(r.str(16)) : json()},
          {"decided_at", r.opt_str(10) ? json(r.str(10)) : json()},
          {"decision_note", r.opt_str(11) ? json(r.str(11)) : json()}};
}

// The opinions on the appraisals `ids`, by appraisal id, oldest first.
Result<std::map<std::int64_t, json>> opinions_of(store::Tx& tx,
                                                 const std::vector<std::int64_t>& ids) {
  std::map<std::int64_t, json> out;
  for (auto id : ids) out[id] = json::array();
  if (ids.empty()) return out;
  store::Params params;
  auto rows = TRY(tx.query(
      "SELECT appraisal_id, appraiser_name, appraiser_role, opinion, comment, given_at "
      "FROM appraisal_opinions WHERE appraisal_id IN " + store::in_ids(ids, params) +
          " ORDER BY given_at, id",
      params));
  for (const auto& r : rows) {
    auto it = out.find(r.i64(0));
    if (it == out.end()) continue;
    it->second.push_back({{"appraiser", r.str(1)},
                          {"role", r.str(2)},
                          {"opinion", r.str(3)},
                          {"comment", r.str(4)},
                          {"given_at", r.str(5)}});
  }
  return out;
}

// Takes the appraisal's row lock before anything is read, so that an opinion and a
// decision on it never interleave (on PostgreSQL, where write transactions read committed
// data and run side by side; SQLite has one writer anyway). A missing row locks nothing.
Result<std::int64_t> lock_appraisal(store::Tx& tx, std::int64_t appraisal_id) {
  return tx.exec("UPDATE appraisals SET status = status WHERE id = ?", {appraisal_id});
}

// appraisal_json with its opinions.
Result<json> appraisal_with_opinions(store::Tx& tx, const store::Row& row) {
  json a = appraisal_json(row);
  a["opinions"] = std::move(TRY(opinions_of(tx, {row.i64(0)}))[row.i64(0)]);
  return a;
}

constexpr const char* kAppraisalSelect =
    "SELECT a.id, a.record_id, a.outcome, a.new_retention_code, a.new_access_level, a.reason, "
    "a.worksheet, a.status, a.proposed_at, a.decided_by, a.decided_at, a.decision_note, "
    "a.proposed_by, r.reference_code, r.title, a.proposed_by_name, a.decided_by_name "
    "FROM appraisals a JOIN records r ON r.id = a.record_id";

}  // namespace

Result<json> Service::appraisal_due(const Actor& by, std::optional<std::string> as_of,
                                    std::optional<std::string> cursor, int limit) {
  TRY_STATUS(staff_may(by, auth::Permission::appraisal_propose));
  std::string day = as_of.value_or(today_text(clock_));
  if (day.size() != 10 || day[4] != '-' || day[7] != '-')
    return invalid("as_of", "as_of must be a date YYYY-MM-DD");
  auto tx = TRY(db_.begin(store::TxMode::read));
  // Cursor: [retention_until, id] of the last row.
  std::string where =
      " WHERE r.status IN ('active','closed') AND r.retention_until IS NOT NULL AND "
      "r.retention_until <= ? AND NOT EXISTS (SELECT 1 FROM appraisals a WHERE a.record_id = r.id "
      "AND a.status = 'proposed')";
  store::Params params{day};
  if (auto after = TRY(cursor::parse_time_key(cursor)))
    where += store::after_key("r.retention_until", "r.id", *after, false, params);
  params.push_back(static_cast<std::int64_t>(limit + 1));
  auto rows = TRY(tx->query(
      "SELECT r.id, r.reference_code, r.title, r.year, r.retention_code, r.retention_until, "
      "r.access_level, r.status, r.legal_hold, r.use_count FROM records r" +
          where + " ORDER BY r.retention_until, r.id LIMIT ?",
      params));
  json items = json::array();
  std::size_t n = std::min<std::size_t>(rows.size(), static_cast<std::size_t>(limit));
  for (std::size_t i = 0; i < n; ++i) {
    auto& r = rows[i];
    if (view_of(by, r.str(6)) == RecordView::none) continue;
    items.push_back({{"id", r.i64(0)},
                     {"reference_code", r.str(1)},
                     {"title", r.str(2)},
                     {"year", r.opt_i64(3) ? json(r.i64(3)) : json()},
                     {"retention_code", r.str(4)},
                     {"retention_until", r.str(5)},
                     {"access_level", r.str(6)},
                     {"status", r.str(7)},
                     {"legal_hold", r.i64(8) != 0},
                     {"use_count", r.i64(9)}});
  }
  json out = {{"items", items}, {"next_cursor", nullptr}, {"as_of", day}};
  if (rows.size() > n && n > 0)
    out["next_cursor"] = cursor::encode_key(rows[n - 1].str(5), rows[n - 1].i64(0));
  return out;
}

namespace {

// Disposal is for records whose retention period has run out (到期鉴定): a permanent
// (永久) record, or one still within its period, is refused — on the proposal and again
// when it is approved, since a period's length may have changed in between.
Status retention_allows_disposal(const std::optional<std::string>& retention_until,
                                 const std::string& today) {
  if (!retention_until)
    return conflict("the record is kept permanently and cannot be disposed of", "outcome");
  if (*retention_until > today)
    return conflict("the record's retention period runs until " + *retention_until +
                        "; it cannot be disposed of before then",
                    "outcome");
  return {};
}

// The appraisal group's say on a disposal: no standing disagreement, and at least
// `needed` distinct people agreeing — the proposer and the approver count.
Status group_allows_disposal(store::Tx& tx, std::int64_t appraisal_id, std::int64_t proposer,
                             std::int64_t approver, int needed) {
  auto rows = TRY(tx.query(
      "SELECT appraiser_id, appraiser_name, opinion FROM appraisal_opinions WHERE "
      "appraisal_id = ? ORDER BY id",
      {appraisal_id}));
  std::set<std::int64_t> agreeing{proposer, approver};
  std::vector<std::string> against;
  for (const auto& r : rows) {
    if (r.str(2) == "disagree")
      against.push_back(r.str(1));
    else
      agreeing.insert(r.i64(0));
  }
  if (!against.empty()) {
    std::string names;
    for (const auto& n : against) names += (names.empty() ? "" : ", ") + n;
    return conflict("an appraiser disagrees with this disposal (" + names +
                        "): reject it, or approve once they agree",
                    "opinions");
  }
  if (static_cast<int>(agreeing.size()) < needed)
    return conflict("a disposal needs " + std::to_string(needed) +
                        " appraisers agreeing (the proposer and you count); " +
                        std::to_string(agreeing.size()) + " so far: ask " +
                        std::to_string(needed - static_cast<int>(agreeing.size())) +
                        " more for their opinion",
                    "opinions");
  return {};
}

}  // namespace

Result<json> Service::propose_appraisal(const Actor& by, std::int64_t record_id, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::appraisal_propose));
  TRY_STATUS(only_fields(body, {"outcome", "reason", "new_retention_code", "new_access_level",
                                "worksheet"}));
  if (!body.contains("outcome") || !body["outcome"].is_string())
    return invalid("outcome", "outcome is required: keep, extend, change_access or dispose");
  std::string outcome = body["outcome"].get<std::string>();
  if (outcome != "keep" && outcome != "extend" && outcome != "change_access" && outcome != "dispose")
    return invalid("outcome", "outcome must be keep, extend, change_access or dispose");
  auto reason = TRY(opt_string(body, "reason", 2000));
  if (!reason || reason->empty()) return invalid("reason", "give the reason for the appraisal");
  auto new_retention = TRY(opt_string(body, "new_retention_code", 32));
  auto new_access = TRY(opt_string(body, "new_access_level", 20));
  if (outcome == "extend" && !new_retention)
    return invalid("new_retention_code", "an extension names the new retention period");
  if (outcome == "change_access" &&
      (!new_access || (*new_access != "open" && *new_access != "controlled" && *new_access != "secret")))
    return invalid("new_access_level", "must be open, controlled or secret");
  json worksheet = json::object();
  if (body.contains("worksheet")) {
    // D18: criteria, use history, several appraisers' opinions.
    if (!body["worksheet"].is_object()) return invalid("worksheet", "worksheet must be an object");
    worksheet = body["worksheet"];
    if (worksheet.dump().size() > 20000) return invalid("worksheet", "worksheet is too large");
  }
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto rec = TRY(tx->maybe_one(
      "SELECT status, legal_hold, access_level, retention_code, use_count, retention_until FROM "
      "records WHERE id = ?",
      {record_id}));
  if (!rec || view_of(by, rec->str(2)) == RecordView::none)
    return not_found("no record with id " + std::to_string(record_id));
  if (rec->str(0) == "disposed") return conflict("this record was disposed of");
  if (outcome == "dispose" && rec->i64(1) != 0)
    return conflict("the record is under legal hold and cannot be disposed of", "outcome");
  if (outcome == "dispose")
    TRY_STATUS(retention_allows_disposal(rec->opt_str(5), today_text(clock_)));
  if (outcome == "extend") {
    auto p = TRY(tx->maybe_one("SELECT code FROM retention_periods WHERE code = ?", {*new_retention}));
    if (!p) return invalid("new_retention_code", "no retention period " + *new_retention);
  }
  if (TRY(tx->maybe_one("SELECT id FROM appraisals WHERE record_id = ? AND status = 'proposed'",
                        {record_id})))
    return conflict("this record already has an open appraisal");
  if (!worksheet.contains("use_count")) worksheet["use_count"] = rec->i64(4);
  auto row = TRY(tx->one(
      "INSERT INTO appraisals (record_id, outcome, new_retention_code, new_access_level, reason, "
      "worksheet, proposed_by, proposed_by_name, proposed_at) VALUES (?,?,?,?,?,?,?,?,?) "
      "RETURNING id",
      {record_id, outcome, store::opt(new_retention), store::opt(new_access), *reason,
       worksheet.dump(), by.user_id, by.username, now_text(clock_)},
      "appraisal"));
  std::int64_t id = row.i64(0);
  TRY_STATUS(audit::append(*tx, by,
                           {"appraisal.propose", "appraisal", std::to_string(id), std::nullopt, *reason,
                            {{"record_id", record_id}, {"outcome", outcome}}},
                           clock_));
  auto out = TRY(tx->one(std::string(kAppraisalSelect) + " WHERE a.id = ?", {id}, "appraisal"));
  json answer = TRY(appraisal_with_opinions(*tx, out));
  TRY_STATUS(tx->commit());
  return answer;
}

Result<json> Service::list_appraisals(const Actor& by, std::optional<std::string> status,
                                      std::optional<std::string> cursor, int limit) {
  if (by.role == Role::patron) return forbidden("a portal account cannot do this");
  if (!auth::allowed(by.role, auth::Permission::appraisal_propose) &&
      !auth::allowed(by.role, auth::Permission::appraisal_decide) && by.role != Role::system)
    return forbidden("your role (" + std::string(to_string(by.role)) + ") may not do this");
  if (status && *status != "proposed" && *status != "approved" && *status != "rejected")
    return invalid("status", "must be proposed, approved or rejected");
  auto after = TRY(cursor::parse_id(cursor));
  std::string sql = std::string(kAppraisalSelect) + " WHERE 1 = 1";
  store::Params params;
  if (status) sql += " AND a.status = ?", params.push_back(*status);
  if (after) sql += " AND a.id < ?", params.push_back(*after);
  sql += " ORDER BY a.id DESC LIMIT ?";
  params.push_back(static_cast<std::int64_t>(limit + 1));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto rows = TRY(tx->query(sql, params));
  json items = json::array();
  std::size_t n = std::min<std::size_t>(rows.size(), static_cast<std::size_t>(limit));
  std::vector<std::int64_t> ids;
  for (std::size_t i = 0; i < n; ++i) ids.push_back(rows[i].i64(0));
  auto opinions = TRY(opinions_of(*tx, ids));
  for (std::size_t i = 0; i < n; ++i) {
    items.push_back(appraisal_json(rows[i]));
    items.back()["opinions"] = std::move(opinions[rows[i].i64(0)]);
  }
  json out = {{"items", items}, {"next_cursor", nullptr}};
  if (rows.size() > n && n > 0) out["next_cursor"] = cursor::encode_id(rows[n - 1].i64(0));
  return out;
}

Result<json> Service::decide_appraisal(const Actor& by, std::int64_t appraisal_id, bool approve,
                                       const std::string& note) {
  TRY_STATUS(staff_may(by, auth::Permission::appraisal_decide));
  auto tx = TRY(db_.begin(store::TxMode::write));
  TRY(lock_appraisal(*tx, appraisal_id));
  auto a = TRY(tx->maybe_one(std::string(kAppraisalSelect) + " WHERE a.id = ?", {appraisal_id}));
  if (!a) return not_found("no appraisal with id " + std::to_string(appraisal_id));
  if (a->str(7) != "proposed") return conflict("this appraisal was already " + a->str(7));
  if (a->i64(12) == by.user_id)
    return forbidden("the person who proposed an appraisal cannot decide it");
  std::int64_t record_id = a->i64(1);
  std::string outcome = a->str(2);
  std::string proposer_name = a->str(15);
  std::string now = now_text(clock_);
  auto rec = TRY(tx->one(
      "SELECT r.status, r.legal_hold, r.reference_code, r.title, f.code, c.code, r.retention_code, "
      "r.year, r.patron_id, r.access_level, r.retention_until FROM records r JOIN fonds f ON "
      "f.id = r.fonds_id JOIN categories c ON c.id = r.category_id WHERE r.id = ?",
      {record_id}, "record"));
  json detail = {{"record_id", record_id}, {"outcome", outcome}, {"approved", approve}};
  std::vector<std::string> orphaned;  // content nothing else uses: its files go after commit
  if (approve) {
    if (rec.str(0) == "disposed") return conflict("this record was already disposed of");
    if (outcome == "dispose") {
      if (rec.i64(1) != 0)
        return conflict("the record is under legal hold and cannot be disposed of");
      TRY_STATUS(retention_allows_disposal(rec.opt_str(10), today_text(clock_)));
      TRY_STATUS(group_allows_disposal(*tx, appraisal_id, a->i64(12), by.user_id,
                                       config_.disposal_appraisers));
      // Content goes; the register and the record's code and title stay. The hashes of
      // everything the record held go into the register; the files of content nothing
      // else uses are deleted after the commit (on_content_removed).
      auto hashes = TRY(tx->query(
          "SELECT DISTINCT sha256 FROM attachments WHERE record_id = ? AND removed = 0 AND sha256 "
          "IS NOT NULL ORDER BY sha256",
          {record_id}));
      json content_hashes = json::array();
      for (auto& h : hashes) content_hashes.push_back(h.str(0));
      orphaned = TRY(attachments::purge_record(*tx, record_id, by.user_id, clock_));
      // The box is emptied: the move history says where the file was last.
      auto loc = TRY(tx->one("SELECT location_id FROM records WHERE id = ?", {record_id}, "record"));
      if (auto from = loc.opt_i64(0))
        TRY(tx->exec("INSERT INTO record_moves (record_id, from_location_id, to_location_id, "
                     "reason, moved_by, moved_at) VALUES (?, ?, NULL, 'disposed', ?, ?)",
                     {record_id, *from, by.user_id ? store::Value(by.user_id) : store::null_value(),
                      now}));
      TRY(tx->exec("UPDATE records SET status = 'disposed', disposed_at = ?, description = '', "
                   "keywords = '[]', location_id = NULL, updated_at = ?, version = version + 1 "
                   "WHERE id = ?",
                   {now, now, record_id}));
      TRY(tx->exec(
          "INSERT INTO disposal_register (record_id, appraisal_id, reference_code, title, "
          "fonds_code, category_code, retention_code, year, reason, proposed_by, proposed_by_name, "
          "proposed_at, approved_by, approved_by_name, approved_at, disposed_at, content_hashes) "
          "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
          {record_id, appraisal_id, rec.str(2), rec.str(3), rec.str(4), rec.str(5), rec.str(6),
           store::opt(rec.opt_i64(7)), a->str(5), a->i64(12), proposer_name, a->str(8),
           by.user_id, by.username, now, now, content_hashes.dump()}));
      TRY_STATUS(search::remove(*tx, "record", record_id));
      detail["content_hashes"] = content_hashes;
    } else if (outcome == "extend") {
      auto years = TRY(tx->one("SELECT years FROM retention_periods WHERE code = ?",
                               {a->str(3)}, "retention"));
      std::optional<std::string> until;
      if (years.opt_i64(0) && rec.opt_i64(7))
        until = std::to_string(*rec.opt_i64(7) + *years.opt_i64(0)) + "-12-31";
      TRY(tx->exec("UPDATE records SET retention_code = ?, retention_until = ?, updated_at = ?, "
                   "version = version + 1 WHERE id = ?",
                   {a->str(3), store::opt(until), now, record_id}));
    } else if (outcome == "change_access") {
      TRY(tx->exec("UPDATE records SET access_level = ?, updated_at = ?, version = version + 1 "
                   "WHERE id = ?",
                   {a->str(4), now, record_id}));
    } else {
      // keep: the next appraisal is due after another full period from today.
      auto years = TRY(tx->one(
          "SELECT rp.years FROM records r JOIN retention_periods rp ON rp.code = r.retention_code "
          "WHERE r.id = ?",
          {record_id}, "retention"));
      if (auto y = years.opt_i64(0))
        TRY(tx->exec("UPDATE records SET retention_until = ?, updated_at = ? WHERE id = ?",
                     {std::to_string(std::stoll(now.substr(0, 4)) + *y) + "-12-31", now, record_id}));
    }
    if (outcome != "dispose") {
      auto doc = TRY(document_of(*tx, record_id));
      TRY_STATUS(search::upsert(*tx, doc));
    }
  }
  TRY(tx->exec("UPDATE appraisals SET status = ?, decided_by = ?, decided_by_name = ?, "
               "decided_at = ?, decision_note = ? WHERE id = ? AND status = 'proposed'",
               {approve ? "approved" : "rejected", by.user_id, by.username, now, note,
                appraisal_id}));
  TRY_STATUS(audit::append(*tx, by,
                           {approve ? "appraisal.approve" : "appraisal.reject", "appraisal",
                            std::to_string(appraisal_id), rec.opt_i64(8), note, detail},
                           clock_));
  if (approve && outcome == "dispose" && rec.opt_i64(8))
    TRY(timeline::append(*tx, by,
                         {*rec.opt_i64(8), "record.disposed", "档案 " + rec.str(2) + " 已销毁",
                          {{"reference_code", rec.str(2)}}, "record", std::to_string(record_id)},
                         clock_));
  auto out = TRY(tx->one(std::string(kAppraisalSelect) + " WHERE a.id = ?", {appraisal_id}, "appraisal"));
  json answer = TRY(appraisal_with_opinions(*tx, out));
  TRY_STATUS(tx->commit());
  if (!orphaned.empty() && on_content_removed_) on_content_removed_(orphaned);
  return answer;
}

Result<json> Service::give_opinion(const Actor& by, std::int64_t appraisal_id, const json& body) {
  if (by.role == Role::patron) return forbidden("a portal account cannot do this");
  if (by.role != Role::system && !auth::allowed(by.role, auth::Permission::appraisal_propose) &&
      !auth::allowed(by.role, auth::Permission::appraisal_decide))
    return forbidden("your role (" + std::string(to_string(by.role)) +
                     ") is not one of the appraisers");
  TRY_STATUS(only_fields(body, {"opinion", "comment"}));
  if (!body.contains("opinion") || !body["opinion"].is_string() ||
      (body["opinion"] != "agree" && body["opinion"] != "disagree"))
    return invalid("opinion", "opinion must be agree or disagree");
  std::string opinion = body["opinion"].get<std::string>();
  auto comment = TRY(opt_string(body, "comment", 2000)).value_or("");
  if (opinion == "disagree" && comment.empty())
    return invalid("comment", "say why you disagree");
  auto tx = TRY(db_.begin(store::TxMode::write));
  TRY(lock_appraisal(*tx, appraisal_id));
  auto a = TRY(tx->maybe_one(std::string(kAppraisalSelect) + " WHERE a.id = ?", {appraisal_id}));
  if (!a) return not_found("no appraisal with id " + std::to_string(appraisal_id));
  auto level = TRY(tx->one("SELECT access_level, patron_id FROM records WHERE id = ?",
                           {a->i64(1)}, "record"));
  if (view_of(by, level.str(0)) == RecordView::none)
    return not_found("no appraisal with id " + std::to_string(appraisal_id));
  if (a->str(7) != "proposed")
    return conflict("this appraisal was already " + a->str(7) + ": opinions are closed", "opinion");
  if (a->i64(12) == by.user_id)
    return conflict("the proposal is the proposer's opinion; other appraisers give theirs",
                    "opinion");
  std::string now = now_text(clock_);
  auto had = TRY(tx->maybe_one(
      "SELECT opinion FROM appraisal_opinions WHERE appraisal_id = ? AND appraiser_id = ?",
      {appraisal_id, by.user_id}));
  if (had)
    TRY(tx->exec("UPDATE appraisal_opinions SET opinion = ?, comment = ?, given_at = ?, "
                 "appraiser_name = ?, appraiser_role = ? WHERE appraisal_id = ? AND "
                 "appraiser_id = ?",
                 {opinion, comment, now, by.username, std::string(to_string(by.role)),
                  appraisal_id, by.user_id}));
  else
    TRY(tx->exec("INSERT INTO appraisal_opinions (appraisal_id, appraiser_id, appraiser_name, "
                 "appraiser_role, opinion, comment, given_at) VALUES (?,?,?,?,?,?,?)",
                 {appraisal_id, by.user_id, by.username, std::string(to_string(by.role)),
                  opinion, comment, now}));
  json detail = {{"record_id", a->i64(1)}, {"opinion", opinion}};
  if (had) detail["replaces"] = had->str(0);
  TRY_STATUS(audit::append(*tx, by,
                           {"appraisal.opinion", "appraisal", std::to_string(appraisal_id),
                            level.opt_i64(1), comment, detail},
                           clock_));
  json answer = TRY(appraisal_with_opinions(*tx, *a));
  TRY_STATUS(tx->commit());
  return answer;
}

Result<json> Service::disposal_register(const Actor& by, std::optional<std::string> cursor, int limit) {
  if (by.role == Role::patron) return forbidden("a portal account cannot do this");
  if (by.role != Role::system && by.role != Role::auditor &&
      !auth::allowed(by.role, auth::Permission::appraisal_propose) &&
      !auth::allowed(by.role, auth::Permission::appraisal_decide))
    return forbidden("your role (" + std::string(to_string(by.role)) + ") may not do this");
  auto after = TRY(cursor::parse_id(cursor));
  std::string sql =
      "SELECT d.id, d.record_id, d.appraisal_id, d.reference_code, d.title, d.fonds_code, "
      "d.category_code, d.retention_code, d.year, d.reason, d.proposed_by_name, d.proposed_at, "
      "d.approved_by_name, d.approved_at, d.disposed_at, d.content_hashes FROM disposal_register d";
  store::Params params;
  if (after) sql += " WHERE d.id < ?", params.push_back(*after);
  sql += " ORDER BY d.id DESC LIMIT ?";
  params.push_back(static_cast<std::int64_t>(limit + 1));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto rows = TRY(tx->query(sql, params));
  json items = json::array();
  std::size_t n = std::min<std::size_t>(rows.size(), static_cast<std::size_t>(limit));
  for (std::size_t i = 0; i < n; ++i) {
    auto& r = rows[i];
    json hashes = json::parse(r.str(15), nullptr, false);
    items.push_back({{"id", r.i64(0)},
                     {"record_id", r.i64(1)},
                     {"appraisal_id", r.i64(2)},
                     {"reference_code", r.str(3)},
                     {"title", r.str(4)},
                     {"fonds_code", r.str(5)},
                     {"category_code", r.str(6)},
                     {"retention_code", r.str(7)},
                     {"year", r.opt_i64(8) ? json(r.i64(8)) : json()},
                     {"reason", r.str(9)},
                     {"proposed_by", r.str(10)},
                     {"proposed_at", r.str(11)},
                     {"approved_by", r.str(12)},
                     {"approved_at", r.str(13)},
                     {"disposed_at", r.str(14)},
                     {"content_hashes", hashes.is_array() ? hashes : json::array()}});
  }
  json out = {{"items", items}, {"next_cursor", nullptr}};
  if (rows.size() > n && n > 0) out["next_cursor"] = cursor::encode_id(rows[n - 1].i64(0));
  return out;
}

}  // namespace dangan::catalogue

namespace dangan::catalogue {

Result<nlohmann::json> Service::disposal_evidence(const Actor& by, std::int64_t register_id) {
  using json = nlohmann::json;
  if (by.role == Role::patron) return forbidden("a portal account cannot do this");
  if (by.role != Role::system && by.role != Role::auditor &&
      !auth::allowed(by.role, auth::Permission::appraisal_decide))
    return forbidden("your role (" + std::string(to_string(by.role)) + ") may not do this");
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto d = TRY(tx->maybe_one(
      "SELECT record_id, appraisal_id, reference_code, title, fonds_code, category_code, "
      "retention_code, year, reason, proposed_by_name, proposed_at, approved_by_name, approved_at, "
      "disposed_at, content_hashes FROM disposal_register WHERE id = ?",
      {register_id}));
  if (!d) return not_found("no disposal register entry " + std::to_string(register_id));
  json hashes = json::parse(d->str(14), nullptr, false);
  json entry = {{"id", register_id},          {"record_id", d->i64(0)},
                {"appraisal_id", d->i64(1)},  {"reference_code", d->str(2)},
                {"title", d->str(3)},         {"fonds_code", d->str(4)},
                {"category_code", d->str(5)}, {"retention_code", d->str(6)},
                {"year", d->opt_i64(7) ? json(d->i64(7)) : json()},
                {"reason", d->str(8)},        {"proposed_by", d->str(9)},
                {"proposed_at", d->str(10)},  {"approved_by", d->str(11)},
                {"approved_at", d->str(12)},  {"disposed_at", d->str(13)},
                {"content_hashes", hashes.is_array() ? hashes : json::array()}};
  auto a = TRY(tx->one(
      "SELECT outcome, reason, worksheet, status, proposed_by_name, proposed_at, decided_by_name, "
      "decided_at, decision_note FROM appraisals WHERE id = ?",
      {d->i64(1)}, "appraisal"));
  json ws = json::parse(a.str(2), nullptr, false);
  json appraisal = {{"id", d->i64(1)},          {"outcome", a.str(0)},
                    {"reason", a.str(1)},       {"worksheet", ws.is_object() ? ws : json::object()},
                    {"status", a.str(3)},       {"proposed_by", a.str(4)},
                    {"proposed_at", a.str(5)},  {"decided_by", a.str(6)},
                    {"decided_at", a.str(7)},   {"decision_note", a.str(8)}};
  appraisal["opinions"] = std::move(TRY(opinions_of(*tx, {d->i64(1)}))[d->i64(1)]);
  auto trail = TRY(tx->query(
      "SELECT seq, at, actor_name, actor_role, action, reason, hash FROM audit_log WHERE "
      "(entity_type = 'record' AND entity_id = ?) OR (entity_type = 'appraisal' AND entity_id = ?) "
      "ORDER BY seq",
      {std::to_string(d->i64(0)), std::to_string(d->i64(1))}));
  json audit = json::array();
  for (auto& r : trail)
    audit.push_back({{"seq", r.i64(0)}, {"at", r.str(1)}, {"actor", r.str(2)}, {"role", r.str(3)},
                     {"action", r.str(4)}, {"reason", r.str(5)}, {"hash", r.str(6)}});
  json evidence = {{"disposal", entry}, {"appraisal", appraisal}, {"audit", audit}};
  // nlohmann::json objects keep keys sorted, so dump() is canonical.
  std::string digest = crypto::sha256_hex(evidence.dump());
  return json{{"evidence", evidence}, {"sha256", digest}, {"generated_at", now_text(clock_)}};
}

}  // namespace dangan::catalogue
