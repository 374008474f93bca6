// Bindings of include/churn/retention (risk buckets, customer value, KPI summary and export) in
// the submodule _core._retention; python/churnlib/retention/ wraps them. The rules and alerts
// bind into the same submodule from their own files.
#include <pybind11/eigen.h>  // Eigen <-> numpy
#include <pybind11/stl.h>    // std::vector <-> list

#include <string>   // std::string
#include <utility>  // std::move
#include <vector>   // std::vector

#include "bindings.hpp"
#include "churn/core/error.hpp"
#include "churn/core/json.hpp"
#include "churn/retention/buckets.hpp"
#include "churn/retention/kpi.hpp"
#include "churn/retention/value.hpp"

namespace churn::python {

namespace {

namespace ret = churn::retention;

/// A column from a Python object, or an empty column (none) for None.
data::Column optional_column(const std::string& name, const py::handle& obj) {
  if (obj.is_none()) return data::Column();
  return column_from_object(name, obj);
}

/// KpiOptions from the value parameters dict, the threshold and the thread count.
ret::KpiOptions kpi_options(const py::dict& value, double threshold, NThreads n_threads,
                            const char* caller) {
  ret::KpiOptions o;
  o.value = ret::ValueParams::from_options(python_to_json(value, caller), caller);
  o.threshold = threshold;
  o.n_threads = n_threads;
  o.validate();
  return o;
}

/// RiskBuckets (the compiled core of churnlib.retention.RiskBuckets).
void bind_buckets(py::module_& m) {
  py::class_<ret::RiskBuckets>(m, "RiskBuckets")
      .def(py::init([](const py::dict& options, const std::string& caller) {
             return ret::RiskBuckets(
                 ret::BucketParams::from_options(python_to_json(options, caller), caller));
           }),
           py::arg("options"), py::arg("caller") = "RiskBuckets",
           "Buckets with the parameters a dict names (the others keep the C++ defaults).")
      .def_static(
          "default_params", [] { return json_to_python(ret::BucketParams().to_options()); },
          "The C++ defaults as a dict.")
      .def(
          "fit",
          [](ret::RiskBuckets& self, const VectorRef& reference) -> ret::RiskBuckets& {
            py::gil_scoped_release release;
            self.fit(reference);
            return self;
          },
          py::arg("reference_scores"), py::return_value_policy::reference_internal)
      .def(
          "assign",
          [](const ret::RiskBuckets& self, const VectorRef& scores) {
            py::gil_scoped_release release;
            return self.assign(scores);
          },
          py::arg("scores"))
      .def(
          "summary",
          [](const ret::RiskBuckets& self, const VectorRef& scores) {
            data::Table t;
            {
              py::gil_scoped_release release;
              t = self.summary(scores);
            }
            return table_to_pandas(t, /*copy=*/true);
          },
          py::arg("scores"))
      .def_property_readonly("edges", &ret::RiskBuckets::edges)
      .def_property_readonly("labels", &ret::RiskBuckets::labels)
      .def_property_readonly("reference_counts", &ret::RiskBuckets::reference_counts)
      .def_property_readonly("n_buckets", &ret::RiskBuckets::n_buckets)
      .def_property_readonly("is_fitted", &ret::RiskBuckets::is_fitted)
      .def_property_readonly(
          "params",
          [](const ret::RiskBuckets& b) { return json_to_python(b.params().to_options()); },
          "The hyper-parameters as a dict.")
      .def("to_json", [](const ret::RiskBuckets& b) { return b.to_json().dump(); })
      .def_static(
          "from_json",
          [](const std::string& text) { return ret::RiskBuckets::from_json(parse_json(text)); },
          py::arg("text"))
      .def("save", &ret::RiskBuckets::save, py::arg("path"))
      .def_static("load", &ret::RiskBuckets::load, py::arg("path"));
}

/// customer_value, sum_by_group and the value parameters' defaults.
void bind_value(py::module_& m) {
  m.def(
      "value_default_params", [] { return json_to_python(ret::ValueParams().to_json()); },
      "The C++ defaults of horizon, discount_rate and margin as a dict.");
  m.def(
      "customer_value",
      [](const VectorRef& probability, const VectorRef& revenue, const py::dict& value,
         NThreads n_threads, const std::string& caller) {
        const ret::ValueParams vp =
            ret::ValueParams::from_options(python_to_json(value, caller), caller);
        ret::CustomerValue v;
        {
          py::gil_scoped_release release;
          v = ret::customer_value(probability, revenue, vp, n_threads);
        }
        return py::make_tuple(std::move(v.revenue_at_risk), std::move(v.clv),
                              std::move(v.expected_loss));
      },
      py::arg("probability"), py::arg("revenue"), py::arg("value"), py::arg("n_threads") = 0,
      py::arg("caller") = "customer_value()",
      "(revenue_at_risk, clv, expected_loss) per customer, in one pass.");
  m.def(
      "sum_by_group",
      [](const VectorRef& values, const ret::IntVectorRef& groups, int n_groups,
         NThreads n_threads) {
        py::gil_scoped_release release;
        return ret::sum_by_group(values, groups, n_groups, n_threads);
      },
      py::arg("values"), py::arg("groups"), py::arg("n_groups"), py::arg("n_threads") = 0);
}

/// kpi_summary and customer_export.
void bind_kpi(py::module_& m) {
  m.def(
      "kpi_summary",
      [](const VectorRef& probability, const ret::IntVectorRef& codes,
         const std::vector<std::string>& labels, const VectorRef& revenue,
         const py::object& segment, const VectorRef& observed, const py::dict& value,
         double threshold, NThreads n_threads) {
        const char* who = "kpi_summary()";
        const ret::KpiOptions o = kpi_options(value, threshold, n_threads, who);
        const data::Column seg = optional_column("segment", segment);
        ret::KpiSummary k;
        std::string json;
        {
          py::gil_scoped_release release;
          k = ret::kpi_summary(probability, codes, labels, revenue, seg, observed, o);
          json = k.to_json().dump();
        }
        return py::make_tuple(table_to_pandas(k.table, /*copy=*/true), json);
      },
      py::arg("probability"), py::arg("bucket_codes"), py::arg("bucket_labels"), py::arg("revenue"),
      py::arg("segment"), py::arg("observed"), py::arg("value"), py::arg("threshold"),
      py::arg("n_threads") = 0, "(summary DataFrame, JSON text) of the KPI summary.");
  m.def(
      "customer_export",
      [](const py::object& id, const VectorRef& probability, const ret::IntVectorRef& codes,
         const std::vector<std::string>& labels, const VectorRef& revenue,
         const py::object& segment, const py::object& action, const VectorRef& net_value,
         const py::dict& value, NThreads n_threads) {
        const char* who = "customer_export()";
        const ret::KpiOptions o = kpi_options(value, 0.5, n_threads, who);
        const data::Column id_col = optional_column("id", id);
        const data::Column seg = optional_column("segment", segment);
        const data::Column act = optional_column("action", action);
        data::Table t;
        {
          py::gil_scoped_release release;
          t = ret::customer_export(id_col, probability, codes, labels, revenue, seg, act, net_value,
                                   o);
        }
        return table_to_pandas(t, /*copy=*/true);
      },
      py::arg("id"), py::arg("probability"), py::arg("bucket_codes"), py::arg("bucket_labels"),
      py::arg("revenue"), py::arg("segment"), py::arg("action"), py::arg("expected_net_value"),
      py::arg("value"), py::arg("n_threads") = 0,
      "The one-row-per-customer export as a DataFrame.");
}

}  // namespace

void bind_retention(py::module_& parent) {
  py::module_ m = parent.def_submodule("_retention", "Retention analytics (churnlib.retention).");
  bind_buckets(m);
  bind_value(m);
  bind_kpi(m);
}

}  // namespace churn::python
