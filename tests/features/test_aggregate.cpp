#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>
#include "churn/core/datetime.hpp"
#include "churn/core/error.hpp"
#include "churn/data/synthetic.hpp"
#include "churn/data/table.hpp"
#include "churn/features/aggregate.hpp"
#include "test_util.hpp"

using churn::Index;
using churn::data::Column;
using churn::data::Table;
using churn::features::aggregate_events;
using churn::features::EventAggregationSpec;
using churn::features::EventAggregator;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::int64_t D = churn::kNanosPerDay;
constexpr std::int64_t H = 3600LL * 1000000000LL;
const std::int64_t kAsOf = 1717200000LL * 1000000000LL;  // 2024-06-01 00:00 UTC

/// One event of the reference's own representation ("" type = missing type).
struct Ev {
  std::string id;
  std::int64_t t;
  std::string type;
  double amount;
};

enum class IdKind { String, Categorical, Int64 };

/// The events as a Table with the spec's default column names.
Table to_table(const std::vector<Ev>& ev, IdKind ids = IdKind::String, bool type_as_string = false,
               bool with_amount = true) {
  std::vector<std::string> id, ty;
  std::vector<std::uint8_t> tvalid;
  std::vector<std::int64_t> t, iid;
  std::vector<double> a;
  for (const auto& e : ev) {
    id.push_back(e.id);
    iid.push_back(std::stoll(e.id.substr(1)));
    t.push_back(e.t);
    ty.push_back(e.type);
    tvalid.push_back(e.type.empty() ? 0 : 1);
    a.push_back(e.amount);
  }
  std::vector<Column> cols;
  if (ids == IdKind::String) cols.push_back(Column::from_strings("customer_id", id));
  if (ids == IdKind::Categorical)
    cols.push_back(Column::from_strings_categorical("customer_id", id));
  if (ids == IdKind::Int64) cols.push_back(Column::from_int64("customer_id", iid));
  cols.push_back(Column::from_timestamp("timestamp", t));
  cols.push_back(type_as_string ? Column::from_strings("event_type", ty, tvalid)
                                : Column::from_strings_categorical("event_type", ty, tvalid));
  if (with_amount) cols.push_back(Column::from_float64("amount", a));
  return Table(std::move(cols));
}

Column id_column(const std::vector<std::string>& ids, IdKind kind) {
  if (kind == IdKind::String) return Column::from_strings("customer_id", ids);
  if (kind == IdKind::Categorical) return Column::from_strings_categorical("customer_id", ids);
  std::vector<std::int64_t> v;
  for (const auto& s : ids) v.push_back(std::stoll(s.substr(1)));
  return Column::from_int64("customer_id", v);
}

/// Brute force: every feature of every row straight from the definitions in aggregate.hpp,
/// by name. `types_out` receives the per-type feature types (sorted names found, or the spec's).
std::map<std::string, std::vector<double>> reference(const std::vector<Ev>& ev,
                                                     const std::vector<std::string>& ids,
                                                     const std::vector<std::int64_t>& as_of,
                                                     const EventAggregationSpec& s,
                                                     std::vector<std::string>* types_out) {
  std::unordered_map<std::string, std::vector<std::size_t>> by_id;
  for (std::size_t i = 0; i < ev.size(); ++i) by_id[ev[i].id].push_back(i);
  const std::size_t n = ids.size();
  std::vector<std::string> types = s.event_types;
  if (types.empty()) {
    std::set<std::string> found;
    for (std::size_t r = 0; r < n; ++r)
      for (auto i : by_id[ids[r]])
        if (ev[i].t < as_of[r] && !ev[i].type.empty()) found.insert(ev[i].type);
    types.assign(found.begin(), found.end());
  }
  if (types_out) *types_out = types;
  std::map<std::string, std::vector<double>> out;
  auto set = [&](const std::string& name, std::size_t r, double v) {
    auto& col = out[name];
    col.resize(n, -12345.0);
    col[r] = v;
  };
  for (std::size_t r = 0; r < n; ++r) {
    const std::int64_t A = as_of[r];
    const auto& mine = by_id[ids[r]];
    auto in = [&](const Ev& e, std::int64_t lo_days, std::int64_t hi_days) {
      // lo_days < age <= hi_days, in days
      return e.t < A - lo_days * D && e.t >= A - hi_days * D;
    };
    auto count = [&](const std::string& type, std::int64_t lo, std::int64_t hi) {
      double c = 0;
      for (auto i : mine)
        if (in(ev[i], lo, hi) && (type.empty() || ev[i].type == type)) c += 1;
      return c;
    };
    for (Index w : s.windows_days) {
      const std::string suf = "_" + std::to_string(w) + "d";
      for (const auto& ty : types) {
        if (s.type_counts) set(ty + "_count" + suf, r, count(ty, 0, w));
        if (s.trends) {
          const double now = count(ty, 0, w), before = count(ty, w, 2 * w);
          set(ty + "_count_trend" + suf, r, before == 0 ? kNaN : now / before);
        }
      }
      if (s.total_counts) {
        set("event_count" + suf, r, count("", 0, w));
        if (s.trends) {
          const double now = count("", 0, w), before = count("", w, 2 * w);
          set("event_count_trend" + suf, r, before == 0 ? kNaN : now / before);
        }
      }
      if (!s.amount_column.empty()) {
        std::vector<std::string> groups;
        if (s.amount_overall) groups.push_back("");
        for (const auto& t : s.amount_event_types) groups.push_back(t);
        for (const auto& g : groups) {
          double sum = 0, mx = kNaN, cnt = 0;
          for (auto i : mine) {
            const Ev& e = ev[i];
            if (!in(e, 0, w) || std::isnan(e.amount) || (!g.empty() && e.type != g)) continue;
            sum += e.amount;
            cnt += 1;
            if (std::isnan(mx) || e.amount > mx) mx = e.amount;
          }
          const std::string p = g.empty() ? "amount" : g + "_amount";
          if (s.amount_sum) set(p + "_sum" + suf, r, sum);
          if (s.amount_mean) set(p + "_mean" + suf, r, cnt == 0 ? kNaN : sum / cnt);
          if (s.amount_max) set(p + "_max" + suf, r, mx == 0 ? 0.0 : mx);
        }
      }
      if (s.active_days) {
        double days = 0;
        for (Index k = 0; k < w; ++k) {
          bool any = false;
          for (auto i : mine) any = any || in(ev[i], k, k + 1);
          days += any ? 1 : 0;
        }
        set("active_days" + suf, r, days);
      }
    }
    auto since = [&](const std::string& type, bool want_last) {
      bool found = false;
      std::int64_t best = 0;
      for (auto i : mine) {
        const Ev& e = ev[i];
        if (e.t >= A || (!type.empty() && e.type != type)) continue;
        if (!found || (want_last ? e.t > best : e.t < best)) best = e.t;
        found = true;
      }
      return found ? static_cast<double>(A - best) / static_cast<double>(D) : kNaN;
    };
    if (s.recency) set("days_since_last_event", r, since("", true));
    if (s.type_recency)
      for (const auto& ty : types) set("days_since_last_" + ty, r, since(ty, true));
    if (s.days_since_first) set("days_since_first_event", r, since("", false));
  }
  return out;
}

bool same_bits(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return a == b && std::signbit(a) == std::signbit(b);
}

/// Every feature column of `got` equals the reference bit for bit, and no column is missing.
/// With `sum_tol` > 0, amount sums and means (exact sums rounded once, where the reference sums
/// naively) need only agree to that relative tolerance.
void check_against(const Table& got, const std::map<std::string, std::vector<double>>& ref,
                   Index n_keys, const std::string& ctx, double sum_tol = 0) {
  BOOST_TEST(got.num_columns() == static_cast<Index>(ref.size()) + n_keys, ctx);
  for (const auto& [name, col] : ref) {
    BOOST_TEST_CONTEXT(ctx << " column " << name) {
      BOOST_TEST_REQUIRE(got.has_column(name));
      auto v = got.column(name).as_float64();
      BOOST_TEST_REQUIRE(v.size() == static_cast<Index>(col.size()));
      const bool is_sum = name.find("amount_sum") != std::string::npos ||
                          name.find("amount_mean") != std::string::npos;
      const double tol = is_sum ? sum_tol : 0.0;
      Index bad = 0;
      for (Index r = 0; r < v.size(); ++r)
        if (!same_bits(v[r], col[static_cast<std::size_t>(r)]) &&
            !(tol > 0 && std::fabs(v[r] - col[static_cast<std::size_t>(r)]) <=
                             tol * std::fabs(col[static_cast<std::size_t>(r)]))) {
          if (bad++ < 3)
            BOOST_ERROR("row " << r << ": got " << v[r] << ", expected "
                               << col[static_cast<std::size_t>(r)]);
        }
      BOOST_TEST(bad == 0);
    }
  }
}

/// Two tables are identical: names, types and every value bit for bit.
void check_identical(const Table& a, const Table& b, const std::string& ctx) {
  BOOST_TEST_REQUIRE((a.column_names() == b.column_names()), ctx);
  BOOST_TEST_REQUIRE(a.num_rows() == b.num_rows(), ctx);
  for (Index c = 0; c < a.num_columns(); ++c) {
    const Column& x = a.column(c);
    if (x.dtype() != churn::data::DType::Float64) continue;
    auto u = x.as_float64();
    auto v = b.column(c).as_float64();
    Index bad = 0;
    for (Index r = 0; r < u.size(); ++r) bad += same_bits(u[r], v[r]) ? 0 : 1;
    BOOST_TEST(bad == 0, ctx << " column " << x.name());
  }
}

/// A random event log over customers c1..c<n_ids>, with ties and events exactly on the as-of and
/// on window boundaries (for `windows`), in random order. Amounts are multiples of 0.25 when
/// `exact_amounts` (so a naive double sum is exact) or arbitrary doubles otherwise.
std::vector<Ev> random_events(std::uint64_t seed, int n_ids, int n_events,
                              const std::vector<Index>& windows, std::int64_t as_of,
                              bool exact_amounts = true) {
  std::mt19937_64 rng(seed);
  const std::vector<std::string> types = {"login", "purchase", "crash", "support_ticket"};
  std::uniform_int_distribution<int> pick_id(1, n_ids), pick_type(0, 3), pct(0, 99);
  std::uniform_int_distribution<std::int64_t> hours(-24 * 10, 24 * 200);
  std::vector<Ev> ev;
  const Index wmax = *std::max_element(windows.begin(), windows.end());
  for (int i = 0; i < n_events; ++i) {
    Ev e;
    e.id = "c" + std::to_string(pick_id(rng));
    const int mode = pct(rng);
    const Index w = windows[static_cast<std::size_t>(pct(rng)) % windows.size()];
    if (mode < 5) {
      e.t = as_of;  // exactly at the as-of: excluded
    } else if (mode < 10) {
      e.t = as_of - w * D;  // exactly on a window boundary: included
    } else if (mode < 13) {
      e.t = as_of - w * D - 1;  // one ns older: outside
    } else if (mode < 16) {
      e.t = as_of - 2 * w * D;  // boundary of the trend's earlier window
    } else if (mode < 20 && !ev.empty()) {
      e.t = ev[static_cast<std::size_t>(pct(rng)) % ev.size()].t;  // a tie
    } else {
      e.t = as_of - hours(rng) * H * std::max<Index>(1, wmax / 60) - pct(rng) * 1000003;
    }
    const int tp = pct(rng);
    e.type = tp < 4 ? "" : types[static_cast<std::size_t>(pick_type(rng))];
    const int ap = pct(rng);
    if (ap < 30) {
      e.amount = kNaN;
    } else if (exact_amounts) {
      e.amount = static_cast<double>(pct(rng) * 8 - 100) * 0.25;
    } else {
      std::uniform_real_distribution<double> u(-1000.0, 1000.0);
      e.amount = u(rng) * (ap < 60 ? 1.0 : 1e-3);
      if (ap == 99) e.amount = -0.0;
    }
    ev.push_back(e);
  }
  return ev;
}

std::vector<std::string> id_list(int n) {
  std::vector<std::string> v;
  for (int i = 1; i <= n; ++i) v.push_back("c" + std::to_string(i));
  return v;
}

EventAggregationSpec full_spec(std::vector<Index> windows) {
  EventAggregationSpec s;
  s.windows_days = std::move(windows);
  s.amount_column = "amount";
  s.total_counts = true;
  s.amount_event_types = {"purchase"};
  return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(features_aggregate)

BOOST_AUTO_TEST_CASE(tiny_log_hand_checked) {
  // as-of 2024-06-01; c1: 3 events, c2: one event exactly at the as-of (excluded), c3: none.
  const std::vector<Ev> ev = {
      {"c1", kAsOf - 1 * D, "login", kNaN},         // 1 day before
      {"c1", kAsOf - 1 * D - H, "purchase", 10.0},  // 25 h back: the second 24 h period
      {"c1", kAsOf - 8 * D, "purchase", 30.0},      // outside 7d, inside 30d
      {"c2", kAsOf, "login", kNaN},                 // at the as-of: never counts
      {"c9", kAsOf - D, "login", kNaN},             // not a customer: ignored
  };
  EventAggregationSpec s;
  s.windows_days = {7, 30};
  s.amount_column = "amount";
  s.amount_overall = false;
  s.amount_event_types = {"purchase"};
  s.amount_mean = false;
  s.amount_max = false;
  EventAggregator agg(s, id_column({"c1", "c2", "c3"}, IdKind::String), kAsOf);
  agg.update(to_table(ev));
  const Table t = agg.result();
  const std::vector<std::string> names = {"customer_id",
                                          "login_count_7d",
                                          "purchase_count_7d",
                                          "purchase_amount_sum_7d",
                                          "active_days_7d",
                                          "login_count_30d",
                                          "purchase_count_30d",
                                          "purchase_amount_sum_30d",
                                          "active_days_30d",
                                          "login_count_trend_7d",
                                          "purchase_count_trend_7d",
                                          "login_count_trend_30d",
                                          "purchase_count_trend_30d",
                                          "days_since_last_event",
                                          "days_since_last_login",
                                          "days_since_last_purchase",
                                          "days_since_first_event"};
  BOOST_TEST(t.column_names() == names, boost::test_tools::per_element());
  BOOST_TEST(agg.feature_names().size() == names.size() - 1);
  auto col = [&](const char* n) { return t.column(n).as_float64(); };
  BOOST_TEST(col("login_count_7d")[0] == 1.0);
  BOOST_TEST(col("login_count_7d")[1] == 0.0);
  BOOST_TEST(col("purchase_count_7d")[0] == 1.0);
  BOOST_TEST(col("purchase_count_30d")[0] == 2.0);
  BOOST_TEST(col("purchase_amount_sum_7d")[0] == 10.0);
  BOOST_TEST(col("purchase_amount_sum_30d")[0] == 40.0);
  BOOST_TEST(col("purchase_amount_sum_30d")[2] == 0.0);
  BOOST_TEST(col("active_days_7d")[0] == 2.0);
  BOOST_TEST(col("active_days_30d")[0] == 3.0);
  BOOST_TEST(col("purchase_count_trend_7d")[0] == 1.0);    // 1 in the last 7 d, 1 in the 7 before
  BOOST_TEST(std::isnan(col("login_count_trend_7d")[0]));  // nothing in the 7 d before
  BOOST_TEST(col("days_since_last_event")[0] == 1.0);
  BOOST_TEST(col("days_since_first_event")[0] == 8.0);
  BOOST_TEST(col("days_since_last_purchase")[0] ==
             static_cast<double>(D + H) / static_cast<double>(D));
  for (const char* n :
       {"days_since_last_event", "days_since_last_login", "days_since_first_event"}) {
    BOOST_TEST(std::isnan(col(n)[1]), n);  // c2's only event is at the as-of
    BOOST_TEST(std::isnan(col(n)[2]), n);  // c3 has none
  }
  BOOST_TEST(col("login_count_30d")[2] == 0.0);
  BOOST_TEST(agg.n_events_seen() == 5);
  BOOST_TEST(agg.n_events_unmatched() == 1);
}

BOOST_AUTO_TEST_CASE(window_boundaries_and_ties) {
  // Window [as_of - 7 days, as_of): an event exactly 7 days back is in, 1 ns older is out.
  const std::vector<Ev> ev = {{"c1", kAsOf - 7 * D, "login", kNaN},
                              {"c1", kAsOf - 7 * D, "login", kNaN},  // tie
                              {"c1", kAsOf - 7 * D - 1, "login", kNaN},
                              {"c1", kAsOf - 1, "login", kNaN},
                              {"c1", kAsOf, "login", kNaN},
                              {"c1", kAsOf + 1, "login", kNaN}};
  EventAggregationSpec s;
  s.windows_days = {7};
  const Table t = aggregate_events(to_table(ev), id_column({"c1"}, IdKind::String), kAsOf, s);
  BOOST_TEST(t.column("login_count_7d").as_float64()[0] == 3.0);
  // Periods counted back: (as_of - 1 ns) is in day 0, as_of - 7 days in day 6, -1 ns in day 7.
  BOOST_TEST(t.column("active_days_7d").as_float64()[0] == 2.0);
  // The earlier trend window (7, 14] days holds the event 7 days + 1 ns back.
  BOOST_TEST(t.column("login_count_trend_7d").as_float64()[0] == 3.0);
  BOOST_TEST(t.column("days_since_last_event").as_float64()[0] == 1.0 / static_cast<double>(D));
}

BOOST_AUTO_TEST_CASE(matches_brute_force_reference) {
  const std::vector<std::vector<Index>> window_sets = {{7, 30, 90}, {1, 3}, {10, 20, 5}, {64, 65}};
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    const auto& windows = window_sets[seed % window_sets.size()];
    const IdKind kind = static_cast<IdKind>(seed % 3);
    const bool type_as_string = seed % 2 == 0;
    const int n_ids = 40;
    const std::int64_t as_of = kAsOf + static_cast<std::int64_t>(seed) * 7919 * 1000000LL;
    const auto ev = random_events(seed, n_ids + 10, 1500, windows, as_of);
    EventAggregationSpec s = full_spec(windows);
    s.n_threads = static_cast<int>(seed % 3) + 1;
    if (seed % 4 == 3) s.event_types = {"purchase", "login", "never_seen"};
    if (seed % 4 == 1) s.event_types = {"login", "crash"};  // amount type "purchase" not listed
    // Customers c1..c40 (events also go to c41..c50, who are not customers), plus c999 with no
    // events, in a shuffled order.
    auto ids = id_list(n_ids);
    ids.push_back("c999");
    std::shuffle(ids.begin(), ids.end(), std::mt19937_64(seed));
    const std::string ctx = "seed " + std::to_string(seed);
    {  // one as-of for everyone
      EventAggregator agg(s, id_column(ids, kind), as_of);
      agg.update(to_table(ev, kind, type_as_string));
      const Table got = agg.result();
      std::vector<std::string> types;
      auto ref = reference(ev, ids, std::vector<std::int64_t>(ids.size(), as_of), s, &types);
      BOOST_TEST(types.size() >= 2u);
      check_against(got, ref, 1, ctx);
      BOOST_TEST(got.column(0).value_string(0) == id_column(ids, kind).value_string(0));
    }
    {  // per-row as-of, with repeated customers (training snapshots)
      std::vector<std::string> rows;
      std::vector<std::int64_t> at;
      std::mt19937_64 rng(seed + 100);
      for (const auto& id : ids) {
        const int k = static_cast<int>(rng() % 3);
        for (int j = 0; j <= k; ++j) {
          rows.push_back(id);
          // Whole days and odd offsets, some landing exactly on event times (ties).
          std::int64_t a = as_of - static_cast<std::int64_t>(rng() % 40) * D;
          if (rng() % 5 == 0) a = ev[rng() % ev.size()].t;
          if (rng() % 7 == 0) a += static_cast<std::int64_t>(rng() % 1000000);
          at.push_back(a);
        }
      }
      const Table customers({id_column(rows, kind), Column::from_timestamp("snapshot", at)});
      EventAggregator agg(s, customers, "snapshot");
      agg.update(to_table(ev, kind, type_as_string));
      const Table got = agg.result();
      BOOST_TEST(got.column(1).name() == "snapshot");
      check_against(got, reference(ev, rows, at, s, nullptr), 2, ctx + " per-row as-of");
    }
  }
}

BOOST_AUTO_TEST_CASE(future_events_never_change_features) {
  for (std::uint64_t seed = 11; seed <= 14; ++seed) {
    const std::vector<Index> windows = {3, 14, 30};
    auto ev = random_events(seed, 30, 800, windows, kAsOf, false);
    std::vector<Ev> past;
    for (const auto& e : ev)
      if (e.t < kAsOf) past.push_back(e);
    const EventAggregationSpec s = full_spec(windows);  // types found in the data
    const auto ids = id_list(30);
    const Table base = aggregate_events(to_table(past), id_column(ids, IdKind::String), kAsOf, s);
    // Add future events: at the as-of, just after, far after; of known and new types, with
    // huge amounts; for customers and non-customers.
    std::mt19937_64 rng(seed);
    auto more = ev;
    for (int i = 0; i < 400; ++i) {
      Ev e;
      e.id = "c" + std::to_string(1 + rng() % 35);
      e.t = kAsOf + (i % 3 == 0 ? 0 : static_cast<std::int64_t>(rng() % (400 * D)));
      e.type = i % 4 == 0 ? "brand_new_type" : (i % 2 ? "login" : "purchase");
      e.amount = i % 5 == 0 ? kNaN : 1e9 * static_cast<double>(i);
      more.push_back(e);
    }
    std::shuffle(more.begin(), more.end(), rng);
    const Table with_future =
        aggregate_events(to_table(more), id_column(ids, IdKind::String), kAsOf, s);
    check_identical(base, with_future, "seed " + std::to_string(seed));

    // Per-row as-of: events at or after each customer's latest as-of.
    std::vector<std::int64_t> at;
    for (std::size_t i = 0; i < ids.size(); ++i)
      at.push_back(kAsOf - static_cast<std::int64_t>(i % 9) * D - static_cast<std::int64_t>(i) * H);
    std::unordered_map<std::string, std::int64_t> at_of;
    for (std::size_t i = 0; i < ids.size(); ++i) at_of[ids[i]] = at[i];
    std::vector<Ev> past2;
    const std::vector<Ev>& future2 = more;
    for (const auto& e : past)
      if (!at_of.count(e.id) || e.t < at_of[e.id]) past2.push_back(e);
    const Table customers({id_column(ids, IdKind::String), Column::from_timestamp("as_of", at)});
    const Table b2 = aggregate_events(to_table(past2), customers, "as_of", s);
    const Table f2 = aggregate_events(to_table(future2), customers, "as_of", s);
    check_identical(b2, f2, "per-row as-of, seed " + std::to_string(seed));
  }
}

BOOST_AUTO_TEST_CASE(chunked_equals_single_pass_bit_for_bit) {
  for (std::uint64_t seed = 21; seed <= 24; ++seed) {
    const std::vector<Index> windows = {7, 30, 90};
    // Arbitrary doubles: a naive sum would depend on the order.
    auto ev = random_events(seed, 60, 3000, windows, kAsOf, false);
    const auto ids = id_list(55);
    EventAggregationSpec s = full_spec(windows);
    s.n_threads = 1;
    const Table single =
        aggregate_events(to_table(ev), id_column(ids, IdKind::Categorical), kAsOf, s);

    std::mt19937_64 rng(seed);
    std::vector<Table> chunks;
    for (std::size_t lo = 0; lo < ev.size();) {
      const std::size_t len = std::min<std::size_t>(ev.size() - lo, 1 + rng() % 700);
      chunks.push_back(
          to_table(std::vector<Ev>(ev.begin() + static_cast<std::ptrdiff_t>(lo),
                                   ev.begin() + static_cast<std::ptrdiff_t>(lo + len))));
      lo += len;
    }
    BOOST_TEST(chunks.size() > 3u);
    for (int threads : {1, 2, 3}) {
      s.n_threads = threads;
      EventAggregator fwd(s, id_column(ids, IdKind::Categorical), kAsOf);
      for (const auto& c : chunks) fwd.update(c);
      check_identical(single, fwd.result(), "chunks, threads " + std::to_string(threads));
      BOOST_TEST(fwd.n_events_seen() == static_cast<Index>(ev.size()));

      EventAggregator rev(s, id_column(ids, IdKind::Categorical), kAsOf);
      for (auto it = chunks.rbegin(); it != chunks.rend(); ++it) rev.update(*it);
      check_identical(single, rev.result(), "reversed chunks");

      auto shuffled = ev;
      std::shuffle(shuffled.begin(), shuffled.end(), rng);
      check_identical(
          single,
          aggregate_events(to_table(shuffled), id_column(ids, IdKind::Categorical), kAsOf, s),
          "shuffled events");
    }
    // Sums are exact sums rounded once: close to the naive reference.
    auto ref = reference(ev, ids, std::vector<std::int64_t>(ids.size(), kAsOf), s, nullptr);
    for (const char* name : {"amount_sum_30d", "amount_mean_90d", "purchase_amount_sum_7d"}) {
      auto v = single.column(name).as_float64();
      const auto& r = ref[name];
      for (Index i = 0; i < v.size(); ++i) {
        const double e = r[static_cast<std::size_t>(i)];
        if (std::isnan(e)) {
          BOOST_TEST(std::isnan(v[i]));
        } else {
          BOOST_TEST(std::fabs(v[i] - e) <= 1e-9 * (1 + std::fabs(e)), name << " row " << i);
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(thread_count_does_not_change_results) {
  // Large enough for the parallel paths: several event parts (>= 2^17 events) and several
  // blocks of customer codes (> 2048 customers).
  churn::data::EventOptions o;
  o.n_customers = 6000;
  o.events_per_customer = 30;
  const Table events = churn::data::make_events(o);
  BOOST_TEST_REQUIRE(events.num_rows() > (Index{1} << 17));
  std::vector<std::string> ids;
  for (Index i = o.n_customers + 50; i-- > 0;) ids.push_back(churn::data::customer_id(i));
  EventAggregationSpec s = full_spec({7, 30, 90});
  s.n_threads = 1;
  const Column idc = id_column(ids, IdKind::String);
  const Table one = aggregate_events(events, idc, o.end - 3 * D, s);
  for (int threads : {2, 3}) {
    s.n_threads = threads;
    check_identical(one, aggregate_events(events, idc, o.end - 3 * D, s),
                    "threads " + std::to_string(threads));
    EventAggregator agg(s, idc, o.end - 3 * D);
    const Index half = events.num_rows() / 2;
    agg.update(events.slice(half, events.num_rows() - half)).update(events.slice(0, half));
    check_identical(one, agg.result(), "two chunks, threads " + std::to_string(threads));
  }
}

BOOST_AUTO_TEST_CASE(customers_without_events_get_defined_values) {
  EventAggregationSpec s = full_spec({7, 30});
  s.event_types = {"login", "purchase"};
  const Table t = aggregate_events(to_table({}), id_column({"c1", "c2"}, IdKind::String), kAsOf, s);
  BOOST_TEST(t.num_rows() == 2);
  for (const auto& c : t.columns()) {
    if (c.dtype() != churn::data::DType::Float64) continue;
    const std::string& n = c.name();
    const bool nan_expected =
        n.find("mean") != std::string::npos || n.find("max") != std::string::npos ||
        n.find("trend") != std::string::npos || n.find("days_since") != std::string::npos;
    for (Index r = 0; r < 2; ++r) {
      if (nan_expected) {
        BOOST_TEST(std::isnan(c.as_float64()[r]), n);
      } else {
        BOOST_TEST(c.as_float64()[r] == 0.0, n);
      }
    }
  }
  BOOST_TEST(t.has_column("purchase_amount_sum_30d"));
  BOOST_TEST(t.has_column("days_since_last_login"));
  // Types found in the data: none, so no per-type column, but the overall ones.
  const Table u =
      aggregate_events(to_table({}), id_column({"c1"}, IdKind::String), kAsOf, full_spec({7}));
  BOOST_TEST(!u.has_column("login_count_7d"));
  BOOST_TEST(u.column("event_count_7d").as_float64()[0] == 0.0);
}

BOOST_AUTO_TEST_CASE(rfm_preset) {
  const std::vector<Ev> ev = {{"c1", kAsOf - 2 * D, "purchase", 5.0},
                              {"c1", kAsOf - 3 * D, "login", kNaN},
                              {"c1", kAsOf - 100 * D, "purchase", 7.0}};
  const Column ids = id_column({"c1", "c2"}, IdKind::String);
  const Table t = aggregate_events(to_table(ev), ids, kAsOf, EventAggregationSpec::rfm(90));
  BOOST_TEST(
      (t.column_names() == std::vector<std::string>{"customer_id", "event_count_90d",
                                                    "amount_sum_90d", "days_since_last_event"}));
  BOOST_TEST(t.column("event_count_90d").as_float64()[0] == 2.0);
  BOOST_TEST(t.column("amount_sum_90d").as_float64()[0] == 5.0);
  BOOST_TEST(t.column("days_since_last_event").as_float64()[0] == 2.0);
  BOOST_TEST(std::isnan(t.column("days_since_last_event").as_float64()[1]));
  const Table p = aggregate_events(to_table(ev), ids, kAsOf,
                                   EventAggregationSpec::rfm(365, "amount", "purchase"));
  BOOST_TEST(
      (p.column_names() ==
       std::vector<std::string>{"customer_id", "purchase_count_365d", "purchase_amount_sum_365d",
                                "days_since_last_event", "days_since_last_purchase"}));
  BOOST_TEST(p.column("purchase_amount_sum_365d").as_float64()[0] == 12.0);
  BOOST_TEST(p.column("purchase_count_365d").as_float64()[0] == 2.0);
}

BOOST_AUTO_TEST_CASE(spec_json_round_trip) {
  EventAggregationSpec s = full_spec({3, 14});
  s.event_types = {"login"};
  s.trends = false;
  s.n_threads = 2;
  const EventAggregationSpec back = EventAggregationSpec::from_json(s.to_json());
  BOOST_TEST(back.to_json() == s.to_json());
  BOOST_TEST((back.windows_days == std::vector<Index>{3, 14}));
  BOOST_TEST(back.amount_column == "amount");
  BOOST_TEST(!back.trends);
  churn::Json j = s.to_json();
  j["window_days"] = {7};  // a typo is an error, not ignored
  BOOST_CHECK_THROW(EventAggregationSpec::from_json(j), churn::SerializationError);
  j = s.to_json();
  j["windows_days"] = {7.5};
  BOOST_CHECK_THROW(EventAggregationSpec::from_json(j), churn::SerializationError);
  j["windows_days"] = {-7};
  BOOST_CHECK_THROW(EventAggregationSpec::from_json(j), churn::SerializationError);
  j = s.to_json();
  j["trends"] = "yes";
  BOOST_CHECK_THROW(EventAggregationSpec::from_json(j), churn::SerializationError);
}

BOOST_AUTO_TEST_CASE(spec_from_options_names_the_field) {
  using churn::Json;
  const EventAggregationSpec s = EventAggregationSpec::from_options(
      Json{{"windows_days", {3, 14}}, {"amount_column", "amount"}, {"trends", false}}, "EA");
  BOOST_TEST((s.windows_days == std::vector<Index>{3, 14}));
  BOOST_TEST(!s.trends);
  BOOST_TEST(s.id_column == "customer_id");  // a default
  BOOST_TEST(EventAggregationSpec::from_options(s.to_json(), "EA").to_json() == s.to_json());
  auto make = [](const Json& j) { EventAggregationSpec::from_options(j, "EA"); };
  BOOST_TEST(churn_test::throws_with<churn::InvalidArgument>(
      [&] {
        make(Json{{"window_days", {7}}});
      },
      "EA: unknown parameter 'window_days'"));
  BOOST_TEST(churn_test::throws_with<churn::TypeMismatch>(
      [&] {
        make(Json{{"windows_days", {7.5}}});
      },
      "EA: windows_days must be a list of ints"));
  BOOST_TEST(churn_test::throws_with<churn::TypeMismatch>(
      [&] {
        make(Json{{"event_types", {1}}});
      },
      "EA: event_types must be a list of strings"));
  BOOST_TEST(churn_test::throws_with<churn::TypeMismatch>(
      [&] {
        make(Json{{"trends", "yes"}});
      },
      "EA: trends must be a bool"));
  BOOST_CHECK_THROW(make(Json{{"windows_days", {-7}}}), churn::InvalidArgument);
}

BOOST_AUTO_TEST_CASE(synthetic_event_log_matches_reference) {
  churn::data::EventOptions o;
  o.n_customers = 400;
  o.events_per_customer = 15;
  const Table events = churn::data::make_events(o);
  std::vector<Ev> ev;
  for (Index i = 0; i < events.num_rows(); ++i)
    ev.push_back(
        {events.column("customer_id").value_string(i), events.column("timestamp").as_int64()[i],
         events.column("event_type").value_string(i), events.column("amount").as_float64()[i]});
  std::vector<std::string> ids;
  for (Index i = 0; i < o.n_customers; ++i) ids.push_back(churn::data::customer_id(i));
  const std::int64_t as_of = o.end - 20 * D;
  EventAggregationSpec s = full_spec({7, 30, 90});
  const Table got = aggregate_events(events, id_column(ids, IdKind::String), as_of, s);
  std::vector<std::string> types;
  check_against(got, reference(ev, ids, std::vector<std::int64_t>(ids.size(), as_of), s, &types), 1,
                "synthetic", 1e-14);
  BOOST_TEST((types == std::vector<std::string>{"crash", "login", "payment_failure", "purchase",
                                                "support_ticket"}));
}

BOOST_AUTO_TEST_CASE(bad_input_raises_clear_errors) {
  using churn::InvalidArgument;
  using churn::TypeMismatch;
  auto message_has = [](const std::string& part) {
    return [part](const churn::Error& e) {
      const bool ok = std::string(e.what()).find(part) != std::string::npos;
      if (!ok) BOOST_TEST_MESSAGE("message: " << e.what());
      return ok;
    };
  };
  const Column ids = id_column({"c1", "c2"}, IdKind::String);
  const std::vector<Ev> ev = {{"c1", kAsOf - D, "login", 1.0}};
  const Table good = to_table(ev);
  EventAggregationSpec s = full_spec({7});

  // Spec.
  EventAggregationSpec bad = s;
  bad.windows_days = {7, -1};
  BOOST_CHECK_EXCEPTION(bad.validate(), InvalidArgument, message_has("windows_days"));
  bad.windows_days = {0};
  BOOST_CHECK_EXCEPTION((void)EventAggregator(bad, ids, kAsOf), InvalidArgument,
                        message_has("windows_days"));
  bad.windows_days = {};
  BOOST_CHECK_EXCEPTION(bad.validate(), InvalidArgument, message_has("windows_days"));
  bad.windows_days = {7, 7};
  BOOST_CHECK_EXCEPTION(bad.validate(), InvalidArgument, message_has("distinct"));
  bad = EventAggregationSpec{};
  bad.type_counts = bad.trends = bad.active_days = bad.recency = bad.type_recency = false;
  bad.days_since_first = false;
  BOOST_CHECK_EXCEPTION(bad.validate(), InvalidArgument, message_has("no feature"));
  bad = EventAggregationSpec{};
  bad.amount_event_types = {"purchase"};
  BOOST_CHECK_EXCEPTION(bad.validate(), InvalidArgument, message_has("amount_column"));
  bad = s;
  bad.event_types = {"a", "a"};
  BOOST_CHECK_EXCEPTION(bad.validate(), InvalidArgument, message_has("event_types"));
  bad = s;
  bad.n_threads = -1;
  BOOST_CHECK_EXCEPTION(bad.validate(), InvalidArgument, message_has("n_threads"));

  // Customers.
  BOOST_CHECK_EXCEPTION((void)EventAggregator(s, Column::from_float64("customer_id", {1.0}), kAsOf),
                        TypeMismatch, message_has("customer_id"));
  BOOST_CHECK_EXCEPTION(
      EventAggregator(s, Column::from_strings("customer_id", {"a", "b"}, {1, 0}), kAsOf),
      InvalidArgument, message_has("customer_id"));
  BOOST_CHECK_EXCEPTION((void)EventAggregator(s, ids, churn::kNaT), InvalidArgument,
                        message_has("as_of"));
  const Table cust({ids, Column::from_timestamp("snap", {kAsOf, churn::kNaT}),
                    Column::from_int64("snap_int", {1, 2})});
  BOOST_CHECK_EXCEPTION((void)EventAggregator(s, cust, "snap"), InvalidArgument,
                        message_has("snap"));
  BOOST_CHECK_EXCEPTION((void)EventAggregator(s, cust, "snap_int"), TypeMismatch,
                        message_has("snap_int"));
  BOOST_CHECK_EXCEPTION((void)EventAggregator(s, cust, "nope"), InvalidArgument,
                        message_has("nope"));
  BOOST_CHECK_EXCEPTION((void)EventAggregator(s, cust, "snap", "cid"), InvalidArgument,
                        message_has("cid"));

  // Events: missing columns and wrong types name the column.
  EventAggregator agg(s, ids, kAsOf);
  BOOST_CHECK_EXCEPTION(agg.update(good.drop({"timestamp"})), InvalidArgument,
                        message_has("timestamp"));
  BOOST_CHECK_EXCEPTION(agg.update(good.drop({"amount"})), InvalidArgument, message_has("amount"));
  BOOST_CHECK_EXCEPTION(agg.update(good.drop({"event_type"})), InvalidArgument,
                        message_has("event_type"));
  Table t = good;
  t.set_column(Column::from_int64("timestamp", {5}));
  BOOST_CHECK_EXCEPTION(agg.update(t), TypeMismatch, message_has("timestamp"));
  t = good;
  t.set_column(Column::from_float64("event_type", {1.0}));
  BOOST_CHECK_EXCEPTION(agg.update(t), TypeMismatch, message_has("event_type"));
  t = good;
  t.set_column(Column::from_strings("amount", {"1"}));
  BOOST_CHECK_EXCEPTION(agg.update(t), TypeMismatch, message_has("amount"));
  t = good;
  t.set_column(Column::from_int64("customer_id", {1}));
  BOOST_CHECK_EXCEPTION(agg.update(t), TypeMismatch, message_has("customer_id"));
  // NaT timestamps and infinite amounts are rejected, naming the column and the row.
  t = to_table({{"c1", kAsOf - D, "login", 1.0}, {"c1", churn::kNaT, "login", 1.0}});
  BOOST_CHECK_EXCEPTION(agg.update(t), InvalidArgument, message_has("'timestamp' is missing"));
  t = to_table({{"c1", kAsOf - D, "login", 1.0},
                {"c1", kAsOf - D, "login", std::numeric_limits<double>::infinity()}});
  BOOST_CHECK_EXCEPTION(agg.update(t), InvalidArgument, message_has("row 1"));
  t = to_table({{"c1", kAsOf - D, "login", 1e13}});
  BOOST_CHECK_EXCEPTION(agg.update(t), InvalidArgument, message_has("amount"));
  // A rejected chunk changed nothing.
  BOOST_TEST(agg.n_events_seen() == 0);
  agg.update(good);
  check_identical(agg.result(), aggregate_events(good, ids, kAsOf, s), "after rejected chunks");
  // Int64 customer ids need int64 event ids.
  EventAggregator by_int(s, id_column({"c1"}, IdKind::Int64), kAsOf);
  BOOST_CHECK_EXCEPTION(by_int.update(good), TypeMismatch, message_has("customer_id"));
}

BOOST_AUTO_TEST_SUITE_END()
