#pragma once
/// @file transformers.hpp
/// Settings of the steps of a churn::features::Pipeline (see pipeline.hpp).
///
/// Each step is configured by a plain struct with defaults, one `///` line per field and a
/// `validate()` that throws InvalidArgument naming the field and its allowed range. The steps
/// themselves are runtime objects owned by the Pipeline; the structs here are what a user
/// writes (and what is saved under each step's `params` in the pipeline's JSON).

#include <cstdint>   // std::int64_t
#include <limits>    // std::numeric_limits
#include <optional>  // std::optional
#include <string>    // std::string
#include <vector>    // std::vector

#include "churn/core/types.hpp"

namespace churn::features {

/// How Pipeline::impute fills missing values.
enum class ImputeStrategy {
  Median,        ///< Median of the non-missing training values (mean of the two middle ones).
  Mean,          ///< Mean of the non-missing training values.
  Constant,      ///< `fill_value` (numeric) or `fill_category` (categorical).
  MostFrequent,  ///< Most frequent training value; ties go to the smallest value / name.
};

/// Settings of an impute step.
///
/// Numeric columns (float64 or int64) become float64 columns. Categorical columns stay
/// categorical; they accept MostFrequent and Constant only.
struct ImputeParams {
  /// What missing values are replaced by.
  ImputeStrategy strategy = ImputeStrategy::Median;
  /// The fill value of numeric columns under Constant; finite.
  double fill_value = 0.0;
  /// The fill category of categorical columns under Constant; not empty.
  std::string fill_category = "missing";
  /// Also add a float64 column `<col>_missing` (1 where the value was missing, else 0) right
  /// after each imputed column, whether or not the training data had missing values.
  bool add_indicator = false;

  /// @throws InvalidArgument naming the field and its allowed values.
  void validate() const;
};

/// Settings of a clip step: values are clipped to quantiles of the training values.
/// Quantiles use linear interpolation between order statistics (numpy's default method).
struct ClipParams {
  /// Lower quantile in [0, 1]; 0 clips to the training minimum.
  double lower_quantile = 0.01;
  /// Upper quantile in [lower_quantile, 1]; 1 clips to the training maximum.
  double upper_quantile = 0.99;

  /// @throws InvalidArgument naming the field and its allowed range.
  void validate() const;
};

/// Settings of a standard-scaling step: `(x - mean) / std` with the population standard
/// deviation of the non-missing training values; a constant column gets std 1 (as
/// scikit-learn's StandardScaler).
struct ScaleParams {
  /// Subtract the training mean.
  bool with_mean = true;
  /// Divide by the training standard deviation.
  bool with_std = true;

  /// Always valid (present for symmetry with the other steps).
  void validate() const {}
};

/// What a categorical step does with a category it did not see in fit.
enum class UnknownCategory {
  Ignore,  ///< One-hot: all zeros. Ordinal: missing (NaN / code -1).
  Other,   ///< One-hot only: a 1 in the `<col>_<other_name>` column.
  Error,   ///< Throw InvalidArgument naming the column and the category.
};

/// The most output columns a one-hot step makes from one source column when
/// OneHotParams::max_categories is unset: fit refuses a column with more (after `min_count`
/// grouping), naming it, instead of allocating rows x levels values (an id column of 10^6
/// levels). Set `max_categories` to keep the most frequent levels instead.
inline constexpr std::int64_t kOneHotMaxColumns = 10000;

/// Settings of a one-hot step (categorical or string columns -> float64 0/1 columns named
/// `<col>_<category>`, categories in sorted order, replacing the source column in place).
///
/// Missing values give all zeros (impute with Constant first to make them a category).
/// Categories seen fewer than `min_count` times in fit are grouped into one
/// `<col>_<other_name>` column, which also exists when `unknown` is Other. `max_categories`
/// then caps the output columns per source column as scikit-learn's OneHotEncoder does: when
/// the frequent categories plus the other column would exceed it, only the
/// `max_categories - 1` most frequent categories keep a column and the rest join the other
/// column (ties in count: the category that sorts last is kept, as scikit-learn). Without
/// `max_categories`, fit throws InvalidArgument for a column that would make more than
/// kOneHotMaxColumns columns.
struct OneHotParams {
  /// What to do with categories unseen in fit.
  UnknownCategory unknown = UnknownCategory::Ignore;
  /// Categories with fewer training rows are grouped into `<col>_<other_name>`; >= 1
  /// (1 groups nothing).
  std::int64_t min_count = 1;
  /// Name of the grouped column's category; not empty.
  std::string other_name = "other";
  /// At most this many output columns per source column, the other column included; >= 1
  /// (1: every category goes to the other column). Unset: every frequent category keeps its
  /// column, up to kOneHotMaxColumns. Saved only when set (older files load as unset).
  std::optional<std::int64_t> max_categories;

  /// @throws InvalidArgument naming the field and its allowed range.
  void validate() const;
};

/// Settings of an ordinal step (categorical or string column -> the position of its category
/// in the sorted training categories; for the trees).
struct OrdinalParams {
  /// Ignore (missing code) or Error; Other is not allowed.
  UnknownCategory unknown = UnknownCategory::Ignore;
  /// false: a float64 column of codes 0, 1, ... with NaN for missing and unknown values.
  /// true: a categorical column whose dictionary is the sorted training categories (code -1
  /// for missing and unknown).
  bool as_categorical = false;

  /// @throws InvalidArgument naming the field and its allowed values.
  void validate() const;
};

/// How a bin step finds its edges.
enum class BinStrategy {
  Quantile,  ///< `n_bins` bins of about equal training counts (duplicate edges removed).
  Fixed,     ///< The given `edges`.
};

/// What a bin step outputs.
enum class BinOutput {
  Index,        ///< float64 bin index 0, 1, ...; NaN for missing values.
  Categorical,  ///< categorical column of bin labels; code -1 for missing values.
};

/// Settings of a bin step.
///
/// With interior cut points `c_0 < c_1 < ... < c_{k-1}`, bin `j` holds `c_{j-1} <= x < c_j`
/// (left-closed), bin 0 everything below `c_0` and bin `k` everything from `c_{k-1}` up:
/// `k + 1` bins. Quantile edges are numpy-linear quantiles of the training values at
/// `1/n_bins, ..., (n_bins-1)/n_bins`; cut points equal to the training minimum or to each
/// other are dropped, so a column with few distinct values gets fewer bins. A quantile that
/// reads an infinite training value is infinite or NaN (as `np.quantile`); fit then throws
/// InvalidArgument ("has infinite quantiles").
/// Default labels are `(-inf, c_0)`, `[c_0, c_1)`, ..., `[c_{k-1}, inf)`.
struct BinParams {
  /// Quantile or Fixed.
  BinStrategy strategy = BinStrategy::Quantile;
  /// Number of quantile bins, in [2, 1000] (Quantile only).
  int n_bins = 5;
  /// Interior cut points, finite and strictly increasing, at least one (Fixed only).
  std::vector<double> edges;
  /// Output type.
  BinOutput output = BinOutput::Index;
  /// Labels of the bins for Categorical output: empty (default labels) or exactly
  /// `edges.size() + 1` distinct names (Fixed only).
  std::vector<std::string> labels;
  /// Empty: the binned column replaces its source. Otherwise the binned column is named
  /// `<col><suffix>` and inserted right after the source, which is kept.
  std::string suffix;

  /// @throws InvalidArgument naming the field and its allowed range.
  void validate() const;
};

/// The arithmetic of a combine step.
enum class CombineOp { Add, Subtract, Multiply, Divide };

/// Settings of a combine step `output = a <op> b` (a new float64 column appended at the end).
///
/// Division is safe: where `b + denominator_offset == 0` the result is `zero_division_fill`
/// (NaN by default), never an infinity. A missing `a` or `b` gives NaN.
struct CombineParams {
  /// The value of `a / b` where the (offset) denominator is 0; NaN or finite.
  double zero_division_fill = std::numeric_limits<double>::quiet_NaN();
  /// Added to `b` before dividing (e.g. 1 for `sessions / (crashes + 1)`); finite; Divide only.
  double denominator_offset = 0.0;

  /// @throws InvalidArgument naming the field and its allowed range.
  void validate() const;
};

/// "median", "mean", "constant" or "most_frequent".
const char* impute_strategy_name(ImputeStrategy s);
/// Inverse of impute_strategy_name. @throws InvalidArgument naming the allowed names.
ImputeStrategy impute_strategy_from_name(const std::string& name);
/// "ignore", "other" or "error".
const char* unknown_category_name(UnknownCategory u);
/// Inverse of unknown_category_name. @throws InvalidArgument naming the allowed names.
UnknownCategory unknown_category_from_name(const std::string& name);
/// "add", "subtract", "multiply" or "divide".
const char* combine_op_name(CombineOp op);
/// Inverse of combine_op_name. @throws InvalidArgument naming the allowed names.
CombineOp combine_op_from_name(const std::string& name);
/// "quantile" or "fixed".
const char* bin_strategy_name(BinStrategy s);
/// Inverse of bin_strategy_name. @throws InvalidArgument naming the allowed names.
BinStrategy bin_strategy_from_name(const std::string& name);
/// "index" or "categorical".
const char* bin_output_name(BinOutput o);
/// Inverse of bin_output_name. @throws InvalidArgument naming the allowed names.
BinOutput bin_output_from_name(const std::string& name);

}  // namespace churn::features
