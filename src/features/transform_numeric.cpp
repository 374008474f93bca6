// The numeric steps of churn::features::Pipeline: impute, clip, log1p, scale, bin, combine.

#include <algorithm>      // std::upper_bound, std::min, std::max
#include <cmath>          // std::isnan, std::isfinite, std::log1p, std::sqrt
#include <limits>         // std::numeric_limits
#include <unordered_set>  // std::unordered_set

#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "common/checks.hpp"
#include "common/json.hpp"
#include "common/quantile.hpp"
#include "features/pipeline_steps.hpp"
#include "features/step_names.hpp"
#include "features/step_settings.hpp"

namespace churn::features {

using common::json_check_members;
using common::json_from_double;
using common::json_from_doubles;
using common::json_get;
using common::json_get_doubles;
using common::json_get_int;
using common::json_to_double;

using data::Column;
using data::DType;
using data::dtype_name;
using data::Table;

// ---- settings -----------------------------------------------------------------------------------

const char* impute_strategy_name(ImputeStrategy s) {
  return common::enum_name(detail::kImputeStrategyNames, s);
}

ImputeStrategy impute_strategy_from_name(const std::string& name) {
  return common::enum_from_name(detail::kImputeStrategyNames, name, "", "impute strategy");
}

const char* combine_op_name(CombineOp op) {
  return common::enum_name(detail::kCombineOpNames, op);
}

CombineOp combine_op_from_name(const std::string& name) {
  return common::enum_from_name(detail::kCombineOpNames, name, "", "combine op");
}

const char* bin_strategy_name(BinStrategy s) {
  return common::enum_name(detail::kBinStrategyNames, s);
}

BinStrategy bin_strategy_from_name(const std::string& name) {
  return common::enum_from_name(detail::kBinStrategyNames, name, "", "bin strategy");
}

const char* bin_output_name(BinOutput o) {
  return common::enum_name(detail::kBinOutputNames, o);
}

BinOutput bin_output_from_name(const std::string& name) {
  return common::enum_from_name(detail::kBinOutputNames, name, "", "bin output");
}

void ImputeParams::validate() const {
  CHURN_CHECK(std::isfinite(fill_value), InvalidArgument,
              "ImputeParams: fill_value must be finite, got " << fill_value);
  CHURN_CHECK(!fill_category.empty(), InvalidArgument,
              "ImputeParams: fill_category must not be empty");
}

void ClipParams::validate() const {
  CHURN_CHECK(lower_quantile >= 0 && lower_quantile <= 1, InvalidArgument,
              "ClipParams: lower_quantile must be in [0, 1], got " << lower_quantile);
  CHURN_CHECK(upper_quantile >= lower_quantile && upper_quantile <= 1, InvalidArgument,
              "ClipParams: upper_quantile must be in [lower_quantile, 1] = ["
                  << lower_quantile << ", 1], got " << upper_quantile);
}

void BinParams::validate() const {
  if (strategy == BinStrategy::Quantile) {
    CHURN_CHECK(n_bins >= 2 && n_bins <= 1000, InvalidArgument,
                "BinParams: n_bins must be in [2, 1000], got " << n_bins);
    CHURN_CHECK(edges.empty(), InvalidArgument,
                "BinParams: edges are for strategy Fixed only (strategy is Quantile)");
    CHURN_CHECK(labels.empty(), InvalidArgument,
                "BinParams: labels are for strategy Fixed only (quantile bins are found in fit)");
  } else {
    CHURN_CHECK(!edges.empty(), InvalidArgument,
                "BinParams: strategy Fixed needs at least one edge");
    for (std::size_t k = 0; k < edges.size(); ++k) {
      CHURN_CHECK(std::isfinite(edges[k]), InvalidArgument,
                  "BinParams: edges[" << k << "] must be finite, got " << edges[k]);
      CHURN_CHECK(k == 0 || edges[k] > edges[k - 1], InvalidArgument,
                  "BinParams: edges must be strictly increasing, but edges["
                      << k << "] = " << edges[k] << " <= edges[" << k - 1
                      << "] = " << edges[k - 1]);
    }
    CHURN_CHECK(labels.empty() || labels.size() == edges.size() + 1, InvalidArgument,
                "BinParams: labels must be empty or hold edges.size() + 1 = "
                    << edges.size() + 1 << " names, got " << labels.size());
    common::check_distinct(labels, "BinParams", "labels");
    CHURN_CHECK(labels.empty() || output == BinOutput::Categorical, InvalidArgument,
                "BinParams: labels need output Categorical");
  }
}

void CombineParams::validate() const {
  CHURN_CHECK(
      std::isnan(zero_division_fill) || std::isfinite(zero_division_fill), InvalidArgument,
      "CombineParams: zero_division_fill must be NaN or finite, got " << zero_division_fill);
  CHURN_CHECK(std::isfinite(denominator_offset), InvalidArgument,
              "CombineParams: denominator_offset must be finite, got " << denominator_offset);
}

namespace detail {
namespace {

using churn::detail::ExceptionCarrier;

template <class P>
void validate_loaded(const P& p, const std::string& where) {
  try {
    p.validate();
  } catch (const InvalidArgument& e) {
    throw SerializationError(where + ": " + e.what());
  }
}

/// Fits `f(j)` for every column j in parallel (one task per column: deterministic).
template <class F>
void for_columns(std::size_t n, int n_threads, F&& f) {
  parallel_for(0, static_cast<Index>(n), n > 1 ? n_threads : 1,
               [&](Index j) { f(static_cast<std::size_t>(j)); });
}

// ---- impute -------------------------------------------------------------------------------------

/// The most frequent of the sorted values `s` (not empty), ties to the smallest value.
double most_frequent_sorted(const std::vector<double>& s) {
  std::size_t best = 0, best_n = 0;
  for (std::size_t a = 0; a < s.size();) {
    std::size_t b = a;
    while (b < s.size() && s[b] == s[a]) ++b;
    if (b - a > best_n) {
      best_n = b - a;
      best = a;
    }
    a = b;
  }
  return s[best];
}

class Impute final : public Step {
 public:
  Impute(std::vector<std::string> columns, ImputeParams p)
      : columns_(std::move(columns)), p_(std::move(p)) {}
  std::unique_ptr<Step> clone() const override { return std::make_unique<Impute>(*this); }
  const char* type() const override { return "impute"; }
  std::vector<std::string> reads() const override { return columns_; }
  NewColumns new_columns() const override {
    NewColumns out;
    if (p_.add_indicator)
      for (const auto& name : columns_) out.push_back({name + "_missing", {name}});
    return out;
  }

  void fit(const Table& t, int n_threads) override {
    const std::size_t m = columns_.size();
    std::vector<std::uint8_t> categorical = check_fit_columns(t);
    std::vector<double> values(m, 0.0);
    std::vector<std::string> categories(m);
    for_columns(m, n_threads, [&](std::size_t j) {
      const Column& c = t.column(columns_[j]);
      if (categorical[j])
        categories[j] = fill_category(c);
      else
        values[j] = fill_value(c);
    });
    for (std::size_t j = 0; j < m; ++j)
      CHURN_CHECK(categorical[j] || std::isfinite(values[j]), InvalidArgument,
                  label() << ": the fill value of column '" << columns_[j] << "' is not finite ("
                          << values[j] << ")");
    categorical_ = std::move(categorical);
    values_ = std::move(values);
    categories_ = std::move(categories);
  }

  Table transform(const Table& t, int n_threads) const override {
    const std::size_t m = columns_.size();
    const Index n = t.num_rows();
    std::vector<NumericValues> in;
    std::vector<F64Buffer> out, ind;
    std::vector<std::size_t> numeric_pos(m, 0), column_of;
    std::vector<std::pair<std::string, std::vector<Column>>> replace(m);
    for (std::size_t j = 0; j < m; ++j) {
      replace[j].first = columns_[j];
      if (categorical_[j]) {
        const Column& c = find_column(t, columns_[j], label());
        CHURN_CHECK(c.dtype() == DType::Categorical, TypeMismatch,
                    label() << ": column '" << c.name() << "' is " << dtype_name(c.dtype())
                            << ", expected category (as in fit)");
      } else {
        numeric_pos[j] = in.size();
        column_of.push_back(j);
        in.emplace_back(numeric_column(t, columns_[j], label()));
        out.emplace_back(n);
        if (p_.add_indicator) ind.emplace_back(n);
      }
    }
    for_column_blocks(static_cast<Index>(in.size()), n, n_threads,
                      [&](Index k, Index lo, Index hi) {
                        const std::size_t j = column_of[static_cast<std::size_t>(k)];
                        const double fill = values_[j];
                        const double* x = in[static_cast<std::size_t>(k)].data();
                        double* y = out[static_cast<std::size_t>(k)].data();
                        for (Index i = lo; i < hi; ++i) y[i] = std::isnan(x[i]) ? fill : x[i];
                        if (p_.add_indicator) {
                          double* z = ind[static_cast<std::size_t>(k)].data();
                          for (Index i = lo; i < hi; ++i) z[i] = std::isnan(x[i]) ? 1.0 : 0.0;
                        }
                      });
    for (std::size_t j = 0; j < m; ++j) {
      auto& cols = replace[j].second;
      if (categorical_[j]) {
        const Column& c = t.column(columns_[j]);
        std::vector<std::string> dict = c.categories();
        std::int32_t fill = -1;
        for (std::size_t k = 0; k < dict.size(); ++k)
          if (dict[k] == categories_[j]) fill = static_cast<std::int32_t>(k);
        if (fill < 0) {
          fill = static_cast<std::int32_t>(dict.size());
          dict.push_back(categories_[j]);
        }
        const auto codes = c.codes();
        std::vector<std::int32_t> filled(codes.data(), codes.data() + codes.size());
        std::vector<double> missing;
        if (p_.add_indicator) missing.resize(filled.size());
        for (std::size_t i = 0; i < filled.size(); ++i) {
          const bool miss = filled[i] < 0;
          if (miss) filled[i] = fill;
          if (p_.add_indicator) missing[i] = miss ? 1.0 : 0.0;
        }
        cols.push_back(Column::from_codes(columns_[j], std::move(filled), std::move(dict)));
        if (p_.add_indicator)
          cols.push_back(Column::from_float64(columns_[j] + "_missing", std::move(missing)));
      } else {
        cols.push_back(out[numeric_pos[j]].column(columns_[j]));
        if (p_.add_indicator) cols.push_back(ind[numeric_pos[j]].column(columns_[j] + "_missing"));
      }
    }
    return rebuild_table(t, std::move(replace));
  }

  Json settings(common::ParamSource target) const override {
    return settings_json(ColumnSettings<ImputeParams>{columns_, p_}, target);
  }
  Json state_json() const override {
    Json kinds = Json::array();
    for (auto c : categorical_) kinds.push_back(c ? "categorical" : "numeric");
    return Json{
        {"kinds", kinds}, {"values", json_from_doubles(values_)}, {"categories", categories_}};
  }
  void load_state(const Json& s, const std::string& where) override {
    json_check_members(s, {"kinds", "values", "categories"}, where);
    const auto kinds = json_get<std::vector<std::string>>(s, "kinds", where);
    auto values = json_get_doubles(s, "values", where);
    auto cats = json_get<std::vector<std::string>>(s, "categories", where);
    const std::size_t m = columns_.size();
    CHURN_CHECK(
        kinds.size() == m && values.size() == m && cats.size() == m, SerializationError,
        where << ": kinds, values and categories must hold one entry per column (" << m << ")");
    std::vector<std::uint8_t> categorical(m);
    for (std::size_t j = 0; j < m; ++j) {
      CHURN_CHECK(kinds[j] == "numeric" || kinds[j] == "categorical", SerializationError,
                  where << ": kinds[" << j << "] must be 'numeric' or 'categorical'");
      categorical[j] = kinds[j] == "categorical";
      CHURN_CHECK(categorical[j] ? !cats[j].empty() : std::isfinite(values[j]), SerializationError,
                  where << ": the fill value of column '" << columns_[j] << "' is invalid");
    }
    categorical_ = std::move(categorical);
    values_ = std::move(values);
    categories_ = std::move(cats);
  }

  static std::unique_ptr<Step> read(const Json& j, common::ParamSource source,
                                    const std::string& who) {
    auto s = read_settings<ColumnSettings<ImputeParams>>(j, source, who);
    return make_impute(std::move(s.columns), std::move(s.params));
  }

 private:
  /// Checks the columns for fit (numeric or categorical; a categorical one needs strategy
  /// most_frequent or constant; the indicator names are free); returns which are categorical.
  std::vector<std::uint8_t> check_fit_columns(const Table& t) const {
    std::vector<std::uint8_t> categorical(columns_.size(), 0);
    for (std::size_t j = 0; j < columns_.size(); ++j) {
      const Column& c = find_column(t, columns_[j], label());
      CHURN_CHECK(c.dtype() != DType::String, TypeMismatch,
                  label() << ": column '" << c.name()
                          << "' is string; impute takes numeric or categorical columns");
      if (c.dtype() == DType::Categorical) {
        categorical[j] = 1;
        CHURN_CHECK(
            p_.strategy == ImputeStrategy::MostFrequent || p_.strategy == ImputeStrategy::Constant,
            InvalidArgument,
            label() << ": column '" << c.name() << "' is categorical; strategy '"
                    << impute_strategy_name(p_.strategy)
                    << "' needs a numeric column (use most_frequent or constant)");
      } else {
        numeric_column(t, columns_[j], label());
      }
      if (p_.add_indicator) check_new_name(t, columns_[j] + "_missing", label());
    }
    return categorical;
  }

  /// The fill category of a categorical column: fill_category, or the most frequent category
  /// (ties to the smallest label).
  std::string fill_category(const Column& c) const {
    if (p_.strategy == ImputeStrategy::Constant) return p_.fill_category;
    auto counts = category_counts(c);
    CHURN_CHECK(!counts.empty(), InvalidArgument,
                label() << ": column '" << c.name()
                        << "' has no non-missing value to take the most frequent of");
    std::sort(counts.begin(), counts.end());
    std::size_t best = 0;
    for (std::size_t k = 1; k < counts.size(); ++k)
      if (counts[k].second > counts[best].second) best = k;
    return counts[best].first;
  }

  /// The fill value of a numeric column: fill_value, or the mean, median or most frequent value
  /// of its non-missing values.
  double fill_value(const Column& c) const {
    if (p_.strategy == ImputeStrategy::Constant) return p_.fill_value;
    const NumericValues x(c);
    if (p_.strategy == ImputeStrategy::Mean) {
      double sum = 0;
      Index n = 0;
      for (Index i = 0; i < x.size(); ++i) {
        if (std::isnan(x.data()[i])) continue;
        sum += x.data()[i];
        ++n;
      }
      CHURN_CHECK(n > 0, InvalidArgument,
                  label() << ": column '" << c.name() << "' has no non-missing value");
      return sum / static_cast<double>(n);
    }
    const auto s = sorted_values(x.data(), x.size());
    CHURN_CHECK(!s.empty(), InvalidArgument,
                label() << ": column '" << c.name() << "' has no non-missing value");
    if (p_.strategy == ImputeStrategy::Median) return common::median_sorted(s.data(), s.size());
    return most_frequent_sorted(s);
  }

  std::vector<std::string> columns_;
  ImputeParams p_;
  std::vector<std::uint8_t> categorical_;
  std::vector<double> values_;
  std::vector<std::string> categories_;
};

// ---- element-wise numeric steps (clip, log1p, scale) --------------------------------------------

/// Shared transform of the steps that map each numeric column to one float64 column of the
/// same name: `kernel(j, x, y, lo, hi)`.
template <class Kernel>
Table map_numeric(const Table& t, const std::vector<std::string>& columns, const std::string& label,
                  int n_threads, Kernel&& kernel) {
  const Index n = t.num_rows();
  std::vector<NumericValues> in;
  std::vector<F64Buffer> out;
  in.reserve(columns.size());
  for (const auto& name : columns) {
    in.emplace_back(numeric_column(t, name, label));
    out.emplace_back(n);
  }
  for_column_blocks(static_cast<Index>(columns.size()), n, n_threads,
                    [&](Index j, Index lo, Index hi) {
                      const auto k = static_cast<std::size_t>(j);
                      kernel(k, in[k].data(), out[k].data(), lo, hi);
                    });
  std::vector<std::pair<std::string, std::vector<Column>>> replace;
  for (std::size_t k = 0; k < columns.size(); ++k)
    replace.push_back({columns[k], {out[k].column(columns[k])}});
  return rebuild_table(t, std::move(replace));
}

class Clip final : public Step {
 public:
  Clip(std::vector<std::string> columns, ClipParams p) : columns_(std::move(columns)), p_(p) {}
  std::unique_ptr<Step> clone() const override { return std::make_unique<Clip>(*this); }
  const char* type() const override { return "clip"; }
  std::vector<std::string> reads() const override { return columns_; }

  void fit(const Table& t, int n_threads) override {
    const std::size_t m = columns_.size();
    for (const auto& name : columns_) numeric_column(t, name, label());
    std::vector<double> lo(m), hi(m);
    for_columns(m, n_threads, [&](std::size_t j) {
      const NumericValues x(t.column(columns_[j]));
      const auto s = sorted_values(x.data(), x.size());
      CHURN_CHECK(!s.empty(), InvalidArgument,
                  label() << ": column '" << columns_[j] << "' has no non-missing value");
      lo[j] = common::quantile_sorted(s, p_.lower_quantile);
      hi[j] = common::quantile_sorted(s, p_.upper_quantile);
    });
    for (std::size_t j = 0; j < m; ++j)
      CHURN_CHECK(std::isfinite(lo[j]) && std::isfinite(hi[j]), InvalidArgument,
                  label() << ": column '" << columns_[j] << "' has infinite quantiles");
    lower_ = std::move(lo);
    upper_ = std::move(hi);
  }

  Table transform(const Table& t, int n_threads) const override {
    return map_numeric(t, columns_, label(), n_threads,
                       [&](std::size_t j, const double* x, double* y, Index lo, Index hi) {
                         const double a = lower_[j], b = upper_[j];
                         for (Index i = lo; i < hi; ++i) {
                           const double v = x[i];
                           y[i] = v < a ? a : (v > b ? b : v);  // NaN stays NaN
                         }
                       });
  }

  Json settings(common::ParamSource target) const override {
    return settings_json(ColumnSettings<ClipParams>{columns_, p_}, target);
  }
  Json state_json() const override {
    return Json{{"lower", json_from_doubles(lower_)}, {"upper", json_from_doubles(upper_)}};
  }
  void load_state(const Json& s, const std::string& where) override {
    json_check_members(s, {"lower", "upper"}, where);
    auto lo = json_get_doubles(s, "lower", where);
    auto hi = json_get_doubles(s, "upper", where);
    CHURN_CHECK(lo.size() == columns_.size() && hi.size() == columns_.size(), SerializationError,
                where << ": lower and upper must hold one value per column");
    for (std::size_t j = 0; j < lo.size(); ++j)
      CHURN_CHECK(std::isfinite(lo[j]) && std::isfinite(hi[j]) && lo[j] <= hi[j],
                  SerializationError,
                  where << ": the bounds of column '" << columns_[j] << "' are invalid");
    lower_ = std::move(lo);
    upper_ = std::move(hi);
  }
  static std::unique_ptr<Step> read(const Json& j, common::ParamSource source,
                                    const std::string& who) {
    auto s = read_settings<ColumnSettings<ClipParams>>(j, source, who);
    return make_clip(std::move(s.columns), s.params);
  }

 private:
  std::vector<std::string> columns_;
  ClipParams p_;
  std::vector<double> lower_, upper_;
};

class Log1p final : public ColumnsOnlyStep {
 public:
  explicit Log1p(std::vector<std::string> columns) : ColumnsOnlyStep(std::move(columns)) {}
  std::unique_ptr<Step> clone() const override { return std::make_unique<Log1p>(*this); }
  const char* type() const override { return "log1p"; }
  std::vector<std::string> reads() const override { return columns_; }
  void fit(const Table& t, int /*n_threads*/) override {
    for (const auto& name : columns_) numeric_column(t, name, label());
  }
  Table transform(const Table& t, int n_threads) const override {
    return map_numeric(t, columns_, label(), n_threads,
                       [&](std::size_t j, const double* x, double* y, Index lo, Index hi) {
                         bool bad = false;
                         for (Index i = lo; i < hi; ++i) {
                           bad |= x[i] <= -1.0;
                           y[i] = std::log1p(x[i]);
                         }
                         if (!bad) return;
                         for (Index i = lo; i < hi; ++i)
                           CHURN_CHECK(!(x[i] <= -1.0), InvalidArgument,
                                       label() << ": column '" << columns_[j] << "' holds " << x[i]
                                               << " at row " << i << "; log1p needs values > -1");
                       });
  }
  static std::unique_ptr<Step> read(const Json& j, common::ParamSource source,
                                    const std::string& who) {
    auto s = read_settings<ColumnSettings<NoParams>>(j, source, who);
    return make_log1p(std::move(s.columns));
  }
};

class Scale final : public Step {
 public:
  Scale(std::vector<std::string> columns, ScaleParams p) : columns_(std::move(columns)), p_(p) {}
  std::unique_ptr<Step> clone() const override { return std::make_unique<Scale>(*this); }
  const char* type() const override { return "scale"; }
  std::vector<std::string> reads() const override { return columns_; }

  void fit(const Table& t, int n_threads) override {
    const std::size_t m = columns_.size();
    for (const auto& name : columns_) numeric_column(t, name, label());
    std::vector<double> mean(m, 0.0), scale(m, 1.0);
    for_columns(m, n_threads, [&](std::size_t j) {
      const NumericValues x(t.column(columns_[j]));
      double sum = 0;
      Index cnt = 0;
      for (Index i = 0; i < x.size(); ++i) {
        if (std::isnan(x.data()[i])) continue;
        sum += x.data()[i];
        ++cnt;
      }
      CHURN_CHECK(cnt > 0, InvalidArgument,
                  label() << ": column '" << columns_[j] << "' has no non-missing value");
      const double mu = sum / static_cast<double>(cnt);
      double ss = 0;
      for (Index i = 0; i < x.size(); ++i) {
        if (std::isnan(x.data()[i])) continue;
        const double d = x.data()[i] - mu;
        ss += d * d;
      }
      const double sd = std::sqrt(ss / static_cast<double>(cnt));
      if (p_.with_mean) mean[j] = mu;
      if (p_.with_std) scale[j] = sd > 0 ? sd : 1.0;
    });
    for (std::size_t j = 0; j < m; ++j)
      CHURN_CHECK(std::isfinite(mean[j]) && std::isfinite(scale[j]), InvalidArgument,
                  label() << ": column '" << columns_[j]
                          << "' has a non-finite mean or standard deviation");
    mean_ = std::move(mean);
    scale_ = std::move(scale);
  }

  Table transform(const Table& t, int n_threads) const override {
    return map_numeric(t, columns_, label(), n_threads,
                       [&](std::size_t j, const double* x, double* y, Index lo, Index hi) {
                         const double mu = mean_[j], sd = scale_[j];
                         for (Index i = lo; i < hi; ++i) y[i] = (x[i] - mu) / sd;
                       });
  }

  Json settings(common::ParamSource target) const override {
    return settings_json(ColumnSettings<ScaleParams>{columns_, p_}, target);
  }
  Json state_json() const override {
    return Json{{"mean", json_from_doubles(mean_)}, {"scale", json_from_doubles(scale_)}};
  }
  void load_state(const Json& s, const std::string& where) override {
    json_check_members(s, {"mean", "scale"}, where);
    auto mean = json_get_doubles(s, "mean", where);
    auto scale = json_get_doubles(s, "scale", where);
    CHURN_CHECK(mean.size() == columns_.size() && scale.size() == columns_.size(),
                SerializationError, where << ": mean and scale must hold one value per column");
    for (std::size_t j = 0; j < mean.size(); ++j)
      CHURN_CHECK(std::isfinite(mean[j]) && std::isfinite(scale[j]) && scale[j] > 0,
                  SerializationError,
                  where << ": the mean or scale of column '" << columns_[j] << "' is invalid");
    mean_ = std::move(mean);
    scale_ = std::move(scale);
  }
  static std::unique_ptr<Step> read(const Json& j, common::ParamSource source,
                                    const std::string& who) {
    auto s = read_settings<ColumnSettings<ScaleParams>>(j, source, who);
    return make_scale(std::move(s.columns), s.params);
  }

 private:
  std::vector<std::string> columns_;
  ScaleParams p_;
  std::vector<double> mean_, scale_;
};

// ---- bin ----------------------------------------------------------------------------------------

std::vector<std::string> default_bin_labels(const std::vector<double>& cuts) {
  std::vector<std::string> labels;
  if (cuts.empty()) return {"(-inf, inf)"};
  labels.push_back("(-inf, " + format_double(cuts.front()) + ")");
  for (std::size_t k = 1; k < cuts.size(); ++k)
    labels.push_back("[" + format_double(cuts[k - 1]) + ", " + format_double(cuts[k]) + ")");
  labels.push_back("[" + format_double(cuts.back()) + ", inf)");
  return labels;
}

class Bin final : public Step {
 public:
  Bin(std::vector<std::string> columns, BinParams p)
      : columns_(std::move(columns)), p_(std::move(p)) {}
  std::unique_ptr<Step> clone() const override { return std::make_unique<Bin>(*this); }
  const char* type() const override { return "bin"; }
  std::vector<std::string> reads() const override { return columns_; }
  NewColumns new_columns() const override {
    NewColumns out;
    if (!p_.suffix.empty())
      for (const auto& name : columns_) out.push_back({name + p_.suffix, {name}});
    return out;
  }

  void fit(const Table& t, int n_threads) override {
    const std::size_t m = columns_.size();
    for (const auto& name : columns_) {
      numeric_column(t, name, label());
      if (!p_.suffix.empty()) check_new_name(t, name + p_.suffix, label());
    }
    std::vector<std::vector<double>> cuts(m);
    std::vector<char> infinite(m, 0);  // a quantile is not finite (checked in column order)
    for_columns(m, n_threads, [&](std::size_t j) {
      if (p_.strategy == BinStrategy::Fixed) {
        cuts[j] = p_.edges;
        return;
      }
      const NumericValues x(t.column(columns_[j]));
      const auto s = sorted_values(x.data(), x.size());
      CHURN_CHECK(!s.empty(), InvalidArgument,
                  label() << ": column '" << columns_[j] << "' has no non-missing value");
      const double lowest = s.front();
      for (int k = 1; k < p_.n_bins; ++k) {
        const double q = common::quantile_sorted(s, static_cast<double>(k) / p_.n_bins);
        // infinite values make numpy's quantile infinite or NaN (which the test below would
        // drop without a word)
        if (!std::isfinite(q)) {
          infinite[j] = 1;
          return;
        }
        if (q > lowest && (cuts[j].empty() || q > cuts[j].back())) cuts[j].push_back(q);
      }
    });
    for (std::size_t j = 0; j < m; ++j)
      CHURN_CHECK(!infinite[j], InvalidArgument,
                  label() << ": column '" << columns_[j] << "' has infinite quantiles");
    std::vector<std::vector<std::string>> labels(m);
    if (p_.output == BinOutput::Categorical)
      for (std::size_t j = 0; j < m; ++j)
        labels[j] = p_.labels.empty() ? default_bin_labels(cuts[j]) : p_.labels;
    cuts_ = std::move(cuts);
    labels_ = std::move(labels);
  }

  Table transform(const Table& t, int n_threads) const override {
    const std::size_t m = columns_.size();
    const Index n = t.num_rows();
    const bool as_index = p_.output == BinOutput::Index;
    std::vector<NumericValues> in;
    std::vector<F64Buffer> out;
    std::vector<std::vector<std::int32_t>> codes(as_index ? 0 : m);
    for (std::size_t j = 0; j < m; ++j) {
      in.emplace_back(numeric_column(t, columns_[j], label()));
      if (as_index) {
        out.emplace_back(n);
      } else {
        codes[j].resize(static_cast<std::size_t>(n));
      }
    }
    for_column_blocks(static_cast<Index>(m), n, n_threads, [&](Index jj, Index lo, Index hi) {
      const auto j = static_cast<std::size_t>(jj);
      const double* x = in[j].data();
      const double* c0 = cuts_[j].data();
      const double* c1 = c0 + cuts_[j].size();
      for (Index i = lo; i < hi; ++i) {
        const double v = x[i];
        const bool miss = std::isnan(v);
        const auto b = miss ? 0 : static_cast<std::int32_t>(std::upper_bound(c0, c1, v) - c0);
        if (as_index) {
          out[j].data()[i] = miss ? kMissing : static_cast<double>(b);
        } else {
          codes[j][static_cast<std::size_t>(i)] = miss ? kMissingCode : b;
        }
      }
    });
    std::vector<std::pair<std::string, std::vector<Column>>> replace(m);
    for (std::size_t j = 0; j < m; ++j) {
      const std::string name = p_.suffix.empty() ? columns_[j] : columns_[j] + p_.suffix;
      replace[j].first = columns_[j];
      if (!p_.suffix.empty()) replace[j].second.push_back(t.column(columns_[j]));
      replace[j].second.push_back(as_index
                                      ? out[j].column(name)
                                      : Column::from_codes(name, std::move(codes[j]), labels_[j]));
    }
    return rebuild_table(t, std::move(replace));
  }

  Json settings(common::ParamSource target) const override {
    return settings_json(ColumnSettings<BinParams>{columns_, p_}, target);
  }
  Json state_json() const override {
    Json cuts = Json::array();
    for (const auto& c : cuts_) cuts.push_back(json_from_doubles(c));
    return Json{{"cuts", cuts}, {"labels", labels_}};
  }
  void load_state(const Json& s, const std::string& where) override {
    json_check_members(s, {"cuts", "labels"}, where);
    const Json cj = json_get<Json>(s, "cuts", where);
    const std::size_t m = columns_.size();
    CHURN_CHECK(cj.is_array() && cj.size() == m, SerializationError,
                where << ": cuts must be a list with one entry per column (" << m << ")");
    std::vector<std::vector<double>> cuts(m);
    for (std::size_t j = 0; j < m; ++j) {
      CHURN_CHECK(cj[j].is_array(), SerializationError,
                  where << ": cuts[" << j << "] is not a list");
      for (const auto& v : cj[j]) cuts[j].push_back(json_to_double(v, where + ".cuts"));
      for (std::size_t k = 0; k < cuts[j].size(); ++k)
        CHURN_CHECK(std::isfinite(cuts[j][k]) && (k == 0 || cuts[j][k] > cuts[j][k - 1]),
                    SerializationError,
                    where << ": the cuts of column '" << columns_[j]
                          << "' must be finite and strictly increasing");
      CHURN_CHECK(cuts[j].size() < 1000000, SerializationError, where << ": too many cuts");
    }
    auto labels = json_get<std::vector<std::vector<std::string>>>(s, "labels", where);
    CHURN_CHECK(labels.size() == m, SerializationError,
                where << ": labels must hold one entry per column");
    for (std::size_t j = 0; j < m; ++j) {
      if (p_.output == BinOutput::Index) {
        CHURN_CHECK(labels[j].empty(), SerializationError, where << ": index output has no labels");
        continue;
      }
      CHURN_CHECK(labels[j].size() == cuts[j].size() + 1, SerializationError,
                  where << ": column '" << columns_[j] << "' has " << labels[j].size()
                        << " labels for " << cuts[j].size() + 1 << " bins");
      common::check_distinct<SerializationError>(labels[j], where,
                                                 "the labels of column '" + columns_[j] + "'");
    }
    cuts_ = std::move(cuts);
    labels_ = std::move(labels);
  }
  static std::unique_ptr<Step> read(const Json& j, common::ParamSource source,
                                    const std::string& who) {
    auto s = read_settings<ColumnSettings<BinParams>>(j, source, who);
    return make_bin(std::move(s.columns), std::move(s.params));
  }

 private:
  std::vector<std::string> columns_;
  BinParams p_;
  std::vector<std::vector<double>> cuts_;
  std::vector<std::vector<std::string>> labels_;
};

// ---- combine ------------------------------------------------------------------------------------

class Combine final : public Step {
 public:
  Combine(std::string output, std::string a, CombineOp op, std::string b, CombineParams p)
      : output_(std::move(output)), a_(std::move(a)), b_(std::move(b)), op_(op), p_(p) {}
  std::unique_ptr<Step> clone() const override { return std::make_unique<Combine>(*this); }
  const char* type() const override { return "combine"; }
  std::vector<std::string> reads() const override {
    if (a_ == b_) return {a_};
    return {a_, b_};
  }
  NewColumns new_columns() const override { return {{output_, reads()}}; }
  void fit(const Table& t, int /*n_threads*/) override {
    numeric_column(t, a_, label());
    numeric_column(t, b_, label());
    check_new_name(t, output_, label());
  }
  Table transform(const Table& t, int n_threads) const override {
    const NumericValues a(numeric_column(t, a_, label()));
    const NumericValues b(numeric_column(t, b_, label()));
    const Index n = t.num_rows();
    F64Buffer out(n);
    const double fill = p_.zero_division_fill, off = p_.denominator_offset;
    const CombineOp op = op_;
    for_column_blocks(1, n, n_threads, [&](Index, Index lo, Index hi) {
      const double* x = a.data();
      const double* z = b.data();
      double* y = out.data();
      switch (op) {
        case CombineOp::Add:
          for (Index i = lo; i < hi; ++i) y[i] = x[i] + z[i];
          break;
        case CombineOp::Subtract:
          for (Index i = lo; i < hi; ++i) y[i] = x[i] - z[i];
          break;
        case CombineOp::Multiply:
          for (Index i = lo; i < hi; ++i) y[i] = x[i] * z[i];
          break;
        case CombineOp::Divide:
          for (Index i = lo; i < hi; ++i) {
            const double d = z[i] + off;
            y[i] = d == 0.0 ? (std::isnan(x[i]) ? kMissing : fill) : x[i] / d;
          }
          break;
      }
    });
    return rebuild_table(t, {}, {out.column(output_)});
  }
  Json settings(common::ParamSource target) const override {
    return settings_json(CombineSettings{output_, a_, op_, b_, p_}, target);
  }
  Json state_json() const override { return Json::object(); }
  void load_state(const Json& s, const std::string& where) override {
    json_check_members(s, {}, where);
  }
  static std::unique_ptr<Step> read(const Json& j, common::ParamSource source,
                                    const std::string& who) {
    auto s = read_settings<CombineSettings>(j, source, who);
    return make_combine(std::move(s.output), std::move(s.a), s.op, std::move(s.b), s.params);
  }

 private:
  std::string output_, a_, b_;
  CombineOp op_;
  CombineParams p_;
};

}  // namespace

std::unique_ptr<Step> make_impute(std::vector<std::string> columns, ImputeParams p) {
  common::check_names(columns, "Pipeline::impute()", "columns");
  p.validate();
  return std::make_unique<Impute>(std::move(columns), std::move(p));
}
std::unique_ptr<Step> make_clip(std::vector<std::string> columns, ClipParams p) {
  common::check_names(columns, "Pipeline::clip()", "columns");
  p.validate();
  return std::make_unique<Clip>(std::move(columns), p);
}
std::unique_ptr<Step> make_log1p(std::vector<std::string> columns) {
  common::check_names(columns, "Pipeline::log1p()", "columns");
  return std::make_unique<Log1p>(std::move(columns));
}
std::unique_ptr<Step> make_scale(std::vector<std::string> columns, ScaleParams p) {
  common::check_names(columns, "Pipeline::scale()", "columns");
  p.validate();
  return std::make_unique<Scale>(std::move(columns), p);
}
std::unique_ptr<Step> make_bin(std::vector<std::string> columns, BinParams p) {
  common::check_names(columns, "Pipeline::bin()", "columns");
  p.validate();
  return std::make_unique<Bin>(std::move(columns), std::move(p));
}
std::unique_ptr<Step> make_combine(std::string output, std::string a, CombineOp op, std::string b,
                                   CombineParams p) {
  CHURN_CHECK(!output.empty() && !a.empty() && !b.empty(), InvalidArgument,
              "Pipeline::combine(): output, a and b must be non-empty column names");
  p.validate();
  return std::make_unique<Combine>(std::move(output), std::move(a), op, std::move(b), p);
}

std::unique_ptr<Step> numeric_step_from_settings(const std::string& type, const Json& settings,
                                                 common::ParamSource source,
                                                 const std::string& who) {
  if (type == "impute") return Impute::read(settings, source, who);
  if (type == "clip") return Clip::read(settings, source, who);
  if (type == "log1p") return Log1p::read(settings, source, who);
  if (type == "scale") return Scale::read(settings, source, who);
  if (type == "bin") return Bin::read(settings, source, who);
  if (type == "combine") return Combine::read(settings, source, who);
  return nullptr;
}

}  // namespace detail
}  // namespace churn::features
