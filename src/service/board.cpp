// board.cpp — the message board (留言板): posts, moderation, answers, posts as tickets.
#include "service/board.h"

#include <algorithm>

#include "patrons/timeline.h"
#include "patrons/writes.h"
#include "service/internal.h"
#include "service/redact.h"
#include "text/text.h"

namespace dangan::service {

using json = nlohmann::json;
using namespace detail;

namespace {

constexpr const char* kPostCols =
    "id, patron_id, poster, title, body, public_title, public_body, status, reject_reason, "
    "moderated_at, answer, answered_at, ticket_id, created_at, updated_at, moderated_by, "
    "answered_by";

// What anyone may see of a post (published ones only reach this for the public).
json public_json(const store::Row& r) {
  json out = {{"id", r.i64(0)},          {"poster", r.str(2)},
              {"title", r.str(5)},       {"body", r.str(6)},
              {"created_at", r.str(13)}, {"published_at", opt(r.opt_str(9))},
              {"answer", nullptr},       {"answered_at", nullptr}};
  if (!r.str(10).empty()) {
    out["answer"] = r.str(10);
    out["answered_at"] = opt(r.opt_str(11));
  }
  return out;
}

// The poster's own view and staff's: the state, and the original text when `original`.
json full_json(const store::Row& r, bool original, bool staff) {
  json out = public_json(r);
  out["status"] = r.str(7);
  out["reject_reason"] = r.str(8);
  out["updated_at"] = r.str(14);
  if (r.str(10).empty()) out["answer"] = nullptr;
  if (original) {
    out["original_title"] = r.str(3);
    out["original_body"] = r.str(4);
  }
  if (staff) {
    out["patron_id"] = r.i64(1);
    out["ticket_id"] = opt(r.opt_i64(12));
    out["moderated_by"] = opt(r.opt_i64(15));
    out["answered_by"] = opt(r.opt_i64(16));
  }
  return out;
}

std::string search_text(const std::string& title, const std::string& body,
                         const std::string& answer) {
  return text::fold(title + " " + body + " " + answer);
}

// "AND search_text LIKE ?" for every word of the folded query (檔案 finds 档案).
void add_word_filters(const std::string& q, std::string& where, store::Params& p) {
  std::string folded = text::fold(q);
  std::size_t i = 0;
  while (i < folded.size()) {
    auto j = folded.find(' ', i);
    if (j == std::string::npos) j = folded.size();
    if (j > i) {
      std::string escaped;
      for (char c : folded.substr(i, j - i)) {
        if (c == '%' || c == '_' || c == '\\') escaped += '\\';
        escaped += c;
      }
      where += " AND search_text LIKE ? ESCAPE '\\'";
      p.emplace_back("%" + escaped + "%");
    }
    i = j + 1;
  }
}

Result<store::Row> load_post(store::Tx& tx, std::int64_t id) {
  auto r = TRY(tx.maybe_one(std::string("SELECT ") + kPostCols + " FROM board_posts WHERE id = ?",
                            {id}));
  if (!r) return not_found("no such post");
  return *r;
}

Status may_moderate(const Actor& by) { return staff_may(by, auth::Permission::board_moderate); }

Status post_event(store::Tx& tx, const Actor& by, const store::Row& post, const std::string& kind,
                  const std::string& summary, const Clock& clock, json detail = json::object()) {
  detail["title"] = post.str(5);
  TRY(timeline::append(
      tx, by, {post.i64(1), kind, summary, detail, "board_post", std::to_string(post.i64(0))},
      clock));
  return {};
}

}  // namespace

Board::Board(store::Database& db, audit::ReadRecorder& reads, Desk& desk, const Clock& clock)
    : db_(db), reads_(reads), desk_(desk), clock_(clock) {}

std::optional<std::string> Board::name_of(std::int64_t patron_id) const {
  if (!patron_name_) return std::nullopt;
  return patron_name_(patron_id);
}

Result<json> Board::post(const Actor& by, const json& body) {
  if (by.role != Role::patron) return forbidden("posts are written by patrons on the portal");
  if (!by.patron_id) return forbidden("this account is not linked to a patron");
  TRY_STATUS(only_fields(body, {"title", "body"}));
  auto title = TRY(required_text(body, "title", 100));
  auto text = TRY(required_text(body, "body", 5000));
  auto name = name_of(*by.patron_id);
  std::string poster = name ? mask_name(*name) : "读者";
  std::vector<Literal> literals;
  if (name && text::utf8_length(*name) >= 2) literals.push_back({*name, poster});
  auto public_title = mask_personal_data(title, literals);
  auto public_body = mask_personal_data(text, literals);
  auto now = format_time(clock_.now());
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto row = TRY(tx->one(
      "INSERT INTO board_posts (patron_id, poster, title, body, public_title, public_body, status, "
      "search_text, created_at, updated_at) VALUES (?,?,?,?,?,?,'pending',?,?,?) RETURNING id",
      {*by.patron_id, poster, title, text, public_title, public_body,
       search_text(public_title, public_body, ""), now, now},
      "post"));
  auto id = row.i64(0);
  auto post = TRY(load_post(*tx, id));
  TRY_STATUS(audit::append(*tx, by,
                           {"board.post", "board_post", std::to_string(id), by.patron_id, "", {}},
                           clock_));
  TRY_STATUS(post_event(*tx, by, post, "board.posted",
                        "Posted on the message board: " + public_title, clock_));
  TRY_STATUS(tx->commit());
  return full_json(post, true, false);
}

Result<json> Board::public_posts(const std::string& q, const std::optional<std::string>& cursor,
                                 int limit) {
  auto after = TRY(after_id(cursor));
  std::string where = "status = 'published'";
  store::Params p;
  if (after) {
    where += " AND id < ?";
    p.emplace_back(after);
  }
  add_word_filters(q, where, p);
  limit = std::clamp(limit, 1, 100);
  p.emplace_back(static_cast<std::int64_t>(limit + 1));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto rows = TRY(tx->query(std::string("SELECT ") + kPostCols + " FROM board_posts WHERE " +
                                where + " ORDER BY id DESC LIMIT ?",
                            p));
  json items = json::array();
  for (std::size_t i = 0; i < rows.size() && i < static_cast<std::size_t>(limit); ++i)
    items.push_back(public_json(rows[i]));
  return id_page(std::move(items), rows, limit);
}

Result<json> Board::public_post(std::int64_t id) {
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto r = TRY(load_post(*tx, id));
  if (r.str(7) != "published") return not_found("no such post");
  return public_json(r);
}

Result<json> Board::my_posts(const Actor& by, const std::optional<std::string>& cursor,
                             int limit) {
  if (by.role != Role::patron || !by.patron_id)
    return forbidden("the portal's own posts are for patrons");
  auto after = TRY(after_id(cursor));
  limit = std::clamp(limit, 1, 100);
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto rows = TRY(tx->query(std::string("SELECT ") + kPostCols +
                                " FROM board_posts WHERE patron_id = ? AND id < ? ORDER BY id "
                                "DESC LIMIT ?",
                            {*by.patron_id, after ? after : std::int64_t{1} << 62,
                             static_cast<std::int64_t>(limit + 1)}));
  json items = json::array();
  for (std::size_t i = 0; i < rows.size() && i < static_cast<std::size_t>(limit); ++i)
    items.push_back(full_json(rows[i], true, false));
  return id_page(std::move(items), rows, limit);
}

Result<json> Board::staff_posts(const Actor& by, const std::optional<std::string>& status,
                                std::optional<std::int64_t> ticket_id, const std::string& q,
                                const std::optional<std::string>& cursor, int limit) {
  if (!may_moderate(by)) TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  auto after = TRY(after_id(cursor));
  std::string st = status.value_or("pending");
  if (!is_one_of(st, {"pending", "published", "rejected", "all"}))
    return invalid("status", "must be pending, published, rejected or all");
  std::string where = "1 = 1";
  store::Params p;
  if (ticket_id) {
    where += " AND ticket_id = ?";
    p.emplace_back(*ticket_id);
  } else if (st != "all") {
    where += " AND status = ?";
    p.emplace_back(st);
  }
  // The queue to moderate is worked oldest first; the rest are read newest first.
  bool oldest_first = st == "pending" && !ticket_id;
  if (after) {
    where += oldest_first ? " AND id > ?" : " AND id < ?";
    p.emplace_back(after);
  }
  add_word_filters(q, where, p);
  limit = std::clamp(limit, 1, 200);
  p.emplace_back(static_cast<std::int64_t>(limit + 1));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto rows = TRY(tx->query(std::string("SELECT ") + kPostCols + " FROM board_posts WHERE " +
                                where + " ORDER BY id " + (oldest_first ? "ASC" : "DESC") +
                                " LIMIT ?",
                            p));
  json items = json::array();
  for (std::size_t i = 0; i < rows.size() && i < static_cast<std::size_t>(limit); ++i)
    items.push_back(full_json(rows[i], false, true));
  return id_page(std::move(items), rows, limit);
}

Result<json> Board::staff_post(const Actor& by, std::int64_t id) {
  if (!may_moderate(by)) TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto r = TRY(load_post(*tx, id));
  reads_.record(by, {"board.read", "board_post", std::to_string(id), r.i64(1), "", {}});
  return full_json(r, true, true);
}

Result<json> Board::publish(const Actor& by, std::int64_t id, const json& body) {
  TRY_STATUS(may_moderate(by));
  TRY_STATUS(only_fields(body, {"public_title", "public_body"}));
  auto new_title = TRY(optional_text(body, "public_title", 100));
  auto new_body = TRY(optional_text(body, "public_body", 5000));
  if (new_title && new_title->find_first_not_of(" \t\r\n") == std::string::npos)
    return invalid("public_title", "must not be blank");
  if (new_body && new_body->find_first_not_of(" \t\r\n") == std::string::npos)
    return invalid("public_body", "must not be blank");
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto cur = TRY(load_post(*tx, id));
  if (cur.str(7) != "pending") return conflict("the post is " + cur.str(7) + ", not pending");
  // An erased patron's pending post lost its text: nothing of theirs is published now.
  TRY_STATUS(patrons::refuse_if_erased(*tx, cur.opt_i64(1)));
  auto name = name_of(cur.i64(1));
  std::vector<Literal> literals;
  if (name && text::utf8_length(*name) >= 2) literals.push_back({*name, cur.str(2)});
  // A moderator's correction is masked too: publishing never shows what masking finds.
  std::string title = mask_personal_data(new_title.value_or(cur.str(5)), literals);
  std::string text = mask_personal_data(new_body.value_or(cur.str(6)), literals);
  auto now = format_time(clock_.now());
  TRY(tx->exec(
      "UPDATE board_posts SET status = 'published', public_title = ?, public_body = ?, "
      "search_text = ?, moderated_by = ?, moderated_at = ?, updated_at = ? WHERE id = ?",
      {title, text, search_text(title, text, cur.str(10)), by.user_id, now, now, id}));
  auto post = TRY(load_post(*tx, id));
  TRY_STATUS(audit::append(
      *tx, by,
      {"board.publish", "board_post", std::to_string(id), cur.i64(1), "",
       {{"corrected", new_title.has_value() || new_body.has_value()}}},
      clock_));
  TRY_STATUS(post_event(*tx, by, post, "board.published",
                        "Message board post published: " + title, clock_));
  TRY_STATUS(tx->commit());
  return full_json(post, true, true);
}

Result<json> Board::reject(const Actor& by, std::int64_t id, const json& body) {
  TRY_STATUS(may_moderate(by));
  TRY_STATUS(only_fields(body, {"reason"}));
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto cur = TRY(load_post(*tx, id));
  if (cur.str(7) != "pending") return conflict("the post is " + cur.str(7) + ", not pending");
  // An erased patron's pending post is rejected without a reason (none may be recorded
  // about them), so it leaves the moderation queue.
  std::string reason;
  if (TRY(patrons::is_erased(*tx, cur.opt_i64(1)))) {
    if (!TRY(optional_text(body, "reason", 500)).value_or("").empty())
      return patrons::erased_conflict(cur.i64(1));
  } else {
    reason = TRY(required_text(body, "reason", 500));
  }
  auto now = format_time(clock_.now());
  TRY(tx->exec(
      "UPDATE board_posts SET status = 'rejected', reject_reason = ?, moderated_by = ?, "
      "moderated_at = ?, updated_at = ? WHERE id = ?",
      {reason, by.user_id, now, now, id}));
  auto post = TRY(load_post(*tx, id));
  TRY_STATUS(audit::append(*tx, by,
                           {"board.reject", "board_post", std::to_string(id), cur.i64(1), reason,
                            {}},
                           clock_));
  TRY_STATUS(post_event(*tx, by, post, "board.rejected",
                        reason.empty() ? std::string("Message board post not published")
                                       : "Message board post not published: " + reason,
                        clock_, {{"reason", reason}}));
  TRY_STATUS(tx->commit());
  return full_json(post, true, true);
}

Result<json> Board::answer(const Actor& by, std::int64_t id, const json& body) {
  TRY_STATUS(may_moderate(by));
  TRY_STATUS(only_fields(body, {"answer"}));
  auto raw = TRY(required_text(body, "answer", 5000));
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto cur = TRY(load_post(*tx, id));
  if (cur.str(7) == "rejected") return conflict("the post was rejected; it is not answered on the board");
  // A published post's public text (masked when published) stays after erasure and its
  // answer serves every reader; an unpublished one of an erased patron is not answered.
  if (cur.str(7) != "published") TRY_STATUS(patrons::refuse_if_erased(*tx, cur.opt_i64(1)));
  auto name = name_of(cur.i64(1));
  std::vector<Literal> literals;
  if (name && text::utf8_length(*name) >= 2) literals.push_back({*name, cur.str(2)});
  std::string text = mask_personal_data(raw, literals);
  auto now = format_time(clock_.now());
  TRY(tx->exec("UPDATE board_posts SET answer = ?, answered_by = ?, answered_at = ?, "
               "search_text = ?, updated_at = ? WHERE id = ?",
               {text, by.user_id, now, search_text(cur.str(5), cur.str(6), text), now, id}));
  auto post = TRY(load_post(*tx, id));
  TRY_STATUS(audit::append(*tx, by,
                           {"board.answer", "board_post", std::to_string(id), cur.i64(1), "",
                            {{"first", cur.str(10).empty()}}},
                           clock_));
  TRY_STATUS(post_event(*tx, by, post, "board.answered",
                        "Staff answered on the message board: " + post.str(5), clock_));
  TRY_STATUS(tx->commit());
  return full_json(post, true, true);
}

Result<json> Board::to_ticket(const Actor& by, std::int64_t id, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_write));
  TRY_STATUS(only_fields(body, {"kind", "priority"}));
  std::string kind = TRY(one_of(body, "kind", kKinds, "consultation"));
  std::string priority = TRY(one_of(body, "priority", kPriorities, "normal"));
  std::int64_t patron_id = 0;
  std::string title, text;
  {
    auto tx = TRY(db_.begin(store::TxMode::read));
    auto cur = TRY(load_post(*tx, id));
    if (!cur.is_null(12)) return conflict("the post is already ticket " + cur.str(12), "ticket_id");
    patron_id = cur.i64(1);
    title = cur.str(3);
    text = cur.str(4);
  }
  // The ticket carries the original text (the patron's own words; staff see tickets in
  // full). The link is set in the ticket's transaction, and only if no one linked the
  // post meanwhile, so a post becomes at most one ticket.
  auto now = format_time(clock_.now());
  auto ticket = TRY(desk_.open(
      by,
      {{"kind", kind},
       {"priority", priority},
       {"channel", "message_board"},
       {"subject", title},
       {"body", text},
       {"patron_id", patron_id}},
      [&](store::Tx& tx, std::int64_t ticket_id) -> Status {
        auto n = TRY(tx.exec(
            "UPDATE board_posts SET ticket_id = ?, updated_at = ? WHERE id = ? AND ticket_id IS NULL",
            {ticket_id, now, id}));
        if (n != 1) return conflict("the post became a ticket meanwhile", "ticket_id");
        auto post = TRY(load_post(tx, id));
        TRY_STATUS(audit::append(tx, by,
                                 {"board.to_ticket", "board_post", std::to_string(id), patron_id,
                                  "", {{"ticket_id", ticket_id}}},
                                 clock_));
        return post_event(tx, by, post, "board.ticket",
                          "Message board post taken up as a ticket", clock_,
                          {{"ticket_id", ticket_id}});
      }));
  return json{{"post_id", id}, {"ticket", ticket}};
}

}  // namespace dangan::service
