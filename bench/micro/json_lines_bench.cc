// The streaming job on JSON Lines input: the sequential reader against the chunk engine at
// 1 and 2 threads, and the same rows as CSV for comparison. Wall time, and the CPU time of
// all threads (on a loaded machine the wall time mostly measures the scheduler). Figures only.
#include <benchmark/benchmark.h>

#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "transform/dimension_index.h"
#include "transform/transaction_job.h"

namespace ecompipe::transform {
namespace {

using model::Customer;
using model::FactRow;
using model::Money;
using model::Product;
using model::RejectRow;

constexpr int kRows = 200000;

// Serves bytes in memory in 64 KiB reads, as a decoded object would arrive.
class MemoryStream final : public storage::InputStream {
 public:
  explicit MemoryStream(const std::string& data) : data_(data) {}
  Result<size_t> Read(char* buffer, size_t capacity) override {
    const size_t n = std::min({capacity, size_t{64} << 10, data_.size() - pos_});
    std::memcpy(buffer, data_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  const std::string& data_;
  size_t pos_ = 0;
};

class CountingSink final : public RowSink {
 public:
  Status AddFacts(std::vector<FactRow>& rows) override {
    facts += static_cast<int64_t>(rows.size());
    return Status::Ok();
  }
  Status AddRejects(std::vector<RejectRow>& rows) override {
    rejects += static_cast<int64_t>(rows.size());
    return Status::Ok();
  }
  int64_t facts = 0, rejects = 0;
};

const Dimensions& Dims() {
  static const Dimensions* dims = [] {
    auto* d = new Dimensions;
    for (int i = 1; i <= 10000; ++i) {
      const std::string id = "C" + std::to_string(i);
      d->customers[id] =
          Customer{id, "F", "L", "user" + std::to_string(i) + "@example.com", "Gold"};
    }
    for (int i = 1; i <= 1000; ++i) {
      const std::string id = "P" + std::to_string(i);
      d->products[id] = Product{id, "Product " + std::to_string(i), "Cat", Money{999}, "S1"};
    }
    d->index = std::make_shared<const DimensionIndex>(DimensionIndex::Build(*d));  // as loaded
    return d;
  }();
  return *dims;
}

// The same rows as JSON Lines (about 190 bytes each) or CSV (about 75 bytes each).
const std::string& Transactions(bool json) {
  static const std::string* text[2] = {nullptr, nullptr};
  if (text[json] != nullptr) return *text[json];
  std::mt19937_64 rng(42);
  auto* out = new std::string;
  if (!json)
    *out =
        "transaction_id,customer_id,product_id,quantity,price,transaction_date,"
        "payment_type,status\n";
  for (int i = 1; i <= kRows; ++i) {
    const std::string c = "C" + std::to_string(1 + rng() % 10000);
    const std::string p = "P" + std::to_string(1 + rng() % 1000);
    const std::string q = std::to_string(1 + rng() % 9);
    const std::string price = std::to_string(rng() % 500) + "." + std::to_string(10 + rng() % 90);
    const std::string d = "2024-03-1" + std::to_string(rng() % 10);
    if (json) {
      *out += "{\"transaction_id\":\"TXN" + std::to_string(i) + "\",\"customer_id\":\"" + c +
              "\",\"product_id\":\"" + p + "\",\"quantity\":" + q + ",\"price\":" + price +
              ",\"transaction_date\":\"" + d +
              "\",\"payment_type\":\"Credit Card\",\"status\":\"Completed\"}\n";
    } else {
      *out += "TXN" + std::to_string(i) + "," + c + "," + p + "," + q + "," + price + "," + d +
              ",Credit Card,Completed\n";
    }
  }
  text[json] = out;
  return *out;
}

// Arg: 0 = sequential (TransformObjectSequential), else the engine's thread count.
void RunJob(benchmark::State& state, bool json) {
  const std::string& text = Transactions(json);
  catalog::TableSchema schema;
  if (json) schema.format = catalog::DataFormat::kJsonLines;
  JobSpec spec;
  spec.threads = static_cast<int>(state.range(0));
  for (auto _ : state) {
    MemoryStream in(text);
    CountingSink sink;
    Result<TransformStats> stats =
        spec.threads == 0 ? TransformObjectSequential(in, schema, Dims(), spec, "x", sink)
                          : TransformObject(in, schema, Dims(), spec, "x", sink);
    if (!stats.ok() || stats->facts != kRows) state.SkipWithError("unexpected result");
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.SetItemsProcessed(state.iterations() * kRows);
}

void BM_JsonLinesJob(benchmark::State& state) { RunJob(state, true); }
BENCHMARK(BM_JsonLinesJob)
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->ArgName("threads")
    ->MeasureProcessCPUTime()
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void BM_CsvJob(benchmark::State& state) { RunJob(state, false); }
BENCHMARK(BM_CsvJob)
    ->Arg(0)
    ->Arg(2)
    ->ArgName("threads")
    ->MeasureProcessCPUTime()
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace ecompipe::transform
