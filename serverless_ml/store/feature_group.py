"""Feature groups of the local store, behaving as `hsfs.feature_group.FeatureGroup` does."""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from serverless_ml.errors import SchemaError
from serverless_ml.store.database import Database
from serverless_ml.store.query import Query
from serverless_ml.store.schema import (
    FeatureGroupWarning,
    check_compatible,
    feature_name,
    infer_schema,
    sanitize_columns,
    sql_type,
    to_store,
)
from serverless_ml.store.util import TimeLike, no_local_effect, quote


def group_row(con: Any, name: str, version: int) -> tuple | None:
    """The catalogue row of feature group `name`/`version`, or None."""
    rows = con.execute(
        "SELECT name, version, primary_key, event_time, description, schema, feature_descriptions "
        "FROM _sml_feature_groups WHERE name = ? AND version = ?",
        [name, version],
    ).fetchall()
    return rows[0] if rows else None


@dataclass
class Feature:
    """One feature of a feature group, as `hsfs.feature.Feature` describes it."""

    name: str
    type: str
    description: str | None = None
    primary: bool = False
    feature_group_id: str | None = field(default=None, repr=False)


class FeatureGroup:
    """A versioned table of features with an optional primary key and event-time column."""

    def __init__(
        self,
        db: Database,
        name: str,
        version: int,
        primary_key: list[str],
        event_time: str | None,
        description: str,
        schema: dict[str, str] | None,
        descriptions: dict[str, str] | None = None,
    ) -> None:
        self._db = db
        self.name = name
        self.version = version
        self.primary_key = list(primary_key)
        self.event_time = event_time
        self.description = description
        self._schema = schema
        self._descriptions = dict(descriptions or {})

    def __repr__(self) -> str:
        return f"FeatureGroup({self.name!r}, version={self.version})"

    @property
    def table(self) -> str:
        return quote(f"fg__{self.name}__{self.version}")

    @property
    def schema(self) -> dict[str, str] | None:
        """Feature name to Hopsworks offline type (None before the first insert)."""
        if self._schema is None:
            self._schema = self._load()[0]
        return self._schema

    @property
    def features(self) -> list[Feature]:
        """The features in their stored order, as `hsfs.feature.Feature` objects (empty before the first insert)."""
        return [
            Feature(name, kind, self._descriptions.get(name), name in self.primary_key)
            for name, kind in (self.schema or {}).items()
        ]

    @property
    def feature_names(self) -> list[str]:
        return list(self.schema or {})

    def get_feature(self, name: str) -> Feature | None:
        """The feature `name` (`FeatureGroupBase.get_feature`)."""
        found = [f for f in self.features if f.name == feature_name(name)]
        if not found:
            raise SchemaError(f"feature group {self.name!r} has no feature {name!r}; it has {self.feature_names}")
        return found[0]

    def _load(self) -> tuple[dict[str, str] | None, dict[str, str]]:
        with self._db.connect() as con:
            row = con.execute(
                "SELECT schema, feature_descriptions FROM _sml_feature_groups WHERE name = ? AND version = ?",
                [self.name, self.version],
            ).fetchall()
        if not row:
            return None, {}
        schema, descriptions = row[0]
        return (json.loads(schema) if schema else None), (json.loads(descriptions) if descriptions else {})

    def save(
        self,
        features: pd.DataFrame | None = None,
        write_options: dict | None = None,
        validation_options: dict | None = None,
        wait: bool = False,
        **kwargs: Any,
    ) -> tuple[None, None]:
        """Register the feature group; with a DataFrame, also write it (`FeatureGroup.save`)."""
        self._register()
        if features is None:
            return None, None
        return self.insert(features, write_options=write_options, validation_options=validation_options, **kwargs)

    def _register(self) -> None:
        with self._db.transaction() as con:
            if group_row(con, self.name, self.version) is None:
                con.execute(
                    "INSERT INTO _sml_feature_groups (name, version, primary_key, event_time, description, schema, "
                    "created_at) VALUES (?, ?, ?, ?, ?, NULL, now())",
                    [self.name, self.version, json.dumps(self.primary_key), self.event_time, self.description],
                )

    def insert(
        self,
        features: pd.DataFrame | np.ndarray | list,
        overwrite: bool = False,
        operation: str = "upsert",
        storage: str | None = None,
        write_options: dict | None = None,
        validation_options: dict | None = None,
        wait: bool = False,
        **kwargs: Any,
    ) -> tuple[None, None]:
        """Write rows in one transaction, as `FeatureGroup.insert` does on a Delta feature group.

        - Column names are sanitized (`Engine._convert_to_default_dataframe`); the first insert fixes the
          schema, later ones must match it exactly (`_verify_schema_compatibility`).
        - `upsert` merges on primary key + event time (`DeltaEngine._generate_merge_query`): the same key at
          a new event time adds a row, the same key and event time replaces it; `insert` appends.
        - A key repeated within one DataFrame keeps its last row, with a warning.
        - `overwrite=True` drops all rows first (`FeatureGroupEngine._insert`).
        - `wait` is accepted: locally every insert is readable as soon as it returns.
        """
        if operation not in ("upsert", "insert"):
            raise SchemaError(f"operation must be 'upsert' or 'insert', got {operation!r}")
        if storage not in (None, "offline", "online"):
            raise SchemaError(f"storage must be None, 'offline' or 'online', got {storage!r}")
        no_local_effect("FeatureGroup.insert", kwargs, write_options=write_options)
        with self._db.transaction() as con:
            row = group_row(con, self.name, self.version)
            if row is None:  # a group from create_feature_group is registered by its first write
                self._register_in(con)
                schema = None
            else:
                schema = json.loads(row[5]) if row[5] else None
            frame = self._as_frame(features, schema)
            self._check_null_keys(frame)
            df_schema = infer_schema(frame) if (schema is None or len(frame)) else dict(schema)
            new = schema is None
            if new:
                self._check_keys(frame, df_schema)
                schema = df_schema
                con.execute(f"CREATE TABLE {self.table} ({self._columns_sql(schema)})")
                con.execute(
                    "UPDATE _sml_feature_groups SET schema = ? WHERE name = ? AND version = ?",
                    [json.dumps(schema), self.name, self.version],
                )
            else:
                check_compatible(schema, df_schema, self.name)
            frame = to_store(frame, schema)
            if operation == "upsert":  # "insert" appends as it comes (DeltaEngine._write_delta_rs_dataset)
                frame = self._deduplicate(frame)
            con.register("_sml_insert", frame)
            try:
                if overwrite:
                    con.execute(f"DELETE FROM {self.table}")
                elif not new and operation == "upsert" and self._merge_key:
                    match = " AND ".join(
                        f"{self.table}.{quote(k)} IS NOT DISTINCT FROM _sml_insert.{quote(k)}" for k in self._merge_key
                    )
                    con.execute(f"DELETE FROM {self.table} USING _sml_insert WHERE {match}")
                columns = ", ".join(quote(c) for c in schema)
                con.execute(f"INSERT INTO {self.table} ({columns}) SELECT {columns} FROM _sml_insert")
            finally:
                con.unregister("_sml_insert")
        self._schema = schema
        return None, None

    def _register_in(self, con: Any) -> None:
        con.execute(
            "INSERT INTO _sml_feature_groups (name, version, primary_key, event_time, description, schema, created_at) "
            "VALUES (?, ?, ?, ?, ?, NULL, now())",
            [self.name, self.version, json.dumps(self.primary_key), self.event_time, self.description],
        )

    @property
    def _merge_key(self) -> list[str]:
        # DeltaEngine._generate_merge_query: "add event time to primary key for upserts"
        return self.primary_key + ([self.event_time] if self.event_time else [])

    def _as_frame(self, features: Any, schema: dict[str, str] | None) -> pd.DataFrame:
        if isinstance(features, pd.DataFrame):
            return sanitize_columns(features)
        if isinstance(features, (np.ndarray, list)):
            if schema is None:
                raise SchemaError(
                    f"feature group {self.name!r} has no schema yet: insert a DataFrame first (a "
                    f"{type(features).__name__} has no column names)"
                )
            return pd.DataFrame(list(features), columns=list(schema))
        raise SchemaError(f"expected a pandas DataFrame, got {type(features).__name__}")

    def _check_keys(self, df: pd.DataFrame, df_schema: dict[str, str]) -> None:
        # hopsworks_common.util._verify_attribute_key_names
        missing = [k for k in self.primary_key if k not in df.columns]
        if missing:
            raise SchemaError(
                f"Provided primary key(s) {missing} doesn't exist in feature dataframe of feature group "
                f"{self.name!r}; the DataFrame has {list(df.columns)}"
            )
        if self.event_time and self.event_time not in df.columns:
            raise SchemaError(
                f"Provided event_time feature {self.event_time!r} doesn't exist in feature dataframe of feature "
                f"group {self.name!r}; the DataFrame has {list(df.columns)}"
            )
        if self.event_time and df_schema[self.event_time] not in ("timestamp", "date", "bigint"):
            raise SchemaError(
                f"event-time column {self.event_time!r} must hold timestamps, dates or epoch integers, "
                f"got {df_schema[self.event_time]}"
            )

    def _check_null_keys(self, frame: pd.DataFrame) -> None:
        # schema_validation.PandasValidator._validate_df_specifics runs before the schema check
        for key in self.primary_key:
            if key not in frame.columns:
                raise SchemaError(f"Primary key column {key} is missing in input dataframe")
            nulls = int(frame[key].isna().sum())
            if nulls:
                raise SchemaError(f"Primary key column {key} contains null values ({nulls} rows).")

    def _deduplicate(self, frame: pd.DataFrame) -> pd.DataFrame:
        if not self._merge_key:
            return frame
        repeated = frame.duplicated(subset=self._merge_key, keep="last")
        if repeated.any():
            example = frame.loc[repeated, self._merge_key].iloc[0].to_dict()
            warnings.warn(
                f"{int(repeated.sum())} row(s) repeat a key {self._merge_key} of feature group {self.name!r} within "
                f"this insert (for example {example}); the last row of each key is kept.",
                FeatureGroupWarning,
                stacklevel=3,
            )
            frame = frame[~repeated]
        return frame

    @staticmethod
    def _columns_sql(schema: dict[str, str]) -> str:
        # no PRIMARY KEY constraint: DuckDB's index would make bulk inserts several times slower
        return ", ".join(f"{quote(c)} {sql_type(t)}" for c, t in schema.items())

    def read(
        self,
        wallclock_time: TimeLike = None,
        online: bool = False,
        dataframe_type: str = "default",
        read_options: dict | None = None,
        start_time: TimeLike = None,
        end_time: TimeLike = None,
    ) -> pd.DataFrame:
        """Every row, in the order written, the most recent last (`FeatureGroup.read`: `select_all().read()`)."""
        no_local_effect("FeatureGroup.read", {}, wallclock_time=wallclock_time, online=online)
        return self.select_all().read(
            dataframe_type=dataframe_type, read_options=read_options, start_time=start_time, end_time=end_time
        )

    def show(self, n: int, online: bool = False) -> pd.DataFrame:
        """The first `n` rows (`FeatureGroup.show`: `select_all().show(n)`)."""
        return self.select_all().show(n, online=online)

    def update_feature_description(self, feature_name: str, description: str) -> FeatureGroup:
        """Describe one feature; returns the feature group (`FeatureGroupBase.update_feature_description`)."""
        name = self.get_feature(feature_name).name
        with self._db.transaction() as con:
            [(stored,)] = con.execute(
                "SELECT feature_descriptions FROM _sml_feature_groups WHERE name = ? AND version = ?",
                [self.name, self.version],
            ).fetchall()
            descriptions = {**(json.loads(stored) if stored else {}), name: description}
            con.execute(
                "UPDATE _sml_feature_groups SET feature_descriptions = ? WHERE name = ? AND version = ?",
                [json.dumps(descriptions), self.name, self.version],
            )
        self._descriptions = descriptions
        return self

    def _check_features(self, features: list[str]) -> list[str]:
        names = [feature_name(getattr(f, "name", f)) for f in features]
        unknown = [f for f in names if f not in self.feature_names]
        if unknown:
            raise SchemaError(f"feature group {self.name!r} has no feature(s) {unknown}; it has {self.feature_names}")
        return names

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
        return Query(self, [f for f in self.feature_names if f not in skip])

    def select(self, features: list[str]) -> Query:
        """A query of the named features."""
        return Query(self, self._check_features(list(features)))

    def select_except(self, features: list[str] | None = None) -> Query:
        """A query of every feature but the named ones."""
        skip = self._check_features(list(features or []))
        return Query(self, [f for f in self.feature_names if f not in skip])

    def delete(self, force: bool = False, delete_feature_views: bool = False) -> None:
        """Drop the feature group, its rows and its metadata."""
        with self._db.transaction() as con:
            con.execute(f"DROP TABLE IF EXISTS {self.table}")
            con.execute("DELETE FROM _sml_feature_groups WHERE name = ? AND version = ?", [self.name, self.version])
        self._schema = None
