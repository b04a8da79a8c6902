#include "events/event_pattern.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace ecompipe::events {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// True when `event` matches `pattern`; a rejected pattern fails the test.
bool MatchEvent(std::string_view pattern, const Json& event) {
  Result<EventPattern> parsed = EventPattern::Parse(pattern);
  if (!parsed.ok()) {
    ADD_FAILURE() << "pattern rejected: " << parsed.status().ToString();
    return false;
  }
  return parsed->Matches(event);
}

bool Match(std::string_view pattern, std::string_view event) {
  return MatchEvent(pattern, Json::parse(event));
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

// aws-formats.md §4.2, S3 "Object Created" via EventBridge.
constexpr std::string_view kS3ObjectCreated = R"json({
  "version": "0",
  "id": "f5f1e65c-dc3a-93ca-6c1e-b1647eac7963",
  "detail-type": "Object Created",
  "source": "aws.s3",
  "account": "123456789012",
  "time": "2023-03-08T17:50:14Z",
  "region": "eu-west-1",
  "resources": ["arn:aws:s3:::example-bucket"],
  "detail": {
    "version": "0",
    "bucket": { "name": "example-bucket" },
    "object": {
      "key": "IMG_m7fzo3.jpg",
      "size": 184662,
      "etag": "4e68adba0abe2dc8653dc3354e14c01d",
      "sequencer": "006408CAD69598B05E"
    },
    "request-id": "57H08PA84AB1JZW0",
    "requester": "123456789012",
    "source-ip-address": "34.252.34.74",
    "reason": "PutObject"
  }
})json";

// aws-formats.md §4.5, Glue Job State Change.
constexpr std::string_view kGlueJobSucceeded = R"json({
  "version": "0",
  "id": "abcdef00-1234-5678-9abc-def012345678",
  "detail-type": "Glue Job State Change",
  "source": "aws.glue",
  "account": "123456789012",
  "time": "2017-09-07T18:57:21Z",
  "region": "us-west-2",
  "resources": [],
  "detail": {
    "jobName": "MyJob",
    "severity": "INFO",
    "state": "SUCCEEDED",
    "jobRunId": "jr_abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789",
    "message": "Job run succeeded"
  }
})json";

// aws-formats.md §4.5, Glue Crawler State Change (Started, Succeeded, Failed).
constexpr std::string_view kGlueCrawlerStarted = R"json({
  "version":"0","id":"05efe8a2-0000","detail-type":"Glue Crawler State Change","source":"aws.glue",
  "account":"561226563745","time":"2017-11-11T01:09:46Z","region":"us-east-1","resources":[],
  "detail":{"accountId":"561226563745","crawlerName":"S3toS3AcceptanceTestCrawler",
            "startTime":"2017-11-11T01:09:46Z","state":"Started","message":"Crawler Started"}
})json";

constexpr std::string_view kGlueCrawlerSucceeded = R"json({
  "version":"0","id":"3d675db5-0000","detail-type":"Glue Crawler State Change","source":"aws.glue",
  "account":"561226563745","time":"2017-11-11T01:25:00Z","region":"us-east-1","resources":[],
  "detail":{
    "tablesCreated":"0","warningMessage":"N/A","partitionsUpdated":"0","tablesUpdated":"0",
    "message":"Crawler Succeeded","partitionsDeleted":"0","accountId":"561226563745",
    "runningTime (sec)":"7","tablesDeleted":"0","crawlerName":"SchedulerTestCrawler",
    "completionDate":"2017-11-11T01:25:00Z","state":"Succeeded","partitionsCreated":"0",
    "cloudWatchLogLink":"https://console.aws.amazon.com/cloudwatch/home?region=us-east-1"} })json";

constexpr std::string_view kGlueCrawlerFailed = R"json({
  "version":"0","id":"f7965b59-0000","detail-type":"Glue Crawler State Change","source":"aws.glue",
  "account":"782104008917","time":"2017-10-20T05:10:08Z","region":"us-east-1","resources":[],
  "detail":{"crawlerName":"test-crawler-notification","errorMessage":"Internal Service Exception",
            "accountId":"1234","cloudWatchLogLink":"https://example","state":"Failed",
            "message":"Crawler Failed"} })json";

// aws-formats.md §4.4, the pipeline's three patterns.
constexpr std::string_view kObjectCreatedPattern = R"json(
{"source": ["aws.s3"], "detail-type": ["Object Created"],
 "detail": {"bucket": {"name": ["raw-transactions"]},
            "object": {"key": [{"prefix": "incoming/"}, {"suffix": ".csv"}]}}})json";

constexpr std::string_view kCrawlerPattern = R"json(
{"source": ["aws.glue"], "detail-type": ["Glue Crawler State Change"],
 "detail": {"crawlerName": ["transactions-crawler"], "state": ["Succeeded"]}})json";

constexpr std::string_view kJobPattern = R"json(
{"source": ["aws.glue"], "detail-type": ["Glue Job State Change"],
 "detail": {"jobName": ["transactions-etl"],
            "state": ["SUCCEEDED", "FAILED", "TIMEOUT", "STOPPED"]}})json";

Json S3Event(std::string_view bucket, std::string_view key) {
  Json event = Json::parse(kS3ObjectCreated);
  event["detail"]["bucket"]["name"] = bucket;
  event["detail"]["object"]["key"] = key;
  return event;
}

Json GlueEvent(std::string_view sample, std::string_view name_field, std::string_view name,
               std::string_view state) {
  Json event = Json::parse(sample);
  event["detail"][std::string(name_field)] = name;
  event["detail"]["state"] = state;
  return event;
}

// --- The pipeline's patterns against the sample events ---

TEST(EventPatternTest, PipelineS3PatternRejectsSampleFromOtherBucket) {
  EXPECT_FALSE(MatchEvent(kObjectCreatedPattern, Json::parse(kS3ObjectCreated)));
}

TEST(EventPatternTest, PipelineS3PatternMatchesIncomingCsv) {
  EXPECT_TRUE(
      MatchEvent(kObjectCreatedPattern, S3Event("raw-transactions", "incoming/2024-01.csv")));
}

TEST(EventPatternTest, PipelineS3PatternMatchesPrefixAlone) {
  EXPECT_TRUE(
      MatchEvent(kObjectCreatedPattern, S3Event("raw-transactions", "incoming/IMG_m7fzo3.jpg")));
}

TEST(EventPatternTest, PipelineS3PatternMatchesSuffixAlone) {
  EXPECT_TRUE(
      MatchEvent(kObjectCreatedPattern, S3Event("raw-transactions", "archive/2024-01.csv")));
}

TEST(EventPatternTest, PipelineS3PatternRejectsKeyWithNeitherPrefixNorSuffix) {
  EXPECT_FALSE(MatchEvent(kObjectCreatedPattern, S3Event("raw-transactions", "IMG_m7fzo3.jpg")));
}

TEST(EventPatternTest, PipelineS3PatternRejectsOtherDetailType) {
  Json event = S3Event("raw-transactions", "incoming/a.csv");
  event["detail-type"] = "Object Deleted";
  EXPECT_FALSE(MatchEvent(kObjectCreatedPattern, event));
}

TEST(EventPatternTest, PipelineCrawlerPatternMatchesSucceededCrawl) {
  EXPECT_TRUE(MatchEvent(kCrawlerPattern, GlueEvent(kGlueCrawlerSucceeded, "crawlerName",
                                                    "transactions-crawler", "Succeeded")));
}

TEST(EventPatternTest, PipelineCrawlerPatternRejectsSamplesAsGiven) {
  EXPECT_FALSE(MatchEvent(kCrawlerPattern, Json::parse(kGlueCrawlerStarted)));
  EXPECT_FALSE(MatchEvent(kCrawlerPattern, Json::parse(kGlueCrawlerSucceeded)));
  EXPECT_FALSE(MatchEvent(kCrawlerPattern, Json::parse(kGlueCrawlerFailed)));
}

TEST(EventPatternTest, PipelineCrawlerPatternRejectsStartedAndFailedStates) {
  EXPECT_FALSE(MatchEvent(kCrawlerPattern, GlueEvent(kGlueCrawlerStarted, "crawlerName",
                                                     "transactions-crawler", "Started")));
  EXPECT_FALSE(MatchEvent(kCrawlerPattern, GlueEvent(kGlueCrawlerFailed, "crawlerName",
                                                     "transactions-crawler", "Failed")));
}

TEST(EventPatternTest, PipelineCrawlerPatternIsCaseSensitiveOnState) {
  EXPECT_FALSE(MatchEvent(kCrawlerPattern, GlueEvent(kGlueCrawlerSucceeded, "crawlerName",
                                                     "transactions-crawler", "SUCCEEDED")));
}

TEST(EventPatternTest, PipelineJobPatternMatchesEveryTerminalState) {
  for (const char* state : {"SUCCEEDED", "FAILED", "TIMEOUT", "STOPPED"}) {
    EXPECT_TRUE(
        MatchEvent(kJobPattern, GlueEvent(kGlueJobSucceeded, "jobName", "transactions-etl", state)))
        << state;
  }
}

TEST(EventPatternTest, PipelineJobPatternRejectsNonTerminalState) {
  EXPECT_FALSE(MatchEvent(kJobPattern,
                          GlueEvent(kGlueJobSucceeded, "jobName", "transactions-etl", "RUNNING")));
}

TEST(EventPatternTest, PipelineJobPatternRejectsOtherJobAndCrawlerEvents) {
  EXPECT_FALSE(MatchEvent(kJobPattern, Json::parse(kGlueJobSucceeded)));  // jobName MyJob
  EXPECT_FALSE(
      MatchEvent(kJobPattern, GlueEvent(kGlueCrawlerSucceeded, "jobName", "transactions-etl",
                                        "SUCCEEDED")));  // a crawler's detail-type
}

// --- Exact matching ---

TEST(EventPatternTest, ExactStringIsCaseSensitive) {
  EXPECT_TRUE(Match(R"({"source": ["aws.s3"]})", R"({"source": "aws.s3"})"));
  EXPECT_FALSE(Match(R"({"source": ["aws.s3"]})", R"({"source": "AWS.S3"})"));
  EXPECT_FALSE(Match(R"({"source": ["aws.s3"]})", R"({"source": "aws.s3 "})"));
}

TEST(EventPatternTest, ValuesInOneLeafAreOred) {
  const char* pattern = R"({"source": ["aws.ec2", "aws.fargate"]})";
  EXPECT_TRUE(Match(pattern, R"({"source": "aws.fargate"})"));
  EXPECT_FALSE(Match(pattern, R"({"source": "aws.s3"})"));
}

TEST(EventPatternTest, FieldsAreAnded) {
  const char* pattern = R"({"Location": ["New York"], "Day": ["Monday"]})";
  EXPECT_TRUE(Match(pattern, R"({"Location": "New York", "Day": "Monday"})"));
  EXPECT_FALSE(Match(pattern, R"({"Location": "New York", "Day": "Tuesday"})"));
}

TEST(EventPatternTest, MissingFieldDoesNotMatch) {
  EXPECT_FALSE(Match(R"({"detail": {"state": ["running"]}})", R"({"detail": {}})"));
  EXPECT_FALSE(Match(R"({"detail": {"state": ["running"]}})", R"({"source": "x"})"));
}

TEST(EventPatternTest, UnlistedFieldsAreIgnored) {
  EXPECT_TRUE(Match(R"({"source": ["a"]})", R"({"source": "a", "other": {"deep": [1, 2]}})"));
}

TEST(EventPatternTest, FieldMustBeAtSameNesting) {
  EXPECT_FALSE(Match(R"({"state": ["running"]})", R"({"detail": {"state": "running"}})"));
}

TEST(EventPatternTest, DottedKeyIsALiteralName) {
  EXPECT_TRUE(Match(R"({"a.b": ["x"]})", R"({"a.b": "x"})"));
  EXPECT_FALSE(Match(R"({"a.b": ["x"]})", R"({"a": {"b": "x"}})"));
}

TEST(EventPatternTest, NullMatchesNullOnly) {
  const char* pattern = R"({"UserID": [null]})";
  EXPECT_TRUE(Match(pattern, R"({"UserID": null})"));
  EXPECT_FALSE(Match(pattern, R"({"UserID": ""})"));
  EXPECT_FALSE(Match(pattern, R"({"UserID": "null"})"));
  EXPECT_FALSE(Match(pattern, R"({})"));
}

TEST(EventPatternTest, EmptyStringMatchesEmptyStringOnly) {
  const char* pattern = R"({"LastName": [""]})";
  EXPECT_TRUE(Match(pattern, R"({"LastName": ""})"));
  EXPECT_FALSE(Match(pattern, R"({"LastName": null})"));
  EXPECT_FALSE(Match(pattern, R"({"LastName": " "})"));
}

TEST(EventPatternTest, BooleanLiteralsMatchExactly) {
  EXPECT_TRUE(Match(R"({"ok": [true]})", R"({"ok": true})"));
  EXPECT_FALSE(Match(R"({"ok": [true]})", R"({"ok": "true"})"));
  EXPECT_FALSE(Match(R"({"ok": [false]})", R"({"ok": true})"));
}

TEST(EventPatternTest, IntegerMatchesEqualInteger) {
  EXPECT_TRUE(Match(R"({"size": [300]})", R"({"size": 300})"));
  EXPECT_TRUE(Match(R"({"size": [-3]})", R"({"size": -3})"));
  EXPECT_FALSE(Match(R"({"size": [300]})", R"({"size": 301})"));
}

// EventBridge: exact numbers compare as written, so 300 and 300.0 differ.
TEST(EventPatternTest, IntegerAndFractionSpellingsDoNotMatch) {
  EXPECT_FALSE(Match(R"({"size": [300]})", R"({"size": 300.0})"));
  EXPECT_FALSE(Match(R"({"size": [300.0]})", R"({"size": 300})"));
  EXPECT_FALSE(Match(R"({"size": [300]})", R"({"size": 3.0e2})"));
}

// A parsed Json keeps no spelling, so two non-integer spellings of one value are equal.
TEST(EventPatternTest, FractionAndExponentSpellingsOfOneValueMatch) {
  EXPECT_TRUE(Match(R"({"x": [300.0]})", R"({"x": 3.0e2})"));
  EXPECT_TRUE(Match(R"({"x": [301.8]})", R"({"x": 3.018e2})"));
}

TEST(EventPatternTest, NumberDoesNotMatchNumericString) {
  EXPECT_FALSE(Match(R"({"size": [300]})", R"({"size": "300"})"));
  EXPECT_FALSE(Match(R"({"size": ["300"]})", R"({"size": 300})"));
}

TEST(EventPatternTest, LargeIntegersCompareExactly) {
  EXPECT_TRUE(Match(R"({"n": [18446744073709551615]})", R"({"n": 18446744073709551615})"));
  EXPECT_FALSE(Match(R"({"n": [18446744073709551615]})", R"({"n": -1})"));
  EXPECT_FALSE(Match(R"({"n": [9007199254740993]})", R"({"n": 9007199254740992})"));
}

TEST(EventPatternTest, IntegersBuiltInCodeMatchParsedIntegers) {
  Json event;
  event["size"] = static_cast<int64_t>(184662);  // held as a signed integer; parsed as unsigned
  EXPECT_TRUE(MatchEvent(R"({"size": [184662]})", event));
}

// --- Arrays in events ---

TEST(EventPatternTest, EventArrayMatchesWhenAnyElementMatches) {
  const char* pattern =
      R"({"resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"]})";
  EXPECT_TRUE(Match(pattern, R"({"resources": ["arn:aws:autoscaling:x",
                                 "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"]})"));
  EXPECT_FALSE(Match(pattern, R"({"resources": ["arn:aws:autoscaling:x", "arn:other"]})"));
}

TEST(EventPatternTest, NestedEventArraysAreFlattened) {
  EXPECT_TRUE(Match(R"({"tags": ["c"]})", R"({"tags": [["a", ["b", ["c"]]]]})"));
}

TEST(EventPatternTest, EmptyEventArrayHasNoValues) {
  EXPECT_FALSE(Match(R"({"resources": [""]})", R"({"resources": []})"));
  EXPECT_FALSE(Match(R"({"resources": [{"exists": true}]})", R"({"resources": []})"));
  EXPECT_TRUE(Match(R"({"resources": [{"exists": false}]})", R"({"resources": []})"));
}

TEST(EventPatternTest, ArrayOfObjectsMatchesThroughElements) {
  const char* event = R"({"employees": [{"firstName": "John", "lastName": "Doe"},
                                        {"firstName": "Anna", "lastName": "Smith"}]})";
  EXPECT_TRUE(Match(R"({"employees": {"firstName": ["Anna"]}})", event));
  EXPECT_TRUE(Match(R"({"employees": {"firstName": ["Anna"], "lastName": ["Smith"]}})", event));
}

TEST(EventPatternTest, ArrayOfObjectsNeverCombinesFieldsOfDifferentElements) {
  EXPECT_FALSE(Match(R"({"a": {"b": ["1"], "c": ["2"]}})",
                     R"({"a": [{"b": "1", "c": "x"}, {"b": "x", "c": "2"}]})"));
  EXPECT_FALSE(Match(R"({"employees": {"firstName": ["Anna"], "lastName": ["Doe"]}})",
                     R"({"employees": [{"firstName": "John", "lastName": "Doe"},
                                       {"firstName": "Anna", "lastName": "Smith"}]})"));
}

TEST(EventPatternTest, ArrayConsistencyHoldsInMultiLevelArrays) {
  const char* event = R"({"employees": [[{"firstName": "John", "lastName": "Doe"},
                                         {"firstName": "Anna", "lastName": "Smith"}],
                                        [{"firstName": "Peter", "lastName": "Jones"}]]})";
  EXPECT_TRUE(Match(R"({"employees": {"firstName": ["Peter"], "lastName": ["Jones"]}})", event));
  EXPECT_FALSE(Match(R"({"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}})", event));
}

TEST(EventPatternTest, ArrayConsistencyHoldsForDeeperFieldsOfOneElement) {
  const char* pattern = R"({"a": {"b": {"c": ["1"]}, "d": ["2"]}})";
  EXPECT_TRUE(Match(pattern, R"({"a": [{"b": {"c": "1"}, "d": "2"}]})"));
  EXPECT_FALSE(
      Match(pattern, R"({"a": [{"b": {"c": "1"}, "d": "x"}, {"b": {"c": "x"}, "d": "2"}]})"));
}

TEST(EventPatternTest, ArrayConsistencyHoldsAcrossOr) {
  const char* pattern = R"({"a": {"b": ["1"]}, "$or": [{"a": {"c": ["2"]}}, {"x": ["y"]}]})";
  EXPECT_FALSE(Match(pattern, R"({"a": [{"b": "1", "c": "x"}, {"b": "x", "c": "2"}]})"));
  EXPECT_TRUE(Match(pattern, R"({"a": [{"b": "1", "c": "x"}, {"b": "1", "c": "2"}]})"));
  EXPECT_TRUE(Match(pattern, R"({"a": [{"b": "1"}], "x": "y"})"));
}

TEST(EventPatternTest, ObjectValueDoesNotMatchLeaf) {
  EXPECT_FALSE(Match(R"({"detail": ["x"]})", R"({"detail": {"x": "x"}})"));
}

TEST(EventPatternTest, ScalarValueDoesNotMatchNestedPattern) {
  EXPECT_FALSE(Match(R"({"detail": {"state": ["x"]}})", R"({"detail": "x"})"));
}

TEST(EventPatternTest, NonObjectEventHasNoFields) {
  EXPECT_FALSE(MatchEvent(R"({"a": ["x"]})", Json::parse(R"(["x"])")));
  EXPECT_TRUE(MatchEvent(R"({"a": [{"exists": false}]})", Json::parse(R"("x")")));
}

// --- prefix / suffix / equals-ignore-case ---

TEST(EventPatternTest, PrefixMatchesStart) {
  EXPECT_TRUE(
      Match(R"({"time": [{"prefix": "2017-10-02"}]})", R"({"time": "2017-10-02T18:43:48Z"})"));
}

TEST(EventPatternTest, PrefixRejectsOtherStart) {
  EXPECT_FALSE(
      Match(R"({"time": [{"prefix": "2017-10-02"}]})", R"({"time": "2017-10-03T00:00:00Z"})"));
  EXPECT_FALSE(Match(R"({"time": [{"prefix": "2017-10-02"}]})", R"({"time": "2017"})"));
}

TEST(EventPatternTest, PrefixIsCaseSensitive) {
  EXPECT_FALSE(Match(R"({"key": [{"prefix": "incoming/"}]})", R"({"key": "Incoming/a.csv"})"));
}

TEST(EventPatternTest, PrefixAppliesToStringsOnly) {
  EXPECT_FALSE(Match(R"({"n": [{"prefix": "12"}]})", R"({"n": 123})"));
  EXPECT_FALSE(Match(R"({"n": [{"prefix": "nu"}]})", R"({"n": null})"));
}

TEST(EventPatternTest, EmptyPrefixMatchesAnyString) {
  EXPECT_TRUE(Match(R"({"s": [{"prefix": ""}]})", R"({"s": "anything"})"));
  EXPECT_TRUE(Match(R"({"s": [{"prefix": ""}]})", R"({"s": ""})"));
}

TEST(EventPatternTest, PrefixIgnoringCaseMatches) {
  const char* pattern = R"({"service": [{"prefix": {"equals-ignore-case": "eventb"}}]})";
  EXPECT_TRUE(Match(pattern, R"({"service": "EventBridge"})"));
  EXPECT_TRUE(Match(pattern, R"({"service": "EVENTBRIDGE"})"));
  EXPECT_FALSE(Match(pattern, R"({"service": "SNS EventBridge"})"));
}

TEST(EventPatternTest, SuffixMatchesEnd) {
  EXPECT_TRUE(Match(R"({"FileName": [{"suffix": ".png"}]})", R"({"FileName": "photos/a.png"})"));
}

TEST(EventPatternTest, SuffixRejectsOtherEnd) {
  EXPECT_FALSE(Match(R"({"FileName": [{"suffix": ".png"}]})", R"({"FileName": "a.png.jpg"})"));
  EXPECT_FALSE(Match(R"({"FileName": [{"suffix": ".png"}]})", R"({"FileName": "a.PNG"})"));
}

TEST(EventPatternTest, SuffixIgnoringCaseMatches) {
  const char* pattern = R"({"service": [{"suffix": {"equals-ignore-case": "tbridge"}}]})";
  EXPECT_TRUE(Match(pattern, R"({"service": "EVENTBRIDGE"})"));
  EXPECT_FALSE(Match(pattern, R"({"service": "EventBridges"})"));
}

TEST(EventPatternTest, EqualsIgnoreCaseMatchesAnyCasing) {
  const char* pattern = R"({"Name": [{"equals-ignore-case": "alice"}]})";
  EXPECT_TRUE(Match(pattern, R"({"Name": "ALICE"})"));
  EXPECT_TRUE(Match(pattern, R"({"Name": "aLiCe"})"));
}

TEST(EventPatternTest, EqualsIgnoreCaseStillRequiresWholeValue) {
  const char* pattern = R"({"Name": [{"equals-ignore-case": "alice"}]})";
  EXPECT_FALSE(Match(pattern, R"({"Name": "Alicia"})"));
  EXPECT_FALSE(Match(pattern, R"({"Name": "alice "})"));
}

TEST(EventPatternTest, EqualsIgnoreCaseFoldsNonAsciiLetters) {
  EXPECT_TRUE(Match(R"({"n": [{"equals-ignore-case": "école"}]})", R"({"n": "ÉCOLE"})"));
  EXPECT_TRUE(Match(R"({"n": [{"equals-ignore-case": "σίσυφος"}]})", R"({"n": "ΣΊΣΥΦΟΣ"})"));
  EXPECT_TRUE(Match(R"({"n": [{"equals-ignore-case": "москва"}]})", R"({"n": "МОСКВА"})"));
  EXPECT_FALSE(Match(R"({"n": [{"equals-ignore-case": "école"}]})", R"({"n": "ECOLE"})"));
}

// --- wildcard ---

TEST(EventPatternTest, WildcardStarMatchesAnyRun) {
  const char* pattern = R"({"FilePath": [{"wildcard": "dir/*.png"}]})";
  EXPECT_TRUE(Match(pattern, R"({"FilePath": "dir/a.png"})"));
  EXPECT_TRUE(Match(pattern, R"({"FilePath": "dir/sub/b.png"})"));
  EXPECT_TRUE(Match(pattern, R"({"FilePath": "dir/.png"})"));
}

TEST(EventPatternTest, WildcardRejectsNonMatchingText) {
  const char* pattern = R"({"FilePath": [{"wildcard": "dir/*.png"}]})";
  EXPECT_FALSE(Match(pattern, R"({"FilePath": "dir/a.jpg"})"));
  EXPECT_FALSE(Match(pattern, R"({"FilePath": "other/dir/a.png"})"));
  EXPECT_FALSE(Match(pattern, R"({"FilePath": "dir.png"})"));
}

TEST(EventPatternTest, WildcardWithSeveralStars) {
  const char* pattern = R"({"k": [{"wildcard": "*/lib/*.so*"}]})";
  EXPECT_TRUE(Match(pattern, R"({"k": "/usr/lib/libc.so.6"})"));
  EXPECT_TRUE(Match(pattern, R"({"k": "/lib/x.so"})"));
  EXPECT_FALSE(Match(pattern, R"({"k": "/usr/lib64/libc.so.6"})"));
}

TEST(EventPatternTest, WildcardPartsMayNotOverlap) {
  EXPECT_FALSE(Match(R"({"k": [{"wildcard": "ab*ba"}]})", R"({"k": "aba"})"));
  EXPECT_TRUE(Match(R"({"k": [{"wildcard": "ab*ba"}]})", R"({"k": "abba"})"));
  EXPECT_TRUE(Match(R"({"k": [{"wildcard": "*ab*ab"}]})", R"({"k": "xabyab"})"));
  EXPECT_FALSE(Match(R"({"k": [{"wildcard": "*ab*ab"}]})", R"({"k": "xab"})"));
}

TEST(EventPatternTest, WildcardWithoutStarIsExact) {
  EXPECT_TRUE(Match(R"({"k": [{"wildcard": "abc"}]})", R"({"k": "abc"})"));
  EXPECT_FALSE(Match(R"({"k": [{"wildcard": "abc"}]})", R"({"k": "abcd"})"));
}

TEST(EventPatternTest, WildcardLoneStarMatchesEveryString) {
  EXPECT_TRUE(Match(R"({"k": [{"wildcard": "*"}]})", R"({"k": ""})"));
  EXPECT_FALSE(Match(R"({"k": [{"wildcard": "*"}]})", R"({"k": 5})"));
}

TEST(EventPatternTest, WildcardEscapedStarIsLiteral) {
  const char* pattern = R"({"k": [{"wildcard": "a\\*b"}]})";  // a\*b
  EXPECT_TRUE(Match(pattern, R"({"k": "a*b"})"));
  EXPECT_FALSE(Match(pattern, R"({"k": "axb"})"));
}

TEST(EventPatternTest, WildcardEscapedBackslashIsLiteral) {
  const char* pattern = R"({"k": [{"wildcard": "a\\\\*"}]})";  // a\\* : "a\" then any run
  EXPECT_TRUE(Match(pattern, R"({"k": "a\\tail"})"));
  EXPECT_FALSE(Match(pattern, R"({"k": "atail"})"));
}

TEST(EventPatternTest, WildcardRejectsConsecutiveStars) {
  EXPECT_THAT(Error(R"({"k": [{"wildcard": "a**b"}]})"),
              StartsWith("pattern.k[0].wildcard: wildcard has consecutive '*'"));
}

TEST(EventPatternTest, WildcardRejectsOtherEscapes) {
  EXPECT_THAT(Error(R"({"k": [{"wildcard": "a\\nb"}]})"),
              StartsWith("pattern.k[0].wildcard: wildcard has an invalid escape at offset 1"));
}

TEST(EventPatternTest, WildcardRejectsTrailingBackslash) {
  EXPECT_THAT(Error(R"({"k": [{"wildcard": "ab\\"}]})"), HasSubstr("lone backslash"));
}

TEST(EventPatternTest, WildcardAllowsStarsAroundEscapedStar) {
  EXPECT_TRUE(Match(R"({"k": [{"wildcard": "*\\**"}]})", R"({"k": "x*y"})"));
  EXPECT_FALSE(Match(R"({"k": [{"wildcard": "*\\**"}]})", R"({"k": "xy"})"));
}

// --- anything-but ---

TEST(EventPatternTest, AnythingButStringExcludesIt) {
  const char* pattern = R"({"state": [{"anything-but": "initializing"}]})";
  EXPECT_TRUE(Match(pattern, R"({"state": "running"})"));
  EXPECT_FALSE(Match(pattern, R"({"state": "initializing"})"));
}

TEST(EventPatternTest, AnythingButDoesNotMatchMissingField) {
  EXPECT_FALSE(Match(R"({"state": [{"anything-but": "initializing"}]})", R"({"other": 1})"));
}

TEST(EventPatternTest, AnythingButDoesNotMatchObjectValue) {
  EXPECT_FALSE(Match(R"({"state": [{"anything-but": "x"}]})", R"({"state": {"y": 1}})"));
}

TEST(EventPatternTest, AnythingButStringListExcludesEach) {
  const char* pattern = R"({"state": [{"anything-but": ["stopped", "overloaded"]}]})";
  EXPECT_TRUE(Match(pattern, R"({"state": "running"})"));
  EXPECT_FALSE(Match(pattern, R"({"state": "stopped"})"));
  EXPECT_FALSE(Match(pattern, R"({"state": "overloaded"})"));
}

TEST(EventPatternTest, AnythingButNumberListExcludesByValue) {
  const char* pattern = R"({"x-limit": [{"anything-but": [100, 200, 300]}]})";
  EXPECT_TRUE(Match(pattern, R"({"x-limit": 301.8})"));
  EXPECT_FALSE(Match(pattern, R"({"x-limit": 200})"));
  EXPECT_FALSE(Match(pattern, R"({"x-limit": 300.0})"));
}

TEST(EventPatternTest, AnythingButSingleNumber) {
  EXPECT_TRUE(Match(R"({"x": [{"anything-but": 123}]})", R"({"x": 124})"));
  EXPECT_FALSE(Match(R"({"x": [{"anything-but": 123}]})", R"({"x": 123})"));
}

// As in Event Ruler: anything-but excludes only what it names, whatever the value's type.
TEST(EventPatternTest, AnythingButMatchesValuesOfOtherTypes) {
  EXPECT_TRUE(Match(R"({"x": [{"anything-but": "123"}]})", R"({"x": 123})"));
  EXPECT_TRUE(Match(R"({"x": [{"anything-but": 123}]})", R"({"x": "123"})"));
  EXPECT_TRUE(Match(R"({"x": [{"anything-but": "initializing"}]})", R"({"x": null})"));
}

TEST(EventPatternTest, AnythingButOnArrayMatchesWhenAnyElementIsNotExcluded) {
  const char* pattern = R"({"tags": [{"anything-but": "a"}]})";
  EXPECT_TRUE(Match(pattern, R"({"tags": ["a", "b"]})"));
  EXPECT_FALSE(Match(pattern, R"({"tags": ["a", "a"]})"));
}

TEST(EventPatternTest, AnythingButPrefix) {
  const char* pattern = R"({"Region": [{"anything-but": {"prefix": "us-"}}]})";
  EXPECT_TRUE(Match(pattern, R"({"Region": "eu-west-1"})"));
  EXPECT_FALSE(Match(pattern, R"({"Region": "us-east-1"})"));
}

TEST(EventPatternTest, AnythingButSuffix) {
  const char* pattern = R"({"FileName": [{"anything-but": {"suffix": ".png"}}]})";
  EXPECT_TRUE(Match(pattern, R"({"FileName": "a.jpg"})"));
  EXPECT_FALSE(Match(pattern, R"({"FileName": "a.png"})"));
}

TEST(EventPatternTest, AnythingButEqualsIgnoreCase) {
  const char* pattern = R"({"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]})";
  EXPECT_TRUE(Match(pattern, R"({"state": "running"})"));
  EXPECT_FALSE(Match(pattern, R"({"state": "INITIALIZING"})"));
}

TEST(EventPatternTest, AnythingButEqualsIgnoreCaseList) {
  const char* pattern = R"({"state": [{"anything-but": {"equals-ignore-case": ["a", "B"]}}]})";
  EXPECT_TRUE(Match(pattern, R"({"state": "c"})"));
  EXPECT_FALSE(Match(pattern, R"({"state": "A"})"));
  EXPECT_FALSE(Match(pattern, R"({"state": "b"})"));
}

TEST(EventPatternTest, AnythingButWildcard) {
  const char* pattern = R"({"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]})";
  EXPECT_TRUE(Match(pattern, R"({"FilePath": "/usr/bin/ls"})"));
  EXPECT_FALSE(Match(pattern, R"({"FilePath": "/usr/lib/libc.so"})"));
}

TEST(EventPatternTest, AnythingButRejectsMixedList) {
  EXPECT_THAT(Error(R"({"x": [{"anything-but": ["a", 1]}]})"),
              StartsWith("pattern.x[0].anything-but: anything-but lists must be all strings or all "
                         "numbers"));
}

TEST(EventPatternTest, AnythingButRejectsEmptyList) {
  EXPECT_THAT(Error(R"({"x": [{"anything-but": []}]})"),
              StartsWith("pattern.x[0].anything-but: anything-but lists must not be empty"));
}

TEST(EventPatternTest, AnythingButRejectsNullAndBooleans) {
  EXPECT_THAT(Error(R"({"x": [{"anything-but": null}]})"),
              StartsWith("pattern.x[0].anything-but:"));
  EXPECT_THAT(Error(R"({"x": [{"anything-but": [true]}]})"),
              StartsWith("pattern.x[0].anything-but[0]:"));
}

TEST(EventPatternTest, AnythingButRejectsEmptyPrefix) {
  EXPECT_THAT(
      Error(R"({"x": [{"anything-but": {"prefix": ""}}]})"),
      StartsWith("pattern.x[0].anything-but.prefix: anything-but prefix must not be empty"));
}

TEST(EventPatternTest, AnythingButRejectsPrefixList) {
  EXPECT_THAT(Error(R"({"x": [{"anything-but": {"prefix": ["a", "b"]}}]})"),
              StartsWith("pattern.x[0].anything-but.prefix: anything-but prefix takes a string"));
}

TEST(EventPatternTest, AnythingButRejectsUnsupportedOperator) {
  EXPECT_THAT(Error(R"({"x": [{"anything-but": {"numeric": [">", 1]}}]})"),
              StartsWith("pattern.x[0].anything-but.numeric: anything-but takes prefix"));
}

// --- numeric ---

TEST(EventPatternTest, NumericRangeHonoursOpenAndClosedBounds) {
  const char* pattern = R"({"c-count": [{"numeric": [">", 0, "<=", 5]}]})";
  EXPECT_FALSE(Match(pattern, R"({"c-count": 0})"));
  EXPECT_TRUE(Match(pattern, R"({"c-count": 0.000001})"));
  EXPECT_TRUE(Match(pattern, R"({"c-count": 5})"));
  EXPECT_FALSE(Match(pattern, R"({"c-count": 5.000001})"));
}

TEST(EventPatternTest, NumericSingleBounds) {
  EXPECT_TRUE(Match(R"({"n": [{"numeric": ["<", 10]}]})", R"({"n": 9.99})"));
  EXPECT_FALSE(Match(R"({"n": [{"numeric": ["<", 10]}]})", R"({"n": 10})"));
  EXPECT_TRUE(Match(R"({"n": [{"numeric": ["<=", 10]}]})", R"({"n": 10})"));
  EXPECT_TRUE(Match(R"({"n": [{"numeric": [">=", -5]}]})", R"({"n": -5})"));
  EXPECT_FALSE(Match(R"({"n": [{"numeric": [">", -5]}]})", R"({"n": -5})"));
}

TEST(EventPatternTest, NumericEqualsComparesValues) {
  EXPECT_TRUE(Match(R"({"x-limit": [{"numeric": ["=", 3.018e2]}]})", R"({"x-limit": 301.8})"));
  EXPECT_TRUE(Match(R"({"n": [{"numeric": ["=", 300]}]})", R"({"n": 300.0})"));
  EXPECT_FALSE(Match(R"({"n": [{"numeric": ["=", 300]}]})", R"({"n": 300.5})"));
}

TEST(EventPatternTest, NumericDoesNotMatchNumericStrings) {
  // Glue crawler counters are strings ("tablesCreated":"0").
  EXPECT_FALSE(MatchEvent(R"({"detail": {"tablesCreated": [{"numeric": [">=", 0]}]}})",
                          Json::parse(kGlueCrawlerSucceeded)));
}

TEST(EventPatternTest, NumericMatchesAnyElementOfArray) {
  EXPECT_TRUE(Match(R"({"n": [{"numeric": [">", 10]}]})", R"({"n": [1, "50", 11]})"));
  EXPECT_FALSE(Match(R"({"n": [{"numeric": [">", 10]}]})", R"({"n": [1, "50"]})"));
}

TEST(EventPatternTest, NumericRejectsNonArray) {
  EXPECT_THAT(Error(R"({"n": [{"numeric": 5}]})"),
              StartsWith("pattern.n[0].numeric: numeric takes an array"));
  EXPECT_THAT(Error(R"({"n": [{"numeric": []}]})"),
              StartsWith("pattern.n[0].numeric: numeric takes an array"));
}

TEST(EventPatternTest, NumericRejectsUnknownOperator) {
  EXPECT_THAT(Error(R"({"n": [{"numeric": ["!=", 5]}]})"),
              StartsWith("pattern.n[0].numeric[0]: unknown numeric operator '!='"));
}

TEST(EventPatternTest, NumericRejectsNonNumericOperand) {
  EXPECT_THAT(Error(R"({"n": [{"numeric": [">", "5"]}]})"),
              StartsWith("pattern.n[0].numeric[1]: the operand of '>' must be a number"));
}

TEST(EventPatternTest, NumericRejectsMissingOperand) {
  EXPECT_THAT(Error(R"({"n": [{"numeric": [">"]}]})"),
              StartsWith("pattern.n[0].numeric: '>' needs a number after it"));
  EXPECT_THAT(Error(R"({"n": [{"numeric": [">", 0, "<"]}]})"),
              StartsWith("pattern.n[0].numeric: '<' needs a number after it"));
}

TEST(EventPatternTest, NumericRejectsOperatorInOperandPlace) {
  EXPECT_THAT(Error(R"({"n": [{"numeric": [0, ">"]}]})"),
              StartsWith("pattern.n[0].numeric[0]: expected a comparison operator"));
}

TEST(EventPatternTest, NumericRejectsTooManyElements) {
  EXPECT_THAT(Error(R"({"n": [{"numeric": [">", 0, "<", 5, "<", 6]}]})"),
              StartsWith("pattern.n[0].numeric[4]: too many elements"));
  EXPECT_THAT(Error(R"({"n": [{"numeric": ["=", 1, "<", 5]}]})"),
              StartsWith("pattern.n[0].numeric[2]: '=' takes exactly one number"));
}

TEST(EventPatternTest, NumericRejectsUpperBoundBeforeLower) {
  EXPECT_THAT(Error(R"({"n": [{"numeric": ["<", 5, ">", 0]}]})"),
              StartsWith("pattern.n[0].numeric[2]: an upper bound ends the range"));
}

TEST(EventPatternTest, NumericRejectsTwoLowerBounds) {
  EXPECT_THAT(Error(R"({"n": [{"numeric": [">", 0, ">=", 5]}]})"),
              StartsWith("pattern.n[0].numeric[2]: after a lower bound expected '<' or '<='"));
}

TEST(EventPatternTest, NumericRejectsEmptyRange) {
  EXPECT_THAT(Error(R"({"n": [{"numeric": [">", 5, "<", 5]}]})"),
              StartsWith("pattern.n[0].numeric: the lower bound must be less than the upper"));
  EXPECT_THAT(Error(R"({"n": [{"numeric": [">=", 6, "<=", 5]}]})"),
              StartsWith("pattern.n[0].numeric: the lower bound must be less than the upper"));
}

// --- cidr ---

TEST(EventPatternTest, CidrMatchesIpv4InsideNetwork) {
  const char* pattern = R"({"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]})";
  EXPECT_TRUE(Match(pattern, R"({"sourceIPAddress": "10.0.0.0"})"));
  EXPECT_TRUE(Match(pattern, R"({"sourceIPAddress": "10.0.0.255"})"));
}

TEST(EventPatternTest, CidrRejectsIpv4OutsideNetwork) {
  const char* pattern = R"({"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]})";
  EXPECT_FALSE(Match(pattern, R"({"sourceIPAddress": "10.0.1.0"})"));
  EXPECT_FALSE(Match(pattern, R"({"sourceIPAddress": "11.0.0.1"})"));
}

TEST(EventPatternTest, CidrHonoursPrefixBitsWithinAByte) {
  const char* pattern = R"({"ip": [{"cidr": "192.168.0.64/26"}]})";
  EXPECT_TRUE(Match(pattern, R"({"ip": "192.168.0.127"})"));
  EXPECT_FALSE(Match(pattern, R"({"ip": "192.168.0.128"})"));
  EXPECT_FALSE(Match(pattern, R"({"ip": "192.168.0.63"})"));
}

TEST(EventPatternTest, CidrSlashZeroAndSlash32) {
  EXPECT_TRUE(Match(R"({"ip": [{"cidr": "0.0.0.0/0"}]})", R"({"ip": "203.0.113.9"})"));
  EXPECT_TRUE(Match(R"({"ip": [{"cidr": "203.0.113.9/32"}]})", R"({"ip": "203.0.113.9"})"));
  EXPECT_FALSE(Match(R"({"ip": [{"cidr": "203.0.113.9/32"}]})", R"({"ip": "203.0.113.8"})"));
}

TEST(EventPatternTest, CidrMatchesIpv6) {
  const char* pattern = R"({"ip": [{"cidr": "2001:db8::/32"}]})";
  EXPECT_TRUE(Match(pattern, R"({"ip": "2001:db8:1234::1"})"));
  EXPECT_TRUE(Match(pattern, R"({"ip": "2001:0DB8::"})"));
  EXPECT_FALSE(Match(pattern, R"({"ip": "2001:db9::1"})"));
}

TEST(EventPatternTest, CidrMatchesSampleSourceIp) {
  EXPECT_TRUE(MatchEvent(R"({"detail": {"source-ip-address": [{"cidr": "34.252.0.0/16"}]}})",
                         Json::parse(kS3ObjectCreated)));
}

TEST(EventPatternTest, CidrRejectsOtherFamilyAndNonAddresses) {
  EXPECT_FALSE(Match(R"({"ip": [{"cidr": "10.0.0.0/8"}]})", R"({"ip": "::ffff:10.0.0.1"})"));
  EXPECT_FALSE(Match(R"({"ip": [{"cidr": "::/0"}]})", R"({"ip": "10.0.0.1"})"));
  EXPECT_FALSE(Match(R"({"ip": [{"cidr": "10.0.0.0/8"}]})", R"({"ip": "10.0.0"})"));
  EXPECT_FALSE(Match(R"({"ip": [{"cidr": "10.0.0.0/8"}]})", R"({"ip": 10})"));
}

TEST(EventPatternTest, CidrRejectsMalformedBlocks) {
  EXPECT_THAT(Error(R"({"ip": [{"cidr": "10.0.0.1"}]})"),
              StartsWith("pattern.ip[0].cidr: cidr '10.0.0.1' needs a prefix length"));
  EXPECT_THAT(Error(R"({"ip": [{"cidr": "10.0.0.256/8"}]})"),
              HasSubstr("not an IPv4 or IPv6 address"));
  EXPECT_THAT(Error(R"({"ip": [{"cidr": "10.0.0.0/33"}]})"),
              HasSubstr("prefix length must be 0..32"));
  EXPECT_THAT(Error(R"({"ip": [{"cidr": "::/129"}]})"), HasSubstr("prefix length must be 0..128"));
  EXPECT_THAT(Error(R"({"ip": [{"cidr": "10.0.0.0/x"}]})"), HasSubstr("prefix length"));
  EXPECT_THAT(Error(R"({"ip": [{"cidr": "10.0.0.0/"}]})"), HasSubstr("prefix length"));
}

// --- exists ---

TEST(EventPatternTest, ExistsTrueMatchesPresentField) {
  EXPECT_TRUE(
      Match(R"({"detail": {"c-count": [{"exists": true}]}})", R"({"detail": {"c-count": 5}})"));
  EXPECT_TRUE(Match(R"({"x": [{"exists": true}]})", R"({"x": null})"));
}

TEST(EventPatternTest, ExistsTrueRejectsMissingField) {
  EXPECT_FALSE(Match(R"({"detail": {"c-count": [{"exists": true}]}})", R"({"detail": {}})"));
  EXPECT_FALSE(Match(R"({"detail": {"c-count": [{"exists": true}]}})", R"({})"));
}

TEST(EventPatternTest, ExistsFalseMatchesMissingField) {
  EXPECT_TRUE(Match(R"({"detail": {"c-count": [{"exists": false}]}})",
                    R"({"detail": {"state": "running"}})"));
}

TEST(EventPatternTest, ExistsFalseRejectsPresentField) {
  EXPECT_FALSE(
      Match(R"({"detail": {"c-count": [{"exists": false}]}})", R"({"detail": {"c-count": 0}})"));
  EXPECT_FALSE(Match(R"({"x": [{"exists": false}]})", R"({"x": null})"));
}

TEST(EventPatternTest, ExistsFalseMatchesWhenParentIsMissing) {
  EXPECT_TRUE(Match(R"({"detail": {"c-count": [{"exists": false}]}})", R"({"source": "x"})"));
}

TEST(EventPatternTest, FieldHoldingObjectDoesNotExist) {
  const char* event = R"({"detail": {"state": "running", "c-count": {"c1": 100}}})";
  EXPECT_TRUE(Match(R"({"detail": {"c-count": [{"exists": false}]}})", event));
  EXPECT_FALSE(Match(R"({"detail": {"c-count": [{"exists": true}]}})", event));
}

TEST(EventPatternTest, ExistsFalseUnderArrayOfObjectsNeedsOneElementWithout) {
  const char* pattern = R"({"a": {"b": [{"exists": false}]}})";
  EXPECT_TRUE(Match(pattern, R"({"a": [{"b": 1}, {"c": 2}]})"));
  EXPECT_FALSE(Match(pattern, R"({"a": [{"b": 1}, {"b": 2}]})"));
}

TEST(EventPatternTest, ExistsFalseCombinesWithValues) {
  const char* pattern = R"({"x": [{"exists": false}, "a"]})";
  EXPECT_TRUE(Match(pattern, R"({})"));
  EXPECT_TRUE(Match(pattern, R"({"x": "a"})"));
  EXPECT_FALSE(Match(pattern, R"({"x": "b"})"));
}

TEST(EventPatternTest, ExistsRejectsNonBoolean) {
  EXPECT_THAT(Error(R"({"x": [{"exists": "true"}]})"),
              StartsWith("pattern.x[0].exists: exists takes true or false"));
}

// --- $or ---

TEST(EventPatternTest, OrMatchesEitherBranch) {
  const char* pattern = R"({"source": ["aws.cloudwatch"],
    "$or": [{"metricName": ["CPUUtilization", "ReadLatency"]},
            {"namespace": ["AWS/EC2", "AWS/ES"]}]})";
  EXPECT_TRUE(Match(pattern, R"({"source": "aws.cloudwatch", "metricName": "ReadLatency"})"));
  EXPECT_TRUE(Match(pattern, R"({"source": "aws.cloudwatch", "namespace": "AWS/ES"})"));
  EXPECT_FALSE(Match(pattern, R"({"source": "aws.cloudwatch", "namespace": "AWS/S3"})"));
  EXPECT_FALSE(Match(pattern, R"({"source": "aws.ec2", "metricName": "ReadLatency"})"));
}

TEST(EventPatternTest, OrBranchMayHoldAnAnd) {
  const char* pattern = R"({"$or": [{"metricName": ["CPU"]},
                                   {"metricType": ["MetricType"], "namespace": ["AWS/EC2"]}]})";
  EXPECT_TRUE(Match(pattern, R"({"metricType": "MetricType", "namespace": "AWS/EC2"})"));
  EXPECT_FALSE(Match(pattern, R"({"metricType": "MetricType"})"));
}

TEST(EventPatternTest, OrNests) {
  const char* pattern = R"({"source": ["aws.cloudwatch"],
    "$or": [{"metricName": ["CPU"]},
            {"metricType": ["MetricType"], "$or": [{"metricId": [1234]}, {"spaceId": [1000]}]},
            {"scope": ["Service"]}]})";
  EXPECT_TRUE(Match(
      pattern, R"({"source": "aws.cloudwatch", "metricType": "MetricType", "spaceId": 1000})"));
  EXPECT_TRUE(Match(pattern, R"({"source": "aws.cloudwatch", "scope": "Service"})"));
  EXPECT_FALSE(Match(pattern, R"({"source": "aws.cloudwatch", "metricType": "MetricType"})"));
  EXPECT_FALSE(Match(pattern, R"({"source": "aws.cloudwatch", "spaceId": 1000})"));
}

TEST(EventPatternTest, ParallelOrsAreAnded) {
  const char* pattern = R"({"$or": [{"a": ["1"]}, {"b": ["1"]}],
                            "detail": {"$or": [{"c": ["1"]}, {"d": ["1"]}]}})";
  EXPECT_TRUE(Match(pattern, R"({"b": "1", "detail": {"c": "1"}})"));
  EXPECT_FALSE(Match(pattern, R"({"b": "1", "detail": {"e": "1"}})"));
  EXPECT_FALSE(Match(pattern, R"({"detail": {"d": "1"}})"));
}

TEST(EventPatternTest, FieldConstrainedInAndOutsideOrMustSatisfyBoth) {
  const char* pattern = R"({"n": [{"numeric": [">", 0]}],
                            "$or": [{"n": [{"numeric": ["<", 10]}]}, {"m": ["x"]}]})";
  EXPECT_TRUE(Match(pattern, R"({"n": 5})"));
  EXPECT_FALSE(Match(pattern, R"({"n": 50})"));
  EXPECT_TRUE(Match(pattern, R"({"n": 50, "m": "x"})"));
  EXPECT_FALSE(Match(pattern, R"({"n": -1, "m": "x"})"));
}

TEST(EventPatternTest, OrWithOperatorObjectsIsAnOrdinaryField) {
  const char* pattern = R"({"$or": [{"prefix": "a"}, {"suffix": "z"}]})";
  EXPECT_TRUE(Match(pattern, R"({"$or": "abc"})"));
  EXPECT_FALSE(Match(pattern, R"({"a": "abc"})"));
}

TEST(EventPatternTest, OrOfValuesOrObjectIsAnOrdinaryField) {
  EXPECT_TRUE(Match(R"({"$or": ["x", "y"]})", R"({"$or": "y"})"));
  EXPECT_TRUE(Match(R"({"$or": {"a": ["1"]}})", R"({"$or": {"a": "1"}})"));
  EXPECT_FALSE(Match(R"({"$or": {"a": ["1"]}})", R"({"a": "1"})"));
}

TEST(EventPatternTest, OrWithOneObjectIsRejected) {
  EXPECT_THAT(Error(R"({"$or": [{"a": ["1"]}]})"),
              StartsWith("pattern.$or: \"$or\" needs an array of at least two objects"));
}

TEST(EventPatternTest, OrBranchErrorsNameTheBranch) {
  EXPECT_THAT(Error(R"({"$or": [{"a": ["1"]}, {"source": "aws.s3"}]})"),
              StartsWith("pattern.$or[1].source: leaf values must be arrays"));
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

// --- invalid patterns ---

TEST(EventPatternTest, PatternMustBeAnObject) {
  EXPECT_EQ(Error(R"(["source"])"), "pattern: a pattern must be a JSON object, not array");
  EXPECT_EQ(Error(R"("aws.s3")"), "pattern: a pattern must be a JSON object, not string");
}

TEST(EventPatternTest, InvalidJsonIsRejected) {
  EXPECT_THAT(Error(R"({"source": ["aws.s3")"), StartsWith("pattern: invalid JSON"));
}

TEST(EventPatternTest, LeafMustBeAnArray) {
  EXPECT_THAT(Error(R"({"detail": {"state": "running"}})"),
              StartsWith("pattern.detail.state: leaf values must be arrays"));
  EXPECT_THAT(Error(R"({"detail": {"size": 5}})"),
              StartsWith("pattern.detail.size: leaf values must be arrays"));
  EXPECT_THAT(Error(R"({"detail": {"gone": null}})"),
              StartsWith("pattern.detail.gone: leaf values must be arrays"));
}

TEST(EventPatternTest, LeafArrayMustNotBeEmpty) {
  EXPECT_THAT(Error(R"({"detail": {"state": []}})"),
              StartsWith("pattern.detail.state: leaf arrays must not be empty"));
}

TEST(EventPatternTest, EmptyObjectsAreRejected) {
  EXPECT_THAT(Error(R"({})"), StartsWith("pattern: empty objects are not allowed"));
  EXPECT_THAT(Error(R"({"detail": {}})"),
              StartsWith("pattern.detail: empty objects are not allowed"));
}

TEST(EventPatternTest, UnknownOperatorIsNamed) {
  EXPECT_EQ(Error(R"({"detail": {"key": [{"prefx": "a"}]}})"),
            "pattern.detail.key[0]: unknown operator 'prefx' (did you mean 'prefix'?)");
  EXPECT_THAT(Error(R"({"detail": {"key": [{"contains": "a"}]}})"),
              StartsWith("pattern.detail.key[0]: unknown operator 'contains'; expected prefix"));
}

TEST(EventPatternTest, OperatorObjectNeedsExactlyOneKey) {
  EXPECT_THAT(Error(R"({"k": [{"prefix": "a", "suffix": "b"}]})"),
              StartsWith("pattern.k[0]: an operator object holds exactly one"));
  EXPECT_THAT(Error(R"({"k": ["a", {}]})"), StartsWith("pattern.k[1]: an operator object holds"));
}

TEST(EventPatternTest, NestedArraysInLeafAreRejected) {
  EXPECT_THAT(Error(R"({"k": ["a", ["b"]]})"),
              StartsWith("pattern.k[1]: arrays may not be nested"));
}

TEST(EventPatternTest, OperatorArgumentsAreTypeChecked) {
  EXPECT_THAT(Error(R"({"k": [{"prefix": 5}]})"),
              StartsWith("pattern.k[0].prefix: prefix takes a string"));
  EXPECT_THAT(
      Error(R"({"k": [{"suffix": {"equals-ignore-case": 5}}]})"),
      StartsWith("pattern.k[0].suffix.equals-ignore-case: equals-ignore-case takes a string"));
  EXPECT_THAT(Error(R"({"k": [{"prefix": {"wildcard": "a"}}]})"),
              StartsWith("pattern.k[0].prefix: prefix takes a string or {\"equals-ignore-case\""));
  EXPECT_THAT(Error(R"({"k": [{"equals-ignore-case": ["a"]}]})"),
              StartsWith("pattern.k[0].equals-ignore-case: equals-ignore-case takes a string"));
  EXPECT_THAT(Error(R"({"k": [{"wildcard": null}]})"),
              StartsWith("pattern.k[0].wildcard: wildcard takes"));
  EXPECT_THAT(Error(R"({"k": [{"cidr": 10}]})"),
              StartsWith("pattern.k[0].cidr: cidr takes a string"));
}

TEST(EventPatternTest, ErrorsDeepInPatternNameTheFullPath) {
  EXPECT_EQ(
      Error(R"({"detail": {"object": {"key": [{"prefix": "a"}, {"numeric": [">", "x"]}]}}})"),
      "pattern.detail.object.key[1].numeric[1]: the operand of '>' must be a number, not \"x\"");
}

// --- API ---

TEST(EventPatternTest, SourceReturnsThePatternAsGiven) {
  const Json pattern = Json::parse(kCrawlerPattern);
  Result<EventPattern> parsed = EventPattern::Parse(pattern);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->source(), pattern);
}

TEST(EventPatternTest, ParseFromTextAndFromJsonAgree) {
  Result<EventPattern> from_text = EventPattern::Parse(std::string_view(kJobPattern));
  Result<EventPattern> from_json = EventPattern::Parse(Json::parse(kJobPattern));
  ASSERT_TRUE(from_text.ok() && from_json.ok());
  EXPECT_EQ(from_text->source(), from_json->source());
}

TEST(EventPatternTest, DefaultConstructedMatchesNothing) {
  const EventPattern placeholder;
  EXPECT_FALSE(placeholder.Matches(Json::parse(kS3ObjectCreated)));
  EXPECT_TRUE(placeholder.source().is_null());
}

TEST(EventPatternTest, CopiesMatchLikeTheOriginal) {
  Result<EventPattern> parsed = EventPattern::Parse(kJobPattern);
  ASSERT_TRUE(parsed.ok());
  const EventPattern copy = *parsed;
  const Json event = GlueEvent(kGlueJobSucceeded, "jobName", "transactions-etl", "FAILED");
  EXPECT_TRUE(copy.Matches(event));
  EXPECT_EQ(copy.source(), parsed->source());
}

TEST(EventPatternTest, ConcurrentMatchesAgree) {
  Result<EventPattern> parsed = EventPattern::Parse(kObjectCreatedPattern);
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
