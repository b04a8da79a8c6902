#include "common/time_util.h"

#include <gtest/gtest.h>

namespace ecompipe {
namespace {

// The one UTC calendar-to-epoch conversion the S3 endpoint's X-Amz-Date and the S3 client's
// ListObjectsV2 LastModified both use.
TEST(TimeUtilTest, UtcEpochSecondsOfKnownTimes) {
  EXPECT_EQ(UtcEpochSeconds(1970, 1, 1, 0, 0, 0), 0);
  EXPECT_EQ(UtcEpochSeconds(2015, 8, 30, 12, 36, 0), 1440938160);  // the SigV4 suite's time
  EXPECT_EQ(UtcEpochSeconds(2024, 2, 29, 23, 59, 59), 1709251199);
  EXPECT_EQ(UtcEpochSeconds(2016, 12, 31, 23, 59, 60), 1483228800);  // a leap second: the next
  EXPECT_EQ(FormatIsoMillis(*UtcEpochSeconds(2026, 11, 26, 14, 3, 35) * 1000),
            "2026-11-26T14:03:35.000Z");
}

TEST(TimeUtilTest, UtcEpochSecondsRefusesFieldsOutOfRange) {
  EXPECT_EQ(UtcEpochSeconds(2026, 0, 1, 0, 0, 0), std::nullopt);
  EXPECT_EQ(UtcEpochSeconds(2026, 13, 1, 0, 0, 0), std::nullopt);
  EXPECT_EQ(UtcEpochSeconds(2026, 1, 0, 0, 0, 0), std::nullopt);
  EXPECT_EQ(UtcEpochSeconds(2026, 1, 32, 0, 0, 0), std::nullopt);
  EXPECT_EQ(UtcEpochSeconds(2013, 2, 31, 0, 0, 0), std::nullopt);
  EXPECT_EQ(UtcEpochSeconds(2023, 2, 29, 0, 0, 0), std::nullopt);
  EXPECT_EQ(UtcEpochSeconds(2026, 1, 1, 24, 0, 0), std::nullopt);
  EXPECT_EQ(UtcEpochSeconds(2026, 1, 1, -1, 0, 0), std::nullopt);
  EXPECT_EQ(UtcEpochSeconds(2026, 1, 1, 0, 60, 0), std::nullopt);
  EXPECT_EQ(UtcEpochSeconds(2026, 1, 1, 0, 0, 61), std::nullopt);
}

}  // namespace
}  // namespace ecompipe
