// PerformanceEstimator::estimate and EstimatedPerformance: the estimates per chunk, the realised
// values, the reliability check and the alerts.
#include <algorithm>  // std::upper_bound
#include <cmath>      // std::isnan, std::abs
#include <limits>     // std::numeric_limits
#include <string>     // std::string, std::to_string
#include <utility>    // std::move

#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "churn/core/stop.hpp"
#include "churn/monitor/estimate.hpp"
#include "common/checks.hpp"
#include "common/normal.hpp"
#include "monitor/estimate_detail.hpp"

namespace churn::monitor {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Checks `x` row by row with `ok`, naming the chunk and the row within it.
template <class Ok>
void check_rows(const VectorRef& x, const std::vector<Index>& bounds,
                const std::vector<ChunkEstimate>* chunks, const char* caller, const char* what,
                const char* rule, const Ok& ok, int threads) {
  const Index bad =
      common::detail::first_bad_row(x.size(), threads, [&](Index i) { return !ok(x[i]); });
  if (bad < 0) return;
  const auto c = static_cast<std::size_t>(std::upper_bound(bounds.begin(), bounds.end(), bad) -
                                          bounds.begin() - 1);
  const std::string name = chunks ? (*chunks)[c].chunk : std::to_string(c);
  CHURN_THROW(InvalidArgument, caller << ": chunk '" << name << "': " << what << " must " << rule
                                      << ", got " << x[bad] << " at row " << bad - bounds[c]
                                      << " of the chunk (row " << bad << " overall)");
}

/// Runs `body(c)` for every chunk in parallel, polling for a stop between batches of chunks.
template <class Body>
void for_each_chunk(std::size_t n_chunks, int threads, const Body& body) {
  churn::detail::run_polled_batches(0, static_cast<Index>(n_chunks), 1, [&](Index lo, Index hi) {
    parallel_for(lo, hi, threads, [&](Index c) { body(static_cast<std::size_t>(c)); });
  });
}

/// The chunk's bands from its estimates and standard errors.
void fill_bands(ChunkEstimate& c, const PerformanceMetrics& m, const PerformanceMetrics& se,
                double z, const EstimatorParams& p) {
  const auto n = static_cast<double>(c.n), k = static_cast<double>(c.n_targeted);
  const double gain = p.success_rate * p.value_retained;
  c.roc_auc = detail::make_band(m.roc_auc, se.roc_auc, z, 0, 1);
  c.precision = detail::make_band(m.precision, se.precision, z, 0, 1);
  c.recall = detail::make_band(m.recall, se.recall, z, 0, 1);
  c.f1 = detail::make_band(m.f1, se.f1, z, 0, 1);
  c.churn_rate = detail::make_band(m.churn_rate, se.churn_rate, z, 0, 1);
  c.expected_churners = detail::make_band(m.churners, se.churners, z, 0, n);
  c.campaign_value = detail::make_band(m.campaign_value, se.campaign_value, z, -p.offer_cost * k,
                                       (gain - p.offer_cost) * k);
}

}  // namespace

EstimatedPerformance PerformanceEstimator::estimate(const VectorRef& score,
                                                    const std::vector<Index>& bounds,
                                                    const std::vector<std::string>& names) const {
  const char* caller = "PerformanceEstimator::estimate()";
  check_fitted(caller);
  CHURN_CHECK(n_ > 0, InvalidArgument, caller << ": the reference has no rows");
  CHURN_CHECK(bounds.size() >= 2, InvalidArgument,
              caller << ": bounds must hold at least 2 offsets (one chunk), got " << bounds.size());
  CHURN_CHECK(bounds.front() == 0 && bounds.back() == score.size(), InvalidArgument,
              caller << ": bounds must run from 0 to the number of scores (" << score.size()
                     << "), got " << bounds.front() << " to " << bounds.back());
  const std::size_t n_chunks = bounds.size() - 1;
  CHURN_CHECK(names.empty() || names.size() == n_chunks, InvalidArgument,
              caller << ": " << names.size() << " names for " << n_chunks << " chunks");
  if (!names.empty()) common::check_distinct(names, caller, "names");
  std::vector<ChunkEstimate> chunks(n_chunks);
  for (std::size_t c = 0; c < n_chunks; ++c) {
    chunks[c].chunk = names.empty() ? std::to_string(c) : names[c];
    chunks[c].n = bounds[c + 1] - bounds[c];
    CHURN_CHECK(chunks[c].n > 0, InvalidArgument,
                caller << ": chunk '" << chunks[c].chunk << "' is empty (bounds must increase)");
  }
  check_rows(score, bounds, &chunks, caller, "score", "be a probability in [0, 1]",
             detail::valid_score, params_.n_threads);
  // the probabilities: the isotonic map of each score's bin, or the scores themselves
  const Vector mapped = uses_map() ? detail::apply_map(detail::isotonic_map(pos_, neg_), score,
                                                       params_.bins, params_.n_threads)
                                   : Vector();
  const double* p = uses_map() ? mapped.data() : score.data();
  const double z = common::normal_quantile(0.5 + params_.confidence / 2);
  for_each_chunk(n_chunks, params_.n_threads, [&](std::size_t c) {
    ChunkEstimate& ch = chunks[c];
    const Index lo = bounds[c];
    detail::ChunkScratch scratch;
    PerformanceMetrics se;
    const PerformanceMetrics m =
        detail::chunk_metrics(score.data() + lo, p + lo, ch.n, params_, scratch, &se);
    for (Index i = lo; i < lo + ch.n; ++i) ch.n_targeted += score[i] >= params_.threshold ? 1 : 0;
    fill_bands(ch, m, se, z, params_);
  });
  return EstimatedPerformance(params_, std::move(chunks));
}

// ---- EstimatedPerformance ---------------------------------------------------------------------

EstimatedPerformance::EstimatedPerformance(EstimatorParams params,
                                           std::vector<ChunkEstimate> chunks)
    : params_(params), chunks_(std::move(chunks)) {}

Index EstimatedPerformance::n_rows() const {
  Index n = 0;
  for (const auto& c : chunks_) n += c.n;
  return n;
}

bool EstimatedPerformance::has_realised() const {
  for (const auto& c : chunks_)
    if (c.has_realised) return true;
  return false;
}

EstimatedPerformance& EstimatedPerformance::add_realised(const VectorRef& score,
                                                         const VectorRef& labels) {
  const char* caller = "EstimatedPerformance::add_realised()";
  const Index n = n_rows();
  CHURN_CHECK(score.size() == n && labels.size() == n, InvalidArgument,
              caller << ": score and labels must hold the " << n
                     << " rows given to estimate(), got " << score.size() << " and "
                     << labels.size());
  std::vector<Index> bounds{0};
  for (const auto& c : chunks_) bounds.push_back(bounds.back() + c.n);
  check_rows(score, bounds, &chunks_, caller, "score", "be a probability in [0, 1]",
             detail::valid_score, params_.n_threads);
  check_rows(
      labels, bounds, &chunks_, caller, "labels", "be 0 or 1",
      [](double y) { return y == 0.0 || y == 1.0; }, params_.n_threads);
  std::vector<ChunkEstimate> out = chunks_;
  for_each_chunk(out.size(), params_.n_threads, [&](std::size_t c) {
    ChunkEstimate& ch = out[c];
    const Index lo = bounds[c];
    detail::ChunkScratch scratch;
    const PerformanceMetrics m = detail::chunk_metrics(score.data() + lo, labels.data() + lo, ch.n,
                                                       params_, scratch, nullptr);
    ch.roc_auc.realised = m.roc_auc;
    ch.precision.realised = m.precision;
    ch.recall.realised = m.recall;
    ch.f1.realised = m.f1;
    ch.churn_rate.realised = m.churn_rate;
    ch.expected_churners.realised = m.churners;
    ch.campaign_value.realised = m.campaign_value;
    ch.has_realised = true;
    ch.outside_band = m.roc_auc < ch.roc_auc.lower || m.roc_auc > ch.roc_auc.upper;
  });
  chunks_ = std::move(out);
  return *this;
}

ReliabilityCheck EstimatedPerformance::reliability() const {
  ReliabilityCheck r;
  r.expected_rate = 1 - params_.confidence;
  double gap = 0, half = 0;
  for (const auto& c : chunks_) {
    if (!c.has_realised || std::isnan(c.roc_auc.realised) || std::isnan(c.roc_auc.lower)) continue;
    ++r.n_chunks;
    r.n_outside += c.outside_band ? 1 : 0;
    gap += std::abs(c.roc_auc.realised - c.roc_auc.estimated);
    half += (c.roc_auc.upper - c.roc_auc.lower) / 2;
  }
  if (r.n_chunks == 0) {
    r.mean_abs_gap = kNaN;
    r.gap_tolerance = kNaN;
    return r;
  }
  const auto m = static_cast<double>(r.n_chunks);
  r.mean_abs_gap = gap / m;
  r.gap_tolerance = std::max(0.02, half / m);
  r.p_value = common::binomial_upper_tail(r.n_outside, r.n_chunks, r.expected_rate);
  const bool too_many_outside = r.p_value < 0.01;
  const bool few_and_far = r.n_chunks < 10 && r.mean_abs_gap > r.gap_tolerance;
  r.reliable = !(too_many_outside || few_and_far);
  return r;
}

namespace {

/// A "below the minimum" alert of one metric: moderate when the estimate is below, significant
/// when the band's upper end is below too (above/lower for a maximum).
void bound_alert(std::vector<Alert>& out, const std::string& chunk, const char* metric,
                 const MetricBand& b, double limit, bool is_max) {
  if (std::isnan(limit) || std::isnan(b.estimated)) return;
  const bool crossed = is_max ? b.estimated > limit : b.estimated < limit;
  if (!crossed) return;
  const bool whole = is_max ? b.lower > limit : b.upper < limit;
  out.push_back(
      {chunk, metric, b.estimated, limit, whole ? Severity::Significant : Severity::Moderate});
}

}  // namespace

std::vector<Alert> EstimatedPerformance::alerts() const {
  std::vector<Alert> out;
  const EstimatorParams& p = params_;
  const bool unreliable = !reliable();
  for (const auto& c : chunks_) {
    bound_alert(out, c.chunk, "estimated_roc_auc", c.roc_auc, p.min_roc_auc, false);
    bound_alert(out, c.chunk, "estimated_precision", c.precision, p.min_precision, false);
    bound_alert(out, c.chunk, "estimated_recall", c.recall, p.min_recall, false);
    bound_alert(out, c.chunk, "estimated_f1", c.f1, p.min_f1, false);
    bound_alert(out, c.chunk, "estimated_churn_rate", c.churn_rate, p.max_churn_rate, true);
    if (unreliable && c.outside_band) {
      const double end = c.roc_auc.realised < c.roc_auc.lower ? c.roc_auc.lower : c.roc_auc.upper;
      out.push_back({c.chunk, "estimate_gap", c.roc_auc.realised, end, Severity::Significant});
    }
  }
  return out;
}

}  // namespace churn::monitor
