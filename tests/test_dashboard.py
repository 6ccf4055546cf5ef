"""The static dashboard (serverless_ml/dashboard.py), rendered from a small store."""

from __future__ import annotations

import datetime as dt
import json
from html.parser import HTMLParser

import pandas as pd
import pytest

from serverless_ml import dashboard, iris, monitoring


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images, self.headings, self._in_h2 = [], [], False

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs)["src"])
        self._in_h2 = tag == "h2"

    def handle_data(self, data):
        if self._in_h2 and data.strip():
            self.headings.append(data.strip())


def test_an_empty_store_renders_every_dataset(sml_env, tmp_path):
    page = _Page()
    page.feed(dashboard.build_dashboard(tmp_path).read_text())
    assert iris.DATASET.title in page.headings and page.images == []


def test_images_and_model_of_a_dataset(project, tmp_path):
    history = pd.DataFrame(
        {"id": [1, 2], "event_time": pd.to_datetime(["2026-03-01", "2026-03-02"]), "predicted": ["Setosa"] * 2,
         "label": ["Setosa", "Virginica"], "model_version": 1}
    )  # fmt: skip
    monitoring.write_monitoring_images(history, iris.DATASET, tmp_path / "iris")
    predictions = project.get_feature_store().get_or_create_feature_group(
        "iris_predictions", version=1, primary_key=["id"], event_time="event_time"
    )
    predictions.insert(history)
    context = dashboard.dataset_context(project, iris.DATASET, tmp_path)
    assert len(context["images"]) == 5 and context["newest_actual"] == "Virginica"
    assert [row["actual"] for row in context["recent"]] == ["Virginica", "Setosa"] and context["model"] is None


def test_a_failed_last_run_is_shown_plainly(sml_env, tmp_path):
    (tmp_path / "titanic").mkdir()
    (tmp_path / "titanic" / "status.json").write_text(
        '{"last_run": "2026-03-02T06:00:00+00:00", "run_date": "2026-03-02", "ok": false, "notebook": '
        '"1_feature_pipeline.ipynb", "cell": 3, "error": "NotFoundError: no CSV", "page": "runs/titanic/t.html"}'
    )
    page = dashboard.build_dashboard(tmp_path).read_text()
    titanic = page.split('id="titanic"')[1]
    assert "The last run failed" in titanic and "NotFoundError: no CSV" in titanic
    assert '(<time datetime="2026-03-02T06:00:00+00:00">2026-03-02 06:00 UTC</time>, for 2026-03-02)' in titanic
    assert 'href="runs/titanic/t.html"' in titanic and "The last run failed" not in page.split('id="titanic"')[0]
    # below the failure, what is missing is said as what it is, not as a run never made
    assert (
        "the last run failed before logging any" in titanic and "run <code>python -m serverless_ml daily" not in titanic
    )


@pytest.mark.parametrize("error", ["NotFoundError: no CSV", "NotFoundError: set SML_TITANIC_CSV to a copy."])
def test_a_failure_reads_as_one_sentence(sml_env, tmp_path, error):
    (tmp_path / "titanic").mkdir()
    status = {"last_run": "2026-03-02T06:00:00+00:00", "run_date": "2026-03-02", "ok": False, "cell": 4,
              "notebook": "1_feature_pipeline.ipynb", "error": error, "page": "runs/titanic/t.html"}  # fmt: skip
    (tmp_path / "titanic" / "status.json").write_text(json.dumps(status))
    titanic = dashboard.build_dashboard(tmp_path).read_text().split('id="titanic"')[1]
    assert f"1_feature_pipeline.ipynb</code>, cell 4: {error.removesuffix('.')}." in titanic and ".." not in titanic


def test_the_published_page_has_no_hints_for_its_owner(sml_env, tmp_path, monkeypatch):
    """How to set SML_SPACES_OWNER is in the README; visitors of the published page cannot act on it."""
    monkeypatch.delenv("SML_SPACES_OWNER", raising=False)
    page = dashboard.build_dashboard(tmp_path).read_text()
    assert "SML_SPACES_OWNER" not in page and "make apps" not in page


@pytest.mark.parametrize(
    ("created", "shown"),
    [
        (dt.datetime(2026, 12, 2, 5, 18, 41), "2026-12-02 05:18 UTC"),  # the local registry: UTC
        (1796188721000, "2026-12-02 05:18 UTC"),  # hsml: epoch milliseconds from the server
        (None, None),
    ],
)
def test_the_model_card_time_is_shown_as_every_other(created, shown):
    assert dashboard.shown_time(dashboard._created(created)) == shown


def test_spaces_are_linked_only_when_their_owner_is_known(project, tmp_path, monkeypatch):
    monkeypatch.delenv("SML_SPACES_OWNER", raising=False)
    assert dashboard.dataset_context(project, iris.DATASET, tmp_path)["apps"] == []
    monkeypatch.setenv("SML_SPACES_OWNER", "me")
    hrefs = [a["href"] for a in dashboard.dataset_context(project, iris.DATASET, tmp_path)["apps"]]
    assert hrefs == ["https://huggingface.co/spaces/me/iris", "https://huggingface.co/spaces/me/iris-monitoring"]


def test_the_latest_validation_is_shown(sml_env, tmp_path):
    (tmp_path / "iris").mkdir()
    (tmp_path / "iris" / "validation.json").write_text(
        '{"validated_at": "2026-03-02T06:00:00+00:00", "success": false, "checks": ['
        '{"expectation": "expect_column_values_to_be_between", "column": "petal_length", "success": false, '
        '"examples": ["-1.0"]}, {"expectation": "expect_column_values_to_not_be_null", "column": "variety", '
        '"success": true, "examples": []}]}'
    )
    iris_part = dashboard.build_dashboard(tmp_path).read_text().split('id="iris"')[1].split('id="titanic"')[0]
    shown = '<time datetime="2026-03-02T06:00:00+00:00">2026-03-02 06:00 UTC</time>'  # the record's time, to the minute
    assert f"Data validation of the last insert ({shown})" in iris_part
    assert "1 of 2 expectations failed" in iris_part
    assert "expect_column_values_to_be_between on <code>petal_length</code>: failed, for example -1.0" in iris_part


def test_the_page_says_when_the_history_starts_and_links_its_export(project, tmp_path):
    assert "History starts on" not in dashboard.build_dashboard(tmp_path).read_text()  # an empty store: no history
    group = project.get_feature_store().get_or_create_feature_group("iris", version=1, primary_key=["id"])
    group.insert(iris.backfill_frame().head(2))
    today = pd.Timestamp.now(tz="UTC").date().isoformat()  # the store keeps its times in UTC
    page = dashboard.build_dashboard(tmp_path).read_text()
    assert f'History starts on <time datetime="{today}">{today}</time>' in page and "history/manifest.json" not in page
    (tmp_path / "history").mkdir()
    (tmp_path / "history" / "manifest.json").write_text("{}")  # what the daily workflow publishes beside the page
    assert 'href="history/manifest.json"' in dashboard.build_dashboard(tmp_path).read_text()


@pytest.mark.parametrize(("value", "shown"), [(0.84691, "0.847"), ("0.84691", "0.847"), ("n/a", "n/a"), (1, "1.000")])
def test_metrics_registered_as_text_are_shown_too(value, shown):
    """hsml keeps text metrics as given (the book registers `str(mse)`): the model card shows them, not a crash."""
    assert dashboard.shown_metric(value) == shown


def test_a_model_with_a_text_metric_draws_its_card(project, tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "model.txt").write_text("x")
    model = project.get_model_registry().python.create_model(name="iris", metrics={"accuracy": "0.9", "mse": "1.5"})
    model.save(str(folder))
    page = dashboard.build_dashboard(tmp_path / "docs").read_text()
    assert "<dt>mse</dt><dd>1.500</dd>" in page
