// Bindings of include/churn/features: the compiled cores of churnlib.EventAggregator and
// churnlib.FeaturePipeline (python/churnlib/features.py wraps them in a pandas-friendly,
// scikit-learn style API).
#include <pybind11/eigen.h>  // Eigen::Ref <-> numpy (no copy for C-ordered float64)
#include <pybind11/stl.h>    // std::vector <-> list, std::optional

#include <cstdint>        // std::int64_t
#include <limits>         // std::numeric_limits
#include <memory>         // std::unique_ptr
#include <optional>       // std::optional
#include <string>         // std::string
#include <unordered_set>  // std::unordered_set
#include <utility>        // std::move
#include <vector>         // std::vector

#include "bindings.hpp"
#include "churn/core/error.hpp"
#include "churn/core/json.hpp"
#include "churn/features/aggregate.hpp"
#include "churn/features/pipeline.hpp"
#include "interrupt.hpp"

namespace churn::python {

using data::Column;
using data::Table;

namespace {

using features::EventAggregationSpec;
using features::EventAggregator;

// ---- FeaturePipeline ---------------------------------------------------------------------------

using features::Pipeline;

/// Appends the step `type` with the settings in `d` (keys: the C++ field names, those of the
/// saved JSON's step params; None means the default) to `p`. C++ checks the names and types
/// (Pipeline::add_step); an unknown key is a TypeMismatch, as Python's unexpected keyword.
void add_step(Pipeline& p, const std::string& type, const py::dict& d) {
  const std::string who = "FeaturePipeline." + type + "()";
  py::dict given;
  for (const auto& item : d)
    if (!item.second.is_none()) given[item.first] = item.second;
  p.add_step(type, python_to_json(given, who), who);
}

/// A RowMatrix handed to numpy without a copy (the array owns it).
py::array matrix_to_numpy(RowMatrix&& m) {
  auto mat = std::make_unique<RowMatrix>(std::move(m));
  const auto rows = static_cast<py::ssize_t>(mat->rows());
  const auto cols = static_cast<py::ssize_t>(mat->cols());
  const double* data = mat->data();
  py::capsule owner(mat.get(), [](void* p) { delete static_cast<RowMatrix*>(p); });
  mat.release();
  if (cols == 0 || rows == 0) return py::array_t<double>(std::vector<py::ssize_t>{rows, cols});
  return py::array_t<double>({rows, cols}, data, owner);
}

std::optional<std::int64_t> optional_nanos(const py::object& as_of, const char* what) {
  if (as_of.is_none()) return std::nullopt;
  return to_nanos(as_of, what);
}

/// Runs `f(pipeline, customers, events, as_of)` on converted inputs with the GIL released;
/// without events, `f(pipeline, table)`.
template <class One, class Two>
auto with_inputs(const py::object& data, const py::object& events, const py::object& as_of,
                 const char* who, One&& one, Two&& two) {
  Table t = as_table(data, who);
  if (events.is_none()) {
    CHURN_CHECK(as_of.is_none(), InvalidArgument,
                who << ": as_of is given without events (as_of is the date the events are "
                       "aggregated at)");
    return run_interruptible([&] { return one(t); });
  }
  Table e = as_table(events, who);
  const auto when = optional_nanos(as_of, who);
  return run_interruptible([&] { return two(t, e, when); });
}

/// _EventAggregationSpec.
void bind_event_aggregation_spec(py::module_& m) {
  py::class_<EventAggregationSpec>(m, "_EventAggregationSpec", R"doc(
What to compute from an event log (churn::features::EventAggregationSpec), validated on
construction. churnlib.EventAggregator builds one from its own arguments.
)doc")
      .def(py::init([](const py::dict& options, const std::string& caller) {
             return EventAggregationSpec::from_options(python_to_json(options, caller), caller);
           }),
           py::arg("options") = py::dict(), py::arg("caller") = "EventAggregator()",
           "A spec from a dict naming some fields by their C++ names (the others keep the C++ "
           "defaults).")
      .def_static(
          "defaults", [] { return json_to_python(EventAggregationSpec().to_json()); },
          "The C++ defaults as a dict.")
      .def_static("rfm", &EventAggregationSpec::rfm, py::arg("window_days") = 90,
                  py::arg("amount_column") = "amount", py::arg("event_type") = "",
                  "The RFM preset (recency, frequency, monetary) over one window.")
      .def(
          "to_dict", [](const EventAggregationSpec& s) { return json_to_python(s.to_json()); },
          "The spec as a dict (every field, by its C++ name).")
      .def_readonly("id_column", &EventAggregationSpec::id_column);
}

/// _EventAggregator (after _EventAggregationSpec, which it takes).
void bind_event_aggregator(py::module_& m) {
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
            run_interruptible([&] { self.update(t); });
            return self;
          },
          py::arg("events"), py::return_value_policy::reference_internal,
          "Adds a chunk of events (a churnlib.Table or pandas.DataFrame); returns self.")
      .def(
          "result",
          [](const EventAggregator& self) {
            return run_interruptible([&] { return self.result(); });
          },
          "The features so far, as a churnlib.Table keyed by the customer id.")
      .def("feature_names", &EventAggregator::feature_names,
           "The names of the feature columns result() would give now.")
      .def_property_readonly("spec", &EventAggregator::spec)
      .def_property_readonly("num_rows", &EventAggregator::num_rows)
      .def_property_readonly("n_events_seen", &EventAggregator::n_events_seen)
      .def_property_readonly("n_events_unmatched", &EventAggregator::n_events_unmatched);
}

/// _FeaturePipeline's fit_transform, transform and numeric_matrix.
void def_pipeline_transforms(py::class_<Pipeline>& cls) {
  cls.def(
         "fit_transform",
         [](Pipeline& self, const py::object& data, const py::object& events,
            const py::object& as_of) {
           return with_inputs(
               data, events, as_of, "FeaturePipeline.fit()",
               [&](const Table& t) { return self.fit_transform(t); },
               [&](const Table& t, const Table& e, std::optional<std::int64_t> a) {
                 return self.fit_transform(t, e, a);
               });
         },
         py::arg("data"), py::kw_only(), py::arg("events") = py::none(),
         py::arg("as_of") = py::none())
      .def(
          "transform",
          [](const Pipeline& self, const py::object& data, const py::object& events,
             const py::object& as_of) {
            return with_inputs(
                data, events, as_of, "FeaturePipeline.transform()",
                [&](const Table& t) { return self.transform(t); },
                [&](const Table& t, const Table& e, std::optional<std::int64_t> a) {
                  return self.transform(t, e, a);
                });
          },
          py::arg("data"), py::kw_only(), py::arg("events") = py::none(),
          py::arg("as_of") = py::none())
      .def(
          "numeric_matrix",
          [](const Pipeline& self, const Table& t) {
            RowMatrix X;
            {
              py::gil_scoped_release release;
              X = Pipeline::numeric_matrix(t, self.params().n_threads);
            }
            return matrix_to_numpy(std::move(X));
          },
          py::arg("table"), "The float64 columns of a transformed table as a C-ordered matrix.");
}

/// _FeaturePipeline's read-only properties, JSON text and files.
void def_pipeline_state(py::class_<Pipeline>& cls) {
  cls.def_property_readonly("feature_names_out", &Pipeline::feature_names_out)
      .def_property_readonly("numeric_feature_names_out", &Pipeline::numeric_feature_names_out)
      .def_property_readonly("required_input_columns", &Pipeline::required_input_columns)
      .def_property_readonly("is_fitted", &Pipeline::is_fitted)
      .def_property_readonly("n_steps", &Pipeline::n_steps)
      .def_property_readonly("joins_events", &Pipeline::joins_events)
      .def_property_readonly("n_threads", [](const Pipeline& p) { return p.params().n_threads; })
      .def("step_type", &Pipeline::step_type, py::arg("i"))
      .def(
          "step_options",
          [](const Pipeline& p, Index i) { return json_to_python(p.step_options(i)); },
          py::arg("i"), "Step i's columns and settings as a dict (the names of its *Params).")
      .def_property_readonly("feature_names_in", &Pipeline::feature_names_in)
      .def_property_readonly("feature_sources", &Pipeline::feature_sources,
                             "Per output column, the raw input columns it comes from.")
      .def_property_readonly("source_columns", &Pipeline::source_columns,
                             "The raw columns of contributions_by_source, in input order.")
      .def(
          "contributions_by_source",
          [](const Pipeline& self, const RowMatrixRef& contrib) {
            RowMatrix R;
            {
              py::gil_scoped_release release;
              R = self.contributions_by_source(contrib);
            }
            return matrix_to_numpy(std::move(R));
          },
          py::arg("contrib"),
          "Per-feature contributions (n x p, or n x (p + 1) with a bias last) summed onto the "
          "raw input columns (n x r, the bias copied last).")
      .def_property_readonly("event_spec", &Pipeline::event_spec)
      .def_property_readonly(
          "event_join",
          [](const Pipeline& p) {
            const auto& j = p.event_join_params();
            py::dict d;
            d["as_of_column"] = j.as_of_column;
            d["id_column"] = j.id_column;
            d["prefix"] = j.prefix;
            return d;
          },
          "join_events' settings: as_of_column, id_column, prefix.")
      .def(
          "to_json", [](const Pipeline& self) { return self.to_json().dump(); },
          "The fitted pipeline as a JSON envelope (text).")
      .def_static(
          "from_json",
          [](const std::string& text) { return Pipeline::from_json(parse_json(text)); },
          py::arg("text"))
      .def("save", &Pipeline::save, py::arg("path"))
      .def_static("load", &Pipeline::load, py::arg("path"));
}

/// _FeaturePipeline: its construction and steps, then the functions above.
void bind_feature_pipeline(py::module_& m) {
  py::class_<Pipeline> cls(m, "_FeaturePipeline", R"doc(
Compiled core of churnlib.FeaturePipeline (churn::features::Pipeline): steps are added with
add_step(type, settings), join_events() adds the event join; fit/transform take a churnlib.Table
or pandas.DataFrame (plus the event table and the as-of for a pipeline that joins events).
)doc");
  cls.def(py::init([](NThreads n_threads) {
            features::PipelineParams q;
            q.n_threads = n_threads;
            return Pipeline(q);
          }),
          py::kw_only(), py::arg("n_threads") = 0)
      .def(
          "add_step",
          [](Pipeline& self, const std::string& type, const py::dict& settings) -> Pipeline& {
            add_step(self, type, settings);
            return self;
          },
          py::arg("type"), py::arg("settings"), py::return_value_policy::reference_internal)
      .def_static(
          "step_defaults",
          [](const std::string& type) { return json_to_python(Pipeline::step_defaults(type)); },
          py::arg("type"), "A step type's settings with their C++ defaults (operands empty).")
      .def(
          "join_events",
          [](Pipeline& self, const EventAggregationSpec& spec, const std::string& as_of_column,
             const std::string& id_column, const std::string& prefix) -> Pipeline& {
            features::EventJoinParams q;
            q.as_of_column = as_of_column;
            q.id_column = id_column;
            q.prefix = prefix;
            return self.join_events(spec, q);
          },
          py::arg("spec"), py::kw_only(), py::arg("as_of_column") = "", py::arg("id_column") = "",
          py::arg("prefix") = "", py::return_value_policy::reference_internal);
  def_pipeline_transforms(cls);
  def_pipeline_state(cls);
}

}  // namespace

void bind_features(py::module_& m) {
  bind_event_aggregation_spec(m);
  bind_event_aggregator(m);
  bind_feature_pipeline(m);
}

}  // namespace churn::python
