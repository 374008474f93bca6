// Bindings of include/churn/features: the compiled cores of churnlib.EventAggregator and
// churnlib.FeaturePipeline (python/churnlib/features.py wraps them in a pandas-friendly,
// scikit-learn style API).
#include <pybind11/stl.h>  // std::vector <-> list, std::optional

#include <cstdint>        // std::int64_t
#include <limits>         // std::numeric_limits
#include <memory>         // std::unique_ptr
#include <optional>       // std::optional
#include <set>            // std::set
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

/// The settings of one pipeline step, read from a Python dict whose keys are the C++ field
/// names (those of the saved JSON's step params). A key that the step does not know raises
/// TypeMismatch (a TypeError), as a Python function would for an unexpected keyword.
class StepArgs {
 public:
  StepArgs(const py::dict& d, std::string type) : d_(d), who_("FeaturePipeline." + type + "()") {}

  bool has(const char* key) const { return d_.contains(key); }

  template <class T>
  T get(const char* key, T fallback) {
    used_.insert(key);
    if (!d_.contains(key) || d_[key].is_none()) return fallback;
    return cast<T>(key);
  }

  template <class T>
  T required(const char* key) {
    used_.insert(key);
    CHURN_CHECK(d_.contains(key), TypeMismatch, who_ << ": missing argument '" << key << "'");
    return cast<T>(key);
  }

  /// A list of column names (a bare string is a mistake worth naming).
  std::vector<std::string> names(const char* key) {
    used_.insert(key);
    CHURN_CHECK(d_.contains(key), TypeMismatch, who_ << ": missing argument '" << key << "'");
    const py::object v = d_[key];
    CHURN_CHECK(!py::isinstance<py::str>(v), TypeMismatch,
                who_ << ": '" << key << "' must be a list of column names, not a string (did you "
                     << "mean [" << py::repr(v).cast<std::string>() << "]?)");
    return cast<std::vector<std::string>>(key);
  }

  /// Throws TypeMismatch for a key no get()/required()/names() asked for.
  void finish() const {
    for (const auto& item : d_) {
      const auto key = py::str(item.first).cast<std::string>();
      CHURN_CHECK(used_.count(key) != 0, TypeMismatch,
                  who_ << ": got an unexpected argument '" << key << "'");
    }
  }

 private:
  template <class T>
  T cast(const char* key) const {
    const py::object v = d_[key];
    if constexpr (std::is_same_v<T, bool>) {
      CHURN_CHECK(py::isinstance<py::bool_>(v), TypeMismatch,
                  who_ << ": '" << key << "' must be True or False, got "
                       << py::repr(v).cast<std::string>());
    }
    try {
      return v.cast<T>();
    } catch (const py::cast_error&) {
      CHURN_THROW(TypeMismatch, who_ << ": '" << key << "' has the wrong type: "
                                     << py::repr(v).cast<std::string>());
    }
  }

  py::dict d_;
  std::string who_;
  std::set<std::string> used_;
};

/// One function per pipeline step type: reads the step's settings from `a`, then appends the
/// step to `p`.
namespace steps {

using namespace features;  // NOLINT

void impute(Pipeline& p, StepArgs& a) {
  ImputeParams q;
  auto cols = a.names("columns");
  q.strategy = impute_strategy_from_name(a.get<std::string>("strategy", "median"));
  q.fill_value = a.get<double>("fill_value", q.fill_value);
  q.fill_category = a.get<std::string>("fill_category", q.fill_category);
  q.add_indicator = a.get<bool>("add_indicator", q.add_indicator);
  a.finish();
  p.impute(std::move(cols), std::move(q));
}

void clip(Pipeline& p, StepArgs& a) {
  ClipParams q;
  auto cols = a.names("columns");
  q.lower_quantile = a.get<double>("lower_quantile", q.lower_quantile);
  q.upper_quantile = a.get<double>("upper_quantile", q.upper_quantile);
  a.finish();
  p.clip(std::move(cols), q);
}

void log1p(Pipeline& p, StepArgs& a) {
  auto cols = a.names("columns");
  a.finish();
  p.log1p(std::move(cols));
}

void scale(Pipeline& p, StepArgs& a) {
  ScaleParams q;
  auto cols = a.names("columns");
  q.with_mean = a.get<bool>("with_mean", q.with_mean);
  q.with_std = a.get<bool>("with_std", q.with_std);
  a.finish();
  p.scale(std::move(cols), q);
}

void one_hot(Pipeline& p, StepArgs& a) {
  OneHotParams q;
  auto cols = a.names("columns");
  q.unknown = unknown_category_from_name(a.get<std::string>("unknown", "ignore"));
  q.min_count = a.get<std::int64_t>("min_count", q.min_count);
  q.other_name = a.get<std::string>("other_name", q.other_name);
  a.finish();
  p.one_hot(std::move(cols), std::move(q));
}

void ordinal(Pipeline& p, StepArgs& a) {
  OrdinalParams q;
  auto cols = a.names("columns");
  q.unknown = unknown_category_from_name(a.get<std::string>("unknown", "ignore"));
  q.as_categorical = a.get<bool>("as_categorical", q.as_categorical);
  a.finish();
  p.ordinal(std::move(cols), q);
}

void bin(Pipeline& p, StepArgs& a) {
  BinParams q;
  auto cols = a.names("columns");
  q.strategy = features::bin_strategy_from_name(a.get<std::string>("strategy", "quantile"));
  q.n_bins = a.get<int>("n_bins", q.n_bins);
  q.edges = a.get<std::vector<double>>("edges", {});
  q.output = features::bin_output_from_name(a.get<std::string>("output", "index"));
  q.labels = a.get<std::vector<std::string>>("labels", {});
  q.suffix = a.get<std::string>("suffix", "");
  a.finish();
  p.bin(std::move(cols), std::move(q));
}

void combine(Pipeline& p, StepArgs& a) {
  CombineParams q;
  auto output = a.required<std::string>("output");
  auto x = a.required<std::string>("a");
  const CombineOp op = combine_op_from_name(a.required<std::string>("op"));
  auto y = a.required<std::string>("b");
  q.zero_division_fill = a.get<double>("zero_division_fill", q.zero_division_fill);
  q.denominator_offset = a.get<double>("denominator_offset", q.denominator_offset);
  a.finish();
  p.combine(std::move(output), std::move(x), op, std::move(y), q);
}

void drop(Pipeline& p, StepArgs& a) {
  auto cols = a.names("columns");
  a.finish();
  p.drop(std::move(cols));
}

void select(Pipeline& p, StepArgs& a) {
  auto cols = a.names("columns");
  a.finish();
  p.select(std::move(cols));
}

}  // namespace steps

/// Appends the step `type` with the settings in `d` (see StepArgs) to `p`.
void add_step(Pipeline& p, const std::string& type, const py::dict& d) {
  StepArgs a(d, type);
  if (type == "impute") {
    steps::impute(p, a);
  } else if (type == "clip") {
    steps::clip(p, a);
  } else if (type == "log1p") {
    steps::log1p(p, a);
  } else if (type == "scale") {
    steps::scale(p, a);
  } else if (type == "one_hot") {
    steps::one_hot(p, a);
  } else if (type == "ordinal") {
    steps::ordinal(p, a);
  } else if (type == "bin") {
    steps::bin(p, a);
  } else if (type == "combine") {
    steps::combine(p, a);
  } else if (type == "drop") {
    steps::drop(p, a);
  } else if (type == "select") {
    steps::select(p, a);
  } else {
    CHURN_THROW(InvalidArgument,
                "FeaturePipeline: unknown step type '"
                    << type
                    << "' (impute, clip, log1p, scale, one_hot, ordinal, bin, combine, drop, "
                       "select)");
  }
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
  cls.def(py::init([](int n_threads) {
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
