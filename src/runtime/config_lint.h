// Warnings about a configuration that parses but cannot do what it says: rules whose pattern can
// never match an event ecompipe emits. A rule's pattern names values as literals (source,
// detail-type, detail.state, detail.crawlerName, detail.jobName); each such literal is compared
// with the values ecompipe's own events carry (the sources and detail-types of events/event.h,
// the crawler states Succeeded and Failed, the job states of runtime/run_store.h, the configured
// crawler and job names). A field whose literals are all unknown makes the rule unable to match;
// one unknown literal among known ones only never matches itself. Fields given with operators
// (prefix, anything-but, ...) are not judged. `ecompipe validate` prints these; serve does not
// refuse them (a rule for events another producer puts on the bus is legitimate).
#pragma once

#include <string>
#include <vector>

#include "runtime/config.h"

namespace ecompipe::runtime {

struct ConfigWarning {
  int line = 0;  // 1-based line in the configuration text; 0 when unknown
  std::string message;
};

// `text` is the configuration `config` was parsed from (for the lines of the rules).
std::vector<ConfigWarning> RuleWarnings(const PipelineConfig& config, const std::string& text);

}  // namespace ecompipe::runtime
