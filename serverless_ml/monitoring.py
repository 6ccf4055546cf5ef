"""Batch inference and monitoring shared by Iris and Titanic: score new samples, log, draw.

Figures are drawn on `matplotlib.figure.Figure` objects, never through pyplot: importing this
module leaves matplotlib's backend alone (a notebook keeps its inline figures), and a figure
written to a file is not kept in pyplot's list of open figures.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import matplotlib.dates as mdates
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from sklearn.metrics import confusion_matrix

from serverless_ml.files import copy_atomic, write_atomic
from serverless_ml.pipelines import DatasetSpec, inference_window
from serverless_ml.settings import get_settings

IMAGES = ("predicted.png", "actual.png", "recent.png", "confusion_matrix.png", "accuracy.png")
TABLE = "recent.csv"  # the same recent predictions as data, for the monitoring apps
RECENT_ROWS = 10


class NotebookFigure(Figure):
    """A matplotlib figure that a notebook shows as a PNG when a cell ends with it, whatever the backend."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
        return buffer.getvalue()


def save_figure(figure: Figure, path: Path) -> Path:
    """Save a matplotlib figure as PNG atomically."""
    return write_atomic(path, lambda tmp: figure.savefig(tmp, format="png", dpi=100, bbox_inches="tight"))


def output_dir(value: str | None, dataset: str) -> Path:
    """Where a dataset's monitoring images go: `value`, or `SML_DOCS/<dataset>`."""
    return Path(value) if value else get_settings().docs / dataset


# ----------------------------------------------------------------------------- inference


def logged_predictions(predictions_fg: Any, **read_kwargs: Any) -> pd.DataFrame:
    """Every logged prediction (or those in a time range); empty before the first is logged."""
    if not predictions_fg.features:  # nothing inserted yet, on either backend
        return pd.DataFrame()
    return predictions_fg.read(**read_kwargs)


def unscored_samples(feature_group: Any, predictions_fg: Any, run_date: date) -> pd.DataFrame:
    """Daily samples of the last few days that have no logged prediction yet.

    Reads only the inference window, never the whole feature group, so a daily run costs the
    same however long the history grows. Backfilled rows are older than any window.
    """
    start, end = inference_window(run_date)
    samples = feature_group.read(start_time=start, end_time=end)
    scored = logged_predictions(predictions_fg, start_time=start, end_time=end)
    key = feature_group.primary_key[0]
    if not scored.empty:
        samples = samples[~samples[key].isin(scored[key])]
    return samples.sort_values(key).reset_index(drop=True)


def predict_samples(
    pipeline: Any, model: Any, samples: pd.DataFrame, spec: DatasetSpec, run_date: date
) -> pd.DataFrame:
    """One prediction row per sample, beside its true label, ready to log."""
    predicted = pipeline.predict(samples[list(pipeline.feature_names_in_)]) if len(samples) else []
    return pd.DataFrame(
        {
            spec.primary_key: samples[spec.primary_key].astype("int64"),
            spec.event_time: samples[spec.event_time],
            "predicted": pd.Series(predicted, index=samples.index, dtype=samples[spec.label].dtype),
            "label": samples[spec.label],
            "model_version": int(model.version),
            "predicted_at": pd.Timestamp(datetime.now(UTC).replace(tzinfo=None)),
            "run_date": pd.Timestamp(run_date),
        }
    )


def score_new_samples(
    project: Any,
    spec: DatasetSpec,
    run_date: date,
    pipeline: Any,
    model: Any,
) -> pd.DataFrame:
    """Score the unscored daily samples with `pipeline` and log them; return what was logged."""
    fs = project.get_feature_store()
    feature_group = fs.get_feature_group(spec.name, version=spec.feature_group_version)
    predictions_fg = predictions_group(fs, spec)
    if pipeline is None:
        return pd.DataFrame()
    samples = unscored_samples(feature_group, predictions_fg, run_date)
    if samples.empty:
        print(f"Nothing new to score for {spec.name} up to {run_date}: every daily sample has a prediction.")
        return pd.DataFrame()
    predictions = predict_samples(pipeline, model, samples, spec, run_date)
    predictions_fg.insert(predictions, wait=True)
    print(f"Scored and logged {len(predictions)} new {spec.name} sample(s) with model version {model.version}.")
    return predictions


def predictions_group(fs: Any, spec: DatasetSpec) -> Any:
    """The feature group that logs each prediction beside the true label."""
    return fs.get_or_create_feature_group(
        name=spec.predictions_group,
        version=1,
        primary_key=[spec.primary_key],
        event_time=spec.event_time,
        description=f"Predictions of the {spec.name} model beside the true labels, one row per daily sample",
    )


# ----------------------------------------------------------------------------- monitoring images


def confusion_matrix_figure(y_true: Any, y_pred: Any, spec: DatasetSpec, title: str = "") -> NotebookFigure:
    """A heatmap with every class on both axes (true on rows, predicted on columns), seen or not."""
    matrix = confusion_matrix(list(y_true), list(y_pred), labels=list(spec.classes))
    frame = pd.DataFrame(matrix, index=list(spec.class_names), columns=list(spec.class_names))
    figure = NotebookFigure(figsize=(1.6 * len(spec.classes) + 2, 1.3 * len(spec.classes) + 1.5))
    axes = figure.add_subplot()
    sns.heatmap(frame, annot=True, fmt="d", cmap="Blues", cbar=False, ax=axes, vmin=0)
    axes.set_xlabel("Predicted")
    axes.set_ylabel("Actual")
    axes.set_title(title or f"{spec.name.capitalize()}: all logged predictions")
    return figure


def accuracy_by_day(history: pd.DataFrame, spec: DatasetSpec) -> pd.DataFrame:
    """Accuracy per day of sample and the rolling 7-day accuracy, oldest day first."""
    if history.empty:
        return pd.DataFrame(columns=["day", "samples", "accuracy", "rolling_7d"])
    correct = (history["predicted"] == history["label"]).astype(int)
    frame = pd.DataFrame({"day": pd.to_datetime(history[spec.event_time]).dt.normalize(), "correct": correct})
    daily = frame.groupby("day")["correct"].agg(["sum", "count"]).sort_index()
    rolling = daily.rolling("7D").sum()
    return pd.DataFrame(
        {
            "day": daily.index,
            "samples": daily["count"].to_numpy(),
            "accuracy": (daily["sum"] / daily["count"]).to_numpy(),
            "rolling_7d": (rolling["sum"] / rolling["count"]).to_numpy(),
        }
    ).reset_index(drop=True)


def accuracy_figure(history: pd.DataFrame, spec: DatasetSpec) -> NotebookFigure:
    """Accuracy per day (dots) and the rolling 7-day accuracy (line) over time."""
    daily = accuracy_by_day(history, spec)
    figure = NotebookFigure(figsize=(7, 3.2))
    axes = figure.add_subplot()
    axes.plot(daily["day"], daily["accuracy"], "o", alpha=0.5, label="that day")
    axes.plot(daily["day"], daily["rolling_7d"], "-", linewidth=2, label="rolling 7 days")
    axes.set_ylim(-0.05, 1.05)
    axes.set_ylabel("Accuracy")
    axes.set_title(f"{spec.name.capitalize()}: accuracy over time")
    axes.legend(loc="lower left")
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
    first, last = daily["day"].min(), daily["day"].max()
    pad = max(pd.Timedelta(days=1), (pd.Timedelta(days=7) - (last - first)) / 2)
    axes.set_xlim(first - pad, last + pad)  # at least a week wide, so ticks fall on whole days
    axes.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=8))
    figure.autofmt_xdate()
    return figure


def recent_predictions(history: pd.DataFrame, spec: DatasetSpec, rows: int = RECENT_ROWS) -> pd.DataFrame:
    """The latest predictions as a readable table, newest first."""
    latest = history.sort_values([spec.event_time, spec.primary_key], ascending=False).head(rows)
    return pd.DataFrame(
        {
            "date": pd.to_datetime(latest[spec.event_time]).dt.strftime("%Y-%m-%d").to_numpy(),
            "predicted": [spec.display(v) for v in latest["predicted"]],
            "actual": [spec.display(v) for v in latest["label"]],
            "correct": ["yes" if p == a else "no" for p, a in zip(latest["predicted"], latest["label"], strict=True)],
            "model": latest["model_version"].astype(int).to_numpy(),
        }
    )


def write_monitoring_images(history: pd.DataFrame, spec: DatasetSpec, folder: Path) -> list[Path]:
    """Draw the five monitoring images of `history` (all logged predictions) into `folder`, plus `recent.csv`."""
    if history.empty:
        print(f"No {spec.name} predictions are logged yet: no monitoring images to draw.")
        return []
    import dataframe_image as dfi

    folder = Path(folder)
    newest = history.sort_values([spec.event_time, spec.primary_key]).iloc[-1]
    table = recent_predictions(history, spec)
    return [
        copy_atomic(spec.image(newest["predicted"]), folder / "predicted.png"),
        copy_atomic(spec.image(newest["label"]), folder / "actual.png"),
        write_atomic(
            folder / "recent.png",
            lambda tmp: dfi.export(
                table.style.hide(axis="index"), str(tmp), table_conversion="matplotlib", max_rows=-1
            ),
        ),
        save_figure(
            confusion_matrix_figure(history["label"], history["predicted"], spec), folder / "confusion_matrix.png"
        ),
        save_figure(accuracy_figure(history, spec), folder / "accuracy.png"),
        write_atomic(folder / TABLE, lambda tmp: table.to_csv(tmp, index=False)),
    ]


def show_images(paths: list[Path], width: int = 360) -> None:
    """Display the PNG images among `paths` in a notebook."""
    from IPython.display import Image, display

    for path in paths:
        if Path(path).suffix == ".png":
            display(Image(filename=str(path), width=width))


def upload_images(project: Any, paths: list[Path], spec: DatasetSpec) -> list[str]:
    """Upload monitoring images through the dataset API (Hopsworks, or the local store)."""
    api = project.get_dataset_api()
    return [api.upload(str(path), f"Resources/images/{spec.name}", overwrite=True) for path in paths]
