// chat.h — live chat between a patron on the portal and an agent (the `chat` channel).
//
// A chat *is* a ticket: the patron starts it (kind consultation unless chosen), every
// line either side writes is a message of the ticket's thread (add_message via
// Desk::post), and closing or resolving the ticket ends the chat. A chat waits (status
// new) until an agent accepts it; routing (routing.h) may already have given it to an
// agent or a team. Agents say whether they take chats now (available / away / offline);
// routing gives chats and other tickets only to available agents.
//
// Live delivery is by watching: a Watch remembers the last message id and ticket state
// its reader has seen and, polled, returns what is new. Polling the database (an indexed
// range read of the thread plus one row of the ticket) is what makes a chat work across
// server processes sharing one database, on SQLite as on PostgreSQL; the HTTP layer
// rings a bell so that readers in the same process poll at once.
//
// Invariants: a patron watches only their own tickets and never sees internal notes or
// system lines; staff watching a ticket with a patron is one audited read (ticket.read)
// when the watch starts; accepting is one conditional update, so two agents cannot both
// accept a chat.
#pragma once
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "audit/audit.h"
#include "core/actor.h"
#include "core/clock.h"
#include "core/result.h"
#include "service/tickets.h"
#include "store/db.h"

namespace dangan::service {

struct ChatUpdate {
  struct Line {
    std::int64_t id = 0;
    nlohmann::json message;
  };
  std::vector<Line> lines;       // new messages, oldest first
  nlohmann::json state;          // the ticket's state when it changed since the last poll, else null
  bool over = false;             // the ticket is resolved or closed: nothing more will come
};

// What one reader has seen of one ticket. Not thread-safe: one poll at a time.
class Watch {
 public:
  Watch(store::Database& db, Actor reader, std::int64_t ticket_id, std::int64_t after)
      : db_(db), reader_(std::move(reader)), ticket_id_(ticket_id), after_(after) {}
  Result<ChatUpdate> poll();

 private:
  store::Database& db_;
  Actor reader_;
  std::int64_t ticket_id_;
  std::int64_t after_;
  std::string last_state_;
};

class Chats {
 public:
  Chats(store::Database& db, Desk& desk, audit::ReadRecorder& reads,
        const Clock& clock = system_clock());

  // A patron starts a chat: {body, subject?, kind?}; answers the ticket.
  Result<nlohmann::json> start(const Actor& by, const nlohmann::json& body);
  // Staff: chats waiting for an agent that the caller may take (not given to someone
  // else, nor to a team they are not in), oldest first, and the caller's open chats.
  Result<nlohmann::json> queue(const Actor& by);
  // Staff take a waiting chat; conflict when another agent was first.
  Result<nlohmann::json> accept(const Actor& by, std::int64_t ticket_id);
  // One line of the chat: the patron's message, or a staff reply (kind reply unless
  // {kind: note}).
  Result<nlohmann::json> say(const Actor& by, std::int64_t ticket_id, const nlohmann::json& body);
  // Starts watching a ticket after message id `after` (0: from the start).
  Result<std::unique_ptr<Watch>> watch(const Actor& by, std::int64_t ticket_id,
                                       std::int64_t after);

  // Agent availability for chats.
  Result<nlohmann::json> set_availability(const Actor& by, const nlohmann::json& body);
  Result<nlohmann::json> availability(const Actor& by);

 private:
  store::Database& db_;
  Desk& desk_;
  audit::ReadRecorder& reads_;
  const Clock& clock_;
};

}  // namespace dangan::service
