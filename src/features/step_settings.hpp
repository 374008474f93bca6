#pragma once
/// @file step_settings.hpp
/// Every pipeline step's settings, spelled once (never installed). A step's JSON `params` (a
/// saved pipeline), its keyword options (Pipeline::add_step, the Python binding) and its
/// defaults (Pipeline::step_defaults, which Python's builder signatures are tested against) all
/// come from visit_settings below, through common::read_params / write_params.

#include <cstdint>      // std::int64_t
#include <optional>     // std::optional
#include <string>       // std::string
#include <type_traits>  // std::is_same_v, std::remove_const_t
#include <utility>      // std::move
#include <vector>       // std::vector

#include "churn/core/error.hpp"
#include "churn/features/transformers.hpp"
#include "common/json.hpp"
#include "common/params.hpp"
#include "features/pipeline_steps.hpp"

namespace churn::features::detail {

/// The settings of log1p, drop and select: none beyond their columns.
struct NoParams {
  void validate() const {}
};

/// An optional count (one_hot's max_categories): unset is null among keyword options and
/// left out of a saved file (so files of older versions, which lack it, read as unset).
struct OptionalCountCodec {
  static constexpr bool optional = true;
  Json write(const std::optional<std::int64_t>& v, common::ParamSource target) const {
    if (v) return Json(*v);
    return target == common::ParamSource::File ? Json(Json::value_t::discarded) : Json(nullptr);
  }
  void read(const Json& v, std::optional<std::int64_t>& out, common::ParamSource /*source*/) const {
    if (v.is_null()) {
      out.reset();
      return;
    }
    CHURN_CHECK(v.is_number_integer(), TypeMismatch, "must be None or an int, got " << v.dump());
    std::int64_t x = 0;
    CHURN_CHECK(common::json_int_value(v, x), InvalidArgument,
                "= " << v.dump() << " is out of range");
    out = x;
  }
};

/// The fields of a step's *Params struct, in the order a saved pipeline lists them.
template <class P, class F>
void visit_settings(P& p, F&& f) {
  using T = std::remove_const_t<P>;
  if constexpr (std::is_same_v<T, ImputeParams>) {
    f("strategy", p.strategy, impute_strategy_name, impute_strategy_from_name);
    f("fill_value", p.fill_value);
    f("fill_category", p.fill_category);
    f("add_indicator", p.add_indicator);
  } else if constexpr (std::is_same_v<T, ClipParams>) {
    f("lower_quantile", p.lower_quantile);
    f("upper_quantile", p.upper_quantile);
  } else if constexpr (std::is_same_v<T, ScaleParams>) {
    f("with_mean", p.with_mean);
    f("with_std", p.with_std);
  } else if constexpr (std::is_same_v<T, OneHotParams>) {
    f("unknown", p.unknown, unknown_category_name, unknown_category_from_name);
    f("min_count", p.min_count);
    f("other_name", p.other_name);
    f("max_categories", p.max_categories, OptionalCountCodec{});
  } else if constexpr (std::is_same_v<T, OrdinalParams>) {
    f("unknown", p.unknown, unknown_category_name, unknown_category_from_name);
    f("as_categorical", p.as_categorical);
  } else if constexpr (std::is_same_v<T, BinParams>) {
    f("strategy", p.strategy, bin_strategy_name, bin_strategy_from_name);
    f("n_bins", p.n_bins);
    f("edges", p.edges);
    f("output", p.output, bin_output_name, bin_output_from_name);
    f("labels", p.labels);
    f("suffix", p.suffix);
  } else if constexpr (std::is_same_v<T, CombineParams>) {
    f("zero_division_fill", p.zero_division_fill, common::DoubleCodec{});
    f("denominator_offset", p.denominator_offset);
  } else {
    static_assert(std::is_same_v<T, NoParams>, "a step settings struct without a field list");
  }
}

/// A step over a list of columns with the settings `P`: what its JSON holds.
template <class P>
struct ColumnSettings {
  std::vector<std::string> columns;
  P params;
  void validate() const { params.validate(); }
};

/// A combine step's settings: `output = a <op> b`.
struct CombineSettings {
  std::string output;
  std::string a;
  CombineOp op = CombineOp::Add;
  std::string b;
  CombineParams params;
  void validate() const { params.validate(); }
};

/// The field list of a step's settings: its columns (or combine's operands), then the fields
/// of its *Params.
inline constexpr auto kVisitStep = [](auto& s, auto& f) {
  using S = std::remove_const_t<std::remove_reference_t<decltype(s)>>;
  if constexpr (std::is_same_v<S, CombineSettings>) {
    f("output", s.output);
    f("a", s.a);
    f("op", s.op, combine_op_name, combine_op_from_name);
    f("b", s.b);
  } else {
    f("columns", s.columns);
  }
  visit_settings(s.params, f);
};

/// Saved files list every setting and nothing else; among options an unknown name is a
/// TypeMismatch (Python's unexpected keyword argument).
inline constexpr common::ReadRules kStepRules{/*strict_file=*/true, /*file_defaults=*/false,
                                              /*unknown_option_type_error=*/true};

/// The settings of a step as JSON (a saved file's `params`, or keyword options).
template <class S>
Json settings_json(const S& s, common::ParamSource target) {
  return common::write_params(s, target, kVisitStep);
}

/// A step's settings from JSON. Among options the operands (columns, or output / a / op / b)
/// are required (TypeMismatch naming the missing one) and every other setting has its default.
template <class S>
S read_settings(const Json& j, common::ParamSource source, const std::string& who) {
  if (source == common::ParamSource::Options && j.is_object()) {
    const auto need = [&](const char* key) {
      CHURN_CHECK(j.contains(key), TypeMismatch, who << ": missing argument '" << key << "'");
    };
    if constexpr (std::is_same_v<S, CombineSettings>) {
      for (const char* key : {"output", "a", "op", "b"}) need(key);
    } else {
      need("columns");
    }
  }
  return common::read_params<S>(j, source, who, kVisitStep, kStepRules);
}

/// A step over a list of columns with no settings beyond them and no fitted state (log1p,
/// drop, select): their shared settings and (empty) state.
class ColumnsOnlyStep : public Step {
 public:
  explicit ColumnsOnlyStep(std::vector<std::string> columns) : columns_(std::move(columns)) {}
  Json settings(common::ParamSource target) const override {
    return settings_json(ColumnSettings<NoParams>{columns_, {}}, target);
  }
  Json state_json() const override { return Json::object(); }
  void load_state(const Json& s, const std::string& where) override {
    common::json_check_members(s, {}, where);
  }

 protected:
  std::vector<std::string> columns_;
};

}  // namespace churn::features::detail
