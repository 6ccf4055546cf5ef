"""Transformation functions on the local backend, with the SDK's own client-side machinery.

What runs here is the installed SDK's code, not a copy of it:

- `@hopsworks.udf` / `hsfs.hopsworks_udf.udf` and the built-ins of `hsfs.builtin_transformations` give
  `HopsworksUdf` objects; they are wrapped in `hsfs.transformation_function.TransformationFunction` as
  `FeatureView.__init__` (model-dependent) and `FeatureGroup.__init__` (on-demand) wrap them, sorted by
  their first output column (`FeatureView._sort_transformation_functions`), and kept with the feature
  view or group as the SDK serialises them (`TransformationFunction.to_dict`, read back with
  `from_response_json`, which compiles the UDF's source again, as a client does with what the server kept).
- Statistics are computed by `StatisticsEngine._compute_transformation_fn_statistics_no_save`, on the
  training split only, as `TransformationFunctionEngine._fit_transform_train` does; what Hopsworks then
  saves on its server (`StatisticsEngine._save_statistics`) is kept locally with the training-dataset
  version, and bound again by `init_batch_scoring` / `init_serving` for that version
  (`TransformationFunctionEngine._get_ready_to_use_transformation_fns`).
- They are applied by `TransformationFunctionEngine._apply_transformation_functions` over a
  `TransformationExecutionDAG`, with the Python engine, as after `hopsworks.login()` outside Spark.

Only the two server calls (saving the UDF's metadata and the statistics) are replaced by the store.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from serverless_ml.errors import SchemaError


def _python_engine() -> None:
    """Select the SDK's Python engine, as `hopsworks.login()` does outside Spark (`connection._hsfs_engine_type`)."""
    import hopsworks_common.connection as connection

    if not connection._hsfs_engine_type:
        connection._hsfs_engine_type = "python"


def _wrap(functions: list[Any] | None, kind: str) -> list[Any]:
    if not functions:
        return []
    from hsfs.transformation_function import TransformationFunction, TransformationType

    wanted = getattr(TransformationType, kind)
    wrapped = []
    for function in functions:
        if isinstance(function, TransformationFunction):
            if not function.transformation_type or function.transformation_type == TransformationType.UNDEFINED:
                function.transformation_type = wanted
            wrapped.append(function)
        elif hasattr(function, "output_column_names"):  # an HopsworksUdf, as @udf returns it
            wrapped.append(TransformationFunction(None, hopsworks_udf=function, version=1, transformation_type=wanted))
        else:
            raise TypeError(
                f"transformation_functions takes UDFs (@hopsworks.udf, hopsworks.hsfs.builtin_transformations) or "
                f"TransformationFunction objects, got {type(function).__name__}"
            )
    # FeatureView._sort_transformation_functions / FeatureGroup._sort_transformation_functions
    return sorted(wrapped, key=lambda tf: tf.output_column_names[0])


def model_dependent(functions: list[Any] | None) -> list[Any]:
    """A feature view's transformation functions, as `FeatureView.__init__` keeps them."""
    return _wrap(functions, "MODEL_DEPENDENT")


def on_demand(functions: list[Any] | None) -> list[Any]:
    """A feature group's on-demand transformation functions, as `FeatureGroup.__init__` keeps them."""
    return _wrap(functions, "ON_DEMAND")


def to_json(functions: list[Any]) -> list[dict]:
    """The functions as the SDK sends them to its server (`TransformationFunction.to_dict`)."""
    if not functions:
        return []
    from hsfs import util

    return [json.loads(json.dumps(tf.to_dict(), cls=util.Encoder)) for tf in functions]


def from_json(specs: list[dict] | None) -> list[Any]:
    """The functions back from what `to_json` kept (`TransformationFunction.from_response_json`)."""
    if not specs:
        return []
    from hsfs.transformation_function import TransformationFunction, TransformationType

    functions = [TransformationFunction.from_response_json(spec) for spec in specs]
    for tf in functions:  # the SDK's readers pass the type as the enum (FeatureGroup/FeatureView.from_response_json)
        if isinstance(tf.transformation_type, str):
            tf.transformation_type = TransformationType(tf.transformation_type)
    return functions


def check_inputs(functions: list[Any], columns: list[str], where: str) -> None:
    """Refuse a transformation over a column `where` does not have, naming both (the SDK refuses it when
    applied, `TransformationFunctionEngine._validate_transformation_function_arguments`)."""
    produced = {c for tf in functions for c in tf.hopsworks_udf.output_column_names}
    for tf in functions:
        udf = tf.hopsworks_udf
        missing = [f for f in udf.transformation_features if f not in columns and f not in produced]
        if missing:
            raise SchemaError(
                f"transformation function {udf.function_name!r} uses feature(s) {missing} that {where} does not "
                f"have; it has {columns}"
            )


def fit(functions: list[Any], frame: pd.DataFrame) -> dict | None:
    """The statistics the functions need, computed on `frame` (the training split) and bound to them;
    returned as `Statistics.to_dict` gives them, to keep with the training-dataset version."""
    statistics_features: set[str] = set()
    label_encoder_features: set[str] = set()
    for tf in functions:  # TransformationFunctionEngine._fit_transform_train
        statistics_features.update(tf.hopsworks_udf.statistics_features)
        if tf.hopsworks_udf.function_name in ("label_encoder", "one_hot_encoder"):
            label_encoder_features.update(tf.hopsworks_udf.statistics_features)
    if not statistics_features:
        return None
    _python_engine()
    from hsfs import util
    from hsfs.core import statistics_engine

    engine = statistics_engine.StatisticsEngine(None, "featureview")
    stats = engine._compute_transformation_fn_statistics_no_save(
        list(statistics_features), list(label_encoder_features), frame
    )
    for tf in functions:
        tf.transformation_statistics = stats.feature_descriptive_statistics
    return json.loads(json.dumps(stats.to_dict(), cls=util.Encoder))


def bind(functions: list[Any], statistics: dict | None, what: str) -> None:
    """Bind kept statistics to the functions (`TransformationFunctionEngine._get_ready_to_use_transformation_fns`)."""
    if not any(tf.hopsworks_udf.statistics_required for tf in functions):
        return
    if statistics is None:
        raise ValueError(
            f"No statistics available for initializing transformation functions of {what}. "
            "Training data can be created by `feature_view.create_training_data` or `feature_view.training_data`."
        )
    from hsfs.statistics import Statistics

    stats = Statistics.from_response_json(statistics)
    for tf in functions:
        tf.transformation_statistics = stats.feature_descriptive_statistics


def apply(functions: list[Any], data: Any, online: bool = False, request_parameters: Any = None) -> Any:
    """`TransformationFunctionEngine._apply_transformation_functions` over the functions' DAG: a DataFrame, a dict
    or a list of dicts in, the same out, the inputs a function drops removed and its outputs added."""
    if not functions:
        return data
    _python_engine()
    from hsfs.core.transformation_execution_dag import TransformationExecutionDAG
    from hsfs.core.transformation_function_engine import TransformationFunctionEngine

    return TransformationFunctionEngine._apply_transformation_functions(
        execution_graph=TransformationExecutionDAG(functions),
        data=data,
        online=online,
        request_parameters=request_parameters,
    )


def apply_on_insert(functions: list[Any], frame: pd.DataFrame) -> pd.DataFrame:
    """On-demand features computed before a write, as `FeatureGroupEngine.insert` does, with its refusal of a
    missing input (a `FeatureStoreException` naming the features)."""
    if not functions:
        return frame
    from hopsworks_common.client import exceptions

    try:
        return apply(functions, frame, online=False)
    except exceptions.TransformationFunctionException as e:
        raise exceptions.FeatureStoreException(
            f"The following feature(s): {e.missing_features}, specified in the {e.transformation_type} "
            f"transformation function '{e.transformation_function_name}'  are not present in the dataframe being "
            "inserted into the feature group. Please verify that the correct feature names are used in the "
            "transformation function and that these features exist in the dataframe being inserted"
        ) from None
