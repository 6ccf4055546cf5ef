"""What the notebooks of both datasets share: parameters, daily ids, the dataset description."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from serverless_ml.errors import ParameterError
from serverless_ml.settings import REPO_ROOT

#: Daily synthetic samples carry event times from this date on; backfilled rows are older.
DAILY_START = pd.Timestamp("2000-01-01")
#: The event time of every backfilled row: the day before the first daily sample. Not the data sets'
#: own dates (1936, 1912): Hopsworks gives training data from 1 s after the Unix epoch on
#: (hsfs FeatureViewEngine._get_start_time), so rows dated before 1970 would never be trained on.
BACKFILL_TIME = DAILY_START - pd.Timedelta(days=1)
#: How many days back batch inference looks for samples it has not scored yet.
LOOKBACK_DAYS = 30
ASSETS = REPO_ROOT / "assets"


@dataclass(frozen=True)
class DatasetSpec:
    """How one dataset (Iris, Titanic) looks to the shared feature store and monitoring code."""

    name: str
    label: str
    classes: tuple  # label values in display order
    class_names: tuple[str, ...]  # what a person reads for each label value
    primary_key: str
    feature_group_version: int = 1
    event_time: str = "event_time"
    images: dict = field(default_factory=dict)  # label value -> file name under assets/

    @property
    def predictions_group(self) -> str:
        return f"{self.name}_predictions"

    def display(self, value) -> str:
        """The readable name of a label value."""
        return dict(zip(self.classes, self.class_names, strict=True)).get(value, str(value))

    def image(self, value) -> Path:
        """The image under `assets/` that shows a label value."""
        return ASSETS / self.images[value]


def parse_run_date(value: str | date | None, name: str = "RUN_DATE") -> date:
    """The run date from a notebook parameter: an ISO date, or None for today (UTC)."""
    if value is None or value == "":
        return datetime.now(UTC).date()
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ParameterError(f"{name}={value!r} is not a date: expected YYYY-MM-DD, or None for today") from None


def check_flag(value: object, name: str) -> bool:
    """A True/False notebook parameter, refusing anything else (papermill passes text as given)."""
    if isinstance(value, bool):
        return value
    raise ParameterError(f"{name}={value!r} must be True or False")


def check_seed(seed: object) -> int | None:
    """A SEED parameter: a whole number, or None to derive it from the run date."""
    if seed is None or (isinstance(seed, int) and not isinstance(seed, bool)):
        return seed
    raise ParameterError(f"SEED={seed!r} must be a whole number or None")


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


def inference_window(run_date: date) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[start, end) of the event times batch inference reads: the last `LOOKBACK_DAYS` days."""
    end = pd.Timestamp(run_date + timedelta(days=1))
    return end - pd.Timedelta(days=LOOKBACK_DAYS + 1), end
