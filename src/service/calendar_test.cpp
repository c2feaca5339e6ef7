#include "service/calendar.h"

#include <doctest/doctest.h>

#include <random>

namespace dangan::service {

namespace {

TimePoint at(const char* iso) {
  auto t = parse_time(iso);
  REQUIRE_MESSAGE(t.has_value(), iso);
  return *t;
}

std::string iso(TimePoint t) { return format_time(t); }

constexpr std::int64_t kHour = 3600;

BusinessCalendar office(CalendarSpec spec = CalendarSpec::office_hours()) {
  auto c = BusinessCalendar::make(std::move(spec));
  REQUIRE_MESSAGE(c.has_value(), (c ? "" : c.error().message));
  return *c;
}

}  // namespace

TEST_CASE("sla calendar: office hours skip lunch, evenings and weekends") {
  auto c = office();
  // 2026-11-23 is a Monday; Shanghai is UTC+8.
  CHECK(iso(c.add(at("2026-11-23T09:00:00+08:00"), 2 * kHour)) ==
        iso(at("2026-11-23T11:00:00+08:00")));
  CHECK(iso(c.add(at("2026-11-23T11:00:00+08:00"), 2 * kHour)) ==
        iso(at("2026-11-23T14:30:00+08:00")));
  // A full working day from the morning's start ends at the afternoon's end, the same day.
  CHECK(iso(c.add(at("2026-11-23T08:30:00+08:00"), static_cast<std::int64_t>(7.5 * kHour))) ==
        iso(at("2026-11-23T17:30:00+08:00")));
  // Friday afternoon into Monday morning.
  CHECK(iso(c.add(at("2026-11-27T16:30:00+08:00"), 2 * kHour)) ==
        iso(at("2026-11-30T09:30:00+08:00")));
  // Received on Saturday night: the clock starts Monday 08:30.
  CHECK(iso(c.add(at("2026-11-28T22:00:00+08:00"), 0)) == iso(at("2026-11-30T08:30:00+08:00")));
  CHECK(iso(c.add(at("2026-11-23T12:00:00+08:00"), 0)) == iso(at("2026-11-23T13:30:00+08:00")));
  // Three working days (22.5 h) from Wednesday 10:00 is Monday 10:00.
  CHECK(iso(c.add(at("2026-11-25T10:00:00+08:00"), static_cast<std::int64_t>(22.5 * kHour))) ==
        iso(at("2026-11-30T10:00:00+08:00")));

  CHECK(c.working_seconds(at("2026-11-27T16:00:00+08:00"), at("2026-11-30T09:00:00+08:00")) ==
        2 * kHour);
  CHECK(c.working_seconds(at("2026-11-28T00:00:00+08:00"), at("2026-11-29T23:59:00+08:00")) == 0);
  CHECK(c.working_seconds(at("2026-11-30T09:00:00+08:00"), at("2026-11-27T16:00:00+08:00")) == 0);
  CHECK(c.is_working(at("2026-11-23T09:00:00+08:00")));
  CHECK_FALSE(c.is_working(at("2026-11-23T12:30:00+08:00")));
  CHECK_FALSE(c.is_working(at("2026-11-28T10:00:00+08:00")));
}

TEST_CASE("sla calendar: holidays stop the clock and make-up workdays (调休) run it") {
  auto spec = CalendarSpec::office_hours();
  for (const char* d : {"2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07"})
    spec.days[d] = {CalendarDay::Kind::holiday, "国庆节", {}};
  spec.days["2026-10-10"] = {CalendarDay::Kind::workday, "国庆节调休", {}};  // a Saturday
  spec.days["2026-09-27"] = {
      CalendarDay::Kind::workday, "调休（半天）", {{9 * 3600, 12 * 3600}}};  // a Sunday
  auto c = office(spec);
  // Wednesday 30 September, 16:30, 4 working hours: 1 h that day, then the holiday week,
  // then Thursday 8 October from 08:30 (3 h: 11:30).
  CHECK(iso(c.add(at("2026-09-30T16:30:00+08:00"), 4 * kHour)) ==
        iso(at("2026-10-08T11:30:00+08:00")));
  // Friday 9 October, 16:30 + 3 h: 1 h Friday, 2 h on the make-up Saturday.
  CHECK(iso(c.add(at("2026-10-09T16:30:00+08:00"), 3 * kHour)) ==
        iso(at("2026-10-10T10:30:00+08:00")));
  // The Sunday make-up day has its own hours.
  CHECK(iso(c.add(at("2026-09-26T20:00:00+08:00"), 1 * kHour)) ==
        iso(at("2026-09-27T10:00:00+08:00")));
  CHECK(c.working_seconds(at("2026-10-01T00:00:00+08:00"), at("2026-10-08T00:00:00+08:00")) == 0);
  CHECK_FALSE(c.is_working(at("2026-10-05T10:00:00+08:00")));  // a Monday, but a holiday
  CHECK(c.is_working(at("2026-10-10T10:00:00+08:00")));        // a Saturday, but worked
}

TEST_CASE("sla calendar: adding working time and measuring it agree") {
  auto spec = CalendarSpec::office_hours();
  spec.days["2026-12-31"] = {CalendarDay::Kind::holiday, "", {}};
  spec.days["2027-01-01"] = {CalendarDay::Kind::holiday, "元旦", {}};
  auto c = office(spec);
  std::mt19937_64 rng(42);
  TimePoint base = at("2026-12-01T00:00:00Z");
  for (int i = 0; i < 2000; ++i) {
    TimePoint a = base + std::chrono::seconds{static_cast<std::int64_t>(rng() % (60 * 86400))} +
                  std::chrono::microseconds{static_cast<std::int64_t>(rng() % 1000000)};
    std::int64_t s = static_cast<std::int64_t>(rng() % (40 * kHour));
    TimePoint d = c.add(a, s);
    REQUIRE_MESSAGE(c.working_seconds(a, d) == s, iso(a) << " + " << s);
    CHECK(d >= a);
    if (s > 0) CHECK(c.is_working(d - std::chrono::seconds{1}));
    CHECK(c.add(a, s + 60) > d);
  }
}

TEST_CASE("sla calendar: local hours follow daylight saving time in the calendar's zone") {
  CalendarSpec spec;
  spec.timezone = "America/New_York";
  for (int d = 0; d < 5; ++d) spec.weekly[d] = {{9 * 3600, 17 * 3600}};
  auto c = office(spec);
  // Friday 6 March 2026 (EST, UTC−5) 16:00 + 2 h: Monday 9 March 10:00 EDT (UTC−4).
  CHECK(iso(c.add(at("2026-03-06T21:00:00Z"), 2 * kHour)) == iso(at("2026-03-09T14:00:00Z")));
}

TEST_CASE("sla calendar: bad configuration is refused with the field") {
  auto spec = CalendarSpec::office_hours("Mars/Olympus_Mons");
  auto bad_zone = BusinessCalendar::make(spec);
  REQUIRE_FALSE(bad_zone.has_value());
  CHECK(bad_zone.error().field == "timezone");

  CalendarSpec empty;
  auto no_time = BusinessCalendar::make(empty);
  REQUIRE_FALSE(no_time.has_value());
  CHECK(no_time.error().field == "weekly");

  auto overlap = CalendarSpec::office_hours();
  overlap.weekly[2] = {{9 * 3600, 13 * 3600}, {12 * 3600, 17 * 3600}};
  CHECK_FALSE(BusinessCalendar::make(overlap).has_value());

  auto bad_date = CalendarSpec::office_hours();
  bad_date.days["2026-02-30"] = {};
  auto r = BusinessCalendar::make(bad_date);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().field == "date");

  auto hours = parse_day_hours("08:30-12:00, 13:30-17:30", "hours");
  REQUIRE(hours.has_value());
  CHECK(format_day_hours(*hours) == "08:30-12:00,13:30-17:30");
  CHECK(parse_day_hours("", "hours").value().empty());
  for (const char* bad :
       {"8:30-12:00", "12:00-08:30", "08:30-25:00", "08:30", "09:00-12:00,11:00-14:00"}) {
    auto p = parse_day_hours(bad, "hours");
    CHECK_MESSAGE(!p.has_value(), bad);
    if (!p) CHECK(p.error().field == "hours");
  }
}

}  // namespace dangan::service
