// BaselineParams to and from JSON: every field listed once, in visit_params.
#include "churn/monitor/baseline.hpp"

#include <string_view>  // std::string_view

#include "churn/core/error.hpp"
#include "churn/monitor/psi.hpp"  // binning_name, binning_from_name
#include "common/params.hpp"

namespace churn::monitor {

namespace {

/// Every parameter, once: the one list to_json, from_json and from_options use.
template <class P, class F>
void visit_params(P& p, F&& f) {
  f("bins", p.bins);
  f("binning", p.binning, binning_name, binning_from_name);
  f("epsilon", p.epsilon);
  f("moderate", p.moderate);
  f("significant", p.significant);
  f("score_alert", p.score_alert);
  f("ks_points", p.ks_points);
  f("n_threads", p.n_threads);
}

/// visit_params as a functor, for common::read_params / write_params.
constexpr auto kVisit = [](auto& p, auto& f) { visit_params(p, f); };
/// A saved file lists every parameter and nothing else.
constexpr common::ReadRules kStrict{/*strict_file=*/true};

}  // namespace

Json BaselineParams::to_json() const {
  return common::write_params(*this, common::ParamSource::File, kVisit);
}

BaselineParams BaselineParams::from_json(const Json& j) {
  return common::read_params<BaselineParams>(j, common::ParamSource::File,
                                             "load(DriftBaseline) params", kVisit, kStrict);
}

BaselineParams BaselineParams::from_options(const Json& options, std::string_view caller) {
  return common::read_params<BaselineParams>(options, common::ParamSource::Options, caller, kVisit);
}

}  // namespace churn::monitor
