// The Data Catalog: tables, their schema versions and partitions, and every crawled object
// version, kept in the state store's SQLite database (tables prefixed catalog_).
//
// A table is created by the first object crawled into it (schema version 1). Each later object
// whose columns differ from the table's current version (DiffSchemas: a column added, removed or
// retyped) adds the next version, even when it matches an older one. Column order, format,
// compression and CSV dialect do not make versions: they are per object, and every object
// version keeps the full TableSchema it was crawled with, which is what the job reads it with.
//
// The store lives in the state database: an SQLite file or PostgreSQL (see common/sql_db.h).
//
// Objects are versions (bucket, key, ETag). For each key, the version recorded last is the
// key's current one; ListObjects lists only current versions that crawled successfully (so an
// object overwritten with unreadable content drops out until it is fixed).
//
// Several processes and connections share the database: every write is one transaction that
// has the state store to itself (SQLite: BEGIN IMMEDIATE with a 10 s busy timeout; PostgreSQL:
// an advisory lock). A busy database after the timeout gives kUnavailable (retryable).
//
// Thread-safety: a CatalogStore may be shared between threads (calls are serialised).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "catalog/crawler.h"
#include "catalog/schema.h"
#include "catalog/schema_json.h"
#include "common/status.h"
#include "storage/object_store.h"

namespace ecompipe {
class SqlDb;
}

namespace ecompipe::catalog {

// What RecordCrawl changed.
struct CatalogUpdate {
  bool table_created = false;
  int schema_version = 0;  // the version the object was recorded with
  SchemaChange change;     // from the previous version, when this crawl added a version
  bool partition_created = false;
  bool object_new = false;  // false when this object version had already been crawled
};

struct CatalogObject {
  storage::ObjectRef object;
  TableSchema schema;  // as crawled: format, compression, dialect, columns
  int schema_version = 0;
  PartitionValues partition;
  int64_t crawled_ms = 0;
};

struct TableInfo {
  std::string name;
  int schema_version = 0;                // the current one
  std::vector<Column> columns;           // of the current version
  DataFormat format = DataFormat::kCsv;  // of the object that made the current version
  int64_t object_count = 0;              // keys whose current version crawled successfully
  int64_t partition_count = 0;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;  // the last crawl recorded into the table
};

struct SchemaVersionInfo {
  int version = 0;
  std::vector<Column> columns;
  DataFormat format = DataFormat::kCsv;
  SchemaChange change;     // from the previous version; empty for version 1
  std::string object_key;  // the object whose crawl made this version
  int64_t created_ms = 0;
};

class CatalogStore {
 private:
  struct PrivateTag {
    explicit PrivateTag() = default;
  };

 public:
  // Opens the state database at `location` (an SQLite file path, its directory created if
  // needed, or a PostgreSQL URL) and creates the catalog_ tables if they are missing.
  static Result<std::unique_ptr<CatalogStore>> Open(const std::string& location);
  CatalogStore(PrivateTag, std::unique_ptr<SqlDb> db);  // use Open()
  ~CatalogStore();
  CatalogStore(const CatalogStore&) = delete;
  CatalogStore& operator=(const CatalogStore&) = delete;

  // Records a successful crawl of `object` into `crawl.table`, in one transaction: the table
  // (if new), a new schema version (if the columns changed), the partition (if new) and the
  // object version, which becomes its key's current one. Recording the same (bucket, key, ETag)
  // again changes nothing but makes it current again, and reports object_new = false with the
  // version it was first recorded with. A version earlier recorded as failed is replaced.
  Result<CatalogUpdate> RecordCrawl(const storage::ObjectRef& object, const CrawlResult& crawl);

  // Records that crawling `object` failed with `message`; it becomes its key's current version,
  // so the key leaves ListObjects. A version that already crawled successfully stays so (the
  // same bytes crawled fine once, so the failure was not about them): it only becomes current.
  Status RecordCrawlFailure(const storage::ObjectRef& object, const std::string& message);

  // The current, successfully crawled object versions of `table`, in key order (bytewise);
  // empty for an unknown table.
  Result<std::vector<CatalogObject>> ListObjects(const std::string& table);

  // One object version, if it crawled successfully; kNotFound otherwise (the message says
  // whether it failed, and why).
  Result<CatalogObject> GetObject(const storage::ObjectRef& object);
  // True when this object version was crawled and the crawl failed (no run will load it).
  Result<bool> CrawlFailed(const storage::ObjectRef& object);

  // The columns of `table`'s current schema version, in the table's order; empty for an
  // unknown table. What the crawler names a headerless object's columns after (CrawlHints).
  Result<std::vector<Column>> TableColumns(const std::string& table);

  // Every table, by name.
  Result<std::vector<TableInfo>> ListTables();

  // The versions of `table`, oldest first; kNotFound for an unknown table.
  Result<std::vector<SchemaVersionInfo>> SchemaHistory(const std::string& table);

 private:
  Result<CatalogUpdate> RecordCrawlLocked(const storage::ObjectRef& object,
                                          const CrawlResult& crawl);
  Status RecordCrawlFailureLocked(const storage::ObjectRef& object, const std::string& message);

  std::mutex mu_;
  std::unique_ptr<SqlDb> db_;
};

}  // namespace ecompipe::catalog
