#pragma once
/// @file table.hpp
/// `churn::data::Table`: named, typed, immutable columns (a small Arrow-like column store).
///
/// Column types and their missing values:
/// | dtype         | storage                              | missing                     |
/// |---------------|--------------------------------------|-----------------------------|
/// | `Float64`     | double                               | NaN                         |
/// | `Int64`       | int64 + optional validity bytes      | validity byte 0             |
/// | `Categorical` | int8/16/32 codes + dictionary        | code -1                     |
/// | `Timestamp`   | int64 nanoseconds since 1970 (UTC)   | `kNaT` (INT64_MIN, as pandas) |
/// | `String`      | std::string + optional validity      | validity byte 0             |
///
/// Columns share their buffers: copying a `Column` or selecting columns of a `Table` copies no
/// data. A float64 or categorical column can also borrow memory it does not own (a numpy array),
/// kept alive by an owner handle.
///
/// Categorical codes are int32 when the column is built from a vector (from_codes); a view
/// (from_codes_view) keeps the width it is given (1, 2 or 4 bytes, as pandas' codes). `codes()`
/// always gives int32: a narrow column widens its codes once, on first use, into a cache shared
/// by its copies.

#include <cstdint>      // std::int32_t, std::int64_t, std::uint8_t
#include <memory>       // std::shared_ptr
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector

#include <Eigen/Core>

#include "churn/core/types.hpp"

namespace churn::data {

/// The type of a column.
enum class DType : std::uint8_t { Float64, Int64, Categorical, Timestamp, String };

/// "float64", "int64", "category", "timestamp" or "string".
const char* dtype_name(DType t);
/// Inverse of dtype_name (also accepts "float", "double", "int", "categorical", "datetime",
/// "str"). @throws InvalidArgument for any other name.
DType dtype_from_name(std::string_view name);

/// One named, typed, immutable column.
/// @code
/// auto c = churn::data::Column::from_float64("tenure", {1, 34, 2});
/// double mean = c.as_float64().mean();
/// @endcode
///
/// Thread safety: immutable once built; every member is const and may run concurrently (copies
/// share the buffers read-only; a view's owner must not change the borrowed memory).
class Column {
 public:
  /// An empty float64 column named "".
  Column();

  /// A float64 column owning `values` (NaN = missing).
  static Column from_float64(std::string name, std::vector<double> values);
  /// A float64 column borrowing `n` doubles at `data`; `owner` keeps them alive.
  static Column from_float64_view(std::string name, const double* data, Index n,
                                  std::shared_ptr<const void> owner);
  /// An int64 column; `valid` is empty (all present) or one byte per row (0 = missing).
  /// @throws InvalidArgument if `valid` has the wrong length.
  static Column from_int64(std::string name, std::vector<std::int64_t> values,
                           std::vector<std::uint8_t> valid = {});
  /// A timestamp column: nanoseconds since 1970-01-01 UTC, `kNaT` = missing.
  static Column from_timestamp(std::string name, std::vector<std::int64_t> ns);
  /// A categorical column from codes into `categories` (-1 = missing).
  /// @throws InvalidArgument if a code is out of range or the categories repeat.
  static Column from_codes(std::string name, std::vector<std::int32_t> codes,
                           std::vector<std::string> categories);
  /// A categorical column borrowing `n` signed codes of `code_bytes` bytes each (1, 2 or 4:
  /// int8, int16 or int32; -1 = missing) at `codes`; `owner` keeps them alive. The codes are
  /// checked once here and must not change afterwards.
  /// @throws InvalidArgument if `code_bytes` is not 1, 2 or 4, a code is out of range (the error
  /// names the row and the code) or the categories repeat.
  static Column from_codes_view(std::string name, const void* codes, int code_bytes, Index n,
                                std::vector<std::string> categories,
                                std::shared_ptr<const void> owner);
  /// A categorical column from text values; categories in order of first appearance.
  /// `valid` as for from_int64.
  static Column from_strings_categorical(std::string name, const std::vector<std::string>& values,
                                         const std::vector<std::uint8_t>& valid = {});
  /// A string (identifier) column; `valid` as for from_int64.
  static Column from_strings(std::string name, std::vector<std::string> values,
                             std::vector<std::uint8_t> valid = {});

  /// The column name.
  const std::string& name() const { return name_; }
  /// The column type.
  DType dtype() const { return dtype_; }
  /// Number of rows.
  Index size() const { return size_; }
  /// The same data under another name (no copy).
  Column renamed(std::string name) const;

  /// Zero-copy view of a float64 column. @throws TypeMismatch for other types.
  Eigen::Map<const Vector> as_float64() const;
  /// Zero-copy view of an int64 or timestamp column. @throws TypeMismatch for other types.
  Eigen::Map<const Int64Vector> as_int64() const;
  /// The codes of a categorical column as int32. Zero-copy when the codes are stored as int32
  /// (`code_width() == 4`); a narrow column widens them once, on the first call (thread-safe),
  /// into a cache shared by copies of the column, and the view stays valid as long as one of
  /// them lives. @throws TypeMismatch for other types.
  Eigen::Map<const IntVector> codes() const;
  /// Bytes per stored code of a categorical column: 4 for from_codes / from_strings_categorical,
  /// 1, 2 or 4 for a from_codes_view column; 0 for other types.
  int code_width() const { return dtype_ == DType::Categorical ? code_width_ : 0; }
  /// Calls `f` with a pointer to the stored codes of a categorical column, typed by their
  /// width (`const std::int8_t*`, `const std::int16_t*` or `const std::int32_t*`; -1 =
  /// missing), and returns what it returns (the same type for the three).
  /// @throws TypeMismatch for other types.
  template <class F>
  decltype(auto) visit_codes(F&& f) const {
    require(DType::Categorical, "visit_codes");
    switch (code_width_) {
      case 1: return f(static_cast<const std::int8_t*>(data_));
      case 2: return f(static_cast<const std::int16_t*>(data_));
      default: return f(static_cast<const std::int32_t*>(data_));
    }
  }
  /// The code at row `i` of a categorical column (-1 = missing), whatever its width; no range
  /// check. @throws TypeMismatch for other types.
  std::int32_t code_at(Index i) const {
    return visit_codes([i](const auto* p) { return static_cast<std::int32_t>(p[i]); });
  }
  /// The dictionary of a categorical column. @throws TypeMismatch otherwise.
  const std::vector<std::string>& categories() const;
  /// The values of a string column. @throws TypeMismatch otherwise.
  const std::vector<std::string>& strings() const;
  /// Validity bytes of an int64 or string column: empty when no value is missing.
  const std::vector<std::uint8_t>& validity() const;

  /// True when row `i` is missing. @throws InvalidArgument if `i` is out of range.
  bool is_missing(Index i) const;
  /// Number of missing values.
  Index null_count() const;
  /// Row `i` as text ("" when missing): shortest round-trip form for float64, ISO 8601 for
  /// timestamps. @throws InvalidArgument if `i` is out of range.
  std::string value_string(Index i) const;
  /// Row `i` as a double: float64 as is, int64 converted, categorical code, timestamp in
  /// nanoseconds; NaN when missing. @throws TypeMismatch for string columns.
  double value_double(Index i) const;

  /// A handle that keeps this column's main buffer alive (for zero-copy exports).
  const std::shared_ptr<const void>& buffer_owner() const { return owner_; }
  /// Pointer to the first element of the main buffer: double, int64, or for a categorical
  /// column signed codes of `code_width()` bytes (int8, int16 or int32; use codes() for int32
  /// whatever the width); nullptr for string columns.
  const void* data() const { return data_; }

 private:
  void require(DType t, const char* what) const;
  void require_int_like(const char* what) const;
  struct WideCodes;  // the int32 copy of narrow codes, made once
  std::string name_;
  DType dtype_ = DType::Float64;
  Index size_ = 0;
  std::shared_ptr<const void> owner_;
  const void* data_ = nullptr;
  int code_width_ = 4;
  std::shared_ptr<WideCodes> wide_;
  std::shared_ptr<const std::vector<std::string>> categories_;
  std::shared_ptr<const std::vector<std::string>> strings_;
  std::shared_ptr<const std::vector<std::uint8_t>> valid_;
};

/// A table of named, typed columns of equal length.
/// @code
/// churn::data::Table t({churn::data::Column::from_float64("tenure", {1, 34}),
///                 churn::data::Column::from_strings_categorical("contract", {"Monthly",
///                 "Annual"})});
/// churn::RowMatrix X = t.to_matrix({"tenure", "contract"});
/// @endcode
///
/// Thread safety: immutable once built; every member is const and may run concurrently (copies
/// share the column buffers read-only).
class Table {
 public:
  Table() = default;
  /// @throws InvalidArgument if names repeat or lengths differ.
  explicit Table(std::vector<Column> columns);

  /// Number of rows.
  Index num_rows() const { return num_rows_; }
  /// Number of columns.
  Index num_columns() const { return static_cast<Index>(columns_.size()); }
  /// All columns in order.
  const std::vector<Column>& columns() const { return columns_; }
  /// Column names in order.
  std::vector<std::string> column_names() const;
  /// True when a column of that name exists.
  bool has_column(std::string_view name) const;
  /// The column of that name, or nullptr when there is none (one lookup where has_column()
  /// then column() would make two).
  const Column* get(std::string_view name) const;
  /// Position of a column. @throws InvalidArgument naming the column and the ones available.
  Index column_index(std::string_view name) const;
  /// A column by name. @throws InvalidArgument naming the column and the ones available.
  const Column& column(std::string_view name) const;
  /// A column by position. @throws InvalidArgument if out of range.
  const Column& column(Index i) const;

  /// Appends a column. @throws InvalidArgument if the name exists or the length differs.
  Table& add_column(Column c);
  /// Replaces the column of the same name, or appends it.
  /// @throws InvalidArgument if the length differs.
  Table& set_column(Column c);

  /// The named columns, in the order given (no data copied).
  /// @throws InvalidArgument for an unknown or repeated name.
  Table select(const std::vector<std::string>& names) const;
  /// All columns but the named ones. @throws InvalidArgument for an unknown name.
  Table drop(const std::vector<std::string>& names) const;
  /// The rows at `rows`, in that order (copies; narrow categorical codes keep their width). @throws
  /// InvalidArgument for an index out of range.
  Table take(const std::vector<Index>& rows) const;
  /// `length` rows from `offset` (copies, as take()). @throws InvalidArgument if out of range.
  Table slice(Index offset, Index length) const;
  /// Rows of several tables with the same column names and types, one after the other.
  /// Categorical dictionaries are merged (first-appearance order).
  /// @throws InvalidArgument if the parts' columns differ; the error names the column.
  static Table concat(const std::vector<Table>& parts);

  /// Row-major double matrix of the named columns (all when `names` is empty): float64 as is,
  /// int64 converted, categorical codes as doubles, missing values as NaN.
  /// @throws TypeMismatch for string or timestamp columns; InvalidArgument for unknown names.
  RowMatrix to_matrix(const std::vector<std::string>& names = {}, int n_threads = 0) const;
  /// Row-major double matrix of the named numeric columns, in the order given: float64 as is,
  /// int64 converted, missing values as NaN; the input of the models' table overloads.
  /// @throws InvalidArgument for an unknown name (naming it); TypeMismatch naming a column that
  ///         is not float64 or int64 (`caller` starts the messages).
  RowMatrix numeric_matrix(const std::vector<std::string>& names, const char* caller,
                           int n_threads = 0) const;

 private:
  /// Position of the column named `name`, or -1.
  Index find(std::string_view name) const;
  /// Puts column `j` into a free slot of slots_.
  void place(std::size_t j);

  std::vector<Column> columns_;
  /// Open-addressing index of the names (linear probing): a slot holds a column's position
  /// + 1, 0 when empty; at most half the slots are used. One flat array: looking a name up
  /// allocates nothing and copying a table copies one buffer.
  std::vector<std::int32_t> slots_;
  Index num_rows_ = 0;
};

}  // namespace churn::data
