#include "service/calendar.h"

#include <unicode/timezone.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <cstdio>
#include <charconv>
#include <cstdio>

namespace dangan::service {

namespace {

constexpr std::int64_t kDay = 86400;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// 1970-01-01 was a Thursday; Monday is 0.
int weekday_of(std::int64_t day) { return static_cast<int>(((day + 3) % 7 + 7) % 7); }

std::optional<std::int64_t> day_of_date(std::string_view s) {
  if (!valid_date(s) || s.size() != 10) return std::nullopt;
  int y = 0;
  unsigned m = 0, d = 0;
  std::from_chars(s.data(), s.data() + 4, y);
  std::from_chars(s.data() + 5, s.data() + 7, m);
  std::from_chars(s.data() + 8, s.data() + 10, d);
  std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
  return std::chrono::sys_days{ymd}.time_since_epoch().count();
}

Status check_hours(const DayHours& hours, const std::string& field) {
  int last_end = -1;
  for (const auto& s : hours) {
    if (s.begin < 0 || s.end > kDay || s.begin >= s.end)
      return invalid(field, "a working span must start before it ends, within one day");
    if (s.begin < last_end) return invalid(field, "working spans must be in order and not overlap");
    last_end = s.end;
  }
  return {};
}

std::int64_t total(const DayHours& hours) {
  std::int64_t n = 0;
  for (const auto& s : hours) n += s.end - s.begin;
  return n;
}

std::optional<int> parse_clock(std::string_view t) {
  // "HH:MM", 00:00–24:00
  if (t.size() != 5 || t[2] != ':') return std::nullopt;
  int h = 0, m = 0;
  if (std::from_chars(t.data(), t.data() + 2, h).ptr != t.data() + 2) return std::nullopt;
  if (std::from_chars(t.data() + 3, t.data() + 5, m).ptr != t.data() + 5) return std::nullopt;
  if (h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0)) return std::nullopt;
  return h * 3600 + m * 60;
}

}  // namespace

struct BusinessCalendar::Data {
  CalendarSpec spec;
  std::unique_ptr<icu::TimeZone> zone;
  std::map<std::int64_t, DayHours> exceptions;  // local day → its hours (empty: holiday)
};

CalendarSpec CalendarSpec::office_hours(std::string timezone) {
  CalendarSpec s;
  s.timezone = std::move(timezone);
  for (int d = 0; d < 5; ++d)
    s.weekly[d] = {{8 * 3600 + 30 * 60, 12 * 3600}, {13 * 3600 + 30 * 60, 17 * 3600 + 30 * 60}};
  return s;
}

Result<DayHours> parse_day_hours(std::string_view text, std::string_view field) {
  DayHours out;
  std::string f(field);
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t comma = text.find(',', pos);
    std::string_view part =
        text.substr(pos, comma == std::string_view::npos ? text.npos : comma - pos);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    auto dash = part.find('-');
    auto b = dash == part.npos ? std::nullopt : parse_clock(part.substr(0, dash));
    auto e = dash == part.npos ? std::nullopt : parse_clock(part.substr(dash + 1));
    if (!b || !e)
      return invalid(f, "write working hours as HH:MM-HH:MM, several separated by commas");
    out.push_back({*b, *e});
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  TRY_STATUS(check_hours(out, f));
  return out;
}

std::string format_day_hours(const DayHours& hours) {
  std::string out;
  auto clock = [](int s) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%02d:%02d", s / 3600, s % 3600 / 60);
    return std::string(buf);
  };
  for (const auto& s : hours) {
    if (!out.empty()) out += ',';
    out += clock(s.begin) + "-" + clock(s.end);
  }
  return out;
}

Result<BusinessCalendar> BusinessCalendar::make(CalendarSpec spec) {
  auto d = std::make_shared<Data>();
  icu::UnicodeString id = icu::UnicodeString::fromUTF8(spec.timezone);
  d->zone.reset(icu::TimeZone::createTimeZone(id));
  icu::UnicodeString got;
  d->zone->getID(got);
  if (spec.timezone.empty() || got == icu::UnicodeString("Etc/Unknown"))
    return invalid("timezone", "unknown time zone " + spec.timezone +
                                   " (use an IANA name such as Asia/Shanghai)");
  std::int64_t week = 0;
  for (int i = 0; i < 7; ++i) {
    TRY_STATUS(check_hours(spec.weekly[i], "weekly"));
    week += total(spec.weekly[i]);
  }
  if (week == 0) return invalid("weekly", "the week has no working time");
  for (const auto& [date, day] : spec.days) {
    auto n = day_of_date(date);
    if (!n) return invalid("date", "not a date: " + date);
    if (day.kind == CalendarDay::Kind::holiday) {
      d->exceptions[*n] = {};
    } else {
      TRY_STATUS(check_hours(day.hours, "hours"));
      d->exceptions[*n] = day.hours.empty() ? spec.weekly[0] : day.hours;
    }
  }
  d->spec = std::move(spec);
  return BusinessCalendar(std::move(d));
}

const CalendarSpec& BusinessCalendar::spec() const { return d_->spec; }

std::pair<std::int64_t, std::int64_t> BusinessCalendar::local(TimePoint t) const {
  std::int64_t us = t.time_since_epoch().count();
  std::int64_t utc_s = floor_div(us, 1000000);
  int32_t raw = 0, dst = 0;
  UErrorCode err = U_ZERO_ERROR;
  d_->zone->getOffset(static_cast<UDate>(utc_s) * 1000.0, false, raw, dst, err);
  std::int64_t s = utc_s + (U_SUCCESS(err) ? (raw + dst) / 1000 : 0);
  std::int64_t day = floor_div(s, kDay);
  return {day, s - day * kDay};
}

TimePoint BusinessCalendar::utc(std::int64_t day, std::int64_t second) const {
  std::int64_t local_s = day * kDay + second;
  int32_t raw = 0, dst = 0;
  UErrorCode err = U_ZERO_ERROR;
  d_->zone->getOffset(static_cast<UDate>(local_s) * 1000.0, true, raw, dst, err);
  std::int64_t s = local_s - (U_SUCCESS(err) ? (raw + dst) / 1000 : 0);
  return TimePoint{std::chrono::seconds{s}};
}

std::string BusinessCalendar::local_date(TimePoint t) const {
  std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{local(t).first}}};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

TimePoint BusinessCalendar::local_midnight(const std::string& date) const {
  int y = 1970;
  unsigned m = 1, d = 1;
  std::sscanf(date.c_str(), "%d-%u-%u", &y, &m, &d);
  std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
  return utc(std::chrono::sys_days{ymd}.time_since_epoch().count(), 0);
}

const DayHours& BusinessCalendar::hours_of(std::int64_t day) const {
  if (auto it = d_->exceptions.find(day); it != d_->exceptions.end()) return it->second;
  return d_->spec.weekly[weekday_of(day)];
}

TimePoint BusinessCalendar::add(TimePoint from, std::int64_t seconds) const {
  auto [day, sec] = local(from);
  // Sub-second part of `from` is dropped only when we move to a span's start.
  std::int64_t frac = from.time_since_epoch().count() -
                      floor_div(from.time_since_epoch().count(), 1000000) * 1000000;
  std::int64_t left = std::max<std::int64_t>(seconds, 0);
  for (bool first = true;; ++day, sec = 0, first = false) {
    for (const auto& span : hours_of(day)) {
      if (span.end <= sec) continue;
      bool inside = first && sec >= span.begin;
      std::int64_t start = std::max<std::int64_t>(span.begin, sec);
      std::int64_t avail = span.end - start;
      if (left < avail || (left == avail && left > 0)) {
        TimePoint at = utc(day, start + left);
        return inside ? at + std::chrono::microseconds{frac} : at;
      }
      left -= avail;
      first = false;
      sec = span.end;
    }
  }
}

std::int64_t BusinessCalendar::working_seconds(TimePoint a, TimePoint b) const {
  if (b <= a) return 0;
  auto [da, sa] = local(a);
  auto [db, sb] = local(b);
  std::int64_t n = 0;
  for (std::int64_t day = da; day <= db; ++day) {
    std::int64_t lo = day == da ? sa : 0;
    std::int64_t hi = day == db ? sb : kDay;
    for (const auto& span : hours_of(day)) {
      std::int64_t s = std::max<std::int64_t>(span.begin, lo),
                   e = std::min<std::int64_t>(span.end, hi);
      if (e > s) n += e - s;
    }
  }
  return n;
}

bool BusinessCalendar::is_working(TimePoint t) const {
  auto [day, sec] = local(t);
  for (const auto& span : hours_of(day))
    if (sec >= span.begin && sec < span.end) return true;
  return false;
}

bool BusinessCalendar::is_working_day(TimePoint t) const {
  return !hours_of(local(t).first).empty();
}

}  // namespace dangan::service
