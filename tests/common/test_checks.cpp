// common/checks.hpp: labels, weights, finite values and names, against brute-force references.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "churn/core/error.hpp"
#include "churn/core/types.hpp"
#include "common/checks.hpp"

#include "test_util.hpp"

using churn::Index;
using churn::RowMatrix;
using churn::Vector;
using churn_test::throws_with;
namespace common = churn::common;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

/// Labels 0/1 from a fixed pattern (i * 7 mod 3 == 0 -> 1), n rows spanning several blocks.
Vector pattern_labels(Index n) {
  Vector y(n);
  for (Index i = 0; i < n; ++i) y[i] = (i * 7) % 3 == 0 ? 1.0 : 0.0;
  return y;
}

/// The first row of `x` for which `bad` holds, by a plain serial loop (-1 if none).
template <class Bad>
Index first_bad_serial(const Vector& x, Bad bad) {
  for (Index i = 0; i < x.size(); ++i)
    if (bad(x[i])) return i;
  return -1;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const churn::Error& e) {
    return e.what();
  }
  return "(no exception)";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(common_checks)

BOOST_AUTO_TEST_CASE(column_label_names_the_column_when_it_can) {
  BOOST_TEST(common::column_label(3, {}) == "column 3");
  BOOST_TEST(common::column_label(1, {"a", "tenure"}) == "column 1 ('tenure')");
  BOOST_TEST(common::column_label(2, {"a", "tenure"}) == "column 2");  // fewer names than columns
}

BOOST_AUTO_TEST_CASE(binary_labels_count_ones_for_any_thread_count) {
  const Index n = 300001;  // five blocks of 2^16 rows
  const Vector y = pattern_labels(n);
  Index ones = 0;
  for (Index i = 0; i < n; ++i) ones += y[i] == 1.0;  // closed form: ceil(n / 3) = 100001
  BOOST_TEST(ones == 100001);
  for (int threads : {1, 2, 4, 0})
    BOOST_TEST(common::check_binary_labels(y, "f()", "y", false, threads) == ones);
  BOOST_TEST(common::check_binary_labels(Vector(), "f()") == 0);
}

BOOST_AUTO_TEST_CASE(binary_labels_report_the_first_bad_row_in_row_order) {
  Vector y = pattern_labels(300001);
  y[250000] = 2.0;  // a later block
  y[70000] = -1.0;  // the first bad row, in the second block
  y[70001] = kNaN;
  const Index want = first_bad_serial(y, [](double v) { return !(v == 0.0 || v == 1.0); });
  BOOST_TEST(want == 70000);
  for (int threads : {1, 3, 0})
    BOOST_TEST(message_of([&] { common::check_binary_labels(y, "fit()", "y", false, threads); }) ==
               "fit(): y[70000] = -1, but labels must be 0 or 1 (encode the two classes as labels "
               "0 and 1)");
  Vector z = pattern_labels(10);
  z[4] = kNaN;
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [&] { common::check_binary_labels(z, "fit()"); },
      std::vector<std::string>{"y[4] = nan", "labels must be 0 or 1", "labels 0 and 1"}));
}

BOOST_AUTO_TEST_CASE(binary_labels_catch_values_close_to_0_and_1) {
  // the block test sums |y (1 - y)|: no value other than 0 and 1 may slip through it
  Vector y = pattern_labels(70000);
  y[5] = -0.0;  // equal to 0: a valid label
  BOOST_TEST(common::check_binary_labels(y, "f()") == 23334);
  for (double v : {0.5, 4.9e-324, 1e-300, 1.0 - 0x1p-53, 1.0 + 0x1p-52, -1.0, 2.0, 1e300, -1e300,
                   kInf, -kInf, kNaN}) {
    Vector z = y;
    z[66666] = v;  // in the second block
    const std::string msg = message_of([&] { common::check_binary_labels(z, "f()"); });
    BOOST_TEST(msg.find("y[66666] = ") != std::string::npos, v << ": " << msg);
  }
}

BOOST_AUTO_TEST_CASE(binary_labels_with_nan_allowed) {
  Vector c(4);
  c << 0, kNaN, 1, kNaN;
  BOOST_TEST(common::check_binary_labels(c, "p()", "churned", true) == 1);
  c[2] = 2;
  BOOST_TEST(message_of([&] { common::check_binary_labels(c, "p()", "churned", true); }) ==
             "p(): churned must be 0, 1 or NaN, got 2 at row 2");
  c[2] = kInf;
  BOOST_TEST(message_of([&] { common::check_binary_labels(c, "p()", "churned", true); }) ==
             "p(): churned must be 0, 1 or NaN, got inf at row 2");
}

BOOST_AUTO_TEST_CASE(sample_weight_total_and_first_bad_row) {
  const Index n = 200003;
  Vector w(n);
  for (Index i = 0; i < n; ++i) w[i] = static_cast<double>(i % 5);  // exact integer sums
  // closed form: 40000 full cycles of 0+1+2+3+4 = 10, then 0, 1, 2
  const double total = 40000.0 * 10 + 3;
  for (int threads : {1, 2, 0})
    BOOST_TEST(common::check_sample_weight(w, n, "f()", "sample_weight", threads) == total);

  w[150000] = kNaN;
  w[131072] = -0.5;  // first bad row: the first row of the third block
  for (int threads : {1, 4})
    BOOST_TEST(message_of([&] { common::check_sample_weight(w, n, "f()", "w", threads); }) ==
               "f(): w must be finite and >= 0, got -0.5 at row 131072 (w[131072] = -0.5)");
  Vector v = Vector::Ones(5);
  v[3] = kInf;
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [&] { common::check_sample_weight(v, 5, "f()"); },
      std::vector<std::string>{"sample_weight must be finite and >= 0, got inf at row 3",
                               "sample_weight[3] = inf"}));
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [&] { common::check_sample_weight(Vector::Ones(4), 5, "f()"); },
      "f(): sample_weight has 4 values for 5 rows"));
}

BOOST_AUTO_TEST_CASE(sample_weight_total_must_be_finite_and_positive) {
  // all zero: no average (scikit-learn: "Sample weights must contain at least one non-zero
  // number")
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [&] { common::check_sample_weight(Vector::Zero(3), 3, "f()"); },
      std::vector<std::string>{"sample_weight sums to 0", "total weight must be > 0", "sum to 0"}));
  // each weight finite, the sum overflows: rejected too (the rule LogisticRegression had)
  const Vector huge = Vector::Constant(2, std::numeric_limits<double>::max());
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [&] { common::check_sample_weight(huge, 2, "f()"); }, "sums to inf"));
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [&] { common::check_sample_weight(Vector(), 0, "f()"); }, "sums to 0"));
  // one positive weight is enough
  Vector one = Vector::Zero(3);
  one[1] = 1e-300;
  BOOST_TEST(common::check_sample_weight(one, 3, "f()") == 1e-300);
}

BOOST_AUTO_TEST_CASE(finite_vectors_and_each) {
  Vector x = Vector::LinSpaced(100000, -1.0, 1.0);
  common::check_finite_vector(x, "f()", "score");
  x[99999] = kNaN;
  x[77777] = -kInf;
  BOOST_TEST(message_of([&] { common::check_finite_vector(x, "f()", "score", false, 0); }) ==
             "f(): score must be finite, got -inf at row 77777");
  BOOST_TEST(message_of([&] { common::check_finite_vector(x, "f()", "score", true, 0); }) ==
             "f(): score must be finite or NaN, got -inf at row 77777");
  x[77777] = 0.0;
  common::check_finite_vector(x, "f()", "score", true);  // NaN allowed
  BOOST_TEST(message_of([&] { common::check_finite_vector(x, "f()", "score"); }) ==
             "f(): score must be finite, got nan at row 99999");
  Vector p(3);
  p << 0.5, 1.0, 1.5;
  BOOST_TEST(message_of([&] {
               common::check_each(p, "f()", "p", "hold probabilities in [0, 1]",
                                  [](double v) { return v >= 0 && v <= 1; });
             }) == "f(): p must hold probabilities in [0, 1], got 1.5 at row 2");
}

BOOST_AUTO_TEST_CASE(finite_matrix_names_the_first_column_then_row) {
  RowMatrix X = RowMatrix::Ones(10000, 3);
  common::check_finite_matrix(X, {}, "f()", 0);
  // every value finite but block sums overflow: the slow path must find nothing
  RowMatrix big = RowMatrix::Constant(10000, 3, std::numeric_limits<double>::max());
  common::check_finite_matrix(big, {}, "f()", 0);
  X(9000, 0) = kInf;  // a later row of an earlier column comes first
  X(7, 2) = kNaN;
  X(5, 2) = -kInf;
  BOOST_TEST(message_of([&] {
               common::check_finite_matrix(X, {"a", "b", "c"}, "f()", 2);
             }) == "f(): X column 0 ('a') contains inf (first at row 9000); values must be finite");
  X(9000, 0) = 1;
  BOOST_TEST(message_of([&] { common::check_finite_matrix(X, {}, "f()", 1); }) ==
             "f(): X column 2 contains -inf (first at row 5); values must be finite");
  X(5, 2) = 1;
  BOOST_TEST(message_of([&] { common::check_finite_matrix(X, {}, "f()", 1); }) ==
             "f(): X column 2 contains NaN (first at row 7); impute missing values first");
}

BOOST_AUTO_TEST_CASE(names_and_distinct_lists) {
  using V = std::vector<std::string>;
  BOOST_TEST(common::first_repeat(V{}) == nullptr);
  BOOST_TEST(common::first_repeat(V{"a", "b", ""}) == nullptr);
  const V rep{"a", "b", "c", "b", "a"};
  BOOST_TEST(common::first_repeat(rep) == &rep[3]);  // the first element seen before

  common::check_names(V{"x", "y"}, "f()", "columns");
  common::check_names(V{}, "f()", "columns", true);
  BOOST_TEST(message_of([] { common::check_names(V{}, "f()", "columns"); }) ==
             "f(): columns must not be empty");
  BOOST_TEST(message_of([] {
               common::check_names(V{"x", ""}, "f()", "columns");
             }) == "f(): columns must not hold an empty name");
  BOOST_TEST(message_of([&] { common::check_names(rep, "f()", "columns"); }) ==
             "f(): columns must be distinct, 'b' appears twice");
  common::check_distinct(V{"", "a"}, "f()", "labels");  // empty names are fine here
  BOOST_TEST(throws_with<churn::SerializationError>(
      [] {
        common::check_distinct<churn::SerializationError>(V{"", ""}, "load", "field 'x'");
      },
      "load: field 'x' must be distinct, '' appears twice"));
  BOOST_TEST(throws_with<churn::SerializationError>(
      [] { common::check_names<churn::SerializationError>(V{}, "load", "field 'x'"); },
      "load: field 'x' must not be empty"));
}

BOOST_AUTO_TEST_SUITE_END()
