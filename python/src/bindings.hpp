#pragma once
/// @file bindings.hpp
/// Shared declarations of the pybind11 module churnlib._core: one `bind_*` function per
/// folder of include/churn, and the numpy/pandas conversions the bindings share.

#include <pybind11/numpy.h>     // py::array
#include <pybind11/pybind11.h>  // py::module_, py::object

#include <cstdint>      // std::int64_t
#include <limits>       // std::numeric_limits
#include <memory>       // std::shared_ptr
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector

#include <nlohmann/json.hpp>  // the Json values (churn/core/json.hpp only declares them)

#include "churn/core/error.hpp"     // CHURN_THROW
#include "churn/core/json.hpp"      // parse_json
#include "churn/core/parallel.hpp"  // kMaxThreads
#include "churn/data/schema.hpp"
#include "churn/data/table.hpp"
#include "churn/monitor/alert.hpp"  // monitor_alerts

namespace churn::python {

namespace py = pybind11;

/// The `n_threads` argument of a binding: converts from any Python int, and one that does not
/// fit a C++ int raises InvalidArgument naming `n_threads` (a plain `int` parameter would give
/// pybind11's "incompatible function arguments" dump for 2**31 and above). Values in int's
/// range go on to the C++ check, which names the caller.
struct NThreads {
  int value = 0;
  NThreads(int v = 0) : value(v) {}       // NOLINT(google-explicit-constructor)
  operator int() const { return value; }  // NOLINT(google-explicit-constructor)
};

/// Exception classes, exception translation, version and build information (bind_core.cpp).
void bind_core(py::module_& m);
/// Table, CSV, Schema, describe and the synthetic generators (bind_data.cpp).
void bind_data(py::module_& m);
/// Metrics, curves, calibrators and splits, in the submodule _core._metrics (bind_metrics.cpp).
void bind_metrics(py::module_& m);
/// The compiled core of LogisticRegression (bind_linear.cpp).
void bind_linear(py::module_& m);
/// The compiled core of GBDTClassifier and its parameters (bind_tree.cpp).
void bind_tree(py::module_& m);
/// The compiled core of EventAggregator and its spec (bind_features.cpp).
void bind_features(py::module_& m);
/// Drift monitoring, in the submodule _core._monitor (bind_monitor.cpp).
void bind_monitor(py::module_& m);
/// Performance estimation (CBPE) into _core._monitor, after bind_monitor
/// (bind_monitor_estimate.cpp).
void bind_monitor_estimate(py::module_& m);
/// Multivariate drift (domain classifier, PCA reconstruction error), in the submodule
/// _core._monitor (bind_monitor_multivariate.cpp; the submodule is shared with bind_monitor).
void bind_monitor_multivariate(py::module_& m);
/// K-means, silhouette, choosing k, segment profiles, in the submodule _core._segment
/// (bind_segment.cpp).
void bind_segment(py::module_& m);
/// Risk buckets, customer value, KPI summary and export, in the submodule _core._retention
/// (bind_retention.cpp; the rules and alerts bind into the same submodule).
void bind_retention(py::module_& m);
/// Retention rules, in the submodule _core._retention (bind_retention_rules.cpp; the
/// submodule is shared with the other retention bindings).
void bind_retention_rules(py::module_& m);
/// The churn model bundle and its training, in the submodule _core._model (bind_model.cpp).
void bind_model(py::module_& m);
/// The model registry, in the submodule _core._model (bind_model_registry.cpp; the submodule
/// is shared with the churn model bundle's bind_model).
void bind_model_registry(py::module_& m);
/// Table.from_arrow / Table.to_arrow, the Arrow C data interface (arrow.cpp); after bind_data.
void bind_arrow(py::module_& m);
/// Retention alerts (sources, cooldown, the alert log), in the submodule _core._retention
/// (bind_retention_alerts.cpp; the submodule is shared with the other retention bindings).
void bind_retention_alerts(py::module_& m);

/// Binds a binary classifier's class labels (core/labels.hpp) as `classes_json` and
/// `set_classes_json(text)`, through which the Python wrapper keeps `classes_` in the model.
template <class Model, class... Options>
py::class_<Model, Options...>& def_class_labels(py::class_<Model, Options...>& cls) {
  cls.def_property_readonly("classes_json", [](const Model& self) { return self.classes().dump(); })
      .def(
          "set_classes_json",
          [](Model& self, const std::string& text) {
            self.set_classes(parse_json(text, "class labels"));
          },
          py::arg("text"));
  return cls;
}

// ---- conversions (convert.cpp) ---------------------------------------------------------------

/// A handle that keeps a Python object alive from C++ (e.g. the owner of a borrowed numpy
/// buffer). Its deleter takes the GIL, so the handle may be released from any thread.
std::shared_ptr<const void> keep_alive(py::object obj);

/// A column from a numpy array, a pandas Series/Index/Categorical/extension array, or any
/// sequence (converted through pandas.Series). Float64 data that is contiguous, aligned and in
/// native byte order is borrowed, not copied.
/// With `transient` (a column used only during one C++ call that keeps nothing of it, e.g.
/// a monitor fit), pandas category codes are borrowed in place instead of through pandas'
/// copy: such a column would see later in-place edits of the frame.
/// @throws TypeMismatch for an unsupported dtype; InvalidArgument for a non-1-D array.
data::Column column_from_object(const std::string& name, const py::handle& obj,
                                bool transient = false);

/// A column as a read-only numpy array: a view for float64, int64 (no missing values),
/// categorical codes (int32) and timestamps (datetime64[ns]); a float64 copy with NaN for int64
/// with missing values; an object array (None = missing) for strings.
py::object column_to_numpy(const data::Column& c);

/// A column as what pandas.DataFrame takes: as column_to_numpy, except categorical ->
/// pandas.Categorical and int64 with missing values -> pandas' nullable "Int64".
/// With `copy`, numeric data is copied into writable arrays.
py::object column_to_pandas(const data::Column& c, bool copy);

/// A table from a pandas.DataFrame (`transient` as for column_from_object).
/// @throws TypeMismatch if `df` is not a DataFrame.
/// With `strings_as_category`, text columns become categoricals (categories in order of first
/// appearance; Arrow-backed text encoded from its buffers in one hash pass).
data::Table table_from_pandas(const py::handle& df, bool transient = false,
                              bool strings_as_category = false);
/// A pandas.DataFrame of the table's columns (see column_to_pandas).
py::object table_to_pandas(const data::Table& t, bool copy);

/// A column's pickle state: (name, dtype name, values, validity bytes or None, categories or
/// None); numeric values as numpy arrays, strings as a list.
py::tuple column_state(const data::Column& c);
/// The column of a column_state(). @throws SerializationError for a malformed state.
data::Column column_from_state(const py::handle& state);

/// `obj` itself when it is a churnlib.Table, its conversion when it is a pandas.DataFrame
/// (`transient` as for column_from_object: only for a table the call keeps nothing of).
/// @throws TypeMismatch naming `caller` otherwise.
data::Table as_table(const py::handle& obj, const char* caller, bool transient = false);

/// A table from an object with the Arrow PyCapsule interface (__arrow_c_stream__ or
/// __arrow_c_array__), read from its buffers; text columns become strings, or with
/// `strings_as_category` categoricals (categories in order of first appearance). See
/// The churn model bundle and its training, in the submodule _core._model (bind_model.cpp).
void bind_model(py::module_& m);
/// Table.from_arrow's docstring.
/// @throws TypeMismatch naming the column and Arrow format; InvalidArgument for malformed arrays.
data::Table table_from_arrow(const py::handle& obj, bool strings_as_category = false);
/// One column from an Arrow object of a non-struct type (an array or chunked array), as
/// table_from_arrow reads a column.
data::Column column_from_arrow(const std::string& name, const py::handle& obj,
                               bool strings_as_category = false);

/// Nanoseconds since 1970 (UTC) of an int (taken as nanoseconds) or anything pandas.Timestamp
/// accepts (str, datetime, numpy.datetime64, pandas.Timestamp).
/// @throws InvalidArgument naming `what` for NaT or an unparseable value.
std::int64_t to_nanos(const py::handle& obj, const char* what);

// ---- records (records.cpp) -------------------------------------------------------------------

/// True for one record (a dict) or a non-empty list/tuple whose first item is a dict.
bool is_records(const py::handle& obj);
/// A table from records: one dict (one row) or a list/tuple of dicts of column -> scalar.
/// Columns come in order of first appearance; a key a record lacks is missing there (as is
/// None or NaN). A column `schema` names takes its type (float64: numbers; int64: integers,
/// booleans and integral floats; category/string: text, integers as their decimal text;
/// timestamp: datetimes, ISO text or integer nanoseconds); the others are typed by their
/// values (integers/booleans -> int64, any float -> float64, text -> string, datetimes ->
/// timestamp, all missing -> float64).
/// @throws TypeMismatch naming the column, the record and the value; InvalidArgument for no
///         records or no columns.
data::Table table_from_records(const py::handle& obj, const data::Schema* schema,
                               const std::string& caller);

/// The pandas module (imported on first use).
py::module_ pandas();
/// The numpy module.
py::module_ numpy();

/// A 1-D float64 array of `obj` (a C-contiguous float64 array is not copied; other numbers are
/// converted; None gives an empty array). @throws TypeMismatch (not numbers), InvalidArgument
/// (not 1-D), both naming `what`.
py::array_t<double> as_float_array(const py::object& obj, const char* what);
/// The array of as_float_array() as an Eigen vector (no copy; valid while the array lives).
Eigen::Map<const Vector> float_view(const py::array_t<double>& a);

/// Monitor alerts as a list of dicts (subject, metric, value, threshold, severity): the one
/// conversion of DriftReport's, the estimates' and the multivariate results' alerts
/// (bind_monitor.cpp).
py::list monitor_alerts(const std::vector<monitor::Alert>& alerts);

/// A JSON value as the Python object json.loads() would give.
py::object json_to_python(const Json& j);

/// A Python value (None, bool, int, float, str, list/tuple, dict with str keys; numpy scalars
/// too) as JSON: how keyword parameters reach C++ in one dict.
/// @throws TypeMismatch naming `caller` for anything else.
Json python_to_json(const py::handle& obj, std::string_view caller);

}  // namespace churn::python

namespace pybind11::detail {

template <>
struct type_caster<churn::python::NThreads> {
  PYBIND11_TYPE_CASTER(churn::python::NThreads, const_name("int"));

  bool load(handle src, bool convert) {
    if (!src || PyFloat_Check(src.ptr())) return false;
    if (!PyLong_Check(src.ptr()) && !(convert && PyIndex_Check(src.ptr()))) return false;
    const object index = reinterpret_steal<object>(PyNumber_Index(src.ptr()));
    if (!index) {
      PyErr_Clear();
      return false;
    }
    int overflow = 0;
    const long long v = PyLong_AsLongLongAndOverflow(index.ptr(), &overflow);
    if (v == -1 && PyErr_Occurred() != nullptr) {
      PyErr_Clear();
      return false;
    }
    // Thrown here, the error is translated like any other (pybind11 loads the arguments inside
    // its dispatcher's try block).
    CHURN_CHECK(overflow == 0 && v >= std::numeric_limits<int>::min() &&
                    v <= std::numeric_limits<int>::max(),
                churn::InvalidArgument,
                "n_threads must be between 0 (all cores) and " << churn::kMaxThreads << ", got "
                                                               << repr(index).cast<std::string>());
    value = churn::python::NThreads(static_cast<int>(v));
    return true;
  }

  static handle cast(churn::python::NThreads src, return_value_policy /*policy*/,
                     handle /*parent*/) {
    return PyLong_FromLong(src.value);
  }
};

}  // namespace pybind11::detail
