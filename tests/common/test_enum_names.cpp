// common/enum_names.hpp: canonical names, aliases, and the errors for an unknown name.
#include <boost/test/unit_test.hpp>

#include <string>

#include "churn/core/error.hpp"
#include "churn/core/json.hpp"
#include "churn/data/table.hpp"
#include "churn/monitor/psi.hpp"
#include "churn/segment/kmeans.hpp"
#include "common/enum_names.hpp"

#include "test_util.hpp"

using churn::Json;
using churn::common::enum_find;
using churn::common::enum_from_json;
using churn::common::enum_from_name;
using churn::common::enum_name;
using churn::common::EnumName;
using churn_test::throws_with;

namespace {

enum class Fruit { Apple, Pear, Plum };

constexpr EnumName<Fruit> kFruit[] = {{Fruit::Apple, "apple"}, {Fruit::Pear, "pear"},
                                      {Fruit::Apple, "malus"},  // aliases after the canonical row
                                      {Fruit::Plum, "plum"},   {Fruit::Apple, "pomme"},
                                      {Fruit::Pear, "pyrus"}};

}  // namespace

BOOST_AUTO_TEST_SUITE(common_enum_names)

BOOST_AUTO_TEST_CASE(name_is_the_first_row_of_each_value) {
  BOOST_TEST(std::string(enum_name(kFruit, Fruit::Apple)) == "apple");
  BOOST_TEST(std::string(enum_name(kFruit, Fruit::Pear)) == "pear");
  BOOST_TEST(std::string(enum_name(kFruit, Fruit::Plum)) == "plum");
  // only an out-of-range cast has no row
  BOOST_TEST(std::string(enum_name(kFruit, static_cast<Fruit>(7))) == "?");
}

BOOST_AUTO_TEST_CASE(every_row_parses_to_its_value_and_round_trips) {
  for (const auto& row : kFruit) {
    BOOST_TEST((enum_from_name(kFruit, row.name, "f()", "fruit") == row.value));
    const Fruit v = enum_from_name(kFruit, enum_name(kFruit, row.value), "f()", "fruit");
    BOOST_TEST((v == row.value));
  }
  BOOST_TEST(enum_find(kFruit, "Apple") == nullptr);  // exact, case matters
  BOOST_TEST(enum_find(kFruit, "") == nullptr);
  BOOST_TEST(enum_find(kFruit, "apple ") == nullptr);
  BOOST_TEST((*enum_find(kFruit, "pyrus") == Fruit::Pear));
}

BOOST_AUTO_TEST_CASE(unknown_name_lists_names_and_aliases) {
  try {
    enum_from_name(kFruit, "kiwi", "Basket::add()", "fruit");
    BOOST_FAIL("no exception");
  } catch (const churn::InvalidArgument& e) {
    BOOST_TEST(std::string(e.what()) ==
               "Basket::add(): fruit must be one of 'apple', 'pear', 'plum' ('malus' and 'pomme' "
               "mean 'apple'; 'pyrus' means 'pear'), got 'kiwi'");
  }
  // no caller: no prefix; no aliases: no parenthesis
  constexpr EnumName<Fruit> kPlain[] = {{Fruit::Apple, "apple"}, {Fruit::Plum, "plum"}};
  try {
    enum_from_name(kPlain, "", "", "fruit");
    BOOST_FAIL("no exception");
  } catch (const churn::InvalidArgument& e) {
    BOOST_TEST(std::string(e.what()) == "fruit must be one of 'apple', 'plum', got ''");
  }
  // three aliases of one value: "a, b and c"
  constexpr EnumName<Fruit> kThree[] = {
      {Fruit::Plum, "plum"}, {Fruit::Plum, "a"}, {Fruit::Plum, "b"}, {Fruit::Plum, "c"}};
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [&] { enum_from_name(kThree, "d", "", "x"); },
      "x must be one of 'plum' ('a', 'b' and 'c' mean 'plum'), got 'd'"));
}

BOOST_AUTO_TEST_CASE(from_json_throws_serialization_errors) {
  const Json j = {{"fruit", "malus"}, {"bad", "kiwi"}, {"number", 3}};
  BOOST_TEST((enum_from_json(kFruit, j, "fruit", "load(Basket)") == Fruit::Apple));
  BOOST_TEST(throws_with<churn::SerializationError>(
      [&] { enum_from_json(kFruit, j, "bad", "load(Basket)"); },
      std::vector<std::string>{"load(Basket): field 'bad' must be one of 'apple', 'pear', 'plum'",
                               "got 'kiwi'"}));
  BOOST_TEST(throws_with<churn::SerializationError>(
      [&] { enum_from_json(kFruit, j, "number", "load(Basket)"); }, "number"));
  BOOST_TEST(throws_with<churn::SerializationError>(
      [&] { enum_from_json(kFruit, j, "missing", "load(Basket)"); }, "missing"));
}

// The public name functions are one-liners over their tables: every canonical name round-trips
// and the aliases the documentation promises are accepted.
BOOST_AUTO_TEST_CASE(public_tables_round_trip) {
  using churn::data::DType;
  for (auto t : {DType::Float64, DType::Int64, DType::Categorical, DType::Timestamp, DType::String})
    BOOST_TEST((churn::data::dtype_from_name(churn::data::dtype_name(t)) == t));
  for (const char* alias : {"float", "double", "numeric"})
    BOOST_TEST((churn::data::dtype_from_name(alias) == DType::Float64));
  for (const char* alias : {"int", "integer"})
    BOOST_TEST((churn::data::dtype_from_name(alias) == DType::Int64));
  BOOST_TEST((churn::data::dtype_from_name("categorical") == DType::Categorical));
  for (const char* alias : {"datetime", "date"})
    BOOST_TEST((churn::data::dtype_from_name(alias) == DType::Timestamp));
  for (const char* alias : {"str", "text"})
    BOOST_TEST((churn::data::dtype_from_name(alias) == DType::String));
  BOOST_TEST(std::string(churn::data::dtype_name(DType::Categorical)) == "category");
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [] { churn::data::dtype_from_name("complex"); },
      std::vector<std::string>{"column type must be one of 'float64'",
                               "'categorical' means 'category'", "got 'complex'"}));

  using churn::monitor::Binning;
  BOOST_TEST(std::string(churn::monitor::binning_name(Binning::EqualWidth)) == "equal_width");
  BOOST_TEST((churn::monitor::binning_from_name("uniform") == Binning::EqualWidth));

  using churn::segment::KMeansAlgorithm;
  BOOST_TEST(std::string(churn::segment::kmeans_algorithm_name(KMeansAlgorithm::Hamerly)) ==
             "hamerly");
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [] { churn::segment::kmeans_algorithm_from_name("full"); },
      "KMeansParams: algorithm must be one of 'lloyd', 'hamerly' ('elkan' and 'auto' mean "
      "'hamerly'), got 'full'"));
}

BOOST_AUTO_TEST_SUITE_END()
