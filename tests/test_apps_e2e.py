"""The four Gradio apps end to end: each built as a Space bundle and started as its own process from its folder."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from serverless_ml import iris, spaces, titanic
from tests.conftest import PYTHON, REPO, local_env

pytestmark = pytest.mark.slow

GOOD = {
    "iris": {"sepal_length": 6.0, "sepal_width": 2.7, "petal_length": 4.5, "petal_width": 1.5},
    "titanic": {"pclass": 1, "sex": "female", "age": 29.0, "sibsp": 0, "parch": 0, "fare": 30.0,
                "embarked": "S", "title": None, "surname": ""},
}  # fmt: skip
BAD = {
    "iris": [
        ({"sepal_length": 42.0}, r"\[sepal_length\] is 42.0: expected between 3 and 10"),
        ({"petal_width": -1.0}, r"\[petal_width\] is -1.0: expected between 0.05 and 3.5"),
        ({"sepal_width": None}, r"\[sepal_width\] is empty: expected between 1.5 and 5.5"),
        ({"petal_length": "long"}, r"\[petal_length\] must be a number, got 'long'"),
        ({"sepal_length": float("nan")}, r"\[sepal_length\] is nan: expected between"),
        ({"sepal_length": -3.0}, r"Sepal length \(cm\) \[sepal_length\] is -3.0: expected between 3 and 10"),
        ({"sepal_length": 500.0}, r"\[sepal_length\] is 500.0: expected between 3 and 10"),
        ({"sepal_length": ""}, r"\[sepal_length\] is empty: expected between 3 and 10"),
    ],
    "titanic": [
        ({"age": 200.0}, r"\[age\] is 200.0: expected between"),
        ({"sex": "robot"}, r"\[sex\] is 'robot': expected one of female, male"),
        ({"embarked": "X"}, r"\[embarked\] is 'X': expected one of Cherbourg, Queenstown, Southampton"),
        ({"pclass": None}, r"\[pclass\] is empty: expected one of 1st class, 2nd class, 3rd class"),
        ({"sibsp": 1.5}, r"\[sibsp\] must be a whole number, got 1.5"),
        ({"fare": float("nan")}, r"\[fare\] is nan: expected between"),
        ({"age": 500.0}, r"Age \(years\) \[age\] is 500.0: expected between 0 and 120"),
        ({"age": "old"}, r"\[age\] must be a number, got 'old': expected between 0 and 120"),
        ({"fare": 1600.0}, r"Fare \(pounds\) \[fare\] is 1600.0: expected between 0 and 1000"),
        ({"fare": None}, r"\[fare\] is empty: expected between 0 and 1000"),
        ({"pclass": "first"}, r"\[pclass\] is 'first': expected one of 1st class, 2nd class, 3rd class"),
    ],
}


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
    label, image, note = servers["clients"][app].predict(**GOOD[app], api_name="/predict")
    assert note == ""  # every input like the training data's
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
    label, *_ = servers["clients"][app].predict(**GOOD[app], api_name="/predict")  # still serving
    assert label["label"]


def test_an_age_of_85_is_answered_with_a_note_and_500_refused(servers):
    """The oldest passenger was 80; a person of 85 is not an error, a person of 500 is."""
    client = servers["clients"]["titanic"]
    label, _, note = client.predict(**{**GOOD["titanic"], "age": 85.0}, api_name="/predict")
    assert label["label"] in titanic.DATASET.class_names
    assert note.startswith("**Note:** Age (years) 85 is outside the training data (")  # its oldest: under 85
    with pytest.raises(Exception, match=r"\[age\] is 500.0: expected between 0 and 120"):
        client.predict(**{**GOOD["titanic"], "age": 500.0}, api_name="/predict")


def _prediction(client, **values) -> tuple[str, dict]:
    label, *_ = client.predict(**values, api_name="/predict")
    return label["label"], {c["label"]: c["confidence"] for c in label["confidences"]}


def test_names_and_codes_give_the_same_prediction(servers):
    client = servers["clients"]["titanic"]
    for pclass, port in [(1, "S"), (2, "C"), (3, "Q")]:
        codes = _prediction(client, **{**GOOD["titanic"], "pclass": pclass, "embarked": port})
        names = _prediction(client, **{**GOOD["titanic"], "pclass": titanic.DATASET.choice_names["pclass"][pclass],
                                       "embarked": titanic.DATASET.choice_names["embarked"][port]})  # fmt: skip
        assert names == codes


@pytest.mark.parametrize("app", ["iris", "titanic"])
def test_numbers_as_typed_in_the_form_give_the_same_prediction(servers, app):
    """The form sends the text typed ("6.0", " 29 "); the API may send numbers: the same values either way."""
    client = servers["clients"][app]
    typed = {k: f" {v:g} " if isinstance(v, float | int) else v for k, v in GOOD[app].items()}
    assert _prediction(client, **typed) == _prediction(client, **GOOD[app])


def test_titanic_age_and_port_may_be_missing(servers):
    client = servers["clients"]["titanic"]
    for missing in ({"age": None}, {"age": ""}, {"embarked": None}, {"age": None, "embarked": ""}):
        label, confidences = _prediction(client, **{**GOOD["titanic"], **missing})
        assert label in titanic.DATASET.class_names and sum(confidences.values()) == pytest.approx(1.0)


@pytest.mark.parametrize("app", ["iris", "titanic"])
def test_a_refusal_is_one_log_line_without_a_traceback(servers, app):
    field = {"iris": "sepal_length", "titanic": "fare"}[app]
    with pytest.raises(Exception, match="expected between"):
        servers["clients"][app].predict(**{**GOOD[app], field: 9999.0}, api_name="/predict")
    log = servers["logs"][app].read_text()
    refused = [line for line in log.splitlines() if f"[{field}] is 9999.0" in line]
    assert len(refused) == 1 and refused[0].startswith("refused: "), log[-3000:]
    assert "Traceback" not in log, log[-3000:]


@pytest.mark.parametrize("app", ["iris-monitoring", "titanic-monitoring"])
def test_monitoring_app_returns_its_images_and_table(servers, app):
    predicted, actual, table, matrix, accuracy, _ = servers["clients"][app].predict(api_name="/refresh")
    for image in (predicted, actual, matrix, accuracy):
        assert Path(image).stat().st_size > 1000
    assert len(table["data"]) >= 4 and "predicted" in table["headers"]


def _bundled_on(note: str) -> str:
    """The note's 'showing the images bundled on DAY, drawn DAY HH:MM UTC (AGE old).' part, checked."""
    today = time.strftime("%Y-%m-%d", time.gmtime())
    shown = rf"; showing the images bundled on {today}, drawn {today} \d\d:\d\d UTC \((\d+) minutes? old\)\.$"
    match = re.search(shown, note)
    assert match and int(match.group(1)) < 30, note
    return match.group(0)


def test_an_unreachable_dashboard_shows_the_bundled_images_and_their_age_once(servers):
    """titanic-monitoring's SML_PAGES_URL is a closed port on this machine: it shows its bundle, says so once."""
    client, log = servers["clients"]["titanic-monitoring"], servers["logs"]["titanic-monitoring"]
    first, second = (client.predict(api_name="/refresh") for _ in range(2))
    assert first[-1] == second[-1]  # the page says it on every refresh, the same
    note = first[-1]
    unreachable = f"The published dashboard could not be reached ({servers['unpublished']}/titanic/predicted.png: "
    assert note.startswith(unreachable) and "Connection refused" in note, note
    _bundled_on(note)
    for image in (first[0], first[1], first[3], first[4]):
        assert Path(image).stat().st_size > 1000
    text = log.read_text()  # the page load and both calls: one line in the log
    assert text.count(unreachable) == 1 and "Traceback" not in text and "cannot fetch" not in text, text[-3000:]


def test_without_a_dashboard_address_the_bundled_images_say_how_old_they_are(servers):
    *_, note = servers["clients"]["iris-monitoring"].predict(api_name="/refresh")
    assert note.startswith("SML_PAGES_URL is not set; showing the images bundled on "), note
    _bundled_on(note)


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


def test_the_bundles_run_from_their_own_requirements(servers, tmp_path):
    """A new virtual environment with only a bundle's requirements.txt imports every module its app imports and
    builds the app: each of the four, from its folder. uv installs offline from its cache, at the versions this
    machine has (a Space resolves the unpinned dependencies of these pins anew)."""
    uv = Path(PYTHON).parent / "uv"
    if not uv.exists():
        pytest.skip("uv is not in .venv (make install fell back to pip): no offline install from uv's cache")
    folders = list(servers["bundles"].values())
    requirements = {(folder / "requirements.txt").read_text() for folder in folders}
    assert len(requirements) == 1, requirements  # the same for all four here: one environment checks them all
    (tmp_path / "requirements.txt").write_text(requirements.pop())
    frozen = subprocess.run([uv, "pip", "freeze", "--python", PYTHON], capture_output=True, text=True, check=True)
    (tmp_path / "versions.txt").write_text("\n".join(line for line in frozen.stdout.splitlines()
                                                   if not line.startswith("-e ")))  # fmt: skip
    venv = tmp_path / "venv"
    subprocess.run([uv, "venv", "--quiet", "--python", PYTHON, venv], check=True, timeout=60)
    install = subprocess.run([uv, "pip", "install", "--quiet", "--offline", "--python", venv / "bin" / "python",
                              "-r", tmp_path / "requirements.txt", "-c", tmp_path / "versions.txt"],
                             capture_output=True, text=True, timeout=300)  # fmt: skip
    assert install.returncode == 0, install.stderr
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "GRADIO_ANALYTICS_ENABLED": "False"}
    result = subprocess.run([venv / "bin" / "python", "-I", REPO / "tests" / "bundle_imports.py", *folders],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    imported = {name.lower().replace("_", "-") for name in json.loads(result.stdout.splitlines()[-1])}
    listed = [line.split("==")[0] for line in (tmp_path / "requirements.txt").read_text().split()]
    assert {name.lower() for name in listed} <= imported, f"listed but never imported: {listed}"


def test_deploy_dry_run_lists_the_bundle(servers):
    env = {**os.environ, "SML_HOME": str(servers["root"] / "home"), "SML_DOCS": str(servers["root"] / "docs"),
           "SML_BACKEND": "local"}  # fmt: skip
    env.pop("HF_TOKEN", None)
    result = subprocess.run([PYTHON, "-m", "serverless_ml", "spaces", "deploy", "titanic", "--repo", "me/titanic",
                             "--dry-run"], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr
    listed = {line.strip() for line in result.stdout.splitlines()[1:]}
    assert {"app.py", "README.md", "requirements.txt", "model/model.joblib", "assets/titanic_died.png"} <= listed


def test_deploy_without_a_token_says_so(servers, monkeypatch):
    local_env(monkeypatch, servers["root"])
    monkeypatch.delenv("HF_TOKEN", raising=False)
    with pytest.raises(Exception, match="HF_TOKEN is not set"):
        spaces.deploy("iris", "me/iris")
