// clock.h — time comes in through this interface so that deadlines, session timeouts
// and retention can be tested at any date. Times are UTC; the API speaks ISO 8601.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dangan {

using TimePoint = std::chrono::sys_time<std::chrono::microseconds>;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

// The process clock: the system clock, unless DANGAN_FAKE_NOW_OFFSET_S shifts it
// (used by tests that need to cross a session timeout without waiting).
const Clock& system_clock();

// "2026-11-25T22:00:16.123456Z" — fixed width, so text order is time order.
std::string format_time(TimePoint t);
// Accepts "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SS[.ffffff](Z|+08:00)".
std::optional<TimePoint> parse_time(std::string_view s);
// "YYYY-MM-DD" validity (calendar aware).
bool valid_date(std::string_view s);

}  // namespace dangan
