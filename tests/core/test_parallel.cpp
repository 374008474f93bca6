#include <boost/test/unit_test.hpp>

#include <sys/types.h>  // pid_t
#include <sys/wait.h>   // waitpid
#include <unistd.h>     // fork, _exit

#include <atomic>
#include <chrono>
#include <climits>
#include <cmath>
#include <csignal>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "churn/core/parallel.hpp"
#include "churn/core/random.hpp"

using churn::Index;

BOOST_AUTO_TEST_SUITE(core_parallel)

BOOST_AUTO_TEST_CASE(parallel_for_visits_every_index_once) {
  for (int threads : {1, 2, 3, 0}) {
    std::vector<std::atomic<int>> hits(1001);
    churn::parallel_for(0, 1001, threads, [&](Index i) { hits[static_cast<std::size_t>(i)]++; });
    for (auto& h : hits) BOOST_TEST(h.load() == 1);
  }
}

BOOST_AUTO_TEST_CASE(parallel_for_blocks_covers_range_without_overlap) {
  std::vector<std::atomic<int>> hits(997);
  churn::parallel_for_blocks(0, 997, 10, 2, [&](Index lo, Index hi) {
    BOOST_REQUIRE(hi - lo <= 10);
    for (Index i = lo; i < hi; ++i) hits[static_cast<std::size_t>(i)]++;
  });
  for (auto& h : hits) BOOST_TEST(h.load() == 1);
}

BOOST_AUTO_TEST_CASE(empty_range_calls_nothing) {
  int calls = 0;
  churn::parallel_for(5, 5, 2, [&](Index) { ++calls; });
  churn::parallel_for(5, 3, 2, [&](Index) { ++calls; });
  BOOST_TEST(calls == 0);
}

BOOST_AUTO_TEST_CASE(first_exception_is_rethrown_on_caller) {
  for (int threads : {1, 2, 4}) {
    BOOST_CHECK_THROW(churn::parallel_for(0, 10000, threads,
                                          [&](Index i) {
                                            if (i == 777) throw churn::InvalidArgument("boom 777");
                                          }),
                      churn::InvalidArgument);
    BOOST_CHECK_THROW(churn::parallel_for_blocks(0, 10000, 64, threads,
                                                 [&](Index lo, Index) {
                                                   if (lo >= 640) throw std::runtime_error("x");
                                                 }),
                      std::runtime_error);
  }
}

BOOST_AUTO_TEST_CASE(negative_thread_count_is_an_error) {
  BOOST_CHECK_THROW(churn::parallel_for(0, 10, -1, [](Index) {}), churn::InvalidArgument);
  BOOST_CHECK_THROW(churn::resolve_threads(-3), churn::InvalidArgument);
  BOOST_TEST(churn::resolve_threads(3) == 3);
  BOOST_TEST(churn::resolve_threads(0) >= 1);
}

BOOST_AUTO_TEST_CASE(thread_counts_above_the_cap_are_refused) {
  // issue 19, finding 2: 100000 threads crashed GBDT; 2^31-1 made libgomp abort the process
  BOOST_TEST(churn::kMaxThreads == 1024);
  BOOST_TEST(churn::resolve_threads(churn::kMaxThreads) == churn::kMaxThreads);
  for (int bad : {churn::kMaxThreads + 1, 100000, 1000000, INT_MAX}) {
    BOOST_CHECK_THROW(churn::resolve_threads(bad), churn::InvalidArgument);
    BOOST_CHECK_THROW(churn::parallel_for(0, 10, bad, [](Index) {}), churn::InvalidArgument);
    BOOST_CHECK_THROW(churn::parallel_for_blocks(0, 10, 2, bad, [](Index, Index) {}),
                      churn::InvalidArgument);
  }
  try {
    churn::check_n_threads(100000, "GBDTParams");
    BOOST_ERROR("check_n_threads accepted 100000");
  } catch (const churn::InvalidArgument& e) {
    BOOST_TEST(std::string(e.what()) ==
               "GBDTParams: n_threads must be between 0 (all cores) and 1024, got 100000");
  }
}

// issue 19, finding 3: a child forked after the parent ran a parallel region must not hang in
// its own parallel region (libgomp's pool does not survive fork). Run with a deadline.
BOOST_AUTO_TEST_CASE(a_forked_child_runs_parallel_loops_without_hanging) {
  std::atomic<int> sum{0};
  churn::parallel_for(0, 1000, 2, [&](Index i) { sum += static_cast<int>(i % 7); });
  BOOST_TEST(!churn::detail::in_forked_child());
  const int expected = sum.load();
  const pid_t pid = ::fork();
  BOOST_REQUIRE(pid >= 0);
  if (pid == 0) {  // the child: no Boost.Test here, only an exit status
    std::atomic<int> s{0};
    churn::parallel_for(0, 1000, 2, [&](Index i) { s += static_cast<int>(i % 7); });
    const double r = churn::parallel_reduce(
        0, 1000, 10, 0.0, [](Index lo, Index hi) { return static_cast<double>(hi - lo); },
        [](double a, double b) { return a + b; }, 0);
    const bool ok = churn::detail::in_forked_child() && churn::resolve_threads(0) == 1 &&
                    s.load() == expected && r == 1000.0;
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  pid_t done = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while ((done = ::waitpid(pid, &status, WNOHANG)) == 0 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (done == 0) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    BOOST_FAIL("the forked child hung in a parallel loop");
  }
  BOOST_TEST(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 0);
}

BOOST_AUTO_TEST_CASE(reduction_is_bit_identical_for_any_thread_count) {
  // Values of wildly different magnitudes make floating-point sums order-dependent, so a
  // thread-count-dependent fold would show up as a different bit pattern.
  churn::Rng rng(7);
  std::vector<double> x(100003);
  for (auto& v : x) v = rng.normal() * std::pow(10.0, rng.uniform(-8, 8));
  auto sum_with = [&](int threads) {
    return churn::parallel_reduce(
        0, static_cast<Index>(x.size()), 1000, 0.0,
        [&](Index lo, Index hi) {
          double a = 0;
          for (Index i = lo; i < hi; ++i) a += x[static_cast<std::size_t>(i)];
          return a;
        },
        [](double a, double b) { return a + b; }, threads);
  };
  const double s1 = sum_with(1);
  for (int t : {2, 3, 4, 7, 0}) BOOST_TEST(sum_with(t) == s1);
  // and it equals the same blocked fold done by hand
  double ref = 0;
  for (std::size_t lo = 0; lo < x.size(); lo += 1000) {
    double a = 0;
    for (std::size_t i = lo; i < std::min(x.size(), lo + 1000); ++i) a += x[i];
    ref += a;
  }
  BOOST_TEST(s1 == ref);
}

BOOST_AUTO_TEST_CASE(reduce_of_empty_range_is_init) {
  const double r = churn::parallel_reduce(
      0, 0, 10, 42.0, [](Index, Index) { return 1.0; }, [](double a, double b) { return a + b; },
      2);
  BOOST_TEST(r == 42.0);
  BOOST_CHECK_THROW(churn::parallel_reduce(
                        0, 10, 0, 0.0, [](Index, Index) { return 1.0; },
                        [](double a, double b) { return a + b; }, 2),
                    churn::InvalidArgument);
}

BOOST_AUTO_TEST_SUITE_END()
