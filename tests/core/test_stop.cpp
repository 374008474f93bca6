#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "churn/core/datetime.hpp"
#include "churn/core/parallel.hpp"
#include "churn/core/stop.hpp"
#include "churn/data/csv.hpp"
#include "churn/features/aggregate.hpp"
#include "churn/linear/logistic.hpp"
#include "churn/monitor/baseline.hpp"
#include "churn/segment/kmeans.hpp"
#include "churn/tree/gbdt.hpp"

using churn::Index;
using churn::Interrupted;
using churn::RowMatrix;
using churn::StopScope;
using churn::Vector;
using churn::data::Column;
using churn::data::Table;

namespace {

constexpr std::chrono::milliseconds kEveryPoll{0};

/// A stop callback that answers "stop" from its `stop_at`-th call on, counting its calls.
struct StopAfter {
  int stop_at;
  int calls = 0;
  std::function<bool()> fn() {
    return [this] { return ++calls >= stop_at; };
  }
};

/// Runs `f` inside a scope that stops at the `stop_at`-th poll; returns the number of polls
/// (callback calls) and whether `f` threw Interrupted.
struct Outcome {
  int calls = 0;
  bool interrupted = false;
};
template <class F>
Outcome run_stopping_at(int stop_at, F&& f) {
  StopAfter s{stop_at};
  Outcome o;
  try {
    StopScope scope(s.fn(), kEveryPoll);
    f();
  } catch (const Interrupted&) {
    o.interrupted = true;
  }
  o.calls = s.calls;
  return o;
}

/// Logistic data: n x p standard normal features, labels drawn from a logistic model.
void logistic_data(Index n, Index p, unsigned seed, RowMatrix& X, Vector& y) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> unif;
  X.resize(n, p);
  y.resize(n);
  for (Index i = 0; i < n; ++i) {
    double z = -0.3;
    for (Index j = 0; j < p; ++j) {
      X(i, j) = normal(gen);
      z += (j % 2 == 0 ? 0.7 : -0.4) * X(i, j);
    }
    y[i] = unif(gen) < 1.0 / (1.0 + std::exp(-z)) ? 1.0 : 0.0;
  }
}

/// Three blobs in 2-D.
RowMatrix blobs(Index n, unsigned seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> normal;
  RowMatrix X(n, 2);
  for (Index i = 0; i < n; ++i) {
    const double c = static_cast<double>(i % 3) * 4.0;
    X(i, 0) = c + normal(gen);
    X(i, 1) = -c + normal(gen);
  }
  return X;
}

Table numeric_table(Index n, int cols, unsigned seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> normal;
  std::vector<Column> out;
  for (int j = 0; j < cols; ++j) {
    std::vector<double> v(static_cast<std::size_t>(n));
    for (auto& x : v) x = normal(gen) * (j + 1);
    out.push_back(Column::from_float64("x" + std::to_string(j), std::move(v)));
  }
  return Table(std::move(out));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(core_stop)

BOOST_AUTO_TEST_CASE(poll_without_a_scope_does_nothing) {
  for (int i = 0; i < 1000; ++i) churn::poll_stop();
  BOOST_TEST(true);  // reaching here is the test: no throw
}

BOOST_AUTO_TEST_CASE(scope_stops_at_the_nth_poll_and_stays_stopped) {
  StopAfter s{3};
  StopScope scope(s.fn(), kEveryPoll);
  churn::poll_stop();
  churn::poll_stop();
  BOOST_TEST(s.calls == 2);
  BOOST_TEST(!scope.stop_requested());
  BOOST_CHECK_THROW(churn::poll_stop(), Interrupted);
  BOOST_TEST(scope.stop_requested());
  // stopped for good: later polls throw without asking again
  BOOST_CHECK_THROW(churn::poll_stop(), Interrupted);
  BOOST_TEST(s.calls == 3);
}

BOOST_AUTO_TEST_CASE(interrupted_is_a_churn_error) {
  StopScope scope([] { return true; }, kEveryPoll);
  BOOST_CHECK_THROW(churn::poll_stop(), churn::Error);
}

BOOST_AUTO_TEST_CASE(interval_limits_callback_calls) {
  int calls = 0;
  StopScope scope(
      [&] {
        ++calls;
        return false;
      },
      std::chrono::milliseconds(10000));
  for (int i = 0; i < 10000; ++i) churn::poll_stop();
  BOOST_TEST(calls == 0);  // the first call is due only 10 s after construction
}

BOOST_AUTO_TEST_CASE(interval_lets_callback_run_once_due) {
  int calls = 0;
  StopScope scope(
      [&] {
        ++calls;
        return false;
      },
      std::chrono::milliseconds(5));
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(60);
  while (std::chrono::steady_clock::now() < end) churn::poll_stop();
  // about 12 calls; a loaded machine gives fewer, never more than the time allows
  BOOST_TEST(calls >= 1);
  BOOST_TEST(calls <= 13);
}

BOOST_AUTO_TEST_CASE(nested_scopes_ask_every_scope_and_unwind_in_order) {
  bool outer_stop = false;
  int inner_calls = 0, outer_calls = 0;
  StopScope outer(
      [&] {
        ++outer_calls;
        return outer_stop;
      },
      kEveryPoll);
  {
    StopScope inner(
        [&] {
          ++inner_calls;
          return false;
        },
        kEveryPoll);
    churn::poll_stop();
    BOOST_TEST(inner_calls == 1);
    BOOST_TEST(outer_calls == 1);
    outer_stop = true;  // the outer host's flag stops a call inside the inner scope
    BOOST_CHECK_THROW(churn::poll_stop(), Interrupted);
    BOOST_TEST(!inner.stop_requested());
    BOOST_TEST(outer.stop_requested());
  }
  BOOST_CHECK_THROW(churn::poll_stop(), Interrupted);  // the outer scope is installed again
  BOOST_TEST(inner_calls == 2);
}

BOOST_AUTO_TEST_CASE(scope_removed_after_destruction) {
  {
    StopScope scope([] { return true; }, kEveryPoll);
  }
  BOOST_CHECK_NO_THROW(churn::poll_stop());
}

BOOST_AUTO_TEST_CASE(callback_exception_propagates) {
  StopScope scope([]() -> bool { throw std::runtime_error("host failure"); }, kEveryPoll);
  BOOST_CHECK_THROW(churn::poll_stop(), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(other_threads_and_parallel_regions_do_not_poll) {
  int calls = 0;
  StopScope scope(
      [&] {
        ++calls;
        return true;
      },
      kEveryPoll);
  bool threw = false;
  std::thread other([&] {
    try {
      churn::poll_stop();  // no scope on this thread
    } catch (...) {
      threw = true;
    }
  });
  other.join();
  BOOST_TEST(!threw);
  if (churn::has_openmp()) {
    // inside a parallel region (the calling thread is one of its team) poll_stop is a no-op
    BOOST_CHECK_NO_THROW(churn::parallel_for(0, 64, 4, [](Index) { churn::poll_stop(); }));
  }
  BOOST_TEST(calls == 0);
  BOOST_CHECK_THROW(churn::poll_stop(), Interrupted);
  BOOST_TEST(calls == 1);
}

BOOST_AUTO_TEST_CASE(invalid_scopes_are_refused) {
  BOOST_CHECK_THROW(StopScope(std::function<bool()>()), churn::InvalidArgument);
  BOOST_CHECK_THROW(StopScope([] { return false; }, std::chrono::milliseconds(-1)),
                    churn::InvalidArgument);
  BOOST_CHECK_NO_THROW(churn::poll_stop());  // a refused scope installs nothing
}

BOOST_AUTO_TEST_CASE(polled_batches_cover_the_range_in_order) {
  std::vector<std::pair<Index, Index>> calls;
  auto record = [&](Index lo, Index hi) { calls.emplace_back(lo, hi); };
  churn::detail::run_polled_batches(3, 1003, 10, record);  // no scope: one call
  BOOST_REQUIRE(calls.size() == 1u);
  BOOST_TEST(calls[0].first == 3);
  BOOST_TEST(calls[0].second == 1003);
  calls.clear();
  StopAfter s{1000000};
  {
    StopScope scope(s.fn(), kEveryPoll);
    churn::detail::run_polled_batches(3, 1003, 10, [&](Index lo, Index hi) {
      record(lo, hi);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));  // ~100 ms at 5 items/ms
    });
  }
  BOOST_REQUIRE(calls.size() >= 2u);
  BOOST_TEST(calls[0].first == 3);
  BOOST_TEST(calls[0].second == 13);  // the first batch
  for (std::size_t k = 1; k < calls.size(); ++k) BOOST_TEST(calls[k].first == calls[k - 1].second);
  BOOST_TEST(calls.back().second == 1003);
  BOOST_TEST(s.calls == static_cast<int>(calls.size()));  // one poll before each batch
  // a stop before the second batch: the first ran, nothing after it
  calls.clear();
  StopAfter stop2{2};
  StopScope scope(stop2.fn(), kEveryPoll);
  BOOST_CHECK_THROW(churn::detail::run_polled_batches(0, 100, 10, record), Interrupted);
  BOOST_REQUIRE(calls.size() == 1u);
  BOOST_TEST(calls[0].second == 10);
}

BOOST_AUTO_TEST_CASE(gbdt_fit_stops_and_stays_unfitted_or_unchanged) {
  RowMatrix X;
  Vector y;
  logistic_data(400, 4, 1, X, y);
  churn::tree::GBDTParams p;
  p.n_estimators = 40;
  p.n_threads = 2;
  churn::tree::GBDTClassifier m(p);
  const Outcome o = run_stopping_at(10, [&] { m.fit(X, y); });
  BOOST_TEST(o.interrupted);
  BOOST_TEST(o.calls == 10);  // at least one poll per round
  BOOST_TEST(!m.is_fitted());
  // a fitted model keeps its fit when a refit is stopped
  m.fit(X, y);
  const Vector before = m.predict_raw(X);
  churn::tree::GBDTParams p2 = p;
  p2.n_estimators = 80;
  m.set_params(p2);
  BOOST_TEST(run_stopping_at(20, [&] { m.fit_columns({X.col(0), X.col(1)}, y); }).interrupted);
  BOOST_TEST(m.is_fitted());
  BOOST_TEST(m.n_trees() == 40);
  BOOST_TEST((m.predict_raw(X).array() == before.array()).all());
  // the same fit without a stop: every poll answered "go on"
  const Outcome full = run_stopping_at(1000000, [&] { m.fit(X, y); });
  BOOST_TEST(!full.interrupted);
  BOOST_TEST(full.calls >= 80);
  BOOST_TEST(m.n_trees() == 80);
}

BOOST_AUTO_TEST_CASE(logistic_fit_stops_with_every_solver) {
  RowMatrix X;
  Vector y;
  logistic_data(3000, 6, 2, X, y);
  using churn::linear::LogisticSolver;
  for (const LogisticSolver s :
       {LogisticSolver::Newton, LogisticSolver::Lbfgs, LogisticSolver::Cd}) {
    churn::linear::LogisticRegressionParams p;
    p.solver = s;
    p.tol = 1e-12;
    p.max_iter = 1000;
    if (s == LogisticSolver::Cd) p.penalty = churn::linear::Penalty::L1;
    churn::linear::LogisticRegression m(p);
    const Outcome o = run_stopping_at(2, [&] { m.fit(X, y); });
    BOOST_TEST(o.interrupted, churn::linear::solver_name(s));
    BOOST_TEST(o.calls == 2);
    BOOST_TEST(!m.is_fitted());
    m.fit(X, y);
    const Vector coef = m.coef();
    BOOST_TEST(run_stopping_at(2, [&] { m.fit(X.leftCols(3), y); }).interrupted);
    BOOST_TEST((m.coef().array() == coef.array()).all(), churn::linear::solver_name(s));
  }
}

BOOST_AUTO_TEST_CASE(kmeans_fit_stops_and_stays_unfitted_or_unchanged) {
  const RowMatrix X = blobs(3000, 3);
  churn::segment::KMeansParams p;
  p.n_clusters = 3;
  p.n_init = 4;
  p.tol = 0;
  p.seed = 5;
  for (const auto algo :
       {churn::segment::KMeansAlgorithm::Hamerly, churn::segment::KMeansAlgorithm::Lloyd}) {
    p.algorithm = algo;
    churn::segment::KMeans m(p);
    const Outcome o = run_stopping_at(3, [&] { m.fit(X); });
    BOOST_TEST(o.interrupted);
    BOOST_TEST(o.calls == 3);
    BOOST_TEST(!m.is_fitted());
    m.fit(X);
    const RowMatrix centres = m.cluster_centers();
    const double inertia = m.inertia();
    BOOST_TEST(run_stopping_at(6, [&] { m.fit(X.topRows(300)); }).interrupted);
    BOOST_TEST(m.inertia() == inertia);
    BOOST_TEST((m.cluster_centers().array() == centres.array()).all());
  }
}

BOOST_AUTO_TEST_CASE(baseline_fit_accumulate_compare_stop) {
  // 70,000 rows: large enough for the two-pass fit (and its per-group polls)
  const Table ref = numeric_table(70000, 3, 4);
  const Table cur = numeric_table(5000, 3, 5);
  churn::monitor::Baseline b;
  for (int stop_at : {1, 2, 3, 4}) {
    const Outcome o = run_stopping_at(stop_at, [&] { b.fit(ref); });
    BOOST_TEST(o.interrupted, "stop at poll " << stop_at);
    BOOST_TEST(!b.is_fitted());
  }
  b.fit(ref);
  BOOST_TEST(b.n_rows() == 70000);
  BOOST_TEST(run_stopping_at(2, [&] { b.fit(cur); }).interrupted);
  BOOST_TEST(b.n_rows() == 70000);  // unchanged
  BOOST_TEST(run_stopping_at(1, [&] { b.accumulate(cur); }).interrupted);
  BOOST_TEST(run_stopping_at(1, [&] { b.compare(cur); }).interrupted);
  BOOST_CHECK_NO_THROW(b.compare(cur));
}

BOOST_AUTO_TEST_CASE(event_aggregator_update_and_result_stop) {
  const std::int64_t day = churn::kNanosPerDay;
  const std::int64_t as_of = 1717200000LL * 1000000000LL;
  std::vector<std::string> ids, ev_ids, types;
  std::vector<std::int64_t> times;
  for (int c = 0; c < 50; ++c) ids.push_back("C" + std::to_string(c));
  for (int e = 0; e < 2000; ++e) {
    ev_ids.push_back("C" + std::to_string((e * 7) % 60));  // some unmatched
    times.push_back(as_of - (1 + e % 100) * day);
    types.push_back(e % 3 == 0 ? "login" : "call");
  }
  const Table events({Column::from_strings("customer_id", ev_ids),
                      Column::from_timestamp("timestamp", times),
                      Column::from_strings_categorical("event_type", types)});
  const Column customers = Column::from_strings("customer_id", ids);
  churn::features::EventAggregationSpec spec;
  const Table expected = churn::features::aggregate_events(events, customers, as_of, spec);

  // stopped at the first poll (before counting): the aggregator is as it was
  churn::features::EventAggregator a(spec, customers, as_of);
  BOOST_TEST(run_stopping_at(1, [&] { a.update(events); }).interrupted);
  BOOST_TEST(a.n_events_seen() == 0);
  a.update(events);
  const Table got = a.result();
  BOOST_TEST(got.num_columns() == expected.num_columns());
  for (Index j = 1; j < got.num_columns(); ++j)
    BOOST_TEST((got.column(j).as_float64().array() == expected.column(j).as_float64().array() ||
                (got.column(j).as_float64().array().isNaN() &&
                 expected.column(j).as_float64().array().isNaN()))
                   .all());
  BOOST_TEST(run_stopping_at(1, [&] { (void)a.result(); }).interrupted);

  // stopped while counting: unusable, and says so
  churn::features::EventAggregator b(spec, customers, as_of);
  BOOST_TEST(run_stopping_at(2, [&] { b.update(events); }).interrupted);
  BOOST_CHECK_THROW((void)b.result(), churn::NotFittedError);
  BOOST_CHECK_THROW(b.update(events), churn::NotFittedError);
}

BOOST_AUTO_TEST_CASE(csv_reads_stop) {
  std::ostringstream os;
  os << "id,x,kind\n";
  for (int i = 0; i < 20000; ++i) os << i << "," << i * 0.5 << "," << (i % 2 ? "a" : "b") << "\n";
  const std::string text = os.str();
  for (int stop_at : {1, 2, 3}) {
    const Outcome o = run_stopping_at(stop_at, [&] { (void)churn::data::parse_csv(text); });
    BOOST_TEST(o.interrupted, "stop at poll " << stop_at);
    BOOST_TEST(o.calls == stop_at);
  }
  const auto path = std::filesystem::temp_directory_path() / "churn_test_stop.csv";
  {
    std::ofstream f(path);
    f << text;
  }
  BOOST_TEST(run_stopping_at(1, [&] { (void)churn::data::read_csv(path.string()); }).interrupted);
  churn::data::CsvChunkReader reader(path.string(), {}, 1 << 16);
  BOOST_TEST(run_stopping_at(1, [&] { (void)reader.next(); }).interrupted);
  // the reader is left where it was: reading on gives every row
  Index rows = 0;
  while (auto t = reader.next()) rows += t->num_rows();
  BOOST_TEST(rows == 20000);
  std::filesystem::remove(path);
}

BOOST_AUTO_TEST_SUITE_END()
