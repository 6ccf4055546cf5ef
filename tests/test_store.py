"""The local feature store, model registry and dataset API, through `serverless_ml.login()`."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

import serverless_ml
from serverless_ml.errors import NotFoundError, SchemaError, StoreError
from serverless_ml.settings import get_settings
from serverless_ml.store import LocalProject


def _flowers(ids, day="2024-01-01") -> pd.DataFrame:
    ids = list(ids)
    return pd.DataFrame(
        {
            "id": ids,
            "petal_length": np.linspace(1.0, 2.0, len(ids)),
            "variety": ["Setosa" if i % 2 else "Virginica" for i in ids],
            "event_time": pd.Timestamp(day),
        }
    )


@pytest.fixture
def fg(project):
    fs = project.get_feature_store()
    group = fs.get_or_create_feature_group("flowers", version=1, primary_key=["id"], event_time="event_time")
    group.insert(_flowers(range(4)), wait=True)
    return group


class TestLogin:
    def test_local_by_default(self, sml_env):
        assert isinstance(serverless_ml.login(), LocalProject)

    @pytest.mark.parametrize(
        ("backend", "key", "expected"),
        [
            ("", "", "local"),
            ("", "a-key", "hopsworks"),
            ("local", "a-key", "local"),
            ("hopsworks", "", "hopsworks"),
        ],
    )
    def test_backend_choice(self, monkeypatch, backend, key, expected):
        monkeypatch.setenv("SML_BACKEND", backend)
        monkeypatch.setenv("HOPSWORKS_API_KEY", key)
        assert get_settings().backend == expected

    def test_unknown_backend_is_named(self, monkeypatch):
        monkeypatch.setenv("SML_BACKEND", "s3")
        with pytest.raises(ValueError, match="SML_BACKEND='s3'"):
            get_settings()

    def test_settings_never_show_the_key(self, monkeypatch):
        monkeypatch.setenv("HOPSWORKS_API_KEY", "secret-value-123")
        assert "secret-value-123" not in repr(get_settings())


class TestFeatureGroup:
    def test_insert_upserts_by_primary_key(self, fg):
        fg.insert(_flowers([2, 3, 4]).assign(petal_length=9.0), wait=True)
        df = fg.read().sort_values("id")
        assert df["id"].tolist() == [0, 1, 2, 3, 4]
        assert df.set_index("id").loc[[2, 3, 4], "petal_length"].tolist() == [9.0, 9.0, 9.0]

    def test_attributes(self, fg):
        assert (fg.name, fg.version, fg.primary_key, fg.event_time) == ("flowers", 1, ["id"], "event_time")

    def test_get_feature_group_sees_the_schema(self, project, fg):
        again = project.get_feature_store().get_feature_group("flowers", version=1)
        assert [f.name for f in again.columns] == ["id", "petal_length", "variety", "event_time"]
        assert [f.type for f in again.columns] == ["bigint", "double", "string", "timestamp"]
        assert len(again.read()) == 4

    def test_read_filters_on_event_time(self, fg):
        fg.insert(_flowers([10, 11], day="2024-02-01"))
        assert sorted(fg.read(start_time="2024-01-15")["id"]) == [10, 11]
        assert sorted(fg.read(end_time="2024-01-15")["id"]) == [0, 1, 2, 3]

    def test_selects(self, fg):
        assert fg.select(["id", "variety"]).read().columns.tolist() == ["id", "variety"]
        assert [f.name for f in fg.select_except(["variety"]).features] == ["id", "petal_length", "event_time"]
        selected = fg.select_all(include_primary_key=False).read().columns.tolist()
        assert selected == ["petal_length", "variety", "event_time"]
        with pytest.raises(SchemaError, match="no feature"):
            fg.select(["colour"])

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            (lambda df: df.drop(columns="variety"), r"variety \(type: 'string'\) is missing from input dataframe"),
            (lambda df: df.assign(colour="red"), r"colour \(type: 'string'\) does not exist in feature group"),
            (
                lambda df: df.assign(petal_length="long"),
                r"petal_length \(expected type: 'double', derived from input: 'string'\)",
            ),
            (lambda df: df.assign(id=[7.5, 8, 9, 10]), r"id \(expected type: 'bigint', derived from input: 'double'\)"),
            (
                lambda df: df.assign(variety=[1, 2, 3, 4]),
                r"variety \(expected type: 'string', derived from input: 'bigint'\)",
            ),
            (lambda df: df.assign(id=[5, None, 6, 7]), "Primary key column id contains null values"),
            (lambda df: df.assign(event_time="yesterday"), r"event_time \(expected type: 'timestamp'"),
            (lambda df: df.to_dict(), "expected a pandas DataFrame"),
        ],
    )
    def test_bad_insert_is_refused_and_writes_nothing(self, fg, change, message):
        before = fg.read().sort_values("id").reset_index(drop=True)
        with pytest.raises(SchemaError, match=message):
            fg.insert(change(_flowers([4, 5, 6, 7])))
        pd.testing.assert_frame_equal(fg.read().sort_values("id").reset_index(drop=True), before)

    def test_group_names_must_be_lower_case(self, project):
        fs = project.get_feature_store()
        with pytest.raises(SchemaError, match=r"'Flowers'.*try 'flowers'"):
            fs.get_or_create_feature_group("Flowers", version=1, primary_key=["id"])

    def test_first_insert_needs_the_key_columns(self, project):
        group = project.get_feature_store().get_or_create_feature_group("k", version=1, primary_key=["pid"])
        with pytest.raises(SchemaError, match="Primary key column pid is missing in input dataframe"):
            group.insert(pd.DataFrame({"id": [1]}))

    def test_missing_feature_group_is_none(self, project):
        assert project.get_feature_store().get_feature_group("nope", version=3) is None


class TestFeatureView:
    @pytest.fixture
    def fv(self, project, fg):
        return project.get_feature_store().get_or_create_feature_view(
            "flowers", version=1, query=fg.select_except(["id", "event_time"]), labels=["variety"]
        )

    def test_training_data_has_the_query_features(self, fv):
        X, y = fv.training_data()
        assert X.columns.tolist() == ["petal_length"]
        assert y.columns.tolist() == ["variety"]
        X, _ = fv.training_data(primary_key=True, event_time=True)
        assert X.columns.tolist() == ["petal_length", "id", "event_time"]

    def test_train_test_split(self, fv):
        X_train, X_test, y_train, y_test = fv.train_test_split(test_size=0.25)
        assert (len(X_train), len(X_test), len(y_train), len(y_test)) == (3, 1, 3, 1)

    def test_batch_data_by_time(self, fv, fg):
        fg.insert(_flowers([20], day="2024-03-01"))
        batch = fv.get_batch_data(start_time="2024-02-01", primary_key=True)
        assert batch.to_dict("list") == {"petal_length": [1.0], "id": [20]}

    def test_get_feature_view(self, project, fv):
        again = project.get_feature_store().get_feature_view("flowers", version=1)
        assert again.labels == ["variety"] and again.features == fv.features

    def test_unknown_label(self, project, fg):
        with pytest.raises(SchemaError, match="label"):
            project.get_feature_store().get_or_create_feature_view(
                "bad", version=1, query=fg.select_all(), labels=["colour"]
            )


class TestModelRegistry:
    def _save(self, project, tmp_path, accuracy, **kwargs):
        artifact = tmp_path / "model"
        artifact.mkdir(exist_ok=True)
        (artifact / "model.pkl").write_bytes(f"acc={accuracy}".encode())
        mr = project.get_model_registry()
        model = mr.python.create_model("iris", metrics={"accuracy": accuracy}, **kwargs)
        return model.save(str(artifact))

    def test_versions_and_best(self, project, tmp_path):
        from hsml.model_schema import ModelSchema
        from hsml.schema import Schema

        X = pd.DataFrame({"a": [1.0]})
        schema = ModelSchema(Schema(X), Schema(pd.DataFrame({"y": ["b"]})))
        versions = [
            self._save(project, tmp_path, acc, input_example=X, model_schema=schema).version for acc in (0.9, 0.97, 0.8)
        ]
        assert versions == [1, 2, 3]
        mr = project.get_model_registry()
        assert mr.get_model("iris", version=3).version == 3
        best = mr.get_best_model("iris", "accuracy", "max")
        assert best.version == 2 and best.training_metrics == {"accuracy": 0.97}
        assert mr.get_best_model("iris", "accuracy", "min").version == 3
        assert best.input_example == [1.0]  # the first row as a list, as hsml stores it
        assert best.model_schema["input_schema"]["columnar_schema"][0]["name"] == "a"
        folder = best.download()
        assert (Path(folder) / "model.pkl").read_text() == "acc=0.97"

    def test_no_model(self, project):
        mr = project.get_model_registry()
        assert mr.get_best_model("titanic", "accuracy", "max") is None
        assert mr.get_model("titanic", version=1) is None

    @pytest.mark.parametrize(
        ("metrics", "error", "match"),
        [({"accuracy": "high"}, ValueError, "high is not a number"), (["accuracy"], TypeError, "expected a dict")],
    )
    def test_metrics_must_be_numbers(self, project, metrics, error, match):
        """`hopsworks_common.util._validate_metrics`: each value must be read by `float()`."""
        with pytest.raises(error, match=match):
            project.get_model_registry().python.create_model("iris", metrics=metrics)

    def test_metrics_as_text_are_kept_as_given(self, project, tmp_path):
        """The book registers `{"MSE": str(mse)}`: hsml accepts text that is a number, and keeps it."""
        (tmp_path / "m.json").write_text("{}")
        mr = project.get_model_registry()
        mr.python.create_model("aq", metrics={"MSE": "0.5", "r2": float("nan")}).save(str(tmp_path / "m.json"))
        assert mr.get_model("aq", version=1).training_metrics == {"MSE": "0.5", "r2": "nan"}
        assert mr.get_best_model("aq", "MSE", "min").version == 1

    def test_save_a_single_file(self, project, tmp_path):
        artifact = tmp_path / "model.pkl"
        artifact.write_bytes(b"x")
        model = project.get_model_registry().python.create_model("one", metrics={"accuracy": 1})
        model.save(str(artifact))
        (tmp_path / "out").mkdir()
        assert model.download(str(tmp_path / "out")) == str(tmp_path / "out")
        assert (tmp_path / "out" / "model.pkl").read_bytes() == b"x"


def test_registration_times_are_utc_whatever_the_machines_zone(sml_env, tmp_path):
    """A laptop in Tokyo records the model's time in UTC, as the rest of the store and the dashboard read it
    (DuckDB's now() would be cast to the machine's zone in a TIMESTAMP column)."""
    import os
    import subprocess
    import sys
    from datetime import UTC, datetime

    register = (
        "import pathlib, serverless_ml\n"
        "mr = serverless_ml.login().get_model_registry()\n"
        "folder = pathlib.Path(r'__DIR__'); folder.mkdir(); (folder / 'model.txt').write_text('x')\n"
        "model = mr.python.create_model(name='clock', metrics={'accuracy': 1.0})\n"
        "model.save(str(folder))\n"
        "print(mr.get_model('clock', version=1).created.isoformat())\n"
    ).replace("__DIR__", str(tmp_path / "model"))
    env = {**os.environ, "TZ": "Asia/Tokyo"}
    out = subprocess.run([sys.executable, "-c", register], env=env, capture_output=True, text=True, check=True)
    created = datetime.fromisoformat(out.stdout.strip().splitlines()[-1]).replace(tzinfo=UTC)
    assert abs((datetime.now(UTC) - created).total_seconds()) < 600, created


class TestDatasetApi:
    def test_upload_download(self, project, tmp_path):
        api = project.get_dataset_api()
        image = tmp_path / "a.png"
        image.write_bytes(b"png")
        assert api.upload(str(image), "Resources/images") == "Resources/images/a.png"
        with pytest.raises(FileExistsError, match="already exists"):
            api.upload(str(image), "Resources/images")
        image.write_bytes(b"png2")
        api.upload(str(image), "Resources/images", overwrite=True)
        out = api.download("Resources/images/a.png", str(tmp_path / "dl.png"))
        assert Path(out).read_bytes() == b"png2"
        assert api.exists("Resources/images/a.png")
        with pytest.raises(NotFoundError):
            api.download("Resources/images/none.png")
        with pytest.raises(SchemaError, match=r"'\.\.'"):
            api.upload(str(image), "../outside")


class TestBrokenStore:
    def test_corrupt_file_is_named(self, sml_env):
        home = get_settings().home
        home.mkdir(parents=True)
        (home / "store.duckdb").write_bytes(b"this is not a database" * 500)
        with pytest.raises(StoreError, match=str(home / "store.duckdb")):
            serverless_ml.login().get_feature_store().get_feature_group("iris", 1)

    def test_foreign_duckdb_file_is_named(self, sml_env):
        home = get_settings().home
        home.mkdir(parents=True)
        con = duckdb.connect(str(home / "store.duckdb"))
        con.execute("CREATE TABLE sales (x INTEGER)")
        con.close()
        with pytest.raises(StoreError, match="not a serverless-ml store"):
            serverless_ml.login().get_feature_store().get_feature_group("iris", 1)

    def test_home_that_is_a_file(self, sml_env):
        home = get_settings().home
        home.parent.mkdir(parents=True, exist_ok=True)
        home.write_text("oops")
        with pytest.raises(StoreError, match=f"SML_HOME {home} is a file"):
            serverless_ml.login()
