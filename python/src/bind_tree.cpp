// Bindings of include/churn/tree: the compiled core of churnlib.GBDTClassifier
// (python/churnlib/tree.py wraps it in the scikit-learn idiom).
#include <pybind11/eigen.h>  // Eigen::Ref <-> numpy (no copy for C-ordered float64)
#include <pybind11/stl.h>    // std::vector <-> list

#include <cstdint>  // std::uint64_t, std::uintptr_t
#include <string>   // std::string
#include <utility>  // std::move
#include <vector>   // std::vector

#include "bindings.hpp"
#include "churn/core/error.hpp"
#include "churn/core/json.hpp"
#include "churn/tree/gbdt.hpp"
#include "interrupt.hpp"

namespace churn::python {

using tree::FeatureBinInfo;
using tree::gbdt_metric_from_name;
using tree::GBDTClassifier;
using tree::GBDTIteration;
using tree::GBDTMetric;
using tree::GBDTParams;

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
GBDTParams make_params(int n_estimators, double learning_rate, int num_leaves, int max_depth,
                       int min_child_samples, double min_child_weight, double min_split_gain,
                       double reg_lambda, double reg_alpha, double subsample, int subsample_freq,
                       double colsample_bytree, int max_bins, Index bin_sample_rows,
                       double scale_pos_weight, bool boost_from_average,
                       std::vector<int> categorical_features, std::vector<int> monotone_constraints,
                       double cat_smooth, double cat_l2, int max_cat_threshold,
                       int min_data_per_group, int max_cat_to_onehot, int early_stopping_rounds,
                       const std::string& eval_metric, int n_threads, std::uint64_t seed) {
  GBDTParams p;
  p.n_estimators = n_estimators;
  p.learning_rate = learning_rate;
  p.num_leaves = num_leaves;
  p.max_depth = max_depth;
  p.min_child_samples = min_child_samples;
  p.min_child_weight = min_child_weight;
  p.min_split_gain = min_split_gain;
  p.reg_lambda = reg_lambda;
  p.reg_alpha = reg_alpha;
  p.subsample = subsample;
  p.subsample_freq = subsample_freq;
  p.colsample_bytree = colsample_bytree;
  p.max_bins = max_bins;
  p.bin_sample_rows = bin_sample_rows;
  p.scale_pos_weight = scale_pos_weight;
  p.boost_from_average = boost_from_average;
  p.categorical_features = std::move(categorical_features);
  p.monotone_constraints = std::move(monotone_constraints);
  p.cat_smooth = cat_smooth;
  p.cat_l2 = cat_l2;
  p.max_cat_threshold = max_cat_threshold;
  p.min_data_per_group = min_data_per_group;
  p.max_cat_to_onehot = max_cat_to_onehot;
  p.early_stopping_rounds = early_stopping_rounds;
  p.eval_metric = gbdt_metric_from_name(eval_metric);
  p.n_threads = n_threads;
  p.seed = seed;
  p.validate();
  return p;
}

/// A JSON value as the Python object json.loads() would give.
py::object json_to_python(const Json& j) {
  return py::module_::import("json").attr("loads")(py::str(j.dump()));
}

py::dict bin_info_dict(const FeatureBinInfo& b) {
  py::dict d;
  d["categorical"] = b.categorical;
  d["upper_edges"] = py::cast(b.upper_edges);
  d["code_to_bin"] = py::cast(b.code_to_bin);
  d["n_bins"] = b.n_bins;
  d["has_missing"] = b.has_missing;
  return d;
}

}  // namespace

void bind_tree(py::module_& m) {
  const GBDTParams defaults;
  py::class_<GBDTParams>(m, "_GBDTParams", R"doc(
Hyper-parameters of the compiled GBDT (churn::tree::GBDTParams), validated on construction.
churnlib.GBDTClassifier builds one from its own hyper-parameters at fit time.
)doc")
      .def(py::init(&make_params), py::kw_only(), py::arg("n_estimators") = defaults.n_estimators,
           py::arg("learning_rate") = defaults.learning_rate,
           py::arg("num_leaves") = defaults.num_leaves, py::arg("max_depth") = defaults.max_depth,
           py::arg("min_child_samples") = defaults.min_child_samples,
           py::arg("min_child_weight") = defaults.min_child_weight,
           py::arg("min_split_gain") = defaults.min_split_gain,
           py::arg("reg_lambda") = defaults.reg_lambda, py::arg("reg_alpha") = defaults.reg_alpha,
           py::arg("subsample") = defaults.subsample,
           py::arg("subsample_freq") = defaults.subsample_freq,
           py::arg("colsample_bytree") = defaults.colsample_bytree,
           py::arg("max_bins") = defaults.max_bins,
           py::arg("bin_sample_rows") = defaults.bin_sample_rows,
           py::arg("scale_pos_weight") = defaults.scale_pos_weight,
           py::arg("boost_from_average") = defaults.boost_from_average,
           py::arg("categorical_features") = defaults.categorical_features,
           py::arg("monotone_constraints") = defaults.monotone_constraints,
           py::arg("cat_smooth") = defaults.cat_smooth, py::arg("cat_l2") = defaults.cat_l2,
           py::arg("max_cat_threshold") = defaults.max_cat_threshold,
           py::arg("min_data_per_group") = defaults.min_data_per_group,
           py::arg("max_cat_to_onehot") = defaults.max_cat_to_onehot,
           py::arg("early_stopping_rounds") = defaults.early_stopping_rounds,
           py::arg("eval_metric") = std::string(gbdt_metric_name(defaults.eval_metric)),
           py::arg("n_threads") = defaults.n_threads, py::arg("seed") = defaults.seed)
      .def(
          "to_dict", [](const GBDTParams& p) { return json_to_python(p.to_json()); },
          "The parameters as a dict (the `params` object of a saved model).")
      .def_property_readonly("eval_metric",
                             [](const GBDTParams& p) { return gbdt_metric_name(p.eval_metric); })
      .def_readonly("n_estimators", &GBDTParams::n_estimators)
      .def_readonly("learning_rate", &GBDTParams::learning_rate)
      .def_readonly("num_leaves", &GBDTParams::num_leaves)
      .def_readonly("max_depth", &GBDTParams::max_depth)
      .def_readonly("min_child_samples", &GBDTParams::min_child_samples)
      .def_readonly("min_child_weight", &GBDTParams::min_child_weight)
      .def_readonly("min_split_gain", &GBDTParams::min_split_gain)
      .def_readonly("reg_lambda", &GBDTParams::reg_lambda)
      .def_readonly("reg_alpha", &GBDTParams::reg_alpha)
      .def_readonly("subsample", &GBDTParams::subsample)
      .def_readonly("subsample_freq", &GBDTParams::subsample_freq)
      .def_readonly("colsample_bytree", &GBDTParams::colsample_bytree)
      .def_readonly("max_bins", &GBDTParams::max_bins)
      .def_readonly("bin_sample_rows", &GBDTParams::bin_sample_rows)
      .def_readonly("scale_pos_weight", &GBDTParams::scale_pos_weight)
      .def_readonly("boost_from_average", &GBDTParams::boost_from_average)
      .def_readonly("categorical_features", &GBDTParams::categorical_features)
      .def_readonly("monotone_constraints", &GBDTParams::monotone_constraints)
      .def_readonly("cat_smooth", &GBDTParams::cat_smooth)
      .def_readonly("cat_l2", &GBDTParams::cat_l2)
      .def_readonly("max_cat_threshold", &GBDTParams::max_cat_threshold)
      .def_readonly("min_data_per_group", &GBDTParams::min_data_per_group)
      .def_readonly("max_cat_to_onehot", &GBDTParams::max_cat_to_onehot)
      .def_readonly("early_stopping_rounds", &GBDTParams::early_stopping_rounds)
      .def_readonly("n_threads", &GBDTParams::n_threads)
      .def_readonly("seed", &GBDTParams::seed);

  using GBDT = GBDTClassifier;
  py::class_<GBDT> cls(m, "_GBDT", py::dynamic_attr(), R"doc(
Compiled core of churnlib.GBDTClassifier (use that class: this one takes numeric matrices whose
categorical columns already hold the training codes, and returns P(class 1) only).

After each fit, the attribute ``_fit_input_address`` holds the address of the training matrix's
first element as the C++ code saw it (tests use it to check that C-ordered float64 arrays are
not copied).
)doc");
  def_class_labels(cls)
      .def(py::init<const GBDTParams&>(), py::arg("params"))
      .def(
          "fit",
          [](py::object self_obj, const RowMatrixRef& X, const VectorRef& y,
             const VectorRef& sample_weight, const RowMatrixRef& X_eval, const VectorRef& y_eval,
             const VectorRef& eval_weight, const std::vector<std::string>& feature_names,
             const py::object& callback) {
            auto& self = self_obj.cast<GBDT&>();
            const CallbackGuard guard(self, callback);
            run_interruptible([&] {
              self.fit(X, y,
                       fit_options(sample_weight, X_eval, y_eval, eval_weight, feature_names));
            });
            self_obj.attr("_fit_input_address") =
                py::int_(reinterpret_cast<std::uintptr_t>(X.data()));
            return self_obj;
          },
          py::arg("X"), py::arg("y"), py::arg("sample_weight"), py::arg("X_eval"),
          py::arg("y_eval"), py::arg("eval_weight"), py::arg("feature_names"),
          py::arg("callback") = py::none(), kFitDoc)
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
          py::arg("callback") = py::none(), "As fit(), with the features given column by column.")
      .def(
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
      .def("feature_importances", &GBDT::feature_importances, py::arg("type") = "split")
      .def_property_readonly("is_fitted", &GBDT::is_fitted)
      .def_property_readonly("params", &GBDT::params)
      .def_property_readonly("n_trees", &GBDT::n_trees)
      .def_property_readonly("init_score", &GBDT::init_score)
      .def_property_readonly("n_features", &GBDT::n_features)
      .def_property_readonly("feature_names", &GBDT::feature_names)
      .def_property_readonly("best_iteration", &GBDT::best_iteration)
      .def_property_readonly("evals_result", &GBDT::evals_result)
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
      .def("set_category_names", &GBDT::set_category_names, py::arg("names"))
      .def("to_json", [](const GBDT& self) { return self.to_json().dump(); })
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

}  // namespace churn::python
