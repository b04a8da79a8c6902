// RunTransaction: what is committed and what is rolled back, exceptions included.
#include "common/transaction.h"

#include <gtest/gtest.h>

#include <functional>
#include <stdexcept>
#include <string>

namespace ecompipe {
namespace {

// Records the calls RunTransaction makes, in order.
struct Recorder {
  std::string calls;
  Status begin = Status::Ok();
  Status commit = Status::Ok();
  Status Run(const std::function<Status()>& body) {
    return RunTransaction(
        [&] {
          calls += "B";
          return begin;
        },
        [&] {
          calls += "C";
          return commit;
        },
        [&] { calls += "R"; },
        [&] {
          calls += "b";
          return body();
        });
  }
};

TEST(TransactionTest, CommitsWhenTheBodySucceeds) {
  Recorder r;
  EXPECT_TRUE(r.Run([] { return Status::Ok(); }).ok());
  EXPECT_EQ(r.calls, "BbC");
}

TEST(TransactionTest, BodyErrorRollsBackAndIsReturned) {
  Recorder r;
  const Status s = r.Run([] { return Status::InvalidArgument("no"); });
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.calls, "BbR");
}

TEST(TransactionTest, ExceptionRollsBackAndGoesOn) {
  Recorder r;
  EXPECT_THROW(r.Run([]() -> Status { throw std::runtime_error("boom"); }), std::runtime_error);
  EXPECT_EQ(r.calls, "BbR");
}

TEST(TransactionTest, FailedCommitRollsBack) {
  Recorder r;
  r.commit = Status::Unavailable("lost");
  EXPECT_EQ(r.Run([] { return Status::Ok(); }).code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.calls, "BbCR");
}

TEST(TransactionTest, FailedBeginRunsNothingElse) {
  Recorder r;
  r.begin = Status::Unavailable("busy");
  EXPECT_EQ(r.Run([] { return Status::Ok(); }).code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.calls, "B");
}

}  // namespace
}  // namespace ecompipe
