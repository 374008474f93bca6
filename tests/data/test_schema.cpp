#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <typeinfo>
#include <vector>

#include "churn/core/datetime.hpp"
#include "churn/core/error.hpp"
#include "churn/core/json.hpp"
#include "churn/data/schema.hpp"
#include "churn/data/table.hpp"
#include "common/json.hpp"
#include "test_util.hpp"

using churn::Index;
using churn::Json;
using churn::data::Column;
using churn::data::ColumnSpec;
using churn::data::DType;
using churn::data::Schema;
using churn::data::Table;
using churn::data::Violation;

namespace fs = std::filesystem;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

ColumnSpec spec(std::string name, DType t, bool nullable = true) {
  ColumnSpec s;
  s.name = std::move(name);
  s.dtype = t;
  s.nullable = nullable;
  return s;
}

std::int64_t ts(const char* text) {
  auto v = churn::parse_timestamp(text);
  BOOST_REQUIRE(v.has_value());
  return *v;
}

// Asserts one violation field by field.
void expect(const Violation& v, const std::string& column, Index row, const std::string& rule,
            const std::string& value) {
  BOOST_TEST(v.column == column);
  BOOST_TEST(v.row == row);
  BOOST_TEST(v.rule == rule);
  BOOST_TEST(v.value == value);
  BOOST_TEST(v.line == 0);
  if (!column.empty()) BOOST_TEST(v.message.find("'" + column + "'") != std::string::npos);
  if (row >= 0) BOOST_TEST(v.message.rfind("row " + std::to_string(row) + ",", 0) == 0);
}

fs::path scratch_dir() {
  fs::path dir = fs::temp_directory_path() / "churn_test_schema";
  fs::create_directories(dir);
  return dir;
}

// A table breaking several rules at once, and its schema.
//   id:       unique string; rows 2 ("C1") and 4 ("C2") repeat rows 0 and 1
//   tenure:   float64, not nullable, [0, 120]; row 1 = -3, row 2 = NaN, row 3 = 200
//   contract: category in {Monthly, Annual}; rows 1 and 4 are "Weekly"
//   tickets:  schema float64, table int64 -> one "type" violation, rows unchecked
//   charges:  required, absent -> "missing_column"
//   extra:    not in the schema -> "unknown_column"
Table messy_table() {
  return Table({Column::from_strings("id", {"C1", "C2", "C1", "C3", "C2"}),
                Column::from_float64("tenure", {1, -3, kNaN, 200, 5}),
                Column::from_strings_categorical(
                    "contract", {"Monthly", "Weekly", "Annual", "Monthly", "Weekly"}),
                Column::from_int64("tickets", {0, 1, 2, 3, 4}, {1, 0, 1, 1, 1}),
                Column::from_float64("extra", {0, 0, 0, 0, 0})});
}

Schema messy_schema() {
  ColumnSpec id = spec("id", DType::String, false);
  id.unique = true;
  ColumnSpec tenure = spec("tenure", DType::Float64, false);
  tenure.min = 0.0;
  tenure.max = 120.0;
  ColumnSpec contract = spec("contract", DType::Categorical);
  contract.allowed = {"Monthly", "Annual"};
  ColumnSpec tickets = spec("tickets", DType::Float64, false);
  ColumnSpec charges = spec("charges", DType::Float64);
  return Schema({id, tenure, contract, tickets, charges});
}

}  // namespace

BOOST_AUTO_TEST_SUITE(data_schema)

BOOST_AUTO_TEST_CASE(every_violation_is_reported_in_order) {
  const auto report = messy_schema().validate(messy_table());
  BOOST_REQUIRE_EQUAL(report.violations.size(), 10u);
  BOOST_TEST(!report.ok());
  const auto& v = report.violations;
  // column level, schema order, then unknown columns
  expect(v[0], "tickets", -1, "type", "int64");
  expect(v[1], "charges", -1, "missing_column", "");
  expect(v[2], "extra", -1, "unknown_column", "");
  // row level, column by column in schema order, rows ascending
  expect(v[3], "id", 2, "unique", "C1");
  expect(v[4], "id", 4, "unique", "C2");
  expect(v[5], "tenure", 1, "min", "-3");
  expect(v[6], "tenure", 2, "not_null", "");
  expect(v[7], "tenure", 3, "max", "200");
  expect(v[8], "contract", 1, "allowed", "Weekly");
  expect(v[9], "contract", 4, "allowed", "Weekly");
  // the messages name row, column and reason
  BOOST_TEST(v[5].message == "row 1, column 'tenure': value -3 is below the minimum 0");
  BOOST_TEST(v[7].message == "row 3, column 'tenure': value 200 is above the maximum 120");
  BOOST_TEST(v[3].message.find("repeats row 0") != std::string::npos);
  BOOST_TEST(v[4].message.find("repeats row 1") != std::string::npos);
  BOOST_TEST(v[6].message.find("not nullable") != std::string::npos);
  BOOST_TEST(v[8].message.find("'Weekly'") != std::string::npos);
  BOOST_TEST(v[8].message.find("'Monthly', 'Annual'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(set_line_puts_the_source_line_in_the_message) {
  auto report = messy_schema().validate(messy_table());
  Violation v = report.violations[5];
  v.row = 17;
  v.set_line(19);
  BOOST_TEST(v.line == 19);
  BOOST_TEST(v.message == "row 17 (line 19), column 'tenure': value -3 is below the minimum 0");
  v.set_line(0);
  BOOST_TEST(v.message == "row 17, column 'tenure': value -3 is below the minimum 0");
}

BOOST_AUTO_TEST_CASE(report_text_counts_and_truncates) {
  const auto report = messy_schema().validate(messy_table());
  const std::string all = report.to_string();
  BOOST_TEST(all.rfind("10 violations of the data contract:", 0) == 0);
  for (const auto& v : report.violations) BOOST_TEST(all.find(v.message) != std::string::npos);
  BOOST_TEST(all.find("more") == std::string::npos);

  const std::string short_text = report.to_string(3);
  BOOST_TEST(short_text.find(report.violations[2].message) != std::string::npos);
  BOOST_TEST(short_text.find(report.violations[3].message) == std::string::npos);
  BOOST_TEST(short_text.find("... and 7 more") != std::string::npos);
  // 1 title line + 3 messages + the "more" line
  BOOST_TEST(std::count(short_text.begin(), short_text.end(), '\n') == 4);

  BOOST_TEST(churn::data::ValidationReport{}.to_string() == "0 violations of the data contract");
}

BOOST_AUTO_TEST_CASE(enforce_throws_schema_error_with_every_violation) {
  const Schema s = messy_schema();
  const Table t = messy_table();
  const auto report = s.validate(t);
  bool thrown = false;
  try {
    s.enforce(t);
  } catch (const churn::Error& e) {
    thrown = true;
    BOOST_TEST((typeid(e) == typeid(churn::SchemaError)));
    const std::string msg = e.what();
    BOOST_TEST(msg.find("Schema::enforce()") != std::string::npos);
    BOOST_TEST(msg.find("10 violations") != std::string::npos);
    for (const auto& v : report.violations) BOOST_TEST(msg.find(v.message) != std::string::npos);
  }
  BOOST_TEST(thrown);
  // a conforming table passes
  const Table good = t.select({"id", "tenure", "contract"}).take({0, 1, 3});
  BOOST_CHECK_NO_THROW(Schema::infer(good).enforce(good));
}

BOOST_AUTO_TEST_CASE(missing_and_unknown_columns_are_named) {
  const Schema s({spec("a", DType::Float64), spec("b", DType::String)});
  const Table t({Column::from_float64("a", {1}), Column::from_float64("zz", {2}),
                 Column::from_float64("yy", {3})});
  const auto r = s.validate(t);
  BOOST_REQUIRE_EQUAL(r.violations.size(), 3u);
  expect(r.violations[0], "b", -1, "missing_column", "");
  expect(r.violations[1], "zz", -1, "unknown_column", "");
  expect(r.violations[2], "yy", -1, "unknown_column", "");
  BOOST_TEST(r.violations[0].message.find("column 'b'") == 0);
  BOOST_TEST(r.violations[0].message.find("missing") != std::string::npos);
  BOOST_TEST(r.violations[1].message.find("not in the schema") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(type_mismatch_names_both_types_and_skips_rows) {
  // int64 data against a float64 spec is not silently accepted
  ColumnSpec s = spec("n", DType::Float64, false);
  s.min = 0.0;
  const Table t({Column::from_int64("n", {-5, 7}, {1, 0})});  // row 0 < min, row 1 missing
  const auto r = Schema({s}).validate(t);
  BOOST_REQUIRE_EQUAL(r.violations.size(), 1u);
  expect(r.violations[0], "n", -1, "type", "int64");
  BOOST_TEST(r.violations[0].message.find("expected type float64, found int64") !=
             std::string::npos);

  const auto r2 = Schema({spec("n", DType::String)})
                      .validate(Table({Column::from_strings_categorical("n", {"a"})}));
  BOOST_REQUIRE_EQUAL(r2.violations.size(), 1u);
  BOOST_TEST(r2.violations[0].message.find("expected type string, found category") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(unique_reports_each_repeat_after_the_first) {
  ColumnSpec id = spec("id", DType::String);
  id.unique = true;
  const Table t(
      {Column::from_strings("id", {"a", "b", "a", "a", "", "b", ""}, {1, 1, 1, 1, 0, 1, 0})});
  const auto r = Schema({id}).validate(t);
  BOOST_REQUIRE_EQUAL(r.violations.size(), 3u);  // missing values never repeat
  expect(r.violations[0], "id", 2, "unique", "a");
  expect(r.violations[1], "id", 3, "unique", "a");
  expect(r.violations[2], "id", 5, "unique", "b");
  BOOST_TEST(r.violations[1].message.find("repeats row 0") != std::string::npos);
  BOOST_TEST(r.violations[2].message.find("repeats row 1") != std::string::npos);

  // int64, float64 (-0.0 equals 0.0; NaN never repeats), categorical, timestamp
  Schema s;
  s.add(spec("i", DType::Int64))
      .add(spec("f", DType::Float64))
      .add(spec("c", DType::Categorical))
      .add(spec("t", DType::Timestamp));
  for (const char* n : {"i", "f", "c", "t"}) s.unique(n);
  const Table t2({Column::from_int64("i", {7, 8, 7, 9}),
                  Column::from_float64("f", {0.0, kNaN, kNaN, -0.0}),
                  Column::from_codes("c", {1, 0, -1, 0}, {"x", "y"}),
                  Column::from_timestamp("t", {5, churn::kNaT, 6, churn::kNaT})});
  const auto r2 = s.validate(t2);
  BOOST_REQUIRE_EQUAL(r2.violations.size(), 3u);
  expect(r2.violations[0], "i", 2, "unique", "7");
  expect(r2.violations[1], "f", 3, "unique", "-0");
  expect(r2.violations[2], "c", 3, "unique", "x");

  // unique() on an unknown column is an error naming it
  BOOST_CHECK_THROW(s.unique("nope"), churn::InvalidArgument);
}

BOOST_AUTO_TEST_CASE(allowed_categories_and_strings) {
  ColumnSpec c = spec("contract", DType::Categorical);
  c.allowed = {"Monthly", "Annual"};
  // "Biennial" is in the dictionary but never used: no violation
  const Table t({Column::from_codes("contract", {0, 2, -1, 1, 2, 0},
                                    {"Monthly", "Biennial", "Weekly", "Annual"})});
  // codes: 0 Monthly, 2 Weekly, -1 missing, 1 Biennial, 2 Weekly, 0 Monthly
  const auto r = Schema({c}).validate(t);
  BOOST_REQUIRE_EQUAL(r.violations.size(), 3u);
  expect(r.violations[0], "contract", 1, "allowed", "Weekly");
  expect(r.violations[1], "contract", 3, "allowed", "Biennial");
  expect(r.violations[2], "contract", 4, "allowed", "Weekly");

  ColumnSpec s = spec("plan", DType::String);
  s.allowed = {"basic", "pro"};
  const Table t2({Column::from_strings("plan", {"pro", "Pro", "", "basic"}, {1, 1, 0, 1})});
  const auto r2 = Schema({s}).validate(t2);
  BOOST_REQUIRE_EQUAL(r2.violations.size(), 1u);  // case matters; missing is not checked
  expect(r2.violations[0], "plan", 1, "allowed", "Pro");
}

BOOST_AUTO_TEST_CASE(min_max_on_timestamps_are_exact_to_the_nanosecond) {
  ColumnSpec c = spec("signup", DType::Timestamp);
  const std::int64_t lo = ts("2020-01-01");
  const std::int64_t hi = ts("2020-12-31");
  c.min = static_cast<double>(lo);
  c.max = static_cast<double>(hi);
  // one nanosecond outside each bound: a double comparison could not see it
  const Table t(
      {Column::from_timestamp("signup", {lo - 1, lo, churn::kNaT, hi, hi + 1, ts("2021-06-01")})});
  const auto r = Schema({c}).validate(t);
  BOOST_REQUIRE_EQUAL(r.violations.size(), 3u);
  expect(r.violations[0], "signup", 0, "min", "2019-12-31T23:59:59.999999999");
  expect(r.violations[1], "signup", 4, "max", "2020-12-31T00:00:00.000000001");
  expect(r.violations[2], "signup", 5, "max", "2021-06-01");
  BOOST_TEST(r.violations[0].message ==
             "row 0, column 'signup': value 2019-12-31T23:59:59.999999999 is below the minimum "
             "2020-01-01");
}

BOOST_AUTO_TEST_CASE(min_max_on_integers_use_real_bounds) {
  ColumnSpec c = spec("n", DType::Int64);
  c.min = 0.5;  // 0 is below, 1 is not
  c.max = 2.5;  // 3 is above, 2 is not
  const Table t({Column::from_int64("n", {0, 1, 2, 3, -9}, {1, 1, 1, 1, 0})});
  const auto r = Schema({c}).validate(t);
  BOOST_REQUIRE_EQUAL(r.violations.size(), 2u);
  expect(r.violations[0], "n", 0, "min", "0");
  expect(r.violations[1], "n", 3, "max", "3");
  BOOST_TEST(r.violations[0].message.find("minimum 0.5") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(not_null_catches_each_dtypes_missing_value) {
  Schema s;
  for (DType t :
       {DType::Float64, DType::Int64, DType::Categorical, DType::Timestamp, DType::String})
    s.add(spec(churn::data::dtype_name(t), t, false));
  // each column is missing at a different row, in its own representation
  const Table t({Column::from_float64("float64", {kNaN, 1, 2, 3, 4}),
                 Column::from_int64("int64", {0, 1, 2, 3, 4}, {1, 0, 1, 1, 1}),
                 Column::from_codes("category", {0, 0, -1, 0, 0}, {"a"}),
                 Column::from_timestamp("timestamp", {0, 1, 2, churn::kNaT, 4}),
                 Column::from_strings("string", {"a", "b", "c", "d", "e"}, {1, 1, 1, 1, 0})});
  const auto r = s.validate(t);
  BOOST_REQUIRE_EQUAL(r.violations.size(), 5u);
  const char* names[] = {"float64", "int64", "category", "timestamp", "string"};
  for (std::size_t k = 0; k < 5; ++k)
    expect(r.violations[k], names[k], static_cast<Index>(k), "not_null", "");
  // nullable columns accept the same data
  Schema loose;
  for (const auto& c : s.columns()) loose.add(spec(c.name, c.dtype, true));
  BOOST_TEST(loose.validate(t).ok());
}

BOOST_AUTO_TEST_CASE(extra_columns_and_optional_columns) {
  ColumnSpec opt = spec("coupon", DType::String);
  opt.required = false;
  Schema s({spec("a", DType::Float64), opt});
  const Table t({Column::from_float64("a", {1, 2}), Column::from_float64("b", {3, 4})});
  auto r = s.validate(t);
  // the absent optional column is fine; the extra one is not
  BOOST_REQUIRE_EQUAL(r.violations.size(), 1u);
  expect(r.violations[0], "b", -1, "unknown_column", "");
  BOOST_TEST(!s.extra_columns_allowed());
  s.allow_extra_columns(true);
  BOOST_TEST(s.extra_columns_allowed());
  BOOST_TEST(s.validate(t).ok());
  // a present optional column is still checked
  const Table t2({Column::from_float64("a", {1, 2}), Column::from_float64("coupon", {3, 4})});
  const auto r2 = s.validate(t2);
  BOOST_REQUIRE_EQUAL(r2.violations.size(), 1u);
  expect(r2.violations[0], "coupon", -1, "type", "float64");
}

BOOST_AUTO_TEST_CASE(an_empty_table_is_a_violation) {
  const Schema s({spec("a", DType::Float64)});
  const Table t({Column::from_float64("a", {})});
  const auto r = s.validate(t);
  BOOST_REQUIRE_EQUAL(r.violations.size(), 1u);
  expect(r.violations[0], "", -1, "empty", "");
  BOOST_TEST(r.violations[0].message == "the table has no rows");
  // a table without columns is empty and misses the required column; "empty" comes first
  const auto r2 = s.validate(Table());
  BOOST_REQUIRE_EQUAL(r2.violations.size(), 2u);
  BOOST_TEST(r2.violations[0].rule == "empty");
  BOOST_TEST(r2.violations[1].rule == "missing_column");
}

BOOST_AUTO_TEST_CASE(bad_specs_are_rejected) {
  Schema s({spec("a", DType::Float64)});
  BOOST_CHECK_THROW(s.add(spec("a", DType::Int64)), churn::InvalidArgument);
  BOOST_CHECK_THROW(s.add(spec("", DType::Int64)), churn::InvalidArgument);
  ColumnSpec inverted = spec("b", DType::Float64);
  inverted.min = 2.0;
  inverted.max = 1.0;
  BOOST_CHECK_THROW(s.add(inverted), churn::InvalidArgument);
  ColumnSpec nan_min = spec("b", DType::Float64);
  nan_min.min = kNaN;
  BOOST_CHECK_THROW(s.add(nan_min), churn::InvalidArgument);
  ColumnSpec text_range = spec("b", DType::String);
  text_range.max = 3.0;
  BOOST_CHECK_THROW(s.add(text_range), churn::InvalidArgument);
  ColumnSpec numeric_allowed = spec("b", DType::Int64);
  numeric_allowed.allowed = {"1"};
  BOOST_CHECK_THROW(s.add(numeric_allowed), churn::InvalidArgument);
  BOOST_CHECK_THROW(Schema({spec("x", DType::Int64), spec("x", DType::Int64)}),
                    churn::InvalidArgument);
  BOOST_TEST(s.columns().size() == 1u);  // failed adds leave the schema unchanged
  BOOST_CHECK_THROW(s.column("zz"), churn::InvalidArgument);
  BOOST_TEST(s.column("a").name == "a");
  BOOST_TEST(s.has_column("a"));
  BOOST_TEST(!s.has_column("b"));
}

BOOST_AUTO_TEST_CASE(infer_describes_the_table_as_it_is) {
  const Table t({Column::from_float64("x", {1, kNaN}), Column::from_int64("n", {1, 2}),
                 Column::from_strings_categorical("c", {"a", "b"}),
                 Column::from_timestamp("t", {0, churn::kNaT}),
                 Column::from_strings("s", {"p", "q"}, {1, 0})});
  const Schema s = Schema::infer(t);
  BOOST_REQUIRE_EQUAL(s.columns().size(), 5u);
  const DType types[] = {DType::Float64, DType::Int64, DType::Categorical, DType::Timestamp,
                         DType::String};
  const bool nullable[] = {true, false, false, true, true};
  for (std::size_t k = 0; k < 5; ++k) {
    const auto& c = s.columns()[k];
    BOOST_TEST(c.name == t.column(static_cast<Index>(k)).name());
    BOOST_TEST((c.dtype == types[k]));
    BOOST_TEST(c.nullable == nullable[k]);
    BOOST_TEST(c.required);
    BOOST_TEST(!c.unique);
    BOOST_TEST(!c.min.has_value());
    BOOST_TEST(!c.max.has_value());
    BOOST_TEST(c.allowed.empty());
  }
  BOOST_TEST(!s.extra_columns_allowed());
  BOOST_TEST(s.validate(t).ok());
}

BOOST_AUTO_TEST_CASE(json_round_trip_keeps_every_field) {
  Schema s = messy_schema();
  ColumnSpec opt = spec("signup", DType::Timestamp);
  opt.required = false;
  opt.min = static_cast<double>(ts("2015-01-01"));
  s.add(opt).allow_extra_columns(true);
  const Json doc = s.to_json();
  BOOST_TEST(doc["kind"] == "Schema");
  BOOST_TEST(doc["params"]["allow_extra_columns"] == true);
  BOOST_TEST(doc["state"]["columns"][1]["dtype"] == "float64");
  BOOST_TEST(doc["state"]["columns"][0]["min"].is_null());

  const Schema back = Schema::from_json(churn::parse_json(doc.dump()));
  BOOST_TEST(back.extra_columns_allowed());
  BOOST_REQUIRE_EQUAL(back.columns().size(), s.columns().size());
  for (std::size_t k = 0; k < s.columns().size(); ++k) {
    const auto& a = s.columns()[k];
    const auto& b = back.columns()[k];
    BOOST_TEST(a.name == b.name);
    BOOST_TEST((a.dtype == b.dtype));
    BOOST_TEST(a.nullable == b.nullable);
    BOOST_TEST((a.min == b.min));
    BOOST_TEST((a.max == b.max));
    BOOST_TEST((a.allowed == b.allowed));
    BOOST_TEST(a.unique == b.unique);
    BOOST_TEST(a.required == b.required);
  }
  BOOST_TEST(back.to_json() == doc);
}

BOOST_AUTO_TEST_CASE(save_load_round_trip) {
  const fs::path path = scratch_dir() / "schema.json";
  const Schema s = messy_schema();
  s.save(path.string());
  const Schema back = Schema::load(path.string());
  BOOST_TEST(back.to_json() == s.to_json());
  // the loaded contract finds the same violations
  const auto a = s.validate(messy_table());
  const auto b = back.validate(messy_table());
  BOOST_REQUIRE_EQUAL(a.violations.size(), b.violations.size());
  for (std::size_t k = 0; k < a.violations.size(); ++k)
    BOOST_TEST(a.violations[k].message == b.violations[k].message);
  BOOST_CHECK_THROW(Schema::load((scratch_dir() / "no_such_schema.json").string()), churn::IOError);
}

BOOST_AUTO_TEST_CASE(damaged_json_throws_serialization_error) {
  const Json good = messy_schema().to_json();
  BOOST_CHECK_NO_THROW(Schema::from_json(good));
  auto damaged = [&](auto&& edit) {
    Json d = good;
    edit(d);
    return d;
  };
  auto check = [](const Json& d, const std::string& needle) {
    try {
      Schema::from_json(d);
      BOOST_ERROR("no exception for a document that should contain: " << needle);
    } catch (const churn::Error& e) {
      BOOST_TEST((typeid(e) == typeid(churn::SerializationError)), e.what());
      BOOST_TEST(std::string(e.what()).find(needle) != std::string::npos, e.what());
    }
  };
  check(churn::common::make_envelope("LogisticRegression", good["params"], good["state"]),
        "LogisticRegression");
  check(damaged([](Json& d) { d["version"] = "2.0"; }), "2.0");
  check(Json::array(), "not a churnlib file");
  check(damaged([](Json& d) { d["state"].erase("columns"); }), "columns");
  check(damaged([](Json& d) { d["params"].erase("allow_extra_columns"); }), "allow_extra_columns");
  check(damaged([](Json& d) { d["state"]["columns"][1].erase("nullable"); }), "nullable");
  check(damaged([](Json& d) { d["state"]["columns"][1].erase("max"); }), "max");
  check(damaged([](Json& d) { d["state"]["columns"][1]["nullable"] = "yes"; }), "nullable");
  check(damaged([](Json& d) { d["state"]["columns"][1]["nullable"] = 1; }), "nullable");
  check(damaged([](Json& d) { d["state"]["columns"][1]["min"] = "0"; }), "min");
  check(damaged([](Json& d) {
          d["state"]["columns"][2]["allowed"] = Json::array({1, 2});
        }),
        "allowed");
  check(damaged([](Json& d) { d["state"]["columns"][2]["allowed"] = "Monthly"; }), "allowed");
  check(damaged([](Json& d) { d["state"]["columns"] = Json::object(); }), "columns");
  check(damaged([](Json& d) { d["state"]["columns"][0] = 3; }), "column 0");
  check(damaged([](Json& d) { d["state"]["columns"][0]["name"] = 3; }), "name");
  check(damaged([](Json& d) { d["state"]["columns"][1]["dtype"] = "decimal"; }), "decimal");
  check(damaged([](Json& d) { d["params"]["allow_extra_columns"] = nullptr; }),
        "allow_extra_columns");
  // a readable document whose specs break the rules of add()
  check(damaged([](Json& d) { d["state"]["columns"][1]["min"] = 500; }), "min");
  check(damaged([](Json& d) { d["state"]["columns"][1]["name"] = "id"; }), "'id'");
}

BOOST_AUTO_TEST_CASE(narrow_category_codes_validate_like_int32) {
  const std::vector<std::string> cats = {"a", "b", "c"};
  const std::vector<std::int32_t> codes = {0, 2, -1, 1, 1, -1, 2, 0, 0};
  const Table narrow({churn_test::narrow_codes<std::int16_t>("c", codes, cats)});
  const Table wide({Column::from_codes("c", codes, cats)});
  ColumnSpec spec;
  spec.name = "c";
  spec.dtype = DType::Categorical;
  spec.nullable = false;
  spec.allowed = {"a", "b"};
  spec.unique = true;
  const Schema s({spec});
  const auto got = s.validate(narrow), want = s.validate(wide);
  BOOST_TEST(!want.ok());
  BOOST_TEST(got.to_string() == want.to_string());
  BOOST_TEST(Schema::infer(narrow).to_json().dump() == Schema::infer(wide).to_json().dump());
}

BOOST_AUTO_TEST_SUITE_END()
