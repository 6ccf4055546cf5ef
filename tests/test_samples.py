"""The daily samples' timeline (serverless_ml/samples.py)."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pandas as pd
import pytest

from serverless_ml.errors import RunFirstError
from serverless_ml.samples import (
    BACKFILL_TIME,
    DAILY_START,
    backfill_needed,
    check_backfilled,
    daily_event_time,
    daily_id,
    rng_for,
)


def test_daily_id_is_the_date():
    assert daily_id(date(2026, 1, 2)) == 20260102


def test_same_day_same_random_draws():
    day = date(2026, 5, 1)
    assert rng_for(day, None, "iris").random() == rng_for(day, None, "iris").random()
    assert rng_for(day, None, "iris").random() != rng_for(date(2026, 5, 2), None, "iris").random()
    assert rng_for(day, 7, "iris").random() == rng_for(date(2020, 1, 1), 7, "iris").random()


def test_backfill_is_after_the_epoch_and_before_the_daily_samples():
    # Hopsworks hands out training data from 1 s after the Unix epoch (FeatureViewEngine._get_start_time)
    assert __import__("pandas").Timestamp("1970-01-01") < BACKFILL_TIME and BACKFILL_TIME < DAILY_START
    assert daily_event_time(date(2026, 1, 2)) > DAILY_START


@pytest.mark.parametrize(
    ("group", "stops"),
    [
        (None, True),  # get_feature_group: no such group
        (SimpleNamespace(features=[]), True),  # get_or_create_feature_group: new, not written yet
        (SimpleNamespace(features=["id", "variety"]), False),
    ],
)
def test_check_backfilled(group, stops):
    if stops:
        with pytest.raises(RunFirstError, match=r"^the iris feature group has no data yet: run 1_feature_pipeline"):
            check_backfilled(group, "iris")
    else:
        check_backfilled(group, "iris")


def test_check_backfilled_on_a_new_group_of_the_local_store(project):
    fs = project.get_feature_store()
    fg = fs.get_or_create_feature_group("iris", version=1, primary_key=["id"], event_time="event_time")
    with pytest.raises(RunFirstError):
        check_backfilled(fg, "iris")
    fg.insert(pd.DataFrame({"id": [1], "event_time": [BACKFILL_TIME]}))
    check_backfilled(fs.get_feature_group("iris", version=1), "iris")


@pytest.mark.parametrize(
    ("mode", "group", "backfills"),
    [
        ("auto", None, True),  # no such group yet
        ("auto", SimpleNamespace(features=[]), True),  # new from get_or_create_feature_group, never written
        ("auto", SimpleNamespace(features=["id", "variety"]), False),  # backfilled: add the day's sample
        (True, SimpleNamespace(features=["id", "variety"]), True),  # forced, as papermill passes it
        (False, None, False),  # forced: the daily step then says to backfill first
    ],
)
def test_backfill_needed(mode, group, backfills):
    assert backfill_needed(mode, group) is backfills
