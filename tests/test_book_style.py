"""The Hopsworks book's way (featurestorebook/mlfs-book, Hopsworks 5), run locally with only the login changed.

Written from reading the book's `titanic/` notebooks 1-4 and Gradio UI and its `airquality/` notebooks 1-4:
the same SDK calls with the same arguments, in the same order, in our own code and on local data (the
`titanic_csv` fixture; a few months of made-up air quality and weather for one city). Where the book relies
on what a call returns (lowercased names, column order, the last row being the newest), the test says so.
"""

from __future__ import annotations

import datetime
import json
import os
import warnings
from pathlib import Path

import hopsworks
import joblib
import numpy as np
import pandas as pd
import pytest
from hopsworks.hsfs.builtin_transformations import label_encoder
from hsfs.expectation_suite import ExpectationSuite
from hsfs.ge_expectation import GeExpectation
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import Ridge
from sklearn.metrics import classification_report, mean_squared_error, r2_score

import serverless_ml
from serverless_ml.store.schema import FeatureGroupWarning
from serverless_ml.store.util import VersionWarning

TITANIC_CSV_COLUMNS = ["PassengerId", "Sex", "Age", "Pclass", "Fare", "Parch", "SibSp", "Embarked", "Survived"]
TITANIC_FEATURES = ["age", "pclass", "fare", "parch", "sibsp", "label_encoder_embarked_", "label_encoder_sex_"]
COUNTRY, CITY, STREET = "Sweden", "Stockholm", "Hornsgatan-108"
AQICN_URL = "https://api.waqi.info/feed/@10009"
WEATHER = ["temperature_2m_mean", "precipitation_sum", "wind_speed_10m_max", "wind_direction_10m_dominant"]
HISTORY_DAYS = 120  # the backfill: four months of daily rows
FORECAST_DAYS = 7  # the daily pipeline: today and the six days after
TEST_DAYS = 14


@pytest.fixture(autouse=True)
def _logged_out():
    """Leave the `hopsworks` module logged out for the next test (a local login sets its module state)."""
    yield
    hopsworks.logout()


# --- titanic helpers ---------------------------------------------------------------------------------


def _titanic_passengers(csv_path: str) -> pd.DataFrame:
    """The backfill's DataFrame: the CSV's CamelCase columns the book keeps, mean age and most common port filled."""
    df = pd.read_csv(csv_path)[TITANIC_CSV_COLUMNS]
    return df.fillna({"Age": df["Age"].mean(), "Embarked": df["Embarked"].mode()[0]})


def _random_passenger(passenger_id: int, rng: np.random.Generator) -> pd.DataFrame:
    """One made-up passenger in the feature group's (lowercase) names, as the daily feature pipeline makes one."""
    return pd.DataFrame(
        {
            "passengerid": [passenger_id],
            "sex": [str(rng.choice(["male", "female"]))],
            "age": [float(rng.integers(1, 80))],
            "pclass": [int(rng.integers(1, 4))],
            "fare": [round(float(rng.uniform(5, 100)), 2)],
            "parch": [int(rng.integers(0, 3))],
            "sibsp": [int(rng.integers(0, 3))],
            "embarked": [str(rng.choice(["S", "C", "Q"]))],
            "survived": [int(rng.integers(0, 2))],
        }
    )


# --- air quality helpers -----------------------------------------------------------------------------


def _day_number(dates: pd.Series, start: pd.Timestamp) -> pd.Series:
    return (pd.to_datetime(dates) - start).dt.days


def _fake_weather(days: pd.DatetimeIndex, start: pd.Timestamp, rng: np.random.Generator) -> pd.DataFrame:
    """Daily weather for `CITY`, float32 as Open-Meteo's; `wind_direction_10m_dominant` is the day's number since
    `start`, so a joined row shows which day's weather it got."""
    n = len(days)
    return pd.DataFrame(
        {
            "date": days,
            "temperature_2m_mean": rng.normal(8, 6, n).astype("float32"),
            "precipitation_sum": rng.gamma(1.0, 2.0, n).astype("float32"),
            "wind_speed_10m_max": rng.uniform(2, 30, n).astype("float32"),
            "wind_direction_10m_dominant": (days - start).days.to_numpy().astype("float32"),
            "city": CITY,
        }
    )


def _fake_pm25(weather: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """PM2.5 for the days of `weather` (rain and wind clean the air), in the columns `util.get_pm25` returns."""
    pm25 = 4 + 60 / weather["wind_speed_10m_max"] - 0.8 * weather["precipitation_sum"] + rng.normal(0, 1, len(weather))
    return pd.DataFrame(
        {
            "date": weather["date"].to_numpy(),
            "pm25": pm25.clip(lower=0.5).astype("float32").to_numpy(),
            "country": COUNTRY,
            "city": CITY,
            "street": STREET,
            "url": AQICN_URL,
        }
    )


def _air_quality_data(today: pd.Timestamp, seed: int = 0) -> dict[str, pd.DataFrame]:
    """The backfill's history (up to yesterday) and the daily pipeline's rows (today's PM2.5, a week's forecast).

    Every 9th day of weather is missing from the history, so the point-in-time join must take the day before.
    """
    rng = np.random.default_rng(seed)
    start = today - pd.Timedelta(days=HISTORY_DAYS)
    history = pd.date_range(start, today - pd.Timedelta(days=1), freq="D")
    weather_all = _fake_weather(pd.date_range(start, today + pd.Timedelta(days=FORECAST_DAYS - 1)), start, rng)
    aq_all = _fake_pm25(weather_all, rng)
    in_history = weather_all["date"].isin(history)
    gaps = _day_number(weather_all["date"], start) % 9 == 4
    return {
        "air_quality": aq_all[in_history.to_numpy()].reset_index(drop=True),
        "weather": weather_all[in_history & ~gaps].reset_index(drop=True),
        "air_quality_today": aq_all[(aq_all["date"] == today).to_numpy()].reset_index(drop=True),
        "weather_forecast": weather_all[~in_history].reset_index(drop=True),
        "start": pd.DataFrame({"start": [start]}),
    }


def _greater_than(column: str, max_value: float) -> GeExpectation:
    """The book's expectation: the column's minimum above -0.1 (strictly), at most `max_value`."""
    return GeExpectation(
        expectation_type="expect_column_min_to_be_between",
        kwargs={"column": column, "min_value": -0.1, "max_value": max_value, "strict_min": True},
        meta={},
    )


def _backfill_predictions_for_monitoring(weather_fg, air_quality_df, monitor_fg, model) -> pd.DataFrame:
    """Predict the last ten weather days and store them as 1-day-ahead predictions (the book's `util` helper)."""
    features_df = weather_fg.read().sort_values(by=["date"], ascending=True).tail(10)
    features_df["predicted_pm25"] = model.predict(features_df[WEATHER])
    df = pd.merge(features_df, air_quality_df[["date", "pm25", "street", "country"]], on="date")
    df["days_before_forecast_day"] = 1
    monitor_fg.insert(df.drop(columns=["pm25"]), write_options={"wait_for_job": True})
    return df


def _assert_point_in_time(frame: pd.DataFrame, weather_days: set[int], start: pd.Timestamp) -> None:
    """Each row has the weather of the latest day on or before its own date, never of a later day."""
    row_day = _day_number(frame["date"], start)
    seen_day = frame["wind_direction_10m_dominant"].astype(int)
    assert (seen_day <= row_day).all(), "a row was joined with weather from after its date"
    expected = [max(d for d in weather_days if d <= day) for day in row_day]
    assert seen_day.tolist() == expected


# --- titanic -----------------------------------------------------------------------------------------


def test_titanic_backfill_training_daily_and_batch_inference(sml_env, titanic_csv, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    # 1 backfill: CamelCase columns in, a primary key given in CamelCase too
    project = serverless_ml.login()  # the one line changed from hopsworks.login()
    fs = project.get_feature_store()
    titanic_df = _titanic_passengers(titanic_csv[0])
    # as the SDK does (hopsworks_common.util._autofix_feature_name, hsfs.engine.python.Engine), names lowercased
    with pytest.warns(FeatureGroupWarning, match="`PassengerId` contains upper case letters"):
        titanic_fg = fs.get_or_create_feature_group(
            name="titanic", version=1, primary_key=["PassengerId"], description="Titanic passengers dataset"
        )
    assert titanic_fg.primary_key == ["passengerid"]
    with pytest.warns(FeatureGroupWarning, match="ingested dataframe contains upper case letters"):
        titanic_fg.insert(titanic_df, wait=True)

    # 2 training: select_features drops the key; the label encoders' columns come last, embarked before sex
    project = serverless_ml.login()
    fs = project.get_feature_store()
    titanic_fg = fs.get_feature_group(name="titanic", version=1)
    selected_features = titanic_fg.select_features()
    feature_view = fs.get_or_create_feature_view(
        name="titanic",
        version=1,
        description="Read from Titanic Passengers Dataset",
        labels=["survived"],
        transformation_functions=[label_encoder("sex"), label_encoder("embarked")],
        query=selected_features,
    )
    with pytest.warns(VersionWarning, match="Incremented version to `1`"):
        X_train, X_test, y_train, y_test = feature_view.train_test_split(0.2)
    assert X_train.columns.tolist() == X_test.columns.tolist() == TITANIC_FEATURES
    assert all(pd.api.types.is_numeric_dtype(X_train[c]) for c in TITANIC_FEATURES)
    assert y_train.columns.tolist() == ["survived"]
    assert len(X_train) + len(X_test) == len(titanic_df) and len(X_test) == pytest.approx(0.2 * len(titanic_df), abs=1)
    model = RandomForestClassifier(n_estimators=50, random_state=0)  # the book's XGBClassifier, from scikit-learn
    model.fit(X_train, y_train.values.ravel())
    y_pred = model.predict(X_test)
    metrics = classification_report(y_test, y_pred, output_dict=True)
    model_dir = Path("titanic_model")
    (model_dir / "images").mkdir(parents=True)
    joblib.dump(model, model_dir / "titanic_model.pkl")
    (model_dir / "images" / "confusion_matrix.png").write_bytes(b"png")  # stands in for the seaborn heatmap
    mr = project.get_model_registry()
    titanic_model = mr.python.create_model(
        name="titanic",
        metrics={"accuracy": metrics["accuracy"], "f1 score": metrics["weighted avg"]["f1-score"]},
        feature_view=feature_view,
        description="Titanic Survivor Predictor",
    )
    titanic_model.save(str(model_dir))
    assert titanic_model.version == 1

    # 3 daily feature pipeline: the next id after the largest, read back under its lowercase name
    project = serverless_ml.login()
    fs = project.get_feature_store()
    titanic_fg = fs.get_feature_group(name="titanic", version=1)
    df = titanic_fg.read()
    assert df.columns.tolist() == [c.lower() for c in TITANIC_CSV_COLUMNS]
    new_id = df["passengerid"].max() + 1
    passenger = _random_passenger(new_id, np.random.default_rng(7))
    titanic_fg.insert(passenger, wait=True)

    # 4 batch inference: the model's feature view, the whole group transformed, the newest passenger last
    project = serverless_ml.login()
    fs = project.get_feature_store()
    mr = project.get_model_registry()
    model_reg = mr.get_model("titanic", version=1)
    feature_view = model_reg.get_feature_view()
    model_dir = model_reg.download()
    assert isinstance(model_dir, str)
    model = joblib.load(model_dir + "/titanic_model.pkl")
    feature_view.init_batch_scoring(training_dataset_version=1)
    batch_data = feature_view.get_batch_data()
    assert batch_data.columns.tolist() == TITANIC_FEATURES and len(batch_data) == len(titanic_df) + 1
    y_pred = model.predict(batch_data)
    passenger_survived = y_pred[y_pred.size - 1]
    passenger_details = batch_data.iloc[-1]
    assert passenger_survived in (0, 1)
    shown = ["age", "pclass", "fare"]
    assert passenger_details[shown].tolist() == passenger[shown].iloc[0].tolist()
    # sex female->0, male->1; embarked C->0, Q->1, S->2: sorted values, fitted on the training data
    assert passenger_details["label_encoder_sex_"] == ["female", "male"].index(passenger["sex"][0])
    assert passenger_details["label_encoder_embarked_"] == ["C", "Q", "S"].index(passenger["embarked"][0])
    Path("latest_titanic_survival.jpg").write_bytes(b"jpg")  # the book saves the downloaded titanic_<0|1>.jpg here
    dataset_api = project.get_dataset_api()
    str_today = datetime.datetime.now().strftime("%Y-%m-%d")
    if not dataset_api.exists("Resources/titanic"):
        dataset_api.mkdir("Resources/titanic")
    uploaded = dataset_api.upload("latest_titanic_survival.jpg", f"Resources/titanic/{str_today}", overwrite=True)
    assert uploaded == f"Resources/titanic/{str_today}/latest_titanic_survival.jpg"
    assert dataset_api.upload("latest_titanic_survival.jpg", f"Resources/titanic/{str_today}", overwrite=True)
    # Project.get_url: the project's page, which the book prints with "/settings/fb/path/Resources/titanic" appended
    proj_url = project.get_url()
    assert isinstance(proj_url, str) and proj_url and not proj_url.endswith("/")

    # the Gradio UI: the model by name and version 1, one passenger as a numpy row (here in the training order)
    model = joblib.load(project.get_model_registry().get_model("titanic", version=1).download() + "/titanic_model.pkl")
    row = np.asarray([30.0, 1, 22.10, 0, 0, 2, 0]).reshape(1, -1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # scikit-learn: "X does not have valid feature names"
        assert model.predict(row)[0] in (0, 1)


# --- air quality -------------------------------------------------------------------------------------


def test_air_quality_secrets(sml_env):
    project = serverless_ml.login()
    assert project is not None
    secrets = hopsworks.get_secrets_api()
    location = {"country": COUNTRY, "city": CITY, "street": STREET, "aqicn_url": AQICN_URL, "latitude": 59.33,
                "longitude": 18.07}  # fmt: skip
    for name, value in [("AQICN_API_KEY", "fake-aqicn-key"), ("SENSOR_LOCATION_JSON", json.dumps(location))]:
        secret = secrets.get_secret(name)
        if secret is not None:
            secret.delete()
        created = secrets.create_secret(name, value)
        assert (created.name, repr(created)) == (name, f"Secret('{name}', 'PRIVATE')")
    # the book runs the backfill twice in a row as often as once: the delete-then-create must work again
    secrets.get_secret("AQICN_API_KEY").delete()
    secrets.create_secret("AQICN_API_KEY", "fake-aqicn-key")

    # the feature pipeline, in a new session: the values back, and the location as the JSON it was given
    serverless_ml.login()
    secrets = hopsworks.get_secrets_api()
    assert secrets.get_secret("AQICN_API_KEY").value == "fake-aqicn-key"
    assert json.loads(secrets.get_secret("SENSOR_LOCATION_JSON").value) == location
    assert secrets.get_secret("NOT_A_SECRET") is None  # SecretsApi.get_secret: None, not an error


def test_air_quality_backfill_features_training_and_batch_inference(sml_env, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    today_midnight = pd.Timestamp.now().normalize()
    data = _air_quality_data(today_midnight)
    start = data["start"]["start"][0]

    # 1 backfill: expectation suites built from the hsfs classes, two groups keyed without their event time
    project = serverless_ml.login()
    fs = project.get_feature_store()
    aq_expectation_suite = ExpectationSuite(
        expectation_suite_name="aq_expectation_suite", expectations=[_greater_than("pm25", 500.0)], meta={}
    )
    weather_expectation_suite = ExpectationSuite(
        expectation_suite_name="weather_expectation_suite",
        expectations=[_greater_than(c, 1000.0) for c in ("precipitation_sum", "wind_speed_10m_max")],
        meta={},
    )
    air_quality_fg = fs.get_or_create_feature_group(
        name="air_quality",
        description="Air Quality characteristics of each day",
        version=1,
        primary_key=["country", "city", "street"],
        event_time="date",
        expectation_suite=aq_expectation_suite,
    )
    _, report = air_quality_fg.insert(data["air_quality"])
    assert report.success
    air_quality_fg.update_feature_description("date", "Date of measurement of air quality")
    described = air_quality_fg.update_feature_description("pm25", "Fine particles, less than 2.5 micrometers")
    assert described is air_quality_fg
    weather_fg = fs.get_or_create_feature_group(
        name="weather",
        description="Weather characteristics of each day",
        version=1,
        primary_key=["city"],
        event_time="date",
        expectation_suite=weather_expectation_suite,
    )
    _, report = weather_fg.insert(data["weather"], wait=True)
    assert report.success
    for feature, description in [("city", "City where weather is measured/forecast for"), ("date", "Date")]:
        weather_fg.update_feature_description(feature, description)
    described = {f.name: f.description for f in fs.get_feature_group(name="weather", version=1).features}
    assert described["city"] == "City where weather is measured/forecast for"

    # 2 daily feature pipeline: today's PM2.5 and a week's forecast sit beside the history (key + event time)
    project = serverless_ml.login()
    fs = project.get_feature_store()
    air_quality_fg = fs.get_feature_group(name="air_quality", version=1)
    weather_fg = fs.get_feature_group(name="weather", version=1)
    air_quality_fg.insert(data["air_quality_today"])
    weather_fg.insert(data["weather_forecast"], wait=True)
    assert len(weather_fg.read()) == len(data["weather"]) + FORECAST_DAYS

    # 3 training: air quality's pm25 and date, joined as of each date with the weather features
    project = serverless_ml.login()
    fs = project.get_feature_store()
    air_quality_fg = fs.get_feature_group(name="air_quality", version=1)
    weather_fg = fs.get_feature_group(name="weather", version=1)
    selected_features = air_quality_fg.select(["pm25", "date"]).join(weather_fg.select_features(), on=["city"])
    feature_view = fs.get_or_create_feature_view(
        name="air_quality_fv",
        description="weather features with air quality as the target",
        version=1,
        labels=["pm25"],
        query=selected_features,
    )
    df_temp = feature_view.query.read()
    assert df_temp.columns.tolist() == ["pm25", "date", *WEATHER]
    assert len(df_temp) == HISTORY_DAYS + 1  # one row per air-quality row, today's included
    weather_days = set(_day_number(pd.concat([data["weather"], data["weather_forecast"]])["date"], start))
    _assert_point_in_time(df_temp, weather_days, start)
    df_temp["date"] = pd.to_datetime(df_temp["date"])
    distinct_dates = sorted(df_temp["date"].unique())
    test_start = pd.Timestamp(distinct_dates[-TEST_DAYS])
    with pytest.warns(VersionWarning, match="Incremented version to `1`"):
        X_train, X_test, y_train, y_test = feature_view.train_test_split(test_start=test_start)
    assert X_train.columns.tolist() == ["date", *WEATHER] and y_train.columns.tolist() == ["pm25"]
    assert pd.to_datetime(X_train["date"]).max() < test_start <= pd.to_datetime(X_test["date"]).min()
    assert (len(X_train), len(X_test)) == (HISTORY_DAYS + 1 - TEST_DAYS, TEST_DAYS)
    for X in (X_train, X_test):
        _assert_point_in_time(X, weather_days, start)
    X_features = X_train.drop(columns=["date"])
    X_test_features = X_test.drop(columns=["date"])
    regressor = Ridge()  # the book's XGBRegressor, from scikit-learn
    regressor.fit(X_features, y_train)
    y_pred = regressor.predict(X_test_features).ravel()
    mse = mean_squared_error(y_test.iloc[:, 0], y_pred)
    r2 = r2_score(y_test.iloc[:, 0], y_pred)
    model_dir = Path("air_quality_model")
    (model_dir / "images").mkdir(parents=True)
    joblib.dump(regressor, model_dir / "model.pkl")  # the book's model.json, saved by XGBoost
    (model_dir / "images" / "pm25_hindcast.png").write_bytes(b"png")
    test_dates = pd.to_datetime(X_test["date"])
    res_dict = {
        "MSE": str(mse),
        "R squared": str(r2) if not np.isnan(r2) else "0.0",
        "test_days": str((test_dates.max() - test_dates.min()).days),
        "train_samples": str(len(X_train)),
        "test_samples": str(len(X_test)),
    }
    mr = project.get_model_registry()
    aq_model = mr.python.create_model(
        name="air_quality_xgboost_model",
        metrics=res_dict,
        feature_view=feature_view,
        description="Air Quality (PM2.5) predictor",
    )
    aq_model.save(str(model_dir))
    assert mr.get_model("air_quality_xgboost_model", version=1).training_metrics == res_dict

    # 4 batch inference: the forecast after now (today's midnight row is before it), one prediction per day
    today = datetime.datetime.now() - datetime.timedelta(0)
    project = serverless_ml.login()
    fs = project.get_feature_store()
    location = {"country": COUNTRY, "city": CITY, "street": STREET}  # from SENSOR_LOCATION_JSON in the book
    mr = project.get_model_registry()
    retrieved_model = mr.get_model(name="air_quality_xgboost_model", version=1)
    fv = retrieved_model.get_feature_view()
    assert fv.name == "air_quality_fv"
    saved_model_dir = retrieved_model.download()
    retrieved_regressor = joblib.load(saved_model_dir + "/model.pkl")
    weather_fg = fs.get_feature_group(name="weather", version=1)
    batch_data = weather_fg.filter(weather_fg.date >= today).read()
    assert batch_data.columns.tolist() == ["date", *WEATHER, "city"]
    assert len(batch_data) == FORECAST_DAYS - 1 and pd.to_datetime(batch_data["date"]).min() > today_midnight
    batch_data["predicted_pm25"] = retrieved_regressor.predict(batch_data[WEATHER]).ravel()
    batch_data["street"] = location["street"]
    batch_data["city"] = location["city"]
    batch_data["country"] = location["country"]
    batch_data["days_before_forecast_day"] = range(1, len(batch_data) + 1)
    batch_data = batch_data.sort_values(by=["date"])
    monitor_fg = fs.get_or_create_feature_group(
        name="aq_predictions",
        description="Air Quality prediction monitoring",
        version=1,
        primary_key=["city", "street", "date", "days_before_forecast_day"],
        event_time="date",
    )
    assert monitor_fg.insert(batch_data, wait=True) == (None, None)  # no expectation suite, no report
    monitoring_df = monitor_fg.filter(monitor_fg.days_before_forecast_day == 1).read()
    assert len(monitoring_df) == 1 and set(monitoring_df.columns) == set(batch_data.columns)
    air_quality_df = fs.get_feature_group(name="air_quality", version=1).read()
    assert air_quality_df.columns.tolist() == ["date", "pm25", "country", "city", "street", "url"]
    outcome_df = air_quality_df[["date", "pm25"]]
    preds_df = monitoring_df[["date", "predicted_pm25"]]
    hindcast_df = pd.merge(preds_df, outcome_df, on="date").sort_values(by=["date"])
    assert len(hindcast_df) == 0  # tomorrow's prediction has no outcome yet: the book backfills the hindcast
    with pytest.warns(UserWarning, match=r"write_options=\.\.\.\) has no effect on the local backend"):
        hindcast_df = _backfill_predictions_for_monitoring(weather_fg, air_quality_df, monitor_fg, retrieved_regressor)
    assert len(hindcast_df) > 0 and {"date", "predicted_pm25", "pm25"} <= set(hindcast_df.columns)
    monitoring_df = monitor_fg.filter(monitor_fg.days_before_forecast_day == 1).read()
    assert len(monitoring_df) == 1 + len(hindcast_df)
    assert (monitoring_df["days_before_forecast_day"] == 1).all()

    # the forecast and hindcast charts through the dataset API, and the training hindcast from the model
    for chart in ("pm25_forecast.png", "pm25_hindcast_1day.png"):
        Path(chart).write_bytes(b"png")
    dataset_api = project.get_dataset_api()
    str_today = today.strftime("%Y-%m-%d")
    if not dataset_api.exists("Resources/airquality"):
        dataset_api.mkdir("Resources/airquality")
    folder = f"Resources/airquality/{CITY}_{STREET}_{str_today}"
    dataset_api.upload("pm25_forecast.png", folder, overwrite=True)
    dataset_api.upload("pm25_hindcast_1day.png", folder, overwrite=True)
    assert dataset_api.exists(f"{folder}/pm25_forecast.png") and dataset_api.exists(f"{folder}/pm25_hindcast_1day.png")
    assert isinstance(project.get_url(), str)
    training_hindcast_path = os.path.join(saved_model_dir, "images", "pm25_hindcast.png")
    assert os.path.exists(training_hindcast_path)
    dataset_api.upload(training_hindcast_path, "Resources/airquality", overwrite=True)
    assert dataset_api.exists("Resources/airquality/pm25_hindcast.png")
