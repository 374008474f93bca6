#pragma once
/// @file rules.hpp
/// `churn::retention::RuleSet`: declarative retention rules and the choice of each customer's
/// best action by expected net value, under an optional budget and per-action capacities.
///
/// ## The rule document (JSON, or a Python dict)
/// @code{.json}
/// {"rules": [
///   {"name": "vip_call",
///    "when": {"all": [{"feature": "bucket", "op": "in", "values": ["high", "critical"]},
///                     {"feature": "monthly_revenue", "op": ">=", "value": 80},
///                     {"any": [{"feature": "contract", "op": "==", "value": "month-to-month"},
///                              {"feature": "support_calls", "op": "missing"}]}]},
///    "action": {"name": "call", "cost": 15.0, "success_rate": 0.3, "channel": "phone",
///               "priority": 1, "capacity": 500}}],
///  "budget": 10000.0}
/// @endcode
/// - A rule has a unique non-empty `name`, an optional condition `when` (a rule without one
///   always applies) and an `action`.
/// - A condition is `{"all": [...]}` (every one holds), `{"any": [...]}` (at least one holds;
///   both lists non-empty, nested at most 32 deep) or a test of one column `feature`:
///   `op` one of `==, !=, <, <=, >, >=` with `value`; `between` with `min` <= `max`
///   (inclusive); `in` / `not_in` with a non-empty list `values`; `missing` / `not_missing`.
/// - Operands: numbers for float64 and int64 columns (true/false read as 1/0; int64 values are
///   compared as doubles); strings for category and string columns, which take only `==`,
///   `!=`, `in`, `not_in` and the missing tests; numbers (nanoseconds since 1970) or ISO 8601
///   strings for timestamp columns.
/// - **Missing values**: every test but `missing` is false on a missing value (`!=` and
///   `not_in` included: "unknown" is not "different"), as SQL's comparisons with NULL.
/// - An action has a non-empty `name`, a finite `cost` >= 0, a `success_rate` in [0, 1], an
///   optional `channel` (text, default ""), an optional integer `priority` (default 0; a
///   smaller number wins ties) and an optional integer `capacity` >= 0 (at most that many
///   customers; absent or null = unlimited).
/// - **Actions are identified by name.** Several rules may name the same action (for several
///   audiences): they then share its capacity, and must give it the same cost, success rate,
///   channel, priority and capacity (a rule may also give just `{"name": ...}` to refer to an
///   action another rule defines in full). A customer reached by several rules of one action
///   is attributed to the first of them in document order.
/// - `budget` (optional, >= 0, null = none) bounds the total cost; ApplyOptions::budget
///   overrides it.
/// - Unknown fields are errors (a misspelt `"capacty"` is never silently ignored).
///
/// from_json() checks the whole document and reports every problem in one InvalidArgument, one
/// per line with its path (`rules[2] 'vip_call': when.all[1].op: unknown operator '=<'`);
/// check() does the same for the columns of a table (unknown feature, operator or operand of
/// the wrong type for the column).
///
/// ## Choosing the actions
/// Expected net value of action a for customer i: `ENV_ia = p_i * success_a * value_kept_i -
/// cost_a`. The candidates of customer i are the actions of the rules whose condition holds
/// for i with ENV_ia > 0; each customer gets at most one action.
/// - **No budget, no capacity** (method "best"): each customer gets the candidate of highest
///   ENV (ties: smaller priority, then earlier rule), or none. This is exactly optimal.
/// - **Budget, no capacity** (method "budget_greedy"): the greedy of the LP relaxation of the
///   multiple-choice knapsack (Sinha & Zoltners, 1979). Each customer's candidates, with "no
///   action" at (0, 0), are reduced to the upper convex hull of (cost, ENV); its steps are
///   upgrades of decreasing ENV-per-cost. Upgrades of all customers are taken in decreasing
///   ENV-per-cost (ties: row order) while they fit the budget; an upgrade that does not fit
///   ends that customer's upgrades, and the others go on. The remaining budget is tracked
///   rounded down, so the exact total cost never exceeds the budget. Guarantee: the total ENV is at
///   least the LP optimum minus the ENV gain of the first upgrade that did not fit, hence at least
///   `OPT - max_ia ENV_ia`; exactly optimal when the budget does not bind. Among actions of
///   equal ENV the cheaper one is chosen.
/// - **Capacities, no budget** (method "capacity_greedy"): the greedy of weighted b-matching:
///   each customer offers its best candidate among the actions with room (ENV, then priority,
///   then rule order), and offers are taken in decreasing ENV (ties: row order) while the
///   action has room; a customer whose action filled up offers its next best. Guarantee: at least
///   half the optimum (each optimal pair left out is blocked by a taken pair of at least its ENV,
///   and each taken pair blocks at most two); exactly optimal when no capacity binds.
/// - **Budget and capacities** (method "budget_capacity_greedy"): the budget greedy above
///   where an upgrade to a full action is replaced by the customer's best upgrade among the
///   actions with room (upgrades of equal ENV-per-cost, such as free ones, by decreasing ENV
///   gain, then row order). A heuristic (the problem is NP-hard): no bound is claimed, but budget
///   and capacities are never exceeded and the result is exactly optimal when neither binds.
/// Every method is deterministic and its result does not depend on the thread count.
///
/// Conditions are evaluated column by column over blocks of rows, in parallel, as bit words of
/// 64 rows: a category test becomes a lookup table over the column's codes once, so no row
/// compares text. Conditions, choice and totals run in one pass over each block; the totals
/// (exact sums) are folded in block order.

#include <cstdint>   // std::int32_t, std::uint8_t
#include <limits>    // std::numeric_limits
#include <optional>  // std::optional
#include <string>    // std::string
#include <vector>    // std::vector

#include <Eigen/Core>

#include "churn/core/json.hpp"
#include "churn/core/types.hpp"
#include "churn/data/table.hpp"

namespace churn::retention {

/// The operator of a condition: `All`/`Any` combine child conditions, the others test a column.
enum class ConditionOp : std::uint8_t {
  All,         ///< every child holds
  Any,         ///< at least one child holds
  Eq,          ///< `==`
  Ne,          ///< `!=`
  Lt,          ///< `<`
  Le,          ///< `<=`
  Gt,          ///< `>`
  Ge,          ///< `>=`
  Between,     ///< `between`: min <= x <= max
  In,          ///< `in`: x is one of the values
  NotIn,       ///< `not_in`: x is none of the values
  Missing,     ///< `missing`
  NotMissing,  ///< `not_missing`
};

/// The document's spelling of an operator ("all", "==", "between", ...).
const char* condition_op_name(ConditionOp op);

/// One node of a rule's condition.
struct Condition {
  /// The operator.
  ConditionOp op = ConditionOp::All;
  /// The column a test reads ("" for all/any).
  std::string feature;
  /// Numeric operands: `value` (one), `min`, `max` (two) or `values`; empty for text operands.
  std::vector<double> numbers;
  /// Text operands: `value` (one) or `values`; empty for numeric operands.
  std::vector<std::string> strings;
  /// The child conditions of all/any.
  std::vector<Condition> children;

  /// True for all/any.
  bool is_combinator() const { return op == ConditionOp::All || op == ConditionOp::Any; }
};

/// What a rule does for the customers it reaches.
struct Action {
  /// Name; rules naming the same action share it (and its capacity).
  std::string name;
  /// Cost per customer, finite and >= 0.
  double cost = 0.0;
  /// Probability that the action keeps a customer who would churn, in [0, 1].
  double success_rate = 0.0;
  /// Channel (phone, email, ...), free text.
  std::string channel;
  /// Tie-break: among actions of equal expected net value the smaller priority wins.
  int priority = 0;
  /// At most this many customers get the action (>= 0); -1 = unlimited.
  Index capacity = -1;
};

/// One rule: a condition and an action.
struct Rule {
  /// Unique, non-empty name.
  std::string name;
  /// The condition; none = the rule always applies.
  std::optional<Condition> when;
  /// The action.
  Action action;
};

/// Options of RuleSet::apply.
struct ApplyOptions {
  /// Total budget (>= 0, +inf = none); unset = the rule set's own budget.
  std::optional<double> budget;
  /// Threads for the conditions and candidates (0 = all cores); results do not depend on it.
  int n_threads = 0;

  /// @throws InvalidArgument naming the field: budget NaN or negative, n_threads < 0.
  void validate() const;
};

/// The actions chosen for a table of customers.
struct RuleAssignment {
  /// Per customer: index of the rule that fired (into RuleSet::rules()), or -1 for none.
  IntVector rule;
  /// Per customer: index of the action (into RuleSet::actions()), or -1 for none.
  IntVector action;
  /// Per customer: cost of the action (0 for none).
  Vector cost;
  /// Per customer: expected net value p * success_rate * value_kept - cost (0 for none).
  Vector expected_net_value;
  /// Total cost of the chosen actions.
  double spent = 0.0;
  /// Total expected net value of the chosen actions.
  double expected_value = 0.0;
  /// The budget that applied (+inf = none).
  double budget = 0.0;
  /// Customers per action (indexed as RuleSet::actions()).
  std::vector<Index> action_counts;
  /// Customers per rule (indexed as RuleSet::rules()).
  std::vector<Index> rule_counts;
  /// Customers with at least one applicable action of positive expected net value.
  Index n_candidates = 0;
  /// "best", "budget_greedy", "capacity_greedy" or "budget_capacity_greedy" (see the file
  /// comment).
  std::string method;
};

/// A checked set of retention rules.
/// @code
/// auto rules = churn::retention::RuleSet::from_json(churn::parse_json(R"({"rules": [
///   {"name": "call_risky", "when": {"feature": "score", "op": ">=", "value": 0.5},
///    "action": {"name": "call", "cost": 10, "success_rate": 0.3}}]})"));
/// auto r = rules.apply(customers, probability, clv);  // customers has a "score" column
/// std::cout << r.spent << " spent for " << r.expected_value << " expected\n";
/// @endcode
///
/// Thread safety: immutable once built; every member is const and may run concurrently.
class RuleSet {
 public:
  /// An empty rule set (every customer gets no action).
  RuleSet() = default;

  /// Reads a rule document (see the file comment), or a saved churnlib envelope of kind
  /// "RetentionRuleSet" holding one in its state.
  /// @throws InvalidArgument listing every problem of the document, one per line with its path:
  ///         wrong JSON types, missing or unknown fields, unknown operators, operands that do
  ///         not fit the operator, min > max, cost < 0, success_rate outside [0, 1],
  ///         capacity < 0, repeated rule names, one action defined differently by two rules.
  /// @throws SerializationError for an envelope of another kind or a newer major version.
  static RuleSet from_json(const Json& doc);
  /// The rule document: `{"rules": [...], "budget": ...}` (budget only when set; each action
  /// written in full); from_json() of it gives an equal rule set.
  Json to_json() const;
  /// Saves the document in the churnlib envelope (kind "RetentionRuleSet", the document as
  /// its state), atomically. @throws IOError.
  void save(const std::string& path) const;
  /// Loads a file written by save() or a plain rule document.
  /// @throws IOError, SerializationError (not JSON, another kind), InvalidArgument (as
  ///         from_json).
  static RuleSet load(const std::string& path);

  /// The rules, in document order.
  const std::vector<Rule>& rules() const { return rules_; }
  /// The distinct actions, in order of first appearance.
  const std::vector<Action>& actions() const { return actions_; }
  /// The index into actions() of each rule's action.
  const std::vector<std::int32_t>& rule_actions() const { return rule_action_; }
  /// The document's budget (+inf = none).
  double budget() const { return budget_; }
  /// Every column the conditions read, in order of first appearance.
  std::vector<std::string> features() const;

  /// Every problem of the conditions with the columns of `table`, one message each: unknown
  /// feature, an operator the column's type does not take, an operand of the wrong type, an
  /// unparseable timestamp. Empty when the rules can run on the table.
  std::vector<std::string> problems(const data::Table& table) const;
  /// @throws InvalidArgument listing every problem of problems(table).
  void check(const data::Table& table) const;

  /// Whether each rule's condition holds for each row: rows x rules, 1 = holds.
  /// @throws InvalidArgument as check(); for n_threads < 0.
  Eigen::Matrix<std::uint8_t, Eigen::Dynamic, Eigen::Dynamic> matches(const data::Table& table,
                                                                      int n_threads = 0) const;

  /// Chooses each customer's action (see the file comment).
  /// @param customers    one row per customer; the conditions' columns (score, bucket and
  ///                     segment are columns like any other).
  /// @param probability  churn probability per customer, in [0, 1].
  /// @param value_kept   money kept if the customer stays (CLV, revenue at risk), finite >= 0.
  /// @throws InvalidArgument as check(); lengths that differ from the table's rows; a
  ///         probability outside [0, 1] or a negative or non-finite value_kept (naming the
  ///         row); options as ApplyOptions::validate().
  RuleAssignment apply(const data::Table& customers, const VectorRef& probability,
                       const VectorRef& value_kept, const ApplyOptions& options = {}) const;

 private:
  std::vector<Rule> rules_;
  std::vector<Action> actions_;
  std::vector<std::int32_t> rule_action_;
  double budget_ = std::numeric_limits<double>::infinity();
};

}  // namespace churn::retention
