// JSON pieces shared by the tree models' saved state: binning, categorical checks, members.
#include "tree/model_json.hpp"

#include <algorithm>      // std::find_if, std::max
#include <cstdint>        // std::int64_t, std::uint32_t
#include <string_view>    // std::string_view
#include <unordered_set>  // std::unordered_set
#include <utility>        // std::move

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

std::string category_names_problem(const std::vector<std::vector<std::string>>& names,
                                   const std::vector<Tree>& trees,
                                   const std::vector<FeatureBinInfo>& bins,
                                   const std::vector<std::uint8_t>& is_cat) {
  if (names.empty()) return {};
  for (std::size_t f = 0; f < names.size() && f < is_cat.size(); ++f) {
    const std::vector<std::string>& labels = names[f];
    if (labels.empty() || is_cat[f] == 0) continue;
    std::unordered_set<std::string_view> seen;
    for (const std::string& label : labels)
      if (!seen.insert(label).second)
        return "category_names of feature " + std::to_string(f) + " repeat the label '" + label +
               "'";
    // the largest code the binning and the trees' left sets use
    std::int64_t top =
        f < bins.size() ? static_cast<std::int64_t>(bins[f].code_to_bin.size()) - 1 : -1;
    for (const Tree& t : trees)
      for (Index i = 0; i < t.n_internal(); ++i) {
        const auto k = static_cast<std::size_t>(i);
        if (t.cat_begin[k] < 0 || static_cast<std::size_t>(t.split_feature[k]) != f) continue;
        for (std::int32_t w = t.cat_end[k] - 1; w >= t.cat_begin[k]; --w) {
          const std::uint32_t word = t.cat_bitset[static_cast<std::size_t>(w)];
          if (word == 0) continue;
          int bit = 31;
          while (((word >> bit) & 1U) == 0) --bit;
          top = std::max<std::int64_t>(top, 32 * std::int64_t{w - t.cat_begin[k]} + bit);
          break;
        }
      }
    if (top >= static_cast<std::int64_t>(labels.size()))
      return "category_names of feature " + std::to_string(f) + " holds " +
             std::to_string(labels.size()) + " labels, but the model uses code " +
             std::to_string(top);
  }
  return {};
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
