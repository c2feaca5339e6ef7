// timeline.h — the event store behind each patron's timeline.
//
// Every module that does something with or for a patron appends one event in the same
// transaction as the change (created, changed, merged, contact, ticket, loan, search …).
// Events are never edited; a merge moves the merged patron's events to the survivor;
// erasure clears their summaries and details but keeps kind and time for statistics.
// Reading is newest first, paged by an opaque cursor.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/actor.h"
#include "core/clock.h"
#include "core/result.h"
#include "store/db.h"

namespace dangan::timeline {

struct Event {
  std::int64_t patron_id = 0;
  std::string kind;     // "patron.created", "patron.changed", "ticket.opened" …
  std::string summary;  // short, shown as is
  nlohmann::json detail = nlohmann::json::object();
  std::string ref_type, ref_id;  // what the event is about, e.g. "ticket", "42"
};

Result<std::int64_t> append(store::Tx& tx, const Actor& by, const Event& event,
                            const Clock& clock = system_clock());

struct Query {
  std::int64_t patron_id = 0;
  std::vector<std::string> kinds;  // prefixes, e.g. "patron." ; empty: all
  std::optional<std::string> cursor;
  int limit = 50;
};
struct Page {
  nlohmann::json items = nlohmann::json::array();
  std::optional<std::string> next_cursor;
};
Result<Page> list(store::Tx& tx, const Query& q);

}  // namespace dangan::timeline
