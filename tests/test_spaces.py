"""Space bundles and their upload (serverless_ml/spaces.py), against huggingface_hub's own signatures."""

from __future__ import annotations

import sys
from unittest import mock

import pytest
from huggingface_hub import HfApi

from serverless_ml import spaces
from serverless_ml.errors import ParameterError


def test_deploy_makes_the_space_uploads_and_sets_its_secret(sml_env, monkeypatch):
    # autospec: every call must bind to the installed HfApi's real signatures; nothing goes out
    api = mock.create_autospec(HfApi, instance=True)
    monkeypatch.setattr("huggingface_hub.HfApi", lambda token: api)
    monkeypatch.setenv("HF_TOKEN", "hf_test")
    monkeypatch.setenv("HOPSWORKS_API_KEY", "hw_test")
    monkeypatch.setenv("SML_PAGES_URL", "https://me.github.io/course")
    files = spaces.deploy("iris-monitoring", "me/iris-monitoring")
    assert "app.py" in files and "requirements.txt" in files
    api.create_repo.assert_called_once_with("me/iris-monitoring", repo_type="space", space_sdk="gradio", exist_ok=True)
    upload = api.upload_folder.call_args.kwargs
    assert upload["repo_id"] == "me/iris-monitoring" and upload["repo_type"] == "space"
    api.add_space_secret.assert_called_once_with("me/iris-monitoring", "HOPSWORKS_API_KEY", "hw_test")
    api.add_space_variable.assert_called_once_with("me/iris-monitoring", "SML_PAGES_URL", "https://me.github.io/course")


def test_a_dry_run_uploads_nothing(sml_env, monkeypatch):
    api = mock.create_autospec(HfApi, instance=True)
    monkeypatch.setattr("huggingface_hub.HfApi", lambda token: api)
    files = spaces.deploy("titanic-monitoring", "me/t", dry_run=True)
    assert "README.md" in files and not api.method_calls


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: spaces.deploy("iris", "no-owner"), "--repo 'no-owner' must be OWNER/NAME"),
        (lambda: spaces.build("wine", "/tmp/none"), "unknown app 'wine'"),
    ],
)
def test_bad_targets_are_named(sml_env, call, message):
    with pytest.raises(ParameterError, match=message):
        call()


def test_a_bundle_requires_only_what_the_app_imports(sml_env, tmp_path):
    spaces.build("iris-monitoring", tmp_path / "bundle")
    names = [line.split("==")[0] for line in (tmp_path / "bundle" / "requirements.txt").read_text().split()]
    assert names == spaces.BASE_REQUIREMENTS and "seaborn" not in names and "matplotlib" not in names


@pytest.mark.parametrize(
    ("app", "title", "emoji"),
    [("iris-monitoring", "Iris model monitoring", "📈"), ("titanic-monitoring", "Titanic model monitoring", "📈")],
)
def test_the_bundle_readme_is_a_space_card(sml_env, tmp_path, app, title, emoji):
    """The front matter as huggingface_hub reads a Space's README.md, and the steps to run it elsewhere."""
    from huggingface_hub import SpaceCard, SpaceCardData

    spaces.build(app, tmp_path / "bundle")
    card = SpaceCard.load(tmp_path / "bundle" / "README.md")
    assert isinstance(card.data, SpaceCardData)
    pins = dict(line.split("==") for line in (tmp_path / "bundle" / "requirements.txt").read_text().split())
    assert (card.data.title, card.data.emoji, card.data.sdk) == (title, emoji, "gradio")
    assert card.data.sdk_version == pins["gradio"]  # the Space's Gradio is the one the bundle was built with
    assert card.data.python_version == f"{sys.version_info.major}.{sys.version_info.minor}"  # not the Hub's 3.10
    assert card.data.app_file == "app.py" and (tmp_path / "bundle" / card.data.app_file).is_file()
    assert 0 < len(card.data.short_description) <= 60  # the Hub refuses a longer one
    assert f"```bash\n{spaces.RUN_STEPS}\n```" in card.text and "pip install -r requirements.txt" in card.text


def test_spaces_build_prints_the_steps_that_run_the_bundle(sml_env, tmp_path, capsys):
    from serverless_ml import cli

    assert cli.main(["spaces", "build", "iris-monitoring", str(tmp_path / "space")]) == 0
    out = capsys.readouterr().out
    assert f"  cd {tmp_path / 'space'}\n  python -m venv .venv && . .venv/bin/activate\n" in out
    assert out.endswith("  pip install -r requirements.txt\n  python app.py\n"), out


def test_a_monitoring_bundle_records_when_its_images_were_drawn(sml_env, tmp_path):
    import json
    import os
    from datetime import UTC, datetime

    from serverless_ml.datasets import IMAGES

    docs = tmp_path / "docs" / "iris"
    docs.mkdir(parents=True)
    for number, name in enumerate(IMAGES):
        (docs / name).write_bytes(b"png")
        os.utime(docs / name, (1_780_000_000 + number, 1_780_000_000 + number))
    (docs / "status.json").write_text("{}")
    spaces.build("iris-monitoring", tmp_path / "bundle")
    record = json.loads((tmp_path / "bundle" / "docs" / "iris" / spaces.BUNDLED_IMAGES).read_text())
    assert record["drawn"] == datetime.fromtimestamp(1_780_000_000 + len(IMAGES) - 1, UTC).isoformat()
    assert datetime.fromisoformat(record["bundled"]).date() == datetime.now(UTC).date()
    assert not (tmp_path / "bundle" / "docs" / "iris" / "status.json").exists()
