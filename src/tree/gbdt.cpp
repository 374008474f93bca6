// churn::tree::GBDTClassifier: parameters, input checks, the boosting loop, prediction, JSON.
#include "churn/tree/gbdt.hpp"

#include <algorithm>      // std::find, std::sort, std::min
#include <cmath>          // std::isfinite, std::isnan, std::ldexp, std::frexp, std::floor
#include <limits>         // std::numeric_limits
#include <string_view>    // std::string_view
#include <unordered_map>  // std::unordered_map
#include <utility>        // std::move

#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "churn/core/random.hpp"
#include "churn/core/stop.hpp"
#include "churn/metrics/classification.hpp"
#include "common/checks.hpp"
#include "common/enum_names.hpp"
#include "common/json.hpp"
#include "common/logistic.hpp"
#include "common/params.hpp"
#include "tree/binning.hpp"
#include "tree/grower.hpp"

namespace churn::tree {

using common::json_from_doubles;
using common::json_get;
using common::json_get_doubles;
using common::json_get_int;
using common::json_int_value;
using common::make_envelope;
using common::open_envelope;

using data::Column;
using data::DType;
using data::dtype_name;
using data::Table;

namespace {

constexpr const char* kKind = "GBDTClassifier";
constexpr Index kRowBlock = 8192;
/// Row loops over fewer rows than this run on one thread (see grower.cpp on barriers).
constexpr Index kSerialRows = Index{1} << 16;

/// `threads`, or 1 when `rows` is too few to be worth a parallel region.
int threads_for(Index rows, int threads) {
  return rows < kSerialRows ? 1 : threads;
}
/// Largest categorical code accepted (exclusive).
constexpr double kCodeLimit = 2147483648.0;  // 2^31

/// @throws InvalidArgument naming the first categorical value that is not NaN or an integer
///         code in [0, 2^31).
template <class Features>
void check_codes(const Features& X, const std::vector<std::uint8_t>& is_cat,
                 const std::vector<std::string>& names, const char* caller, const char* what) {
  std::vector<Index> cats;
  for (Index j = 0; j < X.cols(); ++j)
    if (is_cat[static_cast<std::size_t>(j)]) cats.push_back(j);
  if (cats.empty()) return;
  // Row by row; the first bad value in row order is reported.
  for (Index i = 0; i < X.rows(); ++i) {
    for (const Index j : cats) {
      const double v = X(i, j);
      if (std::isnan(v) || (v >= 0 && v < kCodeLimit && v == std::floor(v))) continue;
      CHURN_THROW(InvalidArgument,
                  caller << ": " << what << " categorical " << common::column_label(j, names)
                         << " holds " << v << " at row " << i
                         << "; categorical values must be integer codes in [0, 2^31) or NaN");
    }
  }
}

/// 2^k with `total * 2^k < 2^bits`: the fixed-point scale of values whose absolute sum is
/// `total`.
double fixed_scale(double total, int bits) {
  if (!(total > 0) || !std::isfinite(total)) return 1.0;
  int e = 0;
  std::frexp(total, &e);                             // total = m * 2^e, m in [0.5, 1)
  return std::ldexp(1.0, std::min(bits - e, 1023));  // stays finite for tiny totals
}

/// Bits needed to hold the count `n`.
int bit_width(Index n) {
  int b = 1;
  while ((Index{1} << b) <= n) ++b;
  return b;
}

/// Weighted mean log-loss of raw scores.
double raw_log_loss(const VectorRef& y, const Vector& raw, const VectorRef& w, int n_threads) {
  struct Acc {
    double loss = 0, weight = 0;
  };
  const Acc a = parallel_reduce(
      Index{0}, y.size(), kRowBlock, Acc{},
      [&](Index lo, Index hi) {
        Acc r;
        for (Index i = lo; i < hi; ++i) {
          const double wi = w.size() ? w[i] : 1.0;
          r.loss += wi * common::logistic_loss(y[i], raw[i]);
          r.weight += wi;
        }
        return r;
      },
      [](Acc x, const Acc& b) {
        x.loss += b.loss;
        x.weight += b.weight;
        return x;
      },
      n_threads);
  return a.weight > 0 ? a.loss / a.weight : 0.0;
}

template <class T>
std::vector<T> ints_from_json(const Json& obj, const char* key, std::string_view where) {
  const auto a = json_get<Json>(obj, key, where);
  CHURN_CHECK(a.is_array(), SerializationError,
              where << ": field '" << key << "' must be an array");
  std::vector<T> v(a.size());
  for (std::size_t i = 0; i < a.size(); ++i)
    CHURN_CHECK(json_int_value(a[i], v[i]), SerializationError,
                where << ": field '" << key << "'[" << i << "] must be an integer in range");
  return v;
}

/// A table's columns as GBDT features: the matrix (categorical and string columns as codes
/// into `labels[j]`, missing as NaN), the column names, and which columns are categorical.
struct TableFeatures {
  RowMatrix X;
  std::vector<std::string> names;
  std::vector<std::vector<std::string>> labels;
  std::vector<bool> categorical;
};

/// The model's input matrix from a table (see GBDTClassifier::feature_matrix): the columns
/// `names`, categorical labels mapped through `labels` (unseen and missing: NaN).
RowMatrix encode_table(const Table& table, const std::vector<std::string>& names,
                       const std::vector<std::uint8_t>& is_categorical,
                       const std::vector<std::vector<std::string>>& labels_of, const char* who) {
  const auto n_features = static_cast<Index>(names.size());
  const Index n = table.num_rows();
  RowMatrix X(n, n_features);
  for (Index j = 0; j < n_features; ++j) {
    const auto jj = static_cast<std::size_t>(j);
    const std::string& name = names[jj];
    const Column& c = table.column(name);
    const bool categorical = is_categorical[jj] != 0;
    const std::vector<std::string>* labels =
        labels_of.empty() || labels_of[jj].empty() ? nullptr : &labels_of[jj];
    if (c.dtype() == DType::Categorical || c.dtype() == DType::String) {
      CHURN_CHECK(categorical && labels != nullptr, TypeMismatch,
                  who << ": column '" << name << "' holds "
                      << (c.dtype() == DType::String ? "text" : "categories") << " but feature "
                      << j
                      << (categorical ? " has no stored category labels (pass its integer codes)"
                                      : " was numeric in training"));
      std::unordered_map<std::string_view, double> code;
      code.reserve(labels->size());
      for (std::size_t k = 0; k < labels->size(); ++k)
        code.emplace((*labels)[k], static_cast<double>(k));
      const auto lookup = [&](std::string_view label) {
        const auto it = code.find(label);
        return it == code.end() ? kMissing : it->second;  // unseen: the missing direction
      };
      if (c.dtype() == DType::Categorical) {
        const auto& cats = c.categories();
        std::vector<double> to_code(cats.size());
        for (std::size_t k = 0; k < cats.size(); ++k) to_code[k] = lookup(cats[k]);
        for (Index i = 0; i < n; ++i) {
          const std::int32_t k = c.code_at(i);
          X(i, j) = k < 0 ? kMissing : to_code[static_cast<std::size_t>(k)];
        }
      } else {
        const auto& values = c.strings();
        for (Index i = 0; i < n; ++i)
          X(i, j) = c.is_missing(i) ? kMissing : lookup(values[static_cast<std::size_t>(i)]);
      }
      continue;
    }
    CHURN_CHECK(labels == nullptr, TypeMismatch,
                who << ": column '" << name << "' has type " << dtype_name(c.dtype())
                    << " but feature " << j
                    << " is categorical with stored labels: read it as a category column (e.g. "
                       "read_csv's column types)");
    CHURN_CHECK(c.dtype() == DType::Float64 || c.dtype() == DType::Int64, TypeMismatch,
                who << ": column '" << name << "' has type " << dtype_name(c.dtype())
                    << "; feature " << j << " needs float64 or int64 values"
                    << (categorical ? " (its integer codes)" : ""));
    for (Index i = 0; i < n; ++i) X(i, j) = c.value_double(i);
  }
  return X;
}

TableFeatures table_features(const Table& table, const char* who) {
  const Index n = table.num_rows(), p = table.num_columns();
  TableFeatures out;
  out.X.resize(n, p);
  out.names = table.column_names();
  out.labels.resize(static_cast<std::size_t>(p));
  out.categorical.assign(static_cast<std::size_t>(p), false);
  for (Index j = 0; j < p; ++j) {
    const auto jj = static_cast<std::size_t>(j);
    const Column& c = table.column(out.names[jj]);
    switch (c.dtype()) {
      case DType::Float64:
      case DType::Int64:
        for (Index i = 0; i < n; ++i) out.X(i, j) = c.value_double(i);
        break;
      case DType::Categorical:
        out.categorical[jj] = true;
        out.labels[jj] = c.categories();
        for (Index i = 0; i < n; ++i) {
          const std::int32_t k = c.code_at(i);
          out.X(i, j) = k < 0 ? kMissing : static_cast<double>(k);
        }
        break;
      case DType::String: {  // labels in order of first appearance
        out.categorical[jj] = true;
        std::unordered_map<std::string_view, double> code;
        const auto& values = c.strings();
        for (Index i = 0; i < n; ++i) {
          if (c.is_missing(i)) {
            out.X(i, j) = kMissing;
            continue;
          }
          const std::string& v = values[static_cast<std::size_t>(i)];
          const auto [it, added] = code.emplace(v, static_cast<double>(code.size()));
          if (added) out.labels[jj].push_back(v);
          out.X(i, j) = it->second;
        }
        break;
      }
      default:
        CHURN_THROW(TypeMismatch, who << ": column '" << out.names[jj] << "' has type "
                                      << dtype_name(c.dtype())
                                      << "; features are float64, int64, category or string");
    }
  }
  return out;
}

/// The eval_metric names (LightGBM's; "logloss" as XGBoost writes it is an alias).
constexpr common::EnumName<GBDTMetric> kMetricNames[] = {{GBDTMetric::LogLoss, "binary_logloss"},
                                                         {GBDTMetric::LogLoss, "logloss"},
                                                         {GBDTMetric::Auc, "auc"}};

}  // namespace

// ---- parameters -------------------------------------------------------------------------------

const char* gbdt_metric_name(GBDTMetric m) {
  return common::enum_name(kMetricNames, m);
}

GBDTMetric gbdt_metric_from_name(const std::string& name) {
  return common::enum_from_name(kMetricNames, name, "GBDTParams", "eval_metric");
}

void GBDTParams::validate() const {
  const char* who = "GBDTParams";
  CHURN_CHECK(n_estimators >= 1, InvalidArgument,
              who << ": n_estimators must be >= 1, got " << n_estimators);
  CHURN_CHECK(learning_rate > 0 && std::isfinite(learning_rate), InvalidArgument,
              who << ": learning_rate must be finite and > 0, got " << learning_rate);
  CHURN_CHECK(num_leaves >= 2 && num_leaves <= 131072, InvalidArgument,
              who << ": num_leaves must be in [2, 131072], got " << num_leaves);
  CHURN_CHECK(min_child_samples >= 1, InvalidArgument,
              who << ": min_child_samples must be >= 1, got " << min_child_samples);
  CHURN_CHECK(min_child_weight >= 0 && std::isfinite(min_child_weight), InvalidArgument,
              who << ": min_child_weight must be finite and >= 0, got " << min_child_weight);
  CHURN_CHECK(min_split_gain >= 0 && std::isfinite(min_split_gain), InvalidArgument,
              who << ": min_split_gain must be finite and >= 0, got " << min_split_gain);
  CHURN_CHECK(reg_lambda >= 0 && std::isfinite(reg_lambda), InvalidArgument,
              who << ": reg_lambda must be finite and >= 0, got " << reg_lambda);
  CHURN_CHECK(reg_alpha >= 0 && std::isfinite(reg_alpha), InvalidArgument,
              who << ": reg_alpha must be finite and >= 0, got " << reg_alpha);
  CHURN_CHECK(subsample > 0 && subsample <= 1, InvalidArgument,
              who << ": subsample must be in (0, 1], got " << subsample);
  CHURN_CHECK(subsample_freq >= 0, InvalidArgument,
              who << ": subsample_freq must be >= 0, got " << subsample_freq);
  CHURN_CHECK(colsample_bytree > 0 && colsample_bytree <= 1, InvalidArgument,
              who << ": colsample_bytree must be in (0, 1], got " << colsample_bytree);
  CHURN_CHECK(max_bins >= 2 && max_bins <= 65535, InvalidArgument,
              who << ": max_bins must be in [2, 65535], got " << max_bins);
  CHURN_CHECK(bin_sample_rows >= 1, InvalidArgument,
              who << ": bin_sample_rows must be >= 1, got " << bin_sample_rows);
  CHURN_CHECK(scale_pos_weight > 0 && std::isfinite(scale_pos_weight), InvalidArgument,
              who << ": scale_pos_weight must be finite and > 0, got " << scale_pos_weight);
  for (const int f : categorical_features)
    CHURN_CHECK(f >= 0, InvalidArgument,
                who << ": categorical_features must hold column indices >= 0, got " << f);
  for (std::size_t i = 0; i < categorical_features.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      CHURN_CHECK(
          categorical_features[i] != categorical_features[j], InvalidArgument,
          who << ": categorical_features lists column " << categorical_features[i] << " twice");
  for (std::size_t j = 0; j < monotone_constraints.size(); ++j) {
    const int m = monotone_constraints[j];
    CHURN_CHECK(
        m >= -1 && m <= 1, InvalidArgument,
        who << ": monotone_constraints must hold -1, 0 or 1, got " << m << " for column " << j);
    if (m != 0)
      CHURN_CHECK(
          std::find(categorical_features.begin(), categorical_features.end(),
                    static_cast<int>(j)) == categorical_features.end(),
          InvalidArgument,
          who << ": column " << j << " is categorical and cannot have a monotone constraint");
  }
  CHURN_CHECK(cat_smooth >= 0 && std::isfinite(cat_smooth), InvalidArgument,
              who << ": cat_smooth must be finite and >= 0, got " << cat_smooth);
  CHURN_CHECK(cat_l2 >= 0 && std::isfinite(cat_l2), InvalidArgument,
              who << ": cat_l2 must be finite and >= 0, got " << cat_l2);
  CHURN_CHECK(max_cat_threshold >= 1, InvalidArgument,
              who << ": max_cat_threshold must be >= 1, got " << max_cat_threshold);
  CHURN_CHECK(min_data_per_group >= 1, InvalidArgument,
              who << ": min_data_per_group must be >= 1, got " << min_data_per_group);
  CHURN_CHECK(max_cat_to_onehot >= 1, InvalidArgument,
              who << ": max_cat_to_onehot must be >= 1, got " << max_cat_to_onehot);
  CHURN_CHECK(early_stopping_rounds >= 0, InvalidArgument,
              who << ": early_stopping_rounds must be >= 0, got " << early_stopping_rounds);
  CHURN_CHECK(n_threads >= 0, InvalidArgument,
              who << ": n_threads must be >= 0 (0 = all cores), got " << n_threads);
}

namespace {

/// Every field of GBDTParams, once: to_json, from_json and from_options are derived from it.
template <class P, class F>
void visit_params(P& p, F&& f) {
  f("n_estimators", p.n_estimators);
  f("learning_rate", p.learning_rate);
  f("num_leaves", p.num_leaves);
  f("max_depth", p.max_depth);
  f("min_child_samples", p.min_child_samples);
  f("min_child_weight", p.min_child_weight);
  f("min_split_gain", p.min_split_gain);
  f("reg_lambda", p.reg_lambda);
  f("reg_alpha", p.reg_alpha);
  f("subsample", p.subsample);
  f("subsample_freq", p.subsample_freq);
  f("colsample_bytree", p.colsample_bytree);
  f("max_bins", p.max_bins);
  f("bin_sample_rows", p.bin_sample_rows);
  f("scale_pos_weight", p.scale_pos_weight);
  f("boost_from_average", p.boost_from_average);
  f("categorical_features", p.categorical_features);
  f("monotone_constraints", p.monotone_constraints);
  f("cat_smooth", p.cat_smooth);
  f("cat_l2", p.cat_l2);
  f("max_cat_threshold", p.max_cat_threshold);
  f("min_data_per_group", p.min_data_per_group);
  f("max_cat_to_onehot", p.max_cat_to_onehot);
  f("early_stopping_rounds", p.early_stopping_rounds);
  f("eval_metric", p.eval_metric, gbdt_metric_name, gbdt_metric_from_name);
  f("n_threads", p.n_threads);
  f("seed", p.seed);
}

GBDTParams read_params(const Json& j, common::ParamSource source, std::string_view who) {
  GBDTParams p;
  common::ParamReader reader(j, source, who);
  visit_params(p, reader);
  reader.finish();
  if (source == common::ParamSource::Options) {
    p.validate();
    return p;
  }
  try {
    p.validate();
  } catch (const InvalidArgument& e) {
    CHURN_THROW(SerializationError, who << ": invalid parameters: " << e.what());
  }
  return p;
}

}  // namespace

Json GBDTParams::to_json() const {
  Json j = Json::object();
  visit_params(*this, common::ParamWriter(j));
  return j;
}

GBDTParams GBDTParams::from_json(const Json& j) {
  return read_params(j, common::ParamSource::File, "GBDTParams::from_json()");
}

GBDTParams GBDTParams::from_options(const Json& options, std::string_view caller) {
  return read_params(options, common::ParamSource::Options, caller);
}

// ---- the model --------------------------------------------------------------------------------

GBDTClassifier::GBDTClassifier(GBDTParams params) : params_(std::move(params)) {
  params_.validate();
}

void GBDTClassifier::set_params(const GBDTParams& params) {
  params.validate();
  params_ = params;
}

void GBDTClassifier::check_fitted(const char* caller) const {
  CHURN_CHECK(fitted_, NotFittedError,
              caller << ": this GBDTClassifier is not fitted yet; call fit() first");
}

const std::vector<Tree>& GBDTClassifier::trees() const {
  check_fitted("GBDTClassifier::trees()");
  return trees_;
}

Index GBDTClassifier::n_features() const {
  check_fitted("GBDTClassifier::n_features()");
  return n_features_;
}

void GBDTClassifier::set_category_names(std::vector<std::vector<std::string>> names) {
  check_fitted("GBDTClassifier::set_category_names()");
  CHURN_CHECK(names.empty() || static_cast<Index>(names.size()) == n_features_, InvalidArgument,
              "GBDTClassifier::set_category_names(): expected " << n_features_ << " entries, got "
                                                                << names.size());
  category_names_ = std::move(names);
}

GBDTClassifier& GBDTClassifier::fit(const RowMatrixRef& X, const VectorRef& y,
                                    const FitOptions& options) {
  return fit_impl(detail::RowMajorFeatures{X}, y, options);
}

GBDTClassifier& GBDTClassifier::fit_columns(const std::vector<VectorRef>& columns,
                                            const VectorRef& y, const FitOptions& options) {
  const char* who = "GBDTClassifier::fit_columns()";
  CHURN_CHECK(!columns.empty(), InvalidArgument, who << ": no columns");
  const Index n = columns[0].size();
  for (std::size_t j = 0; j < columns.size(); ++j)
    CHURN_CHECK(
        columns[j].size() == n, InvalidArgument,
        who << ": column " << j << " has " << columns[j].size() << " rows, column 0 has " << n);
  return fit_impl(detail::ColumnFeatures{columns, n}, y, options);
}

GBDTClassifier& GBDTClassifier::fit(const Table& X, const VectorRef& y, const FitOptions& options) {
  return fit_table(X, y, nullptr, Vector(), options);
}

GBDTClassifier& GBDTClassifier::fit(const Table& X, const VectorRef& y, const Table& X_eval,
                                    const VectorRef& y_eval, const FitOptions& options) {
  CHURN_CHECK(!options.eval_set, InvalidArgument,
              "GBDTClassifier::fit(table): give the evaluation set once (as tables or as "
              "options.eval_set)");
  return fit_table(X, y, &X_eval, y_eval, options);
}

GBDTClassifier& GBDTClassifier::fit_table(const Table& X, const VectorRef& y, const Table* X_eval,
                                          const VectorRef& y_eval, const FitOptions& options) {
  const char* who = "GBDTClassifier::fit(table)";
  const TableFeatures features = table_features(X, who);
  CHURN_CHECK(options.feature_names.empty() || options.feature_names == features.names,
              InvalidArgument,
              who << ": feature_names must be empty or equal the table's column names");
  GBDTParams fit_params = params_;
  for (std::size_t j = 0; j < features.labels.size(); ++j)
    if (features.categorical[j]) fit_params.categorical_features.push_back(static_cast<int>(j));
  std::sort(fit_params.categorical_features.begin(), fit_params.categorical_features.end());
  fit_params.categorical_features.erase(
      std::unique(fit_params.categorical_features.begin(), fit_params.categorical_features.end()),
      fit_params.categorical_features.end());
  FitOptions named = options;
  named.feature_names = features.names;
  if (X_eval != nullptr) {  // coded with the training labels (unseen: missing)
    std::vector<std::uint8_t> is_cat(features.names.size(), 0);
    for (const int f : fit_params.categorical_features)
      if (f >= 0 && static_cast<std::size_t>(f) < is_cat.size())
        is_cat[static_cast<std::size_t>(f)] = 1;
    named.eval_set =
        EvalSet{encode_table(*X_eval, features.names, is_cat, features.labels, who), y_eval, {}};
  }
  // fit with the table's categorical columns added; the object keeps the caller's parameters
  const GBDTParams caller_params = params_;
  params_ = fit_params;
  try {
    fit_impl(detail::RowMajorFeatures{features.X}, y, named);
  } catch (...) {
    params_ = caller_params;
    throw;
  }
  params_ = caller_params;
  category_names_ = features.labels;
  return *this;
}

template <class Features>
GBDTClassifier& GBDTClassifier::fit_impl(const Features& X, const VectorRef& y,
                                         const FitOptions& options) {
  static const RowMatrix kNoRows;
  static const Vector kNoValues;
  const Vector& sample_weight = options.sample_weight;
  const std::vector<std::string>& feature_names = options.feature_names;
  const bool has_eval = options.eval_set.has_value();
  const RowMatrix& X_eval = has_eval ? options.eval_set->X : kNoRows;
  const Vector& y_eval = has_eval ? options.eval_set->y : kNoValues;
  const Vector& eval_weight = has_eval ? options.eval_set->sample_weight : kNoValues;
  const char* who = "GBDTClassifier::fit()";
  const GBDTParams& P = params_;
  P.validate();
  const Index n = X.rows(), p = X.cols();
  CHURN_CHECK(n > 0 && p > 0, InvalidArgument, who << ": X is empty (" << n << " x " << p << ")");
  CHURN_CHECK(n < (Index{1} << 31) - 1, InvalidArgument,
              who << ": at most 2^31 - 2 rows are supported, got " << n);
  CHURN_CHECK(y.size() == n, InvalidArgument,
              who << ": y has " << y.size() << " entries for " << n << " rows of X");
  CHURN_CHECK(
      feature_names.empty() || static_cast<Index>(feature_names.size()) == p, InvalidArgument,
      who << ": feature_names has " << feature_names.size() << " entries for " << p << " columns");
  CHURN_CHECK(
      P.monotone_constraints.empty() || static_cast<Index>(P.monotone_constraints.size()) == p,
      InvalidArgument,
      who << ": monotone_constraints has " << P.monotone_constraints.size() << " entries for " << p
          << " columns");
  std::vector<std::uint8_t> is_cat(static_cast<std::size_t>(p), 0);
  for (const int f : P.categorical_features) {
    CHURN_CHECK(
        f < p, InvalidArgument,
        who << ": categorical_features lists column " << f << " but X has " << p << " columns");
    is_cat[static_cast<std::size_t>(f)] = 1;
  }
  common::check_binary_labels(y, who, "y", false, threads_for(n, P.n_threads));
  if (sample_weight.size() != 0)
    common::check_sample_weight(sample_weight, n, who, "sample_weight",
                                threads_for(n, P.n_threads));
  check_codes(X, is_cat, feature_names, who, "X");
  const Index n_eval = X_eval.rows();
  if (has_eval) {
    CHURN_CHECK(X_eval.cols() == p, InvalidArgument,
                who << ": the evaluation set has " << X_eval.cols() << " columns, X has " << p);
    CHURN_CHECK(n_eval > 0, InvalidArgument, who << ": the evaluation set is empty");
    CHURN_CHECK(y_eval.size() == n_eval, InvalidArgument,
                who << ": y_eval has " << y_eval.size() << " entries for " << n_eval << " rows");
    common::check_binary_labels(y_eval, who, "y_eval");
    if (eval_weight.size() != 0)
      common::check_sample_weight(eval_weight, n_eval, who, "eval_weight");
    check_codes(detail::RowMajorFeatures{X_eval}, is_cat, feature_names, who, "X_eval");
    if (P.eval_metric == GBDTMetric::Auc) {
      bool has0 = false, has1 = false;
      for (Index i = 0; i < n_eval; ++i)
        if (eval_weight.size() == 0 || eval_weight[i] > 0) (y_eval[i] > 0.5 ? has1 : has0) = true;
      CHURN_CHECK(has0 && has1, InvalidArgument,
                  who << ": eval_metric 'auc' needs both classes in y_eval (with positive weight)");
    }
  }
  CHURN_CHECK(P.early_stopping_rounds == 0 || has_eval, InvalidArgument,
              who << ": early_stopping_rounds needs an evaluation set");
  const int threads = resolve_threads(P.n_threads);

  // Weights, with scale_pos_weight, and the starting score.
  const double spw = P.scale_pos_weight;
  auto weight = [&](Index i) {
    return (sample_weight.size() ? sample_weight[i] : 1.0) * (y[i] > 0.5 ? spw : 1.0);
  };
  double sw = 0, swy = 0;
  for (Index i = 0; i < n; ++i) {
    const double wi = weight(i);
    sw += wi;
    swy += wi * y[i];
  }
  CHURN_CHECK(std::isfinite(sw), InvalidArgument,
              who << ": the weights (times scale_pos_weight) sum to " << sw << "; rescale them");
  CHURN_CHECK(swy > 0 && swy < sw, InvalidArgument,
              who << ": y must hold both classes 0 and 1 (with positive weight)");
  const double base = swy / sw;
  const double init = P.boost_from_average ? common::logit(base) : 0.0;

  poll_stop();
  std::vector<FeatureBinInfo> info;
  const detail::BinnedMatrix B =
      detail::bin_features(X, is_cat, P.max_bins, P.bin_sample_rows, P.seed, threads, info);
  std::vector<std::int8_t> monotone(static_cast<std::size_t>(p), 0);
  for (std::size_t j = 0; j < P.monotone_constraints.size(); ++j)
    monotone[j] = static_cast<std::int8_t>(P.monotone_constraints[j]);
  detail::TreeGrower grower(B, info, P, monotone, threads);

  std::vector<Tree> trees;
  trees.reserve(static_cast<std::size_t>(P.n_estimators));
  Vector score = Vector::Constant(n, init);
  Vector eval_score = Vector::Constant(n_eval, init);
  // Counts ride in the low bits of the packed hessian (see detail::HistBin). The fixed-point
  // scales come from bounds that hold in every round, |g_i| <= w_i and h_i <= w_i / 4, so one
  // pass computes and quantises the gradients and no sum can overflow.
  const int count_bits = bit_width(n);
  const double gs = fixed_scale(sw, 61), hs = fixed_scale(sw / 4, 61 - count_bits);
  const bool bagging = P.subsample < 1.0 && P.subsample_freq > 0;
  // Fixed-point gradients by row: without bagging they go straight into the grower's buffer
  // (the root holds every row in order), with bagging into a per-row array the root gathers.
  std::vector<detail::GradPair> gh_rows(bagging ? static_cast<std::size_t>(n) : 0);
  detail::GradPair* gh = bagging ? gh_rows.data() : grower.gradient_buffer();
  std::vector<std::int32_t> bag, oob;
  std::vector<std::uint8_t> feature_used(static_cast<std::size_t>(p), 1);
  std::vector<double> evals;
  double best_metric = 0;
  int best_round = -1;
  const bool higher_better = P.eval_metric == GBDTMetric::Auc;

  for (int it = 0; it < P.n_estimators; ++it) {
    poll_stop();
    // Gradients and hessians of the log-loss in fixed point, in one pass.
    parallel_for_blocks(0, n, kRowBlock, threads_for(n, threads), [&](Index lo, Index hi) {
      for (Index i = lo; i < hi; ++i) {
        const auto k = static_cast<std::size_t>(i);
        const double pr = common::sigmoid(score[i]), wi = weight(i);
        // llrint: one instruction (round to nearest even), unlike llround's library call.
        gh[k].g = std::llrint(wi * (pr - y[i]) * gs);
        gh[k].hc = (std::llrint(wi * pr * (1 - pr) * hs) << count_bits) | 1;
      }
    });

    if (bagging && it % P.subsample_freq == 0) {
      bag.clear();
      oob.clear();
      Rng rng = Rng::for_stream(P.seed, 2 * static_cast<std::uint64_t>(it) + 2);
      for (Index i = 0; i < n; ++i)
        (rng.uniform() < P.subsample ? bag : oob).push_back(static_cast<std::int32_t>(i));
      if (bag.empty()) {  // a tiny subsample of tiny data: keep one row
        bag.push_back(oob.front());
        oob.erase(oob.begin());
      }
    }
    if (P.colsample_bytree < 1.0) {
      const auto k = std::max<Index>(
          1, static_cast<Index>(std::llround(P.colsample_bytree * static_cast<double>(p))));
      std::vector<Index> perm(static_cast<std::size_t>(p));
      for (Index j = 0; j < p; ++j) perm[static_cast<std::size_t>(j)] = j;
      Rng rng = Rng::for_stream(P.seed, 2 * static_cast<std::uint64_t>(it) + 1);
      std::fill(feature_used.begin(), feature_used.end(), 0);
      for (Index j = 0; j < k; ++j) {
        const auto r = j + static_cast<Index>(rng.uniform_int(static_cast<std::uint64_t>(p - j)));
        std::swap(perm[static_cast<std::size_t>(j)], perm[static_cast<std::size_t>(r)]);
        feature_used[static_cast<std::size_t>(perm[static_cast<std::size_t>(j)])] = 1;
      }
    }

    Tree tree =
        grower.grow(bagging ? &bag : nullptr, gh, count_bits, 1.0 / gs, 1.0 / hs, feature_used);
    grower.add_leaf_values(tree, score.data());
    if (bagging && !oob.empty()) {
      parallel_for_blocks(0, static_cast<Index>(oob.size()), kRowBlock,
                          threads_for(static_cast<Index>(oob.size()), threads),
                          [&](Index lo, Index hi) {
                            std::vector<double> buf(static_cast<std::size_t>(p));
                            for (Index k = lo; k < hi; ++k) {
                              const Index i = oob[static_cast<std::size_t>(k)];
                              score[i] += tree.predict(X.row(i, buf.data()));
                            }
                          });
    }
    if (has_eval) {
      parallel_for_blocks(0, n_eval, kRowBlock, threads_for(n_eval, threads),
                          [&](Index lo, Index hi) {
                            for (Index i = lo; i < hi; ++i)
                              eval_score[i] += tree.predict(X_eval.row(i).data());
                          });
      const double metric = higher_better ? metrics::roc_auc(y_eval, eval_score, eval_weight,
                                                             threads_for(n_eval, threads))
                                          : raw_log_loss(y_eval, eval_score, eval_weight, threads);
      evals.push_back(metric);
      if (best_round < 0 || (higher_better ? metric > best_metric : metric < best_metric)) {
        best_metric = metric;
        best_round = it;
      }
    }
    trees.push_back(std::move(tree));
    if (callback_) {
      GBDTIteration info_it;
      info_it.iteration = it + 1;
      info_it.n_estimators = P.n_estimators;
      if (has_eval) info_it.evals.push_back(evals.back());
      info_it.best_iteration = has_eval ? best_round + 1 : 0;
      if (callback_(info_it)) break;
    }
    if (P.early_stopping_rounds > 0 && it - best_round >= P.early_stopping_rounds) break;
  }
  if (P.early_stopping_rounds > 0) trees.resize(static_cast<std::size_t>(best_round + 1));

  trees_ = std::move(trees);
  init_score_ = init;
  n_features_ = p;
  feature_names_ = feature_names;
  bin_info_ = std::move(info);
  category_names_.clear();
  is_categorical_ = std::move(is_cat);
  best_iteration_ = has_eval ? best_round + 1 : 0;
  evals_result_ = std::move(evals);
  fitted_params_ = P;
  fitted_ = true;
  return *this;
}

// ---- prediction -------------------------------------------------------------------------------

void GBDTClassifier::check_predict_input(const RowMatrixRef& X, const char* caller) const {
  check_fitted(caller);
  CHURN_CHECK(
      X.cols() == n_features_, InvalidArgument,
      caller << ": X has " << X.cols() << " columns, the model was fitted on " << n_features_);
  check_codes(detail::RowMajorFeatures{X}, is_categorical_, feature_names_, caller, "X");
}

int GBDTClassifier::resolve_n_trees(int n_trees, const char* caller) const {
  CHURN_CHECK(n_trees >= 0, InvalidArgument,
              caller << ": n_trees must be >= 0 (0 = all), got " << n_trees);
  return n_trees == 0 ? static_cast<int>(trees_.size())
                      : std::min(n_trees, static_cast<int>(trees_.size()));
}

Vector GBDTClassifier::predict_raw(const RowMatrixRef& X, int n_trees) const {
  const char* who = "GBDTClassifier::predict_raw()";
  check_predict_input(X, who);
  const int k = resolve_n_trees(n_trees, who);
  const Index n = X.rows();
  Vector out = Vector::Constant(n, init_score_);
  // Blocks of rows, tree by tree: a tree's nodes stay in cache for the whole block.
  constexpr Index kPredictBlock = 128;
  parallel_for_blocks(0, n, kPredictBlock, params_.n_threads, [&](Index lo, Index hi) {
    for (int t = 0; t < k; ++t) {
      const Tree& tree = trees_[static_cast<std::size_t>(t)];
      for (Index i = lo; i < hi; ++i) out[i] += tree.predict(X.row(i).data());
    }
  });
  return out;
}

Vector GBDTClassifier::predict_proba(const RowMatrixRef& X, int n_trees) const {
  Vector raw = predict_raw(X, n_trees);
  for (Index i = 0; i < raw.size(); ++i) raw[i] = common::sigmoid(raw[i]);
  return raw;
}

IntVector GBDTClassifier::predict(const RowMatrixRef& X, int n_trees) const {
  const Vector raw = predict_raw(X, n_trees);
  IntVector out(raw.size());
  for (Index i = 0; i < raw.size(); ++i) out[i] = raw[i] > 0 ? 1 : 0;
  return out;
}

Eigen::Matrix<std::int32_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>
GBDTClassifier::predict_leaf(const RowMatrixRef& X, int n_trees) const {
  const char* who = "GBDTClassifier::predict_leaf()";
  check_predict_input(X, who);
  const int k = resolve_n_trees(n_trees, who);
  Eigen::Matrix<std::int32_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> out(X.rows(), k);
  parallel_for_blocks(0, X.rows(), 256, params_.n_threads, [&](Index lo, Index hi) {
    for (Index i = lo; i < hi; ++i)
      for (int t = 0; t < k; ++t)
        out(i, t) = static_cast<std::int32_t>(
            trees_[static_cast<std::size_t>(t)].leaf_index(X.row(i).data()));
  });
  return out;
}

RowMatrix GBDTClassifier::predict_contrib(const RowMatrixRef& X, int n_trees) const {
  const char* who = "GBDTClassifier::predict_contrib()";
  check_predict_input(X, who);
  const int k = resolve_n_trees(n_trees, who);
  const Index p = n_features_;
  RowMatrix out = RowMatrix::Zero(X.rows(), p + 1);
  parallel_for_blocks(0, X.rows(), 64, params_.n_threads, [&](Index lo, Index hi) {
    for (Index i = lo; i < hi; ++i) {
      double* phi = out.row(i).data();
      for (int t = 0; t < k; ++t)
        trees_[static_cast<std::size_t>(t)].add_shap(X.row(i).data(), phi, p);
      phi[p] += init_score_;
    }
  });
  return out;
}

RowMatrix GBDTClassifier::feature_matrix(const Table& table) const {
  const char* who = "GBDTClassifier::feature_matrix()";
  check_fitted(who);
  CHURN_CHECK(static_cast<Index>(feature_names_.size()) == n_features_, InvalidArgument,
              who << ": the model has no feature names (fit it with feature_names, or from a "
                     "DataFrame in Python) to find its columns in a table");
  return encode_table(table, feature_names_, is_categorical_, category_names_, who);
}

Vector GBDTClassifier::predict_raw(const Table& table, int n_trees) const {
  return predict_raw(feature_matrix(table), n_trees);
}

Vector GBDTClassifier::predict_proba(const Table& table, int n_trees) const {
  return predict_proba(feature_matrix(table), n_trees);
}

std::vector<double> GBDTClassifier::evaluate_rounds(const RowMatrixRef& X, const VectorRef& y,
                                                    const VectorRef& sample_weight,
                                                    GBDTMetric metric) const {
  const char* who = "GBDTClassifier::evaluate_rounds()";
  check_predict_input(X, who);
  const Index n = X.rows();
  CHURN_CHECK(n > 0, InvalidArgument, who << ": X has no rows");
  CHURN_CHECK(y.size() == n, InvalidArgument,
              who << ": y has " << y.size() << " entries for " << n << " rows of X");
  const int threads = resolve_threads(params_.n_threads);
  common::check_binary_labels(y, who, "y", false, threads_for(n, threads));
  if (sample_weight.size() != 0)
    common::check_sample_weight(sample_weight, n, who, "sample_weight", threads_for(n, threads));
  if (metric == GBDTMetric::Auc) {
    bool has0 = false, has1 = false;
    for (Index i = 0; i < n; ++i)
      if (sample_weight.size() == 0 || sample_weight[i] > 0) (y[i] > 0.5 ? has1 : has0) = true;
    CHURN_CHECK(has0 && has1, InvalidArgument,
                who << ": metric 'auc' needs both classes in y (with positive weight)");
  }
  Vector score = Vector::Constant(n, init_score_);
  std::vector<double> out;
  out.reserve(trees_.size());
  for (const Tree& tree : trees_) {  // the same sums, in the same order, as fit's evaluation
    parallel_for_blocks(0, n, kRowBlock, threads_for(n, threads), [&](Index lo, Index hi) {
      for (Index i = lo; i < hi; ++i) score[i] += tree.predict(X.row(i).data());
    });
    out.push_back(metric == GBDTMetric::Auc
                      ? metrics::roc_auc(y, score, sample_weight, threads_for(n, threads))
                      : raw_log_loss(y, score, sample_weight, threads));
  }
  return out;
}

Vector GBDTClassifier::feature_importances(const std::string& type) const {
  check_fitted("GBDTClassifier::feature_importances()");
  CHURN_CHECK(type == "split" || type == "gain", InvalidArgument,
              "GBDTClassifier::feature_importances(): type must be 'split' or 'gain', got '"
                  << type << "'");
  Vector imp = Vector::Zero(n_features_);
  for (const Tree& t : trees_)
    for (Index i = 0; i < t.n_internal(); ++i)
      imp[t.split_feature[static_cast<std::size_t>(i)]] +=
          type == "split" ? 1.0 : t.split_gain[static_cast<std::size_t>(i)];
  return imp;
}

// ---- JSON -------------------------------------------------------------------------------------

Json GBDTClassifier::to_json() const {
  check_fitted("GBDTClassifier::to_json()");
  Json state = Json::object();
  state["n_features"] = n_features_;
  state["feature_names"] = feature_names_;
  state["init_score"] = init_score_;
  Json bins = Json::array();
  for (const FeatureBinInfo& fi : bin_info_) {
    Json b = Json::object();
    b["categorical"] = fi.categorical;
    b["n_bins"] = fi.n_bins;
    b["has_missing"] = fi.has_missing;
    b["upper_edges"] = json_from_doubles(fi.upper_edges);
    b["code_to_bin"] = fi.code_to_bin;
    bins.push_back(std::move(b));
  }
  state["bin_info"] = std::move(bins);
  state["category_names"] = category_names_;
  state["best_iteration"] = best_iteration_;
  state["evals_result"] = json_from_doubles(evals_result_);
  state["classes"] = classes();
  Json trees = Json::array();
  for (const Tree& t : trees_) trees.push_back(t.to_json());
  state["trees"] = std::move(trees);
  // The parameters of the fit that made the trees (set_params() since then only affects the
  // next fit), so that bin_info and the categorical/monotone lists agree in the file.
  return make_envelope(kKind, fitted_params_.to_json(), std::move(state));
}

GBDTClassifier GBDTClassifier::from_json(const Json& doc) {
  const char* where = "GBDTClassifier::from_json()";
  const Json& env = open_envelope(doc, kKind);
  GBDTClassifier m(GBDTParams::from_json(env["params"]));
  const Json& state = env["state"];
  CHURN_CHECK(state.is_object(), SerializationError, where << ": 'state' must be an object");
  static const char* const kMembers[] = {"n_features",   "feature_names",  "init_score",
                                         "bin_info",     "category_names", "best_iteration",
                                         "evals_result", "trees",          "classes"};
  for (auto it = state.begin(); it != state.end(); ++it)
    CHURN_CHECK(
        std::find_if(std::begin(kMembers), std::end(kMembers),
                     [&](const char* k) { return it.key() == k; }) != std::end(kMembers),
        SerializationError,
        where << ": unknown state member '" << it.key() << "' (written by a newer churnlib?)");
  const auto p = json_get_int<Index>(state, "n_features", where);
  CHURN_CHECK(p >= 1 && p < (Index{1} << 24), SerializationError,
              where << ": n_features out of range");
  m.n_features_ = p;
  m.feature_names_ = json_get<std::vector<std::string>>(state, "feature_names", where);
  CHURN_CHECK(m.feature_names_.empty() || static_cast<Index>(m.feature_names_.size()) == p,
              SerializationError, where << ": feature_names has the wrong length");
  m.init_score_ = json_get<double>(state, "init_score", where);
  CHURN_CHECK(std::isfinite(m.init_score_), SerializationError,
              where << ": init_score must be finite");
  m.is_categorical_.assign(static_cast<std::size_t>(p), 0);
  for (const int f : m.params_.categorical_features) {
    CHURN_CHECK(f < p, SerializationError,
                where << ": categorical feature " << f << " out of range");
    m.is_categorical_[static_cast<std::size_t>(f)] = 1;
  }
  CHURN_CHECK(m.params_.monotone_constraints.empty() ||
                  static_cast<Index>(m.params_.monotone_constraints.size()) == p,
              SerializationError, where << ": monotone_constraints has the wrong length");
  const auto bins = json_get<Json>(state, "bin_info", where);
  CHURN_CHECK(bins.is_array() && static_cast<Index>(bins.size()) == p, SerializationError,
              where << ": bin_info must be an array of n_features entries");
  for (Index f = 0; f < p; ++f) {
    const Json& b = bins[static_cast<std::size_t>(f)];
    FeatureBinInfo fi;
    fi.categorical = json_get<bool>(b, "categorical", where);
    fi.n_bins = json_get_int<std::int32_t>(b, "n_bins", where);
    fi.has_missing = json_get<bool>(b, "has_missing", where);
    fi.upper_edges = json_get_doubles(b, "upper_edges", where);
    fi.code_to_bin = ints_from_json<std::int32_t>(b, "code_to_bin", where);
    CHURN_CHECK(fi.categorical == (m.is_categorical_[static_cast<std::size_t>(f)] != 0),
                SerializationError,
                where << ": bin_info of feature " << f << " disagrees with categorical_features");
    m.bin_info_.push_back(std::move(fi));
  }
  m.category_names_ =
      json_get<std::vector<std::vector<std::string>>>(state, "category_names", where);
  CHURN_CHECK(m.category_names_.empty() || static_cast<Index>(m.category_names_.size()) == p,
              SerializationError, where << ": category_names has the wrong length");
  m.best_iteration_ = json_get_int<int>(state, "best_iteration", where);
  m.evals_result_ = json_get_doubles(state, "evals_result", where);
  const auto trees = json_get<Json>(state, "trees", where);
  CHURN_CHECK(trees.is_array() && !trees.empty(), SerializationError,
              where << ": 'trees' must be a non-empty array");
  for (const Json& tj : trees) {
    Tree t = Tree::from_json(tj, p);
    // A categorical split reads its value as an integer code: only categorical columns (whose
    // codes predict() checks) may carry one.
    for (Index i = 0; i < t.n_internal(); ++i) {
      const auto k = static_cast<std::size_t>(i);
      CHURN_CHECK(t.cat_begin[k] < 0 ||
                      m.is_categorical_[static_cast<std::size_t>(t.split_feature[k])] != 0,
                  SerializationError,
                  where << ": a categorical split on numerical feature " << t.split_feature[k]);
    }
    m.trees_.push_back(std::move(t));
  }
  CHURN_CHECK(
      m.best_iteration_ >= 0 && m.best_iteration_ <= static_cast<int>(m.evals_result_.size()),
      SerializationError, where << ": best_iteration out of range");
  m.classes_json_ = class_labels_from_json(state, "classes", where).dump();
  m.fitted_params_ = m.params_;
  m.fitted_ = true;
  return m;
}

void GBDTClassifier::set_classes(Json labels) {
  check_class_labels(labels, "GBDTClassifier::set_classes()");
  classes_json_ = labels.dump();
}

void GBDTClassifier::save(const std::string& path) const {
  save_json_file(to_json(), path);
}

GBDTClassifier GBDTClassifier::load(const std::string& path) {
  return from_json(load_json_file(path));
}

Json GBDTClassifier::classes() const {
  return Json::parse(classes_json_);
}

}  // namespace churn::tree
