#include "events/event_pattern.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace ecompipe::events {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// The case table, tests/data/event_patterns.json (its "comment" gives the format): patterns,
// events and what Parse() and Matches() must say. Null when the file cannot be read or parsed;
// the table test then fails saying so.
const Json& Table() {
  static const Json table = [] {
    std::ifstream in(std::string(EP_TEST_DATA_DIR) + "/event_patterns.json");
    std::stringstream text;
    text << in.rdbuf();
    Result<Json> parsed = ParseJson(text.str());
    return parsed.ok() ? *parsed : Json();
  }();
  return table;
}

// A sample event of the table (AWS's published events), and one of its patterns.
Json Sample(const std::string& name) { return Table()["samples"][name]; }
Json NamedPattern(const std::string& name) { return Table()["patterns"][name]; }

// A table event: literal, or {"$sample": NAME, "$set": {"dotted.path": value, ...}}, the sample
// with those fields replaced.
Json ResolveEvent(const Json& spec) {
  if (!spec.is_object() || !spec.contains("$sample")) return spec;
  Json event = Sample(spec["$sample"].get<std::string>());
  const Json set = spec.value("$set", Json::object());
  for (const auto& [path, value] : set.items()) {
    Json* at = &event;
    std::string_view rest = path;
    for (size_t dot = rest.find('.');; dot = rest.find('.')) {
      at = &(*at)[std::string(rest.substr(0, dot))];
      if (dot == std::string_view::npos) break;
      rest.remove_prefix(dot + 1);
    }
    *at = value;
  }
  return event;
}

// True when `event` matches `pattern`; a rejected pattern fails the test.
bool MatchEvent(std::string_view pattern, const Json& event) {
  Result<EventPattern> parsed = EventPattern::Parse(pattern);
  if (!parsed.ok()) {
    ADD_FAILURE() << "pattern rejected: " << parsed.status().ToString();
    return false;
  }
  return parsed->Matches(event);
}

// What Parse() says about `pattern`: "place: message", or "OK".
std::string Error(std::string_view pattern) {
  Result<EventPattern> parsed = EventPattern::Parse(pattern);
  if (parsed.ok()) return "OK";
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  return parsed.status().ToString();
}

std::string Repeat(std::string_view text, int times) {
  std::string out;
  out.reserve(text.size() * times);
  for (int i = 0; i < times; ++i) out += text;
  return out;
}

// {"a":{"a":...{"a": <leaf>}...}} with `levels` objects.
std::string NestedObjects(int levels, std::string_view leaf) {
  return Repeat("{\"a\":", levels) + std::string(leaf) + Repeat("}", levels);
}

Json S3Event(std::string_view bucket, std::string_view key) {
  Json event = Sample("s3_object_created");
  event["detail"]["bucket"]["name"] = bucket;
  event["detail"]["object"]["key"] = key;
  return event;
}

// --- the table ---

struct PatternCase {
  std::string name;
  Json checks;
};

void PrintTo(const PatternCase& c, std::ostream* os) { *os << c.name; }

// One case per table entry; a table that could not be read is one case that fails saying so.
std::vector<PatternCase> LoadCases() {
  std::vector<PatternCase> cases;
  if (!Table().is_object()) return {{"TableUnreadable", Json()}};
  for (const Json& section : Table().value("sections", Json::array())) {
    for (const Json& c : section.at("cases")) {
      cases.push_back({c.at("name").get<std::string>(), c.at("checks")});
    }
  }
  if (cases.empty()) cases.push_back({"TableUnreadable", Json()});
  return cases;
}

class EventPatternTableTest : public ::testing::TestWithParam<PatternCase> {};

// Each check: the pattern parses and matches what it must, or is refused with its message.
TEST_P(EventPatternTableTest, Holds) {
  const Json& checks = GetParam().checks;
  ASSERT_TRUE(checks.is_array() && !checks.empty())
      << EP_TEST_DATA_DIR "/event_patterns.json is missing, not JSON, or has no checks here";
  for (const Json& check : checks) {
    SCOPED_TRACE(check.dump());
    for (const auto& [key, value] : check.items()) {
      EXPECT_THAT(
          (std::vector<std::string>{"pattern", "pattern_text", "pattern_sample", "match",
                                    "no_match", "error", "error_starts_with", "error_contains"}),
          ::testing::Contains(key))
          << "unknown key in the table";
    }
    Result<EventPattern> parsed =
        check.contains("pattern_text")
            ? EventPattern::Parse(std::string_view(check["pattern_text"].get<std::string>()))
        : check.contains("pattern_sample")
            ? EventPattern::Parse(NamedPattern(check["pattern_sample"].get<std::string>()))
            : EventPattern::Parse(check.at("pattern"));
    const std::string said = parsed.ok() ? "OK" : parsed.status().ToString();
    if (check.contains("error") || check.contains("error_starts_with") ||
        check.contains("error_contains")) {
      ASSERT_FALSE(parsed.ok()) << "the pattern was accepted";
      EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
      if (check.contains("error")) {
        EXPECT_EQ(said, check["error"].get<std::string>());
      }
      if (check.contains("error_starts_with")) {
        EXPECT_THAT(said, StartsWith(check["error_starts_with"].get<std::string>()));
      }
      if (check.contains("error_contains")) {
        EXPECT_THAT(said, HasSubstr(check["error_contains"].get<std::string>()));
      }
      continue;
    }
    ASSERT_TRUE(parsed.ok()) << said;
    ASSERT_TRUE(check.contains("match") || check.contains("no_match")) << "a check expects nothing";
    for (const Json& event : check.value("match", Json::array())) {
      EXPECT_TRUE(parsed->Matches(ResolveEvent(event))) << "should match: " << event.dump();
    }
    for (const Json& event : check.value("no_match", Json::array())) {
      EXPECT_FALSE(parsed->Matches(ResolveEvent(event))) << "should not match: " << event.dump();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Table, EventPatternTableTest, ::testing::ValuesIn(LoadCases()),
                         [](const ::testing::TestParamInfo<PatternCase>& info) {
                           return info.param.name;
                         });

// --- what the table cannot say: values built in code, sizes made by loops ---

TEST(EventPatternTest, IntegersBuiltInCodeMatchParsedIntegers) {
  Json event;
  event["size"] = static_cast<int64_t>(184662);  // held as a signed integer; parsed as unsigned
  EXPECT_TRUE(MatchEvent(R"({"size": [184662]})", event));
}

TEST(EventPatternTest, OrBranchesAreBounded) {
  std::string pattern = "{";
  for (int i = 0; i < 11; ++i) {  // 2^11 = 2048 alternatives
    pattern += "\"f" + std::to_string(i) + "\": {\"$or\": [{\"a\": [\"1\"]}, {\"b\": [\"1\"]}]},";
  }
  pattern.back() = '}';
  EXPECT_THAT(Error(pattern), HasSubstr("more than the 1024 allowed"));
}

TEST(EventPatternTest, OrBranchesUpToTheLimitAreAccepted) {
  std::string pattern = "{";
  for (int i = 0; i < 10; ++i) {  // 2^10 = 1024 alternatives
    pattern += "\"f" + std::to_string(i) + "\": {\"$or\": [{\"a\": [\"1\"]}, {\"b\": [\"1\"]}]},";
  }
  pattern.back() = '}';
  Json event;
  for (int i = 0; i < 10; ++i) event["f" + std::to_string(i)]["b"] = "1";
  EXPECT_TRUE(MatchEvent(pattern, event));
  event["f9"]["b"] = "2";
  EXPECT_FALSE(MatchEvent(pattern, event));
}

// --- API ---

TEST(EventPatternTest, SourceReturnsThePatternAsGiven) {
  const Json pattern = NamedPattern("crawler_pipeline");
  Result<EventPattern> parsed = EventPattern::Parse(pattern);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->source(), pattern);
}

TEST(EventPatternTest, ParseFromTextAndFromJsonAgree) {
  Result<EventPattern> from_text =
      EventPattern::Parse(std::string_view(NamedPattern("job_pipeline").dump()));
  Result<EventPattern> from_json = EventPattern::Parse(NamedPattern("job_pipeline"));
  ASSERT_TRUE(from_text.ok() && from_json.ok());
  EXPECT_EQ(from_text->source(), from_json->source());
}

TEST(EventPatternTest, DefaultConstructedMatchesNothing) {
  const EventPattern placeholder;
  EXPECT_FALSE(placeholder.Matches(Sample("s3_object_created")));
  EXPECT_TRUE(placeholder.source().is_null());
}

TEST(EventPatternTest, CopiesMatchLikeTheOriginal) {
  Result<EventPattern> parsed = EventPattern::Parse(NamedPattern("job_pipeline"));
  ASSERT_TRUE(parsed.ok());
  const EventPattern copy = *parsed;
  Json event = Sample("glue_job_succeeded");
  event["detail"]["jobName"] = "transactions-etl";
  event["detail"]["state"] = "FAILED";
  EXPECT_TRUE(copy.Matches(event));
  EXPECT_EQ(copy.source(), parsed->source());
}

TEST(EventPatternTest, ConcurrentMatchesAgree) {
  Result<EventPattern> parsed = EventPattern::Parse(NamedPattern("s3_pipeline"));
  ASSERT_TRUE(parsed.ok());
  const EventPattern& pattern = *parsed;
  const Json hit = S3Event("raw-transactions", "incoming/a.csv");
  const Json miss = S3Event("raw-transactions", "a.jpg");
  std::atomic<int> wrong = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        if (!pattern.Matches(hit) || pattern.Matches(miss)) ++wrong;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
}

// --- hostile input ---

TEST(EventPatternTest, DeeplyNestedPatternIsRejected) {
  const std::string pattern = NestedObjects(10000, "[\"x\"]");
  EXPECT_EQ(Error(pattern), "pattern: nested deeper than 64 levels");
}

TEST(EventPatternTest, PatternAtDepthLimitIsAccepted) {
  // The root object, 62 nested objects and the leaf array: 64 levels.
  EXPECT_TRUE(MatchEvent(NestedObjects(63, "[\"x\"]"), Json::parse(NestedObjects(63, "\"x\""))));
  EXPECT_EQ(Error(NestedObjects(64, "[\"x\"]")), "pattern: nested deeper than 64 levels");
}

TEST(EventPatternTest, DeeplyNestedArrayPatternIsRejected) {
  const std::string pattern = "{\"a\": " + Repeat("[", 10000) + Repeat("]", 10000) + "}";
  EXPECT_EQ(Error(pattern), "pattern: nested deeper than 64 levels");
}

TEST(EventPatternTest, DeeplyNestedEventObjectsAreSafe) {
  const Json event = Json::parse(NestedObjects(100000, "\"x\""));
  EXPECT_TRUE(MatchEvent(R"({"a": {"a": [{"exists": false}]}})", event));  // a.a holds an object
  EXPECT_FALSE(MatchEvent(R"({"a": {"a": {"a": ["x"]}}})", event));
  EXPECT_TRUE(MatchEvent(R"({"a": {"a": {"a": {"a": [{"exists": false}]}}}})", event));
}

TEST(EventPatternTest, DeeplyNestedEventArraysAreSafe) {
  const Json event =
      Json::parse("{\"a\": " + Repeat("[", 100000) + "\"x\"" + Repeat("]", 100000) + "}");
  EXPECT_TRUE(MatchEvent(R"({"a": ["x"]})", event));
  EXPECT_FALSE(MatchEvent(R"({"a": ["y"]})", event));
  EXPECT_TRUE(MatchEvent(R"({"a": [{"anything-but": "y"}]})", event));
}

TEST(EventPatternTest, DeeplyNestedArraysOfObjectsAreSafe) {
  const Json event =
      Json::parse("{\"a\": " + Repeat("[", 100000) + "{\"b\": \"x\"}" + Repeat("]", 100000) + "}");
  EXPECT_TRUE(MatchEvent(R"({"a": {"b": ["x"]}})", event));
  EXPECT_FALSE(MatchEvent(R"({"a": {"b": ["y"]}})", event));
}

TEST(EventPatternTest, HugeEventArrayIsScanned) {
  Json event;
  Json& values = event["resources"] = Json::array();
  for (int i = 0; i < 200000; ++i) values.push_back("arn:" + std::to_string(i));
  EXPECT_TRUE(MatchEvent(R"({"resources": ["arn:199999"]})", event));
  EXPECT_FALSE(MatchEvent(R"({"resources": ["arn:200000"]})", event));
}

TEST(EventPatternTest, HugeLeafListAgainstHugeEventArray) {
  Json pattern;
  Json& wanted = pattern["k"] = Json::array();
  Json event;
  Json& values = event["k"] = Json::array();
  for (int i = 0; i < 100000; ++i) {
    wanted.push_back("want-" + std::to_string(i));
    values.push_back("have-" + std::to_string(i));
  }
  Result<EventPattern> parsed = EventPattern::Parse(pattern);
  ASSERT_TRUE(parsed.ok());
  EXPECT_FALSE(parsed->Matches(event));
  values.push_back("want-99999");
  EXPECT_TRUE(parsed->Matches(event));
}

TEST(EventPatternTest, HugeOrArrayIsRejected) {
  std::string pattern = "{\"$or\": [";
  for (int i = 0; i < 2000; ++i) pattern += "{\"a\": [\"" + std::to_string(i) + "\"]},";
  pattern.back() = ']';
  pattern += "}";
  EXPECT_THAT(Error(pattern), StartsWith("pattern.$or: \"$or\" has more than 1024 alternatives"));
}

TEST(EventPatternTest, OrTimesManyFieldsIsRejected) {
  std::string pattern = "{\"$or\": [";
  for (int i = 0; i < 1000; ++i) pattern += "{\"a\": [\"" + std::to_string(i) + "\"]},";
  pattern.back() = ']';
  for (int i = 0; i < 200; ++i) pattern += ", \"k" + std::to_string(i) + "\": [\"x\"]";
  pattern += "}";
  EXPECT_THAT(Error(pattern), HasSubstr("more than 100000 field tests"));
}

TEST(EventPatternTest, WidePatternWithoutOrIsAccepted) {
  Json pattern;
  Json event;
  for (int i = 0; i < 20000; ++i) {
    const std::string key = "k" + std::to_string(i);
    pattern[key]["x"] = Json::array({i});
    event[key]["x"] = i;
  }
  Result<EventPattern> parsed = EventPattern::Parse(pattern);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_TRUE(parsed->Matches(event));
  event["k19999"]["x"] = -1;
  EXPECT_FALSE(parsed->Matches(event));
}

TEST(EventPatternTest, LongValueAgainstManyStarWildcard) {
  const Json event = {{"k", std::string(100000, 'a')}};
  EXPECT_FALSE(MatchEvent(R"({"k": [{"wildcard": "*a*a*a*a*a*a*a*b"}]})", event));
  EXPECT_TRUE(MatchEvent(R"({"k": [{"wildcard": "a*a*a*a*a*a*a*a"}]})", event));
}

TEST(EventPatternTest, InvalidUtf8InEventIsHandled) {
  const Json event = {{"k", std::string("\xC3\x28\xFF", 3)}};
  EXPECT_FALSE(MatchEvent(R"({"k": [{"equals-ignore-case": "x"}]})", event));
  EXPECT_TRUE(MatchEvent(R"({"k": [{"prefix": {"equals-ignore-case": "\u00c3"}}]})",
                         Json{{"k", std::string("\xC3\x83\xFF", 3)}}));
}

}  // namespace
}  // namespace ecompipe::events
