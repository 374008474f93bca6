// The input checks of common/checks.hpp.
#include "common/checks.hpp"

#include <cmath>          // std::isfinite, std::isnan, std::isinf
#include <sstream>        // std::ostringstream
#include <unordered_set>  // std::unordered_set

namespace churn::common {

namespace {

/// Rows per block of the matrix scan.
constexpr Index kMatrixBlock = 4096;

}  // namespace

std::string column_label(Index j, const std::vector<std::string>& names) {
  std::ostringstream os;
  os << "column " << j;
  if (j >= 0 && static_cast<std::size_t>(j) < names.size()) os << " ('" << names[j] << "')";
  return os.str();
}

Index check_binary_labels(const VectorRef& y, std::string_view caller, std::string_view what,
                          bool allow_nan, int n_threads) {
  struct Scan {
    Index bad = -1;
    Index ones = 0;
  };
  const Scan s = parallel_reduce(
      Index{0}, y.size(), detail::kVectorBlock, Scan{},
      [&](Index lo, Index hi) {
        Scan r;
        // Fast path, two vectorised sums: y (1 - y) is 0 exactly for y = 0 and y = 1 and
        // nonzero (or NaN) for anything else, so the sum of its absolute values is 0 only for a
        // block of valid labels, whose plain sum is then the exact count of ones.
        const auto b = y.segment(lo, hi - lo).array();
        if ((b * (1.0 - b)).abs().sum() == 0.0) {
          r.ones = static_cast<Index>(b.sum());
          return r;
        }
        for (Index i = lo; i < hi; ++i) {
          const double v = y[i];
          r.ones += v == 1.0 ? 1 : 0;
          if (r.bad < 0 && !(v == 0.0 || v == 1.0 || (allow_nan && std::isnan(v)))) r.bad = i;
        }
        return r;
      },
      [](Scan a, const Scan& b) {
        a.bad = a.bad >= 0 ? a.bad : b.bad;
        a.ones += b.ones;
        return a;
      },
      n_threads);
  if (s.bad >= 0) {
    const double v = y[s.bad];
    CHURN_CHECK(!allow_nan, InvalidArgument,
                caller << ": " << what << " must be 0, 1 or NaN, got " << v << " at row " << s.bad);
    CHURN_THROW(InvalidArgument, caller << ": " << what << "[" << s.bad << "] = " << v
                                        << ", but labels must be 0 or 1 (encode the two classes "
                                           "as labels 0 and 1)");
  }
  return s.ones;
}

double check_sample_weight(const VectorRef& w, Index n, std::string_view caller,
                           std::string_view what, int n_threads) {
  CHURN_CHECK(w.size() == n, InvalidArgument,
              caller << ": " << what << " has " << w.size() << " values for " << n << " rows");
  struct Scan {
    Index bad = -1;
    double total = 0;
  };
  const Scan s = parallel_reduce(
      Index{0}, n, detail::kVectorBlock, Scan{},
      [&](Index lo, Index hi) {
        Scan r;
        for (Index i = lo; i < hi; ++i) {
          const double v = w[i];
          if (r.bad < 0 && !(std::isfinite(v) && v >= 0.0)) r.bad = i;
          r.total += v;
        }
        return r;
      },
      [](Scan a, const Scan& b) {
        a.bad = a.bad >= 0 ? a.bad : b.bad;
        a.total += b.total;
        return a;
      },
      n_threads);
  CHURN_CHECK(s.bad < 0, InvalidArgument,
              caller << ": " << what << " must be finite and >= 0, got " << w[s.bad] << " at row "
                     << s.bad << " (" << what << "[" << s.bad << "] = " << w[s.bad] << ")");
  CHURN_CHECK(s.total > 0 && std::isfinite(s.total), InvalidArgument,
              caller << ": " << what << " sums to " << s.total
                     << "; the total weight must be > 0 and finite (weights that sum to 0 or "
                        "overflow to inf define no average)");
  return s.total;
}

void check_finite_vector(const VectorRef& x, std::string_view caller, std::string_view what,
                         bool allow_nan, int n_threads) {
  if (allow_nan) {
    check_each(
        x, caller, what, "be finite or NaN", [](double v) { return !std::isinf(v); }, n_threads);
  } else {
    check_each(
        x, caller, what, "be finite", [](double v) { return std::isfinite(v); }, n_threads);
  }
}

void check_finite_matrix(const RowMatrixRef& X, const std::vector<std::string>& names,
                         std::string_view caller, int n_threads) {
  // Fast path: a finite block sum (one vectorised pass) proves every value finite; a block
  // whose sum is not finite (NaN, inf, or an overflow of huge values) is checked value by value.
  const int ok = parallel_reduce(  // int, not bool: std::vector<bool> has no references
      Index{0}, X.rows(), kMatrixBlock, 1,
      [&](Index lo, Index hi) {
        const auto block = X.middleRows(lo, hi - lo);
        return std::isfinite(block.sum()) || block.allFinite() ? 1 : 0;
      },
      [](int a, int b) { return a & b; }, n_threads);
  if (ok) return;
  for (Index j = 0; j < X.cols(); ++j) {
    for (Index i = 0; i < X.rows(); ++i) {
      const double v = X(i, j);
      CHURN_CHECK(!std::isnan(v), InvalidArgument,
                  caller << ": X " << column_label(j, names) << " contains NaN (first at row " << i
                         << "); impute missing values first");
      CHURN_CHECK(std::isfinite(v), InvalidArgument,
                  caller << ": X " << column_label(j, names) << " contains " << v
                         << " (first at row " << i << "); values must be finite");
    }
  }
}

const std::string* first_repeat(const std::vector<std::string>& names) {
  if (names.size() < 2) return nullptr;
  std::unordered_set<std::string_view> seen;
  seen.reserve(names.size());
  for (const auto& s : names)
    if (!seen.insert(s).second) return &s;
  return nullptr;
}

}  // namespace churn::common
