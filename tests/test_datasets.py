"""The dataset record and the registry (serverless_ml/datasets.py)."""

from __future__ import annotations

import pytest

from serverless_ml import datasets, iris, titanic
from serverless_ml.errors import ParameterError


def test_the_registry_lists_the_datasets_in_order(monkeypatch):
    monkeypatch.delenv("SML_DATASETS", raising=False)
    assert list(datasets.registered()) == ["iris", "titanic"]
    assert datasets.get("titanic") is titanic.DATASET


def test_ports_prediction_apps_first():
    assert datasets.app_ports() == {"iris": 7860, "titanic": 7861, "iris-monitoring": 7862, "titanic-monitoring": 7863}
    assert datasets.for_app("titanic-monitoring") is titanic.DATASET


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: datasets.get("wine"), "unknown dataset 'wine': expected one of iris, titanic"),
        (lambda: datasets.for_app("wine-monitoring"), "unknown app 'wine-monitoring'"),
    ],
)
def test_unknown_names_are_named(call, message):
    with pytest.raises(ParameterError, match=message):
        call()


def test_a_module_without_a_record_is_refused(monkeypatch):
    monkeypatch.setenv("SML_DATASETS", "serverless_ml.samples")
    with pytest.raises(ParameterError, match="must define DATASET"):
        datasets.registered()
    monkeypatch.setenv("SML_DATASETS", "no_such_module")
    with pytest.raises(ParameterError, match="'no_such_module', which cannot be imported"):
        datasets.registered()


@pytest.mark.parametrize(
    ("dataset", "value", "name", "image"),
    [
        (iris.DATASET, "Virginica", "Virginica", "iris_virginica.png"),
        (titanic.DATASET, 1, "Survived", "titanic_survived.png"),
    ],
)
def test_display_and_image(dataset, value, name, image):
    assert dataset.display(value) == name
    assert dataset.image(value).name == image and dataset.image(value).exists()


def test_every_record_is_complete():
    for dataset in datasets.registered().values():
        assert set(dataset.input_labels) == set(dataset.input_kinds)
        assert all(len(row) == len(dataset.input_kinds) for row in dataset.examples)
        assert dataset.notebook_dir.is_dir() and dataset.predictions_group == f"{dataset.name}_predictions"


def test_best_model_uses_the_records_metric(project, tmp_path):
    mr = project.get_model_registry()
    assert iris.DATASET.best_model(mr) is None
    for accuracy in (0.7, 0.9, 0.8):
        (tmp_path / "m").mkdir(exist_ok=True)
        mr.python.create_model("iris", metrics={"accuracy": accuracy}).save(str(tmp_path / "m"))
    assert iris.DATASET.best_model(mr).version == 2
