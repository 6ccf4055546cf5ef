"""The daily run's wiring: which notebook runs after which, for each registered dataset.

Every step is a papermill run of a pipeline notebook (`runner.py`); this module only decides
which ones run, and records each dataset's last run for the dashboard.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

from serverless_ml.files import write_atomic
from serverless_ml.runner import render_html, run_notebook, timed
from serverless_ml.settings import get_settings


def runs_dir(run_date: date) -> Path:
    """A new folder for the executed notebooks of one command."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return get_settings().home / "runs" / f"{run_date.isoformat()}_{stamp}"


def step(dataset: str, stage: str, parameters: dict, runs: Path, publish: bool = True) -> Path:
    """Run one notebook with a timed line; publish its HTML for the dashboard."""
    label = f"{dataset}: {stage}" + (f" {parameters['RUN_DATE']}" if "RUN_DATE" in parameters else "")
    with timed(label):
        executed = run_notebook(dataset, stage, parameters, runs)
    if publish:
        render_html(executed, get_settings().docs / "runs" / dataset / executed.with_suffix(".html").name)
    return executed


def needs_backfill(dataset: str) -> bool:
    """Whether the dataset's feature group is missing or empty."""
    import serverless_ml
    from serverless_ml import datasets

    record = datasets.get(dataset)
    # both backends return None for a feature group that does not exist (hsfs FeatureStore.get_feature_group)
    feature_group = (
        serverless_ml.login().get_feature_store().get_feature_group(record.name, version=record.feature_group_version)
    )
    return feature_group is None or not feature_group.features


def needs_training(dataset: str) -> bool:
    """Whether no model of the dataset is registered."""
    import serverless_ml
    from serverless_ml import datasets

    return datasets.get(dataset).best_model(serverless_ml.login().get_model_registry()) is None


def bootstrap(dataset: str, runs: Path) -> None:
    """Backfill and train when the feature group or the model is missing."""
    if needs_backfill(dataset):
        step(dataset, "feature", {"BACKFILL": True}, runs)
    if needs_training(dataset):
        step(dataset, "training", {}, runs)


def write_status(dataset: str, run_date: date) -> Path:
    """Record the dataset's last run for the dashboard, atomically."""
    status = {"last_run": datetime.now(UTC).isoformat(timespec="seconds"), "run_date": run_date.isoformat()}
    return write_atomic(get_settings().docs / dataset / "status.json", lambda tmp: tmp.write_text(json.dumps(status)))


def daily_one(dataset: str, run_date: date, runs: Path) -> None:
    """One dataset's day: bootstrap if needed, then the feature and batch inference notebooks."""
    bootstrap(dataset, runs)
    step(dataset, "feature", {"BACKFILL": False, "RUN_DATE": run_date.isoformat()}, runs)
    step(dataset, "inference", {"RUN_DATE": run_date.isoformat()}, runs)
    write_status(dataset, run_date)
