// Reject replay: rejected rows checked again against today's dimensions and job definition
// (`ecompipe rejects replay`, and the replay_rejects rule target after a dimension lands).
//
// A replay reads the selected rejects of loaded object versions (rejects of a version the
// ledger no longer holds as loaded are left alone), runs each one's raw text through its job
// again, and compares: a row that now passes becomes a fact and leaves `rejects`; a row that
// fails for another reason gets that reason (its reject row is replaced); a row that fails for
// the same reason is not touched. Each batch of one object's rows commits in one warehouse
// transaction (Warehouse::BeginReplay): the rejects it takes out, the facts and rejects they
// became, and the ledger row's counts, or none of it; so a replay killed at any moment leaves
// every row once, and running it again finishes the work. A row can never become a fact twice:
// the fact table's key refuses a transaction id that is already a fact, and such a row stays
// (or becomes) a duplicate_transaction_id reject. A second replay with nothing new to find
// changes nothing and records no run.
//
// Several workers may replay at once: a batch's transaction finds out, under the object's
// lock, when another replay took some of its rejects first (fewer removed than selected),
// rolls back and selects again.
//
// What cannot be replayed: line_too_long rejects (their raw text was cut), and a configured
// job's duplicate_transaction_id rejects made by the warehouse (their raw text is the fact's
// output values, not the input). Those stay as they are.
//
// A replay that changes something is a run of kind "replay" (runs), one per job, with the
// Glue Job State Change events of any run (runtime/run_events.h), so the default rule
// notifies its end.
//
// Thread-safety: one thread at a time (the dispatcher, or a command).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog_store.h"
#include "events/event_bus.h"
#include "runtime/config.h"
#include "runtime/job_runner.h"
#include "runtime/run_store.h"
#include "warehouse/warehouse.h"

namespace ecompipe::runtime {

struct ReplaySelection {
  std::vector<std::string> reasons;  // only these reason codes; empty: every replayable one
  std::string object;                // only this key (exact)
  std::string prefix;                // only keys starting with this
  bool dry_run = false;              // work out what would change; write nothing
};

// What a replay did (or, dry, would do).
struct ReplayOutcome {
  int64_t selected = 0;   // rejects read
  int64_t loaded = 0;     // became facts
  int64_t changed = 0;    // rejected again for another reason (their rows were replaced)
  int64_t unchanged = 0;  // rejected again for the same reason (not touched)
  int64_t objects = 0;    // object versions with a row that changed
  std::map<std::string, int64_t> still_rejected;  // reason -> rows, after the replay
  std::vector<RunRecord> runs;                    // one per job that changed something
  bool stopped = false;                           // a stop request ended it early
};

class RejectReplayer {
 public:
  struct Env {
    const PipelineConfig& config;
    warehouse::Warehouse& warehouse;
    catalog::CatalogStore& catalog;
    RunStore& runs;
    JobRunner& jobs;  // its dimension cache
    events::EventBus& bus;
    events::Origin origin;
  };
  explicit RejectReplayer(Env env) : env_(std::move(env)) {}

  // Replays the selected rejects. `stop` ends it between batches (what committed stays; the
  // run ends STOPPED). Errors are the warehouse's, the catalog's or the run store's; a run
  // begun before the error ends FAILED with it.
  Result<ReplayOutcome> Replay(const ReplaySelection& selection, const std::atomic<bool>& stop);

 private:
  Env env_;
};

}  // namespace ecompipe::runtime
