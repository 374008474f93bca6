#include "churn/features/aggregate.hpp"

#include <algorithm>      // std::sort, std::unique, std::max, std::min, std::find
#include <cmath>          // std::isnan, std::isfinite, std::ldexp, std::fabs
#include <cstddef>        // std::size_t
#include <cstdint>        // std::int32_t, std::int64_t, std::uint32_t, std::uint64_t
#include <cstring>        // std::memcpy
#include <limits>         // std::numeric_limits
#include <string_view>    // std::string_view
#include <unordered_map>  // std::unordered_map
#include <unordered_set>  // std::unordered_set
#include <utility>        // std::move

#include "churn/core/datetime.hpp"
#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "churn/core/stop.hpp"
#include "common/checks.hpp"
#include "common/hash.hpp"
#include "common/json.hpp"
#include "common/params.hpp"

namespace churn::features {

using common::json_get;
using common::json_get_int;

using data::Column;
using data::DType;
using data::dtype_name;
using data::Table;
namespace {

__extension__ typedef __int128 Int128;  // exact fixed-point amount sums (GCC/Clang)

/// Fixed-point scale of amounts: a sum is stored as an integer number of 2^-kAmountShift.
constexpr int kAmountShift = 55;
/// 2^kAmountShift.
constexpr double kAmountScale = 36028797018963968.0;
/// Amounts must satisfy |x| < 2^kAmountMaxLog2, so that 2^32 of them fit an Int128 sum.
constexpr int kAmountMaxLog2 = 40;
/// Longest window, in days (100 years).
constexpr Index kMaxWindowDays = 36500;

const char* kUpdate = "EventAggregator::update(): ";

std::string days_suffix(Index w) {
  return "_" + std::to_string(w) + "d";
}

/// Sorted distinct bounds in days -> index of each requested bound.
int bucket_of(const std::vector<Index>& bounds, Index days) {
  return static_cast<int>(std::find(bounds.begin(), bounds.end(), days) - bounds.begin());
}

/// Index of the first bound (in ns) >= age, or bounds.size() when the age exceeds them all.
inline int find_bucket(const std::vector<std::uint64_t>& bounds_ns, std::uint64_t age) {
  int b = 0;
  const int n = static_cast<int>(bounds_ns.size());
  while (b < n && age > bounds_ns[static_cast<std::size_t>(b)]) ++b;
  return b;
}

inline std::size_t sz(Index i) {
  return static_cast<std::size_t>(i);
}

bool is_text(DType t) {
  return t == DType::String || t == DType::Categorical;
}

inline std::uint64_t hash_key(std::int64_t k) {
  return common::hash_int(k);
}
inline std::uint64_t hash_key(std::string_view s) {
  return common::hash_bytes(s);
}

/// Open-addressing map from a key (int64, or a string_view into storage the caller keeps
/// alive) to a dense code 0, 1, ... in order of insertion. Sized once for `capacity` keys.
template <class Key>
class FlatIndex {
 public:
  explicit FlatIndex(std::size_t capacity = 0) {
    std::size_t n = 16;
    while (n < 2 * capacity) n *= 2;
    slots_.assign(n, Slot{0, -1});
    mask_ = n - 1;
  }
  /// The code of `k`, inserting it when new.
  std::int32_t insert(Key k) {
    const std::uint64_t h = hash_key(k);
    const auto tag = static_cast<std::uint32_t>(h >> 32);
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.code < 0) {
        s = Slot{tag, static_cast<std::int32_t>(keys_.size())};
        keys_.push_back(k);
        return s.code;
      }
      if (s.tag == tag && keys_[sz(s.code)] == k) return s.code;
    }
  }
  /// The code of `k`, or -1.
  std::int32_t find(Key k) const {
    const std::uint64_t h = hash_key(k);
    const auto tag = static_cast<std::uint32_t>(h >> 32);
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.code < 0) return -1;
      if (s.tag == tag && keys_[sz(s.code)] == k) return s.code;
    }
  }
  std::size_t size() const { return keys_.size(); }

 private:
  struct Slot {
    std::uint32_t tag;
    std::int32_t code;
  };
  std::vector<Slot> slots_;
  std::vector<Key> keys_;
  std::size_t mask_ = 0;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Spec
// ---------------------------------------------------------------------------------------------

void EventAggregationSpec::validate() const {
  const char* w = "EventAggregationSpec: ";
  CHURN_CHECK(!id_column.empty(), InvalidArgument, w << "id_column must not be empty");
  CHURN_CHECK(!time_column.empty(), InvalidArgument, w << "time_column must not be empty");
  CHURN_CHECK(!type_column.empty(), InvalidArgument, w << "type_column must not be empty");
  CHURN_CHECK(!windows_days.empty(), InvalidArgument,
              w << "windows_days must hold at least one window");
  for (std::size_t i = 0; i < windows_days.size(); ++i) {
    const Index d = windows_days[i];
    CHURN_CHECK(d >= 1 && d <= kMaxWindowDays, InvalidArgument,
                w << "windows_days must be in [1, " << kMaxWindowDays << "] days, got " << d);
    for (std::size_t j = 0; j < i; ++j)
      CHURN_CHECK(windows_days[j] != d, InvalidArgument,
                  w << "windows_days must be distinct, " << d << " appears twice");
  }
  common::check_names(event_types, "EventAggregationSpec", "event_types", true);
  common::check_names(amount_event_types, "EventAggregationSpec", "amount_event_types", true);
  const bool any_amount_agg = amount_sum || amount_mean || amount_max;
  if (amount_column.empty()) {
    CHURN_CHECK(amount_event_types.empty(), InvalidArgument,
                w << "amount_event_types needs an amount_column");
  } else {
    CHURN_CHECK(any_amount_agg, InvalidArgument,
                w << "amount_column '" << amount_column
                  << "' is set but none of amount_sum, amount_mean, amount_max is");
    CHURN_CHECK(amount_overall || !amount_event_types.empty(), InvalidArgument,
                w << "amount_column '" << amount_column
                  << "' is set but neither amount_overall nor amount_event_types is");
  }
  const bool any_amount = !amount_column.empty();
  const bool any = type_counts || total_counts || trends || active_days || recency ||
                   type_recency || days_since_first || any_amount;
  CHURN_CHECK(any, InvalidArgument,
              w << "the spec asks for no feature (type_counts, total_counts, trends, active_days, "
                   "recency, type_recency, days_since_first and amount_column are all off)");
  CHURN_CHECK(n_threads >= 0, InvalidArgument,
              w << "n_threads must be >= 0 (0 = all cores), got " << n_threads);
}

namespace {

/// Every field of the spec, once: the one list to_json, from_json and from_options use.
template <class S, class F>
void visit_spec(S& s, F&& f) {
  f("id_column", s.id_column);
  f("time_column", s.time_column);
  f("type_column", s.type_column);
  f("amount_column", s.amount_column);
  f("windows_days", s.windows_days);
  f("event_types", s.event_types);
  f("type_counts", s.type_counts);
  f("total_counts", s.total_counts);
  f("trends", s.trends);
  f("active_days", s.active_days);
  f("recency", s.recency);
  f("type_recency", s.type_recency);
  f("days_since_first", s.days_since_first);
  f("amount_sum", s.amount_sum);
  f("amount_mean", s.amount_mean);
  f("amount_max", s.amount_max);
  f("amount_overall", s.amount_overall);
  f("amount_event_types", s.amount_event_types);
  f("n_threads", s.n_threads);
}

}  // namespace

Json EventAggregationSpec::to_json() const {
  Json j = Json::object();
  visit_spec(*this, common::ParamWriter(j));
  return j;
}

EventAggregationSpec EventAggregationSpec::from_json(const Json& j) {
  const char* where = "EventAggregationSpec::from_json()";
  EventAggregationSpec s;
  // a spec may be written by hand: a missing field keeps its default, an unknown one is an error
  common::ParamReader reader(j, common::ParamSource::File, where, /*file_defaults=*/true);
  visit_spec(s, reader);
  reader.finish(/*strict_file=*/true);
  try {
    s.validate();
  } catch (const InvalidArgument& e) {
    CHURN_THROW(SerializationError, where << ": " << e.what());
  }
  return s;
}

EventAggregationSpec EventAggregationSpec::from_options(const Json& options,
                                                        std::string_view caller) {
  EventAggregationSpec s;
  common::ParamReader reader(options, common::ParamSource::Options, caller);
  visit_spec(s, reader);
  reader.finish();
  s.validate();
  return s;
}

EventAggregationSpec EventAggregationSpec::rfm(Index window_days, std::string amount_column,
                                               std::string event_type) {
  EventAggregationSpec s;
  s.windows_days = {window_days};
  s.amount_column = std::move(amount_column);
  s.trends = false;
  s.active_days = false;
  s.days_since_first = false;
  s.recency = true;
  s.amount_sum = true;
  s.amount_mean = false;
  s.amount_max = false;
  if (event_type.empty()) {
    s.type_counts = false;
    s.total_counts = true;
    s.amount_overall = true;
    s.type_recency = false;
  } else {
    s.type_counts = true;
    s.total_counts = false;
    s.amount_overall = false;
    s.event_types = {event_type};
    s.amount_event_types = {event_type};
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------------

namespace {

/// Per event type: counts per (row, count bucket) and the last event time per row.
struct TypeAcc {
  std::string name;
  bool tracked = false;   // gets per-type features
  bool counted = false;   // at least one counted event (for types found in the data)
  int amount_group = -1;  // index into the amount groups, or -1
  std::vector<std::uint32_t> counts;
  std::vector<std::int64_t> last;
};

/// Amount aggregates of one group (all events, or one type) per (row, amount bucket).
struct AmountAcc {
  std::string prefix;  // "amount" or "<type>_amount"
  std::vector<Int128> sum;
  std::vector<std::uint32_t> n;
  std::vector<double> max;
};

enum class Kind {
  TypeCount,
  TotalCount,
  AmountSum,
  AmountMean,
  AmountMax,
  ActiveDays,
  TypeTrend,
  TotalTrend,
  SinceLast,
  SinceLastType,
  SinceFirst
};

struct FeatureDef {
  Kind kind;
  std::size_t window = 0;  // index into windows_days
  int index = -1;          // type or amount group
  std::string name;
  int b1 = -1;  // bucket of the window (count or amount buckets)
  int b2 = -1;  // count bucket of twice the window (trends)
};

}  // namespace

struct EventAggregator::State {
  EventAggregationSpec spec;
  Index n_rows = 0;
  Column id_col;
  bool has_as_of_col = false;
  Column as_of_col;
  std::vector<std::int64_t> as_of;  // per row

  // Customer ids -> dense codes; rows of each code in CSR form.
  bool int_ids = false;
  FlatIndex<std::string_view> text_code;  // views into id_col's strings or categories
  FlatIndex<std::int64_t> int_code;
  Index n_codes = 0;
  std::vector<Index> code_start;  // n_codes + 1
  std::vector<Index> code_rows;

  // Buckets (sorted distinct bounds in days and ns).
  bool need_counts = false;
  std::vector<Index> count_bounds;
  std::vector<std::uint64_t> count_bounds_ns;
  std::vector<Index> amount_bounds;
  std::vector<std::uint64_t> amount_bounds_ns;
  Index active_max_days = 0;
  Index active_words = 0;

  // Event types.
  bool discover_types = false;
  std::vector<TypeAcc> types;
  std::unordered_map<std::string, std::int32_t> type_index;

  // Accumulators per row.
  std::vector<AmountAcc> amounts;
  int overall_amount_group = -1;
  std::vector<std::uint32_t> total;
  std::vector<std::int64_t> first, last;
  std::vector<std::uint64_t> active_bits;

  Index seen = 0;
  Index unmatched = 0;
  /// Set while update() changes the state: still set after an update that threw midway
  /// (interrupted), whose partial counts make the aggregator unusable.
  bool broken = false;
  void check_usable(const char* who) const;

  std::size_t nb() const { return count_bounds.size(); }
  std::size_t na() const { return amount_bounds.size(); }

  void init_layout();
  void init_ids(const Column& ids, const char* who);
  std::int32_t add_type(const std::string& name, bool tracked);
  /// Types with per-type features, in output order.
  std::vector<int> output_types() const;
  std::vector<FeatureDef> plan() const;
  std::vector<std::int32_t> map_ids(const Column& c) const;
  double feature(const FeatureDef& f, Index r) const;
};

void EventAggregator::State::init_layout() {
  const auto& s = spec;
  need_counts = s.type_counts || s.total_counts || s.trends;
  if (need_counts) {
    for (Index w : s.windows_days) {
      count_bounds.push_back(w);
      if (s.trends) count_bounds.push_back(2 * w);
    }
    std::sort(count_bounds.begin(), count_bounds.end());
    count_bounds.erase(std::unique(count_bounds.begin(), count_bounds.end()), count_bounds.end());
    for (Index d : count_bounds)
      count_bounds_ns.push_back(static_cast<std::uint64_t>(d * kNanosPerDay));
  }
  if (!s.amount_column.empty()) {
    amount_bounds = s.windows_days;
    std::sort(amount_bounds.begin(), amount_bounds.end());
    for (Index d : amount_bounds)
      amount_bounds_ns.push_back(static_cast<std::uint64_t>(d * kNanosPerDay));
    auto make_group = [&](std::string prefix) {
      AmountAcc a;
      a.prefix = std::move(prefix);
      const std::size_t m = sz(n_rows) * na();
      if (s.amount_sum || s.amount_mean) a.sum.assign(m, 0);
      if (s.amount_mean) a.n.assign(m, 0);
      if (s.amount_max) a.max.assign(m, kMissing);
      amounts.push_back(std::move(a));
      return static_cast<int>(amounts.size() - 1);
    };
    if (s.amount_overall) overall_amount_group = make_group("amount");
    for (const auto& t : s.amount_event_types) {
      const std::int32_t k = add_type(t, false);
      types[sz(k)].amount_group = make_group(t + "_amount");
    }
  }
  if (s.active_days) {
    active_max_days = *std::max_element(s.windows_days.begin(), s.windows_days.end());
    active_words = (active_max_days + 63) / 64;
    active_bits.assign(sz(n_rows) * sz(active_words), 0);
  }
  if (s.total_counts) total.assign(sz(n_rows) * nb(), 0);
  if (s.recency) last.assign(sz(n_rows), kNaT);
  if (s.days_since_first) first.assign(sz(n_rows), kNaT);
  discover_types = s.event_types.empty();
  for (const auto& t : s.event_types) add_type(t, true);
}

void EventAggregator::State::check_usable(const char* who) const {
  CHURN_CHECK(!broken, NotFittedError,
              who << "an earlier update() was interrupted (or failed) while counting, so the "
                     "aggregator holds partial counts; start again with a new EventAggregator");
}

std::int32_t EventAggregator::State::add_type(const std::string& name, bool tracked) {
  auto it = type_index.find(name);
  std::int32_t k;
  if (it == type_index.end()) {
    k = static_cast<std::int32_t>(types.size());
    TypeAcc t;
    t.name = name;
    types.push_back(std::move(t));
    type_index.emplace(name, k);
  } else {
    k = it->second;
  }
  TypeAcc& t = types[sz(k)];
  if (tracked && !t.tracked) {
    t.tracked = true;
    if (spec.type_counts || spec.trends) t.counts.assign(sz(n_rows) * nb(), 0);
    if (spec.type_recency) t.last.assign(sz(n_rows), kNaT);
  }
  return k;
}

void EventAggregator::State::init_ids(const Column& ids, const char* who) {
  const DType t = ids.dtype();
  CHURN_CHECK(t == DType::String || t == DType::Categorical || t == DType::Int64, TypeMismatch,
              who << "the customer id column '" << ids.name()
                  << "' must be string, category or int64, got " << dtype_name(t));
  n_rows = ids.size();
  CHURN_CHECK(ids.null_count() == 0, InvalidArgument,
              who << "the customer id column '" << ids.name() << "' has " << ids.null_count()
                  << " missing values; every row needs an id");
  id_col = ids;
  int_ids = t == DType::Int64;
  std::vector<std::int32_t> row_code(sz(n_rows));
  CHURN_CHECK(n_rows < std::numeric_limits<std::int32_t>::max(), InvalidArgument,
              who << "too many customer rows: " << n_rows);
  // id_col shares the id buffers, so the string views stay valid as long as this state.
  if (t == DType::Int64) {
    auto v = id_col.as_int64();
    int_code = FlatIndex<std::int64_t>(sz(n_rows));
    for (Index i = 0; i < n_rows; ++i) row_code[sz(i)] = int_code.insert(v[i]);
    n_codes = static_cast<Index>(int_code.size());
  } else if (t == DType::String) {
    const auto& v = id_col.strings();
    text_code = FlatIndex<std::string_view>(sz(n_rows));
    for (Index i = 0; i < n_rows; ++i) row_code[sz(i)] = text_code.insert(v[sz(i)]);
    n_codes = static_cast<Index>(text_code.size());
  } else {
    auto codes = id_col.codes();
    const auto& cats = id_col.categories();
    text_code = FlatIndex<std::string_view>(cats.size());
    std::vector<std::int32_t> cat_code(cats.size(), -1);
    for (Index i = 0; i < n_rows; ++i) {
      std::int32_t& c = cat_code[sz(codes[i])];
      if (c < 0) c = text_code.insert(cats[sz(codes[i])]);
      row_code[sz(i)] = c;
    }
    n_codes = static_cast<Index>(text_code.size());
  }
  code_start.assign(sz(n_codes) + 1, 0);
  for (auto c : row_code) ++code_start[sz(c) + 1];
  for (Index c = 0; c < n_codes; ++c) code_start[sz(c) + 1] += code_start[sz(c)];
  code_rows.resize(sz(n_rows));
  std::vector<Index> pos(code_start.begin(), code_start.end() - 1);
  for (Index i = 0; i < n_rows; ++i) code_rows[sz(pos[sz(row_code[sz(i)])]++)] = i;
}

std::vector<std::int32_t> EventAggregator::State::map_ids(const Column& c) const {
  const Index n = c.size();
  std::vector<std::int32_t> out(sz(n), -1);
  const int threads = spec.n_threads;
  if (c.dtype() == DType::Categorical) {
    const auto& cats = c.categories();
    std::vector<std::int32_t> cat_code(cats.size(), -1);
    for (std::size_t k = 0; k < cats.size(); ++k) {
      cat_code[k] = text_code.find(cats[k]);
    }
    auto codes = c.codes();
    parallel_for_blocks(0, n, 1 << 16, threads, [&](Index lo, Index hi) {
      for (Index i = lo; i < hi; ++i) {
        const std::int32_t k = codes[i];
        out[sz(i)] = k < 0 ? -1 : cat_code[sz(k)];
      }
    });
  } else if (c.dtype() == DType::String) {
    const auto& v = c.strings();
    const auto& valid = c.validity();
    parallel_for_blocks(0, n, 1 << 14, threads, [&](Index lo, Index hi) {
      for (Index i = lo; i < hi; ++i) {
        if (!valid.empty() && !valid[sz(i)]) continue;
        out[sz(i)] = text_code.find(v[sz(i)]);
      }
    });
  } else {
    auto v = c.as_int64();
    const auto& valid = c.validity();
    parallel_for_blocks(0, n, 1 << 14, threads, [&](Index lo, Index hi) {
      for (Index i = lo; i < hi; ++i) {
        if (!valid.empty() && !valid[sz(i)]) continue;
        out[sz(i)] = int_code.find(v[i]);
      }
    });
  }
  return out;
}

std::vector<int> EventAggregator::State::output_types() const {
  std::vector<int> out_types;
  if (discover_types) {
    for (std::size_t k = 0; k < types.size(); ++k)
      if (types[k].tracked && types[k].counted) out_types.push_back(static_cast<int>(k));
    std::sort(out_types.begin(), out_types.end(),
              [&](int a, int b) { return types[sz(a)].name < types[sz(b)].name; });
  } else {
    for (const auto& t : spec.event_types) out_types.push_back(type_index.at(t));
  }
  return out_types;
}

std::vector<FeatureDef> EventAggregator::State::plan() const {
  const auto& s = spec;
  // Types with per-type features, in output order.
  const std::vector<int> out_types = output_types();
  std::vector<FeatureDef> defs;
  auto add = [&](Kind k, std::size_t w, int idx, std::string name) {
    FeatureDef f{k, w, idx, std::move(name), -1, -1};
    const Index days = s.windows_days[w];
    if (k == Kind::AmountSum || k == Kind::AmountMean || k == Kind::AmountMax) {
      f.b1 = bucket_of(amount_bounds, days);
    } else if (k == Kind::TypeCount || k == Kind::TotalCount) {
      f.b1 = bucket_of(count_bounds, days);
    } else if (k == Kind::TypeTrend || k == Kind::TotalTrend) {
      f.b1 = bucket_of(count_bounds, days);
      f.b2 = bucket_of(count_bounds, 2 * days);
    }
    defs.push_back(std::move(f));
  };
  for (std::size_t w = 0; w < s.windows_days.size(); ++w) {
    const std::string suf = days_suffix(s.windows_days[w]);
    if (s.type_counts)
      for (int t : out_types) add(Kind::TypeCount, w, t, types[sz(t)].name + "_count" + suf);
    if (s.total_counts) add(Kind::TotalCount, w, -1, "event_count" + suf);
    for (std::size_t g = 0; g < amounts.size(); ++g) {
      const int gi = static_cast<int>(g);
      if (s.amount_sum) add(Kind::AmountSum, w, gi, amounts[g].prefix + "_sum" + suf);
      if (s.amount_mean) add(Kind::AmountMean, w, gi, amounts[g].prefix + "_mean" + suf);
      if (s.amount_max) add(Kind::AmountMax, w, gi, amounts[g].prefix + "_max" + suf);
    }
    if (s.active_days) add(Kind::ActiveDays, w, -1, "active_days" + suf);
  }
  if (s.trends) {
    for (std::size_t w = 0; w < s.windows_days.size(); ++w) {
      const std::string suf = days_suffix(s.windows_days[w]);
      for (int t : out_types) add(Kind::TypeTrend, w, t, types[sz(t)].name + "_count_trend" + suf);
      if (s.total_counts) add(Kind::TotalTrend, w, -1, "event_count_trend" + suf);
    }
  }
  if (s.recency) add(Kind::SinceLast, 0, -1, "days_since_last_event");
  if (s.type_recency)
    for (int t : out_types) add(Kind::SinceLastType, 0, t, "days_since_last_" + types[sz(t)].name);
  if (s.days_since_first) add(Kind::SinceFirst, 0, -1, "days_since_first_event");
  return defs;
}

double EventAggregator::State::feature(const FeatureDef& f, Index r) const {
  const Index wd = f.window < spec.windows_days.size() ? spec.windows_days[f.window] : 0;
  auto cum = [&](const std::vector<std::uint32_t>& v, int b) {
    const std::uint32_t* p = v.data() + sz(r) * nb();
    std::uint64_t s = 0;
    for (int i = 0; i <= b; ++i) s += p[i];
    return s;
  };
  auto trend = [&](const std::vector<std::uint32_t>& v) {
    const std::uint64_t now = cum(v, f.b1);
    const std::uint64_t before = cum(v, f.b2) - now;
    return before == 0 ? kMissing : static_cast<double>(now) / static_cast<double>(before);
  };
  auto since = [&](std::int64_t t) {
    if (t == kNaT) return kMissing;
    const std::uint64_t age =
        static_cast<std::uint64_t>(as_of[sz(r)]) - static_cast<std::uint64_t>(t);
    return static_cast<double>(age) / static_cast<double>(kNanosPerDay);
  };
  switch (f.kind) {
    case Kind::TypeCount: return static_cast<double>(cum(types[sz(f.index)].counts, f.b1));
    case Kind::TotalCount: return static_cast<double>(cum(total, f.b1));
    case Kind::TypeTrend: return trend(types[sz(f.index)].counts);
    case Kind::TotalTrend: return trend(total);
    case Kind::AmountSum:
    case Kind::AmountMean:
    case Kind::AmountMax: {
      const AmountAcc& a = amounts[sz(f.index)];
      const int b = f.b1;
      const std::size_t base = sz(r) * na();
      if (f.kind == Kind::AmountMax) {
        double m = kMissing;
        for (int i = 0; i <= b; ++i) {
          const double x = a.max[base + sz(i)];
          if (!std::isnan(x) && !(m >= x)) m = x;
        }
        return m;
      }
      Int128 s = 0;
      for (int i = 0; i <= b; ++i) s += a.sum[base + sz(i)];
      const double sum = static_cast<double>(s) * (1.0 / kAmountScale);  // exact scaling
      if (f.kind == Kind::AmountSum) return sum;
      std::uint64_t n = 0;
      for (int i = 0; i <= b; ++i) n += a.n[base + sz(i)];
      return n == 0 ? kMissing : sum / static_cast<double>(n);
    }
    case Kind::ActiveDays: {
      const std::uint64_t* p = active_bits.data() + sz(r) * sz(active_words);
      Index full = wd / 64;
      std::uint64_t c = 0;
      for (Index i = 0; i < full; ++i) c += static_cast<std::uint64_t>(__builtin_popcountll(p[i]));
      const Index rest = wd % 64;
      if (rest) {
        const std::uint64_t mask = (std::uint64_t{1} << rest) - 1;
        c += static_cast<std::uint64_t>(__builtin_popcountll(p[full] & mask));
      }
      return static_cast<double>(c);
    }
    case Kind::SinceLast: return since(last[sz(r)]);
    case Kind::SinceLastType: return since(types[sz(f.index)].last[sz(r)]);
    case Kind::SinceFirst: return since(first[sz(r)]);
  }
  return kMissing;
}

// ---------------------------------------------------------------------------------------------
// EventAggregator
// ---------------------------------------------------------------------------------------------

EventAggregator::EventAggregator(EventAggregationSpec spec, const Column& customer_ids,
                                 std::int64_t as_of)
    : state_(std::make_unique<State>()) {
  spec.validate();
  const char* who = "EventAggregator(): ";
  CHURN_CHECK(as_of != kNaT, InvalidArgument, who << "as_of must not be NaT");
  state_->spec = std::move(spec);
  state_->init_ids(customer_ids, who);
  state_->as_of.assign(sz(state_->n_rows), as_of);
  state_->init_layout();
}

EventAggregator::EventAggregator(EventAggregationSpec spec, const Table& customers,
                                 const std::string& as_of_column, const std::string& id_column)
    : state_(std::make_unique<State>()) {
  spec.validate();
  const char* who = "EventAggregator(): ";
  const std::string id_name = id_column.empty() ? spec.id_column : id_column;
  CHURN_CHECK(customers.has_column(id_name), InvalidArgument,
              who << "the customer table has no id column '" << id_name << "'");
  CHURN_CHECK(customers.has_column(as_of_column), InvalidArgument,
              who << "the customer table has no as-of column '" << as_of_column << "'");
  const Column& a = customers.column(as_of_column);
  CHURN_CHECK(a.dtype() == DType::Timestamp, TypeMismatch,
              who << "the as-of column '" << as_of_column << "' must be timestamp, got "
                  << dtype_name(a.dtype()));
  CHURN_CHECK(a.null_count() == 0, InvalidArgument,
              who << "the as-of column '" << as_of_column << "' has " << a.null_count()
                  << " missing (NaT) values; every row needs an as-of");
  state_->spec = std::move(spec);
  state_->init_ids(customers.column(id_name), who);
  auto v = a.as_int64();
  state_->as_of.assign(v.data(), v.data() + v.size());
  state_->has_as_of_col = true;
  state_->as_of_col = a;
  state_->init_layout();
}

EventAggregator::~EventAggregator() = default;
EventAggregator::EventAggregator(EventAggregator&&) noexcept = default;
EventAggregator& EventAggregator::operator=(EventAggregator&&) noexcept = default;

const EventAggregationSpec& EventAggregator::spec() const {
  return state_->spec;
}
Index EventAggregator::num_rows() const {
  return state_->n_rows;
}
Index EventAggregator::n_events_seen() const {
  return state_->seen;
}
Index EventAggregator::n_events_unmatched() const {
  return state_->unmatched;
}

EventAggregator& EventAggregator::update(const Table& events) {
  State& st = *state_;
  const EventAggregationSpec& s = st.spec;
  const Index n = events.num_rows();
  st.check_usable(kUpdate);

  // 1. Check everything before any state changes.
  auto need = [&](const std::string& name, const char* field) -> const Column& {
    CHURN_CHECK(events.has_column(name), InvalidArgument,
                kUpdate << "the events have no column '" << name << "' (spec." << field << ")");
    return events.column(name);
  };
  const Column& id = need(s.id_column, "id_column");
  const Column& tc = need(s.time_column, "time_column");
  const Column& ty = need(s.type_column, "type_column");
  const Column* am = s.amount_column.empty() ? nullptr : &need(s.amount_column, "amount_column");
  if (st.int_ids) {
    CHURN_CHECK(id.dtype() == DType::Int64, TypeMismatch,
                kUpdate << "the id column '" << id.name()
                        << "' must be int64 like the customer ids, got " << dtype_name(id.dtype()));
  } else {
    CHURN_CHECK(is_text(id.dtype()), TypeMismatch,
                kUpdate << "the id column '" << id.name()
                        << "' must be string or category like the customer ids, got "
                        << dtype_name(id.dtype()));
  }
  CHURN_CHECK(tc.dtype() == DType::Timestamp, TypeMismatch,
              kUpdate << "the time column '" << tc.name() << "' must be timestamp, got "
                      << dtype_name(tc.dtype()));
  CHURN_CHECK(is_text(ty.dtype()), TypeMismatch,
              kUpdate << "the event-type column '" << ty.name()
                      << "' must be category or string, got " << dtype_name(ty.dtype()));
  if (am)
    CHURN_CHECK(am->dtype() == DType::Float64, TypeMismatch,
                kUpdate << "the amount column '" << am->name() << "' must be float64, got "
                        << dtype_name(am->dtype()));
  // The first row (in row order, for any thread count) where `bad` holds, or n.
  auto first_bad = [&](auto bad) {
    return parallel_reduce(
        0, n, 1 << 16, n,
        [&](Index lo, Index hi) {
          for (Index i = lo; i < hi; ++i)
            if (bad(i)) return i;
          return n;
        },
        [](Index a, Index b) { return std::min(a, b); }, s.n_threads);
  };
  const std::int64_t* time = tc.as_int64().data();
  const Index bad_time = first_bad([&](Index i) { return time[i] == kNaT; });
  CHURN_CHECK(bad_time == n, InvalidArgument,
              kUpdate << "the time column '" << tc.name() << "' is missing (NaT) at row "
                      << bad_time << "; drop such events first");
  const double* amount = am ? am->as_float64().data() : nullptr;
  if (amount) {
    const double lim = std::ldexp(1.0, kAmountMaxLog2);
    const Index i =
        first_bad([&](Index r) { return !(std::isnan(amount[r]) || std::fabs(amount[r]) < lim); });
    CHURN_CHECK(i == n, InvalidArgument,
                kUpdate << "the amount column '" << am->name() << "' has " << amount[i]
                        << " at row " << i << "; amounts must be finite with |amount| < 2^"
                        << kAmountMaxLog2 << " (NaN = no amount)");
  }
  const std::vector<std::int32_t> code = st.map_ids(id);
  poll_stop();       // the last poll that leaves the aggregator as it was
  st.broken = true;  // until the end of this update

  // 2. Event types -> accumulator index (registers new types found in the data).
  std::vector<std::int32_t> type_of;       // per row (string type column)
  std::vector<std::int32_t> type_of_code;  // per category (categorical type column)
  const std::int32_t* type_codes = nullptr;
  auto resolve = [&](const std::string& name) -> std::int32_t {
    auto it = st.type_index.find(name);
    if (!st.discover_types) return it == st.type_index.end() ? -1 : it->second;
    // Types found in the data get per-type features (an amount-only type becomes tracked).
    if (it != st.type_index.end() && st.types[sz(it->second)].tracked) return it->second;
    return st.add_type(name, true);
  };
  if (ty.dtype() == DType::Categorical) {
    const auto& cats = ty.categories();
    type_codes = ty.codes().data();
    std::vector<char> used(cats.size(), 0);
    for (Index i = 0; i < n; ++i)
      if (type_codes[i] >= 0) used[sz(type_codes[i])] = 1;
    type_of_code.assign(cats.size(), -1);
    for (std::size_t k = 0; k < cats.size(); ++k)
      if (used[k]) type_of_code[k] = resolve(cats[k]);
  } else {
    type_of.assign(sz(n), -1);
    const auto& v = ty.strings();
    const auto& valid = ty.validity();
    for (Index i = 0; i < n; ++i)
      if (valid.empty() || valid[sz(i)]) type_of[sz(i)] = resolve(v[sz(i)]);
  }
  auto type_at = [&](Index i) -> std::int32_t {
    if (type_codes) return type_codes[i] < 0 ? -1 : type_of_code[sz(type_codes[i])];
    return type_of[sz(i)];
  };

  // 3. Group the matched events by customer code (a counting sort into a packed array), then
  // accumulate per customer in parallel: each block of codes (and so of rows) belongs to one
  // task, and every accumulator is order-free (integer counts, fixed-point sums, min/max, bit
  // sets), so neither the order of the events nor the thread count changes the result.
  const int threads = resolve_threads(s.n_threads);
  const Index n_codes = st.n_codes;
  const Index n_parts = std::max<Index>(1, std::min<Index>(threads, n / (1 << 16)));
  std::vector<std::vector<Index>> hist(sz(n_parts));
  parallel_for(0, n_parts, threads, [&](Index p) {
    std::vector<Index>& h = hist[sz(p)];
    h.assign(sz(n_codes), 0);
    const Index lo = n * p / n_parts, hi = n * (p + 1) / n_parts;
    for (Index i = lo; i < hi; ++i)
      if (code[sz(i)] >= 0) ++h[sz(code[sz(i)])];
  });
  std::vector<Index> ev_start(sz(n_codes) + 1, 0);
  for (Index c = 0; c < n_codes; ++c) {
    Index acc = ev_start[sz(c)];
    for (Index p = 0; p < n_parts; ++p) {
      const Index k = hist[sz(p)][sz(c)];
      hist[sz(p)][sz(c)] = acc;  // becomes this part's write position for code c
      acc += k;
    }
    ev_start[sz(c) + 1] = acc;
  }
  const Index n_matched = ev_start[sz(n_codes)];
  struct Packed {
    std::int64_t t;
    double x;
    std::int32_t type;
  };
  std::vector<Packed> packed(sz(n_matched));
  parallel_for(0, n_parts, threads, [&](Index p) {
    std::vector<Index>& pos = hist[sz(p)];
    const Index lo = n * p / n_parts, hi = n * (p + 1) / n_parts;
    for (Index i = lo; i < hi; ++i) {
      const std::int32_t c = code[sz(i)];
      if (c < 0) continue;
      packed[sz(pos[sz(c)]++)] = Packed{time[i], amount ? amount[i] : kMissing, type_at(i)};
    }
  });
  hist.clear();
  hist.shrink_to_fit();
  poll_stop();

  const std::size_t n_types = st.types.size();
  // Blocks of consecutive codes: at most 2048 codes and about 2^20 (row, event) pairs each (an
  // id with many as-of rows and events makes a long block), so that the stop polls between
  // batches of blocks come often. Block boundaries do not change the result.
  constexpr Index kCodeBlock = 2048;
  constexpr Index kBlockPairs = Index{1} << 20;
  std::vector<Index> block_start{0};
  Index pairs = 0;
  for (Index c = 0; c < n_codes; ++c) {
    const Index w = (st.code_start[sz(c) + 1] - st.code_start[sz(c)]) *
                        (ev_start[sz(c) + 1] - ev_start[sz(c)]) +
                    1;
    if (c > block_start.back() &&
        (c - block_start.back() >= kCodeBlock || pairs + w > kBlockPairs)) {
      block_start.push_back(c);
      pairs = 0;
    }
    pairs += w;
  }
  block_start.push_back(n_codes);
  const auto n_blocks = static_cast<Index>(block_start.size()) - 1;
  std::vector<std::vector<char>> counted(sz(n_blocks));
  const std::size_t nb = st.nb();
  const std::size_t na = st.na();
  const std::uint64_t day = static_cast<std::uint64_t>(kNanosPerDay);
  const std::uint64_t active_max = static_cast<std::uint64_t>(st.active_max_days);
  const std::size_t aw = sz(st.active_words);
  const bool any_amount = amount != nullptr;
  const auto accumulate_block = [&](Index blk) {
    std::vector<char>& my_counted = counted[sz(blk)];
    my_counted.assign(n_types, 0);
    const Index c_lo = block_start[sz(blk)], c_hi = block_start[sz(blk) + 1];
    for (Index c = c_lo; c < c_hi; ++c) {
      for (Index j = st.code_start[sz(c)]; j < st.code_start[sz(c) + 1]; ++j) {
        const std::size_t r = sz(st.code_rows[sz(j)]);
        const std::int64_t a = st.as_of[r];
        for (Index e = ev_start[sz(c)]; e < ev_start[sz(c) + 1]; ++e) {
          const Packed& ev = packed[sz(e)];
          const std::int64_t t = ev.t;
          if (t >= a) continue;
          const std::uint64_t age = static_cast<std::uint64_t>(a) - static_cast<std::uint64_t>(t);
          const std::int32_t k = ev.type;
          TypeAcc* ta = k >= 0 ? &st.types[sz(k)] : nullptr;
          if (!st.last.empty() && t > st.last[r]) st.last[r] = t;
          if (!st.first.empty() && (st.first[r] == kNaT || t < st.first[r])) st.first[r] = t;
          if (ta) {
            my_counted[sz(k)] = 1;
            if (!ta->last.empty() && t > ta->last[r]) ta->last[r] = t;
          }
          if (st.need_counts) {
            const int b = find_bucket(st.count_bounds_ns, age);
            if (sz(b) < nb) {
              if (!st.total.empty()) ++st.total[r * nb + sz(b)];
              if (ta && !ta->counts.empty()) ++ta->counts[r * nb + sz(b)];
            }
          }
          if (aw) {
            const std::uint64_t d = (age - 1) / day;
            if (d < active_max) st.active_bits[r * aw + d / 64] |= std::uint64_t{1} << (d % 64);
          }
          if (any_amount && !std::isnan(ev.x)) {
            const int b = find_bucket(st.amount_bounds_ns, age);
            if (sz(b) < na) {
              // Exact: |x| < 2^40, so x * 2^55 is an exact double below 2^95.
              const Int128 fx = static_cast<Int128>(ev.x * kAmountScale);
              const double xm = ev.x + 0.0;  // -0.0 -> +0.0: max does not depend on the order
              auto add = [&](AmountAcc& g) {
                const std::size_t q = r * na + sz(b);
                if (!g.sum.empty()) g.sum[q] += fx;
                if (!g.n.empty()) ++g.n[q];
                if (!g.max.empty() && !(g.max[q] >= xm)) g.max[q] = xm;
              };
              if (st.overall_amount_group >= 0) add(st.amounts[sz(st.overall_amount_group)]);
              if (ta && ta->amount_group >= 0) add(st.amounts[sz(ta->amount_group)]);
            }
          }
        }
      }
    }
  };
  // Batches of code blocks of about 100 ms with a stop poll between them (one batch without a
  // StopScope).
  churn::detail::run_polled_batches(
      0, n_blocks, 4 * static_cast<Index>(threads),
      [&](Index b0, Index b1) { parallel_for(b0, b1, threads, accumulate_block); });
  for (const auto& v : counted)
    for (std::size_t k = 0; k < v.size(); ++k)
      if (v[k]) st.types[k].counted = true;
  st.unmatched += n - n_matched;
  st.seen += n;
  st.broken = false;
  return *this;
}

std::vector<std::string> EventAggregator::feature_names() const {
  std::vector<std::string> out;
  for (auto& f : state_->plan()) out.push_back(f.name);
  return out;
}

std::vector<std::string> EventAggregator::event_types() const {
  std::vector<std::string> out;
  for (int k : state_->output_types()) out.push_back(state_->types[sz(k)].name);
  return out;
}

Table EventAggregator::result() const {
  const State& st = *state_;
  st.check_usable("EventAggregator::result(): ");
  std::vector<Column> cols;
  cols.push_back(st.id_col);
  if (st.has_as_of_col) cols.push_back(st.as_of_col);
  const std::vector<FeatureDef> defs = st.plan();
  // Row blocks in parallel, every feature of a row at once (its accumulators are then read
  // while in cache); the columns are allocated (and their pages touched) in parallel too.
  std::vector<std::vector<double>> values(defs.size());
  parallel_for(0, static_cast<Index>(defs.size()), st.spec.n_threads,
               [&](Index f) { values[sz(f)].resize(sz(st.n_rows)); });
  // (in batches of about 100 ms with a stop poll between them; one batch without a StopScope)
  churn::detail::run_polled_batches(0, st.n_rows, Index{1} << 18, [&](Index b0, Index b1) {
    parallel_for_blocks(b0, b1, 1 << 12, st.spec.n_threads, [&](Index lo, Index hi) {
      for (std::size_t f = 0; f < defs.size(); ++f) {
        double* out = values[f].data();
        for (Index r = lo; r < hi; ++r) out[r] = st.feature(defs[f], r);
      }
    });
  });
  for (std::size_t f = 0; f < defs.size(); ++f)
    cols.push_back(Column::from_float64(defs[f].name, std::move(values[f])));
  return Table(std::move(cols));
}

Table aggregate_events(const Table& events, const Column& customer_ids, std::int64_t as_of,
                       const EventAggregationSpec& spec) {
  EventAggregator agg(spec, customer_ids, as_of);
  agg.update(events);
  return agg.result();
}

Table aggregate_events(const Table& events, const Table& customers, const std::string& as_of_column,
                       const EventAggregationSpec& spec) {
  EventAggregator agg(spec, customers, as_of_column);
  agg.update(events);
  return agg.result();
}

}  // namespace churn::features
