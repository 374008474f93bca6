// Bindings of include/churn/metrics into the submodule churnlib._core._metrics
// (python/churnlib/metrics.py re-exports them as churnlib.metrics, with pure-Python helpers).
// Every computation runs with the GIL released; 1-D float64 C-contiguous arrays are read in
// place (other dtypes are converted once).
#include <pybind11/stl.h>  // std::optional, std::vector, std::string

#include <optional>  // std::optional
#include <string>    // std::string
#include <utility>   // std::move
#include <vector>    // std::vector

#include "bindings.hpp"
#include "churn/core/error.hpp"
#include "churn/core/json.hpp"
#include "churn/metrics/calibration.hpp"
#include "churn/metrics/classification.hpp"
#include "churn/metrics/cross_validate.hpp"
#include "churn/metrics/curves.hpp"
#include "churn/metrics/split.hpp"
#include "churn/metrics/threshold.hpp"

namespace churn::python {

namespace {

namespace m = churn::metrics;

using Arr = py::array_t<double, py::array::c_style | py::array::forcecast>;
using OptArr = std::optional<Arr>;
using Int64Arr = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>;
using VecMap = Eigen::Map<const Vector>;

/// A read-only view of a 1-D array. @throws InvalidArgument for another number of dimensions.
VecMap view(const Arr& a, const char* what) {
  CHURN_CHECK(a.ndim() == 1, InvalidArgument,
              what << " must be 1-D, got " << a.ndim() << " dimension(s)");
  return VecMap(a.data(), static_cast<Index>(a.shape(0)));
}

/// The weights, or an empty vector for None.
VecMap weights(const OptArr& w) {
  if (!w) return VecMap(nullptr, 0);
  return view(*w, "sample_weight");
}

py::array_t<double> to_numpy(const Vector& v) {
  py::array_t<double> out(static_cast<py::ssize_t>(v.size()));
  std::copy(v.data(), v.data() + v.size(), out.mutable_data());
  return out;
}

py::array_t<std::int64_t> to_numpy(const std::vector<Index>& v) {
  py::array_t<std::int64_t> out(static_cast<py::ssize_t>(v.size()));
  std::copy(v.begin(), v.end(), out.mutable_data());
  return out;
}

py::array_t<std::int64_t> to_numpy(const Int64Vector& v) {
  py::array_t<std::int64_t> out(static_cast<py::ssize_t>(v.size()));
  std::copy(v.data(), v.data() + v.size(), out.mutable_data());
  return out;
}

/// Binds a ranking / probability metric `f(y, s, w, n_threads)`.
template <class F>
void def_scalar(py::module_& mod, const char* name, F f, const char* score_name, const char* doc) {
  mod.def(
      name,
      [f](const Arr& y, const Arr& s, const OptArr& w, NThreads n_threads) {
        const VecMap yv = view(y, "y_true");
        const VecMap sv = view(s, "score");
        const VecMap wv = weights(w);
        py::gil_scoped_release release;
        return f(yv, sv, wv, n_threads);
      },
      py::arg("y_true"), py::arg(score_name), py::kw_only(), py::arg("sample_weight") = py::none(),
      py::arg("n_threads") = 0, doc);
}

/// Binds a thresholded metric `f(y, s, threshold, w)`.
template <class F>
void def_thresholded(py::module_& mod, const char* name, F f, const char* doc) {
  mod.def(
      name,
      [f](const Arr& y, const Arr& s, double threshold, const OptArr& w) {
        const VecMap yv = view(y, "y_true");
        const VecMap sv = view(s, "y_score");
        const VecMap wv = weights(w);
        py::gil_scoped_release release;
        return f(yv, sv, threshold, wv);
      },
      py::arg("y_true"), py::arg("y_score"), py::arg("threshold") = 0.5, py::kw_only(),
      py::arg("sample_weight") = py::none(), doc);
}

/// What PlattCalibrator and IsotonicCalibrator share in Python: construction, fit (GIL released),
/// transform, is_fitted, JSON text and pickling (through the JSON envelope).
template <class Cal>
void def_calibrator_common(py::class_<Cal>& cls, const char* name) {
  const std::string json_what = std::string(name) + " JSON";
  const std::string pickle_error = std::string(name) + ": malformed pickle state";
  cls.def(py::init<>())
      .def(
          "fit",
          [](py::object self, const Arr& s, const Arr& y, const OptArr& w) {
            auto& c = self.cast<Cal&>();
            const VecMap sv = view(s, "scores");
            const VecMap yv = view(y, "y");
            const VecMap wv = weights(w);
            {
              py::gil_scoped_release release;
              c.fit(sv, yv, wv);
            }
            return self;
          },
          py::arg("scores"), py::arg("y"), py::arg("sample_weight") = py::none(),
          "Fits on held-out scores and 0/1 labels; returns self.")
      .def(
          "transform",
          [](const Cal& c, const Arr& s) {
            const VecMap sv = view(s, "scores");
            Vector p;
            {
              py::gil_scoped_release release;
              p = c.transform(sv);
            }
            return to_numpy(p);
          },
          py::arg("scores"), "Calibrated probabilities of class 1.")
      .def_property_readonly("is_fitted", &Cal::is_fitted)
      .def(
          "to_json", [](const Cal& c) { return c.to_json().dump(); },
          "The churnlib JSON envelope as a string.")
      .def_static(
          "from_json",
          [json_what](const std::string& text) {
            return Cal::from_json(parse_json(text, json_what));
          },
          py::arg("text"))
      .def(py::pickle(
          [](const Cal& c) {
            // A one-element tuple: pickle skips __setstate__ for a falsy state such as None.
            return py::make_tuple(c.is_fitted() ? py::object(py::str(c.to_json().dump()))
                                                : py::object(py::none()));
          },
          [pickle_error](const py::tuple& state) {
            CHURN_CHECK(state.size() == 1, SerializationError, pickle_error);
            if (state[0].is_none()) return Cal();
            return Cal::from_json(parse_json(state[0].cast<std::string>()));
          }));
}

py::list folds_to_list(const std::vector<m::Fold>& folds) {
  py::list out;
  for (const auto& f : folds) out.append(py::make_tuple(to_numpy(f.train), to_numpy(f.test)));
  return out;
}

constexpr const char* kInputNotes = R"doc(
Labels are 0/1 (1 = churned); ``sample_weight`` is None or one finite weight >= 0 per row.
Raises churnlib.InvalidArgument (a ValueError) for empty input, mismatched lengths, NaN or
infinite scores, other labels or bad weights.)doc";

std::string doc(const char* head) {
  return std::string(head) + kInputNotes;
}

/// roc_auc, average_precision, ks_statistic: ranking metrics `f(y, y_score)`.
void bind_ranking_metrics(py::module_& mod) {
  static const std::string d_auc = doc(R"doc(Area under the ROC curve (ties count 1/2, exactly).

Parameters
----------
y_true : array-like of shape (n,)
y_score : array-like of shape (n,)
    Any finite scores; higher means more likely to churn.
sample_weight : array-like of shape (n,), optional
n_threads : int, default 0 (all cores)

Returns
-------
float
    Equal to ``sklearn.metrics.roc_auc_score``. Raises InvalidArgument when ``y_true`` holds one
    class only (undefined).
)doc");
  def_scalar(
      mod, "roc_auc",
      [](const VectorRef& y, const VectorRef& s, const VectorRef& w, int t) {
        return m::roc_auc(y, s, w, t);
      },
      "y_score", d_auc.c_str());
  static const std::string d_ap =
      doc(R"doc(Average precision (area under the precision-recall curve, step sum).

Equal to ``sklearn.metrics.average_precision_score``; raises InvalidArgument without positives.

Returns
-------
float
)doc");
  def_scalar(
      mod, "average_precision",
      [](const VectorRef& y, const VectorRef& s, const VectorRef& w, int t) {
        return m::average_precision(y, s, w, t);
      },
      "y_score", d_ap.c_str());
  static const std::string d_ks =
      doc(R"doc(Kolmogorov-Smirnov statistic: max over thresholds of |TPR - FPR|.

Returns
-------
float
)doc");
  def_scalar(
      mod, "ks_statistic",
      [](const VectorRef& y, const VectorRef& s, const VectorRef& w, int t) {
        return m::ks_statistic(y, s, w, t);
      },
      "y_score", d_ks.c_str());
}

/// log_loss, brier_score: metrics of probabilities `f(y, y_prob)`.
void bind_probability_metrics(py::module_& mod) {
  static const std::string d_ll = doc(R"doc(Mean log-loss of probabilities of class 1.

Probabilities are clipped to [eps, 1 - eps], eps = 2.22e-16, as scikit-learn's ``log_loss``.
Raises InvalidArgument for probabilities outside [0, 1].

Returns
-------
float
)doc");
  def_scalar(
      mod, "log_loss",
      [](const VectorRef& y, const VectorRef& s, const VectorRef& w, int t) {
        return m::log_loss(y, s, w, t);
      },
      "y_prob", d_ll.c_str());
  static const std::string d_brier =
      doc(R"doc(Brier score: mean squared difference between probability and label.

Returns
-------
float
)doc");
  def_scalar(
      mod, "brier_score",
      [](const VectorRef& y, const VectorRef& s, const VectorRef& w, int t) {
        return m::brier_score(y, s, w, t);
      },
      "y_prob", d_brier.c_str());
}

/// accuracy, precision, recall, f1, confusion_matrix of `y_score >= threshold`.
void bind_thresholded_metrics(py::module_& mod) {
  static const std::string d_acc =
      doc(R"doc(Accuracy of the prediction ``y_score >= threshold`` (threshold in [0, 1]).

Returns
-------
float
)doc");
  def_thresholded(
      mod, "accuracy",
      [](const VectorRef& y, const VectorRef& s, double t, const VectorRef& w) {
        return m::accuracy(y, s, t, w);
      },
      d_acc.c_str());
  static const std::string d_prec = doc(
      R"doc(Precision tp / (tp + fp) of ``y_score >= threshold``; 0 when nothing is predicted positive.

Returns
-------
float
)doc");
  def_thresholded(
      mod, "precision",
      [](const VectorRef& y, const VectorRef& s, double t, const VectorRef& w) {
        return m::precision(y, s, t, w);
      },
      d_prec.c_str());
  static const std::string d_rec =
      doc(R"doc(Recall tp / (tp + fn) of ``y_score >= threshold``; 0 without positives.

Returns
-------
float
)doc");
  def_thresholded(
      mod, "recall",
      [](const VectorRef& y, const VectorRef& s, double t, const VectorRef& w) {
        return m::recall(y, s, t, w);
      },
      d_rec.c_str());
  static const std::string d_f1 =
      doc(R"doc(F1 = 2 tp / (2 tp + fp + fn) of ``y_score >= threshold``; 0 when that is 0/0.

Returns
-------
float
)doc");
  def_thresholded(
      mod, "f1",
      [](const VectorRef& y, const VectorRef& s, double t, const VectorRef& w) {
        return m::f1(y, s, t, w);
      },
      d_f1.c_str());
  mod.def(
      "confusion_matrix",
      [](const Arr& y, const Arr& s, double threshold, const OptArr& w) {
        const VecMap yv = view(y, "y_true");
        const VecMap sv = view(s, "y_score");
        const VecMap wv = weights(w);
        m::ConfusionMatrix c;
        {
          py::gil_scoped_release release;
          c = m::confusion_matrix(yv, sv, threshold, wv);
        }
        return py::make_tuple(c.tn, c.fp, c.fn, c.tp);
      },
      py::arg("y_true"), py::arg("y_score"), py::arg("threshold") = 0.5, py::kw_only(),
      py::arg("sample_weight") = py::none(),
      "(tn, fp, fn, tp) of ``y_score >= threshold`` (weighted sums).");
}

/// roc_curve, precision_recall_curve.
void bind_curves(py::module_& mod) {
  mod.def(
      "roc_curve",
      [](const Arr& y, const Arr& s, const OptArr& w, bool drop_intermediate, NThreads n_threads) {
        const VecMap yv = view(y, "y_true");
        const VecMap sv = view(s, "y_score");
        const VecMap wv = weights(w);
        m::RocCurve r;
        {
          py::gil_scoped_release release;
          r = m::roc_curve(yv, sv, wv, drop_intermediate, n_threads);
        }
        return py::make_tuple(to_numpy(r.fpr), to_numpy(r.tpr), to_numpy(r.thresholds));
      },
      py::arg("y_true"), py::arg("y_score"), py::kw_only(), py::arg("sample_weight") = py::none(),
      py::arg("drop_intermediate") = true, py::arg("n_threads") = 0,
      R"doc(ROC curve, same points as ``sklearn.metrics.roc_curve``.

Returns
-------
fpr, tpr, thresholds : numpy.ndarray
    By decreasing threshold; ``thresholds[0]`` is +inf.
)doc");
  mod.def(
      "precision_recall_curve",
      [](const Arr& y, const Arr& s, const OptArr& w, bool drop_intermediate, NThreads n_threads) {
        const VecMap yv = view(y, "y_true");
        const VecMap sv = view(s, "y_score");
        const VecMap wv = weights(w);
        m::PrecisionRecallCurve r;
        {
          py::gil_scoped_release release;
          r = m::precision_recall_curve(yv, sv, wv, drop_intermediate, n_threads);
        }
        return py::make_tuple(to_numpy(r.precision), to_numpy(r.recall), to_numpy(r.thresholds));
      },
      py::arg("y_true"), py::arg("y_score"), py::kw_only(), py::arg("sample_weight") = py::none(),
      py::arg("drop_intermediate") = false, py::arg("n_threads") = 0,
      R"doc(Precision-recall curve, same points as ``sklearn.metrics.precision_recall_curve``.

Returns
-------
precision, recall, thresholds : numpy.ndarray
)doc");
}

/// lift_table, calibration_curve (dicts of arrays).
void bind_binned_tables(py::module_& mod) {
  mod.def(
      "lift_table",
      [](const Arr& y, const Arr& s, Index n_bins) {
        const VecMap yv = view(y, "y_true");
        const VecMap sv = view(s, "y_score");
        m::LiftTable t;
        {
          py::gil_scoped_release release;
          t = m::lift_table(yv, sv, n_bins);
        }
        py::dict d;
        d["customers"] = to_numpy(t.customers);
        d["churners"] = to_numpy(t.churners);
        d["churn_rate"] = to_numpy(t.churn_rate);
        d["lift"] = to_numpy(t.lift);
        d["cumulative_customers"] = to_numpy(t.cumulative_customers);
        d["cumulative_churners"] = to_numpy(t.cumulative_churners);
        d["cumulative_gain"] = to_numpy(t.cumulative_gain);
        d["cumulative_lift"] = to_numpy(t.cumulative_lift);
        d["min_score"] = to_numpy(t.min_score);
        d["max_score"] = to_numpy(t.max_score);
        return d;
      },
      py::arg("y_true"), py::arg("y_score"), py::arg("n_bins") = 10,
      "Columns of the lift table as a dict of arrays (churnlib.metrics.lift_table makes the "
      "DataFrame).");
  mod.def(
      "calibration_curve",
      [](const Arr& y, const Arr& p, Index n_bins, const std::string& strategy) {
        const VecMap yv = view(y, "y_true");
        const VecMap pv = view(p, "y_prob");
        const m::BinStrategy st = m::bin_strategy_from_name(strategy);
        m::CalibrationCurve c;
        {
          py::gil_scoped_release release;
          c = m::calibration_curve(yv, pv, n_bins, st);
        }
        py::dict d;
        d["prob_true"] = to_numpy(c.prob_true);
        d["prob_pred"] = to_numpy(c.prob_pred);
        d["count"] = to_numpy(c.count);
        d["bin_edges"] = to_numpy(c.bin_edges);
        return d;
      },
      py::arg("y_true"), py::arg("y_prob"), py::arg("n_bins") = 5, py::arg("strategy") = "uniform",
      "Calibration curve as a dict of arrays.");
}

/// best_f1_threshold, best_profit_threshold.
void bind_thresholds(py::module_& mod) {
  mod.def(
      "best_f1_threshold",
      [](const Arr& y, const Arr& s, const OptArr& w) {
        const VecMap yv = view(y, "y_true");
        const VecMap sv = view(s, "y_score");
        const VecMap wv = weights(w);
        py::gil_scoped_release release;
        const auto c = m::best_f1_threshold(yv, sv, wv);
        return std::make_tuple(c.threshold, c.value, c.n_targeted);
      },
      py::arg("y_true"), py::arg("y_score"), py::kw_only(), py::arg("sample_weight") = py::none(),
      "(threshold, f1, n_targeted) maximising F1.");
  mod.def(
      "best_profit_threshold",
      [](const Arr& y, const Arr& s, double value_retained, double offer_cost, double success_rate,
         const OptArr& w) {
        const VecMap yv = view(y, "y_true");
        const VecMap sv = view(s, "y_score");
        const VecMap wv = weights(w);
        m::ProfitParams p{value_retained, offer_cost, success_rate};
        py::gil_scoped_release release;
        const auto c = m::best_profit_threshold(yv, sv, p, wv);
        return std::make_tuple(c.threshold, c.value, c.n_targeted);
      },
      py::arg("y_true"), py::arg("y_score"), py::kw_only(), py::arg("value_retained"),
      py::arg("offer_cost"), py::arg("success_rate") = 1.0, py::arg("sample_weight") = py::none(),
      "(threshold, profit, n_targeted) maximising the expected profit.");
}

/// stratified_kfold, time_split, time_series_split.
void bind_splits(py::module_& mod) {
  mod.def(
      "stratified_kfold",
      [](const Arr& y, int n_splits, bool shuffle, std::uint64_t seed) {
        const VecMap yv = view(y, "y");
        std::vector<m::Fold> folds;
        {
          py::gil_scoped_release release;
          folds = m::stratified_kfold(yv, n_splits, shuffle, seed);
        }
        return folds_to_list(folds);
      },
      py::arg("y"), py::arg("n_splits") = 5, py::arg("shuffle") = false, py::arg("seed") = 0,
      "List of (train, test) int64 index arrays.");
  mod.def(
      "time_split",
      [](const Int64Arr& times, std::int64_t cutoff) {
        CHURN_CHECK(times.ndim() == 1, InvalidArgument, "time_split(): times must be 1-D");
        Eigen::Map<const Int64Vector> t(times.data(), static_cast<Index>(times.shape(0)));
        m::Fold f;
        {
          py::gil_scoped_release release;
          f = m::time_split(t, cutoff);
        }
        return py::make_tuple(to_numpy(f.train), to_numpy(f.test));
      },
      py::arg("times"), py::arg("cutoff"), "(train, test) for int64 nanosecond times.");
  mod.def(
      "time_series_split",
      [](const Int64Arr& times, int n_splits) {
        CHURN_CHECK(times.ndim() == 1, InvalidArgument, "time_series_split(): times must be 1-D");
        Eigen::Map<const Int64Vector> t(times.data(), static_cast<Index>(times.shape(0)));
        std::vector<m::Fold> folds;
        {
          py::gil_scoped_release release;
          folds = m::time_series_split(t, n_splits);
        }
        return folds_to_list(folds);
      },
      py::arg("times"), py::arg("n_splits") = 5, "List of (train, test) index arrays.");
}

/// score, metric_names, greater_is_better: the metrics by name (see metric_names()).
void bind_scoring(py::module_& mod) {
  mod.def(
      "score",
      [](const std::string& metric, const Arr& y, const Arr& p, const OptArr& w) {
        const VecMap yv = view(y, "y_true");
        const VecMap pv = view(p, "y_prob");
        const VecMap wv = weights(w);
        py::gil_scoped_release release;
        return m::score(metric, yv, pv, wv);
      },
      py::arg("metric"), py::arg("y_true"), py::arg("y_prob"), py::kw_only(),
      py::arg("sample_weight") = py::none(), "The metric named `metric` (see metric_names()).");
  mod.def("metric_names", &m::metric_names, "Names accepted by score() and cross_validate().");
  mod.def(
      "greater_is_better", [](const std::string& metric) { return m::greater_is_better(metric); },
      py::arg("metric"), "False for log_loss and brier, True for the other metrics.");
}

/// PlattCalibrator, IsotonicCalibrator (shown as churnlib.metrics' classes).
void bind_calibrators(py::module_& mod) {
  py::class_<m::PlattCalibrator> platt(mod, "PlattCalibrator", R"doc(
Platt scaling: ``p = 1 / (1 + exp(a_ * score + b_))`` fitted on held-out scores.

The model of scikit-learn's ``CalibratedClassifierCV(method="sigmoid")`` (Platt's smoothed
targets), fitted by Newton's method to full precision.

Examples
--------
>>> cal = PlattCalibrator().fit(val_scores, y_val)        # doctest: +SKIP
>>> p = cal.transform(test_scores)                         # doctest: +SKIP
)doc");
  def_calibrator_common(platt, "PlattCalibrator");
  platt
      .def_property_readonly("a_", &m::PlattCalibrator::a,
                             "Slope (negative when higher score means churn).")
      .def_property_readonly("b_", &m::PlattCalibrator::b, "Intercept.")
      .def_property_readonly("n_iter_", &m::PlattCalibrator::n_iter);

  py::class_<m::IsotonicCalibrator> isotonic(mod, "IsotonicCalibrator", R"doc(
Isotonic calibration (pool-adjacent-violators), as scikit-learn's
``IsotonicRegression(increasing=True, out_of_bounds="clip")``.

Examples
--------
>>> iso = IsotonicCalibrator().fit(val_scores, y_val)     # doctest: +SKIP
>>> p = iso.transform(test_scores)                         # doctest: +SKIP
)doc");
  def_calibrator_common(isotonic, "IsotonicCalibrator");
  isotonic
      .def_property_readonly(
          "X_thresholds_",
          [](const m::IsotonicCalibrator& c) {
            const auto& x = c.x_thresholds();
            return to_numpy(Vector(VecMap(x.data(), static_cast<Index>(x.size()))));
          })
      .def_property_readonly("y_thresholds_", [](const m::IsotonicCalibrator& c) {
        const auto& y = c.y_thresholds();
        return to_numpy(Vector(VecMap(y.data(), static_cast<Index>(y.size()))));
      });
  for (const char* name : {"PlattCalibrator", "IsotonicCalibrator"}) {
    mod.attr(name).attr("__module__") = "churnlib.metrics";
  }
}

}  // namespace

void bind_metrics(py::module_& parent) {
  py::module_ mod = parent.def_submodule(
      "_metrics", "Compiled metrics (use churnlib.metrics, which re-exports these).");
  bind_ranking_metrics(mod);
  bind_probability_metrics(mod);
  bind_thresholded_metrics(mod);
  bind_curves(mod);
  bind_binned_tables(mod);
  bind_thresholds(mod);
  bind_splits(mod);
  bind_scoring(mod);
  bind_calibrators(mod);
}

}  // namespace churn::python
