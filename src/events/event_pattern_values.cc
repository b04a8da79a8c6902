#include "events/event_pattern_values.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstdint>
#include <cstring>

#include "common/utf8.h"

namespace ecompipe::events::event_pattern_internal {
namespace {

// The lower-case partner of `cp`, or `cp` itself. Pairs where upper and lower case alternate
// (U+0100 Ā, U+0101 ā, ...) are handled by range and parity.
char32_t FoldCodePoint(char32_t cp) {
  auto even_upper = [cp](char32_t first, char32_t last) {
    return cp >= first && cp <= last && (cp % 2) == 0;
  };
  auto odd_upper = [cp](char32_t first, char32_t last) {
    return cp >= first && cp <= last && (cp % 2) == 1;
  };
  if (cp < 0x80) return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
  if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) return cp + 32;
  if (cp == 0xB5) return 0x3BC;  // MICRO SIGN -> GREEK SMALL LETTER MU
  if (cp == 0x178) return 0xFF;  // Ÿ -> ÿ
  if (cp == 0x17F) return 's';   // LATIN SMALL LETTER LONG S
  if (even_upper(0x100, 0x12F) || even_upper(0x132, 0x137) || even_upper(0x14A, 0x177) ||
      odd_upper(0x139, 0x148) || odd_upper(0x179, 0x17E)) {
    return cp + 1;
  }
  if (cp == 0x386) return 0x3AC;
  if (cp >= 0x388 && cp <= 0x38A) return cp + 37;
  if (cp == 0x38C) return 0x3CC;
  if (cp == 0x38E || cp == 0x38F) return cp + 63;
  if ((cp >= 0x391 && cp <= 0x3A1) || (cp >= 0x3A3 && cp <= 0x3AB)) return cp + 32;
  if (cp == 0x3C2) return 0x3C3;  // final sigma folds to sigma
  if (cp >= 0x400 && cp <= 0x40F) return cp + 80;
  if (cp >= 0x410 && cp <= 0x42F) return cp + 32;
  if (even_upper(0x460, 0x481) || even_upper(0x48A, 0x4BF) || odd_upper(0x4C1, 0x4CE) ||
      even_upper(0x4D0, 0x52F)) {
    return cp + 1;
  }
  if (cp == 0x4C0) return 0x4CF;
  if (cp >= 0x531 && cp <= 0x556) return cp + 48;
  if (even_upper(0x1E00, 0x1E95) || even_upper(0x1EA0, 0x1EFF)) return cp + 1;
  if (cp == 0x1E9E) return 0xDF;   // CAPITAL SHARP S -> ß
  if (cp == 0x2126) return 0x3C9;  // OHM SIGN -> ω
  if (cp == 0x212A) return 'k';    // KELVIN SIGN
  if (cp == 0x212B) return 0xE5;   // ANGSTROM SIGN -> å
  if (cp >= 0xFF21 && cp <= 0xFF3A) return cp + 32;
  return cp;
}

bool IsNegativeInteger(const Json& j) {
  return j.type() == Json::value_t::number_integer && j.get<int64_t>() < 0;
}

}  // namespace

std::string FoldCase(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    char32_t cp;
    const int length = DecodeUtf8(text, 0, cp);
    if (length <= 0) {
      out += text.front();
      text.remove_prefix(1);
      continue;
    }
    AppendUtf8(FoldCodePoint(cp), out);
    text.remove_prefix(static_cast<size_t>(length));
  }
  return out;
}

const std::string& LeafValue::folded() const {
  if (!folded_) folded_ = FoldCase(*text());
  return *folded_;
}

bool LiteralEquals(const Json& literal, const Json& value) {
  if (literal.is_number()) {
    if (!value.is_number() || literal.is_number_float() != value.is_number_float()) return false;
    if (literal.is_number_float()) return literal.get<double>() == value.get<double>();
    // Both integers, each held as int64 or uint64: compare sign first, then magnitude.
    if (IsNegativeInteger(literal) != IsNegativeInteger(value)) return false;
    if (IsNegativeInteger(literal)) return literal.get<int64_t>() == value.get<int64_t>();
    return literal.get<uint64_t>() == value.get<uint64_t>();
  }
  return literal.type() == value.type() && literal == value;  // true, false, null
}

bool PrefixTest::Matches(const LeafValue& value) const {
  const std::string* text = value.text();
  if (text == nullptr) return false;
  return (ignore_case ? value.folded() : *text).starts_with(prefix);
}

bool SuffixTest::Matches(const LeafValue& value) const {
  const std::string* text = value.text();
  if (text == nullptr) return false;
  return (ignore_case ? value.folded() : *text).ends_with(suffix);
}

bool EqualsIgnoreCaseTest::Matches(const LeafValue& value) const {
  return value.text() != nullptr && value.folded() == folded;
}

Result<Wildcard> Wildcard::Parse(std::string_view pattern) {
  Wildcard wildcard;
  std::string part;
  bool after_star = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\') {
      if (i + 1 == pattern.size()) {
        return Status::InvalidArgument(
            "wildcard ends with a lone backslash; write two backslashes for a literal one");
      }
      const char escaped = pattern[++i];
      if (escaped != '*' && escaped != '\\') {
        return Status::InvalidArgument(
            "wildcard has an invalid escape at offset " + std::to_string(i - 1) +
            "; a backslash may only escape '*' (a literal star) or another backslash");
      }
      part += escaped;
      after_star = false;
    } else if (c == '*') {
      if (after_star) {
        return Status::InvalidArgument("wildcard has consecutive '*' characters; use a single '*'");
      }
      wildcard.parts_.push_back(std::move(part));
      part.clear();
      after_star = true;
    } else {
      part += c;
      after_star = false;
    }
  }
  wildcard.parts_.push_back(std::move(part));
  return wildcard;
}

bool Wildcard::Matches(const LeafValue& value) const {
  const std::string* text = value.text();
  return text != nullptr && MatchesText(*text);
}

// With '*' the only metacharacter, taking each middle part at its leftmost occurrence is
// optimal: a later occurrence can only leave less room for the parts after it.
bool Wildcard::MatchesText(std::string_view text) const {
  const std::string& first = parts_.front();
  if (parts_.size() == 1) return text == first;
  const std::string& last = parts_.back();
  if (text.size() < first.size() + last.size()) return false;
  if (!text.starts_with(first) || !text.ends_with(last)) return false;
  size_t pos = first.size();
  const size_t end = text.size() - last.size();
  for (size_t i = 1; i + 1 < parts_.size(); ++i) {
    const std::string& part = parts_[i];
    const size_t found = text.substr(0, end).find(part, pos);
    if (found == std::string_view::npos) return false;
    pos = found + part.size();
  }
  return true;
}

bool NumericRange::Matches(const LeafValue& value) const {
  if (!value.json().is_number()) return false;
  const double x = value.json().get<double>();
  const bool above_low = low_open ? x > low : x >= low;
  const bool below_high = high_open ? x < high : x <= high;
  return above_low && below_high;
}

Result<CidrBlock> CidrBlock::Parse(std::string_view text) {
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    return Status::InvalidArgument("cidr '" + std::string(text) +
                                   "' needs a prefix length, e.g. \"10.0.0.0/24\"");
  }
  const std::string address(text.substr(0, slash));
  const std::string_view bits = text.substr(slash + 1);
  CidrBlock block;
  if (inet_pton(AF_INET, address.c_str(), block.network_.data()) == 1) {
    block.ipv6_ = false;
  } else if (inet_pton(AF_INET6, address.c_str(), block.network_.data()) == 1) {
    block.ipv6_ = true;
  } else {
    return Status::InvalidArgument("cidr '" + std::string(text) +
                                   "': not an IPv4 or IPv6 address before '/'");
  }
  const int max_bits = block.ipv6_ ? 128 : 32;
  int prefix = -1;
  const auto [end, error] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
  if (bits.empty() || error != std::errc() || end != bits.data() + bits.size() || prefix < 0 ||
      prefix > max_bits) {
    return Status::InvalidArgument("cidr '" + std::string(text) + "': prefix length must be 0.." +
                                   std::to_string(max_bits));
  }
  block.prefix_bits_ = prefix;
  return block;
}

bool CidrBlock::Matches(const LeafValue& value) const {
  const std::string* text = value.text();
  // The longest textual IPv6 address is 45 characters; anything longer is not an address.
  if (text == nullptr || text->size() > 45) return false;
  std::array<unsigned char, 16> address{};
  if (inet_pton(ipv6_ ? AF_INET6 : AF_INET, text->c_str(), address.data()) != 1) return false;
  const int whole_bytes = prefix_bits_ / 8;
  if (std::memcmp(address.data(), network_.data(), whole_bytes) != 0) return false;
  const int rest = prefix_bits_ % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<unsigned char>(0xFF << (8 - rest));
  return (address[whole_bytes] & mask) == (network_[whole_bytes] & mask);
}

bool ValueSet::Contains(const LeafValue& value) const {
  if (const std::string* text = value.text(); text != nullptr && strings.contains(*text)) {
    return true;
  }
  for (const Json& literal : literals) {
    if (LiteralEquals(literal, value.json())) return true;
  }
  for (const ValueTest& test : tests) {
    if (std::visit([&value](const auto& t) { return t.Matches(value); }, test)) return true;
  }
  return false;
}

}  // namespace ecompipe::events::event_pattern_internal
