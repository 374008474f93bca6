#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "churn/core/error.hpp"
#include "churn/data/table.hpp"

using churn::Column;
using churn::DType;
using churn::Table;

namespace {
const double kNaN = std::numeric_limits<double>::quiet_NaN();

Table sample() {
  return Table({Column::from_float64("tenure", {1.0, 34.0, kNaN, 45.0}),
                Column::from_int64("tickets", {0, 2, 5, 1}, {1, 1, 0, 1}),
                Column::from_strings_categorical("contract", {"Monthly", "Annual", "Monthly", ""},
                                                 {1, 1, 1, 0}),
                Column::from_timestamp("signup", {0, 86400000000000LL, churn::kNaT, 5}),
                Column::from_strings("id", {"a", "b", "c", "d"})});
}
}  // namespace

BOOST_AUTO_TEST_SUITE(data_table)

BOOST_AUTO_TEST_CASE(shape_names_and_types) {
  const Table t = sample();
  BOOST_TEST(t.num_rows() == 4);
  BOOST_TEST(t.num_columns() == 5);
  BOOST_TEST((t.column_names() ==
              std::vector<std::string>{"tenure", "tickets", "contract", "signup", "id"}));
  BOOST_TEST((t.column("contract").dtype() == DType::Categorical));
  BOOST_TEST((t.column("contract").categories() == std::vector<std::string>{"Monthly", "Annual"}));
  BOOST_TEST(t.column("contract").codes()[3] == -1);
  BOOST_TEST(t.has_column("id"));
  BOOST_TEST(!t.has_column("ID"));
  BOOST_TEST(t.column_index("signup") == 3);
}

BOOST_AUTO_TEST_CASE(missing_values_per_type) {
  const Table t = sample();
  BOOST_TEST(t.column("tenure").is_missing(2));
  BOOST_TEST(!t.column("tenure").is_missing(1));
  BOOST_TEST(t.column("tickets").is_missing(2));
  BOOST_TEST(t.column("contract").is_missing(3));
  BOOST_TEST(t.column("signup").is_missing(2));
  BOOST_TEST(!t.column("id").is_missing(0));
  for (const auto& c : t.columns())
    BOOST_TEST(c.null_count() == (c.name() == "id" ? 0 : 1), c.name());
  BOOST_CHECK_THROW(t.column("tenure").is_missing(4), churn::InvalidArgument);
  BOOST_CHECK_THROW(t.column("tenure").is_missing(-1), churn::InvalidArgument);
}

BOOST_AUTO_TEST_CASE(value_string_forms) {
  const Table t = sample();
  BOOST_TEST(t.column("tenure").value_string(1) == "34");
  BOOST_TEST(t.column("tenure").value_string(2) == "");
  BOOST_TEST(t.column("signup").value_string(1) == "1970-01-02");
  BOOST_TEST(t.column("contract").value_string(1) == "Annual");
  BOOST_TEST(t.column("tickets").value_string(1) == "2");
  BOOST_TEST(Column::from_float64("x", {0.1}).value_string(0) == "0.1");
  BOOST_TEST(std::isnan(t.column("tickets").value_double(2)));
  BOOST_CHECK_THROW(t.column("id").value_double(0), churn::TypeMismatch);
}

BOOST_AUTO_TEST_CASE(views_are_zero_copy) {
  const Table t = sample();
  auto v1 = t.column("tenure").as_float64();
  auto v2 = t.column("tenure").as_float64();
  BOOST_TEST(v1.data() == v2.data());
  const Table s = t.select({"tenure"});
  BOOST_TEST(s.column("tenure").as_float64().data() == v1.data());  // select copies no data
  std::vector<double> external = {1.5, 2.5};
  auto c = Column::from_float64_view("ext", external.data(), 2, nullptr);
  BOOST_TEST(c.as_float64().data() == external.data());
}

BOOST_AUTO_TEST_CASE(typed_access_checks_type) {
  const Table t = sample();
  BOOST_CHECK_THROW(t.column("id").as_float64(), churn::TypeMismatch);
  BOOST_CHECK_THROW(t.column("tenure").codes(), churn::TypeMismatch);
  BOOST_CHECK_THROW(t.column("tenure").as_int64(), churn::TypeMismatch);
  BOOST_CHECK_THROW(t.column("contract").strings(), churn::TypeMismatch);
  BOOST_CHECK_NO_THROW(t.column("signup").as_int64());
}

BOOST_AUTO_TEST_CASE(construction_errors) {
  BOOST_CHECK_THROW(Table({Column::from_float64("a", {1.0}), Column::from_float64("a", {2.0})}),
                    churn::InvalidArgument);
  BOOST_CHECK_THROW(
      Table({Column::from_float64("a", {1.0}), Column::from_float64("b", {2.0, 3.0})}),
      churn::InvalidArgument);
  BOOST_CHECK_THROW(Column::from_codes("c", {0, 2}, {"x", "y"}), churn::InvalidArgument);
  BOOST_CHECK_THROW(Column::from_codes("c", {0, -2}, {"x", "y"}), churn::InvalidArgument);
  BOOST_CHECK_THROW(Column::from_codes("c", {0}, {"x", "x"}), churn::InvalidArgument);
  BOOST_CHECK_THROW(Column::from_int64("i", {1, 2}, {1}), churn::InvalidArgument);
  BOOST_CHECK_THROW(churn::dtype_from_name("complex"), churn::InvalidArgument);
}

BOOST_AUTO_TEST_CASE(unknown_column_message_names_it) {
  const Table t = sample();
  try {
    (void)t.column("tenur");
    BOOST_FAIL("no exception");
  } catch (const churn::InvalidArgument& e) {
    const std::string msg = e.what();
    BOOST_TEST(msg.find("'tenur'") != std::string::npos);
    BOOST_TEST(msg.find("'tenure'") != std::string::npos);
  }
  BOOST_CHECK_THROW(t.select({"tenure", "nope"}), churn::InvalidArgument);
  BOOST_CHECK_THROW(t.select({"tenure", "tenure"}), churn::InvalidArgument);
  BOOST_CHECK_THROW(t.drop({"nope"}), churn::InvalidArgument);
  BOOST_CHECK_THROW(t.column(5), churn::InvalidArgument);
}

BOOST_AUTO_TEST_CASE(select_drop_take_slice) {
  const Table t = sample();
  BOOST_TEST(
      (t.select({"id", "tenure"}).column_names() == std::vector<std::string>{"id", "tenure"}));
  BOOST_TEST((t.drop({"id", "signup"}).column_names() ==
              std::vector<std::string>{"tenure", "tickets", "contract"}));
  const Table k = t.take({3, 0, 2});
  BOOST_TEST(k.num_rows() == 3);
  BOOST_TEST(k.column("tenure").as_float64()[0] == 45.0);
  BOOST_TEST(k.column("id").strings()[1] == "a");
  BOOST_TEST(k.column("tickets").is_missing(2));
  BOOST_TEST(k.column("contract").is_missing(0));
  BOOST_TEST(k.column("contract").value_string(1) == "Monthly");
  const Table s = t.slice(1, 2);
  BOOST_TEST(s.num_rows() == 2);
  BOOST_TEST(s.column("id").strings()[0] == "b");
  BOOST_CHECK_THROW(t.take({4}), churn::InvalidArgument);
  BOOST_CHECK_THROW(t.slice(3, 2), churn::InvalidArgument);
}

BOOST_AUTO_TEST_CASE(set_column_replaces_or_appends) {
  Table t = sample();
  t.set_column(Column::from_float64("tenure", {9, 9, 9, 9}));
  BOOST_TEST(t.column("tenure").as_float64()[2] == 9.0);
  BOOST_TEST(t.num_columns() == 5);
  t.set_column(Column::from_float64("new", {1, 2, 3, 4}));
  BOOST_TEST(t.num_columns() == 6);
  BOOST_CHECK_THROW(t.set_column(Column::from_float64("new", {1})), churn::InvalidArgument);
}

BOOST_AUTO_TEST_CASE(to_matrix_converts_each_type) {
  const Table t = sample();
  const churn::RowMatrix X = t.to_matrix({"tenure", "tickets", "contract"});
  BOOST_TEST(X.rows() == 4);
  BOOST_TEST(X.cols() == 3);
  BOOST_TEST(X(1, 0) == 34.0);
  BOOST_TEST(std::isnan(X(2, 0)));
  BOOST_TEST(X(1, 1) == 2.0);
  BOOST_TEST(std::isnan(X(2, 1)));
  BOOST_TEST(X(0, 2) == 0.0);
  BOOST_TEST(X(1, 2) == 1.0);
  BOOST_TEST(std::isnan(X(3, 2)));
  BOOST_CHECK_THROW(t.to_matrix(), churn::TypeMismatch);  // string and timestamp columns
  BOOST_CHECK_THROW(t.to_matrix({"id"}), churn::TypeMismatch);
  // thread count does not change the result
  Table big;
  std::vector<double> v(100000);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(i) * 0.5;
  big.add_column(Column::from_float64("v", v));
  BOOST_TEST((big.to_matrix({}, 1) == big.to_matrix({}, 3)));
  BOOST_TEST(big.to_matrix({}, 2)(99999, 0) == 49999.5);
}

BOOST_AUTO_TEST_CASE(concat_merges_categorical_dictionaries) {
  Table a({Column::from_strings_categorical("c", {"x", "y"}), Column::from_int64("i", {1, 2}),
           Column::from_strings("s", {"p", "q"})});
  Table b({Column::from_strings_categorical("c", {"z", "x", ""}, {1, 1, 0}),
           Column::from_int64("i", {3, 4, 5}, {1, 0, 1}),
           Column::from_strings("s", {"r", "t", "u"})});
  const Table c = Table::concat({a, b});
  BOOST_TEST(c.num_rows() == 5);
  BOOST_TEST((c.column("c").categories() == std::vector<std::string>{"x", "y", "z"}));
  std::vector<std::string> got;
  for (churn::Index i = 0; i < 5; ++i) got.push_back(c.column("c").value_string(i));
  BOOST_TEST((got == std::vector<std::string>{"x", "y", "z", "x", ""}));
  BOOST_TEST(c.column("c").is_missing(4));
  BOOST_TEST(c.column("i").is_missing(3));
  BOOST_TEST(!c.column("i").is_missing(0));
  BOOST_TEST(c.column("s").strings()[4] == "u");
  Table bad({Column::from_float64("c", {1.0}), Column::from_int64("i", {1}),
             Column::from_strings("s", {"a"})});
  BOOST_CHECK_THROW(Table::concat({a, bad}), churn::InvalidArgument);
  BOOST_CHECK_THROW(Table::concat({}), churn::InvalidArgument);
}

BOOST_AUTO_TEST_SUITE_END()
