"""`simulate`: many past days in one go, and the same store as running those days one by one."""

from __future__ import annotations

import os
import subprocess

import pandas as pd
import pytest

from serverless_ml.cli import main
from serverless_ml.datasets import IMAGES
from tests.conftest import PYTHON
from tests.e2e import cli

pytestmark = pytest.mark.slow

DAYS = ["2026-02-08", "2026-02-09", "2026-02-10"]


GROUPS = ("iris", "iris_predictions")


def _read(env: dict) -> dict[str, pd.DataFrame]:
    """The feature groups in `GROUPS` as another process reads them from the store at `env`, rows by key."""
    code = (
        "import sys, serverless_ml; fs = serverless_ml.login().get_feature_store()\n"
        "for group, path in zip(sys.argv[1::2], sys.argv[2::2]):\n"
        "    fs.get_feature_group(group, version=1).read().to_pickle(path)"
    )
    paths = {group: f"{env['SML_HOME']}/{group}.pkl" for group in GROUPS}
    subprocess.run([PYTHON, "-c", code, *(x for pair in paths.items() for x in pair)], env=env, check=True)
    frames = {group: pd.read_pickle(path) for group, path in paths.items()}
    return {group: f.sort_values(f.columns[0]).reset_index(drop=True) for group, f in frames.items()}


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    """Three days of Iris: by `simulate --days 3` in one store, by three `daily` runs in another."""
    root = tmp_path_factory.mktemp("simulate")

    def env(name: str) -> dict:
        return {**os.environ, "SML_BACKEND": "local", "SML_HOME": str(root / name / "home"),
                "SML_DOCS": str(root / name / "docs")}  # fmt: skip

    simulated = cli(env("simulated"), "simulate", "--days", "3", "--dataset", "iris", "--end", DAYS[-1])
    # the day-by-day side in this process, as `python -m serverless_ml daily` would run it (its kernels then
    # share this process's zygote); the daily command as a process is tested in test_daily_e2e.py
    daily = []
    with pytest.MonkeyPatch.context() as mp:
        for name, value in env("daily").items():
            mp.setenv(name, value)
        for day in DAYS:
            daily.append(main(["daily", "--dataset", "iris", "--date", day]))
    return root, env, simulated, daily


def test_simulate_runs_each_notebook_once(stores):
    _, _, simulated, daily = stores
    assert simulated.returncode == 0, simulated.stderr[-3000:]
    assert daily == [0, 0, 0]
    # piped, as in a CI log: plain step lines in the order the steps ran, and no progress bar
    for stream in (simulated.stdout, simulated.stderr):
        assert "\r" not in stream and "\x1b" not in stream and "%|" not in stream and "step/s" not in stream
    backend, *lines = simulated.stdout.splitlines()
    assert backend.startswith("Backend: the local store in ")  # first, which backend
    assert [" ".join(line.split()[:-3]) for line in lines[:5]] == [
        "iris: feature",  # the backfill of the empty store
        "iris: training",
        f"iris: feature {DAYS[0]}..{DAYS[-1]}",
        f"iris: inference {DAYS[0]}..{DAYS[-1]}",
        "dashboard",
    ]
    assert all(line.split()[-3] == "ok" for line in lines[:5]) and lines[5].startswith("Dashboard: ")


def test_the_same_store_as_day_by_day(stores):
    root, env, _, _ = stores
    a, b = _read(env("simulated")), _read(env("daily"))
    pd.testing.assert_frame_equal(a["iris"], b["iris"])
    columns = ["id", "event_time", "predicted", "label", "model_version"]
    logged = a["iris_predictions"][columns]
    assert len(logged) == 3
    pd.testing.assert_frame_equal(logged, b["iris_predictions"][columns])
    for name in IMAGES:
        simulated = (root / "simulated" / "docs" / "iris" / name).read_bytes()
        assert simulated == (root / "daily" / "docs" / "iris" / name).read_bytes(), name
    assert (root / "simulated" / "docs" / "index.html").exists()
