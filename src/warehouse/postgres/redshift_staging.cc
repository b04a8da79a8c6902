#include "warehouse/postgres/redshift_staging.h"

#include <spdlog/spdlog.h>
#include <zlib.h>

#include <charconv>
#include <cstdio>
#include <fstream>

#include "common/ids.h"
#include "common/json.h"
#include "model/csv_field.h"
#include "model/money.h"
#include "warehouse/postgres/fact_columns.h"

namespace ecompipe::warehouse {
namespace {

// CSV buffered before it goes through zlib.
constexpr size_t kCsvBufferBytes = 1 << 20;

// A text field: as model::AppendCsvField writes it, except that empty text is "" so that
// it never reads as NULL (PostgreSQL's CSV) and always as '' (Redshift without EMPTYASNULL).
void AppendText(std::string& out, std::string_view text) {
  if (text.empty()) {
    out += "\"\"";
    return;
  }
  model::AppendCsvField(out, text);
}

const char* TableName(RedshiftS3Stage::Table t) {
  return t == RedshiftS3Stage::Table::kFacts ? "facts" : "rejects";
}

std::string PartKey(const std::string& prefix, RedshiftS3Stage::Table table, size_t index) {
  char name[40];
  std::snprintf(name, sizeof name, "%s-%05zu.csv.gz", TableName(table), index);
  return prefix + name;
}

}  // namespace

S3CopyCredentials RedshiftStagingOptions::CopyCredentials() const {
  if (!iam_role.empty()) return S3CopyCredentials{.iam_role = iam_role};
  return S3CopyCredentials{.access_key_id = s3.credentials.access_key_id,
                           .secret_access_key = s3.credentials.secret_access_key,
                           .session_token = s3.credentials.session_token};
}

std::string RedshiftManifestJson(const std::string& bucket, std::span<const StagedPart> parts) {
  OrderedJson entries = OrderedJson::array();
  for (const StagedPart& p : parts) {
    entries.push_back({{"url", "s3://" + bucket + "/" + p.key},
                       {"mandatory", true},
                       {"meta", {{"content_length", p.bytes}}}});
  }
  return OrderedJson{{"entries", std::move(entries)}}.dump(2) + "\n";
}

namespace {

class ExecCopyRunner final : public StagedCopyRunner {
 public:
  Status Run(PostgresDb& db, const StagedCopy& copy) override { return db.Exec(copy.sql); }
};

}  // namespace

std::shared_ptr<StagedCopyRunner> RedshiftCopyRunner() {
  return std::make_shared<ExecCopyRunner>();
}

void AppendStagedFactCsv(std::string& out, const model::FactRow& f, std::string_view source_object,
                         std::string_view source_etag, std::string_view load_id) {
  struct Writer {
    std::string& o;
    void Text(std::string_view s) {
      AppendText(o, s);
      o += ',';
    }
    void Int(int32_t v) {
      AppendInt(o, v);
      o += ',';
    }
    void Money(model::Money m) {
      model::AppendMoney(o, m);
      o += ',';
    }
    void Date(std::string_view d) { Text(d); }
  } w{out};
  WriteFactJobColumns(f, w);
  AppendText(out, source_object);
  out += ',';
  if (f.line > 0) AppendInt(out, f.line);  // else empty: NULL
  out += ',';
  AppendText(out, source_etag);
  out += ',';
  AppendText(out, load_id);
  out += '\n';
}

void AppendStagedRejectCsv(std::string& out, std::string_view source_object,
                           std::string_view source_etag, std::string_view load_id, int64_t line,
                           std::string_view reason, std::string_view detail,
                           std::string_view transaction_id, std::string_view raw) {
  AppendText(out, source_object);
  out += ',';
  AppendText(out, source_etag);
  out += ',';
  AppendText(out, load_id);
  out += ',';
  if (line > 0) AppendInt(out, line);  // else empty: NULL
  for (std::string_view text : {reason, detail, transaction_id, raw}) {
    out += ',';
    AppendText(out, text);
  }
  out += '\n';
}

struct RedshiftS3Stage::Part {
  std::filesystem::path path;
  std::ofstream file;
  z_stream zs{};
  bool zs_open = false;
  size_t csv_bytes = 0;
  int64_t rows = 0;

  ~Part() {
    if (zs_open) deflateEnd(&zs);
    file.close();
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
};

RedshiftS3Stage::RedshiftS3Stage(storage::s3::S3ObjectStore& store,
                                 const RedshiftStagingOptions& options,
                                 const storage::ObjectRef& object, std::string load_id, Table table)
    : store_(store),
      options_(options),
      object_(object),
      load_id_(std::move(load_id)),
      table_(table) {
  key_prefix_ = (options_.prefix.empty() ? "" : options_.prefix + "/") + load_id_ + "/";
}

RedshiftS3Stage::~RedshiftS3Stage() = default;

Status RedshiftS3Stage::Add(const model::FactRow& fact) {
  if (!failed_.ok()) return failed_;
  const size_t before = csv_.size();
  AppendStagedFactCsv(csv_, fact, object_.key, object_.etag, load_id_);
  return Appended(before);
}

Status RedshiftS3Stage::AddReject(int64_t line, std::string_view reason, std::string_view detail,
                                  std::string_view transaction_id, std::string_view raw) {
  if (!failed_.ok()) return failed_;
  const size_t before = csv_.size();
  AppendStagedRejectCsv(csv_, object_.key, object_.etag, load_id_, line, reason, detail,
                        transaction_id, raw);
  return Appended(before);
}

Status RedshiftS3Stage::Appended(size_t before) {
  if (!part_) {
    part_ = std::make_unique<Part>();
    const std::filesystem::path dir =
        options_.tmp_dir.empty() ? std::filesystem::temp_directory_path() : options_.tmp_dir;
    part_->path = dir / ("ecompipe-stage-" + load_id_ + "-" + NewHex(4) + ".csv.gz");
    part_->file.open(part_->path, std::ios::binary | std::ios::trunc);
    if (!part_->file) return failed_ = Status::IoError("cannot create " + part_->path.string());
    // windowBits 15 + 16: a gzip member, which is what COPY's GZIP option reads. Level 1:
    // CSV still shrinks about 4x, at a fraction of the default level's CPU.
    if (deflateInit2(&part_->zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
      return failed_ = Status::Internal("zlib deflateInit2 failed");
    part_->zs_open = true;
  }
  part_->csv_bytes += csv_.size() - before;
  ++part_->rows;
  ++rows_;
  if (csv_.size() >= kCsvBufferBytes) {
    if (Status s = Deflate(false); !s.ok()) return failed_ = s;
  }
  if (part_->csv_bytes >= options_.part_bytes) {
    if (Status s = ClosePart(); !s.ok()) return failed_ = s;
  }
  return Status::Ok();
}

Status RedshiftS3Stage::Deflate(bool finish) {
  char out[64 << 10];
  part_->zs.next_in = reinterpret_cast<Bytef*>(csv_.data());
  part_->zs.avail_in = static_cast<uInt>(csv_.size());
  int rc;
  do {
    part_->zs.next_out = reinterpret_cast<Bytef*>(out);
    part_->zs.avail_out = sizeof out;
    rc = deflate(&part_->zs, finish ? Z_FINISH : Z_NO_FLUSH);
    if (rc == Z_STREAM_ERROR) return Status::Internal("zlib deflate failed");
    part_->file.write(out, static_cast<std::streamsize>(sizeof out - part_->zs.avail_out));
    if (!part_->file) return Status::IoError("cannot write " + part_->path.string());
  } while (part_->zs.avail_out == 0 || (finish && rc != Z_STREAM_END));
  csv_.clear();
  return Status::Ok();
}

Status RedshiftS3Stage::ClosePart() {
  if (!part_) return Status::Ok();
  EP_RETURN_IF_ERROR(Deflate(true));
  part_->file.close();
  if (!part_->file) return Status::IoError("cannot write " + part_->path.string());
  const std::string key = PartKey(key_prefix_, table_, parts_.size());
  // Recorded before the upload: a PUT that failed after S3 stored the object still gets deleted.
  uploaded_.push_back(key);
  EP_ASSIGN_OR_RETURN(storage::ObjectRef put, store_.Put(key, part_->path));
  parts_.push_back(StagedPart{key, put.size, part_->rows});
  part_.reset();  // removes the temporary file
  return Status::Ok();
}

Result<StagedCopy> RedshiftS3Stage::Finish(const WarehouseSql& sql, std::string_view table) {
  if (!failed_.ok()) return failed_;
  if (Status s = ClosePart(); !s.ok()) return failed_ = s;
  const std::string manifest_key = key_prefix_ + TableName(table_) + ".manifest";
  const std::filesystem::path dir =
      options_.tmp_dir.empty() ? std::filesystem::temp_directory_path() : options_.tmp_dir;
  const std::filesystem::path path =
      dir / ("ecompipe-stage-" + load_id_ + "-" + NewHex(4) + ".manifest");
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << RedshiftManifestJson(store_.bucket(), parts_);
    if (!out) return failed_ = Status::IoError("cannot write " + path.string());
  }
  uploaded_.push_back(manifest_key);
  Result<storage::ObjectRef> put = store_.Put(manifest_key, path);
  std::error_code ec;
  std::filesystem::remove(path, ec);
  if (!put.ok()) return failed_ = put.status();
  StagedCopy copy;
  copy.table = std::string(table);
  copy.columns =
      table_ == Table::kFacts ? WarehouseSql::FactColumnList() : WarehouseSql::RejectColumnList();
  copy.bucket = store_.bucket();
  copy.manifest_key = manifest_key;
  copy.sql = sql.CopyFromS3Manifest(table, copy.columns, "s3://" + copy.bucket + "/" + manifest_key,
                                    options_.CopyCredentials(), options_.s3.region);
  copy.rows = rows_;
  spdlog::info(
      "Staged rows to S3. table={} object={} load_id={} rows={} parts={} manifest=s3://{}/{}",
      TableName(table_), object_.key, load_id_, rows_, parts_.size(), copy.bucket, manifest_key);
  return copy;
}

Status RedshiftS3Stage::DeleteStaged() {
  Status first;
  for (const std::string& key : uploaded_) {
    Status s = store_.Delete(key);
    if (!s.ok()) {
      spdlog::warn(
          "Could not delete a staged object; it stays in the staging bucket. key={} error={}", key,
          s.message());
      if (first.ok()) first = s;
    }
  }
  uploaded_.clear();
  return first;
}

}  // namespace ecompipe::warehouse
