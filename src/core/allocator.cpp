// allocator.cpp — see allocator.h.
#include "core/allocator.h"

#include <jemalloc/jemalloc.h>

#include <cstdint>
#include <cstdlib>

namespace dangan::core {

namespace {
// Bytes jemalloc has handed this thread so far; 0 when it cannot tell.
std::uint64_t thread_allocated() {
  std::uint64_t n = 0;
  std::size_t size = sizeof n;
  if (mallctl("thread.allocated", &n, &size, nullptr, 0) != 0) return 0;
  return n;
}
}  // namespace

std::string allocator_name() {
  const char* version = nullptr;
  std::size_t size = sizeof version;
  if (mallctl("version", &version, &size, nullptr, 0) != 0 || version == nullptr)
    return "glibc malloc";
  // jemalloc being loaded is not enough: the C library's malloc wins when the link order
  // puts it first. Ask whether a plain malloc() went through jemalloc.
  const std::uint64_t before = thread_allocated();
  void* volatile p = std::malloc(4096);
  const std::uint64_t after = thread_allocated();
  std::free(p);
  if (after < before + 4096) return "glibc malloc";
  return std::string("jemalloc ") + version;
}

}  // namespace dangan::core
