// Benchmarks of CSV input and output and of the synthetic customer generator.
//
// A customer table from churn::data::make_customers (seed 42; CHURN_BENCH_ROWS rows,
// default 200000) is written once to a temporary CSV file, which the read benchmarks then
// parse. Items are rows, bytes are CSV bytes; times are wall-clock (the work is multi-threaded).
//
//   build/benchmarks/bench_csv --benchmark_counters_tabular=true
//   CHURN_BENCH_ROWS=1000000 build/benchmarks/bench_csv --benchmark_filter=read
#include <benchmark/benchmark.h>

#include "bench_common.hpp"

#include <cstdint>     // std::int64_t
#include <filesystem>  // std::filesystem::temp_directory_path, file_size, remove
#include <string>      // std::string
#include <vector>      // std::vector

#include <unistd.h>  // getpid

#include "churn/core/fileio.hpp"
#include "churn/data/csv.hpp"
#include "churn/data/synthetic.hpp"

namespace {

namespace fs = std::filesystem;

constexpr std::uint64_t kSeed = 42;

churn::Index bench_rows() {
  return churn_bench::bench_rows(200000);
}

/// The benchmark data set: the table, its CSV file and text. Created on first use, the files
/// removed at exit.
struct Dataset {
  churn::data::Table table;
  std::string csv_path;
  std::string out_path;
  std::string text;
  std::int64_t csv_bytes = 0;

  Dataset() {
    churn::data::CustomerOptions opt;
    opt.n_customers = bench_rows();
    opt.seed = kSeed;
    table = churn::data::make_customers(opt);
    const std::string stem =
        (fs::temp_directory_path() / ("churn_bench_csv_" + std::to_string(::getpid()))).string();
    csv_path = stem + ".csv";
    out_path = stem + "_out.csv";
    churn::data::write_csv(table, csv_path);
    text = churn::read_file(csv_path);
    csv_bytes = static_cast<std::int64_t>(text.size());
  }
  ~Dataset() {
    std::error_code ec;
    fs::remove(csv_path, ec);
    fs::remove(out_path, ec);
  }
  Dataset(const Dataset&) = delete;
  Dataset& operator=(const Dataset&) = delete;
};

const Dataset& dataset() {
  static const Dataset d;
  return d;
}

void set_counters(benchmark::State& state, churn::Index rows, std::int64_t bytes) {
  state.SetItemsProcessed(state.iterations() * rows);
  state.SetBytesProcessed(state.iterations() * bytes);
  state.counters["rows"] = static_cast<double>(rows);
}

// read_csv from the file (I/O + parsing + type inference). Arg: threads (0 = all cores).
void BM_read_csv(benchmark::State& state) {
  const Dataset& d = dataset();
  churn::data::CsvOptions opt;
  opt.n_threads = static_cast<int>(state.range(0));
  churn::Index rows = 0;
  for (auto _ : state) {
    churn::data::Table t = churn::data::read_csv(d.csv_path, opt);
    rows = t.num_rows();
    benchmark::DoNotOptimize(t);
  }
  if (rows != d.table.num_rows()) state.SkipWithError("read_csv returned a wrong row count");
  set_counters(state, rows, d.csv_bytes);
}
BENCHMARK(BM_read_csv)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->Arg(0)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// parse_csv of text already in memory (parsing + type inference only).
void BM_parse_csv(benchmark::State& state) {
  const Dataset& d = dataset();
  churn::data::CsvOptions opt;
  opt.n_threads = static_cast<int>(state.range(0));
  churn::Index rows = 0;
  for (auto _ : state) {
    churn::data::Table t = churn::data::parse_csv(d.text, opt);
    rows = t.num_rows();
    benchmark::DoNotOptimize(t);
  }
  set_counters(state, rows, d.csv_bytes);
}
BENCHMARK(BM_parse_csv)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(0)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// write_csv of the table (formatting + atomic write).
void BM_write_csv(benchmark::State& state) {
  const Dataset& d = dataset();
  for (auto _ : state) churn::data::write_csv(d.table, d.out_path);
  set_counters(state, d.table.num_rows(), d.csv_bytes);
}
BENCHMARK(BM_write_csv)->UseRealTime()->Unit(benchmark::kMillisecond);

// make_customers itself. Arg: threads (0 = all cores).
void BM_make_customers(benchmark::State& state) {
  churn::data::CustomerOptions opt;
  opt.n_customers = bench_rows();
  opt.seed = kSeed;
  opt.n_threads = static_cast<int>(state.range(0));
  for (auto _ : state) {
    churn::data::Table t = churn::data::make_customers(opt);
    benchmark::DoNotOptimize(t);
  }
  state.SetItemsProcessed(state.iterations() * opt.n_customers);
}
BENCHMARK(BM_make_customers)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(0)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
