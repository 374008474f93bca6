#include <boost/test/unit_test.hpp>

#include <string>
#include <type_traits>

#include "churn/core/error.hpp"

BOOST_AUTO_TEST_SUITE(core_error)

BOOST_AUTO_TEST_CASE(hierarchy_derives_from_error_and_runtime_error) {
  static_assert(std::is_base_of_v<std::runtime_error, churn::Error>);
  static_assert(std::is_base_of_v<churn::Error, churn::InvalidArgument>);
  static_assert(std::is_base_of_v<churn::Error, churn::TypeMismatch>);
  static_assert(std::is_base_of_v<churn::Error, churn::NotFittedError>);
  static_assert(std::is_base_of_v<churn::Error, churn::SchemaError>);
  static_assert(std::is_base_of_v<churn::Error, churn::ParseError>);
  static_assert(std::is_base_of_v<churn::Error, churn::SerializationError>);
  static_assert(std::is_base_of_v<churn::Error, churn::IOError>);
  // and each is caught as churn::Error with its message intact
  auto caught_as_error = [](auto exc) {
    try {
      throw exc;
    } catch (const churn::Error& e) {
      return std::string(e.what());
    }
  };
  BOOST_TEST(caught_as_error(churn::ParseError("line 3")) == "line 3");
  BOOST_TEST(caught_as_error(churn::IOError("disk full")) == "disk full");
  BOOST_TEST(caught_as_error(churn::NotFittedError("fit first")) == "fit first");
}

BOOST_AUTO_TEST_CASE(check_macro_throws_the_given_type_with_streamed_message) {
  const int bins = 1;
  try {
    CHURN_CHECK(bins >= 2, churn::InvalidArgument, "psi(): bins must be >= 2, got " << bins);
    BOOST_FAIL("no exception");
  } catch (const churn::InvalidArgument& e) {
    BOOST_TEST(std::string(e.what()) == "psi(): bins must be >= 2, got 1");
  }
  BOOST_CHECK_NO_THROW(CHURN_CHECK(bins == 1, churn::InvalidArgument, "unused"));
  BOOST_CHECK_THROW(CHURN_THROW(churn::ParseError, "x" << 1), churn::ParseError);
}

BOOST_AUTO_TEST_CASE(condition_is_evaluated_once) {
  int calls = 0;
  auto f = [&] { return ++calls > 0; };
  CHURN_CHECK(f(), churn::Error, "never");
  BOOST_TEST(calls == 1);
}

BOOST_AUTO_TEST_SUITE_END()
