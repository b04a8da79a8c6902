#include "catalog/crawler.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <limits>
#include <map>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/utf8.h"

namespace ecompipe::catalog {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
constexpr char kQuote = '"';
constexpr std::array<char, 4> kCandidateDelimiters = {',', ';', '\t', '|'};
constexpr size_t kMaxDecimalDigits = 38;

bool IsBlankChar(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsBlankChar(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlankChar(s.back())) s.remove_suffix(1);
  return s;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    if (x != b[i]) return false;
  }
  return true;
}

int Number(std::string_view digits) {
  int v = 0;
  std::from_chars(digits.data(), digits.data() + digits.size(), v);
  return v;
}

std::string_view StripSign(std::string_view v) {
  if (!v.empty() && (v.front() == '+' || v.front() == '-')) v.remove_prefix(1);
  return v;
}

// Digits without a leading zero ("0" itself is fine): "007" is a code, not a number.
bool IsPlainNumber(std::string_view digits) {
  return AllDigits(digits) && !(digits.size() > 1 && digits.front() == '0');
}

bool IsInteger(std::string_view v) {
  std::string_view digits = StripSign(v);
  if (!IsPlainNumber(digits)) return false;
  // from_chars takes '-' but not '+'; the magnitude decides the fit except for INT64_MIN.
  std::string_view signed_digits = v.front() == '+' ? digits : v;
  int64_t parsed = 0;
  auto [ptr, ec] =
      std::from_chars(signed_digits.data(), signed_digits.data() + signed_digits.size(), parsed);
  return ec == std::errc() && ptr == signed_digits.data() + signed_digits.size();
}

bool IsDecimal(std::string_view v) {
  std::string_view digits = StripSign(v);
  size_t dot = digits.find('.');
  if (dot == std::string_view::npos) return false;
  std::string_view whole = digits.substr(0, dot);
  std::string_view fraction = digits.substr(dot + 1);
  return IsPlainNumber(whole) && AllDigits(fraction) &&
         whole.size() + fraction.size() <= kMaxDecimalDigits;
}

bool IsLeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

bool IsDate(std::string_view v) {
  if (v.size() != 10 || v[4] != '-' || v[7] != '-') return false;
  if (!AllDigits(v.substr(0, 4)) || !AllDigits(v.substr(5, 2)) || !AllDigits(v.substr(8, 2))) {
    return false;
  }
  int year = Number(v.substr(0, 4));
  int month = Number(v.substr(5, 2));
  int day = Number(v.substr(8, 2));
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  int max_day = kDays[month - 1] + (month == 2 && IsLeapYear(year) ? 1 : 0);
  return day <= max_day;
}

// "HH:MM" with range checks; `max_hour` is 23, or 14 for zone offsets.
bool IsHourMinute(std::string_view v, int max_hour) {
  return v.size() == 5 && v[2] == ':' && AllDigits(v.substr(0, 2)) && AllDigits(v.substr(3, 2)) &&
         Number(v.substr(0, 2)) <= max_hour && Number(v.substr(3, 2)) <= 59;
}

// YYYY-MM-DD, 'T' or ' ', HH:MM[:SS[.fraction]], then an optional zone: Z, +HH, +HH:MM, +HHMM.
bool IsTimestamp(std::string_view v) {
  if (v.size() < 16 || !IsDate(v.substr(0, 10)) || (v[10] != 'T' && v[10] != ' ')) return false;
  std::string_view rest = v.substr(11);
  if (!IsHourMinute(rest.substr(0, 5), 23)) return false;
  rest.remove_prefix(5);
  if (!rest.empty() && rest.front() == ':') {
    if (rest.size() < 3 || !AllDigits(rest.substr(1, 2)) || Number(rest.substr(1, 2)) > 60) {
      return false;  // 60: a leap second
    }
    rest.remove_prefix(3);
    if (!rest.empty() && rest.front() == '.') {
      size_t n = 1;
      while (n < rest.size() && IsDigit(rest[n])) ++n;
      if (n == 1 || n > 10) return false;
      rest.remove_prefix(n);
    }
  }
  if (rest.empty() || rest == "Z") return true;
  if (rest.front() != '+' && rest.front() != '-') return false;
  rest.remove_prefix(1);
  if (rest.size() == 2) return AllDigits(rest) && Number(rest) <= 14;
  if (rest.size() == 4 && AllDigits(rest)) {
    return IsHourMinute(std::string(rest.substr(0, 2)) + ":" + std::string(rest.substr(2)), 14);
  }
  return IsHourMinute(rest, 14);
}

// The type a column gets from values of types `a` and `b`.
ColumnType Widen(ColumnType a, ColumnType b) {
  if (a == b) return a;
  auto either = [&](ColumnType x, ColumnType y) {
    return (a == x && b == y) || (a == y && b == x);
  };
  if (either(ColumnType::kInteger, ColumnType::kDecimal)) return ColumnType::kDecimal;
  if (either(ColumnType::kDate, ColumnType::kTimestamp)) return ColumnType::kTimestamp;
  return ColumnType::kString;
}

void Accumulate(std::optional<ColumnType>& column, std::optional<ColumnType> value) {
  if (!value) return;
  column = column ? Widen(*column, *value) : *value;
}

// A CSV column's type from its sample values. Daily files carry a few bad values ("abc" in a
// quantity column, "20240115" in a date column) that the job rejects row by row; letting them
// widen the column would make the schema flap between files. So the most frequent readings
// that together cover 95% of the non-empty values decide the type, and the rest are outliers.
class TypeTally {
 public:
  void Add(std::optional<ColumnType> t) {
    if (!t) return;
    ++values_;
    ++counts_[static_cast<size_t>(*t)];
  }
  std::optional<ColumnType> Type() const {
    if (values_ == 0) return std::nullopt;
    std::array<size_t, kTypes> order;
    for (size_t i = 0; i < kTypes; ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return counts_[a] > counts_[b]; });
    std::optional<ColumnType> type;
    size_t covered = 0;
    for (size_t i : order) {
      if (covered * 20 >= values_ * 19 || counts_[i] == 0) break;
      Accumulate(type, static_cast<ColumnType>(i));
      covered += counts_[i];
    }
    return type;
  }

 private:
  static constexpr size_t kTypes = static_cast<size_t>(ColumnType::kBoolean) + 1;
  size_t values_ = 0;
  std::array<size_t, kTypes> counts_{};
};

// ---- Text checks ----

struct Signature {
  std::string_view magic;
  std::string_view what;
};

constexpr std::array<Signature, 7> kBinarySignatures = {{
    {"\x1F\x8B", "gzip data that did not decompress"},
    {"\x28\xB5\x2F\xFD", "zstd data that did not decompress"},
    {"PK\x03\x04", "a ZIP archive or an XLSX workbook"},
    {"\x89PNG", "a PNG image"},
    {"%PDF-", "a PDF document"},
    {"\xD0\xCF\x11\xE0", "an OLE document such as an XLS workbook"},
    {"\xFD"
     "7zXZ",
     "xz data"},
}};

size_t LineAt(std::string_view s, size_t offset) {
  size_t line = 1;
  for (size_t i = 0; i < offset && i < s.size(); ++i) line += s[i] == '\n';
  return line;
}

// Rejects what is not UTF-8 text. `whole`: a sequence cut by the end of the sample is fine
// when the sample is only the object's beginning.
Status CheckText(std::string_view s, bool whole) {
  if (s.starts_with("\xFF\xFE") || s.starts_with("\xFE\xFF")) {
    return Status::CorruptInput(
        "UTF-16 text (it starts with a UTF-16 byte order mark); convert "
        "the file to UTF-8");
  }
  for (const Signature& sig : kBinarySignatures) {
    if (s.starts_with(sig.magic)) {
      return Status::CorruptInput(
          fmt::format("binary content (it looks like {}), not CSV or JSON Lines text", sig.what));
    }
  }
  // A few bad bytes are the job's business (rows rejected as nul_byte / invalid_utf8); only a
  // sample that is mostly not text, or whose lines are mostly not UTF-8, is not a data file.
  size_t non_text = 0;
  size_t lines = 1, bad_lines = 0, last_bad_line = 0;
  std::optional<size_t> first_invalid;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\n') ++lines;
    int len = c == 0 ? 0 : Utf8SequenceLength(s, i);
    if (len < 0 && !whole) break;
    if (len <= 0) {
      ++non_text;
      if (!first_invalid) first_invalid = i;
      if (last_bad_line != lines) ++bad_lines, last_bad_line = lines;
      ++i;
      continue;
    }
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v') || c == 0x7F) {
      ++non_text;
    }
    i += static_cast<size_t>(len);
  }
  if (non_text * 10 > s.size()) {
    return Status::CorruptInput(fmt::format(
        "binary content ({} of the first {} bytes are not text), not CSV or JSON Lines text",
        non_text, s.size()));
  }
  if (!s.empty() && s.back() == '\n') --lines;  // a final newline ends the last line
  if (first_invalid && bad_lines * 2 > lines) {
    return Status::CorruptInput(fmt::format(
        "not UTF-8: {} of {} lines hold invalid bytes, the first 0x{:02X} at offset {} (line {}); "
        "convert the file to UTF-8",
        bad_lines, lines, static_cast<unsigned char>(s[*first_invalid]), *first_invalid,
        LineAt(s, *first_invalid)));
  }
  return Status::Ok();
}

// ---- CSV ----

struct CsvRecord {
  std::vector<std::string> fields;
  size_t line = 0;  // where the record starts, 1-based
};

struct CsvParse {
  std::vector<CsvRecord> records;
  std::optional<size_t> open_quote_line;  // the text ended inside a quoted field started here
};

// Splits `text` into records (RFC 4180: a field that starts with a quote runs to the matching
// quote, "" inside it is a quote, and it may hold delimiters and newlines; a quote elsewhere is
// literal). Blank lines are skipped. A last record not ended by a newline is kept only when
// `whole`; one ended inside quotes never is. Stops after `max_records` records.
CsvParse ParseCsv(std::string_view text, char delimiter, bool whole, size_t max_records) {
  CsvParse out;
  size_t i = 0, line = 1;
  const size_t n = text.size();
  while (i < n && out.records.size() < max_records) {
    CsvRecord record;
    record.line = line;
    std::string field;
    bool in_quotes = false, field_start = true, field_quoted = false, ended = false;
    while (i < n) {
      char c = text[i];
      if (in_quotes) {
        if (c == kQuote) {
          if (i + 1 < n && text[i + 1] == kQuote) {
            field += kQuote;
            i += 2;
          } else {
            in_quotes = false;
            ++i;
          }
          continue;
        }
        line += c == '\n';
        field += c;
        ++i;
        continue;
      }
      if (field_start && c == kQuote) {
        in_quotes = field_quoted = true;
        field_start = false;
        ++i;
        continue;
      }
      if (c == delimiter) {
        record.fields.push_back(std::move(field));
        field.clear();
        field_start = true;
        field_quoted = false;
        ++i;
        continue;
      }
      ++i;
      if (c == '\n') {
        ++line;
        ended = true;
        break;
      }
      field += c;
      field_start = false;
    }
    if (in_quotes) {
      out.open_quote_line = record.line;
      break;
    }
    if (!ended && !whole) break;  // cut by the end of the sample
    if (!field.empty() && field.back() == '\r') field.pop_back();
    record.fields.push_back(std::move(field));
    if (record.fields.size() == 1 && !field_quoted && Trim(record.fields[0]).empty()) continue;
    out.records.push_back(std::move(record));
  }
  return out;
}

struct FieldCountMode {
  size_t fields = 0;  // the most common field count (the larger one on a tie)
  size_t rows = 0;    // records with that count
};

FieldCountMode ModeOf(const std::vector<CsvRecord>& records) {
  std::map<size_t, size_t> counts;
  for (const CsvRecord& r : records) ++counts[r.fields.size()];
  FieldCountMode mode;
  for (const auto& [fields, rows] : counts) {
    if (rows >= mode.rows) mode = {fields, rows};
  }
  return mode;
}

std::string DelimiterName(char d) { return d == '\t' ? "tab" : fmt::format("'{}'", d); }

// Whether `record` can be a header over data rows whose column types are `data_types`: its
// names are distinct and not typed values; a name may be empty only over a column without
// values (the trailing delimiter that spreadsheets write), and that column is named col<i>.
bool LooksLikeHeader(const CsvRecord& record,
                     const std::vector<std::optional<ColumnType>>& data_types) {
  std::unordered_set<std::string_view> seen;
  size_t named = 0;
  for (size_t c = 0; c < record.fields.size(); ++c) {
    std::string_view name = Trim(record.fields[c]);
    if (name.empty()) {
      if (data_types[c]) return false;
      continue;
    }
    if (!seen.insert(name).second || ClassifyValue(name) != ColumnType::kString) return false;
    ++named;
  }
  return named > 0;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The names the table is known to have, lower-cased, each with its spelling: the catalog
// table's first, then the jobs' (so a header is recorded as the table spells it).
std::unordered_map<std::string, std::string> KnownNames(const CrawlHints& hints) {
  std::unordered_map<std::string, std::string> known;
  for (const std::string& name : hints.table_columns) {
    if (!name.empty()) known.emplace(Lower(name), name);
  }
  for (const auto& columns : hints.job_columns) {
    for (const std::string& name : columns) {
      if (!name.empty()) known.emplace(Lower(name), name);
    }
  }
  return known;
}

// Whether `record` names the table's known columns: its non-empty fields are distinct
// (ignoring case), none is a typed value, and more than half of them are known names
// (trimmed, ignoring case; in any order). A data row cannot do that, whatever its types,
// which is what tells a header apart when every column is a string.
bool NamesKnownColumns(const CsvRecord& record,
                       const std::unordered_map<std::string, std::string>& known) {
  if (known.empty()) return false;
  std::unordered_set<std::string> seen;
  size_t named = 0, matched = 0;
  for (const std::string& field : record.fields) {
    std::string_view name = Trim(field);
    if (name.empty()) continue;
    std::string lower = Lower(name);
    if (ClassifyValue(name) != ColumnType::kString || !seen.insert(lower).second) return false;
    ++named;
    matched += known.contains(lower);
  }
  return matched * 2 > named;
}

// The names of a headerless object's `width` columns, by position: the catalog table's
// current columns when it has that many, else those of a job that reads that many, else
// col0, col1, ... So a headerless file keeps the table's names instead of renaming them.
std::vector<std::string> HeaderlessNames(size_t width, const CrawlHints& hints) {
  if (hints.table_columns.size() == width) return hints.table_columns;
  for (const auto& columns : hints.job_columns) {
    if (columns.size() == width) return columns;
  }
  std::vector<std::string> names;
  for (size_t c = 0; c < width; ++c) names.push_back(fmt::format("col{}", c));
  return names;
}

Result<TableSchema> InferCsv(std::string_view text, bool whole, const CrawlHints& hints) {
  std::array<CsvParse, kCandidateDelimiters.size()> parses;
  std::array<FieldCountMode, kCandidateDelimiters.size()> modes;
  std::optional<size_t> best;
  for (size_t c = 0; c < kCandidateDelimiters.size(); ++c) {
    parses[c] = ParseCsv(text, kCandidateDelimiters[c], whole, kMaxSampleRows + 1);
    modes[c] = ModeOf(parses[c].records);
    const FieldCountMode& m = modes[c];
    size_t total = parses[c].records.size();
    if (m.fields < 2 || m.rows * 2 <= total) continue;
    if (!best) {
      best = c;
      continue;
    }
    // Prefer the larger share of rows with the mode's count, then more fields.
    const FieldCountMode& b = modes[*best];
    size_t best_total = parses[*best].records.size();
    uint64_t share = uint64_t{m.rows} * best_total, best_share = uint64_t{b.rows} * total;
    if (share > best_share || (share == best_share && m.fields > b.fields)) best = c;
  }

  const CsvParse& comma = parses[0];
  if (comma.records.empty()) {
    if (comma.open_quote_line) {
      return Status::CorruptInput(
          fmt::format("line {}: a quoted field is never closed", *comma.open_quote_line));
    }
    return Status::CorruptInput("no complete line in the sample");
  }
  if (!best) {
    bool one_column = true;
    size_t widest = 0;
    for (size_t c = 0; c < kCandidateDelimiters.size(); ++c) {
      one_column = one_column && modes[c].fields <= 1;
      if (modes[c].fields > modes[widest].fields) widest = c;
    }
    if (!one_column) {
      std::string counts;
      const auto& records = parses[widest].records;
      for (size_t r = 0; r < records.size() && r < 5; ++r) {
        counts +=
            fmt::format("{}line {}: {}", r ? ", " : "", records[r].line, records[r].fields.size());
      }
      return Status::CorruptInput(fmt::format(
          "no consistent delimiter: none of ',' ';' tab '|' splits most of the {} sampled lines "
          "into the same number of fields (fields per line with {}: {})",
          records.size(), DelimiterName(kCandidateDelimiters[widest]), counts));
    }
    best = 0;  // one column: every line is a single field
  }

  const char delimiter = kCandidateDelimiters[*best];
  const std::vector<CsvRecord>& records = parses[*best].records;
  const size_t width = std::max<size_t>(modes[*best].fields, 1);
  std::vector<const CsvRecord*> rows;  // records with the expected field count
  for (const CsvRecord& r : records) {
    if (r.fields.size() == width) rows.push_back(&r);
  }

  auto column_types = [&](size_t first_row) {
    std::vector<TypeTally> tallies(width);
    for (size_t r = first_row; r < rows.size() && r - first_row < kMaxSampleRows; ++r) {
      for (size_t c = 0; c < width; ++c) tallies[c].Add(ClassifyValue(rows[r]->fields[c]));
    }
    std::vector<std::optional<ColumnType>> types(width);
    for (size_t c = 0; c < width; ++c) types[c] = tallies[c].Type();
    return types;
  };

  // Whether the first record is a header: as configured, or detected. Detected, it is one
  // when it names the table's known columns; failing that (a new table, or a header of new
  // names), by Glue's rule: distinct names that are not typed values over typed data.
  const auto known = KnownNames(hints);
  const CsvRecord& first = records.front();
  const bool first_in_rows = !rows.empty() && rows.front() == &first;
  bool has_header = false;
  switch (hints.header) {
    case HeaderMode::kPresent:
      has_header = true;
      break;
    case HeaderMode::kAbsent:
      break;
    case HeaderMode::kDetect:
      if (NamesKnownColumns(first, known)) {
        has_header = true;
      } else if (first_in_rows) {
        const std::vector<std::optional<ColumnType>> data_types = column_types(1);
        if (LooksLikeHeader(first, data_types)) {
          has_header = rows.size() == 1;  // a header-only object
          for (const auto& t : data_types) {
            has_header = has_header || (t && *t != ColumnType::kString);
          }
        }
      }
      break;
  }

  TableSchema schema;
  schema.format = DataFormat::kCsv;
  schema.delimiter = delimiter;
  schema.quote = kQuote;
  schema.has_header = has_header;
  std::vector<std::optional<ColumnType>> types = column_types(has_header && first_in_rows ? 1 : 0);
  const std::vector<std::string> headerless =
      has_header ? std::vector<std::string>() : HeaderlessNames(width, hints);
  for (size_t c = 0; c < width; ++c) {
    Column column;
    if (!has_header) {
      column.name = headerless[c];
    } else if (c < first.fields.size()) {
      // A name the table knows in another case is recorded as the table spells it, so that
      // case alone never makes a schema version.
      column.name = std::string(Trim(first.fields[c]));
      auto it = known.find(Lower(column.name));
      if (it != known.end()) column.name = it->second;
    }
    if (column.name.empty()) column.name = fmt::format("col{}", c);
    column.type = types[c].value_or(ColumnType::kString);
    schema.columns.push_back(std::move(column));
  }
  return schema;
}

// ---- JSON Lines ----

// A SAX handler that records a JSON object's top-level keys and the types of their values,
// without building the document (a hostile line costs no memory beyond its key list).
class TopLevelFields {
 public:
  using json = nlohmann::json;

  bool null() { return Value(std::nullopt); }
  bool boolean(bool) { return Value(ColumnType::kBoolean); }
  bool number_integer(json::number_integer_t) { return Value(ColumnType::kInteger); }
  bool number_unsigned(json::number_unsigned_t v) {
    return Value(v <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
                     ? ColumnType::kInteger
                     : ColumnType::kString);
  }
  bool number_float(json::number_float_t, const json::string_t& text) {
    return Value(ClassifyValue(text));
  }
  bool string(json::string_t& s) {
    // JSON has its own numbers and booleans; a string is a date, a timestamp or a string.
    std::optional<ColumnType> t = ClassifyValue(s);
    if (t && *t != ColumnType::kDate && *t != ColumnType::kTimestamp) t = ColumnType::kString;
    return Value(t);
  }
  bool binary(json::binary_t&) { return Value(ColumnType::kString); }
  bool start_object(size_t) {
    if (depth_ == 1) fields_.emplace_back(key_, ColumnType::kString);
    ++depth_;
    return true;
  }
  bool key(json::string_t& k) {
    if (depth_ == 1) key_ = k;
    return true;
  }
  bool end_object() {
    --depth_;
    return true;
  }
  bool start_array(size_t) {
    if (depth_ == 0) return false;  // a document that is not an object
    if (depth_ == 1) fields_.emplace_back(key_, ColumnType::kString);
    ++depth_;
    return true;
  }
  bool end_array() {
    --depth_;
    return true;
  }
  bool parse_error(size_t, const std::string&, const json::exception&) { return false; }

  std::vector<std::pair<std::string, std::optional<ColumnType>>>& fields() { return fields_; }

 private:
  bool Value(std::optional<ColumnType> type) {
    if (depth_ == 0) return false;  // a scalar document
    if (depth_ == 1) fields_.emplace_back(key_, type);
    return true;
  }

  int depth_ = 0;
  std::string key_;
  std::vector<std::pair<std::string, std::optional<ColumnType>>> fields_;
};

// The top-level fields of `line` when it is one JSON object, nullopt otherwise.
std::optional<std::vector<std::pair<std::string, std::optional<ColumnType>>>> ParseJsonObject(
    std::string_view line) {
  if (line.empty() || line.front() != '{') return std::nullopt;
  TopLevelFields handler;
  bool ok = false;
  try {
    ok = nlohmann::json::sax_parse(line.begin(), line.end(), &handler);
  } catch (const std::exception&) {
    ok = false;
  }
  if (!ok) return std::nullopt;
  return std::move(handler.fields());
}

struct Line {
  std::string_view text;  // trimmed
  size_t number;
};

std::vector<Line> NonBlankLines(std::string_view text, size_t max_lines) {
  std::vector<Line> lines;
  size_t number = 1;
  while (!text.empty() && lines.size() < max_lines) {
    size_t end = text.find('\n');
    std::string_view line = Trim(text.substr(0, end));
    if (!line.empty()) lines.push_back({line, number});
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
    ++number;
  }
  return lines;
}

Result<TableSchema> InferJsonLines(const std::vector<Line>& lines) {
  TableSchema schema;
  schema.format = DataFormat::kJsonLines;
  std::vector<std::optional<ColumnType>> types;
  std::unordered_map<std::string, size_t> index;
  size_t bad = 0;
  std::optional<size_t> first_bad;
  for (const Line& line : lines) {
    auto fields = ParseJsonObject(line.text);
    if (!fields) {
      ++bad;
      if (!first_bad) first_bad = line.number;
      continue;
    }
    for (auto& [name, type] : *fields) {
      auto [it, inserted] = index.emplace(name, schema.columns.size());
      if (inserted) {
        schema.columns.push_back({name, ColumnType::kString});
        types.emplace_back();
      }
      Accumulate(types[it->second], type);
    }
  }
  if (bad * 2 > lines.size()) {
    return Status::CorruptInput(fmt::format(
        "not JSON Lines: {} of the {} sampled lines are not JSON objects (the first is line {}); "
        "JSON input must hold one object per line",
        bad, lines.size(), first_bad.value_or(0)));
  }
  if (schema.columns.empty()) {
    return Status::CorruptInput("JSON Lines objects without any key: no columns to infer");
  }
  for (size_t c = 0; c < types.size(); ++c) {
    schema.columns[c].type = types[c].value_or(ColumnType::kString);
  }
  return schema;
}

bool LooksLikeJsonArray(std::string_view text) {
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || text[first] != '[') return false;
  size_t next = text.find_first_not_of(" \t\r\n", first + 1);
  return next != std::string_view::npos && (text[next] == '{' || text[next] == '[');
}

}  // namespace

std::string_view HeaderModeName(HeaderMode mode) {
  switch (mode) {
    case HeaderMode::kDetect:
      return "detect";
    case HeaderMode::kPresent:
      return "present";
    case HeaderMode::kAbsent:
      return "absent";
  }
  return "detect";
}

std::optional<HeaderMode> ParseHeaderMode(std::string_view name) {
  for (HeaderMode m : {HeaderMode::kDetect, HeaderMode::kPresent, HeaderMode::kAbsent}) {
    if (HeaderModeName(m) == name) return m;
  }
  return std::nullopt;
}

std::optional<ColumnType> ClassifyValue(std::string_view value) {
  std::string_view v = Trim(value);
  if (v.empty()) return std::nullopt;
  if (EqualsIgnoreCase(v, "true") || EqualsIgnoreCase(v, "false")) return ColumnType::kBoolean;
  if (IsInteger(v)) return ColumnType::kInteger;
  if (IsDecimal(v)) return ColumnType::kDecimal;
  if (IsDate(v)) return ColumnType::kDate;
  if (IsTimestamp(v)) return ColumnType::kTimestamp;
  return ColumnType::kString;
}

Result<TableSchema> InferSchema(std::string_view sample, bool sample_is_whole_object,
                                const CrawlHints& hints) {
  if (sample.empty()) return Status::CorruptInput("empty object: nothing to infer a schema from");
  if (sample.starts_with(kUtf8Bom)) sample.remove_prefix(kUtf8Bom.size());
  EP_RETURN_IF_ERROR(CheckText(sample, sample_is_whole_object));

  // Only complete lines take part; the sample of a larger object may end inside one.
  std::string_view complete = sample;
  if (!sample_is_whole_object) {
    size_t last_newline = sample.rfind('\n');
    if (last_newline == std::string_view::npos) {
      return Status::CorruptInput(fmt::format(
          "no line break in the first {} bytes: the first line is longer than the crawler's "
          "sample, so this is not CSV or JSON Lines",
          sample.size()));
    }
    complete = sample.substr(0, last_newline + 1);
  }
  if (complete.find_first_not_of(" \t\r\n\f\v") == std::string_view::npos) {
    return Status::CorruptInput(sample_is_whole_object
                                    ? "no data: the object holds only blank lines"
                                    : "no data: the sample holds only blank lines");
  }
  if (LooksLikeJsonArray(complete)) {
    return Status::CorruptInput(
        "a JSON array document; JSON input must be JSON Lines (one object per line)");
  }

  std::vector<Line> lines = NonBlankLines(complete, kMaxSampleRows);
  // A first line that starts with '{' but does not parse is a bad JSON line, not CSV: most such
  // files are pretty-printed JSON, and a CSV reading of them would be a one-column table.
  if (!lines.empty() && lines.front().text.front() == '{') return InferJsonLines(lines);
  return InferCsv(complete, sample_is_whole_object, hints);
}

PartitionValues ParsePartitions(const std::string& key) {
  PartitionValues partitions;
  std::string_view rest = key;
  size_t slash;
  while ((slash = rest.find('/')) != std::string_view::npos) {
    std::string_view segment = rest.substr(0, slash);
    rest.remove_prefix(slash + 1);
    size_t eq = segment.find('=');
    if (eq != std::string_view::npos && eq > 0) {
      partitions.emplace_back(std::string(segment.substr(0, eq)),
                              std::string(segment.substr(eq + 1)));
    }
  }
  return partitions;
}

std::string TableNameFor(const std::string& key) {
  std::string_view rest = key;
  std::string name;
  bool any_directory = false;
  size_t slash;
  while ((slash = rest.find('/')) != std::string_view::npos) {
    std::string_view segment = rest.substr(0, slash);
    rest.remove_prefix(slash + 1);
    if (segment.empty()) continue;
    any_directory = true;
    size_t eq = segment.find('=');
    if (eq != std::string_view::npos && eq > 0) break;
    if (!name.empty()) name += '_';
    name += segment;
  }
  if (!name.empty()) return name;
  if (any_directory) return "default";
  std::string_view file = rest.substr(0, rest.find('.'));
  return file.empty() ? "default" : std::string(file);
}

}  // namespace ecompipe::catalog
