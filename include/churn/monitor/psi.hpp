#pragma once
/// @file psi.hpp
/// Distribution-shift statistics of one column: population stability index (PSI), the
/// two-sample Kolmogorov-Smirnov statistic, the Jensen-Shannon distance, missing-rate change,
/// the share of values outside the reference range and unseen categories; and the mergeable
/// histograms they are computed from.
///
/// Conventions shared by everything here (and by baseline.hpp):
/// - **Missing values** (NaN) are a bin of their own. Shares are taken over all rows, missing
///   included, so the value bins and the missing bin sum to 1.
/// - **Bin edges** `e_0 < e_1 < ... < e_m` come from the reference: numpy's default quantiles
///   (linear interpolation at position `(n - 1) q` of the sorted values) at `q = i / bins`
///   with repeated edges merged (`Binning::Quantile`), or `bins` equal-width bins between the
///   reference minimum and maximum (`Binning::EqualWidth`). Bins are closed on the left,
///   `[e_i, e_{i+1})`, and the last one on both sides, `[e_{m-1}, e_m]` (as `np.histogram`).
///   Values below `e_0` fall into the first bin and values above `e_m` into the last one (and
///   are counted as out of range). A constant reference (one distinct value) has a single bin;
///   a reference without any value has a single bin too, and every later value is out of range.
/// - **PSI** = `sum_i (c_i - r_i) ln(c_i / r_i)` over the value bins and the missing bin, where
///   `r_i`, `c_i` are the reference and current shares and an empty bin's share (0) is replaced
///   by `epsilon` (default `kDefaultEpsilon` = 1e-4; shares are not renormalised). A bin empty
///   on both sides contributes 0.
/// - **Jensen-Shannon distance** = `sqrt(JSD)` with natural logarithms over the same bins
///   (scipy.spatial.distance.jensenshannon's default), between 0 and `sqrt(ln 2)`; no epsilon.
/// - **KS statistic** = `max_t |F_ref(t) - F_cur(t)|` of the empirical distribution functions
///   of the non-missing values (scipy.stats.ks_2samp's statistic); NaN when either side has no
///   value.
/// - **Categorical** columns (Categorical or String) have one bin per reference category, one
///   for categories never seen in the reference and one for missing values. Categories are
///   matched by name, so two batches may have different dictionaries.
/// - Histograms hold integer counts: a histogram built from chunks, or on several workers, and
///   merged equals the one-pass histogram exactly, for any thread count.

#include <cstdint>      // std::int64_t, std::uint8_t
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector

#include "churn/core/types.hpp"
#include "churn/data/table.hpp"

namespace churn::monitor {

/// The share given to an empty bin in PSI (a zero share would make PSI infinite).
inline constexpr double kDefaultEpsilon = 1e-4;

/// How bin edges are chosen from the reference.
enum class Binning : std::uint8_t {
  Quantile,   ///< edges at the reference quantiles i / bins, repeated edges merged
  EqualWidth  ///< bins of equal width between the reference minimum and maximum
};

/// "quantile" or "equal_width".
const char* binning_name(Binning b);
/// Inverse of binning_name. @throws InvalidArgument for any other name.
Binning binning_from_name(std::string_view name);

/// Quantiles of the non-missing values of `x` at `levels` (each in [0, 1]), as numpy's default
/// `np.quantile(x[~isnan(x)], levels)`. Exact: found by selection, without sorting.
/// @throws InvalidArgument if `x` has no non-missing value, holds an infinite value, or a
///         level is outside [0, 1].
std::vector<double> quantiles(const VectorRef& x, const std::vector<double>& levels);

/// Bin edges of the non-missing values of `reference` (see the file comment): strictly
/// increasing, at least one edge; empty when `reference` has no non-missing value.
/// @throws InvalidArgument if `bins` < 1 or `reference` holds an infinite value.
/// @code
/// churn::Vector x(6);
/// x << 1, 2, 2, 2, 3, NAN;
/// auto e = churn::monitor::bin_edges(x, 4);  // quantiles {1, 2, 2, 2, 3} merged: {1, 2, 3}
/// @endcode
std::vector<double> bin_edges(const VectorRef& reference, int bins = 10,
                              Binning binning = Binning::Quantile);

/// Integer counts of a numeric column over fixed bin edges, plus missing and out-of-range
/// counts. Mergeable: `add` in chunks and `merge` give exactly the one-pass counts.
/// @code
/// churn::monitor::Histogram h(churn::monitor::bin_edges(reference));
/// h.add(chunk1).add(chunk2);
/// std::vector<double> shares = h.shares(churn::monitor::kDefaultEpsilon);
/// @endcode
///
/// Thread safety: the const members (accessors, shares) may run concurrently on one object from any
/// number of threads; add and merge (give each thread its own histogram and merge
/// them) need exclusive access. Distinct objects are independent.
class Histogram {
 public:
  /// An empty histogram over `edges` (strictly increasing and finite; empty allowed).
  /// @throws InvalidArgument otherwise.
  explicit Histogram(std::vector<double> edges = {});

  /// Counts the values of `x` (NaN = missing; infinite values are out of range).
  /// @return `*this`. @throws InvalidArgument if `n_threads` < 0.
  Histogram& add(const VectorRef& x, int n_threads = 0);
  /// Counts the values of a Float64, Int64 or Timestamp column (timestamps in ns).
  /// @throws TypeMismatch for other column types.
  Histogram& add(const data::Column& column, int n_threads = 0);
  /// Adds the counts of `other`. @throws InvalidArgument if the edges differ.
  Histogram& merge(const Histogram& other);

  /// The bin edges.
  const std::vector<double>& edges() const { return edges_; }
  /// Number of value bins: `max(1, edges().size() - 1)`.
  Index n_bins() const { return static_cast<Index>(counts_.size()); }
  /// Values per bin (out-of-range values included in the end bins).
  const std::vector<std::int64_t>& counts() const { return counts_; }
  /// Missing values.
  std::int64_t missing() const { return missing_; }
  /// Values below the first edge or above the last (all values when there are no edges).
  std::int64_t out_of_range() const { return out_of_range_; }
  /// All rows counted, missing included.
  std::int64_t total() const;
  /// Shares of the value bins followed by the missing bin, over total(); a zero share is
  /// replaced by `epsilon` (pass 0 to keep zeros). @throws InvalidArgument if total() is 0.
  std::vector<double> shares(double epsilon = 0.0) const;

  /// A histogram from stored counts (`counts` has n_bins() entries).
  /// @throws InvalidArgument for invalid edges, a wrong number of counts or a negative count.
  static Histogram from_parts(std::vector<double> edges, std::vector<std::int64_t> counts,
                              std::int64_t missing, std::int64_t out_of_range);

 private:
  std::vector<double> edges_;
  std::vector<double> cuts_;
  std::vector<std::int64_t> counts_;
  std::int64_t missing_ = 0;
  std::int64_t out_of_range_ = 0;
};

/// Counts of a categorical or string column per category name (sorted by name), plus
/// missing. Mergeable like Histogram.
///
/// Thread safety: the const members (accessors, count) may run concurrently on one object from any
/// number of threads; add and merge (give each thread its own counts and merge them) need exclusive
/// access. Distinct objects are independent.
class CategoryCounts {
 public:
  CategoryCounts() = default;
  /// Counts the values of a Categorical or String column.
  /// @return `*this`. @throws TypeMismatch for other column types.
  CategoryCounts& add(const data::Column& column);
  /// Adds the counts of `other` (categories are the union).
  CategoryCounts& merge(const CategoryCounts& other);

  /// Categories seen at least once, sorted by name.
  const std::vector<std::string>& categories() const { return categories_; }
  /// Rows per category (same order as categories()).
  const std::vector<std::int64_t>& counts() const { return counts_; }
  /// Count of one category (0 when never seen).
  std::int64_t count(std::string_view category) const;
  /// Missing values.
  std::int64_t missing() const { return missing_; }
  /// All rows counted, missing included.
  std::int64_t total() const;

  /// Builds counts from stored parts. @throws InvalidArgument unless the categories are
  /// sorted, distinct and the counts positive and of the same length, and missing >= 0.
  static CategoryCounts from_parts(std::vector<std::string> categories,
                                   std::vector<std::int64_t> counts, std::int64_t missing);

 private:
  std::vector<std::string> categories_;
  std::vector<std::int64_t> counts_;
  std::int64_t missing_ = 0;
};

/// Counts of `current` over the bins of `reference`: one per reference category (in the
/// reference's order), one for unseen categories, one for missing.
std::vector<std::int64_t> categorical_bin_counts(const CategoryCounts& reference,
                                                 const CategoryCounts& current);

/// PSI between two count vectors over the same bins (see the file comment).
/// @throws InvalidArgument if the lengths differ, a count is negative, a total is 0 or
///         `epsilon` is not in (0, 1).
double psi_from_counts(const std::vector<std::int64_t>& reference,
                       const std::vector<std::int64_t>& current, double epsilon = kDefaultEpsilon);
/// Jensen-Shannon distance between two count vectors over the same bins.
/// @throws InvalidArgument if the lengths differ, a count is negative or a total is 0.
double js_from_counts(const std::vector<std::int64_t>& reference,
                      const std::vector<std::int64_t>& current);

/// PSI of a numeric column: bins from `reference` (see bin_edges), missing bin included.
/// @throws InvalidArgument for an empty input, `bins` < 1, `epsilon` outside (0, 1) or an
///         infinite reference value.
/// @code
/// double p = churn::monitor::psi(train_tenure, last_week_tenure);  // 10 quantile bins
/// @endcode
double psi(const VectorRef& reference, const VectorRef& current, int bins = 10,
           Binning binning = Binning::Quantile, double epsilon = kDefaultEpsilon);
/// Jensen-Shannon distance of a numeric column over the same bins as psi().
/// @throws as psi().
double js_distance(const VectorRef& reference, const VectorRef& current, int bins = 10,
                   Binning binning = Binning::Quantile);
/// Exact two-sample KS statistic of the non-missing values (NaN if either has none).
/// @throws InvalidArgument for an empty input.
double ks_statistic(const VectorRef& reference, const VectorRef& current);
/// Share of rows that are missing. @throws InvalidArgument for an empty input.
double missing_rate(const VectorRef& x);
/// Share of the non-missing values of `current` outside `[min, max]` of the non-missing
/// reference values (1 when the reference has none; NaN when `current` has none).
/// @throws InvalidArgument for an empty input.
double share_out_of_range(const VectorRef& reference, const VectorRef& current);

/// PSI of a categorical or string column (categories matched by name).
/// @throws TypeMismatch for other column types; InvalidArgument for an empty column or
///         `epsilon` outside (0, 1).
double categorical_psi(const data::Column& reference, const data::Column& current,
                       double epsilon = kDefaultEpsilon);
/// Jensen-Shannon distance of a categorical or string column over the bins of
/// categorical_psi(). @throws as categorical_psi().
double categorical_js_distance(const data::Column& reference, const data::Column& current);
/// Categories of `current` never seen in `reference`, sorted by name.
/// @throws TypeMismatch for column types other than categorical or string.
std::vector<std::string> unseen_categories(const data::Column& reference,
                                           const data::Column& current);

}  // namespace churn::monitor
