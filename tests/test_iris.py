"""Iris data, generator and model (serverless_ml/iris.py)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from sklearn.neighbors import KNeighborsClassifier

from serverless_ml import iris
from serverless_ml.errors import RunFirstError
from serverless_ml.training import repeated_cv_accuracy


@pytest.fixture(scope="module")
def real() -> pd.DataFrame:
    return iris.backfill_frame()


def test_backfill_frame(real):
    assert real.columns.tolist() == ["id", *iris.FEATURES, "variety", "event_time"]
    assert len(real) == 150 and real["id"].is_unique
    assert sorted(real["variety"].unique()) == list(iris.VARIETIES)


def test_daily_flower_has_the_date_id_and_is_reproducible(real):
    day = date(2026, 2, 3)
    flower = iris.synthetic_flower(real, day)
    assert flower["id"].tolist() == [20260203]
    assert flower["event_time"].tolist() == [pd.Timestamp(day)]
    pd.testing.assert_frame_equal(flower, iris.synthetic_flower(real, day))
    assert not flower.equals(iris.synthetic_flower(real, date(2026, 2, 4)))


def test_generator_stays_in_each_variety_range(real):
    flowers = iris.synthetic_flowers(iris.fit_generator(real), 500, np.random.default_rng(1))
    for variety, group in flowers.groupby("variety"):
        seen = real[real["variety"] == variety][iris.FEATURES]
        assert (group[iris.FEATURES] >= seen.min()).all().all()
        assert (group[iris.FEATURES] <= seen.max()).all().all()


def test_generator_is_realistic(real):
    """A model trained on the real flowers recognises >= 90% of 1,000 synthetic ones."""
    model = KNeighborsClassifier(5).fit(real[iris.FEATURES], real["variety"])
    flowers = iris.synthetic_flowers(iris.fit_generator(real), 1000, np.random.default_rng(0))
    assert set(flowers["variety"]) == set(iris.VARIETIES)
    assert (model.predict(flowers[iris.FEATURES]) == flowers["variety"]).mean() >= 0.90


@pytest.mark.parametrize("stored", [pd.DataFrame(), pd.DataFrame(columns=[*iris.FEATURES, "variety"])])
def test_generator_needs_stored_flowers(stored):
    with pytest.raises(RunFirstError, match=r"run 1_feature_pipeline\.ipynb with BACKFILL=True first"):
        iris.fit_generator(stored)


def test_trained_pipeline_meets_the_quality_bar(real):
    result = iris.train(real[iris.FEATURES], real[["variety"]], seed=0)
    assert set(result.metrics) == {"accuracy", "cv_accuracy", "cv_std"}
    mean, _ = repeated_cv_accuracy(result.pipeline, real[iris.FEATURES], real["variety"])
    assert mean >= 0.96
