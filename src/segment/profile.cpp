// Segment profiles: sizes, churn, scores, revenue at risk and feature means per segment.
#include "churn/segment/profile.hpp"

#include <algorithm>  // std::max
#include <cmath>      // std::isnan, std::isfinite
#include <cstdio>     // std::snprintf
#include <limits>     // std::numeric_limits
#include <sstream>    // std::ostringstream

#include "churn/core/error.hpp"
#include "common/checks.hpp"
#include "common/json.hpp"

namespace churn::segment {

using common::json_from_double;

using data::Table;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Running sums of one profile.
struct Acc {
  Index size = 0;
  double churn_sum = 0, churn_n = 0, score_sum = 0, score_n = 0, revenue = 0, at_risk = 0;
  Vector feat_sum, feat_n;
};

Json profile_json(const SegmentProfile& p, const SegmentProfiles& all) {
  Json j = Json::object();
  j["segment"] = p.segment;
  j["size"] = p.size;
  j["share"] = json_from_double(p.share);
  if (all.has_churn) j["churn_rate"] = json_from_double(p.churn_rate);
  if (all.has_score) j["mean_score"] = json_from_double(p.mean_score);
  if (all.has_revenue) j["revenue"] = json_from_double(p.revenue);
  if (!all.revenue_at_risk_basis.empty())
    j["revenue_at_risk"] = json_from_double(p.revenue_at_risk);
  Json f = Json::array();
  for (Index i = 0; i < p.feature_means.size(); ++i)
    f.push_back(json_from_double(p.feature_means[i]));
  j["feature_means"] = std::move(f);
  return j;
}

std::string fmt(double v, const char* spec = "%.4g") {
  if (std::isnan(v)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, spec, v);
  return buf;
}

std::string pad(const std::string& s, std::size_t w) {
  return s.size() >= w ? s + " " : std::string(w - s.size(), ' ') + s + " ";
}

/// Checks the lengths and values of profile_segments' inputs; returns the number of segments
/// (n_segments, or the largest id + 1).
int check_inputs(const RowMatrixRef& X, const IntVector& segments,
                 const std::vector<std::string>& feature_names, const VectorRef& churned,
                 const VectorRef& score, const VectorRef& revenue, int n_segments,
                 const char* who) {
  const Index n = X.rows();
  const Index p = X.cols();
  auto check_len = [&](Index len, const char* what, bool optional) {
    CHURN_CHECK((optional && len == 0) || len == n, InvalidArgument,
                who << ": " << what << " has " << len << " values but X has " << n << " rows");
  };
  check_len(segments.size(), "segments", false);
  check_len(churned.size(), "churned", true);
  check_len(score.size(), "score", true);
  check_len(revenue.size(), "revenue", true);
  CHURN_CHECK(feature_names.empty() || static_cast<Index>(feature_names.size()) == p,
              InvalidArgument,
              who << ": feature_names has " << feature_names.size() << " names but X has " << p
                  << " columns");
  CHURN_CHECK(n_segments >= 0 && n_segments <= kMaxSegments, InvalidArgument,
              who << ": n_segments must be in [0, " << kMaxSegments << "] (0: from segments), got "
                  << n_segments);
  int k = 0;
  for (Index i = 0; i < n; ++i) {
    CHURN_CHECK(segments[i] >= 0 && segments[i] < kMaxSegments, InvalidArgument,
                who << ": segments must be in [0, " << kMaxSegments << "), got " << segments[i]
                    << " at row " << i);
    k = std::max(k, segments[i] + 1);
  }
  CHURN_CHECK(n_segments == 0 || n_segments >= k, InvalidArgument,
              who << ": n_segments=" << n_segments << " but segments holds id " << k - 1);
  if (n_segments > 0) k = n_segments;
  common::check_binary_labels(churned, who, "churned", true);
  common::check_finite_vector(score, who, "score", true);
  common::check_finite_vector(revenue, who, "revenue", true);
  return k;
}

/// The running sums of each segment and (last) of the population: sizes, and the non-missing
/// values of each feature, churn label, score and revenue (revenue at risk on `out`'s basis).
std::vector<Acc> accumulate(const RowMatrixRef& X, const IntVector& segments,
                            const VectorRef& churned, const VectorRef& score,
                            const VectorRef& revenue, int k, const SegmentProfiles& out) {
  const Index n = X.rows();
  const Index p = X.cols();
  std::vector<Acc> acc(static_cast<std::size_t>(k) + 1);  // last = population
  for (auto& a : acc) {
    a.feat_sum = Vector::Zero(p);
    a.feat_n = Vector::Zero(p);
  }
  for (Index i = 0; i < n; ++i) {
    for (Acc* a : {&acc[static_cast<std::size_t>(segments[i])], &acc.back()}) {
      ++a->size;
      for (Index j = 0; j < p; ++j) {
        const double v = X(i, j);
        if (!std::isnan(v)) {
          a->feat_sum[j] += v;
          a->feat_n[j] += 1;
        }
      }
      const double c = out.has_churn ? churned[i] : kNaN;
      if (!std::isnan(c)) {
        a->churn_sum += c;
        a->churn_n += 1;
      }
      const double s = out.has_score ? score[i] : kNaN;
      if (!std::isnan(s)) {
        a->score_sum += s;
        a->score_n += 1;
      }
      const double r = out.has_revenue ? revenue[i] : kNaN;
      if (!std::isnan(r)) {
        a->revenue += r;
        if (out.revenue_at_risk_basis == "score" && !std::isnan(s)) a->at_risk += r * s;
        if (out.revenue_at_risk_basis == "churned" && c == 1.0) a->at_risk += r;
      }
    }
  }
  return acc;
}

/// The profile of segment `id` (-1: the population) from its sums; n rows in all.
SegmentProfile profile_from_sums(const Acc& a, int id, Index n, const SegmentProfiles& out) {
  const Index p = a.feat_sum.size();
  SegmentProfile sp;
  sp.segment = id;
  sp.size = a.size;
  sp.share = n > 0 ? static_cast<double>(a.size) / static_cast<double>(n) : kNaN;
  sp.churn_rate = a.churn_n > 0 ? a.churn_sum / a.churn_n : kNaN;
  sp.mean_score = a.score_n > 0 ? a.score_sum / a.score_n : kNaN;
  sp.revenue = out.has_revenue ? a.revenue : kNaN;
  sp.revenue_at_risk = out.revenue_at_risk_basis.empty() ? kNaN : a.at_risk;
  sp.feature_means.resize(p);
  for (Index j = 0; j < p; ++j) {
    sp.feature_means[j] = a.feat_n[j] > 0 ? a.feat_sum[j] / a.feat_n[j] : kNaN;
  }
  return sp;
}

}  // namespace

SegmentProfiles profile_segments(const RowMatrixRef& X, const IntVector& segments,
                                 const std::vector<std::string>& feature_names,
                                 const VectorRef& churned, const VectorRef& score,
                                 const VectorRef& revenue, int n_segments) {
  const char* who = "profile_segments()";
  const int k = check_inputs(X, segments, feature_names, churned, score, revenue, n_segments, who);
  const Index n = X.rows();
  const Index p = X.cols();

  SegmentProfiles out;
  out.has_churn = churned.size() > 0;
  out.has_score = score.size() > 0;
  out.has_revenue = revenue.size() > 0;
  if (out.has_revenue)
    out.revenue_at_risk_basis = out.has_score ? "score" : (out.has_churn ? "churned" : "");
  for (Index j = 0; j < p; ++j) {
    out.feature_names.push_back(feature_names.empty() ? "x" + std::to_string(j)
                                                      : feature_names[static_cast<std::size_t>(j)]);
  }

  const std::vector<Acc> acc = accumulate(X, segments, churned, score, revenue, k, out);
  for (int c = 0; c < k; ++c)
    out.segments.push_back(profile_from_sums(acc[static_cast<std::size_t>(c)], c, n, out));
  out.population = profile_from_sums(acc.back(), -1, n, out);
  return out;
}

SegmentProfiles profile_segments(const Table& table, const IntVector& segments,
                                 const ProfileColumns& columns) {
  auto column = [&](const std::string& name) -> Vector {
    if (name.empty()) return Vector();
    const RowMatrix m = table.to_matrix({name});
    return m.col(0);
  };
  const RowMatrix X =
      columns.features.empty() ? RowMatrix(table.num_rows(), 0) : table.to_matrix(columns.features);
  return profile_segments(X, segments, columns.features, column(columns.churned),
                          column(columns.score), column(columns.revenue), columns.n_segments);
}

Json SegmentProfiles::to_json() const {
  Json segs = Json::array();
  for (const auto& s : segments) segs.push_back(profile_json(s, *this));
  return Json{{"feature_names", feature_names},
              {"revenue_at_risk_basis", revenue_at_risk_basis},
              {"population", profile_json(population, *this)},
              {"segments", std::move(segs)}};
}

std::string SegmentProfiles::to_string() const {
  std::ostringstream os;
  os << pad("segment", 10) << pad("size", 10) << pad("share", 8);
  if (has_churn) os << pad("churn_rate", 11);
  if (has_score) os << pad("mean_score", 11);
  if (has_revenue) os << pad("revenue", 12);
  if (!revenue_at_risk_basis.empty()) os << pad("rev_at_risk", 12);
  os << "\n";
  auto line = [&](const SegmentProfile& s, const std::string& name) {
    os << pad(name, 10) << pad(std::to_string(s.size), 10) << pad(fmt(s.share, "%.3f"), 8);
    if (has_churn) os << pad(fmt(s.churn_rate, "%.3f"), 11);
    if (has_score) os << pad(fmt(s.mean_score, "%.3f"), 11);
    if (has_revenue) os << pad(fmt(s.revenue, "%.1f"), 12);
    if (!revenue_at_risk_basis.empty()) os << pad(fmt(s.revenue_at_risk, "%.1f"), 12);
    os << "\n";
  };
  for (const auto& s : segments) line(s, std::to_string(s.segment));
  line(population, "all");
  if (!feature_names.empty()) {
    std::size_t w = 8;
    for (const auto& f : feature_names) w = std::max(w, f.size());
    os << "\nfeature means\n" << std::string(w + 1, ' ') << pad("all", 10);
    for (const auto& s : segments) os << pad("seg " + std::to_string(s.segment), 10);
    os << "\n";
    for (std::size_t j = 0; j < feature_names.size(); ++j) {
      const Index jj = static_cast<Index>(j);
      os << feature_names[j] << std::string(w + 1 - feature_names[j].size(), ' ')
         << pad(fmt(population.feature_means[jj]), 10);
      for (const auto& s : segments) os << pad(fmt(s.feature_means[jj]), 10);
      os << "\n";
    }
  }
  return os.str();
}

}  // namespace churn::segment
