// churn::model::TrainOptions: validation and the keyword options (one visit_params list).
#include <algorithm>    // std::find, std::count
#include <cmath>        // std::isfinite
#include <string>       // std::string
#include <string_view>  // std::string_view

#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "churn/model/train.hpp"
#include "common/params.hpp"

namespace churn::model {

namespace {

/// Throws unless `value` is one of `allowed` (naming the field).
void check_one_of(const std::string& value, std::initializer_list<const char*> allowed,
                  const char* field) {
  std::string list;
  for (const char* a : allowed) {
    if (value == a) return;
    list += (list.empty() ? "" : ", ") + std::string("'") + a + "'";
  }
  CHURN_THROW(InvalidArgument, "train_churn_model(): " << field << " must be one of " << list
                                                       << ", got '" << value << "'");
}

/// Every field of TrainOptions, once.
template <class P, class F>
void visit_params(P& p, F&& f) {
  f("target", p.target);
  f("pos_label", p.pos_label);
  f("id_column", p.id_column);
  f("candidates", p.candidates);
  f("split", p.split);
  f("time_column", p.time_column);
  f("test_size", p.test_size);
  f("cv", p.cv);
  f("metric", p.metric);
  f("threshold", p.threshold);
  f("value_retained", p.value_retained);
  f("offer_cost", p.offer_cost);
  f("success_rate", p.success_rate);
  f("calibration", p.calibration);
  f("time_budget", p.time_budget);
  f("seed", p.seed);
  f("n_threads", p.n_threads);
}

constexpr auto kVisit = [](auto& p, auto& f) { visit_params(p, f); };

}  // namespace

void TrainOptions::validate() const {
  const char* who = "train_churn_model()";
  CHURN_CHECK(!target.empty(), InvalidArgument, who << ": target must name a column");
  CHURN_CHECK(!candidates.empty(), InvalidArgument, who << ": candidates must not be empty");
  for (const auto& c : candidates) {
    check_one_of(c, {"logistic", "random_forest", "gbdt"}, "each candidate");
    CHURN_CHECK(std::count(candidates.begin(), candidates.end(), c) == 1, InvalidArgument,
                who << ": candidate '" << c << "' is listed twice");
  }
  check_one_of(split, {"stratified", "time"}, "split");
  CHURN_CHECK(split != "time" || !time_column.empty(), InvalidArgument,
              who << ": split 'time' needs time_column");
  CHURN_CHECK(test_size > 0 && test_size <= 0.5, InvalidArgument,
              who << ": test_size must be in (0, 0.5], got " << test_size);
  CHURN_CHECK(cv >= 2 && cv <= 20, InvalidArgument, who << ": cv must be in [2, 20], got " << cv);
  check_one_of(metric, {"roc_auc", "average_precision", "log_loss", "profit"}, "metric");
  check_one_of(threshold, {"f1", "profit"}, "threshold");
  CHURN_CHECK(value_retained > 0 && std::isfinite(value_retained), InvalidArgument,
              who << ": value_retained must be finite and > 0, got " << value_retained);
  CHURN_CHECK(offer_cost >= 0 && std::isfinite(offer_cost), InvalidArgument,
              who << ": offer_cost must be finite and >= 0, got " << offer_cost);
  CHURN_CHECK(success_rate > 0 && success_rate <= 1, InvalidArgument,
              who << ": success_rate must be in (0, 1], got " << success_rate);
  check_one_of(calibration, {"auto", "isotonic", "sigmoid", "none"}, "calibration");
  CHURN_CHECK(time_budget >= 0 && std::isfinite(time_budget), InvalidArgument,
              who << ": time_budget must be finite and >= 0 seconds, got " << time_budget);
  check_n_threads(n_threads, who);
}

Json TrainOptions::to_options() const {
  return common::write_params(*this, common::ParamSource::Options, kVisit);
}

TrainOptions TrainOptions::from_options(const Json& options, std::string_view caller) {
  return common::read_params<TrainOptions>(options, common::ParamSource::Options, caller, kVisit);
}

}  // namespace churn::model
