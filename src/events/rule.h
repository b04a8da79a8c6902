// Rules route events to targets, as EventBridge rules do: an event that matches a rule's
// pattern is delivered to each of the rule's targets.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"
#include "events/event_pattern.h"

namespace ecompipe::events {

// What a delivery does; each type has one registered handler (runtime/rule_targets.h).
enum class TargetType {
  kStartCrawler,
  kStartJob,
  kPublish,
  kWebhook,
  kUpsertDimension,
  kReplayRejects,
};
// "start_crawler", "start_job", "publish", "webhook", "upsert_dimension", "replay_rejects": the
// spelling in the
// configuration's `type:` and in the event log's target_type column.
std::string_view TargetTypeName(TargetType type);
std::optional<TargetType> ParseTargetType(std::string_view name);  // exact; nullopt otherwise

// `name` is the crawler, job, topic or dimension the target acts on, or the URL for a webhook.
struct Target {
  TargetType type = TargetType::kPublish;
  std::string name;
};

struct Rule {
  std::string name;
  EventPattern pattern;
  std::vector<Target> targets;
};

}  // namespace ecompipe::events
