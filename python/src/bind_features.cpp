// Bindings of include/churn/features (event aggregation): the compiled core of
// churnlib.EventAggregator (python/churnlib/features.py wraps it in a pandas-friendly API).
#include <pybind11/stl.h>  // std::vector <-> list

#include <cstdint>  // std::int64_t
#include <string>   // std::string
#include <utility>  // std::move
#include <vector>   // std::vector

#include "bindings.hpp"
#include "churn/core/json.hpp"
#include "churn/features/aggregate.hpp"

namespace churn::python {

namespace {

using features::EventAggregationSpec;
using features::EventAggregator;

/// EventAggregationSpec from keyword arguments (defaults: those of the C++ struct), validated.
EventAggregationSpec make_spec(std::string id_column, std::string time_column,
                               std::string type_column, std::string amount_column,
                               std::vector<Index> windows_days,
                               std::vector<std::string> event_types, bool type_counts,
                               bool total_counts, bool trends, bool active_days, bool recency,
                               bool type_recency, bool days_since_first, bool amount_sum,
                               bool amount_mean, bool amount_max, bool amount_overall,
                               std::vector<std::string> amount_event_types, int n_threads) {
  EventAggregationSpec s;
  s.id_column = std::move(id_column);
  s.time_column = std::move(time_column);
  s.type_column = std::move(type_column);
  s.amount_column = std::move(amount_column);
  s.windows_days = std::move(windows_days);
  s.event_types = std::move(event_types);
  s.type_counts = type_counts;
  s.total_counts = total_counts;
  s.trends = trends;
  s.active_days = active_days;
  s.recency = recency;
  s.type_recency = type_recency;
  s.days_since_first = days_since_first;
  s.amount_sum = amount_sum;
  s.amount_mean = amount_mean;
  s.amount_max = amount_max;
  s.amount_overall = amount_overall;
  s.amount_event_types = std::move(amount_event_types);
  s.n_threads = n_threads;
  s.validate();
  return s;
}

/// A JSON value as the Python object json.loads() would give.
py::object json_to_python(const Json& j) {
  return py::module_::import("json").attr("loads")(py::str(j.dump()));
}

}  // namespace

void bind_features(py::module_& m) {
  const EventAggregationSpec d;
  py::class_<EventAggregationSpec>(m, "_EventAggregationSpec", R"doc(
What to compute from an event log (churn::features::EventAggregationSpec), validated on
construction. churnlib.EventAggregator builds one from its own arguments.
)doc")
      .def(py::init(&make_spec), py::kw_only(), py::arg("id_column") = d.id_column,
           py::arg("time_column") = d.time_column, py::arg("type_column") = d.type_column,
           py::arg("amount_column") = d.amount_column, py::arg("windows_days") = d.windows_days,
           py::arg("event_types") = d.event_types, py::arg("type_counts") = d.type_counts,
           py::arg("total_counts") = d.total_counts, py::arg("trends") = d.trends,
           py::arg("active_days") = d.active_days, py::arg("recency") = d.recency,
           py::arg("type_recency") = d.type_recency,
           py::arg("days_since_first") = d.days_since_first, py::arg("amount_sum") = d.amount_sum,
           py::arg("amount_mean") = d.amount_mean, py::arg("amount_max") = d.amount_max,
           py::arg("amount_overall") = d.amount_overall,
           py::arg("amount_event_types") = d.amount_event_types, py::arg("n_threads") = d.n_threads)
      .def_static("rfm", &EventAggregationSpec::rfm, py::arg("window_days") = 90,
                  py::arg("amount_column") = "amount", py::arg("event_type") = "",
                  "The RFM preset (recency, frequency, monetary) over one window.")
      .def(
          "to_dict", [](const EventAggregationSpec& s) { return json_to_python(s.to_json()); },
          "The spec as a dict (every field, by its C++ name).")
      .def_readonly("id_column", &EventAggregationSpec::id_column)
      .def_readonly("time_column", &EventAggregationSpec::time_column)
      .def_readonly("type_column", &EventAggregationSpec::type_column)
      .def_readonly("amount_column", &EventAggregationSpec::amount_column)
      .def_readonly("windows_days", &EventAggregationSpec::windows_days)
      .def_readonly("event_types", &EventAggregationSpec::event_types)
      .def_readonly("type_counts", &EventAggregationSpec::type_counts)
      .def_readonly("total_counts", &EventAggregationSpec::total_counts)
      .def_readonly("trends", &EventAggregationSpec::trends)
      .def_readonly("active_days", &EventAggregationSpec::active_days)
      .def_readonly("recency", &EventAggregationSpec::recency)
      .def_readonly("type_recency", &EventAggregationSpec::type_recency)
      .def_readonly("days_since_first", &EventAggregationSpec::days_since_first)
      .def_readonly("amount_sum", &EventAggregationSpec::amount_sum)
      .def_readonly("amount_mean", &EventAggregationSpec::amount_mean)
      .def_readonly("amount_max", &EventAggregationSpec::amount_max)
      .def_readonly("amount_overall", &EventAggregationSpec::amount_overall)
      .def_readonly("amount_event_types", &EventAggregationSpec::amount_event_types)
      .def_readonly("n_threads", &EventAggregationSpec::n_threads);

  py::class_<EventAggregator>(m, "_EventAggregator", R"doc(
Compiled core of churnlib.EventAggregator's streaming form: the output rows are fixed at
construction (customer ids and one as-of, or a customer table with an as-of column), event
chunks are fed with update(), result() gives the features as a churnlib.Table.
)doc")
      .def(py::init([](const EventAggregationSpec& spec, const py::object& customer_ids,
                       const py::object& as_of) {
             Column ids = column_from_object(spec.id_column, customer_ids);
             const std::int64_t t = to_nanos(as_of, "EventAggregator(): as_of");
             py::gil_scoped_release release;
             return EventAggregator(spec, ids, t);
           }),
           py::arg("spec"), py::kw_only(), py::arg("customer_ids"), py::arg("as_of"))
      .def(py::init([](const EventAggregationSpec& spec, const py::object& customers,
                       const std::string& as_of_column, const std::string& id_column) {
             Table t = as_table(customers, "EventAggregator(): customers");
             py::gil_scoped_release release;
             return EventAggregator(spec, t, as_of_column, id_column);
           }),
           py::arg("spec"), py::kw_only(), py::arg("customers"), py::arg("as_of_column"),
           py::arg("id_column") = "")
      .def(
          "update",
          [](EventAggregator& self, const py::object& events) -> EventAggregator& {
            Table t = as_table(events, "EventAggregator.update()");
            py::gil_scoped_release release;
            return self.update(t);
          },
          py::arg("events"), py::return_value_policy::reference_internal,
          "Adds a chunk of events (a churnlib.Table or pandas.DataFrame); returns self.")
      .def(
          "result",
          [](const EventAggregator& self) {
            py::gil_scoped_release release;
            return self.result();
          },
          "The features so far, as a churnlib.Table keyed by the customer id.")
      .def("feature_names", &EventAggregator::feature_names,
           "The names of the feature columns result() would give now.")
      .def_property_readonly("spec", &EventAggregator::spec)
      .def_property_readonly("num_rows", &EventAggregator::num_rows)
      .def_property_readonly("n_events_seen", &EventAggregator::n_events_seen)
      .def_property_readonly("n_events_unmatched", &EventAggregator::n_events_unmatched);
}

}  // namespace churn::python
