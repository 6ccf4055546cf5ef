"""Iris end to end: the three notebooks executed with papermill on a temporary store."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

import serverless_ml
from serverless_ml.iris import SPEC
from serverless_ml.runner import NotebookError, run_notebook
from tests.conftest import local_env
from tests.e2e import assert_valid_images, counts, daily_ids, predictions, run_day

DAYS = [date(2026, 3, 1) + timedelta(days=i) for i in range(5)]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """Backfill, train, then five days of feature + inference runs, on one temporary store."""
    root = tmp_path_factory.mktemp("iris")
    with pytest.MonkeyPatch.context() as mp:
        local_env(mp, root)
        runs = root / "runs"
        run_notebook("iris", "feature", {"BACKFILL": True}, runs)
        run_notebook("iris", "training", {"SEED": 0}, runs)
        for day in DAYS:
            run_day("iris", day, runs)
        yield root, serverless_ml.login(), runs


def test_counts_after_five_days(lab):
    _, project, _ = lab
    assert counts(project, SPEC) == (150 + 5, 5)
    logged = predictions(project, SPEC)
    assert logged["id"].tolist() == daily_ids(DAYS)
    assert {"id", "predicted", "label", "model_version", "predicted_at", "run_date"} <= set(logged.columns)
    assert set(logged["label"]) <= {"Setosa", "Versicolor", "Virginica"}


def test_rerunning_a_day_adds_nothing(lab):
    _, project, runs = lab
    before = predictions(project, SPEC)
    run_day("iris", DAYS[2], runs)
    assert counts(project, SPEC) == (155, 5)
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


def test_images_were_uploaded_through_the_dataset_api(lab):
    _, project, _ = lab
    assert project.get_dataset_api().exists("Resources/images/iris/confusion_matrix.png")


@pytest.mark.parametrize(
    ("stage", "parameters", "message"),
    [
        ("feature", {"RUN_DATE": "2026-02-30"}, "RUN_DATE='2026-02-30' is not a date"),
        ("feature", {"BACKFILL": "yes"}, "BACKFILL='yes' must be True or False"),
        ("feature", {"SEED": "abc"}, "SEED='abc' must be a whole number"),
        ("inference", {"RUN_DATE": "soon"}, "RUN_DATE='soon' is not a date"),
    ],
)
def test_bad_parameters_stop_at_once(sml_env, tmp_path, stage, parameters, message):
    with pytest.raises(NotebookError, match=message) as caught:
        run_notebook("iris", stage, parameters, tmp_path / "runs")
    assert caught.value.cell == 2, "the check right after the parameters cell should stop it"
    assert "1_feature" in str(caught.value) or "3_batch" in str(caught.value)
    assert not (Path(sml_env["SML_HOME"]) / "store.duckdb").exists(), "nothing may be written"


def test_inference_without_a_model_says_so_and_exits_cleanly(sml_env, tmp_path):
    run_notebook("iris", "feature", {"BACKFILL": True}, tmp_path / "runs")
    executed = run_notebook("iris", "inference", {"RUN_DATE": "2026-01-01"}, tmp_path / "runs")
    assert "No model 'iris' is registered yet" in executed.read_text()
    assert not (Path(sml_env["SML_DOCS"]) / "iris" / "accuracy.png").exists()
