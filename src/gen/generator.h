// The mock data generator behind `ecompipe generate`: dimension files and daily transaction
// files in the original's format and bucket key layout, with a controlled share of faulty
// transaction rows for the job to reject.
//
// Determinism: the output is a pure function of GenerateOptions. Same options give
// byte-identical files on every platform (own integer-only random draws, no std
// distributions, no floating point in the data). Beyond that:
//   - dimension row i depends only on (seed, i), so `--customers 100` writes the first 100
//     rows of `--customers 1000`;
//   - a day's transaction file depends only on (seed, that date, rows_per_day, invalid_rate
//     and the dimension sizes), not on where the day sits in the requested range.
//
// Thread-safety: Generate() keeps no global state; concurrent calls must use different
// output folders.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ecompipe::gen {

struct GenerateOptions {
  uint64_t seed = 42;
  std::string start_date;  // "YYYY-MM-DD"; the caller fills today's date when the user gives none
  int days = 1;            // 0 writes dimension files only
  int64_t rows_per_day = 1000;
  double invalid_rate = 0.02;  // fraction of transaction rows carrying exactly one fault, in [0, 1]
  // Dimension sizes. N > 0 writes a generated file of N rows (ids C12345.., P12345..) and
  // transactions reference only those ids. 0 writes no file, and transactions reference the
  // original's dimensions (10 customers C12345-C12354, 20 products P12345-P12364, with the
  // original's prices), i.e. what tests/data/*.csv hold.
  int64_t customers = 0;
  int64_t products = 0;
  // Writes the original's 20 products / 10 customers byte for byte. Cannot be combined with
  // customers or products > 0.
  bool reference_dimensions = false;
};

struct GeneratedFile {
  std::string key;             // bucket key, '/'-separated, relative to out_dir
  std::filesystem::path path;  // out_dir / key
  int64_t rows = 0;            // data rows, header excluded
  // Transaction files: injected faults per kind, every kind of kFaultKinds present (zeros
  // included). Dimension files: empty.
  std::map<std::string, int64_t> faults;
};

// The injected fault kinds. Each equals the reject reason the job gives such a row: a faulty
// row carries exactly one fault and is valid in every other respect.
inline constexpr std::array<std::string_view, 9> kFaultKinds = {
    "unknown_customer_id",  "malformed_customer_id", "unknown_product_id",
    "malformed_product_id", "invalid_quantity",      "invalid_price",
    "invalid_date",         "wrong_field_count",     "duplicate_transaction_id",
};

// "transactions/year=2026/month=11/day=5/transaction_2026-11-05.csv": month and day are not
// zero-padded in the folder names and are in the file name, as the original writes them.
std::string TransactionKey(int year, int month, int day);

// Writes, under `out_dir` (created if missing):
//   dimensions/products/products.csv     when products > 0 or reference_dimensions
//   dimensions/customers/customers.csv   when customers > 0 or reference_dimensions
//   one TransactionKey() file per day, from start_date on
// and returns them in that order. Each file is written to a temporary dot-file beside it
// and renamed into place, so a reader or watcher never sees a half-written file; existing
// files of the same keys are replaced. Files are not fsync'ed.
// transaction_id values are unique across all days of one call (TXN + 8 digits, a seeded
// offset plus a per-date counter), except for the injected duplicate_transaction_id rows.
// Errors: kInvalidArgument for bad options (the message names the option), kIoError when a
// file cannot be written; files already renamed into place by then stay.
Result<std::vector<GeneratedFile>> Generate(const GenerateOptions& options,
                                            const std::filesystem::path& out_dir);

}  // namespace ecompipe::gen
