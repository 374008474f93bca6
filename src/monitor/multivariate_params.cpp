// DomainClassifierParams and PcaDriftParams: validation and JSON, every field listed once per
// struct (visit_domain_params, visit_pca_params).
#include <string_view>  // std::string_view

#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"  // check_n_threads
#include "churn/monitor/multivariate.hpp"
#include "common/params.hpp"

namespace churn::monitor {

namespace {

template <class P, class F>
void visit_domain_params(P& p, F&& f) {
  f("n_splits", p.n_splits);
  f("n_estimators", p.n_estimators);
  f("learning_rate", p.learning_rate);
  f("num_leaves", p.num_leaves);
  f("min_child_samples", p.min_child_samples);
  f("max_bins", p.max_bins);
  f("max_rows", p.max_rows);
  f("shap_rows", p.shap_rows);
  f("alpha", p.alpha);
  f("seed", p.seed);
  f("n_threads", p.n_threads);
}

template <class P, class F>
void visit_pca_params(P& p, F&& f) {
  f("variance", p.variance);
  f("alpha", p.alpha);
  f("seed", p.seed);
  f("n_threads", p.n_threads);
}

constexpr auto kVisitDomain = [](auto& p, auto& f) { visit_domain_params(p, f); };
constexpr auto kVisitPca = [](auto& p, auto& f) { visit_pca_params(p, f); };
constexpr common::ReadRules kStrict{/*strict_file=*/true};

/// alpha in (0, 1), naming the struct.
void check_alpha(double alpha, const char* who) {
  CHURN_CHECK(alpha > 0 && alpha < 1, InvalidArgument,
              who << ": alpha must be in (0, 1), got " << alpha);
}

}  // namespace

void DomainClassifierParams::validate() const {
  const char* who = "DomainClassifierParams";
  CHURN_CHECK(n_splits >= 2 && n_splits <= 100, InvalidArgument,
              who << ": n_splits must be in [2, 100], got " << n_splits);
  CHURN_CHECK(n_estimators >= 1 && n_estimators <= 10000, InvalidArgument,
              who << ": n_estimators must be in [1, 10000], got " << n_estimators);
  CHURN_CHECK(learning_rate > 0 && learning_rate <= 1, InvalidArgument,
              who << ": learning_rate must be in (0, 1], got " << learning_rate);
  CHURN_CHECK(num_leaves >= 2 && num_leaves <= 131072, InvalidArgument,
              who << ": num_leaves must be in [2, 131072], got " << num_leaves);
  CHURN_CHECK(min_child_samples >= 1, InvalidArgument,
              who << ": min_child_samples must be >= 1, got " << min_child_samples);
  CHURN_CHECK(max_bins >= 2 && max_bins <= 65535, InvalidArgument,
              who << ": max_bins must be in [2, 65535], got " << max_bins);
  CHURN_CHECK(max_rows >= 2, InvalidArgument, who << ": max_rows must be >= 2, got " << max_rows);
  CHURN_CHECK(shap_rows >= 1, InvalidArgument,
              who << ": shap_rows must be >= 1, got " << shap_rows);
  check_alpha(alpha, who);
  check_n_threads(n_threads, who);
}

Json DomainClassifierParams::to_json() const {
  return common::write_params(*this, common::ParamSource::File, kVisitDomain);
}

DomainClassifierParams DomainClassifierParams::from_json(const Json& j) {
  return common::read_params<DomainClassifierParams>(
      j, common::ParamSource::File, "DomainClassifierParams.from_json()", kVisitDomain, kStrict);
}

DomainClassifierParams DomainClassifierParams::from_options(const Json& options,
                                                            std::string_view caller) {
  return common::read_params<DomainClassifierParams>(options, common::ParamSource::Options, caller,
                                                     kVisitDomain);
}

void PcaDriftParams::validate() const {
  const char* who = "PcaDriftParams";
  CHURN_CHECK(variance > 0 && variance <= 1, InvalidArgument,
              who << ": variance must be in (0, 1], got " << variance);
  check_alpha(alpha, who);
  check_n_threads(n_threads, who);
}

Json PcaDriftParams::to_json() const {
  return common::write_params(*this, common::ParamSource::File, kVisitPca);
}

PcaDriftParams PcaDriftParams::from_json(const Json& j) {
  return common::read_params<PcaDriftParams>(j, common::ParamSource::File, "load(PcaDrift) params",
                                             kVisitPca, kStrict);
}

PcaDriftParams PcaDriftParams::from_options(const Json& options, std::string_view caller) {
  return common::read_params<PcaDriftParams>(options, common::ParamSource::Options, caller,
                                             kVisitPca);
}

}  // namespace churn::monitor
