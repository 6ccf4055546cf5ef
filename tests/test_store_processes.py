"""The local store under real processes: killed writers, concurrent writers, idle readers."""

from __future__ import annotations

import signal
import subprocess
import time

import pandas as pd
import pytest

import serverless_ml
from serverless_ml.errors import StoreBusyError
from tests.conftest import PYTHON, REPO, child_env

_WRITER = """
import sys, numpy as np, pandas as pd, serverless_ml
batch, batches, offset = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
fg = serverless_ml.login().get_feature_store().get_or_create_feature_group(
    "big", version=1, primary_key=["id"], event_time="event_time")
for i in range(batches):
    ids = offset + np.arange(i * batch, (i + 1) * batch)
    fg.insert(pd.DataFrame({"id": ids, "x": ids * 0.5, "event_time": pd.Timestamp("2024-01-01")}))
    print("committed", i, flush=True)
"""

_HOLDER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
"""

_IDLE = """
import time, serverless_ml
fg = serverless_ml.login().get_feature_store().get_feature_group("big", version=1)
print("read", len(fg.read()), flush=True)
time.sleep(30)
"""


def _start(code: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [PYTHON, "-c", code, *args],
        cwd=REPO,
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(proc: subprocess.Popen, text: str) -> None:
    for line in proc.stdout:
        if line.startswith(text):
            return
    raise AssertionError(f"child exited before printing {text!r}: {proc.stderr.read()}")


def _big(project):
    return project.get_feature_store().get_feature_group("big", version=1)


def test_killed_insert_leaves_earlier_rows_and_none_of_its_own(project):
    batch = 400_000
    writer = _start(_WRITER, str(batch), "50", "0")
    _wait_for(writer, "committed 1")
    time.sleep(0.15)  # well inside the next insert
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    df = _big(project).read()
    assert len(df) >= 2 * batch
    assert len(df) % batch == 0, "an interrupted insert left part of its rows"
    assert df["id"].is_unique
    assert sorted(df["id"])[-1] == len(df) - 1


def test_second_writer_waits_for_the_first(project):
    project.get_feature_store().get_or_create_feature_group("big", version=1, primary_key=["id"])
    holder = _start(_HOLDER, str(project.home / "store.duckdb"), "3")  # a writer mid-transaction
    _wait_for(holder, "holding")
    started = time.monotonic()
    second = subprocess.run(
        [PYTHON, "-c", _WRITER, "10", "1", "0"],
        cwd=REPO,
        env=child_env(SML_LOCK_TIMEOUT="60"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert second.returncode == 0, second.stderr
    assert time.monotonic() - started > 1.5, "the second writer did not wait"
    assert holder.wait(timeout=30) == 0
    assert len(_big(project).read()) == 10


def test_busy_store_gives_a_clear_error_after_the_timeout(project, monkeypatch):
    group = project.get_feature_store().get_or_create_feature_group("big", version=1, primary_key=["id"])
    group.insert(pd.DataFrame({"id": [1]}))  # a new group is saved by its first insert
    path = project.home / "store.duckdb"
    holder = _start(_HOLDER, str(path), "20")
    _wait_for(holder, "holding")
    monkeypatch.setenv("SML_LOCK_TIMEOUT", "1")
    started = time.monotonic()
    with pytest.raises(StoreBusyError, match=r"held by another process for more than 1 s"):
        serverless_ml.login().get_feature_store().get_feature_group("big", version=1)
    assert time.monotonic() - started < 10
    holder.kill()
    holder.wait()
    assert serverless_ml.login().get_feature_store().get_feature_group("big", version=1).name == "big"


def test_an_idle_process_does_not_lock_others_out(project):
    subprocess.run([PYTHON, "-c", _WRITER, "10", "1", "0"], cwd=REPO, env=child_env(), check=True, timeout=60)
    idle = _start(_IDLE)
    try:
        _wait_for(idle, "read")
        started = time.monotonic()
        subprocess.run(
            [PYTHON, "-c", _WRITER, "10", "1", "100"],
            cwd=REPO,
            env=child_env(SML_LOCK_TIMEOUT="5"),
            check=True,
            timeout=60,
        )
        assert time.monotonic() - started < 30
        assert len(_big(project).read()) == 20
    finally:
        idle.kill()
        idle.wait()
