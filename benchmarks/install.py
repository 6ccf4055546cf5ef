"""How long a learner waits for the install: uv, as `make install` does it, beside plain pip.

Each installs both requirement files (`requirements.txt`, `requirements-dev.txt`) into a new venv of
its own under a temporary folder. uv: `python -m venv`, the uv pinned in requirements-dev.txt
installed into the venv by pip, then `uv pip install -r requirements.txt -r requirements-dev.txt`
(with `--compile-bytecode` where PYTHONDONTWRITEBYTECODE is set), first with `--offline` and, if
that fails, again without it, as the Makefile does. The same without `--offline` (uv asking the
index about every cached file) is timed beside it. pip: `python -m venv`, then
`pip install -r requirements.txt -r requirements-dev.txt`. Each runs once untimed first so that the
caches are warm (uv's and pip's), then the timed rounds rotate which goes first.
Run: `python benchmarks/install.py [--rounds N]` (or `make bench`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import table

REPO = Path(__file__).resolve().parent.parent
REQUIREMENTS = ["-r", "requirements.txt", "-r", "requirements-dev.txt"]
UV_PIN = next(line for line in (REPO / "requirements-dev.txt").read_text().splitlines() if line.startswith("uv=="))
#: As the Makefile: uv compiles the .pyc files where Python may not write them itself.
COMPILE = ["--compile-bytecode"] if os.environ.get("PYTHONDONTWRITEBYTECODE") else []
STEPS = ("create the venv", "pip install the pinned uv", "install both requirement files")


def _timed(command: list[str]) -> float:
    """Seconds `command` took; its output is kept only to explain a failure."""
    started = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
    return time.perf_counter() - started


def _with_uv(venv: Path, cache_first: bool) -> dict[str, float]:
    """A venv, the pinned uv put in it by pip, then uv installs both files."""
    uv = str(venv / "bin" / "uv")
    python = str(venv / "bin" / "python")
    command = [uv, "pip", "install", "--quiet", *COMPILE, "--python", python, "--excludes", "requirements-excludes.txt",
               *REQUIREMENTS]  # fmt: skip
    steps = {
        STEPS[0]: _timed([sys.executable, "-m", "venv", str(venv)]),
        STEPS[1]: _timed([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", UV_PIN]),
    }
    started = time.perf_counter()
    if not (cache_first and subprocess.run([*command, "--offline"], cwd=REPO, capture_output=True).returncode == 0):
        _timed(command)
    steps[STEPS[2]] = time.perf_counter() - started
    return steps


def with_uv(venv: Path) -> dict[str, float]:
    """`make install`'s way: uv from its cache alone (`--offline`), from the index if that fails."""
    return _with_uv(venv, cache_first=True)


def with_uv_asking_the_index(venv: Path) -> dict[str, float]:
    """uv without `--offline`: it asks the index whether each cached file is still current."""
    return _with_uv(venv, cache_first=False)


def with_pip(venv: Path) -> dict[str, float]:
    """The fallback: a venv, then pip installs both files."""
    python = str(venv / "bin" / "python")
    return {
        STEPS[0]: _timed([sys.executable, "-m", "venv", str(venv)]),
        STEPS[2]: _timed([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *REQUIREMENTS]),
    }


def _pip(venv: Path, *args: str) -> str:
    """The output of the venv's own pip."""
    command = [str(venv / "bin" / "python"), "-m", "pip", *args, "--disable-pip-version-check"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def _installed(venv: Path) -> set[str]:
    """`name==version` of what the venv holds, without the installers themselves."""
    listed = _pip(venv, "list", "--format=freeze").lower().split()
    return {line for line in listed if line.split("==")[0] not in {"pip", "setuptools", "uv"}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1, help="timed rounds after the untimed warm-up (default 1)")
    rounds = parser.parse_args().rounds
    installers: dict[str, Callable[[Path], dict[str, float]]] = {
        "uv": with_uv, "uv, asking the index": with_uv_asking_the_index, "pip": with_pip}  # fmt: skip
    times: dict[str, list[dict[str, float]]] = {name: [] for name in installers}
    warm: dict[str, float] = {}
    packages: dict[str, set[str]] = {}
    with tempfile.TemporaryDirectory(prefix="bench_install_") as scratch:
        for round_ in range(rounds + 1):
            names = list(installers)
            order = names[round_ % len(names) :] + names[: round_ % len(names)]
            for name in order:
                venv = Path(scratch) / f"{name}_{round_}"
                measured = installers[name](venv)
                if round_ == 0:  # the warm-up: fills the cache, not timed in the table
                    warm[name] = sum(measured.values())
                    packages[name] = _installed(venv)
                    pip_version = _pip(venv, "--version").split()[1]
                else:
                    times[name].append(measured)
                shutil.rmtree(venv)

    best = {name: min(runs, key=lambda steps: sum(steps.values())) for name, runs in times.items()}
    total = {name: sum(steps.values()) for name, steps in best.items()}
    rows = [
        (step, *(f"{best[name][step]:.1f}" if step in best[name] else "-" for name in installers)) for step in STEPS
    ]
    rows.append(("total", *(f"{total[name]:.1f}" for name in installers)))
    install = STEPS[2]
    differ = set.union(*packages.values()) - set.intersection(*packages.values())
    same = "the same" if not differ else f"DIFFERENT ({differ})"
    print(f"both requirement files into a new venv, {UV_PIN} vs pip {pip_version} (the venv's own), "
          f"warm caches, best of {rounds}\n")  # fmt: skip
    print(table(rows, ("step", "uv: make install (s)", "uv, asking the index (s)", "pip (s)")))
    for name in ("uv, asking the index", "pip"):
        print(f"\n{name} / uv: {total[name] / total['uv']:.1f}x in total, "
              f"{best[name][install] / best['uv'][install]:.1f}x for the install step alone", end="")  # fmt: skip
    warmups = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in warm.items())
    print(f"\nuntimed warm-up runs (cache as found): {warmups}; {len(packages['uv'])} packages, {same} with all")
    for name, runs in times.items():
        print(f"timed runs, {name}: {', '.join(f'{sum(steps.values()):.1f}' for steps in runs)} s")


if __name__ == "__main__":
    main()
