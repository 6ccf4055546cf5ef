"""Training steps both datasets share (serverless_ml/training.py)."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from serverless_ml import training


@pytest.mark.parametrize("y", [pd.DataFrame({"label": [0, 1]}), pd.Series([0, 1])])
def test_label_series_from_a_frame_or_a_series(y):
    assert training.label_series(y, "label").name == "label"


def test_search_and_evaluate_keeps_a_held_out_split():
    X = pd.DataFrame({"x": [float(i) for i in range(40)]})
    y = pd.Series([0] * 20 + [1] * 20)
    result = training.search_and_evaluate(X, y, [(LogisticRegression(), {"C": [0.1, 1.0]})], seed=0, repeats=1)
    assert isinstance(result, training.TrainingResult)
    assert len(result.X_train) == 32 and len(result.y_test) == 8
    assert set(result.metrics) == {"accuracy", "cv_accuracy", "cv_std"} and result.metrics["accuracy"] > 0.8
    assert "LogisticRegression (C=" in result.description
    mean, std = training.repeated_cv_accuracy(result.pipeline, X, y)
    assert 0.8 < mean <= 1.0 and std >= 0


@pytest.mark.parametrize(
    ("repeats", "words"),
    [(3, "3 x repeated stratified 5-fold cross-validation"), (1, "stratified 5-fold cross-validation")],
)
def test_the_description_says_how_the_folds_were_made(repeats, words):
    """Not "15-fold": 3 x 5 folds are 15 scores, but 5 folds each time."""
    assert training.cv_words(training.folds(0, repeats)) == words
    X = pd.DataFrame({"x": [float(i) for i in range(40)]})
    y = pd.Series([0] * 20 + [1] * 20)
    result = training.search_and_evaluate(X, y, [(LogisticRegression(), {"C": [1.0]})], seed=0, repeats=repeats)
    assert result.description.endswith(f"chosen by {words}")
