#pragma once
/// @file schema.hpp
/// `churn::data::Schema`: the data contract a table must satisfy before it reaches a model.
///
/// Per column: type, nullable, min/max (numeric and timestamp), allowed categories (categorical
/// and string), unique (customer ids), required. `validate` reports every violation, not just the
/// first; `enforce` throws `SchemaError` with the whole report.
///
/// Rules, in the order they are checked and reported:
/// 1. table level: `empty` (the table has no rows: no model can use it);
/// 2. column level, in schema order: `missing_column` (a required column is absent), `type` (the
///    column has another dtype; a float64 spec does not accept an int64 column; rows of such a
///    column are not checked further); then `unknown_column` for each table column that is not in
///    the schema (in table order) unless `allow_extra_columns(true)`;
/// 3. row level, column by column in schema order, rows ascending; per row: `not_null` (missing
///    in a non-nullable column; missing is NaN, validity byte 0, code -1 or NaT), `min`, `max`
///    (float64, int64, timestamp; missing values are never compared), `allowed` (categorical,
///    string), `unique` (every repeat after the first occurrence; missing values never repeat).

#include <optional>  // std::optional
#include <string>    // std::string
#include <vector>    // std::vector

#include "churn/core/json.hpp"
#include "churn/data/table.hpp"

namespace churn::data {

/// The contract of one column.
struct ColumnSpec {
  /// Column name.
  std::string name;
  /// Column type; the table's column must have exactly this type.
  DType dtype = DType::Float64;
  /// Missing values allowed.
  bool nullable = true;
  /// Smallest allowed value (float64, int64; timestamps in ns), inclusive; finite. Only for
  /// float64, int64 and timestamp columns.
  std::optional<double> min;
  /// Largest allowed value, inclusive; finite. Only for float64, int64 and timestamp columns.
  std::optional<double> max;
  /// Allowed values of a categorical or string column (any when empty). Only for categorical
  /// and string columns.
  std::vector<std::string> allowed;
  /// Values must not repeat (missing values are not compared; for float64, -0.0 equals 0.0).
  bool unique = false;
  /// The column must be present (an absent optional column is no violation).
  bool required = true;
};

/// One broken rule.
struct Violation {
  /// The column ("" for table-level rules).
  std::string column;
  /// 0-based data row, or -1 for a column-level violation (missing column, wrong type).
  Index row = -1;
  /// 1-based line in the source file when known (read_csv fills it), else 0.
  Index line = 0;
  /// The offending value as text ("" when missing or not applicable; the found dtype name for
  /// a "type" violation).
  std::string value;
  /// The rule: "missing_column", "unknown_column", "type", "not_null", "min", "max",
  /// "allowed", "unique", "empty".
  std::string rule;
  /// A sentence naming the row, the column and the reason, e.g.
  /// "row 17 (line 19), column 'tenure': value -3 is below the minimum 0" (the line only when
  /// `line` > 0; rows are 0-based data rows).
  std::string message;
  /// The reason alone ("value -3 is below the minimum 0"): `message` without the location.
  std::string reason;

  /// Sets the 1-based source line and rewrites `message` to mention it (read_csv calls this).
  void set_line(Index source_line);
  /// Builds `message` from `row`, `line`, `column` and `reason`.
  void update_message();
};

/// All violations found by Schema::validate.
struct ValidationReport {
  /// Every violation: table- and column-level ones first, then row-level ones column by column
  /// (schema order), rows ascending.
  std::vector<Violation> violations;
  /// True when there are none.
  bool ok() const { return violations.empty(); }
  /// Number of violations.
  std::size_t size() const { return violations.size(); }
  /// A readable summary: "N violations of the data contract:", then the first `max_lines`
  /// messages, one per line, then "... and K more" when some were left out.
  std::string to_string(std::size_t max_lines = 20) const;
};

/// A data contract.
/// @code
/// churn::data::Schema s;
/// s.add({"customerID", churn::data::DType::String}).unique("customerID", true)
///  .add({"tenure", churn::data::DType::Float64, false, 0.0, 120.0});
/// auto report = s.validate(table);
/// if (!report.ok()) std::cerr << report.to_string();
/// @endcode
///
/// Thread safety: the const members (validate, enforce, to_json, save, accessors) may run
/// concurrently on one object from any number of threads; add, unique and allow_extra_columns need
/// exclusive access. Distinct objects are independent.
class Schema {
 public:
  Schema() = default;
  /// A schema from column specs. @throws InvalidArgument as add().
  explicit Schema(std::vector<ColumnSpec> columns);

  /// Appends a column spec.
  /// @throws InvalidArgument for an empty or repeated name, min > max, a non-finite bound,
  ///         min/max on a categorical or string column, or `allowed` on another type.
  Schema& add(ColumnSpec spec);
  /// Sets `unique` on a column. @throws InvalidArgument for an unknown column.
  Schema& unique(const std::string& name, bool value = true);
  /// Whether columns not in the schema are allowed (default false: they are violations).
  Schema& allow_extra_columns(bool value);
  /// See allow_extra_columns.
  bool extra_columns_allowed() const { return allow_extra_; }

  /// The column specs, in order.
  const std::vector<ColumnSpec>& columns() const { return columns_; }
  /// True when the schema has a column of that name.
  bool has_column(const std::string& name) const;
  /// The spec of a column. @throws InvalidArgument for an unknown name.
  const ColumnSpec& column(const std::string& name) const;

  /// Every violation of the contract by `table`: missing required columns, unknown columns
  /// (unless allowed), wrong types, then per row: missing where not nullable, below min, above
  /// max, not allowed, repeated where unique.
  ValidationReport validate(const Table& table) const;
  /// Throws SchemaError with `validate(table).to_string()` when the report is not ok.
  /// @throws SchemaError listing every violation (the first 20 in full).
  void enforce(const Table& table) const;

  /// A schema describing `table` as it is: types, nullable only where a value is missing, all
  /// columns required, no ranges, no allowed lists, not unique.
  static Schema infer(const Table& table);

  /// The schema as JSON in the churnlib envelope, kind "Schema":
  /// `params: {"allow_extra_columns": bool}`, `state: {"columns": [{"name", "dtype", "nullable",
  /// "min", "max", "allowed", "unique", "required"}, ...]}` (`min`/`max` null when unset;
  /// `dtype` as dtype_name()).
  Json to_json() const;
  /// The schema of a to_json() document.
  /// @throws SerializationError for a damaged document (not an envelope, another kind, a newer
  ///         major version, a missing field, a field of the wrong type, an unknown dtype, or
  ///         specs add() would reject).
  static Schema from_json(const Json& doc);
  /// Saves as indented JSON, atomically. @throws IOError.
  void save(const std::string& path) const;
  /// Loads a file written by save(). @throws IOError, SerializationError.
  static Schema load(const std::string& path);

 private:
  std::vector<ColumnSpec> columns_;
  bool allow_extra_ = false;
};

}  // namespace churn::data
