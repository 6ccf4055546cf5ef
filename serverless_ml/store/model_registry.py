"""The local model registry, named as in Hopsworks' hsml: versioned artifacts with metrics."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from serverless_ml.errors import HopsworksOnlyError, NotFoundError, SchemaError
from serverless_ml.store.database import Database
from serverless_ml.store.util import default_version

_DIRECTIONS = {"max": "DESC", "min": "ASC"}


def _example_to_json(example: Any) -> str | None:
    """Store an input example as `hopsworks_common.util._input_example_to_json` does.

    A DataFrame keeps its first row only, as a flat list of values; a Series or an array becomes a
    list; a dict or a list is kept as it is.
    """
    if example is None:
        return None
    if isinstance(example, np.ndarray):
        if example.size == 0:
            raise SchemaError("input_example can not be empty")
        example = example.tolist()
    elif isinstance(example, pd.DataFrame):
        example = example.iloc[0].tolist()
    elif isinstance(example, pd.Series):
        example = example.tolist()
    elif isinstance(example, list):
        if not example:
            raise SchemaError("input_example can not be empty")
    elif not isinstance(example, dict):
        raise SchemaError(f"{type(example)} is not a supported input example type")
    return json.dumps(example, default=_json_value)


def _json_value(value: Any) -> Any:
    # hsml's NumpyEncoder: times as ISO text, numpy scalars as Python numbers
    if isinstance(value, (datetime, pd.Timestamp)):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def _schema_to_json(model_schema: Any) -> str | None:
    if model_schema is None:
        return None
    if hasattr(model_schema, "to_dict"):
        model_schema = model_schema.to_dict()
    if not isinstance(model_schema, dict):
        raise SchemaError(f"model_schema must be an hsml ModelSchema or a dict, got {type(model_schema).__name__}")
    return json.dumps(model_schema, default=str)


def _check_metrics(metrics: dict | None) -> dict[str, float | str]:
    """Metrics as `hopsworks_common.util._validate_metrics` takes them: text names, values `float()` reads
    (numbers, or text such as the book's `str(mse)`), kept as given; a non-finite number is kept as its text."""
    if metrics is None:
        return {}
    if not isinstance(metrics, dict):
        raise TypeError(f"provided metrics is of instance {type(metrics)}, expected a dict")
    checked: dict[str, float | str] = {}
    for key, value in metrics.items():
        if not isinstance(key, str):
            raise TypeError(f"provided metrics key is of instance {type(key)}, expected a string")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(
                f"{value!s} is not a number, only numbers can be attached as metadata for models (metric {key!r})."
            ) from None
        if isinstance(value, str):
            checked[key] = value
        else:
            checked[key] = number if math.isfinite(number) else str(number)
    return checked


class Model:
    """One registered (or about to be registered) model version."""

    def __init__(
        self,
        registry: ModelRegistry,
        name: str,
        version: int | None,
        metrics: dict[str, float],
        description: str | None,
        input_example: str | None,
        model_schema: str | None,
        feature_view: str | None = None,
        created: datetime | None = None,
    ) -> None:
        self._registry = registry
        self.name = name
        self.version = version
        self.training_metrics = metrics
        self.description = description
        self._input_example = input_example
        self._model_schema = model_schema
        self._feature_view = feature_view
        self.created = created

    def __repr__(self) -> str:
        return f"Model({self.name!r}, version={self.version})"

    @property
    def input_example(self) -> Any:
        """The example as Hopsworks keeps it in `input_example.json`: a list (or dict) of values."""
        return json.loads(self._input_example) if self._input_example else None

    @property
    def _provenance(self) -> dict | None:
        if not self._feature_view:
            return None
        if self._feature_view.startswith("{"):
            return json.loads(self._feature_view)
        name, version = self._feature_view.rsplit(":", 1)  # stores written before provenance had a dataset
        return {"name": name, "version": int(version), "training_dataset_version": None}

    @property
    def training_dataset_version(self) -> int | None:
        """The training dataset the model was trained on (`create_model(training_dataset_version=...)`)."""
        return (self._provenance or {}).get("training_dataset_version")

    def get_feature_view(self, init: bool = True, online: bool = False) -> Any:
        """The feature view the model was trained from, or None (`Model.get_feature_view`, from provenance).

        With `init`, it is initialised with the model's training-dataset version, as hsml does: for batch
        scoring (`init_batch_scoring`), or with `online=True` for feature vectors too (`init_serving`).
        """
        if self._provenance is None:
            return None
        from serverless_ml.store.feature_store import FeatureStore

        fs = FeatureStore(self._registry._db)
        fv = fs._get_view(self._provenance["name"], self._provenance["version"])
        if fv is not None and init:
            td_version = self.training_dataset_version
            if online or "DEPLOYMENT_NAME" in os.environ:
                fv.init_serving(training_dataset_version=td_version)
            else:
                fv.init_batch_scoring(training_dataset_version=td_version)
        return fv

    def deploy(self, *args: Any, **kwargs: Any) -> Any:
        """Model serving needs Hopsworks."""
        raise HopsworksOnlyError("Model.deploy", "load the model with model.download() and predict in the process")

    @property
    def model_schema(self) -> dict | None:
        return json.loads(self._model_schema) if self._model_schema else None

    @property
    def model_files_path(self) -> str:
        return str(self._registry._artifact_dir(self.name, self.version))

    def save(
        self, model_path: str, await_registration: int = 480, keep_original_files: bool = False, **_: Any
    ) -> Model:
        """Copy `model_path` (a file or a folder) into the registry as the next (or given) version."""
        return self._registry._register(self, Path(model_path))

    def download(self, local_path: str | None = None) -> str:
        """The model's files on this machine: the folder they are in (`Model.download`).

        With `local_path`, copied there. Without, as `hsml.engine.model_engine.ModelEngine._download`:
        into a cache folder per model version, reused once complete (its `.download_complete` marker),
        the version's older copies removed. hsml keys the folder by the backend's model id, so that a
        recreated version is downloaded again; here by the version's registration time, in the store's
        folder (`cache/models/<name>/<version>/<time>`), as ids are only unique within one store.
        """
        if self.version is None:
            raise NotFoundError(f"model {self.name!r} has not been saved yet")
        source = self._registry._artifact_dir(self.name, self.version)
        if local_path:
            shutil.copytree(source, local_path, dirs_exist_ok=True)
            return str(local_path)
        stamp = str(int(self.created.timestamp() * 1000)) if self.created else "0"
        cache = self._registry._root.parent / "cache" / "models" / self.name / str(self.version) / stamp
        if (cache / ".download_complete").is_file():
            print(f"Using cached model files at '{cache}'. Pass local_path to force a fresh download.")
            return str(cache)
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=".partial_", dir=cache.parent))
        shutil.copytree(source, partial, dirs_exist_ok=True)
        (partial / ".download_complete").write_text(f"Downloaded at: {time.time()}\n")
        shutil.rmtree(cache, ignore_errors=True)  # an incomplete copy (no marker) is never reused
        try:
            partial.rename(cache)  # whole or not at all
        except OSError:  # another process finished the same download first: use its copy
            shutil.rmtree(partial, ignore_errors=True)
        for other in cache.parent.iterdir():  # ModelEngine._prune_other_model_ids
            if other != cache and not other.name.startswith(".partial_"):
                shutil.rmtree(other, ignore_errors=True)
        return str(cache)


class _PythonModelApi:
    def __init__(self, registry: ModelRegistry) -> None:
        self._registry = registry

    def create_model(
        self,
        name: str,
        version: int | None = None,
        metrics: dict | None = None,
        description: str | None = None,
        input_example: Any = None,
        model_schema: Any = None,
        feature_view: Any = None,
        training_dataset_version: int | None = None,
        **_: Any,
    ) -> Model:
        """A model ready to `save(model_path)`; `version=None` takes the next free version."""
        # hopsworks_common.util._validate_model_name
        if not isinstance(name, str) or not re.fullmatch(r"[a-zA-Z0-9_]+", name):
            raise SchemaError(
                f"Invalid model name {name!r}. Model name must contain only alphanumeric characters and "
                "underscores (regex: [a-zA-Z0-9_]+)."
            )
        provenance = None
        if feature_view is not None:
            # Model.save: without a training dataset version, the feature view's last accessed one
            if training_dataset_version is None:
                training_dataset_version = feature_view.get_last_accessed_training_dataset()
            provenance = json.dumps(
                {
                    "name": feature_view.name,
                    "version": feature_view.version,
                    "training_dataset_version": training_dataset_version,
                }
            )
        return Model(
            self._registry,
            name,
            version,
            _check_metrics(metrics),
            description or f"A collection of models for {name}",  # hsml.model.Model.__init__
            _example_to_json(input_example),
            _schema_to_json(model_schema),
            provenance,
        )


class ModelRegistry:
    """Registered models: metadata in the store's DuckDB file, artifacts in folders beside it."""

    def __init__(self, db: Database, root: Path) -> None:
        self._db = db
        self._root = Path(root)
        self.python = _PythonModelApi(self)
        self.sklearn = self.python

    def _artifact_dir(self, name: str, version: int) -> Path:
        return self._root / name / str(version)

    def _register(self, model: Model, model_path: Path) -> Model:
        if not model_path.exists():
            raise NotFoundError(f"model_path {model_path} does not exist")
        with self._db.transaction() as con:
            version = model.version
            if version is None:
                [(latest,)] = con.execute(
                    "SELECT max(version) FROM _sml_models WHERE name = ?", [model.name]
                ).fetchall()
                version = (latest or 0) + 1
            elif con.execute(
                "SELECT 1 FROM _sml_models WHERE name = ? AND version = ?", [model.name, version]
            ).fetchall():
                raise SchemaError(f"model {model.name!r} version {version} is already registered")
            target = self._artifact_dir(model.name, version)
            target.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=target.parent))
            if model_path.is_dir():
                shutil.copytree(model_path, staging, dirs_exist_ok=True)
            else:
                shutil.copy2(model_path, staging / model_path.name)
            if target.exists():  # left by a save that died before its commit
                shutil.rmtree(target)
            staging.rename(target)
            con.execute(
                "INSERT INTO _sml_models VALUES (?, ?, ?, ?, ?, ?, ?, now() AT TIME ZONE 'UTC')",
                [
                    model.name,
                    version,
                    model.description,
                    json.dumps(model.training_metrics),
                    model._input_example,
                    model._model_schema,
                    model._feature_view,
                ],
            )
            [(created,)] = con.execute(
                "SELECT created_at FROM _sml_models WHERE name = ? AND version = ?", [model.name, version]
            ).fetchall()
        model.version, model.created = version, created
        return model

    def _select(self, where: str, params: list, order: str = "version DESC") -> Model | None:
        with self._db.connect() as con:
            rows = con.execute(
                "SELECT name, version, metrics, description, input_example, model_schema, feature_view, "
                f"created_at FROM _sml_models WHERE {where} ORDER BY {order} LIMIT 1",
                params,
            ).fetchall()
        if not rows:
            return None
        name, version, metrics, description, example, schema, fv, created = rows[0]
        return Model(self, name, version, json.loads(metrics), description, example, schema, fv, created)

    def get_model(self, name: str, version: int | None = None) -> Model | None:
        """Model `name` at `version`, or None if there is none (`hsml.model_registry.ModelRegistry.get_model`).

        Without a version: version 1, with a warning (the best or newest come from `get_best_model` and
        `get_models`).
        """
        version = default_version(version, "model", name)
        return self._select("name = ? AND version = ?", [name, version])

    def get_models(self, name: str) -> list[Model]:
        """Every version of model `name`, oldest first."""
        with self._db.connect() as con:
            versions = [
                v
                for (v,) in con.execute(
                    "SELECT version FROM _sml_models WHERE name = ? ORDER BY version", [name]
                ).fetchall()
            ]
        return [self._select("name = ? AND version = ?", [name, v]) for v in versions]  # type: ignore[misc]

    def get_best_model(self, name: str, metric: str, direction: str) -> Model | None:
        """The version of `name` with the highest (`max`) or lowest (`min`) `metric`, or None."""
        if direction not in _DIRECTIONS:
            raise SchemaError(f"direction must be 'max' or 'min', got {direction!r}")
        # any metric name hsml takes ("f1 score", "MSE"); values kept as text ("0.5") compare as numbers
        path = "$." + json.dumps(metric)
        quoted = path.replace("'", "''")
        return self._select(
            "name = ? AND json_extract(metrics, ?) IS NOT NULL",
            [name, path],
            order=f"TRY_CAST(json_extract_string(metrics, '{quoted}') AS DOUBLE) {_DIRECTIONS[direction]} NULLS LAST, "
            "version DESC",
        )
