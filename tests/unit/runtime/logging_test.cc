#include "runtime/logging.h"

#include <gtest/gtest.h>

#include "common/json.h"
#include "runtime/config.h"

namespace ecompipe::runtime {
namespace {

// 2026-11-26T08:30:05.250Z
const auto kWhen = std::chrono::system_clock::time_point(std::chrono::milliseconds(1795681805250));

Json Line(std::string_view text, spdlog::level::level_enum level = spdlog::level::info) {
  return Json::parse(FormatJsonLogLine(kWhen, level, text));
}

TEST(JsonLogLineTest, SentenceAndFieldsBecomeMembersInOrder) {
  const std::string line = FormatJsonLogLine(kWhen, spdlog::level::info,
                                             "Serving. bucket=/srv/bucket new_objects_at_start=3");
  EXPECT_EQ(line, R"({"timestamp":"2026-11-26T08:30:05.250Z","level":"info","message":"Serving.",)"
                  R"("bucket":"/srv/bucket","new_objects_at_start":"3"})");
}

TEST(JsonLogLineTest, ValuesKeepTheirSpacesUpToTheNextField) {
  Json j = Line("Dispatch round failed; retrying shortly. error=disk full (ENOSPC) key=a b.csv");
  EXPECT_EQ(j["message"], "Dispatch round failed; retrying shortly.");
  EXPECT_EQ(j["error"], "disk full (ENOSPC)");
  EXPECT_EQ(j["key"], "a b.csv");
}

TEST(JsonLogLineTest, LineWithoutFieldsIsAllMessage) {
  Json j = Line("Stopped cleanly.");
  EXPECT_EQ(j.size(), 3u);
  EXPECT_EQ(j["message"], "Stopped cleanly.");
}

TEST(JsonLogLineTest, EqualsSignsInsideWordsAreNotFields) {
  // "year=2026" follows a '/', not a space: part of the key's value.
  Json j = Line("Object landed. key=transactions/year=2026/x.csv size=10");
  EXPECT_EQ(j["key"], "transactions/year=2026/x.csv");
  EXPECT_EQ(j["size"], "10");
  EXPECT_EQ(Line("Bad sum: x = 1 + Y=2")["message"], "Bad sum: x = 1 + Y=2");  // spaced, capital
}

TEST(JsonLogLineTest, EmptyValueAndReservedNames) {
  Json j = Line("Odd. message=inner level= timestamp=x");
  EXPECT_EQ(j["message"], "Odd.");
  EXPECT_EQ(j["field.message"], "inner");
  EXPECT_EQ(j["field.level"], "");
  EXPECT_EQ(j["field.timestamp"], "x");
}

TEST(JsonLogLineTest, LevelsAreNamedAndWarnIsWarning) {
  EXPECT_EQ(Line("x", spdlog::level::warn)["level"], "warning");
  EXPECT_EQ(Line("x", spdlog::level::err)["level"], "error");
  EXPECT_EQ(Line("x", spdlog::level::debug)["level"], "debug");
}

TEST(JsonLogLineTest, InvalidUtf8IsReplacedNotThrown) {
  Json j = Line("Rejected row. raw=\xff\xfe");
  EXPECT_EQ(j["raw"], "\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(JsonLogLineTest, TimestampBeforeTheEpochIsStillUtc) {
  const auto before = std::chrono::system_clock::time_point(std::chrono::milliseconds(-1));
  EXPECT_EQ(Json::parse(FormatJsonLogLine(before, spdlog::level::info, "x"))["timestamp"],
            "1969-12-31T23:59:59.999Z");
}

TEST(LogConfigTest, SectionSetsFormatAndFileRelativeToTheConfig) {
  Result<PipelineConfig> c =
      ParseConfig("log: {format: json, file: logs/ecompipe.log}\n", "/etc/ep/ecompipe.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->log.format, LogFormat::kJson);
  EXPECT_EQ(c->log.file, "/etc/ep/logs/ecompipe.log");
  Result<PipelineConfig> none = ParseConfig("pipeline: {region: x}\n", "/etc/ep/ecompipe.yaml");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->log.format.has_value());
  EXPECT_TRUE(none->log.file.empty());
}

TEST(LogConfigTest, BadFormatAndUnknownKeyNameTheLine) {
  Result<PipelineConfig> c = ParseConfig("pipeline: {region: x}\nlog:\n  format: xml\n", "e.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().ToString().find("e.yaml:3"), std::string::npos) << c.status().ToString();
  EXPECT_NE(c.status().ToString().find("text or json"), std::string::npos);
  c = ParseConfig("log:\n  fromat: json\n", "e.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().ToString().find("did you mean 'format'"), std::string::npos)
      << c.status().ToString();
}

}  // namespace
}  // namespace ecompipe::runtime
