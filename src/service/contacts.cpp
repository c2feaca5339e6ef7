#include "service/contacts.h"

#include <algorithm>

#include "patrons/timeline.h"
#include "patrons/validation.h"
#include "patrons/writes.h"
#include "service/internal.h"
#include "text/text.h"

namespace dangan::service {

using json = nlohmann::json;
using namespace detail;

namespace {

constexpr const char* kInteractionCols =
    "i.id, i.channel, i.direction, i.patron_id, i.prospect_id, i.address, i.subject, i.body, "
    "i.ticket_id, i.external_id, i.recorded_by, u.display_name, i.occurred_at, i.created_at";

json interaction_json(const store::Row& r) {
  return {{"id", r.i64(0)},
          {"channel", r.str(1)},
          {"direction", r.str(2)},
          {"patron_id", opt(r.opt_i64(3))},
          {"prospect_id", opt(r.opt_i64(4))},
          {"address", r.str(5)},
          {"subject", r.str(6)},
          {"body", r.str(7)},
          {"ticket_id", opt(r.opt_i64(8))},
          {"external_id", opt(r.opt_str(9))},
          {"recorded_by", opt(r.opt_i64(10))},
          {"recorded_by_name", opt(r.opt_str(11))},
          {"occurred_at", r.str(12)},
          {"created_at", r.str(13)}};
}

constexpr const char* kProspectCols =
    "id, display_name, phone, email, handle, source_channel, status, merged_into, merged_at, "
    "first_seen, last_seen";

json prospect_json(const store::Row& r) {
  return {{"id", r.i64(0)},
          {"display_name", r.str(1)},
          {"phone", opt(r.opt_str(2))},
          {"email", opt(r.opt_str(3))},
          {"handle", opt(r.opt_str(4))},
          {"source_channel", r.str(5)},
          {"status", r.str(6)},
          {"merged_into", opt(r.opt_i64(7))},
          {"merged_at", opt(r.opt_str(8))},
          {"first_seen", r.str(9)},
          {"last_seen", r.str(10)}};
}

std::string search_text(const std::string& name, const std::optional<std::string>& phone,
                        const std::optional<std::string>& email,
                        const std::optional<std::string>& handle) {
  return text::fold(name) + " " + phone.value_or("") + " " + email.value_or("") + " " +
         text::fold(handle.value_or(""));
}

std::string summary_of(const std::string& channel, const std::string& direction,
                       const std::string& subject, const std::string& body) {
  std::string what = subject.empty() ? body : subject;
  if (text::utf8_length(what) > 80) {
    // Cut at a character boundary.
    std::size_t i = 0;
    long n = 0;
    while (i < what.size() && n < 80) {
      unsigned char c = static_cast<unsigned char>(what[i]);
      i += c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
      ++n;
    }
    what = what.substr(0, std::min(i, what.size())) + "…";
  }
  return channel + (direction == "in" ? " in" : " out") + (what.empty() ? "" : ": " + what);
}

Status check_channel(const std::string& c) {
  if (!is_one_of(c, kChannels)) return invalid("channel", "unknown channel");
  return {};
}

}  // namespace

std::optional<std::string> normalize_address(const std::string& kind, const std::string& value) {
  if (kind == "email") return patrons::normalize_email(value);
  if (kind == "phone") {
    std::string v = value;
    // "8613812345678": a mainland mobile written with the country code but no '+'.
    std::string digits;
    for (char c : v)
      if (c >= '0' && c <= '9') digits += c;
    if (digits.size() == 13 && digits.rfind("861", 0) == 0 && v.find('+') == std::string::npos)
      v = digits.substr(2);
    return patrons::normalize_phone(v);
  }
  if (kind == "handle") {
    std::string h = text::fold(value);
    h.erase(std::remove_if(h.begin(), h.end(),
                           [](unsigned char c) { return c == ' ' || c == '\t' || c == '\n'; }),
            h.end());
    if (h.empty() || h.size() > 200) return std::nullopt;
    return h;
  }
  return std::nullopt;
}

std::string address_kind(const std::string& value) {
  if (value.find('@') != std::string::npos && patrons::normalize_email(value)) return "email";
  if (normalize_address("phone", value)) return "phone";
  return "handle";
}

Result<Sender> match_sender(store::Tx& tx, const std::string& kind, const std::string& address,
                            const std::string& display_name, const std::string& channel,
                            const std::string& now) {
  auto norm = normalize_address(kind, address);
  if (!norm) return invalid("address", "not a valid " + kind);
  Sender s;
  if (kind == "email" || kind == "phone") {
    auto rows = TRY(tx.query(
        "SELECT DISTINCT c.patron_id FROM patron_contacts c JOIN patrons p ON p.id = c.patron_id "
        "WHERE c.kind = ? AND c.normalized = ? AND p.status = 'active' ORDER BY c.patron_id "
        "LIMIT 2",
        {kind, *norm}));
    // Exactly one patron: theirs. Several (a shared family phone): staff decide, through
    // the prospect.
    if (rows.size() == 1) {
      s.patron_id = rows[0].i64(0);
      return s;
    }
  } else {
    // A handle once merged leads to its patron.
    auto merged = TRY(tx.maybe_one(
        "SELECT p.id FROM prospects x JOIN patrons p ON p.id = x.merged_into WHERE x.handle = ? "
        "AND x.status = 'merged' AND p.status = 'active' ORDER BY x.merged_at DESC LIMIT 1",
        {*norm}));
    if (merged) {
      s.patron_id = merged->i64(0);
      return s;
    }
  }
  std::string col = kind;  // email, phone, handle: the prospect's column of that name
  auto find = [&]() -> Result<std::optional<store::Row>> {
    return tx.maybe_one(
        "SELECT id, display_name FROM prospects WHERE " + col + " = ? AND status = 'open'",
        {*norm});
  };
  auto found = TRY(find());
  if (!found) {
    std::optional<std::string> phone, email, handle;
    (kind == "phone" ? phone : kind == "email" ? email : handle) = *norm;
    auto made = TRY(tx.query(
        "INSERT INTO prospects (display_name, phone, email, handle, source_channel, "
        "search_text, first_seen, last_seen) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING "
        "RETURNING id",
        {display_name, store::opt(phone), store::opt(email), store::opt(handle), channel,
         search_text(display_name, phone, email, handle), now, now}));
    if (!made.empty()) {
      s.prospect_id = made[0].i64(0);
      return s;
    }
    found = TRY(find());  // another process made it meanwhile
    if (!found) return fail(ErrorCode::internal, "prospect vanished while matching");
  }
  s.prospect_id = found->i64(0);
  if (found->str(1).empty() && !display_name.empty()) {
    auto row = TRY(tx.one("SELECT " + std::string(kProspectCols) + " FROM prospects WHERE id = ?",
                          {*s.prospect_id}, "prospect"));
    TRY(tx.exec(
        "UPDATE prospects SET display_name = ?, search_text = ?, last_seen = ? WHERE id = ?",
        {display_name, search_text(display_name, row.opt_str(2), row.opt_str(3), row.opt_str(4)),
         now, *s.prospect_id}));
  } else {
    TRY(tx.exec("UPDATE prospects SET last_seen = ? WHERE id = ?", {now, *s.prospect_id}));
  }
  return s;
}

Contacts::Contacts(store::Database& db, audit::ReadRecorder& reads, Desk& desk, const Clock& clock)
    : db_(db), reads_(reads), desk_(desk), clock_(clock) {}

Result<json> Contacts::record(const Actor& by, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_write));
  TRY_STATUS(only_fields(body, {"channel", "direction", "patron_id", "prospect_id", "address",
                                "name", "subject", "body", "ticket_id", "occurred_at"}));
  auto channel = TRY(one_of(body, "channel", kChannels, nullptr));
  auto direction = TRY(one_of(body, "direction", {"in", "out"}, nullptr));
  auto patron_id = TRY(optional_id(body, "patron_id"));
  auto prospect_id = TRY(optional_id(body, "prospect_id"));
  auto address = TRY(optional_text(body, "address", 200)).value_or("");
  auto name = TRY(optional_text(body, "name", 200)).value_or("");
  auto subject = TRY(optional_text(body, "subject", 200)).value_or("");
  auto text = TRY(optional_text(body, "body", 20000)).value_or("");
  auto ticket_id = TRY(optional_id(body, "ticket_id"));
  auto occurred = TRY(optional_text(body, "occurred_at", 40));
  if (subject.empty() && text.empty()) return invalid("body", "say what the contact was about");
  if (patron_id && prospect_id) return invalid("prospect_id", "a patron or a prospect, not both");
  std::string now = format_time(clock_.now());
  std::string when = now;
  if (occurred) {
    auto tp = parse_time(*occurred);
    if (!tp) return invalid("occurred_at", "an ISO 8601 time, e.g. 2026-11-26T09:30:00+08:00");
    if (*tp > clock_.now() + std::chrono::minutes(5))
      return invalid("occurred_at", "a contact cannot lie in the future");
    when = format_time(*tp);
  }
  auto tx = TRY(db_.begin(store::TxMode::write));
  if (patron_id) {
    TRY_STATUS(patrons::may_write_about(*tx, *patron_id));
  } else if (prospect_id) {
    auto p = TRY(tx->maybe_one("SELECT status FROM prospects WHERE id = ?", {*prospect_id}));
    if (!p) return invalid("prospect_id", "no such prospect");
    if (p->str(0) != "open") return invalid("prospect_id", "the prospect was merged");
  } else if (!address.empty()) {
    auto kind = address_kind(address);
    auto s = TRY(match_sender(*tx, kind, address, name, channel, now));
    patron_id = s.patron_id;
    prospect_id = s.prospect_id;
  }
  if (ticket_id) {
    auto t = load(*tx, *ticket_id);
    if (!t) return invalid("ticket_id", "no such ticket");
    if (auto s = may_see(by, *t); !s) return invalid("ticket_id", "no such ticket");
    // A contact filed under an erased patron's ticket would be about them.
    TRY_STATUS(patrons::refuse_if_erased(*tx, t->patron_id));
  }
  auto row = TRY(tx->one(
      "INSERT INTO interactions (channel, direction, patron_id, prospect_id, address, subject, "
      "body, ticket_id, recorded_by, occurred_at, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?) "
      "RETURNING id",
      {channel, direction, store::opt(patron_id), store::opt(prospect_id), address, subject, text,
       store::opt(ticket_id), store::opt(author_of(by)), when, now},
      "interaction"));
  std::int64_t id = row.i64(0);
  TRY_STATUS(audit::append(*tx, by,
                           {"interaction.record",
                            "interaction",
                            std::to_string(id),
                            patron_id,
                            "",
                            {{"channel", channel}, {"direction", direction}}},
                           clock_));
  if (patron_id)
    TRY(timeline::append(*tx, by,
                         {*patron_id,
                          "interaction.recorded",
                          summary_of(channel, direction, subject, text),
                          {{"channel", channel}, {"direction", direction}},
                          "interaction",
                          std::to_string(id)},
                         clock_));
  auto out = TRY(tx->one(std::string("SELECT ") + kInteractionCols +
                             " FROM interactions i LEFT JOIN users u ON u.id = i.recorded_by "
                             "WHERE i.id = ?",
                         {id}, "interaction"));
  TRY_STATUS(tx->commit());
  return interaction_json(out);
}

Result<json> Contacts::get(const Actor& by, std::int64_t id) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto row = TRY(tx->maybe_one(std::string("SELECT ") + kInteractionCols +
                                   " FROM interactions i LEFT JOIN users u ON u.id = "
                                   "i.recorded_by WHERE i.id = ?",
                               {id}));
  if (!row) return not_found("no such interaction");
  json out = interaction_json(*row);
  if (auto p = row->opt_i64(3))
    reads_.record(by, {"interaction.read", "interaction", std::to_string(id), p});
  return out;
}

Result<json> Contacts::list(const Actor& by, const InteractionQuery& q) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  std::string where = "1 = 1";
  store::Params p;
  auto eq = [&](const char* col, const store::Value& v) {
    where += std::string(" AND i.") + col + " = ?";
    p.push_back(v);
  };
  if (q.patron_id) eq("patron_id", *q.patron_id);
  if (q.prospect_id) eq("prospect_id", *q.prospect_id);
  if (q.ticket_id) eq("ticket_id", *q.ticket_id);
  if (q.channel) {
    TRY_STATUS(check_channel(*q.channel));
    eq("channel", *q.channel);
  }
  if (q.direction) {
    if (*q.direction != "in" && *q.direction != "out") return invalid("direction", "in or out");
    eq("direction", *q.direction);
  }
  for (auto [v, op, name] :
       {std::tuple{&q.since, ">=", "since"}, std::tuple{&q.until, "<", "until"}}) {
    if (!*v) continue;
    auto tp = parse_time(**v);
    if (!tp) return invalid(name, "an ISO 8601 time");
    where += std::string(" AND i.occurred_at ") + op + " ?";
    p.emplace_back(format_time(*tp));
  }
  if (!q.q.empty()) {
    where += " AND (i.subject LIKE ? OR i.body LIKE ?)";
    std::string like = "%" + q.q + "%";
    p.emplace_back(like);
    p.emplace_back(like);
  }
  if (auto after = TRY(after_time_id(q.cursor)))
    where += store::after_key("i.occurred_at", "i.id", *after, true, p);
  int limit = std::clamp(q.limit, 1, 200);
  p.emplace_back(static_cast<std::int64_t>(limit + 1));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto rows = TRY(tx->query(std::string("SELECT ") + kInteractionCols +
                                " FROM interactions i LEFT JOIN users u ON u.id = i.recorded_by "
                                "WHERE " +
                                where + " ORDER BY i.occurred_at DESC, i.id DESC LIMIT ?",
                            p));
  json items = json::array();
  for (std::size_t i = 0; i < rows.size() && i < static_cast<std::size_t>(limit); ++i)
    items.push_back(interaction_json(rows[i]));
  json out = key_page(std::move(items), rows, limit, 12);
  if (q.patron_id)
    reads_.record(by, {"interaction.list", "patron", std::to_string(*q.patron_id), q.patron_id});
  return out;
}

Result<json> Contacts::open_ticket(const Actor& by, std::int64_t id, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_write));
  TRY_STATUS(only_fields(body, {"kind", "priority", "subject", "team_id", "assignee_id"}));
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto row = TRY(tx->maybe_one(
      "SELECT channel, patron_id, prospect_id, subject, body, ticket_id FROM interactions WHERE "
      "id = ?",
      {id}));
  if (!row) return not_found("no such interaction");
  if (row->opt_i64(5)) return conflict("this contact already has a ticket", "ticket_id");
  json open = body;
  open["channel"] = row->str(0);
  if (!open.contains("subject"))
    open["subject"] =
        row->str(3).empty() ? summary_of(row->str(0), "in", "", row->str(4)) : row->str(3);
  open["body"] = row->str(4).empty() ? row->str(3) : row->str(4);
  if (auto p = row->opt_i64(1)) open["patron_id"] = *p;
  auto ticket = TRY(desk_.open(by, open, *tx));
  std::int64_t ticket_id = ticket["id"];
  if (auto pr = row->opt_i64(2))
    TRY(tx->exec("UPDATE tickets SET prospect_id = ? WHERE id = ?", {*pr, ticket_id}));
  TRY(tx->exec("UPDATE interactions SET ticket_id = ? WHERE id = ?", {ticket_id, id}));
  TRY_STATUS(audit::append(*tx, by,
                           {"interaction.ticket",
                            "interaction",
                            std::to_string(id),
                            row->opt_i64(1),
                            "",
                            {{"ticket_id", ticket_id}}},
                           clock_));
  TRY_STATUS(tx->commit());
  return ticket;
}

Result<Received> Contacts::receive(store::Tx& tx, const Inbound& in) {
  TRY_STATUS(check_channel(in.channel));
  std::string now = format_time(clock_.now());
  Received r;
  if (!in.external_id.empty()) {
    auto seen = TRY(tx.maybe_one(
        "SELECT id, patron_id, prospect_id FROM interactions WHERE channel = ? AND external_id = ?",
        {in.channel, in.external_id}));
    if (seen) {
      r.interaction_id = seen->i64(0);
      r.duplicate = true;
      r.sender = {seen->opt_i64(1), seen->opt_i64(2)};
      return r;
    }
  }
  r.sender = TRY(match_sender(tx, in.address_kind, in.address, in.display_name, in.channel, now));
  auto made = TRY(tx.query(
      "INSERT INTO interactions (channel, direction, patron_id, prospect_id, address, subject, "
      "body, ticket_id, external_id, occurred_at, created_at) VALUES (?,'in',?,?,?,?,?,?,?,?,?) "
      "ON CONFLICT DO NOTHING RETURNING id",
      {in.channel, store::opt(r.sender.patron_id), store::opt(r.sender.prospect_id), in.address,
       in.subject, in.body, store::opt(in.ticket_id),
       in.external_id.empty() ? store::null_value() : store::Value(in.external_id),
       in.occurred_at.value_or(now), now}));
  if (made.empty()) {  // delivered twice at once: the other delivery recorded it
    auto seen = TRY(tx.one("SELECT id FROM interactions WHERE channel = ? AND external_id = ?",
                           {in.channel, in.external_id}, "interaction"));
    r.interaction_id = seen.i64(0);
    r.duplicate = true;
    return r;
  }
  r.interaction_id = made[0].i64(0);
  const Actor sys = system_actor();
  TRY_STATUS(audit::append(tx, sys,
                           {"interaction.receive",
                            "interaction",
                            std::to_string(r.interaction_id),
                            r.sender.patron_id,
                            "",
                            {{"channel", in.channel}, {"prospect_id", opt(r.sender.prospect_id)}}},
                           clock_));
  // A message threaded into a ticket is on the timeline through the ticket.
  if (r.sender.patron_id && !in.ticket_id)
    TRY(timeline::append(tx, sys,
                         {*r.sender.patron_id,
                          "interaction.received",
                          summary_of(in.channel, "in", in.subject, in.body),
                          {{"channel", in.channel}},
                          "interaction",
                          std::to_string(r.interaction_id)},
                         clock_));
  return r;
}

Result<Received> Contacts::receive(const Inbound& in) {
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto r = TRY(receive(*tx, in));
  TRY_STATUS(tx->commit());
  return r;
}

Result<json> Contacts::list_prospects(const Actor& by, const std::string& q,
                                      const std::string& status,
                                      const std::optional<std::string>& cursor, int limit) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  std::string where = "1 = 1";
  store::Params p;
  if (status != "all") {
    if (status != "open" && status != "merged") return invalid("status", "open, merged or all");
    where += " AND status = ?";
    p.emplace_back(status);
  }
  if (!q.empty()) {
    // An address is searched in its normal form, a name folded (檔案 finds 档案).
    std::string needle = text::fold(q);
    if (auto e = normalize_address("email", q))
      needle = *e;
    else if (auto ph = normalize_address("phone", q))
      needle = *ph;
    where += " AND search_text LIKE ?";
    p.emplace_back("%" + needle + "%");
  }
  if (auto after = TRY(after_time_id(cursor)))
    where += store::after_key("last_seen", "id", *after, true, p);
  limit = std::clamp(limit, 1, 200);
  p.emplace_back(static_cast<std::int64_t>(limit + 1));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto rows = TRY(tx->query(std::string("SELECT ") + kProspectCols +
                                ", (SELECT COUNT(*) FROM interactions i WHERE i.prospect_id = "
                                "prospects.id), (SELECT COUNT(*) FROM tickets t WHERE "
                                "t.prospect_id = prospects.id) FROM prospects WHERE " +
                                where + " ORDER BY last_seen DESC, id DESC LIMIT ?",
                            p));
  json items = json::array();
  for (std::size_t i = 0; i < rows.size() && i < static_cast<std::size_t>(limit); ++i) {
    json j = prospect_json(rows[i]);
    j["interactions"] = rows[i].i64(11);
    j["tickets"] = rows[i].i64(12);
    items.push_back(std::move(j));
  }
  return key_page(std::move(items), rows, limit, 10);
}

Result<json> Contacts::get_prospect(const Actor& by, std::int64_t id) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto row = TRY(
      tx->maybe_one(std::string("SELECT ") + kProspectCols + " FROM prospects WHERE id = ?", {id}));
  if (!row) return not_found("no such prospect");
  json out = prospect_json(*row);
  auto inter = TRY(tx->query(std::string("SELECT ") + kInteractionCols +
                                 " FROM interactions i LEFT JOIN users u ON u.id = "
                                 "i.recorded_by WHERE i.prospect_id = ? ORDER BY i.occurred_at "
                                 "DESC, i.id DESC LIMIT 200",
                             {id}));
  json list = json::array();
  for (auto& r : inter) list.push_back(interaction_json(r));
  out["interactions"] = list;
  auto tickets = TRY(
      tx->query("SELECT id, number, kind, status, channel, subject, created_at FROM tickets WHERE "
                "prospect_id = ? ORDER BY id DESC",
                {id}));
  json tl = json::array();
  for (auto& r : tickets) {
    // Reports (举报) only for those who may see them.
    if (r.str(2) == "report" && by.role != Role::system &&
        !auth::allowed(by.role, auth::Permission::ticket_confidential))
      continue;
    tl.push_back({{"id", r.i64(0)},
                  {"number", r.str(1)},
                  {"kind", r.str(2)},
                  {"status", r.str(3)},
                  {"channel", r.str(4)},
                  {"subject", r.str(5)},
                  {"created_at", r.str(6)}});
  }
  out["tickets"] = tl;
  return out;
}

Result<json> Contacts::merge_prospect(const Actor& by, std::int64_t id, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::patron_write));
  TRY_STATUS(staff_may(by, auth::Permission::ticket_write));
  TRY_STATUS(only_fields(body, {"patron_id", "reason"}));
  auto patron_id = TRY(optional_id(body, "patron_id"));
  if (!patron_id) return invalid("patron_id", "which patron is this?");
  auto reason = TRY(optional_text(body, "reason", 1000)).value_or("");
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto row = TRY(
      tx->maybe_one(std::string("SELECT ") + kProspectCols + " FROM prospects WHERE id = ?", {id}));
  if (!row) return not_found("no such prospect");
  if (row->str(6) != "open")
    return conflict("the prospect was already merged into patron " + row->str(7), "status");
  // A stranger's contacts and data become the patron's: not an erased or merged one's.
  TRY_STATUS(patrons::may_write_about(*tx, *patron_id));
  std::string now = format_time(clock_.now());
  auto n_inter = TRY(
      tx->exec("UPDATE interactions SET patron_id = ?, prospect_id = NULL WHERE prospect_id = ?",
               {*patron_id, id}));
  auto tickets =
      TRY(tx->query("SELECT number FROM tickets WHERE prospect_id = ? ORDER BY id", {id}));
  TRY(tx->exec("UPDATE tickets SET patron_id = ?, prospect_id = NULL WHERE prospect_id = ?",
               {*patron_id, id}));
  // The prospect's phone and e-mail become the patron's, so the next contact matches.
  for (auto [kind, col] : {std::pair{"phone", 2}, std::pair{"email", 3}}) {
    auto v = row->opt_str(col);
    if (!v) continue;
    if (TRY(tx->maybe_one(
            "SELECT 1 FROM patron_contacts WHERE patron_id = ? AND kind = ? AND normalized = ?",
            {*patron_id, std::string(kind), *v})))
      continue;
    auto pos = TRY(tx->one(
        "SELECT COALESCE(MAX(position), -1) + 1 FROM patron_contacts WHERE patron_id = ? AND "
        "kind = ?",
        {*patron_id, std::string(kind)}, "position"));
    TRY(tx->exec(
        "INSERT INTO patron_contacts (patron_id, kind, value, normalized, position, created_at) "
        "VALUES (?,?,?,?,?,?)",
        {*patron_id, std::string(kind), *v, *v, pos.i64(0), now}));
  }
  TRY(tx->exec(
      "UPDATE prospects SET status = 'merged', merged_into = ?, merged_at = ? WHERE id = ?",
      {*patron_id, now, id}));
  json numbers = json::array();
  for (auto& t : tickets) numbers.push_back(t.str(0));
  TRY_STATUS(audit::append(*tx, by,
                           {"prospect.merge",
                            "prospect",
                            std::to_string(id),
                            patron_id,
                            reason,
                            {{"interactions", n_inter}, {"tickets", numbers.size()}}},
                           clock_));
  std::string who = row->str(1).empty() ? "prospect " + std::to_string(id) : row->str(1);
  TRY(timeline::append(*tx, by,
                       {*patron_id,
                        "prospect.merged",
                        "Earlier contacts of " + who + " merged: " + std::to_string(n_inter) +
                            " contacts, " + std::to_string(numbers.size()) + " tickets",
                        {{"prospect_id", id}, {"interactions", n_inter}, {"tickets", numbers}},
                        "prospect",
                        std::to_string(id)},
                       clock_));
  auto after = TRY(tx->one(std::string("SELECT ") + kProspectCols + " FROM prospects WHERE id = ?",
                           {id}, "prospect"));
  TRY_STATUS(tx->commit());
  json out = prospect_json(after);
  out["moved"] = {{"interactions", n_inter}, {"tickets", numbers}};
  return out;
}

}  // namespace dangan::service
