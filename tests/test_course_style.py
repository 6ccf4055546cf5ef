"""The public course's way of using Hopsworks, run on the local backend with only the login changed.

Written from reading featurestoreorg/serverless-ml-course (src/01-module Iris, src/02-module Titanic)
and ID2223KTH lab 1: the same calls in the same order, in our own code and on local data.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import joblib
import pandas as pd
import pytest
from sklearn.datasets import load_iris
from sklearn.neighbors import KNeighborsClassifier

import serverless_ml
from serverless_ml.store.schema import FeatureGroupWarning
from serverless_ml.store.util import VersionWarning

MEASUREMENTS = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


def _iris_csv_frame() -> pd.DataFrame:
    """The course's iris.csv layout: four measurements and a capitalised variety."""
    data = load_iris(as_frame=True)
    df = data.frame.copy()
    df.columns = [*MEASUREMENTS, "variety"]
    df["variety"] = [data.target_names[t].capitalize() for t in data.target]
    return df


def _get_or_create_view(fs, name, fg, labels):
    # on hopsworks 5.2.1 get_feature_view returns None for a missing view (it no longer raises)
    fv = fs.get_feature_view(name=name, version=1)
    if fv is None:
        fv = fs.create_feature_view(name=name, version=1, description=f"Read from {name}", labels=labels,
                                    query=fg.select_all())  # fmt: skip
    return fv


def test_iris_feature_training_and_batch_inference(sml_env, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    project = serverless_ml.login()  # the one line changed from hopsworks.login()
    fs = project.get_feature_store()

    # feature pipeline: keyed by the four measurements, as the course does; one row of the data repeats
    iris_df = _iris_csv_frame()
    iris_fg = fs.get_or_create_feature_group(
        name="iris", version=1, primary_key=MEASUREMENTS, description="Iris flower dataset"
    )
    with pytest.warns(FeatureGroupWarning, match=r"1 row\(s\) repeat a key"):
        iris_fg.insert(iris_df)
    assert len(iris_fg.read()) == 149

    # training pipeline: get the view or create it, split 80/20 (a positional test size), fit, register
    fv = _get_or_create_view(fs, "iris", fs.get_feature_group(name="iris", version=1), ["variety"])
    X_train, X_test, y_train, y_test = fv.train_test_split(0.2)
    assert (len(X_train), len(X_test)) == (119, 30)
    assert X_train.columns.tolist() == MEASUREMENTS  # the key columns are the features here
    model = KNeighborsClassifier(n_neighbors=2).fit(X_train, y_train.values.ravel())
    accuracy = float((model.predict(X_test) == y_test["variety"]).mean())
    model_dir = Path("iris_model")
    model_dir.mkdir()
    joblib.dump(model, model_dir / "iris_model.pkl")
    from hsml.model_schema import ModelSchema
    from hsml.schema import Schema

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model_schema = ModelSchema(Schema(X_train), Schema(y_train))
    mr = project.get_model_registry()
    iris_model = mr.python.create_model(
        version=1,
        name="iris",
        metrics={"accuracy": accuracy},
        model_schema=model_schema,
        input_example=X_train.sample(),
        description="Iris Flower Predictor",
    )
    iris_model.save(str(model_dir))
    assert len(mr.get_model("iris", version=1).input_example) == 4

    # daily feature pipeline: one new flower, through get_feature_group
    new_flower = pd.DataFrame([[6.1, 2.9, 4.7, 1.4, "Versicolor"]], columns=[*MEASUREMENTS, "variety"])
    fs.get_feature_group(name="iris", version=1).insert(new_flower)

    # batch inference: the latest model, the batch data, and "the last row" of both reads
    with pytest.warns(VersionWarning, match="defaulting to `1`"):
        served = mr.get_model("iris")
    loaded = joblib.load(served.download() + "/iris_model.pkl")
    batch_data = fv.get_batch_data()
    y_pred = loaded.predict(batch_data)
    flower = y_pred[y_pred.size - 1]
    df = fs.get_feature_group(name="iris", version=1).read()
    label = df.iloc[-1]["variety"]
    assert batch_data.iloc[-1].tolist() == [6.1, 2.9, 4.7, 1.4] == df.iloc[-1][MEASUREMENTS].tolist()
    assert (label, flower in {"Setosa", "Versicolor", "Virginica"}) == ("Versicolor", True)

    # the monitoring feature group keyed by a date string, and its history
    monitor_fg = fs.get_or_create_feature_group(
        name="iris_predictions", version=1, primary_key=["datetime"], description="Iris flower Prediction/Outcome"
    )
    monitor_df = pd.DataFrame({"prediction": [flower], "label": [label], "datetime": ["01/02/2026, 06:00:00"]})
    monitor_fg.insert(monitor_df, write_options={"wait_for_job": False})
    history = pd.concat([monitor_fg.read(), monitor_df])
    assert len(history.tail(5)) == 2

    # images through the dataset API, downloaded again as the monitoring app does
    Path("latest_iris.png").write_bytes(b"png")
    dataset_api = project.get_dataset_api()
    dataset_api.upload("./latest_iris.png", "Resources/images", overwrite=True)
    Path("latest_iris.png").unlink()
    dataset_api.download("Resources/images/latest_iris.png")
    assert Path("latest_iris.png").read_bytes() == b"png"


def test_titanic_three_groups_joined_by_their_key(sml_env, titanic_csv):
    project = serverless_ml.login()
    fs = project.get_feature_store()
    raw = pd.read_csv(titanic_csv[0])
    raw.columns = [c.lower() for c in raw.columns]
    raw = raw.rename(columns={"passengerid": "passenger_id"})
    passengers = raw[["passenger_id", "name", "sex", "age"]].copy()
    passengers["sex"] = passengers["sex"].map({"female": 0, "male": 1})
    passengers["age_bin"] = pd.cut(
        passengers["age"], bins=[0, 12, 19, 40, 65, 130], labels=["child", "teen", "young_adult", "middle_aged", "old"]
    )
    passengers = pd.get_dummies(passengers, columns=["age_bin"], prefix=["age"])
    tickets = raw[["passenger_id", "fare", "embarked"]]
    survived = raw[["passenger_id", "survived"]]
    for name, frame in [
        ("titanic_passengers", passengers),
        ("titanic_tickets", tickets),
        ("titanic_survived", survived),
    ]:
        group = fs.get_or_create_feature_group(name=name, version=1, primary_key=["passenger_id"])
        group.insert(frame, write_options={"wait_for_job": False})

    groups = {n: fs.get_feature_group(name=f"titanic_{n}", version=1) for n in ("passengers", "tickets", "survived")}
    query = (
        groups["passengers"]
        .select_except(["name"])
        .join(groups["tickets"].select_all())
        .join(groups["survived"].select_all())
    )
    fv = fs.get_feature_view(name="titanic", version=1)
    if fv is None:
        fv = fs.create_feature_view(name="titanic", version=1, query=query, labels=["survived"])
    X_train, X_test, y_train, _ = fv.train_test_split(test_size=0.2)
    assert X_train.columns.tolist()[:4] == ["passenger_id", "sex", "age", "age_child"]
    assert X_train.columns.tolist()[-2:] == ["fare", "embarked"] and y_train.columns.tolist() == ["survived"]
    assert len(X_train) == int(len(raw) * 0.8) and len(X_test) == len(raw) - int(len(raw) * 0.8)

    model_dir = Path(sml_env["SML_HOME"]).parent / "titanic_model"
    model_dir.mkdir()
    (model_dir / "titanic_model.pkl").write_bytes(b"model")
    registered = project.get_model_registry().python.create_model(
        name="titanic_modal", metrics={"accuracy": 0.8}, description="titanic Predictor"
    )
    assert registered.save(str(model_dir)).version == 1
