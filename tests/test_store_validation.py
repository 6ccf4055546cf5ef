"""Data validation on the local store, against hopsworks 5.2.1's validation API (cited per test)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import serverless_ml
from serverless_ml.store.validation import ExpectationSuiteError

ge = pytest.importorskip("great_expectations")
from hopsworks_common.client.exceptions import DataValidationException  # noqa: E402
from hsfs.expectation_suite import ExpectationSuite  # noqa: E402
from hsfs.validation_report import ValidationReport  # noqa: E402

GEReport = ge.core.ExpectationSuiteValidationResult


def _flowers(n: int = 6, bad: bool = False) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "id": range(n),
            "petal_length": np.linspace(1.0, 6.0, n),
            "variety": ["Setosa", "Virginica"] * (n // 2),
            "event_time": pd.Timestamp("2024-01-01"),
        }
    )
    if bad:
        frame.loc[1, "petal_length"] = -1.5  # a negative petal length
    return frame


def _suite() -> ge.core.ExpectationSuite:
    return ge.core.ExpectationSuite(
        name="iris_suite",
        expectations=[
            ge.expectations.ExpectColumnValuesToBeBetween(column="petal_length", min_value=0, max_value=10),
            ge.expectations.ExpectColumnValuesToNotBeNull(column="variety"),
        ],
    )


@pytest.fixture
def fs(project):
    return project.get_feature_store()


def _group(fs, policy: str | None = None, name: str = "iris"):
    """A saved feature group without rows (a new one is only saved by `save` or its first insert), with a suite."""
    fg = fs.get_or_create_feature_group(name, version=1, primary_key=["id"], event_time="event_time")
    fg.save()
    if policy:
        fg.save_expectation_suite(_suite(), validation_ingestion_policy=policy)
    return fg


class TestSuite:
    def test_get_or_create_attaches_the_suite(self, fs):
        # FeatureStore.get_or_create_feature_group(expectation_suite=...) -> FeatureGroup.expectation_suite setter;
        # a new group is saved, with its suite, by its first insert
        fg = fs.get_or_create_feature_group(
            "iris", version=1, primary_key=["id"], event_time="event_time", expectation_suite=_suite()
        )
        assert fg.get_expectation_suite(ge_type=False).validation_ingestion_policy == "ALWAYS"
        assert fs.get_feature_group("iris", version=1) is None
        fg.insert(_flowers())
        suite = fs.get_feature_group("iris", version=1).get_expectation_suite()
        assert isinstance(suite, ge.core.ExpectationSuite)  # get_expectation_suite(ge_type=True): to_ge_type()
        assert suite.name == "iris_suite"

    def test_create_feature_group_validates_its_first_insert(self, fs):
        # FeatureGroupEngine._insert: metadata (with the suite) saved, then _validate on the same insert
        fg = fs.create_feature_group("iris", version=1, primary_key=["id"], event_time="event_time")
        fg.save_expectation_suite(_suite(), validation_ingestion_policy="strict")
        with pytest.raises(DataValidationException):
            fg.insert(_flowers(bad=True))
        assert fg.read().empty

    def test_save_get_delete(self, fs):
        # FeatureGroupBase.save_expectation_suite returns None; get_expectation_suite(ge_type=False) is hsfs' type
        fg = _group(fs)
        assert fg.get_expectation_suite() is None
        assert fg.save_expectation_suite(_suite(), run_validation=False, validation_ingestion_policy="strict") is None
        suite = fg.get_expectation_suite(ge_type=False)
        assert isinstance(suite, ExpectationSuite)
        assert (suite.run_validation, suite.validation_ingestion_policy) == (False, "STRICT")
        ids = [e.id for e in suite.expectations]
        assert all(isinstance(i, int) for i in ids) and len(set(ids)) == 2  # the backend's expectationId
        fg.delete_expectation_suite()  # FeatureGroupBase.delete_expectation_suite
        assert fg.get_expectation_suite() is None

    def test_hsfs_suite_keeps_its_own_policy(self, fs):
        # save_expectation_suite: an hsfs ExpectationSuite goes through to_json_dict, ignoring the arguments
        fg = _group(fs)
        own = ExpectationSuite.from_ge_type(_suite(), validation_ingestion_policy="STRICT")
        fg.save_expectation_suite(own, validation_ingestion_policy="always")
        assert fg.get_expectation_suite(ge_type=False).validation_ingestion_policy == "STRICT"

    def test_resaving_a_fetched_suite_keeps_expectation_ids(self, fs):
        # ExpectationSuiteEngine._save: expectations that carry an expectationId are updated, not recreated
        fg = _group(fs, "always")
        before = [e.id for e in fg.get_expectation_suite(ge_type=False).expectations]
        fg.save_expectation_suite(fg.get_expectation_suite(ge_type=False))
        assert [e.id for e in fg.get_expectation_suite(ge_type=False).expectations] == before

    def test_wrong_type_is_refused(self, fs):
        # FeatureGroupBase.save_expectation_suite: TypeError for anything but a GE or hsfs suite
        with pytest.raises(TypeError, match="is not supported"):
            _group(fs).save_expectation_suite({"expectation_suite_name": "x"})

    @pytest.mark.parametrize(
        ("expectation", "problem"),
        [
            ({"expectation_type": "expect_column_values_to_be_betwen", "kwargs": {"column": "a"}}, "no expectation"),
            ({"expectation_type": "expect_column_values_to_be_between", "kwargs": {"min_value": 1}}, "column"),
            (
                {"expectation_type": "expect_column_values_to_be_between", "kwargs": {"column": "a", "min_valu": 1}},
                "min_valu",
            ),
            (
                {
                    "expectation_type": "expect_column_values_to_be_between",
                    "kwargs": {"column": "a", "min_value": 5, "max_value": 1},
                },
                "greater than max_value",
            ),
        ],
    )
    def test_malformed_suite_is_refused_when_saved(self, fs, expectation, problem):
        fg = _group(fs)
        suite = ExpectationSuite(expectation_suite_name="bad", expectations=[{**expectation, "meta": {}}], meta={})
        with pytest.raises(ExpectationSuiteError, match=problem) as caught:
            fg.save_expectation_suite(suite)
        assert "'bad', expectation 1" in str(caught.value)
        assert fg.get_expectation_suite() is None

    def test_unknown_policy_is_refused(self, fs):
        with pytest.raises(ExpectationSuiteError, match="'always' or 'strict'"):
            _group(fs).save_expectation_suite(_suite(), validation_ingestion_policy="sometimes")


class TestInsert:
    def test_strict_refuses_a_bad_row_and_writes_nothing(self, fs):
        # FeatureGroupEngine._insert: REJECTED -> DataValidationException, no write; the report is saved first
        fg = _group(fs, "strict")
        fg.insert(_flowers())
        with pytest.raises(DataValidationException) as caught:
            fg.insert(_flowers(bad=True), overwrite=True)
        message = str(caught.value)
        assert message.startswith(
            "Data validation failed while validation ingestion policy set to strict, insertion to iris was aborted."
        )
        assert "expect_column_values_to_be_between on column 'petal_length'" in message
        assert "for example -1.5" in message
        rows = fg.read()
        assert len(rows) == 6 and rows.petal_length.min() == 1.0
        latest = fg.get_latest_validation_report(ge_type=False)
        assert (latest.success, latest.ingestion_result) == (False, "REJECTED")

    def test_always_writes_and_the_report_says_what_failed(self, fs):
        # FeatureGroup.insert returns (job, ge_report.to_ge_type()); ingestion_result INGESTED
        fg = _group(fs, "always")
        job, report = fg.insert(_flowers(bad=True))
        assert job is None and isinstance(report, GEReport) and report.success is False
        failed = [r for r in report.results if not r.success]
        assert failed[0].expectation_config["expectation_type"] == "expect_column_values_to_be_between"
        assert failed[0].result["partial_unexpected_list"] == [-1.5]
        assert len(fg.read()) == 6
        assert fg.get_latest_validation_report(ge_type=False).ingestion_result == "INGESTED"

    def test_options_skip_validation_or_the_report(self, fs):
        # GreatExpectationEngine._should_run_validation / _save_or_convert_report read validation_options
        fg = _group(fs, "strict")
        assert fg.insert(_flowers(bad=True), validation_options={"run_validation": False}) == (None, None)
        _, report = fg.insert(_flowers(), validation_options={"save_report": False})
        assert report.success and fg.get_latest_validation_report() is None

    def test_no_suite_returns_no_report(self, fs):
        assert _group(fs).insert(_flowers()) == (None, None)


class TestValidate:
    def test_validate_a_dataframe(self, fs):
        # FeatureGroup.validate -> GreatExpectationEngine._validate: the GE report, not saved by default
        fg = _group(fs, "strict")
        report = fg.validate(_flowers(bad=True))
        assert isinstance(report, GEReport) and not report.success
        assert fg.get_latest_validation_report() is None

    def test_validate_the_group_and_save(self, fs):
        # FeatureGroup.validate(dataframe=None): reads the group, ingestion_result UNKNOWN becomes FG_DATA
        fg = _group(fs, "always")
        fg.insert(_flowers(), validation_options={"save_report": False})
        report = fg.validate(save_report=True, ge_type=False)
        assert isinstance(report, ValidationReport) and report.success
        assert (report.ingestion_result, isinstance(report.id, int)) == ("FG_DATA", True)

    def test_strict_and_ingested_becomes_rejected(self, fs):
        # GreatExpectationEngine._validate: failed + STRICT + INGESTED -> REJECTED
        fg = _group(fs, "strict")
        report = fg.validate(_flowers(bad=True), ingestion_result="INGESTED", ge_type=False)
        assert report.ingestion_result == "REJECTED"

    def test_an_extra_suite_overrides_the_attached_one(self, fs):
        fg = _group(fs)
        assert fg.validate(_flowers(bad=True)) is None  # _should_run_validation: no suite, no validation
        assert fg.validate(_flowers(bad=True), expectation_suite=_suite()).success is False


class TestReports:
    def test_history_of_one_expectation(self, fs):
        # FeatureGroupBase.get_validation_history -> ValidationResultEngine: newest first, filter_by, times
        fg = _group(fs, "always")
        between = fg.get_expectation_suite(ge_type=False).expectations[0].id
        fg.insert(_flowers())
        fg.insert(_flowers(bad=True))
        history = fg.get_validation_history(between, ge_type=False)
        assert [r.success for r in history] == [False, True]
        assert {r.ingestion_result for r in history} == {"INGESTED"}
        assert fg.get_validation_history(between, filter_by=["REJECTED"]) == []
        assert fg.get_validation_history(between, start_validation_time="2999-01-01") == []
        assert len(fg.get_validation_history(between, end_validation_time="2999-01-01")) == 2
        with pytest.raises(ValueError, match="Illegal Value"):
            fg.get_validation_history(between, filter_by=["LOST"])
        assert isinstance(fg.get_validation_history(between)[0], ge.core.ExpectationValidationResult)

    def test_all_reports_newest_first(self, fs):
        fg = _group(fs, "always")
        fg.insert(_flowers())
        fg.insert(_flowers(bad=True))
        assert [r.success for r in fg.get_all_validation_reports(ge_type=False)] == [False, True]

    def test_reports_survive_a_new_login_and_another_process(self, fs, sml_env):
        fg = _group(fs, "always")
        fg.insert(_flowers(bad=True))
        again = serverless_ml.login().get_feature_store().get_feature_group("iris", version=1)
        assert again.get_latest_validation_report(ge_type=False).success is False
        code = (
            "import serverless_ml; fg = serverless_ml.login().get_feature_store().get_feature_group('iris', version=1);"
            "r = fg.get_latest_validation_report(ge_type=False); print(r.success, r.ingestion_result)"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        assert out.split()[-2:] == ["False", "INGESTED"]

    def test_delete_drops_suite_and_reports(self, fs):
        fg = _group(fs, "always")
        fg.insert(_flowers())
        fg.delete()
        fg = _group(fs)
        assert fg.get_expectation_suite() is None and fg.get_latest_validation_report() is None


def test_importing_the_store_does_not_import_great_expectations():
    code = (
        "import sys, serverless_ml.store, serverless_ml.store.validation; "
        "print('great_expectations' in sys.modules, 'hsfs' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
