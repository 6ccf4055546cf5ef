"""Batch inference's pure steps (serverless_ml/inference.py), on small DataFrames."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sklearn.dummy import DummyClassifier

from serverless_ml import inference, iris

DATASET = iris.DATASET


def _samples(ids):
    return pd.DataFrame(
        {
            "id": ids,
            "sepal_length": 5.0,
            "sepal_width": 3.0,
            "petal_length": 1.5,
            "petal_width": 0.2,
            "variety": "Setosa",
            "event_time": pd.Timestamp("2026-03-01"),
        }
    )


def test_window_is_the_lookback_days_up_to_the_run_date():
    start, end = inference.inference_window(date(2026, 3, 10), days=3)
    assert (str(start), str(end)) == ("2026-03-07 00:00:00", "2026-03-11 00:00:00")


def test_unscored_leaves_out_what_has_a_prediction():
    samples = _samples([3, 1, 2])
    assert inference.unscored(samples, pd.DataFrame(), "id")["id"].tolist() == [1, 2, 3]
    assert inference.unscored(samples, pd.DataFrame({"id": [2]}), "id")["id"].tolist() == [1, 3]


def test_prediction_rows_beside_the_label():
    pipeline = DummyClassifier(strategy="constant", constant="Virginica").fit(
        _samples([0])[iris.FEATURES], ["Virginica"]
    )
    rows = inference.prediction_rows(pipeline, 4, _samples([7, 8]), DATASET, date(2026, 3, 1))
    assert rows[["id", "predicted", "label", "model_version"]].values.tolist() == [
        [7, "Virginica", "Setosa", 4],
        [8, "Virginica", "Setosa", 4],
    ]
    assert inference.prediction_rows(pipeline, 4, _samples([]), DATASET, date(2026, 3, 1)).empty


def test_predict_batch_adds_a_column_even_when_empty():
    pipeline = DummyClassifier(strategy="most_frequent").fit(_samples([0])[iris.FEATURES], ["Setosa"])
    batch = _samples([1, 2])[iris.FEATURES]
    assert inference.predict_batch(pipeline, batch)["predicted"].tolist() == ["Setosa", "Setosa"]
    assert "predicted" in inference.predict_batch(pipeline, batch.iloc[:0]).columns


def test_logged_predictions_before_the_first(project):
    group = project.get_feature_store().get_or_create_feature_group("log", version=1, primary_key=["id"])
    assert inference.logged_predictions(group).empty


def test_a_start_further_back_widens_the_window():
    start, end = inference.inference_window(date(2026, 3, 10), days=3, start=date(2026, 1, 1))
    assert (str(start), str(end)) == ("2026-01-01 00:00:00", "2026-03-11 00:00:00")
    assert inference.inference_window(date(2026, 3, 10), days=3, start=date(2026, 3, 9))[0] == pd.Timestamp(
        "2026-03-07"
    )
