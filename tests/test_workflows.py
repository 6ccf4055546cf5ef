"""The daily workflow's own `run:` steps, replayed in order in a fresh clone, as a GitHub runner would.

`uses:` steps are skipped: setup-python becomes a venv first on PATH, and the caches are this
machine's warm ones. Secrets are empty and the backend is local, so the replay is offline but for
the package index that pip asks for the pinned uv (uv itself installs from its warm cache, as
`make install` tries first). The Pages site is a local `http.server` (configure-pages' `base_url`):
the first run finds nothing published there; then its docs are published, the store is deleted as
an evicted cache leaves it, and the next run must restore every earlier record from the site.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import pytest
import yaml
from PIL import Image

from serverless_ml import datasets
from tests.conftest import REPO

pytestmark = pytest.mark.slow

EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")
# Inherited variables that would make the replay use this checkout instead of the clone, or that a
# GitHub runner does not set (PYTHONDONTWRITEBYTECODE would make the install compile every module).
LEAKS = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "HOPSWORKS_API_KEY", "HOPSWORKS_PROJECT",
         "HOPSWORKS_HOST", "HF_TOKEN", "PYTHONDONTWRITEBYTECODE")  # fmt: skip


def _expand(text: str, contexts: dict[str, str]) -> str:
    """`text` with each `${{ name }}` replaced; secrets and vars are empty, anything else is refused."""

    def value(match: re.Match) -> str:
        name = match.group(1)
        if name in contexts:
            return contexts[name]
        if re.fullmatch(r"(secrets|vars)\.\w+", name):
            return ""
        raise ValueError(f"the replay cannot evaluate ${{{{ {name} }}}}: known are {sorted(contexts)}")

    return EXPRESSION.sub(value, str(text))


def _github_file(path: Path) -> list[str]:
    """The lines the steps so far wrote to a `GITHUB_PATH` or `GITHUB_ENV` file."""
    lines = path.read_text().splitlines() if path.exists() else []
    assert not any("<<" in line for line in lines), f"{path.name}: multi-line values are not replayed"
    return [line for line in lines if line.strip()]


def _step_env(base: dict[str, str], runner_temp: Path, *layers: dict[str, str]) -> dict[str, str]:
    """The environment of the next step: the runner's, `GITHUB_ENV`, the job's and the step's `env:`,
    with the folders written to `GITHUB_PATH` first on PATH, the newest first."""
    env = dict(base)
    env.update(line.split("=", 1) for line in _github_file(runner_temp / "github_env"))
    for layer in layers:
        env.update(layer)
    added = list(reversed(_github_file(runner_temp / "github_path")))
    env["PATH"] = os.pathsep.join([*added, env["PATH"]])
    return env


class _Images(HTMLParser):
    """The `src` of every `<img>` and the `href` of every link in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.sources.append(dict(attrs)["src"] or "")
        elif tag == "a":
            self.links.append(dict(attrs).get("href") or "")


def _run_job(workspace: Path, runner_temp: Path, base: dict[str, str], contexts: dict[str, str]) -> list[tuple]:
    """Each `run:` step of daily.yml's `run` job in order, on a new runner (`runner_temp`), until one fails:
    (name, the completed process, seconds) per step."""
    runner_temp.mkdir()
    job = yaml.safe_load((workspace / ".github" / "workflows" / "daily.yml").read_text())["jobs"]["run"]
    contexts = {**contexts, "github.workspace": str(workspace), "runner.temp": str(runner_temp), "runner.os": "Linux"}
    base = {**base, "GITHUB_WORKSPACE": str(workspace), "RUNNER_TEMP": str(runner_temp),
            "GITHUB_PATH": str(runner_temp / "github_path"), "GITHUB_ENV": str(runner_temp / "github_env"),
            "GITHUB_OUTPUT": str(runner_temp / "github_output"),
            "GITHUB_STEP_SUMMARY": str(runner_temp / "step_summary")}  # fmt: skip
    job_env = {k: _expand(v, contexts) for k, v in job.get("env", {}).items()}
    results = []
    for number, step in enumerate(job["steps"]):
        if "uses" in step:
            continue
        name = step.get("name", step["run"].splitlines()[0])
        assert "if" not in step, f"{name}: the replay runs unconditional steps only, not `if: {step['if']}`"
        assert step.get("shell", "bash") == "bash", f"{name}: the replay runs bash steps only"
        script = runner_temp / f"step-{number}.sh"
        script.write_text(_expand(step["run"], contexts))
        step_env = {k: _expand(v, contexts) for k, v in step.get("env", {}).items()}
        tick = time.perf_counter()
        result = subprocess.run(["bash", "-e", str(script)], cwd=workspace / step.get("working-directory", "."),
                                env=_step_env(base, runner_temp, job_env, step_env), capture_output=True,
                                text=True, timeout=900)  # fmt: skip
        results.append((name, result, time.perf_counter() - tick))
        if result.returncode != 0:
            break  # like GitHub: a failed step ends the job
    return results


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The Pages site, on a local `http.server`: (its folder, the `base_url` actions/configure-pages gives)."""
    folder = tmp_path_factory.mktemp("pages") / "serverless-ml"  # a project site: https://<owner>.github.io/<repo>

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(folder.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}/{folder.name}"
    server.shutdown()
    server.server_close()


def _runner_base(root: Path, titanic_csv: str) -> dict[str, str]:
    """A runner's environment: setup-python's venv first on PATH, nothing of this checkout's."""
    own_venv = str(REPO / ".venv" / "bin")
    path = [str(root / "setup-python" / "bin"), *(p for p in os.environ["PATH"].split(os.pathsep) if p != own_venv)]
    base = {k: v for k, v in os.environ.items() if k not in LEAKS and not k.startswith("SML_")}
    base.update({"PATH": os.pathsep.join(path), "CI": "true", "GITHUB_ACTIONS": "true", "RUNNER_OS": "Linux",
                 "SML_BACKEND": "local", "SML_TITANIC_CSV": titanic_csv})  # fmt: skip
    return base


@pytest.fixture(scope="module")
def replay(tmp_path_factory, titanic_csv, site):
    """Clone HEAD, then run each `run:` step of daily.yml's `run` job in order, as GitHub would: the first
    run, with no cache and nothing published."""
    started = time.perf_counter()
    root = tmp_path_factory.mktemp("replay")
    workspace = root / "workspace"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(workspace)], check=True, timeout=120)
    # setup-python, simulated: a Python 3.11 with pip first on PATH
    subprocess.run([sys.executable, "-m", "venv", str(root / "setup-python")], check=True, timeout=120)
    contexts = {"github.run_id": "1", "steps.pages.outputs.base_url": site[1]}
    results = _run_job(workspace, root / "runner-temp", _runner_base(root, titanic_csv[0]), contexts)
    total = time.perf_counter() - started
    steps = ", ".join(f"{name} {seconds:.1f} s" for name, _, seconds in results)
    print(f"workflow replay: {steps}, total {total:.1f} s")  # with -s: the figure for benchmarks/README.md
    return workspace, results, total


def test_every_run_step_succeeds(replay):
    _, results, _ = replay
    names = [name for name, _, _ in results]
    assert "Install" in names and "Run the daily pipelines" in names, names
    for name, result, _ in results:
        assert result.returncode == 0, f"step {name!r} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"


def test_the_daily_run_used_the_clone_and_its_venv(replay):
    workspace = replay[0]
    code = "import serverless_ml, sys; print(serverless_ml.__file__); print(sys.prefix)"
    python = workspace / ".venv" / "bin" / "python"
    module, prefix = subprocess.run([python, "-c", code], cwd=workspace.parent, capture_output=True, text=True,
                                    check=True).stdout.split()  # fmt: skip
    assert Path(module).is_relative_to(workspace) and Path(prefix) == workspace / ".venv"
    assert (workspace / ".sml").is_dir()  # SML_HOME: ${{ github.workspace }}/.sml


def test_the_dashboard_and_its_images_are_in_the_clone_docs(replay):
    docs = replay[0] / "docs"
    page = _Images()
    page.feed((docs / "index.html").read_text())
    shown = {urlsplit(source).path for source in page.sources}
    # every monitoring image: shown, or (the recent predictions, a table on the page) linked
    shown |= {urlsplit(link).path for link in page.links if link.endswith(".png") or ".png?" in link}
    assert shown == {f"{dataset}/{name}" for dataset in ("iris", "titanic") for name in datasets.IMAGES}
    for image_path in shown:
        with Image.open(docs / image_path) as image:
            image.verify()
            assert image.format == "PNG", image_path


# --- a lost cache: the next run restores the history the last one published ------------------------------


@pytest.fixture(scope="module")
def lost_cache(replay, site, titanic_csv, tmp_path_factory):
    """The first run's site published, the Actions cache evicted, and the next run replayed on a new runner.

    The replay runs on one day, where a restart would also say "History starts on" today; so before
    publishing, the store's first records are moved three days back, as a store begun three days ago
    has them, and exported again with the job's own command. Then only a restore shows that date.
    """
    workspace, _, _ = replay
    root = tmp_path_factory.mktemp("lost-cache")
    first_page = (workspace / "docs" / "index.html").read_text()
    store = workspace / ".sml" / "store.duckdb"
    con = duckdb.connect(str(store))
    for table in ("_sml_feature_groups", "_sml_feature_views", "_sml_models"):
        con.execute(f"UPDATE {table} SET created_at = created_at - INTERVAL 3 DAY")
    [(first,)] = con.execute("SELECT min(created_at) FROM _sml_feature_groups").fetchall()
    con.close()
    base = _runner_base(workspace.parent, titanic_csv[0])  # the same machine's setup-python
    env = {**base, "SML_HOME": str(workspace / ".sml"), "SML_DOCS": str(workspace / "docs")}
    export = [str(workspace / ".venv" / "bin" / "python"), "-m", "serverless_ml", "history", "export", "docs/history"]
    subprocess.run(export, cwd=workspace, env=env, check=True, timeout=300)  # what the daily step's --history does
    shutil.copy2(store, root / "before.duckdb")
    shutil.copytree(workspace / "docs", site[0])  # actions/deploy-pages: the site is the docs folder
    shutil.rmtree(workspace / ".sml")  # the cache is gone
    subprocess.run(["git", "-C", str(workspace), "clean", "-fdxq", "docs"], check=True)  # a new checkout's docs
    contexts = {"github.run_id": "2", "steps.pages.outputs.base_url": site[1]}
    results = _run_job(workspace, root / "runner-temp", base, contexts)
    print("next run after a lost cache: " + ", ".join(f"{name} {seconds:.1f} s" for name, _, seconds in results))
    return workspace, root / "before.duckdb", first.date().isoformat(), first_page, results


def _step(results: list[tuple], prefix: str) -> subprocess.CompletedProcess:
    return next(result for name, result, _ in results if name.startswith(prefix))


def test_a_first_run_with_nothing_published_starts_the_history_today(replay, lost_cache):
    _, results, _ = replay
    restore = _step(results, "Restore the history")
    assert "Nothing published at http://127.0.0.1:" in restore.stdout and "starts with this run" in restore.stdout
    today = time.strftime("%Y-%m-%d", time.gmtime())  # the store keeps its times in UTC
    assert f'History starts on <time datetime="{today}">' in lost_cache[3]
    assert 'href="history/manifest.json"' in lost_cache[3]  # the export published with the page, linked


def test_the_next_run_restores_what_the_lost_cache_held(lost_cache):
    workspace, before, starts, _, results = lost_cache
    for name, result, _ in results:
        assert result.returncode == 0, f"step {name!r} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    assert _step(results, "Restore the history").stdout.startswith(f"Restored the history since {starts}: ")
    assert " training " not in _step(results, "Run the daily pipelines").stdout  # nothing was backfilled or retrained
    con = duckdb.connect(str(workspace / ".sml" / "store.duckdb"), read_only=True)
    con.execute(f"ATTACH '{before}' AS before (READ_ONLY)")
    tables = [
        t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'before'").fetchall()
    ]
    assert {"fg__iris__1", "fg__iris_predictions__1", "fg__titanic__1", "fg__titanic_predictions__1"} <= set(tables)
    for table in tables:  # every earlier sample, prediction, model version and report is still there
        # the feature pipeline saves its suite again on every run: the suite keeps its id, its new
        # expectations get new ones (FeatureGroup._save_suite_in)
        rows = "SELECT fg_name, fg_version, id FROM {}" if table == "_sml_expectation_suites" else "FROM {}"
        earlier, now = rows.format(f'before."{table}"'), rows.format(f'"{table}"')
        [(lost,)] = con.execute(f"SELECT count(*) FROM ({earlier} EXCEPT ALL {now})").fetchall()
        assert lost == 0, f"{table}: {lost} earlier rows missing after the restore"
    models = "SELECT name, version, metrics, created_at FROM {} ORDER BY 1, 2"
    assert (
        con.execute(models.format("_sml_models")).fetchall()
        == con.execute(models.format("before._sml_models")).fetchall()
    )
    con.close()
    page = (workspace / "docs" / "index.html").read_text()
    assert f'History starts on <time datetime="{starts}">' in page  # the dashboard shows no restart
    assert json.loads((workspace / "docs" / "history" / "manifest.json").read_text())["history_starts"] == starts
