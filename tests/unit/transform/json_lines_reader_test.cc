#include "transform/json_lines_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_streams.h"

namespace ecompipe::transform {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::OwnedRecord;
using testing::StringInputStream;

std::vector<OwnedRecord> Parse(std::string text, JsonLinesOptions options = {},
                               size_t piece = SIZE_MAX) {
  StringInputStream in(std::move(text), piece);
  JsonLinesReader reader(in, {"id", "qty", "name"}, options);
  auto records = testing::ReadAll(reader);
  EXPECT_TRUE(records.ok()) << records.status().ToString();
  return records.ok() ? *records : std::vector<OwnedRecord>{};
}

TEST(JsonLinesReaderTest, FieldsComeInTheRequestedOrder) {
  auto r = Parse(R"({"name":"Widget","id":"TXN1","qty":"3","extra":[1,{"a":2}]})"
                 "\n");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_THAT(r[0].fields, ElementsAre("TXN1", "3", "Widget"));
  EXPECT_TRUE(r[0].malformed.empty());
  EXPECT_EQ(r[0].line, 1);
}

TEST(JsonLinesReaderTest, NumbersKeepTheirTextAsWritten) {
  auto r = Parse(R"({"id": 12 , "qty": 1e2, "name": -0.50})"
                 "\n");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_THAT(r[0].fields, ElementsAre("12", "1e2", "-0.50"));
}

TEST(JsonLinesReaderTest, StringsAreUnescaped) {
  auto r = Parse(R"({"id":"a\"b\\c\n\u00e9"})"
                 "\n");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].fields[0], "a\"b\\c\n\xC3\xA9");
}

TEST(JsonLinesReaderTest, NullAndMissingKeysAreEmpty) {
  auto r = Parse(R"({"id":null,"name":true})"
                 "\n");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_THAT(r[0].fields, ElementsAre("", "", "true"));
}

TEST(JsonLinesReaderTest, BlankLinesAreSkippedButCounted) {
  auto r = Parse("\n  \r\n{\"id\":\"x\"}\r\n\n{\"id\":\"y\"}");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].line, 3);
  EXPECT_EQ(r[0].raw, "{\"id\":\"x\"}");
  EXPECT_EQ(r[1].line, 5);
  EXPECT_EQ(r[1].fields[0], "y");
}

TEST(JsonLinesReaderTest, ABlankLineLongerThanTheLimitIsTooLongHoweverItIsRead) {
  // Read at once, or skipped as it streams in: the same record either way.
  const std::string text = std::string(300, ' ') + "\r\n{\"id\":\"x\"}\n";
  for (size_t piece : {size_t{3}, SIZE_MAX}) {
    auto r = Parse(text, JsonLinesOptions{.max_record_bytes = 256}, piece);
    ASSERT_EQ(r.size(), 2u) << piece;
    EXPECT_TRUE(r[0].too_long);
    EXPECT_EQ(r[0].line, 1);
    EXPECT_EQ(r[0].bytes, 300u);
    EXPECT_EQ(r[1].line, 2);
  }
}

TEST(JsonLinesReaderTest, ByteOrderMarkIsSkipped) {
  auto r = Parse("\xEF\xBB\xBF{\"id\":\"x\"}\n");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].fields[0], "x");
}

// Regression: without the byte order mark check (skip_bom off, as for a chunk's tail) the first
// Next() scanned a buffer nothing had filled yet, calling memchr on its null base; UBSan
// (scripts/sanitize.sh asan) stopped the parallel engine's over-long line test there.
TEST(JsonLinesReaderTest, WithoutTheByteOrderMarkCheckTheFirstReadStartsFromAnEmptyBuffer) {
  auto r = Parse("{\"id\":\"x\"}\n{\"id\":\"y\"}", JsonLinesOptions{.skip_bom = false});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].fields[0], "x");
  EXPECT_EQ(r[1].fields[0], "y");
  EXPECT_TRUE(Parse("", JsonLinesOptions{.skip_bom = false}).empty());
}

TEST(JsonLinesReaderTest, NonObjectLinesAreMalformed) {
  auto r = Parse("[1,2]\n\"text\"\n42\nnot json\n{\"id\":\"ok\"}\n");
  ASSERT_EQ(r.size(), 5u);
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(r[i].malformed.empty()) << i;
  EXPECT_TRUE(r[4].malformed.empty());
  EXPECT_EQ(r[4].fields[0], "ok");
}

TEST(JsonLinesReaderTest, BrokenObjectsAreMalformed) {
  for (const char* bad :
       {R"({"id":"x")", R"({"id":"x",})", R"({"id":"x"} {})", R"({"id":"x"} x)", R"({"id":01})",
        R"({"id":1.})", R"({"id":tru})", R"({"id":nul})", R"({"id" "x"})", R"({"qty":12x})"}) {
    auto r = Parse(std::string(bad) + "\n");
    ASSERT_EQ(r.size(), 1u) << bad;
    EXPECT_FALSE(r[0].malformed.empty()) << bad;
  }
}

TEST(JsonLinesReaderTest, NestedValueInAWantedKeyIsMalformed) {
  auto r = Parse(R"({"id":{"x":1}})"
                 "\n");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_THAT(r[0].malformed, HasSubstr("'id'"));
}

TEST(JsonLinesReaderTest, ReadsTheSameInOneBytePieces) {
  const std::string text = "{\"id\":\"caf\xC3\xA9\",\"qty\":7}\r\n\n{\"id\":\"b\"}";
  auto whole = Parse(text);
  auto pieces = Parse(text, {.chunk_size = 3}, 1);
  ASSERT_EQ(whole.size(), 2u);
  ASSERT_EQ(pieces.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(pieces[i].fields, whole[i].fields);
    EXPECT_EQ(pieces[i].line, whole[i].line);
    EXPECT_EQ(pieces[i].raw, whole[i].raw);
  }
}

TEST(JsonLinesReaderTest, TooLongLineIsSkipped) {
  const std::string huge = "{\"id\":\"" + std::string(100000, 'x') + "\"}";
  auto r =
      Parse(huge + "\n{\"id\":\"next\"}\n", {.max_record_bytes = 1000, .chunk_size = 512}, 700);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_TRUE(r[0].too_long);
  EXPECT_EQ(r[0].bytes, huge.size());
  EXPECT_EQ(r[0].raw, huge.substr(0, kMaxRawBytes));
  EXPECT_EQ(r[1].fields[0], "next");
  EXPECT_EQ(r[1].line, 2);
}

}  // namespace
}  // namespace ecompipe::transform
