"""Retention rules (``churnlib.retention.rules``): a declarative rule set (JSON or a dict) and
the choice of each customer's best retention action by expected net value, under an optional
budget and per-action capacities.

The work runs in C++ (``churn::retention::RuleSet``) with the GIL released: conditions are
evaluated column by column over the table (a category test becomes a lookup over its codes),
in parallel over blocks of rows; results do not depend on ``n_threads``. Of a pandas frame only
the columns the conditions read are used (borrowed, not copied); the others may be of any type.

A rule document::

    {"rules": [
      {"name": "vip_call",
       "when": {"all": [{"feature": "bucket", "op": "in", "values": ["high", "critical"]},
                        {"feature": "monthly_revenue", "op": ">=", "value": 80},
                        {"any": [{"feature": "contract", "op": "==", "value": "month-to-month"},
                                 {"feature": "support_calls", "op": "missing"}]}]},
       "action": {"name": "call", "cost": 15.0, "success_rate": 0.3, "channel": "phone",
                  "priority": 1, "capacity": 500}}],
     "budget": 10000.0}

Operators: ``==, !=, <, <=, >, >=`` (``value``), ``between`` (``min``, ``max``, inclusive),
``in`` / ``not_in`` (``values``), ``missing`` / ``not_missing``; ``all`` / ``any`` nest. Numbers
for numeric columns, strings for category and string columns (which take only ``==``, ``!=``,
``in``, ``not_in`` and the missing tests), numbers (ns) or ISO dates for timestamps. Every test
but ``missing`` is false on a missing value (``!=`` and ``not_in`` too). A rule without
``when`` always applies. Actions are identified by name: rules naming the same action share its
capacity and must define it identically (or give just ``{"name": ...}``).

Choice: ``ENV = probability * success_rate * value_kept - cost``; each customer gets at most
one applicable action with ENV > 0. Without budget and capacities the best one (exactly
optimal; ties: smaller ``priority``, then earlier rule). With a budget only: the greedy of the
LP relaxation of the multiple-choice knapsack, within ``max ENV`` of the optimum (exact when
the budget does not bind). With capacities only: the b-matching greedy, at least half the
optimum. With both: a heuristic that never exceeds either. See ``churn/retention/rules.hpp``.

Examples
--------
>>> import pandas as pd
>>> from churnlib.retention import RuleSet
>>> rules = RuleSet.from_dict({"rules": [
...     {"name": "call_risky", "when": {"feature": "score", "op": ">=", "value": 0.5},
...      "action": {"name": "call", "cost": 10, "success_rate": 0.5, "channel": "phone"}}]})
>>> customers = pd.DataFrame({"tenure": [1, 30, 4]})
>>> out = rules.apply(customers, probability=[0.8, 0.1, 0.6], value_kept=[100, 500, 10],
...                   score=[0.8, 0.1, 0.6])
>>> out["action"].tolist()
['call', nan, nan]
>>> out.attrs["summary"]["spent"]
10.0
"""

from __future__ import annotations

import json
import numbers
import os
from collections.abc import Mapping

import numpy as np

from .. import _frames
from .._core import _retention as _r
from ..errors import TypeMismatch

__all__ = ["RuleSet"]


def _vector(values, what):
    """A C-contiguous float64 vector (no copy when it already is one)."""
    try:
        a = np.ascontiguousarray(values, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise TypeMismatch(f"RuleSet.apply(): {what} must be numbers ({e})") from None
    if a.ndim != 1:
        raise TypeMismatch(f"RuleSet.apply(): {what} must be one-dimensional, got shape {a.shape}")
    return a


def _column(values):
    """A column for the table: text becomes a pandas Categorical (its tests are lookups over
    the codes), anything else goes as it is."""
    import pandas as pd

    if isinstance(values, (pd.Series, pd.Index)):
        values = values.array
    if isinstance(values, pd.Categorical) or hasattr(values, "__arrow_c_array__"):
        return values
    a = np.asarray(values)
    if a.dtype.kind in "OUS":
        return pd.Categorical(a.astype(object) if a.dtype.kind != "O" else a)
    return a


class RuleSet:
    """A checked set of retention rules.

    Build one with :meth:`from_dict`, :meth:`from_json` or :meth:`load`; every problem of the
    document is reported in one :class:`churnlib.InvalidArgument` (a ``ValueError``), one per
    line with its path.

    Parameters
    ----------
    rules : dict, optional
        A rule document (see the module docstring); None for an empty rule set.

    Attributes
    ----------
    rule_names : list of str
    actions : list of dict
        The distinct actions (name, cost, success_rate, channel, priority, capacity).
    budget : float or None
    features : list of str
        The columns the conditions read.
    """

    def __init__(self, rules=None):
        self._core = _r.RuleSet() if rules is None else self._from_dict(rules)

    @staticmethod
    def _from_dict(doc):
        if not isinstance(doc, Mapping):
            raise TypeMismatch(f"RuleSet.from_dict(): expected a dict, got {type(doc).__name__}")
        return _r.RuleSet.from_dict(dict(doc))

    @classmethod
    def _wrap(cls, core):
        self = cls.__new__(cls)
        self._core = core
        return self

    @classmethod
    def from_dict(cls, doc):
        """A rule set from a rule document given as a dict.

        Raises
        ------
        TypeError
            ``doc`` is not a dict, or holds values JSON cannot hold.
        ValueError
            Every problem of the document, in one :class:`churnlib.InvalidArgument`.
        """
        return cls._wrap(cls._from_dict(doc))

    @classmethod
    def from_json(cls, text):
        """A rule set from a rule document as JSON text (str or bytes)."""
        if isinstance(text, (bytes, bytearray)):
            text = text.decode("utf-8")
        if not isinstance(text, str):
            raise TypeMismatch(f"RuleSet.from_json(): expected str, got {type(text).__name__}")
        return cls._wrap(_r.RuleSet.from_json(text))

    @classmethod
    def load(cls, path):
        """A rule set from a file written by :meth:`save` (or a plain JSON rule document)."""
        return cls._wrap(_r.RuleSet.load(os.fspath(path)))

    def to_dict(self):
        """The rule document as a dict (each action written in full)."""
        return self._core.to_dict()

    def to_json(self, indent=None):
        """The rule document as JSON text."""
        return json.dumps(self.to_dict(), indent=indent)

    def save(self, path):
        """Saves the rule set as a churnlib JSON envelope, atomically."""
        self._core.save(os.fspath(path))

    @property
    def rule_names(self):
        """The rules' names, in document order."""
        return self._core.rule_names

    @property
    def actions(self):
        """The distinct actions as dicts, in order of first appearance."""
        return self._core.actions

    @property
    def budget(self):
        """The document's budget, or None."""
        return self._core.budget

    @property
    def features(self):
        """The columns the conditions read, in order of first appearance."""
        return self._core.features

    def __len__(self):
        return len(self._core.rule_names)

    def __eq__(self, other):
        return isinstance(other, RuleSet) and self.to_dict() == other.to_dict()

    def __hash__(self):
        return hash(self.to_json())

    def __repr__(self):
        return f"RuleSet({len(self)} rules, actions={[a['name'] for a in self.actions]}, " \
               f"budget={self.budget})"

    def __getstate__(self):
        return {"json": self._core.to_json()}

    def __setstate__(self, state):
        self._core = _r.RuleSet.from_json(state["json"])

    # ---- applying ---------------------------------------------------------------------------

    def _inputs(self, customers, score, bucket, segment, caller):
        extra = {}
        for name, values in (("score", score), ("bucket", bucket), ("segment", segment)):
            if values is not None:
                extra[name] = _column(values)
        if _frames.is_pandas_frame(customers):
            # only the columns the conditions read, handed to the core as they are (it borrows
            # their buffers); the others are never converted
            return _read_columns(customers, self.features, extra), extra
        table = _frames.to_table(customers)
        if not isinstance(table, _frames._core.Table):
            raise TypeMismatch(f"{caller}: customers must be a pandas or polars DataFrame, a "
                               f"pyarrow Table or a churnlib.Table, got {type(customers).__name__}")
        return table, extra

    def problems(self, customers, *, score=None, bucket=None, segment=None):
        """Every problem of the conditions with the customers' columns (unknown feature,
        operator or operand of the wrong type for the column), one message each; empty when
        the rules can run."""
        table, extra = self._inputs(customers, score, bucket, segment, "RuleSet.problems()")
        return self._core.problems(table, extra)

    def matches(self, customers, *, score=None, bucket=None, segment=None, n_threads=0):
        """Whether each rule's condition holds for each customer.

        Returns
        -------
        pandas.DataFrame
            One bool column per rule (named as the rule), one row per customer (the
            customers' index when they are a pandas DataFrame).
        """
        import pandas as pd

        table, extra = self._inputs(customers, score, bucket, segment, "RuleSet.matches()")
        m = self._core.matches(table, extra, n_threads=_int(n_threads, "n_threads"))
        return pd.DataFrame(m.astype(bool), columns=self.rule_names, index=_index(customers))

    def apply(self, customers, probability, value_kept, *, score=None, bucket=None,
              segment=None, budget=None, n_threads=0):
        """Chooses each customer's retention action.

        Parameters
        ----------
        customers : pandas.DataFrame, polars.DataFrame, pyarrow.Table or churnlib.Table
            One row per customer; the columns the conditions read (of a pandas frame only
            those are read).
        probability : array-like of shape (n,)
            Churn probability, in [0, 1].
        value_kept : array-like of shape (n,)
            Money kept if the customer stays (CLV, revenue at risk), finite and >= 0.
        score, bucket, segment : array-like of shape (n,), optional
            Added to the customers as the columns ``score``, ``bucket`` and ``segment`` (by
            position; they replace columns of the same name) for the conditions to test.
            Text becomes a category column.
        budget : float, optional
            Total budget; None = the document's (if any); ``float("inf")`` = none.
        n_threads : int, default 0
            Threads (0 = all cores); the result does not depend on it.

        Returns
        -------
        pandas.DataFrame
            One row per customer (the customers' index when they are a pandas DataFrame):
            ``rule``, ``action``, ``channel`` (categoricals, NaN for no action), ``cost`` and
            ``expected_net_value`` (0 for no action). ``attrs["summary"]`` holds a dict:
            method, budget, spent, expected_value, n_customers, n_assigned, n_candidates
            (customers with an applicable action of positive ENV), actions and rules
            (customers per name).

        Raises
        ------
        TypeError
            A wrong type of customers, inputs or budget.
        ValueError
            Every problem of the rules with the columns in one error; inputs of the wrong
            length or out of range.
        """
        if budget is not None and (isinstance(budget, bool) or not isinstance(budget, numbers.Real)):
            raise TypeMismatch(f"RuleSet.apply(): budget must be a number or None, got "
                               f"{type(budget).__name__}")
        table, extra = self._inputs(customers, score, bucket, segment, "RuleSet.apply()")
        r = self._core.apply(table, extra, _vector(probability, "probability"),
                             _vector(value_kept, "value_kept"),
                             budget=None if budget is None else float(budget),
                             n_threads=_int(n_threads, "n_threads"))
        return self._frame(r, _index(customers))

    def _frame(self, r, index):
        import pandas as pd

        rule_names = self.rule_names
        actions = self.actions
        channels = list(dict.fromkeys(a["channel"] for a in actions))
        channel_code = np.array([channels.index(a["channel"]) for a in actions] + [-1],
                                dtype=np.int32)
        action = r["action"]
        df = pd.DataFrame({
            "rule": _frames.categorical_from_codes(r["rule"], rule_names),
            "action": _frames.categorical_from_codes(action, [a["name"] for a in actions]),
            "channel": _frames.categorical_from_codes(channel_code[action], channels),
            "cost": r["cost"],
            "expected_net_value": r["expected_net_value"],
        }, index=index, copy=False)  # the result's fresh arrays, not copied into one block
        df.attrs["summary"] = {
            "method": r["method"],
            "budget": r["budget"],
            "spent": r["spent"],
            "expected_value": r["expected_value"],
            "n_customers": len(df),
            "n_assigned": int(sum(r["action_counts"])),
            "n_candidates": r["n_candidates"],
            "actions": {a["name"]: c for a, c in zip(actions, r["action_counts"])},
            "rules": dict(zip(rule_names, r["rule_counts"])),
        }
        return df


def _read_columns(df, features, extra):
    """The columns of the pandas frame ``df`` that the conditions read (``features``, but for
    those ``extra`` replaces), in the frame's order; when there are none, one column that
    converts without a copy (or the first), so that the table keeps the frame's rows."""
    wanted = set(features) - set(extra)
    names = list(dict.fromkeys(c for c in df.columns if c in wanted))
    if not names and len(df.columns):
        cheap = [c for c, t in df.dtypes.items()
                 if getattr(t, "kind", "O") in "fiub" or str(t) == "category"]
        names = cheap[:1] or [df.columns[0]]
    return df if len(names) == len(df.columns) else df[names]


def _int(value, what):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeMismatch(f"RuleSet: {what} must be an integer, got {type(value).__name__}")
    return int(value)


def _index(customers):
    """The customers' pandas index, or None (a RangeIndex)."""
    return customers.index if _frames.is_pandas_frame(customers) else None
