// DecodeUtf8: every class of invalid sequence RFC 3629 names, and truncation at the end.
#include "common/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace ecompipe {
namespace {

TEST(Utf8Test, DecodesOneToFourBytes) {
  const std::pair<std::string, char32_t> cases[] = {{"A", U'A'},
                                                    {"\xC3\xA9", U'\u00E9'},
                                                    {"\xE2\x82\xAC", U'\u20AC'},
                                                    {"\xED\x9F\xBF", 0xD7FF},
                                                    {"\xF0\x9F\x98\x80", 0x1F600},
                                                    {"\xF4\x8F\xBF\xBF", 0x10FFFF}};
  for (const auto& [text, expected] : cases) {
    char32_t cp = 0;
    EXPECT_EQ(DecodeUtf8(text, 0, cp), static_cast<int>(text.size())) << text;
    EXPECT_EQ(cp, expected) << text;
    std::string again;
    AppendUtf8(cp, again);
    EXPECT_EQ(again, text);
  }
}

TEST(Utf8Test, RefusesInvalidSequences) {
  for (const std::string bad : {
           "\x80",              // a continuation byte alone
           "\xC0\x80",          // overlong (lead C0/C1)
           "\xC1\xBF",          //
           "\xE0\x9F\xBF",      // overlong three-byte form
           "\xED\xA0\x80",      // a surrogate
           "\xF0\x8F\xBF\xBF",  // overlong four-byte form
           "\xF4\x90\x80\x80",  // past U+10FFFF
           "\xF5\x80\x80\x80",  // no such lead byte
           "\xC3\x28",          // a bad continuation byte
           "\xE2\x82\x28",
       }) {
    EXPECT_EQ(Utf8SequenceLength(bad, 0), 0) << testing::PrintToString(bad);
  }
}

TEST(Utf8Test, TruncatedSequenceIsToldApartFromAnInvalidOne) {
  EXPECT_EQ(Utf8SequenceLength("\xE2\x82", 0), kUtf8Truncated);
  EXPECT_EQ(Utf8SequenceLength("ab\xF0\x9F\x98", 2), kUtf8Truncated);
  EXPECT_EQ(Utf8SequenceLength("\xE0\x80", 0), 0);  // invalid before the end: not truncated
}

}  // namespace
}  // namespace ecompipe
