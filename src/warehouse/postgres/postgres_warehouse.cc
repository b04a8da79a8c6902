#include "warehouse/postgres/postgres_warehouse.h"

#include <libpq-fe.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <functional>

#include "common/time_util.h"
#include "common/utf8.h"
#include "model/money.h"
#include "warehouse/postgres/copy_binary.h"
#include "warehouse/postgres/fact_columns.h"
#include "warehouse/postgres/query_statements.h"

namespace ecompipe::warehouse {
namespace {

// The largest values DECIMAL(10,2) and DECIMAL(12,2) hold, in cents.
constexpr int64_t kMaxPriceCents = 9'999'999'999;
constexpr int64_t kMaxTotalCents = 999'999'999'999;
// Redshift VARCHAR(65535) holds bytes; the job truncates raw records to 64 KiB.
constexpr size_t kMaxRawBytes = 65'000;
// Rows per multi-row INSERT (Redshift): 17 parameters each stays under the 32767 limit.
constexpr int kRowsPerInsert = 1000;

std::optional<model::Money> ParseStoredMoney(std::string_view text) {
  bool negative = !text.empty() && text.front() == '-';
  if (negative) text.remove_prefix(1);
  std::optional<model::Money> money = model::ParseMoney(text);
  if (money && negative) money->cents = -money->cents;
  return money;
}

std::string MoneyText(model::Money m) {
  std::string s;
  model::AppendMoney(s, m);
  return s;
}

}  // namespace

void AppendCopyField(std::string& out, std::string_view field) {
  size_t start = 0;
  for (size_t i = 0; i < field.size(); ++i) {
    char c = field[i];
    if (c != '\\' && c != '\t' && c != '\n' && c != '\r') continue;
    out.append(field.data() + start, i - start);
    out += '\\';
    out += c == '\\' ? '\\' : c == '\t' ? 't' : c == '\n' ? 'n' : 'r';
    start = i + 1;
  }
  out.append(field.data() + start, field.size() - start);
}

void SplitCopyRow(std::string_view line, std::vector<std::optional<std::string>>& fields) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  // The fields' strings are reused from the previous row: a million-row read allocates little.
  size_t n = 0;
  size_t i = 0;
  while (true) {
    if (n == fields.size()) fields.emplace_back();
    std::optional<std::string>& field = fields[n++];
    if (field) {
      field->clear();
    } else {
      field.emplace();
    }
    bool escaped_null = false;
    while (i < line.size()) {
      size_t run = i;  // the bytes up to the next tab or backslash go in as they are
      while (run < line.size() && line[run] != '\t' && line[run] != '\\') ++run;
      field->append(line.data() + i, run - i);
      i = run;
      if (i == line.size() || line[i] == '\t') break;
      if (i + 1 == line.size()) {  // a backslash at the very end stands for itself
        *field += '\\';
        ++i;
        break;
      }
      const char e = line[i + 1];
      i += 2;
      switch (e) {
        case 'N':
          escaped_null = true;
          break;
        case 't':
          *field += '\t';
          break;
        case 'n':
          *field += '\n';
          break;
        case 'r':
          *field += '\r';
          break;
        case 'b':
          *field += '\b';
          break;
        case 'f':
          *field += '\f';
          break;
        case 'v':
          *field += '\v';
          break;
        default:
          *field += e;
          break;  // \\ and any other escaped character stand for themselves
      }
    }
    if (escaped_null) field.reset();
    if (i >= line.size()) break;
    ++i;  // the tab
  }
  fields.resize(n);
}

std::string ToStorableText(std::string_view text, size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  for (size_t i = 0; i < text.size();) {
    const int n = text[i] == '\0' ? 0 : Utf8SequenceLength(text, i);
    const size_t length = n > 0 ? static_cast<size_t>(n) : 0;
    std::string_view piece = length ? text.substr(i, length) : std::string_view("\xEF\xBF\xBD");
    if (out.size() + piece.size() > max_bytes) break;
    out += piece;
    i += length ? length : 1;
  }
  return out;
}

// One object's load: a transaction on the warehouse's connection from BeginLoad() until
// Commit() or destruction.
// What a transaction does besides adding rows: a load of a new version (kLoad), a replay of
// rejects of a loaded one (kReplay), or the removal of a deleted object's rows (kRemove).
enum class LoadKind { kLoad, kReplay, kRemove };

class PostgresLoadTransaction final : public LoadTransaction {
 public:
  PostgresLoadTransaction(PostgresWarehouse& wh, const storage::ObjectRef& object,
                          std::string load_id, std::string run_id, ReloadMode mode,
                          LoadKind kind = LoadKind::kLoad, std::string message = "")
      : wh_(wh),
        db_(*wh.db_),
        object_(object),
        load_id_(std::move(load_id)),
        run_id_(std::move(run_id)),
        mode_(mode),
        kind_(kind),
        message_(std::move(message)),
        pg_(wh.sql_.dialect() == SqlDialect::kPostgres),
        binary_(wh.options_.binary_copy) {
    AppendCopyField(lineage_object_, object_.key);
    AppendCopyField(lineage_tail_, object_.etag);
    lineage_tail_ += '\t';
    AppendCopyField(lineage_tail_, load_id_);
    lineage_tail_ += '\n';
    AppendBinaryText(binary_object_, object_.key);
    AppendBinaryText(binary_tail_, object_.etag);
    AppendBinaryText(binary_tail_, load_id_);
  }
  ~PostgresLoadTransaction() override {
    if (!finished_) Finish(false);
  }

  // Runs once, right after BEGIN.
  Status Start() {
    const std::string lock_name = object_.bucket + "/" + object_.key;
    if (pg_) {
      EP_RETURN_IF_ERROR(db_.Query(wh_.sql_.LockObject(), {lock_name}).status());
    } else {
      EP_RETURN_IF_ERROR(db_.Exec(wh_.sql_.LockObject()));
    }
    EP_ASSIGN_OR_RETURN(
        PgResult status_row,
        db_.Query(WarehouseSql::LedgerStatus(), {object_.bucket, object_.key, object_.etag}));
    std::optional<LedgerStatus> status;
    if (status_row.Rows() > 0) status = ParseLedgerStatus(status_row.Text(0, 0));
    if (kind_ == LoadKind::kLoad && status == LedgerStatus::kLoaded)
      return Status::AlreadyExists("etag " + object_.etag + " is already loaded").At(object_.key);
    if (kind_ == LoadKind::kReplay && status != LedgerStatus::kLoaded)
      return Status::NotFound("etag " + object_.etag + " is not loaded").At(object_.key);
    // A queued reload replaces every earlier row of the key, this version's included.
    every_version_ = kind_ == LoadKind::kRemove || status == LedgerStatus::kQueued;
    if (every_version_ || (kind_ == LoadKind::kLoad && mode_ == ReloadMode::kReplace)) {
      // ETags are never empty, so "" selects every version of the key.
      const std::string keep_etag = every_version_ ? std::string() : object_.etag;
      // The running totals lose what the earlier versions held (read under the object's lock).
      EP_ASSIGN_OR_RETURN(
          PgResult sum, db_.Query(WarehouseSql::SumOtherVersionFacts(), {object_.key, keep_etag}));
      facts_removed_ = sum.Int(0, 0);
      cents_removed_ = sum.Int(0, 1);
      EP_RETURN_IF_ERROR(
          db_.Query(WarehouseSql::DeleteOtherVersionFacts(), {object_.key, keep_etag}).status());
      EP_ASSIGN_OR_RETURN(PgResult rejects, db_.Query(WarehouseSql::DeleteOtherVersionRejects(),
                                                      {object_.key, keep_etag}));
      rejects_removed_ = rejects.Affected();
    }
    if (kind_ != LoadKind::kLoad) return Status::Ok();  // few rows: no index rebuild
    if (pg_ && wh_.options_.index_rebuild == IndexRebuild::kAlways) rebuild_at_bytes_ = 0;
    if (pg_ && wh_.options_.index_rebuild == IndexRebuild::kAuto) {
      EP_ASSIGN_OR_RETURN(PgResult bytes, db_.Query(WarehouseSql::FactTableBytes()));
      rebuild_at_bytes_ =
          std::max(static_cast<int64_t>(wh_.options_.index_rebuild_min_bytes), bytes.Int(0, 0));
    }
    return Status::Ok();
  }

  Status AddFacts(std::vector<model::FactRow>& facts) override {
    EP_RETURN_IF_ERROR(CheckUsable());
    // Between two calls all of chunk_ has been sent, so the chunk can end here.
    if (pg_ && rebuild_at_bytes_ >= 0 && fact_bytes_ >= rebuild_at_bytes_)
      EP_RETURN_IF_ERROR(DropSecondaryIndexes());
    const size_t chunk_before = chunk_.size();
    for (const model::FactRow& f : facts) {
      if (f.price.cents > kMaxPriceCents || f.total_amount.cents > kMaxTotalCents) {
        AddReject(f.line, model::reason::kTotalOutOfRange,
                  "price " + MoneyText(f.price) + " or total_amount " + MoneyText(f.total_amount) +
                      " does not fit the warehouse's DECIMAL(10,2) / DECIMAL(12,2)",
                  f.transaction_id, FactAsCsv(f));
        continue;
      }
      if (pg_ && binary_) {
        if (Status s = AppendFactBinaryRow(f); !s.ok()) return Fail(s);
        chunk_cents_ += f.total_amount.cents;
      } else if (pg_) {
        AppendFactCopyRow(f);
        chunk_cents_ += f.total_amount.cents;
      } else if (s3_) {
        if (Status s = s3_->Add(f); !s.ok()) return Fail(s);
      } else {
        staged_facts_.push_back(f);
      }
    }
    if (pg_) {
      fact_bytes_ += static_cast<int64_t>(chunk_.size() - chunk_before);
      EP_RETURN_IF_ERROR(SendChunk());
      if (chunk_.size() >= wh_.options_.copy_chunk_bytes) EP_RETURN_IF_ERROR(EndChunk());
    } else {
      EP_RETURN_IF_ERROR(StageRedshiftFacts(false));
    }
    if (reject_rows_ >= 50'000) EP_RETURN_IF_ERROR(FlushRejects());
    return Status::Ok();
  }

  Status AddRejects(std::vector<model::RejectRow>& rejects) override {
    EP_RETURN_IF_ERROR(CheckUsable());
    for (const model::RejectRow& r : rejects)
      AddReject(r.line, r.reason, r.detail, r.transaction_id, r.raw);
    if (reject_rows_ >= 50'000) EP_RETURN_IF_ERROR(FlushRejects());
    return Status::Ok();
  }

  Result<int64_t> RemoveRejects(std::span<const int64_t> ids) override {
    EP_RETURN_IF_ERROR(CheckUsable());
    if (kind_ != LoadKind::kReplay) return LoadTransaction::RemoveRejects(ids);
    int64_t removed = 0;
    constexpr size_t kPerStatement = 1000;
    for (size_t i = 0; i < ids.size(); i += kPerStatement) {
      std::string list;  // integers only: no user text reaches the SQL
      for (size_t k = i; k < std::min(ids.size(), i + kPerStatement); ++k)
        list += (list.empty() ? "" : ",") + std::to_string(ids[k]);
      Result<PgResult> r = db_.Query(
          "DELETE FROM rejects WHERE source_object = $1 AND source_etag = $2 AND id IN (" + list +
              ")",
          {object_.key, object_.etag});
      if (!r.ok()) return Fail(r.status());
      removed += r->Affected();
    }
    rejects_removed_ += removed;
    return removed;
  }

  // kRemove: what the removal deleted, committed.
  Result<std::pair<int64_t, int64_t>> CommitRemoval() {
    EP_RETURN_IF_ERROR(Commit(0).status());
    return std::pair<int64_t, int64_t>{facts_removed_, rejects_removed_};
  }

  Result<LoadCounts> Commit(int64_t rows_read) override {
    EP_RETURN_IF_ERROR(CheckUsable());
    if (kind_ == LoadKind::kReplay && rows_read != rejects_removed_) {
      Finish(false);
      return Status::Internal("a replay of " + std::to_string(rejects_removed_) +
                              " rejects counted " + std::to_string(rows_read) + " rows")
          .At(object_.key);
    }
    Status s = pg_ ? EndChunk() : StageRedshiftFacts(true);
    if (s.ok() && s3_) s = CopyFactsFromS3();
    if (s.ok() && !pg_ && staged_any_) s = MoveStagedFacts();
    if (s.ok()) s = FlushRejects();
    if (s.ok()) s = RecreateSecondaryIndexes();
    if (s.ok() && s3_rejects_) s = CopyRejectsFromS3();
    if (s.ok() && rows_read != rows_loaded_ + rows_rejected_) {
      s = Status::Internal("rows read (" + std::to_string(rows_read) + ") != rows loaded (" +
                           std::to_string(rows_loaded_) + ") + rows rejected (" +
                           std::to_string(rows_rejected_) + "); the load was rolled back")
              .At(object_.key);
    }
    if (s.ok()) s = WriteLedger(rows_read);
    // Last before COMMIT: concurrent loads queue on the totals row only for this moment, and
    // a load that holds it waits for nothing else.
    if (s.ok()) s = AddToTotals();
    if (s.ok()) s = db_.Exec("COMMIT");
    if (!s.ok()) {
      Finish(false);
      return s;
    }
    Finish(true);
    return Counts(rows_loaded_, rows_rejected_);
  }

 private:
  Status CheckUsable() const {
    if (finished_) return Status::Internal("load transaction already finished").At(object_.key);
    if (!failed_.ok())
      return Status(failed_.code(), "load transaction failed earlier: " + failed_.message())
          .At(object_.key);
    return Status::Ok();
  }
  Status Fail(Status s) {
    if (failed_.ok()) failed_ = s;
    return s;
  }

  // The fact in binary COPY format: the server parses no text, numeric or date. The date was
  // checked by the job (IsValidDate); one that is not a day is corrupt input, as the server
  // would say of it in text format.
  Status AppendFactBinaryRow(const model::FactRow& f) {
    struct Writer {
      std::string& o;
      bool bad_date = false;
      void Text(std::string_view s) { AppendBinaryText(o, s); }
      void Int(int32_t v) { AppendBinaryInt4(o, v); }
      void Money(model::Money m) { AppendBinaryMoney(o, m); }
      void Date(std::string_view d) {
        std::optional<int32_t> days = PgDateDays(d);
        bad_date = !days;
        AppendBinaryInt4(o, days.value_or(0));
      }
    } w{chunk_};
    const size_t start = chunk_.size();
    AppendBinaryRowStart(chunk_, kFactColumnCount);
    WriteFactJobColumns(f, w);
    if (w.bad_date) {
      chunk_.resize(start);
      return Status::CorruptInput("line " + std::to_string(f.line) + ": transaction_date '" +
                                  f.transaction_date + "' is not a day YYYY-MM-DD")
          .At(object_.key);
    }
    chunk_ += binary_object_;
    if (f.line > 0) {
      AppendBinaryInt8(chunk_, f.line);
    } else {
      AppendBinaryNull(chunk_);
    }
    chunk_ += binary_tail_;
    return Status::Ok();
  }

  // The fact in COPY's text format (tab-separated, backslash escapes, \N for NULL).
  void AppendFactCopyRow(const model::FactRow& f) {
    struct Writer {
      std::string& o;
      void Text(std::string_view s) {
        AppendCopyField(o, s);
        o += '\t';
      }
      void Int(int32_t v) {
        AppendInt(o, v);
        o += '\t';
      }
      void Money(model::Money m) {
        model::AppendMoney(o, m);
        o += '\t';
      }
      void Date(std::string_view d) { Text(d); }
    } w{chunk_};
    WriteFactJobColumns(f, w);
    chunk_ += lineage_object_;
    chunk_ += '\t';
    if (f.line > 0) {
      AppendInt(chunk_, f.line);
    } else {
      chunk_ += "\\N";
    }
    chunk_ += '\t';
    chunk_ += lineage_tail_;
  }

  // Sends what the chunk holds beyond what was sent, opening the chunk's savepoint and COPY
  // when needed.
  Status SendChunk() {
    if (chunk_.size() == sent_) return Status::Ok();
    if (!db_.InCopy()) {
      if (Status s = db_.Exec("SAVEPOINT ep_chunk"); !s.ok()) return Fail(s);
      if (Status s = db_.BeginCopy(wh_.sql_.CopyFactsFromStdin("fact_transactions", binary_));
          !s.ok()) {
        return Fail(s);
      }
      if (binary_) {
        if (Status s = db_.PutCopy(kCopyBinaryHeader); !s.ok()) return Fail(s);
      }
    }
    if (Status s = db_.PutCopy(std::string_view(chunk_).substr(sent_)); !s.ok()) return Fail(s);
    sent_ = chunk_.size();
    return Status::Ok();
  }

  // Ends the chunk's COPY. On a duplicate transaction_id the chunk is rolled back to its
  // savepoint and loaded through the staging table instead.
  Status EndChunk() {
    if (!db_.InCopy()) return Status::Ok();
    if (binary_) {
      if (Status s = db_.PutCopy(kCopyBinaryTrailer); !s.ok()) return Fail(s);
    }
    Result<int64_t> copied = db_.EndCopy();
    if (copied.ok()) {
      if (Status s = db_.Exec("RELEASE SAVEPOINT ep_chunk"); !s.ok()) return Fail(s);
      rows_loaded_ += *copied;
      cents_loaded_ += chunk_cents_;
      chunk_cents_ = 0;
      chunk_.clear();
      sent_ = 0;
      return Status::Ok();
    }
    if (copied.status().code() != StatusCode::kAlreadyExists) return Fail(copied.status());
    if (Status s = db_.Exec("ROLLBACK TO SAVEPOINT ep_chunk; RELEASE SAVEPOINT ep_chunk"); !s.ok())
      return Fail(s);
    if (Status s = db_.Exec(wh_.sql_.CreateFactStaging()); !s.ok()) return Fail(s);
    if (Status s = db_.BeginCopy(wh_.sql_.CopyFactsFromStdin("ep_fact_stage", binary_)); !s.ok())
      return Fail(s);
    if (binary_) {
      if (Status s = db_.PutCopy(kCopyBinaryHeader); !s.ok()) return Fail(s);
    }
    if (Status s = db_.PutCopy(chunk_); !s.ok()) return Fail(s);
    if (binary_) {
      if (Status s = db_.PutCopy(kCopyBinaryTrailer); !s.ok()) return Fail(s);
    }
    Result<int64_t> staged = db_.EndCopy();
    if (!staged.ok()) return Fail(staged.status());
    chunk_.clear();
    chunk_cents_ = 0;  // MoveStagedFacts counts what became facts
    sent_ = 0;
    return MoveStagedFacts(*staged);
  }

  // IndexRebuild: ends the open chunk, then, when fact_transactions can be locked at once
  // (ACCESS EXCLUSIVE, NOWAIT: never a wait, never a deadlock with another load), drops its
  // rebuildable secondary indexes and keeps their definitions for RecreateSecondaryIndexes().
  // When the lock is taken, the load keeps the indexes and asks again one chunk later.
  Status DropSecondaryIndexes() {
    rebuild_at_bytes_ = -1;
    EP_RETURN_IF_ERROR(EndChunk());
    Result<PgResult> indexes = db_.Query(WarehouseSql::RebuildableFactIndexes());
    if (!indexes.ok()) return Fail(indexes.status());
    if (indexes->Rows() == 0) return Status::Ok();
    if (Status s = db_.Exec("SAVEPOINT ep_indexes"); !s.ok()) return Fail(s);
    if (Status locked = db_.Exec("LOCK TABLE fact_transactions IN ACCESS EXCLUSIVE MODE NOWAIT");
        !locked.ok()) {
      if (!db_.Healthy()) return Fail(locked);
      if (Status s = db_.Exec("ROLLBACK TO SAVEPOINT ep_indexes; RELEASE SAVEPOINT ep_indexes");
          !s.ok()) {
        return Fail(s);
      }
      rebuild_at_bytes_ = fact_bytes_ + static_cast<int64_t>(wh_.options_.copy_chunk_bytes);
      spdlog::info("Keeping the fact indexes for now: fact_transactions is in use. key={} error={}",
                   object_.key, locked.message());
      return Status::Ok();
    }
    indexes = db_.Query(WarehouseSql::RebuildableFactIndexes());  // again, under the lock
    if (!indexes.ok()) return Fail(indexes.status());
    std::string drop = "DROP INDEX ";
    for (int i = 0; i < indexes->Rows(); ++i) {
      if (i) drop += ", ";
      drop += indexes->Text(i, 0);
      rebuild_ddl_.emplace_back(indexes->Text(i, 1));
    }
    if (!rebuild_ddl_.empty()) {
      if (Status s = db_.Exec(drop); !s.ok()) return Fail(s);
    }
    if (Status s = db_.Exec("RELEASE SAVEPOINT ep_indexes"); !s.ok()) return Fail(s);
    spdlog::info(
        "Dropped the fact indexes until the load commits. key={} indexes={} after_bytes={}",
        object_.key, rebuild_ddl_.size(), fact_bytes_);
    return Status::Ok();
  }

  // Creates the indexes DropSecondaryIndexes() dropped, as they were, in the load's transaction.
  Status RecreateSecondaryIndexes() {
    if (rebuild_ddl_.empty()) return Status::Ok();
    const int64_t start = NowMillis();
    for (const std::string& ddl : rebuild_ddl_) {
      if (Status s = db_.Exec(ddl); !s.ok()) return Fail(s);
    }
    spdlog::info("Recreated the fact indexes. key={} indexes={} ms={}", object_.key,
                 rebuild_ddl_.size(), NowMillis() - start);
    rebuild_ddl_.clear();
    return Status::Ok();
  }

  // Staged facts -> fact_transactions, the rest -> duplicate rejects; empties the staging table.
  Status MoveStagedFacts(int64_t staged = -1) {
    Result<PgResult> inserted = db_.Query(wh_.sql_.InsertFactsFromStaging());
    if (!inserted.ok()) return Fail(inserted.status());
    if (staged < 0) {
      Result<PgResult> count = db_.Query("SELECT count(*) FROM ep_fact_stage");
      if (!count.ok()) return Fail(count.status());
      staged = count->Int(0, 0);
    }
    // Every staged row that did not become a fact is a duplicate; the reject budget says how
    // many of them are stored.
    const int64_t duplicates = staged - inserted->Affected();
    const int64_t room = rejects_budget_.RowsLeft();
    Result<PgResult> dups =
        db_.Query(wh_.sql_.RejectDuplicatesFromStaging(room < duplicates ? room : -1));
    if (!dups.ok()) return Fail(dups.status());
    if (duplicates < 0 || (room >= duplicates && dups->Affected() != duplicates)) {
      return Fail(Status::Internal("staged " + std::to_string(staged) + " facts but inserted " +
                                   std::to_string(inserted->Affected()) + " and rejected " +
                                   std::to_string(dups->Affected()))
                      .At(object_.key));
    }
    rejects_budget_.CountBulk(model::reason::kDuplicateTransactionId, duplicates, dups->Affected());
    Result<PgResult> moved = db_.Query(WarehouseSql::SumFactsMovedFromStaging());
    if (!moved.ok()) return Fail(moved.status());
    if (moved->Int(0, 0) != inserted->Affected()) {
      return Fail(Status::Internal("inserted " + std::to_string(inserted->Affected()) +
                                   " staged facts but " + std::to_string(moved->Int(0, 0)) +
                                   " staged rows match a fact of this load")
                      .At(object_.key));
    }
    rows_loaded_ += inserted->Affected();
    cents_loaded_ += moved->Int(0, 1);
    rows_rejected_ += duplicates;
    staged_any_ = false;
    if (Status s = db_.Exec(wh_.sql_.ClearFactStaging()); !s.ok()) return Fail(s);
    return Status::Ok();
  }

  // Redshift: where the facts held in staged_facts_ go. With S3 staging configured they wait
  // until the load reaches min_rows, then all of them (and every later one) stream to S3;
  // a load that commits below min_rows inserts them. Without S3 staging they go into the
  // staging table with multi-row INSERTs every 10 statements' worth, and at commit (`last`).
  Status StageRedshiftFacts(bool last) {
    if (staged_facts_.empty()) return Status::Ok();
    if (wh_.staging_store_) {
      const RedshiftStagingOptions& opt = wh_.options_.staging;
      if (static_cast<int64_t>(staged_facts_.size()) >= opt.min_rows) {
        s3_ = std::make_unique<RedshiftS3Stage>(*wh_.staging_store_, opt, object_, load_id_);
        for (const model::FactRow& f : staged_facts_) {
          if (Status s = s3_->Add(f); !s.ok()) return Fail(s);
        }
        staged_facts_.clear();
        staged_facts_.shrink_to_fit();
        return Status::Ok();
      }
      if (!last) return Status::Ok();
    } else if (!last && staged_facts_.size() < 10 * static_cast<size_t>(kRowsPerInsert)) {
      return Status::Ok();
    }
    if (!staged_any_) {
      if (Status s = db_.Exec(wh_.sql_.CreateFactStaging()); !s.ok()) return Fail(s);
    }
    staged_any_ = true;
    for (size_t i = 0; i < staged_facts_.size(); i += kRowsPerInsert) {
      size_t n = std::min(staged_facts_.size() - i, static_cast<size_t>(kRowsPerInsert));
      std::vector<PgParam> params;
      params.reserve(n * kFactColumnCount);
      for (size_t k = i; k < i + n; ++k) {
        const model::FactRow& f = staged_facts_[k];
        for (PgParam p :
             {PgParam(f.transaction_id), PgParam(f.customer_id), PgParam(f.customer_email),
              PgParam(f.product_id), PgParam(f.product_name), PgParam(f.quantity),
              PgParam(f.supplier_id), PgParam(MoneyText(f.price)), PgParam(f.transaction_date),
              PgParam(f.transaction_type), PgParam(f.payment_type), PgParam(f.status),
              PgParam(MoneyText(f.total_amount)), PgParam(object_.key),
              f.line > 0 ? PgParam(f.line) : PgParam(std::nullopt), PgParam(object_.etag),
              PgParam(load_id_)}) {
          params.push_back(std::move(p));
        }
      }
      Result<PgResult> r =
          db_.Query(wh_.sql_.InsertFactValues("ep_fact_stage", static_cast<int>(n)), params);
      if (!r.ok()) return Fail(r.status());
    }
    staged_facts_.clear();
    return Status::Ok();
  }

  void AddReject(int64_t line, std::string_view reason, std::string_view detail,
                 std::string_view transaction_id, std::string_view raw) {
    ++rows_rejected_;
    if (!rejects_budget_.Admit(reason, raw.size())) return;  // counted only
    ++rejects_added_;
    if (s3_rejects_) {  // Redshift, past min_rows rejects: straight on to S3
      Status s = s3_rejects_->AddReject(line, reason, ToStorableText(detail, 4000),
                                        ToStorableText(transaction_id, 250),
                                        ToStorableText(raw, kMaxRawBytes));
      if (!s.ok()) (void)Fail(s);  // reported by the next call
      return;
    }
    rejects_.push_back({line, std::string(reason), ToStorableText(detail, 4000),
                        ToStorableText(transaction_id, 250), ToStorableText(raw, kMaxRawBytes)});
    ++reject_rows_;
  }

  Status FlushRejects() {
    if (rejects_.empty()) return Status::Ok();
    if (pg_) {
      EP_RETURN_IF_ERROR(EndChunk());  // one COPY at a time on a connection
      std::string buf;
      for (const PendingReject& r : rejects_) {
        buf += lineage_object_;
        buf += '\t';
        AppendCopyField(buf, object_.etag);
        buf += '\t';
        AppendCopyField(buf, load_id_);
        buf += '\t';
        if (r.line > 0) {
          AppendInt(buf, r.line);
        } else {
          buf += "\\N";
        }
        for (const std::string* field : {&r.reason, &r.detail, &r.transaction_id, &r.raw}) {
          buf += '\t';
          AppendCopyField(buf, *field);
        }
        buf += '\n';
      }
      if (Status s = db_.BeginCopy(wh_.sql_.CopyRejectsFromStdin()); !s.ok()) return Fail(s);
      if (Status s = db_.PutCopy(buf); !s.ok()) return Fail(s);
      Result<int64_t> n = db_.EndCopy();
      if (!n.ok()) return Fail(n.status());
    } else if (wh_.staging_store_ && rejects_added_ >= wh_.options_.staging.min_rows) {
      // Redshift with S3 staging, and a load with min_rows rejects or more: these and every
      // later reject are staged to S3 and COPYed at commit (CopyRejectsFromS3).
      if (!s3_rejects_) {
        s3_rejects_ =
            std::make_unique<RedshiftS3Stage>(*wh_.staging_store_, wh_.options_.staging, object_,
                                              load_id_, RedshiftS3Stage::Table::kRejects);
      }
      for (const PendingReject& r : rejects_) {
        if (Status s = s3_rejects_->AddReject(r.line, r.reason, r.detail, r.transaction_id, r.raw);
            !s.ok())
          return Fail(s);
      }
    } else {
      for (size_t i = 0; i < rejects_.size(); i += kRowsPerInsert) {
        size_t n = std::min(rejects_.size() - i, static_cast<size_t>(kRowsPerInsert));
        std::vector<PgParam> params;
        for (size_t k = i; k < i + n; ++k) {
          const PendingReject& r = rejects_[k];
          params.insert(params.end(),
                        {PgParam(object_.key), PgParam(object_.etag), PgParam(load_id_),
                         r.line > 0 ? PgParam(r.line) : PgParam(std::nullopt), PgParam(r.reason),
                         PgParam(r.detail), PgParam(r.transaction_id), PgParam(r.raw)});
        }
        Result<PgResult> res = db_.Query(wh_.sql_.InsertRejectValues(static_cast<int>(n)), params);
        if (!res.ok()) return Fail(res.status());
      }
    }
    rejects_.clear();
    reject_rows_ = 0;
    return Status::Ok();
  }

  // Redshift: uploads the last part and the manifest, COPYs them into the staging table and
  // merges it; the COPY must have loaded every staged row.
  Status CopyFactsFromS3() {
    Result<StagedCopy> copy = s3_->Finish(wh_.sql_, "ep_fact_stage");
    if (!copy.ok()) return Fail(copy.status());
    if (!staged_any_) {
      if (Status s = db_.Exec(wh_.sql_.CreateFactStaging()); !s.ok()) return Fail(s);
    }
    if (Status s = wh_.copy_runner_->Run(db_, *copy); !s.ok()) {
      return Fail(Status(s.code(), "COPY from s3://" + copy->bucket + "/" + copy->manifest_key +
                                       ": " + s.message())
                      .At(object_.key));
    }
    return MoveStagedFacts(copy->rows);
  }

  // Redshift: the rejects staged to S3 go into rejects with one COPY; afterwards the table must
  // hold every reject of this load (inserted earlier, duplicates and staged alike).
  Status CopyRejectsFromS3() {
    Result<StagedCopy> copy = s3_rejects_->Finish(wh_.sql_, "rejects");
    if (!copy.ok()) return Fail(copy.status());
    if (Status s = wh_.copy_runner_->Run(db_, *copy); !s.ok()) {
      return Fail(Status(s.code(), "COPY from s3://" + copy->bucket + "/" + copy->manifest_key +
                                       ": " + s.message())
                      .At(object_.key));
    }
    Result<PgResult> n = db_.Query(WarehouseSql::CountLoadRejects(), {load_id_});
    if (!n.ok()) return Fail(n.status());
    const int64_t stored = rows_rejected_ - rejects_budget_.not_stored();
    if (n->Int(0, 0) != stored) {
      return Fail(Status::Internal("rejects holds " + std::to_string(n->Int(0, 0)) +
                                   " rows of load " + load_id_ + " after the COPY from S3, not " +
                                   std::to_string(stored))
                      .At(object_.key));
    }
    return Status::Ok();
  }

  Status WriteLedger(int64_t rows_read) {
    if (kind_ == LoadKind::kReplay)
      return db_
          .Query(WarehouseSql::AddReplayToLedger(),
                 {object_.bucket, object_.key, object_.etag, rows_loaded_,
                  rows_rejected_ - rejects_removed_})
          .status();
    if (kind_ == LoadKind::kRemove)
      return db_
          .Query(WarehouseSql::MarkDeleted(),
                 {object_.bucket, object_.key, run_id_, ToStorableText(message_, 4000)})
          .status();
    if (mode_ == ReloadMode::kReplace || every_version_) {
      EP_RETURN_IF_ERROR(db_.Query(WarehouseSql::MarkReplaced(),
                                   {object_.bucket, object_.key, object_.etag, load_id_})
                             .status());
    }
    EP_RETURN_IF_ERROR(
        db_.Query(WarehouseSql::DeleteLedgerRow(), {object_.bucket, object_.key, object_.etag})
            .status());
    return db_
        .Query(WarehouseSql::InsertLedgerRow(),
               {object_.bucket, object_.key, object_.etag, "loaded", load_id_, run_id_, rows_read,
                rows_loaded_, rows_rejected_, rejects_budget_.Summary(), job_hash_})
        .status();
  }

  // The load's change to the running totals. No row: a migration is counting the tables
  // (EnsureSchema), and it counts this load's rows once they commit.
  Status AddToTotals() {
    return db_
        .Query(WarehouseSql::AddToTotals(),
               {rows_loaded_ - facts_removed_,
                rows_rejected_ - rejects_budget_.not_stored() - rejects_removed_,
                cents_loaded_ - cents_removed_})
        .status();
  }

  void Finish(bool committed) {
    if (!committed) {
      if (db_.InCopy()) (void)db_.AbortCopy("load rolled back");
      if (db_.Healthy()) (void)db_.Exec("ROLLBACK");
    }
    wh_.load_open_ = false;
    finished_ = true;
    // After COMMIT or ROLLBACK the staged objects serve no purpose; a failure to delete them
    // is logged (they stay under the load's prefix) and does not undo the commit.
    if (s3_) (void)s3_->DeleteStaged();
    if (s3_rejects_) (void)s3_rejects_->DeleteStaged();
  }

  struct PendingReject {
    int64_t line;
    std::string reason, detail, transaction_id, raw;
  };

  PostgresWarehouse& wh_;
  PostgresDb& db_;
  const storage::ObjectRef object_;
  const std::string load_id_, run_id_;
  const ReloadMode mode_;
  const LoadKind kind_;
  const std::string message_;   // kRemove: the ledger rows' message
  bool every_version_ = false;  // the rows of every version of the key go, this one's too
  const bool pg_;
  const bool binary_;              // facts in binary COPY format (PostgreSQL)
  std::string lineage_object_;     // the key, COPY-escaped
  std::string lineage_tail_;       // "<etag>\t<load_id>\n", COPY-escaped
  std::string binary_object_;      // the key as a binary COPY field
  std::string binary_tail_;        // etag and load_id as binary COPY fields
  std::string chunk_;              // COPY data (rows only) since the chunk's savepoint
  size_t sent_ = 0;                // bytes of chunk_ already sent
  int64_t fact_bytes_ = 0;         // fact COPY data of this load so far (PostgreSQL)
  int64_t rebuild_at_bytes_ = -1;  // IndexRebuild: drop the indexes at this fact_bytes_; -1 never
  std::vector<std::string> rebuild_ddl_;          // CREATE INDEX of each index dropped, for Commit
  std::vector<model::FactRow> staged_facts_;      // Redshift: facts not yet inserted into staging
  std::unique_ptr<RedshiftS3Stage> s3_;           // Redshift: this load's facts staged to S3
  std::unique_ptr<RedshiftS3Stage> s3_rejects_;   // Redshift: its rejects, once there are min_rows
  int64_t rejects_added_ = 0;  // AddReject calls (duplicate rejects not included)
  bool staged_any_ = false;    // the staging table holds rows of this load
  std::vector<PendingReject> rejects_;
  int64_t reject_rows_ = 0;
  int64_t rows_loaded_ = 0, rows_rejected_ = 0;
  // For warehouse_totals: total_amount cents of the facts in chunk_ (not yet committed by its
  // COPY) and of the facts loaded; what a replace deleted.
  int64_t chunk_cents_ = 0, cents_loaded_ = 0;
  int64_t facts_removed_ = 0, rejects_removed_ = 0, cents_removed_ = 0;
  Status failed_;
  bool finished_ = false;
};

Result<std::unique_ptr<PostgresWarehouse>> PostgresWarehouse::Open(
    const PostgresWarehouseOptions& options) {
  // The staging bucket's settings are checked before connecting: a configuration error first.
  std::unique_ptr<storage::s3::S3ObjectStore> staging;
  if (options.staging.enabled()) {
    if (options.dialect != SqlDialect::kRedshift)
      return Status::InvalidArgument(
          "S3 staging is for the redshift warehouse; PostgreSQL loads with COPY FROM STDIN");
    const AwsCredentials& keys = options.staging.s3.credentials;
    if (keys.access_key_id.empty() || keys.secret_access_key.empty())
      return Status::InvalidArgument(
          "warehouse.staging: no credentials for the staging bucket '" + options.staging.s3.bucket +
          "' (set warehouse.staging.access_key_id and secret_access_key, or "
          "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)");
    Result<std::unique_ptr<storage::s3::S3ObjectStore>> store =
        storage::s3::S3ObjectStore::Open(options.staging.s3);
    if (!store.ok())
      return Status(store.status().code(), "warehouse.staging: " + store.status().message());
    staging = std::move(store).value();
  }
  EP_ASSIGN_OR_RETURN(std::unique_ptr<PostgresDb> db,
                      PostgresDb::Connect(options.url, options.connect_timeout_s));
  std::unique_ptr<PostgresWarehouse> wh(new PostgresWarehouse(options, std::move(db)));
  if (staging) {
    wh->staging_store_ = std::move(staging);
    if (!wh->copy_runner_) wh->copy_runner_ = RedshiftCopyRunner();
  }
  EP_RETURN_IF_ERROR(wh->ApplySession());
  return wh;
}

PostgresWarehouse::~PostgresWarehouse() = default;

std::string PostgresWarehouse::Describe() const {
  std::string d = std::string(SqlDialectName(options_.dialect)) + " " + db_->Describe();
  if (!options_.schema.empty()) d += " schema=" + options_.schema;
  return d;
}

Status PostgresWarehouse::ApplySession() {
  if (options_.schema.empty()) return Status::Ok();
  return db_->Exec("SET search_path TO " + PgQuoteIdent(options_.schema));
}

Status PostgresWarehouse::Connected() {
  EP_ASSIGN_OR_RETURN(bool reconnected, db_->ReconnectIfLost());
  return reconnected ? ApplySession() : Status::Ok();
}

Status PostgresWarehouse::EnsureSchema() {
  if (load_open_) return Status::Internal("EnsureSchema while a load is open");
  EP_RETURN_IF_ERROR(Connected());
  const bool pg = options_.dialect == SqlDialect::kPostgres;
  if (pg) {
    // A warehouse already at this version needs no DDL. Running it anyway would wait: CREATE
    // INDEX IF NOT EXISTS locks fact_transactions, which a big load holds until it commits
    // (IndexRebuild), so `ecompipe status` or another worker starting would hang behind it.
    EP_ASSIGN_OR_RETURN(PgResult exists,
                        db_->Query("SELECT to_regclass('ecompipe_schema_version') IS NOT NULL"));
    if (exists.Text(0, 0) == "t") {
      EP_ASSIGN_OR_RETURN(PgResult v,
                          db_->Query("SELECT max(version) FROM ecompipe_schema_version"));
      if (!v.IsNull(0, 0) && v.Int(0, 0) == WarehouseSql::kSchemaVersion) {
        // A plain read: it waits for no load. The row is missing only if deleted by hand.
        EP_ASSIGN_OR_RETURN(PgResult totals, db_->Query("SELECT count(*) FROM warehouse_totals"));
        if (totals.Int(0, 0) == 1) return Status::Ok();
      }
    }
  }
  return db_->Transaction([&]() -> Status {
    // Two processes creating the same tables at once would collide in the catalogs.
    if (pg) EP_RETURN_IF_ERROR(db_->Exec("SELECT pg_advisory_xact_lock(7240531)"));
    if (!options_.schema.empty()) {
      EP_RETURN_IF_ERROR(db_->Exec("CREATE SCHEMA IF NOT EXISTS " + PgQuoteIdent(options_.schema)));
    }
    for (const std::string& ddl : sql_.SchemaDdl()) EP_RETURN_IF_ERROR(db_->Exec(ddl));
    EP_ASSIGN_OR_RETURN(PgResult job_hash, db_->Query(WarehouseSql::HasJobHash()));
    if (job_hash.Int(0, 0) == 0)
      EP_RETURN_IF_ERROR(db_->Exec(std::string("ALTER TABLE load_ledger ADD COLUMN job_hash ") +
                                   (pg ? "TEXT" : "VARCHAR(64)")));
    EP_ASSIGN_OR_RETURN(PgResult v, db_->Query("SELECT max(version) FROM ecompipe_schema_version"));
    if (!v.IsNull(0, 0) && v.Int(0, 0) > WarehouseSql::kSchemaVersion) {
      return Status::InvalidArgument("warehouse schema version " + std::string(v.Text(0, 0)) +
                                     " is newer than this ecompipe supports (" +
                                     std::to_string(WarehouseSql::kSchemaVersion) +
                                     "); upgrade ecompipe")
          .At(Describe());
    }
    // The running totals, counted once (a version 1 warehouse, or a row deleted by hand). The
    // lock waits for loads in flight and keeps new ones out until this commits, so no load is
    // counted twice or missed: one that commits first is counted, one that adds to the totals
    // before the row exists leaves it to this count (PostgresLoadTransaction::AddToTotals).
    EP_ASSIGN_OR_RETURN(PgResult totals, db_->Query("SELECT count(*) FROM warehouse_totals"));
    if (totals.Int(0, 0) == 0) {
      EP_RETURN_IF_ERROR(db_->Exec(sql_.LockForCountingTotals()));
      EP_ASSIGN_OR_RETURN(PgResult again, db_->Query("SELECT count(*) FROM warehouse_totals"));
      if (again.Int(0, 0) == 0) EP_RETURN_IF_ERROR(db_->Query(WarehouseSql::FillTotals()).status());
    }
    if (v.IsNull(0, 0) || v.Int(0, 0) < WarehouseSql::kSchemaVersion) {
      return db_
          ->Query("INSERT INTO ecompipe_schema_version (version) VALUES ($1)",
                  {WarehouseSql::kSchemaVersion})
          .status();
    }
    return Status::Ok();
  });
}

Result<std::optional<LedgerEntry>> PostgresWarehouse::FindLoad(const storage::ObjectRef& object) {
  EP_RETURN_IF_ERROR(Connected());
  EP_ASSIGN_OR_RETURN(
      PgResult r,
      db_->Query("SELECT status, load_id, run_id, rows_read, rows_loaded, rows_rejected, message, "
                 "CAST(EXTRACT(EPOCH FROM finished_at) * 1000 AS BIGINT), "
                 "COALESCE(job_hash, '') FROM load_ledger "
                 "WHERE bucket = $1 AND key = $2 AND etag = $3",
                 {object.bucket, object.key, object.etag}));
  if (r.Rows() == 0) return std::optional<LedgerEntry>();
  LedgerEntry e;
  e.bucket = object.bucket;
  e.key = object.key;
  e.etag = object.etag;
  std::optional<LedgerStatus> status = ParseLedgerStatus(r.Text(0, 0));
  if (!status)
    return Status::CorruptInput("load_ledger has an unknown status '" + std::string(r.Text(0, 0)) + "'")
        .At(object.key);
  e.status = *status;
  e.load_id = r.Text(0, 1);
  e.run_id = r.Text(0, 2);
  e.rows_read = r.Int(0, 3);
  e.rows_loaded = r.Int(0, 4);
  e.rows_rejected = r.Int(0, 5);
  e.message = r.Text(0, 6);
  e.finished_ms = r.Int(0, 7);
  e.job_hash = r.Text(0, 8);
  return std::optional<LedgerEntry>(std::move(e));
}

Result<bool> PostgresWarehouse::HasOtherVersion(const storage::ObjectRef& object) {
  EP_RETURN_IF_ERROR(Connected());
  EP_ASSIGN_OR_RETURN(PgResult r,
                      db_->Query("SELECT 1 FROM load_ledger WHERE bucket = $1 AND key = $2 AND "
                                 "etag <> $3 AND status = 'loaded' LIMIT 1",
                                 {object.bucket, object.key, object.etag}));
  return r.Rows() > 0;
}

Result<std::unique_ptr<LoadTransaction>> PostgresWarehouse::BeginLoad(
    const storage::ObjectRef& object, const std::string& load_id, const std::string& run_id,
    ReloadMode mode) {
  if (load_open_)
    return Status::Internal("BeginLoad while another load is open on this connection")
        .At(object.key);
  EP_RETURN_IF_ERROR(Connected());
  EP_RETURN_IF_ERROR(db_->Exec("BEGIN"));
  load_open_ = true;
  // From here on the transaction object owns the transaction: destroying it rolls back.
  auto load = std::make_unique<PostgresLoadTransaction>(*this, object, load_id, run_id, mode);
  EP_RETURN_IF_ERROR(load->Start());
  return std::unique_ptr<LoadTransaction>(std::move(load));
}

Result<std::unique_ptr<LoadTransaction>> PostgresWarehouse::BeginReplay(
    const storage::ObjectRef& object, const std::string& load_id, const std::string& run_id) {
  if (load_open_) return Status::Internal("BeginReplay while a load is open").At(object.key);
  EP_RETURN_IF_ERROR(Connected());
  EP_RETURN_IF_ERROR(db_->Exec("BEGIN"));
  load_open_ = true;
  auto load = std::make_unique<PostgresLoadTransaction>(*this, object, load_id, run_id,
                                                        ReloadMode::kAppend, LoadKind::kReplay);
  EP_RETURN_IF_ERROR(load->Start());
  return std::unique_ptr<LoadTransaction>(std::move(load));
}

Result<std::pair<int64_t, int64_t>> PostgresWarehouse::RemoveObject(
    const storage::ObjectRef& object, const std::string& run_id, const std::string& message) {
  if (load_open_) return Status::Internal("RemoveObject while a load is open").At(object.key);
  EP_RETURN_IF_ERROR(Connected());
  EP_RETURN_IF_ERROR(db_->Exec("BEGIN"));
  load_open_ = true;
  PostgresLoadTransaction removal(*this, object, "", run_id, ReloadMode::kReplace,
                                  LoadKind::kRemove, message);
  EP_RETURN_IF_ERROR(removal.Start());
  return removal.CommitRemoval();
}

Status PostgresWarehouse::RecordSkipped(const storage::ObjectRef& object, const std::string& run_id,
                                        LedgerStatus skip, const std::string& message) {
  const std::string status(LedgerStatusName(skip));
  if (skip == LedgerStatus::kLoaded) {
    return Status::InvalidArgument("skip status must be 'failed' or 'ignored', not '" + status +
                                   "'")
        .At(object.key);
  }
  if (load_open_) return Status::Internal("RecordSkipped while a load is open").At(object.key);
  EP_RETURN_IF_ERROR(Connected());
  const std::string lock_name = object.bucket + "/" + object.key;
  return db_->Transaction([&]() -> Status {
    if (options_.dialect == SqlDialect::kPostgres) {
      EP_RETURN_IF_ERROR(db_->Query(sql_.LockObject(), {lock_name}).status());
    } else {
      EP_RETURN_IF_ERROR(db_->Exec(sql_.LockObject()));
    }
    EP_ASSIGN_OR_RETURN(PgResult cur, db_->Query(WarehouseSql::LedgerStatus(),
                                                 {object.bucket, object.key, object.etag}));
    if (cur.Rows() > 0 && ParseLedgerStatus(cur.Text(0, 0)) == LedgerStatus::kLoaded) {
      return Status::AlreadyExists("etag " + object.etag + " is already loaded; not marking it " +
                                   status)
          .At(object.key);
    }
    EP_RETURN_IF_ERROR(
        db_->Query(WarehouseSql::DeleteLedgerRow(), {object.bucket, object.key, object.etag})
            .status());
    return db_
        ->Query(WarehouseSql::InsertLedgerRow(),
                {object.bucket, object.key, object.etag, status, "", run_id, 0, 0, 0,
                 ToStorableText(message, 4000), ""})
        .status();
  });
}

template <typename Row, typename Format>
Status PostgresWarehouse::Upsert(Dimension d, std::span<const Row> rows, Format format) {
  if (load_open_) return Status::Internal("dimension upsert while a load is open");
  if (rows.empty()) return Status::Ok();
  EP_RETURN_IF_ERROR(Connected());
  const bool pg = options_.dialect == SqlDialect::kPostgres;
  return db_->Transaction([&]() -> Status {
    EP_RETURN_IF_ERROR(db_->Exec(sql_.CreateDimensionStaging(d)));
    EP_RETURN_IF_ERROR(db_->Exec(sql_.ClearDimensionStaging(d)));
    std::vector<std::string> fields;
    if (pg) {
      std::string buf;
      int64_t seq = 0;
      for (const Row& row : rows) {
        fields.clear();
        format(row, fields);
        AppendInt(buf, ++seq);
        for (const std::string& f : fields) {
          buf += '\t';
          AppendCopyField(buf, ToStorableText(f));
        }
        buf += '\n';
      }
      EP_RETURN_IF_ERROR(db_->BeginCopy(sql_.CopyDimensionFromStdin(d)));
      EP_RETURN_IF_ERROR(db_->PutCopy(buf));
      EP_RETURN_IF_ERROR(db_->EndCopy().status());
    } else {
      for (size_t i = 0; i < rows.size(); i += kRowsPerInsert) {
        size_t n = std::min(rows.size() - i, static_cast<size_t>(kRowsPerInsert));
        std::vector<PgParam> params;
        for (size_t k = i; k < i + n; ++k) {
          fields.clear();
          format(rows[k], fields);
          params.emplace_back(static_cast<int64_t>(k + 1));
          for (const std::string& f : fields) params.emplace_back(ToStorableText(f));
        }
        EP_RETURN_IF_ERROR(
            db_->Query(sql_.InsertDimensionValues(d, static_cast<int>(n)), params).status());
      }
    }
    EP_RETURN_IF_ERROR(db_->Exec(sql_.UpsertDimensionFromStaging(d)));
    return db_->Exec(sql_.ClearDimensionStaging(d));
  });
}

Status PostgresWarehouse::UpsertProducts(std::span<const model::Product> rows) {
  return Upsert(
      Dimension::kProducts, rows, [](const model::Product& p, std::vector<std::string>& out) {
        out = {p.product_id, p.product_name, p.category, MoneyText(p.price), p.supplier_id};
      });
}

Status PostgresWarehouse::UpsertCustomers(std::span<const model::Customer> rows) {
  return Upsert(Dimension::kCustomers, rows,
                [](const model::Customer& c, std::vector<std::string>& out) {
                  out = {c.customer_id, c.first_name, c.last_name, c.email, c.membership_level};
                });
}

Status PostgresWarehouse::LoadDimensions(model::DimensionBuilder& out) {
  EP_RETURN_IF_ERROR(Connected());
  std::vector<std::optional<std::string>> f;
  auto text = [&](size_t i) { return f[i] ? std::move(*f[i]) : std::string(); };
  // COPY TO STDOUT: a million customers arrive in about a second, where a SELECT takes several.
  const bool pg = options_.dialect == SqlDialect::kPostgres;
  auto read = [&](const std::string& select, size_t columns,
                  const std::function<Status()>& take) -> Status {
    if (!pg) {  // Redshift has no COPY TO STDOUT
      EP_ASSIGN_OR_RETURN(PgResult r, db_->Query(select));
      for (int i = 0; i < r.Rows(); ++i) {
        f.clear();
        for (size_t c = 0; c < columns; ++c) f.push_back(r.Optional(i, static_cast<int>(c)));
        EP_RETURN_IF_ERROR(take());
      }
      return Status::Ok();
    }
    return db_->CopyOut("COPY (" + select + ") TO STDOUT", [&](std::string_view line) -> Status {
      SplitCopyRow(line, f);
      if (f.size() != columns)
        return Status::CorruptInput("COPY row with " + std::to_string(f.size()) + " fields");
      return take();
    });
  };
  EP_RETURN_IF_ERROR(
      read("SELECT product_id, product_name, category, CAST(price AS VARCHAR), supplier_id FROM "
           "dim_products",
           5, [&]() -> Status {
             model::Product prod;
             prod.product_id = text(0);
             prod.product_name = text(1);
             prod.category = text(2);
             std::optional<model::Money> price = f[3] ? ParseStoredMoney(*f[3]) : std::nullopt;
             if (!price) {
               return Status::CorruptInput("dim_products row " + prod.product_id + ": price '" +
                                           f[3].value_or("NULL") +
                                           "' is not a decimal with at most 2 decimals")
                   .At(Describe());
             }
             prod.price = *price;
             prod.supplier_id = text(4);
             out.AddProduct(std::move(prod));
             return Status::Ok();
           }));
  EP_RETURN_IF_ERROR(
      read("SELECT customer_id, first_name, last_name, email, membership_level FROM dim_customers",
           5, [&]() -> Status {
             model::Customer cust;
             cust.customer_id = text(0);
             cust.first_name = text(1);
             cust.last_name = text(2);
             cust.email = text(3);
             cust.membership_level = text(4);
             out.AddCustomer(std::move(cust));
             return Status::Ok();
           }));
  return Status::Ok();
}

Status PostgresWarehouse::LoadDimensionIndex(model::DimensionIndexBuilder& out) {
  if (options_.dialect != SqlDialect::kPostgres) return Warehouse::LoadDimensionIndex(out);
  EP_RETURN_IF_ERROR(Connected());
  std::vector<std::optional<std::string>> f;
  const auto read = [&](const char* select, size_t columns,
                        const std::function<void()>& add) -> Status {
    return db_->CopyOut(
        std::string("COPY (") + select + ") TO STDOUT", [&](std::string_view line) -> Status {
          SplitCopyRow(line, f);
          if (f.size() != columns)
            return Status::CorruptInput("COPY row with " + std::to_string(f.size()) + " fields");
          add();
          return Status::Ok();
        });
  };
  const auto text = [&](size_t i) -> std::string_view {
    return f[i] ? std::string_view(*f[i]) : std::string_view();
  };
  EP_RETURN_IF_ERROR(read("SELECT customer_id, email FROM dim_customers", 2,
                          [&] { out.AddCustomer(text(0), text(1)); }));
  EP_RETURN_IF_ERROR(read("SELECT product_id, product_name, supplier_id FROM dim_products", 3,
                          [&] { out.AddProduct(text(0), text(1), text(2)); }));
  if (Status s = out.Seal(); !s.ok()) return std::move(s).At(Describe());
  return Status::Ok();
}

Result<WarehouseTotals> PostgresWarehouse::Totals() {
  EP_ASSIGN_OR_RETURN(QueryResult r, Query(std::string(TotalsSql())));
  Result<WarehouseTotals> totals = ParseTotals(r);
  if (!totals.ok()) return Status(totals.status()).At(Describe());
  return totals;
}

Result<std::vector<QueryResult>> PostgresWarehouse::QueryAll(const std::string& sql,
                                                             const QueryOptions& options) {
  if (load_open_) return Status::Internal("Query while a load is open");
  auto failed = [&options](size_t index, const Status& s) {
    std::string message =
        "postgres query, statement " + std::to_string(index + 1) + ": " + s.message();
    // 25006: read-only transaction; 25001: active transaction (VACUUM, SET TRANSACTION late).
    if (!options.write && (message.find("SQLSTATE 25006") != std::string::npos ||
                           message.find("SQLSTATE 25001") != std::string::npos)) {
      message += "; ecompipe query is read-only, add --write to change the warehouse";
    }
    return Status(s.code(), std::move(message));
  };
  Result<std::vector<std::string>> split = SplitPgStatements(sql);
  if (!split.ok())
    return Status(split.status().code(), "postgres query: " + split.status().message());
  const std::vector<std::string>& statements = *split;
  std::vector<PgStatementKind> kinds;
  for (size_t i = 0; i < statements.size(); ++i) {
    Result<PgStatementKind> kind = CheckPgStatement(statements[i], options.write);
    if (!kind.ok()) return failed(i, kind.status());
    kinds.push_back(*kind);
  }

  EP_RETURN_IF_ERROR(Connected());
  auto rollback = [&] {
    // Transactions do not span calls; in read-only mode this ends the query's own transaction.
    if (db_->Healthy() && PQtransactionStatus(db_->raw()) != PQTRANS_IDLE)
      (void)db_->Exec("ROLLBACK");
  };
  rollback();
  if (!options.write) {
    EP_RETURN_IF_ERROR(db_->Exec("BEGIN READ ONLY"));
    // Take the first snapshot now: after it PostgreSQL refuses to make the transaction
    // read-write (SET TRANSACTION READ WRITE, set_config('transaction_read_only', ...)), a
    // second guard behind CheckPgStatement.
    if (Status s = db_->Exec("SELECT 1"); !s.ok()) {
      rollback();
      return s;
    }
  }
  auto still_read_only = [&](size_t index) -> Status {
    if (options.write || PQtransactionStatus(db_->raw()) == PQTRANS_INTRANS) return Status::Ok();
    return Status::InvalidArgument("postgres query, statement " + std::to_string(index + 1) +
                                   ": refused: it ended the read-only transaction");
  };
  std::vector<QueryResult> results;
  std::vector<const std::string*> settings;
  for (size_t i = 0; i < statements.size(); ++i) {
    Result<PgResult> r = db_->Query(statements[i]);
    if (!r.ok()) {
      rollback();
      return failed(i, r.status());
    }
    if (Status s = still_read_only(i); !s.ok()) {
      rollback();
      return s;
    }
    QueryResult& out = results.emplace_back();
    std::vector<ValueKind> column_kinds;
    for (int c = 0; c < r->Columns(); ++c) {
      out.columns.push_back(r->ColumnName(c));
      switch (r->ColumnType(c)) {
        case 20:
        case 21:
        case 23:
        case 26:  // int8, int2, int4, oid
          column_kinds.push_back(ValueKind::kInteger);
          break;
        case 700:
        case 701:  // float4, float8: shortest round-trip text since PostgreSQL 12
          column_kinds.push_back(ValueKind::kReal);
          break;
        case 1700:  // numeric
          column_kinds.push_back(ValueKind::kDecimal);
          break;
        case 16:  // bool
          column_kinds.push_back(ValueKind::kBoolean);
          break;
        case 17:  // bytea, printed as \x...
          column_kinds.push_back(ValueKind::kBlob);
          break;
        default:
          column_kinds.push_back(ValueKind::kText);
      }
    }
    out.rows.reserve(static_cast<size_t>(r->Rows()));
    out.kinds.reserve(static_cast<size_t>(r->Rows()));
    for (int i_row = 0; i_row < r->Rows(); ++i_row) {
      auto& row = out.rows.emplace_back();
      auto& row_kinds = out.kinds.emplace_back(column_kinds);
      for (int c = 0; c < r->Columns(); ++c) {
        row.push_back(r->Optional(i_row, c));
        if (!row.back()) row_kinds[static_cast<size_t>(c)] = ValueKind::kNull;
      }
    }
    if (out.columns.empty()) out.rows_changed = r->Affected();
    if (kinds[i] == PgStatementKind::kSessionSetting) settings.push_back(&statements[i]);
  }
  rollback();
  if (!options.write) {
    // The settings were rolled back with the transaction; they write nothing, so they are
    // made again for the session (what `SET lock_timeout` before a count relies on).
    for (const std::string* setting : settings) {
      if (Status s = db_->Exec(*setting); !s.ok())
        return Status(s.code(), "postgres query: " + s.message());
    }
  }
  return results;
}

}  // namespace ecompipe::warehouse
