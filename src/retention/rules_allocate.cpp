// Choosing the actions: each customer's candidates, then one of the three methods of
// include/churn/retention/rules.hpp ("best", "budget_greedy", the capacity greedy).
#include <algorithm>  // std::max
#include <cmath>      // std::nextafter, std::isfinite
#include <limits>     // std::numeric_limits
#include <queue>      // std::priority_queue
#include <utility>    // std::move

#include "churn/core/parallel.hpp"
#include "common/exact_sum.hpp"
#include "common/float_key.hpp"
#include "common/radix_sort.hpp"
#include "retention/rules_detail.hpp"

namespace churn::retention::detail {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

/// Evaluates every rule over the rows [lo, hi) and calls `row(i, r)` for each applicable rule r
/// of each row i, rows ascending and rules in document order.
template <class Row>
void for_each_match(const AllocationInput& in, Index lo, Index hi, Row&& row) {
  const std::size_t n_rules = in.compiled->size();
  const Index len = hi - lo;
  std::vector<std::uint8_t> masks(n_rules * static_cast<std::size_t>(len));
  EvalScratch scratch;
  for (std::size_t r = 0; r < n_rules; ++r)
    in.compiled->eval(r, lo, hi, masks.data() + r * static_cast<std::size_t>(len), scratch);
  for (Index i = lo; i < hi; ++i)
    for (std::size_t r = 0; r < n_rules; ++r)
      if (masks[r * static_cast<std::size_t>(len) + static_cast<std::size_t>(i - lo)]) row(i, r);
}

/// Expected net value of `a` for customer i.
double env_of(const AllocationInput& in, const Action& a, Index i) {
  return (*in.probability)[i] * a.success_rate * (*in.value_kept)[i] - a.cost;
}

/// x - y rounded down (never above the exact difference), and never below 0 when x >= y: the
/// remaining budget only ever errs on the safe side.
double subtract_down(double x, double y) {
  double s = 0, err = 0;
  common::two_sum(x, -y, s, err);
  if (err < 0) s = std::nextafter(s, -kInf);
  return x >= y ? std::max(s, 0.0) : s;
}

/// True when candidate `k` is preferred to `best` (-1 = none) as the next step from (c0, e0):
/// the larger ENV gain per cost (a step that costs nothing more is infinitely steep), then the
/// nearer (cheaper) step, or among steep ones the larger ENV; then the preference order.
struct Step {
  std::int32_t k = -1;
  double key = 0.0;
};

/// The next step of a customer's upper convex hull of (cost, ENV) from its current candidate
/// `cur` (-1 = none), among candidates whose action `ok(action)` accepts.
template <class Ok>
Step next_hull_step(const Candidates& c, Index i, std::int32_t cur, const Ok& ok) {
  const auto lo = static_cast<std::size_t>(c.offset[static_cast<std::size_t>(i)]);
  const auto hi = static_cast<std::size_t>(c.offset[static_cast<std::size_t>(i) + 1]);
  const double c0 = cur < 0 ? 0.0 : c.cost[static_cast<std::size_t>(cur)];
  const double e0 = cur < 0 ? 0.0 : c.env[static_cast<std::size_t>(cur)];
  Step best;
  for (std::size_t k = lo; k < hi; ++k) {
    if (static_cast<std::int32_t>(k) == cur || !(c.env[k] > e0) || !ok(c.action[k])) continue;
    const double dc = c.cost[k] - c0;
    const double key = dc <= 0 ? kInf : (c.env[k] - e0) / dc;
    bool better = best.k < 0 || key > best.key;
    if (best.k >= 0 && key == best.key) {
      const auto b = static_cast<std::size_t>(best.k);
      better = key == kInf ? c.env[k] > c.env[b] : c.cost[k] < c.cost[b];
    }
    if (better) best = {static_cast<std::int32_t>(k), key};
  }
  return best;
}

void fill_row(const Candidates& c, Index i, std::int32_t k, RuleAssignment& out) {
  if (k < 0) return;
  const auto kk = static_cast<std::size_t>(k);
  out.rule[i] = c.rule[kk];
  out.action[i] = c.action[kk];
  out.cost[i] = c.cost[kk];
  out.expected_net_value[i] = c.env[kk];
}

/// One block's candidates (merged into Candidates in block order).
struct BlockCandidates {
  std::vector<Index> count;
  Candidates c;
};

/// Sorts the candidates [lo, hi) into preference order (insertion sort: a handful per row).
void sort_preference(Candidates& c, const RuleSet& rules, std::size_t lo, std::size_t hi) {
  auto before = [&](std::size_t x, std::size_t y) {
    if (c.env[x] != c.env[y]) return c.env[x] > c.env[y];
    const int px = rules.actions()[static_cast<std::size_t>(c.action[x])].priority;
    const int py = rules.actions()[static_cast<std::size_t>(c.action[y])].priority;
    if (px != py) return px < py;
    return c.rule[x] < c.rule[y];
  };
  for (std::size_t k = lo + 1; k < hi; ++k) {
    for (std::size_t j = k; j > lo && before(j, j - 1); --j) {
      std::swap(c.action[j], c.action[j - 1]);
      std::swap(c.rule[j], c.rule[j - 1]);
      std::swap(c.env[j], c.env[j - 1]);
      std::swap(c.cost[j], c.cost[j - 1]);
    }
  }
}

}  // namespace

void allocate_best(const AllocationInput& in, RuleAssignment& out) {
  const auto& actions = in.rules->actions();
  const auto& rule_action = in.rules->rule_actions();
  out.n_candidates = parallel_reduce(
      Index{0}, in.n, kRowBlock, Index{0},
      [&](Index lo, Index hi) {
        std::vector<Index> seen(actions.size(), -1);  // row that last met each action
        Index candidates = 0, last = -1;
        for_each_match(in, lo, hi, [&](Index i, std::size_t r) {
          const auto a = static_cast<std::size_t>(rule_action[r]);
          if (seen[a] == i) return;  // the action's first rule for this row came earlier
          seen[a] = i;
          const double env = env_of(in, actions[a], i);
          if (!(env > 0)) return;
          if (last != i) ++candidates;
          last = i;
          const std::int32_t cur = out.action[i];
          const bool better =
              cur < 0 || env > out.expected_net_value[i] ||
              (env == out.expected_net_value[i] &&
               actions[a].priority < actions[static_cast<std::size_t>(cur)].priority);
          if (!better) return;
          out.rule[i] = static_cast<std::int32_t>(r);
          out.action[i] = static_cast<std::int32_t>(a);
          out.cost[i] = actions[a].cost;
          out.expected_net_value[i] = env;
        });
        return candidates;
      },
      [](Index a, Index b) { return a + b; }, in.n_threads);
}

Candidates build_candidates(const AllocationInput& in) {
  const auto& actions = in.rules->actions();
  const auto& rule_action = in.rules->rule_actions();
  const Index n_blocks = (in.n + kRowBlock - 1) / kRowBlock;
  std::vector<BlockCandidates> blocks(static_cast<std::size_t>(n_blocks));
  parallel_for(0, n_blocks, in.n_threads, [&](Index b) {
    const Index lo = b * kRowBlock, hi = std::min(in.n, lo + kRowBlock);
    BlockCandidates& bc = blocks[static_cast<std::size_t>(b)];
    bc.count.assign(static_cast<std::size_t>(hi - lo), 0);
    std::vector<Index> seen(actions.size(), -1);
    for_each_match(in, lo, hi, [&](Index i, std::size_t r) {
      const auto a = static_cast<std::size_t>(rule_action[r]);
      if (seen[a] == i) return;
      seen[a] = i;
      const double env = env_of(in, actions[a], i);
      if (!(env > 0)) return;
      ++bc.count[static_cast<std::size_t>(i - lo)];
      bc.c.action.push_back(static_cast<std::int32_t>(a));
      bc.c.rule.push_back(static_cast<std::int32_t>(r));
      bc.c.env.push_back(env);
      bc.c.cost.push_back(actions[a].cost);
    });
    for (std::size_t k = 0, at = 0; k < bc.count.size(); at += bc.count[k], ++k)
      sort_preference(bc.c, *in.rules, at, at + static_cast<std::size_t>(bc.count[k]));
  });
  Candidates c;
  c.offset.reserve(static_cast<std::size_t>(in.n) + 1);
  c.offset.push_back(0);
  for (auto& bc : blocks) {
    for (Index k : bc.count) c.offset.push_back(c.offset.back() + k);
    c.action.insert(c.action.end(), bc.c.action.begin(), bc.c.action.end());
    c.rule.insert(c.rule.end(), bc.c.rule.begin(), bc.c.rule.end());
    c.env.insert(c.env.end(), bc.c.env.begin(), bc.c.env.end());
    c.cost.insert(c.cost.end(), bc.c.cost.begin(), bc.c.cost.end());
    bc = BlockCandidates();
  }
  return c;
}

namespace {

/// One step of a customer's hull: to candidate `to`, costing `dc` more, `key` ENV per cost.
struct HullStep {
  double key;
  Index row;
  std::int32_t to;
  double dc;
};

/// Buckets of the budget scan: the top 16 bits of the descending order key.
constexpr int kBucketBits = 16;
std::uint64_t order_key(const HullStep& s) {
  return ~common::ordered_key(s.key);
}
std::size_t bucket_of(const HullStep& s) {
  return static_cast<std::size_t>(order_key(s) >> (64 - kBucketBits));
}

/// Every customer's hull steps (independent of the others without capacities), per block of
/// rows, each block in row order (and a row's steps in order).
std::vector<std::vector<HullStep>> hull_steps(const AllocationInput& in, const Candidates& c) {
  const Index n_blocks = (in.n + kRowBlock - 1) / kRowBlock;
  std::vector<std::vector<HullStep>> parts(static_cast<std::size_t>(n_blocks));
  auto any_action = [](std::int32_t) { return true; };
  parallel_for(0, n_blocks, in.n_threads, [&](Index b) {
    const Index lo = b * kRowBlock, hi = std::min(in.n, lo + kRowBlock);
    auto& steps = parts[static_cast<std::size_t>(b)];
    for (Index i = lo; i < hi; ++i) {
      std::int32_t cur = -1;
      for (Step s = next_hull_step(c, i, cur, any_action); s.k >= 0;
           s = next_hull_step(c, i, cur, any_action)) {
        const double c0 = cur < 0 ? 0.0 : c.cost[static_cast<std::size_t>(cur)];
        steps.push_back({s.key, i, s.k, c.cost[static_cast<std::size_t>(s.k)] - c0});
        cur = s.k;
      }
    }
  });
  return parts;
}

/// The last bucket the scan needs in full: the first where the steps' costs, summed in bucket
/// order, pass the budget (only a guess of where the budget runs out: any choice gives the
/// same result, a good one spares sorting the rest).
std::size_t split_bucket(const std::vector<std::vector<HullStep>>& parts, double budget) {
  std::vector<double> cost(std::size_t{1} << kBucketBits, 0.0);
  for (const auto& part : parts)
    for (const HullStep& s : part) cost[bucket_of(s)] += s.dc;
  double sum = 0;
  for (std::size_t b = 0; b < cost.size(); ++b) {
    sum += cost[b];
    if (sum > budget) return b;
  }
  return cost.size() - 1;
}

/// The scan of the LP greedy over `steps` (sorted here, steepest first, stably: ties in row
/// order): a step is taken when it fits the remaining budget, else its customer stops.
void scan_steps(std::vector<HullStep>& steps, std::vector<std::int32_t>& cur,
                std::vector<std::uint8_t>& frozen, double& remaining) {
  std::vector<HullStep> scratch;
  common::radix_sort(steps, scratch, order_key);
  for (const HullStep& s : steps) {
    const auto i = static_cast<std::size_t>(s.row);
    if (frozen[i]) continue;
    if (s.dc <= remaining) {
      cur[i] = s.to;
      remaining = subtract_down(remaining, s.dc);
    } else {
      frozen[i] = 1;  // the LP would take a fraction of this step: the customer stops here
    }
  }
}

}  // namespace

void allocate_budget(const AllocationInput& in, const Candidates& c, RuleAssignment& out) {
  // The greedy is one scan over every hull step, steepest first. Sorting all of them is not
  // needed: the steps of the buckets up to the split (where the budget runs out) are scanned
  // first; a later step whose cost exceeds what is then left can never be taken (the budget
  // only shrinks) and stops its customer, so only the others are sorted and scanned. Both
  // parts keep the order of the full scan, so the result is the same.
  std::vector<std::vector<HullStep>> parts = hull_steps(in, c);
  const std::size_t split = split_bucket(parts, in.budget);
  std::vector<std::int32_t> cur(static_cast<std::size_t>(in.n), -1);
  std::vector<std::uint8_t> frozen(static_cast<std::size_t>(in.n), 0);
  double remaining = in.budget;
  std::vector<HullStep> head;
  for (const auto& part : parts)
    for (const HullStep& s : part)
      if (bucket_of(s) <= split) head.push_back(s);
  scan_steps(head, cur, frozen, remaining);
  std::vector<HullStep> tail;
  for (const auto& part : parts) {
    for (const HullStep& s : part) {
      const auto i = static_cast<std::size_t>(s.row);
      if (bucket_of(s) <= split || frozen[i]) continue;
      if (s.dc <= remaining)
        tail.push_back(s);
      else
        frozen[i] = 1;  // rejected whenever the scan reaches it
    }
  }
  scan_steps(tail, cur, frozen, remaining);
  for (Index i = 0; i < in.n; ++i) fill_row(c, i, cur[static_cast<std::size_t>(i)], out);
}

void allocate_capacity(const AllocationInput& in, const Candidates& c, RuleAssignment& out) {
  const auto& actions = in.rules->actions();
  std::vector<Index> count(actions.size(), 0);
  auto room = [&](std::int32_t a) {
    const Index cap = actions[static_cast<std::size_t>(a)].capacity;
    return cap < 0 || count[static_cast<std::size_t>(a)] < cap;
  };
  const bool with_budget = std::isfinite(in.budget);
  std::vector<std::int32_t> cur(static_cast<std::size_t>(in.n), -1);
  // the customer's next offer: its best candidate with room (no budget; only while it has
  // none), or its next hull step among the actions with room (budget)
  auto next = [&](Index i) -> Step {
    const std::int32_t k0 = cur[static_cast<std::size_t>(i)];
    if (with_budget) return next_hull_step(c, i, k0, room);
    if (k0 >= 0) return {};
    for (Index k = c.offset[static_cast<std::size_t>(i)];
         k < c.offset[static_cast<std::size_t>(i) + 1]; ++k)
      if (room(c.action[static_cast<std::size_t>(k)]))
        return {static_cast<std::int32_t>(k), c.env[static_cast<std::size_t>(k)]};
    return {};
  };
  struct Offer {
    double key;
    double gain;  ///< ENV gained: among equal keys (free steps, say) the larger gain first
    Index row;
    std::int32_t k;
  };
  auto offer = [&](Index i, Step s) {
    const std::int32_t k0 = cur[static_cast<std::size_t>(i)];
    const double e0 = k0 < 0 ? 0.0 : c.env[static_cast<std::size_t>(k0)];
    return Offer{s.key, c.env[static_cast<std::size_t>(s.k)] - e0, i, s.k};
  };
  // the top is the largest key, then the largest gain, then the smallest row
  auto lower = [](const Offer& x, const Offer& y) {
    if (x.key != y.key) return x.key < y.key;
    if (x.gain != y.gain) return x.gain < y.gain;
    return x.row > y.row;
  };
  std::vector<Offer> initial;
  for (Index i = 0; i < in.n; ++i)
    if (Step s = next(i); s.k >= 0) initial.push_back(offer(i, s));
  std::priority_queue<Offer, std::vector<Offer>, decltype(lower)> heap(lower, std::move(initial));
  double remaining = in.budget;
  while (!heap.empty()) {
    const Offer o = heap.top();
    heap.pop();
    const auto i = static_cast<std::size_t>(o.row);
    const auto k = static_cast<std::size_t>(o.k);
    if (!room(c.action[k])) {  // filled up since the offer was made: the next best instead
      if (Step s = next(o.row); s.k >= 0) heap.push(offer(o.row, s));
      continue;
    }
    if (with_budget) {
      const double c0 = cur[i] < 0 ? 0.0 : c.cost[static_cast<std::size_t>(cur[i])];
      const double dc = c.cost[k] - c0;
      if (!(dc <= remaining)) continue;  // does not fit: the customer stops here
      remaining = subtract_down(remaining, dc);
    }
    if (cur[i] >= 0) --count[static_cast<std::size_t>(c.action[static_cast<std::size_t>(cur[i])])];
    ++count[static_cast<std::size_t>(c.action[k])];
    cur[i] = o.k;
    if (Step s = next(o.row); s.k >= 0) heap.push(offer(o.row, s));
  }
  for (Index i = 0; i < in.n; ++i) fill_row(c, i, cur[static_cast<std::size_t>(i)], out);
}

}  // namespace churn::retention::detail
