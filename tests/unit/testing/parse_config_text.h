// Runs one component's configuration parser over YAML text, as ParseConfig runs it over
// ecompipe.yaml: the file is named ecompipe.yaml and sits in /srv/shop (relative paths resolve
// there), and errors read "ecompipe.yaml:LINE: message".
#pragma once

#include <functional>
#include <string>

#include "common/config_reader.h"
#include "common/status.h"

namespace ecompipe::testing_util {

// `parse(root, out)` over the root mapping of `text`.
template <typename T>
Result<T> ParseConfigText(const std::string& text,
                          const std::function<Status(const ConfigReader& root, T& out)>& parse) {
  T out{};
  Status s = ParseYamlText(text, "ecompipe.yaml", "/srv/shop",
                           [&](const ConfigReader& root) { return parse(root, out); });
  if (!s.ok()) return s;
  return out;
}

// The error of a parse as the user reads it, or "OK".
template <typename T>
std::string ConfigErrorOf(const std::string& text,
                          const std::function<Status(const ConfigReader& root, T& out)>& parse) {
  Result<T> r = ParseConfigText<T>(text, parse);
  return r.ok() ? "OK" : r.status().ToString();
}

}  // namespace ecompipe::testing_util
