"""churnlib.retention.RuleSet: conditions against a pandas reference, the choice of actions
against a brute force over every assignment, every problem in one error, types and values
checked, dict/JSON/file round trips."""

import itertools
import json
import math
import pickle

import numpy as np
import pandas as pd
import pytest

import churnlib as cl
from churnlib.retention import RuleSet

DOC = {"rules": [
    {"name": "vip_call",
     "when": {"all": [{"feature": "bucket", "op": "in", "values": ["high", "critical"]},
                      {"feature": "monthly_revenue", "op": ">=", "value": 80},
                      {"any": [{"feature": "contract", "op": "==", "value": "month-to-month"},
                               {"feature": "support_calls", "op": "missing"}]}]},
     "action": {"name": "call", "cost": 15.0, "success_rate": 0.3, "channel": "phone",
                "priority": 1, "capacity": 500}},
    {"name": "discount", "when": {"feature": "tenure", "op": "between", "min": 2, "max": 24},
     "action": {"name": "discount", "cost": 20.0, "success_rate": 0.4, "channel": "email"}},
], "budget": 10000.0}


def mixed_frame(n=500, seed=0):
    rng = np.random.default_rng(seed)
    revenue = rng.uniform(10, 120, n)
    revenue[rng.random(n) < 0.1] = np.nan
    calls = pd.array(rng.integers(0, 8, n), dtype="Int64")
    calls[rng.random(n) < 0.1] = pd.NA
    contract = pd.Categorical(rng.choice(["month-to-month", "one-year", "two-year"], n))
    contract[rng.random(n) < 0.1] = np.nan
    region = pd.Series(rng.choice(["north", "south", "east", "west"], n), dtype=object)
    region[rng.random(n) < 0.1] = None
    return pd.DataFrame({"monthly_revenue": revenue, "support_calls": calls,
                         "contract": contract, "region": region,
                         "tenure": rng.integers(0, 72, n).astype(float)})


def test_conditions_match_a_pandas_reference_on_a_mixed_frame():
    df = mixed_frame()
    rng = np.random.default_rng(1)
    bucket = rng.choice(["low", "medium", "high", "critical"], len(df))
    score = rng.random(len(df))
    rules = RuleSet.from_dict({"rules": [
        {"name": "ge", "when": {"feature": "monthly_revenue", "op": ">=", "value": 80},
         "action": {"name": "a", "cost": 1, "success_rate": 0.5}},
        {"name": "ne", "when": {"feature": "contract", "op": "!=", "value": "one-year"},
         "action": {"name": "a"}},
        {"name": "int_lt", "when": {"feature": "support_calls", "op": "<", "value": 3},
         "action": {"name": "a"}},
        {"name": "str_in", "when": {"feature": "region", "op": "in", "values": ["north", "x"]},
         "action": {"name": "a"}},
        {"name": "str_not_in", "when": {"feature": "region", "op": "not_in", "values": ["north"]},
         "action": {"name": "a"}},
        {"name": "missing", "when": {"feature": "support_calls", "op": "missing"},
         "action": {"name": "a"}},
        {"name": "nested", "when": {"all": [
            {"feature": "bucket", "op": "in", "values": ["high", "critical"]},
            {"any": [{"feature": "score", "op": "between", "min": 0.2, "max": 0.6},
                     {"feature": "contract", "op": "missing"}]}]}, "action": {"name": "a"}},
        {"name": "always", "action": {"name": "a"}},
    ]})
    got = rules.matches(df, score=score, bucket=bucket, n_threads=2)
    present = df["region"].notna()
    want = pd.DataFrame({
        "ge": df["monthly_revenue"] >= 80,
        "ne": df["contract"].notna() & (df["contract"] != "one-year"),
        "int_lt": (df["support_calls"] < 3).fillna(False).astype(bool),
        "str_in": df["region"].isin(["north", "x"]),
        "str_not_in": present & ~df["region"].isin(["north"]),
        "missing": df["support_calls"].isna(),
        "nested": pd.Series(np.isin(bucket, ["high", "critical"]), index=df.index)
                  & (pd.Series((score >= 0.2) & (score <= 0.6), index=df.index)
                     | df["contract"].isna()),
        "always": True,
    })
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    assert got.dtypes.eq(bool).all()


def brute_force(applies, env, cost, capacity, budget):
    """The best total ENV over every assignment (None or one applicable action of ENV > 0)."""
    n, m = env.shape
    options = [[-1] + [a for a in range(m) if applies[i, a] and env[i, a] > 0] for i in range(n)]
    best = 0.0
    for pick in itertools.product(*options):
        chosen = [(i, a) for i, a in enumerate(pick) if a >= 0]
        if sum(cost[a] for _, a in chosen) > budget:
            continue
        if any(capacity[a] is not None and sum(1 for _, b in chosen if b == a) > capacity[a]
               for a in range(m)):
            continue
        best = max(best, sum(env[i, a] for i, a in chosen))
    return best


def random_case(rng, with_budget, with_capacity):
    n = int(rng.integers(1, 8))
    m = int(rng.integers(1, 4))
    x = rng.integers(0, 10, n).astype(float)
    x[rng.random(n) < 0.15] = np.nan
    df = pd.DataFrame({"x": x, "cat": pd.Categorical(rng.choice(["a", "b", "c"], n))})
    actions = []
    for a in range(m):
        act = {"name": f"act{a}", "cost": float(rng.integers(0, 21)) / 2,
               "success_rate": float(rng.integers(1, 10)) / 10, "priority": int(rng.integers(0, 3))}
        if with_capacity and rng.random() < 0.7:
            act["capacity"] = int(rng.integers(0, 4))
        actions.append(act)
    conditions = [
        None,
        {"feature": "x", "op": ">=", "value": float(rng.integers(0, 10))},
        {"feature": "cat", "op": "in", "values": ["a", "c"]},
        {"any": [{"feature": "x", "op": "missing"}, {"feature": "cat", "op": "==", "value": "b"}]},
    ]
    rules = []
    for r in range(int(rng.integers(1, 5))):
        rule = {"name": f"r{r}", "action": actions[int(rng.integers(0, m))]}
        when = conditions[int(rng.integers(0, len(conditions)))]
        if when is not None:
            rule["when"] = when
        rules.append(rule)
    doc = {"rules": rules}
    if with_budget:
        doc["budget"] = float(rng.integers(0, 41)) / 2
    p = rng.integers(0, 17, n) / 16
    v = rng.integers(0, 100, n).astype(float)
    return df, doc, p, v


def python_reference(rules, df, p, v):
    """Applicability (customer x action, from RuleSet.matches) and ENV computed in numpy."""
    m = rules.matches(df).to_numpy()
    acts = rules.actions
    applies = np.zeros((len(df), len(acts)), dtype=bool)
    for r, a in enumerate(rules._core.rule_actions):
        applies[:, a] |= m[:, r]
    s = np.array([a["success_rate"] for a in acts])
    cost = np.array([a["cost"] for a in acts])
    env = p[:, None] * s[None, :] * v[:, None] - cost[None, :]
    return applies, env, cost, [a["capacity"] for a in acts]


def check_feasible(rules, out, applies, env, cost, capacity, budget):
    names = [a["name"] for a in rules.actions]
    chosen = out["action"].cat.codes.to_numpy()
    assert math.fsum(out["cost"]) <= budget
    for i, a in enumerate(chosen):
        if a < 0:
            assert out["cost"].iat[i] == 0 and pd.isna(out["rule"].iat[i])
            continue
        assert applies[i, a] and env[i, a] > 0
        assert out["expected_net_value"].iat[i] == env[i, a]
        assert rules.actions[rules._core.rule_actions[rules.rule_names.index(out["rule"].iat[i])]]["name"] == names[a]
    for a, cap in enumerate(capacity):
        assert cap is None or (chosen == a).sum() <= cap


@pytest.mark.parametrize("with_budget,with_capacity", [(False, False), (True, False),
                                                      (False, True), (True, True)])
def test_choice_against_a_brute_force(with_budget, with_capacity):
    rng = np.random.default_rng(7 + 2 * with_budget + with_capacity)
    for _ in range(120):
        df, doc, p, v = random_case(rng, with_budget, with_capacity)
        rules = RuleSet.from_dict(doc)
        out = rules.apply(df, p, v)
        applies, env, cost, capacity = python_reference(rules, df, p, v)
        budget = doc.get("budget", math.inf)
        check_feasible(rules, out, applies, env, cost, capacity, budget)
        opt = brute_force(applies, env, cost, capacity, budget)
        got = out["expected_net_value"].sum()
        assert got <= opt + 1e-9
        summary = out.attrs["summary"]
        if not with_budget and not with_capacity:
            assert summary["method"] == "best"
            assert got == pytest.approx(opt, abs=1e-9)
            # each customer's best applicable action
            best = np.where(applies & (env > 0), env, 0).max(axis=1)
            np.testing.assert_array_equal(out["expected_net_value"].to_numpy(), best)
        elif with_budget and not with_capacity:
            assert summary["method"] == "budget_greedy"
            assert got >= opt - max(env[applies].max(initial=0), 0) - 1e-9
        elif with_capacity and not with_budget:
            assert got >= 0.5 * opt - 1e-9
        assert summary["spent"] == pytest.approx(out["cost"].sum())
        assert summary["n_assigned"] == out["action"].notna().sum()


def test_budget_and_capacity_are_never_exceeded_at_scale():
    rng = np.random.default_rng(3)
    n = 20000
    df = pd.DataFrame({"x": rng.random(n)})
    p, v = rng.random(n), rng.uniform(0, 500, n)
    doc = {"rules": [
        {"name": "call", "when": {"feature": "x", "op": ">", "value": 0.3},
         "action": {"name": "call", "cost": 12.3, "success_rate": 0.3, "capacity": 700}},
        {"name": "mail", "action": {"name": "mail", "cost": 0.7, "success_rate": 0.02}},
        {"name": "gift", "when": {"feature": "score", "op": ">=", "value": 0.5},
         "action": {"name": "gift", "cost": 31.1, "success_rate": 0.5, "capacity": 300}}]}
    rules = RuleSet.from_dict(doc)
    for budget in (0.0, 999.9, 12345.6, None):
        out = rules.apply(df, p, v, score=p, budget=budget)
        counts = out["action"].value_counts()
        assert counts.get("call", 0) <= 700 and counts.get("gift", 0) <= 300
        if budget is not None:
            assert math.fsum(out["cost"]) <= budget
        one = rules.apply(df, p, v, score=p, budget=budget, n_threads=1)
        pd.testing.assert_frame_equal(one, out)


def test_the_result_frame_and_summary():
    df = pd.DataFrame({"monthly_revenue": [90.0, 85, 20, np.nan],
                       "support_calls": pd.array([None, 1, 2, 3], dtype="Int64"),
                       "contract": ["one-year", "month-to-month", "one-year", "two-year"],
                       "tenure": [1.0, 5, 30, 10]}, index=list("abcd"))
    rules = RuleSet.from_dict(DOC)
    out = rules.apply(df, probability=[0.9, 0.9, 0.9, 0.5], value_kept=[200, 100, 50, 120],
                      bucket=["high", "critical", "low", "low"])
    assert list(out.columns) == ["rule", "action", "channel", "cost", "expected_net_value"]
    assert list(out.index) == list("abcd")
    # a: vip (missing calls) 0.9*0.3*200-15 = 39 vs discount n/a (tenure 1); b: vip 12.0 vs
    # discount 0.9*0.4*100-20 = 16; c: nothing applies; d: discount 0.5*0.4*120-20 = 4
    assert out["rule"].tolist()[:2] == ["vip_call", "discount"]
    assert out["action"].tolist()[1] == "discount" and pd.isna(out["action"].iat[2])
    assert out["channel"].tolist()[0] == "phone"
    np.testing.assert_allclose(out["expected_net_value"], [39.0, 16.0, 0.0, 4.0])
    s = out.attrs["summary"]
    assert s["method"] == "budget_capacity_greedy"  # the document has a budget and a capacity
    assert s["spent"] == 55.0 and s["n_assigned"] == 3 and s["n_candidates"] == 3
    assert s["actions"] == {"call": 1, "discount": 2}
    assert s["rules"] == {"vip_call": 1, "discount": 2}
    assert s["budget"] == 10000.0
    unlimited = rules.apply(df, [0.9, 0.9, 0.9, 0.5], [200, 100, 50, 120],
                            bucket=["high", "critical", "low", "low"], budget=math.inf)
    assert unlimited.attrs["summary"]["budget"] is None
    tight = rules.apply(cl.Table.from_pandas(df), [0.9, 0.9, 0.9, 0.5], [200, 100, 50, 120],
                        bucket=["high", "critical", "low", "low"], budget=20)
    assert tight.attrs["summary"]["spent"] <= 20


def test_every_problem_in_one_error():
    bad = {"rules": [
        {"name": "a", "when": {"feature": "x", "op": "=<", "value": 1},
         "action": {"name": "call", "cost": -1, "success_rate": 1.5}},
        {"name": "a", "when": {"feature": "x", "op": "between", "min": 5, "max": 1},
         "action": {"name": "call", "cost": 2, "success_rate": 0.5}}]}
    with pytest.raises(cl.InvalidArgument) as e:
        RuleSet.from_dict(bad)
    msg = str(e.value)
    assert isinstance(e.value, ValueError)
    for part in ("unknown operator '=<'", "cost: must be >= 0", "success_rate: must be in [0, 1]",
                 "duplicate rule name 'a'", "bad range: min 5 is greater than max 1",
                 "action 'call' differs"):
        assert part in msg, msg
    rules = RuleSet.from_dict({"rules": [
        {"name": "r", "when": {"all": [{"feature": "nope", "op": ">", "value": 1},
                                       {"feature": "contract", "op": "<", "value": "x"},
                                       {"feature": "tenure", "op": "==", "value": "long"}]},
         "action": {"name": "a", "cost": 1, "success_rate": 0.5}}]})
    df = mixed_frame(5)
    problems = rules.problems(df)
    assert len(problems) == 3
    with pytest.raises(ValueError) as e:
        rules.apply(df, np.full(5, 0.5), np.ones(5))
    for part in ("3 problems", "unknown feature 'nope'", "operator '<' does not apply",
                 "float64 column 'tenure' takes numeric operands"):
        assert part in str(e.value)


def test_wrong_types_and_values():
    rules = RuleSet.from_dict(DOC)
    df = mixed_frame(4)
    ok = np.full(4, 0.5)
    with pytest.raises(TypeError):
        RuleSet.from_dict([1, 2])
    with pytest.raises(TypeError):
        RuleSet.from_dict({"rules": [], "budget": object()})
    with pytest.raises(TypeError):
        RuleSet.from_json(42)
    with pytest.raises(ValueError):
        RuleSet.from_json("{not json")
    with pytest.raises(TypeError):
        rules.apply([[1, 2]], ok, ok)
    with pytest.raises(TypeError):
        rules.apply(df, ["a", "b", "c", "d"], ok, bucket=["low"] * 4)
    with pytest.raises(TypeError):
        rules.apply(df, ok, ok, bucket=["low"] * 4, budget="10")
    with pytest.raises(TypeError):
        rules.apply(df, ok, ok, bucket=["low"] * 4, n_threads=1.5)
    with pytest.raises(ValueError, match="probability must be in"):
        rules.apply(df, [0.5, 2.0, 0.5, 0.5], ok, bucket=["low"] * 4)
    with pytest.raises(ValueError, match="value_kept must be finite"):
        rules.apply(df, ok, [1, np.nan, 1, 1], bucket=["low"] * 4)
    with pytest.raises(ValueError, match="probability has 3 values for 4"):
        rules.apply(df, ok[:3], ok, bucket=["low"] * 4)
    with pytest.raises(ValueError, match="budget must be >= 0"):
        rules.apply(df, ok, ok, bucket=["low"] * 4, budget=-1)
    with pytest.raises(ValueError, match="unknown feature 'bucket'"):
        rules.apply(df, ok, ok)


def test_round_trips(tmp_path):
    rules = RuleSet.from_dict(DOC)
    d = rules.to_dict()
    assert d["budget"] == 10000.0 and d["rules"][0]["action"]["capacity"] == 500
    assert RuleSet.from_dict(d) == rules
    assert RuleSet.from_json(rules.to_json()) == rules
    assert RuleSet.from_json(json.dumps(DOC).encode()) == rules
    assert json.loads(rules.to_json()) == d
    path = tmp_path / "rules.json"
    rules.save(path)
    assert json.loads(path.read_text())["kind"] == "RetentionRuleSet"
    assert RuleSet.load(path) == rules
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps(DOC))
    assert RuleSet.load(plain) == rules
    assert pickle.loads(pickle.dumps(rules)) == rules
    assert rules.rule_names == ["vip_call", "discount"]
    assert [a["name"] for a in rules.actions] == ["call", "discount"]
    assert rules.features == ["bucket", "monthly_revenue", "contract", "support_calls", "tenure"]
    assert "2 rules" in repr(rules) and len(rules) == 2
    assert RuleSet().to_dict() == {"rules": []}


def test_polars_frames_are_read():
    pl = pytest.importorskip("polars")
    df = mixed_frame(50)
    rules = RuleSet.from_dict(DOC)
    args = (np.full(50, 0.9), np.full(50, 300.0))
    kw = {"bucket": np.array(["high"] * 50)}
    got = rules.apply(pl.from_pandas(df[["monthly_revenue", "tenure"]].assign(
        contract=df["contract"].astype(str), support_calls=df["support_calls"])), *args, **kw)
    assert got["action"].notna().any()


def test_public_names_are_documented():
    import churnlib.retention as r

    assert r.RuleSet is RuleSet and "RuleSet" in r.__all__ and cl.retention is r
    for name in ("from_dict", "from_json", "load", "to_dict", "to_json", "save", "apply",
                 "matches", "problems"):
        assert getattr(RuleSet, name).__doc__, name


def budget_greedy_reference(applies, env, cost, priority, budget):
    """The documented budget greedy in plain Python: each customer's upper hull of (cost, ENV)
    from (0, 0), all steps steepest first (ties in row order), a step taken when it fits what
    is left (tracked rounded down), else its customer stops."""
    from fractions import Fraction

    steps = []
    for i in range(env.shape[0]):
        cands = [a for a in range(env.shape[1]) if applies[i, a] and env[i, a] > 0]
        cands.sort(key=lambda a: (-env[i, a], priority[a], a))
        cur, c0, e0 = -1, 0.0, 0.0
        while True:
            best, best_key = -1, None
            for a in cands:
                if a == cur or not env[i, a] > e0:
                    continue
                dc = cost[a] - c0
                key = math.inf if dc <= 0 else (env[i, a] - e0) / dc
                if best < 0 or key > best_key or (key == best_key and (
                        env[i, a] > env[i, best] if key == math.inf else cost[a] < cost[best])):
                    best, best_key = a, key
            if best < 0:
                break
            steps.append((best_key, i, len(steps), best, cost[best] - c0))
            cur, c0, e0 = best, cost[best], env[i, best]
    steps.sort(key=lambda s: (-s[0], s[1], s[2]))
    chosen = np.full(env.shape[0], -1)
    frozen = np.zeros(env.shape[0], dtype=bool)
    left = budget
    for _, i, _, a, dc in steps:
        if frozen[i]:
            continue
        if dc <= left:
            chosen[i] = a
            s = left - dc
            if Fraction(s) > Fraction(left) - Fraction(dc):
                s = math.nextafter(s, -math.inf)
            left = max(s, 0.0)
        else:
            frozen[i] = True
    return chosen


def test_budget_greedy_is_the_documented_scan():
    rng = np.random.default_rng(21)
    for trial in range(40):
        n = int(rng.integers(1, 400))
        df = pd.DataFrame({"x": rng.random(n), "cat": pd.Categorical(rng.choice(list("abc"), n))})
        actions = [{"name": f"a{k}", "cost": float(rng.choice([0, 0.1, 1.3, 2.5, 7.0, 7.0])),
                    "success_rate": float(rng.choice([0.1, 0.2, 0.25, 0.5])),
                    "priority": int(rng.integers(0, 2))} for k in range(int(rng.integers(1, 5)))]
        rules = [{"name": f"r{k}", "action": actions[k % len(actions)],
                  **({"when": {"feature": "x", "op": ">", "value": float(rng.random())}}
                     if k % 2 else {"when": {"feature": "cat", "op": "!=", "value": "b"}})}
                 for k in range(len(actions) + int(rng.integers(0, 3)))]
        rs = RuleSet.from_dict({"rules": rules})
        p, v = rng.integers(0, 9, n) / 8, rng.integers(0, 60, n).astype(float)
        applies, env, cost, _ = python_reference(rs, df, p, v)
        budget = float(rng.choice([0.0, 0.3, 5.0, 50.0, 1e3])) * (1 + rng.random())
        out = rs.apply(df, p, v, budget=budget)
        want = budget_greedy_reference(applies, env, cost, [a["priority"] for a in rs.actions],
                                       budget)
        np.testing.assert_array_equal(out["action"].cat.codes.to_numpy(), want, err_msg=str(trial))


def test_only_the_columns_the_rules_read_are_converted():
    # a pandas frame goes to the core with just the columns the conditions read: others of any
    # type (here complex numbers and Python objects, which a Table cannot hold) do not matter
    df = mixed_frame(300, seed=5)
    rules = RuleSet.from_dict(DOC)
    rng = np.random.default_rng(6)
    p, v = rng.random(300), rng.uniform(0, 400, 300)
    bucket = rng.choice(["low", "high", "critical"], 300)
    want = rules.apply(cl.Table.from_pandas(df), p, v, bucket=bucket)
    noisy = df.assign(z=np.full(300, 1 + 2j), blob=[{"k": i} for i in range(300)])
    got = rules.apply(noisy, p, v, bucket=bucket)
    pd.testing.assert_frame_equal(got, want)
    # rules that read only the extra columns: the frame still gives the number of customers
    only_score = RuleSet.from_dict({"rules": [
        {"name": "r", "when": {"feature": "score", "op": ">=", "value": 0.5},
         "action": {"name": "a", "cost": 1.0, "success_rate": 0.5}}]})
    ids = pd.DataFrame({"customer_id": [f"C{i}" for i in range(300)]})
    for frame in (noisy, ids):
        out = only_score.apply(frame, p, v, score=p)
        assert len(out) == 300
        np.testing.assert_array_equal(out["action"].notna(), (p >= 0.5) & (p * 0.5 * v > 1.0))
        with pytest.raises(ValueError):
            only_score.apply(frame, p[:-1], v[:-1], score=p[:-1])


@pytest.mark.parametrize("budget", [None, 2000.0])
def test_several_blocks_give_the_same_result_for_any_thread_count(budget):
    df = mixed_frame(3 * 4096 + 123, seed=7)
    rng = np.random.default_rng(8)
    n = len(df)
    p, v = rng.random(n), rng.uniform(0, 400, n)
    bucket = rng.choice(["low", "high", "critical"], n)
    rules = RuleSet.from_dict({**DOC, "rules": [{**r, "action": {
        k: a for k, a in r["action"].items() if k != "capacity"}} for r in DOC["rules"]]})
    outs = [rules.apply(df, p, v, bucket=bucket, budget=budget if budget else float("inf"),
                        n_threads=t) for t in (1, 2, 3)]
    for out in outs[1:]:
        pd.testing.assert_frame_equal(out, outs[0])
        assert out.attrs["summary"] == outs[0].attrs["summary"]
    assert outs[0].attrs["summary"]["method"] == ("budget_greedy" if budget else "best")
