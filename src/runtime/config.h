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
#include "common/status.h"
#include "events/event.h"
#include "events/event_bus.h"
#include "events/rule.h"
#include "notify/notifier.h"
#include "transform/records.h"
#include "warehouse/warehouse.h"

namespace ecompipe::runtime {

inline constexpr const char* kConfigFileName = "ecompipe.yaml";

struct StorageConfig {
  std::string type = "local";
  std::filesystem::path path;      // the bucket folder
  std::string bucket = "raw-transactions";
};

struct StateConfig {
  std::string type = "sqlite";
  std::filesystem::path path;      // event log, catalog, runs, notifications
};

struct WarehouseConfig {
  std::string type = "sqlite";     // sqlite | postgres | redshift
  std::filesystem::path path;      // sqlite: the database file
  std::string url;                 // postgres/redshift: libpq URL or conninfo; "" = PG* env vars
  std::string schema;              // postgres/redshift: schema for the tables; "" = search_path
};

struct CrawlerConfig {
  std::string name;
};

struct JobConfig {
  std::string name;
  std::string table = "transactions";   // the catalog table whose new objects the job loads
  warehouse::ReloadMode on_reload = warehouse::ReloadMode::kReplace;
  transform::JobSpec spec;
};

struct PipelineConfig {
  std::filesystem::path config_path;
  std::filesystem::path dir;           // holds the config file
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
