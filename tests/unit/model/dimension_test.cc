#include "model/dimension.h"

#include <gtest/gtest.h>

namespace ecompipe::model {
namespace {

// The spelling of each dimension: an upsert_dimension target's name, a lookup's `dimension`,
// `ecompipe load-dims` output.
TEST(DimensionTest, NamesRoundTripAndOtherTextIsRefused) {
  EXPECT_EQ(DimensionName(Dimension::kProducts), "products");
  EXPECT_EQ(DimensionName(Dimension::kCustomers), "customers");
  EXPECT_EQ(ParseDimension("products"), Dimension::kProducts);
  EXPECT_EQ(ParseDimension("customers"), Dimension::kCustomers);
  for (const char* other : {"", "Products", "stores", "suppliers", "customer"})
    EXPECT_EQ(ParseDimension(other), std::nullopt) << other;
}

}  // namespace
}  // namespace ecompipe::model
