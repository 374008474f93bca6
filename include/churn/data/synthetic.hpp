#pragma once
/// @file synthetic.hpp
/// Seeded, deterministic generators of churn-like data: a customer table and an event log.
/// The demo, the examples and the benchmarks use them.

#include <cstdint>  // std::int64_t, std::uint64_t

#include "churn/data/table.hpp"

namespace churn::synthetic {

/// Options of make_customers.
struct CustomerOptions {
  /// Number of customers (rows). Must be >= 1.
  Index n_customers = 10000;
  /// Seed; the same seed and options give the same table, for any n_threads.
  std::uint64_t seed = 42;
  /// Share of missing values injected in the columns that can be missing, in [0, 0.9].
  double missing_rate = 0.05;
  /// Target churn rate (the label's intercept is set to reach it approximately), in (0, 1).
  double churn_rate = 0.25;
  /// Snapshot date (ns since epoch): signup dates lie before it.
  std::int64_t as_of = 1719792000LL * 1000000000LL;  // 2024-07-01
  /// Threads (0 = all cores).
  int n_threads = 0;
};

/// A customer table: `customer_id` (string, unique), `signup_date` (timestamp), `region`,
/// `plan`, `contract`, `payment_method`, `autopay` (categorical), `tenure_months`,
/// `monthly_charges`, `total_charges`, `num_devices`, `sessions_per_week`, `avg_session_minutes`,
/// `support_tickets`, `payment_failures`, `discount_pct`, `days_since_last_login`, `nps_score`
/// (float64, several with missing values), and the label `churned` (int64 0/1) drawn from a
/// non-linear logistic function of the features (interactions, thresholds, a U-shape), so that
/// boosted trees beat a linear model.
/// @throws InvalidArgument for options out of range (naming the field).
Table make_customers(const CustomerOptions& options = {});

/// Options of make_events.
struct EventOptions {
  /// Number of customers; ids match make_customers' ("C0000001", ...). Must be >= 1.
  Index n_customers = 10000;
  /// Average events per customer (> 0).
  double events_per_customer = 20.0;
  /// Seed.
  std::uint64_t seed = 42;
  /// Events fall in [start, end) (ns since epoch), end > start.
  std::int64_t start = 1704067200LL * 1000000000LL;  // 2024-01-01
  std::int64_t end = 1719792000LL * 1000000000LL;    // 2024-07-01
  /// Threads (0 = all cores).
  int n_threads = 0;
};

/// An event log, unsorted in time: `customer_id` (string), `timestamp`, `event_type`
/// (categorical: login, purchase, support_ticket, crash, payment_failure), `amount` (float64,
/// positive for purchases, NaN for the other types). Customers' activity levels differ (some
/// have no events at all), and activity fades before churn-like customers' last events.
Table make_events(const EventOptions& options = {});

/// The id make_customers and make_events give customer `i` (0-based): "C" + 7 digits.
std::string customer_id(Index i);

}  // namespace churn::synthetic
