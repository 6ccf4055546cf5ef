"""Data validation of the local store, as Hopsworks runs it: the real Great Expectations on the DataFrame.

The specification is the installed SDK: `hsfs.core.great_expectation_engine.GreatExpectationEngine`
(which suite runs, when, and what happens to its report), `hsfs.engine.python.Engine.
_validate_with_great_expectations` (how GE 1.x is called), `hsfs.expectation_suite.ExpectationSuite`
and `hsfs.validation_report.ValidationReport` (the objects handed back: the SDK's own classes).

Great Expectations (and `hsfs.expectation_suite`, which imports it) is imported here only when a
suite exists or `validate` is called: importing it costs seconds that no other operation pays.
"""

from __future__ import annotations

import importlib.util
import json
from typing import Any

import pandas as pd

from serverless_ml.errors import SchemaError

# hopsworks_common.core.constants.HAS_GREAT_EXPECTATIONS: found, not imported
HAS_GREAT_EXPECTATIONS: bool = importlib.util.find_spec("great_expectations") is not None
POLICIES = ("ALWAYS", "STRICT")
INGESTION_RESULTS = ("INGESTED", "REJECTED", "EXPERIMENT", "UNKNOWN", "FG_DATA")

_CONTEXT: dict[str, Any] = {}


class ExpectationSuiteError(SchemaError):
    """An expectation suite that cannot be saved or run; the message names the expectation and the problem."""


def _ge() -> Any:
    if not HAS_GREAT_EXPECTATIONS:
        # GreatExpectationEngine._validate: ModuleNotFoundError when a suite should run without GE
        raise ModuleNotFoundError(
            "Great Expectations package not found: data validation needs it. Install the pinned version with "
            "`make install` (or `pip install -r requirements.txt`)."
        )
    import logging

    # hopsworks_common.core.constants quiets the same two loggers before GE is imported
    logging.getLogger("great_expectations._docs_decorators").setLevel(logging.WARNING)
    logging.getLogger("great_expectations.expectations.registry").setLevel(logging.WARNING)
    import great_expectations

    return great_expectations


def _sdk() -> tuple[type, type, type]:
    _ge()
    from hsfs.expectation_suite import ExpectationSuite
    from hsfs.ge_validation_result import ValidationResult
    from hsfs.validation_report import ValidationReport

    return ExpectationSuite, ValidationReport, ValidationResult


# --- suites ------------------------------------------------------------------------------------------


def to_suite(suite: Any, run_validation: bool | None = None, policy: str | None = None) -> Any:
    """`suite` (a GE suite, an `hsfs` suite or a dict) as an `hsfs.expectation_suite.ExpectationSuite`.

    As `FeatureGroup.save_expectation_suite` and the `FeatureGroup.expectation_suite` setter convert it;
    `run_validation`/`policy`, when given, override the suite's own (`ExpectationSuite.from_ge_type`).
    """
    ge = _ge()
    ExpectationSuite, _, _ = _sdk()
    if isinstance(suite, ge.core.ExpectationSuite):
        converted = ExpectationSuite.from_ge_type(
            suite,
            run_validation=True if run_validation is None else run_validation,
            validation_ingestion_policy=policy or "ALWAYS",
        )
    elif isinstance(suite, (ExpectationSuite, dict)):
        fields = suite.to_json_dict(decamelize=True) if isinstance(suite, ExpectationSuite) else dict(suite)
        fields.setdefault("meta", {})  # hsfs' setter refuses meta=None
        for key in ("id", "feature_group_id", "feature_store_id", "href"):
            fields.pop(key, None)
        try:
            converted = ExpectationSuite(**fields)
        except (TypeError, ValueError) as error:
            raise ExpectationSuiteError(f"expectation suite {suite!r} is malformed: {error}") from None
        if run_validation is not None:
            converted.run_validation = run_validation
        if policy is not None:
            converted.validation_ingestion_policy = policy
    else:
        # FeatureGroup.save_expectation_suite: the same TypeError for any other type
        raise TypeError(
            f"The provided expectation suite type `{type(suite)}` is not supported. Use Great Expectation "
            "`ExpectationSuite` or HSFS' own `ExpectationSuite` object."
        )
    check_suite(converted)
    return converted


def check_suite(suite: Any) -> None:
    """Refuse a suite that Great Expectations could not run, naming the expectation and the problem."""
    from great_expectations.expectations.registry import get_expectation_impl

    name = suite.expectation_suite_name
    if not name:
        raise ExpectationSuiteError("the expectation suite has no name (expectation_suite_name)")
    if str(suite.validation_ingestion_policy).upper() not in POLICIES:
        raise ExpectationSuiteError(
            f"expectation suite {name!r}: validation_ingestion_policy "
            f"{suite.validation_ingestion_policy!r} must be 'always' or 'strict'"
        )
    if not suite.expectations:
        raise ExpectationSuiteError(f"expectation suite {name!r} has no expectations")
    for number, expectation in enumerate(suite.expectations, 1):
        where = f"expectation suite {name!r}, expectation {number} ({expectation.expectation_type!r})"
        try:
            get_expectation_impl(expectation.expectation_type)
        except Exception:
            raise ExpectationSuiteError(
                f"{where}: Great Expectations has no expectation of that name (e.g. "
                "'expect_column_values_to_be_between', 'expect_column_values_to_not_be_null')"
            ) from None
        try:
            # GE 1.x checks the kwargs (required, unknown, wrongly typed) when it builds the expectation
            expectation.to_ge_type().to_domain_obj()
        except Exception as error:
            problems = "; ".join(line.strip() for line in str(error).splitlines()[1:] if line.strip())
            raise ExpectationSuiteError(f"{where}: {problems or error} (kwargs {expectation.kwargs})") from None
        low, high = expectation.kwargs.get("min_value"), expectation.kwargs.get("max_value")
        if isinstance(low, (int, float)) and isinstance(high, (int, float)) and low > high:
            raise ExpectationSuiteError(f"{where}: min_value {low} is greater than max_value {high}")


def suite_to_json(suite: Any, suite_id: int, expectation_ids: list[int]) -> str:
    """The stored form of a suite; each expectation carries `meta.expectationId` as Hopsworks' backend sets it."""
    data = suite.to_json_dict(decamelize=True)
    data["id"] = suite_id
    for expectation, expectation_id in zip(data["expectations"], expectation_ids, strict=True):
        expectation["id"] = expectation_id
        meta = {k: v for k, v in expectation["meta"].items() if k != "expectation_id"}  # humps.decamelize's spelling
        expectation["meta"] = {**meta, "expectationId": expectation_id}
    return json.dumps(data)


def suite_from_json(text: str) -> Any:
    """An `hsfs` ExpectationSuite from its stored form.

    It carries no id: an `hsfs` suite with an id sends every change to Hopsworks' REST API, which the
    local backend does not have. Save a changed suite with `fg.save_expectation_suite(...)`.
    """
    ExpectationSuite, _, _ = _sdk()
    data = json.loads(text)
    for key in ("id", "feature_group_id", "feature_store_id"):
        data.pop(key, None)
    return ExpectationSuite(**data)


# --- running -----------------------------------------------------------------------------------------


def _batch_definition() -> Any:
    # Engine._validate_with_great_expectations builds this chain for every call; one per process is the same
    # chain, built once (the context, data source and asset do not depend on the DataFrame)
    if "batch" not in _CONTEXT:
        ge = _ge()
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context = ge.get_context(mode="ephemeral")
        # GE draws a progress bar per validation; on the local store it would be noise in every insert
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        source = context.data_sources.add_pandas("hopsworks_pandas")
        asset = source.add_dataframe_asset("hopsworks_asset")
        _CONTEXT["batch"] = asset.add_batch_definition_whole_dataframe("hopsworks_batch")
    return _CONTEXT["batch"]


def ready() -> bool:
    """Whether Great Expectations is imported and its context built in this process."""
    return "batch" in _CONTEXT


def warm_up() -> None:
    """Import Great Expectations and the SDK's classes, and build GE's context."""
    _sdk()
    _batch_definition()


def run(dataframe: pd.DataFrame, suite: Any, ge_validate_kwargs: dict | None = None) -> Any:
    """Great Expectations' report of `suite` on `dataframe` (`Engine._validate_with_great_expectations`, GE 1.x)."""
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": dataframe})
    return batch.validate(suite.to_ge_type(), **(ge_validate_kwargs or {}))


def should_run(suite: Any, validation_options: dict) -> bool:
    """`GreatExpectationEngine._should_run_validation`."""
    if suite is None:
        return False
    return bool(validation_options.get("run_validation", suite.run_validation))


def to_report(ge_report: Any, ingestion_result: str) -> Any:
    """`ValidationReport(**report.to_json_dict(), ingestion_result=...)` as `_save_or_convert_report` builds it."""
    _, ValidationReport, _ = _sdk()
    if isinstance(ge_report, ValidationReport):
        if ingestion_result != "UNKNOWN":
            ge_report.ingestion_result = ingestion_result
        return ge_report
    if isinstance(ge_report, dict):
        return ValidationReport(**ge_report, ingestion_result=ingestion_result)
    return ValidationReport(**ge_report.to_json_dict(), ingestion_result=ingestion_result)


def report_to_json(report: Any) -> str:
    return json.dumps(report.to_json_dict(), default=str)


def report_from_json(text: str, report_id: int, validation_time: Any, ingestion_result: str) -> Any:
    _, ValidationReport, _ = _sdk()
    data = json.loads(text)
    data.pop("id", None)
    data["evaluation_parameters"] = data.pop("evaluationParameters", None)
    results = [
        {
            "success": r["success"],
            "result": r["result"],
            "expectation_config": r["expectationConfig"],
            "exception_info": r["exceptionInfo"],
            "meta": r["meta"],
        }
        for r in data.pop("results")
    ]
    return ValidationReport(
        **data,
        results=results,
        id=report_id,
        validation_time=str(validation_time),
        ingestion_result=ingestion_result,
    )


def history(reports: list[tuple], expectation_id: int, ge_type: bool) -> list[Any]:
    """The results of expectation `expectation_id` in `reports` (id, time, ingestion_result, json), as
    `ValidationResultEngine._get_validation_history` returns them: newest first, each with its time and fate."""
    _, _, ValidationResult = _sdk()
    found = []
    for report_id, validation_time, ingestion_result, text in reports:
        for result in json.loads(text)["results"]:
            config = result["expectationConfig"] or {}
            if (config.get("meta") or {}).get("expectationId") != expectation_id:
                continue
            found.append(
                ValidationResult(
                    success=result["success"],
                    result=result["result"],
                    expectation_config=config,
                    exception_info=result["exceptionInfo"],
                    meta=result["meta"],
                    expectation_id=expectation_id,
                    validation_report_id=report_id,
                    validation_time=pd.Timestamp(validation_time).tz_localize("UTC").to_pydatetime(),
                    ingestion_result=ingestion_result,
                )
            )
    return [r.to_ge_type() for r in found] if ge_type else found


def failures(report: Any, limit: int = 3) -> str:
    """What failed, for a person: the expectation, its column and arguments, an example failing value."""
    lines = []
    for result in report.results:
        if result.success:
            continue
        config = result.expectation_config or {}
        kwargs = {k: v for k, v in (config.get("kwargs") or {}).items() if k != "batch_id"}
        column = kwargs.pop("column", None)
        outcome = result.result or {}
        examples = outcome.get("partial_unexpected_list") or []
        line = f"{config.get('expectation_type')}"
        if column is not None:
            line += f" on column {column!r}"
        if kwargs:
            line += " (" + ", ".join(f"{k}={v!r}" for k, v in kwargs.items()) + ")"
        if "unexpected_count" in outcome:
            line += f": {outcome['unexpected_count']} of {outcome.get('element_count')} rows failed"
        if examples:
            line += f", for example {examples[0]!r}"
        elif "observed_value" in outcome:
            line += f": observed {outcome['observed_value']!r}"
        if (result.exception_info or {}).get("raised_exception"):
            line += f": {result.exception_info.get('exception_message')}"
        lines.append(line)
    more = f"\n - and {len(lines) - limit} more" if len(lines) > limit else ""
    return "".join(f"\n - {line}" for line in lines[:limit]) + more


def rejected(feature_group: str, report: Any) -> Exception:
    """The exception `FeatureGroupEngine._insert` raises for a strict suite, with what failed after its sentence."""
    from hopsworks_common.client.exceptions import DataValidationException

    return DataValidationException(
        "Data validation failed while validation ingestion policy set to strict, "
        f"insertion to {feature_group} was aborted.\n"
        "You can check a summary with fg.get_latest_validation_report(). Failed expectations:" + failures(report)
    )
