"""The README's Python snippets run, in order, as one session (in a scratch folder); its C++
snippets are cut from examples/*.cpp, which CTest builds and runs (example.<name>)."""

import pathlib
import re

import pytest

README = pathlib.Path(__file__).resolve().parents[2] / "README.md"


def python_blocks():
    return re.findall(r"^```python\n(.*?)^```", README.read_text(encoding="utf-8"), re.S | re.M)


def cpp_blocks():
    return re.findall(r"^```cpp\n(.*?)^```", README.read_text(encoding="utf-8"), re.S | re.M)


def example_excerpts():
    """The dedented text between each `// [tag]` and `// [/tag]` pair of the C++ examples,
    joined per tag (a tag may open and close several times)."""
    import textwrap

    out = {}
    for path in sorted((README.parent / "examples").glob("*.cpp")):
        text = path.read_text(encoding="utf-8")
        for tag in sorted(set(re.findall(r"// \[([a-z-]+)\]\n", text))):
            parts = re.findall(r"// \[" + tag + r"\]\n(.*?)\n *// \[/" + tag + r"\]", text, re.S)
            out[(path.name, tag)] = textwrap.dedent("\n".join(parts))
    return out


def test_readme_cpp_snippets_are_cut_from_examples_that_run():
    excerpts = example_excerpts()
    blocks = cpp_blocks()
    assert len(blocks) >= 2
    for block in blocks:
        body = block.rstrip("\n")
        body = re.sub(r"^#include <churn/churn.hpp>\n\n", "", body)
        assert body in excerpts.values(), f"README C++ block not found in examples/*.cpp:\n{body}"


def test_readme_has_python_snippets():
    assert len(python_blocks()) >= 5


def test_readme_python_snippets_run(tmp_path, monkeypatch, capsys):
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "readme"}
    for i, block in enumerate(python_blocks(), 1):
        first = block.strip().splitlines()[0]
        try:
            exec(compile(block, f"README.md python block {i}", "exec"), namespace)
        except Exception as e:  # name the block that broke
            pytest.fail(f"README python block {i} ({first!r}) raised {type(e).__name__}: {e}")
    # what the snippets promise
    assert (tmp_path / "features.json").exists() and (tmp_path / "gbdt.json").exists()
    assert namespace["X_train"].shape[0] == 8_000
    assert 0.5 < namespace["cl"].metrics.roc_auc(namespace["y_new"], namespace["p"]) <= 1.0
    # the retention snippet: the budget holds, the export and the alert log are written
    summary = namespace["actions"].attrs["summary"]
    assert 0 < summary["spent"] <= 2000 and summary["n_assigned"] > 0
    assert namespace["kpis"]["customers"].iloc[0] == 1000
    assert (tmp_path / "export.csv").exists()
    assert len((tmp_path / "alerts.jsonl").read_text().splitlines()) == len(namespace["alerts"])
    # the plots snippet: the charts are written
    for name in ("roc.png", "gains.png", "importance.png", "shap.png", "why.png", "segments.png",
                 "revenue_at_risk.png"):
        assert (tmp_path / name).stat().st_size > 10_000, name
    # the report snippet: the page and its KPI JSON, the second report reads the first's
    assert (tmp_path / "churn_report.html").stat().st_size > 50_000
    assert (tmp_path / "churn_report.kpis.json").exists()
    assert "customers" in namespace["nxt"].change
    # the Dask snippet: scores for every row, and the report equals one machine's
    assert len(namespace["scores"]) == 1000 and namespace["same"]
    assert set(namespace["cl"].LogisticRegression().fit(
        namespace["X_train"], namespace["labels"]).classes_) == {"churned", "stayed"}


def command_line_section():
    text = README.read_text(encoding="utf-8")
    return text.split("\n## Command line\n", 1)[1].split("\n## ", 1)[0]


def test_readme_command_line_block_runs(tmp_path):
    """The README's `churn` commands run in a scratch folder (the section's TOML block saved
    as job.toml), with this interpreter's folder first on PATH (where pip put `churn`)."""
    import os
    import subprocess
    import sys

    section = command_line_section()
    (block,) = re.findall(r"^```bash\n(.*?)^```", section, re.S | re.M)
    (toml,) = re.findall(r"^```toml\n(.*?)^```", section, re.S | re.M)
    (tmp_path / "job.toml").write_text(toml)
    bindir = os.path.dirname(sys.executable)
    if not os.path.exists(os.path.join(bindir, "churn")):
        pytest.skip("the churn console script is not installed next to this interpreter")
    env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""))
    for line in block.strip().splitlines():
        command = line.split("  #")[0].strip()
        r = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True,
                           text=True, timeout=300)
        assert r.returncode in (0, 1), f"{command!r} exited {r.returncode}: {r.stderr}"
        assert "Traceback" not in r.stderr, r.stderr
    for name in ("model.json", "scores.parquet", "drift.json", "drift.html", "alerts.jsonl",
                 "scores.csv", "report.html", "report.kpis.json"):
        assert (tmp_path / name).stat().st_size > 0, name


def test_readme_spark_and_dask_examples_run(tmp_path):
    """The Spark and Dask section's commands (the examples, in local mode) run from the
    repository root with this interpreter and exit 0 (each checks its results against the
    single-machine calls)."""
    import os
    import subprocess
    import sys

    text = README.read_text(encoding="utf-8")
    section = text.split("\n### Spark and Dask", 1)[1].split("\n### ", 1)[0]
    (block,) = re.findall(r"^```bash\n(.*?)^```", section, re.S | re.M)
    lines = [line.split("  #")[0].strip() for line in block.strip().splitlines()]
    assert lines == ["python examples/spark_scoring.py", "python examples/dask_drift.py"]
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable)
    for command in lines:
        args = [sys.executable] + command.split()[1:]
        r = subprocess.run(args, cwd=README.parent, env=env, capture_output=True, text=True,
                           timeout=900)
        assert r.returncode == 0, f"{command!r} exited {r.returncode}:\n{r.stdout}\n{r.stderr}"
        assert "Traceback" not in r.stderr, r.stderr
        assert "True" in r.stdout, r.stdout
