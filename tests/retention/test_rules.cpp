#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include "churn/core/error.hpp"
#include "churn/core/json.hpp"
#include "churn/data/table.hpp"
#include "churn/retention/rules.hpp"
#include "fuzz/rules_fuzz.hpp"
#include "test_util.hpp"

using churn::Index;
using churn::Json;
using churn::Vector;
using churn::data::Column;
using churn::data::Table;
using churn::retention::ApplyOptions;
using churn::retention::RuleAssignment;
using churn::retention::RuleSet;
using churn_test::throws_with;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

RuleSet rules_of(const char* text) {
  return RuleSet::from_json(churn::parse_json(text));
}

/// One random small case: a table, a rule document and the inputs.
struct Case {
  Table table;
  Json doc;
  Vector p, v;
};

Json random_condition(std::mt19937_64& g) {
  const double t = static_cast<double>(g() % 10);
  switch (g() % 6) {
    case 0: return {{"feature", "x"}, {"op", ">="}, {"value", t}};
    case 1: return {{"feature", "cat"}, {"op", "in"}, {"values", {"a", "c"}}};
    case 2: return {{"feature", "cat"}, {"op", "!="}, {"value", "b"}};
    case 3: return {{"feature", "x"}, {"op", "missing"}};
    case 4:
      return {{"any",
               {{{"feature", "x"}, {"op", "<"}, {"value", t}},
                {{"feature", "cat"}, {"op", "=="}, {"value", "b"}}}}};
    default:
      return {{"all",
               {{{"feature", "x"}, {"op", "between"}, {"min", t}, {"max", t + 4}},
                {{"feature", "cat"}, {"op", "not_missing"}}}}};
  }
}

/// Up to 7 customers, up to 3 actions over up to 4 rules; costs are multiples of 1/2 (their
/// sums are exact), capacities only with `capacities`, a budget only with `budget`.
Case random_case(std::mt19937_64& g, bool budget, bool capacities) {
  const Index n = 1 + static_cast<Index>(g() % 7);
  std::vector<double> x;
  std::vector<std::string> cat;
  std::vector<std::uint8_t> valid;
  const char* names[] = {"a", "b", "c"};
  Case c;
  c.p.resize(n);
  c.v.resize(n);
  for (Index i = 0; i < n; ++i) {
    x.push_back(g() % 7 == 0 ? kNaN : static_cast<double>(g() % 10));
    cat.push_back(names[g() % 3]);
    valid.push_back(g() % 6 != 0);
    c.p[i] = static_cast<double>(g() % 17) / 16.0;
    c.v[i] = static_cast<double>(g() % 100);
  }
  c.table =
      Table({Column::from_float64("x", x), Column::from_strings_categorical("cat", cat, valid)});
  const int n_actions = 1 + static_cast<int>(g() % 3);
  std::vector<Json> actions;
  for (int a = 0; a < n_actions; ++a) {
    Json j = {{"name", "act" + std::to_string(a)},
              {"cost", 0.5 * static_cast<double>(g() % 21)},
              {"success_rate", static_cast<double>(1 + g() % 9) / 10.0},
              {"priority", static_cast<int>(g() % 3)}};
    if (capacities && g() % 3 != 0) j["capacity"] = static_cast<int>(g() % 4);
    actions.push_back(j);
  }
  Json rules = Json::array();
  const int n_rules = 1 + static_cast<int>(g() % 4);
  for (int r = 0; r < n_rules; ++r) {
    Json rule = {{"name", "rule" + std::to_string(r)}, {"action", actions[g() % actions.size()]}};
    if (g() % 4 != 0) rule["when"] = random_condition(g);
    rules.push_back(rule);
  }
  c.doc = {{"rules", rules}};
  if (budget) c.doc["budget"] = 0.5 * static_cast<double>(g() % 41);
  return c;
}

/// The optimum by brute force over every assignment: each customer gets nothing or one
/// action of a rule whose condition holds (from RuleSet::matches), within budget and capacity.
double brute_force(const RuleSet& rs, const Case& c, double budget, double* best_single) {
  const auto m = rs.matches(c.table, 1);
  const Index n = c.table.num_rows();
  const auto& actions = rs.actions();
  std::vector<std::vector<int>> options(static_cast<std::size_t>(n));
  *best_single = 0;
  for (Index i = 0; i < n; ++i) {
    options[static_cast<std::size_t>(i)].push_back(-1);
    for (std::size_t a = 0; a < actions.size(); ++a) {
      bool applies = false;
      for (std::size_t r = 0; r < rs.rules().size(); ++r)
        applies = applies || (m(i, Index(r)) && rs.rule_actions()[r] == int(a));
      const double env = c.p[i] * actions[a].success_rate * c.v[i] - actions[a].cost;
      if (applies && env > 0) {
        options[static_cast<std::size_t>(i)].push_back(int(a));
        *best_single = std::max(*best_single, env);
      }
    }
  }
  double best = 0;
  std::vector<std::size_t> pick(static_cast<std::size_t>(n), 0);
  while (true) {
    double cost = 0, value = 0;
    std::vector<Index> count(actions.size(), 0);
    for (Index i = 0; i < n; ++i) {
      const int a = options[static_cast<std::size_t>(i)][pick[static_cast<std::size_t>(i)]];
      if (a < 0) continue;
      cost += actions[std::size_t(a)].cost;
      value +=
          c.p[i] * actions[std::size_t(a)].success_rate * c.v[i] - actions[std::size_t(a)].cost;
      ++count[std::size_t(a)];
    }
    bool ok = cost <= budget;
    for (std::size_t a = 0; a < actions.size(); ++a)
      ok = ok && (actions[a].capacity < 0 || count[a] <= actions[a].capacity);
    if (ok) best = std::max(best, value);
    std::size_t k = 0;  // next assignment (odometer)
    while (k < pick.size() && ++pick[k] == options[k].size()) pick[k++] = 0;
    if (k == pick.size()) break;
  }
  return best;
}

/// Checks what every result must satisfy: the fired rule holds and is the first of its action,
/// ENV and cost as the formula, totals, budget and capacities respected.
void check_feasible(const RuleSet& rs, const Case& c, const RuleAssignment& r) {
  const auto m = rs.matches(c.table, 1);
  double spent = 0;
  std::vector<Index> count(rs.actions().size(), 0);
  for (Index i = 0; i < c.table.num_rows(); ++i) {
    if (r.rule[i] < 0) {
      BOOST_TEST(r.action[i] == -1);
      BOOST_TEST(r.cost[i] == 0.0);
      continue;
    }
    const auto rule = static_cast<std::size_t>(r.rule[i]);
    BOOST_TEST(m(i, Index(rule)) == 1);
    BOOST_TEST(rs.rule_actions()[rule] == r.action[i]);
    for (std::size_t q = 0; q < rule; ++q)  // no earlier rule of the same action holds
      BOOST_TEST(!(m(i, Index(q)) && rs.rule_actions()[q] == r.action[i]));
    const auto& a = rs.actions()[static_cast<std::size_t>(r.action[i])];
    BOOST_TEST(r.cost[i] == a.cost);
    BOOST_TEST(r.expected_net_value[i] == c.p[i] * a.success_rate * c.v[i] - a.cost);
    BOOST_TEST(r.expected_net_value[i] > 0);
    spent += a.cost;
    ++count[static_cast<std::size_t>(r.action[i])];
  }
  BOOST_TEST(spent <= r.budget);
  BOOST_TEST(r.spent == spent);
  for (std::size_t a = 0; a < rs.actions().size(); ++a) {
    BOOST_TEST(r.action_counts[a] == count[a]);
    if (rs.actions()[a].capacity >= 0) BOOST_TEST(count[a] <= rs.actions()[a].capacity);
  }
}

// ---- a reference for many rules over many blocks ---------------------------------------------

/// A table of every column type over several row blocks (kRowBlock = 4096) and a tail: x
/// (float64, NaN), k (int64 with missing), c8 (one-byte codes, 5 categories, missing), c32
/// (four-byte codes, 12 categories, missing), s (string, missing), t (timestamp, NaT).
struct WideCase {
  Table table;
  std::vector<double> x;
  std::vector<std::int64_t> k, t;
  std::vector<std::uint8_t> k_valid, s_valid;
  std::vector<std::int8_t> c8;
  std::vector<std::int32_t> c32;
  std::vector<std::string> s, cats8, cats32;
  Vector p, v;
};

WideCase wide_case(std::mt19937_64& g, Index n) {
  WideCase w;
  for (int j = 0; j < 5; ++j) w.cats8.push_back("a" + std::to_string(j));
  for (int j = 0; j < 12; ++j) w.cats32.push_back("b" + std::to_string(j));
  w.p.resize(n);
  w.v.resize(n);
  for (Index i = 0; i < n; ++i) {
    w.x.push_back(g() % 9 == 0 ? kNaN : static_cast<double>(g() % 20) / 2.0);
    w.k.push_back(static_cast<std::int64_t>(g() % 15) - 3);
    w.k_valid.push_back(g() % 8 != 0);
    w.c8.push_back(static_cast<std::int8_t>(static_cast<int>(g() % 6) - 1));
    w.c32.push_back(static_cast<std::int32_t>(g() % 13) - 1);
    w.s.push_back("s" + std::to_string(g() % 4));
    w.s_valid.push_back(g() % 7 != 0);
    w.t.push_back(g() % 10 == 0 ? churn::kNaT : static_cast<std::int64_t>(g() % 50) * 1000);
    w.p[i] = static_cast<double>(g() % 1000) / 999.0;
    w.v[i] = static_cast<double>(g() % 3000) / 7.0;
  }
  w.table = Table({Column::from_float64("x", w.x), Column::from_int64("k", w.k, w.k_valid),
                   Column::from_codes_view("c8", w.c8.data(), 1, n, w.cats8, nullptr),
                   Column::from_codes("c32", w.c32, w.cats32),
                   Column::from_strings("s", w.s, w.s_valid), Column::from_timestamp("t", w.t)});
  return w;
}

Json wide_condition(std::mt19937_64& g, const WideCase& w, int depth) {
  static const char* cmp[] = {"==", "!=", "<", "<=", ">", ">="};
  const auto num = [&] { return static_cast<double>(g() % 24) / 2.0 - 2.0; };
  const auto pick = [&](const std::vector<std::string>& from, std::size_t m) {
    Json out = Json::array();
    for (std::size_t q = 0; q < m; ++q) out.push_back(from[g() % from.size()]);
    return out;
  };
  const std::vector<std::string> strings = {"s0", "s1", "s2", "s3", "zz"};
  if (depth < 3 && g() % 4 == 0) {
    Json kids = Json::array();
    for (std::size_t q = 0, m = 1 + g() % 3; q < m; ++q)
      kids.push_back(wide_condition(g, w, depth + 1));
    return {{g() % 2 ? "all" : "any", kids}};
  }
  const char* feature = std::vector<const char*>{"x", "k", "c8", "c32", "s", "t"}[g() % 6];
  const bool text = feature[0] == 'c' || feature[0] == 's';
  switch (g() % 6) {
    case 0: return {{"feature", feature}, {"op", g() % 2 ? "missing" : "not_missing"}};
    case 1:
      if (text)
        return {{"feature", feature},
                {"op", g() % 2 ? "==" : "!="},
                {"value", pick(feature[0] == 's'   ? strings
                               : feature[1] == '8' ? w.cats8
                                                   : w.cats32,
                               1)[0]}};
      return {{"feature", feature}, {"op", cmp[g() % 6]}, {"value", num()}};
    case 2:
      if (text) break;
      {
        const double a = num();
        return {{"feature", feature},
                {"op", "between"},
                {"min", a},
                {"max", a + static_cast<double>(g() % 6)}};
      }
    default: break;
  }
  const std::size_t m = 1 + g() % (feature[1] == '3' ? 9 : 4);
  Json values = text ? pick(feature[0] == 's'   ? strings
                            : feature[1] == '8' ? w.cats8
                                                : w.cats32,
                            m)
                     : Json::array();
  if (!text)
    for (std::size_t q = 0; q < m; ++q) values.push_back(num());
  return {{"feature", feature}, {"op", g() % 2 ? "in" : "not_in"}, {"values", values}};
}

/// Whether `c` holds for row i, straight from the document's definitions.
bool holds(const Json& c, const WideCase& w, Index i) {
  const auto row = static_cast<std::size_t>(i);
  if (c.contains("all") || c.contains("any")) {
    const bool all = c.contains("all");
    bool acc = all;
    for (const auto& ch : c.at(all ? "all" : "any"))
      acc = all ? (acc && holds(ch, w, i)) : (acc || holds(ch, w, i));
    return acc;
  }
  const std::string f = c.at("feature"), op = c.at("op");
  bool present = true;
  double num = 0;
  std::string text;
  if (f == "x") present = !std::isnan(w.x[row]), num = w.x[row];
  if (f == "k") present = w.k_valid[row] != 0, num = static_cast<double>(w.k[row]);
  if (f == "t") present = w.t[row] != churn::kNaT, num = static_cast<double>(w.t[row]);
  if (f == "c8") present = w.c8[row] >= 0, text = present ? w.cats8[std::size_t(w.c8[row])] : "";
  if (f == "c32")
    present = w.c32[row] >= 0, text = present ? w.cats32[std::size_t(w.c32[row])] : "";
  if (f == "s") present = w.s_valid[row] != 0, text = w.s[row];
  if (op == "missing") return !present;
  if (!present) return false;
  if (op == "not_missing") return true;
  const bool is_text = f == "c8" || f == "c32" || f == "s";
  if (op == "in" || op == "not_in") {
    bool hit = false;
    for (const auto& x : c.at("values"))
      hit = hit || (is_text ? x.get<std::string>() == text : x.get<double>() == num);
    return op == "in" ? hit : !hit;
  }
  if (op == "between") return num >= c.at("min").get<double>() && num <= c.at("max").get<double>();
  if (is_text) return (c.at("value").get<std::string>() == text) == (op == "==");
  const double a = c.at("value");
  if (op == "==") return num == a;
  if (op == "!=") return num != a;
  if (op == "<") return num < a;
  if (op == "<=") return num <= a;
  if (op == ">") return num > a;
  return num >= a;
}

/// x - y rounded down, never below 0 when x >= y (the remaining budget of the file comment).
double subtract_down(double x, double y) {
  const double s = x - y;
  const double bv = s - x, err = (x - (s - bv)) + (-y - bv);  // TwoSum
  const double d = err < 0 ? std::nextafter(s, -kInf) : s;
  return x >= y ? std::max(d, 0.0) : d;
}

/// The LP greedy of the file comment with a full stable sort of every hull step.
std::vector<int> reference_budget(const RuleSet& rs, const std::vector<std::vector<int>>& cand,
                                  const std::vector<std::vector<double>>& env, double budget) {
  struct S {
    double key, dc, env;
    Index row;
    int rule;
  };
  std::vector<S> steps;
  const auto& acts = rs.actions();
  for (std::size_t i = 0; i < cand.size(); ++i) {
    int cur = -1;
    while (true) {
      const double c0 =
          cur < 0
              ? 0
              : acts[std::size_t(rs.rule_actions()[std::size_t(cand[i][std::size_t(cur)])])].cost;
      const double e0 = cur < 0 ? 0 : env[i][std::size_t(cur)];
      int best = -1;
      double best_key = 0;
      for (std::size_t q = 0; q < cand[i].size(); ++q) {
        if (int(q) == cur || !(env[i][q] > e0)) continue;
        const double cq = acts[std::size_t(rs.rule_actions()[std::size_t(cand[i][q])])].cost;
        const double key = cq - c0 <= 0 ? kInf : (env[i][q] - e0) / (cq - c0);
        bool better = best < 0 || key > best_key;
        if (best >= 0 && key == best_key) {
          const double cb =
              acts[std::size_t(rs.rule_actions()[std::size_t(cand[i][std::size_t(best)])])].cost;
          better = key == kInf ? env[i][q] > env[i][std::size_t(best)] : cq < cb;
        }
        if (better) best = int(q), best_key = key;
      }
      if (best < 0) break;
      const double cb =
          acts[std::size_t(rs.rule_actions()[std::size_t(cand[i][std::size_t(best)])])].cost;
      steps.push_back(
          {best_key, cb - c0, env[i][std::size_t(best)], Index(i), cand[i][std::size_t(best)]});
      cur = best;
    }
  }
  std::stable_sort(steps.begin(), steps.end(),
                   [](const S& a, const S& b) { return a.key > b.key; });
  std::vector<int> rule(cand.size(), -1);
  std::vector<char> stopped(cand.size(), 0);
  double remaining = budget;
  for (const S& st : steps) {
    if (stopped[std::size_t(st.row)]) continue;
    if (st.dc <= remaining) {
      rule[std::size_t(st.row)] = st.rule;
      remaining = subtract_down(remaining, st.dc);
    } else {
      stopped[std::size_t(st.row)] = 1;
    }
  }
  return rule;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(retention_rules)

BOOST_AUTO_TEST_CASE(reads_writes_and_round_trips_a_document) {
  const Json doc = churn_fuzz::valid_rule_document();
  const RuleSet rs = RuleSet::from_json(doc);
  BOOST_TEST(rs.rules().size() == 4u);
  BOOST_TEST(rs.actions().size() == 3u);  // call, email, discount (vip_call_2 refers to call)
  BOOST_TEST(rs.rule_actions() == (std::vector<std::int32_t>{0, 1, 2, 0}));
  BOOST_TEST(rs.rules()[3].action.cost == 15.0);
  BOOST_TEST(rs.actions()[0].capacity == 3);
  BOOST_TEST(rs.actions()[1].capacity == -1);
  BOOST_TEST(rs.budget() == 60.0);
  BOOST_TEST(!rs.rules()[1].when.has_value());
  BOOST_TEST(rs.features() ==
             (std::vector<std::string>{"bucket", "monthly_revenue", "contract", "support_calls",
                                       "tenure", "region", "signup", "score"}));
  const Json out = rs.to_json();
  BOOST_TEST(RuleSet::from_json(out).to_json() == out);
  BOOST_TEST(out["rules"][3]["action"]["cost"] == 15.0);  // written in full
  const auto path = (std::filesystem::temp_directory_path() / "churn_rules_test.json").string();
  rs.save(path);
  BOOST_TEST(churn::load_json_file(path)["kind"] == "RetentionRuleSet");
  BOOST_TEST(RuleSet::load(path).to_json() == out);
  std::filesystem::remove(path);
  BOOST_TEST(
      !RuleSet::from_json(churn::parse_json(R"({"rules": []})")).to_json().contains("budget"));
}

BOOST_AUTO_TEST_CASE(every_problem_of_a_document_in_one_error) {
  const char* bad = R"({"rules": [
    {"name": "a", "when": {"feature": "x", "op": "=<", "value": 1},
     "action": {"name": "call", "cost": -1, "success_rate": 1.5, "capacity": -2}},
    {"name": "a", "when": {"all": [{"feature": "x", "op": "between", "min": 5, "max": 1},
                                   {"feature": "y", "op": "in", "values": []},
                                   {"feature": "z", "op": "in", "values": [1, "b"]},
                                   {"feature": "w", "op": "missing", "value": 3},
                                   {"any": []}]},
     "action": {"name": "mail", "cost": 1, "success_rate": 0.1, "capacty": 3}},
    {"name": "", "action": {"name": "mail", "cost": 2, "success_rate": 0.1}},
    {"name": "c", "when": [1], "action": {"name": "ghost"}},
    {"name": "d", "action": {"name": "sms", "success_rate": 0.1, "priority": 1.5}},
    7
  ], "budget": -3, "extra": true})";
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [&] { rules_of(bad); },
      {"problems",
       "rules[0] 'a': when.op: unknown operator '=<'",
       "rules[0] 'a': action.cost: must be >= 0, got -1",
       "action.success_rate: must be in [0, 1], got 1.5",
       "action.capacity: expected an integer",
       "rules[1]: duplicate rule name 'a' (also rules[0])",
       "when.all[0]: bad range: min 5 is greater than max 1",
       "when.all[1].values: expected a non-empty list, got an empty list",
       "when.all[2].values: mixes numbers and strings",
       "when.all[3]: field 'value' does not apply to operator 'missing'",
       "when.all[4].any: expected a non-empty list",
       "unknown field 'capacty'",
       "rules[2].name: expected a non-empty string",
       "rules[2]: action: action 'mail' differs from its definition in rules[1] 'a' (cost 1 vs 2)",
       "rules[3] 'c': when: expected a condition object",
       "action 'ghost' is only referred to",
       "rules[4] 'd': action: missing field 'cost'",
       "action.priority: expected an integer, got 1.5",
       "rules[5]: expected a rule object",
       "budget: must be >= 0",
       "unknown field 'extra'"}));
  BOOST_TEST(throws_with<churn::InvalidArgument>([] { rules_of("[1, 2]"); }, "must be an object"));
  BOOST_TEST(throws_with<churn::InvalidArgument>([] { rules_of("{}"); }, "missing field 'rules'"));
}

BOOST_AUTO_TEST_CASE(deep_nesting_is_a_problem_not_a_crash) {
  Json c = {{"feature", "x"}, {"op", "missing"}};
  for (int k = 0; k < 200; ++k) c = {{"all", {c}}};
  const Json doc = {{"rules",
                     {{{"name", "deep"},
                       {"when", c},
                       {"action", {{"name", "a"}, {"cost", 1}, {"success_rate", 0.5}}}}}}};
  BOOST_TEST(throws_with<churn::InvalidArgument>([&] { RuleSet::from_json(doc); },
                                                 "nest deeper than 32 levels"));
}

BOOST_AUTO_TEST_CASE(every_problem_with_the_table_in_one_error) {
  const RuleSet rs = rules_of(R"({"rules": [
    {"name": "r1", "when": {"all": [{"feature": "nope", "op": ">", "value": 1},
                                    {"feature": "contract", "op": "<", "value": "x"},
                                    {"feature": "bucket", "op": "==", "value": 3},
                                    {"feature": "score", "op": "==", "value": "high"},
                                    {"feature": "signup", "op": ">", "value": "yesterday"},
                                    {"feature": "signup", "op": "between", "min": "2022-01-01",
                                     "max": "2021-01-01"}]},
     "action": {"name": "a", "cost": 1, "success_rate": 0.5}},
    {"name": "r2", "when": {"feature": "also_nope", "op": "missing"},
     "action": {"name": "a"}}]})");
  const Table t = churn_fuzz::fuzz_table();
  BOOST_TEST(rs.problems(t).size() == 7u);
  const std::vector<std::string> parts = {
      "7 problems",
      "rules[0] 'r1': when.all[0]: unknown feature 'nope'",
      "when.all[1]: operator '<' does not apply to the category column 'contract'",
      "when.all[2]: the category column 'bucket' takes text operands",
      "when.all[3]: the float64 column 'score' takes numeric operands, got the string 'high'",
      "'yesterday' is not an ISO 8601 date",
      "bad range: min 2022-01-01 is after max 2021-01-01",
      "rules[1] 'r2': when: unknown feature 'also_nope'"};
  BOOST_TEST(throws_with<churn::InvalidArgument>([&] { rs.check(t); }, parts));
  const Vector p = Vector::Constant(t.num_rows(), 0.5), v = Vector::Constant(t.num_rows(), 10);
  BOOST_TEST(throws_with<churn::InvalidArgument>([&] { rs.apply(t, p, v); }, parts));
}

BOOST_AUTO_TEST_CASE(conditions_by_hand_with_missing_values) {
  // rows: monthly_revenue {90, 50, NaN, 120, 85, 20}; support_calls {0, 5, -, 7, 1, 4};
  // contract {m2m, one, -, m2m, two, -}; bucket {high, low, critical, high, medium, critical};
  // region {north, south, east, -, west, south}; tenure {1, 5, 30, NaN, 12, 24}
  const RuleSet rs = rules_of(R"({"rules": [
    {"name": "ge", "when": {"feature": "monthly_revenue", "op": ">=", "value": 85},
     "action": {"name": "a", "cost": 1, "success_rate": 0.5}},
    {"name": "ne", "when": {"feature": "contract", "op": "!=", "value": "month-to-month"},
     "action": {"name": "a"}},
    {"name": "missing", "when": {"feature": "support_calls", "op": "missing"}, "action": {"name": "a"}},
    {"name": "not_in", "when": {"feature": "region", "op": "not_in", "values": ["north", "east"]},
     "action": {"name": "a"}},
    {"name": "int_in", "when": {"feature": "support_calls", "op": "in", "values": [0, 7, 4]},
     "action": {"name": "a"}},
    {"name": "between", "when": {"feature": "tenure", "op": "between", "min": 5, "max": 24},
     "action": {"name": "a"}},
    {"name": "nested", "when": {"all": [
        {"feature": "bucket", "op": "in", "values": ["high", "critical", "unseen"]},
        {"any": [{"feature": "contract", "op": "==", "value": "month-to-month"},
                 {"feature": "support_calls", "op": "missing"}]}]}, "action": {"name": "a"}},
    {"name": "signup", "when": {"feature": "signup", "op": "<", "value": "2021-06-01"},
     "action": {"name": "a"}},
    {"name": "not_missing_str", "when": {"feature": "region", "op": "not_missing"},
     "action": {"name": "a"}}]})");
  const auto m = rs.matches(churn_fuzz::fuzz_table(), 2);
  const std::vector<std::vector<int>> want = {
      {1, 0, 0, 1, 1, 0},  // ge: NaN is false
      {0, 1, 0, 0, 1, 0},  // ne: missing is false (not "different")
      {0, 0, 1, 0, 0, 0},  // missing
      {0, 1, 0, 0, 1, 1},  // not_in: missing is false
      {1, 0, 0, 1, 0, 1},  // int in: missing is false
      {0, 1, 0, 0, 1, 1},  // between (inclusive), NaN false
      {1, 0, 1, 1, 0, 0},  // nested
      {1, 0, 0, 1, 0, 1},  // timestamp < 2021-06-01 (NaT false)
      {1, 1, 1, 0, 1, 1},  // not_missing on a string column
  };
  for (Index r = 0; r < m.cols(); ++r)
    for (Index i = 0; i < m.rows(); ++i)
      BOOST_TEST(int(m(i, r)) == want[std::size_t(r)][std::size_t(i)],
                 "rule " << r << " row " << i);
}

BOOST_AUTO_TEST_CASE(one_byte_codes_with_a_long_category_list) {
  // a one-byte code column may name more categories than its codes reach: a test of category
  // 260 (whose index does not fit a byte) matches no row, and one of category 4 only its rows
  std::vector<std::string> cats;
  for (int j = 0; j < 300; ++j) cats.push_back("c" + std::to_string(j));
  std::vector<std::int8_t> codes;
  for (int i = 0; i < 200; ++i) codes.push_back(static_cast<std::int8_t>(i % 11 - 1));
  const Table t({Column::from_codes_view("c", codes.data(), 1, 200, cats, nullptr)});
  const RuleSet rs = rules_of(R"({"rules": [
    {"name": "far", "when": {"feature": "c", "op": "==", "value": "c260"},
     "action": {"name": "a", "cost": 1, "success_rate": 0.5}},
    {"name": "near", "when": {"feature": "c", "op": "in", "values": ["c4", "c299"]},
     "action": {"name": "a"}},
    {"name": "not_far", "when": {"feature": "c", "op": "!=", "value": "c260"},
     "action": {"name": "a"}}]})");
  const auto m = rs.matches(t, 1);
  for (Index i = 0; i < 200; ++i) {
    BOOST_TEST(int(m(i, 0)) == 0);
    BOOST_TEST(int(m(i, 1)) == int(codes[std::size_t(i)] == 4));
    BOOST_TEST(int(m(i, 2)) == int(codes[std::size_t(i)] >= 0));
  }
}

BOOST_AUTO_TEST_CASE(unconstrained_choice_is_the_brute_force_optimum) {
  std::mt19937_64 g(11);
  for (int trial = 0; trial < 300; ++trial) {
    const Case c = random_case(g, false, false);
    const RuleSet rs = RuleSet::from_json(c.doc);
    const auto r = rs.apply(c.table, c.p, c.v);
    BOOST_TEST(r.method == "best");
    check_feasible(rs, c, r);
    double single = 0;
    const double opt = brute_force(rs, c, kInf, &single);
    BOOST_TEST(std::abs(r.expected_value - opt) <= 1e-9 * (1 + opt), "trial " << trial);
  }
}

BOOST_AUTO_TEST_CASE(budget_greedy_is_feasible_and_within_one_item_of_the_optimum) {
  std::mt19937_64 g(12);
  int binding = 0;
  for (int trial = 0; trial < 400; ++trial) {
    const Case c = random_case(g, true, false);
    const RuleSet rs = RuleSet::from_json(c.doc);
    const auto r = rs.apply(c.table, c.p, c.v);
    BOOST_TEST(r.method == "budget_greedy");
    check_feasible(rs, c, r);
    double single = 0;
    const double opt = brute_force(rs, c, rs.budget(), &single);
    const double free_opt = brute_force(rs, c, kInf, &single);
    BOOST_TEST(r.expected_value <= opt + 1e-9);
    BOOST_TEST(r.expected_value >= opt - single - 1e-9, "trial " << trial);
    // exactly optimal when the budget does not bind
    const auto unconstrained = rs.apply(c.table, c.p, c.v, ApplyOptions{kInf, 1});
    if (unconstrained.spent <= rs.budget())
      BOOST_TEST(std::abs(r.expected_value - free_opt) <= 1e-9 * (1 + free_opt));
    else
      ++binding;
  }
  BOOST_TEST(binding > 50);  // the cases do exercise a binding budget
}

BOOST_AUTO_TEST_CASE(capacity_greedy_is_feasible_and_at_least_half_the_optimum) {
  std::mt19937_64 g(13);
  for (int trial = 0; trial < 400; ++trial) {
    const Case c = random_case(g, false, true);
    const RuleSet rs = RuleSet::from_json(c.doc);
    const auto r = rs.apply(c.table, c.p, c.v);
    check_feasible(rs, c, r);
    double single = 0;
    const double opt = brute_force(rs, c, kInf, &single);
    BOOST_TEST(r.expected_value <= opt + 1e-9);
    BOOST_TEST(r.expected_value >= 0.5 * opt - 1e-9, "trial " << trial);
  }
}

BOOST_AUTO_TEST_CASE(budget_and_capacities_are_never_exceeded) {
  std::mt19937_64 g(14);
  for (int trial = 0; trial < 400; ++trial) {
    const Case c = random_case(g, true, true);
    const RuleSet rs = RuleSet::from_json(c.doc);
    const auto r = rs.apply(c.table, c.p, c.v);
    check_feasible(rs, c, r);
    double single = 0;
    BOOST_TEST(r.expected_value <= brute_force(rs, c, rs.budget(), &single) + 1e-9);
  }
}

BOOST_AUTO_TEST_CASE(budget_with_costs_that_do_not_add_up_exactly) {
  // 0.1 is not a binary fraction: the remaining budget is tracked rounded down, so the exact
  // total never exceeds the budget
  const RuleSet rs = rules_of(R"({"rules": [{"name": "r",
      "action": {"name": "a", "cost": 0.1, "success_rate": 1}}], "budget": 0.3})");
  const Table t({Column::from_float64("x", std::vector<double>(10, 1.0))});
  const auto r = rs.apply(t, Vector::Constant(10, 1.0), Vector::Constant(10, 5.0));
  churn::Index taken = 0;
  for (Index i = 0; i < 10; ++i) taken += r.action[i] >= 0;
  BOOST_TEST(taken <= 3);
  BOOST_TEST(taken >= 2);
  BOOST_TEST(r.spent <= 0.3);
}

BOOST_AUTO_TEST_CASE(budget_greedy_goes_on_past_a_step_that_does_not_fit) {
  // steps by ENV per cost: row 0 (9, cost 10), row 1 (5, cost 10), row 2 (2, cost 1); budget
  // 15: row 0 is taken, row 1 does not fit what is left (5) and stops, row 2 still fits
  const RuleSet rs = rules_of(R"({"rules": [
    {"name": "big", "when": {"feature": "x", "op": "!=", "value": 2},
     "action": {"name": "visit", "cost": 10, "success_rate": 1}},
    {"name": "small", "when": {"feature": "x", "op": "==", "value": 2},
     "action": {"name": "sms", "cost": 1, "success_rate": 0.02}}], "budget": 15})");
  const Table t({Column::from_float64("x", {0, 1, 2})});
  Vector v(3);
  v << 100, 60, 150;
  const auto r = rs.apply(t, Vector::Constant(3, 1.0), v);
  BOOST_TEST(r.method == "budget_greedy");
  BOOST_TEST(r.rule[0] == 0);
  BOOST_TEST(r.rule[1] == -1);
  BOOST_TEST(r.rule[2] == 1);
  BOOST_TEST(r.spent == 11.0);
  BOOST_TEST(r.expected_value == 90.0 + (150 * 0.02 - 1));
  // row 2 also has an upgrade (sms -> visit2, 1.5 per cost, 100 more) that never fits: the
  // sms step before it (2 per cost, cost 1) is still taken, and the upgrade then stops row 2
  const RuleSet up = rules_of(R"({"rules": [
    {"name": "big", "when": {"feature": "x", "op": "!=", "value": 2},
     "action": {"name": "visit", "cost": 10, "success_rate": 1}},
    {"name": "small", "when": {"feature": "x", "op": "==", "value": 2},
     "action": {"name": "sms", "cost": 1, "success_rate": 0.003}},
    {"name": "big2", "when": {"feature": "x", "op": "==", "value": 2},
     "action": {"name": "visit2", "cost": 101, "success_rate": 0.253}}], "budget": 15})");
  v << 100, 60, 1000;
  const auto u = up.apply(t, Vector::Constant(3, 1.0), v);
  BOOST_TEST(u.rule[0] == 0);
  BOOST_TEST(u.rule[1] == -1);
  BOOST_TEST(u.rule[2] == 1);
  BOOST_TEST(u.spent == 11.0);
}

BOOST_AUTO_TEST_CASE(results_do_not_depend_on_the_thread_count) {
  std::mt19937_64 g(15);
  const Index n = 30000;
  std::vector<double> x(static_cast<std::size_t>(n));
  std::vector<std::string> cat(static_cast<std::size_t>(n));
  Vector p(n), v(n);
  const char* names[] = {"a", "b", "c"};
  for (Index i = 0; i < n; ++i) {
    x[std::size_t(i)] = g() % 11 == 0 ? kNaN : static_cast<double>(g() % 10);
    cat[std::size_t(i)] = names[g() % 3];
    p[i] = static_cast<double>(g() % 1000) / 999.0;
    v[i] = static_cast<double>(g() % 5000) / 7.0;
  }
  const Table t({Column::from_float64("x", x), Column::from_strings_categorical("cat", cat)});
  for (const char* extra : {"", R"(, "budget": 20000)", R"(, "budget": 1e9)"}) {
    for (const char* cap : {"null", "2000"}) {
      const std::string text = std::string(R"({"rules": [
        {"name": "r0", "when": {"feature": "x", "op": ">=", "value": 4},
         "action": {"name": "call", "cost": 12, "success_rate": 0.3, "capacity": )") +
                               cap + R"(}},
        {"name": "r1", "when": {"feature": "cat", "op": "in", "values": ["a", "c"]},
         "action": {"name": "mail", "cost": 1.5, "success_rate": 0.05}},
        {"name": "r2", "action": {"name": "gift", "cost": 30, "success_rate": 0.5}}])" +
                               extra + "}";
      const RuleSet rs = rules_of(text.c_str());
      const auto one = rs.apply(t, p, v, ApplyOptions{std::nullopt, 1});
      const auto two = rs.apply(t, p, v, ApplyOptions{std::nullopt, 2});
      const auto four = rs.apply(t, p, v, ApplyOptions{std::nullopt, 4});
      BOOST_TEST((one.rule == two.rule));
      BOOST_TEST(one.spent == two.spent);
      BOOST_TEST(one.expected_value == two.expected_value);
      BOOST_TEST(one.method == four.method);
      BOOST_TEST(one.spent == four.spent);
      BOOST_TEST(one.expected_value == four.expected_value);
      BOOST_TEST((one.rule == four.rule));
      BOOST_TEST((one.action == four.action));
      BOOST_TEST(one.spent <= one.budget);
      BOOST_TEST(one.n_candidates == four.n_candidates);
    }
  }
}

BOOST_AUTO_TEST_CASE(many_rules_over_many_blocks_agree_with_a_row_by_row_reference) {
  // 90 rules (two words of rule bits per row) of every column type and operator over 3 blocks
  // and a tail: the conditions against holds(), "best" against each row's best candidate,
  // "budget_greedy" against the LP greedy with a full sort, for 1, 2 and 3 threads
  std::mt19937_64 g(16);
  const Index n = 3 * 4096 + 77;
  const WideCase w = wide_case(g, n);
  Json actions = Json::array();
  for (int a = 0; a < 6; ++a)
    actions.push_back(
        {{"name", "act" + std::to_string(a)},
         {"cost", std::vector<double>{0.5, 3, 7.5, 7.75, 20, 0}[std::size_t(a)]},
         {"success_rate", std::vector<double>{0.1, 0.3, 0.5, 0.52, 0.9, 0.05}[std::size_t(a)]},
         {"priority", static_cast<int>(g() % 3)}});
  Json rules = Json::array();
  // every operator on every column once, then random (nested) conditions
  for (const char* f : {"x", "k", "t", "c8", "c32", "s"}) {
    const bool text = f[0] == 'c' || f[0] == 's';
    const Json value = text ? Json(f[0] == 's' ? "s1" : f[1] == '8' ? "a2" : "b3") : Json(4.0);
    const Json values = text ? Json::array({value, f[0] == 's'   ? "s3"
                                                   : f[1] == '8' ? "a0"
                                                                 : "b7"})
                             : Json::array({2.0, 4.0, 6.5});
    std::vector<Json> leaves = {{{"op", "=="}, {"value", value}},
                                {{"op", "!="}, {"value", value}},
                                {{"op", "in"}, {"values", values}},
                                {{"op", "not_in"}, {"values", values}},
                                {{"op", "missing"}},
                                {{"op", "not_missing"}}};
    if (!text)
      for (const char* op : {"<", "<=", ">", ">="})
        leaves.push_back({{"op", op}, {"value", value}});
    if (!text) leaves.push_back({{"op", "between"}, {"min", 2.0}, {"max", 6.0}});
    for (Json& leaf : leaves) {
      leaf["feature"] = f;
      rules.push_back({{"name", "r" + std::to_string(rules.size())},
                       {"when", leaf},
                       {"action", actions[g() % actions.size()]}});
    }
  }
  while (rules.size() < 90) {
    const int r = static_cast<int>(rules.size());
    Json rule = {{"name", "r" + std::to_string(r)}, {"action", actions[g() % actions.size()]}};
    if (g() % 10 != 0) rule["when"] = wide_condition(g, w, 0);
    rules.push_back(rule);
  }
  const RuleSet rs = RuleSet::from_json(Json{{"rules", rules}});
  BOOST_REQUIRE(rs.problems(w.table).empty());
  const auto& acts = rs.actions();
  // reference candidates: each action's first holding rule, ENV > 0, in preference order
  std::vector<std::vector<int>> cand(static_cast<std::size_t>(n));
  std::vector<std::vector<double>> env(static_cast<std::size_t>(n));
  std::vector<int> best(static_cast<std::size_t>(n), -1);
  const auto m = rs.matches(w.table, 2);
  for (Index i = 0; i < n; ++i) {
    std::vector<char> seen(acts.size(), 0);
    std::vector<std::pair<int, double>> c;
    for (std::size_t r = 0; r < rules.size(); ++r) {
      const bool h = !rules[r].contains("when") || holds(rules[r]["when"], w, i);
      BOOST_TEST(int(m(i, Index(r))) == int(h), "rule " << r << " row " << i);
      const auto a = static_cast<std::size_t>(rs.rule_actions()[r]);
      if (!h || seen[a]) continue;
      seen[a] = 1;
      const double e = w.p[i] * acts[a].success_rate * w.v[i] - acts[a].cost;
      if (e > 0) c.push_back({int(r), e});
    }
    std::stable_sort(c.begin(), c.end(), [&](const auto& x, const auto& y) {
      if (x.second != y.second) return x.second > y.second;
      return acts[std::size_t(rs.rule_actions()[std::size_t(x.first)])].priority <
             acts[std::size_t(rs.rule_actions()[std::size_t(y.first)])].priority;
    });
    for (const auto& [r, e] : c) {
      cand[std::size_t(i)].push_back(r);
      env[std::size_t(i)].push_back(e);
    }
    if (!c.empty()) best[std::size_t(i)] = c.front().first;
  }
  double full_cost = 0;
  for (Index i = 0; i < n; ++i)
    if (best[std::size_t(i)] >= 0)
      full_cost += acts[std::size_t(rs.rule_actions()[std::size_t(best[std::size_t(i)])])].cost;
  for (const double budget : {kInf, 0.0, 0.3 * full_cost, 0.75 * full_cost}) {
    const std::vector<int> want =
        std::isinf(budget) ? best : reference_budget(rs, cand, env, budget);
    std::vector<RuleAssignment> got;
    for (const int threads : {1, 2, 3})
      got.push_back(rs.apply(w.table, w.p, w.v, ApplyOptions{budget, threads}));
    for (const auto& r : got) {
      BOOST_TEST(r.method == (std::isinf(budget) ? "best" : "budget_greedy"));
      double spent = 0, value = 0;
      Index differ = 0, candidates = 0;
      for (Index i = 0; i < n; ++i) {
        differ += r.rule[i] != want[std::size_t(i)];
        candidates += !cand[std::size_t(i)].empty();
        if (r.rule[i] < 0) continue;
        spent += r.cost[i];
        value += r.expected_net_value[i];
      }
      BOOST_TEST(differ == 0, "budget " << budget);
      BOOST_TEST(r.n_candidates == candidates);
      BOOST_TEST(r.spent <= budget);
      BOOST_TEST(std::abs(r.spent - spent) <= 1e-9 * (1 + spent));
      BOOST_TEST(std::abs(r.expected_value - value) <= 1e-9 * (1 + value));
      check_feasible(rs, Case{w.table, Json(), w.p, w.v}, r);
      BOOST_TEST((r.rule == got[0].rule));
      BOOST_TEST((r.expected_net_value == got[0].expected_net_value));
      BOOST_TEST(r.spent == got[0].spent);
      BOOST_TEST(r.expected_value == got[0].expected_value);
    }
  }
}

BOOST_AUTO_TEST_CASE(bad_inputs_name_the_argument) {
  const RuleSet rs = rules_of(R"({"rules": [{"name": "r",
      "action": {"name": "a", "cost": 1, "success_rate": 0.5}}]})");
  const Table t({Column::from_float64("x", {1, 2, 3})});
  const Vector ok = Vector::Constant(3, 0.5);
  BOOST_TEST(throws_with<churn::InvalidArgument>([&] { rs.apply(t, Vector::Constant(2, 0.5), ok); },
                                                 "probability has 2 values for 3 customers"));
  Vector bad = ok;
  bad[1] = 1.5;
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [&] { rs.apply(t, bad, ok); }, "probability must be in [0, 1], got 1.5 at row 1"));
  bad[1] = -2;
  BOOST_TEST(throws_with<churn::InvalidArgument>([&] { rs.apply(t, ok, bad); }, "value_kept must"));
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [&] {
        rs.apply(t, ok, ok, ApplyOptions{-1.0, 0});
      },
      "budget must be >= 0"));
  BOOST_TEST(throws_with<churn::InvalidArgument>(
      [&] {
        rs.apply(t, ok, ok, ApplyOptions{std::nullopt, -1});
      },
      "n_threads"));
}

BOOST_AUTO_TEST_CASE(fuzzed_documents_load_or_throw_a_churn_error) {
  // the deterministic twin of tests/fuzz/fuzz_rules.cpp (run under ASan+UBSan by the
  // CHURN_SANITIZE build): structured mutations of a valid document, then random JSON
  const Table t = churn_fuzz::fuzz_table();
  std::mt19937_64 g(2024);
  int loaded = 0;
  for (int k = 0; k < 3000; ++k) {
    Json doc = churn_fuzz::valid_rule_document();
    for (std::uint64_t m = 1 + g() % 4; m > 0; --m) churn_fuzz::mutate(doc, g);
    churn_fuzz::check_document(doc, t);
    try {
      RuleSet::from_json(doc);
      ++loaded;
    } catch (const churn::Error&) {
    }
  }
  for (int k = 0; k < 1000; ++k) churn_fuzz::check_document(churn_fuzz::random_value(g), t);
  BOOST_TEST(loaded > 100);   // some mutations keep the document valid
  BOOST_TEST(loaded < 2900);  // most break it
}

BOOST_AUTO_TEST_SUITE_END()
