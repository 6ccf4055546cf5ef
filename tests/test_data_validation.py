"""Validation summaries for the dashboard (serverless_ml/data_validation.py), from real reports."""

from __future__ import annotations

import great_expectations as gx
import pandas as pd
import pytest

from serverless_ml import data_validation


@pytest.fixture
def group(project):
    fg = project.get_feature_store().get_or_create_feature_group("flowers", version=1, primary_key=["id"])
    suite = gx.ExpectationSuite(
        name="flowers",
        expectations=[
            gx.expectations.ExpectColumnValuesToBeBetween(column="petal", min_value=0, max_value=10),
            gx.expectations.ExpectColumnValuesToNotBeNull(column="petal"),
        ],
    )
    fg.save_expectation_suite(suite, validation_ingestion_policy="always")
    return fg


def test_a_passing_insert(group, tmp_path):
    assert data_validation.publish(group, "flowers", tmp_path) is None  # no report yet
    group.insert(pd.DataFrame({"id": [1, 2], "petal": [1.5, 2.0]}))
    assert data_validation.publish(group, "flowers", tmp_path) == tmp_path / "validation.json"
    summary = data_validation.read(tmp_path)
    assert summary["success"] and [c["expectation"] for c in summary["checks"]] == [
        "expect_column_values_to_be_between",
        "expect_column_values_to_not_be_null",
    ]
    assert summary["validated_at"] and all(c["column"] == "petal" for c in summary["checks"])


def test_a_failing_insert_names_the_value(group, tmp_path):
    group.insert(pd.DataFrame({"id": [3], "petal": [-4.0]}))  # "always": written, and reported
    data_validation.publish(group, "flowers", tmp_path)
    summary = data_validation.read(tmp_path)
    assert not summary["success"]
    failed = [c for c in summary["checks"] if not c["success"]]
    assert failed == [
        {"expectation": "expect_column_values_to_be_between", "column": "petal", "success": False, "examples": ["-4.0"]}
    ]


def test_nothing_published_reads_none(tmp_path):
    assert data_validation.read(tmp_path) is None
