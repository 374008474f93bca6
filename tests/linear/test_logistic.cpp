#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <typeinfo>
#include <vector>

#include "churn/core/error.hpp"
#include "churn/core/json.hpp"
#include "churn/linear/logistic.hpp"
#include "churn/metrics/calibration.hpp"
#include "test_util.hpp"

using churn::Index;
using churn::RowMatrix;
using churn::Vector;
using churn::linear::LogisticRegression;
using churn::linear::LogisticRegressionParams;
using churn::linear::LogisticSolver;
using churn::linear::Penalty;
using churn::metrics::CalibrationMethod;

namespace fs = std::filesystem;

namespace {

struct Data {
  RowMatrix X;
  Vector y;
};

/// n x p Gaussian features, labels from a logistic model with coefficients 1, -0.5, 0.25, ...
Data make_data(Index n, Index p, unsigned seed, double signal = 1.0) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> unif;
  Data d{RowMatrix(n, p), Vector(n)};
  for (Index i = 0; i < n; ++i) {
    double eta = -0.3;
    for (Index j = 0; j < p; ++j) {
      d.X(i, j) = normal(gen) + (j % 3 == 0 ? 1.0 : 0.0);
      eta += signal * d.X(i, j) * ((j % 2 == 0 ? 1.0 : -0.5) / (1.0 + 0.5 * j));
    }
    d.y[i] = unif(gen) < 1.0 / (1.0 + std::exp(-eta)) ? 1.0 : 0.0;
  }
  return d;
}

LogisticRegressionParams tight(Penalty pen, double C,
                               LogisticSolver solver = LogisticSolver::Auto) {
  LogisticRegressionParams p;
  p.penalty = pen;
  p.C = C;
  p.tol = 1e-10;
  p.max_iter = 1000;
  p.solver = solver;
  return p;
}

template <class Exc, class F>
void expect_throw(F&& f, const std::string& needle) {
  try {
    f();
    BOOST_ERROR("no exception; expected " << typeid(Exc).name() << " mentioning " << needle);
  } catch (const churn::Error& e) {
    BOOST_TEST((typeid(e) == typeid(Exc)), "wrong type " << typeid(e).name() << ": " << e.what());
    BOOST_TEST(std::string(e.what()).find(needle) != std::string::npos, e.what());
  }
}

fs::path scratch(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / "churn_test_logistic";
  fs::create_directories(dir);
  return dir / name;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(linear_logistic)

BOOST_AUTO_TEST_CASE(a_rows_score_does_not_depend_on_the_batch) {
  // One customer scored alone, in a batch or at another offset: the same
  // bits, and the brute-force sum in the documented order (four partial sums over j mod 4).
  for (const Index p : {Index{1}, Index{3}, Index{4}, Index{7}, Index{13}, Index{40}}) {
    const Data d = make_data(300, p, 11u + static_cast<unsigned>(p));
    LogisticRegressionParams prm = tight(Penalty::L2, 1.0);
    LogisticRegression m(prm);
    m.fit(d.X, d.y);
    const Vector batch = m.decision_function(d.X);
    for (Index i = 0; i < d.X.rows(); i += 37) {
      const RowMatrix one = d.X.middleRows(i, 1);
      BOOST_TEST(m.decision_function(one)[0] == batch[i], "p " << p << " row " << i);
      const RowMatrix tail = d.X.middleRows(i, d.X.rows() - i);
      BOOST_TEST(m.decision_function(tail)[0] == batch[i]);
      // columns [0, whole) in groups of four onto s[j % 4], then the rest onto s[0], s[1], ...
      const Index whole = p / 4 * 4;
      double s[4] = {0, 0, 0, 0};
      for (Index j = 0; j < p; ++j) s[j < whole ? j % 4 : j - whole] += d.X(i, j) * m.coef()[j];
      BOOST_TEST(batch[i] == ((s[0] + s[1]) + (s[2] + s[3])) + m.intercept());
    }
  }
}

BOOST_AUTO_TEST_CASE(hand_checkable_unpenalised_fit) {
  // x = 0: 1 churner of 4; x = 1: 3 of 4. The MLE is b = log(1/3), b + w = log(3).
  RowMatrix X(8, 1);
  X << 0, 0, 0, 0, 1, 1, 1, 1;
  Vector y(8);
  y << 1, 0, 0, 0, 1, 1, 1, 0;
  LogisticRegression m(tight(Penalty::None, 1.0));
  BOOST_TEST((&m.fit(X, y) == &m));
  BOOST_TEST(m.converged());
  BOOST_TEST((m.solver_used() == LogisticSolver::Newton));
  BOOST_TEST(std::abs(m.intercept() - std::log(1.0 / 3.0)) < 1e-10);
  BOOST_TEST(std::abs(m.coef()[0] - 2.0 * std::log(3.0)) < 1e-10);
  const Vector p = m.predict_proba(X);
  BOOST_TEST(std::abs(p[0] - 0.25) < 1e-10);
  BOOST_TEST(std::abs(p[7] - 0.75) < 1e-10);
  const auto labels = m.predict(X);
  BOOST_TEST(labels[0] == 0);
  BOOST_TEST(labels[7] == 1);
}

BOOST_AUTO_TEST_CASE(gradient_matches_finite_differences) {
  const Data d = make_data(300, 5, 1);
  Vector s = Vector::Ones(300);
  for (Index i = 0; i < 300; i += 3) s[i] = 2.5;
  Vector theta(6);
  theta << 0.3, -0.2, 0.1, 0.5, -0.4, 0.2;
  for (bool fi : {true, false}) {
    Vector g;
    const double l2 = 0.01;
    churn::linear::detail::logistic_loss_grad(d.X, d.y, s, theta, l2, fi, 1, g);
    for (Index j = 0; j < 6; ++j) {
      const double h = 1e-6;
      Vector tp = theta, tm = theta, dummy;
      tp[j] += h;
      tm[j] -= h;
      const double fp =
          churn::linear::detail::logistic_loss_grad(d.X, d.y, s, tp, l2, fi, 1, dummy);
      const double fm =
          churn::linear::detail::logistic_loss_grad(d.X, d.y, s, tm, l2, fi, 1, dummy);
      const double fd = (j == 5 && !fi) ? 0.0 : (fp - fm) / (2 * h);
      BOOST_TEST(std::abs(g[j] - fd) < 1e-8, "j=" << j << " g=" << g[j] << " fd=" << fd);
    }
  }
}

BOOST_AUTO_TEST_CASE(l2_optimum_satisfies_kkt_and_solvers_agree) {
  const Data d = make_data(2000, 8, 2);
  for (double C : {0.01, 1.0, 100.0}) {
    LogisticRegression newton(tight(Penalty::L2, C, LogisticSolver::Newton));
    LogisticRegression lbfgs(tight(Penalty::L2, C, LogisticSolver::Lbfgs));
    LogisticRegression cd(tight(Penalty::L2, C, LogisticSolver::Cd));
    newton.fit(d.X, d.y);
    lbfgs.fit(d.X, d.y);
    cd.fit(d.X, d.y);
    BOOST_TEST(newton.converged(), newton.warning());
    BOOST_TEST(cd.converged(), cd.warning());
    // KKT: the gradient of the scaled objective vanishes at the optimum.
    Vector theta(9), g;
    theta << newton.coef(), newton.intercept();
    churn::linear::detail::logistic_loss_grad(d.X, d.y, Vector::Ones(2000), theta, 1.0 / (C * 2000),
                                              true, 1, g);
    BOOST_TEST(g.cwiseAbs().maxCoeff() < 1e-9);
    const double scale = newton.coef().cwiseAbs().maxCoeff();
    BOOST_TEST((lbfgs.coef() - newton.coef()).cwiseAbs().maxCoeff() < 1e-6 * scale);
    BOOST_TEST((cd.coef() - newton.coef()).cwiseAbs().maxCoeff() < 1e-6 * scale);
    BOOST_TEST(std::abs(cd.intercept() - newton.intercept()) < 1e-6);
  }
}

BOOST_AUTO_TEST_CASE(subsampled_hessian_for_large_n_reaches_the_same_optimum) {
  // 450000 rows: the Newton and Cd solvers estimate the Hessian on every 4th row; the exact
  // gradient still decides convergence, so the optimum is the one of the exact solvers.
  const Data d = make_data(450000, 4, 12);
  LogisticRegression newton(tight(Penalty::L2, 0.01, LogisticSolver::Newton));
  LogisticRegression lbfgs(tight(Penalty::L2, 0.01, LogisticSolver::Lbfgs));
  LogisticRegressionParams en = tight(Penalty::ElasticNet, 1e-4);
  en.l1_ratio = 0.5;
  LogisticRegression cd(en);
  newton.fit(d.X, d.y);
  lbfgs.fit(d.X, d.y);
  cd.fit(d.X, d.y);
  BOOST_TEST(newton.converged(), newton.warning());
  BOOST_TEST(cd.converged(), cd.warning());
  BOOST_TEST(newton.n_iter() <= 10);
  Vector theta(5), g;
  theta << newton.coef(), newton.intercept();
  churn::linear::detail::logistic_loss_grad(d.X, d.y, Vector::Ones(450000), theta,
                                            1.0 / (0.01 * 450000), true, 0, g);
  BOOST_TEST(g.cwiseAbs().maxCoeff() < 1e-10);
  BOOST_TEST((lbfgs.coef() - newton.coef()).cwiseAbs().maxCoeff() < 1e-6);
}

BOOST_AUTO_TEST_CASE(l1_and_elasticnet_optimum_satisfies_kkt) {
  const Data d = make_data(1500, 12, 3, 0.4);
  for (Penalty pen : {Penalty::L1, Penalty::ElasticNet}) {
    for (double C : {0.005, 0.05, 1.0}) {
      LogisticRegressionParams params = tight(pen, C);
      params.l1_ratio = 0.7;
      LogisticRegression m(params);
      m.fit(d.X, d.y);
      BOOST_TEST(m.converged(), m.warning());
      BOOST_TEST((m.solver_used() == LogisticSolver::Cd));
      const double r = pen == Penalty::L1 ? 1.0 : 0.7;
      const double l1 = r / (C * 1500), l2 = (1 - r) / (C * 1500);
      Vector theta(13), g;
      theta << m.coef(), m.intercept();
      churn::linear::detail::logistic_loss_grad(d.X, d.y, Vector::Ones(1500), theta, l2, true, 1,
                                                g);
      BOOST_TEST(std::abs(g[12]) < 1e-9);
      int zeros = 0;
      for (Index j = 0; j < 12; ++j) {
        if (theta[j] == 0.0) {
          ++zeros;
          BOOST_TEST(std::abs(g[j]) <= l1 + 1e-9);
        } else {
          BOOST_TEST(std::abs(g[j] + l1 * (theta[j] > 0 ? 1 : -1)) < 1e-9);
        }
      }
      if (C == 0.005) BOOST_TEST(zeros > 0, "strong L1 should zero some coefficients");
    }
  }
}

BOOST_AUTO_TEST_CASE(weights_equal_repeated_rows_and_class_weight) {
  const Data d = make_data(400, 4, 4);
  // Weight 2 on the first 100 rows == those rows repeated.
  Vector w = Vector::Ones(400);
  w.head(100).setConstant(2.0);
  RowMatrix X2(500, 4);
  X2 << d.X, d.X.topRows(100);
  Vector y2(500);
  y2 << d.y, d.y.head(100);
  LogisticRegression a(tight(Penalty::L2, 0.3)), b(tight(Penalty::L2, 0.3));
  a.fit(d.X, d.y, churn_test::weighted(w));
  b.fit(X2, y2);
  BOOST_TEST((a.coef() - b.coef()).cwiseAbs().maxCoeff() < 1e-9);
  // Custom class weights == sample weights by class.
  LogisticRegressionParams pc = tight(Penalty::L2, 0.3);
  pc.class_weight = churn::linear::ClassWeightMode::Custom;
  pc.class_weight_0 = 0.5;
  pc.class_weight_1 = 3.0;
  LogisticRegression c(pc), e(tight(Penalty::L2, 0.3));
  c.fit(d.X, d.y);
  Vector wy(400);
  for (Index i = 0; i < 400; ++i) wy[i] = d.y[i] == 1.0 ? 3.0 : 0.5;
  e.fit(d.X, d.y, churn_test::weighted(wy));
  BOOST_TEST((c.coef() - e.coef()).cwiseAbs().maxCoeff() < 1e-12);
  // Balanced: both classes end up with equal total weight.
  LogisticRegressionParams pb = tight(Penalty::None, 1.0);
  pb.class_weight = churn::linear::ClassWeightMode::Balanced;
  LogisticRegression bal(pb);
  bal.fit(d.X, d.y);
  const double n1 = d.y.sum(), n0 = 400 - n1;
  Vector wb(400);
  for (Index i = 0; i < 400; ++i) wb[i] = d.y[i] == 1.0 ? 200.0 / n1 : 200.0 / n0;
  LogisticRegression ref(tight(Penalty::None, 1.0));
  ref.fit(d.X, d.y, churn_test::weighted(wb));
  BOOST_TEST((bal.coef() - ref.coef()).cwiseAbs().maxCoeff() < 1e-12);
}

BOOST_AUTO_TEST_CASE(separable_data_with_l2_stays_finite) {
  RowMatrix X(6, 1);
  X << -3, -2, -1, 1, 2, 3;
  Vector y(6);
  y << 0, 0, 0, 1, 1, 1;
  LogisticRegression l2(tight(Penalty::L2, 1e6));
  l2.fit(X, y);
  BOOST_TEST(l2.converged(), l2.warning());
  BOOST_TEST(std::isfinite(l2.coef()[0]));
  BOOST_TEST(l2.coef()[0] > 1.0);
  // Without a penalty there is no optimum: a warning, not a crash, and finite numbers.
  LogisticRegressionParams none = tight(Penalty::None, 1.0);
  none.max_iter = 20;
  LogisticRegression m(none);
  m.fit(X, y);
  BOOST_TEST(!m.converged());
  BOOST_TEST(!m.warning().empty());
  BOOST_TEST(std::isfinite(m.coef()[0]));
  BOOST_TEST(m.predict_proba(X).allFinite());
}

BOOST_AUTO_TEST_CASE(non_convergence_is_a_flag_and_a_message) {
  const Data d = make_data(500, 5, 5);
  LogisticRegressionParams p = tight(Penalty::L2, 1.0, LogisticSolver::Lbfgs);
  p.max_iter = 2;
  LogisticRegression m(p);
  m.fit(d.X, d.y);
  BOOST_TEST(!m.converged());
  BOOST_TEST(m.n_iter() == 2);
  BOOST_TEST(m.warning().find("max_iter=2") != std::string::npos, m.warning());
}

BOOST_AUTO_TEST_CASE(bit_identical_for_any_thread_count) {
  const Data d = make_data(30000, 6, 6);  // several row blocks
  for (LogisticSolver s : {LogisticSolver::Newton, LogisticSolver::Lbfgs, LogisticSolver::Cd}) {
    LogisticRegressionParams p1 = tight(Penalty::L2, 0.5, s);
    p1.n_threads = 1;
    LogisticRegressionParams p2 = p1;
    p2.n_threads = 2;
    LogisticRegression a(p1), b(p2);
    a.fit(d.X, d.y);
    b.fit(d.X, d.y);
    BOOST_TEST((a.coef().array() == b.coef().array()).all());
    BOOST_TEST(a.intercept() == b.intercept());
    BOOST_TEST(a.n_iter() == b.n_iter());
    BOOST_TEST((a.predict_proba(d.X).array() == b.predict_proba(d.X).array()).all());
  }
}

BOOST_AUTO_TEST_CASE(objective_is_sklearns) {
  const Data d = make_data(200, 3, 7);
  LogisticRegressionParams p = tight(Penalty::ElasticNet, 2.0);
  p.l1_ratio = 0.25;
  LogisticRegression m(p);
  Vector coef(3);
  coef << 0.5, -1.0, 0.25;
  double loss = 0.0;
  for (Index i = 0; i < 200; ++i) {
    const double eta = d.X.row(i).dot(coef) + 0.1;
    loss += std::log1p(std::exp(eta)) - d.y[i] * eta;
  }
  const double pen = 0.25 * 1.75 + 0.5 * 0.75 * (0.25 + 1.0 + 0.0625);
  BOOST_TEST(std::abs(m.objective(d.X, d.y, Vector(), coef, 0.1) - (2.0 * loss + pen)) < 1e-9);
}

BOOST_AUTO_TEST_CASE(invalid_inputs_throw_exact_types) {
  const Data d = make_data(50, 3, 8);
  LogisticRegression m;
  expect_throw<churn::NotFittedError>([&] { m.predict_proba(d.X); }, "not fitted");
  expect_throw<churn::NotFittedError>([&] { (void)m.coef(); }, "not fitted");
  expect_throw<churn::NotFittedError>([&] { m.save(scratch("x.json").string()); }, "not fitted");

  RowMatrix Xn = d.X;
  Xn(7, 2) = std::numeric_limits<double>::quiet_NaN();
  expect_throw<churn::InvalidArgument>([&] { m.fit(Xn, d.y); }, "column 2 contains NaN");
  expect_throw<churn::InvalidArgument>(
      [&] {
        m.fit(Xn, d.y, churn_test::named({"a", "b", "tenure"}));
      },
      "'tenure'");
  RowMatrix Xi = d.X;
  Xi(3, 1) = std::numeric_limits<double>::infinity();
  expect_throw<churn::InvalidArgument>([&] { m.fit(Xi, d.y); }, "column 1 contains inf");

  Vector y1 = Vector::Ones(50);
  expect_throw<churn::InvalidArgument>([&] { m.fit(d.X, y1); }, "single class");
  Vector y2 = d.y;
  y2[4] = 2.0;
  expect_throw<churn::InvalidArgument>([&] { m.fit(d.X, y2); }, "y[4] = 2");
  y2[4] = std::numeric_limits<double>::quiet_NaN();
  expect_throw<churn::InvalidArgument>([&] { m.fit(d.X, y2); }, "labels must be 0 or 1");
  expect_throw<churn::InvalidArgument>([&] { m.fit(d.X, d.y.head(40)); }, "y has 40 entries");
  Vector w = Vector::Ones(50);
  expect_throw<churn::InvalidArgument>([&] { m.fit(d.X, d.y, churn_test::weighted(w.head(49))); },
                                       "sample_weight has");
  w[9] = -1.0;
  expect_throw<churn::InvalidArgument>([&] { m.fit(d.X, d.y, churn_test::weighted(w)); },
                                       "sample_weight[9] = -1");
  w[9] = std::numeric_limits<double>::infinity();
  expect_throw<churn::InvalidArgument>([&] { m.fit(d.X, d.y, churn_test::weighted(w)); },
                                       "sample_weight[9] = inf");
  expect_throw<churn::InvalidArgument>(
      [&] { m.fit(d.X, d.y, churn_test::weighted(Vector::Zero(50))); }, "sum to 0");
  expect_throw<churn::InvalidArgument>([&] { m.fit(d.X, d.y, churn_test::named({"a"})); },
                                       "feature_names has 1");
  BOOST_TEST(!m.is_fitted());  // failed fits leave the model as it was

  m.fit(d.X, d.y);
  expect_throw<churn::InvalidArgument>([&] { m.predict_proba(d.X.leftCols(2)); },
                                       "X has 2 columns but the model was fitted with 3");
  expect_throw<churn::InvalidArgument>([&] { m.predict(Xn); }, "column 2 contains NaN");
}

BOOST_AUTO_TEST_CASE(params_validate_names_field_and_range) {
  auto bad = [](auto edit, const std::string& needle) {
    LogisticRegressionParams p;
    edit(p);
    expect_throw<churn::InvalidArgument>([&] { p.validate(); }, needle);
    expect_throw<churn::InvalidArgument>([&] { LogisticRegression m(p); }, needle);
  };
  bad([](auto& p) { p.C = 0; }, "C must be > 0");
  bad([](auto& p) { p.C = std::numeric_limits<double>::quiet_NaN(); }, "C must be > 0");
  bad([](auto& p) { p.l1_ratio = 1.5; }, "l1_ratio must be in [0, 1]");
  bad([](auto& p) { p.max_iter = 0; }, "max_iter must be >= 1");
  bad([](auto& p) { p.tol = -1; }, "tol must be finite and > 0");
  bad([](auto& p) { p.n_threads = -2; }, "n_threads must be between 0 (all cores) and");
  bad([](auto& p) { p.class_weight_1 = -1; }, "class_weight_1 must be");
  bad(
      [](auto& p) {
        p.penalty = Penalty::L1;
        p.solver = LogisticSolver::Newton;
      },
      "solver 'newton' supports penalty 'none' and 'l2' only");
  expect_throw<churn::InvalidArgument>([] { churn::linear::penalty_from_name("l3"); }, "'l3'");
  expect_throw<churn::InvalidArgument>([] { churn::linear::solver_from_name("sag"); }, "'sag'");
  LogisticRegressionParams inf;
  inf.C = std::numeric_limits<double>::infinity();
  BOOST_CHECK_NO_THROW(inf.validate());
}

BOOST_AUTO_TEST_CASE(json_round_trip_is_bit_identical) {
  const Data d = make_data(500, 4, 9);
  LogisticRegressionParams p = tight(Penalty::ElasticNet, 0.2);
  p.l1_ratio = 0.3;
  p.class_weight = churn::linear::ClassWeightMode::Custom;
  p.class_weight_1 = 2.0;
  LogisticRegression m(p);
  m.fit(d.X, d.y, churn_test::named({"a", "b", "c", "d"}));
  const std::string path = scratch("model.json").string();
  m.save(path);
  const LogisticRegression back = LogisticRegression::load(path);
  BOOST_TEST((back.coef().array() == m.coef().array()).all());
  BOOST_TEST(back.intercept() == m.intercept());
  BOOST_TEST((back.predict_proba(d.X).array() == m.predict_proba(d.X).array()).all());
  BOOST_TEST(back.feature_names() == m.feature_names());
  BOOST_TEST(back.params().to_json() == m.params().to_json());
  BOOST_TEST(back.n_iter() == m.n_iter());
  const churn::Json doc = churn::load_json_file(path);
  BOOST_TEST(doc["kind"] == "LogisticRegression");
  BOOST_TEST(doc["params"]["penalty"] == "elasticnet");

  LogisticRegressionParams pinf;
  pinf.C = std::numeric_limits<double>::infinity();
  pinf.class_weight = churn::linear::ClassWeightMode::Balanced;
  LogisticRegression mi(pinf);
  mi.fit(d.X, d.y);
  const LogisticRegression bi = LogisticRegression::from_json(mi.to_json());
  BOOST_TEST(std::isinf(bi.params().C));
  BOOST_TEST((bi.params().class_weight == churn::linear::ClassWeightMode::Balanced));
}

BOOST_AUTO_TEST_CASE(damaged_model_files_throw_serialization_error) {
  const Data d = make_data(100, 3, 10);
  LogisticRegression m;
  m.fit(d.X, d.y);
  const churn::Json good = m.to_json();
  using churn::Json;
  auto expect_bad = [](const Json& doc, const std::string& needle) {
    expect_throw<churn::SerializationError>([&] { LogisticRegression::from_json(doc); }, needle);
  };
  Json j = good;
  j["kind"] = "GBDT";
  expect_bad(j, "GBDT");
  j = good;
  j["state"]["coef"] = Json::array({1.0, 2.0});
  expect_bad(j, "coef has 2 entries");
  j = good;
  j["state"]["coef"][1] = "x";
  expect_bad(j, "coef");
  j = good;
  j["state"]["n_features"] = 1e300;
  expect_bad(j, "n_features");
  j = good;
  j["state"]["n_features"] = -3;
  expect_bad(j, "n_features");
  j = good;
  j["state"].erase("intercept");
  expect_bad(j, "intercept");
  j = good;
  j["state"]["intercept"] = nullptr;
  expect_bad(j, "intercept");
  j = good;
  j["params"]["C"] = -1.0;
  expect_bad(j, "C must be > 0");
  j = good;
  j["params"]["penalty"] = "l7";
  expect_bad(j, "l7");
  j = good;
  j["params"]["max_iter"] = 1e30;
  expect_bad(j, "max_iter");
  j = good;
  j["params"]["class_weight"] = Json::array({1, 2});
  expect_bad(j, "class_weight");
  j = good;
  j["params"] = 3;
  expect_bad(j, "params");
  j = good;
  j["state"]["feature_names"] = Json::array({"a"});
  expect_bad(j, "feature_names");
  j = good;
  j["version"] = "9.0";
  expect_bad(j, "version");

  // Truncated and byte-flipped files: an exception of the hierarchy, never a crash.
  const std::string text = good.dump();
  const std::string path = scratch("damaged.json").string();
  {
    std::string t = text;
    t.replace(t.find("\"intercept\":") + 12, 1, "1e999,0");  // out of double range
    std::ofstream(path, std::ios::binary) << t;
    expect_throw<churn::SerializationError>([&] { LogisticRegression::load(path); }, "1e999");
  }
  std::mt19937 gen(11);
  for (int k = 0; k < 300; ++k) {
    std::string t = text;
    if (k % 2 == 0) {
      t.resize(gen() % t.size());
    } else {
      for (int flips = 0; flips < 3; ++flips) t[gen() % t.size()] = static_cast<char>(gen() % 128);
    }
    {
      std::ofstream out(path, std::ios::binary);
      out << t;
    }
    try {
      const LogisticRegression back = LogisticRegression::load(path);
      BOOST_TEST(back.coef().size() >= 1);  // a harmless flip (in a name, say) may still load
      (void)back.predict_proba(d.X.leftCols(back.coef().size()));
    } catch (const churn::SerializationError&) {
    } catch (const churn::InvalidArgument&) {
      // predict on a model whose flipped feature count no longer matches: a clear error too.
    } catch (const std::exception& e) {
      BOOST_ERROR("unexpected exception type " << typeid(e).name() << ": " << e.what());
    }
  }
}

BOOST_AUTO_TEST_CASE(python_fixture_predicts_bit_identically) {
  // Written by python/tests/test_logistic.py (which checks the same numbers from Python).
  const churn::Json doc =
      churn::load_json_file(std::string(CHURN_TEST_DATA_DIR) + "/logistic_fixture.json");
  const LogisticRegression m = LogisticRegression::from_json(doc["model"]);
  const auto rows = doc["X"].get<std::vector<std::vector<double>>>();
  RowMatrix X(static_cast<Index>(rows.size()), m.n_features());
  for (Index i = 0; i < X.rows(); ++i) {
    for (Index j = 0; j < X.cols(); ++j) X(i, j) = rows[i][j];
  }
  const auto proba = doc["proba"].get<std::vector<double>>();
  const auto decision = doc["decision"].get<std::vector<double>>();
  const Vector p = m.predict_proba(X);
  const Vector d = m.decision_function(X);
  BOOST_TEST(p.size() == static_cast<Index>(proba.size()));
  for (Index i = 0; i < p.size(); ++i) {
    BOOST_TEST(p[i] == proba[i], "row " << i);
    BOOST_TEST(d[i] == decision[i], "row " << i);
  }
}

// ---- calibration ------------------------------------------------------------------------------

namespace {

/// Rows [lo, lo + n) of `d`.
Data rows_of(const Data& d, Index lo, Index n) {
  return Data{d.X.middleRows(lo, n), d.y.segment(lo, n)};
}

/// Heavily regularised (so badly calibrated) model fitted on the first 400 rows of `d`.
LogisticRegression shrunk_model(const Data& d) {
  LogisticRegressionParams p;
  p.C = 0.002;
  LogisticRegression m(p);
  const Data train = rows_of(d, 0, 400);
  m.fit(train.X, train.y);
  return m;
}

}  // namespace

BOOST_AUTO_TEST_CASE(calibrated_proba_is_the_calibrator_on_decision_values) {
  const Data d = make_data(1200, 4, 31);
  const Data hold = rows_of(d, 400, 400);
  const Data test = rows_of(d, 800, 400);
  std::mt19937 gen(3);
  std::uniform_real_distribution<double> unif(0.1, 2.0);
  Vector w(hold.X.rows());
  for (Index i = 0; i < w.size(); ++i) w[i] = unif(gen);
  const LogisticRegression base = shrunk_model(d);
  const Vector hold_scores = base.decision_function(hold.X);
  const Vector test_scores = base.decision_function(test.X);
  for (bool weighted : {false, true}) {
    const Vector ww = weighted ? w : Vector();
    LogisticRegression sig = base;
    BOOST_TEST(!sig.is_calibrated());
    BOOST_TEST(&sig.calibrate(hold.X, hold.y, CalibrationMethod::Sigmoid, ww) == &sig);
    LogisticRegression iso = base;
    iso.calibrate(hold.X, hold.y, CalibrationMethod::Isotonic, ww);
    BOOST_TEST(sig.is_calibrated());
    BOOST_TEST((sig.calibrator().method() == CalibrationMethod::Sigmoid));
    BOOST_TEST((iso.calibrator().method() == CalibrationMethod::Isotonic));
    churn::metrics::PlattCalibrator platt;
    platt.fit(hold_scores, hold.y, ww);
    churn::metrics::IsotonicCalibrator isotonic;
    isotonic.fit(hold_scores, hold.y, ww);
    const Vector ps = sig.predict_proba(test.X);
    const Vector pi = iso.predict_proba(test.X);
    BOOST_TEST((ps == platt.transform(test_scores)));
    BOOST_TEST((pi == isotonic.transform(test_scores)));
    // The model itself is untouched: decision values and uncalibrated probabilities.
    BOOST_TEST((sig.decision_function(test.X) == test_scores));
    BOOST_TEST((sig.predict_proba_uncalibrated(test.X) == base.predict_proba(test.X)));
    BOOST_TEST((iso.predict_proba_uncalibrated(test.X) == base.predict_proba(test.X)));
    // Calibration changes the probabilities (the shrunk model is badly calibrated) ...
    BOOST_TEST((ps - base.predict_proba(test.X)).cwiseAbs().maxCoeff() > 0.05);
    // ... and predict() follows the calibrated ones.
    const churn::IntVector labels = iso.predict(test.X);
    for (Index i = 0; i < pi.size(); ++i) BOOST_TEST(labels[i] == (pi[i] > 0.5 ? 1 : 0));
  }
  // A second calibrate() replaces the first.
  LogisticRegression m = base;
  m.calibrate(hold.X, hold.y, CalibrationMethod::Isotonic);
  m.calibrate(hold.X, hold.y, CalibrationMethod::Sigmoid);
  churn::metrics::PlattCalibrator platt;
  platt.fit(hold_scores, hold.y);
  BOOST_TEST((m.predict_proba(test.X) == platt.transform(test_scores)));
}

BOOST_AUTO_TEST_CASE(calibrate_errors_and_refit_clears_the_calibrator) {
  const Data d = make_data(1000, 3, 32);
  const Data hold = rows_of(d, 400, 300);
  LogisticRegression unfitted;
  expect_throw<churn::NotFittedError>(
      [&] { unfitted.calibrate(hold.X, hold.y, CalibrationMethod::Sigmoid); }, "calibrate()");
  LogisticRegression m = shrunk_model(d);
  expect_throw<churn::NotFittedError>([&] { (void)m.calibrator(); }, "not calibrated");
  m.calibrate(hold.X, hold.y, CalibrationMethod::Isotonic);
  const Vector before = m.predict_proba(d.X);
  // Invalid inputs: exact types, and the previous calibrator is kept.
  expect_throw<churn::InvalidArgument>(
      [&] { m.calibrate(hold.X.leftCols(2), hold.y, CalibrationMethod::Sigmoid); }, "columns");
  expect_throw<churn::InvalidArgument>(
      [&] { m.calibrate(hold.X, hold.y.head(10), CalibrationMethod::Sigmoid); }, "y_holdout");
  expect_throw<churn::InvalidArgument>(
      [&] { m.calibrate(hold.X, hold.y, CalibrationMethod::Sigmoid, Vector::Ones(3)); },
      "sample_weight");
  Vector bad_y = hold.y;
  bad_y[5] = 2.0;
  expect_throw<churn::InvalidArgument>(
      [&] { m.calibrate(hold.X, bad_y, CalibrationMethod::Sigmoid); }, "labels 0 and 1");
  RowMatrix nan_X = hold.X;
  nan_X(7, 1) = std::nan("");
  expect_throw<churn::InvalidArgument>(
      [&] { m.calibrate(nan_X, hold.y, CalibrationMethod::Sigmoid); }, "column 1");
  BOOST_TEST(m.is_calibrated());
  BOOST_TEST((m.calibrator().method() == CalibrationMethod::Isotonic));
  BOOST_TEST((m.predict_proba(d.X) == before));
  // A failed fit keeps it too; a successful fit removes it.
  expect_throw<churn::InvalidArgument>([&] { m.fit(hold.X, bad_y); }, "");
  BOOST_TEST(m.is_calibrated());
  m.fit(hold.X, hold.y);
  BOOST_TEST(!m.is_calibrated());
  BOOST_TEST((m.predict_proba(d.X) == m.predict_proba_uncalibrated(d.X)));
  BOOST_TEST(!m.to_json()["state"].contains("calibrator"));
  expect_throw<churn::NotFittedError>([&] { (void)m.calibrator(); }, "not calibrated");
}

BOOST_AUTO_TEST_CASE(calibrated_json_round_trip_is_bit_identical) {
  const Data d = make_data(1000, 4, 33);
  const Data hold = rows_of(d, 400, 300);
  for (auto method : {CalibrationMethod::Sigmoid, CalibrationMethod::Isotonic}) {
    LogisticRegression m = shrunk_model(d);
    m.calibrate(hold.X, hold.y, method);
    const std::string path = scratch("calibrated.json").string();
    m.save(path);
    const LogisticRegression back = LogisticRegression::load(path);
    BOOST_TEST(back.is_calibrated());
    BOOST_TEST((back.calibrator().method() == method));
    BOOST_TEST((back.predict_proba(d.X) == m.predict_proba(d.X)));
    BOOST_TEST((back.predict_proba_uncalibrated(d.X) == m.predict_proba_uncalibrated(d.X)));
    const churn::Json doc = churn::load_json_file(path);
    BOOST_TEST(doc["state"]["calibrator"]["kind"] ==
               (method == CalibrationMethod::Sigmoid ? "PlattCalibrator" : "IsotonicCalibrator"));
    // Without the "calibrator" member (as files written before calibration existed) the
    // model loads uncalibrated.
    churn::Json old = doc;
    old["state"].erase("calibrator");
    const LogisticRegression plain = LogisticRegression::from_json(old);
    BOOST_TEST(!plain.is_calibrated());
    BOOST_TEST((plain.predict_proba(d.X) == m.predict_proba_uncalibrated(d.X)));
  }
}

BOOST_AUTO_TEST_CASE(damaged_calibrator_throws_serialization_error) {
  const Data d = make_data(1000, 3, 34);
  const Data hold = rows_of(d, 400, 300);
  LogisticRegression sig = shrunk_model(d);
  sig.calibrate(hold.X, hold.y, CalibrationMethod::Sigmoid);
  LogisticRegression iso = shrunk_model(d);
  iso.calibrate(hold.X, hold.y, CalibrationMethod::Isotonic);
  using churn::Json;
  auto expect_bad = [](const Json& doc) {
    expect_throw<churn::SerializationError>([&] { LogisticRegression::from_json(doc); },
                                            "calibrator");
  };
  Json j = sig.to_json();
  j["state"]["calibrator"] = nullptr;
  expect_bad(j);
  j["state"]["calibrator"] = 3;
  expect_bad(j);
  j = sig.to_json();
  j["state"]["calibrator"]["kind"] = "GBDT";
  expect_bad(j);
  j = sig.to_json();
  j["state"]["calibrator"]["state"]["a"] = "x";
  expect_bad(j);
  j = sig.to_json();
  j["state"]["calibrator"]["state"].erase("b");
  expect_bad(j);
  j = sig.to_json();
  j["state"]["calibrator"]["version"] = "7.0";
  expect_bad(j);
  j = iso.to_json();
  j["state"]["calibrator"]["state"]["x"] = Json::array({2.0, 1.0});
  j["state"]["calibrator"]["state"]["y"] = Json::array({0.0, 1.0});
  expect_bad(j);
  j = iso.to_json();
  j["state"]["calibrator"]["state"]["y"] = Json::array({0.5});
  expect_bad(j);
  j = iso.to_json();
  j["state"]["calibrator"]["state"]["x"] = Json::array();
  j["state"]["calibrator"]["state"]["y"] = Json::array();
  expect_bad(j);
}

BOOST_AUTO_TEST_CASE(python_calibrated_fixture_predicts_bit_identically) {
  // Written by python/tests/test_logistic.py --write-calibrated-fixture (which checks the same
  // numbers from Python).
  const churn::Json doc =
      churn::load_json_file(std::string(CHURN_TEST_DATA_DIR) + "/logistic_calibrated_fixture.json");
  const auto rows = doc["X"].get<std::vector<std::vector<double>>>();
  const auto decision = doc["decision"].get<std::vector<double>>();
  for (const char* method : {"sigmoid", "isotonic"}) {
    const churn::Json& entry = doc["models"][method];
    const LogisticRegression m = LogisticRegression::from_json(entry["model"]);
    BOOST_TEST(m.is_calibrated());
    BOOST_TEST(churn::metrics::calibration_method_name(m.calibrator().method()) ==
               std::string(method));
    RowMatrix X(static_cast<Index>(rows.size()), m.n_features());
    for (Index i = 0; i < X.rows(); ++i) {
      for (Index j = 0; j < X.cols(); ++j) X(i, j) = rows[i][j];
    }
    const auto proba = entry["proba"].get<std::vector<double>>();
    const auto raw = entry["proba_uncalibrated"].get<std::vector<double>>();
    const Vector p = m.predict_proba(X);
    const Vector u = m.predict_proba_uncalibrated(X);
    const Vector dec = m.decision_function(X);
    BOOST_TEST(p.size() == static_cast<Index>(proba.size()));
    for (Index i = 0; i < p.size(); ++i) {
      BOOST_TEST(p[i] == proba[i], method << " row " << i);
      BOOST_TEST(u[i] == raw[i], method << " row " << i);
      BOOST_TEST(dec[i] == decision[i], method << " row " << i);
    }
  }
}

// fit(table) / predict_proba(table): columns by name (float64 and int64), the same model as the
// matrix; extra and reordered columns are fine; categories, unknown names and missing names fail.
BOOST_AUTO_TEST_CASE(fit_and_predict_on_a_table_by_column_name) {
  using churn::data::Column;
  using churn::data::Table;
  const Data d = make_data(400, 3, 71);
  const Index n = d.X.rows();
  std::vector<double> a(static_cast<std::size_t>(n)), b(a.size());
  std::vector<std::int64_t> c(a.size());
  RowMatrix X(n, 3);
  for (Index i = 0; i < n; ++i) {
    const auto ii = static_cast<std::size_t>(i);
    a[ii] = d.X(i, 0);
    b[ii] = d.X(i, 1);
    c[ii] = static_cast<std::int64_t>(std::lround(d.X(i, 2) * 4));
    X.row(i) << a[ii], b[ii], static_cast<double>(c[ii]);
  }
  const Table t(
      {Column::from_float64("a", a), Column::from_float64("b", b), Column::from_int64("c", c)});
  LogisticRegression from_table(tight(Penalty::L2, 1.0));
  from_table.fit(t, d.y);
  LogisticRegression from_matrix(tight(Penalty::L2, 1.0));
  from_matrix.fit(X, d.y, churn_test::named({"a", "b", "c"}));
  BOOST_TEST(from_table.feature_names() == from_matrix.feature_names());
  for (Index j = 0; j < 3; ++j) BOOST_TEST(from_table.coef()[j] == from_matrix.coef()[j]);
  const Table shuffled({Column::from_strings("id", std::vector<std::string>(a.size(), "x")),
                        Column::from_int64("c", c), Column::from_float64("a", a),
                        Column::from_float64("b", b)});
  const Vector p_table = from_table.predict_proba(shuffled),
               p_matrix = from_matrix.predict_proba(X);
  for (Index i = 0; i < n; ++i) BOOST_TEST(p_table[i] == p_matrix[i]);
  BOOST_TEST(churn_test::throws_with<churn::InvalidArgument>(
      [&] { (void)from_table.predict_proba(Table({Column::from_float64("a", a)})); },
      {"decision_function(table)", "no column 'b'"}));
  const Table with_cat(
      {Column::from_float64("a", a),
       Column::from_strings_categorical("plan", std::vector<std::string>(a.size(), "x"))});
  LogisticRegression m;
  BOOST_TEST(churn_test::throws_with<churn::TypeMismatch>([&] { m.fit(with_cat, d.y); },
                                                          {"fit(table)", "'plan'", "category"}));
  LogisticRegression unnamed;
  unnamed.fit(X, d.y);
  BOOST_TEST(churn_test::throws_with<churn::InvalidArgument>(
      [&] { (void)unnamed.predict_proba(t); }, {"no feature names"}));
  BOOST_TEST(churn_test::throws_with<churn::InvalidArgument>(
      [&] { m.fit(X, d.y, churn_test::with_eval(X, d.y)); }, {"no evaluation set"}));
}

BOOST_AUTO_TEST_CASE(params_have_one_source_for_files_and_options) {
  using churn::Json;
  using churn::linear::ClassWeightMode;
  // defaults as options: every field once, C a number
  const Json d = LogisticRegressionParams().to_options();
  BOOST_TEST(d.size() == 9u);
  BOOST_TEST(d.at("C").get<double>() == 1.0);
  BOOST_TEST(d.at("class_weight").is_null());
  // options name some fields; the others keep their defaults
  const auto p =
      LogisticRegressionParams::from_options(Json{{"C", std::numeric_limits<double>::infinity()},
                                                  {"class_weight", Json{{"0", 0.5}, {"1", 3.0}}},
                                                  {"penalty", "none"}},
                                             "LR");
  BOOST_TEST(std::isinf(p.C));
  BOOST_TEST((p.class_weight == ClassWeightMode::Custom));
  BOOST_TEST(p.class_weight_0 == 0.5);
  BOOST_TEST(p.class_weight_1 == 3.0);
  BOOST_TEST(p.max_iter == 100);
  // a file writes C = inf as text; both forms round-trip to the same struct
  BOOST_TEST(p.to_json().at("C") == "inf");
  BOOST_TEST(std::isinf(p.to_options().at("C").get<double>()));
  for (const Json& j : {p.to_json(), p.to_options()}) {
    const auto q = j.at("C").is_string() ? LogisticRegressionParams::from_json(j)
                                         : LogisticRegressionParams::from_options(j, "LR");
    BOOST_TEST(q.to_json() == p.to_json());
  }
  const auto balanced =
      LogisticRegressionParams::from_options(Json{{"class_weight", "balanced"}}, "LR");
  BOOST_TEST((balanced.class_weight == ClassWeightMode::Balanced));
  BOOST_TEST(balanced.to_json().at("class_weight") == "balanced");
  BOOST_TEST((LogisticRegressionParams::from_json(balanced.to_json()).class_weight ==
              ClassWeightMode::Balanced));
  // errors name the caller and the field, with the kind an option user expects
  auto opts = [](const Json& j) { LogisticRegressionParams::from_options(j, "LR"); };
  BOOST_TEST(churn_test::throws_with<churn::InvalidArgument>(
      [&] {
        opts(Json{{"verbose", 1}});
      },
      "LR: unknown parameter 'verbose'"));
  BOOST_TEST(churn_test::throws_with<churn::TypeMismatch>(
      [&] {
        opts(Json{{"C", "big"}});
      },
      "LR: C must be a number"));
  BOOST_TEST(churn_test::throws_with<churn::TypeMismatch>(
      [&] {
        opts(Json{{"C", "inf"}});
      },
      "LR: C"));
  BOOST_TEST(churn_test::throws_with<churn::InvalidArgument>(
      [&] {
        opts(Json{{"C", -1.0}});
      },
      "C must be > 0"));
  BOOST_TEST(churn_test::throws_with<churn::TypeMismatch>(
      [&] {
        opts(Json{{"max_iter", 1.5}});
      },
      "max_iter must be an int"));
  BOOST_TEST(churn_test::throws_with<churn::InvalidArgument>(
      [&] {
        opts(Json{{"class_weight", "even"}});
      },
      "LR: class_weight must be null"));
  BOOST_TEST(churn_test::throws_with<churn::InvalidArgument>(
      [&] {
        opts(Json{{"class_weight", Json{{"2", 1.0}}}});
      },
      "class_weight keys"));
  BOOST_TEST(churn_test::throws_with<churn::InvalidArgument>(
      [&] {
        opts(Json{{"class_weight", Json{{"0", 1.0}}}});
      },
      "weight of class 1"));
  BOOST_TEST(churn_test::throws_with<churn::TypeMismatch>(
      [&] {
        opts(Json{{"class_weight", Json{{"0", "a"}, {"1", 1.0}}}});
      },
      "must be numbers"));
  BOOST_TEST(churn_test::throws_with<churn::InvalidArgument>(
      [&] {
        opts(Json{{"penalty", "l3"}});
      },
      "penalty must be one of"));
  // a saved file's damage is a SerializationError
  Json bad = p.to_json();
  bad["class_weight"] = Json{{"0", 1.0}};
  BOOST_CHECK_THROW(LogisticRegressionParams::from_json(bad), churn::SerializationError);
  bad = p.to_json();
  bad["C"] = "huge";
  BOOST_CHECK_THROW(LogisticRegressionParams::from_json(bad), churn::SerializationError);
}

BOOST_AUTO_TEST_SUITE_END()
