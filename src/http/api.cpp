#include "http/api.h"

#include <algorithm>
#include <charconv>

#include "core/crypto.h"
#include "core/cursor.h"
#include "text/text.h"

namespace dangan::http {

using json = nlohmann::json;

std::optional<std::string> bearer(const Request& r) {
  if (auto h = r.header("Authorization")) {
    if (h->size() > 7 && (h->rfind("Bearer ", 0) == 0 || h->rfind("bearer ", 0) == 0))
      return h->substr(7);
    return std::nullopt;
  }
  return std::nullopt;
}

std::string Api::client(const Request& r) const {
  if (trust_proxy_)
    if (auto f = r.header("X-Forwarded-For")) return f->substr(0, f->find(','));
  return r.remote_addr;
}

bool Api::secure(const Request& r) const {
  if (r.tls) return true;
  if (trust_proxy_)
    if (auto p = r.header("X-Forwarded-Proto")) return *p == "https";
  return false;
}

void Api::open(std::string method, std::string pattern, Handler handler) {
  router_.add(std::move(method), std::move(pattern), std::move(handler));
}

void Api::secured(std::string method, std::string pattern, ActorHandler handler) {
  bool state_changing = method != "GET" && method != "HEAD";
  router_.add(std::move(method), std::move(pattern),
              [this, handler = std::move(handler), state_changing](Request& r) {
                std::optional<std::string> token = bearer(r);
                bool via_cookie = false;
                if (!token) {
                  token = r.cookie(kSessionCookie);
                  via_cookie = token.has_value();
                }
                if (!token)
                  return Response::error({ErrorCode::unauthenticated,
                                          "sign in first: send Authorization: Bearer TOKEN", ""});
                auto who = sessions_.authenticate(*token);
                if (!who) return Response::error(who.error());
                if (via_cookie && state_changing) {
                  auto sent = r.header("X-CSRF-Token");
                  if (!sent || !crypto::equal(*sent, who->second))
                    return Response::error({ErrorCode::forbidden,
                                            "missing or wrong CSRF token (X-CSRF-Token header)",
                                            "X-CSRF-Token"});
                }
                if (via_cookie) r.csrf_token = who->second;
                Actor actor = who->first;
                actor.request_id = r.request_id;
                return handler(r, actor);
              });
}

namespace {

// Passes events through while the session that opened the stream is still valid.
class SessionCheckedFeed : public EventFeed {
 public:
  SessionCheckedFeed(std::shared_ptr<EventFeed> inner, auth::Sessions& sessions, std::string token,
                     std::chrono::seconds recheck)
      : inner_(std::move(inner)),
        sessions_(sessions),
        token_(std::move(token)),
        recheck_(recheck),
        checked_(std::chrono::steady_clock::now()) {}

  Result<std::vector<Event>> poll() override {
    auto now = std::chrono::steady_clock::now();
    if (now - checked_ >= recheck_) {
      TRY_STATUS(sessions_.still_valid(token_));
      checked_ = now;
    }
    return inner_->poll();
  }
  bool done() const override { return inner_->done(); }

 private:
  std::shared_ptr<EventFeed> inner_;
  auth::Sessions& sessions_;
  std::string token_;
  std::chrono::seconds recheck_;
  std::chrono::steady_clock::time_point checked_;
};

}  // namespace

void Api::secured_events(std::string pattern, EventsHandler handler,
                         std::chrono::seconds recheck) {
  secured("GET", std::move(pattern),
          [this, handler = std::move(handler), recheck](Request& r, const Actor& a) {
            auto stream = handler(r, a);
            if (!stream) return reply(stream.error(), r);
            std::string token = bearer(r).value_or(r.cookie(kSessionCookie).value_or(""));
            stream->feed = std::make_shared<SessionCheckedFeed>(std::move(stream->feed),
                                                                sessions_, token, recheck);
            stream->owner = "user:" + std::to_string(a.user_id);
            return Response::events(std::move(*stream));
          });
}

Result<std::int64_t> last_event_id(const Request& r) {
  auto v = r.header("Last-Event-ID");
  const char* field = "Last-Event-ID";
  if (!v || v->empty()) {
    v = text_param(r, "last_event_id");
    field = "last_event_id";
  }
  if (!v) return 0;
  std::int64_t n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || p != v->data() + v->size() || n < 0)
    return invalid(field, "must be a non-negative integer (an event id)");
  return n;
}

void Api::secured_json(std::string method, std::string pattern, JsonHandler handler,
                       unsigned ok_status) {
  secured(std::move(method), std::move(pattern),
          [handler = std::move(handler), ok_status](Request& r, const Actor& a) {
            return reply(handler(r, a), r, ok_status);
          });
}

std::optional<std::string> text_param(const Request& r, const std::string& name) {
  auto v = r.param(name);
  if (v && v->empty()) return std::nullopt;
  return v;
}

Result<std::optional<std::string>> cursor_param(const Request& r) {
  auto v = r.param("cursor");
  if (v && v->empty()) return std::unexpected(cursor::malformed());
  return v;
}

Result<std::optional<std::int64_t>> id_cursor_param(const Request& r) {
  return cursor::parse_id(TRY(cursor_param(r)));
}

Result<json> optional_json_body(const Request& r) {
  if (r.body.empty()) return json::object();
  return json_body(r);
}

Status only_fields(const json& body, std::initializer_list<std::string_view> allowed) {
  for (auto it = body.begin(); it != body.end(); ++it) {
    bool ok = false;
    for (auto a : allowed) ok = ok || a == it.key();
    if (!ok) return invalid(it.key(), "unknown field");
  }
  return {};
}

Result<std::string> string_field(const json& body, const char* name, bool required) {
  if (!body.contains(name) || (!required && body[name].is_null())) {
    if (required) return invalid(name, "is required");
    return std::string();
  }
  if (!body[name].is_string()) return invalid(name, "must be a string");
  return body[name].get<std::string>();
}

Result<json> json_body(const Request& r) {
  if (r.body.empty()) return invalid("body", "a JSON object is required");
  // Any content type is read as JSON (curl -d sends form encoding); browsers cannot
  // ride on this because cookie sessions also need the CSRF header.
  if (!text::valid_utf8(r.body)) return invalid("body", "the body is not valid UTF-8");
  json j = json::parse(r.body, nullptr, false);
  if (j.is_discarded()) return invalid("body", "the body is not valid JSON");
  if (!j.is_object()) return invalid("body", "the body must be a JSON object");
  return j;
}

Result<std::optional<std::int64_t>> int_param(const Request& r, const std::string& name) {
  auto v = r.param(name);
  if (!v || v->empty()) return std::optional<std::int64_t>{};
  std::int64_t n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || p != v->data() + v->size()) return invalid(name, "must be an integer");
  return std::optional<std::int64_t>{n};
}

Result<int> limit_param(const Request& r, int fallback, int max) {
  auto n = TRY(int_param(r, "limit"));
  if (!n) return fallback;
  if (*n < 1 || *n > max) return invalid("limit", "must be between 1 and " + std::to_string(max));
  return static_cast<int>(*n);
}

Result<std::int64_t> id_path(const Request& r, const std::string& name) {
  auto it = r.path_params.find(name);
  if (it == r.path_params.end()) return invalid(name, "missing");
  std::int64_t n = 0;
  auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), n);
  if (ec != std::errc() || p != it->second.data() + it->second.size() || n <= 0)
    return fail(ErrorCode::not_found, "no such " + name + ": ids are positive integers", name);
  return n;
}

Status only_params(const Request& r, std::initializer_list<std::string_view> allowed) {
  for (auto& [k, v] : r.query) {
    bool ok = false;
    for (auto a : allowed) ok = ok || a == k;
    if (!ok) return invalid(k, "unknown query parameter");
  }
  return {};
}

Response reply(const Error& e, const Request& r) {
  if (e.code == ErrorCode::conflict && e.field.rfind("merged_into:", 0) == 0) {
    std::string survivor = e.field.substr(12);
    // A change sent to a merged id is refused rather than redirected: clients turn a
    // redirected POST into a GET.
    if (r.method != "GET" && r.method != "HEAD")
      return Response::json(
          409, {{"error",
                 {{"code", "conflict"},
                  {"message", e.message + " (patron " + survivor + "); send the change there"},
                  {"field", "id"}}},
                {"merged_into", std::stoll(survivor)}});
    std::string path = r.path;
    // /api/v1/patrons/{old}/… → /api/v1/patrons/{survivor}/…
    auto id = r.path_params.find("id");
    if (id != r.path_params.end()) {
      std::string needle = "/" + id->second;
      if (auto pos = path.find(needle, 14); pos != std::string::npos)
        path.replace(pos, needle.size(), "/" + survivor);
    }
    Response resp = Response::json(
        301, {{"error", {{"code", "moved"}, {"message", e.message}, {"field", "id"}}},
              {"merged_into", std::stoll(survivor)}});
    resp.set_header("Location", path);
    return resp;
  }
  return Response::error(e);
}

void add_security_headers(Response& resp, bool api, bool tls) {
  resp.set_header("X-Content-Type-Options", "nosniff");
  resp.set_header("X-Frame-Options", "DENY");
  resp.set_header("Referrer-Policy", "no-referrer");
  resp.set_header("Cross-Origin-Opener-Policy", "same-origin");
  resp.set_header("Permissions-Policy", "camera=(), microphone=(), geolocation=()");
  // A handler may send a stricter policy of its own (downloads: "sandbox").
  bool has_csp = std::any_of(resp.headers.begin(), resp.headers.end(), [](const auto& h) {
    return h.first == "Content-Security-Policy";
  });
  if (!has_csp)
    resp.set_header(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'");
  if (tls) resp.set_header("Strict-Transport-Security", "max-age=31536000");
  if (api) resp.set_header("Cache-Control", "no-store");
}

}  // namespace dangan::http
