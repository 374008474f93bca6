// churn::tree::GBDTClassifier to and from the churnlib JSON envelope, its files, and its class
// labels (kept as JSON).
#include "churn/tree/gbdt.hpp"

#include <cmath>        // std::isfinite
#include <memory>       // std::make_shared
#include <string_view>  // std::string_view
#include <utility>      // std::move

#include "churn/core/error.hpp"
#include "common/json.hpp"
#include "tree/model_json.hpp"
#include "tree/packed_trees.hpp"

namespace churn::tree {

using common::json_from_doubles;
using common::json_get;
using common::json_get_doubles;
using common::json_get_int;
using common::make_envelope;
using common::open_envelope;

namespace {

constexpr const char* kKind = "GBDTClassifier";

}  // namespace

Json GBDTClassifier::to_json() const {
  check_fitted("GBDTClassifier::to_json()");
  Json state = Json::object();
  state["n_features"] = n_features_;
  state["feature_names"] = feature_names_;
  state["init_score"] = init_score_;
  state["bin_info"] = detail::bin_info_to_json(bin_info_);
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
  detail::check_state_members(
      state,
      {"n_features", "feature_names", "init_score", "bin_info", "category_names", "best_iteration",
       "evals_result", "trees", "classes"},
      where);
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
  m.is_categorical_ = detail::categorical_flags(m.params_.categorical_features, p, where);
  CHURN_CHECK(m.params_.monotone_constraints.empty() ||
                  static_cast<Index>(m.params_.monotone_constraints.size()) == p,
              SerializationError, where << ": monotone_constraints has the wrong length");
  m.bin_info_ = detail::bin_info_from_json(state, m.is_categorical_, where);
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
    detail::check_categorical_splits(t, m.is_categorical_, where);
    m.trees_.push_back(std::move(t));
  }
  const std::string names_problem =
      detail::category_names_problem(m.category_names_, m.trees_, m.bin_info_, m.is_categorical_);
  CHURN_CHECK(names_problem.empty(), SerializationError, where << ": " << names_problem);
  CHURN_CHECK(
      m.best_iteration_ >= 0 && m.best_iteration_ <= static_cast<int>(m.evals_result_.size()),
      SerializationError, where << ": best_iteration out of range");
  m.classes_json_ = class_labels_from_json(state, "classes", where).dump();
  m.packed_ = std::make_shared<const detail::PackedTrees>(m.trees_, p);
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
