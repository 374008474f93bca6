#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "churn/core/datetime.hpp"
#include "churn/core/error.hpp"
#include "churn/data/summary.hpp"
#include "churn/data/table.hpp"
#include "test_util.hpp"

using churn::Index;
using churn::data::Column;
using churn::data::DType;
using churn::data::Table;

namespace tt = boost::test_tools;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const std::int64_t kDay = churn::kNanosPerDay;

std::int64_t t0() {
  return *churn::parse_timestamp("2020-01-01");
}

// Seven rows; the expected statistics are worked out by hand next to each column.
Table sample() {
  const std::int64_t T = t0();
  return Table({
      // x: values 1 2 3 4 7 10 (n = 6), one NaN. mean 27/6 = 4.5;
      // squared deviations 12.25 6.25 2.25 0.25 6.25 30.25 = 57.5 -> var 11.5.
      // p25 at position 1.25 -> 2 + 0.25*1 = 2.25; p50 at 2.5 -> 3.5; p75 at 3.75 -> 4 + 0.75*3
      Column::from_float64("x", {4, 1, kNaN, 3, 10, 2, 7}),
      // n: values 1 5 5 6 9 (n = 5), two missing. mean 26/5 = 5.2;
      // squared deviations 17.64 0.04 0.04 0.64 14.44 = 32.8 -> var 8.2. p25/p50/p75 at 1/2/3.
      Column::from_int64("n", {5, 6, 1, 0, 9, 0, 5}, {1, 1, 1, 0, 1, 0, 1}),
      // c: Monthly x2 (first row 0), Annual x2 (first row 1), Weekly x1, two missing;
      // "Biennial" is in the dictionary but unused. Tie -> first appearance: Monthly.
      Column::from_codes("c", {1, 0, 0, -1, 1, -1, 2}, {"Annual", "Monthly", "Weekly", "Biennial"}),
      // s: b x3, a x2, c x1, one missing -> top b, 3 distinct.
      Column::from_strings("s", {"b", "a", "a", "b", "", "c", "b"}, {1, 1, 1, 1, 0, 1, 1}),
      // t: T + {0, 1, 3, NaT, 10, 2, NaT} days -> offsets 0 1 2 3 10 (n = 5); mean 3.2 days;
      // squared deviations 10.24 4.84 1.44 0.04 46.24 = 62.8 -> var 15.7 days^2.
      Column::from_timestamp(
          "t", {T, T + kDay, T + 3 * kDay, churn::kNaT, T + 10 * kDay, T + 2 * kDay, churn::kNaT}),
  });
}

double stat(const Table& d, const char* name, Index row) {
  return d.column(name).as_float64()[row];
}

}  // namespace

BOOST_AUTO_TEST_SUITE(data_summary)

BOOST_AUTO_TEST_CASE(output_layout) {
  const Table d = churn::data::describe(sample());
  const std::vector<std::string> names = {"column", "dtype", "count",    "missing", "missing_rate",
                                          "mean",   "std",   "min",      "p25",     "p50",
                                          "p75",    "max",   "n_unique", "top"};
  BOOST_TEST(d.column_names() == names, tt::per_element());
  BOOST_TEST(d.num_rows() == 5);
  BOOST_TEST((d.column("column").dtype() == DType::String));
  BOOST_TEST((d.column("dtype").dtype() == DType::Categorical));
  BOOST_TEST((d.column("top").dtype() == DType::String));
  for (const char* n : {"count", "missing", "mean", "p50", "n_unique"})
    BOOST_TEST((d.column(n).dtype() == DType::Float64));
  const std::vector<std::string> cols = {"x", "n", "c", "s", "t"};
  BOOST_TEST(d.column("column").strings() == cols, tt::per_element());
  const std::vector<std::string> types = {"float64", "int64", "category", "string", "timestamp"};
  for (Index j = 0; j < 5; ++j)
    BOOST_TEST(d.column("dtype").value_string(j) == types[static_cast<std::size_t>(j)]);
}

BOOST_AUTO_TEST_CASE(counts_missing_unique_and_top) {
  const Table d = churn::data::describe(sample());
  const double count[] = {6, 5, 5, 6, 5};
  const double missing[] = {1, 2, 2, 1, 2};
  const double n_unique[] = {6, 4, 3, 3, 5};
  const char* top[] = {"", "", "Monthly", "b", ""};
  for (Index j = 0; j < 5; ++j) {
    const auto u = static_cast<std::size_t>(j);
    BOOST_TEST(stat(d, "count", j) == count[u]);
    BOOST_TEST(stat(d, "missing", j) == missing[u]);
    BOOST_TEST(stat(d, "missing_rate", j) == missing[u] / 7.0, tt::tolerance(1e-15));
    BOOST_TEST(stat(d, "n_unique", j) == n_unique[u]);
    BOOST_TEST(d.column("top").strings()[u] == top[u]);
  }
}

BOOST_AUTO_TEST_CASE(numeric_statistics_match_hand_computation) {
  const Table d = churn::data::describe(sample());
  const auto tol = tt::tolerance(1e-12);
  // x (float64)
  BOOST_TEST(stat(d, "mean", 0) == 4.5, tol);
  BOOST_TEST(stat(d, "std", 0) == std::sqrt(11.5), tol);
  BOOST_TEST(stat(d, "min", 0) == 1.0);
  BOOST_TEST(stat(d, "p25", 0) == 2.25, tol);
  BOOST_TEST(stat(d, "p50", 0) == 3.5, tol);
  BOOST_TEST(stat(d, "p75", 0) == 6.25, tol);
  BOOST_TEST(stat(d, "max", 0) == 10.0);
  // n (int64)
  BOOST_TEST(stat(d, "mean", 1) == 5.2, tol);
  BOOST_TEST(stat(d, "std", 1) == std::sqrt(8.2), tol);
  BOOST_TEST(stat(d, "min", 1) == 1.0);
  BOOST_TEST(stat(d, "p25", 1) == 5.0);
  BOOST_TEST(stat(d, "p50", 1) == 5.0);
  BOOST_TEST(stat(d, "p75", 1) == 6.0);
  BOOST_TEST(stat(d, "max", 1) == 9.0);
  // c, s: no numeric statistics
  for (Index j : {2, 3})
    for (const char* n : {"mean", "std", "min", "p25", "p50", "p75", "max"})
      BOOST_TEST(std::isnan(stat(d, n, j)), n);
  // t (timestamp, ns): compare as offsets from the first day
  const double T = static_cast<double>(t0());
  const double day = static_cast<double>(kDay);
  const auto tday = tt::tolerance(1e-9);
  BOOST_TEST((stat(d, "mean", 4) - T) / day == 3.2, tday);
  BOOST_TEST(stat(d, "std", 4) / day == std::sqrt(15.7), tday);
  BOOST_TEST(stat(d, "min", 4) == T);
  BOOST_TEST((stat(d, "p25", 4) - T) / day == 1.0, tday);
  BOOST_TEST((stat(d, "p50", 4) - T) / day == 2.0, tday);
  BOOST_TEST((stat(d, "p75", 4) - T) / day == 3.0, tday);
  BOOST_TEST((stat(d, "max", 4) - T) / day == 10.0, tday);
}

BOOST_AUTO_TEST_CASE(quantiles_interpolate_like_numpy) {
  // numpy.quantile([10, 20, 40, 80], q): position 3q. q=.25 -> 0.75 -> 10 + .75*10 = 17.5;
  // q=.5 -> 1.5 -> 30; q=.75 -> 2.25 -> 40 + .25*40 = 50. Input order must not matter.
  const Table d = churn::data::describe(Table({Column::from_float64("v", {80, 10, 40, 20})}));
  BOOST_TEST(stat(d, "p25", 0) == 17.5);
  BOOST_TEST(stat(d, "p50", 0) == 30.0);
  BOOST_TEST(stat(d, "p75", 0) == 50.0);
  // a single value: every quantile is it, std undefined
  const Table one = churn::data::describe(Table({Column::from_int64("v", {42})}));
  for (const char* n : {"mean", "min", "p25", "p50", "p75", "max"})
    BOOST_TEST(stat(one, n, 0) == 42.0, n);
  BOOST_TEST(std::isnan(stat(one, "std", 0)));
}

BOOST_AUTO_TEST_CASE(timestamps_keep_nanosecond_precision) {
  // Near 1.6e18 doubles are 256 ns apart: a naive double sum would lose these differences.
  const std::int64_t T = t0();
  const Table d =
      churn::data::describe(Table({Column::from_timestamp("t", {T + 3, T, T + 2, T + 1})}));
  // offsets 0 1 2 3 ns: std = sqrt(5/3) ns, p50 = T + 1.5 ns (rounded to a double)
  BOOST_TEST(stat(d, "std", 0) == std::sqrt(5.0 / 3.0), tt::tolerance(1e-12));
  BOOST_TEST(stat(d, "n_unique", 0) == 4.0);
  BOOST_TEST(stat(d, "min", 0) == static_cast<double>(T));
}

BOOST_AUTO_TEST_CASE(ties_for_top_go_to_the_first_appearance) {
  // z and y tie; the value seen first wins (not the smaller one)
  const Table d =
      churn::data::describe(Table({Column::from_strings("s", {"z", "y", "y", "z", "x"})}));
  BOOST_TEST(d.column("top").strings()[0] == "z");
  const Table d2 = churn::data::describe(
      Table({Column::from_codes("c", {1, 0, 0, 1}, {"p", "q"})}));  // q first, then p
  BOOST_TEST(d2.column("top").strings()[0] == "q");
}

BOOST_AUTO_TEST_CASE(columns_without_values) {
  const Table t({Column::from_float64("x", {kNaN, kNaN}), Column::from_int64("n", {1, 2}, {0, 0}),
                 Column::from_codes("c", {-1, -1}, {"a"}),
                 Column::from_strings("s", {"", ""}, {0, 0})});
  const Table d = churn::data::describe(t);
  for (Index j = 0; j < 4; ++j) {
    BOOST_TEST(stat(d, "count", j) == 0.0);
    BOOST_TEST(stat(d, "missing", j) == 2.0);
    BOOST_TEST(stat(d, "missing_rate", j) == 1.0);
    BOOST_TEST(stat(d, "n_unique", j) == 0.0);
    BOOST_TEST(std::isnan(stat(d, "mean", j)));
    BOOST_TEST(std::isnan(stat(d, "p50", j)));
    BOOST_TEST(d.column("top").strings()[static_cast<std::size_t>(j)] == "");
  }
  // no rows: the rate is undefined
  const Table d0 = churn::data::describe(Table({Column::from_float64("x", {})}));
  BOOST_TEST(stat(d0, "count", 0) == 0.0);
  BOOST_TEST(std::isnan(stat(d0, "missing_rate", 0)));
  // no columns: no rows, same layout
  const Table dn = churn::data::describe(Table());
  BOOST_TEST(dn.num_rows() == 0);
  BOOST_TEST(dn.num_columns() == 14);
}

BOOST_AUTO_TEST_CASE(results_do_not_depend_on_thread_count) {
  // many columns so that several threads really share the work
  std::vector<Column> cols;
  for (int j = 0; j < 23; ++j) {
    std::vector<double> v(1000);
    for (std::size_t i = 0; i < v.size(); ++i)
      v[i] = (i % 7 == 0) ? kNaN : std::sin(0.37 * static_cast<double>(i) * (j + 1)) * 1e3;
    cols.push_back(Column::from_float64("c" + std::to_string(j), std::move(v)));
  }
  const Table t(cols);
  const Table ref = churn::data::describe(t, 1);
  for (int threads : {2, 3, 0}) {
    const Table d = churn::data::describe(t, threads);
    for (const auto& name : ref.column_names()) {
      const Column& a = ref.column(name);
      const Column& b = d.column(name);
      for (Index i = 0; i < a.size(); ++i) BOOST_TEST(a.value_string(i) == b.value_string(i));
    }
  }
  BOOST_CHECK_THROW(churn::data::describe(t, -1), churn::InvalidArgument);
  BOOST_CHECK_THROW(churn::data::describe_string(t, -2), churn::InvalidArgument);
}

BOOST_AUTO_TEST_CASE(describe_string_is_aligned_and_readable) {
  const std::string text = churn::data::describe_string(sample());
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  // title, header, rule, one line per column
  BOOST_REQUIRE_EQUAL(lines.size(), 3u + 5u);
  BOOST_TEST(lines[0] == "7 rows x 5 columns");
  BOOST_TEST(lines[1].rfind("column", 0) == 0);
  BOOST_TEST(lines[2].find_first_not_of('-') == std::string::npos);
  // right-aligned numeric columns: each header name ends where its values end
  const std::size_t count_end = lines[1].find("count") + std::strlen("count");
  const std::size_t dtype_at = lines[1].find("dtype");
  const char* counts[] = {"6", "5", "5", "6", "5"};
  const char* types[] = {"float64", "int64", "category", "string", "timestamp"};
  for (std::size_t r = 0; r < 5; ++r) {
    const std::string& l = lines[3 + r];
    BOOST_TEST(l.substr(dtype_at, std::strlen(types[r])) == types[r], l);
    BOOST_TEST(l.substr(count_end - 1, 1) == counts[r], l);
    BOOST_TEST(l[count_end] == ' ', l);
  }
  // numbers with 4 significant digits, missing with its share, dates for timestamps
  BOOST_TEST(lines[3].find("3.391") != std::string::npos, lines[3]);  // sqrt(11.5)
  BOOST_TEST(lines[3].find("2.25") != std::string::npos, lines[3]);
  BOOST_TEST(lines[3].find("1 (14.3%)") != std::string::npos, lines[3]);
  BOOST_TEST(lines[4].find("2.864") != std::string::npos, lines[4]);  // sqrt(8.2)
  BOOST_TEST(lines[5].find("Monthly") != std::string::npos, lines[5]);
  BOOST_TEST(lines[7].find("2020-01-01") != std::string::npos, lines[7]);
  BOOST_TEST(lines[7].find("2020-01-11") != std::string::npos, lines[7]);
  BOOST_TEST(lines[7].find("3.962d") != std::string::npos, lines[7]);  // sqrt(15.7) days
  BOOST_TEST(text.find("nan") == std::string::npos);

  // a column spanning hours shows times of day, and its std in hours:
  // offsets 0 1 3 h -> mean 4/3 h, squared deviations 16/9 1/9 25/9 -> var 7/3 -> std 1.528 h
  const std::int64_t T = t0();
  const std::int64_t hour = 3600 * churn::kNanosPerSecond;
  const std::string hours = churn::data::describe_string(
      Table({Column::from_timestamp("t", {T, T + hour, T + 3 * hour})}));
  BOOST_TEST(hours.find("2020-01-01 00:00") != std::string::npos, hours);
  BOOST_TEST(hours.find("2020-01-01 03:00") != std::string::npos, hours);
  BOOST_TEST(hours.find("1.528h") != std::string::npos, hours);

  // long names and values are shortened
  const std::string long_name(60, 'n');
  const std::string long_text = churn::data::describe_string(
      Table({Column::from_strings(long_name, {std::string(80, 'v')})}));
  BOOST_TEST(long_text.find(long_name) == std::string::npos);
  BOOST_TEST(long_text.find("...") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(narrow_category_codes_describe_like_int32) {
  const std::vector<std::string> cats = {"a", "b", "c"};
  const std::vector<std::int32_t> codes = {0, 2, -1, 1, 1, -1, 2, 0, 0};
  const Table narrow({churn_test::narrow_codes<std::int8_t>("c", codes, cats)});
  const Table wide({Column::from_codes("c", codes, cats)});
  BOOST_TEST(churn::data::describe_string(narrow) == churn::data::describe_string(wide));
}

BOOST_AUTO_TEST_SUITE_END()
