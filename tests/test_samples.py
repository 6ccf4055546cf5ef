"""The daily samples' timeline (serverless_ml/samples.py)."""

from __future__ import annotations

from datetime import date

from serverless_ml.samples import BACKFILL_TIME, DAILY_START, daily_event_time, daily_id, rng_for


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
