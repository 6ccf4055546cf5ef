"""Training steps both datasets share: the split, the search, honest scores."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from sklearn.base import clone
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GridSearchCV, RepeatedStratifiedKFold, cross_val_score, train_test_split

TEST_SIZE = 0.2


@dataclass
class TrainingResult:
    """A fitted pipeline with what the registry records about it."""

    pipeline: Any
    metrics: dict[str, float]
    X_train: pd.DataFrame
    y_train: pd.Series
    y_test: pd.Series
    y_pred: Any
    description: str


def label_series(y: pd.DataFrame | pd.Series, label: str) -> pd.Series:
    """The label column, whether the feature view gave a DataFrame (Hopsworks does) or a Series."""
    return y[label] if isinstance(y, pd.DataFrame) else y.rename(label)


def folds(seed: int, repeats: int = 3) -> RepeatedStratifiedKFold:
    """Repeated stratified 5-fold cross-validation with a fixed seed."""
    return RepeatedStratifiedKFold(n_splits=5, n_repeats=repeats, random_state=seed)


def search_and_evaluate(
    X: pd.DataFrame, y: pd.Series, candidates: list[tuple[Any, dict]], seed: int, repeats: int = 3
) -> TrainingResult:
    """Split, grid-search every candidate pipeline on the training part, keep the best, test it once."""
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=TEST_SIZE, stratify=y, random_state=seed)
    searches = []
    for estimator, grid in candidates:
        search = GridSearchCV(estimator, grid, cv=folds(seed, repeats), scoring="accuracy", n_jobs=1)
        search.fit(X_train, y_train)
        searches.append(search)
    best = max(searches, key=lambda s: s.best_score_)
    std = best.cv_results_["std_test_score"][best.best_index_]
    y_pred = best.best_estimator_.predict(X_test)
    metrics = {
        "accuracy": float(accuracy_score(y_test, y_pred)),
        "cv_accuracy": float(best.best_score_),
        "cv_std": float(std),
    }
    return TrainingResult(best.best_estimator_, metrics, X_train, y_train, y_test, y_pred, _describe(best))


def _describe(search: GridSearchCV) -> str:
    estimator = search.best_estimator_
    final = estimator.steps[-1][1] if hasattr(estimator, "steps") else estimator
    params = ", ".join(f"{k.split('__')[-1]}={v}" for k, v in sorted(search.best_params_.items()))
    return f"{type(final).__name__} ({params}), chosen by {cv_words(search.cv)}"


def cv_words(cv: RepeatedStratifiedKFold) -> str:
    """How a learner reads the folds: "3 x repeated stratified 5-fold cross-validation"."""
    splits, repeats = cv.cvargs["n_splits"], cv.n_repeats
    return ("stratified" if repeats == 1 else f"{repeats} x repeated stratified") + f" {splits}-fold cross-validation"


def repeated_cv_accuracy(pipeline: Any, X: pd.DataFrame, y: pd.Series, seed: int = 0) -> tuple[float, float]:
    """Mean and std of repeated stratified 5-fold accuracy, refitting `pipeline` inside each fold."""
    scores = cross_val_score(clone(pipeline), X, y, cv=folds(seed), scoring="accuracy")
    return float(scores.mean()), float(scores.std())
