"""What data validation costs: a 1,000-row insert with a 5-expectation suite against the same insert without.

Run: `python benchmarks/validation.py`. Prints the best of several inserts each way (warm: Great
Expectations already imported), their ratio, the one-time import, and what `great_expectations` adds
to an environment (site-packages size and a warm-cache `uv pip install` into a scratch venv). The
floor for the validation itself is the SDK's own: the function hsfs runs on every validated insert,
timed on the same frame and suite.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import best_of, table
from store import frame as store_frame

ROWS = 1_000
REPEATS = 15
REPO = Path(__file__).resolve().parent.parent
GE_PIN = next(
    line.strip() for line in (REPO / "requirements.txt").read_text().splitlines() if "great_expectations" in line
)


def frame(n: int = ROWS) -> pd.DataFrame:
    """The store benchmark's iris-like rows, with lengths made positive so that every expectation passes."""
    data = store_frame(n)
    for column in ("sepal_length", "sepal_width", "petal_length", "petal_width"):
        data[column] = data[column].abs()
    return data


def suite():
    import great_expectations as ge

    return ge.core.ExpectationSuite(
        name="iris_suite",
        expectations=[
            ge.expectations.ExpectColumnValuesToBeBetween(column="sepal_length", min_value=0, max_value=10),
            ge.expectations.ExpectColumnValuesToBeBetween(column="petal_length", min_value=0, max_value=10),
            ge.expectations.ExpectColumnValuesToNotBeNull(column="variety"),
            ge.expectations.ExpectColumnValuesToBeInSet(
                column="variety", value_set=["Setosa", "Versicolor", "Virginica"]
            ),
            ge.expectations.ExpectColumnValuesToBeUnique(column="id"),
        ],
    )


def sdk_validate(data: pd.DataFrame, ge_suite) -> object:
    """What the SDK runs on every validated insert, before it uploads the report to Hopsworks:
    `hsfs.engine.python.Engine._validate_with_great_expectations` itself (its body uses no instance state)."""
    import contextlib
    import io

    from hsfs.engine.python import Engine

    with contextlib.redirect_stderr(io.StringIO()):  # its context draws GE's progress bars: not what is timed
        return Engine._validate_with_great_expectations(None, data, ge_suite)


def insert_times() -> dict[str, float]:
    import contextlib
    import io

    home = tempfile.mkdtemp(prefix="sml-bench-validation-")
    os.environ.update(SML_HOME=home, SML_BACKEND="local")
    import serverless_ml

    fs = serverless_ml.login().get_feature_store()
    data = frame()
    plain = fs.get_or_create_feature_group("plain", version=1, primary_key=["id"], event_time="event_time")
    plain.insert(data)  # the first insert creates the table: not what is measured
    started = time.perf_counter()
    checked = fs.get_or_create_feature_group(
        "checked", version=1, primary_key=["id"], event_time="event_time", expectation_suite=suite()
    )
    ge_suite = suite()
    with contextlib.redirect_stdout(io.StringIO()):
        checked.insert(data)
        first = time.perf_counter() - started  # imports GE and builds its context: once per process
        times = {
            "without suite": best_of(REPEATS, lambda: plain.insert(data)),
            "with 5-expectation suite": best_of(REPEATS, lambda: checked.insert(data)),
            "validate() alone": best_of(REPEATS, lambda: checked.validate(data)),
            "Hopsworks' own client-side validation (floor)": best_of(REPEATS, lambda: sdk_validate(data, ge_suite)),
        }
    shutil.rmtree(home, ignore_errors=True)
    times["first validated insert in a process (GE import)"] = first
    return times


def install_cost() -> tuple[str, float]:
    """What the pin adds to site-packages (a scratch venv with and without it) and its warm-cache install time."""
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    with tempfile.TemporaryDirectory() as scratch:
        venv = Path(scratch) / "venv"
        subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True)
        python = str(venv / "bin" / "python")
        reqs = [line for line in (REPO / "requirements.txt").read_text().splitlines() if line and line[0] != "#"]
        base = [r for r in reqs if "great_expectations" not in r]
        subprocess.run([uv, "pip", "install", "-q", "--python", python, *base], check=True)
        site = next((venv / "lib").glob("python*/site-packages"))
        before = _kilobytes(site)
        started = time.perf_counter()
        subprocess.run([uv, "pip", "install", "-q", "--python", python, *base, GE_PIN], check=True)
        seconds = time.perf_counter() - started
        added = _kilobytes(site) - before
    return f"{added / 1024:.1f} MB", seconds


def _kilobytes(path: Path) -> int:
    return int(subprocess.run(["du", "-sk", str(path)], capture_output=True, text=True, check=True).stdout.split()[0])


def main() -> None:
    times = insert_times()
    base = times["without suite"]
    rows = [(name, f"{seconds * 1000:.1f}", f"{seconds / base:.2f}x") for name, seconds in times.items()]
    print(f"{ROWS:,}-row insert, best of {REPEATS} ({GE_PIN})\n")
    print(table(rows, ("insert", "ms", "vs without suite")))
    size, seconds = install_cost()
    print(f"\n{GE_PIN} adds {size} to site-packages; warm-cache `uv pip install` {seconds:.2f} s")


if __name__ == "__main__":
    main()
