"""The daily command end to end, in its own processes, and its dashboard in a real browser."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from serverless_ml import monitoring
from tests.browser import launch as launch_chromium
from tests.conftest import REPO, free_port
from tests.e2e import cli, code_cell, predictions_count

pytestmark = pytest.mark.slow

DAYS = ["2026-05-01", "2026-05-02"]
SECRETS = {"HOPSWORKS_API_KEY": "hw-fake-key-5c1e7a9d0b", "HF_TOKEN": "hf_fakeToken9f8e7d6c5b"}


@pytest.fixture(scope="module")
def daily(tmp_path_factory, titanic_csv):
    """Day 1 with a broken Titanic source, then days 1 and 2, with fake secrets set.

    Iris runs day 1 twice (it ran fine beside the broken Titanic): the command run again on a day adds
    nothing. An earlier day run again after a later one: test_titanic_notebooks.py."""
    root = tmp_path_factory.mktemp("daily")
    env = {**os.environ, **SECRETS, "SML_BACKEND": "local", "SML_HOME": str(root / "home"),
           "SML_DOCS": str(root / "docs"), "SML_TITANIC_CSV": str(root / "missing.csv")}  # fmt: skip
    broken = cli(env, "daily", "--date", DAYS[0])
    broken.page = (root / "docs" / "index.html").read_text()  # the dashboard right after the failure
    env["SML_TITANIC_CSV"] = titanic_csv[0]
    runs = [cli(env, "daily", "--date", day) for day in DAYS]
    return root, env, broken, runs


def test_a_failing_dataset_does_not_stop_the_other(daily):
    _, _, broken, _ = daily
    assert broken.returncode == 1
    cell = code_cell("titanic", "feature", "titanic.backfill_frame()")
    assert f"notebooks/titanic/1_feature_pipeline.ipynb failed in cell {cell}" in broken.stderr
    assert "missing.csv does not exist" in broken.stderr
    assert f"iris: inference {DAYS[0]}" in broken.stdout


def test_the_dashboard_shows_the_failed_run(daily):
    root, _, broken, _ = daily
    titanic = broken.page.split('id="titanic"')[1]
    cell = code_cell("titanic", "feature", "titanic.backfill_frame()")
    assert "The last run failed" in titanic and f"1_feature_pipeline.ipynb</code>, cell {cell}" in titanic
    assert "missing.csv does not exist" in titanic
    link = titanic.split('<a href="')[1].split('"')[0]
    assert (root / "docs" / link).is_file(), link  # the failed run's page shows where it stopped
    assert "The last run failed" not in broken.page.split('id="titanic"')[0]  # iris ran fine
    # a later success replaces the failure
    assert "The last run failed" not in (root / "docs" / "index.html").read_text()


def test_two_dates_and_a_repeat_leave_two_predictions_each(daily):
    _, env, _, runs = daily
    for run in runs:
        assert run.returncode == 0, run.stderr[-2000:]
    assert predictions_count(env, "iris") == 2
    assert predictions_count(env, "titanic") == 2


def test_one_line_per_step_with_its_duration(daily):
    lines = daily[3][1].stdout.splitlines()
    steps = [line for line in lines if line.rstrip().endswith(" s")]
    assert [s.split()[0:3] for s in steps[:2]] == [["iris:", "feature", DAYS[1]], ["iris:", "inference", DAYS[1]]]
    assert "Dashboard:" in daily[3][1].stdout and "make apps" in daily[3][1].stdout
    # first, the backend: the key is set (fake) and SML_BACKEND=local wins, which the line says
    home = daily[1]["SML_HOME"]
    unused = "HOPSWORKS_API_KEY is set, but SML_BACKEND=local keeps it unused"
    assert lines[0] == f"Backend: the local store in {home} ({unused})"


def test_executed_notebooks_are_kept_and_rendered(daily):
    root = daily[0]
    assert len(list((root / "home" / "runs").iterdir())) == 3
    html = (root / "docs" / "runs" / "iris" / "iris_3_batch_inference_pipeline.html").read_text()
    assert "Uploaded 6 file(s) to Resources/images/iris" in html and "cdnjs" not in html  # an output, not source
    assert "<title>Iris 3: the batch inference pipeline</title>" in html and 'rel="icon"' in html
    assert 'rel="icon"' in (root / "docs" / "index.html").read_text()


def test_no_secret_is_written_anywhere(daily):
    root, _, broken, runs = daily
    outputs = [broken.stdout, broken.stderr] + [r.stdout + r.stderr for r in runs]
    written = [p for p in root.rglob("*") if p.is_file()]
    assert len(written) > 30
    for secret in SECRETS.values():
        assert not any(secret in text for text in outputs)
        for path in written:
            assert secret.encode() not in path.read_bytes(), f"{secret[:6]}... found in {path}"


def test_dashboard_in_a_real_browser(daily, tmp_path):
    from playwright.sync_api import sync_playwright

    docs = daily[0] / "docs"
    port = free_port()
    command = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(docs)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            failed: list[str] = []
            for width in (390, 1280):  # a phone and a laptop
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.on("requestfailed", lambda request: failed.append(request.url))
                page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))
                for attempt in range(50):
                    try:
                        page.goto(f"http://127.0.0.1:{port}/index.html", wait_until="networkidle")
                        break
                    except Exception:
                        if attempt == 49:
                            raise
                        page.wait_for_timeout(100)
                images = page.eval_on_selector_all(
                    "img", "els => els.map(e => ({src: e.src, alt: e.alt, w: e.naturalWidth, "
                           "shown: e.clientWidth}))")  # fmt: skip
                assert len(images) == 8  # four per dataset; the recent predictions are a table
                assert all(i["w"] > 0 for i in images), images
                charts = [i for i in images if re.search(r"/(confusion_matrix|accuracy)\.png(\?|$)", i["src"])]
                smallest = [i["shown"] / i["w"] * monitoring.CHART_FONT_PT * 100 / 72 for i in charts]
                assert len(charts) == 4 and min(smallest) >= 10, (width, smallest)  # chart text, px as shown
                assert all(i["alt"].strip() for i in images)
                assert all(i["src"].startswith(f"http://127.0.0.1:{port}/") for i in images)
                assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
                page.screenshot(path=str(REPO / ".pytest_cache" / f"dashboard-{width}.png"), full_page=True)
            browser.close()
        assert failed == []
    finally:
        server.kill()
        server.wait()
    assert "Model card" in (docs / "index.html").read_text()


def test_lab_check_passes_on_the_daily_runs(daily, titanic_csv):
    """`lab check` (docs/lab.md) on the system these daily runs built: every requirement met, no secret shown."""
    env = daily[1]
    with ThreadPoolExecutor() as pool:  # both datasets' checks at once: each only reads the store
        checks = {dataset: pool.submit(cli, env, "lab", "check", dataset) for dataset in ("iris", "titanic")}
    for dataset, check in checks.items():
        result = check.result()
        assert "Traceback" not in result.stderr, result.stderr
        assert not any(secret in result.stdout + result.stderr for secret in SECRETS.values())
        missing = [line for line in result.stdout.splitlines() if line.startswith("MISSING")]
        if dataset == "titanic" and not titanic_csv[1]:
            # the made-up CSV is not the lab's data: 300 passengers, not 891 (and cheaper fares than the app's example)
            assert "300 backfilled rows (event time before 2000-01-01), expected 891" in missing[0], result.stdout
            assert result.returncode == 1
            continue
        assert result.returncode == 0 and missing == [], result.stdout
        assert result.stdout.rstrip().endswith(f"{dataset}: 7 of 7 requirements met (all met)")


def test_lab_check_names_what_a_damaged_copy_lacks(daily, tmp_path):
    """A copy of the built system without its predictions and one image: those two lines, and only those, fail."""
    root, env = daily[0], dict(daily[1])
    for folder in ("home", "docs"):
        shutil.copytree(root / folder, tmp_path / folder)
        env[f"SML_{folder.upper()}"] = str(tmp_path / folder)
    (tmp_path / "docs" / "iris" / "accuracy.png").unlink()
    drop = ("import serverless_ml; serverless_ml.login().get_feature_store()"
            ".get_feature_group('iris_predictions', version=1).delete()")  # fmt: skip
    subprocess.run([sys.executable, "-c", drop], env=env, check=True, timeout=120)
    result = cli(env, "lab", "check", "iris")
    assert result.returncode == 1
    missing = [line for line in result.stdout.splitlines() if line.startswith("MISSING")]
    assert missing == [
        "MISSING  predictions        no predictions logged (feature group iris_predictions version 1): run "
        "notebooks/iris/1_feature_pipeline.ipynb for a day, then notebooks/iris/3_batch_inference_pipeline.ipynb",
        f"MISSING  monitoring images  accuracy.png missing in {tmp_path}/docs/iris: run "
        "notebooks/iris/3_batch_inference_pipeline.ipynb, which draws them",
    ], result.stdout


def test_bad_date_is_one_clear_line(sml_env):
    result = cli(dict(os.environ), "daily", "--date", "2026-99-01")
    assert result.returncode == 2
    assert result.stderr.strip() == "error: --date='2026-99-01' is not a date: expected YYYY-MM-DD, or None for today"


def test_modal_app_runs_the_daily_entry_point_once_a_day(monkeypatch):
    import modal

    from serverless_ml import cli, modal_app

    assert modal_app.SCHEDULE == "0 6 * * *"
    assert 'cron_string: "0 6 * * *"' in str(modal.Cron(modal_app.SCHEDULE).proto_message)
    assert isinstance(modal_app.daily, modal.Function)
    calls = []
    monkeypatch.setattr(cli, "main", lambda argv: calls.append(argv) or 0)
    monkeypatch.delenv("SML_BACKEND", raising=False)
    assert modal_app.daily.local() == 0
    assert calls == [["daily"]]
    assert os.environ["SML_BACKEND"] == "hopsworks"


@pytest.mark.parametrize("tool", ["check-jsonschema", "zizmor", "actionlint"])
def test_workflows_pass_the_checks(tool):
    workflows = sorted(str(p) for p in (REPO / ".github" / "workflows").glob("*.yml"))
    assert len(workflows) >= 2
    binary = str(Path(sys.executable).parent / tool)
    if tool == "zizmor":
        cmd = [binary, "--offline", "--min-severity", "medium", *workflows]
    elif tool == "actionlint":  # with shellcheck for the run: scripts, as make lint runs it
        cmd = [binary, "-shellcheck", str(Path(sys.executable).parent / "shellcheck"), *workflows]
    else:
        cmd = [binary, "--builtin-schema", "vendor.github-workflows", *workflows]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflow_actions_are_pinned_by_hash():
    import re

    for workflow in (REPO / ".github" / "workflows").glob("*.yml"):
        for line in workflow.read_text().splitlines():
            if "uses:" in line:
                assert re.search(r"@[0-9a-f]{40} # v\d", line), f"{workflow.name}: {line.strip()}"


def test_workflows_ask_pages_for_the_site_address():
    """A fork's dashboard is not always OWNER.github.io/REPO (a custom domain, a user site): every workflow that
    reads it takes configure-pages' `base_url`, none builds the address by hand."""
    readers = []
    for workflow in sorted((REPO / ".github" / "workflows").glob("*.yml")):
        text = workflow.read_text()
        assert "github.io" not in text, f"{workflow.name} builds the Pages address by hand"
        if "SML_PAGES_URL" in text or "/history/" in text:
            readers.append(workflow.name)
            assert "steps.pages.outputs.base_url" in text and "actions/configure-pages@" in text, workflow.name
    assert {"daily.yml", "lab.yml"} <= set(readers)
