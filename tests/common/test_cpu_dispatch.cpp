// common/cpu_dispatch.hpp: the level cap restores itself, never raises the level above the
// CPU's, and (the determinism rule) K-means and the monitor give the same bits at every level
// this CPU has.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include "churn/core/types.hpp"
#include "churn/data/table.hpp"
#include "churn/monitor/baseline.hpp"
#include "churn/segment/kmeans.hpp"
#include "common/cpu_dispatch.hpp"

using churn::Index;
using churn::RowMatrix;
using churn::common::CpuLevel;
using churn::common::ScopedCpuLevel;

namespace {

/// The levels this CPU has, lowest first.
std::vector<CpuLevel> available_levels() {
  std::vector<CpuLevel> out;
  for (CpuLevel l : {CpuLevel::Portable, CpuLevel::Avx2, CpuLevel::Avx512})
    if (l <= churn::common::detected_cpu_level()) out.push_back(l);
  return out;
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

/// K-means' centres, inertia (as bits) and labels of a fixed problem.
struct KMeansResult {
  std::vector<double> centres;
  std::vector<double> inertia;
  std::vector<std::int32_t> labels;
};

KMeansResult fit_kmeans(const RowMatrix& X, churn::segment::KMeansAlgorithm algorithm) {
  churn::segment::KMeansParams p;
  p.n_clusters = 13;  // two groups of eight lanes, padded
  p.algorithm = algorithm;
  p.n_init = 2;
  p.seed = 5;
  churn::segment::KMeans km(p);
  km.fit(X);
  const RowMatrix& C = km.cluster_centers();
  KMeansResult r;
  r.centres.assign(C.data(), C.data() + C.size());
  r.inertia.push_back(km.inertia());
  r.labels.assign(km.labels().data(), km.labels().data() + km.labels().size());
  return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(common_cpu_dispatch)

BOOST_AUTO_TEST_CASE(the_cap_lowers_the_level_for_a_scope) {
  const CpuLevel best = churn::common::detected_cpu_level();
  BOOST_TEST_MESSAGE("CPU level: " << churn::common::cpu_level_name(best));
  BOOST_TEST((churn::common::cpu_level() == best));
  {
    ScopedCpuLevel use(CpuLevel::Portable);
    BOOST_TEST((churn::common::cpu_level() == CpuLevel::Portable));
  }
  BOOST_TEST((churn::common::cpu_level() == best));
  {
    ScopedCpuLevel use(CpuLevel::Avx512);  // never above what the CPU has
    BOOST_TEST((churn::common::cpu_level() == best));
  }
  BOOST_TEST(std::string(churn::common::cpu_level_name(CpuLevel::Avx2)) == "avx2");
}

BOOST_AUTO_TEST_CASE(kmeans_gives_the_same_bits_at_every_level) {
  std::mt19937_64 gen(21);
  std::normal_distribution<double> normal;
  RowMatrix X(3000, 5);
  for (Index i = 0; i < X.rows(); ++i)
    for (Index j = 0; j < X.cols(); ++j) X(i, j) = normal(gen) + static_cast<double>(i % 7) * 3;
  for (auto algorithm :
       {churn::segment::KMeansAlgorithm::Lloyd, churn::segment::KMeansAlgorithm::Hamerly}) {
    KMeansResult want;
    for (CpuLevel level : available_levels()) {
      ScopedCpuLevel use(level);
      const KMeansResult got = fit_kmeans(X, algorithm);
      if (level == CpuLevel::Portable) {
        want = got;
        continue;
      }
      BOOST_TEST(same_bits(got.centres, want.centres), churn::common::cpu_level_name(level));
      BOOST_TEST(same_bits(got.inertia, want.inertia), churn::common::cpu_level_name(level));
      BOOST_TEST(got.labels == want.labels, churn::common::cpu_level_name(level));
    }
  }
}

BOOST_AUTO_TEST_CASE(the_monitor_gives_the_same_bits_at_every_level) {
  // 70,000 rows: above the two-pass threshold, so fit's scans and accumulate's cell counter run
  const Index n = 70000;
  std::mt19937_64 gen(22);
  std::normal_distribution<double> normal;
  std::vector<double> a(static_cast<std::size_t>(n)), b(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    a[i] = i % 50 == 0 ? std::nan("") : std::exp(normal(gen));
    b[i] = std::floor(normal(gen) * 4);
  }
  using churn::data::Column;
  const churn::data::Table ref({Column::from_float64("a", a), Column::from_float64("b", b)});
  for (auto& v : a) v *= 1.2;
  const churn::data::Table cur({Column::from_float64("a", a), Column::from_float64("b", b)});
  std::string fitted, report;
  for (CpuLevel level : available_levels()) {
    ScopedCpuLevel use(level);
    churn::monitor::Baseline base;
    base.fit(ref);
    const std::string f = base.to_json().dump();
    const std::string r = base.compare(cur).to_json().dump();
    if (level == CpuLevel::Portable) {
      fitted = f;
      report = r;
      continue;
    }
    BOOST_TEST(f == fitted, churn::common::cpu_level_name(level));
    BOOST_TEST(r == report, churn::common::cpu_level_name(level));
  }
}

BOOST_AUTO_TEST_SUITE_END()
