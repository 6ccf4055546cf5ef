"""A third dataset added in one place: its module and three notebooks in a temporary folder.

Built from scikit-learn's bundled wine data, registered with `SML_DATASETS`, and run through the
daily command, the dashboard and its prediction app, with no shared module changed. A twin,
`wine_bad`, draws an impossible daily wine: its feature group's strict expectation suite refuses it
while `wine` runs on.
"""

from __future__ import annotations

import os
import re
import subprocess
import textwrap
import time
from pathlib import Path

import nbformat
import pytest
from gradio_client import Client
from PIL import Image

from tests.conftest import PYTHON, REPO, free_port

pytestmark = pytest.mark.slow

MODULE = '''
"""Wine: three cultivars from four measurements (scikit-learn's bundled copy)."""

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_wine
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from serverless_ml.datasets import Dataset
from serverless_ml.samples import BACKFILL_TIME, daily_event_time, daily_id, rng_for
from serverless_ml.training import TrainingResult, label_series, search_and_evaluate

HERE = Path(__file__).parent
FEATURES = ["alcohol", "malic_acid", "color_intensity", "proline"]
BROKEN = __BROKEN__  # the twin's generator draws an alcohol content no wine has
DATASET = Dataset(
    name="__NAME__",
    title="Wine: which cultivar?",
    blurb="A synthetic wine a day.",
    label="cultivar",
    classes=(0, 1, 2),
    class_names=("Barolo", "Grignolino", "Barbera"),
    images={c: str(HERE / f"wine_{c}.png") for c in (0, 1, 2)},
    primary_key="id",
    description="Wines: four measurements and the cultivar",
    input_kinds=dict.fromkeys(FEATURES, "number"),
    input_labels={"alcohol": "Alcohol (%)", "malic_acid": "Malic acid (g/l)",
                  "color_intensity": "Colour intensity", "proline": "Proline (mg/l)"},
    examples=[[13.2, 1.8, 4.4, 1050.0]],
    app_title="Which wine is this?",
    notebooks=HERE / "notebooks___NAME__",
)


def backfill_frame():
    bunch = load_wine(as_frame=True)
    frame = bunch.data[FEATURES].copy()
    frame["cultivar"] = bunch.target.astype("int64")
    frame.insert(0, "id", np.arange(len(frame), dtype="int64"))
    frame["event_time"] = BACKFILL_TIME
    return frame


def synthetic_wine(stored, run_date):
    rng = rng_for(run_date, None, "wine")
    row = stored.iloc[[int(rng.integers(len(stored)))]].reset_index(drop=True)
    row["id"] = np.int64(daily_id(run_date))
    row["event_time"] = daily_event_time(run_date)
    if BROKEN:
        row["alcohol"] = row["alcohol"] * 100
    return row


def train(X, y, seed=0):
    pipeline = Pipeline([("scale", StandardScaler()), ("knn", KNeighborsClassifier())])
    return search_and_evaluate(X[FEATURES], label_series(y, "cultivar"), [(pipeline, {"knn__n_neighbors": [5]})], seed)
'''

FEATURE = """
import great_expectations as gx
import serverless_ml, wine
from serverless_ml.parameters import parse_run_date
from serverless_ml.samples import DAILY_START

D = wine.DATASET
fs = serverless_ml.login().get_feature_store()
fg = fs.get_or_create_feature_group(name=D.name, version=D.feature_group_version, primary_key=[D.primary_key],
                                    event_time=D.event_time, description=D.description)
alcohol = gx.expectations.ExpectColumnValuesToBeBetween(column="alcohol", min_value=10, max_value=16)
suite = gx.ExpectationSuite(name=D.name, expectations=[alcohol])
fg.save_expectation_suite(suite, validation_ingestion_policy="strict")
rows = wine.backfill_frame() if BACKFILL else wine.synthetic_wine(fg.read(end_time=DAILY_START),
                                                                 parse_run_date(RUN_DATE))
fg.insert(rows, wait=True)
"""

TRAINING = """
import tempfile
from pathlib import Path

import serverless_ml, wine
from serverless_ml import model_files
from serverless_ml.samples import DAILY_START

D = wine.DATASET
project = serverless_ml.login()
fs = project.get_feature_store()
fg = fs.get_feature_group(D.name, version=D.feature_group_version)
fv = fs.get_or_create_feature_view(name=D.name, version=1, query=fg.select_except([D.primary_key, D.event_time]),
                                   labels=[D.label])
X, y = fv.training_data(end_time=DAILY_START)
result = wine.train(X, y)
folder = model_files.write_model_folder(Path(tempfile.mkdtemp()) / "wine", result.pipeline, result.X_train,
                                        D.input_kinds)
model = project.get_model_registry().python.create_model(name=D.model_name, metrics=result.metrics,
                                                         feature_view=fv)
model.save(str(folder))
"""

INFERENCE = """
import serverless_ml, wine
from serverless_ml import inference, model_files, monitoring
from serverless_ml.parameters import parse_run_date

D = wine.DATASET
run_date = parse_run_date(RUN_DATE)
project = serverless_ml.login()
fs = project.get_feature_store()
model = D.best_model(project.get_model_registry())
pipeline = model_files.load_pipeline(model.download())
start, end = inference.inference_window(run_date)
samples = fs.get_feature_group(D.name, version=1).read(start_time=start, end_time=end)
log = fs.get_or_create_feature_group(name=D.predictions_group, version=1, primary_key=[D.primary_key],
                                     event_time=D.event_time)
new = inference.unscored(samples, inference.logged_predictions(log), D.primary_key)
if len(new):
    log.insert(inference.prediction_rows(pipeline, model.version, new, D, run_date), wait=True)
monitoring.write_monitoring_images(inference.logged_predictions(log), D, monitoring.output_dir(OUTPUT_DIR, D.name))
"""


def _notebook(folder: Path, name: str, parameters: str, body: str) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(parameters), nbformat.v4.new_code_cell(textwrap.dedent(body))]
    notebook.cells[0].metadata["tags"] = ["parameters"]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, folder / name)


@pytest.fixture(scope="module")
def wine(tmp_path_factory):
    root = tmp_path_factory.mktemp("wine")
    package = root / "src"
    package.mkdir()
    for value, colour in enumerate(["darkred", "goldenrod", "purple"]):
        Image.new("RGB", (200, 200), colour).save(package / f"wine_{value}.png")
    for name, broken in (("wine", False), ("wine_bad", True)):
        (package / f"{name}.py").write_text(MODULE.replace("__NAME__", name).replace("__BROKEN__", str(broken)))
        folder = package / f"notebooks_{name}"
        folder.mkdir()
        own = {body: body.replace("import serverless_ml, wine", f"import serverless_ml, {name} as wine")
               for body in (FEATURE, TRAINING, INFERENCE)}  # fmt: skip
        _notebook(folder, "1_feature_pipeline.ipynb", "BACKFILL = False\nRUN_DATE = None", own[FEATURE])
        _notebook(folder, "2_training_pipeline.ipynb", "SEED = 0", own[TRAINING])
        _notebook(folder, "3_batch_inference_pipeline.ipynb", "RUN_DATE = None\nOUTPUT_DIR = None", own[INFERENCE])
    env = {**os.environ, "SML_BACKEND": "local", "SML_HOME": str(root / "home"), "SML_DOCS": str(root / "docs"),
           "SML_DATASETS": "wine,wine_bad", "PYTHONPATH": os.pathsep.join([str(package), str(REPO)])}  # fmt: skip
    env.pop("HOPSWORKS_API_KEY", None)
    daily = subprocess.run([PYTHON, "-m", "serverless_ml", "daily", "--date", "2026-03-01"], cwd=REPO, env=env,
                           capture_output=True, text=True, timeout=900)  # fmt: skip
    return root, env, daily


def test_the_daily_command_runs_it(wine):
    root, _, daily = wine
    assert "wine: inference 2026-03-01" in daily.stdout and "iris" not in daily.stdout, daily.stderr[-3000:]
    assert sorted(p.name for p in (root / "docs" / "wine").glob("*.png")) == sorted(
        ["predicted.png", "actual.png", "recent.png", "confusion_matrix.png", "accuracy.png"]
    )


def test_a_sample_that_breaks_the_suite_stops_its_dataset_only(wine):
    root, env, daily = wine
    assert daily.returncode == 1
    failure = next(line for line in daily.stderr.splitlines() if line.startswith("FAILED wine_bad"))
    assert "DataValidationException: Data validation failed while validation ingestion policy set to strict" in failure
    assert "insertion to wine_bad was aborted" in failure
    assert "FAILED wine:" not in daily.stderr
    fs = "serverless_ml.login().get_feature_store()"
    code = f"import serverless_ml; print(len({fs}.get_feature_group('wine_bad', 1).read()))"
    stored = subprocess.run([PYTHON, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert stored.strip() == "178"  # the backfill only: nothing of the refused day was written
    executed = next((root / "home" / "runs").glob("*/wine_bad_1_feature_pipeline.ipynb")).read_text()
    assert "expect_column_values_to_be_between on column 'alcohol'" in executed
    assert re.search(r"for example \d{3,}\.\d", executed)  # the impossible alcohol content it drew
    page = (root / "docs" / "index.html").read_text().split('id="wine_bad"')[1]
    assert "The last run failed" in page and "DataValidationException" in page


def test_the_dashboard_shows_it(wine):
    root, _, _ = wine
    page = (root / "docs" / "index.html").read_text()
    assert "Wine: which cultivar?" in page and 'src="wine/confusion_matrix.png' in page


def test_its_prediction_app_answers(wine):
    root, env, _ = wine
    port = free_port()
    log = (root / "app.log").open("w")
    app = subprocess.Popen([PYTHON, "-m", "serverless_ml", "app", "wine"], cwd=root, stdout=log, stderr=log,
                           env={**env, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port),
                                "GRADIO_ANALYTICS_ENABLED": "False"})  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                client = Client(f"http://127.0.0.1:{port}/", verbose=False)
                break
            except Exception:
                assert time.monotonic() < deadline, (root / "app.log").read_text()[-3000:]
                time.sleep(0.5)
        label, *_ = client.predict(alcohol=13.2, malic_acid=1.8, color_intensity=4.4, proline=1050.0,
                                   api_name="/predict")  # fmt: skip
        assert label["label"] in {"Barolo", "Grignolino", "Barbera"}
        with pytest.raises(Exception, match=r"Alcohol \(%\) \[alcohol\] is 99.0: expected between"):
            client.predict(alcohol=99.0, malic_acid=1.8, color_intensity=4.4, proline=1050.0, api_name="/predict")
    finally:
        app.terminate()
        app.wait(timeout=30)
