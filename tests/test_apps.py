"""The apps (serverless_ml/apps.py) without a server: `Predictor.check` on a real model folder, and the forms."""

from __future__ import annotations

import math

import gradio as gr
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier

from serverless_ml import apps, iris, model_files, titanic
from serverless_ml.apps import NumberField, Predictor, shown_range
from serverless_ml.errors import ParameterError

X = pd.DataFrame(
    {"pclass": [1, 2, 3], "sex": ["female", "male", "male"], "age": [2.0, 30.0, 80.0], "sibsp": [0, 1, 8],
     "parch": [0, 0, 6], "fare": [0.0, 14.5, 512.3], "embarked": ["S", "C", "Q"], "title": ["Mr", "Mrs", "Miss"],
     "surname": ["A", "B", "C"]}
)  # fmt: skip
#: Age and port optional: real passengers lack them and the pipeline imputes them.
KINDS = {**titanic.DATASET.input_kinds, "age": "number?", "embarked": "category?"}


@pytest.fixture(scope="module")
def predictor(tmp_path_factory):
    folder = tmp_path_factory.mktemp("model")
    pipeline = DummyClassifier(strategy="most_frequent").fit(X, [0, 1, 1])
    model_files.write_model_folder(folder, pipeline, X, KINDS)
    return Predictor(titanic.DATASET, folder)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("age", 30, 30.0),
        ("age", None, math.nan),  # optional: missing, for the pipeline to impute
        ("age", "", math.nan),  # what the form sends for an empty field
        ("age", " 30 ", 30.0),  # what the form sends for a typed number
        ("fare", "14.45", 14.45),
        ("sibsp", 2.0, 2),
        ("sibsp", "2", 2),
        ("embarked", "S", "S"),
        ("embarked", "Southampton", "S"),
        ("embarked", None, None),
        ("embarked", "", None),
        ("pclass", "1st class", 1),
        ("pclass", 3, 3),
        ("pclass", "3", 3),
        ("title", None, None),
        ("title", " ", None),
        ("surname", None, ""),
        ("surname", " Smith ", "Smith"),
    ],
)
def test_accepted_values(predictor, name, value, expected):
    checked = predictor.check(name, value)
    assert math.isnan(checked) if isinstance(expected, float) and math.isnan(expected) else checked == expected


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("age", 500.0, r"Age \(years\) \[age\] is 500.0: expected between 0 and 120"),
        ("age", float("nan"), r"\[age\] is nan: expected between 0 and 120"),
        ("age", "old", r"\[age\] must be a number, got 'old'"),
        ("age", True, r"\[age\] must be a number"),
        ("sibsp", 1.5, r"\[sibsp\] must be a whole number, got 1.5"),
        ("embarked", "X", r"\[embarked\] is 'X': expected one of Cherbourg, Queenstown, Southampton"),
        ("pclass", "first", r"\[pclass\] is 'first': expected one of 1st class, 2nd class, 3rd class"),
        ("sex", None, r"Sex \[sex\] is empty: expected one of female, male"),
        ("fare", None, r"Fare \(pounds\) \[fare\] is empty: expected between 0 and 1000"),
        ("fare", " ", r"Fare \(pounds\) \[fare\] is empty: expected between 0 and 1000"),
        ("age", -3, r"Age \(years\) \[age\] is -3: expected between 0 and 120"),
        ("age", "500", r"\[age\] is 500.0: expected between 0 and 120"),
        ("age", "1,5", r"\[age\] must be a number, got '1,5': expected between 0 and 120"),
        ("age", "nan", r"\[age\] is nan: expected between 0 and 120"),
        ("sibsp", "1.5", r"\[sibsp\] must be a whole number, got 1.5"),
        ("sibsp", "", r"\[sibsp\] is empty: expected a whole number between 0 and 20"),
    ],
)
def test_refused_values_name_the_field(predictor, name, value, message):
    with pytest.raises(ParameterError, match=message):
        predictor.check(name, value)


def test_predict_names_the_classes(predictor):
    probabilities, image, note = predictor.predict(**X.iloc[0].to_dict())
    assert set(probabilities) == {"Died", "Survived"} and image.endswith(".png") and note == ""


@pytest.mark.parametrize(("age", "sibsp"), [(85.0, 1), (120.0, 1), (30.0, 12)])
def test_a_plausible_value_outside_the_training_data_is_accepted_with_a_note(predictor, age, sibsp):
    """Out of range for the model is not impossible: a person of 85 gets a prediction, and a note."""
    _, _, note = predictor.predict(**{**X.iloc[0].to_dict(), "age": age, "sibsp": sibsp})
    unseen = f"Age (years) {age:g} is outside the training data (2 to 80)" if age > 80 else "Siblings"
    assert note.startswith("**Note:** ") and unseen in note and "no passenger like this one" in note


def test_the_plausible_bounds_are_the_expectation_suites(predictor):
    """`Dataset.plausible` is what the feature pipeline's suite checks (the notebook builds it from the record)."""
    assert titanic.DATASET.plausible == titanic.PLAUSIBLE
    assert predictor.bounds("age") == (0, 120) and predictor.bounds("fare") == (0, 1000)
    for dataset in (titanic.DATASET, iris.DATASET):
        numbers = [n for n, k in dataset.input_kinds.items() if k.rstrip("?") in ("number", "integer")]
        assert sorted(dataset.plausible) == sorted(numbers), dataset.name


@pytest.mark.parametrize(
    ("minimum", "maximum", "shown"),
    [
        (4.3, 7.9, (4.3, 7.9)),
        (0.42, 80.0, (0.42, 80.0)),  # 0.42 * 100 is 42.00000000000001: not shown as 0.43
        (0.0, 512.3292, (0.0, 512.32)),  # inwards: every value shown as allowed is allowed
        (-1.005, 2.999, (-1.0, 2.99)),
        (0.123, 0.127, (0.123, 0.127)),  # too narrow for two decimals: the true range
    ],
)
def test_shown_range(minimum, maximum, shown):
    assert shown_range({"minimum": minimum, "maximum": maximum}) == pytest.approx(shown)


def _form(demo: gr.Blocks) -> dict[str, gr.components.Component]:
    return {b.label: b for b in demo.blocks.values() if getattr(b, "label", None)}


def test_the_form_hands_over_what_was_typed(predictor):
    form = _form(apps.prediction_app("titanic", predictor))
    numbers = [form[predictor.label(n)] for n, e in predictor.inputs.items() if e["kind"] in ("number", "integer")]
    assert len(numbers) == 4 and all(isinstance(field, NumberField) for field in numbers)
    assert not any(isinstance(block, gr.Slider | gr.Number) for block in form.values())  # neither clamps nor drops
    age = form["Age (years)"]
    assert age.preprocess("") == "" and age.preprocess("-3") == "-3" and age.preprocess(None) is None
    assert (
        age.value == "30" and age.info == "A number between 0 and 120 (the model saw 2 to 80); leave empty if unknown"
    )
    fare = form["Fare (pounds)"]
    assert fare.value == "14.5" and fare.info == "A number between 0 and 1000 (the model saw 0 to 512.3)"
    assert form["Port of embarkation"].info == "Leave empty if unknown" and form["Port of embarkation"].value is None
    assert form["Sex"].info is None


def test_a_refusal_is_a_gradio_error_and_one_log_line(predictor, capsys):
    predict = apps._refusing(predictor.predict)
    with pytest.raises(gr.Error, match=r"Fare \(pounds\) \[fare\] is 1600.0"):
        predict(**{**X.iloc[0].to_dict(), "fare": 1600.0})
    assert capsys.readouterr().out == ("refused: Fare (pounds) [fare] is 1600.0: expected between 0 and 1000\n")


def test_monitoring_charts_have_their_title_above_not_over_them():
    demo = apps.monitoring_app("iris")
    images = [b for b in demo.blocks.values() if isinstance(b, gr.Image)]
    headings = [b.value for b in demo.blocks.values() if isinstance(b, gr.Markdown)]
    assert len(images) == 4 and not any(image.show_label for image in images)
    assert all(f"### {image.label}" in headings for image in images)
