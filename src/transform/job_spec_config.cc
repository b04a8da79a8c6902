#include "transform/job_spec_config.h"

#include <map>
#include <optional>
#include <string_view>

#include "model/money.h"
#include "transform/expression.h"

namespace ecompipe::transform {

using model::ColumnType;
using model::Money;
using model::OutputColumn;
using model::ParseMoney;

const std::vector<std::string>& JobSpecKeys() {
  static const std::vector<std::string> keys = {"classification", "max_record_bytes", "threads",
                                                "chunk_bytes",    "columns",          "validations",
                                                "lookups",        "derived",          "output"};
  return keys;
}

// jobs[i]'s job specification keys (job_spec.h); each given list replaces the reference's.
Status ParseJobSpec(const ConfigReader& r, JobSpec& spec) {
  int64_t max_record = static_cast<int64_t>(spec.max_record_bytes);
  EP_RETURN_IF_ERROR(r.Int("max_record_bytes", max_record, 1024, 1LL << 30));
  spec.max_record_bytes = static_cast<size_t>(max_record);
  EP_RETURN_IF_ERROR(r.Int("threads", spec.threads, 0, 256));  // 0: one per core
  int64_t chunk = static_cast<int64_t>(spec.chunk_bytes);
  EP_RETURN_IF_ERROR(r.Int("chunk_bytes", chunk, 1, 1LL << 30));
  spec.chunk_bytes = static_cast<size_t>(chunk);
  std::map<std::string, int> derived_scale;
  EP_RETURN_IF_ERROR(r.List(
      "columns", spec.columns,
      [&](const ConfigReader& ir, const YAML::Node& n, std::string& out) -> Status {
        if (!n.IsScalar() || n.Scalar().empty())
          return ir.Error(n, "each item of '" + r.Path("columns") + "' must be a column name");
        out = n.Scalar();
        return Status::Ok();
      }));
  EP_RETURN_IF_ERROR(r.List(
      "validations", spec.validations,
      [](const ConfigReader& vr, const YAML::Node&, Validation& v) -> Status {
        EP_RETURN_IF_ERROR(vr.ExpectMap());
        EP_RETURN_IF_ERROR(vr.CheckKeys(
            {"name", "column", "reason", "required", "pattern", "date", "min", "max", "unique"}));
        EP_RETURN_IF_ERROR(vr.String("column", v.column, true));
        v.name = v.column;
        EP_RETURN_IF_ERROR(vr.String("name", v.name));
        EP_RETURN_IF_ERROR(vr.String("reason", v.reason));
        EP_RETURN_IF_ERROR(vr.Bool("required", v.required));
        EP_RETURN_IF_ERROR(vr.String("pattern", v.pattern));
        if (vr.Has("pattern") && v.pattern.empty())
          return vr.Error(vr.Node("pattern"), "'" + vr.Path("pattern") + "' must not be empty");
        EP_RETURN_IF_ERROR(vr.Bool("date", v.date));
        EP_RETURN_IF_ERROR(vr.Bool("unique", v.unique));
        for (const char* key : {"min", "max"}) {
          if (!vr.Has(key)) continue;
          std::string text;
          EP_RETURN_IF_ERROR(vr.String(key, text));
          (std::string_view(key) == "min" ? v.min : v.max) = text;
        }
        return Status::Ok();
      }));
  EP_RETURN_IF_ERROR(r.List(
      "lookups", spec.lookups, [](const ConfigReader& lr, const YAML::Node&, Lookup& l) -> Status {
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
            return lr.Error(k,
                            "'" + lr.Path("columns") +
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
          return lr.Error(cols,
                          "'" + lr.Path("columns") +
                              "' lists dimension columns, as [email] or {email: customer_email}");
        }
        return Status::Ok();
      }));
  EP_RETURN_IF_ERROR(r.List("derived", spec.derived,
                            [](const ConfigReader& dr, const YAML::Node&, Derived& d) -> Status {
                              EP_RETURN_IF_ERROR(dr.ExpectMap());
                              EP_RETURN_IF_ERROR(dr.CheckKeys({"name", "expr", "scale", "reason"}));
                              EP_RETURN_IF_ERROR(dr.String("name", d.name, true));
                              EP_RETURN_IF_ERROR(dr.String("expr", d.expr, true));
                              EP_RETURN_IF_ERROR(dr.String("reason", d.reason));
                              int64_t scale = d.scale;
                              EP_RETURN_IF_ERROR(dr.Int("scale", scale, 0, kMaxDecimalScale));
                              d.scale = static_cast<int>(scale);
                              return Status::Ok();
                            }));
  for (const Derived& d : spec.derived) derived_scale[d.name] = d.scale;

  if (r.Has("classification")) {
    // A list of bins (over total_amount, into transaction_type), or {column, output, bins}.
    // No YAML::Node or Reader is reassigned here: assigning a YAML::Node writes into the tree.
    const YAML::Node node = r.Node("classification");
    const ConfigReader cr = r.Child("classification");
    if (node.IsMap()) {
      EP_RETURN_IF_ERROR(cr.CheckKeys({"column", "output", "bins"}));
      EP_RETURN_IF_ERROR(cr.String("column", spec.classify_column));
      EP_RETURN_IF_ERROR(cr.String("output", spec.label_column));
      if (!cr.Has("bins")) return cr.Error("missing required key '" + cr.Path("bins") + "'");
    }
    const YAML::Node bins = node.IsMap() ? cr.Node("bins") : node;
    const ConfigReader bins_reader = node.IsMap() ? cr.Child("bins") : cr;
    const std::string bins_path = node.IsMap() ? cr.Path("bins") : r.Path("classification");
    if (!bins.IsSequence() || bins.size() == 0)
      return r.Error(bins, "'" + bins_path + "' must be a non-empty list of {max, label}");
    spec.bins.clear();
    std::optional<Money> last;
    for (size_t b = 0; b < bins.size(); ++b) {
      ConfigReader br = bins_reader.Item(bins[b], b);
      EP_RETURN_IF_ERROR(br.ExpectMap());
      EP_RETURN_IF_ERROR(br.CheckKeys({"max", "label"}));
      ClassBin bin;
      EP_RETURN_IF_ERROR(br.String("label", bin.label, true));
      if (br.Has("max")) {
        std::string text;
        EP_RETURN_IF_ERROR(br.String("max", text));
        bin.upper = ParseMoney(text);
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

  EP_RETURN_IF_ERROR(r.List(
      "output", spec.output,
      [&](const ConfigReader& orr, const YAML::Node& n, OutputColumn& o) -> Status {
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
          EP_RETURN_IF_ERROR(orr.Int("scale", scale, 0, kMaxDecimalScale));
          o.scale = static_cast<int>(scale);
        }
        return Status::Ok();
      }));

  if (Status s = CheckJobSpec(spec); !s.ok()) {
    const std::string& place = s.place();
    const std::string top = place.substr(0, place.find_first_of(".["));
    const bool given = r.Has(top) || (top == "classification" && r.Has("classification"));
    std::string msg = "'" + r.Path(place) + "': " + s.message();
    if (!given)
      msg += " (in the reference job's '" + top + "'; give '" + r.Path(top) + "' to replace it)";
    if (!given) return r.Error(msg);
    std::optional<int> line = PlaceLines(r.node(), "", true).LineOf(place);
    return line ? r.ErrorAtLine(*line, msg) : r.Error(msg);
  }
  return Status::Ok();
}

}  // namespace ecompipe::transform
