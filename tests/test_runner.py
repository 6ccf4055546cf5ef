"""Running one notebook with papermill (serverless_ml/runner.py)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from serverless_ml import runner
from serverless_ml.settings import REPO_ROOT


def test_notebook_path_comes_from_the_registry():
    assert runner.notebook_path("iris", "training") == REPO_ROOT / "notebooks" / "iris" / "2_training_pipeline.ipynb"


def test_failed_cell_counts_code_cells_only(tmp_path):
    notebook = nbformat.v4.new_notebook()
    injected = nbformat.v4.new_code_cell("X = 1")
    injected.metadata["tags"] = ["injected-parameters"]
    failing = nbformat.v4.new_code_cell("1/0")
    failing.outputs = [nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="x", traceback=[])]
    notebook.cells = [nbformat.v4.new_markdown_cell("# t"), nbformat.v4.new_code_cell("a = 1"), injected, failing]
    nbformat.write(notebook, tmp_path / "out.ipynb")
    assert runner._failed_cell(tmp_path / "out.ipynb") == 2
    assert runner._failed_cell(tmp_path / "missing.ipynb") is None


def test_notebook_error_names_notebook_and_cell(tmp_path):
    inside = runner.NotebookError(REPO_ROOT / "notebooks" / "x.ipynb", 3, "ValueError", "bad", tmp_path / "o.ipynb")
    assert str(inside).startswith("notebooks/x.ipynb failed in cell 3: ValueError: bad")
    outside = runner.NotebookError(Path("/elsewhere/y.ipynb"), None, "E", "v", tmp_path / "o.ipynb")
    assert str(outside).startswith("/elsewhere/y.ipynb failed in a cell: E: v")


def test_timed_prints_one_line(capsys):
    with runner.timed("iris: feature"):
        pass
    with pytest.raises(RuntimeError), runner.timed("iris: inference"):
        raise RuntimeError
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:3] for line in lines] == [["iris:", "feature", "ok"], ["iris:", "inference", "failed"]]
