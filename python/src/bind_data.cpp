// Bindings of include/churn/data: Table, CSV, Schema, describe and the synthetic generators.
#include <pybind11/numpy.h>           // py::array, py::array_t
#include <pybind11/stl.h>             // std::vector, std::optional, std::map <-> Python
#include <pybind11/stl/filesystem.h>  // std::filesystem::path <-> str / os.PathLike

#include <algorithm>   // std::min
#include <cctype>      // std::tolower
#include <cstdint>     // std::int64_t, std::uint64_t
#include <filesystem>  // std::filesystem::path
#include <memory>      // std::unique_ptr
#include <optional>    // std::optional
#include <sstream>     // std::ostringstream
#include <string>      // std::string
#include <utility>     // std::move
#include <vector>      // std::vector

#include "bindings.hpp"
#include "churn/core/error.hpp"
#include "churn/core/json.hpp"
#include "churn/data/csv.hpp"
#include "churn/data/schema.hpp"
#include "churn/data/summary.hpp"
#include "churn/data/synthetic.hpp"
#include "interrupt.hpp"

namespace churn::python {

using data::Column;
using data::ColumnSpec;
using data::CsvChunkReader;
using data::CsvOptions;
using data::CsvWriteOptions;
using data::customer_id;
using data::describe_string;
using data::DType;
using data::dtype_from_name;
using data::dtype_name;
using data::make_customers;
using data::make_events;
using data::parse_csv;
using data::read_csv;
using data::Schema;
using data::Table;
using data::to_csv_string;
using data::ValidationReport;
using data::Violation;
using data::write_csv;

namespace {

using Path = std::filesystem::path;

/// write_csv writes plain text: a path whose extension names another format (x.parquet,
/// x.json, x.csv.gz) would get CSV under a misleading name, so it is refused.
void check_text_extension(const Path& path, const char* caller) {
  std::string ext = path.extension().string();
  for (auto& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  static const char* const kText[] = {"", ".csv", ".tsv", ".txt", ".tab", ".dat", ".psv"};
  for (const char* ok : kText)
    if (ext == ok) return;
  const bool parquet = ext == ".parquet" || ext == ".pq";
  CHURN_THROW(InvalidArgument,
              caller << ": '" << path.string() << "' has the extension '" << ext
                     << "', but CSV is plain text (.csv, .tsv, .txt, .tab, .dat, .psv; no "
                        "compression)"
                     << (parquet ? ": use churnlib.write_parquet for Parquet"
                                 : "; for Parquet use churnlib.write_parquet"));
}

std::string repr_of(const py::handle& obj) {
  return py::repr(obj).cast<std::string>();
}

/// A column type given as a name ("float64", "int64", "category", "timestamp", "string" and
/// their aliases) or as one of the Python types float, int, str.
DType dtype_arg(const py::handle& v, const std::string& what) {
  if (py::isinstance<py::str>(v)) return dtype_from_name(v.cast<std::string>());
  if (v.ptr() == reinterpret_cast<PyObject*>(&PyFloat_Type)) return DType::Float64;
  if (v.ptr() == reinterpret_cast<PyObject*>(&PyLong_Type)) return DType::Int64;
  if (v.ptr() == reinterpret_cast<PyObject*>(&PyUnicode_Type)) return DType::String;
  CHURN_THROW(TypeMismatch, what << ": expected a column type name ('float64', 'int64', "
                                    "'category', 'timestamp', 'string'), got "
                                 << repr_of(v));
}

/// A min/max bound: None, a number, or a timestamp (anything pandas.Timestamp accepts).
std::optional<double> bound_arg(const py::handle& v, const char* what) {
  if (v.is_none()) return std::nullopt;
  if ((PyFloat_Check(v.ptr()) || PyLong_Check(v.ptr())) && !PyBool_Check(v.ptr())) {
    return v.cast<double>();
  }
  if (py::isinstance(v, numpy().attr("number"))) return v.cast<double>();
  return static_cast<double>(to_nanos(v, what));
}

std::vector<std::string> str_list(const py::handle& v, const char* what) {
  CHURN_CHECK(!py::isinstance<py::str>(v) && py::hasattr(v, "__iter__"), TypeMismatch,
              what << ": expected a list of str, got " << repr_of(v));
  std::vector<std::string> out;
  for (const auto& item : v) {
    CHURN_CHECK(py::isinstance<py::str>(item), TypeMismatch,
                what << ": expected a list of str, found " << repr_of(item));
    out.push_back(item.cast<std::string>());
  }
  return out;
}

char one_char(const std::string& s, const char* what) {
  CHURN_CHECK(s.size() == 1, InvalidArgument,
              what << " must be a single character, got '" << s << "'");
  return s[0];
}

// ---- Table -----------------------------------------------------------------------------------

std::string table_repr(const Table& t) {
  std::ostringstream os;
  os << "churnlib.Table(" << t.num_rows() << " rows x " << t.num_columns() << " columns";
  const Index shown = std::min<Index>(t.num_columns(), 12);
  for (Index j = 0; j < shown; ++j) {
    const Column& c = t.column(j);
    os << (j == 0 ? ": " : ", ") << c.name() << " " << dtype_name(c.dtype());
  }
  if (shown < t.num_columns()) os << ", ...";
  os << ")";
  return os.str();
}

Table table_from_mapping(const py::handle& data) {
  std::vector<Column> columns;
  for (const auto& item : data.attr("items")()) {
    auto pair = item.cast<py::tuple>();
    columns.push_back(column_from_object(py::str(pair[0]).cast<std::string>(), pair[1]));
  }
  return Table(std::move(columns));
}

Table table_from_numpy(const py::array& a, const std::optional<std::vector<std::string>>& names) {
  CHURN_CHECK(a.ndim() == 2, InvalidArgument,
              "Table.from_numpy(): expected a 2-D array, got " << a.ndim() << " dimensions");
  const auto k = static_cast<std::size_t>(a.shape(1));
  std::vector<std::string> cols;
  if (names) {
    CHURN_CHECK(
        names->size() == k, InvalidArgument,
        "Table.from_numpy(): names has " << names->size() << " entries for " << k << " columns");
    cols = *names;
  } else {
    for (std::size_t j = 0; j < k; ++j) cols.push_back("column_" + std::to_string(j + 1));
  }
  py::object all = py::module_::import("builtins").attr("slice")(py::none());
  std::vector<Column> columns;
  for (std::size_t j = 0; j < k; ++j) {
    py::object col = a.attr("__getitem__")(py::make_tuple(all, j));
    columns.push_back(column_from_object(cols[j], col));
  }
  return Table(std::move(columns));
}

py::array table_to_numpy(const Table& t, const std::optional<std::vector<std::string>>& columns,
                         NThreads n_threads) {
  if (columns && columns->empty()) {
    return py::array_t<double>(std::vector<py::ssize_t>{static_cast<py::ssize_t>(t.num_rows()), 0});
  }
  auto mat = std::make_unique<RowMatrix>();
  {
    py::gil_scoped_release release;
    *mat = t.to_matrix(columns.value_or(std::vector<std::string>{}), n_threads);
  }
  const auto rows = static_cast<py::ssize_t>(mat->rows());
  const auto cols = static_cast<py::ssize_t>(mat->cols());
  const double* data = mat->data();
  py::capsule owner(mat.get(), [](void* p) { delete static_cast<RowMatrix*>(p); });
  mat.release();
  return py::array_t<double>({rows, cols}, data, owner);
}

py::object table_getitem(const Table& t, const py::object& key) {
  if (py::isinstance<py::str>(key)) {
    const auto name = key.cast<std::string>();
    if (!t.has_column(name)) {
      std::ostringstream os;
      os << "Table has no column '" << name << "'";
      throw py::key_error(os.str());
    }
    return column_to_numpy(t.column(name));
  }
  if (py::isinstance<py::slice>(key)) {
    py::ssize_t start = 0, stop = 0, step = 0, length = 0;
    if (!key.cast<py::slice>().compute(static_cast<py::ssize_t>(t.num_rows()), &start, &stop, &step,
                                       &length)) {
      throw py::error_already_set();
    }
    CHURN_CHECK(step == 1, InvalidArgument, "Table[a:b]: the step must be 1, got " << step);
    Table out;
    {
      py::gil_scoped_release release;
      out = t.slice(start, length);
    }
    return py::cast(std::move(out));
  }
  if (py::isinstance<py::list>(key) || py::isinstance<py::tuple>(key)) {
    return py::cast(t.select(str_list(key, "Table[[names]]")));
  }
  CHURN_THROW(TypeMismatch, "Table[key]: expected a column name, a list of names or a slice, got "
                                << repr_of(key));
}

/// Table(data), Table.from_pandas, Table.from_numpy.
void def_table_constructors(py::class_<Table>& cls) {
  cls.def(py::init([](const py::object& data) {
            if (data.is_none()) return Table();
            if (py::isinstance(data, pandas().attr("DataFrame")))
              return table_from_pandas(data, false);
            CHURN_CHECK(py::hasattr(data, "items"), TypeMismatch,
                        "Table(): expected a dict of columns or a pandas.DataFrame, got "
                            << repr_of(py::type::of(data)));
            return table_from_mapping(data);
          }),
          py::arg("data") = py::none())
      .def_static(
          "from_pandas",
          [](const py::handle& df, const std::string& strings) {
            CHURN_CHECK(strings == "string" || strings == "category", InvalidArgument,
                        "Table.from_pandas(): strings must be 'string' or 'category', got '"
                            << strings << "'");
            return table_from_pandas(df, false, strings == "category");
          },
          py::arg("df"), py::kw_only(), py::arg("strings") = "string",
          R"doc(
A Table from a pandas DataFrame.

Float columns become float64 (borrowed without a copy when the column is a contiguous float64
array: later in-place edits of that DataFrame column show in the Table), integer and bool
columns int64 (nullable ``Int64``/``boolean`` keep their missing values), ``category`` columns
categorical with the same categories and codes, ``datetime64`` columns timestamps (time zones
converted to UTC), text/object columns strings (None/NaN missing), or with
``strings="category"`` categoricals (categories in order of first appearance). Arrow-backed
text (pandas 3's ``str``) is read from its Arrow buffers, without a Python object per value.
The index is not kept.

Parameters
----------
df : pandas.DataFrame
strings : {"string", "category"}, default "string"

Returns
-------
Table

Raises
------
TypeMismatch
    If ``df`` is not a DataFrame or a column has an unsupported dtype (timedelta, complex, ...).
InvalidArgument
    If column names repeat.
)doc")
      .def_static(
          "from_records",
          [](const py::handle& records, const py::object& schema) {
            const data::Schema* s =
                schema.is_none() ? nullptr : &schema.cast<const data::Schema&>();
            return table_from_records(records, s, "Table.from_records()");
          },
          py::arg("records"), py::arg("schema") = py::none(),
          R"doc(
A Table from records: one dict (one row, e.g. the JSON body of a scoring request) or a list of
dicts of column name -> scalar, read in C++ value by value (no pandas).

Columns come in order of first appearance; a key a record lacks, None and NaN are missing
values. A column ``schema`` names takes its type: float64 from numbers; int64 from integers,
booleans and integral floats; category and string from text (integers as their decimal text);
timestamp from datetimes, ISO text or integer nanoseconds. Other columns are typed by their
values: integers/booleans int64, any float float64, text string, datetimes timestamp, all
missing float64. ``ChurnModel.score``/``predict_proba``/``validate``/``drift`` take records
directly, typed by the model's contract.

Parameters
----------
records : dict or list of dict
schema : Schema, optional

Returns
-------
Table

Raises
------
TypeMismatch
    Naming the column, the record and the value that does not fit the column's type, or a
    column whose values mix numbers, text and datetimes.
InvalidArgument
    For an empty list or records without keys.
)doc")
      .def_static("from_numpy", &table_from_numpy, py::arg("array"), py::arg("names") = py::none(),
                  R"doc(
A Table from a 2-D numpy array, one column per array column.

Parameters
----------
array : numpy.ndarray of shape (n_rows, n_columns)
    Float arrays give float64 columns (borrowed when the array is Fortran-ordered float64),
    integer and bool arrays int64 columns.
names : list of str, optional
    Column names; default ``column_1``, ``column_2``, ...

Returns
-------
Table
)doc");
}

/// Table.to_pandas, Table.to_numpy.
void def_table_export(py::class_<Table>& cls) {
  cls.def("to_pandas", &table_to_pandas, py::arg("copy") = true, R"doc(
The table as a pandas DataFrame (writable, like any frame).

Categorical columns become ``pandas.Categorical`` with the same categories and codes, int64
columns with missing values the nullable ``Int64`` dtype, string columns text (None/NaN
missing).

Parameters
----------
copy : bool, default True
    Copy the numeric data into the frame's own writable arrays (about 0.1 s per 1M x 40
    float64 values). ``copy=False`` returns float64, int64 and timestamp columns without a
    copy: read-only views of the table's memory, which they keep alive (tables are immutable,
    so assigning into such a frame raises "assignment destination is read-only").

Returns
-------
pandas.DataFrame
)doc")
      .def("to_numpy", &table_to_numpy, py::arg("columns") = py::none(), py::arg("n_threads") = 0,
           R"doc(
A row-major float64 matrix of the named columns (all when None).

int64 values are converted, categorical columns give their codes, missing values are NaN.

Parameters
----------
columns : list of str, optional
n_threads : int, default 0
    0 uses all cores.

Returns
-------
numpy.ndarray of shape (n_rows, n_columns)

Raises
------
TypeMismatch
    For string or timestamp columns.
InvalidArgument
    For an unknown column name.
)doc");
}

/// A Table's shape, names and types, and its columns one by one.
void def_table_columns(py::class_<Table>& cls) {
  cls.def_property_readonly("num_rows", &Table::num_rows, "Number of rows.")
      .def_property_readonly("num_columns", &Table::num_columns, "Number of columns.")
      .def_property_readonly(
          "shape", [](const Table& t) { return py::make_tuple(t.num_rows(), t.num_columns()); },
          "(num_rows, num_columns).")
      .def_property_readonly("column_names", &Table::column_names, "Column names, in order.")
      .def_property_readonly(
          "dtypes",
          [](const Table& t) {
            py::dict d;
            for (const auto& c : t.columns()) d[py::str(c.name())] = dtype_name(c.dtype());
            return d;
          },
          "Column name -> type name ('float64', 'int64', 'category', 'timestamp', 'string').")
      .def(
          "column",
          [](const Table& t, const std::string& name) { return column_to_numpy(t.column(name)); },
          py::arg("name"), R"doc(
A column as a read-only numpy array (the same as ``table[name]``).

float64, int64 (without missing values), categorical codes (int32, -1 = missing) and timestamps
(datetime64[ns]) are views of the table's memory, not copies; int64 columns with missing values
give a float64 copy with NaN; string columns an object array with None for missing values.
)doc")
      .def(
          "categories",
          [](const Table& t, const std::string& name) { return t.column(name).categories(); },
          py::arg("name"), "The categories of a categorical column, in code order.")
      .def(
          "null_count",
          [](const Table& t, const std::string& name) { return t.column(name).null_count(); },
          py::arg("name"), "Number of missing values in a column.");
}

/// select, drop, take, slice, head, tail: parts of a Table; concat: tables end to end.
void def_table_selection(py::class_<Table>& cls) {
  cls.def("select", &Table::select, py::arg("names"),
          "The named columns, in the order given (no data copied).")
      .def("drop", &Table::drop, py::arg("names"), "All columns but the named ones.")
      .def(
          "take",
          [](const Table& t,
             const py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>& rows) {
            std::vector<Index> idx(rows.data(), rows.data() + rows.size());
            py::gil_scoped_release release;
            return t.take(idx);
          },
          py::arg("rows"), "The rows at the given 0-based positions, in that order (copies).")
      .def(
          "slice",
          [](const Table& t, Index offset, Index length) {
            py::gil_scoped_release release;
            return t.slice(offset, length);
          },
          py::arg("offset"), py::arg("length"), "``length`` rows from ``offset`` (copies).")
      .def(
          "head",
          [](const Table& t, Index n) {
            CHURN_CHECK(n >= 0, InvalidArgument, "Table.head(): n must be >= 0, got " << n);
            return t.slice(0, std::min(n, t.num_rows()));
          },
          py::arg("n") = 5, "The first ``n`` rows.")
      .def(
          "tail",
          [](const Table& t, Index n) {
            CHURN_CHECK(n >= 0, InvalidArgument, "Table.tail(): n must be >= 0, got " << n);
            const Index k = std::min(n, t.num_rows());
            return t.slice(t.num_rows() - k, k);
          },
          py::arg("n") = 5, "The last ``n`` rows.")
      .def_static(
          "concat",
          [](const std::vector<Table>& parts) {
            py::gil_scoped_release release;
            return Table::concat(parts);
          },
          py::arg("tables"), R"doc(
The rows of several tables with the same column names and types, one after the other.

Categorical dictionaries are merged (first-appearance order).

Raises
------
InvalidArgument
    If the tables' columns differ (the message names the column).
)doc");
}

/// len(), repr(), `in`, iteration, t[key], t[name] = values and pickling.
void def_table_protocols(py::class_<Table>& cls) {
  cls.def("__len__", &Table::num_rows)
      .def("__repr__", &table_repr)
      .def("__contains__",
           [](const Table& t, const std::string& name) { return t.has_column(name); })
      .def("__iter__", [](const Table& t) { return py::iter(py::cast(t.column_names())); })
      .def("__getitem__", &table_getitem, py::arg("key"), R"doc(
``t["name"]`` -> numpy array (see ``column``), ``t[["a", "b"]]`` -> Table of those columns,
``t[10:20]`` -> Table of those rows.
)doc")
      .def(
          "__setitem__",
          [](Table& t, const std::string& name, const py::object& values) {
            t.set_column(column_from_object(name, values));
          },
          py::arg("name"), py::arg("values"),
          "Replaces or appends a column (values as for ``Table(dict)``).")
      .def(py::pickle(
          [](const Table& t) {
            py::list cols;
            for (const auto& c : t.columns()) cols.append(column_state(c));
            return py::make_tuple(1, t.num_rows(), cols);
          },
          [](const py::tuple& state) {
            CHURN_CHECK(state.size() == 3 && state[0].cast<int>() == 1, SerializationError,
                        "Table pickle state: unsupported format " << repr_of(state));
            std::vector<Column> columns;
            for (const auto& c : state[2]) columns.push_back(column_from_state(c));
            return Table(std::move(columns));
          }));
}

/// Table (arrow.cpp adds from_arrow and to_arrow after bind_data).
void bind_table(py::module_& m) {
  py::class_<Table> cls(m, "Table", R"doc(
A table of named, typed, immutable columns (float64, int64, category, timestamp, string).

Columns share memory: selecting columns copies nothing, and float64 columns can borrow the
memory of a numpy array or DataFrame column without copying it.

Parameters
----------
data : dict, pandas.DataFrame or None
    Column name -> values (numpy array, pandas Series, list), or a DataFrame.

Examples
--------
>>> import churnlib as cl
>>> t = cl.Table({"tenure": [1.0, 34.0, 2.0], "contract": ["Monthly", "Annual", None]})
>>> t.num_rows, t.dtypes
(3, {'tenure': 'float64', 'contract': 'string'})
>>> df = t.to_pandas()
)doc");
  def_table_constructors(cls);
  def_table_export(cls);
  def_table_columns(cls);
  def_table_selection(cls);
  def_table_protocols(cls);
}

// ---- CSV -------------------------------------------------------------------------------------

CsvOptions csv_options(const std::optional<std::string>& delimiter, const std::string& quote,
                       bool header, const std::optional<std::vector<std::string>>& na_values,
                       bool trim, const py::object& dtypes,
                       const std::optional<std::vector<std::string>>& usecols, bool infer_int64,
                       double max_categorical_ratio, Index max_categories, NThreads n_threads,
                       const char* caller) {
  CsvOptions o;
  const std::string prefix = caller;
  if (delimiter) o.delimiter = one_char(*delimiter, (prefix + ": delimiter").c_str());
  o.quote = one_char(quote, (prefix + ": quote").c_str());
  o.header = header;
  if (na_values) o.na_values = *na_values;
  o.trim = trim;
  if (!dtypes.is_none()) {
    CHURN_CHECK(
        py::isinstance<py::dict>(dtypes), TypeMismatch,
        caller << ": dtypes must be a dict of column name -> type name, got " << repr_of(dtypes));
    for (const auto& item : dtypes.cast<py::dict>()) {
      const auto name = py::str(item.first).cast<std::string>();
      o.column_types[name] = dtype_arg(item.second, prefix + ": dtypes['" + name + "']");
    }
  }
  if (usecols) o.usecols = *usecols;
  o.infer_int64 = infer_int64;
  o.max_categorical_ratio = max_categorical_ratio;
  o.max_categories = max_categories;
  o.n_threads = n_threads;
  return o;
}

constexpr const char* kCsvOptionsDoc = R"doc(
delimiter : str, optional
    Field delimiter; by default sniffed among ``,`` ``;`` and tab.
quote : str, default '"'
header : bool, default True
    The first line holds the column names (otherwise ``column_1``, ``column_2``, ...).
na_values : list of str, optional
    Tokens read as missing (replace the default list: NA, N/A, NaN, NULL, None, ?, ...). The
    empty field is always missing.
trim : bool, default True
    Strip spaces and tabs around unquoted fields.
dtypes : dict, optional
    Column name -> type ('float64', 'int64', 'category', 'timestamp', 'string', or float, int,
    str); other columns are inferred.
usecols : list of str, optional
    Keep only these columns.
infer_int64 : bool, default False
    Integer-only columns become int64 instead of float64.
max_categorical_ratio : float, default 0.5
    Inferred text columns are categorical when distinct values <= ratio x non-missing values...
max_categories : int, default 100000
    ... and at most this many distinct values; otherwise they are string columns.
n_threads : int, default 0
    Parsing threads; 0 uses all cores.)doc";

void bind_csv(py::module_& m) {
  py::class_<CsvChunkReader>(m, "CsvChunkReader", R"doc(
An iterator over the chunks of a CSV file (see ``read_csv_chunks``); every chunk is a Table
with the same columns and types, fixed by the first chunk.
)doc")
      .def("__iter__", [](py::object self) { return self; })
      .def("__next__",
           [](CsvChunkReader& r) {
             std::optional<Table> chunk = run_interruptible([&] { return r.next(); });
             if (!chunk) throw py::stop_iteration();
             return std::move(*chunk);
           })
      .def_property_readonly("column_names", &CsvChunkReader::column_names,
                             "Column names from the header.");

  m.def(
      "read_csv",
      [](const Path& path, const Schema* schema, const std::optional<std::string>& delimiter,
         const std::string& quote, bool header,
         const std::optional<std::vector<std::string>>& na_values, bool trim,
         const py::object& dtypes, const std::optional<std::vector<std::string>>& usecols,
         bool infer_int64, double max_categorical_ratio, Index max_categories, NThreads n_threads) {
        CsvOptions o =
            csv_options(delimiter, quote, header, na_values, trim, dtypes, usecols, infer_int64,
                        max_categorical_ratio, max_categories, n_threads, "read_csv()");
        const std::string p = path.string();
        return run_interruptible(
            [&] { return schema != nullptr ? read_csv(p, *schema, o) : read_csv(p, o); });
      },
      py::arg("path"), py::arg("schema") = py::none(), py::kw_only(),
      py::arg("delimiter") = py::none(), py::arg("quote") = "\"", py::arg("header") = true,
      py::arg("na_values") = py::none(), py::arg("trim") = true, py::arg("dtypes") = py::none(),
      py::arg("usecols") = py::none(), py::arg("infer_int64") = false,
      py::arg("max_categorical_ratio") = 0.5, py::arg("max_categories") = 100000,
      py::arg("n_threads") = 0,
      (std::string(R"doc(
Reads a CSV file into a Table.

Handles RFC 4180 quoting, a UTF-8 BOM, CRLF or LF line ends and NA-like tokens. Column types
come from ``schema`` or ``dtypes`` or are inferred.

Parameters
----------
path : str or os.PathLike
schema : Schema, optional
    Column types are taken from the schema, and the table is validated against it.)doc") +
       kCsvOptionsDoc + R"doc(

Returns
-------
Table

Raises
------
ParseError
    For a malformed field (unterminated quote, ragged row, text in a numeric column); the
    message names the file, line, column and text. A ``ValueError``.
SchemaError
    When the data breaks ``schema`` (every violation is listed), or ``dtypes``/``usecols`` name
    unknown columns.
IOError
    If the file cannot be read (an ``OSError``).

Examples
--------
>>> t = cl.read_csv("telco.csv", dtypes={"TotalCharges": "float64"}, na_values=[" ", ""])
)doc")
          .c_str());

  m.def(
      "parse_csv",
      [](const std::string& text, const std::optional<std::string>& delimiter,
         const std::string& quote, bool header,
         const std::optional<std::vector<std::string>>& na_values, bool trim,
         const py::object& dtypes, const std::optional<std::vector<std::string>>& usecols,
         bool infer_int64, double max_categorical_ratio, Index max_categories, NThreads n_threads) {
        CsvOptions o =
            csv_options(delimiter, quote, header, na_values, trim, dtypes, usecols, infer_int64,
                        max_categorical_ratio, max_categories, n_threads, "parse_csv()");
        return run_interruptible([&] { return parse_csv(text, o); });
      },
      py::arg("text"), py::kw_only(), py::arg("delimiter") = py::none(), py::arg("quote") = "\"",
      py::arg("header") = true, py::arg("na_values") = py::none(), py::arg("trim") = true,
      py::arg("dtypes") = py::none(), py::arg("usecols") = py::none(),
      py::arg("infer_int64") = false, py::arg("max_categorical_ratio") = 0.5,
      py::arg("max_categories") = 100000, py::arg("n_threads") = 0,
      (std::string(R"doc(
Parses CSV text held in memory (same rules as ``read_csv``).

Parameters
----------
text : str)doc") +
       kCsvOptionsDoc + R"doc(

Returns
-------
Table
)doc")
          .c_str());

  m.def(
      "read_csv_chunks",
      [](const Path& path, Index chunk_bytes, const std::optional<std::string>& delimiter,
         const std::string& quote, bool header,
         const std::optional<std::vector<std::string>>& na_values, bool trim,
         const py::object& dtypes, const std::optional<std::vector<std::string>>& usecols,
         bool infer_int64, double max_categorical_ratio, Index max_categories, NThreads n_threads) {
        CHURN_CHECK(chunk_bytes >= 1, InvalidArgument,
                    "read_csv_chunks(): chunk_bytes must be >= 1, got " << chunk_bytes);
        CsvOptions o =
            csv_options(delimiter, quote, header, na_values, trim, dtypes, usecols, infer_int64,
                        max_categorical_ratio, max_categories, n_threads, "read_csv_chunks()");
        const std::string p = path.string();
        py::gil_scoped_release release;
        return std::make_unique<CsvChunkReader>(p, std::move(o),
                                                static_cast<std::size_t>(chunk_bytes));
      },
      py::arg("path"), py::arg("chunk_bytes") = Index{64} << 20, py::kw_only(),
      py::arg("delimiter") = py::none(), py::arg("quote") = "\"", py::arg("header") = true,
      py::arg("na_values") = py::none(), py::arg("trim") = true, py::arg("dtypes") = py::none(),
      py::arg("usecols") = py::none(), py::arg("infer_int64") = false,
      py::arg("max_categorical_ratio") = 0.5, py::arg("max_categories") = 100000,
      py::arg("n_threads") = 0,
      (std::string(R"doc(
Reads a CSV file in chunks of about ``chunk_bytes`` bytes of text (whole rows), so a file
larger than memory can be processed.

Parameters
----------
path : str or os.PathLike
chunk_bytes : int, default 64 MiB)doc") +
       kCsvOptionsDoc + R"doc(

Returns
-------
CsvChunkReader
    An iterator of Tables with the same columns and types (fixed by the first chunk).

Examples
--------
>>> total = sum(chunk.num_rows for chunk in cl.read_csv_chunks("events.csv", 1 << 20))
)doc")
          .c_str());

  constexpr const char* kWriteDoc = R"doc(
delimiter : str, default ','
header : bool, default True
na_rep : str, default ''
    Text written for missing values.
line_terminator : str, default '\n')doc";

  m.def(
      "write_csv",
      [](const py::object& data, const Path& path, const std::string& delimiter, bool header,
         const std::string& na_rep, const std::string& line_terminator) {
        check_text_extension(path, "write_csv()");
        Table t = as_table(data, "write_csv()");
        CsvWriteOptions o;
        o.delimiter = one_char(delimiter, "write_csv(): delimiter");
        o.header = header;
        o.na_rep = na_rep;
        o.line_terminator = line_terminator;
        const std::string p = path.string();
        py::gil_scoped_release release;
        write_csv(t, p, o);
      },
      py::arg("data"), py::arg("path"), py::kw_only(), py::arg("delimiter") = ",",
      py::arg("header") = true, py::arg("na_rep") = "", py::arg("line_terminator") = "\n",
      (std::string(R"doc(
Writes a Table or DataFrame as CSV.

float64 in shortest round-trip form, timestamps in ISO 8601, fields quoted when needed. The
file is written atomically (churn::AtomicFile): never a partial file, on failure the target is
left untouched, an existing file keeps its permissions, a symbolic link is followed (the file
it points to is replaced) and a FIFO or device is refused with IOError.

Parameters
----------
data : Table or pandas.DataFrame
path : str or os.PathLike)doc") +
       kWriteDoc + R"doc(

Raises
------
InvalidArgument
    If the path's extension is not one of text (``.csv``, ``.tsv``, ``.txt``, ``.tab``,
    ``.dat``, ``.psv`` or none): ``x.parquet`` is refused (use ``write_parquet``), and so is
    ``x.csv.gz`` (no compression).
IOError
    If the file cannot be written.
)doc")
          .c_str());

  m.def(
      "to_csv_string",
      [](const py::object& data, const std::string& delimiter, bool header,
         const std::string& na_rep, const std::string& line_terminator) {
        Table t = as_table(data, "to_csv_string()");
        CsvWriteOptions o;
        o.delimiter = one_char(delimiter, "to_csv_string(): delimiter");
        o.header = header;
        o.na_rep = na_rep;
        o.line_terminator = line_terminator;
        std::string out;
        {
          py::gil_scoped_release release;
          out = to_csv_string(t, o);
        }
        return out;
      },
      py::arg("data"), py::kw_only(), py::arg("delimiter") = ",", py::arg("header") = true,
      py::arg("na_rep") = "", py::arg("line_terminator") = "\n",
      (std::string(R"doc(
The CSV text ``write_csv`` would write.

Parameters
----------
data : Table or pandas.DataFrame)doc") +
       kWriteDoc + R"doc(

Returns
-------
str
)doc")
          .c_str());
}

// ---- Schema ----------------------------------------------------------------------------------

ColumnSpec make_spec(std::string name, const py::handle& dtype, bool nullable,
                     const py::handle& min, const py::handle& max,
                     std::optional<std::vector<std::string>> allowed, bool unique, bool required) {
  ColumnSpec s;
  s.dtype = dtype_arg(dtype, "ColumnSpec('" + name + "'): dtype");
  s.name = std::move(name);
  s.nullable = nullable;
  s.min = bound_arg(min, "ColumnSpec: min");
  s.max = bound_arg(max, "ColumnSpec: max");
  if (allowed) s.allowed = std::move(*allowed);
  s.unique = unique;
  s.required = required;
  return s;
}

/// A ColumnSpec from a ColumnSpec or a dict of ColumnSpec's keyword arguments (unknown keys
/// raise TypeError, like unknown keywords).
ColumnSpec spec_arg(const py::handle& obj) {
  if (py::isinstance<ColumnSpec>(obj)) return obj.cast<ColumnSpec>();
  CHURN_CHECK(py::isinstance<py::dict>(obj), TypeMismatch,
              "Schema: expected a ColumnSpec or a dict, got " << repr_of(obj));
  py::object cls = py::type::of<ColumnSpec>();
  return cls(**py::reinterpret_borrow<py::dict>(obj)).cast<ColumnSpec>();
}

py::dict spec_to_dict(const ColumnSpec& s) {
  py::dict d;
  d["name"] = s.name;
  d["dtype"] = dtype_name(s.dtype);
  d["nullable"] = s.nullable;
  d["min"] = py::cast(s.min);
  d["max"] = py::cast(s.max);
  d["allowed"] = py::cast(s.allowed);
  d["unique"] = s.unique;
  d["required"] = s.required;
  return d;
}

std::string spec_repr(const ColumnSpec& s) {
  std::ostringstream os;
  os << "ColumnSpec(" << repr_of(py::str(s.name)) << ", '" << dtype_name(s.dtype) << "'";
  if (!s.nullable) os << ", nullable=False";
  if (s.min) os << ", min=" << repr_of(py::float_(*s.min));
  if (s.max) os << ", max=" << repr_of(py::float_(*s.max));
  if (!s.allowed.empty()) os << ", allowed=" << repr_of(py::cast(s.allowed));
  if (s.unique) os << ", unique=True";
  if (!s.required) os << ", required=False";
  os << ")";
  return os.str();
}

py::dict violation_to_dict(const Violation& v) {
  py::dict d;
  d["column"] = v.column;
  d["row"] = v.row;
  d["line"] = v.line;
  d["value"] = v.value;
  d["rule"] = v.rule;
  d["message"] = v.message;
  return d;
}

Json json_arg(const py::handle& doc) {
  if (py::isinstance<py::str>(doc)) return parse_json(doc.cast<std::string>(), "Schema JSON");
  CHURN_CHECK(py::isinstance<py::dict>(doc), TypeMismatch,
              "Schema.from_json(): expected a JSON str or a dict, got " << repr_of(doc));
  const auto text = py::module_::import("json").attr("dumps")(doc).cast<std::string>();
  return parse_json(text, "Schema JSON");
}

void bind_schema(py::module_& m) {
  py::class_<ColumnSpec>(m, "ColumnSpec", R"doc(
The contract of one column.

Parameters
----------
name : str
dtype : str or type, default 'float64'
    'float64', 'int64', 'category', 'timestamp' or 'string' (or float, int, str).
nullable : bool, default True
    Missing values allowed.
min, max : float, int or timestamp-like, optional
    Inclusive bounds (numeric columns; timestamps as anything pandas.Timestamp accepts).
allowed : list of str, optional
    Allowed values of a categorical or string column.
unique : bool, default False
    Values must not repeat (missing values are not compared).
required : bool, default True
    The column must be present.
)doc")
      .def(py::init(&make_spec), py::arg("name"), py::arg("dtype") = "float64", py::kw_only(),
           py::arg("nullable") = true, py::arg("min") = py::none(), py::arg("max") = py::none(),
           py::arg("allowed") = py::none(), py::arg("unique") = false, py::arg("required") = true)
      .def_readwrite("name", &ColumnSpec::name)
      .def_property(
          "dtype", [](const ColumnSpec& s) { return std::string(dtype_name(s.dtype)); },
          [](ColumnSpec& s, const py::object& v) { s.dtype = dtype_arg(v, "ColumnSpec.dtype"); })
      .def_readwrite("nullable", &ColumnSpec::nullable)
      .def_readwrite("min", &ColumnSpec::min)
      .def_readwrite("max", &ColumnSpec::max)
      .def_readwrite("allowed", &ColumnSpec::allowed)
      .def_readwrite("unique", &ColumnSpec::unique)
      .def_readwrite("required", &ColumnSpec::required)
      .def("to_dict", &spec_to_dict, "The spec as a dict of ColumnSpec's keyword arguments.")
      .def("__repr__", &spec_repr)
      .def("__eq__",
           [](const ColumnSpec& a, const py::object& b) {
             return py::isinstance<ColumnSpec>(b) &&
                    spec_to_dict(a).equal(spec_to_dict(b.cast<ColumnSpec>()));
           })
      .def(py::pickle([](const ColumnSpec& s) { return spec_to_dict(s); },
                      [](const py::dict& d) { return spec_arg(d); }));

  py::class_<Violation>(m, "Violation", "One broken rule of a Schema (see ValidationReport).")
      .def_readonly("column", &Violation::column, "The column ('' for table-level rules).")
      .def_readonly("row", &Violation::row, "0-based data row, -1 for a column-level violation.")
      .def_readonly("line", &Violation::line, "1-based line in the source file when known, else 0.")
      .def_readonly("value", &Violation::value, "The offending value as text.")
      .def_readonly("rule", &Violation::rule,
                    "missing_column, unknown_column, type, not_null, min, max, allowed, unique, "
                    "empty.")
      .def_readonly("message", &Violation::message, "A sentence naming row, column and reason.")
      .def("to_dict", &violation_to_dict)
      .def("__repr__",
           [](const Violation& v) { return "Violation(" + repr_of(violation_to_dict(v)) + ")"; });

  py::class_<ValidationReport>(m, "ValidationReport", R"doc(
Every violation found by ``Schema.validate``.

Attributes
----------
ok : bool
    True when there are no violations.
violations : list of Violation
    In column order, then row order.
)doc")
      .def_property_readonly("ok", &ValidationReport::ok)
      .def_readonly("violations", &ValidationReport::violations)
      .def("to_string", &ValidationReport::to_string, py::arg("max_lines") = 20,
           "The count, then the first ``max_lines`` messages.")
      .def("__str__", [](const ValidationReport& r) { return r.to_string(); })
      .def("__repr__",
           [](const ValidationReport& r) {
             return r.ok() ? std::string("<ValidationReport: ok>")
                           : "<ValidationReport: " + std::to_string(r.violations.size()) +
                                 " violations>";
           })
      .def("__len__", [](const ValidationReport& r) { return r.violations.size(); })
      .def(
          "to_pandas",
          [](const ValidationReport& r) {
            py::list rows;
            for (const auto& v : r.violations) rows.append(violation_to_dict(v));
            py::list cols;
            for (const char* c : {"column", "row", "line", "value", "rule", "message"})
              cols.append(c);
            return pandas().attr("DataFrame")(rows, py::arg("columns") = cols);
          },
          "One row per violation: column, row, line, value, rule, message.");

  auto self_schema = [](py::object& self) -> Schema& { return self.cast<Schema&>(); };

  py::class_<Schema>(m, "Schema", R"doc(
A data contract: per column a type, nullability, bounds, allowed values, uniqueness.

``validate`` reports every violation, not only the first.

Parameters
----------
columns : list of ColumnSpec or dict, optional
    Dicts hold ColumnSpec's keyword arguments.
allow_extra_columns : bool, default False
    Whether columns not in the schema are allowed.

Examples
--------
>>> s = cl.Schema([{"name": "customerID", "dtype": "string", "unique": True},
...                {"name": "tenure", "dtype": "float64", "nullable": False, "min": 0}])
>>> s.add("Contract", "category", allowed=["Month-to-month", "One year", "Two year"])
>>> report = s.validate(df)
>>> report.ok, report.to_pandas()
)doc")
      .def(py::init([](const py::object& columns, bool allow_extra) {
             Schema s;
             if (!columns.is_none()) {
               CHURN_CHECK(!py::isinstance<py::str>(columns) && py::hasattr(columns, "__iter__"),
                           TypeMismatch,
                           "Schema(): columns must be a list of ColumnSpec or dict, got "
                               << repr_of(columns));
               for (const auto& c : columns) s.add(spec_arg(c));
             }
             s.allow_extra_columns(allow_extra);
             return s;
           }),
           py::arg("columns") = py::none(), py::kw_only(), py::arg("allow_extra_columns") = false)
      .def(
          "add",
          [self_schema](py::object self, const ColumnSpec& spec) {
            self_schema(self).add(spec);
            return self;
          },
          py::arg("spec"))
      .def(
          "add",
          [self_schema](py::object self, const py::dict& spec) {
            self_schema(self).add(spec_arg(spec));
            return self;
          },
          py::arg("spec"))
      .def(
          "add",
          [self_schema](py::object self, std::string name, const py::object& dtype, bool nullable,
                        const py::object& min, const py::object& max,
                        std::optional<std::vector<std::string>> allowed, bool unique,
                        bool required) {
            self_schema(self).add(make_spec(std::move(name), dtype, nullable, min, max,
                                            std::move(allowed), unique, required));
            return self;
          },
          py::arg("name"), py::arg("dtype") = "float64", py::kw_only(), py::arg("nullable") = true,
          py::arg("min") = py::none(), py::arg("max") = py::none(), py::arg("allowed") = py::none(),
          py::arg("unique") = false, py::arg("required") = true,
          R"doc(
Appends a column: ``add(ColumnSpec)``, ``add(dict)`` or ``add(name, dtype, **spec)``.

Returns
-------
Schema
    self, so calls chain.

Raises
------
InvalidArgument
    For a repeated name or min > max.
)doc")
      .def(
          "unique",
          [self_schema](py::object self, const std::string& name, bool value) {
            self_schema(self).unique(name, value);
            return self;
          },
          py::arg("name"), py::arg("value") = true, "Sets ``unique`` on a column; returns self.")
      .def(
          "allow_extra_columns",
          [self_schema](py::object self, bool value) {
            self_schema(self).allow_extra_columns(value);
            return self;
          },
          py::arg("value") = true,
          "Whether columns not in the schema are allowed (default False); returns self.")
      .def_property_readonly("extra_columns_allowed", &Schema::extra_columns_allowed)
      .def_property_readonly(
          "columns", [](const Schema& s) { return s.columns(); },
          "The column specs, in order (copies).")
      .def_property_readonly(
          "names",
          [](const Schema& s) {
            std::vector<std::string> out;
            for (const auto& c : s.columns()) out.push_back(c.name);
            return out;
          },
          "The column names, in order.")
      .def("column", &Schema::column, py::arg("name"), "The spec of a column.")
      .def("__contains__", &Schema::has_column)
      .def("__len__", [](const Schema& s) { return s.columns().size(); })
      .def(
          "validate",
          [](const Schema& s, const py::object& data) {
            Table t = as_table(data, "Schema.validate()");
            py::gil_scoped_release release;
            return s.validate(t);
          },
          py::arg("data"), R"doc(
Every violation of the contract by a Table or DataFrame.

Returns
-------
ValidationReport
)doc")
      .def(
          "enforce",
          [](const Schema& s, const py::object& data) {
            Table t = as_table(data, "Schema.enforce()");
            py::gil_scoped_release release;
            s.enforce(t);
          },
          py::arg("data"), R"doc(
Raises SchemaError (a ValueError) listing the violations when the data breaks the contract.
)doc")
      .def_static(
          "infer",
          [](const py::object& data) { return Schema::infer(as_table(data, "Schema.infer()")); },
          py::arg("data"),
          "A schema describing a Table or DataFrame as it is (types, nullability).")
      .def(
          "to_json",
          [](const Schema& s, const std::optional<int>& indent) {
            return s.to_json().dump(indent.value_or(-1));
          },
          py::arg("indent") = py::none(), "The schema as JSON text (churnlib envelope).")
      .def_static(
          "from_json", [](const py::object& doc) { return Schema::from_json(json_arg(doc)); },
          py::arg("doc"), R"doc(
A schema from JSON text or a dict (as written by ``to_json``).

Raises
------
SerializationError
    For a damaged document, another kind, or a newer format version.
)doc")
      .def(
          "save", [](const Schema& s, const Path& path) { s.save(path.string()); }, py::arg("path"),
          "Saves the schema as JSON (atomically).")
      .def_static(
          "load", [](const Path& path) { return Schema::load(path.string()); }, py::arg("path"),
          "Loads a schema saved by ``save``.")
      .def("__eq__",
           [](const Schema& a, const py::object& b) {
             return py::isinstance<Schema>(b) && a.to_json() == b.cast<const Schema&>().to_json();
           })
      .def("__repr__",
           [](const Schema& s) {
             std::ostringstream os;
             os << "Schema([";
             for (std::size_t i = 0; i < s.columns().size(); ++i) {
               os << (i ? ", " : "") << spec_repr(s.columns()[i]);
             }
             os << "]" << (s.extra_columns_allowed() ? ", allow_extra_columns=True" : "") << ")";
             return os.str();
           })
      .def(py::pickle([](const Schema& s) { return s.to_json().dump(); },
                      [](const std::string& text) {
                        return Schema::from_json(parse_json(text, "Schema pickle"));
                      }));
}

// ---- describe, synthetic data -----------------------------------------------------------------

void bind_summary(py::module_& m) {
  m.def(
      "describe",
      [](const py::object& data, NThreads n_threads) {
        Table t = as_table(data, "describe()");
        Table d;
        {
          py::gil_scoped_release release;
          d = describe(t, n_threads);
        }
        return table_to_pandas(d, /*copy=*/true).attr("set_index")("column");
      },
      py::arg("data"), py::arg("n_threads") = 0, R"doc(
Per-column summary statistics of a Table or DataFrame.

Parameters
----------
data : Table or pandas.DataFrame
n_threads : int, default 0

Returns
-------
pandas.DataFrame
    One row per column (index ``column``) with ``dtype``, ``count`` (non-missing), ``missing``,
    ``missing_rate``, ``mean``, ``std`` (ddof=1), ``min``, ``p25``, ``p50``, ``p75``, ``max``
    (NaN where undefined; timestamps in ns), ``n_unique`` and ``top`` (most frequent text value).
)doc");
  m.def(
      "describe_string",
      [](const py::object& data, NThreads n_threads) {
        Table t = as_table(data, "describe_string()");
        py::gil_scoped_release release;
        return describe_string(t, n_threads);
      },
      py::arg("data"), py::arg("n_threads") = 0,
      "``describe(data)`` as an aligned text table for a terminal.");
}

void bind_synthetic(py::module_& m) {
  m.def(
      "make_customers",
      [](Index n_customers, std::uint64_t seed, double missing_rate, double churn_rate,
         const py::object& as_of, NThreads n_threads, bool as_pandas) -> py::object {
        data::CustomerOptions o;
        o.n_customers = n_customers;
        o.seed = seed;
        o.missing_rate = missing_rate;
        o.churn_rate = churn_rate;
        if (!as_of.is_none()) o.as_of = to_nanos(as_of, "make_customers(): as_of");
        o.n_threads = n_threads;
        Table t;
        {
          py::gil_scoped_release release;
          t = data::make_customers(o);
        }
        if (as_pandas) return table_to_pandas(t, /*copy=*/true);
        return py::cast(std::move(t));
      },
      py::arg("n_customers") = 10000, py::arg("seed") = 42, py::kw_only(),
      py::arg("missing_rate") = 0.05, py::arg("churn_rate") = 0.25, py::arg("as_of") = py::none(),
      py::arg("n_threads") = 0, py::arg("as_pandas") = false, R"doc(
A synthetic customer table with a churn label (seeded, deterministic for any thread count).

Parameters
----------
n_customers : int, default 10000
seed : int, default 42
missing_rate : float, default 0.05
    Share of missing values injected in the columns that can be missing, in [0, 0.9].
churn_rate : float, default 0.25
    Approximate share of churned customers, in (0, 1).
as_of : timestamp-like, optional
    Snapshot date (default 2024-07-01); signup dates lie before it.
n_threads : int, default 0
as_pandas : bool, default False
    Return a pandas DataFrame instead of a Table.

Returns
-------
Table or pandas.DataFrame
    ``customer_id``, ``signup_date``, categorical ``region``, ``plan``, ``contract``,
    ``payment_method``, ``autopay``, numeric usage and billing columns, and ``churned`` (0/1).
)doc");

  m.def(
      "make_events",
      [](Index n_customers, double events_per_customer, std::uint64_t seed, const py::object& start,
         const py::object& end, const py::object& churned, NThreads n_threads,
         bool as_pandas) -> py::object {
        data::EventOptions o;
        if (!churned.is_none()) {
          auto flags =
              py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>(churned);
          CHURN_CHECK(flags.ndim() == 1, InvalidArgument,
                      "make_events(): churned must be one-dimensional, got " << flags.ndim()
                                                                             << " dimensions");
          o.churned.assign(flags.data(), flags.data() + flags.size());
        }
        o.n_customers = n_customers;
        o.events_per_customer = events_per_customer;
        o.seed = seed;
        if (!start.is_none()) o.start = to_nanos(start, "make_events(): start");
        if (!end.is_none()) o.end = to_nanos(end, "make_events(): end");
        o.n_threads = n_threads;
        Table t;
        {
          py::gil_scoped_release release;
          t = data::make_events(o);
        }
        if (as_pandas) return table_to_pandas(t, /*copy=*/true);
        return py::cast(std::move(t));
      },
      py::arg("n_customers") = 10000, py::arg("events_per_customer") = 20.0, py::arg("seed") = 42,
      py::kw_only(), py::arg("start") = py::none(), py::arg("end") = py::none(),
      py::arg("churned") = py::none(), py::arg("n_threads") = 0, py::arg("as_pandas") = false,
      R"doc(
A synthetic event log (customer_id, timestamp, event_type, amount), unsorted in time, whose
customer ids match ``make_customers``.

Parameters
----------
n_customers : int, default 10000
events_per_customer : float, default 20.0
seed : int, default 42
start, end : timestamp-like, optional
    Events fall in [start, end) (default 2024-01-01 to 2024-07-01).
churned : array-like of 0/1, optional
    One flag per customer (e.g. ``make_customers(...)["churned"]``): flagged customers' activity
    fades out before ``end``. When omitted, a random ~20% of customers fade.
n_threads : int, default 0
as_pandas : bool, default False

Returns
-------
Table or pandas.DataFrame
)doc");

  m.def("customer_id", &data::customer_id, py::arg("i"),
        "The id make_customers and make_events give customer ``i`` (0-based): 'C' + (i + 1) in 7 "
        "digits.");
}

}  // namespace

void bind_data(py::module_& m) {
  bind_table(m);
  bind_schema(m);  // before bind_csv: read_csv's signature names Schema
  bind_csv(m);
  bind_summary(m);
  bind_synthetic(m);
}

}  // namespace churn::python
