"""Helpers for the end-to-end notebook tests of both datasets."""

from __future__ import annotations

import ast
import subprocess
import tempfile
from datetime import date
from pathlib import Path

import nbformat
from PIL import Image

from serverless_ml.datasets import IMAGES, Dataset
from serverless_ml.inference import logged_predictions
from serverless_ml.model_files import model_schema, write_model_folder
from serverless_ml.runner import run_notebook
from serverless_ml.samples import daily_id
from tests.conftest import PYTHON, REPO

#: Executed notebooks kept for the figure checks: (label, notebook) pairs, in the order they ran.
Lessons = list[tuple[str, nbformat.NotebookNode]]


def run_lesson(lessons: Lessons | None, dataset: str, stage: str, parameters: dict, runs: Path) -> Path:
    """`run_notebook`, keeping the executed notebook in `lessons` (when given) for the figure checks."""
    path = run_notebook(dataset, stage, parameters, runs)
    if lessons is not None:
        lessons.append((f"{path.stem} {parameters}", nbformat.read(path, as_version=4)))
    return path


def run_day(dataset: str, day: date, runs: Path, lessons: Lessons | None = None) -> None:
    """One daily run: the feature pipeline then batch inference, for `day`."""
    run_lesson(lessons, dataset, "feature", {"RUN_DATE": day.isoformat()}, runs)
    run_lesson(lessons, dataset, "inference", {"RUN_DATE": day.isoformat()}, runs)


# --- the lessons show their figures --------------------------------------------------------------------
# A cell draws when it calls a plotting function (pyplot, seaborn, the monitoring figures, `show_images`);
# each such cell must leave an `image/png` output. Importing the package once switched matplotlib to Agg
# and blanked them all without an error.

#: What a cell calls that puts a figure on the page (the last name of the called function).
DRAWING_CALLS = {
    "subplots", "figure", "plot", "scatter", "hist", "imshow", "show",
    "barplot", "histplot", "heatmap", "countplot", "boxplot", "lineplot", "scatterplot", "pairplot",
    "confusion_matrix_figure", "accuracy_figure", "show_images",
}  # fmt: skip


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


def assert_lessons_draw(lessons: Lessons, drawing_notebooks: set[str]) -> None:
    """Each of `drawing_notebooks` (executed-copy stems) has drawing cells, and each shows an image in
    its last run; no cell of any lesson left an error."""
    for name in sorted(drawing_notebooks):
        runs = [notebook for label, notebook in lessons if label.split()[0] == name]
        assert runs, f"{name} never ran"
        cells = drawing_cells(runs[-1])
        assert cells, f"{name}: no cell draws any more; update DRAWING_CALLS"
        blank = [
            f"cell {index}: {cell.source.splitlines()[-1]!r}"
            for index, cell in cells
            if not any("image/png" in output.get("data", {}) for output in cell.outputs)
        ]
        assert not blank, f"{name}: these drawing cells show no image: {blank}"
    errors = [
        f"{label} cell {index}: {output.ename}: {output.evalue}"
        for label, notebook in lessons
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert not errors


def counts(project, spec: Dataset) -> tuple[int, int]:
    """Rows in the dataset's feature group and in its predictions feature group."""
    fs = project.get_feature_store()
    return len(fs.get_feature_group(spec.name, version=1).read()), len(
        logged_predictions(fs.get_feature_group(spec.predictions_group, version=1))
    )


def predictions(project, spec: Dataset):
    """The logged predictions, sorted by sample id."""
    fs = project.get_feature_store()
    frame = fs.get_feature_group(spec.predictions_group, version=1).read()
    return frame.sort_values(spec.primary_key).reset_index(drop=True)


def register_model(model_registry, dataset: Dataset, result) -> object:
    """Register a trained pipeline as the training notebooks do: write its folder, create, save."""
    folder = write_model_folder(Path(tempfile.mkdtemp()) / dataset.name, result.pipeline, result.X_train,
                                dataset.input_kinds)  # fmt: skip
    model = model_registry.python.create_model(
        name=dataset.model_name, metrics=result.metrics, input_example=result.X_train.head(1),
        model_schema=model_schema(result.X_train, result.y_train), description=result.description,
    )  # fmt: skip
    return model.save(str(folder))


def daily_ids(days: list[date]) -> list[int]:
    return [daily_id(d) for d in days]


def assert_valid_images(folder: Path) -> None:
    """Every monitoring image exists, is a PNG and has a reasonable size."""
    for name in IMAGES:
        path = folder / name
        assert path.stat().st_size > 2_000, name
        with Image.open(path) as image:
            image.verify()
            assert image.format == "PNG" and min(image.size) >= 100, name


def cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    """`python -m serverless_ml ARGS` as its own process."""
    return subprocess.run([PYTHON, "-m", "serverless_ml", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=900)  # fmt: skip


def predictions_count(env: dict, dataset: str) -> int:
    """How many predictions the store at `env` has logged for `dataset`, read by another process."""
    code = (f"import serverless_ml; fg = serverless_ml.login().get_feature_store()"
            f".get_feature_group('{dataset}_predictions', version=1); print(len(fg.read()))")  # fmt: skip
    return int(subprocess.run([PYTHON, "-c", code], env=env, capture_output=True, text=True, check=True).stdout)


def code_cell(dataset: str, stage: str, calls: str) -> int:
    """The `In [N]` the executed page shows for the notebook cell that contains `calls`, in a run given parameters.

    What a failure message reports as "cell N": papermill runs its injected parameters cell after the
    cell tagged `parameters` (first, without one) and empty cells do not run. Found from the notebook
    rather than written down, so a new markdown or code cell above it does not break the test.
    """
    import nbformat

    from serverless_ml.runner import notebook_path

    cells = [c for c in nbformat.read(notebook_path(dataset, stage), as_version=4).cells if c.cell_type == "code"]
    count = 0 if any("parameters" in c.metadata.get("tags", []) for c in cells) else 1
    for cell in (c for c in cells if c.source.strip()):
        count += 1
        if calls in cell.source:
            return count
        count += "parameters" in cell.metadata.get("tags", [])  # the injected cell after it
    raise AssertionError(f"no code cell of {dataset}'s {stage} notebook calls {calls}")
