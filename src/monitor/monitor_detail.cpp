#include "monitor_detail.hpp"

#include <algorithm>  // std::sort, std::nth_element, std::min, std::max, std::unique
#include <cmath>      // std::isnan, std::isinf, std::isfinite, std::fma, std::ldexp, std::log
#include <cstring>    // std::memcpy
#include <limits>     // std::numeric_limits
#include <utility>    // std::move

#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"

namespace churn::monitor::detail {

bool is_numeric(DType t) {
  return t == DType::Float64 || t == DType::Int64 || t == DType::Timestamp;
}

bool is_categorical(DType t) {
  return t == DType::Categorical || t == DType::String;
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

/// Order-preserving image of a non-NaN double (+0.0 and -0.0 folded by the caller).
inline std::uint64_t key_of(double x) {
  std::uint64_t u;
  std::memcpy(&u, &x, sizeof u);
  return (u >> 63) ? ~u : (u | (std::uint64_t{1} << 63));
}

constexpr int kTableBits = 11;  // 2048 buckets

}  // namespace

CutIndex::CutIndex(const std::vector<double>& cuts) : cuts_(cuts) {
  for (auto& c : cuts_) c = c + 0.0;  // -0.0 -> +0.0
  if (cuts_.size() < 2) return;
  key_lo_ = key_of(cuts_.front());
  key_hi_ = key_of(cuts_.back());
  const std::uint64_t range = key_hi_ - key_lo_;
  shift_ = 0;
  while ((range >> shift_) >= (std::uint64_t{1} << kTableBits)) ++shift_;
  const std::size_t n_buckets = static_cast<std::size_t>(range >> shift_) + 1;
  first_.assign(n_buckets + 1, 0);
  for (double c : cuts_) ++first_[static_cast<std::size_t>((key_of(c) - key_lo_) >> shift_) + 1];
  for (std::size_t b = 1; b <= n_buckets; ++b) first_[b] += first_[b - 1];
  table_ = true;
}

std::size_t CutIndex::find(double x) const {
  const std::size_t n = cuts_.size();
  const double* c = cuts_.data();
  x = x + 0.0;
  std::size_t lo = 0, hi = n;
  if (table_) {
    const std::uint64_t k = key_of(x);
    if (k < key_lo_) return 0;
    if (k >= key_hi_) return n;
    const auto b = static_cast<std::size_t>((k - key_lo_) >> shift_);
    lo = first_[b];
    hi = first_[b + 1];
    if (hi - lo <= 2) {
      while (lo < hi && c[lo] <= x) ++lo;
      return lo;
    }
  }
  // branch-free binary search over [lo, hi): number of cuts <= x
  const double* base = c + lo;
  std::size_t len = hi - lo;
  if (len == 0) return lo;
  while (len > 1) {
    const std::size_t half = len / 2;
    base = (base[half] <= x) ? base + half : base;
    len -= half;
  }
  return static_cast<std::size_t>(base - c) + (*base <= x ? 1 : 0);
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

// ---- ExactSum ---------------------------------------------------------------------------------

namespace {
constexpr std::size_t kBuckets = 2048;
}

void ExactSum::ensure() {
  if (b_.empty()) b_.assign(kBuckets, 0);
}

void ExactSum::add(double x) {
  std::uint64_t u;
  std::memcpy(&u, &x, sizeof u);
  auto e = static_cast<std::size_t>((u >> 52) & 0x7ff);
  if (e == 0x7ff) {
    (u >> 63 ? neg_inf_ : pos_inf_) += 1;
    return;
  }
  auto m = static_cast<std::int64_t>(u & ((std::uint64_t{1} << 52) - 1));
  if (e == 0) {
    if (m == 0) return;
    e = 1;  // subnormals share the scale of exponent 1
  } else {
    m |= std::int64_t{1} << 52;
  }
  ensure();
  b_[e] += (u >> 63) ? -static_cast<Int128>(m) : static_cast<Int128>(m);
}

void ExactSum::add_square(double x) {
  const double h = x * x;
  add(h);
  if (std::isfinite(h)) add(std::fma(x, x, -h));
}

void ExactSum::merge(const ExactSum& other) {
  pos_inf_ += other.pos_inf_;
  neg_inf_ += other.neg_inf_;
  if (other.b_.empty()) return;
  ensure();
  for (std::size_t e = 0; e < kBuckets; ++e) b_[e] += other.b_[e];
}

bool ExactSum::empty() const {
  if (pos_inf_ || neg_inf_) return false;
  for (const auto& v : b_)
    if (v != 0) return false;
  return true;
}

bool ExactSum::operator==(const ExactSum& o) const {
  if (pos_inf_ != o.pos_inf_ || neg_inf_ != o.neg_inf_) return false;
  for (std::size_t e = 0; e < kBuckets; ++e) {
    const Int128 a = b_.empty() ? 0 : b_[e];
    const Int128 b = o.b_.empty() ? 0 : o.b_[e];
    if (a != b) return false;
  }
  return true;
}

namespace {
inline void two_sum(double a, double b, double& s, double& err) {
  s = a + b;
  const double bb = s - a;
  err = (a - (s - bb)) + (b - bb);
}
}  // namespace

void ExactSum::value(double& hi, double& lo) const {
  const double inf = std::numeric_limits<double>::infinity();
  if (pos_inf_ && neg_inf_) {
    hi = std::numeric_limits<double>::quiet_NaN();
    lo = 0;
    return;
  }
  if (pos_inf_ || neg_inf_) {
    hi = pos_inf_ ? inf : -inf;
    lo = 0;
    return;
  }
  // deterministic compensated sum from the largest exponent down (the state is exact, so the
  // result depends only on the state)
  double s = 0, c = 0;
  for (std::size_t e = b_.size(); e-- > 0;) {
    const Int128 v = b_[e];
    if (v == 0) continue;
    const auto h = static_cast<double>(v);
    const auto l = static_cast<double>(v - static_cast<Int128>(h));
    const int scale = static_cast<int>(e) - 1075;
    const double parts[2] = {std::ldexp(h, scale), std::ldexp(l, scale)};
    for (double p : parts) {
      double t, err;
      two_sum(s, p, t, err);
      s = t;
      c += err;
    }
  }
  two_sum(s, c, hi, lo);
}

Json ExactSum::to_json() const {
  Json parts = Json::array();
  for (std::size_t e = 0; e < b_.size(); ++e) {
    const Int128 v = b_[e];
    if (v == 0) continue;
    const auto high = static_cast<std::int64_t>(v >> 64);
    const auto low = static_cast<std::uint64_t>(v);
    parts.push_back(Json::array({static_cast<std::int64_t>(e), high, low}));
  }
  return Json{{"parts", parts}, {"pos_inf", pos_inf_}, {"neg_inf", neg_inf_}};
}

ExactSum ExactSum::from_json(const Json& j, const std::string& where) {
  check_members(j, {"parts", "pos_inf", "neg_inf"}, where);
  ExactSum s;
  s.pos_inf_ = json_get_int<std::int64_t>(j, "pos_inf", where);
  s.neg_inf_ = json_get_int<std::int64_t>(j, "neg_inf", where);
  CHURN_CHECK(s.pos_inf_ >= 0 && s.neg_inf_ >= 0, SerializationError,
              where << ": infinity counts must be >= 0");
  const Json parts = json_get<Json>(j, "parts", where);
  CHURN_CHECK(parts.is_array(), SerializationError, where << ": 'parts' must be a list");
  std::int64_t prev = 0;
  for (const auto& p : parts) {
    std::int64_t e = 0, high = 0;
    std::uint64_t low = 0;
    CHURN_CHECK(p.is_array() && p.size() == 3 && json_int_value(p[0], e) &&
                    json_int_value(p[1], high) && json_int_value(p[2], low),
                SerializationError, where << ": each part must be [exponent, high, low] integers");
    CHURN_CHECK(e > prev && e < static_cast<std::int64_t>(kBuckets) - 1, SerializationError,
                where << ": part exponents must increase within 1..2046, got " << e);
    // real sums stay far below 2^104 per bucket (2^51 values of < 2^53); the bound keeps
    // merges of damaged documents from overflowing
    CHURN_CHECK(high > -(std::int64_t{1} << 40) && high < (std::int64_t{1} << 40),
                SerializationError, where << ": part " << e << " is out of range");
    prev = e;
    s.ensure();
    s.b_[static_cast<std::size_t>(e)] =
        static_cast<Int128>((static_cast<UInt128>(static_cast<std::uint64_t>(high)) << 64) | low);
  }
  return s;
}

// ---- quantiles --------------------------------------------------------------------------------

namespace {

void multi_select(double* first, double* last, const std::size_t* r_first,
                  const std::size_t* r_last, std::size_t offset) {
  while (r_first != r_last) {
    const std::size_t* mid = r_first + (r_last - r_first) / 2;
    double* nth = first + (*mid - offset);
    std::nth_element(first, nth, last);
    multi_select(first, nth, r_first, mid, offset);
    r_first = mid + 1;
    offset = *mid + 1;
    first = nth + 1;
  }
}

}  // namespace

std::vector<double> select_quantiles(std::vector<double>& v, const std::vector<double>& levels) {
  const std::size_t n = v.size();
  std::vector<std::size_t> ranks;
  ranks.reserve(2 * levels.size());
  for (double q : levels) {
    const double pos = q * static_cast<double>(n - 1);
    auto lo = static_cast<std::size_t>(std::max(0.0, std::floor(pos)));
    lo = std::min(lo, n - 1);
    ranks.push_back(lo);
    ranks.push_back(std::min(lo + 1, n - 1));
  }
  std::sort(ranks.begin(), ranks.end());
  ranks.erase(std::unique(ranks.begin(), ranks.end()), ranks.end());
  multi_select(v.data(), v.data() + n, ranks.data(), ranks.data() + ranks.size(), 0);
  std::vector<double> out;
  out.reserve(levels.size());
  for (double q : levels) {
    // numpy.quantile(method="linear"): virtual index q * (n - 1), then numpy's _lerp
    const double pos = q * static_cast<double>(n - 1);
    auto lo = static_cast<std::size_t>(std::max(0.0, std::floor(pos)));
    lo = std::min(lo, n - 1);
    const std::size_t hi = std::min(lo + 1, n - 1);
    const double t = pos - static_cast<double>(lo);
    const double a = v[lo], b = v[hi];
    if (a == b) {
      out.push_back(a);
      continue;
    }
    const double diff = b - a;
    out.push_back(t >= 0.5 ? b - diff * (1.0 - t) : a + diff * t);
  }
  return out;
}

std::vector<double> edges_of(std::vector<double>& v, int bins, bool quantile) {
  std::vector<double> e;
  if (v.empty()) return e;
  if (quantile) {
    std::vector<double> levels(static_cast<std::size_t>(bins) + 1);
    for (int i = 0; i <= bins; ++i) levels[static_cast<std::size_t>(i)] = double(i) / bins;
    levels.back() = 1.0;
    e = select_quantiles(v, levels);
  } else {
    const auto mm = std::minmax_element(v.begin(), v.end());
    const double lo = *mm.first, hi = *mm.second;
    e.push_back(lo);
    for (int i = 1; i < bins; ++i) {
      const double t = double(i) / bins;
      e.push_back(lo * (1.0 - t) + hi * t);
    }
    e.push_back(hi);
    for (auto& x : e) x = std::min(std::max(x, lo), hi);
  }
  for (auto& x : e) x = x + 0.0;  // -0.0 -> +0.0
  std::sort(e.begin(), e.end());
  e.erase(std::unique(e.begin(), e.end()), e.end());
  return e;
}

std::vector<double> finite_values(const Column& c, const char* caller, int n_threads) {
  const Index n = c.size();
  std::vector<double> all(static_cast<std::size_t>(n));
  constexpr Index kBlock = 1 << 16;
  parallel_for_blocks(0, n, kBlock, n_threads, [&](Index lo, Index hi) {
    column_values(c, lo, hi, all.data() + lo, caller);
  });
  std::size_t k = 0;
  for (Index i = 0; i < n; ++i) {
    const double x = all[static_cast<std::size_t>(i)];
    if (std::isnan(x)) continue;
    CHURN_CHECK(!std::isinf(x), InvalidArgument,
                caller << ": column '" << c.name() << "' holds an infinite value at row " << i
                       << "; reference values must be finite (or NaN for missing)");
    all[k++] = x;
  }
  all.resize(k);
  return all;
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

void check_members(const Json& obj, std::initializer_list<const char*> allowed,
                   const std::string& where) {
  CHURN_CHECK(obj.is_object(), SerializationError, where << ": expected a JSON object");
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    bool ok = false;
    for (const char* a : allowed) ok |= (it.key() == a);
    CHURN_CHECK(ok, SerializationError,
                where << ": unknown member '" << it.key()
                      << "' (written by a newer churnlib, or the file is damaged)");
  }
}

Json doubles_to_json(const std::vector<double>& v) {
  Json a = Json::array();
  for (double x : v) a.push_back(json_from_double(x));
  return a;
}

std::vector<double> json_to_doubles(const Json& obj, const char* key, const std::string& where) {
  const Json a = json_get<Json>(obj, key, where);
  CHURN_CHECK(a.is_array(), SerializationError, where << ": field '" << key << "' must be a list");
  std::vector<double> out;
  out.reserve(a.size());
  const std::string w = where + "." + key;
  for (const auto& v : a) out.push_back(json_to_double(v, w));
  return out;
}

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
