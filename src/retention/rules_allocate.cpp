// Choosing the actions: each customer's candidates, then one of the three methods of
// include/churn/retention/rules.hpp ("best", "budget_greedy", the capacity greedy).
//
// The rows go in blocks of kRowBlock: each thread takes one block at a time, evaluates every
// rule over it (BlockMatcher) and handles its rows; whatever a block adds up (counts, exact
// sums, hull steps) is kept per block and folded in block order, so nothing depends on the
// thread count.
#include <algorithm>  // std::max, std::min
#include <atomic>     // std::atomic
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

Index n_blocks_of(Index n) {
  return (n + kRowBlock - 1) / kRowBlock;
}

/// Calls `body(state, lo, hi)` for every block [lo, hi) of kRowBlock rows of [0, n), in
/// parallel: each thread makes its `state` once (`make()`) and takes the next block while one
/// is left (dynamic, so a busy core slows only its own blocks).
template <class Make, class Body>
void for_each_block(Index n, int n_threads, const Make& make, const Body& body) {
  const Index n_blocks = n_blocks_of(n);
  const Index threads = std::min<Index>(resolve_threads(n_threads), n_blocks);
  std::atomic<Index> next{0};
  parallel_for(0, threads, static_cast<int>(std::max<Index>(threads, 1)), [&](Index) {
    auto state = make();
    for (Index b = next++; b < n_blocks; b = next++)
      body(state, b * kRowBlock, std::min(n, (b + 1) * kRowBlock));
  });
}

/// What one block adds to the totals of a RuleAssignment.
struct BlockTotals {
  Index n_candidates = 0;
  std::vector<Index> rule_counts, action_counts;
  common::ExactSum spent, value;

  BlockTotals(std::size_t n_rules, std::size_t n_actions)
      : rule_counts(n_rules, 0), action_counts(n_actions, 0) {}
  /// Row chose rule `r` of action `a` (r >= 0).
  void add(std::int32_t r, std::int32_t a, double cost, double env) {
    ++rule_counts[static_cast<std::size_t>(r)];
    ++action_counts[static_cast<std::size_t>(a)];
    if (cost != 0) spent.add(cost);
    if (env != 0) value.add(env);
  }
};

/// Folds the blocks' totals into `out`, in block order (the sums are exact: any order gives
/// the same bits).
void fold_totals(std::vector<BlockTotals>& blocks, std::size_t n_rules, std::size_t n_actions,
                 RuleAssignment& out) {
  BlockTotals all(n_rules, n_actions);
  for (auto& b : blocks) {
    all.n_candidates += b.n_candidates;
    for (std::size_t r = 0; r < n_rules; ++r) all.rule_counts[r] += b.rule_counts[r];
    for (std::size_t a = 0; a < n_actions; ++a) all.action_counts[a] += b.action_counts[a];
    all.spent.merge(b.spent);
    all.value.merge(b.value);
  }
  double lo = 0;
  all.spent.value(out.spent, lo);
  all.value.value(out.expected_value, lo);
  out.n_candidates = all.n_candidates;
  out.rule_counts = std::move(all.rule_counts);
  out.action_counts = std::move(all.action_counts);
}

/// Expected net value of `a` for customer i (one expression, so every method computes the
/// same bits).
double env_of(const double* p, const double* v, const Action& a, Index i) {
  return p[i] * a.success_rate * v[i] - a.cost;
}

/// x - y rounded down (never above the exact difference), and never below 0 when x >= y: the
/// remaining budget only ever errs on the safe side.
double subtract_down(double x, double y) {
  double s = 0, err = 0;
  common::two_sum(x, -y, s, err);
  if (err < 0) s = std::nextafter(s, -kInf);
  return x >= y ? std::max(s, 0.0) : s;
}

/// A customer's candidates [lo, hi) in preference order, as arrays (the rows of Candidates,
/// or one customer's own).
struct CandidateView {
  const std::int32_t* action;
  const double* env;
  const double* cost;
};

/// True when candidate `k` is preferred to `best` (-1 = none) as the next step from (c0, e0):
/// the larger ENV gain per cost (a step that costs nothing more is infinitely steep), then the
/// nearer (cheaper) step, or among steep ones the larger ENV; then the preference order.
struct Step {
  std::int32_t k = -1;
  double key = 0.0;
};

/// The next step of a customer's upper convex hull of (cost, ENV) from its current candidate
/// `cur` (-1 = none), among its candidates [lo, hi) whose action `ok(action)` accepts.
template <class Ok>
Step next_hull_step(const CandidateView& c, std::size_t lo, std::size_t hi, std::int32_t cur,
                    const Ok& ok) {
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

template <class Ok>
Step next_hull_step(const Candidates& c, Index i, std::int32_t cur, const Ok& ok) {
  return next_hull_step(CandidateView{c.action.data(), c.env.data(), c.cost.data()},
                        static_cast<std::size_t>(c.offset[static_cast<std::size_t>(i)]),
                        static_cast<std::size_t>(c.offset[static_cast<std::size_t>(i) + 1]), cur,
                        ok);
}

void fill_row(const Candidates& c, Index i, std::int32_t k, RuleAssignment& out) {
  if (k < 0) return;
  const auto kk = static_cast<std::size_t>(k);
  out.rule[i] = c.rule[kk];
  out.action[i] = c.action[kk];
  out.cost[i] = c.cost[kk];
  out.expected_net_value[i] = c.env[kk];
}

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

/// One thread's working state: the block's rule bits and one customer's candidates.
struct RowScan {
  BlockMatcher matches;
  Candidates row;  ///< one customer's candidates (budget method), at most one per action

  explicit RowScan(const AllocationInput& in)
      : matches(*in.compiled, in.rules->rule_actions(), in.rules->actions().size()) {
    const std::size_t n_actions = in.rules->actions().size();  // at most one per action
    row.action.resize(n_actions);
    row.rule.resize(n_actions);
    row.env.resize(n_actions);
    row.cost.resize(n_actions);
  }

  /// Calls `f(r, a, env)` for the first rule r of each action a that holds for row i (of the
  /// last matches.run()) with ENV > 0, in document order.
  template <class F>
  void candidates(const AllocationInput& in, const double* p, const double* v, Index lo, Index i,
                  F&& f) const {
    const auto& actions = in.rules->actions();
    const auto& rule_action = in.rules->rule_actions();
    matches.for_each_first_rule(i - lo, [&](std::size_t r) {
      const auto a = static_cast<std::size_t>(rule_action[r]);
      const double env = env_of(p, v, actions[a], i);
      if (env > 0) f(static_cast<std::int32_t>(r), static_cast<std::int32_t>(a), env);
    });
  }
};

}  // namespace

void allocate_best(const AllocationInput& in, RuleAssignment& out) {
  const auto& actions = in.rules->actions();
  const double* p = in.probability->data();
  const double* v = in.value_kept->data();
  const std::size_t n_rules = in.rules->rules().size(), n_actions = actions.size();
  std::vector<BlockTotals> totals(static_cast<std::size_t>(n_blocks_of(in.n)),
                                  BlockTotals(n_rules, n_actions));
  for_each_block(
      in.n, in.n_threads, [&] { return RowScan(in); },
      [&](RowScan& scan, Index lo, Index hi) {
        BlockTotals& t = totals[static_cast<std::size_t>(lo / kRowBlock)];
        scan.matches.run(lo, hi);
        for (Index i = lo; i < hi; ++i) {
          std::int32_t best_r = -1, best_a = -1;
          double best_env = 0.0;
          scan.candidates(in, p, v, lo, i, [&](std::int32_t r, std::int32_t a, double env) {
            const bool better =
                best_a < 0 || env > best_env ||
                (env == best_env && actions[static_cast<std::size_t>(a)].priority <
                                        actions[static_cast<std::size_t>(best_a)].priority);
            if (!better) return;
            best_r = r;
            best_a = a;
            best_env = env;
          });
          out.rule[i] = best_r;
          out.action[i] = best_a;
          if (best_a < 0) {
            out.cost[i] = 0.0;
            out.expected_net_value[i] = 0.0;
            continue;
          }
          const double cost = actions[static_cast<std::size_t>(best_a)].cost;
          out.cost[i] = cost;
          out.expected_net_value[i] = best_env;
          ++t.n_candidates;
          t.add(best_r, best_a, cost, best_env);
        }
      });
  fold_totals(totals, n_rules, n_actions, out);
}

Candidates build_candidates(const AllocationInput& in) {
  const double* p = in.probability->data();
  const double* v = in.value_kept->data();
  const auto& actions = in.rules->actions();
  std::vector<Candidates> blocks(static_cast<std::size_t>(n_blocks_of(in.n)));
  for_each_block(
      in.n, in.n_threads, [&] { return RowScan(in); },
      [&](RowScan& scan, Index lo, Index hi) {
        Candidates& bc = blocks[static_cast<std::size_t>(lo / kRowBlock)];
        bc.offset.push_back(0);
        scan.matches.run(lo, hi);
        for (Index i = lo; i < hi; ++i) {
          const std::size_t at = bc.env.size();
          scan.candidates(in, p, v, lo, i, [&](std::int32_t r, std::int32_t a, double env) {
            bc.action.push_back(a);
            bc.rule.push_back(r);
            bc.env.push_back(env);
            bc.cost.push_back(actions[static_cast<std::size_t>(a)].cost);
          });
          sort_preference(bc, *in.rules, at, bc.env.size());
          bc.offset.push_back(static_cast<Index>(bc.env.size()));
        }
      });
  Candidates c;
  c.offset.reserve(static_cast<std::size_t>(in.n) + 1);
  c.offset.push_back(0);
  for (auto& bc : blocks) {
    const Index base = c.offset.back();
    for (std::size_t k = 1; k < bc.offset.size(); ++k) c.offset.push_back(base + bc.offset[k]);
    c.action.insert(c.action.end(), bc.action.begin(), bc.action.end());
    c.rule.insert(c.rule.end(), bc.rule.begin(), bc.rule.end());
    c.env.insert(c.env.end(), bc.env.begin(), bc.env.end());
    c.cost.insert(c.cost.end(), bc.cost.begin(), bc.cost.end());
    bc = Candidates();
  }
  return c;
}

namespace {

/// One step of a customer's hull: to the candidate of rule `rule` (its ENV `env`), costing
/// `dc` more, `key` ENV per cost.
struct HullStep {
  double key;
  double dc;
  double env;
  Index row;
  std::int32_t rule;
};

/// Buckets of the budget scan: the top 16 bits of the descending order key.
constexpr int kBucketBits = 16;
std::uint64_t order_key(const HullStep& s) {
  return ~common::ordered_key(s.key);
}
std::size_t bucket_of(const HullStep& s) {
  return static_cast<std::size_t>(order_key(s) >> (64 - kBucketBits));
}

/// Appends the hull steps of customer i, whose candidates (ENV > 0) are in `c` [0, n) in
/// preference order (independent of the other customers without capacities).
void add_hull_steps(const Candidates& c, std::size_t n, Index i, std::vector<HullStep>& steps) {
  if (n == 1) {  // one step from nothing, as next_hull_step() computes it
    const double dc = c.cost[0] - 0.0;
    steps.push_back({dc <= 0 ? kInf : (c.env[0] - 0.0) / dc, dc, c.env[0], i, c.rule[0]});
    return;
  }
  const CandidateView view{c.action.data(), c.env.data(), c.cost.data()};
  auto any_action = [](std::int32_t) { return true; };
  std::int32_t cur = -1;
  for (Step s = next_hull_step(view, 0, n, cur, any_action); s.k >= 0;
       s = next_hull_step(view, 0, n, cur, any_action)) {
    const auto k = static_cast<std::size_t>(s.k);
    const double c0 = cur < 0 ? 0.0 : c.cost[static_cast<std::size_t>(cur)];
    steps.push_back({s.key, c.cost[k] - c0, c.env[k], i, c.rule[k]});
    cur = s.k;
  }
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

/// Customers stopped by the scan, one bit each.
struct Frozen {
  std::vector<std::uint64_t> bits;
  explicit Frozen(Index n) : bits(static_cast<std::size_t>(n / 64 + 1), 0) {}
  bool test(Index i) const { return (bits[static_cast<std::size_t>(i / 64)] >> (i % 64)) & 1; }
  void set(Index i) { bits[static_cast<std::size_t>(i / 64)] |= std::uint64_t{1} << (i % 64); }
};

/// Every block's hull steps (in row order, a row's steps in hull order) and whether the scan
/// took each.
struct HullSteps {
  std::vector<std::vector<HullStep>> parts;
  std::vector<std::vector<std::uint8_t>> taken;

  /// A step's place: its block in the high 32 bits, its index in the low ones.
  static std::uint64_t place(std::size_t block, std::size_t k) {
    return (static_cast<std::uint64_t>(block) << 32) | k;
  }
  const HullStep& at(std::uint64_t place) const {
    return parts[static_cast<std::size_t>(place >> 32)][place & 0xffffffffu];
  }
};

/// A step in the scan's order: its order key and place (16 bytes are sorted; the steps stay).
struct Order {
  std::uint64_t key;
  std::uint64_t place;
};

/// The scan of the LP greedy over the steps of `order` (sorted here, steepest first, stably:
/// ties in row order): a step is taken when it fits the remaining budget, else its customer
/// stops.
void scan_steps(std::vector<Order>& order, HullSteps& h, Frozen& frozen, double& remaining) {
  std::vector<Order> scratch;
  common::radix_sort(order, scratch, [](const Order& o) { return o.key; });
  constexpr std::size_t kAhead = 16;  // the steps are read out of order: fetch them early
  for (std::size_t k = 0; k < order.size(); ++k) {
    if (k + kAhead < order.size()) __builtin_prefetch(&h.at(order[k + kAhead].place));
    const HullStep& s = h.at(order[k].place);
    if (frozen.test(s.row)) continue;
    if (s.dc <= remaining) {
      h.taken[order[k].place >> 32][order[k].place & 0xffffffffu] = 1;
      remaining = subtract_down(remaining, s.dc);
    } else {
      frozen.set(s.row);  // the LP would take a fraction of this step: the customer stops here
    }
  }
}

}  // namespace

void allocate_budget(const AllocationInput& in, RuleAssignment& out) {
  const double* p = in.probability->data();
  const double* v = in.value_kept->data();
  const auto& actions = in.rules->actions();
  const auto& rule_action = in.rules->rule_actions();
  const std::size_t n_rules = in.rules->rules().size(), n_actions = actions.size();
  const auto n_blocks = static_cast<std::size_t>(n_blocks_of(in.n));
  // every customer's hull steps, per block in row order
  HullSteps h;
  h.parts.resize(n_blocks);
  h.taken.resize(n_blocks);
  std::vector<BlockTotals> totals(n_blocks, BlockTotals(n_rules, n_actions));
  for_each_block(
      in.n, in.n_threads, [&] { return RowScan(in); },
      [&](RowScan& scan, Index lo, Index hi) {
        const auto b = static_cast<std::size_t>(lo / kRowBlock);
        Candidates& c = scan.row;
        std::vector<HullStep>& steps = h.parts[b];
        steps.reserve(static_cast<std::size_t>(hi - lo));
        scan.matches.run(lo, hi);
        for (Index i = lo; i < hi; ++i) {
          std::size_t m = 0;
          scan.candidates(in, p, v, lo, i, [&](std::int32_t r, std::int32_t a, double env) {
            c.action[m] = a;
            c.rule[m] = r;
            c.env[m] = env;
            c.cost[m] = actions[static_cast<std::size_t>(a)].cost;
            ++m;
          });
          if (m == 0) continue;
          ++totals[b].n_candidates;
          sort_preference(c, *in.rules, 0, m);
          add_hull_steps(c, m, i, steps);
        }
        h.taken[b].assign(steps.size(), 0);
      });
  // The greedy is one scan over every hull step, steepest first. Sorting all of them is not
  // needed: the steps of the buckets up to the split (where the budget runs out) are scanned
  // first; a later step whose cost exceeds what is then left can never be taken (the budget
  // only shrinks) and stops its customer, so only the others are sorted and scanned. Both
  // parts keep the order of the full scan, so the result is the same.
  const std::size_t split = split_bucket(h.parts, in.budget);
  Frozen frozen(in.n);
  double remaining = in.budget;
  std::vector<Order> order;
  for (std::size_t b = 0; b < n_blocks; ++b)
    for (std::size_t k = 0; k < h.parts[b].size(); ++k) {
      const std::uint64_t key = order_key(h.parts[b][k]);
      if ((key >> (64 - kBucketBits)) <= split) order.push_back({key, HullSteps::place(b, k)});
    }
  scan_steps(order, h, frozen, remaining);
  order.clear();
  // a step that does not fit what is left now never will: its customer stops there, but its
  // earlier (steeper) steps still go to the scan, which reaches them first
  Index stopped = -1;
  for (std::size_t b = 0; b < n_blocks; ++b)
    for (std::size_t k = 0; k < h.parts[b].size(); ++k) {
      const HullStep& s = h.parts[b][k];
      const std::uint64_t key = order_key(s);
      if ((key >> (64 - kBucketBits)) <= split || frozen.test(s.row) || s.row == stopped) continue;
      if (s.dc <= remaining)
        order.push_back({key, HullSteps::place(b, k)});
      else
        stopped = s.row;  // a row's steps are together, in hull order
    }
  scan_steps(order, h, frozen, remaining);
  // each row's last taken step (a row's steps are in hull order in its block), its action and
  // cost, and the totals
  for_each_block(
      in.n, in.n_threads, [] { return 0; },
      [&](int, Index lo, Index hi) {
        const auto b = static_cast<std::size_t>(lo / kRowBlock);
        std::fill(out.rule.data() + lo, out.rule.data() + hi, -1);
        std::fill(out.expected_net_value.data() + lo, out.expected_net_value.data() + hi, 0.0);
        const std::vector<HullStep>& steps = h.parts[b];
        for (std::size_t k = 0; k < steps.size(); ++k) {
          if (!h.taken[b][k]) continue;
          out.rule[steps[k].row] = steps[k].rule;
          out.expected_net_value[steps[k].row] = steps[k].env;
        }
        BlockTotals& t = totals[b];
        for (Index i = lo; i < hi; ++i) {
          const std::int32_t r = out.rule[i];
          if (r < 0) {
            out.action[i] = -1;
            out.cost[i] = 0.0;
            continue;
          }
          const std::int32_t a = rule_action[static_cast<std::size_t>(r)];
          const double cost = actions[static_cast<std::size_t>(a)].cost;
          out.action[i] = a;
          out.cost[i] = cost;
          t.add(r, a, cost, out.expected_net_value[i]);
        }
      });
  fold_totals(totals, n_rules, n_actions, out);
}

void add_totals(const AllocationInput& in, RuleAssignment& out) {
  const std::size_t n_rules = in.rules->rules().size();
  const std::size_t n_actions = in.rules->actions().size();
  std::vector<BlockTotals> totals(static_cast<std::size_t>(n_blocks_of(in.n)),
                                  BlockTotals(n_rules, n_actions));
  for_each_block(
      in.n, in.n_threads, [] { return 0; },
      [&](int, Index lo, Index hi) {
        BlockTotals& t = totals[static_cast<std::size_t>(lo / kRowBlock)];
        for (Index i = lo; i < hi; ++i)
          if (out.rule[i] >= 0)
            t.add(out.rule[i], out.action[i], out.cost[i], out.expected_net_value[i]);
      });
  const Index n_candidates = out.n_candidates;
  fold_totals(totals, n_rules, n_actions, out);
  out.n_candidates = n_candidates;
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
