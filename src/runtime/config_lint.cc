#include "runtime/config_lint.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "common/did_you_mean.h"
#include "events/event.h"
#include "runtime/run_store.h"

namespace ecompipe::runtime {
namespace {

using Values = std::vector<std::string>;

// The plain string literals of pattern field `at`; nullopt when the field is absent or holds
// anything else (an operator, a number), which is not judged.
std::optional<Values> Literals(const Json& pattern, const std::vector<std::string>& at) {
  const Json* node = &pattern;
  for (const std::string& key : at) {
    if (!node->is_object() || !node->contains(key)) return std::nullopt;
    node = &(*node)[key];
  }
  if (!node->is_array() || node->empty()) return std::nullopt;
  Values out;
  for (const Json& v : *node) {
    if (!v.is_string()) return std::nullopt;
    out.push_back(v.get<std::string>());
  }
  return out;
}

std::string Quoted(const Values& values) {
  std::string out;
  for (size_t i = 0; i < values.size(); ++i)
    out += (i == 0 ? "" : i + 1 == values.size() ? " or " : ", ") + values[i];
  return out;
}

// The suggestion for `word` among `known`: the same letters in another case first (SUCCEEDED
// for Succeeded), else the nearest spelling.
std::string Suggest(const std::string& word, const Values& known) {
  for (const std::string& k : known) {
    if (k.size() == word.size() && std::equal(k.begin(), k.end(), word.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        }))
      return k;
  }
  return Closest(word, known);
}

// The line of rules[index] and, when present, of its pattern's field `at`.
int LineOf(const YAML::Node& rules, size_t index, const std::vector<std::string>& at) {
  if (!rules.IsSequence() || index >= rules.size()) return 0;
  YAML::Node node = rules[index];
  int line = node.Mark().line + 1;
  YAML::Node pattern = node["pattern"];
  if (!pattern.IsDefined()) return line;
  line = pattern.Mark().line + 1;
  for (const std::string& key : at) {
    if (!pattern.IsMap() || !pattern[key].IsDefined()) return line;
    pattern = pattern[key];
    line = pattern.Mark().line + 1;
  }
  return line;
}

}  // namespace

std::vector<ConfigWarning> RuleWarnings(const PipelineConfig& config, const std::string& text) {
  YAML::Node rules;
  try {
    rules = YAML::Load(text)["rules"];
  } catch (const YAML::Exception&) {
    // The text parsed once already; without lines the warnings still stand.
  }
  const Values sources = {events::kS3Source, events::kGlueSource, events::kWarehouseSource};
  const std::map<std::string, Values> types_of = {
      {events::kS3Source, {events::kObjectCreated, events::kObjectDeleted}},
      {events::kWarehouseSource, {events::kDimensionUpserted}},
      {events::kGlueSource, {events::kCrawlerStateChange, events::kJobStateChange}}};
  Values job_states;
  for (RunState s : {RunState::kStarting, RunState::kRunning, RunState::kSucceeded,
                     RunState::kFailed, RunState::kStopped, RunState::kTimeout})
    job_states.emplace_back(RunStateName(s));
  const std::map<std::string, Values> states_of = {
      {events::kCrawlerStateChange, {"Succeeded", "Failed"}},
      {events::kJobStateChange, job_states}};
  Values crawlers, jobs;
  for (const auto& c : config.crawlers) crawlers.push_back(c.name);
  for (const auto& j : config.jobs) jobs.push_back(j.name);

  std::vector<ConfigWarning> out;
  for (size_t i = 0; i < config.rules.size(); ++i) {
    const events::Rule& rule = config.rules[i];
    const Json& pattern = rule.pattern.source();
    // What a field may hold, given the rest of the pattern, and what the events are called.
    const auto check = [&](const std::vector<std::string>& at, const Values& known,
                           const std::string& what) {
      std::optional<Values> given = Literals(pattern, at);
      if (!given) return;
      Values unknown;
      for (const std::string& v : *given)
        if (std::find(known.begin(), known.end(), v) == known.end()) unknown.push_back(v);
      if (unknown.empty()) return;
      std::string field = "pattern";
      for (const std::string& key : at) field += "." + key;
      std::string message =
          "rule '" + rule.name + "' " +
          (unknown.size() == given->size() ? "can never match" : "partly never matches") + ": " +
          field + " lists '" + unknown.front() + "'" +
          (unknown.size() > 1 ? " (and " + std::to_string(unknown.size() - 1) + " more)" : "") +
          ", but " + what + " " + (known.empty() ? "none is configured" : Quoted(known));
      const std::string suggestion = Suggest(unknown.front(), known);
      if (!suggestion.empty()) message += " (did you mean '" + suggestion + "'?)";
      out.push_back({LineOf(rules, i, at), message});
    };
    check({"source"}, sources, "ecompipe's events have source");
    // The values `of` lists under the keys the rule's `by` field names (all of them when the
    // rule names none we know), sorted and each once.
    const auto values_under = [&](const std::map<std::string, Values>& of, const char* by) {
      Values out;
      std::optional<Values> named = Literals(pattern, {by});
      for (const auto& [key, its] : of) {
        if (!named || std::find(named->begin(), named->end(), key) != named->end())
          out.insert(out.end(), its.begin(), its.end());
      }
      std::sort(out.begin(), out.end());
      out.erase(std::unique(out.begin(), out.end()), out.end());
      return out;
    };
    const Values types = values_under(types_of, "source");
    if (!types.empty()) check({"detail-type"}, types, "those events' detail-type is");
    const Values states = values_under(states_of, "detail-type");
    if (!states.empty()) check({"detail", "state"}, states, "the state of those events is");
    check({"detail", "crawlerName"}, crawlers, "the crawlers are");
    check({"detail", "jobName"}, jobs, "the jobs are");
  }
  return out;
}

}  // namespace ecompipe::runtime
