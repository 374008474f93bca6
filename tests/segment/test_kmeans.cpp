#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "churn/core/error.hpp"
#include "churn/core/json.hpp"
#include "churn/segment/kmeans.hpp"
#include "segment/kmeans_detail.hpp"  // the two kernel builds

#include "test_util.hpp"

using churn::Index;
using churn::IntVector;
using churn::Json;
using churn::RowMatrix;
using churn::Vector;
using churn::segment::KMeans;
using churn::segment::KMeansAlgorithm;
using churn::segment::KMeansInit;
using churn::segment::KMeansParams;

namespace {

/// n rows around `centres` Gaussian blobs (spread `sd`) in p dimensions.
RowMatrix blobs(Index n, Index p, int centres, double sd, unsigned seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> normal;
  RowMatrix mu(centres, p);
  for (Index c = 0; c < centres; ++c)
    for (Index j = 0; j < p; ++j) mu(c, j) = 4.0 * normal(gen);
  RowMatrix X(n, p);
  for (Index i = 0; i < n; ++i) {
    const Index c = static_cast<Index>(gen() % static_cast<unsigned>(centres));
    for (Index j = 0; j < p; ++j) X(i, j) = mu(c, j) + sd * normal(gen);
  }
  return X;
}

/// The first k rows of a seeded permutation of X's rows (distinct starting centres).
RowMatrix pick_rows(const RowMatrix& X, int k, unsigned seed) {
  std::vector<Index> idx(static_cast<std::size_t>(X.rows()));
  for (Index i = 0; i < X.rows(); ++i) idx[static_cast<std::size_t>(i)] = i;
  std::mt19937_64 gen(seed);
  std::shuffle(idx.begin(), idx.end(), gen);
  RowMatrix C(k, X.cols());
  for (int c = 0; c < k; ++c) C.row(c) = X.row(idx[static_cast<std::size_t>(c)]);
  return C;
}

KMeansParams given(const RowMatrix& C, KMeansAlgorithm alg, int threads = 1, double tol = 1e-4,
                   int max_iter = 300) {
  KMeansParams p;
  p.n_clusters = static_cast<int>(C.rows());
  p.init = KMeansInit::Given;
  p.init_centers = C;
  p.algorithm = alg;
  p.n_threads = threads;
  p.tol = tol;
  p.max_iter = max_iter;
  return p;
}

double sq(const RowMatrix& X, Index i, const RowMatrix& C, Index c) {
  double s = 0;
  for (Index j = 0; j < X.cols(); ++j) s += (X(i, j) - C(c, j)) * (X(i, j) - C(c, j));
  return s;
}

struct Ref {
  RowMatrix C;
  std::vector<int> labels;
  double inertia = 0;
  int n_iter = 0;
};

/// scikit-learn's Lloyd loop written naively (relocation of empty clusters included).
Ref naive_lloyd(const RowMatrix& X, const Vector& w, RowMatrix C, int max_iter, double tol) {
  const Index n = X.rows(), d = X.cols(), k = C.rows();
  const Vector mean = X.colwise().mean().transpose();
  double var = 0;
  for (Index j = 0; j < d; ++j) {
    double s = 0;
    for (Index i = 0; i < n; ++i) s += (X(i, j) - mean[j]) * (X(i, j) - mean[j]);
    var += s / static_cast<double>(n);
  }
  const double tol_abs = tol * var / static_cast<double>(d);
  auto assign = [&](const RowMatrix& Cc) {
    std::vector<int> lab(static_cast<std::size_t>(n));
    for (Index i = 0; i < n; ++i) {
      int best = 0;
      for (Index c = 1; c < k; ++c)
        if (sq(X, i, Cc, c) < sq(X, i, Cc, best)) best = static_cast<int>(c);
      lab[static_cast<std::size_t>(i)] = best;
    }
    return lab;
  };
  std::vector<int> old(static_cast<std::size_t>(n), -1), lab;
  bool strict = false;
  int it = 0;
  for (it = 0; it < max_iter; ++it) {
    lab = assign(C);
    RowMatrix S = RowMatrix::Zero(k, d);
    Vector W = Vector::Zero(k);
    for (Index i = 0; i < n; ++i) {
      S.row(lab[static_cast<std::size_t>(i)]) += w[i] * X.row(i);
      W[lab[static_cast<std::size_t>(i)]] += w[i];
    }
    std::vector<Index> empty;
    for (Index c = 0; c < k; ++c)
      if (W[c] == 0) empty.push_back(c);
    if (!empty.empty()) {
      std::vector<Index> order;
      for (Index i = 0; i < n; ++i)
        if (w[i] > 0) order.push_back(i);
      std::stable_sort(order.begin(), order.end(), [&](Index a, Index b) {
        return sq(X, a, C, lab[static_cast<std::size_t>(a)]) >
               sq(X, b, C, lab[static_cast<std::size_t>(b)]);
      });
      for (std::size_t e = 0; e < empty.size(); ++e) {
        const Index far = order[e];
        const int o = lab[static_cast<std::size_t>(far)];
        S.row(o) -= w[far] * X.row(far);
        W[o] -= w[far];
        S.row(empty[e]) = w[far] * X.row(far);
        W[empty[e]] = w[far];
      }
    }
    RowMatrix Cn = C;
    for (Index c = 0; c < k; ++c)
      if (W[c] > 0) Cn.row(c) = S.row(c) * (1.0 / W[c]);  // as scikit-learn
    if (lab == old) {
      strict = true;
      C = Cn;
      break;
    }
    const double shift = (Cn - C).squaredNorm();
    C = Cn;
    if (shift <= tol_abs) break;
    old = lab;
  }
  Ref r;
  r.n_iter = std::min(it + 1, max_iter);
  if (!strict) lab = assign(C);
  r.C = C;
  r.labels = lab;
  for (Index i = 0; i < n; ++i) r.inertia += w[i] * sq(X, i, C, lab[static_cast<std::size_t>(i)]);
  return r;
}

void check_same(const KMeans& a, const KMeans& b) {
  BOOST_TEST((a.labels() == b.labels()));
  BOOST_TEST((a.cluster_centers() == b.cluster_centers()));
  BOOST_TEST(a.inertia() == b.inertia());
  BOOST_TEST(a.n_iter() == b.n_iter());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(segment_kmeans)

BOOST_AUTO_TEST_CASE(tiny_dataset_by_hand) {
  RowMatrix X(5, 2);
  X << 0, 0, 0, 1, 10, 10, 10, 11, 10, 12;
  RowMatrix C0(2, 2);
  C0 << 0, 0, 10, 10;
  for (auto alg : {KMeansAlgorithm::Lloyd, KMeansAlgorithm::Hamerly}) {
    KMeans km(given(C0, alg));
    BOOST_TEST(&km.fit(X) == &km);
    RowMatrix C(2, 2);
    C << 0, 0.5, 10, 11;
    BOOST_TEST((km.cluster_centers() == C));
    BOOST_TEST(km.labels()[0] == 0);
    BOOST_TEST(km.labels()[1] == 0);
    BOOST_TEST(km.labels()[2] == 1);
    BOOST_TEST(km.labels()[4] == 1);
    BOOST_TEST(km.inertia() == 0.25 + 0.25 + 1 + 0 + 1);
    BOOST_TEST(km.n_iter() == 2);  // second iteration: no label changed
    BOOST_TEST(km.n_features() == 2);
    RowMatrix Q(2, 2);
    Q << 1, 1, 9, 12;
    const IntVector p = km.predict(Q);
    BOOST_TEST(p[0] == 0);
    BOOST_TEST(p[1] == 1);
    const RowMatrix D = km.transform(Q);
    BOOST_TEST(D(0, 0) == std::sqrt(1.0 + 0.25));
    BOOST_TEST(D(1, 1) == std::sqrt(1.0 + 1.0));
    BOOST_TEST(km.score(X) == -km.inertia());
  }
}

BOOST_AUTO_TEST_CASE(weights_act_like_repeated_rows) {
  RowMatrix X(4, 1);
  X << 0, 1, 10, 20;
  RowMatrix C0(2, 1);
  C0 << 0, 20;
  Vector w(4);
  w << 1, 3, 0, 2;
  KMeans km(given(C0, KMeansAlgorithm::Hamerly));
  km.fit(X, churn_test::weighted(w));
  // 10 has weight 0: centres 0.75 (rows 0, 1) and 20 (row 3), or 10 joins the one it is near
  BOOST_TEST(km.cluster_centers()(0, 0) == 0.75);
  BOOST_TEST(km.cluster_centers()(1, 0) == 20.0);
  BOOST_TEST(km.inertia() == 1 * 0.75 * 0.75 + 3 * 0.25 * 0.25);
  RowMatrix Xr(6, 1);
  Xr << 0, 1, 1, 1, 20, 20;
  KMeans kr(given(C0, KMeansAlgorithm::Lloyd));
  kr.fit(Xr);
  BOOST_TEST((kr.cluster_centers() == km.cluster_centers()));
  BOOST_TEST(kr.inertia() == km.inertia());
}

BOOST_AUTO_TEST_CASE(matches_naive_lloyd_reference) {
  for (unsigned seed : {1u, 2u, 3u}) {
    const RowMatrix X = blobs(600, 3, 5, 1.5, seed);
    for (int k : {1, 3, 6}) {
      const RowMatrix C0 = pick_rows(X, k, seed + 10);
      const Ref ref = naive_lloyd(X, Vector::Ones(X.rows()), C0, 300, 1e-4);
      for (auto alg : {KMeansAlgorithm::Lloyd, KMeansAlgorithm::Hamerly}) {
        KMeans km(given(C0, alg));
        km.fit(X);
        for (Index i = 0; i < X.rows(); ++i)
          BOOST_TEST_REQUIRE(km.labels()[i] == ref.labels[static_cast<std::size_t>(i)]);
        BOOST_TEST(km.n_iter() == ref.n_iter);
        BOOST_TEST(std::abs(km.inertia() - ref.inertia) <= 1e-12 * ref.inertia);
        BOOST_TEST((km.cluster_centers() - ref.C).cwiseAbs().maxCoeff() <= 1e-12);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(weighted_fit_matches_naive_reference) {
  const RowMatrix X = blobs(500, 4, 4, 2.0, 9);
  std::mt19937_64 gen(3);
  Vector w(X.rows());
  for (Index i = 0; i < X.rows(); ++i) w[i] = static_cast<double>(gen() % 5);  // zeros included
  const RowMatrix C0 = pick_rows(X, 5, 4);
  const Ref ref = naive_lloyd(X, w, C0, 300, 1e-4);
  KMeans km(given(C0, KMeansAlgorithm::Hamerly));
  km.fit(X, churn_test::weighted(w));
  BOOST_TEST(km.n_iter() == ref.n_iter);
  BOOST_TEST(std::abs(km.inertia() - ref.inertia) <= 1e-12 * ref.inertia);
  for (Index i = 0; i < X.rows(); ++i)
    BOOST_TEST_REQUIRE(km.labels()[i] == ref.labels[static_cast<std::size_t>(i)]);
}

BOOST_AUTO_TEST_CASE(hamerly_equals_lloyd_bit_for_bit) {
  struct Case {
    Index n, p;
    int blobs;
    double sd;
    int k;
  };
  for (const Case& c :
       {Case{5000, 20, 8, 3.0, 8}, Case{20000, 5, 30, 1.0, 32}, Case{3000, 2, 3, 2.0, 7}}) {
    const RowMatrix X = blobs(c.n, c.p, c.blobs, c.sd, 77);
    const RowMatrix C0 = pick_rows(X, c.k, 5);
    for (double tol : {1e-4, 0.0}) {
      KMeans a(given(C0, KMeansAlgorithm::Lloyd, 2, tol));
      KMeans b(given(C0, KMeansAlgorithm::Hamerly, 2, tol));
      a.fit(X);
      b.fit(X);
      check_same(a, b);
    }
  }
}

BOOST_AUTO_TEST_CASE(ties_go_to_the_lowest_index) {
  // a 9 x 9 grid; the points on the lines x = 4 and y = 4 weigh 0 and are equidistant from two
  // or four centres; the others keep the centres exactly where they are (means of 16 points)
  RowMatrix X(81, 2);
  Vector w(81);
  for (Index i = 0; i < 81; ++i) {
    X(i, 0) = static_cast<double>(i % 9);
    X(i, 1) = static_cast<double>(i / 9);
    w[i] = (i % 9 == 4 || i / 9 == 4) ? 0.0 : 1.0;
  }
  RowMatrix C0(4, 2);
  C0 << 1.5, 1.5, 1.5, 6.5, 6.5, 1.5, 6.5, 6.5;
  const Ref ref = naive_lloyd(X, w, C0, 300, 0.0);
  for (auto alg : {KMeansAlgorithm::Lloyd, KMeansAlgorithm::Hamerly}) {
    KMeans km(given(C0, alg, 2, 0.0));
    km.fit(X, churn_test::weighted(w));
    BOOST_TEST((km.cluster_centers() == C0));
    BOOST_TEST(km.n_iter() == 1);  // the shift is 0 <= tol = 0 (scikit-learn's test)
    BOOST_TEST(km.n_iter() == ref.n_iter);
    for (Index i = 0; i < 81; ++i)
      BOOST_TEST_REQUIRE(km.labels()[i] == ref.labels[static_cast<std::size_t>(i)]);
    BOOST_TEST(km.labels()[4 * 9 + 4] == 0);  // the centre of the grid: a four-way tie
    BOOST_TEST(km.labels()[4 * 9 + 8] == 2);  // (8, 4): tie between centres 2 and 3
    BOOST_TEST(km.labels()[8 * 9 + 4] == 1);  // (4, 8): tie between centres 1 and 3
    BOOST_TEST(km.inertia() == ref.inertia);
  }
}

BOOST_AUTO_TEST_CASE(empty_cluster_is_reseeded_with_farthest_point) {
  RowMatrix X(6, 1);
  X << 0, 1, 2, 10, 11, 30;
  RowMatrix C0(3, 1);
  C0 << 1, 11, 1000;  // the third centre attracts nothing
  const Ref ref = naive_lloyd(X, Vector::Ones(6), C0, 300, 1e-4);
  for (auto alg : {KMeansAlgorithm::Lloyd, KMeansAlgorithm::Hamerly}) {
    KMeans km(given(C0, alg));
    km.fit(X);
    // 30 is farthest from its centre (11): it becomes centre 2
    BOOST_TEST(km.cluster_centers()(2, 0) == 30.0);
    BOOST_TEST(km.labels()[5] == 2);
    BOOST_TEST((km.cluster_centers() - ref.C).cwiseAbs().maxCoeff() <= 1e-12);
    BOOST_TEST(km.inertia() == ref.inertia);
  }
}

BOOST_AUTO_TEST_CASE(thread_count_does_not_change_the_result) {
  const RowMatrix X = blobs(30000, 6, 10, 2.0, 5);
  for (auto init : {KMeansInit::KMeansPlusPlus, KMeansInit::Random}) {
    for (auto alg : {KMeansAlgorithm::Lloyd, KMeansAlgorithm::Hamerly}) {
      KMeansParams p;
      p.n_clusters = 12;
      p.init = init;
      p.algorithm = alg;
      p.n_init = 2;
      p.seed = 11;
      p.n_threads = 1;
      KMeans a(p);
      a.fit(X);
      p.n_threads = 2;
      KMeans b(p);
      b.fit(X);
      check_same(a, b);
      p.n_threads = 3;
      KMeans c(p);
      c.fit(X);
      check_same(a, c);
    }
  }
}

BOOST_AUTO_TEST_CASE(seeded_starts_are_reproducible) {
  const RowMatrix X = blobs(2000, 3, 6, 1.0, 8);
  KMeansParams p;
  p.n_clusters = 6;
  p.seed = 123;
  KMeans a(p), b(p);
  a.fit(X);
  b.fit(X);
  check_same(a, b);
  p.seed = 124;
  p.max_iter = 1;
  KMeans c(p);
  c.fit(X);
  p.seed = 123;
  KMeans d(p);
  d.fit(X);
  BOOST_TEST(!(c.cluster_centers() == d.cluster_centers()));
}

BOOST_AUTO_TEST_CASE(kmeanspp_finds_separated_blobs) {
  // 5 tight, far apart blobs: k-means++ with a few restarts finds them all
  const RowMatrix X = blobs(1000, 2, 5, 0.05, 3);
  KMeansParams p;
  p.n_clusters = 5;
  p.n_init = 3;
  p.seed = 1;
  KMeans km(p);
  km.fit(X);
  BOOST_TEST(km.inertia() / 1000.0 < 0.05 * 0.05 * 2 * 1.5);
  p.init = KMeansInit::Random;
  p.n_init = 10;
  KMeans kr(p);
  kr.fit(X);
  BOOST_TEST(kr.inertia() >= km.inertia() * (1 - 1e-9));
}

BOOST_AUTO_TEST_CASE(n_init_keeps_the_best_run) {
  const RowMatrix X = blobs(3000, 4, 9, 1.5, 12);
  KMeansParams p;
  p.n_clusters = 7;
  p.init = KMeansInit::Random;
  p.seed = 5;
  double best = std::numeric_limits<double>::infinity();
  KMeansParams many = p;
  many.n_init = 4;
  KMeans all(many);
  all.fit(X);
  // run r of n_init uses stream r: compare with single runs from the same starts
  for (int r = 0; r < 4; ++r) {
    KMeansParams one = p;
    one.n_init = r + 1;
    KMeans km(one);
    km.fit(X);
    best = std::min(best, km.inertia());
    BOOST_TEST(km.inertia() <= best);
  }
  BOOST_TEST(all.inertia() == best);
}

BOOST_AUTO_TEST_CASE(tol_and_max_iter) {
  const RowMatrix X = blobs(4000, 5, 10, 2.5, 21);
  const RowMatrix C0 = pick_rows(X, 10, 2);
  for (double tol : {0.0, 1e-4, 1e-1}) {
    const Ref ref = naive_lloyd(X, Vector::Ones(X.rows()), C0, 300, tol);
    KMeans km(given(C0, KMeansAlgorithm::Hamerly, 0, tol));
    km.fit(X);
    BOOST_TEST(km.n_iter() == ref.n_iter);
    BOOST_TEST(std::abs(km.inertia() - ref.inertia) <= 1e-12 * ref.inertia);
    BOOST_TEST((km.cluster_centers() - ref.C).cwiseAbs().maxCoeff() <= 1e-12);
    if (tol == 0.0) BOOST_TEST(km.n_iter() > 16);  // running sums refreshed at least once
  }
  KMeans one(given(C0, KMeansAlgorithm::Lloyd, 1, 1e-4, 1));
  one.fit(X);
  BOOST_TEST(one.n_iter() == 1);
  const Ref ref1 = naive_lloyd(X, Vector::Ones(X.rows()), C0, 1, 1e-4);
  BOOST_TEST(std::abs(one.inertia() - ref1.inertia) <= 1e-12 * ref1.inertia);
}

BOOST_AUTO_TEST_CASE(predict_transform_score_agree_with_brute_force) {
  const RowMatrix X = blobs(1500, 3, 4, 1.0, 2);
  KMeansParams p;
  p.n_clusters = 4;
  p.seed = 3;
  KMeans km(p);
  km.fit(X);
  BOOST_TEST((km.predict(X) == km.labels()));
  const RowMatrix Q = blobs(300, 3, 4, 3.0, 99);
  const RowMatrix D = km.transform(Q);
  const IntVector lab = km.predict(Q);
  double inertia = 0;
  for (Index i = 0; i < Q.rows(); ++i) {
    Index best = 0;
    for (Index c = 0; c < 4; ++c) {
      const double ref = std::sqrt(sq(Q, i, km.cluster_centers(), c));
      BOOST_TEST(std::abs(D(i, c) - ref) <= 1e-12 * (1 + ref));
      if (ref < D(i, best) - 1e-9) best = c;
    }
    BOOST_TEST(lab[i] == best);
    inertia += D(i, lab[i]) * D(i, lab[i]);
  }
  BOOST_TEST(std::abs(-km.score(Q) - inertia) <= 1e-10 * inertia);
  Vector w = Vector::Constant(Q.rows(), 2.0);
  BOOST_TEST(km.score(Q, w) == 2.0 * km.score(Q));
}

BOOST_AUTO_TEST_CASE(json_round_trip_is_bit_identical) {
  const RowMatrix X = blobs(2000, 4, 5, 1.3, 17);
  KMeansParams p;
  p.n_clusters = 5;
  p.seed = 0xFFFFFFFFFFFFFFFFULL;
  p.n_init = 2;
  KMeans km(p);
  km.fit(X);
  const Json doc = km.to_json();
  BOOST_TEST(doc["kind"] == "KMeans");
  const KMeans back = KMeans::from_json(churn::parse_json(doc.dump()));
  check_same(km, back);
  BOOST_TEST(back.params().seed == p.seed);
  BOOST_TEST((back.predict(X) == km.predict(X)));
  BOOST_TEST((back.transform(X) == km.transform(X)));
  BOOST_TEST(back.to_json() == doc);
  // given centres travel with the parameters
  KMeans g(given(pick_rows(X, 3, 1), KMeansAlgorithm::Lloyd));
  g.fit(X);
  const KMeans g2 = KMeans::from_json(g.to_json());
  BOOST_TEST((g2.params().init_centers == g.params().init_centers));
  const auto path = (std::filesystem::temp_directory_path() / "churn_kmeans_test.json").string();
  km.save(path);
  const KMeans loaded = KMeans::load(path);
  check_same(km, loaded);
  std::remove(path.c_str());
  // feature names are optional and saved when set; fit clears them
  BOOST_TEST(!doc["state"].contains("feature_names"));
  BOOST_TEST(back.feature_names().empty());
  km.set_feature_names({"a", "b", "c", "d"});
  const KMeans named = KMeans::from_json(km.to_json());
  BOOST_TEST(named.feature_names() == std::vector<std::string>({"a", "b", "c", "d"}),
             boost::test_tools::per_element());
  BOOST_CHECK_THROW(km.set_feature_names({"a"}), churn::InvalidArgument);
  BOOST_CHECK_THROW(KMeans(p).set_feature_names({"a", "b", "c", "d"}), churn::NotFittedError);
  Json bad = km.to_json();
  bad["state"]["feature_names"] = Json::array({"a"});
  BOOST_CHECK_THROW(KMeans::from_json(bad), churn::SerializationError);
  km.fit(X);
  BOOST_TEST(km.feature_names().empty());
}

BOOST_AUTO_TEST_CASE(damaged_documents_are_rejected) {
  const RowMatrix X = blobs(200, 2, 3, 1.0, 4);
  KMeansParams p;
  p.n_clusters = 3;
  KMeans km(p);
  km.fit(X);
  const Json doc = km.to_json();
  auto rejects = [&](const std::string& what, auto&& mutate) {
    Json d = doc;
    mutate(d);
    BOOST_TEST_CONTEXT(what) {
      BOOST_CHECK_THROW(KMeans::from_json(d), churn::SerializationError);
    }
  };
  rejects("other kind", [](Json& d) { d["kind"] = "LogisticRegression"; });
  rejects("newer major", [](Json& d) { d["version"] = "9.0"; });
  rejects("no state", [](Json& d) { d.erase("state"); });
  rejects("unknown state member", [](Json& d) { d["state"]["extra"] = 1; });
  rejects("unknown param", [](Json& d) { d["params"]["verbose"] = 1; });
  rejects("bad init", [](Json& d) { d["params"]["init"] = "kmeans||"; });
  rejects("bad algorithm", [](Json& d) { d["params"]["algorithm"] = "fast"; });
  rejects("k zero", [](Json& d) { d["params"]["n_clusters"] = 0; });
  rejects("k mismatch", [](Json& d) { d["params"]["n_clusters"] = 4; });
  rejects("centre row short", [](Json& d) { d["state"]["cluster_centers"][1].erase(0); });
  rejects("centre not number", [](Json& d) { d["state"]["cluster_centers"][0][0] = "x"; });
  rejects("label out of range", [](Json& d) { d["state"]["labels"][5] = 3; });
  rejects("label negative", [](Json& d) { d["state"]["labels"][5] = -1; });
  rejects("label float", [](Json& d) { d["state"]["labels"][5] = 1.5; });
  rejects("inertia negative", [](Json& d) { d["state"]["inertia"] = -1.0; });
  rejects("tol negative", [](Json& d) { d["params"]["tol"] = -1.0; });
  rejects("seed negative", [](Json& d) { d["params"]["seed"] = -1; });
  rejects("init_centers without given", [](Json& d) {
    d["params"]["init_centers"] = Json::array({Json::array({1.0, 2.0})});
  });
  rejects("n_features mismatch", [](Json& d) { d["state"]["n_features"] = 3; });
  BOOST_CHECK_THROW(KMeans::load("/nonexistent/dir/km.json"), churn::IOError);
}

BOOST_AUTO_TEST_CASE(random_mutations_never_crash) {
  const RowMatrix X = blobs(50, 2, 3, 1.0, 4);
  KMeansParams p;
  p.n_clusters = 3;
  KMeans km(p);
  km.fit(X);
  const Json doc = km.to_json();
  const std::vector<Json> junk = {Json(nullptr),      Json(-1),       Json(0),
                                  Json(1e300),        Json("nan"),    Json("zzz"),
                                  Json::array(),      Json::object(), Json(true),
                                  Json(2147483648LL), Json(-0.5),     Json::array({1, 2, 3})};
  churn_test::JsonMutator mutate(doc, junk, 5);
  int loaded = 0, rejected = 0;
  for (int it = 0; it < 800; ++it) {
    const Json d = mutate.next();
    try {
      const KMeans q = KMeans::from_json(d);
      ++loaded;
      try {
        q.predict(X);
        q.transform(X);
      } catch (const churn::Error&) {
      }
    } catch (const churn::SerializationError&) {
      ++rejected;
    }
  }
  BOOST_TEST(rejected > 400);
  BOOST_TEST_MESSAGE("mutations: " << loaded << " loaded, " << rejected << " rejected");
}

BOOST_AUTO_TEST_CASE(bad_input_gives_clear_errors) {
  RowMatrix X = blobs(20, 2, 2, 1.0, 1);
  KMeansParams p;
  p.n_clusters = 3;
  auto fails_with = [&](const KMeansParams& params, const RowMatrix& Xb, const Vector& w,
                        const std::string& needle) {
    KMeans km(params);
    try {
      km.fit(Xb, churn_test::weighted(w));
      BOOST_ERROR("no exception for " << needle);
    } catch (const churn::InvalidArgument& e) {
      const std::string msg = e.what();
      BOOST_TEST_CONTEXT(msg) {
        BOOST_TEST(msg.find("KMeans::fit()") != std::string::npos);
        BOOST_TEST(msg.find(needle) != std::string::npos);
      }
    }
    BOOST_TEST(!km.is_fitted());
  };
  RowMatrix Xn = X;
  Xn(7, 1) = std::numeric_limits<double>::quiet_NaN();
  fails_with(p, Xn, Vector(), "column 1 contains NaN (first at row 7)");
  Xn(7, 1) = std::numeric_limits<double>::infinity();
  fails_with(p, Xn, Vector(), "column 1 contains inf");
  fails_with(p, X, Vector::Ones(19), "sample_weight has 19 values but X has 20 rows");
  Vector w = Vector::Ones(20);
  w[4] = -1;
  fails_with(p, X, w, "sample_weight must be finite and >= 0, got -1 at row 4");
  fails_with(p, X, Vector::Zero(20), "total weight must be > 0");
  RowMatrix dup(10, 2);
  for (Index i = 0; i < 10; ++i) dup.row(i) << static_cast<double>(i % 2), 1.0;
  fails_with(p, dup, Vector(), "only 2 distinct rows of positive weight, fewer than n_clusters=3");
  Vector w2 = Vector::Ones(20);
  for (Index i = 2; i < 20; ++i) w2[i] = 0;
  fails_with(p, X, w2, "only 2 distinct rows");
  KMeansParams big = p;
  big.n_clusters = 21;
  fails_with(big, X, Vector(), "n_clusters=21 must be <= the number of rows, got 20");
  KMeansParams g = given(RowMatrix::Zero(3, 4), KMeansAlgorithm::Lloyd);
  fails_with(g, X, Vector(), "init_centers has 4 columns but X has 2");

  // parameters
  KMeansParams bad;
  bad.n_clusters = 0;
  BOOST_CHECK_THROW(KMeans{bad}, churn::InvalidArgument);
  bad = KMeansParams{};
  bad.tol = -1;
  BOOST_CHECK_THROW(bad.validate(), churn::InvalidArgument);
  bad = KMeansParams{};
  bad.max_iter = 0;
  BOOST_CHECK_THROW(bad.validate(), churn::InvalidArgument);
  bad = KMeansParams{};
  bad.n_init = 0;
  BOOST_CHECK_THROW(bad.validate(), churn::InvalidArgument);
  bad = KMeansParams{};
  bad.n_threads = -1;
  BOOST_CHECK_THROW(bad.validate(), churn::InvalidArgument);
  bad = KMeansParams{};
  bad.init = KMeansInit::Given;  // no centres
  BOOST_CHECK_THROW(bad.validate(), churn::InvalidArgument);
  BOOST_CHECK_THROW(churn::segment::kmeans_init_from_name("kmeans"), churn::InvalidArgument);
  BOOST_TEST((churn::segment::kmeans_algorithm_from_name("elkan") == KMeansAlgorithm::Hamerly));

  // unfitted and wrong shapes
  KMeans km(p);
  BOOST_CHECK_THROW(km.predict(X), churn::NotFittedError);
  BOOST_CHECK_THROW(km.cluster_centers(), churn::NotFittedError);
  BOOST_CHECK_THROW(km.to_json(), churn::NotFittedError);
  km.fit(X);
  BOOST_CHECK_THROW(km.predict(RowMatrix::Zero(3, 5)), churn::InvalidArgument);
  BOOST_CHECK_THROW(km.transform(Xn), churn::InvalidArgument);
  BOOST_CHECK_THROW(km.score(X, Vector::Ones(3)), churn::InvalidArgument);
}

BOOST_AUTO_TEST_CASE(portable_and_avx2_kernels_agree) {
  namespace kd = churn::segment::detail;
  BOOST_TEST_MESSAGE("AVX2 kernel in use: " << kd::kernel_uses_avx2());
  std::mt19937_64 gen(8);
  for (int k : {1, 5, 8, 13, 32}) {
    for (Index d : {1, 3, 20}) {
      const int kpad = kd::padded_k(k);
      RowMatrix C(k, d), X(11, d), Xi(11, d), Ci(k, d);
      std::normal_distribution<double> normal;
      for (Index c = 0; c < k; ++c)
        for (Index j = 0; j < d; ++j) {
          C(c, j) = normal(gen);
          Ci(c, j) = static_cast<double>(gen() % 7);
        }
      for (Index i = 0; i < 11; ++i)
        for (Index j = 0; j < d; ++j) {
          X(i, j) = normal(gen);
          Xi(i, j) = static_cast<double>(gen() % 7);  // integers: every distance exact, ties
        }
      for (int exact = 0; exact < 2; ++exact) {
        const RowMatrix& XX = exact ? Xi : X;
        const std::vector<double> ct = kd::pack_centres(exact ? Ci : C, kpad);
        const double* rows[11];
        for (int i = 0; i < 11; ++i) rows[i] = XX.row(i).data();
        std::vector<double> a(static_cast<std::size_t>(11 * kpad)), b(a.size());
        kd::sqdist_rows_generic(rows, 11, d, ct.data(), kpad, a.data());
        kd::sqdist_rows_avx2(rows, 11, d, ct.data(), kpad, b.data());
        for (int i = 0; i < 11; ++i) {
          for (int c = 0; c < k; ++c) {
            const double x = a[static_cast<std::size_t>(i * kpad + c)];
            const double y = b[static_cast<std::size_t>(i * kpad + c)];
            const double ref = sq(XX, i, exact ? Ci : C, c);
            BOOST_TEST(std::abs(x - ref) <= 1e-13 * (1 + ref));
            BOOST_TEST(std::abs(y - ref) <= 1e-13 * (1 + ref));
            BOOST_TEST(x == y);  // the same bits on every CPU (no FMA contraction)
          }
        }
        std::int32_t aa[11], ab[11];
        double ba[11], bb[11], sa[11], sb[11];
        kd::argmin_rows_generic(a.data(), 11, kpad, aa, ba, sa);
        kd::argmin_rows_avx2(b.data(), 11, kpad, ab, bb, sb);
        for (int i = 0; i < 11; ++i) {
          int ref = 0;
          for (int c = 1; c < k; ++c)
            if (a[static_cast<std::size_t>(i * kpad + c)] <
                a[static_cast<std::size_t>(i * kpad + ref)])
              ref = c;
          BOOST_TEST(aa[i] == ref);
          if (exact) {
            BOOST_TEST(ab[i] == aa[i]);
            BOOST_TEST(sb[i] == sa[i]);
          }
          BOOST_TEST(sa[i] >= ba[i]);
          if (k == 1) BOOST_TEST(std::isinf(sa[i]));
        }
      }
    }
  }
}

// fit(table) / predict(table) / transform(table): columns by name, the same model as the matrix
// with feature_names; feature_names given to fit are kept; an evaluation set is rejected.
BOOST_AUTO_TEST_CASE(fit_and_predict_on_a_table_by_column_name) {
  using churn::data::Column;
  using churn::data::Table;
  const RowMatrix X = blobs(300, 2, 3, 1.0, 17);
  std::vector<double> x0(300), x1(300);
  for (Index i = 0; i < 300; ++i) {
    x0[static_cast<std::size_t>(i)] = X(i, 0);
    x1[static_cast<std::size_t>(i)] = X(i, 1);
  }
  KMeansParams P;
  P.n_clusters = 3;
  P.seed = 3;
  KMeans from_table(P), from_matrix(P);
  from_table.fit(Table({Column::from_float64("spend", x0), Column::from_float64("calls", x1)}));
  from_matrix.fit(X, churn_test::named({"spend", "calls"}));
  BOOST_TEST(from_table.feature_names() == from_matrix.feature_names());
  BOOST_TEST((from_table.cluster_centers() == from_matrix.cluster_centers()));
  const Table reordered({Column::from_float64("calls", x1), Column::from_float64("spend", x0)});
  BOOST_TEST((from_table.predict(reordered) == from_matrix.predict(X)));
  BOOST_TEST((from_table.transform(reordered) == from_matrix.transform(X)));
  KMeans unnamed(P);
  unnamed.fit(X);
  BOOST_TEST(unnamed.feature_names().empty());
  BOOST_TEST(churn_test::throws_with<churn::InvalidArgument>(
      [&] { (void)unnamed.predict(reordered); }, {"predict(table)", "no feature names"}));
  BOOST_TEST(churn_test::throws_with<churn::InvalidArgument>(
      [&] { unnamed.fit(X, churn_test::with_eval(X, Vector::Zero(300))); }, {"no evaluation set"}));
  BOOST_TEST(churn_test::throws_with<churn::InvalidArgument>(
      [&] { unnamed.fit(X, churn_test::named({"one"})); }, {"feature_names has 1"}));
}

BOOST_AUTO_TEST_CASE(params_have_one_source_for_files_and_options) {
  const Json d = KMeansParams().to_options();
  BOOST_TEST(d.size() == 9u);
  BOOST_TEST(d.at("init_centers").is_null());
  BOOST_TEST(!KMeansParams().to_json().contains("init_centers"));  // a file omits it
  RowMatrix C(2, 2);
  C << 0.0, 1.0, 2.0, 3.0;
  Json opts{{"n_clusters", 2}, {"init", "given"}, {"seed", 7}};
  opts["init_centers"] = Json::array({Json::array({0.0, 1.0}), Json::array({2.0, 3.0})});
  const KMeansParams p = KMeansParams::from_options(opts, "KM");
  BOOST_TEST((p.init == KMeansInit::Given));
  BOOST_TEST((p.init_centers == C));
  BOOST_TEST(p.seed == 7u);
  BOOST_TEST(p.max_iter == 300);
  BOOST_TEST(KMeansParams::from_json(p.to_json()).to_options() == p.to_options());
  BOOST_TEST(KMeansParams::from_options(p.to_options(), "KM").to_json() == p.to_json());
  auto make = [](const Json& j) { KMeansParams::from_options(j, "KM"); };
  BOOST_TEST(churn_test::throws_with<churn::InvalidArgument>(
      [&] {
        make(Json{{"k", 3}});
      },
      "KM: unknown parameter 'k'"));
  BOOST_TEST(churn_test::throws_with<churn::TypeMismatch>(
      [&] {
        make(Json{{"n_clusters", 2.5}});
      },
      "KM: n_clusters must be an int"));
  BOOST_TEST(churn_test::throws_with<churn::InvalidArgument>(
      [&] {
        make(Json{{"seed", -1}});
      },
      "seed = -1 is out of range"));
  BOOST_TEST(churn_test::throws_with<churn::InvalidArgument>(
      [&] {
        make(Json{{"n_clusters", 2},
                  {"init", "given"},
                  {"init_centers", Json::array({Json::array({0.0}), Json::array({1.0, 2.0})})}});
      },
      "KM: init_centers row 1 has 2 values"));
  BOOST_TEST(churn_test::throws_with<churn::TypeMismatch>(
      [&] {
        make(Json{{"init_centers", 3}});
      },
      "init_centers must be an array of rows"));
  BOOST_TEST(churn_test::throws_with<churn::InvalidArgument>(
      [&] {
        make(Json{{"algorithm", "fast"}});
      },
      "algorithm"));
}

BOOST_AUTO_TEST_SUITE_END()
