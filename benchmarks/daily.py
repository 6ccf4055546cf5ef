"""`python -m serverless_ml daily` against its floor, against itself with 100x the history, and the waits.

The floor is papermill executing the same number of notebooks (two per dataset) that only import
the libraries the pipelines import. The waits a learner sees: `simulate --days 30` beside one
`daily` on stores bootstrapped the same way (backfill and training not counted), `daily` on an
empty store (what `make run` does first: backfill, train, the day), and the Titanic training
notebook alone. Run: `python benchmarks/daily.py` (or `make bench`).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import NamedTuple

import nbformat
import numpy as np
import pandas as pd
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import table

REPO = Path(__file__).resolve().parent.parent
IMPORTS = (
    "import serverless_ml, numpy, pandas, sklearn, seaborn, matplotlib.pyplot, dataframe_image\n"
    "import great_expectations, hsfs.expectation_suite, hsml.model_schema\n"
    "from serverless_ml import iris, titanic, monitoring, inference, model_files, parameters"
)
FLOOR = """
import sys, papermill
from serverless_ml.runner import kernel_options
for path in sys.argv[1:]:
    papermill.execute_notebook(path, path + ".out.ipynb", progress_bar=False, kernel_name="python3",
                               **kernel_options())
"""
# the line `runner.timed` prints per notebook: "<label> ok <seconds> s"
STEP_LINE = re.compile(r"^(?P<label>\S.*?)\s+ok\s+(?P<seconds>[\d.]+) s$", re.MULTILINE)


class Measured(NamedTuple):
    """One command's wall time (s), the peak resident memory of its process tree (MiB) and its output."""

    wall: float
    rss: float
    stdout: str = ""


def run_measured(command: list[str], env: dict) -> Measured:
    """Run `command` to the end, sampling the memory of its whole process tree every 50 ms."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
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
    out, err = process.communicate()
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode:
        raise SystemExit(f"{command} failed:\n{err.decode()[-3000:]}")
    return Measured(elapsed, peak / 2**20, out.decode())


def steps(run: Measured) -> dict[str, float]:
    """Seconds per notebook of a run, from the lines the command prints."""
    return {m["label"]: float(m["seconds"]) for m in STEP_LINE.finditer(run.stdout)}


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


def _walls(runs: list[Measured]) -> str:
    return ", ".join(f"{run.wall:.1f}" for run in runs)


def learner_waits(base: dict, root: Path) -> None:
    """`simulate --days 30` beside one `daily`, `daily` on an empty store, and Titanic's training alone."""
    command = [sys.executable, "-m", "serverless_ml"]
    envs = {
        name: {**base, "SML_HOME": str(root / f"home_{name}"), "SML_DOCS": str(root / f"docs_{name}")}
        for name in ("daily", "simulate")
    }
    # both stores bootstrapped the same way; each bootstrap is `make run` on an empty store
    fresh = [run_measured([*command, "daily", "--date", "2026-01-01"], env) for env in envs.values()]
    timed: dict[str, list[Measured]] = {"daily": [], "simulate": []}
    # two rounds ending on the same day for both, the second on the next 30 days, in swapped order
    for round_, end in enumerate(("2026-01-31", "2026-03-02")):
        jobs = [("daily", ["daily", "--date", end]), ("simulate", ["simulate", "--days", "30", "--end", end])]
        for name, args in jobs if round_ == 0 else jobs[::-1]:
            timed[name].append(run_measured([*command, *args], envs[name]))
    train = run_measured([*command, "train", "--dataset", "titanic"], envs["daily"])

    day, month = min(timed["daily"]), min(timed["simulate"])
    rows = [
        ("daily, both datasets, one day", f"{day.wall:.1f}", "1.00x", f"{day.rss:.0f}"),
        ("simulate --days 30, both datasets", f"{month.wall:.1f}", f"{month.wall / day.wall:.2f}x", f"{month.rss:.0f}"),
    ]
    print("\nsimulate vs daily, stores bootstrapped by one daily run (not timed), best of 2 each, interleaved\n")
    print(table(rows, ("run", "wall (s)", "vs one daily", "peak RSS of the process tree (MiB)")))
    print(f"\nratio {month.wall / day.wall:.2f} (target <= 2.5); simulate {month.wall:.1f} s (target < 60 s); "
          f"all runs: daily {_walls(timed['daily'])} s, simulate {_walls(timed['simulate'])} s")  # fmt: skip

    best = min(fresh)
    parts = sorted(steps(best).items(), key=lambda item: -item[1])
    other = best.wall - sum(seconds for _, seconds in parts)
    rows = [(label, f"{seconds:.1f}", f"{seconds / best.wall:.0%}") for label, seconds in parts]
    rows.append(("other: process start, HTML pages, store checks", f"{other:.1f}", f"{other / best.wall:.0%}"))
    print(f"\ndaily on an empty store (`make run`): {best.wall:.1f} s, peak RSS {best.rss:.0f} MiB "
          f"(target < 120 s; both runs: {_walls(fresh)} s); the faster run by step:\n")  # fmt: skip
    print(table(rows, ("step", "s", "share")))
    top, top_seconds = parts[0]
    notebook = ", ".join(f"{label} {seconds:.1f} s" for label, seconds in steps(train).items())
    print(f"\nlargest step: {top} ({top_seconds:.1f} s); `train --dataset titanic` alone on a backfilled store: "
          f"{train.wall:.1f} s wall ({notebook}), peak RSS {train.rss:.0f} MiB")  # fmt: skip


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

    learner_waits(base, root)


if __name__ == "__main__":
    main()
