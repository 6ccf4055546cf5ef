"""The folder a model is registered from (serverless_ml/model_files.py)."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier

from serverless_ml import model_files

X = pd.DataFrame({"age": [1.0, 50.0, None, 20.0], "port": ["S", "C", "S", None], "n": [0, 1, 2, 1], "who": "a",
                  "fare": [7.25, 14.4542, 14.4583, 512.3292], "kids": [0, 1, 2, 2]})  # fmt: skip


@pytest.mark.parametrize(
    ("column", "kind", "expected"),
    [
        ("age", "number", {"kind": "number", "optional": False, "minimum": 1.0, "maximum": 50.0, "default": 20.0}),
        ("n", "integer", {"kind": "integer", "optional": False, "minimum": 0.0, "maximum": 2.0, "default": 1.0}),
        ("port", "category", {"kind": "category", "optional": False, "choices": ["C", "S"], "default": "S"}),
        ("port", "category?", {"kind": "category", "optional": True, "choices": ["C", "S"], "default": None}),
        ("who", "text?", {"kind": "text", "optional": True, "default": ""}),
        # a default a person would type; the range stays the data's own, for the apps to check against
        (
            "fare",
            "number",
            {"kind": "number", "optional": False, "minimum": 7.25, "maximum": 512.3292, "default": 14.46},
        ),
        ("kids", "integer", {"kind": "integer", "optional": False, "minimum": 0.0, "maximum": 2.0, "default": 2.0}),
        ("age", "number?", {"kind": "number", "optional": True, "minimum": 1.0, "maximum": 50.0, "default": 20.0}),
    ],
)
def test_describe_inputs(column, kind, expected):
    assert model_files.describe_inputs(X, {column: kind}) == {column: expected}


def test_a_folder_round_trip(tmp_path):
    pipeline = DummyClassifier(strategy="most_frequent").fit(X[["n"]], [0, 1, 1, 1])
    folder = model_files.write_model_folder(tmp_path / "m", pipeline, X, {"n": "integer"})
    assert model_files.load_pipeline(folder).predict(X[["n"]]).tolist() == [1, 1, 1, 1]
    assert model_files.load_inputs(folder)["n"]["maximum"] == 2.0


def test_model_schema_names_inputs_and_output():
    schema = model_files.model_schema(X[["age", "n"]], pd.Series([0, 1, 1, 0], name="survived")).to_dict()
    assert [c["name"] for c in schema["input_schema"]["columnar_schema"]] == ["age", "n"]
    assert [c["name"] for c in schema["output_schema"]["columnar_schema"]] == ["survived"]
