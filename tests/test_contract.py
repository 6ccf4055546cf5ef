"""The local backend speaks the installed Hopsworks SDK: every method and argument exists there too."""

from __future__ import annotations

import inspect

import pytest
from hopsworks_common.core.dataset_api import DatasetApi as RealDatasetApi
from hopsworks_common.project import Project as RealProject
from hsfs.constructor.query import Query as RealQuery
from hsfs.feature_group import FeatureGroup as RealFeatureGroup
from hsfs.feature_store import FeatureStore as RealFeatureStore
from hsfs.feature_view import FeatureView as RealFeatureView
from hsml.model import Model as RealModel
from hsml.model_registry import ModelRegistry as RealModelRegistry
from hsml.python.signature import create_model as real_create_model

from serverless_ml import store
from serverless_ml.store.model_registry import _PythonModelApi

PAIRS = [
    (store.LocalProject, RealProject),
    (store.FeatureStore, RealFeatureStore),
    (store.FeatureGroup, RealFeatureGroup),
    (store.Query, RealQuery),
    (store.FeatureView, RealFeatureView),
    (store.ModelRegistry, RealModelRegistry),
    (store.Model, RealModel),
    (store.DatasetApi, RealDatasetApi),
]


def _public(cls: type) -> list[str]:
    return sorted(n for n, v in vars(cls).items() if not n.startswith("_") and callable(v))


def _properties(cls: type) -> list[str]:
    return sorted(n for n, v in vars(cls).items() if not n.startswith("_") and isinstance(v, property))


def _named_parameters(func) -> list[inspect.Parameter]:
    return [
        p
        for n, p in inspect.signature(func).parameters.items()
        if n != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
    ]


CASES = [(local, real, name) for local, real in PAIRS for name in _public(local)]
CASES.append((_PythonModelApi, None, "create_model"))


@pytest.mark.parametrize(("local", "real", "name"), CASES, ids=lambda x: getattr(x, "__name__", x))
def test_method_exists_with_every_argument(local, real, name):
    real_func = real_create_model if real is None else getattr(real, name, None)
    assert real_func is not None, f"{real.__name__} has no method {name}"
    real_params = inspect.signature(real_func).parameters
    real_order = [n for n in real_params if n != "self"]
    for position, param in enumerate(_named_parameters(getattr(local, name))):
        # a positional call such as fv.train_test_split(0.2) must mean the same argument on both
        if param.kind == param.POSITIONAL_OR_KEYWORD:
            assert real_order[position] == param.name, (
                f"{name}: argument {position + 1} is {param.name!r} locally but {real_order[position]!r} in Hopsworks"
            )
        assert param.name in real_params, f"{name}({param.name}=...) is not accepted by Hopsworks"
        real_param = real_params[param.name]
        if param.default is inspect.Parameter.empty:
            continue
        # an argument the notebooks may leave out locally must be optional there too
        assert real_param.default is not inspect.Parameter.empty or real_param.kind == real_param.VAR_KEYWORD, (
            f"{name}({param.name}) is optional locally but required by Hopsworks"
        )


@pytest.mark.parametrize(
    ("real", "attributes"),
    [
        (RealFeatureGroup, ["name", "version", "primary_key", "event_time", "features"]),
        (RealFeatureView, ["name", "version", "labels", "features", "query"]),
        (
            RealModel,
            [
                "name",
                "version",
                "training_metrics",
                "description",
                "input_example",
                "model_schema",
                "created",
            ],
        ),
    ],
)
def test_attributes_exist(real, attributes):
    for attribute in attributes:
        assert hasattr(real, attribute), f"Hopsworks' {real.__name__} has no {attribute}"


def test_required_arguments_are_required_there_too():
    real = inspect.signature(RealFeatureStore.get_or_create_feature_group).parameters
    assert list(real)[1:3] == ["name", "version"]
    assert list(inspect.signature(RealFeatureStore.get_or_create_feature_view).parameters)[1:4] == [
        "name",
        "query",
        "version",
    ]


PROPERTIES = [(local, real, name) for local, real in PAIRS for name in _properties(local)]


@pytest.mark.parametrize(("local", "real", "name"), PROPERTIES, ids=lambda x: getattr(x, "__name__", x))
def test_property_exists_in_hopsworks(local, real, name):
    # fg.column_names here and there: a notebook that reads a property locally reads it on Hopsworks too
    assert isinstance(getattr(real, name, None), property), f"{real.__name__} has no property {name}"
