// churn::tree::GBDTParams: the metric names, validation, and the parameters to and from JSON
// (one visit_params list of every field).
#include "churn/tree/gbdt.hpp"

#include <algorithm>    // std::find
#include <cmath>        // std::isfinite
#include <string_view>  // std::string_view

#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "common/enum_names.hpp"
#include "common/params.hpp"

namespace churn::tree {

namespace {

/// The eval_metric names (LightGBM's; "logloss" as XGBoost writes it is an alias).
constexpr common::EnumName<GBDTMetric> kMetricNames[] = {{GBDTMetric::LogLoss, "binary_logloss"},
                                                         {GBDTMetric::LogLoss, "logloss"},
                                                         {GBDTMetric::Auc, "auc"}};

}  // namespace

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
  check_n_threads(n_threads, who);
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

/// visit_params as a functor, for common::read_params / write_params.
constexpr auto kVisit = [](auto& p, auto& f) { visit_params(p, f); };

}  // namespace

Json GBDTParams::to_json() const {
  return common::write_params(*this, common::ParamSource::File, kVisit);
}

GBDTParams GBDTParams::from_json(const Json& j) {
  return common::read_params<GBDTParams>(j, common::ParamSource::File, "GBDTParams::from_json()",
                                         kVisit);
}

GBDTParams GBDTParams::from_options(const Json& options, std::string_view caller) {
  return common::read_params<GBDTParams>(options, common::ParamSource::Options, caller, kVisit);
}

}  // namespace churn::tree
