#pragma once
/// @file schema.hpp
/// `churn::Schema`: the data contract a table must satisfy before it reaches a model.
///
/// Per column: type, nullable, min/max (numeric and timestamp), allowed categories (categorical
/// and string), unique (customer ids). `validate` reports every violation, not just the first.

#include <optional>  // std::optional
#include <string>    // std::string
#include <vector>    // std::vector

#include "churn/core/json.hpp"
#include "churn/data/table.hpp"

namespace churn {

/// The contract of one column.
struct ColumnSpec {
  /// Column name.
  std::string name;
  /// Column type.
  DType dtype = DType::Float64;
  /// Missing values allowed.
  bool nullable = true;
  /// Smallest allowed value (float64, int64; timestamps in ns), inclusive.
  std::optional<double> min;
  /// Largest allowed value, inclusive.
  std::optional<double> max;
  /// Allowed values of a categorical or string column (any when empty).
  std::vector<std::string> allowed;
  /// Values must not repeat (missing values are not compared).
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
  /// The offending value as text ("" when missing or not applicable).
  std::string value;
  /// The rule: "missing_column", "unknown_column", "type", "not_null", "min", "max",
  /// "allowed", "unique", "empty".
  std::string rule;
  /// A sentence naming the row, the column and the reason.
  std::string message;
};

/// All violations found by Schema::validate.
struct ValidationReport {
  /// Every violation, in column order then row order.
  std::vector<Violation> violations;
  /// True when there are none.
  bool ok() const { return violations.empty(); }
  /// A readable summary: the count, then the first `max_lines` messages.
  std::string to_string(std::size_t max_lines = 20) const;
};

/// A data contract.
/// @code
/// churn::Schema s;
/// s.add({"customerID", churn::DType::String}).unique("customerID", true)
///  .add({"tenure", churn::DType::Float64, false, 0.0, 120.0});
/// auto report = s.validate(table);
/// if (!report.ok()) std::cerr << report.to_string();
/// @endcode
class Schema {
 public:
  Schema() = default;
  /// A schema from column specs. @throws InvalidArgument for repeated names or min > max.
  explicit Schema(std::vector<ColumnSpec> columns);

  /// Appends a column spec. @throws InvalidArgument for a repeated name or min > max.
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
  void enforce(const Table& table) const;

  /// A schema describing `table` as it is: types and nullability, no ranges.
  static Schema infer(const Table& table);

  /// The schema as JSON (in the churnlib envelope, kind "Schema").
  Json to_json() const;
  /// @throws SerializationError for a damaged document.
  static Schema from_json(const Json& doc);
  /// Saves atomically. @throws IOError.
  void save(const std::string& path) const;
  /// @throws IOError, SerializationError.
  static Schema load(const std::string& path);

 private:
  std::vector<ColumnSpec> columns_;
  bool allow_extra_ = false;
};

}  // namespace churn
