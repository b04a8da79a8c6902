#include "events/event.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "common/time_util.h"
#include "events/event_pattern.h"

namespace ecompipe::events {
namespace {

const std::regex kUuidV4("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
const std::regex kIsoSeconds("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$");

Json SampleObjectCreated() {
  return ObjectCreatedEvent(Origin{"123456789012", "eu-west-1"}, "raw-transactions",
                            "transactions/year=2026/month=11/day=26/t.csv", 184662,
                            "4e68adba0abe2dc8653dc3354e14c01d", "PutObject", "006408CAD69598B05E");
}

TEST(EventTest, MakeEventHasEveryEnvelopeField) {
  Json e = MakeEvent(Origin{"123456789012", "eu-west-1"}, kGlueSource, kJobStateChange,
                     Json::array(), Json{{"state", "SUCCEEDED"}});
  EXPECT_EQ(e["version"], "0");
  EXPECT_TRUE(std::regex_match(e["id"].get<std::string>(), kUuidV4)) << e["id"];
  EXPECT_EQ(e["detail-type"], "Glue Job State Change");
  EXPECT_EQ(e["source"], "ecompipe.glue");
  EXPECT_EQ(e["account"], "123456789012");
  EXPECT_EQ(e["region"], "eu-west-1");
  EXPECT_EQ(e["resources"], Json::array());
  EXPECT_EQ(e["detail"], (Json{{"state", "SUCCEEDED"}}));
  EXPECT_EQ(e.size(), 9u) << e.dump();
}

TEST(EventTest, MakeEventTimeIsIsoSecondsUtcNow) {
  const std::string before = FormatIsoSeconds(NowMillis());
  Json e = MakeEvent(Origin{}, kS3Source, kObjectCreated, Json::array(), Json::object());
  const std::string after = FormatIsoSeconds(NowMillis());
  const std::string time = e["time"].get<std::string>();
  EXPECT_TRUE(std::regex_match(time, kIsoSeconds)) << time;
  EXPECT_LE(before, time);
  EXPECT_LE(time, after);
}

TEST(EventTest, MakeEventGivesEachEventAFreshId) {
  Json a = MakeEvent(Origin{}, kS3Source, kObjectCreated, Json::array(), Json::object());
  Json b = MakeEvent(Origin{}, kS3Source, kObjectCreated, Json::array(), Json::object());
  EXPECT_NE(a["id"], b["id"]);
}

TEST(EventTest, MakeEventReplacesNonArrayResourcesWithAnEmptyArray) {
  Json e = MakeEvent(Origin{}, kS3Source, kObjectCreated, Json("arn:x"), Json::object());
  EXPECT_EQ(e["resources"], Json::array());
  e = MakeEvent(Origin{}, kS3Source, kObjectCreated, Json::array({"arn:a", "arn:b"}),
                Json::object());
  EXPECT_EQ(e["resources"], Json::array({"arn:a", "arn:b"}));
}

TEST(EventTest, OriginDefaultsToLocalAccountAndRegion) {
  Json e = MakeEvent(Origin{}, kS3Source, kObjectCreated, Json::array(), Json::object());
  EXPECT_EQ(e["account"], "000000000000");
  EXPECT_EQ(e["region"], "local");
}

TEST(EventTest, ObjectCreatedEventHasS3sEventBridgeShape) {
  Json e = SampleObjectCreated();
  EXPECT_EQ(e["source"], "ecompipe.s3");
  EXPECT_EQ(e["detail-type"], "Object Created");
  EXPECT_EQ(e["resources"], Json::array({"arn:aws:s3:::raw-transactions"}));
  const Json& d = e["detail"];
  EXPECT_EQ(d["version"], "0");
  EXPECT_EQ(d["bucket"], (Json{{"name", "raw-transactions"}}));
  EXPECT_EQ(d["object"]["key"], "transactions/year=2026/month=11/day=26/t.csv");
  EXPECT_EQ(d["object"]["size"], 184662);
  EXPECT_TRUE(d["object"]["size"].is_number_unsigned());
  EXPECT_EQ(d["object"]["etag"], "4e68adba0abe2dc8653dc3354e14c01d");
  EXPECT_EQ(d["object"]["sequencer"], "006408CAD69598B05E");
  EXPECT_TRUE(std::regex_match(d["request-id"].get<std::string>(), std::regex("^[0-9a-f]{16}$")));
  EXPECT_EQ(d["requester"], "123456789012");
  EXPECT_EQ(d["source-ip-address"], "127.0.0.1");
  EXPECT_EQ(d["reason"], "PutObject");
}

TEST(EventTest, ObjectCreatedEventKeepsSizesBeyond32Bits) {
  Json e = ObjectCreatedEvent(Origin{}, "b", "k", 5'000'000'000'000ULL, "e", "PutObject", "s");
  EXPECT_EQ(e["detail"]["object"]["size"].get<uint64_t>(), 5'000'000'000'000ULL);
}

TEST(EventTest, AnAwsPatternPortsWithOnlyTheSourceChanged) {
  // An AWS pattern for S3's Object Created, with "aws.s3" swapped for "ecompipe.s3".
  Result<EventPattern> p = EventPattern::Parse(std::string_view(R"({
      "source": ["ecompipe.s3"], "detail-type": ["Object Created"],
      "detail": {"bucket": {"name": ["raw-transactions"]},
                 "object": {"key": [{"prefix": "transactions/"}],
                            "size": [{"numeric": [">", 0]}]}}})"));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_TRUE(p->Matches(SampleObjectCreated()));
}

TEST(EventTest, EnvelopeSurvivesAJsonRoundTrip) {
  Json e = SampleObjectCreated();
  Result<Json> back = ParseJson(e.dump());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, e);
}

}  // namespace
}  // namespace ecompipe::events
