"""Registering trained pipelines and loading the best one back, on either backend."""

from __future__ import annotations

import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import pandas as pd

from serverless_ml.monitoring import confusion_matrix_figure, save_figure
from serverless_ml.pipelines import DatasetSpec

MODEL_FILE = "model.joblib"


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


def _model_schema(X: pd.DataFrame, y: pd.Series) -> Any:
    from hsml.model_schema import ModelSchema
    from hsml.schema import Schema

    with warnings.catch_warnings():  # hsml marks these deprecated, yet create_model still takes them
        warnings.simplefilter("ignore")
        return ModelSchema(input_schema=Schema(X), output_schema=Schema(y.to_frame()))


def register_model(model_registry: Any, spec: DatasetSpec, result: TrainingResult) -> Any:
    """Save the pipeline and its confusion matrix as a new version of model `spec.name`."""
    with tempfile.TemporaryDirectory(prefix=f"{spec.name}_model_") as folder:
        joblib.dump(result.pipeline, Path(folder) / MODEL_FILE)
        figure = confusion_matrix_figure(result.y_test, result.y_pred, spec, title="Held-out test split")
        save_figure(figure, Path(folder) / "confusion_matrix.png")
        model = model_registry.python.create_model(
            name=spec.name,
            metrics=result.metrics,
            description=result.description,
            input_example=result.X_train.head(1),
            model_schema=_model_schema(result.X_train, result.y_train),
        )
        model.save(folder)
    return model


def load_best_model(model_registry: Any, name: str, metric: str = "accuracy") -> tuple[Any, Any]:
    """The registered pipeline with the highest `metric` and its registry entry, or (None, None)."""
    model = model_registry.get_best_model(name, metric, "max")
    if model is None:
        print(f"No model {name!r} is registered yet: run the training pipeline first.")
        return None, None
    folder = Path(model.download())
    return joblib.load(folder / MODEL_FILE), model
