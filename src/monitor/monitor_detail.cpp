#include "monitor/monitor_detail.hpp"

#include "monitor/numeric_fit.hpp"

#include <algorithm>  // std::sort, std::min, std::max, std::unique, std::minmax_element
#include <cmath>      // std::isnan, std::isinf, std::isfinite, std::fabs, std::log
#include <cstring>    // std::memcpy
#include <limits>     // std::numeric_limits
#include <utility>    // std::move

#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "common/checks.hpp"
#include "common/json.hpp"
#include "common/quantile.hpp"
#include "common/radix_sort.hpp"

namespace churn::monitor::detail {

using common::json_check_members;
using common::json_get;
using common::json_get_int;
using common::json_int_value;

using data::Column;
using data::DType;
using data::dtype_name;
using data::Table;

bool is_numeric(DType t) {
  return t == DType::Float64 || t == DType::Int64 || t == DType::Timestamp;
}

bool is_categorical(DType t) {
  return t == DType::Categorical || t == DType::String;
}

CategoryCounts counts_by_name(const std::vector<std::string>& dict,
                              const std::vector<std::int64_t>& per_code, std::int64_t missing) {
  std::vector<std::size_t> order;
  for (std::size_t k = 0; k < dict.size(); ++k)
    if (per_code[k] > 0) order.push_back(k);
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return dict[a] < dict[b]; });
  std::vector<std::string> names;
  std::vector<std::int64_t> counts;
  names.reserve(order.size());
  counts.reserve(order.size());
  for (auto k : order) {
    names.push_back(dict[k]);
    counts.push_back(per_code[k]);
  }
  return CategoryCounts::from_parts(std::move(names), std::move(counts), missing);
}

void column_values(const Column& c, Index lo, Index hi, double* out, const char* caller) {
  switch (c.dtype()) {
    case DType::Float64: {
      const double* x = c.as_float64().data();
      std::memcpy(out, x + lo, static_cast<std::size_t>(hi - lo) * sizeof(double));
      return;
    }
    case DType::Int64: {
      const std::int64_t* x = c.as_int64().data();
      const auto& valid = c.validity();
      if (valid.empty()) {
        for (Index i = lo; i < hi; ++i) out[i - lo] = static_cast<double>(x[i]);
      } else {
        for (Index i = lo; i < hi; ++i)
          out[i - lo] = valid[static_cast<std::size_t>(i)] ? static_cast<double>(x[i]) : kMissing;
      }
      return;
    }
    case DType::Timestamp: {
      const std::int64_t* x = c.as_int64().data();
      for (Index i = lo; i < hi; ++i)
        out[i - lo] = x[i] == kNaT ? kMissing : static_cast<double>(x[i]);
      return;
    }
    default: break;
  }
  CHURN_THROW(TypeMismatch, caller << ": column '" << c.name() << "' has type "
                                   << dtype_name(c.dtype())
                                   << "; expected float64, int64 or timestamp");
}

// ---- CutIndex ---------------------------------------------------------------------------------

namespace {

constexpr int kTableBits = 12;  // 4096 buckets

}  // namespace

CutIndex::CutIndex(const std::vector<double>& cuts) : cuts_(cuts), n_(cuts.size()) {
  for (auto& c : cuts_) c = c + 0.0;  // -0.0 -> +0.0
  struct Pad {                        // appends the sentinels on every return path
    std::vector<double>& v;
    ~Pad() { v.resize(v.size() + 4, std::numeric_limits<double>::infinity()); }
  } pad{cuts_};
  if (cuts_.size() < 2) return;
  constexpr std::size_t kBuckets = std::size_t{1} << kTableBits;
  auto fill = [&](auto bucket_of, std::size_t n_buckets, std::vector<std::uint32_t>& first) {
    first.assign(n_buckets + 1, 0);
    for (double c : cuts_) ++first[bucket_of(c) + 1];
    std::uint32_t fullest = 0;
    for (std::size_t b = 1; b <= n_buckets; ++b) fullest = std::max(fullest, first[b]);
    for (std::size_t b = 1; b <= n_buckets; ++b) first[b] += first[b - 1];
    return fullest;
  };
  // key table
  key_lo_ = common::ordered_key(cuts_.front());
  key_hi_ = common::ordered_key(cuts_.back());
  const std::uint64_t range = key_hi_ - key_lo_;
  shift_ = 0;
  while ((range >> shift_) >= kBuckets) ++shift_;
  const std::uint32_t key_fullest = fill(
      [&](double c) {
        return static_cast<std::size_t>((common::ordered_key(c) - key_lo_) >> shift_);
      },
      static_cast<std::size_t>(range >> shift_) + 1, first_);
  table_ = Table::Key;
  // linear table, when the range is finite
  lo_ = cuts_.front();
  hi_ = cuts_.back();
  const double width = hi_ - lo_;
  // (a scale that overflows, for a range of a few subnormals, would make the cast undefined)
  if (std::isfinite(width) && width > 0 && std::isfinite(static_cast<double>(kBuckets) / width)) {
    scale_ = static_cast<double>(kBuckets) / width;
    last_bucket_ = kBuckets - 1;
    std::vector<std::uint32_t> lin;
    const std::uint32_t lin_fullest = fill(
        [&](double c) {
          return std::min(static_cast<std::size_t>((c - lo_) * scale_), last_bucket_);
        },
        kBuckets, lin);
    if (lin_fullest <= key_fullest) {
      first_ = std::move(lin);
      table_ = Table::Linear;
    }
  }
}

void CutIndex::count(const double* x, Index n, std::int64_t* s) const {
  const std::size_t nc = n_cells();
  if (nc == 1) {
    for (Index i = 0; i < n; ++i) ++s[(std::isnan(x[i]) ? 4 : 0) + static_cast<std::size_t>(i & 3)];
    return;
  }
  for (Index i = 0; i < n; ++i) {
    const double v = x[i];
    const std::size_t slot = std::isnan(v) ? 4 * nc : 4 * find(v);
    ++s[slot + static_cast<std::size_t>(i & 3)];
  }
}

void CutIndex::flush(std::int64_t* s, std::int64_t* cells, std::int64_t& missing) const {
  const std::size_t nc = n_cells();
  for (std::size_t k = 0; k < nc; ++k) {
    cells[k] += s[4 * k] + s[4 * k + 1] + s[4 * k + 2] + s[4 * k + 3];
    s[4 * k] = s[4 * k + 1] = s[4 * k + 2] = s[4 * k + 3] = 0;
  }
  missing += s[4 * nc] + s[4 * nc + 1] + s[4 * nc + 2] + s[4 * nc + 3];
  s[4 * nc] = s[4 * nc + 1] = s[4 * nc + 2] = s[4 * nc + 3] = 0;
}

void CutIndex::count(const double* x, Index n, std::int64_t* cells, std::int64_t& missing) const {
  std::vector<std::int64_t> s(scratch_size(), 0);
  count(x, n, s.data());
  flush(s.data(), cells, missing);
}

// ---- ExactSum JSON ----------------------------------------------------------------------------

Json exact_sum_to_json(const ExactSum& s) {
  const std::vector<common::Int128> w = s.limbs();
  Json limbs = Json::array();
  for (std::size_t k = 0; k < w.size(); ++k) {
    const common::Int128 v = w[k];
    if (v == 0) continue;
    const auto high = static_cast<std::int64_t>(v >> 64);
    const auto low = static_cast<std::uint64_t>(static_cast<common::UInt128>(v));
    limbs.push_back(Json::array({static_cast<std::int64_t>(k), high, low}));
  }
  return Json{{"limbs", limbs}, {"pos_inf", s.pos_inf()}, {"neg_inf", s.neg_inf()}};
}

ExactSum exact_sum_from_json(const Json& j, const std::string& where) {
  constexpr int kLimbs = ExactSum::kLimbs;
  json_check_members(j, {"limbs", "pos_inf", "neg_inf"}, where);
  const auto pos_inf = json_get_int<std::int64_t>(j, "pos_inf", where);
  const auto neg_inf = json_get_int<std::int64_t>(j, "neg_inf", where);
  CHURN_CHECK(pos_inf >= 0 && neg_inf >= 0 && pos_inf < (std::int64_t{1} << 62) &&
                  neg_inf < (std::int64_t{1} << 62),
              SerializationError, where << ": infinity counts must be in [0, 2^62)");
  const Json limbs = json_get<Json>(j, "limbs", where);
  CHURN_CHECK(limbs.is_array(), SerializationError, where << ": 'limbs' must be a list");
  std::vector<common::Int128> w;  // none, or all kLimbs
  std::int64_t prev = -1;
  for (const auto& p : limbs) {
    std::int64_t k = 0, high = 0;
    std::uint64_t low = 0;
    CHURN_CHECK(p.is_array() && p.size() == 3 && json_int_value(p[0], k) &&
                    json_int_value(p[1], high) && json_int_value(p[2], low),
                SerializationError, where << ": each limb must be [index, high, low] integers");
    CHURN_CHECK(k > prev && k < kLimbs, SerializationError,
                where << ": limb indices must increase within 0.." << kLimbs - 1 << ", got " << k);
    // canonical limbs have high 0 (or -1 at the top); the bound keeps merges of damaged
    // documents from overflowing
    CHURN_CHECK(high > -(std::int64_t{1} << 40) && high < (std::int64_t{1} << 40),
                SerializationError, where << ": limb " << k << " is out of range");
    prev = k;
    if (w.empty()) w.assign(kLimbs, 0);
    w[static_cast<std::size_t>(k)] = static_cast<common::Int128>(
        (static_cast<common::UInt128>(static_cast<std::uint64_t>(high)) << 64) | low);
  }
  return ExactSum::from_state(std::move(w), pos_inf, neg_inf);
}

// ---- quantiles --------------------------------------------------------------------------------

std::vector<double> sorted_sample(const double* x, std::size_t n_rows, std::size_t max_size) {
  const std::size_t stride = n_rows > max_size ? (n_rows + max_size - 1) / max_size : 1;
  std::vector<double> s;
  s.reserve(n_rows / stride + 1);
  for (std::size_t i = 0; i < n_rows; i += stride)
    if (!std::isnan(x[i])) s.push_back(x[i]);
  common::sort_doubles(s);
  return s;
}

std::vector<double> select_quantiles(const double* x, std::size_t n_rows, std::size_t n,
                                     const std::vector<double>& levels,
                                     const std::vector<double>& sample) {
  std::vector<std::size_t> ranks = RadixFit::ranks_of_levels(levels, n);
  if (n_rows >= kRadixMinRows && sample.size() >= 2) {
    // two passes over buckets (numeric_fit.hpp)
    RadixFit r(x, n_rows, sample, 0.0);
    r.begin();
    r.pass1(0, n_rows);
    if (r.plan(ranks, {})) {
      r.pass2(0, n_rows);
      bool ok = r.finish();
      std::vector<double> out = ok ? r.quantiles(levels, ok) : std::vector<double>();
      if (ok) return out;
    }
  }
  std::sort(ranks.begin(), ranks.end());
  ranks.erase(std::unique(ranks.begin(), ranks.end()), ranks.end());
  std::vector<double> v;
  v.reserve(n);
  for (std::size_t i = 0; i < n_rows; ++i)
    if (!std::isnan(x[i])) v.push_back(x[i]);
  common::multi_select(v.data(), v.data() + n, ranks.data(), ranks.data() + ranks.size());
  std::vector<double> out;
  out.reserve(levels.size());
  for (double q : levels) {
    std::size_t lo = 0, hi = 0;
    common::linear_quantile_ranks(q, n, lo, hi);
    out.push_back(common::linear_quantile_lerp(q, n, v[lo], v[hi]));
  }
  return out;
}

std::vector<double> select_quantiles(const std::vector<double>& v,
                                     const std::vector<double>& levels) {
  return select_quantiles(v.data(), v.size(), v.size(), levels,
                          sorted_sample(v.data(), v.size(), kMapSample));
}

std::vector<double> edges_of(std::vector<double>& v, int bins, bool quantile) {
  std::vector<double> e;
  if (v.empty()) return e;
  if (quantile) {
    e = select_quantiles(v, common::linspace01(static_cast<std::size_t>(bins)));
  } else {
    const auto mm = std::minmax_element(v.begin(), v.end());
    const double lo = *mm.first, hi = *mm.second;
    e.push_back(lo);
    // np.linspace(lo, hi, bins + 1), as np.histogram: i * ((hi - lo) / bins) + lo
    const double step = (hi - lo) / bins;
    for (int i = 1; i < bins; ++i) e.push_back(double(i) * step + lo);
    e.push_back(hi);
    for (auto& x : e) x = std::min(std::max(x, lo), hi);
  }
  for (auto& x : e) x = x + 0.0;  // -0.0 -> +0.0
  std::sort(e.begin(), e.end());
  e.erase(std::unique(e.begin(), e.end()), e.end());
  return e;
}

const double* numeric_data(const Column& c, std::vector<double>& buffer, const char* caller) {
  if (c.dtype() == DType::Float64) return c.as_float64().data();
  buffer.resize(static_cast<std::size_t>(c.size()));
  column_values(c, 0, c.size(), buffer.data(), caller);
  return buffer.data();
}

std::size_t check_finite(const Column& c, const double* x, const char* caller) {
  std::size_t missing = 0, not_finite = 0;
  for (Index i = 0; i < c.size(); ++i) {
    const double v = x[i];
    missing += v != v ? 1 : 0;
    not_finite += std::fabs(v) <= std::numeric_limits<double>::max() ? 0 : 1;
  }
  if (not_finite > missing)  // an infinity: find its row
    common::check_each(Eigen::Map<const Vector>(x, c.size()), caller, "column '" + c.name() + "'",
                       "hold no infinite value (NaN for missing)",
                       [](double v) { return !std::isinf(v); });
  return static_cast<std::size_t>(c.size()) - missing;
}

// ---- PSI / JS ---------------------------------------------------------------------------------

double psi_counts(const std::vector<std::int64_t>& r, const std::vector<std::int64_t>& c,
                  double epsilon) {
  double nr = 0, nc = 0;
  for (auto v : r) nr += static_cast<double>(v);
  for (auto v : c) nc += static_cast<double>(v);
  double s = 0;
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (r[i] == 0 && c[i] == 0) continue;
    const double p = r[i] ? static_cast<double>(r[i]) / nr : epsilon;
    const double q = c[i] ? static_cast<double>(c[i]) / nc : epsilon;
    s += (q - p) * std::log(q / p);
  }
  return s;
}

double js_counts(const std::vector<std::int64_t>& r, const std::vector<std::int64_t>& c) {
  double nr = 0, nc = 0;
  for (auto v : r) nr += static_cast<double>(v);
  for (auto v : c) nc += static_cast<double>(v);
  double d = 0;
  for (std::size_t i = 0; i < r.size(); ++i) {
    const double p = static_cast<double>(r[i]) / nr;
    const double q = static_cast<double>(c[i]) / nc;
    const double m = 0.5 * (p + q);
    if (p > 0) d += 0.5 * p * std::log(p / m);
    if (q > 0) d += 0.5 * q * std::log(q / m);
  }
  return std::sqrt(std::max(d, 0.0));
}

// ---- JSON -------------------------------------------------------------------------------------

std::vector<std::int64_t> json_to_counts(const Json& obj, const char* key,
                                         const std::string& where) {
  const Json a = json_get<Json>(obj, key, where);
  CHURN_CHECK(a.is_array(), SerializationError, where << ": field '" << key << "' must be a list");
  std::vector<std::int64_t> out;
  out.reserve(a.size());
  for (const auto& v : a) {
    std::int64_t x = 0;
    CHURN_CHECK(json_int_value(v, x) && x >= 0, SerializationError,
                where << ": field '" << key << "' must hold integer counts >= 0");
    out.push_back(x);
  }
  return out;
}

}  // namespace churn::monitor::detail
