#include "notify/filter_policy.h"

namespace ecompipe::notify {

Result<Json> FilterPolicyToPatternJson(const Json& policy) {
  if (!policy.is_object() || policy.empty())
    return Status::InvalidArgument("a filter policy must be a non-empty JSON object");
  // SNS forbids a top-level scalar as EventBridge does; the pattern parser reports both.
  return Json{{"detail", policy}};
}

Result<events::EventPattern> ParseFilterPolicy(const Json& policy) {
  EP_ASSIGN_OR_RETURN(Json pattern, FilterPolicyToPatternJson(policy));
  return events::EventPattern::Parse(pattern);
}

}  // namespace ecompipe::notify
