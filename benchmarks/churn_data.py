"""Seeded synthetic churn table for the GBDT benchmark (and for tests and examples that want one).

``make_churn_table(n, seed)`` is the only public function. It needs numpy and pandas only and is
vectorised: 1,000,000 rows take a few seconds. Import it from the repository root with
``sys.path.insert(0, "benchmarks"); from churn_data import make_churn_table``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["make_churn_table"]

_CONTRACTS = ["month-to-month", "one-year", "two-year"]
_PAYMENTS = ["electronic-check", "mailed-check", "bank-transfer", "credit-card"]
_INTERNET = ["dsl", "fiber", "none"]
_PLANS = ["basic", "standard", "premium", "family"]
_CHANNELS = ["web", "store", "phone", "partner", "referral", "promo"]
_REGIONS = [f"region_{i:02d}" for i in range(50)]

# Intercept of the true log-odds, chosen so that about 20% of the customers churn.
_INTERCEPT = -0.8


def _cat(codes, categories):
    """pandas ``category`` column from integer codes (-1 = missing) and a fixed category list."""
    return pd.Categorical.from_codes(codes.astype(np.int8), categories=categories)


def _with_missing(rng, values, rate):
    """Copy of a float column with a random ``rate`` of its entries set to NaN."""
    out = values.astype(np.float64, copy=True)
    out[rng.random(out.shape[0]) < rate] = np.nan
    return out


def _missing_codes(rng, codes, rate):
    out = codes.copy()
    out[rng.random(out.shape[0]) < rate] = -1
    return out


def make_churn_table(n: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Generate ``n`` synthetic telecom/subscription customers and whether each churned.

    Returns ``(X, y)``: ``X`` is a pandas DataFrame with 30 feature columns, ``y`` a numpy int64
    array of 0/1 labels (about 20% ones). The same ``(n, seed)`` always gives the same table
    (numpy ``Generator`` PCG64); a different ``n`` gives a different table, not a prefix.

    Columns (22 numeric float64, 8 categorical as pandas ``category`` dtype with fixed category
    lists, so any two tables share their categories):

    * account: ``tenure_months`` (0-72), ``monthly_charges``, ``total_charges`` (~ tenure x
      monthly, 1% missing), ``discount_pct``, ``price_increase_pct``, ``n_addons``,
      ``dependents``, ``age`` (4% missing), ``referrals``, ``device_count``;
    * activity: ``logins_7d``, ``logins_30d``, ``logins_90d``, ``sessions_30d``,
      ``avg_session_minutes`` (3% missing), ``days_since_last_login`` (2% missing),
      ``data_usage_gb`` (2% missing);
    * service and billing: ``support_tickets_90d``, ``payment_failures_12m``,
      ``late_payments_12m``, ``nps_score`` (0-10, 8% missing, more often for unhappy customers),
      ``satisfaction`` (1-5, 15% missing);
    * categorical: ``contract`` (3), ``payment_method`` (4, 2% missing), ``internet_service``
      (3), ``plan`` (4), ``region`` (50, each with its own hidden churn effect),
      ``acquisition_channel`` (6, 3% missing), ``gender`` (2, 5% missing), ``paperless_billing``.

    The true log-odds mix smooth effects (log tenure, age), thresholds (inactive for more than
    14 / 30 days, two or more payment failures, price rise above 10%), interactions (month-to-month
    x new customer, fiber x high charges, tickets x low satisfaction, declining logins) and the
    per-region effects, plus an unobserved N(0, 0.9) customer effect, so a good model reaches a
    test AUC of about 0.84, well below 1, and accuracy differences between models are visible.
    Missing values are drawn after the labels (the label uses the true values), except that a
    missing NPS score is itself a churn signal.
    """
    if n < 1:
        raise ValueError("make_churn_table: n must be positive")
    rng = np.random.default_rng(seed)
    f64 = np.float64

    # --- account ------------------------------------------------------------------------------
    contract = rng.choice(3, size=n, p=[0.55, 0.25, 0.20])
    # longer contracts go with longer tenure
    tenure = np.clip(rng.gamma(1.3 + 1.2 * contract, 10.0), 0, 72).round()
    internet = rng.choice(3, size=n, p=[0.35, 0.45, 0.20])
    plan = rng.choice(4, size=n, p=[0.35, 0.35, 0.18, 0.12])
    n_addons = rng.binomial(5, 0.15 + 0.1 * plan / 3).astype(f64)
    base_price = np.array([45.0, 75.0, 20.0])[internet] + np.array([0.0, 10.0, 25.0, 35.0])[plan]
    monthly = np.round(base_price + 5.0 * n_addons + rng.normal(0, 6.0, n), 2).clip(15, None)
    total = np.round(monthly * tenure * rng.uniform(0.92, 1.05, n), 2)
    discount = np.where(rng.random(n) < 0.25, rng.choice([5.0, 10.0, 15.0, 20.0, 30.0], n), 0.0)
    price_increase = np.where(rng.random(n) < 0.3, rng.gamma(2.0, 4.0, n).round(1), 0.0)
    dependents = rng.poisson(0.4 + 0.9 * (plan == 3), n).astype(f64)
    age = np.clip(rng.normal(44, 15, n), 18, 90).round()
    referrals = rng.poisson(0.3 + 0.02 * tenure, n).astype(f64)
    device_count = (1 + rng.poisson(0.5 + 0.6 * (plan >= 2) + 0.4 * dependents, n)).astype(f64)
    region = rng.choice(50, size=n, p=rng.dirichlet(np.full(50, 2.0)))
    payment = rng.choice(4, size=n, p=[0.33, 0.17, 0.25, 0.25])
    channel = rng.choice(6, size=n, p=[0.35, 0.2, 0.15, 0.1, 0.1, 0.1])
    gender = rng.integers(0, 2, n)
    paperless = (rng.random(n) < 0.45 + 0.25 * (payment == 0)).astype(np.int64)

    # --- activity: a latent engagement level with a recent trend ------------------------------
    engagement = rng.gamma(2.0, 1.0, n) * (1.0 + 0.15 * device_count)
    trend = rng.normal(0.0, 0.35, n)  # < 0: logins falling off
    rate90 = engagement * 10.0
    logins_90d = rng.poisson(rate90).astype(f64)
    logins_30d = rng.poisson(rate90 / 3.0 * np.exp(trend * 0.7)).astype(f64)
    logins_7d = rng.poisson(rate90 / 12.9 * np.exp(trend * 1.5)).astype(f64)
    sessions_30d = (logins_30d * rng.uniform(1.0, 2.5, n)).round()
    avg_session = np.round(rng.lognormal(2.3 + 0.1 * plan, 0.5, n), 1)
    days_since_login = np.minimum(rng.exponential(3.0 / (0.3 + logins_7d / 4.0 + 0.1)), 120).round()
    data_usage = np.round(rng.gamma(2.0, 8.0 + 6.0 * (internet == 1), n) * (internet != 2), 1)

    # --- service and billing ------------------------------------------------------------------
    tickets = rng.poisson(0.5 + 0.6 * (internet == 1) + 0.3 * (tenure < 6), n).astype(f64)
    payment_failures = rng.poisson(0.15 + 0.35 * (payment == 0), n).astype(f64)
    late_payments = rng.poisson(0.3 + 0.5 * payment_failures, n).astype(f64)
    sat_latent = rng.normal(0.0, 1.0, n) - 0.35 * tickets + 0.02 * tenure
    satisfaction = np.clip(np.round(3.2 + sat_latent), 1, 5)
    nps = np.clip(np.round(7.0 + 1.6 * sat_latent + rng.normal(0, 1.2, n)), 0, 10)

    # --- true log-odds ------------------------------------------------------------------------
    region_effect = rng.normal(0.0, 0.35, 50)
    eta = (
        _INTERCEPT
        - 0.55 * np.log1p(tenure)
        + np.array([0.9, -0.2, -1.2])[contract]
        + 0.8 * ((contract == 0) & (tenure < 6))
        + 0.012 * (monthly - 65.0)
        + 0.6 * ((internet == 1) & (monthly > 95.0))
        - 0.35 * (internet == 2)
        + np.array([0.45, 0.0, -0.15, -0.2])[payment]
        + 0.15 * paperless
        + 0.9 * (days_since_login > 14) + 0.7 * (days_since_login > 30)
        - 0.55 * np.tanh(trend * 2.0)
        - 0.25 * np.log1p(logins_30d)
        + 0.35 * np.minimum(payment_failures, 3) + 0.5 * (payment_failures >= 2)
        + 0.25 * tickets * (satisfaction <= 2) + 0.05 * tickets
        - 0.18 * (nps - 7.0)
        + 0.7 * (price_increase > 10.0) - 0.03 * discount
        - 0.12 * n_addons - 0.15 * np.minimum(referrals, 4) - 0.1 * dependents
        + 0.00025 * (age - 45.0) ** 2 - 0.008 * (age - 45.0)
        + np.array([0.0, -0.1, 0.0, 0.1, -0.3, 0.35])[channel]
        + region_effect[region]
        + rng.normal(0.0, 0.9, n)
    )
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-eta))).astype(np.int64)

    # --- missing values (after the label) -----------------------------------------------------
    nps_obs = nps.copy()
    nps_obs[rng.random(n) < 0.04 + 0.08 * (satisfaction <= 2)] = np.nan
    X = pd.DataFrame(
        {
            "tenure_months": tenure,
            "monthly_charges": monthly,
            "total_charges": _with_missing(rng, total, 0.01),
            "discount_pct": discount,
            "price_increase_pct": price_increase,
            "n_addons": n_addons,
            "dependents": dependents,
            "age": _with_missing(rng, age, 0.04),
            "referrals": referrals,
            "device_count": device_count,
            "logins_7d": logins_7d,
            "logins_30d": logins_30d,
            "logins_90d": logins_90d,
            "sessions_30d": sessions_30d,
            "avg_session_minutes": _with_missing(rng, avg_session, 0.03),
            "days_since_last_login": _with_missing(rng, days_since_login, 0.02),
            "data_usage_gb": _with_missing(rng, data_usage, 0.02),
            "support_tickets_90d": tickets,
            "payment_failures_12m": payment_failures,
            "late_payments_12m": late_payments,
            "nps_score": nps_obs,
            "satisfaction": _with_missing(rng, satisfaction, 0.15),
            "contract": _cat(contract, _CONTRACTS),
            "payment_method": _cat(_missing_codes(rng, payment, 0.02), _PAYMENTS),
            "internet_service": _cat(internet, _INTERNET),
            "plan": _cat(plan, _PLANS),
            "region": _cat(region, _REGIONS),
            "acquisition_channel": _cat(_missing_codes(rng, channel, 0.03), _CHANNELS),
            "gender": _cat(_missing_codes(rng, gender, 0.05), ["female", "male"]),
            "paperless_billing": _cat(paperless, ["no", "yes"]),
        }
    )
    return X, y
