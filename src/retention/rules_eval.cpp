// The rules' conditions against a table: checked (every problem at once), compiled once per
// call (operands converted, a category test turned into a lookup table over the codes) and
// evaluated column by column over blocks of rows.
#include <algorithm>      // std::sort, std::binary_search, std::fill
#include <cmath>          // std::isnan
#include <cstring>        // std::memset
#include <string>         // std::string
#include <unordered_set>  // std::unordered_set
#include <utility>        // std::move

#include "churn/core/datetime.hpp"
#include "churn/core/error.hpp"
#include "churn/core/parallel.hpp"
#include "retention/rules_detail.hpp"

namespace churn::retention {

namespace detail {

namespace {

using data::Column;
using data::DType;

bool is_text(DType d) {
  return d == DType::Categorical || d == DType::String;
}
bool is_ordering(ConditionOp op) {
  return (op >= ConditionOp::Lt && op <= ConditionOp::Ge) || op == ConditionOp::Between;
}

void leaf_problems(const Condition& c, const data::Table& t, const std::string& where,
                   std::vector<std::string>& out) {
  const Column* col = t.get(c.feature);
  if (col == nullptr) {
    out.push_back(where + ": unknown feature '" + c.feature + "'");
    return;
  }
  const DType d = col->dtype();
  const std::string column = std::string(data::dtype_name(d)) + " column '" + c.feature + "'";
  if (is_text(d)) {
    if (is_ordering(c.op))
      out.push_back(where + ": operator '" + condition_op_name(c.op) + "' does not apply to the " +
                    column + " (use ==, !=, in, not_in, missing, not_missing)");
    else if (!c.numbers.empty())
      out.push_back(where + ": the " + column + " takes text operands, got a number");
    return;
  }
  if (d != DType::Timestamp) {
    if (!c.strings.empty())
      out.push_back(where + ": the " + column + " takes numeric operands, got the string '" +
                    c.strings.front() + "'");
    return;
  }
  std::vector<std::int64_t> ns;
  for (const auto& s : c.strings) {
    if (auto v = parse_timestamp(s))
      ns.push_back(*v);
    else
      out.push_back(where + ": '" + s + "' is not an ISO 8601 date or date-time (the " + column +
                    ")");
  }
  if (c.op == ConditionOp::Between && ns.size() == 2 && ns[0] > ns[1])
    out.push_back(where + ": bad range: min " + c.strings[0] + " is after max " + c.strings[1]);
}

void condition_problems(const Condition& c, const data::Table& t, const std::string& where,
                        std::vector<std::string>& out) {
  if (!c.is_combinator()) {
    leaf_problems(c, t, where, out);
    return;
  }
  const std::string key = std::string(".") + condition_op_name(c.op) + "[";
  for (std::size_t k = 0; k < c.children.size(); ++k)
    condition_problems(c.children[k], t, where + key + std::to_string(k) + "]", out);
}

/// The numeric operands of a leaf on a numeric or timestamp column, as doubles.
std::vector<double> numeric_operands(const Condition& c) {
  if (c.strings.empty()) return c.numbers;
  std::vector<double> v;
  for (const auto& s : c.strings) v.push_back(static_cast<double>(*parse_timestamp(s)));
  return v;
}

CompiledNode compile(const Condition& c, const data::Table& t) {
  CompiledNode n;
  n.op = c.op;
  if (c.is_combinator()) {
    for (const auto& ch : c.children) n.children.push_back(compile(ch, t));
    return n;
  }
  n.column = t.get(c.feature);
  const DType d = n.column->dtype();
  if (d == DType::Categorical) {
    const auto& cats = n.column->categories();
    n.lut.assign(cats.size() + 1, 0);
    const std::unordered_set<std::string> wanted(c.strings.begin(), c.strings.end());
    for (std::size_t j = 0; j < cats.size(); ++j) {
      const bool hit = wanted.count(cats[j]) > 0;
      switch (c.op) {
        case ConditionOp::Eq:
        case ConditionOp::In: n.lut[j + 1] = hit; break;
        case ConditionOp::Ne:
        case ConditionOp::NotIn: n.lut[j + 1] = !hit; break;
        case ConditionOp::NotMissing: n.lut[j + 1] = 1; break;
        default: break;
      }
    }
    if (c.op == ConditionOp::Missing) n.lut[0] = 1;
  } else if (d == DType::String) {
    n.strings = c.strings;
    std::sort(n.strings.begin(), n.strings.end());
  } else {
    n.set = numeric_operands(c);
    if (!n.set.empty()) n.a = n.set[0];
    if (n.set.size() > 1) n.b = n.set[1];
    std::sort(n.set.begin(), n.set.end());
  }
  return n;
}

bool in_set(const std::vector<double>& s, double v) {
  if (s.size() <= 8) {
    bool hit = false;
    for (double x : s) hit |= (x == v);
    return hit;
  }
  return std::binary_search(s.begin(), s.end(), v);
}

/// A numeric test over rows [lo, hi); `load(i, v)` stores row i's value and says whether it is
/// present. Every test but `missing` is false on a missing value.
template <class Load>
void numeric_leaf(const CompiledNode& n, Index lo, Index hi, std::uint8_t* out, Load load) {
  const double a = n.a, b = n.b;
  auto run = [&](auto pred) {
    for (Index i = lo; i < hi; ++i) {
      double v = 0.0;
      const bool present = load(i, v);
      // branch-free: the compiler vectorises the plain loads and compares
      out[i - lo] = static_cast<std::uint8_t>(static_cast<unsigned>(present) &
                                              static_cast<unsigned>(pred(v)));
    }
  };
  switch (n.op) {
    case ConditionOp::Eq: run([a](double v) { return v == a; }); break;
    case ConditionOp::Ne: run([a](double v) { return v != a; }); break;
    case ConditionOp::Lt: run([a](double v) { return v < a; }); break;
    case ConditionOp::Le: run([a](double v) { return v <= a; }); break;
    case ConditionOp::Gt: run([a](double v) { return v > a; }); break;
    case ConditionOp::Ge: run([a](double v) { return v >= a; }); break;
    case ConditionOp::Between: run([a, b](double v) { return v >= a && v <= b; }); break;
    case ConditionOp::In: run([&n](double v) { return in_set(n.set, v); }); break;
    case ConditionOp::NotIn: run([&n](double v) { return !in_set(n.set, v); }); break;
    case ConditionOp::NotMissing: run([](double) { return true; }); break;
    case ConditionOp::Missing:
      for (Index i = lo; i < hi; ++i) {
        double v = 0.0;
        out[i - lo] = static_cast<std::uint8_t>(!load(i, v));
      }
      break;
    default: break;
  }
}

void string_leaf(const CompiledNode& n, Index lo, Index hi, std::uint8_t* out) {
  const auto& values = n.column->strings();
  const auto& valid = n.column->validity();
  for (Index i = lo; i < hi; ++i) {
    const bool present = valid.empty() || valid[static_cast<std::size_t>(i)] != 0;
    bool r = false;
    switch (n.op) {
      case ConditionOp::Missing: r = !present; break;
      case ConditionOp::NotMissing: r = present; break;
      default: {
        if (!present) break;
        const bool hit = std::binary_search(n.strings.begin(), n.strings.end(),
                                            values[static_cast<std::size_t>(i)]);
        r = (n.op == ConditionOp::Eq || n.op == ConditionOp::In) ? hit : !hit;
      }
    }
    out[i - lo] = static_cast<std::uint8_t>(r);
  }
}

void eval_leaf(const CompiledNode& n, Index lo, Index hi, std::uint8_t* out) {
  const Column& col = *n.column;
  switch (col.dtype()) {
    case DType::Float64: {
      const double* x = col.as_float64().data();
      numeric_leaf(n, lo, hi, out, [x](Index i, double& v) {
        v = x[i];
        return !std::isnan(v);
      });
      break;
    }
    case DType::Int64: {
      const std::int64_t* x = col.as_int64().data();
      const auto& valid = col.validity();
      const std::uint8_t* ok = valid.empty() ? nullptr : valid.data();
      numeric_leaf(n, lo, hi, out, [x, ok](Index i, double& v) {
        v = static_cast<double>(x[i]);
        return ok == nullptr || ok[i] != 0;
      });
      break;
    }
    case DType::Timestamp: {
      const std::int64_t* x = col.as_int64().data();
      numeric_leaf(n, lo, hi, out, [x](Index i, double& v) {
        v = static_cast<double>(x[i]);
        return x[i] != kNaT;
      });
      break;
    }
    case DType::Categorical: {
      const std::uint8_t* lut = n.lut.data();
      col.visit_codes([&](const auto* codes) {
        for (Index i = lo; i < hi; ++i) out[i - lo] = lut[codes[i] + 1];
        return 0;
      });
      break;
    }
    case DType::String: string_leaf(n, lo, hi, out); break;
  }
}

bool any_set(const std::uint8_t* m, Index len) {
  std::uint8_t acc = 0;
  for (Index i = 0; i < len; ++i) acc |= m[i];
  return acc != 0;
}

bool all_set(const std::uint8_t* m, Index len) {
  std::uint8_t acc = 1;
  for (Index i = 0; i < len; ++i) acc &= m[i];
  return acc != 0;
}

void eval_node(const CompiledNode& n, Index lo, Index hi, std::uint8_t* out, EvalScratch& s,
               std::size_t depth) {
  if (n.column != nullptr) {
    eval_leaf(n, lo, hi, out);
    return;
  }
  const Index len = hi - lo;
  auto& tmp = s.levels[depth];  // sized by CompiledRules::eval (no resize: no dangling refs)
  if (tmp.size() < static_cast<std::size_t>(len)) tmp.resize(static_cast<std::size_t>(len));
  const bool all = n.op == ConditionOp::All;
  eval_node(n.children[0], lo, hi, out, s, depth + 1);
  for (std::size_t k = 1; k < n.children.size(); ++k) {
    if (all ? !any_set(out, len) : all_set(out, len)) break;  // the block is decided
    eval_node(n.children[k], lo, hi, tmp.data(), s, depth + 1);
    if (all)
      for (Index i = 0; i < len; ++i) out[i] &= tmp[static_cast<std::size_t>(i)];
    else
      for (Index i = 0; i < len; ++i) out[i] |= tmp[static_cast<std::size_t>(i)];
  }
}

}  // namespace

std::vector<std::string> table_problems(const std::vector<Rule>& rules, const data::Table& t) {
  std::vector<std::string> out;
  for (std::size_t r = 0; r < rules.size(); ++r) {
    if (!rules[r].when) continue;
    condition_problems(*rules[r].when, t,
                       "rules[" + std::to_string(r) + "] '" + rules[r].name + "': when", out);
  }
  return out;
}

CompiledRules::CompiledRules(const std::vector<Rule>& rules, const data::Table& table,
                             const char* caller) {
  const auto problems = table_problems(rules, table);
  CHURN_CHECK(problems.empty(), InvalidArgument,
              problems_message(std::string(caller) + ": the rules do not fit the table's columns",
                               problems));
  for (const auto& r : rules) {
    always_.push_back(r.when ? 0 : 1);
    nodes_.push_back(r.when ? compile(*r.when, table) : CompiledNode());
  }
}

void CompiledRules::eval(std::size_t r, Index lo, Index hi, std::uint8_t* out,
                         EvalScratch& scratch) const {
  if (always_[r]) {
    std::memset(out, 1, static_cast<std::size_t>(hi - lo));
    return;
  }
  if (scratch.levels.size() < static_cast<std::size_t>(kMaxDepth) + 2)
    scratch.levels.resize(static_cast<std::size_t>(kMaxDepth) + 2);
  eval_node(nodes_[r], lo, hi, out, scratch, 0);
}

}  // namespace detail

std::vector<std::string> RuleSet::problems(const data::Table& table) const {
  return detail::table_problems(rules_, table);
}

void RuleSet::check(const data::Table& table) const {
  const auto p = problems(table);
  CHURN_CHECK(
      p.empty(), InvalidArgument,
      detail::problems_message("RuleSet::check(): the rules do not fit the table's columns", p));
}

Eigen::Matrix<std::uint8_t, Eigen::Dynamic, Eigen::Dynamic> RuleSet::matches(
    const data::Table& table, int n_threads) const {
  resolve_threads(n_threads);
  const detail::CompiledRules compiled(rules_, table, "RuleSet::matches()");
  const Index n = table.num_rows();
  Eigen::Matrix<std::uint8_t, Eigen::Dynamic, Eigen::Dynamic> m(n, Index(rules_.size()));
  parallel_for_blocks(0, n, detail::kRowBlock, n_threads, [&](Index lo, Index hi) {
    detail::EvalScratch scratch;
    for (std::size_t r = 0; r < rules_.size(); ++r)
      compiled.eval(r, lo, hi, m.data() + static_cast<Index>(r) * n + lo, scratch);
  });
  return m;
}

}  // namespace churn::retention
