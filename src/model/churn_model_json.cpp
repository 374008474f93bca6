// churn::model::ChurnModel: the bundle file (one churnlib envelope holding every part).
#include <cmath>    // std::isfinite
#include <sstream>  // std::istringstream
#include <string>   // std::string
#include <utility>  // std::move

#include "churn/core/error.hpp"
#include "churn/model/churn_model.hpp"
#include "churn/version.hpp"
#include "common/json.hpp"
#include "model/engine.hpp"

namespace churn::model {

namespace {

constexpr const char* kKind = "ChurnModel";

/// "major.minor" of the bundle format this build writes.
std::string bundle_version() {
  return std::to_string(kBundleMajor) + "." + std::to_string(kBundleMinor);
}

/// Checks the state's bundle_version: "major.minor", a major this build reads.
void check_bundle_version(const Json& state, const char* where) {
  const auto v = common::json_get<std::string>(state, "bundle_version", where);
  std::istringstream in(v);
  int major = -1;
  int minor = -1;
  char dot = 0;
  in >> major >> dot >> minor;
  CHURN_CHECK(in && !in.rdbuf()->in_avail() && dot == '.' && major >= 0 && minor >= 0,
              SerializationError, where << ": bundle_version '" << v << "' is not 'major.minor'");
  CHURN_CHECK(major <= kBundleMajor, SerializationError,
              where << ": the bundle was written in format " << v << ", newer than this churnlib ("
                    << churn::version_string << ") reads (" << bundle_version()
                    << "); upgrade churnlib to load it");
}

/// Runs `load` on state[key], prefixing a SerializationError/InvalidArgument with the member.
template <class F>
auto load_part(const Json& state, const char* key, const char* where, F load) {
  const Json& part = state.at(key);
  try {
    return load(part);
  } catch (const SerializationError& e) {
    CHURN_THROW(SerializationError, where << ": " << key << ": " << e.what());
  } catch (const InvalidArgument& e) {
    CHURN_THROW(SerializationError, where << ": " << key << ": " << e.what());
  } catch (const TypeMismatch& e) {
    CHURN_THROW(SerializationError, where << ": " << key << ": " << e.what());
  }
}

}  // namespace

Json ChurnModel::to_json() const {
  const detail::Engine& e = engine("ChurnModel::to_json()");
  const ChurnModelParts& p = e.parts;
  Json state = Json::object();
  state["bundle_version"] = bundle_version();
  state["contract"] = p.contract.to_json();
  state["pipeline"] = p.pipeline.to_json();
  state["model"] = p.model;
  state["calibrator"] = p.calibrator ? p.calibrator->to_json() : Json(nullptr);
  state["threshold"] = common::json_from_double(p.threshold);
  state["threshold_info"] = p.threshold_info;
  state["baseline"] = p.baseline.is_fitted() ? p.baseline.to_json() : Json(nullptr);
  state["feature_means"] = common::json_from_doubles(p.feature_means);
  Json importance = Json::object();
  for (const auto& [name, value] : p.feature_importance)
    importance[name] = common::json_from_double(value);
  state["feature_importance"] = std::move(importance);
  state["performance_reference"] =
      p.performance_reference ? p.performance_reference->to_json() : Json(nullptr);
  state["reconstruction"] = p.reconstruction ? p.reconstruction->to_json() : Json(nullptr);
  state["id_column"] = p.id_column;
  state["report"] = p.report;
  state["metadata"] = p.metadata;
  state["tags"] = p.tags;
  Json params = Json::object();
  params["kind"] = model_kind_name(e.kind);
  return common::make_envelope(kKind, std::move(params), std::move(state));
}

ChurnModel ChurnModel::from_json(const Json& doc) {
  const Json& env = common::open_envelope(doc, kKind);
  const char* where = "load(ChurnModel) state";
  const Json& state = env.contains("state") ? env["state"] : Json();
  CHURN_CHECK(state.is_object(), SerializationError, where << ": missing or not an object");
  check_bundle_version(state, where);
  common::json_check_members(
      state,
      {"bundle_version", "contract", "pipeline", "model", "calibrator", "threshold",
       "threshold_info", "baseline", "feature_means", "feature_importance", "performance_reference",
       "reconstruction", "id_column", "report", "metadata", "tags"},
      where);
  for (const char* key :
       {"contract", "pipeline", "model", "calibrator", "threshold", "threshold_info", "baseline",
        "feature_means", "id_column", "report", "metadata", "tags"})
    CHURN_CHECK(state.contains(key), SerializationError,
                where << ": missing member '" << key << "'");
  ChurnModelParts p;
  p.contract =
      load_part(state, "contract", where, [](const Json& j) { return data::Schema::from_json(j); });
  p.pipeline = load_part(state, "pipeline", where,
                         [](const Json& j) { return features::Pipeline::from_json(j); });
  p.model = state["model"];
  if (!state["calibrator"].is_null())
    p.calibrator = load_part(state, "calibrator", where,
                             [](const Json& j) { return metrics::Calibrator::from_json(j); });
  p.threshold = common::json_to_double(state["threshold"], "load(ChurnModel) threshold");
  p.threshold_info = state["threshold_info"];
  if (!state["baseline"].is_null())
    p.baseline = load_part(state, "baseline", where,
                           [](const Json& j) { return monitor::Baseline::from_json(j); });
  p.feature_means = common::json_get_doubles(state, "feature_means", where);
  if (state.contains("feature_importance")) {  // bundles of format 1.1 and later
    const Json& importance = state["feature_importance"];
    CHURN_CHECK(importance.is_object(), SerializationError,
                where << ": feature_importance must be an object");
    for (const auto& [name, value] : importance.items()) {
      const double v = common::json_to_double(value, "load(ChurnModel) feature_importance");
      CHURN_CHECK(std::isfinite(v) && v >= 0.0, SerializationError,
                  where << ": feature_importance of '" << name << "' must be finite and >= 0");
      p.feature_importance[name] = v;
    }
  }
  // bundles of format 1.1 and later
  if (state.contains("performance_reference") && !state["performance_reference"].is_null())
    p.performance_reference = load_part(state, "performance_reference", where, [](const Json& j) {
      return monitor::PerformanceEstimator::from_json(j);
    });
  if (state.contains("reconstruction") && !state["reconstruction"].is_null())
    p.reconstruction = load_part(state, "reconstruction", where,
                                 [](const Json& j) { return monitor::PcaDrift::from_json(j); });
  p.id_column = common::json_get<std::string>(state, "id_column", where);
  p.report = state["report"];
  p.metadata = state["metadata"];
  p.tags = state["tags"];
  return load_part(state, "model", where, [&p](const Json&) { return assemble(std::move(p)); });
}

void ChurnModel::save(const std::string& path) const {
  save_json_file(to_json(), path);
}

ChurnModel ChurnModel::load(const std::string& path) {
  return from_json(load_json_file(path));
}

}  // namespace churn::model
