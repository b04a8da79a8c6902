// The reference job's transform for one object: read records, validate, join with the
// dimensions, compute total_amount, classify. Streaming: the object is read in chunks and
// output is handed to the sink in batches, so memory does not grow with the object's size.
//
// Rows that fail a rule become RejectRows (the first failing rule names the reason, in the
// order documented in docs/job.md); they are data, not errors. An error Status means the
// object as a whole cannot be read (a required column is missing, the compressed stream is
// corrupt, ...); its message names the object and line. The caller then discards whatever
// the sink received.
#pragma once

#include <string>
#include <vector>

#include "catalog/schema.h"
#include "common/status.h"
#include "storage/object_store.h"
#include "transform/records.h"

namespace ecompipe::transform {

// Receives one object's output. Batches arrive in input order; the sink may move from them.
class RowSink {
 public:
  virtual ~RowSink() = default;
  virtual Status AddFacts(std::vector<FactRow>& rows) = 0;
  virtual Status AddRejects(std::vector<RejectRow>& rows) = 0;
};

struct TransformStats {
  int64_t rows_read = 0;   // records (not header), including rejected ones
  int64_t facts = 0;
  int64_t rejects = 0;     // rows_read == facts + rejects
};

// `decoded` is the object's decompressed byte stream; `schema` the crawler's (format,
// delimiter, quote, header). `object_key` is used in error messages only.
Result<TransformStats> TransformObject(storage::InputStream& decoded,
                                       const catalog::TableSchema& schema,
                                       const Dimensions& dims, const JobSpec& spec,
                                       const std::string& object_key, RowSink& sink);

// Dimension files (CSV with a header, or JSON Lines). Columns are mapped by header name,
// extra columns are ignored (the reference customers.csv has a trailing row_num); a missing
// required column, a malformed or duplicate id, or a bad price is an error naming the line.
Result<std::vector<Product>> ReadProducts(storage::InputStream& decoded,
                                          const catalog::TableSchema& schema,
                                          const std::string& object_key);
Result<std::vector<Customer>> ReadCustomers(storage::InputStream& decoded,
                                            const catalog::TableSchema& schema,
                                            const std::string& object_key);

}  // namespace ecompipe::transform
