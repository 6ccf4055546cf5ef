"""The static dashboard (`SML_DOCS/index.html`), the GitHub Pages root: no network at view time."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from serverless_ml import data_validation, datasets, monitoring
from serverless_ml.datasets import IMAGES, Dataset
from serverless_ml.files import write_atomic
from serverless_ml.history import MANIFEST, history_start
from serverless_ml.inference import logged_predictions
from serverless_ml.runner import FAVICON
from serverless_ml.settings import get_settings
from serverless_ml.times import shown, shown_time

#: Where the daily workflow publishes the history export, in `SML_DOCS` (`history export docs/history`).
HISTORY = "history"


def _history(fs: Any, dataset: Dataset):
    import pandas as pd

    # both backends return None for a feature group that does not exist (hsfs FeatureStore.get_feature_group)
    predictions_fg = fs.get_feature_group(dataset.predictions_group, version=1)
    return pd.DataFrame() if predictions_fg is None else logged_predictions(predictions_fg)


def shown_metric(value: Any) -> str:
    """A registered metric as the model card shows it: three decimals for a number, even one registered as text
    (hsml keeps `str(mse)` as given), anything else as it is."""
    try:
        return f"{float(value):.3f}"
    except (TypeError, ValueError):
        return str(value)


def _created(created: Any) -> str | None:
    """A model's registration time as an ISO timestamp in UTC, for `shown_time`: hsml keeps what the server
    sends (epoch milliseconds), the local registry a datetime in UTC."""
    if created is None or created == "":
        return None
    if isinstance(created, int | float):
        return datetime.fromtimestamp(created / 1000, UTC).isoformat()
    if isinstance(created, datetime):
        return (created.astimezone(UTC) if created.tzinfo else created.replace(tzinfo=UTC)).isoformat()
    try:
        return _created(datetime.fromisoformat(str(created)))
    except ValueError:
        return None  # shown as "unknown" rather than in a format of its own


def _model(project: Any, dataset: Dataset) -> dict | None:
    model = dataset.best_model(project.get_model_registry())
    if model is None:
        return None
    created = getattr(model, "created", None)
    return {
        "version": model.version,
        "metrics": dict(model.training_metrics or {}),
        "created": _created(created),
        "description": model.description,
    }


def dataset_context(project: Any, dataset: Dataset, docs: Path) -> dict:
    """Everything the template shows for one dataset."""
    import json

    history = _history(project.get_feature_store(), dataset)
    folder = docs / dataset.name
    images = {
        name: f"{dataset.name}/{name}?v={int((folder / name).stat().st_mtime)}"
        for name in IMAGES
        if (folder / name).exists()
    }
    status_file = folder / "status.json"
    status = json.loads(status_file.read_text()) if status_file.exists() else {}
    newest = history.sort_values([dataset.event_time, dataset.primary_key]).iloc[-1] if not history.empty else None
    owner = get_settings().spaces_owner
    # links to the Spaces only when their owner is known: a generic Spaces page helps nobody
    apps = [
        {"title": f"{'Watch' if app.endswith('monitoring') else 'Try'} the model: the {app} app",
         "href": f"https://huggingface.co/spaces/{owner}/{app}"}
        for app in (dataset.apps if owner else ())
    ]  # fmt: skip
    notebooks = sorted((docs / "runs" / dataset.name).glob("*.html"))
    return {
        "name": dataset.name,
        "title": dataset.title,
        "blurb": dataset.blurb,
        "images": images if len(images) == len(IMAGES) else {},
        "newest_predicted": dataset.display(newest["predicted"]) if newest is not None else None,
        "newest_actual": dataset.display(newest["label"]) if newest is not None else None,
        "recent": monitoring.recent_predictions(history, dataset).to_dict("records") if not history.empty else [],
        "model": _model(project, dataset),
        "last_run": status.get("last_run"),
        "run_date": status.get("run_date"),
        "failure": None if status.get("ok", True) else status,
        "validation": data_validation.read(folder),
        "notebooks": [{"href": f"runs/{dataset.name}/{p.name}", "title": p.stem.replace("_", " ")} for p in notebooks],
        "apps": apps,
    }


def build_dashboard(docs: Path | None = None) -> Path:
    """Render `index.html` into `docs` (default `SML_DOCS`) from the store and the images there."""
    import serverless_ml

    settings = get_settings()
    docs = Path(docs or settings.docs)
    project = serverless_ml.login()
    environment = Environment(loader=PackageLoader("serverless_ml"), autoescape=select_autoescape(["html", "j2"]))
    environment.filters["shown_time"] = shown_time
    environment.filters["metric"] = shown_metric
    page = environment.get_template("index.html.j2").render(
        favicon=FAVICON,
        datasets=[dataset_context(project, d, docs) for d in datasets.registered().values()],
        built=shown(datetime.now(UTC)),
        backend=settings.backend,
        # a store that started again says so by this date; a restored one keeps its own (serverless_ml/history.py)
        history_starts=history_start(project),
        history_export=f"{HISTORY}/{MANIFEST}" if (docs / HISTORY / MANIFEST).is_file() else None,
    )
    (docs / ".nojekyll").parent.mkdir(parents=True, exist_ok=True)
    (docs / ".nojekyll").touch()
    return write_atomic(docs / "index.html", lambda tmp: tmp.write_text(page, encoding="utf-8"))
