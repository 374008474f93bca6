// churn::tree::RandomForestParams: validation, and the parameters to and from JSON (one
// visit_params list of every field; codecs for scikit-learn's mixed-type values).
#include <cmath>        // std::isfinite, std::floor
#include <string_view>  // std::string_view

#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "churn/tree/forest.hpp"
#include "common/enum_names.hpp"
#include "common/params.hpp"

namespace churn::tree {

namespace {

/// The checks of max_features, max_samples and the class weights.
void validate_draws(const RandomForestParams& p, const char* who) {
  if (p.max_features == MaxFeatures::Fraction)
    CHURN_CHECK(
        p.max_features_value > 0 && p.max_features_value <= 1, InvalidArgument,
        who << ": max_features as a fraction must be in (0, 1], got " << p.max_features_value);
  if (p.max_features == MaxFeatures::Count)
    CHURN_CHECK(
        p.max_features_value >= 1 && p.max_features_value == std::floor(p.max_features_value) &&
            p.max_features_value < 2147483648.0,
        InvalidArgument,
        who << ": max_features as a count must be an integer >= 1, got " << p.max_features_value);
  if (p.max_samples == MaxSamples::Fraction)
    CHURN_CHECK(
        p.max_samples_value > 0 && p.max_samples_value <= 1, InvalidArgument,
        who << ": max_samples as a fraction must be in (0, 1], got " << p.max_samples_value);
  if (p.max_samples == MaxSamples::Count)
    CHURN_CHECK(
        p.max_samples_value >= 1 && p.max_samples_value == std::floor(p.max_samples_value) &&
            p.max_samples_value < 2147483648.0,
        InvalidArgument,
        who << ": max_samples as a count must be an integer >= 1, got " << p.max_samples_value);
  CHURN_CHECK(p.class_weight_0 >= 0 && std::isfinite(p.class_weight_0) && p.class_weight_1 >= 0 &&
                  std::isfinite(p.class_weight_1),
              InvalidArgument,
              who << ": class weights must be finite and >= 0, got " << p.class_weight_0 << " and "
                  << p.class_weight_1);
}

}  // namespace

void RandomForestParams::validate() const {
  const char* who = "RandomForestParams";
  CHURN_CHECK(n_estimators >= 1, InvalidArgument,
              who << ": n_estimators must be >= 1, got " << n_estimators);
  CHURN_CHECK(criterion == "gini", InvalidArgument,
              who << ": criterion '" << criterion
                  << "' is not supported; only 'gini' is (the histogram engine's gain is the "
                     "Gini decrease)");
  CHURN_CHECK(max_depth >= 0, InvalidArgument,
              who << ": max_depth must be None or >= 1, got " << max_depth);
  CHURN_CHECK(min_samples_split >= 2, InvalidArgument,
              who << ": min_samples_split must be >= 2, got " << min_samples_split);
  CHURN_CHECK(min_samples_leaf >= 1, InvalidArgument,
              who << ": min_samples_leaf must be >= 1, got " << min_samples_leaf);
  CHURN_CHECK(max_leaf_nodes == 0 || max_leaf_nodes >= 2, InvalidArgument,
              who << ": max_leaf_nodes must be None or >= 2, got " << max_leaf_nodes);
  CHURN_CHECK(
      min_impurity_decrease >= 0 && std::isfinite(min_impurity_decrease), InvalidArgument,
      who << ": min_impurity_decrease must be finite and >= 0, got " << min_impurity_decrease);
  validate_draws(*this, who);
  CHURN_CHECK(max_bins >= 2 && max_bins <= 65535, InvalidArgument,
              who << ": max_bins must be in [2, 65535], got " << max_bins);
  CHURN_CHECK(bin_sample_rows >= 1, InvalidArgument,
              who << ": bin_sample_rows must be >= 1, got " << bin_sample_rows);
  for (std::size_t i = 0; i < categorical_features.size(); ++i) {
    CHURN_CHECK(categorical_features[i] >= 0, InvalidArgument,
                who << ": categorical_features must hold column indices >= 0, got "
                    << categorical_features[i]);
    for (std::size_t j = 0; j < i; ++j)
      CHURN_CHECK(
          categorical_features[i] != categorical_features[j], InvalidArgument,
          who << ": categorical_features lists column " << categorical_features[i] << " twice");
  }
  check_n_threads(n_threads, who);
}

namespace {

using common::ParamSource;

constexpr common::EnumName<ForestClassWeight> kClassWeightNames[] = {
    {ForestClassWeight::Balanced, "balanced"},
    {ForestClassWeight::BalancedSubsample, "balanced_subsample"}};

/// An int that may be None (JSON null), stored as 0: max_depth (>= 1) and max_leaf_nodes
/// (>= 2); an explicit number below `min` is refused rather than read as None.
struct OptionalIntCodec {
  static constexpr bool optional = false;
  int min = 1;
  Json write(int v, ParamSource /*target*/) const { return v == 0 ? Json(nullptr) : Json(v); }
  void read(const Json& v, int& out, ParamSource /*source*/) const {
    if (v.is_null()) {
      out = 0;
      return;
    }
    int x = 0;
    CHURN_CHECK(v.is_number_integer() && common::json_int_value(v, x), TypeMismatch,
                "must be None or an int, got " << v.dump());
    CHURN_CHECK(x >= min, InvalidArgument, "must be None or >= " << min << ", got " << x);
    out = x;
  }
};

/// max_features: "sqrt", "log2", null (all), a float fraction or an int count.
struct MaxFeaturesCodec {
  static constexpr bool optional = false;
  Json write(const RandomForestParams& p, ParamSource /*target*/) const {
    switch (p.max_features) {
      case MaxFeatures::Sqrt: return "sqrt";
      case MaxFeatures::Log2: return "log2";
      case MaxFeatures::All: return nullptr;
      case MaxFeatures::Fraction: return p.max_features_value;
      case MaxFeatures::Count: return static_cast<std::int64_t>(p.max_features_value);
    }
    return nullptr;
  }
  void read(const Json& v, RandomForestParams& p, ParamSource /*source*/) const {
    const char* forms = "must be \"sqrt\", \"log2\", None, a fraction in (0, 1] or a count";
    p.max_features_value = 0;
    if (v.is_null()) {
      p.max_features = MaxFeatures::All;
    } else if (v.is_string()) {
      const auto s = v.get<std::string>();
      CHURN_CHECK(s == "sqrt" || s == "log2", InvalidArgument, forms << ", got " << v.dump());
      p.max_features = s == "sqrt" ? MaxFeatures::Sqrt : MaxFeatures::Log2;
    } else if (v.is_number_integer()) {
      p.max_features = MaxFeatures::Count;
      p.max_features_value = v.get<double>();
    } else {
      CHURN_CHECK(v.is_number_float(), TypeMismatch, forms << ", got " << v.dump());
      p.max_features = MaxFeatures::Fraction;
      p.max_features_value = v.get<double>();
    }
  }
};

/// max_samples: null (all rows), a float fraction or an int count.
struct MaxSamplesCodec {
  static constexpr bool optional = false;
  Json write(const RandomForestParams& p, ParamSource /*target*/) const {
    switch (p.max_samples) {
      case MaxSamples::All: return nullptr;
      case MaxSamples::Fraction: return p.max_samples_value;
      case MaxSamples::Count: return static_cast<std::int64_t>(p.max_samples_value);
    }
    return nullptr;
  }
  void read(const Json& v, RandomForestParams& p, ParamSource /*source*/) const {
    p.max_samples_value = 0;
    if (v.is_null()) {
      p.max_samples = MaxSamples::All;
    } else if (v.is_number_integer()) {
      p.max_samples = MaxSamples::Count;
      p.max_samples_value = v.get<double>();
    } else {
      CHURN_CHECK(v.is_number_float(), TypeMismatch,
                  "must be None, a fraction in (0, 1] or a count, got " << v.dump());
      p.max_samples = MaxSamples::Fraction;
      p.max_samples_value = v.get<double>();
    }
  }
};

/// class_weight: null, "balanced", "balanced_subsample" or {"0": w0, "1": w1}.
struct ClassWeightCodec {
  static constexpr bool optional = false;
  Json write(const RandomForestParams& p, ParamSource /*target*/) const {
    if (p.class_weight == ForestClassWeight::None) return nullptr;
    if (p.class_weight == ForestClassWeight::Custom)
      return Json{{"0", p.class_weight_0}, {"1", p.class_weight_1}};
    return common::enum_name(kClassWeightNames, p.class_weight);
  }
  void read(const Json& v, RandomForestParams& p, ParamSource /*source*/) const {
    const char* forms =
        "must be null, \"balanced\", \"balanced_subsample\" or an object {\"0\": w0, \"1\": w1}";
    if (v.is_null()) {
      p.class_weight = ForestClassWeight::None;
      return;
    }
    if (v.is_string()) {
      const auto* mode = common::enum_find(kClassWeightNames, v.get<std::string>());
      CHURN_CHECK(mode, InvalidArgument, forms << ", got " << v.dump());
      p.class_weight = *mode;
      return;
    }
    CHURN_CHECK(v.is_object(), TypeMismatch, forms << ", got " << v.dump());
    for (auto it = v.begin(); it != v.end(); ++it) {
      CHURN_CHECK(it.key() == "0" || it.key() == "1", InvalidArgument,
                  "keys must be the classes 0 and 1, got '" << it.key() << "'");
      CHURN_CHECK(it->is_number(), TypeMismatch,
                  "weights must be numbers, got " << it->dump() << " for class " << it.key());
    }
    p.class_weight = ForestClassWeight::Custom;
    p.class_weight_0 = v.contains("0") ? v["0"].get<double>() : 1.0;
    p.class_weight_1 = v.contains("1") ? v["1"].get<double>() : 1.0;
  }
};

/// Every field of RandomForestParams, once: to_json, from_json and from_options use it.
template <class P, class F>
void visit_params(P& p, F&& f) {
  f("n_estimators", p.n_estimators);
  f("criterion", p.criterion);
  f("max_depth", p.max_depth, OptionalIntCodec{1});
  f("min_samples_split", p.min_samples_split);
  f("min_samples_leaf", p.min_samples_leaf);
  f("max_features", p, MaxFeaturesCodec{});
  f("max_leaf_nodes", p.max_leaf_nodes, OptionalIntCodec{2});
  f("min_impurity_decrease", p.min_impurity_decrease);
  f("bootstrap", p.bootstrap);
  f("oob_score", p.oob_score);
  f("max_samples", p, MaxSamplesCodec{});
  f("class_weight", p, ClassWeightCodec{});
  f("max_bins", p.max_bins);
  f("bin_sample_rows", p.bin_sample_rows);
  f("categorical_features", p.categorical_features);
  f("n_threads", p.n_threads);
  f("seed", p.seed);
}

/// visit_params as a functor, for common::read_params / write_params.
constexpr auto kVisit = [](auto& p, auto& f) { visit_params(p, f); };

}  // namespace

Json RandomForestParams::to_json() const {
  return common::write_params(*this, ParamSource::File, kVisit);
}

RandomForestParams RandomForestParams::from_json(const Json& j) {
  return common::read_params<RandomForestParams>(j, ParamSource::File,
                                                 "RandomForestParams::from_json()", kVisit);
}

RandomForestParams RandomForestParams::from_options(const Json& options, std::string_view caller) {
  return common::read_params<RandomForestParams>(options, ParamSource::Options, caller, kVisit);
}

}  // namespace churn::tree
