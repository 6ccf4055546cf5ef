"""Row filters of the local store: the SDK's own `hsfs.constructor.filter.Filter` and `Logic` trees
(built client-side by `hsfs.feature.Feature`'s comparisons, `isin` and `like`, and by `&` / `|`),
turned into a DuckDB `WHERE` clause, as Hopsworks' query service turns them into SQL on its server.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pandas as pd

from serverless_ml.errors import SchemaError
from serverless_ml.store.schema import sql_type
from serverless_ml.store.util import to_timestamp

# hsfs.constructor.filter.Filter's conditions and the SQL operator of each
_OPERATORS = {
    "GREATER_THAN_OR_EQUAL": ">=",
    "GREATER_THAN": ">",
    "NOT_EQUALS": "<>",
    "EQUALS": "=",
    "LESS_THAN_OR_EQUAL": "<=",
    "LESS_THAN": "<",
}

# resolve(feature) -> (the SQL expression of its column, its Hopsworks offline type)
Resolver = Callable[[Any], tuple[str, str]]


def is_filter(value: Any) -> bool:
    """Whether `value` is an SDK `Filter` or `Logic`."""
    from hsfs.constructor.filter import Filter, Logic

    return isinstance(value, (Filter, Logic))


def as_logic(value: Any) -> Any:
    """`value` as a `Logic` tree, as `Query.filter` keeps it (`Logic._Single` around a lone `Filter`)."""
    from hsfs.constructor.filter import Filter, Logic

    if isinstance(value, Filter):
        return Logic._Single(left_f=value)
    if isinstance(value, Logic):
        return value
    # Query.filter: raise TypeError(f"Expected type `Filter` or `Logic`, got `{type(f)}`")
    raise TypeError(f"Expected type `Filter` or `Logic`, got `{type(value)}`")


def features_of(logic: Any) -> list[Any]:
    """Every `Feature` a filter tree compares."""
    if logic is None:
        return []
    if hasattr(logic, "condition"):  # a Filter
        return [logic.feature]
    found = []
    for part in (logic._left_f, logic._right_f, logic._left_l, logic._right_l):
        found += features_of(part)
    return found


def to_sql(logic: Any, resolve: Resolver) -> tuple[str, list[Any]]:
    """The `WHERE` condition of a filter tree and its parameters."""
    if hasattr(logic, "condition"):
        return _condition(logic, resolve)
    parts, params = [], []
    for side in (logic._left_f or logic._left_l, logic._right_f or logic._right_l):
        if side is None:
            continue
        sql, values = to_sql(side, resolve)
        parts.append(f"({sql})")
        params += values
    joiner = " OR " if logic.type == "OR" else " AND "
    return joiner.join(parts), params


def _condition(flt: Any, resolve: Resolver) -> tuple[str, list[Any]]:
    column, kind = resolve(flt.feature)
    condition, value = flt.condition, flt.value
    if condition == "IN":  # Feature.isin: json.dumps(other)
        values = json.loads(value) if isinstance(value, str) else value
        values = values if isinstance(values, list) else [values]
        if not values:
            return "FALSE", []
        marks = ", ".join(_cast("?", kind) for _ in values)
        return f"{column} IN ({marks})", [_bind(v, kind) for v in values]
    if condition == "LIKE":
        return f"CAST({column} AS VARCHAR) LIKE ?", [str(value)]
    if condition not in _OPERATORS:
        raise SchemaError(f"filter condition {condition!r} is not one of {[*_OPERATORS, 'IN', 'LIKE']}")
    if value is None and condition in ("EQUALS", "NOT_EQUALS"):
        return f"{column} IS {'NOT ' if condition == 'NOT_EQUALS' else ''}NULL", []
    return f"{column} {_OPERATORS[condition]} {_cast('?', kind)}", [_bind(value, kind)]


def _cast(mark: str, kind: str) -> str:
    return f"CAST({mark} AS {sql_type(kind)})"


def _bind(value: Any, kind: str) -> Any:
    """A filter value as the column's type reads it (the SDK sends `str(value)` to its server)."""
    if value is None:
        return None
    if kind == "timestamp":  # Feature._get_filter_value already wrote timestamps as UTC text
        return to_timestamp(value).to_pydatetime()
    if kind == "date":
        return pd.Timestamp(to_timestamp(value)).date()
    if isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


# --- kept with a feature view: the tree as JSON, and back to the SDK's objects -------------------


def to_json(logic: Any) -> dict | None:
    if logic is None:
        return None
    if hasattr(logic, "condition"):
        feature = logic.feature
        return {
            "feature": {"name": feature.name, "type": feature.type, "fg": feature.feature_group_id},
            "condition": logic.condition,
            "value": logic.value if isinstance(logic.value, (bool, int, float, str, type(None))) else str(logic.value),
        }
    return {
        "type": logic.type,
        "left": to_json(logic._left_f or logic._left_l),
        "right": to_json(logic._right_f or logic._right_l),
    }


def from_json(spec: dict | None) -> Any:
    if spec is None:
        return None
    from hsfs.constructor.filter import Filter, Logic
    from hsfs.feature import Feature

    if "condition" in spec:
        f = spec["feature"]
        return Filter(Feature(f["name"], f["type"], feature_group_id=f["fg"]), spec["condition"], spec["value"])
    left, right = from_json(spec["left"]), from_json(spec["right"])
    sides = {}
    for prefix, side in (("left", left), ("right", right)):
        if side is not None:
            sides[f"{prefix}_f" if isinstance(side, Filter) else f"{prefix}_l"] = side
    return Logic(spec["type"], **sides)
