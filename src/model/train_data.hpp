#pragma once
// What train_churn_model() derives from the customer table before any model is fitted: the
// encoded target, the feature columns by kind, the hold-out and the folds, and each
// candidate's default pipeline (private to src/model/).
#include <optional>  // std::optional
#include <string>    // std::string
#include <vector>    // std::vector

#include "churn/core/json.hpp"
#include "churn/core/types.hpp"
#include "churn/data/schema.hpp"
#include "churn/data/table.hpp"
#include "churn/features/pipeline.hpp"
#include "churn/metrics/split.hpp"
#include "churn/model/train.hpp"

namespace churn::model::detail {

/// The target as 0/1 and the two labels it stood for.
struct Target {
  Vector y;
  Json classes;  ///< [negative, positive]
};

/// Encodes options.target of `customers`. @throws InvalidArgument for an unknown column, a
/// missing value (naming the row), more or fewer than two labels, or an unknown pos_label.
Target encode_target(const data::Table& customers, const TrainOptions& options);

/// The columns of a training table, by role.
struct Columns {
  std::vector<std::string> numeric;      ///< float64 and int64 features
  std::vector<std::string> categorical;  ///< categorical and text features
  std::string id;                        ///< copied to score()'s output (may be empty)
  std::vector<std::string> features() const;
};

/// Sorts the customers' columns into roles (the target, the time column and timestamps are
/// no features; the id column is options.id_column or the first text column with a distinct
/// value per row). @throws InvalidArgument for an unknown id or time column, or no features.
Columns classify_columns(const data::Table& customers, const TrainOptions& options);

/// The raw-input contract: every feature and the id column, with their types; missing
/// values allowed (the models handle them); extra columns allowed.
data::Schema make_contract(const data::Table& customers, const Columns& columns);

/// Training rows, hold-out rows, and folds over the training rows (indices into `train`).
struct Split {
  std::vector<Index> train;
  std::vector<Index> holdout;
  std::vector<metrics::Fold> folds;
};

/// The hold-out and the folds (see TrainOptions::split). @throws InvalidArgument when a class
/// has too few rows or the time column is unusable.
Split make_split(const data::Table& customers, const VectorRef& y, const TrainOptions& options);

/// The event join of the default pipelines: the default aggregation spec with the event log's
/// types fixed (so every fold makes the same columns) and its `amount` column when numeric.
struct EventSetup {
  features::EventAggregationSpec spec;
  /// The join: event features prefixed "ev_" (customer tables often have a column such as
  /// days_since_last_login of their own).
  features::EventJoinParams join;
  std::vector<std::string> feature_names;  ///< the event features the join adds
};

/// The event setup for `events`, probing the join once on `customers` (ids only).
EventSetup setup_events(const data::Table& customers, const data::Table& events,
                        std::optional<std::int64_t> as_of, const std::string& id_column);

/// The default pipeline of a candidate (see train.hpp) over `columns` (plus the event
/// features when `events` is given); `train` is the training rows' raw table, used to see
/// which numeric columns have gaps.
features::Pipeline default_pipeline(const std::string& candidate, const Columns& columns,
                                    const data::Table& train, const EventSetup* events);

/// A short hexadecimal fingerprint of a table's names, types and values.
std::string table_fingerprint(const data::Table& t);

}  // namespace churn::model::detail
