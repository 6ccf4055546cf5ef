"""What one notebook costs before its first line of work: a kernel's start and stop, through the runner.

A one-cell notebook (`print(X)`, its parameter injected) is executed by papermill in three ways, in one
run, 12 times each after a warm-up (median, seconds):

- the floor: papermill as it comes (jupyter_client starts `python -m ipykernel_launcher`);
- the runner's kernel manager, with jupyter_client's own client (`KernelClient._async_wait_for_ready`,
  whose last step waits until no message has come for 0.2 s);
- the runner as it is: its kernel manager and `ReadyKernelClient` (`serverless_ml/runner.py`).

Kernels are forked from the zygote in the last two (`serverless_ml/kernels.py`); every pipeline
notebook a daily run executes pays this cost once.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import papermill
from jupyter_client.asynchronous import AsyncKernelClient
from traitlets import DottedObjectName, Type, import_item

from serverless_ml import kernels, runner

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import table

RUNS = 12


def notebook(folder: Path) -> Path:
    parameters = nbformat.v4.new_code_cell("X = 0")
    parameters.metadata["tags"] = ["parameters"]
    kernel = {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}}
    cells = [parameters, nbformat.v4.new_code_cell("print(X)")]
    path = folder / "one_cell.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells, metadata=kernel), path)
    return path


def median_run(source: Path, folder: Path, options: dict) -> float:
    def once(i: int) -> float:
        started = time.perf_counter()
        papermill.execute_notebook(str(source), str(folder / f"out_{i}.ipynb"), parameters={"X": i},
                                   progress_bar=False, log_output=False, kernel_name="python3", **options)  # fmt: skip
        return time.perf_counter() - started

    once(0)  # a warm-up: the zygote starts, the files are read once
    return statistics.median(once(i) for i in range(1, RUNS + 1))


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="sml-bench-kernels-"))
    source = notebook(folder)
    manager = import_item(runner.kernel_options()["kernel_manager_class"])

    class StockClientManager(manager):
        client_class = DottedObjectName(f"{AsyncKernelClient.__module__}.{AsyncKernelClient.__name__}")
        client_factory = Type(klass=AsyncKernelClient)

    floor = median_run(source, folder, {})
    stock = median_run(source, folder, {"kernel_manager_class": StockClientManager})
    ours = median_run(source, folder, {"kernel_manager_class": manager})
    rows = [
        ("floor: papermill as it comes", f"{floor:.3f}", "1.00x"),
        ("runner, jupyter_client's own client", f"{stock:.3f}", f"{stock / floor:.2f}x"),
        ("runner with ReadyKernelClient", f"{ours:.3f}", f"{ours / floor:.2f}x"),
    ]
    print(f"One-cell notebook, median of {RUNS} runs (kernels forked: {kernels.enabled()})")
    print(table(rows, ("run", "wall (s)", "vs floor")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
