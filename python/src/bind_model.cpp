// Bindings of include/churn/model (the churn model bundle and its training) in the submodule
// _core._model; python/churnlib/model.py wraps them.
#include <pybind11/functional.h>  // std::function <-> callable
#include <pybind11/stl.h>         // std::vector <-> list, std::optional

#include <cstdint>  // std::int64_t
#include <string>   // std::string
#include <utility>  // std::move

#include "bindings.hpp"
#include "churn/core/error.hpp"
#include "churn/core/json.hpp"
#include "churn/model/churn_model.hpp"
#include "churn/model/train.hpp"
#include "interrupt.hpp"

namespace churn::python {

using data::Table;
using model::ChurnModel;

namespace {

std::optional<std::int64_t> nanos_or_none(const py::object& as_of, const char* what) {
  if (as_of.is_none()) return std::nullopt;
  return to_nanos(as_of, what);
}

/// The customers as a table: records (a dict or a list of dicts) typed by `contract` (a
/// model's; null in training), or as_table's conversions.
Table customers_table(const data::Schema* contract, const py::object& customers, const char* who) {
  if (is_records(customers)) return table_from_records(customers, contract, who);
  return as_table(customers, who);
}

/// Runs `f(customers, events_or_null, as_of)` on converted inputs, interruptible.
template <class F>
auto with_customers(const data::Schema* contract, const py::object& customers,
                    const py::object& events, const py::object& as_of, const char* who, F&& f) {
  Table c = customers_table(contract, customers, who);
  std::optional<Table> e;
  if (!events.is_none()) e = as_table(events, who);
  CHURN_CHECK(e.has_value() || as_of.is_none(), InvalidArgument,
              who << ": as_of is given without events (as_of is the date the events are "
                     "aggregated at)");
  const auto when = nanos_or_none(as_of, who);
  return run_interruptible([&] { return f(c, e ? &*e : nullptr, when); });
}

void def_scoring(py::class_<ChurnModel>& cls) {
  cls.def(
         "score",
         [](const ChurnModel& self, const py::object& customers, const py::object& events,
            const py::object& as_of, int n_reasons, bool validate) {
           model::ScoreOptions o;
           o.n_reasons = n_reasons;
           o.validate = validate;
           return with_customers(&self.contract(), customers, events, as_of, "ChurnModel.score()",
                                 [&](const Table& c, const Table* e, auto when) {
                                   return e ? self.score(c, *e, when, o) : self.score(c, o);
                                 });
         },
         py::arg("customers"), py::arg("events") = py::none(), py::arg("as_of") = py::none(),
         py::arg("n_reasons") = 3, py::arg("validate") = true)
      .def(
          "predict_proba",
          [](const ChurnModel& self, const py::object& customers, const py::object& events,
             const py::object& as_of, bool validate) {
            Vector p = with_customers(&self.contract(), customers, events, as_of,
                                      "ChurnModel.predict_proba()",
                                      [&](const Table& c, const Table* e, auto when) {
                                        return e ? self.predict_proba(c, *e, when, validate)
                                                 : self.predict_proba(c, validate);
                                      });
            return py::array_t<double>(p.size(), p.data());
          },
          py::arg("customers"), py::arg("events") = py::none(), py::arg("as_of") = py::none(),
          py::arg("validate") = true)
      .def(
          "validate",
          [](const ChurnModel& self, const py::object& customers) {
            Table c = customers_table(&self.contract(), customers, "ChurnModel.validate()");
            py::gil_scoped_release release;
            return self.validate(c);
          },
          py::arg("customers"))
      .def(
          "drift",
          [](const ChurnModel& self, const py::object& customers, const py::object& events,
             const py::object& as_of) {
            return with_customers(&self.contract(), customers, events, as_of, "ChurnModel.drift()",
                                  [&](const Table& c, const Table* e, auto when) {
                                    return e ? self.drift(c, *e, when) : self.drift(c);
                                  });
          },
          py::arg("customers"), py::arg("events") = py::none(), py::arg("as_of") = py::none());
}

void def_contents(py::class_<ChurnModel>& cls) {
  cls.def_property_readonly("is_fitted", &ChurnModel::is_fitted)
      .def_property_readonly(
          "kind", [](const ChurnModel& m) { return std::string(model::model_kind_name(m.kind())); })
      .def_property_readonly("threshold", &ChurnModel::threshold)
      .def_property_readonly("threshold_info",
                             [](const ChurnModel& m) { return json_to_python(m.threshold_info()); })
      .def_property_readonly("report",
                             [](const ChurnModel& m) { return json_to_python(m.report()); })
      .def_property_readonly("metadata",
                             [](const ChurnModel& m) { return json_to_python(m.metadata()); })
      .def_property_readonly("tags", [](const ChurnModel& m) { return json_to_python(m.tags()); })
      .def(
          "set_tags",
          [](ChurnModel& m, const py::object& tags) {
            m.set_tags(python_to_json(tags, "ChurnModel.set_tags()"));
          },
          py::arg("tags"))
      .def_property_readonly("feature_names", &ChurnModel::feature_names)
      .def_property_readonly("id_column", &ChurnModel::id_column)
      .def_property_readonly("classes_json", [](const ChurnModel& m) { return m.classes().dump(); })
      .def_property_readonly("contract", &ChurnModel::contract)
      .def_property_readonly("pipeline", &ChurnModel::pipeline)
      .def_property_readonly("baseline", &ChurnModel::baseline)
      .def_property_readonly("feature_importance", &ChurnModel::feature_importance)
      .def_property_readonly("performance_reference",
                             [](const ChurnModel& m) -> py::object {
                               const auto* r = m.performance_reference();
                               return r ? py::cast(*r) : py::none();
                             })
      .def_property_readonly("reconstruction",
                             [](const ChurnModel& m) -> py::object {
                               const auto* r = m.reconstruction();
                               return r ? py::cast(*r) : py::none();
                             })
      .def_property_readonly("model_json",
                             [](const ChurnModel& m) { return m.model_json().dump(); })
      .def_property_readonly("calibrator_json",
                             [](const ChurnModel& m) -> py::object {
                               const auto* c = m.calibrator();
                               if (c == nullptr) return py::none();
                               return py::str(c->to_json().dump());
                             })
      .def("to_json", [](const ChurnModel& m) { return m.to_json().dump(); })
      .def_static(
          "from_json",
          [](const std::string& text) {
            py::gil_scoped_release release;
            return ChurnModel::from_json(parse_json(text, "ChurnModel.from_json()"));
          },
          py::arg("text"))
      .def(
          "save",
          [](const ChurnModel& m, const std::string& path) {
            py::gil_scoped_release release;
            m.save(path);
          },
          py::arg("path"))
      .def_static(
          "load",
          [](const std::string& path) {
            py::gil_scoped_release release;
            return ChurnModel::load(path);
          },
          py::arg("path"));
}

void def_training(py::module_& m) {
  m.def("train_default_options", [] { return json_to_python(model::TrainOptions().to_options()); });
  m.def(
      "train_churn_model",
      [](const py::object& customers, const py::dict& options, const py::object& events,
         const py::object& as_of, const features::Pipeline* pipeline,
         const std::function<bool(const py::dict&)>& callback) {
        const auto opt = model::TrainOptions::from_options(
            python_to_json(options, "train_churn_model()"), "train_churn_model()");
        model::TrainCallback cb;
        if (callback) {
          cb = [&callback](const model::TrainProgress& p) {
            py::gil_scoped_acquire gil;
            py::dict d;
            d["stage"] = p.stage;
            d["candidate"] = p.candidate;
            d["fold"] = p.fold;
            d["n_folds"] = p.n_folds;
            d["message"] = p.message;
            return callback(d);
          };
        }
        return with_customers(nullptr, customers, events, as_of, "train_churn_model()",
                              [&](const Table& c, const Table* e, auto when) {
                                return model::train_churn_model(c, opt, e, when, pipeline, cb);
                              });
      },
      py::arg("customers"), py::arg("options"), py::arg("events") = py::none(),
      py::arg("as_of") = py::none(), py::arg("pipeline") = nullptr, py::arg("callback") = nullptr);
  m.def("comparison_table", &model::comparison_table, py::arg("model"));
}

}  // namespace

void bind_model(py::module_& parent) {
  py::module_ m = parent.def_submodule("_model", "The churn model bundle (churnlib.model).");
  py::class_<ChurnModel> cls(m, "ChurnModel", "The compiled core of churnlib.model.ChurnModel.");
  cls.def(py::init<>());
  def_scoring(cls);
  def_contents(cls);
  def_training(m);
}

}  // namespace churn::python
