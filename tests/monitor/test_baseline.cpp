#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "churn/core/error.hpp"
#include "churn/core/json.hpp"
#include "churn/data/table.hpp"
#include "churn/monitor/baseline.hpp"

#include "test_util.hpp"

using churn::Index;
using churn::Json;
using churn::Vector;
using churn::data::Column;
using churn::data::Table;
using namespace churn::monitor;  // NOLINT

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

/// A seeded table with every kind of column: float64 with missing values, int64 with
/// validity, categorical, string, a constant and an all-missing column. `shift` moves the
/// distributions (0 = the reference).
Table make_table(Index n, std::uint64_t seed, double shift = 0.0) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0.0, 1.0);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> charges(n), constant(n, 3.5), empty(n, kNaN);
  std::vector<std::int64_t> tickets(n);
  std::vector<std::uint8_t> tickets_valid(n);
  std::vector<std::string> contract(n), region(n);
  std::vector<std::uint8_t> region_valid(n);
  const char* contracts[] = {"Monthly", "Annual", "Two year"};
  const char* regions[] = {"north", "south", "east", "west", "new"};
  for (Index i = 0; i < n; ++i) {
    charges[i] = u(rng) < 0.05 ? kNaN : 50 + 20 * g(rng) + 30 * shift;
    tickets[i] = static_cast<std::int64_t>(std::floor(u(rng) * (4 + 4 * shift)));
    tickets_valid[i] = u(rng) < 0.9;
    const double c = u(rng);
    contract[i] = contracts[c < 0.5 + 0.3 * shift ? 0 : (c < 0.8 + 0.1 * shift ? 1 : 2)];
    region[i] = regions[std::min<Index>(static_cast<Index>(u(rng) * (4 + shift)), 4)];
    region_valid[i] = u(rng) < 0.97;
  }
  return Table({Column::from_float64("charges", charges),
                Column::from_int64("tickets", tickets, tickets_valid),
                Column::from_strings_categorical("contract", contract),
                Column::from_strings("region", region, region_valid),
                Column::from_float64("constant", constant), Column::from_float64("empty", empty)});
}

Vector make_score(Index n, std::uint64_t seed, double shift = 0.0) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Vector s(n);
  for (Index i = 0; i < n; ++i) s[i] = std::pow(u(rng), 2.0 - shift);
  return s;
}

std::vector<double> column_doubles(const Column& c) {
  std::vector<double> v;
  for (Index i = 0; i < c.size(); ++i) v.push_back(c.value_double(i));
  return v;
}

Vector as_vector(const std::vector<double>& v) {
  return Eigen::Map<const Vector>(v.data(), static_cast<Index>(v.size()));
}

/// np.unique(np.quantile(s, np.linspace(0, 1, bins + 1))) of sorted values, written out
/// (levels i * (1 / bins), the last exactly 1; numpy's lerp; -0.0 folded into +0.0).
std::vector<double> numpy_edges(const std::vector<double>& s, int bins) {
  std::vector<double> want;
  for (int i = 0; i <= bins; ++i) {
    const double q = i == bins ? 1.0 : double(i) * (1.0 / bins);
    const double pos = q * static_cast<double>(s.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const std::size_t hi = std::min(lo + 1, s.size() - 1);
    const double frac = pos - static_cast<double>(lo), a = s[lo], c = s[hi];
    want.push_back((a == c ? a : (frac >= 0.5 ? c - (c - a) * (1.0 - frac) : a + (c - a) * frac)) +
                   0.0);
  }
  want.erase(std::unique(want.begin(), want.end()), want.end());
  return want;
}

using churn_test::throws_with;

}  // namespace

BOOST_AUTO_TEST_SUITE(monitor_baseline)

BOOST_AUTO_TEST_CASE(summary_and_edges_match_references) {
  const Table t = make_table(3000, 1);
  const Vector score = make_score(3000, 2);
  Baseline b;
  b.fit(t, score);
  BOOST_TEST(b.is_fitted());
  BOOST_TEST(b.n_rows() == 3000);
  BOOST_TEST(b.has_score());
  BOOST_TEST(b.feature_names() == t.column_names(), boost::test_tools::per_element());
  BOOST_TEST((b.kind("contract") == FeatureKind::Categorical));
  BOOST_TEST((b.kind("tickets") == FeatureKind::Numeric));
  for (const std::string name : {"charges", "tickets", "constant", "empty"}) {
    const std::vector<double> x = column_doubles(t.column(name));
    const Vector xv = as_vector(x);
    BOOST_TEST(b.edges(name) == bin_edges(xv, 10), boost::test_tools::per_element());
    std::vector<double> s;
    for (double v : x)
      if (!std::isnan(v)) s.push_back(v);
    const NumericSummary sum = b.summary(name);
    BOOST_TEST(sum.count == static_cast<std::int64_t>(s.size()));
    BOOST_TEST(sum.missing == static_cast<std::int64_t>(x.size() - s.size()));
    if (s.empty()) {
      BOOST_TEST(std::isnan(sum.mean));
      BOOST_TEST(std::isnan(sum.min));
      BOOST_TEST(std::isnan(sum.quantiles[3]));
      continue;
    }
    long double m = 0, ss = 0;
    for (double v : s) m += v;
    m /= s.size();
    for (double v : s) ss += (v - m) * (v - m);
    BOOST_TEST(sum.mean == static_cast<double>(m), boost::test_tools::tolerance(1e-14));
    if (name == "constant") {
      BOOST_TEST(sum.std == 0.0);
    } else {
      BOOST_TEST(sum.std == std::sqrt(static_cast<double>(ss / (s.size() - 1))),
                 boost::test_tools::tolerance(1e-13));
    }
    BOOST_TEST(sum.min == *std::min_element(s.begin(), s.end()));
    BOOST_TEST(sum.max == *std::max_element(s.begin(), s.end()));
    BOOST_TEST(sum.quantiles.size() == 7u);
    BOOST_TEST(sum.quantiles == quantiles(xv, sum.levels), boost::test_tools::per_element());
    // the histogram equals the standalone one
    Histogram h(b.edges(name));
    h.add(xv);
    BOOST_TEST(b.histogram(name).counts() == h.counts(), boost::test_tools::per_element());
    BOOST_TEST(b.histogram(name).missing() == h.missing());
  }
  BOOST_TEST(b.summary("").count == 3000);
  CategoryCounts region;
  region.add(t.column("region"));
  BOOST_TEST(b.category_counts("region").counts() == region.counts(),
             boost::test_tools::per_element());
  BOOST_TEST(b.category_counts("region").missing() == region.missing());
}

BOOST_AUTO_TEST_CASE(compare_matches_standalone_statistics) {
  const Table ref = make_table(4000, 3);
  const Table cur = make_table(2500, 4, 0.5);
  const Vector rs = make_score(4000, 5), cs = make_score(2500, 6, 0.6);
  BaselineParams p;
  p.bins = 8;
  Baseline b(p);
  b.fit(ref, rs);
  const DriftReport r = b.compare(cur, cs);
  BOOST_TEST(r.features().size() == 6u);
  BOOST_TEST(r.n_rows_reference() == 4000);
  BOOST_TEST(r.n_rows_current() == 2500);
  for (const std::string name : {"charges", "tickets", "constant", "empty"}) {
    const Vector x = as_vector(column_doubles(ref.column(name)));
    const Vector y = as_vector(column_doubles(cur.column(name)));
    const FeatureDrift& d = r.feature(name);
    BOOST_TEST(d.psi == psi(x, y, 8), boost::test_tools::tolerance(1e-15));
    BOOST_TEST(d.js == js_distance(x, y, 8), boost::test_tools::tolerance(1e-15));
    BOOST_TEST(d.missing_rate_current == missing_rate(y));
    if (name == "empty") {
      BOOST_TEST(std::isnan(d.ks));
      BOOST_TEST(std::isnan(d.share_out_of_range));  // no current value either
      continue;
    }
    BOOST_TEST(d.share_out_of_range == share_out_of_range(x, y),
               boost::test_tools::tolerance(1e-15));
    // KS on the quantile grid: a lower bound within about 1 / ks_points of the exact one
    const double ks = ks_statistic(x, y);
    BOOST_TEST(d.ks <= ks + 1e-15);
    BOOST_TEST(d.ks >= ks - 0.011 - (name == "tickets" ? 1.0 : 0.0));
    if (name == "constant") BOOST_TEST(d.psi == 0.0);
  }
  BOOST_TEST(
      r.feature("contract").psi == categorical_psi(ref.column("contract"), cur.column("contract")),
      boost::test_tools::tolerance(1e-15));
  BOOST_TEST(r.feature("region").psi == categorical_psi(ref.column("region"), cur.column("region")),
             boost::test_tools::tolerance(1e-15));
  BOOST_TEST(r.feature("region").unseen_categories == std::vector<std::string>{"new"},
             boost::test_tools::per_element());
  BOOST_TEST_REQUIRE(r.score().has_value());
  BOOST_TEST(r.score()->psi == psi(rs, cs, 8), boost::test_tools::tolerance(1e-15));
  // charges moved by 0.75 sd: significant; statuses follow the thresholds
  BOOST_TEST((r.feature("charges").status == DriftStatus::Significant));
  BOOST_TEST((r.feature("constant").status == DriftStatus::Stable));
  // the reference against itself: no drift anywhere
  const DriftReport same = b.compare(ref, rs);
  for (const auto& f : same.features()) {
    BOOST_TEST(f.psi == 0.0, f.feature);
    BOOST_TEST((f.status == DriftStatus::Stable));
    if (f.kind == FeatureKind::Numeric && f.feature != "empty") BOOST_TEST(f.ks == 0.0);
  }
  BOOST_TEST(same.share_drifting() == 0.0);
}

BOOST_AUTO_TEST_CASE(unseen_categories_and_type_swaps) {
  const Table ref = make_table(500, 7);
  Baseline b;
  b.fit(ref);
  // region as categorical now (was string), tickets as float64 (was int64), new category
  std::vector<std::string> region(500, "north");
  region[3] = "mars";
  region[4] = "venus";
  region[5] = "mars";
  std::vector<double> tickets(500, 1.0);
  const Table cur = ref.drop({"region", "tickets"})
                        .add_column(Column::from_strings_categorical("region", region))
                        .add_column(Column::from_float64("tickets", tickets));
  const DriftReport r = b.compare(cur);
  const FeatureDrift& d = r.feature("region");
  BOOST_TEST(d.unseen_categories == (std::vector<std::string>{"mars", "venus"}),
             boost::test_tools::per_element());
  BOOST_TEST(d.share_unseen == 3.0 / 500, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(std::isnan(d.ks));
  BOOST_TEST((d.status == DriftStatus::Significant));
}

BOOST_AUTO_TEST_CASE(merge_equals_one_pass) {
  const Index n = 5000;
  const Table t = make_table(n, 11);
  const Vector score = make_score(n, 12);
  Baseline full;
  full.fit(t, score);
  const Json want = full.to_json();
  // uneven chunks, merged in two different orders
  const std::vector<Index> cuts = {0, 1, 1234, 1234, 4000, n};
  std::vector<Baseline> parts;
  for (std::size_t k = 0; k + 1 < cuts.size(); ++k) {
    const Index lo = cuts[k], len = cuts[k + 1] - lo;
    parts.push_back(full.accumulate(t.slice(lo, len), score.segment(lo, len)));
  }
  Baseline fwd = parts[0];
  for (std::size_t k = 1; k < parts.size(); ++k) fwd.merge(parts[k]);
  Baseline bwd = parts.back();
  for (std::size_t k = parts.size() - 1; k-- > 0;) bwd.merge(parts[k]);
  BOOST_TEST(fwd.to_json() == want);
  BOOST_TEST(bwd.to_json() == want);
  // bins fixed from a sample: the merged parts equal one accumulate over everything
  Baseline sample;
  sample.fit(t.slice(0, 300), score.segment(0, 300));
  Baseline m = sample.accumulate(t.slice(0, 2000), score.segment(0, 2000));
  m.merge(sample.accumulate(t.slice(2000, n - 2000), score.segment(2000, n - 2000)));
  BOOST_TEST(m.to_json() == sample.accumulate(t, score).to_json());
  BOOST_TEST(m.n_rows() == n);
  // a current batch accumulated in chunks compares like the whole batch
  const Table cur = make_table(3000, 13, 0.3);
  const Vector cs = make_score(3000, 14, 0.3);
  Baseline snap = full.accumulate(cur.slice(0, 1000), cs.segment(0, 1000));
  snap.merge(full.accumulate(cur.slice(1000, 2000), cs.segment(1000, 2000)));
  BOOST_TEST(full.compare(snap).to_json() == full.compare(cur, cs).to_json());
  // parts on other bins do not merge
  BOOST_TEST(throws_with<churn::InvalidArgument>([&] { Baseline(full).merge(m); }, "other bins"));
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [&] { Baseline(full).merge(full.accumulate(t.slice(0, 10))); }, "score"));
}

BOOST_AUTO_TEST_CASE(exact_sums_hand_computed) {
  // naive left-to-right sums give 3 (the 1 is absorbed by 1e300) and 0.9999999999999999
  const Table t({Column::from_float64("big", {1e300, 1.0, -1e300, 3.0, kNaN}),
                 Column::from_float64("tenth", {0.1, 0.1, 0.1, 0.1, 0.1}),
                 Column::from_float64("tenth2", {0.1, 0.1, 0.1, 0.1, 0.1})});
  const Table ten = Table::concat({t, t});
  Baseline b;
  b.fit(ten);
  BOOST_TEST(b.summary("big").mean == 1.0);
  BOOST_TEST(b.summary("tenth").mean == 0.1);
  BOOST_TEST(b.summary("tenth").std == 0.0);
  BOOST_TEST(b.summary("big").count == 8);
  // parts split through the cancelling pair merge to the same state
  Baseline m = b.accumulate(ten.slice(0, 1));
  m.merge(b.accumulate(ten.slice(1, 6))).merge(b.accumulate(ten.slice(7, 3)));
  BOOST_TEST(m.to_json() == b.to_json());
}

BOOST_AUTO_TEST_CASE(large_columns_fit_equals_accumulate) {
  // 2^20+ values take the bracket selection (and, for a sorted column, its fallback); the
  // fitted counts must equal a plain accumulate on the fitted bins, the edges numpy's
  const Index n = (Index{1} << 20) + 40000;
  std::mt19937_64 rng(71);
  std::normal_distribution<double> g(0, 1);
  std::vector<double> normal(n), sorted(n);
  std::vector<std::int64_t> ties(n);
  for (Index i = 0; i < n; ++i) {
    normal[i] = i % 50 == 0 ? kNaN : g(rng);
    sorted[i] = static_cast<double>(i) * 0.5;
    ties[i] = static_cast<std::int64_t>(rng() % 7);
  }
  const Table t({Column::from_float64("normal", normal), Column::from_float64("sorted", sorted),
                 Column::from_int64("ties", ties)});
  Baseline b;
  b.fit(t);
  BOOST_TEST(b.accumulate(t).to_json() == b.to_json());
  for (const std::string name : {"normal", "sorted", "ties"}) {
    std::vector<double> s;
    for (Index i = 0; i < n; ++i) {
      const double v = t.column(name).value_double(i);
      if (!std::isnan(v)) s.push_back(v);
    }
    std::sort(s.begin(), s.end());
    BOOST_TEST(b.edges(name) == numpy_edges(s, 10), boost::test_tools::per_element());
    BOOST_TEST(b.summary(name).quantiles[3] == s[(s.size() - 1) / 2] * 0.5 + s[s.size() / 2] * 0.5,
               boost::test_tools::tolerance(1e-12));
  }
}

BOOST_AUTO_TEST_CASE(large_column_many_brackets_and_cuts) {
  // the one-pass fit with 20 quantile bins (many brackets), 1000 KS points (cuts inside the
  // brackets), 30% missing values and ties: the gathered values are grouped by bracket and
  // selected per bracket; edges must be numpy's, counts those of accumulate, and the result
  // the same for any thread count
  const Index n = (Index{1} << 20) + 777;
  std::mt19937_64 rng(113);
  std::normal_distribution<double> g(0, 1);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<double> mixed(n), rounded(n);
  for (Index i = 0; i < n; ++i) {
    mixed[i] = u(rng) < 0.3 ? kNaN : (u(rng) < 0.4 ? -0.0 : std::exp(g(rng)) - 1.0);
    rounded[i] = u(rng) < 0.1 ? kNaN : std::round(g(rng) * 40) / 8;
  }
  const Table t({Column::from_float64("mixed", mixed), Column::from_float64("rounded", rounded)});
  BaselineParams p;
  p.bins = 20;
  p.ks_points = 1000;
  p.n_threads = 1;
  Baseline b(p);
  b.fit(t);
  BOOST_TEST(b.accumulate(t).to_json() == b.to_json());
  p.n_threads = 2;
  Baseline b2(p);
  b2.fit(t);
  Json j1 = b.to_json(), j2 = b2.to_json();
  j1["params"]["n_threads"] = j2["params"]["n_threads"] = 0;  // the setting itself is saved
  BOOST_TEST(j1.dump() == j2.dump());
  for (const std::string name : {"mixed", "rounded"}) {
    std::vector<double> s;
    for (Index i = 0; i < n; ++i) {
      const double v = t.column(name).value_double(i);
      if (!std::isnan(v)) s.push_back(v);
    }
    std::sort(s.begin(), s.end());
    BOOST_TEST(b.edges(name) == numpy_edges(s, 20), boost::test_tools::per_element());
    BOOST_TEST(b.summary(name).count == static_cast<std::int64_t>(s.size()));
  }
}

BOOST_AUTO_TEST_CASE(fit_edges_follow_np_linspace_levels) {
  // quantile levels are np.linspace(0, 1, bins + 1) = i * (1 / bins), not i / bins: the two
  // differ in the last bit (3 * 0.1 vs 0.3), which moves an interpolated edge by an ulp
  for (const Index n : {Index{200003}, (Index{1} << 20) + 7}) {
    std::mt19937_64 rng(static_cast<std::uint64_t>(n));
    std::lognormal_distribution<double> ln(3.0, 1.0);
    std::vector<double> x(static_cast<std::size_t>(n));
    for (auto& v : x) v = rng() % 100 == 0 ? kNaN : ln(rng);
    const Table t({Column::from_float64("x", x)});
    for (int bins : {10, 7, 20}) {
      BaselineParams p;
      p.bins = bins;
      Baseline b(p);
      b.fit(t);
      BOOST_TEST(b.edges("x") == bin_edges(as_vector(x), bins), boost::test_tools::per_element());
    }
  }
}

BOOST_AUTO_TEST_CASE(thread_count_independent) {
  const Index n = 600000;  // more than two row blocks
  const Table t = make_table(n, 21).select({"charges", "tickets", "contract", "region"});
  const Vector score = make_score(n, 22);
  const Table cur = make_table(n / 2, 23, 0.2).select({"charges", "tickets", "contract", "region"});
  std::string json1, report1;
  for (int threads : {1, 2, 3}) {
    BaselineParams p;
    p.n_threads = threads;
    Baseline b(p);
    b.fit(t, score);
    Json doc = b.to_json();
    doc["params"]["n_threads"] = 0;
    const std::string report = b.compare(cur).to_json().dump();
    if (threads == 1) {
      json1 = doc.dump();
      report1 = report;
    } else {
      BOOST_TEST(doc.dump() == json1, "n_threads " << threads);
      BOOST_TEST(report == report1, "n_threads " << threads);
    }
  }
}

BOOST_AUTO_TEST_CASE(json_round_trip_bit_identical) {
  const Table t = make_table(2000, 31);
  const Vector score = make_score(2000, 32);
  for (Binning binning : {Binning::Quantile, Binning::EqualWidth}) {
    BaselineParams p;
    p.binning = binning;
    p.bins = 7;
    p.ks_points = 20;
    p.epsilon = 1e-3;
    Baseline b(p);
    b.fit(t, score);
    const Json doc = b.to_json();
    BOOST_TEST(doc["kind"] == "DriftBaseline");
    const Baseline c = Baseline::from_json(Json::parse(doc.dump()));
    BOOST_TEST(c.to_json() == doc);
    const Table cur = make_table(1500, 33, 0.4);
    const Vector cs = make_score(1500, 34, 0.4);
    BOOST_TEST(c.compare(cur, cs).to_json() == b.compare(cur, cs).to_json());
    BOOST_TEST((c.params().binning == binning));
    // a loaded baseline still merges exactly
    Baseline m = c.accumulate(t.slice(0, 700), score.segment(0, 700));
    m.merge(c.accumulate(t.slice(700, 1300), score.segment(700, 1300)));
    BOOST_TEST(m.to_json() == doc);
  }
  const auto path = std::filesystem::temp_directory_path() / "churn_monitor_baseline.json";
  Baseline b;
  b.fit(t);
  b.save(path.string());
  BOOST_TEST(Baseline::load(path.string()).to_json() == b.to_json());
  std::filesystem::remove(path);
}

BOOST_AUTO_TEST_CASE(damaged_documents) {
  const Table t = make_table(300, 41);
  Baseline b;
  b.fit(t, make_score(300, 42));
  const Json doc = b.to_json();
  auto rejects = [&](const std::string& what, auto&& mutate) {
    Json d = doc;
    mutate(d);
    bool ok = false;
    try {
      Baseline::from_json(d);
    } catch (const churn::SerializationError& e) {
      ok = true;
      BOOST_TEST_MESSAGE(what << ": " << e.what());
    } catch (const std::exception& e) {
      BOOST_TEST_MESSAGE(what << ": wrong exception: " << e.what());
    }
    BOOST_TEST(ok, what);
  };
  rejects("newer major", [](Json& d) { d["version"] = "2.0"; });
  rejects("another kind", [](Json& d) { d["kind"] = "FeaturePipeline"; });
  rejects("unknown param", [](Json& d) { d["params"]["window"] = 3; });
  rejects("unknown state member", [](Json& d) { d["state"]["extra"] = 1; });
  rejects("unknown feature member", [](Json& d) { d["state"]["features"][0]["x"] = 1; });
  rejects("bad binning", [](Json& d) { d["params"]["binning"] = "kmeans"; });
  rejects("bins 0", [](Json& d) { d["params"]["bins"] = 0; });
  rejects("counts sum", [](Json& d) { d["state"]["features"][0]["counts"][3] = 1000000; });
  rejects("counts length", [](Json& d) { d["state"]["features"][0]["counts"].erase(0); });
  rejects("unsorted edges", [](Json& d) {
    auto& e = d["state"]["features"][0]["edges"];
    std::swap(e[1], e[2]);
  });
  rejects("edge inf", [](Json& d) { d["state"]["features"][0]["edges"][1] = "inf"; });
  rejects("quantile count", [](Json& d) { d["state"]["features"][0]["quantiles"].erase(3); });
  rejects("mean", [](Json& d) { d["state"]["features"][0]["mean"] = 1.0; });
  rejects("sum limb", [](Json& d) { d["state"]["features"][0]["sum"]["limbs"][0] = 5; });
  rejects("repeated category", [](Json& d) {
    auto& c = d["state"]["features"][2]["categories"];
    c[1] = c[0];
  });
  rejects("dtype", [](Json& d) { d["state"]["features"][2]["dtype"] = "float64"; });
  rejects("repeated feature",
          [](Json& d) { d["state"]["features"][1]["name"] = d["state"]["features"][0]["name"]; });
  rejects("n_rows", [](Json& d) { d["state"]["n_rows"] = 301; });
  rejects("overflowing counts", [](Json& d) {
    d["state"]["features"][0]["counts"][0] = std::numeric_limits<std::int64_t>::max();
    d["state"]["features"][0]["counts"][1] = std::numeric_limits<std::int64_t>::max();
  });
  rejects("score without has_score", [](Json& d) { d["state"]["has_score"] = false; });
  rejects("not an object", [](Json& d) { d = Json::array(); });
}

BOOST_AUTO_TEST_CASE(random_mutations_never_crash) {
  // every leaf of a saved baseline replaced by junk, or removed: loading either fails with
  // SerializationError or gives a baseline whose compare succeeds or throws a churn::Error
  const Table t = make_table(200, 51);
  const Vector score = make_score(200, 52);
  BaselineParams p;
  p.bins = 4;
  p.ks_points = 8;
  Baseline b(p);
  b.fit(t, score);
  const Json doc = b.to_json();
  const std::vector<Json> junk = {Json(nullptr),
                                  Json(-1),
                                  Json(0),
                                  Json(1e300),
                                  Json("nan"),
                                  Json("-inf"),
                                  Json("zzz"),
                                  Json::array(),
                                  Json::object(),
                                  Json(true),
                                  Json(2147483648LL),
                                  Json(std::numeric_limits<std::int64_t>::max()),
                                  Json::array({1, 2, 3})};
  churn_test::JsonMutator mutate(doc, junk, 5);
  int loaded = 0, rejected = 0;
  for (int it = 0; it < 800; ++it) {
    const Json d = mutate.next();
    try {
      const Baseline q = Baseline::from_json(d);
      ++loaded;
      try {
        q.compare(t, score);
        q.to_json();
      } catch (const churn::Error&) {
      }
    } catch (const churn::SerializationError&) {
      ++rejected;
    }
  }
  BOOST_TEST_MESSAGE("loaded " << loaded << ", rejected " << rejected);
  BOOST_TEST(rejected > 0);
}

BOOST_AUTO_TEST_CASE(bad_input) {
  const Table t = make_table(100, 61);
  Baseline b;
  BOOST_TEST(throws_with<churn::NotFittedError>([&] { b.compare(t); }, "Baseline::compare()"));
  BOOST_TEST(throws_with<churn::NotFittedError>([&] { b.to_json(); }, "not fitted"));
  BOOST_TEST(throws_with<churn::InvalidArgument>([&] { b.fit(t.slice(0, 0)); }, "no rows"));
  BOOST_TEST(throws_with<churn::InvalidArgument>([&] { b.fit(t, make_score(99, 1)); },
                                                 "score has 99 values for 100 rows"));
  std::vector<double> inf(100, 1.0);
  inf[17] = std::numeric_limits<double>::infinity();
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [&] { b.fit(Table({Column::from_float64("x", inf)})); }, "row 17"));
  BOOST_TEST(!b.is_fitted());
  b.fit(t);
  // an empty batch, a score the baseline lacks, a type change
  BOOST_TEST(throws_with<churn::InvalidArgument>([&] { b.compare(t.slice(0, 0)); }, "empty batch"));
  BOOST_TEST(throws_with<churn::InvalidArgument>([&] { b.compare(t, make_score(100, 1)); },
                                                 "without one"));
  const Table changed = t.drop({"charges"})
                            .add_column(Column::from_strings_categorical(
                                "charges", std::vector<std::string>(100, "high")));
  BOOST_TEST(throws_with<churn::TypeMismatch>([&] { b.compare(changed); }, "'charges'"));
  // a missing column is reported, not an error
  const DriftReport r = b.compare(t.drop({"tickets", "region"}));
  BOOST_TEST(r.n_missing_columns() == 2);
  BOOST_TEST((r.features()[0].status == DriftStatus::MissingColumn));
  BOOST_TEST((r.feature("tickets").status == DriftStatus::MissingColumn));
  BOOST_TEST(std::isnan(r.feature("tickets").psi));
  // settings
  auto bad = [](auto set, const std::string& field) {
    BaselineParams p;
    set(p);
    return throws_with<churn::InvalidArgument>([&] { p.validate(); }, field.c_str());
  };
  BOOST_TEST(bad([](BaselineParams& p) { p.bins = 0; }, "bins"));
  BOOST_TEST(bad([](BaselineParams& p) { p.epsilon = 1.5; }, "epsilon"));
  BOOST_TEST(bad([](BaselineParams& p) { p.significant = 0.05; }, "significant"));
  BOOST_TEST(bad([](BaselineParams& p) { p.ks_points = 0; }, "ks_points"));
  BOOST_TEST(bad([](BaselineParams& p) { p.n_threads = -1; }, "n_threads"));
  BOOST_TEST(throws_with<churn::InvalidArgument>([&] { b.edges("contract"); }, "categorical"));
  BOOST_TEST(throws_with<churn::InvalidArgument>([&] { b.summary("nope"); }, "'nope'"));
}

BOOST_AUTO_TEST_CASE(params_have_one_source_for_files_and_options) {
  BaselineParams p = BaselineParams::from_options(Json{{"bins", 20}, {"binning", "uniform"}}, "B");
  BOOST_TEST(p.bins == 20);
  BOOST_TEST((p.binning == Binning::EqualWidth));
  BOOST_TEST(p.epsilon == BaselineParams().epsilon);  // a default
  BOOST_TEST(BaselineParams::from_json(p.to_json()).to_json() == p.to_json());
  BOOST_TEST(p.to_json().size() == 8u);
  auto make = [](const Json& j) { BaselineParams::from_options(j, "B"); };
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [&] {
        make(Json{{"bin", 3}});
      },
      "B: unknown parameter 'bin'"));
  BOOST_TEST(throws_with<churn::TypeMismatch>(
      [&] {
        make(Json{{"epsilon", "small"}});
      },
      "B: epsilon must be a number"));
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [&] {
        make(Json{{"bins", 0}});
      },
      "bins must be in [1, 100000]"));
  Json bad = p.to_json();
  bad["verbose"] = true;
  BOOST_CHECK_THROW(BaselineParams::from_json(bad), churn::SerializationError);
  bad = p.to_json();
  bad.erase("ks_points");
  BOOST_CHECK_THROW(BaselineParams::from_json(bad), churn::SerializationError);
}

BOOST_AUTO_TEST_SUITE_END()
