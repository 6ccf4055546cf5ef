"""Features as the local store describes them: the SDK's own `hsfs.feature.Feature` objects, so that
`fg.age >= 18` builds the SDK's `hsfs.constructor.filter.Filter`, and a small
`hsfs.training_dataset_feature.TrainingDatasetFeature` look-alike for a feature view's schema.

`hsfs` takes about 3 s to import, so it is imported on first use, not with the store (the apps and the
command line read the store without it).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from serverless_ml.store.feature_group import FeatureGroup


def group_id(name: str, version: int) -> int:
    """A feature group's id: stable for its name and version (Hopsworks numbers groups on its server;
    a filter's `Feature.feature_group_id` names the group it was taken from, as there)."""
    return zlib.crc32(f"{name}\0{version}".encode())


def make_feature(
    name: str,
    type: str | None,
    description: str | None = None,
    primary: bool = False,
    feature_group_id: int | None = None,
) -> Any:
    """An `hsfs.feature.Feature` (its comparisons and `isin`/`like` build the SDK's filters, client-side)."""
    from hsfs.feature import Feature

    return Feature(name, type, description, primary, feature_group_id=feature_group_id)


def is_feature(value: Any) -> bool:
    """Whether `value` is an `hsfs.feature.Feature` (without importing hsfs when it cannot be one)."""
    module = type(value).__module__
    if not module.startswith("hsfs"):
        return False
    from hsfs.feature import Feature

    return isinstance(value, Feature)


@dataclass
class TrainingDatasetFeature:
    """One column of a feature view's schema, as `hsfs.training_dataset_feature.TrainingDatasetFeature`:
    its name as read (join prefix included), type, position, origin and role."""

    name: str
    type: str | None
    index: int
    feature_group: FeatureGroup | None = field(default=None, repr=False, compare=False)
    feature_group_feature_name: str | None = None
    label: bool = False
    inference_helper_column: bool = False
    training_helper_column: bool = False
    transformation_function: Any = field(default=None, repr=False, compare=False)
