"""Running one notebook with papermill (serverless_ml/runner.py)."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from serverless_ml import runner
from serverless_ml.settings import REPO_ROOT


def test_notebook_path_comes_from_the_registry():
    assert runner.notebook_path("iris", "training") == REPO_ROOT / "notebooks" / "iris" / "2_training_pipeline.ipynb"


@pytest.mark.slow  # a papermill run
def test_the_failed_cell_is_numbered_as_the_executed_page_shows_it(monkeypatch, tmp_path):
    """A real papermill run: its injected parameters cell runs and empty cells do not, so the failing cell's
    number is the `In [N]` of the rendered page, not its position among the source's code cells (5 here)."""
    parameters = nbformat.v4.new_code_cell("X = 1")
    parameters.metadata["tags"] = ["parameters"]
    cells = [parameters, nbformat.v4.new_code_cell("y = X * 2"), nbformat.v4.new_code_cell(""),
             nbformat.v4.new_code_cell(""), nbformat.v4.new_code_cell("1 / (X - 2)")]  # fmt: skip
    source = tmp_path / "tiny.ipynb"
    kernel = {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}}
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Tiny"), *cells], metadata=kernel)
    nbformat.write(notebook, source)
    monkeypatch.setattr(runner, "notebook_path", lambda dataset, stage: source)
    with pytest.raises(runner.NotebookError) as caught:
        runner.run_notebook("iris", "feature", {"X": 2}, tmp_path / "runs")
    page = runner.render_html(caught.value.output, tmp_path / "tiny.html").read_text()
    shown = re.findall(r"jp-InputArea-prompt\">In\s\[(\d+)\]:", page[: page.index("ZeroDivisionError")])[-1]
    assert caught.value.cell == int(shown) == 4
    assert "tiny.ipynb failed in cell 4: ZeroDivisionError: division by zero" in str(caught.value)
    assert runner._failed_cell(tmp_path / "missing.ipynb") is None


@pytest.mark.slow  # three papermill runs
def test_each_cell_shows_only_its_own_outputs(monkeypatch, tmp_path):
    """The runner's kernel client (`ReadyKernelClient`) leaves unread what the kernel still sends about its
    start: none of it may show in a cell, the first one least of all."""
    assert isinstance(runner.IpcKernelManager().client(), runner.ReadyKernelClient)
    kernel = {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}}
    cells = [nbformat.v4.new_code_cell('print("first")'), nbformat.v4.new_code_cell("1 + 1")]
    source = tmp_path / "two.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells, metadata=kernel), source)
    monkeypatch.setattr(runner, "notebook_path", lambda dataset, stage: source)
    for run in range(3):  # kernels one after another, as a daily run starts them
        executed = nbformat.read(runner.run_notebook("iris", "feature", {}, tmp_path / f"run{run}"), as_version=4)
        first, second = (cell.outputs for cell in executed.cells if cell.cell_type == "code")
        assert [(o.output_type, o.get("text")) for o in first] == [("stream", "first\n")]
        assert [(o.output_type, o.data["text/plain"]) for o in second] == [("execute_result", "2")]


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
