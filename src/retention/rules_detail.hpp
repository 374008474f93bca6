#pragma once
/// @file rules_detail.hpp
/// Private parts of the retention rules (never installed): the document reader, the conditions
/// compiled against a table, the candidates and the allocation methods.

#include <cstdint>  // std::int32_t, std::uint8_t
#include <string>   // std::string
#include <vector>   // std::vector

#include "churn/core/json.hpp"
#include "churn/data/table.hpp"
#include "churn/retention/rules.hpp"

namespace churn::retention::detail {

/// Deepest nesting of all/any a document may use (deeper is a problem, never a stack overflow).
inline constexpr int kMaxDepth = 32;
/// Rows per block of the condition evaluation and the candidate scan.
inline constexpr Index kRowBlock = 4096;

// ---- rules_parse.cpp -------------------------------------------------------------------------

/// A rule document read into its parts.
struct ParsedRules {
  std::vector<Rule> rules;
  std::vector<Action> actions;
  std::vector<std::int32_t> rule_action;
  double budget = 0.0;  ///< +inf = none
};

/// Reads a plain rule document (not an envelope).
/// @throws InvalidArgument listing every problem, one per line.
ParsedRules parse_rule_document(const Json& doc);
/// A condition as the document writes it.
Json condition_to_json(const Condition& c);
/// An action as the document writes it (every field; capacity only when limited).
Json action_to_json(const Action& a);
/// The message of an error listing `problems` under the heading `what`: "<what>: N problems:"
/// then one per line (the first 200, then "... and K more").
std::string problems_message(const std::string& what, const std::vector<std::string>& problems);

// ---- rules_eval.cpp --------------------------------------------------------------------------

/// Every problem of the rules' conditions with the table's columns.
std::vector<std::string> table_problems(const std::vector<Rule>& rules, const data::Table& t);

/// A condition bound to the table's columns: operands converted once (a category test is a
/// lookup table over the codes), ready to evaluate block by block.
struct CompiledNode {
  ConditionOp op = ConditionOp::All;
  const data::Column* column = nullptr;
  double a = 0.0;                 ///< value, or min of between
  double b = 0.0;                 ///< max of between
  std::vector<double> set;        ///< numeric in/not_in values, sorted
  std::vector<std::uint8_t> lut;  ///< categorical: lut[code + 1] (index 0 = missing)
  /// Categorical with one-byte codes: the few codes (-1 = missing) whose lut entry differs
  /// from `code_default` (at most kFewCodes; empty with `few_codes` false = use the lut).
  std::vector<std::int8_t> codes;
  bool few_codes = false;            ///< `codes` applies
  bool code_default = false;         ///< the result of a code not in `codes`
  std::vector<std::string> strings;  ///< string column: the values, sorted
  std::vector<CompiledNode> children;
};

/// Codes tested one by one (a byte compare of 16 rows at a time) instead of the lookup table.
inline constexpr std::size_t kFewCodes = 4;
/// 64-bit words of one block's row bits.
inline constexpr Index kBlockWords = kRowBlock / 64;

/// Per-thread working buffers of the evaluation (one per nesting level).
struct EvalScratch {
  std::vector<std::vector<std::uint64_t>> levels;
};

/// Every rule's condition compiled against one table.
class CompiledRules {
 public:
  /// @throws InvalidArgument listing every problem of table_problems(), `caller` first.
  CompiledRules(const std::vector<Rule>& rules, const data::Table& table, const char* caller);
  /// Number of rules.
  std::size_t size() const { return nodes_.size(); }
  /// Writes whether rule `r` holds for rows [lo, hi) (at most kRowBlock rows) as bits: bit j
  /// of out[k] is row lo + 64 k + j; the bits past hi are 0.
  void eval(std::size_t r, Index lo, Index hi, std::uint64_t* out, EvalScratch& scratch) const;

 private:
  std::vector<CompiledNode> nodes_;
  std::vector<std::uint8_t> always_;  ///< 1 for a rule without a condition
};

/// Every rule over one block of rows at a time, read back row by row: for each action, the
/// first rule (in document order) of that action that holds for the row. One per thread.
class BlockMatcher {
 public:
  /// `rule_action`: the action of each rule (RuleSet::rule_actions()), `n_actions` of them.
  BlockMatcher(const CompiledRules& rules, const std::vector<std::int32_t>& rule_action,
               std::size_t n_actions);
  /// Evaluates every rule over rows [lo, hi) (at most kRowBlock rows).
  void run(Index lo, Index hi);
  /// Calls `f(r)` for every rule r that holds for row `lo + k` of the last run() and is the
  /// first such rule of its action, rules in document order.
  template <class F>
  void for_each_first_rule(Index k, F&& f) const {
    const std::uint64_t* w = row_bits_.data() + static_cast<std::size_t>(k) * row_words_;
    for (std::size_t q = 0; q < row_words_; ++q) {
      for (std::uint64_t bits = w[q]; bits != 0; bits &= bits - 1)
        f(q * 64 + static_cast<std::size_t>(__builtin_ctzll(bits)));
    }
  }

 private:
  const CompiledRules* rules_;
  const std::vector<std::int32_t>* rule_action_;
  std::size_t row_words_;                   ///< words per row: ceil(rules / 64)
  std::vector<std::uint64_t> rule_bits_;    ///< one rule's bits (kBlockWords)
  std::vector<std::uint64_t> action_bits_;  ///< per action, the rows an earlier rule took
  std::vector<std::uint64_t> row_bits_;     ///< kRowBlock x row_words_
  EvalScratch scratch_;
};

// ---- rules_allocate.cpp ----------------------------------------------------------------------

/// The candidate actions of every customer (ENV > 0), in compressed rows: customer i's are
/// [offset[i], offset[i + 1]), in preference order (ENV descending, then priority, then rule).
struct Candidates {
  std::vector<Index> offset;
  std::vector<std::int32_t> action;
  std::vector<std::int32_t> rule;
  std::vector<double> env;
  std::vector<double> cost;
};

/// The inputs of the allocation.
struct AllocationInput {
  const RuleSet* rules = nullptr;
  const CompiledRules* compiled = nullptr;
  const VectorRef* probability = nullptr;
  const VectorRef* value_kept = nullptr;
  Index n = 0;
  double budget = 0.0;  ///< +inf = none
  int n_threads = 0;
};

/// Method "best": each customer's best candidate; writes every row of `out` and its totals
/// (spent, expected_value, counts, n_candidates).
void allocate_best(const AllocationInput& in, RuleAssignment& out);
/// Method "budget_greedy" (no capacity binds): writes every row of `out` and its totals.
void allocate_budget(const AllocationInput& in, RuleAssignment& out);
/// Every customer's candidates (for the capacity methods).
Candidates build_candidates(const AllocationInput& in);
/// Methods "capacity_greedy" and "budget_capacity_greedy": sets the rows of `out` that get an
/// action (the others must already say none); the totals are add_totals()'.
void allocate_capacity(const AllocationInput& in, const Candidates& c, RuleAssignment& out);
/// The totals of `out`'s rows: spent and expected_value (exact sums), action and rule counts.
void add_totals(const AllocationInput& in, RuleAssignment& out);

}  // namespace churn::retention::detail
