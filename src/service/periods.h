// periods.h — the weeks (Monday to Sunday) or months of a report, as local dates on
// the desk's calendar; shared by the quality reports (quality.h). Not for other modules.
#pragma once
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "core/result.h"
#include "service/calendar.h"
#include "service/quality.h"

namespace dangan::service::detail {

struct Periods {
  std::vector<std::string> starts;  // local dates, ascending
  std::string first_day, last_day;  // local dates, inclusive
  std::string from_utc, to_utc;     // [from, to) as stored times
  const BusinessCalendar* cal = nullptr;
  bool weekly = true;

  static std::chrono::sys_days parse(const std::string& s) {
    int y = 1970;
    unsigned m = 1, d = 1;
    std::sscanf(s.c_str(), "%d-%u-%u", &y, &m, &d);
    return std::chrono::sys_days{
        std::chrono::year_month_day{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}}};
  }
  static std::string format(std::chrono::sys_days d) {
    std::chrono::year_month_day ymd{d};
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    return buf;
  }
  std::chrono::sys_days start_of(std::chrono::sys_days d) const {
    using namespace std::chrono;
    if (weekly) return d - days{(weekday{d}.c_encoding() + 6) % 7};
    year_month_day ymd{d};
    return sys_days{ymd.year() / ymd.month() / 1};
  }
  std::chrono::sys_days next(std::chrono::sys_days d) const {
    using namespace std::chrono;
    if (weekly) return d + days{7};
    year_month_day ymd{d};
    return sys_days{year_month_day{ymd.year() / ymd.month() / 1} + months{1}};
  }
  std::chrono::sys_days previous(std::chrono::sys_days d) const {
    using namespace std::chrono;
    if (weekly) return d - days{7};
    year_month_day ymd{d};
    return sys_days{year_month_day{ymd.year() / ymd.month() / 1} - months{1}};
  }
  // The index of the period a stored UTC time falls in, or -1.
  int index_of(const std::string& stored) const {
    auto tp = parse_time(stored);
    if (!tp) return -1;
    std::string b = format(start_of(parse(cal->local_date(*tp))));
    for (std::size_t i = 0; i < starts.size(); ++i)
      if (starts[i] == b) return static_cast<int>(i);
    return -1;
  }
};

// `q.period` week or month; from/to local dates (default: 12 periods ending today).
inline Result<Periods> make_periods(const BusinessCalendar& cal, TimePoint now,
                                    const TrendQuery& q) {
  if (q.period != "week" && q.period != "month") return invalid("period", "period is week or month");
  if (q.from && !valid_date(*q.from)) return invalid("from", "from is a date YYYY-MM-DD");
  if (q.to && !valid_date(*q.to)) return invalid("to", "to is a date YYYY-MM-DD");
  Periods p;
  p.cal = &cal;
  p.weekly = q.period == "week";
  auto last = p.start_of(Periods::parse(q.to ? *q.to : cal.local_date(now)));
  auto first = last;
  if (q.from) {
    first = p.start_of(Periods::parse(*q.from));
  } else {
    for (int i = 0; i < 11; ++i) first = p.previous(first);
  }
  if (first > last) return invalid("from", "from is after to");
  for (auto d = first; d <= last; d = p.next(d)) {
    p.starts.push_back(Periods::format(d));
    if (p.starts.size() > 400) return invalid("from", "at most 400 periods at once");
  }
  p.first_day = p.starts.front();
  p.last_day = Periods::format(p.next(last) - std::chrono::days{1});
  p.from_utc = format_time(cal.local_midnight(p.first_day));
  p.to_utc = format_time(cal.local_midnight(Periods::format(p.next(last))));
  return p;
}

}  // namespace dangan::service::detail
