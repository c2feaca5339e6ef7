#include "core/allocator.h"

#include <doctest/doctest.h>

#include <string>

using namespace dangan;

TEST_CASE("allocator: malloc is jemalloc's, so loads run on the allocator they were measured on") {
  // A build that lost the link (or put the C library's malloc first) indexes ~10% slower
  // (BENCHMARKS.md "Session 7"); this catches it.
  const std::string name = core::allocator_name();
  CHECK(name.rfind("jemalloc 5.", 0) == 0);
}
