// Cases across channels, their replay and the touchpoint report (D32). See quality.h.
#include <algorithm>
#include <cmath>
#include <set>

#include "patrons/patrons.h"
#include "patrons/timeline.h"
#include "patrons/writes.h"
#include "service/internal.h"
#include "service/periods.h"
#include "service/quality.h"
#include "text/text.h"

namespace dangan::service {

using json = nlohmann::json;
using namespace detail;

namespace {

// At most `n` code points, with an ellipsis when cut.
std::string shorten(const std::string& s, std::size_t n) {
  std::size_t count = 0, i = 0;
  while (i < s.size()) {
    if (count == n) return s.substr(0, i) + "…";
    unsigned char c = static_cast<unsigned char>(s[i]);
    i += c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    ++count;
  }
  return s;
}

constexpr const char* kCaseCols =
    "c.id, c.title, c.patron_id, c.status, c.owner_id, c.created_by, c.created_at, c.updated_at, "
    "c.resolved_at, u.display_name, (SELECT COUNT(*) FROM case_links l WHERE l.case_id = c.id), "
    "p.name";
constexpr const char* kCaseFrom =
    " FROM service_cases c LEFT JOIN users u ON u.id = c.owner_id LEFT JOIN patrons p ON p.id = "
    "c.patron_id";

json case_json(const store::Row& r) {
  return {{"id", r.i64(0)},
          {"title", r.str(1)},
          {"patron_id", opt(r.opt_i64(2))},
          {"patron_name", opt(r.opt_str(11))},
          {"status", r.str(3)},
          {"owner_id", opt(r.opt_i64(4))},
          {"owner_name", opt(r.opt_str(9))},
          {"created_by", opt(r.opt_i64(5))},
          {"created_at", r.str(6)},
          {"updated_at", r.str(7)},
          {"resolved_at", opt(r.opt_str(8))},
          {"link_count", r.i64(10)}};
}

struct Link {
  std::string kind;
  std::int64_t id = 0;
};

Result<std::vector<Link>> parse_links(const json& body) {
  std::vector<Link> out;
  if (!body.contains("links") || body["links"].is_null()) return out;
  if (!body["links"].is_array() || body["links"].size() > 200)
    return invalid("links", "links is a list of at most 200 {kind, id}");
  for (auto& l : body["links"]) {
    if (!l.is_object() || !l.contains("kind") || !l["kind"].is_string() || !l.contains("id") ||
        !l["id"].is_number_integer() || l["id"].get<std::int64_t>() <= 0)
      return invalid("links", "each link is {kind, id}");
    out.push_back({l["kind"].get<std::string>(), l["id"].get<std::int64_t>()});
  }
  return out;
}

}  // namespace

void Quality::add_case_source(const std::string& kind, CaseSource source) {
  sources_[kind] = std::move(source);
}

void Quality::add_builtin_case_sources() {
  CaseSource ticket;
  ticket.check = [](store::Tx& tx, const Actor& by,
                    std::int64_t id) -> Result<std::optional<std::int64_t>> {
    auto t = TRY(load(tx, id));
    TRY_STATUS(may_see(by, t));
    return t.patron_id;
  };
  ticket.steps = [](store::Tx& tx, const Actor& by, std::int64_t id) -> Result<std::vector<CaseStep>> {
    auto t = TRY(load(tx, id));
    TRY_STATUS(may_see(by, t));
    auto rows = TRY(tx.query(
        "SELECT m.kind, m.channel, u.display_name, m.body, m.created_at FROM ticket_messages m "
        "LEFT JOIN users u ON u.id = m.author_id WHERE m.ticket_id = ? ORDER BY m.id",
        {id}));
    std::vector<CaseStep> out;
    for (auto& r : rows) {
      CaseStep s;
      s.at = r.str(4);
      s.channel = r.str(1);
      s.kind = r.str(0);
      s.who = s.kind == "patron" ? "patron" : r.is_null(2) ? "system" : r.str(2);
      s.what = shorten(r.str(3), 300);
      s.item_kind = "ticket";
      s.item_id = id;
      s.ref = t.number;
      s.contact = s.kind == "patron" || s.kind == "reply";
      out.push_back(std::move(s));
    }
    return out;
  };
  add_case_source("ticket", std::move(ticket));

  CaseSource visit;
  visit.check = [](store::Tx& tx, const Actor& by,
                   std::int64_t id) -> Result<std::optional<std::int64_t>> {
    TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
    auto r = TRY(tx.maybe_one("SELECT patron_id FROM follow_up_visits WHERE id = ?", {id}));
    if (!r) return not_found("no such follow-up visit");
    return r->opt_i64(0);
  };
  visit.steps = [](store::Tx& tx, const Actor&, std::int64_t id) -> Result<std::vector<CaseStep>> {
    auto r = TRY(tx.one(
        "SELECT v.reason, v.status, v.channel, v.satisfaction, v.comments, v.created_at, "
        "v.done_at, u.display_name FROM follow_up_visits v LEFT JOIN users u ON u.id = v.done_by "
        "WHERE v.id = ?",
        {id}, "visit"));
    std::vector<CaseStep> out;
    CaseStep planned;
    planned.at = r.str(5);
    planned.channel = "back_office";
    planned.kind = "visit";
    planned.who = "system";
    planned.what = "follow-up visit scheduled (" + r.str(0) + ")";
    planned.item_kind = "visit";
    planned.item_id = id;
    planned.ref = "V" + std::to_string(id);
    out.push_back(planned);
    if (!r.is_null(6)) {
      CaseStep done = planned;
      done.at = r.str(6);
      done.channel = r.str(2).empty() ? "phone" : r.str(2);
      done.who = r.is_null(7) ? "system" : r.str(7);
      std::string status = r.str(1);
      done.what = status == "done" ? "follow-up visit: satisfaction " + r.str(3) + "/5" +
                                         (r.str(4).empty() ? "" : " — " + shorten(r.str(4), 200))
                                   : "follow-up visit " + status;
      done.contact = status == "done";
      out.push_back(done);
    }
    return out;
  };
  add_case_source("visit", std::move(visit));

  // Contacts on any channel (contacts.h); one tied to a ticket the caller may not see (a
  // report) is hidden as that ticket is.
  CaseSource interaction;
  interaction.check = [](store::Tx& tx, const Actor& by,
                         std::int64_t id) -> Result<std::optional<std::int64_t>> {
    TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
    auto r = TRY(tx.maybe_one("SELECT patron_id, ticket_id FROM interactions WHERE id = ?", {id}));
    if (!r) return not_found("no such interaction");
    if (!r->is_null(1)) {
      auto t = TRY(load(tx, r->i64(1)));
      if (!may_see(by, t)) return not_found("no such interaction");
    }
    return r->opt_i64(0);
  };
  interaction.steps = [checker = interaction.check](store::Tx& tx, const Actor& by,
                                                     std::int64_t id) -> Result<std::vector<CaseStep>> {
    TRY_STATUS(checker(tx, by, id));
    auto r = TRY(tx.one(
        "SELECT i.channel, i.direction, i.address, i.subject, i.body, i.occurred_at, "
        "u.display_name FROM interactions i LEFT JOIN users u ON u.id = i.recorded_by WHERE "
        "i.id = ?",
        {id}, "interaction"));
    CaseStep s;
    s.at = r.str(5);
    s.channel = r.str(0);
    s.kind = r.str(1) == "in" ? "patron" : "reply";
    s.who = r.str(1) == "in" ? "patron" : r.is_null(6) ? "system" : r.str(6);
    std::string text = r.str(3).empty() ? r.str(4) : r.str(3) + (r.str(4).empty() ? "" : ": " + r.str(4));
    s.what = shorten(text, 300);
    s.item_kind = "interaction";
    s.item_id = id;
    s.ref = "I" + std::to_string(id);
    s.contact = true;
    return std::vector<CaseStep>{s};
  };
  add_case_source("interaction", std::move(interaction));
}

Result<json> Quality::create_case(const Actor& by, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_write));
  TRY_STATUS(only_fields(body, {"title", "patron_id", "owner_id", "links"}));
  auto title = TRY(required_text(body, "title", 200));
  auto patron = TRY(optional_id(body, "patron_id"));
  auto owner = TRY(optional_id(body, "owner_id"));
  auto links = TRY(parse_links(body));
  std::int64_t id = 0;
  {
    auto tx = TRY(db_.begin(store::TxMode::write));
    if (patron) TRY_STATUS(patrons::may_write_about(*tx, *patron));
    if (owner) TRY_STATUS(check_user(*tx, *owner, "owner_id"));
    std::string now = format_time(clock_.now());
    auto row = TRY(tx->one(
        "INSERT INTO service_cases (title, patron_id, status, owner_id, created_by, created_at, "
        "updated_at) VALUES (?,?,'open',?,?,?,?) RETURNING id",
        {title, store::opt(patron), store::opt(owner), store::opt(author_of(by)), now, now},
        "case"));
    id = row.i64(0);
    for (auto& l : links) {
      auto src = sources_.find(l.kind);
      if (src == sources_.end()) return invalid("links", "no such kind of item: " + l.kind);
      auto item = src->second.check(*tx, by, l.id);
      if (!item) return invalid("links", "no such " + l.kind + ": " + std::to_string(l.id));
      if (!patron) patron = *item;  // the case is about the patron of what it gathers
      if (patron && *item && **item != *patron)
        return invalid("links", "the " + l.kind + " " + std::to_string(l.id) +
                                    " is about another patron");
      TRY(tx->exec(
          "INSERT INTO case_links (case_id, item_kind, item_id, linked_by, linked_at) VALUES "
          "(?,?,?,?,?) ON CONFLICT (case_id, item_kind, item_id) DO NOTHING",
          {id, l.kind, l.id, store::opt(author_of(by)), now}));
    }
    // A case gathering an erased patron's items would be a new file about them.
    TRY_STATUS(patrons::refuse_if_erased(*tx, patron));
    if (patron) TRY(tx->exec("UPDATE service_cases SET patron_id = ? WHERE id = ?", {*patron, id}));
    TRY_STATUS(audit::append(*tx, by,
                             {"case.create", "case", std::to_string(id), patron, "",
                              {{"links", links.size()}}},
                             clock_));
    if (patron)
      TRY(timeline::append(*tx, by,
                           {*patron, "case.opened", "Case opened: " + title, json::object(), "case",
                            std::to_string(id)},
                           clock_));
    TRY_STATUS(tx->commit());
  }
  return get_case(by, id);
}

Result<json> Quality::list_cases(const Actor& by, const CaseQuery& q) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  auto after = TRY(after_id(q.cursor));
  int limit = std::clamp(q.limit, 1, 200);
  std::string where = "1 = 1";
  store::Params p;
  if (q.status) {
    if (!is_one_of(*q.status, {"open", "resolved", "closed"}))
      return invalid("status", "status is open, resolved or closed");
    where += " AND c.status = ?";
    p.emplace_back(*q.status);
  }
  if (q.patron_id) {
    where += " AND c.patron_id = ?";
    p.emplace_back(*q.patron_id);
  }
  if (after) {
    where += " AND c.id < ?";
    p.emplace_back(after);
  }
  p.emplace_back(static_cast<std::int64_t>(limit + 1));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto rows = TRY(tx->query(std::string("SELECT ") + kCaseCols + kCaseFrom + " WHERE " + where +
                                " ORDER BY c.id DESC LIMIT ?",
                            p));
  json items = json::array();
  for (std::size_t i = 0; i < rows.size() && i < static_cast<std::size_t>(limit); ++i)
    items.push_back(case_json(rows[i]));
  // The name as the patron list shows it to the caller, the read audited (not the stored
  // name the query joined).
  TRY_STATUS(patrons::add_patron_names(*tx, by, &reads_, items, "cases"));
  return id_page(std::move(items), rows, limit);
}

Result<json> Quality::get_case(const Actor& by, std::int64_t id) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto row =
      TRY(tx->maybe_one(std::string("SELECT ") + kCaseCols + kCaseFrom + " WHERE c.id = ?", {id}));
  if (!row) return not_found("no such case");
  json one = json::array({case_json(*row)});
  TRY_STATUS(patrons::add_patron_names(*tx, by, &reads_, one, "cases"));
  json out = std::move(one[0]);
  auto links = TRY(tx->query(
      "SELECT item_kind, item_id, linked_at FROM case_links WHERE case_id = ? ORDER BY linked_at, "
      "item_kind, item_id",
      {id}));
  json ls = json::array();
  for (auto& l : links) {
    json j = {{"kind", l.str(0)}, {"id", l.i64(1)}, {"linked_at", l.str(2)}};
    // A ticket is shown by its number and subject (when the caller may see it).
    if (l.str(0) == "ticket") {
      auto t = load(*tx, l.i64(1));
      if (t && may_see(by, *t)) {
        j["ref"] = t->number;
        j["title"] = t->subject;
        j["channel"] = t->channel;
        j["status"] = t->status;
      } else {
        j["ref"] = "(hidden)";
      }
    } else {
      j["ref"] = (l.str(0) == "visit" ? "V" : l.str(0) + " ") + std::to_string(l.i64(1));
    }
    ls.push_back(j);
  }
  out["links"] = ls;
  auto steps = TRY(tx->query(
      "SELECT s.id, s.what, s.unit_id, un.name, s.done_by, u.display_name, s.occurred_at FROM "
      "case_steps s LEFT JOIN units un ON un.id = s.unit_id LEFT JOIN users u ON u.id = s.done_by "
      "WHERE s.case_id = ? ORDER BY s.occurred_at, s.id",
      {id}));
  json ss = json::array();
  for (auto& s : steps)
    ss.push_back({{"id", s.i64(0)},
                  {"what", s.str(1)},
                  {"unit_id", opt(s.opt_i64(2))},
                  {"unit_name", opt(s.opt_str(3))},
                  {"done_by", opt(s.opt_i64(4))},
                  {"done_by_name", opt(s.opt_str(5))},
                  {"occurred_at", s.str(6)}});
  out["steps"] = ss;
  json kinds = json::array();
  for (auto& [k, _] : sources_) kinds.push_back(k);
  out["link_kinds"] = kinds;
  return out;
}

Result<json> Quality::update_case(const Actor& by, std::int64_t id, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_write));
  TRY_STATUS(only_fields(body, {"title", "status", "owner_id"}));
  auto title = TRY(optional_text(body, "title", 200));
  if (title && title->empty()) return invalid("title", "title is required");
  std::optional<std::string> status;
  if (body.contains("status"))
    status = TRY(one_of(body, "status", {"open", "resolved", "closed"}, nullptr));
  {
    auto tx = TRY(db_.begin(store::TxMode::write));
    auto cur = TRY(tx->maybe_one("SELECT status, patron_id, title FROM service_cases WHERE id = ?",
                                 {id}));
    if (!cur) return not_found("no such case");
    if (title) TRY_STATUS(patrons::refuse_if_erased(*tx, cur->opt_i64(1)));
    std::string now = format_time(clock_.now());
    if (title) TRY(tx->exec("UPDATE service_cases SET title = ? WHERE id = ?", {*title, id}));
    if (body.contains("owner_id")) {
      auto owner = TRY(optional_id(body, "owner_id"));
      if (owner) TRY_STATUS(check_user(*tx, *owner, "owner_id"));
      TRY(tx->exec("UPDATE service_cases SET owner_id = ? WHERE id = ?", {store::opt(owner), id}));
    }
    bool changed_status = status && *status != cur->str(0);
    if (changed_status) {
      // Resolution is when the matter was settled; closing later keeps that time.
      if (*status == "open")
        TRY(tx->exec("UPDATE service_cases SET status = 'open', resolved_at = NULL WHERE id = ?",
                     {id}));
      else
        TRY(tx->exec(
            "UPDATE service_cases SET status = ?, resolved_at = COALESCE(resolved_at, ?) WHERE "
            "id = ?",
            {*status, now, id}));
    }
    TRY(tx->exec("UPDATE service_cases SET updated_at = ? WHERE id = ?", {now, id}));
    auto patron = cur->opt_i64(1);
    TRY_STATUS(audit::append(*tx, by, {"case.update", "case", std::to_string(id), patron, "", body},
                             clock_));
    if (patron && changed_status)
      TRY(timeline::append(*tx, by,
                           {*patron, "case." + *status, "Case " + *status + ": " + title.value_or(cur->str(2)),
                            json::object(), "case", std::to_string(id)},
                           clock_));
    TRY_STATUS(tx->commit());
  }
  return get_case(by, id);
}

Result<json> Quality::link_case(const Actor& by, std::int64_t id, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_write));
  TRY_STATUS(only_fields(body, {"kind", "id"}));
  auto kind = TRY(required_text(body, "kind", 40));
  auto item = TRY(optional_id(body, "id"));
  if (!item) return invalid("id", "id is required");
  auto src = sources_.find(kind);
  if (src == sources_.end()) return invalid("kind", "no such kind of item: " + kind);
  {
    auto tx = TRY(db_.begin(store::TxMode::write));
    auto cur = TRY(tx->maybe_one("SELECT patron_id, status FROM service_cases WHERE id = ?", {id}));
    if (!cur) return not_found("no such case");
    if (cur->str(1) == "closed") return conflict("the case is closed", "status");
    auto owner = src->second.check(*tx, by, *item);
    if (!owner) return invalid("id", "no such " + kind);
    auto patron = cur->opt_i64(0);
    if (patron && *owner && **owner != *patron)
      return invalid("id", "the " + kind + " is about another patron");
    std::string now = format_time(clock_.now());
    auto n = TRY(tx->exec(
        "INSERT INTO case_links (case_id, item_kind, item_id, linked_by, linked_at) VALUES "
        "(?,?,?,?,?) ON CONFLICT (case_id, item_kind, item_id) DO NOTHING",
        {id, kind, *item, store::opt(author_of(by)), now}));
    if (n > 0) {
      if (!patron && *owner)
        TRY(tx->exec("UPDATE service_cases SET patron_id = ? WHERE id = ?", {**owner, id}));
      TRY(tx->exec("UPDATE service_cases SET updated_at = ? WHERE id = ?", {now, id}));
      TRY_STATUS(audit::append(*tx, by,
                               {"case.link", "case", std::to_string(id), patron ? patron : *owner,
                                "", {{"kind", kind}, {"id", *item}}},
                               clock_));
    }
    TRY_STATUS(tx->commit());
  }
  return get_case(by, id);
}

Status Quality::unlink_case(const Actor& by, std::int64_t id, const std::string& kind,
                            std::int64_t item_id) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_write));
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto n = TRY(tx->exec("DELETE FROM case_links WHERE case_id = ? AND item_kind = ? AND item_id = ?",
                        {id, kind, item_id}));
  if (n == 0) return not_found("the item is not linked to this case");
  TRY(tx->exec("UPDATE service_cases SET updated_at = ? WHERE id = ?",
               {format_time(clock_.now()), id}));
  TRY_STATUS(audit::append(*tx, by,
                           {"case.unlink", "case", std::to_string(id), std::nullopt, "",
                            {{"kind", kind}, {"id", item_id}}},
                           clock_));
  return tx->commit();
}

Result<json> Quality::add_case_step(const Actor& by, std::int64_t id, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_write));
  TRY_STATUS(only_fields(body, {"what", "occurred_at", "unit_id"}));
  auto what = TRY(required_text(body, "what", 1000));
  auto when_text = TRY(optional_text(body, "occurred_at", 40));
  TimePoint now = clock_.now();
  TimePoint when = now;
  if (when_text) {
    auto t = parse_time(*when_text);
    if (!t) return invalid("occurred_at", "occurred_at is an ISO 8601 time");
    if (*t > now) return invalid("occurred_at", "a step is recorded once it happened");
    when = *t;
  }
  auto unit = TRY(optional_id(body, "unit_id"));
  {
    auto tx = TRY(db_.begin(store::TxMode::write));
    auto cur = TRY(tx->maybe_one("SELECT patron_id, status FROM service_cases WHERE id = ?", {id}));
    if (!cur) return not_found("no such case");
    if (cur->str(1) == "closed") return conflict("the case is closed", "status");
    TRY_STATUS(patrons::refuse_if_erased(*tx, cur->opt_i64(0)));
    if (unit && !TRY(tx->maybe_one("SELECT 1 FROM units WHERE id = ?", {*unit})))
      return invalid("unit_id", "no such unit");
    auto row = TRY(tx->one(
        "INSERT INTO case_steps (case_id, what, unit_id, done_by, occurred_at, created_at) VALUES "
        "(?,?,?,?,?,?) RETURNING id",
        {id, what, store::opt(unit), store::opt(author_of(by)), format_time(when),
         format_time(now)},
        "step"));
    TRY(tx->exec("UPDATE service_cases SET updated_at = ? WHERE id = ?", {format_time(now), id}));
    auto patron = cur->opt_i64(0);
    TRY_STATUS(audit::append(*tx, by,
                             {"case.step", "case", std::to_string(id), patron, "",
                              {{"step_id", row.i64(0)}}},
                             clock_));
    if (patron)
      TRY(timeline::append(*tx, by,
                           {*patron, "case.step", shorten(what, 200), json::object(), "case",
                            std::to_string(id)},
                           clock_));
    TRY_STATUS(tx->commit());
  }
  return get_case(by, id);
}

Result<json> Quality::replay(const Actor& by, std::int64_t id) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto cal = TRY(desk_.calendar(*tx));
  auto row =
      TRY(tx->maybe_one(std::string("SELECT ") + kCaseCols + kCaseFrom + " WHERE c.id = ?", {id}));
  if (!row) return not_found("no such case");
  std::vector<CaseStep> steps;
  auto links = TRY(tx->query(
      "SELECT item_kind, item_id FROM case_links WHERE case_id = ? ORDER BY item_kind, item_id",
      {id}));
  int hidden = 0;
  for (auto& l : links) {
    auto src = sources_.find(l.str(0));
    if (src == sources_.end()) continue;  // a kind this server no longer knows
    auto got = src->second.steps(*tx, by, l.i64(1));
    if (!got) {
      // An item the caller may not see (a report, 举报) is left out, and counted.
      if (got.error().code == ErrorCode::not_found) {
        ++hidden;
        continue;
      }
      return std::unexpected(got.error());
    }
    for (auto& s : *got) steps.push_back(std::move(s));
  }
  auto own = TRY(tx->query(
      "SELECT s.id, s.what, un.name, u.display_name, s.occurred_at FROM case_steps s LEFT JOIN "
      "units un ON un.id = s.unit_id LEFT JOIN users u ON u.id = s.done_by WHERE s.case_id = ?",
      {id}));
  for (auto& r : own) {
    CaseStep s;
    s.at = r.str(4);
    s.channel = "back_office";
    s.kind = "step";
    s.who = r.is_null(3) ? "system" : r.str(3);
    s.what = shorten(r.str(1), 300) + (r.is_null(2) ? "" : " (" + r.str(2) + ")");
    s.item_kind = "step";
    s.item_id = r.i64(0);
    steps.push_back(std::move(s));
  }
  // Stored times are all UTC ISO 8601 of one form, so text order is time order.
  std::stable_sort(steps.begin(), steps.end(),
                   [](const CaseStep& a, const CaseStep& b) { return a.at < b.at; });
  json items = json::array();
  std::optional<TimePoint> prev;
  std::int64_t contacts = 0;
  std::set<std::string> channels;
  for (auto& s : steps) {
    auto t = parse_time(s.at);
    json j = {{"at", s.at},         {"channel", s.channel},     {"kind", s.kind},
              {"who", s.who},       {"what", s.what},           {"item_kind", s.item_kind},
              {"item_id", s.item_id}, {"ref", s.ref},           {"contact", s.contact},
              {"wait_seconds", nullptr}, {"wait_working_seconds", nullptr}};
    if (t && prev) {
      j["wait_seconds"] =
          std::chrono::duration_cast<std::chrono::seconds>(*t - *prev).count();
      j["wait_working_seconds"] = cal.working_seconds(*prev, *t);
    }
    if (t) prev = t;
    if (s.contact) {
      ++contacts;
      channels.insert(s.channel);
    }
    items.push_back(std::move(j));
  }
  json summary = {{"steps", items.size()},
                  {"contacts", contacts},
                  {"channels", channels},
                  {"hidden_items", hidden},
                  {"first_at", nullptr},
                  {"last_at", nullptr},
                  {"elapsed_seconds", nullptr},
                  {"elapsed_working_seconds", nullptr}};
  if (!steps.empty()) {
    auto a = parse_time(steps.front().at), b = parse_time(steps.back().at);
    summary["first_at"] = steps.front().at;
    summary["last_at"] = steps.back().at;
    // To resolution when resolved, else to the last step so far.
    if (!row->is_null(8)) b = parse_time(row->str(8));
    if (a && b) {
      summary["elapsed_seconds"] = std::chrono::duration_cast<std::chrono::seconds>(*b - *a).count();
      summary["elapsed_working_seconds"] = cal.working_seconds(*a, *b);
    }
  }
  json one = json::array({case_json(*row)});
  TRY_STATUS(patrons::add_patron_names(*tx, by, &reads_, one, "cases"));
  return json{{"case", std::move(one[0])}, {"steps", items}, {"summary", summary}};
}

Result<json> Quality::touchpoints(const Actor& by, const TrendQuery& range) {
  TRY_STATUS(staff_may(by, auth::Permission::service_report));
  if (range.from && !valid_date(*range.from)) return invalid("from", "from is a date YYYY-MM-DD");
  if (range.to && !valid_date(*range.to)) return invalid("to", "to is a date YYYY-MM-DD");
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto cal = TRY(desk_.calendar(*tx));
  TimePoint now = clock_.now();
  std::string to = range.to.value_or(cal.local_date(now));
  std::string from = range.from.value_or(cal.local_date(now - std::chrono::hours(24 * 90)));
  if (from > to) return invalid("from", "from is after to");
  std::string from_utc = format_time(cal.local_midnight(from));
  std::string to_utc = format_time(
      cal.local_midnight(Periods::format(Periods::parse(to) + std::chrono::days{1})));

  struct Acc {
    std::int64_t tickets = 0, contacts = 0, resolved = 0, working = 0, visits = 0, sat = 0;
  };
  std::map<std::string, Acc> per;
  auto rows = TRY(tx->query(
      "SELECT t.channel, t.created_at, t.resolved_at, (SELECT COUNT(*) FROM ticket_messages m "
      "WHERE m.ticket_id = t.id AND m.kind IN ('patron','reply')) FROM tickets t WHERE "
      "t.created_at >= ? AND t.created_at < ?",
      {from_utc, to_utc}));
  for (auto& r : rows) {
    auto& a = per[r.str(0)];
    ++a.tickets;
    a.contacts += r.i64(3);
    if (!r.is_null(2)) {
      auto b = parse_time(r.str(1)), e = parse_time(r.str(2));
      if (b && e) {
        ++a.resolved;
        a.working += cal.working_seconds(*b, *e);
      }
    }
  }
  auto sats = TRY(tx->query(
      "SELECT t.channel, v.satisfaction FROM follow_up_visits v JOIN tickets t ON t.id = "
      "v.ticket_id WHERE v.status = 'done' AND t.created_at >= ? AND t.created_at < ?",
      {from_utc, to_utc}));
  for (auto& r : sats) {
    auto& a = per[r.str(0)];
    ++a.visits;
    a.sat += r.i64(1);
  }
  auto mean = [](std::int64_t sum, std::int64_t n, double scale) -> json {
    if (n == 0) return nullptr;
    return std::round(static_cast<double>(sum) / static_cast<double>(n) / scale * 100) / 100;
  };
  json channels = json::array();
  for (auto& [ch, a] : per)
    channels.push_back({{"channel", ch},
                        {"tickets", a.tickets},
                        {"contacts_per_ticket", mean(a.contacts, a.tickets, 1)},
                        {"resolved", a.resolved},
                        {"working_hours_to_resolution", mean(a.working, a.resolved, 3600)},
                        {"satisfaction", mean(a.sat, a.visits, 1)},
                        {"satisfaction_responses", a.visits}});
  std::sort(channels.begin(), channels.end(), [](const json& a, const json& b) {
    return a["tickets"].get<std::int64_t>() > b["tickets"].get<std::int64_t>();
  });

  // Cases opened in the range: contacts over all their items, channels used, working
  // time from the first step to resolution. Uses the replay of each case (as the
  // system: effort counts every contact, whoever may see it).
  auto cases = TRY(tx->query(
      "SELECT id FROM service_cases WHERE created_at >= ? AND created_at < ? ORDER BY id LIMIT 2000",
      {from_utc, to_utc}));
  tx.reset();
  std::int64_t n = 0, contacts = 0, channel_count = 0, resolved = 0, working = 0;
  for (auto& c : cases) {
    auto r = replay(system_actor(), c.i64(0));
    if (!r) continue;
    auto& s = (*r)["summary"];
    ++n;
    contacts += s["contacts"].get<std::int64_t>();
    channel_count += static_cast<std::int64_t>(s["channels"].size());
    if (!(*r)["case"]["resolved_at"].is_null() && s["elapsed_working_seconds"].is_number()) {
      ++resolved;
      working += s["elapsed_working_seconds"].get<std::int64_t>();
    }
  }
  return json{{"from", from},
              {"to", to},
              {"channels", channels},
              {"cases",
               {{"cases", n},
                {"contacts_per_case", mean(contacts, n, 1)},
                {"channels_per_case", mean(channel_count, n, 1)},
                {"resolved", resolved},
                {"working_hours_to_resolution", mean(working, resolved, 3600)}}}};
}

}  // namespace dangan::service
