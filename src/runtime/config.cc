#include "runtime/config.h"

#include <algorithm>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>

#include "api/http/api_config.h"
#include "api/s3/s3_endpoint_config.h"
#include "common/config_reader.h"
#include "events/events_config.h"
#include "notify/notify_config.h"
#include "runtime/register_components.h"
#include "runtime/rule_targets.h"
#include "storage/local/local_store_config.h"
#include "transform/job_spec_config.h"

namespace ecompipe::runtime {

// The commented default configuration (default_ecompipe.yaml), compiled in by the build.
extern const char* const kDefaultConfigYaml;

namespace {

namespace fs = std::filesystem;

// jobs[i].max_reject_rate and min_rows: the job's quality gate (runtime/quality_gate.h).
Status ParseQualityGate(const ConfigReader& r, QualityGate& gate) {
  if (r.Has("max_reject_rate")) {
    const YAML::Node n = r.Node("max_reject_rate");
    double rate = -1;
    try {
      if (n.IsScalar()) rate = n.as<double>();
    } catch (const YAML::Exception&) {
    }
    // "!(x >= 0)" also refuses a NaN (YAML's .nan).
    if (!(rate >= 0 && rate <= 1))
      return r.Error(n, "'" + r.Path("max_reject_rate") +
                            "' must be a fraction of the rows read between 0 and 1, e.g. 0.05");
    gate.max_reject_rate = rate;
  }
  return r.Int("min_rows", gate.min_rows, 0, std::numeric_limits<int64_t>::max());
}

// jobs[i].max_stored_rejects, max_stored_reject_bytes, max_decoded_bytes, max_decoded_ratio:
// what one object may cost (warehouse/reject_budget.h, storage/compression.h).
Status ParseObjectLimits(const ConfigReader& r, JobConfig& job) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  EP_RETURN_IF_ERROR(r.Int("max_stored_rejects", job.reject_limits.max_rows, 0, kMax));
  EP_RETURN_IF_ERROR(r.Int("max_stored_reject_bytes", job.reject_limits.max_raw_bytes, 0, kMax));
  EP_RETURN_IF_ERROR(r.Int("max_decoded_bytes", job.decode_limits.max_bytes, 0, kMax));
  if (r.Has("max_decoded_ratio")) {
    const YAML::Node n = r.Node("max_decoded_ratio");
    double ratio = -1;
    try {
      if (n.IsScalar()) ratio = n.as<double>();
    } catch (const YAML::Exception&) {
    }
    if (!(ratio >= 0 && ratio <= 1e9))
      return r.Error(n, "'" + r.Path("max_decoded_ratio") +
                            "' must be a number of decompressed bytes per compressed byte, e.g. "
                            "200 (0 turns the check off)");
    job.decode_limits.max_ratio = ratio;
  }
  return Status::Ok();
}

Status ParseJobs(const ConfigReader& root, PipelineConfig& cfg) {
  const YAML::Node list = root.Node("jobs");
  if (!list.IsDefined() || list.IsNull()) return Status::Ok();
  if (!list.IsSequence()) return root.Error(list, "'jobs' must be a list");
  for (size_t i = 0; i < list.size(); ++i) {
    ConfigReader r = root.Child("jobs").Item(list[i], i);
    EP_RETURN_IF_ERROR(r.ExpectMap());
    // The job's own keys, its specification's (transform/job_spec_config.h), its quality gate's.
    std::vector<std::string> keys = {"name", "table", "on_reload"};
    keys.insert(keys.end(), transform::JobSpecKeys().begin(), transform::JobSpecKeys().end());
    keys.insert(keys.end(), {"max_reject_rate", "min_rows", "max_stored_rejects",
                             "max_stored_reject_bytes", "max_decoded_bytes", "max_decoded_ratio"});
    EP_RETURN_IF_ERROR(r.CheckKeys(keys));
    JobConfig job;
    EP_RETURN_IF_ERROR(r.String("name", job.name, true));
    EP_RETURN_IF_ERROR(r.String("table", job.table));
    std::string mode = "replace";
    EP_RETURN_IF_ERROR(r.String("on_reload", mode));
    Result<warehouse::ReloadMode> m = warehouse::ParseReloadMode(mode);
    if (!m.ok())
      return r.Error(r.Node("on_reload"), "'" + r.Path("on_reload") + "': " + m.status().message());
    job.on_reload = *m;
    EP_RETURN_IF_ERROR(transform::ParseJobSpec(r, job.spec));
    EP_RETURN_IF_ERROR(ParseQualityGate(r, job.quality_gate));
    EP_RETURN_IF_ERROR(ParseObjectLimits(r, job));
    if (cfg.FindJob(job.name))
      return r.Error(r.Node("name"), "duplicate job name '" + job.name + "'");
    cfg.jobs.push_back(std::move(job));
  }
  return Status::Ok();
}

// The rules, each target checked against the rest of the file by its type's entry
// (runtime/rule_targets.h): the cross-references between `rules` and the other sections.
Status ParseRules(const ConfigReader& root, PipelineConfig& cfg) {
  const RuleTargetFactory& factory = RuleTargetFactory::Instance();
  std::vector<events::TargetKind> kinds;
  for (const std::string& type : factory.Types()) {
    const RuleTargetType* entry = factory.Find(type);
    kinds.push_back({entry->type, entry->takes_url});
  }
  return events::ParseRules(
      root, kinds,
      [&cfg, &factory](const events::Target& target) {
        const RuleTargetType* entry = factory.Find(events::TargetTypeName(target.type));
        return entry ? entry->missing(cfg, target.name) : std::string();
      },
      cfg.rules);
}

Status ParseCrawlers(const ConfigReader& r, PipelineConfig& cfg) {
  const YAML::Node crawlers = r.Node("crawlers");
  if (!crawlers.IsDefined() || crawlers.IsNull()) return Status::Ok();
  if (!crawlers.IsSequence()) return r.Error(crawlers, "'crawlers' must be a list");
  for (size_t i = 0; i < crawlers.size(); ++i) {
    ConfigReader c = r.Child("crawlers").Item(crawlers[i], i);
    CrawlerConfig cc;
    EP_RETURN_IF_ERROR(catalog::ParseCrawlerConfig(c, cc));
    if (cfg.HasCrawler(cc.name))
      return c.Error(c.Node("name"), "duplicate crawler name '" + cc.name + "'");
    cfg.crawlers.push_back(cc);
  }
  return Status::Ok();
}

// The whole file, section by section, in the order errors are looked for. With `errors`, a
// section's error is collected there and the next section is read (a section still stops at its
// first error); without, the first error is returned.
Status ParseRoot(const ConfigReader& r, const std::string& file, PipelineConfig& cfg,
                 std::vector<Status>* errors = nullptr) {
  if (!r.node().IsMap())
    return Status::InvalidArgument("the configuration must be a YAML mapping").At(file);
  Status first;
  // False when parsing stops here: an error, and no `errors` to collect it in.
  const auto section = [&](Status s) {
    if (s.ok()) return true;
    if (errors) {
      errors->push_back(std::move(s));
      return true;
    }
    first = std::move(s);
    return false;
  };
  if (!section(r.CheckKeys({"pipeline", "storage", "state", "warehouse", "crawlers", "jobs",
                            "topics", "rules", "retry", "s3_endpoint", "api", "log"})))
    return first;
  const auto pipeline = [&]() -> Status {
    if (!r.Has("pipeline")) return Status::Ok();
    ConfigReader p = r.Child("pipeline");
    EP_RETURN_IF_ERROR(p.ExpectMap());
    EP_RETURN_IF_ERROR(p.CheckKeys({"account", "region"}));
    EP_RETURN_IF_ERROR(p.String("account", cfg.origin.account));
    return p.String("region", cfg.origin.region);
  };
  if (!section(pipeline())) return first;
  if (!section(storage::ParseObjectStoreConfig(
          r.Child("storage"), storage::ObjectStoreFactory::Instance(), cfg.storage)))
    return first;
  if (!section(ParseStateConfig(r.Child("state"), cfg.state))) return first;
  if (!section(warehouse::ParseWarehouseConfig(
          r.Child("warehouse"), warehouse::WarehouseFactory::Instance(), cfg.warehouse)))
    return first;
  if (!section(events::ParseRetryPolicy(r, cfg.retry))) return first;
  if (!section(ParseCrawlers(r, cfg))) return first;
  if (!section(ParseJobs(r, cfg))) return first;
  if (!section(notify::ParseTopics(r, notify::SubscriberFactory::Instance(), cfg.topics)))
    return first;
  if (!section(ParseRules(r, cfg))) return first;
  if (!section(api::s3::ParseS3EndpointConfig(r, cfg.s3_endpoint))) return first;
  if (!section(api::http::ParseApiConfig(r, cfg.api))) return first;
  if (!section(ParseLogConfig(r.Child("log"), cfg.log))) return first;
  // The endpoint writes into a folder; an s3 bucket has its own server.
  if (cfg.s3_endpoint.enabled && !cfg.storage.As<storage::LocalStoreConfig>())
    section(r.Error(r.Node("s3_endpoint"),
                    "'s3_endpoint' serves a local bucket; with storage.type s3 "
                    "clients use that S3 server directly"));
  return first;
}

}  // namespace

const JobConfig* PipelineConfig::FindJob(const std::string& name) const {
  for (const auto& j : jobs)
    if (j.name == name) return &j;
  return nullptr;
}

std::filesystem::path PipelineConfig::BucketFolder() const {
  const auto* local = storage.As<storage::LocalStoreConfig>();
  return local ? local->path : std::filesystem::path();
}

bool PipelineConfig::HasCrawler(const std::string& name) const {
  return std::any_of(crawlers.begin(), crawlers.end(),
                     [&](const auto& c) { return c.name == name; });
}

Result<PipelineConfig> ParseConfig(const std::string& text, const fs::path& path) {
  RegisterComponents();
  const std::string file = path.filename().empty() ? kConfigFileName : path.filename().string();
  PipelineConfig cfg;
  std::error_code ec;
  cfg.config_path = fs::absolute(path, ec);  // fails only for an empty path or no cwd
  if (ec) cfg.config_path = path;
  cfg.dir = cfg.config_path.parent_path();
  EP_RETURN_IF_ERROR(ParseYamlText(
      text, file, cfg.dir, [&](const ConfigReader& root) { return ParseRoot(root, file, cfg); }));
  return cfg;
}

ConfigCheck CheckConfig(const std::string& text, const fs::path& path) {
  RegisterComponents();
  const std::string file = path.filename().empty() ? kConfigFileName : path.filename().string();
  ConfigCheck check;
  PipelineConfig cfg;
  std::error_code ec;
  cfg.config_path = fs::absolute(path, ec);
  if (ec) cfg.config_path = path;
  cfg.dir = cfg.config_path.parent_path();
  Status s = ParseYamlText(text, file, cfg.dir, [&](const ConfigReader& root) {
    return ParseRoot(root, file, cfg, &check.errors);
  });
  if (!s.ok()) check.errors.push_back(std::move(s));
  cfg.text = text;
  if (check.errors.empty()) check.config = std::move(cfg);
  return check;
}

Result<PipelineConfig> LoadConfig(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot read configuration file " + path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  EP_ASSIGN_OR_RETURN(PipelineConfig config, ParseConfig(ss.str(), path));
  config.text = ss.str();
  return config;
}

Result<fs::path> FindConfig(const std::string& explicit_path) {
  if (!explicit_path.empty()) {
    if (!fs::exists(explicit_path))
      return Status::NotFound("configuration file " + explicit_path + " does not exist");
    return fs::path(explicit_path);
  }
  if (fs::exists(kConfigFileName)) return fs::path(kConfigFileName);
  return Status::NotFound(std::string("no ") + kConfigFileName +
                          " in this folder: run `ecompipe init` to create a pipeline here, or "
                          "pass -c FILE");
}

std::string DefaultConfigText() { return kDefaultConfigYaml; }

}  // namespace ecompipe::runtime
