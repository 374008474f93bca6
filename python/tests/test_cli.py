"""The ``churn`` command line: every subcommand run in a subprocess (``python -m churnlib``)
on small generated data; outputs, exit codes, ``-`` for stdin/stdout, the config file, logs,
and atomic output on failure. The bounded-memory test is in test_cli_memory.py."""

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import churnlib as cl
from churnlib.cli import build_parser, main

CHUNK = "400"  # rows per chunk: several chunks in every file below


def churn(*args, stdin=None, env=None, cwd=None):
    """Runs ``python -m churnlib ARGS``; returns the CompletedProcess (bytes output)."""
    full_env = dict(os.environ, **(env or {}))
    full_env.pop("CHURN_CLI_FAIL_AFTER_CHUNKS", None) if not env else None
    return subprocess.run([sys.executable, "-m", "churnlib", *map(str, args)], input=stdin,
                          capture_output=True, env=full_env, cwd=cwd, timeout=120)


def err(r):
    return r.stderr.decode()


class Ran:
    """The result of an in-process run (``main``): exit code, stdout and stderr as bytes."""

    def __init__(self, code, out, error):
        self.returncode, self.stdout, self.stderr = code, out.encode(), error.encode()


@pytest.fixture
def run_main(capsys):
    """``churn`` run in this process (for the error paths: no interpreter start-up to pay;
    the subprocess tests cover the entry points)."""
    def run(*args):
        capsys.readouterr()
        code = main([str(a) for a in args])
        out, error = capsys.readouterr()
        return Ran(code, out, error)
    return run


def assert_one_line_error(r, code=2):
    assert r.returncode == code, err(r)
    text = err(r)
    assert "Traceback" not in text
    assert len(text.strip().splitlines()) == 1, text
    assert "error:" in text


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """A folder with training data, new customers and a model trained by `churn train`."""
    d = tmp_path_factory.mktemp("cli")
    cl.write_csv(cl.make_customers(2000, seed=1), d / "train.csv")
    new = cl.make_customers(1500, seed=5)
    cl.write_csv(new, d / "new.csv")
    cl.write_parquet(new, d / "new.parquet")
    r = churn("train", d / "train.csv", "--target", "churned", "--candidates", "logistic",
              "gbdt", "--cv", "3", "--out", d / "model.json", "--registry", d / "models",
              "--name", "churn", "--stage", "production", "--tag", "owner=tests")
    assert r.returncode == 0, err(r)
    (d / "train_stdout.txt").write_bytes(r.stdout)
    return d


@pytest.fixture(scope="module")
def model(work):
    return cl.ChurnModel.load(work / "model.json")


def in_memory_csv(model, path, **kw):
    """What scoring the whole file at once gives, as churnlib writes CSV."""
    dtypes = {c.name: c.dtype for c in model.contract_.columns}
    return cl.to_csv_string(model.score(cl.read_csv(path, dtypes=dtypes), **kw)).encode()


# ---- help --------------------------------------------------------------------------------------

def test_every_subcommand_has_a_man_page_with_an_example(capsys):
    _, commands = build_parser()
    assert set(commands) == {"validate", "train", "score", "drift", "segment", "alerts",
                             "report"}
    for name in commands:
        with pytest.raises(SystemExit) as e:
            main([name, "--help"])
        assert e.value.code == 0
        text = capsys.readouterr().out
        assert "examples:" in text and f"churn {name} " in text, name
        assert "Exit status" in text or "exit" in text.lower(), name
        assert "--config" in text and "--log-format" in text


def test_console_script_and_module_entry_points():
    r = churn("--version")
    assert r.returncode == 0 and b"churnlib" in r.stdout
    script = os.path.join(os.path.dirname(sys.executable), "churn")
    if not os.path.exists(script):
        pytest.skip("the churn console script is not installed next to this interpreter")
    r = subprocess.run([script, "--help"], capture_output=True, timeout=60)
    assert r.returncode == 0 and b"validate" in r.stdout


def test_usage_errors_exit_2(run_main):
    r = run_main("score")
    assert_one_line_error(r)
    assert "DATA is required" in err(r)
    r = churn("frobnicate")
    assert r.returncode == 2 and "Traceback" not in err(r)


# ---- validate ----------------------------------------------------------------------------------

def test_validate(work, run_main):
    contract = cl.ChurnModel.load(work / "model.json").contract_
    specs = []
    for c in contract.columns:
        if c.name == "tenure_months":
            c = cl.ColumnSpec(c.name, c.dtype, min=0.0, max=72.0)
        specs.append(c)
    strict = cl.Schema(specs).allow_extra_columns(True).unique("customer_id")
    strict.save(work / "contract.json")
    assert churn("validate", work / "new.csv", "--schema", work / "contract.json").returncode == 0
    # the model bundle is a contract too
    assert run_main("validate", work / "new.csv", "--schema", work / "model.json").returncode == 0

    df = pd.read_csv(work / "new.csv", dtype=str, keep_default_na=False)
    df.loc[3, "tenure_months"] = "abc"            # not a number
    df.loc[700, "tenure_months"] = "99"           # above the maximum, in a later chunk
    df.loc[1200, "customer_id"] = df.loc[10, "customer_id"]   # a repeat across chunks
    df.to_csv(work / "bad.csv", index=False)
    r = churn("validate", work / "bad.csv", "--schema", work / "contract.json",
              "--chunk-rows", CHUNK)
    assert r.returncode == 1, err(r)
    lines = r.stdout.decode().splitlines()
    assert lines == [
        "row 3, column 'tenure_months': value 'abc' is not a number (float64)",
        "row 700, column 'tenure_months': value 99 is above the maximum 72",
        f"row 1200, column 'customer_id': value '{df.loc[10, 'customer_id']}' repeats an "
        "earlier row",
    ]
    assert "3 violations" in err(r)
    # machine-readable, from stdin
    r = churn("validate", "-", "--schema", work / "contract.json", "--format", "csv",
              stdin=(work / "bad.csv").read_bytes())
    assert r.returncode == 1
    got = pd.read_csv(__import__("io").BytesIO(r.stdout))
    assert got["row"].tolist() == [3, 700, 1200]
    assert got["rule"].tolist() == ["type", "max", "unique"]
    # I/O errors: exit 2, one line
    assert_one_line_error(run_main("validate", work / "nope.csv", "--schema",
                                   work / "contract.json"))
    assert_one_line_error(run_main("validate", work / "new.csv", "--schema", work / "new.csv"))


# ---- train -------------------------------------------------------------------------------------

def test_train_prints_the_comparison_and_registers(work, model, run_main):
    out = (work / "train_stdout.txt").read_text()
    assert "candidate" in out and "logistic" in out and "gbdt" in out and "hold-out" in out
    assert model.tags_ == {"owner": "tests"}
    registry = cl.ModelRegistry(work / "models")
    versions = registry.list("churn")
    assert len(versions) == 1
    assert registry.load("churn", "production").to_json() == model.to_json()
    r = run_main("train", work / "train.csv", "--target", "no_such_column", "--out",
              work / "x.json")
    assert_one_line_error(r)
    assert "no_such_column" in err(r) and not (work / "x.json").exists()


# ---- score -------------------------------------------------------------------------------------

def test_score_csv_equals_in_memory_scoring(work, model):
    r = churn("score", work / "new.csv", "--model", work / "model.json", "--out",
              work / "scores.csv", "--chunk-rows", CHUNK, "--columns", "reasons")
    assert r.returncode == 0, err(r)
    assert (work / "scores.csv").read_bytes() == in_memory_csv(model, work / "new.csv")
    assert "scored 1500 rows" in err(r)


def test_score_parquet_registry_and_columns(work, model):
    r = churn("score", work / "new.parquet", "--model", f"{work / 'models'}:churn@production",
              "--out", work / "scores.parquet", "--chunk-rows", CHUNK,
              "--columns", "bucket,reasons", "--bucket-cuts", "0.2,0.5")
    assert r.returncode == 0, err(r)
    got = pd.read_parquet(work / "scores.parquet")
    want = model.score(cl.read_parquet(work / "new.parquet"))
    assert list(got.columns) == list(want.columns) + ["bucket"]
    np.testing.assert_array_equal(got["probability"].to_numpy(), want["probability"].to_numpy())
    for c in ("reason_1", "reason_3"):
        assert got[c].astype(object).where(got[c].notna(), None).tolist() == \
            want[c].astype(object).where(want[c].notna(), None).tolist()
    p = want["probability"].to_numpy()
    expected = np.array(["low", "medium", "high"])[np.searchsorted([0.2, 0.5], p, side="right")]
    assert got["bucket"].astype(str).tolist() == expected.tolist()


def test_score_stdin_to_stdout(work, model):
    r = churn("score", "-", "--model", work / "model.json", "--out", "-",
              "--chunk-rows", CHUNK, stdin=(work / "new.csv").read_bytes())
    assert r.returncode == 0, err(r)
    assert r.stdout == in_memory_csv(model, work / "new.csv", n_reasons=0)


def test_score_actions_from_rules(work, model, run_main):
    rules = {"rules": [{"name": "call_risky",
                        "when": {"feature": "bucket", "op": "in", "values": ["high", "critical"]},
                        "action": {"name": "call", "cost": 5.0, "success_rate": 0.3,
                                   "channel": "phone"}}]}
    (work / "rules.json").write_text(json.dumps(rules))
    r = churn("score", work / "new.csv", "--model", work / "model.json", "--out",
              work / "actions.csv", "--columns", "action", "--rules", work / "rules.json",
              "--value-column", "monthly_charges", "--chunk-rows", CHUNK)
    assert r.returncode == 0, err(r)
    got = pd.read_csv(work / "actions.csv")
    assert "bucket" not in got.columns and "reason_1" not in got.columns
    p = got["probability"].to_numpy()
    value = pd.read_csv(work / "new.csv")["monthly_charges"].fillna(0).to_numpy() * 12
    called = (p >= 0.5) & (p * 0.3 * value - 5.0 > 0)
    assert (got["action"] == "call").to_numpy().tolist() == called.tolist()
    # a budget needs the whole population: refused
    rules["budget"] = 100.0
    (work / "rules_budget.json").write_text(json.dumps(rules))
    r = run_main("score", work / "new.csv", "--model", work / "model.json", "--out",
              work / "x.csv", "--columns", "action", "--rules", work / "rules_budget.json",
              "--value-column", "monthly_charges")
    assert_one_line_error(r)
    assert "budget" in err(r)


def _leftovers(folder):
    return [n for n in os.listdir(folder) if n.endswith(".tmp")]


def test_score_failure_leaves_the_old_output(work, model, run_main):
    out = work / "kept.csv"
    out.write_bytes(b"the previous run's output\n")
    # a forced failure after two chunks
    r = churn("score", work / "new.csv", "--model", work / "model.json", "--out", out,
              "--chunk-rows", CHUNK, env={"CHURN_CLI_FAIL_AFTER_CHUNKS": "2"})
    assert_one_line_error(r)
    assert "forced failure after 2 chunk(s)" in err(r)
    assert out.read_bytes() == b"the previous run's output\n"
    assert _leftovers(work) == []
    # a corrupt row in a later chunk (text in a numeric column)
    lines = (work / "new.csv").read_text().splitlines()
    header = lines[0].split(",")
    fields = lines[1201].split(",")
    fields[header.index("monthly_charges")] = "twelve"
    lines[1201] = ",".join(fields)
    (work / "corrupt.csv").write_text("\n".join(lines) + "\n")
    r = churn("score", work / "corrupt.csv", "--model", work / "model.json", "--out", out,
              "--chunk-rows", CHUNK)
    assert_one_line_error(r)
    assert "twelve" in err(r) and "monthly_charges" in err(r)
    assert out.read_bytes() == b"the previous run's output\n"
    assert _leftovers(work) == []
    # --verbose shows the traceback
    r = run_main("score", work / "corrupt.csv", "--model", work / "model.json", "--out", out,
              "--chunk-rows", CHUNK, "--verbose")
    assert r.returncode == 2 and "Traceback" in err(r)
    # no output file is created by a failed run
    r = run_main("score", work / "corrupt.csv", "--model", work / "model.json", "--out",
              work / "never.parquet", "--chunk-rows", CHUNK)
    assert r.returncode == 2 and not (work / "never.parquet").exists()


def test_score_input_errors(work, run_main):
    cl.write_csv(cl.make_customers(50, seed=1).drop(["tenure_months"]), work / "short.csv")
    r = run_main("score", work / "short.csv", "--model", work / "model.json", "--out",
              work / "x.csv")
    assert_one_line_error(r)
    assert "tenure_months" in err(r)
    assert_one_line_error(run_main("score", work / "new.csv", "--model", work / "nope.json",
                                   "--out", work / "x.csv"))
    assert_one_line_error(run_main("score", work / "new.csv", "--model", work / "model.json",
                                   "--out", work / "x.csv", "--columns", "colour"))
    assert_one_line_error(run_main("score", work / "new.csv", "--model", work / "model.json",
                                   "--out", work / "no_folder" / "x.csv"))
    assert not (work / "x.csv").exists()


# ---- config file, logs ------------------------------------------------------------------------

def test_config_file_and_command_line_override(work, model, run_main):
    (work / "job.toml").write_text(f"""
quiet = true
[score]
data = "{work / 'new.csv'}"
model = "{work / 'model.json'}"
out = "{work / 'from_config.csv'}"
chunk-rows = 300
columns = "none"
""")
    r = churn("score", "--config", work / "job.toml")
    assert r.returncode == 0, err(r)
    assert err(r) == ""   # quiet from the top level
    assert (work / "from_config.csv").read_bytes() == in_memory_csv(model, work / "new.csv",
                                                                     n_reasons=0)
    # the command line wins over the file
    r = churn("score", "--config", work / "job.toml", "--columns", "reasons", "--out",
              work / "override.csv")
    assert r.returncode == 0, err(r)
    assert (work / "override.csv").read_bytes() == in_memory_csv(model, work / "new.csv")
    # an unknown key is named
    (work / "typo.toml").write_text("[score]\nchunk_rowz = 5\n")
    r = run_main("score", "--config", work / "typo.toml")
    assert_one_line_error(r)
    assert "chunk_rowz" in err(r)


def test_json_logs(work):
    r = churn("score", work / "new.csv", "--model", work / "model.json", "--out",
              work / "j.csv", "--log-format", "json")
    assert r.returncode == 0
    records = [json.loads(line) for line in err(r).splitlines()]
    assert records[-1]["level"] == "info" and records[-1]["rows"] == 1500
    r = churn("score", work / "nope.csv", "--model", work / "model.json", "--out",
              work / "j.csv", "--log-format", "json")
    assert r.returncode == 2
    (record,) = [json.loads(line) for line in err(r).splitlines()]
    assert record["level"] == "error" and "nope.csv" in record["message"]


# ---- drift -------------------------------------------------------------------------------------

def test_drift_estimates_performance_per_period_with_realised_labels(work, model, tmp_path):
    df = cl.read_csv(work / "new.csv").to_pandas()
    df["month"] = np.repeat(["2026-09", "2026-10", "2026-11"], 500)
    cl.write_csv(cl.Table.from_pandas(df), tmp_path / "months.csv")
    r = churn("drift", tmp_path / "months.csv", "--model", work / "model.json", "--period",
              "month", "--labels", "churned", "--json", tmp_path / "d.json", "--html",
              tmp_path / "d.html", "--chunk-rows", CHUNK, "--fail-on", "never")
    assert r.returncode == 0, err(r)
    out = r.stdout.decode()
    assert "estimated performance before the labels" in out and "2026-10" in out
    assert "the estimates are reliable" in out
    doc = json.loads((tmp_path / "d.json").read_text())
    expected = model.estimate_performance(df.drop(columns=["churned", "month"]),
                                          chunks=df["month"].to_numpy())
    expected.add_realised(df["churned"])
    assert doc["estimated_performance"] == expected.to_dict()
    assert "Performance estimated before the labels" in (tmp_path / "d.html").read_text()
    r = churn("drift", tmp_path / "months.csv", "--model", work / "model.json", "--period",
              "nope")
    assert r.returncode == 2 and b"--period column 'nope'" in r.stderr


def test_drift_report_and_exit_codes(work, model, run_main):
    r = churn("drift", work / "new.csv", "--model", work / "model.json", "--json",
              work / "drift.json", "--html", work / "drift.html", "--chunk-rows", CHUNK)
    assert r.returncode == 0, err(r)
    doc = json.loads((work / "drift.json").read_text())
    assert doc.pop("summary")["severity"] in ("stable", "moderate")
    whole = model.drift(cl.read_csv(work / "new.csv"))
    assert doc == whole.to_dict()    # chunks merged exactly
    page = (work / "drift.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "tenure_months" in page

    # with the performance estimate and the reconstruction error, as ChurnModel.drift()
    assert doc["estimated_performance"] is not None and doc["reconstruction"] is not None

    shifted = cl.make_customers(1500, seed=6).to_pandas()
    shifted["monthly_charges"] *= 1.8
    cl.write_csv(cl.Table.from_pandas(shifted), work / "shifted.csv")
    r = churn("drift", work / "shifted.csv", "--model", work / "model.json", "--json", "-")
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert doc["summary"]["severity"] == "significant"
    assert run_main("drift", work / "shifted.csv", "--model", work / "model.json", "--fail-on",
                    "never").returncode == 0
    r = run_main("drift", work / "new.csv", "--model", work / "model.json", "--fail-on",
              "moderate", "--json", work / "d.json")
    expected = 1 if json.loads((work / "d.json").read_text())["summary"]["severity"] != \
        "stable" else 0
    assert r.returncode == expected


# ---- segment, alerts ---------------------------------------------------------------------------

def test_segment(work, run_main):
    r = churn("segment", work / "train.csv", "--features",
              "tenure_months,monthly_charges,support_tickets", "--k", "2-4", "--model",
              work / "model.json", "--revenue-column", "monthly_charges", "--churn-column",
              "churned", "--out", work / "segments.csv", "--profiles", work / "profiles.json")
    assert r.returncode == 0, err(r)
    text = r.stdout.decode()
    assert "silhouette" in text and "revenue_at_risk" in text
    seg = pd.read_csv(work / "segments.csv")
    assert list(seg.columns) == ["customer_id", "segment"] and len(seg) == 2000
    prof = json.loads((work / "profiles.json").read_text())
    assert prof  # the C++ library's profile JSON
    r = run_main("segment", work / "train.csv", "--features", "tenure_months,region")
    assert_one_line_error(r)
    assert "region" in err(r)


def test_alerts_log_and_cooldown(work):
    r = churn("score", work / "new.csv", "--model", work / "model.json", "--out",
              work / "now.csv", "--columns", "none")
    assert r.returncode == 0
    prev = pd.read_csv(work / "now.csv")
    prev["probability"] = prev["probability"] * 0.5
    prev.to_csv(work / "before.csv", index=False)
    args = ["alerts", work / "now.csv", "--previous", work / "before.csv", "--log",
            work / "alerts.jsonl", "--threshold", "0.6", "--jump", "0.3", "--timestamp",
            "2024-05-01", "--drift", work / "drift.json", "--psi-warning", "0.0001"]
    r = churn(*args, "--fail-on", "warning")
    assert r.returncode == 1, err(r)
    log = [json.loads(line) for line in (work / "alerts.jsonl").read_text().splitlines()]
    now = pd.read_csv(work / "now.csv").set_index("customer_id")["probability"]
    before = prev.set_index("customer_id")["probability"]
    kinds = pd.Series([a["kind"] for a in log]).value_counts().to_dict()
    assert kinds["risk_threshold"] == int(((now >= 0.6) & (before < 0.6)).sum())
    assert kinds["risk_jump"] == int((now - before > 0.3).sum())
    assert kinds["drift"] >= 1
    # a rerun a day later: everything is within the cooldown, nothing new
    r = churn(*args[:-4], "--timestamp", "2024-05-02", "--fail-on", "warning")
    assert r.returncode == 0, err(r)
    assert len((work / "alerts.jsonl").read_text().splitlines()) == len(log)
    assert "0 new" in err(r)


def test_report_html_and_kpis(work, model, run_main):
    """`churn report`: the page with every section and the KPI JSON, whose numbers are the
    model's scores of the file; next month's report reads it as --previous."""
    out = work / "report.html"
    new = cl.read_csv(work / "new.csv", dtypes={c.name: c.dtype for c in model.contract_.columns})
    new = new.to_pandas()
    p = model.score(new.drop(columns=["churned"]))["probability"].to_numpy()
    log = cl.retention.AlertLog(work / "report_alerts.jsonl")
    log.append(cl.retention.risk_alerts(new["customer_id"], p, threshold=0.6,
                                        timestamp=pd.Timestamp("2024-05-31", tz="UTC")))
    r = churn("report", work / "new.csv", "--model", work / "model.json", "--out", out,
              "--labels", "churned", "--revenue", "monthly_charges", "--segment", "contract",
              "--period", "2024-05", "--alerts", work / "report_alerts.jsonl")
    assert r.returncode == 0, err(r)
    assert r.stdout.decode().split() == [str(out), str(work / "report.kpis.json")]
    page = out.read_text()
    for sid, _ in cl.reporting.SECTIONS:
        assert f'<section id="{sid}">' in page
    doc = json.loads((work / "report.kpis.json").read_text())
    assert doc["period"] == "2024-05" and doc["kpis"]["customers"] == len(p)
    np.testing.assert_allclose(doc["kpis"]["expected_churn_rate"], p.mean(), rtol=1e-12)
    assert doc["kpis"]["alerts"] == int((p >= 0.6).sum()) > 0
    r = run_main("report", work / "new.csv", "--model", work / "model.json", "--out",
                 work / "r2.html", "--previous", work / "report.kpis.json", "--period", "2024-06")
    assert r.returncode == 0, err(r)
    assert json.loads((work / "r2.kpis.json").read_text())["previous_period"] == "2024-05"
    # usage and input errors: one line, exit 2, nothing written
    assert_one_line_error(run_main("report", work / "new.csv", "--model", work / "model.json"))
    assert_one_line_error(run_main("report", work / "new.csv", "--model", work / "model.json",
                                   "--out", work / "r3.html", "--revenue", "no_such_column"))
    assert_one_line_error(run_main("report", work / "new.csv", "--model", work / "model.json",
                                   "--out", work / "nodir" / "r.html"))
    assert not (work / "r3.html").exists()
