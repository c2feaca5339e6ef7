// body.h — checks on JSON request bodies shared by the domain modules (which may not
// include http/): unknown members refused, members typed and length-checked, each
// failure an `invalid` error naming the member, so a client can point at the field.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace dangan::body {

// Refuses a body that is not an object, and members other than `allowed`.
Status only_fields(const nlohmann::json& body, std::initializer_list<std::string_view> allowed);
// A string member, valid UTF-8, at most `max_len` code points; nullopt when absent or null.
Result<std::optional<std::string>> optional_text(const nlohmann::json& body, const char* name,
                                                 long max_len);
// The same, required and not blank.
Result<std::string> required_text(const nlohmann::json& body, const char* name, long max_len);
// A positive integer id; nullopt when absent or null.
Result<std::optional<std::int64_t>> optional_id(const nlohmann::json& body, const char* name);
// A string member that must be one of `allowed`; `fallback` when absent (nullptr: required).
Result<std::string> one_of(const nlohmann::json& body, const char* name,
                           std::initializer_list<std::string_view> allowed, const char* fallback);
bool is_one_of(std::string_view v, std::initializer_list<std::string_view> allowed);

}  // namespace dangan::body
