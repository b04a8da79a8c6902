// S3Error: an error answer of the S3 REST API, as S3 words it: the HTTP status, S3's error
// code ("NoSuchKey", "SignatureDoesNotMatch") and a message. S3 clients branch on the code,
// so these are protocol data rather than ecompipe Status values; FromStatus() maps the
// storage layer's Status onto them at the boundary.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "common/status.h"

namespace ecompipe::api::s3 {

struct S3Error {
  int http_status = 500;
  std::string code = "InternalError";
  std::string message;
  // Extra elements of the XML body some clients read (botocore reads <Region> on
  // AuthorizationHeaderMalformed to redirect).
  std::string region;

  static S3Error Make(int status, std::string code, std::string message) {
    S3Error e;
    e.http_status = status;
    e.code = std::move(code);
    e.message = std::move(message);
    return e;
  }
};

// A value or an S3Error.
template <typename T>
class S3Result {
 public:
  S3Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  S3Result(S3Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design
  bool ok() const { return std::holds_alternative<T>(v_); }
  const S3Error& error() const { return std::get<S3Error>(v_); }
  T& value() { return std::get<T>(v_); }
  const T& value() const { return std::get<T>(v_); }
  T* operator->() { return &value(); }
  T& operator*() { return value(); }

 private:
  std::variant<T, S3Error> v_;
};

using S3Status = std::optional<S3Error>;  // nullopt: success

// kNotFound -> 404 `not_found_code`, kInvalidArgument -> 400 InvalidArgument,
// kUnavailable -> 503 ServiceUnavailable, anything else -> 500 InternalError with a generic
// message (the cause, which may name server paths, is logged instead).
S3Error FromStatus(const Status& status, const std::string& not_found_code = "NoSuchKey");

}  // namespace ecompipe::api::s3
