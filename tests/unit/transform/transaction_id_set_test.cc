#include "transform/internal/transaction_id_set.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>

namespace ecompipe::transform::internal {
namespace {

// Dense, sparse (past the page budget), leading-zero and non-numeric ids, with repeats:
// Insert() answers exactly as a std::set would.
TEST(TransactionIdSetTest, AgreesWithAStringSet) {
  std::mt19937_64 rng(3);
  TransactionIdSet set;
  std::set<std::string> reference;
  for (int i = 0; i < 200000; ++i) {
    std::string id;
    switch (rng() % 5) {
      case 0:
        id = "TXN" + std::to_string(rng() % 100000);
        break;  // dense
      case 1:
        id = "TXN" + std::to_string(rng() % 1000000000000ULL);
        break;  // sparse
      case 2:
        id = "TXN0" + std::to_string(rng() % 1000);
        break;  // leading zero
      case 3:
        id = "TXN" + std::to_string(i);
        break;  // increasing
      default:
        id = "X" + std::to_string(rng() % 1000);
        break;  // non-numeric
    }
    ASSERT_EQ(set.Insert(id), reference.insert(id).second) << id;
  }
  EXPECT_EQ(set.size(), reference.size());
}

}  // namespace
}  // namespace ecompipe::transform::internal
