// Bindings of include/churn/tree: the compiled core of churnlib.GBDTClassifier
// (python/churnlib/tree.py wraps it in the scikit-learn idiom).
#include <pybind11/eigen.h>  // Eigen::Ref <-> numpy (no copy for C-ordered float64)
#include <pybind11/stl.h>    // std::vector <-> list

#include <algorithm>      // std::copy, std::max
#include <cstdint>        // std::int64_t, std::uint64_t, std::uintptr_t
#include <string>         // std::string
#include <string_view>    // std::string_view
#include <unordered_map>  // std::unordered_map
#include <utility>        // std::move
#include <vector>         // std::vector

#include "bindings.hpp"
#include "churn/core/error.hpp"
#include "churn/core/json.hpp"
#include "churn/tree/forest.hpp"
#include "churn/tree/gbdt.hpp"
#include "common/category_labels.hpp"
#include "interrupt.hpp"

namespace churn::python {

using tree::FeatureBinInfo;
using tree::gbdt_metric_from_name;
using tree::GBDTClassifier;
using tree::GBDTIteration;
using tree::GBDTMetric;
using tree::GBDTParams;
using tree::RandomForestClassifier;
using tree::RandomForestParams;

namespace {

/// fit()'s options from the binding's arguments (empty arrays: not given).
FitOptions fit_options(const VectorRef& sample_weight, const RowMatrixRef& X_eval,
                       const VectorRef& y_eval, const VectorRef& eval_weight,
                       const std::vector<std::string>& feature_names) {
  FitOptions options;
  options.sample_weight = sample_weight;
  options.feature_names = feature_names;
  if (X_eval.rows() > 0 || X_eval.cols() > 0 || y_eval.size() > 0)
    options.eval_set = EvalSet{X_eval, y_eval, eval_weight};
  return options;
}

constexpr const char* kFitDoc = R"doc(
Fits the model (with the GIL released; Ctrl-C raises KeyboardInterrupt within about 25 ms of
a round's end, and the model is then unchanged).

``callback``, when given, is called after each boosting round (with the GIL held) as
``callback(iteration, evals)``: the 1-based round and a list with the evaluation metric after
it (one value per evaluation set, empty without one). A true return value stops training,
keeping the trees built so far (with early stopping: the best round's, as an early stop does).
An exception raised by the callback propagates, and the model is then unchanged.
)doc";

/// Installs a Python callable as the model's iteration callback for one fit (none: no
/// callback) and removes it afterwards. The callable is borrowed: the caller's argument keeps
/// it alive for the call.
class CallbackGuard {
 public:
  CallbackGuard(GBDTClassifier& model, const py::object& callback) : model_(model) {
    if (callback.is_none()) return;
    if (!PyCallable_Check(callback.ptr()))
      throw py::type_error("GBDTClassifier.fit(): callback must be callable or None");
    const py::handle cb = callback;
    model_.set_callback([cb](const GBDTIteration& it) -> bool {
      py::gil_scoped_acquire gil;
      py::list evals;
      for (const double v : it.evals) evals.append(v);
      const py::object r = cb(it.iteration, evals);  // a Python exception propagates
      const int stop = PyObject_IsTrue(r.ptr());
      if (stop < 0) throw py::error_already_set();
      return stop == 1;
    });
  }
  ~CallbackGuard() { model_.set_callback({}); }
  CallbackGuard(const CallbackGuard&) = delete;
  CallbackGuard& operator=(const CallbackGuard&) = delete;

 private:
  GBDTClassifier& model_;
};

/// GBDTParams from keyword arguments (defaults: those of the C++ struct), validated.
py::dict bin_info_dict(const FeatureBinInfo& b) {
  py::dict d;
  d["categorical"] = b.categorical;
  d["upper_edges"] = py::cast(b.upper_edges);
  d["code_to_bin"] = py::cast(b.code_to_bin);
  d["n_bins"] = b.n_bins;
  d["has_missing"] = b.has_missing;
  return d;
}

/// _GBDTParams.
void bind_gbdt_params(py::module_& m) {
  py::class_<GBDTParams>(m, "_GBDTParams", R"doc(
Hyper-parameters of the compiled GBDT (churn::tree::GBDTParams), validated on construction.
churnlib.GBDTClassifier builds one from its own hyper-parameters at fit time.
)doc")
      .def(py::init([](const py::dict& options, const std::string& caller) {
             return GBDTParams::from_options(python_to_json(options, caller), caller);
           }),
           py::arg("options") = py::dict(), py::arg("caller") = "GBDTParams",
           "Parameters from a dict naming some of them (the others keep the C++ defaults).")
      .def(
          "to_dict", [](const GBDTParams& p) { return json_to_python(p.to_json()); },
          "The parameters as a dict (the `params` object of a saved model).")
      .def_static(
          "defaults", [] { return json_to_python(GBDTParams().to_json()); },
          "The C++ defaults as a dict.");
}

using GBDT = GBDTClassifier;

/// _GBDT.fit and fit_columns.
void def_gbdt_fit(py::class_<GBDT>& cls) {
  cls.def(
         "fit",
         [](py::object self_obj, const RowMatrixRef& X, const VectorRef& y,
            const VectorRef& sample_weight, const RowMatrixRef& X_eval, const VectorRef& y_eval,
            const VectorRef& eval_weight, const std::vector<std::string>& feature_names,
            const py::object& callback) {
           auto& self = self_obj.cast<GBDT&>();
           const CallbackGuard guard(self, callback);
           run_interruptible([&] {
             self.fit(X, y, fit_options(sample_weight, X_eval, y_eval, eval_weight, feature_names));
           });
           self_obj.attr("_fit_input_address") =
               py::int_(reinterpret_cast<std::uintptr_t>(X.data()));
           return self_obj;
         },
         py::arg("X"), py::arg("y"), py::arg("sample_weight"), py::arg("X_eval"), py::arg("y_eval"),
         py::arg("eval_weight"), py::arg("feature_names"), py::arg("callback") = py::none(),
         kFitDoc)
      .def(
          "fit_columns",
          [](py::object self_obj,
             const std::vector<py::array_t<double, py::array::c_style | py::array::forcecast>>&
                 columns,
             const VectorRef& y, const VectorRef& sample_weight, const RowMatrixRef& X_eval,
             const VectorRef& y_eval, const VectorRef& eval_weight,
             const std::vector<std::string>& feature_names, const py::object& callback) {
            auto& self = self_obj.cast<GBDT&>();
            // The arrays (float64, contiguous: views of the caller's columns when they already
            // are) stay alive in `columns` for the whole call; C++ sees them through Eigen maps.
            std::vector<VectorRef> refs;
            refs.reserve(columns.size());
            for (std::size_t j = 0; j < columns.size(); ++j) {
              const auto& a = columns[j];
              CHURN_CHECK(a.ndim() == 1, InvalidArgument,
                          "GBDTClassifier.fit(): column " << j << " must be 1-D, got " << a.ndim()
                                                          << " dimensions");
              refs.emplace_back(Eigen::Map<const Vector>(a.data(), a.shape(0)));
            }
            const CallbackGuard guard(self, callback);
            run_interruptible([&] {
              self.fit_columns(
                  refs, y, fit_options(sample_weight, X_eval, y_eval, eval_weight, feature_names));
            });
            return self_obj;
          },
          py::arg("columns"), py::arg("y"), py::arg("sample_weight"), py::arg("X_eval"),
          py::arg("y_eval"), py::arg("eval_weight"), py::arg("feature_names"),
          py::arg("callback") = py::none(), "As fit(), with the features given column by column.");
}

/// Rows x trees up to which a prediction keeps the GIL: such a call takes microseconds (a
/// one-row call of 100 trees about 4), less than releasing and retaking the GIL can cost when
/// another thread waits for it. Larger calls release it.
constexpr std::int64_t kKeepGilWork = 4096;

using CArray = py::array_t<double, py::array::c_style>;

/// `X` as a C-ordered float64 array: the array itself when it is one (what the Python wrapper
/// passes), else numpy's conversion of it.
CArray c_float64(const py::array& X) {
  if (CArray::check_(X)) return py::reinterpret_borrow<CArray>(X);
  auto a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(X);
  if (!a) throw py::error_already_set();
  return a;
}

/// The rows of the 2-D array `a` as a matrix (no copy; valid while `a` lives).
/// @throws InvalidArgument naming `caller` if `a` is not 2-D.
Eigen::Map<const RowMatrix> rows_of(const CArray& a, const char* caller) {
  CHURN_CHECK(a.ndim() == 2, InvalidArgument,
              caller << ": X must be 2-D, got " << a.ndim() << " dimensions");
  return {a.data(), a.shape(0), a.shape(1)};
}

/// Runs `predict()` (`rows` rows by `trees` trees) with the GIL released, unless it is small
/// (kKeepGilWork).
template <class F>
decltype(auto) predict_with_gil_rule(Index rows, int trees, F&& predict) {
  if (static_cast<std::int64_t>(rows) * std::max(trees, 1) <= kKeepGilWork) return predict();
  const py::gil_scoped_release release;
  return predict();
}

/// The private fast entry points of GBDTClassifier's predictions, which the Python wrapper calls
/// with the C-ordered float64 matrix it prepared: positional `X` only (no keyword parsing, no
/// int parameter to check), the model's every tree, the GIL kept for a few rows, and the output
/// built as a numpy array directly (proba: n rows of (P(0), P(1)) with P(0) = 1 - P(1), the
/// doubles numpy's `1.0 - p1` gave; P(1) alone without `two_columns`).
void def_gbdt_predict_arrays(py::class_<GBDT>& cls) {
  cls.def("_predict_raw_array",
          [](const GBDT& self, const py::array& X) {
            const CArray a = c_float64(X);
            const auto Xm = rows_of(a, "GBDTClassifier.predict_raw()");
            py::array_t<double> out(Xm.rows());
            double* o = out.mutable_data();
            predict_with_gil_rule(Xm.rows(), self.n_trees(), [&] {
              const Vector raw = self.predict_raw(Xm);
              std::copy(raw.data(), raw.data() + raw.size(), o);
            });
            return out;
          })
      .def("_predict_proba_array", [](const GBDT& self, const py::array& X, bool two_columns) {
        const CArray a = c_float64(X);
        const auto Xm = rows_of(a, "GBDTClassifier.predict_proba()");
        const py::ssize_t n = Xm.rows();
        py::array_t<double> out =
            two_columns ? py::array_t<double>({n, py::ssize_t{2}}) : py::array_t<double>(n);
        double* o = out.mutable_data();
        predict_with_gil_rule(Xm.rows(), self.n_trees(), [&] {
          const Vector p = self.predict_proba(Xm);
          if (!two_columns) {
            std::copy(p.data(), p.data() + p.size(), o);
            return;
          }
          for (Index i = 0; i < p.size(); ++i) {
            o[2 * i] = 1.0 - p[i];
            o[2 * i + 1] = p[i];
          }
        });
        return out;
      });
}

/// _GBDT's predictions, per-round evaluation and feature importances.
void def_gbdt_predict(py::class_<GBDT>& cls) {
  def_gbdt_predict_arrays(cls);
  cls.def(
         "predict_raw",
         [](const GBDT& self, const RowMatrixRef& X, int n_trees) {
           py::gil_scoped_release release;
           return self.predict_raw(X, n_trees);
         },
         py::arg("X"), py::arg("n_trees") = 0)
      .def(
          "predict_proba",
          [](const GBDT& self, const RowMatrixRef& X, int n_trees) {
            py::gil_scoped_release release;
            return self.predict_proba(X, n_trees);
          },
          py::arg("X"), py::arg("n_trees") = 0)
      .def(
          "predict_contrib",
          [](const GBDT& self, const RowMatrixRef& X, int n_trees) {
            py::gil_scoped_release release;
            return self.predict_contrib(X, n_trees);
          },
          py::arg("X"), py::arg("n_trees") = 0)
      .def(
          "evaluate_rounds",
          [](const GBDT& self, const RowMatrixRef& X, const VectorRef& y,
             const VectorRef& sample_weight, const std::string& metric) {
            const GBDTMetric which = gbdt_metric_from_name(metric);
            py::gil_scoped_release release;
            return self.evaluate_rounds(X, y, sample_weight, which);
          },
          py::arg("X"), py::arg("y"), py::arg("sample_weight"), py::arg("metric"))
      .def(
          "predict_leaf",
          [](const GBDT& self, const RowMatrixRef& X, int n_trees) {
            py::gil_scoped_release release;
            return self.predict_leaf(X, n_trees);
          },
          py::arg("X"), py::arg("n_trees") = 0)
      .def("feature_importances", &GBDT::feature_importances, py::arg("type") = "split");
}

/// The fitted _GBDT's read-only properties (and set_category_names).
void def_gbdt_attributes(py::class_<GBDT>& cls) {
  cls.def_property_readonly("is_fitted", &GBDT::is_fitted)
      .def_property_readonly("params", &GBDT::params)
      .def_property_readonly("n_trees", &GBDT::n_trees)
      .def_property_readonly("init_score", &GBDT::init_score)
      .def_property_readonly("n_features", &GBDT::n_features)
      .def_property_readonly("feature_names", &GBDT::feature_names)
      .def_property_readonly("best_iteration", &GBDT::best_iteration)
      .def_property_readonly("evals_result", &GBDT::evals_result)
      .def_property_readonly("fit_profile",
                             [](const GBDT& self) {
                               const churn::tree::GBDTFitProfile& p = self.fit_profile();
                               py::dict d;
                               d["n_threads"] = p.n_threads;
                               d["n_trees"] = p.n_trees;
                               d["total_s"] = p.total_s;
                               d["binning_s"] = p.binning_s;
                               d["boosting_s"] = p.boosting_s;
                               d["gradients_s"] = p.gradients_s;
                               d["histogram_s"] = p.histogram_s;
                               d["partition_s"] = p.partition_s;
                               d["score_s"] = p.score_s;
                               d["serial_s"] = p.serial_s;
                               d["parallel_regions"] = p.parallel_regions;
                               d["hist_bytes_zeroed"] = p.hist_bytes_zeroed;
                               d["hist_bytes_reduced"] = p.hist_bytes_reduced;
                               return d;
                             })
      .def_property_readonly(
          "eval_metric",
          [](const GBDT& self) { return gbdt_metric_name(self.params().eval_metric); })
      .def_property_readonly("bin_info",
                             [](const GBDT& self) {
                               py::list out;
                               for (const auto& b : self.bin_info()) out.append(bin_info_dict(b));
                               return out;
                             })
      .def_property_readonly("tree_n_leaves",
                             [](const GBDT& self) {
                               std::vector<Index> out;
                               for (const auto& t : self.trees()) out.push_back(t.n_leaves());
                               return out;
                             })
      .def_property_readonly("tree_max_depth",
                             [](const GBDT& self) {
                               std::vector<int> out;
                               for (const auto& t : self.trees()) out.push_back(t.max_depth());
                               return out;
                             })
      .def_property_readonly("category_names", &GBDT::category_names)
      .def("set_category_names", &GBDT::set_category_names, py::arg("names"));
}

/// _GBDT's JSON text and files.
void def_gbdt_serialization(py::class_<GBDT>& cls) {
  cls.def("to_json", [](const GBDT& self) { return self.to_json().dump(); })
      .def_static(
          "from_json",
          [](const std::string& text) {
            const Json doc = parse_json(text, "GBDTClassifier JSON");
            try {
              return GBDT::from_json(doc);
            } catch (const nlohmann::json::exception& e) {  // a member of an unexpected type
              CHURN_THROW(SerializationError, "GBDTClassifier JSON is not valid: " << e.what());
            }
          },
          py::arg("text"))
      .def("save", &GBDT::save, py::arg("path"))
      .def_static(
          "load",
          [](const std::string& path) {
            try {
              return GBDT::load(path);
            } catch (const nlohmann::json::exception& e) {
              CHURN_THROW(SerializationError,
                          "GBDTClassifier file '" << path << "' is not valid: " << e.what());
            }
          },
          py::arg("path"));
}

/// _GBDT (after _GBDTParams, which its constructor takes).
void bind_gbdt(py::module_& m) {
  py::class_<GBDT> cls(m, "_GBDT", py::dynamic_attr(), R"doc(
Compiled core of churnlib.GBDTClassifier (use that class: this one takes numeric matrices whose
categorical columns already hold the training codes, and returns P(class 1) only).

After each fit, the attribute ``_fit_input_address`` holds the address of the training matrix's
first element as the C++ code saw it (tests use it to check that C-ordered float64 arrays are
not copied).
)doc");
  def_class_labels(cls).def(py::init<const GBDTParams&>(), py::arg("params"));
  def_gbdt_fit(cls);
  def_gbdt_predict(cls);
  def_gbdt_attributes(cls);
  def_gbdt_serialization(cls);
}

// ---- the random forest ---------------------------------------------------------------------

using Forest = RandomForestClassifier;

/// _ForestParams.
void bind_forest_params(py::module_& m) {
  py::class_<RandomForestParams>(m, "_ForestParams", R"doc(
Hyper-parameters of the compiled random forest (churn::tree::RandomForestParams), validated on
construction. churnlib.RandomForestClassifier builds one from its own at fit time.
)doc")
      .def(py::init([](const py::dict& options, const std::string& caller) {
             return RandomForestParams::from_options(python_to_json(options, caller), caller);
           }),
           py::arg("options") = py::dict(), py::arg("caller") = "RandomForestParams",
           "Parameters from a dict naming some of them (the others keep the C++ defaults).")
      .def(
          "to_dict", [](const RandomForestParams& p) { return json_to_python(p.to_json()); },
          "The parameters as a dict (the `params` object of a saved model).")
      .def_static(
          "defaults", [] { return json_to_python(RandomForestParams().to_json()); },
          "The C++ defaults as a dict.");
}

/// _Forest.fit and fit_columns.
void def_forest_fit(py::class_<Forest>& cls) {
  cls.def(
         "fit",
         [](py::object self_obj, const RowMatrixRef& X, const VectorRef& y,
            const VectorRef& sample_weight, const std::vector<std::string>& feature_names) {
           auto& self = self_obj.cast<Forest&>();
           FitOptions options;
           options.sample_weight = sample_weight;
           options.feature_names = feature_names;
           run_interruptible([&] { self.fit(X, y, options); });
           return self_obj;
         },
         py::arg("X"), py::arg("y"), py::arg("sample_weight"), py::arg("feature_names"),
         "Fits the forest (GIL released; Ctrl-C raises KeyboardInterrupt between trees).")
      .def(
          "fit_columns",
          [](py::object self_obj,
             const std::vector<py::array_t<double, py::array::c_style | py::array::forcecast>>&
                 columns,
             const VectorRef& y, const VectorRef& sample_weight,
             const std::vector<std::string>& feature_names) {
            auto& self = self_obj.cast<Forest&>();
            std::vector<VectorRef> refs;
            refs.reserve(columns.size());
            for (std::size_t j = 0; j < columns.size(); ++j) {
              const auto& a = columns[j];
              CHURN_CHECK(a.ndim() == 1, InvalidArgument,
                          "RandomForestClassifier.fit(): column " << j << " must be 1-D, got "
                                                                  << a.ndim() << " dimensions");
              refs.emplace_back(Eigen::Map<const Vector>(a.data(), a.shape(0)));
            }
            FitOptions options;
            options.sample_weight = sample_weight;
            options.feature_names = feature_names;
            run_interruptible([&] { self.fit_columns(refs, y, options); });
            return self_obj;
          },
          py::arg("columns"), py::arg("y"), py::arg("sample_weight"), py::arg("feature_names"),
          "As fit(), with the features given column by column.");
}

/// _Forest's predictions and fitted attributes.
void def_forest_predict(py::class_<Forest>& cls) {
  cls.def(
         "predict_proba",
         [](const Forest& self, const RowMatrixRef& X) {
           py::gil_scoped_release release;
           return self.predict_proba(X);
         },
         py::arg("X"))
      .def(
          "predict_contrib",
          [](const Forest& self, const RowMatrixRef& X) {
            py::gil_scoped_release release;
            return self.predict_contrib(X);
          },
          py::arg("X"))
      .def("feature_importances", &Forest::feature_importances)
      .def_property_readonly("oob_score", &Forest::oob_score)
      .def_property_readonly("oob_decision_function", &Forest::oob_decision_function)
      .def_property_readonly("is_fitted", &Forest::is_fitted)
      .def_property_readonly("params", &Forest::params)
      .def_property_readonly("n_trees", &Forest::n_trees)
      .def_property_readonly("n_features", &Forest::n_features)
      .def_property_readonly("feature_names", &Forest::feature_names)
      .def_property_readonly("tree_n_leaves",
                             [](const Forest& self) {
                               std::vector<Index> out;
                               for (const auto& t : self.trees()) out.push_back(t.n_leaves());
                               return out;
                             })
      .def_property_readonly("tree_max_depth",
                             [](const Forest& self) {
                               std::vector<int> out;
                               for (const auto& t : self.trees()) out.push_back(t.max_depth());
                               return out;
                             })
      .def_property_readonly("category_names", &Forest::category_names)
      .def("set_category_names", &Forest::set_category_names, py::arg("names"));
}

/// _Forest (after _ForestParams, which its constructor takes).
void bind_forest(py::module_& m) {
  py::class_<Forest> cls(m, "_Forest", py::dynamic_attr(), R"doc(
Compiled core of churnlib.RandomForestClassifier (use that class: this one takes numeric matrices
whose categorical columns already hold the training codes, and returns P(class 1) only).
)doc");
  def_class_labels(cls).def(py::init<const RandomForestParams&>(), py::arg("params"));
  def_forest_fit(cls);
  def_forest_predict(cls);
  cls.def("to_json", [](const Forest& self) { return self.to_json().dump(); })
      .def_static(
          "from_json",
          [](const std::string& text) {
            const Json doc = parse_json(text, "RandomForestClassifier JSON");
            try {
              return Forest::from_json(doc);
            } catch (const nlohmann::json::exception& e) {
              CHURN_THROW(SerializationError,
                          "RandomForestClassifier JSON is not valid: " << e.what());
            }
          },
          py::arg("text"))
      .def("save", &Forest::save, py::arg("path"))
      .def_static(
          "load",
          [](const std::string& path) {
            try {
              return Forest::load(path);
            } catch (const nlohmann::json::exception& e) {
              CHURN_THROW(SerializationError, "RandomForestClassifier file '"
                                                  << path << "' is not valid: " << e.what());
            }
          },
          py::arg("path"));
}

}  // namespace

void bind_tree(py::module_& m) {
  m.def(
      "_category_codes",
      [](const std::vector<std::string>& train_labels, const std::vector<std::string>& labels) {
        // the rule of the C++ scoring (tree/gbdt_table.cpp): the text, else the numeric value
        std::unordered_map<std::string_view, double> by_text;
        by_text.reserve(train_labels.size());
        for (std::size_t k = 0; k < train_labels.size(); ++k)
          by_text.emplace(train_labels[k], static_cast<double>(k));
        const common::NumericLabels by_value(train_labels);
        Vector out(static_cast<Index>(labels.size()));
        for (std::size_t i = 0; i < labels.size(); ++i) {
          const auto it = by_text.find(labels[i]);
          const std::int32_t k = it == by_text.end() ? by_value.find(labels[i]) : -1;
          out[static_cast<Index>(i)] = it != by_text.end() ? it->second
                                       : k >= 0            ? static_cast<double>(k)
                                                           : kMissing;
        }
        return out;
      },
      py::arg("train_labels"), py::arg("labels"),
      "The training code of each category label (NaN: unseen): the label with the same text, "
      "else the one of the same numeric value ('1.0' finds '1').");
  bind_gbdt_params(m);
  bind_gbdt(m);
  bind_forest_params(m);
  bind_forest(m);
}

}  // namespace churn::python
