// The one main() of the Boost.Test suite (the suites live in tests/<folder>/test_*.cpp).
#define BOOST_TEST_MODULE churnlib
#include <boost/test/unit_test.hpp>
