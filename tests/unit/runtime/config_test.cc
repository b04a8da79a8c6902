#include "runtime/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "common/ids.h"
#include "events/event.h"
#include "notify/email_subscriber.h"
#include "notify/sns_subscriber.h"
#include "notify/webhook_subscriber.h"
#include "storage/s3/s3_store_config.h"
#include "testing/temp_dir.h"
#include "warehouse/postgres/postgres_warehouse_config.h"
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

// The JSON a rule's pattern was parsed into.
Json PatternOf(const std::string& pattern_yaml) {
  PipelineConfig cfg =
      ParseOrDie("crawlers: [{name: c}]\nrules:\n  - name: r\n    pattern: " + pattern_yaml +
                 "\n    targets: [{type: start_crawler, name: c}]\n");
  return cfg.rules.empty() ? Json() : cfg.rules[0].pattern.source();
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
const warehouse::PostgresWarehouseConfig& Pg(const PipelineConfig& cfg) {
  static const warehouse::PostgresWarehouseConfig kNone;
  const auto* pg = cfg.warehouse.As<warehouse::PostgresWarehouseConfig>();
  EXPECT_NE(pg, nullptr);
  return pg ? *pg : kNone;
}
const storage::s3::S3StoreConfig& S3(const PipelineConfig& cfg) {
  static const storage::s3::S3StoreConfig kNone;
  const auto* s3 = cfg.storage.As<storage::s3::S3StoreConfig>();
  EXPECT_NE(s3, nullptr);
  return s3 ? *s3 : kNone;
}
const notify::EmailSubscription& Email(const notify::Subscription& s) {
  static const notify::EmailSubscription kNone;
  const auto* e = s.As<notify::EmailSubscription>();
  EXPECT_NE(e, nullptr);
  return e ? *e : kNone;
}
const notify::SnsSubscription& Sns(const notify::Subscription& s) {
  static const notify::SnsSubscription kNone;
  const auto* e = s.As<notify::SnsSubscription>();
  EXPECT_NE(e, nullptr);
  return e ? *e : kNone;
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
  ASSERT_EQ(cfg.rules.size(), 6u);
  std::vector<std::string> names;
  for (const auto& r : cfg.rules) names.push_back(r.name);
  EXPECT_THAT(names, ElementsAre("transactions-landed", "crawler-succeeded", "job-state-changed",
                                 "crawler-failed", "products-landed", "customers-landed"));
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

TEST(ConfigTest, CrawlerHeaderIsDetectUnlessSet) {
  PipelineConfig cfg = ParseOrDie(
      "crawlers: [{name: a}, {name: b, header: present}, {name: c, header: absent}, "
      "{name: d, header: detect}]\n");
  ASSERT_EQ(cfg.crawlers.size(), 4u);
  EXPECT_EQ(cfg.crawlers[0].header, catalog::HeaderMode::kDetect);
  EXPECT_EQ(cfg.crawlers[1].header, catalog::HeaderMode::kPresent);
  EXPECT_EQ(cfg.crawlers[2].header, catalog::HeaderMode::kAbsent);
  EXPECT_EQ(cfg.crawlers[3].header, catalog::HeaderMode::kDetect);
}

TEST(ConfigTest, CrawlerHeaderRefusesOtherValuesNamingThem) {
  std::string error = ErrorOf("crawlers:\n  - name: a\n    header: yes\n");
  EXPECT_THAT(error, HasSubstr("ecompipe.yaml:3"));
  EXPECT_THAT(error, HasSubstr("'yes'"));
  EXPECT_THAT(error, HasSubstr("detect, present, absent"));
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
      "crawlers, jobs, topics, rules, retry, s3_endpoint, log)");
}

TEST(ConfigTest, UnknownKeyInPipeline) {
  EXPECT_EQ(ErrorOf("pipeline:\n  region: eu\n  acount: '1'\n"),
            "ecompipe.yaml:3: unknown key 'pipeline.acount' (did you mean 'account'?)");
}

TEST(ConfigTest, UnknownKeyInStorage) {
  EXPECT_EQ(ErrorOf("storage:\n  type: local\n  pth: b\n"),
            "ecompipe.yaml:3: unknown key 'storage.pth' (did you mean 'path'?)");
}

TEST(ConfigTest, UnknownKeyInState) {
  EXPECT_EQ(ErrorOf("state:\n  paht: s.db\n"),
            "ecompipe.yaml:2: unknown key 'state.paht' (did you mean 'path'?)");
}

TEST(ConfigTest, UnknownKeyInWarehouse) {
  EXPECT_EQ(ErrorOf("warehouse:\n  typ: sqlite\n"),
            "ecompipe.yaml:2: unknown key 'warehouse.typ' (did you mean 'type'?)");
}

TEST(ConfigTest, UnknownKeyInRetry) {
  EXPECT_EQ(ErrorOf("retry:\n  max_attempt: 3\n"),
            "ecompipe.yaml:2: unknown key 'retry.max_attempt' (did you mean 'max_attempts'?)");
}

TEST(ConfigTest, UnknownKeyInACrawler) {
  EXPECT_EQ(ErrorOf("crawlers:\n  - name: c\n    nmae: d\n"),
            "ecompipe.yaml:3: unknown key 'crawlers[0].nmae' (did you mean 'name'?)");
}

TEST(ConfigTest, UnknownKeyInAJob) {
  EXPECT_EQ(ErrorOf("jobs:\n  - name: a\n  - name: j\n    on_relaod: append\n"),
            "ecompipe.yaml:4: unknown key 'jobs[1].on_relaod' (did you mean 'on_reload'?)");
}

TEST(ConfigTest, UnknownKeyInAClassificationBin) {
  EXPECT_EQ(
      ErrorOf("jobs:\n"
              "  - name: j\n"
              "    classification:\n"
              "      - {max: \"1.00\", lable: S}\n"
              "      - {label: L}\n"),
      "ecompipe.yaml:4: unknown key 'jobs[0].classification[0].lable' (did you mean 'label'?)");
}

TEST(ConfigTest, UnknownKeyInATopic) {
  EXPECT_EQ(
      ErrorOf("topics:\n  - name: t\n    subscription: []\n"),
      "ecompipe.yaml:3: unknown key 'topics[0].subscription' (did you mean 'subscriptions'?)");
}

TEST(ConfigTest, UnknownKeyInASubscription) {
  EXPECT_EQ(
      ErrorOf("topics:\n"
              "  - name: t\n"
              "    subscriptions:\n"
              "      - {type: log, path: n.jsonl, filtr: {source: [x]}}\n"),
      "ecompipe.yaml:4: unknown key 'topics[0].subscriptions[0].filtr' (did you mean 'filter'?)");
}

TEST(ConfigTest, UnknownKeyInARule) {
  EXPECT_EQ(ErrorOf("crawlers: [{name: c}]\n"
                    "rules:\n"
                    "  - name: r\n"
                    "    patern: {source: [x]}\n"
                    "    targets: [{type: start_crawler, name: c}]\n"),
            "ecompipe.yaml:4: unknown key 'rules[0].patern' (did you mean 'pattern'?)");
}

TEST(ConfigTest, UnknownKeyInATarget) {
  EXPECT_EQ(ErrorOf(WithTarget("{type: start_crawler, nam: c}")),
            "ecompipe.yaml:8: unknown key 'rules[0].targets[0].nam' (did you mean 'name'?)");
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

TEST(ConfigTest, AnIntegerThatIsNotAnIntegerIsRejected) {
  EXPECT_EQ(ErrorOf("retry:\n  max_attempts: many\n"),
            "ecompipe.yaml:2: 'retry.max_attempts' must be an integer");
  EXPECT_EQ(ErrorOf("retry:\n  base_delay_ms: 2.5\n"),
            "ecompipe.yaml:2: 'retry.base_delay_ms' must be an integer");
  EXPECT_EQ(ErrorOf("retry:\n  max_delay_ms: [1]\n"),
            "ecompipe.yaml:2: 'retry.max_delay_ms' must be an integer");
}

TEST(ConfigTest, AMissingRequiredKeyIsNamed) {
  EXPECT_EQ(ErrorOf("crawlers:\n  - {}\n"),
            "ecompipe.yaml:2: missing required key 'crawlers[0].name'");
  EXPECT_EQ(ErrorOf("topics:\n  - name: t\n    subscriptions:\n      - {type: log}\n"),
            "ecompipe.yaml:4: missing required key 'topics[0].subscriptions[0].path'");
}

// Regression: `name: ""` gave a crawler, job, rule or topic an empty name.
TEST(ConfigTest, ARequiredStringMustNotBeEmpty) {
  EXPECT_EQ(ErrorOf("crawlers:\n  - name: \"\"\n"),
            "ecompipe.yaml:2: 'crawlers[0].name' must not be empty");
}

TEST(ConfigTest, OnlySupportedBackendsAreAccepted) {
  EXPECT_EQ(ErrorOf("storage:\n  type: gcs\n"),
            "ecompipe.yaml:2: 'storage.type': 'gcs' is not supported (allowed: local, s3)");
  EXPECT_EQ(ErrorOf("state:\n  type: mysql\n"),
            "ecompipe.yaml:2: 'state.type': 'mysql' is not supported (allowed: sqlite, postgres)");
  EXPECT_EQ(ErrorOf("warehouse:\n  type: oracle\n"),
            "ecompipe.yaml:2: 'warehouse.type': 'oracle' is not supported (allowed: sqlite, "
            "postgres, redshift)");
}

TEST(ConfigTest, PostgresWarehouseTakesUrlAndSchema) {
  PipelineConfig cfg = ParseOrDie(
      "warehouse:\n  type: postgres\n  url: "
      "postgresql://loader@db.example:5432/dw?sslmode=require\n"
      "  schema: shop\n");
  EXPECT_EQ(cfg.warehouse.type, "postgres");
  EXPECT_EQ(Pg(cfg).url, "postgresql://loader@db.example:5432/dw?sslmode=require");
  EXPECT_EQ(Pg(cfg).schema, "shop");
  PipelineConfig env = ParseOrDie("warehouse: {type: redshift}\n");
  EXPECT_EQ(env.warehouse.type, "redshift");
  EXPECT_EQ(Pg(env).url, "");  // libpq reads PGHOST, PGUSER, PGPASSWORD, ~/.pgpass
  PipelineConfig kv = ParseOrDie("warehouse: {type: postgres, url: \"host=db dbname=dw\"}\n");
  EXPECT_EQ(Pg(kv).url, "host=db dbname=dw");
  EXPECT_EQ(Pg(kv).index_rebuild, warehouse::IndexRebuild::kAuto);
  EXPECT_EQ(Pg(ParseOrDie("warehouse: {type: postgres, index_rebuild: never}\n")).index_rebuild,
            warehouse::IndexRebuild::kNever);
}

TEST(ConfigTest, PostgresWarehouseSettingsAreCheckedWithTheirLine) {
  EXPECT_EQ(ErrorOf("warehouse:\n  type: postgres\n  url: db.example\n"),
            "ecompipe.yaml:3: 'warehouse.url' must be a postgresql:// URL or a key=value "
            "connection string "
            "(leave it out to use the PG* environment variables)");
  EXPECT_EQ(ErrorOf("warehouse:\n  type: postgres\n  path: wh.db\n"),
            "ecompipe.yaml:3: 'warehouse.path' applies to the sqlite warehouse only; postgres "
            "connects with "
            "'url' (or the PG* environment variables)");
  EXPECT_EQ(ErrorOf("warehouse:\n  type: sqlite\n  url: postgresql://h/db\n"),
            "ecompipe.yaml:3: 'warehouse.url' applies to postgres and redshift warehouses only "
            "(this one is sqlite)");
  EXPECT_EQ(ErrorOf("warehouse:\n  type: postgres\n  schema: \"shop; DROP\"\n"),
            "ecompipe.yaml:3: 'warehouse.schema' must be a plain identifier (letters, digits, _; "
            "not starting "
            "with a digit; at most 63 characters)");
  EXPECT_EQ(ErrorOf("warehouse:\n  type: postgres\n  ur: postgresql://h/db\n"),
            "ecompipe.yaml:3: unknown key 'warehouse.ur' (did you mean 'url'?)");
  EXPECT_EQ(ErrorOf("warehouse:\n  type: postgres\n  index_rebuild: sometimes\n"),
            "ecompipe.yaml:3: 'warehouse.index_rebuild': 'sometimes' is not supported (allowed: "
            "auto, always, never)");
  EXPECT_EQ(ErrorOf("warehouse:\n  type: redshift\n  index_rebuild: always\n"),
            "ecompipe.yaml:3: 'warehouse.index_rebuild' applies to the postgres warehouse only");
}

TEST(ConfigTest, RedshiftStagingTakesBucketRoleAndThresholds) {
  PipelineConfig cfg = ParseOrDie(
      "warehouse:\n  type: redshift\n  staging:\n    bucket: rs-staging\n    prefix: wh/staging\n"
      "    region: eu-west-1\n    iam_role: arn:aws:iam::123456789012:role/copy\n    min_rows: "
      "5000\n"
      "    part_mb: 16\n");
  const warehouse::RedshiftStagingConfig& st = Pg(cfg).staging;
  EXPECT_TRUE(st.enabled());
  EXPECT_EQ(st.bucket, "rs-staging");
  EXPECT_EQ(st.prefix, "wh/staging");
  EXPECT_EQ(st.server.region, "eu-west-1");
  EXPECT_EQ(st.iam_role, "arn:aws:iam::123456789012:role/copy");
  EXPECT_EQ(st.min_rows, 5000);
  EXPECT_EQ(st.part_mb, 16);
  PipelineConfig defaults =
      ParseOrDie("warehouse:\n  type: redshift\n  staging: {bucket: b-staging}\n");
  EXPECT_EQ(Pg(defaults).staging.prefix, "ecompipe-staging");
  EXPECT_EQ(Pg(defaults).staging.min_rows, 100000);
  EXPECT_EQ(Pg(defaults).staging.part_mb, 64);
  EXPECT_EQ(Pg(defaults).staging.iam_role, "");  // COPY then uses the upload key
  EXPECT_FALSE(Pg(ParseOrDie("warehouse: {type: redshift}\n")).staging.enabled());
}

TEST(ConfigTest, RedshiftStagingSettingsAreCheckedWithTheirLine) {
  const std::string head = "warehouse:\n  type: redshift\n  staging:\n    bucket: b-staging\n";
  EXPECT_EQ(ErrorOf("warehouse:\n  type: postgres\n  staging: {bucket: b}\n"),
            "ecompipe.yaml:3: 'warehouse.staging' applies to the redshift warehouse only "
            "(PostgreSQL and SQLite "
            "load from the client directly)");
  EXPECT_EQ(ErrorOf("warehouse:\n  type: redshift\n  staging:\n    prefix: p\n"),
            "ecompipe.yaml:4: missing required key 'warehouse.staging.bucket'");
  EXPECT_EQ(ErrorOf(head + "    iam_role: copy-role\n"),
            "ecompipe.yaml:5: 'warehouse.staging.iam_role' must be an IAM role ARN "
            "(arn:aws:iam::<account>:role/<name>)");
  EXPECT_EQ(ErrorOf(head + "    min_rows: 0\n"),
            "ecompipe.yaml:5: 'warehouse.staging.min_rows' must be between 1 and 1099511627776");
  EXPECT_EQ(ErrorOf(head + "    part_mb: 5000\n"),
            "ecompipe.yaml:5: 'warehouse.staging.part_mb' must be between 1 and 4096");
  EXPECT_EQ(
      ErrorOf(head + "    prefix: /staging/\n"),
      "ecompipe.yaml:5: 'warehouse.staging.prefix' must not start or end with '/' nor hold '//' "
      "(e.g. ecompipe-staging or warehouse/staging)");
  EXPECT_EQ(ErrorOf(head + "    endpoint: minio:9000\n"),
            "ecompipe.yaml:5: 'warehouse.staging.endpoint' must start with http:// or https://");
  EXPECT_EQ(ErrorOf(head + "    access_key_id: AKID\n"),
            "ecompipe.yaml:4: give both 'warehouse.staging.access_key_id' and "
            "'warehouse.staging.secret_access_key', or neither (then AWS_ACCESS_KEY_ID / "
            "AWS_SECRET_ACCESS_KEY "
            "are used)");
  EXPECT_EQ(ErrorOf(head + "    min_row: 10\n"),
            "ecompipe.yaml:5: unknown key 'warehouse.staging.min_row' (did you mean 'min_rows'?)");
}

TEST(ConfigTest, PasswordEnvNamesTheVariableAndNeverHoldsThePassword) {
  PipelineConfig cfg = ParseOrDie(
      "warehouse:\n  type: postgres\n  url: postgresql://loader@db/dw?sslmode=require\n  "
      "password_env: EP_WH_PASSWORD\n"
      "state:\n  type: postgres\n  url: postgresql://ep@db/ep\n  password_env: "
      "EP_STATE_PASSWORD\n");
  EXPECT_EQ(Pg(cfg).password_env, "EP_WH_PASSWORD");
  EXPECT_EQ(Pg(cfg).url, "postgresql://loader@db/dw?sslmode=require");
  EXPECT_EQ(Pg(cfg).ConnInfo(),
            "postgresql://loader@db/dw?sslmode=require&password_env=EP_WH_PASSWORD");
  EXPECT_EQ(cfg.state.Location(), "postgresql://ep@db/ep?password_env=EP_STATE_PASSWORD");
  PipelineConfig kv =
      ParseOrDie("warehouse: {type: redshift, url: \"host=db dbname=dw\", password_env: PW}\n");
  EXPECT_EQ(Pg(kv).ConnInfo(), "host=db dbname=dw password_env=PW");
  PipelineConfig env = ParseOrDie(
      "warehouse: {type: postgres, password_env: PW}\nstate: {type: postgres, password_env: PW}\n");
  EXPECT_EQ(Pg(env).ConnInfo(), "password_env=PW");
  EXPECT_EQ(env.state.Location(), "postgresql://?password_env=PW");
}

TEST(ConfigTest, PasswordEnvIsCheckedWithItsLine) {
  EXPECT_EQ(ErrorOf("warehouse:\n  type: postgres\n  password_env: \"1PW\"\n"),
            "ecompipe.yaml:3: 'warehouse.password_env' must name an environment variable (letters, "
            "digits and _, "
            "not starting with a digit), not '1PW'");
  EXPECT_EQ(
      ErrorOf("warehouse:\n  type: postgres\n  url: postgresql://u:pw@h/db\n  password_env: PW\n"),
      "ecompipe.yaml:4: 'warehouse.password_env': the URL already gives a password; give it in one "
      "place "
      "(password_env, and none in 'url')");
  EXPECT_EQ(
      ErrorOf("warehouse:\n  type: postgres\n  url: \"host=h password=pw\"\n  password_env: PW\n"),
      "ecompipe.yaml:4: 'warehouse.password_env': the URL already gives a password; give it in one "
      "place "
      "(password_env, and none in 'url')");
  EXPECT_EQ(ErrorOf("warehouse:\n  type: sqlite\n  password_env: PW\n"),
            "ecompipe.yaml:3: 'warehouse.password_env' applies to postgres and redshift warehouses "
            "only (this one is "
            "sqlite)");
  EXPECT_EQ(ErrorOf("state:\n  type: sqlite\n  password_env: PW\n"),
            "ecompipe.yaml:3: 'state.password_env' is for type postgres; an sqlite state store has "
            "no password");
  EXPECT_EQ(ErrorOf("state:\n  type: postgres\n  password_env: \"A-B\"\n"),
            "ecompipe.yaml:3: 'state.password_env' must name an environment variable (letters, "
            "digits and _, "
            "not starting with a digit), not 'A-B'");
  EXPECT_EQ(
      ErrorOf("state:\n  type: postgres\n  url: postgresql://u:pw@h/db\n  password_env: PW\n"),
      "ecompipe.yaml:4: 'state.password_env': the URL already gives a password; give it in one "
      "place "
      "(password_env, and none in 'url')");
  EXPECT_EQ(ErrorOf("warehouse:\n  type: postgres\n  password: x\n"),
            "ecompipe.yaml:3: unknown key 'warehouse.password' (allowed: type, path, url, "
            "password_env, schema, staging, index_rebuild)");
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

// Regression: `path: ""` made the bucket (or state, or warehouse) the config's own folder.
TEST(ConfigTest, AnEmptyPathIsRejected) {
  EXPECT_EQ(ErrorOf("storage:\n  path: \"\"\n"),
            "ecompipe.yaml:2: 'storage.path' must not be empty");
  EXPECT_EQ(ErrorOf("warehouse:\n  path: ''\n"),
            "ecompipe.yaml:2: 'warehouse.path' must not be empty");
}

TEST(ConfigTest, PipelineOriginIsRead) {
  PipelineConfig cfg = ParseOrDie("pipeline:\n  account: \"123456789012\"\n  region: eu-west-1\n");
  EXPECT_EQ(cfg.origin.account, "123456789012");
  EXPECT_EQ(cfg.origin.region, "eu-west-1");
}

TEST(ConfigTest, AnAccountKeepsItsLeadingZerosUnquoted) {
  EXPECT_EQ(ParseOrDie("pipeline: {account: 000000000042}\n").origin.account, "000000000042");
}

TEST(ConfigTest, RetryIsRead) {
  PipelineConfig cfg =
      ParseOrDie("retry: {max_attempts: 3, base_delay_ms: 50, max_delay_ms: 200}\n");
  EXPECT_EQ(cfg.retry.max_attempts, 3);
  EXPECT_EQ(cfg.retry.base_delay_ms, 50);
  EXPECT_EQ(cfg.retry.max_delay_ms, 200);
}

TEST(ConfigTest, RetryAcceptsItsBounds) {
  PipelineConfig low = ParseOrDie("retry: {max_attempts: 1, base_delay_ms: 1, max_delay_ms: 1}\n");
  EXPECT_EQ(low.retry.max_attempts, 1);
  EXPECT_EQ(low.retry.base_delay_ms, 1);
  EXPECT_EQ(low.retry.max_delay_ms, 1);
  PipelineConfig high =
      ParseOrDie("retry: {max_attempts: 1000, base_delay_ms: 3600000, max_delay_ms: 86400000}\n");
  EXPECT_EQ(high.retry.max_attempts, 1000);
  EXPECT_EQ(high.retry.base_delay_ms, 3600000);
  EXPECT_EQ(high.retry.max_delay_ms, 86400000);
}

TEST(ConfigTest, RetryRejectsValuesOutOfBounds) {
  EXPECT_EQ(ErrorOf("retry:\n  max_attempts: 0\n"),
            "ecompipe.yaml:2: 'retry.max_attempts' must be between 1 and 1000");
  EXPECT_EQ(ErrorOf("retry:\n  max_attempts: 1001\n"),
            "ecompipe.yaml:2: 'retry.max_attempts' must be between 1 and 1000");
  EXPECT_EQ(ErrorOf("retry:\n  base_delay_ms: 0\n"),
            "ecompipe.yaml:2: 'retry.base_delay_ms' must be between 1 and 3600000");
  EXPECT_EQ(ErrorOf("retry:\n  base_delay_ms: 3600001\n"),
            "ecompipe.yaml:2: 'retry.base_delay_ms' must be between 1 and 3600000");
  EXPECT_EQ(ErrorOf("retry:\n  max_delay_ms: -5\n"),
            "ecompipe.yaml:2: 'retry.max_delay_ms' must be between 1 and 86400000");
  EXPECT_EQ(ErrorOf("retry:\n  max_delay_ms: 86400001\n"),
            "ecompipe.yaml:2: 'retry.max_delay_ms' must be between 1 and 86400000");
  EXPECT_EQ(ErrorOf("retry:\n  max_attempts: 99999999999999999999999\n"),
            "ecompipe.yaml:2: 'retry.max_attempts' must be an integer");
}

TEST(ConfigTest, CustomClassificationBinsAreRead) {
  PipelineConfig cfg = ParseOrDie(
      "jobs:\n"
      "  - name: j\n"
      "    classification:\n"
      "      - {max: 50, label: Tiny}\n"
      "      - {max: \"99.99\", label: Mid}\n"
      "      - {max: 1000.5, label: Big}\n"
      "      - {label: Huge}\n");
  ASSERT_EQ(cfg.jobs.size(), 1u);
  const auto& bins = cfg.jobs[0].spec.bins;
  ASSERT_EQ(bins.size(), 4u);
  EXPECT_EQ(bins[0].upper, model::Money{5000});
  EXPECT_EQ(bins[1].upper, model::Money{9999});
  EXPECT_EQ(bins[2].upper, model::Money{100050});
  EXPECT_FALSE(bins[3].upper.has_value());
  EXPECT_EQ(bins[3].label, "Huge");
}

TEST(ConfigTest, ClassificationBoundsMustIncrease) {
  EXPECT_EQ(ErrorOf("jobs:\n"
                    "  - name: j\n"
                    "    classification:\n"
                    "      - {max: \"100.00\", label: S}\n"
                    "      - {max: 100, label: M}\n"
                    "      - {label: L}\n"),
            "ecompipe.yaml:5: 'jobs[0].classification[1].max': bounds must increase");
  EXPECT_EQ(ErrorOf("jobs:\n"
                    "  - name: j\n"
                    "    classification:\n"
                    "      - {max: 500, label: S}\n"
                    "      - {max: 100, label: M}\n"
                    "      - {label: L}\n"),
            "ecompipe.yaml:5: 'jobs[0].classification[1].max': bounds must increase");
}

TEST(ConfigTest, TheLastClassificationBinMustBeUnbounded) {
  EXPECT_EQ(ErrorOf("jobs:\n"
                    "  - name: j\n"
                    "    classification:\n"
                    "      - {max: 100, label: S}\n"
                    "      - {max: 500, label: M}\n"),
            "ecompipe.yaml:4: the last classification bin must have no 'max' (it takes every "
            "larger total)");
}

TEST(ConfigTest, OnlyTheLastClassificationBinMayOmitMax) {
  EXPECT_EQ(ErrorOf("jobs:\n"
                    "  - name: j\n"
                    "    classification:\n"
                    "      - {label: S}\n"
                    "      - {label: L}\n"),
            "ecompipe.yaml:4: only the last classification bin may omit 'max'");
}

TEST(ConfigTest, AClassificationBoundMustBeAnAmount) {
  for (const char* bad : {"abc", "1.234", "-5", "1e2", "\"\"", "$5"}) {
    std::string e = ErrorOf(std::string("jobs:\n  - name: j\n    classification:\n      - {max: ") +
                            bad + ", label: S}\n      - {label: L}\n");
    EXPECT_THAT(e, StartsWith("ecompipe.yaml:4: 'jobs[0].classification[0].max': ")) << bad;
    EXPECT_THAT(e, HasSubstr("is not an amount like 100.00")) << bad;
  }
}

TEST(ConfigTest, AClassificationMustBeANonEmptyList) {
  EXPECT_EQ(ErrorOf("jobs:\n  - name: j\n    classification: []\n"),
            "ecompipe.yaml:3: 'jobs[0].classification' must be a non-empty list of {max, label}");
  // A mapping is the long form {column, output, bins}.
  EXPECT_EQ(ErrorOf("jobs:\n  - name: j\n    classification: {max: 1}\n"),
            "ecompipe.yaml:3: unknown key 'jobs[0].classification.max' (allowed: column, output, "
            "bins)");
  EXPECT_EQ(ErrorOf("jobs:\n  - name: j\n    classification: {column: total_amount}\n"),
            "ecompipe.yaml:3: missing required key 'jobs[0].classification.bins'");
}

TEST(ConfigTest, AClassificationBinNeedsALabel) {
  EXPECT_EQ(
      ErrorOf("jobs:\n  - name: j\n    classification:\n      - {max: 1}\n      - {label: L}\n"),
      "ecompipe.yaml:4: missing required key 'jobs[0].classification[0].label'");
}

TEST(ConfigTest, OnReloadModesAreRead) {
  EXPECT_EQ(ParseOrDie("jobs: [{name: j, on_reload: append}]\n").jobs[0].on_reload,
            warehouse::ReloadMode::kAppend);
  EXPECT_EQ(ParseOrDie("jobs: [{name: j, on_reload: ignore}]\n").jobs[0].on_reload,
            warehouse::ReloadMode::kIgnore);
  EXPECT_THAT(ErrorOf("jobs:\n  - name: j\n    on_reload: overwrite\n"),
              StartsWith("ecompipe.yaml:3: 'jobs[0].on_reload': "));
}

TEST(ConfigTest, MaxRecordBytesIsBounded) {
  EXPECT_EQ(ParseOrDie("jobs: [{name: j, max_record_bytes: 4096}]\n").jobs[0].spec.max_record_bytes,
            4096u);
  EXPECT_EQ(ErrorOf("jobs:\n  - name: j\n    max_record_bytes: 100\n"),
            "ecompipe.yaml:3: 'jobs[0].max_record_bytes' must be between 1024 and 1073741824");
}

TEST(ConfigTest, ThreadsAndChunkBytesAreReadAndBounded) {
  const auto spec = ParseOrDie("jobs: [{name: j, threads: 2, chunk_bytes: 65536}]\n").jobs[0].spec;
  EXPECT_EQ(spec.threads, 2);
  EXPECT_EQ(spec.chunk_bytes, 65536u);
  EXPECT_EQ(ParseOrDie("jobs: [{name: j}]\n").jobs[0].spec.threads, 0);  // one per core
  EXPECT_EQ(ErrorOf("jobs:\n  - name: j\n    threads: -1\n"),
            "ecompipe.yaml:3: 'jobs[0].threads' must be between 0 and 256");
}

TEST(ConfigTest, DuplicateJobNamesAreRejected) {
  EXPECT_EQ(ErrorOf("jobs:\n  - name: j\n  - name: j\n"),
            "ecompipe.yaml:3: duplicate job name 'j'");
}

// Regression: crawlers, topics and subscriptions could be declared twice under one name.
TEST(ConfigTest, DuplicateCrawlerAndTopicNamesAreRejected) {
  EXPECT_EQ(ErrorOf("crawlers:\n  - name: c\n  - name: c\n"),
            "ecompipe.yaml:3: duplicate crawler name 'c'");
  EXPECT_EQ(ErrorOf("topics:\n  - name: t\n  - name: t\n"),
            "ecompipe.yaml:3: duplicate topic name 't'");
}

// Regression: two subscriptions with one name shared the outbox's (topic, subscription,
// event) key, so the second was never notified.
TEST(ConfigTest, DuplicateSubscriptionNamesInATopicAreRejected) {
  EXPECT_EQ(ErrorOf("topics:\n"
                    "  - name: t\n"
                    "    subscriptions:\n"
                    "      - {name: ops, type: log, path: a.jsonl}\n"
                    "      - {name: ops, type: webhook, url: \"http://h/\"}\n"),
            "ecompipe.yaml:5: duplicate subscription name 'ops' in topic 't'");
}

TEST(ConfigTest, SubscriptionNamesDefaultToTypeAndPosition) {
  PipelineConfig cfg = ParseOrDie(
      "topics:\n"
      "  - name: t\n"
      "    subscriptions:\n"
      "      - {type: log, path: a.jsonl}\n"
      "      - {type: webhook, url: \"https://hooks.example/x\"}\n"
      "      - {name: pager, type: log, path: b.jsonl}\n");
  const auto& subs = cfg.topics[0].subscriptions;
  ASSERT_EQ(subs.size(), 3u);
  EXPECT_EQ(subs[0].name, "log-1");
  EXPECT_EQ(subs[1].name, "webhook-2");
  EXPECT_EQ(subs[1].type, "webhook");
  EXPECT_EQ(subs[1].target, "https://hooks.example/x");
  EXPECT_EQ(subs[2].name, "pager");
}

TEST(ConfigTest, AnUnknownSubscriptionTypeListsTheAllowedOnes) {
  EXPECT_EQ(ErrorOf("topics:\n  - name: t\n    subscriptions:\n      - {type: pager, path: x}\n"),
            "ecompipe.yaml:4: 'topics[0].subscriptions[0].type': unknown subscription type 'pager' "
            "(allowed: log, webhook, email, sns)");
}

TEST(ConfigTest, AWebhookSubscriptionNeedsAnHttpUrl) {
  EXPECT_EQ(
      ErrorOf("topics:\n  - name: t\n    subscriptions:\n      - {type: webhook, url: "
              "\"ftp://h/x\"}\n"),
      "ecompipe.yaml:4: 'topics[0].subscriptions[0].url' must start with http:// or https://");
}

// Regression: keys of the other subscription type were accepted and silently ignored.
TEST(ConfigTest, KeysOfTheOtherSubscriptionTypeAreRejected) {
  EXPECT_EQ(ErrorOf("topics:\n  - name: t\n    subscriptions:\n"
                    "      - {type: log, path: a.jsonl, url: \"http://h/\"}\n"),
            "ecompipe.yaml:4: 'topics[0].subscriptions[0].url' applies to webhook subscriptions; "
            "a log subscription writes to 'path'");
  EXPECT_EQ(ErrorOf("topics:\n  - name: t\n    subscriptions:\n"
                    "      - {type: webhook, url: \"http://h/\", path: a.jsonl}\n"),
            "ecompipe.yaml:4: 'topics[0].subscriptions[0].path' applies to log subscriptions; "
            "a webhook subscription posts to 'url'");
}

TEST(ConfigTest, ASubscriptionFilterIsAPattern) {
  PipelineConfig cfg = ParseOrDie(
      "topics:\n"
      "  - name: t\n"
      "    subscriptions:\n"
      "      - {type: webhook, url: \"http://oncall/\", filter: {detail: {state: [FAILED]}}}\n");
  const auto& filter = cfg.topics[0].subscriptions[0].filter;
  ASSERT_TRUE(filter.has_value());
  EXPECT_TRUE(filter->Matches(Glue(events::kJobStateChange, {{"state", "FAILED"}})));
  EXPECT_FALSE(filter->Matches(Glue(events::kJobStateChange, {{"state", "SUCCEEDED"}})));
}

TEST(ConfigTest, ASubscriptionFilterMayBeAJsonString) {
  PipelineConfig cfg = ParseOrDie(
      "topics:\n"
      "  - name: t\n"
      "    subscriptions:\n"
      "      - type: log\n"
      "        path: a.jsonl\n"
      "        filter: '{\"detail\": {\"state\": [\"FAILED\"]}}'\n");
  const auto& filter = cfg.topics[0].subscriptions[0].filter;
  ASSERT_TRUE(filter.has_value());
  EXPECT_EQ(filter->source(), Json::parse(R"({"detail": {"state": ["FAILED"]}})"));
}

TEST(ConfigTest, ABadSubscriptionFilterNamesTheSubscriptionAndLine) {
  EXPECT_EQ(ErrorOf("topics:\n"
                    "  - name: t\n"
                    "    subscriptions:\n"
                    "      - type: log\n"
                    "        path: a.jsonl\n"
                    "        filter:\n"
                    "          detail:\n"
                    "            state: FAILED\n"),
            "ecompipe.yaml:8: 'topics[0].subscriptions[0].filter' at 'detail.state': leaf values "
            "must be arrays (write [\"FAILED\"])");
}

TEST(ConfigTest, RuleTargetsAreRead) {
  PipelineConfig cfg = ParseOrDie(WithTarget("{type: start_job, name: j}") +
                                  "      - {type: publish, name: t}\n"
                                  "      - {type: webhook, url: \"https://hooks.example/e\"}\n"
                                  "      - {type: upsert_dimension, name: products}\n");
  ASSERT_EQ(cfg.rules.size(), 1u);
  const auto& t = cfg.rules[0].targets;
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t[0].type, events::TargetType::kStartJob);
  EXPECT_EQ(t[0].name, "j");
  EXPECT_EQ(t[1].type, events::TargetType::kPublish);
  EXPECT_EQ(t[2].type, events::TargetType::kWebhook);
  EXPECT_EQ(t[2].name, "https://hooks.example/e");  // a webhook target's name is its URL
  EXPECT_EQ(t[3].name, "products");
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
            "start_job, publish, webhook, upsert_dimension)");
}

// Regression: a webhook rule target took any URL (a subscription's had to be http/https).
TEST(ConfigTest, AWebhookTargetNeedsAnHttpUrl) {
  EXPECT_EQ(ErrorOf(WithTarget("{type: webhook, url: \"file:///etc/passwd\"}")),
            "ecompipe.yaml:8: 'rules[0].targets[0].url' must start with http:// or https://");
}

// Regression: `url` on a non-webhook target, or `name` on a webhook target, was ignored.
TEST(ConfigTest, KeysOfOtherTargetTypesAreRejected) {
  EXPECT_EQ(ErrorOf(WithTarget("{type: start_job, name: j, url: \"http://h/\"}")),
            "ecompipe.yaml:8: 'rules[0].targets[0].url' applies only to webhook targets");
  EXPECT_EQ(ErrorOf(WithTarget("{type: webhook, name: hook, url: \"http://h/\"}")),
            "ecompipe.yaml:8: 'rules[0].targets[0].name' does not apply to a webhook target, which "
            "posts to 'url'");
}

TEST(ConfigTest, ARuleNeedsAPatternAndTargets) {
  EXPECT_EQ(ErrorOf("rules:\n  - name: r\n    targets: [{type: start_job, name: j}]\n"),
            "ecompipe.yaml:2: rule 'r': missing required key 'pattern'");
  EXPECT_EQ(ErrorOf("rules:\n  - name: r\n    pattern: {source: [x]}\n"),
            "ecompipe.yaml:2: rule 'r': 'targets' must be a non-empty list");
  EXPECT_EQ(ErrorOf("rules:\n  - name: r\n    pattern: {source: [x]}\n    targets: []\n"),
            "ecompipe.yaml:4: rule 'r': 'targets' must be a non-empty list");
}

TEST(ConfigTest, DuplicateRuleNamesAreRejected) {
  EXPECT_EQ(
      ErrorOf("crawlers: [{name: c}]\n"
              "rules:\n"
              "  - {name: r, pattern: {source: [x]}, targets: [{type: start_crawler, name: c}]}\n"
              "  - {name: r, pattern: {source: [y]}, targets: [{type: start_crawler, name: c}]}\n"),
      "ecompipe.yaml:4: duplicate rule name 'r'");
}

TEST(ConfigTest, ABadPatternNamesTheRuleTheLineAndThePlace) {
  EXPECT_EQ(
      ErrorOf("crawlers: [{name: c}]\n"
              "rules:\n"
              "  - name: landed\n"
              "    pattern:\n"
              "      source: [ecompipe.s3]\n"
              "      detail:\n"
              "        object:\n"
              "          key: [{prefx: transactions/}]\n"
              "    targets: [{type: start_crawler, name: c}]\n"),
      "ecompipe.yaml:8: rule 'landed' pattern at 'detail.object.key[0]': unknown operator 'prefx' "
      "(did you mean 'prefix'?)");
}

TEST(ConfigTest, ABadPatternOnOneLineNamesThatLine) {
  std::string e = ErrorOf(
      "crawlers: [{name: c}]\n"
      "rules:\n"
      "  - name: r\n"
      "    pattern: {source: ecompipe.s3}\n"
      "    targets: [{type: start_crawler, name: c}]\n");
  EXPECT_THAT(e, StartsWith("ecompipe.yaml:4: rule 'r' pattern at 'source': "));
}

TEST(ConfigTest, APatternMayBeGivenAsAJsonString) {
  Json p = PatternOf(R"('{"source": ["ecompipe.s3"], "detail": {"size": [300, "300"]}}')");
  EXPECT_EQ(p, Json::parse(R"({"source": ["ecompipe.s3"], "detail": {"size": [300, "300"]}})"));
}

TEST(ConfigTest, ABadJsonStringPatternNamesTheRuleAndLine) {
  std::string e = ErrorOf(
      "crawlers: [{name: c}]\n"
      "rules:\n"
      "  - name: r\n"
      "    pattern: '{\"source\": [\"x\"'\n"
      "    targets: [{type: start_crawler, name: c}]\n");
  EXPECT_THAT(e, StartsWith("ecompipe.yaml:4: rule 'r' pattern: invalid JSON"));
}

TEST(ConfigTest, PatternQuotedScalarsStayStrings) {
  Json p = PatternOf(R"({detail: {code: ["300", '301', "true", "null", "~"]}})");
  EXPECT_EQ(p["detail"]["code"], Json::array({"300", "301", "true", "null", "~"}));
}

TEST(ConfigTest, PatternPlainNumbersBecomeNumbersAsWritten) {
  Json p = PatternOf("{detail: {n: [300, -2, 1.5, 300.0, 3e2]}}");
  const Json& n = p["detail"]["n"];
  ASSERT_EQ(n.size(), 5u);
  EXPECT_TRUE(n[0].is_number_integer());
  EXPECT_EQ(n[0], 300);
  EXPECT_EQ(n[1], -2);
  EXPECT_EQ(n[2], 1.5);
  EXPECT_TRUE(n[3].is_number_float());  // 300.0 is a fraction literal, not the integer 300
  EXPECT_TRUE(n[4].is_number_float());
}

TEST(ConfigTest, PatternNumbersMatchByKind) {
  PipelineConfig cfg = ParseOrDie(
      "crawlers: [{name: c}]\n"
      "rules:\n"
      "  - {name: number, pattern: {detail: {code: [300]}}, targets: [{type: start_crawler, name: "
      "c}]}\n"
      "  - {name: text, pattern: {detail: {code: [\"300\"]}}, targets: [{type: start_crawler, "
      "name: c}]}\n");
  EXPECT_THAT(MatchingRules(cfg, Glue("x", {{"code", 300}})), ElementsAre("number"));
  EXPECT_THAT(MatchingRules(cfg, Glue("x", {{"code", "300"}})), ElementsAre("text"));
}

TEST(ConfigTest, PatternPlainNullAndBooleansAreJsonLiterals) {
  Json p = PatternOf("{detail: {v: [null, ~, true, false]}}");
  EXPECT_EQ(p["detail"]["v"], Json::array({nullptr, nullptr, true, false}));
}

// Regression: YAML 1.2's True/TRUE/False/FALSE stayed the strings "True", "FALSE".
TEST(ConfigTest, PatternAcceptsYamlsOtherBooleanSpellings) {
  Json p = PatternOf("{detail: {v: [True, TRUE, False, FALSE, Null, NULL]}}");
  EXPECT_EQ(p["detail"]["v"], Json::array({true, true, false, false, nullptr, nullptr}));
}

TEST(ConfigTest, PatternScalarsThatOnlyLookNumericStayStrings) {
  Json p = PatternOf("{detail: {v: [007, 1.2.3, 2026-11-26, '-', 12abc, yes, .5, +1]}}");
  EXPECT_EQ(p["detail"]["v"],
            Json::array({"007", "1.2.3", "2026-11-26", "-", "12abc", "yes", ".5", "+1"}));
}

TEST(ConfigTest, PatternExplicitStringTagStaysAString) {
  Json p = PatternOf("{detail: {v: [!!str 300]}}");
  EXPECT_EQ(p["detail"]["v"], Json::array({"300"}));
}

// Regression: a field repeated in a pattern silently kept only the last value.
TEST(ConfigTest, PatternRepeatedFieldIsRejected) {
  EXPECT_EQ(ErrorOf("crawlers: [{name: c}]\n"
                    "rules:\n"
                    "  - name: r\n"
                    "    pattern:\n"
                    "      source: [a]\n"
                    "      source: [b]\n"
                    "    targets: [{type: start_crawler, name: c}]\n"),
            "ecompipe.yaml:6: rule 'r' pattern: duplicate field 'source'");
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

namespace ecompipe::runtime {
namespace {

TEST(ConfigTest, EmailSubscriptionReadsSmtpRecipientsAndAuth) {
  PipelineConfig cfg = ParseOrDie(
      "topics:\n  - name: t\n    subscriptions:\n"
      "      - type: email\n        url: smtp://mail.example:587\n        starttls: true\n"
      "        from: \"ecompipe <noreply@shop.example>\"\n        to: [a@shop.example, "
      "b@shop.example]\n"
      "        username: u\n        password_env: SMTP_PASSWORD\n"
      "        dashboard_url: http://dash\n        max_age: 2h\n        max_per_hour: 6\n");
  const notify::Subscription& s = cfg.topics.at(0).subscriptions.at(0);
  EXPECT_EQ(s.name, "email-1");
  EXPECT_EQ(Email(s).smtp.url, "smtp://mail.example:587");
  EXPECT_TRUE(Email(s).smtp.starttls);
  EXPECT_EQ(Email(s).to, (std::vector<std::string>{"a@shop.example", "b@shop.example"}));
  EXPECT_EQ(Email(s).password_env, "SMTP_PASSWORD");
  EXPECT_EQ(Email(s).smtp.password, "");
  EXPECT_EQ(s.target, "a@shop.example,b@shop.example");
  EXPECT_EQ(s.max_age_ms, 2 * 3600 * 1000);
  EXPECT_EQ(s.rate_max, 6);
  EXPECT_EQ(s.rate_window_ms, 3600 * 1000);
}

TEST(ConfigTest, EmailSubscriptionErrors) {
  EXPECT_EQ(
      ErrorOf("topics:\n  - name: t\n    subscriptions:\n"
              "      - {type: email, url: \"http://x\", from: a@b, to: c@d}\n"),
      "ecompipe.yaml:4: 'topics[0].subscriptions[0].url' must start with smtp:// or smtps://");
  EXPECT_EQ(ErrorOf("topics:\n  - name: t\n    subscriptions:\n"
                    "      - {type: email, url: \"smtp://x\", from: a@b, to: nobody}\n"),
            "ecompipe.yaml:4: 'topics[0].subscriptions[0].to': 'nobody' is not one email address");
  EXPECT_EQ(ErrorOf("topics:\n  - name: t\n    subscriptions:\n"
                    "      - {type: email, url: \"smtp://x\", from: a@b, to: c@d, password: p}\n"),
            "ecompipe.yaml:4: a password needs 'topics[0].subscriptions[0].username'");
  EXPECT_EQ(
      ErrorOf("topics:\n  - name: t\n    subscriptions:\n"
              "      - {type: email, url: \"smtp://x\", from: a@b, to: c@d, secret: s}\n"),
      "ecompipe.yaml:4: unknown key 'topics[0].subscriptions[0].secret' (allowed: name, type, "
      "filter, filter_policy, max_age, max_per_hour, rate_limit, backoff_base, backoff_max, "
      "url, from, to, starttls, insecure_skip_verify, username, password, password_env, "
      "dashboard_url, timeout, ca_file)");
}

TEST(ConfigTest, SubscriptionDeliverySettings) {
  TempDir dir;
  const std::string ca = (std::filesystem::path(dir.path()) / "ca.pem").string();
  std::ofstream(ca) << "-----BEGIN CERTIFICATE-----\n";
  PipelineConfig cfg = ParseOrDie(
      "topics:\n  - name: t\n    subscriptions:\n"
      "      - type: webhook\n        url: https://hooks.example/x\n        timeout: 1500ms\n"
      "        ca_file: " +
      ca +
      "\n        backoff_base: 5s\n        backoff_max: 2m\n"
      "        rate_limit: {max: 3, window: 10m}\n");
  const notify::Subscription& s = cfg.topics.at(0).subscriptions.at(0);
  EXPECT_EQ(s.timeout_ms, 1500);
  EXPECT_EQ(s.ca_file, ca);
  EXPECT_EQ(s.backoff_base_ms, 5000);
  EXPECT_EQ(s.backoff_max_ms, 120000);
  EXPECT_EQ(s.rate_max, 3);
  EXPECT_EQ(s.rate_window_ms, 600000);
}

TEST(ConfigTest, SubscriptionDeliverySettingErrors) {
  const std::string head =
      "topics:\n  - name: t\n    subscriptions:\n      - type: webhook\n"
      "        url: http://h/x\n";
  EXPECT_EQ(ErrorOf(head + "        timeout: soon\n"),
            "ecompipe.yaml:6: 'topics[0].subscriptions[0].timeout': 'soon' is not a duration like "
            "500ms, 90s, 30m, 24h or 7d");
  EXPECT_EQ(ErrorOf(head + "        ca_file: /nonexistent/ca.pem\n"),
            "ecompipe.yaml:6: 'topics[0].subscriptions[0].ca_file': no file /nonexistent/ca.pem");
  EXPECT_EQ(ErrorOf(head + "        backoff_base: 1m\n        backoff_max: 10s\n"),
            "ecompipe.yaml:7: 'topics[0].subscriptions[0].backoff_max' must not be shorter than "
            "backoff_base");
  EXPECT_EQ(ErrorOf(head + "        max_per_hour: 3\n        rate_limit: {max: 3}\n"),
            "ecompipe.yaml:7: give 'topics[0].subscriptions[0].max_per_hour' or "
            "'topics[0].subscriptions[0].rate_limit', not both");
  EXPECT_EQ(ErrorOf(head + "        rate_limit: {window: 1h}\n"),
            "ecompipe.yaml:6: missing required key 'topics[0].subscriptions[0].rate_limit.max'");
  EXPECT_EQ(
      ErrorOf(head + "        rate_limit: {max: 0}\n"),
      "ecompipe.yaml:6: 'topics[0].subscriptions[0].rate_limit.max' must be between 1 and 1000000");
  EXPECT_EQ(ErrorOf(head + "        rate_limit: {max: 2, per: 1h}\n"),
            "ecompipe.yaml:6: unknown key 'topics[0].subscriptions[0].rate_limit.per' (allowed: "
            "max, window)");
}

TEST(ConfigTest, SnsSubscriptionTakesTheRegionFromTheArn) {
  PipelineConfig cfg = ParseOrDie(
      "topics:\n  - name: t\n    subscriptions:\n"
      "      - {type: sns, topic_arn: \"arn:aws:sns:eu-west-1:123456789012:status\"}\n");
  const notify::Subscription& s = cfg.topics.at(0).subscriptions.at(0);
  EXPECT_EQ(Sns(s).sns.region, "eu-west-1");
  EXPECT_EQ(Sns(s).sns.endpoint, "https://sns.eu-west-1.amazonaws.com");
  EXPECT_TRUE(Sns(s).sns.credentials.access_key_id.empty());
  EXPECT_EQ(
      ErrorOf("topics:\n  - name: t\n    subscriptions:\n"
              "      - {type: sns, topic_arn: \"arn:aws:sns:eu-west-1:1:t\", access_key_id: A}\n"),
      "ecompipe.yaml:4: give both 'access_key_id' and 'secret_access_key', or neither (then "
      "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are used)");
}

TEST(ConfigTest, WebhookSecretAndFilterPolicy) {
  PipelineConfig cfg = ParseOrDie(
      "topics:\n  - name: t\n    subscriptions:\n"
      "      - type: webhook\n        url: http://h/x\n        secret_env: HOOK_SECRET\n"
      "        filter_policy:\n          state: [FAILED]\n          rowsRejected: [{numeric: "
      "[\">\", 0]}]\n");
  const notify::Subscription& s = cfg.topics.at(0).subscriptions.at(0);
  EXPECT_EQ(s.As<notify::WebhookSubscription>()->secret_env, "HOOK_SECRET");
  ASSERT_TRUE(s.filter_policy.has_value());
  EXPECT_TRUE(s.filter_policy->Matches(
      Json{{"id", "e"}, {"detail", {{"state", "FAILED"}, {"rowsRejected", 3}}}}));
  EXPECT_FALSE(s.filter_policy->Matches(
      Json{{"id", "e"}, {"detail", {{"state", "SUCCEEDED"}, {"rowsRejected", 3}}}}));
}

TEST(ConfigTest, BadFilterPolicyAndMaxAgeAreErrors) {
  EXPECT_EQ(ErrorOf("topics:\n  - name: t\n    subscriptions:\n"
                    "      - {type: log, path: l, filter_policy: {state: FAILED}}\n")
                .rfind("ecompipe.yaml:4: 'topics[0].subscriptions[0].filter_policy' at 'state'", 0),
            0u);
  EXPECT_EQ(ErrorOf("topics:\n  - name: t\n    subscriptions:\n"
                    "      - {type: log, path: l, max_age: soon}\n"),
            "ecompipe.yaml:4: 'topics[0].subscriptions[0].max_age': 'soon' is not a duration like "
            "500ms, 90s, 30m, 24h or 7d");
}

// --- state.type postgres (several workers) ------------------------------------------------

TEST(ConfigTest, PostgresStateTakesAUrlAndALease) {
  PipelineConfig cfg = ParseOrDie(
      "state:\n  type: postgres\n  url: postgresql://ep@db/ep?sslmode=require\n"
      "  lease_seconds: 5\n  worker_id: w1\n");
  EXPECT_TRUE(cfg.state.shared());
  EXPECT_EQ(cfg.state.Location(), "postgresql://ep@db/ep?sslmode=require");
  EXPECT_EQ(cfg.state.lease_ms, 5000);
  EXPECT_EQ(cfg.state.worker_id, "w1");
}

TEST(ConfigTest, PostgresStateWithoutAUrlUsesTheLibpqDefaults) {
  PipelineConfig cfg = ParseOrDie("state:\n  type: postgres\n");
  EXPECT_EQ(cfg.state.Location(), "postgresql://");
  EXPECT_EQ(cfg.state.lease_ms, 30000);
}

TEST(ConfigTest, SqliteStateIsNotShared) {
  PipelineConfig cfg = ParseOrDie("state:\n  type: sqlite\n");
  EXPECT_FALSE(cfg.state.shared());
  EXPECT_EQ(cfg.state.Location(), cfg.state.path.string());
}

TEST(ConfigTest, StateKeysOfTheOtherTypeAreErrors) {
  EXPECT_THAT(ErrorOf("state:\n  type: postgres\n  path: x.db\n"),
              HasSubstr("ecompipe.yaml:3: 'state.path' is for type sqlite"));
  EXPECT_THAT(ErrorOf("state:\n  type: sqlite\n  url: postgresql://h/db\n"),
              HasSubstr("ecompipe.yaml:3: 'state.url' is for type postgres"));
  EXPECT_THAT(ErrorOf("state:\n  type: postgres\n  url: mysql://h/db\n"),
              HasSubstr("must start with postgresql://"));
  EXPECT_THAT(ErrorOf("state:\n  type: postgres\n  lease_seconds: 0\n"),
              HasSubstr("lease_seconds"));
  EXPECT_THAT(ErrorOf("state:\n  type: mongo\n"), HasSubstr("allowed: sqlite, postgres"));
}

}  // namespace
}  // namespace ecompipe::runtime

namespace ecompipe::runtime {
namespace {

TEST(S3StorageConfigTest, ReadsBucketEndpointAndEventSources) {
  PipelineConfig cfg = ParseOrDie(R"(
storage:
  type: s3
  bucket: raw-transactions
  endpoint: "http://127.0.0.1:9000"
  region: eu-west-1
  addressing: path
  events:
    - {type: sqs, queue_url: "http://127.0.0.1:9000/123456789012/q", wait_time_seconds: 5, visibility_timeout_seconds: 30}
    - {type: webhook, listen: "0.0.0.0:9100", path: /hook, token_env: TOKEN}
    - {type: reconcile, interval_seconds: 60, page_size: 100}
)");
  EXPECT_EQ(cfg.storage.type, "s3");
  EXPECT_EQ(S3(cfg).server.endpoint, "http://127.0.0.1:9000");
  EXPECT_EQ(S3(cfg).server.region, "eu-west-1");
  ASSERT_EQ(S3(cfg).events.size(), 3u);
  EXPECT_EQ(std::get<storage::s3::SqsSourceConfig>(S3(cfg).events[0].source).wait_time_seconds, 5);
  EXPECT_EQ(
      std::get<storage::s3::SqsSourceConfig>(S3(cfg).events[0].source).visibility_timeout_seconds,
      30);
  EXPECT_EQ(std::get<storage::s3::WebhookSourceConfig>(S3(cfg).events[1].source).token_env,
            "TOKEN");
  EXPECT_EQ(std::get<storage::s3::ReconcileSourceConfig>(S3(cfg).events[2].source).interval_seconds,
            60);
}

TEST(S3StorageConfigTest, RefusesBadS3Settings) {
  const std::string head = "storage:\n  type: s3\n  bucket: b\n";
  EXPECT_THAT(ErrorOf(head + "  path: bucket\n"), HasSubstr("unknown key 'storage.path'"));
  EXPECT_THAT(ErrorOf("storage:\n  type: s3\n"),
              HasSubstr("missing required key 'storage.bucket'"));
  EXPECT_THAT(ErrorOf(head + "  endpoint: minio:9000\n"), HasSubstr("http://"));
  EXPECT_THAT(ErrorOf(head + "  addressing: dns\n"), HasSubstr("'path' or 'virtual'"));
  EXPECT_THAT(ErrorOf(head + "  access_key_id: AKID\n"), HasSubstr("give both"));
  EXPECT_THAT(ErrorOf(head + "  events:\n    - {type: kafka}\n"),
              HasSubstr("allowed: sqs, webhook, reconcile"));
  EXPECT_THAT(ErrorOf(head + "  events:\n    - {type: sqs}\n"), HasSubstr("queue_url"));
  EXPECT_THAT(ErrorOf(head + "  events:\n    - {type: sqs, queue_url: \"https://q\", "
                             "visibility_timeout_seconds: 1}\n"),
              HasSubstr("visibility_timeout_seconds"));
  EXPECT_THAT(ErrorOf(head + "  events:\n    - {type: sqs, queue_url: \"https://q\", "
                             "visibility_timeout_seconds: 43201}\n"),
              HasSubstr("visibility_timeout_seconds"));
  EXPECT_THAT(ErrorOf(head + "  events:\n    - {type: webhook, listen: nowhere, token: t}\n"),
              HasSubstr("host:port"));
  EXPECT_THAT(ErrorOf(head + "  events:\n    - {type: webhook}\n"), HasSubstr("token_env"));
  EXPECT_THAT(ErrorOf(head + "  events:\n    - {type: reconcile}\n    - {type: reconcile}\n"),
              HasSubstr("a second event source"));
  EXPECT_THAT(ErrorOf("storage:\n  type: gcs\n"), HasSubstr("allowed: local, s3"));
}

}  // namespace
}  // namespace ecompipe::runtime
