// common/logistic.hpp: sigmoid, expit, softplus, logistic_loss and logit against values
// computed with Python's decimal module at 60 digits (and scipy.special.expit), written as
// literals.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>

#include "common/logistic.hpp"

namespace c = churn::common;

namespace {

/// Within `ulps` units in the last place of `want`.
bool near(double got, double want, double ulps = 1) {
  return std::abs(got - want) <= ulps * std::numeric_limits<double>::epsilon() * std::abs(want);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(common_logistic)

BOOST_AUTO_TEST_CASE(sigmoid_is_stable_in_both_tails) {
  // 1 / (1 + exp(-z)) in decimal
  BOOST_TEST(c::sigmoid(0.0) == 0.5);
  BOOST_TEST(near(c::sigmoid(-700.0), 9.85967654375977e-305));  // naive form: 0 below -709.78
  BOOST_TEST(near(c::sigmoid(-40.0), 4.248354255291589e-18));
  BOOST_TEST(near(c::sigmoid(-3.5), 0.02931223075135632));
  BOOST_TEST(near(c::sigmoid(-0.1), 0.47502081252106));
  BOOST_TEST(near(c::sigmoid(3.5), 0.9706877692486436));
  BOOST_TEST(c::sigmoid(40.0) == 1.0);
  BOOST_TEST(c::sigmoid(800.0) == 1.0);
  BOOST_TEST(c::sigmoid(-800.0) == 0.0);  // underflow, never NaN
  BOOST_TEST(c::sigmoid(-std::numeric_limits<double>::infinity()) == 0.0);
}

BOOST_AUTO_TEST_CASE(expit_is_scipys_textbook_form) {
  // scipy.special.expit(z) for z = -40, -3.5, -0.1, 3.5
  BOOST_TEST(c::expit(-40.0) == 4.248354255291589e-18);
  BOOST_TEST(c::expit(-3.5) == 0.02931223075135632);
  BOOST_TEST(c::expit(-0.1) == 0.47502081252106);
  BOOST_TEST(c::expit(3.5) == 0.9706877692486436);
  for (double z = -30; z <= 30; z += 0.37) BOOST_TEST(c::expit(z) == 1.0 / (1.0 + std::exp(-z)));
  BOOST_TEST(c::expit(-800.0) == 0.0);
  BOOST_TEST(c::expit(800.0) == 1.0);
}

BOOST_AUTO_TEST_CASE(softplus_without_overflow) {
  // log(1 + exp(z)) in decimal
  BOOST_TEST(near(c::softplus(0.0), std::log(2.0)));
  BOOST_TEST(near(c::softplus(-40.0), 4.248354255291589e-18));
  BOOST_TEST(near(c::softplus(-3.5), 0.029750418272620566));
  BOOST_TEST(near(c::softplus(0.1), 0.7443966600735709));
  BOOST_TEST(near(c::softplus(3.5), 3.5297504182726205));
  BOOST_TEST(c::softplus(40.0) == 40.0);
  BOOST_TEST(c::softplus(800.0) == 800.0);
  BOOST_TEST(c::softplus(-800.0) == 0.0);
}

BOOST_AUTO_TEST_CASE(logistic_loss_keeps_tiny_losses) {
  // -log sigmoid(40) = softplus(-40) = 4.248354255291589e-18; softplus(40) - 40 would be 0
  BOOST_TEST(near(c::logistic_loss(1.0, 40.0), 4.248354255291589e-18));
  BOOST_TEST(c::logistic_loss(0.0, -40.0) == c::logistic_loss(1.0, 40.0));
  for (double z = -50; z <= 50; z += 0.73) {
    BOOST_TEST(c::logistic_loss(0.0, z) == c::softplus(z));
    BOOST_TEST(c::logistic_loss(1.0, z) == c::softplus(-z));
    // -log p and -log(1 - p), where p (relatively exact) is not close to 1
    if (z > -20 && z < 3) {
      BOOST_TEST(near(c::logistic_loss(1.0, z), -std::log(c::sigmoid(z)), 8));
      BOOST_TEST(near(c::logistic_loss(0.0, z), -std::log1p(-c::sigmoid(z)), 8));
    }
  }
}

BOOST_AUTO_TEST_CASE(logit_inverts_the_sigmoid) {
  // math.log(0.25 / 0.75), math.log(0.9 / (1 - 0.9))
  BOOST_TEST(c::logit(0.5) == 0.0);
  BOOST_TEST(c::logit(0.25) == -1.0986122886681098);
  BOOST_TEST(c::logit(0.9) == 2.1972245773362196);
  BOOST_TEST(c::logit(0.0) == -std::numeric_limits<double>::infinity());
  BOOST_TEST(c::logit(1.0) == std::numeric_limits<double>::infinity());
  for (double z = -10; z <= 10; z += 1.25)
    BOOST_TEST(std::abs(c::logit(c::sigmoid(z)) - z) < 1e-10);
}

BOOST_AUTO_TEST_SUITE_END()
