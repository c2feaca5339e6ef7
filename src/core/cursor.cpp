// The one cursor parser and encoding (cursor.h).
#include "core/cursor.h"

#include <charconv>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/clock.h"

namespace dangan::cursor {

namespace {

// Long enough for any name or time a list sorts by; a longer "cursor" was not ours.
constexpr std::size_t kMaxKey = 512;

std::optional<std::int64_t> positive_id(std::string_view s) {
  if (s.empty() || s.size() > 19 || s[0] == '0') return std::nullopt;
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v <= 0) return std::nullopt;
  return v;
}

Result<std::optional<Key>> key_cursor(const std::optional<std::string>& cursor, bool time) {
  if (!cursor) return std::optional<Key>{};
  auto j = nlohmann::json::parse(*cursor, nullptr, false);
  if (!j.is_array() || j.size() != 2 || !j[0].is_string() || !j[1].is_number_integer())
    return std::unexpected(malformed());
  // Unsigned above int64 and signed <= 0 are not ids (a float never got here).
  std::int64_t id = 0;
  if (j[1].is_number_unsigned()) {
    auto u = j[1].get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      return std::unexpected(malformed());
    id = static_cast<std::int64_t>(u);
  } else {
    id = j[1].get<std::int64_t>();
  }
  auto value = j[0].get<std::string>();
  if (id <= 0 || value.size() > kMaxKey || value.find('\0') != std::string::npos)
    return std::unexpected(malformed());
  if (time && !parse_time(value)) return std::unexpected(malformed());
  return std::optional<Key>{Key{std::move(value), id}};
}

}  // namespace

Error malformed() {
  return Error{ErrorCode::invalid, "malformed cursor; use next_cursor from the previous page",
               "cursor"};
}

Result<std::optional<std::int64_t>> parse_id(const std::optional<std::string>& cursor) {
  if (!cursor) return std::optional<std::int64_t>{};
  auto id = positive_id(*cursor);
  if (!id) return std::unexpected(malformed());
  return id;
}

std::string encode_id(std::int64_t id) { return std::to_string(id); }

Result<std::optional<Key>> parse_key(const std::optional<std::string>& cursor) {
  return key_cursor(cursor, false);
}

Result<std::optional<Key>> parse_time_key(const std::optional<std::string>& cursor) {
  return key_cursor(cursor, true);
}

std::string encode_key(std::string_view value, std::int64_t id) {
  // Keys come from stored text, which is UTF-8; never throw on a bad byte all the same.
  return nlohmann::json::array({std::string(value), id})
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace dangan::cursor
