"""Running the pipeline notebooks with papermill: the notebooks are the pipelines."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from serverless_ml.errors import ServerlessMLError
from serverless_ml.settings import REPO_ROOT

NOTEBOOKS = REPO_ROOT / "notebooks"
STAGES = {
    "eda": "0_eda",
    "feature": "1_feature_pipeline",
    "training": "2_training_pipeline",
    "inference": "3_batch_inference_pipeline",
}


class NotebookError(ServerlessMLError):
    """A notebook stopped with an error; says which notebook, which cell and why."""

    def __init__(self, notebook: Path, cell: int | None, ename: str, evalue: str, output: Path) -> None:
        self.notebook, self.cell, self.ename, self.evalue, self.output = notebook, cell, ename, evalue, output
        where = f"cell {cell}" if cell is not None else "a cell"
        super().__init__(
            f"{notebook.relative_to(REPO_ROOT)} failed in {where}: {ename}: {evalue} (executed copy: {output})"
        )


def notebook_path(dataset: str, stage: str) -> Path:
    """The notebook of a dataset's stage (`feature`, `training`, `inference`, `eda`)."""
    return NOTEBOOKS / dataset / f"{STAGES[stage]}.ipynb"


def run_notebook(dataset: str, stage: str, parameters: dict[str, Any], output_dir: Path) -> Path:
    """Execute one pipeline notebook with papermill; return the executed copy's path."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    source = notebook_path(dataset, stage)
    output_dir.mkdir(parents=True, exist_ok=True)
    output = output_dir / f"{dataset}_{source.name}"
    try:
        papermill.execute_notebook(
            str(source),
            str(output),
            parameters=parameters,
            cwd=str(source.parent),
            progress_bar=False,
            log_output=False,
            kernel_name="python3",
        )
    except PapermillExecutionError as error:
        raise NotebookError(source, _failed_cell(output), error.ename, error.evalue, output) from None
    return output


def _failed_cell(output: Path) -> int | None:
    """The 1-based index, among the source notebook's code cells, of the cell that raised."""
    import nbformat

    try:
        notebook = nbformat.read(output, as_version=4)
    except (OSError, ValueError):
        return None
    code_cells = [
        c for c in notebook.cells if c.cell_type == "code" and "injected-parameters" not in c.metadata.get("tags", [])
    ]
    for index, cell in enumerate(code_cells, start=1):
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return index
    return None


def timed(label: str):
    """A context manager that prints `label` and how long the step took, on one line."""
    from contextlib import contextmanager

    @contextmanager
    def _timer():
        started = time.perf_counter()
        status = "failed"
        try:
            yield
            status = "ok"
        finally:
            print(f"{label:<48} {status:>6} {time.perf_counter() - started:7.1f} s", flush=True)

    return _timer()
