"""Monitoring shared by both datasets (serverless_ml/monitoring.py)."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from serverless_ml import datasets, iris, monitoring
from tests.conftest import PYTHON, REPO

SPEC = iris.DATASET


def _history(rows) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"id": i, "event_time": pd.Timestamp(day), "predicted": p, "label": a, "model_version": 1}
            for i, (day, p, a) in enumerate(rows)
        ]
    )


def test_confusion_matrix_names_every_class_even_unseen():
    figure = monitoring.confusion_matrix_figure(["Setosa"], ["Setosa"], SPEC)
    axes = figure.axes[0]
    assert [t.get_text() for t in axes.get_xticklabels()] == list(iris.VARIETIES)
    assert [t.get_text() for t in axes.get_yticklabels()] == list(iris.VARIETIES)
    assert (axes.get_xlabel(), axes.get_ylabel()) == ("Predicted", "Actual")
    cells = [t.get_text() for t in axes.texts]
    assert cells == ["1", "0", "0", "0", "0", "0", "0", "0", "0"]


def test_confusion_matrix_puts_truth_on_rows():
    figure = monitoring.confusion_matrix_figure(["Setosa"], ["Virginica"], SPEC)
    assert [t.get_text() for t in figure.axes[0].texts][2] == "1"  # row Setosa, column Virginica


def test_accuracy_by_day_and_rolling_week():
    history = _history(
        [
            ("2026-01-01", "Setosa", "Setosa"),
            ("2026-01-02", "Setosa", "Virginica"),
            ("2026-01-02", "Setosa", "Setosa"),
            ("2026-01-10", "Virginica", "Virginica"),
        ]
    )
    daily = monitoring.accuracy_by_day(history, SPEC)
    assert daily["accuracy"].tolist() == [1.0, 0.5, 1.0]
    assert daily["rolling_7d"].tolist() == pytest.approx([1.0, 2 / 3, 1.0])


def test_recent_predictions_newest_first():
    history = _history([("2026-01-01", "Setosa", "Setosa"), ("2026-01-03", "Setosa", "Virginica")])
    table = monitoring.recent_predictions(history, SPEC)
    assert table["date"].tolist() == ["2026-01-03", "2026-01-01"]
    assert table["correct"].tolist() == ["no", "yes"]


def test_write_monitoring_images(tmp_path: Path):
    history = _history([("2026-01-01", "Setosa", "Setosa"), ("2026-01-03", "Versicolor", "Virginica")])
    paths = monitoring.write_monitoring_images(history, SPEC, tmp_path)
    assert sorted(p.name for p in paths) == sorted([*datasets.IMAGES, datasets.TABLE])
    assert pd.read_csv(tmp_path / "recent.csv")["date"].tolist() == ["2026-01-03", "2026-01-01"]
    for path in paths[:-1]:
        with Image.open(path) as image:
            assert image.format == "PNG" and image.width > 100 and image.height > 50
    assert (tmp_path / "predicted.png").read_bytes() == SPEC.image("Versicolor").read_bytes()
    assert (tmp_path / "actual.png").read_bytes() == SPEC.image("Virginica").read_bytes()
    assert not list(tmp_path.glob(".*")), "a temporary file was left behind"


def test_no_history_draws_nothing(tmp_path: Path):
    assert monitoring.write_monitoring_images(pd.DataFrame(), SPEC, tmp_path) == []


def test_importing_the_package_leaves_the_matplotlib_backend_alone():
    # a notebook imports these; its inline backend must stay
    modules = ["monitoring", "inference", "model_files", "apps", "iris", "titanic", "dashboard", "runner", "cli"]
    code = (
        "import matplotlib; matplotlib.use('svg')\n"
        + "".join(f"import serverless_ml.{m}\n" for m in modules)
        + "print(matplotlib.get_backend())"
    )
    done = subprocess.run([PYTHON, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "svg"


def test_figures_stay_out_of_pyplot(tmp_path: Path):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    history = _history([("2026-01-01", "Setosa", "Setosa"), ("2026-01-03", "Versicolor", "Virginica")])
    monitoring.write_monitoring_images(history, SPEC, tmp_path)
    monitoring.confusion_matrix_figure(["Setosa"], ["Setosa"], SPEC)
    assert plt.get_fignums() == before, "a figure was left open in pyplot"


#: Both charts, drawn from a tiny history: what the chart tests below take in turn.
CHARTS = pytest.mark.parametrize(
    "draw",
    [
        lambda: monitoring.confusion_matrix_figure(["Setosa"], ["Virginica"], SPEC),
        lambda: monitoring.accuracy_figure(_history([("2026-01-01", "Setosa", "Setosa")]), SPEC),
    ],
    ids=["confusion_matrix", "accuracy"],
)


@CHARTS
def test_a_returned_figure_shows_as_png_in_a_notebook(draw):
    png = draw()._repr_png_()  # what Jupyter calls for a cell that ends with the figure
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG" and image.width > 100


@CHARTS
def test_no_chart_text_is_smaller_than_the_phone_needs(draw):
    """Every text of a chart is at least CHART_FONT_PT: shown on a 390 px phone (a browser test measures the
    scale) that is 10 px or more."""
    from matplotlib.text import Text

    figure = draw()
    figure.canvas.draw()  # tick labels are made when drawn
    sizes = {t.get_text(): t.get_fontsize() for t in figure.findobj(Text) if t.get_visible() and t.get_text()}
    assert sizes and min(sizes.values()) >= monitoring.CHART_FONT_PT, sizes
