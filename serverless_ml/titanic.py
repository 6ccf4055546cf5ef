"""Titanic: the passenger list, cleaned features, the daily synthetic passenger and the model."""

from __future__ import annotations

import io
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from serverless_ml.datasets import Dataset
from serverless_ml.errors import NotFoundError, RunFirstError, SchemaError
from serverless_ml.files import write_atomic
from serverless_ml.samples import BACKFILL_TIME, daily_event_time, daily_id, rng_for
from serverless_ml.settings import get_settings

RAW_COLUMNS = ["PassengerId", "Survived", "Pclass", "Name", "Sex", "Age", "SibSp", "Parch", "Fare", "Embarked"]
NUMERIC_RAW = ["PassengerId", "Survived", "Pclass", "Age", "SibSp", "Parch", "Fare"]
TITLES = ("Mr", "Mrs", "Miss", "Master", "Rare")
_TITLE_MAP = {"Mlle": "Miss", "Ms": "Miss", "Mme": "Mrs"}
#: What a passenger's numbers can be at all (the expectation suite of `titanic` and the app's refusals): an
#: age of 85 is possible though the oldest passenger was 80; 500 is not. Fares went up to 512 pounds.
PLAUSIBLE = {"age": (0, 120), "fare": (0, 1000), "sibsp": (0, 20), "parch": (0, 20)}
DATASET = Dataset(
    name="titanic",
    title="Titanic: would this passenger survive?",
    blurb="A synthetic passenger a day, drawn from the real ones, scored by the best of three model families.",
    label="survived",
    classes=(0, 1),
    class_names=("Died", "Survived"),
    images={0: "titanic_died.png", 1: "titanic_survived.png"},
    primary_key="passengerid",
    description="Titanic passengers: what a person can tell about them, and whether they survived",
    # what the app asks for; `?`: may be left empty (age and port are missing for real passengers too)
    input_kinds={
        "pclass": "category", "sex": "category", "age": "number?", "sibsp": "integer", "parch": "integer",
        "fare": "number", "embarked": "category?", "title": "category?", "surname": "text?",
    },
    input_labels={
        "pclass": "Ticket class", "sex": "Sex", "age": "Age (years)", "sibsp": "Siblings and spouses aboard",
        "parch": "Parents and children aboard", "fare": "Fare (pounds)", "embarked": "Port of embarkation",
        "title": "Title (optional)", "surname": "Surname (optional)",
    },
    choice_names={
        "embarked": {"S": "Southampton", "C": "Cherbourg", "Q": "Queenstown"},
        "pclass": {1: "1st class", 2: "2nd class", 3: "3rd class"},
    },
    examples=[[1, "female", 29.0, 0, 0, 211.3, "S", None, ""], [3, "male", 22.0, 1, 0, 7.25, "S", None, ""],
              [2, "male", 4.0, 1, 1, 26.0, "S", "Master", ""]],
    app_title="Would you have survived the Titanic?",
    app_emoji="🚢",
    sample_noun="passenger",
    plausible=PLAUSIBLE,
)  # fmt: skip
#: What a person can tell about a passenger; the registered pipeline predicts from exactly these.
INPUTS = list(DATASET.input_kinds)


# ----------------------------------------------------------------------------- loading


def _fetch(source: str) -> str:
    """The CSV text at `source`: a URL (downloaded once, cached under SML_HOME) or a path."""
    if source.startswith(("http://", "https://")):
        cache = get_settings().home / "cache" / "titanic.csv"
        if not cache.exists():
            try:
                with urllib.request.urlopen(source, timeout=30) as response:
                    payload = response.read()
            except (urllib.error.URLError, TimeoutError, ValueError) as error:
                raise NotFoundError(
                    f"cannot download the Titanic CSV from {source}: {error}. "
                    "Set SML_TITANIC_CSV to a local copy of the file."
                ) from None
            write_atomic(cache, lambda tmp: tmp.write_bytes(payload))
        return cache.read_text()
    path = Path(source).expanduser()
    if not path.is_file():
        raise NotFoundError(f"Titanic CSV {path} does not exist (set SML_TITANIC_CSV to the file)")
    return path.read_text()


def load_raw(source: str | None = None) -> pd.DataFrame:
    """The passenger list in Kaggle's train.csv layout, checked; `SML_TITANIC_CSV` by default."""
    source = source or get_settings().titanic_csv
    try:
        raw = pd.read_csv(io.StringIO(_fetch(source)))
    except pd.errors.ParserError as error:
        raise SchemaError(f"Titanic CSV {source} is not a readable CSV: {error}") from None
    missing = [c for c in RAW_COLUMNS if c not in raw.columns]
    if missing:
        raise SchemaError(f"Titanic CSV {source} lacks column(s) {missing}; expected Kaggle's layout {RAW_COLUMNS}")
    for column in NUMERIC_RAW:
        values = pd.to_numeric(raw[column], errors="coerce")
        bad = raw.loc[values.isna() & raw[column].notna(), column]
        if len(bad):
            raise SchemaError(
                f"Titanic CSV {source}: column {column!r} must be numeric, got {bad.iloc[0]!r} (row {bad.index[0] + 2})"
            )
    return raw


def _title(names: pd.Series) -> pd.Series:
    title = names.str.extract(r",\s*([^.]+)\.", expand=False).str.strip().replace(_TITLE_MAP)
    return title.where(title.isin(TITLES[:4]), "Rare")


def clean(raw: pd.DataFrame) -> pd.DataFrame:
    """Passenger-level features with lower-case names; missing values stay missing."""
    frame = pd.DataFrame(
        {
            "passengerid": raw["PassengerId"].astype("int64"),
            "pclass": raw["Pclass"].astype("int64"),
            "sex": raw["Sex"].astype(str).str.lower(),
            "age": pd.to_numeric(raw["Age"]).astype(float),
            "sibsp": raw["SibSp"].astype("int64"),
            "parch": raw["Parch"].astype("int64"),
            "fare": pd.to_numeric(raw["Fare"]).astype(float),
            "embarked": raw["Embarked"].where(raw["Embarked"].notna(), None).astype(object),
            "title": _title(raw["Name"]),
            "surname": raw["Name"].str.split(",").str[0].str.strip(),
            "survived": raw["Survived"].astype("int64"),
        }
    )
    frame["event_time"] = BACKFILL_TIME
    return frame


def backfill_frame(source: str | None = None) -> pd.DataFrame:
    """The feature group rows of the real passengers."""
    return clean(load_raw(source))


# ----------------------------------------------------------------------------- synthetic passengers


def survival_rate(stored: pd.DataFrame) -> float:
    """The share of stored (real) passengers who survived."""
    if stored.empty:
        raise RunFirstError("no stored passengers to learn from: run 1_feature_pipeline.ipynb with BACKFILL=True first")
    return float(stored["survived"].mean())


def synthetic_passengers(stored: pd.DataFrame, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """`n` synthetic passengers: survival first, then features given survival.

    The features come from a smoothed bootstrap of the real passengers with the same outcome:
    class, sex, title, port and family counts of one such passenger, with age and fare jittered.
    Each gets a new surname, so the model cannot recognise a real family.
    """
    survived = (rng.random(n) < survival_rate(stored)).astype("int64")
    rows = []
    for label in survived:
        pool = stored[stored["survived"] == label]
        template = pool.iloc[int(rng.integers(len(pool)))]
        age = template["age"]
        if pd.notna(age):
            age = float(np.clip(round(age + rng.normal(0, 2.0)), 1, 80))
        fare = float(np.round(template["fare"] * np.exp(rng.normal(0, 0.1)), 2))
        rows.append(
            {
                "pclass": int(template["pclass"]),
                "sex": template["sex"],
                "age": age,
                "sibsp": int(template["sibsp"]),
                "parch": int(template["parch"]),
                "fare": fare,
                "embarked": template["embarked"] if pd.notna(template["embarked"]) else "S",
                "title": template["title"],
                "survived": int(label),
            }
        )
    frame = pd.DataFrame(rows, columns=[c for c in INPUTS if c != "surname"] + ["survived"])
    frame["age"] = frame["age"].astype(float)
    frame.insert(len(frame.columns) - 1, "surname", [f"Synthetic {i}" for i in range(n)])
    return frame


def synthetic_passenger(stored: pd.DataFrame, run_date: date, seed: int | None = None) -> pd.DataFrame:
    """The day's passenger as a feature group row, with the id and event time of `run_date`."""
    passenger = synthetic_passengers(stored, 1, rng_for(run_date, seed, DATASET.name))
    passenger["surname"] = f"Synthetic {run_date.isoformat()}"
    passenger.insert(0, "passengerid", np.int64(daily_id(run_date)))
    passenger["event_time"] = daily_event_time(run_date)
    return passenger


# ----------------------------------------------------------------------------- the model


def _woman_or_child(X: pd.DataFrame) -> np.ndarray:
    return ((X["sex"] == "female") | (X["title"] == "Master")).to_numpy()


class FillTitle(BaseEstimator, TransformerMixin):
    """Fill a missing title from sex and age, so a person may leave it out."""

    def fit(self, X: pd.DataFrame, y=None) -> FillTitle:
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)  # what the pipeline takes
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        X = X.copy()
        missing = X["title"].isna() | (X["title"] == "")
        boy = (X["sex"] == "male") & (X["age"] < 13)
        girl = (X["sex"] == "female") & (X["age"] < 18)
        guess = np.where(X["sex"] == "male", np.where(boy, "Master", "Mr"), np.where(girl, "Miss", "Mrs"))
        X["title"] = X["title"].where(~missing, guess)
        return X


class FamilySurvival(BaseEstimator, TransformerMixin):
    """How the women and children of a passenger's family fared, learned from training rows only.

    Replaces `surname` with the survival rate of the *other* women and children of that surname in
    the training data (0.5 when none are known) and a flag saying whether any are known. During
    `fit_transform` each training row leaves itself out, so its own label never leaks into its
    features; at prediction time the whole training table is used.
    """

    def fit(self, X: pd.DataFrame, y) -> FamilySurvival:
        wc = _woman_or_child(X).astype(int)
        table = pd.DataFrame({"surname": X["surname"].to_numpy(), "s": np.asarray(y) * wc, "n": wc})
        self.table_ = table.groupby("surname")[["s", "n"]].sum()
        return self

    def _features(self, X: pd.DataFrame, own_s: np.ndarray, own_n: np.ndarray) -> pd.DataFrame:
        s = X["surname"].map(self.table_["s"]).fillna(0).to_numpy(float) - own_s
        n = X["surname"].map(self.table_["n"]).fillna(0).to_numpy(float) - own_n
        out = X.drop(columns=["surname"])
        out["family_wc_survival"] = np.where(n > 0, s / np.maximum(n, 1), 0.5)
        out["family_known"] = (n > 0).astype(int)
        return out

    def fit_transform(self, X: pd.DataFrame, y=None, **_) -> pd.DataFrame:
        self.fit(X, y)
        wc = _woman_or_child(X).astype(float)
        return self._features(X, np.asarray(y, dtype=float) * wc, wc)

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        zeros = np.zeros(len(X))
        return self._features(X, zeros, zeros)


def pipeline(model: Any, scale: bool = False) -> Pipeline:
    """`model` behind the Titanic preparation: fill a missing title, the family feature, imputation,
    one-hot encoding (and scaling of the numbers with `scale`), all fitted inside the one pipeline."""
    numeric = ["age", "sibsp", "parch", "fare", "family_wc_survival", "family_known"]
    categorical = ["pclass", "sex", "embarked", "title"]
    numeric_steps = [("impute", SimpleImputer(strategy="median"))] + ([("scale", StandardScaler())] if scale else [])
    prepare = ColumnTransformer(
        [
            ("numeric", Pipeline(numeric_steps), numeric),
            (
                "categorical",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="most_frequent")),
                        ("encode", OneHotEncoder(handle_unknown="ignore")),
                    ]
                ),
                categorical,
            ),
        ]
    )
    return Pipeline([("title", FillTitle()), ("family", FamilySurvival()), ("prepare", prepare), ("model", model)])
