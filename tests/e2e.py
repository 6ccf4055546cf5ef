"""Helpers for the end-to-end notebook tests of both datasets."""

from __future__ import annotations

import subprocess
import tempfile
from datetime import date
from pathlib import Path

from PIL import Image

from serverless_ml.datasets import IMAGES, Dataset
from serverless_ml.inference import logged_predictions
from serverless_ml.model_files import model_schema, write_model_folder
from serverless_ml.runner import run_notebook
from serverless_ml.samples import daily_id
from tests.conftest import PYTHON, REPO


def run_day(dataset: str, day: date, runs: Path) -> None:
    """One daily run: the feature pipeline then batch inference, for `day`."""
    run_notebook(dataset, "feature", {"RUN_DATE": day.isoformat()}, runs)
    run_notebook(dataset, "inference", {"RUN_DATE": day.isoformat()}, runs)


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
    """The 1-based position, among its code cells, of the notebook cell that contains `calls`.

    What a failure message reports as "cell N", found from the notebook rather than written down, so
    a new markdown or code cell above it does not break the test.
    """
    import nbformat

    from serverless_ml.runner import notebook_path

    cells = [c for c in nbformat.read(notebook_path(dataset, stage), as_version=4).cells if c.cell_type == "code"]
    return next(i for i, c in enumerate(cells, start=1) if calls in c.source)
