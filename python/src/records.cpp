// Tables from records: one dict (one customer, e.g. the JSON body of a scoring request) or a
// sequence of dicts, read value by value in C++ (no pandas), typed by a schema where it names
// the column and by the values otherwise.
#include <Python.h>

#include <cmath>        // std::isnan, std::nan
#include <cstdint>      // std::int64_t, std::uint8_t
#include <optional>     // std::optional
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <utility>      // std::move
#include <vector>       // std::vector

#include "bindings.hpp"
#include "churn/core/datetime.hpp"
#include "churn/core/error.hpp"
#include "churn/data/schema.hpp"

namespace churn::python {

using data::Column;
using data::DType;

namespace {

/// The kinds of Python value a record may hold.
enum class Kind { Missing, Bool, Int, Float, Text, Time, Other };

Kind kind_of(PyObject* v) {
  if (v == nullptr || v == Py_None) return Kind::Missing;
  if (PyBool_Check(v)) return Kind::Bool;
  if (PyUnicode_Check(v)) return Kind::Text;
  if (PyFloat_Check(v)) return std::isnan(PyFloat_AS_DOUBLE(v)) ? Kind::Missing : Kind::Float;
  if (PyLong_Check(v)) return Kind::Int;
  const std::string_view type = Py_TYPE(v)->tp_name;  // numpy scalars, datetimes
  if (type.substr(0, 10) == "numpy.bool") return Kind::Bool;
  if (type.substr(0, 9) == "numpy.int" || type.substr(0, 10) == "numpy.uint") return Kind::Int;
  if (type.substr(0, 11) == "numpy.float") {
    const double x = PyFloat_AsDouble(v);
    return std::isnan(x) ? Kind::Missing : Kind::Float;
  }
  if (type == "datetime.datetime" || type == "Timestamp" || type == "numpy.datetime64" ||
      type == "datetime.date")
    return Kind::Time;
  if (type == "NaTType") return Kind::Missing;
  return Kind::Other;
}

/// One column's values as borrowed references, nullptr where a record lacks the key.
struct Pending {
  std::string name;
  std::vector<PyObject*> values;
};

[[noreturn]] void bad_value(const std::string& caller, const std::string& column, std::size_t row,
                            PyObject* v, const char* expected) {
  CHURN_THROW(TypeMismatch, caller << ": column '" << column << "', record " << row << ": expected "
                                   << expected << ", got " << Py_TYPE(v)->tp_name << " "
                                   << py::repr(py::handle(v)).cast<std::string>());
}

/// An integer value (Python or numpy int) as int64. @throws TypeMismatch out of range.
std::int64_t int_of(PyObject* v, const std::string& caller, const std::string& column,
                    std::size_t row) {
  PyObject* index = PyNumber_Index(v);
  if (index == nullptr) throw py::error_already_set();
  int overflow = 0;
  const long long x = PyLong_AsLongLongAndOverflow(index, &overflow);
  Py_DECREF(index);
  if (overflow != 0) bad_value(caller, column, row, v, "an integer within int64");
  return static_cast<std::int64_t>(x);
}

Column float_column(const Pending& p, const std::string& caller) {
  std::vector<double> out(p.values.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    PyObject* v = p.values[i];
    switch (kind_of(v)) {
      case Kind::Missing: out[i] = std::nan(""); break;
      case Kind::Int:
      case Kind::Float: out[i] = PyFloat_AsDouble(v); break;
      default: bad_value(caller, p.name, i, v, "a number");
    }
  }
  return Column::from_float64(p.name, std::move(out));
}

Column int_column(const Pending& p, const std::string& caller) {
  std::vector<std::int64_t> out(p.values.size(), 0);
  std::vector<std::uint8_t> valid(p.values.size(), 1);
  bool any_missing = false;
  for (std::size_t i = 0; i < out.size(); ++i) {
    PyObject* v = p.values[i];
    const Kind k = kind_of(v);
    if (k == Kind::Missing) {
      valid[i] = 0;
      any_missing = true;
    } else if (k == Kind::Int || k == Kind::Bool) {
      out[i] = k == Kind::Bool ? PyObject_IsTrue(v) : int_of(v, caller, p.name, i);
    } else if (k == Kind::Float) {
      const double x = PyFloat_AsDouble(v);  // integral and within int64
      if (std::trunc(x) != x || std::abs(x) >= 9.2e18)
        bad_value(caller, p.name, i, v, "an integer");
      out[i] = static_cast<std::int64_t>(x);
    } else {
      bad_value(caller, p.name, i, v, "an integer");
    }
  }
  if (!any_missing) valid.clear();
  return Column::from_int64(p.name, std::move(out), std::move(valid));
}

/// Text values (str; integers as their decimal text), for string and categorical columns.
void text_values(const Pending& p, const std::string& caller, std::vector<std::string>& out,
                 std::vector<std::uint8_t>& valid) {
  out.assign(p.values.size(), std::string());
  valid.assign(p.values.size(), 1);
  for (std::size_t i = 0; i < out.size(); ++i) {
    PyObject* v = p.values[i];
    const Kind k = kind_of(v);
    if (k == Kind::Missing) {
      valid[i] = 0;
    } else if (k == Kind::Text) {
      Py_ssize_t size = 0;
      const char* s = PyUnicode_AsUTF8AndSize(v, &size);
      if (s == nullptr) throw py::error_already_set();
      out[i].assign(s, static_cast<std::size_t>(size));
    } else if (k == Kind::Int) {
      out[i] = std::to_string(int_of(v, caller, p.name, i));
    } else {
      bad_value(caller, p.name, i, v, "text");
    }
  }
}

Column time_column(const Pending& p, const std::string& caller) {
  std::vector<std::int64_t> out(p.values.size(), kNaT);
  for (std::size_t i = 0; i < out.size(); ++i) {
    PyObject* v = p.values[i];
    const Kind k = kind_of(v);
    if (k == Kind::Missing) continue;
    if (k == Kind::Int) {
      out[i] = int_of(v, caller, p.name, i);
    } else if (k == Kind::Text) {
      const auto ns = parse_timestamp(py::handle(v).cast<std::string>());
      if (!ns) bad_value(caller, p.name, i, v, "a timestamp");
      out[i] = *ns;
    } else if (k == Kind::Time) {
      out[i] = to_nanos(py::handle(v), caller.c_str());
    } else {
      bad_value(caller, p.name, i, v, "a timestamp");
    }
  }
  return Column::from_timestamp(p.name, std::move(out));
}

/// The type of a column the schema does not name, from its values: integers (and booleans) ->
/// int64, numbers -> float64, text -> string, datetimes -> timestamp; all missing -> float64.
DType infer(const Pending& p, const std::string& caller) {
  bool number = false, text = false, time = false, floating = false;
  for (std::size_t i = 0; i < p.values.size(); ++i) {
    switch (kind_of(p.values[i])) {
      case Kind::Missing: break;
      case Kind::Bool:
      case Kind::Int: number = true; break;
      case Kind::Float: number = floating = true; break;
      case Kind::Text: text = true; break;
      case Kind::Time: time = true; break;
      case Kind::Other:
        bad_value(caller, p.name, i, p.values[i], "a number, text, a datetime or None");
    }
  }
  CHURN_CHECK(number + text + time <= 1, TypeMismatch,
              caller << ": column '" << p.name
                     << "' mixes numbers, text and datetimes across records; pass one kind "
                        "(or a schema naming its type)");
  if (text) return DType::String;
  if (time) return DType::Timestamp;
  return number && !floating ? DType::Int64 : DType::Float64;
}

Column build(const Pending& p, DType type, const std::string& caller) {
  switch (type) {
    case DType::Float64: return float_column(p, caller);
    case DType::Int64: return int_column(p, caller);
    case DType::Timestamp: return time_column(p, caller);
    case DType::Categorical:
    case DType::String: {
      std::vector<std::string> values;
      std::vector<std::uint8_t> valid;
      text_values(p, caller, values, valid);
      return type == DType::String
                 ? Column::from_strings(p.name, std::move(values), std::move(valid))
                 : Column::from_strings_categorical(p.name, values, valid);
    }
  }
  CHURN_THROW(InvalidArgument, caller << ": unsupported column type");
}

/// Adds one record's values to the pending columns (new keys become new columns, missing in
/// the earlier records).
void add_record(PyObject* record, std::size_t row, std::vector<Pending>& cols,
                const std::string& caller) {
  CHURN_CHECK(PyDict_Check(record), TypeMismatch,
              caller << ": record " << row << " is a " << Py_TYPE(record)->tp_name
                     << ", expected a dict of column -> value");
  for (auto& c : cols) c.values.push_back(nullptr);
  PyObject* key = nullptr;
  PyObject* value = nullptr;
  Py_ssize_t pos = 0;
  std::size_t at = 0;  // keys usually come in the same order: try the next column first
  while (PyDict_Next(record, &pos, &key, &value)) {
    CHURN_CHECK(PyUnicode_Check(key), TypeMismatch,
                caller << ": record " << row << " has a key of type " << Py_TYPE(key)->tp_name
                       << "; column names must be str");
    Py_ssize_t size = 0;
    const char* s = PyUnicode_AsUTF8AndSize(key, &size);
    if (s == nullptr) throw py::error_already_set();
    const std::string_view name(s, static_cast<std::size_t>(size));
    std::size_t j = at < cols.size() && cols[at].name == name ? at : cols.size();
    for (std::size_t k = 0; j == cols.size() && k < cols.size(); ++k)
      if (cols[k].name == name) j = k;
    if (j == cols.size()) {
      cols.push_back(Pending{std::string(name), std::vector<PyObject*>(row + 1, nullptr)});
    }
    cols[j].values[row] = value;
    at = j + 1;
  }
}

}  // namespace

bool is_records(const py::handle& obj) {
  if (PyDict_Check(obj.ptr())) return true;
  if (!PyList_Check(obj.ptr()) && !PyTuple_Check(obj.ptr())) return false;
  const py::sequence seq = py::reinterpret_borrow<py::sequence>(obj);
  return seq.size() > 0 && PyDict_Check(seq[0].ptr());
}

data::Table table_from_records(const py::handle& obj, const data::Schema* schema,
                               const std::string& caller) {
  std::vector<Pending> cols;
  if (PyDict_Check(obj.ptr())) {
    add_record(obj.ptr(), 0, cols, caller);
  } else {
    CHURN_CHECK(PyList_Check(obj.ptr()) || PyTuple_Check(obj.ptr()), TypeMismatch,
                caller << ": records must be a dict or a list of dicts, got "
                       << Py_TYPE(obj.ptr())->tp_name);
    const py::sequence seq = py::reinterpret_borrow<py::sequence>(obj);
    CHURN_CHECK(seq.size() > 0, InvalidArgument, caller << ": no records (an empty list)");
    for (std::size_t i = 0; i < seq.size(); ++i) add_record(seq[i].ptr(), i, cols, caller);
  }
  CHURN_CHECK(!cols.empty(), InvalidArgument, caller << ": the records have no columns");
  std::vector<Column> out;
  out.reserve(cols.size());
  for (const auto& p : cols) {
    const bool named = schema != nullptr && schema->has_column(p.name);
    out.push_back(build(p, named ? schema->column(p.name).dtype : infer(p, caller), caller));
  }
  return data::Table(std::move(out));
}

}  // namespace churn::python
