#include <boost/test/unit_test.hpp>

#include <limits>
#include <string>

#include "churn/core/datetime.hpp"
#include "churn/core/types.hpp"

using churn::kNanosPerDay;
using churn::kNanosPerSecond;

BOOST_AUTO_TEST_SUITE(core_datetime)

BOOST_AUTO_TEST_CASE(days_from_civil_known_dates) {
  BOOST_TEST(churn::days_from_civil(1970, 1, 1) == 0);
  BOOST_TEST(churn::days_from_civil(1970, 1, 2) == 1);
  BOOST_TEST(churn::days_from_civil(1969, 12, 31) == -1);
  BOOST_TEST(churn::days_from_civil(2000, 3, 1) == 11017);  // date -d 2000-03-01 +%s / 86400
  BOOST_TEST(churn::days_from_civil(2024, 7, 1) == 19905);  // 1719792000 / 86400
}

BOOST_AUTO_TEST_CASE(parse_dates_and_times) {
  BOOST_TEST(*churn::parse_timestamp("2024-07-01") == 1719792000LL * kNanosPerSecond);
  BOOST_TEST(*churn::parse_timestamp("2024-07-01T12:30") ==
             (1719792000LL + 12 * 3600 + 30 * 60) * kNanosPerSecond);
  BOOST_TEST(*churn::parse_timestamp("2024-07-01 12:30:15.25") ==
             (1719792000LL + 12 * 3600 + 30 * 60 + 15) * kNanosPerSecond + 250000000LL);
  BOOST_TEST(*churn::parse_timestamp("2024-07-01T12:30:15Z") ==
             (1719792000LL + 12 * 3600 + 30 * 60 + 15) * kNanosPerSecond);
  BOOST_TEST(*churn::parse_timestamp("2024-07-01T12:30:15+02:00") ==
             (1719792000LL + 10 * 3600 + 30 * 60 + 15) * kNanosPerSecond);
  BOOST_TEST(*churn::parse_timestamp("1960-02-29") ==
             churn::days_from_civil(1960, 2, 29) * kNanosPerDay);
}

BOOST_AUTO_TEST_CASE(reject_invalid_text) {
  for (const char* bad :
       {"", "2024", "2024-13-01", "2023-02-29", "2024-02-30", "2024-1-01", "2024-01-01T",
        "2024-01-01T25:00", "2024-01-01x", "abc", "2024-01-01T10:00:00.", "2024-01-01T10:00+2"})
    BOOST_TEST(!churn::parse_timestamp(bad).has_value(), bad);
}

BOOST_AUTO_TEST_CASE(dates_outside_int64_nanoseconds_are_rejected_not_overflowed) {
  // int64 nanoseconds cover 1677-09-21T00:12:43.145224192 .. 2262-04-11T23:47:16.854775807
  BOOST_TEST(!churn::parse_timestamp("1017-01-01").has_value());
  BOOST_TEST(!churn::parse_timestamp("9999-12-31").has_value());
  BOOST_TEST(!churn::parse_timestamp("2262-04-12").has_value());
  BOOST_TEST(!churn::parse_timestamp("1677-09-21T00:00:00").has_value());
  BOOST_TEST(!churn::parse_timestamp("2262-04-11T23:59:59").has_value());
  BOOST_TEST(churn::parse_timestamp("2262-04-11").has_value());
  BOOST_TEST(churn::parse_timestamp("1677-09-22").has_value());
  BOOST_TEST(*churn::parse_timestamp("2262-04-11T23:47:16.854775807") ==
             std::numeric_limits<std::int64_t>::max());
}

BOOST_AUTO_TEST_CASE(format_round_trips) {
  BOOST_TEST(churn::format_timestamp(churn::kNaT) == "");
  BOOST_TEST(churn::format_timestamp(0) == "1970-01-01");
  BOOST_TEST(churn::format_timestamp(-1) == "1969-12-31T23:59:59.999999999");
  for (const char* s : {"2024-07-01", "1999-12-31T23:59:59", "2024-02-29T00:00:01.5", "1900-03-01"})
    BOOST_TEST(churn::format_timestamp(*churn::parse_timestamp(s)) == s);
}

BOOST_AUTO_TEST_SUITE_END()
