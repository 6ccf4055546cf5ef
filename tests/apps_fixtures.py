"""The four apps as real processes, each started from its Space bundle (for the e2e and the browser tests)."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from gradio_client import Client
from sklearn.linear_model import LogisticRegression

from serverless_ml import iris, monitoring, spaces, titanic
from serverless_ml.training import search_and_evaluate
from tests.conftest import PYTHON, free_port, local_env
from tests.e2e import register_model

APPS = ["iris", "titanic", "iris-monitoring", "titanic-monitoring"]


def _history(spec, labels) -> pd.DataFrame:
    days = pd.date_range("2026-01-01", periods=len(labels))
    return pd.DataFrame({spec.primary_key: range(len(labels)), spec.event_time: days, "predicted": labels[::-1],
                         "label": labels, "model_version": 1})  # fmt: skip


def running_apps(root: Path, titanic_csv: str) -> Iterator[dict]:
    """Train and register both models, draw monitoring images, build four bundles, start them; stop them after.

    Yields the root folder, the bundles, a gradio_client per app, the apps' addresses and their logs, and the
    published dashboard titanic-monitoring is given: an address on this machine where nothing listens (a site not
    yet published, or offline), so that it shows its bundled images; iris-monitoring is given none.
    """
    with pytest.MonkeyPatch.context() as mp:
        local_env(mp, root)
        import serverless_ml

        mr = serverless_ml.login().get_model_registry()
        flowers = iris.backfill_frame()
        register_model(mr, iris.DATASET, iris.train(flowers[iris.FEATURES], flowers[["variety"]]))
        passengers = titanic.backfill_frame(titanic_csv)
        # a logistic regression behind the Titanic pipeline, not the training lesson's three-family search
        # (test_titanic_notebooks.py): the apps serve whatever pipeline is registered
        logistic = [(titanic.pipeline(LogisticRegression(max_iter=2000), scale=True), {"model__C": [0.3, 1.0, 3.0]})]
        register_model(mr, titanic.DATASET, search_and_evaluate(passengers[titanic.INPUTS], passengers["survived"],
                                                                logistic, seed=0, repeats=1))  # fmt: skip
        monitoring.write_monitoring_images(
            _history(iris.DATASET, list(iris.VARIETIES) * 2), iris.DATASET, root / "docs" / "iris"
        )
        monitoring.write_monitoring_images(
            _history(titanic.DATASET, [0, 1, 1, 0]), titanic.DATASET, root / "docs" / "titanic"
        )
        bundles = {app: root / "bundles" / app for app in APPS}
        for app, folder in bundles.items():
            spaces.build(app, folder)
    processes, urls, logs = [], {}, {}
    unpublished = f"http://127.0.0.1:{free_port()}/serverless-ml"
    for app, folder in bundles.items():
        port = free_port()
        clean = {"PATH": os.environ["PATH"], "HOME": str(root), "GRADIO_SERVER_NAME": "127.0.0.1",
                 "GRADIO_SERVER_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False",
                 "PYTHONUNBUFFERED": "1"}  # fmt: skip
        if app == "titanic-monitoring":
            clean["SML_PAGES_URL"] = unpublished
        logs[app] = root / f"{app}.log"
        log = logs[app].open("w")
        processes.append(subprocess.Popen([PYTHON, "app.py"], cwd=folder, env=clean, stdout=log, stderr=log))
        urls[app] = f"http://127.0.0.1:{port}/"
    try:
        clients = {app: _connect(url, logs[app]) for app, url in urls.items()}
        yield {"root": root, "bundles": bundles, "clients": clients, "urls": urls, "logs": logs,
               "unpublished": unpublished}  # fmt: skip
    finally:
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
