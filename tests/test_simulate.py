"""`simulate`: many past days in one go, so a learner sees a full dashboard at once."""

from __future__ import annotations

import os

import pytest

from tests.e2e import cli, predictions_count

pytestmark = pytest.mark.slow


def test_simulate_fills_a_dashboard_at_once(tmp_path, sml_env):
    env = {**os.environ, "SML_HOME": str(tmp_path / "home"), "SML_DOCS": str(tmp_path / "docs")}
    result = cli(env, "simulate", "--days", "10", "--dataset", "iris", "--end", "2026-02-10")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "10/10" in result.stdout  # the progress bar reached the end
    assert predictions_count(env, "iris") == 10
    assert (tmp_path / "docs" / "index.html").exists()
