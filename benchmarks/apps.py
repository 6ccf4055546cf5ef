"""Latency of the Iris app's /predict against an echo app with the same inputs, served the same way.

Both are real Gradio servers in their own processes, called 200 times each through gradio_client.
Run: `python benchmarks/apps.py` (or `make bench`).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import table

REPO = Path(__file__).resolve().parent.parent
CALLS = 200
ECHO = """
import gradio as gr
from serverless_ml.apps import NumberField
from serverless_ml.iris import DATASET as SPEC

IMAGE = str(SPEC.image("Setosa"))

def predict(sepal_length=None, sepal_width=None, petal_length=None, petal_width=None):
    return {"Setosa": 1.0, "Versicolor": 0.0, "Virginica": 0.0}, IMAGE

with gr.Blocks() as demo:
    names = ("sepal_length", "sepal_width", "petal_length", "petal_width")
    inputs = [NumberField(value="5", label=n) for n in names]
    label, image = gr.Label(), gr.Image(type="filepath")
    gr.Button().click(predict, inputs=inputs, outputs=[label, image], api_name="predict")
demo.launch()
"""


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(command: list[str], env: dict) -> tuple[subprocess.Popen, str]:
    port = _port()
    env = {**env, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port),
           "GRADIO_ANALYTICS_ENABLED": "False"}  # fmt: skip
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return process, f"http://127.0.0.1:{port}/"


def _latencies(url: str) -> np.ndarray:
    from gradio_client import Client

    deadline = time.monotonic() + 120
    while True:
        try:
            client = Client(url, verbose=False)
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    values = {"sepal_length": 5.9, "sepal_width": 3.0, "petal_length": 4.2, "petal_width": 1.3}
    for _ in range(10):  # warm up
        client.predict(**values, api_name="/predict")
    times = []
    for _ in range(CALLS):
        started = time.perf_counter()
        client.predict(**values, api_name="/predict")
        times.append(time.perf_counter() - started)
    return np.array(times) * 1000


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="bench_apps_"))
    env = {**os.environ, "SML_BACKEND": "local", "SML_HOME": str(home / "home"), "SML_DOCS": str(home / "docs")}
    os.environ.update({k: env[k] for k in ("SML_BACKEND", "SML_HOME", "SML_DOCS")})
    import serverless_ml
    from serverless_ml import iris
    from tests.e2e import register_model

    flowers = iris.backfill_frame()
    result = iris.train(flowers[iris.FEATURES], flowers[["variety"]])
    register_model(serverless_ml.login().get_model_registry(), iris.DATASET, result)

    results = {}
    for name, command in (("echo app (floor)", [sys.executable, "-c", ECHO]),
                          ("iris app", [sys.executable, "apps/iris/app.py"])):  # fmt: skip
        process, url = _serve(command, env)
        try:
            results[name] = _latencies(url)
        finally:
            process.terminate()
            process.wait(timeout=30)
    floor = np.percentile(results["echo app (floor)"], 50)
    rows = [
        (name, f"{np.percentile(t, 50):.1f}", f"{np.percentile(t, 99):.1f}", f"{np.percentile(t, 50) / floor:.2f}x")
        for name, t in results.items()
    ]
    print(f"{CALLS} calls of /predict through gradio_client, after 10 warm-up calls")
    print(table(rows, ("server", "p50 (ms)", "p99 (ms)", "p50 vs echo")))
    print("target: p50 within 1.3x of the echo app")


if __name__ == "__main__":
    main()
