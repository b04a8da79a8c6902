#include "common/ids.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <mutex>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace ecompipe {
namespace {

const std::regex kUuidV4("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
const std::regex kJobRunId("^jr_[0-9a-f]{64}$");

TEST(IdsTest, UuidIsVersion4WithTheRfc4122Variant) {
  for (int i = 0; i < 2000; ++i) {
    std::string id = NewUuid();
    ASSERT_EQ(id.size(), 36u) << id;
    ASSERT_TRUE(std::regex_match(id, kUuidV4)) << id;
  }
}

TEST(IdsTest, UuidVariantTakesAllFourValues) {
  std::set<char> variants;
  for (int i = 0; i < 2000; ++i) variants.insert(NewUuid()[19]);
  EXPECT_EQ(variants, (std::set<char>{'8', '9', 'a', 'b'}));
}

TEST(IdsTest, UuidsAreUnique) {
  std::set<std::string> ids;
  for (int i = 0; i < 10000; ++i) ids.insert(NewUuid());
  EXPECT_EQ(ids.size(), 10000u);
}

TEST(IdsTest, JobRunIdIsJrAnd64LowercaseHexDigits) {
  for (int i = 0; i < 200; ++i) {
    std::string id = NewJobRunId();
    ASSERT_EQ(id.size(), 67u) << id;
    ASSERT_TRUE(std::regex_match(id, kJobRunId)) << id;
  }
  EXPECT_NE(NewJobRunId(), NewJobRunId());
}

TEST(IdsTest, NewHexHasTwoLowercaseDigitsPerByte) {
  for (int bytes : {1, 8, 16, 33}) {
    std::string h = NewHex(bytes);
    EXPECT_EQ(h.size(), static_cast<size_t>(bytes) * 2);
    EXPECT_TRUE(std::regex_match(h, std::regex("^[0-9a-f]*$"))) << h;
  }
}

// Regression: a negative count built a std::vector of ~2^64 elements and threw.
TEST(IdsTest, NewHexOfZeroOrNegativeBytesIsEmpty) {
  EXPECT_EQ(NewHex(0), "");
  EXPECT_EQ(NewHex(-1), "");
}

TEST(IdsTest, IdsDrawnOnManyThreadsAreUnique) {
  std::mutex mu;
  std::set<std::string> ids;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      std::vector<std::string> mine;
      for (int i = 0; i < 2000; ++i) mine.push_back(NewUuid());
      std::lock_guard lock(mu);
      ids.insert(mine.begin(), mine.end());
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ids.size(), 8000u);
}

}  // namespace
}  // namespace ecompipe
