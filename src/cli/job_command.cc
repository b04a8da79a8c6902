#include "cli/job_command.h"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <thread>

#include "transform/file_job.h"

namespace ecompipe::cli {

namespace {

struct JobRunArgs {
  transform::FileJobOptions options;
  int threads = 0;
  size_t chunk_bytes = 1 << 20;
};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

int RunJob(JobRunArgs& args) {
  const auto start = std::chrono::steady_clock::now();
  args.options.spec.threads = args.threads;
  args.options.spec.chunk_bytes = args.chunk_bytes;
  Result<transform::FileJobStats> stats = transform::RunFileJob(args.options);
  if (!stats.ok()) {
    std::cerr << "ecompipe: error: " << stats.status().ToString() << "\n";
    return 1;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const int threads = args.threads > 0
                          ? args.threads
                          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  // One JSON line, as the benchmark's peers print it (bench/README.md).
  std::string line = "{\"peer\": \"ecompipe\", \"rows_in\": " + std::to_string(stats->rows_read) +
                     ", \"fact_rows\": " + std::to_string(stats->facts) +
                     ", \"reject_rows\": " + std::to_string(stats->rejects) +
                     ", \"sum_total_amount\": " + transform::FormatCents(stats->total_cents);
  for (size_t b = 0; b < args.options.spec.bins.size(); ++b) {
    line += ", \"" + Lower(args.options.spec.bins[b].label) +
            "\": " + std::to_string(stats->facts_per_bin[b]);
  }
  char secs[32];
  std::snprintf(secs, sizeof(secs), "%.3f", seconds);
  line += ", \"seconds\": " + std::string(secs) + ", \"threads\": " + std::to_string(threads) + "}";
  std::cout << line << std::endl;
  return 0;
}

}  // namespace

void AddJobCommand(CLI::App& app, std::function<int()>& action) {
  auto args = std::make_shared<JobRunArgs>();
  auto* job = app.add_subcommand("job", "Run the job outside a pipeline");
  job->require_subcommand(1);
  auto* run = job->add_subcommand(
      "run",
      "The reference job from CSV files to DIR/fact.csv, DIR/rejects.csv and DIR/reasons.json;\n"
      "prints one JSON line of figures (plain, gzip or zstd inputs)");
  run->add_option("--transactions", args->options.transactions, "Transactions CSV")->required();
  run->add_option("--products", args->options.products, "Products CSV")->required();
  run->add_option("--customers", args->options.customers, "Customers CSV")->required();
  run->add_option("--out", args->options.out_dir, "Output folder (created if missing)")->required();
  run->add_option("--threads", args->threads, "Worker threads (0: one per core)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1024));
  run->add_option("--chunk-bytes", args->chunk_bytes, "Bytes of input per unit of parallel work")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{1} << 30));
  run->callback([args, &action] { action = [args] { return RunJob(*args); }; });
}

}  // namespace ecompipe::cli
