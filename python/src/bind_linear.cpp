// Bindings of include/churn/linear: the compiled core of churnlib.LogisticRegression
// (python/churnlib/linear.py wraps it in the scikit-learn idiom).
#include <pybind11/eigen.h>  // Eigen::Ref <-> numpy (no copy for C-ordered float64)
#include <pybind11/stl.h>    // std::vector<std::string> <-> list

#include <string>   // std::string
#include <utility>  // std::move
#include <vector>   // std::vector

#include "bindings.hpp"
#include "churn/core/error.hpp"
#include "churn/core/json.hpp"
#include "churn/linear/logistic.hpp"
#include "interrupt.hpp"

namespace churn::python {

using linear::ClassWeightMode;
using linear::LogisticRegression;
using linear::LogisticRegressionParams;
using linear::penalty_from_name;
using linear::solver_from_name;

namespace {

/// None, "balanced" or a dict {0: w0, 1: w1} (missing classes weigh 1).
void set_class_weight(LogisticRegressionParams& p, const py::object& cw) {
  if (cw.is_none()) {
    p.class_weight = ClassWeightMode::None;
    return;
  }
  if (py::isinstance<py::str>(cw)) {
    const auto s = cw.cast<std::string>();
    CHURN_CHECK(s == "balanced", InvalidArgument,
                "LogisticRegression: class_weight must be None, 'balanced' or a dict {0: w0, 1: "
                "w1}, got '"
                    << s << "'");
    p.class_weight = ClassWeightMode::Balanced;
    return;
  }
  CHURN_CHECK(py::isinstance<py::dict>(cw), TypeMismatch,
              "LogisticRegression: class_weight must be None, 'balanced' or a dict {0: w0, 1: w1}, "
              "got "
                  << py::repr(cw).cast<std::string>());
  p.class_weight = ClassWeightMode::Custom;
  p.class_weight_0 = p.class_weight_1 = 1.0;
  for (const auto& item : cw.cast<py::dict>()) {
    const py::handle key = item.first;
    const bool is_int =
        (PyLong_Check(key.ptr()) != 0) || py::isinstance(key, numpy().attr("integer"));
    CHURN_CHECK(is_int, InvalidArgument,
                "LogisticRegression: class_weight keys must be the classes 0 and 1, got "
                    << py::repr(key).cast<std::string>());
    const auto label = key.cast<long long>();
    CHURN_CHECK(label == 0 || label == 1, InvalidArgument,
                "LogisticRegression: class_weight keys must be the classes 0 and 1, got " << label);
    const py::handle value = item.second;
    CHURN_CHECK(PyFloat_Check(value.ptr()) || PyLong_Check(value.ptr()) ||
                    py::isinstance(value, numpy().attr("number")),
                TypeMismatch,
                "LogisticRegression: class_weight values must be numbers, got "
                    << py::repr(value).cast<std::string>());
    (label == 0 ? p.class_weight_0 : p.class_weight_1) = value.cast<double>();
  }
}

py::object class_weight_object(const LogisticRegressionParams& p) {
  switch (p.class_weight) {
    case ClassWeightMode::None: return py::none();
    case ClassWeightMode::Balanced: return py::str("balanced");
    case ClassWeightMode::Custom: {
      py::dict d;
      d[py::int_(0)] = p.class_weight_0;
      d[py::int_(1)] = p.class_weight_1;
      return std::move(d);
    }
  }
  return py::none();
}

LogisticRegressionParams make_params(const std::string& penalty, double C, double l1_ratio,
                                     bool fit_intercept, int max_iter, double tol,
                                     const py::object& class_weight, const std::string& solver,
                                     int n_threads) {
  LogisticRegressionParams p;
  p.penalty = penalty_from_name(penalty);
  p.C = C;
  p.l1_ratio = l1_ratio;
  p.fit_intercept = fit_intercept;
  p.max_iter = max_iter;
  p.tol = tol;
  set_class_weight(p, class_weight);
  p.solver = solver_from_name(solver);
  p.n_threads = n_threads;
  p.validate();
  return p;
}

}  // namespace

void bind_linear(py::module_& m) {
  using LR = LogisticRegression;
  py::class_<LR> cls(m, "_LogisticRegression", R"doc(
Compiled core of churnlib.LogisticRegression (use that class; this one takes already
validated arguments and returns P(class 1) only).
)doc");
  def_class_labels(cls)
      .def(py::init([](const std::string& penalty, double C, double l1_ratio, bool fit_intercept,
                       int max_iter, double tol, const py::object& class_weight,
                       const std::string& solver, int n_threads) {
             return LR(make_params(penalty, C, l1_ratio, fit_intercept, max_iter, tol, class_weight,
                                   solver, n_threads));
           }),
           py::arg("penalty"), py::arg("C"), py::arg("l1_ratio"), py::arg("fit_intercept"),
           py::arg("max_iter"), py::arg("tol"), py::arg("class_weight"), py::arg("solver"),
           py::arg("n_threads"))
      .def(
          "fit",
          [](LR& self, const RowMatrixRef& X, const VectorRef& y, const VectorRef& sample_weight,
             const std::vector<std::string>& feature_names) -> LR& {
            run_interruptible([&] {
              FitOptions options;
              options.sample_weight = sample_weight;
              options.feature_names = feature_names;
              self.fit(X, y, options);
            });
            return self;
          },
          py::arg("X"), py::arg("y"), py::arg("sample_weight"), py::arg("feature_names"),
          py::return_value_policy::reference)
      .def(
          "predict_proba",
          [](const LR& self, const RowMatrixRef& X) {
            py::gil_scoped_release release;
            return self.predict_proba(X);
          },
          py::arg("X"))
      .def(
          "calibrate",
          [](LR& self, const RowMatrixRef& X, const VectorRef& y, const std::string& method,
             const VectorRef& sample_weight) -> LR& {
            const auto how = metrics::calibration_method_from_name(method);
            py::gil_scoped_release release;
            return self.calibrate(X, y, how, sample_weight);
          },
          py::arg("X"), py::arg("y"), py::arg("method"), py::arg("sample_weight"),
          py::return_value_policy::reference)
      .def(
          "predict_proba_uncalibrated",
          [](const LR& self, const RowMatrixRef& X) {
            py::gil_scoped_release release;
            return self.predict_proba_uncalibrated(X);
          },
          py::arg("X"))
      .def(
          "decision_function",
          [](const LR& self, const RowMatrixRef& X) {
            py::gil_scoped_release release;
            return self.decision_function(X);
          },
          py::arg("X"))
      .def(
          "objective",
          [](const LR& self, const RowMatrixRef& X, const VectorRef& y,
             const VectorRef& sample_weight, const VectorRef& coef, double intercept) {
            py::gil_scoped_release release;
            return self.objective(X, y, sample_weight, coef, intercept);
          },
          py::arg("X"), py::arg("y"), py::arg("sample_weight"), py::arg("coef"),
          py::arg("intercept"))
      .def_property_readonly("is_fitted", &LR::is_fitted)
      .def_property_readonly("is_calibrated", &LR::is_calibrated)
      .def_property_readonly("calibrator_json",
                             [](const LR& self) -> py::object {
                               if (!self.is_calibrated()) return py::none();
                               return py::str(self.calibrator().to_json().dump());
                             })
      .def_property_readonly("calibrator_kind",
                             [](const LR& self) -> py::object {
                               if (!self.is_calibrated()) return py::none();
                               return py::str(self.calibrator().to_json().at("kind"));
                             })
      .def_property_readonly(
          "params", [](const LR& self) { return json_to_python(self.params().to_json()); },
          "The hyper-parameters as a dict (the `params` object of a saved model).")
      .def_property_readonly("coef", [](const LR& self) { return Vector(self.coef()); })
      .def_property_readonly("intercept", &LR::intercept)
      .def_property_readonly("n_features", &LR::n_features)
      .def_property_readonly("feature_names", &LR::feature_names)
      .def_property_readonly("n_iter", &LR::n_iter)
      .def_property_readonly("converged", &LR::converged)
      .def_property_readonly("warning", &LR::warning)
      .def_property_readonly("solver_used",
                             [](const LR& self) { return solver_name(self.solver_used()); })
      .def_property_readonly("class_weight",
                             [](const LR& self) { return class_weight_object(self.params()); })
      .def("to_json", [](const LR& self) { return self.to_json().dump(); })
      .def_static(
          "from_json",
          [](const std::string& text) {
            Json doc;
            try {
              doc = parse_json(text, "LogisticRegression JSON");
            } catch (const nlohmann::json::exception& e) {  // e.g. a number out of range
              CHURN_THROW(SerializationError, "LogisticRegression JSON is not valid: " << e.what());
            }
            return LR::from_json(doc);
          },
          py::arg("text"))
      .def("save", &LR::save, py::arg("path"))
      .def_static("load", &LR::load, py::arg("path"));
}

}  // namespace churn::python
