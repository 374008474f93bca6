// churn::retention::RiskBuckets: parameters, fit (quantile edges), assignment, summary, JSON.
#include "churn/retention/buckets.hpp"

#include <algorithm>  // std::upper_bound, std::sort, std::unique
#include <cmath>      // std::isfinite, std::isnan
#include <limits>     // std::numeric_limits
#include <utility>    // std::move

#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "common/checks.hpp"
#include "common/json.hpp"
#include "common/params.hpp"
#include "common/quantile.hpp"

namespace churn::retention {

using common::json_check_members;
using common::json_get;

namespace {

constexpr const char* kKind = "RiskBuckets";
/// Rows per block of the parallel passes (fixes the order of the partial counts).
constexpr Index kBlock = Index{1} << 15;
/// Up to this many edges a score's bucket is a branch-free count of the edges <= it.
constexpr std::size_t kLinearEdges = 16;

/// Every parameter, once: the one list to_json, from_json, to_options and from_options use.
template <class P, class F>
void visit_params(P& p, F&& f) {
  f("cut_points", p.cut_points);
  f("quantiles", p.quantiles);
  f("labels", p.labels);
  f("n_threads", p.n_threads);
}

constexpr auto kVisit = [](auto& p, auto& f) { visit_params(p, f); };
constexpr common::ReadRules kStrict{/*strict_file=*/true};

/// Bucket of `s`: the number of edges <= s (NaN: 0; callers test NaN apart).
inline std::int32_t bucket_of(double s, const double* e, std::size_t m) {
  if (m <= kLinearEdges) {
    std::int32_t c = 0;
    for (std::size_t j = 0; j < m; ++j) c += static_cast<std::int32_t>(s >= e[j]);
    return c;
  }
  return static_cast<std::int32_t>(std::upper_bound(e, e + m, s) - e);
}

/// Writes the bucket of each score into `out` (n values) in parallel blocks; returns the
/// first row holding NaN, or -1.
Index assign_into(const VectorRef& scores, const std::vector<double>& edges, std::int32_t* out,
                  int n_threads) {
  const double* e = edges.data();
  const std::size_t m = edges.size();
  return parallel_reduce(
      Index{0}, scores.size(), kBlock, Index{-1},
      [&](Index lo, Index hi) {
        bool nan = false;
        for (Index i = lo; i < hi; ++i) {
          const double s = scores[i];
          nan |= std::isnan(s);
          out[i] = bucket_of(s, e, m);
        }
        if (!nan) return Index{-1};
        for (Index i = lo; i < hi; ++i)
          if (std::isnan(scores[i])) return i;
        return Index{-1};
      },
      [](Index a, Index b) { return a >= 0 ? a : b; }, n_threads);
}

/// `numpy.quantile(x, levels)` (linear) of `x` (no NaN, n >= 1): the ranks the levels read
/// are selected in a copy (no full sort), then interpolated as numpy.
std::vector<double> reference_quantiles(const VectorRef& x, const std::vector<double>& levels) {
  const auto n = static_cast<std::size_t>(x.size());
  std::vector<double> v(x.data(), x.data() + n);
  std::vector<std::size_t> ranks;
  for (double q : levels) {
    std::size_t lo = 0, hi = 0;
    common::linear_quantile_ranks(q, n, lo, hi);
    ranks.push_back(lo);
    ranks.push_back(hi);
  }
  std::sort(ranks.begin(), ranks.end());
  ranks.erase(std::unique(ranks.begin(), ranks.end()), ranks.end());
  common::multi_select(v.data(), v.data() + n, ranks.data(), ranks.data() + ranks.size());
  std::vector<double> out;
  for (double q : levels) {
    std::size_t lo = 0, hi = 0;
    common::linear_quantile_ranks(q, n, lo, hi);
    out.push_back(common::linear_quantile_lerp(q, n, v[lo], v[hi]));
  }
  return out;
}

}  // namespace

// ---- parameters -------------------------------------------------------------------------------

int BucketParams::n_buckets() const {
  return static_cast<int>(quantile_mode() ? quantiles.size() : cut_points.size()) + 1;
}

std::vector<std::string> BucketParams::resolved_labels() const {
  if (!labels.empty()) return labels;
  const int k = n_buckets();
  switch (k) {
    case 1: return {"all"};
    case 2: return {"low", "high"};
    case 3: return {"low", "medium", "high"};
    case 4: return {"low", "medium", "high", "critical"};
    default: break;
  }
  std::vector<std::string> out;
  for (int i = 1; i <= k; ++i) out.push_back("bucket_" + std::to_string(i));
  return out;
}

void BucketParams::validate() const {
  const char* who = "BucketParams";
  CHURN_CHECK(cut_points.empty() != quantiles.empty(), InvalidArgument,
              who << ": set exactly one of cut_points (fixed edges) and quantiles (edges from a "
                     "reference), got "
                  << cut_points.size() << " cut points and " << quantiles.size() << " quantiles");
  for (std::size_t i = 0; i < cut_points.size(); ++i) {
    CHURN_CHECK(std::isfinite(cut_points[i]), InvalidArgument,
                who << ": cut_points must be finite, got " << cut_points[i] << " at " << i);
    CHURN_CHECK(i == 0 || cut_points[i] > cut_points[i - 1], InvalidArgument,
                who << ": cut_points must be strictly increasing, got " << cut_points[i - 1]
                    << " then " << cut_points[i] << " at " << i);
  }
  for (std::size_t i = 0; i < quantiles.size(); ++i) {
    CHURN_CHECK(quantiles[i] > 0.0 && quantiles[i] < 1.0, InvalidArgument,
                who << ": quantiles must be in (0, 1), got " << quantiles[i] << " at " << i);
    CHURN_CHECK(i == 0 || quantiles[i] > quantiles[i - 1], InvalidArgument,
                who << ": quantiles must be strictly increasing, got " << quantiles[i - 1]
                    << " then " << quantiles[i] << " at " << i);
  }
  CHURN_CHECK(labels.empty() || static_cast<int>(labels.size()) == n_buckets(), InvalidArgument,
              who << ": labels must hold one label per bucket (" << n_buckets() << "), got "
                  << labels.size());
  for (const auto& l : labels)
    CHURN_CHECK(!l.empty(), InvalidArgument, who << ": labels must not hold an empty label");
  common::check_distinct(labels, who, "labels");
  check_n_threads(n_threads, who);
}

Json BucketParams::to_json() const {
  return common::write_params(*this, common::ParamSource::File, kVisit);
}

Json BucketParams::to_options() const {
  return common::write_params(*this, common::ParamSource::Options, kVisit);
}

BucketParams BucketParams::from_json(const Json& j) {
  return common::read_params<BucketParams>(j, common::ParamSource::File, "load(RiskBuckets) params",
                                           kVisit, kStrict);
}

BucketParams BucketParams::from_options(const Json& options, const std::string& caller) {
  return common::read_params<BucketParams>(options, common::ParamSource::Options, caller, kVisit);
}

Int64Vector count_codes(const IntVectorRef& codes, int n_buckets, int n_threads) {
  CHURN_CHECK(n_buckets >= 0, InvalidArgument,
              "count_codes(): n_buckets must be >= 0, got " << n_buckets);
  return parallel_reduce(
      Index{0}, codes.size(), kBlock, Int64Vector(Int64Vector::Zero(n_buckets)),
      [&](Index lo, Index hi) {
        Int64Vector c = Int64Vector::Zero(n_buckets);
        for (Index i = lo; i < hi; ++i) {
          const std::int32_t b = codes[i];
          if (b >= 0 && b < n_buckets) ++c[b];
        }
        return c;
      },
      [](Int64Vector a, const Int64Vector& b) {
        a += b;
        return a;
      },
      n_threads);
}

// ---- buckets ----------------------------------------------------------------------------------

RiskBuckets::RiskBuckets(BucketParams params) : params_(std::move(params)) {
  params_.validate();
  labels_ = params_.resolved_labels();
  if (!params_.quantile_mode()) {
    edges_ = params_.cut_points;
    fitted_ = true;
  }
}

void RiskBuckets::check_fitted(const char* caller) const {
  CHURN_CHECK(fitted_, NotFittedError,
              caller << ": these RiskBuckets take their edges from quantiles of a reference; "
                        "call fit() first");
}

RiskBuckets& RiskBuckets::fit(const VectorRef& reference_scores) {
  const char* who = "RiskBuckets::fit()";
  const Index n = reference_scores.size();
  CHURN_CHECK(n >= 1, InvalidArgument, who << ": reference_scores must not be empty");
  common::check_each(
      reference_scores, who, "reference_scores", "not be NaN",
      [](double v) { return !std::isnan(v); }, params_.n_threads);
  std::vector<double> edges = params_.quantile_mode()
                                  ? reference_quantiles(reference_scores, params_.quantiles)
                                  : params_.cut_points;
  // numpy's quantile is NaN next to an infinite score whose weight is 0 ([inf, inf], say)
  for (std::size_t i = 0; params_.quantile_mode() && i < edges.size(); ++i)
    CHURN_CHECK(
        !std::isnan(edges[i]), InvalidArgument,
        who << ": the quantile at " << params_.quantiles[i]
            << " of reference_scores is NaN (infinite scores next to it, as numpy.quantile)");
  IntVector codes(n);
  assign_into(reference_scores, edges, codes.data(), params_.n_threads);
  reference_counts_ = count_codes(codes, n_buckets(), params_.n_threads);
  edges_ = std::move(edges);
  fitted_ = true;
  return *this;
}

IntVector RiskBuckets::assign(const VectorRef& scores) const {
  const char* who = "RiskBuckets::assign()";
  check_fitted(who);
  IntVector codes(scores.size());
  const Index bad = assign_into(scores, edges_, codes.data(), params_.n_threads);
  CHURN_CHECK(bad < 0, InvalidArgument,
              who << ": scores must not hold NaN, got NaN at row " << bad);
  return codes;
}

data::Table RiskBuckets::summary(const VectorRef& scores) const {
  const IntVector codes = assign(scores);
  const Int64Vector counts = count_codes(codes, n_buckets(), params_.n_threads);
  const auto k = static_cast<std::size_t>(n_buckets());
  constexpr double kInf = std::numeric_limits<double>::infinity();
  std::vector<std::int32_t> bucket(k);
  std::vector<double> lower(k), upper(k), share(k);
  std::vector<std::int64_t> count(k);
  const double n = static_cast<double>(scores.size());
  for (std::size_t b = 0; b < k; ++b) {
    bucket[b] = static_cast<std::int32_t>(b);
    lower[b] = b == 0 ? -kInf : edges_[b - 1];
    upper[b] = b + 1 == k ? kInf : edges_[b];
    count[b] = counts[static_cast<Index>(b)];
    share[b] = n > 0 ? static_cast<double>(count[b]) / n : std::numeric_limits<double>::quiet_NaN();
  }
  return data::Table({data::Column::from_codes("bucket", std::move(bucket), labels_),
                      data::Column::from_float64("lower", std::move(lower)),
                      data::Column::from_float64("upper", std::move(upper)),
                      data::Column::from_int64("count", std::move(count)),
                      data::Column::from_float64("share", std::move(share))});
}

const std::vector<double>& RiskBuckets::edges() const {
  check_fitted("RiskBuckets::edges()");
  return edges_;
}

// ---- JSON -------------------------------------------------------------------------------------

Json RiskBuckets::to_json() const {
  check_fitted("RiskBuckets::to_json()");
  Json state = Json::object();
  state["edges"] = common::json_from_doubles(edges_);
  state["labels"] = labels_;
  state["reference_counts"] = std::vector<std::int64_t>(
      reference_counts_.data(), reference_counts_.data() + reference_counts_.size());
  return common::make_envelope(kKind, params_.to_json(), std::move(state));
}

RiskBuckets RiskBuckets::from_json(const Json& doc) {
  const Json& env = common::open_envelope(doc, kKind);
  const std::string where = "load(RiskBuckets) state";
  RiskBuckets rb(BucketParams::from_json(json_get<Json>(env, "params", "load(RiskBuckets)")));
  const Json state = json_get<Json>(env, "state", "load(RiskBuckets)");
  json_check_members(state, {"edges", "labels", "reference_counts"}, where);
  std::vector<double> edges = common::json_get_doubles(state, "edges", where);
  const auto m = static_cast<std::size_t>(rb.n_buckets() - 1);
  CHURN_CHECK(edges.size() == m, SerializationError,
              where << ": edges has " << edges.size() << " values, expected " << m);
  for (std::size_t i = 0; i < m; ++i)
    CHURN_CHECK(!std::isnan(edges[i]) && (i == 0 || edges[i] >= edges[i - 1]), SerializationError,
                where << ": edges must be non-decreasing numbers, got " << edges[i] << " at " << i);
  CHURN_CHECK(rb.params_.quantile_mode() || edges == rb.params_.cut_points, SerializationError,
              where << ": edges differ from the cut_points of the params");
  const auto labels = json_get<std::vector<std::string>>(state, "labels", where);
  CHURN_CHECK(labels == rb.labels_, SerializationError,
              where << ": labels differ from those of the params");
  const auto counts = json_get<std::vector<std::int64_t>>(state, "reference_counts", where);
  CHURN_CHECK(
      counts.empty() || counts.size() == m + 1, SerializationError,
      where << ": reference_counts has " << counts.size() << " values, expected 0 or " << m + 1);
  rb.edges_ = std::move(edges);
  rb.reference_counts_ =
      Eigen::Map<const Int64Vector>(counts.data(), static_cast<Index>(counts.size()));
  rb.fitted_ = true;
  return rb;
}

void RiskBuckets::save(const std::string& path) const {
  save_json_file(to_json(), path);
}

RiskBuckets RiskBuckets::load(const std::string& path) {
  return from_json(load_json_file(path));
}

}  // namespace churn::retention
