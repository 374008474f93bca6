#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "churn/core/error.hpp"
#include "churn/data/table.hpp"
#include "test_util.hpp"

using churn::data::Column;
using churn::data::DType;
using churn::data::Table;

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

const std::vector<std::string> kCats = {"a", "b", "c"};
const std::vector<std::int32_t> kCodes = {0, 2, -1, 1, 1, -1, 2, 0};

using churn_test::narrow_codes;

// Every categorical reader of `c` agrees with the from_codes column `ref`.
void check_same_as(const Column& c, const Column& ref) {
  BOOST_TEST(c.size() == ref.size());
  BOOST_TEST((c.codes() == ref.codes()));
  BOOST_TEST(c.null_count() == ref.null_count());
  BOOST_TEST(c.categories() == ref.categories());
  for (churn::Index i = 0; i < ref.size(); ++i) {
    BOOST_TEST(c.is_missing(i) == ref.is_missing(i));
    BOOST_TEST(c.value_string(i) == ref.value_string(i));
    const double a = c.value_double(i), b = ref.value_double(i);
    BOOST_TEST(((std::isnan(a) && std::isnan(b)) || a == b));
  }
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
  BOOST_CHECK_THROW(churn::data::dtype_from_name("complex"), churn::InvalidArgument);
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

BOOST_AUTO_TEST_CASE(name_index_finds_every_column_of_wide_tables) {
  // The name index grows as columns arrive (16 slots, then doubling): every name must be found
  // at its position after each growth, in copies too, and absent names (also ones differing in
  // one character, or prefixes) must not be.
  Table t;
  for (int j = 0; j < 1000; ++j) {
    t.add_column(Column::from_float64("c" + std::to_string(j), {static_cast<double>(j)}));
    if (j == 0 || j == 7 || j == 8 || j == 9 || j == 63 || j == 64 || j == 999) {
      const Table copy = t;
      for (int k = 0; k <= j; ++k) {
        const std::string name = "c" + std::to_string(k);
        BOOST_TEST(copy.column_index(name) == k);
        BOOST_TEST(copy.get(name) == &copy.column(k));
        BOOST_TEST(copy.get(name)->as_float64()[0] == static_cast<double>(k));
      }
    }
  }
  BOOST_TEST(t.get("c1000") == nullptr);
  BOOST_TEST(t.get("c") == nullptr);
  BOOST_TEST(t.get("") == nullptr);
  BOOST_TEST(!t.has_column("d1"));
  BOOST_TEST(Table().get("c0") == nullptr);
  BOOST_CHECK_THROW(t.add_column(Column::from_float64("c500", {1.0})), churn::InvalidArgument);
  t.set_column(Column::from_float64("c500", {-1.0}));
  BOOST_TEST(t.column("c500").as_float64()[0] == -1.0);
  BOOST_TEST(t.num_columns() == 1000);
}

BOOST_AUTO_TEST_CASE(categorical_from_few_or_many_strings_agree) {
  // from_strings_categorical matches a few values directly and many through a hash map: the
  // same first-appearance dictionary and codes either way.
  const std::vector<std::string> pool = {"b", "a", "b", "c", "", "a", "d", "b", "c", "e", "a"};
  for (std::size_t n = 1; n <= pool.size(); ++n) {
    std::vector<std::string> v(pool.begin(), pool.begin() + static_cast<long>(n));
    std::vector<std::uint8_t> valid(n, 1);
    if (n > 4) valid[4] = 0;
    const Column c = Column::from_strings_categorical("x", v, valid);
    std::vector<std::string> cats;
    for (std::size_t i = 0; i < n; ++i) {
      if (!valid[i]) {
        BOOST_TEST(c.is_missing(static_cast<churn::Index>(i)));
        continue;
      }
      auto at = std::find(cats.begin(), cats.end(), v[i]);
      if (at == cats.end()) at = cats.insert(cats.end(), v[i]);
      BOOST_TEST(c.codes()[static_cast<churn::Index>(i)] == at - cats.begin());
    }
    BOOST_TEST(c.categories() == cats);
  }
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

BOOST_AUTO_TEST_CASE(narrow_code_views_read_like_from_codes) {
  const Column ref = Column::from_codes("c", kCodes, kCats);
  BOOST_TEST(ref.code_width() == 4);
  BOOST_TEST(Column::from_float64("f", {1.0}).code_width() == 0);
  const std::vector<Column> views = {narrow_codes<std::int8_t>("c", kCodes, kCats),
                                     narrow_codes<std::int16_t>("c", kCodes, kCats),
                                     narrow_codes<std::int32_t>("c", kCodes, kCats)};
  const int widths[] = {1, 2, 4};
  for (std::size_t k = 0; k < views.size(); ++k) {
    const Column& v = views[k];
    BOOST_TEST_CONTEXT("code width " << widths[k]) {
      BOOST_TEST((v.dtype() == DType::Categorical));
      BOOST_TEST(v.code_width() == widths[k]);
      check_same_as(v, ref);
      BOOST_TEST(v.null_count() == 2);
      BOOST_TEST(v.value_string(1) == "c");
      // the table operations that read codes
      const Table t({v, Column::from_float64("x", {0, 1, 2, 3, 4, 5, 6, 7})});
      const Table r({ref, Column::from_float64("x", {0, 1, 2, 3, 4, 5, 6, 7})});
      const Table s = t.slice(2, 5);
      BOOST_TEST(s.column("c").code_width() == widths[k]);  // a narrow slice stays narrow
      check_same_as(s.column("c"), r.slice(2, 5).column("c"));
      check_same_as(t.take({7, 0, 5, 5}).column("c"), r.take({7, 0, 5, 5}).column("c"));
      check_same_as(Table::concat({t, r}).column("c"), Table::concat({r, r}).column("c"));
      const churn::RowMatrix X = t.to_matrix({}, 2), Y = r.to_matrix({}, 2);
      BOOST_TEST(X.rows() == Y.rows());
      for (churn::Index i = 0; i < X.rows(); ++i)
        for (churn::Index j = 0; j < X.cols(); ++j)
          BOOST_TEST(((std::isnan(X(i, j)) && std::isnan(Y(i, j))) || X(i, j) == Y(i, j)));
      BOOST_TEST(t.slice(0, 0).column("c").codes().size() == 0);
    }
  }
  // data() is the borrowed buffer itself: no copy
  auto codes = std::make_shared<std::vector<std::int8_t>>(std::vector<std::int8_t>{1, 0, -1});
  const Column v = Column::from_codes_view("v", codes->data(), 1, 3, kCats, codes);
  BOOST_TEST(v.data() == static_cast<const void*>(codes->data()));
  BOOST_TEST(v.buffer_owner() == std::static_pointer_cast<const void>(codes));
  // empty views and the largest int8 / int16 codes
  BOOST_TEST(Column::from_codes_view("e", nullptr, 1, 0, {}, nullptr).codes().size() == 0);
  std::vector<std::string> many(32767);
  for (std::size_t i = 0; i < many.size(); ++i) many[i] = std::to_string(i);
  const Column w = narrow_codes<std::int16_t>("w", {32766, -1, 0}, many);
  BOOST_TEST(w.value_string(0) == "32766");
  BOOST_TEST(w.codes()[0] == 32766);
  const Column b = narrow_codes<std::int8_t>(
      "b", {127, -1}, std::vector<std::string>(many.begin(), many.begin() + 128));
  BOOST_TEST(b.codes()[0] == 127);
  BOOST_TEST(b.value_string(0) == "127");
}

BOOST_AUTO_TEST_CASE(narrow_code_views_reject_bad_input) {
  using churn::InvalidArgument;
  using churn_test::throws_with;
  // too large, at row 3
  BOOST_TEST(throws_with<InvalidArgument>(
      [] {
        narrow_codes<std::int8_t>("col", {0, 1, 2, 3, 0}, kCats);
      },
      {"'col'", "code 3", "row 3", "3 categories"}));
  BOOST_TEST(throws_with<InvalidArgument>(
      [] {
        narrow_codes<std::int16_t>("col", {0, -1, 300}, kCats);
      },
      {"'col'", "code 300", "row 2"}));
  // below -1
  BOOST_TEST(throws_with<InvalidArgument>(
      [] {
        narrow_codes<std::int8_t>("col", {0, -2, 1}, kCats);
      },
      {"'col'", "code -2", "row 1"}));
  BOOST_TEST(throws_with<InvalidArgument>(
      [] {
        narrow_codes<std::int16_t>("col", {0, 1, -300}, kCats);
      },
      {"code -300", "row 2"}));
  BOOST_TEST(throws_with<InvalidArgument>(
      [] {
        narrow_codes<std::int32_t>("col", {0, 1, std::numeric_limits<std::int32_t>::min()}, kCats);
      },
      {"code -2147483648", "row 2"}));
  // a code past the end of a long column: the row is found by the second pass
  std::vector<std::int32_t> long_codes(100000, 1);
  long_codes[77777] = 5;
  BOOST_TEST(throws_with<InvalidArgument>(
      [&] { narrow_codes<std::int8_t>("col", long_codes, kCats); }, {"code 5", "row 77777"}));
  // repeated categories, bad widths, a null buffer
  BOOST_TEST(throws_with<InvalidArgument>(
      [] {
        narrow_codes<std::int8_t>("col", {0}, {"a", "a"});
      },
      {"'col'", "'a' appears twice"}));
  const std::int32_t one[] = {0};
  for (const int bytes : {0, 3, 8, -1})
    BOOST_TEST(throws_with<InvalidArgument>(
        [&] { Column::from_codes_view("col", one, bytes, 1, kCats, nullptr); },
        {"'col'", "code_bytes must be 1, 2 or 4", "got " + std::to_string(bytes)}));
  BOOST_CHECK_THROW(Column::from_codes_view("col", nullptr, 1, 2, kCats, nullptr), InvalidArgument);
  BOOST_CHECK_THROW(Column::from_codes_view("col", one, 4, -1, kCats, nullptr), InvalidArgument);
  // from_codes keeps its messages
  BOOST_TEST(throws_with<InvalidArgument>(
      [] {
        Column::from_codes("col", {0, 4}, kCats);
      },
      {"'col'", "code 4", "row 1"}));
}

BOOST_AUTO_TEST_CASE(narrow_codes_widen_once_thread_safe_and_shared) {
  const churn::Index n = 300000;
  std::vector<std::int32_t> expect(static_cast<std::size_t>(n));
  for (churn::Index i = 0; i < n; ++i)
    expect[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(i % 41) - 1;
  std::vector<std::string> cats(40);
  for (std::size_t k = 0; k < cats.size(); ++k) cats[k] = "k" + std::to_string(k);
  for (const bool wide16 : {false, true}) {
    const Column c = wide16 ? narrow_codes<std::int16_t>("c", expect, cats)
                            : narrow_codes<std::int8_t>("c", expect, cats);
    const Column copy = c;  // made before the first codes() call: shares the cache anyway
    std::vector<const std::int32_t*> ptrs(4, nullptr);
    std::vector<int> ok(4, 0);
    std::vector<std::thread> pool;
    for (std::size_t t = 0; t < 4; ++t)
      pool.emplace_back([&, t] {
        const Column& mine = t % 2 == 0 ? c : copy;
        const auto v = mine.codes();
        ptrs[t] = v.data();
        ok[t] = v.size() == n && std::equal(expect.begin(), expect.end(), v.data());
      });
    for (auto& th : pool) th.join();
    for (std::size_t t = 0; t < 4; ++t) {
      BOOST_TEST(ok[t] == 1);
      BOOST_TEST(ptrs[t] == ptrs[0]);  // one widened copy, shared by the copies of the column
    }
    BOOST_TEST(ptrs[0] != static_cast<const void*>(c.data()));
    BOOST_TEST(c.codes().data() == ptrs[0]);
    BOOST_TEST(c.renamed("d").codes().data() == ptrs[0]);
    // the cache outlives the column it was made from
    const Column survivor = Table({c}).column("c");
    const std::int32_t* p = survivor.codes().data();
    BOOST_TEST(p == ptrs[0]);
  }
  // an int32 view and a from_codes column return their own buffer
  const Column own = Column::from_codes("c", kCodes, kCats);
  BOOST_TEST(own.codes().data() == static_cast<const std::int32_t*>(own.data()));
  const Column v32 = narrow_codes<std::int32_t>("c", kCodes, kCats);
  BOOST_TEST(v32.codes().data() == static_cast<const std::int32_t*>(v32.data()));
}

BOOST_AUTO_TEST_SUITE_END()
