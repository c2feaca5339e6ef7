// testing.h — for unit tests only: a clock the test sets, and unwrapping a Result that
// must succeed (the test fails with the error's message and field otherwise).
#pragma once
#include <doctest/doctest.h>

#include <chrono>
#include <utility>

#include "core/clock.h"
#include "core/result.h"

namespace dangan::testing {

class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint t) : now_(t) {}
  TimePoint now() const override { return now_; }
  void set(const char* iso) { now_ = *parse_time(iso); }
  void advance(std::chrono::seconds s) { now_ += s; }

 private:
  TimePoint now_;
};

template <typename T>
T must(Result<T> r) {
  if (!r) FAIL(r.error().message, " (field ", r.error().field, ")");
  return std::move(*r);
}
inline void must(Status s) {
  if (!s) FAIL(s.error().message, " (field ", s.error().field, ")");
}

}  // namespace dangan::testing
