#pragma once
/// @file churn.hpp
/// Umbrella header: include this to get all of churnlib's public API.
///
/// Each folder of include/churn/ is a namespace (churn::data, churn::features, churn::linear,
/// churn::metrics, churn::model, churn::monitor, churn::retention, churn::segment, churn::tree;
/// core/ is churn itself). This header also re-exports the main types into churn, so
/// `churn::GBDTClassifier` names `churn::tree::GBDTClassifier`.

#include "churn/version.hpp"

#include "churn/core/datetime.hpp"
#include "churn/core/error.hpp"
#include "churn/core/fileio.hpp"
#include "churn/core/json.hpp"
#include "churn/core/parallel.hpp"
#include "churn/core/random.hpp"
#include "churn/core/stop.hpp"
#include "churn/core/types.hpp"

#include "churn/data/csv.hpp"
#include "churn/data/schema.hpp"
#include "churn/data/summary.hpp"
#include "churn/data/synthetic.hpp"
#include "churn/data/table.hpp"

#include "churn/features/aggregate.hpp"
#include "churn/features/pipeline.hpp"
#include "churn/features/transformers.hpp"

#include "churn/linear/logistic.hpp"

#include "churn/metrics/calibration.hpp"
#include "churn/metrics/classification.hpp"
#include "churn/metrics/cross_validate.hpp"
#include "churn/metrics/curves.hpp"
#include "churn/metrics/split.hpp"
#include "churn/metrics/threshold.hpp"

#include "churn/model/churn_model.hpp"
#include "churn/model/registry.hpp"
#include "churn/model/train.hpp"

#include "churn/monitor/alert.hpp"
#include "churn/monitor/baseline.hpp"
#include "churn/monitor/psi.hpp"
#include "churn/monitor/report.hpp"

#include "churn/retention/alerts.hpp"
#include "churn/retention/buckets.hpp"
#include "churn/retention/kpi.hpp"
#include "churn/retention/rules.hpp"
#include "churn/retention/value.hpp"

#include "churn/segment/choose_k.hpp"
#include "churn/segment/kmeans.hpp"
#include "churn/segment/profile.hpp"
#include "churn/segment/silhouette.hpp"

#include "churn/tree/forest.hpp"
#include "churn/tree/gbdt.hpp"
#include "churn/tree/tree.hpp"

namespace churn {
// The main types, re-exported (the folder namespaces stay the canonical names).
using data::read_csv;
using data::Schema;
using data::Table;
using data::write_csv;
using features::EventAggregator;
using linear::LogisticRegression;
using model::ChurnModel;
using model::ModelRegistry;
using model::train_churn_model;
using monitor::Baseline;
using segment::KMeans;
using tree::GBDTClassifier;
using tree::RandomForestClassifier;
}  // namespace churn
