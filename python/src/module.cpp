// The extension module churnlib._core. The package churnlib (python/churnlib/__init__.py)
// re-exports its public names; users never import _core directly.
#include "bindings.hpp"

PYBIND11_MODULE(_core, m) {
  m.doc() = "churnlib's compiled core (import churnlib, not churnlib._core).";
  churn::python::bind_core(m);
  churn::python::bind_data(m);
  churn::python::bind_arrow(m);
  churn::python::bind_metrics(m);
  churn::python::bind_linear(m);
  churn::python::bind_tree(m);
  churn::python::bind_features(m);
  churn::python::bind_monitor(m);
  churn::python::bind_monitor_estimate(m);
  churn::python::bind_monitor_multivariate(m);
  churn::python::bind_segment(m);
  churn::python::bind_retention(m);
  churn::python::bind_retention_rules(m);
  churn::python::bind_retention_alerts(m);
  churn::python::bind_model(m);
  churn::python::bind_model_registry(m);
  // Users see (and pickle refers to) churnlib.Table, not churnlib._core.Table.
  for (const char* name :
       {"Table", "Schema", "ColumnSpec", "ValidationReport", "Violation", "CsvChunkReader"}) {
    m.attr(name).attr("__module__") = "churnlib";
  }
}
