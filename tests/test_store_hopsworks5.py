"""Hopsworks 5 on the local backend: filters, point-in-time joins, selection helpers, transformation
functions, the online store and feature vectors, batch scoring from the registry.

Each test names the SDK function (hopsworks 5.2.1) whose behaviour it checks; the SDK's own objects are
used where it builds them client-side (`hsfs.feature.Feature`, `hsfs.constructor.filter.Filter`/`Logic`,
`@udf`, `hsfs.builtin_transformations`).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
import warnings

import numpy as np
import pandas as pd
import pytest
from hopsworks_apigen.deprecation import HopsworksDeprecationWarning
from hopsworks_common.client.exceptions import FeatureStoreException
from hsfs.builtin_transformations import label_encoder, min_max_scaler, one_hot_encoder, standard_scaler
from hsfs.constructor.filter import Filter, Logic
from hsfs.feature import Feature
from hsfs.hopsworks_udf import udf

from serverless_ml.errors import SchemaError
from tests.conftest import child_env

DAYS = pd.date_range("2024-01-01", periods=6, freq="D")


@pytest.fixture
def fs(project):
    return project.get_feature_store()


@pytest.fixture
def passengers(fs):
    fg = fs.get_or_create_feature_group("passengers", version=1, primary_key=["pid"], online_enabled=True)
    fg.insert(
        pd.DataFrame(
            {
                "pid": range(12),
                "sex": ["male", "female", "female"] * 4,
                "port": list("SCQSSCQSSCQS"),
                "age": np.arange(12, dtype=float) * 5,
                "survived": [0, 1, 1] * 4,
            }
        )
    )
    return fg


@pytest.fixture
def daily(fs):
    """Two daily groups of one city, as the book's air quality and weather: the weather of each day is
    written at noon, so the reading at midnight must not see that day's weather."""
    air = fs.get_or_create_feature_group("air", version=1, primary_key=["city"], event_time="date")
    air.insert(pd.DataFrame({"city": "x", "date": DAYS, "pm25": np.arange(6, dtype=float)}))
    weather = fs.get_or_create_feature_group("weather", version=1, primary_key=["city"], event_time="date")
    weather.insert(pd.DataFrame({"city": "x", "date": DAYS + pd.Timedelta(hours=12), "temp": np.arange(6.0) * 10}))
    return air, weather


class TestFeaturesAndFilters:
    def test_features_are_the_sdks_and_compare_into_filters(self, passengers):
        """`FeatureGroupBase.__getattr__`/`__getitem__` give `hsfs.feature.Feature`; `Feature.__ge__` & co build
        `Filter`, `&`/`|` build `Logic` (`hsfs/constructor/filter.py`)."""
        assert isinstance(passengers.age, Feature) and passengers["age"].name == "age"
        assert passengers.age.feature_group_id == passengers.id
        flt = passengers.age >= 18
        assert isinstance(flt, Filter) and flt.condition == Filter.GE
        assert isinstance((passengers.age >= 18) & (passengers.sex == "male"), Logic)
        with pytest.raises(AttributeError, match="has no attribute 'height'"):
            passengers.height  # noqa: B018
        with pytest.raises(KeyError, match="no feature or transformation called 'height'"):
            passengers["height"]

    def test_columns_schema_and_column_names_as_the_sdk_gives_them(self, fs, passengers):
        """`FeatureGroupBase.columns` and `schema` (and the deprecated `features`) are the group's
        `hsfs.feature.Feature` list; `column_names` their names, in the same order; all empty before
        the first insert, as for a group `get_or_create_feature_group` has only described."""
        assert passengers.column_names == ["pid", "sex", "port", "age", "survived"]
        with pytest.warns(HopsworksDeprecationWarning, match=r"FeatureGroupBase.features is deprecated"):
            deprecated = passengers.features  # and says so, as hsfs does
        for listing in (passengers.columns, passengers.schema, deprecated):
            assert all(isinstance(f, Feature) for f in listing)
            assert [f.name for f in listing] == passengers.column_names
        assert [f.primary for f in passengers.columns] == [True, False, False, False, False]
        assert [f.type for f in passengers.columns][:2] == ["bigint", "string"]
        new = fs.get_or_create_feature_group("empty", version=1, primary_key=["id"])
        assert new.columns == new.schema == [] and new.column_names == []

    @pytest.mark.parametrize(
        ("make", "expected"),
        [
            (lambda fg: fg.age >= 30, [6, 7, 8, 9, 10, 11]),
            (lambda fg: fg.age < 10, [0, 1]),
            (lambda fg: fg.age == 20, [4]),
            (lambda fg: fg.port != "S", [1, 2, 5, 6, 9, 10]),
            (lambda fg: fg.port.isin(["C", "Q"]) & (fg.age > 20), [5, 6, 9, 10]),
            (lambda fg: (fg.age <= 5) | (fg.pid == 11), [0, 1, 11]),
            (lambda fg: fg.sex.like("fe%") & (fg.pid < 3), [1, 2]),
        ],
    )
    def test_fg_filter_reads_the_rows_it_holds_for(self, passengers, make, expected):
        """`FeatureGroupBase.filter` is `select_all().filter(f)`; the tree reads as a WHERE clause."""
        assert passengers.filter(make(passengers)).read()["pid"].tolist() == expected

    def test_query_filters_are_anded_and_kept_by_a_feature_view(self, fs, passengers):
        """`Query.filter` ANDs a second filter to the first and returns the query; a feature view over a
        filtered query reads only those rows, after it is fetched again too."""
        query = passengers.select(["pid", "age", "survived"]).filter(passengers.age >= 20)
        assert query.filter(passengers.port == "S") is query
        fv = fs.create_feature_view("adults", version=1, query=query, labels=["survived"])
        again = fs.get_feature_view("adults", version=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            X, _ = again.training_data()
        assert X["pid"].tolist() == [4, 7, 8, 11] == fv.get_batch_data()["pid"].tolist()

    def test_extra_filter_on_training_data_and_batch_data(self, fs, passengers):
        """`FeatureView.training_data(extra_filter=...)` and `get_batch_data(extra_filter=...)`, for that read only."""
        fv = fs.create_feature_view("all", version=1, query=passengers.select_all(), labels=["survived"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            X, _ = fv.training_data(extra_filter=passengers.pid < 3)
        assert X["pid"].tolist() == [0, 1, 2]
        assert fv.get_batch_data(extra_filter=passengers.sex == "male")["pid"].tolist() == [0, 3, 6, 9]
        assert len(fv.get_batch_data()) == 12

    def test_a_date_filter_on_a_date_event_time(self, fs):
        """The book's `weather_fg.filter(weather_fg.date >= today)`: a `date` compared with a `date` or text."""
        fg = fs.get_or_create_feature_group("days", version=1, primary_key=["city"], event_time="date")
        fg.insert(pd.DataFrame({"city": ["a", "b", "c"], "date": [dt.date(2024, 1, d) for d in (1, 2, 3)]}))
        assert fg.filter(fg.date >= dt.date(2024, 1, 2)).read()["city"].tolist() == ["b", "c"]
        assert fg.filter(fg.date < "2024-01-02").read()["city"].tolist() == ["a"]

    def test_a_timestamp_filter_takes_any_time_the_sdk_takes(self, daily):
        """`Feature._get_filter_value` writes a timestamp filter's value as UTC text; dates, text, aware datetimes."""
        air, _ = daily
        aware = dt.datetime(2024, 1, 5, 1, tzinfo=dt.timezone(dt.timedelta(hours=2)))  # 2024-01-04 23:00 UTC
        assert air.filter(air.date > aware).read()["pm25"].tolist() == [4.0, 5.0]
        assert air.filter(air.date <= "2024-01-02").read()["pm25"].tolist() == [0.0, 1.0]

    def test_a_filter_on_a_feature_the_group_lacks_is_refused_naming_it(self, passengers):
        with pytest.raises(SchemaError, match=r"'height'.*'passengers' has no such feature"):
            passengers.select_all().filter(Feature("height", feature_group_id=passengers.id) > 1)
        with pytest.raises(TypeError, match="Expected type `Filter` or `Logic`"):
            passengers.select_all().filter("age > 1")


class TestPointInTimeJoins:
    def test_each_row_gets_the_latest_right_row_not_after_it(self, daily):
        """`Query._to_string` reads `fs_query.pit_query` when joined groups have event times: for each left row,
        the right row with its key and the latest event time at or before its own. A plain join would give
        36 rows here, each day beside every day's weather, five of them from its future."""
        air, weather = daily
        df = air.select(["city", "date", "pm25"]).join(weather.select(["temp"]), on=["city"]).read()
        assert len(df) == 6
        assert df["temp"].isna().tolist() == [True, False, False, False, False, False]
        assert df["temp"].tolist()[1:] == [0.0, 10.0, 20.0, 30.0, 40.0]  # the day before's, never the same day's

    def test_inner_pit_join_drops_rows_without_a_match(self, daily):
        air, weather = daily
        df = air.select_all().join(weather.select(["temp"]), on=["city"], join_type="inner").read()
        assert df["pm25"].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]

    def test_training_data_and_splits_are_point_in_time_correct(self, fs, daily):
        """Training data over a view of the join leaks no future weather, in a time split too."""
        air, weather = daily
        query = air.select(["city", "date", "pm25"]).join(weather.select(["date", "temp"]), on=["city"], prefix="w_")
        fv = fs.create_feature_view("aq", version=1, query=query, labels=["pm25"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            X, _ = fv.training_data()
            X_train, X_test, _, _ = fv.train_test_split(train_end="2024-01-04", test_start="2024-01-04")
        leaks = X.dropna()
        assert (leaks["w_date"] <= leaks["date"]).all() and len(leaks) == 5
        assert len(X_train) + len(X_test) == 6 and X_test["w_temp"].tolist() == [20.0, 30.0, 40.0]

    def test_date_and_timestamp_event_times_join(self, fs):
        """Event times of different types compare as timestamps (a date at midnight)."""
        left = fs.get_or_create_feature_group("l", version=1, primary_key=["k"], event_time="day")
        left.insert(pd.DataFrame({"k": [1, 1], "day": [dt.date(2024, 1, 2), dt.date(2024, 1, 3)]}))
        right = fs.get_or_create_feature_group("r", version=1, primary_key=["k"], event_time="ts")
        right.insert(
            pd.DataFrame({"k": [1, 1], "ts": pd.to_datetime(["2024-01-02 00:00", "2024-01-02 06:00"]), "v": [1, 2]})
        )
        assert left.select_all().join(right.select(["v"])).read()["v"].tolist() == [1, 2]


class TestSelection:
    def test_select_features_leaves_out_keys_and_event_time(self, daily, passengers):
        """`FeatureGroupBase.select_features`: `select_except(primary_key + foreign_key + [event_time] +
        partition_key)`."""
        air, _ = daily
        assert air.select_features()._columns == ["pm25"]
        assert passengers.select_features()._columns == ["sex", "port", "age", "survived"]
        assert air.select_all(include_event_time=False)._columns == ["city", "pm25"]

    def test_query_get_feature(self, passengers):
        """`Query.get_feature` / `Query.__getitem__`."""
        query = passengers.select(["pid", "age"])
        assert query["age"].name == "age" and query.get_feature("pid").primary
        with pytest.raises(SchemaError, match="'sex'"):
            query.get_feature("sex")


def _split(fv, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fv.train_test_split(test_size=0.25, seed=1, **kwargs)


class TestTransformationFunctions:
    def test_label_encoders_as_the_book_uses_them(self, fs, passengers):
        """`FeatureView.__init__` wraps UDFs in `TransformationFunction`s; the Python engine applies them
        (`TransformationFunctionEngine._apply_transformation_functions`): the SDK's output names, inputs dropped."""
        fv = fs.create_feature_view(
            "titanic",
            version=1,
            query=passengers.select_features(),
            labels=["survived"],
            transformation_functions=[label_encoder("sex"), label_encoder("port")],
        )
        X_train, X_test, y_train, _ = _split(fv)
        assert list(X_train.columns) == ["age", "label_encoder_port_", "label_encoder_sex_"]
        assert set(X_train["label_encoder_sex_"]) <= {0, 1} and y_train.columns.tolist() == ["survived"]
        assert len(X_train) == 9 and len(X_test) == 3

    def test_statistics_come_from_the_training_split_only(self, fs, passengers):
        """`TransformationFunctionEngine._fit_transform_train`: fit on the train split, then transform the others."""
        fv = fs.create_feature_view(
            "scaled",
            version=1,
            query=passengers.select(["age", "survived"]),
            labels=["survived"],
            transformation_functions=[min_max_scaler("age")],
        )
        X_train, X_test, _, _ = _split(fv)
        assert X_train["min_max_scaler_age_"].min() == 0.0 and X_train["min_max_scaler_age_"].max() == 1.0
        train_ages = passengers.read().loc[X_train.index, "age"]
        expected = (passengers.read().loc[X_test.index, "age"] - train_ages.min()) / (
            train_ages.max() - train_ages.min()
        )
        assert np.allclose(X_test["min_max_scaler_age_"], expected)

    def test_batch_scoring_uses_the_statistics_of_the_version_given(self, fs, passengers):
        """`FeatureView.init_batch_scoring(training_dataset_version=...)` binds that version's statistics
        (`_get_ready_to_use_transformation_fns`); without it `get_batch_data` refuses with the SDK's ValueError."""
        fv = fs.create_feature_view(
            "std",
            version=1,
            query=passengers.select(["pid", "age", "survived"]),
            labels=["survived"],
            transformation_functions=[standard_scaler("age")],
        )
        X_train, _, _, _ = _split(fv)
        again = fs.get_feature_view("std", version=1)
        with pytest.raises(ValueError, match="Training data version is required for transformation"):
            again.get_batch_data()
        again.init_batch_scoring(training_dataset_version=1)
        batch = again.get_batch_data()
        train_ages = passengers.read().loc[X_train.index, "age"]
        assert np.allclose(batch["standard_scaler_age_"], (batch.index * 5.0 - train_ages.mean()) / train_ages.std())
        assert "standard_scaler_age_" not in again.get_batch_data(transformed=False)

    def test_one_hot_and_a_custom_udf(self, fs, passengers):
        """`one_hot_encoder` gives one column per training category; a custom `@udf` with two inputs and `drop`."""

        @udf(float, drop=["age"])
        def age_per_port(age: pd.Series, pid: pd.Series) -> pd.Series:
            return age / (pid + 1)

        fv = fs.create_feature_view(
            "custom",
            version=1,
            query=passengers.select(["pid", "port", "age", "survived"]),
            labels=["survived"],
            transformation_functions=[one_hot_encoder("port"), age_per_port("age", "pid")],
        )
        X_train, _, _, _ = _split(fv)
        assert [c for c in X_train.columns if c.startswith("one_hot")] == [
            f"one_hot_encoder_port_{i}" for i in range(3)
        ]
        assert "age" not in X_train and np.allclose(
            X_train["age_per_port_age_pid_"], X_train["pid"] * 5 / (X_train["pid"] + 1)
        )

    def test_transformation_over_a_missing_column_is_refused(self, fs, passengers):
        with pytest.raises(SchemaError, match=r"'label_encoder'.*\['cabin'\]"):
            fs.create_feature_view(
                "bad", version=1, query=passengers.select_all(), transformation_functions=[label_encoder("cabin")]
            )
        assert fs.get_feature_view("bad", version=1) is None

    def test_on_demand_transformation_on_a_feature_group(self, fs):
        """`FeatureGroupEngine.insert` computes on-demand features before the write; a missing input is the
        SDK's `FeatureStoreException` and writes nothing."""

        @udf(float)
        def fare_per_person(fare: pd.Series, family: pd.Series) -> pd.Series:
            return fare / (family + 1)

        fg = fs.get_or_create_feature_group(
            "fares", version=1, primary_key=["pid"], transformation_functions=[fare_per_person("fare", "family")]
        )
        fg.insert(pd.DataFrame({"pid": [1, 2], "fare": [10.0, 30.0], "family": [0, 2]}))
        again = fs.get_feature_group("fares", version=1)
        assert again.read()["fare_per_person"].tolist() == [10.0, 10.0]
        assert [tf.hopsworks_udf.function_name for tf in again.transformation_functions] == ["fare_per_person"]
        with pytest.raises(
            FeatureStoreException, match=r"\{'family'\}.*'fare_per_person'  are not present in the dataframe"
        ):
            again.insert(pd.DataFrame({"pid": [3], "fare": [1.0]}))
        assert len(again.read()) == 2


class TestOnlineStore:
    def test_the_online_store_serves_the_latest_row_per_key(self, fs):
        """One row per primary key in the online store, the last written (by event time)."""
        fg = fs.get_or_create_feature_group("o", version=1, primary_key=["k"], event_time="t", online_enabled=True)
        fg.insert(
            pd.DataFrame(
                {"k": [1, 1, 2], "t": pd.to_datetime(["2024-01-02", "2024-01-01", "2024-01-01"]), "v": [2, 1, 5]}
            )
        )
        assert fg.read(online=True).sort_values("k")["v"].tolist() == [2, 5]
        assert len(fg.read()) == 3

    def test_feature_vectors_with_the_sdks_arguments(self, fs, passengers):
        """`FeatureView.get_feature_vector(s)`: `serving_keys` (or the deprecated `entry`), `passed_features`,
        `return_type`, the view's feature order, model-dependent transformations applied."""
        fv = fs.create_feature_view(
            "serve",
            version=1,
            query=passengers.select_all(),
            labels=["survived"],
            transformation_functions=[label_encoder("sex")],
        )
        _split(fv)
        fv.init_serving(training_dataset_version=1)
        vector = fv.get_feature_vector({"pid": 4})
        assert vector[:3] == [4, "S", 20.0] and vector[3] in (0, 1)
        assert fv.get_feature_vector(entry={"pid": 4}) == vector
        assert fv.get_feature_vector({"pid": 4}, passed_features={"age": 99.0})[2] == 99.0
        frame = fv.get_feature_vectors([{"pid": 5}, {"pid": 0}], return_type="pandas")
        assert frame["pid"].tolist() == [5, 0] and list(frame.columns) == ["pid", "port", "age", "label_encoder_sex_"]
        assert fv.get_feature_vectors(serving_keys=[{"pid": 1}, {"pid": 2}], return_type="numpy").shape == (2, 4)

    def test_a_missing_key_is_the_sdks_refusal(self, fs, passengers):
        """`VectorServer._assemble`: `FeatureStoreException` "... is missing from vector", unless `allow_missing`;
        a key that is no serving key is refused by `_validate_entry`."""
        fv = fs.create_feature_view("plain", version=1, query=passengers.select_all(), labels=["survived"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fv.init_serving()
        with pytest.raises(FeatureStoreException, match=r"is missing from vector.*Required entries \[pid\]"):
            fv.get_feature_vector({"pid": 99})
        assert fv.get_feature_vector({"pid": 99}, allow_missing=True) == [None] * 4
        with pytest.raises(FeatureStoreException, match="Provided key city is not a serving key"):
            fv.get_feature_vector({"city": "x"})

    def test_a_view_over_an_offline_group_cannot_serve(self, fs, daily):
        """`VectorServer._init_serving` refuses feature groups that are not online enabled, naming them."""
        air, _ = daily
        fv = fs.create_feature_view("offline", version=1, query=air.select_all())
        with pytest.raises(FeatureStoreException, match="air version : 1"):
            fv.init_serving(training_dataset_version=1)

    def test_a_write_is_seen_at_the_next_lookup(self, fs, passengers):
        """The snapshot is read again when the store's files change."""
        fv = fs.create_feature_view("fresh", version=1, query=passengers.select_all(), labels=["survived"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fv.init_serving()
        assert fv.get_feature_vector({"pid": 1})[3] == 5.0
        passengers.insert(pd.DataFrame({"pid": [1], "sex": ["female"], "port": ["C"], "age": [50.0], "survived": [1]}))
        assert fv.get_feature_vector({"pid": 1})[3] == 50.0

    def test_another_process_write_is_read_in_the_background(self, fs, passengers):
        """Another process's write (a daily run beside an app) is read in the background: lookups keep
        answering from the rows they had and see the new row soon after, as Hopsworks' online store takes
        writes in asynchronously; the writer is not locked out."""
        fv = fs.create_feature_view("app", version=1, query=passengers.select_all(), labels=["survived"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fv.init_serving()
        assert fv.get_feature_vector({"pid": 2})[3] == 10.0
        writer = (
            "import pandas as pd, serverless_ml\n"
            "fg = serverless_ml.login().get_feature_store().get_feature_group('passengers', version=1)\n"
            "fg.insert(pd.DataFrame({'pid': [2], 'sex': ['male'], 'port': ['S'], 'age': [70.0], 'survived': [0]}))\n"
        )
        subprocess.run([sys.executable, "-c", writer], check=True, env=child_env(), timeout=120)
        seen, deadline = [], time.monotonic() + 10
        while time.monotonic() < deadline and not seen:
            age = fv.get_feature_vector({"pid": 2})[3]
            assert age in (10.0, 70.0)  # the old row or the new one, never an error or a gap
            if age == 70.0:
                seen.append(age)
            time.sleep(0.01)
        assert seen, "the other process's write was not read within 10 s"

    def test_transform_applies_the_fitted_encoding(self, fs, passengers):
        """`FeatureView.transform`: a DataFrame, or a vector in the view's feature order."""
        fv = fs.create_feature_view(
            "tr", version=1, query=passengers.select(["sex", "age"]), transformation_functions=[label_encoder("sex")]
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fv.training_data()
        fv.init_serving(training_dataset_version=1)
        frame = fv.transform(pd.DataFrame({"sex": ["female", "male", "other"], "age": [1.0, 2.0, 3.0]}))
        assert frame["label_encoder_sex_"].tolist() == [0, 1, -1]  # sorted training categories; unknown -1
        assert fv.transform(["male", 4.0]) == [4.0, 1]


class TestRegistry:
    def test_model_get_feature_view_is_ready_for_batch_scoring(self, project, fs, passengers, tmp_path):
        """`Model.get_feature_view` (hsml) initialises batch scoring with the model's training-dataset version."""
        fv = fs.create_feature_view(
            "reg",
            version=1,
            query=passengers.select_features(),
            labels=["survived"],
            transformation_functions=[label_encoder("sex"), label_encoder("port")],
        )
        _split(fv)
        (tmp_path / "model").mkdir()
        (tmp_path / "model" / "m.txt").write_text("m")
        mr = project.get_model_registry()
        model = mr.python.create_model("m", metrics={"accuracy": 0.5}, feature_view=fv)
        model.save(str(tmp_path / "model"))
        served = mr.get_model("m", version=1).get_feature_view()
        batch = served.get_batch_data()
        assert list(batch.columns) == ["age", "label_encoder_port_", "label_encoder_sex_"] and len(batch) == 12
        online = mr.get_model("m", version=1).get_feature_view(online=True)
        assert online.get_feature_vector({"pid": 2})[0] == 10.0
