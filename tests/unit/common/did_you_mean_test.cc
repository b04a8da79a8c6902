#include "common/did_you_mean.h"

#include <gtest/gtest.h>

namespace ecompipe {
namespace {

TEST(EditDistanceTest, CountsInsertionsDeletionsSubstitutions) {
  EXPECT_EQ(EditDistance("", ""), 0u);
  EXPECT_EQ(EditDistance("runs", "runs"), 0u);
  EXPECT_EQ(EditDistance("rnus", "runs"), 2u);
  EXPECT_EQ(EditDistance("stauts", "status"), 2u);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
}

TEST(ClosestTest, SuggestsTheNearestCloseCandidate) {
  const std::vector<std::string> commands = {"init",   "runs",  "rejects",
                                             "status", "serve", "events"};
  EXPECT_EQ(Closest("rnus", commands), "runs");
  EXPECT_EQ(Closest("rejcts", commands), "rejects");
  EXPECT_EQ(Closest("stat", commands), "status");  // a prefix
  EXPECT_EQ(Closest("frobnicate", commands), "");
  EXPECT_EQ(Closest("x", commands), "");
}

}  // namespace
}  // namespace ecompipe
