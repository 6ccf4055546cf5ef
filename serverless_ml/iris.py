"""Iris: the bundled data set, the daily synthetic flower and the KNN pipeline."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from sklearn.datasets import load_iris
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from serverless_ml.errors import SchemaError
from serverless_ml.pipelines import BACKFILL_TIME, DatasetSpec, daily_event_time, daily_id, rng_for
from serverless_ml.registry import TrainingResult
from serverless_ml.training import label_series, search_and_evaluate

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
VARIETIES = ("Setosa", "Versicolor", "Virginica")
#: What the apps ask for: the four measurements in cm.
INPUT_KINDS = dict.fromkeys(FEATURES, "number")
SPEC = DatasetSpec(
    name="iris",
    label="variety",
    classes=VARIETIES,
    class_names=VARIETIES,
    primary_key="id",
    images={v: f"iris_{v.lower()}.png" for v in VARIETIES},
)


def load_iris_frame() -> pd.DataFrame:
    """The 150 flowers of scikit-learn's bundled copy, with readable column and variety names."""
    bunch = load_iris(as_frame=True)
    frame = bunch.data.copy()
    frame.columns = FEATURES
    frame["variety"] = [VARIETIES[i] for i in bunch.target]
    return frame


def backfill_frame(flowers: pd.DataFrame | None = None) -> pd.DataFrame:
    """The feature group rows for the real flowers: surrogate `id` 0..n-1 and an event time."""
    flowers = load_iris_frame() if flowers is None else flowers
    frame = flowers[[*FEATURES, "variety"]].reset_index(drop=True)
    frame.insert(0, "id", np.arange(len(frame), dtype="int64"))
    frame["event_time"] = BACKFILL_TIME
    return frame


def fit_generator(stored: pd.DataFrame) -> dict[str, dict[str, np.ndarray]]:
    """Per variety: mean, covariance and observed range of the four measurements."""
    missing = [c for c in [*FEATURES, "variety"] if c not in stored.columns]
    if missing:
        raise SchemaError(f"the stored flowers lack column(s) {missing}")
    model = {}
    for variety, group in stored.groupby("variety"):
        values = group[FEATURES].to_numpy(dtype=float)
        if len(values) < 5:
            continue
        model[variety] = {
            "weight": len(values),
            "mean": values.mean(axis=0),
            "cov": np.cov(values, rowvar=False),
            "low": values.min(axis=0),
            "high": values.max(axis=0),
        }
    if not model:
        raise SchemaError("no variety has 5 stored flowers to learn from: run the backfill first")
    return model


def synthetic_flowers(generator: dict, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """`n` synthetic flowers: a variety first (at the stored frequencies), then its measurements."""
    names = sorted(generator)
    weights = np.array([generator[v]["weight"] for v in names], dtype=float)
    varieties = rng.choice(names, size=n, p=weights / weights.sum())
    rows = []
    for variety in varieties:
        g = generator[variety]
        sample = rng.multivariate_normal(g["mean"], g["cov"])
        rows.append(np.round(np.clip(sample, g["low"], g["high"]), 1))
    frame = pd.DataFrame(rows, columns=FEATURES) if rows else pd.DataFrame(columns=FEATURES, dtype=float)
    frame["variety"] = varieties
    return frame


def synthetic_flower(stored: pd.DataFrame, run_date: date, seed: int | None = None) -> pd.DataFrame:
    """The day's flower as a feature group row, with the id and event time of `run_date`."""
    flower = synthetic_flowers(fit_generator(stored), 1, rng_for(run_date, seed, SPEC.name))
    flower.insert(0, "id", np.int64(daily_id(run_date)))
    flower["event_time"] = daily_event_time(run_date)
    return flower


def candidates() -> list[tuple[Pipeline, dict]]:
    """Scaling then distance-weighted KNN, with k chosen by cross-validation."""
    pipeline = Pipeline([("scale", StandardScaler()), ("knn", KNeighborsClassifier())])
    return [(pipeline, {"knn__n_neighbors": [7, 9, 11, 13], "knn__weights": ["distance"]})]


def train(X: pd.DataFrame, y: pd.DataFrame | pd.Series, seed: int = 0) -> TrainingResult:
    """Fit the Iris pipeline on a split of `X, y` and score it on the held-out part."""
    return search_and_evaluate(X[FEATURES], label_series(y, SPEC.label), candidates(), seed)
