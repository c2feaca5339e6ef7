// faq.cpp — FAQ entries (常见问题): proposals from resolved consultations, approval by a
// manager, the entries in the catalogue's search index, and what the portal's offer of
// them came to.
#include <algorithm>
#include <set>

#include "search/analyzer.h"
#include "search/search.h"
#include "service/board.h"
#include "service/internal.h"
#include "service/redact.h"
#include "text/text.h"

namespace dangan::service {

using json = nlohmann::json;
using namespace detail;

namespace {

constexpr const char* kFaqCols =
    "f.id, f.status, f.question, f.answer, f.pending_question, f.pending_answer, f.proposed_by, "
    "f.proposed_at, f.source_ticket_id, f.decided_by, f.decided_at, f.reject_reason, "
    "f.shown_count, f.deflected_count, f.ticket_after_count, f.created_at, f.updated_at, "
    "pu.display_name, du.display_name";
constexpr const char* kFaqFrom =
    " FROM faq_entries f LEFT JOIN users pu ON pu.id = f.proposed_by LEFT JOIN users du ON du.id "
    "= f.decided_by";

json staff_json(const store::Row& r) {
  json pending = nullptr;
  if (!r.is_null(4))
    pending = {{"question", r.str(4)}, {"answer", r.str(5)}};
  std::string status = r.str(1);
  return {{"id", r.i64(0)},
          {"status", status},
          {"question", r.str(2)},
          {"answer", r.str(3)},
          {"pending", pending},
          {"awaiting_approval", status == "proposed" || !r.is_null(4)},
          {"proposed_by", opt(r.opt_i64(6))},
          {"proposed_by_name", opt(r.opt_str(17))},
          {"proposed_at", r.str(7)},
          {"source_ticket_id", opt(r.opt_i64(8))},
          {"decided_by", opt(r.opt_i64(9))},
          {"decided_by_name", opt(r.opt_str(18))},
          {"decided_at", opt(r.opt_str(10))},
          {"reject_reason", r.str(11)},
          {"counts",
           {{"shown", r.i64(12)}, {"deflected", r.i64(13)}, {"ticket_after", r.i64(14)}}},
          {"created_at", r.str(15)},
          {"updated_at", r.str(16)}};
}

json public_json(const store::Row& r) {
  return {{"id", r.i64(0)}, {"question", r.str(2)}, {"answer", r.str(3)},
          {"updated_at", r.str(16)}};
}

Result<store::Row> load_entry(store::Tx& tx, std::int64_t id) {
  auto r = TRY(tx.maybe_one(std::string("SELECT ") + kFaqCols + kFaqFrom + " WHERE f.id = ?", {id}));
  if (!r) return not_found("no such FAQ entry");
  return *r;
}

// The entry as the search index holds it: the question as title, the answer as text,
// deflections as its use (entries that answer people rank higher).
Status index_entry(store::Tx& tx, const store::Row& r, const std::string& now) {
  search::Document d;
  d.kind = "faq";
  d.id = r.i64(0);
  d.title = r.str(2);
  d.description = r.str(3);
  d.access_level = "open";
  d.use_count = r.i64(13);
  d.updated_at = now;
  return search::upsert(tx, d);
}

// The words of a question (Chinese words of two or more characters, Latin words of
// three or more letters), folded, at most eight.
std::vector<std::string> words_of(const std::string& q) {
  std::string folded = text::fold(q);
  std::vector<std::string> out;
  auto add = [&out](std::string w) {
    if (out.size() < 8 && std::find(out.begin(), out.end(), w) == out.end()) out.push_back(w);
  };
  for (auto& run : search::analysis::han_runs(folded))
    for (auto& w : search::analysis::han_words(run))
      if (text::utf8_length(w) >= 2) add(w);
  std::string latin;
  for (char c : folded + " ") {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      latin += c;
    } else {
      if (latin.size() >= 3) add(latin);
      latin.clear();
    }
  }
  return out;
}

// Published entries having the most of the query's words, each word searched as the
// catalogue searches it (a few small searches: the FAQ is hundreds of entries).
Result<std::vector<search::Hit>> by_some_words(store::Tx& tx, search::Query sq,
                                               const std::string& q, int limit) {
  std::vector<search::Hit> ranked;
  std::vector<int> matched;
  auto words = words_of(q);
  if (words.size() < 2) return ranked;
  for (auto& w : words) {
    sq.q = w;
    auto r = search::run(tx, sq, search::Weights{});
    if (!r) continue;
    for (auto& hit : r->items) {
      auto it = std::find_if(ranked.begin(), ranked.end(),
                             [&](const search::Hit& x) { return x.id == hit.id; });
      if (it == ranked.end()) {
        ranked.push_back(hit);
        matched.push_back(1);
      } else {
        ++matched[static_cast<std::size_t>(it - ranked.begin())];
      }
    }
  }
  std::vector<std::size_t> order(ranked.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return matched[a] > matched[b]; });
  std::vector<search::Hit> out;
  for (auto i : order) {
    // One word in common is not a match for a question of several.
    if (matched[i] < 2 || static_cast<int>(out.size()) >= limit) break;
    out.push_back(ranked[i]);
  }
  return out;
}

Status staff_reader(const Actor& by) {
  if (staff_may(by, auth::Permission::faq_approve)) return {};
  return staff_may(by, auth::Permission::ticket_read);
}

}  // namespace

Result<json> Board::faq_draft(const Actor& by, std::int64_t ticket_id) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_write));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto t = TRY(load(*tx, ticket_id));
  TRY_STATUS(may_see(by, t));
  if (t.kind != "consultation")
    return invalid("ticket_id", "only a consultation (咨询) becomes an FAQ entry");
  if (t.status != "resolved" && t.status != "closed")
    return invalid("ticket_id", "the consultation is not resolved yet");
  auto first = TRY(tx->maybe_one(
      "SELECT body FROM ticket_messages WHERE ticket_id = ? AND kind = 'patron' ORDER BY id LIMIT 1",
      {ticket_id}));
  std::string answer = t.resolution;
  if (answer.find_first_not_of(" \t\r\n") == std::string::npos) {
    auto reply = TRY(tx->maybe_one(
        "SELECT body FROM ticket_messages WHERE ticket_id = ? AND kind = 'reply' ORDER BY id DESC "
        "LIMIT 1",
        {ticket_id}));
    answer = reply ? reply->str(0) : "";
  }
  // What identifies the patron goes: their name (and 王先生 / 王女士 forms of it), the
  // ticket number, and whatever has the shape of a phone, e-mail address or ID number.
  std::vector<Literal> literals = {{t.number, "[工单号]"}};
  if (t.patron_id) {
    if (auto name = name_of(*t.patron_id); name && !name->empty()) {
      literals.push_back({*name, "[姓名]"});
      // The surname is the first character, or the first two (欧阳, 司马) in longer names.
      auto chars = text::utf8_length(*name);
      std::size_t cut = 0;
      for (long k = 1; k <= 2 && k < chars; ++k) {
        unsigned char b = static_cast<unsigned char>((*name)[cut]);
        cut += b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
        if (k == 2 && chars < 3) break;
        for (const char* suffix : {"先生", "女士", "老师", "同志"})
          literals.push_back({name->substr(0, cut) + suffix, "[姓名]"});
      }
      // Longer forms first, so 欧阳先生 goes whole.
      std::stable_sort(literals.begin(), literals.end(), [](const Literal& a, const Literal& b) {
        return a.text.size() > b.text.size();
      });
    }
  }
  std::string question = t.subject;
  if (first && first->str(0) != t.subject) question += "\n" + first->str(0);
  return json{{"ticket_id", ticket_id},
              {"ticket_number", t.number},
              {"question", remove_personal_data(question, literals)},
              {"answer", remove_personal_data(answer, literals)}};
}

Result<json> Board::propose_faq(const Actor& by, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_write));
  TRY_STATUS(only_fields(body, {"ticket_id", "question", "answer"}));
  auto ticket_id = TRY(optional_id(body, "ticket_id"));
  auto question = TRY(optional_text(body, "question", 1000));
  auto answer = TRY(optional_text(body, "answer", 10000));
  if (!ticket_id) {
    if (!question) return invalid("question", "is required without ticket_id");
    if (!answer) return invalid("answer", "is required without ticket_id");
  }
  if (!question || !answer) {
    auto draft = TRY(faq_draft(by, *ticket_id));
    if (!question) question = draft["question"].get<std::string>();
    if (!answer) answer = draft["answer"].get<std::string>();
  } else if (ticket_id) {
    TRY(faq_draft(by, *ticket_id));  // the same checks on the ticket
  }
  if (question->find_first_not_of(" \t\r\n") == std::string::npos)
    return invalid("question", "must not be blank");
  if (answer->find_first_not_of(" \t\r\n") == std::string::npos)
    return invalid("answer", "must not be blank");
  auto now = format_time(clock_.now());
  auto tx = TRY(db_.begin(store::TxMode::write));
  if (ticket_id) {
    auto dup = TRY(tx->maybe_one(
        "SELECT id FROM faq_entries WHERE source_ticket_id = ? AND status IN "
        "('proposed','published')",
        {*ticket_id}));
    if (dup) return conflict("FAQ entry " + dup->str(0) + " was already made from this ticket",
                             "ticket_id");
  }
  auto row = TRY(tx->one(
      "INSERT INTO faq_entries (status, question, answer, proposed_by, proposed_at, "
      "source_ticket_id, created_at, updated_at) VALUES ('proposed',?,?,?,?,?,?,?) RETURNING id",
      {*question, *answer, by.user_id, now, store::opt(ticket_id), now, now}, "faq entry"));
  auto id = row.i64(0);
  TRY_STATUS(audit::append(*tx, by,
                           {"faq.propose", "faq_entry", std::to_string(id), std::nullopt, "",
                            {{"ticket_id", ticket_id ? json(*ticket_id) : json(nullptr)}}},
                           clock_));
  auto r = TRY(load_entry(*tx, id));
  TRY_STATUS(tx->commit());
  return staff_json(r);
}

Result<json> Board::faq_entries(const Actor& by, const std::optional<std::string>& status,
                                const std::string& q, const std::optional<std::string>& cursor,
                                int limit) {
  TRY_STATUS(staff_reader(by));
  std::string where = "1 = 1";
  store::Params p;
  if (status) {
    if (*status == "awaiting")
      where += " AND (f.status = 'proposed' OR (f.status = 'published' AND f.pending_question IS NOT NULL))";
    else if (is_one_of(*status, {"proposed", "published", "rejected", "retired"})) {
      where += " AND f.status = ?";
      p.emplace_back(*status);
    } else
      return invalid("status", "must be awaiting, proposed, published, rejected or retired");
  }
  if (auto after = TRY(after_id(cursor))) {
    where += " AND f.id < ?";
    p.emplace_back(after);
  }
  std::string folded = text::fold(q);
  for (std::size_t i = 0; i < folded.size();) {
    auto j = std::min(folded.find(' ', i), folded.size());
    if (j > i) {
      // Entries are few (hundreds): a scan of folded text is enough for staff.
      std::string w = folded.substr(i, j - i);
      std::erase_if(w, [](char c) { return c == '%' || c == '_' || c == '\\'; });
      where += " AND (LOWER(f.question) LIKE ? OR LOWER(f.answer) LIKE ?)";
      p.emplace_back("%" + w + "%");
      p.emplace_back("%" + w + "%");
    }
    i = j + 1;
  }
  limit = std::clamp(limit, 1, 200);
  p.emplace_back(static_cast<std::int64_t>(limit + 1));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto rows = TRY(tx->query(
      std::string("SELECT ") + kFaqCols + kFaqFrom + " WHERE " + where + " ORDER BY f.id DESC LIMIT ?",
      p));
  json items = json::array();
  for (std::size_t i = 0; i < rows.size() && i < static_cast<std::size_t>(limit); ++i)
    items.push_back(staff_json(rows[i]));
  return id_page(std::move(items), rows, limit);
}

Result<json> Board::faq_entry(const Actor& by, std::int64_t id) {
  TRY_STATUS(staff_reader(by));
  auto tx = TRY(db_.begin(store::TxMode::read));
  return staff_json(TRY(load_entry(*tx, id)));
}

Result<json> Board::edit_faq(const Actor& by, std::int64_t id, const json& body) {
  if (!staff_may(by, auth::Permission::faq_approve))
    TRY_STATUS(staff_may(by, auth::Permission::ticket_write));
  TRY_STATUS(only_fields(body, {"question", "answer"}));
  auto question = TRY(optional_text(body, "question", 1000));
  auto answer = TRY(optional_text(body, "answer", 10000));
  if (!question && !answer) return invalid("question", "give question or answer");
  if (question && question->find_first_not_of(" \t\r\n") == std::string::npos)
    return invalid("question", "must not be blank");
  if (answer && answer->find_first_not_of(" \t\r\n") == std::string::npos)
    return invalid("answer", "must not be blank");
  auto now = format_time(clock_.now());
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto cur = TRY(load_entry(*tx, id));
  std::string status = cur.str(1);
  if (status == "retired") return conflict("the entry is retired");
  if (status == "published") {
    // The published text stays live until a manager approves the edit.
    std::string base_q = cur.is_null(4) ? cur.str(2) : cur.str(4);
    std::string base_a = cur.is_null(4) ? cur.str(3) : cur.str(5);
    TRY(tx->exec("UPDATE faq_entries SET pending_question = ?, pending_answer = ?, proposed_by = ?, "
                 "proposed_at = ?, reject_reason = '', updated_at = ? WHERE id = ?",
                 {question.value_or(base_q), answer.value_or(base_a), by.user_id, now, now, id}));
  } else {
    TRY(tx->exec("UPDATE faq_entries SET status = 'proposed', question = ?, answer = ?, "
                 "proposed_by = ?, proposed_at = ?, reject_reason = '', updated_at = ? WHERE id = ?",
                 {question.value_or(cur.str(2)), answer.value_or(cur.str(3)), by.user_id, now, now,
                  id}));
  }
  TRY_STATUS(audit::append(*tx, by,
                           {"faq.edit", "faq_entry", std::to_string(id), std::nullopt, "",
                            {{"status", status}}},
                           clock_));
  auto r = TRY(load_entry(*tx, id));
  TRY_STATUS(tx->commit());
  return staff_json(r);
}

Result<json> Board::decide_faq(const Actor& by, std::int64_t id, const std::string& action,
                               const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::faq_approve));
  TRY_STATUS(only_fields(body, {"reason"}));
  std::string reason;
  if (action == "reject") reason = TRY(required_text(body, "reason", 500));
  else if (body.contains("reason")) return invalid("reason", "only a rejection has a reason");
  auto now = format_time(clock_.now());
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto cur = TRY(load_entry(*tx, id));
  std::string status = cur.str(1);
  bool revision = status == "published" && !cur.is_null(4);
  if (action == "approve" || action == "reject") {
    if (status != "proposed" && !revision)
      return conflict("the entry has nothing awaiting approval (it is " + status + ")");
    if (cur.opt_i64(6) == by.user_id)
      return forbidden("a manager does not decide on their own proposal");
  }
  if (action == "approve") {
    if (revision)
      TRY(tx->exec("UPDATE faq_entries SET question = pending_question, answer = pending_answer, "
                   "pending_question = NULL, pending_answer = NULL, decided_by = ?, decided_at = ?, "
                   "updated_at = ? WHERE id = ?",
                   {by.user_id, now, now, id}));
    else
      TRY(tx->exec("UPDATE faq_entries SET status = 'published', decided_by = ?, decided_at = ?, "
                   "updated_at = ? WHERE id = ?",
                   {by.user_id, now, now, id}));
    TRY_STATUS(index_entry(*tx, TRY(load_entry(*tx, id)), now));
  } else if (action == "reject") {
    if (revision)
      TRY(tx->exec("UPDATE faq_entries SET pending_question = NULL, pending_answer = NULL, "
                   "reject_reason = ?, decided_by = ?, decided_at = ?, updated_at = ? WHERE id = ?",
                   {reason, by.user_id, now, now, id}));
    else
      TRY(tx->exec("UPDATE faq_entries SET status = 'rejected', reject_reason = ?, decided_by = ?, "
                   "decided_at = ?, updated_at = ? WHERE id = ?",
                   {reason, by.user_id, now, now, id}));
  } else if (action == "retire") {
    if (status != "published") return conflict("only a published entry is retired");
    TRY(tx->exec("UPDATE faq_entries SET status = 'retired', pending_question = NULL, "
                 "pending_answer = NULL, decided_by = ?, decided_at = ?, updated_at = ? WHERE id = ?",
                 {by.user_id, now, now, id}));
    TRY_STATUS(search::remove(*tx, "faq", id));
  } else {
    return not_found("no such action");
  }
  TRY_STATUS(audit::append(*tx, by,
                           {"faq." + action, "faq_entry", std::to_string(id), std::nullopt, reason,
                            {{"revision", revision}}},
                           clock_));
  auto r = TRY(load_entry(*tx, id));
  TRY_STATUS(tx->commit());
  return staff_json(r);
}

Result<json> Board::public_faq(const std::string& q, int limit) {
  limit = std::clamp(limit, 1, 50);
  auto tx = TRY(db_.begin(store::TxMode::read));
  json items = json::array();
  if (q.find_first_not_of(" \t\r\n") == std::string::npos) {
    auto rows = TRY(tx->query(std::string("SELECT ") + kFaqCols + kFaqFrom +
                                  " WHERE f.status = 'published' ORDER BY f.deflected_count DESC, "
                                  "f.id DESC LIMIT ?",
                              {static_cast<std::int64_t>(limit)}));
    for (auto& r : rows) items.push_back(public_json(r));
    return json{{"items", items}, {"next_cursor", nullptr}};
  }
  search::Query sq;
  sq.q = q;
  sq.kind = "faq";
  sq.audience = search::Audience::patron;
  sq.limit = limit;
  sq.facets = false;
  auto found = search::run(*tx, sq, search::Weights{});
  if (!found) {
    // Half-typed text that prepares to nothing (punctuation) finds nothing; too long is an error.
    if (found.error().code == ErrorCode::invalid && text::utf8_length(q) <= search::kMaxQueryChars)
      return json{{"items", items}, {"next_cursor", nullptr}};
    return std::unexpected(found.error());
  }
  std::vector<search::Hit> hits = std::move(found->items);
  // A question typed in full ("退休档案怎么查询") has words no entry has, and the search
  // wants every word: then entries are ranked by how many of its words they have.
  if (hits.empty()) hits = TRY(by_some_words(*tx, sq, q, limit));
  for (auto& hit : hits) {
    auto r = TRY(tx->maybe_one(std::string("SELECT ") + kFaqCols + kFaqFrom +
                                   " WHERE f.id = ? AND f.status = 'published'",
                               {hit.id}));
    if (!r) continue;
    json item = public_json(*r);
    item["snippet"] = hit.snippet;
    items.push_back(std::move(item));
  }
  return json{{"items", items}, {"next_cursor", nullptr}};
}

Result<json> Board::public_faq_entry(std::int64_t id) {
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto r = TRY(load_entry(*tx, id));
  if (r.str(1) != "published") return not_found("no such FAQ entry");
  return public_json(r);
}

Result<json> Board::faq_feedback(const Actor& by, const json& body) {
  // The patron asking; or an agent walking a caller through the FAQ.
  if (by.role != Role::patron) TRY_STATUS(staff_may(by, auth::Permission::ticket_write));
  TRY_STATUS(only_fields(body, {"shown", "answered_by"}));
  if (!body.contains("shown") || !body["shown"].is_array() || body["shown"].empty() ||
      body["shown"].size() > 20)
    return invalid("shown", "must list the 1–20 entries offered");
  std::set<std::int64_t> shown;
  for (auto& v : body["shown"]) {
    if (!v.is_number_integer() || v.get<std::int64_t>() <= 0)
      return invalid("shown", "must be entry ids");
    shown.insert(v.get<std::int64_t>());
  }
  auto answered = TRY(optional_id(body, "answered_by"));
  if (answered && !shown.contains(*answered))
    return invalid("answered_by", "must be one of the entries shown");
  auto now = format_time(clock_.now());
  auto tx = TRY(db_.begin(store::TxMode::write));
  for (auto id : shown) {
    auto r = TRY(tx->maybe_one("SELECT status FROM faq_entries WHERE id = ?", {id}));
    if (!r || r->str(0) != "published") return invalid("shown", "no published entry " + std::to_string(id));
  }
  for (auto id : shown) {
    bool this_one = answered && *answered == id;
    TRY(tx->exec(std::string("UPDATE faq_entries SET shown_count = shown_count + 1") +
                     (this_one ? ", deflected_count = deflected_count + 1"
                               : answered ? "" : ", ticket_after_count = ticket_after_count + 1") +
                     " WHERE id = ?",
                 {id}));
    if (this_one) {
      auto r = TRY(load_entry(*tx, id));
      TRY_STATUS(search::update_signals(*tx, "faq", id, r.i64(13), 0, false));
    }
  }
  json ids = json::array();
  for (auto id : shown) ids.push_back(id);
  TRY_STATUS(audit::append(*tx, by,
                           {"faq.feedback", "faq_entry", answered ? std::to_string(*answered) : "",
                            by.patron_id, "",
                            {{"shown", ids}, {"answered", answered.has_value()}}},
                           clock_));
  TRY_STATUS(tx->commit());
  return json{{"shown", ids}, {"answered_by", answered ? json(*answered) : json(nullptr)}};
}

}  // namespace dangan::service
