// Conversions between churn::data::Column/Table and numpy arrays / pandas objects.
#include <pybind11/numpy.h>  // py::array, py::array_t, py::dtype
#include <pybind11/stl.h>    // std::vector <-> list

#include <algorithm>    // std::max
#include <cstdint>      // std::int32_t, std::int64_t, std::uint8_t
#include <cstring>      // std::memcpy
#include <limits>       // std::numeric_limits
#include <string>       // std::string
#include <type_traits>  // std::remove_const_t, std::remove_pointer_t
#include <utility>      // std::move
#include <vector>       // std::vector

#include "bindings.hpp"
#include "churn/core/error.hpp"
#include "churn/core/types.hpp"

namespace churn::python {

using data::Column;
using data::DType;
using data::dtype_from_name;
using data::dtype_name;
using data::Table;

py::module_ pandas() {
  return py::module_::import("pandas");
}
py::module_ numpy() {
  return py::module_::import("numpy");
}

py::array_t<double> as_float_array(const py::object& obj, const char* what) {
  if (obj.is_none()) return py::array_t<double>(0);
  py::array_t<double, py::array::c_style | py::array::forcecast> a;
  try {
    a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(
        numpy().attr("asarray")(obj, "float64"));
  } catch (const py::error_already_set& e) {
    CHURN_THROW(TypeMismatch, what
                                  << ": expected numbers, got "
                                  << py::str(py::type::of(obj).attr("__name__")).cast<std::string>()
                                  << " (" << e.what() << ")");
  }
  CHURN_CHECK(a && a.ndim() == 1, InvalidArgument,
              what << ": expected a 1-D array, got " << (a ? a.ndim() : -1) << " dimensions");
  return a;
}

Eigen::Map<const Vector> float_view(const py::array_t<double>& a) {
  return Eigen::Map<const Vector>(a.data(), static_cast<Index>(a.size()));
}

std::shared_ptr<const void> keep_alive(py::object obj) {
  auto* held = new py::object(std::move(obj));
  return std::shared_ptr<const void>(held, [](py::object* p) {
    if (!Py_IsInitialized()) return;  // the interpreter is gone: leak rather than crash
    py::gil_scoped_acquire gil;
    delete p;
  });
}

namespace {

const std::vector<std::uint8_t> kNoValidity;

const char* type_name(const py::handle& obj) {
  return Py_TYPE(obj.ptr())->tp_name;
}

/// Python text of UTF-8 bytes; invalid sequences become U+FFFD instead of raising.
py::str to_py_str(const std::string& s) {
  PyObject* o = PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "replace");
  if (o == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(o);
}

/// str(v) as UTF-8, bytes decoded as UTF-8.
std::string to_std_string(const py::handle& v) {
  if (PyUnicode_Check(v.ptr())) return v.cast<std::string>();
  if (PyBytes_Check(v.ptr())) return std::string(v.cast<py::bytes>());
  return py::str(v).cast<std::string>();
}

/// The elements of a 1-D array-like, converted to T (forcecast), as a vector.
template <class T>
std::vector<T> to_vector(const py::handle& arr_like) {
  auto a = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(arr_like);
  if (!a) throw py::error_already_set();
  std::vector<T> v(static_cast<std::size_t>(a.size()));
  if (a.size() > 0) std::memcpy(v.data(), a.data(), v.size() * sizeof(T));
  return v;
}

/// A categorical column from an array-like of codes (-1 = missing). A 1-D numpy array of
/// int8, int16 or int32 codes (pandas' widths: int8 up to 127 categories, then int16, int32) is
/// borrowed without a copy (Column::from_codes_view, made C-contiguous and aligned first if
/// needed) and kept alive by the column; anything else (int64 codes, only past 2^31 categories,
/// or a list) is converted to int32, a code beyond int32 raising as out of range.
Column categorical_column(const std::string& name, const py::handle& codes,
                          std::vector<std::string> categories) {
  if (py::isinstance<py::array>(codes)) {
    py::module_ np = numpy();
    py::array a = np.attr("require")(codes, py::none(), py::make_tuple("C", "A"));
    const py::dtype dt = a.dtype();
    const auto bytes = dt.itemsize();
    if (a.ndim() == 1 && dt.kind() == 'i' && (bytes == 1 || bytes == 2 || bytes == 4) &&
        dt.attr("isnative").cast<bool>()) {
      const void* data = a.data();
      const auto n = static_cast<Index>(a.size());
      return Column::from_codes_view(name, data, static_cast<int>(bytes), n, std::move(categories),
                                     keep_alive(std::move(a)));
    }
  }
  const auto wide = to_vector<std::int64_t>(codes);
  std::vector<std::int32_t> v(wide.size());
  for (std::size_t i = 0; i < wide.size(); ++i) {
    CHURN_CHECK(wide[i] >= -1 && wide[i] < static_cast<std::int64_t>(categories.size()),
                InvalidArgument,
                "Column '" << name << "': code " << wide[i] << " at row " << i
                           << " is out of range for " << categories.size() << " categories");
    v[i] = static_cast<std::int32_t>(wide[i]);
  }
  return Column::from_codes(name, std::move(v), std::move(categories));
}

/// A read-only 1-D numpy array of `n` values of type `dt` at `data`; its base holds `owner`.
py::array borrowed_array(const void* data, Index n, const py::dtype& dt,
                         std::shared_ptr<const void> owner) {
  auto* holder = new std::shared_ptr<const void>(std::move(owner));
  py::capsule base(holder, [](void* p) { delete static_cast<std::shared_ptr<const void>*>(p); });
  py::array a(dt, std::vector<py::ssize_t>{static_cast<py::ssize_t>(n)}, std::vector<py::ssize_t>{},
              data, base);
  a.attr("setflags")(py::arg("write") = false);
  return a;
}

/// A read-only numpy array over a column's main buffer; its base keeps the buffer alive.
py::array buffer_view(const Column& c, const py::dtype& dt) {
  return borrowed_array(c.data(), c.size(), dt, c.buffer_owner());
}

/// The numpy type of a categorical column's stored codes (int8, int16 or int32).
py::dtype code_dtype(const Column& c) {
  return c.visit_codes([](const auto* p) {
    return py::dtype::of<std::remove_const_t<std::remove_pointer_t<decltype(p)>>>();
  });
}

/// The codes of a categorical column as a read-only int32 array: the column's own buffer, or
/// for narrow codes the column's widened copy (made once, kept alive by a copy of the column).
py::array int32_codes_view(const Column& c) {
  if (c.code_width() == 4) return buffer_view(c, py::dtype::of<std::int32_t>());
  const auto codes = c.codes();
  return borrowed_array(codes.data(), c.size(), py::dtype::of<std::int32_t>(),
                        std::make_shared<const Column>(c));
}

py::array validity_mask_missing(const Column& c) {
  const auto& valid = c.validity();
  py::array_t<bool> mask(static_cast<py::ssize_t>(c.size()));
  bool* m = mask.mutable_data();
  for (Index i = 0; i < c.size(); ++i) {
    m[i] = !valid.empty() && valid[static_cast<std::size_t>(i)] == 0;
  }
  return mask;
}

py::list categories_list(const Column& c) {
  const auto& cats = c.categories();
  py::list out(cats.size());
  for (std::size_t i = 0; i < cats.size(); ++i) out[i] = to_py_str(cats[i]);
  return out;
}

py::object strings_array(const Column& c) {
  const auto& s = c.strings();
  const auto& valid = c.validity();
  // An object array filled in place (no intermediate list for numpy to walk).
  py::array out =
      numpy().attr("empty")(static_cast<py::ssize_t>(s.size()), py::arg("dtype") = "object");
  auto** slots = static_cast<PyObject**>(out.mutable_data());
  for (std::size_t i = 0; i < s.size(); ++i) {
    PyObject* v = nullptr;
    if (!valid.empty() && valid[i] == 0) {
      v = Py_None;
      Py_INCREF(v);
    } else {
      v = to_py_str(s[i]).release().ptr();
    }
    PyObject* old = slots[i];  // None from numpy.empty
    slots[i] = v;
    Py_XDECREF(old);
  }
  return out;
}

/// The string column as pandas' default string array when that is Arrow-backed (pandas >= 3,
/// pyarrow installed): offsets and bytes go to Arrow buffers, no Python object per value.
/// Returns None when it does not apply (older pandas, no pyarrow, or non-ASCII text, which
/// the object path decodes with replacement of invalid UTF-8).
py::object arrow_strings(const Column& c) {
  const auto& s = c.strings();
  const auto& valid = c.validity();
  std::size_t bytes = 0;
  unsigned char high = 0;
  for (const auto& v : s) {
    bytes += v.size();
    for (const char ch : v) high |= static_cast<unsigned char>(ch);
  }
  if ((high & 0x80u) != 0) return py::none();
  py::module_ pd = pandas();
  py::object dtype =
      pd.attr("Series")(numpy().attr("array")(py::make_tuple("a"), py::arg("dtype") = "object"))
          .attr("dtype");
  if (!py::hasattr(dtype, "storage") ||
      py::str(dtype.attr("storage")).cast<std::string>() != "pyarrow")
    return py::none();
  py::module_ pa;
  try {
    pa = py::module_::import("pyarrow");
  } catch (const py::error_already_set&) {
    return py::none();
  }
  const std::size_t n = s.size();
  py::array_t<std::int64_t> offsets(static_cast<py::ssize_t>(n + 1));
  py::array_t<std::uint8_t> data(static_cast<py::ssize_t>(std::max<std::size_t>(bytes, 1)));
  std::int64_t* off = offsets.mutable_data();
  auto* out = reinterpret_cast<char*>(data.mutable_data());
  std::size_t at = 0;
  Index missing = 0;
  for (std::size_t i = 0; i < n; ++i) {
    off[i] = static_cast<std::int64_t>(at);
    if (!valid.empty() && valid[i] == 0) {
      ++missing;
      continue;
    }
    std::memcpy(out + at, s[i].data(), s[i].size());
    at += s[i].size();
  }
  off[n] = static_cast<std::int64_t>(at);
  py::object bitmap = py::none();
  if (missing > 0) {
    py::array_t<std::uint8_t> bits(static_cast<py::ssize_t>((n + 7) / 8));
    std::uint8_t* b = bits.mutable_data();
    std::memset(b, 0, (n + 7) / 8);
    for (std::size_t i = 0; i < n; ++i)
      if (valid[i] != 0) b[i / 8] = static_cast<std::uint8_t>(b[i / 8] | (1u << (i % 8)));
    bitmap = pa.attr("py_buffer")(bits);
  }
  py::object arr = pa.attr("Array").attr("from_buffers")(
      pa.attr("large_string")(), static_cast<py::ssize_t>(n),
      py::make_tuple(bitmap, pa.attr("py_buffer")(offsets), pa.attr("py_buffer")(data)),
      py::arg("null_count") = missing);
  return pd.attr("array")(arr, py::arg("dtype") = dtype);
}

Column float_column(const std::string& name, const py::handle& arr) {
  py::module_ np = numpy();
  // Borrowed as is when already float64, C-contiguous and aligned; otherwise converted once.
  py::array a = np.attr("require")(arr, np.attr("float64"), py::make_tuple("C", "A"));
  const auto* data = static_cast<const double*>(a.data());
  const auto n = static_cast<Index>(a.size());
  return Column::from_float64_view(name, data, n, keep_alive(std::move(a)));
}

Column timestamp_column(const std::string& name, const py::handle& arr) {
  py::object ns = arr.attr("astype")("datetime64[ns]").attr("view")("int64");
  return Column::from_timestamp(name, to_vector<std::int64_t>(ns));
}

Column int_column(const std::string& name, const py::array& a) {
  if (a.dtype().kind() == 'u' && a.dtype().itemsize() == 8 && a.size() > 0) {
    const auto hi = a.attr("max")().cast<std::uint64_t>();
    CHURN_CHECK(hi <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()),
                InvalidArgument,
                "column '" << name << "': uint64 value " << hi << " does not fit in int64");
  }
  return Column::from_int64(name, to_vector<std::int64_t>(a));
}

Column string_column(const std::string& name, const py::handle& arr_like) {
  py::object arr = numpy().attr("asarray")(arr_like, py::arg("dtype") = "object");
  auto missing = py::array_t<bool, py::array::c_style | py::array::forcecast>::ensure(
      pandas().attr("isna")(arr));
  if (!missing) throw py::error_already_set();
  py::list values = arr.attr("tolist")();
  const std::size_t n = values.size();
  std::vector<std::string> out(n);
  std::vector<std::uint8_t> valid(n, 1);
  bool any_missing = false;
  const bool* m = missing.data();
  for (std::size_t i = 0; i < n; ++i) {
    if (m[i]) {
      valid[i] = 0;
      any_missing = true;
    } else {
      out[i] = to_std_string(values[i]);
    }
  }
  if (!any_missing) valid.clear();
  return Column::from_strings(name, std::move(out), std::move(valid));
}

Column column_from_numpy(const std::string& name, const py::array& a) {
  CHURN_CHECK(a.ndim() == 1, InvalidArgument,
              "column '" << name << "': expected a 1-D array, got " << a.ndim() << " dimensions");
  switch (a.dtype().kind()) {
    case 'f': return float_column(name, a);
    case 'i':
    case 'u':
    case 'b': return int_column(name, a);
    case 'M': return timestamp_column(name, a);
    case 'O':
    case 'U':
    case 'S':
    case 'T': return string_column(name, a);
    default: break;
  }
  CHURN_THROW(TypeMismatch, "column '" << name << "': unsupported numpy dtype '"
                                       << py::str(a.dtype()).cast<std::string>()
                                       << "' (supported: float, int, bool, datetime64, str)");
}

Column column_from_series(const std::string& name, const py::object& s, bool transient,
                          bool strings_as_category = false) {
  py::module_ pd = pandas();
  py::object types = pd.attr("api").attr("types");
  py::object dt = s.attr("dtype");

  if (py::isinstance(dt, pd.attr("CategoricalDtype"))) {
    py::list cats = dt.attr("categories").attr("tolist")();
    std::vector<std::string> categories;
    categories.reserve(cats.size());
    for (const auto& c : cats) categories.push_back(to_std_string(c));
    // pandas (3.1) hands out a copy of its codes through .cat.codes, so the Table, which
    // borrows that array, does not see later in-place edits of the frame; a transient column
    // borrows the Categorical's own codes (no copy)
    return categorical_column(
        name,
        transient ? s.attr("array").attr("codes") : s.attr("cat").attr("codes").attr("to_numpy")(),
        std::move(categories));
  }
  if (types.attr("is_datetime64_any_dtype")(dt).cast<bool>()) {
    py::object naive = s;
    if (!py::getattr(dt, "tz", py::none()).is_none()) {
      naive = s.attr("dt").attr("tz_convert")("UTC").attr("dt").attr("tz_localize")(py::none());
    }
    return timestamp_column(name, naive.attr("to_numpy")());
  }
  const bool extension = types.attr("is_extension_array_dtype")(dt).cast<bool>();
  if (types.attr("is_bool_dtype")(dt).cast<bool>() ||
      types.attr("is_integer_dtype")(dt).cast<bool>()) {
    if (!extension) return column_from_numpy(name, s.attr("to_numpy")());
    // Nullable Int64/boolean: values with a mask.
    auto missing = to_vector<std::uint8_t>(s.attr("isna")().attr("to_numpy")());
    auto values = to_vector<std::int64_t>(
        s.attr("to_numpy")(py::arg("dtype") = "int64", py::arg("na_value") = 0));
    bool any_missing = false;
    for (auto& m : missing) {
      any_missing = any_missing || m != 0;
      m = m != 0 ? 0 : 1;
    }
    if (!any_missing) missing.clear();
    return Column::from_int64(name, std::move(values), std::move(missing));
  }
  if (types.attr("is_float_dtype")(dt).cast<bool>()) {
    if (!extension) return float_column(name, s.attr("to_numpy")());
    return float_column(name, s.attr("to_numpy")(py::arg("dtype") = "float64",
                                                 py::arg("na_value") = numpy().attr("nan")));
  }
  if (types.attr("is_string_dtype")(dt).cast<bool>() ||
      types.attr("is_object_dtype")(dt).cast<bool>()) {
    // pandas' Arrow-backed text (the pandas 3 "str" dtype, "string[pyarrow]"): read from the
    // Arrow buffers, no Python object per value
    if (py::isinstance(dt, pd.attr("StringDtype")) &&
        py::str(py::getattr(dt, "storage", py::none())).cast<std::string>() == "pyarrow") {
      py::object values = s.attr("array");
      if (py::hasattr(values, "__arrow_array__"))
        return column_from_arrow(name, values.attr("__arrow_array__")(), strings_as_category);
    }
    Column c = string_column(name, s.attr("to_numpy")(py::arg("dtype") = "object"));
    if (!strings_as_category) return c;
    return Column::from_strings_categorical(name, c.strings(), c.validity());
  }
  CHURN_THROW(TypeMismatch,
              "column '" << name << "': unsupported pandas dtype '"
                         << py::str(dt).cast<std::string>()
                         << "' (supported: float, int, bool, category, datetime64, string/object)");
}

}  // namespace

Column column_from_object(const std::string& name, const py::handle& obj, bool transient) {
  if (py::isinstance<py::array>(obj)) {
    return column_from_numpy(name, py::reinterpret_borrow<py::array>(obj));
  }
  py::module_ pd = pandas();
  if (py::isinstance(obj, pd.attr("Series"))) {
    return column_from_series(name, py::reinterpret_borrow<py::object>(obj), transient);
  }
  // Index, Categorical, extension arrays, lists, tuples: pandas infers the type
  // ([1.0, None] is float64 with NaN, ["a", None] text with a missing value).
  return column_from_series(name, pd.attr("Series")(obj), transient);
}

py::object column_to_numpy(const Column& c) {
  switch (c.dtype()) {
    case DType::Float64: return buffer_view(c, py::dtype::of<double>());
    case DType::Int64: {
      if (c.validity().empty()) return buffer_view(c, py::dtype::of<std::int64_t>());
      const auto values = c.as_int64();
      const auto& valid = c.validity();
      py::array_t<double> out(static_cast<py::ssize_t>(c.size()));
      double* p = out.mutable_data();
      for (Index i = 0; i < c.size(); ++i) {
        p[i] = valid[static_cast<std::size_t>(i)] != 0 ? static_cast<double>(values[i]) : kMissing;
      }
      return std::move(out);
    }
    case DType::Categorical: return int32_codes_view(c);
    case DType::Timestamp: return buffer_view(c, py::dtype("datetime64[ns]"));
    case DType::String: return strings_array(c);
  }
  CHURN_THROW(TypeMismatch, "column '" << c.name() << "': unknown dtype");
}

py::object column_to_pandas(const Column& c, bool copy) {
  switch (c.dtype()) {
    case DType::Float64:
    case DType::Timestamp: {
      py::object a = column_to_numpy(c);
      return copy ? a.attr("copy")() : a;
    }
    case DType::Int64: {
      py::object values = buffer_view(c, py::dtype::of<std::int64_t>());
      if (c.validity().empty()) return copy ? values.attr("copy")() : values;
      values = values.attr("copy")();
      py::array mask = validity_mask_missing(c);
      values.attr("__setitem__")(mask, 0);
      return pandas().attr("arrays").attr("IntegerArray")(values, mask);
    }
    case DType::Categorical: {
      // The codes are copied (small: in their stored width, which pandas keeps for int8/int16)
      // so the Categorical is writable like any other.
      py::object codes = buffer_view(c, code_dtype(c)).attr("copy")();
      return pandas()
          .attr("Categorical")
          .attr("from_codes")(codes, py::arg("categories") = categories_list(c));
    }
    case DType::String: {
      py::object a = arrow_strings(c);
      return a.is_none() ? strings_array(c) : a;
    }
  }
  CHURN_THROW(TypeMismatch, "column '" << c.name() << "': unknown dtype");
}

py::tuple column_state(const Column& c) {
  py::object values;
  py::object valid = py::none();
  py::object categories = py::none();
  const auto& validity =
      c.dtype() == DType::Int64 || c.dtype() == DType::String ? c.validity() : kNoValidity;
  if (!validity.empty()) {
    valid = py::bytes(reinterpret_cast<const char*>(validity.data()), validity.size());
  }
  switch (c.dtype()) {
    case DType::Float64: values = buffer_view(c, py::dtype::of<double>()).attr("copy")(); break;
    case DType::Int64:
    case DType::Timestamp:
      values = buffer_view(c, py::dtype::of<std::int64_t>()).attr("copy")();
      break;
    case DType::Categorical:
      values = buffer_view(c, code_dtype(c)).attr("copy")();  // int8, int16 or int32
      categories = categories_list(c);
      break;
    case DType::String: {
      py::list l;
      for (const auto& s : c.strings()) l.append(to_py_str(s));
      values = l;
      break;
    }
  }
  return py::make_tuple(to_py_str(c.name()), dtype_name(c.dtype()), values, valid, categories);
}

Column column_from_state(const py::handle& state) {
  CHURN_CHECK(py::isinstance<py::tuple>(state) && py::len(state) == 5, SerializationError,
              "Table pickle state: expected a column tuple of 5 items, got "
                  << py::repr(state).cast<std::string>());
  auto t = py::reinterpret_borrow<py::tuple>(state);
  const auto name = t[0].cast<std::string>();
  const DType dtype = dtype_from_name(t[1].cast<std::string>());
  std::vector<std::uint8_t> valid;
  if (!t[3].is_none()) {
    const auto bytes = t[3].cast<std::string>();
    valid.assign(bytes.begin(), bytes.end());
  }
  switch (dtype) {
    case DType::Float64: return float_column(name, t[2]);
    case DType::Int64:
      return Column::from_int64(name, to_vector<std::int64_t>(t[2]), std::move(valid));
    case DType::Timestamp: return Column::from_timestamp(name, to_vector<std::int64_t>(t[2]));
    case DType::Categorical:
      return categorical_column(name, t[2], t[4].cast<std::vector<std::string>>());
    case DType::String:
      return Column::from_strings(name, t[2].cast<std::vector<std::string>>(), std::move(valid));
  }
  CHURN_THROW(SerializationError, "Table pickle state: unknown dtype of column '" << name << "'");
}

Table table_from_pandas(const py::handle& df, bool transient, bool strings_as_category) {
  py::module_ pd = pandas();
  CHURN_CHECK(py::isinstance(df, pd.attr("DataFrame")), TypeMismatch,
              "Table.from_pandas(): expected a pandas.DataFrame, got " << type_name(df));
  std::vector<Column> columns;
  for (const auto& item : df.attr("items")()) {
    auto pair = item.cast<py::tuple>();
    const std::string name = to_std_string(pair[0]);
    columns.push_back(
        strings_as_category && py::isinstance(pair[1], pd.attr("Series"))
            ? column_from_series(name, py::reinterpret_borrow<py::object>(pair[1]), transient, true)
            : column_from_object(name, pair[1], transient));
  }
  return Table(std::move(columns));
}

py::object table_to_pandas(const Table& t, bool copy) {
  py::module_ pd = pandas();
  py::dict data;
  for (const auto& c : t.columns()) data[to_py_str(c.name())] = column_to_pandas(c, copy);
  py::object index = pd.attr("RangeIndex")(t.num_rows());
  return pd.attr("DataFrame")(data, py::arg("index") = index, py::arg("copy") = false);
}

Table as_table(const py::handle& obj, const char* caller, bool transient) {
  if (py::isinstance<Table>(obj)) return obj.cast<Table>();
  if (py::isinstance(obj, pandas().attr("DataFrame"))) return table_from_pandas(obj, transient);
  CHURN_THROW(TypeMismatch,
              caller << ": expected a churnlib.Table or pandas.DataFrame, got " << type_name(obj));
}

std::int64_t to_nanos(const py::handle& obj, const char* what) {
  if (PyLong_Check(obj.ptr()) && !PyBool_Check(obj.ptr())) return obj.cast<std::int64_t>();
  py::module_ pd = pandas();
  py::object ts;
  try {
    ts = pd.attr("Timestamp")(obj);
  } catch (const py::error_already_set& e) {
    CHURN_THROW(InvalidArgument, what << ": cannot read " << py::repr(obj).cast<std::string>()
                                      << " as a timestamp (" << e.what() << ")");
  }
  CHURN_CHECK(!pd.attr("isna")(ts).cast<bool>(), InvalidArgument,
              what << ": expected a timestamp, got NaT");
  return ts.attr("value").cast<std::int64_t>();
}

py::object json_to_python(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null: return py::none();
    case Json::value_t::boolean: return py::bool_(j.get<bool>());
    case Json::value_t::number_integer: return py::int_(j.get<std::int64_t>());
    case Json::value_t::number_unsigned: return py::int_(j.get<std::uint64_t>());
    case Json::value_t::number_float: return py::float_(j.get<double>());  // inf and nan too
    case Json::value_t::string: return py::str(j.get_ref<const std::string&>());
    case Json::value_t::array: {
      py::list out;
      for (const auto& v : j) out.append(json_to_python(v));
      return std::move(out);
    }
    case Json::value_t::object: {
      py::dict out;
      for (auto it = j.begin(); it != j.end(); ++it) out[py::str(it.key())] = json_to_python(*it);
      return std::move(out);
    }
    default:
      CHURN_THROW(TypeMismatch, "cannot convert a JSON " << j.type_name() << " value to Python");
  }
}

namespace {

// python_to_json at nesting `depth`: deeper than kMaxJsonDepth is refused (as parse_json
// refuses such text), so a self-referencing or hostile structure cannot overflow the stack.
// `key`: the dict key the value sits under (empty at the top and in lists), named in the
// message of an integer out of range ("seed = 18446744073709551616 is out of range").
Json python_to_json_at(const py::handle& obj, std::string_view caller, int depth,
                       const std::string& key = {}) {
  const py::module_ np = numpy();
  if (obj.is_none()) return nullptr;
  if (py::isinstance<py::bool_>(obj) || py::isinstance(obj, np.attr("bool_")))
    return obj.cast<bool>();
  if (py::isinstance<py::int_>(obj) || py::isinstance(obj, np.attr("integer"))) {
    const py::int_ v = py::reinterpret_steal<py::int_>(PyNumber_Index(obj.ptr()));
    if (!v) throw py::error_already_set();
    const std::string named = key.empty() ? std::string() : key + " = ";
    if (v > py::int_(std::numeric_limits<std::int64_t>::max())) {
      CHURN_CHECK(v <= py::int_(std::numeric_limits<std::uint64_t>::max()), InvalidArgument,
                  caller << ": " << named << py::repr(v).cast<std::string>()
                         << " is out of range (above 2^64 - 1)");
      return v.cast<std::uint64_t>();
    }
    CHURN_CHECK(v >= py::int_(std::numeric_limits<std::int64_t>::min()), InvalidArgument,
                caller << ": " << named << py::repr(v).cast<std::string>()
                       << " is out of range (below -2^63)");
    return v.cast<std::int64_t>();
  }
  if (py::isinstance<py::float_>(obj) || py::isinstance(obj, np.attr("floating")))
    return obj.cast<double>();
  if (py::isinstance<py::str>(obj)) return obj.cast<std::string>();
  const bool nested = py::isinstance<py::dict>(obj) || py::isinstance<py::list>(obj) ||
                      py::isinstance<py::tuple>(obj);
  CHURN_CHECK(!nested || depth <= kMaxJsonDepth, SerializationError,
              caller << ": lists and dicts nest deeper than " << kMaxJsonDepth << " levels");
  if (py::isinstance<py::dict>(obj)) {
    Json out = Json::object();
    for (const auto& item : obj.cast<py::dict>()) {
      CHURN_CHECK(
          py::isinstance<py::str>(item.first), TypeMismatch,
          caller << ": keys must be strings, got " << py::repr(item.first).cast<std::string>());
      const std::string name = item.first.cast<std::string>();
      out[name] = python_to_json_at(item.second, caller, depth + 1, name);
    }
    return out;
  }
  if (py::isinstance<py::list>(obj) || py::isinstance<py::tuple>(obj)) {
    Json out = Json::array();
    for (const auto& item : obj) out.push_back(python_to_json_at(item, caller, depth + 1));
    return out;
  }
  CHURN_THROW(TypeMismatch,
              caller << ": cannot pass " << py::repr(obj).cast<std::string>() << " (a "
                     << py::str(py::type::handle_of(obj).attr("__name__")).cast<std::string>()
                     << ") to C++");
}

}  // namespace

Json python_to_json(const py::handle& obj, std::string_view caller) {
  return python_to_json_at(obj, caller, 1);
}

}  // namespace churn::python
