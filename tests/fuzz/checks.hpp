#pragma once
// The properties the libFuzzer targets check, shared by the targets (tests/fuzz/fuzz_<name>.cpp,
// one line each) and the Boost suite fuzz_corpus (tests/fuzz/test_corpus.cpp), which replays
// every seed of tests/fuzz/corpus/<name>/ and every former crash of
// tests/fuzz/regressions/<name>/ through the same code in the default test run.
//
// The property of every target: an input either is refused with a churn::Error, or it loads
// and the loaded object is usable: it round-trips through to_json (the same document again,
// the same predictions bit for bit) and predicts / transforms / scores a probe input of the
// right shape with outputs of the documented range (probabilities in [0, 1] and not NaN,
// labels and buckets in range, the right rows and columns). A broken property throws
// Violation; any exception other than churn::Error escapes too. In a fuzz target either
// escapes LLVMFuzzerTestOneInput, which libFuzzer reports as a crash (std::terminate).

#include <cstddef>      // std::size_t
#include <cstdint>      // std::uint8_t
#include <stdexcept>    // std::logic_error
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector

namespace churn_fuzz {

/// A property of a fuzz target that does not hold (the message says which and where).
struct Violation : std::logic_error {
  using std::logic_error::logic_error;
};

/// The targets, by the name of their program (fuzz_<name>) and corpus folder: csv, rules,
/// schema, gbdt, forest, logistic, kmeans, baseline, pipeline, churn_model, buckets.
const std::vector<std::string>& target_names();

/// Runs one input through target `name` (see the file comment).
/// @throws Violation for a broken property, std::invalid_argument for an unknown name; any
///         non-churn::Error exception of the library escapes.
void run_target(std::string_view name, const std::uint8_t* data, std::size_t size);

}  // namespace churn_fuzz
