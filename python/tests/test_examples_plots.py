"""examples/plots.py runs end to end and writes its gallery: one PNG grid of every chart and an
HTML page with each chart embedded."""

import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("matplotlib")

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "plots.py"


def test_plots_example_writes_the_gallery(tmp_path):
    out = tmp_path / "report"
    stdout = subprocess.run([sys.executable, str(EXAMPLE), "--customers", "3000", "--out",
                             str(out)], capture_output=True, text=True, timeout=600,
                            check=True).stdout
    gallery = out / "gallery.png"
    assert f"gallery: {gallery}" in stdout and "12 charts" in stdout
    import matplotlib.image as mpimg

    img = mpimg.imread(gallery)
    assert img.shape[0] > 1000 and img.shape[1] > 1000
    rgb = (img[..., :3] * 255).astype(np.uint8).reshape(-1, 3)
    assert np.unique(rgb, axis=0).shape[0] > 500
    assert np.mean(np.any(rgb < 230, axis=1)) > 0.1
    page = (out / "gallery.html").read_text(encoding="utf-8")
    images = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 12 and all(len(b) > 10_000 for b in images)
    assert sorted(p.name for p in out.iterdir()) == ["gallery.html", "gallery.png"]

