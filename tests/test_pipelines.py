"""Notebook parameters and daily ids (serverless_ml/pipelines.py)."""

from __future__ import annotations

from datetime import date

import pytest

from serverless_ml.errors import ParameterError
from serverless_ml.pipelines import (
    check_flag,
    check_seed,
    daily_id,
    inference_window,
    parse_run_date,
    rng_for,
)


class TestParseRunDate:
    def test_iso_date(self):
        assert parse_run_date("2026-11-23") == date(2026, 11, 23)

    def test_none_is_today(self):
        assert isinstance(parse_run_date(None), date)

    @pytest.mark.parametrize("bad", ["2026-13-01", "yesterday", "23/11/2026", 2026])
    def test_bad_value_names_the_parameter(self, bad):
        with pytest.raises(ParameterError, match=r"RUN_DATE=.* expected YYYY-MM-DD"):
            parse_run_date(bad)


@pytest.mark.parametrize("bad", ["True", 1, None, "yes"])
def test_flag_refuses_non_booleans(bad):
    with pytest.raises(ParameterError, match="BACKFILL"):
        check_flag(bad, "BACKFILL")


@pytest.mark.parametrize("bad", ["0", 1.5, True])
def test_seed_must_be_whole(bad):
    with pytest.raises(ParameterError, match="SEED"):
        check_seed(bad)


def test_daily_id_is_the_date():
    assert daily_id(date(2026, 1, 2)) == 20260102


def test_same_day_same_random_draws():
    day = date(2026, 5, 1)
    assert rng_for(day, None, "iris").random() == rng_for(day, None, "iris").random()
    assert rng_for(day, None, "iris").random() != rng_for(date(2026, 5, 2), None, "iris").random()
    assert rng_for(day, 7, "iris").random() == rng_for(date(2020, 1, 1), 7, "iris").random()


def test_inference_window_ends_after_the_run_date():
    start, end = inference_window(date(2026, 3, 10))
    assert str(end) == "2026-03-11 00:00:00" and start < end
