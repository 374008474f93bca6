// churn::tree::RandomForestClassifier to and from the churnlib JSON envelope, its files and
// its class labels (kept as JSON).
#include <memory>   // std::make_shared
#include <utility>  // std::move

#include "churn/core/error.hpp"
#include "churn/tree/forest.hpp"
#include "common/json.hpp"
#include "tree/model_json.hpp"
#include "tree/packed_trees.hpp"

namespace churn::tree {

using common::json_from_double;
using common::json_from_doubles;
using common::json_get;
using common::json_get_doubles;
using common::json_get_int;
using common::make_envelope;
using common::open_envelope;

namespace {

constexpr const char* kKind = "RandomForestClassifier";

}  // namespace

Json RandomForestClassifier::to_json() const {
  check_fitted("RandomForestClassifier::to_json()");
  Json state = Json::object();
  state["n_features"] = n_features_;
  state["feature_names"] = feature_names_;
  state["bin_info"] = detail::bin_info_to_json(bin_info_);
  state["category_names"] = category_names_;
  state["classes"] = classes();
  state["oob_score"] = has_oob_ ? json_from_double(oob_score_) : Json(nullptr);
  state["oob_decision_function"] = json_from_doubles(
      std::vector<double>(oob_decision_.data(), oob_decision_.data() + oob_decision_.size()));
  Json trees = Json::array();
  for (const Tree& t : trees_) trees.push_back(t.to_json());
  state["trees"] = std::move(trees);
  return make_envelope(kKind, fitted_params_.to_json(), std::move(state));
}

RandomForestClassifier RandomForestClassifier::from_json(const Json& doc) {
  const char* where = "RandomForestClassifier::from_json()";
  const Json& env = open_envelope(doc, kKind);
  RandomForestClassifier m(RandomForestParams::from_json(env["params"]));
  const Json& state = env["state"];
  CHURN_CHECK(state.is_object(), SerializationError, where << ": 'state' must be an object");
  detail::check_state_members(state,
                              {"n_features", "feature_names", "bin_info", "category_names",
                               "classes", "oob_score", "oob_decision_function", "trees"},
                              where);
  const auto p = json_get_int<Index>(state, "n_features", where);
  CHURN_CHECK(p >= 1 && p < (Index{1} << 24), SerializationError,
              where << ": n_features out of range");
  m.n_features_ = p;
  m.feature_names_ = json_get<std::vector<std::string>>(state, "feature_names", where);
  CHURN_CHECK(m.feature_names_.empty() || static_cast<Index>(m.feature_names_.size()) == p,
              SerializationError, where << ": feature_names has the wrong length");
  m.is_categorical_ = detail::categorical_flags(m.params_.categorical_features, p, where);
  m.bin_info_ = detail::bin_info_from_json(state, m.is_categorical_, where);
  m.category_names_ =
      json_get<std::vector<std::vector<std::string>>>(state, "category_names", where);
  CHURN_CHECK(m.category_names_.empty() || static_cast<Index>(m.category_names_.size()) == p,
              SerializationError, where << ": category_names has the wrong length");
  const Json oob = json_get<Json>(state, "oob_score", where);
  m.has_oob_ = !oob.is_null();
  CHURN_CHECK(m.has_oob_ == m.params_.oob_score, SerializationError,
              where << ": oob_score disagrees with the parameters");
  m.oob_score_ = m.has_oob_ ? common::json_to_double(oob, where) : 0.0;
  const std::vector<double> dec = json_get_doubles(state, "oob_decision_function", where);
  m.oob_decision_ = Eigen::Map<const Vector>(dec.data(), static_cast<Index>(dec.size()));
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
  m.classes_json_ = class_labels_from_json(state, "classes", where).dump();
  m.fitted_params_ = m.params_;
  m.packed_ = std::make_shared<const detail::PackedTrees>(m.trees_, p);
  m.fitted_ = true;
  return m;
}

void RandomForestClassifier::save(const std::string& path) const {
  save_json_file(to_json(), path);
}

RandomForestClassifier RandomForestClassifier::load(const std::string& path) {
  return from_json(load_json_file(path));
}

void RandomForestClassifier::set_classes(Json labels) {
  check_class_labels(labels, "RandomForestClassifier::set_classes()");
  classes_json_ = labels.dump();
}

Json RandomForestClassifier::classes() const {
  return Json::parse(classes_json_);
}

}  // namespace churn::tree
