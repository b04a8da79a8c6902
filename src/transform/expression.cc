#include "transform/expression.h"

#include <algorithm>
#include <charconv>

namespace ecompipe::transform {

namespace {

constexpr int kMaxIntermediateScale = kMaxDecimalScale * 2;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || IsDigit(c); }

__int128 Pow10(int n) {
  __int128 p = 1;
  for (int i = 0; i < n; ++i) p *= 10;
  return p;
}

// `d` with `scale` >= d.scale decimals, or nullopt on overflow.
std::optional<Decimal> Widen(Decimal d, int scale) {
  __int128 units = 0;
  if (__builtin_mul_overflow(d.units, Pow10(scale - d.scale), &units)) return std::nullopt;
  return Decimal{units, scale};
}

}  // namespace

std::optional<Decimal> ParseDecimal(std::string_view text) {
  size_t i = 0;
  const bool negative = !text.empty() && text[0] == '-';
  if (negative) ++i;
  const size_t int_start = i;
  __int128 units = 0;
  while (i < text.size() && IsDigit(text[i])) {
    if (i - int_start == 30) return std::nullopt;
    units = units * 10 + (text[i] - '0');
    ++i;
  }
  if (i == int_start) return std::nullopt;
  int scale = 0;
  if (i < text.size()) {
    if (text[i] != '.') return std::nullopt;
    ++i;
    if (i == text.size()) return std::nullopt;
    while (i < text.size()) {
      if (!IsDigit(text[i]) || scale == kMaxDecimalScale) return std::nullopt;
      units = units * 10 + (text[i] - '0');
      ++scale;
      ++i;
    }
  }
  return Decimal{negative ? -units : units, scale};
}

std::optional<int64_t> Rescale(Decimal d, int scale) {
  __int128 units = d.units;
  if (scale >= d.scale) {
    std::optional<Decimal> wide = Widen(d, scale);
    if (!wide) return std::nullopt;
    units = wide->units;
  } else {
    const __int128 div = Pow10(d.scale - scale);
    const __int128 q = units / div;
    const __int128 r = units % div;  // same sign as units
    units = q;
    if (r * 2 >= div) ++units;
    if (r * 2 <= -div) --units;
  }
  if (units > INT64_MAX || units < INT64_MIN) return std::nullopt;
  return static_cast<int64_t>(units);
}

int CompareDecimal(Decimal a, Decimal b) {
  const int scale = std::max(a.scale, b.scale);
  const std::optional<Decimal> wa = Widen(a, scale);
  const std::optional<Decimal> wb = Widen(b, scale);
  if (wa && wb) return wa->units < wb->units ? -1 : (wa->units > wb->units ? 1 : 0);
  // One side overflowed when widened: it is the larger in magnitude.
  if (!wa) return a.units < 0 ? -1 : 1;
  return b.units < 0 ? 1 : -1;
}

void AppendScaled(std::string& out, int64_t units, int scale) {
  const bool negative = units < 0;
  const uint64_t abs = negative ? 0 - static_cast<uint64_t>(units) : static_cast<uint64_t>(units);
  char digits[24];
  char* end = std::to_chars(digits, digits + sizeof(digits), abs).ptr;
  std::string_view d(digits, static_cast<size_t>(end - digits));
  if (negative) out.push_back('-');
  if (scale == 0) {
    out.append(d);
    return;
  }
  const size_t s = static_cast<size_t>(scale);
  if (d.size() <= s) {
    out.append("0.");
    out.append(s - d.size(), '0');
    out.append(d);
    return;
  }
  out.append(d.substr(0, d.size() - s));
  out.push_back('.');
  out.append(d.substr(d.size() - s));
}

// Recursive descent over: expr := term (('+'|'-') term)*; term := unary ('*' unary)*;
// unary := '-' unary | primary; primary := number | name | '(' expr ')'.
class ExpressionParser {
 public:
  explicit ExpressionParser(std::string_view text) : text_(text) {}

  Result<Expression> Run() {
    EP_RETURN_IF_ERROR(Expr(0));
    Skip();
    if (pos_ < text_.size()) return Unexpected();
    if (out_.steps_.empty()) return Status::InvalidArgument("the expression is empty");
    return std::move(out_);
  }

 private:
  static constexpr int kMaxDepth = 64;

  void Skip() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
  }
  std::string At() const { return " at character " + std::to_string(pos_ + 1); }
  Status Unexpected() const {
    if (pos_ >= text_.size()) return Status::InvalidArgument("unexpected end of the expression");
    const char c = text_[pos_];
    if (c == '/') {
      return Status::InvalidArgument("'/'" + At() +
                                     ": division is not supported (results must stay exact); "
                                     "multiply by a decimal such as 0.5 instead");
    }
    return Status::InvalidArgument("unexpected '" + std::string(1, c) + "'" + At());
  }
  void Emit(Expression::Op op) { out_.steps_.push_back({op, Decimal{}, 0}); }

  Status Expr(int depth) {
    if (depth > kMaxDepth) return Status::InvalidArgument("the expression is nested too deeply");
    EP_RETURN_IF_ERROR(Term(depth));
    while (true) {
      Skip();
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) {
        const char op = text_[pos_++];
        EP_RETURN_IF_ERROR(Term(depth));
        Emit(op == '+' ? Expression::Op::kAdd : Expression::Op::kSub);
      } else {
        return Status::Ok();
      }
    }
  }
  Status Term(int depth) {
    EP_RETURN_IF_ERROR(Unary(depth));
    while (true) {
      Skip();
      if (pos_ < text_.size() && text_[pos_] == '*') {
        ++pos_;
        EP_RETURN_IF_ERROR(Unary(depth));
        Emit(Expression::Op::kMul);
      } else {
        return Status::Ok();
      }
    }
  }
  Status Unary(int depth) {
    Skip();
    if (pos_ < text_.size() && text_[pos_] == '-') {
      ++pos_;
      if (depth > kMaxDepth) return Status::InvalidArgument("the expression is nested too deeply");
      EP_RETURN_IF_ERROR(Unary(depth + 1));
      Emit(Expression::Op::kNeg);
      return Status::Ok();
    }
    return Primary(depth);
  }
  Status Primary(int depth) {
    Skip();
    if (pos_ >= text_.size()) return Unexpected();
    const char c = text_[pos_];
    if (c == '(') {
      ++pos_;
      EP_RETURN_IF_ERROR(Expr(depth + 1));
      Skip();
      if (pos_ >= text_.size() || text_[pos_] != ')')
        return pos_ >= text_.size() ? Status::InvalidArgument("missing ')' at the end")
                                    : Unexpected();
      ++pos_;
      return Status::Ok();
    }
    if (IsDigit(c)) {
      const size_t start = pos_;
      while (pos_ < text_.size() && (IsDigit(text_[pos_]) || text_[pos_] == '.')) ++pos_;
      const std::string_view number = text_.substr(start, pos_ - start);
      std::optional<Decimal> value = ParseDecimal(number);
      if (!value) {
        pos_ = start;
        return Status::InvalidArgument("'" + std::string(number) + "'" + At() +
                                       " is not a decimal number");
      }
      out_.steps_.push_back({Expression::Op::kConst, *value, 0});
      return Status::Ok();
    }
    if (IsNameStart(c)) {
      const size_t start = pos_;
      while (pos_ < text_.size() && IsNameChar(text_[pos_])) ++pos_;
      const std::string name(text_.substr(start, pos_ - start));
      auto it = std::find(out_.columns_.begin(), out_.columns_.end(), name);
      const size_t index = static_cast<size_t>(it - out_.columns_.begin());
      if (it == out_.columns_.end()) out_.columns_.push_back(name);
      out_.steps_.push_back({Expression::Op::kColumn, Decimal{}, index});
      return Status::Ok();
    }
    return Unexpected();
  }

  std::string_view text_;
  size_t pos_ = 0;
  Expression out_;
};

Result<Expression> Expression::Parse(std::string_view text) { return ExpressionParser(text).Run(); }

std::optional<Decimal> Expression::Evaluate(std::span<const Decimal> operands) const {
  Decimal stack[128];
  size_t top = 0;
  for (const Step& step : steps_) {
    switch (step.op) {
      case Op::kConst:
      case Op::kColumn:
        if (top == std::size(stack)) return std::nullopt;
        stack[top++] = step.op == Op::kConst ? step.value : operands[step.column];
        break;
      case Op::kNeg:
        stack[top - 1].units = -stack[top - 1].units;
        break;
      case Op::kMul: {
        const Decimal b = stack[--top];
        Decimal& a = stack[top - 1];
        __int128 units = 0;
        if (__builtin_mul_overflow(a.units, b.units, &units)) return std::nullopt;
        a = Decimal{units, a.scale + b.scale};
        if (a.scale > kMaxIntermediateScale) return std::nullopt;
        break;
      }
      case Op::kAdd:
      case Op::kSub: {
        const Decimal b = stack[--top];
        Decimal& a = stack[top - 1];
        const int scale = std::max(a.scale, b.scale);
        std::optional<Decimal> wa = Widen(a, scale);
        std::optional<Decimal> wb = Widen(b, scale);
        if (!wa || !wb) return std::nullopt;
        __int128 units = 0;
        const bool overflow = step.op == Op::kAdd
                                  ? __builtin_add_overflow(wa->units, wb->units, &units)
                                  : __builtin_sub_overflow(wa->units, wb->units, &units);
        if (overflow) return std::nullopt;
        a = Decimal{units, scale};
        break;
      }
    }
  }
  return stack[0];
}

}  // namespace ecompipe::transform
