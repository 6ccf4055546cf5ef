"""The Gradio apps: try a model (prediction) and watch it (monitoring), for every registered dataset."""

from __future__ import annotations

import math
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from serverless_ml import datasets
from serverless_ml.datasets import IMAGES, TABLE, Dataset
from serverless_ml.errors import ParameterError, RunFirstError
from serverless_ml.model_files import MODEL_FILE, load_inputs, load_pipeline
from serverless_ml.settings import REPO_ROOT, get_settings

#: A Space bundle carries its model here, beside app.py.
BUNDLED_MODEL = REPO_ROOT / "model"


def model_folder(dataset: Dataset) -> Path:
    """The model's files: the bundled copy in a Space, else the best registered version."""
    if (BUNDLED_MODEL / MODEL_FILE).exists():
        return BUNDLED_MODEL
    import serverless_ml

    model = dataset.best_model(serverless_ml.login().get_model_registry())
    if model is None:
        raise RunFirstError(
            f"no {dataset.name} model is registered yet: run `make run` (or the training notebook) first"
        )
    return Path(model.download())


class Predictor:
    """A registered pipeline with what each of its inputs takes; checks inputs before predicting."""

    def __init__(self, dataset: Dataset, folder: Path | None = None) -> None:
        folder = folder or model_folder(dataset)
        self.dataset = dataset
        self.pipeline = load_pipeline(folder)
        self.inputs: dict[str, dict] = load_inputs(folder)

    def label(self, name: str) -> str:
        return self.dataset.input_labels.get(name, name)

    def check(self, name: str, value: Any) -> Any:
        """The value if input `name` may take it; otherwise a `ParameterError` naming the field and what it takes."""
        entry, label = self.inputs[name], self.label(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if entry["optional"]:
                return None if entry["kind"] != "text" else ""
            raise ParameterError(f"{label} [{name}] is empty: {self._allowed(name)}")
        if entry["kind"] in ("number", "integer"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ParameterError(f"{label} [{name}] must be a number, got {value!r}: {self._allowed(name)}")
            if math.isnan(value) or not entry["minimum"] <= value <= entry["maximum"]:
                raise ParameterError(f"{label} [{name}] is {value}: {self._allowed(name)}")
            if entry["kind"] == "integer" and value != int(value):
                raise ParameterError(f"{label} [{name}] must be a whole number, got {value}")
            return int(value) if entry["kind"] == "integer" else float(value)
        if entry["kind"] == "category":
            names = {str(k): v for k, v in self.dataset.choice_names.get(name, {}).items()}
            # a stored value ("S", 1) or its readable name ("Southampton", "1st class")
            matches = [c for c in entry["choices"] if str(value).strip() in (str(c), names.get(str(c)))]
            if not matches:
                raise ParameterError(f"{label} [{name}] is {value!r}: {self._allowed(name)}")
            return matches[0]
        return str(value).strip()

    def _allowed(self, name: str) -> str:
        entry = self.inputs[name]
        if entry["kind"] in ("number", "integer"):
            whole = "a whole number " if entry["kind"] == "integer" else ""
            return f"expected {whole}between {entry['minimum']:g} and {entry['maximum']:g}"
        if entry["kind"] == "category":
            names = {str(k): v for k, v in self.dataset.choice_names.get(name, {}).items()}
            return "expected one of " + ", ".join(names.get(str(c), str(c)) for c in entry["choices"])
        return "expected text"

    def predict(self, **values: Any) -> tuple[dict[str, float], str]:
        """Class probabilities (named) and the image of the most likely class."""
        row = {name: self.check(name, values.get(name)) for name in self.inputs}
        frame = pd.DataFrame([row], columns=list(self.pipeline.feature_names_in_))
        probabilities = self.pipeline.predict_proba(frame)[0]
        classes = list(self.pipeline.classes_)
        named = {self.dataset.display(c): float(p) for c, p in zip(classes, probabilities, strict=True)}
        best = classes[int(probabilities.argmax())]
        return named, str(self.dataset.image(best))


def _refusing(predict: Any) -> Any:
    """`predict`, with a refused input shown in the app as an error and logged as one line."""
    import functools

    @functools.wraps(predict)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return predict(*args, **kwargs)
        except ParameterError as error:
            print(f"refused: {error}", flush=True)
            raise gr.Error(str(error), title="Check the input", print_exception=False) from None

    return wrapper


class CheckedSlider(gr.Slider):
    """A slider that hands its value over unchecked, so `Predictor.check` can name the field."""

    def get_block_name(self) -> str:
        return "slider"

    def preprocess(self, payload: Any) -> Any:
        return payload


def _component(predictor: Predictor, name: str) -> gr.components.Component:
    entry, label = predictor.inputs[name], predictor.label(name)
    if entry["kind"] in ("number", "integer"):
        step = 1 if entry["kind"] == "integer" or name == "age" else 0.1
        return CheckedSlider(entry["minimum"], entry["maximum"], value=entry["default"], step=step, label=label)
    if entry["kind"] == "category":  # custom values reach `Predictor.check`, which names the field
        names = predictor.dataset.choice_names.get(name, {})
        choices = [(str(names.get(c, c)), c) for c in entry["choices"]]
        return gr.Dropdown(choices, value=entry["default"], label=label, allow_custom_value=True)
    return gr.Textbox(value="", label=label)


def prediction_app(name: str, predictor: Predictor | None = None) -> gr.Blocks:
    """Try the model: one input per raw feature, the predicted class with its probabilities and image."""
    dataset = datasets.get(name)
    predictor = predictor or Predictor(dataset)
    names = list(predictor.inputs)

    # Gradio names the API parameters after the function's: spell them out, one per raw feature.
    signature = ", ".join(f"{n}=None" for n in names)
    namespace: dict[str, Any] = {"predictor": predictor}
    exec(f"def predict({signature}):\n    return predictor.predict({', '.join(f'{n}={n}' for n in names)})", namespace)
    predict = _refusing(namespace["predict"])
    predict.__doc__ = f"Predict the {dataset.label} from {', '.join(names)}."

    title = dataset.app_title
    with gr.Blocks(title=title) as demo:
        gr.Markdown(f"# {title}\nThe best registered {dataset.name} model. Set the inputs and press **Predict**.")
        with gr.Row():
            with gr.Column():
                inputs = [_component(predictor, n) for n in names]
                button = gr.Button("Predict", variant="primary")
            with gr.Column():
                label = gr.Label(label="Prediction", num_top_classes=len(dataset.classes))
                image = gr.Image(label="Predicted class", type="filepath", interactive=False)
        gr.Examples(dataset.examples, inputs=inputs)
        button.click(predict, inputs=inputs, outputs=[label, image], api_name="predict")
    return demo


# ----------------------------------------------------------------------------- monitoring


def fetch_monitoring_files(dataset: str, target: Path) -> Path:
    """The newest monitoring images and table, from Hopsworks, a Pages address, or `SML_DOCS`."""
    settings = get_settings()
    target.mkdir(parents=True, exist_ok=True)
    names = [*IMAGES, TABLE]
    if settings.backend == "hopsworks":
        import serverless_ml

        api = serverless_ml.login().get_dataset_api()
        for name in names:
            api.download(f"Resources/images/{dataset}/{name}", str(target / name), overwrite=True)
        return target
    pages = settings.pages_url
    if pages:
        for name in names:
            try:
                with urllib.request.urlopen(f"{pages}/{dataset}/{name}", timeout=20) as response:
                    (target / name).write_bytes(response.read())
            except (urllib.error.URLError, TimeoutError) as error:
                raise gr.Error(f"cannot fetch {pages}/{dataset}/{name}: {error}") from None
        return target
    return settings.docs / dataset


def monitoring_app(name: str) -> gr.Blocks:
    """Watch the model: the newest images and recent predictions, refreshed without a restart."""
    dataset = datasets.get(name).name
    cache = Path(tempfile.mkdtemp(prefix=f"{dataset}_monitoring_"))

    def refresh() -> tuple:
        folder = fetch_monitoring_files(dataset, cache)
        missing = [n for n in IMAGES if not (folder / n).exists()]
        if missing:
            raise gr.Error(f"no monitoring images yet in {folder} (missing {', '.join(missing)}): run the daily job")
        table = pd.read_csv(folder / TABLE) if (folder / TABLE).exists() else pd.DataFrame()
        return (*(str(folder / n) for n in ("predicted.png", "actual.png")), table,
                str(folder / "confusion_matrix.png"), str(folder / "accuracy.png"))  # fmt: skip

    with gr.Blocks(title=f"{dataset.capitalize()} model monitoring") as demo:
        gr.Markdown(f"# {dataset.capitalize()}: how is the model doing?\nRefreshed every minute.")
        with gr.Row():
            predicted = gr.Image(label="Newest sample, predicted", type="filepath", interactive=False)
            actual = gr.Image(label="Newest sample, actual", type="filepath", interactive=False)
        recent = gr.Dataframe(label="Recent predictions (newest first)", interactive=False)
        with gr.Row():
            matrix = gr.Image(label="Confusion matrix", type="filepath", interactive=False)
            accuracy = gr.Image(label="Accuracy over time", type="filepath", interactive=False)
        button = gr.Button("Refresh")
        outputs = [predicted, actual, recent, matrix, accuracy]
        button.click(refresh, outputs=outputs, api_name="refresh")
        gr.Timer(60).tick(refresh, outputs=outputs, api_name=False)
        demo.load(refresh, outputs=outputs, api_name=False)
    return demo


def app(name: str) -> gr.Blocks:
    """The app called `name`: a dataset's prediction app, or `<dataset>-monitoring`."""
    dataset = datasets.for_app(name)
    return monitoring_app(dataset.name) if name.endswith("-monitoring") else prediction_app(dataset.name)


def serve(ports: dict[str, int]) -> int:
    """Start each app on its port as its own process and wait; Ctrl-C stops them all."""
    import os
    import subprocess
    import sys

    processes = []
    for name, port in ports.items():
        env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port), "MPLBACKEND": "Agg"}
        processes.append(subprocess.Popen([sys.executable, "-m", "serverless_ml", "app", name], env=env))
        print(f"{name:<20} http://127.0.0.1:{port}/", flush=True)
    try:
        codes = [p.wait() for p in processes]
    except KeyboardInterrupt:
        codes = [0]
    finally:
        for p in processes:
            p.terminate()
    return max(codes)
