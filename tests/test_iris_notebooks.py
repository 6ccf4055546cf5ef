"""Iris end to end: the three notebooks executed with papermill on a temporary store."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import nbformat
import pytest
from hopsworks_common.client.exceptions import DataValidationException

import serverless_ml
from serverless_ml.iris import DATASET as SPEC
from serverless_ml.runner import NotebookError, kernel_options, run_notebook
from tests.conftest import local_env
from tests.e2e import (
    assert_lessons_draw,
    assert_valid_images,
    code_cell,
    counts,
    daily_ids,
    predictions,
    run_day,
    run_lesson,
)

pytestmark = pytest.mark.slow

DAYS = [date(2026, 3, 1) + timedelta(days=i) for i in range(3)]


@pytest.fixture(scope="module")
def lessons() -> list:
    """The lab's executed notebooks, in the learner's order."""
    return []


@pytest.fixture(scope="module")
def lab(tmp_path_factory, lessons):
    """Backfill, train, then three days of feature + inference runs, on one temporary store."""
    root = tmp_path_factory.mktemp("iris")
    with pytest.MonkeyPatch.context() as mp:
        local_env(mp, root)
        runs = root / "runs"
        run_lesson(lessons, "iris", "feature", {"BACKFILL": True}, runs)
        run_lesson(lessons, "iris", "training", {"SEED": 0}, runs)
        for day in DAYS:
            run_day("iris", day, runs, lessons)
        yield root, serverless_ml.login(), runs


def test_the_lessons_show_their_figures(lab, lessons):
    assert_lessons_draw(lessons, {"iris_2_training_pipeline", "iris_3_batch_inference_pipeline"})


def test_counts_after_five_days(lab):
    _, project, _ = lab
    assert counts(project, SPEC) == (150 + len(DAYS), len(DAYS))
    logged = predictions(project, SPEC)
    assert logged["id"].tolist() == daily_ids(DAYS)
    assert {"id", "predicted", "label", "model_version", "predicted_at", "run_date"} <= set(logged.columns)
    assert set(logged["label"]) <= {"Setosa", "Versicolor", "Virginica"}


def test_rerunning_a_day_adds_nothing(lab):
    _, project, runs = lab
    before = predictions(project, SPEC)
    run_day("iris", DAYS[2], runs)
    assert counts(project, SPEC) == (150 + len(DAYS), len(DAYS))
    assert predictions(project, SPEC).equals(before)


def test_images_are_valid(lab):
    root, _, _ = lab
    assert_valid_images(root / "docs" / "iris")


def test_registered_metrics(lab):
    _, project, _ = lab
    model = project.get_model_registry().get_best_model("iris", "accuracy", "max")
    assert model.version == 1
    assert set(model.training_metrics) >= {"accuracy", "cv_accuracy"}
    assert model.training_metrics["accuracy"] > 0.85
    assert model.input_example and model.model_schema["input_schema"]
    assert (Path(model.download()) / "confusion_matrix.png").exists()


def test_the_feature_groups_validate_as_the_notebooks_say(lab):
    root, project, _ = lab
    summary = json.loads((root / "docs" / "iris" / "validation.json").read_text())
    assert summary["success"] and len(summary["checks"]) == 10  # 4 ranges, the variety, 5 not-null
    fg = project.get_feature_store().get_feature_group("iris", version=1)
    before = len(fg.read())
    bad = fg.read().tail(1).assign(id=99_999_999, petal_length=-1.0)
    # the suite written in 1_feature_pipeline.ipynb, with the strict policy: refused, nothing written
    with pytest.raises(DataValidationException, match=r"petal_length.*for example -1\.0"):
        fg.insert(bad)
    assert len(fg.read()) == before
    predictions = project.get_feature_store().get_feature_group("iris_predictions", version=1)
    assert predictions.get_expectation_suite(ge_type=False).validation_ingestion_policy == "STRICT"


def test_images_were_uploaded_through_the_dataset_api(lab):
    _, project, _ = lab
    assert project.get_dataset_api().exists("Resources/images/iris/confusion_matrix.png")


@pytest.mark.parametrize(
    ("stage", "parameters", "message"),
    [
        ("feature", {"RUN_DATE": "2026-02-30"}, "RUN_DATE='2026-02-30' is not a date"),
        ("feature", {"BACKFILL": "yes"}, "BACKFILL='yes' must be True, False or \"auto\""),
        ("feature", {"SEED": "abc"}, "SEED='abc' must be a whole number"),
        ("inference", {"RUN_DATE": "soon"}, "RUN_DATE='soon' is not a date"),
    ],
)
def test_bad_parameters_stop_at_once(sml_env, tmp_path, stage, parameters, message):
    with pytest.raises(NotebookError, match=message) as caught:
        run_notebook("iris", stage, parameters, tmp_path / "runs")
    assert caught.value.cell == code_cell("iris", stage, "parse_run_date("), "the parameter check should stop it"
    assert "1_feature" in str(caught.value) or "3_batch" in str(caught.value)
    assert not (Path(sml_env["SML_HOME"]) / "store.duckdb").exists(), "nothing may be written"


def _error_lines(executed: Path) -> list[str]:
    """The traceback lines the executed notebook shows for its failing cell."""
    notebook = nbformat.read(executed, as_version=4)
    return [
        line for c in notebook.cells for o in c.get("outputs", []) if o.output_type == "error" for line in o.traceback
    ]


def test_a_fresh_store_says_what_to_run_first(sml_env, tmp_path):
    runs = tmp_path / "runs"
    # the daily sample before any backfill: one line, no traceback
    with pytest.raises(NotebookError, match=r"run 1_feature_pipeline\.ipynb with BACKFILL=True first") as daily:
        run_notebook("iris", "feature", {"BACKFILL": False, "RUN_DATE": "2026-01-01"}, runs)
    assert _error_lines(daily.value.output) == [f"RunFirstError: {daily.value.evalue}"]
    # the failed daily run left nothing behind: a new feature group is saved by its first insert, as on Hopsworks
    assert serverless_ml.login().get_feature_store().get_feature_group("iris", version=1) is None
    # training before the backfill
    with pytest.raises(NotebookError, match=r"run 1_feature_pipeline\.ipynb with BACKFILL=True first"):
        run_notebook("iris", "training", {}, runs)
    run_notebook("iris", "feature", {}, runs)  # a first Run All, as committed: BACKFILL = "auto" backfills
    assert len(serverless_ml.login().get_feature_store().get_feature_group("iris", version=1).read()) == 150
    with pytest.raises(
        NotebookError, match=r"no iris model is registered yet: run 2_training_pipeline\.ipynb first"
    ) as no_model:
        run_notebook("iris", "inference", {"RUN_DATE": "2026-01-01"}, runs)
    assert len(_error_lines(no_model.value.output)) == 1
    assert not (Path(sml_env["SML_DOCS"]) / "iris" / "accuracy.png").exists()
    run_notebook("iris", "training", {}, runs)
    # a model but no daily sample yet: nothing to score, and the notebook says which step adds one
    executed = nbformat.read(run_notebook("iris", "inference", {"RUN_DATE": "2026-01-01"}, runs), as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells if c.cell_type == "code" for o in c.outputs)
    assert "Nothing to score up to 2026-01-01: there is no daily flower yet" in printed
    assert "Run 1_feature_pipeline.ipynb to add the day's flower" in printed
    # the next Run All of the feature notebook adds the day's flower, and inference scores it
    run_notebook("iris", "feature", {"RUN_DATE": "2026-01-01"}, runs)
    assert len(serverless_ml.login().get_feature_store().get_feature_group("iris", version=1).read()) == 151
    run_notebook("iris", "inference", {"RUN_DATE": "2026-01-01"}, runs)
    # run again on the same day: it says the flower was scored already, and by which model
    executed = nbformat.read(run_notebook("iris", "inference", {"RUN_DATE": "2026-01-01"}, runs), as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells if c.cell_type == "code" for o in c.outputs)
    assert "the newest flower (id 20260101, of 2026-01-01) was already scored at" in printed
    assert "by model version 1" in printed and "BACKFILL" not in printed
    assert counts(serverless_ml.login(), SPEC) == (151, 1)


def test_changing_the_model_cell_changes_the_registered_model(sml_env, tmp_path):
    """The model is the learner's: a candidates cell with a logistic regression instead of the KNN registers
    a logistic regression, chosen and scored by the same package code."""
    import papermill

    run_notebook("iris", "feature", {}, tmp_path / "runs")
    lesson = nbformat.read(SPEC.notebook_dir / "2_training_pipeline.ipynb", as_version=4)
    cell = next(c for c in lesson.cells if c.cell_type == "code" and c.source.startswith("candidates = ["))
    cell.source = (
        "from sklearn.linear_model import LogisticRegression\n\n"
        'candidates = [(Pipeline([("scale", StandardScaler()), ("lr", LogisticRegression())]), {"lr__C": [0.5, 2.0]})]'
    )
    changed = tmp_path / "2_training_pipeline.ipynb"
    nbformat.write(lesson, changed)
    # with the runner's kernels, as the daily job would run the learner's notebook (forked: no imports again)
    papermill.execute_notebook(str(changed), str(tmp_path / "out.ipynb"), cwd=str(tmp_path), progress_bar=False,
                               kernel_name="python3", **kernel_options())  # fmt: skip
    model = serverless_ml.login().get_model_registry().get_model("iris", version=1)
    assert model.description.startswith("LogisticRegression (C="), model.description
    assert "chosen by 3 x repeated stratified 5-fold cross-validation" in model.description
