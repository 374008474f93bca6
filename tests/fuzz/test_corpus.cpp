// The fuzz targets' properties (fuzz/checks.cpp) on every seed of tests/fuzz/corpus/<target>/
// and every input that once crashed a target (tests/fuzz/regressions/<target>/, where
// scripts/ci_fuzz.sh says to put them), in the default test run: a fixed crash stays fixed
// without a fuzzer, and the seeds stay valid inputs as the saved formats evolve.
#include <boost/test/unit_test.hpp>

#include <algorithm>   // std::sort
#include <cstdint>     // std::uint8_t
#include <exception>   // std::exception
#include <filesystem>  // std::filesystem
#include <fstream>     // std::ifstream
#include <iterator>    // std::istreambuf_iterator
#include <string>      // std::string
#include <vector>      // std::vector

#include "fuzz/checks.hpp"

namespace fs = std::filesystem;

namespace {

std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> out;
  if (!fs::is_directory(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file()) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void replay(const std::string& target, const fs::path& file) {
  const std::string bytes = read_bytes(file);
  try {
    churn_fuzz::run_target(target, reinterpret_cast<const std::uint8_t*>(bytes.data()),
                           bytes.size());
  } catch (const std::exception& e) {
    BOOST_ERROR(file.string() << ": " << e.what());
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fuzz_corpus)

BOOST_AUTO_TEST_CASE(every_target_has_seeds_and_they_satisfy_its_property) {
  const fs::path corpus = fs::path(CHURN_FUZZ_DIR) / "corpus";
  for (const std::string& target : churn_fuzz::target_names()) {
    const auto seeds = files_in(corpus / target);
    BOOST_TEST_CONTEXT("target " << target) {
      BOOST_TEST(!seeds.empty());
      for (const auto& f : seeds) replay(target, f);
    }
  }
}

BOOST_AUTO_TEST_CASE(former_crashes_satisfy_the_property) {
  const fs::path regressions = fs::path(CHURN_FUZZ_DIR) / "regressions";
  for (const std::string& target : churn_fuzz::target_names())
    for (const auto& f : files_in(regressions / target)) replay(target, f);
  // a folder named after no target would be skipped silently
  for (const auto& e : fs::directory_iterator(regressions)) {
    const std::string name = e.path().filename().string();
    const auto& names = churn_fuzz::target_names();
    BOOST_TEST((std::find(names.begin(), names.end(), name) != names.end() ||
                name == "README.md"),
               "unknown regression folder " << name);
  }
}

BOOST_AUTO_TEST_SUITE_END()
