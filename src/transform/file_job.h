// The reference job from files to files: transactions, products and customers CSV in,
// fact.csv and rejects.csv out, on the parallel engine (internal/chunk_runner.h). It is the
// job `ecompipe job run` runs, and the one the benchmark compares with the peers
// (bench/README.md): its outputs have the peers' formats, so the peers' checker verifies them.
//
// Inputs: CSV with a header (columns mapped by name, extra columns ignored), plain, gzip or
// zstd (sniffed). Dimension rows whose id is malformed are skipped, since no valid
// transaction can join them; a record-level problem or a repeated id in a dimension file
// is an error naming the file and line.
//
// Outputs in `out_dir` (created if missing; existing files are unlinked, not truncated, and
// their space is freed on a background thread while the job runs):
//   fact.csv     transaction_id,customer_id,customer_email,product_id,product_name,
//                supplier_id,quantity,price,total_amount,transaction_date,transaction_type,
//                payment_type,status   (quantity and money normalised: "007" -> 7, 5 -> 5.00)
//   rejects.csv  the record's fields as read, in the file's column order, then
//                reject_reason; a record that is too long has its (truncated) raw text as
//                its only field
//   reasons.json {"reason": count, ...}
// Rows are written in input order, so the files are the same whatever the thread count and
// chunk size. Rules, reasons and their order: transaction_job.h.
//
// Memory: the dimensions (in a DimensionIndex) plus a few chunks per thread and the
// duplicate check's set (16 to 32 bytes per fact); not the size of the transactions file.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "transform/job_spec.h"

namespace ecompipe::transform {

struct FileJobOptions {
  std::string transactions;
  std::string products;
  std::string customers;
  std::string out_dir;
  JobSpec spec;  // bins, max_record_bytes, threads, chunk_bytes
};

struct FileJobStats {
  int64_t rows_read = 0;
  int64_t facts = 0;
  int64_t rejects = 0;                 // rows_read == facts + rejects
  std::vector<int64_t> facts_per_bin;  // one count per JobSpec bin, in order
  __int128 total_cents = 0;            // exact sum of total_amount over the facts
  std::map<std::string, int64_t> reasons;
  int64_t customers = 0;  // dimension rows kept
  int64_t products = 0;
};

// Runs the job. Errors name the file (and line): unreadable input, a missing column, a bad
// dimension file, or an output that cannot be written (outputs may then be partial).
Result<FileJobStats> RunFileJob(const FileJobOptions& options);

// "359052690.44": an exact cent count with 2 decimals.
std::string FormatCents(__int128 cents);

}  // namespace ecompipe::transform
