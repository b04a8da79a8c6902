#include "transform/rules.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace ecompipe::transform {
namespace {

TEST(RulesTest, TransactionIdIsTxnAndDigits) {
  EXPECT_TRUE(IsTransactionId("TXN04817263"));
  EXPECT_TRUE(IsTransactionId("TXN1"));
  for (const char* bad :
       {"", "TXN", "txn1", "TXN1a", "TXN 1", " TXN1", "TXN1 ", "T000001", "TXN-1"}) {
    EXPECT_FALSE(IsTransactionId(bad)) << bad;
  }
}

TEST(RulesTest, CustomerIdIsCAndDigits) {
  EXPECT_TRUE(IsCustomerId("C12345"));
  EXPECT_TRUE(IsCustomerId("C0000001"));
  for (const char* bad :
       {"", "C", "CUST12", "c0000012", "C-12", "C 12", "C12a", "C0000009 ", " C1"}) {
    EXPECT_FALSE(IsCustomerId(bad)) << bad;
  }
}

TEST(RulesTest, ProductIdIsPAndDigits) {
  EXPECT_TRUE(IsProductId("P12345"));
  for (const char* bad : {"", "P", "p00001", "P12x", "P 3", "PX1"}) {
    EXPECT_FALSE(IsProductId(bad)) << bad;
  }
}

// Ids of up to 18 digits are decided by their numeric key, longer ones digit by digit: both
// ways give the rule's answer.
TEST(RulesTest, IdsLongerThanAKeyFollowTheSameRule) {
  const std::string digits18(18, '7');
  EXPECT_TRUE(IsCustomerId("C" + digits18));
  EXPECT_TRUE(IsCustomerId("C" + digits18 + "1"));
  EXPECT_TRUE(IsTransactionId("TXN" + std::string(40, '0')));
  EXPECT_FALSE(IsCustomerId("C" + digits18 + "x"));
  EXPECT_FALSE(IsProductId("P" + digits18 + "12 "));
  EXPECT_FALSE(IsTransactionId("TXM" + digits18 + "1"));
  EXPECT_EQ(internal::IdKey("C" + digits18 + "1", "C"), internal::kNoIdKey);
  EXPECT_NE(internal::IdKey("C" + digits18, "C"), internal::kNoIdKey);
  EXPECT_NE(internal::IdKey("C012", "C"), internal::IdKey("C12", "C"));
}

// IdKey reads up to eight digits at once; it must agree with a digit-by-digit reading for
// every length, prefix, and position of a bad byte.
TEST(RulesTest, IdKeyAgreesWithADigitByDigitReading) {
  const auto reference = [](std::string_view id, std::string_view prefix) -> uint64_t {
    if (id.size() <= prefix.size() || id.substr(0, prefix.size()) != prefix)
      return internal::kNoIdKey;
    const std::string_view digits = id.substr(prefix.size());
    if (digits.size() > internal::kMaxIdKeyDigits) return internal::kNoIdKey;
    uint64_t value = 0;
    for (const char c : digits) {
      if (c < '0' || c > '9') return internal::kNoIdKey;
      value = value * 10 + static_cast<uint64_t>(c - '0');
    }
    return internal::kIdKeyLengthBase[digits.size()] + value;
  };
  uint64_t seed = 12345;
  const auto next = [&] { return seed = seed * 6364136223846793005ULL + 1442695040888963407ULL; };
  for (const std::string_view prefix : {"C", "P", "TXN"}) {
    for (size_t n = 0; n <= 20; ++n) {
      for (int trial = 0; trial < 20; ++trial) {
        std::string id(prefix);
        for (size_t i = 0; i < n; ++i) id.push_back(static_cast<char>('0' + (next() >> 33) % 10));
        EXPECT_EQ(internal::IdKey(id, prefix), reference(id, prefix)) << id;
        for (size_t at = 0; at < id.size(); ++at) {  // one bad byte anywhere
          for (const char bad : {'/', ':', 'a', ' ', '\0', '\x80', '\xB9', '\xFF', 'C'}) {
            std::string broken = id;
            broken[at] = bad;
            EXPECT_EQ(internal::IdKey(broken, prefix), reference(broken, prefix)) << broken;
          }
        }
      }
    }
  }
  EXPECT_EQ(internal::IdKey("C99999999", "C"), internal::kIdKeyLengthBase[8] + 99999999);
  EXPECT_EQ(internal::IdKey("TXN999999999999999999", "TXN"),
            internal::kIdKeyLengthBase[18] + 999999999999999999ULL);
}

TEST(RulesTest, QuantityWithLeadingZerosIsValid) {
  EXPECT_EQ(ParseQuantity("007"), 7);
  EXPECT_EQ(ParseQuantity("0010"), 10);
}

TEST(RulesTest, QuantityUpToNineDigits) {
  EXPECT_EQ(ParseQuantity("1"), 1);
  EXPECT_EQ(ParseQuantity("999999999"), 999999999);
  EXPECT_EQ(ParseQuantity("1000000000"), std::nullopt);
  EXPECT_EQ(ParseQuantity("0000000001"), std::nullopt);  // 10 digits, even though it is 1
}

TEST(RulesTest, QuantityRejectsSignsSpacesDecimalsAndZero) {
  for (const char* bad :
       {"", "0", "000", "-1", "+5", " 5", "5 ", "5.", "2.5", "1e2", "abc", "0x10"}) {
    EXPECT_EQ(ParseQuantity(bad), std::nullopt) << bad;
  }
}

TEST(RulesTest, LeapDaysFollowTheGregorianRules) {
  EXPECT_TRUE(IsValidDate("2024-02-29"));
  EXPECT_FALSE(IsValidDate("2023-02-29"));
  EXPECT_FALSE(IsValidDate("1900-02-29"));
  EXPECT_TRUE(IsValidDate("2000-02-29"));
  EXPECT_FALSE(IsValidDate("2100-02-29"));
  EXPECT_TRUE(IsValidDate("1600-02-29"));
}

TEST(RulesTest, DateNeedsARealDay) {
  EXPECT_TRUE(IsValidDate("2024-01-31"));
  EXPECT_TRUE(IsValidDate("0001-01-01"));
  EXPECT_TRUE(IsValidDate("9999-12-31"));
  for (const char* bad :
       {"2024-02-30", "2024-04-31", "2024-13-01", "2024-00-10", "2024-01-00", "2024-01-32"}) {
    EXPECT_FALSE(IsValidDate(bad)) << bad;
  }
}

TEST(RulesTest, YearZeroIsInvalid) { EXPECT_FALSE(IsValidDate("0000-01-01")); }

TEST(RulesTest, DateNeedsTheExactLayout) {
  for (const char* bad :
       {"", "2024-1-05", "2024-01-5", "2024/01/05", "2024-01-05 ", " 2024-01-05", "20240105",
        "2024-01-05T00:00", "+024-01-05", "2024-0a-05", "2024--1-05"}) {
    EXPECT_FALSE(IsValidDate(bad)) << bad;
  }
}

}  // namespace
}  // namespace ecompipe::transform
