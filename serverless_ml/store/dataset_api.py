"""The local dataset API: files under `SML_HOME/datasets`, as Hopsworks' `get_dataset_api()`."""

from __future__ import annotations

import shutil
from pathlib import Path, PurePosixPath

from serverless_ml.errors import NotFoundError, SchemaError
from serverless_ml.files import copy_atomic


class DatasetApi:
    """Upload and download files by their path in the project's datasets."""

    def __init__(self, root: Path) -> None:
        self._root = Path(root)

    def _resolve(self, path: str) -> Path:
        parts = PurePosixPath(str(path).strip("/")).parts
        if not parts or ".." in parts:
            raise SchemaError(f"dataset path {path!r} must be a relative path without '..'")
        return self._root.joinpath(*parts)

    def upload(self, local_path: str, upload_path: str, overwrite: bool = False, **_: object) -> str:
        """Copy the file or folder `local_path` into the dataset folder `upload_path`; return its dataset path.

        As `hopsworks_common.core.dataset_api.DatasetApi.upload`: a folder is copied with everything in
        it, an existing target is refused unless `overwrite=True` (which replaces it).
        """
        source = Path(local_path)
        if not source.exists():
            raise NotFoundError(f"local_path {source} does not exist")
        destination = f"{str(upload_path).strip('/')}/{source.name}"
        target = self._resolve(destination)
        if target.exists() and not overwrite:
            raise FileExistsError(f"{destination} already exists, set overwrite=True to overwrite it")
        if source.is_dir():
            staging = target.with_name(f".{target.name}.uploading")
            shutil.rmtree(staging, ignore_errors=True)
            shutil.copytree(source, staging)
            if target.exists():
                shutil.rmtree(target) if target.is_dir() else target.unlink()
            staging.rename(target)
        else:
            if target.is_dir():
                shutil.rmtree(target)
            copy_atomic(source, target)
        return destination

    def download(self, path: str, local_path: str | None = None, overwrite: bool | None = False, **_: object) -> str:
        """Copy the dataset file `path` to `local_path` (a file or folder; default: here); return it."""
        source = self._resolve(path)
        if not source.is_file():
            raise NotFoundError(f"dataset file {path!r} does not exist")
        target = Path(local_path) if local_path else Path.cwd()
        if target.is_dir():
            target = target / source.name
        if target.exists() and not overwrite:
            raise FileExistsError(f"{target} already exists, set overwrite=True to overwrite it")
        copy_atomic(source, target)
        return str(target)

    def exists(self, path: str) -> bool:
        """Whether the dataset path exists."""
        return self._resolve(path).exists()

    def remove(self, path: str) -> None:
        """Delete a dataset file or folder."""
        target = self._resolve(path)
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        else:
            raise NotFoundError(f"dataset path {path!r} does not exist")

    def mkdir(self, path: str) -> str:
        """Create a dataset folder (and its parents)."""
        self._resolve(path).mkdir(parents=True, exist_ok=True)
        return str(path)
