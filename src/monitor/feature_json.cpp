// A feature's entry of a baseline file, and its checks on loading: a loaded baseline must
// compare exactly as the saved one, so every member is checked against the others (counts
// against n_rows, quantiles within the edges, mean and std against the stored sums).
#include <cmath>     // std::isnan, std::isfinite
#include <iterator>  // std::size
#include <limits>    // std::numeric_limits
#include <utility>   // std::move

#include "churn/core/error.hpp"
#include "common/json.hpp"
#include "monitor/columns.hpp"  // is_categorical
#include "monitor/feature_state.hpp"
#include "monitor/state_json.hpp"

namespace churn::monitor::detail {

using common::json_check_members;
using common::json_from_double;
using common::json_from_doubles;
using common::json_get;
using common::json_get_doubles;
using common::json_get_int;
using common::json_to_double;

using data::dtype_from_name;
using data::dtype_name;

Json feature_to_json(const FeatureState& s) {
  Json j{
      {"name", s.name},       {"dtype", dtype_name(s.dtype)}, {"kind", feature_kind_name(s.kind)},
      {"present", s.present}, {"n_rows", s.n_rows},           {"missing", s.missing}};
  if (s.kind == FeatureKind::Numeric) {
    j["edges"] = json_from_doubles(s.edges);
    j["quantiles"] = json_from_doubles(s.quantiles);
    j["ks_points"] = json_from_doubles(s.ks);
    j["counts"] = s.cells;
    j["min"] = json_from_double(s.min);
    j["max"] = json_from_double(s.max);
    j["sum"] = exact_sum_to_json(s.sum);
    j["shift"] = s.shift;
    j["sumsq"] = exact_sum_to_json(s.sumsq);
    double mean = 0, sd = 0;
    mean_std(s, mean, sd);
    j["mean"] = json_from_double(mean);
    j["std"] = json_from_double(sd);
  } else {
    j["categories"] = s.cats.categories();
    j["counts"] = s.cats.counts();
  }
  return j;
}

namespace {

bool same_double(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || a == b;
}

std::int64_t checked_add(std::int64_t a, std::int64_t b, const std::string& where) {
  std::int64_t r = 0;
  CHURN_CHECK(!__builtin_add_overflow(a, b, &r), SerializationError, where << ": counts overflow");
  return r;
}

/// The entry has exactly the members of its kind.
void check_members(const Json& j, FeatureKind kind, const std::string& where) {
  if (kind == FeatureKind::Numeric) {
    json_check_members(
        j,
        {"name", "dtype", "kind", "present", "n_rows", "missing", "edges", "quantiles", "ks_points",
         "counts", "min", "max", "sum", "shift", "sumsq", "mean", "std"},
        where);
  } else {
    json_check_members(
        j, {"name", "dtype", "kind", "present", "n_rows", "missing", "categories", "counts"},
        where);
  }
}

/// The members both kinds have: name, dtype (agreeing with the kind), present, n_rows, missing.
void shared_from_json(const Json& j, FeatureState& s, const std::string& where) {
  s.name = json_get<std::string>(j, "name", where);
  try {
    s.dtype = dtype_from_name(json_get<std::string>(j, "dtype", where));
  } catch (const InvalidArgument& e) {
    CHURN_THROW(SerializationError, where << ": " << e.what());
  }
  CHURN_CHECK(is_categorical(s.dtype) == (s.kind == FeatureKind::Categorical), SerializationError,
              where << ": dtype and kind disagree");
  s.present = json_get<bool>(j, "present", where);
  s.n_rows = json_get_int<std::int64_t>(j, "n_rows", where);
  s.missing = json_get_int<std::int64_t>(j, "missing", where);
  CHURN_CHECK(s.n_rows >= 0 && s.missing >= 0 && s.missing <= s.n_rows, SerializationError,
              where << ": n_rows and missing must satisfy 0 <= missing <= n_rows");
  CHURN_CHECK(s.present || s.n_rows == 0, SerializationError,
              where << ": a missing column has no rows");
}

/// The bins fixed by fit: edges (finite, increasing, at most bins + 1), and, with edges, the
/// ks_points + 1 KS points and the summary quantiles (non-decreasing, within the edges).
void bins_from_json(const Json& j, const BaselineParams& p, FeatureState& s,
                    const std::string& where) {
  s.edges = json_get_doubles(j, "edges", where);
  s.quantiles = json_get_doubles(j, "quantiles", where);
  s.ks = json_get_doubles(j, "ks_points", where);
  CHURN_CHECK(s.edges.size() <= static_cast<std::size_t>(p.bins) + 1, SerializationError,
              where << ": more edges than bins + 1");
  for (std::size_t i = 0; i < s.edges.size(); ++i)
    CHURN_CHECK(std::isfinite(s.edges[i]) && (i == 0 || s.edges[i] > s.edges[i - 1]),
                SerializationError, where << ": edges must be finite and strictly increasing");
  if (s.edges.empty()) {
    CHURN_CHECK(s.ks.empty() && s.quantiles.empty(), SerializationError,
                where << ": quantiles without edges");
    return;
  }
  CHURN_CHECK(s.ks.size() == static_cast<std::size_t>(p.ks_points) + 1, SerializationError,
              where << ": expected ks_points + 1 KS points");
  CHURN_CHECK(s.quantiles.size() == std::size(kSummaryLevels), SerializationError,
              where << ": expected " << std::size(kSummaryLevels) << " quantiles");
  for (const auto* q : {&s.ks, &s.quantiles})
    for (std::size_t i = 0; i < q->size(); ++i)
      CHURN_CHECK((*q)[i] >= s.edges.front() && (*q)[i] <= s.edges.back() &&
                      (i == 0 || (*q)[i] >= (*q)[i - 1]),
                  SerializationError,
                  where << ": quantiles and KS points must be non-decreasing, within the "
                           "edges");
}

/// The accumulated members of a numeric feature (its bins prepared): counts, min, max, the
/// exact sums and their shift, checked against the stored mean and std. @return `total` plus
/// the counts.
std::int64_t numeric_counts_from_json(const Json& j, FeatureState& s, std::int64_t total,
                                      const std::string& where) {
  const auto counts = json_to_counts(j, "counts", where);
  CHURN_CHECK(counts.size() == s.cells.size(), SerializationError,
              where << ": expected " << s.cells.size() << " counts, got " << counts.size());
  s.cells = counts;
  for (auto c : counts) total = checked_add(total, c, where);
  s.min = json_to_double(json_get<Json>(j, "min", where), where + ".min");
  s.max = json_to_double(json_get<Json>(j, "max", where), where + ".max");
  const bool has_values = s.n_rows > s.missing;
  CHURN_CHECK(has_values ? (s.min <= s.max)
                         : (s.min == std::numeric_limits<double>::infinity() &&
                            s.max == -std::numeric_limits<double>::infinity()),
              SerializationError, where << ": min and max are inconsistent");
  s.sum = exact_sum_from_json(json_get<Json>(j, "sum", where), where + ".sum");
  s.sumsq = exact_sum_from_json(json_get<Json>(j, "sumsq", where), where + ".sumsq");
  s.shift = json_get<double>(j, "shift", where);
  CHURN_CHECK(std::isfinite(s.shift), SerializationError, where << ": shift must be finite");
  double mean = 0, sd = 0;
  mean_std(s, mean, sd);
  CHURN_CHECK(same_double(mean, json_to_double(json_get<Json>(j, "mean", where), where)) &&
                  same_double(sd, json_to_double(json_get<Json>(j, "std", where), where)),
              SerializationError, where << ": mean and std disagree with the stored sums");
  return total;
}

/// The category counts of a categorical feature. @return `total` plus the counts.
std::int64_t category_counts_from_json(const Json& j, FeatureState& s, std::int64_t total,
                                       const std::string& where) {
  auto cats = json_get<std::vector<std::string>>(j, "categories", where);
  auto counts = json_to_counts(j, "counts", where);
  for (auto c : counts) total = checked_add(total, c, where);
  try {
    s.cats = CategoryCounts::from_parts(std::move(cats), std::move(counts), s.missing);
  } catch (const InvalidArgument& e) {
    CHURN_THROW(SerializationError, where << ": " << e.what());
  }
  return total;
}

}  // namespace

std::unique_ptr<FeatureState> feature_from_json(const Json& j, const BaselineParams& p,
                                                const std::string& where) {
  auto s = std::make_unique<FeatureState>();
  CHURN_CHECK(j.is_object(), SerializationError, where << ": expected a JSON object");
  s->kind = common::enum_from_json(kFeatureKindNames, j, "kind", where);
  check_members(j, s->kind, where);
  shared_from_json(j, *s, where);
  std::int64_t total = s->missing;
  if (s->kind == FeatureKind::Numeric) {
    bins_from_json(j, p, *s, where);
    s->prepare();
    total = numeric_counts_from_json(j, *s, total, where);
  } else {
    total = category_counts_from_json(j, *s, total, where);
  }
  CHURN_CHECK(total == s->n_rows, SerializationError,
              where << ": the counts sum to " << total << ", not n_rows = " << s->n_rows);
  return s;
}

}  // namespace churn::monitor::detail
