#include "cli/table_printer.h"

#include <gtest/gtest.h>

#include <sstream>

namespace ecompipe::cli {
namespace {

TEST(ShortenTest, KeepsAKeysFileNameWhole) {
  const std::string key =
      "transactions/year=2026/month=11/day=26/transaction_2026-11-26_second_upload.csv";
  const std::string s = Shorten(key, 60);
  EXPECT_EQ(s, "transactions/year=…/transaction_2026-11-26_second_upload.csv");
  EXPECT_EQ(Shorten("short/key.csv", 60), "short/key.csv");
}

TEST(ShortenTest, OtherTextKeepsItsStartAndEnd) {
  const std::string message = std::string(50, 'a') + " middle " + std::string(50, 'z');
  const std::string s = Shorten(message, 21);
  EXPECT_EQ(s, "aaaaaaaaaa…zzzzzzzzzz");
  // Code points, not bytes: a cut never splits a UTF-8 sequence.
  EXPECT_EQ(Shorten("ééééééééééééé", 5), "éé…éé");
}

TEST(ShortenTest, AFileNameTooLongForTheCellIsCutToo) {
  const std::string s = Shorten("a/" + std::string(100, 'n') + ".csv", 20);
  EXPECT_EQ(s, "a/nnnnnnnn…nnnnn.csv");
}

TEST(PrintTableTest, WideShowsEveryCellWhole) {
  const std::string key(80, 'k');
  std::ostringstream cut, wide;
  PrintTable(cut, {"object"}, {{key}});
  PrintTable(wide, {"object"}, {{key}}, {.wide = true});
  EXPECT_EQ(cut.str().find(key), std::string::npos);
  EXPECT_NE(wide.str().find(key), std::string::npos);
}

TEST(PrintTableTest, CountsAreGroupedAndRightAligned) {
  std::ostringstream out;
  PrintTable(out, {"rows", "name"}, {{"1234567", "a"}, {"5", "b"}},
             {.kinds = {CellKind::kCount, CellKind::kText}});
  EXPECT_EQ(out.str(),
            "     rows  name\n"
            "---------  ----\n"
            "1,234,567  a\n"
            "        5  b\n"
            "(2 rows)\n");
}

TEST(PrintJsonTest, NumbersAreNumbersNullIsNullKeysInColumnOrder) {
  std::ostringstream out;
  PrintJson(out, {"z_name", "a_count", "price", "note"},
            {{"x", "3", "12345678901234.56", std::nullopt}, {"y", "n/a", "-0.5e3", "\"q\""}},
            {CellKind::kText, CellKind::kCount, CellKind::kNumber, CellKind::kText});
  EXPECT_EQ(
      out.str(),
      "[\n"
      "  {\"z_name\": \"x\", \"a_count\": 3, \"price\": 12345678901234.56, \"note\": null},\n"
      "  {\"z_name\": \"y\", \"a_count\": \"n/a\", \"price\": -0.5e3, \"note\": \"\\\"q\\\"\"}\n"
      "]\n");
  const Json parsed = Json::parse(out.str());
  EXPECT_EQ(parsed[0]["a_count"], 3);
  EXPECT_TRUE(parsed[0]["note"].is_null());
}

TEST(PrintJsonTest, InvalidUtf8IsReplacedNotFatal) {
  std::ostringstream out;
  PrintJson(out, {"raw"}, {{std::string("bad \xff byte")}});
  EXPECT_EQ(Json::parse(out.str())[0]["raw"], "bad \xEF\xBF\xBD byte");
}

TEST(PrintJsonTest, NoRowsIsAnEmptyArray) {
  std::ostringstream out;
  PrintJson(out, {"a"}, {});
  EXPECT_EQ(out.str(), "[]\n");
}

TEST(IsJsonNumberTest, FollowsJsonsGrammar) {
  for (const char* yes : {"0", "-0", "12", "1.5", "-1.25e+10", "3E2"})
    EXPECT_TRUE(IsJsonNumber(yes)) << yes;
  for (const char* no : {"", "-", "01", "1.", ".5", "+1", "1e", "NaN", "Infinity", "1,000", " 1"})
    EXPECT_FALSE(IsJsonNumber(no)) << no;
}

TEST(PrintCsvTest, NullIsEmptyAndShortRowsArePadded) {
  std::ostringstream out;
  PrintCsv(out, {"a", "b"}, {{std::nullopt, "x,y"}, {"1"}});
  EXPECT_EQ(out.str(), "a,b\n,\"x,y\"\n1,\n");
}

}  // namespace
}  // namespace ecompipe::cli
