"""Registering trained pipelines and loading the best one back, on either backend."""

from __future__ import annotations

import json
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
INPUTS_FILE = "inputs.json"


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


def describe_inputs(X: pd.DataFrame, kinds: dict[str, str]) -> dict[str, dict]:
    """What each input takes, from the training data: ranges of numbers, choices of categories.

    `kinds` maps a column to `number`, `integer`, `category`, or `text`; a trailing `?` marks it
    optional (a person may leave it empty).
    """
    described = {}
    for column, kind in kinds.items():
        optional = kind.endswith("?")
        kind = kind.rstrip("?")
        values = X[column].dropna()
        entry: dict[str, Any] = {"kind": kind, "optional": optional}
        if kind in ("number", "integer"):
            entry.update(minimum=float(values.min()), maximum=float(values.max()), default=float(values.median()))
            if kind == "integer":
                entry["default"] = float(round(entry["default"]))
        elif kind == "category":
            choices = sorted(values.unique().tolist())
            mode = values.mode().iloc[0]
            mode = mode.item() if hasattr(mode, "item") else mode  # numpy scalars are not JSON
            entry.update(choices=choices, default=None if optional else mode)
        else:
            entry["default"] = ""
        described[column] = entry
    return described


def register_model(model_registry: Any, spec: DatasetSpec, result: TrainingResult, input_kinds: dict[str, str]) -> Any:
    """Save the pipeline, what its inputs take, and its confusion matrix as a new version of `spec.name`."""
    with tempfile.TemporaryDirectory(prefix=f"{spec.name}_model_") as folder:
        joblib.dump(result.pipeline, Path(folder) / MODEL_FILE)
        inputs = describe_inputs(result.X_train, input_kinds)
        (Path(folder) / INPUTS_FILE).write_text(json.dumps(inputs, indent=1, default=str))
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
