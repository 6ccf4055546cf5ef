"""The folder a model is registered from: the fitted pipeline and what each of its inputs takes.

`write_model_folder` fills a folder that `model.save(folder)` registers; `load_pipeline` and
`load_inputs` read a folder that `model.download()` returned. Both backends store the folder as
it is, so the apps and batch inference read the same files whatever the backend.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import joblib
import pandas as pd

MODEL_FILE = "model.joblib"
INPUTS_FILE = "inputs.json"


def describe_inputs(X: pd.DataFrame, kinds: dict[str, str]) -> dict[str, dict]:
    """What each input takes, from the training data: ranges of numbers, choices of categories.

    `kinds` maps a column to `number`, `integer`, `category`, or `text`; a trailing `?` marks it
    optional (a person may leave it empty). Ranges are the training data's own; a number's default
    is its median rounded to two decimals (a whole number for an integer).
    """
    described = {}
    for column, kind in kinds.items():
        optional = kind.endswith("?")
        kind = kind.rstrip("?")
        values = X[column].dropna()
        entry: dict[str, Any] = {"kind": kind, "optional": optional}
        if kind in ("number", "integer"):
            # the true range, which the apps check; a default a person would type (14.45, not 14.4542)
            median = float(values.median())
            entry.update(minimum=float(values.min()), maximum=float(values.max()),
                         default=float(round(median)) if kind == "integer" else round(median, 2))  # fmt: skip
        elif kind == "category":
            choices = sorted(values.unique().tolist())
            mode = values.mode().iloc[0]
            mode = mode.item() if hasattr(mode, "item") else mode  # numpy scalars are not JSON
            entry.update(choices=choices, default=None if optional else mode)
        else:
            entry["default"] = ""
        described[column] = entry
    return described


def write_model_folder(folder: Path, pipeline: Any, X_train: pd.DataFrame, kinds: dict[str, str]) -> Path:
    """Write the pipeline and the description of its inputs into `folder`; return it."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    joblib.dump(pipeline, folder / MODEL_FILE)
    inputs = describe_inputs(X_train, kinds)
    (folder / INPUTS_FILE).write_text(json.dumps(inputs, indent=1, default=str))
    return folder


def load_pipeline(folder: str | Path) -> Any:
    """The fitted pipeline in a downloaded model folder."""
    return joblib.load(Path(folder) / MODEL_FILE)


def load_inputs(folder: str | Path) -> dict[str, dict]:
    """What each input of the model in `folder` takes (see `describe_inputs`)."""
    return json.loads((Path(folder) / INPUTS_FILE).read_text())


def model_schema(X: pd.DataFrame, y: pd.DataFrame | pd.Series) -> Any:
    """The hsml `ModelSchema` of inputs `X` and output `y`, as Hopsworks records it."""
    from hsml.model_schema import ModelSchema
    from hsml.schema import Schema

    output = y.to_frame() if isinstance(y, pd.Series) else y
    with warnings.catch_warnings():  # hsml marks these deprecated, yet create_model still takes them
        warnings.simplefilter("ignore")
        return ModelSchema(input_schema=Schema(X), output_schema=Schema(output))
