"""The few exception types the project raises, each with a message a person can act on."""


class ServerlessMLError(Exception):
    """Base class of every error this project raises on purpose."""


class SchemaError(ServerlessMLError, ValueError):
    """Data does not match what a feature group (or a dataset) expects."""


class StoreError(ServerlessMLError):
    """The local store cannot be opened or used."""


class LoginError(ServerlessMLError):
    """Hopsworks could not be logged in to: the host cannot be reached, or refuses the key or the project."""


class StoreBusyError(StoreError):
    """Another process held the local store for longer than the lock timeout."""


class NotFoundError(ServerlessMLError, LookupError):
    """A feature group, feature view, model or file does not exist."""


class ParameterError(ServerlessMLError, ValueError):
    """A notebook or command parameter has a value it cannot take."""


class RunFirstError(ServerlessMLError):
    """A notebook cannot go on until an earlier step has run; the message says which.

    Jupyter shows it as that one line, not a traceback (IPython's `_render_traceback_` hook).
    """

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]


class HopsworksOnlyError(ServerlessMLError, NotImplementedError):
    """A Hopsworks feature the local backend does not have (model serving, deployments, query filters)."""

    def __init__(self, method: str, hint: str = "") -> None:
        self.method = method
        super().__init__(
            f"{method} needs Hopsworks: the local backend has no equivalent. "
            + (f"Locally, {hint}. " if hint else "")
            + "Set HOPSWORKS_API_KEY to run this on your Hopsworks project."
        )
