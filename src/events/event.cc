#include "events/event.h"

#include "common/enum_names.h"
#include "common/ids.h"
#include "common/time_util.h"

namespace ecompipe::events {
namespace {

constexpr EnumNames<RunState, 6> kRunStateNames{{{
    {RunState::kStarting, "STARTING"},
    {RunState::kRunning, "RUNNING"},
    {RunState::kSucceeded, "SUCCEEDED"},
    {RunState::kFailed, "FAILED"},
    {RunState::kStopped, "STOPPED"},
    {RunState::kTimeout, "TIMEOUT"},
}}};

}  // namespace

std::string_view RunStateName(RunState state) { return kRunStateNames.Name(state); }
std::optional<RunState> ParseRunState(std::string_view name) { return kRunStateNames.Parse(name); }

Json MakeEvent(const Origin& origin, const std::string& source, const std::string& detail_type,
               Json resources, Json detail) {
  Json e = Json::object();
  e["version"] = "0";
  e["id"] = NewUuid();
  e["detail-type"] = detail_type;
  e["source"] = source;
  e["account"] = origin.account;
  e["time"] = FormatIsoSeconds(NowMillis());
  e["region"] = origin.region;
  e["resources"] = resources.is_array() ? std::move(resources) : Json::array();
  e["detail"] = std::move(detail);
  return e;
}

Json ObjectCreatedEvent(const Origin& origin, const std::string& bucket, const std::string& key,
                        uint64_t size, const std::string& etag, const std::string& reason,
                        const std::string& sequencer) {
  Json detail = {
      {"version", "0"},
      {"bucket", {{"name", bucket}}},
      {"object", {{"key", key}, {"size", size}, {"etag", etag}, {"sequencer", sequencer}}},
      {"request-id", NewHex(8)},
      {"requester", origin.account},
      {"source-ip-address", "127.0.0.1"},
      {"reason", reason},
  };
  return MakeEvent(origin, kS3Source, kObjectCreated, Json::array({"arn:aws:s3:::" + bucket}),
                   std::move(detail));
}

}  // namespace ecompipe::events
