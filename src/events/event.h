// Event envelopes in EventBridge's format, and the events ecompipe emits.
//
// Every event is a JSON object with version, id, detail-type, source, account, time, region,
// resources and detail, as EventBridge's own envelope. ecompipe's sources
// mirror AWS's with the "aws." prefix swapped for "ecompipe.", and detail-types and detail
// fields mirror AWS's own, so a user's AWS patterns port with only `source` changed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/json.h"

namespace ecompipe::events {

inline constexpr const char* kS3Source = "ecompipe.s3";      // aws.s3
inline constexpr const char* kGlueSource = "ecompipe.glue";  // aws.glue

inline constexpr const char* kObjectCreated = "Object Created";
inline constexpr const char* kObjectDeleted = "Object Deleted";
// A dimension file was upserted (no AWS counterpart): detail {dimension, key, rows}.
inline constexpr const char* kWarehouseSource = "ecompipe.warehouse";
inline constexpr const char* kDimensionUpserted = "Dimension Upserted";
inline constexpr const char* kCrawlerStateChange = "Glue Crawler State Change";
inline constexpr const char* kJobStateChange = "Glue Job State Change";

// A job run's state, by Glue's names: the `state` of a Glue Job State Change event's detail,
// and what the runs table and `ecompipe runs` write. STARTING and RUNNING are unfinished; the
// others are final.
enum class RunState { kStarting, kRunning, kSucceeded, kFailed, kStopped, kTimeout };
std::string_view RunStateName(RunState state);  // "STARTING", "RUNNING", "SUCCEEDED", ...
std::optional<RunState> ParseRunState(std::string_view name);  // exact; nullopt otherwise

// Where events say they come from (EventBridge's account and region fields).
struct Origin {
  std::string account = "000000000000";
  std::string region = "local";
};

// A new envelope with a fresh UUID and the current time.
Json MakeEvent(const Origin& origin, const std::string& source, const std::string& detail_type,
               Json resources, Json detail);

// S3's EventBridge "Object Created" event, field for field. `reason` is "PutObject",
// "CompleteMultipartUpload", ...; `sequencer` orders events for one key.
Json ObjectCreatedEvent(const Origin& origin, const std::string& bucket, const std::string& key,
                        uint64_t size, const std::string& etag, const std::string& reason,
                        const std::string& sequencer);

}  // namespace ecompipe::events
