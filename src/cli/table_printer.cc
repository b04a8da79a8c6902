#include "cli/table_printer.h"

#include <algorithm>

namespace ecompipe::cli {
namespace {

// Display width of UTF-8 text: counts code points (good enough for aligned columns).
size_t Width(const std::string& s) {
  size_t w = 0;
  for (unsigned char c : s) w += (c & 0xC0) != 0x80;
  return w;
}

std::string Shown(const Cell& c, size_t max_width) {
  std::string s = c ? *c : "NULL";
  for (char& ch : s)
    if (ch == '\n' || ch == '\r' || ch == '\t') ch = ' ';
  if (Width(s) > max_width) {
    size_t keep = 0, w = 0;
    while (keep < s.size() && w < max_width - 1) {
      ++keep;
      while (keep < s.size() && (static_cast<unsigned char>(s[keep]) & 0xC0) == 0x80) ++keep;
      ++w;
    }
    s = s.substr(0, keep) + "…";
  }
  return s;
}

}  // namespace

void PrintTable(std::ostream& out, const std::vector<std::string>& columns, const std::vector<Row>& rows) {
  constexpr size_t kMaxWidth = 60;
  std::vector<size_t> width(columns.size());
  for (size_t i = 0; i < columns.size(); ++i) width[i] = Width(columns[i]);
  std::vector<std::vector<std::string>> shown;
  for (const Row& r : rows) {
    std::vector<std::string> line;
    for (size_t i = 0; i < columns.size(); ++i) {
      line.push_back(Shown(i < r.size() ? r[i] : Cell(), kMaxWidth));
      width[i] = std::max(width[i], Width(line.back()));
    }
    shown.push_back(std::move(line));
  }
  auto emit = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i) line += "  ";
      line += cells[i];
      if (i + 1 < cells.size()) line += std::string(width[i] - Width(cells[i]), ' ');
    }
    out << line << "\n";
  };
  emit(columns);
  std::vector<std::string> rule;
  for (size_t w : width) rule.push_back(std::string(w, '-'));
  emit(rule);
  for (const auto& l : shown) emit(l);
  out << "(" << rows.size() << (rows.size() == 1 ? " row)\n" : " rows)\n");
}

void PrintCsv(std::ostream& out, const std::vector<std::string>& columns, const std::vector<Row>& rows) {
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
    for (size_t i = 0; i < r.size(); ++i) out << (i ? "," : "") << (r[i] ? field(*r[i]) : "");
    out << "\n";
  }
}

Json RowsToJson(const std::vector<std::string>& columns, const std::vector<Row>& rows) {
  Json a = Json::array();
  for (const Row& r : rows) {
    Json o = Json::object();
    for (size_t i = 0; i < columns.size() && i < r.size(); ++i) o[columns[i]] = r[i] ? Json(*r[i]) : Json();
    a.push_back(std::move(o));
  }
  return a;
}

void Print(std::ostream& out, OutputFormat format, const std::vector<std::string>& columns,
           const std::vector<Row>& rows) {
  switch (format) {
    case OutputFormat::kTable: PrintTable(out, columns, rows); break;
    case OutputFormat::kCsv: PrintCsv(out, columns, rows); break;
    case OutputFormat::kJson: out << RowsToJson(columns, rows).dump(2) << "\n"; break;
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
