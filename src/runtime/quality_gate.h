// A job's quality gate (jobs[].max_reject_rate, jobs[].min_rows): what each object a run loads
// must meet for the run to succeed, as Snowflake's ON_ERROR = SKIP_FILE_<n>% or a Glue Data
// Quality ruleset. An object that breaks it stays loaded (its facts, rejects and ledger row
// committed as usual); the run ends FAILED and names the object, the threshold and the top
// reject reasons (docs/configuration.md, "The quality gate"). An object with rejects beyond the
// job's reject limits (counted, not stored: warehouse/reject_budget.h) breaks it too.
//
// The gate is checked per object, never over a run's totals: job starts coalesce, so which
// objects share a run depends on timing, and a bad file must not pass because a good one
// happened to load in the same run. Pure functions: thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "runtime/run_store.h"

namespace ecompipe::runtime {

struct QualityGate {
  double max_reject_rate = 0.5;  // most of an object's rows read that may be rejected, 0..1
  int64_t min_rows = 1;          // fewest rows an object must load; 0 turns the check off
};

// Why `object` breaks `gate`, or nullopt when it passes. Only objects with status "loaded" are
// checked (a failed object already fails its run; skipped and ignored ones loaded nothing by
// design). The text names each threshold broken with the object's value, then the top three
// reject reasons with counts (the caller adds the object's key), e.g.
//   1000 of 1000 rows rejected (100%), above max_reject_rate 0.5; 0 rows loaded, below
//   min_rows 1; top reasons: unknown_customer_id 600, unknown_product_id 400
std::optional<std::string> CheckQualityGate(const QualityGate& gate, const ObjectResult& object);

}  // namespace ecompipe::runtime
