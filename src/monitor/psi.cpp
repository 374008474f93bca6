#include "churn/monitor/psi.hpp"

#include <algorithm>      // std::sort, std::lower_bound, std::minmax
#include <cmath>          // std::isnan, std::isfinite, std::nextafter
#include <limits>         // std::numeric_limits
#include <unordered_map>  // std::unordered_map
#include <utility>        // std::move

#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "common/checks.hpp"
#include "monitor/columns.hpp"
#include "monitor/cut_index.hpp"
#include "monitor/divergence.hpp"
#include "monitor/select_quantiles.hpp"
#include "monitor/state_json.hpp"  // kBinningNames

namespace churn::monitor {

using data::Column;
using data::DType;
using data::dtype_name;

namespace {

constexpr Index kBlock = 1 << 16;

void check_epsilon(double epsilon, const char* caller) {
  CHURN_CHECK(epsilon > 0.0 && epsilon < 1.0, InvalidArgument,
              caller << ": epsilon must be in (0, 1), got " << epsilon);
}

void check_not_empty(Index n, const char* caller, const char* arg) {
  CHURN_CHECK(n > 0, InvalidArgument, caller << ": " << arg << " is empty");
}

std::vector<double> non_missing(const VectorRef& x) {
  std::vector<double> v;
  v.reserve(static_cast<std::size_t>(x.size()));
  for (Index i = 0; i < x.size(); ++i)
    if (!std::isnan(x[i])) v.push_back(x[i]);
  return v;
}

std::vector<double> finite_non_missing(const VectorRef& x, const char* caller) {
  common::check_each(x, caller, "the reference", "hold no infinite value (NaN for missing)",
                     [](double v) { return !std::isinf(v); });
  return non_missing(x);
}

void check_bins(int bins, const char* caller) {
  CHURN_CHECK(bins >= 1, InvalidArgument, caller << ": bins must be >= 1, got " << bins);
}

/// Value-bin counts followed by the missing count.
std::vector<std::int64_t> bin_counts(const Histogram& h) {
  std::vector<std::int64_t> c = h.counts();
  c.push_back(h.missing());
  return c;
}

void check_counts(const std::vector<std::int64_t>& r, const std::vector<std::int64_t>& c,
                  const char* caller) {
  CHURN_CHECK(r.size() == c.size(), InvalidArgument,
              caller << ": reference has " << r.size() << " bins, current " << c.size());
  std::int64_t nr = 0, nc = 0;
  for (std::size_t i = 0; i < r.size(); ++i) {
    CHURN_CHECK(r[i] >= 0 && c[i] >= 0, InvalidArgument,
                caller << ": counts must be >= 0 (bin " << i << ")");
    nr += r[i];
    nc += c[i];
  }
  CHURN_CHECK(nr > 0, InvalidArgument, caller << ": reference counts sum to 0");
  CHURN_CHECK(nc > 0, InvalidArgument, caller << ": current counts sum to 0");
}

}  // namespace

const char* binning_name(Binning b) {
  return common::enum_name(detail::kBinningNames, b);
}

Binning binning_from_name(std::string_view name) {
  return common::enum_from_name(detail::kBinningNames, name, "binning_from_name()", "binning");
}

std::vector<double> quantiles(const VectorRef& x, const std::vector<double>& levels) {
  for (double q : levels)
    CHURN_CHECK(q >= 0.0 && q <= 1.0, InvalidArgument,
                "quantiles(): levels must be in [0, 1], got " << q);
  std::vector<double> v = finite_non_missing(x, "quantiles()");
  CHURN_CHECK(!v.empty(), InvalidArgument, "quantiles(): x has no non-missing value");
  return detail::select_quantiles(v, levels);
}

std::vector<double> bin_edges(const VectorRef& reference, int bins, Binning binning) {
  check_bins(bins, "bin_edges()");
  std::vector<double> v = finite_non_missing(reference, "bin_edges()");
  return detail::edges_of(v, bins, binning == Binning::Quantile);
}

// ---- Histogram --------------------------------------------------------------------------------

Histogram::Histogram(std::vector<double> edges) : edges_(std::move(edges)) {
  for (std::size_t i = 0; i < edges_.size(); ++i) {
    CHURN_CHECK(std::isfinite(edges_[i]), InvalidArgument,
                "Histogram(): edges must be finite, got " << edges_[i] << " at " << i);
    CHURN_CHECK(i == 0 || edges_[i] > edges_[i - 1], InvalidArgument,
                "Histogram(): edges must be strictly increasing, got " << edges_[i - 1] << " then "
                                                                       << edges_[i]);
  }
  // cells: below e_0 | inner bins ... | above e_m
  if (!edges_.empty()) {
    cuts_.push_back(edges_.front());
    for (std::size_t i = 1; i + 1 < edges_.size(); ++i) cuts_.push_back(edges_[i]);
    cuts_.push_back(std::nextafter(edges_.back(), std::numeric_limits<double>::infinity()));
  }
  counts_.assign(edges_.size() > 1 ? edges_.size() - 1 : 1, 0);
}

std::int64_t Histogram::total() const {
  std::int64_t t = missing_;
  for (auto c : counts_) t += c;
  return t;
}

Histogram& Histogram::add(const VectorRef& x, int n_threads) {
  const Index n = x.size();
  const detail::CutIndex index(cuts_);
  const std::size_t nc = index.n_cells();
  const Index n_blocks = (n + kBlock - 1) / kBlock;
  std::vector<std::int64_t> cells(static_cast<std::size_t>(n_blocks) * (nc + 1), 0);
  parallel_for(0, n_blocks, n_threads, [&](Index b) {
    const Index lo = b * kBlock, hi = std::min(n, lo + kBlock);
    std::int64_t* out = cells.data() + static_cast<std::size_t>(b) * (nc + 1);
    index.count(x.data() + lo, hi - lo, out, out[nc]);
  });
  std::vector<std::int64_t> sum(nc + 1, 0);
  for (Index b = 0; b < n_blocks; ++b)
    for (std::size_t k = 0; k <= nc; ++k)
      sum[k] += cells[static_cast<std::size_t>(b) * (nc + 1) + k];
  missing_ += sum[nc];
  if (edges_.empty()) {
    counts_[0] += sum[0];
    out_of_range_ += sum[0];
  } else {
    // cells 0 (below) and 1 go to bin 0; the last cell (above) to the last bin
    out_of_range_ += sum[0] + sum[nc - 1];
    counts_.front() += sum[0];
    counts_.back() += sum[nc - 1];
    for (std::size_t k = 1; k + 1 < nc; ++k) counts_[k - 1] += sum[k];
  }
  return *this;
}

Histogram& Histogram::add(const Column& column, int n_threads) {
  if (column.dtype() == DType::Float64) return add(VectorRef(column.as_float64()), n_threads);
  Vector v(column.size());
  detail::column_values(column, 0, column.size(), v.data(), "Histogram::add()");
  return add(VectorRef(v), n_threads);
}

Histogram& Histogram::merge(const Histogram& other) {
  CHURN_CHECK(other.edges_ == edges_, InvalidArgument,
              "Histogram::merge(): the histograms have different edges");
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  missing_ += other.missing_;
  out_of_range_ += other.out_of_range_;
  return *this;
}

std::vector<double> Histogram::shares(double epsilon) const {
  const std::int64_t t = total();
  CHURN_CHECK(t > 0, InvalidArgument, "Histogram::shares(): the histogram is empty");
  CHURN_CHECK(epsilon >= 0.0 && epsilon < 1.0, InvalidArgument,
              "Histogram::shares(): epsilon must be in [0, 1), got " << epsilon);
  std::vector<double> s;
  for (auto c : bin_counts(*this))
    s.push_back(c ? static_cast<double>(c) / static_cast<double>(t) : epsilon);
  return s;
}

Histogram Histogram::from_parts(std::vector<double> edges, std::vector<std::int64_t> counts,
                                std::int64_t missing, std::int64_t out_of_range) {
  Histogram h(std::move(edges));
  CHURN_CHECK(
      counts.size() == h.counts_.size(), InvalidArgument,
      "Histogram::from_parts(): expected " << h.counts_.size() << " counts, got " << counts.size());
  for (auto c : counts)
    CHURN_CHECK(c >= 0, InvalidArgument, "Histogram::from_parts(): counts must be >= 0, got " << c);
  CHURN_CHECK(missing >= 0 && out_of_range >= 0, InvalidArgument,
              "Histogram::from_parts(): missing and out_of_range must be >= 0");
  h.counts_ = std::move(counts);
  h.missing_ = missing;
  h.out_of_range_ = out_of_range;
  return h;
}

// ---- CategoryCounts ---------------------------------------------------------------------------

CategoryCounts& CategoryCounts::add(const Column& column) {
  if (column.dtype() == DType::Categorical) {
    const auto& dict = column.categories();
    std::vector<std::int64_t> per_code(dict.size(), 0);
    std::int64_t missing = 0;
    const auto codes = column.codes();
    for (Index i = 0; i < codes.size(); ++i) {
      const std::int32_t c = codes[i];
      if (c < 0) {
        ++missing;
      } else {
        ++per_code[static_cast<std::size_t>(c)];
      }
    }
    return merge(detail::counts_by_name(dict, per_code, missing));
  }
  CategoryCounts part;
  if (column.dtype() == DType::String) {
    const auto& s = column.strings();
    const auto& valid = column.validity();
    std::unordered_map<std::string_view, std::int64_t> m;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (!valid.empty() && !valid[i]) {
        ++part.missing_;
      } else {
        ++m[s[i]];
      }
    }
    std::vector<std::pair<std::string_view, std::int64_t>> items(m.begin(), m.end());
    std::sort(items.begin(), items.end());
    for (const auto& [k, v] : items) {
      part.categories_.emplace_back(k);
      part.counts_.push_back(v);
    }
  } else {
    CHURN_THROW(TypeMismatch, "CategoryCounts::add(): column '" << column.name() << "' has type "
                                                                << dtype_name(column.dtype())
                                                                << "; expected category or string");
  }
  return merge(part);
}

CategoryCounts& CategoryCounts::merge(const CategoryCounts& other) {
  std::vector<std::string> cats;
  std::vector<std::int64_t> counts;
  cats.reserve(categories_.size() + other.categories_.size());
  std::size_t i = 0, j = 0;
  while (i < categories_.size() || j < other.categories_.size()) {
    if (j == other.categories_.size() ||
        (i < categories_.size() && categories_[i] < other.categories_[j])) {
      cats.push_back(std::move(categories_[i]));
      counts.push_back(counts_[i++]);
    } else if (i == categories_.size() || other.categories_[j] < categories_[i]) {
      cats.push_back(other.categories_[j]);
      counts.push_back(other.counts_[j++]);
    } else {
      cats.push_back(std::move(categories_[i]));
      counts.push_back(counts_[i++] + other.counts_[j++]);
    }
  }
  categories_ = std::move(cats);
  counts_ = std::move(counts);
  missing_ += other.missing_;
  return *this;
}

std::int64_t CategoryCounts::count(std::string_view category) const {
  auto it = std::lower_bound(categories_.begin(), categories_.end(), category,
                             [](const std::string& a, std::string_view b) { return a < b; });
  if (it == categories_.end() || *it != category) return 0;
  return counts_[static_cast<std::size_t>(it - categories_.begin())];
}

std::int64_t CategoryCounts::total() const {
  std::int64_t t = missing_;
  for (auto c : counts_) t += c;
  return t;
}

CategoryCounts CategoryCounts::from_parts(std::vector<std::string> categories,
                                          std::vector<std::int64_t> counts, std::int64_t missing) {
  CHURN_CHECK(categories.size() == counts.size(), InvalidArgument,
              "CategoryCounts::from_parts(): " << categories.size() << " categories but "
                                               << counts.size() << " counts");
  for (std::size_t i = 0; i < categories.size(); ++i) {
    CHURN_CHECK(i == 0 || categories[i - 1] < categories[i], InvalidArgument,
                "CategoryCounts::from_parts(): categories must be sorted and distinct at '"
                    << categories[i] << "'");
    CHURN_CHECK(counts[i] > 0, InvalidArgument,
                "CategoryCounts::from_parts(): counts must be > 0, got " << counts[i]);
  }
  CHURN_CHECK(missing >= 0, InvalidArgument,
              "CategoryCounts::from_parts(): missing must be >= 0, got " << missing);
  CategoryCounts c;
  c.categories_ = std::move(categories);
  c.counts_ = std::move(counts);
  c.missing_ = missing;
  return c;
}

std::vector<std::int64_t> categorical_bin_counts(const CategoryCounts& reference,
                                                 const CategoryCounts& current) {
  const auto& rc = reference.categories();
  const auto& cc = current.categories();
  std::vector<std::int64_t> out(rc.size() + 2, 0);
  std::size_t i = 0;
  for (std::size_t j = 0; j < cc.size(); ++j) {
    while (i < rc.size() && rc[i] < cc[j]) ++i;
    if (i < rc.size() && rc[i] == cc[j]) {
      out[i] += current.counts()[j];
    } else {
      out[rc.size()] += current.counts()[j];
    }
  }
  out[rc.size() + 1] = current.missing();
  return out;
}

// ---- statistics -------------------------------------------------------------------------------

double psi_from_counts(const std::vector<std::int64_t>& reference,
                       const std::vector<std::int64_t>& current, double epsilon) {
  check_epsilon(epsilon, "psi_from_counts()");
  check_counts(reference, current, "psi_from_counts()");
  return detail::psi_counts(reference, current, epsilon);
}

double js_from_counts(const std::vector<std::int64_t>& reference,
                      const std::vector<std::int64_t>& current) {
  check_counts(reference, current, "js_from_counts()");
  return detail::js_counts(reference, current);
}

double psi(const VectorRef& reference, const VectorRef& current, int bins, Binning binning,
           double epsilon) {
  check_not_empty(reference.size(), "psi()", "reference");
  check_not_empty(current.size(), "psi()", "current");
  check_bins(bins, "psi()");
  check_epsilon(epsilon, "psi()");
  Histogram r(bin_edges(reference, bins, binning));
  Histogram c(r.edges());
  r.add(reference);
  c.add(current);
  return detail::psi_counts(bin_counts(r), bin_counts(c), epsilon);
}

double js_distance(const VectorRef& reference, const VectorRef& current, int bins,
                   Binning binning) {
  check_not_empty(reference.size(), "js_distance()", "reference");
  check_not_empty(current.size(), "js_distance()", "current");
  check_bins(bins, "js_distance()");
  Histogram r(bin_edges(reference, bins, binning));
  Histogram c(r.edges());
  r.add(reference);
  c.add(current);
  return detail::js_counts(bin_counts(r), bin_counts(c));
}

double ks_statistic(const VectorRef& reference, const VectorRef& current) {
  check_not_empty(reference.size(), "ks_statistic()", "reference");
  check_not_empty(current.size(), "ks_statistic()", "current");
  std::vector<double> a = non_missing(reference), b = non_missing(current);
  if (a.empty() || b.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  const double na = static_cast<double>(a.size()), nb = static_cast<double>(b.size());
  std::size_t i = 0, j = 0;
  double d = 0;
  while (i < a.size() && j < b.size()) {
    const double x = std::min(a[i], b[j]);
    while (i < a.size() && a[i] == x) ++i;
    while (j < b.size() && b[j] == x) ++j;
    d = std::max(d, std::abs(static_cast<double>(i) / na - static_cast<double>(j) / nb));
  }
  // past the end of one sample the other's distance only shrinks towards 0
  return d;
}

double missing_rate(const VectorRef& x) {
  check_not_empty(x.size(), "missing_rate()", "x");
  Index m = 0;
  for (Index i = 0; i < x.size(); ++i) m += std::isnan(x[i]) ? 1 : 0;
  return static_cast<double>(m) / static_cast<double>(x.size());
}

double share_out_of_range(const VectorRef& reference, const VectorRef& current) {
  check_not_empty(reference.size(), "share_out_of_range()", "reference");
  check_not_empty(current.size(), "share_out_of_range()", "current");
  const std::vector<double> r = non_missing(reference);
  const std::vector<double> c = non_missing(current);
  if (c.empty()) return std::numeric_limits<double>::quiet_NaN();
  if (r.empty()) return 1.0;
  const auto mm = std::minmax_element(r.begin(), r.end());
  Index out = 0;
  for (double x : c) out += (x < *mm.first || x > *mm.second) ? 1 : 0;
  return static_cast<double>(out) / static_cast<double>(c.size());
}

double categorical_psi(const Column& reference, const Column& current, double epsilon) {
  check_epsilon(epsilon, "categorical_psi()");
  check_not_empty(reference.size(), "categorical_psi()", "reference");
  check_not_empty(current.size(), "categorical_psi()", "current");
  CategoryCounts r, c;
  r.add(reference);
  c.add(current);
  std::vector<std::int64_t> rc = categorical_bin_counts(r, r);
  return detail::psi_counts(rc, categorical_bin_counts(r, c), epsilon);
}

double categorical_js_distance(const Column& reference, const Column& current) {
  check_not_empty(reference.size(), "categorical_js_distance()", "reference");
  check_not_empty(current.size(), "categorical_js_distance()", "current");
  CategoryCounts r, c;
  r.add(reference);
  c.add(current);
  return detail::js_counts(categorical_bin_counts(r, r), categorical_bin_counts(r, c));
}

std::vector<std::string> unseen_categories(const Column& reference, const Column& current) {
  CategoryCounts r, c;
  r.add(reference);
  c.add(current);
  std::vector<std::string> out;
  for (const auto& cat : c.categories())
    if (r.count(cat) == 0) out.push_back(cat);
  return out;
}

}  // namespace churn::monitor
