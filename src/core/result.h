// result.h — errors as values across module boundaries.
//
// Every fallible call between modules returns Result<T>. An Error carries one code
// from a small closed set (http/ maps each code to one status), a message a person
// can read, and, for validation failures, the name of the offending field.
#pragma once
#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace dangan {

enum class ErrorCode {
  invalid,
  not_found,
  conflict,
  forbidden,
  unauthenticated,
  too_many_requests,
  unavailable,
  internal,
};

std::string_view to_string(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string message;
  std::string field;  // empty when the error is not about one field
};

template <class T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

inline std::unexpected<Error> fail(ErrorCode code, std::string message, std::string field = {}) {
  return std::unexpected(Error{code, std::move(message), std::move(field)});
}
inline std::unexpected<Error> invalid(std::string field, std::string message) {
  return fail(ErrorCode::invalid, std::move(message), std::move(field));
}
inline std::unexpected<Error> not_found(std::string message) {
  return fail(ErrorCode::not_found, std::move(message));
}
inline std::unexpected<Error> forbidden(std::string message = "not allowed for your role") {
  return fail(ErrorCode::forbidden, std::move(message));
}
inline std::unexpected<Error> conflict(std::string message, std::string field = {}) {
  return fail(ErrorCode::conflict, std::move(message), std::move(field));
}

}  // namespace dangan

// Propagates the error of a Result-returning expression, otherwise yields its value.
// Statement-expression (GNU) keeps call sites to one line; g++ and clang support it.
#define TRY(expr)                                                  \
  ({                                                               \
    auto&& try_result_ = (expr);                                   \
    if (!try_result_) return std::unexpected(try_result_.error()); \
    std::move(*try_result_);                                       \
  })
#define TRY_STATUS(expr)                                           \
  do {                                                             \
    auto&& try_status_ = (expr);                                   \
    if (!try_status_) return std::unexpected(try_status_.error()); \
  } while (0)
