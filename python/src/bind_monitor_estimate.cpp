// Bindings of include/churn/monitor/estimate.hpp (PerformanceEstimator, EstimatedPerformance) in
// the submodule _core._monitor, which bind_monitor creates; python/churnlib/_estimate.py wraps
// them (re-exported by churnlib.monitor).
#include <pybind11/stl.h>  // std::vector <-> list

#include <cstdint>  // std::int64_t
#include <string>   // std::string
#include <utility>  // std::move
#include <vector>   // std::vector

#include "bindings.hpp"
#include "churn/core/error.hpp"
#include "churn/monitor/estimate.hpp"
#include "interrupt.hpp"

namespace churn::python {

namespace {

namespace mon = churn::monitor;

py::dict metrics_dict(const mon::PerformanceMetrics& m) {
  py::dict d;
  d["roc_auc"] = m.roc_auc;
  d["precision"] = m.precision;
  d["recall"] = m.recall;
  d["f1"] = m.f1;
  d["churn_rate"] = m.churn_rate;
  d["churners"] = m.churners;
  d["campaign_value"] = m.campaign_value;
  return d;
}

py::dict band_dict(const mon::MetricBand& b) {
  py::dict d;
  d["estimated"] = b.estimated;
  d["lower"] = b.lower;
  d["upper"] = b.upper;
  d["realised"] = b.realised;
  return d;
}

py::dict chunk_dict(const mon::ChunkEstimate& c) {
  py::dict d;
  d["chunk"] = c.chunk;
  d["n"] = c.n;
  d["n_targeted"] = c.n_targeted;
  d["roc_auc"] = band_dict(c.roc_auc);
  d["precision"] = band_dict(c.precision);
  d["recall"] = band_dict(c.recall);
  d["f1"] = band_dict(c.f1);
  d["churn_rate"] = band_dict(c.churn_rate);
  d["expected_churners"] = band_dict(c.expected_churners);
  d["campaign_value"] = band_dict(c.campaign_value);
  d["has_realised"] = c.has_realised;
  d["outside_band"] = c.outside_band;
  return d;
}

/// EstimatedPerformance: chunks, realised values, reliability, alerts, JSON.
void bind_result(py::module_& m) {
  py::class_<mon::EstimatedPerformance>(m, "EstimatedPerformance")
      .def_property_readonly("chunks",
                             [](const mon::EstimatedPerformance& r) {
                               py::list out;
                               for (const auto& c : r.chunks()) out.append(chunk_dict(c));
                               return out;
                             })
      .def_property_readonly("n_rows", &mon::EstimatedPerformance::n_rows)
      .def_property_readonly("has_realised", &mon::EstimatedPerformance::has_realised)
      .def_property_readonly(
          "params",
          [](const mon::EstimatedPerformance& r) { return json_to_python(r.params().to_json()); })
      .def(
          "add_realised",
          [](mon::EstimatedPerformance& r, const py::object& score, const py::object& labels) {
            const auto s = as_float_array(score, "EstimatedPerformance.add_realised(): score");
            const auto y = as_float_array(labels, "EstimatedPerformance.add_realised(): y_true");
            run_interruptible([&] { r.add_realised(float_view(s), float_view(y)); });
          },
          py::arg("score"), py::arg("labels"))
      .def_property_readonly("reliability",
                             [](const mon::EstimatedPerformance& r) {
                               const mon::ReliabilityCheck c = r.reliability();
                               py::dict d;
                               d["n_chunks"] = c.n_chunks;
                               d["n_outside"] = c.n_outside;
                               d["expected_rate"] = c.expected_rate;
                               d["p_value"] = c.p_value;
                               d["mean_abs_gap"] = c.mean_abs_gap;
                               d["gap_tolerance"] = c.gap_tolerance;
                               d["reliable"] = c.reliable;
                               return d;
                             })
      .def_property_readonly(
          "alerts", [](const mon::EstimatedPerformance& r) { return monitor_alerts(r.alerts()); })
      .def(
          "to_json",
          [](const mon::EstimatedPerformance& r, int indent) { return r.to_json().dump(indent); },
          py::arg("indent") = -1)
      .def_static(
          "from_json",
          [](const std::string& text) {
            return mon::EstimatedPerformance::from_json(parse_json(text));
          },
          py::arg("text"));
}

/// PerformanceEstimator's construction, fit, accumulate, merge and estimate.
void def_estimator_fitting(py::class_<mon::PerformanceEstimator>& cls) {
  cls.def(py::init([](const py::dict& options, const std::string& caller) {
            return mon::PerformanceEstimator(
                mon::EstimatorParams::from_options(python_to_json(options, caller), caller));
          }),
          py::arg("options") = py::dict(), py::arg("caller") = "PerformanceEstimator")
      .def_static("default_params", [] { return json_to_python(mon::EstimatorParams().to_json()); })
      .def(
          "fit",
          [](mon::PerformanceEstimator& self, const py::object& score,
             const py::object& labels) -> mon::PerformanceEstimator& {
            const auto s = as_float_array(score, "PerformanceEstimator.fit(): y_score");
            const auto y = as_float_array(labels, "PerformanceEstimator.fit(): y_true");
            run_interruptible([&] { self.fit(float_view(s), float_view(y)); });
            return self;
          },
          py::arg("score"), py::arg("labels") = py::none(),
          py::return_value_policy::reference_internal)
      .def(
          "accumulate",
          [](const mon::PerformanceEstimator& self, const py::object& score,
             const py::object& labels) {
            const auto s = as_float_array(score, "PerformanceEstimator.accumulate(): y_score");
            const auto y = as_float_array(labels, "PerformanceEstimator.accumulate(): y_true");
            return run_interruptible([&] { return self.accumulate(float_view(s), float_view(y)); });
          },
          py::arg("score"), py::arg("labels") = py::none())
      .def(
          "merge",
          [](mon::PerformanceEstimator& self,
             const mon::PerformanceEstimator& other) -> mon::PerformanceEstimator& {
            py::gil_scoped_release release;
            return self.merge(other);
          },
          py::arg("other"), py::return_value_policy::reference_internal)
      .def(
          "estimate",
          [](const mon::PerformanceEstimator& self, const py::object& score,
             const std::vector<Index>& bounds, const std::vector<std::string>& names) {
            const auto s = as_float_array(score, "PerformanceEstimator.estimate(): y_score");
            return run_interruptible([&] { return self.estimate(float_view(s), bounds, names); });
          },
          py::arg("score"), py::arg("bounds"), py::arg("names") = std::vector<std::string>())
      .def(
          "calibrate",
          [](const mon::PerformanceEstimator& self, const py::object& score) {
            const auto s = as_float_array(score, "PerformanceEstimator.calibrate(): y_score");
            Vector p;
            {
              py::gil_scoped_release release;
              p = self.calibrate(float_view(s));
            }
            return py::array_t<double>(p.size(), p.data());
          },
          py::arg("score"));
}

/// What a fitted PerformanceEstimator holds and its JSON form.
void def_estimator_contents(py::class_<mon::PerformanceEstimator>& cls) {
  cls.def_property_readonly("is_fitted", &mon::PerformanceEstimator::is_fitted)
      .def_property_readonly("n_rows", &mon::PerformanceEstimator::n_rows)
      .def_property_readonly("has_labels", &mon::PerformanceEstimator::has_labels)
      .def_property_readonly(
          "params",
          [](const mon::PerformanceEstimator& e) { return json_to_python(e.params().to_json()); })
      .def_property_readonly("positives", &mon::PerformanceEstimator::positives)
      .def_property_readonly("negatives", &mon::PerformanceEstimator::negatives)
      .def_property_readonly("targeted_positives", &mon::PerformanceEstimator::targeted_positives)
      .def_property_readonly("targeted_negatives", &mon::PerformanceEstimator::targeted_negatives)
      .def("calibration_map", &mon::PerformanceEstimator::calibration_map)
      .def("reference_metrics",
           [](const mon::PerformanceEstimator& e) {
             const mon::ReferenceMetrics r = e.reference_metrics();
             py::dict d;
             d["realised"] = metrics_dict(r.realised);
             d["estimated"] = metrics_dict(r.estimated);
             return d;
           })
      .def("to_json", [](const mon::PerformanceEstimator& e) { return e.to_json().dump(); })
      .def_static(
          "from_json",
          [](const std::string& text) {
            return mon::PerformanceEstimator::from_json(parse_json(text));
          },
          py::arg("text"))
      .def("save", &mon::PerformanceEstimator::save, py::arg("path"))
      .def_static("load", &mon::PerformanceEstimator::load, py::arg("path"));
}

}  // namespace

void bind_monitor_estimate(py::module_& parent) {
  py::module_ m = parent.attr("_monitor").cast<py::module_>();
  bind_result(m);
  py::class_<mon::PerformanceEstimator> cls(m, "PerformanceEstimator");
  def_estimator_fitting(cls);
  def_estimator_contents(cls);
}

}  // namespace churn::python
