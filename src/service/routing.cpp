#include "service/routing.h"

#include <map>
#include <sstream>

#include "audit/audit.h"
#include "patrons/timeline.h"
#include "patrons/writes.h"
#include "service/internal.h"
#include "text/text.h"

namespace dangan::service {

using json = nlohmann::json;
using namespace detail;

namespace {

constexpr const char* kRuleCols =
    "id, position, name, channel, kind, words, language, tier, team_id, agent_id, enabled, "
    "created_at, updated_at";

json rule_json(const store::Row& r) {
  return {{"id", r.i64(0)},
          {"position", r.i64(1)},
          {"name", r.str(2)},
          {"channel", opt(r.opt_str(3))},
          {"kind", opt(r.opt_str(4))},
          {"words", r.str(5)},
          {"language", opt(r.opt_str(6))},
          {"tier", opt(r.opt_str(7))},
          {"team_id", opt(r.opt_i64(8))},
          {"agent_id", opt(r.opt_i64(9))},
          {"enabled", r.i64(10) != 0},
          {"created_at", r.str(11)},
          {"updated_at", r.str(12)}};
}

// "zh" for text with Han characters (U+3400–U+9FFF: UTF-8 lead bytes E3 90 … E9 BF),
// "en" otherwise.
std::string script_language(const std::string& text) {
  for (std::size_t i = 0; i + 2 < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    auto d = static_cast<unsigned char>(text[i + 1]);
    if ((c == 0xE3 && d >= 0x90) || (c >= 0xE4 && c <= 0xE9)) return "zh";
  }
  return "en";
}

// Folded words, one space between them.
std::string fold_words(const std::string& words) {
  std::istringstream in(text::fold(words));
  std::string w, out;
  while (in >> w) out += (out.empty() ? "" : " ") + w;
  return out;
}

struct RuleFields {
  std::string name, words;
  std::optional<std::string> channel, kind, language, tier;
  std::optional<std::int64_t> team_id, agent_id;
  std::int64_t position = 0;
  bool enabled = true;
};

// Reads and checks a rule body over `base` (the stored rule when updating).
Result<RuleFields> rule_fields(store::Tx& tx, const json& body, RuleFields base) {
  TRY_STATUS(only_fields(body, {"name", "channel", "kind", "words", "language", "tier", "team_id",
                                "agent_id", "position", "enabled"}));
  if (body.contains("name")) base.name = TRY(required_text(body, "name", 100));
  auto choice = [&](const char* field, std::optional<std::string>& into,
                    std::initializer_list<std::string_view> allowed) -> Status {
    if (!body.contains(field)) return {};
    if (body[field].is_null()) {
      into.reset();
      return {};
    }
    into = TRY(one_of(body, field, allowed, nullptr));
    return {};
  };
  TRY_STATUS(choice("channel", base.channel, kChannels));
  TRY_STATUS(choice("kind", base.kind, kKinds));
  if (body.contains("words")) base.words = fold_words(TRY(optional_text(body, "words", 500)).value_or(""));
  if (body.contains("language")) {
    auto l = TRY(optional_text(body, "language", 16));
    base.language = l && !l->empty() ? std::optional(text::fold(*l)) : std::nullopt;
  }
  if (body.contains("tier")) {
    auto t = TRY(optional_text(body, "tier", 32));
    base.tier = t && !t->empty() ? t : std::nullopt;
    if (base.tier && !TRY(tx.maybe_one("SELECT 1 FROM service_tiers WHERE code = ?", {*base.tier})))
      return invalid("tier", "no such tier");
  }
  if (body.contains("team_id") || body.contains("agent_id")) {
    base.team_id = TRY(optional_id(body, "team_id"));
    base.agent_id = TRY(optional_id(body, "agent_id"));
  }
  if (base.team_id.has_value() == base.agent_id.has_value())
    return invalid("team_id", "a rule sends tickets to a team_id or an agent_id (one of them)");
  if (base.team_id && !TRY(tx.maybe_one("SELECT 1 FROM service_teams WHERE id = ?", {*base.team_id})))
    return invalid("team_id", "no such team");
  if (base.agent_id) TRY_STATUS(check_user(tx, *base.agent_id, "agent_id"));
  if (body.contains("position")) {
    if (!body["position"].is_number_integer() || body["position"].get<std::int64_t>() < 0)
      return invalid("position", "must be a non-negative integer");
    base.position = body["position"].get<std::int64_t>();
  }
  if (body.contains("enabled")) {
    if (!body["enabled"].is_boolean()) return invalid("enabled", "must be true or false");
    base.enabled = body["enabled"].get<bool>();
  }
  return base;
}

store::Value opt_value(const std::optional<std::string>& v) { return store::opt(v); }

}  // namespace

namespace detail {

Result<TierTerms> tier_of(store::Tx& tx, std::optional<std::int64_t> patron_id) {
  TierTerms terms;
  if (!patron_id) return terms;
  auto row = TRY(tx.maybe_one(
      "SELECT t.code, t.sla_percent, t.default_priority, t.notify, t.on_site FROM patron_tiers p JOIN "
      "service_tiers t ON t.code = p.tier WHERE p.patron_id = ?",
      {*patron_id}));
  if (!row) return terms;
  terms.code = row->str(0);
  terms.sla_percent = static_cast<int>(row->i64(1));
  terms.default_priority = row->str(2);
  terms.notify = row->i64(3) != 0;
  terms.on_site = row->i64(4) != 0;
  return terms;
}

Result<Routed> route(store::Tx& tx, const std::string& channel, const std::string& kind,
                     const std::string& text, std::optional<std::int64_t> patron_id) {
  Routed out;
  auto rules = TRY(tx.query(std::string("SELECT ") + kRuleCols +
                            " FROM routing_rules WHERE enabled = 1 ORDER BY position, id"));
  if (rules.empty()) return out;
  auto terms = TRY(tier_of(tx, patron_id));
  std::string language;
  if (patron_id) {
    auto p = TRY(tx.maybe_one("SELECT preferred_language FROM patrons WHERE id = ?", {*patron_id}));
    if (p && !p->is_null(0) && !p->str(0).empty()) language = text::fold(p->str(0));
  }
  if (language.empty()) language = script_language(text);
  std::string folded = text::fold(text);
  for (auto& r : rules) {
    std::vector<std::string> why;
    auto need = [&](std::optional<std::string> want, const std::string& have, const char* what) {
      if (!want) return true;
      why.push_back(std::string(what) + "=" + *want);
      return *want == have;
    };
    if (!need(r.opt_str(3), channel, "channel") || !need(r.opt_str(4), kind, "kind") ||
        !need(r.opt_str(7), terms.code, "tier"))
      continue;
    if (auto want = r.opt_str(6)) {
      // "zh" matches "zh-cn"; "zh-cn" only itself.
      if (!(language == *want || language.starts_with(*want + "-"))) continue;
      why.push_back("language=" + *want);
    }
    bool words_hold = true;
    std::istringstream words(r.str(5));
    for (std::string w; words >> w;) words_hold = words_hold && folded.find(w) != std::string::npos;
    if (!words_hold) continue;
    if (!r.str(5).empty()) why.push_back("words=" + r.str(5));
    std::string because;
    for (auto& w : why) because += (because.empty() ? "" : ", ") + w;
    std::string head = "rule " + std::to_string(r.i64(0)) + " " + r.str(2) + " (" +
                       (because.empty() ? "any ticket" : because) + ")";
    if (auto agent = r.opt_i64(9)) {
      auto a = TRY(tx.maybe_one(
          "SELECT COALESCE(NULLIF(u.display_name, ''), u.username), (SELECT COUNT(*) FROM tickets t WHERE t.assignee_id = u.id AND "
          "t.status IN ('new','open','waiting_on_patron','reopened')) FROM users u JOIN "
          "agent_availability a ON a.user_id = u.id WHERE u.id = ? AND u.disabled = 0 AND "
          "a.status = 'available'",
          {*agent}));
      if (!a) continue;  // the agent is not available: the next rule may take it
      out.assignee_id = *agent;
      out.why = head + " → " + a->str(0) + " (available, " + std::to_string(a->i64(1)) + " active)";
      return out;
    }
    std::int64_t team = *r.opt_i64(8);
    auto team_name = TRY(tx.one("SELECT name FROM service_teams WHERE id = ?", {team}, "team"));
    out.team_id = team;
    auto pick = TRY(tx.maybe_one(
        "SELECT u.id, COALESCE(NULLIF(u.display_name, ''), u.username), (SELECT COUNT(*) FROM tickets t WHERE t.assignee_id = u.id "
        "AND t.status IN ('new','open','waiting_on_patron','reopened')) AS active FROM "
        "service_team_members m JOIN users u ON u.id = m.user_id JOIN agent_availability a ON "
        "a.user_id = u.id WHERE m.team_id = ? AND u.disabled = 0 AND a.status = 'available' "
        "ORDER BY active, u.id LIMIT 1",
        {team}));
    out.why = head + " → team " + team_name.str(0);
    if (pick) {
      out.assignee_id = pick->i64(0);
      out.why += " → " + pick->str(1) + " (available, " + std::to_string(pick->i64(2)) +
                 " active: the fewest in the team)";
    } else {
      out.why += " (no member available: in the team's queue)";
    }
    return out;
  }
  return out;
}

std::string state_notice(const std::string& number, const std::string& status) {
  static const std::map<std::string, std::string> kWords = {
      {"new", "已收到"},           {"open", "处理中"},    {"waiting_on_patron", "待您答复"},
      {"resolved", "已解决"},      {"closed", "已关闭"},  {"reopened", "已重新处理"}};
  auto it = kWords.find(status);
  return "您的工单 " + number + " " + (it == kWords.end() ? status : it->second) + " (" + status +
         ")";
}

Status notify_patron(store::Tx& tx, std::optional<std::int64_t> patron_id, std::int64_t ticket_id,
                     const std::string& text, const std::string& now) {
  if (!patron_id) return {};
  // The portal of an erased patron is closed, and what it told them was deleted.
  if (TRY(patrons::is_erased(tx, patron_id))) return {};
  auto terms = TRY(tier_of(tx, patron_id));
  if (!terms.notify) return {};
  TRY(tx.exec(
      "INSERT INTO patron_notices (patron_id, ticket_id, text, created_at) VALUES (?,?,?,?)",
      {*patron_id, ticket_id, text, now}));
  return {};
}

}  // namespace detail

Routing::Routing(store::Database& db, const Clock& clock) : db_(db), clock_(clock) {}

Result<json> Routing::rules(const Actor& by) {
  if (!staff_may(by, auth::Permission::service_config))
    TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto rows = TRY(tx->query(std::string("SELECT ") + kRuleCols +
                            " FROM routing_rules ORDER BY position, id"));
  json items = json::array();
  for (auto& r : rows) items.push_back(rule_json(r));
  return json{{"items", items}};
}

Result<json> Routing::create_rule(const Actor& by, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::service_config));
  if (!body.contains("name")) return invalid("name", "is required");
  auto tx = TRY(db_.begin(store::TxMode::write));
  RuleFields base;
  auto last = TRY(tx->one("SELECT COALESCE(MAX(position), 0) FROM routing_rules", {}, "position"));
  base.position = last.i64(0) + 10;
  auto f = TRY(rule_fields(*tx, body, base));
  std::string now = format_time(clock_.now());
  auto row = TRY(tx->one(
      "INSERT INTO routing_rules (position, name, channel, kind, words, language, tier, team_id, "
      "agent_id, enabled, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
      {f.position, f.name, opt_value(f.channel), opt_value(f.kind), f.words, opt_value(f.language),
       opt_value(f.tier), store::opt(f.team_id), store::opt(f.agent_id),
       static_cast<std::int64_t>(f.enabled), now, now},
      "routing_rule"));
  std::int64_t id = row.i64(0);
  TRY_STATUS(audit::append(*tx, by,
                           {"routing_rule.create", "routing_rule", std::to_string(id), std::nullopt,
                            "", {{"name", f.name}}},
                           clock_));
  auto out = TRY(tx->one(std::string("SELECT ") + kRuleCols + " FROM routing_rules WHERE id = ?",
                         {id}, "routing rule"));
  TRY_STATUS(tx->commit());
  return rule_json(out);
}

Result<json> Routing::update_rule(const Actor& by, std::int64_t id, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::service_config));
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto cur = TRY(tx->maybe_one(
      std::string("SELECT ") + kRuleCols + " FROM routing_rules WHERE id = ?", {id}));
  if (!cur) return not_found("no such routing rule");
  RuleFields base;
  base.position = cur->i64(1);
  base.name = cur->str(2);
  base.channel = cur->opt_str(3);
  base.kind = cur->opt_str(4);
  base.words = cur->str(5);
  base.language = cur->opt_str(6);
  base.tier = cur->opt_str(7);
  base.team_id = cur->opt_i64(8);
  base.agent_id = cur->opt_i64(9);
  base.enabled = cur->i64(10) != 0;
  auto f = TRY(rule_fields(*tx, body, base));
  std::string now = format_time(clock_.now());
  TRY(tx->exec(
      "UPDATE routing_rules SET position = ?, name = ?, channel = ?, kind = ?, words = ?, "
      "language = ?, tier = ?, team_id = ?, agent_id = ?, enabled = ?, updated_at = ? WHERE id = ?",
      {f.position, f.name, opt_value(f.channel), opt_value(f.kind), f.words, opt_value(f.language),
       opt_value(f.tier), store::opt(f.team_id), store::opt(f.agent_id),
       static_cast<std::int64_t>(f.enabled), now, id}));
  json detail = json::object();
  for (auto& [k, v] : body.items()) detail[k] = v;
  TRY_STATUS(audit::append(
      *tx, by, {"routing_rule.update", "routing_rule", std::to_string(id), std::nullopt, "", detail},
      clock_));
  auto out = TRY(tx->one(std::string("SELECT ") + kRuleCols + " FROM routing_rules WHERE id = ?",
                         {id}, "routing rule"));
  TRY_STATUS(tx->commit());
  return rule_json(out);
}

Status Routing::delete_rule(const Actor& by, std::int64_t id) {
  TRY_STATUS(staff_may(by, auth::Permission::service_config));
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto n = TRY(tx->exec("DELETE FROM routing_rules WHERE id = ?", {id}));
  if (n == 0) return not_found("no such routing rule");
  TRY_STATUS(audit::append(
      *tx, by, {"routing_rule.delete", "routing_rule", std::to_string(id), std::nullopt, "", {}},
      clock_));
  return tx->commit();
}

Result<json> Routing::tiers(const Actor& by) {
  if (by.role != Role::patron && !staff_may(by, auth::Permission::service_config))
    TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  if (by.role == Role::patron) return forbidden("staff only");
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto rows = TRY(tx->query(
      "SELECT code, name, position, sla_percent, default_priority, notify, (SELECT COUNT(*) FROM "
      "patron_tiers p WHERE p.tier = service_tiers.code), on_site FROM service_tiers ORDER BY position, "
      "code"));
  json items = json::array();
  for (auto& r : rows)
    items.push_back({{"code", r.str(0)},
                     {"name", r.str(1)},
                     {"position", r.i64(2)},
                     {"sla_percent", r.i64(3)},
                     {"default_priority", r.str(4)},
                     {"notify", r.i64(5) != 0},
                     {"patrons", r.i64(6)},
                     {"on_site", r.i64(7) != 0}});
  return json{{"items", items}};
}

Result<json> Routing::put_tier(const Actor& by, const std::string& code, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::service_config));
  if (code.empty() || code.size() > 32) return invalid("code", "1 to 32 characters");
  for (char c : code)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
      return invalid("code", "lower-case letters, digits and _ only");
  TRY_STATUS(only_fields(body, {"name", "position", "sla_percent", "default_priority", "notify",
                                "on_site"}));
  auto name = TRY(required_text(body, "name", 50));
  auto priority = TRY(one_of(body, "default_priority", kPriorities, "normal"));
  std::int64_t percent = 100, position = 0;
  if (body.contains("sla_percent")) {
    if (!body["sla_percent"].is_number_integer() || body["sla_percent"].get<std::int64_t>() < 10 ||
        body["sla_percent"].get<std::int64_t>() > 1000)
      return invalid("sla_percent", "an integer from 10 to 1000 (percent of the SLA policy)");
    percent = body["sla_percent"].get<std::int64_t>();
  }
  if (body.contains("position")) {
    if (!body["position"].is_number_integer()) return invalid("position", "must be an integer");
    position = body["position"].get<std::int64_t>();
  }
  bool notify = false;
  if (body.contains("notify")) {
    if (!body["notify"].is_boolean()) return invalid("notify", "must be true or false");
    notify = body["notify"].get<bool>();
  }
  bool on_site = false;
  if (body.contains("on_site")) {
    if (!body["on_site"].is_boolean()) return invalid("on_site", "must be true or false");
    on_site = body["on_site"].get<bool>();
  }
  auto tx = TRY(db_.begin(store::TxMode::write));
  TRY(tx->exec(
      "INSERT INTO service_tiers (code, name, position, sla_percent, default_priority, notify, "
      "on_site) VALUES (?,?,?,?,?,?,?) ON CONFLICT (code) DO UPDATE SET name = excluded.name, "
      "position = excluded.position, sla_percent = excluded.sla_percent, default_priority = "
      "excluded.default_priority, notify = excluded.notify, on_site = excluded.on_site",
      {code, name, position, percent, priority, static_cast<std::int64_t>(notify),
       static_cast<std::int64_t>(on_site)}));
  TRY_STATUS(audit::append(*tx, by,
                           {"service_tier.put",
                            "service_tier",
                            code,
                            std::nullopt,
                            "",
                            {{"sla_percent", percent},
                             {"default_priority", priority},
                             {"notify", notify},
                             {"on_site", on_site}}},
                           clock_));
  TRY_STATUS(tx->commit());
  return json{{"code", code},         {"name", name},         {"position", position},
              {"sla_percent", percent}, {"default_priority", priority}, {"notify", notify},
              {"on_site", on_site}};
}

Result<json> Routing::patron_tier(const Actor& by, std::int64_t patron_id) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_read));
  auto tx = TRY(db_.begin(store::TxMode::read));
  if (!TRY(tx->maybe_one("SELECT 1 FROM patrons WHERE id = ?", {patron_id})))
    return not_found("no such patron");
  auto row = TRY(tx->maybe_one(
      "SELECT p.tier, t.name, p.set_at FROM patron_tiers p JOIN service_tiers t ON t.code = p.tier "
      "WHERE p.patron_id = ?",
      {patron_id}));
  if (!row) return json{{"patron_id", patron_id}, {"tier", nullptr}, {"name", nullptr}};
  return json{
      {"patron_id", patron_id}, {"tier", row->str(0)}, {"name", row->str(1)}, {"set_at", row->str(2)}};
}

Result<json> Routing::set_patron_tier(const Actor& by, std::int64_t patron_id, const json& body) {
  TRY_STATUS(staff_may(by, auth::Permission::ticket_write));
  TRY_STATUS(only_fields(body, {"tier"}));
  if (!body.contains("tier")) return invalid("tier", "is required (a tier code, or null)");
  std::optional<std::string> tier;
  if (!body["tier"].is_null()) tier = TRY(required_text(body, "tier", 32));
  auto tx = TRY(db_.begin(store::TxMode::write));
  auto p = TRY(tx->maybe_one("SELECT status FROM patrons WHERE id = ?", {patron_id}));
  if (!p) return not_found("no such patron");
  std::optional<std::string> name;
  if (tier) {
    // A tier is for serving someone; an erased or merged-away patron is served no more.
    TRY_STATUS(patrons::may_write_about(*tx, patron_id, patrons::IfMissing::not_found));
    auto t = TRY(tx->maybe_one("SELECT name FROM service_tiers WHERE code = ?", {*tier}));
    if (!t) return invalid("tier", "no such tier");
    name = t->str(0);
  }
  std::string now = format_time(clock_.now());
  if (tier) {
    TRY(tx->exec(
        "INSERT INTO patron_tiers (patron_id, tier, set_by, set_at) VALUES (?,?,?,?) ON CONFLICT "
        "(patron_id) DO UPDATE SET tier = excluded.tier, set_by = excluded.set_by, set_at = "
        "excluded.set_at",
        {patron_id, *tier, store::opt(author_of(by)), now}));
  } else {
    TRY(tx->exec("DELETE FROM patron_tiers WHERE patron_id = ?", {patron_id}));
  }
  TRY_STATUS(audit::append(
      *tx, by,
      {"patron.service_tier", "patron", std::to_string(patron_id), patron_id, "", {{"tier", opt(tier)}}},
      clock_));
  TRY(timeline::append(*tx, by,
                       {patron_id,
                        "service.tier",
                        tier ? "Service tier set to " + *name : std::string("Service tier removed"),
                        {{"tier", opt(tier)}},
                        "patron",
                        std::to_string(patron_id)},
                       clock_));
  TRY_STATUS(tx->commit());
  return json{{"patron_id", patron_id}, {"tier", opt(tier)}, {"name", opt(name)}, {"set_at", now}};
}

Result<json> Routing::notices(const Actor& by, int limit) {
  if (by.role != Role::patron || !by.patron_id) return forbidden("notices are for portal accounts");
  auto tx = TRY(db_.begin(store::TxMode::read));
  auto rows = TRY(tx->query(
      "SELECT n.id, n.ticket_id, t.number, n.text, n.created_at, n.read_at FROM patron_notices n "
      "LEFT JOIN tickets t ON t.id = n.ticket_id WHERE n.patron_id = ? ORDER BY n.id DESC LIMIT ?",
      {*by.patron_id, static_cast<std::int64_t>(limit)}));
  json items = json::array();
  std::int64_t unread = 0;
  for (auto& r : rows) {
    unread += r.is_null(5) ? 1 : 0;
    items.push_back({{"id", r.i64(0)},
                     {"ticket_id", opt(r.opt_i64(1))},
                     {"ticket_number", opt(r.opt_str(2))},
                     {"text", r.str(3)},
                     {"created_at", r.str(4)},
                     {"read_at", opt(r.opt_str(5))}});
  }
  return json{{"items", items}, {"unread", unread}};
}

Status Routing::mark_notices_read(const Actor& by) {
  if (by.role != Role::patron || !by.patron_id) return forbidden("notices are for portal accounts");
  auto tx = TRY(db_.begin(store::TxMode::write));
  TRY(tx->exec("UPDATE patron_notices SET read_at = ? WHERE patron_id = ? AND read_at IS NULL",
               {format_time(clock_.now()), *by.patron_id}));
  return tx->commit();
}

}  // namespace dangan::service
