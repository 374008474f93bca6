// Bindings of include/churn/retention/rules.hpp (retention rules) in the submodule
// _core._retention; python/churnlib/retention/rules.py wraps them.
#include <pybind11/eigen.h>  // Eigen <-> numpy
#include <pybind11/stl.h>    // std::vector <-> list

#include <cmath>     // std::isfinite
#include <cstdint>   // std::uint8_t
#include <optional>  // std::optional
#include <string>    // std::string
#include <utility>   // std::move
#include <vector>    // std::vector

#include "bindings.hpp"
#include "churn/core/error.hpp"
#include "churn/core/json.hpp"
#include "churn/retention/rules.hpp"

namespace churn::python {

namespace {

namespace ret = churn::retention;

/// The customers as a table, with the extra columns (score, bucket, segment ...) set on it.
data::Table customers_table(const py::handle& customers, const py::dict& extra,
                            const char* caller) {
  data::Table t = as_table(customers, caller, true);
  for (const auto& item : extra) {
    const std::string name = py::str(item.first);
    t.set_column(column_from_object(name, item.second, true));
  }
  return t;
}

/// The result as a dict; the per-customer vectors move into numpy arrays (no copy).
py::dict assignment_dict(ret::RuleAssignment&& r) {
  py::dict d;
  d["rule"] = py::cast(std::move(r.rule));
  d["action"] = py::cast(std::move(r.action));
  d["cost"] = py::cast(std::move(r.cost));
  d["expected_net_value"] = py::cast(std::move(r.expected_net_value));
  d["spent"] = r.spent;
  d["expected_value"] = r.expected_value;
  d["budget"] = std::isfinite(r.budget) ? py::object(py::float_(r.budget)) : py::object(py::none());
  d["action_counts"] = r.action_counts;
  d["rule_counts"] = r.rule_counts;
  d["n_candidates"] = r.n_candidates;
  d["method"] = r.method;
  return d;
}

py::dict action_dict(const ret::Action& a) {
  py::dict d;
  d["name"] = a.name;
  d["cost"] = a.cost;
  d["success_rate"] = a.success_rate;
  d["channel"] = a.channel;
  d["priority"] = a.priority;
  d["capacity"] = a.capacity < 0 ? py::object(py::none()) : py::object(py::int_(a.capacity));
  return d;
}

}  // namespace

void bind_retention_rules(py::module_& parent) {
  py::module_ m = parent.def_submodule("_retention", "Retention analytics (churnlib.retention).");
  py::class_<ret::RuleSet>(m, "RuleSet",
                           "A checked set of retention rules (the compiled core of "
                           "churnlib.retention.RuleSet).")
      .def(py::init<>())
      .def_static(
          "from_json",
          [](const std::string& text) {
            return ret::RuleSet::from_json(parse_json(text, "the rule document"));
          },
          py::arg("text"), "Reads a rule document (JSON text).")
      .def_static(
          "from_dict",
          [](const py::handle& doc) {
            return ret::RuleSet::from_json(python_to_json(doc, "RuleSet.from_dict()"));
          },
          py::arg("doc"), "Reads a rule document (a dict as json.loads gives).")
      .def("to_json", [](const ret::RuleSet& s) { return s.to_json().dump(); })
      .def("to_dict", [](const ret::RuleSet& s) { return json_to_python(s.to_json()); })
      .def("save", &ret::RuleSet::save, py::arg("path"))
      .def_static("load", &ret::RuleSet::load, py::arg("path"))
      .def_property_readonly(
          "budget",
          [](const ret::RuleSet& s) {
            return std::isfinite(s.budget()) ? py::object(py::float_(s.budget()))
                                             : py::object(py::none());
          },
          "The document's budget, or None.")
      .def_property_readonly("rule_names",
                             [](const ret::RuleSet& s) {
                               std::vector<std::string> out;
                               for (const auto& r : s.rules()) out.push_back(r.name);
                               return out;
                             })
      .def_property_readonly("rule_actions", &ret::RuleSet::rule_actions)
      .def_property_readonly("actions",
                             [](const ret::RuleSet& s) {
                               py::list out;
                               for (const auto& a : s.actions()) out.append(action_dict(a));
                               return out;
                             })
      .def_property_readonly("features", &ret::RuleSet::features)
      .def(
          "problems",
          [](const ret::RuleSet& s, const py::handle& customers, const py::dict& extra) {
            return s.problems(customers_table(customers, extra, "RuleSet.problems()"));
          },
          py::arg("customers"), py::arg("extra"))
      .def(
          "matches",
          [](const ret::RuleSet& s, const py::handle& customers, const py::dict& extra,
             NThreads n_threads) {
            const data::Table t = customers_table(customers, extra, "RuleSet.matches()");
            py::gil_scoped_release release;
            return s.matches(t, n_threads);
          },
          py::arg("customers"), py::arg("extra"), py::arg("n_threads") = 0)
      .def(
          "apply",
          [](const ret::RuleSet& s, const py::handle& customers, const py::dict& extra,
             const VectorRef& probability, const VectorRef& value_kept,
             std::optional<double> budget, NThreads n_threads) {
            const data::Table t = customers_table(customers, extra, "RuleSet.apply()");
            ret::RuleAssignment r;
            {
              py::gil_scoped_release release;
              r = s.apply(t, probability, value_kept, ret::ApplyOptions{budget, n_threads});
            }
            return assignment_dict(std::move(r));
          },
          py::arg("customers"), py::arg("extra"), py::arg("probability"), py::arg("value_kept"),
          py::arg("budget") = py::none(), py::arg("n_threads") = 0);
}

}  // namespace churn::python
