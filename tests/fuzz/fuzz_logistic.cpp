// libFuzzer target "logistic" (built by CHURN_BUILD_FUZZERS; run by scripts/ci_fuzz.sh): the
// property it checks is in checks.cpp, shared with the Boost suite fuzz_corpus, which replays
// corpus/logistic/ and regressions/logistic/ in every test run.
#include <cstddef>
#include <cstdint>

#include "fuzz/checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  churn_fuzz::run_target("logistic", data, size);
  return 0;
}
