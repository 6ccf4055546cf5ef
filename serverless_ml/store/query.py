"""Queries of the local store, behaving as `hsfs.constructor.query.Query` does: selections, filters and
point-in-time correct joins, as DuckDB SQL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from serverless_ml.errors import NotFoundError, SchemaError
from serverless_ml.store import filters
from serverless_ml.store.feature import make_feature
from serverless_ml.store.schema import feature_name
from serverless_ml.store.util import TimeLike, as_dataframe_type, no_local_effect, quote, to_timestamp


@dataclass
class _Join:
    query: Query
    on: list[str]
    left_on: list[str]
    right_on: list[str]
    join_type: str
    prefix: str | None


if TYPE_CHECKING:
    from serverless_ml.store.feature_group import FeatureGroup
    from serverless_ml.store.feature_store import FeatureStore


_JOIN_SQL = {
    "INNER": "INNER JOIN",
    "LEFT": "LEFT JOIN",
    "RIGHT": "RIGHT JOIN",
    "OUTER": "FULL OUTER JOIN",
    "FULL": "FULL OUTER JOIN",
    "CROSS": "CROSS JOIN",
}


class Query:
    """Features of a feature group, possibly joined with others (`hsfs.constructor.query.Query`)."""

    def __init__(self, feature_group: FeatureGroup, features: list[str]) -> None:
        self.feature_group = feature_group
        self._left_features = list(features)
        self._joins: list[_Join] = []
        self._filter: Any = None  # an hsfs.constructor.filter.Logic, as Query.filter keeps it

    def __repr__(self) -> str:
        return f"Query({self.feature_group!r}, features={self._columns})"

    @property
    def featuregroups(self) -> list[FeatureGroup]:
        groups = [self.feature_group]
        for join in self._joins:
            groups += join.query.featuregroups
        return groups

    def join(
        self,
        sub_query: Query,
        on: list[str] | None = None,
        left_on: list[str] | None = None,
        right_on: list[str] | None = None,
        join_type: str | None = "left",
        prefix: str | None = None,
    ) -> Query:
        """Join another query, changing this one in place and returning it (`Query.join`).

        With no keys, Hopsworks joins on "the maximal matching subset of the primary keys of the feature
        groups you are joining"; `join_type` is inner, left, right or outer; `prefix` renames the right
        side's features. A right-side feature whose name is already taken gets the prefix `fg<n>_`
        (the docstring's "feature group alias in the query"), except join keys named alike, kept once.
        """
        if not isinstance(sub_query, Query):
            raise SchemaError(f"join takes a Query (fg.select_all(), ...), got {type(sub_query).__name__}")
        kind = (join_type or "left").upper()
        if kind not in _JOIN_SQL:
            raise SchemaError(f"join_type must be one of inner, left, right, outer, got {join_type!r}")
        on = [feature_name(k) for k in on or []]
        left_on = [feature_name(k) for k in left_on or []]
        right_on = [feature_name(k) for k in right_on or []]
        if len(left_on) != len(right_on):
            raise SchemaError(f"left_on {left_on} and right_on {right_on} must name as many features")
        right = sub_query.feature_group
        if not on and not left_on and kind != "CROSS":
            on = [k for k in right.primary_key if k in self.feature_group.primary_key]
            if not on:
                raise SchemaError(
                    f"no join keys: {self.feature_group.name!r} (primary key {self.feature_group.primary_key}) and "
                    f"{right.name!r} (primary key {right.primary_key}) share no primary key; pass on=[...] or "
                    "left_on=[...], right_on=[...]"
                )
        for key in on:
            for group in (self.feature_group, right):
                if key not in group.column_names:
                    raise SchemaError(f"join key {key!r} is not a feature of {group.name!r}")
        self._joins.append(_Join(sub_query, on, left_on, right_on, kind, prefix))
        return self

    def _plan(self) -> tuple[str, list[tuple[str, str]], list[tuple[FeatureGroup, str]]]:
        """The FROM clause, the (alias.column, output name) pairs, and where each column comes from."""
        sources, columns, origins, _ = self._plan_with_aliases()
        return sources, columns, origins

    def _plan_with_aliases(
        self, online: bool = False
    ) -> tuple[str, list[tuple[str, str]], list[tuple[FeatureGroup, str]], list[tuple[Query, str]]]:
        """`_plan`, and each query of the join tree with its table alias (filters are resolved by them).

        A join of two feature groups that both have an event time is point-in-time correct, as Hopsworks
        reads it (`Query._to_string` uses `fs_query.pit_query` whenever the server built one): each left
        row gets the right row with the same key and the latest event time at or before its own, never a
        later one. DuckDB's `ASOF` join is that rule; `join_type` keeps its meaning (inner drops left rows
        without a match, left keeps them with nulls).

        `online` reads each group's online store instead: one row per primary key, the latest, joined on keys.
        """
        sources = f"{_source(self.feature_group, online)} t0"
        columns = [(f"t0.{quote(f)}", f) for f in self._left_features]
        origins = [(self.feature_group, f) for f in self._left_features]
        aliases: list[tuple[Query, str]] = [(self, "t0")]
        taken = {f for _, f in columns}
        counter = 1
        pending: list[tuple[str, FeatureGroup, _Join]] = [("t0", self.feature_group, j) for j in self._joins]
        while pending:
            left_alias, left, join = pending.pop(0)
            alias = f"t{counter}"
            counter += 1
            right = join.query.feature_group
            aliases.append((join.query, alias))
            if join.join_type == "CROSS":
                sources += f" CROSS JOIN {_source(right, online)} {alias}"
            else:
                pairs = [(k, k) for k in join.on] + list(zip(join.left_on, join.right_on, strict=True))
                condition = " AND ".join(f"{left_alias}.{quote(a)} = {alias}.{quote(b)}" for a, b in pairs)
                kind = _JOIN_SQL[join.join_type]
                if not online and _point_in_time(left, right):
                    kind = "ASOF " + kind.replace("INNER ", "")
                    times = _event_times((left, left_alias), (right, alias))
                    condition += f" AND {times[0]} >= {times[1]}"
                sources += f" {kind} {_source(right, online)} {alias} ON {condition}"
            for feature in join.query._left_features:
                if join.prefix:
                    name = join.prefix + feature
                elif feature in join.on and feature in taken:
                    continue  # the same key on both sides: one column
                elif feature in taken:
                    name = f"fg{counter - 1}_{feature}"
                else:
                    name = feature
                columns.append((f"{alias}.{quote(feature)}", name))
                origins.append((right, feature))
                taken.add(name)
            pending += [(alias, right, j) for j in join.query._joins]
        return sources, columns, origins, aliases

    def _where(self, aliases: list[tuple[Query, str]]) -> tuple[list[str], list[Any]]:
        """The filters of this query and of every joined query, ANDed (`Query.filter`), as SQL."""
        where, params = [], []
        for query, _ in aliases:
            if query._filter is not None:
                sql, values = filters.to_sql(query._filter, lambda f: self._resolve(f, aliases))
                where.append(f"({sql})")
                params += values
        return where, params

    def _resolve(self, feature: Any, aliases: list[tuple[Query, str]]) -> tuple[str, str]:
        """The column a filter's feature names: in the group it was taken from (`Feature.feature_group_id`),
        else in the first group of the query that has a feature of that name."""
        for query, alias in aliases:
            group = query.feature_group
            if feature.feature_group_id not in (None, group.id):
                continue
            if feature.name in (group._types or {}):
                return f"{alias}.{quote(feature.name)}", group._types[feature.name]
        where = [f"{q.feature_group.name!r} (features {q.feature_group.column_names})" for q, _ in aliases]
        raise SchemaError(
            f"filter on feature {feature.name!r}: no feature group of the query has it: {', '.join(where)}"
        )

    @property
    def features(self) -> list[Any]:
        """The selected features of this query and of each query joined to it, as `Query.features`
        lists them: each side's `Feature` objects as its feature group has them (a join key appears on
        both sides; the prefixes name the columns read, not these features)."""
        found = []
        for query in [self, *(j.query for j in self._joins)]:
            group = {f.name: f for f in query.feature_group.columns}
            found += [group.get(name) or make_feature(name, None) for name in query._left_features]
        return found

    def get_feature(self, feature_name: str) -> Any:
        """The selected feature of that name, from the left selection first (`Query.get_feature`)."""
        for feature in self.features:
            if feature.name == feature_name:
                return feature
        # Query._get_feature_by_name raises FeatureStoreException; the name and the selection said
        raise SchemaError(f"Feature name '{feature_name}' could not found in query; it selects {self._columns}")

    def __getitem__(self, name: str) -> Any:
        """`query["age"]`, as `Query.__getitem__`: `get_feature(name)`."""
        if not isinstance(name, str):
            raise TypeError(f"Expected type `str`, got `{type(name)}`. Features are accessible by name.")
        return self.get_feature(name)

    @property
    def _columns(self) -> list[str]:
        """The names of the columns `read()` returns, join prefixes included."""
        return [name for _, name in self._plan()[1]]

    def _origins(self) -> list[tuple[str, FeatureGroup, str]]:
        """(column read, its feature group, the feature's name there) for each column, in order."""
        _, columns, origins = self._plan()
        return [(name, group, feature) for (_, name), (group, feature) in zip(columns, origins, strict=True)]

    def _select(
        self,
        start_time: TimeLike = None,
        end_time: TimeLike = None,
        extra: list[str] | None = None,
        limit: int | None = None,
        online: bool = False,
    ) -> pd.DataFrame:
        """The query's rows (plus `extra` columns of the left feature group), in the left group's write order;
        with `online`, from the online store (filters apply; no time window)."""
        fg = self.feature_group
        if fg._types is None:
            # Nor can Hopsworks read a group before its first insert: FeatureGroup.read filters on
            # get_feature(event_time), None until then, and the query constructor needs the group's id
            if not fg._registered():
                raise NotFoundError(
                    f"feature group {fg.name!r} version {fg.version} has not been written yet: a new feature group "
                    "is created by its first insert, on Hopsworks too, and cannot be read before it "
                    "(fg.columns is empty until then)"
                )
            return pd.DataFrame(columns=self._columns)
        sources, columns, _, aliases = self._plan_with_aliases(online)
        select = [f"{expr} AS {quote(name)}" for expr, name in columns]
        select += [f"t0.{quote(c)} AS {quote('__' + c)}" for c in extra or []]
        where, params = self._where(aliases)
        for bound, op in ((start_time, ">="), (end_time, "<")):
            stamp = to_timestamp(bound)
            if stamp is None:
                continue
            if not fg.event_time:  # Query._read_with_time_filter needs the left group's event time
                raise SchemaError(f"feature group {fg.name!r} has no event-time column to filter on")
            where.append(f"t0.{quote(fg.event_time)} {op} ?")
            params.append(self._bound(stamp, fg._types[fg.event_time]))
        sql = f"SELECT {', '.join(select)} FROM {sources}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        if self._joins and not online:  # a join does not keep DuckDB's scan order: restore the left group's
            sql += " ORDER BY t0.rowid"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with fg._db.connect() as con:
            # a plain scan keeps the order rows were written (DuckDB's preserve_insertion_order, on by default)
            return con.execute(sql, params).df()

    @staticmethod
    def _bound(stamp: pd.Timestamp, kind: str) -> Any:
        if kind == "bigint":  # an epoch-millisecond event time
            return int(stamp.value // 1_000_000)
        return stamp.to_pydatetime()

    def read(
        self,
        online: bool = False,
        dataframe_type: str = "default",
        read_options: dict | None = None,
        start_time: TimeLike = None,
        end_time: TimeLike = None,
    ) -> pd.DataFrame:
        """The query's rows; `start_time` (inclusive) and `end_time` (exclusive) filter the left group's event time.

        `online=True` reads the online store: the latest row of each primary key of online-enabled groups.
        """
        no_local_effect("Query.read", {}, read_options=read_options)
        if online:
            self._check_online()
            return as_dataframe_type(self._select(online=True), dataframe_type)
        return as_dataframe_type(self._select(start_time, end_time), dataframe_type)

    def show(self, n: int, online: bool = False) -> pd.DataFrame:
        """The first `n` rows (`Query.show`)."""
        if online:
            self._check_online()
        return self._select(limit=n, online=online)

    def _check_online(self) -> None:
        offline = [f"{g.name} version : {g.version}" for g in self.featuregroups if not g.online_enabled]
        if offline:
            # as VectorServer._init_serving refuses a view over offline-only groups
            raise SchemaError(
                f"Feature group(s) {offline} are not online enabled: create them with online_enabled=True to read "
                "the online store"
            )

    def filter(self, f: Any) -> Query:
        """Keep the rows `f` holds for, changing this query in place and returning it (`Query.filter`).

        `f` is the SDK's `Filter` (`fg.age >= 18`, `fg.port.isin(["S", "C"])`, `fg.name.like("%son")`) or
        `Logic` (filters combined with `&` and `|`); a second call ANDs its filter to the first. The
        filter reads as a `WHERE` clause in DuckDB, with the filters of joined queries.
        """
        logic = filters.as_logic(f)
        groups = self.featuregroups
        for feature in filters.features_of(logic):
            named = [g for g in groups if feature.feature_group_id in (None, g.id)]
            if named and not any(feature.name in g.column_names for g in named):
                raise SchemaError(
                    f"filter on feature {feature.name!r}: feature group {named[0].name!r} has no such feature; "
                    f"it has {named[0].column_names}"
                )
        self._filter = logic if self._filter is None else self._filter & logic
        return self

    def _to_json(self) -> dict:
        fg = self.feature_group
        return {
            "fg": [fg.name, fg.version],
            "features": self._left_features,
            "filter": filters.to_json(self._filter),
            "joins": [
                {
                    "query": j.query._to_json(),
                    "on": j.on,
                    "left_on": j.left_on,
                    "right_on": j.right_on,
                    "join_type": j.join_type,
                    "prefix": j.prefix,
                }
                for j in self._joins
            ],
        }

    @classmethod
    def _from_json(cls, fs: FeatureStore, spec: dict) -> Query:
        fg = fs.get_feature_group(spec["fg"][0], spec["fg"][1])
        if fg is None:
            raise SchemaError(f"the feature view's feature group {spec['fg'][0]!r} version {spec['fg'][1]} is gone")
        query = cls(fg, spec["features"])
        query._filter = filters.from_json(spec.get("filter"))
        for j in spec.get("joins", []):
            query._joins.append(
                _Join(cls._from_json(fs, j["query"]), j["on"], j["left_on"], j["right_on"], j["join_type"], j["prefix"])
            )
        return query


def _point_in_time(left: FeatureGroup, right: FeatureGroup) -> bool:
    """Whether a join of the two groups is read point in time: both have an event time."""
    return bool(left.event_time and right.event_time and left._types and right._types)


def _event_times(*sides: tuple[FeatureGroup, str]) -> list[str]:
    """The event times of two joined groups, comparable: as they are when of one type, else as timestamps
    (dates at midnight, epoch-millisecond integers converted)."""
    kinds = [group._types[group.event_time] for group, _ in sides]
    columns = [f"{alias}.{quote(group.event_time)}" for group, alias in sides]
    if len(set(kinds)) == 1:
        return columns
    converted = {"bigint": "epoch_ms({})", "date": "CAST({} AS TIMESTAMP)"}
    return [converted.get(kind, "{}").format(column) for kind, column in zip(kinds, columns, strict=True)]


def _source(group: FeatureGroup, online: bool) -> str:
    """The group's table, or with `online` its online store: the latest row of each primary key (by event time,
    then by write order), as Hopsworks' online feature store keeps one row per key, the last written."""
    if not online or not group.primary_key:
        return group._table
    keys = ", ".join(quote(k) for k in group.primary_key)
    order = (f"{quote(group.event_time)} DESC NULLS LAST, " if group.event_time else "") + "rowid DESC"
    return f"(SELECT * FROM {group._table} QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY {order}) = 1)"
