// The rules' conditions against a table: checked (every problem at once), compiled once per
// call (operands converted, a category test turned into a lookup table over the codes) and
// evaluated column by column over blocks of rows.
#include <algorithm>      // std::sort, std::binary_search, std::fill, std::min
#include <cmath>          // std::isnan
#include <string>         // std::string
#include <unordered_set>  // std::unordered_set
#include <utility>        // std::move

#if defined(__SSE2__)
#include <emmintrin.h>  // SSE2: two float64 or sixteen byte compares at a time
#endif

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
    // one-byte codes (-1 .. 127; a longer category list keeps the lookup table): the few that
    // differ from the rest
    if (n.column->code_width() == 1 && n.lut.size() <= 129) {
      std::vector<std::int8_t> hits, misses;
      for (std::size_t j = 0; j < n.lut.size(); ++j)
        (n.lut[j] ? hits : misses).push_back(static_cast<std::int8_t>(static_cast<int>(j) - 1));
      n.code_default = hits.size() > misses.size();
      n.codes = n.code_default ? misses : hits;
      n.few_codes = n.codes.size() <= kFewCodes;
    }
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

/// The words of rows [lo, hi): bit j of out[k] is `test(lo + 64 k + j)`; bits past hi are 0.
template <class Test>
void row_bits(Index lo, Index hi, std::uint64_t* out, Test test) {
  for (Index k = 0, at = lo; at < hi; ++k, at += 64) {
    const Index end = std::min(hi, at + 64);
    std::uint64_t w = 0;
    for (Index i = at; i < end; ++i) w |= static_cast<std::uint64_t>(test(i)) << (i - at);
    out[k] = w;
  }
}

#if defined(__SSE2__)
/// A float64 test over rows [lo, hi), two rows per SSE2 compare: `vec(v)` gives the lanes'
/// masks and `one(v)` the same test of one value (the last, partial word).
template <class Vec, class One>
void float_bits(const double* x, Index lo, Index hi, std::uint64_t* out, Vec vec, One one) {
  Index k = 0, at = lo;
  for (; at + 64 <= hi; ++k, at += 64) {
    const double* p = x + at;
    std::uint64_t w = 0;
    for (int j = 0; j < 64; j += 2)
      w |= static_cast<std::uint64_t>(_mm_movemask_pd(vec(_mm_loadu_pd(p + j)))) << j;
    out[k] = w;
  }
  if (at < hi) row_bits(at, hi, out + k, [&](Index i) { return one(x[i]); });
}
#else
template <class Vec, class One>
void float_bits(const double* x, Index lo, Index hi, std::uint64_t* out, Vec, One one) {
  row_bits(lo, hi, out, [&](Index i) { return one(x[i]); });
}
#endif

/// A test of a float64 column: present (not NaN) and the operator's comparison. The SSE2
/// compares are ordered (false on NaN) except `!=`, which is masked with the ordered test.
void float_leaf(const CompiledNode& n, const double* x, Index lo, Index hi, std::uint64_t* out) {
  const double a = n.a, b = n.b;
#if defined(__SSE2__)
  const __m128d va = _mm_set1_pd(a), vb = _mm_set1_pd(b);
#define CHURN_VEC(expr) [&](__m128d v) { return expr; }
#else
#define CHURN_VEC(expr) 0
#endif
  switch (n.op) {
    case ConditionOp::Eq:
      float_bits(x, lo, hi, out, CHURN_VEC(_mm_cmpeq_pd(v, va)), [a](double v) { return v == a; });
      break;
    case ConditionOp::Ne:
      float_bits(x, lo, hi, out, CHURN_VEC(_mm_and_pd(_mm_cmpord_pd(v, v), _mm_cmpneq_pd(v, va))),
                 [a](double v) { return !std::isnan(v) && v != a; });
      break;
    case ConditionOp::Lt:
      float_bits(x, lo, hi, out, CHURN_VEC(_mm_cmplt_pd(v, va)), [a](double v) { return v < a; });
      break;
    case ConditionOp::Le:
      float_bits(x, lo, hi, out, CHURN_VEC(_mm_cmple_pd(v, va)), [a](double v) { return v <= a; });
      break;
    case ConditionOp::Gt:
      float_bits(x, lo, hi, out, CHURN_VEC(_mm_cmpgt_pd(v, va)), [a](double v) { return v > a; });
      break;
    case ConditionOp::Ge:
      float_bits(x, lo, hi, out, CHURN_VEC(_mm_cmpge_pd(v, va)), [a](double v) { return v >= a; });
      break;
    case ConditionOp::Between:
      float_bits(x, lo, hi, out, CHURN_VEC(_mm_and_pd(_mm_cmpge_pd(v, va), _mm_cmple_pd(v, vb))),
                 [a, b](double v) { return v >= a && v <= b; });
      break;
    case ConditionOp::NotMissing:
      float_bits(x, lo, hi, out, CHURN_VEC(_mm_cmpord_pd(v, v)),
                 [](double v) { return !std::isnan(v); });
      break;
    case ConditionOp::Missing:
      float_bits(x, lo, hi, out, CHURN_VEC(_mm_cmpunord_pd(v, v)),
                 [](double v) { return std::isnan(v); });
      break;
    case ConditionOp::In:
      row_bits(lo, hi, out, [&](Index i) { return !std::isnan(x[i]) && in_set(n.set, x[i]); });
      break;
    case ConditionOp::NotIn:
      row_bits(lo, hi, out, [&](Index i) { return !std::isnan(x[i]) && !in_set(n.set, x[i]); });
      break;
    default: break;
  }
#undef CHURN_VEC
}

/// A numeric test over rows [lo, hi); `load(i, v)` stores row i's value and says whether it is
/// present. Every test but `missing` is false on a missing value.
template <class Load>
void numeric_leaf(const CompiledNode& n, Index lo, Index hi, std::uint64_t* out, Load load) {
  const double a = n.a, b = n.b;
  auto run = [&](auto pred) {
    row_bits(lo, hi, out, [&](Index i) {
      double v = 0.0;
      const bool present = load(i, v);
      return present && pred(v);
    });
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
      row_bits(lo, hi, out, [&](Index i) {
        double v = 0.0;
        return !load(i, v);
      });
      break;
    default: break;
  }
}

/// A categorical test of one-byte codes by its few codes (CompiledNode::codes): 16 rows per
/// SSE2 byte compare.
void few_codes_leaf(const CompiledNode& n, const std::int8_t* codes, Index lo, Index hi,
                    std::uint64_t* out) {
  const auto one = [&n](std::int8_t c) {
    bool hit = false;
    for (std::int8_t x : n.codes) hit |= (x == c);
    return hit != n.code_default;
  };
  Index k = 0, at = lo;
#if defined(__SSE2__)
  __m128i want[kFewCodes];
  const std::size_t m = n.codes.size();
  for (std::size_t q = 0; q < m; ++q) want[q] = _mm_set1_epi8(static_cast<char>(n.codes[q]));
  const std::uint64_t flip = n.code_default ? ~std::uint64_t{0} : 0;
  for (; at + 64 <= hi; ++k, at += 64) {
    std::uint64_t w = 0;
    for (int j = 0; j < 64; j += 16) {
      const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(codes + at + j));
      __m128i hit = _mm_setzero_si128();
      for (std::size_t q = 0; q < m; ++q) hit = _mm_or_si128(hit, _mm_cmpeq_epi8(c, want[q]));
      w |= static_cast<std::uint64_t>(static_cast<std::uint32_t>(_mm_movemask_epi8(hit))) << j;
    }
    out[k] = w ^ flip;
  }
#endif
  if (at < hi) row_bits(at, hi, out + k, [&](Index i) { return one(codes[i]); });
}

void string_leaf(const CompiledNode& n, Index lo, Index hi, std::uint64_t* out) {
  const auto& values = n.column->strings();
  const auto& valid = n.column->validity();
  row_bits(lo, hi, out, [&](Index i) {
    const bool present = valid.empty() || valid[static_cast<std::size_t>(i)] != 0;
    switch (n.op) {
      case ConditionOp::Missing: return !present;
      case ConditionOp::NotMissing: return present;
      default: {
        if (!present) return false;
        const bool hit = std::binary_search(n.strings.begin(), n.strings.end(),
                                            values[static_cast<std::size_t>(i)]);
        return (n.op == ConditionOp::Eq || n.op == ConditionOp::In) ? hit : !hit;
      }
    }
  });
}

void eval_leaf(const CompiledNode& n, Index lo, Index hi, std::uint64_t* out) {
  const Column& col = *n.column;
  switch (col.dtype()) {
    case DType::Float64: float_leaf(n, col.as_float64().data(), lo, hi, out); break;
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
      if (n.few_codes) {
        few_codes_leaf(n, static_cast<const std::int8_t*>(col.data()), lo, hi, out);
        break;
      }
      const std::uint8_t* lut = n.lut.data();
      col.visit_codes([&](const auto* codes) {
        row_bits(lo, hi, out, [&](Index i) { return lut[codes[i] + 1] != 0; });
        return 0;
      });
      break;
    }
    case DType::String: string_leaf(n, lo, hi, out); break;
  }
}

/// Words of a block of `len` rows, and the last word's mask of rows.
Index words_of(Index len) {
  return (len + 63) / 64;
}
std::uint64_t last_mask(Index len) {
  const Index r = len % 64;
  return r == 0 ? ~std::uint64_t{0} : (std::uint64_t{1} << r) - 1;
}

bool none_set(const std::uint64_t* w, Index n_words) {
  std::uint64_t acc = 0;
  for (Index k = 0; k < n_words; ++k) acc |= w[k];
  return acc == 0;
}

bool all_set(const std::uint64_t* w, Index len) {
  const Index n_words = words_of(len);
  std::uint64_t acc = ~std::uint64_t{0};
  for (Index k = 0; k + 1 < n_words; ++k) acc &= w[k];
  return acc == ~std::uint64_t{0} && (w[n_words - 1] & last_mask(len)) == last_mask(len);
}

void eval_node(const CompiledNode& n, Index lo, Index hi, std::uint64_t* out, EvalScratch& s,
               std::size_t depth) {
  if (n.column != nullptr) {
    eval_leaf(n, lo, hi, out);
    return;
  }
  const Index len = hi - lo, n_words = words_of(len);
  std::uint64_t* tmp = s.levels[depth].data();  // sized by CompiledRules::eval
  const bool all = n.op == ConditionOp::All;
  eval_node(n.children[0], lo, hi, out, s, depth + 1);
  for (std::size_t k = 1; k < n.children.size(); ++k) {
    if (all ? none_set(out, n_words) : all_set(out, len)) break;  // the block is decided
    eval_node(n.children[k], lo, hi, tmp, s, depth + 1);
    if (all)
      for (Index q = 0; q < n_words; ++q) out[q] &= tmp[q];
    else
      for (Index q = 0; q < n_words; ++q) out[q] |= tmp[q];
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

void CompiledRules::eval(std::size_t r, Index lo, Index hi, std::uint64_t* out,
                         EvalScratch& scratch) const {
  const Index len = hi - lo;
  if (always_[r]) {
    const Index n_words = words_of(len);
    std::fill(out, out + n_words, ~std::uint64_t{0});
    out[n_words - 1] = last_mask(len);
    return;
  }
  if (scratch.levels.size() < static_cast<std::size_t>(kMaxDepth) + 2)
    scratch.levels.assign(static_cast<std::size_t>(kMaxDepth) + 2,
                          std::vector<std::uint64_t>(static_cast<std::size_t>(kBlockWords)));
  eval_node(nodes_[r], lo, hi, out, scratch, 0);
}

BlockMatcher::BlockMatcher(const CompiledRules& rules, const std::vector<std::int32_t>& rule_action,
                           std::size_t n_actions)
    : rules_(&rules),
      rule_action_(&rule_action),
      row_words_((rules.size() + 63) / 64),
      rule_bits_(static_cast<std::size_t>(kBlockWords)),
      action_bits_(n_actions * static_cast<std::size_t>(kBlockWords)),
      row_bits_(static_cast<std::size_t>(kRowBlock) * row_words_) {}

void BlockMatcher::run(Index lo, Index hi) {
  const Index len = hi - lo, n_words = words_of(len);
  std::fill(row_bits_.begin(),
            row_bits_.begin() +
                static_cast<std::ptrdiff_t>(len) * static_cast<std::ptrdiff_t>(row_words_),
            std::uint64_t{0});
  std::fill(action_bits_.begin(), action_bits_.end(), std::uint64_t{0});
  std::uint64_t* w = rule_bits_.data();
  for (std::size_t r = 0; r < rules_->size(); ++r) {
    rules_->eval(r, lo, hi, w, scratch_);
    // the rows where r is its action's first rule: not taken by an earlier rule of the action
    std::uint64_t* taken =
        action_bits_.data() + static_cast<std::size_t>((*rule_action_)[r]) * kBlockWords;
    for (Index k = 0; k < n_words; ++k) {
      const std::uint64_t first = w[k] & ~taken[k];
      taken[k] |= w[k];
      w[k] = first;
    }
    // the rule's bit into the words of those rows (one store per row)
    std::uint64_t* rows = row_bits_.data() + r / 64;
    const std::uint64_t bit = std::uint64_t{1} << (r % 64);
    for (Index k = 0; k < n_words; ++k)
      for (std::uint64_t bits = w[k]; bits != 0; bits &= bits - 1) {
        const auto i = static_cast<std::size_t>(k * 64 + __builtin_ctzll(bits));
        rows[i * row_words_] |= bit;
      }
  }
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
    std::uint64_t words[detail::kBlockWords];
    for (std::size_t r = 0; r < rules_.size(); ++r) {
      compiled.eval(r, lo, hi, words, scratch);
      std::uint8_t* out = m.data() + static_cast<Index>(r) * n;
      for (Index i = lo; i < hi; ++i)
        out[i] = static_cast<std::uint8_t>((words[(i - lo) / 64] >> ((i - lo) % 64)) & 1);
    }
  });
  return m;
}

}  // namespace churn::retention
