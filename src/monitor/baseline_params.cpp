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

BaselineParams read_params(const Json& j, common::ParamSource source, std::string_view who) {
  BaselineParams p;
  common::ParamReader reader(j, source, who);
  visit_params(p, reader);
  reader.finish(/*strict_file=*/true);
  if (source == common::ParamSource::Options) {
    p.validate();
    return p;
  }
  try {
    p.validate();
  } catch (const InvalidArgument& e) {
    CHURN_THROW(SerializationError, who << ": " << e.what());
  }
  return p;
}

}  // namespace

Json BaselineParams::to_json() const {
  Json j = Json::object();
  visit_params(*this, common::ParamWriter(j));
  return j;
}

BaselineParams BaselineParams::from_json(const Json& j) {
  return read_params(j, common::ParamSource::File, "load(DriftBaseline) params");
}

BaselineParams BaselineParams::from_options(const Json& options, std::string_view caller) {
  return read_params(options, common::ParamSource::Options, caller);
}

}  // namespace churn::monitor
