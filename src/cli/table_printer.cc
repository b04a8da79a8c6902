#include "cli/table_printer.h"

#include <algorithm>
#include <charconv>

namespace ecompipe::cli {
namespace {

bool IsContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Display width of UTF-8 text: counts code points (good enough for aligned columns).
size_t Width(std::string_view s) {
  size_t w = 0;
  for (unsigned char c : s) w += !IsContinuation(c);
  return w;
}

// The first `n` code points of `s`.
std::string_view Head(std::string_view s, size_t n) {
  size_t end = 0;
  for (size_t w = 0; end < s.size() && w < n; ++w) {
    ++end;
    while (end < s.size() && IsContinuation(static_cast<unsigned char>(s[end]))) ++end;
  }
  return s.substr(0, end);
}

// The last `n` code points of `s`.
std::string_view Tail(std::string_view s, size_t n) {
  size_t begin = s.size();
  for (size_t w = 0; begin > 0 && w < n; ++w) {
    --begin;
    while (begin > 0 && IsContinuation(static_cast<unsigned char>(s[begin]))) --begin;
  }
  return s.substr(begin);
}

CellKind KindOf(const std::vector<CellKind>& kinds, size_t column) {
  return column < kinds.size() ? kinds[column] : CellKind::kText;
}

std::string Shown(const Cell& c, CellKind kind, const PrintOptions& options) {
  if (!c) return "NULL";
  std::string s = *c;
  if (kind == CellKind::kCount) {
    int64_t n = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec == std::errc() && end == s.data() + s.size()) return Grouped(n);
  }
  for (char& ch : s)
    if (ch == '\n' || ch == '\r' || ch == '\t') ch = ' ';
  return options.wide ? s : Shorten(s, kMaxCellWidth);
}

}  // namespace

std::string Shorten(std::string_view text, size_t max_width) {
  const size_t width = Width(text);
  if (width <= max_width) return std::string(text);
  const size_t room = max_width - 1;  // what is left beside the "…"
  // A key: keep its file name whole when that leaves a useful start (at least 8 code points).
  constexpr size_t kMinHead = 8;
  const size_t slash = text.rfind('/');
  if (slash != std::string_view::npos && slash > 0) {
    const std::string_view name = text.substr(slash);  // "/transaction_2026-11-26.csv"
    const size_t name_width = Width(name);
    if (name_width + kMinHead <= room)
      return std::string(Head(text, room - name_width)) + "…" + std::string(name);
  }
  const size_t head = (room + 1) / 2;
  return std::string(Head(text, head)) + "…" + std::string(Tail(text, room - head));
}

std::optional<OutputFormat> ParseFormat(std::string_view name) {
  if (name == "table") return OutputFormat::kTable;
  if (name == "csv") return OutputFormat::kCsv;
  if (name == "json") return OutputFormat::kJson;
  return std::nullopt;
}

void PrintTable(std::ostream& out, const std::vector<std::string>& columns,
                const std::vector<Row>& rows, const PrintOptions& options) {
  std::vector<size_t> width(columns.size());
  for (size_t i = 0; i < columns.size(); ++i) width[i] = Width(columns[i]);
  std::vector<std::vector<std::string>> shown;
  for (const Row& r : rows) {
    std::vector<std::string> line;
    for (size_t i = 0; i < columns.size(); ++i) {
      line.push_back(Shown(i < r.size() ? r[i] : Cell(), KindOf(options.kinds, i), options));
      width[i] = std::max(width[i], Width(line.back()));
    }
    shown.push_back(std::move(line));
  }
  auto emit = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i) line += "  ";
      const std::string pad(width[i] - Width(cells[i]), ' ');
      // Numbers align on their last digit.
      const bool right = KindOf(options.kinds, i) != CellKind::kText;
      if (right) line += pad;
      line += cells[i];
      if (!right && i + 1 < cells.size()) line += pad;
    }
    out << line << "\n";
  };
  emit(columns);
  std::vector<std::string> rule;
  rule.reserve(width.size());
  for (size_t w : width) rule.emplace_back(w, '-');
  emit(rule);
  for (const auto& l : shown) emit(l);
  out << "(" << rows.size() << (rows.size() == 1 ? " row)\n" : " rows)\n");
}

void PrintCsv(std::ostream& out, const std::vector<std::string>& columns,
              const std::vector<Row>& rows) {
  auto field = [](const std::string& s) {
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) {
      if (c == '"') q += '"';
      q += c;
    }
    return q + "\"";
  };
  for (size_t i = 0; i < columns.size(); ++i) out << (i ? "," : "") << field(columns[i]);
  out << "\n";
  for (const Row& r : rows) {
    for (size_t i = 0; i < columns.size(); ++i) {
      out << (i ? "," : "") << (i < r.size() && r[i] ? field(*r[i]) : "");
    }
    out << "\n";
  }
}

std::string JsonString(std::string_view value) {
  return Json(std::string(value)).dump(-1, ' ', false, Json::error_handler_t::replace);
}

bool IsJsonNumber(std::string_view t) {
  size_t i = 0;
  auto digits = [&] {
    const size_t from = i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    return i - from;
  };
  if (i < t.size() && t[i] == '-') ++i;
  if (i >= t.size()) return false;
  if (t[i] == '0') {
    ++i;
  } else if (digits() == 0) {
    return false;
  }
  if (i < t.size() && t[i] == '.') {
    ++i;
    if (digits() == 0) return false;
  }
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == t.size();
}

void PrintJson(std::ostream& out, const std::vector<std::string>& columns,
               const std::vector<Row>& rows, const std::vector<CellKind>& kinds) {
  std::vector<std::string> keys;
  keys.reserve(columns.size());
  for (const std::string& c : columns) keys.push_back(JsonString(c));
  out << "[";
  for (size_t r = 0; r < rows.size(); ++r) {
    out << (r ? ",\n  {" : "\n  {");
    for (size_t i = 0; i < columns.size(); ++i) {
      const Cell& cell = i < rows[r].size() ? rows[r][i] : Cell();
      out << (i ? ", " : "") << keys[i] << ": ";
      if (!cell) {
        out << "null";
      } else if (KindOf(kinds, i) == CellKind::kBoolean && (*cell == "t" || *cell == "true")) {
        out << "true";
      } else if (KindOf(kinds, i) == CellKind::kBoolean && (*cell == "f" || *cell == "false")) {
        out << "false";
      } else if (KindOf(kinds, i) != CellKind::kText && IsJsonNumber(*cell)) {
        out << *cell;
      } else {
        out << JsonString(*cell);
      }
    }
    out << "}";
  }
  out << (rows.empty() ? "]\n" : "\n]\n");
}

void Print(std::ostream& out, OutputFormat format, const std::vector<std::string>& columns,
           const std::vector<Row>& rows, const PrintOptions& options) {
  switch (format) {
    case OutputFormat::kTable:
      PrintTable(out, columns, rows, options);
      break;
    case OutputFormat::kCsv:
      PrintCsv(out, columns, rows);
      break;
    case OutputFormat::kJson:
      PrintJson(out, columns, rows, options.kinds);
      break;
  }
}

std::string Grouped(int64_t n) {
  const std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out = n < 0 ? "-" : "";
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace ecompipe::cli
