"""The local feature store, behaving as `hsfs.feature_store.FeatureStore` does.

The installed SDK (hopsworks 5.2.1) is the specification of every module in `serverless_ml.store`;
each behaviour names the SDK function it matches. Where the local store has no equivalent (online
time travel, jobs) the argument is accepted and a warning says so once.
"""

from __future__ import annotations

import json
from typing import Any

from serverless_ml.errors import SchemaError
from serverless_ml.store import transformations
from serverless_ml.store.database import Database
from serverless_ml.store.feature_group import FeatureGroup, group_row
from serverless_ml.store.feature_view import FeatureView
from serverless_ml.store.query import Query
from serverless_ml.store.schema import check_name, feature_name
from serverless_ml.store.util import DEFAULT_VERSION, default_version, no_local_effect


class FeatureStore:
    """The local feature store: feature groups and feature views in one DuckDB file."""

    DEFAULT_VERSION = DEFAULT_VERSION

    def __init__(self, db: Database, name: str = "local_featurestore") -> None:
        self._db = db
        self.name = name

    def __repr__(self) -> str:
        return f"FeatureStore({self.name!r}, path={str(self._db.path)!r})"

    # --- feature groups ------------------------------------------------------------------------

    def _new_group(
        self,
        name: str,
        version: int,
        description: str | None,
        primary_key: list[str] | None,
        event_time: str | None,
        expectation_suite: Any = None,
        online_enabled: bool | None = False,
        transformation_functions: list[Any] | None = None,
    ) -> FeatureGroup:
        check_name(name, "feature group name")
        if isinstance(primary_key, str):
            primary_key = [primary_key]
        # FeatureGroup.primary_key / event_time setters: util._autofix_feature_name(..., warn=True)
        keys = [feature_name(k, warn=True) for k in primary_key or []]
        if isinstance(event_time, list):
            event_time = event_time[0] if event_time else None
        event = feature_name(event_time, warn=True) if event_time else None
        return FeatureGroup(
            self._db,
            name,
            version,
            keys,
            event,
            description or "",
            None,
            None,
            expectation_suite,
            bool(online_enabled),
            transformation_functions,
        )

    def create_feature_group(
        self,
        name: str,
        version: int | None = None,
        description: str = "",
        online_enabled: bool = False,
        *,
        primary_key: list[str] | None = None,
        event_time: str | None = None,
        expectation_suite: Any = None,
        transformation_functions: list[Any] | None = None,
        **kwargs: Any,
    ) -> FeatureGroup:
        """A new feature group object, registered by its first `insert` or `save` (`FeatureStore.create_feature_group`).

        `version=None` takes the next free version. Hopsworks refuses an existing name and version when
        the group is saved; locally the refusal comes at once. An `expectation_suite` (GE or `hsfs`) is
        attached when the group is registered, and validates its first insert already.
        """
        no_local_effect("FeatureStore.create_feature_group", kwargs)
        with self._db.connect() as con:
            if version is None:
                [(latest,)] = con.execute(
                    "SELECT max(version) FROM _sml_feature_groups WHERE name = ?", [name]
                ).fetchall()
                version = (latest or 0) + 1
            elif group_row(con, name, version) is not None:
                raise SchemaError(
                    f"feature group {name!r} version {version} already exists: use get_feature_group or "
                    "get_or_create_feature_group, or a new version"
                )
        return self._new_group(
            name,
            version,
            description,
            primary_key,
            event_time,
            expectation_suite,
            online_enabled,
            transformation_functions,
        )

    def get_or_create_feature_group(
        self,
        name: str,
        version: int,
        description: str | None = "",
        online_enabled: bool | None = False,
        *,
        primary_key: list[str] | None = None,
        event_time: str | None = None,
        expectation_suite: Any = None,
        transformation_functions: list[Any] | None = None,
        **kwargs: Any,
    ) -> FeatureGroup:
        """The feature group `name`/`version` if it exists, else a new one (`FeatureStore.get_or_create_feature_group`).

        As on Hopsworks, a new group is only an object until its first `insert` (or `save`) registers
        it: until then `get_feature_group` returns None and it has no features. Its
        `expectation_suite`, or one saved on it before that, is attached when it is registered and
        validates that first insert already.
        """
        no_local_effect("FeatureStore.get_or_create_feature_group", kwargs)
        existing = self._get_group(name, version)
        if existing is not None:
            return existing
        return self._new_group(
            name,
            version,
            description,
            primary_key,
            event_time,
            expectation_suite,
            online_enabled,
            transformation_functions,
        )

    def get_feature_group(self, name: str, version: int | None = None) -> FeatureGroup | None:
        """The feature group `name`/`version`, or None if there is none (`FeatureStore.get_feature_group`).

        Without a version: version 1, with a warning.
        """
        version = default_version(version, "feature group", name)
        return self._get_group(name, version)

    def get_feature_groups(self, name: str | None = None) -> list[FeatureGroup]:
        """Every version of feature group `name` (every group without a name)."""
        with self._db.connect() as con:
            rows = con.execute(
                "SELECT name, version FROM _sml_feature_groups WHERE ? IS NULL OR name = ? ORDER BY name, version",
                [name, name],
            ).fetchall()
        return [self._get_group(n, v) for n, v in rows]  # type: ignore[misc]

    def _get_group(self, name: str, version: int) -> FeatureGroup | None:
        with self._db.connect() as con:
            row = group_row(con, name, version)
        return None if row is None else self._fg_from_row(row)

    def _fg_from_row(self, row: tuple) -> FeatureGroup:
        name, version, pk, event_time, description, schema, descriptions, options = row
        options = json.loads(options) if options else {}
        return FeatureGroup(
            self._db,
            name,
            version,
            json.loads(pk),
            event_time,
            description,
            json.loads(schema) if schema else None,
            json.loads(descriptions) if descriptions else None,
            online_enabled=options.get("online_enabled", False),
            transformation_functions=transformations.from_json(options.get("transformation_functions")),
        )

    # --- feature views -------------------------------------------------------------------------

    def create_feature_view(
        self,
        name: str,
        query: Query,
        version: int | None = None,
        description: str | None = "",
        labels: list[str] | None = None,
        inference_helper_columns: list[str] | None = None,
        training_helper_columns: list[str] | None = None,
        transformation_functions: list[Any] | None = None,
        **kwargs: Any,
    ) -> FeatureView:
        """A new feature view over `query` (`FeatureStore.create_feature_view`); `version=None` takes the next.

        An existing name and version is refused, as Hopsworks' backend refuses it. Model-dependent
        `transformation_functions` are kept with the view, as the SDK sends them (`TransformationFunction.to_dict`);
        one over a column the query does not have is refused, naming it.
        """
        check_name(name, "feature view name")
        if not isinstance(query, Query):
            raise SchemaError(
                f"query must come from fg.select_all()/select()/select_except(), got {type(query).__name__}"
            )
        no_local_effect("FeatureStore.create_feature_view", kwargs)
        # FeatureView.__init__: labels and helper columns go through util._autofix_feature_name
        labels = [feature_name(label) for label in labels or []]
        inference = [feature_name(c) for c in inference_helper_columns or []]
        training = [feature_name(c) for c in training_helper_columns or []]
        missing = [c for c in labels + inference + training if c not in query._columns]
        if missing:
            raise SchemaError(
                f"label or helper column(s) {missing} are not among the query's features {query._columns}"
            )
        functions = transformations.model_dependent(transformation_functions)
        transformations.check_inputs(functions, query._columns, f"the query of feature view {name!r}")
        spec = {
            "query": query._to_json(),
            "inference_helper_columns": inference,
            "training_helper_columns": training,
            "transformation_functions": transformations.to_json(functions),
        }
        fg = query.feature_group
        with self._db.transaction() as con:
            if version is None:
                [(latest,)] = con.execute(
                    "SELECT max(version) FROM _sml_feature_views WHERE name = ?", [name]
                ).fetchall()
                version = (latest or 0) + 1
            elif self._fv_row(con, name, version) is not None:
                raise SchemaError(f"feature view {name!r} version {version} already exists")
            con.execute(
                "INSERT INTO _sml_feature_views (name, version, fg_name, fg_version, features, labels, description, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, now() AT TIME ZONE 'UTC')",
                [name, version, fg.name, fg.version, json.dumps(spec), json.dumps(labels), description or ""],
            )
        return FeatureView(self, name, version, query, labels, description or "", inference, training, functions)

    def get_or_create_feature_view(
        self,
        name: str,
        query: Query,
        version: int,
        description: str | None = "",
        labels: list[str] | None = None,
        inference_helper_columns: list[str] | None = None,
        training_helper_columns: list[str] | None = None,
        transformation_functions: list[Any] | None = None,
        **kwargs: Any,
    ) -> FeatureView:
        """The feature view `name`/`version`, created over `query` with `labels` if new."""
        existing = self._get_view(name, version)
        if existing is not None:
            return existing
        return self.create_feature_view(
            name,
            query,
            version,
            description,
            labels,
            inference_helper_columns,
            training_helper_columns,
            transformation_functions,
            **kwargs,
        )

    def get_feature_view(self, name: str, version: int | None = None) -> FeatureView | None:
        """The feature view `name`/`version`, or None if there is none (`FeatureStore.get_feature_view`).

        Without a version: version 1, with a warning.
        """
        version = default_version(version, "feature view", name)
        return self._get_view(name, version)

    def get_feature_views(self, name: str) -> list[FeatureView]:
        """Every version of feature view `name`."""
        with self._db.connect() as con:
            versions = [
                v
                for (v,) in con.execute(
                    "SELECT version FROM _sml_feature_views WHERE name = ? ORDER BY version", [name]
                ).fetchall()
            ]
        return [self._get_view(name, v) for v in versions]  # type: ignore[misc]

    def _get_view(self, name: str, version: int) -> FeatureView | None:
        with self._db.connect() as con:
            row = self._fv_row(con, name, version)
        if row is None:
            return None
        fg_name, fg_version, stored, labels, description = row
        spec = json.loads(stored)
        if isinstance(spec, list):  # a view saved before joins: the features of one group
            spec = {"query": {"fg": [fg_name, fg_version], "features": spec, "joins": []}}
        query = Query._from_json(self, spec["query"])
        return FeatureView(
            self,
            name,
            version,
            query,
            json.loads(labels),
            description,
            spec.get("inference_helper_columns"),
            spec.get("training_helper_columns"),
            transformations.from_json(spec.get("transformation_functions")),
        )

    @staticmethod
    def _fv_row(con: Any, name: str, version: int) -> tuple | None:
        rows = con.execute(
            "SELECT fg_name, fg_version, features, labels, description FROM _sml_feature_views "
            "WHERE name = ? AND version = ?",
            [name, version],
        ).fetchall()
        return rows[0] if rows else None

    def _delete_feature_view(self, fv: FeatureView) -> None:
        with self._db.transaction() as con:
            con.execute("DELETE FROM _sml_feature_views WHERE name = ? AND version = ?", [fv.name, fv.version])
            con.execute(
                "DELETE FROM _sml_training_datasets WHERE fv_name = ? AND fv_version = ?", [fv.name, fv.version]
            )

    # --- training datasets -----------------------------------------------------------------------

    def _save_training_dataset(self, fv: FeatureView, spec: dict) -> int:
        with self._db.transaction() as con:
            [(latest,)] = con.execute(
                "SELECT max(version) FROM _sml_training_datasets WHERE fv_name = ? AND fv_version = ?",
                [fv.name, fv.version],
            ).fetchall()
            version = (latest or 0) + 1
            con.execute(
                "INSERT INTO _sml_training_datasets VALUES (?, ?, ?, ?, now() AT TIME ZONE 'UTC')",
                [fv.name, fv.version, version, json.dumps(spec, default=str)],
            )
        return version

    def _load_training_dataset(self, fv: FeatureView, version: int) -> dict:
        with self._db.connect() as con:
            rows = con.execute(
                "SELECT spec FROM _sml_training_datasets WHERE fv_name = ? AND fv_version = ? AND version = ?",
                [fv.name, fv.version, version],
            ).fetchall()
        if not rows:
            raise SchemaError(
                f"feature view {fv.name!r} version {fv.version} has no training dataset version {version}"
            )
        return json.loads(rows[0][0])
