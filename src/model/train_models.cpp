// train_churn_model()'s candidates: default parameters and fits.
#include "model/train_models.hpp"

#include <algorithm>  // std::max

#include "churn/core/error.hpp"
#include "common/json.hpp"

namespace churn::model::detail {

namespace {

linear::LogisticRegression fit_logistic(const data::Table& f, const VectorRef& y,
                                        const TrainOptions& o, Json* params) {
  linear::LogisticRegressionParams p;
  p.max_iter = 500;
  p.n_threads = o.n_threads;
  if (params) *params = p.to_json();
  linear::LogisticRegression m(p);
  m.fit(f, y);
  return m;
}

tree::GBDTClassifier fit_gbdt(const data::Table& f, const VectorRef& y, const TrainOptions& o,
                              const Json& overrides, Json* params) {
  tree::GBDTParams p;
  p.n_estimators = 200;
  p.learning_rate = 0.05;
  p.num_leaves = 15;
  p.min_child_samples = 20;
  p.seed = o.seed;
  p.n_threads = o.n_threads;
  if (!overrides.empty()) {
    Json j = p.to_json();
    j.update(overrides);
    p = tree::GBDTParams::from_options(j, "train_churn_model() GBDT search");
  }
  tree::GBDTClassifier m(p);
  m.fit(f, y);
  if (params) *params = m.params().to_json();
  return m;
}

/// Leaves hold at least max(5, n / 2000) rows: probabilities a little smoother than fully grown
/// trees give, and a bundle of a few megabytes however many customers it learns from.
tree::RandomForestClassifier fit_forest(const data::Table& f, const VectorRef& y,
                                        const TrainOptions& o, Json* params) {
  tree::RandomForestParams p;
  p.n_estimators = 100;
  p.min_samples_leaf = std::max(5, static_cast<int>(y.size() / 2000));
  p.seed = o.seed;
  p.n_threads = o.n_threads;
  tree::RandomForestClassifier m(p);
  m.fit(f, y);
  if (params) *params = m.params().to_json();
  return m;
}

}  // namespace

AnyModel fit_candidate(const std::string& name, const data::Table& features, const VectorRef& y,
                       const TrainOptions& options, const Json& overrides, Json* params) {
  if (name == "logistic") return fit_logistic(features, y, options, params);
  if (name == "gbdt") return fit_gbdt(features, y, options, overrides, params);
  if (name == "random_forest") return fit_forest(features, y, options, params);
  CHURN_THROW(InvalidArgument, "train_churn_model(): unknown candidate '" << name << "'");
}

void set_classes(AnyModel& model, const Json& classes) {
  std::visit([&classes](auto& m) { m.set_classes(classes); }, model);
}

Json model_to_json(const AnyModel& model) {
  return std::visit([](const auto& m) { return m.to_json(); }, model);
}

}  // namespace churn::model::detail
