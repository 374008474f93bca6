// JSON pieces shared by the tree models' saved state: binning, categorical checks, members.
#include "tree/model_json.hpp"

#include <algorithm>  // std::find_if
#include <utility>    // std::move

#include "churn/core/error.hpp"
#include "common/json.hpp"

namespace churn::tree::detail {

using common::json_from_doubles;
using common::json_get;
using common::json_get_doubles;
using common::json_get_int;
using common::json_int_value;

namespace {

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

}  // namespace

Json bin_info_to_json(const std::vector<FeatureBinInfo>& info) {
  Json bins = Json::array();
  for (const FeatureBinInfo& fi : info) {
    Json b = Json::object();
    b["categorical"] = fi.categorical;
    b["n_bins"] = fi.n_bins;
    b["has_missing"] = fi.has_missing;
    b["upper_edges"] = json_from_doubles(fi.upper_edges);
    b["code_to_bin"] = fi.code_to_bin;
    bins.push_back(std::move(b));
  }
  return bins;
}

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

void check_categorical_splits(const Tree& t, const std::vector<std::uint8_t>& is_cat,
                              const char* where) {
  for (Index i = 0; i < t.n_internal(); ++i) {
    const auto k = static_cast<std::size_t>(i);
    CHURN_CHECK(t.cat_begin[k] < 0 || is_cat[static_cast<std::size_t>(t.split_feature[k])] != 0,
                SerializationError,
                where << ": a categorical split on numerical feature " << t.split_feature[k]);
  }
}

std::vector<std::uint8_t> categorical_flags(const std::vector<int>& categorical_features, Index p,
                                            const char* where) {
  std::vector<std::uint8_t> is_cat(static_cast<std::size_t>(p), 0);
  for (const int f : categorical_features) {
    CHURN_CHECK(f < p, SerializationError,
                where << ": categorical feature " << f << " out of range");
    is_cat[static_cast<std::size_t>(f)] = 1;
  }
  return is_cat;
}

void check_state_members(const Json& state, std::initializer_list<const char*> members,
                         const char* where) {
  for (auto it = state.begin(); it != state.end(); ++it)
    CHURN_CHECK(
        std::find_if(members.begin(), members.end(),
                     [&](const char* k) { return it.key() == k; }) != members.end(),
        SerializationError,
        where << ": unknown state member '" << it.key() << "' (written by a newer churnlib?)");
}

}  // namespace churn::tree::detail
