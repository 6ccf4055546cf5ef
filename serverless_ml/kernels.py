"""Kernels for the pipeline notebooks, forked from a process that has imported their libraries once.

Every pipeline notebook imports Great Expectations (its suites), the Hopsworks SDK's classes (its
reports, the model schema), pandas and scikit-learn: a fresh kernel spends about 6 s of CPU on
those imports before its first line of work, most of a daily run. A *zygote* process imports them
once; each kernel is then `os.fork()`ed from it and runs `ipykernel_launcher` exactly as
`python -m ipykernel_launcher -f <connection file>` would, in a new session, with the environment
and working folder jupyter_client asked for. Every kernel is still a new process: nothing one
notebook does reaches the next, and the notebook's own `import` lines still run (and find the
module loaded). Linux only (fork is unsafe with macOS's system frameworks and absent on Windows);
elsewhere, or with `SML_FORK_KERNELS=0`, or if the zygote cannot start, kernels start as usual.

This is the mechanism of `multiprocessing`'s "forkserver" start method, applied to Jupyter kernels.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import gc
import json
import os
import select
import signal
import subprocess
import sys
import threading
from typing import Any, NoReturn

#: What the zygote imports: the slow imports every pipeline kernel would otherwise repeat, this package's
#: modules among them (0.4 s a kernel; none reads a setting or starts anything when imported). Not
#: ipykernel: it reads jupyter_client's `JPY_*` variables, set per kernel, when it is imported. matplotlib,
#: seaborn and dataframe-image (the figures of the training and inference lessons, 0.45 s a kernel) read
#: two things when imported: `MPLBACKEND`, which the zygote sets first to the inline backend ipykernel
#: would set in each kernel (`_preload`), and a `matplotlibrc` in the working folder, which a kernel reads
#: again in its own folder (`_read_local_matplotlibrc`).
PRELOAD = (
    "pandas",
    "sklearn.pipeline",
    "sklearn.ensemble",
    "sklearn.linear_model",
    "sklearn.neighbors",
    "great_expectations",
    "hsfs.expectation_suite",
    "hsfs.validation_report",
    "hsfs.ge_validation_result",
    "hsml.model_schema",
    "hsml.schema",
    "serverless_ml.store",
    "serverless_ml.data_validation",
    "serverless_ml.inference",
    "serverless_ml.iris",
    "serverless_ml.model_files",
    "serverless_ml.titanic",
    "serverless_ml.training",
    "matplotlib.pyplot",
    "seaborn",
    "dataframe_image",
    "serverless_ml.monitoring",
)
#: The matplotlib backend ipykernel chooses for a kernel's figures (shown in the notebook).
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
#: How long to wait for the zygote's imports before starting kernels the usual way.
READY_TIMEOUT = 180.0
KERNEL_MODULE = "ipykernel_launcher"


def enabled() -> bool:
    """Whether kernels may be forked here: Linux with pidfd (5.3+), and not switched off."""
    if os.environ.get("SML_FORK_KERNELS", "1").strip() in ("0", "false", "no"):
        return False
    return _pidfd_works()


@functools.cache
def _pidfd_works() -> bool:
    """Whether this system lets a process watch another through a pidfd (some container sandboxes refuse it)."""
    if sys.platform != "linux" or not (hasattr(os, "pidfd_open") and hasattr(signal, "pidfd_send_signal")):
        return False
    try:
        os.close(os.pidfd_open(os.getpid()))
    except OSError:
        return False
    return True


def is_python_kernel(cmd: list[str]) -> bool:
    """Whether `cmd` starts ipykernel with this interpreter (the only command a zygote can stand in for).

    nbclient adds options after the connection file (`--HistoryManager.hist_file=:memory:`): kept.
    """
    return (
        len(cmd) >= 5
        and cmd[0] == sys.executable  # as jupyter_client writes it for the native kernel, not another venv
        and cmd[1:3] == ["-m", KERNEL_MODULE]
        and cmd[3] == "-f"
    )


class Zygote:
    """The process kernels are forked from; one per process that runs notebooks, started on first use."""

    _instance: Zygote | None = None
    _lock = threading.Lock()

    def __init__(self) -> None:
        read_end, write_end = os.pipe()
        self._replies = os.fdopen(read_end, "r")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "serverless_ml.kernels", str(write_end)],
            stdin=subprocess.PIPE,
            pass_fds=(write_end,),
            text=True,
            start_new_session=True,  # a Ctrl-C in the terminal reaches the command, not the zygote
        )
        os.close(write_end)
        self._ready: bool | None = None
        self.environment = _imported_environment(os.environ)
        #: The variables the zygote's imports set (hsfs sets one), as it reports them once ready.
        self.imports_set: dict[str, str] = {}

    @classmethod
    def get(cls, env: dict[str, str]) -> Zygote | None:
        """The zygote for a kernel with environment `env`, started now if needed; None if it cannot start.

        A zygote whose imports saw a different environment is replaced (the modules may have read it),
        except for the variables in `PER_KERNEL` and those its own imports set: a command that has made
        the same imports (the Hopsworks backend imports hsfs) passes on what they set, as the zygote's
        kernels have it too. Kernels end with their zygote (ipykernel's parent poller), so a
        replacement must come between notebooks: the runner runs one at a time.
        """
        with cls._lock:
            zygote = cls._instance
            if zygote is not None and zygote.wait_ready() and not zygote.serves(env):
                zygote.stop()
                zygote = None
            if zygote is None:
                zygote = cls._instance = cls()
            if not zygote.wait_ready():
                return None
            return zygote

    def stop(self) -> None:
        """End the zygote: at once if it is still importing, else by closing its stdin. Kernels forked
        from it end within a second, as kernels do when their runner exits."""
        if self.process.poll() is None:
            if not self._ready:
                self.process.kill()
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._replies.close()

    @classmethod
    def stop_all(cls) -> None:
        with cls._lock:
            if cls._instance is not None:
                cls._instance.stop()
                cls._instance = None

    def serves(self, env: dict[str, str]) -> bool:
        """Whether a kernel with `env` may be forked from this zygote: its imports saw the same environment."""

        def seen(environment: dict[str, str]) -> dict[str, str]:
            return {k: v for k, v in environment.items() if self.imports_set.get(k) != v}

        return seen(self.environment) == seen(_imported_environment(env))

    def wait_ready(self) -> bool:
        if self._ready is None:
            line = self._replies.readline() if _readable(self._replies.fileno(), READY_TIMEOUT) else ""
            word, _, imports_set = line.partition(" ")
            self._ready = word.strip() == "ready"
            if self._ready:
                self.imports_set = json.loads(imports_set or "{}")
            else:
                print("serverless_ml: kernels start the usual way (the kernel zygote did not start)", file=sys.stderr)
                self.process.kill()
        return self._ready

    def fork(self, argv: list[str], env: dict[str, str], cwd: str) -> int | None:
        """A new kernel process running `argv` (an ipykernel command) with `env` in `cwd`: its pid, or
        None if the zygote has gone (it is then forgotten, and the next kernel starts a new one)."""
        with self._lock:
            try:
                self.process.stdin.write(json.dumps({"argv": argv, "env": env, "cwd": cwd}) + "\n")
                self.process.stdin.flush()
                return json.loads(self._replies.readline())["pid"]
            except (OSError, ValueError, KeyError):
                if Zygote._instance is self:
                    Zygote._instance = None
                self.process.poll()  # reap it
                return None


def _readable(fd: int, timeout: float | None) -> bool:
    """Whether `fd` becomes readable within `timeout` seconds (poll: any descriptor number, unlike select)."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(None if timeout is None else timeout * 1000))


class ForkedProcess:
    """The part of `subprocess.Popen` that jupyter_client's `LocalProvisioner` uses, for a forked kernel.

    The kernel is the zygote's child, not ours, so it is watched through a pidfd. Its exit status is
    not known here (the zygote reaps it): `returncode` is 0 once it has exited, or the signal we sent.
    """

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._signalled = 0
        self._fd: int | None = os.pidfd_open(pid)

    def poll(self) -> int | None:
        return self.wait(0) if self.returncode is None else self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        if self.returncode is None:
            if not _readable(self._fd, timeout):
                if timeout == 0:
                    return None
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            os.close(self._fd)
            self._fd, self.returncode = None, -self._signalled
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            try:
                signal.pidfd_send_signal(self._fd, signum)
                self._signalled = signum if signum in (signal.SIGTERM, signal.SIGKILL) else self._signalled
            except ProcessLookupError:
                pass

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


#: Variables no preloaded module reads at import, that change between kernels of one process:
#: jupyter_client's, the project's settings (read when asked, `settings.py`) and pytest's test name.
PER_KERNEL = ("JPY_", "SML_", "PYTEST_CURRENT_TEST")


def _imported_environment(env: Any) -> dict[str, str]:
    """The part of `env` that the preloaded modules may read when they are imported."""
    return {k: v for k, v in env.items() if not k.startswith(PER_KERNEL)}


def launch(cmd: list[str], env: dict[str, str] | None, cwd: Any, independent: bool = False) -> ForkedProcess | None:
    """A kernel forked from the zygote for `cmd`, or None to start it the usual way.

    As `jupyter_client.launcher.launch_kernel` does on POSIX: the environment as given, with
    `JPY_PARENT_PID` naming the kernel's parent (the zygote) unless the kernel is independent.
    """
    if not (enabled() and is_python_kernel(cmd)):
        return None
    env = dict(os.environ if env is None else env)
    zygote = Zygote.get(env)
    if zygote is None:
        return None
    if not independent:
        env["JPY_PARENT_PID"] = str(zygote.process.pid)  # ipykernel exits when its parent does
    pid = zygote.fork(cmd, env, str(cwd or os.getcwd()))
    return None if pid is None else ForkedProcess(pid)


def start() -> None:
    """Start the zygote's imports now, to overlap with other work (the CLI calls it before its steps)."""
    if enabled():
        with Zygote._lock:
            if Zygote._instance is None:
                Zygote._instance = Zygote()


atexit.register(Zygote.stop_all)


# --- the zygote itself (`python -m serverless_ml.kernels REPLY_FD`) -------------------------------------


def _preload() -> dict[str, str]:
    """Import `PRELOAD`; return the environment variables the imports set (hsfs sets one)."""
    import importlib
    import logging
    import warnings

    # as serverless_ml.store.validation does before it imports Great Expectations
    logging.getLogger("great_expectations._docs_decorators").setLevel(logging.WARNING)
    logging.getLogger("great_expectations.expectations.registry").setLevel(logging.WARNING)
    before = dict(os.environ)
    # what ipykernel sets in every kernel where it is not set (IPKernelApp.init_pylab, kernelapp.py),
    # here before matplotlib reads it on import: each kernel then has it as if it had set it itself
    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # what an import warns, a kernel importing it itself would show
        for name in PRELOAD:
            with contextlib.suppress(ImportError):
                importlib.import_module(name)
    return {k: v for k, v in os.environ.items() if before.get(k) != v}


def _become_kernel(request: dict, replies: Any, imported_env: dict[str, str]) -> NoReturn:
    """In the forked child: become `python -m ipykernel_launcher -f FILE` as a new process would be."""
    import runpy

    os.setsid()  # jupyter_client starts kernels in a new session (launcher.py, start_new_session)
    replies.close()
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the zygote ignores it; a notebook's subprocesses need it
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.environ.clear()
    os.environ.update(request["env"])
    os.environ.update(imported_env)  # as if the kernel had run those imports itself
    os.chdir(request["cwd"])
    sys.path[0] = request["cwd"]  # what `python -m` puts first
    _read_local_matplotlibrc()
    if "numpy.random" in sys.modules:  # a new process seeds NumPy's global generator from the OS
        sys.modules["numpy.random"].seed()
    sys.argv = [KERNEL_MODULE, *request["argv"][3:]]
    code = 0
    try:
        runpy.run_module(KERNEL_MODULE, run_name="__main__", alter_sys=True)
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    end_process(code)  # the exit handlers run: IPython's releases the notebook's variables and closes its history


def _read_local_matplotlibrc() -> None:
    """Apply a `matplotlibrc` in the kernel's working folder, which matplotlib reads first when it is
    imported (`matplotlib_fname`): imported in the zygote, it looked in the zygote's folder instead. As
    `matplotlib.rc_file` loads one, keeping the backend (the environment's, read on import, wins)."""
    if "matplotlib" in sys.modules and os.path.isfile("matplotlibrc"):
        import matplotlib

        matplotlib.rc_file("matplotlibrc")
        matplotlib.rcParamsOrig = matplotlib.rcParams.copy()  # what matplotlib.rc_file_defaults() restores


def end_process(code: int) -> NoReturn:
    """Exit with `code` as the interpreter would, without tearing down its modules one by one.

    As multiprocessing's forked children end: non-daemon threads finish and the exit handlers run, as at
    any exit, then the process ends. What is skipped is only the freeing of every loaded module's objects
    (about a second for the four thousand modules a pipeline process has loaded), which the operating
    system does at once. Store connections are closed after each operation (store/database.py), so no
    file is left half-written. Output that cannot be written (a full disk, a closed pipe) ends the process
    with status 120, as the interpreter's own exit does, so it never passes for a success.
    """
    threading._shutdown()  # first, as at interpreter exit
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError) as error:  # ValueError: the stream was closed
            with contextlib.suppress(OSError):
                os.write(2, f"serverless_ml: could not write {stream.name}: {error}\n".encode())
            code = code or 120
    os._exit(code)


def main(reply_fd: int) -> int:
    imported_env = _preload()
    # What the imports made lives as long as every kernel: out of the collector's sight (as CPython's docs
    # advise before fork), so a kernel's collections, IPython's at its exit among them, walk only its own objects.
    gc.freeze()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # kernels are reaped as they exit: no zombies
    replies = os.fdopen(reply_fd, "w")
    replies.write(f"ready {json.dumps(imported_env)}\n")
    replies.flush()
    for line in sys.stdin:  # one request per line; the parent closing stdin ends the zygote
        request = json.loads(line)
        for stream in (sys.stdout, sys.stderr):
            stream.flush()  # nothing buffered here may be written again by the child
        pid = os.fork()
        if pid == 0:
            _become_kernel(request, replies, imported_env)
        replies.write(json.dumps({"pid": pid}) + "\n")
        replies.flush()
    return 0


if __name__ == "__main__":
    end_process(main(int(sys.argv[1])))  # the parent waits for this exit: no second of teardown
