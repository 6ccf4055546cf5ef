"""Notebook and command parameters: checked at once, refused with a message that names them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from serverless_ml.errors import ParameterError


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


def check_backfill(value: object) -> bool | str:
    """The feature pipelines' BACKFILL: True (load the whole data set), False (add the day's sample) or
    "auto" (backfill an empty feature group, else add the day's sample: what a first Run All needs)."""
    if isinstance(value, bool) or value == "auto":
        return value
    raise ParameterError(f'BACKFILL={value!r} must be True, False or "auto"')


def check_seed(seed: object) -> int | None:
    """A SEED parameter: a whole number, or None to derive it from the run date."""
    if seed is None or (isinstance(seed, int) and not isinstance(seed, bool)):
        return seed
    raise ParameterError(f"SEED={seed!r} must be a whole number or None")


def run_dates(start: str | date | None, run_date: date) -> list[date]:
    """The days from `start` (a START_DATE parameter; None: `run_date` alone) to `run_date`, in order."""
    if start is None or start == "":
        return [run_date]
    first = parse_run_date(start, "START_DATE")
    if first > run_date:
        raise ParameterError(f"START_DATE={start!r} is after RUN_DATE {run_date}: expected an earlier day")
    return [first + timedelta(days=n) for n in range((run_date - first).days + 1)]
