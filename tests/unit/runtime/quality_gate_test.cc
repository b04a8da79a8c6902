// The job's quality gate: which loaded objects break max_reject_rate and min_rows, what the
// reason says, and how jobs[].max_reject_rate and jobs[].min_rows are read.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "runtime/config.h"
#include "runtime/quality_gate.h"

namespace ecompipe::runtime {
namespace {

using ::testing::HasSubstr;

ObjectResult Loaded(int64_t read, int64_t loaded, int64_t rejected,
                    std::map<std::string, int64_t> reasons = {}) {
  ObjectResult o{"transactions/t.csv", "etag"};
  o.status = ObjectStatus::kLoaded;
  o.rows_read = read;
  o.rows_loaded = loaded;
  o.rows_rejected = rejected;
  o.reject_reasons = std::move(reasons);
  return o;
}

TEST(QualityGateTest, CleanObjectPasses) {
  EXPECT_EQ(CheckQualityGate({}, Loaded(1000, 980, 20, {{"invalid_date", 20}})), std::nullopt);
}

TEST(QualityGateTest, ExactlyTheRatePasses) {
  EXPECT_EQ(CheckQualityGate({0.5, 1}, Loaded(10, 5, 5)), std::nullopt);
  EXPECT_NE(CheckQualityGate({0.5, 1}, Loaded(10, 4, 6)), std::nullopt);
}

TEST(QualityGateTest, AllRejectedNamesBothThresholdsAndTopReasons) {
  std::optional<std::string> why = CheckQualityGate(
      {}, Loaded(1000, 0, 1000, {{"unknown_product_id", 400}, {"unknown_customer_id", 600}}));
  ASSERT_TRUE(why);
  EXPECT_EQ(*why,
            "1000 of 1000 rows rejected (100%), above max_reject_rate 0.5; 0 rows loaded, below "
            "min_rows 1; top reasons: unknown_customer_id 600, unknown_product_id 400");
}

TEST(QualityGateTest, TopThreeReasonsByCountThenName) {
  std::optional<std::string> why =
      CheckQualityGate({0.1, 1}, Loaded(100, 80, 20, {{"b", 5}, {"a", 5}, {"c", 7}, {"d", 3}}));
  ASSERT_TRUE(why);
  EXPECT_EQ(*why,
            "20 of 100 rows rejected (20%), above max_reject_rate 0.1; top reasons: c 7, a 5, "
            "b 5 (and 1 more)");
}

TEST(QualityGateTest, EmptyObjectBreaksMinRowsOnly) {
  EXPECT_EQ(CheckQualityGate({}, Loaded(0, 0, 0)),
            "0 rows loaded (the object has no rows), below min_rows 1");
  EXPECT_EQ(CheckQualityGate({0.5, 0}, Loaded(0, 0, 0)), std::nullopt);
}

TEST(QualityGateTest, RateHasOneDecimalAtMost) {
  EXPECT_THAT(CheckQualityGate({0.25, 0}, Loaded(3, 2, 1)).value_or(""),
              HasSubstr("1 of 3 rows rejected (33.3%), above max_reject_rate 0.25"));
}

// Regression (issue 14): rejects beyond the job's reject limits are counted, not stored; such
// an object never passes silently, even when its reject rate is within the gate.
TEST(QualityGateTest, RejectsNotStoredBreakTheGate) {
  ObjectResult o = Loaded(1000000, 999000, 1000, {{"invalid_date", 1000}});
  o.rejects_not_stored = 10;
  EXPECT_EQ(
      CheckQualityGate({}, o),
      "10 rejects not stored, beyond the job's reject limits; top reasons: invalid_date 1000");
}

TEST(QualityGateTest, OnlyLoadedObjectsAreChecked) {
  for (ObjectStatus status :
       {ObjectStatus::kFailed, ObjectStatus::kSkipped, ObjectStatus::kIgnored}) {
    ObjectResult o = Loaded(0, 0, 0);
    o.status = status;
    EXPECT_EQ(CheckQualityGate({}, o), std::nullopt) << ObjectStatusName(status);
  }
}

const char* kJob = "jobs:\n  - name: j\n";

Result<PipelineConfig> Parse(const std::string& job_keys) {
  return ParseConfig(std::string(kJob) + job_keys, "/srv/shop/ecompipe.yaml");
}

TEST(QualityGateConfigTest, DefaultsAreHalfAndOneRow) {
  Result<PipelineConfig> cfg = Parse("");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->jobs[0].quality_gate.max_reject_rate, 0.5);
  EXPECT_EQ(cfg->jobs[0].quality_gate.min_rows, 1);
}

TEST(QualityGateConfigTest, KeysAreRead) {
  Result<PipelineConfig> cfg = Parse("    max_reject_rate: 0.02\n    min_rows: 0\n");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->jobs[0].quality_gate.max_reject_rate, 0.02);
  EXPECT_EQ(cfg->jobs[0].quality_gate.min_rows, 0);
  cfg = Parse("    max_reject_rate: 1\n");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->jobs[0].quality_gate.max_reject_rate, 1.0);
}

TEST(QualityGateConfigTest, DefaultConfigSpellsTheDefaults) {
  Result<PipelineConfig> cfg = ParseConfig(DefaultConfigText(), "/srv/shop/ecompipe.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_THAT(DefaultConfigText(), HasSubstr("max_reject_rate: 0.5"));
  EXPECT_EQ(cfg->jobs[0].quality_gate.max_reject_rate, 0.5);
  EXPECT_EQ(cfg->jobs[0].quality_gate.min_rows, 1);
}

TEST(ObjectLimitsConfigTest, DefaultsAndKeysAreRead) {
  Result<PipelineConfig> cfg = Parse("");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->jobs[0].reject_limits.max_rows, 100000);
  EXPECT_EQ(cfg->jobs[0].reject_limits.max_raw_bytes, 32 << 20);
  EXPECT_EQ(cfg->jobs[0].decode_limits.max_bytes, uint64_t{64} << 30);
  EXPECT_EQ(cfg->jobs[0].decode_limits.max_ratio, 200);
  cfg = Parse(
      "    max_stored_rejects: 5\n    max_stored_reject_bytes: 1000\n"
      "    max_decoded_bytes: 4096\n    max_decoded_ratio: 0\n");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->jobs[0].reject_limits.max_rows, 5);
  EXPECT_EQ(cfg->jobs[0].reject_limits.max_raw_bytes, 1000);
  EXPECT_EQ(cfg->jobs[0].decode_limits.max_bytes, 4096u);
  EXPECT_EQ(cfg->jobs[0].decode_limits.max_ratio, 0);
  // The default configuration spells the same defaults.
  cfg = ParseConfig(DefaultConfigText(), "/srv/shop/ecompipe.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->jobs[0].reject_limits.max_rows, 100000);
  EXPECT_EQ(cfg->jobs[0].reject_limits.max_raw_bytes, 32 << 20);
  EXPECT_EQ(cfg->jobs[0].decode_limits.max_bytes, uint64_t{64} << 30);
  EXPECT_EQ(cfg->jobs[0].decode_limits.max_ratio, 200);
  for (const char* bad : {"    max_decoded_ratio: -1\n", "    max_decoded_ratio: lots\n",
                          "    max_stored_rejects: -5\n"}) {
    cfg = Parse(bad);
    ASSERT_FALSE(cfg.ok()) << bad;
    EXPECT_THAT(cfg.status().ToString(), HasSubstr("ecompipe.yaml:3: 'jobs[0].max_")) << bad;
  }
}

TEST(QualityGateConfigTest, BadValuesNameTheLine) {
  for (const char* bad : {"1.5", "-0.1", "5%", "half", ".nan", "[0.5]"}) {
    Result<PipelineConfig> cfg = Parse(std::string("    max_reject_rate: ") + bad + "\n");
    ASSERT_FALSE(cfg.ok()) << bad;
    EXPECT_EQ(cfg.status().ToString(),
              "ecompipe.yaml:3: 'jobs[0].max_reject_rate' must be a fraction of the rows read "
              "between 0 and 1, e.g. 0.05")
        << bad;
  }
  Result<PipelineConfig> cfg = Parse("    min_rows: -1\n");
  ASSERT_FALSE(cfg.ok());
  EXPECT_THAT(cfg.status().ToString(),
              HasSubstr("ecompipe.yaml:3: 'jobs[0].min_rows' must be between 0 and"));
  cfg = Parse("    min_row: 5\n");
  ASSERT_FALSE(cfg.ok());
  EXPECT_THAT(cfg.status().ToString(), HasSubstr("(did you mean 'min_rows'?)"));
}

}  // namespace
}  // namespace ecompipe::runtime
