"""The test suite's wall time beside a floor measured in the same run, so runs on a slower or faster day compare.

These machines' speed changes by a factor of two from one session to the next (the same code: 4 min 23 s on
one, 9 min 0 s on the next), so a wall time alone says little. The floor is `kernels.py`'s: a one-cell
notebook executed by papermill as it comes (median of 12), timed before and after the suite; it is what the
suite does hundreds of times (start a Python process, import, talk to a kernel). The suite is
`python -m pytest` with the arguments given (none: `make test`'s, two workers). Printed: both floors, the
suite's wall time, how busy both cores were (`/proc/stat`), and the suite in floor units: its wall time over
the mean floor.

    .venv/bin/python benchmarks/suite.py            # the whole suite, as make test runs it
    .venv/bin/python benchmarks/suite.py -m "not slow"
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import table
from kernels import RUNS, median_run, notebook

REPO = Path(__file__).resolve().parent.parent


def busy_and_total() -> tuple[int, int]:
    """Jiffies of all cores since boot: (busy, all), from the first line of /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle and iowait
    return sum(values) - idle, sum(values)


def floor(folder: Path) -> float:
    return median_run(notebook(folder), folder, {})


def main(arguments: list[str]) -> int:
    folder = Path(tempfile.mkdtemp(prefix="sml-bench-suite-"))
    before = floor(folder)
    busy0, total0 = busy_and_total()
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *arguments], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    wall = time.perf_counter() - started
    busy1, total1 = busy_and_total()
    after = floor(folder)
    summary = next((line for line in reversed(result.stdout.splitlines()) if " in " in line), "no summary")
    mean = (before + after) / 2
    rows = [
        (f"floor before: papermill as it comes, one-cell notebook (median of {RUNS})", f"{before:.3f}", "1.00x"),
        ("floor after", f"{after:.3f}", f"{after / before:.2f}x"),
        (f"pytest {' '.join(arguments) or '(make test)'}: {summary.strip('= ')}", f"{wall:.1f}", f"{wall / mean:.0f}x"),
    ]
    print(table(rows, ("run", "wall (s)", "vs floor")))
    print(f"Both cores busy {100 * (busy1 - busy0) / max(total1 - total0, 1):.0f}% of the suite's time.")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
