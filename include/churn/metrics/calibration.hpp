#pragma once
/// @file calibration.hpp
/// Probability calibration fitted on held-out scores: Platt scaling (a sigmoid of the score)
/// and isotonic regression. Both are saved in the churnlib JSON envelope, next to the model
/// whose scores they calibrate.

#include <string>   // std::string
#include <variant>  // std::variant
#include <vector>   // std::vector

#include "churn/core/json.hpp"
#include "churn/core/types.hpp"

namespace churn::metrics {

/// Platt scaling: `p = 1 / (1 + exp(a * score + b))`, with `a` and `b` minimising the
/// (weighted) log-loss against Platt's smoothed targets `(N+ + 1) / (N+ + 2)` for label 1 and
/// `1 / (N- + 2)` for label 0: the model of scikit-learn's `CalibratedClassifierCV(method=
/// "sigmoid")` (`_sigmoid_calibration`), fitted here by Newton's method to full precision.
/// @code
/// churn::metrics::PlattCalibrator cal;
/// cal.fit(held_out_scores, held_out_y);
/// churn::Vector p = cal.transform(new_scores);
/// churn::save_json_file(cal.to_json(), "platt.json");
/// @endcode
///
/// Thread safety: the const members (transform, to_json, accessors) may run concurrently on one
/// object from any number of threads; fit need exclusive access. Distinct objects are independent.
class PlattCalibrator {
 public:
  /// Fits `a` and `b` on `scores` (any finite values: probabilities or decision values) and
  /// labels `y` (0/1), optionally weighted. Returns `*this`.
  /// @throws InvalidArgument for the input errors of classification.hpp.
  PlattCalibrator& fit(const VectorRef& scores, const VectorRef& y,
                       const VectorRef& sample_weight = Vector());
  /// Calibrated probabilities of `scores`. @throws NotFittedError before fit();
  /// InvalidArgument for NaN scores.
  Vector transform(const VectorRef& scores) const;

  bool is_fitted() const { return fitted_; }
  /// Slope (usually negative: higher score, higher probability). @throws NotFittedError.
  double a() const;
  /// Intercept. @throws NotFittedError.
  double b() const;
  /// Newton iterations the fit took.
  int n_iter() const { return n_iter_; }

  /// The envelope `{kind: "PlattCalibrator", state: {a, b, n_iter}}`.
  /// @throws NotFittedError before fit().
  Json to_json() const;
  /// Inverse of to_json(). @throws SerializationError for a damaged or foreign document.
  static PlattCalibrator from_json(const Json& doc);

 private:
  bool fitted_ = false;
  double a_ = 0;
  double b_ = 0;
  int n_iter_ = 0;
};

/// Isotonic calibration: the non-decreasing step-linear map of the score that minimises the
/// (weighted) squared error to the labels (pool-adjacent-violators). As scikit-learn's
/// `IsotonicRegression(increasing=True, out_of_bounds="clip")`: rows with zero weight are
/// ignored, equal scores are pooled first, predictions interpolate linearly between the fitted
/// points and scores outside the fitted range are clipped to it.
/// @code
/// churn::metrics::IsotonicCalibrator iso;
/// churn::Vector p = iso.fit(held_out_scores, held_out_y).transform(new_scores);
/// @endcode
///
/// Thread safety: the const members (transform, to_json, accessors) may run concurrently on one
/// object from any number of threads; fit need exclusive access. Distinct objects are independent.
class IsotonicCalibrator {
 public:
  /// Fits on `scores` (finite) and labels `y` (0/1). Returns `*this`.
  /// @throws InvalidArgument for the input errors of classification.hpp.
  IsotonicCalibrator& fit(const VectorRef& scores, const VectorRef& y,
                          const VectorRef& sample_weight = Vector());
  /// Calibrated probabilities. @throws NotFittedError before fit(); InvalidArgument for NaN.
  Vector transform(const VectorRef& scores) const;

  bool is_fitted() const { return !x_.empty(); }
  /// Scores of the fitted points, increasing. @throws NotFittedError.
  const std::vector<double>& x_thresholds() const;
  /// Fitted values at x_thresholds(), non-decreasing. @throws NotFittedError.
  const std::vector<double>& y_thresholds() const;

  /// The envelope `{kind: "IsotonicCalibrator", state: {x, y}}`. @throws NotFittedError.
  Json to_json() const;
  /// Inverse of to_json(). @throws SerializationError for a damaged or foreign document.
  static IsotonicCalibrator from_json(const Json& doc);

 private:
  std::vector<double> x_;
  std::vector<double> y_;
};

/// The calibration method of a Calibrator.
enum class CalibrationMethod {
  Sigmoid,   ///< Platt scaling (PlattCalibrator).
  Isotonic,  ///< Isotonic regression (IsotonicCalibrator).
};

/// Name of a method: "sigmoid" or "isotonic" (scikit-learn's names).
const char* calibration_method_name(CalibrationMethod method);
/// Method from its name. @throws InvalidArgument naming the allowed names.
CalibrationMethod calibration_method_from_name(const std::string& name);

/// A fitted calibrator of either method, as a value: what a model stores when it is calibrated.
/// It knows nothing about the model; it maps the model's held-out scores (decision values or
/// probabilities) to calibrated probabilities of class 1. A Calibrator is always fitted.
/// @code
/// auto cal = churn::metrics::Calibrator::fit(churn::metrics::CalibrationMethod::Isotonic,
///                                           held_out_scores, held_out_y);
/// churn::Vector p = cal.transform(new_scores);
/// auto back = churn::metrics::Calibrator::from_json(cal.to_json());
/// @endcode
///
/// Thread safety: the const members (transform, to_json, accessors) may run concurrently on one
/// object from any number of threads; fit need exclusive access. Distinct objects are independent.
class Calibrator {
 public:
  /// Fits a calibrator of `method` on `scores`, labels `y` (0/1) and optional weights: exactly
  /// PlattCalibrator().fit(...) or IsotonicCalibrator().fit(...).
  /// @throws InvalidArgument for the input errors of classification.hpp.
  static Calibrator fit(CalibrationMethod method, const VectorRef& scores, const VectorRef& y,
                        const VectorRef& sample_weight = Vector());
  /// Wraps a fitted PlattCalibrator. @throws NotFittedError if it is not fitted.
  explicit Calibrator(PlattCalibrator platt);
  /// Wraps a fitted IsotonicCalibrator. @throws NotFittedError if it is not fitted.
  explicit Calibrator(IsotonicCalibrator isotonic);

  /// Calibrated probabilities of class 1. Thread-safe. @throws InvalidArgument for NaN scores.
  Vector transform(const VectorRef& scores) const;
  /// Which calibrator this holds.
  CalibrationMethod method() const;
  /// The Platt calibrator, or nullptr when method() is Isotonic.
  const PlattCalibrator* platt() const { return std::get_if<PlattCalibrator>(&impl_); }
  /// The isotonic calibrator, or nullptr when method() is Sigmoid.
  const IsotonicCalibrator* isotonic() const { return std::get_if<IsotonicCalibrator>(&impl_); }

  /// The held calibrator's own envelope (kind "PlattCalibrator" or "IsotonicCalibrator").
  Json to_json() const;
  /// Inverse of to_json(): the kind selects the method.
  /// @throws SerializationError for a damaged document or another kind.
  static Calibrator from_json(const Json& doc);

 private:
  std::variant<PlattCalibrator, IsotonicCalibrator> impl_;
};

}  // namespace churn::metrics
