// knowledge.h — knowledge services (定题服务, DOMAIN.md D27): long-running research
// support for one patron. A service has a topic and a scope, a specialist who carries
// it, milestones (due on a date, done or not), deliveries (what was handed over, when,
// and which catalogue records), optionally a rhythm of deliveries, and a close that
// records the patron's satisfaction. A patron's active services are their current
// research projects, shown on their page and in the portal.
//
// Who: staff with ticket_read see services, ticket_write start, change, deliver and close
// them; a patron (portal account) sees only their own, read-only, and never the internal
// scope notes of other patrons (there are none to see: every field of their own service
// is theirs).
//
// Invariants: every change is one transaction with its audit entry and a timeline event
// on the patron (knowledge.started, knowledge.milestone_done, knowledge.delivered,
// knowledge.closed); a closed service takes no more milestones or deliveries; a
// delivery links only records the deliverer may see, kept with their reference code and
// title as delivered; next_delivery_due moves one interval past each delivery.
#pragma once
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "audit/audit.h"
#include "core/actor.h"
#include "core/clock.h"
#include "core/result.h"
#include "store/db.h"

namespace dangan::service {

struct KnowledgeQuery {
  std::optional<std::string> status;  // active, completed, cancelled
  std::optional<std::int64_t> patron_id, specialist_id;
  bool mine = false;  // carried by the caller
  std::optional<std::string> cursor;
  int limit = 50;
};

class KnowledgeServices {
 public:
  // How a delivery names a catalogue record: {id, reference_code, title} as `by` may see
  // it, or not_found (the catalogue module's view; the server wires it).
  using RecordLookup = std::function<Result<nlohmann::json>(const Actor&, std::int64_t)>;

  KnowledgeServices(store::Database& db, audit::ReadRecorder& reads, RecordLookup records,
                    const Clock& clock = system_clock());

  // {patron_id, topic, scope?, specialist_id?, delivery_interval_days?, milestones?:
  // [{title, due_on}]}
  Result<nlohmann::json> start(const Actor& by, const nlohmann::json& body);
  Result<nlohmann::json> get(const Actor& by, std::int64_t id);
  Result<nlohmann::json> list(const Actor& by, const KnowledgeQuery& q);
  // topic, scope, specialist_id, delivery_interval_days (null: no rhythm).
  Result<nlohmann::json> update(const Actor& by, std::int64_t id, const nlohmann::json& body);
  // {title, due_on}
  Result<nlohmann::json> add_milestone(const Actor& by, std::int64_t id,
                                       const nlohmann::json& body);
  Result<nlohmann::json> complete_milestone(const Actor& by, std::int64_t id,
                                            std::int64_t milestone_id);
  // {summary, record_ids?: [..]}
  Result<nlohmann::json> deliver(const Actor& by, std::int64_t id, const nlohmann::json& body);
  // {outcome: completed|cancelled, satisfaction 1–5 (required when completed), comment?}
  Result<nlohmann::json> close(const Actor& by, std::int64_t id, const nlohmann::json& body);

 private:
  store::Database& db_;
  audit::ReadRecorder& reads_;
  RecordLookup records_;
  const Clock& clock_;

  Result<nlohmann::json> load_json(store::Tx& tx, std::int64_t id);
};

}  // namespace dangan::service
