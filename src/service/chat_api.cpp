#include "service/chat_api.h"

#include <chrono>

namespace dangan::service {

using json = nlohmann::json;
using http::Request;

namespace {

// How often a stream reads the database for lines written through another process;
// lines written through this one ring the bell and arrive at once. 2 s keeps a chat
// responsive across processes at about one indexed read per open stream and interval
// (docs/service.md, "Live chat", has the measured cost).
constexpr std::chrono::milliseconds kPollInterval{2000};

std::string topic(std::int64_t ticket_id) { return "ticket:" + std::to_string(ticket_id); }

// A ticket's thread as server-sent events: `message` per line (the id is the message's,
// so a reconnecting EventSource resumes after it), `state` when the ticket's status or
// agent changed, and the stream ends once the ticket is resolved or closed.
class TicketFeed : public http::EventFeed {
 public:
  explicit TicketFeed(std::unique_ptr<Watch> watch) : watch_(std::move(watch)) {}

  Result<std::vector<http::Event>> poll() override {
    auto update = TRY(watch_->poll());
    std::vector<http::Event> events;
    events.reserve(update.lines.size() + 1);
    for (auto& line : update.lines)
      events.push_back({std::to_string(line.id), "message", line.message.dump()});
    if (!update.state.is_null()) events.push_back({"", "state", update.state.dump()});
    done_ = update.over;
    return events;
  }
  bool done() const override { return done_; }

 private:
  std::unique_ptr<Watch> watch_;
  bool done_ = false;
};

}  // namespace

void register_chat_routes(http::Api& api, Chats& chats, Routing& routing) {
  auto bell = std::make_shared<http::Bell>();
  api.secured_json(
      "POST", "/api/v1/chats",
      [&chats](Request& r, const Actor& a) -> Result<json> {
        return chats.start(a, TRY(http::json_body(r)));
      },
      201);
  api.secured_json("GET", "/api/v1/chats", [&chats](Request& r, const Actor& a) -> Result<json> {
    TRY_STATUS(http::only_params(r, {}));
    return chats.queue(a);
  });
  api.secured_json("POST", "/api/v1/chats/{id}/accept",
                   [&chats, bell](Request& r, const Actor& a) -> Result<json> {
                     auto id = TRY(http::id_path(r));
                     auto out = TRY(chats.accept(a, id));
                     bell->ring(topic(id));
                     return out;
                   });
  api.secured_json(
      "POST", "/api/v1/chats/{id}/messages",
      [&chats, bell](Request& r, const Actor& a) -> Result<json> {
        auto id = TRY(http::id_path(r));
        auto out = TRY(chats.say(a, id, TRY(http::json_body(r))));
        bell->ring(topic(id));
        return out;
      },
      201);
  api.secured_events("/api/v1/tickets/{id}/events",
                     [&chats, bell](Request& r, const Actor& a) -> Result<http::EventStream> {
                       TRY_STATUS(http::only_params(r, {"last_event_id"}));
                       auto id = TRY(http::id_path(r));
                       auto after = TRY(http::last_event_id(r));
                       auto watch = TRY(chats.watch(a, id, after));
                       http::EventStream s;
                       s.feed = std::make_shared<TicketFeed>(std::move(watch));
                       s.poll_interval = kPollInterval;
                       s.bell = bell;
                       s.topic = topic(id);
                       return s;
                     });
  api.secured_json("GET", "/api/v1/agents/availability",
                   [&chats](Request& r, const Actor& a) -> Result<json> {
                     TRY_STATUS(http::only_params(r, {}));
                     return chats.availability(a);
                   });
  api.secured_json("PUT", "/api/v1/agents/me/availability",
                   [&chats](Request& r, const Actor& a) -> Result<json> {
                     return chats.set_availability(a, TRY(http::json_body(r)));
                   });

  // Routing rules (D28).
  api.secured_json("GET", "/api/v1/routing-rules",
                   [&routing](Request& r, const Actor& a) -> Result<json> {
                     TRY_STATUS(http::only_params(r, {}));
                     return routing.rules(a);
                   });
  api.secured_json(
      "POST", "/api/v1/routing-rules",
      [&routing](Request& r, const Actor& a) -> Result<json> {
        return routing.create_rule(a, TRY(http::json_body(r)));
      },
      201);
  api.secured_json("PATCH", "/api/v1/routing-rules/{id}",
                   [&routing](Request& r, const Actor& a) -> Result<json> {
                     auto id = TRY(http::id_path(r));
                     return routing.update_rule(a, id, TRY(http::json_body(r)));
                   });
  api.secured("DELETE", "/api/v1/routing-rules/{id}", [&routing](Request& r, const Actor& a) {
    auto removed = [&]() -> Status { return routing.delete_rule(a, TRY(http::id_path(r))); }();
    return http::reply(removed, r);
  });

  // Service tiers (D29).
  api.secured_json("GET", "/api/v1/service-tiers",
                   [&routing](Request& r, const Actor& a) -> Result<json> {
                     TRY_STATUS(http::only_params(r, {}));
                     return routing.tiers(a);
                   });
  api.secured_json("PUT", "/api/v1/service-tiers/{code}",
                   [&routing](Request& r, const Actor& a) -> Result<json> {
                     return routing.put_tier(a, r.path_params["code"], TRY(http::json_body(r)));
                   });
  api.secured_json("GET", "/api/v1/patrons/{id}/service-tier",
                   [&routing](Request& r, const Actor& a) -> Result<json> {
                     TRY_STATUS(http::only_params(r, {}));
                     return routing.patron_tier(a, TRY(http::id_path(r)));
                   });
  api.secured_json("PUT", "/api/v1/patrons/{id}/service-tier",
                   [&routing](Request& r, const Actor& a) -> Result<json> {
                     auto id = TRY(http::id_path(r));
                     return routing.set_patron_tier(a, id, TRY(http::json_body(r)));
                   });

  // The portal's notices (tiers with notify).
  api.secured_json("GET", "/api/v1/notices", [&routing](Request& r, const Actor& a) -> Result<json> {
    TRY_STATUS(http::only_params(r, {"limit"}));
    return routing.notices(a, TRY(http::limit_param(r)));
  });
  api.secured("POST", "/api/v1/notices/read", [&routing](Request& r, const Actor& a) {
    return http::reply(routing.mark_notices_read(a), r);
  });
}

}  // namespace dangan::service
