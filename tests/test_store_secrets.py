"""Secrets and the project URL on the local backend (serverless_ml/store/secret_api.py, connection.py).

As the installed Hopsworks SDK (5.2.1) does them: each test names the SDK function it follows.
"""

from __future__ import annotations

import base64
import logging
import os
import stat
import subprocess
from pathlib import Path
from urllib.parse import urlparse

import hopsworks
import pytest
from hopsworks_common import secret as sdk_secret
from hopsworks_common.decorators import NoHopsworksConnectionError

import serverless_ml
from serverless_ml import cli
from serverless_ml.errors import HopsworksOnlyError, NotFoundError, SchemaError, StoreError
from serverless_ml.store.secret_api import SECRETS_FILE, SecretsApi
from tests.conftest import PYTHON

VALUE = "aqicn-s3cr3t-4f9b"


@pytest.fixture(autouse=True)
def _logged_out():
    """Leave the `hopsworks` module logged out for the next test, as `hopsworks.logout()` leaves it."""
    yield
    hopsworks.logout()


@pytest.fixture
def secrets(project) -> SecretsApi:
    return hopsworks.get_secrets_api()


def _secrets_file(sml_env) -> Path:
    return Path(sml_env["SML_HOME"]) / SECRETS_FILE


def _cli(*argv: str, stdin: str = "") -> subprocess.CompletedProcess:
    """`python -m serverless_ml ARGV` with `stdin` piped in (not a terminal)."""
    return subprocess.run(
        [PYTHON, "-m", "serverless_ml", *argv], input=stdin, capture_output=True, text=True, timeout=120
    )


class TestGetSecretsApi:
    """hopsworks/__init__.py `get_secrets_api`: `_secrets_api` once `_is_connection_active()`, else refused."""

    def test_a_local_login_gives_the_local_secrets_api(self, project, sml_env):
        """`get_secrets_api` returns what login left in `hopsworks._secrets_api`: here the local file's API."""
        api = hopsworks.get_secrets_api()
        assert isinstance(api, SecretsApi) and api.path == _secrets_file(sml_env).resolve()

    def test_current_project_is_the_local_project(self, project):
        """hopsworks/__init__.py `get_current_project` returns `_connected_project`, which login sets."""
        assert hopsworks.get_current_project() is project

    def test_logout_undoes_the_local_login(self, project):
        """hopsworks/__init__.py `logout`: `_secrets_api` back to None, `get_secrets_api` refuses again."""
        hopsworks.logout()
        with pytest.raises(NoHopsworksConnectionError):
            hopsworks.get_secrets_api()

    def test_hopsworks_login_after_a_local_login_connects_as_usual(self, project, monkeypatch):
        """hopsworks/__init__.py `login` starts with `logout()` (which closes the local connection: a
        `Connection._close` that was never connected returns at once), then makes a new connection."""

        class ConnectingError(Exception):
            pass

        def connect(**kwargs):
            raise ConnectingError(kwargs["host"])

        monkeypatch.setattr(hopsworks, "_make_connection", connect)
        with pytest.raises(ConnectingError, match=r"my\.hopsworks\.server"):
            hopsworks.login(host="my.hopsworks.server", api_key_value="key", project="p")

    def test_apis_without_a_local_equivalent_say_so(self, project):
        """hopsworks/__init__.py `get_env_vars_api`/`get_users_api` return what `_initialize_module_apis` set;
        locally any use of them raises `HopsworksOnlyError` naming the call."""
        with pytest.raises(HopsworksOnlyError, match=r"hopsworks\.get_env_vars_api\(\)\.get_env_vars needs Hopsworks"):
            hopsworks.get_env_vars_api().get_env_vars()

    def test_a_local_login_leaves_logging_alone(self, sml_env):
        """Importing `hopsworks` calls `logging.basicConfig(level=INFO)`; a local login imports it without that."""
        code = (
            "import logging, serverless_ml; serverless_ml.login(); r = logging.getLogger(); print(r.handlers, r.level)"
        )
        out = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=True).stdout
        assert out.split() == ["[]", str(logging.WARNING)]


class TestSecrets:
    """hopsworks_common/core/secret_api.py `SecretsApi` and hopsworks_common/secret.py `Secret`."""

    def test_create_secret_then_get_secret_value(self, secrets):
        """`SecretsApi.create_secret` (visibility PRIVATE) and `get_secret(name).value` (`Secret.value`)."""
        created = secrets.create_secret("AQICN_API_KEY", VALUE)
        assert isinstance(created, sdk_secret.Secret) and created.visibility == "PRIVATE"
        assert secrets.get_secret("AQICN_API_KEY").value == VALUE

    def test_get_returns_the_value(self, secrets):
        """`SecretsApi.get`: the value of an existing secret, with no prompt."""
        secrets.create_secret("AQICN_API_KEY", VALUE)
        assert secrets.get("AQICN_API_KEY") == VALUE

    def test_get_secrets_lists_them_all(self, secrets):
        """`SecretsApi.get_secrets`: every secret (an empty list when there are none)."""
        assert secrets.get_secrets() == []
        secrets.create_secret("B", "2")
        secrets.create_secret("A", "1")
        assert [(s.name, s.value) for s in secrets.get_secrets()] == [("A", "1"), ("B", "2")]

    def test_a_project_secret_has_project_visibility(self, secrets):
        """`SecretsApi.create_secret(project=...)`: visibility PROJECT, the project as its scope."""
        created = secrets.create_secret("SHARED", VALUE, project="local")
        assert (created.visibility, created.scope) == ("PROJECT", "local")

    def test_create_secret_from_file_stores_base64(self, secrets, tmp_path):
        """`SecretsApi.create_secret_from_file`: the file's bytes, base64-encoded."""
        key = tmp_path / "id_ed25519"
        key.write_bytes(b"\x00binary\xff")
        secrets.create_secret_from_file("SSH_KEY", str(key))
        assert base64.b64decode(secrets.get("SSH_KEY")) == b"\x00binary\xff"

    def test_delete_removes_it(self, secrets):
        """`Secret.delete` calls `SecretsApi._delete(name)`."""
        secrets.create_secret("AQICN_API_KEY", VALUE).delete()
        assert secrets.get_secrets() == [] and secrets.get_secret("AQICN_API_KEY") is None

    def test_a_missing_secret_is_none(self, secrets):
        """`SecretsApi.get_secret` is wrapped in `_catch_not_found("hopsworks_common.secret.Secret",
        fallback_return=None)`: a missing name gives None, not an error."""
        assert secrets.get_secret("AQICN_API_KEY") is None

    def test_get_of_a_missing_secret_prompts_for_it_naming_it(self, secrets, monkeypatch):
        """`SecretsApi.get`: a missing secret is asked for with `getpass`, then made with `create_secret`."""
        prompts = []
        monkeypatch.setattr("getpass.getpass", lambda prompt: prompts.append(prompt) or VALUE)
        assert secrets.get("AQICN_API_KEY") == VALUE
        assert "Could not find secret 'AQICN_API_KEY'" in prompts[0]
        assert secrets.get_secret("AQICN_API_KEY").value == VALUE

    def test_an_existing_name_is_refused_naming_it(self, secrets):
        """`SecretsApi.create_secret` POSTs; the server refuses an existing name (`RestAPIError`)."""
        secrets.create_secret("AQICN_API_KEY", VALUE)
        with pytest.raises(SchemaError, match="secret 'AQICN_API_KEY' already exists"):
            secrets.create_secret("AQICN_API_KEY", "other")
        assert secrets.get("AQICN_API_KEY") == VALUE

    def test_deleting_a_missing_secret_is_refused_naming_it(self, secrets):
        """`SecretsApi._delete` DELETEs; the server refuses a name that does not exist (`RestAPIError`)."""
        created = secrets.create_secret("AQICN_API_KEY", VALUE)
        created.delete()
        with pytest.raises(NotFoundError, match="secret 'AQICN_API_KEY' does not exist"):
            created.delete()

    @pytest.mark.parametrize("value", ["", None, 42, "x" * 9001])
    def test_values_hopsworks_cannot_keep_are_refused(self, secrets, value):
        """`secret_api.MAX_SECRET_VALUE_LENGTH` (the server's limit); a secret is text, and not empty."""
        with pytest.raises(SchemaError, match="the value of secret 'K'"):
            secrets.create_secret("K", value)

    def test_the_value_is_never_shown(self, secrets, capsys):
        """`Secret.__repr__` shows name and visibility only; `create_secret` prints the secret's URL."""
        created = secrets.create_secret("AQICN_API_KEY", VALUE)
        printed = capsys.readouterr().out
        assert printed.startswith("Secret created successfully, explore it at file://")
        assert repr(created) == "Secret('AQICN_API_KEY', 'PRIVATE')" == str(created)
        assert VALUE not in printed + repr(created) + str(created) + repr(secrets.get_secrets())


class TestSecretsFile:
    """Where the local secrets live: one owner-only file under SML_HOME, never published."""

    def test_the_file_is_owner_only(self, secrets, sml_env):
        """As `hopsworks.login` keeps its cached API key (`os.open(..., mode=0o600)`)."""
        old = os.umask(0)  # even with a permissive umask
        try:
            secrets.create_secret("A", VALUE)
            secrets.create_secret("B", VALUE)
            secrets.get_secret("A").delete()
        finally:
            os.umask(old)
        path = _secrets_file(sml_env)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert [p.name for p in path.parent.iterdir() if "secrets" in p.name] == [SECRETS_FILE]  # no temp files

    def test_a_failed_write_keeps_the_old_file(self, secrets, sml_env, monkeypatch):
        secrets.create_secret("A", VALUE)
        before = _secrets_file(sml_env).read_bytes()
        monkeypatch.setattr("serverless_ml.store.secret_api.json.dumps", lambda *a, **k: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            secrets.create_secret("B", VALUE)
        assert _secrets_file(sml_env).read_bytes() == before

    def test_an_unreadable_file_is_named_not_shown(self, secrets, sml_env):
        path = _secrets_file(sml_env)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text('{"A": {"secret": "' + VALUE)
        with pytest.raises(StoreError, match="cannot read the secrets file") as error:
            secrets.get_secrets()
        assert str(path) in str(error.value) and VALUE not in str(error.value)

    def test_sml_home_inside_the_published_docs_is_refused(self, tmp_path, monkeypatch):
        """SML_DOCS is published (GitHub Pages, the monitoring Space): secrets must not be written there."""
        monkeypatch.setenv("SML_DOCS", str(tmp_path / "docs"))
        monkeypatch.setenv("SML_HOME", str(tmp_path / "docs" / "store"))
        monkeypatch.setenv("SML_BACKEND", "local")
        serverless_ml.login()
        with pytest.raises(StoreError, match="inside SML_DOCS"):
            hopsworks.get_secrets_api().create_secret("A", VALUE)
        assert not (tmp_path / "docs" / "store" / SECRETS_FILE).exists()

    def test_secrets_stay_out_of_the_dashboard_and_the_space_bundle(self, secrets, sml_env, tmp_path):
        """The dashboard (SML_DOCS) and a Space bundle (serverless_ml/spaces.py `build`) are published."""
        from serverless_ml import dashboard, spaces

        secrets.create_secret("AQICN_API_KEY", VALUE)
        docs = Path(sml_env["SML_DOCS"])
        dashboard.build_dashboard(docs)
        (docs / "iris").mkdir(parents=True, exist_ok=True)
        spaces.build("iris-monitoring", tmp_path / "bundle")
        published = [p for folder in (docs, tmp_path / "bundle") for p in folder.rglob("*") if p.is_file()]
        assert published and not [p for p in published if VALUE.encode() in p.read_bytes()]
        assert not [p for p in published if p.name == SECRETS_FILE]


def test_project_url_is_the_store_folder(project, sml_env):
    """hopsworks_common/project.py `Project.get_url`: an absolute URL to the project, no trailing slash."""
    url = project.get_url()
    assert url == Path(sml_env["SML_HOME"]).resolve().as_uri()
    assert urlparse(url).scheme == "file" and not url.endswith("/")


def test_course_style_secret(sml_env):
    """As the Hopsworks book's air-quality notebooks read their API key (`secrets.get_secret(...).value`),
    after `python -m serverless_ml secrets set` stored it."""
    assert _cli("secrets", "set", "AQICN_API_KEY", stdin=VALUE + "\n").returncode == 0

    project = serverless_ml.login()  # the one line changed from hopsworks.login()
    secrets = hopsworks.get_secrets_api()
    AQICN_API_KEY = secrets.get_secret("AQICN_API_KEY").value

    assert AQICN_API_KEY == VALUE and project.get_url().startswith("file://")


class TestCli:
    """`python -m serverless_ml secrets`: `create_secret`, `get_secrets`, `Secret.delete` from the shell."""

    def test_set_reads_stdin_and_never_shows_the_value(self, sml_env):
        result = _cli("secrets", "set", "AQICN_API_KEY", stdin=VALUE + "\n")
        assert result.returncode == 0, result.stderr
        assert "Secret created successfully" in result.stdout
        assert VALUE not in result.stdout + result.stderr
        serverless_ml.login()
        assert hopsworks.get_secrets_api().get("AQICN_API_KEY") == VALUE  # the newline echo added is dropped
        assert stat.S_IMODE(_secrets_file(sml_env).stat().st_mode) == 0o600

    def test_list_shows_names_only_and_delete_removes(self, sml_env):
        _cli("secrets", "set", "AQICN_API_KEY", stdin=VALUE)
        listed = _cli("secrets", "list")
        assert listed.stdout == "AQICN_API_KEY\n" and VALUE not in listed.stdout + listed.stderr
        assert _cli("secrets", "delete", "AQICN_API_KEY").stdout == "Deleted secret AQICN_API_KEY\n"
        assert _cli("secrets", "list").stdout == ""

    def test_set_existing_needs_replace(self, sml_env):
        _cli("secrets", "set", "K", stdin="old")
        refused = _cli("secrets", "set", "K", stdin="new")
        assert refused.returncode == 2
        assert refused.stderr == "error: secret K already exists: add --replace to overwrite it\n"
        assert _cli("secrets", "set", "K", "--replace", stdin="new").returncode == 0
        serverless_ml.login()
        assert hopsworks.get_secrets_api().get("K") == "new"

    @pytest.mark.parametrize(
        ("argv", "stdin", "message"),
        [
            (["secrets", "delete", "AQICN_API_KEY"], "", "error: secret AQICN_API_KEY does not exist"),
            (["secrets", "set", "AQICN_API_KEY"], "", "error: no value for secret AQICN_API_KEY"),
        ],
    )
    def test_refusals_are_one_line_naming_the_secret(self, sml_env, argv, stdin, message):
        result = _cli(*argv, stdin=stdin)
        assert result.returncode == 2 and result.stderr.startswith(message) and result.stderr.count("\n") == 1

    def test_on_a_terminal_the_value_is_prompted_for_hidden(self, sml_env, monkeypatch, capsys):
        prompts = []
        monkeypatch.setattr("sys.stdin.isatty", lambda: True)
        monkeypatch.setattr("getpass.getpass", lambda prompt: prompts.append(prompt) or VALUE)
        assert cli.main(["secrets", "set", "AQICN_API_KEY"]) == 0
        assert prompts == ["Value of secret AQICN_API_KEY (typing is hidden): "]
        assert VALUE not in "".join(capsys.readouterr())
        assert hopsworks.get_secrets_api().get("AQICN_API_KEY") == VALUE

    def test_every_option_has_help(self):
        secrets = cli.build_parser()._subparsers._group_actions[0].choices["secrets"]
        for command in secrets._subparsers._group_actions[0].choices.values():
            for action in command._actions:
                assert action.help, f"secrets {command.prog.split()[-1]}: {action.dest} has no help"
