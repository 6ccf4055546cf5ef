"""The daily samples' timeline (serverless_ml/samples.py)."""

from __future__ import annotations

from datetime import date

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


def _hopsworks_group(*names: str):
    """An `hsfs` FeatureGroup as Hopsworks returns it (no server needed to build one with the Python engine)."""
    from hsfs.feature import Feature
    from hsfs.feature_group import FeatureGroup

    from serverless_ml.store.transformations import _python_engine

    _python_engine()
    # as FeatureStore.get_or_create_feature_group builds one: partition_key defaults to []
    features = [Feature(name, "string") for name in names]
    return FeatureGroup(
        name="iris", version=1, featurestore_id=1, primary_key=["id"], partition_key=[], features=features
    )


@pytest.mark.parametrize(
    ("names", "stops"),
    [
        (None, True),  # get_feature_group: no such group
        ((), True),  # get_or_create_feature_group: new, not written yet
        (("id", "variety"), False),
    ],
)
def test_check_backfilled_on_hopsworks_groups(names, stops):
    group = None if names is None else _hopsworks_group(*names)
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
    ("mode", "names", "backfills"),
    [
        ("auto", None, True),  # no such group yet
        ("auto", (), True),  # new from get_or_create_feature_group, never written
        ("auto", ("id", "variety"), False),  # backfilled: add the day's sample
        (True, ("id", "variety"), True),  # forced, as papermill passes it
        (False, None, False),  # forced: the daily step then says to backfill first
    ],
)
def test_backfill_needed(mode, names, backfills):
    group = None if names is None else _hopsworks_group(*names)
    assert backfill_needed(mode, group) is backfills
