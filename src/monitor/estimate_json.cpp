// EstimatedPerformance to and from JSON (an envelope of kind "EstimatedPerformance").
#include <string>   // std::string
#include <utility>  // std::move

#include "churn/core/error.hpp"
#include "churn/monitor/estimate.hpp"
#include "common/json.hpp"

namespace churn::monitor {

using common::json_from_double;
using common::json_get;
using common::json_get_int;
using common::json_to_double;

namespace {

constexpr const char* kKind = "EstimatedPerformance";

/// The metrics of a chunk, as (JSON name, member) pairs: one list for writing and reading.
template <class C, class F>
void visit_bands(C& c, F&& f) {
  f("roc_auc", c.roc_auc);
  f("precision", c.precision);
  f("recall", c.recall);
  f("f1", c.f1);
  f("churn_rate", c.churn_rate);
  f("expected_churners", c.expected_churners);
  f("campaign_value", c.campaign_value);
}

Json band_json(const MetricBand& b) {
  return Json{{"estimated", json_from_double(b.estimated)},
              {"lower", json_from_double(b.lower)},
              {"upper", json_from_double(b.upper)},
              {"realised", json_from_double(b.realised)}};
}

MetricBand band_from_json(const Json& j, const std::string& where) {
  common::json_check_members(j, {"estimated", "lower", "upper", "realised"}, where);
  MetricBand b;
  b.estimated = json_to_double(json_get<Json>(j, "estimated", where), where + ".estimated");
  b.lower = json_to_double(json_get<Json>(j, "lower", where), where + ".lower");
  b.upper = json_to_double(json_get<Json>(j, "upper", where), where + ".upper");
  b.realised = json_to_double(json_get<Json>(j, "realised", where), where + ".realised");
  return b;
}

Json chunk_json(const ChunkEstimate& c) {
  Json j{{"chunk", c.chunk},
         {"n", c.n},
         {"n_targeted", c.n_targeted},
         {"has_realised", c.has_realised},
         {"outside_band", c.outside_band}};
  visit_bands(c, [&](const char* name, const MetricBand& b) { j[name] = band_json(b); });
  return j;
}

ChunkEstimate chunk_from_json(const Json& j, const std::string& where) {
  common::json_check_members(
      j,
      {"chunk", "n", "n_targeted", "has_realised", "outside_band", "roc_auc", "precision", "recall",
       "f1", "churn_rate", "expected_churners", "campaign_value"},
      where);
  ChunkEstimate c;
  c.chunk = json_get<std::string>(j, "chunk", where);
  c.n = json_get_int<Index>(j, "n", where);
  c.n_targeted = json_get_int<Index>(j, "n_targeted", where);
  CHURN_CHECK(
      c.n > 0 && c.n_targeted >= 0 && c.n_targeted <= c.n, SerializationError,
      where << ": n must be > 0 and n_targeted in [0, n], got " << c.n << " and " << c.n_targeted);
  c.has_realised = json_get<bool>(j, "has_realised", where);
  c.outside_band = json_get<bool>(j, "outside_band", where);
  visit_bands(c, [&](const char* name, MetricBand& b) {
    b = band_from_json(json_get<Json>(j, name, where), where + "." + name);
  });
  return c;
}

Json alert_json(const Alert& a) {
  return Json{{"subject", a.subject},
              {"metric", a.metric},
              {"value", json_from_double(a.value)},
              {"threshold", json_from_double(a.threshold)},
              {"severity", severity_name(a.severity)}};
}

}  // namespace

Json EstimatedPerformance::to_json() const {
  Json chunks = Json::array();
  for (const auto& c : chunks_) chunks.push_back(chunk_json(c));
  const ReliabilityCheck r = reliability();
  Json rel{{"n_chunks", r.n_chunks},
           {"n_outside", r.n_outside},
           {"expected_rate", json_from_double(r.expected_rate)},
           {"p_value", json_from_double(r.p_value)},
           {"mean_abs_gap", json_from_double(r.mean_abs_gap)},
           {"gap_tolerance", json_from_double(r.gap_tolerance)},
           {"reliable", r.reliable}};
  Json alert_list = Json::array();
  for (const auto& a : alerts()) alert_list.push_back(alert_json(a));
  Json state{{"chunks", chunks}, {"reliability", rel}, {"alerts", alert_list}};
  return common::make_envelope(kKind, params_.to_json(), std::move(state));
}

EstimatedPerformance EstimatedPerformance::from_json(const Json& doc) {
  const Json& env = common::open_envelope(doc, kKind);
  const std::string ws = "load(EstimatedPerformance) state";
  EstimatorParams p = EstimatorParams::from_json(env["params"]);
  const Json& st = env["state"];
  // reliability and alerts are derived: written for readers, recomputed here
  common::json_check_members(st, {"chunks", "reliability", "alerts"}, ws);
  const Json chunks = json_get<Json>(st, "chunks", ws);
  CHURN_CHECK(chunks.is_array(), SerializationError, ws << ": 'chunks' must be a list");
  std::vector<ChunkEstimate> out;
  for (std::size_t i = 0; i < chunks.size(); ++i)
    out.push_back(chunk_from_json(chunks[i], ws + ".chunks[" + std::to_string(i) + "]"));
  return EstimatedPerformance(p, std::move(out));
}

}  // namespace churn::monitor
