// churn::tree::GBDTClassifier to and from the churnlib JSON envelope, its files, and its class
// labels (kept as JSON).
#include "churn/tree/gbdt.hpp"

#include <algorithm>    // std::find_if
#include <cmath>        // std::isfinite
#include <string_view>  // std::string_view
#include <utility>      // std::move

#include "churn/core/error.hpp"
#include "common/json.hpp"

namespace churn::tree {

using common::json_from_doubles;
using common::json_get;
using common::json_get_doubles;
using common::json_get_int;
using common::json_int_value;
using common::make_envelope;
using common::open_envelope;

namespace {

constexpr const char* kKind = "GBDTClassifier";

template <class T>
std::vector<T> ints_from_json(const Json& obj, const char* key, std::string_view where) {
  const auto a = json_get<Json>(obj, key, where);
  CHURN_CHECK(a.is_array(), SerializationError,
              where << ": field '" << key << "' must be an array");
  std::vector<T> v(a.size());
  for (std::size_t i = 0; i < a.size(); ++i)
    CHURN_CHECK(json_int_value(a[i], v[i]), SerializationError,
                where << ": field '" << key << "'[" << i << "] must be an integer in range");
  return v;
}

/// The state's bin_info: one entry per feature (`is_cat.size()`), each categorical exactly
/// when `is_cat` says so. @throws SerializationError naming what is wrong.
std::vector<FeatureBinInfo> bin_info_from_json(const Json& state,
                                               const std::vector<std::uint8_t>& is_cat,
                                               const char* where) {
  const auto p = static_cast<Index>(is_cat.size());
  const auto bins = json_get<Json>(state, "bin_info", where);
  CHURN_CHECK(bins.is_array() && static_cast<Index>(bins.size()) == p, SerializationError,
              where << ": bin_info must be an array of n_features entries");
  std::vector<FeatureBinInfo> out;
  for (Index f = 0; f < p; ++f) {
    const Json& b = bins[static_cast<std::size_t>(f)];
    FeatureBinInfo fi;
    fi.categorical = json_get<bool>(b, "categorical", where);
    fi.n_bins = json_get_int<std::int32_t>(b, "n_bins", where);
    fi.has_missing = json_get<bool>(b, "has_missing", where);
    fi.upper_edges = json_get_doubles(b, "upper_edges", where);
    fi.code_to_bin = ints_from_json<std::int32_t>(b, "code_to_bin", where);
    CHURN_CHECK(fi.categorical == (is_cat[static_cast<std::size_t>(f)] != 0), SerializationError,
                where << ": bin_info of feature " << f << " disagrees with categorical_features");
    out.push_back(std::move(fi));
  }
  return out;
}

/// A categorical split reads its value as an integer code: only categorical columns (whose
/// codes predict() checks) may carry one. @throws SerializationError otherwise.
void check_categorical_splits(const Tree& t, const std::vector<std::uint8_t>& is_cat,
                              const char* where) {
  for (Index i = 0; i < t.n_internal(); ++i) {
    const auto k = static_cast<std::size_t>(i);
    CHURN_CHECK(t.cat_begin[k] < 0 || is_cat[static_cast<std::size_t>(t.split_feature[k])] != 0,
                SerializationError,
                where << ": a categorical split on numerical feature " << t.split_feature[k]);
  }
}

}  // namespace

Json GBDTClassifier::to_json() const {
  check_fitted("GBDTClassifier::to_json()");
  Json state = Json::object();
  state["n_features"] = n_features_;
  state["feature_names"] = feature_names_;
  state["init_score"] = init_score_;
  Json bins = Json::array();
  for (const FeatureBinInfo& fi : bin_info_) {
    Json b = Json::object();
    b["categorical"] = fi.categorical;
    b["n_bins"] = fi.n_bins;
    b["has_missing"] = fi.has_missing;
    b["upper_edges"] = json_from_doubles(fi.upper_edges);
    b["code_to_bin"] = fi.code_to_bin;
    bins.push_back(std::move(b));
  }
  state["bin_info"] = std::move(bins);
  state["category_names"] = category_names_;
  state["best_iteration"] = best_iteration_;
  state["evals_result"] = json_from_doubles(evals_result_);
  state["classes"] = classes();
  Json trees = Json::array();
  for (const Tree& t : trees_) trees.push_back(t.to_json());
  state["trees"] = std::move(trees);
  // The parameters of the fit that made the trees (set_params() since then only affects the
  // next fit), so that bin_info and the categorical/monotone lists agree in the file.
  return make_envelope(kKind, fitted_params_.to_json(), std::move(state));
}

GBDTClassifier GBDTClassifier::from_json(const Json& doc) {
  const char* where = "GBDTClassifier::from_json()";
  const Json& env = open_envelope(doc, kKind);
  GBDTClassifier m(GBDTParams::from_json(env["params"]));
  const Json& state = env["state"];
  CHURN_CHECK(state.is_object(), SerializationError, where << ": 'state' must be an object");
  static const char* const kMembers[] = {"n_features",   "feature_names",  "init_score",
                                         "bin_info",     "category_names", "best_iteration",
                                         "evals_result", "trees",          "classes"};
  for (auto it = state.begin(); it != state.end(); ++it)
    CHURN_CHECK(
        std::find_if(std::begin(kMembers), std::end(kMembers),
                     [&](const char* k) { return it.key() == k; }) != std::end(kMembers),
        SerializationError,
        where << ": unknown state member '" << it.key() << "' (written by a newer churnlib?)");
  const auto p = json_get_int<Index>(state, "n_features", where);
  CHURN_CHECK(p >= 1 && p < (Index{1} << 24), SerializationError,
              where << ": n_features out of range");
  m.n_features_ = p;
  m.feature_names_ = json_get<std::vector<std::string>>(state, "feature_names", where);
  CHURN_CHECK(m.feature_names_.empty() || static_cast<Index>(m.feature_names_.size()) == p,
              SerializationError, where << ": feature_names has the wrong length");
  m.init_score_ = json_get<double>(state, "init_score", where);
  CHURN_CHECK(std::isfinite(m.init_score_), SerializationError,
              where << ": init_score must be finite");
  m.is_categorical_.assign(static_cast<std::size_t>(p), 0);
  for (const int f : m.params_.categorical_features) {
    CHURN_CHECK(f < p, SerializationError,
                where << ": categorical feature " << f << " out of range");
    m.is_categorical_[static_cast<std::size_t>(f)] = 1;
  }
  CHURN_CHECK(m.params_.monotone_constraints.empty() ||
                  static_cast<Index>(m.params_.monotone_constraints.size()) == p,
              SerializationError, where << ": monotone_constraints has the wrong length");
  m.bin_info_ = bin_info_from_json(state, m.is_categorical_, where);
  m.category_names_ =
      json_get<std::vector<std::vector<std::string>>>(state, "category_names", where);
  CHURN_CHECK(m.category_names_.empty() || static_cast<Index>(m.category_names_.size()) == p,
              SerializationError, where << ": category_names has the wrong length");
  m.best_iteration_ = json_get_int<int>(state, "best_iteration", where);
  m.evals_result_ = json_get_doubles(state, "evals_result", where);
  const auto trees = json_get<Json>(state, "trees", where);
  CHURN_CHECK(trees.is_array() && !trees.empty(), SerializationError,
              where << ": 'trees' must be a non-empty array");
  for (const Json& tj : trees) {
    Tree t = Tree::from_json(tj, p);
    check_categorical_splits(t, m.is_categorical_, where);
    m.trees_.push_back(std::move(t));
  }
  CHURN_CHECK(
      m.best_iteration_ >= 0 && m.best_iteration_ <= static_cast<int>(m.evals_result_.size()),
      SerializationError, where << ": best_iteration out of range");
  m.classes_json_ = class_labels_from_json(state, "classes", where).dump();
  m.fitted_params_ = m.params_;
  m.fitted_ = true;
  return m;
}

void GBDTClassifier::save(const std::string& path) const {
  save_json_file(to_json(), path);
}

GBDTClassifier GBDTClassifier::load(const std::string& path) {
  return from_json(load_json_file(path));
}

void GBDTClassifier::set_classes(Json labels) {
  check_class_labels(labels, "GBDTClassifier::set_classes()");
  classes_json_ = labels.dump();
}

Json GBDTClassifier::classes() const {
  return Json::parse(classes_json_);
}

}  // namespace churn::tree
