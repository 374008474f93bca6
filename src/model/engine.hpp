#pragma once
// The fitted parts of a ChurnModel behind its public face (private to src/model/): the parts
// as assembled, the model object of the kind its document names, and what scoring derives
// from them once (the model's feature names, the linear model's training means).
#include <string>   // std::string
#include <variant>  // std::variant
#include <vector>   // std::vector

#include "churn/core/types.hpp"
#include "churn/data/table.hpp"
#include "churn/linear/logistic.hpp"
#include "churn/model/churn_model.hpp"
#include "churn/tree/forest.hpp"
#include "churn/tree/gbdt.hpp"

namespace churn::model::detail {

/// A fitted model of one of the kinds a bundle may hold.
using AnyModel =
    std::variant<linear::LogisticRegression, tree::RandomForestClassifier, tree::GBDTClassifier>;

/// The model object of a churnlib model document ("kind" LogisticRegression,
/// RandomForestClassifier or GBDTClassifier). @throws SerializationError otherwise.
AnyModel model_from_json(const Json& doc, const char* caller);

/// The kind of a model object.
ModelKind kind_of(const AnyModel& model);

/// The model's feature names (the columns it reads by name).
const std::vector<std::string>& feature_names_of(const AnyModel& model);

/// The uncalibrated score of the model's columns of `features` (GBDT: raw log-odds; logistic:
/// decision function; forest: probability).
Vector raw_score_of(const AnyModel& model, const data::Table& features);

/// P(churn) from raw_score_of (the logistic for GBDT and logistic regression, identity for
/// the forest).
Vector probability_from_raw(const AnyModel& model, const VectorRef& raw);

/// Per-row contributions on the model's columns, n x (p + 1), the last column the bias:
/// TreeSHAP for the trees, coef * (x - mean) for the logistic regression.
RowMatrix contributions_of(const AnyModel& model, const data::Table& features,
                           const std::vector<double>& feature_means);

/// Everything a fitted ChurnModel holds.
struct Engine {
  ChurnModelParts parts;
  AnyModel model;
  ModelKind kind = ModelKind::GBDT;
  /// Raw columns the contributions are summed onto, and for each model column the indices of
  /// its sources among them.
  std::vector<std::string> sources;
  std::vector<std::vector<Index>> source_of_feature;
};

/// Sums contributions (n x (p + 1)) onto the raw sources: n x (r + 1), a feature with several
/// sources split equally among them, the bias column kept last.
RowMatrix sum_by_source(const Engine& engine, const RowMatrixRef& contrib);

/// Fills engine.sources and engine.source_of_feature from the pipeline.
void map_sources(Engine& engine);

}  // namespace churn::model::detail

namespace churn::model::detail {

/// `t` with the columns the contract names cast to the contract's type where the cast loses
/// nothing: int64 to float64, text to categorical (and categorical to text). Other columns and
/// other mismatches are left for the contract to report. Returns `t` itself when nothing is
/// cast (no copy: the one-row scoring path), else the cast copy, put in `storage`.
const data::Table& conform(const data::Table& t, const data::Schema& contract,
                           data::Table& storage);

}  // namespace churn::model::detail
