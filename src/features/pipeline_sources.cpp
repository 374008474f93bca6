// churn::features::Pipeline: where each output column comes from (feature_sources) and the sum
// of per-feature contributions onto the raw input columns (contributions_by_source).

#include <algorithm>      // std::set_union
#include <iterator>       // std::back_inserter
#include <string>         // std::string
#include <unordered_map>  // std::unordered_map
#include <utility>        // std::move
#include <vector>         // std::vector

#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "churn/features/pipeline.hpp"
#include "features/pipeline_steps.hpp"

namespace churn::features {

using data::Column;
using data::DType;
using data::Table;

namespace {

/// The union of the sources of `names` (ascending positions).
std::vector<Index> union_of(const std::unordered_map<std::string, std::vector<Index>>& sources,
                            const std::vector<std::string>& names, const std::string& label) {
  std::vector<Index> out;
  for (const auto& name : names) {
    auto it = sources.find(name);
    CHURN_CHECK(it != sources.end(), InvalidArgument,
                "Pipeline::feature_sources(): " << label << " reads column '" << name
                                                << "', which its input does not have");
    std::vector<Index> merged;
    std::set_union(out.begin(), out.end(), it->second.begin(), it->second.end(),
                   std::back_inserter(merged));
    out = std::move(merged);
  }
  return out;
}

}  // namespace

void Pipeline::trace_sources() {
  // a zero-row replay: the names each step sees and gives, and what it says it created
  std::vector<Column> cols;
  std::unordered_map<std::string, std::vector<Index>> sources;
  for (std::size_t k = 0; k < input_columns_.size(); ++k) {
    cols.push_back(detail::empty_column(input_columns_[k].name, input_columns_[k].dtype));
    sources[input_columns_[k].name] = {static_cast<Index>(k)};
  }
  Table t(std::move(cols));
  for (const auto& step : steps_) {
    t = step->transform(t, 1);
    std::unordered_map<std::string, std::vector<Index>> next;
    for (const auto& [name, reads] : step->new_columns())
      next[name] = union_of(sources, reads, step->label());
    for (const auto& name : t.column_names())
      if (next.count(name) == 0) next[name] = union_of(sources, {name}, step->label());
    sources = std::move(next);
  }
  std::vector<std::vector<Index>> out;
  for (const auto& name : feature_names_out_)
    out.push_back(union_of(sources, {name}, "the output"));
  feature_sources_ = std::move(out);
}

std::vector<std::vector<std::string>> Pipeline::feature_sources() const {
  check_fitted("Pipeline::feature_sources()");
  std::vector<std::vector<std::string>> out;
  for (const auto& positions : feature_sources_) {
    std::vector<std::string> names;
    for (Index k : positions) names.push_back(input_columns_[static_cast<std::size_t>(k)].name);
    out.push_back(std::move(names));
  }
  return out;
}

namespace {

/// The float64 output columns' sources as columns of the result: for each matrix column, the
/// (result column, weight) pairs; `used` the input positions of the result's columns.
struct SourceMap {
  std::vector<std::vector<std::pair<Index, double>>> terms;
  std::vector<Index> used;
};

SourceMap source_map(const std::vector<std::vector<Index>>& sources,
                     const std::vector<DType>& dtypes, std::size_t n_inputs) {
  std::vector<Index> slot(n_inputs, -1);
  std::vector<std::size_t> numeric;
  for (std::size_t j = 0; j < sources.size(); ++j)
    if (dtypes[j] == DType::Float64) {
      numeric.push_back(j);
      for (Index k : sources[j]) slot[static_cast<std::size_t>(k)] = 0;
    }
  SourceMap m;
  for (std::size_t k = 0; k < n_inputs; ++k)
    if (slot[k] == 0) {
      slot[k] = static_cast<Index>(m.used.size());
      m.used.push_back(static_cast<Index>(k));
    }
  for (std::size_t j : numeric) {
    std::vector<std::pair<Index, double>> t;
    const double w = 1.0 / static_cast<double>(sources[j].size());
    for (Index k : sources[j]) t.push_back({slot[static_cast<std::size_t>(k)], w});
    m.terms.push_back(std::move(t));
  }
  return m;
}

}  // namespace

std::vector<std::string> Pipeline::source_columns() const {
  check_fitted("Pipeline::source_columns()");
  std::vector<std::string> out;
  for (Index k : source_map(feature_sources_, dtypes_out_, input_columns_.size()).used)
    out.push_back(input_columns_[static_cast<std::size_t>(k)].name);
  return out;
}

RowMatrix Pipeline::contributions_by_source(const RowMatrixRef& contrib) const {
  const char* who = "Pipeline::contributions_by_source()";
  check_fitted(who);
  const SourceMap m = source_map(feature_sources_, dtypes_out_, input_columns_.size());
  const auto p = static_cast<Index>(m.terms.size());
  const auto r = static_cast<Index>(m.used.size());
  const Index width = contrib.cols();
  CHURN_CHECK(width == p || width == p + 1, InvalidArgument,
              who << ": contrib has " << width << " columns; expected " << p
                  << " (one per numeric output feature, the columns of transform_matrix) or "
                  << p + 1 << " (with a bias column last)");
  const bool bias = width == p + 1;
  const Index n = contrib.rows();
  RowMatrix out = RowMatrix::Zero(n, r + (bias ? 1 : 0));
  // each row on its own, its features in a fixed order: no result depends on the threads
  parallel_for_blocks(0, n, 4096, n * width < 262144 ? 1 : params_.n_threads,
                      [&](Index lo, Index hi) {
                        for (Index i = lo; i < hi; ++i) {
                          for (Index j = 0; j < p; ++j) {
                            const double c = contrib(i, j);
                            for (const auto& [k, w] : m.terms[static_cast<std::size_t>(j)])
                              out(i, k) += c * w;
                          }
                          if (bias) out(i, r) = contrib(i, p);
                        }
                      });
  return out;
}

}  // namespace churn::features
