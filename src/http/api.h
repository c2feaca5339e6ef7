// api.h — what every /api/v1 route shares: authentication (bearer token or session
// cookie with a CSRF token), JSON bodies and query parameters checked with clear
// errors, security headers, and the mapping of domain errors to responses.
#pragma once
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "auth/auth.h"
#include "core/actor.h"
#include "core/result.h"
#include "http/http.h"

namespace dangan::http {

using ActorHandler = std::function<Response(Request&, const Actor&)>;

class Api {
 public:
  Api(Router& router, auth::Sessions& sessions, bool trust_proxy)
      : router_(router), sessions_(sessions), trust_proxy_(trust_proxy) {}
  // A route that needs a signed-in user.
  void secured(std::string method, std::string pattern, ActorHandler handler);
  // A signed-in route written with TRY: the value is answered as JSON with `ok_status`,
  // an error as its error response.
  using JsonHandler = std::function<Result<nlohmann::json>(Request&, const Actor&)>;
  void secured_json(std::string method, std::string pattern, JsonHandler handler,
                    unsigned ok_status = 200);
  // A signed-in GET answered with a server-sent event stream. The stream is capped per
  // user, and its session is checked again every `recheck` (logout or expiry ends it
  // with an `error` event).
  using EventsHandler = std::function<Result<EventStream>(Request&, const Actor&)>;
  void secured_events(std::string pattern, EventsHandler handler,
                      std::chrono::seconds recheck = std::chrono::seconds(30));
  // A route open to anyone (login, health).
  void open(std::string method, std::string pattern, Handler handler);
  Router& router() { return router_; }
  // The client's address (X-Forwarded-For's first entry when behind a trusted proxy).
  std::string client(const Request& r) const;
  bool secure(const Request& r) const;

 private:
  Router& router_;
  auth::Sessions& sessions_;
  bool trust_proxy_;
};

// The session token sent by the client: "Authorization: Bearer …" or the cookie.
std::optional<std::string> bearer(const Request& r);
constexpr const char* kSessionCookie = "dangan_session";

// The body as a JSON object; `invalid` (field "body") when missing, not JSON, not UTF-8.
Result<nlohmann::json> json_body(const Request& r);
// Query parameter helpers; each fails with `invalid` naming the parameter.
Result<int> limit_param(const Request& r, int fallback = 50, int max = 200);
Result<std::optional<std::int64_t>> int_param(const Request& r, const std::string& name);
Result<std::int64_t> id_path(const Request& r, const std::string& name = "id");
// Where a client resumes an event stream: the Last-Event-ID header (EventSource sends it
// on reconnect) or the `last_event_id` query parameter; 0 when neither is given.
Result<std::int64_t> last_event_id(const Request& r);
// Rejects query parameters other than `allowed`.
Status only_params(const Request& r, std::initializer_list<std::string_view> allowed);
// A query parameter, absent when missing or empty.
std::optional<std::string> text_param(const Request& r, const std::string& name);
// The `cursor` parameter as the client sent it, absent when missing; present but empty is
// refused (a client that lost its next_cursor must not silently get page 1 again). Its
// content is checked by the list (core/cursor.h).
Result<std::optional<std::string>> cursor_param(const Request& r);
// The `cursor` of a list ordered by id alone (core/cursor.h: an id cursor).
Result<std::optional<std::int64_t>> id_cursor_param(const Request& r);
// The body as a JSON object, or {} when the request has none.
Result<nlohmann::json> optional_json_body(const Request& r);
// Rejects members of `body` other than `allowed` (field: the unknown member).
Status only_fields(const nlohmann::json& body, std::initializer_list<std::string_view> allowed);
// A string member; "" when absent and not required.
Result<std::string> string_field(const nlohmann::json& body, const char* name, bool required);

// Domain error → response (merged patrons answer 301 to the survivor).
Response reply(const Error& e, const Request& r);
template <class T>
Response reply(const Result<T>& result, const Request& r, unsigned ok_status = 200) {
  if (!result) return reply(result.error(), r);
  if constexpr (std::is_same_v<T, nlohmann::json>)
    return Response::json(ok_status, *result);
  else
    return Response::json(ok_status, nlohmann::json(*result));
}
inline Response reply(const Status& s, const Request& r) {
  if (!s) return reply(s.error(), r);
  Response resp;
  resp.status = 204;
  return resp;
}

// Adds the security headers every response carries.
void add_security_headers(Response& resp, bool api, bool tls);

}  // namespace dangan::http
