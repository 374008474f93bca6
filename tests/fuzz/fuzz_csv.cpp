// libFuzzer target for the CSV reader (not built by default).
//
// Build and run (clang, no OpenMP: the block logic runs serially but is the same code):
//   clang++ -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -Iinclude -Isrc -Ibuild/include \
//     -I/usr/include/eigen3 tests/fuzz/fuzz_csv.cpp src/core/*.cpp src/common/*.cpp src/data/*.cpp
//     -o fuzz_csv
//   ./fuzz_csv -max_total_time=60 -max_len=512
//
// The first input byte picks the options; the rest is the CSV text. Every input must either
// parse or throw a churn::Error, and the result (table or message) must not depend on the
// block size the text is split into.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "churn/core/error.hpp"
#include "churn/data/csv.hpp"
#include "data/csv_impl.hpp"

namespace {

struct Outcome {
  std::optional<churn::data::Table> table;
  std::string error;
};

Outcome run(std::string_view text, const churn::data::CsvOptions& o, std::size_t block) {
  churn::data::detail::csv_block_bytes_override() = block;
  Outcome out;
  try {
    out.table = churn::data::parse_csv(text, o);
  } catch (const churn::Error& e) {
    out.error = e.what();
  }  // any other exception escapes: libFuzzer reports it as a crash
  churn::data::detail::csv_block_bytes_override() = 0;
  return out;
}

bool same(const churn::data::Table& a, const churn::data::Table& b) {
  if (a.num_rows() != b.num_rows() || a.num_columns() != b.num_columns()) return false;
  for (churn::Index j = 0; j < a.num_columns(); ++j) {
    const auto& x = a.column(j);
    const auto& y = b.column(j);
    if (x.name() != y.name() || x.dtype() != y.dtype()) return false;
    for (churn::Index i = 0; i < a.num_rows(); ++i)
      if (x.value_string(i) != y.value_string(i) || x.is_missing(i) != y.is_missing(i))
        return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t flags = data[0];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  churn::data::CsvOptions o;
  o.header = (flags & 1) == 0;
  o.trim = (flags & 2) == 0;
  o.infer_int64 = (flags & 4) != 0;
  if (flags & 8) o.delimiter = ';';
  if (flags & 16) o.quote = '\0';
  o.n_threads = 1;
  const Outcome whole = run(text, o, 0);
  const Outcome split = run(text, o, 1 + (flags >> 5));
  if (whole.error != split.error) std::abort();
  if (whole.table && split.table && !same(*whole.table, *split.table)) std::abort();
  return 0;
}
