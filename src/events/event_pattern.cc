#include "events/event_pattern.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <iterator>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/did_you_mean.h"
#include "events/event_pattern_values.h"

namespace ecompipe::events {
namespace event_pattern_internal {

// One leaf array of the pattern: matches when any of its elements matches a value of the field.
struct Leaf {
  ValueSet any_of;                     // literals and the positive operators
  std::vector<ValueSet> anything_but;  // each matches a present value outside its set
  bool exists = false;                 // {"exists": true}
  bool absent = false;                 // {"exists": false}

  bool MatchesPresent(const LeafValue& value) const;
  bool Matches(const Json* field) const;
};

struct Node;

// What one pattern object requires of one of its fields.
struct Field {
  // All must match. There is more than one only when "$or" alternatives constrain a field that
  // is also constrained beside the "$or".
  std::vector<std::shared_ptr<const Leaf>> leaves;
  std::shared_ptr<const Node> object;  // the nested pattern object, if any
};

// A pattern object with its "$or"s expanded away: it matches when every field matches.
struct Node {
  std::map<std::string, Field> fields;
};

struct Compiled {
  Json source;
  // The pattern in disjunctive form: it matches an event when any alternative does. As in Event
  // Ruler, "$or" is expanded at compile time so that every alternative is a plain tree, and the
  // rule that fields of one pattern object come from one array element holds across "$or"s.
  std::vector<std::shared_ptr<const Node>> alternatives;
};

namespace {

constexpr std::string_view kOr = "$or";
constexpr std::array<std::string_view, 8> kOperators = {
    "prefix", "suffix", "equals-ignore-case", "wildcard", "anything-but", "numeric",
    "cidr",   "exists"};
constexpr std::string_view kOperatorList =
    "prefix, suffix, equals-ignore-case, wildcard, anything-but, numeric, cidr or exists";

// Calls `visit` on `value` when it is not an array, otherwise on every non-array value nested in
// it at any depth, and stops at the first call that returns true. Returns whether one did.
// Nested arrays are walked with an explicit stack: hostile nesting cannot overflow the C++ stack.
template <typename Visit>
bool AnyElement(const Json& value, Visit&& visit) {
  if (!value.is_array()) return visit(value);
  std::vector<std::pair<const Json*, size_t>> stack = {{&value, 0}};
  while (!stack.empty()) {
    auto& [array, next] = stack.back();
    if (next == array->size()) {
      stack.pop_back();
      continue;
    }
    const Json& element = (*array)[next++];
    if (element.is_array()) {
      stack.emplace_back(&element, 0);
    } else if (visit(element)) {
      return true;
    }
  }
  return false;
}

bool MatchNode(const Node& node, const Json* object);

// `value` is the event's value for a field whose pattern is the object `node`. Objects found in
// it (directly or in arrays) are tried one at a time, so that the node's fields all come from
// the same element. A missing field, or one holding no object, matches only a node whose tests
// accept absence (exists:false).
bool MatchNested(const Node& node, const Json* value) {
  if (value == nullptr) return MatchNode(node, nullptr);
  bool saw_object = false;
  const bool matched = AnyElement(*value, [&](const Json& element) {
    if (!element.is_object()) return false;
    saw_object = true;
    return MatchNode(node, &element);
  });
  return matched || (!saw_object && MatchNode(node, nullptr));
}

// `object` is an event object, or nullptr when there is none at this place (every field is then
// missing). Recursion follows the pattern, whose depth Parse() bounds, never the event.
bool MatchNode(const Node& node, const Json* object) {
  for (const auto& [name, field] : node.fields) {
    const Json* value = nullptr;
    if (object != nullptr) {
      const auto it = object->find(name);
      if (it != object->end()) value = &*it;
    }
    for (const auto& leaf : field.leaves) {
      if (!leaf->Matches(value)) return false;
    }
    if (field.object != nullptr && !MatchNested(*field.object, value)) return false;
  }
  return true;
}

Status Invalid(const std::string& path, std::string message) {
  return Status::InvalidArgument(std::move(message)).At(path);
}

Status Placed(Status status, const std::string& path) { return std::move(status).At(path); }

std::string Indexed(const std::string& path, size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

// A short rendering of a pattern value for error messages.
std::string Excerpt(const Json& value) {
  std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  constexpr size_t kMax = 40;
  if (text.size() <= kMax) return text;
  size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // UTF-8
  return text.substr(0, cut) + "...";
}

std::string UnknownOperatorMessage(const std::string& name) {
  std::string message = "unknown operator '" + name + "'";
  for (std::string_view known : kOperators) {
    if (EditDistance(name, known) <= 2) {
      return message + " (did you mean '" + std::string(known) + "'?)";
    }
  }
  return message + "; expected " + std::string(kOperatorList);
}

bool IsOperatorName(std::string_view name) {
  return std::find(kOperators.begin(), kOperators.end(), name) != kOperators.end();
}

// The deepest nesting of objects and arrays in `root`, counting root as level 1, is above
// `limit`. Iterative, so that checking a hostile pattern cannot itself overflow the stack.
bool DeeperThan(const Json& root, int limit) {
  std::vector<std::pair<const Json*, int>> stack = {{&root, 1}};
  while (!stack.empty()) {
    const auto [value, depth] = stack.back();
    stack.pop_back();
    if (depth > limit) return true;
    for (const Json& child : *value) {
      if (child.is_structured()) stack.emplace_back(&child, depth + 1);
    }
  }
  return false;
}

Result<double> FiniteNumber(const Json& value, const std::string& path, std::string_view what) {
  if (!value.is_number()) {
    return Invalid(path, std::string(what) + " must be a number, not " + Excerpt(value));
  }
  const double number = value.get<double>();
  if (!std::isfinite(number)) return Invalid(path, std::string(what) + " must be finite");
  return number;
}

Result<std::string> StringArgument(const Json& value, const std::string& path,
                                   std::string_view op) {
  if (!value.is_string()) {
    return Invalid(path, std::string(op) + " takes a string, not " + Excerpt(value));
  }
  return value.get<std::string>();
}

// The argument of prefix or suffix: "text" or {"equals-ignore-case": "text"}. Returns the text
// to compare (case-folded when ignoring case) and whether case is ignored.
Result<std::pair<std::string, bool>> AffixArgument(const Json& value, const std::string& path,
                                                   std::string_view op) {
  if (value.is_string()) return std::pair(value.get<std::string>(), false);
  if (value.is_object() && value.size() == 1 && value.contains("equals-ignore-case")) {
    EP_ASSIGN_OR_RETURN(std::string text,
                        StringArgument(value["equals-ignore-case"], path + ".equals-ignore-case",
                                       "equals-ignore-case"));
    return std::pair(FoldCase(text), true);
  }
  return Invalid(path, std::string(op) +
                           " takes a string or {\"equals-ignore-case\": string}, not " +
                           Excerpt(value));
}

// ["=", n], [">" | ">=", low], ["<" | "<=", high] or [">" | ">=", low, "<" | "<=", high].
Result<NumericRange> CompileNumeric(const Json& value, const std::string& path) {
  if (!value.is_array() || value.empty()) {
    return Invalid(path,
                   "numeric takes an array such as [\">\", 0, \"<=\", 5], not " + Excerpt(value));
  }
  const auto operator_at = [&](size_t i) -> Result<std::string> {
    if (!value[i].is_string()) {
      return Invalid(Indexed(path, i),
                     "expected a comparison operator (=, <, <=, >, >=), not " + Excerpt(value[i]));
    }
    return value[i].get<std::string>();
  };
  const auto operand_at = [&](size_t i, const std::string& op) -> Result<double> {
    if (i >= value.size()) return Invalid(path, "'" + op + "' needs a number after it");
    return FiniteNumber(value[i], Indexed(path, i), "the operand of '" + op + "'");
  };
  const auto nothing_after = [&](size_t i, std::string_view why) -> Status {
    if (value.size() > i) return Invalid(Indexed(path, i), std::string(why));
    return Status::Ok();
  };

  NumericRange range;
  EP_ASSIGN_OR_RETURN(const std::string first, operator_at(0));
  if (first == "=") {
    EP_ASSIGN_OR_RETURN(range.low, operand_at(1, first));
    range.high = range.low;
    EP_RETURN_IF_ERROR(nothing_after(2, "'=' takes exactly one number; nothing may follow it"));
  } else if (first == ">" || first == ">=") {
    EP_ASSIGN_OR_RETURN(range.low, operand_at(1, first));
    range.low_open = first == ">";
    if (value.size() > 2) {
      EP_ASSIGN_OR_RETURN(const std::string second, operator_at(2));
      if (second != "<" && second != "<=") {
        return Invalid(Indexed(path, 2),
                       "after a lower bound expected '<' or '<=', not '" + second + "'");
      }
      EP_ASSIGN_OR_RETURN(range.high, operand_at(3, second));
      range.high_open = second == "<";
      EP_RETURN_IF_ERROR(
          nothing_after(4, "too many elements; a range is [\">\", low, \"<\", high] at most"));
      if (!(range.low < range.high)) {
        return Invalid(path, "the lower bound must be less than the upper bound");
      }
    }
  } else if (first == "<" || first == "<=") {
    EP_ASSIGN_OR_RETURN(range.high, operand_at(1, first));
    range.high_open = first == "<";
    EP_RETURN_IF_ERROR(
        nothing_after(2, "an upper bound ends the range; put the lower bound ('>' or '>=') first"));
  } else {
    return Invalid(Indexed(path, 0),
                   "unknown numeric operator '" + first + "'; expected =, <, <=, > or >=");
  }
  return range;
}

NumericRange Exactly(double number) { return NumericRange{number, false, number, false}; }

// What an anything-but excludes: a string, a number, a list of only strings or only numbers, or
// one of {prefix | suffix | equals-ignore-case | wildcard: ...}.
Result<ValueSet> CompileAnythingBut(const Json& value, const std::string& path) {
  ValueSet excluded;
  if (value.is_string()) {
    excluded.strings.insert(value.get<std::string>());
  } else if (value.is_number()) {
    EP_ASSIGN_OR_RETURN(const double number, FiniteNumber(value, path, "anything-but"));
    excluded.tests.emplace_back(Exactly(number));
  } else if (value.is_array()) {
    if (value.empty()) return Invalid(path, "anything-but lists must not be empty");
    bool has_string = false;
    bool has_number = false;
    for (size_t i = 0; i < value.size(); ++i) {
      const Json& element = value[i];
      if (element.is_string()) {
        has_string = true;
        excluded.strings.insert(element.get<std::string>());
      } else if (element.is_number()) {
        has_number = true;
        EP_ASSIGN_OR_RETURN(const double number,
                            FiniteNumber(element, Indexed(path, i), "anything-but values"));
        excluded.tests.emplace_back(Exactly(number));
      } else {
        return Invalid(
            Indexed(path, i),
            "anything-but lists hold only strings or only numbers, not " + Excerpt(element));
      }
    }
    if (has_string && has_number) {
      return Invalid(path, "anything-but lists must be all strings or all numbers, not a mix");
    }
  } else if (value.is_object() && value.size() == 1) {
    const std::string& op = value.begin().key();
    const Json& argument = value.begin().value();
    const std::string op_path = path + "." + op;
    if (op == "prefix" || op == "suffix") {
      EP_ASSIGN_OR_RETURN(std::string text,
                          StringArgument(argument, op_path, "anything-but " + op));
      if (text.empty()) return Invalid(op_path, "anything-but " + op + " must not be empty");
      if (op == "prefix") {
        excluded.tests.emplace_back(PrefixTest{std::move(text), false});
      } else {
        excluded.tests.emplace_back(SuffixTest{std::move(text), false});
      }
    } else if (op == "equals-ignore-case") {
      if (argument.is_array() && !argument.empty()) {
        for (size_t i = 0; i < argument.size(); ++i) {
          EP_ASSIGN_OR_RETURN(std::string text, StringArgument(argument[i], Indexed(op_path, i),
                                                               "equals-ignore-case"));
          excluded.tests.emplace_back(EqualsIgnoreCaseTest{FoldCase(text)});
        }
      } else {
        if (argument.is_array()) {
          return Invalid(op_path, "equals-ignore-case lists must not be empty");
        }
        EP_ASSIGN_OR_RETURN(std::string text,
                            StringArgument(argument, op_path, "anything-but equals-ignore-case"));
        excluded.tests.emplace_back(EqualsIgnoreCaseTest{FoldCase(text)});
      }
    } else if (op == "wildcard") {
      EP_ASSIGN_OR_RETURN(std::string text,
                          StringArgument(argument, op_path, "anything-but wildcard"));
      Result<Wildcard> wildcard = Wildcard::Parse(text);
      if (!wildcard.ok()) return Placed(wildcard.status(), op_path);
      excluded.tests.emplace_back(std::move(wildcard).value());
    } else {
      return Invalid(
          op_path,
          "anything-but takes prefix, suffix, equals-ignore-case or wildcard, not '" + op + "'");
    }
  } else {
    return Invalid(path,
                   "anything-but takes a string, a number, a list of strings or of numbers, or one "
                   "of {prefix|suffix|equals-ignore-case|wildcard: ...}, not " +
                       Excerpt(value));
  }
  return excluded;
}

// One operator object of a leaf array, such as {"prefix": "incoming/"}, added to `leaf`.
Status CompileOperator(const Json& object, const std::string& path, Leaf& leaf) {
  if (object.size() != 1) {
    return Invalid(path, "an operator object holds exactly one of " + std::string(kOperatorList) +
                             ", found " + std::to_string(object.size()) + " keys");
  }
  const std::string& op = object.begin().key();
  const Json& argument = object.begin().value();
  const std::string op_path = path + "." + op;
  if (op == "prefix" || op == "suffix") {
    EP_ASSIGN_OR_RETURN(auto affix, AffixArgument(argument, op_path, op));
    auto& [text, ignore_case] = affix;
    if (op == "prefix") {
      leaf.any_of.tests.emplace_back(PrefixTest{std::move(text), ignore_case});
    } else {
      leaf.any_of.tests.emplace_back(SuffixTest{std::move(text), ignore_case});
    }
  } else if (op == "equals-ignore-case") {
    EP_ASSIGN_OR_RETURN(std::string text, StringArgument(argument, op_path, op));
    leaf.any_of.tests.emplace_back(EqualsIgnoreCaseTest{FoldCase(text)});
  } else if (op == "wildcard") {
    EP_ASSIGN_OR_RETURN(std::string text, StringArgument(argument, op_path, op));
    Result<Wildcard> wildcard = Wildcard::Parse(text);
    if (!wildcard.ok()) return Placed(wildcard.status(), op_path);
    leaf.any_of.tests.emplace_back(std::move(wildcard).value());
  } else if (op == "anything-but") {
    EP_ASSIGN_OR_RETURN(ValueSet excluded, CompileAnythingBut(argument, op_path));
    leaf.anything_but.push_back(std::move(excluded));
  } else if (op == "numeric") {
    EP_ASSIGN_OR_RETURN(NumericRange range, CompileNumeric(argument, op_path));
    leaf.any_of.tests.emplace_back(range);
  } else if (op == "cidr") {
    EP_ASSIGN_OR_RETURN(std::string text, StringArgument(argument, op_path, op));
    Result<CidrBlock> block = CidrBlock::Parse(text);
    if (!block.ok()) return Placed(block.status(), op_path);
    leaf.any_of.tests.emplace_back(std::move(block).value());
  } else if (op == "exists") {
    if (!argument.is_boolean()) {
      return Invalid(op_path, "exists takes true or false, not " + Excerpt(argument));
    }
    if (argument.get<bool>()) {
      leaf.exists = true;
    } else {
      leaf.absent = true;
    }
  } else {
    return Invalid(path, UnknownOperatorMessage(op));
  }
  return Status::Ok();
}

Result<std::shared_ptr<const Leaf>> CompileLeaf(const Json& array, const std::string& path) {
  if (array.empty()) return Invalid(path, "leaf arrays must not be empty; list at least one value");
  auto leaf = std::make_shared<Leaf>();
  for (size_t i = 0; i < array.size(); ++i) {
    const Json& element = array[i];
    const std::string element_path = Indexed(path, i);
    if (element.is_string()) {
      leaf->any_of.strings.insert(element.get<std::string>());
    } else if (element.is_number()) {
      if (Result<double> number = FiniteNumber(element, element_path, "a number"); !number.ok()) {
        return number.status();
      }
      leaf->any_of.literals.push_back(element);
    } else if (element.is_boolean() || element.is_null()) {
      leaf->any_of.literals.push_back(element);
    } else if (element.is_object()) {
      EP_RETURN_IF_ERROR(CompileOperator(element, element_path, *leaf));
    } else if (element.is_array()) {
      return Invalid(element_path, "arrays may not be nested in a leaf; list the values directly");
    } else {
      return Invalid(element_path, "unsupported value " + Excerpt(element));
    }
  }
  return std::shared_ptr<const Leaf>(std::move(leaf));
}

// "$or" is an OR only when it holds an array of objects that name fields, not operators (Event
// Ruler's rule); otherwise it is an ordinary field name.
bool IsOrArray(const Json& value) {
  if (!value.is_array() || value.empty()) return false;
  for (const Json& element : value) {
    if (!element.is_object()) return false;
    for (auto it = element.begin(); it != element.end(); ++it) {
      if (IsOperatorName(it.key())) return false;
    }
  }
  return true;
}

// Compiles pattern objects into alternatives (see Compiled). Expanding "$or" multiplies the
// fields to store, so the compiler counts them against a budget: a hostile pattern is rejected
// instead of exhausting memory.
class ObjectCompiler {
 public:
  // The alternatives of the pattern object `object` found at `path`.
  Result<std::vector<Node>> Compile(const Json& object, const std::string& path) {
    if (object.empty()) {
      return Invalid(path, "empty objects are not allowed; name at least one field");
    }
    std::vector<Node> alternatives(1);
    for (auto it = object.begin(); it != object.end(); ++it) {
      const std::string& name = it.key();
      const Json& value = it.value();
      const std::string field_path = path + "." + name;
      if (name == kOr && IsOrArray(value)) {
        if (value.size() < 2) {
          return Invalid(field_path, "\"$or\" needs an array of at least two objects");
        }
        std::vector<Node> options;
        for (size_t i = 0; i < value.size(); ++i) {
          EP_ASSIGN_OR_RETURN(std::vector<Node> option, Compile(value[i], Indexed(field_path, i)));
          if (options.size() + option.size() > EventPattern::kMaxOrBranches) {
            return Invalid(field_path, "\"$or\" has more than " +
                                           std::to_string(EventPattern::kMaxOrBranches) +
                                           " alternatives; split it into several rules");
          }
          std::move(option.begin(), option.end(), std::back_inserter(options));
        }
        EP_ASSIGN_OR_RETURN(alternatives, Combine(alternatives, options, field_path));
      } else if (value.is_array()) {
        EP_ASSIGN_OR_RETURN(std::shared_ptr<const Leaf> leaf, CompileLeaf(value, field_path));
        EP_RETURN_IF_ERROR(Spend(alternatives.size(), field_path));
        for (Node& alternative : alternatives) alternative.fields[name].leaves.push_back(leaf);
      } else if (value.is_object()) {
        EP_ASSIGN_OR_RETURN(std::vector<Node> nested, Compile(value, field_path));
        if (nested.size() == 1) {  // no "$or" inside: every alternative shares the one child
          auto child = std::make_shared<const Node>(std::move(nested.front()));
          EP_RETURN_IF_ERROR(Spend(alternatives.size(), field_path));
          for (Node& alternative : alternatives) AddObject(alternative, name, child);
          continue;
        }
        std::vector<Node> wrapped(nested.size());
        for (size_t i = 0; i < nested.size(); ++i) {
          wrapped[i].fields[name].object = std::make_shared<const Node>(std::move(nested[i]));
        }
        EP_ASSIGN_OR_RETURN(alternatives, Combine(alternatives, wrapped, field_path));
      } else {
        return Invalid(field_path, "leaf values must be arrays (write [" + Excerpt(value) + "])");
      }
    }
    return alternatives;
  }

 private:
  // Every alternative of `left` AND-ed with every alternative of `right`.
  Result<std::vector<Node>> Combine(const std::vector<Node>& left, const std::vector<Node>& right,
                                    const std::string& path) {
    const size_t count = left.size() * right.size();
    if (count > EventPattern::kMaxOrBranches) {
      return Invalid(path, "\"$or\" expands the pattern to " + std::to_string(count) +
                               " alternatives, more than the " +
                               std::to_string(EventPattern::kMaxOrBranches) +
                               " allowed; split it into several rules");
    }
    std::vector<Node> combined;
    combined.reserve(count);
    for (const Node& l : left) {
      for (const Node& r : right) {
        combined.push_back(Merge(l, r));
        EP_RETURN_IF_ERROR(Spend(0, path));
      }
    }
    return combined;
  }

  // Both `a` and `b` must match: the fields of both, constraints on shared fields combined.
  Node Merge(Node a, const Node& b) {
    fields_spent_ += a.fields.size() + b.fields.size();
    for (const auto& [name, field] : b.fields) {
      Field& into = a.fields[name];
      into.leaves.insert(into.leaves.end(), field.leaves.begin(), field.leaves.end());
      if (field.object != nullptr) AddObject(a, name, field.object);
    }
    return a;
  }

  // `node`'s field `name` must also match the pattern object `child`.
  void AddObject(Node& node, const std::string& name, std::shared_ptr<const Node> child) {
    std::shared_ptr<const Node>& object = node.fields[name].object;
    object =
        object == nullptr ? std::move(child) : std::make_shared<const Node>(Merge(*object, *child));
  }

  Status Spend(size_t fields, const std::string& path) {
    fields_spent_ += fields;
    if (fields_spent_ <= EventPattern::kMaxExpandedFields) return Status::Ok();
    return Invalid(path, "\"$or\" expands the pattern to more than " +
                             std::to_string(EventPattern::kMaxExpandedFields) +
                             " field tests; split it into several rules");
  }

  size_t fields_spent_ = 0;
};

}  // namespace

bool Leaf::MatchesPresent(const LeafValue& value) const {
  if (exists || any_of.Contains(value)) return true;
  return std::any_of(anything_but.begin(), anything_but.end(),
                     [&value](const ValueSet& excluded) { return !excluded.Contains(value); });
}

// `field` is the event's value for this leaf's field, or nullptr when it is missing. Its leaf
// values are the field itself when scalar, or the scalars in it at any depth when an array;
// objects are not leaf values.
bool Leaf::Matches(const Json* field) const {
  if (field == nullptr) return absent;
  bool saw_value = false;
  const bool matched = AnyElement(*field, [&](const Json& element) {
    if (element.is_object()) return false;
    saw_value = true;
    return MatchesPresent(LeafValue(element));
  });
  return matched || (!saw_value && absent);
}

}  // namespace event_pattern_internal

using event_pattern_internal::Compiled;
using event_pattern_internal::Node;

Result<EventPattern> EventPattern::Parse(const Json& pattern) {
  const std::string root = "pattern";
  if (!pattern.is_object()) {
    return event_pattern_internal::Invalid(
        root, std::string("a pattern must be a JSON object, not ") + pattern.type_name());
  }
  if (event_pattern_internal::DeeperThan(pattern, kMaxDepth)) {
    return event_pattern_internal::Invalid(
        root, "nested deeper than " + std::to_string(kMaxDepth) + " levels");
  }
  EP_ASSIGN_OR_RETURN(std::vector<Node> alternatives,
                      event_pattern_internal::ObjectCompiler().Compile(pattern, root));
  auto compiled = std::make_shared<Compiled>();
  compiled->source = pattern;
  compiled->alternatives.reserve(alternatives.size());
  for (Node& alternative : alternatives) {
    compiled->alternatives.push_back(std::make_shared<const Node>(std::move(alternative)));
  }
  return EventPattern(std::move(compiled));
}

Result<EventPattern> EventPattern::Parse(std::string_view pattern_json) {
  Result<Json> pattern = ParseJson(pattern_json);
  if (!pattern.ok()) return event_pattern_internal::Placed(pattern.status(), "pattern");
  return Parse(*pattern);
}

bool EventPattern::Matches(const Json& event) const {
  if (compiled_ == nullptr) return false;
  const Json* root = event.is_object() ? &event : nullptr;
  return std::any_of(compiled_->alternatives.begin(), compiled_->alternatives.end(),
                     [root](const auto& alternative) {
                       return event_pattern_internal::MatchNode(*alternative, root);
                     });
}

const Json& EventPattern::source() const {
  static const Json kNone;
  return compiled_ == nullptr ? kNone : compiled_->source;
}

}  // namespace ecompipe::events
