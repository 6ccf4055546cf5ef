"""What a validation report says, in a form the dashboard shows without importing Great Expectations.

The feature pipelines validate every insert against their feature group's expectation suite (the
store runs Great Expectations, on Hopsworks and locally); `publish` keeps a summary of the latest
report beside the monitoring images.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from serverless_ml.files import write_atomic
from serverless_ml.settings import get_settings

SUMMARY = "validation.json"


def summary(report: Any) -> dict:
    """Which expectations ran on which column, and whether each passed, from a GE or hsfs report."""
    data = report.to_json_dict() if hasattr(report, "to_json_dict") else dict(report)
    checks = []
    for result in data.get("results", []):
        config = result.get("expectation_config") or result.get("expectationConfig") or {}  # GE or hsfs keys
        if isinstance(config, str):
            config = json.loads(config)
        kwargs = config.get("kwargs", {})
        unexpected = (result.get("result") or {}).get("partial_unexpected_list") or []
        checks.append(
            {
                "expectation": config.get("type") or config.get("expectation_type") or config.get("expectationType"),
                "column": kwargs.get("column"),
                "success": bool(result.get("success")),
                "examples": [str(v) for v in unexpected[:3]],
            }
        )
    return {"success": bool(data.get("success")), "checks": checks}


def publish(feature_group: Any, dataset: str, folder: Path | None = None) -> Path | None:
    """Write a summary of the feature group's latest validation report for the dashboard (None: no report).

    Into `folder`, by default `SML_DOCS/<dataset>`, beside the monitoring images. The report is read
    back as Hopsworks keeps it (`get_latest_validation_report(ge_type=False)`), which names each
    expectation; the Great Expectations copy that `insert` returns loses the names on the way.
    """
    report = feature_group.get_latest_validation_report(ge_type=False)
    if report is None:
        return None
    record = {"validated_at": datetime.now(UTC).isoformat(timespec="seconds"), **summary(report)}
    folder = Path(folder) if folder else get_settings().docs / dataset
    return write_atomic(folder / SUMMARY, lambda tmp: tmp.write_text(json.dumps(record)))


def read(folder: Path) -> dict | None:
    """The latest published summary in `folder`, or None."""
    path = Path(folder) / SUMMARY
    return json.loads(path.read_text()) if path.exists() else None
