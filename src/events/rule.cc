#include "events/rule.h"

#include "common/enum_names.h"

namespace ecompipe::events {
namespace {

constexpr EnumNames<TargetType, 6> kTargetTypeNames{{{
    {TargetType::kStartCrawler, "start_crawler"},
    {TargetType::kStartJob, "start_job"},
    {TargetType::kPublish, "publish"},
    {TargetType::kWebhook, "webhook"},
    {TargetType::kUpsertDimension, "upsert_dimension"},
    {TargetType::kReplayRejects, "replay_rejects"},
}}};

}  // namespace

std::string_view TargetTypeName(TargetType type) { return kTargetTypeNames.Name(type); }
std::optional<TargetType> ParseTargetType(std::string_view name) {
  return kTargetTypeNames.Parse(name);
}

}  // namespace ecompipe::events
