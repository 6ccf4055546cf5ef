"""Iris: the bundled data set, the daily synthetic flower and the KNN pipeline."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from sklearn.datasets import load_iris
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from serverless_ml.datasets import Dataset
from serverless_ml.errors import RunFirstError, SchemaError
from serverless_ml.samples import BACKFILL_TIME, daily_event_time, daily_id, rng_for
from serverless_ml.training import TrainingResult, label_series, search_and_evaluate

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
VARIETIES = ("Setosa", "Versicolor", "Virginica")
#: A plausible range (cm) per measurement, a little wider than the 150 real flowers (4.3-7.9, 2.0-4.4,
#: 1.0-6.9, 0.1-2.5): the feature pipeline's expectation suite refuses a flower outside it.
PLAUSIBLE_CM = {"sepal_length": (3.0, 10.0), "sepal_width": (1.5, 5.5), "petal_length": (0.5, 8.0),
                "petal_width": (0.05, 3.5)}  # fmt: skip
DATASET = Dataset(
    name="iris",
    title="Iris: which variety is this flower?",
    blurb="A synthetic flower a day, measured in centimetres, scored by a KNN model.",
    label="variety",
    classes=VARIETIES,
    class_names=VARIETIES,
    images={v: f"iris_{v.lower()}.png" for v in VARIETIES},
    primary_key="id",
    description="Iris flowers: sepal and petal length and width (cm) and the variety",
    input_kinds=dict.fromkeys(FEATURES, "number"),  # the app asks for the four measurements in cm
    input_labels={
        "sepal_length": "Sepal length (cm)",
        "sepal_width": "Sepal width (cm)",
        "petal_length": "Petal length (cm)",
        "petal_width": "Petal width (cm)",
    },
    examples=[[5.1, 3.5, 1.4, 0.2], [6.0, 2.7, 4.5, 1.5], [6.7, 3.1, 5.6, 2.2]],
    app_title="Which iris is this?",
    app_emoji="🌸",
    sample_noun="flower",
    plausible=PLAUSIBLE_CM,
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
    if stored.empty:
        raise RunFirstError("there are no stored flowers yet: run 1_feature_pipeline.ipynb with BACKFILL=True first")
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
        raise RunFirstError(
            "no variety has 5 stored flowers to learn from: run 1_feature_pipeline.ipynb with BACKFILL=True first"
        )
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
    flower = synthetic_flowers(fit_generator(stored), 1, rng_for(run_date, seed, DATASET.name))
    flower.insert(0, "id", np.int64(daily_id(run_date)))
    flower["event_time"] = daily_event_time(run_date)
    return flower


def candidates() -> list[tuple[Pipeline, dict]]:
    """Scaling then distance-weighted KNN, with k chosen by cross-validation."""
    pipeline = Pipeline([("scale", StandardScaler()), ("knn", KNeighborsClassifier())])
    return [(pipeline, {"knn__n_neighbors": [7, 9, 11, 13], "knn__weights": ["distance"]})]


def train(X: pd.DataFrame, y: pd.DataFrame | pd.Series, seed: int = 0) -> TrainingResult:
    """Fit the Iris pipeline on a split of `X, y` and score it on the held-out part."""
    return search_and_evaluate(X[FEATURES], label_series(y, DATASET.label), candidates(), seed)
