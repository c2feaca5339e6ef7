// routing.h — where a new ticket goes (D28) and what a patron's service tier gives (D29).
//
// Routing: rules, tried in `position` order when a ticket opens on any channel without a
// team or assignee. A rule may require a channel, a kind, words (all of them, compared
// folded — traditional → simplified, full-width, case — in the subject and first
// message), a language (the patron's preferred language, else the script of the text:
// Han characters → zh, otherwise en; "zh" matches "zh-CN") and a patron tier. The first
// rule whose every condition holds sends the ticket:
//   - to a team: to the available member (agent_availability) with the fewest active
//     tickets, lowest id on a tie; with no member available, to the team's queue;
//   - to an agent: only while that agent is available; otherwise the rule does not
//     match and the next one is tried.
// Why it went there is written on the ticket (`routed_by`), e.g.
// "rule 3 VIP 专线 (tier=vip) → team 客服一组 → 王芳 (available, 1 active)".
//
// Tiers: a patron has at most one tier (none = standard terms). A tier scales the SLA
// budgets of the patron's tickets (sla_percent of the policy, applied when deadlines
// are planned or re-planned), gives their default priority, and with `notify` the patron
// is told on the portal (patron_notices) whenever a ticket of theirs changes state.
//
// Invariants: configuring rules and tiers needs service_config, setting a patron's tier
// ticket_write; every change is audited, a patron's tier also on their timeline.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/actor.h"
#include "core/clock.h"
#include "core/result.h"
#include "store/db.h"

namespace dangan::service {

class Routing {
 public:
  explicit Routing(store::Database& db, const Clock& clock = system_clock());

  // Rules: {name, channel?, kind?, words?, language?, tier?, team_id | agent_id,
  // position?, enabled?}.
  Result<nlohmann::json> rules(const Actor& by);
  Result<nlohmann::json> create_rule(const Actor& by, const nlohmann::json& body);
  Result<nlohmann::json> update_rule(const Actor& by, std::int64_t id, const nlohmann::json& body);
  Status delete_rule(const Actor& by, std::int64_t id);

  // Tiers: {name, position, sla_percent 10–1000, default_priority, notify, on_site}.
  Result<nlohmann::json> tiers(const Actor& by);
  Result<nlohmann::json> put_tier(const Actor& by, const std::string& code,
                                  const nlohmann::json& body);
  // A patron's tier ({tier: code | null}).
  Result<nlohmann::json> patron_tier(const Actor& by, std::int64_t patron_id);
  Result<nlohmann::json> set_patron_tier(const Actor& by, std::int64_t patron_id,
                                         const nlohmann::json& body);

  // The portal's notices for the signed-in patron, newest first; `read` marks them read.
  Result<nlohmann::json> notices(const Actor& by, int limit);
  Status mark_notices_read(const Actor& by);

 private:
  store::Database& db_;
  const Clock& clock_;
};

namespace detail {

struct TierTerms {
  std::string code;  // "" without a tier
  int sla_percent = 100;
  std::string default_priority = "normal";
  bool notify = false;
  bool on_site = false;  // the patron may request on-site visits on the portal (onsite.h)
};
Result<TierTerms> tier_of(store::Tx& tx, std::optional<std::int64_t> patron_id);

struct Routed {
  std::optional<std::int64_t> team_id, assignee_id;
  std::string why;  // empty: no rule matched
};
// The first matching rule's choice for a ticket opening now.
Result<Routed> route(store::Tx& tx, const std::string& channel, const std::string& kind,
                     const std::string& text, std::optional<std::int64_t> patron_id);

// The notice text for a ticket now in `status` (Chinese, the English state in brackets).
std::string state_notice(const std::string& number, const std::string& status);
// A portal notice about a ticket, when the patron's tier asks for notices.
Status notify_patron(store::Tx& tx, std::optional<std::int64_t> patron_id, std::int64_t ticket_id,
                     const std::string& text, const std::string& now);

}  // namespace detail
}  // namespace dangan::service
