"""The embedded local backend: a Hopsworks-shaped project on one DuckDB file."""

from __future__ import annotations

from pathlib import Path

from serverless_ml.errors import HopsworksOnlyError, StoreError
from serverless_ml.store.database import STORE_FILE, Database
from serverless_ml.store.dataset_api import DatasetApi
from serverless_ml.store.feature_group import FeatureGroup
from serverless_ml.store.feature_store import FeatureStore
from serverless_ml.store.feature_view import FeatureView
from serverless_ml.store.model_registry import Model, ModelRegistry
from serverless_ml.store.query import Query

__all__ = [
    "DatasetApi",
    "FeatureGroup",
    "FeatureStore",
    "FeatureView",
    "LocalProject",
    "Model",
    "ModelRegistry",
    "Query",
]


class LocalProject:
    """What `hopsworks.login()` returns, for the local store under `home`."""

    name = "local"

    def __init__(self, home: Path, lock_timeout: float = 60.0) -> None:
        self.home = Path(home)
        if self.home.exists() and not self.home.is_dir():
            raise StoreError(f"SML_HOME {self.home} is a file, expected a folder for the local store")
        self._db = Database(self.home / STORE_FILE, lock_timeout)

    def __repr__(self) -> str:
        return f"LocalProject(home={str(self.home)!r})"

    def get_url(self) -> str:
        """The store folder as a `file://` URL: `hopsworks_common.project.Project.get_url` gives the project's page
        (`https://<host>/p/<id>`, absolute, no trailing slash); locally the project is this folder."""
        return self.home.resolve().as_uri()

    def get_feature_store(self, name: str | None = None) -> FeatureStore:
        """The project's feature store."""
        return FeatureStore(self._db)

    def get_model_registry(self) -> ModelRegistry:
        """The project's model registry."""
        return ModelRegistry(self._db, self.home / "models")

    def get_dataset_api(self) -> DatasetApi:
        """The project's file storage."""
        return DatasetApi(self.home / "datasets")

    def get_model_serving(self) -> None:
        """Model serving needs Hopsworks."""
        raise HopsworksOnlyError(
            "project.get_model_serving", "load the model with model.download() and predict in the process"
        )
