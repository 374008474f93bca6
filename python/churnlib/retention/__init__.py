"""Retention analytics (``churnlib.retention``): from churn scores to money, actions and alerts.

The work runs in C++ (``churn::retention``, include/churn/retention/) with the GIL released.
Its parts, one module each:

- :mod:`churnlib.retention.buckets`: risk buckets (fixed cut points or quantiles of a reference
  score distribution, fitted and saved as JSON);
- :mod:`churnlib.retention.value`: revenue at risk, expected loss and customer lifetime value,
  per customer and summed by bucket, segment and overall; the KPI summary and the
  one-row-per-customer export for BI tools;
- :mod:`churnlib.retention.rules`: declarative retention rules (JSON or dict) and the choice of
  each customer's best action by expected net value, under a budget and action capacities;
- :mod:`churnlib.retention.alerts`: alert records (risk thresholds and jumps, drift, model
  quality) with a cooldown, appended safely to a JSON-lines file and read back as a table.
"""

from __future__ import annotations

from . import alerts
from .alerts import AlertLog, apply_cooldown, drift_alerts, quality_alerts, risk_alerts
from .buckets import RiskBuckets
from .rules import RuleSet
from .value import (
    customer_export,
    customer_lifetime_value,
    customer_value,
    expected_loss,
    kpi_summary,
    revenue_at_risk,
)

__all__: list[str] = [
    "RiskBuckets",
    "revenue_at_risk",
    "customer_lifetime_value",
    "expected_loss",
    "customer_value",
    "kpi_summary",
    "customer_export",
    "RuleSet",
    "alerts",
    "AlertLog",
    "apply_cooldown",
    "drift_alerts",
    "quality_alerts",
    "risk_alerts",
]
