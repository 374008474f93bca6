#include "churn/monitor/baseline.hpp"

#include <algorithm>  // std::sort, std::adjacent_find, std::min, std::max
#include <cmath>      // std::isfinite, std::abs
#include <iterator>   // std::begin, std::end
#include <limits>     // std::numeric_limits
#include <utility>    // std::move

#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "common/json.hpp"
#include "monitor/divergence.hpp"
#include "monitor/feature_state.hpp"
#include "monitor/state_json.hpp"

namespace churn::monitor {

using common::json_check_members;
using common::json_get;
using common::json_get_int;
using common::make_envelope;
using common::open_envelope;

using data::Table;

using detail::feature_from_json;
using detail::feature_to_json;
using detail::FeatureState;

namespace {

using detail::kSummaryLevels;
using detail::mean_std;

/// KS on a baseline is evaluated at `ks_points + 1` points `g_j`, the exact quantiles (numpy
/// linear) of the reference at `j / ks_points`: `max_j |F_ref(g_j) - F_cur(g_j)|`, read from the
/// cumulated cells (a value is <= g_j exactly when its cell is <= ks_cell[j]). It never exceeds
/// the exact two-sample statistic and, for a reference without heavy ties, is below it by at
/// most about `1 / ks_points` (0.01 by default).
double ks_on_points(const FeatureState& r, const FeatureState& c) {
  const std::int64_t nr = r.values(), nc = c.values();
  if (nr == 0 || nc == 0 || r.ks.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::vector<std::int64_t> pr(r.cells.size()), pc(c.cells.size());
  std::int64_t ar = 0, ac = 0;
  for (std::size_t k = 0; k < r.cells.size(); ++k) {
    pr[k] = (ar += r.cells[k]);
    pc[k] = (ac += c.cells[k]);
  }
  double d = 0;
  for (std::size_t k : r.ks_cell) {
    const double fr = static_cast<double>(pr[k]) / static_cast<double>(nr);
    const double fc = static_cast<double>(pc[k]) / static_cast<double>(nc);
    d = std::max(d, std::abs(fr - fc));
  }
  return d;
}

double ratio(std::int64_t a, std::int64_t b) {
  return b > 0 ? static_cast<double>(a) / static_cast<double>(b)
               : std::numeric_limits<double>::quiet_NaN();
}

bool same_bins(const FeatureState& a, const FeatureState& b) {
  return a.name == b.name && a.kind == b.kind && a.edges == b.edges && a.ks == b.ks &&
         a.quantiles == b.quantiles;
}

}  // namespace

// ---- params -----------------------------------------------------------------------------------

void BaselineParams::validate() const {
  CHURN_CHECK(bins >= 1 && bins <= 100000, InvalidArgument,
              "BaselineParams: bins must be in [1, 100000], got " << bins);
  CHURN_CHECK(epsilon > 0.0 && epsilon < 1.0, InvalidArgument,
              "BaselineParams: epsilon must be in (0, 1), got " << epsilon);
  CHURN_CHECK(moderate >= 0.0 && std::isfinite(moderate), InvalidArgument,
              "BaselineParams: moderate must be >= 0, got " << moderate);
  CHURN_CHECK(
      significant >= moderate && std::isfinite(significant), InvalidArgument,
      "BaselineParams: significant must be >= moderate (" << moderate << "), got " << significant);
  CHURN_CHECK(score_alert >= 0.0 && std::isfinite(score_alert), InvalidArgument,
              "BaselineParams: score_alert must be >= 0, got " << score_alert);
  CHURN_CHECK(ks_points >= 1 && ks_points <= 10000, InvalidArgument,
              "BaselineParams: ks_points must be in [1, 10000], got " << ks_points);
  check_n_threads(n_threads, "BaselineParams");
}

// ---- special members --------------------------------------------------------------------------

Baseline::Baseline(BaselineParams params) : params_(params) {
  params_.validate();
}
Baseline::~Baseline() = default;
Baseline::Baseline(Baseline&&) noexcept = default;
Baseline& Baseline::operator=(Baseline&&) noexcept = default;

Baseline::Baseline(const Baseline& other)
    : params_(other.params_),
      fitted_(other.fitted_),
      has_score_(other.has_score_),
      n_rows_(other.n_rows_) {
  for (const auto& f : other.features_) features_.push_back(std::make_unique<FeatureState>(*f));
  if (other.score_) score_ = std::make_unique<FeatureState>(*other.score_);
}

Baseline& Baseline::operator=(const Baseline& other) {
  if (this != &other) {
    Baseline copy(other);
    *this = std::move(copy);
  }
  return *this;
}

// ---- merge ------------------------------------------------------------------------------------

// Merging is exact: edges, quantiles and KS points are fixed by fit, and everything merge adds is
// an order-free exact accumulator (integer counts, exact sums, min/max, category counts), so
// `b.accumulate(part1).merge(b.accumulate(part2))` equals `b.accumulate(whole)` bit for bit. The
// edges are never re-estimated: exact quantiles of data seen only in parts would need all of it
// at once.

Baseline& Baseline::merge(const Baseline& other) {
  check_fitted("Baseline::merge()");
  CHURN_CHECK(other.fitted_, NotFittedError, "Baseline::merge(): other is not fitted");
  CHURN_CHECK(other.features_.size() == features_.size(), InvalidArgument,
              "Baseline::merge(): other has " << other.features_.size() << " features, this "
                                              << features_.size());
  CHURN_CHECK(other.has_score_ == has_score_, InvalidArgument,
              "Baseline::merge(): one part has a score and the other not");
  for (std::size_t f = 0; f < features_.size(); ++f) {
    const FeatureState& a = *features_[f];
    const FeatureState& b = *other.features_[f];
    CHURN_CHECK(same_bins(a, b), InvalidArgument,
                "Baseline::merge(): feature '" << b.name << "' differs from '" << a.name
                                               << "' or is on other bins (accumulate both parts "
                                                  "from the same baseline)");
    CHURN_CHECK(
        a.present == b.present, InvalidArgument,
        "Baseline::merge(): column '" << a.name << "' is missing from one part but not the other");
  }
  CHURN_CHECK(!has_score_ || same_bins(*score_, *other.score_), InvalidArgument,
              "Baseline::merge(): the score is on other bins");
  auto add = [](FeatureState& a, const FeatureState& b) {
    a.n_rows += b.n_rows;
    a.missing += b.missing;
    for (std::size_t k = 0; k < a.cells.size(); ++k) a.cells[k] += b.cells[k];
    a.min = std::min(a.min, b.min);
    a.max = std::max(a.max, b.max);
    a.sum.merge(b.sum);
    a.sumsq.merge(b.sumsq);
    a.cats.merge(b.cats);
  };
  for (std::size_t f = 0; f < features_.size(); ++f) add(*features_[f], *other.features_[f]);
  if (has_score_) add(*score_, *other.score_);
  n_rows_ += other.n_rows_;
  return *this;
}

// ---- compare ----------------------------------------------------------------------------------

DriftReport Baseline::compare(const Table& current, const VectorRef& score) const {
  const char* caller = "Baseline::compare()";
  check_fitted(caller);
  CHURN_CHECK(current.num_rows() > 0, InvalidArgument,
              caller << ": current has no rows (an empty batch)");
  return compare(accumulate_impl(current, score, false, caller));
}

namespace {

FeatureDrift drift_of(const FeatureState& r, const FeatureState& c, const BaselineParams& p) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  FeatureDrift d;
  d.feature = r.name;
  d.kind = r.kind;
  if (!c.present) {
    d.psi = d.ks = d.js = nan;
    d.missing_rate_reference = ratio(r.missing, r.n_rows);
    d.missing_rate_current = d.share_out_of_range = d.share_unseen = nan;
    d.status = DriftStatus::MissingColumn;
    return d;
  }
  d.missing_rate_reference = ratio(r.missing, r.n_rows);
  d.missing_rate_current = ratio(c.missing, c.n_rows);
  std::vector<std::int64_t> rb, cb;
  if (r.kind == FeatureKind::Numeric) {
    rb = r.bin_counts();
    cb = c.bin_counts();
    d.ks = ks_on_points(r, c);
    d.share_out_of_range = ratio(c.out_of_range(), c.values());
    d.share_unseen = nan;
  } else {
    rb = categorical_bin_counts(r.cats, r.cats);
    cb = categorical_bin_counts(r.cats, c.cats);
    d.ks = nan;
    d.share_out_of_range = nan;
    d.share_unseen = ratio(cb[cb.size() - 2], c.cats.total() - c.cats.missing());
    for (const auto& cat : c.cats.categories())
      if (r.cats.count(cat) == 0) d.unseen_categories.push_back(cat);
  }
  if (r.n_rows > 0 && c.n_rows > 0) {
    d.psi = detail::psi_counts(rb, cb, p.epsilon);
    d.js = detail::js_counts(rb, cb);
  } else {
    d.psi = d.js = nan;
  }
  d.status = status_of(d.psi, p.moderate, p.significant);
  return d;
}

}  // namespace

DriftReport Baseline::compare(const Baseline& current) const {
  const char* caller = "Baseline::compare()";
  check_fitted(caller);
  CHURN_CHECK(current.fitted_, NotFittedError, caller << ": current is not fitted");
  CHURN_CHECK(current.n_rows_ > 0, InvalidArgument,
              caller << ": current has no rows (an empty batch)");
  CHURN_CHECK(current.features_.size() == features_.size(), InvalidArgument,
              caller << ": current has " << current.features_.size() << " features, the baseline "
                     << features_.size() << " (accumulate the batch on this baseline)");
  for (std::size_t f = 0; f < features_.size(); ++f)
    CHURN_CHECK(same_bins(*features_[f], *current.features_[f]), InvalidArgument,
                caller << ": feature '" << current.features_[f]->name
                       << "' is on other bins (accumulate the batch on this baseline)");
  std::vector<FeatureDrift> rows;
  for (std::size_t f = 0; f < features_.size(); ++f)
    rows.push_back(drift_of(*features_[f], *current.features_[f], params_));
  std::optional<FeatureDrift> score_row;
  if (has_score_ && current.has_score_) {
    CHURN_CHECK(same_bins(*score_, *current.score_), InvalidArgument,
                caller << ": the score is on other bins");
    score_row = drift_of(*score_, *current.score_, params_);
  }
  ReportThresholds th;
  th.moderate = params_.moderate;
  th.significant = params_.significant;
  th.score_alert = params_.score_alert;
  return DriftReport(std::move(rows), std::move(score_row), th, n_rows_, current.n_rows_);
}

// ---- accessors --------------------------------------------------------------------------------

void Baseline::check_fitted(const char* caller) const {
  CHURN_CHECK(fitted_, NotFittedError, caller << ": the baseline is not fitted; call fit() first");
}

Index Baseline::n_rows() const {
  check_fitted("Baseline::n_rows()");
  return n_rows_;
}

std::vector<std::string> Baseline::feature_names() const {
  check_fitted("Baseline::feature_names()");
  std::vector<std::string> names;
  for (const auto& f : features_) names.push_back(f->name);
  return names;
}

const FeatureState& Baseline::state(const std::string& feature, const char* caller) const {
  check_fitted(caller);
  if (feature.empty()) {
    CHURN_CHECK(has_score_, InvalidArgument, caller << ": the baseline has no score");
    return *score_;
  }
  for (const auto& f : features_)
    if (f->name == feature) return *f;
  CHURN_THROW(InvalidArgument, caller << ": unknown feature '" << feature << "'");
}

FeatureKind Baseline::kind(const std::string& feature) const {
  return state(feature, "Baseline::kind()").kind;
}

const std::vector<double>& Baseline::edges(const std::string& feature) const {
  const FeatureState& s = state(feature, "Baseline::edges()");
  CHURN_CHECK(s.kind == FeatureKind::Numeric, InvalidArgument,
              "Baseline::edges(): feature '" << feature << "' is categorical");
  return s.edges;
}

Histogram Baseline::histogram(const std::string& feature) const {
  const FeatureState& s = state(feature, "Baseline::histogram()");
  CHURN_CHECK(s.kind == FeatureKind::Numeric, InvalidArgument,
              "Baseline::histogram(): feature '" << feature << "' is categorical");
  std::vector<std::int64_t> b = s.bin_counts();
  b.pop_back();
  return Histogram::from_parts(s.edges, std::move(b), s.missing, s.out_of_range());
}

NumericSummary Baseline::summary(const std::string& feature) const {
  const FeatureState& s = state(feature, "Baseline::summary()");
  CHURN_CHECK(s.kind == FeatureKind::Numeric, InvalidArgument,
              "Baseline::summary(): feature '" << feature << "' is categorical");
  NumericSummary out;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  out.count = s.values();
  out.missing = s.missing;
  out.missing_rate = ratio(s.missing, s.n_rows);
  mean_std(s, out.mean, out.std);
  out.min = out.count > 0 ? s.min : nan;
  out.max = out.count > 0 ? s.max : nan;
  out.levels.assign(std::begin(kSummaryLevels), std::end(kSummaryLevels));
  out.quantiles = s.quantiles;
  if (out.quantiles.empty()) out.quantiles.assign(out.levels.size(), nan);
  return out;
}

const CategoryCounts& Baseline::category_counts(const std::string& feature) const {
  const FeatureState& s = state(feature, "Baseline::category_counts()");
  CHURN_CHECK(s.kind == FeatureKind::Categorical, InvalidArgument,
              "Baseline::category_counts(): feature '" << feature << "' is numeric");
  return s.cats;
}

// ---- JSON -------------------------------------------------------------------------------------

namespace {

constexpr const char* kKind = "DriftBaseline";

}  // namespace

Json Baseline::to_json() const {
  check_fitted("Baseline::to_json()");
  Json features = Json::array();
  for (const auto& f : features_) features.push_back(feature_to_json(*f));
  Json state{{"n_rows", n_rows_},
             {"features", features},
             {"score", has_score_ || score_ ? feature_to_json(*score_) : Json(nullptr)},
             {"has_score", has_score_}};
  return make_envelope(kKind, params_.to_json(), std::move(state));
}

Baseline Baseline::from_json(const Json& doc) {
  const Json& env = open_envelope(doc, kKind);
  const std::string where = "load(DriftBaseline)";
  try {
    const BaselineParams p = BaselineParams::from_json(env["params"]);
    Baseline b(p);
    const Json& st = env["state"];
    const std::string ws = where + " state";
    json_check_members(st, {"n_rows", "features", "score", "has_score"}, ws);
    b.n_rows_ = json_get_int<std::int64_t>(st, "n_rows", ws);
    CHURN_CHECK(b.n_rows_ >= 0, SerializationError, ws << ": n_rows must be >= 0");
    const Json features = json_get<Json>(st, "features", ws);
    CHURN_CHECK(features.is_array() && !features.empty(), SerializationError,
                ws << ": 'features' must be a non-empty list");
    std::vector<std::string> names;
    for (std::size_t i = 0; i < features.size(); ++i) {
      auto f = feature_from_json(features[i], p, ws + ".features[" + std::to_string(i) + "]");
      CHURN_CHECK(
          f->n_rows == (f->present ? b.n_rows_ : 0), SerializationError,
          ws << ": feature '" << f->name << "' has " << f->n_rows << " rows, not " << b.n_rows_);
      names.push_back(f->name);
      b.features_.push_back(std::move(f));
    }
    std::sort(names.begin(), names.end());
    CHURN_CHECK(std::adjacent_find(names.begin(), names.end()) == names.end(), SerializationError,
                ws << ": feature names repeat");
    b.has_score_ = json_get<bool>(st, "has_score", ws);
    const Json score = json_get<Json>(st, "score", ws);
    if (!score.is_null()) {
      b.score_ = feature_from_json(score, p, ws + ".score");
      CHURN_CHECK(b.score_->kind == FeatureKind::Numeric && b.score_->name == "score",
                  SerializationError, ws << ": the score must be a numeric feature named 'score'");
      CHURN_CHECK(
          b.score_->present == b.has_score_ && b.score_->n_rows == (b.has_score_ ? b.n_rows_ : 0),
          SerializationError, ws << ": the score is inconsistent with has_score");
    } else {
      CHURN_CHECK(!b.has_score_, SerializationError, ws << ": has_score without a score");
    }
    b.fitted_ = true;
    return b;
  } catch (const SerializationError&) {
    throw;
  } catch (const std::exception& e) {
    throw SerializationError(where + ": the document is inconsistent: " + e.what());
  }
}

void Baseline::save(const std::string& path) const {
  save_json_file(to_json(), path);
}

Baseline Baseline::load(const std::string& path) {
  return from_json(load_json_file(path));
}

}  // namespace churn::monitor
