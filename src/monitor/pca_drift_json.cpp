// PcaDrift and PcaDriftResult as JSON: the envelope of kind "PcaDrift", save and load.
#include <string>   // std::string
#include <utility>  // std::move
#include <vector>   // std::vector

#include <nlohmann/json.hpp>

#include "churn/core/error.hpp"
#include "churn/monitor/multivariate.hpp"
#include "common/json.hpp"

namespace churn::monitor {

namespace {

using common::json_from_double;
using common::json_from_doubles;
using common::json_get;
using common::json_get_doubles;
using common::json_get_int;
using common::json_to_double;

constexpr const char* kKind = "PcaDrift";

std::vector<double> to_std(const Vector& v) {
  return {v.data(), v.data() + v.size()};
}

Vector to_eigen(const std::vector<double>& v) {
  return Eigen::Map<const Vector>(v.data(), static_cast<Index>(v.size()));
}

double get_double(const Json& j, const char* key, const std::string& where) {
  return json_to_double(json_get<Json>(j, key, where), where + " " + key);
}

}  // namespace

Json PcaDrift::to_json() const {
  check_fitted("PcaDrift::to_json()");
  Json comps = Json::array();
  for (Index c = 0; c < components_.rows(); ++c)
    comps.push_back(json_from_doubles(to_std(components_.row(c).transpose())));
  Json freqs = Json::array();
  for (const auto& f : frequencies_) freqs.push_back(json_from_doubles(f));
  Json state{{"feature_names", names_},
             {"categorical", categorical_},
             {"fill", json_from_doubles(fill_)},
             {"categories", categories_},
             {"frequencies", freqs},
             {"missing_frequency", json_from_doubles(missing_frequency_)},
             {"mean", json_from_doubles(to_std(mean_))},
             {"scale", json_from_doubles(to_std(scale_))},
             {"components", comps},
             {"explained_variance", json_from_doubles(to_std(explained_variance_))},
             {"reference_error", json_from_double(reference_error_)},
             {"reference_error_std", json_from_double(reference_error_std_)},
             {"n_holdout", n_holdout_}};
  return common::make_envelope(kKind, params_.to_json(), std::move(state));
}

PcaDrift PcaDrift::from_json(const Json& doc) {
  const Json& env = common::open_envelope(doc, kKind);
  const std::string w = "load(PcaDrift) state";
  PcaDrift d(PcaDriftParams::from_json(env["params"]));
  const Json& st = env["state"];
  common::json_check_members(
      st,
      {"feature_names", "categorical", "fill", "categories", "frequencies", "missing_frequency",
       "mean", "scale", "components", "explained_variance", "reference_error",
       "reference_error_std", "n_holdout"},
      w);
  d.names_ = json_get<std::vector<std::string>>(st, "feature_names", w);
  d.categorical_ = json_get<std::vector<std::uint8_t>>(st, "categorical", w);
  d.fill_ = json_get_doubles(st, "fill", w);
  d.categories_ = json_get<std::vector<std::vector<std::string>>>(st, "categories", w);
  d.missing_frequency_ = json_get_doubles(st, "missing_frequency", w);
  const auto p = d.names_.size();
  CHURN_CHECK(p > 0 && d.categorical_.size() == p && d.fill_.size() == p &&
                  d.categories_.size() == p && d.missing_frequency_.size() == p,
              SerializationError, w << ": the per-feature lists must have one entry per feature");
  const Json freqs = json_get<Json>(st, "frequencies", w);
  CHURN_CHECK(freqs.is_array() && freqs.size() == p, SerializationError,
              w << ": 'frequencies' must have one list per feature");
  for (std::size_t j = 0; j < p; ++j) {
    d.frequencies_.push_back(json_get_doubles(Json{{"f", freqs[j]}}, "f", w + " frequencies"));
    CHURN_CHECK(d.frequencies_.back().size() == d.categories_[j].size(), SerializationError,
                w << ": feature '" << d.names_[j] << "' has " << d.categories_[j].size()
                  << " categories but " << d.frequencies_.back().size() << " frequencies");
  }
  d.mean_ = to_eigen(json_get_doubles(st, "mean", w));
  d.scale_ = to_eigen(json_get_doubles(st, "scale", w));
  d.explained_variance_ = to_eigen(json_get_doubles(st, "explained_variance", w));
  const Json comps = json_get<Json>(st, "components", w);
  const auto k = static_cast<Index>(comps.is_array() ? comps.size() : 0);
  CHURN_CHECK(k >= 1 && k <= static_cast<Index>(p) && d.mean_.size() == static_cast<Index>(p) &&
                  d.scale_.size() == static_cast<Index>(p) && d.explained_variance_.size() == k,
              SerializationError,
              w << ": mean, scale, components or explained_variance have the "
                   "wrong size");
  d.components_.resize(k, static_cast<Index>(p));
  for (Index c = 0; c < k; ++c) {
    const auto row =
        json_get_doubles(Json{{"c", comps[static_cast<std::size_t>(c)]}}, "c", w + " components");
    CHURN_CHECK(row.size() == p, SerializationError,
                w << ": component " << c << " has " << row.size() << " entries, expected " << p);
    d.components_.row(c) = to_eigen(row).transpose();
  }
  d.reference_error_ = get_double(st, "reference_error", w);
  d.reference_error_std_ = get_double(st, "reference_error_std", w);
  d.n_holdout_ = json_get_int<Index>(st, "n_holdout", w);
  CHURN_CHECK(d.n_holdout_ >= 1, SerializationError, w << ": n_holdout must be >= 1");
  d.fitted_ = true;
  return d;
}

void PcaDrift::save(const std::string& path) const {
  save_json_file(to_json(), path);
}

PcaDrift PcaDrift::load(const std::string& path) {
  return from_json(load_json_file(path));
}

Json PcaDriftResult::to_json() const {
  return Json{{"reconstruction_error", json_from_double(reconstruction_error)},
              {"threshold", json_from_double(threshold)},
              {"reference_error", json_from_double(reference_error)},
              {"reference_error_std", json_from_double(reference_error_std)},
              {"p_value", json_from_double(p_value)},
              {"alpha", json_from_double(alpha)},
              {"drifted", drifted},
              {"n_components", n_components},
              {"n_rows", n_rows}};
}

PcaDriftResult PcaDriftResult::from_json(const Json& j) {
  const std::string w = "PcaDriftResult.from_json()";
  common::json_check_members(
      j,
      {"reconstruction_error", "threshold", "reference_error", "reference_error_std", "p_value",
       "alpha", "drifted", "n_components", "n_rows"},
      w);
  PcaDriftResult r;
  r.reconstruction_error = get_double(j, "reconstruction_error", w);
  r.threshold = get_double(j, "threshold", w);
  r.reference_error = get_double(j, "reference_error", w);
  r.reference_error_std = get_double(j, "reference_error_std", w);
  r.p_value = get_double(j, "p_value", w);
  r.alpha = get_double(j, "alpha", w);
  r.drifted = json_get<bool>(j, "drifted", w);
  r.n_components = json_get_int<int>(j, "n_components", w);
  r.n_rows = json_get_int<Index>(j, "n_rows", w);
  return r;
}

}  // namespace churn::monitor
