"""The local backend behaves as the installed Hopsworks SDK (5.2.1) does: one test per behaviour.

Each test names the SDK function whose body it mirrors; the local store is a real DuckDB file.
"""

from __future__ import annotations

import warnings
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from serverless_ml.errors import HopsworksOnlyError, NotFoundError, SchemaError
from serverless_ml.store.schema import FeatureGroupWarning
from serverless_ml.store.util import VersionWarning


def _rows(ids, day="2024-01-01", value=1.0) -> pd.DataFrame:
    ids = list(ids)
    return pd.DataFrame(
        {
            "id": ids,
            "value": [value] * len(ids),
            "kind": ["a" if i % 2 else "b" for i in ids],
            "event_time": pd.Timestamp(day),
        }
    )


@pytest.fixture
def fs(project):
    return project.get_feature_store()


@pytest.fixture
def fg(fs):
    group = fs.get_or_create_feature_group("things", version=1, primary_key=["id"], event_time="event_time")
    group.insert(_rows(range(4)))
    return group


class TestUpsert:
    """hsfs/core/delta_engine.py `DeltaEngine._generate_merge_query`: "add event time to primary key for upserts"."""

    def test_same_key_new_event_time_adds_history(self, fg):
        fg.insert(_rows([1], day="2024-01-02", value=5.0))
        rows = fg.read()
        assert len(rows) == 5
        assert rows[rows["id"] == 1]["value"].tolist() == [1.0, 5.0]

    def test_same_key_and_event_time_replaces(self, fg):
        fg.insert(_rows([1], value=7.0))
        rows = fg.read()
        assert len(rows) == 4
        assert rows[rows["id"] == 1]["value"].tolist() == [7.0]

    def test_insert_operation_appends(self, fg):
        # DeltaEngine._write_delta_rs_dataset: operation="insert" appends without a merge
        fg.insert(_rows([1, 1]), operation="insert")
        assert len(fg.read()) == 6

    def test_overwrite_drops_all_rows_first(self, fg):
        # FeatureGroupEngine._insert: `if overwrite: _delete_content(feature_group)`
        fg.insert(_rows([9]), overwrite=True)
        assert fg.read()["id"].tolist() == [9]


class TestRepeatedKeyInOneInsert:
    """hsfs/core/schema_validation.py checks nulls, never uniqueness: a repeated key is written, the last kept."""

    def test_last_row_kept_with_a_warning(self, fg):
        batch = pd.concat([_rows([5], value=1.0), _rows([5], value=2.0), _rows([6])], ignore_index=True)
        with pytest.warns(FeatureGroupWarning, match=r"1 row\(s\) repeat a key \['id', 'event_time'\]"):
            fg.insert(batch)
        rows = fg.read()
        assert rows[rows["id"] == 5]["value"].tolist() == [2.0]

    def test_a_null_key_is_still_refused(self, fg):
        # PandasValidator._validate_df_specifics: "Primary key column {pk} contains null values."
        with pytest.raises(SchemaError, match="Primary key column id contains null values"):
            fg.insert(_rows([1, 2]).assign(id=[1, None]))
        assert len(fg.read()) == 4


class TestKeysInTrainingAndBatchData:
    """hsfs/core/feature_view_engine.py `_drop_helper_columns`: `drop_cols.difference(feature_view_features)`."""

    def test_select_all_hands_out_key_and_event_time(self, fs, fg):
        fv = fs.create_feature_view("all_things", fg.select_all(), version=1, labels=["kind"])
        X, _ = fv.training_data()
        assert X.columns.tolist() == ["id", "value", "event_time"]
        assert fv.get_batch_data().columns.tolist() == ["id", "value", "event_time"]

    def test_select_except_keeps_them_out_and_the_flags_add_them(self, fs, fg):
        fv = fs.create_feature_view("some_things", fg.select_except(["id", "event_time"]), version=1, labels=["kind"])
        X, y = fv.training_data()
        assert X.columns.tolist() == ["value"] and y.columns.tolist() == ["kind"]
        X, _ = fv.training_data(primary_key=True, event_time=True)
        assert X.columns.tolist() == ["value", "id", "event_time"]
        assert fv.get_batch_data(primary_key=True).columns.tolist() == ["value", "id"]


class TestFeatureViews:
    def test_get_returns_none_then_create(self, fs, fg):
        # FeatureViewApi._get_by_name_version is wrapped in _catch_not_found(fallback_return=None)
        assert fs.get_feature_view("things", version=1) is None
        fv = fs.create_feature_view(name="things", version=1, query=fg.select_all(), labels=["kind"])
        assert fs.get_feature_view("things", version=1).labels == ["kind"]
        with pytest.raises(SchemaError, match="already exists"):
            fs.create_feature_view(name="things", version=1, query=fg.select_all())
        # FeatureStore.create_feature_view: version=None is the next version
        assert fs.create_feature_view("things", fg.select_all()).version == fv.version + 1

    def test_get_without_version_is_version_one(self, fs, fg):
        fs.create_feature_view("things", fg.select_all(), version=1)
        # FeatureStore.get_feature_view: "No version provided ... defaulting to `1`."
        with pytest.warns(VersionWarning, match="defaulting to `1`"):
            assert fs.get_feature_view("things").version == 1
        with pytest.warns(VersionWarning, match="defaulting to `1`"):
            assert fs.get_feature_group("things").version == 1

    def test_random_splits_floor_sizes_and_keep_order(self, fs, fg):
        # hsfs/engine/python.py Engine._random_split: int(n * size) per split, the rest to the last
        fg.insert(_rows(range(4, 11)))
        fv = fs.create_feature_view("split", fg.select_except(["event_time"]), version=1, labels=["kind"])
        X_train, X_val, X_test, _, _, y_test = fv.train_validation_test_split(0.2, 0.2)
        assert (len(X_train), len(X_val), len(X_test)) == (6, 2, 3)
        assert sorted(X_train["id"].tolist() + X_val["id"].tolist() + X_test["id"].tolist()) == list(range(11))
        assert X_train["id"].is_monotonic_increasing and isinstance(y_test, pd.DataFrame)
        X_train, X_test, _, _ = fv.train_test_split(0.25)  # positional, as the course calls it
        assert (len(X_train), len(X_test)) == (8, 3)

    def test_time_splits_on_event_time(self, fs, fg):
        # TrainingDataset._set_time_splits and Engine._time_series_split: start <= event time < end
        fg.insert(_rows([10, 11], day="2024-02-01"))
        fg.insert(_rows([20], day="2024-03-01"))
        fv = fs.create_feature_view("timed", fg.select_except(["event_time"]), version=1, labels=["kind"])
        X_train, X_test, _, _ = fv.train_test_split(train_start="2024-01-01", train_end="2024-02-01")
        assert X_train["id"].tolist() == [0, 1, 2, 3] and X_test["id"].tolist() == [10, 11, 20]
        X_train, X_val, X_test, *_ = fv.train_validation_test_split(
            train_end="2024-01-15", validation_start="2024-01-15", validation_end="2024-02-15", test_start="2024-02-15"
        )
        assert (X_val["id"].tolist(), X_test["id"].tolist()) == ([10, 11], [20])
        assert "event_time" not in X_train.columns

    def test_invalid_split_input(self, fs, fg):
        fv = fs.create_feature_view("bad_split", fg.select_all(), version=1, labels=["kind"])
        # FeatureView._validate_train_test_split
        with pytest.raises(ValueError, match="Invalid split input"):
            fv.train_test_split(test_size=1.5)

    def test_training_datasets_are_versioned_and_read_back(self, fs, fg):
        fv = fs.create_feature_view("tds", fg.select_all(), version=1, labels=["kind"])
        with pytest.warns(VersionWarning, match="Incremented version to `1`"):
            version, _ = fv.create_train_test_split(test_size=0.5, seed=3)
        assert fv.get_last_accessed_training_dataset() == version
        first = fv.get_train_test_split(version)
        again = fv.get_train_test_split(version)
        pd.testing.assert_frame_equal(first[0], again[0])  # a stored seed gives the same split
        with pytest.raises(ValueError, match=r"Use `feature_view\.get_train_test_split`"):
            fv.get_training_data(version)

    def test_training_data_ends_now_batch_data_does_not(self, fs, fg):
        # FeatureViewEngine._set_event_time: [1 s, now) for training data; _get_batch_data: no default
        future = (date.today() + timedelta(days=3)).isoformat()
        fg.insert(_rows([99], day=future))
        fv = fs.create_feature_view("window", fg.select_all(), version=1, labels=["kind"])
        X, _ = fv.training_data()
        assert 99 not in X["id"].tolist()
        assert 99 in fv.get_batch_data()["id"].tolist()


class TestJoin:
    """hsfs/constructor/query.py `Query.join`: keys default to the shared primary key; join_type "left"."""

    @pytest.fixture
    def groups(self, fs):
        people = fs.get_or_create_feature_group("people", version=1, primary_key=["pid"])
        people.insert(pd.DataFrame({"pid": [1, 2, 3], "name": ["a", "b", "c"], "age": [30.0, 40.0, 50.0]}))
        tickets = fs.get_or_create_feature_group("tickets", version=1, primary_key=["pid"])
        tickets.insert(pd.DataFrame({"pid": [3, 1], "fare": [7.0, 9.0], "age": [1.0, 2.0]}))
        return people, tickets

    def test_default_keys_left_join_and_one_key_column(self, groups):
        people, tickets = groups
        query = people.select_except(["name"]).join(tickets.select(["pid", "fare"]))
        df = query.read()
        assert df.columns.tolist() == ["pid", "age", "fare"]
        assert df["pid"].tolist() == [1, 2, 3]  # the left group's order, its rows all kept
        assert df["fare"].isna().tolist() == [False, True, False]

    def test_inner_prefix_and_named_keys(self, groups):
        people, tickets = groups
        inner = people.select_all().join(tickets.select_all(), on=["pid"], join_type="inner", prefix="t_")
        assert inner.read().columns.tolist() == ["pid", "name", "age", "t_pid", "t_fare", "t_age"]
        assert len(inner.read()) == 2
        renamed = people.select(["pid", "age"]).join(tickets.select(["pid", "fare"]), left_on=["pid"], right_on=["pid"])
        assert renamed.read().columns.tolist() == ["pid", "age", "fg1_pid", "fare"]

    def test_a_clash_without_prefix_gets_the_alias(self, groups):
        people, tickets = groups
        joined = people.select_all().join(tickets.select_all())
        assert joined.read().columns.tolist() == ["pid", "name", "age", "fare", "fg1_age"]

    def test_query_features_are_each_side_s_feature_objects(self, groups):
        # Query.features: the Feature objects of the left selection, then of each joined query's selection,
        # as their feature groups have them (the key on both sides, no alias prefix)
        people, tickets = groups
        features = people.select(["pid", "age"]).join(tickets.select_all(), prefix="t_").features
        assert [(f.name, f.type, f.primary) for f in features] == [
            ("pid", "bigint", True), ("age", "double", False),
            ("pid", "bigint", True), ("fare", "double", False), ("age", "double", False),
        ]  # fmt: skip
        assert features[0] is not features[2] and features[1] == people.get_feature("age")

    def test_feature_view_schema_flags_labels_and_keeps_origins(self, fs, groups):
        # FeatureView.features (alias schema): TrainingDatasetFeature per column read, label flagged
        people, tickets = groups
        query = people.select(["pid", "age"]).join(tickets.select(["pid", "fare", "age"]), prefix="t_")
        fv = fs.create_feature_view("schema_view", query, version=1, labels=["t_fare"])
        schema = fv.features
        assert fv.schema == schema
        assert [(f.name, f.type, f.index, f.label) for f in schema] == [
            ("pid", "bigint", 0, False), ("age", "double", 1, False),
            ("t_pid", "bigint", 2, False), ("t_fare", "double", 3, True), ("t_age", "double", 4, False),
        ]  # fmt: skip
        assert [(f.feature_group.name, f.feature_group_feature_name) for f in schema[3:]] == [
            (tickets.name, "fare"), (tickets.name, "age")
        ]  # fmt: skip
        assert fs.get_feature_view("schema_view", version=1).features == schema

    def test_feature_view_over_a_join(self, fs, groups):
        people, tickets = groups
        fv = fs.create_feature_view("joined", people.select_except(["name"]).join(tickets.select_all()), version=1)
        X, y = fv.training_data()
        assert y is None and X.columns.tolist() == ["pid", "age", "fare", "fg1_age"]
        again = fs.get_feature_view("joined", version=1)
        assert again.get_batch_data()["fare"].tolist()[0] == 9.0


class TestNewFeatureGroup:
    def test_saved_by_its_first_insert(self, fs):
        # FeatureStore.get_or_create_feature_group: a FeatureGroup object with features=[] until insert saves it
        fg = fs.get_or_create_feature_group("fresh", version=1, primary_key=["id"], event_time="event_time")
        assert fg.columns == [] and fs.get_feature_group("fresh", version=1) is None
        assert fs.get_or_create_feature_group("fresh", version=1, primary_key=["id"]).columns == []
        # FeatureGroup.read builds its time filter on get_feature(event_time), None before the first insert
        with pytest.raises(NotFoundError, match=r"'fresh' version 1 has not been written yet"):
            fg.read(end_time="2024-01-01")
        fg.insert(_rows([1, 2]))
        assert [f.name for f in fs.get_feature_group("fresh", version=1).columns] == list(_rows([1]).columns)
        assert len(fg.read()) == 2


class TestFeatureGroupApi:
    def test_create_feature_group_is_registered_by_its_first_insert(self, fs):
        # FeatureStore.create_feature_group is lazy: the group exists once it is written
        group = fs.create_feature_group("lazy", version=None, primary_key=["id"])
        assert group.version == 1 and fs.get_feature_group("lazy", version=1) is None
        group.insert(_rows([1]).drop(columns="event_time"))
        assert len(fs.get_feature_group("lazy", version=1).read()) == 1
        assert fs.create_feature_group("lazy").version == 2

    def test_show_and_feature_descriptions(self, fg):
        # FeatureGroup.show: select_all().show(n), a DataFrame of n rows
        assert len(fg.show(2)) == 2
        # FeatureGroupBase.update_feature_description returns the feature group
        assert fg.update_feature_description("value", "how much").get_feature("value").description == "how much"
        # FeatureGroupBase.get_feature: None for a name the group lacks (as given: no lower-casing);
        # update_feature_description goes through self[feature_name], a KeyError
        assert fg.get_feature("nope") is None and fg.get_feature("Value") is None
        with pytest.raises(KeyError, match=r"no feature or transformation called 'nope'"):
            fg.update_feature_description("nope", "?")

    def test_no_primary_key_appends(self, fs):
        # FeatureStore.create_feature_group: primary_key defaults to [], "won't have any primary key"
        log = fs.get_or_create_feature_group("log", version=1)
        log.insert(pd.DataFrame({"message": ["a", "a"]}))
        log.insert(pd.DataFrame({"message": ["a"]}))
        assert len(log.read()) == 3

    def test_list_of_rows_once_the_schema_is_known(self, fg):
        # FeatureGroup.insert takes np.ndarray and list[list] too
        fg.insert([[42, 3.0, "a", pd.Timestamp("2024-01-05")]])
        assert 42 in fg.read()["id"].tolist()

    def test_read_as_other_dataframe_types(self, fg):
        # Engine._return_dataframe_type
        assert isinstance(fg.read(dataframe_type="numpy"), np.ndarray)
        assert fg.read(dataframe_type="python")[0][0] == 0


class TestNamesAndTypes:
    def test_upper_case_and_spaces_are_sanitized(self, fs):
        # hopsworks_common.util._autofix_feature_name; Engine._convert_to_default_dataframe
        with pytest.warns(FeatureGroupWarning, match="PassengerId"):
            group = fs.get_or_create_feature_group("passengers", version=1, primary_key=["PassengerId"])
        assert group.primary_key == ["passengerid"]
        with pytest.warns(FeatureGroupWarning, match="upper case letters in feature names"):
            group.insert(pd.DataFrame({"PassengerId": [1], "Home Port": ["S"]}))
        assert group.read().columns.tolist() == ["passengerid", "home_port"]

    def test_category_is_string_and_dates_are_dates(self, fs):
        # hopsworks_common/core/type_systems.py: dictionary<string> -> string, date32 -> date
        group = fs.get_or_create_feature_group("typed", version=1, primary_key=["id"])
        group.insert(
            pd.DataFrame(
                {"id": [1, 2], "port": pd.Categorical(["S", "C"]), "day": [date(2024, 1, 1), date(2024, 1, 2)]}
            )
        )
        assert {f.name: f.type for f in group.columns} == {"id": "bigint", "port": "string", "day": "date"}
        group.insert(pd.DataFrame({"id": [3], "port": ["Q"], "day": [date(2024, 1, 3)]}))
        assert group.read()["port"].tolist() == ["S", "C", "Q"]

    def test_a_type_change_is_refused_naming_the_column(self, fg):
        # FeatureGroupBaseEngine._verify_schema_compatibility
        with pytest.raises(SchemaError, match=r"value \(expected type: 'double', derived from input: 'string'\)"):
            fg.insert(_rows([7]).assign(value="x"))


class TestRowOrder:
    def test_read_and_batch_data_in_write_order_latest_last(self, fs, fg):
        fv = fs.create_feature_view("ordered", fg.select_all(), version=1, labels=["kind"])
        fg.insert(_rows([0], value=8.0))  # replaces id 0: now the most recently written
        fg.insert(_rows([-5]))
        assert fg.read()["id"].tolist() == [1, 2, 3, 0, -5]
        assert fv.get_batch_data()["id"].tolist() == [1, 2, 3, 0, -5]


class TestModelRegistry:
    def _model(self, project, tmp_path, version=None, **kwargs):
        folder = tmp_path / "m"
        folder.mkdir(exist_ok=True)
        (folder / "model.pkl").write_bytes(b"x")
        model = project.get_model_registry().python.create_model("flower_model", version=version, **kwargs)
        return model.save(str(folder))

    def test_download_is_cached_per_version(self, project, tmp_path, capsys):
        # hsml ModelEngine._download: a cache folder per version, reused once complete, older copies pruned
        saved = self._model(project, tmp_path, metrics={"accuracy": 0.5})
        first = Path(saved.download())
        assert (first / "model.pkl").read_bytes() == b"x" and (first / ".download_complete").is_file()
        again = project.get_model_registry().get_model("flower_model", version=1).download()
        assert Path(again) == first and "Using cached model files at" in capsys.readouterr().out
        (first / ".download_complete").unlink()  # an interrupted download is never reused
        assert Path(saved.download()) == first and (first / ".download_complete").is_file()
        assert [p.name for p in first.parent.iterdir()] == [first.name]

    def test_get_model_without_version_is_version_one(self, project, tmp_path):
        for accuracy in (0.5, 0.9):
            self._model(project, tmp_path, metrics={"accuracy": accuracy})
        mr = project.get_model_registry()
        # hsml ModelRegistry.get_model: "No version provided ... defaulting to `1`."
        with pytest.warns(VersionWarning, match="defaulting to `1`"):
            assert mr.get_model("flower_model").version == 1
        assert mr.get_best_model("flower_model", "accuracy", "max").version == 2
        assert [m.version for m in mr.get_models("flower_model")] == [1, 2]

    @pytest.mark.parametrize(
        ("example", "stored"),
        [
            (pd.DataFrame({"a": [1.5, 2.0], "b": ["x", "y"]}), [1.5, "x"]),
            (pd.Series([1, 2]), [1, 2]),
            (np.array([[1.0, 2.0]]), [[1.0, 2.0]]),
            ({"a": 1}, {"a": 1}),
        ],
    )
    def test_input_example_as_hsml_stores_it(self, project, tmp_path, example, stored):
        # hopsworks_common.util._input_example_to_json
        assert self._model(project, tmp_path, input_example=example).input_example == stored

    def test_feature_view_provenance(self, project, tmp_path, fs, fg):
        fv = fs.create_feature_view("things", fg.select_all(), version=1, labels=["kind"])
        fv.train_test_split(0.5)
        model = self._model(project, tmp_path, feature_view=fv)
        again = project.get_model_registry().get_model("flower_model", version=model.version)
        # Model.save: the feature view's last accessed training dataset is recorded
        assert again.training_dataset_version == 1
        assert again.get_feature_view().name == "things"

    def test_model_name_rule(self, project):
        # hopsworks_common.util._validate_model_name: [a-zA-Z0-9_]+
        project.get_model_registry().python.create_model("Titanic_Model")
        with pytest.raises(SchemaError, match=r"regex: \[a-zA-Z0-9_\]\+"):
            project.get_model_registry().python.create_model("titanic-model")

    def test_serving_needs_hopsworks(self, project, tmp_path):
        model = self._model(project, tmp_path)
        with pytest.raises(HopsworksOnlyError, match=r"Model\.deploy needs Hopsworks"):
            model.deploy()
        with pytest.raises(HopsworksOnlyError, match="get_model_serving needs Hopsworks"):
            project.get_model_serving()


def test_dataset_api_uploads_a_folder(project, tmp_path):
    # hopsworks_common.core.dataset_api.DatasetApi.upload: os.walk, returns upload_path/basename
    folder = tmp_path / "images"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.png").write_bytes(b"a")
    (folder / "sub" / "b.png").write_bytes(b"b")
    api = project.get_dataset_api()
    assert api.upload(str(folder), "Resources") == "Resources/images"
    with pytest.raises(FileExistsError, match="set overwrite=True"):
        api.upload(str(folder), "Resources")
    out = Path(api.download("Resources/images/sub/b.png", str(tmp_path)))
    assert out.read_bytes() == b"b"


def test_arguments_without_local_effect_warn_once(fg):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fg.read(wallclock_time="2024-01-01")
        fg.read(wallclock_time="2024-01-01")
    assert [str(w.message) for w in caught if "no effect" in str(w.message)] == [
        "FeatureGroup.read(wallclock_time=...) has no effect on the local backend; it is kept for Hopsworks parity."
    ]
