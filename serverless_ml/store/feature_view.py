"""Feature views of the local store, behaving as `hsfs.feature_view.FeatureView` does: training data,
splits and batch data.
"""

from __future__ import annotations

import random
import time
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from serverless_ml.store import filters, online, transformations
from serverless_ml.store.feature import TrainingDatasetFeature
from serverless_ml.store.query import Query
from serverless_ml.store.util import TimeLike, VersionWarning, as_dataframe_type, no_local_effect, to_timestamp


@dataclass
class _Split:
    name: str
    size: float | None = None
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None


if TYPE_CHECKING:
    from serverless_ml.store.feature_store import FeatureStore


class FeatureView:
    """Features and labels selected for a model, over one query (`hsfs.feature_view.FeatureView`)."""

    def __init__(
        self,
        fs: FeatureStore,
        name: str,
        version: int,
        query: Query,
        labels: list[str],
        description: str = "",
        inference_helper_columns: list[str] | None = None,
        training_helper_columns: list[str] | None = None,
        transformation_functions: list[Any] | None = None,
    ) -> None:
        self._fs = fs
        self.name = name
        self.version = version
        self.query = query
        self.labels = list(labels)
        self.description = description
        self.inference_helper_columns = list(inference_helper_columns or [])
        self.training_helper_columns = list(training_helper_columns or [])
        self._last_accessed_training_dataset: int | None = None
        # FeatureView.__init__: model-dependent TransformationFunction objects, sorted by output column
        self.transformation_functions = transformations.model_dependent(transformation_functions)
        self._batch_scoring_version: int | None = None
        self._batch_scoring_ready = False
        self._vector_server: online.VectorServer | None = None

    def __repr__(self) -> str:
        return f"FeatureView({self.name!r}, version={self.version})"

    @property
    def features(self) -> list[TrainingDatasetFeature]:
        """The view's schema (`FeatureView.features`, an alias of `schema`): one entry per column it reads,
        labels and helper columns flagged, each with its type and the feature group it comes from."""
        return [
            TrainingDatasetFeature(
                name=name,
                type=(group._types or {}).get(feature),
                index=index,
                feature_group=group,
                feature_group_feature_name=feature,
                label=name in self.labels,
                inference_helper_column=name in self.inference_helper_columns,
                training_helper_column=name in self.training_helper_columns,
            )
            for index, (name, group, feature) in enumerate(self.query._origins())
        ]

    schema = features

    def get_last_accessed_training_dataset(self) -> int | None:
        """The training dataset version of this object's last training-data call."""
        return self._last_accessed_training_dataset

    def update_last_accessed_training_dataset(self, version: int) -> None:
        self._last_accessed_training_dataset = version

    # --- reading -------------------------------------------------------------------------------

    def _frame(
        self,
        start_time: TimeLike,
        end_time: TimeLike,
        primary_key: bool | None,
        event_time: bool | None,
        with_labels: bool,
        helpers: list[str],
        extra_filter: Any = None,
    ) -> pd.DataFrame:
        """The view's rows, as the backend's batch query gives them (`FeatureViewApi._get_batch_query`).

        `extra_filter` (an SDK `Filter` or `Logic`) is ANDed to the query's own filters, for this read only.

        Primary-key and event-time columns that are features of the view stay; `primary_key=True` /
        `event_time=True` add the ones the query did not select (`FeatureViewEngine._drop_helper_columns`
        keeps `drop_cols.difference(feature_view_features)`).
        """
        fg = self.query.feature_group
        selected = set(self.query._columns)
        extra = []
        if primary_key:
            extra += [k for k in fg.primary_key if k not in selected]
        if event_time and fg.event_time and fg.event_time not in selected:
            extra.append(fg.event_time)
        query = self.query
        if extra_filter is not None:
            query = Query._from_json(self._fs, self.query._to_json())
            query.filter(filters.as_logic(extra_filter))
        df = query._select(start_time, end_time, extra=extra)
        df = df.rename(columns={"__" + c: c for c in extra})
        drop = [c for c in set(self.inference_helper_columns) | set(self.training_helper_columns) if c not in helpers]
        if not with_labels:
            drop += self.labels
        return df.drop(columns=[c for c in drop if c in df.columns])

    def _split_labels(self, df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        # hsfs.engine.python.Engine._split_labels: y is a DataFrame, None without labels
        labels = self._transformed_labels(list(df.columns))
        if not labels:
            return df, None
        return df.drop(columns=labels), df[labels]

    def get_batch_data(
        self,
        start_time: TimeLike = None,
        end_time: TimeLike = None,
        read_options: dict | None = None,
        spine: Any = None,
        primary_key: bool | None = None,
        event_time: bool | None = None,
        inference_helper_columns: bool = False,
        dataframe_type: str = "default",
        transformed: bool | None = True,
        transformation_context: dict | None = None,
        logging_data: bool = False,
        extra_filter: Any = None,
        **kwargs: Any,
    ) -> pd.DataFrame:
        """The features (no labels) of the rows with event time in [start_time, end_time), in write order.

        No default time window (`FeatureViewEngine._get_batch_data` passes the times as given). With
        `transformed`, the model-dependent transformations are applied with the statistics of the training
        dataset given to `init_batch_scoring`, which is called without a version first if it was not called
        (`FeatureView.get_batch_data`); a view whose transformations need statistics then refuses, as there.
        """
        no_local_effect("FeatureView.get_batch_data", kwargs, read_options=read_options, spine=spine)
        if not self._batch_scoring_ready:
            self.init_batch_scoring()
        helpers = self.inference_helper_columns if inference_helper_columns else []
        df = self._frame(
            start_time, end_time, primary_key, event_time, with_labels=False, helpers=helpers, extra_filter=extra_filter
        )
        if transformed:
            df = self._apply(df, self._serving_functions())
        return as_dataframe_type(df, dataframe_type)

    # --- transformation functions ----------------------------------------------------------------

    def _serving_functions(self) -> list[Any]:
        """The transformations applied outside training: those over labels left out, as
        `VectorServer._init_transformation` leaves them out."""
        return [
            tf for tf in self.transformation_functions if tf.hopsworks_udf.transformation_features[0] not in self.labels
        ]

    @staticmethod
    def _apply(df: pd.DataFrame, functions: list[Any]) -> pd.DataFrame:
        if not functions or (df.empty and not len(df.columns)):
            return df
        return transformations.apply(functions, df, online=False)

    def _transformed_labels(self, columns: list[str]) -> list[str]:
        """The label columns after the transformations (`FeatureViewEngine._get_training_data`: the schema's
        label features): labels kept as they are, and the outputs of transformations over labels."""
        labels = [label for label in self.labels if label in columns]
        for tf in self.transformation_functions:
            if tf.hopsworks_udf.transformation_features[0] in self.labels:
                labels += [c for c in tf.hopsworks_udf.output_column_names if c in columns and c not in labels]
        return labels

    def _fit_transform(self, parts: list[pd.DataFrame], spec: dict) -> list[pd.DataFrame]:
        """Fit the statistics on the first (train) split and transform every split with them
        (`TransformationFunctionEngine._fit_and_transform`); kept statistics are bound instead when the
        training dataset is read again by version, as the SDK fetches them from its server."""
        functions = self.transformation_functions
        if not functions:
            return parts
        if spec.get("statistics") is not None:
            transformations.bind(functions, spec["statistics"], f"feature view {self.name!r}")
        else:
            spec["statistics"] = transformations.fit(functions, parts[0])
        return [self._apply(part, functions) for part in parts]

    def init_batch_scoring(self, training_dataset_version: int | None = None, n_processes: int | None = None) -> None:
        """Bind the transformations to the statistics of training dataset `training_dataset_version`
        (`FeatureView.init_batch_scoring` -> `VectorServer._init_batch_scoring`). Without a version, a view
        whose transformations need statistics is refused with the SDK's ValueError."""
        functions = self._serving_functions()
        if any(tf.hopsworks_udf.statistics_required for tf in functions):
            if training_dataset_version is None:
                # TransformationFunctionEngine._get_ready_to_use_transformation_fns
                raise ValueError(
                    "Training data version is required for transformation. Call `feature_view._init_serving(version)` "
                    "or `feature_view._init_batch_scoring(version)` to pass the training dataset version."
                    "Training data can be created by `feature_view.create_training_data` or "
                    "`feature_view.training_data`."
                )
            spec = self._fs._load_training_dataset(self, training_dataset_version)
            transformations.bind(functions, spec.get("statistics"), f"feature view {self.name!r}")
        self._batch_scoring_version = training_dataset_version
        self._batch_scoring_ready = True

    def init_serving(
        self,
        training_dataset_version: int | None = None,
        external: bool | None = None,
        options: dict | None = None,
        init_sql_client: bool | None = None,
        init_rest_client: bool = False,
        reset_rest_client: bool = False,
        config_rest_client: dict | None = None,
        default_client: str | None = None,
        feature_logger: Any = None,
        n_processes: int | None = None,
        **kwargs: Any,
    ) -> None:
        """Prepare feature vectors from the online store (`FeatureView.init_serving`): batch scoring is
        initialised first (version 1 when a version is needed and none is given), then serving, with
        version 1 and the SDK's warning when none is given. Every feature group of the view must be
        online enabled, as `VectorServer._init_serving` requires."""
        try:
            self.init_batch_scoring(training_dataset_version)
        except ValueError as e:
            if "Training data version is required for transformation" in str(e):
                self.init_batch_scoring(1)
            else:
                raise
        if training_dataset_version is None:
            training_dataset_version = 1
            warnings.warn(
                "No training dataset version was provided to initialise serving. Defaulting to version 1.",
                VersionWarning,
                stacklevel=2,
            )
        self._vector_server = online.VectorServer(self, training_dataset_version)

    def _server(self) -> online.VectorServer:
        if self._vector_server is None:  # FeatureView.get_feature_vector(s): init_serving() when not initialised
            self.init_serving()
        return self._vector_server  # type: ignore[return-value]

    def get_feature_vector(
        self,
        serving_keys: dict | None = None,
        passed_features: dict | None = None,
        external: bool | None = None,
        return_type: str = "list",
        allow_missing: bool = False,
        force_rest_client: bool = False,
        force_sql_client: bool = False,
        transform: bool | None = True,
        on_demand_features: bool | None = True,
        request_parameters: dict | None = None,
        transformation_context: dict | None = None,
        logging_data: bool = False,
        n_processes: int | None = None,
        timeout: float | None = None,
        entry: dict | None = None,
    ) -> Any:
        """One feature vector from the online store, in the view's feature order, transformed
        (`FeatureView.get_feature_vector`; `entry` is the deprecated name of `serving_keys`)."""
        server = self._server()
        keys = serving_keys if serving_keys is not None else entry
        return server.vector(keys, passed_features, return_type, allow_missing, transform)

    def get_feature_vectors(
        self,
        serving_keys: list[dict] | None = None,
        passed_features: list[dict] | None = None,
        external: bool | None = None,
        return_type: str = "list",
        allow_missing: bool = False,
        force_rest_client: bool = False,
        force_sql_client: bool = False,
        transform: bool | None = True,
        on_demand_features: bool | None = True,
        request_parameters: list[dict] | None = None,
        transformation_context: dict | None = None,
        logging_data: bool = False,
        n_processes: int | None = None,
        timeout: float | None = None,
        entry: list[dict] | None = None,
    ) -> Any:
        """Feature vectors for many entries, in the order given (`FeatureView.get_feature_vectors`)."""
        server = self._server()
        keys = serving_keys if serving_keys is not None else entry
        return server.vectors(keys, passed_features, return_type, allow_missing, transform)

    def transform(
        self,
        feature_vector: Any,
        external: bool | None = None,
        transformation_context: dict | None = None,
        return_type: str | None = None,
        n_processes: int | None = None,
    ) -> Any:
        """Apply the model-dependent transformations to untransformed features (`FeatureView.transform`):
        a DataFrame, one vector as a list in the view's feature order, or a list of them."""
        return self._server().transform(feature_vector, return_type)

    def _training_frame(
        self,
        start: TimeLike,
        end: TimeLike,
        primary_key: bool,
        event_time: bool,
        helpers: bool,
        extra_filter: Any = None,
    ) -> pd.DataFrame:
        return self._frame(
            start,
            end,
            primary_key,
            event_time,
            with_labels=True,
            helpers=self.training_helper_columns if helpers else [],
            extra_filter=filters.from_json(extra_filter) if isinstance(extra_filter, dict) else extra_filter,
        )

    def _new_version(self, spec: dict) -> int:
        version = self._fs._save_training_dataset(self, spec)
        # FeatureView.training_data & co: "Incremented version to `n`."
        warnings.warn(f"Incremented version to `{version}`.", VersionWarning, stacklevel=3)
        self.update_last_accessed_training_dataset(version)
        return version

    def _compute(self, spec: dict) -> list[pd.DataFrame | None]:
        """Features then labels of each split, as `FeatureViewEngine._get_training_data` returns them."""
        splits = [
            _Split(s["name"], s.get("size"), to_timestamp(s.get("start")), to_timestamp(s.get("end")))
            for s in spec["splits"]
        ]
        has_time = any(s.start is not None or s.end is not None for s in splits)
        fg = self.query.feature_group
        extra_filter = spec.get("extra_filter")
        if not splits:
            df = self._training_frame(
                spec.get("start"), spec.get("end"), spec["pk"], spec["et"], spec["helpers"], extra_filter
            )
            [df] = self._fit_transform([df], spec)
            return list(self._split_labels(df))
        if has_time:
            df = self._training_frame(None, None, spec["pk"], True, spec["helpers"], extra_filter)
            stamps = (
                pd.to_datetime(df[fg.event_time])
                if fg._types[fg.event_time] != "bigint"
                else (pd.to_datetime(df[fg.event_time], unit="ms"))
            )
            parts = []
            for split in splits:
                # PythonEngine._time_series_split: start <= event time < end
                mask = pd.Series(True, index=df.index)
                if split.start is not None:
                    mask &= stamps >= split.start
                if split.end is not None:
                    mask &= stamps < split.end
                part = df[mask]
                if not spec["et"] and fg.event_time not in self.query._columns:  # added only to split on
                    part = part.drop(columns=[fg.event_time])
                parts.append(part)
        else:
            df = self._training_frame(None, None, spec["pk"], spec["et"], spec["helpers"], extra_filter)
            parts = self._random_split(df, splits, spec.get("seed"))
        parts = self._fit_transform(parts, spec)
        features, labels = zip(*(self._split_labels(p) for p in parts), strict=True)
        return list(features) + list(labels)

    @staticmethod
    def _random_split(df: pd.DataFrame, splits: list[_Split], seed: int | None) -> list[pd.DataFrame]:
        """`hsfs.engine.python.Engine._random_split`: floor sizes, the rest to the last split, order kept."""
        sizes = [s.size or 0 for s in splits]
        groups: list[int] = []
        for i, size in enumerate(sizes):
            groups += [i] * int(len(df) * size)
        groups += [len(splits) - 1] * (len(df) - len(groups))
        random.Random(seed).shuffle(groups)
        labels = np.array(groups)
        return [df[labels == i] for i in range(len(splits))]

    def _time_window(self, spec: dict) -> dict:
        """`FeatureViewEngine._set_event_time`: with an event time, open bounds become [1 s, now)."""
        if not self.query.feature_group.event_time:
            return spec
        now = pd.Timestamp(time.time(), unit="s").floor("ms")
        if not spec["splits"]:
            spec["start"] = spec.get("start") or pd.Timestamp(1000, unit="ms")
            spec["end"] = spec.get("end") or now
        elif any(s.get("start") or s.get("end") for s in spec["splits"]):
            spec["splits"][0]["start"] = spec["splits"][0].get("start") or pd.Timestamp(1000, unit="ms")
            spec["splits"][-1]["end"] = spec["splits"][-1].get("end") or now
        return spec

    @staticmethod
    def _time_splits(names: list[str], starts: list[TimeLike], ends: list[TimeLike]) -> list[dict]:
        """`TrainingDataset._set_time_splits`: each open end takes the next split's start."""
        splits = []
        for i, name in enumerate(names):
            start = starts[i] or (ends[i - 1] if i else None)
            end = ends[i] or next((s for s in starts[i + 1 :] if s), None)
            if start or end:
                splits.append({"name": name, "start": start, "end": end})
        return splits

    def _spec(
        self,
        sizes: dict[str, float | None],
        bounds: dict[str, tuple[TimeLike, TimeLike]],
        primary_key: bool,
        event_time: bool,
        helpers: bool,
        seed: int | None = None,
    ) -> dict:
        spec: dict[str, Any] = {"pk": bool(primary_key), "et": bool(event_time), "helpers": bool(helpers), "seed": seed}
        names = list(bounds)
        if any(b for pair in bounds.values() for b in pair):
            spec["splits"] = self._time_splits(names, [bounds[n][0] for n in names], [bounds[n][1] for n in names])
        elif any(sizes.values()):
            train = 1 - sum(v or 0 for v in sizes.values())
            spec["splits"] = [{"name": "train", "size": train}] + [
                {"name": n, "size": v} for n, v in sizes.items() if v is not None
            ]
            total = sum(s["size"] for s in spec["splits"])
            if not np.isclose(total, 1) or any(not 0 <= s["size"] <= 1 for s in spec["splits"]):
                raise ValueError("Sum of split ratios should be 1 and each values should be in range (0, 1)")
        else:
            spec["splits"] = []
        return self._time_window(spec)

    def training_data(
        self,
        start_time: TimeLike = None,
        end_time: TimeLike = None,
        description: str = "",
        extra_filter: Any = None,
        statistics_config: Any = None,
        read_options: dict | None = None,
        spine: Any = None,
        primary_key: bool = False,
        event_time: bool = False,
        training_helper_columns: bool = False,
        dataframe_type: str = "default",
        **kwargs: Any,
    ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """`X, y` of the rows with event time in [start_time, end_time) (default: up to now)."""
        primary_key = primary_key or kwargs.pop("primary_keys", False)  # the deprecated spelling
        no_local_effect("FeatureView.training_data", kwargs, spine=spine)
        spec = self._spec({}, {}, primary_key, event_time, training_helper_columns)
        spec["start"], spec["end"] = (start_time or spec.get("start")), (end_time or spec.get("end"))
        spec["extra_filter"] = None if extra_filter is None else filters.to_json(filters.as_logic(extra_filter))
        frames = self._compute(spec)  # before the version is kept: the transformations' statistics go with it
        self._new_version(spec)
        return tuple(as_dataframe_type(d, dataframe_type) for d in frames)  # type: ignore[return-value]

    def train_test_split(
        self,
        test_size: float | None = None,
        train_start: TimeLike = "",
        train_end: TimeLike = "",
        test_start: TimeLike = "",
        test_end: TimeLike = "",
        description: str = "",
        extra_filter: Any = None,
        statistics_config: Any = None,
        read_options: dict | None = None,
        spine: Any = None,
        primary_key: bool = False,
        event_time: bool = False,
        training_helper_columns: bool = False,
        dataframe_type: str = "default",
        **kwargs: Any,
    ) -> tuple[pd.DataFrame, ...]:
        """`X_train, X_test, y_train, y_test`: random (`test_size`) or by event time (`train_end`/`test_start`)."""
        # FeatureView._validate_train_test_split
        if not ((test_size and 0 < test_size < 1) or (train_end or test_start)):
            raise ValueError(
                "Invalid split input. You should specify either `test_size` or (`train_end` or `test_start`)."
                " `test_size` should be between 0 and 1 if specified."
            )
        primary_key = primary_key or kwargs.pop("primary_keys", False)  # the deprecated spelling
        no_local_effect("FeatureView.train_test_split", kwargs, spine=spine)
        spec = self._spec(
            {"test": test_size},
            {"train": (train_start, train_end), "test": (test_start, test_end)},
            primary_key,
            event_time,
            training_helper_columns,
        )
        spec["extra_filter"] = None if extra_filter is None else filters.to_json(filters.as_logic(extra_filter))
        frames = self._compute(spec)  # before the version is kept: the transformations' statistics go with it
        self._new_version(spec)
        return tuple(as_dataframe_type(d, dataframe_type) for d in frames)

    def train_validation_test_split(
        self,
        validation_size: float | None = None,
        test_size: float | None = None,
        train_start: TimeLike = "",
        train_end: TimeLike = "",
        validation_start: TimeLike = "",
        validation_end: TimeLike = "",
        test_start: TimeLike = "",
        test_end: TimeLike = "",
        description: str = "",
        extra_filter: Any = None,
        statistics_config: Any = None,
        read_options: dict | None = None,
        spine: Any = None,
        primary_key: bool = False,
        event_time: bool = False,
        training_helper_columns: bool = False,
        dataframe_type: str = "default",
        **kwargs: Any,
    ) -> tuple[pd.DataFrame, ...]:
        """`X_train, X_val, X_test, y_train, y_val, y_test`, random or by event time."""
        self._validate_three(validation_size, test_size, train_end, validation_start, validation_end, test_start)
        primary_key = primary_key or kwargs.pop("primary_keys", False)  # the deprecated spelling
        no_local_effect("FeatureView.train_validation_test_split", kwargs, spine=spine)
        spec = self._spec(
            {"validation": validation_size, "test": test_size},
            {
                "train": (train_start, train_end),
                "validation": (validation_start, validation_end),
                "test": (test_start, test_end),
            },
            primary_key,
            event_time,
            training_helper_columns,
        )
        spec["extra_filter"] = None if extra_filter is None else filters.to_json(filters.as_logic(extra_filter))
        frames = self._compute(spec)  # before the version is kept: the transformations' statistics go with it
        self._new_version(spec)
        return tuple(as_dataframe_type(d, dataframe_type) for d in frames)

    @staticmethod
    def _validate_three(validation_size, test_size, train_end, validation_start, validation_end, test_start) -> None:
        # FeatureView._validate_train_validation_test_split
        if not (
            (
                (validation_size and 0 < validation_size < 1)
                and (test_size and 0 < test_size < 1)
                and (validation_size + test_size < 1)
            )
            or ((train_end or validation_start) and (validation_end or test_start))
        ):
            raise ValueError(
                "Invalid split input. You should specify either (`validation_size` and `test_size`) or "
                "((`train_end` or `validation_start`) and (`validation_end` or `test_start`)). `validation_size`, "
                "`test_size` and sum of `validationSize` and `testSize` should be between 0 and 1 if specified."
            )

    def create_training_data(
        self,
        start_time: TimeLike = "",
        end_time: TimeLike = "",
        *,
        description: str = "",
        seed: int | None = None,
        **kwargs: Any,
    ) -> tuple[int, None]:
        """Record a training dataset (all rows in the time window); returns `(version, None)`."""
        spec = self._spec({}, {}, False, False, False, seed)
        spec["start"], spec["end"] = (start_time or spec.get("start")), (end_time or spec.get("end"))
        if self.transformation_functions:  # the training dataset's statistics, as Hopsworks computes them
            self._compute(spec)
        return self._new_version(spec), None

    def create_train_test_split(
        self,
        test_size: float | None = None,
        train_start: TimeLike = "",
        train_end: TimeLike = "",
        test_start: TimeLike = "",
        test_end: TimeLike = "",
        *,
        description: str = "",
        seed: int | None = None,
        **kwargs: Any,
    ) -> tuple[int, None]:
        """Record a train/test split; `get_train_test_split(version)` reads it. Returns `(version, None)`."""
        if not ((test_size and 0 < test_size < 1) or (train_end or test_start)):
            raise ValueError(
                "Invalid split input. You should specify either `test_size` or (`train_end` or `test_start`)."
                " `test_size` should be between 0 and 1 if specified."
            )
        spec = self._spec(
            {"test": test_size},
            {"train": (train_start, train_end), "test": (test_start, test_end)},
            False,
            False,
            False,
            seed,
        )
        if self.transformation_functions:  # the training dataset's statistics, as Hopsworks computes them
            self._compute(spec)
        return self._new_version(spec), None

    def create_train_validation_test_split(
        self,
        validation_size: float | None = None,
        test_size: float | None = None,
        train_start: TimeLike = "",
        train_end: TimeLike = "",
        validation_start: TimeLike = "",
        validation_end: TimeLike = "",
        test_start: TimeLike = "",
        test_end: TimeLike = "",
        *,
        description: str = "",
        seed: int | None = None,
        **kwargs: Any,
    ) -> tuple[int, None]:
        """Record a train/validation/test split; returns `(version, None)`."""
        self._validate_three(validation_size, test_size, train_end, validation_start, validation_end, test_start)
        spec = self._spec(
            {"validation": validation_size, "test": test_size},
            {
                "train": (train_start, train_end),
                "validation": (validation_start, validation_end),
                "test": (test_start, test_end),
            },
            False,
            False,
            False,
            seed,
        )
        if self.transformation_functions:  # the training dataset's statistics, as Hopsworks computes them
            self._compute(spec)
        return self._new_version(spec), None

    def _get(
        self,
        version: int,
        n_splits: int,
        primary_key: bool,
        event_time: bool,
        helpers: bool,
        dataframe_type: str,
    ) -> tuple:
        spec = self._fs._load_training_dataset(self, version)
        if len(spec["splits"]) != n_splits:
            right = {0: "get_training_data", 2: "get_train_test_split", 3: "get_train_validation_test_split"}
            raise ValueError(
                f"Incorrect `get` method is used. Use `feature_view.{right[len(spec['splits'])]}` instead."
            )
        spec.update(pk=bool(primary_key), et=bool(event_time), helpers=bool(helpers))
        if not spec["splits"]:
            # PythonEngine._get_training_data: "Statistics are always refit ... an in-memory training dataset
            # retrieved by version is not consistent"; splits bind the kept statistics
            spec.pop("statistics", None)
        self.update_last_accessed_training_dataset(version)
        # an in-memory training dataset read by version is computed again from the query
        return tuple(as_dataframe_type(d, dataframe_type) for d in self._compute(spec))

    def get_training_data(
        self,
        training_dataset_version: int,
        read_options: dict | None = None,
        primary_key: bool = False,
        event_time: bool = False,
        training_helper_columns: bool = False,
        dataframe_type: str = "default",
        **kwargs: Any,
    ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """`X, y` of training dataset `training_dataset_version`."""
        return self._get(
            training_dataset_version,
            0,
            primary_key,
            event_time,
            training_helper_columns,
            dataframe_type,
        )  # type: ignore[return-value]

    def get_train_test_split(
        self,
        training_dataset_version: int,
        read_options: dict | None = None,
        primary_key: bool = False,
        event_time: bool = False,
        training_helper_columns: bool = False,
        dataframe_type: str = "default",
        **kwargs: Any,
    ) -> tuple[pd.DataFrame, ...]:
        """`X_train, X_test, y_train, y_test` of training dataset `training_dataset_version`."""
        return self._get(
            training_dataset_version,
            2,
            primary_key,
            event_time,
            training_helper_columns,
            dataframe_type,
        )

    def get_train_validation_test_split(
        self,
        training_dataset_version: int,
        read_options: dict | None = None,
        primary_key: bool = False,
        event_time: bool = False,
        training_helper_columns: bool = False,
        dataframe_type: str = "default",
        **kwargs: Any,
    ) -> tuple[pd.DataFrame, ...]:
        """The six frames of training dataset `training_dataset_version`."""
        return self._get(
            training_dataset_version,
            3,
            primary_key,
            event_time,
            training_helper_columns,
            dataframe_type,
        )

    def delete(self) -> None:
        """Delete the feature view and its training datasets."""
        self._fs._delete_feature_view(self)
