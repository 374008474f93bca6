"""churnlib.monitor's multivariate drift: the domain classifier and PCA reconstruction error.

Issue 21's acceptance, measured: a correlation flip (every marginal unchanged) is caught by both
detectors and missed by PSI; the false-alarm rates under no drift are near the nominal alpha;
the pooled AUC and the PCA agree with scikit-learn; bad inputs, JSON, pickle and save/load.
"""

import pickle

import numpy as np
import pandas as pd
import pytest

import churnlib as cl
from churnlib import monitor

sklearn_metrics = pytest.importorskip("sklearn.metrics")


def correlated(n, rho, rng, extra=1):
    """x1, x2 standard normal with correlation rho (marginals N(0, 1) whatever rho), plus
    `extra` independent N(0, 1) columns."""
    x1 = rng.standard_normal(n)
    x2 = rho * x1 + np.sqrt(1 - rho ** 2) * rng.standard_normal(n)
    cols = {"x1": x1, "x2": x2}
    for j in range(extra):
        cols[f"z{j}"] = rng.standard_normal(n)
    return pd.DataFrame(cols)


# ---- 1. the correlation flip ----------------------------------------------------------------

def test_correlation_flip_is_caught_by_both_detectors_and_missed_by_psi():
    rng = np.random.default_rng(21)
    ref = correlated(3000, 0.8, rng, extra=2)
    cur = correlated(3000, -0.8, rng, extra=2)

    report = monitor.Baseline().fit(ref).compare(cur)
    psi = report.to_pandas()
    max_psi = psi["psi"].max()
    assert (psi["status"] == "stable").all(), psi
    assert max_psi < 0.02

    r = monitor.domain_classifier_drift(ref, cur, seed=1)
    assert r.drifted and r.p_value < 1e-6 and r.auc > 0.75
    assert set(r.features["feature"][:2]) == {"x1", "x2"}
    assert r.features["importance"][:2].sum() > 0.8
    alerts = r.alerts
    assert len(alerts) == 1 and alerts[0]["metric"] == "domain_classifier_auc"
    assert alerts[0]["subject"] == "multivariate" and alerts[0]["severity"] == "significant"

    pca = monitor.PcaDrift().fit(ref).compare(cur)
    assert pca.drifted and pca.reconstruction_error > pca.threshold and pca.p_value < 1e-6
    assert pca.alerts[0]["metric"] == "reconstruction_error"
    print(f"\ncorrelation flip (3000 + 3000 rows, rho +0.8 -> -0.8): domain classifier AUC "
          f"{r.auc:.4f} (pooled {r.pooled_auc:.4f}), p = {r.p_value:.3g}, top "
          f"{list(r.features['feature'][:2])}; max PSI {max_psi:.4f} (all stable); PCA error "
          f"{pca.reconstruction_error:.4f} > threshold {pca.threshold:.4f}, p = {pca.p_value:.3g}")


# ---- 2. false alarms under no drift -------------------------------------------------------------

N_SIMS = 400


def test_domain_classifier_false_alarm_rate_is_near_alpha():
    rng = np.random.default_rng(2021)
    alarms, pvalues = 0, []
    for s in range(N_SIMS):
        X = rng.standard_normal((800, 5))
        ref = pd.DataFrame(X[:400], columns=[f"f{j}" for j in range(5)])
        cur = pd.DataFrame(X[400:], columns=[f"f{j}" for j in range(5)])
        r = monitor.domain_classifier_drift(ref, cur, n_splits=3, n_estimators=30, alpha=0.05,
                                            seed=s, n_threads=1, shap_rows=1)
        alarms += r.drifted
        pvalues.append(r.p_value)
    rate = alarms / N_SIMS
    print(f"\ndomain classifier false-alarm rate at alpha=0.05 over {N_SIMS} simulations "
          f"(400 + 400 rows, 5 features, 3 folds, 30 trees): {rate:.4f}")
    assert abs(rate - 0.05) <= 0.02
    # the p-values are close to uniform: a tenth of them below 0.1, half below 0.5
    p = np.asarray(pvalues)
    assert abs((p < 0.1).mean() - 0.1) < 0.04 and abs((p < 0.5).mean() - 0.5) < 0.08


def test_pca_false_alarm_rate_is_near_alpha():
    rng = np.random.default_rng(7)
    n_sims, alarms = 5 * N_SIMS, 0
    cov = np.full((5, 5), 0.5) + 0.5 * np.eye(5)
    for s in range(n_sims):
        X = rng.multivariate_normal(np.zeros(5), cov, size=800)
        pca = monitor.PcaDrift(alpha=0.05, seed=s, n_threads=1).fit(X[:400])
        alarms += pca.compare(X[400:]).drifted
    rate = alarms / n_sims
    print(f"\nPcaDrift false-alarm rate at alpha=0.05 over {n_sims} simulations (400 reference + "
          f"400 current rows, 5 correlated features): {rate:.4f}")
    assert abs(rate - 0.05) <= 0.02


def brute_force_null_variance(scores, n_positive, rng, n_perm=20000):
    """Variance of the AUC over random labellings (average ranks, as Mann-Whitney)."""
    from scipy.stats import rankdata

    ranks = rankdata(scores)
    n = len(scores)
    n0 = n - n_positive
    aucs = np.empty(n_perm)
    for k in range(n_perm):
        pos = rng.choice(n, n_positive, replace=False)
        aucs[k] = (ranks[pos].sum() - n_positive * (n_positive + 1) / 2) / (n_positive * n0)
    return aucs.var()


@pytest.mark.parametrize("decimals", [None, 1])
def test_auc_null_variance_matches_a_permutation_of_the_labels(decimals):
    rng = np.random.default_rng(5)
    ref, cur = correlated(150, 0.5, rng), correlated(120, 0.5, rng)
    r = monitor.domain_classifier_drift(ref, cur, n_splits=3, n_estimators=10)
    scores = r.scores[::3]          # some fold-sized set of held-out scores, ties included
    if decimals is not None:
        scores = np.round(scores, decimals)  # heavy ties: the tie correction matters
    n_pos = len(scores) // 3
    want = brute_force_null_variance(scores, n_pos, rng)
    got = monitor.auc_null_variance(scores, n_pos)
    assert got == pytest.approx(want, rel=0.04)
    n = len(scores)
    no_ties = (n + 1) / (12 * n_pos * (n - n_pos))
    if decimals is not None:
        assert got < 0.97 * no_ties  # the correction is visible


# ---- 3. independent references ----------------------------------------------------------------

def test_pooled_auc_equals_scikit_learns_on_the_out_of_fold_scores():
    rng = np.random.default_rng(3)
    ref = correlated(500, 0.3, rng)
    cur = correlated(400, 0.3, rng)
    cur["x1"] += 0.4
    cur["grade"] = ref["grade"] = None
    ref["grade"] = pd.Categorical(rng.choice(["a", "b", "c"], 500))
    cur["grade"] = pd.Categorical(rng.choice(["a", "b", "c", "new"], 400))  # unseen "new"
    r = monitor.domain_classifier_drift(ref, cur, n_splits=4)
    assert r.scores.shape == (900,) and r.labels.sum() == 400
    assert r.pooled_auc == pytest.approx(sklearn_metrics.roc_auc_score(r.labels, r.scores),
                                         abs=1e-12)
    assert len(r.auc_folds) == 4 and r.auc == pytest.approx(np.mean(r.auc_folds), abs=1e-15)
    # the unseen category (a quarter of current) and the shifted x1 separate the batches
    assert set(r.features["feature"][:2]) == {"grade", "x1"}


def test_pca_agrees_with_scikit_learn_on_the_fit_half():
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(11)
    A = rng.standard_normal((1001, 6)) @ rng.standard_normal((6, 6))
    A[rng.random(A.shape) < 0.02] = np.nan                 # imputed by the fit half's mean
    df = pd.DataFrame(A, columns=list("abcdef"))
    pca = monitor.PcaDrift(variance=0.8, seed=4).fit(df)
    fit = cl.monitor.PcaDrift._core_type.fit_half(len(df), 4)
    held = np.setdiff1d(np.arange(len(df)), fit)
    assert len(fit) == 501 and pca.n_holdout_ == 500
    E = df.fillna(df.iloc[fit].mean()).to_numpy()
    scaler = StandardScaler().fit(E[fit])
    sk = PCA(n_components=0.8, svd_solver="full").fit(scaler.transform(E[fit]))
    assert pca.n_components_ == sk.n_components_
    np.testing.assert_allclose(pca.mean_, scaler.mean_, rtol=0, atol=1e-10)
    np.testing.assert_allclose(pca.scale_, scaler.scale_, rtol=1e-10)
    np.testing.assert_allclose(pca.explained_variance_, sk.explained_variance_, rtol=1e-8)
    signs = np.sign((pca.components_ * sk.components_).sum(axis=1))
    np.testing.assert_allclose(pca.components_, sk.components_ * signs[:, None], atol=1e-8)
    Z = scaler.transform(E[held])
    err = np.linalg.norm(Z - sk.inverse_transform(sk.transform(Z)), axis=1)
    assert pca.reference_error_ == pytest.approx(err.mean(), abs=1e-8)
    assert pca.reference_error_std_ == pytest.approx(err.std(ddof=1), abs=1e-8)
    np.testing.assert_allclose(pca.errors(df.iloc[held]), err, atol=1e-8)


def test_pca_frequency_encodes_categories():
    rng = np.random.default_rng(8)
    df = correlated(400, 0.5, rng)
    df["plan"] = pd.Categorical(rng.choice(["basic", "pro"], 400, p=[0.7, 0.3]))
    pca = monitor.PcaDrift(seed=2).fit(df)
    fit = monitor.PcaDrift._core_type.fit_half(400, 2)
    share = (df["plan"].iloc[fit] == "basic").mean()
    enc = df["plan"].iloc[fit].map({"basic": share, "pro": 1 - share}).astype(float)
    assert pca.mean_[-1] == pytest.approx(enc.mean(), abs=1e-12)
    assert pca.scale_[-1] == pytest.approx(enc.std(ddof=0), abs=1e-12)
    cur = df.copy()
    cur["plan"] = pd.Categorical(["enterprise"] * 400)      # unseen: encoded as 0
    assert pca.compare(cur).drifted


# ---- 4. inputs, persistence -------------------------------------------------------------------

def test_polars_and_arrow_frames_and_matrices_are_accepted():
    rng = np.random.default_rng(9)
    ref, cur = correlated(300, 0.5, rng), correlated(300, 0.5, rng)
    want = monitor.domain_classifier_drift(ref, cur, n_splits=3)
    assert monitor.domain_classifier_drift(ref.to_numpy(), cur.to_numpy(),
                                           n_splits=3).auc == want.auc
    assert monitor.domain_classifier_drift(cl.Table.from_pandas(ref), cur, n_splits=3).auc == \
        want.auc
    pa = pytest.importorskip("pyarrow")
    assert monitor.domain_classifier_drift(pa.table(ref), pa.table(cur), n_splits=3).auc == \
        want.auc
    pca = monitor.PcaDrift().fit(ref)
    e = pca.compare(cur).reconstruction_error
    assert monitor.PcaDrift().fit(ref.to_numpy()).compare(cur.to_numpy()).reconstruction_error \
        == e
    pl = pytest.importorskip("polars")
    assert pca.compare(pl.from_pandas(cur)).reconstruction_error == e


def test_bad_inputs_raise_named_errors():
    rng = np.random.default_rng(10)
    ref, cur = correlated(100, 0.5, rng), correlated(100, 0.5, rng)
    with pytest.raises(cl.InvalidArgument, match="'x2'"):
        monitor.domain_classifier_drift(ref, cur.drop(columns=["x2"]))
    with pytest.raises(cl.InvalidArgument, match="rows"):
        monitor.domain_classifier_drift(ref, cur.iloc[:0])
    with pytest.raises(cl.InvalidArgument, match="n_splits"):
        monitor.domain_classifier_drift(ref, cur.iloc[:3])
    with pytest.raises(cl.InvalidArgument, match="n_splits"):
        monitor.domain_classifier_drift(ref, cur, n_splits=1)
    with pytest.raises(cl.InvalidArgument, match="alpha"):
        monitor.domain_classifier_drift(ref, cur, alpha=0)
    with pytest.raises(TypeError):
        monitor.domain_classifier_drift(ref, cur, n_split=3)
    bad = cur.copy()
    bad.loc[7, "z0"] = np.inf
    with pytest.raises(cl.InvalidArgument, match=r"'z0'.*7|7.*'z0'"):
        monitor.domain_classifier_drift(ref, bad)
    changed = cur.copy()
    changed["x1"] = "text"
    with pytest.raises(cl.TypeMismatch, match="'x1'"):
        monitor.domain_classifier_drift(ref, changed)
    stamped = ref.assign(t=pd.Timestamp("2024-01-01"))
    with pytest.raises(cl.TypeMismatch, match="timestamp"):
        monitor.domain_classifier_drift(stamped, cur.assign(t=pd.Timestamp("2024-01-01")))
    with pytest.raises(cl.TypeMismatch):
        monitor.domain_classifier_drift({"a": 1}, cur)
    pca = monitor.PcaDrift()
    with pytest.raises(cl.NotFittedError, match="PcaDrift"):
        pca.compare(cur)
    with pytest.raises(cl.InvalidArgument, match="variance"):
        monitor.PcaDrift(variance=1.5).fit(ref)
    with pytest.raises(cl.InvalidArgument, match="4 rows"):
        pca.fit(ref.iloc[:3])
    with pytest.raises(cl.InvalidArgument, match="'z0'"):
        pca.fit(bad)
    pca.fit(ref)
    with pytest.raises(cl.InvalidArgument, match="'x2'"):
        pca.compare(cur.drop(columns=["x2"]))
    with pytest.raises(cl.TypeMismatch, match="'x1'"):
        pca.compare(changed)
    with pytest.raises(TypeError):
        monitor.PcaDrift(0.5, 0.1)  # alpha is keyword-only


def test_results_round_trip_json_and_pickle(tmp_path):
    rng = np.random.default_rng(12)
    ref, cur = correlated(300, 0.8, rng), correlated(300, -0.8, rng)
    r = monitor.domain_classifier_drift(ref, cur, n_splits=3)
    back = monitor.DomainClassifierResult.from_json(r.to_json())
    assert back == r and back.to_dict()["auc_folds"] == r.auc_folds
    assert back.features.equals(r.features)
    p = pickle.loads(pickle.dumps(r))
    assert p == r and np.array_equal(p.scores, r.scores)
    assert "DomainClassifierResult" in repr(r) and "<table" in r._repr_html_()
    assert r.alerts_frame().shape == (1, 5)

    pca = monitor.PcaDrift(variance=0.9, seed=3).fit(ref)
    res = pca.compare(cur)
    assert monitor.PcaDriftResult.from_json(res.to_json()) == res
    assert pickle.loads(pickle.dumps(res)) == res
    path = tmp_path / "pca.json"
    pca.save(path)
    loaded = monitor.PcaDrift.load(path)
    assert loaded.get_params() == pca.get_params()
    assert loaded.compare(cur) == res
    np.testing.assert_array_equal(loaded.errors(cur), pca.errors(cur))
    clone = pickle.loads(pickle.dumps(pca))
    assert clone.compare(cur) == res and clone.to_json() == pca.to_json()
    assert monitor.PcaDrift.from_json(pca.to_json()).compare(cur) == res
    assert "variance=0.9" in repr(pca)
    damaged = pca.to_json().replace('"PcaDrift"', '"Baseline"')
    with pytest.raises(cl.SerializationError):
        monitor.PcaDrift.from_json(damaged)


def test_plot_draws_the_separating_features(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    rng = np.random.default_rng(13)
    r = monitor.domain_classifier_drift(correlated(300, 0.8, rng), correlated(300, -0.8, rng),
                                        n_splits=3)
    ax = r.plot(path=tmp_path / "dc.png")
    assert (tmp_path / "dc.png").stat().st_size > 0
    assert {t.get_text() for t in ax.get_yticklabels()} == set(r.features["feature"])


def test_docstring_examples_run():
    import doctest

    import churnlib._multivariate as mv

    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for t in doctest.DocTestFinder().find(mv, "churnlib._multivariate", globs={}):
        runner.run(t)
    assert runner.tries > 0 and runner.failures == 0
