"""The local store's history, exported to open files and restored from them.

Without a Hopsworks key the local store (`SML_HOME`) is the whole history: the samples, the
predictions, the registered models, the suites and validation reports. In GitHub Actions it lives
only in the Actions cache, which GitHub evicts after 7 days unused; so the daily workflow also
publishes an export beside the dashboard, and a run whose cache came back empty restores from it.

An export is a folder anyone can read without this package:

* `feature_groups/<name>_<version>.parquet`: each feature group version's rows, in the order written
  (Hopsworks names its offline tables `<name>_<version>` too);
* `catalog/<table>.parquet`: the store's catalogue: feature groups, feature views and their
  training-dataset specs, the registered models (versions, metrics, descriptions, input examples,
  schemas), the expectation suites and the validation reports;
* `models/<name>/<version>/...`: each registered model version's files;
* `manifest.json`: the schema version, and each file's size, sha256 and (for tables) row count.

Only these are exported: never `SML_HOME/secrets.json` (the local secrets API), the executed
notebooks (`runs/`, whose outputs may show anything), the model download cache or the dataset API's
files (the monitoring images, which batch inference draws again). A restore builds the new store in a
temporary folder beside `SML_HOME` and swaps it in only once it is complete and checked, so a failure
at any point leaves the existing store as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote as url_quote
from urllib.parse import urlsplit, urlunsplit

from serverless_ml.errors import NotFoundError, ParameterError, SchemaError, StoreBusyError, StoreError
from serverless_ml.store.database import FORMAT as STORE_FORMAT
from serverless_ml.store.database import STORE_FILE, Database
from serverless_ml.store.schema import sql_type
from serverless_ml.store.util import quote

FORMAT = "serverless-ml-history"
#: Raised when the export's layout changes; a restore reads its own version only.
SCHEMA_VERSION = 1
MANIFEST = "manifest.json"
MODELS = "models"
#: What a restore replaces in SML_HOME; everything else there (secrets, executed notebooks, caches) is kept.
_STORE_ENTRIES = (STORE_FILE, f"{STORE_FILE}.wal", MODELS)
_TOP_FOLDERS = ("catalog", "feature_groups", MODELS)
_CHUNK = 1 << 20
#: Waits before the second and third try of a URL: a site's passing hiccup must not start a new history.
RETRY_DELAYS = (1.0, 3.0)
TIMEOUT = 30.0


class NothingPublishedError(NotFoundError):
    """The source has no `manifest.json`: nothing was ever exported there."""


@dataclass(frozen=True)
class Summary:
    """What an export holds, as one line says it."""

    feature_groups: int
    rows: int
    model_versions: int
    feature_views: int
    validation_reports: int
    files: int
    bytes: int
    starts: date | None

    def __str__(self) -> str:
        since = f"history since {self.starts}" if self.starts else "no history yet"
        return (
            f"{since}: {self.feature_groups} feature groups ({self.rows} rows), {self.model_versions} model "
            f"versions, {self.feature_views} feature views, {self.validation_reports} validation reports; "
            f"{self.files} files, {self.bytes / 1e6:.1f} MB"
        )


# --- when the history starts ------------------------------------------------------------------------------


def started(home: Path) -> date | None:
    """The day of the store's first record (its first feature group, feature view or model), or None.

    The dashboard shows it: a store that had to start again says so by its date, and a restored one
    keeps the date it had, since the records keep their creation times.
    """
    if not (Path(home) / STORE_FILE).is_file():
        return None
    with Database(Path(home) / STORE_FILE).connect() as con:
        return _started(con)


def history_start(project: Any) -> date | None:
    """`started` for a project from `serverless_ml.login()`: None on Hopsworks, which keeps its own history."""
    from serverless_ml.store import LocalProject

    return started(project.home) if isinstance(project, LocalProject) else None


def _started(con: Any) -> date | None:
    [(first,)] = con.execute(
        "SELECT min(created_at) FROM (SELECT created_at FROM _sml_feature_groups UNION ALL "
        "SELECT created_at FROM _sml_feature_views UNION ALL SELECT created_at FROM _sml_models)"
    ).fetchall()
    return first.date() if first else None


# --- export -----------------------------------------------------------------------------------------------


def export_history(home: Path, folder: Path, lock_timeout: float = 60.0) -> Summary:
    """Write the history of the store in `home` to `folder` (new, empty, or an earlier export, replaced whole).

    The store is held for the copy, so the export is one consistent moment of it; the folder is written
    beside its place and swapped in at the end, so a reader (or the Pages upload) never sees half of one.
    """
    home, folder = Path(home).resolve(), Path(folder).resolve()
    store = home / STORE_FILE
    if not store.is_file():
        raise NotFoundError(f"no local store at {store}: nothing to export (python -m serverless_ml daily makes one)")
    if folder.is_relative_to(home):
        raise ParameterError(f"{folder} is inside SML_HOME {home}: an export there would go with the store")
    if home.is_relative_to(folder):
        raise ParameterError(f"{folder} holds SML_HOME {home}: give a folder of its own for the export")
    _check_export_target(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-export-", dir=folder.parent))
    try:
        out = staging / folder.name
        out.mkdir()
        summary = _write_export(Database(store, lock_timeout), home / MODELS, out)
        _swap_in(out, folder, staging / "replaced")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return summary


def _check_export_target(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise ParameterError(f"{folder} is a file: the export is a folder")
    if folder.is_dir() and any(folder.iterdir()) and not (folder / MANIFEST).is_file():
        raise ParameterError(f"{folder} is not empty and not a history export: give a new or empty folder")


def _write_export(db: Database, models: Path, out: Path) -> Summary:
    tables: list[dict] = []
    with db.connect() as con:
        con.execute("BEGIN TRANSACTION")  # one snapshot of every table
        present = {
            name
            for (name,) in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND NOT temporary"
            ).fetchall()
        }
        catalogue = sorted(t for t in present if t.startswith("_sml_"))
        groups = con.execute("SELECT name, version FROM _sml_feature_groups ORDER BY name, version").fetchall()
        for table in catalogue:
            tables.append(_copy_table(con, table, out, f"catalog/{table.removeprefix('_sml_')}.parquet"))
        for name, version in groups:
            table = _group_table(name, version)
            if table in present:  # a group is saved with its table (by its first insert)
                entry = _copy_table(con, table, out, f"feature_groups/{_part(name)}_{version}.parquet")
                tables.append({**entry, "feature_group": {"name": name, "version": version}})
        unknown = present - set(catalogue) - {t["table"] for t in tables}
        if unknown:  # a table this module does not know would be lost without a word
            raise StoreError(f"the store {db.path} has tables no export knows of: {sorted(unknown)}")
        sequences = {name: int(value) for name, value in _sequences(con)}
        versions = con.execute("SELECT name, version FROM _sml_models ORDER BY name, version").fetchall()
        model_folders = [_copy_model(models, out, name, version) for name, version in versions]
        counts = {
            key: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for key, table in (("feature_views", "_sml_feature_views"), ("reports", "_sml_validation_reports"))
        }
        starts = _started(con)
        con.execute("COMMIT")
    files = [_describe(out, path) for path in sorted(out.rglob("*")) if path.is_file()]
    manifest = {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "store_format": STORE_FORMAT,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "history_starts": starts.isoformat() if starts else None,
        "tables": tables,
        "sequences": sequences,
        "models": model_folders,
        "files": files,
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    data = [t for t in tables if "feature_group" in t]
    return Summary(
        feature_groups=len(data),
        rows=sum(t["rows"] for t in data),
        model_versions=len(model_folders),
        feature_views=counts["feature_views"],
        validation_reports=counts["reports"],
        files=len(files) + 1,
        bytes=sum(f["bytes"] for f in files),
        starts=starts,
    )


def _group_table(name: str, version: int) -> str:
    """The DuckDB table of a feature group version, as `FeatureGroup._table` names it (unquoted)."""
    return f"fg__{name}__{version}"


def _part(name: str) -> str:
    """`name` as one part of a file path, refused when it would be more (or less) than one."""
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name:
        raise StoreError(f"{name!r} cannot name a file in an export: it is not a plain name")
    return name


def _copy_table(con: Any, table: str, out: Path, relative: str) -> dict:
    target = out / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    literal = str(target).replace("'", "''")  # COPY takes no parameters; the path is our own
    con.execute(f"COPY (SELECT * FROM {quote(table)}) TO '{literal}' (FORMAT PARQUET, COMPRESSION ZSTD)")
    [(rows,)] = con.execute(f"SELECT count(*) FROM {quote(table)}").fetchall()
    return {"table": table, "path": relative, "rows": rows}


def _sequences(con: Any) -> list[tuple[str, int]]:
    """Each sequence's next value: a restored store must not hand out an id again (suites, reports)."""
    rows = con.execute(
        "SELECT sequence_name, last_value, start_value, increment_by FROM duckdb_sequences() "
        "WHERE database_name = current_database() AND NOT temporary"
    ).fetchall()
    return [(name, start if last is None else last + step) for name, last, start, step in rows]


def _copy_model(models: Path, out: Path, name: str, version: int) -> dict:
    source = models / _part(name) / str(version)
    if not source.is_dir():
        raise StoreError(f"model {name} version {version} is registered but its folder {source} is missing")
    relative = f"{MODELS}/{name}/{version}"
    for path in sorted(source.rglob("*")):
        if path.is_symlink():  # the registry copies files in; a link could point anywhere, secrets included
            raise StoreError(f"{path} is a symbolic link: an export copies the registry's own files only")
        if path.is_file():
            target = out / relative / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    return {"name": name, "version": version, "path": relative}


def _describe(out: Path, path: Path) -> dict:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return {"path": path.relative_to(out).as_posix(), "bytes": path.stat().st_size, "sha256": digest.hexdigest()}


def _swap_in(new: Path, target: Path, aside: Path) -> None:
    """Put the complete folder `new` at `target`; what was there goes to `aside` (removed by the caller)."""
    try:
        if target.exists():
            os.rename(target, aside)  # a mount point, for one, cannot be moved: then nothing has changed
        os.rename(new, target)
    except OSError as error:
        if aside.exists() and not target.exists():
            os.rename(aside, target)
        raise StoreError(f"cannot put the new {target.name} in place at {target}: {error.strerror}") from None


# --- restore ----------------------------------------------------------------------------------------------


class _Source:
    """Where an export is read from: a folder, or an `http(s)://` or `file://` URL read with urllib."""

    def __init__(self, where: str) -> None:
        scheme = where.split("://", 1)[0].lower() if "://" in where else None
        if scheme not in (None, "http", "https", "file"):
            raise ParameterError(f"{where}: a history is restored from a folder or an http(s):// or file:// URL")
        self.url = None
        if scheme:  # one slash between parts: `${{ base_url }}/history/` with a base ending in "/" is the same site
            parts = urlsplit(where)
            self.url = urlunsplit(parts._replace(path=re.sub("/{2,}", "/", parts.path.rstrip("/") + "/")))
        self.folder = None if self.url else Path(where).expanduser().absolute()

    def __str__(self) -> str:
        return self.url or str(self.folder)

    def name(self, relative: str) -> str:
        """The file's path or URL, for messages."""
        return self.url + url_quote(relative) if self.url else str(self.folder / relative)

    @contextlib.contextmanager
    def open(self, relative: str) -> Iterator[Any]:
        """The file as a binary stream; `NothingPublishedError` if it is not there, `NotFoundError` if unreadable."""
        if self.folder is not None:
            if self.folder.is_file():
                raise NotFoundError(f"{self.folder} is a file, not a history export (a folder with {MANIFEST})")
            try:
                stream = (self.folder / relative).open("rb")
            except FileNotFoundError:
                raise NothingPublishedError(f"{self.name(relative)} does not exist") from None
            except OSError as error:
                raise NotFoundError(f"cannot read {self.name(relative)}: {error.strerror}") from None
        else:
            stream = self._urlopen(self.name(relative))
        with stream:
            yield stream

    @staticmethod
    def _urlopen(url: str) -> Any:
        delays = iter(RETRY_DELAYS)
        while True:
            try:
                return urllib.request.urlopen(url, timeout=TIMEOUT)
            except urllib.error.HTTPError as error:
                if error.code in (404, 410):
                    raise NothingPublishedError(f"{url}: HTTP {error.code} {error.reason}") from None
                cause = f"HTTP {error.code} {error.reason}"
                retry = error.code >= 500
            except urllib.error.URLError as error:
                reason = error.reason
                if isinstance(reason, FileNotFoundError):  # file:// URLs
                    raise NothingPublishedError(f"{url} does not exist") from None
                cause = getattr(reason, "strerror", None) or str(reason)
                retry = not isinstance(reason, ConnectionRefusedError)  # nothing listens: no point waiting
            except (TimeoutError, OSError) as error:
                cause, retry = str(error) or type(error).__name__, True
            delay = next(delays, None) if retry else None
            if delay is None:
                raise NotFoundError(f"cannot read {url}: {cause}")
            time.sleep(delay)


def restore_history(
    home: Path, source: str, replace: bool = False, if_empty: bool = False, lock_timeout: float = 60.0
) -> str:
    """Rebuild the store in `home` from the export at `source` (a folder or URL); the line to show.

    A store that already holds a history is refused unless `replace`; with `if_empty` it is left as it
    is, and so is an empty one when nothing was ever published at `source` (the history starts now).
    The new store is built and checked beside `home` and swapped in only when complete; the rest of
    `home` (secrets, executed notebooks) is kept.
    """
    if replace and if_empty:
        raise ParameterError("--replace and --if-empty contradict each other: give one")
    home = Path(home).resolve()
    if home.exists() and not home.is_dir():
        raise StoreError(f"SML_HOME {home} is a file, expected a folder for the local store")
    source = str(source)
    if not source.strip() and not if_empty:
        raise ParameterError("history restore needs the folder or URL of a history export, got an empty one")
    source_ = _Source(source) if source.strip() else None
    held = _held_history(home, replace, lock_timeout)
    if held is not None and not replace:
        if if_empty:
            return f"The local store {home} already holds a history ({held}): nothing restored."
        raise ParameterError(f"the local store {home} already holds a history ({held}): add --replace to replace it")
    if source_ is None:  # the daily workflow where GitHub Pages gave no site address
        return (
            "No published site to restore a history from (no address given: GitHub Pages is not set up for "
            "this repository, or cannot be): the history starts with this run."
        )
    try:
        manifest = _read_manifest(source_)
    except NothingPublishedError as error:
        if if_empty:
            return f"Nothing published at {source_} ({error}): the history starts with this run."
        raise NothingPublishedError(f"{source_} is not a history export: {error}") from None
    home.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{home.name}-restore-", dir=home.parent))
    try:
        new_home = staging / home.name
        summary = _rebuild(source_, manifest, new_home, staging / "export")
        with _holding(home, lock_timeout):
            if not replace and _held_history(home, replace, lock_timeout) is not None:  # another process wrote
                raise ParameterError(f"the local store {home} was written to during the restore: nothing restored")
            _carry_over(home, new_home)
            _swap_in(new_home, home, staging / "replaced")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return f"Restored the {summary} from {source_} into {home}."


def _held_history(home: Path, replace: bool, lock_timeout: float) -> str | None:
    """What history the store in `home` holds, said briefly, or None when there is none (or no store)."""
    if not (home / STORE_FILE).is_file():
        return None
    try:
        with Database(home / STORE_FILE, lock_timeout).connect() as con:
            [(groups, models)] = con.execute(
                "SELECT (SELECT count(*) FROM _sml_feature_groups), (SELECT count(*) FROM _sml_models)"
            ).fetchall()
            starts = _started(con)
    except StoreBusyError:
        raise
    except StoreError as error:
        if replace:  # what --replace is for
            return "unreadable"
        raise ParameterError(f"{error} Or add --replace to restore over it.") from None
    if not groups and not models:
        return None
    return f"{groups} feature groups, {models} model versions, since {starts}"


@contextlib.contextmanager
def _holding(home: Path, lock_timeout: float) -> Iterator[None]:
    """Hold the existing store's lock for the swap, so that no other process is mid-write in it."""
    with contextlib.ExitStack() as stack:
        if (home / STORE_FILE).is_file():
            try:
                stack.enter_context(Database(home / STORE_FILE, lock_timeout).connect())
            except StoreBusyError:
                raise
            except StoreError:  # unreadable: only --replace comes here, and there is nothing to hold
                pass
        yield


def _read_manifest(source: _Source) -> dict:
    where = source.name(MANIFEST)
    with source.open(MANIFEST) as stream:
        text = stream.read(16 * _CHUNK)
    try:
        manifest = json.loads(text)
    except ValueError as error:
        raise SchemaError(f"{where} is not a history manifest: not JSON ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise SchemaError(f"{where} is not a history manifest: its format is not {FORMAT!r}")
    version = manifest.get("schema_version")
    if version != SCHEMA_VERSION:
        raise SchemaError(
            f"{where} has history schema version {version!r}; this serverless-ml reads version {SCHEMA_VERSION} "
            "(restore it with the version of serverless-ml that exported it)"
        )
    if manifest.get("store_format") != STORE_FORMAT:
        raise SchemaError(f"{where} is of store format {manifest.get('store_format')!r}, expected {STORE_FORMAT!r}")
    try:
        return _checked(manifest)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise SchemaError(f"{where} is not a complete history manifest: {type(error).__name__} {error}") from None


def _checked(manifest: dict) -> dict:
    """The manifest's lists with the types a restore relies on, each path checked to stay in the export."""
    files = [
        {"path": _relative(f["path"]).as_posix(), "bytes": int(f["bytes"]), "sha256": str(f["sha256"])}
        for f in manifest["files"]
    ]
    listed = {f["path"] for f in files}
    tables = []
    for entry in manifest["tables"]:
        if entry["path"] not in listed:
            raise ValueError(f"the table {entry['table']!r} is in {entry['path']!r}, which the manifest does not list")
        table = {"table": str(entry["table"]), "path": entry["path"], "rows": int(entry["rows"])}
        if "feature_group" in entry:
            group = entry["feature_group"]
            table["feature_group"] = {"name": str(group["name"]), "version": int(group["version"])}
        tables.append(table)
    models = [
        {"name": str(m["name"]), "version": int(m["version"]), "path": _relative(m["path"]).as_posix()}
        for m in manifest["models"]
    ]
    sequences = {str(name): int(value) for name, value in manifest["sequences"].items()}
    return {**manifest, "files": files, "tables": tables, "models": models, "sequences": sequences}


def _relative(path: str) -> PurePosixPath:
    """A manifest's path, refused unless it stays inside the export (a URL's manifest is not ours)."""
    relative = PurePosixPath(path)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts or relative.parts[0] not in _TOP_FOLDERS:
        raise ValueError(f"the path {path!r} leads outside the export's folders {_TOP_FOLDERS}")
    return relative


def _fetch(source: _Source, entry: dict, target: Path) -> None:
    """Copy one listed file to `target`, checking its size and sha256 on the way."""
    path, size, expected = entry["path"], int(entry["bytes"]), str(entry["sha256"])
    target.parent.mkdir(parents=True, exist_ok=True)
    digest, written = hashlib.sha256(), 0
    with source.open(path) as stream, target.open("wb") as out:
        while written <= size and (chunk := stream.read(_CHUNK)):
            digest.update(chunk)
            out.write(chunk)
            written += len(chunk)
    if written != size:
        raise SchemaError(f"{source.name(path)}: {written} bytes, the manifest says {size} (truncated or corrupt)")
    if digest.hexdigest() != expected:
        raise SchemaError(f"{source.name(path)}: its sha256 differs from the manifest's (the file is corrupt)")


def _rebuild(source: _Source, manifest: dict, new_home: Path, download: Path) -> Summary:
    """The store of `manifest` in `new_home`: every file fetched and checked, every table's rows counted."""
    for entry in manifest["files"]:
        relative = _relative(entry["path"])
        where = new_home if relative.parts[0] == MODELS else download
        _fetch(source, entry, where.joinpath(*relative.parts))
    for folder in manifest["models"]:  # a model saved from an empty folder has no files to list
        new_home.joinpath(*_relative(folder["path"]).parts).mkdir(parents=True, exist_ok=True)
    db = Database(new_home / STORE_FILE)
    with db.transaction() as con:  # the new store's empty catalogue, as every store begins
        _load_tables(con, manifest, download, source)
        _set_sequences(con, manifest["sequences"], source)
        [(views,)] = con.execute("SELECT count(*) FROM _sml_feature_views").fetchall()
        [(reports,)] = con.execute("SELECT count(*) FROM _sml_validation_reports").fetchall()
        registered = con.execute("SELECT name, version FROM _sml_models").fetchall()
        starts = _started(con)
    with Database(new_home / STORE_FILE).connect():  # opens as every command will, format checked
        pass
    models = new_home / MODELS
    missing = [
        f"{name} version {version}" for name, version in registered if not (models / name / str(version)).is_dir()
    ]
    if missing:
        raise SchemaError(f"{source.name(MANIFEST)} lists no files for the registered model {missing[0]}")
    data = [t for t in manifest["tables"] if "feature_group" in t]
    files = manifest["files"]
    return Summary(
        feature_groups=len(data),
        rows=sum(int(t["rows"]) for t in data),
        model_versions=len(registered),
        feature_views=views,
        validation_reports=reports,
        files=len(files) + 1,
        bytes=sum(int(f["bytes"]) for f in files),
        starts=starts,
    )


def _load_tables(con: Any, manifest: dict, download: Path, source: _Source) -> None:
    """The catalogue first (its feature groups say which data tables may exist and their types), then the data."""
    known = {
        name
        for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
        ).fetchall()
    }
    catalogue = [t for t in manifest["tables"] if "feature_group" not in t]
    data = [t for t in manifest["tables"] if "feature_group" in t]
    for entry in catalogue:
        table, where = entry["table"], source.name(entry["path"])
        if table not in known:
            raise SchemaError(f"{where}: the table {table!r} is not part of a store of format {STORE_FORMAT!r}")
        con.execute(f"DELETE FROM {quote(table)}")  # the new store's own format row comes back from the export
        _insert(con, table, download / entry["path"], where)
    schemas = {
        _group_table(name, version): json.loads(schema) if schema else None
        for name, version, schema in con.execute("SELECT name, version, schema FROM _sml_feature_groups").fetchall()
    }
    for entry in data:
        table, where = entry["table"], source.name(entry["path"])
        if table not in schemas or schemas[table] is None:
            raise SchemaError(f"{where}: the table {table!r} belongs to no feature group in the export's catalogue")
        # created as FeatureGroup._insert_once creates it: the types from the group's schema
        columns = ", ".join(f"{quote(c)} {sql_type(t)}" for c, t in schemas[table].items())
        con.execute(f"CREATE TABLE {quote(table)} ({columns})")
        _insert(con, table, download / entry["path"], where)
    for entry in manifest["tables"]:
        [(rows,)] = con.execute(f"SELECT count(*) FROM {quote(entry['table'])}").fetchall()
        if rows != int(entry["rows"]):
            raise SchemaError(f"{source.name(entry['path'])}: {rows} rows, the manifest says {entry['rows']}")


def _insert(con: Any, table: str, path: Path, where: str) -> None:
    import duckdb

    try:
        con.execute(f"INSERT INTO {quote(table)} BY NAME SELECT * FROM read_parquet(?)", [str(path)])
    except duckdb.Error as error:
        first = str(error).splitlines()[0]
        raise SchemaError(f"{where}: cannot be read into the table {table}: {first}") from None


def _set_sequences(con: Any, sequences: dict, source: _Source) -> None:
    known = {name for name, _ in _sequences(con)}
    for name, value in sequences.items():
        if name not in known or int(value) < 1:
            raise SchemaError(f"{source.name(MANIFEST)}: sequence {name!r} = {value!r} is not one of this store's")
        con.execute(f"DROP SEQUENCE {quote(name)}")
        con.execute(f"CREATE SEQUENCE {quote(name)} START {int(value)}")


def _carry_over(home: Path, new_home: Path) -> None:
    """Link what `home` holds beside the store (secrets, executed notebooks, caches) into `new_home`.

    Hard links: nothing is copied and the old folder stays as it was until the swap; a file system
    without them gets copies.
    """
    if not home.is_dir():
        return
    for entry in home.iterdir():
        if entry.name in _STORE_ENTRIES:
            continue
        target = new_home / entry.name
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, target, symlinks=True, copy_function=_link_or_copy)
        else:
            _link_or_copy(entry, target)


def _link_or_copy(source: Any, target: Any) -> None:
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError:
        shutil.copy2(source, target, follow_symlinks=False)
