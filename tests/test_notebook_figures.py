"""The lessons show their figures: every notebook in the learner's order, executed with papermill.

A cell draws when it calls a plotting function (pyplot, seaborn, the monitoring figures,
`show_images`); each such cell must leave an `image/png` output, and no cell may leave an error.
Importing the package once switched matplotlib to Agg and blanked them all without an error.
"""

from __future__ import annotations

import ast
from datetime import date

import nbformat
import pytest

from serverless_ml.runner import run_notebook
from tests.conftest import local_env

pytestmark = pytest.mark.slow

#: What a cell calls that puts a figure on the page (the last name of the called function).
DRAWING_CALLS = {
    "subplots", "figure", "plot", "scatter", "hist", "imshow", "show",
    "barplot", "histplot", "heatmap", "countplot", "boxplot", "lineplot", "scatterplot", "pairplot",
    "confusion_matrix_figure", "accuracy_figure", "show_images",
}  # fmt: skip
DAY = date(2026, 3, 1)
#: The learner's order: the EDA, then per dataset backfill, training, the day's sample, batch inference.
LESSONS = [
    ("titanic", "eda", {}),
    *[
        step
        for dataset in ("iris", "titanic")
        for step in [
            (dataset, "feature", {"BACKFILL": True}),
            (dataset, "training", {}),
            (dataset, "feature", {"BACKFILL": False, "RUN_DATE": DAY.isoformat()}),
            (dataset, "inference", {"RUN_DATE": DAY.isoformat()}),
        ]
    ],
]
#: The notebooks that must have drawing cells, so that renaming a function cannot empty the test.
DRAWING_NOTEBOOKS = {
    "titanic_0_eda",
    "iris_2_training_pipeline",
    "iris_3_batch_inference_pipeline",
    "titanic_2_training_pipeline",
    "titanic_3_batch_inference_pipeline",
}


def _called_names(source: str) -> set[str]:
    """The last name of every function a cell calls (`sns.heatmap(...)` gives `heatmap`)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics: not Python, and not drawing here
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Attribute):
                names.add(node.func.attr)
            elif isinstance(node.func, ast.Name):
                names.add(node.func.id)
    return names


def drawing_cells(notebook: nbformat.NotebookNode) -> list[tuple[int, nbformat.NotebookNode]]:
    """The code cells (with their index) that call a plotting function."""
    return [
        (index, cell)
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and _called_names(cell.source) & DRAWING_CALLS
    ]


@pytest.mark.parametrize(
    ("source", "draws"),
    [
        ("sns.heatmap(frame, annot=True);", True),
        ("fig, axes = plt.subplots(1, 2)", True),
        ('confusion_matrix_figure(y, p, SPEC, title="Held-out")', True),
        ("monitoring.show_images(images)", True),
        ("images = monitoring.write_monitoring_images(history, SPEC, folder)", False),
        ("result.metrics", False),
        ("%matplotlib inline", False),
    ],
)
def test_drawing_cells_are_found_by_what_they_call(source, draws):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    assert bool(drawing_cells(notebook)) is draws


@pytest.fixture(scope="module")
def executed(tmp_path_factory, titanic_csv) -> list[tuple[str, nbformat.NotebookNode]]:
    """Every lesson, in order, on one fresh store: (step, executed notebook) pairs."""
    root = tmp_path_factory.mktemp("lessons")
    notebooks = []
    with pytest.MonkeyPatch.context() as mp:
        local_env(mp, root)
        mp.setenv("SML_TITANIC_CSV", titanic_csv[0])
        for step, (dataset, stage, parameters) in enumerate(LESSONS, start=1):
            path = run_notebook(dataset, stage, parameters, root / "runs" / f"{step:02d}")
            notebooks.append((f"{step:02d} {path.stem} {parameters}", nbformat.read(path, as_version=4)))
    return notebooks


def _last_run(executed, name: str) -> nbformat.NotebookNode:
    return [notebook for step, notebook in executed if step.split()[1] == name][-1]


def test_the_lessons_draw(executed):
    for name in DRAWING_NOTEBOOKS:
        assert drawing_cells(_last_run(executed, name)), f"{name}: no cell draws any more; update DRAWING_CALLS"


@pytest.mark.parametrize("name", sorted(DRAWING_NOTEBOOKS))
def test_every_drawing_cell_shows_an_image(executed, name):
    blank = [
        f"cell {index}: {cell.source.splitlines()[-1]!r}"
        for index, cell in drawing_cells(_last_run(executed, name))
        if not any("image/png" in output.get("data", {}) for output in cell.outputs)
    ]
    assert not blank, f"{name}: these drawing cells show no image: {blank}"


def test_no_cell_leaves_an_error(executed):
    errors = [
        f"{step} cell {index}: {output.ename}: {output.evalue}"
        for step, notebook in executed
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert not errors
