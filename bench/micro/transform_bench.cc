// Micro-benchmarks of the job's hot parts: the CSV reader, the dimension lookup, exact
// decimal parsing/arithmetic/formatting, and one chunk of the whole CSV job. Figures only.
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "model/money.h"
#include "transform/csv_reader.h"
#include "transform/dimension_index.h"
#include "transform/internal/csv_out.h"
#include "transform/rules.h"

namespace ecompipe::transform {
namespace {

using model::AppendMoney;
using model::CheckedMultiply;
using model::Customer;
using model::Money;
using model::ParseMoney;

// gen.py-like transaction rows (about 66 bytes each).
std::string TransactionsText(int rows, bool quoted) {
  std::mt19937_64 rng(42);
  std::string text;
  for (int i = 1; i <= rows; ++i) {
    text += "TXN" + std::to_string(10000000 + i) + ",C0" + std::to_string(100000 + rng() % 900000) +
            ",P0" + std::to_string(1000 + rng() % 9000) + "," + std::to_string(1 + rng() % 9) +
            "," + std::to_string(rng() % 500) + "." + std::to_string(10 + rng() % 90) +
            ",2024-03-1" + std::to_string(rng() % 10) + "," +
            (quoted && i % 10 == 0 ? "\"Card, Debit\"" : "Credit Card") + ",Completed\n";
  }
  return text;
}

void BM_CsvReader(benchmark::State& state) {
  const std::string text = TransactionsText(100000, state.range(0) != 0);
  for (auto _ : state) {
    CsvReader reader(std::string_view(text), CsvOptions{});
    size_t fields = 0;
    while (true) {
      Result<const Record*> r = reader.Next();
      if (!r.ok() || *r == nullptr) break;
      fields += (*r)->fields.size();
    }
    benchmark::DoNotOptimize(fields);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.SetItemsProcessed(state.iterations() * 100000);
}
BENCHMARK(BM_CsvReader)->Arg(0)->Arg(1)->ArgName("quoted");

DimensionIndex Customers(int n) {
  DimensionIndex index;
  for (int i = 1; i <= n; ++i) {
    char id[16];
    std::snprintf(id, sizeof(id), "C%07d", i);
    index.AddCustomer(id, "user" + std::to_string(i) + "@example.com");
  }
  (void)index.Seal();
  return index;
}

std::vector<std::string> RandomIds(int n, int count) {
  std::mt19937_64 rng(7);
  std::vector<std::string> ids;
  for (int i = 0; i < count; ++i) {
    char id[16];
    std::snprintf(id, sizeof(id), "C%07d",
                  static_cast<int>(1 + rng() % static_cast<uint64_t>(n + n / 50)));
    ids.emplace_back(id);
  }
  return ids;
}

void BM_DimensionIndexLookup(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const DimensionIndex index = Customers(n);
  const std::vector<std::string> ids = RandomIds(n, 1 << 16);
  size_t i = 0;
  for (auto _ : state) {
    const std::optional<uint32_t> row = index.FindCustomer(ids[i++ & (ids.size() - 1)]);
    if (row) benchmark::DoNotOptimize(index.email(*row).size());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DimensionIndexLookup)->Arg(10000)->Arg(1000000);

void BM_UnorderedMapLookup(benchmark::State& state) {  // the previous layout, for comparison
  const int n = static_cast<int>(state.range(0));
  std::unordered_map<std::string, Customer> map;
  for (int i = 1; i <= n; ++i) {
    char id[16];
    std::snprintf(id, sizeof(id), "C%07d", i);
    map[id] = Customer{id, "F", "L", "user" + std::to_string(i) + "@example.com", "Gold"};
  }
  const std::vector<std::string> ids = RandomIds(n, 1 << 16);
  size_t i = 0;
  for (auto _ : state) {
    const auto it = map.find(ids[i++ & (ids.size() - 1)]);
    if (it != map.end()) benchmark::DoNotOptimize(it->second.email.size());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_UnorderedMapLookup)->Arg(10000)->Arg(1000000);

void BM_DimensionIndexBuild(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(Customers(static_cast<int>(state.range(0))));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_DimensionIndexBuild)->Arg(1000000)->Unit(benchmark::kMillisecond);

void BM_MoneyParseMultiplyFormat(benchmark::State& state) {
  const std::vector<std::string> prices = {"392.85", "2.96", "100", "0.5", "499.99", "12.34"};
  std::string out;
  size_t i = 0;
  for (auto _ : state) {
    const std::optional<Money> price = ParseMoney(prices[i % prices.size()]);
    const std::optional<int32_t> quantity = ParseQuantity("7");
    const std::optional<Money> total = CheckedMultiply(*price, *quantity);
    out.clear();
    AppendMoney(out, *total);
    benchmark::DoNotOptimize(out.data());
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MoneyParseMultiplyFormat);

// One fact.csv line of gen.py-like fields written with the file job's field writers
// (internal/csv_out.h): inline fixed-size moves instead of a memcpy call per field.
void BM_CsvOutFactLine(benchmark::State& state) {
  const std::vector<std::string> emails = {"sarah.martin1@example.com",
                                           "jennifer.haddad123456@example.com",
                                           "li.wu77@example.com", "robert.smith121@example.com"};
  internal::OutBuffer out;
  size_t i = 0;
  for (auto _ : state) {
    if (out.size() > (1 << 20)) out.clear();
    char* p = out.Reserve(256);
    p = internal::PutBytes(p, "TXN00000001");
    *p++ = ',';
    p = internal::PutBytes(p, "C0000092");
    *p++ = ',';
    p = internal::PutBytes(p, emails[i++ & 3]);
    *p++ = ',';
    p = internal::PutCsvField(p, "Smart Watch, Silver");
    *p++ = ',';
    p = internal::PutMoney(p, Money{static_cast<int64_t>(i % 100000)});
    *p++ = ',';
    p = internal::PutCsvField(p, "Credit Card");
    *p++ = '\n';
    out.Commit(p);
  }
  benchmark::DoNotOptimize(out.view().data());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CsvOutFactLine);

void BM_ValidDate(benchmark::State& state) {
  const std::vector<std::string> dates = {"2024-02-29", "2023-02-29", "2022-12-19", "2024/01/15"};
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(IsValidDate(dates[i++ & 3]));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ValidDate);

}  // namespace
}  // namespace ecompipe::transform
