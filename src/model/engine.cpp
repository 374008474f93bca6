// The model kinds a ChurnModel dispatches on: loading, scores, contributions, and the map from
// the model's columns back to the raw columns they were computed from.
#include "model/engine.hpp"

#include <algorithm>  // std::find
#include <limits>     // std::numeric_limits
#include <optional>   // std::optional
#include <string>     // std::string
#include <utility>    // std::move

#include "churn/core/error.hpp"
#include "common/json.hpp"
#include "common/logistic.hpp"

namespace churn::model::detail {

AnyModel model_from_json(const Json& doc, const char* caller) {
  CHURN_CHECK(doc.is_object() && doc.contains("kind") && doc["kind"].is_string(),
              SerializationError, caller << ": the model is not a churnlib model document");
  const std::string kind = doc["kind"].get<std::string>();
  if (kind == "LogisticRegression") return linear::LogisticRegression::from_json(doc);
  if (kind == "GBDTClassifier") return tree::GBDTClassifier::from_json(doc);
  if (kind == "RandomForestClassifier") return tree::RandomForestClassifier::from_json(doc);
  CHURN_THROW(SerializationError,
              caller << ": model kind '" << kind
                     << "' cannot be bundled (LogisticRegression, RandomForestClassifier or "
                        "GBDTClassifier)");
}

ModelKind kind_of(const AnyModel& model) {
  if (std::holds_alternative<linear::LogisticRegression>(model)) return ModelKind::Logistic;
  if (std::holds_alternative<tree::RandomForestClassifier>(model)) return ModelKind::RandomForest;
  return ModelKind::GBDT;
}

const std::vector<std::string>& feature_names_of(const AnyModel& model) {
  return std::visit(
      [](const auto& m) -> const std::vector<std::string>& { return m.feature_names(); }, model);
}

Vector raw_score_of(const AnyModel& model, const data::Table& features) {
  if (const auto* lr = std::get_if<linear::LogisticRegression>(&model))
    return lr->decision_function(features);
  if (const auto* rf = std::get_if<tree::RandomForestClassifier>(&model))
    return rf->predict_proba(features);
  return std::get<tree::GBDTClassifier>(model).predict_raw(features);
}

Vector probability_from_raw(const AnyModel& model, const VectorRef& raw) {
  if (std::holds_alternative<tree::RandomForestClassifier>(model)) return raw;
  Vector p(raw.size());
  for (Index i = 0; i < raw.size(); ++i) p[i] = common::sigmoid(raw[i]);
  return p;
}

RowMatrix contributions_of(const AnyModel& model, const data::Table& features,
                           const std::vector<double>& feature_means) {
  if (const auto* gbdt = std::get_if<tree::GBDTClassifier>(&model))
    return gbdt->predict_contrib(gbdt->feature_matrix(features));
  if (const auto* rf = std::get_if<tree::RandomForestClassifier>(&model))
    return rf->predict_contrib(rf->feature_matrix(features));
  const auto& lr = std::get<linear::LogisticRegression>(model);
  const RowMatrix X = features.numeric_matrix(lr.feature_names(), "ChurnModel::score()");
  const Index n = X.rows();
  const Index p = X.cols();
  const Vector& coef = lr.coef();
  double bias = lr.intercept();
  RowMatrix out(n, p + 1);
  for (Index j = 0; j < p; ++j) {
    const double mean = feature_means.empty() ? 0.0 : feature_means[static_cast<std::size_t>(j)];
    bias += coef[j] * mean;
    out.col(j) = coef[j] * (X.col(j).array() - mean);
  }
  out.col(p).setConstant(bias);
  return out;
}

void map_sources(Engine& engine) {
  const auto& features = feature_names_of(engine.model);
  const auto& out_names = engine.parts.pipeline.feature_names_out();
  const auto sources = engine.parts.pipeline.feature_sources();
  engine.sources.clear();
  engine.source_of_feature.assign(features.size(), {});
  for (std::size_t j = 0; j < features.size(); ++j) {
    const auto at = std::find(out_names.begin(), out_names.end(), features[j]);
    CHURN_CHECK(
        at != out_names.end(), InvalidArgument,
        "ChurnModel: the model's feature '" << features[j] << "' is not an output of the pipeline");
    for (const auto& s : sources[static_cast<std::size_t>(at - out_names.begin())]) {
      auto k = std::find(engine.sources.begin(), engine.sources.end(), s);
      if (k == engine.sources.end()) k = engine.sources.insert(engine.sources.end(), s);
      engine.source_of_feature[j].push_back(static_cast<Index>(k - engine.sources.begin()));
    }
  }
}

RowMatrix sum_by_source(const Engine& engine, const RowMatrixRef& contrib) {
  const Index n = contrib.rows();
  const Index p = contrib.cols() - 1;
  const auto r = static_cast<Index>(engine.sources.size());
  RowMatrix out = RowMatrix::Zero(n, r + 1);
  for (Index j = 0; j < p; ++j) {
    const auto& to = engine.source_of_feature[static_cast<std::size_t>(j)];
    if (to.empty()) continue;
    const double share = 1.0 / static_cast<double>(to.size());
    for (const Index k : to) out.col(k) += share * contrib.col(j);
  }
  out.col(r) = contrib.col(p);
  return out;
}

}  // namespace churn::model::detail

namespace churn::model::detail {

namespace {

/// Column `c` cast to the contract's type `want` where that loses nothing (int64 -> float64,
/// text <-> categorical); nothing for any other pair (left for the contract to report).
std::optional<data::Column> cast_column(const data::Column& c, data::DType want) {
  using data::DType;
  const auto n = static_cast<std::size_t>(c.size());
  if (want == DType::Float64 && c.dtype() == DType::Int64) {
    std::vector<double> v(n);
    const auto x = c.as_int64();
    for (Index i = 0; i < c.size(); ++i)
      v[static_cast<std::size_t>(i)] =
          c.is_missing(i) ? std::numeric_limits<double>::quiet_NaN() : static_cast<double>(x[i]);
    return data::Column::from_float64(c.name(), std::move(v));
  }
  if (want == DType::Categorical && c.dtype() == DType::String)
    return data::Column::from_strings_categorical(c.name(), c.strings(), c.validity());
  if (want == DType::String && c.dtype() == DType::Categorical) {
    std::vector<std::string> v(n);
    std::vector<std::uint8_t> valid(n, 1);
    for (Index i = 0; i < c.size(); ++i) {
      if (c.is_missing(i))
        valid[static_cast<std::size_t>(i)] = 0;
      else
        v[static_cast<std::size_t>(i)] = c.value_string(i);
    }
    return data::Column::from_strings(c.name(), std::move(v), std::move(valid));
  }
  return std::nullopt;
}

}  // namespace

const data::Table& conform(const data::Table& t, const data::Schema& contract,
                           data::Table& storage) {
  bool cast = false;
  for (const auto& spec : contract.columns()) {
    const data::Column* c = t.get(spec.name);
    if (c == nullptr) continue;
    std::optional<data::Column> to = cast_column(*c, spec.dtype);
    if (!to) continue;
    if (!cast) storage = t;  // the first cast: copy the table (its columns are shared)
    cast = true;
    storage.set_column(std::move(*to));
  }
  return cast ? storage : t;
}

}  // namespace churn::model::detail
