#include "transform/internal/transaction_check.h"

#include <simdjson.h>

#include <algorithm>
#include <cstring>

#include "transform/csv_reader.h"
#include "transform/internal/csv_boundary.h"
#include "transform/internal/id_key.h"
#include "transform/internal/transaction_id_set.h"
#include "transform/rules.h"

namespace ecompipe::transform::internal {

using model::CheckedMultiply;
using model::Money;
using model::ParseMoney;
namespace reason = model::reason;

const std::vector<std::string> kTransactionColumns = {
    "transaction_id", "customer_id",      "product_id",   "quantity",
    "price",          "transaction_date", "payment_type", "status"};

namespace {

constexpr size_t kMaxQuotedValue = 64;
constexpr size_t kReadPiece = 64 * 1024;

std::string Shortened(std::string_view value, size_t limit) {
  if (value.size() <= limit) return std::string(value);
  size_t n = limit;
  while (n > 0 && (static_cast<unsigned char>(value[n]) & 0xC0) == 0x80) --n;
  return std::string(value.substr(0, n)) + "...";
}

std::string Quoted(std::string_view value) { return "'" + Shortened(value, kMaxQuotedValue) + "'"; }

std::string Place(const std::string& object_key, int64_t line) {
  return object_key + " line " + std::to_string(line);
}

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool SameName(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] - 'A' + 'a') : b[i];
    if (x != y) return false;
  }
  return true;
}

}  // namespace

Status LayoutFromHeader(const std::vector<std::string_view>& names,
                        const std::vector<std::string>& columns, std::string_view header_text,
                        Layout& layout) {
  layout.index.clear();
  for (const std::string& name : columns) {
    size_t found = names.size();
    for (size_t i = 0; i < names.size(); ++i) {
      if (!SameName(TrimBlanks(names[i]), name)) continue;
      if (found != names.size()) {
        return Status::CorruptInput("column '" + name + "' appears twice in the header");
      }
      found = i;
    }
    if (found == names.size()) {
      return Status::CorruptInput("missing required column '" + name +
                                  "' (header: " + Shortened(header_text, 200) + ")");
    }
    layout.index.push_back(found);
  }
  layout.expected_fields = names.size();
  layout.field_count_basis = "header has " + std::to_string(names.size());
  return Status::Ok();
}

Layout HeaderlessLayout(const catalog::TableSchema& schema,
                        const std::vector<std::string>& columns) {
  std::vector<std::string_view> names;
  for (const catalog::Column& c : schema.columns) names.push_back(c.name);
  Layout layout;
  if (LayoutFromHeader(names, columns, {}, layout).ok()) {
    layout.field_count_basis = "expected " + std::to_string(names.size());
    return layout;
  }
  layout.index.clear();
  for (size_t i = 0; i < columns.size(); ++i) layout.index.push_back(i);
  layout.expected_fields = columns.size();
  layout.field_count_basis = "expected " + std::to_string(columns.size());
  return layout;
}

Result<size_t> MemoryInputStream::Read(char* buffer, size_t capacity) {
  const size_t n = std::min(capacity, data_.size() - pos_);
  std::memcpy(buffer, data_.data() + pos_, n);
  pos_ += n;
  return n;
}

bool CleanBytes(std::string_view text) {
  return std::memchr(text.data(), '\0', text.size()) == nullptr &&
         simdjson::validate_utf8(text.data(), text.size());
}

std::optional<Problem> CheckRecord(const Record& record, const Layout& layout,
                                   size_t max_record_bytes, bool bytes_checked) {
  if (bytes_checked) {
    // Only the checks below the byte-level ones.
  } else if (const void* nul = std::memchr(record.raw.data(), '\0', record.raw.size())) {
    const auto offset = static_cast<const char*>(nul) - record.raw.data();
    return Problem{reason::kNulByte,
                   "NUL byte at byte " + std::to_string(offset + 1) + " of the record"};
  }
  if (!bytes_checked && !simdjson::validate_utf8(record.raw.data(), record.raw.size())) {
    return Problem{reason::kInvalidUtf8, "record is not valid UTF-8"};
  }
  if (record.too_long) {
    return Problem{reason::kLineTooLong, "record of " + std::to_string(record.bytes) +
                                             " bytes exceeds the limit of " +
                                             std::to_string(max_record_bytes) + " bytes"};
  }
  if (!record.malformed.empty()) return Problem{reason::kMalformedRecord, record.malformed};
  if (layout.expected_fields != 0 && record.fields.size() != layout.expected_fields) {
    return Problem{reason::kWrongFieldCount,
                   std::to_string(record.fields.size()) + " fields, " + layout.field_count_basis};
  }
  return std::nullopt;
}

size_t BinOf(const JobSpec& spec, Money total) {
  for (size_t i = 0; i < spec.bins.size(); ++i) {
    if (!spec.bins[i].upper || total <= *spec.bins[i].upper) return i;
  }
  return spec.bins.size();
}

std::optional<Problem> CheckTransaction(const Record& record, const Layout& layout,
                                        const DimensionIndex& dims, const JobSpec& spec,
                                        CheckedFact& fact, std::string_view* tid_out,
                                        bool bytes_checked) {
  *tid_out = {};
  if (std::optional<Problem> problem =
          CheckRecord(record, layout, spec.max_record_bytes, bytes_checked)) {
    // A field of a record with bad bytes may hold them too: do not copy it out.
    const std::string_view why = problem->reason;
    const bool fields_trusted = why != reason::kNulByte && why != reason::kInvalidUtf8;
    if (fields_trusted && layout.index[kTid] < record.fields.size())
      *tid_out = record.fields[layout.index[kTid]];
    return problem;
  }
  const auto field = [&](TxnColumn c) { return record.fields[layout.index[c]]; };
  const std::string_view tid = field(kTid);
  *tid_out = tid;
  if (tid.empty()) return Problem{reason::kMissingTransactionId, "transaction_id is empty"};
  // Each id is parsed once, for its rule and for its lookup (or the duplicate check): an id
  // with a key passes its rule, so the rule runs only on the rare ids without one.
  const uint64_t tid_key = TransactionIdSet::KeyOf(tid);
  if (tid_key == kNoIdKey && !IsTransactionId(tid)) {
    return Problem{reason::kMalformedTransactionId,
                   "transaction_id " + Quoted(tid) + " does not match TXN[0-9]+"};
  }
  const std::string_view customer_id = field(kCustomer);
  const uint64_t customer_key = dims.CustomerKey(customer_id);
  if (customer_key == kNoIdKey && !IsCustomerId(customer_id)) {
    return Problem{reason::kMalformedCustomerId,
                   "customer_id " + Quoted(customer_id) + " does not match C[0-9]+"};
  }
  const std::string_view product_id = field(kProduct);
  const uint64_t product_key = dims.ProductKey(product_id);
  if (product_key == kNoIdKey && !IsProductId(product_id)) {
    return Problem{reason::kMalformedProductId,
                   "product_id " + Quoted(product_id) + " does not match P[0-9]+"};
  }
  const std::optional<int32_t> quantity = ParseQuantity(field(kQuantity));
  if (!quantity) {
    return Problem{reason::kInvalidQuantity, "quantity " + Quoted(field(kQuantity)) +
                                                 " is not a positive integer of at most 9 digits"};
  }
  const std::optional<Money> price = ParseMoney(field(kPrice));
  if (!price) {
    return Problem{reason::kInvalidPrice,
                   "price " + Quoted(field(kPrice)) +
                       " is not a non-negative decimal with at most 12 integer digits and 2 "
                       "decimals"};
  }
  const std::string_view date = field(kDate);
  if (!IsValidDate(date)) {
    return Problem{reason::kInvalidDate,
                   "transaction_date " + Quoted(date) + " is not a real calendar day YYYY-MM-DD"};
  }
  const std::optional<uint32_t> customer = dims.FindCustomer(customer_id, customer_key);
  if (!customer) {
    return Problem{reason::kUnknownCustomerId,
                   "customer_id " + Quoted(customer_id) + " is not in the customers table"};
  }
  const std::optional<uint32_t> product = dims.FindProduct(product_id, product_key);
  if (!product) {
    return Problem{reason::kUnknownProductId,
                   "product_id " + Quoted(product_id) + " is not in the products table"};
  }
  const std::optional<Money> total = CheckedMultiply(*price, *quantity);
  if (!total) {
    return Problem{reason::kTotalOutOfRange, "quantity " + Quoted(field(kQuantity)) + " x price " +
                                                 Quoted(field(kPrice)) +
                                                 " does not fit a 64-bit count of cents"};
  }
  fact.transaction_id = tid;
  fact.transaction_key = tid_key;
  fact.customer_id = customer_id;
  fact.product_id = product_id;
  fact.date = date;
  fact.payment_type = field(kPayment);
  fact.status = field(kStatus);
  fact.quantity = *quantity;
  fact.price = *price;
  fact.total = *total;
  fact.customer = *customer;
  fact.product = *product;
  fact.bin = BinOf(spec, *total);
  return std::nullopt;
}

Result<OpenedCsv> OpenCsv(storage::InputStream& in, const catalog::TableSchema& schema,
                          const std::vector<std::string>& columns, size_t max_record_bytes,
                          const std::string& object_key) {
  const CsvOptions csv{.delimiter = schema.delimiter,
                       .quote = schema.quote,
                       .max_record_bytes = max_record_bytes,
                       .skip_bom = false};
  const bool json_lines = schema.format == catalog::DataFormat::kJsonLines;
  if (Status s = CsvReader::CheckOptions(csv); !json_lines && !s.ok())
    return std::move(s).At(object_key);
  OpenedCsv opened;
  std::string buf;
  bool eof = false;
  int64_t line = 1;
  const auto read_more = [&]() -> Status {
    const size_t old = buf.size();
    buf.resize(old + kReadPiece);
    Result<size_t> n = in.Read(buf.data() + old, kReadPiece);
    if (!n.ok()) {
      buf.resize(old);
      Status status = n.status();
      std::string place = Place(object_key, line);
      if (!status.place().empty()) place += ": " + status.place();
      return std::move(status).At(std::move(place));
    }
    buf.resize(old + *n);
    if (*n == 0) eof = true;
    return Status::Ok();
  };
  while (buf.size() < 3 && !eof) EP_RETURN_IF_ERROR(read_more());
  size_t pos = (buf.size() >= 3 && std::memcmp(buf.data(), "\xEF\xBB\xBF", 3) == 0) ? 3 : 0;
  if (json_lines) {  // a JSON Lines record has as many fields as it has wanted keys
    for (size_t i = 0; i < columns.size(); ++i) opened.layout.index.push_back(i);
    opened.rest = buf.substr(pos);
    return opened;
  }
  if (!schema.has_header) {
    opened.layout = HeaderlessLayout(schema, columns);
    opened.rest = buf.substr(pos);
    return opened;
  }
  while (true) {
    const std::string_view text = std::string_view(buf).substr(pos);
    size_t end = FindRecordEnd(text, schema.delimiter, schema.quote, false);
    if (end == kNoBoundary) {
      if (!eof && text.size() <= max_record_bytes + 2) {
        EP_RETURN_IF_ERROR(read_more());
        continue;
      }
      if (!eof) return Status::CorruptInput("header is too long").At(Place(object_key, line));
      end = text.size();
      if (end == 0) {
        opened.empty = true;
        return opened;
      }
    }
    const std::string_view record_text = text.substr(0, end);
    if (record_text == "\n" || record_text == "\r\n") {  // blank lines before the header
      ++line;
      pos += end;
      continue;
    }
    MemoryInputStream header_in(record_text);
    CsvReader reader(header_in, csv);
    Result<const Record*> next = reader.Next();
    if (!next.ok()) return next.status();
    const Record* header = *next;
    const std::string place = Place(object_key, line);
    if (header == nullptr) {  // only a lone CR or the like: treat as an empty object
      opened.empty = true;
      return opened;
    }
    if (header->too_long) return Status::CorruptInput("header is too long").At(place);
    if (!header->malformed.empty())
      return Status::CorruptInput("header: " + header->malformed).At(place);
    if (Status s = LayoutFromHeader(header->fields, columns, header->raw, opened.layout); !s.ok())
      return std::move(s).At(place);
    line += std::count(record_text.begin(), record_text.end(), '\n');
    opened.rest = buf.substr(pos + end);
    opened.first_line = line;
    return opened;
  }
}

}  // namespace ecompipe::transform::internal
