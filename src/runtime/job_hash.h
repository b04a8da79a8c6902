// The hash of a job's definition: what the load ledger records for each object a job loaded
// (LoadTransaction::SetJobHash), so that `ecompipe objects --stale` can name the objects an
// older definition loaded and `ecompipe reload --stale` can load them again.
//
// The hash covers everything that decides which rows a job makes of an object: the table, the
// input columns, the validations, lookups, derived columns, classification bins and output
// columns, the record size limit and schema_change. It leaves out what does not change the
// rows: the job's name, threads and chunk size, on_reload and on_delete, the quality gate and
// the reject storage limits. Two definitions that differ only in YAML layout or comments hash
// the same, since the hash is of the parsed values. A semantic field added to JobSpec or
// JobConfig must be added here too (job_hash_test.cc names each field it covers).
#pragma once

#include <string>

#include "runtime/config.h"

namespace ecompipe::runtime {

// 64 hex digits (SHA-256 of a canonical text of the values above).
std::string JobHash(const JobConfig& job);

// The first 12 hex digits, as `ecompipe objects` shows a hash.
inline std::string ShortJobHash(const std::string& hash) { return hash.substr(0, 12); }

}  // namespace ecompipe::runtime
