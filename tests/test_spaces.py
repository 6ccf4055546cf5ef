"""Space bundles and their upload (serverless_ml/spaces.py), against huggingface_hub's own signatures."""

from __future__ import annotations

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
    readme = (tmp_path / "bundle" / "README.md").read_text()
    assert "title: Iris model monitoring" in readme and "app_file: app.py" in readme
