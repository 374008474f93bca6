#pragma once
// Private to src/features: the step objects of churn::features::Pipeline and the helpers they
// share (column access with clear errors, output buffers, blocked parallel loops, quantiles,
// category lookup, strict JSON reading).

#include <cstdint>           // std::int32_t
#include <initializer_list>  // std::initializer_list
#include <memory>            // std::unique_ptr, std::shared_ptr
#include <string>            // std::string
#include <string_view>       // std::string_view
#include <unordered_map>     // std::unordered_map
#include <utility>           // std::pair
#include <vector>            // std::vector

#include "churn/core/json.hpp"
#include "churn/core/types.hpp"
#include "churn/data/table.hpp"
#include "churn/features/transformers.hpp"
#include "common/category_labels.hpp"
#include "common/params.hpp"

namespace churn::features::detail {

// ---- steps --------------------------------------------------------------------------------------

/// Output columns a step creates under names of their own, each with the input columns it is
/// computed from (Step::new_columns).
using NewColumns = std::vector<std::pair<std::string, std::vector<std::string>>>;

/// One step of a Pipeline. fit() may be called again (refit); transform() is const and
/// thread-safe. Messages name the step through label() ("Pipeline step 2 (one_hot)").
class Step {
 public:
  virtual ~Step() = default;
  virtual std::unique_ptr<Step> clone() const = 0;
  /// "impute", "clip", ... (the "type" member in JSON).
  virtual const char* type() const = 0;
  /// Columns the step reads (they must exist at fit and transform).
  virtual std::vector<std::string> reads() const = 0;
  /// Columns of `names` the step removes without reading (drop and select).
  virtual std::vector<std::string> removes(const std::vector<std::string>& names) const {
    (void)names;
    return {};
  }
  /// Output columns the step creates under a name of their own (an impute indicator, one-hot
  /// columns, a suffixed bin, a combine's output), each with the input columns it is computed
  /// from. Every other output column comes from the input column of the same name (changed in
  /// place or passed through): this is how Pipeline::feature_sources() follows a column.
  /// Valid after fit or load_state.
  virtual NewColumns new_columns() const { return {}; }
  virtual void fit(const data::Table& t, int n_threads) = 0;
  virtual data::Table transform(const data::Table& t, int n_threads) const = 0;
  /// The settings, including the column names (step_settings.hpp): a saved file's `params`
  /// (non-finite doubles as text), or keyword options (Pipeline::step_options).
  virtual Json settings(common::ParamSource target) const = 0;
  /// Fitted statistics (an empty object for stateless steps).
  virtual Json state_json() const = 0;
  /// Restores fitted statistics written by state_json(); rejects unknown members and values
  /// that transform could not use. @throws SerializationError naming `where`.
  virtual void load_state(const Json& state, const std::string& where) = 0;

  void set_position(Index i) {
    label_ = "Pipeline step " + std::to_string(i) + " (" + type() + ")";
  }
  const std::string& label() const { return label_; }

 private:
  std::string label_ = "Pipeline step";
};

std::unique_ptr<Step> make_impute(std::vector<std::string> columns, ImputeParams p);
std::unique_ptr<Step> make_clip(std::vector<std::string> columns, ClipParams p);
std::unique_ptr<Step> make_log1p(std::vector<std::string> columns);
std::unique_ptr<Step> make_scale(std::vector<std::string> columns, ScaleParams p);
std::unique_ptr<Step> make_bin(std::vector<std::string> columns, BinParams p);
std::unique_ptr<Step> make_combine(std::string output, std::string a, CombineOp op, std::string b,
                                   CombineParams p);
std::unique_ptr<Step> make_one_hot(std::vector<std::string> columns, OneHotParams p);
std::unique_ptr<Step> make_ordinal(std::vector<std::string> columns, OrdinalParams p);
std::unique_ptr<Step> make_drop(std::vector<std::string> columns);
std::unique_ptr<Step> make_select(std::vector<std::string> columns);

/// A step of `type` from its settings(): a saved file's (SerializationError naming `who` for
/// anything wrong) or keyword options (missing settings keep their defaults; InvalidArgument
/// or TypeMismatch naming `who` and the setting).
std::unique_ptr<Step> step_from_settings(const std::string& type, const Json& settings,
                                         common::ParamSource source, const std::string& who);
// (defined next to each step; nullptr for another type)
std::unique_ptr<Step> numeric_step_from_settings(const std::string& type, const Json& settings,
                                                 common::ParamSource source,
                                                 const std::string& who);
std::unique_ptr<Step> categorical_step_from_settings(const std::string& type, const Json& settings,
                                                     common::ParamSource source,
                                                     const std::string& who);
/// The keyword options of a step type with their defaults (operands empty).
Json step_defaults(const std::string& type);

// ---- helpers --------------------------------------------------------------------------------

/// A zero-row column of type `t` (the dry runs that check a loaded pipeline and trace where
/// its output columns come from).
data::Column empty_column(const std::string& name, data::DType t);
/// The column `name` of `t`; InvalidArgument naming the step and the column if it is missing.
const data::Column& find_column(const data::Table& t, const std::string& name,
                                const std::string& label);
/// As find_column, and TypeMismatch unless it is float64 or int64.
const data::Column& numeric_column(const data::Table& t, const std::string& name,
                                   const std::string& label);
/// As find_column, and TypeMismatch unless it is categorical or string.
const data::Column& categorical_column(const data::Table& t, const std::string& name,
                                       const std::string& label);

/// The values of a float64 or int64 column as contiguous doubles (NaN = missing): a view of
/// float64 data, a converted copy of int64 data.
class NumericValues {
 public:
  explicit NumericValues(const data::Column& c);
  const double* data() const { return data_; }
  Index size() const { return n_; }

 private:
  std::vector<double> buffer_;
  const double* data_ = nullptr;
  Index n_ = 0;
};

/// An uninitialised float64 output buffer of n values (no zero fill), owned by a Column later.
struct F64Buffer {
  explicit F64Buffer(Index n);
  double* data() { return ptr.get(); }
  data::Column column(std::string name) const;
  std::shared_ptr<double[]> ptr;
  Index n;
};

/// Rows per block of the parallel loops.
inline constexpr Index kRowBlock = 1 << 15;

/// Calls `body(j, lo, hi)` for every column j < n_cols and row block [lo, hi) of n_rows,
/// in parallel over the (column, block) pairs.
template <class Body>
void for_column_blocks(Index n_cols, Index n_rows, int n_threads, Body&& body);

/// Non-missing values of `x`, sorted.
std::vector<double> sorted_values(const double* x, Index n, int n_threads = 1);

/// A list of distinct names (empty names allowed). @throws SerializationError.
std::vector<std::string> json_to_names(const Json& obj, const char* key, const std::string& where,
                                       bool allow_empty_list);

/// Sorted distinct category names with a fast lookup. Lookups use string_views into
/// `names`, rebuilt on copy.
class CategoryIndex {
 public:
  CategoryIndex() = default;
  explicit CategoryIndex(std::vector<std::string> names);
  CategoryIndex(const CategoryIndex& o) : CategoryIndex(o.names_) {}
  CategoryIndex& operator=(const CategoryIndex& o) {
    if (this != &o) *this = CategoryIndex(o.names_);
    return *this;
  }
  CategoryIndex(CategoryIndex&&) = default;
  CategoryIndex& operator=(CategoryIndex&&) = default;

  const std::vector<std::string>& names() const { return names_; }
  Index size() const { return static_cast<Index>(names_.size()); }
  /// Number of distinct names (size() when the names do not repeat).
  Index distinct() const { return static_cast<Index>(index_.size()); }
  /// The position of `s`: the name with its text, else the name with its numeric value
  /// ("1.0" finds "1": common::NumericLabels), else kUnknown.
  std::int32_t find(std::string_view s) const {
    auto it = index_.find(s);
    if (it != index_.end()) return it->second;
    const std::int32_t k = by_value_.find(s);
    return k < 0 ? kUnknown : k;
  }
  static constexpr std::int32_t kUnknown = -2;

 private:
  std::vector<std::string> names_;
  std::unordered_map<std::string_view, std::int32_t> index_;
  common::NumericLabels by_value_;
};

/// Maps the rows of a categorical or string column to positions in a CategoryIndex: a
/// categorical column through a lookup table over its dictionary (built once), a string column
/// by hashing each value (no allocation).
class CategoryMapper {
 public:
  CategoryMapper(const data::Column& c, const CategoryIndex& idx);
  /// Position of row i's category in the index: -1 when missing, CategoryIndex::kUnknown when
  /// not in the index.
  std::int32_t slot(Index i) const {
    if (codes_ != nullptr) {
      const std::int32_t k = codes_[i];
      return k < 0 ? -1 : lut_[static_cast<std::size_t>(k)];
    }
    if (valid_ != nullptr && valid_[i] == 0) return -1;
    return idx_->find(strings_[i]);
  }

 private:
  const CategoryIndex* idx_;
  const std::int32_t* codes_ = nullptr;
  std::vector<std::int32_t> lut_;
  const std::string* strings_ = nullptr;
  const std::uint8_t* valid_ = nullptr;
};

/// Training counts of each non-missing category of a categorical or string column.
std::vector<std::pair<std::string, Index>> category_counts(const data::Column& c);

/// A new table: `t`'s columns in order, each column named in `replace` swapped for its list
/// (several, one or none), then `append`.
data::Table rebuild_table(const data::Table& t,
                          std::vector<std::pair<std::string, std::vector<data::Column>>> replace,
                          std::vector<data::Column> append = {});

/// Throws InvalidArgument naming the step if `name` is already a column of `t` (at fit).
void check_new_name(const data::Table& t, const std::string& name, const std::string& label);

/// Shortest round-trip text of a double.
std::string format_double(double v);

}  // namespace churn::features::detail

#include "churn/core/parallel.hpp"
#include "common/json.hpp"

namespace churn::features::detail {

template <class Body>
void for_column_blocks(Index n_cols, Index n_rows, int n_threads, Body&& body) {
  if (n_cols <= 0 || n_rows <= 0) return;
  const Index n_blocks = (n_rows + kRowBlock - 1) / kRowBlock;
  // a small job stays on the calling thread (a parallel region costs more than it saves)
  const int threads = n_rows * n_cols < 4 * kRowBlock ? 1 : n_threads;
  parallel_for(0, n_cols * n_blocks, threads, [&](Index task) {
    const Index j = task / n_blocks;
    const Index lo = (task % n_blocks) * kRowBlock;
    body(j, lo, std::min(n_rows, lo + kRowBlock));
  });
}

}  // namespace churn::features::detail
