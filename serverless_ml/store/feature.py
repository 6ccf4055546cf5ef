"""Features as the local store describes them, with the attributes of `hsfs.feature.Feature` and
`hsfs.training_dataset_feature.TrainingDatasetFeature` that code reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from serverless_ml.store.feature_group import FeatureGroup


@dataclass
class Feature:
    """One feature of a feature group, as `hsfs.feature.Feature` describes it."""

    name: str
    type: str | None
    description: str | None = None
    primary: bool = False
    feature_group_id: str | None = field(default=None, repr=False)


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
