// router.cpp — "METHOD /a/{b}/c" dispatch.
//
// Matching works on the raw (still percent-encoded) path split at '/', so an encoded
// slash ("%2F") stays inside its segment; each segment is then decoded on its own.
// Among the patterns that match a path, the most specific wins: at the first segment
// where two patterns differ in kind, a literal beats a {capture}. So
// "/patrons/duplicates" beats "/patrons/{id}" for every method, and a method the winning
// pattern lacks is a 405 even when a less specific pattern has it.
// A trailing slash is an extra empty segment and matches nothing ("/x/" is 404); an
// empty segment never fills a capture.
#include <algorithm>

#include "http/http.h"

namespace dangan::http {
namespace {

bool is_capture(std::string_view segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

// "/a/b" → {"a", "b"}; "/" → {""}; "/a/" → {"a", ""}.
template <class Out>
void split_path(std::string_view path, Out& out) {
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (true) {
    std::size_t slash = path.find('/');
    out.emplace_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
}

Response error_response(unsigned status, std::string_view code, std::string message) {
  return Response::json(status, {{"error", {{"code", code}, {"message", message}, {"field", ""}}}});
}

// True when `a` is more specific than `b` (both match the same path).
bool more_specific(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (std::size_t i = 0; i < a.size(); ++i) {
    bool ca = is_capture(a[i]);
    bool cb = is_capture(b[i]);
    if (ca != cb) return !ca;
  }
  return false;
}

// Same literals and capture positions; capture names may differ between methods.
bool same_shape(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    bool ca = is_capture(a[i]);
    if (ca != is_capture(b[i]) || (!ca && a[i] != b[i])) return false;
  }
  return true;
}

}  // namespace

void Router::add(std::string method, std::string pattern, Handler handler) {
  Route route{std::move(method), std::move(pattern), {}, std::move(handler)};
  split_path(route.pattern, route.segments);
  routes_.push_back(std::move(route));
}

Response Router::dispatch(Request& request) const {
  // The server fills `target`; a Request built by hand (tests) may only have `path`,
  // which is already decoded and must not be decoded twice.
  bool raw = !request.target.empty();
  std::string_view path = request.path;
  if (raw) {
    path = request.target;
    path = path.substr(0, path.find('?'));
    if (path.starts_with("http://") || path.starts_with("https://")) {
      std::size_t slash = path.find('/', path.find("//") + 2);
      path = slash == std::string_view::npos ? std::string_view("/") : path.substr(slash);
    }
  }
  std::vector<std::string> segments;
  segments.reserve(8);
  std::vector<std::string_view> raw_segments;
  raw_segments.reserve(8);
  split_path(path, raw_segments);
  for (std::string_view s : raw_segments) {
    if (!raw || s.find('%') == std::string_view::npos) {
      segments.emplace_back(s);
      continue;
    }
    auto decoded = url_decode(s, false);
    if (!decoded) return Response::error({ErrorCode::invalid, "malformed path", "path"});
    segments.push_back(std::move(*decoded));
  }

  const std::vector<std::string>* best = nullptr;
  for (const Route& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    bool match = true;
    for (std::size_t i = 0; i < segments.size() && match; ++i) {
      const std::string& p = route.segments[i];
      match = is_capture(p) ? !segments[i].empty() : p == segments[i];
    }
    if (match && (best == nullptr || more_specific(route.segments, *best))) {
      best = &route.segments;
    }
  }
  if (best == nullptr) return error_response(404, "not_found", "no such resource");

  const Route* chosen = nullptr;
  const Route* get_route = nullptr;
  const Route* head_route = nullptr;
  for (const Route& route : routes_) {
    if (!same_shape(route.segments, *best)) continue;
    if (route.method == request.method && chosen == nullptr) chosen = &route;
    if (route.method == "GET" && get_route == nullptr) get_route = &route;
    if (route.method == "HEAD") head_route = &route;
  }
  // HEAD is served by the GET handler; the server drops the body.
  if (chosen == nullptr && request.method == "HEAD") chosen = get_route;
  if (chosen == nullptr) {
    std::vector<std::string_view> methods;
    for (const Route& route : routes_) {
      if (same_shape(route.segments, *best) &&
          std::find(methods.begin(), methods.end(), route.method) == methods.end()) {
        methods.push_back(route.method);
      }
    }
    if (get_route != nullptr && head_route == nullptr) methods.push_back("HEAD");
    std::string allow;
    for (std::string_view m : methods) {
      if (!allow.empty()) allow += ", ";
      allow += m;
    }
    Response r = error_response(405, "invalid", "method " + request.method + " not allowed");
    r.set_header("Allow", std::move(allow));
    return r;
  }
  request.path_params.clear();
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const std::string& p = chosen->segments[i];
    if (is_capture(p)) request.path_params[p.substr(1, p.size() - 2)] = std::move(segments[i]);
  }
  return chosen->handler(request);
}

std::vector<std::pair<std::string, std::string>> Router::routes() const {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(routes_.size());
  for (const Route& route : routes_) out.emplace_back(route.method, route.pattern);
  return out;
}

}  // namespace dangan::http
