#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "churn/core/error.hpp"
#include "churn/core/json.hpp"
#include "churn/data/table.hpp"
#include "churn/metrics/classification.hpp"
#include "churn/tree/forest.hpp"
#include "test_util.hpp"

using churn::Index;
using churn::RowMatrix;
using churn::Vector;
using churn::tree::MaxFeatures;
using churn::tree::RandomForestClassifier;
using churn::tree::RandomForestParams;
using churn::tree::Tree;

namespace fs = std::filesystem;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Data {
  RowMatrix X;
  Vector y;
};

/// Churn-like data: p numeric features (feature 1 with missing values that carry signal) and a
/// categorical feature (codes 0..5, some missing) in the last column.
Data make_data(Index n, Index p, unsigned seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> unif;
  const double cat_effect[6] = {-1.0, 0.5, 1.2, -0.3, 0.0, 0.8};
  Data d{RowMatrix(n, p + 1), Vector(n)};
  for (Index i = 0; i < n; ++i) {
    for (Index j = 0; j < p; ++j) d.X(i, j) = normal(gen);
    double z = 1.2 * d.X(i, 0) + std::sin(2 * d.X(i, 2)) - 1.0;
    if (unif(gen) < 0.1) {
      d.X(i, 1) = kNaN;
      z += 1.0;
    }
    const auto c = static_cast<int>(unif(gen) * 6);
    d.X(i, p) = unif(gen) < 0.05 ? kNaN : c;
    z += std::isnan(d.X(i, p)) ? 0.7 : cat_effect[c];
    d.y[i] = unif(gen) < 1.0 / (1.0 + std::exp(-z)) ? 1.0 : 0.0;
  }
  return d;
}

/// Weighted Gini impurity times weight of a node with weight `w` and positive weight `w1`.
double gini_mass(double w, double w1) {
  return w > 0 ? 2 * w1 * (w - w1) / w : 0.0;
}

/// The best Gini split of (X, y) by brute force over every feature and every threshold between
/// distinct values: (feature, threshold midpoint); ties keep the first found.
std::pair<Index, double> brute_force_gini(const RowMatrix& X, const Vector& y) {
  const Index n = X.rows();
  double total1 = y.sum();
  const double parent = gini_mass(static_cast<double>(n), total1);
  double best = 0;
  std::pair<Index, double> out{-1, 0};
  for (Index f = 0; f < X.cols(); ++f) {
    std::vector<double> values(X.col(f).data(), X.col(f).data() + 0);
    for (Index i = 0; i < n; ++i) values.push_back(X(i, f));
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    for (std::size_t t = 0; t + 1 < values.size(); ++t) {
      const double thr = (values[t] + values[t + 1]) / 2;
      double wl = 0, wl1 = 0;
      for (Index i = 0; i < n; ++i)
        if (X(i, f) <= thr) {
          wl += 1;
          wl1 += y[i];
        }
      const double dec =
          parent - gini_mass(wl, wl1) - gini_mass(static_cast<double>(n) - wl, total1 - wl1);
      if (dec > best + 1e-12) {
        best = dec;
        out = {f, thr};
      }
    }
  }
  return out;
}

RandomForestParams small_params(int n_estimators = 20) {
  RandomForestParams P;
  P.n_estimators = n_estimators;
  P.categorical_features = {4};
  P.n_threads = 2;
  return P;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tree_forest)

BOOST_AUTO_TEST_CASE(a_stump_is_the_exact_best_gini_split) {
  // 14 hand-sized rows, two integer features: feature 1 separates the classes best, at 3.5.
  RowMatrix X(14, 2);
  Vector y(14);
  const double x0[14] = {1, 2, 3, 4, 5, 6, 7, 1, 2, 3, 4, 5, 6, 7};
  const double x1[14] = {1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7};
  const double yy[14] = {0, 0, 0, 0, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1};
  for (Index i = 0; i < 14; ++i) {
    X(i, 0) = x0[i];
    X(i, 1) = x1[i];
    y[i] = yy[i];
  }
  const auto [bf, bt] = brute_force_gini(X, y);
  BOOST_REQUIRE(bf >= 0);
  RandomForestParams P;
  P.n_estimators = 1;
  P.bootstrap = false;
  P.max_features = MaxFeatures::All;
  P.max_depth = 1;
  RandomForestClassifier m(P);
  m.fit(X, y);
  const Tree& t = m.trees()[0];
  BOOST_REQUIRE(t.n_internal() == 1);
  BOOST_TEST(t.split_feature[0] == bf);
  BOOST_TEST(t.threshold[0] == bt);
  // The leaves hold the churn rates of their rows, and predict_proba is that rate.
  double wl = 0, wl1 = 0, wr = 0, wr1 = 0;
  for (Index i = 0; i < 14; ++i) (X(i, bf) <= bt ? wl : wr) += 1;
  for (Index i = 0; i < 14; ++i) (X(i, bf) <= bt ? wl1 : wr1) += y[i];
  BOOST_TEST(t.leaf_value[0] == wl1 / wl, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(t.leaf_value[1] == wr1 / wr, boost::test_tools::tolerance(1e-12));
  const Vector p = m.predict_proba(X);
  for (Index i = 0; i < 14; ++i)
    BOOST_TEST(p[i] == (X(i, bf) <= bt ? wl1 / wl : wr1 / wr), boost::test_tools::tolerance(1e-12));
  // Half the Gini decrease is the gain the engine records.
  const double total1 = y.sum();
  const double dec = gini_mass(14, total1) - gini_mass(wl, wl1) - gini_mass(wr, wr1);
  BOOST_TEST(t.split_gain[0] == dec / 2, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(probabilities_average_the_trees_leaf_rates) {
  const Data d = make_data(2000, 4, 3);
  RandomForestParams P = small_params(15);
  P.min_samples_leaf = 5;
  RandomForestClassifier m(P);
  m.fit(d.X, d.y);
  BOOST_TEST(m.n_trees() == 15);
  const Vector p = m.predict_proba(d.X);
  for (Index i = 0; i < 200; ++i) {
    double s = 0;
    for (const Tree& t : m.trees()) s += t.predict(d.X.row(i).data());
    BOOST_TEST(p[i] == s / 15, boost::test_tools::tolerance(1e-14));
  }
  for (const Tree& t : m.trees()) {
    for (Index l = 0; l < t.n_leaves(); ++l) {
      BOOST_TEST(t.leaf_value[static_cast<std::size_t>(l)] >= 0.0);
      BOOST_TEST(t.leaf_value[static_cast<std::size_t>(l)] <= 1.0);
      BOOST_TEST(t.leaf_count[static_cast<std::size_t>(l)] >= 5.0);
    }
  }
  // Without bootstrap and with every feature, a leaf's value is the churn rate of the
  // training rows that reach it.
  RandomForestParams Q = small_params(1);
  Q.bootstrap = false;
  Q.max_features = MaxFeatures::All;
  Q.max_leaf_nodes = 40;
  RandomForestClassifier one(Q);
  one.fit(d.X, d.y);
  const Tree& t = one.trees()[0];
  BOOST_TEST(t.n_leaves() == 40);
  std::vector<double> w(static_cast<std::size_t>(t.n_leaves())), w1(w.size());
  for (Index i = 0; i < d.X.rows(); ++i) {
    const auto l = static_cast<std::size_t>(t.leaf_index(d.X.row(i).data()));
    w[l] += 1;
    w1[l] += d.y[i];
  }
  for (std::size_t l = 0; l < w.size(); ++l)
    BOOST_TEST(t.leaf_value[l] == w1[l] / w[l], boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(results_do_not_depend_on_the_thread_count) {
  const Data d = make_data(5000, 6, 4);
  RandomForestParams P;
  P.n_estimators = 12;
  P.categorical_features = {6};
  P.oob_score = true;
  std::vector<Vector> probs, oobs;
  std::vector<std::string> docs;
  for (const int threads : {1, 2, 4}) {
    P.n_threads = threads;
    RandomForestClassifier m(P);
    m.fit(d.X, d.y);
    probs.push_back(m.predict_proba(d.X));
    oobs.push_back(m.oob_decision_function());
    RandomForestParams same = m.params();
    same.n_threads = 1;
    docs.push_back(m.trees()[5].to_json().dump());
  }
  for (std::size_t k = 1; k < probs.size(); ++k) {
    BOOST_TEST((probs[k].array() == probs[0].array()).all());
    BOOST_TEST(((oobs[k].array() == oobs[0].array()) ||
                (oobs[k].array().isNaN() && oobs[0].array().isNaN()))
                   .all());
    BOOST_TEST(docs[k] == docs[0]);
  }
  // Another seed gives another forest.
  P.seed = 7;
  RandomForestClassifier other(P);
  other.fit(d.X, d.y);
  BOOST_TEST(!(other.predict_proba(d.X).array() == probs[0].array()).all());
}

BOOST_AUTO_TEST_CASE(json_round_trip_is_bit_identical) {
  const Data d = make_data(3000, 4, 5);
  RandomForestParams P = small_params(10);
  P.oob_score = true;
  P.max_features = MaxFeatures::Fraction;
  P.max_features_value = 0.6;
  P.class_weight = churn::tree::ForestClassWeight::BalancedSubsample;
  RandomForestClassifier m(P);
  m.fit(d.X, d.y);
  const fs::path path = fs::temp_directory_path() / "churn_test_forest.json";
  m.save(path.string());
  const RandomForestClassifier back = RandomForestClassifier::load(path.string());
  fs::remove(path);
  BOOST_TEST((m.predict_proba(d.X).array() == back.predict_proba(d.X).array()).all());
  BOOST_TEST(back.to_json().dump() == m.to_json().dump());
  BOOST_TEST(back.oob_score() == m.oob_score());
  BOOST_TEST((back.params().max_features == MaxFeatures::Fraction));
  BOOST_TEST(back.params().max_features_value == 0.6);
  const RowMatrix a = m.predict_contrib(d.X.topRows(30)), b = back.predict_contrib(d.X.topRows(30));
  BOOST_TEST((a.array() == b.array()).all());
  // Damaged documents are rejected.
  const churn::Json good = m.to_json();
  auto expect_bad = [&](const char* key, const char* member, churn::Json value) {
    churn::Json j = good;
    j[key][member] = std::move(value);
    BOOST_CHECK_THROW(RandomForestClassifier::from_json(j), churn::SerializationError);
  };
  expect_bad("state", "trees", churn::Json::array());
  expect_bad("state", "n_features", 2);
  expect_bad("state", "surprise", 1);
  expect_bad("state", "oob_score", nullptr);
  expect_bad("params", "max_features", "most");
  expect_bad("params", "criterion", "entropy");
  expect_bad("params", "categorical_features", churn::Json::array());
  churn::Json kind = good;
  kind["kind"] = "GBDTClassifier";
  BOOST_CHECK_THROW(RandomForestClassifier::from_json(kind), churn::SerializationError);
  // Random mutations never crash.
  churn_test::JsonMutator mutate(good, {nullptr, -1, 1e308, "x", churn::Json::array()}, 3);
  for (int trial = 0; trial < 100; ++trial) {
    try {
      const RandomForestClassifier bad = RandomForestClassifier::from_json(mutate.next());
      BOOST_TEST(bad.predict_proba(d.X.topRows(5)).size() == 5);
    } catch (const churn::SerializationError&) {
    } catch (const churn::InvalidArgument&) {
    }
  }
}

BOOST_AUTO_TEST_CASE(shap_rows_sum_to_the_probability) {
  const Data d = make_data(1500, 4, 6);
  RandomForestClassifier m(small_params(8));
  m.fit(d.X, d.y);
  const RowMatrix phi = m.predict_contrib(d.X.topRows(100));
  const Vector p = m.predict_proba(d.X.topRows(100));
  BOOST_TEST(phi.cols() == 6);
  for (Index i = 0; i < 100; ++i)
    BOOST_TEST(phi.row(i).sum() == p[i], boost::test_tools::tolerance(1e-10));
  // The bias is the same for every row (the trees' mean expected value).
  BOOST_TEST(phi(0, 5) == phi(99, 5), boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(oob_importances_and_limits) {
  const Data d = make_data(4000, 5, 7);
  RandomForestParams P = small_params(30);
  P.categorical_features = {5};
  P.oob_score = true;
  P.max_depth = 6;
  RandomForestClassifier m(P);
  m.fit(d.X, d.y);
  const Vector& oob = m.oob_decision_function();
  Index seen = 0, right = 0;
  for (Index i = 0; i < oob.size(); ++i) {
    if (std::isnan(oob[i])) continue;
    ++seen;
    right += (oob[i] > 0.5) == (d.y[i] > 0.5);
  }
  BOOST_TEST(seen == oob.size());  // 30 bootstrap samples leave every row out at least once
  BOOST_TEST(m.oob_score() == static_cast<double>(right) / static_cast<double>(seen));
  BOOST_TEST(m.oob_score() > 0.6);
  const Vector imp = m.feature_importances();
  BOOST_TEST(imp.sum() == 1.0, boost::test_tools::tolerance(1e-12));
  Index top = 0;
  imp.maxCoeff(&top);
  BOOST_TEST(top == 0);             // the strongest signal
  BOOST_TEST(imp[3] < imp[0] / 3);  // pure noise
  for (const Tree& t : m.trees()) BOOST_TEST(t.max_depth() <= 6);
  RandomForestParams Q = small_params(3);
  Q.categorical_features = {5};
  Q.max_leaf_nodes = 7;
  RandomForestClassifier few(Q);
  few.fit(d.X, d.y);
  for (const Tree& t : few.trees()) BOOST_TEST(t.n_leaves() == 7);
  // Fully grown trees on bootstrap samples: pure leaves, and the training rows are fitted
  // almost perfectly.
  RandomForestParams F = small_params(5);
  F.categorical_features = {5};
  RandomForestClassifier full(F);
  full.fit(d.X, d.y);
  const Vector p = full.predict_proba(d.X);
  BOOST_TEST(churn::metrics::roc_auc(d.y, p) > 0.97);
}

BOOST_AUTO_TEST_CASE(tables_fit_with_their_categories) {
  const Data d = make_data(1500, 4, 8);
  const Index n = d.X.rows();
  std::vector<std::string> names = {"a", "b", "c", "d"};
  std::vector<churn::data::Column> cols;
  for (Index j = 0; j < 4; ++j) {
    std::vector<double> v(static_cast<std::size_t>(n));
    for (Index i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = d.X(i, j);
    cols.push_back(churn::data::Column::from_float64(names[static_cast<std::size_t>(j)], v));
  }
  std::vector<std::int32_t> codes(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i)
    codes[static_cast<std::size_t>(i)] =
        std::isnan(d.X(i, 4)) ? -1 : static_cast<std::int32_t>(d.X(i, 4));
  cols.push_back(
      churn::data::Column::from_codes("plan", codes, {"p0", "p1", "p2", "p3", "p4", "p5"}));
  const churn::data::Table table(cols);
  RandomForestParams P;
  P.n_estimators = 10;
  RandomForestClassifier a(P);
  a.fit(table, d.y);
  RandomForestClassifier b(small_params(10));
  RandomForestParams Q = small_params(10);
  Q.n_threads = 0;
  b.set_params(Q);
  b.fit(d.X, d.y);
  BOOST_TEST(a.params().categorical_features.empty());  // the caller's parameters stay
  BOOST_TEST(a.category_names()[4].size() == 6u);
  BOOST_TEST((a.predict_proba(table).array() == b.predict_proba(d.X).array()).all());
  BOOST_TEST((a.feature_matrix(table).array() == d.X.array() ||
              (a.feature_matrix(table).array().isNaN() && d.X.array().isNaN()))
                 .all());
}

BOOST_AUTO_TEST_CASE(bad_input_is_rejected) {
  const Data d = make_data(300, 4, 9);
  RandomForestClassifier m(small_params(3));
  using churn::InvalidArgument;
  BOOST_CHECK_THROW(m.predict_proba(d.X), churn::NotFittedError);
  BOOST_CHECK_THROW(m.to_json(), churn::NotFittedError);
  BOOST_CHECK_THROW(m.feature_importances(), churn::NotFittedError);
  Vector y = d.y;
  y[7] = kNaN;
  BOOST_TEST(churn_test::throws_with<InvalidArgument>([&] { m.fit(d.X, y); }, "y"));
  BOOST_CHECK_THROW(m.fit(d.X, d.y.head(10)), InvalidArgument);
  BOOST_CHECK_THROW(m.fit(RowMatrix(0, 5), Vector(0)), InvalidArgument);
  BOOST_CHECK_THROW(m.fit(d.X, Vector::Zero(d.X.rows())), InvalidArgument);  // one class
  RandomForestParams P = small_params(3);
  P.max_features = MaxFeatures::Count;
  P.max_features_value = 6;
  RandomForestClassifier wide(P);
  BOOST_TEST(
      churn_test::throws_with<InvalidArgument>([&] { wide.fit(d.X, d.y); }, "max_features = 6"));
  P.max_features_value = 0;
  BOOST_CHECK_THROW(RandomForestClassifier{P}, InvalidArgument);
  RandomForestParams Q;
  Q.criterion = "entropy";
  BOOST_TEST(churn_test::throws_with<InvalidArgument>([&] { RandomForestClassifier{Q}; },
                                                      "not supported"));
  Q = RandomForestParams{};
  Q.bootstrap = false;
  Q.oob_score = true;
  RandomForestClassifier no_oob(Q);
  BOOST_TEST(churn_test::throws_with<InvalidArgument>([&] { no_oob.fit(d.X, d.y); }, "oob_score"));
  m.fit(d.X, d.y);
  BOOST_CHECK_THROW(m.predict_proba(d.X.leftCols(3)), InvalidArgument);
  RowMatrix bad = d.X.topRows(4);
  bad(2, 4) = 1.5;  // not a category code
  BOOST_CHECK_THROW(m.predict_proba(bad), InvalidArgument);
  BOOST_CHECK_THROW(m.oob_score(), InvalidArgument);  // fitted without oob_score
  BOOST_CHECK_THROW(m.fit(d.X, d.y, churn_test::with_eval(d.X, d.y)), InvalidArgument);
  // Options: unknown names and wrong types are named.
  BOOST_CHECK_THROW(RandomForestParams::from_options(churn::Json{{"n_trees", 3}}), InvalidArgument);
  BOOST_CHECK_THROW(RandomForestParams::from_options(churn::Json{{"max_depth", "deep"}}),
                    churn::TypeMismatch);
  BOOST_CHECK_THROW(RandomForestParams::from_options(churn::Json{{"max_leaf_nodes", 1}}),
                    InvalidArgument);
  const RandomForestParams opt = RandomForestParams::from_options(
      churn::Json{{"max_features", 3}, {"max_samples", 0.5}, {"max_depth", nullptr}});
  BOOST_TEST((opt.max_features == MaxFeatures::Count && opt.max_features_value == 3));
  BOOST_TEST((opt.max_samples == churn::tree::MaxSamples::Fraction && opt.max_depth == 0));
}

BOOST_AUTO_TEST_SUITE_END()
