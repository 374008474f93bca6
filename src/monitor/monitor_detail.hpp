#pragma once
// Private kernels shared by psi.cpp, baseline.cpp and report.cpp: value extraction, the cut
// lookup of the histograms, exact selection of quantiles, exact (order-free) sums.

#include <cstddef>  // std::size_t
#include <cstdint>  // std::int64_t, std::uint64_t, std::uint32_t
#include <string>   // std::string
#include <vector>   // std::vector

#include "churn/core/json.hpp"
#include "churn/core/types.hpp"
#include "churn/data/table.hpp"

namespace churn::monitor::detail {

__extension__ typedef __int128 Int128;            // exact sums (GCC/Clang)
__extension__ typedef unsigned __int128 UInt128;  // its bit pattern

/// True for Float64, Int64 and Timestamp columns (binned as numbers).
bool is_numeric(DType t);
/// True for Categorical and String columns (binned by category name).
bool is_categorical(DType t);

/// Rows [lo, hi) of a numeric column as doubles in `out` (NaN = missing).
/// @throws TypeMismatch naming `caller` for other column types.
void column_values(const Column& c, Index lo, Index hi, double* out, const char* caller);

/// Finds, for a value, the number of cuts <= it (the cell index), with a bucket table over
/// the order-preserving integer image of the cuts and a binary search as fallback.
class CutIndex {
 public:
  CutIndex() = default;
  /// `cuts` must be strictly increasing and not NaN (infinite allowed).
  explicit CutIndex(const std::vector<double>& cuts);
  /// Number of cells: cuts + 1.
  std::size_t n_cells() const { return cuts_.size() + 1; }
  /// Size of the scratch counters count() uses: four interleaved counters per cell and for
  /// missing values (breaks the store-to-load chain of repeated cells).
  std::size_t scratch_size() const { return 4 * (n_cells() + 1); }
  /// Counts the values of x[0, n) into `scratch` (scratch_size() entries, zeroed first).
  void count(const double* x, Index n, std::int64_t* scratch) const;
  /// Adds `scratch` to `cells` (n_cells() entries) and `missing`, and zeroes it.
  void flush(std::int64_t* scratch, std::int64_t* cells, std::int64_t& missing) const;
  /// count() and flush() of one range, with its own scratch.
  void count(const double* x, Index n, std::int64_t* cells, std::int64_t& missing) const;
  /// The cell of a non-NaN value.
  std::size_t find(double x) const;

 private:
  std::vector<double> cuts_;
  std::vector<std::uint32_t> first_;  // first_[b]: cuts in buckets before b
  std::uint64_t key_lo_ = 0;
  std::uint64_t key_hi_ = 0;
  int shift_ = 0;
  bool table_ = false;
};

/// An exact sum of doubles whose result does not depend on the order of the additions or on
/// how they were split and merged: mantissas are added into 128-bit integers, one per binary
/// exponent. The final double is a deterministic function of that exact state.
class ExactSum {
 public:
  ExactSum() = default;
  /// Adds `x` (infinities are counted apart; NaN must not be passed).
  void add(double x);
  /// Adds `x * x` exactly (as the two doubles of an fma split).
  void add_square(double x);
  /// Adds the state of `other`.
  void merge(const ExactSum& other);
  /// The sum as a double-double (hi, lo); infinities give +-inf or NaN in hi.
  void value(double& hi, double& lo) const;
  /// Whether nothing was added.
  bool empty() const;
  /// Sparse state as JSON: [[exponent, high64, low64], ...] plus the infinity counts.
  Json to_json() const;
  /// Inverse of to_json. @throws SerializationError naming `where`.
  static ExactSum from_json(const Json& j, const std::string& where);
  bool operator==(const ExactSum& o) const;

 private:
  void ensure();
  std::vector<Int128> b_;  // 2048 buckets when non-empty
  std::int64_t pos_inf_ = 0;
  std::int64_t neg_inf_ = 0;
};

/// Quantiles (numpy linear) of the values in `v` (all non-NaN, finite) at `levels` in [0, 1];
/// `v` is reordered. `v` must not be empty.
std::vector<double> select_quantiles(std::vector<double>& v, const std::vector<double>& levels);

/// Edges from the sorted-equivalent values in `v` (reordered); empty for empty `v`.
std::vector<double> edges_of(std::vector<double>& v, int bins, bool quantile);

/// The non-missing values of a numeric column (rejecting infinite ones, naming `caller`).
std::vector<double> finite_values(const Column& c, const char* caller, int n_threads);

/// PSI / JS over count vectors (validated by the caller).
double psi_counts(const std::vector<std::int64_t>& r, const std::vector<std::int64_t>& c,
                  double epsilon);
double js_counts(const std::vector<std::int64_t>& r, const std::vector<std::int64_t>& c);

/// JSON helpers (as in features): members check, doubles with inf/nan, int64 lists.
void check_members(const Json& obj, std::initializer_list<const char*> allowed,
                   const std::string& where);
Json doubles_to_json(const std::vector<double>& v);
std::vector<double> json_to_doubles(const Json& obj, const char* key, const std::string& where);
std::vector<std::int64_t> json_to_counts(const Json& obj, const char* key,
                                         const std::string& where);

}  // namespace churn::monitor::detail
