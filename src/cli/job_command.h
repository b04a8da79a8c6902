// `ecompipe job run`: the reference job from CSV files to CSV files (transform/file_job.h),
// without a pipeline folder, for batch use and for the benchmark (bench/run.sh).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace ecompipe::cli {

// Adds the `job` command and its `run` subcommand to `app`. When `job run` is parsed,
// `action` is set to a function that runs it and returns the exit code (0 ok, 1 error);
// the caller invokes it after parsing (and after setting up logging).
void AddJobCommand(CLI::App& app, std::function<int()>& action);

}  // namespace ecompipe::cli
