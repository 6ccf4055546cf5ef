"""The committed notebooks are clean lessons: no outputs, a parameters cell, markdown that teaches."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from serverless_ml.settings import REPO_ROOT

NOTEBOOKS = REPO_ROOT / "notebooks"

ALL = sorted(NOTEBOOKS.rglob("*.ipynb"))
PIPELINES = [p for p in ALL if p.name[0] in "123"]


def test_every_dataset_has_its_notebooks():
    names = {f"{p.parent.name}/{p.name}" for p in ALL}
    for dataset in ("iris", "titanic"):
        for stage in ("1_feature_pipeline", "2_training_pipeline", "3_batch_inference_pipeline"):
            assert f"{dataset}/{stage}.ipynb" in names
    assert "titanic/0_eda.ipynb" in names


@pytest.mark.parametrize("path", ALL, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_committed_without_outputs(path):
    cells = json.loads(path.read_text())["cells"]
    dirty = [
        i for i, c in enumerate(cells) if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))
    ]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs; clear them before committing"


@pytest.mark.parametrize("path", PIPELINES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_pipeline_notebooks_have_parameters_and_teach(path):
    cells = json.loads(path.read_text())["cells"]
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters' for papermill"
    assert sum(c["cell_type"] == "markdown" for c in cells) >= 2
    code_lines = [len("".join(c["source"]).splitlines()) for c in cells if c["cell_type"] == "code"]
    assert max(code_lines) <= 15, "a long cell's logic belongs in the package"


def _store_calls(path) -> list[tuple[str, dict]]:
    """Each feature-store or registry call of a notebook's code: its method and its literal arguments."""
    import ast

    methods = {
        "get_or_create_feature_group": "name",
        "get_feature_group": "name",
        "get_or_create_feature_view": "name",
        "get_feature_view": "name",
        "create_model": "name",
        "get_best_model": "name",
    }
    calls = []
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] != "code":
            continue
        for node in ast.walk(ast.parse("".join(cell["source"]))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) in methods:
                given = {
                    k.arg: ast.literal_eval(k.value)
                    for k in node.keywords
                    if isinstance(k.value, ast.Constant | ast.List)
                }
                positional = ("name", "metric", "direction") if node.func.attr == "get_best_model" else ("name",)
                for key, arg in zip(positional, node.args, strict=False):
                    given.setdefault(key, ast.literal_eval(arg))
                calls.append((node.func.attr, given))
    return calls


@pytest.mark.parametrize("path", PIPELINES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_lessons_name_what_the_record_names(path):
    """The notebooks write the names a learner sees in Hopsworks (`name="titanic", version=1`); the package's
    record of the dataset, which the daily job, the apps and the dashboard read, must name the same."""
    from serverless_ml import datasets

    spec = datasets.get(path.parent.name)
    calls = _store_calls(path)
    assert calls, "the lesson makes its feature store calls in plain sight"
    for method, given in calls:
        assert given.get("name") in (spec.name, spec.predictions_group), (method, given)
        if given.get("name") == spec.name and "version" in given:
            expected = spec.feature_view_version if "view" in method else spec.feature_group_version
            assert given["version"] == expected, (method, given)
        if "primary_key" in given:
            assert given["primary_key"] == [spec.primary_key], (method, given)
        if "event_time" in given:
            assert given["event_time"] == spec.event_time, (method, given)
        if method == "get_or_create_feature_group" and given["name"] == spec.name:
            assert given["description"] == spec.description
        if "labels" in given:
            assert given["labels"] == [spec.label]
        if method == "get_best_model":
            assert (given["metric"], given["direction"]) == (spec.metric, spec.direction)


def extra_keys() -> str:
    """What the Makefile's git filter strips beyond nbstripout's defaults (one place for both)."""
    return re.search(r"^NOTEBOOK_EXTRA_KEYS := (.+)$", (REPO_ROOT / "Makefile").read_text(), re.M).group(1)


@pytest.mark.parametrize("path", ALL, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_committed_as_the_git_filter_strips_them(path):
    """Each notebook is what nbstripout (the git filter `make install` sets) makes of it, so a notebook run
    and saved compares equal to the committed one once its outputs are stripped."""
    nbstripout = Path(sys.executable).with_name("nbstripout")
    stripped = subprocess.run(
        [str(nbstripout), "-t", "--extra-keys", extra_keys(), str(path)], capture_output=True, text=True, check=True
    ).stdout
    assert stripped == path.read_text(), f'{path.name}: run nbstripout --extra-keys "{extra_keys()}" on it'
