#include "api/http/connection_limiter.h"

#include <gtest/gtest.h>

#include <string>

#include "api/http/request_head.h"

namespace ecompipe::api::http {
namespace {

using Verdict = ConnectionLimiter::Verdict;

TEST(ConnectionLimiterTest, PerAddressCapRefusesOnlyThatAddress) {
  ConnectionLimiter l(100, 2);
  EXPECT_EQ(l.Admit("10.0.0.1"), Verdict::kAdmitted);
  EXPECT_EQ(l.Admit("10.0.0.1"), Verdict::kAdmitted);
  EXPECT_EQ(l.Admit("10.0.0.1"), Verdict::kAddressFull);
  EXPECT_EQ(l.Admit("10.0.0.2"), Verdict::kAdmitted);
  EXPECT_EQ(l.Of("10.0.0.1"), 2u);
  EXPECT_EQ(l.total(), 3u);  // a refusal counts nothing
}

TEST(ConnectionLimiterTest, ReleaseMakesRoomAndForgetsEmptyAddresses) {
  ConnectionLimiter l(100, 1);
  EXPECT_EQ(l.Admit("::1"), Verdict::kAdmitted);
  EXPECT_EQ(l.Admit("::1"), Verdict::kAddressFull);
  l.Release("::1");
  EXPECT_EQ(l.addresses(), 0u);
  EXPECT_EQ(l.total(), 0u);
  EXPECT_EQ(l.Admit("::1"), Verdict::kAdmitted);
}

TEST(ConnectionLimiterTest, TotalCapIsCheckedFirst) {
  ConnectionLimiter l(3, 2);
  EXPECT_EQ(l.Admit("a"), Verdict::kAdmitted);
  EXPECT_EQ(l.Admit("a"), Verdict::kAdmitted);
  EXPECT_EQ(l.Admit("b"), Verdict::kAdmitted);
  EXPECT_EQ(l.Admit("c"), Verdict::kServerFull);
  EXPECT_EQ(l.Admit("a"),
            Verdict::kServerFull);  // both caps reached: the total is reported
  l.Release("a");
  EXPECT_EQ(l.Admit("c"), Verdict::kAdmitted);
}

TEST(ConnectionLimiterTest, ZeroCapsMeanOne) {
  ConnectionLimiter l(0, 0);
  EXPECT_EQ(l.Admit("a"), Verdict::kAdmitted);
  EXPECT_EQ(l.Admit("b"), Verdict::kServerFull);
}

TEST(ScanRequestHeadTest, CompleteHeadEndsAfterTheEmptyLine) {
  const std::string req = "GET / HTTP/1.1\r\nHost: x\r\n\r\nBODY";
  size_t scanned = 0, end = 0;
  EXPECT_EQ(ScanRequestHead(req, 1024, scanned, end), HeadState::kComplete);
  EXPECT_EQ(end, req.size() - 4);
}

TEST(ScanRequestHeadTest, TerminatorSplitAcrossArrivalsIsFound) {
  const std::string req = "PUT /b/k HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n";
  // Every split point, one byte at a time as a slow client sends them.
  std::string buffered;
  size_t scanned = 0, end = 0;
  HeadState state = HeadState::kIncomplete;
  for (char c : req) {
    ASSERT_EQ(state, HeadState::kIncomplete);
    buffered.push_back(c);
    state = ScanRequestHead(buffered, 1024, scanned, end);
  }
  EXPECT_EQ(state, HeadState::kComplete);
  EXPECT_EQ(end, req.size());
}

TEST(ScanRequestHeadTest, ProgressIsKeptSoBytesAreNotRescanned) {
  std::string buffered = "GET / HTTP/1.1\r\nX: " + std::string(1000, 'a');
  size_t scanned = 0, end = 0;
  EXPECT_EQ(ScanRequestHead(buffered, 1 << 20, scanned, end), HeadState::kIncomplete);
  EXPECT_EQ(scanned, buffered.size());
  buffered += "\r\n\r\n";
  EXPECT_EQ(ScanRequestHead(buffered, 1 << 20, scanned, end), HeadState::kComplete);
  EXPECT_EQ(end, buffered.size());
}

TEST(ScanRequestHeadTest, TooLargeWithoutAnEnd) {
  std::string buffered = "GET / HTTP/1.1\r\nX: " + std::string(100, 'a');
  size_t scanned = 0, end = 0;
  EXPECT_EQ(ScanRequestHead(buffered, 64, scanned, end), HeadState::kTooLarge);
  // The end just inside the cap is a complete head; just past it is too large.
  const std::string fits = "GET / HTTP/1.1\r\n\r\n";
  scanned = 0;
  EXPECT_EQ(ScanRequestHead(fits + "xxxx", fits.size(), scanned, end), HeadState::kComplete);
  scanned = 0;
  EXPECT_EQ(ScanRequestHead(fits, fits.size() - 1, scanned, end), HeadState::kTooLarge);
}

TEST(ScanRequestHeadTest, BareLineFeedsDoNotEndAHead) {
  size_t scanned = 0, end = 0;
  EXPECT_EQ(ScanRequestHead("GET / HTTP/1.1\nHost: x\n\n", 1024, scanned, end),
            HeadState::kIncomplete);
}

}  // namespace
}  // namespace ecompipe::api::http
