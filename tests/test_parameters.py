"""Notebook and command parameters (serverless_ml/parameters.py)."""

from __future__ import annotations

from datetime import date

import pytest

from serverless_ml.errors import ParameterError
from serverless_ml.parameters import check_backfill, check_flag, check_seed, parse_run_date


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


@pytest.mark.parametrize("value", [True, False, "auto"])
def test_backfill_is_true_false_or_auto(value):
    assert check_backfill(value) is value or check_backfill(value) == value


@pytest.mark.parametrize("bad", ["True", "yes", None, 1, "AUTO"])
def test_backfill_refuses_anything_else_naming_the_choices(bad):
    with pytest.raises(ParameterError, match=r"^BACKFILL=.* must be True, False or \"auto\"$"):
        check_backfill(bad)


@pytest.mark.parametrize("bad", ["0", 1.5, True])
def test_seed_must_be_whole(bad):
    with pytest.raises(ParameterError, match="SEED"):
        check_seed(bad)


def test_run_dates_from_start_to_the_run_date():
    from serverless_ml.parameters import run_dates

    assert run_dates(None, date(2026, 3, 2)) == [date(2026, 3, 2)]
    assert run_dates("2026-02-27", date(2026, 3, 1)) == [date(2026, 2, 27), date(2026, 2, 28), date(2026, 3, 1)]
    with pytest.raises(ParameterError, match="START_DATE='2026-03-05' is after RUN_DATE 2026-03-01"):
        run_dates("2026-03-05", date(2026, 3, 1))
