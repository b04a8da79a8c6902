// The rule target types: what a rule's target may name in the configuration and what a
// delivery to it does. Each type is an entry of RuleTargetFactory, registered from the one list
// (register_components.cc); the configuration's cross-references (a target names a crawler, a
// job or a topic that exists) and the event bus's handlers both come from the entries, so a
// new target type is one Register…Target() function and one line in that list.
//
// Thread-safety: as ComponentFactory's. A handler runs on the dispatching thread only.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "common/component_factory.h"
#include "events/event_bus.h"
#include "events/rule.h"

namespace ecompipe::notify {
class Notifier;
}

namespace ecompipe::runtime {

struct PipelineConfig;
class CrawlStep;
class JobRunner;
class DimensionLoader;
class RejectReplayer;
class ObjectReloader;

// What the handlers act through: the pipeline's parts, which outlive the bus and its handlers.
struct TargetServices {
  const PipelineConfig& config;
  CrawlStep& crawl;
  JobRunner& jobs;
  notify::Notifier& notifier;
  DimensionLoader& dimensions;
  RejectReplayer& replay;
  ObjectReloader& reloader;
  // The stop flag of the dispatch running now (a stopped job run leaves its delivery pending).
  std::function<const std::atomic<bool>&()> stop;
};

struct RuleTargetType {
  events::TargetType type;
  // A target that posts to a URL takes `url`; the others `name`, what they act on.
  bool takes_url = false;
  // What `name` refers to that `config` lacks ("no job named 'x' (see 'jobs')"), or "" when it
  // exists.
  std::function<std::string(const PipelineConfig& config, const std::string& name)> missing;
  // The bus's handler for deliveries of this type.
  std::function<events::TargetHandler(const TargetServices& services)> handler;
};

using RuleTargetFactory = ComponentFactory<RuleTargetType>;

// start_crawler: crawls the landed object (CrawlStep).
void RegisterStartCrawlerTarget(RuleTargetFactory& factory);
// start_job: runs the job (JobRunner); coalesced, so starts that arrive while the job runs
// become one follow-up run.
void RegisterStartJobTarget(RuleTargetFactory& factory);
// publish: to a topic (the notifier's durable outbox, then its subscribers).
void RegisterPublishTarget(RuleTargetFactory& factory);
// webhook: POSTs the event to a URL.
void RegisterWebhookTarget(RuleTargetFactory& factory);
// upsert_dimension: loads a dimension file landed in the bucket (DimensionLoader).
void RegisterUpsertDimensionTarget(RuleTargetFactory& factory);
// replay_rejects: replays the rejects of the reason `name` (RejectReplayer), e.g.
// unknown_customer_id once a customers file was upserted, then loads the objects that failed
// again (ObjectReloader::Retry): a late dimension is the fix both may have waited for.
void RegisterReplayRejectsTarget(RuleTargetFactory& factory);

}  // namespace ecompipe::runtime
