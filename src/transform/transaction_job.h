// The reference job's transform for one object: read records, validate, join with the
// dimensions, compute total_amount, classify. Streaming: the object is read in chunks and
// output is handed to the sink in batches, so memory hardly grows with the object's size
// (see Memory below).
//
// Rows that fail a rule become RejectRows (the first failing rule names the reason, in the
// order README.md's "What the job checks" documents); they are data, not errors. The order
// (reason:: codes):
//   record:  nul_byte, invalid_utf8, line_too_long, malformed_record, wrong_field_count
//   id:      missing_transaction_id, malformed_transaction_id (^TXN[0-9]+$)
//   the reference job's rules 1-7: malformed_customer_id, malformed_product_id,
//            invalid_quantity, invalid_price, invalid_date, unknown_customer_id,
//            unknown_product_id
//   then:    total_out_of_range (quantity x price overflows 64-bit cents), and
//            duplicate_transaction_id (an id already accepted earlier in the same object).
//
// An error Status means the object as a whole cannot be read (a required column is missing,
// the compressed stream is corrupt, ...); its message names the object and line. The caller
// then discards whatever the sink received. A stream error keeps its code and message; its
// place becomes "<object_key> line <N>" (followed by the stream's own place, if any).
//
// Memory: bounded by the chunk size and JobSpec::max_record_bytes (each chunk slot holds at
// most about chunk_bytes + 2 x max_record_bytes; a longer record is skipped as it streams, never
// buffered whole: see internal/chunk_runner.h), except for the duplicate check's set of
// accepted transaction ids: 16 to 32 bytes per accepted row.
// An empty object, or one with only a header, is not an error: 0 rows read.
//
// Parallelism: CSV and JSON Lines input is cut into chunks of about JobSpec::chunk_bytes at
// record boundaries and checked on JobSpec::threads workers (internal/chunk_runner.h); the
// sink is called on the caller's thread only, in input order, so its input is the same
// whatever the thread count and chunk size. The duplicate check runs in input order on that
// thread.
#pragma once

#include <string>
#include <vector>

#include "catalog/schema.h"
#include "common/status.h"
#include "model/records.h"
#include "storage/object_store.h"
#include "transform/dimensions.h"
#include "transform/job_spec.h"

namespace ecompipe::transform {

// Receives one object's output. Batches arrive in input order; the sink may move from them.
class RowSink {
 public:
  virtual ~RowSink() = default;
  virtual Status AddFacts(std::vector<model::FactRow>& rows) = 0;
  virtual Status AddRejects(std::vector<model::RejectRow>& rows) = 0;
};

struct TransformStats {
  int64_t rows_read = 0;  // records (not header), including rejected ones
  int64_t facts = 0;
  int64_t rejects = 0;  // rows_read == facts + rejects
};

// `decoded` is the object's decompressed byte stream; `schema` the crawler's (format,
// delimiter, quote, header). `object_key` is used in error messages only. CSV columns are
// mapped by header name (any order, extra columns ignored), or by position in the reference
// order (transaction_id, customer_id, product_id, quantity, price, transaction_date,
// payment_type, status) when schema.has_header is false; JSON Lines fields by key (a missing
// key or null is an empty field). schema.columns is not consulted.
Result<TransformStats> TransformObject(storage::InputStream& decoded,
                                       const catalog::TableSchema& schema, const Dimensions& dims,
                                       const JobSpec& spec, const std::string& object_key,
                                       RowSink& sink);

// The same job read record by record on the caller's thread (JobSpec::threads and
// chunk_bytes are ignored): the reference the parallel engine is tested against. Same
// output, batches of at most 8192 rows.
Result<TransformStats> TransformObjectSequential(storage::InputStream& decoded,
                                                 const catalog::TableSchema& schema,
                                                 const Dimensions& dims, const JobSpec& spec,
                                                 const std::string& object_key, RowSink& sink);

// Dimension files (CSV with a header, or JSON Lines). Columns are mapped by header name,
// extra columns are ignored (the reference customers.csv has a trailing row_num); a missing
// required column, a malformed or duplicate id, or a bad price is an error naming the line.
Result<std::vector<model::Product>> ReadProducts(storage::InputStream& decoded,
                                                 const catalog::TableSchema& schema,
                                                 const std::string& object_key);
Result<std::vector<model::Customer>> ReadCustomers(storage::InputStream& decoded,
                                                   const catalog::TableSchema& schema,
                                                   const std::string& object_key);

}  // namespace ecompipe::transform
