#include "transform/json_lines_reader.h"

#include <simdjson.h>

#include <cstring>

namespace ecompipe::transform {

namespace {

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view TrimJsonSpace(std::string_view s) {
  while (!s.empty() && IsJsonSpace(s.back())) s.remove_suffix(1);
  while (!s.empty() && IsJsonSpace(s.front())) s.remove_prefix(1);
  return s;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// RFC 8259 number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool IsJsonNumber(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  if (i < n && s[i] == '-') ++i;
  if (i == n) return false;
  if (s[i] == '0') {
    ++i;
  } else if (IsDigit(s[i])) {
    while (i < n && IsDigit(s[i])) ++i;
  } else {
    return false;
  }
  if (i < n && s[i] == '.') {
    ++i;
    const size_t start = i;
    while (i < n && IsDigit(s[i])) ++i;
    if (i == start) return false;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    const size_t start = i;
    while (i < n && IsDigit(s[i])) ++i;
    if (i == start) return false;
  }
  return i == n;
}

}  // namespace

static_assert(JsonLinesReader::kPadding >= simdjson::SIMDJSON_PADDING);

struct JsonLineParser::Impl {
  simdjson::ondemand::parser parser;
  std::string padded;  // a copied line, with SIMDJSON_PADDING bytes of capacity after it
};

JsonLineParser::JsonLineParser() : impl_(std::make_unique<Impl>()) {}
JsonLineParser::~JsonLineParser() = default;
JsonLineParser::JsonLineParser(JsonLineParser&&) noexcept = default;
JsonLineParser& JsonLineParser::operator=(JsonLineParser&&) noexcept = default;

JsonLinesReader::JsonLinesReader(storage::InputStream& in, std::vector<std::string> columns,
                                 const JsonLinesOptions& options)
    : buffer_(in, options.chunk_size),
      columns_(std::move(columns)),
      max_record_bytes_(options.max_record_bytes),
      own_parser_(std::make_unique<JsonLineParser>()),
      parser_(own_parser_.get()),
      started_(!options.skip_bom) {}

JsonLinesReader::JsonLinesReader(std::string_view text, size_t padding,
                                 std::vector<std::string> columns, const JsonLinesOptions& options,
                                 JsonLineParser& parser)
    : buffer_(text),
      columns_(std::move(columns)),
      max_record_bytes_(options.max_record_bytes),
      readable_end_(padding >= kPadding ? text.data() + text.size() + padding : nullptr),
      parser_(&parser),
      started_(!options.skip_bom) {}

JsonLinesReader::~JsonLinesReader() = default;

Result<const Record*> JsonLinesReader::Next() {
  if (!started_) {
    started_ = true;
    while (buffer_.available() < 3) {
      EP_ASSIGN_OR_RETURN(bool more, buffer_.Fill());
      if (!more) break;
    }
    if (buffer_.available() >= 3 && std::memcmp(buffer_.begin(), "\xEF\xBB\xBF", 3) == 0) {
      buffer_.Consume(3);
    }
  }
  while (true) {
    // Find the end of the line; JSON strings cannot hold a raw LF, so it is the first LF.
    size_t scanned = 0;
    size_t skipped = 0;
    bool skipping = false;
    char last_skipped_byte = 0;
    const char* lf = nullptr;
    while (true) {
      // Nothing to scan is not passed to memchr: a buffer nothing has filled yet has no memory
      // (a null begin()), and memchr's pointer must be valid even for 0 bytes.
      if (scanned < buffer_.available()) {
        lf = static_cast<const char*>(
            std::memchr(buffer_.begin() + scanned, '\n', buffer_.available() - scanned));
        if (lf != nullptr) break;
      }
      scanned = buffer_.available();
      if (!skipping && scanned > max_record_bytes_ + 1) {
        skipping = true;
        truncated_raw_.clear();
      }
      if (skipping) {
        KeepRawPrefix(truncated_raw_, std::string_view(buffer_.begin(), scanned));
        last_skipped_byte = buffer_.begin()[scanned - 1];
        skipped += scanned;
        buffer_.Consume(scanned);
        scanned = 0;
      }
      EP_ASSIGN_OR_RETURN(bool more, buffer_.Fill());
      if (!more) break;
    }
    const bool at_eof = lf == nullptr;
    const size_t end = at_eof ? buffer_.available() : static_cast<size_t>(lf - buffer_.begin());
    if (at_eof && end == 0 && skipped == 0) return nullptr;

    const char* const base = buffer_.begin();
    const bool strip_cr = (end > 0 ? base[end - 1] : last_skipped_byte) == '\r';
    record_.line = line_;
    line_ += at_eof ? 0 : 1;
    buffer_.Consume(at_eof ? end : end + 1);  // views stay valid until the next Fill()
    record_.fields.clear();
    record_.malformed.clear();
    record_.too_long = false;
    record_.bytes = skipped + end - (strip_cr ? 1 : 0);
    if (skipping) {
      KeepRawPrefix(truncated_raw_, std::string_view(base, end));
      if (truncated_raw_.size() > record_.bytes) truncated_raw_.resize(record_.bytes);
      record_.too_long = true;
      record_.raw = TruncateRaw(truncated_raw_);
      return &record_;
    }
    const size_t raw_length = record_.bytes;
    const std::string_view raw(base, raw_length);
    // Too long before blank: a long blank line is too long however it was read (in one
    // piece, or skipped as it streamed in).
    if (raw_length > max_record_bytes_) {
      record_.too_long = true;
      record_.raw = TruncateRaw(raw);
      return &record_;
    }
    if (TrimJsonSpace(raw).empty()) continue;  // a blank line
    record_.raw = raw;
    Parse();
    return &record_;
  }
}

void JsonLinesReader::Parse() {
  using simdjson::ondemand::json_type;
  // simdjson reads up to SIMDJSON_PADDING bytes past the end: parse in place when they are
  // allocated (over memory, the rest of the text and its padding), else a padded copy.
  JsonLineParser::Impl& p = *parser_->impl_;
  const char* json = record_.raw.data();
  const size_t length = record_.raw.size();
  size_t capacity = readable_end_ != nullptr ? static_cast<size_t>(readable_end_ - json) : 0;
  if (capacity < length + simdjson::SIMDJSON_PADDING) {
    p.padded.reserve(length + simdjson::SIMDJSON_PADDING);
    p.padded.assign(record_.raw);
    json = p.padded.data();
    capacity = p.padded.capacity();
  }
  record_.fields.assign(columns_.size(), std::string_view());

  auto fail = [this](std::string why) {
    record_.fields.clear();
    record_.malformed = std::move(why);
  };
  simdjson::ondemand::document doc;
  if (p.parser.iterate(json, length, capacity).get(doc)) {
    return fail("not valid JSON");
  }
  simdjson::ondemand::object object;
  if (doc.get_object().get(object)) return fail("not a JSON object");
  for (auto field_result : object) {
    simdjson::ondemand::field field;
    if (std::move(field_result).get(field)) return fail("not a valid JSON object");
    std::string_view key;
    if (field.unescaped_key().get(key)) return fail("not a valid JSON object");
    size_t column = 0;
    while (column < columns_.size() && columns_[column] != key) ++column;
    simdjson::ondemand::value value = field.value();
    json_type type;
    if (value.type().get(type)) return fail("not a valid JSON object");
    if (column == columns_.size()) {
      continue;  // not wanted: the iterator skips it (and checks its structure)
    }
    std::string_view text;
    switch (type) {
      case json_type::string:
        if (value.get_string().get(text))
          return fail("bad string for key '" + std::string(key) + "'");
        break;
      case json_type::number:
        text = TrimJsonSpace(value.raw_json_token());
        if (!IsJsonNumber(text)) return fail("bad number for key '" + std::string(key) + "'");
        break;
      case json_type::boolean: {
        bool b = false;
        if (value.get_bool().get(b)) return fail("bad literal for key '" + std::string(key) + "'");
        text = b ? "true" : "false";
        break;
      }
      case json_type::null: {
        bool is_null = false;
        if (value.is_null().get(is_null) || !is_null) {
          return fail("bad literal for key '" + std::string(key) + "'");
        }
        break;
      }
      case json_type::object:
      case json_type::array:
        return fail("value of '" + std::string(key) + "' is not a string, number, boolean or null");
    }
    record_.fields[column] = text;
  }
  // At the end of the document current_location() is OUT_OF_BOUNDS; anything else means
  // text after the object ("{} x", "{}{}").
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) {
    return fail("text after the JSON object");
  }
}

}  // namespace ecompipe::transform
