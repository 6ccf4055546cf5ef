"""Serverless ML course: Iris and Titanic as feature, training and batch inference pipelines."""

from __future__ import annotations

from typing import Any

from serverless_ml.settings import get_settings

__version__ = "0.1.0"
__all__ = ["login"]


def login(**kwargs: Any) -> Any:
    """A project shaped like `hopsworks.login()`'s: Hopsworks with a key, the local store without.

    `SML_BACKEND` (`local` or `hopsworks`) chooses; unset, `HOPSWORKS_API_KEY` decides.
    Keyword arguments go to `hopsworks.login()` on the Hopsworks backend.
    """
    settings = get_settings()
    if settings.backend == "hopsworks":
        import hopsworks

        return hopsworks.login(**kwargs)
    from serverless_ml.store import LocalProject

    return LocalProject(settings.home, settings.lock_timeout)
