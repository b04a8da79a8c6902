#include "common/status.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace ecompipe {
namespace {

using ::testing::HasSubstr;

const std::vector<StatusCode> kAllCodes = {StatusCode::kOk,           StatusCode::kInvalidArgument,
                                           StatusCode::kNotFound,     StatusCode::kAlreadyExists,
                                           StatusCode::kCorruptInput, StatusCode::kUnavailable,
                                           StatusCode::kTimeout,      StatusCode::kIoError,
                                           StatusCode::kCancelled,    StatusCode::kInternal};

Result<int> Half(int n) {
  if (n % 2 != 0) return Status::InvalidArgument(std::to_string(n) + " is odd");
  return n / 2;
}

Result<int> Quarter(int n) {
  EP_ASSIGN_OR_RETURN(int half, Half(n));
  EP_ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

Status CheckBoth(const Status& a, const Status& b, int& checked) {
  EP_RETURN_IF_ERROR(a);
  ++checked;
  EP_RETURN_IF_ERROR(b);
  ++checked;
  return Status::Ok();
}

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.ToString(), "OK");
  EXPECT_TRUE(Status::Ok().ok());
}

TEST(StatusTest, FactoriesSetCodeAndMessage) {
  EXPECT_EQ(Status::InvalidArgument("m").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Status::NotFound("m").code(), StatusCode::kNotFound);
  EXPECT_EQ(Status::AlreadyExists("m").code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(Status::CorruptInput("m").code(), StatusCode::kCorruptInput);
  EXPECT_EQ(Status::Unavailable("m").code(), StatusCode::kUnavailable);
  EXPECT_EQ(Status::Timeout("m").code(), StatusCode::kTimeout);
  EXPECT_EQ(Status::IoError("m").code(), StatusCode::kIoError);
  EXPECT_EQ(Status::Cancelled("m").code(), StatusCode::kCancelled);
  Status s = Status::Internal("a bug");
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_EQ(s.message(), "a bug");
  EXPECT_FALSE(s.ok());
}

TEST(StatusTest, ToStringPrefixesThePlace) {
  Status s = Status::InvalidArgument("unknown key 'warehose'").At("ecompipe.yaml:14");
  EXPECT_EQ(s.place(), "ecompipe.yaml:14");
  EXPECT_EQ(s.message(), "unknown key 'warehose'");
  EXPECT_EQ(s.ToString(), "ecompipe.yaml:14: unknown key 'warehose'");
}

TEST(StatusTest, ToStringWithoutPlaceIsTheMessage) {
  EXPECT_EQ(Status::NotFound("no such object").ToString(), "no such object");
}

TEST(StatusTest, AtOnAnLvalueSetsThePlaceInPlace) {
  Status s = Status::CorruptInput("9 fields, header has 8");
  s.At("x.csv line 812");
  EXPECT_EQ(s.ToString(), "x.csv line 812: 9 fields, header has 8");
}

TEST(StatusTest, OnlyUnavailableAndTimeoutAreRetryable) {
  for (StatusCode code : kAllCodes) {
    Status s(code, "m");
    bool expected = code == StatusCode::kUnavailable || code == StatusCode::kTimeout;
    EXPECT_EQ(s.retryable(), expected) << StatusCodeName(code);
  }
}

TEST(StatusTest, EveryCodeHasADistinctName) {
  std::vector<std::string> names;
  for (StatusCode code : kAllCodes) {
    std::string name(StatusCodeName(code));
    EXPECT_NE(name, "Unknown");
    EXPECT_EQ(std::count(names.begin(), names.end(), name), 0) << name;
    names.push_back(name);
  }
  EXPECT_EQ(StatusCodeName(StatusCode::kOk), "OK");
  EXPECT_EQ(StatusCodeName(StatusCode::kUnavailable), "Unavailable");
}

TEST(ResultTest, HoldsAValue) {
  Result<std::string> r = std::string("v");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.status().ok());
  EXPECT_EQ(*r, "v");
  EXPECT_EQ(r->size(), 1u);
}

TEST(ResultTest, HoldsAnError) {
  Result<int> r = Status::NotFound("gone");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(), "gone");
}

TEST(ResultTest, HoldsAMoveOnlyValue) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(7);
  ASSERT_TRUE(r.ok());
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 7);
}

// Regression: a Result built from an OK Status reported !ok() but its status() was OK, so
// EP_ASSIGN_OR_RETURN returned "success" from a function that produced nothing.
TEST(ResultTest, BuiltFromAnOkStatusIsAnInternalError) {
  Result<int> r = Status::Ok();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
  EXPECT_FALSE(r.status().ok());
}

TEST(ResultTest, AssignOrReturnAssignsTheValue) {
  Result<int> r = Quarter(12);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 3);
}

TEST(ResultTest, AssignOrReturnReturnsTheFirstError) {
  Result<int> r = Quarter(6);  // 6 -> 3 -> odd
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "3 is odd");
}

TEST(StatusTest, ReturnIfErrorStopsAtTheFirstError) {
  int checked = 0;
  Status s = CheckBoth(Status::Ok(), Status::IoError("disk"), checked);
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_EQ(checked, 1);
  checked = 0;
  EXPECT_TRUE(CheckBoth(Status::Ok(), Status::Ok(), checked).ok());
  EXPECT_EQ(checked, 2);
  checked = 0;
  EXPECT_THAT(CheckBoth(Status::Timeout("slow"), Status::Ok(), checked).message(),
              HasSubstr("slow"));
  EXPECT_EQ(checked, 0);
}

}  // namespace
}  // namespace ecompipe
