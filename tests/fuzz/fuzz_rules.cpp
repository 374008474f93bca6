// libFuzzer target for the retention rule documents (not built by default).
//
// Build and run (clang, no OpenMP):
//   clang++ -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -Iinclude -Isrc -Ibuild/include \
//     -Itests -I/usr/include/eigen3 tests/fuzz/fuzz_rules.cpp src/core/*.cpp src/common/*.cpp \
//     src/data/*.cpp src/retention/*.cpp -o fuzz_rules
//   ./fuzz_rules -max_total_time=60 -max_len=4096
//
// An input whose first byte is odd is JSON text; one whose first byte is even seeds 1 to 8
// structured mutations of a valid rule document (fuzz/rules_fuzz.hpp). Every document must
// load or throw a churn::Error; a loaded one must round-trip through to_json and apply to a
// table with every column type (or throw a churn::Error) without exceeding budget or capacity.

#include <cstddef>
#include <cstdint>
#include <random>
#include <string_view>

#include "fuzz/rules_fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const churn::data::Table table = churn_fuzz::fuzz_table();
  if (size == 0) return 0;
  if (data[0] & 1) {
    churn::Json doc;
    try {
      doc = churn::parse_json(std::string_view(reinterpret_cast<const char*>(data + 1), size - 1));
    } catch (const churn::Error&) {
      return 0;
    }
    churn_fuzz::check_document(doc, table);
    return 0;
  }
  std::uint64_t seed = 1469598103934665603ULL;  // FNV-1a of the bytes
  for (std::size_t i = 1; i < size; ++i) seed = (seed ^ data[i]) * 1099511628211ULL;
  std::mt19937_64 g(seed);
  churn::Json doc = churn_fuzz::valid_rule_document();
  for (int k = 0; k <= (data[0] >> 1) % 8; ++k) churn_fuzz::mutate(doc, g);
  churn_fuzz::check_document(doc, table);
  return 0;
}
