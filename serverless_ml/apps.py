"""The Gradio apps: try a model (prediction) and watch it (monitoring), for every registered dataset."""

from __future__ import annotations

import json
import math
import shutil
import tempfile
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from serverless_ml import datasets
from serverless_ml.datasets import IMAGES, TABLE, Dataset
from serverless_ml.errors import ParameterError, RunFirstError
from serverless_ml.model_files import MODEL_FILE, load_inputs, load_pipeline
from serverless_ml.settings import REPO_ROOT, get_settings
from serverless_ml.times import age, shown

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


def _number(value: Any) -> Any:
    """`value` as a number if it is one or is text that spells one ("5.1", " 28 "); else unchanged."""
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return value
    return value


def shown_range(entry: dict) -> tuple[float, float]:
    """The range of a number input as the form and its messages show it: two decimals at most, rounded
    inwards (512.3292 shows as 512.32), so every value shown as allowed is allowed by the true range."""
    low = math.ceil(round(entry["minimum"] * 100, 6)) / 100  # round first: 0.42 * 100 is 42.00000000000001
    high = math.floor(round(entry["maximum"] * 100, 6)) / 100
    return (low, high) if low <= high else (entry["minimum"], entry["maximum"])


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
        """The value if input `name` may take it; otherwise a `ParameterError` naming the field and what it takes.

        Numbers may come as text (the form sends what was typed). An empty optional input is missing:
        NaN for a number, None for a category, "" for text, so the pipeline imputes it.
        """
        entry, label = self.inputs[name], self.label(name)
        number = entry["kind"] in ("number", "integer")
        if value is None or (isinstance(value, str) and not value.strip()):
            if entry["optional"]:
                return math.nan if number else None if entry["kind"] != "text" else ""
            raise ParameterError(f"{label} [{name}] is empty: {self._allowed(name)}")
        if number:
            value = _number(value)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ParameterError(f"{label} [{name}] must be a number, got {value!r}: {self._allowed(name)}")
            low, high = self.bounds(name)
            if math.isnan(value) or not low <= value <= high:
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

    def bounds(self, name: str) -> tuple[float, float]:
        """What number input `name` can be at all: the dataset's plausible range (`Dataset.plausible`, which its
        expectation suite uses too), else the training data's (`describe_inputs`). An open end is unbounded."""
        entry = self.inputs[name]
        low, high = self.dataset.plausible.get(name, (entry["minimum"], entry["maximum"]))
        return (-math.inf if low is None else low), (math.inf if high is None else high)

    def unlike_training(self, row: dict[str, Any]) -> list[str]:
        """A note for each number of `row` outside what the model was trained on: possible, but unseen."""
        notes = []
        for name, value in row.items():
            entry = self.inputs[name]
            number = entry["kind"] in ("number", "integer") and not math.isnan(value)
            if number and not entry["minimum"] <= value <= entry["maximum"]:
                low, high = shown_range(entry)
                notes.append(f"{self.label(name)} {value:g} is outside the training data ({low:g} to {high:g})")
        return notes

    def _allowed(self, name: str) -> str:
        entry = self.inputs[name]
        if entry["kind"] in ("number", "integer"):
            whole = "a whole number " if entry["kind"] == "integer" else ""
            low, high = self.bounds(name)
            return f"expected {whole}between {low:g} and {high:g}"
        if entry["kind"] == "category":
            return "expected one of " + ", ".join(self.choices(name))
        return "expected text"

    def choices(self, name: str) -> list[str]:
        """The readable name of each value input `name` takes, in the stored order."""
        names = {str(k): v for k, v in self.dataset.choice_names.get(name, {}).items()}
        return [str(names.get(str(c), c)) for c in self.inputs[name]["choices"]]

    def predict(self, **values: Any) -> tuple[dict[str, float], str, str]:
        """Class probabilities (named), the image of the most likely class, and a note (Markdown) when an input
        is outside the training data (empty otherwise)."""
        row = {name: self.check(name, values.get(name)) for name in self.inputs}
        unlike = self.unlike_training(row)
        note = (
            f"**Note:** {'; '.join(unlike)}. The model saw no {self.dataset.sample_noun} like this one: "
            "take its prediction with care."
            if unlike
            else ""
        )
        frame = pd.DataFrame([row], columns=list(self.pipeline.feature_names_in_))
        probabilities = self.pipeline.predict_proba(frame)[0]
        classes = list(self.pipeline.classes_)
        named = {self.dataset.display(c): float(p) for c, p in zip(classes, probabilities, strict=True)}
        best = classes[int(probabilities.argmax())]
        return named, str(self.dataset.image(best)), note


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


class NumberField(gr.Textbox):
    """A number field that hands over what was typed, for `Predictor.check` to judge and name the field.

    `gr.Slider` clamps in the browser (-3 became the minimum), and `gr.Number`'s `<input type=number>`
    sends nothing for text it cannot read ("abc", "1e"), so a typo in an optional field would pass as
    missing. Text in, checked on the server: the form is refused with the same message as the API.
    """

    def get_block_name(self) -> str:
        return "textbox"

    def preprocess(self, payload: Any) -> Any:
        return payload  # text from the form, a number (or anything) from the API: `Predictor.check` decides

    def postprocess(self, value: Any) -> str | None:
        return None if value is None else f"{value:g}" if isinstance(value, (int, float)) else str(value)

    def api_info(self) -> dict[str, Any]:
        return {"anyOf": [{"type": "number"}, {"type": "string"}, {"type": "null"}]}

    def example_payload(self) -> Any:
        return 1.0

    def example_value(self) -> Any:
        return 1.0


#: Phones (390 px): a table's cells wrap at spaces and sit closer, so the examples fit or nearly so; what is
#: still wider scrolls sideways in its own box (Gradio's `.table-wrap` scrolls), the page itself never does.
CSS = """
@media (max-width: 640px) {
  .table-wrap th, .table-wrap td { white-space: normal; overflow-wrap: normal; padding: 4px 6px; }
  .header-content .text.wrap { word-break: normal; overflow-wrap: normal; }
}
"""


def _theme() -> gr.themes.Base:
    """Gradio's default theme with hint text a person can read: its `*neutral_400` on white is 1.9:1, under WCAG
    AA's 4.5:1 for text; `*neutral_600` is 7.6:1 (and `*neutral_300` on the dark background)."""
    return gr.themes.Default().set(block_info_text_color="*neutral_600", block_info_text_color_dark="*neutral_300")


class _App(gr.Blocks):
    """`gr.Blocks` whose `launch()` brings the apps' theme and CSS (Gradio 6 takes them there), however it is
    started: `make apps`, `python app.py` in a Space bundle, or a test."""

    def launch(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("theme", _theme())
        kwargs.setdefault("css", CSS)
        return super().launch(*args, **kwargs)


def _component(predictor: Predictor, name: str) -> gr.components.Component:
    entry, label = predictor.inputs[name], predictor.label(name)
    unknown = "; leave empty if unknown" if entry["optional"] else ""
    if entry["kind"] in ("number", "integer"):
        low, high = predictor.bounds(name)
        seen_low, seen_high = shown_range(entry)
        number = "A whole number" if entry["kind"] == "integer" else "A number"
        info = f"{number} between {low:g} and {high:g} (the model saw {seen_low:g} to {seen_high:g}){unknown}"
        return NumberField(value=round(entry["default"], 2), label=label, info=info, placeholder=f"{low:g} to {high:g}")
    if entry["kind"] == "category":  # custom values reach `Predictor.check`, which names the field
        names = predictor.dataset.choice_names.get(name, {})
        choices = [(str(names.get(c, c)), c) for c in entry["choices"]]
        info = "Leave empty if unknown" if entry["optional"] else None
        return gr.Dropdown(choices, value=entry["default"], label=label, allow_custom_value=True, info=info)
    return gr.Textbox(value="", label=label, info="Leave empty if unknown" if entry["optional"] else None)


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
    with _App(title=title) as demo:
        gr.Markdown(f"# {title}\nThe best registered {dataset.name} model. Set the inputs and press **Predict**.")
        with gr.Row():
            with gr.Column():
                inputs = [_component(predictor, n) for n in names]
                button = gr.Button("Predict", variant="primary")
            with gr.Column():
                label = gr.Label(label="Prediction", num_top_classes=len(dataset.classes))
                note = gr.Markdown()  # what the model has not seen, under its answer
                image = gr.Image(label="Predicted class", type="filepath", interactive=False)
        gr.Examples(dataset.examples, inputs=inputs)
        # the old prediction goes first, so a refused input never leaves one standing (a `js` step returning
        # nulls does not clear a gr.Label in Gradio 6.31; this one does)
        cleared = button.click(
            lambda: (None, None, ""), outputs=[label, image, note], api_visibility="private", queue=False
        )
        cleared.then(predict, inputs=inputs, outputs=[label, image, note], api_name="predict")
    return demo


# ----------------------------------------------------------------------------- monitoring


def fetch_monitoring_files(dataset: str, target: Path) -> tuple[Path, str]:
    """The folder of the newest monitoring images and table, from Hopsworks, a Pages address or `SML_DOCS`, and a
    note when they are not the newest: the published dashboard could not be reached, so an earlier copy is shown,
    with its age (empty when the images are the newest there are)."""
    settings = get_settings()
    target.mkdir(parents=True, exist_ok=True)
    names = [*IMAGES, TABLE]
    if settings.backend == "hopsworks":
        import serverless_ml

        api = serverless_ml.login().get_dataset_api()
        for name in names:
            api.download(f"Resources/images/{dataset}/{name}", str(target / name), overwrite=True)
        return target, ""
    bundled = settings.docs / dataset
    if not settings.pages_url:
        return bundled, _bundled_note(bundled, "SML_PAGES_URL is not set")
    try:
        _download(f"{settings.pages_url}/{dataset}", names, target)
        return target, ""
    except _UnreachableError as error:
        unreachable = f"The published dashboard could not be reached ({error})"
    if all((target / name).exists() for name in IMAGES):  # an earlier fetch: newer than the bundle
        fetched = datetime.fromtimestamp((target / IMAGES[0]).stat().st_mtime, UTC)
        return target, f"{unreachable}; showing the images fetched from it at {shown(fetched)}."
    if not all((bundled / name).exists() for name in IMAGES):
        raise gr.Error(f"{unreachable}, and this app has no images of its own: publish the dashboard (the daily run)")
    return bundled, _bundled_note(bundled, unreachable)


class _UnreachableError(Exception):
    """A file of the published dashboard could not be fetched; the message says which and why."""


def _download(base: str, names: list[str], target: Path) -> None:
    """Every file of `names` under `base` into `target`, or none: a failure leaves the earlier copy whole."""
    incoming = Path(tempfile.mkdtemp(prefix="incoming_", dir=target))
    try:
        for name in names:
            url = f"{base}/{name}"
            try:
                with urllib.request.urlopen(url, timeout=10) as response:
                    (incoming / name).write_bytes(response.read())
            except urllib.error.HTTPError as error:
                raise _UnreachableError(f"{url} answers HTTP {error.code}") from None
            except (urllib.error.URLError, OSError) as error:  # refused, unknown host, timed out
                raise _UnreachableError(f"{url}: {getattr(error, 'reason', error)}") from None
        for name in names:
            (incoming / name).replace(target / name)
    finally:
        shutil.rmtree(incoming, ignore_errors=True)


def _bundled_note(folder: Path, why: str) -> str:
    """The note on images bundled with a Space (`spaces.BUNDLED_IMAGES`): why and how old; empty for other folders."""
    from serverless_ml.spaces import BUNDLED_IMAGES

    record = folder / BUNDLED_IMAGES
    if not record.is_file():
        return ""  # SML_DOCS on this machine: the images the daily run drew here
    times = json.loads(record.read_text())
    bundled = datetime.fromisoformat(times["bundled"])
    drawn = datetime.fromisoformat(times.get("drawn", times["bundled"]))
    age_text = age(max((datetime.now(UTC) - drawn).total_seconds(), 0))
    return f"{why}; showing the images bundled on {bundled:%Y-%m-%d}, drawn {shown(drawn)} ({age_text} old)."


def _chart(title: str) -> gr.Image:
    """An image under its own heading: Gradio's label floats over the picture and, on a phone, hides its title."""
    with gr.Column(min_width=300):  # side by side on a laptop, one under the other on a phone
        gr.Markdown(f"### {title}")
        return gr.Image(label=title, show_label=False, alt_text=title, type="filepath", interactive=False,
                        buttons=["fullscreen"])  # fmt: skip


def monitoring_app(name: str) -> gr.Blocks:
    """Watch the model: the newest images and recent predictions, refreshed without a restart."""
    dataset = datasets.get(name).name
    cache = Path(tempfile.mkdtemp(prefix=f"{dataset}_monitoring_"))

    said: set[str] = set()

    def refresh() -> tuple:
        folder, note = fetch_monitoring_files(dataset, cache)
        if note and note not in said:  # the log says it once, not every minute; the page shows it on every refresh
            said.add(note)
            print(note, flush=True)
        missing = [n for n in IMAGES if not (folder / n).exists()]
        if missing:
            raise gr.Error(f"no monitoring images yet in {folder} (missing {', '.join(missing)}): run the daily job")
        table = pd.read_csv(folder / TABLE) if (folder / TABLE).exists() else pd.DataFrame()
        return (*(str(folder / n) for n in ("predicted.png", "actual.png")), table,
                str(folder / "confusion_matrix.png"), str(folder / "accuracy.png"), note)  # fmt: skip

    with _App(title=f"{dataset.capitalize()} model monitoring") as demo:
        gr.Markdown(f"# {dataset.capitalize()}: how is the model doing?\nRefreshed every minute.")
        note = gr.Markdown()  # where the images come from when they are not the newest, and how old they are
        with gr.Row():
            predicted = _chart("Newest sample, predicted")
            actual = _chart("Newest sample, actual")
        recent = gr.Dataframe(label="Recent predictions (newest first)", interactive=False, wrap=True)
        with gr.Row():
            matrix = _chart("Confusion matrix")
            accuracy = _chart("Accuracy over time")
        button = gr.Button("Refresh")
        outputs = [predicted, actual, recent, matrix, accuracy, note]
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
    print("Starting the apps: each loads its model and Gradio, so they answer after a minute or so.", flush=True)
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
