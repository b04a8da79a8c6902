#include "runtime/rule_targets.h"

#include <algorithm>
#include <optional>
#include <span>
#include <utility>

#include "common/redact.h"
#include "model/dimension.h"
#include "notify/http_post.h"
#include "notify/notifier.h"
#include "runtime/config.h"
#include "runtime/crawl_step.h"
#include "runtime/dimension_loader.h"
#include "runtime/job_runner.h"
#include "runtime/object_reload.h"
#include "runtime/reject_replay.h"

namespace ecompipe::runtime {
namespace {

using events::Delivery;
using events::TargetType;

void Register(RuleTargetFactory& factory, RuleTargetType entry) {
  std::string name(events::TargetTypeName(entry.type));
  factory.Register(std::move(name), std::move(entry));
}

// The URL a webhook delivery posts to. Deliveries store the URL redacted (common/redact.h), so
// the configured one is found by the delivery's rule; a URL with no secrets is used as stored
// even when its rule is gone.
Result<std::string> WebhookUrl(const PipelineConfig& config, const Delivery& d) {
  for (const events::Rule& rule : config.rules) {
    if (rule.name != d.rule) continue;
    for (const events::Target& t : rule.targets)
      if (t.type == TargetType::kWebhook && RedactUrl(t.name) == d.target.name) return t.name;
  }
  if (d.target.name.find(kRedacted) == std::string::npos) return d.target.name;
  return Status::InvalidArgument("rule '" + d.rule + "' no longer has the webhook target " +
                                 d.target.name + ", and its URL's secrets were not stored");
}

}  // namespace

void RegisterStartCrawlerTarget(RuleTargetFactory& factory) {
  Register(factory,
           {.type = TargetType::kStartCrawler,
            .missing = [](const PipelineConfig& cfg, const std::string& name) -> std::string {
              return cfg.HasCrawler(name) ? "" : "no crawler named '" + name + "' (see 'crawlers')";
            },
            .handler = [](const TargetServices& s) -> events::TargetHandler {
              return {false, [&crawl = s.crawl](std::span<const Delivery> ds) {
                        return crawl.Crawl(ds.front());
                      }};
            }});
}

void RegisterStartJobTarget(RuleTargetFactory& factory) {
  Register(factory,
           {.type = TargetType::kStartJob,
            .missing = [](const PipelineConfig& cfg, const std::string& name) -> std::string {
              return cfg.FindJob(name) ? "" : "no job named '" + name + "' (see 'jobs')";
            },
            .handler = [](const TargetServices& s) -> events::TargetHandler {
              return {true, [s](std::span<const Delivery> ds) -> Status {
                        const JobConfig* job = s.config.FindJob(ds.front().target.name);
                        if (!job)
                          return Status::InvalidArgument("no job named '" + ds.front().target.name +
                                                         "'");
                        Result<std::optional<RunRecord>> run =
                            s.jobs.Run(*job, static_cast<int>(ds.size()), s.stop());
                        if (!run.ok()) return run.status();
                        if (*run && (*run)->state == RunState::kStopped)
                          return Status::Cancelled("run stopped");
                        return Status::Ok();
                      }};
            }});
}

void RegisterPublishTarget(RuleTargetFactory& factory) {
  Register(factory,
           {.type = TargetType::kPublish,
            .missing = [](const PipelineConfig& cfg, const std::string& name) -> std::string {
              const bool known =
                  std::any_of(cfg.topics.begin(), cfg.topics.end(),
                              [&](const notify::Topic& t) { return t.name == name; });
              return known ? "" : "no topic named '" + name + "' (see 'topics')";
            },
            .handler = [](const TargetServices& s) -> events::TargetHandler {
              return {false, [&notifier = s.notifier](std::span<const Delivery> ds) {
                        return notifier.Publish(ds.front().target.name, ds.front().event);
                      }};
            }});
}

void RegisterWebhookTarget(RuleTargetFactory& factory) {
  Register(factory,
           {.type = TargetType::kWebhook,
            .takes_url = true,
            .missing = [](const PipelineConfig&, const std::string&) { return std::string(); },
            .handler = [](const TargetServices& s) -> events::TargetHandler {
              return {false, [config = &s.config](std::span<const Delivery> ds) -> Status {
                        const Delivery& d = ds.front();
                        EP_ASSIGN_OR_RETURN(std::string url, WebhookUrl(*config, d));
                        return notify::HttpPost(url, d.event.dump(),
                                                {{"Content-Type", "application/json"},
                                                 {"X-Ecompipe-Delivery", std::to_string(d.id)},
                                                 {"X-Ecompipe-Rule", d.rule}})
                            .status();
                      }};
            }});
}

void RegisterUpsertDimensionTarget(RuleTargetFactory& factory) {
  Register(factory, {.type = TargetType::kUpsertDimension,
                     .missing = [](const PipelineConfig&, const std::string& name) -> std::string {
                       return model::ParseDimension(name)
                                  ? ""
                                  : "upsert_dimension name must be 'products' or 'customers'";
                     },
                     .handler = [](const TargetServices& s) -> events::TargetHandler {
                       return {false, [&dimensions = s.dimensions](std::span<const Delivery> ds) {
                                 return dimensions.Upsert(ds.front());
                               }};
                     }});
}

void RegisterReplayRejectsTarget(RuleTargetFactory& factory) {
  Register(factory, {.type = TargetType::kReplayRejects,
                     .missing = [](const PipelineConfig&, const std::string& name) -> std::string {
                       return name.empty()
                                  ? "replay_rejects name must be a reject reason code, e.g. "
                                    "unknown_customer_id"
                                  : "";
                     },
                     .handler = [](const TargetServices& s) -> events::TargetHandler {
                       return {false, [s](std::span<const Delivery> ds) -> Status {
                                 ReplaySelection selection;
                                 selection.reasons = {ds.front().target.name};
                                 Result<ReplayOutcome> out = s.replay.Replay(selection, s.stop());
                                 if (!out.ok()) return out.status();
                                 if (out->stopped) return Status::Cancelled("replay stopped");
                                 Result<ReloadOutcome> retried = s.reloader.Retry({}, s.stop());
                                 if (!retried.ok()) return retried.status();
                                 if (retried->stopped) return Status::Cancelled("retry stopped");
                                 return Status::Ok();
                               }};
                     }});
}

}  // namespace ecompipe::runtime
