"""Feature-group schemas: inferred from the first insert, enforced on every later one."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from serverless_ml.errors import SchemaError

SQL_TYPES = {
    "bigint": "BIGINT",
    "double": "DOUBLE",
    "boolean": "BOOLEAN",
    "string": "VARCHAR",
    "timestamp": "TIMESTAMP",
}
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


def check_name(name: str, what: str) -> None:
    """Feature and group names follow Hopsworks' rule: lower case, digits, underscores."""
    if not isinstance(name, str) or not _NAME.match(name):
        hint = f" (try {name.lower()!r})" if isinstance(name, str) and _NAME.match(name.lower()) else ""
        raise SchemaError(
            f"{what} {name!r} is not a valid Hopsworks name: use lower-case letters, digits and underscores{hint}"
        )


def _non_null(series: pd.Series) -> pd.Series:
    return series[series.notna()]


def _is_text(series: pd.Series) -> bool:
    return pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty")


def _is_bool(series: pd.Series) -> bool:
    return pd.api.types.infer_dtype(series, skipna=True) == "boolean"


def infer_type(series: pd.Series) -> str:
    """The logical type of a column, from its dtype (or its values, for object columns)."""
    name = series.name
    if ptypes.is_bool_dtype(series.dtype):
        return "boolean"
    if ptypes.is_integer_dtype(series.dtype):
        return "bigint"
    if ptypes.is_float_dtype(series.dtype):
        return "double"
    if ptypes.is_datetime64_any_dtype(series.dtype):
        return "timestamp"
    if ptypes.is_string_dtype(series.dtype) or ptypes.is_object_dtype(series.dtype):
        values = _non_null(series)
        if values.empty:
            raise SchemaError(f"column {name!r} has only missing values: its type cannot be inferred")
        if _is_text(values):
            return "string"
        if _is_bool(values):
            return "boolean"
        bad = values[~values.map(lambda v: isinstance(v, str))].iloc[0]
        raise SchemaError(f"column {name!r} mixes text with {type(bad).__name__} values such as {bad!r}")
    raise SchemaError(f"column {name!r} has dtype {series.dtype}, which a feature group cannot store")


def infer_schema(df: pd.DataFrame) -> dict[str, str]:
    """Column name to logical type for a whole DataFrame."""
    for column in df.columns:
        check_name(column, "column")
    return {column: infer_type(df[column]) for column in df.columns}


def _coerce(series: pd.Series, expected: str) -> pd.Series:
    """Return `series` in the dtype `expected` needs, or raise naming the column."""
    name = series.name
    got = series.dtype

    def wrong(detail: str = "") -> SchemaError:
        return SchemaError(f"column {name!r} must hold {expected} values, got dtype {got}{detail}")

    if expected == "timestamp":
        if not ptypes.is_datetime64_any_dtype(got):
            raise wrong()
        if getattr(got, "tz", None) is not None:
            series = series.dt.tz_convert("UTC").dt.tz_localize(None)
        return series
    if expected == "string":
        if not (ptypes.is_string_dtype(got) or ptypes.is_object_dtype(got)) or not _is_text(series):
            bad = _non_null(series)
            bad = bad[~bad.map(lambda v: isinstance(v, str))]
            raise wrong(f" (for example {bad.iloc[0]!r})" if len(bad) else "")
        return series if ptypes.is_object_dtype(got) else series.astype(object)
    if expected == "boolean":
        if ptypes.is_bool_dtype(got) or (ptypes.is_object_dtype(got) and _is_bool(series)):
            return series
        raise wrong()
    if ptypes.is_bool_dtype(got) or not ptypes.is_numeric_dtype(got):
        raise wrong()
    if expected == "double":
        return series.astype("float64")
    # bigint: integers, or floats that are whole numbers (pandas turns ints with gaps into floats)
    if ptypes.is_float_dtype(got):
        values = _non_null(series)
        if not np.all(np.mod(values.to_numpy(), 1) == 0):
            raise wrong(f" with fractions such as {values[np.mod(values, 1) != 0].iloc[0]!r}")
        return series.astype("Int64")
    return series


def conform(df: pd.DataFrame, schema: dict[str, str], primary_key: list[str]) -> pd.DataFrame:
    """Check `df` against `schema` and return it with the schema's column order and dtypes."""
    if not isinstance(df, pd.DataFrame):
        raise SchemaError(f"expected a pandas DataFrame, got {type(df).__name__}")
    columns = list(df.columns)
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if duplicated:
        raise SchemaError(f"columns {duplicated} appear more than once")
    missing = [c for c in schema if c not in columns]
    extra = [c for c in columns if c not in schema]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing column(s) {missing}")
        if extra:
            parts.append(f"unexpected column(s) {extra}")
        raise SchemaError(f"{' and '.join(parts)}; the feature group expects {list(schema)}")
    # concat keeps each column's own block: building a DataFrame from a dict would copy them all
    out = pd.concat([_coerce(df[c], t) for c, t in schema.items()], axis=1)
    for key in primary_key:
        nulls = int(out[key].isna().sum())
        if nulls:
            raise SchemaError(f"primary key column {key!r} has {nulls} missing value(s)")
    dupes = out.duplicated(subset=primary_key, keep=False)
    if dupes.any():
        example = out.loc[dupes, primary_key].iloc[0].to_dict()
        raise SchemaError(
            f"primary key {primary_key} is duplicated within the insert ({int(dupes.sum())} rows), "
            f"for example {example}"
        )
    return out
