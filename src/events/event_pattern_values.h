// Tests on one leaf value of an event (a string, number, boolean or null), as compiled from the
// elements of an event pattern's leaf arrays. Private to the event-pattern matcher
// (event_pattern.cc), which owns all parsing of pattern JSON; nothing else should include it.
//
// Thread-safety: every type here except LeafValue is immutable once built and may be shared
// across threads. A LeafValue is a per-call scratch object.
#pragma once

#include <array>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <variant>
#include <vector>

#include "common/json.h"
#include "common/status.h"

namespace ecompipe::events::event_pattern_internal {

// Simple (one code point to one code point) case folding of UTF-8 text, covering ASCII,
// Latin-1, Latin Extended-A and Additional, Greek, Cyrillic, Armenian and full-width Latin.
// Other code points, and bytes that are not valid UTF-8, are copied unchanged.
std::string FoldCase(std::string_view text);

// One event leaf value, with its case-folded text computed at most once. Borrows `value`,
// which must outlive it.
class LeafValue {
 public:
  explicit LeafValue(const Json& value) : value_(value) {}

  const Json& json() const { return value_; }
  // The string, or nullptr when the value is not a string.
  const std::string* text() const {
    return value_.is_string() ? &value_.get_ref<const std::string&>() : nullptr;
  }
  // FoldCase(*text()); the caller must have checked text() != nullptr.
  const std::string& folded() const;

 private:
  const Json& value_;
  mutable std::optional<std::string> folded_;
};

// True when the event literal `value` equals the pattern literal `literal` (a number, boolean or
// null) as written: integers equal integers of the same value, fractions and exponents
// (300.0, 3e2) equal non-integer literals of the same value, and never each other.
bool LiteralEquals(const Json& literal, const Json& value);

struct PrefixTest {
  std::string prefix;  // case-folded when ignore_case
  bool ignore_case = false;
  bool Matches(const LeafValue& value) const;
};

struct SuffixTest {
  std::string suffix;  // case-folded when ignore_case
  bool ignore_case = false;
  bool Matches(const LeafValue& value) const;
};

struct EqualsIgnoreCaseTest {
  std::string folded;
  bool Matches(const LeafValue& value) const;
};

// A wildcard pattern: '*' matches any run of characters, the empty run included; "\*" is a
// literal star and "\\" a literal backslash.
class Wildcard {
 public:
  // Errors (kInvalidArgument, unplaced): consecutive unescaped stars, a backslash before anything
  // but '*' or '\', a trailing lone backslash.
  static Result<Wildcard> Parse(std::string_view pattern);

  bool Matches(const LeafValue& value) const;
  bool MatchesText(std::string_view text) const;

 private:
  // The literal runs between unescaped stars: one more than the number of stars.
  std::vector<std::string> parts_;
};

// A numeric interval; matches JSON numbers only (never strings that look like numbers).
struct NumericRange {
  double low = -std::numeric_limits<double>::infinity();
  bool low_open = false;
  double high = std::numeric_limits<double>::infinity();
  bool high_open = false;

  bool Matches(const LeafValue& value) const;
};

// An IPv4 or IPv6 network such as "10.0.0.0/24" or "2001:db8::/32"; matches string values
// holding an address of the same family inside the network.
class CidrBlock {
 public:
  // Errors (kInvalidArgument, unplaced): no '/', an unparsable address, a prefix length out of
  // range for the family. Host bits set in the address are ignored.
  static Result<CidrBlock> Parse(std::string_view text);

  bool Matches(const LeafValue& value) const;

 private:
  bool ipv6_ = false;
  int prefix_bits_ = 0;
  std::array<unsigned char, 16> network_{};
};

using ValueTest =
    std::variant<PrefixTest, SuffixTest, EqualsIgnoreCaseTest, Wildcard, NumericRange, CidrBlock>;

// The values a leaf value may equal or satisfy: the alternatives of one leaf array, or what one
// anything-but excludes. Exact strings sit in a hash set so that long lists stay fast.
struct ValueSet {
  std::unordered_set<std::string> strings;
  std::vector<Json> literals;  // numbers, true, false, null; compared with LiteralEquals
  std::vector<ValueTest> tests;

  bool Contains(const LeafValue& value) const;
};

}  // namespace ecompipe::events::event_pattern_internal
