// The per-record part of the reference job, shared by the streaming job (TransformObject)
// and the CSV file job (RunFileJob): where the columns are, the record- and field-level
// rules in order, the joins and the derived columns. Pure functions of their arguments;
// thread-safe given a sealed DimensionIndex.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/schema.h"
#include "common/status.h"
#include "model/records.h"
#include "storage/object_store.h"
#include "transform/dimension_index.h"
#include "transform/job_spec.h"
#include "transform/record_reader.h"

namespace ecompipe::transform::internal {

// Transaction columns, in the reference file's order (used positionally without a header).
enum TxnColumn : size_t { kTid, kCustomer, kProduct, kQuantity, kPrice, kDate, kPayment, kStatus };
extern const std::vector<std::string> kTransactionColumns;

// Where each wanted column is in a record.
struct Layout {
  std::vector<size_t> index;      // field position of each wanted column
  size_t expected_fields = 0;     // 0: any (JSON Lines)
  std::string field_count_basis;  // "header has 8" or "expected 8"
};

struct Problem {
  const char* reason;  // one of reason::k*
  std::string detail;
};

// A record that passed every rule but the duplicate check. Views point into the record.
struct CheckedFact {
  std::string_view transaction_id, customer_id, product_id, date, payment_type, status;
  int32_t quantity = 0;
  model::Money price, total;
  uint64_t transaction_key = 0;  // TransactionIdSet::KeyOf(transaction_id)
  uint32_t customer = 0;         // rows of the DimensionIndex
  uint32_t product = 0;
  size_t bin = 0;  // index of the JobSpec bin the total falls in
};

// Record-level checks in rule order: NUL, UTF-8, size, syntax, field count. With
// `bytes_checked` the caller vouches that the record has no NUL byte and is valid UTF-8
// (e.g. it checked the whole chunk the record was cut from).
std::optional<Problem> CheckRecord(const Record& record, const Layout& layout,
                                   size_t max_record_bytes, bool bytes_checked = false);

// True when `text` has no NUL byte and is valid UTF-8: then so is every record cut from it
// at line feeds (an ASCII byte never falls inside a valid multi-byte sequence).
bool CleanBytes(std::string_view text);

// Every rule up to total_out_of_range, in order. On success fills `fact` and returns
// nullopt; otherwise returns the first problem and sets `*tid` to the transaction id as read
// (empty when the record's fields are not trustworthy).
std::optional<Problem> CheckTransaction(const Record& record, const Layout& layout,
                                        const DimensionIndex& dims, const JobSpec& spec,
                                        CheckedFact& fact, std::string_view* tid,
                                        bool bytes_checked = false);

// The label index of `total` in spec.bins, or spec.bins.size() when no bin takes it.
size_t BinOf(const JobSpec& spec, model::Money total);

// Maps each of `columns` to its position among `names`, the fields of a CSV header, as the
// crawler reads names: trimmed of spaces and tabs, ASCII case-insensitively, in any order
// (other names are ignored). Sets layout.index, expected_fields and field_count_basis.
// Errors (kCorruptInput, no place): a column missing, naming `header_text`, or named twice.
Status LayoutFromHeader(const std::vector<std::string_view>& names,
                        const std::vector<std::string>& columns, std::string_view header_text,
                        Layout& layout);

// The layout of a headerless CSV object. Its catalog schema names its columns (the crawler
// named them after the table's columns, by position): when those names hold every one of
// `columns`, they map the columns, as a header would; otherwise (col0, col1, ...) the columns
// are read by position in `columns`' order.
Layout HeaderlessLayout(const catalog::TableSchema& schema,
                        const std::vector<std::string>& columns);

// An object positioned at its first record (after a UTF-8 BOM and, in CSV with a header,
// the header): the layout, the bytes already read past that (starting at a record boundary)
// and the physical line they start at.
struct OpenedCsv {
  Layout layout;
  std::string rest;
  int64_t first_line = 1;
  bool empty = false;  // no header at all (an empty object): nothing to read
};

// Reads the (optional BOM and) header of a CSV object from `in`. Errors name the object and
// line: a header that is too long or malformed, a missing or repeated required column.
// A JSON Lines object (schema.format) has no header: only its BOM is read, and `columns`
// are the keys each record yields in that order.
Result<OpenedCsv> OpenCsv(storage::InputStream& in, const catalog::TableSchema& schema,
                          const std::vector<std::string>& columns, size_t max_record_bytes,
                          const std::string& object_key);

// An InputStream over bytes in memory (not owned).
class MemoryInputStream final : public storage::InputStream {
 public:
  explicit MemoryInputStream(std::string_view data) : data_(data) {}
  Result<size_t> Read(char* buffer, size_t capacity) override;

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

}  // namespace ecompipe::transform::internal
