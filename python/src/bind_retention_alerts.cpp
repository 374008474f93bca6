// Bindings of include/churn/retention/alerts.hpp (alert sources, cooldown, the alert log) in the
// submodule _core._retention, which the other retention bindings share;
// python/churnlib/retention/alerts.py wraps them with alerts as pandas DataFrames.
#include <pybind11/stl.h>  // std::vector <-> list

#include <cstdint>  // std::int64_t
#include <string>   // std::string
#include <utility>  // std::move
#include <vector>   // std::vector

#include "bindings.hpp"
#include "churn/core/error.hpp"
#include "churn/monitor/report.hpp"
#include "churn/retention/alerts.hpp"

namespace churn::python {

namespace {

namespace ret = churn::retention;

/// A 1-D float64 array of `obj` (a C-contiguous float64 array is not copied).
py::array_t<double> float_array(const py::handle& obj, const char* what) {
  py::array_t<double, py::array::c_style | py::array::forcecast> a;
  try {
    a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(
        numpy().attr("asarray")(obj, "float64"));
  } catch (const py::error_already_set& e) {
    CHURN_THROW(TypeMismatch, what << ": expected numbers (" << e.what() << ")");
  }
  CHURN_CHECK(a && a.ndim() == 1, InvalidArgument,
              what << ": expected a 1-D array, got " << (a ? a.ndim() : -1) << " dimensions");
  return a;
}

Eigen::Map<const Vector> view(const py::array_t<double>& a) {
  return Eigen::Map<const Vector>(a.data(), static_cast<Index>(a.size()));
}

/// Alerts as a pandas.DataFrame (the columns of alerts_to_table).
py::object frame(const std::vector<ret::Alert>& alerts) {
  return table_to_pandas(ret::alerts_to_table(alerts), /*copy=*/true);
}

/// Alerts from a pandas.DataFrame or churnlib.Table with the alert columns.
std::vector<ret::Alert> alerts_of(const py::handle& obj, const char* caller) {
  const data::Table t = as_table(obj, caller);
  py::gil_scoped_release release;
  return ret::alerts_from_table(t);
}

/// risk_alerts, drift_alerts (from a report or from values), quality_alerts.
void def_sources(py::module_& m) {
  m.def(
      "risk_alerts",
      [](const py::object& ids, const py::object& scores, const py::object& previous_ids,
         const py::object& previous_scores, const py::object& timestamp, const py::dict& params) {
        const char* caller = "risk_alerts()";
        const auto p = ret::RiskAlertParams::from_options(python_to_json(params, caller), caller);
        const std::int64_t t = to_nanos(timestamp, "risk_alerts(): timestamp");
        const data::Column id = column_from_object("ids", ids);
        const data::Column prev_id = column_from_object("previous_ids", previous_ids);
        const auto s = float_array(scores, "risk_alerts(): scores");
        const auto prev = float_array(previous_scores, "risk_alerts(): previous_scores");
        std::vector<ret::Alert> out;
        {
          py::gil_scoped_release release;
          out = ret::risk_alerts(id, view(s), prev_id, view(prev), t, p);
        }
        return frame(out);
      },
      py::arg("ids"), py::arg("scores"), py::arg("previous_ids"), py::arg("previous_scores"),
      py::arg("timestamp"), py::arg("params"));
  m.def(
      "drift_alerts_report",
      [](const monitor::DriftReport& report, const py::object& timestamp, const py::dict& params) {
        const char* caller = "drift_alerts()";
        const auto p = ret::DriftAlertParams::from_options(python_to_json(params, caller), caller);
        const std::int64_t t = to_nanos(timestamp, "drift_alerts(): timestamp");
        return frame(ret::drift_alerts(report, t, p));
      },
      py::arg("report"), py::arg("timestamp"), py::arg("params"));
  m.def(
      "drift_alerts_values",
      [](const std::vector<std::string>& features, const py::object& psi,
         const py::object& timestamp, const py::dict& params) {
        const char* caller = "drift_alerts()";
        const auto p = ret::DriftAlertParams::from_options(python_to_json(params, caller), caller);
        const std::int64_t t = to_nanos(timestamp, "drift_alerts(): timestamp");
        const auto v = float_array(psi, "drift_alerts(): psi");
        return frame(ret::drift_alerts(features, view(v), t, p));
      },
      py::arg("features"), py::arg("psi"), py::arg("timestamp"), py::arg("params"));
  m.def(
      "quality_alerts",
      [](const py::object& y_true, const py::object& y_score, const py::object& timestamp,
         const py::dict& params) {
        const char* caller = "quality_alerts()";
        const auto p =
            ret::QualityAlertParams::from_options(python_to_json(params, caller), caller);
        const std::int64_t t = to_nanos(timestamp, "quality_alerts(): timestamp");
        const auto y = float_array(y_true, "quality_alerts(): y_true");
        const auto s = float_array(y_score, "quality_alerts(): y_score");
        std::vector<ret::Alert> out;
        {
          py::gil_scoped_release release;
          out = ret::quality_alerts(view(y), view(s), t, p);
        }
        return frame(out);
      },
      py::arg("y_true"), py::arg("y_score"), py::arg("timestamp"), py::arg("params"));
  m.def(
      "alert_default_params",
      [](const std::string& source) -> py::object {
        if (source == "risk") return json_to_python(ret::RiskAlertParams().to_json());
        if (source == "drift") return json_to_python(ret::DriftAlertParams().to_json());
        CHURN_CHECK(source == "quality", InvalidArgument,
                    "alert_default_params(): source must be 'risk', 'drift' or 'quality', got '"
                        << source << "'");
        return json_to_python(ret::QualityAlertParams().to_json());
      },
      py::arg("source"));
}

/// alert_id, apply_cooldown and the AlertLog class.
void def_records(py::module_& m) {
  m.def("empty_alerts", [] { return frame({}); });
  m.def("alert_id", &ret::alert_id, py::arg("kind"), py::arg("subject"), py::arg("metric"),
        py::arg("timestamp"));
  m.def(
      "apply_cooldown",
      [](const py::object& alerts, const py::object& history, std::int64_t cooldown) {
        const auto a = alerts_of(alerts, "apply_cooldown(): alerts");
        const auto h = history.is_none() ? std::vector<ret::Alert>()
                                         : alerts_of(history, "apply_cooldown(): history");
        std::vector<ret::Alert> out;
        {
          py::gil_scoped_release release;
          out = ret::apply_cooldown(a, h, cooldown);
        }
        return frame(out);
      },
      py::arg("alerts"), py::arg("history"), py::arg("cooldown"));
  py::class_<ret::AlertLog>(m, "AlertLog")
      .def(py::init<std::string, bool>(), py::arg("path"), py::arg("fsync") = false)
      .def_property_readonly("path", &ret::AlertLog::path)
      .def_property_readonly("fsync", &ret::AlertLog::fsync)
      .def(
          "append",
          [](const ret::AlertLog& self, const py::object& alerts) {
            const auto a = alerts_of(alerts, "AlertLog.append()");
            py::gil_scoped_release release;
            self.append(a);
            return a.size();
          },
          py::arg("alerts"))
      .def("read", [](const ret::AlertLog& self) {
        ret::AlertLogContents c;
        {
          py::gil_scoped_release release;
          c = self.read();
        }
        return py::make_tuple(frame(c.alerts), c.skipped_lines, c.trailing_bytes);
      });
}

}  // namespace

void bind_retention_alerts(py::module_& m) {
  py::module_ r = m.def_submodule("_retention", "Retention analytics (churnlib.retention).");
  def_sources(r);
  def_records(r);
}

}  // namespace churn::python
