#include "model/csv_field.h"

#include <gtest/gtest.h>

#include <string>

namespace ecompipe::model {
namespace {

// NeedsCsvQuotes looks at eight bytes at a time: each special byte at each position of a
// word, and in the tail, must be found, and no other byte may count.
TEST(CsvFieldTest, NeedsQuotesFindsEachSpecialByteAnywhere) {
  for (size_t size = 1; size <= 20; ++size) {
    for (size_t at = 0; at < size; ++at) {
      for (const char special : {',', '"', '\r', '\n'}) {
        std::string value(size, 'a');
        value[at] = special;
        EXPECT_TRUE(NeedsCsvQuotes(value)) << size << " " << at;
      }
    }
    std::string plain;
    for (size_t i = 0; i < size; ++i)
      plain.push_back(static_cast<char>("-+!#\x80\xFF\x01\x0B\x0C"[i % 9]));
    EXPECT_FALSE(NeedsCsvQuotes(plain)) << size;
  }
  EXPECT_FALSE(NeedsCsvQuotes(""));
}

TEST(CsvFieldTest, AppendQuotesOnlyWhenNeeded) {
  std::string out;
  AppendCsvField(out, "plain");
  out += ',';
  AppendCsvField(out, "a,\"b\"");
  out += ',';
  AppendCsvField(out, "");
  EXPECT_EQ(out, "plain,\"a,\"\"b\"\"\",");
}

}  // namespace
}  // namespace ecompipe::model
