// server.cpp — the Boost.Beast server behind http::Server.
//
// Threads: `io_threads` run the io_context (accept, parse, write); each connection is a
// Session whose every step runs on its own strand. A fully read request goes to a
// worker pool (`worker_threads`; handlers may block on a database) and the response is
// posted back to the session's strand to be written.
//
// A session moves through these states; only the session's strand changes them:
//
//   idle --first byte--> reading --request read--> handling --response--> writing
//    ^  (timeout: idle_timeout,   (the whole request must   (handler_timeout  |
//    |   read_timeout for the      arrive within            → 503 + close)    |
//    |   first request)            read_timeout)                              |
//    +-------------------------- keep-alive ----------------------------------+
//   any state --error, timeout, close, stop() while idle--> closed
//
// A response that carries an EventStream turns the session into `streaming` instead of
// `writing`: the header goes out with chunked encoding (HTTP/1.0: until close), then
// the feed is polled on the worker pool every poll_interval (at once when the stream's
// Bell rings; never two polls at once), each event is written as it comes, and a comment
// line is written when nothing was for `heartbeat`. A read stays pending to notice the
// client leaving. The stream ends when the client leaves, a write takes longer than
// stream_write_timeout, the feed fails, or stop() is called (then with the last chunk,
// so run() can return). Open streams are counted per owner and overall under
// Core::mutex; one over either cap is answered 429.
//
// Limits answer before the rest of the request is read: an oversized header is a 431,
// a declared or streamed body over max_body_bytes is a 413; both close the connection
// after draining at most kDrainBytes for kDrainTime, so the client sees the response
// instead of a reset.
//
// Shutdown: stop() sets `stopping`, takes the connections already waiting in the listen
// backlog, closes the acceptor and closes every idle session. A request that was sent
// before the stop is answered — whether its connection was reading, handling or writing,
// idle with the request's bytes already received, or still in the backlog — and the
// connection then closes (a response written while stopping says "Connection: close").
// run() waits until no session is left, or until shutdown_grace has passed, then stops
// the io_context and returns. (So a client that had sent part of a request when the stop
// came may hold the server for up to shutdown_grace, or its read_timeout if shorter.)
#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_set>
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange unincluded

#include "http/http.h"

namespace dangan::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kFirstReadBytes = 4096;
constexpr std::size_t kDrainBytes = 1024 * 1024;
constexpr std::chrono::seconds kDrainTime{1};
constexpr std::string_view kJsonType = "application/json; charset=utf-8";

Response error_json(unsigned status, std::string_view code, std::string message,
                    std::string_view field = {}) {
  return Response::json(status,
                        {{"error", {{"code", code}, {"message", message}, {"field", field}}}});
}

bool iequals(std::string_view a, std::string_view b) { return beast::iequals(a, b); }

// A handler-set header with CR/LF would split the response; such headers are dropped.
bool valid_header(std::string_view name, std::string_view value) {
  if (name.empty()) return false;
  for (char c : name) {
    if (c <= ' ' || c == ':' || c == 127) return false;
  }
  for (char c : value) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

bool valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

void new_request_id(std::string& out) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::uint64_t v = rng();
  out.resize(16);
  for (int i = 15; i >= 0; --i, v >>= 4) out[i] = kHex[v & 0xF];
}

// "http://host/p?q" (absolute-form) and "/p?q" (origin-form) → "/p".
std::string_view target_path(std::string_view target) {
  std::string_view path = target.substr(0, target.find('?'));
  if (path.starts_with("http://") || path.starts_with("https://")) {
    std::size_t slash = path.find('/', path.find("//") + 2);
    path = slash == std::string_view::npos ? std::string_view("/") : path.substr(slash);
  }
  return path;
}

class Session;

// State shared by the listener and all sessions. Sessions register here so stop() can
// reach idle ones, and so run() can wait for the last one to finish.
struct Core {
  Core(ServerOptions o, Handler h)
      : options(std::move(o)),
        root(std::move(h)),
        ioc(std::max(1, options.io_threads)),
        workers(static_cast<std::size_t>(std::max(1, options.worker_threads))) {}

  ServerOptions options;
  Handler root;
  std::mutex mutex;
  std::condition_variable cv;
  std::unordered_set<Session*> sessions;  // guarded by mutex
  std::size_t streams = 0;                 // guarded by mutex
  std::map<std::string, std::size_t> streams_by_owner;  // guarded by mutex
  std::atomic<bool> stopping{false};
  // Set once stop() has taken the connections waiting in the listen backlog (guarded by
  // mutex): run() waits for it as well as for the sessions.
  bool backlog_taken = false;
  // Declared after the members above: destroying these destroys pending handlers,
  // which destroys sessions, which touch `mutex` and `sessions`.
  net::io_context ioc;
  net::thread_pool workers;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Core& core, tcp::socket socket)
      : core_(core),
        stream_(std::move(socket)),
        handler_timer_(stream_.get_executor()),
        poll_timer_(stream_.get_executor()),
        heartbeat_timer_(stream_.get_executor()) {
    beast::error_code ec;
    auto endpoint = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_addr_ = endpoint.address().to_string();
    std::lock_guard lock(core_.mutex);
    core_.sessions.insert(this);
  }

  ~Session() {
    if (events_ && events_->bell && bell_token_) events_->bell->unsubscribe(bell_token_);
    std::lock_guard lock(core_.mutex);
    release_stream_slot();
    core_.sessions.erase(this);
    if (core_.sessions.empty()) core_.cv.notify_all();
  }

  void start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->await_request(); });
  }

  // Called by stop(): a connection waiting for its next request is closed now; one in the
  // middle of a request finishes it first.
  void close_if_idle() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      // Idle, unless the next request has already arrived: its read is about to complete,
      // and it is answered like one in the middle (with "Connection: close").
      if (self->state_ == State::idle && !self->request_waiting()) self->close();
      if (self->state_ == State::streaming) self->end_stream(true);
    });
  }

 private:
  enum class State { idle, reading, handling, writing, streaming, closed };

  // Bytes of a request already received, by us or by the kernel.
  bool request_waiting() {
    beast::error_code ec;
    return buffer_.size() > 0 || (stream_.socket().available(ec) > 0 && !ec);
  }

  void await_request() {
    // After stop() only a connection whose request was sent before it is served.
    if (core_.stopping && !request_waiting()) return close();
    state_ = State::idle;
    if (buffer_.size() > 0) return begin_request();  // pipelined bytes already here
    stream_.expires_after(first_request_ ? core_.options.read_timeout : core_.options.idle_timeout);
    stream_.async_read_some(buffer_.prepare(kFirstReadBytes),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              if (ec) return self->close();
                              self->buffer_.commit(n);
                              self->begin_request();
                            });
  }

  void begin_request() {
    state_ = State::reading;
    // One deadline for the whole request: a client trickling bytes cannot extend it.
    stream_.expires_after(core_.options.read_timeout);
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(core_.options.max_header_bytes, UINT32_MAX)));
    // The header decides which limit applies (uploads may be larger), but Beast checks a
    // declared Content-Length while parsing the header: start from the larger limit and
    // narrow it in on_header().
    body_limit_ = core_.options.is_upload
                      ? std::max(core_.options.max_body_bytes, core_.options.max_upload_bytes)
                      : core_.options.max_body_bytes;
    parser_->body_limit(body_limit_);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = shared_from_this()](beast::error_code ec, std::size_t) {
                               if (ec) return self->on_read_error(ec);
                               self->on_header();
                             });
  }

  void on_header() {
    auto& req = parser_->get();
    if (body_limit_ > core_.options.max_body_bytes &&
        !core_.options.is_upload(req.method_string(), req.target())) {
      body_limit_ = core_.options.max_body_bytes;
      auto declared = parser_->content_length();
      if (declared && *declared > body_limit_)
        return on_read_error(bhttp::error::body_limit);
      parser_->body_limit(body_limit_);
    }
    if (!parser_->is_done() && iequals(req[bhttp::field::expect], "100-continue")) {
      continue_ = {};
      continue_.version(11);
      continue_.result(bhttp::status::continue_);
      bhttp::async_write(stream_, continue_,
                         [self = shared_from_this()](beast::error_code ec, std::size_t) {
                           if (ec) return self->close();
                           self->read_body();
                         });
      return;
    }
    read_body();
  }

  void read_body() {
    if (parser_->is_done()) return on_request();
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) return self->on_read_error(ec);
                        self->on_request();
                      });
  }

  void on_read_error(beast::error_code ec) {
    new_request_id(request_id_);
    version_ = 11;
    head_ = false;
    if (ec == bhttp::error::header_limit) {
      return send(error_json(431, "invalid", "request header too large"), true, true);
    }
    if (ec == bhttp::error::body_limit) {
      return send(error_json(413, "invalid",
                             fmt::format("request body larger than {} bytes", body_limit_)),
                  true, true);
    }
    if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
        ec.category() != bhttp::make_error_code(bhttp::error::bad_target).category()) {
      return close();  // timeout, reset, EOF: nobody to answer
    }
    send(error_json(400, "invalid", "malformed HTTP request"), true, true);
  }

  void on_request() {
    auto& req = parser_->get();
    version_ = req.version();
    keep_alive_ = req.keep_alive();
    head_ = req.method() == bhttp::verb::head;
    started_ = Clock::now();

    auto id = req["X-Request-Id"];
    if (valid_request_id(id)) {
      request_id_.assign(id);
    } else {
      new_request_id(request_id_);
    }
    if (auto error = fill_request(req)) return send(std::move(*error), !keep_alive_);

    state_ = State::handling;
    std::uint64_t generation = ++generation_;
    handler_timer_.expires_after(core_.options.handler_timeout);
    handler_timer_.async_wait([self = shared_from_this(), generation](beast::error_code ec) {
      if (!ec) self->on_handler_timeout(generation);
    });
    net::post(core_.workers, [self = shared_from_this(), generation] {
      Response response = self->run_handler();
      net::post(self->stream_.get_executor(),
                [self, generation, response = std::move(response)]() mutable {
                  self->on_handled(generation, std::move(response));
                });
    });
  }

  // Copies the parsed message into request_; returns the response for a target that
  // does not decode.
  std::optional<Response> fill_request(bhttp::request<bhttp::string_body>& req) {
    Request& r = request_;
    r.method.assign(req.method_string());
    r.target.assign(req.target());
    std::string_view target = req.target();
    auto path = url_decode(target_path(target), false);
    if (!path) return error_json(400, "invalid", "malformed path", "path");
    r.path = std::move(*path);
    r.query.clear();
    std::size_t q = target.find('?');
    if (q != std::string_view::npos) {
      std::string_view rest = target.substr(q + 1);
      while (!rest.empty()) {
        std::size_t amp = rest.find('&');
        std::string_view pair = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
        if (pair.empty()) continue;
        std::size_t eq = pair.find('=');
        auto key = url_decode(pair.substr(0, eq), true);
        auto value = url_decode(
            eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
        // A bad value names its parameter (cursor=%00 is a 400 on `cursor`).
        if (!key) return error_json(400, "invalid", "malformed query", "query");
        if (!value) return error_json(400, "invalid", "malformed query parameter", *key);
        if (!key->empty()) r.query.insert_or_assign(std::move(*key), std::move(*value));
      }
    }
    r.headers.clear();
    for (const auto& field : req) {
      std::string_view name = field.name_string();
      auto it = r.headers.find(name);
      if (it == r.headers.end()) {
        r.headers.emplace(std::string(name), std::string(field.value()));
      } else {
        it->second.append(iequals(name, "cookie") ? "; " : ", ");
        it->second.append(field.value());
      }
    }
    r.body = std::move(req.body());
    r.remote_addr = remote_addr_;
    r.request_id = request_id_;
    r.path_params.clear();
    r.tls = false;
    return std::nullopt;
  }

  // Runs on a worker thread. Touches only request_ (and reads request_id_), which the
  // strand leaves alone while the state is `handling`.
  Response run_handler() {
    try {
      return core_.root(request_);
    } catch (const std::exception& e) {
      spdlog::error("event=handler_exception request_id={} what={}", request_id_, e.what());
    } catch (...) {
      spdlog::error("event=handler_exception request_id={} what=non-standard exception",
                    request_id_);
    }
    return error_json(500, "internal", "internal error");
  }

  void on_handled(std::uint64_t generation, Response response) {
    if (generation != generation_ || state_ != State::handling) return;  // timed out
    handler_timer_.cancel();
    if (response.stream) {
      if (response.status == 200 && !head_) return start_stream(std::move(response));
      response.stream.reset();
    }
    send(std::move(response), !keep_alive_);
  }

  void on_handler_timeout(std::uint64_t generation) {
    if (generation != generation_ || state_ != State::handling) return;
    ++generation_;  // the handler's late answer is dropped
    spdlog::warn("event=handler_timeout request_id={} ms={}", request_id_,
                 core_.options.handler_timeout.count());
    // The handler still owns request_, so this connection cannot read another request.
    send(error_json(503, "unavailable", "request took too long"), true);
  }

  void send(Response response, bool close, bool linger = false) {
    state_ = State::writing;
    if (response.status < 200 || response.status > 599) {
      spdlog::error("event=handler_bad_status request_id={} status={}", request_id_,
                    response.status);
      response = error_json(500, "internal", "internal error");
    }
    res_ = {};
    res_.version(version_);
    res_.result(response.status);
    bool has_type = false;
    for (auto& [name, value] : response.headers) {
      if (iequals(name, "content-length") || iequals(name, "transfer-encoding")) continue;
      if (!valid_header(name, value)) {
        spdlog::warn("event=handler_bad_header request_id={}", request_id_);
        continue;
      }
      if (iequals(name, "connection")) {
        close = close || iequals(value, "close");
        continue;
      }
      has_type = has_type || iequals(name, "content-type");
      res_.insert(name, value);
    }
    if (!has_type && !response.body.empty()) res_.set(bhttp::field::content_type, kJsonType);
    res_.set("X-Request-Id", request_id_);
    bool bodiless = response.status == 204 || response.status == 304 || response.status < 200;
    if (!bodiless) {
      res_.content_length(response.body.size());
      if (!head_) res_.body() = std::move(response.body);
    }
    close = close || core_.stopping;
    res_.keep_alive(!close);
    close_after_write_ = close;
    linger_ = linger;
    stream_.expires_after(core_.options.read_timeout);
    bhttp::async_write(
        stream_, res_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_written(ec); });
  }

  void on_written(beast::error_code ec) {
    log_request();
    if (ec) return close();
    if (close_after_write_) {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      if (linger_) {
        stream_.expires_after(kDrainTime);
        return drain();
      }
      return close();
    }
    first_request_ = false;
    await_request();
  }

  // Never the query string or the body: they may carry personal data.
  void log_request() {
    std::string_view method = "-";
    std::string_view path = "-";
    if (parser_ && parser_->is_header_done()) {
      method = parser_->get().method_string();
      path = target_path(parser_->get().target());
    }
    double ms = started_ != Clock::time_point{}
                    ? std::chrono::duration<double, std::milli>(Clock::now() - started_).count()
                    : 0.0;
    spdlog::info("event=request request_id={} method={} path={} status={} ms={:.2f}", request_id_,
                 method, path, res_.result_int(), ms);
    started_ = {};
  }

  // Reads and discards what the client is still sending, so that closing does not reset
  // the connection before the client has read our error response.
  void drain() {
    state_ = State::closed;
    stream_.async_read_some(net::buffer(scratch_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > kDrainBytes) return self->close();
                              self->drain();
                            });
  }

  void close() {
    state_ = State::closed;
    handler_timer_.cancel();
    poll_timer_.cancel();
    heartbeat_timer_.cancel();
    stream_.close();
  }

  // --- event streams -------------------------------------------------------------------

  // Called with core_.mutex held.
  void release_stream_slot() {
    if (!counted_) return;
    counted_ = false;
    --core_.streams;
    auto it = core_.streams_by_owner.find(events_->owner);
    if (it != core_.streams_by_owner.end() && --it->second == 0) core_.streams_by_owner.erase(it);
  }

  void start_stream(Response response) {
    events_ = std::move(response.stream);
    if (!events_->feed) {
      spdlog::error("event=stream_without_feed request_id={}", request_id_);
      events_.reset();
      return send(error_json(500, "internal", "internal error"), true);
    }
    std::string_view refused;
    {
      std::lock_guard lock(core_.mutex);
      if (core_.stopping) {
        refused = "the server is stopping";
      } else if (core_.streams >= core_.options.max_streams) {
        refused = "too many open event streams on this server; try again later";
      } else if (core_.streams_by_owner[events_->owner] >= core_.options.max_streams_per_owner) {
        refused = "too many open event streams for this user; close another one first";
      } else {
        ++core_.streams;
        ++core_.streams_by_owner[events_->owner];
        counted_ = true;
      }
      if (!counted_ && core_.streams_by_owner[events_->owner] == 0)
        core_.streams_by_owner.erase(events_->owner);
    }
    if (!counted_) {
      events_.reset();
      return send(core_.stopping
                      ? error_json(503, "unavailable", std::string(refused))
                      : error_json(429, "too_many_requests", std::string(refused)),
                  true);
    }
    state_ = State::streaming;
    chunked_ = version_ >= 11;
    stream_res_ = {};
    stream_res_.version(version_);
    stream_res_.result(200);
    for (auto& [name, value] : response.headers) {
      if (iequals(name, "content-length") || iequals(name, "transfer-encoding") ||
          iequals(name, "connection") || !valid_header(name, value))
        continue;
      stream_res_.insert(name, value);
    }
    stream_res_.set(bhttp::field::cache_control, "no-store");
    stream_res_.set("X-Accel-Buffering", "no");  // nginx: pass each event on at once
    stream_res_.set("X-Request-Id", request_id_);
    stream_res_.keep_alive(false);
    if (chunked_) stream_res_.chunked(true);
    serializer_.emplace(stream_res_);
    spdlog::info("event=stream_open request_id={} path={}", request_id_,
                 target_path(parser_->get().target()));
    stream_.expires_after(core_.options.stream_write_timeout);
    bhttp::async_write_header(stream_, *serializer_,
                              [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                if (ec) return self->end_stream(false);
                                self->stream_.expires_never();
                                self->on_stream_open();
                              });
  }

  void on_stream_open() {
    if (state_ != State::streaming || ending_) return finish_stream();
    last_write_ = Clock::now();
    watch_for_close();
    if (events_->bell) {
      std::weak_ptr<Session> weak = weak_from_this();
      bell_token_ = events_->bell->subscribe(events_->topic, [weak] {
        if (auto self = weak.lock())
          net::post(self->stream_.get_executor(), [self] { self->wake(); });
      });
    }
    enqueue("retry: 3000\n\n");  // how long EventSource waits before reconnecting
    poll();
    arm_heartbeat();
  }

  // The client sends nothing on an event stream; a read ends when it leaves.
  void watch_for_close() {
    stream_.async_read_some(net::buffer(scratch_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (self->state_ != State::streaming) return;
                              if (ec) return self->end_stream(false);
                              self->watch_for_close();
                            });
  }

  void wake() {
    if (state_ != State::streaming || ending_) return;
    if (polling_) {
      poll_again_ = true;
      return;
    }
    poll_timer_.cancel();
    poll();
  }

  void poll() {
    if (state_ != State::streaming || ending_ || polling_) return;
    polling_ = true;
    net::post(core_.workers, [self = shared_from_this()] {
      auto polled = [&]() -> Result<std::vector<Event>> {
        try {
          return self->events_->feed->poll();
        } catch (const std::exception& e) {
          spdlog::error("event=stream_poll_exception request_id={} what={}", self->request_id_,
                        e.what());
        } catch (...) {
          spdlog::error("event=stream_poll_exception request_id={}", self->request_id_);
        }
        return fail(ErrorCode::internal, "internal error");
      }();
      net::post(self->stream_.get_executor(), [self, polled = std::move(polled)]() mutable {
        self->on_polled(std::move(polled));
      });
    });
  }

  void on_polled(Result<std::vector<Event>> polled) {
    polling_ = false;
    if (state_ != State::streaming || ending_) return finish_stream();
    if (!polled) {
      // The client learns why (an expired session, a ticket it may no longer see) and,
      // being told not to, does not reconnect in a loop: EventSource stops on a 4xx only
      // at connect time, so the event carries the error for the page to act on.
      nlohmann::json error = {{"code", to_string(polled.error().code)},
                              {"message", polled.error().message}};
      enqueue(format_event({"", "error", error.dump()}));
      return end_stream(true);
    }
    for (const Event& event : *polled) enqueue(format_event(event));
    if (events_->feed->done()) return end_stream(true);
    if (poll_again_) {
      poll_again_ = false;
      return poll();
    }
    poll_timer_.expires_after(events_->poll_interval);
    poll_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->poll();
    });
  }

  void arm_heartbeat() {
    heartbeat_timer_.expires_after(core_.options.heartbeat);
    heartbeat_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->state_ != State::streaming || self->ending_) return;
      if (Clock::now() - self->last_write_ >= self->core_.options.heartbeat / 2)
        self->enqueue(": keep-alive\n\n");
      self->arm_heartbeat();
    });
  }

  void enqueue(std::string_view text) {
    pending_ += text;
    if (!writing_) flush();
  }

  void flush() {
    if (pending_.empty() || (ending_ && !graceful_)) return finish_stream();
    out_.swap(pending_);
    pending_.clear();
    writing_ = true;
    last_write_ = Clock::now();
    stream_.expires_after(core_.options.stream_write_timeout);
    auto done = [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->writing_ = false;
      if (ec) {
        self->ending_ = true;
        self->graceful_ = false;
        return self->finish_stream();
      }
      self->stream_.expires_never();
      self->flush();
    };
    if (chunked_) {
      net::async_write(stream_, bhttp::make_chunk(net::buffer(out_)), std::move(done));
    } else {
      net::async_write(stream_, net::buffer(out_), std::move(done));
    }
  }

  // Ends the stream: with `graceful`, what is queued and the last chunk are written first.
  void end_stream(bool graceful) {
    if (state_ != State::streaming) return;
    if (!ending_) {
      ending_ = true;
      graceful_ = graceful;
      poll_timer_.cancel();
      heartbeat_timer_.cancel();
      if (events_->bell && bell_token_) events_->bell->unsubscribe(std::exchange(bell_token_, 0));
      std::lock_guard lock(core_.mutex);
      release_stream_slot();
    } else if (!graceful) {
      graceful_ = false;
    }
    finish_stream();
  }

  // Gracefully, once nothing is being written or polled: the last chunk, then close.
  void finish_stream() {
    if (state_ != State::streaming || !ending_) return;
    if (!graceful_) {  // closing cancels a pending write; a running poll's answer is dropped
      log_stream_end();
      return close();
    }
    if (writing_ || polling_) return;
    if (!pending_.empty()) return flush();
    graceful_ = false;  // the next call closes
    writing_ = true;
    stream_.expires_after(core_.options.stream_write_timeout);
    auto done = [self = shared_from_this()](beast::error_code, std::size_t) {
      self->writing_ = false;
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      self->finish_stream();
    };
    if (chunked_) {
      net::async_write(stream_, bhttp::make_chunk_last(), std::move(done));
    } else {
      net::post(stream_.get_executor(), [done = std::move(done)]() mutable { done({}, 0); });
    }
  }

  void log_stream_end() {
    double s = std::chrono::duration<double>(Clock::now() - started_).count();
    spdlog::info("event=stream_closed request_id={} seconds={:.1f}", request_id_, s);
  }

  Core& core_;
  beast::tcp_stream stream_;
  net::steady_timer handler_timer_;
  net::steady_timer poll_timer_;
  net::steady_timer heartbeat_timer_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bhttp::response<bhttp::string_body> res_;
  bhttp::response<bhttp::empty_body> continue_;
  Request request_;
  std::string remote_addr_;
  std::string request_id_;
  State state_ = State::idle;
  std::uint64_t generation_ = 0;
  unsigned version_ = 11;
  bool first_request_ = true;
  std::size_t body_limit_ = 0;
  bool keep_alive_ = true;
  bool head_ = false;
  bool close_after_write_ = false;
  bool linger_ = false;
  std::size_t drained_ = 0;
  Clock::time_point started_{};
  std::array<char, 4096> scratch_;
  // Event stream (state streaming).
  std::shared_ptr<EventStream> events_;
  bhttp::response<bhttp::empty_body> stream_res_;
  std::optional<bhttp::response_serializer<bhttp::empty_body>> serializer_;
  std::string pending_, out_;
  Clock::time_point last_write_{};
  std::uint64_t bell_token_ = 0;
  bool counted_ = false, chunked_ = true, ending_ = false, graceful_ = true;
  bool writing_ = false, polling_ = false, poll_again_ = false;
};

}  // namespace

struct Server::Impl {
  Impl(ServerOptions options, Handler root)
      : core(std::move(options), std::move(root)),
        strand(net::make_strand(core.ioc)),
        acceptor(strand),
        accept_retry(strand) {}

  void accept() {
    if (core.stopping) return;
    acceptor.async_accept(
        net::make_strand(core.ioc),
        [this](beast::error_code ec, tcp::socket socket) { on_accept(ec, std::move(socket)); });
  }

  void on_accept(beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted) return;
    if (core.stopping) {
      // Accepted as stop() came: served if its request is already here (await_request).
      if (!ec) std::make_shared<Session>(core, std::move(socket))->start();
      return;
    }
    if (ec) {
      // Typically EMFILE: retrying at once would spin; existing sessions keep working.
      spdlog::warn("event=accept_error error={}", ec.message());
      accept_retry.expires_after(std::chrono::milliseconds(100));
      accept_retry.async_wait([this](beast::error_code e) {
        if (!e) accept();
      });
      return;
    }
    // Without TCP_NODELAY a small response after a small request waits ~40 ms for the
    // client's delayed ACK.
    socket.set_option(tcp::no_delay(true), ec);
    std::make_shared<Session>(core, std::move(socket))->start();
    accept();
  }

  Core core;  // first member: outlives the I/O objects below
  net::strand<net::io_context::executor_type> strand;
  tcp::acceptor acceptor;
  net::steady_timer accept_retry;
  unsigned short port = 0;
  bool listening = false;
};

Server::Server(ServerOptions options, Handler root)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(root))) {}

Server::~Server() {
  stop();
  impl_->core.workers.join();  // handlers still running hold sessions on the io_context
}

Status Server::listen() {
  auto& impl = *impl_;
  const ServerOptions& options = impl.core.options;
  beast::error_code ec;
  tcp::endpoint endpoint;
  auto address = net::ip::make_address(options.host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, options.port);
  } else {
    tcp::resolver resolver(impl.core.ioc);
    auto results = resolver.resolve(options.host, std::to_string(options.port), ec);
    if (ec || results.empty()) {
      return fail(ErrorCode::unavailable, "cannot resolve " + options.host);
    }
    endpoint = results.begin()->endpoint();
  }
  auto failed = [&](std::string_view what) {
    beast::error_code ignored;
    impl.acceptor.close(ignored);
    return fail(ErrorCode::unavailable,
                fmt::format("cannot {} {}:{}: {}", what, options.host, options.port, ec.message()));
  };
  impl.acceptor.open(endpoint.protocol(), ec);
  if (ec) return failed("open");
  impl.acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (ec) return failed("configure");
  impl.acceptor.bind(endpoint, ec);
  if (ec) return failed("bind");
  impl.acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return failed("listen on");
  impl.port = impl.acceptor.local_endpoint(ec).port();
  impl.listening = true;
  spdlog::info("event=listening host={} port={}", options.host, impl.port);
  return {};
}

unsigned short Server::port() const { return impl_->port; }

std::size_t Server::open_streams() const {
  std::lock_guard lock(impl_->core.mutex);
  return impl_->core.streams;
}

void Server::run() {
  auto& impl = *impl_;
  Core& core = impl.core;
  if (!impl.listening) {
    spdlog::error("event=server_not_listening");
    return;
  }
  // Keeps the io threads alive while every session is in a handler.
  auto work = net::make_work_guard(core.ioc);
  net::signal_set signals(impl.strand, SIGINT, SIGTERM);
  signals.async_wait([this](beast::error_code ec, int signal) {
    if (ec) return;
    spdlog::info("event=signal signal={}", signal);
    stop();
  });
  net::post(impl.strand, [&impl] { impl.accept(); });

  std::vector<std::thread> threads;
  for (int i = 0; i < std::max(1, core.options.io_threads); ++i) {
    threads.emplace_back([&core] {
      // A throw out of a completion handler (e.g. bad_alloc) must not end the process.
      while (true) {
        try {
          core.ioc.run();
          return;
        } catch (const std::exception& e) {
          spdlog::error("event=io_exception what={}", e.what());
        }
      }
    });
  }
  {
    std::unique_lock lock(core.mutex);
    core.cv.wait(lock, [&] { return core.stopping.load(); });
    auto deadline = Clock::now() + core.options.shutdown_grace;
    if (!core.cv.wait_until(lock, deadline,
                            [&] { return core.backlog_taken && core.sessions.empty(); })) {
      spdlog::warn("event=shutdown_grace_expired open_connections={}", core.sessions.size());
    }
  }
  core.ioc.stop();
  for (auto& thread : threads) thread.join();
  spdlog::info("event=server_stopped");
}

void Server::stop() {
  auto& impl = *impl_;
  Core& core = impl.core;
  if (core.stopping.exchange(true)) return;
  net::post(impl.strand, [&impl] {
    beast::error_code ec;
    impl.accept_retry.cancel();
    // Connections the kernel completed before the stop wait in the listen backlog; their
    // clients may have sent a whole request. Take them now: each is served if its request
    // is here (await_request) and closed otherwise. Then no new connection is accepted.
    if (impl.acceptor.is_open()) {
      impl.acceptor.non_blocking(true, ec);
      while (!ec) {
        tcp::socket socket(net::make_strand(impl.core.ioc));
        impl.acceptor.accept(socket, ec);
        if (ec) break;
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        std::make_shared<Session>(impl.core, std::move(socket))->start();
      }
    }
    beast::error_code ignored;
    impl.acceptor.close(ignored);
    std::lock_guard lock(impl.core.mutex);
    impl.core.backlog_taken = true;
    impl.core.cv.notify_all();
  });
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(core.mutex);
    live.reserve(core.sessions.size());
    for (Session* session : core.sessions) {
      if (auto p = session->weak_from_this().lock()) live.push_back(std::move(p));
    }
    core.cv.notify_all();
  }
  for (auto& session : live) session->close_if_idle();
}

}  // namespace dangan::http
