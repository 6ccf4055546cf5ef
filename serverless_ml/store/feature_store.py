"""Feature groups, queries and feature views of the local store, named as in Hopsworks' hsfs."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import pandas as pd
from sklearn.model_selection import train_test_split as _split

from serverless_ml.errors import NotFoundError, SchemaError
from serverless_ml.store.database import Database
from serverless_ml.store.schema import SQL_TYPES, check_name, conform, infer_schema

TimeLike = str | int | datetime | date | None


def to_timestamp(value: TimeLike) -> pd.Timestamp | None:
    """A time argument as Hopsworks takes it (text, date, datetime or epoch ms) in naive UTC."""
    if value is None or value == "":
        return None
    stamp = pd.Timestamp(value, unit="ms") if isinstance(value, int) else pd.Timestamp(value)
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo else stamp


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class FeatureGroup:
    """A versioned table of features with a primary key and an optional event-time column."""

    def __init__(
        self,
        db: Database,
        name: str,
        version: int,
        primary_key: list[str],
        event_time: str | None,
        description: str,
        schema: dict[str, str] | None,
    ) -> None:
        self._db = db
        self.name = name
        self.version = version
        self.primary_key = list(primary_key)
        self.event_time = event_time
        self.description = description
        self._schema = schema

    def __repr__(self) -> str:
        return f"FeatureGroup({self.name!r}, version={self.version})"

    @property
    def table(self) -> str:
        return _quote(f"fg__{self.name}__{self.version}")

    @property
    def features(self) -> list[str]:
        """Feature names in their stored order (empty before the first insert)."""
        return list(self.schema or {})

    @property
    def schema(self) -> dict[str, str] | None:
        if self._schema is None:
            self._schema = self._load_schema()
        return self._schema

    def _load_schema(self) -> dict[str, str] | None:
        with self._db.connect() as con:
            row = con.execute(
                "SELECT schema FROM _sml_feature_groups WHERE name = ? AND version = ?",
                [self.name, self.version],
            ).fetchall()
        return json.loads(row[0][0]) if row and row[0][0] else None

    def insert(
        self,
        features: pd.DataFrame,
        overwrite: bool = False,
        operation: str = "upsert",
        wait: bool = False,
        **_: Any,
    ) -> tuple[None, None]:
        """Upsert rows by primary key in one transaction; the first insert fixes the schema.

        `wait` is accepted for parity with Hopsworks, where it waits for materialization;
        locally every insert is readable as soon as it returns.
        """
        if operation not in ("upsert", "insert"):
            raise SchemaError(f"operation must be 'upsert' or 'insert', got {operation!r}")
        with self._db.transaction() as con:
            row = con.execute(
                "SELECT schema FROM _sml_feature_groups WHERE name = ? AND version = ?",
                [self.name, self.version],
            ).fetchall()
            if not row:
                raise NotFoundError(f"feature group {self.name!r} version {self.version} does not exist")
            row = row[0]
            schema = json.loads(row[0]) if row[0] else None
            new = schema is None
            if new:
                self._validate_new(features)
                schema = infer_schema(features)
            frame = conform(features, schema, self.primary_key)
            if new:
                self._create_table(con, schema)
                con.execute(
                    "UPDATE _sml_feature_groups SET schema = ? WHERE name = ? AND version = ?",
                    [json.dumps(schema), self.name, self.version],
                )
            con.register("_sml_insert", frame)
            if overwrite:
                con.execute(f"DELETE FROM {self.table}")
            elif not new:  # upsert: the new rows replace those with the same primary key
                match = " AND ".join(f"{self.table}.{_quote(k)} = _sml_insert.{_quote(k)}" for k in self.primary_key)
                con.execute(f"DELETE FROM {self.table} USING _sml_insert WHERE {match}")
            columns = ", ".join(_quote(c) for c in schema)
            con.execute(f"INSERT INTO {self.table} ({columns}) SELECT {columns} FROM _sml_insert")
            con.unregister("_sml_insert")
        self._schema = schema
        return None, None

    def _validate_new(self, df: pd.DataFrame) -> None:
        if not isinstance(df, pd.DataFrame):
            raise SchemaError(f"expected a pandas DataFrame, got {type(df).__name__}")
        for key in self.primary_key + ([self.event_time] if self.event_time else []):
            if key not in df.columns:
                raise SchemaError(
                    f"feature group {self.name!r} needs column {key!r} "
                    f"(primary key {self.primary_key}, event time {self.event_time!r}); "
                    f"the DataFrame has {list(df.columns)}"
                )
        if self.event_time and not pd.api.types.is_datetime64_any_dtype(df[self.event_time]):
            raise SchemaError(
                f"event-time column {self.event_time!r} must hold timestamps, got {df[self.event_time].dtype}"
            )

    def _create_table(self, con: Any, schema: dict[str, str]) -> None:
        columns = ", ".join(f"{_quote(c)} {SQL_TYPES[t]}" for c, t in schema.items())
        # no PRIMARY KEY constraint: `insert` enforces the key itself, and DuckDB's index
        # would make bulk inserts several times slower
        con.execute(f"CREATE TABLE {self.table} ({columns})")

    def read(
        self,
        wallclock_time: TimeLike = None,
        online: bool = False,
        dataframe_type: str = "default",
        read_options: dict | None = None,
        start_time: TimeLike = None,
        end_time: TimeLike = None,
    ) -> pd.DataFrame:
        """All rows (or those with event time in [start_time, end_time)) as a DataFrame."""
        return self.select_all().read(start_time=start_time, end_time=end_time)

    def _read(
        self, features: list[str], start_time: TimeLike = None, end_time: TimeLike = None, order: bool = False
    ) -> pd.DataFrame:
        schema = self.schema
        if schema is None:
            raise NotFoundError(f"feature group {self.name!r} version {self.version} has no data yet")
        where, params = [], []
        for bound, op in ((start_time, ">="), (end_time, "<")):
            stamp = to_timestamp(bound)
            if stamp is not None:
                if not self.event_time:
                    raise SchemaError(f"feature group {self.name!r} has no event-time column to filter on")
                where.append(f"{_quote(self.event_time)} {op} ?")
                params.append(stamp.to_pydatetime())
        sql = f"SELECT {', '.join(_quote(c) for c in features)} FROM {self.table}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        if order:
            sql += " ORDER BY " + ", ".join(_quote(k) for k in self.primary_key)
        with self._db.connect() as con:
            return con.execute(sql, params).df()

    def _check_features(self, features: list[str]) -> None:
        unknown = [f for f in features if f not in self.features]
        if unknown:
            raise SchemaError(f"feature group {self.name!r} has no feature(s) {unknown}; it has {self.features}")

    def select_all(
        self,
        include_primary_key: bool = True,
        include_foreign_key: bool = True,
        include_partition_key: bool = True,
        include_event_time: bool = True,
    ) -> Query:
        """A query of every feature."""
        skip = ([] if include_primary_key else self.primary_key) + (
            [] if include_event_time or not self.event_time else [self.event_time]
        )
        return Query(self, [f for f in self.features if f not in skip])

    def select(self, features: list[str]) -> Query:
        """A query of the named features."""
        self._check_features(list(features))
        return Query(self, list(features))

    def select_except(self, features: list[str] | None = None) -> Query:
        """A query of every feature but the named ones."""
        self._check_features(list(features or []))
        return Query(self, [f for f in self.features if f not in (features or [])])


class Query:
    """A selection of features from one feature group, as `fg.select(...)` returns it."""

    def __init__(self, feature_group: FeatureGroup, features: list[str]) -> None:
        self.feature_group = feature_group
        self.features = features

    def __repr__(self) -> str:
        return f"Query({self.feature_group!r}, features={self.features})"

    def read(
        self,
        online: bool = False,
        dataframe_type: str = "default",
        read_options: dict | None = None,
        start_time: TimeLike = None,
        end_time: TimeLike = None,
    ) -> pd.DataFrame:
        """The selected features of every row."""
        return self.feature_group._read(self.features, start_time, end_time)


class FeatureView:
    """Features and labels selected for a model, over one query."""

    def __init__(
        self,
        fs: FeatureStore,
        name: str,
        version: int,
        query: Query,
        labels: list[str],
        description: str = "",
    ) -> None:
        self._fs = fs
        self.name = name
        self.version = version
        self.query = query
        self.labels = list(labels)
        self.description = description

    def __repr__(self) -> str:
        return f"FeatureView({self.name!r}, version={self.version})"

    @property
    def features(self) -> list[str]:
        return [f for f in self.query.features if f not in self.labels]

    def _frame(
        self,
        start_time: TimeLike,
        end_time: TimeLike,
        primary_key: bool | None,
        event_time: bool | None,
        with_labels: bool,
    ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        fg = self.query.feature_group
        df = fg._read(self.query.features, start_time, end_time, order=True)
        drop = [] if primary_key else [k for k in fg.primary_key if k in df.columns]
        if not event_time and fg.event_time in df.columns:
            drop.append(fg.event_time)
        X = df.drop(columns=drop + self.labels)
        y = df[self.labels] if with_labels else None
        return X, y

    def training_data(
        self,
        start_time: TimeLike = None,
        end_time: TimeLike = None,
        description: str = "",
        primary_key: bool = False,
        event_time: bool = False,
        **_: Any,
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """`X, y`: the features (without primary key and event time unless asked) and the labels."""
        return self._frame(start_time, end_time, primary_key, event_time, with_labels=True)

    def train_test_split(
        self,
        test_size: float | None = None,
        description: str = "",
        primary_key: bool = False,
        event_time: bool = False,
        **_: Any,
    ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """`X_train, X_test, y_train, y_test`, a random split as Hopsworks makes it."""
        if test_size is None or not 0 < test_size < 1:
            raise SchemaError(f"test_size must be a fraction between 0 and 1, got {test_size!r}")
        X, y = self.training_data(primary_key=primary_key, event_time=event_time)
        return tuple(_split(X, y, test_size=test_size))  # type: ignore[return-value]

    def get_batch_data(
        self,
        start_time: TimeLike = None,
        end_time: TimeLike = None,
        read_options: dict | None = None,
        primary_key: bool | None = None,
        event_time: bool | None = None,
        **_: Any,
    ) -> pd.DataFrame:
        """The features (no labels) of the rows whose event time is in [start_time, end_time)."""
        return self._frame(start_time, end_time, primary_key, event_time, with_labels=False)[0]


class FeatureStore:
    """The local feature store: feature groups and feature views in one DuckDB file."""

    def __init__(self, db: Database, name: str = "local_featurestore") -> None:
        self._db = db
        self.name = name

    def __repr__(self) -> str:
        return f"FeatureStore({self.name!r}, path={str(self._db.path)!r})"

    def get_or_create_feature_group(
        self,
        name: str,
        version: int,
        description: str | None = "",
        primary_key: list[str] | None = None,
        event_time: str | None = None,
        online_enabled: bool | None = False,
        **_: Any,
    ) -> FeatureGroup:
        """The feature group `name`/`version`, created (empty, schema set by its first insert) if new."""
        check_name(name, "feature group name")
        if not primary_key:
            raise SchemaError(f"feature group {name!r} needs a primary_key (a list of column names)")
        for key in list(primary_key) + ([event_time] if event_time else []):
            check_name(key, "column")
        with self._db.transaction() as con:
            row = self._fg_row(con, name, version)
            if row is None:
                con.execute(
                    "INSERT INTO _sml_feature_groups VALUES (?, ?, ?, ?, ?, NULL, now())",
                    [name, version, json.dumps(list(primary_key)), event_time, description or ""],
                )
                return FeatureGroup(self._db, name, version, list(primary_key), event_time, description or "", None)
        return self._fg_from_row(row)

    def get_feature_group(self, name: str, version: int | None = None) -> FeatureGroup:
        """The feature group `name`/`version` (default: version 1); raises if it does not exist."""
        version = 1 if version is None else version
        with self._db.connect() as con:
            row = self._fg_row(con, name, version)
        if row is None:
            raise NotFoundError(f"feature group {name!r} version {version} does not exist")
        return self._fg_from_row(row)

    @staticmethod
    def _fg_row(con: Any, name: str, version: int) -> tuple | None:
        rows = con.execute(
            "SELECT name, version, primary_key, event_time, description, schema "
            "FROM _sml_feature_groups WHERE name = ? AND version = ?",
            [name, version],
        ).fetchall()
        return rows[0] if rows else None

    def _fg_from_row(self, row: tuple) -> FeatureGroup:
        name, version, pk, event_time, description, schema = row
        return FeatureGroup(
            self._db,
            name,
            version,
            json.loads(pk),
            event_time,
            description,
            json.loads(schema) if schema else None,
        )

    def get_or_create_feature_view(
        self,
        name: str,
        query: Query,
        version: int,
        description: str | None = "",
        labels: list[str] | None = None,
        **_: Any,
    ) -> FeatureView:
        """The feature view `name`/`version`, created over `query` with `labels` if new."""
        check_name(name, "feature view name")
        if not isinstance(query, Query):
            raise SchemaError(
                f"query must come from fg.select_all()/select()/select_except(), got {type(query).__name__}"
            )
        labels = list(labels or [])
        missing = [label for label in labels if label not in query.features]
        if missing:
            raise SchemaError(f"label(s) {missing} are not among the query's features {query.features}")
        fg = query.feature_group
        with self._db.transaction() as con:
            if self._fv_row(con, name, version) is None:
                con.execute(
                    "INSERT INTO _sml_feature_views VALUES (?, ?, ?, ?, ?, ?, ?, now())",
                    [
                        name,
                        version,
                        fg.name,
                        fg.version,
                        json.dumps(query.features),
                        json.dumps(labels),
                        description or "",
                    ],
                )
        return self.get_feature_view(name, version)

    def get_feature_view(self, name: str, version: int | None = None) -> FeatureView:
        """The feature view `name`/`version` (default: version 1); raises if it does not exist."""
        version = 1 if version is None else version
        with self._db.connect() as con:
            row = self._fv_row(con, name, version)
        if row is None:
            raise NotFoundError(f"feature view {name!r} version {version} does not exist")
        fg_name, fg_version, features, labels, description = row
        fg = self.get_feature_group(fg_name, fg_version)
        return FeatureView(self, name, version, Query(fg, json.loads(features)), json.loads(labels), description)

    @staticmethod
    def _fv_row(con: Any, name: str, version: int) -> tuple | None:
        rows = con.execute(
            "SELECT fg_name, fg_version, features, labels, description FROM _sml_feature_views "
            "WHERE name = ? AND version = ?",
            [name, version],
        ).fetchall()
        return rows[0] if rows else None
