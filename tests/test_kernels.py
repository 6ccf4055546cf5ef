"""Kernels forked from the zygote behave as kernels started the usual way (`serverless_ml/kernels.py`)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import papermill
import pytest

from serverless_ml import kernels
from serverless_ml.runner import kernel_options
from tests.conftest import PYTHON, child_env

pytestmark = pytest.mark.skipif(not kernels.enabled(), reason="kernels are forked on Linux only")

#: What a kernel reports about itself, as one JSON line.
REPORT = """
import json, os, signal, subprocess, sys, numpy, matplotlib
print(json.dumps({
    "backend": matplotlib.get_backend(), "dpi": matplotlib.rcParams["figure.dpi"],
    "ppid": os.getppid(), "session_leader": os.getsid(0) == os.getpid(), "cwd": os.getcwd(), "path": sys.path,
    "argv": sys.argv[1:2], "env": dict(os.environ), "random": int(numpy.random.randint(1 << 30)),
    "signals": [str(signal.getsignal(s)) for s in (signal.SIGINT, signal.SIGCHLD, signal.SIGTERM, signal.SIGPIPE)],
    "subprocess": subprocess.run(["true"]).returncode, "preloaded": "great_expectations" in sys.modules,
}))
"""
#: What differs on purpose: the parent's pid, and what the preloaded imports set (hsfs, scikit-learn).
SET_BY = {"JPY_PARENT_PID", "POLARS_SKIP_CPU_CHECK", "KMP_DUPLICATE_LIB_OK", "KMP_INIT_AT_FORK"}


def run(tmp_path: Path, *sources: str) -> list[str]:
    """Execute a notebook of `sources` (one cell each) as the runner does; each cell's printed text."""
    notebook = tmp_path / "probe.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources]), notebook)
    output = tmp_path / "probe_out.ipynb"
    papermill.execute_notebook(
        str(notebook), str(output), cwd=str(tmp_path), progress_bar=False, kernel_name="python3", **kernel_options()
    )
    cells = nbformat.read(output, as_version=4).cells
    return ["".join(o.get("text", "") for o in c.outputs) for c in cells]


def report(tmp_path: Path) -> dict:
    return json.loads(run(tmp_path, REPORT)[0])


def test_a_forked_kernel_is_the_kernel_jupyter_client_would_start(tmp_path, monkeypatch):
    monkeypatch.setenv("SML_TEST_SETTING", "first")
    (tmp_path / "a").mkdir()
    if kernels.Zygote._instance is None:
        report(tmp_path)  # the zygote starts (and imports matplotlib) in a folder with no matplotlibrc
    (tmp_path / "a" / "matplotlibrc").write_text("figure.dpi: 42\n")  # read from the kernel's folder
    forked = report(tmp_path / "a")
    zygote = kernels.Zygote._instance
    assert zygote is not None and forked["preloaded"], "the kernel should have come from the zygote"
    monkeypatch.setenv("SML_FORK_KERNELS", "0")
    usual = report(tmp_path / "a")
    assert not usual["preloaded"] and usual["ppid"] == os.getpid()
    assert forked["ppid"] == zygote.process.pid and forked["env"]["JPY_PARENT_PID"] == str(zygote.process.pid)
    for key in ("cwd", "path", "argv", "signals", "session_leader", "subprocess", "backend", "dpi"):
        assert forked[key] == usual[key], key
    assert forked["session_leader"] and forked["subprocess"] == 0
    assert forked["dpi"] == 42 and forked["backend"] == kernels.INLINE_BACKEND
    differ = {k for k in forked["env"].keys() | usual["env"].keys() if forked["env"].get(k) != usual["env"].get(k)}
    assert differ <= SET_BY | {"SML_FORK_KERNELS"}, differ
    assert forked["env"]["POLARS_SKIP_CPU_CHECK"] == "1", "what hsfs sets when imported, the kernel has too"


def test_the_same_zygote_serves_other_settings_and_folders(tmp_path, monkeypatch):
    monkeypatch.setenv("SML_TEST_SETTING", "first")
    (tmp_path / "a").mkdir()
    first = report(tmp_path / "a")
    zygote = kernels.Zygote._instance
    monkeypatch.setenv("SML_TEST_SETTING", "second")  # the project's settings are read when asked
    (tmp_path / "b").mkdir()
    second = report(tmp_path / "b")
    assert kernels.Zygote._instance is zygote
    assert (first["env"]["SML_TEST_SETTING"], second["env"]["SML_TEST_SETTING"]) == ("first", "second")
    assert (first["cwd"], second["cwd"]) == (str(tmp_path / "a"), str(tmp_path / "b"))
    assert first["random"] != second["random"], "each kernel seeds NumPy anew, as a new process does"


def test_switched_off_the_kernel_is_started_as_usual(tmp_path, monkeypatch):
    monkeypatch.setenv("SML_FORK_KERNELS", "0")
    seen = report(tmp_path)
    assert seen["ppid"] == os.getpid() and not seen["preloaded"]


def test_a_sandbox_without_pidfd_starts_kernels_as_usual(tmp_path, monkeypatch):
    def refused(pid: int, flags: int = 0) -> int:
        raise PermissionError(1, "Operation not permitted")  # as a seccomp profile without pidfd_open answers

    monkeypatch.setattr(os, "pidfd_open", refused)
    kernels._pidfd_works.cache_clear()
    try:
        assert not kernels.enabled()
        seen = report(tmp_path)
        assert seen["ppid"] == os.getpid() and not seen["preloaded"]
    finally:
        monkeypatch.undo()
        kernels._pidfd_works.cache_clear()


def test_what_a_notebook_leaves_unclosed_is_still_written(tmp_path):
    # the forked kernel ends without interpreter teardown: IPython's exit handler must release the file
    run(tmp_path, "handle = open('left_open.txt', 'w')\nhandle.write('written' * 1000)")
    assert (tmp_path / "left_open.txt").read_text() == "written" * 1000


@pytest.mark.parametrize(("stop", "signum"), [("terminate", signal.SIGTERM), ("kill", signal.SIGKILL)])
def test_a_stopped_kernel_is_seen_as_dead(tmp_path, stop, signum):
    # (a kernel ending by itself is what every notebook run waits for at its shutdown)
    zygote = kernels.Zygote.get(dict(os.environ))
    argv = [PYTHON, "-m", "ipykernel_launcher", "-f", str(tmp_path / "connection.json")]
    running = kernels.ForkedProcess(zygote.fork(argv, dict(os.environ), str(tmp_path)))
    assert running.poll() is None
    with pytest.raises(subprocess.TimeoutExpired):
        running.wait(timeout=0.5)
    getattr(running, stop)()
    assert running.wait(timeout=30) == -signum
    assert running.poll() == -signum
    with pytest.raises(ProcessLookupError):
        os.kill(running.pid, 0)


def test_kernels_end_with_the_process_that_started_them(tmp_path):
    """No orphans: the runner dies, its zygote sees stdin close, the kernel sees its parent go."""
    script = tmp_path / "starter.py"
    script.write_text(
        "import asyncio, os, sys\n"
        "from serverless_ml.runner import IpcKernelManager\n"
        "async def main():\n"
        "    km = IpcKernelManager(kernel_name='python3')\n"
        "    await km.start_kernel()\n"
        "    print(km.provisioner.pid, flush=True)\n"
        "    await asyncio.sleep(600)\n"
        "asyncio.run(main())\n"
    )
    starter = subprocess.Popen([PYTHON, str(script)], stdout=subprocess.PIPE, text=True, env=child_env())
    kernel = int(starter.stdout.readline())
    os.kill(kernel, 0)  # running
    starter.kill()
    starter.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(kernel, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.kill(kernel, signal.SIGKILL)
    pytest.fail(f"kernel {kernel} outlived the process that started it")


@pytest.mark.parametrize(
    ("cmd", "forkable"),
    [
        ([sys.executable, "-m", "ipykernel_launcher", "-f", "c.json"], True),
        ([sys.executable, "-m", "ipykernel_launcher", "-f", "c.json", "--HistoryManager.hist_file=:memory:"], True),
        (["/usr/bin/python3", "-m", "ipykernel_launcher", "-f", "c.json"], sys.executable == "/usr/bin/python3"),
        ([sys.executable, "-m", "other_kernel", "-f", "c.json"], False),
        (["R", "--slave", "-e", "IRkernel::main()", "--args", "c.json"], False),
    ],
)  # fmt: skip
def test_only_this_python_s_ipykernel_is_forked(cmd, forkable):
    assert kernels.is_python_kernel(cmd) is forkable


def test_another_environment_gets_another_zygote(tmp_path, monkeypatch):
    # last in the file: the zygote it leaves behind saw a variable the next kernel's environment lacks
    report(tmp_path)
    before = kernels.Zygote._instance
    monkeypatch.setenv("SOME_LIBRARY_OPTION", "1")  # a preloaded module might have read it at import
    monkeypatch.delenv("POLARS_SKIP_CPU_CHECK", raising=False)  # as in a command that has not imported hsfs
    seen = report(tmp_path)
    zygote = kernels.Zygote._instance
    assert zygote is not before and before.process.poll() is not None
    assert seen["ppid"] == zygote.process.pid
    # the command imports hsfs too (the Hopsworks backend does): what that import sets is what the
    # zygote's own imports set, so the same zygote serves the next kernel
    assert zygote.imports_set["POLARS_SKIP_CPU_CHECK"] == "1"  # hsfs/__init__.py (scikit-learn sets two more)
    monkeypatch.setenv("POLARS_SKIP_CPU_CHECK", "1")
    assert report(tmp_path)["ppid"] == zygote.process.pid and kernels.Zygote._instance is zygote
    assert not zygote.serves({**os.environ, "POLARS_SKIP_CPU_CHECK": "0"})  # another value: another environment


def test_the_zygote_imports_matplotlib_for_inline_figures_and_not_ipykernel():
    """ipykernel reads variables each kernel sets when it is imported (`JPY_*`); matplotlib reads `MPLBACKEND`,
    which the zygote sets first to what ipykernel sets in each kernel, so figures still show in the notebook."""
    probe = (
        "import sys; from serverless_ml import kernels; kernels._preload(); import matplotlib; "
        "print(sorted(m for m in ('ipykernel', 'matplotlib', 'serverless_ml.monitoring') if m in sys.modules), "
        "matplotlib.get_backend())"
    )
    env = child_env()
    env.pop("MPLBACKEND", None)
    done = subprocess.run([PYTHON, "-c", probe], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["['matplotlib',", "'serverless_ml.monitoring']", kernels.INLINE_BACKEND]
    assert "serverless_ml.store" in kernels.PRELOAD  # the package's own modules are preloaded
