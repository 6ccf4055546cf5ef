"""The local secrets API: `hopsworks.get_secrets_api()` for the local backend, one owner-only file.

Named after `hopsworks_common/core/secret_api.py`, whose `SecretsApi` it follows method by method.
On Hopsworks the secrets live encrypted on the server, for your user; locally they live in
`SML_HOME/secrets.json`, readable by you only (mode 0600), written atomically, and kept out of
everything that is published (the dashboard in `SML_DOCS`, the Space bundles).
"""

from __future__ import annotations

import base64
import getpass
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hopsworks_common import secret as sdk_secret
from hopsworks_common.core.secret_api import MAX_SECRET_VALUE_LENGTH

from serverless_ml.errors import NotFoundError, SchemaError, StoreError
from serverless_ml.files import write_atomic
from serverless_ml.store.util import no_local_effect

SECRETS_FILE = "secrets.json"
#: Owner read and write, nobody else: what `hopsworks.login()` gives its cached API key file.
SECRETS_MODE = 0o600


class Secret(sdk_secret.Secret):
    """The SDK's `hopsworks_common.secret.Secret`, whose `delete()` and `get_url()` reach the local file.

    Its `repr` is the SDK's (`Secret('NAME', 'PRIVATE')`): name and visibility, never the value.
    """

    def __init__(self, api: SecretsApi, **fields: Any) -> None:
        super().__init__(**fields)
        # Secret.delete calls self._secret_api._delete(self.name): the SDK's api would call the server
        self._secret_api = api

    def get_url(self) -> str:
        """Where the secrets are (`Secret.get_url`: the account's secrets page): the local file's URL."""
        return self._secret_api.path.as_uri()

    def __str__(self) -> str:
        # Secret.__str__ is Secret.json(), which raises TypeError (the Secret has no to_dict); print the repr
        return repr(self)


class SecretsApi:
    """Create, read and delete secrets in `path`, as `hopsworks_common.core.secret_api.SecretsApi` does."""

    def __init__(self, path: Path, published: Path | None = None) -> None:
        """`published`: a folder that is made public (`SML_DOCS`); the secrets file must not be in it."""
        self.path = Path(path).resolve()
        self._published = Path(published).resolve() if published else None

    def __repr__(self) -> str:
        return f"SecretsApi(path={str(self.path)!r})"

    def _read(self) -> dict[str, dict[str, Any]]:
        if not self.path.exists():
            return {}
        try:
            stored = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:  # the message says where, never what the file holds
            raise StoreError(f"cannot read the secrets file {self.path}: {type(error).__name__}") from None
        if not isinstance(stored, dict):
            raise StoreError(f"the secrets file {self.path} is not a JSON object of secrets by name")
        return stored

    def _write(self, secrets: dict[str, dict[str, Any]]) -> None:
        if self._published is not None and self.path.is_relative_to(self._published):
            raise StoreError(
                f"the secrets file {self.path} would be inside SML_DOCS ({self._published}), which is published: "
                "set SML_HOME to a folder outside it"
            )
        body = json.dumps(secrets, indent=1, sort_keys=True)
        write_atomic(self.path, lambda tmp: tmp.write_text(body, encoding="utf-8"), mode=SECRETS_MODE)

    def _secret(self, name: str, fields: dict[str, Any]) -> Secret:
        return Secret(self, name=name, **fields)

    def get_secrets(self) -> list[Secret]:
        """Every secret, by name (`SecretsApi.get_secrets`; an empty list when there are none)."""
        return [self._secret(name, fields) for name, fields in sorted(self._read().items())]

    def get_secret(self, name: str, owner: str | None = None) -> Secret | None:
        """The secret `name`, or None if it does not exist.

        As `SecretsApi.get_secret`: its `_catch_not_found("hopsworks_common.secret.Secret",
        fallback_return=None)` turns the server's not-found into None, so a missing secret is not an
        error here (`get_secret("X").value` then fails on None). `owner` (a secret another user shared
        with the project) has no local meaning: locally every secret is yours.
        """
        no_local_effect("SecretsApi.get_secret", {}, owner=owner)
        fields = self._read().get(name)
        return None if fields is None else self._secret(name, fields)

    def get(self, name: str, owner: str | None = None) -> str:
        """The value of the secret `name`; if it does not exist, ask for one and create it.

        As `SecretsApi.get`: a missing secret is prompted for with `getpass` and created with
        `create_secret` (the prompt here also names the secret). Where nobody can answer (a notebook
        run by papermill, a pipe) `getpass` raises, as it does with the SDK.
        """
        found = self.get_secret(name=name, owner=owner)
        if found:
            return found.value
        value = getpass.getpass(prompt=f"\nCould not find secret {name!r}, enter value here to create it: ")
        return self.create_secret(name, value).value

    def create_secret(self, name: str, value: str, project: str | None = None) -> Secret:
        """Create the secret `name` with `value`; an existing name is refused.

        As `SecretsApi.create_secret`: visibility `PRIVATE`, or `PROJECT` with the project as its scope
        when `project` is given (the SDK stores the project's id; locally its name), then the same
        "Secret created successfully" line with the secret's URL (never its value). Hopsworks refuses a
        name that exists with a `RestAPIError`; locally a `SchemaError` names the secret.
        """
        if not isinstance(name, str) or not name.strip():
            raise SchemaError(f"a secret needs a name, got {name!r}")
        if not isinstance(value, str):
            raise SchemaError(f"the value of secret {name!r} must be text (str), got {type(value).__name__}")
        if not value:
            raise SchemaError(f"the value of secret {name!r} is empty: give the secret's text")
        if len(value) > MAX_SECRET_VALUE_LENGTH:  # the server's SecretsController.MAX_SECRET_VALUE_LENGTH
            raise SchemaError(
                f"the value of secret {name!r} has {len(value)} characters, more than the "
                f"{MAX_SECRET_VALUE_LENGTH} Hopsworks keeps"
            )
        secrets = self._read()
        if name in secrets:
            raise SchemaError(
                f"secret {name!r} already exists: delete it first (get_secret({name!r}).delete()), or replace "
                f"it with `python -m serverless_ml secrets set {name} --replace`"
            )
        secrets[name] = {
            "secret": value,
            "added_on": datetime.now(UTC).isoformat(timespec="seconds"),
            "visibility": "PRIVATE" if project is None else "PROJECT",
            "scope": project,
        }
        self._write(secrets)
        created = self._secret(name, secrets[name])
        print(f"Secret created successfully, explore it at {created.get_url()}")
        return created

    def create_secret_from_file(self, name: str, local_path: str, project: str | None = None) -> Secret:
        """Create a secret from a file's bytes, base64-encoded (`SecretsApi.create_secret_from_file`)."""
        path = Path(local_path).expanduser()
        encoded = base64.b64encode(path.read_bytes()).decode("ascii")
        if len(encoded) > MAX_SECRET_VALUE_LENGTH:
            raise ValueError(
                f"File at {local_path} is too large after base64 encoding "
                f"({len(encoded)} characters, max {MAX_SECRET_VALUE_LENGTH}). "
                "Pick a smaller file."
            )
        return self.create_secret(name, encoded, project=project)

    def _delete(self, name: str) -> None:
        """Delete the secret `name` (`SecretsApi._delete`, what `Secret.delete()` calls).

        Hopsworks answers a name that does not exist with a `RestAPIError`; locally a `NotFoundError`
        names the secret.
        """
        secrets = self._read()
        if name not in secrets:
            raise NotFoundError(f"secret {name!r} does not exist")
        del secrets[name]
        self._write(secrets)
