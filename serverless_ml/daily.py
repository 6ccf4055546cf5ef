"""The daily run's wiring: which notebook runs after which, for each registered dataset.

Every step is a papermill run of a pipeline notebook (`runner.py`); this module only decides
which ones run, and records each dataset's last run for the dashboard.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from serverless_ml.errors import LoginError, ParameterError
from serverless_ml.files import write_atomic
from serverless_ml.runner import NotebookError, render_html, run_notebook, timed
from serverless_ml.samples import DAILY_START
from serverless_ml.settings import get_settings


def check_date(run_date: date, option: str) -> date:
    """`run_date` if a daily sample may carry it: from `DAILY_START` to tomorrow (UTC).

    An earlier date would slip a synthetic sample among the real ones the model trains on; a later
    one would stretch the monitoring charts into the future. Neither can be undone by a re-run.
    """
    first, last = DAILY_START.date(), datetime.now(UTC).date() + timedelta(days=1)
    if not first <= run_date <= last:
        raise ParameterError(f"{option} {run_date} is outside the daily samples' dates: expected {first} to {last}")
    return run_date


def check_store() -> None:
    """Say which backend the command uses, then open its store once before any step: one that cannot be opened
    stops the command here.

    Raises `StoreError` (locked, unreadable, corrupt, not a store) naming the path and the cause, or `LoginError`
    naming the Hopsworks host and the cause (unreachable, the key or the project refused).
    """
    import serverless_ml

    print(backend_line(), flush=True)
    project = login_hopsworks() if get_settings().backend == "hopsworks" else serverless_ml.login()
    project.get_feature_store().get_feature_groups()


#: How long the daily run waits for Hopsworks to answer a connection before it gives up (the SDK has no limit)
LOGIN_TIMEOUT = 15.0


def hopsworks_address() -> tuple[str, str]:
    """The host and port `hopsworks.login()` connects to: HOPSWORKS_HOST and HOPSWORKS_PORT, else its defaults."""
    settings = get_settings()
    if settings.hopsworks_host:
        return settings.hopsworks_host, settings.hopsworks_port or "443"
    from hopsworks_common.constants import HOSTS

    return HOSTS.SAAS_HOST, settings.hopsworks_port or "443"


def backend_line() -> str:
    """One line that says where the feature store and the model registry are, and how to use the other backend."""
    settings = get_settings()
    if settings.backend == "hopsworks":
        host, port = hopsworks_address()
        project = f"project {settings.hopsworks_project}" if settings.hopsworks_project else "your project"
        return f"Backend: Hopsworks at {host}:{port}, {project} (HOPSWORKS_API_KEY is set)"
    if settings.hopsworks_api_key:
        hint = "HOPSWORKS_API_KEY is set, but SML_BACKEND=local keeps it unused"
    else:
        hint = 'to run on Hopsworks, export HOPSWORKS_API_KEY: see "Moving to Hopsworks" in README.md'
    return f"Backend: the local store in {settings.home} ({hint})"


def login_hopsworks() -> Any:
    """`hopsworks.login()` once, before any notebook starts; a failure is a `LoginError` of one line that names
    the host and the cause, never the key. A host that does not answer within `LOGIN_TIMEOUT` fails then."""
    import logging
    import socket

    import serverless_ml

    for sdk in ("hopsworks", "hopsworks_common", "hsfs", "hsml"):  # its INFO chatter, as its own `hops` CLI does
        logging.getLogger(sdk).setLevel(logging.WARNING)
    settings = get_settings()
    host, port = hopsworks_address()
    where = f"Hopsworks at {host}:{port}"
    try:  # only to bound the wait: the SDK's requests have no timeout, and a dropped connection hangs for minutes
        socket.create_connection((host, int(port)), timeout=LOGIN_TIMEOUT).close()
    except TimeoutError:
        raise LoginError(
            f"cannot log in to {where}: no answer within {LOGIN_TIMEOUT:g} s (check HOPSWORKS_HOST and the network)"
        ) from None
    except (OSError, ValueError):
        pass  # refused, unknown host, a bad port: hopsworks.login() meets it at once and says so below
    try:
        return serverless_ml.login()
    except Exception as error:  # whatever the SDK raises: one line for a person
        cause = _login_cause(error)
        if settings.hopsworks_api_key:
            cause = cause.replace(settings.hopsworks_api_key, "***")
        raise LoginError(f"cannot log in to {where}: {cause}") from None


def _login_cause(error: BaseException) -> str:
    """What went wrong in `hopsworks.login()`, in a few words a person can act on."""
    from hopsworks_common.client.exceptions import ProjectException, RestAPIError

    if isinstance(error, RestAPIError):
        response = error.response
        said = f": {error.user_message}" if getattr(error, "user_message", "") else ""
        hint = "; check HOPSWORKS_API_KEY (a key from your account settings, API keys)"
        return f"HTTP {response.status_code} {response.reason}{said}" + (
            hint if response.status_code in (401, 403) else ""
        )
    if isinstance(error, ProjectException):
        return f"{error}; check HOPSWORKS_PROJECT (a project your key can use)"
    if isinstance(error, EOFError) or type(error).__name__ == "StdinNotImplementedError":
        return "the key sees several projects and there is no one to choose: export HOPSWORKS_PROJECT=<name>"
    root = _root_cause(error)
    return getattr(root, "strerror", None) or " ".join(str(root).split()) or type(root).__name__


def _root_cause(error: BaseException) -> BaseException:
    """The innermost exception behind `error` (requests wraps urllib3, which wraps the socket's error)."""
    seen, current = set(), error
    while id(current) not in seen:
        seen.add(id(current))
        inner = getattr(current, "reason", None) or current.__cause__ or current.__context__
        if not isinstance(inner, BaseException):
            inner = next((a for a in getattr(current, "args", ()) if isinstance(a, BaseException)), None)
        if inner is None:
            break
        current = inner
    return current


def runs_dir(run_date: date) -> Path:
    """A new folder for the executed notebooks of one command."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return get_settings().home / "runs" / f"{run_date.isoformat()}_{stamp}"


def step(dataset: str, stage: str, parameters: dict, runs: Path, publish: bool = True) -> Path:
    """Run one notebook with a timed line; publish its HTML for the dashboard."""
    days = [parameters[k] for k in ("START_DATE", "RUN_DATE") if k in parameters]
    label = f"{dataset}: {stage}" + (f" {'..'.join(days)}" if days else "")
    try:
        with timed(label):
            executed = run_notebook(dataset, stage, parameters, runs)
    except NotebookError as error:  # the failed run's page shows where it stopped
        if publish and error.output.exists():
            render_html(error.output, run_page(dataset, error.output))
        raise
    if publish:
        render_html(executed, run_page(dataset, executed))
    return executed


def run_page(dataset: str, executed: Path) -> Path:
    """Where the HTML of an executed notebook is published, under `SML_DOCS/runs/<dataset>/`."""
    return get_settings().docs / "runs" / dataset / executed.with_suffix(".html").name


def needs_backfill(dataset: str) -> bool:
    """Whether the dataset's feature group is missing or empty."""
    import serverless_ml
    from serverless_ml import datasets

    record = datasets.get(dataset)
    # both backends return None for a feature group that does not exist (hsfs FeatureStore.get_feature_group)
    feature_group = (
        serverless_ml.login().get_feature_store().get_feature_group(record.name, version=record.feature_group_version)
    )
    return feature_group is None or not feature_group.column_names


def needs_training(dataset: str) -> bool:
    """Whether no model of the dataset is registered."""
    import serverless_ml
    from serverless_ml import datasets

    return datasets.get(dataset).best_model(serverless_ml.login().get_model_registry()) is None


def bootstrap(dataset: str, runs: Path) -> None:
    """Backfill and train when the feature group or the model is missing."""
    if needs_backfill(dataset):
        step(dataset, "feature", {"BACKFILL": True}, runs)
    if needs_training(dataset):
        step(dataset, "training", {}, runs)


def write_status(dataset: str, run_date: date, error: NotebookError | None = None) -> Path:
    """Record the dataset's last attempt for the dashboard, atomically: when, for which day, ok or where it failed."""
    status: dict = {
        "last_run": datetime.now(UTC).isoformat(timespec="seconds"),
        "run_date": run_date.isoformat(),
        "ok": error is None,
    }
    if error is not None:
        status.update(
            notebook=error.notebook.name,
            cell=error.cell,
            error=f"{error.ename}: {error.evalue}",
            page=f"runs/{dataset}/{run_page(dataset, error.output).name}",
        )
    return write_atomic(get_settings().docs / dataset / "status.json", lambda tmp: tmp.write_text(json.dumps(status)))


def run_days(dataset: str, start: date, end: date, runs: Path, progress: bool = False) -> None:
    """Days `start`..`end` of one dataset: bootstrap if needed, then each pipeline notebook once.

    One day is the daily run. More days (`simulate`) give the same result as running them one by
    one: the feature pipeline writes one sample per day in one insert (`START_DATE`), batch inference
    scores them all in one pass with its window widened to `start`, and the images are drawn once.
    The dataset's status records the attempt, failed or not.
    """
    from tqdm import tqdm

    dates = {"RUN_DATE": end.isoformat()}
    if start != end:
        dates = {"START_DATE": start.isoformat(), **dates}
    steps = [
        lambda: bootstrap(dataset, runs),
        lambda: step(dataset, "feature", {"BACKFILL": False, **dates}, runs),
        lambda: step(dataset, "inference", dates, runs),
    ]
    with tqdm(total=len(steps), desc=dataset, unit="step", file=sys.stdout, disable=not progress) as bar:
        try:
            for work in steps:
                work()
                bar.update()
        except NotebookError as error:
            write_status(dataset, end, error)
            raise
    write_status(dataset, end)
