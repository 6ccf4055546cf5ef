"""Titanic data, generator and model (serverless_ml/titanic.py)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from serverless_ml import titanic
from serverless_ml.errors import NotFoundError, SchemaError


@pytest.fixture(scope="module")
def passengers(titanic_csv) -> pd.DataFrame:
    return titanic.backfill_frame(titanic_csv[0])


def test_clean_features(passengers):
    assert passengers.columns.tolist() == [
        "passengerid", "pclass", "sex", "age", "sibsp", "parch", "fare", "embarked", "title", "surname",
        "survived", "event_time",
    ]  # fmt: skip
    assert passengers["passengerid"].is_unique
    assert set(passengers["title"]) <= set(titanic.TITLES)
    assert set(passengers["sex"]) == {"male", "female"}


def test_missing_values_stay_missing(titanic_csv):
    raw = titanic.load_raw(titanic_csv[0])
    assert titanic.clean(raw)["age"].isna().sum() == raw["Age"].isna().sum() > 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda raw: raw.drop(columns=["Age", "Sex"]), r"lacks column\(s\) \['Sex', 'Age'\]"),
        (lambda raw: raw.assign(Age=raw["Age"].astype(object).where(raw.index != 3, "forty")),
         "column 'Age' must be numeric, got 'forty' \\(row 5\\)"),
    ],
)  # fmt: skip
def test_malformed_csv_is_named(tmp_path, titanic_csv, change, message):
    bad = tmp_path / "bad.csv"
    change(pd.read_csv(titanic_csv[0])).to_csv(bad, index=False)
    with pytest.raises(SchemaError, match=message) as caught:
        titanic.load_raw(str(bad))
    assert str(bad) in str(caught.value)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(NotFoundError, match=r"nope\.csv does not exist"):
        titanic.load_raw(str(tmp_path / "nope.csv"))


def test_unreachable_url_is_named(sml_env):
    with pytest.raises(NotFoundError, match=r"cannot download the Titanic CSV from http://127\.0\.0\.1:9/t\.csv"):
        titanic.load_raw("http://127.0.0.1:9/t.csv")


def test_daily_passenger(passengers):
    day = date(2026, 4, 15)
    passenger = titanic.synthetic_passenger(passengers, day)
    assert passenger.columns.tolist() == passengers.columns.tolist()
    assert passenger["passengerid"].tolist() == [20260415]
    pd.testing.assert_frame_equal(passenger, titanic.synthetic_passenger(passengers, day))


def test_generator_draws_survival_at_the_real_rate_and_features_given_it(passengers):
    synthetic = titanic.synthetic_passengers(passengers, 1000, np.random.default_rng(0))
    assert abs(synthetic["survived"].mean() - passengers["survived"].mean()) < 0.05
    by_sex = synthetic.groupby("sex")["survived"].mean()
    assert by_sex["female"] > by_sex["male"] + 0.3
    assert synthetic["surname"].is_unique


class TestFamilySurvival:
    X = pd.DataFrame({"surname": ["A", "A", "A", "B"], "sex": ["female", "female", "male", "female"],
                      "title": ["Mrs", "Miss", "Mr", "Mrs"]})  # fmt: skip

    def test_training_rows_leave_themselves_out(self):
        out = titanic.FamilySurvival().fit_transform(self.X, [1, 0, 0, 1])
        assert out["family_wc_survival"].tolist() == [0.0, 1.0, 0.5, 0.5]
        assert out["family_known"].tolist() == [1, 1, 1, 0]

    def test_new_passengers_see_the_whole_family(self):
        family = titanic.FamilySurvival().fit(self.X, [1, 0, 0, 1])
        new = pd.DataFrame({"surname": ["A", "C"], "sex": ["male", "male"], "title": ["Mr", "Mr"]})
        assert family.transform(new)["family_wc_survival"].tolist() == [0.5, 0.5]
        assert family.transform(new)["family_known"].tolist() == [1, 0]


@pytest.mark.parametrize(
    ("sex", "age", "title"), [("male", 8.0, "Master"), ("male", 40.0, "Mr"), ("female", 10.0, "Miss"),
                              ("female", 50.0, "Mrs")],
)  # fmt: skip
def test_fill_title(sex, age, title):
    frame = pd.DataFrame({"sex": [sex], "age": [age], "title": [None]})
    assert titanic.FillTitle().fit_transform(frame)["title"].tolist() == [title]
