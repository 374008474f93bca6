#pragma once
// Shared by the libFuzzer target fuzz_rules.cpp and the deterministic fuzz loop of
// tests/retention/test_rules.cpp: a valid rule document, structured mutations of it, a table
// to apply rule sets to, and the one property checked: every document either loads (and then
// round-trips and applies, or throws a churn::Error) or throws a churn::Error.

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "churn/core/error.hpp"
#include "churn/core/json.hpp"
#include "churn/data/table.hpp"
#include "churn/retention/rules.hpp"

namespace churn_fuzz {

using churn::Json;

inline Json valid_rule_document() {
  return churn::parse_json(R"({"rules": [
    {"name": "vip_call",
     "when": {"all": [{"feature": "bucket", "op": "in", "values": ["high", "critical"]},
                      {"feature": "monthly_revenue", "op": ">=", "value": 80},
                      {"any": [{"feature": "contract", "op": "==", "value": "month-to-month"},
                               {"feature": "support_calls", "op": "missing"}]}]},
     "action": {"name": "call", "cost": 15.0, "success_rate": 0.3, "channel": "phone",
                "priority": 1, "capacity": 3}},
    {"name": "email_all", "action": {"name": "email", "cost": 0.5, "success_rate": 0.02,
                                     "channel": "email"}},
    {"name": "discount", "when": {"any": [
        {"feature": "tenure", "op": "between", "min": 2, "max": 24},
        {"feature": "region", "op": "not_in", "values": ["north", "east"]},
        {"feature": "signup", "op": "<", "value": "2021-06-01"},
        {"feature": "score", "op": ">", "value": 0.6}]},
     "action": {"name": "discount", "cost": 20, "success_rate": 0.4, "priority": 2}},
    {"name": "vip_call_2", "when": {"feature": "support_calls", "op": ">=", "value": 4},
     "action": {"name": "call"}}
  ], "budget": 60})");
}

/// A small table with every column type the document above reads (missing values included).
inline churn::data::Table fuzz_table() {
  using churn::data::Column;
  const double nan = std::nan("");
  return churn::data::Table({
      Column::from_float64("monthly_revenue", {90, 50, nan, 120, 85, 20}),
      Column::from_float64("tenure", {1, 5, 30, nan, 12, 24}),
      Column::from_float64("score", {0.9, 0.2, 0.7, 0.5, nan, 0.65}),
      Column::from_int64("support_calls", {0, 5, 2, 7, 1, 4}, {1, 1, 0, 1, 1, 1}),
      Column::from_strings_categorical(
          "contract", {"month-to-month", "one-year", "", "month-to-month", "two-year", ""},
          {1, 1, 0, 1, 1, 0}),
      Column::from_strings_categorical("bucket",
                                       {"high", "low", "critical", "high", "medium", "critical"}),
      Column::from_strings("region", {"north", "south", "east", "", "west", "south"},
                           {1, 1, 1, 0, 1, 1}),
      Column::from_timestamp("signup",
                             {1600000000000000000LL, churn::kNaT, 1650000000000000000LL,
                              1500000000000000000LL, 1700000000000000000LL, 1620000000000000000LL}),
  });
}

/// A random JSON value (small; sometimes nested).
inline Json random_value(std::mt19937_64& g, int depth = 0) {
  static const char* const kStrings[] = {"",
                                         "high",
                                         "==",
                                         "between",
                                         "in",
                                         "all",
                                         "any",
                                         "call",
                                         "monthly_revenue",
                                         "nope",
                                         "2021-01-01",
                                         "x\xff\x01",
                                         "not_missing",
                                         "<=",
                                         "bucket",
                                         "contract"};
  switch (g() % (depth > 2 ? 7 : 9)) {
    case 0: return nullptr;
    case 1: return (g() & 1) != 0;
    case 2: return static_cast<std::int64_t>(g() % 21) - 10;
    case 3:
      return std::ldexp(static_cast<double>(g() % 2001) - 1000.0, static_cast<int>(g() % 12) - 6);
    case 4: return (g() & 1) ? std::numeric_limits<double>::infinity() : -1e300;
    case 5:
    case 6: return kStrings[g() % (sizeof kStrings / sizeof *kStrings)];
    case 7: {
      Json a = Json::array();
      for (std::uint64_t k = g() % 4; k > 0; --k) a.push_back(random_value(g, depth + 1));
      return a;
    }
    default: {
      static const char* const kKeys[] = {
          "all",  "any",    "feature", "op",   "value",        "values",   "min",      "max",
          "name", "action", "when",    "cost", "success_rate", "capacity", "priority", "rules"};
      Json o = Json::object();
      for (std::uint64_t k = g() % 4; k > 0; --k)
        o[kKeys[g() % (sizeof kKeys / sizeof *kKeys)]] = random_value(g, depth + 1);
      return o;
    }
  }
}

/// Every node of `doc` (pointers into it), depth first.
inline void collect_nodes(Json& doc, std::vector<Json*>& out) {
  out.push_back(&doc);
  if (doc.is_object())
    for (auto& [k, v] : doc.items()) collect_nodes(v, out);
  else if (doc.is_array())
    for (auto& v : doc) collect_nodes(v, out);
}

/// One structured mutation at a random node: replaced, removed, duplicated, wrapped in all/any,
/// given a new member, or an operator/number changed.
inline void mutate(Json& doc, std::mt19937_64& g) {
  std::vector<Json*> nodes;
  collect_nodes(doc, nodes);
  Json& node = *nodes[g() % nodes.size()];
  switch (g() % 7) {
    case 0: node = random_value(g); break;
    case 1:
      if (node.is_object() && !node.empty()) {
        auto it = node.begin();
        std::advance(it, static_cast<long>(g() % node.size()));
        node.erase(it.key());
      } else if (node.is_array() && !node.empty()) {
        node.erase(node.begin() + static_cast<long>(g() % node.size()));
      }
      break;
    case 2:
      if (node.is_array() && !node.empty()) node.push_back(node[g() % node.size()]);
      break;
    case 3: node = Json{{(g() & 1) ? "all" : "any", Json::array({node})}}; break;
    case 4:
      if (node.is_object())
        node[random_value(g).dump(-1, ' ', false, Json::error_handler_t::replace)] =
            random_value(g);
      break;
    case 5:
      if (node.is_object() && node.contains("op"))
        node["op"] = random_value(g).is_string() ? random_value(g) : Json("not_in");
      break;
    default:
      if (node.is_number()) node = node.get<double>() * -3.0 + 1.0;
      break;
  }
}

/// The property: loads or throws churn::Error; a loaded rule set round-trips through to_json
/// and applies to the table (or throws churn::Error), with budget and capacities never
/// exceeded. Anything else aborts (libFuzzer reports it; the Boost loop fails).
inline void check_document(const Json& doc, const churn::data::Table& table) {
  using churn::retention::RuleSet;
  RuleSet rs;
  try {
    rs = RuleSet::from_json(doc);
  } catch (const churn::Error&) {
    return;
  }
  const Json again = rs.to_json();
  if (RuleSet::from_json(again).to_json() != again) std::abort();
  const churn::Index n = table.num_rows();
  churn::Vector p(n), v(n);
  for (churn::Index i = 0; i < n; ++i) {
    p[i] = 0.1 + 0.15 * static_cast<double>(i);
    v[i] = 40.0 * static_cast<double>(i + 1);
  }
  try {
    churn::retention::ApplyOptions o;
    o.n_threads = 1;
    const auto r = rs.apply(table, p, v, o);
    if (r.spent > r.budget) std::abort();
    for (std::size_t a = 0; a < rs.actions().size(); ++a)
      if (rs.actions()[a].capacity >= 0 && r.action_counts[a] > rs.actions()[a].capacity)
        std::abort();
  } catch (const churn::Error&) {
  }
}

}  // namespace churn_fuzz
