#pragma once

#include <string>
#include <utility>

#include <tl/expected.hpp>

namespace sluice {

// What went wrong, and so what the caller should do next.
enum class ErrorCode {
  kInvalidArgument,  // bad input or config: refuse it (config → exit 2)
  kIoError,          // the OS failed an operation: retryable
  kNoSpace,          // a cap was reached: take the next rung of the ladder
  kCorruption,       // stored data is damaged: quarantine it
  kUnavailable,      // a peer (the database) is down or refused: back off and retry
  kRejected,         // a peer refused the content itself: retrying will not help
  kShuttingDown,     // the component is stopping: stop submitting
};

// An error code and a human-readable message. Value type; thread-compatible.
class Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // True when the same operation may succeed later (I/O errors, an unavailable peer).
  bool retryable() const {
    return code_ == ErrorCode::kIoError || code_ == ErrorCode::kUnavailable;
  }

 private:
  ErrorCode code_;
  std::string message_;
};

// A value or an Error. Ignoring it does not compile (-Werror=unused-result).
template <typename T>
class [[nodiscard]] Result : public tl::expected<T, Error> {
 public:
  using tl::expected<T, Error>::expected;
  Result(tl::unexpected<Error> e) : tl::expected<T, Error>(std::move(e)) {}  // NOLINT
};

using Status = Result<void>;

inline tl::unexpected<Error> Fail(ErrorCode code, std::string message) {
  return tl::unexpected<Error>(Error(code, std::move(message)));
}

inline Status Ok() { return {}; }

}  // namespace sluice

// Returns the error of `expr` (a Status or Result) from the enclosing function.
#define SLUICE_RETURN_IF_ERROR(expr)                                    \
  do {                                                                  \
    auto sluice_status_ = (expr);                                       \
    if (!sluice_status_) return tl::unexpected(sluice_status_.error()); \
  } while (false)
