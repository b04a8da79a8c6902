#include "common/config_reader.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "common/did_you_mean.h"

namespace ecompipe {

std::optional<int64_t> ParseDurationMs(const std::string& text) {
  if (text.empty()) return std::nullopt;
  int64_t unit = 1000;
  std::string digits = text;
  if (text.size() > 2 && text.ends_with("ms")) {
    unit = 1;
    digits.resize(digits.size() - 2);
  } else
    switch (text.back()) {
      case 's':
        unit = 1000;
        digits.pop_back();
        break;
      case 'm':
        unit = 60 * 1000;
        digits.pop_back();
        break;
      case 'h':
        unit = 3600 * 1000;
        digits.pop_back();
        break;
      case 'd':
        unit = 24 * 3600 * 1000LL;
        digits.pop_back();
        break;
      default:
        break;
    }
  // The bound is on the duration, not on the number: "202490h" is 23 years. Numbers past a year
  // of milliseconds are refused before multiplying, so the product cannot overflow.
  constexpr int64_t kYearMs = 365LL * 24 * 3600 * 1000;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || end != digits.data() + digits.size() || v <= 0 || v > kYearMs ||
      v * unit > kYearMs)
    return std::nullopt;
  return v * unit;
}

Status ConfigReader::Error(const YAML::Node& at, const std::string& what) const {
  const YAML::Node& where = at.IsDefined() ? at : node_;
  return ErrorAtLine(where.Mark().line, what);
}

Status ConfigReader::ErrorAtLine(int line, const std::string& what) const {
  return Status::InvalidArgument(what).At(file_ + ":" + std::to_string(line + 1));
}

Status ConfigReader::ExpectMap() const {
  if (!Empty() && !node_.IsMap())
    return Error("'" + (path_.empty() ? "the file" : path_) + "' must be a mapping");
  return Status::Ok();
}

Status ConfigReader::CheckKeys(const std::vector<std::string>& allowed) const {
  if (!node_.IsMap()) return Status::Ok();
  std::map<std::string, int> seen;  // key -> line
  for (const auto& kv : node_) {
    std::string key = kv.first.as<std::string>();
    auto [first, fresh] = seen.emplace(key, kv.first.Mark().line + 1);
    if (!fresh)
      return Error(kv.first, "duplicate key '" + Path(key) + "' (first given on line " +
                                 std::to_string(first->second) + ")");
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string best;
    size_t best_d = 3;
    for (const auto& a : allowed) {
      size_t d = EditDistance(key, a);
      if (d < best_d) best_d = d, best = a;
    }
    std::string msg = "unknown key '" + Path(key) + "'";
    msg += best.empty() ? " (allowed: " + Join(allowed) + ")" : " (did you mean '" + best + "'?)";
    return Error(kv.first, msg);
  }
  return Status::Ok();
}

Status ConfigReader::Forbid(const std::string& key, const std::string& why) const {
  if (!node_.IsMap()) return Status::Ok();
  for (const auto& kv : node_) {
    if (kv.first.IsScalar() && kv.first.Scalar() == key)
      return Error(kv.first, "'" + Path(key) + "' " + why);
  }
  return Status::Ok();
}

bool ConfigReader::Has(const std::string& key) const {
  if (Empty()) return false;
  const YAML::Node n = node_[key];
  return n.IsDefined() && !n.IsNull();
}

YAML::Node ConfigReader::Node(const std::string& key) const {
  if (Empty()) return YAML::Node(YAML::NodeType::Undefined);
  return node_[key];
}

Status ConfigReader::String(const std::string& key, std::string& out, bool required) const {
  YAML::Node n = Node(key);
  if (!n.IsDefined() || n.IsNull()) {
    return required ? Error("missing required key '" + Path(key) + "'") : Status::Ok();
  }
  if (!n.IsScalar()) return Error(n, "'" + Path(key) + "' must be a string");
  if (required && n.Scalar().empty()) return Error(n, "'" + Path(key) + "' must not be empty");
  out = n.Scalar();
  return Status::Ok();
}

Status ConfigReader::PathString(const std::string& key, std::string& out, bool required) const {
  EP_RETURN_IF_ERROR(String(key, out, required));
  if (Has(key) && out.empty()) return Error(Node(key), "'" + Path(key) + "' must not be empty");
  return Status::Ok();
}

Status ConfigReader::Int(const std::string& key, int64_t& out, int64_t min, int64_t max) const {
  YAML::Node n = Node(key);
  if (!n.IsDefined() || n.IsNull()) return Status::Ok();
  try {
    int64_t v = n.as<int64_t>();
    if (v < min || v > max)
      return Error(n, "'" + Path(key) + "' must be between " + std::to_string(min) + " and " +
                          std::to_string(max));
    out = v;
    return Status::Ok();
  } catch (const YAML::Exception&) {
    return Error(n, "'" + Path(key) + "' must be an integer");
  }
}

Status ConfigReader::Bool(const std::string& key, bool& out) const {
  if (!Has(key)) return Status::Ok();
  try {
    out = Node(key).as<bool>();
    return Status::Ok();
  } catch (const YAML::Exception&) {
    return Error(Node(key), "'" + Path(key) + "' must be true or false");
  }
}

Status ConfigReader::Duration(const std::string& key, int64_t& out_ms) const {
  std::string text;
  EP_RETURN_IF_ERROR(String(key, text));
  if (!Has(key)) return Status::Ok();
  std::optional<int64_t> ms = ParseDurationMs(text);
  if (!ms)
    return Error(Node(key), "'" + Path(key) + "': '" + text +
                                "' is not a duration like 500ms, 90s, 30m, 24h or 7d");
  out_ms = *ms;
  return Status::Ok();
}

std::filesystem::path ConfigReader::Resolve(const std::string& p) const {
  std::filesystem::path path(p);
  return path.is_absolute() ? path : dir_ / path;
}

std::string ConfigReader::Join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

PlaceLines::PlaceLines(const YAML::Node& node, const std::string& root, bool named_items) {
  Walk(node, root, named_items, 0);
}

void PlaceLines::Add(const std::string& place, const YAML::Node& node) {
  if (node.IsDefined() && node.Mark().line >= 0) lines_.emplace(place, node.Mark().line);
}

void PlaceLines::Walk(const YAML::Node& node, const std::string& place, bool named_items,
                      int depth) {
  constexpr int kMaxDepth = 64;  // configuration is shallow; this only bounds hostile input
  Add(place, node);
  if (depth > kMaxDepth) return;
  const std::string prefix = place.empty() ? "" : place + ".";
  if (node.IsMap()) {
    for (const auto& kv : node)
      if (kv.first.IsScalar()) Walk(kv.second, prefix + kv.first.Scalar(), named_items, depth + 1);
  } else if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i) {
      const YAML::Node item = node[i];
      Walk(item, place + "[" + std::to_string(i) + "]", named_items, depth + 1);
      if (!named_items) continue;
      if (item.IsScalar()) Add(prefix + item.Scalar(), item);
      if (item.IsMap())
        for (const auto& kv : item)
          if (kv.first.IsScalar()) Add(prefix + kv.first.Scalar(), item);
    }
  }
}

std::optional<int> PlaceLines::LineOf(std::string place) const {
  while (true) {
    if (auto it = lines_.find(place); it != lines_.end()) return it->second;
    const size_t cut = place.find_last_of(".[");
    if (cut == std::string::npos) return std::nullopt;
    place.resize(cut);
  }
}

Status YamlToJson(const ConfigReader& r, const YAML::Node& n, const std::string& what,
                  int max_depth, Json& out, PlaceLines* lines, const std::string& place) {
  struct Walker {
    const ConfigReader& r;
    const std::string& what;
    int max_depth;
    PlaceLines* lines;

    Status Convert(const YAML::Node& n, int depth, Json& out, const std::string& place) {
      if (lines) lines->Add(place, n);
      // Deeper than any value the caller accepts; stops the recursion before it matters.
      if (depth > max_depth)
        return r.Error(n, what + ": nested deeper than " + std::to_string(max_depth) + " levels");
      switch (n.Type()) {
        case YAML::NodeType::Null:
        case YAML::NodeType::Undefined:
          out = nullptr;
          return Status::Ok();
        case YAML::NodeType::Sequence: {
          out = Json::array();
          size_t i = 0;
          for (const auto& x : n) {
            Json item;
            EP_RETURN_IF_ERROR(
                Convert(x, depth + 1, item, lines ? place + "[" + std::to_string(i) + "]" : ""));
            out.push_back(std::move(item));
            ++i;
          }
          return Status::Ok();
        }
        case YAML::NodeType::Map: {
          out = Json::object();
          for (const auto& kv : n) {
            if (!kv.first.IsScalar())
              return r.Error(kv.first, what + ": field names must be strings");
            const std::string& key = kv.first.Scalar();
            if (out.contains(key))
              return r.Error(kv.first, what + ": duplicate field '" + key + "'");
            EP_RETURN_IF_ERROR(
                Convert(kv.second, depth + 1, out[key], lines ? place + "." + key : ""));
          }
          return Status::Ok();
        }
        case YAML::NodeType::Scalar: {
          const std::string& s = n.Scalar();
          if (n.Tag() == "!" || n.Tag() == "tag:yaml.org,2002:str") {  // quoted, or !!str
            out = s;
            return Status::Ok();
          }
          if (s == "~" || s == "null" || s == "Null" || s == "NULL") {
            out = nullptr;
          } else if (s == "true" || s == "True" || s == "TRUE") {
            out = true;
          } else if (s == "false" || s == "False" || s == "FALSE") {
            out = false;
          } else {
            out = s;
            if (!s.empty() && (std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '-')) {
              Result<Json> num = ParseJson(s);
              if (num.ok() && num->is_number()) out = std::move(*num);
            }
          }
          return Status::Ok();
        }
      }
      out = nullptr;
      return Status::Ok();
    }
  };
  Walker w{r, what, max_depth, lines};
  return w.Convert(n, 0, out, place);
}

namespace {

// Counts the nodes of `n` as a reader sees them, an alias counting as a copy of what it names,
// and stops at `budget` (or at `max_depth`): false when the document is larger. yaml-cpp keeps an
// alias as a reference to its anchor's node, so a few lines of nested aliases ("billion laughs")
// stand for billions of nodes, which every walk over the tree (the readers, PlaceLines,
// YamlToJson) would visit; the count bounds them all before any is built.
bool WithinNodeBudget(const YAML::Node& n, int64_t& budget, int depth, int max_depth) {
  if (--budget < 0 || depth > max_depth) return false;
  if (n.IsSequence()) {
    for (const YAML::Node& item : n)
      if (!WithinNodeBudget(item, budget, depth + 1, max_depth)) return false;
  } else if (n.IsMap()) {
    for (const auto& kv : n) {
      if (!WithinNodeBudget(kv.first, budget, depth + 1, max_depth)) return false;
      if (!WithinNodeBudget(kv.second, budget, depth + 1, max_depth)) return false;
    }
  }
  return true;
}

}  // namespace

Status ParseYamlText(const std::string& text, const std::string& file,
                     const std::filesystem::path& dir,
                     const std::function<Status(const ConfigReader& root)>& parse) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument("invalid YAML: " + e.msg)
        .At(file + ":" + std::to_string(e.mark.line + 1));
  }
  try {
    int64_t budget = kMaxConfigNodes;
    if (!WithinNodeBudget(root, budget, 0, kMaxConfigDepth)) {
      return Status::InvalidArgument(
                 "the document is larger than " + std::to_string(kMaxConfigNodes) +
                 " values or nested deeper than " + std::to_string(kMaxConfigDepth) +
                 " levels once its aliases (*name) are expanded; refused before reading it (a "
                 "YAML alias bomb?)")
          .At(file);
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument("invalid YAML: " + e.msg)
        .At(file + ":" + std::to_string(e.mark.line + 1));
  }
  try {
    return parse(ConfigReader(root, file, "", dir));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(e.msg).At(file + ":" + std::to_string(e.mark.line + 1));
  }
}

}  // namespace ecompipe
