"""examples/retention.py runs end to end and writes the files it promises: the BI export, the
KPI table (CSV and JSON) and the alert log; a second run within the cooldown adds no alert."""

import json
import os
import pathlib
import subprocess
import sys

import pandas as pd

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "retention.py"


def run(out):
    return subprocess.run([sys.executable, str(EXAMPLE), "--customers", "4000", "--out", str(out)],
                          capture_output=True, text=True, timeout=600, check=True).stdout


def test_retention_example_writes_the_export_kpis_and_alerts(tmp_path):
    stdout = run(tmp_path)
    export = pd.read_csv(tmp_path / "customers_export.csv")
    assert len(export) == 4000
    assert {"id", "score", "bucket", "segment", "revenue_at_risk", "clv", "expected_loss",
            "action", "expected_net_value"} <= set(export.columns)
    assert export["id"].is_unique
    assert set(export["bucket"]) <= {"low", "medium", "high", "critical"}
    acted = export["action"].notna()
    assert acted.any() and (export.loc[acted, "expected_net_value"] > 0).all()
    kpis = pd.read_csv(tmp_path / "kpis.csv")
    overall = kpis[kpis["level"] == "overall"].iloc[0]
    assert overall["customers"] == 4000
    assert abs(overall["revenue_at_risk"] - export["revenue_at_risk"].sum()) <= 1e-6 * overall[
        "revenue_at_risk"]
    doc = json.loads((tmp_path / "kpis.json").read_text())
    assert len(doc["rows"]) == len(kpis)
    lines = (tmp_path / "alerts.jsonl").read_text().splitlines()
    assert lines and all(json.loads(line)["kind"] in {"risk_threshold", "risk_jump",
                                                       "model_quality"} for line in lines)
    assert f"{len(lines):,} new after the cooldown" in stdout
    # the same alerts again within the 7-day cooldown: nothing new is written
    again = run(tmp_path)
    assert "0 new after the cooldown" in again
    assert len((tmp_path / "alerts.jsonl").read_text().splitlines()) == len(lines)
