// events.cpp — server-sent event helpers: the wire format of one event and the Bell that
// wakes streams of this process. The streaming itself is in server.cpp (Session).
#include <vector>

#include "http/http.h"

namespace dangan::http {
namespace {

// A value on an "id:" or "event:" line cannot hold a line break: it would end the field
// and let the rest be read as another field.
std::string one_line(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c != '\r' && c != '\n' && c != '\0') out += c;
  }
  return out;
}

}  // namespace

std::string format_event(const Event& event) {
  std::string out;
  out.reserve(event.data.size() + 32);
  if (!event.id.empty()) out += "id: " + one_line(event.id) + "\n";
  if (!event.name.empty()) out += "event: " + one_line(event.name) + "\n";
  // Each line of the data is its own "data:" line; the client joins them with "\n".
  std::string_view rest = event.data;
  while (true) {
    std::size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out += "data: ";
    out += line;
    out += '\n';
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
  out += '\n';
  return out;
}

Response Response::events(EventStream stream) {
  Response r;
  r.status = 200;
  r.headers.emplace_back("Content-Type", "text/event-stream; charset=utf-8");
  r.stream = std::make_shared<EventStream>(std::move(stream));
  return r;
}

void Bell::ring(const std::string& topic) {
  std::vector<std::function<void()>> wake;
  {
    std::lock_guard lock(mutex_);
    auto [from, to] = waiting_.equal_range(topic);
    for (auto it = from; it != to; ++it) wake.push_back(it->second.second);
  }
  // Outside the lock: a wake-up may (un)subscribe.
  for (auto& f : wake) f();
}

std::uint64_t Bell::subscribe(const std::string& topic, std::function<void()> wake) {
  std::lock_guard lock(mutex_);
  std::uint64_t token = ++next_;
  waiting_.emplace(topic, std::make_pair(token, std::move(wake)));
  return token;
}

void Bell::unsubscribe(std::uint64_t token) {
  std::lock_guard lock(mutex_);
  for (auto it = waiting_.begin(); it != waiting_.end(); ++it) {
    if (it->second.first == token) {
      waiting_.erase(it);
      return;
    }
  }
}

}  // namespace dangan::http
