// common/category_labels.hpp: which texts read as numbers, and the numeric fallback of a label
// lookup (issue 19, finding 5).
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "common/category_labels.hpp"

namespace c = churn::common;

BOOST_AUTO_TEST_SUITE(common_category_labels)

BOOST_AUTO_TEST_CASE(plain_decimal_numbers_read_as_their_value) {
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<std::pair<std::string, double>> cases = {
      {"1", 1.0},        {"1.0", 1.0},
      {"+1", 1.0},       {"-2.50", -2.5},
      {"1e+16", 1e16},   {"1.5E-07", 1.5e-7},
      {"7.", 7.0},       {"0", 0.0},
      {"-0", 0.0},       {"0.25", 0.25},
      {"inf", inf},      {"-inf", -inf},
      {"Infinity", inf}, {"123456789012345", 123456789012345.0}};
  for (const auto& [text, value] : cases) {
    const auto v = c::label_number(text);
    BOOST_TEST_CONTEXT(text) {
      BOOST_TEST_REQUIRE(v.has_value());
      BOOST_TEST(*v == value);
    }
  }
}

BOOST_AUTO_TEST_CASE(other_text_is_no_number) {
  for (const std::string text :
       {"",     "a",  "01",  "00", " 1", "1 ", "1_000", "0x1", "nan",   "NaN",
        "True", "1e", "1e+", ".5", "-",  "+",  "1.2.3", "1,5", "1e999", "1234567890123456",
        "--1"})
    BOOST_TEST(!c::label_number(text).has_value(), "'" << text << "' should not be a number");
}

BOOST_AUTO_TEST_CASE(lookup_by_value_finds_the_one_training_label_of_that_value) {
  const c::NumericLabels labels({"1", "2", "a", "3.5", "-0"});
  BOOST_TEST(labels.find("1.0") == 0);
  BOOST_TEST(labels.find("2e0") == 1);
  BOOST_TEST(labels.find("3.50") == 3);
  BOOST_TEST(labels.find("0") == 4);
  BOOST_TEST(labels.find("0.0") == 4);
  BOOST_TEST(labels.find("4") == -1);
  BOOST_TEST(labels.find("a") == -1);  // text is found by the exact lookup, never by value
  BOOST_TEST(labels.find("01") == -1);
  // two training labels of one value (a hand-made list): that value finds neither
  const c::NumericLabels twice({"1", "1.0", "2", "2"});
  BOOST_TEST(twice.find("1.00") == -1);
  BOOST_TEST(twice.find("2.0") == 2);  // the same text twice is one label
  BOOST_TEST(c::NumericLabels({"a", "b"}).empty());
}

BOOST_AUTO_TEST_SUITE_END()
