// PerformanceEstimator: the reference state (bin counts), fit / accumulate / merge, the
// calibration map, the reference's own metrics, and the JSON form.
#include <algorithm>  // std::min, std::max
#include <cmath>      // std::isnan
#include <limits>     // std::numeric_limits
#include <string>     // std::string
#include <utility>    // std::move

#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "churn/core/stop.hpp"
#include "churn/monitor/estimate.hpp"
#include "common/checks.hpp"
#include "common/json.hpp"
#include "monitor/estimate_detail.hpp"

namespace churn::monitor {

using common::json_check_members;
using common::json_get;
using common::json_get_int;

namespace {

constexpr const char* kKind = "PerformanceReference";
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Checks fit's inputs: scores in [0, 1], labels 0/1 of the same length.
void check_inputs(const VectorRef& score, const VectorRef& labels, const char* caller,
                  int threads) {
  common::check_each(score, caller, "score", "be a probability in [0, 1]", detail::valid_score,
                     threads);
  if (labels.size() == 0) return;
  CHURN_CHECK(labels.size() == score.size(), InvalidArgument,
              caller << ": labels has " << labels.size() << " rows but score has " << score.size());
  common::check_binary_labels(labels, caller, "labels", false, threads);
}

}  // namespace

PerformanceEstimator::PerformanceEstimator(EstimatorParams params) : params_(params) {
  params_.validate();
}

// ---- fit, accumulate, merge -------------------------------------------------------------------

void PerformanceEstimator::count(const VectorRef& score, const VectorRef& labels,
                                 const char* caller) {
  check_inputs(score, labels, caller, params_.n_threads);
  const int bins = params_.bins;
  labelled_ = labels.size() > 0;
  pos_.assign(static_cast<std::size_t>(bins), 0);
  neg_.assign(labelled_ ? static_cast<std::size_t>(bins) : 0, 0);
  tpos_ = tneg_ = 0;
  n_ = score.size();
  churn::detail::run_polled_batches(0, n_, Index{1} << 20, [&](Index lo, Index hi) {
    for (Index i = lo; i < hi; ++i) {
      const auto b = static_cast<std::size_t>(detail::score_bin(score[i], bins));
      const bool targeted = score[i] >= params_.threshold;
      if (labelled_ && labels[i] == 0.0) {
        ++neg_[b];
        tneg_ += targeted ? 1 : 0;
      } else {
        ++pos_[b];
        tpos_ += targeted ? 1 : 0;
      }
    }
  });
  fitted_ = true;
}

PerformanceEstimator& PerformanceEstimator::fit(const VectorRef& score, const VectorRef& labels) {
  const char* caller = "PerformanceEstimator::fit()";
  CHURN_CHECK(score.size() > 0, InvalidArgument, caller << ": score has no rows");
  PerformanceEstimator fitted(params_);
  fitted.count(score, labels, caller);
  *this = std::move(fitted);
  return *this;
}

PerformanceEstimator PerformanceEstimator::accumulate(const VectorRef& score,
                                                      const VectorRef& labels) const {
  PerformanceEstimator part(params_);
  part.count(score, labels, "PerformanceEstimator::accumulate()");
  return part;
}

PerformanceEstimator& PerformanceEstimator::merge(const PerformanceEstimator& other) {
  const char* caller = "PerformanceEstimator::merge()";
  check_fitted(caller);
  CHURN_CHECK(other.fitted_, NotFittedError, caller << ": other is not fitted");
  Json a = params_.to_json(), b = other.params_.to_json();
  for (const auto& item : a.items())
    CHURN_CHECK(item.key() == "n_threads" || item.value() == b[item.key()], InvalidArgument,
                caller << ": the parameter " << item.key() << " differs (" << item.value().dump()
                       << " vs " << b[item.key()].dump() << ")");
  CHURN_CHECK(labelled_ == other.labelled_, InvalidArgument,
              caller << ": labels: one part has labels and the other not");
  for (std::size_t k = 0; k < pos_.size(); ++k) pos_[k] += other.pos_[k];
  for (std::size_t k = 0; k < neg_.size(); ++k) neg_[k] += other.neg_[k];
  tpos_ += other.tpos_;
  tneg_ += other.tneg_;
  n_ += other.n_;
  return *this;
}

// ---- accessors --------------------------------------------------------------------------------

void PerformanceEstimator::check_fitted(const char* caller) const {
  CHURN_CHECK(fitted_, NotFittedError,
              caller << ": the PerformanceEstimator is not fitted; call fit() first");
}

bool PerformanceEstimator::uses_map() const {
  return labelled_ && params_.calibration == Recalibration::Isotonic;
}

bool PerformanceEstimator::has_labels() const {
  check_fitted("PerformanceEstimator::has_labels()");
  return labelled_;
}

Index PerformanceEstimator::n_rows() const {
  check_fitted("PerformanceEstimator::n_rows()");
  return n_;
}

const std::vector<std::int64_t>& PerformanceEstimator::positives() const {
  check_fitted("PerformanceEstimator::positives()");
  return pos_;
}

const std::vector<std::int64_t>& PerformanceEstimator::negatives() const {
  check_fitted("PerformanceEstimator::negatives()");
  return neg_;
}

std::int64_t PerformanceEstimator::targeted_positives() const {
  check_fitted("PerformanceEstimator::targeted_positives()");
  return tpos_;
}

std::int64_t PerformanceEstimator::targeted_negatives() const {
  check_fitted("PerformanceEstimator::targeted_negatives()");
  return tneg_;
}

std::vector<double> PerformanceEstimator::calibration_map() const {
  check_fitted("PerformanceEstimator::calibration_map()");
  return uses_map() ? detail::isotonic_map(pos_, neg_) : std::vector<double>();
}

Vector PerformanceEstimator::calibrate(const VectorRef& score) const {
  const char* caller = "PerformanceEstimator::calibrate()";
  check_fitted(caller);
  common::check_each(score, caller, "score", "be a probability in [0, 1]", detail::valid_score,
                     params_.n_threads);
  if (!uses_map()) return score;
  return detail::apply_map(detail::isotonic_map(pos_, neg_), score, params_.bins,
                           params_.n_threads);
}

// ---- reference metrics ------------------------------------------------------------------------

namespace {

/// Metrics of tie groups (one per bin): `w[b]` rows of mass `m[b]` each for the positives (the
/// estimate: m = probability; realised: w = positives, m = 1 and negatives apart), with `tw`
/// targeted rows of the threshold bin `bt` (all rows of the bins above it are targeted).
struct BinTotals {
  double u = 0, pos = 0, neg = 0, tp = 0, k = 0;
};

PerformanceMetrics from_totals(const BinTotals& t, Index n, const EstimatorParams& p) {
  PerformanceMetrics m;
  const double gain = p.success_rate * p.value_retained;
  m.roc_auc = (t.pos > 0 && t.neg > 0) ? t.u / (t.pos * t.neg) : kNaN;
  m.precision = t.k > 0 ? t.tp / t.k : kNaN;
  m.recall = t.pos > 0 ? t.tp / t.pos : kNaN;
  m.f1 = t.k + t.pos > 0 ? 2 * t.tp / (t.k + t.pos) : kNaN;
  m.churn_rate = t.pos / static_cast<double>(n);
  m.churners = t.pos;
  m.campaign_value = gain * t.tp - p.offer_cost * t.k;
  return m;
}

}  // namespace

ReferenceMetrics PerformanceEstimator::reference_metrics() const {
  check_fitted("PerformanceEstimator::reference_metrics()");
  const int bins = params_.bins;
  const Index bt = detail::score_bin(params_.threshold, bins);
  const std::vector<double> map = calibration_map();
  // rows of each bin (and per class), and targeted rows of the threshold bin
  auto rows = [&](Index b) { return static_cast<double>(pos_[b] + (labelled_ ? neg_[b] : 0)); };
  double above_pos = 0, above_neg = 0;
  for (Index b = bt + 1; b < bins; ++b) {
    above_pos += static_cast<double>(pos_[b]);
    above_neg += labelled_ ? static_cast<double>(neg_[b]) : 0.0;
  }
  const double split_pos = std::min(std::max(static_cast<double>(tpos_) - above_pos, 0.0),
                                    static_cast<double>(pos_[bt]));
  const double split_neg = labelled_
                               ? std::min(std::max(static_cast<double>(tneg_) - above_neg, 0.0),
                                          static_cast<double>(neg_[bt]))
                               : 0.0;
  ReferenceMetrics out;
  BinTotals est;
  for (Index b = 0; b < bins; ++b) {
    const double c = rows(b);
    const double pb = map.empty() ? (static_cast<double>(b) + 0.5) / bins : map[b];
    if (c == 0) continue;
    const double pg = c * pb, ng = c * (1 - pb);
    est.u += pg * (est.neg + 0.5 * ng);
    est.pos += pg;
    est.neg += ng;
    const double targeted = b > bt ? c : (b == bt ? split_pos + split_neg : 0.0);
    est.k += targeted;
    est.tp += targeted * pb;
  }
  out.estimated = from_totals(est, n_, params_);
  if (!labelled_) return out;
  BinTotals real;
  for (Index b = 0; b < bins; ++b) {
    const auto pg = static_cast<double>(pos_[b]), ng = static_cast<double>(neg_[b]);
    real.u += pg * (real.neg + 0.5 * ng);
    real.pos += pg;
    real.neg += ng;
  }
  real.tp = static_cast<double>(tpos_);
  real.k = static_cast<double>(tpos_ + tneg_);
  out.realised = from_totals(real, n_, params_);
  return out;
}

// ---- JSON -------------------------------------------------------------------------------------

Json PerformanceEstimator::to_json() const {
  check_fitted("PerformanceEstimator::to_json()");
  Json state{{"n_rows", n_},      {"labelled", labelled_},       {"positives", pos_},
             {"negatives", neg_}, {"targeted_positives", tpos_}, {"targeted_negatives", tneg_}};
  return common::make_envelope(kKind, params_.to_json(), std::move(state));
}

namespace {

std::vector<std::int64_t> read_counts(const Json& st, const char* key, std::size_t size,
                                      const std::string& where) {
  const Json v = json_get<Json>(st, key, where);
  CHURN_CHECK(v.is_array(), SerializationError, where << ": '" << key << "' must be a list");
  CHURN_CHECK(v.size() == size, SerializationError,
              where << ": '" << key << "' has " << v.size() << " entries, expected " << size);
  std::vector<std::int64_t> out(size);
  for (std::size_t k = 0; k < size; ++k) {
    CHURN_CHECK(
        common::json_int_value(v[k], out[k]) && out[k] >= 0, SerializationError,
        where << ": " << key << "[" << k << "] must be an integer >= 0, got " << v[k].dump());
  }
  return out;
}

std::int64_t sum_of(const std::vector<std::int64_t>& v, const std::string& where) {
  std::int64_t s = 0;
  for (auto x : v) {
    CHURN_CHECK(s <= std::numeric_limits<std::int64_t>::max() - x, SerializationError,
                where << ": the counts overflow");
    s += x;
  }
  return s;
}

}  // namespace

PerformanceEstimator PerformanceEstimator::from_json(const Json& doc) {
  const Json& env = common::open_envelope(doc, kKind);
  const std::string ws = "load(PerformanceReference) state";
  PerformanceEstimator e(EstimatorParams::from_json(env["params"]));
  const Json& st = env["state"];
  json_check_members(
      st,
      {"n_rows", "labelled", "positives", "negatives", "targeted_positives", "targeted_negatives"},
      ws);
  e.n_ = json_get_int<std::int64_t>(st, "n_rows", ws);
  CHURN_CHECK(e.n_ >= 0, SerializationError, ws << ": n_rows must be >= 0, got " << e.n_);
  e.labelled_ = json_get<bool>(st, "labelled", ws);
  const auto bins = static_cast<std::size_t>(e.params_.bins);
  e.pos_ = read_counts(st, "positives", bins, ws);
  e.neg_ = read_counts(st, "negatives", e.labelled_ ? bins : 0, ws);
  e.tpos_ = json_get_int<std::int64_t>(st, "targeted_positives", ws);
  e.tneg_ = json_get_int<std::int64_t>(st, "targeted_negatives", ws);
  const std::int64_t p = sum_of(e.pos_, ws), q = sum_of(e.neg_, ws);
  CHURN_CHECK(q <= std::numeric_limits<std::int64_t>::max() - p && p + q == e.n_,
              SerializationError, ws << ": the bin counts do not add up to n_rows = " << e.n_);
  CHURN_CHECK(e.tpos_ >= 0 && e.tpos_ <= p, SerializationError,
              ws << ": targeted_positives must be in [0, " << p << "], got " << e.tpos_);
  CHURN_CHECK(e.tneg_ >= 0 && e.tneg_ <= q, SerializationError,
              ws << ": targeted_negatives must be in [0, " << q << "], got " << e.tneg_);
  e.fitted_ = true;
  return e;
}

void PerformanceEstimator::save(const std::string& path) const {
  save_json_file(to_json(), path);
}

PerformanceEstimator PerformanceEstimator::load(const std::string& path) {
  return from_json(load_json_file(path));
}

}  // namespace churn::monitor
