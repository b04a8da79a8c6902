// The whole configuration file as runtime reads it: the default file, loading and finding it,
// the top-level keys and the `pipeline` section, what holds for every section alike, the
// jobs' own keys, and the cross-references between sections (a rule's target must name a
// crawler, a job or a topic that exists). Each component's own section is tested beside that
// component (tests/unit/<component>/*_config_test.cc).
#include "runtime/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "common/ids.h"
#include "events/event.h"
#include "testing/temp_dir.h"
#include "warehouse/sqlite/sqlite_warehouse_config.h"

namespace ecompipe::runtime {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const fs::path kConfigPath = "/srv/shop/ecompipe.yaml";

using ::ecompipe::testing_util::TempDir;

void WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  ASSERT_TRUE(out) << path;
}

PipelineConfig ParseOrDie(const std::string& text) {
  Result<PipelineConfig> cfg = ParseConfig(text, kConfigPath);
  EXPECT_TRUE(cfg.ok()) << cfg.status().ToString();
  return cfg.ok() ? std::move(cfg).value() : PipelineConfig{};
}

// The error ParseConfig gives for `text`, as the user reads it ("file:line: message").
std::string ErrorOf(const std::string& text) {
  Result<PipelineConfig> cfg = ParseConfig(text, kConfigPath);
  EXPECT_FALSE(cfg.ok()) << "parsed:\n" << text;
  if (cfg.ok()) return "";
  EXPECT_EQ(cfg.status().code(), StatusCode::kInvalidArgument) << cfg.status().ToString();
  return cfg.status().ToString();
}

// A rule targeting `target_yaml`, with a crawler c, a job j and a topic t declared.
std::string WithTarget(const std::string& target_yaml) {
  return "crawlers: [{name: c}]\n"
         "jobs: [{name: j}]\n"
         "topics: [{name: t}]\n"
         "rules:\n"
         "  - name: r\n"
         "    pattern: {source: [x]}\n"
         "    targets:\n"
         "      - " +
         target_yaml + "\n";  // line 8
}

Json Glue(const std::string& detail_type, Json detail) {
  return events::MakeEvent(events::Origin{}, events::kGlueSource, detail_type, Json::array(),
                           std::move(detail));
}

// The typed settings of the configured backends (each component's own struct).
fs::path WarehousePath(const PipelineConfig& cfg) {
  const auto* sqlite = cfg.warehouse.As<warehouse::SqliteWarehouseConfig>();
  EXPECT_NE(sqlite, nullptr);
  return sqlite ? sqlite->path : fs::path();
}

std::vector<std::string> MatchingRules(const PipelineConfig& cfg, const Json& event) {
  std::vector<std::string> out;
  for (const auto& r : cfg.rules)
    if (r.pattern.Matches(event)) out.push_back(r.name);
  return out;
}

TEST(ConfigTest, DefaultConfigTextParses) {
  PipelineConfig cfg = ParseOrDie(DefaultConfigText());
  EXPECT_EQ(cfg.config_path, kConfigPath);
  EXPECT_EQ(cfg.dir, fs::path("/srv/shop"));
  EXPECT_EQ(cfg.origin.account, "000000000000");
  EXPECT_EQ(cfg.origin.region, "local");
  EXPECT_EQ(cfg.storage.type, "local");
  EXPECT_EQ(cfg.BucketFolder(), fs::path("/srv/shop/bucket"));
  EXPECT_EQ(cfg.storage.bucket, "raw-transactions");
  EXPECT_EQ(cfg.state.path, fs::path("/srv/shop/.ecompipe/state.db"));
  EXPECT_EQ(WarehousePath(cfg), fs::path("/srv/shop/warehouse.db"));
  ASSERT_EQ(cfg.crawlers.size(), 1u);
  EXPECT_EQ(cfg.crawlers[0].name, "transactions");
  ASSERT_EQ(cfg.rules.size(), 8u);
  std::vector<std::string> names;
  for (const auto& r : cfg.rules) names.push_back(r.name);
  EXPECT_THAT(names, ElementsAre("transactions-landed", "crawler-succeeded", "job-state-changed",
                                 "crawler-failed", "products-landed", "customers-landed",
                                 "products-upserted", "customers-upserted"));
  EXPECT_EQ(cfg.retry.max_attempts, 8);
  EXPECT_EQ(cfg.retry.base_delay_ms, 1000);
  EXPECT_EQ(cfg.retry.max_delay_ms, 300000);
}

// The compiled-in default is src/runtime/default_ecompipe.yaml byte for byte (tests/e2e/test_cli
// checks that `ecompipe init` writes it).
TEST(ConfigTest, DefaultConfigTextIsTheDataFile) {
  std::ifstream in(
      fs::path(EP_TEST_DATA_DIR) / ".." / ".." / "src" / "runtime" / "default_ecompipe.yaml",
      std::ios::binary);
  ASSERT_TRUE(in);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(DefaultConfigText(), text.str());
}

// The commented example in `ecompipe init`'s template works once uncommented.
TEST(ConfigTest, S3EndpointInitTemplateExampleParsesWhenUncommented) {
  std::istringstream in(DefaultConfigText());
  std::string text, line;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line.rfind("# s3_endpoint:", 0) == 0)
      inside = true;
    else if (inside && line.rfind("#   ", 0) != 0)
      inside = false;
    text += (inside ? line.substr(2) : line) + "\n";
  }
  Result<PipelineConfig> cfg = ParseConfig(text, "/srv/shop/ecompipe.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_TRUE(cfg->s3_endpoint.enabled);
  EXPECT_EQ(cfg->s3_endpoint.port, 9000);
  ASSERT_EQ(cfg->s3_endpoint.access_keys.size(), 1u);
  EXPECT_EQ(cfg->s3_endpoint.access_keys[0].secret_env, "ECOMPIPE_S3_SECRET");
}

TEST(ConfigTest, DefaultConfigHasOneJobWithTheOriginalsBins) {
  PipelineConfig cfg = ParseOrDie(DefaultConfigText());
  ASSERT_EQ(cfg.jobs.size(), 1u);
  const JobConfig& job = cfg.jobs[0];
  EXPECT_EQ(job.name, "ecommerce_data_processing");
  EXPECT_EQ(job.table, "transactions");
  EXPECT_EQ(job.on_reload, warehouse::ReloadMode::kReplace);
  ASSERT_EQ(job.spec.bins.size(), 3u);
  EXPECT_EQ(job.spec.bins[0].upper, model::Money{10000});
  EXPECT_EQ(job.spec.bins[0].label, "Small");
  EXPECT_EQ(job.spec.bins[1].upper, model::Money{50000});
  EXPECT_EQ(job.spec.bins[1].label, "Medium");
  EXPECT_FALSE(job.spec.bins[2].upper.has_value());
  EXPECT_EQ(job.spec.bins[2].label, "Large");
  EXPECT_EQ(job.spec.max_record_bytes, size_t{1} << 20);
}

TEST(ConfigTest, DefaultConfigHasOneTopicWithALogSubscription) {
  PipelineConfig cfg = ParseOrDie(DefaultConfigText());
  ASSERT_EQ(cfg.topics.size(), 1u);
  EXPECT_EQ(cfg.topics[0].name, "pipeline-status");
  ASSERT_EQ(cfg.topics[0].subscriptions.size(), 1u);
  const notify::Subscription& sub = cfg.topics[0].subscriptions[0];
  EXPECT_EQ(sub.name, "log-1");
  EXPECT_EQ(sub.type, "log");
  EXPECT_EQ(sub.target, "/srv/shop/notifications.jsonl");
  EXPECT_FALSE(sub.filter.has_value());
}

TEST(ConfigTest, DefaultRulesRouteTheOriginalsEvents) {
  PipelineConfig cfg = ParseOrDie(DefaultConfigText());
  auto landed = [](const std::string& key) {
    return events::ObjectCreatedEvent(events::Origin{}, "raw-transactions", key, 10, "e",
                                      "PutObject", "s");
  };
  EXPECT_THAT(MatchingRules(cfg, landed("transactions/year=2026/month=11/day=26/t.csv")),
              ElementsAre("transactions-landed"));
  EXPECT_THAT(MatchingRules(cfg, landed("dimensions/products/p.csv")),
              ElementsAre("products-landed"));
  EXPECT_THAT(MatchingRules(cfg, landed("dimensions/customers/c.csv")),
              ElementsAre("customers-landed"));
  EXPECT_THAT(MatchingRules(cfg, landed("elsewhere/x.csv")), ElementsAre());
  EXPECT_THAT(MatchingRules(cfg, Glue(events::kCrawlerStateChange,
                                      {{"crawlerName", "transactions"}, {"state", "Succeeded"}})),
              ElementsAre("crawler-succeeded"));
  EXPECT_THAT(MatchingRules(cfg, Glue(events::kCrawlerStateChange,
                                      {{"crawlerName", "transactions"}, {"state", "Failed"}})),
              ElementsAre("crawler-failed"));
  for (const char* state : {"SUCCEEDED", "FAILED", "TIMEOUT", "STOPPED"}) {
    EXPECT_THAT(
        MatchingRules(cfg, Glue(events::kJobStateChange,
                                {{"jobName", "ecommerce_data_processing"}, {"state", state}})),
        ElementsAre("job-state-changed"))
        << state;
  }
  EXPECT_THAT(
      MatchingRules(cfg, Glue(events::kJobStateChange,
                              {{"jobName", "ecommerce_data_processing"}, {"state", "RUNNING"}})),
      ElementsAre());
  EXPECT_EQ(cfg.rules[1].targets[0].type, events::TargetType::kStartJob);
  EXPECT_EQ(cfg.rules[1].targets[0].name, "ecommerce_data_processing");
}

TEST(ConfigTest, LoadConfigReadsTheFileAndResolvesAgainstItsFolder) {
  TempDir dir;
  WriteFile(dir.path() / "ecompipe.yaml", DefaultConfigText());
  Result<PipelineConfig> cfg = LoadConfig(dir.path() / "ecompipe.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->dir, dir.path());
  EXPECT_EQ(cfg->BucketFolder(), dir.path() / "bucket");
  EXPECT_EQ(cfg->topics[0].subscriptions[0].target, (dir.path() / "notifications.jsonl").string());
}

TEST(ConfigTest, LoadConfigOfAMissingFileIsNotFound) {
  TempDir dir;
  Result<PipelineConfig> cfg = LoadConfig(dir.path() / "ecompipe.yaml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(cfg.status().message(), HasSubstr("ecompipe.yaml"));
}

TEST(ConfigTest, FindConfigTakesAnExplicitPathThatExists) {
  TempDir dir;
  const fs::path path = dir.path() / "other.yaml";
  WriteFile(path, DefaultConfigText());
  Result<fs::path> found = FindConfig(path.string());
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(*found, path);
  Result<fs::path> missing = FindConfig((dir.path() / "nope.yaml").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("nope.yaml"));
}

TEST(ConfigTest, ErrorsNameTheFileByItsOwnName) {
  Result<PipelineConfig> cfg = ParseConfig("warehose: {}\n", "/etc/shop/pipeline.yml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_THAT(cfg.status().ToString(), StartsWith("pipeline.yml:1: "));
}

// Regression: an empty path made fs::absolute() throw out of ParseConfig().
TEST(ConfigTest, AnEmptyConfigPathDoesNotThrow) {
  Result<PipelineConfig> cfg = ParseConfig(DefaultConfigText(), "");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  Result<PipelineConfig> bad = ParseConfig("warehose: {}\n", "");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().ToString(), StartsWith("ecompipe.yaml:1: "));
}

TEST(ConfigTest, UnknownTopLevelKeySuggestsTheClosest) {
  EXPECT_EQ(ErrorOf("storage: {}\nwarehose:\n  path: w.db\n"),
            "ecompipe.yaml:2: unknown key 'warehose' (did you mean 'warehouse'?)");
}

TEST(ConfigTest, UnknownKeyFarFromAnyListsTheAllowedOnes) {
  EXPECT_EQ(
      ErrorOf("zzzzzzzz: 1\n"),
      "ecompipe.yaml:1: unknown key 'zzzzzzzz' (allowed: pipeline, storage, state, warehouse, "
      "crawlers, jobs, topics, rules, retry, s3_endpoint, api, log)");
}

TEST(ConfigTest, UnknownKeyInPipeline) {
  EXPECT_EQ(ErrorOf("pipeline:\n  region: eu\n  acount: '1'\n"),
            "ecompipe.yaml:3: unknown key 'pipeline.acount' (did you mean 'account'?)");
}

TEST(ConfigTest, UnknownKeyInAJob) {
  EXPECT_EQ(ErrorOf("jobs:\n  - name: a\n  - name: j\n    on_relaod: append\n"),
            "ecompipe.yaml:4: unknown key 'jobs[1].on_relaod' (did you mean 'on_reload'?)");
}

// Regression: YAML keeps both copies of a repeated key and lookups silently took the first.
TEST(ConfigTest, ARepeatedKeyIsRejected) {
  EXPECT_EQ(ErrorOf("storage:\n  path: a\n  bucket: b\n  path: c\n"),
            "ecompipe.yaml:4: duplicate key 'storage.path' (first given on line 2)");
  EXPECT_EQ(ErrorOf("rules: []\nretry: {}\nrules: []\n"),
            "ecompipe.yaml:3: duplicate key 'rules' (first given on line 1)");
}

TEST(ConfigTest, TheFileMustBeAMapping) {
  EXPECT_EQ(ErrorOf("- storage\n- state\n"),
            "ecompipe.yaml: the configuration must be a YAML mapping");
  EXPECT_EQ(ErrorOf(""), "ecompipe.yaml: the configuration must be a YAML mapping");
  EXPECT_EQ(ErrorOf("# only a comment\n"),
            "ecompipe.yaml: the configuration must be a YAML mapping");
}

TEST(ConfigTest, InvalidYamlNamesTheLine) {
  std::string e = ErrorOf("storage:\n  path: b\nrules: [\n  {name: r\n");
  EXPECT_THAT(e, StartsWith("ecompipe.yaml:"));
  EXPECT_THAT(e, HasSubstr("invalid YAML"));
}

TEST(ConfigTest, ASectionThatIsNotAMappingIsRejected) {
  EXPECT_EQ(ErrorOf("rules: []\nstorage: 5\n"), "ecompipe.yaml:2: 'storage' must be a mapping");
  EXPECT_EQ(ErrorOf("retry: [1]\n"), "ecompipe.yaml:1: 'retry' must be a mapping");
  EXPECT_EQ(ErrorOf("jobs:\n  - just-a-name\n"), "ecompipe.yaml:2: 'jobs[0]' must be a mapping");
}

TEST(ConfigTest, AListThatIsNotAListIsRejected) {
  EXPECT_EQ(ErrorOf("crawlers: {name: c}\n"), "ecompipe.yaml:1: 'crawlers' must be a list");
  EXPECT_EQ(ErrorOf("jobs: j\n"), "ecompipe.yaml:1: 'jobs' must be a list");
  EXPECT_EQ(ErrorOf("topics: t\n"), "ecompipe.yaml:1: 'topics' must be a list");
  EXPECT_EQ(ErrorOf("rules: {}\n"), "ecompipe.yaml:1: 'rules' must be a list");
  EXPECT_EQ(ErrorOf("topics:\n  - name: t\n    subscriptions: {type: log}\n"),
            "ecompipe.yaml:3: 'topics[0].subscriptions' must be a list");
}

TEST(ConfigTest, AStringThatIsNotAScalarIsRejected) {
  EXPECT_EQ(ErrorOf("pipeline:\n  account: [1, 2]\n"),
            "ecompipe.yaml:2: 'pipeline.account' must be a string");
  EXPECT_EQ(ErrorOf("crawlers:\n  - name: {first: c}\n"),
            "ecompipe.yaml:2: 'crawlers[0].name' must be a string");
}

TEST(ConfigTest, AMissingRequiredKeyIsNamed) {
  EXPECT_EQ(ErrorOf("crawlers:\n  - {}\n"),
            "ecompipe.yaml:2: missing required key 'crawlers[0].name'");
  EXPECT_EQ(ErrorOf("topics:\n  - name: t\n    subscriptions:\n      - {type: log}\n"),
            "ecompipe.yaml:4: missing required key 'topics[0].subscriptions[0].path'");
}

TEST(ConfigTest, SectionsLeftOutTakeTheirDefaults) {
  PipelineConfig cfg = ParseOrDie("crawlers: [{name: c}]\n");
  EXPECT_EQ(cfg.BucketFolder(), fs::path("/srv/shop/bucket"));
  EXPECT_EQ(cfg.storage.bucket, "raw-transactions");
  EXPECT_EQ(cfg.state.path, fs::path("/srv/shop/.ecompipe/state.db"));
  EXPECT_EQ(WarehousePath(cfg), fs::path("/srv/shop/warehouse.db"));
  EXPECT_EQ(cfg.origin.account, "000000000000");
  EXPECT_EQ(cfg.origin.region, "local");
  EXPECT_EQ(cfg.retry.max_attempts, 8);
  EXPECT_TRUE(cfg.jobs.empty());
  EXPECT_TRUE(cfg.topics.empty());
  EXPECT_TRUE(cfg.rules.empty());
}

TEST(ConfigTest, RelativePathsResolveAgainstTheConfigsFolder) {
  PipelineConfig cfg = ParseOrDie(
      "storage: {path: data/bucket}\n"
      "state: {path: ../state/s.db}\n"
      "warehouse: {path: /var/lib/wh.db}\n"
      "topics:\n"
      "  - name: t\n"
      "    subscriptions: [{type: log, path: logs/n.jsonl}, {type: log, path: "
      "/var/log/n.jsonl}]\n");
  EXPECT_EQ(cfg.BucketFolder(), fs::path("/srv/shop/data/bucket"));
  EXPECT_EQ(cfg.state.path, fs::path("/srv/shop/../state/s.db"));
  EXPECT_EQ(WarehousePath(cfg), fs::path("/var/lib/wh.db"));
  EXPECT_EQ(cfg.topics[0].subscriptions[0].target, "/srv/shop/logs/n.jsonl");
  EXPECT_EQ(cfg.topics[0].subscriptions[1].target, "/var/log/n.jsonl");
}

TEST(ConfigTest, ARelativeConfigPathIsMadeAbsolute) {
  Result<PipelineConfig> cfg = ParseConfig("storage: {path: b}\n", "shop/ecompipe.yaml");
  ASSERT_TRUE(cfg.ok());
  EXPECT_TRUE(cfg->dir.is_absolute());
  EXPECT_EQ(cfg->dir, fs::current_path() / "shop");
  EXPECT_EQ(cfg->BucketFolder(), fs::current_path() / "shop" / "b");
}

TEST(ConfigTest, PipelineOriginIsRead) {
  PipelineConfig cfg = ParseOrDie("pipeline:\n  account: \"123456789012\"\n  region: eu-west-1\n");
  EXPECT_EQ(cfg.origin.account, "123456789012");
  EXPECT_EQ(cfg.origin.region, "eu-west-1");
}

TEST(ConfigTest, AnAccountKeepsItsLeadingZerosUnquoted) {
  EXPECT_EQ(ParseOrDie("pipeline: {account: 000000000042}\n").origin.account, "000000000042");
}

TEST(ConfigTest, OnReloadModesAreRead) {
  EXPECT_EQ(ParseOrDie("jobs: [{name: j, on_reload: append}]\n").jobs[0].on_reload,
            warehouse::ReloadMode::kAppend);
  EXPECT_EQ(ParseOrDie("jobs: [{name: j, on_reload: ignore}]\n").jobs[0].on_reload,
            warehouse::ReloadMode::kIgnore);
  EXPECT_THAT(ErrorOf("jobs:\n  - name: j\n    on_reload: overwrite\n"),
              StartsWith("ecompipe.yaml:3: 'jobs[0].on_reload': "));
}

TEST(ConfigTest, DuplicateJobNamesAreRejected) {
  EXPECT_EQ(ErrorOf("jobs:\n  - name: j\n  - name: j\n"),
            "ecompipe.yaml:3: duplicate job name 'j'");
}

// Regression: crawlers could be declared twice under one name (topics: tests/unit/notify).
TEST(ConfigTest, DuplicateCrawlerNamesAreRejected) {
  EXPECT_EQ(ErrorOf("crawlers:\n  - name: c\n  - name: c\n"),
            "ecompipe.yaml:3: duplicate crawler name 'c'");
}

TEST(ConfigTest, ARuleTargetingAnUnknownCrawlerIsRejected) {
  EXPECT_EQ(ErrorOf(WithTarget("{type: start_crawler, name: x}")),
            "ecompipe.yaml:8: rule 'r': no crawler named 'x' (see 'crawlers')");
}

TEST(ConfigTest, ARuleTargetingAnUnknownJobIsRejected) {
  EXPECT_EQ(ErrorOf(WithTarget("{type: start_job, name: etl}")),
            "ecompipe.yaml:8: rule 'r': no job named 'etl' (see 'jobs')");
}

TEST(ConfigTest, ARuleTargetingAnUnknownTopicIsRejected) {
  EXPECT_EQ(ErrorOf(WithTarget("{type: publish, name: status}")),
            "ecompipe.yaml:8: rule 'r': no topic named 'status' (see 'topics')");
}

TEST(ConfigTest, UpsertDimensionNamesAKnownDimension) {
  EXPECT_EQ(ErrorOf(WithTarget("{type: upsert_dimension, name: stores}")),
            "ecompipe.yaml:8: rule 'r': upsert_dimension name must be 'products' or 'customers'");
}

TEST(ConfigTest, AnUnknownTargetTypeListsTheAllowedOnes) {
  EXPECT_EQ(ErrorOf(WithTarget("{type: start_jobb, name: j}")),
            "ecompipe.yaml:8: rule 'r': unknown target type 'start_jobb' (allowed: start_crawler, "
            "start_job, publish, webhook, upsert_dimension, replay_rejects)");
}

TEST(ConfigTest, FindJobAndHasCrawlerLookUpByName) {
  PipelineConfig cfg = ParseOrDie(DefaultConfigText());
  ASSERT_NE(cfg.FindJob("ecommerce_data_processing"), nullptr);
  EXPECT_EQ(cfg.FindJob("ecommerce_data_processing")->table, "transactions");
  EXPECT_EQ(cfg.FindJob("nope"), nullptr);
  EXPECT_TRUE(cfg.HasCrawler("transactions"));
  EXPECT_FALSE(cfg.HasCrawler("nope"));
}

}  // namespace
}  // namespace ecompipe::runtime
