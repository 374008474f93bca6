"""The README's Python snippets run, in order, as one session (in a scratch folder)."""

import pathlib
import re

import pytest

README = pathlib.Path(__file__).resolve().parents[2] / "README.md"


def python_blocks():
    return re.findall(r"^```python\n(.*?)^```", README.read_text(encoding="utf-8"), re.S | re.M)


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
    assert set(namespace["cl"].LogisticRegression().fit(
        namespace["X_train"], namespace["labels"]).classes_) == {"churned", "stayed"}
