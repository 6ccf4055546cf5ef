"""What the local store's feature groups, queries and views share: times, warnings, result types.

Named after `hsfs.util`, where Hopsworks keeps the same helpers.
"""

from __future__ import annotations

import warnings
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from serverless_ml.errors import SchemaError

TimeLike = str | int | datetime | date | None
DEFAULT_VERSION = 1  # hsfs.feature_store.FeatureStore.DEFAULT_VERSION
_WARNED: set[str] = set()


class VersionWarning(UserWarning):
    """As `hopsworks_common.util.VersionWarning`: a version was chosen for you."""


def warn_once(key: str, message: str) -> None:
    """Warn about an argument without local effect the first time it is used in this process."""
    if key not in _WARNED:
        _WARNED.add(key)
        warnings.warn(message, UserWarning, stacklevel=3)


def no_local_effect(method: str, kwargs: dict[str, Any], **given: Any) -> None:
    """Warn once for each Hopsworks argument that the local store accepts but cannot act on."""
    for name, value in {**given, **kwargs}.items():
        if value not in (None, False, "", {}, []):
            warn_once(
                f"{method}.{name}",
                f"{method}({name}=...) has no effect on the local backend; it is kept for Hopsworks parity.",
            )


def to_timestamp(value: TimeLike) -> pd.Timestamp | None:
    """A time as `hopsworks_common.util._convert_event_time_to_timestamp` reads it, in naive UTC.

    Text, dates and datetimes (naive ones are UTC); integers are epoch milliseconds, or seconds
    when they have ten digits or fewer.
    """
    if value is None or value == "":
        return None
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        if value <= 0:
            raise SchemaError(f"timestamp {value} must be a positive epoch time")
        return pd.Timestamp(int(value) * 1000 if len(str(int(value))) <= 10 else int(value), unit="ms")
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as error:
        raise SchemaError(f"{value!r} is not a time Hopsworks reads (use 'YYYY-MM-DD', a datetime or epoch ms)") from (
            error
        )
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo else stamp


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def as_dataframe_type(df: pd.DataFrame, dataframe_type: str) -> Any:
    """`hsfs.engine.python.Engine._return_dataframe_type`."""
    kind = (dataframe_type or "default").lower()
    if kind in ("default", "pandas"):
        return df
    if kind == "numpy":
        return df.values
    if kind == "python":
        return df.values.tolist()
    if kind == "polars":
        import polars as pl

        return pl.from_pandas(df)
    raise TypeError(
        f"dataframe_type {dataframe_type!r} is not supported: use 'default', 'pandas', 'polars', 'numpy' or 'python'"
    )


def default_version(version: int | None, what: str, name: str) -> int:
    """`version`, or version 1 with Hopsworks' warning (`FeatureStore.get_feature_group`/`get_feature_view`,
    `ModelRegistry.get_model`: "No version provided for getting ...")."""
    if version is not None:
        return version
    warnings.warn(
        f"No version provided for getting {what} `{name}`, defaulting to `{DEFAULT_VERSION}`.",
        VersionWarning,
        stacklevel=3,
    )
    return DEFAULT_VERSION
