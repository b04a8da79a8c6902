// The events component's part of ecompipe.yaml: `rules` (EventBridge patterns and their
// targets), `retry` (the delivery retry policy), and event patterns wherever another component
// takes one (a subscription's `filter`).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/config_reader.h"
#include "common/status.h"
#include "events/event_bus.h"
#include "events/event_pattern.h"
#include "events/rule.h"

namespace ecompipe::events {

// A pattern given as YAML or as a JSON string. Errors name `what` ("rule 'r' pattern"), the
// line of the offending value and, after "at", its path inside the pattern.
Result<EventPattern> ParseEventPattern(const ConfigReader& r, const YAML::Node& n,
                                       const std::string& what);

// Reads `retry` of `root` (absent: the defaults).
Status ParseRetryPolicy(const ConfigReader& root, RetryPolicy& out);

// What a target names that does not exist ("no job named 'x' (see 'jobs')"), or "" when it
// does: the configuration's cross-references, checked by its owner.
using TargetCheck = std::function<std::string(const Target& target)>;

// A target type rules may name: one that posts to a URL (webhook) takes `url`, the others
// `name` (what they act on).
struct TargetKind {
  TargetType type;
  bool takes_url = false;
};

// Reads the list `rules` of `root` (absent: none). Rule names are unique; each target's type
// must be one of `kinds` (listed in that order when it is not); `check` confirms what a
// target names.
Status ParseRules(const ConfigReader& root, const std::vector<TargetKind>& kinds,
                  const TargetCheck& check, std::vector<Rule>& rules);

}  // namespace ecompipe::events
