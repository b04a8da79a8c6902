#include "transform/transaction_job.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <thread>
#include <unordered_set>

#include "transform/csv_reader.h"
#include "transform/dimension_index.h"
#include "transform/internal/chunk_runner.h"
#include "transform/internal/general_job.h"
#include "transform/internal/transaction_check.h"
#include "transform/internal/transaction_id_set.h"
#include "transform/json_lines_reader.h"
#include "transform/rules.h"

namespace ecompipe::transform {

using model::CheckedMultiply;
using model::Customer;
using model::FactRow;
using model::Money;
using model::ParseMoney;
using model::Product;
using model::RejectRow;
namespace reason = model::reason;

namespace {

constexpr size_t kBatchRows = 8192;
// A chunk's facts are handed to the sink in place, as one batch, up to this many (a 1 MiB
// chunk of the reference file holds about 16k); a larger chunk's go in kBatchRows copies.
constexpr size_t kMaxChunkBatchRows = 65536;
constexpr size_t kMaxQuotedValue = 64;

// Transaction columns, in the reference file's order (used positionally without a header).
enum TxnColumn : size_t { kTid, kCustomer, kProduct, kQuantity, kPrice, kDate, kPayment, kStatus };
const std::vector<std::string> kTransactionColumns = {
    "transaction_id", "customer_id",      "product_id",   "quantity",
    "price",          "transaction_date", "payment_type", "status"};
const std::vector<std::string> kProductColumns = {"product_id", "product_name", "category", "price",
                                                  "supplier_id"};
const std::vector<std::string> kCustomerColumns = {"customer_id", "first_name", "last_name",
                                                   "email", "membership_level"};

std::string Place(const std::string& object_key, int64_t line) {
  return object_key + " line " + std::to_string(line);
}

// A stream error, placed at the object and line; an inner place (e.g. a compressed offset)
// is kept after it.
Status AtLine(Status status, const std::string& object_key, int64_t line) {
  std::string place = Place(object_key, line);
  if (!status.place().empty()) place += ": " + status.place();
  return std::move(status).At(std::move(place));
}

// `value` cut to at most `limit` bytes at a UTF-8 boundary, with "..." when cut.
std::string Shortened(std::string_view value, size_t limit) {
  if (value.size() <= limit) return std::string(value);
  size_t n = limit;
  while (n > 0 && (static_cast<unsigned char>(value[n]) & 0xC0) == 0x80) --n;
  return std::string(value.substr(0, n)) + "...";
}

// 'value' for messages, cut to a readable length.
std::string Quoted(std::string_view value) { return "'" + Shortened(value, kMaxQuotedValue) + "'"; }

// An opened object: a reader positioned after the header and where each wanted column is.
struct Input {
  std::unique_ptr<RecordReader> reader;
  internal::Layout layout;
};

Result<Input> OpenInput(storage::InputStream& decoded, const catalog::TableSchema& schema,
                        const std::vector<std::string>& columns, size_t max_record_bytes,
                        const std::string& object_key) {
  Input input;
  if (schema.format == catalog::DataFormat::kJsonLines) {
    input.reader = std::make_unique<JsonLinesReader>(
        decoded, columns, JsonLinesOptions{.max_record_bytes = max_record_bytes});
    for (size_t i = 0; i < columns.size(); ++i) input.layout.index.push_back(i);
    return input;
  }
  const CsvOptions options{
      .delimiter = schema.delimiter, .quote = schema.quote, .max_record_bytes = max_record_bytes};
  if (Status s = CsvReader::CheckOptions(options); !s.ok()) return std::move(s).At(object_key);
  input.reader = std::make_unique<CsvReader>(decoded, options);
  if (!schema.has_header) {
    input.layout = internal::HeaderlessLayout(schema, columns);
    return input;
  }
  Result<const Record*> next = input.reader->Next();
  if (!next.ok()) return AtLine(next.status(), object_key, input.reader->line());
  const Record* header = *next;
  if (header == nullptr) return input;  // an empty object: the reader has nothing more
  const std::string place = Place(object_key, header->line);
  if (header->too_long) return Status::CorruptInput("header is too long").At(place);
  if (!header->malformed.empty())
    return Status::CorruptInput("header: " + header->malformed).At(place);
  if (Status s = internal::LayoutFromHeader(header->fields, columns, header->raw, input.layout);
      !s.ok())
    return std::move(s).At(place);
  return input;
}

using internal::Problem;

class TransactionTransformer {
 public:
  TransactionTransformer(const Input& input, const Dimensions& dims, const JobSpec& spec,
                         RowSink& sink)
      : input_(input), dims_(dims), spec_(spec), sink_(sink) {}

  Status Process(const Record& record);
  Status Flush();
  const TransformStats& stats() const { return stats_; }

 private:
  Status Reject(const Record& record, const char* reason, std::string detail,
                std::string_view transaction_id);
  Status FlushFacts();
  Status FlushRejects();

  const Input& input_;
  const Dimensions& dims_;
  const JobSpec& spec_;
  RowSink& sink_;
  TransformStats stats_;
  // Filled in place: rows the sink did not move from keep their strings' capacity.
  std::vector<FactRow> facts_;
  size_t fact_count_ = 0;
  std::vector<RejectRow> rejects_;
  internal::TransactionIdSet seen_;
  std::string lookup_key_;  // reused so that lookups by id do not allocate
};

Status TransactionTransformer::Process(const Record& record) {
  ++stats_.rows_read;
  if (std::optional<Problem> problem =
          internal::CheckRecord(record, input_.layout, spec_.max_record_bytes)) {
    std::string_view tid;
    // A field of a record with bad bytes may hold them too: do not copy it out.
    const std::string_view why = problem->reason;
    const bool fields_trusted = why != reason::kNulByte && why != reason::kInvalidUtf8;
    if (fields_trusted && input_.layout.index[kTid] < record.fields.size())
      tid = record.fields[input_.layout.index[kTid]];
    return Reject(record, problem->reason, std::move(problem->detail), tid);
  }
  const auto field = [&](TxnColumn c) { return record.fields[input_.layout.index[c]]; };
  const std::string_view tid = field(kTid);
  if (tid.empty())
    return Reject(record, reason::kMissingTransactionId, "transaction_id is empty", tid);
  if (!IsTransactionId(tid)) {
    return Reject(record, reason::kMalformedTransactionId,
                  "transaction_id " + Quoted(tid) + " does not match TXN[0-9]+", tid);
  }
  const std::string_view customer_id = field(kCustomer);
  if (!IsCustomerId(customer_id)) {
    return Reject(record, reason::kMalformedCustomerId,
                  "customer_id " + Quoted(customer_id) + " does not match C[0-9]+", tid);
  }
  const std::string_view product_id = field(kProduct);
  if (!IsProductId(product_id)) {
    return Reject(record, reason::kMalformedProductId,
                  "product_id " + Quoted(product_id) + " does not match P[0-9]+", tid);
  }
  const std::optional<int32_t> quantity = ParseQuantity(field(kQuantity));
  if (!quantity) {
    return Reject(
        record, reason::kInvalidQuantity,
        "quantity " + Quoted(field(kQuantity)) + " is not a positive integer of at most 9 digits",
        tid);
  }
  const std::optional<Money> price = ParseMoney(field(kPrice));
  if (!price) {
    return Reject(
        record, reason::kInvalidPrice,
        "price " + Quoted(field(kPrice)) +
            " is not a non-negative decimal with at most 12 integer digits and 2 decimals",
        tid);
  }
  const std::string_view date = field(kDate);
  if (!IsValidDate(date)) {
    return Reject(record, reason::kInvalidDate,
                  "transaction_date " + Quoted(date) + " is not a real calendar day YYYY-MM-DD",
                  tid);
  }
  lookup_key_.assign(customer_id);
  const auto customer = dims_.customers.find(lookup_key_);
  if (customer == dims_.customers.end()) {
    return Reject(record, reason::kUnknownCustomerId,
                  "customer_id " + Quoted(customer_id) + " is not in the customers table", tid);
  }
  lookup_key_.assign(product_id);
  const auto product = dims_.products.find(lookup_key_);
  if (product == dims_.products.end()) {
    return Reject(record, reason::kUnknownProductId,
                  "product_id " + Quoted(product_id) + " is not in the products table", tid);
  }
  const std::optional<Money> total = CheckedMultiply(*price, *quantity);
  if (!total) {
    return Reject(record, reason::kTotalOutOfRange,
                  "quantity " + Quoted(field(kQuantity)) + " x price " + Quoted(field(kPrice)) +
                      " does not fit a 64-bit count of cents",
                  tid);
  }
  if (!seen_.Insert(tid)) {
    return Reject(record, reason::kDuplicateTransactionId,
                  "transaction_id " + Quoted(tid) + " already appeared earlier in this object",
                  tid);
  }

  if (fact_count_ == facts_.size()) facts_.emplace_back();
  FactRow& row = facts_[fact_count_++];
  row.line = record.line;
  row.transaction_id.assign(tid);
  row.customer_id.assign(customer_id);
  row.customer_email.assign(customer->second.email);
  row.product_id.assign(product_id);
  row.product_name.assign(product->second.product_name);
  row.quantity = *quantity;
  row.supplier_id.assign(product->second.supplier_id);
  row.price = *price;
  row.transaction_date.assign(date);
  row.total_amount = *total;
  row.transaction_type.assign(Classify(spec_, row.total_amount));
  row.payment_type.assign(field(kPayment));
  row.status.assign(field(kStatus));
  ++stats_.facts;
  if (fact_count_ == kBatchRows) return FlushFacts();
  return Status::Ok();
}

Status TransactionTransformer::Reject(const Record& record, const char* reason, std::string detail,
                                      std::string_view transaction_id) {
  rejects_.push_back(RejectRow{.line = record.line,
                               .reason = reason,
                               .detail = std::move(detail),
                               .raw = std::string(record.raw),
                               .transaction_id = std::string(transaction_id)});
  ++stats_.rejects;
  if (rejects_.size() == kBatchRows) return FlushRejects();
  return Status::Ok();
}

Status TransactionTransformer::FlushFacts() {
  if (fact_count_ == 0) return Status::Ok();
  facts_.resize(fact_count_);  // the sink may have resized the vector last time
  fact_count_ = 0;
  return sink_.AddFacts(facts_);
}

Status TransactionTransformer::FlushRejects() {
  if (rejects_.empty()) return Status::Ok();
  Status status = sink_.AddRejects(rejects_);
  rejects_.clear();
  return status;
}

Status TransactionTransformer::Flush() {
  EP_RETURN_IF_ERROR(FlushFacts());
  return FlushRejects();
}

// Runs `on_record` for each record after the header; stream errors get the object and line.
template <typename OnRecord>
Status ForEachRecord(Input& input, const std::string& object_key, OnRecord&& on_record) {
  while (true) {
    Result<const Record*> next = input.reader->Next();
    if (!next.ok()) return AtLine(next.status(), object_key, input.reader->line());
    if (*next == nullptr) return Status::Ok();
    EP_RETURN_IF_ERROR(on_record(**next));
  }
}

// A dimension row's record-level problem is an error naming the line.
Status CheckDimensionRecord(const Record& record, const Input& input,
                            const std::string& object_key) {
  if (std::optional<Problem> problem =
          internal::CheckRecord(record, input.layout, JobSpec{}.max_record_bytes)) {
    return Status::CorruptInput(problem->detail + " (" + problem->reason + ")")
        .At(Place(object_key, record.line));
  }
  return Status::Ok();
}

// Finds repeated ids among the rows read so far without copying them: an open-addressing
// table of (hash, row index) pairs; the id itself is compared in the row on a hash match.
class DuplicateIdCheck {
 public:
  // Registers the id of row `index` (ids of rows 0..index-1 are registered already).
  // Returns the index of an earlier row with the same id, or nullopt.
  template <typename IdOf>
  std::optional<size_t> Add(std::string_view id, size_t index, IdOf&& id_of) {
    if ((count_ + 1) * 2 > slots_.size()) Grow();
    const uint64_t hash = std::hash<std::string_view>()(id);
    const size_t mask = slots_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      Slot& slot = slots_[i];
      if (slot.index == kEmpty) {
        slot = Slot{hash, index};
        ++count_;
        return std::nullopt;
      }
      if (slot.hash == hash && id_of(slot.index) == id) return slot.index;
    }
  }

 private:
  static constexpr size_t kEmpty = ~size_t{0};
  struct Slot {
    uint64_t hash = 0;
    size_t index = kEmpty;
  };
  void Grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 1024 : old.size() * 2, Slot{});
    const size_t mask = slots_.size() - 1;
    for (const Slot& slot : old) {
      if (slot.index == kEmpty) continue;
      size_t i = slot.hash & mask;
      while (slots_[i].index != kEmpty) i = (i + 1) & mask;
      slots_[i] = slot;
    }
  }
  std::vector<Slot> slots_;
  size_t count_ = 0;
};

// The error for a repeated dimension id.
Status DuplicateId(std::string_view column, std::string_view id, int64_t first_line, int64_t line,
                   const std::string& object_key) {
  return Status::CorruptInput("duplicate " + std::string(column) + " " + Quoted(id) +
                              " (first at line " + std::to_string(first_line) + ")")
      .At(Place(object_key, line));
}

// ---- The general path: any JobSpec (job_spec.h), compiled into an internal::GeneralJob ----

// One chunk's (or, read sequentially, one batch's) output on the general path.
struct GeneralChunk {
  std::vector<FactRow> facts;  // the first fact_count are this chunk's; the rest keep capacity
  size_t fact_count = 0;
  std::vector<std::string> unique_values;  // per fact, when the spec has a unique validation
  std::vector<std::string> raws;           // per fact, likewise (a duplicate's raw text)
  std::vector<RejectRow> rejects;
  int64_t rows_read = 0;
  internal::GeneralJob::Scratch scratch;  // sized by the first user

  void Clear() {
    fact_count = 0;
    rejects.clear();
    rows_read = 0;
  }
};

void GeneralRecord(const internal::GeneralJob& job, const Record& record,
                   const internal::Layout& layout, bool bytes_checked,
                   internal::GeneralJob::Scratch& scratch, GeneralChunk& out) {
  ++out.rows_read;
  if (out.fact_count == out.facts.size()) {
    out.facts.emplace_back();
    out.unique_values.emplace_back();
    out.raws.emplace_back();
  }
  FactRow& fact = out.facts[out.fact_count];
  std::string_view tid;
  std::optional<Problem> problem = job.Check(record, layout, bytes_checked, scratch, fact,
                                             &out.unique_values[out.fact_count], &tid);
  if (problem) {
    out.rejects.push_back(RejectRow{.line = record.line,
                                    .reason = problem->reason,
                                    .detail = std::move(problem->detail),
                                    .raw = std::string(record.raw),
                                    .transaction_id = std::string(tid)});
    return;
  }
  if (job.has_unique()) out.raws[out.fact_count].assign(record.raw);
  ++out.fact_count;
}

// Hands `out` to the sink in input order, lines shifted by `shift`, after the unique check
// (in input order across the object, through `seen`): a repeated value becomes a reject.
class GeneralEmitter {
 public:
  GeneralEmitter(const internal::GeneralJob& job, RowSink& sink, TransformStats& stats)
      : job_(job), sink_(sink), stats_(stats) {}

  Status Emit(GeneralChunk& out, int64_t shift) {
    facts_.clear();
    size_t duplicates = 0;
    for (size_t i = 0; i < out.fact_count; ++i) {
      FactRow& fact = out.facts[i];
      if (job_.has_unique() && !seen_.Insert(out.unique_values[i])) {
        Problem p = job_.Duplicate(out.unique_values[i]);
        out.rejects.push_back(RejectRow{.line = fact.line,
                                        .reason = p.reason,
                                        .detail = std::move(p.detail),
                                        .raw = std::move(out.raws[i]),
                                        .transaction_id = fact.transaction_id});
        ++duplicates;
        continue;
      }
      fact.line += shift;
      facts_.push_back(std::move(fact));
      if (facts_.size() == kBatchRows) EP_RETURN_IF_ERROR(FlushFacts());
    }
    EP_RETURN_IF_ERROR(FlushFacts());
    // Duplicates were appended after the chunk's other rejects: put them in input order.
    if (duplicates > 0) {
      std::stable_sort(out.rejects.begin(), out.rejects.end(),
                       [](const RejectRow& a, const RejectRow& b) { return a.line < b.line; });
    }
    stats_.rows_read += out.rows_read;
    stats_.rejects += static_cast<int64_t>(out.rejects.size());
    for (size_t i = 0; i < out.rejects.size(); i += kBatchRows) {
      const size_t n = std::min(kBatchRows, out.rejects.size() - i);
      rejects_.clear();
      for (size_t j = 0; j < n; ++j) {
        rejects_.push_back(std::move(out.rejects[i + j]));
        rejects_.back().line += shift;
      }
      EP_RETURN_IF_ERROR(sink_.AddRejects(rejects_));
    }
    out.Clear();
    return Status::Ok();
  }

 private:
  Status FlushFacts() {
    if (facts_.empty()) return Status::Ok();
    stats_.facts += static_cast<int64_t>(facts_.size());
    Status s = sink_.AddFacts(facts_);
    facts_.clear();
    return s;
  }

  const internal::GeneralJob& job_;
  RowSink& sink_;
  TransformStats& stats_;
  internal::TransactionIdSet seen_;
  std::vector<FactRow> facts_;
  std::vector<RejectRow> rejects_;
};

// The general path read record by record on the caller's thread: the sequential reference.
Result<TransformStats> TransformGeneralSequential(storage::InputStream& decoded,
                                                  const catalog::TableSchema& schema,
                                                  const internal::GeneralJob& job,
                                                  const JobSpec& spec,
                                                  const std::string& object_key, RowSink& sink) {
  EP_ASSIGN_OR_RETURN(Input input,
                      OpenInput(decoded, schema, spec.columns, spec.max_record_bytes, object_key));
  TransformStats stats;
  GeneralEmitter emitter(job, sink, stats);
  GeneralChunk batch;
  internal::GeneralJob::Scratch scratch = job.NewScratch();
  while (true) {
    Result<const Record*> next = input.reader->Next();
    if (!next.ok()) return AtLine(next.status(), object_key, input.reader->line());
    if (*next == nullptr) break;
    GeneralRecord(job, **next, input.layout, false, scratch, batch);
    if (batch.fact_count + batch.rejects.size() >= kBatchRows)
      EP_RETURN_IF_ERROR(emitter.Emit(batch, 0));
  }
  EP_RETURN_IF_ERROR(emitter.Emit(batch, 0));
  return stats;
}
}  // namespace

Result<TransformStats> TransformObjectSequential(storage::InputStream& decoded,
                                                 const catalog::TableSchema& schema,
                                                 const Dimensions& dims, const JobSpec& spec,
                                                 const std::string& object_key, RowSink& sink) {
  if (!spec.IsReference()) {
    EP_ASSIGN_OR_RETURN(internal::GeneralJob job, internal::GeneralJob::Compile(spec, dims));
    return TransformGeneralSequential(decoded, schema, job, spec, object_key, sink);
  }
  EP_ASSIGN_OR_RETURN(Input input, OpenInput(decoded, schema, kTransactionColumns,
                                             spec.max_record_bytes, object_key));
  TransactionTransformer transformer(input, dims, spec, sink);
  EP_RETURN_IF_ERROR(ForEachRecord(
      input, object_key, [&](const Record& record) { return transformer.Process(record); }));
  EP_RETURN_IF_ERROR(transformer.Flush());
  return transformer.stats();
}

namespace {

// How the records of a chunk are read: the object's format and the reader options for it.
struct ChunkFormat {
  bool json_lines = false;
  CsvOptions csv;
  JsonLinesOptions json;
  std::vector<std::string> columns;  // JSON Lines: the keys each record yields, in order
};

ChunkFormat ChunkFormatOf(const catalog::TableSchema& schema, const JobSpec& spec,
                          const std::vector<std::string>& columns) {
  // A chunk never starts an object (its BOM was read before), so no BOM is skipped.
  return ChunkFormat{
      .json_lines = schema.format == catalog::DataFormat::kJsonLines,
      .csv = CsvOptions{.delimiter = schema.delimiter,
                        .quote = schema.quote,
                        .max_record_bytes = spec.max_record_bytes,
                        .chunk_size = std::max<size_t>(spec.chunk_bytes, 4096),
                        .skip_bom = false},
      .json = JsonLinesOptions{.max_record_bytes = spec.max_record_bytes, .skip_bom = false},
      .columns = columns};
}

int WorkerCount(const JobSpec& spec) {
  if (spec.threads > 0) return spec.threads;
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

internal::ChunkRunnerOptions RunnerOptions(const catalog::TableSchema& schema,
                                           const JobSpec& spec) {
  return internal::ChunkRunnerOptions{
      .threads = WorkerCount(spec),
      .chunk_bytes = std::max<size_t>(spec.chunk_bytes, 1),
      .json_lines = schema.format == catalog::DataFormat::kJsonLines,
      .delimiter = schema.delimiter,
      .quote = schema.quote,
      .padding = JsonLinesReader::kPadding,
      .max_record_bytes = spec.max_record_bytes};
}

// Runs `on_record(record, bytes_checked)` on each record of `chunk`: a piece of the object
// cut at record boundaries and followed by JsonLinesReader::kPadding allocated bytes, or one
// over-long record (as the ChunkRunner leaves them); `bytes_checked` says the whole chunk
// has no NUL byte and is valid UTF-8. `parser` serves JSON Lines. Returns the number of LFs
// in the chunk.
template <typename OnRecord>
int64_t ForEachChunkRecord(const internal::Chunk& chunk, const ChunkFormat& format,
                           JsonLineParser& parser, OnRecord&& on_record) {
  const bool clean = chunk.long_record == nullptr && internal::CleanBytes(chunk.text);
  const auto drain = [&](auto& reader) {
    while (true) {
      Result<const Record*> next = reader.Next();
      if (!next.ok() || *next == nullptr) break;  // memory streams do not fail
      on_record(**next, clean);
    }
    return reader.line() - 1;
  };
  if (chunk.long_record != nullptr) {
    internal::LongRecordReader reader(*chunk.long_record);
    return drain(reader);
  }
  if (format.json_lines) {
    JsonLinesReader reader(chunk.text, JsonLinesReader::kPadding, format.columns, format.json,
                           parser);
    return drain(reader);
  }
  CsvReader reader(chunk.text, format.csv);
  return drain(reader);
}

// Runs `runner` over the object after `opened`; a stream error is placed at the object and
// line, as in the sequential readers; a sink error is returned as the sink made it.
template <typename Runner>
Status RunChunks(Runner& runner, storage::InputStream& decoded, const internal::OpenedCsv& opened,
                 const typename Runner::Work& work, const typename Runner::Consume& consume,
                 const std::string& object_key) {
  int64_t error_line = -1;  // set only for a stream error
  Status status = runner.Run(decoded, opened.rest, opened.first_line, work, consume, &error_line);
  if (!status.ok() && error_line >= 0) return AtLine(std::move(status), object_key, error_line);
  return status;
}

// One chunk's output for a RowSink: rows with lines relative to the chunk (1-based).
struct SinkChunk {
  std::vector<FactRow> facts;  // the first fact_count are this chunk's; the rest keep capacity
  size_t fact_count = 0;
  std::vector<RejectRow> rejects;
  int64_t rows_read = 0;
};

// Checks every record of `chunk` into `out`. Facts whose relative line is in `duplicates`
// become duplicate_transaction_id rejects (the caller found their ids earlier in the object).
int64_t TransformChunk(const internal::Chunk& chunk, const internal::Layout& layout,
                       const ChunkFormat& format, JsonLineParser& parser,
                       const DimensionIndex& index, const JobSpec& spec,
                       const std::unordered_set<int64_t>* duplicates, SinkChunk& out) {
  out.fact_count = 0;
  out.rejects.clear();
  out.rows_read = 0;
  internal::CheckedFact fact;
  std::string_view tid;
  return ForEachChunkRecord(chunk, format, parser, [&](const Record& record, bool clean) {
    ++out.rows_read;
    std::optional<internal::Problem> problem =
        internal::CheckTransaction(record, layout, index, spec, fact, &tid, clean);
    if (!problem && duplicates != nullptr && duplicates->count(record.line) != 0) {
      problem = internal::Problem{
          reason::kDuplicateTransactionId,
          "transaction_id " + Quoted(tid) + " already appeared earlier in this object"};
    }
    if (problem) {
      out.rejects.push_back(RejectRow{.line = record.line,
                                      .reason = problem->reason,
                                      .detail = std::move(problem->detail),
                                      .raw = std::string(record.raw),
                                      .transaction_id = std::string(tid)});
      return;
    }
    if (out.fact_count == out.facts.size()) out.facts.emplace_back();
    FactRow& row = out.facts[out.fact_count++];
    row.line = record.line;
    row.transaction_id.assign(fact.transaction_id);
    row.customer_id.assign(fact.customer_id);
    row.customer_email.assign(index.email(fact.customer));
    row.product_id.assign(fact.product_id);
    row.product_name.assign(index.product_name(fact.product));
    row.quantity = fact.quantity;
    row.supplier_id.assign(index.supplier_id(fact.product));
    row.price = fact.price;
    row.transaction_date.assign(fact.date);
    row.total_amount = fact.total;
    row.transaction_type.assign(Classify(spec, fact.total));
    row.payment_type.assign(fact.payment_type);
    row.status.assign(fact.status);
  });
}

// The general path on the parallel engine.
Result<TransformStats> TransformGeneral(storage::InputStream& decoded,
                                        const catalog::TableSchema& schema, const Dimensions& dims,
                                        const JobSpec& spec, const std::string& object_key,
                                        RowSink& sink) {
  EP_ASSIGN_OR_RETURN(internal::GeneralJob job, internal::GeneralJob::Compile(spec, dims));
  EP_ASSIGN_OR_RETURN(
      internal::OpenedCsv opened,
      internal::OpenCsv(decoded, schema, spec.columns, spec.max_record_bytes, object_key));
  TransformStats stats;
  if (opened.empty) return stats;
  const ChunkFormat format = ChunkFormatOf(schema, spec, spec.columns);
  GeneralEmitter emitter(job, sink, stats);
  const auto work = [&](const internal::Chunk& chunk, GeneralChunk& out,
                        JsonLineParser& parser) -> int64_t {
    out.Clear();
    if (out.scratch.text.empty()) out.scratch = job.NewScratch();
    return ForEachChunkRecord(chunk, format, parser, [&](const Record& record, bool clean) {
      GeneralRecord(job, record, opened.layout, clean, out.scratch, out);
    });
  };
  const auto consume = [&](const internal::Chunk&, GeneralChunk& out, int64_t first_line) {
    return emitter.Emit(out, first_line - 1);
  };
  internal::ChunkRunner<GeneralChunk, JsonLineParser> runner(RunnerOptions(schema, spec));
  EP_RETURN_IF_ERROR(RunChunks(runner, decoded, opened, work, consume, object_key));
  return stats;
}

}  // namespace

Result<TransformStats> TransformObject(storage::InputStream& decoded,
                                       const catalog::TableSchema& schema, const Dimensions& dims,
                                       const JobSpec& spec, const std::string& object_key,
                                       RowSink& sink) {
  if (!spec.IsReference()) return TransformGeneral(decoded, schema, dims, spec, object_key, sink);
  EP_ASSIGN_OR_RETURN(internal::OpenedCsv opened,
                      internal::OpenCsv(decoded, schema, internal::kTransactionColumns,
                                        spec.max_record_bytes, object_key));
  TransformStats stats;
  if (opened.empty) return stats;
  std::shared_ptr<const DimensionIndex> index = dims.index;
  if (index == nullptr) index = std::make_shared<const DimensionIndex>(DimensionIndex::Build(dims));

  const ChunkFormat format = ChunkFormatOf(schema, spec, internal::kTransactionColumns);
  internal::TransactionIdSet seen;
  std::unordered_set<int64_t> duplicates;
  SinkChunk redo;              // a chunk re-checked with its duplicates known
  JsonLineParser redo_parser;  // for it, on this thread
  std::vector<FactRow> batch;  // rows handed to the sink, at most kBatchRows at a time
  std::vector<RejectRow> rejects;

  const auto work = [&](const internal::Chunk& chunk, SinkChunk& out, JsonLineParser& parser) {
    return TransformChunk(chunk, opened.layout, format, parser, *index, spec, nullptr, out);
  };
  const auto consume = [&](const internal::Chunk& chunk, SinkChunk& out,
                           int64_t first_line) -> Status {
    SinkChunk* result = &out;
    duplicates.clear();
    for (size_t i = 0; i < out.fact_count; ++i) {
      if (!seen.Insert(out.facts[i].transaction_id)) duplicates.insert(out.facts[i].line);
    }
    if (!duplicates.empty()) {
      TransformChunk(chunk, opened.layout, format, redo_parser, *index, spec, &duplicates, redo);
      result = &redo;
    }
    stats.rows_read += result->rows_read;
    stats.facts += static_cast<int64_t>(result->fact_count);
    stats.rejects += static_cast<int64_t>(result->rejects.size());
    const int64_t shift = first_line - 1;
    if (result->fact_count <= kMaxChunkBatchRows) {
      // The chunk's facts go to the sink as they are, without a copy (on this thread, which
      // the warehouse's inserts keep busy): the slots past fact_count are dropped, and the
      // worker refills this vector's strings, keeping their capacity, for a later chunk.
      result->facts.resize(result->fact_count);
      for (FactRow& fact : result->facts) fact.line += shift;
      EP_RETURN_IF_ERROR(sink.AddFacts(result->facts));
    } else {
      for (size_t i = 0; i < result->fact_count; i += kBatchRows) {
        const size_t n = std::min(kBatchRows, result->fact_count - i);
        batch.resize(n);
        for (size_t j = 0; j < n; ++j) {
          std::swap(batch[j], result->facts[i + j]);  // keeps both sides' string capacity
          batch[j].line += shift;
        }
        EP_RETURN_IF_ERROR(sink.AddFacts(batch));
      }
    }
    for (size_t i = 0; i < result->rejects.size(); i += kBatchRows) {
      const size_t n = std::min(kBatchRows, result->rejects.size() - i);
      rejects.clear();
      for (size_t j = 0; j < n; ++j) {
        rejects.push_back(std::move(result->rejects[i + j]));
        rejects.back().line += shift;
      }
      EP_RETURN_IF_ERROR(sink.AddRejects(rejects));
    }
    return Status::Ok();
  };

  internal::ChunkRunner<SinkChunk, JsonLineParser> runner(RunnerOptions(schema, spec));
  EP_RETURN_IF_ERROR(RunChunks(runner, decoded, opened, work, consume, object_key));
  return stats;
}

Result<std::vector<Product>> ReadProducts(storage::InputStream& decoded,
                                          const catalog::TableSchema& schema,
                                          const std::string& object_key) {
  EP_ASSIGN_OR_RETURN(Input input, OpenInput(decoded, schema, kProductColumns,
                                             JobSpec{}.max_record_bytes, object_key));
  std::vector<Product> products;
  std::vector<int64_t> lines;  // of each product, for duplicate messages
  DuplicateIdCheck ids;
  EP_RETURN_IF_ERROR(ForEachRecord(input, object_key, [&](const Record& record) -> Status {
    EP_RETURN_IF_ERROR(CheckDimensionRecord(record, input, object_key));
    const auto field = [&](size_t c) { return record.fields[input.layout.index[c]]; };
    const std::string_view id = field(0);
    if (!IsProductId(id)) {
      return Status::CorruptInput("malformed product_id " + Quoted(id) + " (expected P[0-9]+)")
          .At(Place(object_key, record.line));
    }
    const std::optional<Money> price = ParseMoney(field(3));
    if (!price) {
      return Status::CorruptInput("bad price " + Quoted(field(3)) + " for product " + Quoted(id))
          .At(Place(object_key, record.line));
    }
    const auto earlier = ids.Add(
        id, products.size(), [&](size_t i) -> std::string_view { return products[i].product_id; });
    if (earlier) return DuplicateId("product_id", id, lines[*earlier], record.line, object_key);
    lines.push_back(record.line);
    products.push_back(Product{.product_id = std::string(id),
                               .product_name = std::string(field(1)),
                               .category = std::string(field(2)),
                               .price = *price,
                               .supplier_id = std::string(field(4))});
    return Status::Ok();
  }));
  return products;
}

Result<std::vector<Customer>> ReadCustomers(storage::InputStream& decoded,
                                            const catalog::TableSchema& schema,
                                            const std::string& object_key) {
  EP_ASSIGN_OR_RETURN(Input input, OpenInput(decoded, schema, kCustomerColumns,
                                             JobSpec{}.max_record_bytes, object_key));
  std::vector<Customer> customers;
  std::vector<int64_t> lines;  // of each customer, for duplicate messages
  DuplicateIdCheck ids;
  EP_RETURN_IF_ERROR(ForEachRecord(input, object_key, [&](const Record& record) -> Status {
    EP_RETURN_IF_ERROR(CheckDimensionRecord(record, input, object_key));
    const auto field = [&](size_t c) { return record.fields[input.layout.index[c]]; };
    const std::string_view id = field(0);
    if (!IsCustomerId(id)) {
      return Status::CorruptInput("malformed customer_id " + Quoted(id) + " (expected C[0-9]+)")
          .At(Place(object_key, record.line));
    }
    const auto earlier = ids.Add(id, customers.size(), [&](size_t i) -> std::string_view {
      return customers[i].customer_id;
    });
    if (earlier) return DuplicateId("customer_id", id, lines[*earlier], record.line, object_key);
    lines.push_back(record.line);
    customers.push_back(Customer{.customer_id = std::string(id),
                                 .first_name = std::string(field(1)),
                                 .last_name = std::string(field(2)),
                                 .email = std::string(field(3)),
                                 .membership_level = std::string(field(4))});
    return Status::Ok();
  }));
  return customers;
}

}  // namespace ecompipe::transform
