#include "transform/file_job.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <thread>
#include <unordered_set>

#include "common/progress.h"
#include "storage/compression.h"
#include "storage/progress_stream.h"
#include "transform/csv_reader.h"
#include "transform/dimension_index.h"
#include "transform/internal/chunk_runner.h"
#include "transform/internal/csv_out.h"
#include "transform/internal/transaction_check.h"
#include "transform/internal/transaction_id_set.h"
#include "transform/rules.h"

namespace ecompipe::transform {

using model::AppendCsvField;
namespace reason = model::reason;

namespace {

namespace fs = std::filesystem;

// Reads a file with read(2); the decoder above it asks for large blocks.
class FileStream final : public storage::InputStream {
 public:
  static Result<std::unique_ptr<storage::InputStream>> Open(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return Status::NotFound("cannot open for reading: " + std::string(std::strerror(errno)))
          .At(path);
    }
    return std::unique_ptr<storage::InputStream>(new FileStream(fd, path));
  }
  ~FileStream() override { ::close(fd_); }
  Result<size_t> Read(char* buffer, size_t capacity) override {
    while (true) {
      const ssize_t n = ::read(fd_, buffer, capacity);
      if (n >= 0) return static_cast<size_t>(n);
      if (errno == EINTR) continue;
      return Status::IoError("read failed: " + std::string(std::strerror(errno))).At(path_);
    }
  }

 private:
  FileStream(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::string path_;
};

// `counted`: its reads are told to the progress line (common/progress.h).
Result<std::unique_ptr<storage::InputStream>> OpenInput(const std::string& path,
                                                        bool counted = false) {
  EP_ASSIGN_OR_RETURN(std::unique_ptr<storage::InputStream> raw, FileStream::Open(path));
  return storage::OpenDecoded(counted ? storage::WithProgress(std::move(raw)) : std::move(raw));
}

// Takes old output files away without waiting for their space to be freed. Freeing a big
// file's pages and blocks, which unlink(2) or O_TRUNC do before returning, took ~0.5 s for
// an old 1.3 GB fact.csv on the benchmark's VMs. Here each name goes at once (the file is
// unlinked while held open), and the last close, which frees it, runs on a thread that
// overlaps with the job. The destructor waits for that thread.
class OldFileRemover {
 public:
  ~OldFileRemover() {
    if (thread_.joinable()) thread_.join();
  }
  // Removes each path that exists; a path that exists and cannot be removed is an error.
  Status Remove(const std::vector<std::string>& paths) {
    std::vector<int> held;
    for (const std::string& path : paths) {
      const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
      if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        const int error = errno;
        if (fd >= 0) ::close(fd);
        return Status::IoError("cannot remove: " + std::string(std::strerror(error))).At(path);
      }
      if (fd >= 0) held.push_back(fd);
    }
    if (!held.empty()) {
      thread_ = std::thread([held = std::move(held)] {
        for (const int fd : held) ::close(fd);
      });
    }
    return Status::Ok();
  }

 private:
  std::thread thread_;
};

// An output file written with write(2) in the caller's (large) blocks. It must not exist
// (OldFileRemover takes old outputs away): a new file is cheaper than truncating one.
class OutputFile {
 public:
  ~OutputFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  Status Open(const std::string& path) {
    path_ = path;
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd_ < 0) return Error("cannot create");
    return Status::Ok();
  }
  Status Write(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return Error("write failed");
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return Status::Ok();
  }
  Status Close() {
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) return Error("close failed");
    return Status::Ok();
  }

 private:
  Status Error(const char* what) const {
    return Status::IoError(std::string(what) + ": " + std::strerror(errno)).At(path_);
  }
  int fd_ = -1;
  std::string path_;
};

int WorkerCount(const JobSpec& spec) {
  if (spec.threads > 0) return spec.threads;
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

internal::ChunkRunnerOptions RunnerOptions(const JobSpec& spec) {
  return internal::ChunkRunnerOptions{.threads = WorkerCount(spec),
                                      .chunk_bytes = std::max<size_t>(spec.chunk_bytes, 1),
                                      .max_record_bytes = spec.max_record_bytes};
}

CsvOptions ChunkCsvOptions(const JobSpec& spec) {
  return CsvOptions{.max_record_bytes = spec.max_record_bytes,
                    .chunk_size = std::max<size_t>(spec.chunk_bytes, 4096),
                    .skip_bom = false};
}

// ---- Dimensions ----

// One chunk of a dimension file: the kept rows' fields, copied into `bytes`.
struct DimChunk {
  struct Row {
    int64_t line;
    uint32_t field[3][2];  // (offset, size) of id and up to two attributes
  };
  std::string bytes;
  std::vector<Row> rows;
  std::optional<internal::Problem> problem;  // the first bad record, at problem_line
  int64_t problem_line = 0;
};

Status LoadDimension(const std::string& path, const std::vector<std::string>& columns,
                     bool (*is_id)(std::string_view), const JobSpec& spec,
                     const std::function<bool(const std::string_view*)>& add) {
  EP_ASSIGN_OR_RETURN(std::unique_ptr<storage::InputStream> in, OpenInput(path));
  EP_ASSIGN_OR_RETURN(
      internal::OpenedCsv opened,
      internal::OpenCsv(*in, catalog::TableSchema{}, columns, spec.max_record_bytes, path));
  if (opened.empty) return Status::Ok();
  const CsvOptions csv = ChunkCsvOptions(spec);
  const size_t width = columns.size();
  const auto work = [&](const internal::Chunk& chunk, DimChunk& out) -> int64_t {
    out.bytes.clear();
    out.rows.clear();
    out.problem.reset();
    CsvReader csv_reader(chunk.text, csv);
    std::optional<internal::LongRecordReader> long_reader;
    if (chunk.long_record != nullptr) long_reader.emplace(*chunk.long_record);
    RecordReader& reader = long_reader ? static_cast<RecordReader&>(*long_reader) : csv_reader;
    while (true) {
      Result<const Record*> next = reader.Next();
      if (!next.ok() || *next == nullptr) break;
      const Record& record = **next;
      if (!out.problem) {
        out.problem = internal::CheckRecord(record, opened.layout, spec.max_record_bytes);
        if (out.problem) out.problem_line = record.line;
      }
      if (out.problem) continue;
      const std::string_view id = record.fields[opened.layout.index[0]];
      if (!is_id(id)) continue;  // can never join a valid transaction
      DimChunk::Row row{.line = record.line, .field = {}};
      for (size_t c = 0; c < width; ++c) {
        const std::string_view value = record.fields[opened.layout.index[c]];
        row.field[c][0] = static_cast<uint32_t>(out.bytes.size());
        row.field[c][1] = static_cast<uint32_t>(value.size());
        out.bytes.append(value);
      }
      out.rows.push_back(row);
    }
    return reader.line() - 1;
  };
  const auto consume = [&](const internal::Chunk&, DimChunk& out, int64_t first_line) -> Status {
    const auto place = [&](int64_t line) {
      return path + " line " + std::to_string(first_line - 1 + line);
    };
    for (const DimChunk::Row& row : out.rows) {
      if (out.problem && row.line > out.problem_line) break;
      std::string_view fields[3];
      for (size_t c = 0; c < width; ++c)
        fields[c] = std::string_view(out.bytes).substr(row.field[c][0], row.field[c][1]);
      if (!add(fields)) {
        return Status::CorruptInput("duplicate " + columns[0] + " '" + std::string(fields[0]) + "'")
            .At(place(row.line));
      }
    }
    if (out.problem) {
      return Status::CorruptInput(out.problem->detail + " (" + out.problem->reason + ")")
          .At(place(out.problem_line));
    }
    return Status::Ok();
  };
  internal::ChunkRunner<DimChunk> runner(RunnerOptions(spec));
  int64_t error_line = -1;
  Status status = runner.Run(*in, opened.rest, opened.first_line, work, consume, &error_line);
  if (!status.ok() && error_line >= 0) {
    std::string place = path + " line " + std::to_string(error_line);
    if (!status.place().empty()) place += ": " + status.place();
    return std::move(status).At(std::move(place));
  }
  return status;
}

// ---- Transactions ----

struct ReasonCount {
  const char* reason;
  int64_t count;
};

// One chunk of output: fact.csv and rejects.csv text, and the chunk's figures.
struct CsvChunk {
  internal::OutBuffer facts;
  std::string rejects;
  std::vector<uint32_t> fact_starts;  // offset of each fact line in `facts`
  std::vector<int64_t> fact_lines;    // its record's line, relative to the chunk
  std::vector<uint64_t> fact_keys;    // its TransactionIdSet::KeyOf(transaction_id)
  int64_t rows_read = 0;
  std::vector<int64_t> bins;
  __int128 total_cents = 0;
  std::vector<ReasonCount> reasons;

  void CountReason(const char* reason) {
    for (ReasonCount& r : reasons) {
      if (r.reason == reason) {
        ++r.count;
        return;
      }
    }
    reasons.push_back({reason, 1});
  }
};

struct TxnContext {
  internal::Layout layout;
  CsvOptions csv;
  const DimensionIndex* index;
  const JobSpec* spec;
  std::vector<std::string> labels_csv;  // each bin's label as a CSV field
};

// A fact waiting in FactPipeline for its customer's row to reach the cache.
struct PendingFact {
  internal::CheckedFact fact;
  int64_t line;
  std::string_view quantity_text, price_text;  // as read
  bool plain = false;  // payment_type and status need no CSV quotes (see FormatChunk)
};

// Appends one fact.csv line. Ids, quantity, money and dates passed their rules, so they
// hold no delimiter or quote; the dimension values are stored CSV-ready in the index.
void WriteFact(const PendingFact& pending, const TxnContext& ctx, CsvChunk& out) {
  const internal::CheckedFact& fact = pending.fact;
  const DimensionIndex& index = *ctx.index;
  const std::string_view email = index.email_csv(fact.customer);
  const std::string_view name = index.product_name_csv(fact.product);
  const std::string_view supplier = index.supplier_id_csv(fact.product);
  const std::string_view label = ctx.labels_csv[fact.bin];
  out.fact_starts.push_back(static_cast<uint32_t>(out.facts.size()));
  out.fact_lines.push_back(pending.line);
  out.fact_keys.push_back(fact.transaction_key);
  char* p =
      out.facts.Reserve(fact.transaction_id.size() + fact.customer_id.size() + email.size() +
                        fact.product_id.size() + name.size() + supplier.size() + fact.date.size() +
                        label.size() + 2 * (fact.payment_type.size() + fact.status.size()) + 128);
  using internal::PutBytes;
  p = PutBytes(p, fact.transaction_id);
  *p++ = ',';
  p = PutBytes(p, fact.customer_id);
  *p++ = ',';
  p = PutBytes(p, email);
  *p++ = ',';
  p = PutBytes(p, fact.product_id);
  *p++ = ',';
  p = PutBytes(p, name);
  *p++ = ',';
  p = PutBytes(p, supplier);
  *p++ = ',';
  // Quantity and price are written normalised ("007" -> 7, "5" -> 5.00); most inputs are
  // normal already and are copied.
  p = pending.quantity_text[0] != '0'
          ? PutBytes(p, pending.quantity_text)
          : internal::PutUnsigned(p, static_cast<uint64_t>(fact.quantity));
  *p++ = ',';
  p = internal::IsCanonicalMoney(pending.price_text) ? PutBytes(p, pending.price_text)
                                                     : internal::PutMoney(p, fact.price);
  *p++ = ',';
  p = internal::PutMoney(p, fact.total);
  *p++ = ',';
  p = PutBytes(p, fact.date);
  *p++ = ',';
  p = PutBytes(p, label);
  *p++ = ',';
  if (pending.plain) {
    p = PutBytes(p, fact.payment_type);
    *p++ = ',';
    p = PutBytes(p, fact.status);
  } else {
    p = internal::PutCsvField(p, fact.payment_type);
    *p++ = ',';
    p = internal::PutCsvField(p, fact.status);
  }
  *p++ = '\n';
  out.facts.Commit(p);
  ++out.bins[fact.bin];
  out.total_cents += fact.total.cents;
}

void WriteReject(const Record& record, const char* reason, CsvChunk& out) {
  out.CountReason(reason);
  std::string& r = out.rejects;
  if (record.fields.empty()) {
    AppendCsvField(r, record.raw);
  } else {
    for (size_t i = 0; i < record.fields.size(); ++i) {
      if (i > 0) r.push_back(',');
      AppendCsvField(r, record.fields[i]);
    }
  }
  r.push_back(',');
  r.append(reason);
  r.push_back('\n');
}

// Facts pass through a short pipeline instead of being written as soon as they are checked:
// a fact's customer row (which holds the email) is prefetched when it is checked, and the
// fact is written kLag facts later. The cache miss per fact into the 1M-customer table
// (which was most of the job's time) then overlaps with the work on other rows instead of
// stalling the loop. Output order is unchanged: facts leave the pipeline in order, and
// rejects go to their own buffer.
class FactPipeline {
 public:
  FactPipeline(const TxnContext& ctx, CsvChunk& out) : ctx_(ctx), out_(out) {}

  // The slot to check the next record into; Add() then takes it as a fact.
  PendingFact& Next() { return ring_[added_ % kLag]; }
  // `stable`: the fact's views stay valid until the end of the chunk (else it is written now).
  void Add(bool stable) {
    ctx_.index->PrefetchCustomer(Next().fact.customer);
    ++added_;
    if (!stable) {
      Flush();
    } else if (added_ - written_ == kLag) {
      WriteFact(ring_[written_++ % kLag], ctx_, out_);
    }
  }
  void Flush() {
    while (written_ < added_) WriteFact(ring_[written_++ % kLag], ctx_, out_);
  }

 private:
  static constexpr size_t kLag = 32;
  const TxnContext& ctx_;
  CsvChunk& out_;
  std::array<PendingFact, kLag> ring_;
  size_t added_ = 0, written_ = 0;
};

int64_t FormatChunk(const internal::Chunk& chunk, const TxnContext& ctx,
                    const std::unordered_set<int64_t>* duplicates, CsvChunk& out) {
  out.facts.clear();
  out.rejects.clear();
  out.fact_starts.clear();
  out.fact_lines.clear();
  out.fact_keys.clear();
  out.rows_read = 0;
  out.bins.assign(ctx.spec->bins.size() + 1, 0);
  out.total_cents = 0;
  out.reasons.clear();
  CsvReader csv_reader(chunk.text, ctx.csv);
  std::optional<internal::LongRecordReader> long_reader;
  if (chunk.long_record != nullptr) long_reader.emplace(*chunk.long_record);
  RecordReader& reader = long_reader ? static_cast<RecordReader&>(*long_reader) : csv_reader;
  const bool clean = chunk.long_record == nullptr && internal::CleanBytes(chunk.text);
  // A field of a record read without quotes holds no delimiter, quote or LF; in a chunk
  // without CR it holds none either, so payment_type and status are copied without the
  // byte-by-byte check for quoting (one memchr a chunk instead of one loop a field).
  const bool no_cr = std::memchr(chunk.text.data(), '\r', chunk.text.size()) == nullptr;
  FactPipeline pipeline(ctx, out);
  // A field's view stays valid while the chunk does, unless the reader unescaped it (it
  // held doubled quotes) into its own buffer, which the next record reuses.
  const auto in_chunk = [&](std::string_view field) {
    return field.data() >= chunk.text.data() &&
           field.data() + field.size() <= chunk.text.data() + chunk.text.size();
  };
  std::string_view tid;
  while (true) {
    Result<const Record*> next = reader.Next();
    if (!next.ok() || *next == nullptr) break;
    const Record& record = **next;
    ++out.rows_read;
    PendingFact& slot = pipeline.Next();
    std::optional<internal::Problem> problem = internal::CheckTransaction(
        record, ctx.layout, *ctx.index, *ctx.spec, slot.fact, &tid, clean);
    const char* reject_reason = problem ? problem->reason : nullptr;
    if (!problem && duplicates != nullptr && duplicates->count(record.line) != 0)
      reject_reason = reason::kDuplicateTransactionId;
    if (reject_reason != nullptr) {
      WriteReject(record, reject_reason, out);
      continue;
    }
    slot.line = record.line;
    slot.quantity_text = record.fields[ctx.layout.index[internal::kQuantity]];
    slot.price_text = record.fields[ctx.layout.index[internal::kPrice]];
    slot.plain = no_cr && record.unquoted;
    pipeline.Add(in_chunk(slot.fact.payment_type) && in_chunk(slot.fact.status));
  }
  pipeline.Flush();
  return reader.line() - 1;
}

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

}  // namespace

std::string FormatCents(__int128 cents) {
  const bool negative = cents < 0;
  unsigned __int128 abs =
      negative ? 0 - static_cast<unsigned __int128>(cents) : static_cast<unsigned __int128>(cents);
  std::string digits;
  do {
    digits.push_back(static_cast<char>('0' + static_cast<int>(abs % 10)));
    abs /= 10;
  } while (abs != 0);
  while (digits.size() < 3) digits.push_back('0');
  std::reverse(digits.begin(), digits.end());
  digits.insert(digits.size() - 2, ".");
  return negative ? "-" + digits : digits;
}

Result<FileJobStats> RunFileJob(const FileJobOptions& options) {
  const JobSpec& spec = options.spec;
  if (!spec.IsReference()) {
    return Status::InvalidArgument(
        "the file job runs the reference job only (bins may differ); configured jobs run in a "
        "pipeline");
  }
  FileJobStats stats;
  stats.facts_per_bin.assign(spec.bins.size(), 0);

  DimensionIndex index;
  EP_RETURN_IF_ERROR(
      LoadDimension(options.customers, {"customer_id", "email"}, &IsCustomerId, spec,
                    [&](const std::string_view* f) { return index.AddCustomer(f[0], f[1]); }));
  if (Status s = index.SealCustomers(); !s.ok()) return std::move(s).At(options.customers);
  EP_RETURN_IF_ERROR(LoadDimension(
      options.products, {"product_id", "product_name", "supplier_id"}, &IsProductId, spec,
      [&](const std::string_view* f) { return index.AddProduct(f[0], f[1], f[2]); }));
  if (Status s = index.SealProducts(); !s.ok()) return std::move(s).At(options.products);
  stats.customers = static_cast<int64_t>(index.customer_count());
  stats.products = static_cast<int64_t>(index.product_count());

  std::error_code ec;
  fs::create_directories(options.out_dir, ec);
  if (ec) return Status::IoError("cannot create the folder: " + ec.message()).At(options.out_dir);
  const std::string fact_path = (fs::path(options.out_dir) / "fact.csv").string();
  const std::string reject_path = (fs::path(options.out_dir) / "rejects.csv").string();
  const std::string reasons_path = (fs::path(options.out_dir) / "reasons.json").string();
  OldFileRemover old_files;
  EP_RETURN_IF_ERROR(old_files.Remove({fact_path, reject_path, reasons_path}));
  OutputFile fact_file, reject_file;
  EP_RETURN_IF_ERROR(fact_file.Open(fact_path));
  EP_RETURN_IF_ERROR(reject_file.Open(reject_path));
  EP_RETURN_IF_ERROR(fact_file.Write(
      "transaction_id,customer_id,customer_email,product_id,product_name,supplier_id,quantity,"
      "price,total_amount,transaction_date,transaction_type,payment_type,status\n"));

  std::error_code size_unknown;
  const uintmax_t size = fs::file_size(options.transactions, size_unknown);
  progress::Task shown(options.transactions, size_unknown ? 0 : size);  // `job run`'s line
  EP_ASSIGN_OR_RETURN(std::unique_ptr<storage::InputStream> in,
                      OpenInput(options.transactions, /*counted=*/true));
  EP_ASSIGN_OR_RETURN(internal::OpenedCsv opened,
                      internal::OpenCsv(*in, catalog::TableSchema{}, internal::kTransactionColumns,
                                        spec.max_record_bytes, options.transactions));
  {
    // The rejects' header: the file's own column names, then reject_reason.
    std::string header;
    if (opened.empty) {
      for (const std::string& c : internal::kTransactionColumns) header += c + ",";
    } else {
      std::vector<std::string> names(opened.layout.expected_fields);
      for (size_t i = 0; i < names.size(); ++i) names[i] = "column" + std::to_string(i + 1);
      for (size_t c = 0; c < internal::kTransactionColumns.size(); ++c)
        names[opened.layout.index[c]] = internal::kTransactionColumns[c];
      for (const std::string& n : names) {
        AppendCsvField(header, n);
        header += ",";
      }
    }
    EP_RETURN_IF_ERROR(reject_file.Write(header + "reject_reason\n"));
  }

  if (!opened.empty) {
    TxnContext ctx{.layout = opened.layout,
                   .csv = ChunkCsvOptions(spec),
                   .index = &index,
                   .spec = &spec,
                   .labels_csv = {}};
    for (const ClassBin& bin : spec.bins) {
      ctx.labels_csv.emplace_back();
      AppendCsvField(ctx.labels_csv.back(), bin.label);
    }
    ctx.labels_csv.emplace_back();  // no bin (only when the last bin has a bound)

    internal::TransactionIdSet seen;
    std::unordered_set<int64_t> duplicates;
    CsvChunk redo;
    std::map<const char*, int64_t> reasons;
    const auto work = [&](const internal::Chunk& chunk, CsvChunk& out) {
      return FormatChunk(chunk, ctx, nullptr, out);
    };
    const auto consume = [&](const internal::Chunk& chunk, CsvChunk& out, int64_t) -> Status {
      CsvChunk* result = &out;
      duplicates.clear();
      // Serial, so kept short: the workers parsed each id into its key already, and the
      // line is looked at only for the rare id without one.
      for (size_t i = 0; i < out.fact_starts.size(); ++i) {
        std::string_view id;
        if (out.fact_keys[i] == internal::kNoIdKey) {
          id = out.facts.view().substr(out.fact_starts[i]);
          id = id.substr(0, id.find(','));
        }
        if (!seen.Insert(id, out.fact_keys[i])) duplicates.insert(out.fact_lines[i]);
      }
      if (!duplicates.empty()) {
        FormatChunk(chunk, ctx, &duplicates, redo);
        result = &redo;
      }
      EP_RETURN_IF_ERROR(fact_file.Write(result->facts.view()));
      EP_RETURN_IF_ERROR(reject_file.Write(result->rejects));
      stats.rows_read += result->rows_read;
      stats.facts += static_cast<int64_t>(result->fact_starts.size());
      for (size_t b = 0; b < spec.bins.size(); ++b) stats.facts_per_bin[b] += result->bins[b];
      stats.total_cents += result->total_cents;
      for (const ReasonCount& r : result->reasons) {
        reasons[r.reason] += r.count;
        stats.rejects += r.count;
      }
      return Status::Ok();
    };
    internal::ChunkRunner<CsvChunk> runner(RunnerOptions(spec));
    int64_t error_line = -1;
    Status status = runner.Run(*in, opened.rest, opened.first_line, work, consume, &error_line);
    if (!status.ok() && error_line >= 0) {
      std::string place = options.transactions + " line " + std::to_string(error_line);
      if (!status.place().empty()) place += ": " + status.place();
      return std::move(status).At(std::move(place));
    }
    EP_RETURN_IF_ERROR(status);
    for (const auto& [reason, count] : reasons) stats.reasons[reason] += count;
  }
  EP_RETURN_IF_ERROR(fact_file.Close());
  EP_RETURN_IF_ERROR(reject_file.Close());

  std::string json = "{";
  for (const auto& [reason, count] : stats.reasons) {
    if (json.size() > 1) json += ", ";
    json += JsonString(reason) + ": " + std::to_string(count);
  }
  json += "}\n";
  OutputFile reasons_file;
  EP_RETURN_IF_ERROR(reasons_file.Open(reasons_path));
  EP_RETURN_IF_ERROR(reasons_file.Write(json));
  EP_RETURN_IF_ERROR(reasons_file.Close());
  return stats;
}

}  // namespace ecompipe::transform
