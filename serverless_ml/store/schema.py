"""Feature-group schemas as Hopsworks derives and enforces them, for the local store.

The specification is the installed SDK:
- names: `hopsworks_common.util._autofix_feature_name` (lower case, spaces to `_`, with a warning);
- types: `hsfs.engine.python.Engine._parse_schema_feature_group`, which reads the DataFrame's Arrow
  schema and maps it with `hopsworks_common.core.type_systems._convert_pandas_dtype_to_offline_type`
  (so `category` is `string`, `datetime.date` is `date`, int32 is `int`, int64 is `bigint`);
- compatibility: `hsfs.core.feature_group_base_engine._verify_schema_compatibility`, which wants
  exactly the feature group's columns with exactly their types.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd

from serverless_ml.errors import SchemaError

_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_SIMPLE = {
    "int": "INTEGER",
    "bigint": "BIGINT",
    "float": "FLOAT",
    "double": "DOUBLE",
    "boolean": "BOOLEAN",
    "string": "VARCHAR",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
    "binary": "BLOB",
    "tinyint": "TINYINT",
    "smallint": "SMALLINT",
}


class FeatureGroupWarning(UserWarning):
    """A Hopsworks-style warning about what a feature group did with the data it was given."""


def check_name(name: str, what: str) -> None:
    """Entity names (feature groups, feature views, models) as Hopsworks' server takes them."""
    if not isinstance(name, str) or not _NAME.match(name):
        hint = f" (try {name.lower()!r})" if isinstance(name, str) and _NAME.match(name.lower()) else ""
        raise SchemaError(
            f"{what} {name!r} is not a valid Hopsworks name: use lower-case letters, digits and underscores{hint}"
        )


def feature_name(name: str, warn: bool = False) -> str:
    """A column name as the feature store keeps it (`hopsworks_common.util._autofix_feature_name`)."""
    if not isinstance(name, str) or not name:
        raise SchemaError(f"feature names must be non-empty text, got {name!r}")
    if warn and re.search("[A-Z]", name):
        warnings.warn(
            f"The feature name `{name}` contains upper case letters. "
            "Feature names are sanitized to lower case in the feature store.",
            FeatureGroupWarning,
            stacklevel=4,
        )
    if warn and " " in name:
        warnings.warn(
            f"The feature name `{name}` contains spaces. "
            "Feature names are sanitized to use underscore '_' in the feature store.",
            FeatureGroupWarning,
            stacklevel=4,
        )
    return name.lower().replace(" ", "_")


def sanitize_columns(df: pd.DataFrame) -> pd.DataFrame:
    """`df` with Hopsworks' feature names (`hsfs.engine.python.Engine._convert_pandas_dataframe`)."""
    if not isinstance(df, pd.DataFrame):
        raise SchemaError(f"expected a pandas DataFrame, got {type(df).__name__}")
    columns = [str(c) for c in df.columns]
    upper = [c for c in columns if re.search("[A-Z]", c)]
    spaced = [c for c in columns if " " in c]
    if upper:
        warnings.warn(
            f"The ingested dataframe contains upper case letters in feature names: `{upper}`. "
            "Feature names are sanitized to lower case in the feature store.",
            FeatureGroupWarning,
            stacklevel=4,
        )
    if spaced:
        warnings.warn(
            f"The ingested dataframe contains feature names with spaces: `{spaced}`. "
            "Feature names are sanitized to use underscore '_' in the feature store.",
            FeatureGroupWarning,
            stacklevel=4,
        )
    fixed = [feature_name(c) for c in columns]
    twice = sorted({c for c in fixed if fixed.count(c) > 1})
    if twice:
        raise SchemaError(f"columns {twice} appear more than once (names are compared in lower case)")
    if fixed == list(df.columns):
        return df
    out = df.copy(deep=False)
    out.columns = fixed
    return out


def infer_schema(df: pd.DataFrame) -> dict[str, str]:
    """Column name to Hopsworks offline type, as `Engine._parse_schema_feature_group` derives it."""
    import pyarrow as pa

    # the SDK's own mapping, imported here only: it costs ~0.8 s that reads never pay
    from hopsworks_common.core.type_systems import _convert_pandas_dtype_to_offline_type

    # Arrow reads a typed column's type from its dtype, so an empty slice of those says the same;
    # only object columns need their values read (text, dates, or a mix that is refused)
    by_values = [c for c, kind in df.dtypes.items() if isinstance(kind, pd.StringDtype) or kind == np.dtype(object)]
    found = _arrow_types(df.head(0).drop(columns=by_values))
    for column in by_values:
        try:
            found.update(_arrow_types(df[[column]].astype(object)))
        except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
            raise SchemaError(f"column {column!r} mixes types that a feature group cannot store: {error}") from None
    schema = {}
    for name in df.columns:
        arrow_type = found[name]
        if pa.types.is_null(arrow_type):
            raise SchemaError(f"column {name!r} has only missing values: its type cannot be inferred")
        try:
            schema[name] = _convert_pandas_dtype_to_offline_type(arrow_type)
        except ValueError as error:
            raise SchemaError(f"column {name!r}: {error}") from None
    return schema


def _arrow_types(frame: pd.DataFrame) -> dict:
    import pyarrow as pa

    arrow = pa.Schema.from_pandas(frame, preserve_index=False)
    return {name: arrow.field(name).type for name in arrow.names}


def sql_type(offline_type: str) -> str:
    """The DuckDB column type that holds a Hopsworks offline type."""
    kind = offline_type.strip().lower()
    if kind in _SIMPLE:
        return _SIMPLE[kind]
    if kind.startswith("decimal("):
        return kind.upper()
    if kind.startswith("array<") and kind.endswith(">"):
        return sql_type(kind[6:-1]) + "[]"
    if kind.startswith("map<") and kind.endswith(">"):
        key, value = _split_top(kind[4:-1], ",")
        return f"MAP({sql_type(key)}, {sql_type(value)})"
    if kind.startswith("struct<") and kind.endswith(">"):
        fields = []
        for part in _split_all(kind[7:-1], ","):
            field, inner = _split_top(part, ":")
            fields.append(f'"{field}" {sql_type(inner)}')
        return f"STRUCT({', '.join(fields)})"
    raise SchemaError(f"type {offline_type!r} cannot be stored by the local feature store")


def _split_all(text: str, sep: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += char == "<"
        depth -= char == ">"
        if char == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    return [*parts, text[start:]]


def _split_top(text: str, sep: str) -> tuple[str, str]:
    first, *rest = _split_all(text, sep)
    return first, sep.join(rest)


def check_compatible(schema: dict[str, str], df_schema: dict[str, str], group: str) -> None:
    """Raise as `_verify_schema_compatibility` does when `df_schema` is not exactly `schema`."""
    errors = []
    remaining = dict(df_schema)
    for name, expected in schema.items():
        if name in remaining:
            got = remaining.pop(name)
            if got != expected and not (got.startswith("struct") and expected.startswith("struct")):
                errors.append(f"{name} (expected type: '{expected}', derived from input: '{got}') has the wrong type.")
        else:
            errors.append(f"{name} (type: '{expected}') is missing from input dataframe.")
    errors += [f"{name} (type: '{kind}') does not exist in feature group." for name, kind in remaining.items()]
    if errors:
        raise SchemaError(
            f"Features are not compatible with Feature Group {group!r} schema: "
            + "".join("\n - " + e for e in errors)
            + "\nNote that feature (or column) names are case insensitive and "
            "spaces are automatically replaced with underscores."
        )


def to_store(df: pd.DataFrame, schema: dict[str, str]) -> pd.DataFrame:
    """`df` in the schema's column order, with `category` columns as plain values for DuckDB."""
    columns = {}
    for name, kind in schema.items():
        series = df[name]
        if isinstance(series.dtype, pd.CategoricalDtype):
            series = series.astype(object).where(series.notna(), None)
        elif getattr(series.dtype, "tz", None) is not None:
            # Hopsworks converts tz-aware timestamps to naive UTC (`Engine._convert_pandas_dataframe`)
            series = series.dt.tz_convert(None)
        elif kind == "string" and series.dtype == "string":
            series = series.astype(object)
        columns[name] = series
    # concat keeps each column's own block: building a DataFrame from a dict would copy them all
    return pd.concat(columns, axis=1)
