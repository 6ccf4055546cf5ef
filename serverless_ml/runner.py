"""Running the pipeline notebooks with papermill: the notebooks are the pipelines."""

from __future__ import annotations

import functools
import os
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path
from queue import Empty
from typing import Any

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from traitlets import DottedObjectName, Type, default

from serverless_ml.errors import ServerlessMLError
from serverless_ml.files import write_atomic
from serverless_ml.settings import REPO_ROOT

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
        shown = notebook.relative_to(REPO_ROOT) if notebook.is_relative_to(REPO_ROOT) else notebook
        super().__init__(f"{shown} failed in {where}: {ename}: {evalue} (executed copy: {output})")


def kernel_options() -> dict[str, Any]:
    """papermill's options for the runner's kernels (forked from the zygote where they can be): talk to the
    kernel over local sockets where the system has them, private and without a warning. For any notebook
    run as `run_notebook` runs the pipelines (the tests' and benchmarks' own notebooks too)."""
    if os.name != "posix":
        return {"kernel_manager_class": "serverless_ml.runner.QuietShutdownKernelManager"}
    return {"kernel_manager_class": "serverless_ml.runner.IpcKernelManager"}


class ReadyKernelClient(AsyncKernelClient):
    """jupyter_client's kernel client, ready as soon as the kernel is.

    `KernelClient._async_wait_for_ready` (jupyter_client/client.py) ends every start by waiting until no
    IOPub message has come for 0.2 s: 0.2 s idle per notebook, a third of a short notebook's run. Here the
    wait is the same (a `kernel_info_reply`, then one IOPub message to show IOPub is connected) and the
    drain takes only what has already arrived. What comes later is a reply to `kernel_info`, which
    nbclient passes over: it reads only the messages whose parent is the cell it executes.
    """

    async def wait_for_ready(self, timeout: float | None = None) -> None:  # type: ignore[override]
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                pass
            else:
                if reply["msg_type"] == "kernel_info_reply":
                    try:
                        await self.iopub_channel.get_msg(timeout=0.2)
                    except Empty:
                        pass  # IOPub not connected yet: ask again
                    else:
                        self._handle_kernel_info_reply(reply)
                        break
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")
        while True:
            try:
                await self.iopub_channel.get_msg(timeout=0)
            except Empty:
                return


class QuietShutdownKernelManager(AsyncKernelManager):
    """A kernel manager that shuts a finished kernel down without interrupting it first.

    jupyter_client sends SIGINT before every shutdown request, in case a cell is still running.
    Papermill shuts down only after the last cell has replied, so there is nothing to interrupt:
    the signal lands in ipykernel's message handler instead, which logs
    `KeyboardInterrupt caught in kernel.` on every successful run. The shutdown request alone stops
    an idle kernel, and jupyter_client still kills one that does not stop in time.

    That time is shorter here. About one kernel in eight (ipykernel 7.4, forked or not) never ends by
    itself: its exit waits for the control thread, which still flushes through the IOPub thread the
    exit has just stopped. jupyter_client then waits half of `shutdown_wait_time` before SIGTERM (2.5 s
    by default). By then papermill has every output and the notebook's writes are committed; what is
    left is the kernel's own exit handlers (its history, in memory), which take 0.3 s when they run.
    """

    client_class = DottedObjectName("serverless_ml.runner.ReadyKernelClient")
    client_factory = Type(klass=AsyncKernelClient, default_value=ReadyKernelClient)

    @default("shutdown_wait_time")
    def _finished_kernel_wait(self) -> float:
        return 2.0  # 1 s to end after the shutdown request, then SIGTERM, then SIGKILL 1 s later

    async def _async_interrupt_kernel(self) -> None:
        if self.shutting_down:
            return
        await super()._async_interrupt_kernel()

    async def _async_pre_start_kernel(self, **kw: Any) -> tuple[list[str], dict[str, Any]]:
        # the provisioner jupyter_client would pick (local-provisioner), able to fork from the zygote
        if self.provisioner is None and self.kernel_spec.metadata.get("kernel_provisioner") is None:
            self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
            self.provisioner = ForkingProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)
        return await super()._async_pre_start_kernel(**kw)


class ForkingProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, with the kernel forked from a warm zygote where it can be (`kernels.py`)."""

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
        from serverless_ml import kernels

        process = kernels.launch(cmd, kwargs.get("env"), kwargs.get("cwd"), kwargs.get("independent", False))
        if process is None:
            return await super().launch_kernel(cmd, **kwargs)
        self.process, self.pid, self.pgid = process, process.pid, process.pid  # a new session: its own group
        self.cwd = kwargs.get("cwd", Path.cwd())
        return self.connection_info


class IpcKernelManager(QuietShutdownKernelManager):
    """A kernel manager that uses local (IPC) sockets instead of TCP.

    Each kernel gets socket paths of its own in the temporary folder: jupyter_client's default
    (`kernel-ipc-N` in the working folder) lets two runs started at once pick the same sockets.
    """

    transport = "ipc"

    @default("ip")
    def _unique_ip(self) -> str:
        return str(Path(tempfile.gettempdir()) / f"sml-kernel-{uuid.uuid4().hex[:16]}")


def notebook_path(dataset: str, stage: str) -> Path:
    """The notebook of a registered dataset's stage (`feature`, `training`, `inference`, `eda`)."""
    from serverless_ml import datasets

    return datasets.get(dataset).notebook_dir / f"{STAGES[stage]}.ipynb"


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
            **kernel_options(),
        )
    except PapermillExecutionError as error:
        raise NotebookError(source, _failed_cell(output), error.ename, error.evalue, output) from None
    return output


def _failed_cell(output: Path) -> int | None:
    """The number the executed page shows as `In [N]` beside the cell that raised: its execution count.

    Papermill's injected parameters cell runs too, and empty cells do not, so it is not the cell's
    position in the source notebook.
    """
    import nbformat

    try:
        notebook = nbformat.read(output, as_version=4)
    except (OSError, ValueError):
        return None
    for cell in notebook.cells:
        if cell.cell_type == "code" and any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return cell.get("execution_count")
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
            from tqdm import tqdm

            # through tqdm, so the line lands above a progress bar instead of inside it
            tqdm.write(f"{label:<48} {status:>6} {time.perf_counter() - started:7.1f} s", file=sys.stdout)

    return _timer()


#: A small inline icon (no request to anywhere) for the dashboard and the run pages.
FAVICON = (
    '<link rel="icon" href="data:image/svg+xml,%3Csvg xmlns=%27http://www.w3.org/2000/svg%27 viewBox=%270 0 16 16%27%3E'
    "%3Crect width=%2716%27 height=%2716%27 rx=%273%27 fill=%27%232b6cb0%27/%3E%3Cpath d=%27M3 11l3-4 3 3 4-6%27 "
    'stroke=%27white%27 stroke-width=%271.8%27 fill=%27none%27/%3E%3C/svg%3E">'
)
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.IGNORECASE | re.DOTALL)


@functools.cache
def _html_exporter() -> Any:
    """One exporter per process, as `jupyter nbconvert` uses one for all its notebooks: its templates are
    compiled once (0.13 s a page otherwise)."""
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="lab")


def render_html(executed: Path, target: Path) -> Path:
    """Render an executed notebook to a self-contained HTML page (no CDN scripts) for the site."""
    import nbformat

    notebook = nbformat.read(executed, as_version=4)
    # the page title: the notebook's first heading ("Iris 3: the batch inference pipeline"), not "Notebook"
    heading = next((c.source.lstrip("# ").splitlines()[0] for c in notebook.cells if c.cell_type == "markdown"), "")
    body, _ = _html_exporter().from_notebook_node(notebook, resources={"metadata": {"name": heading or executed.stem}})
    body = body.replace("<head>", f"<head>\n{FAVICON}", 1)
    # drop the scripts nbconvert loads from CDNs (MathJax, require.js, mermaid): pages work offline
    body = _SCRIPT.sub(lambda m: "" if "https://cdn" in m.group(0) else m.group(0), body)
    return write_atomic(target, lambda tmp: tmp.write_text(body, encoding="utf-8"))
