#pragma once
// Shared by the Google Benchmark programs in this folder.

#include <cstdlib>  // std::getenv, std::strtoll

#include "churn/core/types.hpp"

namespace churn_bench {

/// Rows of the benchmark data: $CHURN_BENCH_ROWS when set to a positive integer, else `fallback`.
inline churn::Index bench_rows(churn::Index fallback) {
  const char* env = std::getenv("CHURN_BENCH_ROWS");
  if (env != nullptr && *env != '\0') {
    const long long n = std::strtoll(env, nullptr, 10);
    if (n >= 1) return static_cast<churn::Index>(n);
  }
  return fallback;
}

}  // namespace churn_bench
