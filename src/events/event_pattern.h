// EventPattern: an Amazon EventBridge event pattern, validated and compiled once by Parse(),
// then tested against any number of events by Matches().
//
// Contract. Parse() accepts EventBridge's pattern syntax: a JSON
// object that mirrors the event's structure; each leaf is a non-empty array whose elements are
// OR-ed; the fields of an object are AND-ed; leaf elements are literals (string, number, true,
// false, null) or one-key operator objects: prefix, suffix (each optionally
// {"equals-ignore-case": s}), equals-ignore-case, wildcard, anything-but (a value, an all-string
// or all-number list, or {prefix|suffix|equals-ignore-case|wildcard: ...}), numeric, cidr
// (IPv4/IPv6) and exists; "$or" holding an array of two or more objects is an OR of
// sub-patterns (nestable), and is an ordinary field name otherwise. Anything else is an error:
// kInvalidArgument whose place() is the JSON path of the offending value and whose message
// names the fix, so ToString() reads "pattern.detail.key[0]: unknown operator 'prefx'".
// Patterns nested deeper than kMaxDepth, or whose "$or"s expand to more than kMaxOrBranches
// alternatives or kMaxExpandedFields field tests, are rejected the same way.
//
// Matching follows AWS's Event Ruler (`rulesForJSONEvent`): a field named in the pattern must be
// present in the event at the same nesting; when the event holds an array, the field matches if
// any element matches, and fields tested within one pattern object must all be found in the same
// array element (never combined across elements). Matches() never fails and is safe on
// arbitrarily deep or large events: it walks only the paths the pattern names, and walks
// nested arrays without recursion.
//
// Choices where AWS's documentation leaves room (each pinned by a test):
//  - Exact numbers match as written in kind and value: an integer literal (300) matches only an
//    integer, a fraction/exponent literal (300.0) only a fraction/exponent literal of the same
//    value. So 300 and 300.0 do not match, as EventBridge documents; 300.0 and 3.0e2 do match,
//    because a parsed Json no longer records the spelling. "numeric" and numeric anything-but
//    lists compare values (300 == 300.0), as double-precision numbers, with no range limit.
//  - anything-but matches any present leaf value (of any type, null included) that is not
//    excluded; it never matches a missing field or a field holding only objects.
//  - exists looks at leaf values: a field holding an object, or an empty array, does not
//    exist; exists:false matches it. Under an array of objects, exists:false matches when some
//    element lacks the field.
//  - A field constrained twice in one "$or" alternative (once outside the "$or" and once inside)
//    must satisfy both constraints.
//  - Field names are taken literally: {"a.b": [...]} names a key containing a dot.
//  - equals-ignore-case folds ASCII, Latin-1, Latin Extended-A/Additional, Greek, Cyrillic,
//    Armenian and full-width Latin letters one code point at a time; other characters compare
//    exactly.
//
// Thread-safety: an EventPattern is immutable once built. Matches() and source() may be called
// concurrently from any number of threads; copies share the compiled form.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <utility>

#include "common/json.h"
#include "common/status.h"

namespace ecompipe::events {

namespace event_pattern_internal {
struct Compiled;
}  // namespace event_pattern_internal

class EventPattern {
 public:
  // Deepest nesting of JSON objects and arrays accepted in a pattern.
  static constexpr int kMaxDepth = 64;
  // Most alternatives a pattern's "$or"s may expand to (each "$or" multiplies them).
  static constexpr std::size_t kMaxOrBranches = 1024;
  // Most field tests, summed over those alternatives, a compiled pattern may hold.
  static constexpr std::size_t kMaxExpandedFields = 100000;

  // A placeholder that matches no event and whose source() is null; assign a parsed pattern to
  // it before use.
  EventPattern() = default;

  // Validates and compiles `pattern`. Errors are kInvalidArgument, placed at the JSON path of
  // the problem ("pattern.detail.state").
  static Result<EventPattern> Parse(const Json& pattern);
  // As above, after parsing `pattern_json`; a JSON syntax error is kInvalidArgument too.
  static Result<EventPattern> Parse(std::string_view pattern_json);

  // True when `event` matches the pattern. Never fails: an event that is not an object simply
  // has none of the pattern's fields.
  bool Matches(const Json& event) const;

  // The pattern as given to Parse().
  const Json& source() const;

 private:
  explicit EventPattern(std::shared_ptr<const event_pattern_internal::Compiled> compiled)
      : compiled_(std::move(compiled)) {}

  std::shared_ptr<const event_pattern_internal::Compiled> compiled_;
};

}  // namespace ecompipe::events
