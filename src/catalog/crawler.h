// The crawler: what AWS Glue's crawler does for one object. It reads a bounded sample of the
// object's decoded bytes, infers the format (CSV or JSON Lines), the CSV dialect and the
// columns with their types, and derives the catalog table and Hive-style partition from the
// key. It never reads more than kSampleBytes of an object, however large the object is.
//
// The inference works on bytes (InferSchema) so that it can be tested and reused without a
// store; CrawlObject is the object-level wrapper.
//
// Thread-safety: all functions are pure or only read from the store; safe from any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/schema.h"
#include "common/status.h"
#include "storage/object_store.h"

namespace ecompipe::catalog {

// Decoded bytes read from an object to infer its schema.
inline constexpr size_t kSampleBytes = size_t{1} << 20;
// Data rows (or JSON lines) whose values decide the column types.
inline constexpr size_t kMaxSampleRows = 1000;

struct CrawlResult {
  std::string table;          // TableNameFor(key)
  TableSchema schema;         // schema.compression is the object's
  PartitionValues partition;  // ParsePartitions(key)
};

// Whether a CSV object's first row is a header, as Glue's CSV classifier's ContainsHeader
// (UNKNOWN, PRESENT, ABSENT): detected from the sample, or told.
enum class HeaderMode { kDetect, kPresent, kAbsent };
std::string_view HeaderModeName(HeaderMode mode);                  // "detect", "present", "absent"
std::optional<HeaderMode> ParseHeaderMode(std::string_view name);  // exact; nullopt otherwise

// What the crawler knows about an object's table besides the object's bytes. Empty hints
// (the default) infer from the bytes alone.
struct CrawlHints {
  HeaderMode header = HeaderMode::kDetect;
  // The catalog table's current columns, in the table's order ({} for a new table).
  std::vector<std::string> table_columns;
  // The input columns of each job that loads the table, each in the job's order.
  std::vector<std::vector<std::string>> job_columns;
};

// Infers the schema of `decoded_sample`: the first bytes of an object after decompression, or
// all of them when `sample_is_whole_object`. When it is not the whole object, the sample's last
// line may be cut and is ignored.
//
// Format: JSON Lines when the first non-blank line starts with '{' (columns: the top-level keys
// in order of first appearance; lines that are not JSON objects are bad lines and ignored, but
// when they are the majority, as in pretty-printed JSON, it is an error); otherwise CSV. For CSV
// the delimiter is the one of , ; TAB | that splits the sample's rows (quotes respected) into the
// same number of fields, two or more, for a majority of rows; rows with another field count are
// bad rows and ignored. A sample whose rows never split is one column. The quote is '"'.
//
// Header (CSV): with hints.header kPresent the first row is the header, with kAbsent it is
// data. With kDetect (the default) the first row is a header when
//   - it names the table's known columns (hints.table_columns and hints.job_columns): its
//     non-empty names are distinct and not typed values, and more than half of them are known
//     names, compared trimmed and ASCII case-insensitively, in any order. This holds whatever
//     the data rows' types are, so a file whose every row has a bad value (all columns strings)
//     still has its header; or else
//   - Glue's rule: its fields are distinct names that are not typed values (a name may be empty
//     over a column without values, as a trailing delimiter makes) and, unless it is the only
//     row, some column of the later rows holds typed values (when every column is a string, a
//     header cannot be told from data without known names, so there is none).
// Header names are trimmed (a UTF-8 byte order mark is dropped, quotes are CSV quotes); a name
// the table knows in another case is recorded with the table's spelling; an empty name is
// col<i>. Without a header, columns are named by position after the table's current columns
// when the object has as many, else after a job's columns of that count, else col0, col1, ...;
// so a headerless object never renames the table's columns.
//
// Types, from up to kMaxSampleRows rows: bigint, decimal, date (YYYY-MM-DD), timestamp,
// boolean (true/false), else string (see ClassifyValue). In CSV, values that fit no type are
// outliers (bad rows for the job to reject) while they are at most 5% of a column's values. Empty
// values (and JSON nulls) do not decide a type; a column of bigints and decimals is decimal, of
// dates and timestamps is timestamp; any other mix is string, and so is a column with no value at
// all.
//
// Errors (kCorruptInput, without a place: the caller names the object): an empty object, only
// blank lines, binary content (over 10% NUL, control or invalid bytes, a known binary file
// signature), UTF-16, a majority of lines with invalid UTF-8 (a few bad lines are left to the
// job, which rejects those rows), a first line longer than the sample, no consistent delimiter,
// JSON Lines that are mostly not JSON objects, a JSON array document.
Result<TableSchema> InferSchema(std::string_view decoded_sample, bool sample_is_whole_object,
                                const CrawlHints& hints = {});

// The type a single value would give its column; nullopt for an empty value. `value` is
// trimmed of spaces and tabs first. Integers and the integer part of decimals with leading
// zeros ("007") are strings, since they are usually codes whose zeros matter; so are exponent
// forms ("1e5") and numbers beyond bigint or DECIMAL(38).
std::optional<ColumnType> ClassifyValue(std::string_view value);

// Hive-style partition values from the key's directory segments of the form name=value, in key
// order: "transactions/year=2026/month=11/day=26/x.csv" -> {{"year","2026"},{"month","11"},
// {"day","26"}}. Values are kept as written (not unpadded, not percent-decoded); a value may
// itself contain '='. The file name (the last segment) is never a partition, nor is a segment
// with an empty name ("=x").
PartitionValues ParsePartitions(const std::string& key);

// The catalog table an object belongs to: its directory segments before the first partition
// segment, joined with '_', as written:
//   "transactions/year=2026/month=11/day=26/x.csv" -> "transactions"
//   "dimensions/products/products.csv"            -> "dimensions_products"
// An object directly at the root is its own table, named by its file name up to the first '.'
// ("products.csv" -> "products"); "default" when that is empty, and for partitioned objects
// with no directory before the partitions ("year=2026/x.csv").
std::string TableNameFor(const std::string& key);

// Crawls one object: opens it, decodes it (storage::OpenDecoded; sets schema.compression), reads
// up to kSampleBytes of decoded bytes and infers the schema; table and partition come from the
// key; `hints` as for InferSchema. Every error is placed at the object's key and keeps its
// code (a retryable storage error stays retryable): a read error, a corrupt or truncated
// compressed stream within the sample, or an InferSchema error.
// (Defined in crawl_object.cc, apart from the byte-level inference.)
Result<CrawlResult> CrawlObject(const storage::ObjectStore& store, const storage::ObjectRef& object,
                                const CrawlHints& hints = {});

}  // namespace ecompipe::catalog
