// Bindings of include/churn/monitor (PSI and the other drift statistics, Baseline, DriftReport)
// in the submodule _core._monitor; python/churnlib/monitor.py wraps them in a pandas-friendly,
// scikit-learn style API.
#include <pybind11/stl.h>  // std::vector <-> list, std::optional

#include <cstdint>  // std::int64_t
#include <string>   // std::string
#include <utility>  // std::move
#include <vector>   // std::vector

#include "bindings.hpp"
#include "churn/core/error.hpp"
#include "churn/core/json.hpp"
#include "churn/monitor/baseline.hpp"
#include "churn/monitor/psi.hpp"
#include "churn/monitor/report.hpp"
#include "interrupt.hpp"

namespace churn::python {

using data::Column;
using data::Table;

namespace {

namespace mon = churn::monitor;

py::dict drift_dict(const mon::FeatureDrift& f) {
  py::dict d;
  d["feature"] = f.feature;
  d["kind"] = mon::feature_kind_name(f.kind);
  d["psi"] = f.psi;
  d["status"] = mon::drift_status_name(f.status);
  d["ks"] = f.ks;
  d["js"] = f.js;
  d["missing_rate_reference"] = f.missing_rate_reference;
  d["missing_rate_current"] = f.missing_rate_current;
  d["share_out_of_range"] = f.share_out_of_range;
  d["share_unseen"] = f.share_unseen;
  d["unseen_categories"] = f.unseen_categories;
  d["importance"] = f.importance;
  d["impact"] = f.impact;
  return d;
}

py::dict window_dict(const mon::WindowPerformance& w) {
  py::dict d;
  d["window"] = w.window;
  d["n"] = w.n;
  d["churn_rate"] = w.churn_rate;
  d["auc"] = w.auc;
  d["precision"] = w.precision;
  d["recall"] = w.recall;
  return d;
}

py::dict summary_dict(const mon::NumericSummary& s) {
  py::dict d;
  d["count"] = s.count;
  d["missing"] = s.missing;
  d["missing_rate"] = s.missing_rate;
  d["mean"] = s.mean;
  d["std"] = s.std;
  d["min"] = s.min;
  d["max"] = s.max;
  d["levels"] = s.levels;
  d["quantiles"] = s.quantiles;
  return d;
}

/// A threshold argument: None = off (NaN).
double threshold_arg(const py::object& v) {
  return v.is_none() ? kMissing : v.cast<double>();
}

/// quantiles, bin_edges, psi, js_distance, ks_statistic, missing_rate, share_out_of_range:
/// the statistics of numeric columns.
void bind_numeric_drift(py::module_& m) {
  m.def(
      "quantiles",
      [](const py::object& x, const std::vector<double>& levels) {
        auto a = as_float_array(x, "quantiles(): x");
        py::gil_scoped_release release;
        return mon::quantiles(float_view(a), levels);
      },
      py::arg("x"), py::arg("levels"));
  m.def(
      "bin_edges",
      [](const py::object& x, int bins, const std::string& binning) {
        auto a = as_float_array(x, "bin_edges(): reference");
        const auto b = mon::binning_from_name(binning);
        py::gil_scoped_release release;
        return mon::bin_edges(float_view(a), bins, b);
      },
      py::arg("reference"), py::arg("bins") = 10, py::arg("binning") = "quantile");
  m.def(
      "psi",
      [](const py::object& r, const py::object& c, int bins, const std::string& binning,
         double epsilon) {
        auto ra = as_float_array(r, "psi(): reference");
        auto ca = as_float_array(c, "psi(): current");
        const auto b = mon::binning_from_name(binning);
        py::gil_scoped_release release;
        return mon::psi(float_view(ra), float_view(ca), bins, b, epsilon);
      },
      py::arg("reference"), py::arg("current"), py::arg("bins") = 10,
      py::arg("binning") = "quantile", py::arg("epsilon") = mon::kDefaultEpsilon);
  m.def(
      "js_distance",
      [](const py::object& r, const py::object& c, int bins, const std::string& binning) {
        auto ra = as_float_array(r, "js_distance(): reference");
        auto ca = as_float_array(c, "js_distance(): current");
        const auto b = mon::binning_from_name(binning);
        py::gil_scoped_release release;
        return mon::js_distance(float_view(ra), float_view(ca), bins, b);
      },
      py::arg("reference"), py::arg("current"), py::arg("bins") = 10,
      py::arg("binning") = "quantile");
  m.def(
      "ks_statistic",
      [](const py::object& r, const py::object& c) {
        auto ra = as_float_array(r, "ks_statistic(): reference");
        auto ca = as_float_array(c, "ks_statistic(): current");
        py::gil_scoped_release release;
        return mon::ks_statistic(float_view(ra), float_view(ca));
      },
      py::arg("reference"), py::arg("current"));
  m.def(
      "missing_rate",
      [](const py::object& x) {
        auto a = as_float_array(x, "missing_rate(): x");
        return mon::missing_rate(float_view(a));
      },
      py::arg("x"));
  m.def(
      "share_out_of_range",
      [](const py::object& r, const py::object& c) {
        auto ra = as_float_array(r, "share_out_of_range(): reference");
        auto ca = as_float_array(c, "share_out_of_range(): current");
        return mon::share_out_of_range(float_view(ra), float_view(ca));
      },
      py::arg("reference"), py::arg("current"));
}

/// categorical_psi, categorical_js_distance, unseen_categories.
void bind_categorical_drift(py::module_& m) {
  m.def(
      "categorical_psi",
      [](const py::object& r, const py::object& c, double epsilon) {
        const Column rc = column_from_object("reference", r);
        const Column cc = column_from_object("current", c);
        py::gil_scoped_release release;
        return mon::categorical_psi(rc, cc, epsilon);
      },
      py::arg("reference"), py::arg("current"), py::arg("epsilon") = mon::kDefaultEpsilon);
  m.def(
      "categorical_js_distance",
      [](const py::object& r, const py::object& c) {
        const Column rc = column_from_object("reference", r);
        const Column cc = column_from_object("current", c);
        py::gil_scoped_release release;
        return mon::categorical_js_distance(rc, cc);
      },
      py::arg("reference"), py::arg("current"));
  m.def(
      "unseen_categories",
      [](const py::object& r, const py::object& c) {
        const Column rc = column_from_object("reference", r);
        const Column cc = column_from_object("current", c);
        return mon::unseen_categories(rc, cc);
      },
      py::arg("reference"), py::arg("current"));
}

/// performance_by_window.
void bind_window_performance(py::module_& m) {
  m.def(
      "performance_by_window",
      [](const std::vector<py::object>& labels, const std::vector<py::object>& scores,
         const std::vector<std::string>& names, double threshold, NThreads n_threads) {
        std::vector<Vector> ys, ss;
        for (const auto& y : labels)
          ys.push_back(float_view(as_float_array(y, "performance_by_window(): labels")));
        for (const auto& s : scores)
          ss.push_back(float_view(as_float_array(s, "performance_by_window(): scores")));
        std::vector<mon::WindowPerformance> w;
        {
          py::gil_scoped_release release;
          w = mon::performance_by_window(ys, ss, names, threshold, n_threads);
        }
        py::list out;
        for (const auto& x : w) out.append(window_dict(x));
        return out;
      },
      py::arg("labels"), py::arg("scores"), py::arg("names"), py::arg("threshold") = 0.5,
      py::arg("n_threads") = 0);
}

/// DriftReport (before Baseline, whose compare() returns one).
void bind_drift_report(py::module_& m) {
  py::class_<mon::DriftReport>(m, "DriftReport")
      .def_property_readonly("features",
                             [](const mon::DriftReport& r) {
                               py::list out;
                               for (const auto& f : r.features()) out.append(drift_dict(f));
                               return out;
                             })
      .def_property_readonly("score",
                             [](const mon::DriftReport& r) -> py::object {
                               if (!r.score()) return py::none();
                               return drift_dict(*r.score());
                             })
      .def_property_readonly("share_drifting", &mon::DriftReport::share_drifting)
      .def_property_readonly("n_missing_columns", &mon::DriftReport::n_missing_columns)
      .def_property_readonly("n_rows_reference", &mon::DriftReport::n_rows_reference)
      .def_property_readonly("n_rows_current", &mon::DriftReport::n_rows_current)
      .def_property_readonly("weighted", &mon::DriftReport::weighted)
      .def_property_readonly("estimated_performance",
                             [](const mon::DriftReport& r) -> py::object {
                               const auto& e = r.estimated_performance();
                               return e ? py::cast(*e) : py::none();
                             })
      .def_property_readonly("domain_classifier",
                             [](const mon::DriftReport& r) -> py::object {
                               const auto& d = r.domain_classifier();
                               return d ? py::cast(*d) : py::none();
                             })
      .def_property_readonly("reconstruction",
                             [](const mon::DriftReport& r) -> py::object {
                               const auto& d = r.reconstruction();
                               return d ? py::cast(*d) : py::none();
                             })
      // the argument types are registered after this class (bind_monitor_estimate.cpp,
      // bind_monitor_multivariate.cpp): taken as objects and cast when called
      .def(
          "set_estimated_performance",
          [](mon::DriftReport& r, const py::object& e) -> mon::DriftReport& {
            return r.set_estimated_performance(e.cast<mon::EstimatedPerformance>());
          },
          py::arg("estimate"), py::return_value_policy::reference_internal)
      .def(
          "set_domain_classifier",
          [](mon::DriftReport& r, const py::object& d) -> mon::DriftReport& {
            return r.set_domain_classifier(d.cast<mon::DomainClassifierResult>());
          },
          py::arg("result"), py::return_value_policy::reference_internal)
      .def(
          "set_reconstruction",
          [](mon::DriftReport& r, const py::object& d) -> mon::DriftReport& {
            return r.set_reconstruction(d.cast<mon::PcaDriftResult>());
          },
          py::arg("result"), py::return_value_policy::reference_internal)
      .def("weight_by_importance", &mon::DriftReport::weight_by_importance, py::arg("importance"),
           py::return_value_policy::reference_internal)
      .def_property_readonly("thresholds",
                             [](const mon::DriftReport& r) {
                               py::dict d;
                               d["moderate"] = r.thresholds().moderate;
                               d["significant"] = r.thresholds().significant;
                               d["score_alert"] = r.thresholds().score_alert;
                               return d;
                             })
      .def(
          "add_performance",
          [](mon::DriftReport& r, const std::vector<py::object>& labels,
             const std::vector<py::object>& scores, const std::vector<std::string>& names,
             double threshold, const py::object& min_auc, const py::object& min_precision,
             const py::object& min_recall, const py::object& max_churn_rate,
             NThreads n_threads) -> mon::DriftReport& {
            mon::PerformanceThresholds t;
            t.min_auc = threshold_arg(min_auc);
            t.min_precision = threshold_arg(min_precision);
            t.min_recall = threshold_arg(min_recall);
            t.max_churn_rate = threshold_arg(max_churn_rate);
            t.validate();
            std::vector<Vector> ys, ss;
            for (const auto& y : labels)
              ys.push_back(float_view(as_float_array(y, "add_performance(): y_true")));
            for (const auto& s : scores)
              ss.push_back(float_view(as_float_array(s, "add_performance(): y_score")));
            py::gil_scoped_release release;
            return r.add_performance(
                mon::performance_by_window(ys, ss, names, threshold, n_threads), t);
          },
          py::arg("labels"), py::arg("scores"), py::arg("names"), py::kw_only(),
          py::arg("threshold") = 0.5, py::arg("min_auc") = 0.70,
          py::arg("min_precision") = py::none(), py::arg("min_recall") = py::none(),
          py::arg("max_churn_rate") = py::none(), py::arg("n_threads") = 0,
          py::return_value_policy::reference_internal)
      .def_property_readonly("performance",
                             [](const mon::DriftReport& r) {
                               py::list out;
                               for (const auto& w : r.performance()) out.append(window_dict(w));
                               return out;
                             })
      .def_property_readonly("alerts",
                             [](const mon::DriftReport& r) { return monitor_alerts(r.alerts()); })
      .def(
          "to_json", [](const mon::DriftReport& r, int indent) { return r.to_json().dump(indent); },
          py::arg("indent") = -1);
}

/// Baseline's construction, fit, accumulate, merge and compare.
void def_baseline_fitting(py::class_<mon::Baseline>& cls) {
  cls.def(py::init([](const py::dict& options, const std::string& caller) {
            return mon::Baseline(
                mon::BaselineParams::from_options(python_to_json(options, caller), caller));
          }),
          py::arg("options") = py::dict(), py::arg("caller") = "Baseline",
          "A baseline with the parameters a dict names (the others keep the C++ defaults).")
      .def_static(
          "default_params", [] { return json_to_python(mon::BaselineParams().to_json()); },
          "The C++ defaults as a dict.")
      .def(
          "fit",
          [](mon::Baseline& self, const py::object& data,
             const py::object& score) -> mon::Baseline& {
            Table t = as_table(data, "Baseline.fit()", true);  // kept only during the call
            auto s = as_float_array(score, "Baseline.fit(): score");
            run_interruptible([&] { self.fit(t, float_view(s)); });
            return self;
          },
          py::arg("data"), py::arg("score") = py::none(),
          py::return_value_policy::reference_internal)
      .def(
          "accumulate",
          [](const mon::Baseline& self, const py::object& data, const py::object& score) {
            Table t = as_table(data, "Baseline.accumulate()", true);  // kept only during the call
            auto s = as_float_array(score, "Baseline.accumulate(): score");
            return run_interruptible([&] { return self.accumulate(t, float_view(s)); });
          },
          py::arg("data"), py::arg("score") = py::none())
      .def(
          "merge",
          [](mon::Baseline& self, const mon::Baseline& other) -> mon::Baseline& {
            py::gil_scoped_release release;
            return self.merge(other);
          },
          py::arg("other"), py::return_value_policy::reference_internal)
      .def(
          "compare",
          [](const mon::Baseline& self, const py::object& data, const py::object& score) {
            Table t = as_table(data, "Baseline.compare()", true);  // kept only during the call
            auto s = as_float_array(score, "Baseline.compare(): score");
            return run_interruptible([&] { return self.compare(t, float_view(s)); });
          },
          py::arg("data"), py::arg("score") = py::none())
      .def(
          "compare_baseline",
          [](const mon::Baseline& self, const mon::Baseline& current) {
            py::gil_scoped_release release;
            return self.compare(current);
          },
          py::arg("current"));
}

/// What a fitted Baseline holds (parameters, per-feature summaries) and its JSON form.
void def_baseline_contents(py::class_<mon::Baseline>& cls) {
  cls.def_property_readonly("is_fitted", &mon::Baseline::is_fitted)
      .def_property_readonly("n_rows", &mon::Baseline::n_rows)
      .def_property_readonly("feature_names", &mon::Baseline::feature_names)
      .def_property_readonly("has_score", &mon::Baseline::has_score)
      .def_property_readonly(
          "params", [](const mon::Baseline& b) { return json_to_python(b.params().to_json()); },
          "The parameters as a dict.")
      .def(
          "kind",
          [](const mon::Baseline& b, const std::string& f) {
            return std::string(mon::feature_kind_name(b.kind(f)));
          },
          py::arg("feature"))
      .def("edges", &mon::Baseline::edges, py::arg("feature"))
      .def(
          "summary",
          [](const mon::Baseline& b, const std::string& f) { return summary_dict(b.summary(f)); },
          py::arg("feature"))
      .def(
          "histogram",
          [](const mon::Baseline& b, const std::string& f) {
            const mon::Histogram h = b.histogram(f);
            py::dict out;
            out["edges"] = h.edges();
            out["counts"] = h.counts();
            out["missing"] = h.missing();
            out["out_of_range"] = h.out_of_range();
            return out;
          },
          py::arg("feature"))
      .def(
          "category_counts",
          [](const mon::Baseline& b, const std::string& f) {
            const mon::CategoryCounts& c = b.category_counts(f);
            py::dict out;
            out["categories"] = c.categories();
            out["counts"] = c.counts();
            out["missing"] = c.missing();
            return out;
          },
          py::arg("feature"))
      .def("to_json", [](const mon::Baseline& b) { return b.to_json().dump(); })
      .def_static(
          "from_json",
          [](const std::string& text) { return mon::Baseline::from_json(parse_json(text)); },
          py::arg("text"))
      .def("save", &mon::Baseline::save, py::arg("path"))
      .def_static("load", &mon::Baseline::load, py::arg("path"));
}

/// Baseline, its methods in the order above.
void bind_baseline(py::module_& m) {
  py::class_<mon::Baseline> cls(m, "Baseline");
  def_baseline_fitting(cls);
  def_baseline_contents(cls);
}

}  // namespace

py::list monitor_alerts(const std::vector<mon::Alert>& alerts) {
  py::list out;
  for (const auto& a : alerts) {
    py::dict d;
    d["subject"] = a.subject;
    d["metric"] = a.metric;
    d["value"] = a.value;
    d["threshold"] = a.threshold;
    d["severity"] = mon::severity_name(a.severity);
    out.append(d);
  }
  return out;
}

void bind_monitor(py::module_& parent) {
  py::module_ m = parent.def_submodule(
      "_monitor", "Compiled drift monitoring (use churnlib.monitor, which wraps these).");
  bind_numeric_drift(m);
  bind_categorical_drift(m);
  bind_window_performance(m);
  bind_drift_report(m);
  bind_baseline(m);
}

}  // namespace churn::python
