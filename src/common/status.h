// Status and Result<T>: how every ecompipe component reports expected failures.
//
// A Status is a code, a message and an optional place (a file and line, an object key and
// line, a config key). Functions that can fail return Status or Result<T>; exceptions from
// third-party libraries are caught in the adapter that called them and never cross a module
// boundary. A rejected data row is not an error: it is data with a reason code.
//
// Thread-safety: Status and Result are plain values.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace ecompipe {

enum class StatusCode {
  kOk,
  kInvalidArgument,  // bad request or bad configuration
  kNotFound,
  kAlreadyExists,
  kCorruptInput,  // a malformed object or file
  kUnavailable,   // a server or resource is down; retryable
  kTimeout,       // retryable
  kIoError,
  kCancelled,  // stopped by a signal or by the caller
  kInternal,   // a bug
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  static Status InvalidArgument(std::string m) {
    return {StatusCode::kInvalidArgument, std::move(m)};
  }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
  static Status CorruptInput(std::string m) { return {StatusCode::kCorruptInput, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status Timeout(std::string m) { return {StatusCode::kTimeout, std::move(m)}; }
  static Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
  static Status Cancelled(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  // Names the place the error is about: "ecompipe.yaml:14", "transactions/x.csv line 812".
  // Prepended to the message by ToString().
  Status&& At(std::string place) && {
    place_ = std::move(place);
    return std::move(*this);
  }
  Status& At(std::string place) & {
    place_ = std::move(place);
    return *this;
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  bool retryable() const {
    return code_ == StatusCode::kUnavailable || code_ == StatusCode::kTimeout;
  }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::string& place() const { return place_; }

  // "place: message", or just the message when there is no place; "OK" when ok().
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::string place_;
};

// Either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  // `status` must not be OK; an OK status (a bug in the caller) becomes kInternal, so that
  // the Result still reports an error instead of claiming a value it does not hold.
  Result(Status status)  // NOLINT: implicit by design
      : v_(status.ok() ? Status::Internal("Result built from an OK status without a value")
                       : std::move(status)) {}

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace ecompipe

#define EP_CONCAT_INNER(a, b) a##b
#define EP_CONCAT(a, b) EP_CONCAT_INNER(a, b)

// Returns the Status from the enclosing function when `expr` is not OK.
#define EP_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::ecompipe::Status ep_status_ = (expr);  \
    if (!ep_status_.ok()) return ep_status_; \
  } while (0)
// `lhs` = value of a Result expression, or return its Status. bugprone-macro-parentheses is off
// here: `tmp` is a name and `lhs` may be a declaration (`auto x`); neither takes parentheses.
#define EP_ASSIGN_OR_RETURN(lhs, expr) \
  EP_ASSIGN_OR_RETURN_IMPL(EP_CONCAT(ep_result_, __LINE__), lhs, expr)
#define EP_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr)                               \
  auto tmp = (expr);                  /* NOLINT(bugprone-macro-parentheses) */ \
  if (!tmp.ok()) return tmp.status(); /* NOLINT(bugprone-macro-parentheses) */ \
  lhs = std::move(tmp).value()        // NOLINT(bugprone-macro-parentheses)
