// http.h — the server's own request/response types, router and server.
//
// Domain *_api.cpp files see only these types, never Boost.Beast. The server reads a
// request (header and body size limits, a per-request timeout), runs the root handler
// on a worker pool (handlers may block on the database), and writes the response.
// Any exception that escapes a handler becomes a JSON 500 whose body never carries
// the exception's message. SIGTERM/SIGINT stop accepting, let in-flight requests
// finish (up to a grace period), then return from run().
//
// Server-sent events: a handler may answer with Response::events(stream); the server
// then keeps the connection as a text/event-stream and pushes what the stream's feed
// yields. No thread is held between events: the feed is polled on the worker pool every
// poll_interval (or at once when its Bell rings), heartbeats are comment lines, and the
// number of open streams is capped per owner and overall (429 beyond). stop() ends every
// stream, so run() still returns.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace dangan::http {

struct CaseInsensitiveLess {
  bool operator()(std::string_view a, std::string_view b) const;
  using is_transparent = void;
};

struct Request {
  std::string method;                        // "GET", "POST" …
  std::string target;                        // raw target, "/api/v1/patrons?q=x"
  std::string path;                          // percent-decoded path without the query
  std::map<std::string, std::string> query;  // decoded; last value wins
  std::map<std::string, std::string, CaseInsensitiveLess> headers;
  std::string body;
  std::string remote_addr;
  std::string request_id;                          // set by the server (or X-Request-Id)
  std::map<std::string, std::string> path_params;  // filled by the router: {id} → value
  bool tls = false;
  std::string csrf_token;  // of the cookie session that signed this request in (api.cpp)

  std::optional<std::string> header(std::string_view name) const;
  std::optional<std::string> cookie(std::string_view name) const;
  std::optional<std::string> param(std::string_view name) const;  // query parameter
};

// One server-sent event. `id` is what the client sends back as Last-Event-ID when it
// reconnects; `name` is the event type ("message" when empty); `data` may hold newlines.
struct Event {
  std::string id;
  std::string name;
  std::string data;
};

// What an event stream reads from. poll() runs on a worker thread (it may block on a
// database), never twice at once for one stream, and returns the events that are new
// since its previous call; an error ends the stream. Once done() is true after a poll,
// the stream ends after that poll's events (the thing watched is over).
class EventFeed {
 public:
  virtual ~EventFeed() = default;
  virtual Result<std::vector<Event>> poll() = 0;
  virtual bool done() const { return false; }
};

// Wakes the streams of this process that watch a topic, so they poll now instead of at
// their next interval. Streams in other processes still see the change at their next
// poll: the bell only shortens the wait where it can.
class Bell {
 public:
  void ring(const std::string& topic);
  std::uint64_t subscribe(const std::string& topic, std::function<void()> wake);
  void unsubscribe(std::uint64_t token);

 private:
  std::mutex mutex_;
  std::uint64_t next_ = 0;
  std::multimap<std::string, std::pair<std::uint64_t, std::function<void()>>> waiting_;
};

struct EventStream {
  std::shared_ptr<EventFeed> feed;
  std::string owner;  // streams are capped per owner (e.g. "user:12")
  std::chrono::milliseconds poll_interval{2000};
  std::shared_ptr<Bell> bell;  // optional: rung with `topic` to poll at once
  std::string topic;
};

struct Response {
  unsigned status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::shared_ptr<EventStream> stream;  // set: a text/event-stream (see events())

  void set_header(std::string name, std::string value);
  static Response json(unsigned status, const nlohmann::json& body);
  static Response text(unsigned status, std::string body, std::string content_type);
  // {"error": {"code", "message", "field"}} with the status that matches the code.
  static Response error(const Error& error);
  // A long-lived text/event-stream answer fed by `stream`.
  static Response events(EventStream stream);
};

// "id:", "event:" and "data:" lines of one event, ending with the blank line.
std::string format_event(const Event& event);

unsigned status_for(ErrorCode code);

using Handler = std::function<Response(Request&)>;

// Routes "METHOD /path/{param}/more". Matching is exact per segment; {name} captures
// one non-empty, percent-decoded segment ("%2F" stays inside it). Unknown path → 404 JSON;
// known path, wrong method → 405 JSON with Allow. A literal segment beats a capture
// ("/patrons/duplicates" over "/patrons/{id}", for every method). "/x/" is not "/x" (404).
// HEAD falls back to the GET handler.
class Router {
 public:
  void add(std::string method, std::string pattern, Handler handler);
  Response dispatch(Request& request) const;
  // Every registered (method, pattern), for the OpenAPI check and the permission matrix.
  std::vector<std::pair<std::string, std::string>> routes() const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
  };
  std::vector<Route> routes_;
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 8080;  // 0 picks a free port (see Server::port())
  int io_threads = 2;
  int worker_threads = 16;
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 1024 * 1024;
  // Uploads (attachments, import files) may be larger: requests for which this returns
  // true may send up to max_upload_bytes.
  std::function<bool(std::string_view method, std::string_view target)> is_upload;
  std::size_t max_upload_bytes = 64u << 20;
  std::chrono::milliseconds read_timeout{30000};  // whole request must arrive in this
  std::chrono::milliseconds idle_timeout{60000};  // keep-alive between requests
  std::chrono::milliseconds handler_timeout{30000};
  std::chrono::milliseconds shutdown_grace{10000};
  // Event streams: caps, the comment line sent when nothing else was, and how long one
  // write to a slow reader may take before the stream is dropped.
  std::size_t max_streams = 1000;
  std::size_t max_streams_per_owner = 4;
  std::chrono::milliseconds heartbeat{15000};
  std::chrono::milliseconds stream_write_timeout{10000};
};

class Server {
 public:
  Server(ServerOptions options, Handler root);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  // Binds; fails with `unavailable` when the address is in use.
  Status listen();
  unsigned short port() const;
  // Serves until stop() or SIGTERM/SIGINT; returns after in-flight requests finish.
  void run();
  void stop();
  // Open event streams now (for tests and health).
  std::size_t open_streams() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Percent-decoding of a path or query component; nullopt on malformed escapes, invalid
// UTF-8 or NUL.
std::optional<std::string> url_decode(std::string_view s, bool plus_is_space);

}  // namespace dangan::http
