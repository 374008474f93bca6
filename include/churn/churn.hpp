#pragma once
/// @file churn.hpp
/// Umbrella header: include this to get all of churnlib's public API.

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

#include "churn/monitor/baseline.hpp"
#include "churn/monitor/psi.hpp"
#include "churn/monitor/report.hpp"

#include "churn/segment/choose_k.hpp"
#include "churn/segment/kmeans.hpp"
#include "churn/segment/profile.hpp"
#include "churn/segment/silhouette.hpp"

#include "churn/tree/gbdt.hpp"
#include "churn/tree/tree.hpp"
