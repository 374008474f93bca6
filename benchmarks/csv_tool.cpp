// churn_csv_tool: the C++ side of benchmarks/compare_csv.py when the Python module is not
// installed.
//
//   churn_csv_tool generate <path> <rows> <seed>     writes make_customers' table as CSV
//   churn_csv_tool read <path> <repeat> <threads>    reads it `repeat` times with read_csv and
//                                                    prints one line per read:
//                                                    "seconds=<s> rows=<n> columns=<k>"
#include <chrono>     // std::chrono::steady_clock
#include <cstdint>    // std::uint64_t
#include <cstdio>     // std::printf, std::fprintf
#include <cstdlib>    // std::strtoll
#include <exception>  // std::exception
#include <stdexcept>  // std::runtime_error
#include <string>     // std::string

#include "churn/data/csv.hpp"
#include "churn/data/synthetic.hpp"

namespace {

long long to_int(const char* text, const char* what) {
  char* end = nullptr;
  const long long v = std::strtoll(text, &end, 10);
  if (end == text || *end != '\0') throw std::runtime_error(std::string("bad ") + what);
  return v;
}

int usage() {
  std::fprintf(stderr,
               "usage: churn_csv_tool generate <path> <rows> <seed>\n"
               "       churn_csv_tool read <path> <repeat> <threads>\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) return usage();
  const std::string cmd = argv[1];
  try {
    if (cmd == "generate") {
      churn::data::CustomerOptions opt;
      opt.n_customers = to_int(argv[3], "rows");
      opt.seed = static_cast<std::uint64_t>(to_int(argv[4], "seed"));
      churn::data::write_csv(churn::data::make_customers(opt), argv[2]);
      return 0;
    }
    if (cmd == "read") {
      const long long repeat = to_int(argv[3], "repeat");
      churn::data::CsvOptions opt;
      opt.n_threads = static_cast<int>(to_int(argv[4], "threads"));
      for (long long r = 0; r < repeat; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        const churn::data::Table t = churn::data::read_csv(argv[2], opt);
        const double s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::printf("seconds=%.9f rows=%lld columns=%lld\n", s,
                    static_cast<long long>(t.num_rows()), static_cast<long long>(t.num_columns()));
        std::fflush(stdout);
      }
      return 0;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "churn_csv_tool: %s\n", e.what());
    return 1;
  }
  return usage();
}
