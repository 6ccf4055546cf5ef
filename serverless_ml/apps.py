"""The Gradio apps: try a model (prediction) and watch it (monitoring), for either dataset."""

from __future__ import annotations

import json
import math
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import gradio as gr
import joblib
import pandas as pd

from serverless_ml.monitoring import IMAGES, TABLE
from serverless_ml.pipelines import DatasetSpec
from serverless_ml.registry import INPUTS_FILE, MODEL_FILE
from serverless_ml.settings import REPO_ROOT, get_settings

#: A Space bundle carries its model here, beside app.py.
BUNDLED_MODEL = REPO_ROOT / "model"
LABELS = {
    "sepal_length": "Sepal length (cm)", "sepal_width": "Sepal width (cm)",
    "petal_length": "Petal length (cm)", "petal_width": "Petal width (cm)",
    "pclass": "Ticket class", "sex": "Sex", "age": "Age (years)", "sibsp": "Siblings and spouses aboard",
    "parch": "Parents and children aboard", "fare": "Fare (pounds)", "embarked": "Port of embarkation",
    "title": "Title (optional)", "surname": "Surname (optional)",
}  # fmt: skip
#: What a person reads for a category's stored values.
CHOICE_NAMES = {
    "embarked": {"S": "Southampton", "C": "Cherbourg", "Q": "Queenstown"},
    "pclass": {1: "1st class", 2: "2nd class", 3: "3rd class"},
}
EXAMPLES = {
    "iris": [[5.1, 3.5, 1.4, 0.2], [6.0, 2.7, 4.5, 1.5], [6.7, 3.1, 5.6, 2.2]],
    "titanic": [[1, "female", 29.0, 0, 0, 211.3, "S", None, ""], [3, "male", 22.0, 1, 0, 7.25, "S", None, ""],
                [2, "male", 4.0, 1, 1, 26.0, "S", "Master", ""]],
}  # fmt: skip


def spec_for(dataset: str) -> DatasetSpec:
    """The DatasetSpec of `iris` or `titanic`."""
    if dataset == "iris":
        from serverless_ml.iris import SPEC
    elif dataset == "titanic":
        from serverless_ml.titanic import SPEC
    else:
        raise ValueError(f"unknown dataset {dataset!r}: expected iris or titanic")
    return SPEC


def model_folder(dataset: str) -> Path:
    """The model's files: the bundled copy in a Space, else the best registered version."""
    if (BUNDLED_MODEL / MODEL_FILE).exists():
        return BUNDLED_MODEL
    import serverless_ml

    model = serverless_ml.login().get_model_registry().get_best_model(dataset, "accuracy", "max")
    if model is None:
        raise SystemExit(f"No {dataset} model is registered yet: run `make run` (or the training notebook) first.")
    return Path(model.download())


class Predictor:
    """A registered pipeline with what each of its inputs takes; checks inputs before predicting."""

    def __init__(self, dataset: str, folder: Path | None = None) -> None:
        folder = folder or model_folder(dataset)
        self.spec = spec_for(dataset)
        self.pipeline = joblib.load(folder / MODEL_FILE)
        self.inputs: dict[str, dict] = json.loads((folder / INPUTS_FILE).read_text())

    def check(self, name: str, value: Any) -> Any:
        """The value if `name` may take it; otherwise a `gr.Error` naming the field and what it takes."""
        entry, label = self.inputs[name], LABELS.get(name, name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if entry["optional"]:
                return None if entry["kind"] != "text" else ""
            raise gr.Error(f"{label} [{name}] is empty: {self._allowed(entry)}", title="Missing input")
        if entry["kind"] in ("number", "integer"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise gr.Error(f"{label} [{name}] must be a number, got {value!r}: {self._allowed(entry)}")
            if math.isnan(value) or not entry["minimum"] <= value <= entry["maximum"]:
                raise gr.Error(f"{label} [{name}] is {value}: {self._allowed(entry)}", title="Out of range")
            if entry["kind"] == "integer" and value != int(value):
                raise gr.Error(f"{label} [{name}] must be a whole number, got {value}")
            return int(value) if entry["kind"] == "integer" else float(value)
        if entry["kind"] == "category":
            matches = [c for c in entry["choices"] if str(c) == str(value)]
            if not matches:
                raise gr.Error(f"{label} [{name}] is {value!r}: {self._allowed(entry)}", title="Unknown value")
            return matches[0]
        return str(value).strip()

    @staticmethod
    def _allowed(entry: dict) -> str:
        if entry["kind"] in ("number", "integer"):
            whole = "a whole number " if entry["kind"] == "integer" else ""
            return f"expected {whole}between {entry['minimum']:g} and {entry['maximum']:g}"
        if entry["kind"] == "category":
            return "expected one of " + ", ".join(str(c) for c in entry["choices"])
        return "expected text"

    def predict(self, **values: Any) -> tuple[dict[str, float], str]:
        """Class probabilities (named) and the image of the most likely class."""
        row = {name: self.check(name, values.get(name)) for name in self.inputs}
        frame = pd.DataFrame([row], columns=list(self.pipeline.feature_names_in_))
        probabilities = self.pipeline.predict_proba(frame)[0]
        classes = list(self.pipeline.classes_)
        named = {self.spec.display(c): float(p) for c, p in zip(classes, probabilities, strict=True)}
        best = classes[int(probabilities.argmax())]
        return named, str(self.spec.image(best))


class CheckedSlider(gr.Slider):
    """A slider that hands its value over unchecked, so `Predictor.check` can name the field."""

    def get_block_name(self) -> str:
        return "slider"

    def preprocess(self, payload: Any) -> Any:
        return payload


def _component(name: str, entry: dict) -> gr.components.Component:
    label = LABELS.get(name, name)
    if entry["kind"] in ("number", "integer"):
        step = 1 if entry["kind"] == "integer" or name == "age" else 0.1
        return CheckedSlider(entry["minimum"], entry["maximum"], value=entry["default"], step=step, label=label)
    if entry["kind"] == "category":  # custom values reach `Predictor.check`, which names the field
        names = CHOICE_NAMES.get(name, {})
        choices = [(str(names.get(c, c)), c) for c in entry["choices"]]
        return gr.Dropdown(choices, value=entry["default"], label=label, allow_custom_value=True)
    return gr.Textbox(value="", label=label)


def prediction_app(dataset: str, predictor: Predictor | None = None) -> gr.Blocks:
    """Try the model: one input per raw feature, the predicted class with its probabilities and image."""
    predictor = predictor or Predictor(dataset)
    names = list(predictor.inputs)

    # Gradio names the API parameters after the function's: spell them out, one per raw feature.
    signature = ", ".join(f"{n}=None" for n in names)
    namespace: dict[str, Any] = {"predictor": predictor}
    exec(f"def predict({signature}):\n    return predictor.predict({', '.join(f'{n}={n}' for n in names)})", namespace)
    predict = namespace["predict"]
    predict.__doc__ = f"Predict the {predictor.spec.label} from {', '.join(names)}."

    title = {"iris": "Which iris is this?", "titanic": "Would you have survived the Titanic?"}[dataset]
    with gr.Blocks(title=title) as demo:
        gr.Markdown(f"# {title}\nThe best registered {dataset} model. Set the inputs and press **Predict**.")
        with gr.Row():
            with gr.Column():
                inputs = [_component(n, predictor.inputs[n]) for n in names]
                button = gr.Button("Predict", variant="primary")
            with gr.Column():
                label = gr.Label(label="Prediction", num_top_classes=len(predictor.spec.classes))
                image = gr.Image(label="Predicted class", type="filepath", interactive=False)
        gr.Examples(EXAMPLES[dataset], inputs=inputs)
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


def monitoring_app(dataset: str) -> gr.Blocks:
    """Watch the model: the newest images and recent predictions, refreshed without a restart."""
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
