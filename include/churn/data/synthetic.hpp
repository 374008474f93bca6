#pragma once
/// @file synthetic.hpp
/// Seeded, deterministic generators of churn-like data: a customer table and an event log.
/// The demo, the examples and the benchmarks use them.
///
/// Determinism: rows are generated in fixed-size blocks, each from its own random stream
/// (`Rng::for_stream(seed, block)`), so the same options give the same table bit for bit for
/// any `n_threads`.

#include <cstdint>  // std::int64_t, std::uint64_t
#include <string>   // std::string
#include <vector>   // std::vector

#include "churn/data/table.hpp"

namespace churn::data {

/// The most customers make_customers and make_events make (a larger count would end in
/// bad_alloc rather than an error naming it).
inline constexpr Index kMaxSyntheticCustomers = 100000000;

/// Options of make_customers.
struct CustomerOptions {
  /// Number of customers (rows), in [1, kMaxSyntheticCustomers].
  Index n_customers = 10000;
  /// Seed; the same seed and options give the same table, for any n_threads.
  std::uint64_t seed = 42;
  /// Share of missing values injected in the columns that can be missing, in [0, 0.9].
  double missing_rate = 0.05;
  /// Target churn rate (the label's intercept is set to reach it approximately), in (0, 1).
  double churn_rate = 0.25;
  /// Snapshot date (ns since epoch): signup dates lie before it. Must be a date after
  /// 1700-01-01 (signup dates reach about 6 years before it).
  std::int64_t as_of = 1719792000LL * 1000000000LL;  // 2024-07-01
  /// Threads (0 = all cores), >= 0.
  int n_threads = 0;
};

/// A customer table (telecom/SaaS style), one row per customer:
///
/// | column                  | type        | content                                         |
/// |-------------------------|-------------|-------------------------------------------------|
/// | `customer_id`           | string      | customer_id(i) for row i: C0000001, C0000002... |
/// | `signup_date`           | timestamp   | midnight, 1 day to ~6 years before `as_of`      |
/// | `region`                | categorical | North, South, East, West, Central (+ injected)  |
/// | `plan`                  | categorical | Basic, Standard, Premium                        |
/// | `contract`              | categorical | Month-to-month, One year, Two year              |
/// | `payment_method`        | categorical | Electronic check, Credit card, Bank transfer,   |
/// |                         |             | Mailed check (+ injected)                       |
/// | `autopay`               | categorical | No, Yes                                         |
/// | `tenure_months`         | float64     | whole months 0..72 (signup_date agrees)         |
/// | `monthly_charges`       | float64     | 18..120, multiples of 0.05                      |
/// | `total_charges`         | float64     | ~ tenure x monthly, noisy; NaN if tenure is 0   |
/// |                         |             | (+ injected)                                    |
/// | `num_devices`           | float64     | 1..8 (+ injected)                               |
/// | `sessions_per_week`     | float64     | 0..80, dormant customers at 0 (+ injected)      |
/// | `avg_session_minutes`   | float64     | 1..240 (+ injected)                             |
/// | `support_tickets`       | float64     | counts 0, 1, 2, ...                             |
/// | `payment_failures`      | float64     | counts 0, 1, 2, ...                             |
/// | `discount_pct`          | float64     | 5..30 in steps of 5; NaN (no discount) for most |
/// |                         |             | customers (+ injected)                          |
/// | `days_since_last_login` | float64     | whole days 0..365 (+ injected)                  |
/// | `nps_score`             | float64     | 0..10; NaN for the ~35% who did not answer      |
/// |                         |             | (+ injected)                                    |
/// | `churned`               | int64       | the label, 0 or 1                               |
///
/// "Injected" missing values hit each such cell with probability `missing_rate`, independently;
/// the other columns are never missing. The label is drawn from a non-linear logistic model of
/// the true (pre-injection) features: contract type, an interaction of a month-to-month
/// contract with monthly charges above 70, a threshold at two or more payment failures, a
/// U-shape in tenure (new and very long-standing customers churn more), a threshold at 30 days
/// without login, an interaction of low satisfaction with repeated support tickets, and
/// smaller effects of autopay, payment method, discounts and usage. Its intercept is solved
/// so that the expected churn rate equals `churn_rate`. The non-linear terms are there so that
/// tree models have something to find that a linear model on the raw columns misses.
/// @throws InvalidArgument for options out of range (naming the field and the value).
/// @code
/// churn::data::CustomerOptions opt;
/// opt.n_customers = 50000;
/// opt.churn_rate = 0.2;
/// churn::data::Table customers = churn::data::make_customers(opt);
/// @endcode
Table make_customers(const CustomerOptions& options = {});

/// Options of make_events.
struct EventOptions {
  /// Number of customers; ids match make_customers' (customer_id(0) = "C0000001", ...).
  /// In [1, kMaxSyntheticCustomers].
  Index n_customers = 10000;
  /// Average events per customer (> 0, finite).
  double events_per_customer = 20.0;
  /// Seed.
  std::uint64_t seed = 42;
  /// Events fall in [start, end) (ns since epoch), end > start.
  std::int64_t start = 1704067200LL * 1000000000LL;  // 2024-01-01
  std::int64_t end = 1719792000LL * 1000000000LL;    // 2024-07-01
  /// Threads (0 = all cores), >= 0.
  int n_threads = 0;
  /// Optional per-customer churn flags (empty, or one entry per customer, e.g. the `churned`
  /// column of make_customers): 70% of the customers with a non-zero flag and 10% of the others
  /// fade out, their activity declining towards a last-activity time between 40% and 100% of
  /// the window. When empty, a random ~20% of the customers fade out.
  std::vector<std::int64_t> churned;
};

/// An event log: `customer_id` (string), `timestamp` (whole seconds after `start` when
/// `end - start` >= 1 s), `event_type` (categorical with the fixed dictionary login, purchase,
/// support_ticket, crash, payment_failure), `amount` (float64: positive, in cents, for
/// purchases; NaN for the other types). About `events_per_customer` events per customer on
/// average, with very different activity levels (~8% of customers have no events at all, and
/// some are prone to crashes or payment failures). Rows are not sorted in time: customers come
/// in blocks of consecutive ids, and the events of a block are shuffled.
/// @throws InvalidArgument for options out of range (naming the field and the value).
Table make_events(const EventOptions& options = {});

/// The id make_customers and make_events give customer `i` (0-based): "C" + `i + 1` padded
/// to 7 digits ("C0000001" for i = 0; more digits past 9,999,999).
/// @throws InvalidArgument if `i` < 0.
std::string customer_id(Index i);

}  // namespace churn::data
