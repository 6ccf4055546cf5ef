"""Iris end to end: the three notebooks executed with papermill on a temporary store."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from PIL import Image

import serverless_ml
from serverless_ml import monitoring
from serverless_ml.runner import NotebookError, run_notebook

DAYS = [date(2026, 3, 1) + timedelta(days=i) for i in range(5)]


def _counts(project) -> tuple[int, int]:
    fs = project.get_feature_store()
    predictions = monitoring.logged_predictions(
        fs.get_or_create_feature_group("iris_predictions", version=1, primary_key=["id"], event_time="event_time")
    )
    return len(fs.get_feature_group("iris", version=1).read()), len(predictions)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """Backfill, train, then five days of feature + inference runs, on one temporary store."""
    root = tmp_path_factory.mktemp("iris")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SML_HOME", str(root / "home"))
        mp.setenv("SML_DOCS", str(root / "docs"))
        mp.setenv("SML_BACKEND", "local")
        mp.delenv("HOPSWORKS_API_KEY", raising=False)
        runs = root / "runs"
        run_notebook("iris", "feature", {"BACKFILL": True}, runs)
        run_notebook("iris", "training", {"SEED": 0}, runs)
        for day in DAYS:
            run_notebook("iris", "feature", {"RUN_DATE": day.isoformat()}, runs)
            run_notebook("iris", "inference", {"RUN_DATE": day.isoformat()}, runs)
        yield root, serverless_ml.login(), runs


def test_counts_after_five_days(lab):
    _, project, _ = lab
    assert _counts(project) == (150 + 5, 5)
    predictions = project.get_feature_store().get_feature_group("iris_predictions", version=1).read()
    assert sorted(predictions["id"]) == [d.year * 10000 + d.month * 100 + d.day for d in DAYS]
    assert {"id", "predicted", "label", "model_version", "predicted_at", "run_date"} <= set(predictions.columns)
    assert set(predictions["label"]) <= {"Setosa", "Versicolor", "Virginica"}


def test_rerunning_a_day_adds_nothing(lab):
    _, project, runs = lab
    fg = project.get_feature_store().get_feature_group("iris_predictions", version=1)
    before = fg.read().sort_values("id").reset_index(drop=True)
    day = DAYS[2].isoformat()
    run_notebook("iris", "feature", {"RUN_DATE": day}, runs)
    run_notebook("iris", "inference", {"RUN_DATE": day}, runs)
    assert _counts(project) == (155, 5)
    assert fg.read().sort_values("id").reset_index(drop=True).equals(before)


def test_images_are_valid(lab):
    root, _, _ = lab
    for name in monitoring.IMAGES:
        path = root / "docs" / "iris" / name
        assert path.stat().st_size > 2_000, name
        with Image.open(path) as image:
            image.verify()
            assert image.format == "PNG" and min(image.size) >= 100, name


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
