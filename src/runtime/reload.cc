#include "runtime/reload.h"

#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

#include "runtime/service_manager.h"

namespace ecompipe::runtime {

const std::vector<std::string>& ReloadRestartSections() {
  static const std::vector<std::string> sections = {"pipeline", "storage",     "state", "warehouse",
                                                    "retry",    "s3_endpoint", "log"};
  return sections;
}

namespace {

// A section left out, given as null or as an empty mapping: the defaults, all the same.
bool Absent(const YAML::Node& n) {
  return !n.IsDefined() || n.IsNull() || (n.IsMap() && n.size() == 0);
}

// The same YAML value whatever the style (flow or block), comments and key order.
bool SameYaml(const YAML::Node& a, const YAML::Node& b) {
  if (Absent(a) || Absent(b)) return Absent(a) && Absent(b);
  if (a.Type() != b.Type()) return false;
  if (a.IsScalar()) return a.Scalar() == b.Scalar();
  if (a.size() != b.size()) return false;
  if (a.IsSequence()) {
    for (size_t i = 0; i < a.size(); ++i)
      if (!SameYaml(a[i], b[i])) return false;
    return true;
  }
  for (const auto& entry : a) {
    if (!entry.first.IsScalar()) return false;
    if (!SameYaml(entry.second, b[entry.first.Scalar()])) return false;
  }
  return true;
}

}  // namespace

std::vector<std::string> ChangedSections(const std::string& before, const std::string& after,
                                         const std::vector<std::string>& sections) {
  YAML::Node a, b;
  try {
    a = YAML::Load(before);
    b = YAML::Load(after);
  } catch (const YAML::Exception&) {
    return sections;
  }
  std::vector<std::string> changed;
  for (const std::string& s : sections) {
    const YAML::Node x = a.IsMap() ? a[s] : YAML::Node();
    const YAML::Node y = b.IsMap() ? b[s] : YAML::Node();
    if (!SameYaml(x, y)) changed.push_back(s);
  }
  return changed;
}

void ReloadConfiguration(Pipeline& p, const ReloadListener& also) {
  NotifyReloading();
  const std::filesystem::path& path = p.config().config_path;
  spdlog::info("Reloading the configuration. file={}", path.string());
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  ConfigCheck check;
  if (!in) {
    check.errors.push_back(Status::NotFound("cannot read configuration file " + path.string()));
  } else {
    check = CheckConfig(text.str(), path);
  }
  Status applied = Status::Ok();
  if (check.config) applied = p.Reload(*check.config);
  if (applied.ok() && check.config && also) applied = also(*check.config);
  if (!applied.ok()) check.errors.push_back(applied);
  if (!check.errors.empty()) {
    for (const Status& e : check.errors)
      spdlog::error("Configuration not reloaded; the running one stays. error={}", e.ToString());
    NotifyReady("Serving " + p.store().where() + " (the last reload was refused)");
    return;
  }
  const std::vector<std::string> changed =
      ChangedSections(p.config().text, text.str(), ReloadRestartSections());
  for (const std::string& section : changed)
    spdlog::warn(
        "Configuration section changed; it takes effect after a restart, the running one stays. "
        "section={}",
        section);
  spdlog::info("Configuration reloaded. rules={} crawlers={} jobs={} topics={}",
               p.config().rules.size(), p.config().crawlers.size(), p.config().jobs.size(),
               p.config().topics.size());
  NotifyReady("Serving " + p.store().where());
}

}  // namespace ecompipe::runtime
