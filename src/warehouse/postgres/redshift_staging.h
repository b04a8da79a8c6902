// Redshift's bulk load path: a load's fact rows (and, when they are many, its rejects) staged
// to S3 as gzip'd CSV parts plus a manifest, for one `COPY ... FROM 's3://.../facts.manifest'
// MANIFEST` per table (warehouse_sql.h).
//
// Layout, under the configured bucket and prefix, one folder per load:
//   <prefix>/<load_id>/facts-00000.csv.gz, facts-00001.csv.gz, ...   (parts, in row order)
//   <prefix>/<load_id>/facts.manifest                                 (Redshift's MANIFEST JSON)
//   <prefix>/<load_id>/rejects-00000.csv.gz, ..., rejects.manifest    (likewise)
// A part closes once it holds `part_bytes` of CSV (before compression), so a large load is
// several files that Redshift's slices load in parallel. Parts are compressed into a local
// temporary file and uploaded with one PutObject each: memory holds one CSV buffer (1 MiB)
// and zlib's state, never the load. The owner deletes the staged objects once the load has
// committed or rolled back (DeleteStaged); a crash leaves them under <prefix>/<load_id>/.
//
// CSV written (what CopyFromS3Manifest's options expect): the columns of kFactColumns or
// kRejectColumns, fields quoted with '"' (quotes doubled) when they hold ',', '"', CR or LF;
// empty text as "" so that it loads as ''; a NULL line number as an empty unquoted field;
// dates YYYY-MM-DD; money as plain decimals ("129.99"); no header.
//
// Thread-safety: one thread at a time. The S3 store must outlive the stage.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/postgres_db.h"
#include "common/status.h"
#include "model/records.h"
#include "storage/object_store.h"
#include "storage/s3/s3_object_store.h"
#include "warehouse/postgres/warehouse_sql.h"

namespace ecompipe::warehouse {

// warehouse: {type: redshift, staging: {...}} (docs/warehouse.md). Staging is on when
// s3.bucket is set.
struct RedshiftStagingOptions {
  storage::s3::S3Settings s3;     // the staging bucket; its credentials upload and delete parts
  std::string prefix;             // key prefix without a trailing '/'; may be empty
  std::string iam_role;           // the role COPY assumes; empty: COPY uses s3.credentials
  int64_t min_rows = 100'000;     // loads with fewer fact rows use multi-row INSERTs
  size_t part_bytes = 64 << 20;   // CSV bytes per part, before compression
  std::filesystem::path tmp_dir;  // where parts are compressed; empty: the system's temp dir

  bool enabled() const { return !s3.bucket.empty(); }
  // The credentials COPY names: the IAM role, or the upload keys when no role is set.
  S3CopyCredentials CopyCredentials() const;
};

// One staged object, as the manifest lists it.
struct StagedPart {
  std::string key;
  uint64_t bytes = 0;  // compressed size, as uploaded
  int64_t rows = 0;
};

// Redshift's manifest: {"entries": [{"url": "s3://<bucket>/<key>", "mandatory": true,
// "meta": {"content_length": <bytes>}}, ...]}. mandatory makes COPY fail when a part is
// missing, rather than load less; content_length is what UNLOAD writes (COPY ignores it for
// CSV).
std::string RedshiftManifestJson(const std::string& bucket, std::span<const StagedPart> parts);

// One staged COPY, ready to run on the load's connection.
struct StagedCopy {
  std::string table;         // the table COPY fills ("ep_fact_stage", "rejects")
  std::string columns;       // its columns, in the CSV's order ("a, b, c")
  std::string bucket;        // the staging bucket
  std::string manifest_key;  // the manifest's key in `bucket`
  std::string sql;           // the Redshift COPY statement (holds credentials: never log it)
  int64_t rows = 0;          // rows staged: what the COPY must load
};

// Runs a staged COPY. The real runner, RedshiftCopyRunner(), executes `copy.sql`. Tests
// substitute a PostgreSQL stand-in (PostgreSQL cannot COPY from s3://); see docs/warehouse.md.
class StagedCopyRunner {
 public:
  virtual ~StagedCopyRunner() = default;
  // Loads the staged rows into copy.table inside the open transaction on `db`.
  virtual Status Run(PostgresDb& db, const StagedCopy& copy) = 0;
};
std::shared_ptr<StagedCopyRunner> RedshiftCopyRunner();

// Appends one fact row as a line of the staged CSV (see the header comment), lineage last.
void AppendStagedFactCsv(std::string& out, const model::FactRow& fact,
                         std::string_view source_object, std::string_view source_etag,
                         std::string_view load_id);
// Appends one reject as a line of the staged CSV, in kRejectColumns order; line <= 0 is NULL.
// The text must already be storable (valid UTF-8, no NUL: ToStorableText).
void AppendStagedRejectCsv(std::string& out, std::string_view source_object,
                           std::string_view source_etag, std::string_view load_id, int64_t line,
                           std::string_view reason, std::string_view detail,
                           std::string_view transaction_id, std::string_view raw);

// One table's rows of one load on their way to S3.
class RedshiftS3Stage {
 public:
  enum class Table { kFacts, kRejects };
  // Stages under <options.prefix>/<load_id>/ as "facts-…" or "rejects-…". Nothing is uploaded
  // before the first part fills.
  RedshiftS3Stage(storage::s3::S3ObjectStore& store, const RedshiftStagingOptions& options,
                  const storage::ObjectRef& object, std::string load_id,
                  Table table = Table::kFacts);
  // Removes the local temporary file. Does not delete uploaded objects (DeleteStaged does).
  ~RedshiftS3Stage();
  RedshiftS3Stage(const RedshiftS3Stage&) = delete;
  RedshiftS3Stage& operator=(const RedshiftS3Stage&) = delete;

  // Appends a fact (a kFacts stage) or a reject (a kRejects stage); uploads a part when it is
  // full. Errors (disk, S3) are final for the stage.
  Status Add(const model::FactRow& fact);
  Status AddReject(int64_t line, std::string_view reason, std::string_view detail,
                   std::string_view transaction_id, std::string_view raw);
  // Uploads the last part and the manifest, and returns the COPY that loads them into
  // `table` (the fact staging table, or rejects). Call once.
  Result<StagedCopy> Finish(const WarehouseSql& sql, std::string_view table);
  // Deletes every object this stage uploaded (parts and manifest). Failures are logged and
  // returned; objects not deleted stay under the load's prefix.
  Status DeleteStaged();

  int64_t rows() const { return rows_; }
  const std::vector<StagedPart>& parts() const { return parts_; }
  // "<prefix>/<load_id>/": every object of this stage starts with it.
  const std::string& key_prefix() const { return key_prefix_; }

 private:
  // Counts the row just appended to csv_ (from byte `before` on); compresses and uploads as due.
  Status Appended(size_t before);
  Status Deflate(bool finish);
  Status ClosePart();

  storage::s3::S3ObjectStore& store_;
  const RedshiftStagingOptions& options_;
  const storage::ObjectRef object_;
  const std::string load_id_;
  const Table table_;
  std::string key_prefix_;
  std::vector<StagedPart> parts_;
  std::vector<std::string> uploaded_;  // keys to delete, manifest included
  struct Part;                         // the part being written (zlib stream, temp file)
  std::unique_ptr<Part> part_;
  std::string csv_;  // CSV not yet compressed
  int64_t rows_ = 0;
  Status failed_;
};

}  // namespace ecompipe::warehouse
