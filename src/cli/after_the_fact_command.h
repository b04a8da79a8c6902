// The commands that act on data after it was loaded (docs/after-the-fact.md):
//   ecompipe rejects replay [--reason R]... [--object KEY | --prefix P] [--dry-run]
//   ecompipe reload [KEY... | --prefix P | --partition year=2026/month=11 | --stale] [--dry-run]
//   ecompipe retry [KEY...]
//   ecompipe objects [--stale] [--failed] [--prefix P]
// Each calls the runtime's function for it (runtime/reject_replay.h, runtime/object_reload.h,
// runtime/object_ledger.h), the same ones the rule targets and the HTTP API call.
#pragma once

#include <CLI/CLI.hpp>

#include <atomic>
#include <functional>
#include <memory>

#include "cli/table_printer.h"
#include "common/status.h"
#include "runtime/pipeline.h"

namespace ecompipe::cli {

// How the commands reach the pipeline: `open` opens it to read (objects); `drive` opens it
// with the pipeline lock held (SQLite) and SIGINT/SIGTERM turned into the stop flag, runs the
// function, and returns the exit code (0 when it succeeded). Actions that change data run the
// pipeline's dispatch afterwards, so their events are notified before the command returns.
struct PipelineAccess {
  std::function<Result<std::unique_ptr<runtime::Pipeline>>()> open;
  std::function<int(const std::function<Status(runtime::Pipeline&, const std::atomic<bool>&)>&)>
      drive;
  std::function<OutputFormat()> format;
  std::function<bool()> wide;
};

// Adds `replay` under the `rejects` command, and `reload`, `retry` and `objects` to `app`;
// returns the commands that print rows (the caller adds the output options to them). When one
// is parsed, `action` is set to a function that runs it and returns the exit code.
std::vector<CLI::App*> AddAfterTheFactCommands(CLI::App& app, CLI::App& rejects,
                                               PipelineAccess access, std::function<int()>& action);

}  // namespace ecompipe::cli
