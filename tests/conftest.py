"""Shared fixtures: every test gets its own store and dashboard folders."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def sml_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A fresh local backend: `SML_HOME` and `SML_DOCS` in a temporary folder, no Hopsworks key."""
    monkeypatch.setenv("SML_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SML_DOCS", str(tmp_path / "docs"))
    monkeypatch.setenv("SML_BACKEND", "local")
    monkeypatch.delenv("HOPSWORKS_API_KEY", raising=False)
    return {k: os.environ[k] for k in ("SML_HOME", "SML_DOCS", "SML_BACKEND")}


@pytest.fixture(scope="session")
def titanic_csv(tmp_path_factory) -> tuple[str, bool]:
    """The Titanic CSV to use and whether it is the real one (`SML_TITANIC_CSV`) or made here."""
    real = os.environ.get("SML_TITANIC_CSV")
    if real and Path(real).is_file():
        return real, True
    from tests.fake_titanic import write_fake_titanic

    return str(write_fake_titanic(tmp_path_factory.mktemp("titanic") / "titanic.csv")), False


@pytest.fixture
def project(sml_env: dict[str, str]):
    """A logged-in local project."""
    import serverless_ml

    return serverless_ml.login()


def child_env(**extra: str) -> dict[str, str]:
    """The environment for a child process: this one's, plus `extra`."""
    env = dict(os.environ)
    env.update(extra)
    return env


PYTHON = sys.executable


def local_env(mp: pytest.MonkeyPatch, root: Path) -> None:
    """Point the local backend at `root` (for module-scoped fixtures, which cannot use `sml_env`)."""
    mp.setenv("SML_HOME", str(root / "home"))
    mp.setenv("SML_DOCS", str(root / "docs"))
    mp.setenv("SML_BACKEND", "local")
    mp.delenv("HOPSWORKS_API_KEY", raising=False)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


#: The files whose runs take longest, longest first: `make test` schedules whole files on two workers
#: (`--dist loadfile`), and starting these first keeps one long file from running alone at the end.
LONGEST_FIRST = (
    "test_daily_e2e.py",
    "test_workflows.py",
    "test_apps_e2e.py",
    "test_apps_browser.py",
    "test_simulate.py",
    "test_titanic_notebooks.py",
    "test_iris_notebooks.py",
    "test_third_dataset.py",
    "test_kernels.py",
    "test_lab.py",
)
#: Files scheduled as one, on one worker, to share a session fixture built once: the apps' processes (`servers`).
SHARED_FILES = {"test_apps_e2e.py": "apps", "test_apps_browser.py": "apps"}


def pytest_configure(config: pytest.Config) -> None:
    """Each worker's share of the cores for OpenMP and BLAS (scikit-learn's own conftest does the same): two
    workers on two cores that each start a thread per core only make the threads wait on each other (the
    Titanic model search spent a quarter more CPU for the same wall time). Inherited by every process a test
    starts (notebook kernels, commands, apps); a value already set is kept."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    threads = str(max(1, len(os.sched_getaffinity(0)) // workers))
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, threads)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Collect the longest files first (a stable sort: every file keeps its own order)."""
    rank = {name: position for position, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """`--dist loadfile`, with the `SHARED_FILES` of a group scheduled as one file (pytest-xdist's own
    `loadgroup` cannot mark tests under pytest 9: it rewrites `item._nodeid`, which pytest 9 no longer reads)."""
    if config.getvalue("dist") != "loadfile":
        return None  # the other modes as pytest-xdist makes them
    from xdist.scheduler import LoadFileScheduling

    class SharedFileScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            file = super()._split_scope(nodeid)
            return SHARED_FILES.get(Path(file).name, file)

    return SharedFileScheduling(config, log)


@pytest.fixture(scope="session")
def servers(tmp_path_factory, titanic_csv):
    """Both models registered, the four apps' bundles built and started, each in its own process (once: the
    API and the browser tests run on one worker, `SHARED_FILES`)."""
    from tests.apps_fixtures import running_apps

    yield from running_apps(tmp_path_factory.mktemp("apps"), titanic_csv[0])
