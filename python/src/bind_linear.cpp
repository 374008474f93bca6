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

using linear::LogisticRegression;
using linear::LogisticRegressionParams;

namespace {

/// _LogisticRegression: construction from a parameter dict, fit, calibrate, objective.
void def_lr_fitting(py::class_<LogisticRegression>& cls) {
  using LR = LogisticRegression;
  cls.def(py::init([](const py::dict& options, const std::string& caller) {
            return LR(
                LogisticRegressionParams::from_options(python_to_json(options, caller), caller));
          }),
          py::arg("options"), py::arg("caller") = "LogisticRegression",
          "A model with the parameters a dict names (the others keep the C++ defaults); "
          "class_weight as null, 'balanced' or {'0': w0, '1': w1}.")
      .def_static(
          "default_params", [] { return json_to_python(LogisticRegressionParams().to_options()); },
          "The C++ defaults as a dict (the Python signature is checked against it).")
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
          "objective",
          [](const LR& self, const RowMatrixRef& X, const VectorRef& y,
             const VectorRef& sample_weight, const VectorRef& coef, double intercept) {
            py::gil_scoped_release release;
            return self.objective(X, y, sample_weight, coef, intercept);
          },
          py::arg("X"), py::arg("y"), py::arg("sample_weight"), py::arg("coef"),
          py::arg("intercept"));
}

/// _LogisticRegression: the scores (the GIL released).
void def_lr_prediction(py::class_<LogisticRegression>& cls) {
  using LR = LogisticRegression;
  cls.def(
         "predict_proba",
         [](const LR& self, const RowMatrixRef& X) {
           py::gil_scoped_release release;
           return self.predict_proba(X);
         },
         py::arg("X"))
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
          py::arg("X"));
}

/// _LogisticRegression: fitted state, parameters and JSON.
void def_lr_state(py::class_<LogisticRegression>& cls) {
  using LR = LogisticRegression;
  cls.def_property_readonly("is_fitted", &LR::is_fitted)
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
          "params", [](const LR& self) { return json_to_python(self.params().to_options()); },
          "The hyper-parameters as a dict (keyword form: C is a float, class_weight null, "
          "'balanced' or {'0': w0, '1': w1}).")
      .def_property_readonly("coef", [](const LR& self) { return Vector(self.coef()); })
      .def_property_readonly("intercept", &LR::intercept)
      .def_property_readonly("n_features", &LR::n_features)
      .def_property_readonly("feature_names", &LR::feature_names)
      .def_property_readonly("n_iter", &LR::n_iter)
      .def_property_readonly("converged", &LR::converged)
      .def_property_readonly("warning", &LR::warning)
      .def_property_readonly("solver_used",
                             [](const LR& self) { return solver_name(self.solver_used()); })
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

}  // namespace

void bind_linear(py::module_& m) {
  using LR = LogisticRegression;
  py::class_<LR> cls(m, "_LogisticRegression", R"doc(
Compiled core of churnlib.LogisticRegression (use that class; this one takes already
validated arguments and returns P(class 1) only).
)doc");
  def_class_labels(cls);
  def_lr_fitting(cls);
  def_lr_prediction(cls);
  def_lr_state(cls);
}

}  // namespace churn::python
