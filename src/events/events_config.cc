#include "events/events_config.h"

#include <algorithm>
#include <optional>
#include <set>

namespace ecompipe::events {

Result<EventPattern> ParseEventPattern(const ConfigReader& r, const YAML::Node& n,
                                       const std::string& what) {
  Json pattern;
  PlaceLines lines;  // where each place of the pattern was written, for EventPattern's errors
  if (n.IsScalar()) {
    Result<Json> parsed = ParseJson(n.Scalar());
    if (!parsed.ok()) return r.Error(n, what + ": " + parsed.status().message());
    pattern = std::move(*parsed);
  } else {
    EP_RETURN_IF_ERROR(YamlToJson(r, n, what, EventPattern::kMaxDepth, pattern, &lines, "pattern"));
  }
  Result<EventPattern> p = EventPattern::Parse(pattern);
  if (!p.ok()) {
    std::string_view place = p.status().place();
    std::string_view inside = place.substr(0, 7) == "pattern" ? place.substr(7) : place;
    if (!inside.empty() && inside[0] == '.') inside.remove_prefix(1);
    std::string where = inside.empty() ? "" : " at '" + std::string(inside) + "'";
    const std::string message = what + where + ": " + p.status().message();
    std::optional<int> line = n.IsScalar() ? std::nullopt : lines.LineOf(std::string(place));
    return line ? r.ErrorAtLine(*line, message) : r.Error(n, message);
  }
  return p;
}

Status ParseRetryPolicy(const ConfigReader& root, RetryPolicy& out) {
  if (!root.Has("retry")) return Status::Ok();
  ConfigReader s = root.Child("retry");
  EP_RETURN_IF_ERROR(s.ExpectMap());
  EP_RETURN_IF_ERROR(s.CheckKeys({"max_attempts", "base_delay_ms", "max_delay_ms"}));
  EP_RETURN_IF_ERROR(s.Int("max_attempts", out.max_attempts, 1, 1000));
  EP_RETURN_IF_ERROR(s.Int("base_delay_ms", out.base_delay_ms, 1, 3600000));
  EP_RETURN_IF_ERROR(s.Int("max_delay_ms", out.max_delay_ms, 1, 86400000));
  return Status::Ok();
}

Status ParseRules(const ConfigReader& root, const std::vector<TargetKind>& kinds,
                  const TargetCheck& check, std::vector<Rule>& rules) {
  std::vector<std::string> types;
  types.reserve(kinds.size());
  for (const TargetKind& k : kinds) types.emplace_back(TargetTypeName(k.type));
  const YAML::Node list = root.Node("rules");
  if (!list.IsDefined() || list.IsNull()) return Status::Ok();
  if (!list.IsSequence()) return root.Error(list, "'rules' must be a list");
  std::set<std::string> names;
  for (size_t i = 0; i < list.size(); ++i) {
    ConfigReader r = root.Child("rules").Item(list[i], i);
    EP_RETURN_IF_ERROR(r.ExpectMap());
    EP_RETURN_IF_ERROR(r.CheckKeys({"name", "pattern", "targets"}));
    std::string name;
    EP_RETURN_IF_ERROR(r.String("name", name, true));
    if (!names.insert(name).second)
      return r.Error(r.Node("name"), "duplicate rule name '" + name + "'");
    if (!r.Has("pattern")) return r.Error("rule '" + name + "': missing required key 'pattern'");
    EP_ASSIGN_OR_RETURN(EventPattern pattern,
                        ParseEventPattern(r, r.Node("pattern"), "rule '" + name + "' pattern"));
    Rule rule{name, std::move(pattern), {}};
    YAML::Node targets = r.Node("targets");
    // IsSequence() of an absent key throws; check that it is there first.
    if (!r.Has("targets") || !targets.IsSequence() || targets.size() == 0)
      return r.Error(r.Has("targets") ? targets : r.node(),
                     "rule '" + name + "': 'targets' must be a non-empty list");
    for (size_t t = 0; t < targets.size(); ++t) {
      ConfigReader tr = r.Child("targets").Item(targets[t], t);
      EP_RETURN_IF_ERROR(tr.ExpectMap());
      EP_RETURN_IF_ERROR(tr.CheckKeys({"type", "name", "url"}));
      std::string type_name;
      EP_RETURN_IF_ERROR(tr.String("type", type_name, true));
      const std::optional<TargetType> type = ParseTargetType(type_name);
      auto kind = std::find_if(kinds.begin(), kinds.end(),
                               [&](const TargetKind& k) { return type && k.type == *type; });
      if (kind == kinds.end())
        return tr.Error(tr.Node("type"), "rule '" + name + "': unknown target type '" + type_name +
                                             "' (allowed: " + ConfigReader::Join(types) + ")");
      Target target{*type, ""};
      if (kind->takes_url) {
        EP_RETURN_IF_ERROR(
            tr.Forbid("name", "does not apply to a webhook target, which posts to 'url'"));
        EP_RETURN_IF_ERROR(tr.String("url", target.name, true));
        if (target.name.rfind("http://", 0) != 0 && target.name.rfind("https://", 0) != 0)
          return tr.Error(tr.Node("url"),
                          "'" + tr.Path("url") + "' must start with http:// or https://");
      } else {
        EP_RETURN_IF_ERROR(tr.Forbid("url", "applies only to webhook targets"));
        EP_RETURN_IF_ERROR(tr.String("name", target.name, true));
      }
      if (const std::string missing = check ? check(target) : ""; !missing.empty())
        return tr.Error(tr.Node("name"), "rule '" + name + "': " + missing);
      rule.targets.push_back(std::move(target));
    }
    rules.push_back(std::move(rule));
  }
  return Status::Ok();
}

}  // namespace ecompipe::events
