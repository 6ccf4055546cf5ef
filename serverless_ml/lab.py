"""The lab: its guide's page, starter notebooks made from the solutions, and the self-check of a learner's system.

`write_starter` copies a dataset's notebooks with every code cell tagged `solution` replaced by its
prompt (the cell's `lab_prompt` metadata) and a line that fails until the learner writes the step.
`check` inspects what the learner built, on whichever backend `serverless_ml.login()` gives: the
feature group, the feature view, a model it scores itself, the logged predictions, the monitoring
images, the prediction app and the daily schedule; one `Result` per requirement.
"""

from __future__ import annotations

import contextlib
import io
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from serverless_ml import datasets
from serverless_ml.datasets import IMAGES, Dataset
from serverless_ml.errors import ParameterError, ServerlessMLError
from serverless_ml.settings import REPO_ROOT, get_settings
from serverless_ml.times import age

# ----------------------------------------------------------------------------- starter notebooks

#: The Jupyter cell tag (in `cell.metadata.tags`) that marks a code cell the learner writes.
SOLUTION_TAG = "solution"
#: The cell metadata key holding what the starter says instead of the solution (a string).
PROMPT_KEY = "lab_prompt"
#: The starter's last line in each prompt cell: run unfinished, the notebook stops here, saying why.
UNFINISHED = 'raise NotImplementedError("write this step: see the prompt above")'


class LabError(ServerlessMLError, ValueError):
    """A solution notebook cannot be turned into a starter; the message names the notebook and the cell."""


#: The widest comment line of a prompt: the lessons' code stays within ruff's 120 columns with room to spare.
PROMPT_WIDTH = 100


def _prompt_source(prompt: str) -> str:
    """The starter cell: the prompt as comment lines (each of its lines wrapped), then the line that fails."""
    import textwrap

    lines = []
    for line in prompt.strip().splitlines():
        wrapped = textwrap.wrap(line, PROMPT_WIDTH - 2, break_long_words=False, break_on_hyphens=False)
        lines += [f"# {part}" for part in wrapped] or ["#"]
    return "\n".join([*lines, UNFINISHED])


def _cell_name(path: Path, index: int, cell: Any) -> str:
    first = next((line for line in cell.source.splitlines() if line.strip()), "")
    return f"{path} cell {index + 1} ({first[:60]!r})"


def starter_notebook(notebook: Any, path: Path) -> tuple[Any, int]:
    """A starter copy of a solution notebook and how many prompts it holds; `path` names it in errors.

    Code cells tagged `solution` become their prompt; every code cell loses its outputs and execution
    count; everything else (markdown, the `parameters` cell, other tags) stays as it is.
    """
    import copy

    import nbformat

    starter = copy.deepcopy(notebook)
    starter.metadata.pop("papermill", None)
    prompts = 0
    for index, cell in enumerate(starter.cells):
        tags = list(cell.metadata.get("tags", []))
        if SOLUTION_TAG in tags:
            where = _cell_name(path, index, cell)
            if cell.cell_type != "code":
                raise LabError(f"{where} is a {cell.cell_type} cell tagged {SOLUTION_TAG!r}: only code cells can be")
            if "parameters" in tags:
                raise LabError(f"{where} is the parameters cell: papermill needs it, it cannot be a solution")
            prompt = cell.metadata.get(PROMPT_KEY)
            if not isinstance(prompt, str) or not prompt.strip():
                raise LabError(
                    f"{where} is tagged {SOLUTION_TAG!r} but its metadata {PROMPT_KEY!r} is {prompt!r}: "
                    "expected a non-empty string saying what to write and which Hopsworks call to use"
                )
            cell.source = _prompt_source(prompt)
            cell.metadata.pop(PROMPT_KEY)
            cell.metadata["tags"] = [t for t in tags if t != SOLUTION_TAG]
            if not cell.metadata["tags"]:
                del cell.metadata["tags"]
            prompts += 1
        elif PROMPT_KEY in cell.metadata:
            raise LabError(f"{_cell_name(path, index, cell)} has {PROMPT_KEY!r} but no {SOLUTION_TAG!r} tag")
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            for key in ("execution", "papermill", "scrolled", "collapsed"):
                cell.metadata.pop(key, None)
    nbformat.validate(starter)
    return starter, prompts


def write_starter(dataset: str, folder: Path, force: bool = False) -> list[Path]:
    """Write the starter notebooks of `dataset` into `folder`; return their paths.

    Every notebook of the dataset's folder is copied (with outputs stripped); those with cells tagged
    `solution` get prompts in their place. Existing notebooks of the same names are kept unless `force`.
    """
    import nbformat

    from serverless_ml.files import write_atomic

    record = datasets.get(dataset)
    sources = sorted(record.notebook_dir.glob("*.ipynb"))
    if not sources:
        raise LabError(f"{record.notebook_dir} holds no notebooks to make a starter from")
    folder = Path(folder)
    targets = [folder / source.name for source in sources]
    existing = [t.name for t in targets if t.exists()]
    if existing and not force:
        raise LabError(f"{folder} already has {', '.join(existing)}: add --force to overwrite them")
    starters, prompts = [], 0
    for source in sources:
        starter, count = starter_notebook(nbformat.read(source, as_version=4), source)
        starters.append(starter)
        prompts += count
    if not prompts:
        raise LabError(
            f"no code cell of {record.notebook_dir} is tagged {SOLUTION_TAG!r}: the starter would be the solutions "
            f"(tag the cells a learner writes, each with its {PROMPT_KEY!r} metadata)"
        )
    folder.mkdir(parents=True, exist_ok=True)
    for starter, target in zip(starters, targets, strict=True):
        write_atomic(target, lambda tmp, nb=starter: nbformat.write(nb, str(tmp)))
    return targets


# ----------------------------------------------------------------------------- the guide

#: The lab guide's source; `write_guide` renders it as `lab.html` beside the dashboard.
GUIDE = REPO_ROOT / "docs" / "lab.md"
_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; line-height: 1.5; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }}
table {{ border-collapse: collapse; }} th, td {{ border: 1px solid #ccc; padding: 0.3rem 0.5rem; vertical-align: top; }}
code {{ background: #f4f4f4; padding: 0 0.2rem; }} pre {{ background: #f4f4f4; padding: 0.8rem; overflow-x: auto; }}
</style>
</head>
<body>
<p><a href="index.html">The dashboard</a></p>
{body}</body>
</html>
"""


def guide_html(source: Path = GUIDE) -> str:
    """The lab guide as a web page (Markdown rendered by mistune, which nbconvert brings)."""
    import html

    import mistune

    text = source.read_text(encoding="utf-8")
    title = next((line[2:].strip() for line in text.splitlines() if line.startswith("# ")), "The lab")
    return _PAGE.format(title=html.escape(title), body=mistune.html(text))


def write_guide(target: Path | None = None) -> Path:
    """Write the guide's page, by default as `lab.html` in `SML_DOCS` (the Pages site, beside the dashboard)."""
    from serverless_ml.files import write_atomic

    target = Path(target) if target else get_settings().docs / "lab.html"
    page = guide_html()
    return write_atomic(target, lambda tmp: tmp.write_text(page, encoding="utf-8"))


# ----------------------------------------------------------------------------- the self-check


@dataclass(frozen=True)
class Bar:
    """What the lab asks of one dataset's system."""

    rows: int  # the backfilled rows: the whole data set
    accuracy: float  # the least accuracy on the check's own held-out split


#: The lab's bars. On the check's split the solutions score 1.00 (Iris, 30 flowers) and 0.83 (Titanic, 179 passengers).
BARS = {"iris": Bar(rows=150, accuracy=0.90), "titanic": Bar(rows=891, accuracy=0.75)}
#: Monitoring images older than this are stale: the daily job redraws them every day.
FRESH = timedelta(days=2)
#: The seed of the check's held-out split; its size is the training lesson's (`training.TEST_SIZE`).
SPLIT_SEED = 0
#: How long the prediction app may take to start, and to answer one call.
APP_START_TIMEOUT = 180.0
APP_CALL_TIMEOUT = 60.0
DAILY_WORKFLOW = REPO_ROOT / ".github" / "workflows" / "daily.yml"


class UnmetError(Exception):
    """A requirement is not met; the message says what is missing and how to fix it."""


@dataclass(frozen=True)
class Result:
    """One requirement: met or not, and what was found (or what is missing and how to fix it)."""

    requirement: str
    met: bool
    detail: str


@dataclass
class _System:
    """What the check reads, each opened once (the project, the feature view), and the app it started."""

    dataset: Dataset
    bar: Bar
    app_url: str | None = None
    workflow: Path = DAILY_WORKFLOW
    stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)  # closes the app it starts
    app: _App | None = None
    _project: Any = None
    _cache: dict = field(default_factory=dict)

    def project(self) -> Any:
        if self._project is None:
            import serverless_ml

            self._project = serverless_ml.login()
        return self._project

    def feature_store(self) -> Any:
        if "fs" not in self._cache:
            self._cache["fs"] = self.project().get_feature_store()
        return self._cache["fs"]

    def feature_view(self) -> Any:
        d = self.dataset
        if "fv" not in self._cache:
            self._cache["fv"] = self.feature_store().get_feature_view(d.name, version=d.feature_view_version)
        return self._cache["fv"]


def _notebook(dataset: Dataset, stage: str) -> str:
    """The dataset's notebook of `stage`, as a path from the repository's root when it is inside it."""
    from serverless_ml.runner import STAGES

    path = dataset.notebook_dir / f"{STAGES[stage]}.ipynb"
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)


def _feature_group(system: _System) -> str:
    d, bar = system.dataset, system.bar
    fg = system.feature_store().get_feature_group(d.name, version=d.feature_group_version)
    run = f"run {_notebook(d, 'feature')} with BACKFILL = True"
    if fg is None or not fg.column_names:  # both backends: None, or no features before the first insert
        raise UnmetError(f"no feature group {d.name} version {d.feature_group_version}: {run}")
    import pandas as pd

    from serverless_ml.samples import DAILY_START

    rows = fg.read()
    backfilled = rows
    if d.event_time in rows.columns:  # as UTC without a zone: Hopsworks may hand event times out zoned
        backfilled = rows[pd.to_datetime(rows[d.event_time], utc=True).dt.tz_convert(None) < DAILY_START]
    problems = []
    if len(backfilled) != bar.rows:
        problems.append(
            f"{len(backfilled)} backfilled rows (event time before {DAILY_START:%Y-%m-%d}), expected {bar.rows}: {run}"
        )
    suite = fg.get_expectation_suite(ge_type=False)
    expectations = list(getattr(suite, "expectations", None) or [])
    if not expectations:
        problems.append(
            "no expectation suite: save one with fg.save_expectation_suite(suite) in "
            f"{_notebook(d, 'feature')}, before the insert"
        )
    if problems:
        raise UnmetError(f"feature group {d.name} v{fg.version} has " + "; and ".join(problems))
    return (
        f"{d.name} v{fg.version}: {len(backfilled)} backfilled rows, "
        f"expectation suite {suite.expectation_suite_name!r} ({len(expectations)} expectations)"
    )


def _feature_view(system: _System) -> str:
    d = system.dataset
    fv = system.feature_view()
    if fv is None:
        raise UnmetError(
            f"no feature view {d.name} version {d.feature_view_version}: create it with "
            f'fs.get_or_create_feature_view(name="{d.name}", version={d.feature_view_version}, query=..., '
            f'labels=["{d.label}"]) in {_notebook(d, "training")}'
        )
    if d.label not in fv.labels:
        raise UnmetError(f'feature view {d.name} v{fv.version} has labels {fv.labels}, expected ["{d.label}"]')
    features = [f.name for f in fv.features if f.name not in fv.labels]
    return f"{d.name} v{fv.version}: {len(features)} features, label {d.label}"


def _view_rows(fv: Any, model: Any, label: str) -> tuple[Any, Any, str]:
    """The model's training rows from the feature view (its training dataset version), as X and y."""
    version = getattr(model, "training_dataset_version", None)
    if version:  # read, not created: `get_training_data` computes an existing version again
        X, y = fv.get_training_data(training_dataset_version=version)
        return X, y, f"training dataset v{version}"
    frame = fv.query.read()  # a model registered without its feature view: every row of the view
    return frame.drop(columns=[label]), frame[[label]], "every row of the feature view"


def _model(system: _System) -> str:
    from sklearn.metrics import accuracy_score
    from sklearn.model_selection import train_test_split

    from serverless_ml.model_files import MODEL_FILE, load_pipeline
    from serverless_ml.training import TEST_SIZE

    d, bar = system.dataset, system.bar
    model = d.best_model(system.project().get_model_registry())
    if model is None:
        raise UnmetError(f"no {d.name} model is registered: run {_notebook(d, 'training')} (it ends with model.save)")
    name = f"model {d.name} v{model.version}"
    fv = system.feature_view()
    if fv is None:
        raise UnmetError(f"{name} cannot be scored without feature view {d.name} v{d.feature_view_version}")
    folder = Path(model.download())
    if not (folder / MODEL_FILE).is_file():
        raise UnmetError(
            f"{name} has no {MODEL_FILE}: write its folder with model_files.write_model_folder before save"
        )
    pipeline = load_pipeline(folder)
    X, y, rows = _view_rows(fv, model, d.label)
    y = y[d.label] if hasattr(y, "columns") else y
    inputs = list(getattr(pipeline, "feature_names_in_", X.columns))
    missing = [c for c in inputs if c not in X.columns]
    if missing:
        raise UnmetError(f"{name} takes {missing}, which feature view {d.name} v{fv.version} does not hand out")
    _, X_test, _, y_test = train_test_split(X[inputs], y, test_size=TEST_SIZE, stratify=y, random_state=SPLIT_SEED)
    accuracy = accuracy_score(y_test, pipeline.predict(X_test))
    registered = (getattr(model, "training_metrics", None) or {}).get(d.metric)
    said = f", registered {d.metric} {float(registered):.3f}" if registered is not None else ""
    scored = (
        f"accuracy {accuracy:.3f} on {len(y_test)} held-out rows ({TEST_SIZE:.0%} of {rows}, stratified, "
        f"seed {SPLIT_SEED}{said})"
    )
    if accuracy < bar.accuracy:
        raise UnmetError(
            f"{name}: {scored}, below the lab's bar {bar.accuracy:.2f}: improve the model in "
            f"{_notebook(d, 'training')} and register it again"
        )
    return f"{d.name} v{model.version}: {scored}, bar {bar.accuracy:.2f}"


def _predictions(system: _System) -> str:
    d = system.dataset
    fg = system.feature_store().get_feature_group(d.predictions_group, version=1)
    fix = f"run {_notebook(d, 'feature')} for a day, then {_notebook(d, 'inference')}"
    if fg is None or not fg.column_names:
        raise UnmetError(f"no predictions logged (feature group {d.predictions_group} version 1): {fix}")
    logged = fg.read()
    missing = [c for c in ("predicted", "label") if c not in logged.columns]
    if missing:
        raise UnmetError(
            f"feature group {d.predictions_group} v{fg.version} lacks column(s) {missing}: "
            "log each prediction (predicted) beside the truth (label)"
        )
    if logged.empty:
        raise UnmetError(f"feature group {d.predictions_group} v{fg.version} holds no predictions: {fix}")
    newest = ""
    if d.event_time in logged.columns:
        newest = f", the newest for {logged[d.event_time].max():%Y-%m-%d}"
    correct = int((logged["predicted"] == logged["label"]).sum())
    where = f"{d.predictions_group} v{fg.version}"
    return f"{len(logged)} in {where} beside the truth ({correct} of {len(logged)} right){newest}"


def _written_at(url: str) -> datetime:
    """When the file at `url` was last written, from its Last-Modified header."""
    request = urllib.request.Request(url, method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            stamp = response.headers.get("Last-Modified")
    except urllib.error.HTTPError as error:
        raise UnmetError(f"{url} answers HTTP {error.code}: publish the dashboard (the daily workflow)") from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise UnmetError(f"cannot reach {url}: {getattr(error, 'reason', error)}") from None
    if not stamp:
        raise UnmetError(f"{url} has no Last-Modified header: its age cannot be told")
    return parsedate_to_datetime(stamp)


def _images(system: _System) -> str:
    from serverless_ml.monitoring import output_dir

    d = system.dataset
    pages = get_settings().pages_url
    now = datetime.now(UTC)
    if pages:
        where = f"{pages}/{d.name}/"
        written = {name: _written_at(f"{where}{name}") for name in IMAGES}
    else:
        folder = output_dir(None, d.name)
        where = str(folder)
        missing = [name for name in IMAGES if not (folder / name).is_file()]
        if missing:
            raise UnmetError(
                f"{', '.join(missing)} missing in {folder}: run {_notebook(d, 'inference')}, which draws them"
            )
        written = {name: datetime.fromtimestamp((folder / name).stat().st_mtime, UTC) for name in IMAGES}
    stale = {name: now - at for name, at in written.items() if now - at > FRESH}
    if stale:
        old = ", ".join(f"{name} ({age(since.total_seconds())} old)" for name, since in stale.items())
        raise UnmetError(
            f"stale in {where}: {old}; fresh means written in the last {FRESH.days} days: run the daily job "
            "(python -m serverless_ml daily, or the daily workflow)"
        )
    oldest = max(now - at for at in written.values())
    return f"the {len(IMAGES)} images in {where}, the oldest written {age(max(oldest.total_seconds(), 0))} ago"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _last_line(log: Path) -> str:
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1].strip() if lines else "(no output)"


class _App:
    """The prediction app as its own process on a free local port: started at once, waited for by `url`,
    stopped by `close`. The check starts it first, so it loads while the store is being read."""

    def __init__(self, app: str) -> None:
        script = REPO_ROOT / "apps" / app / "app.py"
        command = (
            [sys.executable, str(script)] if script.is_file() else [sys.executable, "-m", "serverless_ml", "app", app]
        )
        self.app, self.port = app, _free_port()
        env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(self.port),
               "GRADIO_ANALYTICS_ENABLED": "False", "MPLBACKEND": "Agg", "PYTHONUNBUFFERED": "1"}  # fmt: skip
        self._tmp = tempfile.TemporaryDirectory(prefix=f"lab_{app}_")
        self.log = Path(self._tmp.name) / "app.log"
        with self.log.open("w") as out:
            self.process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        self._deadline = time.monotonic() + APP_START_TIMEOUT

    def url(self) -> str:
        """The app's address once it answers; `UnmetError` if it stops first or takes too long."""
        while True:
            if self.process.poll() is not None:
                code = self.process.returncode
                raise UnmetError(
                    f"the {self.app} app stopped before it answered (exit code {code}): {_last_line(self.log)}"
                )
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return f"http://127.0.0.1:{self.port}/"
            if time.monotonic() > self._deadline:
                raise UnmetError(
                    f"the {self.app} app did not answer within {APP_START_TIMEOUT:.0f} s: {_last_line(self.log)}"
                )
            time.sleep(0.3)

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._tmp.cleanup()


def _bad_input(dataset: Dataset) -> tuple[int, str, Any]:
    """The position, name and value of an input no app should take: a negative size, or an unknown choice."""
    names = list(dataset.input_kinds)
    for index, name in enumerate(names):
        if dataset.input_kinds[name].rstrip("?") in ("number", "integer"):
            return index, name, -1000
    return 0, names[0], "no such choice"


def _call(client: Any, values: list) -> Any:
    return client.submit(*values, api_name="/predict").result(timeout=APP_CALL_TIMEOUT)


def _try_app(dataset: Dataset, url: str) -> str:
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    try:
        client = Client(url, verbose=False, download_files=False)
    except Exception as error:  # gradio_client raises plain exceptions (httpx, ValueError) for an app it cannot read
        raise UnmetError(f"cannot connect to the {dataset.name} app at {url}: {str(error).splitlines()[0]}") from None
    example = list(dataset.examples[0])
    try:
        answer = _call(client, example)
    except AppError as error:
        raise UnmetError(
            f"the {dataset.name} app refused the example {example}: {str(error).splitlines()[0]}"
        ) from None
    except TimeoutError:
        raise UnmetError(f"the {dataset.name} app did not answer the example within {APP_CALL_TIMEOUT:.0f} s") from None
    label = answer[0].get("label") if isinstance(answer, (list, tuple)) and isinstance(answer[0], dict) else None
    if label not in dataset.class_names:
        raise UnmetError(
            f"the {dataset.name} app answered {answer!r} for {example}: expected one of {dataset.class_names}"
        )
    index, name, value = _bad_input(dataset)
    bad = [*example[:index], value, *example[index + 1 :]]
    try:
        wrong = _call(client, bad)
    except AppError as error:
        refusal = str(error).splitlines()[0] if str(error).strip() else "an error"
        return f"answered {label} for an example and refused {name}={value!r} ({refusal})"
    except TimeoutError:
        raise UnmetError(
            f"the {dataset.name} app did not answer {name}={value!r} within {APP_CALL_TIMEOUT:.0f} s"
        ) from None
    raise UnmetError(
        f"the {dataset.name} app predicted {wrong!r} for {name}={value!r}: it must refuse a value outside "
        "what the model was trained on (raise gr.Error naming the field)"
    )


def _app(system: _System) -> str:
    d = system.dataset
    if system.app_url:
        return f"{system.app_url}: {_try_app(d, system.app_url)}"
    if system.app is None:  # not started: without a model it would stop at once, saying so
        if d.best_model(system.project().get_model_registry()) is None:
            raise UnmetError(f"the {d.apps[0]} app needs a registered model: run {_notebook(d, 'training')} first")
        system.app = system.stack.enter_context(contextlib.closing(_App(d.apps[0])))
    return f"started here: {_try_app(d, system.app.url())}"


def scheduled(workflow: Path = DAILY_WORKFLOW) -> str:
    """What `workflow` says about its schedule; `UnmetError` when it has no `on.schedule` cron."""
    import yaml

    shown = workflow.relative_to(REPO_ROOT) if workflow.is_relative_to(REPO_ROOT) else workflow
    add = 'add on: schedule: - cron: "0 6 * * *" to run it every day'
    if not workflow.is_file():
        raise UnmetError(f"{shown} does not exist: it runs python -m serverless_ml daily; {add}")
    try:
        content = yaml.safe_load(workflow.read_text())
    except yaml.YAMLError as error:
        raise UnmetError(f"{shown} is not valid YAML: {str(error).splitlines()[0]}") from None
    # YAML 1.1 reads a bare `on` key as True: PyYAML gives {True: ...}
    triggers = (content.get("on", content.get(True)) if isinstance(content, dict) else None) or {}
    schedule = triggers.get("schedule") if isinstance(triggers, dict) else None
    crons = [entry.get("cron") for entry in schedule or [] if isinstance(entry, dict)]
    crons = [c for c in crons if isinstance(c, str) and len(c.split()) == 5]
    if not crons:
        raise UnmetError(f"{shown} has no on.schedule cron: {add}")
    return f"{shown} runs on cron {', '.join(repr(c) for c in crons)} (UTC, on the default branch)"


def _schedule(system: _System) -> str:
    return scheduled(system.workflow)


#: Each requirement and the function that checks it, in the order a learner builds them.
REQUIREMENTS: tuple[tuple[str, Callable[[_System], str]], ...] = (
    ("feature group", _feature_group),
    ("feature view", _feature_view),
    ("model", _model),
    ("predictions", _predictions),
    ("monitoring images", _images),
    ("prediction app", _app),
    ("daily schedule", _schedule),
)


def _one(name: str, work: Callable[[_System], str], system: _System) -> Result:
    """One requirement's result; what the SDK prints meanwhile ("Using cached model files...") is held back."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            detail = work(system)
        return Result(name, True, detail)
    except UnmetError as unmet:
        return Result(name, False, str(unmet))
    except Exception as error:  # a store that cannot be opened, a network error: one line, not a traceback
        message = str(error).strip().splitlines()[0] if str(error).strip() else ""
        return Result(name, False, f"could not check: {type(error).__name__}: {message}")


def check(dataset: str, app_url: str | None = None, workflow: Path = DAILY_WORKFLOW) -> list[Result]:
    """Every requirement of the lab for `dataset`, checked on the backend `serverless_ml.login()` gives.

    `app_url` checks a running app (a Space's address, or `OWNER/NAME`) instead of starting one here.
    An unknown dataset, or one the lab does not cover, is one unmet requirement.
    """
    try:
        record = datasets.get(dataset)
    except ParameterError as error:
        return [Result("dataset", False, str(error))]
    if record.name not in BARS:
        return [Result("dataset", False, f"the lab covers {', '.join(BARS)}, not {record.name!r}")]
    with contextlib.ExitStack() as stack:
        system = _System(record, BARS[record.name], app_url=app_url, workflow=workflow, stack=stack)
        if app_url is None:
            system.app = _early_app(system)
        return [_one(name, work, system) for name, work in REQUIREMENTS]


def _early_app(system: _System) -> _App | None:
    """The prediction app, started before the other requirements are checked, when a model is registered."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            model = system.dataset.best_model(system.project().get_model_registry())
    except Exception:  # the store cannot be read: the requirements say so, each on its own line
        return None
    return system.stack.enter_context(contextlib.closing(_App(system.dataset.apps[0]))) if model else None


def backend_line() -> str:
    """Which system the check looks at (never the key itself)."""
    settings = get_settings()
    if settings.backend == "hopsworks":
        return "Hopsworks (HOPSWORKS_API_KEY is set)"
    return f"the local store in {settings.home}"


def report(dataset: str, results: list[Result]) -> str:
    """The results as text: one line per requirement, then how many are met."""
    width = max(len(r.requirement) for r in results)
    lines = [f"{'met    ' if r.met else 'MISSING'}  {r.requirement:<{width}}  {r.detail}" for r in results]
    met = sum(r.met for r in results)
    verdict = "all met" if met == len(results) else "not yet"
    return "\n".join([*lines, f"{dataset}: {met} of {len(results)} requirements met ({verdict})"])


def _cell(text: str) -> str:
    """`text` safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(dataset: str, results: list[Result]) -> str:
    """The results as a Markdown table, for a GitHub job summary."""
    met = sum(r.met for r in results)
    rows = [f"| {'✅' if r.met else '❌'} | {r.requirement} | {_cell(r.detail)} |" for r in results]
    heading = f"### Lab check: {dataset}, {met} of {len(results)} met"
    return "\n".join([heading, "", "| | requirement | |", "|---|---|---|", *rows, ""])
