"""The committed notebooks are clean lessons: no outputs, a parameters cell, markdown that teaches."""

from __future__ import annotations

import json

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
