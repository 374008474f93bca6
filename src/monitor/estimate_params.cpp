// EstimatorParams: validation, and JSON / keyword options through one list of fields.
#include <cmath>        // std::isnan, std::isfinite
#include <string>       // std::string
#include <string_view>  // std::string_view

#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"  // check_n_threads
#include "churn/monitor/estimate.hpp"
#include "common/enum_names.hpp"
#include "common/params.hpp"

namespace churn::monitor {

namespace {

constexpr common::EnumName<Recalibration> kRecalibrationNames[] = {
    {Recalibration::Isotonic, "isotonic"}, {Recalibration::None, "none"}};

/// Every parameter, once: the one list to_json, from_json and from_options use.
template <class P, class F>
void visit_params(P& p, F&& f) {
  const common::DoubleCodec nan_ok;
  f("threshold", p.threshold);
  f("calibration", p.calibration, recalibration_name, recalibration_from_name);
  f("bins", p.bins);
  f("confidence", p.confidence);
  f("min_roc_auc", p.min_roc_auc, nan_ok);
  f("min_precision", p.min_precision, nan_ok);
  f("min_recall", p.min_recall, nan_ok);
  f("min_f1", p.min_f1, nan_ok);
  f("max_churn_rate", p.max_churn_rate, nan_ok);
  f("value_retained", p.value_retained);
  f("offer_cost", p.offer_cost);
  f("success_rate", p.success_rate);
  f("n_threads", p.n_threads);
}

constexpr auto kVisit = [](auto& p, auto& f) { visit_params(p, f); };
constexpr common::ReadRules kStrict{/*strict_file=*/true};

void check_unit_or_off(double v, const char* field) {
  CHURN_CHECK(std::isnan(v) || (v >= 0.0 && v <= 1.0), InvalidArgument,
              "EstimatorParams: " << field << " must be in [0, 1] or NaN (off), got " << v);
}

}  // namespace

const char* recalibration_name(Recalibration r) {
  return common::enum_name(kRecalibrationNames, r);
}

Recalibration recalibration_from_name(const std::string& name) {
  return common::enum_from_name(kRecalibrationNames, name, "EstimatorParams", "calibration");
}

void EstimatorParams::validate() const {
  CHURN_CHECK(threshold >= 0.0 && threshold <= 1.0, InvalidArgument,
              "EstimatorParams: threshold must be in [0, 1], got " << threshold);
  CHURN_CHECK(bins >= 10 && bins <= 100000, InvalidArgument,
              "EstimatorParams: bins must be in [10, 100000], got " << bins);
  CHURN_CHECK(confidence > 0.0 && confidence < 1.0, InvalidArgument,
              "EstimatorParams: confidence must be in (0, 1), got " << confidence);
  check_unit_or_off(min_roc_auc, "min_roc_auc");
  check_unit_or_off(min_precision, "min_precision");
  check_unit_or_off(min_recall, "min_recall");
  check_unit_or_off(min_f1, "min_f1");
  check_unit_or_off(max_churn_rate, "max_churn_rate");
  CHURN_CHECK(value_retained >= 0.0 && std::isfinite(value_retained), InvalidArgument,
              "EstimatorParams: value_retained must be finite and >= 0, got " << value_retained);
  CHURN_CHECK(offer_cost >= 0.0 && std::isfinite(offer_cost), InvalidArgument,
              "EstimatorParams: offer_cost must be finite and >= 0, got " << offer_cost);
  CHURN_CHECK(success_rate >= 0.0 && success_rate <= 1.0, InvalidArgument,
              "EstimatorParams: success_rate must be in [0, 1], got " << success_rate);
  check_n_threads(n_threads, "EstimatorParams");
}

Json EstimatorParams::to_json() const {
  return common::write_params(*this, common::ParamSource::File, kVisit);
}

EstimatorParams EstimatorParams::from_json(const Json& j) {
  return common::read_params<EstimatorParams>(j, common::ParamSource::File,
                                              "load(PerformanceReference) params", kVisit, kStrict);
}

EstimatorParams EstimatorParams::from_options(const Json& options, std::string_view caller) {
  return common::read_params<EstimatorParams>(options, common::ParamSource::Options, caller,
                                              kVisit);
}

}  // namespace churn::monitor
