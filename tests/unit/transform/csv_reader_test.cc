#include "transform/csv_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "test_streams.h"

namespace ecompipe::transform {
namespace {

using ::testing::ElementsAre;
using testing::GeneratedInputStream;
using testing::OwnedRecord;
using testing::StringInputStream;

std::vector<OwnedRecord> Parse(std::string text, CsvOptions options = {}, size_t piece = SIZE_MAX) {
  StringInputStream in(std::move(text), piece);
  CsvReader reader(in, options);
  auto records = testing::ReadAll(reader);
  EXPECT_TRUE(records.ok()) << records.status().ToString();
  return records.ok() ? *records : std::vector<OwnedRecord>{};
}

// Serves the first `cut` bytes in one read and the rest in the next.
class SplitInputStream : public storage::InputStream {
 public:
  SplitInputStream(std::string data, size_t cut) : data_(std::move(data)), cut_(cut) {}
  Result<size_t> Read(char* buffer, size_t capacity) override {
    const size_t limit = pos_ < cut_ ? cut_ : data_.size();
    const size_t n = std::min(capacity, limit - pos_);
    std::memcpy(buffer, data_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::string data_;
  size_t cut_;
  size_t pos_ = 0;
};

TEST(CsvReaderTest, SplitsRecordsAndFields) {
  auto r = Parse("a,b,c\n1,2,3\n");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_THAT(r[0].fields, ElementsAre("a", "b", "c"));
  EXPECT_THAT(r[1].fields, ElementsAre("1", "2", "3"));
  EXPECT_EQ(r[1].line, 2);
  EXPECT_EQ(r[1].raw, "1,2,3");
}

TEST(CsvReaderTest, EmptyInputHasNoRecords) { EXPECT_TRUE(Parse("").empty()); }

TEST(CsvReaderTest, QuotedFieldContainsDelimiter) {
  auto r = Parse("P1,\"Smart Watch, Silver\",S1\n");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_THAT(r[0].fields, ElementsAre("P1", "Smart Watch, Silver", "S1"));
  EXPECT_EQ(r[0].raw, "P1,\"Smart Watch, Silver\",S1");
}

TEST(CsvReaderTest, DoubledQuoteIsAnEscapedQuote) {
  auto r = Parse("\"say \"\"hi\"\"\",\"\"\"\"\n");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_THAT(r[0].fields, ElementsAre("say \"hi\"", "\""));
}

TEST(CsvReaderTest, QuotedFieldSpansLines) {
  auto r = Parse("a,\"line1\nline2\nline3\",c\nnext,1,2\n");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].line, 1);
  EXPECT_THAT(r[0].fields, ElementsAre("a", "line1\nline2\nline3", "c"));
  EXPECT_EQ(r[1].line, 4);
  EXPECT_THAT(r[1].fields, ElementsAre("next", "1", "2"));
}

TEST(CsvReaderTest, CrlfLineEndingsAreStripped) {
  auto r = Parse("a,b\r\nc,\"d\"\r\n,\r\n");
  ASSERT_EQ(r.size(), 3u);
  EXPECT_THAT(r[0].fields, ElementsAre("a", "b"));
  EXPECT_EQ(r[0].raw, "a,b");
  EXPECT_THAT(r[1].fields, ElementsAre("c", "d"));
  EXPECT_EQ(r[1].raw, "c,\"d\"");
  EXPECT_THAT(r[2].fields, ElementsAre("", ""));
}

TEST(CsvReaderTest, CrlfInsideQuotesIsKept) {
  auto r = Parse("\"x\r\ny\",z\r\nw\r\n");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_THAT(r[0].fields, ElementsAre("x\r\ny", "z"));
  EXPECT_EQ(r[1].line, 3);
}

TEST(CsvReaderTest, LoneCarriageReturnIsData) {
  auto r = Parse("a\rb,c\n");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_THAT(r[0].fields, ElementsAre("a\rb", "c"));
}

TEST(CsvReaderTest, ByteOrderMarkAtStartIsSkipped) {
  auto r = Parse("\xEF\xBB\xBFid,name\n1,x\n");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_THAT(r[0].fields, ElementsAre("id", "name"));
  EXPECT_EQ(r[0].line, 1);
}

TEST(CsvReaderTest, ByteOrderMarkLaterIsData) {
  auto r = Parse(
      "a\n\xEF\xBB\xBF"
      "b\n");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[1].fields[0],
            "\xEF\xBB\xBF"
            "b");
}

TEST(CsvReaderTest, LastLineWithoutNewlineIsRead) {
  auto r = Parse("a,b\nc,d");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_THAT(r[1].fields, ElementsAre("c", "d"));
  EXPECT_EQ(r[1].line, 2);
}

TEST(CsvReaderTest, LastQuotedLineWithoutNewlineIsRead) {
  auto r = Parse("a\n\"c,\"\"d\"\"\"");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_THAT(r[1].fields, ElementsAre("c,\"d\""));
  EXPECT_TRUE(r[1].malformed.empty());
}

TEST(CsvReaderTest, TrailingDelimiterAtEndOfInputGivesEmptyField) {
  auto r = Parse("a,");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_THAT(r[0].fields, ElementsAre("a", ""));
}

TEST(CsvReaderTest, BlankLinesAreSkippedButCounted) {
  auto r = Parse("a\n\n\r\nb\n\n");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].line, 1);
  EXPECT_EQ(r[1].line, 4);
  EXPECT_THAT(r[1].fields, ElementsAre("b"));
}

TEST(CsvReaderTest, QuotedEmptyLineIsARecord) {
  auto r = Parse("\"\"\n");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_THAT(r[0].fields, ElementsAre(""));
}

TEST(CsvReaderTest, EmptyFieldsAreKept) {
  auto r = Parse(",,\n");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_THAT(r[0].fields, ElementsAre("", "", ""));
}

TEST(CsvReaderTest, SemicolonDelimiter) {
  auto r = Parse("a;\"b;c\";d\n", {.delimiter = ';'});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_THAT(r[0].fields, ElementsAre("a", "b;c", "d"));
}

TEST(CsvReaderTest, TabDelimiter) {
  auto r = Parse("a\t\"b\tc\"\td,e\n", {.delimiter = '\t'});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_THAT(r[0].fields, ElementsAre("a", "b\tc", "d,e"));
}

TEST(CsvReaderTest, PipeDelimiter) {
  auto r = Parse("a|\"b|c\"|d\n", {.delimiter = '|'});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_THAT(r[0].fields, ElementsAre("a", "b|c", "d"));
}

TEST(CsvReaderTest, CustomQuoteChar) {
  auto r = Parse("'a,b','it''s',\"x\"\n", {.quote = '\''});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_THAT(r[0].fields, ElementsAre("a,b", "it's", "\"x\""));
}

TEST(CsvReaderTest, LongLinesSplitAcrossSimdBlocks) {
  // Fields and quotes beyond the first 16 bytes, and a delimiter at byte 16 exactly.
  auto r = Parse(
      "0123456789abcde,x,yyyyyyyyyyyyyyyyyyyyyyyy,\"q,\"\"r\",,z\n"
      "0123456789abcdef,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20\n");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_THAT(r[0].fields,
              ElementsAre("0123456789abcde", "x", "yyyyyyyyyyyyyyyyyyyyyyyy", "q,\"r", "", "z"));
  ASSERT_EQ(r[1].fields.size(), 21u);
  EXPECT_EQ(r[1].fields[0], "0123456789abcdef");
  EXPECT_EQ(r[1].fields[20], "20");
}

TEST(CsvReaderTest, QuoteInsideUnquotedFieldIsData) {
  auto r = Parse("5\" screen,x\n");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_THAT(r[0].fields, ElementsAre("5\" screen", "x"));
  EXPECT_TRUE(r[0].malformed.empty());
}

TEST(CsvReaderTest, TextAfterClosingQuoteIsMalformed) {
  auto r = Parse("\"ab\"c,d\nnext\n");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_THAT(r[0].malformed, ::testing::HasSubstr("after the closing quote of field 1"));
  EXPECT_EQ(r[0].raw, "\"ab\"c,d");
  EXPECT_TRUE(r[1].malformed.empty());
  EXPECT_EQ(r[1].line, 2);
}

TEST(CsvReaderTest, UnclosedQuoteAtEndOfInputIsMalformed) {
  auto r = Parse("a,b\nc,\"d\ne,f\n");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_TRUE(r[0].malformed.empty());
  EXPECT_EQ(r[1].line, 2);
  EXPECT_THAT(r[1].malformed, ::testing::HasSubstr("unclosed quote"));
  EXPECT_EQ(r[1].raw, "c,\"d\ne,f\n");
}

TEST(CsvReaderTest, NulBytesArePassedThrough) {
  auto r = Parse(std::string("a,b\0c\n", 6));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].fields[1], std::string("b\0c", 3));
}

TEST(CsvReaderTest, CheckOptionsRejectsAmbiguousDialects) {
  EXPECT_FALSE(CsvReader::CheckOptions({.delimiter = '"', .quote = '"'}).ok());
  EXPECT_FALSE(CsvReader::CheckOptions({.delimiter = '\n'}).ok());
  EXPECT_FALSE(CsvReader::CheckOptions({.quote = '\r'}).ok());
  EXPECT_TRUE(CsvReader::CheckOptions({.delimiter = '\t'}).ok());
}

// Every CSV feature at once; read whole it gives kTrickyExpected.
const std::string kTricky =
    "\xEF\xBB\xBFid,name,note\r\n"
    "1,\"Smart Watch, Silver\",plain\r\n"
    "\n"
    "2,\"say \"\"hi\"\"\",\"multi\r\nline\nfield\"\n"
    "3,caf\xC3\xA9 \xE2\x82\xAC,\"\"\r\n"
    "\r\n"
    "4,,\"x\"\r\n"
    "5,\"\"\"\",last";

std::vector<OwnedRecord> TrickyExpected() {
  return {
      {1, "id,name,note", 12, {"id", "name", "note"}},
      {2, "1,\"Smart Watch, Silver\",plain", 29, {"1", "Smart Watch, Silver", "plain"}},
      {4,
       "2,\"say \"\"hi\"\"\",\"multi\r\nline\nfield\"",
       37,
       {"2", "say \"hi\"", "multi\r\nline\nfield"}},
      {7, "3,caf\xC3\xA9 \xE2\x82\xAC,\"\"", 16, {"3", "caf\xC3\xA9 \xE2\x82\xAC", ""}},
      {9, "4,,\"x\"", 6, {"4", "", "x"}},
      {10, "5,\"\"\"\",last", 11, {"5", "\"", "last"}},
  };
}

void ExpectTricky(const std::vector<OwnedRecord>& got, const std::string& context) {
  const auto want = TrickyExpected();
  ASSERT_EQ(got.size(), want.size()) << context;
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i].line, want[i].line) << context << " record " << i;
    EXPECT_EQ(got[i].raw, want[i].raw) << context << " record " << i;
    EXPECT_EQ(got[i].bytes, want[i].raw.size()) << context << " record " << i;
    EXPECT_EQ(got[i].fields, want[i].fields) << context << " record " << i;
    EXPECT_TRUE(got[i].malformed.empty()) << context << " record " << i;
  }
}

TEST(CsvReaderTest, TrickyInputReadWhole) { ExpectTricky(Parse(kTricky), "whole"); }

TEST(CsvReaderTest, TrickyInputInOneAndThreeBytePieces) {
  for (size_t piece : {1, 2, 3, 5}) {
    for (size_t chunk : {1, 3, 7, 64}) {
      ExpectTricky(Parse(kTricky, {.chunk_size = chunk}, piece),
                   "piece " + std::to_string(piece) + " chunk " + std::to_string(chunk));
    }
  }
}

TEST(CsvReaderTest, TrickyInputSplitAtEveryByteOffset) {
  for (size_t cut = 0; cut <= kTricky.size(); ++cut) {
    SplitInputStream in(kTricky, cut);
    CsvReader reader(in, {.chunk_size = 16});
    auto records = testing::ReadAll(reader);
    ASSERT_TRUE(records.ok());
    ExpectTricky(*records, "cut " + std::to_string(cut));
  }
}

TEST(CsvReaderTest, RecordAtTheSizeLimitIsAccepted) {
  auto r = Parse("0123456789\n\"12345678\"\r\n", {.max_record_bytes = 10});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_FALSE(r[0].too_long);
  EXPECT_FALSE(r[1].too_long);
  EXPECT_EQ(r[1].fields[0], "12345678");
}

TEST(CsvReaderTest, RecordOverTheSizeLimitIsFlagged) {
  auto r = Parse("0123456789A\n\"123456789\"\nok\n", {.max_record_bytes = 10});
  ASSERT_EQ(r.size(), 3u);
  EXPECT_TRUE(r[0].too_long);
  EXPECT_EQ(r[0].bytes, 11u);
  EXPECT_TRUE(r[0].fields.empty());
  EXPECT_TRUE(r[1].too_long);
  EXPECT_FALSE(r[2].too_long);
  EXPECT_EQ(r[2].line, 3);
}

TEST(CsvReaderTest, TenMegabyteRecordIsSkippedWithBoundedMemory) {
  const size_t kHuge = 10 << 20;
  GeneratedInputStream in({{"id,payload\n"}, {"TXN1,"}, {"", 'x', kHuge}, {"\n2,small\n"}});
  CsvReader reader(in, {.max_record_bytes = 1 << 20, .chunk_size = 64 << 10});
  auto records = testing::ReadAll(reader);
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 3u);
  const OwnedRecord& huge = (*records)[1];
  EXPECT_TRUE(huge.too_long);
  EXPECT_EQ(huge.bytes, kHuge + 5);
  EXPECT_EQ(huge.raw.size(), kMaxRawBytes);
  EXPECT_EQ(huge.raw.substr(0, 6), "TXN1,x");
  EXPECT_THAT((*records)[2].fields, ElementsAre("2", "small"));
  EXPECT_EQ((*records)[2].line, 3);
  EXPECT_LT(reader.buffer_capacity(), size_t{4} << 20);
}

TEST(CsvReaderTest, HugeQuotedRecordIsSkippedToItsClosingQuote) {
  // The quoted field holds newlines and delimiters; skipping must not end the record there.
  std::string field;
  for (int i = 0; i < 2000; ++i) field += "line, with comma\n";
  auto r =
      Parse("a,\"" + field + "\",z\nnext,1\n", {.max_record_bytes = 1000, .chunk_size = 256}, 100);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_TRUE(r[0].too_long);
  EXPECT_EQ(r[0].line, 1);
  EXPECT_THAT(r[1].fields, ElementsAre("next", "1"));
  EXPECT_EQ(r[1].line, 2002);
}

TEST(CsvReaderTest, HugeRecordWithUnclosedQuoteAtEndOfInput) {
  auto r = Parse("a\n\"" + std::string(5000, 'y'), {.max_record_bytes = 100, .chunk_size = 64});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_TRUE(r[1].too_long);
  EXPECT_EQ(r[1].bytes, 5001u);
}

TEST(CsvReaderTest, TruncatedRawDoesNotSplitAUtf8Character) {
  std::string line =
      "x" + std::string(kMaxRawBytes - 2, 'a') + "\xE2\x82\xAC" + std::string(100, 'b');
  auto r = Parse(line + "\n", {.max_record_bytes = 1000});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].too_long);
  EXPECT_EQ(r[0].raw.size(), kMaxRawBytes - 1);
}

TEST(CsvReaderTest, StreamErrorIsReturned) {
  StringInputStream in("a,b\nc,d\ne,f\n", 4, 6);
  CsvReader reader(in, {.chunk_size = 4});
  auto first = reader.Next();
  ASSERT_TRUE(first.ok());
  auto second = reader.Next();
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kCorruptInput);
  EXPECT_EQ(reader.line(), 2);
}

TEST(CsvReaderTest, RandomInputsGiveTheSameRecordsWhateverThePieceSize) {
  // Hostile alphabet: quotes, delimiters, CR and LF in every order. However the stream is
  // cut, the reader must see the same records, malformed ones included.
  std::mt19937 rng(12345);
  const std::string alphabet = "a\",\n\r";
  for (int round = 0; round < 500; ++round) {
    std::string text;
    const int length = static_cast<int>(rng() % 40);
    for (int i = 0; i < length; ++i) text += alphabet[rng() % alphabet.size()];
    const auto whole = Parse(text, {.max_record_bytes = 12});
    for (size_t piece : {1, 3}) {
      const auto pieces = Parse(text, {.max_record_bytes = 12, .chunk_size = 2}, piece);
      ASSERT_EQ(pieces.size(), whole.size()) << ::testing::PrintToString(text);
      for (size_t i = 0; i < whole.size(); ++i) {
        EXPECT_EQ(pieces[i].line, whole[i].line) << ::testing::PrintToString(text);
        EXPECT_EQ(pieces[i].raw, whole[i].raw) << ::testing::PrintToString(text);
        EXPECT_EQ(pieces[i].bytes, whole[i].bytes) << ::testing::PrintToString(text);
        EXPECT_EQ(pieces[i].fields, whole[i].fields) << ::testing::PrintToString(text);
        EXPECT_EQ(pieces[i].too_long, whole[i].too_long) << ::testing::PrintToString(text);
        EXPECT_EQ(pieces[i].malformed, whole[i].malformed) << ::testing::PrintToString(text);
      }
    }
  }
}

}  // namespace
}  // namespace ecompipe::transform
