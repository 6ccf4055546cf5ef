"""The daily run's wiring (serverless_ml/daily.py): what needs running, the status file."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import threading
import time
from datetime import date

import pandas as pd
import pytest

from serverless_ml import daily, iris
from serverless_ml.errors import LoginError
from tests.conftest import PYTHON, REPO, free_port


def test_an_empty_store_needs_everything(project):
    assert daily.needs_backfill("iris") and daily.needs_training("iris")
    # a feature group created but never written (a daily run before any backfill) still needs one
    project.get_feature_store().get_or_create_feature_group("iris", version=1, primary_key=["id"])
    assert daily.needs_backfill("iris")


def test_a_backfilled_store_needs_only_training(project):
    fs = project.get_feature_store()
    group = fs.get_or_create_feature_group("iris", version=1, primary_key=["id"], event_time="event_time")
    group.insert(iris.backfill_frame().head(10))
    assert not daily.needs_backfill("iris") and daily.needs_training("iris")


def test_status_is_written_whole(sml_env):
    path = daily.write_status("iris", date(2026, 3, 1))
    status = json.loads(path.read_text())
    assert status["run_date"] == "2026-03-01" and pd.Timestamp(status["last_run"]).year >= 2026
    assert not list(path.parent.glob(".*"))  # no temporary file left beside it


def test_runs_dir_is_new_per_command(sml_env):
    assert daily.runs_dir(date(2026, 3, 1)).name.startswith("2026-03-01_")


# --- which backend, and a failed Hopsworks login before any notebook ---------------------------------------

FAKE_KEY = "hw-fake-key-Zq81x0Lm"


def _hopsworks_env(tmp_path, port: int) -> dict[str, str]:
    """A learner's shell with a (fake) key exported and Hopsworks at `port` on this machine; no SML_BACKEND."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SML_", "HOPSWORKS_"))}
    env.update(HOPSWORKS_API_KEY=FAKE_KEY, HOPSWORKS_HOST="127.0.0.1", HOPSWORKS_PORT=str(port),
               HOPSWORKS_PROJECT="course", HOME=str(tmp_path), SML_HOME=str(tmp_path / "home"),
               SML_DOCS=str(tmp_path / "docs"))  # fmt: skip
    return env


@pytest.fixture
def closing_port():
    """A port on this machine that accepts connections and closes them at once: no TLS, no Hopsworks."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                server.accept()[0].close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    server.close()


@pytest.mark.parametrize("listening", [False, True], ids=["closed port", "no TLS there"])
def test_a_failed_login_is_one_line_before_any_notebook(tmp_path, request, listening):
    """The real hopsworks.login(), against 127.0.0.1: nothing listens, or a port that hangs up on it."""
    port = request.getfixturevalue("closing_port") if listening else free_port()
    started = time.monotonic()
    result = subprocess.run([PYTHON, "-m", "serverless_ml", "daily"], cwd=tmp_path, env=_hopsworks_env(tmp_path, port),
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    assert time.monotonic() - started < 30
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: cannot log in to Hopsworks at 127.0.0.1:{port}: "), line
    assert line.endswith("Connection refused") if not listening else len(line) < 200, line
    assert result.stdout.splitlines() == [
        f"Backend: Hopsworks at 127.0.0.1:{port}, project course (HOPSWORKS_API_KEY is set)"
    ]  # no notebook started
    assert FAKE_KEY not in result.stdout + result.stderr and "Traceback" not in result.stderr


def test_a_host_that_never_answers_fails_after_the_login_timeout(sml_env, monkeypatch, tmp_path):
    """A listener whose queue is full drops new connections, as a firewall does: the wait is bounded."""
    server = socket.create_server(("127.0.0.1", 0), backlog=0)
    port = server.getsockname()[1]
    queued = [socket.socket() for _ in range(3)]
    for client in queued:
        client.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            client.connect(("127.0.0.1", port))
    for name, value in _hopsworks_env(tmp_path, port).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(daily, "LOGIN_TIMEOUT", 0.5)
    try:
        with pytest.raises(LoginError) as raised:
            daily.login_hopsworks()
    finally:
        for client in queued:
            client.close()
        server.close()
    assert str(raised.value) == (
        f"cannot log in to Hopsworks at 127.0.0.1:{port}: no answer within 0.5 s (check HOPSWORKS_HOST and the network)"
    )


@pytest.mark.parametrize(
    ("env", "line"),
    [
        ({}, 'Backend: the local store in {home} (to run on Hopsworks, export HOPSWORKS_API_KEY: see "Moving to '
             'Hopsworks" in README.md)'),
        ({"HOPSWORKS_API_KEY": FAKE_KEY, "SML_BACKEND": "local"},
         "Backend: the local store in {home} (HOPSWORKS_API_KEY is set, but SML_BACKEND=local keeps it unused)"),
        ({"HOPSWORKS_API_KEY": FAKE_KEY},
         "Backend: Hopsworks at eu-west.cloud.hopsworks.ai:443, your project (HOPSWORKS_API_KEY is set)"),
        ({"HOPSWORKS_API_KEY": FAKE_KEY, "HOPSWORKS_HOST": "my.hopsworks", "HOPSWORKS_PORT": "8181",
          "HOPSWORKS_PROJECT": "course"},
         "Backend: Hopsworks at my.hopsworks:8181, project course (HOPSWORKS_API_KEY is set)"),
    ],
)  # fmt: skip
def test_the_backend_is_said_in_one_line(sml_env, monkeypatch, env, line):
    monkeypatch.delenv("SML_BACKEND")
    for name in ("HOPSWORKS_HOST", "HOPSWORKS_PORT", "HOPSWORKS_PROJECT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert daily.backend_line() == line.format(home=sml_env["SML_HOME"])
    assert FAKE_KEY not in daily.backend_line()


def test_make_run_uses_hopsworks_when_the_key_is_exported(tmp_path):
    """`make run` with HOPSWORKS_API_KEY set logs in to Hopsworks (here: nothing listens) instead of staying local."""
    port = free_port()
    env = {**_hopsworks_env(tmp_path, port), "MAKEFLAGS": ""}
    result = subprocess.run(["make", "--no-print-directory", "-o", ".venv/.installed", "run"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"Backend: Hopsworks at 127.0.0.1:{port}, project course (HOPSWORKS_API_KEY is set)" in result.stdout
    assert f"error: cannot log in to Hopsworks at 127.0.0.1:{port}: Connection refused" in result.stderr
    assert FAKE_KEY not in result.stdout + result.stderr
