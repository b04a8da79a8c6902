// The strict reader every component parses its part of ecompipe.yaml with.
//
// A ConfigReader wraps one YAML node (a section, a list item) with the file name and the
// node's path in the file ("topics[0].subscriptions[1]"), so that an error names the file,
// the line and the key: "ecompipe.yaml:14: unknown key 'warehose' (did you mean
// 'warehouse'?)". Keys the parser did not ask for are refused (CheckKeys), values of the wrong
// type or out of bounds are refused with the key's line, and relative paths are resolved
// against the folder that holds the file (dir()).
//
// A reader may wrap an absent or null node (a section left out): every key is then absent,
// so a component's parser run over it yields its defaults.
//
// YAML errors inside yaml-cpp (a bad node access) are exceptions; ParseYamlText() turns them
// into a Status with the line, so parsers run under it may call node accessors freely.
// Thread-safety: a reader is a value; concurrent reads of one parsed tree are not safe
// (yaml-cpp's nodes share mutable state).
#pragma once

#include <yaml-cpp/yaml.h>

#include <concepts>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/json.h"
#include "common/status.h"

namespace ecompipe {

// "500ms", "90s", "15m", "24h", "7d" or a plain number of seconds, as milliseconds; nullopt
// unless positive and at most a year.
std::optional<int64_t> ParseDurationMs(const std::string& text);

class ConfigReader {
 public:
  // `path` is the node's place in the file ("" for the root); `dir` resolves relative paths.
  // A YAML::Node is a handle (yaml-cpp has no move constructor for it): copying one is cheap
  // and shares the node.
  ConfigReader(const YAML::Node& node, std::string file, std::string path,
               std::filesystem::path dir = {})
      : node_(node.IsDefined() ? node : YAML::Node(YAML::NodeType::Undefined)),
        file_(std::move(file)),
        path_(std::move(path)),
        dir_(std::move(dir)) {}

  // An error placed at `at`'s line, or at this node's when `at` is a key that is absent
  // (whose Mark() would throw).
  Status Error(const YAML::Node& at, const std::string& what) const;
  Status Error(const std::string& what) const { return Error(node_, what); }
  // An error placed at a 0-based line of the file.
  Status ErrorAtLine(int line, const std::string& what) const;
  // "path.key", or "key" at the root.
  std::string Path(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

  // Fails unless the node is a mapping (an absent or null node passes: a section left out).
  Status ExpectMap() const;
  // Fails on a key given twice (YAML keeps both; lookups would silently take the first) and
  // on keys not in `allowed`, suggesting the closest one.
  Status CheckKeys(const std::vector<std::string>& allowed) const;
  // Fails when `key` is given at all: it does not apply here, and `why` says what does.
  Status Forbid(const std::string& key, const std::string& why) const;

  // Whether `key` is given with a value (null counts as absent).
  bool Has(const std::string& key) const;
  YAML::Node Node(const std::string& key) const;

  // Each reader below leaves `out` as it is when `key` is absent.
  Status String(const std::string& key, std::string& out, bool required = false) const;
  // A file or folder path: a string that is not empty when given.
  Status PathString(const std::string& key, std::string& out, bool required = false) const;
  Status Int(const std::string& key, int64_t& out, int64_t min, int64_t max) const;
  template <std::integral T>
  requires(!std::same_as<T, int64_t> && !std::same_as<T, bool>) Status
      Int(const std::string& key, T& out, int64_t min, int64_t max)
  const {
    int64_t v = static_cast<int64_t>(out);
    EP_RETURN_IF_ERROR(Int(key, v, min, max));
    out = static_cast<T>(v);
    return Status::Ok();
  }
  Status Bool(const std::string& key, bool& out) const;
  // A duration like 500ms, 90s, 30m, 24h or 7d (a plain number is seconds), in milliseconds.
  Status Duration(const std::string& key, int64_t& out_ms) const;

  // A list under `key` whose items are read by `item(reader_of_item, node, value)`; absent
  // keeps `out`, given replaces it.
  template <typename T, typename ItemFn>
  Status List(const std::string& key, std::vector<T>& out, ItemFn&& item) const {
    if (!Has(key)) return Status::Ok();
    const YAML::Node list = Node(key);
    if (!list.IsSequence()) return Error(list, "'" + Path(key) + "' must be a list");
    out.clear();
    const ConfigReader lr = Child(key);
    for (size_t i = 0; i < list.size(); ++i) {
      T value;
      EP_RETURN_IF_ERROR(item(lr.Item(list[i], i), list[i], value));
      out.push_back(std::move(value));
    }
    return Status::Ok();
  }

  ConfigReader Child(const std::string& key) const {
    return ConfigReader(Node(key), file_, Path(key), dir_);
  }
  ConfigReader Item(const YAML::Node& n, size_t index) const {
    return ConfigReader(n, file_, path_ + "[" + std::to_string(index) + "]", dir_);
  }

  const YAML::Node& node() const { return node_; }
  const std::string& file() const { return file_; }
  const std::string& path() const { return path_; }
  const std::filesystem::path& dir() const { return dir_; }
  // `p` as given when absolute, else beneath dir().
  std::filesystem::path Resolve(const std::string& p) const;

  static std::string Join(const std::vector<std::string>& v);

 private:
  // Whether the node holds nothing (a section left out, or given as null). An absent key's
  // node from yaml-cpp throws on most calls; the constructor swaps it for an Undefined one.
  bool Empty() const { return !node_.IsDefined() || node_.IsNull(); }

  YAML::Node node_;
  std::string file_;
  std::string path_;
  std::filesystem::path dir_;
};

// The 0-based line of every place inside a YAML node, named the way components name places in
// their own errors ("pattern.detail.key[0]"): `root` for the node, "<place>.<key>" for a
// mapping's values and "<place>[i]" for a list's items. With `named_items`, a list's item is
// also "<place>.<name>" when it is the scalar `name` or a mapping with the key `name` (the first
// such item). Built with the node in hand, so an error found later, on the parsed value, names
// the line its place was written on.
class PlaceLines {
 public:
  PlaceLines() = default;
  PlaceLines(const YAML::Node& node, const std::string& root, bool named_items);

  void Add(const std::string& place, const YAML::Node& node);
  // The line of `place`, else of the nearest enclosing place that has one ("a.b[2].c" tries
  // "a.b[2]", then "a.b", then "a"); nullopt when none has.
  std::optional<int> LineOf(std::string place) const;

 private:
  void Walk(const YAML::Node& node, const std::string& place, bool named_items, int depth);
  std::map<std::string, int> lines_;
};

// YAML -> JSON, for values that are JSON in the end (event patterns, filter policies).
// Quoted (and !!str) scalars stay strings; plain scalars become null, booleans or numbers when
// they read as such in YAML 1.2's core schema and in JSON (null/Null/NULL/~, true/True/TRUE,
// false/False/FALSE, JSON numbers, which keep the text as written: 300 is an integer, 300.0 a
// fraction), and strings otherwise. Errors (a non-string field name, a repeated field, nesting
// deeper than `max_depth`) name `what` and the line. When `lines` is given, the line of every
// place is recorded in it, `place` naming `n`.
Status YamlToJson(const ConfigReader& r, const YAML::Node& n, const std::string& what,
                  int max_depth, Json& out, PlaceLines* lines = nullptr,
                  const std::string& place = "");

// The most values (scalars, lists and mappings, keys included) a configuration document may
// hold with its aliases expanded, and the deepest nesting: the default ecompipe.yaml has about
// 400 values and 8 levels.
inline constexpr int64_t kMaxConfigNodes = 100'000;
inline constexpr int kMaxConfigDepth = 200;

// Parses YAML `text` and runs `parse` over its root: a YAML syntax error is "invalid YAML: …"
// at its line, and a yaml-cpp exception thrown inside `parse` becomes an error at its line, both
// in `file`. A document over kMaxConfigNodes or kMaxConfigDepth with its aliases expanded is
// refused before `parse` runs. `dir` resolves relative paths.
Status ParseYamlText(const std::string& text, const std::string& file,
                     const std::filesystem::path& dir,
                     const std::function<Status(const ConfigReader& root)>& parse);

}  // namespace ecompipe
