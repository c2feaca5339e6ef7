// http_test.cpp — router, decoding and the Beast server, driven over real sockets.
//
// The client is plain POSIX sockets with poll() deadlines, so a server bug shows up as a
// failed check, not a hung test, and malformed bytes can be sent as they are.
#include "http/http.h"

#include <doctest/doctest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace dangan::http {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct RawResponse {
  unsigned status = 0;
  std::map<std::string, std::string, CaseInsensitiveLess> headers;
  std::string body;
  nlohmann::json json() const { return nlohmann::json::parse(body); }
};

class Client {
 public:
  explicit Client(unsigned short port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~Client() { ::close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }

  bool send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // One response; nullopt when the server closes or says nothing before the deadline.
  std::optional<RawResponse> read(bool head = false, std::chrono::milliseconds timeout = 5s) {
    auto deadline = Clock::now() + timeout;
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill(deadline)) return std::nullopt;
    }
    RawResponse r;
    std::string_view head_text(buffer_.data(), end);
    r.status = static_cast<unsigned>(std::stoi(std::string(head_text.substr(9, 3))));
    std::size_t pos = head_text.find("\r\n");
    while (pos != std::string_view::npos && pos < head_text.size()) {
      std::size_t next = head_text.find("\r\n", pos + 2);
      std::string_view line = head_text.substr(pos + 2, next - pos - 2);
      std::size_t colon = line.find(':');
      r.headers[std::string(line.substr(0, colon))] = std::string(line.substr(colon + 2));
      pos = next;
    }
    buffer_.erase(0, end + 4);
    std::size_t length = 0;
    if (!head && r.headers.count("Content-Length")) {
      length = std::stoul(r.headers["Content-Length"]);
    }
    while (buffer_.size() < length) {
      if (!fill(deadline)) return std::nullopt;
    }
    r.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return r;
  }

  // Reads until `needle` has arrived (raw bytes, chunk framing included); false when the
  // connection ends or the deadline passes first.
  bool wait_for(std::string_view needle, std::chrono::milliseconds timeout = 5s) {
    auto deadline = Clock::now() + timeout;
    while (buffer_.find(needle) == std::string::npos) {
      if (!fill(deadline)) return false;
    }
    return true;
  }
  const std::string& received() const { return buffer_; }

  // True when the server closes the connection within `timeout`.
  bool closed_within(std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    while (true) {
      pollfd p{fd_, POLLIN, 0};
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
      char c[4096];
      ssize_t n = ::recv(fd_, c, sizeof c, 0);
      if (n <= 0) return true;
    }
  }

 private:
  bool fill(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd p{fd_, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char chunk[16384];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

std::string get(std::string_view target, std::string_view extra = {}) {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: t\r\n" + std::string(extra) + "\r\n";
}

// Routes the server tests share. `slow_entered` tells a test that /slow is running.
struct Fixture {
  Router router;
  std::atomic<bool> slow_entered{false};
  std::chrono::milliseconds slow_for{300};

  Fixture() {
    router.add("GET", "/items", [](Request&) { return Response::json(200, {{"items", 0}}); });
    router.add("GET", "/items/{id}", [](Request& r) {
      return Response::json(200, {{"id", r.path_params["id"]}});
    });
    router.add("DELETE", "/items/{id}", [](Request&) { return Response{204, {}, {}}; });
    router.add("GET", "/items/special", [](Request&) {
      return Response::json(200, {{"special", true}});
    });
    router.add("GET", "/items/{id}/notes/{note}", [](Request& r) {
      return Response::json(200, {{"id", r.path_params["id"]}, {"note", r.path_params["note"]}});
    });
    router.add("GET", "/echo", [](Request& r) {
      return Response::json(200, {{"path", r.path},
                                  {"query", r.query},
                                  {"request_id", r.request_id},
                                  {"remote_addr", r.remote_addr},
                                  {"x_test", r.header("x-TEST").value_or("")},
                                  {"cookie_b", r.cookie("b").value_or("")}});
    });
    router.add("POST", "/echo", [](Request& r) {
      return Response::json(200, {{"bytes", r.body.size()}});
    });
    router.add("GET", "/throw",
               [](Request&) -> Response { throw std::runtime_error("secret 13800000000"); });
    router.add("GET", "/throw-int", [](Request&) -> Response { throw 42; });
    router.add("GET", "/conflict", [](Request&) {
      return Response::error({ErrorCode::conflict, "taken", "code"});
    });
    router.add("GET", "/bad-header", [](Request&) {
      Response r = Response::json(200, {{"ok", true}});
      r.headers.emplace_back("X-Evil", "a\r\nSet-Cookie: session=stolen");
      r.headers.emplace_back("X-Fine", "yes");
      return r;
    });
    router.add("GET", "/bad-status", [](Request&) { return Response{1000, {}, "x"}; });
    router.add("GET", "/slow", [this](Request&) {
      slow_entered = true;
      std::this_thread::sleep_for(slow_for);
      return Response::json(200, {{"slow", true}});
    });
  }
};

// Sends the server's log lines to memory for the duration of a test (and keeps test
// output quiet). Must outlive the server it observes.
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    sink_ = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(4096);
    auto logger = std::make_shared<spdlog::logger>("http_test", sink_);
    logger->set_level(spdlog::level::info);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  std::string text() const {
    std::string out;
    for (auto& line : sink_->last_formatted()) out += line;
    return out;
  }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
};

ServerOptions test_options() {
  ServerOptions o;
  o.port = 0;
  o.io_threads = 2;
  o.worker_threads = 4;
  o.max_header_bytes = 4096;
  o.max_body_bytes = 1000;
  o.read_timeout = 3000ms;
  o.idle_timeout = 3000ms;
  o.handler_timeout = 3000ms;
  o.shutdown_grace = 3000ms;
  return o;
}

class TestServer {
 public:
  explicit TestServer(Fixture& f, ServerOptions options = test_options())
      : server_(std::move(options), [&f](Request& r) { return f.router.dispatch(r); }) {
    REQUIRE(server_.listen().has_value());
    thread_ = std::thread([this] { server_.run(); });
  }
  ~TestServer() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  unsigned short port() const { return server_.port(); }
  Server& server() { return server_; }
  void join() { thread_.join(); }
  std::string logs() const { return logs_.text(); }

 private:
  LogCapture logs_;  // first: outlives the server
  Server server_;
  std::thread thread_;
};

std::optional<RawResponse> fetch(unsigned short port, std::string_view raw, bool head = false) {
  Client c(port);
  if (!c.send(raw)) return std::nullopt;
  return c.read(head);
}

}  // namespace

TEST_CASE("url_decode accepts well-formed UTF-8 and refuses the rest") {
  CHECK(url_decode("a%20b", false) == "a b");
  CHECK(url_decode("a+b", false) == "a+b");
  CHECK(url_decode("a+b", true) == "a b");
  CHECK(url_decode("%E6%A1%A3%e6%a1%88", false) == "档案");
  CHECK(url_decode("档案", false) == "档案");
  CHECK(url_decode("", false) == "");
  CHECK_FALSE(url_decode("%", false));
  CHECK_FALSE(url_decode("%4", false));
  CHECK_FALSE(url_decode("%zz", false));
  CHECK_FALSE(url_decode("%00", false));        // NUL
  CHECK_FALSE(url_decode("%C3", false));        // truncated sequence
  CHECK_FALSE(url_decode("%C0%AF", false));     // overlong '/'
  CHECK_FALSE(url_decode("%ED%A0%80", false));  // surrogate
  CHECK_FALSE(url_decode("%FF", false));
}

TEST_CASE("status_for, Response::error and header helpers") {
  CHECK(status_for(ErrorCode::invalid) == 400);
  CHECK(status_for(ErrorCode::unauthenticated) == 401);
  CHECK(status_for(ErrorCode::forbidden) == 403);
  CHECK(status_for(ErrorCode::not_found) == 404);
  CHECK(status_for(ErrorCode::conflict) == 409);
  CHECK(status_for(ErrorCode::too_many_requests) == 429);
  CHECK(status_for(ErrorCode::unavailable) == 503);
  CHECK(status_for(ErrorCode::internal) == 500);

  Response r = Response::error({ErrorCode::not_found, "no patron", ""});
  CHECK(r.status == 404);
  CHECK(
      nlohmann::json::parse(r.body) ==
      nlohmann::json{{"error", {{"code", "not_found"}, {"message", "no patron"}, {"field", ""}}}});
  r.set_header("X-A", "1");
  r.set_header("x-a", "2");
  CHECK(r.headers.size() == 2);  // Content-Type and X-A
  CHECK(r.headers.back().second == "2");

  Request q;
  q.headers["Cookie"] = "a=1; b=\"two\";c=3";
  CHECK(q.cookie("b") == "two");
  CHECK(q.cookie("c") == "3");
  CHECK_FALSE(q.cookie("d"));
  CHECK(q.header("COOKIE").has_value());
}

TEST_CASE("Router: literal beats capture, params, 404, 405 with Allow, trailing slash") {
  Fixture f;
  auto call = [&](std::string method, std::string target) {
    Request r;
    r.method = std::move(method);
    r.target = std::move(target);
    Response res = f.router.dispatch(r);
    return std::pair{res, nlohmann::json::parse(res.body.empty() ? "null" : res.body)};
  };
  CHECK(call("GET", "/items/special").second["special"] == true);
  CHECK(call("GET", "/items/42").second["id"] == "42");
  CHECK(call("GET", "/items/a%2Fb").second["id"] == "a/b");
  auto [nested, body] = call("GET", "/items/7/notes/%E6%A1%A3");
  CHECK(body == nlohmann::json{{"id", "7"}, {"note", "档"}});
  CHECK(call("GET", "/items/%zz").first.status == 400);

  auto [missing, missing_body] = call("GET", "/nope");
  CHECK(missing.status == 404);
  CHECK(missing_body["error"]["code"] == "not_found");
  CHECK(call("GET", "/items/").first.status == 404);  // trailing slash is not /items
  CHECK(call("GET", "/items//notes/x").first.status == 404);

  auto [wrong, wrong_body] = call("PUT", "/items/1");
  CHECK(wrong.status == 405);
  CHECK(wrong_body["error"]["code"] == "invalid");
  bool has_allow = false;
  for (auto& [n, v] : wrong.headers) {
    if (n == "Allow") {
      has_allow = true;
      CHECK(v == "GET, DELETE, HEAD");
    }
  }
  CHECK(has_allow);
  // The literal route wins for every method: DELETE /items/special is not DELETE {id}.
  CHECK(call("DELETE", "/items/special").first.status == 405);
  CHECK(call("HEAD", "/items/1").first.status == 200);
  CHECK(f.router.routes().size() == 13);
}

TEST_CASE("Server: routing, params, 404/405 and decoding over the wire") {
  Fixture f;
  TestServer s(f);
  CHECK(s.port() != 0);

  auto r = fetch(s.port(), get("/items/a%20b"));
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->headers["Content-Type"] == "application/json; charset=utf-8");
  CHECK(r->json()["id"] == "a b");

  r = fetch(s.port(), get("/nope"));
  REQUIRE(r);
  CHECK(r->status == 404);
  CHECK(r->json()["error"]["code"] == "not_found");

  r = fetch(s.port(), "POST /items HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
  REQUIRE(r);
  CHECK(r->status == 405);
  CHECK(r->headers["Allow"] == "GET, HEAD");

  r = fetch(s.port(), get("/items/%C3%28"));
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(r->json() ==
        nlohmann::json::parse(
            R"({"error":{"code":"invalid","message":"malformed path","field":"path"}})"));
  CHECK(fetch(s.port(), get("/echo%00"))->status == 400);
  // A bad value names its parameter; a bad name, the query.
  CHECK(fetch(s.port(), get("/echo?x=%G1"))->json()["error"]["field"] == "x");
  CHECK(fetch(s.port(), get("/echo?cursor=%00"))->json()["error"]["field"] == "cursor");
  CHECK(fetch(s.port(), get("/echo?%G1=x"))->json()["error"]["field"] == "query");

  r = fetch(s.port(), get("/echo?q=a+b&x=%E6%A1%A3&q=c&empty&=skip",
                          "X-Test: yes\r\nCookie: a=1\r\nCookie: b=2\r\n"));
  REQUIRE(r);
  auto j = r->json();
  CHECK(j["path"] == "/echo");
  CHECK(j["query"] == nlohmann::json{{"q", "c"}, {"x", "档"}, {"empty", ""}});
  CHECK(j["x_test"] == "yes");
  CHECK(j["cookie_b"] == "2");
  CHECK(j["remote_addr"] == "127.0.0.1");

  r = fetch(s.port(), get("/conflict"));
  CHECK(r->status == 409);
  CHECK(r->json()["error"]["field"] == "code");

  r = fetch(s.port(), "DELETE /items/1 HTTP/1.1\r\nHost: t\r\n\r\n");
  CHECK(r->status == 204);
  CHECK(r->headers.count("Content-Length") == 0);

  r = fetch(s.port(), "HEAD /items/1 HTTP/1.1\r\nHost: t\r\n\r\n", true);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->headers["Content-Length"] == "10");
  CHECK(r->body.empty());

  r = fetch(s.port(), get("/bad-header"));
  REQUIRE(r);
  CHECK(r->headers.count("X-Evil") == 0);
  CHECK(r->headers.count("Set-Cookie") == 0);
  CHECK(r->headers["X-Fine"] == "yes");
  CHECK(fetch(s.port(), get("/bad-status"))->status == 500);

  r = fetch(s.port(), "BLAH\r\n\r\n");
  REQUIRE(r);
  CHECK(r->status == 400);
}

TEST_CASE("Server: body and header limits answer 413 and 431 without reading the rest") {
  Fixture f;
  TestServer s(f);

  auto r = fetch(s.port(), "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n" +
                               std::string(1000, 'x'));
  REQUIRE(r);
  CHECK(r->json()["bytes"] == 1000);

  {  // declared too large: answered from the header alone
    Client c(s.port());
    c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 50000000\r\n\r\n");
    auto big = c.read();
    REQUIRE(big);
    CHECK(big->status == 413);
    CHECK(big->json()["error"]["code"] == "invalid");
    CHECK(big->headers["Connection"] == "close");
    CHECK(c.closed_within(3000ms));
  }
  {  // chunked: stopped once the limit is crossed
    Client c(s.port());
    c.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
    c.send("800\r\n" + std::string(0x800, 'y') + "\r\n");
    auto big = c.read();
    REQUIRE(big);
    CHECK(big->status == 413);
  }
  {
    Client c(s.port());
    c.send(get("/items", "X-Big: " + std::string(8000, 'h') + "\r\n"));
    auto big = c.read();
    REQUIRE(big);
    CHECK(big->status == 431);
    CHECK(big->json()["error"]["code"] == "invalid");
    CHECK(big->headers.count("X-Request-Id") == 1);
  }
  {  // Expect: 100-continue gets the interim response before the body is sent
    Client c(s.port());
    c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
    auto interim = c.read();
    REQUIRE(interim);
    CHECK(interim->status == 100);
    c.send("abc");
    auto done = c.read();
    REQUIRE(done);
    CHECK(done->json()["bytes"] == 3);
  }
}

TEST_CASE("Server: upload routes accept bodies up to max_upload_bytes, others keep the limit") {
  Fixture f;
  ServerOptions o = test_options();
  o.max_upload_bytes = 5000;
  o.is_upload = [](std::string_view method, std::string_view target) {
    return method == "POST" && target.starts_with("/echo?upload");
  };
  TestServer s(f, o);
  auto up = fetch(s.port(), "POST /echo?upload=1 HTTP/1.1\r\nHost: t\r\nContent-Length: 4000\r\n\r\n" +
                                std::string(4000, 'u'));
  REQUIRE(up);
  CHECK(up->status == 200);
  CHECK(up->json()["bytes"] == 4000);
  auto too_big = fetch(s.port(), "POST /echo?upload=1 HTTP/1.1\r\nHost: t\r\nContent-Length: 6000\r\n\r\n");
  REQUIRE(too_big);
  CHECK(too_big->status == 413);
  CHECK(too_big->json()["error"]["message"].get<std::string>().find("5000") != std::string::npos);
  auto plain = fetch(s.port(), "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4000\r\n\r\n");
  REQUIRE(plain);
  CHECK(plain->status == 413);
  {  // chunked to a route that is not an upload: the small limit still holds
    Client c(s.port());
    c.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
    c.send("800\r\n" + std::string(0x800, 'y') + "\r\n");
    auto big = c.read();
    REQUIRE(big);
    CHECK(big->status == 413);
  }
}

TEST_CASE("Server: an escaping exception is a 500 without its message, logged with the id") {
  Fixture f;
  TestServer s(f);
  const auto expected = nlohmann::json::parse(
      R"({"error":{"code":"internal","message":"internal error","field":""}})");

  auto r = fetch(s.port(), get("/throw?phone=13900000000", "X-Request-Id: boom-1\r\n"));
  REQUIRE(r);
  CHECK(r->status == 500);
  CHECK(r->json() == expected);
  CHECK(r->body.find("secret") == std::string::npos);
  r = fetch(s.port(), get("/throw-int"));
  REQUIRE(r);
  CHECK(r->status == 500);
  CHECK(r->json() == expected);

  auto logs = s.logs();
  CHECK(logs.find("event=handler_exception request_id=boom-1 what=secret 13800000000") !=
        std::string::npos);
  CHECK(logs.find("event=request request_id=boom-1 method=GET path=/throw status=500") !=
        std::string::npos);
  CHECK(logs.find("13900000000") == std::string::npos);  // the query string is never logged
}

TEST_CASE("Server: X-Request-Id is echoed when valid and replaced when not") {
  Fixture f;
  TestServer s(f);
  auto r = fetch(s.port(), get("/echo", "X-Request-Id: abc-DEF_1.2\r\n"));
  REQUIRE(r);
  CHECK(r->headers["X-Request-Id"] == "abc-DEF_1.2");
  CHECK(r->json()["request_id"] == "abc-DEF_1.2");

  for (std::string bad : {std::string(65, 'a'), std::string("a b"), std::string("x<y>")}) {
    r = fetch(s.port(), get("/echo", "X-Request-Id: " + bad + "\r\n"));
    REQUIRE(r);
    std::string id = r->headers["X-Request-Id"];
    CHECK(id.size() == 16);
    CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(r->json()["request_id"] == id);
  }
  r = fetch(s.port(), get("/nope"));
  CHECK(r->headers["X-Request-Id"].size() == 16);
}

TEST_CASE("Server: keep-alive, pipelining and HTTP/1.0") {
  Fixture f;
  TestServer s(f);
  {
    Client c(s.port());
    for (int i = 0; i < 5; ++i) {
      REQUIRE(c.send(get("/items/" + std::to_string(i))));
      auto r = c.read();
      REQUIRE(r);
      CHECK(r->json()["id"] == std::to_string(i));
    }
    REQUIRE(c.send(get("/items/a") + get("/items/b")));  // pipelined
    CHECK(c.read()->json()["id"] == "a");
    CHECK(c.read()->json()["id"] == "b");
  }
  {
    Client c(s.port());
    c.send("GET /items/1 HTTP/1.0\r\n\r\n");
    auto r = c.read();
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(c.closed_within(2000ms));
  }
  {
    Client c(s.port());
    c.send("GET /items/1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    CHECK(c.read()->headers["Connection"] == "keep-alive");
    c.send("GET /items/2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    CHECK(c.read()->json()["id"] == "2");
  }
  {
    Client c(s.port());
    c.send(get("/items/1", "Connection: close\r\n"));
    CHECK(c.read()->headers["Connection"] == "close");
    CHECK(c.closed_within(2000ms));
  }
}

TEST_CASE("Server: hundreds of idle and half-sent connections do not block others") {
  Fixture f;
  TestServer s(f);
  std::vector<std::unique_ptr<Client>> idle;
  for (int i = 0; i < 300; ++i) {
    idle.push_back(std::make_unique<Client>(s.port()));
    REQUIRE(idle.back()->connected());
  }
  for (int i = 0; i < 30; ++i) {
    idle.push_back(std::make_unique<Client>(s.port()));
    idle.back()->send("GET /items/1 HTTP/1.1\r\nHost: t\r\nX-Slow: ");
  }
  auto start = Clock::now();
  auto r = fetch(s.port(), get("/items/ok"));
  auto took = Clock::now() - start;
  REQUIRE(r);
  CHECK(r->json()["id"] == "ok");
  CHECK(took < 500ms);
}

TEST_CASE("Server: slow headers and idle keep-alive connections are closed on time") {
  Fixture f;
  ServerOptions o = test_options();
  o.read_timeout = 300ms;
  o.idle_timeout = 300ms;
  TestServer s(f, o);
  Client slow(s.port());
  slow.send("GET /items/1 HTTP/1.1\r\nHost: t\r\n");
  std::this_thread::sleep_for(150ms);
  slow.send("X-A: 1\r\n");  // trickling does not extend the deadline
  CHECK(slow.closed_within(1500ms));

  Client idle(s.port());
  idle.send(get("/items/1"));
  CHECK(idle.read().has_value());
  CHECK(idle.closed_within(1500ms));
}

TEST_CASE("Server: a handler past handler_timeout gets a 503") {
  Fixture f;
  f.slow_for = 600ms;
  ServerOptions o = test_options();
  o.handler_timeout = 100ms;
  TestServer s(f, o);
  auto r = fetch(s.port(), get("/slow"));
  REQUIRE(r);
  CHECK(r->status == 503);
  CHECK(r->json()["error"]["code"] == "unavailable");
}

TEST_CASE("Server: stop() lets an in-flight request finish and closes idle connections") {
  Fixture f;
  f.slow_for = 400ms;
  TestServer s(f);

  Client idle(s.port());
  idle.send(get("/items/1"));
  REQUIRE(idle.read());

  Client busy(s.port());
  busy.send(get("/slow"));
  for (int i = 0; i < 200 && !f.slow_entered; ++i) std::this_thread::sleep_for(5ms);
  REQUIRE(f.slow_entered);

  auto start = Clock::now();
  s.server().stop();
  CHECK(idle.closed_within(300ms));  // before the slow handler is done
  auto r = busy.read();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->json()["slow"] == true);
  CHECK(r->headers["Connection"] == "close");
  s.join();  // run() returns once the last connection is gone, well before the grace
  CHECK(Clock::now() - start < 2000ms);

  Client late(s.port());
  CHECK_FALSE(late.connected());
}

TEST_CASE("Server: a request sent before stop() is answered even if not yet accepted") {
  // listen() without run(): the kernel completes the connections into the backlog and
  // holds their bytes, but the server has accepted nothing when stop() comes.
  Fixture f;
  LogCapture logs;
  Server server(test_options(), [&f](Request& r) { return f.router.dispatch(r); });
  REQUIRE(server.listen().has_value());
  Client sent(server.port());
  REQUIRE(sent.send(get("/items/7")));
  Client silent(server.port());
  REQUIRE(silent.connected());
  std::this_thread::sleep_for(50ms);  // the request's bytes reach the server's socket
  server.stop();
  auto start = Clock::now();
  std::thread runner([&server] { server.run(); });
  auto r = sent.read();
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->headers["Connection"] == "close");
  CHECK(silent.closed_within(1000ms));  // nothing was asked: closed, not served
  runner.join();
  CHECK(Clock::now() - start < 2000ms);  // not held until the grace runs out
}

TEST_CASE("Server: listen() on a port in use is unavailable") {
  Fixture f;
  TestServer s(f);
  ServerOptions o = test_options();
  o.port = s.port();
  Server second(o, [](Request&) { return Response{}; });
  auto status = second.listen();
  REQUIRE_FALSE(status.has_value());
  CHECK(status.error().code == ErrorCode::unavailable);
}

// --- server-sent events ---------------------------------------------------------------

namespace {

// A feed whose events a test pushes; counts its polls.
class QueueFeed : public EventFeed {
 public:
  Result<std::vector<Event>> poll() override {
    std::lock_guard lock(mutex_);
    ++polls;
    if (error) return fail(ErrorCode::unauthenticated, "session expired");
    return std::exchange(queue_, {});
  }
  void push(Event e) {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(e));
  }
  bool done() const override { return finished; }
  std::atomic<int> polls{0};
  std::atomic<bool> error{false};
  std::atomic<bool> finished{false};

 private:
  std::mutex mutex_;
  std::vector<Event> queue_;
};

struct StreamFixture : Fixture {
  std::shared_ptr<QueueFeed> feed = std::make_shared<QueueFeed>();
  std::shared_ptr<Bell> bell = std::make_shared<Bell>();
  std::chrono::milliseconds interval{10000};
  std::atomic<std::int64_t> last_seen_id{-1};

  StreamFixture() {
    // /events/{owner}: the owner comes from the path so a test can be several users.
    router.add("GET", "/events/{owner}", [this](Request& r) {
      last_seen_id = std::stoll(r.header("Last-Event-ID").value_or("0"));
      return Response::events({feed, r.path_params["owner"], interval, bell, "topic"});
    });
  }
};

std::string open_stream(std::string_view owner, std::string_view extra = {}) {
  return get("/events/" + std::string(owner), extra);
}

}  // namespace

TEST_CASE("Server: an event stream pushes events as they come, at once when the bell rings") {
  StreamFixture f;
  f.feed->push({"7", "message", "first\nsecond line"});
  TestServer s(f);
  Client c(s.port());
  c.send(open_stream("u1", "Last-Event-ID: 6\r\n"));
  REQUIRE(c.wait_for("\r\n\r\n"));
  CHECK(c.received().starts_with("HTTP/1.1 200"));
  CHECK(c.received().find("Content-Type: text/event-stream") != std::string::npos);
  CHECK(c.received().find("Transfer-Encoding: chunked") != std::string::npos);
  CHECK(f.last_seen_id == 6);
  REQUIRE(c.wait_for("retry: 3000\n\n"));
  // The first poll runs at once; a multi-line payload is one data: line per line.
  REQUIRE(c.wait_for("id: 7\nevent: message\ndata: first\ndata: second line\n\n"));
  CHECK(s.server().open_streams() == 1);

  // The poll interval is 10 s: only the bell can bring this event in time.
  f.feed->push({"8", "", "third"});
  auto rung = Clock::now();
  f.bell->ring("topic");
  REQUIRE(c.wait_for("id: 8\ndata: third\n\n", 2s));
  CHECK(Clock::now() - rung < 1s);
  f.bell->ring("another topic");  // not ours: no poll
  std::this_thread::sleep_for(100ms);
  CHECK(f.feed->polls == 2);
}

TEST_CASE("Server: heartbeats keep an idle stream open past idle and read timeouts") {
  StreamFixture f;
  ServerOptions o = test_options();
  o.heartbeat = 150ms;
  o.idle_timeout = 200ms;
  o.read_timeout = 200ms;
  TestServer s(f, o);
  Client c(s.port());
  c.send(open_stream("u1"));
  REQUIRE(c.wait_for("retry: 3000"));
  REQUIRE(c.wait_for(": keep-alive\n\n", 1s));
  CHECK_FALSE(c.closed_within(700ms));  // several timeouts' worth later, still open
  CHECK(s.server().open_streams() == 1);
}

TEST_CASE("Server: open streams are capped per owner and overall, and freed when the client leaves") {
  StreamFixture f;
  ServerOptions o = test_options();
  o.max_streams = 2;
  o.max_streams_per_owner = 1;
  TestServer s(f, o);
  auto first = std::make_unique<Client>(s.port());
  first->send(open_stream("u1"));
  REQUIRE(first->wait_for("retry: 3000"));

  auto again = fetch(s.port(), open_stream("u1"));
  REQUIRE(again);
  CHECK(again->status == 429);
  CHECK(again->json()["error"]["code"] == "too_many_requests");

  Client second(s.port());
  second.send(open_stream("u2"));
  REQUIRE(second.wait_for("retry: 3000"));
  auto third = fetch(s.port(), open_stream("u3"));
  REQUIRE(third);
  CHECK(third->status == 429);
  CHECK(s.server().open_streams() == 2);

  first.reset();  // the client goes away: its slot is free without waiting for a write
  for (int i = 0; i < 100 && s.server().open_streams() != 1; ++i) std::this_thread::sleep_for(10ms);
  CHECK(s.server().open_streams() == 1);
  Client back(s.port());
  back.send(open_stream("u1"));
  CHECK(back.wait_for("retry: 3000"));
}

TEST_CASE("Server: streams hold no worker thread between polls") {
  StreamFixture f;
  ServerOptions o = test_options();
  o.worker_threads = 1;
  o.max_streams_per_owner = 10;
  TestServer s(f, o);
  std::vector<std::unique_ptr<Client>> streams;
  for (int i = 0; i < 5; ++i) {
    streams.push_back(std::make_unique<Client>(s.port()));
    streams.back()->send(open_stream("u1"));
    REQUIRE(streams.back()->wait_for("retry: 3000"));
  }
  auto start = Clock::now();
  auto r = fetch(s.port(), get("/items/1"));
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(Clock::now() - start < 500ms);
}

TEST_CASE("Server: a failing feed ends its stream with an error event") {
  StreamFixture f;
  f.interval = 50ms;
  TestServer s(f);
  Client c(s.port());
  c.send(open_stream("u1"));
  REQUIRE(c.wait_for("retry: 3000"));
  f.feed->error = true;
  REQUIRE(c.wait_for("event: error\ndata: {\"code\":\"unauthenticated\""));
  CHECK(c.wait_for("0\r\n\r\n"));  // the last chunk
  CHECK(c.closed_within(1s));
  CHECK(s.server().open_streams() == 0);
}

TEST_CASE("Server: a feed that is done ends its stream after its last events") {
  StreamFixture f;
  f.feed->push({"1", "message", "bye"});
  f.feed->finished = true;
  TestServer s(f);
  Client c(s.port());
  c.send(open_stream("u1"));
  REQUIRE(c.wait_for("id: 1\nevent: message\ndata: bye\n\n"));
  CHECK_MESSAGE(c.wait_for("0\r\n\r\n"), c.received());
  CHECK(c.closed_within(1s));
}

TEST_CASE("Server: stop() ends open streams and run() returns") {
  StreamFixture f;
  TestServer s(f);
  Client a(s.port()), b(s.port());
  a.send(open_stream("u1"));
  b.send(open_stream("u2"));
  REQUIRE(a.wait_for("retry: 3000"));
  REQUIRE(b.wait_for("retry: 3000"));
  auto start = Clock::now();
  s.server().stop();
  CHECK(a.wait_for("0\r\n\r\n", 1s));
  CHECK(a.closed_within(1s));
  CHECK(b.closed_within(1s));
  s.join();
  CHECK(Clock::now() - start < 1500ms);  // well before shutdown_grace (3 s)
}

TEST_CASE("format_event: one line per field, no line breaks smuggled into id or event") {
  CHECK(format_event({"1", "message", "a\r\nb"}) == "id: 1\nevent: message\ndata: a\ndata: b\n\n");
  CHECK(format_event({"", "", ""}) == "data: \n\n");
  CHECK(format_event({"2\nevent: evil", "x\r", "d"}) == "id: 2event: evil\nevent: x\ndata: d\n\n");
}

}  // namespace dangan::http
