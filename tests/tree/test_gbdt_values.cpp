// Values that gave silent wrong answers or needless refusals (issue 19, findings 5, 8, 10):
// numeric category labels matched by value, category_names checked against the trees on load,
// unused categories of a table, n_estimators = 2^31 - 1 with early stopping.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "churn/core/error.hpp"
#include "churn/core/json.hpp"
#include "churn/data/table.hpp"
#include "churn/tree/forest.hpp"
#include "churn/tree/gbdt.hpp"
#include "test_util.hpp"

using churn::Index;
using churn::Json;
using churn::RowMatrix;
using churn::Vector;
using churn::data::Column;
using churn::data::Table;
using churn::tree::GBDTClassifier;
using churn::tree::GBDTParams;
using churn::tree::RandomForestClassifier;
using churn::tree::RandomForestParams;

namespace {

/// n rows: a category code in [0, n_cat) (code % 3 == 0 churns, mostly), -1 for 5% missing, and
/// a numeric column.
struct Rows {
  std::vector<std::int32_t> code;
  std::vector<double> x;
  Vector y;
};

Rows make_rows(Index n, int n_cat, unsigned seed, const std::vector<int>& used = {}) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> unif;
  std::normal_distribution<double> normal;
  Rows r{{}, {}, Vector(n)};
  for (Index i = 0; i < n; ++i) {
    int k = used.empty() ? static_cast<int>(gen() % static_cast<std::uint64_t>(n_cat))
                         : used[gen() % used.size()];
    if (unif(gen) < 0.05) k = -1;
    const double x = normal(gen);
    r.code.push_back(k);
    r.x.push_back(x);
    const bool churn = (k >= 0 && k % 3 == 0) != (unif(gen) < 0.1) || x > 1.5;
    r.y[i] = churn ? 1.0 : 0.0;
  }
  return r;
}

Table table_of(const Rows& r, std::vector<std::string> labels) {
  return Table({Column::from_codes("c", r.code, std::move(labels)),
                Column::from_float64("x", r.x)});
}

GBDTParams small_gbdt() {
  GBDTParams P;
  P.n_estimators = 20;
  P.min_child_samples = 5;
  P.min_data_per_group = 5;
  P.max_cat_to_onehot = 1;
  return P;
}

RandomForestParams small_forest() {
  RandomForestParams P;
  P.n_estimators = 10;
  P.seed = 3;
  return P;
}

template <class Model>
void check_the_damaged_names_are_refused(const Model& m) {
  const Json doc = m.to_json();
  BOOST_TEST(doc["state"]["category_names"][0].size() == 6u);
  BOOST_CHECK_NO_THROW((void)Model::from_json(doc));
  Json dup = doc;
  dup["state"]["category_names"][0][5] = dup["state"]["category_names"][0][4];
  BOOST_TEST(churn_test::throws_with<churn::SerializationError>(
      [&] { Model::from_json(dup); }, {"category_names of feature 0", "repeat"}));
  Json shorter = doc;
  shorter["state"]["category_names"][0] = Json::array({"a", "b"});
  BOOST_TEST(churn_test::throws_with<churn::SerializationError>(
      [&] { Model::from_json(shorter); }, {"category_names of feature 0", "holds 2 labels"}));
  // set_category_names refuses the same lists
  Model copy = Model::from_json(doc);
  BOOST_TEST(churn_test::throws_with<churn::InvalidArgument>(
      [&] { copy.set_category_names({{"a", "b"}, {}}); }, "holds 2 labels"));
  BOOST_TEST(churn_test::throws_with<churn::InvalidArgument>(
      [&] { copy.set_category_names({{"a", "b", "c", "d", "e", "e"}, {}}); }, "repeat"));
  BOOST_TEST(copy.category_names() == m.category_names());
  // a numerical feature's labels are not checked (a category column used as its codes)
  BOOST_CHECK_NO_THROW(copy.set_category_names({m.category_names()[0], {"u", "u"}}));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tree_gbdt_values)

BOOST_AUTO_TEST_CASE(numeric_labels_match_by_value_text_labels_by_text) {
  const Rows r = make_rows(2000, 3, 11);
  const Table train = table_of(r, {"1", "2", "3"});  // integer categories as pandas writes them
  GBDTClassifier m(small_gbdt());
  m.fit(train, r.y);
  RandomForestClassifier f(small_forest());
  f.fit(train, r.y);
  const Vector want = m.predict_proba(train), want_f = f.predict_proba(train);
  // the same rows with float labels (a NaN made the categories float), in another order, and in
  // exponent form: the same codes
  std::vector<std::int32_t> rev(r.code.size());
  for (std::size_t i = 0; i < rev.size(); ++i) rev[i] = r.code[i] < 0 ? -1 : 2 - r.code[i];
  for (const Table& t : {table_of(r, {"1.0", "2.0", "3.0"}),
                         Table({Column::from_codes("c", rev, {"3.0", "2e0", "+1"}),
                                Column::from_float64("x", r.x)})}) {
    const Vector got = m.predict_proba(t), got_f = f.predict_proba(t);
    for (Index i = 0; i < got.size(); ++i) {
      BOOST_TEST(got[i] == want[i]);
      BOOST_TEST(got_f[i] == want_f[i]);
    }
  }
  // text that is not a plain number is another label (unseen: the missing direction)
  const Table text = table_of(r, {"01", " 2", "3 "});
  Rows missing = r;
  for (auto& k : missing.code) k = -1;
  const Vector got = m.predict_proba(text), as_missing = m.predict_proba(table_of(missing, {"1"}));
  for (Index i = 0; i < got.size(); ++i) BOOST_TEST(got[i] == as_missing[i]);
  // a string column finds numeric labels the same way
  std::vector<std::string> s(r.code.size());
  std::vector<std::uint8_t> valid(r.code.size(), 1);
  for (std::size_t i = 0; i < s.size(); ++i) {
    valid[i] = r.code[i] >= 0;
    s[i] = r.code[i] < 0 ? "" : std::to_string(r.code[i] + 1) + ".0";
  }
  const Vector by_string =
      m.predict_proba(Table({Column::from_strings("c", s, valid), Column::from_float64("x", r.x)}));
  for (Index i = 0; i < by_string.size(); ++i) BOOST_TEST(by_string[i] == want[i]);
}

BOOST_AUTO_TEST_CASE(category_names_are_checked_against_the_trees) {
  const Rows r = make_rows(3000, 6, 12);
  const Table train = table_of(r, {"a", "b", "c", "d", "e", "f"});
  GBDTClassifier m(small_gbdt());
  m.fit(train, r.y);
  check_the_damaged_names_are_refused(m);
  RandomForestClassifier f(small_forest());
  f.fit(train, r.y);
  check_the_damaged_names_are_refused(f);
}

BOOST_AUTO_TEST_CASE(unused_categories_of_a_table_are_dropped) {
  // 1000 rows using 40 of 5000 categories: fits (no "codes must be dense"), as the table with
  // the unused categories removed does
  std::vector<int> used;
  for (int k = 0; k < 40; ++k) used.push_back((k * 7919) % 5000);
  const Rows r = make_rows(1000, 5000, 13, used);
  std::vector<std::string> all(5000);
  for (int k = 0; k < 5000; ++k) all[static_cast<std::size_t>(k)] = "store_" + std::to_string(k);
  std::vector<std::string> kept;
  std::vector<std::int32_t> remap(5000, -1);
  for (int k = 0; k < 5000; ++k)
    if (std::find(used.begin(), used.end(), k) != used.end()) {
      remap[static_cast<std::size_t>(k)] = static_cast<std::int32_t>(kept.size());
      kept.push_back(all[static_cast<std::size_t>(k)]);
    }
  Rows trimmed = r;
  for (auto& k : trimmed.code) k = k < 0 ? -1 : remap[static_cast<std::size_t>(k)];
  const Table wide = table_of(r, all), narrow = table_of(trimmed, kept);
  GBDTClassifier a(small_gbdt()), b(small_gbdt());
  a.fit(wide, r.y);
  b.fit(narrow, r.y);
  BOOST_TEST(a.to_json().dump() == b.to_json().dump());
  BOOST_TEST(a.category_names()[0] == kept);
  const Vector pa = a.predict_proba(wide), pb = b.predict_proba(narrow);
  for (Index i = 0; i < pa.size(); ++i) BOOST_TEST(pa[i] == pb[i]);
  RandomForestClassifier fa(small_forest()), fb(small_forest());
  fa.fit(wide, r.y);
  fb.fit(narrow, r.y);
  BOOST_TEST(fa.to_json().dump() == fb.to_json().dump());
}

BOOST_AUTO_TEST_CASE(huge_n_estimators_with_early_stopping) {
  const Rows r = make_rows(1500, 6, 14);
  RowMatrix X(1500, 2);
  for (Index i = 0; i < 1500; ++i) {
    const auto k = r.code[static_cast<std::size_t>(i)];
    X(i, 0) = k < 0 ? churn::kMissing : k;
    X(i, 1) = r.x[static_cast<std::size_t>(i)];
  }
  GBDTParams P = small_gbdt();
  P.categorical_features = {0};
  P.learning_rate = 0.3;
  P.early_stopping_rounds = 5;
  const auto opts = churn_test::with_eval(X.bottomRows(500), r.y.tail(500));
  P.n_estimators = 2000;
  GBDTClassifier ref(P);
  ref.fit(X.topRows(1000), r.y.head(1000), opts);
  BOOST_TEST_REQUIRE(ref.n_trees() < 2000);  // early stopping ended the reference
  P.n_estimators = INT_MAX;
  GBDTClassifier huge(P);
  huge.fit(X.topRows(1000), r.y.head(1000), opts);
  BOOST_TEST(huge.n_trees() == ref.n_trees());
  BOOST_TEST(huge.best_iteration() == ref.best_iteration());
  const Vector a = huge.predict_raw(X), b = ref.predict_raw(X);
  for (Index i = 0; i < a.size(); ++i) BOOST_TEST(a[i] == b[i]);
}

BOOST_AUTO_TEST_SUITE_END()
