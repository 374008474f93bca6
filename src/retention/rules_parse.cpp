// Reading and writing rule documents: every problem of a document is collected, with its path,
// and reported in one InvalidArgument.
#include <cmath>          // std::isfinite
#include <cstddef>        // std::size_t
#include <limits>         // std::numeric_limits
#include <optional>       // std::optional
#include <set>            // std::set
#include <sstream>        // std::ostringstream
#include <string>         // std::string
#include <unordered_map>  // std::unordered_map
#include <utility>        // std::move

#include "churn/core/error.hpp"
#include "common/json.hpp"
#include "retention/rules_detail.hpp"

namespace churn::retention {

namespace {

struct OpName {
  ConditionOp op;
  const char* name;
};
constexpr OpName kOps[] = {
    {ConditionOp::All, "all"},
    {ConditionOp::Any, "any"},
    {ConditionOp::Eq, "=="},
    {ConditionOp::Ne, "!="},
    {ConditionOp::Lt, "<"},
    {ConditionOp::Le, "<="},
    {ConditionOp::Gt, ">"},
    {ConditionOp::Ge, ">="},
    {ConditionOp::Between, "between"},
    {ConditionOp::In, "in"},
    {ConditionOp::NotIn, "not_in"},
    {ConditionOp::Missing, "missing"},
    {ConditionOp::NotMissing, "not_missing"},
};

std::optional<ConditionOp> op_from_name(const std::string& name) {
  for (const auto& o : kOps)
    if (name == o.name && o.op != ConditionOp::All && o.op != ConditionOp::Any) return o.op;
  return std::nullopt;
}

std::string number_text(double x) {
  std::ostringstream os;
  os.precision(17);
  os << x;
  return os.str();
}

/// A number as its JSON text, anything else as its type name (never a nested dump: a value
/// nested a million deep must not recurse).
std::string scalar_text(const Json& v) {
  return v.is_number() ? v.dump() : std::string(v.type_name());
}

/// Collects the problems of one document.
class Reader {
 public:
  std::vector<std::string> problems;

  void add(const std::string& where, const std::string& what) {
    problems.push_back(where.empty() ? what : where + ": " + what);
  }

  /// Reports every member of `obj` not in `allowed`.
  void unknown_members(const Json& obj, std::initializer_list<const char*> allowed,
                       const std::string& where) {
    for (auto it = obj.begin(); it != obj.end(); ++it) {
      bool known = false;
      for (const char* a : allowed) known = known || it.key() == a;
      if (!known) add(where, "unknown field '" + it.key() + "'");
    }
  }

  /// A JSON number (or boolean, as 1/0) that is finite, else a problem and nullopt.
  std::optional<double> number(const Json& v, const std::string& where, bool allow_bool) {
    if (v.is_boolean() && allow_bool) return v.get<bool>() ? 1.0 : 0.0;
    if (!v.is_number()) {
      add(where, std::string("expected a number, got ") + v.type_name());
      return std::nullopt;
    }
    const double x = v.get<double>();
    if (!std::isfinite(x)) {
      add(where, "expected a finite number");
      return std::nullopt;
    }
    return x;
  }

  /// A non-empty string member, else a problem and "".
  std::string name(const Json& obj, const char* key, const std::string& where) {
    auto it = obj.find(key);
    if (it == obj.end()) {
      add(where, std::string("missing field '") + key + "'");
      return {};
    }
    if (!it->is_string() || it->get_ref<const std::string&>().empty()) {
      add(where + "." + key, std::string("expected a non-empty string, got ") +
                                 (it->is_string() ? "\"\"" : it->type_name()));
      return {};
    }
    return it->get<std::string>();
  }

  Condition condition(const Json& j, const std::string& where, int depth);
  Action action(const Json& j, const std::string& where, bool& reference);

 private:
  Condition combinator(const Json& j, bool all, const std::string& where, int depth);
  Condition leaf(const Json& j, const std::string& where);
  void operand(const Json& v, const std::string& where, Condition& c);
  void between(const Json& j, const std::string& where, Condition& c);
  void value_list(const Json& j, const std::string& where, Condition& c);
};

Condition Reader::condition(const Json& j, const std::string& where, int depth) {
  if (!j.is_object()) {
    add(where, std::string("expected a condition object ({\"all\": [...]}, {\"any\": [...]} or "
                           "{\"feature\": ..., \"op\": ...}), got ") +
                   j.type_name());
    return {};
  }
  const bool has_all = j.contains("all");
  const bool has_any = j.contains("any");
  const bool has_leaf = j.contains("feature") || j.contains("op");
  if (int(has_all) + int(has_any) + int(has_leaf) != 1) {
    add(where, "a condition has exactly one of 'all', 'any' or 'feature' with 'op'");
    return {};
  }
  if (has_all || has_any) {
    if (depth >= detail::kMaxDepth) {
      add(where, "conditions nest deeper than " + std::to_string(detail::kMaxDepth) + " levels");
      return {};
    }
    return combinator(j, has_all, where, depth);
  }
  return leaf(j, where);
}

Condition Reader::combinator(const Json& j, bool all, const std::string& where, int depth) {
  const char* key = all ? "all" : "any";
  unknown_members(j, {key}, where);
  Condition c;
  c.op = all ? ConditionOp::All : ConditionOp::Any;
  const Json& list = j[key];
  const std::string here = where + "." + key;
  if (!list.is_array() || list.empty()) {
    add(here, std::string("expected a non-empty list of conditions, got ") +
                  (list.is_array() ? "an empty list" : list.type_name()));
    return c;
  }
  for (std::size_t k = 0; k < list.size(); ++k)
    c.children.push_back(condition(list[k], here + "[" + std::to_string(k) + "]", depth + 1));
  return c;
}

void Reader::operand(const Json& v, const std::string& where, Condition& c) {
  if (v.is_string()) {
    c.strings.push_back(v.get<std::string>());
  } else if (v.is_number() || v.is_boolean()) {
    if (auto x = number(v, where, true)) c.numbers.push_back(*x);
  } else {
    add(where, std::string("expected a number or a string, got ") + v.type_name());
  }
}

void Reader::between(const Json& j, const std::string& where, Condition& c) {
  const bool has_min = j.contains("min"), has_max = j.contains("max");
  if (!has_min) add(where, "missing field 'min' (operator 'between')");
  if (!has_max) add(where, "missing field 'max' (operator 'between')");
  if (!has_min || !has_max) return;
  const Json& lo = j["min"];
  const Json& hi = j["max"];
  if (lo.is_string() && hi.is_string()) {  // timestamps, checked against the table
    c.strings = {lo.get<std::string>(), hi.get<std::string>()};
    return;
  }
  auto a = number(lo, where + ".min", false);
  auto b = number(hi, where + ".max", false);
  if (!a || !b) return;
  if (*a > *b)
    add(where, "bad range: min " + number_text(*a) + " is greater than max " + number_text(*b));
  c.numbers = {*a, *b};
}

void Reader::value_list(const Json& j, const std::string& where, Condition& c) {
  if (!j.contains("values")) {
    add(where, std::string("missing field 'values' (operator '") + condition_op_name(c.op) + "')");
    return;
  }
  const Json& list = j["values"];
  if (!list.is_array() || list.empty()) {
    add(where + ".values", std::string("expected a non-empty list, got ") +
                               (list.is_array() ? "an empty list" : list.type_name()));
    return;
  }
  for (std::size_t k = 0; k < list.size(); ++k)
    operand(list[k], where + ".values[" + std::to_string(k) + "]", c);
  if (!c.numbers.empty() && !c.strings.empty()) {
    add(where + ".values", "mixes numbers and strings");
    c.numbers.clear();
  }
}

Condition Reader::leaf(const Json& j, const std::string& where) {
  Condition c;
  unknown_members(j, {"feature", "op", "value", "min", "max", "values"}, where);
  c.feature = name(j, "feature", where);
  auto it = j.find("op");
  if (it == j.end()) {
    add(where, "missing field 'op'");
    return c;
  }
  std::optional<ConditionOp> op;
  if (it->is_string()) op = op_from_name(it->get<std::string>());
  if (!op) {
    add(where + ".op",
        (it->is_string() ? "unknown operator '" + it->get<std::string>() + "'"
                         : std::string("expected a string, got ") + it->type_name()) +
            " (use ==, !=, <, <=, >, >=, between, in, not_in, missing, "
            "not_missing)");
    return c;
  }
  c.op = *op;
  const bool compare = c.op >= ConditionOp::Eq && c.op <= ConditionOp::Ge;
  const bool listed = c.op == ConditionOp::In || c.op == ConditionOp::NotIn;
  const bool ranged = c.op == ConditionOp::Between;
  const char* op_text = condition_op_name(c.op);
  for (const char* key : {"value", "min", "max", "values"}) {
    const std::string k = key;
    const bool used = (k == "value" && compare) || ((k == "min" || k == "max") && ranged) ||
                      (k == "values" && listed);
    if (!used && j.contains(key))
      add(where, "field '" + k + "' does not apply to operator '" + op_text + "'");
  }
  if (compare) {
    if (j.contains("value"))
      operand(j["value"], where + ".value", c);
    else
      add(where, std::string("missing field 'value' (operator '") + op_text + "')");
  } else if (ranged) {
    between(j, where, c);
  } else if (listed) {
    value_list(j, where, c);
  }
  return c;
}

Action Reader::action(const Json& j, const std::string& where, bool& reference) {
  Action a;
  reference = false;
  if (!j.is_object()) {
    add(where, std::string("expected an object, got ") + j.type_name());
    return a;
  }
  unknown_members(j, {"name", "cost", "success_rate", "channel", "priority", "capacity"}, where);
  a.name = name(j, "name", where);
  if (j.size() == 1 && j.contains("name")) {  // a reference to an action defined elsewhere
    reference = true;
    return a;
  }
  if (!j.contains("cost"))
    add(where, "missing field 'cost'");
  else if (auto x = number(j["cost"], where + ".cost", false)) {
    if (*x < 0) add(where + ".cost", "must be >= 0, got " + number_text(*x));
    a.cost = *x;
  }
  if (!j.contains("success_rate"))
    add(where, "missing field 'success_rate'");
  else if (auto x = number(j["success_rate"], where + ".success_rate", false)) {
    if (*x < 0 || *x > 1) add(where + ".success_rate", "must be in [0, 1], got " + number_text(*x));
    a.success_rate = *x;
  }
  if (j.contains("channel")) {
    if (j["channel"].is_string())
      a.channel = j["channel"].get<std::string>();
    else
      add(where + ".channel", std::string("expected a string, got ") + j["channel"].type_name());
  }
  if (j.contains("priority")) {
    if (!common::json_int_value(j["priority"], a.priority))
      add(where + ".priority", "expected an integer, got " + scalar_text(j["priority"]));
  }
  if (j.contains("capacity") && !j["capacity"].is_null()) {
    Index cap = -1;
    if (!common::json_int_value(j["capacity"], cap) || cap < 0)
      add(where + ".capacity",
          "expected an integer >= 0 or null, got " + scalar_text(j["capacity"]));
    else
      a.capacity = cap;
  }
  return a;
}

/// "cost 10 vs 15" when two definitions of an action differ, else "".
std::string action_difference(const Action& x, const Action& y) {
  std::ostringstream os;
  auto diff = [&os](const char* field, const std::string& a, const std::string& b) {
    if (a != b) os << (os.tellp() > 0 ? ", " : "") << field << " " << a << " vs " << b;
  };
  diff("cost", number_text(x.cost), number_text(y.cost));
  diff("success_rate", number_text(x.success_rate), number_text(y.success_rate));
  diff("channel", "'" + x.channel + "'", "'" + y.channel + "'");
  diff("priority", std::to_string(x.priority), std::to_string(y.priority));
  diff("capacity", x.capacity < 0 ? "none" : std::to_string(x.capacity),
       y.capacity < 0 ? "none" : std::to_string(y.capacity));
  return os.str();
}

struct RuleRead {
  Rule rule;
  bool reference = false;
  std::string where;
};

/// Merges the rules' actions by name: the first full definition of each name is the action,
/// later ones must agree with it, and references must have one.
void resolve_actions(std::vector<RuleRead>& read, detail::ParsedRules& out, Reader& r) {
  std::unordered_map<std::string, std::size_t> defined;  // name -> index into read
  for (std::size_t k = 0; k < read.size(); ++k) {
    const Action& a = read[k].rule.action;
    if (read[k].reference || a.name.empty()) continue;
    auto [it, inserted] = defined.emplace(a.name, k);
    if (inserted) continue;
    const std::string d = action_difference(read[it->second].rule.action, a);
    if (!d.empty())
      r.add(read[k].where + ": action", "action '" + a.name + "' differs from its definition in " +
                                            read[it->second].where + " (" + d + ")");
  }
  std::unordered_map<std::string, std::int32_t> index;
  for (auto& rr : read) {
    const std::string& nm = rr.rule.action.name;
    auto def = defined.find(nm);
    if (def == defined.end()) {
      if (!nm.empty())
        r.add(rr.where + ": action", "action '" + nm +
                                         "' is only referred to: no rule defines it with its "
                                         "cost and success_rate");
      out.rule_action.push_back(-1);
      continue;
    }
    rr.rule.action = read[def->second].rule.action;
    auto [it, inserted] = index.emplace(nm, static_cast<std::int32_t>(out.actions.size()));
    if (inserted) out.actions.push_back(rr.rule.action);
    out.rule_action.push_back(it->second);
  }
  for (auto& rr : read) out.rules.push_back(std::move(rr.rule));
}

std::vector<RuleRead> read_rules(const Json& list, Reader& r) {
  std::vector<RuleRead> read;
  std::unordered_map<std::string, std::string> names;  // rule name -> where
  for (std::size_t k = 0; k < list.size(); ++k) {
    const Json& j = list[k];
    RuleRead rr;
    rr.where = "rules[" + std::to_string(k) + "]";
    if (!j.is_object()) {
      r.add(rr.where, std::string("expected a rule object, got ") + j.type_name());
      read.push_back(std::move(rr));
      continue;
    }
    r.unknown_members(j, {"name", "when", "action"}, rr.where);
    rr.rule.name = r.name(j, "name", rr.where);
    if (!rr.rule.name.empty()) {
      auto [it, inserted] = names.emplace(rr.rule.name, rr.where);
      if (!inserted)
        r.add(rr.where, "duplicate rule name '" + rr.rule.name + "' (also " + it->second + ")");
      rr.where += " '" + rr.rule.name + "'";
    }
    if (j.contains("when") && !j["when"].is_null())
      rr.rule.when = r.condition(j["when"], rr.where + ": when", 0);
    if (j.contains("action"))
      rr.rule.action = r.action(j["action"], rr.where + ": action", rr.reference);
    else
      r.add(rr.where, "missing field 'action'");
    read.push_back(std::move(rr));
  }
  return read;
}

}  // namespace

const char* condition_op_name(ConditionOp op) {
  for (const auto& o : kOps)
    if (o.op == op) return o.name;
  return "?";
}

namespace detail {

std::string problems_message(const std::string& what, const std::vector<std::string>& problems) {
  std::ostringstream os;
  const std::size_t n = problems.size();
  os << what << ": " << n << (n == 1 ? " problem:" : " problems:");
  constexpr std::size_t kShown = 200;
  for (std::size_t k = 0; k < n && k < kShown; ++k) os << "\n  " << problems[k];
  if (n > kShown) os << "\n  ... and " << (n - kShown) << " more";
  return os.str();
}

ParsedRules parse_rule_document(const Json& doc) {
  Reader r;
  ParsedRules out;
  out.budget = std::numeric_limits<double>::infinity();
  if (!doc.is_object()) {
    r.add("", std::string("the rule document must be an object {\"rules\": [...]}, got ") +
                  doc.type_name());
  } else {
    r.unknown_members(doc, {"rules", "budget"}, "");
    if (doc.contains("budget") && !doc["budget"].is_null()) {
      if (auto b = r.number(doc["budget"], "budget", false)) {
        if (*b < 0) r.add("budget", "must be >= 0 or null, got " + number_text(*b));
        out.budget = *b;
      }
    }
    if (!doc.contains("rules")) {
      r.add("", "missing field 'rules'");
    } else if (!doc["rules"].is_array()) {
      r.add("rules", std::string("expected a list of rules, got ") + doc["rules"].type_name());
    } else {
      auto read = read_rules(doc["rules"], r);
      resolve_actions(read, out, r);
    }
  }
  CHURN_CHECK(r.problems.empty(), InvalidArgument,
              problems_message("RuleSet::from_json(): invalid rule document", r.problems));
  return out;
}

Json condition_to_json(const Condition& c) {
  Json j = Json::object();
  if (c.is_combinator()) {
    Json list = Json::array();
    for (const auto& ch : c.children) list.push_back(condition_to_json(ch));
    j[condition_op_name(c.op)] = std::move(list);
    return j;
  }
  j["feature"] = c.feature;
  j["op"] = condition_op_name(c.op);
  auto operand = [&c](std::size_t k) {
    return c.strings.empty() ? Json(c.numbers[k]) : Json(c.strings[k]);
  };
  switch (c.op) {
    case ConditionOp::Between:
      j["min"] = operand(0);
      j["max"] = operand(1);
      break;
    case ConditionOp::In:
    case ConditionOp::NotIn:
      j["values"] = c.strings.empty() ? Json(c.numbers) : Json(c.strings);
      break;
    case ConditionOp::Missing:
    case ConditionOp::NotMissing: break;
    default: j["value"] = operand(0);
  }
  return j;
}

Json action_to_json(const Action& a) {
  Json j = {{"name", a.name},
            {"cost", a.cost},
            {"success_rate", a.success_rate},
            {"channel", a.channel},
            {"priority", a.priority}};
  if (a.capacity >= 0) j["capacity"] = a.capacity;
  return j;
}

}  // namespace detail

RuleSet RuleSet::from_json(const Json& doc) {
  const Json* body = &doc;
  if (doc.is_object() && doc.contains("format")) {
    common::open_envelope(doc, "RetentionRuleSet");
    CHURN_CHECK(doc.contains("state"), SerializationError,
                "RuleSet::from_json(): the RetentionRuleSet envelope has no field 'state'");
    body = &doc["state"];
  }
  detail::ParsedRules p = detail::parse_rule_document(*body);
  RuleSet s;
  s.rules_ = std::move(p.rules);
  s.actions_ = std::move(p.actions);
  s.rule_action_ = std::move(p.rule_action);
  s.budget_ = p.budget;
  return s;
}

Json RuleSet::to_json() const {
  Json list = Json::array();
  for (const auto& r : rules_) {
    Json j = {{"name", r.name}};
    if (r.when) j["when"] = detail::condition_to_json(*r.when);
    j["action"] = detail::action_to_json(r.action);
    list.push_back(std::move(j));
  }
  Json doc = {{"rules", std::move(list)}};
  if (std::isfinite(budget_)) doc["budget"] = budget_;
  return doc;
}

void RuleSet::save(const std::string& path) const {
  save_json_file(common::make_envelope("RetentionRuleSet", Json::object(), to_json()), path, 2);
}

RuleSet RuleSet::load(const std::string& path) {
  return from_json(load_json_file(path));
}

std::vector<std::string> RuleSet::features() const {
  std::vector<std::string> out;
  std::set<std::string> seen;
  std::vector<const Condition*> stack;
  for (const auto& r : rules_) {
    if (!r.when) continue;
    stack.push_back(&*r.when);
    while (!stack.empty()) {  // depth first, children in order
      const Condition* c = stack.back();
      stack.pop_back();
      if (!c->is_combinator() && seen.insert(c->feature).second) out.push_back(c->feature);
      for (auto it = c->children.rbegin(); it != c->children.rend(); ++it) stack.push_back(&*it);
    }
  }
  return out;
}

}  // namespace churn::retention
