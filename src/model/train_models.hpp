#pragma once
// The candidates of train_churn_model(): each one's default parameters and its fit (private to
// src/model/).
#include <string>  // std::string

#include <nlohmann/json.hpp>  // Json default arguments

#include "churn/core/json.hpp"
#include "churn/core/types.hpp"
#include "churn/data/table.hpp"
#include "churn/model/train.hpp"
#include "model/engine.hpp"

namespace churn::model::detail {

/// Fits candidate `name` ("logistic", "random_forest", "gbdt") with its default parameters
/// (seed and threads from `options`), changed by `overrides` (keyword options of the model's
/// parameters; only the GBDT's search uses them), on every column of `features`; writes the
/// parameters used to `*params` when given.
AnyModel fit_candidate(const std::string& name, const data::Table& features, const VectorRef& y,
                       const TrainOptions& options, const Json& overrides = Json::object(),
                       Json* params = nullptr);

/// Sets the class labels of a fitted model.
void set_classes(AnyModel& model, const Json& classes);

/// The model's churnlib JSON envelope.
Json model_to_json(const AnyModel& model);

}  // namespace churn::model::detail
