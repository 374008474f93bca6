#include "churn/data/summary.hpp"

#include <algorithm>      // std::sort, std::max, std::min
#include <cmath>          // std::isnan, std::sqrt, std::llround
#include <cstdint>        // std::int64_t, std::uint64_t
#include <cstdio>         // std::snprintf
#include <limits>         // std::numeric_limits
#include <sstream>        // std::ostringstream
#include <string_view>    // std::string_view
#include <unordered_map>  // std::unordered_map
#include <utility>        // std::move, std::pair
#include <vector>         // std::vector

#include "churn/core/datetime.hpp"
#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "common/quantile.hpp"

namespace churn::data {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// The statistics of one column.
struct ColumnStats {
  double count = 0;
  double missing = 0;
  double missing_rate = kNaN;
  double mean = kNaN;
  double std = kNaN;
  double min = kNaN;
  double p25 = kNaN;
  double p50 = kNaN;
  double p75 = kNaN;
  double max = kNaN;
  double n_unique = 0;
  std::string top;
};

// Mean (two-pass with correction), sample std and quantiles of sorted values; each result is
// shifted by `base` (the values are offsets from it, see int-like columns).
void numeric_stats(const std::vector<double>& x, double base, ColumnStats& s) {
  const std::size_t n = x.size();
  if (n == 0) return;
  double sum = 0;
  for (double v : x) sum += v;
  double mean = sum / static_cast<double>(n);
  double corr = 0;
  for (double v : x) corr += v - mean;
  mean += corr / static_cast<double>(n);
  s.mean = base + mean;
  if (n >= 2) {
    double ss = 0;
    for (double v : x) ss += (v - mean) * (v - mean);
    s.std = std::sqrt(ss / static_cast<double>(n - 1));
  }
  s.min = base + x.front();
  s.p25 = base + common::quantile_sorted(x, 0.25);
  s.p50 = base + common::quantile_sorted(x, 0.50);
  s.p75 = base + common::quantile_sorted(x, 0.75);
  s.max = base + x.back();
}

ColumnStats stats_float64(const Column& c) {
  ColumnStats s;
  const auto x = c.as_float64();
  std::vector<double> v;
  v.reserve(static_cast<std::size_t>(c.size()));
  for (Index i = 0; i < c.size(); ++i)
    if (!std::isnan(x[i])) v.push_back(x[i]);
  std::sort(v.begin(), v.end());
  numeric_stats(v, 0.0, s);
  for (std::size_t i = 0; i < v.size(); ++i)
    if (i == 0 || v[i] != v[i - 1]) s.n_unique += 1;  // -0.0 == 0.0
  s.count = static_cast<double>(v.size());
  return s;
}

// int64 and timestamp: the statistics are computed on offsets from the smallest value, so
// timestamps (~1.7e18 ns) keep their precision through the sums.
ColumnStats stats_int64(const Column& c) {
  ColumnStats s;
  const auto x = c.as_int64();
  const bool ts = c.dtype() == DType::Timestamp;
  const auto& valid = c.validity();
  std::vector<std::int64_t> v;
  v.reserve(static_cast<std::size_t>(c.size()));
  for (Index i = 0; i < c.size(); ++i) {
    const bool missing =
        ts ? x[i] == kNaT : (!valid.empty() && valid[static_cast<std::size_t>(i)] == 0);
    if (!missing) v.push_back(x[i]);
  }
  std::sort(v.begin(), v.end());
  s.count = static_cast<double>(v.size());
  if (v.empty()) return s;
  const std::int64_t base = v.front();
  std::vector<double> off(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    // unsigned subtraction cannot overflow; v[i] >= base so the difference is exact
    off[i] =
        static_cast<double>(static_cast<std::uint64_t>(v[i]) - static_cast<std::uint64_t>(base));
    if (i == 0 || v[i] != v[i - 1]) s.n_unique += 1;
  }
  numeric_stats(off, static_cast<double>(base), s);
  s.min = static_cast<double>(v.front());
  s.max = static_cast<double>(v.back());
  return s;
}

ColumnStats stats_categorical(const Column& c) {
  ColumnStats s;
  const auto codes = c.codes();
  const auto& cats = c.categories();
  std::vector<Index> count(cats.size(), 0);
  std::vector<Index> first(cats.size(), -1);
  for (Index i = 0; i < c.size(); ++i) {
    if (codes[i] < 0) continue;
    const auto k = static_cast<std::size_t>(codes[i]);
    if (count[k]++ == 0) first[k] = i;
    s.count += 1;
  }
  std::size_t best = cats.size();
  for (std::size_t k = 0; k < cats.size(); ++k) {
    if (count[k] == 0) continue;
    s.n_unique += 1;
    if (best == cats.size() || count[k] > count[best] ||
        (count[k] == count[best] && first[k] < first[best]))
      best = k;
  }
  if (best < cats.size()) s.top = cats[best];
  return s;
}

ColumnStats stats_string(const Column& c) {
  ColumnStats s;
  const auto& values = c.strings();
  const auto& valid = c.validity();
  // value -> (count, first row)
  std::unordered_map<std::string_view, std::pair<Index, Index>> seen;
  for (Index i = 0; i < c.size(); ++i) {
    const auto u = static_cast<std::size_t>(i);
    if (!valid.empty() && valid[u] == 0) continue;
    auto [it, inserted] = seen.emplace(values[u], std::make_pair(Index{0}, i));
    ++it->second.first;
    s.count += 1;
  }
  s.n_unique = static_cast<double>(seen.size());
  Index best_count = 0;
  Index best_first = std::numeric_limits<Index>::max();
  for (const auto& [value, cf] : seen) {
    if (cf.first > best_count || (cf.first == best_count && cf.second < best_first)) {
      best_count = cf.first;
      best_first = cf.second;
      s.top = std::string(value);
    }
  }
  return s;
}

ColumnStats column_stats(const Column& c, Index n_rows) {
  ColumnStats s;
  switch (c.dtype()) {
    case DType::Float64: s = stats_float64(c); break;
    case DType::Int64:
    case DType::Timestamp: s = stats_int64(c); break;
    case DType::Categorical: s = stats_categorical(c); break;
    case DType::String: s = stats_string(c); break;
  }
  s.missing = static_cast<double>(n_rows) - s.count;
  s.missing_rate = n_rows > 0 ? s.missing / static_cast<double>(n_rows) : kNaN;
  return s;
}

}  // namespace

Table describe(const Table& table, int n_threads) {
  const Index p = table.num_columns();
  std::vector<ColumnStats> stats(static_cast<std::size_t>(p));
  parallel_for(0, p, n_threads, [&](Index j) {
    stats[static_cast<std::size_t>(j)] = column_stats(table.column(j), table.num_rows());
  });

  const auto n = static_cast<std::size_t>(p);
  std::vector<std::string> names(n), dtypes(n), tops(n);
  std::vector<std::vector<double>> num(11, std::vector<double>(n));
  for (std::size_t j = 0; j < n; ++j) {
    const Column& c = table.column(static_cast<Index>(j));
    const ColumnStats& s = stats[j];
    names[j] = c.name();
    dtypes[j] = dtype_name(c.dtype());
    tops[j] = s.top;
    const double row[11] = {s.count, s.missing, s.missing_rate, s.mean, s.std,     s.min,
                            s.p25,   s.p50,     s.p75,          s.max,  s.n_unique};
    for (std::size_t k = 0; k < 11; ++k) num[k][j] = row[k];
  }
  static const char* const kNumericNames[11] = {"count", "missing", "missing_rate", "mean",
                                                "std",   "min",     "p25",          "p50",
                                                "p75",   "max",     "n_unique"};
  Table out;
  out.add_column(Column::from_strings("column", std::move(names)));
  out.add_column(Column::from_strings_categorical("dtype", dtypes));
  for (std::size_t k = 0; k < 11; ++k)
    out.add_column(Column::from_float64(kNumericNames[k], std::move(num[k])));
  out.add_column(Column::from_strings("top", std::move(tops)));
  return out;
}

// ------------------------------------------------------------------------------------------
// describe_string
// ------------------------------------------------------------------------------------------

namespace {

// Display width of UTF-8 text (code points; wide characters are not special-cased).
std::size_t text_width(std::string_view s) {
  std::size_t w = 0;
  for (unsigned char ch : s) w += (ch & 0xC0u) != 0x80u ? 1 : 0;
  return w;
}

// At most `width` code points, ending in "..." when shortened.
std::string shorten(const std::string& s, std::size_t width) {
  if (text_width(s) <= width) return s;
  std::size_t keep = width > 3 ? width - 3 : 0;
  std::size_t i = 0;
  for (std::size_t cp = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0u) != 0x80u) {
      if (cp == keep) break;
      ++cp;
    }
  }
  return s.substr(0, i) + "...";
}

std::string fmt_g(double x) {
  if (std::isnan(x)) return std::string();
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", x);
  return buf;
}

std::string fmt_count(double x) {
  if (std::isnan(x)) return std::string();
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f", x);
  return buf;
}

std::string fmt_missing(double missing, double rate) {
  if (missing == 0 || std::isnan(rate)) return fmt_count(missing);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.0f (%.1f%%)", missing, 100.0 * rate);
  return buf;
}

// A timestamp statistic as a date; with hours and minutes when `with_time` (columns spanning
// less than two days, where the date alone would say nothing).
std::string fmt_time(double ns, bool with_time) {
  if (std::isnan(ns)) return std::string();
  constexpr double kLimit = 9.2e18;
  if (ns > kLimit || ns < -kLimit) return fmt_g(ns);
  std::string t = format_timestamp(static_cast<std::int64_t>(std::llround(ns)));
  if (!with_time) {
    t.resize(std::min<std::size_t>(t.size(), 10));
  } else if (t.size() > 16) {
    t.resize(16);
    t[10] = ' ';
  } else if (t.size() == 10) {
    t += " 00:00";
  }
  return t;
}

// A duration (a timestamp column's std) in days, hours, minutes or seconds, whichever reads best.
std::string fmt_duration(double ns) {
  if (std::isnan(ns)) return std::string();
  const double sec = ns / static_cast<double>(kNanosPerSecond);
  if (sec >= 86400.0) return fmt_g(sec / 86400.0) + "d";
  if (sec >= 3600.0) return fmt_g(sec / 3600.0) + "h";
  if (sec >= 60.0) return fmt_g(sec / 60.0) + "min";
  return fmt_g(sec) + "s";
}

}  // namespace

std::string describe_string(const Table& table, int n_threads) {
  const Table d = describe(table, n_threads);
  const Index p = d.num_rows();
  static const char* const kHeader[] = {"column", "dtype",  "count", "missing", "mean",
                                        "std",    "min",    "p25",   "p50",     "p75",
                                        "max",    "unique", "top"};
  constexpr std::size_t kCols = sizeof kHeader / sizeof kHeader[0];
  // Which columns are left-aligned text.
  const bool left[kCols] = {true,  true,  false, false, false, false, false,
                            false, false, false, false, false, true};

  std::vector<std::vector<std::string>> cells;
  cells.emplace_back(kHeader, kHeader + kCols);
  const auto& names = d.column("column").strings();
  const auto& tops = d.column("top").strings();
  auto num = [&](const char* name, Index j) { return d.column(name).as_float64()[j]; };
  for (Index j = 0; j < p; ++j) {
    const auto u = static_cast<std::size_t>(j);
    const DType t = table.column(j).dtype();
    std::vector<std::string> row;
    row.push_back(shorten(names[u], 28));
    row.push_back(dtype_name(t));
    row.push_back(fmt_count(num("count", j)));
    row.push_back(fmt_missing(num("missing", j), num("missing_rate", j)));
    const bool ts = t == DType::Timestamp;
    const bool with_time =
        ts && num("max", j) - num("min", j) < 2.0 * static_cast<double>(kNanosPerDay);
    for (const char* stat : {"mean", "std", "min", "p25", "p50", "p75", "max"}) {
      const double v = num(stat, j);
      if (ts)
        row.push_back(std::string(stat) == "std" ? fmt_duration(v) : fmt_time(v, with_time));
      else
        row.push_back(fmt_g(v));
    }
    row.push_back(fmt_count(num("n_unique", j)));
    row.push_back(shorten(tops[u], 24));
    cells.push_back(std::move(row));
  }

  std::vector<std::size_t> width(kCols, 0);
  for (const auto& row : cells)
    for (std::size_t k = 0; k < kCols; ++k) width[k] = std::max(width[k], text_width(row[k]));

  std::ostringstream os;
  os << table.num_rows() << (table.num_rows() == 1 ? " row" : " rows") << " x "
     << table.num_columns() << (table.num_columns() == 1 ? " column" : " columns");
  for (std::size_t r = 0; r < cells.size(); ++r) {
    std::string line;
    for (std::size_t k = 0; k < kCols; ++k) {
      const std::string& cell = cells[r][k];
      const std::string pad(width[k] - text_width(cell), ' ');
      if (k > 0) line += "  ";
      line += left[k] ? cell + pad : pad + cell;
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    os << '\n' << line;
    if (r == 0) {
      std::size_t total = 2 * (kCols - 1);
      for (auto w : width) total += w;
      os << '\n' << std::string(total, '-');
    }
  }
  os << '\n';
  return os.str();
}

}  // namespace churn::data
