"""What makes a dataset a dataset here: one record each, and the registry every shared module reads.

A dataset module (`iris.py`, `titanic.py`, or one of your own) defines `DATASET = Dataset(...)`:
its names, classes and images, its feature group, the model's inputs and how the apps ask for
them, its titles, and the metric that picks the best model. The CLI, the apps, the dashboard and
the Spaces read the registered datasets and nothing else; `SML_DATASETS` lists the modules.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from serverless_ml.errors import ParameterError
from serverless_ml.settings import REPO_ROOT, get_settings

ASSETS = REPO_ROOT / "assets"
#: The files each dataset's monitoring publishes: `monitoring.py` draws them, the monitoring apps
#: and the dashboard show them.
IMAGES = ("predicted.png", "actual.png", "recent.png", "confusion_matrix.png", "accuracy.png")
TABLE = "recent.csv"  # the recent predictions as data
#: The first port of the apps: prediction apps first, then monitoring apps, in registry order.
FIRST_PORT = 7860


@dataclass(frozen=True)
class Dataset:
    """One dataset, as the feature store, the model registry, the apps and the dashboard see it."""

    name: str  # the feature group, feature view, model and app names
    title: str  # the dashboard's heading
    blurb: str  # a sentence under it
    label: str  # the column the model predicts
    classes: tuple  # label values in display order
    class_names: tuple[str, ...]  # what a person reads for each label value
    images: dict  # label value -> file name under assets/ (or a full path)
    primary_key: str
    description: str  # the feature group's description
    input_kinds: dict[str, str]  # model input -> number, integer, category or text ("?" = optional)
    input_labels: dict[str, str]  # model input -> what the form calls it
    examples: list[list]  # rows of inputs the prediction app offers
    app_title: str  # the prediction app's heading
    app_emoji: str = "🤖"
    choice_names: dict[str, dict] = field(default_factory=dict)  # input -> stored value -> readable name
    feature_group_version: int = 1
    event_time: str = "event_time"
    feature_view_version: int = 1
    metric: str = "accuracy"  # the registered metric that picks the served model
    direction: str = "max"  # whether a higher (max) or lower (min) metric is better
    notebooks: Path | None = None  # default: notebooks/<name>
    sample_noun: str = "sample"  # what one row is called in messages: "flower", "passenger"
    #: number input -> (low, high) it can be at all, beside the feature group's expectation suite (which is
    #: built from it): the apps refuse a value outside it and accept one outside the training range with a note
    plausible: dict[str, tuple] = field(default_factory=dict)

    @property
    def predictions_group(self) -> str:
        """The feature group that logs each prediction beside the true label."""
        return f"{self.name}_predictions"

    @property
    def model_name(self) -> str:
        return self.name

    @property
    def notebook_dir(self) -> Path:
        return Path(self.notebooks) if self.notebooks else REPO_ROOT / "notebooks" / self.name

    @property
    def apps(self) -> tuple[str, str]:
        """The prediction app and the monitoring app."""
        return self.name, f"{self.name}-monitoring"

    def display(self, value: Any) -> str:
        """The readable name of a label value."""
        return dict(zip(self.classes, self.class_names, strict=True)).get(value, str(value))

    def image(self, value: Any) -> Path:
        """The image that shows a label value."""
        return ASSETS / self.images[value]

    def best_model(self, model_registry: Any) -> Any:
        """The registered version with the best metric, or None (`ModelRegistry.get_best_model`)."""
        return model_registry.get_best_model(self.model_name, self.metric, self.direction)


def _load(module_name: str) -> Dataset:
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ParameterError(f"SML_DATASETS names {module_name!r}, which cannot be imported: {error}") from None
    dataset = getattr(module, "DATASET", None)
    if not isinstance(dataset, Dataset):
        raise ParameterError(f"dataset module {module_name!r} must define DATASET = Dataset(...)")
    return dataset


def registered() -> dict[str, Dataset]:
    """Every registered dataset by name, in the order `SML_DATASETS` lists their modules."""
    datasets = [_load(name) for name in get_settings().datasets]
    return {d.name: d for d in datasets}


def get(name: str) -> Dataset:
    """The registered dataset `name`."""
    datasets = registered()
    if name not in datasets:
        raise ParameterError(f"unknown dataset {name!r}: expected one of {', '.join(datasets)}")
    return datasets[name]


def app_ports() -> dict[str, int]:
    """Each app's local port: the prediction apps from 7860, then the monitoring apps."""
    datasets = list(registered().values())
    names = [d.apps[0] for d in datasets] + [d.apps[1] for d in datasets]
    return {app: FIRST_PORT + i for i, app in enumerate(names)}


def for_app(app: str) -> Dataset:
    """The dataset of an app name (`iris`, `iris-monitoring`)."""
    for dataset in registered().values():
        if app in dataset.apps:
            return dataset
    raise ParameterError(f"unknown app {app!r}: expected one of {', '.join(app_ports())}")
