#include "sharing/oai_api.h"

namespace dangan::sharing {

namespace {

// "a=1&b=2" → pairs, keeping repeats (OAI-PMH forbids them and must say so). A malformed
// escape makes the whole request a badArgument: returned as an argument named "".
std::multimap<std::string, std::string> parse_form(std::string_view s) {
  std::multimap<std::string, std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    auto amp = s.find('&', i);
    auto part = s.substr(i, amp == std::string_view::npos ? std::string_view::npos : amp - i);
    if (!part.empty()) {
      auto eq = part.find('=');
      auto k = http::url_decode(part.substr(0, eq), true);
      auto v = http::url_decode(eq == std::string_view::npos ? "" : part.substr(eq + 1), true);
      if (!k || !v) out.emplace("", "");
      else out.emplace(*k, *v);
    }
    if (amp == std::string_view::npos) break;
    i = amp + 1;
  }
  return out;
}

}  // namespace

void register_oai_routes(http::Api& api, OaiProvider& provider, const Config& config) {
  auto handler = [&provider, &config, &api](http::Request& r) {
    std::string_view query;
    if (auto q = r.target.find('?'); q != std::string::npos) query = std::string_view(r.target).substr(q + 1);
    auto args = parse_form(r.method == "POST" ? std::string_view(r.body) : query);
    std::string base = config.public_base_url;
    if (base.empty())
      base = std::string(api.secure(r) ? "https" : "http") + "://" + r.header("Host").value_or("localhost");
    http::Response resp =
        http::Response::text(200, provider.handle(args, base + "/oai"), "text/xml; charset=utf-8");
    return resp;
  };
  api.open("GET", "/oai", handler);
  api.open("POST", "/oai", handler);
}

}  // namespace dangan::sharing
