// Runs one component's configuration parser over YAML text, as ParseConfig runs it over
// ecompipe.yaml: the file is named ecompipe.yaml and sits in /srv/shop (relative paths resolve
// there), and errors read "ecompipe.yaml:LINE: message".
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

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

// What `parse` read from `text`, for a text that must parse: a failure fails the test (and gives
// T{}).
template <typename T>
T ParseConfigOrDie(const std::string& text,
                   const std::function<Status(const ConfigReader& root, T& out)>& parse) {
  Result<T> r = ParseConfigText<T>(text, parse);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : T{};
}

// The error of a text that must be refused, as the user reads it ("ecompipe.yaml:LINE: ...");
// a text that parses, or fails with another code than kInvalidArgument, fails the test.
template <typename T>
std::string ConfigRejection(const std::string& text,
                            const std::function<Status(const ConfigReader& root, T& out)>& parse) {
  Result<T> r = ParseConfigText<T>(text, parse);
  EXPECT_FALSE(r.ok()) << "parsed:\n" << text;
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
  return r.status().ToString();
}

// Runs `parse` over each item of the list `key` of `root` (absent: none), as the owner of such
// a list (runtime, for `crawlers` and `jobs`) does before its own checks.
template <typename T>
Status ParseEachItem(const ConfigReader& root, const std::string& key,
                     const std::function<Status(const ConfigReader& item, T& out)>& parse,
                     std::vector<T>& out) {
  const YAML::Node list = root.Node(key);
  if (!list.IsDefined() || list.IsNull()) return Status::Ok();
  if (!list.IsSequence()) return root.Error(list, "'" + key + "' must be a list");
  for (size_t i = 0; i < list.size(); ++i) {
    T item{};
    EP_RETURN_IF_ERROR(parse(root.Child(key).Item(list[i], i), item));
    out.push_back(std::move(item));
  }
  return Status::Ok();
}

}  // namespace ecompipe::testing_util
