#include "catalog/catalog_store.h"

#include <filesystem>
#include <optional>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "common/enum_names.h"
#include "common/sql_db.h"
#include "common/time_util.h"

namespace ecompipe::catalog {
namespace {

// catalog_objects.status: the table's CHECK allows exactly these names.
enum class CrawlStatus { kCrawled, kFailed };
constexpr EnumNames<CrawlStatus, 2> kCrawlStatusNames{{{
    {CrawlStatus::kCrawled, "crawled"},
    {CrawlStatus::kFailed, "failed"},
}}};

// The status in column 0 of `rows`' row `r`.
std::optional<CrawlStatus> StatusIn(const SqlRows& rows, size_t r) {
  return kCrawlStatusNames.Parse(rows.Text(r, 0));
}

constexpr int kBusyTimeoutMs = 10'000;

// seen_seq orders the versions of one key: the highest is the key's current version.
constexpr std::string_view kCreateTables = R"sql(
CREATE TABLE IF NOT EXISTS catalog_tables (
  name            TEXT PRIMARY KEY,
  current_version BIGINT NOT NULL,
  created_ms      BIGINT NOT NULL,
  updated_ms      BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS catalog_schema_versions (
  table_name   TEXT NOT NULL REFERENCES catalog_tables(name),
  version      BIGINT NOT NULL,
  format       TEXT NOT NULL,
  columns_json TEXT NOT NULL,
  change_json  TEXT NOT NULL,
  object_key   TEXT NOT NULL,
  created_ms   BIGINT NOT NULL,
  PRIMARY KEY (table_name, version)
);
CREATE TABLE IF NOT EXISTS catalog_partitions (
  table_name  TEXT NOT NULL REFERENCES catalog_tables(name),
  path        TEXT NOT NULL,
  values_json TEXT NOT NULL,
  created_ms  BIGINT NOT NULL,
  PRIMARY KEY (table_name, path)
);
CREATE TABLE IF NOT EXISTS catalog_objects (
  bucket         TEXT NOT NULL,
  key            TEXT NOT NULL,
  etag           TEXT NOT NULL,
  size           BIGINT NOT NULL,
  mtime_ms       BIGINT NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('crawled', 'failed')),
  table_name     TEXT NOT NULL,
  schema_version BIGINT,
  partition_json TEXT,
  schema_json    TEXT,
  message        TEXT,
  crawled_ms     BIGINT NOT NULL,
  seen_seq       BIGINT NOT NULL,
  PRIMARY KEY (bucket, key, etag)
);
CREATE INDEX IF NOT EXISTS catalog_objects_by_key ON catalog_objects (bucket, key, seen_seq);
CREATE INDEX IF NOT EXISTS catalog_objects_by_table ON catalog_objects (table_name, key);
)sql";

// Crawled versions that are their key's current version.
constexpr std::string_view kCurrentCrawled = R"sql(
  o.status = 'crawled' AND o.seen_seq = (SELECT MAX(l.seen_seq) FROM catalog_objects l
                                          WHERE l.bucket = o.bucket AND l.key = o.key))sql";

std::string Dump(const Json& json) {
  // Replace, not throw, on invalid UTF-8: a stored catalog must never fail on a name.
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Result<Json> Load(const std::string& text, std::string_view what) {
  auto json = ParseJson(text);
  if (!json.ok()) {
    return Status::CorruptInput(
        fmt::format("catalog database: {}: {}", what, json.status().message()));
  }
  return std::move(json).value();
}

template <typename T>
Result<T> Stored(Result<T> parsed, std::string_view what) {
  if (!parsed.ok()) {
    return Status::CorruptInput(
        fmt::format("catalog database: {}: {}", what, parsed.status().message()));
  }
  return parsed;
}

// Makes (bucket, key, etag) its key's current version, unless it already is.
Status MakeCurrent(SqlDb& db, const storage::ObjectRef& object) {
  return db
      .Exec(R"sql(
      UPDATE catalog_objects
         SET seen_seq = (SELECT MAX(seen_seq) + 1 FROM catalog_objects WHERE bucket = ?1 AND key = ?2)
       WHERE bucket = ?1 AND key = ?2 AND etag = ?3
         AND seen_seq < (SELECT MAX(seen_seq) FROM catalog_objects WHERE bucket = ?1 AND key = ?2))sql",
            {object.bucket, object.key, object.etag})
      .status();
}

Result<int64_t> NextSeq(SqlDb& db, const storage::ObjectRef& object) {
  EP_ASSIGN_OR_RETURN(SqlRows rows, db.Query("SELECT COALESCE(MAX(seen_seq), 0) + 1 FROM "
                                             "catalog_objects WHERE bucket = ?1 AND key = ?2",
                                             {object.bucket, object.key}));
  if (rows.empty()) return Status::Internal("catalog: MAX() returned no row");
  return rows.Int(0, 0);
}

Status InsertVersion(SqlDb& db, const std::string& table, int version, const TableSchema& schema,
                     const SchemaChange& change, const std::string& object_key, int64_t now) {
  return db
      .Exec(
          R"sql(
      INSERT INTO catalog_schema_versions
        (table_name, version, format, columns_json, change_json, object_key, created_ms)
      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7))sql",
          {table, int64_t{version}, DataFormatName(schema.format),
           Dump(ColumnsToJson(schema.columns)), Dump(SchemaChangeToJson(change)), object_key, now})
      .status();
}

// The columns of `stmt` from `first`: bucket, key, etag, size, mtime_ms, schema_json,
// schema_version, partition_json, crawled_ms.
Result<CatalogObject> ObjectFromRow(const SqlRows& rows, size_t row, size_t first) {
  CatalogObject out;
  out.object.bucket = rows.Text(row, first);
  out.object.key = rows.Text(row, first + 1);
  out.object.etag = rows.Text(row, first + 2);
  out.object.size = static_cast<uint64_t>(rows.Int(row, first + 3));
  out.object.mtime_ms = rows.Int(row, first + 4);
  const std::string what = "object " + out.object.key;
  EP_ASSIGN_OR_RETURN(Json schema, Load(rows.Text(row, first + 5), what));
  EP_ASSIGN_OR_RETURN(out.schema, Stored(SchemaFromJson(schema), what));
  out.schema_version = static_cast<int>(rows.Int(row, first + 6));
  EP_ASSIGN_OR_RETURN(Json partition, Load(rows.Text(row, first + 7), what));
  EP_ASSIGN_OR_RETURN(out.partition, Stored(PartitionFromJson(partition), what));
  out.crawled_ms = rows.Int(row, first + 8);
  return out;
}

}  // namespace

CatalogStore::CatalogStore(PrivateTag, std::unique_ptr<SqlDb> db) : db_(std::move(db)) {}

CatalogStore::~CatalogStore() = default;

Result<std::unique_ptr<CatalogStore>> CatalogStore::Open(const std::string& location) {
  std::filesystem::path parent = std::filesystem::path(location).parent_path();
  if (!IsPostgresUrl(location) && !parent.empty() && location != ":memory:") {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      return Status::IoError(
                 fmt::format("creating the directory of the catalog database: {}", ec.message()))
          .At(parent.string());
    }
  }
  EP_ASSIGN_OR_RETURN(std::unique_ptr<SqlDb> db, OpenSqlDb(location, kBusyTimeoutMs));
  EP_RETURN_IF_ERROR(db->Transaction([&] { return db->ExecScript(kCreateTables); }));
  return std::make_unique<CatalogStore>(PrivateTag{}, std::move(db));
}

Result<CatalogUpdate> CatalogStore::RecordCrawl(const storage::ObjectRef& object,
                                                const CrawlResult& crawl) {
  if (object.bucket.empty() || object.key.empty() || crawl.table.empty()) {
    return Status::InvalidArgument("catalog: a crawl needs a bucket, a key and a table name")
        .At(object.key);
  }
  std::lock_guard lock(mu_);
  return RecordCrawlLocked(object, crawl);
}

Result<CatalogUpdate> CatalogStore::RecordCrawlLocked(const storage::ObjectRef& object,
                                                      const CrawlResult& crawl) {
  SqlDb& db = *db_;
  CatalogUpdate update;
  const int64_t now = NowMillis();
  Status status = db.Transaction([&]() -> Status {
    update = CatalogUpdate{};
    EP_ASSIGN_OR_RETURN(SqlRows existing,
                        db.Query("SELECT status, schema_version FROM catalog_objects "
                                 "WHERE bucket = ?1 AND key = ?2 AND etag = ?3",
                                 {object.bucket, object.key, object.etag}));
    if (!existing.empty() && StatusIn(existing, 0) == CrawlStatus::kCrawled) {
      update.schema_version = static_cast<int>(existing.Int(0, 1));
      return MakeCurrent(db, object);
    }

    EP_ASSIGN_OR_RETURN(
        SqlRows table,
        db.Query("SELECT current_version FROM catalog_tables WHERE name = ?1", {crawl.table}));
    if (table.empty()) {
      EP_RETURN_IF_ERROR(
          db.Exec("INSERT INTO catalog_tables (name, current_version, created_ms, updated_ms) "
                  "VALUES (?1, 1, ?2, ?2)",
                  {crawl.table, now})
              .status());
      EP_RETURN_IF_ERROR(InsertVersion(db, crawl.table, 1, crawl.schema, {}, object.key, now));
      update.table_created = true;
      update.schema_version = 1;
    } else {
      const int current = static_cast<int>(table.Int(0, 0));
      EP_ASSIGN_OR_RETURN(SqlRows columns,
                          db.Query("SELECT columns_json FROM catalog_schema_versions WHERE "
                                   "table_name = ?1 AND version = ?2",
                                   {crawl.table, int64_t{current}}));
      if (columns.empty()) {
        return Status::CorruptInput(fmt::format(
            "catalog database: table {} has no schema version {}", crawl.table, current));
      }
      const std::string what = "table " + crawl.table;
      EP_ASSIGN_OR_RETURN(Json json, Load(columns.Text(0, 0), what));
      EP_ASSIGN_OR_RETURN(std::vector<Column> before, Stored(ColumnsFromJson(json), what));
      update.schema_version = current;
      update.change = DiffSchemas(before, crawl.schema.columns);
      if (!update.change.empty()) {
        update.schema_version = current + 1;
        EP_RETURN_IF_ERROR(InsertVersion(db, crawl.table, update.schema_version, crawl.schema,
                                         update.change, object.key, now));
      }
      EP_RETURN_IF_ERROR(
          db.Exec("UPDATE catalog_tables SET current_version = ?2, updated_ms = ?3 WHERE name = ?1",
                  {crawl.table, int64_t{update.schema_version}, now})
              .status());
    }

    if (!crawl.partition.empty()) {
      EP_ASSIGN_OR_RETURN(
          int64_t added,
          db.Exec("INSERT INTO catalog_partitions (table_name, path, values_json, created_ms) "
                  "VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                  {crawl.table, PartitionPath(crawl.partition),
                   Dump(PartitionToJson(crawl.partition)), now}));
      update.partition_created = added > 0;
    }

    EP_ASSIGN_OR_RETURN(int64_t seq, NextSeq(db, object));
    EP_RETURN_IF_ERROR(
        db.Exec(
              R"sql(
        INSERT INTO catalog_objects
          (bucket, key, etag, size, mtime_ms, status, table_name, schema_version, partition_json,
           schema_json, message, crawled_ms, seen_seq)
        VALUES (?1, ?2, ?3, ?4, ?5, 'crawled', ?6, ?7, ?8, ?9, NULL, ?10, ?11)
        ON CONFLICT (bucket, key, etag) DO UPDATE SET
          size = excluded.size, mtime_ms = excluded.mtime_ms, status = 'crawled',
          table_name = excluded.table_name, schema_version = excluded.schema_version,
          partition_json = excluded.partition_json, schema_json = excluded.schema_json,
          message = NULL, crawled_ms = excluded.crawled_ms, seen_seq = excluded.seen_seq)sql",
              {object.bucket, object.key, object.etag, static_cast<int64_t>(object.size),
               object.mtime_ms, crawl.table, int64_t{update.schema_version},
               Dump(PartitionToJson(crawl.partition)), Dump(SchemaToJson(crawl.schema)), now, seq})
            .status());
    update.object_new = true;
    return Status::Ok();
  });
  if (!status.ok()) return std::move(status).At(object.key);
  return update;
}

Status CatalogStore::RecordCrawlFailure(const storage::ObjectRef& object,
                                        const std::string& message) {
  if (object.bucket.empty() || object.key.empty()) {
    return Status::InvalidArgument("catalog: a crawl failure needs a bucket and a key");
  }
  std::lock_guard lock(mu_);
  return RecordCrawlFailureLocked(object, message);
}

Status CatalogStore::RecordCrawlFailureLocked(const storage::ObjectRef& object,
                                              const std::string& message) {
  SqlDb& db = *db_;
  const int64_t now = NowMillis();
  Status status = db.Transaction([&]() -> Status {
    EP_ASSIGN_OR_RETURN(
        SqlRows existing,
        db.Query("SELECT status FROM catalog_objects WHERE bucket = ?1 AND key = ?2 AND etag = ?3",
                 {object.bucket, object.key, object.etag}));
    if (!existing.empty()) {
      if (StatusIn(existing, 0) == CrawlStatus::kFailed) {
        EP_RETURN_IF_ERROR(db.Exec("UPDATE catalog_objects SET message = ?4, crawled_ms = ?5 "
                                   "WHERE bucket = ?1 AND key = ?2 AND etag = ?3",
                                   {object.bucket, object.key, object.etag, message, now})
                               .status());
      }
      return MakeCurrent(db, object);
    }
    EP_ASSIGN_OR_RETURN(int64_t seq, NextSeq(db, object));
    return db
        .Exec(R"sql(
        INSERT INTO catalog_objects
          (bucket, key, etag, size, mtime_ms, status, table_name, message, crawled_ms, seen_seq)
        VALUES (?1, ?2, ?3, ?4, ?5, 'failed', ?6, ?7, ?8, ?9))sql",
              {object.bucket, object.key, object.etag, static_cast<int64_t>(object.size),
               object.mtime_ms, TableNameFor(object.key), message, now, seq})
        .status();
  });
  if (!status.ok()) return std::move(status).At(object.key);
  return Status::Ok();
}

Result<std::vector<CatalogObject>> CatalogStore::ListObjects(const std::string& table) {
  std::lock_guard lock(mu_);
  EP_ASSIGN_OR_RETURN(SqlRows rows, db_->Query(fmt::format(R"sql(
      SELECT o.bucket, o.key, o.etag, o.size, o.mtime_ms, o.schema_json, o.schema_version,
             o.partition_json, o.crawled_ms
        FROM catalog_objects o
       WHERE o.table_name = ?1 AND {}
       ORDER BY o.key, o.bucket)sql",
                                                           kCurrentCrawled),
                                               {table}));
  std::vector<CatalogObject> out;
  for (size_t r = 0; r < rows.size(); ++r) {
    EP_ASSIGN_OR_RETURN(CatalogObject object, ObjectFromRow(rows, r, 0));
    out.push_back(std::move(object));
  }
  return out;
}

Result<CatalogObject> CatalogStore::GetObject(const storage::ObjectRef& object) {
  std::lock_guard lock(mu_);
  EP_ASSIGN_OR_RETURN(SqlRows rows, db_->Query(R"sql(
      SELECT status, message, bucket, key, etag, size, mtime_ms, schema_json, schema_version,
             partition_json, crawled_ms
        FROM catalog_objects WHERE bucket = ?1 AND key = ?2 AND etag = ?3)sql",
                                               {object.bucket, object.key, object.etag}));
  if (rows.empty()) {
    return Status::NotFound(fmt::format("object version {} was never crawled", object.etag))
        .At(object.key);
  }
  if (StatusIn(rows, 0) != CrawlStatus::kCrawled) {
    return Status::NotFound(
               fmt::format("crawling object version {} failed: {}", object.etag, rows.Text(0, 1)))
        .At(object.key);
  }
  return ObjectFromRow(rows, 0, 2);
}

Result<bool> CatalogStore::CrawlFailed(const storage::ObjectRef& object) {
  std::lock_guard lock(mu_);
  EP_ASSIGN_OR_RETURN(
      SqlRows rows,
      db_->Query("SELECT status FROM catalog_objects WHERE bucket = ?1 AND key = ?2 AND etag = ?3",
                 {object.bucket, object.key, object.etag}));
  return !rows.empty() && StatusIn(rows, 0) == CrawlStatus::kFailed;
}

Result<std::vector<Column>> CatalogStore::TableColumns(const std::string& table) {
  std::lock_guard lock(mu_);
  EP_ASSIGN_OR_RETURN(SqlRows rows, db_->Query(R"sql(
      SELECT v.columns_json
        FROM catalog_tables t
        JOIN catalog_schema_versions v ON v.table_name = t.name AND v.version = t.current_version
       WHERE t.name = ?1)sql",
                                               {table}));
  if (rows.empty()) return std::vector<Column>();
  const std::string what = "table " + table;
  EP_ASSIGN_OR_RETURN(Json columns, Load(rows.Text(0, 0), what));
  return Stored(ColumnsFromJson(columns), what);
}

Result<std::vector<TableInfo>> CatalogStore::ListTables() {
  std::lock_guard lock(mu_);
  EP_ASSIGN_OR_RETURN(SqlRows rows, db_->Query(fmt::format(R"sql(
      SELECT t.name, t.current_version, v.format, v.columns_json, t.created_ms, t.updated_ms,
             (SELECT COUNT(*) FROM catalog_partitions p WHERE p.table_name = t.name),
             (SELECT COUNT(*) FROM catalog_objects o WHERE o.table_name = t.name AND {})
        FROM catalog_tables t
        JOIN catalog_schema_versions v ON v.table_name = t.name AND v.version = t.current_version
       ORDER BY t.name)sql",
                                                           kCurrentCrawled)));
  std::vector<TableInfo> out;
  for (size_t r = 0; r < rows.size(); ++r) {
    TableInfo info;
    info.name = rows.Text(r, 0);
    info.schema_version = static_cast<int>(rows.Int(r, 1));
    const std::string what = "table " + info.name;
    std::optional<DataFormat> format = ParseDataFormat(rows.Text(r, 2));
    if (!format) return Status::CorruptInput("catalog database: " + what + ": unknown format");
    info.format = *format;
    EP_ASSIGN_OR_RETURN(Json columns, Load(rows.Text(r, 3), what));
    EP_ASSIGN_OR_RETURN(info.columns, Stored(ColumnsFromJson(columns), what));
    info.created_ms = rows.Int(r, 4);
    info.updated_ms = rows.Int(r, 5);
    info.partition_count = rows.Int(r, 6);
    info.object_count = rows.Int(r, 7);
    out.push_back(std::move(info));
  }
  return out;
}

Result<std::vector<SchemaVersionInfo>> CatalogStore::SchemaHistory(const std::string& table) {
  std::lock_guard lock(mu_);
  EP_ASSIGN_OR_RETURN(SqlRows rows, db_->Query(R"sql(
      SELECT version, format, columns_json, change_json, object_key, created_ms
        FROM catalog_schema_versions WHERE table_name = ?1 ORDER BY version)sql",
                                               {table}));
  std::vector<SchemaVersionInfo> out;
  const std::string what = "table " + table;
  for (size_t r = 0; r < rows.size(); ++r) {
    SchemaVersionInfo info;
    info.version = static_cast<int>(rows.Int(r, 0));
    std::optional<DataFormat> format = ParseDataFormat(rows.Text(r, 1));
    if (!format) return Status::CorruptInput("catalog database: " + what + ": unknown format");
    info.format = *format;
    EP_ASSIGN_OR_RETURN(Json columns, Load(rows.Text(r, 2), what));
    EP_ASSIGN_OR_RETURN(info.columns, Stored(ColumnsFromJson(columns), what));
    EP_ASSIGN_OR_RETURN(Json change, Load(rows.Text(r, 3), what));
    EP_ASSIGN_OR_RETURN(info.change, Stored(SchemaChangeFromJson(change), what));
    info.object_key = rows.Text(r, 4);
    info.created_ms = rows.Int(r, 5);
    out.push_back(std::move(info));
  }
  if (out.empty()) return Status::NotFound(fmt::format("catalog: no table named '{}'", table));
  return out;
}

}  // namespace ecompipe::catalog
