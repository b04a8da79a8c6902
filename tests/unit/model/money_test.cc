#include "model/money.h"

#include <gtest/gtest.h>

#include <limits>

namespace ecompipe::model {
namespace {

TEST(MoneyTest, ParsesWholeAndFractionalAmounts) {
  EXPECT_EQ(ParseMoney("129.99"), Money{12999});
  EXPECT_EQ(ParseMoney("5"), Money{500});
  EXPECT_EQ(ParseMoney("5.5"), Money{550});
  EXPECT_EQ(ParseMoney("5.05"), Money{505});
  EXPECT_EQ(ParseMoney("0.00"), Money{0});
  EXPECT_EQ(ParseMoney("05.50"), Money{550});
  EXPECT_EQ(ParseMoney("999999999999.99"), Money{99999999999999});
}

TEST(MoneyTest, RejectsEverythingElse) {
  for (const char* bad :
       {"", "-1", "-0", "1e2", "$5", "5.", ".5", "1.234", " 5", "5 ", "+5", "1,00", "abc", "1.2.3",
        "1234567890123", "0000000000000.00", "5.-1", "5.a"}) {
    EXPECT_EQ(ParseMoney(bad), std::nullopt) << bad;
  }
}

TEST(MoneyTest, ParsesTwelveIntegerDigitsButNotThirteen) {
  EXPECT_EQ(ParseMoney("123456789012"), Money{12345678901200});
  EXPECT_EQ(ParseMoney("1234567890123"), std::nullopt);
  EXPECT_EQ(ParseMoney("99999999999999999999999999"), std::nullopt);  // no overflow either
}

TEST(MoneyTest, FormatsWithExactlyTwoDecimals) {
  EXPECT_EQ(FormatMoney(Money{12999}), "129.99");
  EXPECT_EQ(FormatMoney(Money{500}), "5.00");
  EXPECT_EQ(FormatMoney(Money{5}), "0.05");
  EXPECT_EQ(FormatMoney(Money{0}), "0.00");
  EXPECT_EQ(FormatMoney(Money{-5}), "-0.05");
  EXPECT_EQ(FormatMoney(Money{-12345}), "-123.45");
  EXPECT_EQ(FormatMoney(Money{std::numeric_limits<int64_t>::min()}), "-92233720368547758.08");
}

TEST(MoneyTest, AppendMoneyAppends) {
  std::string out = "total=";
  AppendMoney(out, Money{10001});
  EXPECT_EQ(out, "total=100.01");
}

TEST(MoneyTest, MultiplyIsExactToTheCent) {
  EXPECT_EQ(Multiply(*ParseMoney("0.10"), 3), Money{30});  // 0.1 * 3 == 0.3 exactly
  EXPECT_EQ(FormatMoney(Multiply(*ParseMoney("19.99"), 7)), "139.93");
  EXPECT_EQ(FormatMoney(Multiply(*ParseMoney("99999999999.99"), 10)), "999999999999.90");
}

TEST(MoneyTest, CheckedMultiplyDetectsOverflow) {
  EXPECT_EQ(CheckedMultiply(*ParseMoney("99999999999.99"), 10), Money{99999999999990});
  EXPECT_EQ(CheckedMultiply(Money{92233720368547758}, 100), Money{9223372036854775800});
  EXPECT_EQ(CheckedMultiply(Money{92233720368547759}, 100), std::nullopt);
  // The largest price times the largest quantity the rules accept does not fit in 64 bits.
  EXPECT_EQ(CheckedMultiply(*ParseMoney("999999999999.99"), 999999999), std::nullopt);
  EXPECT_EQ(CheckedMultiply(*ParseMoney("9999999.99"), 999999999), Money{999999998000000001});
}

TEST(MoneyTest, RoundTripsThroughFormat) {
  for (int64_t cents :
       std::initializer_list<int64_t>{0, 1, 9, 10, 99, 100, 101, 12345, 99999999999999}) {
    EXPECT_EQ(ParseMoney(FormatMoney(Money{cents})), Money{cents}) << cents;
  }
}

}  // namespace
}  // namespace ecompipe::model
