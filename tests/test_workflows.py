"""The daily workflow's own `run:` steps, replayed in order in a fresh clone, as a GitHub runner would.

`uses:` steps are skipped: setup-python becomes a venv first on PATH, and the caches are this
machine's warm ones. Secrets are empty and the backend is local, so the replay is offline but for
the package index that pip asks for the pinned uv (uv itself installs from its warm cache, as
`make install` tries first).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

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


@pytest.fixture(scope="module")
def replay(tmp_path_factory, titanic_csv):
    """Clone HEAD, then run each `run:` step of daily.yml's `run` job in order, as GitHub would."""
    started = time.perf_counter()
    root = tmp_path_factory.mktemp("replay")
    workspace, runner_temp = root / "workspace", root / "runner-temp"
    runner_temp.mkdir()
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(workspace)], check=True, timeout=120)
    # setup-python, simulated: a Python 3.11 with pip first on PATH
    subprocess.run([sys.executable, "-m", "venv", str(root / "setup-python")], check=True, timeout=120)

    job = yaml.safe_load((workspace / ".github" / "workflows" / "daily.yml").read_text())["jobs"]["run"]
    contexts = {"github.workspace": str(workspace), "runner.temp": str(runner_temp), "runner.os": "Linux",
                "github.run_id": "1"}  # fmt: skip
    own_venv = str(REPO / ".venv" / "bin")
    path = [str(root / "setup-python" / "bin"), *(p for p in os.environ["PATH"].split(os.pathsep) if p != own_venv)]
    base = {k: v for k, v in os.environ.items() if k not in LEAKS and not k.startswith("SML_")}
    base.update({"PATH": os.pathsep.join(path), "CI": "true", "GITHUB_ACTIONS": "true", "RUNNER_OS": "Linux",
                 "GITHUB_WORKSPACE": str(workspace), "RUNNER_TEMP": str(runner_temp),
                 "GITHUB_PATH": str(runner_temp / "github_path"), "GITHUB_ENV": str(runner_temp / "github_env"),
                 "GITHUB_OUTPUT": str(runner_temp / "github_output"),
                 "GITHUB_STEP_SUMMARY": str(runner_temp / "step_summary"),
                 "SML_BACKEND": "local", "SML_TITANIC_CSV": titanic_csv[0]})  # fmt: skip
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
