"""The apps' input checks (serverless_ml/apps.py), without a server: `Predictor.check` on a real model folder."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier

from serverless_ml import model_files, titanic
from serverless_ml.apps import Predictor
from serverless_ml.errors import ParameterError

X = pd.DataFrame(
    {"pclass": [1, 2, 3], "sex": ["female", "male", "male"], "age": [2.0, 30.0, 80.0], "sibsp": [0, 1, 8],
     "parch": [0, 0, 6], "fare": [0.0, 14.5, 512.3], "embarked": ["S", "C", "Q"], "title": ["Mr", "Mrs", "Miss"],
     "surname": ["A", "B", "C"]}
)  # fmt: skip


@pytest.fixture(scope="module")
def predictor(tmp_path_factory):
    folder = tmp_path_factory.mktemp("model")
    pipeline = DummyClassifier(strategy="most_frequent").fit(X, [0, 1, 1])
    model_files.write_model_folder(folder, pipeline, X, titanic.DATASET.input_kinds)
    return Predictor(titanic.DATASET, folder)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("age", 30, 30.0),
        ("age", None, math.nan),  # refused below: age is required
        ("sibsp", 2.0, 2),
        ("embarked", "S", "S"),
        ("embarked", "Southampton", "S"),
        ("pclass", "1st class", 1),
        ("pclass", 3, 3),
        ("title", None, None),
        ("title", " ", None),
        ("surname", None, ""),
        ("surname", " Smith ", "Smith"),
    ],
)
def test_accepted_values(predictor, name, value, expected):
    if isinstance(expected, float) and math.isnan(expected):
        with pytest.raises(ParameterError, match=r"Age \(years\) \[age\] is empty"):
            predictor.check(name, value)
    else:
        assert predictor.check(name, value) == expected


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("age", 500.0, r"Age \(years\) \[age\] is 500.0: expected between 2 and 80"),
        ("age", float("nan"), r"\[age\] is nan: expected between 2 and 80"),
        ("age", "old", r"\[age\] must be a number, got 'old'"),
        ("age", True, r"\[age\] must be a number"),
        ("sibsp", 1.5, r"\[sibsp\] must be a whole number, got 1.5"),
        ("embarked", "X", r"\[embarked\] is 'X': expected one of Cherbourg, Queenstown, Southampton"),
        ("pclass", "first", r"\[pclass\] is 'first': expected one of 1st class, 2nd class, 3rd class"),
        ("sex", None, r"Sex \[sex\] is empty: expected one of female, male"),
    ],
)
def test_refused_values_name_the_field(predictor, name, value, message):
    with pytest.raises(ParameterError, match=message):
        predictor.check(name, value)


def test_predict_names_the_classes(predictor):
    probabilities, image = predictor.predict(**X.iloc[0].to_dict())
    assert set(probabilities) == {"Died", "Survived"} and image.endswith(".png")
