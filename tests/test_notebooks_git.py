"""An executed notebook, saved in place, leaves `git status` clean once `make install` has set the git filter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import REPO, local_env

pytestmark = pytest.mark.slow


def _git(clone: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(clone), *args], capture_output=True, text=True, check=True).stdout


def test_running_a_lesson_and_saving_it_does_not_dirty_git(tmp_path, monkeypatch):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
    venv = Path(sys.executable).parent.parent
    # the Makefile's own step (make install runs it), with this test run's environment
    subprocess.run(["make", "--no-print-directory", "-C", str(clone), "git-filters", f"VENV={venv}"], check=True)
    local_env(monkeypatch, tmp_path / "store")
    path = clone / "notebooks" / "iris" / "1_feature_pipeline.ipynb"
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    nbformat.write(notebook, path)  # as JupyterLab saves it: outputs, counts, the kernel's language details
    saved = nbformat.read(path, as_version=4)
    assert any(c.get("outputs") for c in saved.cells if c.cell_type == "code"), "the saved notebook keeps outputs"
    assert "version" in saved.metadata.language_info
    assert _git(clone, "status", "--porcelain") == ""
    # an edit of the lesson itself is still a change
    saved.cells[0].source += "\n\nA learner's note."
    nbformat.write(saved, path)
    assert _git(clone, "status", "--porcelain").split() == ["M", "notebooks/iris/1_feature_pipeline.ipynb"]
