// `topics:` in ecompipe.yaml: each topic's subscriptions, their filters, retries and rate
// limits. A subscription's own keys are read by its SubscriberType (subscriber.h), found in
// the SubscriberFactory by `type`.
#pragma once

#include <vector>

#include "common/config_reader.h"
#include "common/status.h"
#include "notify/notifier.h"
#include "notify/subscriber.h"

namespace ecompipe::notify {

// Reads the list `topics` of `root` (absent: none). Topic names, and subscription names within
// a topic, must be unique.
Status ParseTopics(const ConfigReader& root, const SubscriberFactory& factory,
                   std::vector<Topic>& topics);

}  // namespace ecompipe::notify
