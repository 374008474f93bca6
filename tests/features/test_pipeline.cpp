#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "churn/core/error.hpp"
#include "churn/core/json.hpp"
#include "churn/data/synthetic.hpp"
#include "churn/data/table.hpp"
#include "churn/features/pipeline.hpp"

#include "test_util.hpp"

using churn::Index;
using churn::Json;
using churn::data::Column;
using churn::data::DType;
using churn::data::Table;
using namespace churn::features;  // NOLINT

namespace {
const double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<double> values(const Table& t, const std::string& name) {
  auto v = t.column(name).as_float64();
  return std::vector<double>(v.data(), v.data() + v.size());
}

/// Same doubles, bit for bit (NaN == NaN).
bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

/// Element-wise equality with NaN == NaN (hand-computed references).
void check_values(const std::vector<double>& got, const std::vector<double>& want,
                  const std::string& what) {
  BOOST_TEST_REQUIRE(got.size() == want.size(), what);
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i])) {
      BOOST_TEST(std::isnan(got[i]), what << " row " << i << ": got " << got[i] << ", want NaN");
    } else {
      BOOST_TEST(got[i] == want[i],
                 what << " row " << i << ": got " << got[i] << ", want " << want[i]);
    }
  }
}

using churn_test::throws_with;

/// A seeded customer-like table with every column type.
Table customers(Index n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> tenure(n), charges(n), sessions(n), crashes(n);
  std::vector<std::int64_t> tickets(n);
  std::vector<std::uint8_t> tickets_valid(n);
  std::vector<std::string> contract(n), plan(n), id(n);
  const char* contracts[] = {"Monthly", "Annual", "Two year", "Weekly"};
  const char* plans[] = {"basic", "plus", "pro", "family", "student", "legacy"};
  for (Index i = 0; i < n; ++i) {
    tenure[i] = u(rng) < 0.1 ? kNaN : std::floor(u(rng) * 72);
    charges[i] = u(rng) < 0.05 ? kNaN : 20 + 100 * u(rng) * u(rng);
    sessions[i] = std::floor(u(rng) * 50);
    crashes[i] = u(rng) < 0.5 ? 0.0 : std::floor(u(rng) * 4);
    tickets[i] = static_cast<std::int64_t>(u(rng) * 6);
    tickets_valid[i] = u(rng) < 0.9;
    const double c = u(rng);
    contract[i] = contracts[c < 0.55 ? 0 : (c < 0.8 ? 1 : (c < 0.995 ? 2 : 3))];
    plan[i] = plans[static_cast<int>(u(rng) * 6)];
    id[i] = "c" + std::to_string(i);
  }
  std::vector<std::uint8_t> contract_valid(n);
  for (Index i = 0; i < n; ++i) contract_valid[i] = (i % 17) != 3;
  return Table({Column::from_strings("customer_id", id), Column::from_float64("tenure", tenure),
                Column::from_float64("monthly_charges", charges),
                Column::from_float64("sessions", sessions),
                Column::from_float64("crashes", crashes),
                Column::from_int64("tickets", tickets, tickets_valid),
                Column::from_strings_categorical("contract", contract, contract_valid),
                Column::from_strings("plan", plan)});
}

/// A pipeline with every step type.
Pipeline full_pipeline(int n_threads = 0) {
  Pipeline p(PipelineParams{n_threads});
  ImputeParams med;
  med.add_indicator = true;
  ImputeParams most;
  most.strategy = ImputeStrategy::MostFrequent;
  BinParams tenure_groups;
  tenure_groups.strategy = BinStrategy::Fixed;
  tenure_groups.edges = {12, 24, 48};
  tenure_groups.output = BinOutput::Categorical;
  tenure_groups.labels = {"0-1y", "1-2y", "2-4y", "4y+"};
  tenure_groups.suffix = "_group";
  BinParams qbins;
  qbins.n_bins = 4;
  qbins.suffix = "_q";
  OneHotParams oh;
  oh.unknown = UnknownCategory::Other;
  oh.min_count = 50;
  CombineParams per_crash;
  per_crash.denominator_offset = 0;
  per_crash.zero_division_fill = -1;
  p.impute({"tenure", "monthly_charges"}, med)
      .impute({"tickets"}, most)
      .clip({"monthly_charges"}, {0.05, 0.95})
      .ratio("sessions_per_crash", "sessions", "crashes", per_crash)
      .combine("charges_x_tenure", "monthly_charges", CombineOp::Multiply, "tenure")
      .bin({"tenure"}, tenure_groups)
      .bin({"sessions"}, qbins)
      .log1p({"sessions", "charges_x_tenure"})
      .scale({"tenure", "monthly_charges", "tickets"})
      .one_hot({"contract", "tenure_group"}, oh)
      .ordinal({"plan"})
      .drop({"customer_id"});
  return p;
}

std::vector<double> all_numeric(const Table& t) {
  std::vector<double> out;
  for (const auto& c : t.columns()) {
    if (c.dtype() != DType::Float64) continue;
    auto v = c.as_float64();
    out.insert(out.end(), v.data(), v.data() + v.size());
  }
  return out;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(features_pipeline)

// ---- each step against hand-computed references ---------------------------------------------

BOOST_AUTO_TEST_CASE(impute_median_mean_constant_most_frequent) {
  const Table t({Column::from_float64("odd", {1, kNaN, 10, 3, kNaN}),
                 Column::from_float64("even", {4, 1, kNaN, 10, 2}),
                 Column::from_float64("mode", {5, 2, 2, 5, kNaN}),
                 Column::from_int64("ints", {7, 0, 1, 3, 1}, {1, 0, 1, 1, 1})});
  Pipeline median;
  median.impute({"odd", "even"});
  const Table a = median.fit_transform(t);
  check_values(values(a, "odd"), {1, 3, 10, 3, 3}, "median of {1, 3, 10}");
  check_values(values(a, "even"), {4, 1, 3, 10, 2}, "median of {1, 2, 4, 10} = (2 + 4) / 2");

  Pipeline mean;
  mean.impute({"odd", "ints"}, {ImputeStrategy::Mean, 0.0, "missing", false});
  const Table b = mean.fit_transform(t);
  check_values(values(b, "odd"), {1, 14.0 / 3, 10, 3, 14.0 / 3}, "mean");
  BOOST_TEST((b.column("ints").dtype() == DType::Float64));
  check_values(values(b, "ints"), {7, 3, 1, 3, 1}, "int64 mean of {7, 1, 3, 1}");

  Pipeline constant;
  constant.impute({"odd"}, {ImputeStrategy::Constant, -7.5, "missing", true});
  const Table c = constant.fit_transform(t);
  check_values(values(c, "odd"), {1, -7.5, 10, 3, -7.5}, "constant");
  check_values(values(c, "odd_missing"), {0, 1, 0, 0, 1}, "indicator");
  BOOST_TEST(
      (c.column_names() == std::vector<std::string>{"odd", "odd_missing", "even", "mode", "ints"}));

  Pipeline mode;
  mode.impute({"mode"}, {ImputeStrategy::MostFrequent, 0.0, "missing", false});
  check_values(values(mode.fit_transform(t), "mode"), {5, 2, 2, 5, 2}, "tie 2 vs 5 -> 2");

  // fitted on one table, replayed on another: the training statistic is used
  const Table fresh({Column::from_float64("odd", {kNaN, 100}),
                     Column::from_float64("even", {kNaN, 0}), Column::from_float64("mode", {1, 1}),
                     Column::from_int64("ints", {1, 1})});
  check_values(values(median.transform(fresh), "odd"), {3, 100}, "replayed median");
}

BOOST_AUTO_TEST_CASE(impute_categorical) {
  const Table t(
      {Column::from_strings_categorical("plan", {"b", "a", "", "b", "a"}, {1, 1, 0, 1, 1})});
  Pipeline most;
  most.impute({"plan"}, {ImputeStrategy::MostFrequent, 0.0, "missing", true});
  const Table a = most.fit_transform(t);
  BOOST_TEST(a.column("plan").value_string(2) == "a");  // tie a/b -> smallest name
  BOOST_TEST(a.column("plan").null_count() == 0);
  check_values(values(a, "plan_missing"), {0, 0, 1, 0, 0}, "indicator");
  Pipeline constant;
  constant.impute({"plan"}, {ImputeStrategy::Constant, 0.0, "unknown", false});
  const Table b = constant.fit_transform(t);
  BOOST_TEST(b.column("plan").value_string(2) == "unknown");
  BOOST_TEST(b.column("plan").value_string(0) == "b");
  Pipeline median;
  median.impute({"plan"});
  BOOST_TEST((throws_with<churn::InvalidArgument>([&] { median.fit(t); }, {"plan", "median"})));
}

BOOST_AUTO_TEST_CASE(clip_to_quantiles) {
  // numpy.quantile([0, 10, 20, 30], 0.25) = 7.5, quantile(.., 0.9) = 27
  const Table t({Column::from_float64("x", {30, 0, kNaN, 20, 10})});
  Pipeline p;
  p.clip({"x"}, {0.25, 0.9});
  check_values(values(p.fit_transform(t), "x"), {27, 7.5, kNaN, 20, 10}, "clip");
  const Table fresh({Column::from_float64("x", {-1e9, 1e9, 8})});
  check_values(values(p.transform(fresh), "x"), {7.5, 27, 8}, "clip new data");
  Pipeline minmax;
  minmax.clip({"x"}, {0.0, 1.0});
  check_values(values(minmax.fit(t).transform(fresh), "x"), {0, 30, 8}, "min/max");
}

BOOST_AUTO_TEST_CASE(log1p_and_its_domain) {
  const Table t(
      {Column::from_float64("x", {0, 1, kNaN, -0.5}), Column::from_int64("n", {0, 3, 7, 0})});
  Pipeline p;
  p.log1p({"x", "n"});
  const Table out = p.fit_transform(t);
  check_values(values(out, "x"), {0, std::log1p(1.0), kNaN, std::log1p(-0.5)}, "log1p");
  check_values(values(out, "n"), {0, std::log(4.0), std::log(8.0), 0}, "log1p int64");
  const Table bad({Column::from_float64("x", {0, -1}), Column::from_int64("n", {0, 0})});
  BOOST_TEST(
      (throws_with<churn::InvalidArgument>([&] { p.transform(bad); }, {"'x'", "row 1", "> -1"})));
}

BOOST_AUTO_TEST_CASE(standard_scaling) {
  const Table t(
      {Column::from_float64("x", {1, 2, kNaN, 3, 4}), Column::from_float64("c", {5, 5, 5, 5, 5})});
  Pipeline p;
  p.scale({"x", "c"});
  const Table out = p.fit_transform(t);
  const double sd = std::sqrt(1.25);  // population sd of {1, 2, 3, 4}
  check_values(values(out, "x"), {-1.5 / sd, -0.5 / sd, kNaN, 0.5 / sd, 1.5 / sd}, "scaled");
  check_values(values(out, "c"), {0, 0, 0, 0, 0}, "constant column: std 1");
  Pipeline only_mean;
  only_mean.scale({"x"}, {true, false});
  check_values(values(only_mean.fit_transform(t), "x"), {-1.5, -0.5, kNaN, 0.5, 1.5}, "centred");
}

BOOST_AUTO_TEST_CASE(agrees_with_numpy_and_scikit_learn) {
  // 37 rounded lognormal values; references from numpy 2.4 (quantile, median) and
  // scikit-learn 1.9 (StandardScaler, KBinsDiscretizer(n_bins=4, strategy="quantile",
  // quantile_method="linear"))
  const std::vector<double> x = {
      27.2408,  7.0994,  42.5403, 51.4476, 2.8547,  5.462,   22.8246, 14.64,   19.7509, 8.5588,
      48.3951,  43.7194, 21.4566, 62.0066, 32.0568, 8.5055,  29.0422, 7.6992,  48.3492, 19.1074,
      16.6955,  10.1662, 68.2066, 17.2097, 13.0877, 14.1239, 34.2029, 28.9463, 30.3481, 30.902,
      170.9973, 13.3776, 12.0343, 8.9016,  37.1878, 62.1141, 17.9224};
  const Table t({Column::from_float64("x", x)});
  const std::vector<std::pair<double, double>> quantiles = {
      {0.01, 3.793328}, {0.05, 6.77192},           {1.0 / 3, 14.64},
      {0.5, 21.4566},   {0.95, 63.33259999999997}, {0.99, 133.99264800000006}};
  for (const auto& [q, want] : quantiles) {
    Pipeline p;
    p.clip({"x"}, {q, q});  // every value becomes the quantile
    const double got = values(p.fit_transform(t), "x")[0];
    BOOST_TEST(got == want, boost::test_tools::tolerance(1e-14));
  }
  Pipeline median;
  median.impute({"x"});
  const Table with_nan({Column::from_float64("x", {kNaN})});
  BOOST_TEST(values(median.fit(t).transform(with_nan), "x")[0] == 21.4566);
  Pipeline scale;
  scale.scale({"x"});
  const double z = values(scale.fit_transform(t), "x")[0];
  BOOST_TEST(z == (27.2408 - 29.977867567567568) / 29.080090212795998,
             boost::test_tools::tolerance(1e-13));
  BinParams quartiles;
  quartiles.n_bins = 4;
  Pipeline bins;
  bins.bin({"x"}, quartiles);
  const std::vector<double> want_codes = {2, 0, 3, 3, 0, 0, 2, 1, 1, 0, 3, 3, 2, 3, 2, 0, 2, 0, 3,
                                          1, 1, 0, 3, 1, 1, 1, 2, 2, 2, 2, 3, 1, 0, 0, 3, 3, 1};
  check_values(values(bins.fit_transform(t), "x"), want_codes, "KBinsDiscretizer codes");
}

BOOST_AUTO_TEST_CASE(one_hot_unknown_and_rare_categories) {
  const Table train({Column::from_strings_categorical(
      "contract", {"b", "a", "c", "a", "b", "a", "d", ""}, {1, 1, 1, 1, 1, 1, 1, 0})});
  // new data with another dictionary order, an unseen category and a missing value
  const Table fresh(
      {Column::from_strings_categorical("contract", {"z", "d", "a", "", "b"}, {1, 1, 1, 0, 1})});
  OneHotParams rare;
  rare.min_count = 2;  // a: 3, b: 2 kept; c, d: 1 -> other
  Pipeline p;
  p.one_hot({"contract"}, rare);
  const Table out = p.fit_transform(train);
  BOOST_TEST((p.feature_names_out() ==
              std::vector<std::string>{"contract_a", "contract_b", "contract_other"}));
  check_values(values(out, "contract_a"), {0, 1, 0, 1, 0, 1, 0, 0}, "a");
  check_values(values(out, "contract_other"), {0, 0, 1, 0, 0, 0, 1, 0}, "other");
  const Table f = p.transform(fresh);
  check_values(values(f, "contract_a"), {0, 0, 1, 0, 0}, "fresh a");
  check_values(values(f, "contract_b"), {0, 0, 0, 0, 1}, "fresh b");
  check_values(values(f, "contract_other"), {0, 1, 0, 0, 0}, "unknown z ignored, rare d other");

  OneHotParams other;
  other.unknown = UnknownCategory::Other;
  Pipeline q;
  q.one_hot({"contract"}, other);
  q.fit(train);
  BOOST_TEST(
      (q.feature_names_out() == std::vector<std::string>{"contract_a", "contract_b", "contract_c",
                                                         "contract_d", "contract_other"}));
  const Table g = q.transform(fresh);
  check_values(values(g, "contract_other"), {1, 0, 0, 0, 0}, "unknown z -> other");
  check_values(values(g, "contract_d"), {0, 1, 0, 0, 0}, "d");

  OneHotParams strict;
  strict.unknown = UnknownCategory::Error;
  Pipeline e;
  e.one_hot({"contract"}, strict);
  e.fit(train);
  BOOST_TEST((throws_with<churn::InvalidArgument>([&] { e.transform(fresh); },
                                                  {"'contract'", "'z'", "not seen in fit"})));
  // a string column encodes the same way
  const Table s({Column::from_strings("contract", {"b", "a", "c"})});
  check_values(values(e.transform(s), "contract_c"), {0, 0, 1}, "string input");
}

BOOST_AUTO_TEST_CASE(ordinal_codes) {
  const Table train({Column::from_strings("plan", {"pro", "basic", "plus", "basic"})});
  const Table fresh(
      {Column::from_strings_categorical("plan", {"plus", "gold", "", "pro"}, {1, 1, 0, 1})});
  Pipeline p;
  p.ordinal({"plan"});
  check_values(values(p.fit_transform(train), "plan"), {2, 0, 1, 0}, "sorted codes");
  check_values(values(p.transform(fresh), "plan"), {1, kNaN, kNaN, 2}, "unknown/missing NaN");
  Pipeline c;
  c.ordinal({"plan"}, {UnknownCategory::Ignore, true});
  const Table out = c.fit(train).transform(fresh);
  BOOST_TEST((out.column("plan").categories() == std::vector<std::string>{"basic", "plus", "pro"}));
  BOOST_TEST(out.column("plan").codes()[1] == -1);
  BOOST_TEST(out.column("plan").codes()[3] == 2);
  Pipeline e;
  e.ordinal({"plan"}, {UnknownCategory::Error, false});
  e.fit(train);
  BOOST_TEST((throws_with<churn::InvalidArgument>([&] { e.transform(fresh); }, {"plan", "gold"})));
  BOOST_CHECK_THROW(c.ordinal({"plan"}, {UnknownCategory::Other, false}), churn::InvalidArgument);
}

BOOST_AUTO_TEST_CASE(binning_edges) {
  const Table t({Column::from_float64("tenure", {0, 11.99, 12, 24, 47, 48, 100, kNaN})});
  BinParams fixed;
  fixed.strategy = BinStrategy::Fixed;
  fixed.edges = {12, 24, 48};
  Pipeline p;
  p.bin({"tenure"}, fixed);
  check_values(values(p.fit_transform(t), "tenure"), {0, 0, 1, 2, 2, 3, 3, kNaN},
               "left-closed bins");
  fixed.output = BinOutput::Categorical;
  fixed.suffix = "_group";
  Pipeline c;
  c.bin({"tenure"}, fixed);
  const Table out = c.fit_transform(t);
  BOOST_TEST((out.column_names() == std::vector<std::string>{"tenure", "tenure_group"}));
  BOOST_TEST((out.column("tenure_group").categories() ==
              std::vector<std::string>{"(-inf, 12)", "[12, 24)", "[24, 48)", "[48, inf)"}));
  BOOST_TEST(out.column("tenure_group").value_string(2) == "[12, 24)");
  BOOST_TEST(out.column("tenure_group").is_missing(7));

  // quantile bins of 1..8 at 1/4, 2/4, 3/4: 2.75, 4.5, 6.25 (numpy linear)
  const Table q({Column::from_float64("x", {8, 7, 6, 5, 4, 3, 2, 1})});
  BinParams quant;
  quant.n_bins = 4;
  Pipeline qb;
  qb.bin({"x"}, quant);
  qb.fit(q);
  const Table probe({Column::from_float64("x", {2.75 - 1e-9, 2.75, 4.5, 6.2, 6.25, 1e9})});
  check_values(values(qb.transform(probe), "x"), {0, 1, 2, 2, 3, 3}, "quantile edges");
  // few distinct values: duplicate edges removed
  const Table flat({Column::from_float64("x", {1, 1, 1, 1, 1, 1, 2, 3})});
  qb.fit(flat);
  check_values(values(qb.transform(flat), "x"), {0, 0, 0, 0, 0, 0, 1, 1}, "deduplicated");
  BOOST_CHECK_THROW(qb.bin({"x"},
                           [] {
                             BinParams b;
                             b.strategy = BinStrategy::Fixed;
                             b.edges = {3, 2};
                             return b;
                           }()),
                    churn::InvalidArgument);
}

BOOST_AUTO_TEST_CASE(binning_rejects_infinite_quantiles) {
  // np.quantile([1, inf], 0.5) and np.quantile([1, inf, inf, inf], 0.5) are NaN (inf - inf): a
  // NaN cut must not vanish (it fails `q > lowest`), the fit names the column
  const double inf = std::numeric_limits<double>::infinity();
  BinParams two;
  two.n_bins = 2;
  const Table t({Column::from_float64("ok", {1, 2, 3, 4}),
                 Column::from_float64("a", {1, kNaN, inf, kNaN}),
                 Column::from_float64("b", {inf, 1, inf, inf})});
  for (const char* bad : {"a", "b"}) {
    Pipeline p;
    p.bin({"ok", bad}, two);
    BOOST_TEST((throws_with<churn::InvalidArgument>(
                   [&] { p.fit(t); }, {std::string("'") + bad + "'", "infinite quantiles"})),
               bad);
  }
  // the first bad column in column order is named, whatever the thread count
  Pipeline both(PipelineParams{4});
  both.bin({"ok", "b", "a"}, two);
  BOOST_TEST((throws_with<churn::InvalidArgument>([&] { both.fit(t); }, {"'b'"})));
  // an infinite value no quantile reads is binned as any other: np.quantile([1, 2, 3, inf], 0.5)
  // = 2.5
  const Table far({Column::from_float64("x", {inf, 1, 2, 3})});
  Pipeline f;
  f.bin({"x"}, two);
  check_values(values(f.fit_transform(far), "x"), {1, 0, 0, 1}, "cut 2.5");
}

BOOST_AUTO_TEST_CASE(safe_division_and_interactions) {
  const Table t({Column::from_float64("a", {1, 2, 0, kNaN, 5, -3}),
                 Column::from_int64("b", {2, 0, 0, 0, 1, 4}, {1, 1, 1, 1, 0, 1})});
  Pipeline p;
  p.ratio("a_per_b", "a", "b");
  const Table out = p.fit_transform(t);
  check_values(values(out, "a_per_b"), {0.5, kNaN, kNaN, kNaN, kNaN, -0.75}, "NaN fill");
  BOOST_TEST((out.column_names() == std::vector<std::string>{"a", "b", "a_per_b"}));
  CombineParams fill;
  fill.zero_division_fill = 0;
  Pipeline f;
  f.ratio("r", "a", "b", fill);
  check_values(values(f.fit_transform(t), "r"), {0.5, 0, 0, kNaN, kNaN, -0.75}, "fill 0");
  CombineParams plus_one;
  plus_one.denominator_offset = 1;
  Pipeline o;
  o.ratio("r", "a", "b", plus_one);
  check_values(values(o.fit_transform(t), "r"), {1.0 / 3, 2, 0, kNaN, kNaN, -0.6}, "a/(b+1)");
  Pipeline m;
  m.combine("ab", "a", CombineOp::Multiply, "b").combine("d", "a", CombineOp::Subtract, "b");
  const Table mo = m.fit_transform(t);
  check_values(values(mo, "ab"), {2, 0, 0, kNaN, kNaN, -12}, "product");
  check_values(values(mo, "d"), {-1, 2, 0, kNaN, kNaN, -7}, "difference");
  Pipeline clash;
  clash.ratio("a", "a", "b");
  BOOST_TEST((throws_with<churn::InvalidArgument>([&] { clash.fit(t); }, {"'a'", "already"})));
}

BOOST_AUTO_TEST_CASE(drop_select_passthrough_and_matrix) {
  const Table t({Column::from_strings("id", {"x", "y"}), Column::from_float64("a", {1, 2}),
                 Column::from_int64("n", {3, 4}), Column::from_float64("b", {5, 6})});
  Pipeline p;
  p.drop({"id"});
  const Table out = p.fit_transform(t);
  BOOST_TEST((p.feature_names_out() == std::vector<std::string>{"a", "n", "b"}));
  BOOST_TEST((p.numeric_feature_names_out() == std::vector<std::string>{"a", "b"}));
  const churn::RowMatrix X = p.transform_matrix(t);
  BOOST_TEST(X.rows() == 2);
  BOOST_TEST(X.cols() == 2);
  BOOST_TEST(X(1, 0) == 2.0);
  BOOST_TEST(X(1, 1) == 6.0);
  // pass-through columns share the input's buffers
  BOOST_TEST(out.column("a").as_float64().data() == t.column("a").as_float64().data());
  // a dropped column may be absent at transform; extra columns are left out
  const Table fresh({Column::from_float64("b", {7}), Column::from_float64("extra", {0}),
                     Column::from_int64("n", {1}), Column::from_float64("a", {9})});
  BOOST_TEST((p.transform(fresh).column_names() == std::vector<std::string>{"a", "n", "b"}));
  Pipeline s;
  s.select({"b", "a"});
  BOOST_TEST((s.fit_transform(t).column_names() == std::vector<std::string>{"b", "a"}));
  BOOST_TEST(s.transform(Table({Column::from_float64("a", {1}), Column::from_float64("b", {2})}))
                 .num_columns() == 2);
}

// ---- bad input ------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(transform_errors_name_the_column) {
  const Table train = customers(300, 1);
  Pipeline p = full_pipeline();
  BOOST_CHECK_THROW(p.transform(train), churn::NotFittedError);
  BOOST_CHECK_THROW(p.to_json(), churn::NotFittedError);
  p.fit(train);
  BOOST_TEST((throws_with<churn::InvalidArgument>(
      [&] { p.transform(train.drop({"monthly_charges"})); }, {"'monthly_charges'", "missing"})));
  // the dropped id column may be absent
  BOOST_TEST(p.transform(train.drop({"customer_id"})).num_rows() == 300);
  Table wrong = train;
  wrong.set_column(Column::from_strings("tenure", std::vector<std::string>(300, "1")));
  BOOST_TEST(
      (throws_with<churn::TypeMismatch>([&] { p.transform(wrong); }, {"'tenure'", "string"})));
  Table wrong_cat = train;
  wrong_cat.set_column(Column::from_float64("contract", std::vector<double>(300, 1.0)));
  BOOST_TEST((throws_with<churn::TypeMismatch>([&] { p.transform(wrong_cat); }, {"'contract'"})));
  // an int64 column where training had float64 is accepted by numeric steps
  std::vector<std::int64_t> ints(300, 5);
  Table as_int = train;
  as_int.set_column(Column::from_int64("sessions", ints));
  BOOST_TEST(p.transform(as_int).num_rows() == 300);
  // fit errors
  Pipeline missing;
  missing.scale({"nope"});
  BOOST_TEST(
      (throws_with<churn::InvalidArgument>([&] { missing.fit(train); }, {"'nope'", "step 0"})));
  Pipeline all_nan;
  all_nan.impute({"x"});
  BOOST_TEST((throws_with<churn::InvalidArgument>(
      [&] {
        all_nan.fit(Table({Column::from_float64("x", {kNaN, kNaN})}));
      },
      {"'x'"})));
  BOOST_TEST(!all_nan.is_fitted());
  BOOST_CHECK_THROW(Pipeline().scale({}), churn::InvalidArgument);
  BOOST_CHECK_THROW(Pipeline().scale({"a", "a"}), churn::InvalidArgument);
  BOOST_CHECK_THROW(Pipeline().clip({"a"}, {0.5, 0.4}), churn::InvalidArgument);
  BOOST_CHECK_THROW(Pipeline(PipelineParams{-1}), churn::InvalidArgument);
}

BOOST_AUTO_TEST_CASE(new_category_under_error_policy) {
  Pipeline p;
  OneHotParams strict;
  strict.unknown = UnknownCategory::Error;
  p.one_hot({"contract"}, strict);
  p.fit(Table({Column::from_strings_categorical("contract", {"Monthly", "Annual"})}));
  BOOST_TEST((throws_with<churn::InvalidArgument>(
      [&] {
        p.transform(Table({Column::from_strings_categorical("contract", {"Annual", "Weekly"})}));
      },
      {"'contract'", "'Weekly'", "row 1"})));
}

// ---- replay and save/load -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(fit_transform_equals_transform_and_threads_do_not_matter) {
  const Table train = customers(100000, 7);
  Pipeline p = full_pipeline(0);
  const Table a = p.fit_transform(train);
  const Table b = p.transform(train);
  BOOST_TEST(a.column_names() == b.column_names(), boost::test_tools::per_element());
  BOOST_TEST(same_bits(all_numeric(a), all_numeric(b)));
  Pipeline one = full_pipeline(1);
  const Table c = one.fit_transform(train);
  BOOST_TEST(same_bits(all_numeric(a), all_numeric(c)));
  Pipeline two = full_pipeline(2);
  two.fit(train);
  BOOST_TEST(same_bits(all_numeric(a), all_numeric(two.transform(train))));
  BOOST_TEST(two.to_json()["state"].dump() == one.to_json()["state"].dump());
}

BOOST_AUTO_TEST_CASE(concurrent_transforms_agree) {
  const Table train = customers(20000, 11);
  Pipeline p = full_pipeline(1);
  p.fit(train);
  const auto want = all_numeric(p.transform(train));
  std::vector<std::vector<double>> got(4);
  std::vector<std::thread> threads;
  for (std::size_t k = 0; k < got.size(); ++k)
    threads.emplace_back([&, k] { got[k] = all_numeric(p.transform(train)); });
  for (auto& th : threads) th.join();
  for (const auto& g : got) BOOST_TEST(same_bits(g, want));
}

BOOST_AUTO_TEST_CASE(pass_through_types_and_step_listing) {
  const Table t({Column::from_timestamp("signup", {0, 86400000000000LL}),
                 Column::from_int64("n", {1, 2}), Column::from_float64("x", {1, 2})});
  Pipeline p;
  p.scale({"x"}).drop({"signup"});
  BOOST_TEST(p.n_steps() == 2);
  BOOST_TEST(p.step_type(0) == "scale");
  BOOST_TEST(p.step_type(1) == "drop");
  BOOST_CHECK_THROW(p.step_type(2), churn::InvalidArgument);
  BOOST_CHECK_THROW(p.feature_names_out(), churn::NotFittedError);
  p.fit(t);
  BOOST_TEST((p.feature_names_out() == std::vector<std::string>{"n", "x"}));
  // a pass-through int64 column that arrives as float64 changes the output: an error
  const Table changed({Column::from_float64("n", {1, 2}), Column::from_float64("x", {1, 2})});
  BOOST_TEST((throws_with<churn::TypeMismatch>([&] { p.transform(changed); }, {"'n'", "int64"})));
  // strings are not imputed (categorical columns are)
  Pipeline s;
  s.impute({"id"}, {ImputeStrategy::MostFrequent, 0.0, "missing", false});
  BOOST_TEST((throws_with<churn::TypeMismatch>(
      [&] {
        s.fit(Table({Column::from_strings("id", {"a", "b"})}));
      },
      {"'id'", "string"})));
  // refitting replaces the statistics
  Pipeline m;
  m.impute({"x"});
  m.fit(Table({Column::from_float64("x", {1, kNaN, 3})}));
  m.fit(Table({Column::from_float64("x", {10, kNaN, 30})}));
  check_values(values(m.transform(Table({Column::from_float64("x", {kNaN})})), "x"), {20}, "refit");
}

BOOST_AUTO_TEST_CASE(save_load_transforms_bit_identically) {
  const Table train = customers(5000, 3);
  const Table test = customers(3000, 4);
  Pipeline p = full_pipeline();
  p.fit(train);
  const Table before = p.transform(test);
  BOOST_TEST(p.feature_names_out().size() > 15u);

  const auto dir = std::filesystem::temp_directory_path() / "churn_test_pipeline";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "features.json").string();
  p.save(path);
  const Pipeline loaded = Pipeline::load(path);
  const Table after = loaded.transform(test);
  BOOST_TEST(loaded.feature_names_out() == p.feature_names_out(), boost::test_tools::per_element());
  BOOST_TEST(same_bits(all_numeric(before), all_numeric(after)));
  for (const auto& c : before.columns()) {
    if (c.dtype() != DType::Categorical) continue;
    const auto x = c.codes();
    const auto y = after.column(c.name()).codes();
    BOOST_TEST((x == y), c.name());
    BOOST_TEST(c.categories() == after.column(c.name()).categories(),
               boost::test_tools::per_element());
  }
  // the JSON text round-trips to the same text
  BOOST_TEST(Pipeline::from_json(churn::parse_json(p.to_json().dump())).to_json().dump() ==
             p.to_json().dump());
  const Json doc = p.to_json();
  BOOST_TEST(doc["kind"] == "FeaturePipeline");
  // copies are deep and independent
  Pipeline copy = p;
  p.scale({"tenure_missing"});
  BOOST_TEST(!p.is_fitted());
  BOOST_TEST(copy.is_fitted());
  BOOST_TEST(same_bits(all_numeric(before), all_numeric(copy.transform(test))));
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(damaged_documents_are_rejected) {
  Pipeline p = full_pipeline();
  p.fit(customers(500, 5));
  const Json doc = p.to_json();
  const std::string text = doc.dump();
  // truncations
  for (std::size_t cut : {std::size_t{0}, std::size_t{1}, text.size() / 3, text.size() / 2,
                          text.size() - 2, text.size() - 1}) {
    BOOST_CHECK_THROW(Pipeline::from_json(churn::parse_json(text.substr(0, cut))),
                      churn::SerializationError);
  }
  auto rejects = [&](const std::string& what, auto&& mutate) {
    Json d = doc;
    mutate(d);
    bool ok = false;
    try {
      Pipeline::from_json(d);
    } catch (const churn::SerializationError& e) {
      ok = true;
      BOOST_TEST_MESSAGE(what << ": " << e.what());
    } catch (const std::exception& e) {
      BOOST_TEST_MESSAGE(what << ": wrong exception: " << e.what());
    }
    BOOST_TEST(ok, what);
  };
  const Json& steps0 = doc;
  std::size_t bin_step = 0, one_hot_step = 0, scale_step = 0;
  for (std::size_t i = 0; i < steps0["state"]["steps"].size(); ++i) {
    const std::string type = steps0["state"]["steps"][i]["type"];
    if (type == "bin" && bin_step == 0) bin_step = i;
    if (type == "one_hot") one_hot_step = i;
    if (type == "scale") scale_step = i;
  }
  rejects("another kind", [](Json& d) { d["kind"] = "LogisticRegression"; });
  rejects("newer major", [](Json& d) { d["version"] = "2.0"; });
  rejects("unknown state member", [](Json& d) { d["state"]["extra"] = 1; });
  rejects("unknown step member", [](Json& d) { d["state"]["steps"][0]["extra"] = 1; });
  rejects("unknown step param", [](Json& d) { d["state"]["steps"][0]["params"]["x"] = 1; });
  rejects("unknown step type", [](Json& d) { d["state"]["steps"][0]["type"] = "magic"; });
  rejects("steps not a list", [](Json& d) { d["state"]["steps"] = 3; });
  rejects("missing state field", [](Json& d) { d["state"].erase("input_columns"); });
  rejects("n_threads string", [](Json& d) { d["params"]["n_threads"] = "2"; });
  rejects("unsorted cuts", [&](Json& d) {
    d["state"]["steps"][bin_step]["state"]["cuts"][0] = Json::array({48, 12, 24});
  });
  rejects("cuts count", [&](Json& d) {
    d["state"]["steps"][bin_step]["state"]["cuts"][0] = Json::array({1, 2});
  });
  rejects("negative scale",
          [&](Json& d) { d["state"]["steps"][scale_step]["state"]["scale"][0] = -1.0; });
  rejects("scale count",
          [&](Json& d) { d["state"]["steps"][scale_step]["state"]["scale"].erase(0); });
  rejects("repeated category", [&](Json& d) {
    auto& cats = d["state"]["steps"][one_hot_step]["state"]["categories"][0];
    cats.push_back(cats[0]);
  });
  rejects("renamed output", [](Json& d) { d["state"]["feature_names_out"][0] = "renamed"; });
  rejects("missing output", [](Json& d) { d["state"]["feature_names_out"].erase(0); });
  rejects("renamed input", [](Json& d) { d["state"]["input_columns"][1]["name"] = "x"; });
  rejects("bad dtype", [](Json& d) { d["state"]["input_columns"][1]["dtype"] = "complex"; });
  rejects("step column renamed",
          [&](Json& d) { d["state"]["steps"][scale_step]["params"]["columns"][0] = "nope"; });
  rejects("impute value not a number",
          [](Json& d) { d["state"]["steps"][0]["state"]["values"][0] = Json::object(); });
  rejects("min_count zero",
          [&](Json& d) { d["state"]["steps"][one_hot_step]["params"]["min_count"] = 0; });
  BOOST_CHECK_THROW(Pipeline::load("/nonexistent/dir/pipe.json"), churn::IOError);
}

BOOST_AUTO_TEST_CASE(random_mutations_never_crash) {
  // every leaf of a saved pipeline replaced by junk, or removed: loading either fails with
  // SerializationError or gives a pipeline whose transform succeeds or throws a churn::Error
  const Table data = customers(400, 21);
  Pipeline p = full_pipeline(1);
  p.fit(data);
  const Json doc = p.to_json();
  const std::vector<Json> junk = {
      Json(nullptr),         Json(-1),      Json(0),        Json(1e300), Json("nan"),
      Json("zzz"),           Json::array(), Json::object(), Json(true),  Json(2147483648LL),
      Json::array({1, 2, 3})};
  churn_test::JsonMutator mutate(doc, junk, 5);
  int loaded = 0, rejected = 0;
  for (int it = 0; it < 600; ++it) {
    const Json d = mutate.next();
    try {
      const Pipeline q = Pipeline::from_json(d);
      ++loaded;
      try {
        q.transform(data);
      } catch (const churn::Error&) {
      }
    } catch (const churn::SerializationError&) {
      ++rejected;
    }
  }
  BOOST_TEST(rejected > 300);
  BOOST_TEST_MESSAGE("mutations: " << loaded << " loaded, " << rejected << " rejected");
}

// ---- join_events: event features on the customer table -------------------------------------

namespace {

constexpr std::int64_t kDay = 86400LL * 1000000000LL;

struct EventData {
  Table customers;
  Table events;
  std::int64_t as_of;
};

EventData event_data(Index n, std::uint64_t seed) {
  churn::data::CustomerOptions co;
  co.n_customers = n;
  co.seed = seed;
  churn::data::EventOptions eo;
  eo.n_customers = n;
  eo.seed = seed + 1;
  eo.events_per_customer = 15;
  // the customer table's days_since_last_login would collide with the event feature of the
  // same name (join_events_errors checks that collision and the prefix that avoids it)
  return {churn::data::make_customers(co).drop({"days_since_last_login"}),
          churn::data::make_events(eo), eo.end - 10 * kDay};
}

EventAggregationSpec event_spec() {
  EventAggregationSpec s;
  s.windows_days = {7, 30};
  s.amount_column = "amount";
  s.amount_event_types = {"purchase"};
  return s;
}

/// Rows of `t` whose `event_type` is not `type`.
Table without_type(const Table& t, const std::string& type) {
  const Column& c = t.column("event_type");
  std::vector<Index> rows;
  for (Index i = 0; i < t.num_rows(); ++i)
    if (c.value_string(i) != type) rows.push_back(i);
  return t.take(rows);
}

}  // namespace

BOOST_AUTO_TEST_CASE(join_events_appends_the_aggregated_features) {
  const EventData d = event_data(1500, 31);
  const EventAggregationSpec s = event_spec();
  Pipeline p;
  p.join_events(s);
  BOOST_TEST(p.joins_events());
  const Table out = p.fit_transform(d.customers, d.events, d.as_of);
  const Table want = aggregate_events(d.events, d.customers.column("customer_id"), d.as_of, s);
  // the customer columns first, unchanged, then the event features, bit for bit
  BOOST_TEST_REQUIRE(out.num_columns() == d.customers.num_columns() + want.num_columns() - 1);
  for (Index k = 0; k < d.customers.num_columns(); ++k)
    BOOST_TEST(out.column(k).name() == d.customers.column(k).name());
  for (Index k = 1; k < want.num_columns(); ++k) {
    const std::string& name = want.column(k).name();
    BOOST_TEST(same_bits(values(out, name), values(want, name)), name);
  }
  BOOST_TEST(out.has_column("crash_count_30d"));
  BOOST_TEST(out.has_column("purchase_amount_sum_7d"));
  // transform replays it, and fixes the event types found in fit: scoring events without any
  // crash still give the crash columns (zero counts)
  BOOST_TEST(same_bits(all_numeric(out), all_numeric(p.transform(d.customers, d.events, d.as_of))));
  const Table no_crash = without_type(d.events, "crash");
  const Table scored = p.transform(d.customers, no_crash, d.as_of);
  const auto crashes = values(scored, "crash_count_30d");
  BOOST_TEST(std::all_of(crashes.begin(), crashes.end(), [](double v) { return v == 0.0; }));
  BOOST_TEST(p.event_spec().event_types.empty());  // the spec as given
  // a refit rediscovers the types
  Pipeline q;
  q.join_events(s);
  BOOST_TEST(!q.fit_transform(d.customers, no_crash, d.as_of).has_column("crash_count_30d"));
  q.fit(d.customers, d.events, d.as_of);
  BOOST_TEST(q.feature_names_out() == p.feature_names_out(), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(join_events_with_steps_and_a_per_row_as_of) {
  const EventData d = event_data(1200, 41);
  // training snapshots: each row has its own as-of, some customers twice
  std::vector<Index> rows;
  for (Index i = 0; i < d.customers.num_rows(); ++i) rows.push_back(i);
  for (Index i = 0; i < 300; ++i) rows.push_back(i * 3);
  Table snap = d.customers.take(rows);
  std::vector<std::int64_t> as_of;
  for (std::size_t i = 0; i < rows.size(); ++i)
    as_of.push_back(d.as_of - static_cast<std::int64_t>(i % 40) * kDay);
  snap.add_column(Column::from_timestamp("snapshot_date", as_of));

  EventJoinParams jp;
  jp.as_of_column = "snapshot_date";
  ImputeParams median;
  median.add_indicator = true;
  Pipeline p;
  p.join_events(event_spec(), jp)
      .impute({"days_since_last_event", "purchase_amount_mean_30d"}, median)
      .log1p({"purchase_amount_sum_30d"})
      .ratio("crashes_per_login", "crash_count_30d", "login_count_30d", {kNaN, 1.0})
      .scale({"login_count_30d"})
      .drop({"customer_id", "signup_date", "snapshot_date"});
  const Table out = p.fit_transform(snap, d.events, std::nullopt);
  const Table agg = aggregate_events(d.events, snap, "snapshot_date", event_spec());

  // hand-replayed references for a few steps
  const auto last = values(agg, "days_since_last_event");
  std::vector<double> seen;
  for (double v : last)
    if (!std::isnan(v)) seen.push_back(v);
  BOOST_TEST_REQUIRE(seen.size() < last.size());  // some rows have no event
  std::sort(seen.begin(), seen.end());
  const std::size_t m = seen.size();
  const double median_value = m % 2 ? seen[m / 2] : 0.5 * (seen[m / 2 - 1] + seen[m / 2]);
  const auto got = values(out, "days_since_last_event");
  const auto ind = values(out, "days_since_last_event_missing");
  for (std::size_t i = 0; i < last.size(); ++i) {
    BOOST_TEST(got[i] == (std::isnan(last[i]) ? median_value : last[i]), "row " << i);
    BOOST_TEST(ind[i] == (std::isnan(last[i]) ? 1.0 : 0.0));
  }
  const auto crash = values(agg, "crash_count_30d"), login = values(agg, "login_count_30d");
  const auto ratio = values(out, "crashes_per_login");
  for (std::size_t i = 0; i < crash.size(); ++i)
    BOOST_TEST(ratio[i] == crash[i] / (login[i] + 1.0));
  BOOST_TEST(!out.has_column("snapshot_date"));

  // saved and loaded: the same features, bit for bit
  const Pipeline back = Pipeline::from_json(churn::parse_json(p.to_json().dump()));
  BOOST_TEST(back.joins_events());
  BOOST_TEST(back.event_join_params().as_of_column == "snapshot_date");
  BOOST_TEST(
      same_bits(all_numeric(out), all_numeric(back.transform(snap, d.events, std::nullopt))));
  BOOST_TEST(back.to_json().dump() == p.to_json().dump());
}

BOOST_AUTO_TEST_CASE(join_events_errors) {
  const EventData d = event_data(300, 51);
  Pipeline p;
  p.join_events(event_spec());
  using churn::InvalidArgument;
  BOOST_TEST(throws_with<InvalidArgument>([&] { p.fit(d.customers); }, {"join_events"}));
  BOOST_TEST(
      throws_with<InvalidArgument>([&] { p.fit(d.customers, d.events, std::nullopt); }, {"as_of"}));
  BOOST_TEST(
      throws_with<InvalidArgument>([&] { p.fit(d.customers, d.events, churn::kNaT); }, {"as_of"}));
  BOOST_TEST(throws_with<InvalidArgument>([&] { Pipeline(p).join_events(event_spec()); },
                                          {"at most one"}));
  BOOST_TEST(throws_with<InvalidArgument>([&] { Pipeline().drop({"x"}).join_events(event_spec()); },
                                          {"before every other step"}));
  BOOST_TEST(throws_with<InvalidArgument>([&] { Pipeline().fit(d.customers, d.events, d.as_of); },
                                          {"no join_events"}));
  EventAggregationSpec bad = event_spec();
  bad.windows_days = {};
  BOOST_CHECK_THROW(Pipeline().join_events(bad), InvalidArgument);
  // an event column missing, an id column missing, a name collision
  BOOST_TEST(throws_with<InvalidArgument>(
      [&] { p.fit(d.customers, d.events.drop({"amount"}), d.as_of); }, {"amount"}));
  BOOST_TEST(throws_with<InvalidArgument>(
      [&] { p.fit(d.customers.drop({"customer_id"}), d.events, d.as_of); }, {"customer_id"}));
  Table clash = d.customers;
  clash.add_column(Column::from_float64("login_count_7d", std::vector<double>(300, 1.0)));
  BOOST_TEST(throws_with<InvalidArgument>([&] { p.fit(clash, d.events, d.as_of); },
                                          {"login_count_7d", "customer table"}));
  {  // a prefix keeps them apart
    EventJoinParams pre;
    pre.prefix = "ev_";
    Pipeline r;
    r.join_events(event_spec(), pre).scale({"ev_login_count_7d"});
    const Table t = r.fit_transform(clash, d.events, d.as_of);
    BOOST_TEST(t.has_column("login_count_7d"));
    BOOST_TEST(t.has_column("ev_purchase_amount_sum_30d"));
    const Pipeline back = Pipeline::from_json(r.to_json());
    BOOST_TEST(same_bits(all_numeric(t), all_numeric(back.transform(clash, d.events, d.as_of))));
    Json doc = r.to_json();
    doc["state"]["join_events"]["prefix"] = "xx_";
    BOOST_CHECK_THROW(Pipeline::from_json(doc), churn::SerializationError);
  }
  BOOST_TEST(!p.is_fitted());  // failed fits leave it unfitted
  EventJoinParams jp;
  jp.as_of_column = "signup_date";
  Pipeline q;
  q.join_events(event_spec(), jp);
  BOOST_TEST(throws_with<InvalidArgument>([&] { q.fit(d.customers, d.events, d.as_of); },
                                          {"signup_date", "must not be given"}));
  p.fit(d.customers, d.events, d.as_of);
  BOOST_TEST(throws_with<InvalidArgument>([&] { p.transform(d.customers); }, {"join_events"}));
  BOOST_CHECK_THROW(p.transform(d.customers, d.events, std::nullopt), InvalidArgument);
  // a failed refit keeps the previous fit
  const Table before = p.transform(d.customers, d.events, d.as_of);
  BOOST_CHECK_THROW(p.fit(clash, d.events, d.as_of), InvalidArgument);
  BOOST_TEST(p.is_fitted());
  BOOST_TEST(
      same_bits(all_numeric(before), all_numeric(p.transform(d.customers, d.events, d.as_of))));
  // no typed event before the as-of: the per-type columns cannot be fixed
  BOOST_TEST(throws_with<InvalidArgument>(
      [&] { Pipeline().join_events(event_spec()).fit(d.customers, d.events, 0); },
      {"event_types"}));
}

BOOST_AUTO_TEST_CASE(join_events_damaged_documents_are_rejected) {
  const EventData d = event_data(300, 61);
  Pipeline p;
  p.join_events(event_spec()).scale({"login_count_7d"});
  p.fit(d.customers, d.events, d.as_of);
  const Json doc = p.to_json();
  auto rejects = [&](const std::string& what, auto&& mutate) {
    Json j = doc;
    mutate(j["state"]["join_events"]);
    BOOST_CHECK_THROW(Pipeline::from_json(j), churn::SerializationError);
    BOOST_TEST_MESSAGE(what);
  };
  rejects("unknown member", [](Json& j) { j["extra"] = 1; });
  rejects("renamed feature", [](Json& j) { j["feature_names"][0] = "x"; });
  rejects("a type less", [](Json& j) { j["event_types"].erase(0); });
  rejects("spec window", [](Json& j) { j["spec"]["windows_days"] = Json::array({-3}); });
  rejects("spec unknown field", [](Json& j) { j["spec"]["magic"] = true; });
  rejects("as_of_column not text", [](Json& j) { j["as_of_column"] = 3; });
  rejects("missing spec", [](Json& j) { j.erase("spec"); });
  // the flattened-document mutation test of the pipeline covers the rest; here every leaf of
  // the join_events member replaced by junk must load or be rejected, never crash
  const Json flat = doc["state"]["join_events"].flatten();
  std::mt19937_64 rng(9);
  const std::vector<Json> junk = {Json(nullptr), Json(-1),       Json("zzz"),
                                  Json::array(), Json::object(), Json(1e300)};
  for (auto it = flat.begin(); it != flat.end(); ++it)
    for (const Json& v : junk) {
      Json j = doc;
      j["state"]["join_events"].at(Json::json_pointer(it.key())) = v;
      try {
        const Pipeline q = Pipeline::from_json(j);
        try {
          q.transform(d.customers, d.events, d.as_of);
        } catch (const churn::Error&) {
        }
      } catch (const churn::SerializationError&) {
      }
    }
}

// ---- a pipeline file written by Python ---------------------------------------------------------

namespace {

/// A table from the fixture's {name: {dtype, values}} object (null = missing).
Table fixture_table(const Json& cols) {
  std::vector<Column> out;
  for (auto it = cols.begin(); it != cols.end(); ++it) {
    const std::string dtype = it.value()["dtype"];
    const Json& v = it.value()["values"];
    if (dtype == "float64") {
      std::vector<double> x;
      for (const auto& e : v) x.push_back(e.is_null() ? kNaN : e.get<double>());
      out.push_back(Column::from_float64(it.key(), std::move(x)));
    } else if (dtype == "timestamp") {
      std::vector<std::int64_t> x;
      for (const auto& e : v) x.push_back(e.is_null() ? churn::kNaT : e.get<std::int64_t>());
      out.push_back(Column::from_timestamp(it.key(), std::move(x)));
    } else {
      std::vector<std::string> x;
      std::vector<std::uint8_t> valid;
      for (const auto& e : v) {
        x.push_back(e.is_null() ? std::string() : e.get<std::string>());
        valid.push_back(e.is_null() ? 0 : 1);
      }
      out.push_back(dtype == "categorical"
                        ? Column::from_strings_categorical(it.key(), x, valid)
                        : Column::from_strings(it.key(), std::move(x), std::move(valid)));
    }
  }
  return Table(std::move(out));
}

}  // namespace

BOOST_AUTO_TEST_CASE(python_fixture_replays_bit_identically) {
  // Written by python/tests/test_features_pipeline.py --write-fixture (which checks the same
  // numbers from Python): a pipeline with an event join, imputation, clipping, a ratio, log1p,
  // fixed bins, scaling, one-hot with an `other` column, ordinal codes and a drop.
  const Json doc =
      churn::load_json_file(std::string(CHURN_TEST_DATA_DIR) + "/pipeline_fixture.json");
  const Pipeline p = Pipeline::from_json(doc["pipeline"]);
  BOOST_TEST(p.joins_events());
  const Table customers = fixture_table(doc["customers"]);
  const Table events = fixture_table(doc["events"]);
  const churn::RowMatrix X =
      p.transform_matrix(customers, events, doc["as_of"].get<std::int64_t>());
  const auto names = doc["output_names"].get<std::vector<std::string>>();
  BOOST_TEST(p.numeric_feature_names_out() == names, boost::test_tools::per_element());
  const Json& rows = doc["output"];
  BOOST_TEST_REQUIRE(X.rows() == static_cast<Index>(rows.size()));
  BOOST_TEST_REQUIRE(X.cols() == static_cast<Index>(names.size()));
  Index differ = 0;
  for (Index i = 0; i < X.rows(); ++i)
    for (Index j = 0; j < X.cols(); ++j) {
      const Json& v = rows[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)];
      const double want = v.is_null() ? kNaN : v.get<double>();
      const double got = X(i, j);
      if (std::memcmp(&want, &got, sizeof(double)) != 0 && !(std::isnan(want) && std::isnan(got)))
        ++differ;
    }
  BOOST_TEST(differ == 0);
}

BOOST_AUTO_TEST_CASE(step_options_and_inputs_come_from_cpp) {
  // what a wrapper needs to rebuild a loaded pipeline, without reading the saved document
  Pipeline p;
  BinParams b;
  b.strategy = BinStrategy::Fixed;
  b.edges = {0.0, 1.0};
  CombineParams c;
  c.zero_division_fill = std::numeric_limits<double>::quiet_NaN();
  p.bin({"x"}, b).ratio("x_per_y", "x", "y", c);
  Table t;
  t.add_column(Column::from_float64("x", {0.5, 2.0, -1.0, 0.2}));
  t.add_column(Column::from_float64("y", {1.0, 0.0, 2.0, 4.0}));
  p.fit(t);
  BOOST_TEST(p.step_type(0) == "bin");
  const Json bin = p.step_options(0);
  BOOST_TEST((bin.at("edges") == Json::array({0.0, 1.0})));
  BOOST_TEST((bin.at("columns") == Json::array({"x"})));
  const Json ratio = p.step_options(1);
  BOOST_TEST(std::isnan(ratio.at("zero_division_fill").get<double>()));
  BOOST_TEST(p.to_json()["state"]["steps"][1]["params"]["zero_division_fill"] == "nan");  // text
  BOOST_TEST(ratio.at("output") == "x_per_y");
  BOOST_CHECK_THROW(p.step_options(2), churn::InvalidArgument);
  BOOST_TEST((p.feature_names_in() == std::vector<std::string>{"x", "y"}));
  BOOST_TEST((Pipeline::from_json(p.to_json()).feature_names_in() == p.feature_names_in()));
  BOOST_CHECK_THROW(Pipeline().feature_names_in(), churn::NotFittedError);
}

BOOST_AUTO_TEST_CASE(add_step_from_options_equals_the_builders) {
  // one list of settings per step: keyword options build the same pipeline as the typed
  // builder methods, and step_options / step_defaults read it back
  Pipeline typed;
  ImputeParams med;
  med.add_indicator = true;
  BinParams b;
  b.strategy = BinStrategy::Fixed;
  b.edges = {1.0, 2.0};
  CombineParams c;
  c.denominator_offset = 1.0;
  typed.impute({"x"}, med).bin({"x"}, b).ratio("x_per_y", "x", "y", c).drop({"y"});
  Pipeline opts;
  opts.add_step("impute", Json{{"columns", {"x"}}, {"add_indicator", true}})
      .add_step("bin", Json{{"columns", {"x"}}, {"strategy", "fixed"}, {"edges", {1.0, 2.0}}})
      .add_step("combine", Json{{"output", "x_per_y"},
                                {"a", "x"},
                                {"op", "divide"},
                                {"b", "y"},
                                {"denominator_offset", 1.0}})
      .add_step("drop", Json{{"columns", {"y"}}});
  Table t;
  t.add_column(Column::from_float64("x", {0.5, 2.0, std::nan(""), 1.2}));
  t.add_column(Column::from_float64("y", {1.0, 0.0, 2.0, 4.0}));
  typed.fit(t);
  opts.fit(t);
  BOOST_TEST(typed.to_json() == opts.to_json());
  for (Index i = 0; i < typed.n_steps(); ++i) {
    const Json o = typed.step_options(i);
    // (dump: the ratio's NaN fill compares unequal to itself as a number)
    BOOST_TEST(Pipeline().add_step(typed.step_type(i), o).step_options(0).dump() == o.dump());
  }
  const Json d = Pipeline::step_defaults("impute");
  BOOST_TEST(d.at("strategy") == "median");
  BOOST_TEST(d.at("fill_category") == "missing");
  BOOST_TEST(d.at("columns").empty());
  BOOST_TEST(std::isnan(Pipeline::step_defaults("combine").at("zero_division_fill").get<double>()));
  BOOST_TEST(throws_with<churn::TypeMismatch>(
      [] {
        Pipeline().add_step("scale", Json{{"columns", {"a"}}, {"bogus", 1}});
      },
      "Pipeline::add_step(scale): got an unexpected argument 'bogus'"));
  BOOST_TEST(throws_with<churn::TypeMismatch>(
      [] {
        Pipeline().add_step("combine", Json{{"a", "x"}, {"op", "add"}, {"b", "y"}});
      },
      "missing argument 'output'"));
  BOOST_TEST(throws_with<churn::TypeMismatch>(
      [] {
        Pipeline().add_step("scale", Json{{"columns", {"a"}}, {"with_mean", "yes"}});
      },
      "with_mean must be a bool"));
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [] {
        Pipeline().add_step(
            "clip", Json{{"columns", {"a"}}, {"lower_quantile", 0.9}, {"upper_quantile", 0.1}});
      },
      "quantile"));
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [] { Pipeline().add_step("magic", Json::object()); }, "unknown step type 'magic'"));
  BOOST_CHECK_THROW(Pipeline::step_defaults("magic"), churn::InvalidArgument);
}

// ---- where the output columns come from ----------------------------------------------------

namespace {

using Sources = std::map<std::string, std::vector<std::string>>;

/// feature_names_out() -> feature_sources(), as a map.
Sources sources_of(const Pipeline& p) {
  Sources out;
  const auto& names = p.feature_names_out();
  const auto src = p.feature_sources();
  BOOST_TEST_REQUIRE(src.size() == names.size());
  for (std::size_t j = 0; j < names.size(); ++j) out[names[j]] = src[j];
  return out;
}

void check_sources(const Sources& got, const Sources& want) {
  BOOST_TEST(got.size() == want.size());
  for (const auto& [name, sources] : want) {
    auto it = got.find(name);
    BOOST_TEST_REQUIRE((it != got.end()), "no output column " << name);
    BOOST_TEST(it->second == sources, boost::test_tools::per_element());
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(feature_sources_of_every_step_type) {
  const Table t(
      {Column::from_strings("id", {"u", "v", "w", "x"}), Column::from_float64("a", {1, kNaN, 3, 4}),
       Column::from_int64("b", {1, 2, 0, 5}),
       Column::from_strings_categorical("c", {"p", "q", "p", ""}, {1, 1, 1, 0}),
       Column::from_strings("d", {"k", "l", "k", "l"}), Column::from_float64("e", {5, 6, 7, 8}),
       Column::from_float64("f", {0, 1, 2, 3}), Column::from_float64("g", {1, 10, 20, 30}),
       Column::from_float64("h", {1, 2, 3, 4}), Column::from_float64("unused", {0, 0, 0, 0})});
  ImputeParams median;
  median.add_indicator = true;
  ImputeParams most;
  most.strategy = ImputeStrategy::MostFrequent;
  most.add_indicator = true;
  BinParams fixed;
  fixed.strategy = BinStrategy::Fixed;
  fixed.edges = {5, 15};
  fixed.suffix = "_bin";
  BinParams halves;
  halves.n_bins = 2;
  Pipeline p;
  p.impute({"a"}, median)                            // a, a_missing <- a
      .impute({"c"}, most)                           // c, c_missing <- c (categorical)
      .clip({"e"}, {0.0, 1.0})                       // in place
      .log1p({"f"})                                  // in place
      .ratio("a_per_b", "a", "b")                    // <- a, b
      .one_hot({"c"})                                // c_p, c_q <- c
      .ratio("chain", "a_per_b", "c_q")              // <- a, b, c
      .combine("ee", "e", CombineOp::Multiply, "e")  // <- e (once)
      .ordinal({"d"})                                // in place
      .bin({"g"}, fixed)                             // g, g_bin <- g
      .bin({"e"}, halves)                            // in place
      .scale({"a"})                                  // in place
      .drop({"id", "unused"})
      .select({"chain", "a", "a_missing", "b", "c_missing", "c_p", "c_q", "d", "e", "f", "g",
               "g_bin", "a_per_b", "ee"});  // h is left out
  p.fit(t);
  check_sources(sources_of(p), {{"chain", {"a", "b", "c"}},
                                {"a", {"a"}},
                                {"a_missing", {"a"}},
                                {"b", {"b"}},
                                {"c_missing", {"c"}},
                                {"c_p", {"c"}},
                                {"c_q", {"c"}},
                                {"d", {"d"}},
                                {"e", {"e"}},
                                {"f", {"f"}},
                                {"g", {"g"}},
                                {"g_bin", {"g"}},
                                {"a_per_b", {"a", "b"}},
                                {"ee", {"e"}}});
  // the contribution columns: raw columns a float64 output comes from, in input order
  BOOST_TEST((p.source_columns() == std::vector<std::string>{"a", "b", "c", "d", "e", "f", "g"}));
  // the answer survives a save and load, and a copy
  const Pipeline back = Pipeline::from_json(churn::parse_json(p.to_json().dump()));
  BOOST_TEST(back.feature_sources() == p.feature_sources());
  BOOST_TEST(Pipeline(p).feature_sources() == p.feature_sources());
  // a column that only passes through (a string, an int64) is its own source but no
  // contribution column (only float64 columns reach transform_matrix)
  Pipeline pass;
  pass.scale({"a"}).drop({"c", "d", "unused"});
  pass.fit(t);
  BOOST_TEST(sources_of(pass).at("id") == std::vector<std::string>{"id"});
  BOOST_TEST((pass.source_columns() == std::vector<std::string>{"a", "e", "f", "g", "h"}));
}

BOOST_AUTO_TEST_CASE(feature_sources_need_a_fitted_pipeline) {
  Pipeline p;
  p.scale({"a"});
  BOOST_CHECK_THROW(p.feature_sources(), churn::NotFittedError);
  BOOST_CHECK_THROW(p.source_columns(), churn::NotFittedError);
  BOOST_CHECK_THROW(p.contributions_by_source(churn::RowMatrix::Zero(1, 1)), churn::NotFittedError);
}

BOOST_AUTO_TEST_CASE(contributions_by_source_by_hand) {
  const Table t({Column::from_float64("x", {1, 2, 3}), Column::from_float64("y", {4, 5, 6}),
                 Column::from_strings("z", {"p", "q", "p"}),
                 Column::from_strings("id", {"a", "b", "c"})});
  Pipeline p;
  p.one_hot({"z"}).ratio("xy", "x", "y");
  p.fit(t);
  BOOST_TEST_REQUIRE(
      (p.numeric_feature_names_out() == std::vector<std::string>{"x", "y", "z_p", "z_q", "xy"}));
  BOOST_TEST((p.source_columns() == std::vector<std::string>{"x", "y", "z"}));
  churn::RowMatrix c(2, 5);
  c << 1, 2, 3, 4, 10,  //
      -1, 0.5, 0, 2, -3;
  // xy's contribution is split equally between x and y; z_p and z_q add up onto z
  churn::RowMatrix want(2, 3);
  want << 6, 7, 7,  //
      -2.5, -1, 2;
  BOOST_TEST((p.contributions_by_source(c) == want));
  // with a bias column: it is copied last, and every row keeps its sum
  churn::RowMatrix cb(2, 6);
  cb << c, churn::RowMatrix::Constant(2, 1, 0.25);
  const churn::RowMatrix got = p.contributions_by_source(cb);
  BOOST_TEST_REQUIRE(got.cols() == 4);
  BOOST_TEST((got.leftCols(3) == want));
  BOOST_TEST(got(0, 3) == 0.25);
  for (Index i = 0; i < 2; ++i) BOOST_TEST(got.row(i).sum() == cb.row(i).sum());
  // a wrong width names the expected and the given one
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [&] { p.contributions_by_source(churn::RowMatrix::Zero(2, 3)); },
      {"Pipeline::contributions_by_source()", "3 columns", "expected 5", "or 6"}));
  BOOST_TEST(p.contributions_by_source(churn::RowMatrix(0, 5)).rows() == 0);
}

BOOST_AUTO_TEST_CASE(contributions_keep_row_sums_and_do_not_depend_on_threads) {
  const Table train = customers(400, 7);
  Pipeline p = full_pipeline(4), one = full_pipeline(1);
  p.fit(train);
  one.fit(train);
  const auto names = p.numeric_feature_names_out();
  const auto p_out = static_cast<Index>(names.size());
  // rows enough for the parallel path
  const Index n = 20000;
  std::mt19937_64 rng(3);
  std::normal_distribution<double> g(0.0, 1.0);
  churn::RowMatrix c(n, p_out + 1);
  for (Index i = 0; i < n; ++i)
    for (Index j = 0; j <= p_out; ++j) c(i, j) = g(rng);
  const churn::RowMatrix r = p.contributions_by_source(c);
  BOOST_TEST(r.cols() == static_cast<Index>(p.source_columns().size()) + 1);
  BOOST_TEST((r == one.contributions_by_source(c)));
  double worst = 0;
  for (Index i = 0; i < n; ++i) worst = std::max(worst, std::abs(r.row(i).sum() - c.row(i).sum()));
  BOOST_TEST(worst < 1e-12);
  // against a brute force over the named sources
  const auto all = p.feature_sources();
  const auto& out_names = p.feature_names_out();
  const auto cols = p.source_columns();
  churn::RowMatrix brute = churn::RowMatrix::Zero(n, static_cast<Index>(cols.size()));
  for (Index j = 0; j < p_out; ++j) {
    const auto at = std::find(out_names.begin(), out_names.end(), names[j]) - out_names.begin();
    const auto& src = all[static_cast<std::size_t>(at)];
    for (const auto& s : src) {
      const auto k = std::find(cols.begin(), cols.end(), s) - cols.begin();
      brute.col(k) += c.col(j) / static_cast<double>(src.size());
    }
  }
  BOOST_TEST((r.leftCols(brute.cols()) - brute).cwiseAbs().maxCoeff() < 1e-12);
  // the full pipeline's chains by name
  const Sources s = sources_of(p);
  BOOST_TEST((s.at("sessions_per_crash") == std::vector<std::string>{"sessions", "crashes"}));
  BOOST_TEST((s.at("charges_x_tenure") == std::vector<std::string>{"tenure", "monthly_charges"}));
  BOOST_TEST((s.at("tenure_missing") == std::vector<std::string>{"tenure"}));
  BOOST_TEST((s.at("sessions_q") == std::vector<std::string>{"sessions"}));
  BOOST_TEST((s.at("tenure_group_0-1y") == std::vector<std::string>{"tenure"}));  // bin, one-hot
  BOOST_TEST((s.at("contract_other") == std::vector<std::string>{"contract"}));
  BOOST_TEST(s.count("customer_id") == 0);
}

BOOST_AUTO_TEST_CASE(feature_sources_of_event_features) {
  const EventData d = event_data(300, 51);
  EventJoinParams jp;
  jp.prefix = "ev_";
  Pipeline p;
  p.join_events(event_spec(), jp)
      .impute({"ev_days_since_last_event"})
      .ratio("crashes_per_login", "ev_crash_count_30d", "ev_login_count_30d", {kNaN, 1.0})
      .ratio("charges_per_login", "monthly_charges", "ev_login_count_30d", {kNaN, 1.0})
      .drop({"customer_id", "signup_date"});
  p.fit(d.customers, d.events, d.as_of);
  const Sources s = sources_of(p);
  // an event feature is its own source, by its joined name
  BOOST_TEST((s.at("ev_login_count_7d") == std::vector<std::string>{"ev_login_count_7d"}));
  BOOST_TEST(
      (s.at("ev_days_since_last_event") == std::vector<std::string>{"ev_days_since_last_event"}));
  BOOST_TEST((s.at("crashes_per_login") ==
              std::vector<std::string>{"ev_crash_count_30d", "ev_login_count_30d"}));
  BOOST_TEST((s.at("charges_per_login") ==
              std::vector<std::string>{"monthly_charges", "ev_login_count_30d"}));
  BOOST_TEST((s.at("tenure_months") == std::vector<std::string>{"tenure_months"}));
  const auto cols = p.source_columns();
  BOOST_TEST(std::count(cols.begin(), cols.end(), "customer_id") == 0);
  BOOST_TEST(std::count(cols.begin(), cols.end(), "ev_crash_count_30d") == 1);
  const Pipeline back = Pipeline::from_json(churn::parse_json(p.to_json().dump()));
  BOOST_TEST(back.feature_sources() == p.feature_sources());
  BOOST_TEST(back.source_columns() == cols, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(feature_sources_of_a_file_saved_before_them) {
  // pipeline_fixture.json was written before feature_sources existed: they are recomputed
  const Json doc =
      churn::load_json_file(std::string(CHURN_TEST_DATA_DIR) + "/pipeline_fixture.json");
  const Pipeline p = Pipeline::from_json(doc["pipeline"]);
  const Sources s = sources_of(p);
  BOOST_TEST((s.at("tickets_per_login") ==
              std::vector<std::string>{"support_tickets", "ev_login_count_30d"}));
  BOOST_TEST((s.at("region_North") == std::vector<std::string>{"region"}));
  BOOST_TEST((s.at("contract_other") == std::vector<std::string>{"contract"}));
  BOOST_TEST((s.at("total_charges_missing") == std::vector<std::string>{"total_charges"}));
  BOOST_TEST((s.at("tenure_months_group") == std::vector<std::string>{"tenure_months"}));
  BOOST_TEST((s.at("plan") == std::vector<std::string>{"plan"}));
  BOOST_TEST((s.at("ev_amount_sum_30d") == std::vector<std::string>{"ev_amount_sum_30d"}));
  const auto cols = p.source_columns();
  BOOST_TEST(std::count(cols.begin(), cols.end(), "signup_date") == 0);
  BOOST_TEST(cols.front() == "region");  // training input order
}

// ---- one_hot: many levels (issue 19, finding 10) -----------------------------------------------

BOOST_AUTO_TEST_CASE(one_hot_refuses_a_column_of_too_many_levels) {
  // an id-like column: one level per row. Without max_categories fit refuses it by name
  // instead of allocating rows x levels doubles (a bare bad_alloc at 10^5..10^6 levels).
  const Index n = kOneHotMaxColumns + 1;
  std::vector<std::string> ids(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) ids[static_cast<std::size_t>(i)] = "c" + std::to_string(i);
  const Table t({Column::from_strings("customer_id", ids)});
  Pipeline p;
  p.one_hot({"customer_id"});
  BOOST_TEST((throws_with<churn::InvalidArgument>(
      [&] { p.fit(t); }, {"'customer_id'", std::to_string(n) + " categories", "max_categories",
                          std::to_string(kOneHotMaxColumns)})));
  BOOST_TEST(!p.is_fitted());
  // at the limit it still fits (kOneHotMaxColumns columns)
  const Table at_limit(
      {Column::from_strings("customer_id", std::vector<std::string>(ids.begin(), ids.end() - 1))});
  Pipeline q;
  q.one_hot({"customer_id"});
  q.fit(at_limit);
  BOOST_TEST(q.feature_names_out().size() == static_cast<std::size_t>(kOneHotMaxColumns));
  // with max_categories the frequent levels are kept, the rest grouped into one column
  OneHotParams capped;
  capped.max_categories = 3;
  Pipeline r;
  r.one_hot({"customer_id"}, capped);
  r.fit(t);
  BOOST_TEST(r.feature_names_out().size() == 3u);
  BOOST_TEST(r.feature_names_out().back() == "customer_id_other");
  // min_count grouping that leaves few columns is fine too
  OneHotParams rare;
  rare.min_count = 2;
  Pipeline s;
  s.one_hot({"customer_id"}, rare);
  s.fit(t);
  BOOST_TEST((s.feature_names_out() == std::vector<std::string>{"customer_id_other"}));
}

BOOST_AUTO_TEST_CASE(one_hot_max_categories_keeps_the_most_frequent) {
  // counts a 3, b 2, c 2, d 1, e 1. max_categories 3 = two kept + other; as scikit-learn's
  // OneHotEncoder (a stable sort by count): a, and of the tied b, c the one sorting last (c).
  const Table train({Column::from_strings("plan", {"a", "b", "c", "a", "d", "c", "e", "b", "a"})});
  OneHotParams p3;
  p3.max_categories = 3;
  Pipeline p;
  p.one_hot({"plan"}, p3);
  const Table out = p.fit_transform(train);
  BOOST_TEST((p.feature_names_out() == std::vector<std::string>{"plan_a", "plan_c", "plan_other"}));
  check_values(values(out, "plan_a"), {1, 0, 0, 1, 0, 0, 0, 0, 1}, "a");
  check_values(values(out, "plan_c"), {0, 0, 1, 0, 0, 1, 0, 0, 0}, "c");
  check_values(values(out, "plan_other"), {0, 1, 0, 0, 1, 0, 1, 1, 0}, "other");
  // min_count first (d, e grouped), then the cap: the same columns
  OneHotParams both = p3;
  both.min_count = 2;
  Pipeline q;
  q.one_hot({"plan"}, both);
  q.fit(train);
  BOOST_TEST(q.feature_names_out() == p.feature_names_out(), boost::test_tools::per_element());
  // a cap the categories fit under changes nothing (five categories + no other column <= 6)
  OneHotParams loose;
  loose.max_categories = 6;
  Pipeline w;
  w.one_hot({"plan"}, loose);
  w.fit(train);
  BOOST_TEST(w.feature_names_out().size() == 5u);
  // max_categories 1: everything in the other column
  OneHotParams one;
  one.max_categories = 1;
  Pipeline o;
  o.one_hot({"plan"}, one);
  o.fit(train);
  BOOST_TEST((o.feature_names_out() == std::vector<std::string>{"plan_other"}));
  OneHotParams zero;
  zero.max_categories = 0;
  BOOST_TEST((throws_with<churn::InvalidArgument>([&] { Pipeline().one_hot({"plan"}, zero); },
                                                  {"max_categories", ">= 1"})));
}

BOOST_AUTO_TEST_CASE(one_hot_max_categories_round_trip_and_old_files) {
  const Table train({Column::from_strings("plan", {"a", "b", "c", "a", "d", "c", "e", "b", "a"})});
  const Table fresh({Column::from_strings("plan", {"e", "a", "z", "c", "b"})});
  OneHotParams p3;
  p3.max_categories = 3;
  Pipeline p;
  p.one_hot({"plan"}, p3);
  p.fit(train);
  const Json doc = p.to_json();
  BOOST_TEST(doc["state"]["steps"][0]["params"]["max_categories"] == 3);
  const Pipeline back = Pipeline::from_json(churn::parse_json(doc.dump()));
  BOOST_TEST(back.to_json() == doc);
  const Table a = p.transform(fresh), b = back.transform(fresh);
  for (const auto& name : p.feature_names_out())
    BOOST_TEST(same_bits(values(a, name), values(b, name)), name);
  check_values(values(b, "plan_other"), {1, 0, 0, 0, 1}, "unseen z ignored, e and b other");
  // the same step built from keyword options (the Python binding's way)
  Pipeline opt;
  opt.add_step("one_hot", Json{{"columns", Json::array({"plan"})}, {"max_categories", 3}});
  opt.fit(train);
  BOOST_TEST(opt.to_json() == doc);
  BOOST_TEST(Pipeline::step_defaults("one_hot")["max_categories"].is_null());
  BOOST_TEST((throws_with<churn::InvalidArgument>(
      [&] {
        Pipeline().add_step("one_hot",
                            Json{{"columns", Json::array({"plan"})}, {"max_categories", 0}});
      },
      {"max_categories"})));
  BOOST_TEST((throws_with<churn::TypeMismatch>(
      [&] {
        Pipeline().add_step("one_hot",
                            Json{{"columns", Json::array({"plan"})}, {"max_categories", 2.5}});
      },
      {"max_categories"})));
  // unset: not written, so a file of an older version (which lacks it) reads as unset
  Pipeline u;
  u.one_hot({"plan"});
  u.fit(train);
  const Json old = u.to_json();
  BOOST_TEST(!old["state"]["steps"][0]["params"].contains("max_categories"));
  BOOST_TEST(Pipeline::from_json(old).to_json() == old);
  // a damaged value in a file is a SerializationError
  for (const Json& bad : {Json(0), Json("3"), Json(-2), Json(2.5)}) {
    Json d = doc;
    d["state"]["steps"][0]["params"]["max_categories"] = bad;
    BOOST_CHECK_THROW(Pipeline::from_json(d), churn::SerializationError);
  }
}

BOOST_AUTO_TEST_SUITE_END()
