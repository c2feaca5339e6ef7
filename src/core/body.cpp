#include "core/body.h"

#include <algorithm>

#include "text/text.h"

namespace dangan::body {

using json = nlohmann::json;

Status only_fields(const json& body, std::initializer_list<std::string_view> allowed) {
  if (!body.is_object()) return invalid("body", "the body must be a JSON object");
  for (auto& [k, _] : body.items())
    if (!is_one_of(k, allowed)) return invalid(k, "unknown field " + k);
  return {};
}

Result<std::optional<std::string>> optional_text(const json& body, const char* name, long max_len) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::optional<std::string>{};
  if (!it->is_string()) return invalid(name, std::string(name) + " must be a string");
  std::string v = it->get<std::string>();
  long len = text::utf8_length(v);
  if (len < 0) return invalid(name, std::string(name) + " must be valid UTF-8");
  if (len > max_len)
    return invalid(
        name, std::string(name) + " must have at most " + std::to_string(max_len) + " characters");
  return std::optional<std::string>{std::move(v)};
}

Result<std::string> required_text(const json& body, const char* name, long max_len) {
  auto v = TRY(optional_text(body, name, max_len));
  if (!v || v->find_first_not_of(" \t\r\n") == std::string::npos)
    return invalid(name, std::string(name) + " is required");
  return *v;
}

Result<std::optional<std::int64_t>> optional_id(const json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::optional<std::int64_t>{};
  if (!it->is_number_integer() || it->get<std::int64_t>() <= 0)
    return invalid(name, std::string(name) + " must be a positive integer id");
  return std::optional<std::int64_t>{it->get<std::int64_t>()};
}

Result<std::string> one_of(const json& body, const char* name,
                           std::initializer_list<std::string_view> allowed, const char* fallback) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) {
    if (fallback) return std::string(fallback);
    return invalid(name, std::string(name) + " is required");
  }
  std::string list;
  for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
  if (!it->is_string() || !is_one_of(it->get<std::string>(), allowed))
    return invalid(name, std::string(name) + " must be one of " + list);
  return it->get<std::string>();
}

bool is_one_of(std::string_view v, std::initializer_list<std::string_view> allowed) {
  return std::find(allowed.begin(), allowed.end(), v) != allowed.end();
}

}  // namespace dangan::body
