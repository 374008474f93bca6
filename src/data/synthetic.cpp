#include "churn/data/synthetic.hpp"

#include <algorithm>  // std::min, std::max, std::swap
#include <cmath>      // std::exp, std::log, std::sqrt, std::floor, std::round, std::isfinite
#include <cstddef>    // std::size_t
#include <limits>     // std::numeric_limits
#include <utility>    // std::move, std::pair

#include "churn/core/datetime.hpp"
#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "churn/core/random.hpp"
#include "common/logistic.hpp"

namespace churn::data {
namespace {

/// Rows (customers) per block; each block draws from its own stream. Changing it changes
/// the generated data, so it is fixed.
constexpr Index kBlock = 4096;
/// Salts that separate the streams of the two generators for the same seed.
constexpr std::uint64_t kCustomerSalt = 0x43757374306D6572ULL;
constexpr std::uint64_t kEventSalt = 0x4576656E74734C67ULL;

// Fixed category dictionaries (the code of a value is its position).
const std::vector<std::string>& regions() {
  static const std::vector<std::string> v = {"North", "South", "East", "West", "Central"};
  return v;
}
const std::vector<std::string>& plans() {
  static const std::vector<std::string> v = {"Basic", "Standard", "Premium"};
  return v;
}
const std::vector<std::string>& contracts() {
  static const std::vector<std::string> v = {"Month-to-month", "One year", "Two year"};
  return v;
}
const std::vector<std::string>& payment_methods() {
  static const std::vector<std::string> v = {"Electronic check", "Credit card", "Bank transfer",
                                             "Mailed check"};
  return v;
}
const std::vector<std::string>& yes_no() {
  static const std::vector<std::string> v = {"No", "Yes"};
  return v;
}
const std::vector<std::string>& event_types() {
  static const std::vector<std::string> v = {"login", "purchase", "support_ticket", "crash",
                                             "payment_failure"};
  return v;
}

constexpr std::int32_t kMonthToMonth = 0;
constexpr std::int32_t kTwoYear = 2;
constexpr std::int32_t kElectronicCheck = 0;
constexpr std::int32_t kMailedCheck = 3;
constexpr std::int32_t kPurchase = 1;

double clamp(double x, double lo, double hi) {
  return std::min(hi, std::max(lo, x));
}

double round_to(double x, double step) {
  return std::round(x / step) * step;
}

/// Index drawn from cumulative weights `cum` (last entry = total).
template <std::size_t N>
std::int32_t draw_index(Rng& rng, const double (&cum)[N]) {
  const double u = rng.uniform() * cum[N - 1];
  for (std::size_t k = 0; k + 1 < N; ++k)
    if (u < cum[k]) return static_cast<std::int32_t>(k);
  return static_cast<std::int32_t>(N - 1);
}

/// Poisson variate: Knuth's product method for small means, a rounded normal above 30.
double poisson(Rng& rng, double lambda) {
  if (lambda <= 0.0) return 0.0;
  if (lambda > 30.0) return std::max(0.0, std::round(rng.normal(lambda, std::sqrt(lambda))));
  const double limit = std::exp(-lambda);
  double p = rng.uniform();
  double k = 0.0;
  while (p > limit) {
    p *= rng.uniform();
    k += 1.0;
  }
  return k;
}

/// Exponential variate with the given mean.
double exponential(Rng& rng, double mean) {
  return -mean * std::log(1.0 - rng.uniform());  // 1 - u in (0, 1]
}

// ------------------------------------------------------------------------------------------
// Customers
// ------------------------------------------------------------------------------------------

/// Column buffers of make_customers, plus the latent score and label uniform of every row.
struct CustomerColumns {
  explicit CustomerColumns(std::size_t n)
      : ids(n),
        signup(n),
        region(n),
        plan(n),
        contract(n),
        payment(n),
        autopay(n),
        tenure(n),
        monthly(n),
        total(n),
        devices(n),
        sessions(n),
        minutes(n),
        tickets(n),
        failures(n),
        discount(n),
        days_idle(n),
        nps(n),
        latent(n),
        label_u(n) {}
  std::vector<std::string> ids;
  std::vector<std::int64_t> signup;
  std::vector<std::int32_t> region, plan, contract, payment, autopay;
  std::vector<double> tenure, monthly, total, devices, sessions, minutes, tickets, failures,
      discount, days_idle, nps;
  std::vector<double> latent, label_u;
};

// The generative model of one customer. Its random draws happen in a fixed order (account,
// billing, usage, friction, discount and satisfaction, label, signup date, missing values): that
// order is part of the generated data, so the steps below must not be reordered or merged.

/// One customer's true features (before missing values are injected), in drawing order.
struct CustomerDraw {
  std::int32_t contract = 0;
  bool m2m = false;  // month-to-month contract
  double tenure = 0.0;
  std::int32_t plan = 0;
  double devices = 0.0;
  double monthly = 0.0;
  double total = kMissing;
  std::int32_t region = 0;
  std::int32_t payment = 0;
  std::int32_t autopay = 0;
  double sessions = 0.0;
  double minutes = 0.0;
  double days_idle = 0.0;
  double tickets = 0.0;
  double failures = 0.0;
  bool has_discount = false;
  double discount = kMissing;
  double satisfaction = 0.0;
  bool answered = false;  // the satisfaction score was reported
};

/// Contract, tenure, plan, devices and charges.
void draw_account(Rng& rng, CustomerDraw& x) {
  static const double kContractCum[] = {0.55, 0.77, 1.0};
  x.contract = draw_index(rng, kContractCum);
  x.m2m = x.contract == kMonthToMonth;

  // Tenure: short for month-to-month, long for two-year contracts.
  const double ut = rng.uniform();
  const double frac = x.m2m ? std::pow(ut, 1.7) : (x.contract == kTwoYear ? std::sqrt(ut) : ut);
  x.tenure = std::min(72.0, std::floor(73.0 * frac));

  static const double kPlanCum[] = {0.40, 0.75, 1.0};
  x.plan = draw_index(rng, kPlanCum);
  static const double kDeviceMean[] = {0.5, 1.2, 2.0};
  x.devices = std::min(8.0, 1.0 + poisson(rng, kDeviceMean[x.plan]));
  static const double kBase[] = {18.0, 40.0, 70.0};
  static const double kWidth[] = {27.0, 35.0, 40.0};
  x.monthly = round_to(clamp(kBase[x.plan] + rng.uniform(0.0, kWidth[x.plan]) +
                                 4.5 * (x.devices - 1.0) + rng.normal(0.0, 3.0),
                             18.0, 120.0),
                       0.05);
  if (x.tenure > 0.0)
    x.total = round_to(
        std::max(0.5 * x.monthly, x.tenure * x.monthly * (1.0 + rng.normal(0.0, 0.04))), 0.01);
  else
    rng.next();  // keep the number of draws per row independent of the tenure
}

/// Region, payment method and autopay.
void draw_billing(Rng& rng, CustomerDraw& x) {
  static const double kRegionCum[] = {0.22, 0.48, 0.68, 0.88, 1.0};
  x.region = draw_index(rng, kRegionCum);
  static const double kPaymentCum[] = {0.34, 0.59, 0.82, 1.0};
  x.payment = draw_index(rng, kPaymentCum);
  const double p_autopay =
      x.payment == kElectronicCheck ? 0.15 : (x.payment == kMailedCheck ? 0.0 : 0.7);
  x.autopay = rng.bernoulli(p_autopay) ? 1 : 0;
}

/// Usage: a per-customer engagement level drives sessions and recency.
void draw_usage(Rng& rng, CustomerDraw& x) {
  const bool dormant = rng.bernoulli(0.05);
  const double engagement = rng.normal();
  x.sessions = dormant ? 0.0 : round_to(clamp(std::exp(1.6 + 0.6 * engagement), 0.1, 80.0), 0.1);
  x.minutes = round_to(clamp(std::exp(rng.normal(2.8, 0.5)), 1.0, 240.0), 0.1);
  const double idle_mean = dormant ? 60.0 : 7.0 / (x.sessions / 5.0 + 0.2);
  x.days_idle = std::min(365.0, std::floor((dormant ? 20.0 : 0.0) + exponential(rng, idle_mean)));
}

/// Friction: support tickets and payment failures.
void draw_friction(Rng& rng, CustomerDraw& x) {
  x.tickets = poisson(rng, 0.6 * std::exp(0.4 * rng.normal()) + 0.15 * (x.devices - 1));
  double failure_rate = 0.15;
  if (x.payment == kElectronicCheck) failure_rate *= 2.5;
  if (x.payment == kMailedCheck) failure_rate *= 1.5;
  if (x.autopay == 1) failure_rate *= 0.4;
  x.failures = poisson(rng, failure_rate);
}

/// Discounts (more frequent for long-standing customers; NaN = no discount) and satisfaction
/// (every customer has one, ~65% report it).
void draw_discount_and_satisfaction(Rng& rng, CustomerDraw& x) {
  x.has_discount = rng.bernoulli(0.2 + 0.3 * x.tenure / 72.0);
  const double discount_draw = 5.0 * static_cast<double>(1 + rng.uniform_int(6));
  x.discount = x.has_discount ? discount_draw : kMissing;

  x.satisfaction = std::round(
      clamp(rng.normal(7.6 - 0.6 * x.tickets - 0.8 * (x.failures >= 1.0), 2.0), 0.0, 10.0));
  x.answered = rng.bernoulli(0.65);
}

/// Latent churn score (no intercept), from the true features; draws nothing.
double latent_score(const CustomerDraw& x) {
  double z = x.m2m ? 0.9 : (x.contract == kTwoYear ? -1.4 : -0.3);
  z += 0.012 * (x.monthly - 65.0);
  if (x.m2m && x.monthly > 70.0) z += 0.9;                         // interaction
  z += 1.6 * std::exp(-x.tenure / 5.0);                            // new customers ...
  const double late = std::max(0.0, (x.tenure - 48.0) / 24.0);     // ... and long-standing ones:
  z += 1.4 * late * late;                                          // a U-shape in tenure
  z += x.failures >= 2.0 ? 1.7 : (x.failures >= 1.0 ? 0.2 : 0.0);  // threshold
  z += 0.18 * std::min(x.tickets, 5.0);
  if (x.satisfaction <= 6.0 && x.tickets >= 2.0) z += 0.6;  // interaction
  if (x.days_idle > 30.0) z += 1.0;                         // threshold
  z -= 0.35 * std::log1p(x.sessions);
  if (x.autopay == 1) z -= 0.45;
  if (x.payment == kElectronicCheck) z += 0.35;
  if (x.m2m && x.has_discount && x.discount >= 15.0) z -= 0.5;
  return z;
}

/// Writes `x` to row `r` of `c`, with injected missing values (one draw per column, whatever
/// the rate `mr`).
void store_customer(Rng& rng, const CustomerDraw& x, double mr, std::size_t r, CustomerColumns& c) {
  auto maybe = [&](double v) { return rng.uniform() < mr ? kMissing : v; };
  auto maybe_code = [&](std::int32_t v) { return rng.uniform() < mr ? kMissingCode : v; };
  c.region[r] = maybe_code(x.region);
  c.plan[r] = x.plan;
  c.contract[r] = x.contract;
  c.payment[r] = maybe_code(x.payment);
  c.autopay[r] = x.autopay;
  c.tenure[r] = x.tenure;
  c.monthly[r] = x.monthly;
  c.total[r] = maybe(x.total);
  c.devices[r] = maybe(x.devices);
  c.sessions[r] = maybe(x.sessions);
  c.minutes[r] = maybe(x.minutes);
  c.tickets[r] = x.tickets;
  c.failures[r] = x.failures;
  c.discount[r] = maybe(x.discount);
  c.days_idle[r] = maybe(x.days_idle);
  c.nps[r] = maybe(x.answered ? x.satisfaction : kMissing);
}

/// Draws customer `i` into row `i` of `c`: features, missing values, the latent churn score
/// without intercept, and the uniform that decides the label.
void draw_customer(Rng& rng, Index i, const CustomerOptions& opt, CustomerColumns& c) {
  const auto r = static_cast<std::size_t>(i);
  c.ids[r] = customer_id(i);
  CustomerDraw x;
  draw_account(rng, x);
  draw_billing(rng, x);
  draw_usage(rng, x);
  draw_friction(rng, x);
  draw_discount_and_satisfaction(rng, x);
  c.latent[r] = latent_score(x);
  c.label_u[r] = rng.uniform();

  // Signup date: midnight, `tenure` whole months (plus part of one) before as_of.
  const double days_before = 1.0 + std::floor((x.tenure + rng.uniform()) * 30.4375);
  c.signup[r] = opt.as_of - static_cast<std::int64_t>(days_before) * kNanosPerDay;

  store_customer(rng, x, opt.missing_rate, r, c);
}

/// Sum of sigmoid(z + b) and of its derivative over `z`, in fixed blocks (deterministic).
std::pair<double, double> rate_and_slope(const std::vector<double>& z, double b, int n_threads) {
  return parallel_reduce(
      Index{0}, static_cast<Index>(z.size()), Index{1} << 15, std::pair<double, double>{0.0, 0.0},
      [&](Index lo, Index hi) {
        double s = 0.0, d = 0.0;
        for (Index i = lo; i < hi; ++i) {
          const double p = common::sigmoid(z[static_cast<std::size_t>(i)] + b);
          s += p;
          d += p * (1.0 - p);
        }
        return std::pair<double, double>{s, d};
      },
      [](std::pair<double, double> a, std::pair<double, double> x) {
        return std::pair<double, double>{a.first + x.first, a.second + x.second};
      },
      n_threads);
}

/// The intercept b with mean(sigmoid(z + b)) = target: Newton steps kept inside a bisection
/// bracket, so it always converges.
double solve_intercept(const std::vector<double>& z, double target, int n_threads) {
  const auto [zmin, zmax] = std::minmax_element(z.begin(), z.end());
  const double logit = common::logit(target);
  // mean sigmoid(z + lo) <= sigmoid(zmax + lo) = target, and symmetrically for hi.
  double lo = logit - *zmax, hi = logit - *zmin;
  if (hi - lo < 1e-12) return lo;
  const double n = static_cast<double>(z.size());
  double b = 0.5 * (lo + hi);
  for (int iter = 0; iter < 200; ++iter) {
    const auto [s, d] = rate_and_slope(z, b, n_threads);
    const double f = s / n - target;
    if (std::abs(f) < 1e-12) break;
    if (f < 0.0)
      lo = b;
    else
      hi = b;
    const double newton = d > 0.0 ? b - f * n / d : lo - 1.0;
    b = (newton > lo && newton < hi) ? newton : 0.5 * (lo + hi);
    if (hi - lo < 1e-12) break;
  }
  return b;
}

void validate(const CustomerOptions& o) {
  CHURN_CHECK(o.n_customers >= 1 && o.n_customers <= kMaxSyntheticCustomers, InvalidArgument,
              "make_customers(): n_customers must be in [1, " << kMaxSyntheticCustomers << "], got "
                                                              << o.n_customers);
  CHURN_CHECK(o.missing_rate >= 0.0 && o.missing_rate <= 0.9, InvalidArgument,
              "make_customers(): missing_rate must be in [0, 0.9], got " << o.missing_rate);
  CHURN_CHECK(o.churn_rate > 0.0 && o.churn_rate < 1.0, InvalidArgument,
              "make_customers(): churn_rate must be in (0, 1), got " << o.churn_rate);
  check_n_threads(o.n_threads, "make_customers()");
  const std::int64_t earliest = days_from_civil(1700, 1, 1) * kNanosPerDay;
  CHURN_CHECK(o.as_of >= earliest, InvalidArgument,
              "make_customers(): as_of must be after 1700-01-01, got " << o.as_of << " ns");
}

// ------------------------------------------------------------------------------------------
// Events
// ------------------------------------------------------------------------------------------

/// The events of one block of customers.
struct EventBlock {
  std::vector<Index> customer;
  std::vector<std::int64_t> time;
  std::vector<std::int32_t> type;
  std::vector<double> amount;
};

void validate(const EventOptions& o) {
  CHURN_CHECK(o.n_customers >= 1 && o.n_customers <= kMaxSyntheticCustomers, InvalidArgument,
              "make_events(): n_customers must be in [1, " << kMaxSyntheticCustomers << "], got "
                                                           << o.n_customers);
  CHURN_CHECK(
      std::isfinite(o.events_per_customer) && o.events_per_customer > 0.0, InvalidArgument,
      "make_events(): events_per_customer must be > 0 and finite, got " << o.events_per_customer);
  CHURN_CHECK(o.end > o.start, InvalidArgument,
              "make_events(): end must be > start, got start=" << o.start << ", end=" << o.end);
  check_n_threads(o.n_threads, "make_events()");
  CHURN_CHECK(o.churned.empty() || static_cast<Index>(o.churned.size()) == o.n_customers,
              InvalidArgument,
              "make_events(): churned must be empty or have n_customers = "
                  << o.n_customers << " entries, got " << o.churned.size());
}

/// Draws the events of customers [lo, hi) (block `block_index`) into `out`, then shuffles them.
void draw_event_block(const EventOptions& o, Index lo, Index hi, std::uint64_t block_index,
                      EventBlock& out) {
  Rng rng = Rng::for_stream(o.seed ^ kEventSalt, block_index);
  // Times are drawn in whole seconds when the window allows it, else in nanoseconds.
  const std::uint64_t span =
      static_cast<std::uint64_t>(o.end) - static_cast<std::uint64_t>(o.start);
  const std::uint64_t unit =
      span >= static_cast<std::uint64_t>(kNanosPerSecond) ? kNanosPerSecond : 1;
  const std::uint64_t n_units = span / unit;
  // Gamma-like heterogeneity: 8% inactive, the others log-normal with mean 1 / 0.92.
  constexpr double kInactive = 0.08, kSigma = 0.8;
  const double mu = std::log(1.0 / (1.0 - kInactive)) - 0.5 * kSigma * kSigma;
  static const double kBaseWeights[] = {0.70, 0.14, 0.08, 0.05, 0.03};

  for (Index i = lo; i < hi; ++i) {
    const bool inactive = rng.bernoulli(kInactive);
    const double activity = std::exp(rng.normal(mu, kSigma));
    const bool random_fade = rng.bernoulli(0.2);
    // With churn flags, most (not all) churners fade and a few loyal customers do too: real
    // logs are noisier than "churners go silent", so recency is a strong signal, not a perfect
    // one.
    const double fade_u = rng.uniform();
    const bool fades = o.churned.empty()
                           ? random_fade
                           : fade_u < (o.churned[static_cast<std::size_t>(i)] != 0 ? 0.7 : 0.1);
    const double last_frac = 0.4 + 0.6 * rng.uniform();
    double w[5];
    std::copy(std::begin(kBaseWeights), std::end(kBaseWeights), w);
    if (rng.bernoulli(0.1)) w[3] *= 4.0;  // crash-prone device
    if (rng.bernoulli(0.1)) w[4] *= 5.0;  // payment troubles
    double cum[5];
    double acc = 0.0;
    for (int k = 0; k < 5; ++k) cum[k] = (acc += w[k]);
    if (inactive) continue;
    const double count = poisson(rng, o.events_per_customer * activity);
    const auto n_events = static_cast<Index>(count);
    // Fading customers stop at a last-activity time, their activity declining towards it
    // (density proportional to the time left: x = L (1 - sqrt(1 - u))).
    const std::uint64_t horizon =
        fades ? std::max<std::uint64_t>(
                    1, static_cast<std::uint64_t>(static_cast<double>(n_units) * last_frac))
              : n_units;
    for (Index e = 0; e < n_events; ++e) {
      std::uint64_t k;
      if (fades) {
        const double x = static_cast<double>(horizon) * (1.0 - std::sqrt(1.0 - rng.uniform()));
        k = std::min(horizon - 1, static_cast<std::uint64_t>(x));
      } else {
        k = rng.uniform_int(n_units);
      }
      const auto type = draw_index(rng, cum);
      double amount = kMissing;
      if (type == kPurchase)
        amount = std::max(0.99, round_to(std::exp(rng.normal(3.2, 0.7)), 0.01));
      out.customer.push_back(i);
      out.time.push_back(static_cast<std::int64_t>(static_cast<std::uint64_t>(o.start) + k * unit));
      out.type.push_back(type);
      out.amount.push_back(amount);
    }
  }
  // Fisher-Yates shuffle of the block's events.
  const std::size_t m = out.time.size();
  for (std::size_t j = m; j > 1; --j) {
    const auto k = static_cast<std::size_t>(rng.uniform_int(j));
    std::swap(out.customer[j - 1], out.customer[k]);
    std::swap(out.time[j - 1], out.time[k]);
    std::swap(out.type[j - 1], out.type[k]);
    std::swap(out.amount[j - 1], out.amount[k]);
  }
}

}  // namespace

std::string customer_id(Index i) {
  CHURN_CHECK(i >= 0, InvalidArgument, "customer_id(): i must be >= 0, got " << i);
  std::string digits = std::to_string(i + 1);
  if (digits.size() < 7) digits.insert(0, 7 - digits.size(), '0');
  return "C" + digits;
}

Table make_customers(const CustomerOptions& options) {
  validate(options);
  const Index n = options.n_customers;
  CustomerColumns c(static_cast<std::size_t>(n));
  parallel_for_blocks(0, n, kBlock, options.n_threads, [&](Index lo, Index hi) {
    Rng rng =
        Rng::for_stream(options.seed ^ kCustomerSalt, static_cast<std::uint64_t>(lo / kBlock));
    for (Index i = lo; i < hi; ++i) draw_customer(rng, i, options, c);
  });

  const double b = solve_intercept(c.latent, options.churn_rate, options.n_threads);
  std::vector<std::int64_t> churned(static_cast<std::size_t>(n));
  parallel_for_blocks(0, n, kBlock, options.n_threads, [&](Index lo, Index hi) {
    for (Index i = lo; i < hi; ++i) {
      const auto r = static_cast<std::size_t>(i);
      churned[r] = c.label_u[r] < common::sigmoid(c.latent[r] + b) ? 1 : 0;
    }
  });

  std::vector<Column> cols;
  cols.reserve(19);
  cols.push_back(Column::from_strings("customer_id", std::move(c.ids)));
  cols.push_back(Column::from_timestamp("signup_date", std::move(c.signup)));
  cols.push_back(Column::from_codes("region", std::move(c.region), regions()));
  cols.push_back(Column::from_codes("plan", std::move(c.plan), plans()));
  cols.push_back(Column::from_codes("contract", std::move(c.contract), contracts()));
  cols.push_back(Column::from_codes("payment_method", std::move(c.payment), payment_methods()));
  cols.push_back(Column::from_codes("autopay", std::move(c.autopay), yes_no()));
  cols.push_back(Column::from_float64("tenure_months", std::move(c.tenure)));
  cols.push_back(Column::from_float64("monthly_charges", std::move(c.monthly)));
  cols.push_back(Column::from_float64("total_charges", std::move(c.total)));
  cols.push_back(Column::from_float64("num_devices", std::move(c.devices)));
  cols.push_back(Column::from_float64("sessions_per_week", std::move(c.sessions)));
  cols.push_back(Column::from_float64("avg_session_minutes", std::move(c.minutes)));
  cols.push_back(Column::from_float64("support_tickets", std::move(c.tickets)));
  cols.push_back(Column::from_float64("payment_failures", std::move(c.failures)));
  cols.push_back(Column::from_float64("discount_pct", std::move(c.discount)));
  cols.push_back(Column::from_float64("days_since_last_login", std::move(c.days_idle)));
  cols.push_back(Column::from_float64("nps_score", std::move(c.nps)));
  cols.push_back(Column::from_int64("churned", std::move(churned)));
  return Table(std::move(cols));
}

Table make_events(const EventOptions& options) {
  validate(options);
  const Index n = options.n_customers;
  const Index n_blocks = (n + kBlock - 1) / kBlock;
  std::vector<EventBlock> blocks(static_cast<std::size_t>(n_blocks));
  parallel_for_blocks(0, n, kBlock, options.n_threads, [&](Index lo, Index hi) {
    const Index b = lo / kBlock;
    draw_event_block(options, lo, hi, static_cast<std::uint64_t>(b),
                     blocks[static_cast<std::size_t>(b)]);
  });

  // Concatenate the blocks in order.
  std::vector<std::size_t> offset(blocks.size() + 1, 0);
  for (std::size_t b = 0; b < blocks.size(); ++b) offset[b + 1] = offset[b] + blocks[b].time.size();
  const std::size_t total = offset.back();
  std::vector<std::string> ids(total);
  std::vector<std::int64_t> time(total);
  std::vector<std::int32_t> type(total);
  std::vector<double> amount(total);
  parallel_for(0, n_blocks, options.n_threads, [&](Index bi) {
    const auto b = static_cast<std::size_t>(bi);
    EventBlock& blk = blocks[b];
    for (std::size_t j = 0; j < blk.time.size(); ++j) {
      const std::size_t r = offset[b] + j;
      ids[r] = customer_id(blk.customer[j]);
      time[r] = blk.time[j];
      type[r] = blk.type[j];
      amount[r] = blk.amount[j];
    }
    blk = EventBlock{};  // release memory early
  });

  std::vector<Column> cols;
  cols.push_back(Column::from_strings("customer_id", std::move(ids)));
  cols.push_back(Column::from_timestamp("timestamp", std::move(time)));
  cols.push_back(Column::from_codes("event_type", std::move(type), event_types()));
  cols.push_back(Column::from_float64("amount", std::move(amount)));
  return Table(std::move(cols));
}

}  // namespace churn::data
