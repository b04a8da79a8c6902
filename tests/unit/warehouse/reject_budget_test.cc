#include "warehouse/reject_budget.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ecompipe::warehouse {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

TEST(RejectBudgetTest, StoresUpToTheRowLimitThenCountsByReason) {
  RejectBudget budget({3, 1 << 20});
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(budget.Admit("duplicate_transaction_id", 60));
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(budget.Admit("duplicate_transaction_id", 60));
  EXPECT_FALSE(budget.Admit("invalid_date", 60));
  EXPECT_EQ(budget.stored_rows(), 3);
  EXPECT_EQ(budget.not_stored(), 6);
  EXPECT_THAT(budget.not_stored_reasons(),
              ElementsAre(Pair("duplicate_transaction_id", 5), Pair("invalid_date", 1)));
  EXPECT_EQ(budget.Summary(),
            "6 rejects not stored, beyond max_stored_rejects 3 (counted by reason: "
            "duplicate_transaction_id 5, invalid_date 1)");
}

TEST(RejectBudgetTest, ByteLimitStopsStoringAndLaterSmallRejectsStayCounted) {
  RejectBudget budget({100, 100});
  EXPECT_TRUE(budget.Admit("line_too_long", 80));
  EXPECT_FALSE(budget.Admit("line_too_long", 30));  // 110 bytes: over
  EXPECT_FALSE(budget.Admit("invalid_date", 1));    // would fit, but the stored ones stay a prefix
  EXPECT_EQ(budget.Summary(),
            "2 rejects not stored, beyond max_stored_reject_bytes 100 (counted by reason: "
            "invalid_date 1, line_too_long 1)");
}

TEST(RejectBudgetTest, EverythingStoredHasNoSummaryAndZeroStoresNone) {
  RejectBudget budget;
  EXPECT_TRUE(budget.Admit("invalid_date", 10));
  EXPECT_EQ(budget.Summary(), "");
  RejectBudget none({0, 0});
  EXPECT_FALSE(none.Admit("invalid_date", 0));
  EXPECT_EQ(none.not_stored(), 1);
}

TEST(RejectBudgetTest, BulkCountsWhatAStatementDidNotStore) {
  RejectBudget budget({10, 1 << 20});
  EXPECT_TRUE(budget.Admit("invalid_date", 5));
  EXPECT_EQ(budget.RowsLeft(), 9);
  budget.CountBulk("duplicate_transaction_id", 100, 9);
  EXPECT_EQ(budget.RowsLeft(), 0);
  EXPECT_EQ(budget.stored_rows(), 10);
  EXPECT_EQ(budget.not_stored(), 91);
  EXPECT_FALSE(budget.Admit("invalid_date", 5));
}

}  // namespace
}  // namespace ecompipe::warehouse
