// Exact decimal arithmetic for derived columns: a Decimal is a 128-bit count of units at a
// scale (10^-scale), and an Expression is a parsed formula over decimal literals and column
// names with + - * and parentheses. No binary floating point is involved anywhere; there
// is no division, so every result is exact until it is rounded to the column's scale.
// Thread-safety: Expression is immutable after Parse(); Evaluate() is const.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ecompipe::transform {

struct Decimal {
  __int128 units = 0;
  int scale = 0;  // 0..kMaxDecimalScale
};

inline constexpr int kMaxDecimalScale = 18;

// Reads -?[0-9]+(\.[0-9]+)? with at most 30 integer digits and kMaxDecimalScale decimals
// ("12", "-0.5", "129.99"); nullopt otherwise ("+1", "1e2", ".5", "5.", "", "1,000").
std::optional<Decimal> ParseDecimal(std::string_view text);
// `d` at `scale` decimals, rounded half away from zero; nullopt when it does not fit int64.
std::optional<int64_t> Rescale(Decimal d, int scale);
// -1, 0, 1 as a < b, a == b, a > b (exact, whatever the scales).
int CompareDecimal(Decimal a, Decimal b);
// Appends `units` at `scale` decimals: "-12.50" for (-1250, 2), "7" for (7, 0).
void AppendScaled(std::string& out, int64_t units, int scale);

class Expression {
 public:
  // Parses `text`. Errors are kInvalidArgument saying what is wrong and at which character
  // ("unexpected ')' at character 9", "'/' at character 3: division is not supported ...").
  static Result<Expression> Parse(std::string_view text);

  // The column names the expression reads, each once, in order of first appearance.
  const std::vector<std::string>& columns() const { return columns_; }

  // The value for operands given in columns() order; nullopt when an intermediate result
  // overflows 128 bits or exceeds kMaxDecimalScale * 2 decimals.
  std::optional<Decimal> Evaluate(std::span<const Decimal> operands) const;

 private:
  enum class Op { kConst, kColumn, kAdd, kSub, kMul, kNeg };
  struct Step {
    Op op;
    Decimal value;      // kConst
    size_t column = 0;  // kColumn: index into columns_
  };
  std::vector<Step> steps_;  // postfix
  std::vector<std::string> columns_;
  friend class ExpressionParser;
};

}  // namespace ecompipe::transform
