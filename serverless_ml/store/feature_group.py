"""Feature groups of the local store, behaving as `hsfs.feature_group.FeatureGroup` does."""

from __future__ import annotations

import json
import warnings
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd

from serverless_ml.errors import SchemaError
from serverless_ml.store import transformations, validation
from serverless_ml.store.database import Database
from serverless_ml.store.feature import group_id, make_feature
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
from serverless_ml.store.util import TimeLike, no_local_effect, quote, to_timestamp

HAS_GE = validation.HAS_GREAT_EXPECTATIONS  # the SDK's default for every `ge_type`


class _NotReadyError(Exception):
    """Raised inside an insert's transaction when Great Expectations must be imported first."""


def group_row(con: Any, name: str, version: int) -> tuple | None:
    """The catalogue row of feature group `name`/`version`, or None."""
    rows = con.execute(
        "SELECT name, version, primary_key, event_time, description, schema, feature_descriptions, options "
        "FROM _sml_feature_groups WHERE name = ? AND version = ?",
        [name, version],
    ).fetchall()
    return rows[0] if rows else None


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
        expectation_suite: Any = None,
        online_enabled: bool = False,
        transformation_functions: list[Any] | None = None,
    ) -> None:
        self._db = db
        self.name = name
        self.version = version
        self.primary_key = list(primary_key)
        self.event_time = event_time
        self.description = description
        self._loaded_types = schema
        self._descriptions = dict(descriptions or {})
        # FeatureGroup.__init__ -> expectation_suite setter: kept here until the group is registered
        self._expectation_suite = None if expectation_suite is None else validation.to_suite(expectation_suite)
        self.online_enabled = bool(online_enabled)
        # FeatureGroup.__init__: on-demand transformation functions, as the SDK's TransformationFunction objects
        self.transformation_functions = transformations.on_demand(transformation_functions)

    def __getattr__(self, name: str) -> Any:
        """`fg.age`: the feature `age` (`FeatureGroupBase.__getattr__`), whose comparisons build filters."""
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self.__getitem__(name)
        except KeyError as err:
            raise AttributeError(
                f"'FeatureGroup' object has no attribute '{name}'. "
                "If you are trying to access a feature, fall back on using the `get_feature` method."
            ) from err

    def __getitem__(self, name: str) -> Any:
        """`fg["age"]`: the feature, or the on-demand transformation of that name (`FeatureGroupBase.__getitem__`)."""
        if not isinstance(name, str):
            raise TypeError(
                f"Expected type `str`, got `{type(name)}`. Features and transformations are accessible by name."
            )
        found = [f for f in self.columns if f.name == name]
        udfs = [tf.hopsworks_udf for tf in self.transformation_functions if tf.hopsworks_udf.function_name == name]
        if len(found) == 1:
            return found[0]
        if len(udfs) == 1:
            return udfs[0]
        raise KeyError(f"'FeatureGroup' object has no feature or transformation called '{name}'.")

    @property
    def id(self) -> int:
        """The group's id (`FeatureGroup.id`), stable for its name and version; its features carry it."""
        return group_id(self.name, self.version)

    def __repr__(self) -> str:
        return f"FeatureGroup({self.name!r}, version={self.version})"

    @property
    def _table(self) -> str:
        return quote(f"fg__{self.name}__{self.version}")

    @property
    def _types(self) -> dict[str, str] | None:
        """Feature name to Hopsworks offline type (None before the first insert)."""
        if self._loaded_types is None:
            self._loaded_types = self._load()[0]
        return self._loaded_types

    @property
    def columns(self) -> list[Any]:
        """The features in their stored order, as `hsfs.feature.Feature` objects, empty before the first insert
        (`FeatureGroupBase.columns`; `schema` and the deprecated `features` are its aliases)."""
        return [
            make_feature(name, kind, self._descriptions.get(name), name in self.primary_key, self.id)
            for name, kind in (self._types or {}).items()
        ]

    schema = columns

    @property
    def features(self) -> list[Any]:
        """`columns`, with the SDK's own deprecation warning (`FeatureGroupBase.features` in hsfs 5)."""
        from hopsworks_apigen import deprecation

        warnings.warn(
            deprecation.generate_deprecation_message(
                "hsfs.feature_group.FeatureGroupBase.features", "hsfs.feature_group.FeatureGroupBase.columns"
            ),
            deprecation.HopsworksDeprecationWarning,
            stacklevel=2,
        )
        return self.columns

    @property
    def column_names(self) -> list[str]:
        """The features' names in their stored order (`FeatureGroupBase.column_names`); unlike `columns`, it
        needs no `hsfs` import, so a check such as "is anything written yet" costs nothing."""
        return list(self._types or {})

    def get_feature(self, name: str) -> Any:
        """The feature `name`, or None if the group has none of that name (`FeatureGroupBase.get_feature`,
        which looks the name up as given through `__getitem__` and turns its KeyError into None)."""
        found = [f for f in self.columns if f.name == name]
        return found[0] if found else None

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

    def _registered(self) -> bool:
        """Whether the group exists in the store (a new one does from its first insert or `save`)."""
        with self._db.connect() as con:
            return group_row(con, self.name, self.version) is not None

    def _register(self) -> None:
        with self._db.transaction() as con:
            if group_row(con, self.name, self.version) is None:
                self._register_in(con)

    def insert(
        self,
        features: pd.DataFrame | np.ndarray | list,
        overwrite: bool = False,
        operation: str = "upsert",
        storage: str | None = None,
        write_options: dict | None = None,
        validation_options: dict | None = None,
        wait: bool = False,
        transformation_context: dict | None = None,
        transform: bool = True,
        **kwargs: Any,
    ) -> tuple[None, None]:
        """Write rows in one transaction, as `FeatureGroup.insert` does on a Delta feature group.

        - On-demand transformation functions add their features first (`FeatureGroupEngine.insert`, unless
          `transform=False`); a missing input is the SDK's `FeatureStoreException`, nothing written.

        - Column names are sanitized (`Engine._convert_to_default_dataframe`); the first insert fixes the
          schema, later ones must match it exactly (`_verify_schema_compatibility`).
        - `upsert` merges on primary key + event time (`DeltaEngine._generate_merge_query`): the same key at
          a new event time adds a row, the same key and event time replaces it; `insert` appends.
        - A key repeated within one DataFrame keeps its last row, with a warning.
        - `overwrite=True` drops all rows first (`FeatureGroupEngine._insert`).
        - `wait` is accepted: locally every insert is readable as soon as it returns.
        - With an expectation suite, Great Expectations validates the DataFrame after the schema check
          (`FeatureGroupEngine._insert`); the report is saved and returned as a GE object. A failed
          `strict` suite writes no row and raises `DataValidationException`; `always` writes the rows.
        """
        if operation not in ("upsert", "insert"):
            raise SchemaError(f"operation must be 'upsert' or 'insert', got {operation!r}")
        if storage not in (None, "offline", "online"):
            raise SchemaError(f"storage must be None, 'offline' or 'online', got {storage!r}")
        no_local_effect("FeatureGroup.insert", kwargs, write_options=write_options)
        # FeatureGroup.insert: validation_options={"save_report": True, **validation_options}
        options = {"save_report": True, **(validation_options or {})}
        if self.transformation_functions and transform and isinstance(features, pd.DataFrame):
            features = transformations.apply_on_insert(self.transformation_functions, sanitize_columns(features))
        try:
            schema, report = self._insert_once(features, overwrite, operation, options)
        except _NotReadyError:
            # a suite must run and Great Expectations is not imported yet: import it (seconds) with the store
            # released, then do the insert again; later inserts in this process find it ready
            validation.warm_up()
            schema, report = self._insert_once(features, overwrite, operation, options)
        self._loaded_types = schema
        if report is not None and report.ingestion_result == "REJECTED":
            raise validation.rejected(self.name, report)
        # FeatureGroup.insert returns (job, ge_report.to_ge_type())
        return None, None if report is None else report.to_ge_type()

    def _insert_once(self, features: Any, overwrite: bool, operation: str, options: dict) -> tuple[dict[str, str], Any]:
        report = None
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
                con.execute(f"CREATE TABLE {self._table} ({self._columns_sql(schema)})")
                con.execute(
                    "UPDATE _sml_feature_groups SET schema = ? WHERE name = ? AND version = ?",
                    [json.dumps(schema), self.name, self.version],
                )
            else:
                check_compatible(schema, df_schema, self.name)
            suite = self._suite_in(con, options)
            if suite is not None:
                report = self._validate_insert(con, frame, suite, options)
            if report is None or report.ingestion_result != "REJECTED":  # FeatureGroupEngine._insert raises first
                self._write(con, frame, schema, new, overwrite, operation)
        return schema, report

    def _write(
        self, con: Any, frame: pd.DataFrame, schema: dict[str, str], new: bool, overwrite: bool, operation: str
    ) -> None:
        frame = to_store(frame, schema)
        if operation == "upsert":  # "insert" appends as it comes (DeltaEngine._write_delta_rs_dataset)
            frame = self._deduplicate(frame)
        con.register("_sml_insert", frame)
        try:
            if overwrite:
                con.execute(f"DELETE FROM {self._table}")
            elif not new and operation == "upsert" and self._merge_key:
                match = " AND ".join(
                    f"{self._table}.{quote(k)} IS NOT DISTINCT FROM _sml_insert.{quote(k)}" for k in self._merge_key
                )
                con.execute(f"DELETE FROM {self._table} USING _sml_insert WHERE {match}")
            columns = ", ".join(quote(c) for c in schema)
            con.execute(f"INSERT INTO {self._table} ({columns}) SELECT {columns} FROM _sml_insert")
        finally:
            con.unregister("_sml_insert")

    def _suite_in(self, con: Any, options: dict) -> Any:
        """The suite this insert runs, or None (`GreatExpectationEngine._fetch_or_convert_expectation_suite`,
        `_should_run_validation`), read in the insert's own transaction."""
        if not options.get("fetch_expectation_suite", True):
            suite = self._expectation_suite
        else:
            row = self._suite_row(con)
            if row is None or not options.get("run_validation", json.loads(row[1])["run_validation"]):
                return None
            if not validation.ready():
                raise _NotReadyError
            suite = self._expectation_suite = validation.suite_from_json(row[1])
        return suite if validation.should_run(suite, options) else None

    def _validate_insert(self, con: Any, frame: pd.DataFrame, suite: Any, options: dict) -> Any:
        """`GreatExpectationEngine._validate(..., ingestion_result="INGESTED", ge_type=False)` within the insert."""
        ge_report = validation.run(frame, suite, options.get("ge_validate_kwargs"))
        print("Validation succeeded." if ge_report.success else "Validation failed.")
        ingestion_result = "INGESTED"
        if not ge_report.success and suite.validation_ingestion_policy == "STRICT":
            ingestion_result = "REJECTED"
        report = validation.to_report(ge_report, ingestion_result)
        if options.get("save_report"):
            report = self._save_report_in(con, report)
        return report

    def _register_in(self, con: Any) -> None:
        con.execute(
            "INSERT INTO _sml_feature_groups (name, version, primary_key, event_time, description, schema, created_at, "
            "options) VALUES (?, ?, ?, ?, ?, NULL, now() AT TIME ZONE 'UTC', ?)",
            [self.name, self.version, json.dumps(self.primary_key), self.event_time, self.description, self._options()],
        )
        if self._expectation_suite is not None:  # the suite travels with the group's metadata (FeatureGroup.to_dict)
            self._save_suite_in(con, self._expectation_suite)

    def _options(self) -> str:
        """What the catalogue keeps of the group beyond its keys: the online flag, on-demand transformations."""
        return json.dumps(
            {
                "online_enabled": self.online_enabled,
                "transformation_functions": transformations.to_json(self.transformation_functions),
            }
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
        # hopsworks_common.util._verify_attribute_key_names (a missing key column is refused before,
        # by _check_null_keys, as schema_validation does)
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
        # fast paths for the usual case, a batch without repeats: a unique single key, or unique hashes
        # (a hash collision only sends the batch to the exact check below)
        if len(self.primary_key) == 1 and frame[self.primary_key[0]].is_unique:
            return frame
        if not pd.util.hash_pandas_object(frame[self._merge_key], index=False).duplicated().any():
            return frame
        repeated = frame.duplicated(subset=self._merge_key, keep="last")
        if repeated.any():
            example = frame.loc[repeated, self._merge_key].iloc[0].to_dict()
            warnings.warn(
                f"{int(repeated.sum())} row(s) repeat a key {self._merge_key} of feature group {self.name!r} within "
                f"this insert (for example {example}); the last row of each key is kept.",
                FeatureGroupWarning,
                stacklevel=5,  # insert -> _insert_once -> _write -> here
            )
            frame = frame[~repeated]
        return frame

    @staticmethod
    def _columns_sql(schema: dict[str, str]) -> str:
        # no PRIMARY KEY constraint: DuckDB's index would make bulk inserts several times slower
        return ", ".join(f"{quote(c)} {sql_type(t)}" for c, t in schema.items())

    # --- data validation (hsfs.feature_group.FeatureGroupBase / FeatureGroup) ----------------------------

    @property
    def expectation_suite(self) -> Any:
        """The attached suite as an `hsfs` ExpectationSuite, or None (`FeatureGroupBase.expectation_suite`)."""
        return self.get_expectation_suite(ge_type=False)

    def _fetch_suite(self) -> Any:
        # FeatureGroupBase.get_expectation_suite: a registered group asks the store; a new one keeps its own
        with self._db.connect() as con:
            registered = group_row(con, self.name, self.version) is not None
            row = self._suite_row(con) if registered else None
        if registered:
            self._expectation_suite = None if row is None else validation.suite_from_json(row[1])
        return self._expectation_suite

    def _suite_row(self, con: Any) -> tuple | None:
        rows = con.execute(
            "SELECT id, suite FROM _sml_expectation_suites WHERE fg_name = ? AND fg_version = ?",
            [self.name, self.version],
        ).fetchall()
        return rows[0] if rows else None

    def _save_suite_in(self, con: Any, suite: Any) -> None:
        """Attach `suite`, replacing the one attached (`ExpectationSuiteEngine._save`).

        The replaced suite's id, and the id of each expectation that still carries its `expectationId`,
        are kept, so that their validation history goes on; new expectations get new ids.
        """
        current = self._suite_row(con)
        known: set[int] = set()
        if current is not None:
            suite_id = current[0]
            known = {e["id"] for e in json.loads(current[1])["expectations"]}
            con.execute(
                "DELETE FROM _sml_expectation_suites WHERE fg_name = ? AND fg_version = ?", [self.name, self.version]
            )
        else:
            [(suite_id,)] = con.execute("SELECT nextval('_sml_validation_ids')").fetchall()
        ids = []
        for expectation in suite.expectations:
            kept = expectation.meta.get("expectationId")
            if kept not in known:
                [(kept,)] = con.execute("SELECT nextval('_sml_validation_ids')").fetchall()
            ids.append(kept)
        con.execute(
            "INSERT INTO _sml_expectation_suites VALUES (?, ?, ?, ?, now() AT TIME ZONE 'UTC')",
            [self.name, self.version, suite_id, validation.suite_to_json(suite, suite_id, ids)],
        )

    def get_expectation_suite(self, ge_type: bool = HAS_GE) -> Any:
        """The attached suite, or None (`FeatureGroupBase.get_expectation_suite`): a GE suite when `ge_type`."""
        suite = self._fetch_suite()
        if suite is not None and ge_type is True:
            return suite.to_ge_type()
        return suite

    def save_expectation_suite(
        self,
        expectation_suite: Any,
        run_validation: bool = True,
        validation_ingestion_policy: str = "always",
        overwrite: bool = False,
    ) -> None:
        """Attach a suite, replacing any attached one (`FeatureGroupBase.save_expectation_suite`).

        A GE suite takes `run_validation` and `validation_ingestion_policy`; an `hsfs` suite keeps its own,
        as in the SDK. A suite that Great Expectations could not run is refused, naming the problem.
        With `overwrite=True` the new suite starts a new validation history; former reports are kept.
        Returns None, as the SDK's method does.
        """
        ExpectationSuite = validation._sdk()[0]
        if isinstance(expectation_suite, ExpectationSuite):
            suite = validation.to_suite(expectation_suite)
        elif isinstance(expectation_suite, dict):  # only the FeatureGroup.expectation_suite setter takes a dict
            raise TypeError(
                f"The provided expectation suite type `{type(expectation_suite)}` is not supported. Use Great "
                "Expectation `ExpectationSuite` or HSFS' own `ExpectationSuite` object."
            )
        else:
            suite = validation.to_suite(expectation_suite, run_validation, validation_ingestion_policy)
        with self._db.transaction() as con:
            registered = group_row(con, self.name, self.version) is not None
            if registered:
                if overwrite:
                    con.execute(
                        "DELETE FROM _sml_expectation_suites WHERE fg_name = ? AND fg_version = ?",
                        [self.name, self.version],
                    )
                self._save_suite_in(con, suite)
        self._expectation_suite = suite

    def delete_expectation_suite(self) -> None:
        """Detach the suite; its reports stay (`FeatureGroupBase.delete_expectation_suite`)."""
        with self._db.transaction() as con:
            con.execute(
                "DELETE FROM _sml_expectation_suites WHERE fg_name = ? AND fg_version = ?", [self.name, self.version]
            )
        self._expectation_suite = None

    def validate(
        self,
        dataframe: pd.DataFrame | None = None,
        expectation_suite: Any = None,
        save_report: bool = False,
        validation_options: dict | None = None,
        ingestion_result: str = "UNKNOWN",
        ge_type: bool = True,
    ) -> Any:
        """Run the attached suite (or `expectation_suite`) on `dataframe` (`FeatureGroup.validate`).

        Without a DataFrame, the feature group's own rows, reported as `FG_DATA`. Returns None when there is
        no suite or `validation_options={"run_validation": False}`.
        """
        if dataframe is None:
            dataframe = self.read()
            if ingestion_result.upper() == "UNKNOWN":
                ingestion_result = "FG_DATA"
        frame = sanitize_columns(dataframe)  # Engine._convert_to_default_dataframe
        options = validation_options or {}
        ingestion_result = ingestion_result.upper()
        # GreatExpectationEngine._fetch_or_convert_expectation_suite
        if expectation_suite is not None:
            suite = validation.to_suite(expectation_suite)
        elif not options.get("fetch_expectation_suite", True):
            suite = self._expectation_suite
        else:
            suite = self.get_expectation_suite(ge_type=False)
        if not validation.should_run(suite, options):
            return None
        ge_report = validation.run(frame, suite, options.get("ge_validate_kwargs"))
        print("Validation succeeded." if ge_report.success else "Validation failed.")
        if not ge_report.success and suite.validation_ingestion_policy == "STRICT" and ingestion_result == "INGESTED":
            ingestion_result = "REJECTED"
        # GreatExpectationEngine._save_or_convert_report
        if options.get("save_report", save_report):
            return self.save_validation_report(ge_report, ingestion_result=ingestion_result, ge_type=ge_type)
        if ge_type:
            return ge_report
        return validation.to_report(ge_report, ingestion_result)

    def save_validation_report(
        self, validation_report: Any, ingestion_result: str = "UNKNOWN", ge_type: bool = HAS_GE
    ) -> Any:
        """Store a report with this group's name and version (`FeatureGroupBase.save_validation_report`)."""
        if ingestion_result.upper() not in validation.INGESTION_RESULTS:
            raise ValueError(
                f"Invalid Value {ingestion_result} for ingestion_result. "
                f"Allowed values are {', '.join(validation.INGESTION_RESULTS)}."
            )
        report = validation.to_report(validation_report, ingestion_result.upper())
        with self._db.transaction() as con:
            if group_row(con, self.name, self.version) is None:
                raise SchemaError(
                    f"feature group {self.name!r} version {self.version} is not saved yet: insert or save it "
                    "before saving validation reports"
                )
            saved = self._save_report_in(con, report)
        return saved.to_ge_type() if ge_type else saved

    def _save_report_in(self, con: Any, report: Any) -> Any:
        [(report_id,)] = con.execute("SELECT nextval('_sml_validation_ids')").fetchall()
        now = datetime.now(UTC).replace(tzinfo=None)
        ingestion_result = str(report.ingestion_result).upper()
        text = validation.report_to_json(report)
        con.execute(
            "INSERT INTO _sml_validation_reports VALUES (?, ?, ?, ?, ?, ?, ?)",
            [report_id, self.name, self.version, now, ingestion_result, bool(report.success), text],
        )
        return validation.report_from_json(text, report_id, now, ingestion_result)

    def _reports(self, where: str = "", params: list | None = None, limit: int | None = None) -> list[tuple]:
        # ValidationReportApi: sort_by validation_time:desc
        with self._db.connect() as con:
            return con.execute(
                "SELECT id, validation_time, ingestion_result, report FROM _sml_validation_reports "
                f"WHERE fg_name = ? AND fg_version = ? {where} ORDER BY validation_time DESC, id DESC"
                + ("" if limit is None else f" LIMIT {int(limit)}"),
                [self.name, self.version, *(params or [])],
            ).fetchall()

    def get_latest_validation_report(self, ge_type: bool = HAS_GE) -> Any:
        """The most recent report, or None (`ValidationReportEngine._get_last`)."""
        reports = self._reports(limit=1)
        if not reports:
            return None
        report = validation.report_from_json(reports[0][3], *reports[0][:3])
        return report.to_ge_type() if ge_type else report

    def get_all_validation_reports(self, ge_type: bool = HAS_GE) -> list[Any]:
        """Every report, newest first (`ValidationReportEngine._get_all`)."""
        reports = [validation.report_from_json(text, *rest) for *rest, text in self._reports()]
        return [r.to_ge_type() for r in reports] if ge_type else reports

    def get_validation_history(
        self,
        expectation_id: int,
        start_validation_time: str | int | datetime | date | None = None,
        end_validation_time: str | int | datetime | date | None = None,
        filter_by: list[str] | None = None,
        ge_type: bool = HAS_GE,
    ) -> list[Any]:
        """Every result of one expectation, newest first (`ValidationResultEngine._get_validation_history`).

        `filter_by` keeps the named ingestion results; the times bound the validation time, inclusive.
        """
        where, params = "", []
        for value in filter_by or []:  # ValidationResultEngine._build_query_params
            if value.upper() not in validation.INGESTION_RESULTS:
                raise ValueError(
                    f"Illegal Value {value} in filter_by.Allowed values are {', '.join(validation.INGESTION_RESULTS)}"
                )
        if filter_by:
            where += " AND ingestion_result IN (SELECT unnest(?))"
            params.append([v.upper() for v in filter_by])
        if start_validation_time is not None:
            where += " AND validation_time >= ?"
            params.append(to_timestamp(start_validation_time))
        if end_validation_time is not None:
            where += " AND validation_time <= ?"
            params.append(to_timestamp(end_validation_time))
        return validation.history(self._reports(where, params), expectation_id, ge_type)

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
        no_local_effect("FeatureGroup.read", {}, wallclock_time=wallclock_time)
        return self.select_all().read(
            online=online,
            dataframe_type=dataframe_type,
            read_options=read_options,
            start_time=start_time,
            end_time=end_time,
        )

    def show(self, n: int, online: bool = False) -> pd.DataFrame:
        """The first `n` rows (`FeatureGroup.show`: `select_all().show(n)`)."""
        return self.select_all().show(n, online=online)

    def update_feature_description(self, feature_name: str, description: str) -> FeatureGroup:
        """Describe one feature; returns the feature group (`FeatureGroupBase.update_feature_description`).

        An unknown name raises KeyError, as the SDK's `self[feature_name]` does, naming the features there are.
        """
        feature = self.get_feature(feature_name)
        if feature is None:
            raise KeyError(
                f"'FeatureGroup' object has no feature or transformation called '{feature_name}': "
                f"{self.name!r} has {self.column_names}"
            )
        name = feature.name
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
        unknown = [f for f in names if f not in self.column_names]
        if unknown:
            raise SchemaError(f"feature group {self.name!r} has no feature(s) {unknown}; it has {self.column_names}")
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
        return Query(self, [f for f in self.column_names if f not in skip])

    def select_features(self) -> Query:
        """A query of the features without the primary key and the event time (`FeatureGroupBase.select_features`,
        which selects `select_except(primary_key + foreign_key + [event_time] + partition_key)`)."""
        skip = self.primary_key + ([self.event_time] if self.event_time else [])
        return Query(self, [f for f in self.column_names if f not in skip])

    def filter(self, f: Any) -> Query:
        """Every feature, of the rows `f` holds for (`FeatureGroupBase.filter`: `select_all().filter(f)`)."""
        return self.select_all().filter(f)

    def select(self, features: list[str]) -> Query:
        """A query of the named features (names or `Feature` objects)."""
        return Query(self, self._check_features(list(features)))

    def select_except(self, features: list[str] | None = None) -> Query:
        """A query of every feature but the named ones."""
        skip = self._check_features(list(features or []))
        return Query(self, [f for f in self.column_names if f not in skip])

    def delete(self, force: bool = False, delete_feature_views: bool = False) -> None:
        """Drop the feature group, its rows and its metadata."""
        with self._db.transaction() as con:
            con.execute(f"DROP TABLE IF EXISTS {self._table}")
            con.execute("DELETE FROM _sml_feature_groups WHERE name = ? AND version = ?", [self.name, self.version])
            # Hopsworks deletes the group's suite and reports with it
            for table in ("_sml_expectation_suites", "_sml_validation_reports"):
                con.execute(f"DELETE FROM {table} WHERE fg_name = ? AND fg_version = ?", [self.name, self.version])
        self._loaded_types = None
