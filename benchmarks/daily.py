"""`python -m serverless_ml daily` against its floor, and against itself with 100x the history.

The floor is papermill executing the same number of notebooks (two per dataset) that only import
the libraries the pipelines import. Run: `python benchmarks/daily.py` (or `make bench`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import table

REPO = Path(__file__).resolve().parent.parent
IMPORTS = (
    "import serverless_ml, numpy, pandas, sklearn, seaborn, matplotlib.pyplot, dataframe_image\n"
    "from serverless_ml import iris, titanic, monitoring, inference, model_files, parameters"
)
FLOOR = """
import sys, papermill
from serverless_ml.runner import _kernel_options
for path in sys.argv[1:]:
    papermill.execute_notebook(path, path + ".out.ipynb", progress_bar=False, kernel_name="python3",
                               **_kernel_options())
"""


def run_measured(command: list[str], env: dict) -> tuple[float, float]:
    """Wall time (s) and peak resident memory of the whole process tree (MiB)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        root = psutil.Process(process.pid)
        while not done.is_set():
            try:
                tree = [root, *root.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
            except psutil.Error:
                pass
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = process.communicate()
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode:
        raise SystemExit(f"{command} failed:\n{err.decode()[-3000:]}")
    return elapsed, peak / 2**20


def add_history(env: dict, rows: int) -> None:
    """Fill each feature group (features and predictions, both datasets) up to `rows` rows."""
    os.environ.update({k: env[k] for k in ("SML_HOME", "SML_DOCS", "SML_BACKEND")})
    import serverless_ml
    from serverless_ml import iris, titanic

    fs = serverless_ml.login().get_feature_store()
    rng = np.random.default_rng(0)
    # history in the daily era but before the benchmark's dates, so no window ever reaches it
    days = pd.Timestamp("2001-01-01") + pd.to_timedelta(rng.integers(0, 8000, rows), unit="D")
    for spec in (iris.DATASET, titanic.DATASET):
        fg = fs.get_feature_group(spec.name, version=1)
        sample = fg.read().sample(rows, replace=True, random_state=0).reset_index(drop=True)
        sample[spec.primary_key] = np.arange(10**9, 10**9 + rows, dtype="int64")
        sample[spec.event_time] = days
        fg.insert(sample, wait=True)
        predictions = fs.get_feature_group(spec.predictions_group, version=1)
        logged = predictions.read().sample(rows, replace=True, random_state=0).reset_index(drop=True)
        logged[spec.primary_key] = sample[spec.primary_key]
        logged[spec.event_time] = days
        predictions.insert(logged, wait=True)


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="bench_daily_"))
    csv = os.environ.get("SML_TITANIC_CSV")
    if not csv:
        sys.path.insert(0, str(REPO))
        from tests.fake_titanic import write_fake_titanic

        csv = str(write_fake_titanic(root / "titanic.csv", n=891))
    base = {**os.environ, "SML_BACKEND": "local", "SML_TITANIC_CSV": csv}
    daily = [sys.executable, "-m", "serverless_ml", "daily", "--date"]

    # the floor: four notebooks that import what the pipelines import
    notebooks = []
    for i in range(4):
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(IMPORTS)]
        path = root / f"floor_{i}.ipynb"
        nbformat.write(nb, path)
        notebooks.append(str(path))
    floor = min(run_measured([sys.executable, "-c", FLOOR, *notebooks], base) for _ in range(2))

    results = {}
    for label, rows in (("1,000 rows", 1_000), ("100,000 rows", 100_000)):
        env = {**base, "SML_HOME": str(root / f"home{rows}"), "SML_DOCS": str(root / f"docs{rows}")}
        run_measured([*daily, "2026-01-01"], env)  # bootstrap: backfill, train, first day
        add_history(env, rows)
        results[label] = min(run_measured([*daily, f"2026-01-0{d}"], env) for d in (2, 3))

    small, large = results["1,000 rows"], results["100,000 rows"]
    rows = [
        ("floor: papermill, 4 notebooks importing the same libraries", f"{floor[0]:.1f}", "1.00x", f"{floor[1]:.0f}"),
        ("daily, both datasets, 1,000 rows per feature group", f"{small[0]:.1f}", f"{small[0] / floor[0]:.2f}x",
         f"{small[1]:.0f}"),
        ("daily, both datasets, 100,000 rows per feature group", f"{large[0]:.1f}", f"{large[0] / floor[0]:.2f}x",
         f"{large[1]:.0f}"),
    ]  # fmt: skip
    print(table(rows, ("run", "wall (s)", "vs floor", "peak RSS of the process tree (MiB)")))
    print(f"\nhistory ratio (100,000 / 1,000 rows): {large[0] / small[0]:.2f} (target <= 1.2); "
          f"floor ratio target <= 1.3")  # fmt: skip


if __name__ == "__main__":
    main()
