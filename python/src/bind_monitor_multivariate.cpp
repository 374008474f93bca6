// Bindings of include/churn/monitor/multivariate.hpp (the domain classifier and PCA
// reconstruction-error drift) in the submodule _core._monitor, which bind_monitor.cpp shares;
// python/churnlib/_multivariate.py wraps them (re-exported by churnlib.monitor).
#include <pybind11/eigen.h>  // Eigen <-> numpy
#include <pybind11/stl.h>    // std::vector <-> list

#include <string>   // std::string
#include <utility>  // std::move
#include <vector>   // std::vector

#include "bindings.hpp"
#include "churn/core/error.hpp"
#include "churn/core/json.hpp"
#include "churn/monitor/multivariate.hpp"
#include "churn/monitor/report.hpp"
#include "interrupt.hpp"

namespace churn::python {

namespace {

namespace mon = churn::monitor;

/// domain_classifier_drift, its defaults, the null variance and DomainClassifierResult.
void bind_domain_classifier(py::module_& m) {
  using R = mon::DomainClassifierResult;
  py::class_<R>(m, "DomainClassifierResult")
      .def_readonly("auc", &R::auc)
      .def_readonly("auc_folds", &R::auc_folds)
      .def_readonly("pooled_auc", &R::pooled_auc)
      .def_readonly("z", &R::z)
      .def_readonly("p_value", &R::p_value)
      .def_readonly("alpha", &R::alpha)
      .def_readonly("drifted", &R::drifted)
      .def_readonly("n_reference", &R::n_reference)
      .def_readonly("n_current", &R::n_current)
      .def_readonly("scores", &R::scores)
      .def_property_readonly("features",
                             [](const R& r) {
                               py::list out;
                               for (const auto& f : r.features)
                                 out.append(py::make_tuple(f.feature, f.importance));
                               return out;
                             })
      .def_property_readonly("alerts", [](const R& r) { return monitor_alerts(r.alerts()); })
      .def(
          "to_json", [](const R& r, int indent) { return r.to_json().dump(indent); },
          py::arg("indent") = -1)
      .def_static(
          "from_json",
          [](const std::string& text) {
            return R::from_json(parse_json(text, "DomainClassifierResult JSON"));
          },
          py::arg("text"));
  m.def(
      "domain_classifier_drift",
      [](const py::object& reference, const py::object& current, const py::dict& options) {
        const char* caller = "domain_classifier_drift()";
        const auto p =
            mon::DomainClassifierParams::from_options(python_to_json(options, caller), caller);
        const data::Table a = as_table(reference, "domain_classifier_drift(): reference", true);
        const data::Table b = as_table(current, "domain_classifier_drift(): current", true);
        return run_interruptible([&] { return mon::domain_classifier_drift(a, b, p); });
      },
      py::arg("reference"), py::arg("current"), py::arg("options") = py::dict());
  m.def(
      "domain_classifier_default_params",
      [] { return json_to_python(mon::DomainClassifierParams().to_json()); },
      "The C++ defaults of domain_classifier_drift() as a dict.");
  m.def("auc_null_variance", &mon::auc_null_variance, py::arg("scores"), py::arg("n_positive"));
}

/// PcaDriftResult.
void bind_pca_result(py::module_& m) {
  using R = mon::PcaDriftResult;
  py::class_<R>(m, "PcaDriftResult")
      .def_readonly("reconstruction_error", &R::reconstruction_error)
      .def_readonly("threshold", &R::threshold)
      .def_readonly("reference_error", &R::reference_error)
      .def_readonly("reference_error_std", &R::reference_error_std)
      .def_readonly("p_value", &R::p_value)
      .def_readonly("alpha", &R::alpha)
      .def_readonly("drifted", &R::drifted)
      .def_readonly("n_components", &R::n_components)
      .def_readonly("n_rows", &R::n_rows)
      .def_property_readonly("alerts", [](const R& r) { return monitor_alerts(r.alerts()); })
      .def(
          "to_json", [](const R& r, int indent) { return r.to_json().dump(indent); },
          py::arg("indent") = -1)
      .def_static(
          "from_json",
          [](const std::string& text) {
            return R::from_json(parse_json(text, "PcaDriftResult JSON"));
          },
          py::arg("text"));
}

/// PcaDrift.
void bind_pca_drift(py::module_& m) {
  using D = mon::PcaDrift;
  py::class_<D>(m, "PcaDrift")
      .def(py::init([](const py::dict& options, const std::string& caller) {
             return D(mon::PcaDriftParams::from_options(python_to_json(options, caller), caller));
           }),
           py::arg("options") = py::dict(), py::arg("caller") = "PcaDrift")
      .def_static("default_params", [] { return json_to_python(mon::PcaDriftParams().to_json()); })
      .def_static("fit_half", &D::fit_half, py::arg("n"), py::arg("seed"))
      .def(
          "fit",
          [](D& self, const py::object& data) -> D& {
            const data::Table t = as_table(data, "PcaDrift.fit()", true);
            run_interruptible([&] { self.fit(t); });
            return self;
          },
          py::arg("data"), py::return_value_policy::reference_internal)
      .def(
          "compare",
          [](const D& self, const py::object& data) {
            const data::Table t = as_table(data, "PcaDrift.compare()", true);
            return run_interruptible([&] { return self.compare(t); });
          },
          py::arg("data"))
      .def(
          "errors",
          [](const D& self, const py::object& data) {
            const data::Table t = as_table(data, "PcaDrift.errors()", true);
            return run_interruptible([&] { return self.errors(t); });
          },
          py::arg("data"))
      .def(
          "compare_errors",
          [](const D& self, const Eigen::Ref<const Vector>& errors) {
            return self.compare_errors(errors);
          },
          py::arg("errors"))
      .def_property_readonly("is_fitted", &D::is_fitted)
      .def_property_readonly("params",
                             [](const D& d) { return json_to_python(d.params().to_json()); })
      .def_property_readonly("feature_names", &D::feature_names)
      .def_property_readonly("components", &D::components)
      .def_property_readonly("mean", &D::mean)
      .def_property_readonly("scale", &D::scale)
      .def_property_readonly("explained_variance", &D::explained_variance)
      .def_property_readonly("reference_error", &D::reference_error)
      .def_property_readonly("reference_error_std", &D::reference_error_std)
      .def_property_readonly("n_holdout", &D::n_holdout)
      .def("to_json", [](const D& d) { return d.to_json().dump(); })
      .def_static(
          "from_json",
          [](const std::string& text) { return D::from_json(parse_json(text, "PcaDrift JSON")); },
          py::arg("text"))
      .def("save", &D::save, py::arg("path"))
      .def_static("load", &D::load, py::arg("path"));
}

}  // namespace

void bind_monitor_multivariate(py::module_& parent) {
  py::module_ m = parent.def_submodule(
      "_monitor", "Compiled drift monitoring (use churnlib.monitor, which wraps these).");
  bind_domain_classifier(m);
  bind_pca_result(m);
  bind_pca_drift(m);
}

}  // namespace churn::python
