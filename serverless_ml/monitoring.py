"""Monitoring images shared by every dataset: the newest sample, recent predictions, the confusion
matrix and accuracy over time.

Figures are drawn on `matplotlib.figure.Figure` objects, never through pyplot: importing this
module leaves matplotlib's backend alone (a notebook keeps its inline figures), and a figure
written to a file is not kept in pyplot's list of open figures.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.dates as mdates
import pandas as pd
from matplotlib.figure import Figure
from sklearn.metrics import confusion_matrix

from serverless_ml.datasets import TABLE, Dataset
from serverless_ml.files import copy_atomic, write_atomic
from serverless_ml.settings import get_settings

RECENT_ROWS = 10
#: Every chart's size in inches: at 100 dpi, 520 px wide, the width the dashboard shows it at.
FIGURE_SIZE = (5.2, 4.0)
#: The smallest text of a chart, in points. A phone (390 px) shows a chart at about 0.65 of its width, so
#: matplotlib's 10 pt (13.9 px at 100 dpi) became 9 px there; 11 pt shows as 10 px or more.
CHART_FONT_PT = 11
CHART_STYLE = {
    "font.size": CHART_FONT_PT,
    "axes.labelsize": CHART_FONT_PT,
    "axes.titlesize": CHART_FONT_PT + 2,
    "xtick.labelsize": CHART_FONT_PT,
    "ytick.labelsize": CHART_FONT_PT,
    "legend.fontsize": CHART_FONT_PT,
}


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


# ----------------------------------------------------------------------------- monitoring images


def confusion_matrix_figure(y_true: Any, y_pred: Any, dataset: Dataset, title: str = "") -> NotebookFigure:
    """A heatmap with every class on both axes (true on rows, predicted on columns), seen or not."""
    with matplotlib.rc_context(CHART_STYLE):  # text sizes are fixed when the text is made
        return _confusion_matrix_figure(y_true, y_pred, dataset, title)


def _confusion_matrix_figure(y_true: Any, y_pred: Any, dataset: Dataset, title: str) -> NotebookFigure:
    matrix = confusion_matrix(list(y_true), list(y_pred), labels=list(dataset.classes))
    frame = pd.DataFrame(matrix, index=list(dataset.class_names), columns=list(dataset.class_names))
    # one size for every dataset, the size the dashboard shows it at: two matrices side by side match
    figure = NotebookFigure(figsize=FIGURE_SIZE)
    axes = figure.add_subplot()
    import seaborn as sns  # here, not at import: the apps import this module and never draw a heatmap

    sns.heatmap(frame, annot=True, fmt="d", cmap="Blues", cbar=False, ax=axes, vmin=0, annot_kws={"size": 14})
    axes.set_xlabel("Predicted")
    axes.set_ylabel("Actual")
    axes.set_title(title or f"{dataset.name.capitalize()}: all logged predictions")
    return figure


def accuracy_by_day(history: pd.DataFrame, dataset: Dataset) -> pd.DataFrame:
    """Accuracy per day of sample and the rolling 7-day accuracy, oldest day first."""
    if history.empty:
        return pd.DataFrame(columns=["day", "samples", "accuracy", "rolling_7d"])
    correct = (history["predicted"] == history["label"]).astype(int)
    frame = pd.DataFrame({"day": pd.to_datetime(history[dataset.event_time]).dt.normalize(), "correct": correct})
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


def accuracy_figure(history: pd.DataFrame, dataset: Dataset) -> NotebookFigure:
    """Accuracy per day (dots) and the rolling 7-day accuracy (line) over time."""
    with matplotlib.rc_context(CHART_STYLE):
        return _accuracy_figure(history, dataset)


def _accuracy_figure(history: pd.DataFrame, dataset: Dataset) -> NotebookFigure:
    daily = accuracy_by_day(history, dataset)
    figure = NotebookFigure(figsize=FIGURE_SIZE)
    axes = figure.add_subplot()
    axes.plot(daily["day"], daily["accuracy"], "o", alpha=0.5, label="that day")
    # markers too, so a single day's rolling value shows
    axes.plot(daily["day"], daily["rolling_7d"], "-", marker=".", linewidth=2, label="rolling 7 days")
    axes.set_ylim(-0.05, 1.05)
    axes.set_ylabel("Accuracy")
    axes.set_title(f"{dataset.name.capitalize()}: accuracy over time", pad=28)
    # the legend sits above the axes, where it can hide no point
    axes.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=2, frameon=False)
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
    first, last = daily["day"].min(), daily["day"].max()
    half_day = pd.Timedelta(hours=12)
    # a week wide at least, ending at the last day: no empty future on the axis
    axes.set_xlim(min(first, last - pd.Timedelta(days=6)) - half_day, last + half_day)
    axes.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=6))
    figure.autofmt_xdate()
    return figure


def recent_predictions(history: pd.DataFrame, dataset: Dataset, rows: int = RECENT_ROWS) -> pd.DataFrame:
    """The latest predictions as a readable table, newest first."""
    latest = history.sort_values([dataset.event_time, dataset.primary_key], ascending=False).head(rows)
    return pd.DataFrame(
        {
            "date": pd.to_datetime(latest[dataset.event_time]).dt.strftime("%Y-%m-%d").to_numpy(),
            "predicted": [dataset.display(v) for v in latest["predicted"]],
            "actual": [dataset.display(v) for v in latest["label"]],
            "correct": ["yes" if p == a else "no" for p, a in zip(latest["predicted"], latest["label"], strict=True)],
            "model": latest["model_version"].astype(int).to_numpy(),
        }
    )


def write_monitoring_images(history: pd.DataFrame, dataset: Dataset, folder: Path) -> list[Path]:
    """Draw the five monitoring images of `history` (all logged predictions) into `folder`, plus `recent.csv`."""
    if history.empty:
        print(f"No {dataset.name} predictions are logged yet: no monitoring images to draw.")
        return []
    import dataframe_image as dfi

    folder = Path(folder)
    newest = history.sort_values([dataset.event_time, dataset.primary_key]).iloc[-1]
    table = recent_predictions(history, dataset)
    return [
        copy_atomic(dataset.image(newest["predicted"]), folder / "predicted.png"),
        copy_atomic(dataset.image(newest["label"]), folder / "actual.png"),
        write_atomic(
            folder / "recent.png",
            lambda tmp: dfi.export(
                table.style.hide(axis="index"), str(tmp), table_conversion="matplotlib", max_rows=-1
            ),
        ),
        save_figure(
            confusion_matrix_figure(history["label"], history["predicted"], dataset), folder / "confusion_matrix.png"
        ),
        save_figure(accuracy_figure(history, dataset), folder / "accuracy.png"),
        write_atomic(folder / TABLE, lambda tmp: table.to_csv(tmp, index=False)),
    ]


#: What each monitoring image shows, as a notebook captions it.
CAPTIONS = {
    "predicted.png": "The newest sample, as the model predicted it",
    "actual.png": "The newest sample, as it really is",
    "recent.png": "The most recent predictions (dataframe-image)",
    "confusion_matrix.png": "Every logged prediction: true class on rows, predicted on columns",
    "accuracy.png": "Accuracy per day and over the last 7 days",
}


def show_images(paths: list[Path], width: int = 360) -> None:
    """Display the PNG images among `paths` in a notebook, each under its caption."""
    from IPython.display import Image, Markdown, display

    for path in paths:
        if Path(path).suffix == ".png":
            display(Markdown(f"**{CAPTIONS.get(Path(path).name, Path(path).stem)}**"))
            display(Image(filename=str(path), width=width))
