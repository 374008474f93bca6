#include <boost/test/unit_test.hpp>

#include <string>
#include <typeinfo>

#include <nlohmann/json.hpp>
#include "churn/core/error.hpp"
#include "churn/core/labels.hpp"
#include "churn/linear/logistic.hpp"
#include "churn/tree/gbdt.hpp"

using churn::Json;

namespace {

// Asserts that check_class_labels(labels) throws exactly InvalidArgument mentioning `needle`.
void expect_invalid(const Json& labels, const std::string& needle) {
  try {
    churn::check_class_labels(labels, "test");
    BOOST_ERROR("accepted " << labels.dump() << "; expected an error mentioning " << needle);
  } catch (const churn::Error& e) {
    BOOST_TEST((typeid(e) == typeid(churn::InvalidArgument)), e.what());
    BOOST_TEST(std::string(e.what()).find(needle) != std::string::npos, e.what());
  }
}

// 8 rows, one feature: y = 1 for x >= 4 (both classes present, separable with noise-free data).
void tiny_data(churn::RowMatrix& X, churn::Vector& y) {
  X.resize(8, 1);
  y.resize(8);
  for (int i = 0; i < 8; ++i) {
    X(i, 0) = i;
    y(i) = i >= 4 ? 1.0 : 0.0;
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(core_labels)

BOOST_AUTO_TEST_CASE(valid_and_invalid_labels) {
  BOOST_TEST(churn::default_class_labels() == Json::array({0, 1}));
  for (const Json& ok : {Json::array({0, 1}), Json::array({1, 2}), Json::array({-1.0, 1}),
                         Json::array({"stays", "churns"}), Json::array({false, true})}) {
    BOOST_CHECK_NO_THROW(churn::check_class_labels(ok, "test"));
  }
  expect_invalid(Json::array({1}), "two labels");
  expect_invalid(Json::array({1, 2, 3}), "two labels");
  expect_invalid(Json::object(), "two labels");
  expect_invalid(Json::array({"a", "a"}), "differ");
  expect_invalid(Json::array({1, 1.0}), "differ");
  expect_invalid(Json::array({"a", 1}), "one kind");
  expect_invalid(Json::array({true, 1}), "one kind");
  expect_invalid(Json::array({nullptr, 1}), "integers");
  expect_invalid(Json::array({Json::array(), 1}), "integers");
}

BOOST_AUTO_TEST_CASE(models_keep_labels_through_json) {
  churn::RowMatrix X;
  churn::Vector y;
  tiny_data(X, y);
  const Json labels = Json::array({"Existing Customer", "Attrited Customer"});

  churn::linear::LogisticRegression lr;
  BOOST_TEST(lr.classes() == churn::default_class_labels());
  lr.set_classes(labels);
  lr.fit(X, y);
  BOOST_TEST(lr.classes() == labels);  // fit keeps them
  const auto lr2 = churn::linear::LogisticRegression::from_json(lr.to_json());
  BOOST_TEST(lr2.classes() == labels);
  BOOST_CHECK_THROW(lr.set_classes(Json::array({"x", "x"})), churn::InvalidArgument);
  BOOST_TEST(lr.classes() == labels);  // a rejected value changes nothing

  churn::tree::GBDTParams params;
  params.n_estimators = 3;
  params.min_child_samples = 1;
  churn::tree::GBDTClassifier gbdt(params);
  gbdt.fit(X, y);
  BOOST_TEST(gbdt.classes() == churn::default_class_labels());
  gbdt.set_classes(Json::array({false, true}));
  const auto g2 = churn::tree::GBDTClassifier::from_json(gbdt.to_json());
  BOOST_TEST(g2.classes() == Json::array({false, true}));

  // files written before labels were saved read as [0, 1]; damaged labels are rejected
  Json doc = gbdt.to_json();
  doc["state"].erase("classes");
  BOOST_TEST(churn::tree::GBDTClassifier::from_json(doc).classes() ==
             churn::default_class_labels());
  doc["state"]["classes"] = Json::array({1, 1});
  BOOST_CHECK_THROW(churn::tree::GBDTClassifier::from_json(doc), churn::SerializationError);
  Json lr_doc = lr.to_json();
  lr_doc["state"]["classes"] = "churn";
  BOOST_CHECK_THROW(churn::linear::LogisticRegression::from_json(lr_doc),
                    churn::SerializationError);
}

BOOST_AUTO_TEST_SUITE_END()
