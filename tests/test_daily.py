"""The daily run's wiring (serverless_ml/daily.py): what needs running, the status file."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd

from serverless_ml import daily, iris


def test_an_empty_store_needs_everything(project):
    assert daily.needs_backfill("iris") and daily.needs_training("iris")
    # a feature group created but never written (a daily run before any backfill) still needs one
    project.get_feature_store().get_or_create_feature_group("iris", version=1, primary_key=["id"])
    assert daily.needs_backfill("iris")


def test_a_backfilled_store_needs_only_training(project):
    fs = project.get_feature_store()
    group = fs.get_or_create_feature_group("iris", version=1, primary_key=["id"], event_time="event_time")
    group.insert(iris.backfill_frame().head(10))
    assert not daily.needs_backfill("iris") and daily.needs_training("iris")


def test_status_is_written_whole(sml_env):
    path = daily.write_status("iris", date(2026, 3, 1))
    status = json.loads(path.read_text())
    assert status["run_date"] == "2026-03-01" and pd.Timestamp(status["last_run"]).year >= 2026
    assert not list(path.parent.glob(".*"))  # no temporary file left beside it


def test_runs_dir_is_new_per_command(sml_env):
    assert daily.runs_dir(date(2026, 3, 1)).name.startswith("2026-03-01_")
