// KPIs for BI tools: the summary by overall / segment / bucket, its JSON, the customer export.
#include "churn/retention/kpi.hpp"

#include <algorithm>      // std::sort
#include <cmath>          // std::isfinite, std::isnan
#include <cstdint>        // std::int32_t, std::int64_t
#include <limits>         // std::numeric_limits
#include <string_view>    // std::string_view
#include <unordered_map>  // std::unordered_map
#include <utility>        // std::move

#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "common/checks.hpp"
#include "common/json.hpp"
#include "retention/value_kernel.hpp"

namespace churn::retention {

using data::Column;
using data::DType;
using data::Table;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
/// The group of the rows without a segment.
constexpr const char* kMissingGroup = "(missing)";

/// A segment column as int32 codes (-1 = missing) into `names`.
struct SegmentCodes {
  IntVector owned;                      ///< the codes, when they had to be built
  const std::int32_t* codes = nullptr;  ///< n codes, or nullptr when there is no segment
  std::vector<std::string> names;       ///< one per code
};

/// Codes of `values` (with validity bytes `valid`, empty = all present) into their distinct
/// values sorted ascending; `name_of` gives a value's group name.
template <class T, class NameOf>
SegmentCodes sorted_codes(const T* values, Index n, const std::vector<std::uint8_t>& valid,
                          NameOf name_of) {
  std::unordered_map<T, std::int32_t> index;
  std::vector<T> distinct;
  SegmentCodes out;
  out.owned.resize(n);
  for (Index i = 0; i < n; ++i) {
    if (!valid.empty() && valid[static_cast<std::size_t>(i)] == 0) {
      out.owned[i] = kMissingCode;
      continue;
    }
    auto [it, added] = index.emplace(values[i], static_cast<std::int32_t>(distinct.size()));
    if (added) distinct.push_back(values[i]);
    out.owned[i] = it->second;
  }
  std::vector<std::int32_t> order(distinct.size());
  for (std::size_t j = 0; j < order.size(); ++j) order[j] = static_cast<std::int32_t>(j);
  std::sort(order.begin(), order.end(),
            [&](std::int32_t a, std::int32_t b) { return distinct[a] < distinct[b]; });
  std::vector<std::int32_t> rank(distinct.size());
  for (std::size_t r = 0; r < order.size(); ++r) {
    rank[static_cast<std::size_t>(order[r])] = static_cast<std::int32_t>(r);
    out.names.push_back(name_of(distinct[static_cast<std::size_t>(order[r])]));
  }
  for (Index i = 0; i < n; ++i)
    if (out.owned[i] >= 0) out.owned[i] = rank[static_cast<std::size_t>(out.owned[i])];
  out.codes = out.owned.data();
  return out;
}

SegmentCodes segment_codes(const Column& c, Index n, const char* who) {
  SegmentCodes out;
  if (c.size() == 0 && n > 0) return out;
  detail::check_length(c.size(), n, who, "segment");
  switch (c.dtype()) {
    case DType::Categorical:
      out.codes = c.codes().data();  // valid while the caller's column lives
      out.names = c.categories();
      return out;
    case DType::String: {
      const auto& s = c.strings();
      std::vector<std::string_view> views(s.begin(), s.end());
      return sorted_codes(views.data(), n, c.validity(),
                          [](std::string_view v) { return std::string(v); });
    }
    case DType::Int64:
      return sorted_codes(c.as_int64().data(), n, c.validity(),
                          [](std::int64_t v) { return std::to_string(v); });
    default:
      CHURN_THROW(TypeMismatch, who << ": segment must be a categorical, string or int64 column, "
                                       "got "
                                    << data::dtype_name(c.dtype()) << " column '" << c.name()
                                    << "'");
  }
}

/// Checks the bucket labels and that every code is in [0, labels.size()).
void check_buckets(const IntVectorRef& codes, const std::vector<std::string>& labels, Index n,
                   const char* who, int n_threads) {
  detail::check_length(codes.size(), n, who, "bucket_codes");
  common::check_names(labels, who, "bucket_labels");
  const auto k = static_cast<std::int32_t>(labels.size());
  const Index bad = common::detail::first_bad_row(
      n, n_threads, [&](Index i) { return codes[i] < 0 || codes[i] >= k; });
  CHURN_CHECK(
      bad < 0, InvalidArgument,
      who << ": bucket_codes must be in [0, " << k << "), got " << codes[bad] << " at row " << bad);
}

/// Running sums of one KPI group.
struct Acc {
  Index customers = 0, labelled = 0, observed_churners = 0, predicted = 0;
  double expected = 0, revenue = 0, at_risk = 0, clv = 0, loss = 0;

  void add(const Acc& o) {
    customers += o.customers;
    labelled += o.labelled;
    observed_churners += o.observed_churners;
    predicted += o.predicted;
    expected += o.expected;
    revenue += o.revenue;
    at_risk += o.at_risk;
    clv += o.clv;
    loss += o.loss;
  }
};

/// The sums of every group (0 = overall, then n_seg segment slots, then the buckets) and each
/// group's count per bucket (group g, bucket b at g * k + b).
struct Sums {
  std::vector<Acc> acc;
  std::vector<Index> counts;
  bool bad_value = false;
};

/// What one pass over the rows reads.
struct KpiInput {
  const VectorRef& probability;
  const IntVectorRef& buckets;
  const VectorRef& revenue;
  const VectorRef& observed;
  const SegmentCodes& segment;
  int n_seg = 0;  ///< segment slots: the names and one for missing (0 without segments)
  int k = 0;      ///< buckets
};

/// Adds row i into the group g (of the k buckets).
inline void add_row(Sums& s, std::size_t g, std::size_t k, std::int32_t b, double p, double r,
                    double y, bool predicted, double at_risk, double clv) {
  Acc& a = s.acc[g];
  ++a.customers;
  const bool known = !std::isnan(y);
  a.labelled += known ? 1 : 0;
  a.observed_churners += y == 1.0 ? 1 : 0;
  a.predicted += predicted ? 1 : 0;
  a.expected += p;
  a.revenue += r;
  a.at_risk += at_risk;
  a.clv += clv;
  a.loss += p * clv;
  ++s.counts[g * k + static_cast<std::size_t>(b)];
}

Sums accumulate(const KpiInput& in, const KpiOptions& o) {
  const auto n_groups = static_cast<std::size_t>(1 + in.n_seg + in.k);
  const auto k = static_cast<std::size_t>(in.k);
  const detail::ValueKernel vk(o.value);
  const bool has_obs = in.observed.size() > 0;
  const std::size_t bucket0 = 1 + static_cast<std::size_t>(in.n_seg);
  const auto missing_slot = static_cast<std::int32_t>(in.n_seg - 1);
  Sums init{std::vector<Acc>(n_groups), std::vector<Index>(n_groups * k, 0), false};
  return parallel_reduce(
      Index{0}, in.probability.size(), detail::kRowBlock, init,
      [&](Index lo, Index hi) {
        Sums s{std::vector<Acc>(n_groups), std::vector<Index>(n_groups * k, 0), false};
        for (Index i = lo; i < hi; ++i) {
          const double p = in.probability[i];
          const double r = in.revenue[i];
          s.bad_value |= !detail::ValueKernel::valid(p, r);
          const std::int32_t b = in.buckets[i];
          const double y = has_obs ? in.observed[i] : kNaN;
          const bool pred = p >= o.threshold;
          const double at_risk = p * r * vk.horizon;
          const double clv = vk.margin * r * vk.clv_factor(p);
          add_row(s, 0, k, b, p, r, y, pred, at_risk, clv);
          if (in.segment.codes != nullptr) {
            const std::int32_t c = in.segment.codes[i];
            add_row(s, 1 + static_cast<std::size_t>(c < 0 ? missing_slot : c), k, b, p, r, y, pred,
                    at_risk, clv);
          }
          add_row(s, bucket0 + static_cast<std::size_t>(b), k, b, p, r, y, pred, at_risk, clv);
        }
        return s;
      },
      [](Sums a, const Sums& b) {
        for (std::size_t g = 0; g < a.acc.size(); ++g) a.acc[g].add(b.acc[g]);
        for (std::size_t j = 0; j < a.counts.size(); ++j) a.counts[j] += b.counts[j];
        a.bad_value = a.bad_value || b.bad_value;
        return a;
      },
      o.n_threads);
}

/// The summary table of the given groups (indices into sums) with their levels and names.
Table summary_table(const Sums& sums, const std::vector<std::size_t>& rows,
                    const std::vector<std::string>& level, const std::vector<std::string>& group,
                    const std::vector<std::string>& bucket_labels, Index n) {
  const std::size_t m = rows.size();
  const std::size_t k = bucket_labels.size();
  std::vector<std::int64_t> customers(m), labelled(m), observed(m), predicted(m);
  std::vector<double> share(m), obs_rate(m), expected(m), exp_rate(m), revenue(m), at_risk(m),
      clv(m), loss(m);
  std::vector<std::vector<std::int64_t>> counts(k, std::vector<std::int64_t>(m));
  for (std::size_t j = 0; j < m; ++j) {
    const Acc& a = sums.acc[rows[j]];
    customers[j] = a.customers;
    labelled[j] = a.labelled;
    observed[j] = a.observed_churners;
    predicted[j] = a.predicted;
    share[j] = static_cast<double>(a.customers) / static_cast<double>(n);
    obs_rate[j] = a.labelled > 0
                      ? static_cast<double>(a.observed_churners) / static_cast<double>(a.labelled)
                      : kNaN;
    expected[j] = a.expected;
    exp_rate[j] = a.customers > 0 ? a.expected / static_cast<double>(a.customers) : kNaN;
    revenue[j] = a.revenue;
    at_risk[j] = a.at_risk;
    clv[j] = a.clv;
    loss[j] = a.loss;
    for (std::size_t b = 0; b < k; ++b) counts[b][j] = sums.counts[rows[j] * k + b];
  }
  std::vector<Column> cols{Column::from_strings("level", level),
                           Column::from_strings("group", group),
                           Column::from_int64("customers", std::move(customers)),
                           Column::from_float64("share", std::move(share)),
                           Column::from_int64("labelled", std::move(labelled)),
                           Column::from_int64("observed_churners", std::move(observed)),
                           Column::from_float64("observed_churn_rate", std::move(obs_rate)),
                           Column::from_float64("expected_churners", std::move(expected)),
                           Column::from_float64("expected_churn_rate", std::move(exp_rate)),
                           Column::from_int64("predicted_churners", std::move(predicted)),
                           Column::from_float64("revenue", std::move(revenue)),
                           Column::from_float64("revenue_at_risk", std::move(at_risk)),
                           Column::from_float64("clv", std::move(clv)),
                           Column::from_float64("clv_at_risk", std::move(loss))};
  for (std::size_t b = 0; b < k; ++b)
    cols.push_back(Column::from_int64("n_" + bucket_labels[b], std::move(counts[b])));
  return Table(std::move(cols));
}

/// A table cell as JSON: numbers (json_from_double for float64), text, category, null.
Json cell_json(const Column& c, Index i) {
  if (c.is_missing(i) && c.dtype() != DType::Float64) return nullptr;
  switch (c.dtype()) {
    case DType::Float64: return common::json_from_double(c.as_float64()[i]);
    case DType::Int64: return c.as_int64()[i];
    case DType::String: return c.strings()[static_cast<std::size_t>(i)];
    case DType::Categorical: return c.categories()[static_cast<std::size_t>(c.code_at(i))];
    default: return c.value_string(i);
  }
}

}  // namespace

void KpiOptions::validate() const {
  CHURN_CHECK(std::isfinite(threshold), InvalidArgument,
              "KpiOptions: threshold must be finite, got " << threshold);
  check_n_threads(n_threads, "KpiOptions");
  value.validate();
}

KpiSummary kpi_summary(const VectorRef& probability, const IntVectorRef& bucket_codes,
                       const std::vector<std::string>& bucket_labels, const VectorRef& revenue,
                       const Column& segment, const VectorRef& observed,
                       const KpiOptions& options) {
  const char* who = "kpi_summary()";
  options.validate();
  const Index n = probability.size();
  CHURN_CHECK(n >= 1, InvalidArgument, who << ": probability must not be empty");
  detail::check_length(revenue.size(), n, who, "revenue");
  if (observed.size() != 0) detail::check_length(observed.size(), n, who, "observed");
  check_buckets(bucket_codes, bucket_labels, n, who, options.n_threads);
  common::check_binary_labels(observed, who, "observed", true, options.n_threads);
  const SegmentCodes seg = segment_codes(segment, n, who);
  const bool has_seg = seg.codes != nullptr;
  const int n_seg = has_seg ? static_cast<int>(seg.names.size()) + 1 : 0;
  const KpiInput in{probability,
                    bucket_codes,
                    revenue,
                    observed,
                    seg,
                    n_seg,
                    static_cast<int>(bucket_labels.size())};
  const Sums sums = accumulate(in, options);
  if (sums.bad_value)
    detail::throw_bad_value_input(probability, revenue, who, "probability", options.n_threads);

  std::vector<std::size_t> rows{0};
  std::vector<std::string> level{"overall"}, group{"all"};
  for (int s = 0; s < n_seg; ++s) {
    const auto g = 1 + static_cast<std::size_t>(s);
    const bool missing = s + 1 == n_seg;
    if (missing && sums.acc[g].customers == 0) continue;
    rows.push_back(g);
    level.emplace_back("segment");
    group.push_back(missing ? kMissingGroup : seg.names[static_cast<std::size_t>(s)]);
  }
  for (std::size_t b = 0; b < bucket_labels.size(); ++b) {
    rows.push_back(1 + static_cast<std::size_t>(n_seg) + b);
    level.emplace_back("bucket");
    group.push_back(bucket_labels[b]);
  }
  KpiSummary out;
  out.table = summary_table(sums, rows, level, group, bucket_labels, n);
  out.bucket_labels = bucket_labels;
  out.options = options;
  out.has_observed = observed.size() > 0;
  return out;
}

KpiSummary kpi_summary(const VectorRef& probability, const RiskBuckets& buckets,
                       const VectorRef& revenue, const Column& segment, const VectorRef& observed,
                       const KpiOptions& options) {
  const IntVector codes = buckets.assign(probability);
  return kpi_summary(probability, codes, buckets.labels(), revenue, segment, observed, options);
}

Json KpiSummary::to_json() const {
  Json rows = Json::array();
  const auto& cols = table.columns();
  for (Index i = 0; i < table.num_rows(); ++i) {
    Json row = Json::object();
    for (const auto& c : cols) row[c.name()] = cell_json(c, i);
    rows.push_back(std::move(row));
  }
  return Json{{"threshold", common::json_from_double(options.threshold)},
              {"value", options.value.to_json()},
              {"bucket_labels", bucket_labels},
              {"has_observed", has_observed},
              {"rows", std::move(rows)}};
}

Table customer_export(const Column& id, const VectorRef& probability,
                      const IntVectorRef& bucket_codes,
                      const std::vector<std::string>& bucket_labels, const VectorRef& revenue,
                      const Column& segment, const Column& action,
                      const VectorRef& expected_net_value, const KpiOptions& options) {
  const char* who = "customer_export()";
  options.validate();
  const Index n = probability.size();
  auto optional_length = [&](Index len, const char* what) {
    if (len != 0) detail::check_length(len, n, who, what);
  };
  optional_length(id.size(), "id");
  optional_length(segment.size(), "segment");
  optional_length(action.size(), "action");
  optional_length(expected_net_value.size(), "expected_net_value");
  detail::check_length(revenue.size(), n, who, "revenue");
  check_buckets(bucket_codes, bucket_labels, n, who, options.n_threads);
  CHURN_CHECK(
      action.size() == 0 || action.dtype() == DType::String || action.dtype() == DType::Categorical,
      TypeMismatch,
      who << ": action must be a string or categorical column, got "
          << data::dtype_name(action.dtype()));
  CustomerValue v =
      detail::compute_customer_value(probability, revenue, options.value, options.n_threads, who);

  std::vector<Column> cols;
  if (id.size() == 0) {
    std::vector<std::int64_t> rows(static_cast<std::size_t>(n));
    for (Index i = 0; i < n; ++i) rows[static_cast<std::size_t>(i)] = i;
    cols.push_back(Column::from_int64("id", std::move(rows)));
  } else {
    cols.push_back(id.renamed("id"));
  }
  cols.push_back(Column::from_float64(
      "score", std::vector<double>(probability.data(), probability.data() + n)));
  cols.push_back(Column::from_codes(
      "bucket", std::vector<std::int32_t>(bucket_codes.data(), bucket_codes.data() + n),
      bucket_labels));
  if (segment.size() != 0) cols.push_back(segment.renamed("segment"));
  auto owned = [](const char* name, const VectorRef& x) {
    return Column::from_float64(name, std::vector<double>(x.data(), x.data() + x.size()));
  };
  cols.push_back(owned("revenue_at_risk", v.revenue_at_risk));
  cols.push_back(owned("clv", v.clv));
  cols.push_back(owned("expected_loss", v.expected_loss));
  if (action.size() != 0) cols.push_back(action.renamed("action"));
  if (expected_net_value.size() != 0)
    cols.push_back(owned("expected_net_value", expected_net_value));
  return Table(std::move(cols));
}

}  // namespace churn::retention
