"""The four Gradio apps end to end: each built as a Space bundle and started as its own process from its folder."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from gradio_client import Client

from serverless_ml import iris, monitoring, spaces, titanic
from tests.conftest import PYTHON, REPO, free_port, local_env
from tests.e2e import register_model

pytestmark = pytest.mark.slow

APPS = ["iris", "titanic", "iris-monitoring", "titanic-monitoring"]
GOOD = {
    "iris": {"sepal_length": 6.0, "sepal_width": 2.7, "petal_length": 4.5, "petal_width": 1.5},
    "titanic": {"pclass": 1, "sex": "female", "age": 29.0, "sibsp": 0, "parch": 0, "fare": 30.0,
                "embarked": "S", "title": None, "surname": ""},
}  # fmt: skip
BAD = {
    "iris": [
        ({"sepal_length": 42.0}, r"\[sepal_length\] is 42.0: expected between 4.3 and 7.9"),
        ({"petal_width": -1.0}, r"\[petal_width\] is -1.0: expected between 0.1 and 2.5"),
        ({"sepal_width": None}, r"\[sepal_width\] is empty: expected between 2 and 4.4"),
        ({"petal_length": "long"}, r"\[petal_length\] must be a number, got 'long'"),
        ({"sepal_length": float("nan")}, r"\[sepal_length\] is nan: expected between"),
    ],
    "titanic": [
        ({"age": 200.0}, r"\[age\] is 200.0: expected between"),
        ({"sex": "robot"}, r"\[sex\] is 'robot': expected one of female, male"),
        ({"embarked": "X"}, r"\[embarked\] is 'X': expected one of Cherbourg, Queenstown, Southampton"),
        ({"pclass": None}, r"\[pclass\] is empty: expected one of 1st class, 2nd class, 3rd class"),
        ({"sibsp": 1.5}, r"\[sibsp\] must be a whole number, got 1.5"),
        ({"fare": float("nan")}, r"\[fare\] is nan: expected between"),
    ],
}


def _history(spec, labels) -> pd.DataFrame:
    days = pd.date_range("2026-01-01", periods=len(labels))
    return pd.DataFrame({spec.primary_key: range(len(labels)), spec.event_time: days, "predicted": labels[::-1],
                         "label": labels, "model_version": 1})  # fmt: skip


@pytest.fixture(scope="module")
def servers(tmp_path_factory, titanic_csv):
    """Train and register both models, draw monitoring images, build four bundles, start them."""
    root = tmp_path_factory.mktemp("apps")
    with pytest.MonkeyPatch.context() as mp:
        local_env(mp, root)
        import serverless_ml

        mr = serverless_ml.login().get_model_registry()
        flowers = iris.backfill_frame()
        register_model(mr, iris.DATASET, iris.train(flowers[iris.FEATURES], flowers[["variety"]]))
        passengers = titanic.backfill_frame(titanic_csv[0])
        result = titanic.train(passengers[titanic.INPUTS], passengers[["survived"]])
        register_model(mr, titanic.DATASET, result)
        monitoring.write_monitoring_images(
            _history(iris.DATASET, list(iris.VARIETIES) * 2), iris.DATASET, root / "docs" / "iris"
        )
        monitoring.write_monitoring_images(
            _history(titanic.DATASET, [0, 1, 1, 0]), titanic.DATASET, root / "docs" / "titanic"
        )
        bundles = {app: root / "bundles" / app for app in APPS}
        for app, folder in bundles.items():
            spaces.build(app, folder)
    processes, urls = [], {}
    for app, folder in bundles.items():
        port = free_port()
        clean = {"PATH": os.environ["PATH"], "HOME": str(root), "GRADIO_SERVER_NAME": "127.0.0.1",
                 "GRADIO_SERVER_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False"}  # fmt: skip
        log = (root / f"{app}.log").open("w")
        processes.append(subprocess.Popen([PYTHON, "app.py"], cwd=folder, env=clean, stdout=log, stderr=log))
        urls[app] = f"http://127.0.0.1:{port}/"
    clients = {app: _connect(url, root / f"{app}.log") for app, url in urls.items()}
    yield {"root": root, "bundles": bundles, "clients": clients, "urls": urls}
    for process in processes:
        process.terminate()
        process.wait(timeout=30)


def _connect(url: str, log: Path) -> Client:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            return Client(url, verbose=False)
        except Exception:
            time.sleep(0.5)
    raise AssertionError(f"{url} never answered:\n{log.read_text()[-3000:]}")


def _raw_call(url: str, values: list) -> str:
    """Call /predict over plain HTTP, which (unlike gradio_client) can send NaN; return the event stream."""
    body = json.dumps({"data": values}).encode()
    request = urllib.request.Request(f"{url}gradio_api/call/predict", data=body,
                                     headers={"Content-Type": "application/json"})  # fmt: skip
    with urllib.request.urlopen(request, timeout=30) as response:
        event = json.loads(response.read())["event_id"]
    with urllib.request.urlopen(f"{url}gradio_api/call/predict/{event}", timeout=30) as response:
        return response.read().decode()


@pytest.mark.parametrize("app", ["iris", "titanic"])
def test_predict_gives_a_class_and_probabilities(servers, app):
    label, image = servers["clients"][app].predict(**GOOD[app], api_name="/predict")
    spec = iris.DATASET if app == "iris" else titanic.DATASET
    assert label["label"] in spec.class_names
    assert sum(c["confidence"] for c in label["confidences"]) == pytest.approx(1.0)
    assert {c["label"] for c in label["confidences"]} == set(spec.class_names)
    assert Path(image).stat().st_size > 1000


@pytest.mark.parametrize("app", ["iris", "titanic"])
def test_api_parameters_are_the_raw_features(servers, app):
    api = servers["clients"][app].view_api(return_format="dict", print_info=False)
    names = [p["parameter_name"] for p in api["named_endpoints"]["/predict"]["parameters"]]
    assert names == list(GOOD[app])


@pytest.mark.parametrize(("app", "change", "message"), [(a, c, m) for a in BAD for c, m in BAD[a]])
def test_bad_input_is_refused_naming_the_field(servers, app, change, message):
    import re

    values = {**GOOD[app], **change}
    if any(isinstance(v, float) and np.isnan(v) for v in change.values()):
        stream = _raw_call(servers["urls"][app], list(values.values()))
        assert "event: error" in stream and re.search(message, stream), stream
    else:
        with pytest.raises(Exception, match=message):
            servers["clients"][app].predict(**values, api_name="/predict")
    label, _ = servers["clients"][app].predict(**GOOD[app], api_name="/predict")  # still serving
    assert label["label"]


@pytest.mark.parametrize("app", ["iris-monitoring", "titanic-monitoring"])
def test_monitoring_app_returns_its_images_and_table(servers, app):
    predicted, actual, table, matrix, accuracy = servers["clients"][app].predict(api_name="/refresh")
    for image in (predicted, actual, matrix, accuracy):
        assert Path(image).stat().st_size > 1000
    assert len(table["data"]) >= 4 and "predicted" in table["headers"]


def test_bundles_are_complete_spaces(servers):
    import gradio

    for folder in servers["bundles"].values():
        readme = (folder / "README.md").read_text()
        assert readme.startswith("---\n") and f"sdk_version: {gradio.__version__}\n" in readme
        assert "sdk: gradio\n" in readme and "app_file: app.py\n" in readme and "title: " in readme
        requirements = (folder / "requirements.txt").read_text().split()
        assert requirements and all("==" in r for r in requirements)
        assert "hopsworks" not in " ".join(requirements) and "jupyter" not in " ".join(requirements)
        assert (folder / "serverless_ml" / "apps.py").exists() and (folder / "assets").is_dir()
    assert (servers["bundles"]["iris"] / "model" / "model.joblib").exists()
    assert (servers["bundles"]["titanic-monitoring"] / "docs" / "titanic" / "accuracy.png").exists()


def test_deploy_dry_run_lists_the_bundle(servers):
    env = {**os.environ, "SML_HOME": str(servers["root"] / "home"), "SML_DOCS": str(servers["root"] / "docs"),
           "SML_BACKEND": "local"}  # fmt: skip
    env.pop("HF_TOKEN", None)
    result = subprocess.run([PYTHON, "-m", "serverless_ml", "spaces", "deploy", "titanic", "--repo", "me/titanic",
                             "--dry-run"], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr
    listed = {line.strip() for line in result.stdout.splitlines()[1:]}
    assert {"app.py", "README.md", "requirements.txt", "model/model.joblib", "assets/titanic_died.png"} <= listed


def test_deploy_calls_match_the_installed_huggingface_hub():
    """Our create_repo/upload_folder/add_space_secret calls bind to huggingface_hub's real signatures."""
    from huggingface_hub import HfApi

    api = HfApi(token="x")
    inspect.signature(api.create_repo).bind("me/app", repo_type="space", space_sdk="gradio", exist_ok=True)
    inspect.signature(api.upload_folder).bind(repo_id="me/app", folder_path="/tmp", repo_type="space",
                                              commit_message="m")  # fmt: skip
    inspect.signature(api.add_space_secret).bind("me/app", "HOPSWORKS_API_KEY", "value")
    inspect.signature(api.add_space_variable).bind("me/app", "SML_PAGES_URL", "https://me.github.io/repo")
    source = inspect.getsource(spaces.deploy)
    assert 'create_repo(repo, repo_type="space", space_sdk="gradio", exist_ok=True)' in source
    assert 'add_space_secret(repo, "HOPSWORKS_API_KEY", settings.hopsworks_api_key)' in source


def test_deploy_without_a_token_says_so(servers, monkeypatch):
    local_env(monkeypatch, servers["root"])
    monkeypatch.delenv("HF_TOKEN", raising=False)
    with pytest.raises(Exception, match="HF_TOKEN is not set"):
        spaces.deploy("iris", "me/iris")
