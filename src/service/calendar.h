// calendar.h — working time for SLA clocks: when is a ticket's deadline if it must be
// answered within N working hours, and how much working time has passed between two
// instants.
//
// A calendar is local working hours per weekday (e.g. Mon–Fri 08:30–12:00 and
// 13:30–17:30) in one time zone (an IANA name; ICU converts), plus dated exceptions:
// holidays (法定节假日, no working time) and make-up working days (调休: a Saturday or
// Sunday worked in place of a holiday, with the hours of a normal weekday, or hours of
// its own).
//
// Invariants: times in and out are UTC; add(from, 0) is the first working instant at or
// after `from`; for a ≤ b, working_seconds(a, add(a, s)) == s for every s ≥ 0; holidays
// take precedence over weekday hours; a calendar with no working time at all is refused
// when it is made (so add() always ends).
#pragma once
#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace dangan::service {

// [begin, end) in seconds since local midnight; end ≤ 86400.
struct WorkingSpan {
  int begin = 0;
  int end = 0;
  bool operator==(const WorkingSpan&) const = default;
};
using DayHours = std::vector<WorkingSpan>;

// One dated exception to the weekly hours, keyed by local date "YYYY-MM-DD".
struct CalendarDay {
  enum class Kind { holiday, workday };
  Kind kind = Kind::holiday;
  std::string name;  // 春节, 国庆节调休 …
  // For a workday: its hours; empty means "the hours of a normal Monday".
  DayHours hours;
};

struct CalendarSpec {
  std::string timezone = "Asia/Shanghai";
  // Index 0 = Monday … 6 = Sunday.
  std::array<DayHours, 7> weekly;
  std::map<std::string, CalendarDay> days;

  // Mon–Fri 08:30–12:00 and 13:30–17:30, the hours most Chinese archives keep.
  static CalendarSpec office_hours(std::string timezone = "Asia/Shanghai");
};

// "08:30-12:00,13:30-17:30" ⇄ spans. Errors name `field`.
Result<DayHours> parse_day_hours(std::string_view text, std::string_view field);
std::string format_day_hours(const DayHours& hours);

class BusinessCalendar {
 public:
  // Fails with `invalid` for an unknown time zone, overlapping or unordered spans, a
  // malformed date, or a week with no working time.
  static Result<BusinessCalendar> make(CalendarSpec spec);

  // The instant `seconds` of working time after `from` (UTC). A deadline that uses up a
  // span ends at that span's end (8 h from Monday 08:30 is Monday 17:30, not Tuesday
  // morning); add(t, 0) outside working time is the next span's beginning.
  TimePoint add(TimePoint from, std::int64_t seconds) const;
  // Working seconds in [a, b); 0 when b ≤ a.
  std::int64_t working_seconds(TimePoint a, TimePoint b) const;
  // Whether the instant falls inside working time.
  bool is_working(TimePoint t) const;
  // The local date ("YYYY-MM-DD") of a UTC instant in the calendar's time zone, and the
  // UTC instant of a local date's midnight (for reports by local day, week and month).
  std::string local_date(TimePoint t) const;
  TimePoint local_midnight(const std::string& date) const;
  // Whether the local day of `t` has any working time (a weekday with hours or a make-up
  // workday, not a holiday).
  bool is_working_day(TimePoint t) const;

  const CalendarSpec& spec() const;

 private:
  struct Data;
  explicit BusinessCalendar(std::shared_ptr<const Data> d) : d_(std::move(d)) {}
  // Local days since 1970-01-01 and seconds into that day for a UTC instant.
  std::pair<std::int64_t, std::int64_t> local(TimePoint t) const;
  TimePoint utc(std::int64_t day, std::int64_t second) const;
  const DayHours& hours_of(std::int64_t day) const;

  std::shared_ptr<const Data> d_;  // immutable, so copies are cheap and thread-safe
};

}  // namespace dangan::service
