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
        """Copy the file `local_path` into the dataset folder `upload_path`; return its dataset path."""
        source = Path(local_path)
        if not source.is_file():
            raise NotFoundError(f"local_path {source} is not a file")
        target = self._resolve(upload_path) / source.name
        if target.exists() and not overwrite:
            raise FileExistsError(f"{upload_path}/{source.name} already exists (pass overwrite=True)")
        copy_atomic(source, target)
        return f"{str(upload_path).strip('/')}/{source.name}"

    def download(self, path: str, local_path: str | None = None, overwrite: bool | None = False, **_: object) -> str:
        """Copy the dataset file `path` to `local_path` (a file or folder; default: here); return it."""
        source = self._resolve(path)
        if not source.is_file():
            raise NotFoundError(f"dataset file {path!r} does not exist")
        target = Path(local_path) if local_path else Path.cwd()
        if target.is_dir():
            target = target / source.name
        if target.exists() and not overwrite:
            raise FileExistsError(f"{target} already exists (pass overwrite=True)")
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
