"""One time format everywhere, and ages in words (`serverless_ml/times.py`)."""

from __future__ import annotations

import datetime as dt

import pytest

from serverless_ml import times


@pytest.mark.parametrize(
    ("stamp", "shown"),
    [
        ("2026-03-02T06:00:00+00:00", "2026-03-02 06:00 UTC"),
        ("2026-03-02T08:30:59+02:00", "2026-03-02 06:30 UTC"),  # another zone: said in UTC
        ("2026-03-02T06:00:00", "2026-03-02 06:00 UTC"),  # naive: the records are written in UTC
        (None, None),
    ],
)
def test_times_are_shown_in_utc_to_the_minute(stamp, shown):
    assert times.shown_time(stamp) == shown


def test_a_datetime_in_another_zone_is_said_in_utc():
    tokyo = dt.timezone(dt.timedelta(hours=9))
    assert times.shown(dt.datetime(2026, 12, 2, 14, 18, 41, tzinfo=tokyo)) == "2026-12-02 05:18 UTC"


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        (0, "0 minutes"),
        (60, "1 minute"),
        (59 * 60, "59 minutes"),
        (3600, "1 hour"),
        (47 * 3600, "47 hours"),
        (48 * 3600, "2 days"),
        (36 * 86400, "36 days"),
    ],
)
def test_ages_are_said_in_minutes_hours_or_days(seconds, said):
    assert times.age(seconds) == said
