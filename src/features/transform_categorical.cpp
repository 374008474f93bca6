// The categorical steps of churn::features::Pipeline: one-hot and ordinal encoding.

#include <algorithm>      // std::sort, std::stable_sort
#include <cstdint>        // std::int64_t, std::uint8_t
#include <unordered_set>  // std::unordered_set

#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "common/checks.hpp"
#include "common/json.hpp"
#include "features/pipeline_steps.hpp"
#include "features/step_names.hpp"
#include "features/step_settings.hpp"

namespace churn::features {

using common::json_check_members;
using common::json_get;
using common::json_get_int;

using data::Column;
using data::Table;

const char* unknown_category_name(UnknownCategory u) {
  return common::enum_name(detail::kUnknownCategoryNames, u);
}

UnknownCategory unknown_category_from_name(const std::string& name) {
  return common::enum_from_name(detail::kUnknownCategoryNames, name, "", "unknown-category policy");
}

void OneHotParams::validate() const {
  CHURN_CHECK(min_count >= 1, InvalidArgument,
              "OneHotParams: min_count must be >= 1, got " << min_count);
  CHURN_CHECK(!other_name.empty(), InvalidArgument, "OneHotParams: other_name must not be empty");
  CHURN_CHECK(!max_categories || *max_categories >= 1, InvalidArgument,
              "OneHotParams: max_categories must be >= 1 (or unset), got " << *max_categories);
}

void OrdinalParams::validate() const {
  CHURN_CHECK(unknown != UnknownCategory::Other, InvalidArgument,
              "OrdinalParams: unknown must be 'ignore' or 'error' ('other' is for one-hot only)");
}

namespace detail {
namespace {

/// Throws InvalidArgument naming the column and the category of row i (an unseen category
/// under the Error policy).
[[noreturn]] void throw_unknown(const Column& c, Index i, const std::string& label) {
  CHURN_THROW(InvalidArgument, label << ": column '" << c.name() << "' holds category '"
                                     << c.value_string(i) << "' (row " << i
                                     << ") that was not seen in fit (unknown = 'error')");
}

template <class P>
void validate_loaded(const P& p, const std::string& where) {
  try {
    p.validate();
  } catch (const InvalidArgument& e) {
    throw SerializationError(where + ": " + e.what());
  }
}

/// Sorted categories of a column (fit), with their counts.
std::vector<std::pair<std::string, Index>> sorted_counts(const Column& c) {
  auto counts = category_counts(c);
  std::sort(counts.begin(), counts.end());
  return counts;
}

/// Reads a list of lists of distinct names, one per column.
std::vector<std::vector<std::string>> names_per_column(const Json& s, const char* key,
                                                       std::size_t m, const std::string& where) {
  auto v = json_get<std::vector<std::vector<std::string>>>(s, key, where);
  CHURN_CHECK(v.size() == m, SerializationError,
              where << ": '" << key << "' must hold one list per column (" << m << ")");
  return v;
}

// ---- one-hot ------------------------------------------------------------------------------------

class OneHot final : public Step {
 public:
  OneHot(std::vector<std::string> columns, OneHotParams p)
      : columns_(std::move(columns)), p_(std::move(p)) {}
  std::unique_ptr<Step> clone() const override { return std::make_unique<OneHot>(*this); }
  const char* type() const override { return "one_hot"; }
  std::vector<std::string> reads() const override { return columns_; }
  NewColumns new_columns() const override {
    NewColumns out;
    for (std::size_t j = 0; j < columns_.size() && j < kept_.size(); ++j)
      for (auto& name : output_names(j, kept_[j], other_[j])) out.push_back({name, {columns_[j]}});
    return out;
  }

  void fit(const Table& t, int /*n_threads*/) override {
    const std::size_t m = columns_.size();
    std::vector<std::vector<std::string>> kept(m), rare(m);
    std::vector<std::uint8_t> other(m);
    for (std::size_t j = 0; j < m; ++j) {
      const Column& c = categorical_column(t, columns_[j], label());
      auto counts = sorted_counts(c);
      const std::vector<std::uint8_t> frequent = frequent_categories(counts);
      for (std::size_t k = 0; k < counts.size(); ++k)
        (frequent[k] ? kept[j] : rare[j]).push_back(std::move(counts[k].first));
      other[j] = !rare[j].empty() || p_.unknown == UnknownCategory::Other;
      const auto width = static_cast<std::int64_t>(kept[j].size()) + (other[j] ? 1 : 0);
      CHURN_CHECK(p_.max_categories || width <= kOneHotMaxColumns, InvalidArgument,
                  label() << ": column '" << columns_[j] << "' has " << counts.size()
                          << " categories, which would make " << width
                          << " output columns (more than " << kOneHotMaxColumns
                          << "); set max_categories to keep only the most frequent ones (the "
                             "rest grouped into '"
                          << columns_[j] << "_" << p_.other_name
                          << "'), raise min_count, or drop the column");
    }
    std::vector<CategoryIndex> index;
    for (std::size_t j = 0; j < m; ++j) index.emplace_back(lookup_names(kept[j], rare[j]));
    // output names must be new and distinct
    std::unordered_set<std::string> seen;
    for (std::size_t j = 0; j < m; ++j)
      for (const auto& name : output_names(j, kept[j], other[j])) {
        CHURN_CHECK(!t.has_column(name) || name == columns_[j], InvalidArgument,
                    label() << ": output column '" << name << "' of column '" << columns_[j]
                            << "' already exists in the input table");
        CHURN_CHECK(seen.insert(name).second, InvalidArgument,
                    label() << ": output column '" << name << "' of column '" << columns_[j]
                            << "' would appear twice (a category named like the other column '"
                            << p_.other_name << "'?)");
      }
    kept_ = std::move(kept);
    rare_ = std::move(rare);
    other_ = std::move(other);
    index_ = std::move(index);
  }

  Table transform(const Table& t, int n_threads) const override {
    const std::size_t m = columns_.size();
    const Index n = t.num_rows();
    std::vector<const Column*> in(m);
    std::vector<CategoryMapper> maps;
    std::vector<std::vector<F64Buffer>> out(m);
    for (std::size_t j = 0; j < m; ++j) {
      in[j] = &categorical_column(t, columns_[j], label());
      maps.emplace_back(*in[j], index_[j]);
      const std::size_t width = kept_[j].size() + (other_[j] ? 1 : 0);
      for (std::size_t k = 0; k < width; ++k) out[j].emplace_back(n);
    }
    for_column_blocks(static_cast<Index>(m), n, n_threads, [&](Index jj, Index lo, Index hi) {
      const auto j = static_cast<std::size_t>(jj);
      const Column& c = *in[j];
      const auto n_kept = static_cast<std::int32_t>(kept_[j].size());
      const std::int32_t other_slot = other_[j] ? n_kept : -1;
      std::vector<std::int32_t> slot(static_cast<std::size_t>(hi - lo));  // one per block
      for (Index i = lo; i < hi; ++i) {
        std::int32_t s = maps[j].slot(i);
        if (s >= n_kept) {
          s = n_kept;  // a rare category: the other column
        } else if (s == CategoryIndex::kUnknown) {
          if (p_.unknown == UnknownCategory::Error) throw_unknown(c, i, label());
          s = p_.unknown == UnknownCategory::Other ? other_slot : -1;
        }
        slot[static_cast<std::size_t>(i - lo)] = s;
      }
      for (std::size_t k = 0; k < out[j].size(); ++k) {
        double* y = out[j][k].data();
        const auto kk = static_cast<std::int32_t>(k);
        for (Index i = lo; i < hi; ++i) y[i] = slot[static_cast<std::size_t>(i - lo)] == kk;
      }
    });
    std::vector<std::pair<std::string, std::vector<Column>>> replace(m);
    for (std::size_t j = 0; j < m; ++j) {
      replace[j].first = columns_[j];
      const auto names = output_names(j, kept_[j], other_[j]);
      for (std::size_t k = 0; k < names.size(); ++k)
        replace[j].second.push_back(out[j][k].column(names[k]));
    }
    return rebuild_table(t, std::move(replace));
  }

  Json settings(common::ParamSource target) const override {
    return settings_json(ColumnSettings<OneHotParams>{columns_, p_}, target);
  }
  Json state_json() const override {
    Json other = Json::array();
    for (auto o : other_) other.push_back(o != 0);
    return Json{{"categories", kept_}, {"infrequent", rare_}, {"has_other", other}};
  }
  void load_state(const Json& s, const std::string& where) override {
    json_check_members(s, {"categories", "infrequent", "has_other"}, where);
    const std::size_t m = columns_.size();
    auto kept = names_per_column(s, "categories", m, where);
    auto rare = names_per_column(s, "infrequent", m, where);
    const auto has_other = json_get<std::vector<bool>>(s, "has_other", where);
    CHURN_CHECK(has_other.size() == m, SerializationError,
                where << ": 'has_other' must hold one flag per column (" << m << ")");
    std::vector<std::uint8_t> other(m);
    std::vector<CategoryIndex> index;
    for (std::size_t j = 0; j < m; ++j) {
      other[j] = has_other[j];
      CHURN_CHECK(other[j] || (rare[j].empty() && p_.unknown != UnknownCategory::Other),
                  SerializationError,
                  where << ": column '" << columns_[j]
                        << "' has infrequent categories or unknown = 'other' but no other column");
      index.emplace_back(lookup_names(kept[j], rare[j]));
      CHURN_CHECK(index.back().distinct() == static_cast<Index>(kept[j].size() + rare[j].size()),
                  SerializationError,
                  where << ": the categories of column '" << columns_[j] << "' repeat");
      CHURN_CHECK(kept[j].size() < (1u << 30), SerializationError,
                  where << ": too many categories");
    }
    kept_ = std::move(kept);
    rare_ = std::move(rare);
    other_ = std::move(other);
    index_ = std::move(index);
  }
  static std::unique_ptr<Step> read(const Json& j, common::ParamSource source,
                                    const std::string& who) {
    auto s = read_settings<ColumnSettings<OneHotParams>>(j, source, who);
    return make_one_hot(std::move(s.columns), std::move(s.params));
  }

 private:
  /// Per category of `counts` (sorted by name): whether it keeps its own column. min_count
  /// first; then, when the frequent ones plus the other column exceed max_categories, only
  /// the max_categories - 1 most frequent stay (scikit-learn's OneHotEncoder: a stable sort
  /// by count, so among equal counts the category that sorts last is kept).
  std::vector<std::uint8_t> frequent_categories(
      const std::vector<std::pair<std::string, Index>>& counts) const {
    std::vector<std::uint8_t> frequent(counts.size());
    std::vector<std::size_t> order;
    for (std::size_t k = 0; k < counts.size(); ++k) {
      frequent[k] = counts[k].second >= p_.min_count;
      if (frequent[k]) order.push_back(k);
    }
    const auto n_frequent = static_cast<std::int64_t>(order.size());
    if (!p_.max_categories || *p_.max_categories >= n_frequent + 1) return frequent;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return counts[a].second < counts[b].second;
    });
    const auto n_dropped = static_cast<std::size_t>(n_frequent - (*p_.max_categories - 1));
    for (std::size_t r = 0; r < n_dropped; ++r) frequent[order[r]] = 0;
    return frequent;
  }
  static CategoryIndex lookup_names(const std::vector<std::string>& kept,
                                    const std::vector<std::string>& rare) {
    std::vector<std::string> all = kept;
    all.insert(all.end(), rare.begin(), rare.end());
    return CategoryIndex(std::move(all));
  }
  std::vector<std::string> output_names(std::size_t j, const std::vector<std::string>& kept,
                                        bool other) const {
    std::vector<std::string> names;
    for (const auto& k : kept) names.push_back(columns_[j] + "_" + k);
    if (other) names.push_back(columns_[j] + "_" + p_.other_name);
    return names;
  }

  std::vector<std::string> columns_;
  OneHotParams p_;
  std::vector<std::vector<std::string>> kept_, rare_;
  std::vector<std::uint8_t> other_;
  std::vector<CategoryIndex> index_;  // kept then rare categories
};

// ---- ordinal ------------------------------------------------------------------------------------

class Ordinal final : public Step {
 public:
  Ordinal(std::vector<std::string> columns, OrdinalParams p)
      : columns_(std::move(columns)), p_(p) {}
  std::unique_ptr<Step> clone() const override { return std::make_unique<Ordinal>(*this); }
  const char* type() const override { return "ordinal"; }
  std::vector<std::string> reads() const override { return columns_; }

  void fit(const Table& t, int /*n_threads*/) override {
    std::vector<CategoryIndex> index;
    for (const auto& name : columns_) {
      std::vector<std::string> cats;
      for (auto& kv : sorted_counts(categorical_column(t, name, label())))
        cats.push_back(std::move(kv.first));
      index.emplace_back(std::move(cats));
    }
    index_ = std::move(index);
  }

  Table transform(const Table& t, int n_threads) const override {
    const std::size_t m = columns_.size();
    const Index n = t.num_rows();
    std::vector<const Column*> in(m);
    std::vector<CategoryMapper> maps;
    std::vector<F64Buffer> out;
    std::vector<std::vector<std::int32_t>> codes(m);
    for (std::size_t j = 0; j < m; ++j) {
      in[j] = &categorical_column(t, columns_[j], label());
      maps.emplace_back(*in[j], index_[j]);
      if (p_.as_categorical) {
        codes[j].resize(static_cast<std::size_t>(n));
      } else {
        out.emplace_back(n);
      }
    }
    for_column_blocks(static_cast<Index>(m), n, n_threads, [&](Index jj, Index lo, Index hi) {
      const auto j = static_cast<std::size_t>(jj);
      const Column& c = *in[j];
      for (Index i = lo; i < hi; ++i) {
        std::int32_t s = maps[j].slot(i);
        if (s == CategoryIndex::kUnknown) {
          if (p_.unknown == UnknownCategory::Error) throw_unknown(c, i, label());
          s = -1;
        }
        if (p_.as_categorical) {
          codes[j][static_cast<std::size_t>(i)] = s;
        } else {
          out[j].data()[i] = s < 0 ? kMissing : static_cast<double>(s);
        }
      }
    });
    std::vector<std::pair<std::string, std::vector<Column>>> replace(m);
    for (std::size_t j = 0; j < m; ++j) {
      replace[j].first = columns_[j];
      replace[j].second.push_back(
          p_.as_categorical
              ? Column::from_codes(columns_[j], std::move(codes[j]), index_[j].names())
              : out[j].column(columns_[j]));
    }
    return rebuild_table(t, std::move(replace));
  }

  Json settings(common::ParamSource target) const override {
    return settings_json(ColumnSettings<OrdinalParams>{columns_, p_}, target);
  }
  Json state_json() const override {
    Json cats = Json::array();
    for (const auto& idx : index_) cats.push_back(idx.names());
    return Json{{"categories", cats}};
  }
  void load_state(const Json& s, const std::string& where) override {
    json_check_members(s, {"categories"}, where);
    auto cats = names_per_column(s, "categories", columns_.size(), where);
    std::vector<CategoryIndex> index;
    for (std::size_t j = 0; j < cats.size(); ++j) {
      const auto n_cats = cats[j].size();
      CHURN_CHECK(n_cats < (1u << 30), SerializationError, where << ": too many categories");
      index.emplace_back(std::move(cats[j]));
      CHURN_CHECK(index.back().distinct() == static_cast<Index>(n_cats), SerializationError,
                  where << ": the categories of column '" << columns_[j] << "' repeat");
    }
    index_ = std::move(index);
  }
  static std::unique_ptr<Step> read(const Json& j, common::ParamSource source,
                                    const std::string& who) {
    auto s = read_settings<ColumnSettings<OrdinalParams>>(j, source, who);
    return make_ordinal(std::move(s.columns), s.params);
  }

 private:
  std::vector<std::string> columns_;
  OrdinalParams p_;
  std::vector<CategoryIndex> index_;
};

}  // namespace

std::unique_ptr<Step> make_one_hot(std::vector<std::string> columns, OneHotParams p) {
  common::check_names(columns, "Pipeline::one_hot()", "columns");
  p.validate();
  return std::make_unique<OneHot>(std::move(columns), std::move(p));
}

std::unique_ptr<Step> make_ordinal(std::vector<std::string> columns, OrdinalParams p) {
  common::check_names(columns, "Pipeline::ordinal()", "columns");
  p.validate();
  return std::make_unique<Ordinal>(std::move(columns), p);
}

std::unique_ptr<Step> categorical_step_from_settings(const std::string& type, const Json& settings,
                                                     common::ParamSource source,
                                                     const std::string& who) {
  if (type == "one_hot") return OneHot::read(settings, source, who);
  if (type == "ordinal") return Ordinal::read(settings, source, who);
  return nullptr;
}

}  // namespace detail
}  // namespace churn::features
