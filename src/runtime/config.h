// The pipeline's configuration, read from ecompipe.yaml.
//
// Parsing is strict: an unknown key, a wrong type or a bad value is an error naming the file,
// line and key ("ecompipe.yaml:14: unknown key 'warehose' (did you mean 'warehouse'?)").
// Relative paths are resolved against the folder that holds the configuration file.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "api/s3/s3_endpoint.h"
#include "catalog/crawler.h"
#include "common/status.h"
#include "events/event.h"
#include "events/event_bus.h"
#include "events/rule.h"
#include "notify/notifier.h"
#include "runtime/quality_gate.h"
#include "transform/records.h"
#include "warehouse/warehouse.h"

namespace ecompipe::runtime {

inline constexpr const char* kConfigFileName = "ecompipe.yaml";

// One way for an s3 bucket to learn of new objects (docs/configuration.md, "S3 buckets").
struct S3EventSourceConfig {
  std::string type;  // sqs | webhook | reconcile
  int line = 0;      // in the configuration file, for messages
  // sqs
  std::string queue_url;
  std::string endpoint;  // empty: the queue URL's host
  int wait_time_seconds = 20;
  int visibility_timeout_seconds = 120;  // held messages are renewed every half of it
  // webhook
  std::string listen = "127.0.0.1:9100";
  std::string path = "/s3-events";
  std::string token;  // or from the variable named by token_env
  std::string token_env;
  // reconcile
  int64_t interval_seconds = 300;
  int page_size = 1000;
};

struct StorageConfig {
  std::string type = "local";  // local | s3
  std::filesystem::path path;  // the bucket folder (local)
  std::string bucket = "raw-transactions";
  // s3
  std::string endpoint;  // empty: https://s3.<region>.amazonaws.com
  std::string region = "us-east-1";
  std::string addressing;         // path | virtual; empty: virtual on AWS, path elsewhere
  std::string access_key_id;      // empty: AWS_ACCESS_KEY_ID (and AWS_SECRET_ACCESS_KEY,
  std::string secret_access_key;  //        AWS_SESSION_TOKEN) from the environment
  std::vector<S3EventSourceConfig> events;
};

struct StateConfig {
  std::string type = "sqlite";  // "sqlite" (one process) | "postgres" (several workers)
  std::filesystem::path path;   // sqlite: event log, catalog, runs, notifications, claims
  std::string url;              // postgres: libpq URL; "postgresql://" takes PG* and ~/.pgpass
  std::string password_env;     // postgres: the variable holding the password; "" = none
  int64_t lease_ms = 30'000;    // how long a worker's claims hold without renewal
  std::string worker_id;        // empty: "<host>:<pid>:<random>"

  bool shared() const { return type == "postgres"; }
  // What OpenSqlDb() takes: the SQLite file path or the PostgreSQL URL (with password_env).
  std::string Location() const;
};

// warehouse.staging (redshift only): large loads staged to S3 and loaded with COPY ... FROM
// 's3://...' (docs/warehouse.md).
struct RedshiftStagingConfig {
  std::string bucket;                       // empty: no S3 staging, every load uses INSERTs
  std::string prefix = "ecompipe-staging";  // no leading or trailing '/'
  std::string endpoint;                     // empty: https://s3.<region>.amazonaws.com
  std::string region = "us-east-1";
  std::string addressing;         // path | virtual; empty: virtual on AWS, path elsewhere
  std::string access_key_id;      // empty: AWS_ACCESS_KEY_ID (and AWS_SECRET_ACCESS_KEY,
  std::string secret_access_key;  //        AWS_SESSION_TOKEN) from the environment
  std::string iam_role;           // the role Redshift assumes for COPY; empty: the keys above
  int64_t min_rows = 100'000;     // loads with fewer fact rows use INSERTs
  int64_t part_mb = 64;           // CSV MiB per staged part, before compression

  bool enabled() const { return !bucket.empty(); }
};

struct WarehouseConfig {
  std::string type = "sqlite";    // sqlite | postgres | redshift
  std::filesystem::path path;     // sqlite: the database file
  std::string url;                // postgres/redshift: libpq URL or conninfo; "" = PG* env vars
  std::string schema;             // postgres/redshift: schema for the tables; "" = search_path
  RedshiftStagingConfig staging;  // redshift only
  std::string password_env;       // postgres/redshift: the variable holding the password; "" = none
  std::string index_rebuild = "auto";  // postgres: auto | always | never (warehouse::IndexRebuild)

  // What PostgresDb::Connect() takes: url with password_env (never the password itself).
  std::string ConnInfo() const;
};

struct CrawlerConfig {
  std::string name;
  // Whether a CSV object's first row is a header (Glue's ContainsHeader): detect | present |
  // absent. The crawler records its answer in the catalog, and the job reads by it.
  catalog::HeaderMode header = catalog::HeaderMode::kDetect;
};

struct JobConfig {
  std::string name;
  std::string table = "transactions";  // the catalog table whose new objects the job loads
  warehouse::ReloadMode on_reload = warehouse::ReloadMode::kReplace;
  transform::JobSpec spec;
  QualityGate quality_gate;  // max_reject_rate, min_rows
};

struct PipelineConfig {
  std::filesystem::path config_path;
  std::filesystem::path dir;  // holds the config file
  events::Origin origin;
  StorageConfig storage;
  StateConfig state;
  WarehouseConfig warehouse;
  std::vector<CrawlerConfig> crawlers;
  std::vector<JobConfig> jobs;
  std::vector<notify::Topic> topics;
  std::vector<events::Rule> rules;
  events::RetryPolicy retry;
  api::s3::S3EndpointConfig s3_endpoint;  // served by `ecompipe serve` when enabled

  const JobConfig* FindJob(const std::string& name) const;
  bool HasCrawler(const std::string& name) const;
};

// Reads and validates `path`.
Result<PipelineConfig> LoadConfig(const std::filesystem::path& path);
// Parses configuration text; `path` is used for messages and relative paths.
Result<PipelineConfig> ParseConfig(const std::string& text, const std::filesystem::path& path);

// `explicit_path` when given, else ./ecompipe.yaml, else an error telling how to create one.
Result<std::filesystem::path> FindConfig(const std::string& explicit_path);

// The commented default configuration `ecompipe init` writes.
std::string DefaultConfigText();

}  // namespace ecompipe::runtime
