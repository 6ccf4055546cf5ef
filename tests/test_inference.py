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


def test_nothing_new_says_when_and_by_which_model_the_newest_was_scored():
    samples = _samples([20260301, 20260302]).assign(
        event_time=[pd.Timestamp("2026-03-01 06:00"), pd.Timestamp("2026-03-02 06:00")]
    )
    scored = pd.DataFrame(
        {
            "id": [20260301, 20260302],
            "model_version": [2, 3],
            "predicted_at": [pd.Timestamp("2026-03-01 06:01:07"), pd.Timestamp("2026-03-02 05:18:40")],
        }
    )
    message = inference.nothing_new(samples, scored, DATASET, date(2026, 3, 2))
    assert message.startswith("Nothing new to score up to 2026-03-02: the newest flower (id 20260302, of 2026-03-02)")
    assert "already scored at 2026-03-02 05:18 UTC by model version 3" in message
    assert "BACKFILL" not in message  # it was not a missing feature run


def test_nothing_new_without_any_daily_sample_says_which_step_adds_one():
    message = inference.nothing_new(_samples([]), pd.DataFrame(), DATASET, date(2026, 3, 2))
    assert message == (
        "Nothing to score up to 2026-03-02: there is no daily flower yet. "
        "Run 1_feature_pipeline.ipynb to add the day's flower."
    )
