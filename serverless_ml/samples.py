"""The timeline of every dataset: backfilled rows, then one synthetic sample a day.

A day's sample has a fixed id (the date as YYYYMMDD) and event time (that day at midnight), and
its random draws are seeded from the date, so re-running a day reproduces and replaces it.
"""

from __future__ import annotations

import zlib
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from serverless_ml.errors import RunFirstError
from serverless_ml.parameters import check_seed

#: Daily synthetic samples carry event times from this date on; backfilled rows are older.
DAILY_START = pd.Timestamp("2000-01-01")
#: The event time of every backfilled row: the day before the first daily sample. Not the data sets'
#: own dates (1936, 1912): Hopsworks gives training data from 1 s after the Unix epoch on
#: (hsfs FeatureViewEngine._get_start_time), so rows dated before 1970 would never be trained on.
BACKFILL_TIME = DAILY_START - pd.Timedelta(days=1)


def daily_id(run_date: date) -> int:
    """The id of a day's synthetic sample: the date as YYYYMMDD, so a re-run replaces it."""
    return run_date.year * 10_000 + run_date.month * 100 + run_date.day


def daily_event_time(run_date: date) -> pd.Timestamp:
    """The event time of a day's sample: that day at midnight (UTC)."""
    return pd.Timestamp(run_date)


def rng_for(run_date: date, seed: int | None, dataset: str) -> np.random.Generator:
    """A random generator: from `seed`, or else from the date, so a re-run reproduces the day."""
    if check_seed(seed) is None:
        seed = zlib.crc32(f"{dataset}:{run_date.isoformat()}".encode())
    return np.random.default_rng(seed)


def check_backfilled(fg: Any, dataset: str) -> None:
    """Stop with what to run first if feature group `fg` has no data yet.

    It has none when it is None (`get_feature_group` of a group that does not exist) or has no
    features: a new group from `get_or_create_feature_group` is saved by its first insert, on
    Hopsworks too, and cannot be read before it (hsfs `FeatureGroup.read` filters on
    `get_feature(event_time)`, which is None until then).
    """
    if fg is None or not fg.column_names:
        raise RunFirstError(
            f"the {dataset} feature group has no data yet: run 1_feature_pipeline.ipynb with BACKFILL=True first"
        )


def backfill_needed(mode: bool | str, fg: Any) -> bool:
    """Whether this run backfills: BACKFILL True or False as given; "auto" backfills a feature group with
    no data yet (as `check_backfilled` tells it: None, or no features before its first insert)."""
    if mode != "auto":
        return bool(mode)
    return fg is None or not fg.column_names
