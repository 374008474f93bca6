#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "churn/core/error.hpp"
#include "churn/core/json.hpp"
#include "churn/data/csv.hpp"
#include "churn/data/table.hpp"
#include "churn/metrics/classification.hpp"
#include "churn/tree/gbdt.hpp"
#include "test_util.hpp"
#include "tree/grower.hpp"

using churn::Index;
using churn::RowMatrix;
using churn::Vector;
using churn::data::Column;
using churn::data::Table;
using churn::tree::FeatureBinInfo;
using churn::tree::GBDTClassifier;
using churn::tree::GBDTFitProfile;
using churn::tree::GBDTParams;
using churn::tree::Tree;

namespace fs = std::filesystem;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Data {
  RowMatrix X;
  Vector y;
};

/// Churn-like data: p numeric features (feature 1 with missing values that carry signal), and
/// when `cat` a categorical feature (code 0..n_cat-1, some missing) in the last column.
Data make_data(Index n, Index p, unsigned seed, bool cat = true, int n_cat = 12) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> unif;
  std::vector<double> cat_effect(static_cast<std::size_t>(n_cat));
  for (auto& e : cat_effect) e = normal(gen);
  const Index cols = p + (cat ? 1 : 0);
  Data d{RowMatrix(n, cols), Vector(n)};
  for (Index i = 0; i < n; ++i) {
    for (Index j = 0; j < p; ++j) d.X(i, j) = normal(gen);
    double z = 0.8 * d.X(i, 0) + std::sin(2 * d.X(i, std::min<Index>(2, p - 1))) - 1.0;
    if (p > 1) {
      if (unif(gen) < 0.1) {
        d.X(i, 1) = kNaN;
        z += 1.0;
      } else {
        z -= 0.5 * d.X(i, 1);
      }
    }
    if (p > 4) z += 0.5 * d.X(i, 3) * d.X(i, 4);
    if (cat) {
      const auto c = static_cast<int>(unif(gen) * n_cat);
      if (unif(gen) < 0.05) {
        d.X(i, p) = kNaN;
        z += 0.7;
      } else {
        d.X(i, p) = c;
        z += cat_effect[static_cast<std::size_t>(c)];
      }
    }
    d.y[i] = unif(gen) < 1.0 / (1.0 + std::exp(-z)) ? 1.0 : 0.0;
  }
  return d;
}

/// The LightGBM-scale gain of a leaf: T(G)^2 / (H + l2) (no l1 here).
double leaf_gain(double G, double H, double l2) {
  return G * G / (H + l2);
}

struct BruteSplit {
  double gain = -1;
  Index feature = -1;
  std::vector<Index> left_rows;
};

/// Exhaustive best numerical split of `rows` at the starting score: every feature, every
/// threshold between distinct values, missing values left or right.
BruteSplit brute_force_split(const RowMatrix& X, const std::vector<double>& g,
                             const std::vector<double>& h, const std::vector<Index>& rows,
                             const GBDTParams& P) {
  BruteSplit best;
  double G = 0, H = 0;
  for (const Index i : rows) {
    G += g[static_cast<std::size_t>(i)];
    H += h[static_cast<std::size_t>(i)];
  }
  const double parent = leaf_gain(G, H, P.reg_lambda);
  for (Index f = 0; f < X.cols(); ++f) {
    std::vector<double> values;
    for (const Index i : rows)
      if (!std::isnan(X(i, f))) values.push_back(X(i, f));
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    for (std::size_t t = 0; t < values.size(); ++t) {
      for (int miss_left = 0; miss_left < 2; ++miss_left) {
        double gl = 0, hl = 0;
        Index cl = 0;
        std::vector<Index> left;
        for (const Index i : rows) {
          const double v = X(i, f);
          const bool goes_left = std::isnan(v) ? miss_left == 1 : v <= values[t];
          if (goes_left) {
            gl += g[static_cast<std::size_t>(i)];
            hl += h[static_cast<std::size_t>(i)];
            ++cl;
            left.push_back(i);
          }
        }
        const auto cr = static_cast<Index>(rows.size()) - cl;
        if (cl < P.min_child_samples || cr < P.min_child_samples) continue;
        if (hl < P.min_child_weight || H - hl < P.min_child_weight) continue;
        const double gain =
            leaf_gain(gl, hl, P.reg_lambda) + leaf_gain(G - gl, H - hl, P.reg_lambda) - parent;
        if (gain > best.gain + 1e-12) {
          best.gain = gain;
          best.feature = f;
          best.left_rows = left;
        }
      }
    }
  }
  return best;
}

/// Rows of X reaching internal node `node` of `tree`.
std::vector<Index> rows_at_node(const Tree& tree, const RowMatrix& X, Index node) {
  std::vector<Index> out;
  for (Index i = 0; i < X.rows(); ++i) {
    std::int32_t cur = 0;
    while (cur >= 0 && cur != node) {
      const auto k = static_cast<std::size_t>(cur);
      cur = tree.goes_left(cur, X(i, tree.split_feature[k])) ? tree.left_child[k]
                                                             : tree.right_child[k];
    }
    if (cur == node) out.push_back(i);
  }
  return out;
}

std::string dump(const GBDTClassifier& m) {
  return m.to_json().dump();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tree_gbdt)

BOOST_AUTO_TEST_CASE(every_split_equals_exhaustive_search) {
  // Small data with fewer distinct values than bins: each split the histograms find must be
  // the exhaustive best for the rows of its node (the first tree sees constant gradients).
  for (unsigned seed = 1; seed <= 4; ++seed) {
    const Data d = make_data(150, 4, seed, /*cat=*/false);
    GBDTParams P;
    P.n_estimators = 1;
    P.num_leaves = 8;
    P.min_child_samples = 5;
    P.reg_lambda = 0.5;
    P.learning_rate = 1.0;
    P.n_threads = 1;
    GBDTClassifier m(P);
    m.fit(d.X, d.y);
    const Tree& t = m.trees()[0];
    BOOST_TEST(t.n_leaves() == 8);
    const double p0 = 1.0 / (1.0 + std::exp(-m.init_score()));
    std::vector<double> g(static_cast<std::size_t>(d.y.size())), h(g.size());
    for (Index i = 0; i < d.y.size(); ++i) {
      g[static_cast<std::size_t>(i)] = p0 - d.y[i];
      h[static_cast<std::size_t>(i)] = p0 * (1 - p0);
    }
    for (Index node = 0; node < t.n_internal(); ++node) {
      const std::vector<Index> rows = rows_at_node(t, d.X, node);
      BOOST_TEST(static_cast<double>(rows.size()) ==
                 t.internal_count[static_cast<std::size_t>(node)]);
      const BruteSplit b = brute_force_split(d.X, g, h, rows, P);
      BOOST_TEST_CONTEXT("seed " << seed << " node " << node) {
        BOOST_TEST(t.split_gain[static_cast<std::size_t>(node)] == b.gain,
                   boost::test_tools::tolerance(1e-9));
        BOOST_TEST(t.split_feature[static_cast<std::size_t>(node)] == b.feature);
        std::vector<Index> left;
        for (const Index i : rows)
          if (t.goes_left(node, d.X(i, t.split_feature[static_cast<std::size_t>(node)])))
            left.push_back(i);
        BOOST_TEST(left == b.left_rows);
      }
    }
    // Leaf values are -G / (H + l2) of their rows (learning rate 1).
    std::vector<double> G(static_cast<std::size_t>(t.n_leaves()), 0.0), H(G.size(), 0.0);
    for (Index i = 0; i < d.X.rows(); ++i) {
      const auto l = static_cast<std::size_t>(t.leaf_index(d.X.row(i).data()));
      G[l] += g[static_cast<std::size_t>(i)];
      H[l] += h[static_cast<std::size_t>(i)];
    }
    for (std::size_t l = 0; l < G.size(); ++l)
      BOOST_TEST(t.leaf_value[l] == -G[l] / (H[l] + P.reg_lambda),
                 boost::test_tools::tolerance(1e-9));
  }
}

BOOST_AUTO_TEST_CASE(categorical_split_is_the_best_partition) {
  // Without smoothing, the gradient-ordered prefix scan reaches the best of all 2^k partitions
  // of the categories (Fisher's ordering theorem for a convex loss).
  std::mt19937_64 gen(7);
  std::uniform_real_distribution<double> unif;
  const int k = 7;
  const Index n = 700;
  RowMatrix X(n, 1);
  Vector y(n);
  const double rate[k] = {0.1, 0.8, 0.35, 0.6, 0.2, 0.9, 0.5};
  for (Index i = 0; i < n; ++i) {
    const int c = static_cast<int>(i % k);
    X(i, 0) = c;
    y[i] = unif(gen) < rate[c] ? 1.0 : 0.0;
  }
  GBDTParams P;
  P.n_estimators = 1;
  P.num_leaves = 2;
  P.learning_rate = 1.0;
  P.categorical_features = {0};
  P.cat_smooth = 0;
  P.cat_l2 = 0;
  P.min_data_per_group = 1;
  P.min_child_samples = 1;
  P.max_cat_threshold = 64;
  GBDTClassifier m(P);
  m.fit(X, y);
  const Tree& t = m.trees()[0];
  BOOST_REQUIRE(t.n_internal() == 1);
  const double p0 = 1.0 / (1.0 + std::exp(-m.init_score()));
  double Gc[k] = {}, Hc[k] = {};
  for (Index i = 0; i < n; ++i) {
    Gc[i % k] += p0 - y[i];
    Hc[i % k] += p0 * (1 - p0);
  }
  double G = 0, H = 0;
  for (int c = 0; c < k; ++c) {
    G += Gc[c];
    H += Hc[c];
  }
  double best = -1;
  for (int mask = 1; mask < (1 << k) - 1; ++mask) {
    double gl = 0, hl = 0;
    for (int c = 0; c < k; ++c)
      if (mask & (1 << c)) {
        gl += Gc[c];
        hl += Hc[c];
      }
    best = std::max(best, gl * gl / hl + (G - gl) * (G - gl) / (H - hl) - G * G / H);
  }
  BOOST_TEST(t.split_gain[0] == best, boost::test_tools::tolerance(1e-9));
  // The split sends the low-rate categories one way and the high-rate ones the other.
  const bool low_left = t.goes_left(0, 0.0);
  BOOST_TEST(t.goes_left(0, 4.0) == low_left);  // rate 0.2
  BOOST_TEST(t.goes_left(0, 5.0) != low_left);  // rate 0.9
  BOOST_TEST(t.goes_left(0, 1.0) != low_left);  // rate 0.8
}

BOOST_AUTO_TEST_CASE(one_vs_rest_for_few_categories) {
  // Three categories (<= max_cat_to_onehot): the split isolates the one category that differs.
  const Index n = 600;
  RowMatrix X(n, 1);
  Vector y(n);
  for (Index i = 0; i < n; ++i) {
    X(i, 0) = static_cast<double>(i % 3);
    y[i] = (i % 3 == 1) ? (i % 10 < 8 ? 1.0 : 0.0) : (i % 10 < 2 ? 1.0 : 0.0);
  }
  GBDTParams P;
  P.n_estimators = 1;
  P.num_leaves = 2;
  P.categorical_features = {0};
  GBDTClassifier m(P);
  m.fit(X, y);
  const Tree& t = m.trees()[0];
  BOOST_REQUIRE(t.n_internal() == 1);
  BOOST_TEST(t.goes_left(0, 0.0) == t.goes_left(0, 2.0));
  BOOST_TEST(t.goes_left(0, 1.0) != t.goes_left(0, 0.0));
}

BOOST_AUTO_TEST_CASE(same_model_on_every_parallel_path) {
  // With the grower's sharing thresholds at their minimum, every region is shared by all
  // threads, histograms are built as (feature, row chunk) tasks with their chunks added up by
  // the last task, and split finding, subtraction and partitions run in parallel even on small
  // data; the models must equal the default one-thread fit (row-wise histograms, everything on
  // one thread), for any thread count, including more threads than features and cores.
  const Data d = make_data(4000, 5, 21);
  auto strip = [](const GBDTClassifier& m) {
    churn::Json j = m.to_json();
    j["params"].erase("n_threads");
    return j.dump();
  };
  for (const int variant : {0, 1}) {
    GBDTParams P;
    P.n_estimators = 5;
    P.num_leaves = variant == 0 ? 31 : 8;
    P.min_child_samples = 5;
    P.categorical_features = {5};
    P.seed = 3;
    if (variant == 0) {  // bagging and feature sampling
      P.subsample = 0.7;
      P.subsample_freq = 1;
      P.colsample_bytree = 0.6;
    } else {  // monotone constraints and a depth limit
      P.monotone_constraints = {1, 0, -1, 0, 0, 0};
      P.max_depth = 4;
    }
    P.n_threads = 1;
    GBDTClassifier reference(P);
    reference.fit(d.X, d.y);
    const churn::tree::detail::TuningScope everywhere(1, 1);
    for (const int threads : {1, 2, 3, 7, 16}) {
      P.n_threads = threads;
      GBDTClassifier m(P);
      m.fit(d.X, d.y);
      BOOST_TEST(strip(m) == strip(reference),
                 "variant " << variant << ", " << threads << " threads");
      if (threads > 1) {
        BOOST_TEST(m.fit_profile().parallel_regions > 0);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(fit_profile_accounts_for_the_fit) {
  const Data d = make_data(3000, 5, 4);
  GBDTParams P;
  P.n_estimators = 7;
  P.n_threads = 1;
  GBDTClassifier m(P);
  BOOST_TEST(m.fit_profile().n_trees == 0);
  m.fit(d.X, d.y);
  const GBDTFitProfile& p = m.fit_profile();
  BOOST_TEST(p.n_trees == 7);
  BOOST_TEST(p.n_threads == 1);
  BOOST_TEST(p.parallel_regions == 0);
  BOOST_TEST(p.serial_s == p.boosting_s);  // one thread: nothing shared
  BOOST_TEST(p.total_s >= p.binning_s + p.boosting_s);
  BOOST_TEST(p.boosting_s >= p.histogram_s + p.partition_s + p.gradients_s + p.score_s);
  // One thread zeroes one histogram (all bins) per build, the root's and one child's per
  // split, and reduces nothing.
  Index splits = 0;
  for (const Tree& t : m.trees()) splits += t.n_internal();
  Index bins = 0;
  for (const FeatureBinInfo& b : m.bin_info()) bins += b.n_bins + 1;
  const auto per_histogram = static_cast<long long>(bins * 16);
  BOOST_TEST(p.hist_bytes_zeroed <= per_histogram * (7 + splits));
  BOOST_TEST(p.hist_bytes_zeroed >= per_histogram * 7);
  BOOST_TEST(p.hist_bytes_reduced == 0);
  {
    // Shared among 4 threads with two chunks per feature: partial histograms are added up.
    const churn::tree::detail::TuningScope everywhere(1, 1);
    P.n_threads = 4;
    GBDTClassifier s(P);
    s.fit(d.X, d.y);
    BOOST_TEST(s.fit_profile().parallel_regions > 0);
    BOOST_TEST(s.fit_profile().hist_bytes_reduced > 0);
    BOOST_TEST(s.fit_profile().serial_s < s.fit_profile().boosting_s);
  }
  // Loading a model leaves the profile empty.
  const GBDTClassifier loaded = GBDTClassifier::from_json(m.to_json());
  BOOST_TEST(loaded.fit_profile().n_trees == 0);
}

BOOST_AUTO_TEST_CASE(same_model_for_any_thread_count) {
  // Large enough for the parallel histogram (>= 2^20 row x feature updates) and partition
  // (>= 2^17 rows) paths; bagging and feature sampling on; categorical and missing values.
  const Data d = make_data(170000, 6, 11);
  GBDTParams P;
  P.n_estimators = 6;
  P.subsample = 0.8;
  P.subsample_freq = 1;
  P.colsample_bytree = 0.7;
  P.categorical_features = {6};
  P.seed = 5;
  P.n_threads = 1;
  GBDTClassifier a(P);
  a.fit(d.X, d.y);
  P.n_threads = 2;
  GBDTClassifier b(P);
  b.fit(d.X, d.y);
  P.n_threads = 3;
  GBDTClassifier c(P);
  c.fit(d.X, d.y);
  // The saved models differ only in n_threads.
  auto strip = [](GBDTClassifier& m) {
    churn::Json j = m.to_json();
    j["params"].erase("n_threads");
    return j.dump();
  };
  BOOST_TEST(strip(a) == strip(b));
  BOOST_TEST(strip(a) == strip(c));
  const Vector pa = a.predict_proba(d.X), pb = b.predict_proba(d.X);
  BOOST_TEST((pa.array() == pb.array()).all());
  // A different seed gives a different bag, hence a different model.
  P.seed = 6;
  GBDTClassifier e(P);
  e.fit(d.X, d.y);
  BOOST_TEST(strip(e) != strip(a));
}

BOOST_AUTO_TEST_CASE(fit_on_columns_equals_fit_on_the_matrix) {
  const Data d = make_data(3000, 5, 12);
  GBDTParams P;
  P.n_estimators = 10;
  P.subsample = 0.7;  // bagging: out-of-bag rows are scored from the columns
  P.subsample_freq = 1;
  P.categorical_features = {5};
  GBDTClassifier a(P), b(P);
  a.fit(d.X, d.y);
  std::vector<Vector> cols;
  for (Index j = 0; j < d.X.cols(); ++j) cols.emplace_back(d.X.col(j));
  std::vector<churn::VectorRef> refs(cols.begin(), cols.end());
  b.fit_columns(refs, d.y);
  BOOST_TEST(dump(a) == dump(b));
  // Columns of different lengths, no columns, a bad code: clear errors.
  std::vector<Vector> bad = cols;
  bad[2] = bad[2].head(10).eval();
  std::vector<churn::VectorRef> bad_refs(bad.begin(), bad.end());
  GBDTClassifier c(P);
  BOOST_CHECK_THROW(c.fit_columns(bad_refs, d.y), churn::InvalidArgument);
  BOOST_CHECK_THROW(c.fit_columns({}, d.y), churn::InvalidArgument);
  bad = cols;
  bad[5][17] = -3;
  std::vector<churn::VectorRef> code_refs(bad.begin(), bad.end());
  BOOST_CHECK_THROW(c.fit_columns(code_refs, d.y), churn::InvalidArgument);
}

BOOST_AUTO_TEST_CASE(learns_the_signal) {
  // One draw split in two (make_data's category effects depend on the seed).
  const Data all = make_data(30000, 6, 21);
  const Data tr{all.X.topRows(20000), all.y.head(20000)};
  const Data te{all.X.bottomRows(10000), all.y.tail(10000)};
  GBDTParams P;
  P.categorical_features = {6};
  GBDTClassifier m(P);
  m.fit(tr.X, tr.y);
  const double auc = churn::metrics::roc_auc(te.y, m.predict_proba(te.X));
  BOOST_TEST(auc > 0.75);
  // Training log-loss decreases with more trees.
  const Vector p10 = m.predict_proba(tr.X, 10), p100 = m.predict_proba(tr.X);
  BOOST_TEST(churn::metrics::log_loss(tr.y, p100) < churn::metrics::log_loss(tr.y, p10));
}

BOOST_AUTO_TEST_CASE(missing_values_follow_the_learned_direction) {
  // Missingness in feature 0 means churn.
  const Index n = 4000;
  std::mt19937_64 gen(3);
  std::normal_distribution<double> normal;
  RowMatrix X(n, 1);
  Vector y(n);
  for (Index i = 0; i < n; ++i) {
    if (i % 4 == 0) {
      X(i, 0) = kNaN;
      y[i] = (i % 8 == 0 || i % 3 == 0) ? 1.0 : 0.0;
    } else {
      X(i, 0) = normal(gen);
      y[i] = X(i, 0) > 1.5 ? 1.0 : 0.0;
    }
  }
  GBDTParams P;
  P.n_estimators = 20;
  GBDTClassifier m(P);
  m.fit(X, y);
  RowMatrix q(2, 1);
  q << kNaN, 0.0;
  const Vector pr = m.predict_proba(q);
  BOOST_TEST(pr[0] > 0.5);
  BOOST_TEST(pr[1] < 0.2);
}

BOOST_AUTO_TEST_CASE(unseen_categories_go_the_missing_way) {
  Data d = make_data(5000, 3, 31);
  GBDTParams P;
  P.n_estimators = 20;
  P.categorical_features = {3};
  GBDTClassifier m(P);
  m.fit(d.X, d.y);
  RowMatrix a = d.X.topRows(200), b = a;
  for (Index i = 0; i < a.rows(); ++i) {
    a(i, 3) = 1000.0 + static_cast<double>(i);  // never seen
    b(i, 3) = kNaN;
  }
  const Vector pa = m.predict_raw(a), pb = m.predict_raw(b);
  BOOST_TEST((pa.array() == pb.array()).all());
}

BOOST_AUTO_TEST_CASE(monotone_constraint_holds) {
  // The true effect of feature 0 is not monotone; the constrained model must be.
  const Index n = 6000;
  std::mt19937_64 gen(9);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> unif;
  RowMatrix X(n, 3);
  Vector y(n);
  for (Index i = 0; i < n; ++i) {
    for (Index j = 0; j < 3; ++j) X(i, j) = normal(gen);
    const double z = std::sin(3 * X(i, 0)) + X(i, 0) + 0.5 * X(i, 1) * X(i, 2);
    y[i] = unif(gen) < 1 / (1 + std::exp(-z)) ? 1.0 : 0.0;
  }
  for (const int dir : {1, -1}) {
    GBDTParams P;
    P.n_estimators = 60;
    P.monotone_constraints = {dir, 0, 0};
    GBDTClassifier m(P);
    m.fit(X, y);
    for (Index r = 0; r < 50; ++r) {
      RowMatrix sweep(81, 3);
      for (Index k = 0; k < 81; ++k) {
        sweep.row(k) = X.row(r);
        sweep(k, 0) = -4.0 + 0.1 * static_cast<double>(k);
      }
      const Vector s = m.predict_raw(sweep);
      for (Index k = 1; k < 81; ++k)
        BOOST_TEST(dir * (s[k] - s[k - 1]) >= -1e-12, "row " << r << " step " << k);
    }
  }
  // Without the constraint the same data gives a non-monotone model.
  GBDTParams P;
  P.n_estimators = 60;
  GBDTClassifier free_model(P);
  free_model.fit(X, y);
  RowMatrix sweep(81, 3);
  for (Index k = 0; k < 81; ++k) {
    sweep.row(k) = X.row(0);
    sweep(k, 0) = -4.0 + 0.1 * static_cast<double>(k);
  }
  const Vector s = free_model.predict_raw(sweep);
  bool decreases = false;
  for (Index k = 1; k < 81; ++k) decreases = decreases || s[k] < s[k - 1] - 1e-9;
  BOOST_TEST(decreases);
}

BOOST_AUTO_TEST_CASE(weights_equal_duplicated_rows) {
  // 240 rows: fewer distinct values than bins, so both fits bin identically.
  const Data d = make_data(240, 3, 41, false);
  Vector w = Vector::Ones(240);
  RowMatrix X2(340, 3);
  Vector y2(340);
  X2.topRows(240) = d.X;
  y2.head(240) = d.y;
  for (Index i = 0; i < 100; ++i) {
    w[i] = 2.0;
    X2.row(240 + i) = d.X.row(i);
    y2[240 + i] = d.y[i];
  }
  GBDTParams P;
  P.n_estimators = 10;
  P.min_child_samples = 1;
  P.min_child_weight = 0;
  P.num_leaves = 6;
  GBDTClassifier a(P), b(P);
  a.fit(d.X, d.y, churn_test::weighted(w));
  b.fit(X2, y2);
  const Vector pa = a.predict_raw(d.X), pb = b.predict_raw(d.X);
  BOOST_TEST((pa - pb).cwiseAbs().maxCoeff() < 1e-9);
}

BOOST_AUTO_TEST_CASE(limits_are_respected) {
  const Data d = make_data(5000, 5, 51);
  GBDTParams P;
  P.n_estimators = 5;
  P.num_leaves = 20;
  P.max_depth = 3;
  P.min_child_samples = 50;
  P.categorical_features = {5};
  GBDTClassifier m(P);
  m.fit(d.X, d.y);
  for (const Tree& t : m.trees()) {
    BOOST_TEST(t.n_leaves() <= 8);  // depth 3
    BOOST_TEST(t.max_depth() <= 3);
    for (const double c : t.leaf_count) BOOST_TEST(c >= 50);
  }
  P.max_depth = -1;
  P.num_leaves = 5;
  GBDTClassifier m2(P);
  m2.fit(d.X, d.y);
  for (const Tree& t : m2.trees()) BOOST_TEST(t.n_leaves() == 5);
}

BOOST_AUTO_TEST_CASE(early_stopping_keeps_the_best_round) {
  const Data all = make_data(5000, 5, 61);
  const Data tr{all.X.topRows(3000), all.y.head(3000)};
  const Data va{all.X.bottomRows(2000), all.y.tail(2000)};
  GBDTParams P;
  P.n_estimators = 500;
  P.learning_rate = 0.3;
  P.num_leaves = 63;
  P.min_child_samples = 5;
  P.early_stopping_rounds = 10;
  P.categorical_features = {5};
  GBDTClassifier m(P);
  m.fit(tr.X, tr.y, churn_test::with_eval(va.X, va.y));
  const auto& ev = m.evals_result();
  BOOST_TEST(m.best_iteration() >= 1);
  BOOST_TEST(m.n_trees() == m.best_iteration());
  BOOST_TEST(static_cast<int>(ev.size()) == m.best_iteration() + 10);
  BOOST_TEST(static_cast<int>(ev.size()) < 500);
  const double best = *std::min_element(ev.begin(), ev.end());
  BOOST_TEST(ev[static_cast<std::size_t>(m.best_iteration() - 1)] == best);
  // The recorded metric is the log-loss of the model with that many trees.
  const double ll = churn::metrics::log_loss(va.y, m.predict_proba(va.X));
  BOOST_TEST(ll == best, boost::test_tools::tolerance(1e-9));
  // AUC as the metric: higher is better.
  P.eval_metric = churn::tree::GBDTMetric::Auc;
  GBDTClassifier a(P);
  a.fit(tr.X, tr.y, churn_test::with_eval(va.X, va.y));
  const double auc = churn::metrics::roc_auc(va.y, a.predict_proba(va.X));
  BOOST_TEST(auc == *std::max_element(a.evals_result().begin(), a.evals_result().end()),
             boost::test_tools::tolerance(1e-12));
  // evaluate_rounds on the evaluation set repeats fit's curve bit for bit (for the trees kept),
  // and its last entry is the metric of the whole model
  for (const GBDTClassifier* model : {&m, &a}) {
    const auto metric =
        model == &a ? churn::tree::GBDTMetric::Auc : churn::tree::GBDTMetric::LogLoss;
    const auto curve = model->evaluate_rounds(va.X, va.y, Vector(), metric);
    BOOST_TEST(static_cast<int>(curve.size()) == model->n_trees());
    for (std::size_t k = 0; k < curve.size(); ++k) BOOST_TEST(curve[k] == model->evals_result()[k]);
  }
  BOOST_CHECK_THROW(m.evaluate_rounds(va.X, va.y.head(10)), churn::InvalidArgument);
  BOOST_CHECK_THROW(GBDTClassifier(P).evaluate_rounds(va.X, va.y), churn::NotFittedError);
}

BOOST_AUTO_TEST_CASE(contributions_sum_to_the_raw_score) {
  const Data d = make_data(3000, 5, 71);
  GBDTParams P;
  P.n_estimators = 30;
  P.categorical_features = {5};
  GBDTClassifier m(P);
  m.fit(d.X, d.y);
  const churn::RowMatrix phi = m.predict_contrib(d.X.topRows(300));
  const Vector raw = m.predict_raw(d.X.topRows(300));
  BOOST_TEST(phi.cols() == 7);
  BOOST_TEST((phi.rowwise().sum() - raw).cwiseAbs().maxCoeff() < 1e-9);
  // The bias column is the same for every row.
  BOOST_TEST((phi.col(6).array() - phi(0, 6)).abs().maxCoeff() < 1e-12);
}

BOOST_AUTO_TEST_CASE(feature_importances) {
  const Data d = make_data(3000, 5, 81);
  GBDTParams P;
  P.n_estimators = 20;
  P.categorical_features = {5};
  GBDTClassifier m(P);
  m.fit(d.X, d.y);
  const Vector split = m.feature_importances("split"), gain = m.feature_importances("gain");
  double nodes = 0;
  for (const Tree& t : m.trees()) nodes += static_cast<double>(t.n_internal());
  BOOST_TEST(split.sum() == nodes);
  BOOST_TEST((gain.array() >= 0).all());
  // Feature 0 carries the strongest signal; feature 2 matters only through sin(2 x).
  Index top = 0;
  gain.maxCoeff(&top);
  BOOST_TEST(top != 4);
  BOOST_CHECK_THROW(m.feature_importances("cover"), churn::InvalidArgument);
}

BOOST_AUTO_TEST_CASE(json_round_trip_is_bit_identical) {
  const Data d = make_data(3000, 5, 91);
  GBDTParams P;
  P.n_estimators = 25;
  P.categorical_features = {5};
  P.monotone_constraints = {1, 0, 0, 0, 0, 0};
  GBDTClassifier m(P);
  m.fit(d.X, d.y);
  // Parameters changed after the fit do not leak into the file of the fitted model.
  GBDTParams other = P;
  other.categorical_features = {};
  other.monotone_constraints = {};
  m.set_params(other);
  const fs::path path = fs::temp_directory_path() / "churn_test_gbdt.json";
  m.save(path.string());
  const GBDTClassifier back = GBDTClassifier::load(path.string());
  fs::remove(path);
  const Vector a = m.predict_raw(d.X), b = back.predict_raw(d.X);
  BOOST_TEST((a.array() == b.array()).all());
  BOOST_TEST(dump(back) == dump(m));
  const churn::RowMatrix ca = m.predict_contrib(d.X.topRows(50)),
                         cb = back.predict_contrib(d.X.topRows(50));
  BOOST_TEST((ca.array() == cb.array()).all());
}

BOOST_AUTO_TEST_CASE(python_fixture_predicts_bit_identically) {
  // Written by python/tests/test_gbdt.py --write-fixture (which checks the same numbers from
  // Python): a model with categorical columns, missing values and a monotone constraint.
  const churn::Json doc =
      churn::load_json_file(std::string(CHURN_TEST_DATA_DIR) + "/gbdt_fixture.json");
  const GBDTClassifier m = GBDTClassifier::from_json(doc["model"]);
  const churn::Json& rows = doc["X"];
  RowMatrix X(static_cast<Index>(rows.size()), m.n_features());
  for (Index i = 0; i < X.rows(); ++i)
    for (Index j = 0; j < X.cols(); ++j) {
      const churn::Json& v = rows[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)];
      X(i, j) = v.is_null() ? kNaN : v.get<double>();
    }
  const auto raw = doc["raw"].get<std::vector<double>>();
  const Vector r = m.predict_raw(X);
  BOOST_REQUIRE(r.size() == static_cast<Index>(raw.size()));
  for (Index i = 0; i < r.size(); ++i)
    BOOST_TEST(r[i] == raw[static_cast<std::size_t>(i)], "row " << i);
  const auto contrib = doc["contrib"].get<std::vector<std::vector<double>>>();
  const RowMatrix c = m.predict_contrib(X.topRows(static_cast<Index>(contrib.size())));
  for (Index i = 0; i < c.rows(); ++i)
    for (Index j = 0; j < c.cols(); ++j)
      BOOST_TEST(c(i, j) == contrib[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)]);
  BOOST_TEST(m.category_names().size() == static_cast<std::size_t>(m.n_features()));
}

BOOST_AUTO_TEST_CASE(python_model_scores_a_csv_through_the_table_api_bit_identically) {
  // Written by python/tests/test_gbdt.py --write-fixture: a model trained in Python on pandas
  // category columns (text labels, text classes), raw customers as a CSV (a label training never
  // saw, missing labels, categories in another order than in training) and Python's scores.
  const std::string dir = std::string(CHURN_TEST_DATA_DIR) + "/gbdt_table_fixture/";
  const GBDTClassifier m = GBDTClassifier::load(dir + "model.json");
  const churn::Json doc = churn::load_json_file(dir + "scores.json");
  BOOST_TEST(m.classes() == doc["classes"]);
  const churn::data::Table customers = churn::data::read_csv(dir + "customers.csv");
  BOOST_TEST((customers.column("contract").dtype() == churn::data::DType::Categorical));
  const auto want = doc["proba"].get<std::vector<double>>();
  const Vector p = m.predict_proba(customers);
  BOOST_REQUIRE(p.size() == static_cast<Index>(want.size()));
  Index differ = 0;
  for (Index i = 0; i < p.size(); ++i) differ += p[i] != want[static_cast<std::size_t>(i)];
  BOOST_TEST(differ == 0);
  // the same rows with the columns in another order and an extra column score the same
  std::vector<std::string> names = customers.column_names();
  std::reverse(names.begin(), names.end());
  churn::data::Table shuffled = customers.select(names);
  shuffled.add_column(churn::data::Column::from_float64(
      "extra", std::vector<double>(static_cast<std::size_t>(customers.num_rows()), 1.0)));
  BOOST_TEST(m.predict_proba(shuffled) == p, boost::test_tools::per_element());
  // text columns (not categorical) map by label too
  std::vector<churn::data::Column> cols;
  for (const auto& c : customers.columns()) {
    if (c.dtype() != churn::data::DType::Categorical) {
      cols.push_back(c);
      continue;
    }
    std::vector<std::string> text;
    std::vector<std::uint8_t> valid;
    for (Index i = 0; i < c.size(); ++i) {
      valid.push_back(c.is_missing(i) ? 0 : 1);
      text.push_back(c.value_string(i));
    }
    cols.push_back(churn::data::Column::from_strings(c.name(), text, valid));
  }
  BOOST_TEST(m.predict_proba(churn::data::Table(cols)) == p, boost::test_tools::per_element());
  // what the table must hold
  BOOST_CHECK_THROW(m.predict_proba(customers.drop({"region"})), churn::InvalidArgument);
  churn::data::Table numeric_contract = customers;
  numeric_contract.set_column(churn::data::Column::from_float64(
      "contract", std::vector<double>(static_cast<std::size_t>(customers.num_rows()), 0.0)));
  BOOST_CHECK_THROW(m.predict_proba(numeric_contract), churn::TypeMismatch);
  churn::data::Table text_tenure = customers;
  text_tenure.set_column(churn::data::Column::from_strings_categorical(
      "tenure_months",
      std::vector<std::string>(static_cast<std::size_t>(customers.num_rows()), "long")));
  BOOST_CHECK_THROW(m.predict_proba(text_tenure), churn::TypeMismatch);
  // a model without feature names cannot find its columns
  const Data d = make_data(500, 3, 93);
  GBDTParams P;
  P.n_estimators = 3;
  GBDTClassifier unnamed(P);
  unnamed.fit(d.X, d.y);
  BOOST_CHECK_THROW(unnamed.feature_matrix(customers), churn::InvalidArgument);
}

BOOST_AUTO_TEST_CASE(damaged_model_documents_are_rejected) {
  const Data d = make_data(1000, 3, 92);
  GBDTParams P;
  P.n_estimators = 5;
  P.categorical_features = {3};
  GBDTClassifier m(P);
  m.fit(d.X, d.y);
  const churn::Json good = m.to_json();
  auto expect_bad = [&](churn::Json doc) {
    BOOST_CHECK_THROW(GBDTClassifier::from_json(doc), churn::SerializationError);
  };
  {
    churn::Json j = good;
    j["state"]["trees"] = churn::Json::array();
    expect_bad(j);
  }
  {
    churn::Json j = good;
    j["state"]["n_features"] = 2;  // trees split on feature 3
    expect_bad(j);
  }
  {
    churn::Json j = good;
    j["state"]["surprise"] = 1;
    expect_bad(j);
  }
  {
    churn::Json j = good;
    j["params"]["num_leaves"] = 1;
    expect_bad(j);
  }
  {
    churn::Json j = good;
    j["params"]["categorical_features"] = churn::Json::array();  // bin_info disagrees
    expect_bad(j);
  }
  {
    churn::Json j = good;
    j["kind"] = "LogisticRegression";
    expect_bad(j);
  }
  {
    churn::Json j = good;
    j["version"] = "2.0";
    expect_bad(j);
  }
  // A truncated file.
  const std::string text = good.dump();
  const fs::path path = fs::temp_directory_path() / "churn_test_gbdt_bad.json";
  {
    std::ofstream out(path);
    out << text.substr(0, text.size() / 2);
  }
  BOOST_CHECK_THROW(GBDTClassifier::load(path.string()), churn::SerializationError);
  fs::remove(path);
  // Random byte flips never crash: either an error or a model that predicts.
  std::mt19937_64 gen(1);
  for (int trial = 0; trial < 200; ++trial) {
    std::string bad = text;
    for (int k = 0; k < 3; ++k) {
      const auto at = static_cast<std::size_t>(gen() % bad.size());
      bad[at] = "0123456789-.,:[]{}\"e"[gen() % 20];
    }
    try {
      const GBDTClassifier back = GBDTClassifier::from_json(churn::parse_json(bad));
      const Vector r = back.predict_raw(d.X.topRows(20));
      BOOST_TEST(r.size() == 20);
    } catch (const churn::SerializationError&) {
    } catch (const churn::InvalidArgument&) {
      // e.g. a flipped categorical flag makes the rows' codes invalid for predict
    }
  }
}

BOOST_AUTO_TEST_CASE(bad_input_is_rejected) {
  const Data d = make_data(500, 3, 93);
  GBDTParams P;
  P.n_estimators = 3;
  P.categorical_features = {3};
  GBDTClassifier m(P);
  BOOST_CHECK_THROW(m.predict_raw(d.X), churn::NotFittedError);
  Vector y = d.y;
  y[7] = kNaN;
  BOOST_CHECK_THROW(m.fit(d.X, y), churn::InvalidArgument);
  y[7] = 2.0;
  BOOST_CHECK_THROW(m.fit(d.X, y), churn::InvalidArgument);
  y[7] = std::numeric_limits<double>::infinity();
  BOOST_CHECK_THROW(m.fit(d.X, y), churn::InvalidArgument);
  BOOST_CHECK_THROW(m.fit(d.X, Vector::Zero(500)), churn::InvalidArgument);  // one class
  BOOST_CHECK_THROW(m.fit(d.X, d.y.head(10)), churn::InvalidArgument);
  RowMatrix Xbad = d.X;
  Xbad(3, 3) = -1.0;
  BOOST_CHECK_THROW(m.fit(Xbad, d.y), churn::InvalidArgument);
  Xbad(3, 3) = 1.5;
  BOOST_CHECK_THROW(m.fit(Xbad, d.y), churn::InvalidArgument);
  Xbad(3, 3) = 1e12;  // beyond 2^31
  BOOST_CHECK_THROW(m.fit(Xbad, d.y), churn::InvalidArgument);
  Vector w = Vector::Ones(500);
  w[2] = -1;
  BOOST_CHECK_THROW(m.fit(d.X, d.y, churn_test::weighted(w)), churn::InvalidArgument);
  w = Vector::Constant(500, 1e308);  // finite weights whose sum overflows
  BOOST_CHECK_THROW(m.fit(d.X, d.y, churn_test::weighted(w)), churn::InvalidArgument);
  w = Vector::Constant(500, 1e-300);  // tiny but valid weights still fit
  BOOST_CHECK_NO_THROW(m.fit(d.X, d.y, churn_test::weighted(w)));
  m = GBDTClassifier(P);
  BOOST_CHECK_THROW(m.fit(d.X, d.y, churn_test::with_eval(d.X.leftCols(3), d.y)),
                    churn::InvalidArgument);
  GBDTParams Pe = P;
  Pe.early_stopping_rounds = 5;
  GBDTClassifier me(Pe);
  BOOST_CHECK_THROW(me.fit(d.X, d.y), churn::InvalidArgument);
  Pe.eval_metric = churn::tree::GBDTMetric::Auc;  // AUC of a one-class evaluation set: undefined
  GBDTClassifier ma(Pe);
  BOOST_CHECK_THROW(ma.fit(d.X, d.y, churn_test::with_eval(d.X.topRows(20), Vector::Zero(20))),
                    churn::InvalidArgument);
  GBDTParams Pc = P;
  Pc.categorical_features = {7};
  GBDTClassifier mc(Pc);
  BOOST_CHECK_THROW(mc.fit(d.X, d.y), churn::InvalidArgument);
  GBDTParams Pm = P;
  Pm.monotone_constraints = {1, 0};
  GBDTClassifier mm(Pm);
  BOOST_CHECK_THROW(mm.fit(d.X, d.y), churn::InvalidArgument);
  BOOST_TEST(!m.is_fitted());  // failed fits leave the model unfitted

  m.fit(d.X, d.y);
  BOOST_CHECK_THROW(m.predict_raw(d.X.leftCols(3)), churn::InvalidArgument);
  Xbad = d.X;
  Xbad(0, 3) = -2;
  BOOST_CHECK_THROW(m.predict_raw(Xbad), churn::InvalidArgument);
  BOOST_CHECK_THROW(m.predict_raw(d.X, -1), churn::InvalidArgument);

  // Parameter validation names the field.
  auto bad_param = [](auto set) {
    GBDTParams q;
    set(q);
    BOOST_CHECK_THROW(GBDTClassifier{q}, churn::InvalidArgument);
  };
  bad_param([](GBDTParams& q) { q.n_estimators = 0; });
  bad_param([](GBDTParams& q) { q.learning_rate = 0; });
  bad_param([](GBDTParams& q) { q.num_leaves = 1; });
  bad_param([](GBDTParams& q) { q.min_child_samples = 0; });
  bad_param([](GBDTParams& q) { q.subsample = 1.5; });
  bad_param([](GBDTParams& q) { q.colsample_bytree = 0; });
  bad_param([](GBDTParams& q) { q.max_bins = 1; });
  bad_param([](GBDTParams& q) { q.reg_lambda = -1; });
  bad_param([](GBDTParams& q) { q.scale_pos_weight = 0; });
  bad_param([](GBDTParams& q) { q.monotone_constraints = {2}; });
  bad_param([](GBDTParams& q) {
    q.categorical_features = {0};
    q.monotone_constraints = {1};
  });
  try {
    GBDTParams q;
    q.num_leaves = 1;
    q.validate();
  } catch (const churn::InvalidArgument& e) {
    BOOST_TEST(std::string(e.what()).find("num_leaves") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(predict_is_safe_from_many_threads) {
  const Data d = make_data(4000, 5, 94);
  GBDTParams P;
  P.n_estimators = 30;
  P.categorical_features = {5};
  P.n_threads = 1;
  GBDTClassifier m(P);
  m.fit(d.X, d.y);
  const Vector ref = m.predict_raw(d.X);
  std::vector<Vector> out(4);
  std::vector<std::thread> pool;
  for (std::size_t k = 0; k < out.size(); ++k)
    pool.emplace_back([&, k] { out[k] = m.predict_raw(d.X); });
  for (auto& t : pool) t.join();
  for (const auto& o : out) BOOST_TEST((o.array() == ref.array()).all());
}

BOOST_AUTO_TEST_CASE(wide_bins_and_single_leaf_trees) {
  // More than 255 bins: uint16 storage gives the same kind of model.
  const Data d = make_data(3000, 3, 95, false);
  GBDTParams P;
  P.n_estimators = 10;
  P.max_bins = 1000;
  GBDTClassifier m(P);
  m.fit(d.X, d.y);
  BOOST_TEST(m.bin_info()[0].n_bins > 256);
  BOOST_TEST(churn::metrics::roc_auc(d.y, m.predict_proba(d.X)) > 0.7);
  // A constant feature cannot be split: every tree is one leaf moving toward the base rate.
  RowMatrix C = RowMatrix::Ones(100, 1);
  Vector y(100);
  for (Index i = 0; i < 100; ++i) y[i] = i < 30 ? 1.0 : 0.0;
  GBDTClassifier c(P);
  c.fit(C, y);
  BOOST_TEST(c.trees()[0].n_leaves() == 1);
  BOOST_TEST(c.predict_proba(C)[0] == 0.3, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(iteration_callback_sees_every_round_and_can_stop) {
  const Data all = make_data(3000, 5, 62, false);
  const Data tr{all.X.topRows(2000), all.y.head(2000)};
  const Data va{all.X.bottomRows(1000), all.y.tail(1000)};
  GBDTParams P;
  P.n_estimators = 30;
  P.learning_rate = 0.2;
  GBDTClassifier m(P);
  std::vector<int> rounds;
  std::vector<double> seen;
  std::vector<int> best;
  m.set_callback([&](const churn::tree::GBDTIteration& it) {
    rounds.push_back(it.iteration);
    BOOST_TEST(it.n_estimators == 30);
    BOOST_REQUIRE(it.evals.size() == 1);
    seen.push_back(it.evals[0]);
    best.push_back(it.best_iteration);
    return false;
  });
  m.fit(tr.X, tr.y, churn_test::with_eval(va.X, va.y));
  BOOST_TEST(m.n_trees() == 30);
  BOOST_REQUIRE(rounds.size() == 30);
  for (int k = 0; k < 30; ++k) BOOST_TEST(rounds[static_cast<std::size_t>(k)] == k + 1);
  BOOST_TEST(seen == m.evals_result());  // bit for bit
  BOOST_TEST(best.back() == m.best_iteration());
  for (std::size_t k = 0; k < best.size(); ++k) {  // best so far, as a running argmin
    const auto first = seen.begin(), last = seen.begin() + static_cast<std::ptrdiff_t>(k) + 1;
    BOOST_TEST(best[k] == 1 + (std::min_element(first, last) - first));
  }

  // stop at round 7: exactly 7 trees, equal to the first 7 of the full model
  const Vector full7 = m.predict_raw(va.X, 7);
  rounds.clear();
  m.set_callback([&](const churn::tree::GBDTIteration& it) {
    rounds.push_back(it.iteration);
    BOOST_TEST(it.evals.empty());  // no evaluation set this time
    BOOST_TEST(it.best_iteration == 0);
    return it.iteration == 7;
  });
  m.fit(tr.X, tr.y);
  BOOST_TEST(m.n_trees() == 7);
  BOOST_TEST(rounds.size() == 7u);
  BOOST_TEST((m.predict_raw(va.X).array() == full7.array()).all());

  // with early stopping, a callback stop keeps best_iteration trees as an early stop does
  P.early_stopping_rounds = 50;
  P.learning_rate = 0.9;  // overfits quickly, so the best round comes before the stop
  P.num_leaves = 63;
  P.min_child_samples = 2;
  m.set_params(P);
  m.set_callback([](const churn::tree::GBDTIteration& it) { return it.iteration == 25; });
  m.fit(tr.X, tr.y, churn_test::with_eval(va.X, va.y));
  BOOST_TEST(m.evals_result().size() == 25u);
  BOOST_TEST(m.n_trees() == m.best_iteration());
  BOOST_TEST(m.best_iteration() < 25);

  // removed: all rounds
  m.set_callback({});
  BOOST_TEST(!m.callback());
  P.early_stopping_rounds = 0;
  m.set_params(P);
  m.fit(tr.X, tr.y);
  BOOST_TEST(m.n_trees() == 30);
}

BOOST_AUTO_TEST_CASE(iteration_callback_exception_leaves_model_unchanged) {
  const Data d = make_data(1000, 4, 63, false);
  GBDTParams P;
  P.n_estimators = 20;
  GBDTClassifier m(P);
  m.set_callback([](const churn::tree::GBDTIteration& it) -> bool {
    if (it.iteration == 5) throw std::runtime_error("callback failed at 5");
    return false;
  });
  BOOST_CHECK_THROW(m.fit(d.X, d.y), std::runtime_error);
  BOOST_TEST(!m.is_fitted());
  m.set_callback({});
  m.fit(d.X, d.y);
  const Vector before = m.predict_raw(d.X);
  m.set_callback([](const churn::tree::GBDTIteration& it) -> bool {
    if (it.iteration == 3) throw std::runtime_error("callback failed at 3");
    return false;
  });
  BOOST_CHECK_THROW(m.fit(d.X.leftCols(2), d.y), std::runtime_error);
  BOOST_TEST(m.n_features() == 4);
  BOOST_TEST((m.predict_raw(d.X).array() == before.array()).all());
}

// fit(table): float64/int64 numeric, categorical and string columns become categorical features
// with stored labels; the same model as fit(matrix of codes) with categorical_features, and a
// table whose dictionary is in another order (or holds unseen labels) scores by label.
BOOST_AUTO_TEST_CASE(fit_on_a_table_equals_fit_on_codes_and_maps_labels) {
  const Data d = make_data(4000, 3, 61, /*cat=*/true, /*n_cat=*/6);
  const Index n = d.X.rows();
  const std::vector<std::string> labels = {"Month", "One year", "Two year",
                                           "Promo", "Legacy",   "Trial"};
  std::vector<double> x0(static_cast<std::size_t>(n));
  std::vector<std::int64_t> x2(static_cast<std::size_t>(n));
  std::vector<std::uint8_t> x2_valid(static_cast<std::size_t>(n), 1);
  std::vector<std::int32_t> codes(static_cast<std::size_t>(n));
  std::vector<std::string> text(static_cast<std::size_t>(n));
  std::vector<std::uint8_t> text_valid(static_cast<std::size_t>(n), 1);
  RowMatrix X(n, 4);  // what fit(table) should see: x0, x2 as double, category codes, text codes
  std::vector<std::string> text_order;  // first appearance
  for (Index i = 0; i < n; ++i) {
    const auto ii = static_cast<std::size_t>(i);
    x0[ii] = d.X(i, 0);
    x2[ii] = static_cast<std::int64_t>(std::floor(d.X(i, 2) * 10));
    if (i % 17 == 0) x2_valid[ii] = 0;
    const double c = d.X(i, 3);
    codes[ii] = std::isnan(c) ? -1 : static_cast<std::int32_t>(c);
    X(i, 0) = x0[ii];
    X(i, 1) = x2_valid[ii] ? static_cast<double>(x2[ii]) : kNaN;
    X(i, 2) = std::isnan(c) ? kNaN : c;
    // the text column: the label of (code + 1) mod 6, missing where the category is missing
    if (std::isnan(c)) {
      text_valid[ii] = 0;
      X(i, 3) = kNaN;
    } else {
      text[ii] = labels[static_cast<std::size_t>((codes[ii] + 1) % 6)];
      const auto it = std::find(text_order.begin(), text_order.end(), text[ii]);
      X(i, 3) = static_cast<double>(it - text_order.begin());
      if (it == text_order.end()) text_order.push_back(text[ii]);
    }
  }
  const Table t({Column::from_float64("tenure", x0), Column::from_int64("calls", x2, x2_valid),
                 Column::from_codes("contract", codes, labels),
                 Column::from_strings("plan", text, text_valid)});
  GBDTParams P;
  P.n_estimators = 30;
  P.seed = 5;
  GBDTClassifier from_table(P);
  from_table.fit(t, d.y);
  BOOST_TEST(from_table.params().categorical_features.empty());  // the caller's parameters kept
  BOOST_TEST(from_table.feature_names() ==
             (std::vector<std::string>{"tenure", "calls", "contract", "plan"}));
  BOOST_TEST(from_table.category_names()[2] == labels);
  BOOST_TEST(from_table.category_names()[3] == text_order);
  BOOST_TEST(from_table.category_names()[0].empty());

  GBDTParams Pc = P;
  Pc.categorical_features = {2, 3};
  GBDTClassifier from_codes(Pc);
  from_codes.fit(X, d.y);
  const Vector a = from_table.predict_raw(X), b = from_codes.predict_raw(X);
  BOOST_TEST(a.size() == n);
  for (Index i = 0; i < n; ++i) BOOST_TEST(a[i] == b[i]);  // bit for bit
  // scoring the training table by label equals scoring the codes
  const Vector p_table = from_table.predict_proba(t), p_codes = from_table.predict_proba(X);
  for (Index i = 0; i < n; ++i) BOOST_TEST(p_table[i] == p_codes[i]);
  // the same rows with the contract dictionary reversed, an unseen plan label in row 0, and the
  // columns in another order: label-mapped, unseen -> missing
  std::vector<std::string> reversed(labels.rbegin(), labels.rend());
  std::vector<std::int32_t> rcodes(codes.size());
  for (std::size_t i = 0; i < codes.size(); ++i) rcodes[i] = codes[i] < 0 ? -1 : 5 - codes[i];
  std::vector<std::string> text2 = text;
  text2[0] = "Brand new";
  std::vector<std::uint8_t> valid2 = text_valid;
  valid2[0] = 1;
  const Table t2({Column::from_strings("plan", text2, valid2),
                  Column::from_codes("contract", rcodes, reversed),
                  Column::from_float64("tenure", x0), Column::from_int64("calls", x2, x2_valid)});
  RowMatrix X2 = X;
  X2(0, 3) = kNaN;
  const Vector q_table = from_table.predict_proba(t2), q_codes = from_table.predict_proba(X2);
  for (Index i = 0; i < n; ++i) BOOST_TEST(q_table[i] == q_codes[i]);
  // an evaluation set given as a table is coded by label like any scored table
  GBDTParams Pe = P;
  Pe.n_estimators = 200;
  Pe.early_stopping_rounds = 5;
  GBDTClassifier eval_table(Pe);
  eval_table.fit(t.slice(0, 3000), d.y.head(3000), t2.slice(3000, 1000), d.y.segment(3000, 1000));
  Pe.categorical_features = {2, 3};
  GBDTClassifier eval_codes(Pe);
  eval_codes.fit(X.topRows(3000), d.y.head(3000),
                 churn_test::with_eval(X2.middleRows(3000, 1000), d.y.segment(3000, 1000)));
  BOOST_TEST(eval_table.best_iteration() == eval_codes.best_iteration());
  BOOST_TEST(eval_table.evals_result() == eval_codes.evals_result());
  BOOST_TEST(eval_table.n_trees() < 200);
  // a timestamp column is no feature; mismatched feature_names are rejected
  const Table bad({Column::from_float64("tenure", x0), Column::from_timestamp("signup", x2)});
  GBDTClassifier m(P);
  BOOST_TEST(churn_test::throws_with<churn::TypeMismatch>([&] { m.fit(bad, d.y); },
                                                          {"fit(table)", "signup", "timestamp"}));
  BOOST_TEST(churn_test::throws_with<churn::InvalidArgument>(
      [&] {
        m.fit(t, d.y, churn_test::named({"a", "b", "c", "d"}));
      },
      {"feature_names"}));
  BOOST_TEST(!m.is_fitted());
}

BOOST_AUTO_TEST_SUITE_END()
