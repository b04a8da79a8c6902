// The pipeline's configuration, read from ecompipe.yaml.
//
// Parsing is strict: an unknown key, a wrong type or a bad value is an error naming the file,
// line and key ("ecompipe.yaml:14: unknown key 'warehose' (did you mean 'warehouse'?)").
// Relative paths are resolved against the folder that holds the configuration file.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "api/http/api_config.h"
#include "api/s3/s3_endpoint.h"
#include "catalog/crawler_config.h"
#include "common/state_config.h"
#include "common/status.h"
#include "events/event.h"
#include "events/event_bus.h"
#include "events/rule.h"
#include "notify/notifier.h"
#include "runtime/logging.h"
#include "runtime/quality_gate.h"
#include "storage/compression.h"
#include "storage/object_store_config.h"
#include "transform/job_spec.h"
#include "warehouse/warehouse.h"
#include "warehouse/warehouse_config.h"

namespace ecompipe::runtime {

inline constexpr const char* kConfigFileName = "ecompipe.yaml";

using catalog::CrawlerConfig;

struct JobConfig {
  std::string name;
  std::string table = "transactions";  // the catalog table whose new objects the job loads
  warehouse::ReloadMode on_reload = warehouse::ReloadMode::kReplace;
  transform::JobSpec spec;
  QualityGate quality_gate;  // max_reject_rate, min_rows
  // What one object may cost: its stored rejects (max_stored_rejects, max_stored_reject_bytes)
  // and how far a compressed object may expand (max_decoded_bytes, max_decoded_ratio).
  warehouse::RejectLimits reject_limits;
  storage::DecodeLimits decode_limits;
};

// The whole configuration. Each section is its component's own typed configuration, parsed by
// that component (`<component>_config.h`) with the shared strict reader (common/config_reader.h);
// the backends of storage, warehouse, subscriptions and S3 event sources are found by `type`
// in the factories that runtime/register_components.cc fills. What is checked here is only
// what spans components: a rule's target names a crawler, job or topic that exists, a job's
// keys beside its spec, and that the S3 endpoint serves a local bucket.
struct PipelineConfig {
  std::filesystem::path config_path;
  std::filesystem::path dir;  // holds the config file
  events::Origin origin;
  storage::ObjectStoreConfig storage;  // LocalStoreConfig or s3::S3StoreConfig in settings
  StateConfig state;
  warehouse::WarehouseConfig warehouse;
  std::vector<CrawlerConfig> crawlers;
  std::vector<JobConfig> jobs;
  std::vector<notify::Topic> topics;
  std::vector<events::Rule> rules;
  events::RetryPolicy retry;
  api::s3::S3EndpointConfig s3_endpoint;  // served by `ecompipe serve` when enabled
  api::http::ApiConfig api;               // the HTTP API, served by `ecompipe serve` when enabled
  LogConfig log;                          // the log's format and file (runtime/logging.h)
  std::string text;  // the file's text as read (LoadConfig); a reload keeps the first one

  const JobConfig* FindJob(const std::string& name) const;
  // The bucket folder of a local store; empty for any other store.
  std::filesystem::path BucketFolder() const;
  bool HasCrawler(const std::string& name) const;
};

// Reads and validates `path`.
Result<PipelineConfig> LoadConfig(const std::filesystem::path& path);
// Parses configuration text; `path` is used for messages and relative paths.
Result<PipelineConfig> ParseConfig(const std::string& text, const std::filesystem::path& path);

// Every error of configuration text at once, as far as the strict reader allows: each
// section (storage, state, warehouse, crawlers, jobs, topics, rules, ...) stops at its first
// error and the next section is read, so a file with a mistake in three sections gets three
// errors, each with file:line. A YAML syntax error is the only one (nothing can be read after
// it). A rule naming a crawler, job or topic whose section failed is reported as naming one
// that does not exist. `config` is set when there is no error.
struct ConfigCheck {
  std::vector<Status> errors;
  std::optional<PipelineConfig> config;
};
ConfigCheck CheckConfig(const std::string& text, const std::filesystem::path& path);

// `explicit_path` when given, else ./ecompipe.yaml, else an error telling how to create one.
Result<std::filesystem::path> FindConfig(const std::string& explicit_path);

// The commented default configuration `ecompipe init` writes: src/runtime/default_ecompipe.yaml,
// compiled in.
std::string DefaultConfigText();

}  // namespace ecompipe::runtime
