// Rules route events to targets, as EventBridge rules do: an event that matches a rule's
// pattern is delivered to each of the rule's targets.
#pragma once

#include <string>
#include <vector>

#include "common/json.h"
#include "events/event_pattern.h"

namespace ecompipe::events {

// What a delivery does. `type` names a registered target handler: "start_crawler",
// "start_job", "publish", "webhook", "upsert_dimension". `name` is the crawler, job, topic or
// dimension it acts on, or the URL for a webhook.
struct Target {
  std::string type;
  std::string name;
};

struct Rule {
  std::string name;
  EventPattern pattern;
  std::vector<Target> targets;
};

}  // namespace ecompipe::events
