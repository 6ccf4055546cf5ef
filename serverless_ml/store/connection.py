"""What `hopsworks.login()` leaves in the `hopsworks` module, left there by a local login.

Named after `hopsworks_common/connection.py`. The SDK's module-level functions read module state
that `hopsworks.login()` sets: `hopsworks.get_secrets_api()` returns `hopsworks._secrets_api` when
`hopsworks._is_connection_active()`, which is `isinstance(hopsworks._hw_connection, Connection)`;
`hopsworks.get_current_project()` returns `hopsworks._connected_project`. A local login sets those
names, and the module's other API handles, so the SDK functions work unchanged after
`serverless_ml.login()`:

* `_hw_connection`: a `LocalConnection`, a `Connection` that never connects (its `_connected`
  stays False, so every server call on it raises the SDK's `NoHopsworksConnectionError`, and
  `Connection._close` returns at once);
* `_secrets_api`: the local `SecretsApi` (`serverless_ml/store/secret_api.py`);
* `_connected_project`: the `LocalProject`;
* `_env_vars_api`, `_users_api` (set by `hopsworks._initialize_module_apis`): stand-ins whose every
  use raises `HopsworksOnlyError`, since the local backend has neither.

Like `hopsworks.login()`, it first calls `hopsworks.logout()`, which also undoes it: the next
`hopsworks.login()` (which starts with `logout()`) finds a connection to close, closes nothing, and
connects to Hopsworks as usual.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
from pathlib import Path
from typing import Any

from serverless_ml.errors import HopsworksOnlyError


class _HopsworksOnly:
    """Stands in for an SDK API with no local equivalent: any use raises `HopsworksOnlyError`."""

    def __init__(self, method: str) -> None:
        self._method = method

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # what Python and IPython probe for (_repr_html_, __len__): simply absent
            raise AttributeError(name)
        raise HopsworksOnlyError(f"{self._method}().{name}")

    def __repr__(self) -> str:
        return f"<{self._method}(): needs Hopsworks>"


@functools.cache
def _local_connection_class() -> type:
    """`LocalConnection`, made on first use: its base class comes from the SDK, imported only then."""
    from hopsworks_common.connection import Connection

    class LocalConnection(Connection):
        """A `Connection` for the local store: what `hopsworks._is_connection_active()` looks for."""

        def __init__(self, project_name: str) -> None:
            super().__init__(project=project_name)
            # hopsworks.create_project calls _hw_connection._project_api._create_project
            self._project_api = _HopsworksOnly("hopsworks.create_project")

        def _connect(self) -> None:
            """Connection.__init__ ends by connecting; locally there is no server to connect to."""

        def _get_secrets_api(self) -> Any:  # Connection._get_secrets_api
            return _module()._secrets_api

    LocalConnection.__qualname__ = "LocalConnection"  # as reprs and tracebacks show it
    return LocalConnection


def _module() -> Any:
    import hopsworks

    return hopsworks


def _import_hopsworks() -> Any:
    """`import hopsworks`, leaving the root logger as it was.

    Importing `hopsworks` calls `logging.basicConfig(level=INFO)`; a local login should not make other
    libraries' INFO messages appear in the notebooks and commands that merely logged in locally.
    """
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        return _module()
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def sdk_login(project: Any, published: Path | None = None) -> None:
    """Set the `hopsworks` module's login state to the local `project`, as `hopsworks.login()` sets it.

    The project's secrets live in `project.home / SECRETS_FILE`; `published` is a folder they must not
    be in (`SML_DOCS`). Without the SDK installed (a Space bundle) there is no `hopsworks` module to
    set, and nothing is done.
    """
    if importlib.util.find_spec("hopsworks") is None:
        return
    from serverless_ml.store.secret_api import SECRETS_FILE, SecretsApi

    hopsworks = _import_hopsworks()
    hopsworks.logout()  # as hopsworks.login() does first: one login at a time
    hopsworks._hw_connection = _local_connection_class()(project.name)
    hopsworks._connected_project = project
    hopsworks._secrets_api = SecretsApi(Path(project.home) / SECRETS_FILE, published)
    # hopsworks._initialize_module_apis sets these too; locally they have no equivalent
    hopsworks._env_vars_api = _HopsworksOnly("hopsworks.get_env_vars_api")
    hopsworks._users_api = _HopsworksOnly("hopsworks.get_users_api")
