// Platt and isotonic probability calibration (see calibration.hpp).
#include "churn/metrics/calibration.hpp"

#include <algorithm>  // std::sort, std::upper_bound, std::min, std::max
#include <cmath>      // std::log, std::abs, std::isfinite, std::isnan
#include <numeric>    // std::iota
#include <string>     // std::string
#include <utility>    // std::move

#include "churn/core/error.hpp"
#include "common/enum_names.hpp"
#include "common/json.hpp"
#include "common/logistic.hpp"
#include "metrics/ranking.hpp"

namespace churn::metrics {

using common::json_get;
using common::make_envelope;
using common::open_envelope;

namespace {

void check_scores(const char* caller, const VectorRef& scores) {
  for (Index i = 0; i < scores.size(); ++i) {
    CHURN_CHECK(!std::isnan(scores[i]), InvalidArgument,
                caller << ": scores must not be NaN (row " << i << ")");
  }
}

}  // namespace

// ---- PlattCalibrator --------------------------------------------------------------------------

PlattCalibrator& PlattCalibrator::fit(const VectorRef& scores, const VectorRef& y,
                                      const VectorRef& sample_weight) {
  const char* caller = "PlattCalibrator::fit()";
  detail::check_inputs(caller, y, scores, sample_weight, false, 0);
  const Index n = y.size();
  const bool weighted = sample_weight.size() > 0;
  auto w = [&](Index i) { return weighted ? sample_weight[i] : 1.0; };
  double prior0 = 0;
  double prior1 = 0;
  double max_abs = 0;
  for (Index i = 0; i < n; ++i) {
    (y[i] > 0 ? prior1 : prior0) += w(i);
    max_abs = std::max(max_abs, std::abs(scores[i]));
  }
  // Large scores are scaled (as scikit-learn) for conditioning; the slope is scaled back.
  const double scale = max_abs >= 30 ? max_abs : 1.0;
  const double t1 = (prior1 + 1.0) / (prior1 + 2.0);
  const double t0 = 1.0 / (prior0 + 2.0);
  auto target = [&](Index i) { return y[i] > 0 ? t1 : t0; };
  auto loss = [&](double a, double b) {
    double l = 0;
    for (Index i = 0; i < n; ++i) {
      const double z = a * (scores[i] / scale) + b;
      const double t = target(i);
      l += w(i) * (t * common::softplus(z) + (1 - t) * common::softplus(-z));
    }
    return l;
  };
  double a = 0;
  double b = std::log((prior0 + 1.0) / (prior1 + 1.0));
  double total_w = prior0 + prior1;
  double f = loss(a, b);
  int it = 0;
  for (; it < 100; ++it) {
    double ga = 0, gb = 0, haa = 0, hab = 0, hbb = 0;
    for (Index i = 0; i < n; ++i) {
      const double x = scores[i] / scale;
      const double z = a * x + b;
      const double p = common::expit(-z);       // predicted P(y = 1)
      const double r = w(i) * (target(i) - p);  // d loss / d z
      const double h = w(i) * p * (1 - p);
      ga += r * x;
      gb += r;
      haa += h * x * x;
      hab += h * x;
      hbb += h;
    }
    if (std::max(std::abs(ga), std::abs(gb)) <= 1e-13 * total_w) break;
    // Levenberg-style safeguard for a (near) singular Hessian (all scores equal).
    const double ridge = 1e-12 * (haa + hbb) + 1e-300;
    haa += ridge;
    hbb += ridge;
    const double det = haa * hbb - hab * hab;
    const double da = -(hbb * ga - hab * gb) / det;
    const double db = -(haa * gb - hab * ga) / det;
    const double slope = ga * da + gb * db;
    double step = 1.0;
    double f_new = loss(a + da, b + db);
    while (!(f_new <= f + 1e-4 * step * slope) && step > 1e-10) {
      step *= 0.5;
      f_new = loss(a + step * da, b + step * db);
    }
    if (!(f_new <= f)) break;  // no further progress possible in floating point
    a += step * da;
    b += step * db;
    const bool tiny = std::abs(step * da) <= 1e-15 * (1 + std::abs(a)) &&
                      std::abs(step * db) <= 1e-15 * (1 + std::abs(b));
    f = f_new;
    if (tiny) {
      ++it;
      break;
    }
  }
  a_ = a / scale;
  b_ = b;
  n_iter_ = it;
  fitted_ = true;
  return *this;
}

Vector PlattCalibrator::transform(const VectorRef& scores) const {
  CHURN_CHECK(fitted_, NotFittedError, "PlattCalibrator::transform(): call fit() first");
  check_scores("PlattCalibrator::transform()", scores);
  Vector p(scores.size());
  for (Index i = 0; i < scores.size(); ++i) p[i] = common::expit(-(a_ * scores[i] + b_));
  return p;
}

double PlattCalibrator::a() const {
  CHURN_CHECK(fitted_, NotFittedError, "PlattCalibrator::a(): call fit() first");
  return a_;
}

double PlattCalibrator::b() const {
  CHURN_CHECK(fitted_, NotFittedError, "PlattCalibrator::b(): call fit() first");
  return b_;
}

Json PlattCalibrator::to_json() const {
  CHURN_CHECK(fitted_, NotFittedError, "PlattCalibrator::to_json(): call fit() first");
  return make_envelope("PlattCalibrator", Json::object(),
                       Json{{"a", a_}, {"b", b_}, {"n_iter", n_iter_}});
}

PlattCalibrator PlattCalibrator::from_json(const Json& doc) {
  const Json& d = open_envelope(doc, "PlattCalibrator");
  const char* where = "PlattCalibrator state";
  const Json& state = d["state"];
  PlattCalibrator c;
  c.a_ = json_get<double>(state, "a", where);
  c.b_ = json_get<double>(state, "b", where);
  c.n_iter_ = json_get<int>(state, "n_iter", where);
  CHURN_CHECK(std::isfinite(c.a_) && std::isfinite(c.b_), SerializationError,
              where << ": a and b must be finite");
  c.fitted_ = true;
  return c;
}

// ---- IsotonicCalibrator -----------------------------------------------------------------------

IsotonicCalibrator& IsotonicCalibrator::fit(const VectorRef& scores, const VectorRef& y,
                                            const VectorRef& sample_weight) {
  const char* caller = "IsotonicCalibrator::fit()";
  detail::check_inputs(caller, y, scores, sample_weight, false, 0);
  const bool weighted = sample_weight.size() > 0;
  std::vector<Index> rows;
  rows.reserve(static_cast<std::size_t>(y.size()));
  for (Index i = 0; i < y.size(); ++i) {
    if (!weighted || sample_weight[i] > 0) rows.push_back(i);
  }
  std::sort(rows.begin(), rows.end(), [&](Index l, Index r) {
    return scores[l] != scores[r] ? scores[l] < scores[r] : y[l] < y[r];
  });
  // Pool equal scores: weighted mean label, summed weight.
  std::vector<double> xs, ys, ws;
  for (std::size_t k = 0; k < rows.size();) {
    const double x = scores[rows[k]];
    double sw = 0, swy = 0;
    for (; k < rows.size() && scores[rows[k]] == x; ++k) {
      const double wi = weighted ? sample_weight[rows[k]] : 1.0;
      sw += wi;
      swy += wi * y[rows[k]];
    }
    xs.push_back(x);
    ys.push_back(swy / sw);
    ws.push_back(sw);
  }
  // Pool adjacent violators (single pass with backtracking; blocks [i..j] have target[i] = j
  // and target[j] = i).
  const std::size_t n = ys.size();
  std::vector<std::size_t> target(n);
  std::iota(target.begin(), target.end(), std::size_t{0});
  std::size_t i = 0;
  while (i < n) {
    std::size_t k = target[i] + 1;
    if (k == n) break;
    if (ys[i] < ys[k]) {
      i = k;
      continue;
    }
    double sum_wy = ws[i] * ys[i];
    double sum_w = ws[i];
    while (true) {
      const double prev_y = ys[k];
      sum_wy += ws[k] * ys[k];
      sum_w += ws[k];
      k = target[k] + 1;
      if (k == n || prev_y < ys[k]) {
        ys[i] = sum_wy / sum_w;
        ws[i] = sum_w;
        target[i] = k - 1;
        target[k - 1] = i;
        if (i > 0) i = target[i - 1];
        break;
      }
    }
  }
  for (i = 0; i < n;) {
    const std::size_t k = target[i] + 1;
    for (std::size_t j = i + 1; j < k; ++j) ys[j] = ys[i];
    i = k;
  }
  // Keep the ends and every point whose value differs from a neighbour's.
  x_.clear();
  y_.clear();
  for (std::size_t j = 0; j < n; ++j) {
    if (j == 0 || j + 1 == n || ys[j] != ys[j - 1] || ys[j] != ys[j + 1]) {
      x_.push_back(xs[j]);
      y_.push_back(ys[j]);
    }
  }
  return *this;
}

Vector IsotonicCalibrator::transform(const VectorRef& scores) const {
  CHURN_CHECK(is_fitted(), NotFittedError, "IsotonicCalibrator::transform(): call fit() first");
  check_scores("IsotonicCalibrator::transform()", scores);
  Vector p(scores.size());
  const std::size_t m = x_.size();
  for (Index r = 0; r < scores.size(); ++r) {
    if (m == 1) {
      p[r] = y_[0];
      continue;
    }
    const double t = std::min(std::max(scores[r], x_.front()), x_.back());
    if (t >= x_.back()) {
      p[r] = y_.back();
      continue;
    }
    const auto j =
        static_cast<std::size_t>(std::upper_bound(x_.begin(), x_.end(), t) - x_.begin()) - 1;
    const double slope = (y_[j + 1] - y_[j]) / (x_[j + 1] - x_[j]);
    p[r] = slope * (t - x_[j]) + y_[j];
  }
  return p;
}

const std::vector<double>& IsotonicCalibrator::x_thresholds() const {
  CHURN_CHECK(is_fitted(), NotFittedError, "IsotonicCalibrator: call fit() first");
  return x_;
}

const std::vector<double>& IsotonicCalibrator::y_thresholds() const {
  CHURN_CHECK(is_fitted(), NotFittedError, "IsotonicCalibrator: call fit() first");
  return y_;
}

Json IsotonicCalibrator::to_json() const {
  CHURN_CHECK(is_fitted(), NotFittedError, "IsotonicCalibrator::to_json(): call fit() first");
  return make_envelope("IsotonicCalibrator", Json{{"increasing", true}, {"out_of_bounds", "clip"}},
                       Json{{"x", x_}, {"y", y_}});
}

IsotonicCalibrator IsotonicCalibrator::from_json(const Json& doc) {
  const Json& d = open_envelope(doc, "IsotonicCalibrator");
  const char* where = "IsotonicCalibrator state";
  const Json& state = d["state"];
  IsotonicCalibrator c;
  c.x_ = json_get<std::vector<double>>(state, "x", where);
  c.y_ = json_get<std::vector<double>>(state, "y", where);
  CHURN_CHECK(!c.x_.empty() && c.x_.size() == c.y_.size(), SerializationError,
              where << ": x and y must be non-empty and of equal length");
  for (std::size_t k = 0; k < c.x_.size(); ++k) {
    CHURN_CHECK(std::isfinite(c.x_[k]) && std::isfinite(c.y_[k]), SerializationError,
                where << ": non-finite value at point " << k);
    CHURN_CHECK(
        k == 0 || (c.x_[k] > c.x_[k - 1] && c.y_[k] >= c.y_[k - 1]), SerializationError,
        where << ": points must have increasing x and non-decreasing y (point " << k << ")");
  }
  return c;
}

// ---- Calibrator -------------------------------------------------------------------------------

namespace {

/// The method names of scikit-learn's CalibratedClassifierCV.
constexpr common::EnumName<CalibrationMethod> kMethodNames[] = {
    {CalibrationMethod::Sigmoid, "sigmoid"}, {CalibrationMethod::Isotonic, "isotonic"}};

}  // namespace

const char* calibration_method_name(CalibrationMethod method) {
  return common::enum_name(kMethodNames, method);
}

CalibrationMethod calibration_method_from_name(const std::string& name) {
  return common::enum_from_name(kMethodNames, name, "", "calibration method");
}

Calibrator::Calibrator(PlattCalibrator platt) : impl_(std::move(platt)) {
  CHURN_CHECK(std::get<PlattCalibrator>(impl_).is_fitted(), NotFittedError,
              "Calibrator: the PlattCalibrator is not fitted; call fit() first");
}

Calibrator::Calibrator(IsotonicCalibrator isotonic) : impl_(std::move(isotonic)) {
  CHURN_CHECK(std::get<IsotonicCalibrator>(impl_).is_fitted(), NotFittedError,
              "Calibrator: the IsotonicCalibrator is not fitted; call fit() first");
}

Calibrator Calibrator::fit(CalibrationMethod method, const VectorRef& scores, const VectorRef& y,
                           const VectorRef& sample_weight) {
  if (method == CalibrationMethod::Sigmoid) {
    PlattCalibrator c;
    c.fit(scores, y, sample_weight);
    return Calibrator(std::move(c));
  }
  IsotonicCalibrator c;
  c.fit(scores, y, sample_weight);
  return Calibrator(std::move(c));
}

Vector Calibrator::transform(const VectorRef& scores) const {
  return std::visit([&](const auto& c) { return c.transform(scores); }, impl_);
}

CalibrationMethod Calibrator::method() const {
  return std::holds_alternative<PlattCalibrator>(impl_) ? CalibrationMethod::Sigmoid
                                                        : CalibrationMethod::Isotonic;
}

Json Calibrator::to_json() const {
  return std::visit([](const auto& c) { return c.to_json(); }, impl_);
}

Calibrator Calibrator::from_json(const Json& doc) {
  const bool has_kind = doc.is_object() && doc.contains("kind") && doc["kind"].is_string();
  CHURN_CHECK(has_kind, SerializationError,
              "Calibrator: expected a PlattCalibrator or IsotonicCalibrator envelope");
  const auto kind = doc["kind"].get<std::string>();
  if (kind == "IsotonicCalibrator") return Calibrator(IsotonicCalibrator::from_json(doc));
  CHURN_CHECK(
      kind == "PlattCalibrator", SerializationError,
      "Calibrator: expected kind PlattCalibrator or IsotonicCalibrator, got '" << kind << "'");
  return Calibrator(PlattCalibrator::from_json(doc));
}

}  // namespace churn::metrics
