#include "core/clock.h"

#include <cstdio>
#include <cstdlib>

namespace dangan {
namespace {

class SystemClock final : public Clock {
 public:
  SystemClock() {
    if (const char* s = std::getenv("DANGAN_FAKE_NOW_OFFSET_S")) offset_ = std::atoll(s);
  }
  TimePoint now() const override {
    return std::chrono::time_point_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now()) +
           std::chrono::seconds(offset_);
  }

 private:
  long long offset_ = 0;
};

bool digits(std::string_view s) {
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return !s.empty();
}

int num(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

}  // namespace

const Clock& system_clock() {
  static SystemClock clock;
  return clock;
}

std::string format_time(TimePoint t) {
  using namespace std::chrono;
  auto day = floor<days>(t);
  year_month_day ymd{day};
  hh_mm_ss hms{t - day};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%06lldZ", int(ymd.year()),
                unsigned(ymd.month()), unsigned(ymd.day()), int(hms.hours().count()),
                int(hms.minutes().count()), int(hms.seconds().count()),
                static_cast<long long>(hms.subseconds().count()));
  return buf;
}

bool valid_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  if (!digits(s.substr(0, 4)) || !digits(s.substr(5, 2)) || !digits(s.substr(8, 2))) return false;
  using namespace std::chrono;
  year_month_day ymd{year(num(s.substr(0, 4))), month(unsigned(num(s.substr(5, 2)))),
                     day(unsigned(num(s.substr(8, 2))))};
  return ymd.ok();
}

std::optional<TimePoint> parse_time(std::string_view s) {
  using namespace std::chrono;
  if (s.size() < 10 || !valid_date(s.substr(0, 10))) return std::nullopt;
  sys_days d{year_month_day{year(num(s.substr(0, 4))), month(unsigned(num(s.substr(5, 2)))),
                            day(unsigned(num(s.substr(8, 2))))}};
  TimePoint t = d;
  if (s.size() == 10) return t;
  if ((s[10] != 'T' && s[10] != ' ') || s.size() < 19 || s[13] != ':' || s[16] != ':')
    return std::nullopt;
  auto hh = s.substr(11, 2), mm = s.substr(14, 2), ss = s.substr(17, 2);
  if (!digits(hh) || !digits(mm) || !digits(ss)) return std::nullopt;
  if (num(hh) > 23 || num(mm) > 59 || num(ss) > 60) return std::nullopt;
  t += hours(num(hh)) + minutes(num(mm)) + seconds(num(ss));
  std::size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    std::size_t j = i + 1;
    long long frac = 0;
    int n = 0;
    while (j < s.size() && s[j] >= '0' && s[j] <= '9') {
      if (n < 6) frac = frac * 10 + (s[j] - '0'), ++n;
      ++j;
    }
    if (j == i + 1) return std::nullopt;
    while (n < 6) frac *= 10, ++n;
    t += microseconds(frac);
    i = j;
  }
  if (i == s.size()) return t;  // no zone: UTC
  if (s[i] == 'Z' && i + 1 == s.size()) return t;
  if ((s[i] == '+' || s[i] == '-') && s.size() == i + 6 && s[i + 3] == ':') {
    auto oh = s.substr(i + 1, 2), om = s.substr(i + 4, 2);
    if (!digits(oh) || !digits(om)) return std::nullopt;
    auto off = hours(num(oh)) + minutes(num(om));
    return s[i] == '+' ? t - off : t + off;
  }
  return std::nullopt;
}

}  // namespace dangan
