// churn::tree::GBDTClassifier: construction, parameters and accessors. The other members live
// by concern: gbdt_params.cpp (GBDTParams), gbdt_fit.cpp, gbdt_predict.cpp, gbdt_json.cpp (JSON,
// files and classes) and gbdt_table.cpp (tables as features).
#include "churn/tree/gbdt.hpp"

#include <string>   // std::string
#include <utility>  // std::move

#include "churn/core/error.hpp"
#include "tree/model_json.hpp"

namespace churn::tree {

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
  const std::string problem =
      detail::category_names_problem(names, trees_, bin_info_, is_categorical_);
  CHURN_CHECK(problem.empty(), InvalidArgument,
              "GBDTClassifier::set_category_names(): " << problem);
  category_names_ = std::move(names);
}

}  // namespace churn::tree
