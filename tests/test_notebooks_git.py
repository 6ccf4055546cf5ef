"""A lesson run and saved in JupyterLab leaves `git status` clean, as `make install` and `make lab` set it up.

A real clone, the Makefile's own `git-filters` step, a real Jupyter server started with the Makefile's
`LAB_HOOKS`, and the notebook saved through its contents API, as JupyterLab's Save does.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import REPO, free_port, local_env

pytestmark = pytest.mark.slow
LESSON = "notebooks/iris/1_feature_pipeline.ipynb"


def _git(clone: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(clone), *args], capture_output=True, text=True, check=True).stdout


def _save(port: int, notebook) -> None:
    """PUT /api/contents/<path>: what JupyterLab's Save sends."""
    body = json.dumps({"type": "notebook", "format": "json", "content": notebook}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/contents/{LESSON}?token=t", data=body, method="PUT")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200


@pytest.fixture
def server(tmp_path, monkeypatch):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
    venv = Path(sys.executable).parent.parent
    subprocess.run(["make", "--no-print-directory", "-C", str(clone), "git-filters", f"VENV={venv}"], check=True)
    hooks = re.search(r"^LAB_HOOKS := (.+)$", (REPO / "Makefile").read_text(), re.M).group(1).split()
    local_env(monkeypatch, tmp_path / "store")
    port = free_port()
    command = [str(venv / "bin" / "jupyter"), "server", "--no-browser", f"--port={port}", "--IdentityProvider.token=t"]
    process = subprocess.Popen([*command, *hooks, "--allow-root"], cwd=clone, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token=t", timeout=2)
            break
        except OSError:
            assert time.monotonic() < deadline and process.poll() is None, "the Jupyter server did not start"
            time.sleep(0.3)
    yield clone, port
    process.terminate()
    process.wait(timeout=30)


def test_running_a_lesson_and_saving_it_leaves_git_clean(server):
    clone, port = server
    notebook = nbformat.read(clone / LESSON, as_version=4)
    NotebookClient(
        notebook, kernel_name="python3", resources={"metadata": {"path": str(clone / "notebooks/iris")}}
    ).execute()
    _save(port, notebook)
    saved = nbformat.read(clone / LESSON, as_version=4)
    assert any(c.get("outputs") for c in saved.cells if c.cell_type == "code"), "the file keeps its outputs"
    assert "version" in saved.metadata.language_info
    assert _git(clone, "status", "--porcelain") == ""
    assert _git(clone, "diff", "--cached", "--name-only") == "", "nothing was staged"
    # a change to the lesson itself still shows
    saved.cells[0].source += "\n\nA learner's note."
    _save(port, saved)
    assert _git(clone, "status", "--porcelain").split() == ["M", LESSON]
