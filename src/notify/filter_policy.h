// SNS subscription filter policies, applied to the fields of an event's `detail`.
//
// An SNS filter policy (message-body scope) has the same shape and operators as an EventBridge
// pattern: arrays of allowed values, `anything-but`, `prefix`, `suffix`, `numeric`, `exists`,
// `equals-ignore-case`, `cidr`, `$or`, nested objects; `exists` tests leaf values in both. So
// a policy is translated to the pattern {"detail": policy} and matched by events::EventPattern,
// not by a second matcher. Message-attribute policies do not apply: events carry none.
#pragma once

#include "common/json.h"
#include "common/status.h"
#include "events/event_pattern.h"

namespace ecompipe::notify {

// The EventBridge pattern equivalent to `policy` over the event's detail. kInvalidArgument
// when `policy` is not a non-empty JSON object; errors from the pattern parser otherwise.
Result<Json> FilterPolicyToPatternJson(const Json& policy);
Result<events::EventPattern> ParseFilterPolicy(const Json& policy);

}  // namespace ecompipe::notify
