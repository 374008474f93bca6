#include "churn/data/schema.hpp"

#include <algorithm>      // std::min
#include <charconv>       // std::to_chars
#include <cmath>          // std::isfinite, std::isnan, std::ceil, std::floor
#include <cstdint>        // std::int64_t, std::int32_t
#include <limits>         // std::numeric_limits
#include <sstream>        // std::ostringstream
#include <string_view>    // std::string_view
#include <unordered_map>  // std::unordered_map
#include <unordered_set>  // std::unordered_set
#include <utility>        // std::move

#include "churn/core/datetime.hpp"
#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "common/json.hpp"

namespace churn::data {

namespace {
/// Below this many rows Schema::validate checks the columns on the calling thread.
constexpr Index kSerialRows = 16384;
}  // namespace

using common::json_get;
using common::make_envelope;
using common::open_envelope;

// ------------------------------------------------------------------------------------------
// Violation, ValidationReport
// ------------------------------------------------------------------------------------------

void Violation::update_message() {
  std::ostringstream os;
  if (row >= 0) {
    os << "row " << row;
    if (line > 0) os << " (line " << line << ")";
    if (!column.empty()) os << ", ";
  }
  if (!column.empty()) os << "column '" << column << "'";
  if (row >= 0 || !column.empty()) os << ": ";
  os << reason;
  message = os.str();
}

void Violation::set_line(Index source_line) {
  line = source_line;
  update_message();
}

std::string ValidationReport::to_string(std::size_t max_lines) const {
  std::ostringstream os;
  const std::size_t n = violations.size();
  os << n << (n == 1 ? " violation" : " violations") << " of the data contract";
  if (n == 0) return os.str();
  os << ':';
  const std::size_t shown = std::min(n, max_lines);
  for (std::size_t i = 0; i < shown; ++i) os << "\n  " << violations[i].message;
  if (shown < n) os << "\n  ... and " << (n - shown) << " more";
  return os.str();
}

// ------------------------------------------------------------------------------------------
// Schema: building
// ------------------------------------------------------------------------------------------

namespace {

bool is_ordered(DType t) {
  return t == DType::Float64 || t == DType::Int64 || t == DType::Timestamp;
}
bool is_text(DType t) {
  return t == DType::Categorical || t == DType::String;
}

// Shortest round-trip text of a double ("0", "120", "0.5").
std::string number_text(double x) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, x);
  return std::string(buf, r.ptr);
}

// A bound as text in the units of the column: timestamps as ISO 8601.
std::string bound_text(double bound, DType t) {
  if (t == DType::Timestamp && bound > static_cast<double>(kNaT) &&
      bound < static_cast<double>(std::numeric_limits<std::int64_t>::max()))
    return format_timestamp(static_cast<std::int64_t>(bound));
  return number_text(bound);
}

void check_spec(const ColumnSpec& s, const char* caller) {
  CHURN_CHECK(!s.name.empty(), InvalidArgument, caller << ": a column spec has an empty name");
  for (const auto* b : {&s.min, &s.max}) {
    if (!b->has_value()) continue;
    CHURN_CHECK(std::isfinite(**b), InvalidArgument,
                caller << ": column '" << s.name << "': " << (b == &s.min ? "min" : "max")
                       << " must be finite (leave it unset for no bound), got " << **b);
    CHURN_CHECK(is_ordered(s.dtype), InvalidArgument,
                caller << ": column '" << s.name << "': " << (b == &s.min ? "min" : "max")
                       << " applies to float64, int64 and timestamp columns, not "
                       << dtype_name(s.dtype));
  }
  if (s.min && s.max)
    CHURN_CHECK(*s.min <= *s.max, InvalidArgument,
                caller << ": column '" << s.name << "': min " << *s.min << " is greater than max "
                       << *s.max);
  CHURN_CHECK(s.allowed.empty() || is_text(s.dtype), InvalidArgument,
              caller << ": column '" << s.name
                     << "': allowed values apply to category and string columns, not "
                     << dtype_name(s.dtype));
}

}  // namespace

Schema::Schema(std::vector<ColumnSpec> columns) {
  for (auto& c : columns) add(std::move(c));
}

Schema& Schema::add(ColumnSpec spec) {
  check_spec(spec, "Schema::add()");
  CHURN_CHECK(!has_column(spec.name), InvalidArgument,
              "Schema::add(): column '" << spec.name << "' is already in the schema");
  columns_.push_back(std::move(spec));
  return *this;
}

Schema& Schema::unique(const std::string& name, bool value) {
  for (auto& c : columns_) {
    if (c.name == name) {
      c.unique = value;
      return *this;
    }
  }
  column(name);  // throws, naming the columns available
  return *this;
}

Schema& Schema::allow_extra_columns(bool value) {
  allow_extra_ = value;
  return *this;
}

bool Schema::has_column(const std::string& name) const {
  for (const auto& c : columns_)
    if (c.name == name) return true;
  return false;
}

const ColumnSpec& Schema::column(const std::string& name) const {
  for (const auto& c : columns_)
    if (c.name == name) return c;
  std::ostringstream avail;
  for (std::size_t i = 0; i < columns_.size() && i < 30; ++i)
    avail << (i ? ", " : "") << "'" << columns_[i].name << "'";
  if (columns_.size() > 30) avail << ", ...";
  CHURN_THROW(InvalidArgument, "Schema::column(): no column '" << name << "' in the schema; it has "
                                                               << columns_.size()
                                                               << " columns: " << avail.str());
}

// ------------------------------------------------------------------------------------------
// Schema: validation
// ------------------------------------------------------------------------------------------

namespace {

Violation make_violation(std::string column, Index row, std::string value, const char* rule,
                         std::string reason) {
  Violation v;
  v.column = std::move(column);
  v.row = row;
  v.value = std::move(value);
  v.rule = rule;
  v.reason = std::move(reason);
  v.update_message();
  return v;
}

std::string quoted_list(const std::vector<std::string>& values, std::size_t max_items = 10) {
  std::ostringstream os;
  for (std::size_t i = 0; i < values.size() && i < max_items; ++i)
    os << (i ? ", " : "") << "'" << values[i] << "'";
  if (values.size() > max_items) os << ", ... (" << values.size() << " in all)";
  return os.str();
}

// Row-level checks of one column whose dtype matches its spec; appends to `out` in row order
// (per row: not_null, min, max, allowed, unique).
class ColumnChecker {
 public:
  ColumnChecker(const ColumnSpec& spec, const Column& col, std::vector<Violation>& out)
      : spec_(spec), col_(col), out_(out) {}

  void run() {
    switch (col_.dtype()) {
      case DType::Float64: run_float64(); break;
      case DType::Int64:
      case DType::Timestamp: run_int64(); break;
      case DType::Categorical: run_categorical(); break;
      case DType::String: run_string(); break;
    }
  }

 private:
  void add(Index row, std::string value, const char* rule, std::string reason) {
    out_.push_back(make_violation(spec_.name, row, std::move(value), rule, std::move(reason)));
  }

  void not_null(Index row) {
    add(row, std::string(), "not_null", "value is missing but the column is not nullable");
  }

  void below(Index row, std::string value) {
    add(row, value, "min",
        "value " + value + " is below the minimum " + bound_text(*spec_.min, col_.dtype()));
  }

  void above(Index row, std::string value) {
    add(row, value, "max",
        "value " + value + " is above the maximum " + bound_text(*spec_.max, col_.dtype()));
  }

  void repeated(Index row, std::string value, Index first, bool quote) {
    const std::string shown = quote ? "'" + value + "'" : value;
    add(row, std::move(value), "unique",
        "value " + shown + " repeats row " + std::to_string(first) + " but the column is unique");
  }

  void not_allowed(Index row, const std::string& value) {
    add(row, value, "allowed",
        "value '" + value + "' is not one of the allowed values " + quoted_list(spec_.allowed));
  }

  void run_float64() {
    const auto x = col_.as_float64();
    std::unordered_map<double, Index> first;
    for (Index i = 0; i < col_.size(); ++i) {
      const double v = x[i];
      if (std::isnan(v)) {
        if (!spec_.nullable) not_null(i);
        continue;
      }
      if (spec_.min && v < *spec_.min) below(i, col_.value_string(i));
      if (spec_.max && v > *spec_.max) above(i, col_.value_string(i));
      if (spec_.unique) {
        auto [it, inserted] = first.emplace(v + 0.0, i);  // + 0.0 turns -0.0 into 0.0
        if (!inserted) repeated(i, col_.value_string(i), it->second, false);
      }
    }
  }

  // Integer bounds equivalent to the real bounds for integer values: v < min <=> v < ceil(min),
  // v > max <=> v > floor(max). Compared in int64, so timestamps (~1e18 ns) lose no precision.
  static constexpr double kTwo63 = 9223372036854775808.0;
  static bool below_bound(std::int64_t v, double lo) {
    const double c = std::ceil(lo);
    if (c >= kTwo63) return true;
    if (c < -kTwo63) return false;
    return v < static_cast<std::int64_t>(c);
  }
  static bool above_bound(std::int64_t v, double hi) {
    const double f = std::floor(hi);
    if (f >= kTwo63) return false;
    if (f < -kTwo63) return true;
    return v > static_cast<std::int64_t>(f);
  }

  void run_int64() {
    const auto x = col_.as_int64();
    const auto& valid = col_.validity();
    const bool ts = col_.dtype() == DType::Timestamp;
    std::unordered_map<std::int64_t, Index> first;
    for (Index i = 0; i < col_.size(); ++i) {
      const std::int64_t v = x[i];
      const bool missing =
          ts ? v == kNaT : (!valid.empty() && valid[static_cast<std::size_t>(i)] == 0);
      if (missing) {
        if (!spec_.nullable) not_null(i);
        continue;
      }
      if (spec_.min && below_bound(v, *spec_.min)) below(i, col_.value_string(i));
      if (spec_.max && above_bound(v, *spec_.max)) above(i, col_.value_string(i));
      if (spec_.unique) {
        auto [it, inserted] = first.emplace(v, i);
        if (!inserted) repeated(i, col_.value_string(i), it->second, false);
      }
    }
  }

  void run_categorical() {
    const auto codes = col_.codes();
    const auto& cats = col_.categories();
    // The dictionary is checked once; rows then only look up their code.
    std::vector<char> disallowed(cats.size(), 0);
    if (!spec_.allowed.empty()) {
      const std::unordered_set<std::string_view> ok(spec_.allowed.begin(), spec_.allowed.end());
      for (std::size_t k = 0; k < cats.size(); ++k) disallowed[k] = ok.count(cats[k]) ? 0 : 1;
    }
    std::vector<Index> first(spec_.unique ? cats.size() : 0, -1);
    for (Index i = 0; i < col_.size(); ++i) {
      const std::int32_t c = codes[i];
      if (c < 0) {
        if (!spec_.nullable) not_null(i);
        continue;
      }
      const auto k = static_cast<std::size_t>(c);
      if (disallowed[k]) not_allowed(i, cats[k]);
      if (spec_.unique) {
        if (first[k] < 0)
          first[k] = i;
        else
          repeated(i, cats[k], first[k], true);
      }
    }
  }

  void run_string() {
    const auto& s = col_.strings();
    const auto& valid = col_.validity();
    std::unordered_set<std::string_view> ok;
    if (!spec_.allowed.empty()) ok.insert(spec_.allowed.begin(), spec_.allowed.end());
    std::unordered_map<std::string_view, Index> first;
    for (Index i = 0; i < col_.size(); ++i) {
      const auto u = static_cast<std::size_t>(i);
      if (!valid.empty() && valid[u] == 0) {
        if (!spec_.nullable) not_null(i);
        continue;
      }
      if (!spec_.allowed.empty() && !ok.count(s[u])) not_allowed(i, s[u]);
      if (spec_.unique) {
        auto [it, inserted] = first.emplace(s[u], i);
        if (!inserted) repeated(i, s[u], it->second, true);
      }
    }
  }

  const ColumnSpec& spec_;
  const Column& col_;
  std::vector<Violation>& out_;
};

}  // namespace

ValidationReport Schema::validate(const Table& table) const {
  ValidationReport report;
  auto& out = report.violations;

  // 1. table level
  if (table.num_rows() == 0)
    out.push_back(make_violation("", -1, "", "empty", "the table has no rows"));

  // 2. column level: missing and mistyped columns in schema order, then unknown columns
  std::vector<std::pair<const ColumnSpec*, const Column*>> to_check;
  for (const auto& spec : columns_) {
    const Column* found = table.get(spec.name);
    if (found == nullptr) {
      if (spec.required)
        out.push_back(make_violation(spec.name, -1, "", "missing_column",
                                     "the column is required but missing from the table"));
      continue;
    }
    const Column& col = *found;
    if (col.dtype() != spec.dtype) {
      out.push_back(make_violation(spec.name, -1, dtype_name(col.dtype()), "type",
                                   std::string("expected type ") + dtype_name(spec.dtype) +
                                       ", found " + dtype_name(col.dtype()) +
                                       " (rows of this column were not checked)"));
      continue;
    }
    to_check.emplace_back(&spec, &col);
  }
  if (!allow_extra_) {
    for (const auto& col : table.columns())
      if (!has_column(col.name()))
        out.push_back(make_violation(col.name(), -1, "", "unknown_column",
                                     "the column is not in the schema (extra columns are not "
                                     "allowed)"));
  }

  // 3. row level, one column per task; concatenated in schema order. Small tables (a request
  // of a few rows) run on this thread: waking a team costs more than the checks, and far more
  // on a busy machine (milliseconds spent waiting for a core).
  std::vector<std::vector<Violation>> per_column(to_check.size());
  const int threads = table.num_rows() < kSerialRows ? 1 : 0;
  parallel_for(0, static_cast<Index>(to_check.size()), threads, [&](Index j) {
    const auto u = static_cast<std::size_t>(j);
    ColumnChecker(*to_check[u].first, *to_check[u].second, per_column[u]).run();
  });
  std::size_t total = out.size();
  for (const auto& v : per_column) total += v.size();
  out.reserve(total);
  for (auto& v : per_column)
    for (auto& x : v) out.push_back(std::move(x));
  return report;
}

void Schema::enforce(const Table& table) const {
  const ValidationReport report = validate(table);
  CHURN_CHECK(report.ok(), SchemaError, "Schema::enforce(): " << report.to_string());
}

Schema Schema::infer(const Table& table) {
  Schema s;
  for (const auto& col : table.columns()) {
    ColumnSpec spec;
    spec.name = col.name();
    spec.dtype = col.dtype();
    spec.nullable = col.null_count() > 0;
    s.add(std::move(spec));
  }
  return s;
}

// ------------------------------------------------------------------------------------------
// Schema: JSON
// ------------------------------------------------------------------------------------------

Json Schema::to_json() const {
  Json cols = Json::array();
  for (const auto& c : columns_) {
    Json j = Json::object();
    j["name"] = c.name;
    j["dtype"] = dtype_name(c.dtype);
    j["nullable"] = c.nullable;
    j["min"] = c.min ? Json(*c.min) : Json(nullptr);
    j["max"] = c.max ? Json(*c.max) : Json(nullptr);
    j["allowed"] = c.allowed;
    j["unique"] = c.unique;
    j["required"] = c.required;
    cols.push_back(std::move(j));
  }
  Json params = Json::object();
  params["allow_extra_columns"] = allow_extra_;
  Json state = Json::object();
  state["columns"] = std::move(cols);
  return make_envelope("Schema", std::move(params), std::move(state));
}

namespace {

// Strict typed reads: nlohmann would convert between numbers and booleans silently.
bool get_bool(const Json& obj, const char* key, const std::string& where) {
  const Json v = json_get<Json>(obj, key, where);
  CHURN_CHECK(v.is_boolean(), SerializationError,
              where << ": field '" << key << "' must be a boolean, found " << v.type_name());
  return v.get<bool>();
}

std::string get_string(const Json& obj, const char* key, const std::string& where) {
  const Json v = json_get<Json>(obj, key, where);
  CHURN_CHECK(v.is_string(), SerializationError,
              where << ": field '" << key << "' must be a string, found " << v.type_name());
  return v.get<std::string>();
}

std::optional<double> get_bound(const Json& obj, const char* key, const std::string& where) {
  const Json v = json_get<Json>(obj, key, where);
  if (v.is_null()) return std::nullopt;
  CHURN_CHECK(v.is_number(), SerializationError,
              where << ": field '" << key << "' must be a number or null, found " << v.type_name());
  return v.get<double>();
}

}  // namespace

Schema Schema::from_json(const Json& doc) {
  const std::string where = "Schema::from_json()";
  open_envelope(doc, "Schema");
  const Json& params = doc["params"];
  const Json& state = doc["state"];
  Schema s;
  s.allow_extra_columns(get_bool(params, "allow_extra_columns", where + ": params"));
  const Json cols = json_get<Json>(state, "columns", where + ": state");
  CHURN_CHECK(cols.is_array(), SerializationError,
              where << ": state field 'columns' must be an array, found " << cols.type_name());
  for (std::size_t i = 0; i < cols.size(); ++i) {
    const Json& c = cols[i];
    const std::string at = where + ": column " + std::to_string(i);
    CHURN_CHECK(c.is_object(), SerializationError,
                at << " must be an object, found " << c.type_name());
    ColumnSpec spec;
    spec.name = get_string(c, "name", at);
    const std::string named = at + " ('" + spec.name + "')";
    const std::string dtype = get_string(c, "dtype", named);
    try {
      spec.dtype = dtype_from_name(dtype);
    } catch (const InvalidArgument& e) {
      CHURN_THROW(SerializationError, named << ": " << e.what());
    }
    spec.nullable = get_bool(c, "nullable", named);
    spec.min = get_bound(c, "min", named);
    spec.max = get_bound(c, "max", named);
    const Json allowed = json_get<Json>(c, "allowed", named);
    CHURN_CHECK(
        allowed.is_array(), SerializationError,
        named << ": field 'allowed' must be an array of strings, found " << allowed.type_name());
    for (const auto& a : allowed) {
      CHURN_CHECK(a.is_string(), SerializationError,
                  named << ": field 'allowed' must be an array of strings, found an element of "
                           "type "
                        << a.type_name());
      spec.allowed.push_back(a.get<std::string>());
    }
    spec.unique = get_bool(c, "unique", named);
    spec.required = get_bool(c, "required", named);
    try {
      s.add(std::move(spec));
    } catch (const InvalidArgument& e) {
      CHURN_THROW(SerializationError, where << ": invalid column spec: " << e.what());
    }
  }
  return s;
}

void Schema::save(const std::string& path) const {
  save_json_file(to_json(), path, 2);
}

Schema Schema::load(const std::string& path) {
  return from_json(load_json_file(path));
}

}  // namespace churn::data
