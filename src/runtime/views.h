// The reads behind `ecompipe status`, `runs`, `events`, `rejects`, `catalog` and
// `notifications`, as JSON documents: the CLI prints them (as tables or as they are with
// --json) and the HTTP API serves them (runtime/api_service.h), so both answer from the same
// code. Numbers are JSON numbers; times are the stores' RFC 3339 UTC text.
//
// Thread-safety: as the pipeline's stores (one caller at a time per Pipeline).
#pragma once

#include <string>
#include <vector>

#include "common/json.h"
#include "common/status.h"
#include "runtime/pipeline.h"
#include "runtime/run_store.h"
#include "warehouse/warehouse.h"

namespace ecompipe::runtime::views {

// The warehouse's figures for `status` (running totals: no scan of the facts at any size). A
// warehouse that cannot answer is {"path", "error"}, never zeros. On PostgreSQL a count waits
// at most a few seconds for a lock.
Json WarehouseFigures(Pipeline& p);

// `status`: bucket, warehouse, events, last_run, notifications_pending and, when a serve process
// reports one, serve (runtime/dispatch_health.h).
Json Status(Pipeline& p);

// One run: its fields and, when it has them, its objects with their counts.
Json Run(const RunRecord& run);

}  // namespace ecompipe::runtime::views
