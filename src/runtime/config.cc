#include "runtime/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>

#include "common/did_you_mean.h"
#include "common/postgres_db.h"
#include "common/sql_db.h"
#include "notify/filter_policy.h"
#include "transform/expression.h"
#include "transform/job_spec.h"

namespace ecompipe::runtime {
namespace {

namespace fs = std::filesystem;

// Reads one YAML mapping, remembering where it is so errors name file, line and key, and
// rejecting keys that the reader did not ask for.
// "500ms", "90s", "15m", "24h", "7d" or a plain number of seconds, as milliseconds.
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
  int64_t v = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || end != digits.data() + digits.size() || v <= 0 || v > 365LL * 24 * 3600)
    return std::nullopt;
  return v * unit;
}

class Reader {
 public:
  Reader(const YAML::Node& node, std::string file, std::string path)
      : node_(node), file_(std::move(file)), path_(std::move(path)) {}

  // An error placed at `at`'s line, or at this mapping's when `at` is a key that is absent
  // (whose Mark() would throw).
  Status Error(const YAML::Node& at, const std::string& what) const {
    const YAML::Node& where = at.IsDefined() ? at : node_;
    return Status::InvalidArgument(what).At(file_ + ":" + std::to_string(where.Mark().line + 1));
  }
  Status Error(const std::string& what) const { return Error(node_, what); }
  std::string Path(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

  Status ExpectMap() const {
    if (!node_.IsMap())
      return Error("'" + (path_.empty() ? "the file" : path_) + "' must be a mapping");
    return Status::Ok();
  }

  // Fails on a key given twice (YAML keeps both; lookups would silently take the first) and
  // on keys not in `allowed`, suggesting the closest one.
  Status CheckKeys(const std::vector<std::string>& allowed) const {
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

  // Fails when `key` is given at all: it does not apply here, and `why` says what does.
  Status Forbid(const std::string& key, const std::string& why) const {
    for (const auto& kv : node_) {
      if (kv.first.IsScalar() && kv.first.Scalar() == key)
        return Error(kv.first, "'" + Path(key) + "' " + why);
    }
    return Status::Ok();
  }

  bool Has(const std::string& key) const { return node_[key].IsDefined() && !node_[key].IsNull(); }
  YAML::Node Node(const std::string& key) const { return node_[key]; }

  Status String(const std::string& key, std::string& out, bool required = false) const {
    YAML::Node n = node_[key];
    if (!n.IsDefined() || n.IsNull()) {
      return required ? Error("missing required key '" + Path(key) + "'") : Status::Ok();
    }
    if (!n.IsScalar()) return Error(n, "'" + Path(key) + "' must be a string");
    if (required && n.Scalar().empty()) return Error(n, "'" + Path(key) + "' must not be empty");
    out = n.Scalar();
    return Status::Ok();
  }

  // A file or folder path: a string that is not empty when given.
  Status PathString(const std::string& key, std::string& out, bool required = false) const {
    EP_RETURN_IF_ERROR(String(key, out, required));
    if (Has(key) && out.empty()) return Error(node_[key], "'" + Path(key) + "' must not be empty");
    return Status::Ok();
  }

  Status Int(const std::string& key, int64_t& out, int64_t min, int64_t max) const {
    YAML::Node n = node_[key];
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

  // A duration like 500ms, 90s, 30m, 24h or 7d (a plain number is seconds), in milliseconds.
  Status Duration(const std::string& key, int64_t& out_ms) const {
    std::string text;
    EP_RETURN_IF_ERROR(String(key, text));
    if (!Has(key)) return Status::Ok();
    std::optional<int64_t> ms = ParseDurationMs(text);
    if (!ms)
      return Error(node_[key], "'" + Path(key) + "': '" + text +
                                   "' is not a duration like 500ms, 90s, 30m, 24h or 7d");
    out_ms = *ms;
    return Status::Ok();
  }

  Reader Child(const std::string& key) const { return Reader(node_[key], file_, Path(key)); }
  Reader Item(const YAML::Node& n, size_t index) const {
    return Reader(n, file_, path_ + "[" + std::to_string(index) + "]");
  }
  const YAML::Node& node() const { return node_; }
  const std::string& file() const { return file_; }

  static std::string Join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
  }

 private:
  YAML::Node node_;
  std::string file_;
  std::string path_;
};

// YAML -> JSON for event patterns. Quoted (and !!str) scalars stay strings; plain scalars
// become null, booleans or numbers when they read as such in YAML 1.2's core schema and in
// JSON (null/Null/NULL/~, true/True/TRUE, false/False/FALSE, JSON numbers, which keep the
// text as written: 300 is an integer, 300.0 a fraction), and strings otherwise.
Status ToJson(const Reader& r, const YAML::Node& n, const std::string& what, int depth, Json& out) {
  // Deeper than any pattern EventPattern accepts; stops the recursion before it matters.
  if (depth > events::EventPattern::kMaxDepth)
    return r.Error(n, what + ": nested deeper than " +
                          std::to_string(events::EventPattern::kMaxDepth) + " levels");
  switch (n.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      out = nullptr;
      return Status::Ok();
    case YAML::NodeType::Sequence: {
      out = Json::array();
      for (const auto& x : n) {
        Json item;
        EP_RETURN_IF_ERROR(ToJson(r, x, what, depth + 1, item));
        out.push_back(std::move(item));
      }
      return Status::Ok();
    }
    case YAML::NodeType::Map: {
      out = Json::object();
      for (const auto& kv : n) {
        if (!kv.first.IsScalar()) return r.Error(kv.first, what + ": field names must be strings");
        const std::string& key = kv.first.Scalar();
        if (out.contains(key)) return r.Error(kv.first, what + ": duplicate field '" + key + "'");
        EP_RETURN_IF_ERROR(ToJson(r, kv.second, what, depth + 1, out[key]));
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

// The YAML node that EventPattern's error place ("pattern.detail.key[0]") names, as far as it
// can be followed; `pattern` itself otherwise. Field names may hold dots, so at each mapping
// the longest key that fits the rest of the path wins.
YAML::Node LocatePatternNode(const YAML::Node& pattern, std::string_view place) {
  YAML::Node node(pattern);
  constexpr std::string_view kRoot = "pattern";
  if (place.substr(0, kRoot.size()) != kRoot) return node;
  place.remove_prefix(kRoot.size());
  while (!place.empty()) {
    if (place[0] == '[' && node.IsSequence()) {
      size_t close = place.find(']');
      size_t index = 0;
      if (close == std::string_view::npos) break;
      auto [end, ec] = std::from_chars(place.data() + 1, place.data() + close, index);
      if (ec != std::errc() || end != place.data() + close || index >= node.size()) break;
      const YAML::Node seq(node);
      node.reset(seq[index]);
      place.remove_prefix(close + 1);
    } else if (place[0] == '.' && node.IsMap()) {
      std::string_view rest = place.substr(1);
      YAML::Node best;
      size_t best_len = 0;
      bool found = false;
      for (const auto& kv : node) {
        if (!kv.first.IsScalar()) continue;
        const std::string& k = kv.first.Scalar();
        if (rest.substr(0, k.size()) != k) continue;
        if (rest.size() > k.size() && rest[k.size()] != '.' && rest[k.size()] != '[') continue;
        if (found && k.size() <= best_len) continue;
        best.reset(kv.second);
        best_len = k.size();
        found = true;
      }
      if (!found) break;
      node.reset(best);
      place = rest.substr(best_len);
    } else {
      break;
    }
  }
  return node;
}

// A pattern given as YAML or as a JSON string. Errors name `what` ("rule 'r' pattern"), the
// line of the offending value and, after "at", its path inside the pattern.
Result<events::EventPattern> ParsePattern(const Reader& r, const YAML::Node& n,
                                          const std::string& what) {
  Json pattern;
  if (n.IsScalar()) {
    Result<Json> parsed = ParseJson(n.Scalar());
    if (!parsed.ok()) return r.Error(n, what + ": " + parsed.status().message());
    pattern = std::move(*parsed);
  } else {
    EP_RETURN_IF_ERROR(ToJson(r, n, what, 0, pattern));
  }
  Result<events::EventPattern> p = events::EventPattern::Parse(pattern);
  if (!p.ok()) {
    std::string_view place = p.status().place();
    std::string_view inside = place.substr(0, 7) == "pattern" ? place.substr(7) : place;
    if (!inside.empty() && inside[0] == '.') inside.remove_prefix(1);
    std::string where = inside.empty() ? "" : " at '" + std::string(inside) + "'";
    YAML::Node at = n.IsScalar() ? YAML::Node(n) : LocatePatternNode(n, place);
    return r.Error(at, what + where + ": " + p.status().message());
  }
  return p;
}

fs::path Resolve(const fs::path& dir, const std::string& p) {
  fs::path path(p);
  return path.is_absolute() ? path : dir / path;
}

Status Bool(const Reader& r, const std::string& key, bool& out) {
  if (!r.Has(key)) return Status::Ok();
  try {
    out = r.Node(key).as<bool>();
    return Status::Ok();
  } catch (const YAML::Exception&) {
    return r.Error(r.Node(key), "'" + r.Path(key) + "' must be true or false");
  }
}

// A list under `key` whose items are read by `item(reader_of_item, node)`; absent keeps `out`.
template <typename T, typename ItemFn>
Status List(const Reader& r, const std::string& key, std::vector<T>& out, ItemFn&& item) {
  if (!r.Has(key)) return Status::Ok();
  const YAML::Node list = r.Node(key);
  if (!list.IsSequence()) return r.Error(list, "'" + r.Path(key) + "' must be a list");
  out.clear();
  for (size_t i = 0; i < list.size(); ++i) {
    T value;
    EP_RETURN_IF_ERROR(item(r.Child(key).Item(list[i], i), list[i], value));
    out.push_back(std::move(value));
  }
  return Status::Ok();
}

// The YAML node that a CheckJobSpec place ("validations[2].pattern", "lookups[0].columns.email")
// names inside the job's mapping, as far as it can be followed. In a list, ".name" finds the
// item that is the scalar `name` or a mapping with that key.
YAML::Node LocateSpecNode(const YAML::Node& job, std::string_view place) {
  YAML::Node node(job);
  while (!place.empty()) {
    if (place[0] == '.') place.remove_prefix(1);
    if (place.empty()) break;
    if (place[0] == '[') {
      const size_t close = place.find(']');
      size_t index = 0;
      if (close == std::string_view::npos) break;
      auto [end, ec] = std::from_chars(place.data() + 1, place.data() + close, index);
      if (ec != std::errc() || !node.IsSequence() || index >= node.size()) break;
      const YAML::Node seq(node);
      node.reset(seq[index]);
      place.remove_prefix(close + 1);
      continue;
    }
    const size_t stop = std::min(place.find('.'), place.find('['));
    const std::string key(place.substr(0, stop));
    YAML::Node next;
    bool found = false;
    if (node.IsMap()) {
      for (const auto& kv : node) {
        if (kv.first.IsScalar() && kv.first.Scalar() == key) {
          next.reset(kv.second);
          found = true;
        }
      }
    } else if (node.IsSequence()) {
      for (const auto& item : node) {
        if ((item.IsScalar() && item.Scalar() == key) || (item.IsMap() && item[key].IsDefined())) {
          next.reset(item);
          found = true;
          break;
        }
      }
    }
    if (!found) break;
    node.reset(next);
    place.remove_prefix(stop == std::string_view::npos ? place.size() : stop);
  }
  return node;
}

// jobs[i]'s job specification keys (job_spec.h); each given list replaces the reference's.
Status ParseJobSpec(const Reader& r, transform::JobSpec& spec) {
  using transform::ColumnType;
  std::map<std::string, int> derived_scale;
  EP_RETURN_IF_ERROR(List(r, "columns", spec.columns,
                          [&](const Reader& ir, const YAML::Node& n, std::string& out) -> Status {
                            if (!n.IsScalar() || n.Scalar().empty())
                              return ir.Error(n, "each item of '" + r.Path("columns") +
                                                     "' must be a column name");
                            out = n.Scalar();
                            return Status::Ok();
                          }));
  EP_RETURN_IF_ERROR(List(
      r, "validations", spec.validations,
      [](const Reader& vr, const YAML::Node&, transform::Validation& v) -> Status {
        EP_RETURN_IF_ERROR(vr.ExpectMap());
        EP_RETURN_IF_ERROR(vr.CheckKeys(
            {"name", "column", "reason", "required", "pattern", "date", "min", "max", "unique"}));
        EP_RETURN_IF_ERROR(vr.String("column", v.column, true));
        v.name = v.column;
        EP_RETURN_IF_ERROR(vr.String("name", v.name));
        EP_RETURN_IF_ERROR(vr.String("reason", v.reason));
        EP_RETURN_IF_ERROR(Bool(vr, "required", v.required));
        EP_RETURN_IF_ERROR(vr.String("pattern", v.pattern));
        if (vr.Has("pattern") && v.pattern.empty())
          return vr.Error(vr.Node("pattern"), "'" + vr.Path("pattern") + "' must not be empty");
        EP_RETURN_IF_ERROR(Bool(vr, "date", v.date));
        EP_RETURN_IF_ERROR(Bool(vr, "unique", v.unique));
        for (const char* key : {"min", "max"}) {
          if (!vr.Has(key)) continue;
          std::string text;
          EP_RETURN_IF_ERROR(vr.String(key, text));
          (std::string_view(key) == "min" ? v.min : v.max) = text;
        }
        return Status::Ok();
      }));
  EP_RETURN_IF_ERROR(
      List(r, "lookups", spec.lookups,
           [](const Reader& lr, const YAML::Node&, transform::Lookup& l) -> Status {
             EP_RETURN_IF_ERROR(lr.ExpectMap());
             EP_RETURN_IF_ERROR(lr.CheckKeys({"dimension", "key", "columns", "reason"}));
             EP_RETURN_IF_ERROR(lr.String("dimension", l.dimension, true));
             EP_RETURN_IF_ERROR(lr.String("key", l.key, true));
             EP_RETURN_IF_ERROR(lr.String("reason", l.reason));
             const YAML::Node cols = lr.Node("columns");
             if (!lr.Has("columns"))
               return lr.Error("missing required key '" + lr.Path("columns") + "'");
             // [a, b] keeps the names; {a: new_a} renames; a list may mix both forms.
             const auto add = [&](const YAML::Node& k, const YAML::Node& v) -> Status {
               if (!k.IsScalar() || k.Scalar().empty() ||
                   (v.IsDefined() && (!v.IsScalar() || v.Scalar().empty())))
                 return lr.Error(
                     k, "'" + lr.Path("columns") +
                            "' lists dimension columns, as [email] or {email: customer_email}");
               l.columns.emplace_back(k.Scalar(), v.IsDefined() ? v.Scalar() : k.Scalar());
               return Status::Ok();
             };
             if (cols.IsMap()) {
               for (const auto& kv : cols) EP_RETURN_IF_ERROR(add(kv.first, kv.second));
             } else if (cols.IsSequence()) {
               for (const auto& item : cols) {
                 if (item.IsMap()) {
                   for (const auto& kv : item) EP_RETURN_IF_ERROR(add(kv.first, kv.second));
                 } else {
                   EP_RETURN_IF_ERROR(add(item, YAML::Node(YAML::NodeType::Undefined)));
                 }
               }
             } else {
               return lr.Error(
                   cols, "'" + lr.Path("columns") +
                             "' lists dimension columns, as [email] or {email: customer_email}");
             }
             return Status::Ok();
           }));
  EP_RETURN_IF_ERROR(List(r, "derived", spec.derived,
                          [](const Reader& dr, const YAML::Node&, transform::Derived& d) -> Status {
                            EP_RETURN_IF_ERROR(dr.ExpectMap());
                            EP_RETURN_IF_ERROR(dr.CheckKeys({"name", "expr", "scale", "reason"}));
                            EP_RETURN_IF_ERROR(dr.String("name", d.name, true));
                            EP_RETURN_IF_ERROR(dr.String("expr", d.expr, true));
                            EP_RETURN_IF_ERROR(dr.String("reason", d.reason));
                            int64_t scale = d.scale;
                            EP_RETURN_IF_ERROR(
                                dr.Int("scale", scale, 0, transform::kMaxDecimalScale));
                            d.scale = static_cast<int>(scale);
                            return Status::Ok();
                          }));
  for (const transform::Derived& d : spec.derived) derived_scale[d.name] = d.scale;

  if (r.Has("classification")) {
    // A list of bins (over total_amount, into transaction_type), or {column, output, bins}.
    // No YAML::Node or Reader is reassigned here: assigning a YAML::Node writes into the tree.
    const YAML::Node node = r.Node("classification");
    const Reader cr = r.Child("classification");
    if (node.IsMap()) {
      EP_RETURN_IF_ERROR(cr.CheckKeys({"column", "output", "bins"}));
      EP_RETURN_IF_ERROR(cr.String("column", spec.classify_column));
      EP_RETURN_IF_ERROR(cr.String("output", spec.label_column));
      if (!cr.Has("bins")) return cr.Error("missing required key '" + cr.Path("bins") + "'");
    }
    const YAML::Node bins = node.IsMap() ? cr.Node("bins") : node;
    const Reader bins_reader = node.IsMap() ? cr.Child("bins") : cr;
    const std::string bins_path = node.IsMap() ? cr.Path("bins") : r.Path("classification");
    if (!bins.IsSequence() || bins.size() == 0)
      return r.Error(bins, "'" + bins_path + "' must be a non-empty list of {max, label}");
    spec.bins.clear();
    std::optional<transform::Money> last;
    for (size_t b = 0; b < bins.size(); ++b) {
      Reader br = bins_reader.Item(bins[b], b);
      EP_RETURN_IF_ERROR(br.ExpectMap());
      EP_RETURN_IF_ERROR(br.CheckKeys({"max", "label"}));
      transform::ClassBin bin;
      EP_RETURN_IF_ERROR(br.String("label", bin.label, true));
      if (br.Has("max")) {
        std::string text;
        EP_RETURN_IF_ERROR(br.String("max", text));
        bin.upper = transform::ParseMoney(text);
        if (!bin.upper)
          return br.Error(br.Node("max"),
                          "'" + br.Path("max") + "': '" + text + "' is not an amount like 100.00");
        if (last && *bin.upper <= *last)
          return br.Error(br.Node("max"), "'" + br.Path("max") + "': bounds must increase");
        last = bin.upper;
      } else if (b + 1 != bins.size()) {
        return br.Error("only the last classification bin may omit 'max'");
      }
      spec.bins.push_back(std::move(bin));
    }
    if (spec.bins.back().upper)
      return r.Error(
          bins, "the last classification bin must have no 'max' (it takes every larger total)");
  }

  EP_RETURN_IF_ERROR(List(
      r, "output", spec.output,
      [&](const Reader& orr, const YAML::Node& n, transform::OutputColumn& o) -> Status {
        if (n.IsScalar()) {
          o.name = o.from = n.Scalar();
        } else {
          EP_RETURN_IF_ERROR(orr.ExpectMap());
          EP_RETURN_IF_ERROR(orr.CheckKeys({"name", "from", "type", "scale"}));
          EP_RETURN_IF_ERROR(orr.String("name", o.name, true));
          o.from = o.name;
          EP_RETURN_IF_ERROR(orr.String("from", o.from));
        }
        // A derived column keeps its decimals unless a type is given.
        if (auto it = derived_scale.find(o.from); it != derived_scale.end()) {
          o.type = ColumnType::kDecimal;
          o.scale = it->second;
        }
        if (n.IsMap() && orr.Has("type")) {
          std::string type;
          EP_RETURN_IF_ERROR(orr.String("type", type));
          if (type == "text") {
            o.type = ColumnType::kText;
          } else if (type == "integer") {
            o.type = ColumnType::kInteger;
          } else if (type == "decimal") {
            o.type = ColumnType::kDecimal;
            if (o.scale == 0 && derived_scale.count(o.from) == 0) o.scale = 2;
          } else {
            return orr.Error(orr.Node("type"), "'" + orr.Path("type") + "': unknown type '" + type +
                                                   "' (allowed: text, integer, decimal)");
          }
        }
        if (n.IsMap() && orr.Has("scale")) {
          if (o.type != ColumnType::kDecimal)
            return orr.Error(orr.Node("scale"),
                             "'" + orr.Path("scale") + "' applies to decimal columns only");
          int64_t scale = o.scale;
          EP_RETURN_IF_ERROR(orr.Int("scale", scale, 0, transform::kMaxDecimalScale));
          o.scale = static_cast<int>(scale);
        }
        return Status::Ok();
      }));

  if (Status s = transform::CheckJobSpec(spec); !s.ok()) {
    const std::string& place = s.place();
    const std::string top = place.substr(0, place.find_first_of(".["));
    const bool given = r.Has(top) || (top == "classification" && r.Has("classification"));
    std::string msg = "'" + r.Path(place) + "': " + s.message();
    if (!given)
      msg += " (in the reference job's '" + top + "'; give '" + r.Path(top) + "' to replace it)";
    return r.Error(given ? LocateSpecNode(r.node(), place) : r.node(), msg);
  }
  return Status::Ok();
}

// jobs[i].max_reject_rate and min_rows: the job's quality gate (runtime/quality_gate.h).
Status ParseQualityGate(const Reader& r, QualityGate& gate) {
  if (r.Has("max_reject_rate")) {
    const YAML::Node n = r.Node("max_reject_rate");
    double rate = -1;
    try {
      if (n.IsScalar()) rate = n.as<double>();
    } catch (const YAML::Exception&) {
    }
    // "!(x >= 0)" also refuses a NaN (YAML's .nan).
    if (!(rate >= 0 && rate <= 1))
      return r.Error(n, "'" + r.Path("max_reject_rate") +
                            "' must be a fraction of the rows read between 0 and 1, e.g. 0.05");
    gate.max_reject_rate = rate;
  }
  return r.Int("min_rows", gate.min_rows, 0, std::numeric_limits<int64_t>::max());
}

Status ParseJobs(const Reader& root, PipelineConfig& cfg) {
  const YAML::Node list = root.Node("jobs");
  if (!list.IsDefined() || list.IsNull()) return Status::Ok();
  if (!list.IsSequence()) return root.Error(list, "'jobs' must be a list");
  for (size_t i = 0; i < list.size(); ++i) {
    Reader r = root.Child("jobs").Item(list[i], i);
    EP_RETURN_IF_ERROR(r.ExpectMap());
    EP_RETURN_IF_ERROR(
        r.CheckKeys({"name", "table", "on_reload", "classification", "max_record_bytes", "threads",
                     "chunk_bytes", "columns", "validations", "lookups", "derived", "output",
                     "max_reject_rate", "min_rows"}));
    JobConfig job;
    EP_RETURN_IF_ERROR(r.String("name", job.name, true));
    EP_RETURN_IF_ERROR(r.String("table", job.table));
    std::string mode = "replace";
    EP_RETURN_IF_ERROR(r.String("on_reload", mode));
    Result<warehouse::ReloadMode> m = warehouse::ParseReloadMode(mode);
    if (!m.ok())
      return r.Error(r.Node("on_reload"), "'" + r.Path("on_reload") + "': " + m.status().message());
    job.on_reload = *m;
    int64_t max_record = static_cast<int64_t>(job.spec.max_record_bytes);
    EP_RETURN_IF_ERROR(r.Int("max_record_bytes", max_record, 1024, 1LL << 30));
    job.spec.max_record_bytes = static_cast<size_t>(max_record);
    int64_t threads = job.spec.threads;
    EP_RETURN_IF_ERROR(r.Int("threads", threads, 0, 256));  // 0: one per core
    job.spec.threads = static_cast<int>(threads);
    int64_t chunk = static_cast<int64_t>(job.spec.chunk_bytes);
    EP_RETURN_IF_ERROR(r.Int("chunk_bytes", chunk, 1, 1LL << 30));
    job.spec.chunk_bytes = static_cast<size_t>(chunk);
    EP_RETURN_IF_ERROR(ParseJobSpec(r, job.spec));
    EP_RETURN_IF_ERROR(ParseQualityGate(r, job.quality_gate));
    if (cfg.FindJob(job.name))
      return r.Error(r.Node("name"), "duplicate job name '" + job.name + "'");
    cfg.jobs.push_back(std::move(job));
  }
  return Status::Ok();
}

// A string without CR, LF or NUL (it goes into a mail header or an SMTP command).
Status HeaderSafeString(const Reader& r, const std::string& key, std::string& out, bool required) {
  EP_RETURN_IF_ERROR(r.String(key, out, required));
  if (out.find_first_of(std::string("\r\n\0", 3)) != std::string::npos)
    return r.Error(r.Node(key), "'" + r.Path(key) + "' must not hold a line break");
  return Status::Ok();
}

Status ParseEmailSubscription(const Reader& sr, notify::Subscription& sub) {
  notify::EmailSubscription& e = sub.email;
  EP_RETURN_IF_ERROR(sr.String("url", e.smtp.url, true));
  if (e.smtp.url.rfind("smtp://", 0) != 0 && e.smtp.url.rfind("smtps://", 0) != 0)
    return sr.Error(sr.Node("url"), "'" + sr.Path("url") + "' must start with smtp:// or smtps://");
  EP_RETURN_IF_ERROR(HeaderSafeString(sr, "from", e.from, true));
  YAML::Node to = sr.Node("to");
  if (!to.IsDefined() || to.IsNull())
    return sr.Error("missing required key '" + sr.Path("to") + "'");
  if (to.IsScalar()) {
    e.to.push_back(to.Scalar());
  } else if (to.IsSequence()) {
    for (const auto& item : to) {
      if (!item.IsScalar()) return sr.Error(item, "'" + sr.Path("to") + "' must list addresses");
      e.to.push_back(item.Scalar());
    }
  } else {
    return sr.Error(to, "'" + sr.Path("to") + "' must be an address or a list of addresses");
  }
  for (const std::string& a : e.to) {
    if (a.find('@') == std::string::npos ||
        a.find_first_of(std::string("\r\n\0,", 4)) != std::string::npos)
      return sr.Error(to, "'" + sr.Path("to") + "': '" + a + "' is not one email address");
  }
  if (e.to.empty()) return sr.Error(to, "'" + sr.Path("to") + "' must not be empty");
  if (sr.Has("starttls")) {
    try {
      e.smtp.starttls = sr.Node("starttls").as<bool>();
    } catch (const YAML::Exception&) {
      return sr.Error(sr.Node("starttls"), "'" + sr.Path("starttls") + "' must be true or false");
    }
  }
  if (sr.Has("insecure_skip_verify")) {
    try {
      e.smtp.insecure_skip_verify = sr.Node("insecure_skip_verify").as<bool>();
    } catch (const YAML::Exception&) {
      return sr.Error(sr.Node("insecure_skip_verify"),
                      "'" + sr.Path("insecure_skip_verify") + "' must be true or false");
    }
  }
  EP_RETURN_IF_ERROR(sr.String("username", e.smtp.username));
  EP_RETURN_IF_ERROR(sr.String("password", e.smtp.password));
  EP_RETURN_IF_ERROR(sr.String("password_env", e.password_env));
  if (!e.smtp.password.empty() && !e.password_env.empty())
    return sr.Error(sr.Node("password_env"), "give '" + sr.Path("password") + "' or '" +
                                                 sr.Path("password_env") + "', not both");
  if ((!e.smtp.password.empty() || !e.password_env.empty()) && e.smtp.username.empty())
    return sr.Error("a password needs '" + sr.Path("username") + "'");
  EP_RETURN_IF_ERROR(sr.String("dashboard_url", e.dashboard_url));
  for (const std::string& a : e.to) sub.target += (sub.target.empty() ? "" : ",") + a;
  return Status::Ok();
}

Status ParseTopics(const Reader& root, PipelineConfig& cfg) {
  const YAML::Node list = root.Node("topics");
  if (!list.IsDefined() || list.IsNull()) return Status::Ok();
  if (!list.IsSequence()) return root.Error(list, "'topics' must be a list");
  const std::vector<std::string> common = {"name",          "type",         "filter",
                                           "filter_policy", "max_age",      "max_per_hour",
                                           "rate_limit",    "backoff_base", "backoff_max"};
  auto keys = [&](std::initializer_list<const char*> more) {
    std::vector<std::string> k = common;
    k.insert(k.end(), more.begin(), more.end());
    return k;
  };
  for (size_t i = 0; i < list.size(); ++i) {
    Reader r = root.Child("topics").Item(list[i], i);
    EP_RETURN_IF_ERROR(r.ExpectMap());
    EP_RETURN_IF_ERROR(r.CheckKeys({"name", "subscriptions"}));
    notify::Topic topic;
    EP_RETURN_IF_ERROR(r.String("name", topic.name, true));
    if (std::any_of(cfg.topics.begin(), cfg.topics.end(),
                    [&](const notify::Topic& t) { return t.name == topic.name; }))
      return r.Error(r.Node("name"), "duplicate topic name '" + topic.name + "'");
    YAML::Node subs = r.Node("subscriptions");
    if (subs.IsDefined() && !subs.IsNull()) {
      if (!subs.IsSequence())
        return r.Error(subs, "'" + r.Path("subscriptions") + "' must be a list");
      for (size_t s = 0; s < subs.size(); ++s) {
        Reader sr = r.Child("subscriptions").Item(subs[s], s);
        EP_RETURN_IF_ERROR(sr.ExpectMap());
        notify::Subscription sub;
        EP_RETURN_IF_ERROR(sr.String("type", sub.type, true));
        if (sub.type == "log") {
          EP_RETURN_IF_ERROR(sr.Forbid(
              "url", "applies to webhook subscriptions; a log subscription writes to 'path'"));
          EP_RETURN_IF_ERROR(sr.CheckKeys(keys({"path"})));
          std::string p;
          EP_RETURN_IF_ERROR(sr.PathString("path", p, true));
          sub.target = Resolve(cfg.dir, p).string();
        } else if (sub.type == "webhook") {
          EP_RETURN_IF_ERROR(sr.Forbid(
              "path", "applies to log subscriptions; a webhook subscription posts to 'url'"));
          EP_RETURN_IF_ERROR(
              sr.CheckKeys(keys({"url", "secret", "secret_env", "timeout", "ca_file"})));
          EP_RETURN_IF_ERROR(sr.String("url", sub.target, true));
          if (sub.target.rfind("http://", 0) != 0 && sub.target.rfind("https://", 0) != 0)
            return sr.Error(sr.Node("url"),
                            "'" + sr.Path("url") + "' must start with http:// or https://");
          EP_RETURN_IF_ERROR(sr.String("secret", sub.secret));
          EP_RETURN_IF_ERROR(sr.String("secret_env", sub.secret_env));
          if (!sub.secret.empty() && !sub.secret_env.empty())
            return sr.Error(sr.Node("secret_env"), "give '" + sr.Path("secret") + "' or '" +
                                                       sr.Path("secret_env") + "', not both");
        } else if (sub.type == "email") {
          EP_RETURN_IF_ERROR(sr.CheckKeys(
              keys({"url", "from", "to", "starttls", "insecure_skip_verify", "username", "password",
                    "password_env", "dashboard_url", "timeout", "ca_file"})));
          EP_RETURN_IF_ERROR(ParseEmailSubscription(sr, sub));
        } else if (sub.type == "sns") {
          EP_RETURN_IF_ERROR(
              sr.CheckKeys(keys({"topic_arn", "region", "endpoint", "access_key_id",
                                 "secret_access_key", "dashboard_url", "timeout", "ca_file"})));
          notify::SnsSettings& sns = sub.sns;
          EP_RETURN_IF_ERROR(sr.String("topic_arn", sns.topic_arn, true));
          if (sns.topic_arn.rfind("arn:", 0) != 0)
            return sr.Error(sr.Node("topic_arn"),
                            "'" + sr.Path("topic_arn") + "' must be an ARN (arn:aws:sns:…)");
          // The region defaults to the ARN's (arn:aws:sns:<region>:<account>:<name>).
          std::vector<std::string> parts;
          std::stringstream arn(sns.topic_arn);
          for (std::string part; std::getline(arn, part, ':');) parts.push_back(part);
          if (parts.size() >= 4) sns.region = parts[3];
          EP_RETURN_IF_ERROR(sr.String("region", sns.region));
          if (sns.region.empty())
            return sr.Error(sr.node(), "missing 'region' (the topic ARN names none)");
          sns.endpoint = "https://sns." + sns.region + ".amazonaws.com";
          EP_RETURN_IF_ERROR(sr.String("endpoint", sns.endpoint));
          if (sns.endpoint.rfind("http://", 0) != 0 && sns.endpoint.rfind("https://", 0) != 0)
            return sr.Error(sr.Node("endpoint"),
                            "'" + sr.Path("endpoint") + "' must start with http:// or https://");
          EP_RETURN_IF_ERROR(sr.String("access_key_id", sns.credentials.access_key_id));
          EP_RETURN_IF_ERROR(sr.String("secret_access_key", sns.credentials.secret_access_key));
          if (sns.credentials.access_key_id.empty() != sns.credentials.secret_access_key.empty())
            return sr.Error(
                "give both 'access_key_id' and 'secret_access_key', or neither (then "
                "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are used)");
          EP_RETURN_IF_ERROR(sr.String("dashboard_url", sub.email.dashboard_url));
          sub.target = sns.topic_arn;
        } else {
          return sr.Error(sr.Node("type"), "'" + sr.Path("type") +
                                               "': unknown subscription type '" + sub.type +
                                               "' (allowed: log, webhook, email, sns)");
        }
        sub.name = sub.type + "-" + std::to_string(s + 1);
        EP_RETURN_IF_ERROR(sr.String("name", sub.name));
        if (sub.name.empty())
          return sr.Error(sr.Node("name"), "'" + sr.Path("name") + "' must not be empty");
        // The outbox keeps one notification per (topic, subscription, event): two subscriptions
        // with one name would share it, and the second would never be notified.
        if (std::any_of(topic.subscriptions.begin(), topic.subscriptions.end(),
                        [&](const notify::Subscription& o) { return o.name == sub.name; }))
          return sr.Error(
              sr.Has("name") ? sr.Node("name") : sr.node(),
              "duplicate subscription name '" + sub.name + "' in topic '" + topic.name + "'");
        if (sr.Has("filter")) {
          EP_ASSIGN_OR_RETURN(sub.filter,
                              ParsePattern(sr, sr.Node("filter"), "'" + sr.Path("filter") + "'"));
        }
        if (sr.Has("filter_policy")) {
          // An SNS filter policy over the detail is the EventBridge pattern {"detail": policy};
          // translated here so that errors point into the policy as written.
          YAML::Node fp = sr.Node("filter_policy");
          Json policy;
          if (fp.IsScalar()) {
            Result<Json> parsed = ParseJson(fp.Scalar());
            if (!parsed.ok())
              return sr.Error(fp,
                              "'" + sr.Path("filter_policy") + "': " + parsed.status().message());
            policy = std::move(*parsed);
          } else {
            EP_RETURN_IF_ERROR(ToJson(sr, fp, "'" + sr.Path("filter_policy") + "'", 0, policy));
          }
          Result<Json> pattern = notify::FilterPolicyToPatternJson(policy);
          if (!pattern.ok())
            return sr.Error(fp,
                            "'" + sr.Path("filter_policy") + "': " + pattern.status().message());
          Result<events::EventPattern> p = events::EventPattern::Parse(*pattern);
          if (!p.ok()) {
            std::string place(p.status().place());
            auto at = place.find("detail");
            std::string where = at == std::string::npos ? "" : place.substr(at + 6);
            if (!where.empty() && where[0] == '.') where.erase(0, 1);
            return sr.Error(fp, "'" + sr.Path("filter_policy") + "'" +
                                    (where.empty() ? "" : " at '" + where + "'") + ": " +
                                    p.status().message());
          }
          sub.filter_policy = std::move(*p);
        }
        EP_RETURN_IF_ERROR(sr.Duration("max_age", sub.max_age_ms));
        EP_RETURN_IF_ERROR(sr.Duration("timeout", sub.timeout_ms));
        if (sr.Has("ca_file")) {
          std::string ca;
          EP_RETURN_IF_ERROR(sr.PathString("ca_file", ca));
          sub.ca_file = Resolve(cfg.dir, ca).string();
          if (!fs::is_regular_file(sub.ca_file))
            return sr.Error(sr.Node("ca_file"),
                            "'" + sr.Path("ca_file") + "': no file " + sub.ca_file);
        }
        EP_RETURN_IF_ERROR(sr.Duration("backoff_base", sub.backoff_base_ms));
        EP_RETURN_IF_ERROR(sr.Duration("backoff_max", sub.backoff_max_ms));
        if (sub.backoff_max_ms < sub.backoff_base_ms)
          return sr.Error(sr.Node("backoff_max"),
                          "'" + sr.Path("backoff_max") + "' must not be shorter than backoff_base");
        // `rate_limit: {max: N, window: 10m}`, or `max_per_hour: N` for a one-hour window.
        if (sr.Has("max_per_hour") && sr.Has("rate_limit"))
          return sr.Error(sr.Node("rate_limit"), "give '" + sr.Path("max_per_hour") + "' or '" +
                                                     sr.Path("rate_limit") + "', not both");
        int64_t rate_max = 0;
        EP_RETURN_IF_ERROR(sr.Int("max_per_hour", rate_max, 0, 1000000));
        if (sr.Has("rate_limit")) {
          Reader rl = sr.Child("rate_limit");
          EP_RETURN_IF_ERROR(rl.ExpectMap());
          EP_RETURN_IF_ERROR(rl.CheckKeys({"max", "window"}));
          if (!rl.Has("max")) return rl.Error("missing required key '" + rl.Path("max") + "'");
          EP_RETURN_IF_ERROR(rl.Int("max", rate_max, 1, 1000000));
          EP_RETURN_IF_ERROR(rl.Duration("window", sub.rate_window_ms));
        }
        sub.rate_max = static_cast<int>(rate_max);
        topic.subscriptions.push_back(std::move(sub));
      }
    }
    cfg.topics.push_back(std::move(topic));
  }
  return Status::Ok();
}

Status ParseRules(const Reader& root, PipelineConfig& cfg) {
  const YAML::Node list = root.Node("rules");
  if (!list.IsDefined() || list.IsNull()) return Status::Ok();
  if (!list.IsSequence()) return root.Error(list, "'rules' must be a list");
  std::set<std::string> names;
  for (size_t i = 0; i < list.size(); ++i) {
    Reader r = root.Child("rules").Item(list[i], i);
    EP_RETURN_IF_ERROR(r.ExpectMap());
    EP_RETURN_IF_ERROR(r.CheckKeys({"name", "pattern", "targets"}));
    std::string name;
    EP_RETURN_IF_ERROR(r.String("name", name, true));
    if (!names.insert(name).second)
      return r.Error(r.Node("name"), "duplicate rule name '" + name + "'");
    if (!r.Has("pattern")) return r.Error("rule '" + name + "': missing required key 'pattern'");
    EP_ASSIGN_OR_RETURN(events::EventPattern pattern,
                        ParsePattern(r, r.Node("pattern"), "rule '" + name + "' pattern"));
    events::Rule rule{name, std::move(pattern), {}};
    YAML::Node targets = r.Node("targets");
    // IsSequence() of an absent key throws; check that it is there first.
    if (!r.Has("targets") || !targets.IsSequence() || targets.size() == 0)
      return r.Error(r.Has("targets") ? targets : r.node(),
                     "rule '" + name + "': 'targets' must be a non-empty list");
    for (size_t t = 0; t < targets.size(); ++t) {
      Reader tr = r.Child("targets").Item(targets[t], t);
      EP_RETURN_IF_ERROR(tr.ExpectMap());
      EP_RETURN_IF_ERROR(tr.CheckKeys({"type", "name", "url"}));
      events::Target target;
      EP_RETURN_IF_ERROR(tr.String("type", target.type, true));
      const std::string& ty = target.type;
      static const std::vector<std::string> kTypes = {"start_crawler", "start_job", "publish",
                                                      "webhook", "upsert_dimension"};
      if (std::find(kTypes.begin(), kTypes.end(), ty) == kTypes.end())
        return tr.Error(tr.Node("type"), "rule '" + name + "': unknown target type '" + ty +
                                             "' (allowed: " + Reader::Join(kTypes) + ")");
      if (ty == "webhook") {
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
      auto bad = [&](const std::string& what) {
        return tr.Error(tr.Node("name"), "rule '" + name + "': " + what);
      };
      if (ty == "start_crawler" && !cfg.HasCrawler(target.name))
        return bad("no crawler named '" + target.name + "' (see 'crawlers')");
      if (ty == "start_job" && !cfg.FindJob(target.name))
        return bad("no job named '" + target.name + "' (see 'jobs')");
      if (ty == "publish" &&
          std::none_of(cfg.topics.begin(), cfg.topics.end(),
                       [&](const notify::Topic& tp) { return tp.name == target.name; }))
        return bad("no topic named '" + target.name + "' (see 'topics')");
      if (ty == "upsert_dimension" && target.name != "products" && target.name != "customers")
        return bad("upsert_dimension name must be 'products' or 'customers'");
      rule.targets.push_back(std::move(target));
    }
    cfg.rules.push_back(std::move(rule));
  }
  return Status::Ok();
}

// s3_endpoint's timeouts and connection caps (api/s3/connection_acceptor.h).
Status ParseS3ConnectionLimits(const Reader& r, api::s3::ConnectionLimits& l) {
  for (auto [key, ms] : {std::pair{"header_timeout", &l.header_timeout_ms},
                         std::pair{"body_timeout", &l.body_timeout_ms},
                         std::pair{"idle_timeout", &l.idle_timeout_ms}}) {
    EP_RETURN_IF_ERROR(r.Duration(key, *ms));
    if (*ms < 100 || *ms > 3'600'000)
      return r.Error(r.Node(key), "'" + r.Path(key) + "' must be between 100ms and 1h");
  }
  int64_t total = l.max_connections, per_address = l.max_connections_per_address,
          workers = l.workers;
  EP_RETURN_IF_ERROR(r.Int("max_connections", total, 1, 1'000'000));
  EP_RETURN_IF_ERROR(r.Int("max_connections_per_address", per_address, 1, 1'000'000));
  EP_RETURN_IF_ERROR(r.Int("workers", workers, 1, 1024));
  l.max_connections = static_cast<int>(total);
  l.max_connections_per_address = static_cast<int>(per_address);
  l.workers = static_cast<int>(workers);
  return Status::Ok();
}

// s3_endpoint: {listen: "127.0.0.1:9000", region: us-east-1, access_keys: [{id, secret |
// secret_env}],
//               header_timeout, body_timeout, idle_timeout, max_connections,
//               max_connections_per_address, workers}
Status ParseS3Endpoint(const Reader& root, PipelineConfig& cfg) {
  if (!root.Has("s3_endpoint")) return Status::Ok();
  Reader r = root.Child("s3_endpoint");
  EP_RETURN_IF_ERROR(r.ExpectMap());
  EP_RETURN_IF_ERROR(
      r.CheckKeys({"listen", "region", "access_keys", "header_timeout", "body_timeout",
                   "idle_timeout", "max_connections", "max_connections_per_address", "workers"}));
  api::s3::S3EndpointConfig& ep = cfg.s3_endpoint;
  ep.enabled = true;
  std::string listen = ep.host + ":" + std::to_string(ep.port);
  EP_RETURN_IF_ERROR(r.String("listen", listen));
  const size_t colon = listen.rfind(':');
  int port = -1;
  if (colon != std::string::npos && colon > 0) {
    const char* b = listen.data() + colon + 1;
    const char* e = listen.data() + listen.size();
    auto [p, ec] = std::from_chars(b, e, port);
    if (ec != std::errc() || p != e || b == e) port = -1;
  }
  if (port < 0 || port > 65535)
    return r.Error(r.Node("listen"),
                   "'s3_endpoint.listen': '" + listen +
                       "' is not HOST:PORT (e.g. 127.0.0.1:9000; port 0 picks a free one)");
  ep.host = listen.substr(0, colon);
  if (ep.host.size() > 2 && ep.host.front() == '[' && ep.host.back() == ']')
    ep.host = ep.host.substr(1, ep.host.size() - 2);
  ep.port = port;
  EP_RETURN_IF_ERROR(r.String("region", ep.region));
  if (ep.region.empty()) return r.Error(r.Node("region"), "'s3_endpoint.region' must not be empty");
  EP_RETURN_IF_ERROR(ParseS3ConnectionLimits(r, ep.limits));
  const YAML::Node keys = r.Node("access_keys");
  if (!r.Has("access_keys") || !keys.IsSequence() || keys.size() == 0)
    return r.Error(
        r.Has("access_keys") ? keys : r.node(),
        "'s3_endpoint.access_keys' must be a non-empty list of {id, secret} or {id, secret_env}: "
        "every request to the endpoint is signed (AWS Signature Version 4)");
  std::set<std::string> ids;
  for (size_t i = 0; i < keys.size(); ++i) {
    Reader k = r.Child("access_keys").Item(keys[i], i);
    EP_RETURN_IF_ERROR(k.ExpectMap());
    EP_RETURN_IF_ERROR(k.CheckKeys({"id", "secret", "secret_env"}));
    api::s3::S3AccessKey key;
    EP_RETURN_IF_ERROR(k.String("id", key.id, true));
    EP_RETURN_IF_ERROR(k.String("secret", key.secret));
    EP_RETURN_IF_ERROR(k.String("secret_env", key.secret_env));
    if (key.secret.empty() == key.secret_env.empty())
      return k.Error("'" + k.Path("secret") +
                     "': give exactly one of 'secret' and 'secret_env' (an "
                     "environment variable holding the secret)");
    if (!ids.insert(key.id).second)
      return k.Error(k.Node("id"), "duplicate access key id '" + key.id + "'");
    ep.access_keys.push_back(std::move(key));
  }
  return Status::Ok();
}

// warehouse.staging: the S3 bucket Redshift's large loads are staged to. Credentials may come
// from the environment, so they are not required here.
Status ParseRedshiftStaging(const Reader& s, RedshiftStagingConfig& st) {
  EP_RETURN_IF_ERROR(s.ExpectMap());
  EP_RETURN_IF_ERROR(
      s.CheckKeys({"bucket", "prefix", "endpoint", "region", "addressing", "access_key_id",
                   "secret_access_key", "iam_role", "min_rows", "part_mb"}));
  EP_RETURN_IF_ERROR(s.String("bucket", st.bucket, true));
  EP_RETURN_IF_ERROR(s.String("prefix", st.prefix));
  if (st.prefix.starts_with('/') || st.prefix.ends_with('/') ||
      st.prefix.find("//") != std::string::npos)
    return s.Error(s.Node("prefix"), "'" + s.Path("prefix") +
                                         "' must not start or end with '/' nor hold '//' "
                                         "(e.g. ecompipe-staging or warehouse/staging)");
  EP_RETURN_IF_ERROR(s.String("endpoint", st.endpoint));
  if (!st.endpoint.empty() && !st.endpoint.starts_with("http://") &&
      !st.endpoint.starts_with("https://"))
    return s.Error(s.Node("endpoint"),
                   "'" + s.Path("endpoint") + "' must start with http:// or https://");
  EP_RETURN_IF_ERROR(s.String("region", st.region));
  if (st.region.empty())
    return s.Error(s.Node("region"), "'" + s.Path("region") + "' must not be empty");
  EP_RETURN_IF_ERROR(s.String("addressing", st.addressing));
  if (!st.addressing.empty() && st.addressing != "path" && st.addressing != "virtual")
    return s.Error(s.Node("addressing"),
                   "'" + s.Path("addressing") + "' must be 'path' or 'virtual'");
  EP_RETURN_IF_ERROR(s.String("access_key_id", st.access_key_id));
  EP_RETURN_IF_ERROR(s.String("secret_access_key", st.secret_access_key));
  if (st.access_key_id.empty() != st.secret_access_key.empty())
    return s.Error("give both '" + s.Path("access_key_id") + "' and '" +
                   s.Path("secret_access_key") +
                   "', or neither (then AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are used)");
  EP_RETURN_IF_ERROR(s.String("iam_role", st.iam_role));
  if (s.Has("iam_role") &&
      (!st.iam_role.starts_with("arn:") || st.iam_role.find(":role/") == std::string::npos))
    return s.Error(s.Node("iam_role"), "'" + s.Path("iam_role") +
                                           "' must be an IAM role ARN "
                                           "(arn:aws:iam::<account>:role/<name>)");
  EP_RETURN_IF_ERROR(s.Int("min_rows", st.min_rows, 1, int64_t{1} << 40));
  EP_RETURN_IF_ERROR(s.Int("part_mb", st.part_mb, 1, 4096));
  return Status::Ok();
}

// password_env: NAME (state and warehouse on PostgreSQL): the password is read from that
// environment variable when connecting, so the file never holds it. Not with a password in
// the URL: it would be in two places.
bool TakePasswordEnvCopy(std::string url) { return !TakePasswordEnv(url).empty(); }

Status ParsePasswordEnv(const Reader& s, const std::string& url, std::string& out) {
  EP_RETURN_IF_ERROR(s.String("password_env", out));
  if (!s.Has("password_env")) return Status::Ok();
  if (!IsEnvVarName(out))
    return s.Error(s.Node("password_env"),
                   "'" + s.Path("password_env") +
                       "' must name an environment variable "
                       "(letters, digits and _, not starting with a digit), not '" +
                       out + "'");
  if (RedactConnInfo(url) != url || TakePasswordEnvCopy(url))
    return s.Error(s.Node("password_env"),
                   "'" + s.Path("password_env") +
                       "': the URL already gives a password; "
                       "give it in one place (password_env, and none in 'url')");
  return Status::Ok();
}

// storage: {type: s3, …}: the bucket on an S3-compatible server and how it reports new
// objects. Credentials may come from the environment, so they are not required here.
Status ParseS3Storage(const Reader& s, StorageConfig& st) {
  EP_RETURN_IF_ERROR(s.CheckKeys({"type", "bucket", "endpoint", "region", "addressing",
                                  "access_key_id", "secret_access_key", "events"}));
  EP_RETURN_IF_ERROR(s.String("bucket", st.bucket, true));
  EP_RETURN_IF_ERROR(s.String("endpoint", st.endpoint));
  if (!st.endpoint.empty() && st.endpoint.rfind("http://", 0) != 0 &&
      st.endpoint.rfind("https://", 0) != 0)
    return s.Error(s.Node("endpoint"), "'storage.endpoint' must start with http:// or https://");
  EP_RETURN_IF_ERROR(s.String("region", st.region));
  if (st.region.empty()) return s.Error(s.Node("region"), "'storage.region' must not be empty");
  EP_RETURN_IF_ERROR(s.String("addressing", st.addressing));
  if (!st.addressing.empty() && st.addressing != "path" && st.addressing != "virtual")
    return s.Error(s.Node("addressing"), "'storage.addressing' must be 'path' or 'virtual'");
  EP_RETURN_IF_ERROR(s.String("access_key_id", st.access_key_id));
  EP_RETURN_IF_ERROR(s.String("secret_access_key", st.secret_access_key));
  if (st.access_key_id.empty() != st.secret_access_key.empty())
    return s.Error(
        "give both 'storage.access_key_id' and 'storage.secret_access_key', or neither (then "
        "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are used)");
  const YAML::Node events = s.Node("events");
  if (!events.IsDefined() || events.IsNull()) return Status::Ok();
  if (!events.IsSequence()) return s.Error(events, "'storage.events' must be a list");
  for (size_t i = 0; i < events.size(); ++i) {
    Reader e = s.Child("events").Item(events[i], i);
    EP_RETURN_IF_ERROR(e.ExpectMap());
    S3EventSourceConfig src;
    src.line = events[i].Mark().line + 1;
    EP_RETURN_IF_ERROR(e.String("type", src.type, true));
    if (std::any_of(st.events.begin(), st.events.end(),
                    [&](const auto& o) { return o.type == src.type; }))
      return e.Error(e.Node("type"), "a second event source of type '" + src.type + "'");
    if (src.type == "sqs") {
      EP_RETURN_IF_ERROR(e.CheckKeys(
          {"type", "queue_url", "endpoint", "wait_time_seconds", "visibility_timeout_seconds"}));
      EP_RETURN_IF_ERROR(e.String("queue_url", src.queue_url, true));
      if (src.queue_url.rfind("http://", 0) != 0 && src.queue_url.rfind("https://", 0) != 0)
        return e.Error(e.Node("queue_url"),
                       "'" + e.Path("queue_url") + "' must be the queue's URL (https://sqs.…)");
      EP_RETURN_IF_ERROR(e.String("endpoint", src.endpoint));
      int64_t wait = src.wait_time_seconds;
      EP_RETURN_IF_ERROR(e.Int("wait_time_seconds", wait, 0, 20));
      src.wait_time_seconds = static_cast<int>(wait);
      int64_t visibility = src.visibility_timeout_seconds;
      EP_RETURN_IF_ERROR(e.Int("visibility_timeout_seconds", visibility, 2, 43200));
      src.visibility_timeout_seconds = static_cast<int>(visibility);
    } else if (src.type == "webhook") {
      EP_RETURN_IF_ERROR(e.CheckKeys({"type", "listen", "path", "token", "token_env"}));
      EP_RETURN_IF_ERROR(e.String("listen", src.listen));
      const size_t colon = src.listen.rfind(':');
      int port = -1;
      if (colon != std::string::npos) {
        const std::string p = src.listen.substr(colon + 1);
        auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
        if (ec != std::errc() || end != p.data() + p.size()) port = -1;
      }
      if (colon == std::string::npos || colon == 0 || port < 0 || port > 65535)
        return e.Error(e.Node("listen"),
                       "'" + e.Path("listen") + "' must be host:port (\"127.0.0.1:9100\")");
      EP_RETURN_IF_ERROR(e.String("path", src.path));
      if (src.path.empty() || src.path[0] != '/')
        return e.Error(e.Node("path"), "'" + e.Path("path") + "' must start with '/'");
      EP_RETURN_IF_ERROR(e.String("token", src.token));
      EP_RETURN_IF_ERROR(e.String("token_env", src.token_env));
      if (src.token.empty() == src.token_env.empty())
        return e.Error(
            "give 'token_env' (the name of the variable holding the shared secret) or 'token'");
    } else if (src.type == "reconcile") {
      EP_RETURN_IF_ERROR(e.CheckKeys({"type", "interval_seconds", "page_size"}));
      EP_RETURN_IF_ERROR(e.Int("interval_seconds", src.interval_seconds, 1, 86400 * 7));
      int64_t page = src.page_size;
      EP_RETURN_IF_ERROR(e.Int("page_size", page, 1, 1000));
      src.page_size = static_cast<int>(page);
    } else {
      return e.Error(e.Node("type"),
                     "'" + e.Path("type") + "': '" + src.type +
                         "' is not an event source (allowed: sqs, webhook, reconcile)");
    }
    st.events.push_back(std::move(src));
  }
  return Status::Ok();
}

}  // namespace

std::string StateConfig::Location() const {
  return shared() ? WithPasswordEnv(url, password_env) : path.string();
}

std::string WarehouseConfig::ConnInfo() const { return WithPasswordEnv(url, password_env); }

const JobConfig* PipelineConfig::FindJob(const std::string& name) const {
  for (const auto& j : jobs)
    if (j.name == name) return &j;
  return nullptr;
}

bool PipelineConfig::HasCrawler(const std::string& name) const {
  return std::any_of(crawlers.begin(), crawlers.end(),
                     [&](const auto& c) { return c.name == name; });
}

Result<PipelineConfig> ParseConfig(const std::string& text, const fs::path& path) {
  const std::string file = path.filename().empty() ? kConfigFileName : path.filename().string();
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument("invalid YAML: " + e.msg)
        .At(file + ":" + std::to_string(e.mark.line + 1));
  }
  PipelineConfig cfg;
  std::error_code ec;
  cfg.config_path = fs::absolute(path, ec);  // fails only for an empty path or no cwd
  if (ec) cfg.config_path = path;
  cfg.dir = cfg.config_path.parent_path();
  Reader r(root, file, "");
  if (!root.IsMap())
    return Status::InvalidArgument("the configuration must be a YAML mapping").At(file);
  try {
    EP_RETURN_IF_ERROR(r.CheckKeys({"pipeline", "storage", "state", "warehouse", "crawlers", "jobs",
                                    "topics", "rules", "retry", "s3_endpoint"}));
    if (r.Has("pipeline")) {
      Reader p = r.Child("pipeline");
      EP_RETURN_IF_ERROR(p.ExpectMap());
      EP_RETURN_IF_ERROR(p.CheckKeys({"account", "region"}));
      EP_RETURN_IF_ERROR(p.String("account", cfg.origin.account));
      EP_RETURN_IF_ERROR(p.String("region", cfg.origin.region));
    }
    std::string storage_path = "bucket", state_path = ".ecompipe/state.db",
                wh_path = "warehouse.db";
    if (r.Has("storage")) {
      Reader s = r.Child("storage");
      EP_RETURN_IF_ERROR(s.ExpectMap());
      EP_RETURN_IF_ERROR(s.String("type", cfg.storage.type));
      if (cfg.storage.type == "s3") {
        EP_RETURN_IF_ERROR(ParseS3Storage(s, cfg.storage));
      } else if (cfg.storage.type == "local") {
        EP_RETURN_IF_ERROR(s.CheckKeys({"type", "path", "bucket"}));
        EP_RETURN_IF_ERROR(s.PathString("path", storage_path));
        EP_RETURN_IF_ERROR(s.String("bucket", cfg.storage.bucket));
      } else {
        return s.Error(s.Node("type"), "'storage.type': '" + cfg.storage.type +
                                           "' is not supported (allowed: local, s3)");
      }
    }
    if (r.Has("state")) {
      Reader s = r.Child("state");
      EP_RETURN_IF_ERROR(s.ExpectMap());
      EP_RETURN_IF_ERROR(
          s.CheckKeys({"type", "path", "url", "password_env", "lease_seconds", "worker_id"}));
      EP_RETURN_IF_ERROR(s.String("type", cfg.state.type));
      if (cfg.state.type != "sqlite" && cfg.state.type != "postgres")
        return s.Error(s.Node("type"), "'state.type': '" + cfg.state.type +
                                           "' is not supported (allowed: sqlite, postgres)");
      if (cfg.state.type == "sqlite" && s.Has("url"))
        return s.Error(s.Node("url"),
                       "'state.url' is for type postgres; an sqlite state store takes 'path'");
      if (cfg.state.type == "sqlite" && s.Has("password_env"))
        return s.Error(
            s.Node("password_env"),
            "'state.password_env' is for type postgres; an sqlite state store has no password");
      if (cfg.state.type == "postgres" && s.Has("path"))
        return s.Error(s.Node("path"),
                       "'state.path' is for type sqlite; a postgres state store takes 'url'");
      EP_RETURN_IF_ERROR(s.PathString("path", state_path));
      EP_RETURN_IF_ERROR(s.String("url", cfg.state.url));
      if (cfg.state.type == "postgres") {
        if (cfg.state.url.empty()) cfg.state.url = "postgresql://";  // PG* variables, ~/.pgpass
        if (!IsPostgresUrl(cfg.state.url))
          return s.Error(s.Node("url"), "'state.url' must start with postgresql:// or postgres://");
        EP_RETURN_IF_ERROR(ParsePasswordEnv(s, cfg.state.url, cfg.state.password_env));
      }
      int64_t lease_seconds = cfg.state.lease_ms / 1000;
      EP_RETURN_IF_ERROR(s.Int("lease_seconds", lease_seconds, 1, 3600));
      cfg.state.lease_ms = lease_seconds * 1000;
      EP_RETURN_IF_ERROR(s.String("worker_id", cfg.state.worker_id));
    }
    if (r.Has("warehouse")) {
      Reader s = r.Child("warehouse");
      EP_RETURN_IF_ERROR(s.ExpectMap());
      EP_RETURN_IF_ERROR(s.CheckKeys(
          {"type", "path", "url", "password_env", "schema", "staging", "index_rebuild"}));
      EP_RETURN_IF_ERROR(s.String("type", cfg.warehouse.type));
      if (cfg.warehouse.type != "sqlite" && cfg.warehouse.type != "postgres" &&
          cfg.warehouse.type != "redshift")
        return s.Error(s.Node("type"),
                       "'warehouse.type': '" + cfg.warehouse.type +
                           "' is not supported (allowed: sqlite, postgres, redshift)");
      if (cfg.warehouse.type == "sqlite") {
        EP_RETURN_IF_ERROR(s.Forbid(
            "url", "applies to postgres and redshift warehouses only (this one is sqlite)"));
        EP_RETURN_IF_ERROR(s.Forbid(
            "schema", "applies to postgres and redshift warehouses only (this one is sqlite)"));
        EP_RETURN_IF_ERROR(
            s.Forbid("password_env",
                     "applies to postgres and redshift warehouses only (this one is sqlite)"));
        EP_RETURN_IF_ERROR(s.PathString("path", wh_path));
      } else {
        EP_RETURN_IF_ERROR(
            s.Forbid("path", "applies to the sqlite warehouse only; " + cfg.warehouse.type +
                                 " connects with 'url' (or the PG* environment variables)"));
        EP_RETURN_IF_ERROR(s.String("url", cfg.warehouse.url));
        const std::string& url = cfg.warehouse.url;
        // A URL, a key=value conninfo, or nothing (libpq then reads PGHOST, PGUSER, ...).
        if (s.Has("url") && !url.starts_with("postgresql://") && !url.starts_with("postgres://") &&
            url.find('=') == std::string::npos)
          return s.Error(s.Node("url"),
                         "'warehouse.url' must be a postgresql:// URL or a key=value connection "
                         "string (leave it out to use the PG* environment variables)");
        EP_RETURN_IF_ERROR(ParsePasswordEnv(s, url, cfg.warehouse.password_env));
        EP_RETURN_IF_ERROR(s.String("schema", cfg.warehouse.schema));
        const std::string& schema = cfg.warehouse.schema;
        bool identifier = !schema.empty() && schema.size() <= 63 &&
                          !std::isdigit(static_cast<unsigned char>(schema[0]));
        for (char ch : schema)
          identifier = identifier && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_');
        if (s.Has("schema") && !identifier)
          return s.Error(s.Node("schema"),
                         "'warehouse.schema' must be a plain identifier (letters, digits, _; "
                         "not starting with a digit; at most 63 characters)");
      }
      if (cfg.warehouse.type != "postgres") {
        EP_RETURN_IF_ERROR(s.Forbid("index_rebuild", "applies to the postgres warehouse only"));
      } else {
        EP_RETURN_IF_ERROR(s.String("index_rebuild", cfg.warehouse.index_rebuild));
        const std::string& rebuild = cfg.warehouse.index_rebuild;
        if (rebuild != "auto" && rebuild != "always" && rebuild != "never")
          return s.Error(s.Node("index_rebuild"),
                         "'warehouse.index_rebuild': '" + rebuild +
                             "' is not supported (allowed: auto, always, never)");
      }
      if (cfg.warehouse.type != "redshift") {
        EP_RETURN_IF_ERROR(s.Forbid("staging",
                                    "applies to the redshift warehouse only (PostgreSQL and SQLite "
                                    "load from the client directly)"));
      } else if (s.Has("staging")) {
        EP_RETURN_IF_ERROR(ParseRedshiftStaging(s.Child("staging"), cfg.warehouse.staging));
      }
    }
    cfg.storage.path = Resolve(cfg.dir, storage_path);
    cfg.state.path = Resolve(cfg.dir, state_path);
    cfg.warehouse.path = Resolve(cfg.dir, wh_path);
    if (r.Has("retry")) {
      Reader s = r.Child("retry");
      EP_RETURN_IF_ERROR(s.ExpectMap());
      EP_RETURN_IF_ERROR(s.CheckKeys({"max_attempts", "base_delay_ms", "max_delay_ms"}));
      int64_t v = cfg.retry.max_attempts;
      EP_RETURN_IF_ERROR(s.Int("max_attempts", v, 1, 1000));
      cfg.retry.max_attempts = static_cast<int>(v);
      EP_RETURN_IF_ERROR(s.Int("base_delay_ms", cfg.retry.base_delay_ms, 1, 3600000));
      EP_RETURN_IF_ERROR(s.Int("max_delay_ms", cfg.retry.max_delay_ms, 1, 86400000));
    }
    const YAML::Node crawlers = r.Node("crawlers");
    if (crawlers.IsDefined() && !crawlers.IsNull()) {
      if (!crawlers.IsSequence()) return r.Error(crawlers, "'crawlers' must be a list");
      for (size_t i = 0; i < crawlers.size(); ++i) {
        Reader c = r.Child("crawlers").Item(crawlers[i], i);
        EP_RETURN_IF_ERROR(c.ExpectMap());
        EP_RETURN_IF_ERROR(c.CheckKeys({"name", "header"}));
        CrawlerConfig cc;
        EP_RETURN_IF_ERROR(c.String("name", cc.name, true));
        std::string header(catalog::HeaderModeName(cc.header));
        EP_RETURN_IF_ERROR(c.String("header", header));
        std::optional<catalog::HeaderMode> mode = catalog::ParseHeaderMode(header);
        if (!mode)
          return c.Error(c.Node("header"),
                         "'" + c.Path("header") + "': '" + header +
                             "' is not supported (allowed: detect, present, absent)");
        cc.header = *mode;
        if (cfg.HasCrawler(cc.name))
          return c.Error(c.Node("name"), "duplicate crawler name '" + cc.name + "'");
        cfg.crawlers.push_back(cc);
      }
    }
    EP_RETURN_IF_ERROR(ParseJobs(r, cfg));
    EP_RETURN_IF_ERROR(ParseTopics(r, cfg));
    EP_RETURN_IF_ERROR(ParseRules(r, cfg));
    EP_RETURN_IF_ERROR(ParseS3Endpoint(r, cfg));
    if (cfg.s3_endpoint.enabled && cfg.storage.type == "s3")
      return r.Error(r.Node("s3_endpoint"),
                     "'s3_endpoint' serves a local bucket; with storage.type s3 "
                     "clients use that S3 server directly");
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(e.msg).At(file + ":" + std::to_string(e.mark.line + 1));
  }
  return cfg;
}

Result<PipelineConfig> LoadConfig(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot read configuration file " + path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseConfig(ss.str(), path);
}

Result<fs::path> FindConfig(const std::string& explicit_path) {
  if (!explicit_path.empty()) {
    if (!fs::exists(explicit_path))
      return Status::NotFound("configuration file " + explicit_path + " does not exist");
    return fs::path(explicit_path);
  }
  if (fs::exists(kConfigFileName)) return fs::path(kConfigFileName);
  return Status::NotFound(std::string("no ") + kConfigFileName +
                          " in this folder: run `ecompipe init` to create a pipeline here, or "
                          "pass -c FILE");
}

std::string DefaultConfigText() {
  return R"yaml(# ecompipe pipeline configuration.
#
# Files land in the bucket; each landing is an event; rules route events to targets
# (crawlers, jobs, topics, webhooks), as S3 -> EventBridge -> Glue -> SNS do in AWS.
# Every relative path below is relative to this file's folder.
# Reference: docs/configuration.md in the ecompipe sources.

pipeline:
  account: "000000000000"      # the "account" field of every event
  region: local                # the "region" field of every event

# The bucket: a local folder watched with inotify (and rescanned at start).
storage:
  type: local
  path: bucket
  bucket: raw-transactions

# Event log, catalog, job runs and notification outbox.
state:
  type: sqlite
  path: .ecompipe/state.db
  # Several `ecompipe serve` workers (on one or more machines) share one pipeline through
  # PostgreSQL; each claims work under a lease it renews while working:
  # type: postgres
  # url: postgresql://ecompipe@db.example/ecompipe   # or PG* variables and ~/.pgpass
  # password_env: ECOMPIPE_PG_PASSWORD               # the password, from this variable
  # lease_seconds: 30

# The star schema: dim_products, dim_customers, fact_transactions, rejects, load_ledger.
warehouse:
  type: sqlite
  path: warehouse.db
  # PostgreSQL or Redshift instead (docs/warehouse.md); the password can come from a variable
  # named by password_env, PGPASSWORD or ~/.pgpass, and is never printed:
  # type: postgres
  # url: postgresql://loader@db.example:5432/dw?sslmode=require
  # password_env: DW_PASSWORD
  # schema: shop
  # index_rebuild: auto        # postgres: drop and recreate the fact indexes around big loads
  # Redshift (type: redshift) stages loads of 100000+ facts to S3 and COPYs them from there:
  # staging: {bucket: my-staging, region: eu-west-1, iam_role: "arn:aws:iam::123456789012:role/copy"}

crawlers:
  - name: transactions         # infers format, columns and partitions into the catalog
    header: detect             # CSV first row: detect | present | absent (a header or data)

jobs:
  - name: ecommerce_data_processing
    table: transactions        # loads new objects of this catalog table
    on_reload: replace         # a re-uploaded file (new ETag): replace | append | ignore
    max_reject_rate: 0.5       # quality gate, per object: more rejected than this fails the run
    min_rows: 1                # ... and so does loading fewer rows than this (0: no minimum)
    threads: 0                 # CSV workers; 0 = one per core (results never depend on it)
    # What the job does: the reference job, spelled out. Edit any part; each list given here
    # replaces the built-in one (docs/configuration.md, "The job"). A row is checked in this
    # order and rejected with the reason of the first check it fails.
    columns: [transaction_id, customer_id, product_id, quantity, price, transaction_date,
              payment_type, status]            # input columns, by header name
    validations:               # required, pattern (whole value), date, min/max, unique
      - {column: transaction_id, required: true, reason: missing_transaction_id}
      - {name: transaction_id_format, column: transaction_id, pattern: "TXN[0-9]+",
         reason: malformed_transaction_id}
      - {column: customer_id, pattern: "C[0-9]+", reason: malformed_customer_id}
      - {column: product_id, pattern: "P[0-9]+", reason: malformed_product_id}
      - {column: quantity, pattern: "[0-9]{1,9}", min: 1, reason: invalid_quantity}
      - {column: price, pattern: "[0-9]{1,12}(\\.[0-9]{1,2})?", reason: invalid_price}
      - {column: transaction_date, date: true, reason: invalid_date}
      # - {name: recent, column: transaction_date, date: true, min: "2024-01-01"}
      - {name: transaction_id_unique, column: transaction_id, unique: true,
         reason: duplicate_transaction_id}   # unique checks run last, in file order
    lookups:                   # joins; a key not in the dimension rejects the row
      - {dimension: customers, key: customer_id, columns: {email: customer_email},
         reason: unknown_customer_id}
      - {dimension: products, key: product_id, columns: [product_name, supplier_id],
         reason: unknown_product_id}
    derived:                   # exact decimals: + - * and parentheses, rounded to scale
      - {name: total_amount, expr: "quantity * price", scale: 2, reason: total_out_of_range}
    classification:            # a label by a numeric column; bounds are inclusive
      column: total_amount
      output: transaction_type
      bins:
        - {max: "100.00", label: Small}
        - {max: "500.00", label: Medium}
        - {label: Large}
    output:                    # the fact_transactions columns, in order
      - transaction_id
      - customer_id
      - customer_email
      - product_id
      - product_name
      - {name: quantity, type: integer}
      - supplier_id
      - {name: price, type: decimal, scale: 2}
      - transaction_date
      - transaction_type
      - payment_type
      - status
      - total_amount

topics:
  - name: pipeline-status
    subscriptions:
      - {type: log, path: notifications.jsonl}
      # - {type: webhook, url: "http://localhost:9000/hooks/ecompipe"}
      # - {type: webhook, url: "http://oncall.example/hook", filter: {detail: {state: [FAILED]}}}
      # - {type: webhook, url: "https://hooks.example/ecompipe", secret_env: ECOMPIPE_WEBHOOK_SECRET,
      #    timeout: 5s, backoff_base: 2s, backoff_max: 5m}
      # - type: email                       # docs/notifications.md lists every key
      #   url: smtp://mail.example:587
      #   starttls: true
      #   username: ecompipe
      #   password_env: SMTP_PASSWORD
      #   from: "ecompipe <ecompipe@example.com>"
      #   to: [data-team@example.com]
      #   max_per_hour: 6                   # a storm beyond this becomes one digest
      # - {type: email, url: "smtp://mail.example:587", from: ecompipe@example.com,
      #    to: oncall@example.com, filter_policy: {state: [FAILED, TIMEOUT]}}
      # - {type: sns, topic_arn: "arn:aws:sns:eu-west-1:123456789012:pipeline-status"}

# An S3-compatible endpoint for `ecompipe serve`, so boto3, the AWS CLI and rclone upload
# into the bucket unchanged (docs/configuration.md, "The S3 endpoint").
# s3_endpoint:
#   listen: 127.0.0.1:9000
#   region: us-east-1
#   access_keys:
#     - {id: AKIAECOMPIPE0001, secret_env: ECOMPIPE_S3_SECRET}
#   # Slow and idle clients (docs/s3.md): the request head must arrive within header_timeout;
#   # more than max_connections_per_address from one address get 503 SlowDown.
#   # header_timeout: 10s
#   # max_connections_per_address: 128

# Rules use EventBridge's pattern syntax. Sources are "ecompipe.s3" and "ecompipe.glue"
# (AWS's "aws.s3" and "aws.glue"); detail-types and detail fields are AWS's own.
rules:
  - name: transactions-landed          # S3 upload -> Lambda -> start the crawler
    pattern:
      source: [ecompipe.s3]
      detail-type: [Object Created]
      detail: {object: {key: [{prefix: transactions/}]}}
    targets: [{type: start_crawler, name: transactions}]

  - name: crawler-succeeded            # crawler success -> start the Glue job
    pattern:
      source: [ecompipe.glue]
      detail-type: [Glue Crawler State Change]
      detail: {crawlerName: [transactions], state: [Succeeded]}
    targets: [{type: start_job, name: ecommerce_data_processing}]

  - name: job-state-changed            # job state change -> SNS topic -> subscribers
    pattern:
      source: [ecompipe.glue]
      detail-type: [Glue Job State Change]
      detail: {jobName: [ecommerce_data_processing], state: [SUCCEEDED, FAILED, TIMEOUT, STOPPED]}
    targets: [{type: publish, name: pipeline-status}]

  - name: crawler-failed               # a file the crawler cannot read is reported too
    pattern:
      source: [ecompipe.glue]
      detail-type: [Glue Crawler State Change]
      detail: {state: [Failed]}
    targets: [{type: publish, name: pipeline-status}]

  - name: products-landed              # dimension files upsert their table
    pattern:
      source: [ecompipe.s3]
      detail-type: [Object Created]
      detail: {object: {key: [{prefix: dimensions/products/}]}}
    targets: [{type: upsert_dimension, name: products}]

  - name: customers-landed
    pattern:
      source: [ecompipe.s3]
      detail-type: [Object Created]
      detail: {object: {key: [{prefix: dimensions/customers/}]}}
    targets: [{type: upsert_dimension, name: customers}]
)yaml";
}

}  // namespace ecompipe::runtime
