#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstring>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "churn/core/datetime.hpp"
#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "churn/data/synthetic.hpp"

namespace {

using churn::Index;
using churn::data::Column;
using churn::data::DType;
using churn::data::Table;
namespace syn = churn::data;

syn::CustomerOptions customer_opts(Index n, std::uint64_t seed = 7, int threads = 1) {
  syn::CustomerOptions o;
  o.n_customers = n;
  o.seed = seed;
  o.n_threads = threads;
  return o;
}

// Bit-for-bit equality of two columns (NaN == NaN when the bits agree).
bool same_column(const Column& a, const Column& b) {
  if (a.name() != b.name() || a.dtype() != b.dtype() || a.size() != b.size()) return false;
  const auto n = static_cast<std::size_t>(a.size());
  switch (a.dtype()) {
    case DType::Float64:
      return n == 0 ||
             std::memcmp(a.as_float64().data(), b.as_float64().data(), n * sizeof(double)) == 0;
    case DType::Int64:
    case DType::Timestamp:
      return a.validity() == b.validity() &&
             (n == 0 ||
              std::memcmp(a.as_int64().data(), b.as_int64().data(), n * sizeof(std::int64_t)) == 0);
    case DType::Categorical:
      return a.categories() == b.categories() &&
             (n == 0 ||
              std::memcmp(a.codes().data(), b.codes().data(), n * sizeof(std::int32_t)) == 0);
    case DType::String: return a.strings() == b.strings() && a.validity() == b.validity();
  }
  return false;
}

bool same_table(const Table& a, const Table& b) {
  if (a.num_columns() != b.num_columns() || a.num_rows() != b.num_rows()) return false;
  for (Index j = 0; j < a.num_columns(); ++j)
    if (!same_column(a.column(j), b.column(j))) return false;
  return true;
}

// Churn rate among the rows where `keep(i)` holds; `count` receives their number.
template <class Pred>
double rate_where(const Table& t, Pred keep, Index* count = nullptr) {
  const auto y = t.column("churned").as_int64();
  double s = 0;
  Index m = 0;
  for (Index i = 0; i < t.num_rows(); ++i)
    if (keep(i)) {
      s += static_cast<double>(y[i]);
      ++m;
    }
  if (count) *count = m;
  return m ? s / static_cast<double>(m) : std::nan("");
}

double mean_label(const Table& t) {
  return t.column("churned").as_int64().cast<double>().mean();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(data_synthetic)

// ------------------------------------------------------------------------------------------
// customer_id
// ------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(customer_id_is_one_based_seven_digits) {
  BOOST_TEST(syn::customer_id(0) == "C0000001");
  BOOST_TEST(syn::customer_id(41) == "C0000042");
  BOOST_TEST(syn::customer_id(9999998) == "C9999999");
  BOOST_TEST(syn::customer_id(9999999) == "C10000000");
  BOOST_CHECK_THROW(syn::customer_id(-1), churn::InvalidArgument);
}

// ------------------------------------------------------------------------------------------
// make_customers
// ------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(customers_schema) {
  const Table t = syn::make_customers(customer_opts(500));
  const std::vector<std::string> names = {"customer_id",
                                          "signup_date",
                                          "region",
                                          "plan",
                                          "contract",
                                          "payment_method",
                                          "autopay",
                                          "tenure_months",
                                          "monthly_charges",
                                          "total_charges",
                                          "num_devices",
                                          "sessions_per_week",
                                          "avg_session_minutes",
                                          "support_tickets",
                                          "payment_failures",
                                          "discount_pct",
                                          "days_since_last_login",
                                          "nps_score",
                                          "churned"};
  BOOST_TEST(t.column_names() == names, boost::test_tools::per_element());
  BOOST_TEST(t.num_rows() == 500);
  BOOST_TEST((t.column("customer_id").dtype() == DType::String));
  BOOST_TEST((t.column("signup_date").dtype() == DType::Timestamp));
  for (const char* c : {"region", "plan", "contract", "payment_method", "autopay"})
    BOOST_TEST((t.column(c).dtype() == DType::Categorical), c);
  for (Index j = 7; j < 18; ++j) BOOST_TEST((t.column(j).dtype() == DType::Float64), j);
  BOOST_TEST((t.column("churned").dtype() == DType::Int64));
  const std::vector<std::string> contracts = {"Month-to-month", "One year", "Two year"};
  BOOST_TEST(t.column("contract").categories() == contracts, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(customers_same_for_any_thread_count_and_seed_matters) {
  // 10000 rows = 3 blocks, so threads really split the work.
  const Table t1 = syn::make_customers(customer_opts(10000, 11, 1));
  const Table t2 = syn::make_customers(customer_opts(10000, 11, 2));
  const Table t4 = syn::make_customers(customer_opts(10000, 11, 4));
  const Table again = syn::make_customers(customer_opts(10000, 11, 1));
  BOOST_TEST(same_table(t1, again));
  BOOST_TEST(same_table(t1, t2));
  BOOST_TEST(same_table(t1, t4));
  const Table other = syn::make_customers(customer_opts(10000, 12, 1));
  BOOST_TEST(!same_column(t1.column("monthly_charges"), other.column("monthly_charges")));
  BOOST_TEST(!same_column(t1.column("churned"), other.column("churned")));
  // The ids do not depend on the seed.
  BOOST_TEST(same_column(t1.column("customer_id"), other.column("customer_id")));
}

BOOST_AUTO_TEST_CASE(customers_ids_unique_and_match_customer_id) {
  const Table t = syn::make_customers(customer_opts(5000));
  const auto& ids = t.column("customer_id").strings();
  std::unordered_set<std::string> seen(ids.begin(), ids.end());
  BOOST_TEST(seen.size() == ids.size());
  BOOST_TEST(ids.front() == "C0000001");
  BOOST_TEST(ids[4999] == syn::customer_id(4999));
  BOOST_TEST(t.column("customer_id").null_count() == 0);
}

BOOST_AUTO_TEST_CASE(customers_label_rate_hits_target) {
  for (double target : {0.25, 0.10}) {
    auto o = customer_opts(20000, 3, 0);
    o.churn_rate = target;
    const Table t = syn::make_customers(o);
    const auto y = t.column("churned").as_int64();
    BOOST_TEST(((y.array() == 0) || (y.array() == 1)).all());
    BOOST_TEST(std::abs(mean_label(t) - target) < 0.03,
               "target " << target << " got " << mean_label(t));
  }
  // An extreme target is still reached.
  auto o = customer_opts(20000, 4, 0);
  o.churn_rate = 0.02;
  BOOST_TEST(std::abs(mean_label(syn::make_customers(o)) - 0.02) < 0.01);
}

BOOST_AUTO_TEST_CASE(customers_value_ranges) {
  const Table t = syn::make_customers(customer_opts(20000, 5, 0));
  auto in_range = [&](const char* name, double lo, double hi) {
    const auto v = t.column(name).as_float64();
    bool ok = true;
    for (Index i = 0; i < v.size(); ++i)
      if (!std::isnan(v[i]) && (v[i] < lo || v[i] > hi)) ok = false;
    BOOST_TEST(ok, name);
  };
  in_range("tenure_months", 0, 72);
  in_range("monthly_charges", 18, 120);
  in_range("num_devices", 1, 8);
  in_range("sessions_per_week", 0, 80);
  in_range("avg_session_minutes", 1, 240);
  in_range("support_tickets", 0, 1000);
  in_range("payment_failures", 0, 1000);
  in_range("discount_pct", 5, 30);
  in_range("days_since_last_login", 0, 365);
  in_range("nps_score", 0, 10);

  const auto tenure = t.column("tenure_months").as_float64();
  const auto monthly = t.column("monthly_charges").as_float64();
  const auto total = t.column("total_charges").as_float64();
  const auto signup = t.column("signup_date").as_int64();
  const std::int64_t as_of = syn::CustomerOptions{}.as_of;
  Index zero_tenure = 0, checked = 0;
  bool total_ok = true, zero_missing = true, signup_ok = true;
  for (Index i = 0; i < t.num_rows(); ++i) {
    BOOST_REQUIRE(!std::isnan(tenure[i]));
    BOOST_REQUIRE(!std::isnan(monthly[i]));
    if (tenure[i] == 0) {
      ++zero_tenure;
      zero_missing &= std::isnan(total[i]);
    } else if (!std::isnan(total[i])) {
      ++checked;
      const double ratio = total[i] / (tenure[i] * monthly[i]);
      if (ratio < 0.5 || ratio > 1.3) total_ok = false;
    }
    const double months = static_cast<double>(as_of - signup[i]) / churn::kNanosPerDay / 30.4375;
    if (signup[i] >= as_of || months < tenure[i] - 0.01 || months > tenure[i] + 1.05)
      signup_ok = false;
    if (signup[i] % churn::kNanosPerDay != 0) signup_ok = false;
  }
  BOOST_TEST(zero_tenure > 0);
  BOOST_TEST(zero_missing);
  BOOST_TEST(checked > 15000);
  BOOST_TEST(total_ok);
  BOOST_TEST(signup_ok);
  // Discounts: missing (no discount) for most customers.
  const double no_discount =
      static_cast<double>(t.column("discount_pct").null_count()) / t.num_rows();
  BOOST_TEST(no_discount > 0.5);
  BOOST_TEST(no_discount < 0.85);
  // Every category is used.
  for (const char* c : {"region", "plan", "contract", "payment_method", "autopay"}) {
    const auto codes = t.column(c).codes();
    std::vector<int> used(t.column(c).categories().size(), 0);
    for (Index i = 0; i < codes.size(); ++i)
      if (codes[i] >= 0) used[static_cast<std::size_t>(codes[i])] = 1;
    for (std::size_t k = 0; k < used.size(); ++k) BOOST_TEST(used[k] == 1, c << " code " << k);
  }
}

BOOST_AUTO_TEST_CASE(customers_missing_rate) {
  for (double rate : {0.0, 0.05, 0.3}) {
    auto o = customer_opts(20000, 8, 0);
    o.missing_rate = rate;
    const Table t = syn::make_customers(o);
    const double n = static_cast<double>(t.num_rows());
    // Columns missing only by injection.
    for (const char* c : {"region", "payment_method", "num_devices", "sessions_per_week",
                          "avg_session_minutes", "days_since_last_login"}) {
      const double r = static_cast<double>(t.column(c).null_count()) / n;
      BOOST_TEST(std::abs(r - rate) < 0.01, c << ": " << r << " vs " << rate);
    }
    // Never missing.
    for (const char* c :
         {"customer_id", "signup_date", "plan", "contract", "autopay", "tenure_months",
          "monthly_charges", "support_tickets", "payment_failures", "churned"})
      BOOST_TEST(t.column(c).null_count() == 0, c);
    // Structural plus injected missing values.
    const double nps = static_cast<double>(t.column("nps_score").null_count()) / n;
    const double expected_nps = 1.0 - 0.65 * (1.0 - rate);
    BOOST_TEST(std::abs(nps - expected_nps) < 0.02, "nps " << nps);
  }
}

BOOST_AUTO_TEST_CASE(customers_label_depends_non_linearly_on_features) {
  auto o = customer_opts(20000, 9, 0);
  o.missing_rate = 0.0;
  const Table t = syn::make_customers(o);
  const auto contract = t.column("contract").codes();
  const auto tenure = t.column("tenure_months").as_float64();
  const auto monthly = t.column("monthly_charges").as_float64();
  const auto failures = t.column("payment_failures").as_float64();

  // Contract: month-to-month churns clearly more than two-year.
  const double m2m = rate_where(t, [&](Index i) { return contract[i] == 0; });
  const double two = rate_where(t, [&](Index i) { return contract[i] == 2; });
  BOOST_TEST(m2m > two + 0.15, "m2m " << m2m << " two-year " << two);

  // Interaction: high charges matter much more on month-to-month contracts.
  const double m2m_hi = rate_where(t, [&](Index i) { return contract[i] == 0 && monthly[i] > 75; });
  const double m2m_lo = rate_where(t, [&](Index i) { return contract[i] == 0 && monthly[i] < 60; });
  const double two_hi = rate_where(t, [&](Index i) { return contract[i] == 2 && monthly[i] > 75; });
  const double two_lo = rate_where(t, [&](Index i) { return contract[i] == 2 && monthly[i] < 60; });
  BOOST_TEST((m2m_hi - m2m_lo) > (two_hi - two_lo) + 0.1,
             "m2m " << m2m_hi << "-" << m2m_lo << ", two-year " << two_hi << "-" << two_lo);

  // Threshold: the step from 1 to 2+ payment failures is larger than from 0 to 1.
  const double f0 = rate_where(t, [&](Index i) { return failures[i] == 0; });
  const double f1 = rate_where(t, [&](Index i) { return failures[i] == 1; });
  Index n2 = 0;
  const double f2 = rate_where(
      t, [&](Index i) { return failures[i] >= 2; }, &n2);
  BOOST_TEST(n2 > 200);
  BOOST_TEST((f2 - f1) > 1.5 * (f1 - f0), "f0 " << f0 << " f1 " << f1 << " f2+ " << f2);

  // U-shape in tenure (within month-to-month contracts): not monotone.
  Index n_new = 0, n_mid = 0, n_old = 0;
  const double t_new = rate_where(
      t, [&](Index i) { return contract[i] == 0 && tenure[i] < 6; }, &n_new);
  const double t_mid = rate_where(
      t, [&](Index i) { return contract[i] == 0 && tenure[i] >= 24 && tenure[i] < 42; }, &n_mid);
  const double t_old = rate_where(
      t, [&](Index i) { return contract[i] == 0 && tenure[i] >= 62; }, &n_old);
  BOOST_TEST(n_new > 300);
  BOOST_TEST(n_mid > 300);
  BOOST_TEST(n_old > 300);
  BOOST_TEST(t_new > t_mid + 0.1, "new " << t_new << " mid " << t_mid);
  BOOST_TEST(t_old > t_mid + 0.05, "old " << t_old << " mid " << t_mid);
}

BOOST_AUTO_TEST_CASE(customers_small_tables) {
  const Table one = syn::make_customers(customer_opts(1));
  BOOST_TEST(one.num_rows() == 1);
  BOOST_TEST(one.column("customer_id").strings().at(0) == "C0000001");
  // A block boundary (4096) must not show in the data: rows 4095 and 4096 exist and differ.
  const Table t = syn::make_customers(customer_opts(4097));
  BOOST_TEST(t.num_rows() == 4097);
  const Table u = syn::make_customers(customer_opts(4097, 7, 3));
  BOOST_TEST(same_table(t, u));
}

BOOST_AUTO_TEST_CASE(customers_invalid_options_throw_naming_the_field) {
  auto expect = [](syn::CustomerOptions o, const std::string& field) {
    try {
      syn::make_customers(o);
      BOOST_ERROR("no exception for " << field);
    } catch (const churn::InvalidArgument& e) {
      BOOST_TEST(std::string(e.what()).find(field) != std::string::npos, e.what());
      BOOST_TEST(std::string(e.what()).find("make_customers") != std::string::npos, e.what());
    }
  };
  syn::CustomerOptions o;
  o.n_customers = 0;
  expect(o, "n_customers");
  o = {};
  o.missing_rate = -0.1;
  expect(o, "missing_rate");
  o.missing_rate = 0.95;
  expect(o, "missing_rate");
  o = {};
  o.churn_rate = 0.0;
  expect(o, "churn_rate");
  o.churn_rate = 1.0;
  expect(o, "churn_rate");
  o.churn_rate = std::nan("");
  expect(o, "churn_rate");
  o = {};
  o.n_threads = -1;
  expect(o, "n_threads");
  o = {};
  o.as_of = churn::kNaT;
  expect(o, "as_of");
}

// ------------------------------------------------------------------------------------------
// make_events
// ------------------------------------------------------------------------------------------

syn::EventOptions event_opts(Index n, std::uint64_t seed = 5, int threads = 1) {
  syn::EventOptions o;
  o.n_customers = n;
  o.seed = seed;
  o.n_threads = threads;
  return o;
}

BOOST_AUTO_TEST_CASE(events_schema_and_rules) {
  const auto o = event_opts(3000, 5, 0);
  const Table t = syn::make_events(o);
  const std::vector<std::string> names = {"customer_id", "timestamp", "event_type", "amount"};
  BOOST_TEST(t.column_names() == names, boost::test_tools::per_element());
  BOOST_TEST((t.column("customer_id").dtype() == DType::String));
  BOOST_TEST((t.column("timestamp").dtype() == DType::Timestamp));
  BOOST_TEST((t.column("event_type").dtype() == DType::Categorical));
  BOOST_TEST((t.column("amount").dtype() == DType::Float64));
  const std::vector<std::string> types = {"login", "purchase", "support_ticket", "crash",
                                          "payment_failure"};
  BOOST_TEST(t.column("event_type").categories() == types, boost::test_tools::per_element());

  const auto type = t.column("event_type").codes();
  const auto amount = t.column("amount").as_float64();
  const auto ts = t.column("timestamp").as_int64();
  std::vector<Index> per_type(5, 0);
  bool amount_ok = true, time_ok = true, seconds_ok = true;
  for (Index i = 0; i < t.num_rows(); ++i) {
    BOOST_REQUIRE(type[i] >= 0);
    BOOST_REQUIRE(type[i] < 5);
    per_type[static_cast<std::size_t>(type[i])]++;
    if (type[i] == 1 ? !(amount[i] > 0) : !std::isnan(amount[i])) amount_ok = false;
    if (ts[i] < o.start || ts[i] >= o.end) time_ok = false;
    if ((ts[i] - o.start) % churn::kNanosPerSecond != 0) seconds_ok = false;
  }
  BOOST_TEST(amount_ok);
  BOOST_TEST(time_ok);
  BOOST_TEST(seconds_ok);
  for (std::size_t k = 0; k < 5; ++k) BOOST_TEST(per_type[k] > 0, types[k]);
  BOOST_TEST(per_type[0] > per_type[1]);  // logins dominate
  // Not sorted in time, and not grouped by customer.
  Index decreasing = 0, id_changes = 0;
  const auto& ids = t.column("customer_id").strings();
  for (Index i = 1; i < t.num_rows(); ++i) {
    decreasing += ts[i] < ts[i - 1];
    id_changes += ids[static_cast<std::size_t>(i)] != ids[static_cast<std::size_t>(i - 1)];
  }
  BOOST_TEST(decreasing > t.num_rows() / 4);
  BOOST_TEST(id_changes > t.num_rows() / 2);
}

BOOST_AUTO_TEST_CASE(events_volume_and_heterogeneity) {
  auto o = event_opts(5000, 6, 0);
  o.events_per_customer = 20.0;
  const Table t = syn::make_events(o);
  const double mean = static_cast<double>(t.num_rows()) / 5000.0;
  BOOST_TEST(std::abs(mean - 20.0) < 1.0, "mean " << mean);
  std::unordered_map<std::string, Index> counts;
  for (const auto& id : t.column("customer_id").strings()) counts[id]++;
  // Ids come from customer_id(0..n-1); ~8% have no events at all.
  bool ids_ok = true;
  Index max_count = 0;
  for (const auto& [id, k] : counts) {
    ids_ok &= id.size() == 8 && id[0] == 'C' && id >= "C0000001" && id <= "C0005000";
    max_count = std::max(max_count, k);
  }
  BOOST_TEST(ids_ok);
  const double silent = 1.0 - static_cast<double>(counts.size()) / 5000.0;
  BOOST_TEST(silent > 0.05);
  BOOST_TEST(silent < 0.15);
  BOOST_TEST(max_count > 80);  // heavy users exist

  o.events_per_customer = 3.0;
  const double small_mean = static_cast<double>(syn::make_events(o).num_rows()) / 5000.0;
  BOOST_TEST(std::abs(small_mean - 3.0) < 0.3, "mean " << small_mean);
}

BOOST_AUTO_TEST_CASE(events_same_for_any_thread_count_and_seed_matters) {
  const Table t1 = syn::make_events(event_opts(10000, 21, 1));
  BOOST_TEST(same_table(t1, syn::make_events(event_opts(10000, 21, 1))));
  BOOST_TEST(same_table(t1, syn::make_events(event_opts(10000, 21, 2))));
  BOOST_TEST(same_table(t1, syn::make_events(event_opts(10000, 21, 4))));
  const Table other = syn::make_events(event_opts(10000, 22, 1));
  BOOST_TEST(!same_table(t1, other));
}

BOOST_AUTO_TEST_CASE(events_churned_customers_fade_out) {
  const Index n = 4000;
  auto o = event_opts(n, 13, 0);
  o.churned.assign(static_cast<std::size_t>(n), 0);
  for (Index i = 0; i < n; i += 2) o.churned[static_cast<std::size_t>(i)] = 1;
  const Table t = syn::make_events(o);
  const auto ts = t.column("timestamp").as_int64();
  const auto& ids = t.column("customer_id").strings();
  // Share of events in the last 30 days, for even (churned) and odd customers.
  const std::int64_t recent = o.end - 30 * churn::kNanosPerDay;
  double late[2] = {0, 0}, all[2] = {0, 0};
  for (Index i = 0; i < t.num_rows(); ++i) {
    const long number = std::stol(ids[static_cast<std::size_t>(i)].substr(1));
    const int churned = (number - 1) % 2 == 0 ? 1 : 0;
    all[churned] += 1;
    late[churned] += ts[i] >= recent;
  }
  BOOST_TEST(late[1] / all[1] < 0.5 * late[0] / all[0],
             "churned " << late[1] / all[1] << " active " << late[0] / all[0]);

  o.churned.pop_back();
  BOOST_CHECK_THROW(syn::make_events(o), churn::InvalidArgument);
}

BOOST_AUTO_TEST_CASE(events_short_window_uses_nanoseconds) {
  auto o = event_opts(50);
  o.start = 1000;
  o.end = 1100;
  const Table t = syn::make_events(o);
  const auto ts = t.column("timestamp").as_int64();
  BOOST_TEST(t.num_rows() > 0);
  BOOST_TEST((ts.array() >= 1000).all());
  BOOST_TEST((ts.array() < 1100).all());
}

BOOST_AUTO_TEST_CASE(events_invalid_options_throw_naming_the_field) {
  auto expect = [](syn::EventOptions o, const std::string& field) {
    try {
      syn::make_events(o);
      BOOST_ERROR("no exception for " << field);
    } catch (const churn::InvalidArgument& e) {
      BOOST_TEST(std::string(e.what()).find(field) != std::string::npos, e.what());
    }
  };
  syn::EventOptions o;
  o.n_customers = 0;
  expect(o, "n_customers");
  o = {};
  o.events_per_customer = 0.0;
  expect(o, "events_per_customer");
  o.events_per_customer = std::nan("");
  expect(o, "events_per_customer");
  o = {};
  o.end = o.start;
  expect(o, "end");
  o = {};
  o.n_threads = -2;
  expect(o, "n_threads");
}

BOOST_AUTO_TEST_SUITE_END()
