"""Serverless ML course: Iris and Titanic as feature, training and batch inference pipelines."""

from __future__ import annotations

from typing import Any

from serverless_ml.settings import get_settings

__version__ = "0.1.0"
__all__ = ["login"]


def login(**kwargs: Any) -> Any:
    """A project shaped like `hopsworks.login()`'s: Hopsworks with a key, the local store without.

    `SML_BACKEND` (`local` or `hopsworks`) chooses; unset, `HOPSWORKS_API_KEY` decides.
    Keyword arguments go to `hopsworks.login()` on the Hopsworks backend. A local login also sets what
    `hopsworks.login()` sets in the `hopsworks` module (serverless_ml/store/connection.py), so that
    `hopsworks.get_secrets_api()` and `hopsworks.get_current_project()` answer for the local project.
    """
    settings = get_settings()
    if settings.backend == "hopsworks":
        import hopsworks

        return hopsworks.login(**kwargs)
    from serverless_ml.store import LocalProject
    from serverless_ml.store.connection import sdk_login

    project = LocalProject(settings.home, settings.lock_timeout)
    sdk_login(project, published=settings.docs)
    return project
