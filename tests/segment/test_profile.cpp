#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>
#include "churn/core/error.hpp"
#include "churn/data/table.hpp"
#include "churn/segment/profile.hpp"

using churn::Index;
using churn::IntVector;
using churn::RowMatrix;
using churn::Vector;
using churn::data::Column;
using churn::data::Table;
using churn::segment::profile_segments;
using churn::segment::ProfileColumns;

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}

BOOST_AUTO_TEST_SUITE(segment_profile)

BOOST_AUTO_TEST_CASE(hand_checked_profiles) {
  RowMatrix X(5, 2);
  X << 1, 10, 3, kNaN, 5, 30, 7, 40, 9, 50;
  IntVector seg(5);
  seg << 0, 0, 1, 1, 1;
  Vector churned(5), score(5), revenue(5);
  churned << 1, 0, 1, kNaN, 0;
  score << 0.5, 0.1, 0.9, 0.2, kNaN;
  revenue << 100, 50, 10, 20, 30;
  const auto p = profile_segments(X, seg, {"tenure", "charges"}, churned, score, revenue);
  BOOST_TEST(p.segments.size() == 2u);
  BOOST_TEST(p.revenue_at_risk_basis == "score");
  const auto& s0 = p.segments[0];
  BOOST_TEST(s0.size == 2);
  BOOST_TEST(s0.share == 0.4);
  BOOST_TEST(s0.churn_rate == 0.5);
  BOOST_TEST(s0.mean_score == 0.3);
  BOOST_TEST(s0.revenue == 150.0);
  BOOST_TEST(s0.revenue_at_risk == 100 * 0.5 + 50 * 0.1);
  BOOST_TEST(s0.feature_means[0] == 2.0);
  BOOST_TEST(s0.feature_means[1] == 10.0);  // NaN skipped
  const auto& s1 = p.segments[1];
  BOOST_TEST(s1.churn_rate == 0.5);  // unknown label skipped
  BOOST_TEST(std::abs(s1.mean_score - 0.55) < 1e-15);
  BOOST_TEST(s1.revenue_at_risk == 10 * 0.9 + 20 * 0.2);  // row without score skipped
  BOOST_TEST(p.population.size == 5);
  BOOST_TEST(p.population.churn_rate == 0.5);
  BOOST_TEST(p.population.feature_means[0] == 5.0);
  BOOST_TEST(p.population.feature_means[1] == 32.5);
  BOOST_TEST(p.population.revenue == 210.0);
  const auto j = p.to_json();
  BOOST_TEST(j["segments"][1]["size"] == 3);
  BOOST_TEST(j["population"]["segment"] == -1);
  BOOST_TEST(j["feature_names"][1] == "charges");
  const std::string text = p.to_string();
  BOOST_TEST(text.find("rev_at_risk") != std::string::npos);
  BOOST_TEST(text.find("charges") != std::string::npos);
  BOOST_TEST_MESSAGE(text);
}

BOOST_AUTO_TEST_CASE(revenue_at_risk_from_churners_and_optional_parts) {
  RowMatrix X(4, 1);
  X << 1, 2, 3, 4;
  IntVector seg(4);
  seg << 0, 0, 2, 2;  // segment 1 is empty
  Vector churned(4), revenue(4);
  churned << 1, 0, 1, 1;
  revenue << 10, 20, 30, kNaN;
  const auto p = profile_segments(X, seg, {}, churned, Vector(), revenue);
  BOOST_TEST(p.revenue_at_risk_basis == "churned");
  BOOST_TEST(p.segments.size() == 3u);
  BOOST_TEST(p.segments[0].revenue_at_risk == 10.0);
  BOOST_TEST(p.segments[2].revenue_at_risk == 30.0);
  BOOST_TEST(p.segments[1].size == 0);
  BOOST_TEST(std::isnan(p.segments[1].feature_means[0]));
  BOOST_TEST(std::isnan(p.segments[0].mean_score));
  BOOST_TEST(p.feature_names[0] == "x0");
  const auto j = p.to_json();
  BOOST_TEST(!j["segments"][0].contains("mean_score"));
  BOOST_TEST(j["segments"][1]["feature_means"][0] == "nan");
  const auto plain = profile_segments(X, seg, {}, Vector(), Vector(), Vector(), 5);
  BOOST_TEST(plain.segments.size() == 5u);
  BOOST_TEST(plain.revenue_at_risk_basis.empty());
  BOOST_TEST(!plain.to_json()["population"].contains("revenue_at_risk"));
}

BOOST_AUTO_TEST_CASE(from_table_columns) {
  Table t({Column::from_float64("tenure", {1, 2, 3, 4}),
           Column::from_int64("tickets", {0, 1, 2, 3}),
           Column::from_float64("churned", {0, 1, 1, 0}),
           Column::from_float64("revenue", {5, 6, 7, 8})});
  IntVector seg(4);
  seg << 1, 1, 0, 0;
  ProfileColumns cols;
  cols.features = {"tenure", "tickets"};
  cols.churned = "churned";
  cols.revenue = "revenue";
  const auto p = profile_segments(t, seg, cols);
  BOOST_TEST(p.segments[0].feature_means[1] == 2.5);
  BOOST_TEST(p.segments[1].churn_rate == 0.5);
  BOOST_TEST(p.segments[1].revenue_at_risk == 6.0);
  BOOST_TEST(p.feature_names[1] == "tickets");
  cols.score = "nope";
  BOOST_CHECK_THROW(profile_segments(t, seg, cols), churn::InvalidArgument);
}

BOOST_AUTO_TEST_CASE(bad_input) {
  RowMatrix X(3, 1);
  X << 1, 2, 3;
  IntVector seg(3);
  seg << 0, 1, 1;
  BOOST_CHECK_THROW(profile_segments(X, IntVector::Zero(2)), churn::InvalidArgument);
  IntVector neg(3);
  neg << 0, -1, 1;
  BOOST_CHECK_THROW(profile_segments(X, neg), churn::InvalidArgument);
  Vector bad_churn(3);
  bad_churn << 0, 2, 1;
  try {
    profile_segments(X, seg, {}, bad_churn);
    BOOST_ERROR("no exception");
  } catch (const churn::InvalidArgument& e) {
    BOOST_TEST(std::string(e.what()) ==
               "profile_segments(): churned must be 0, 1 or NaN, got 2 at row 1");
  }
  BOOST_CHECK_THROW(profile_segments(X, seg, {}, Vector::Ones(2)), churn::InvalidArgument);
  Vector inf_rev = Vector::Ones(3);
  inf_rev[0] = std::numeric_limits<double>::infinity();
  BOOST_CHECK_THROW(profile_segments(X, seg, {}, Vector(), Vector(), inf_rev),
                    churn::InvalidArgument);
  BOOST_CHECK_THROW(profile_segments(X, seg, {"a", "b"}), churn::InvalidArgument);
  BOOST_CHECK_THROW(profile_segments(X, seg, {}, Vector(), Vector(), Vector(), 1),
                    churn::InvalidArgument);
}

BOOST_AUTO_TEST_SUITE_END()
