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
  double a = 0.0;                    ///< value, or min of between
  double b = 0.0;                    ///< max of between
  std::vector<double> set;           ///< numeric in/not_in values, sorted
  std::vector<std::uint8_t> lut;     ///< categorical: lut[code + 1] (index 0 = missing)
  std::vector<std::string> strings;  ///< string column: the values, sorted
  std::vector<CompiledNode> children;
};

/// Per-thread working buffers of the evaluation (one per nesting level).
struct EvalScratch {
  std::vector<std::vector<std::uint8_t>> levels;
};

/// Every rule's condition compiled against one table.
class CompiledRules {
 public:
  /// @throws InvalidArgument listing every problem of table_problems(), `caller` first.
  CompiledRules(const std::vector<Rule>& rules, const data::Table& table, const char* caller);
  /// Number of rules.
  std::size_t size() const { return nodes_.size(); }
  /// Writes whether rule `r` holds for rows [lo, hi) into out[0 .. hi - lo).
  void eval(std::size_t r, Index lo, Index hi, std::uint8_t* out, EvalScratch& scratch) const;

 private:
  std::vector<CompiledNode> nodes_;
  std::vector<std::uint8_t> always_;  ///< 1 for a rule without a condition
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

/// Method "best": each customer's best candidate, straight into `out`.
void allocate_best(const AllocationInput& in, RuleAssignment& out);
/// Every customer's candidates.
Candidates build_candidates(const AllocationInput& in);
/// Method "budget_greedy" (no capacity binds): sets out.rule/action/cost/expected_net_value.
void allocate_budget(const AllocationInput& in, const Candidates& c, RuleAssignment& out);
/// Methods "capacity_greedy" and "budget_capacity_greedy".
void allocate_capacity(const AllocationInput& in, const Candidates& c, RuleAssignment& out);

}  // namespace churn::retention::detail
