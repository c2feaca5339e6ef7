// allocator.h — which memory allocator the process runs on.
//
// dangan links jemalloc (Debian's libjemalloc2), which takes over malloc and free for the
// whole process, the libraries included (SQLite, ICU, OpenCC). Text preparation and index
// writing allocate many small strings on several threads; with glibc's allocator they
// spent about a tenth of their time in malloc and free (measured at 300k records:
// BENCHMARKS.md "Session 7"). This tells the start-up log and the tests which allocator
// is in use, so a build that lost the link shows it.
#pragma once
#include <string>

namespace dangan::core {

// "jemalloc 5.3.0-…" when jemalloc serves malloc, else "glibc malloc".
std::string allocator_name();

}  // namespace dangan::core
