"""The local store's DuckDB file: opened for one operation at a time, never held open."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from serverless_ml.errors import StoreBusyError, StoreError

FORMAT = "serverless-ml-store/1"
#: The store's DuckDB file, in `SML_HOME` (the registered models are in `SML_HOME/models`).
STORE_FILE = "store.duckdb"
_META = """
CREATE TABLE IF NOT EXISTS _sml_meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS _sml_feature_groups (
    name VARCHAR, version INTEGER, primary_key VARCHAR, event_time VARCHAR,
    description VARCHAR, schema VARCHAR, created_at TIMESTAMP,
    PRIMARY KEY (name, version));
CREATE TABLE IF NOT EXISTS _sml_feature_views (
    name VARCHAR, version INTEGER, fg_name VARCHAR, fg_version INTEGER,
    features VARCHAR, labels VARCHAR, description VARCHAR, created_at TIMESTAMP,
    PRIMARY KEY (name, version));
CREATE TABLE IF NOT EXISTS _sml_models (
    name VARCHAR, version INTEGER, description VARCHAR, metrics VARCHAR,
    input_example VARCHAR, model_schema VARCHAR, feature_view VARCHAR,
    created_at TIMESTAMP, PRIMARY KEY (name, version));
"""
# what later versions added: run on every store, each statement a no-op once applied
_UPGRADE = """
ALTER TABLE _sml_feature_groups ADD COLUMN IF NOT EXISTS feature_descriptions VARCHAR;
ALTER TABLE _sml_feature_groups ADD COLUMN IF NOT EXISTS options VARCHAR;
CREATE TABLE IF NOT EXISTS _sml_training_datasets (
    fv_name VARCHAR, fv_version INTEGER, version INTEGER, spec VARCHAR, created_at TIMESTAMP,
    PRIMARY KEY (fv_name, fv_version, version));
CREATE SEQUENCE IF NOT EXISTS _sml_validation_ids;
CREATE TABLE IF NOT EXISTS _sml_expectation_suites (
    fg_name VARCHAR, fg_version INTEGER, id BIGINT, suite VARCHAR, created_at TIMESTAMP,
    PRIMARY KEY (fg_name, fg_version));
CREATE TABLE IF NOT EXISTS _sml_validation_reports (
    id BIGINT, fg_name VARCHAR, fg_version INTEGER, validation_time TIMESTAMP, ingestion_result VARCHAR,
    success BOOLEAN, report VARCHAR);
"""
_UPGRADED = {"_sml_training_datasets", "_sml_expectation_suites", "_sml_validation_reports"}


def _is_lock_error(error: Exception) -> bool:
    text = str(error)
    return "Could not set lock" in text or "Conflicting lock" in text


#: Transactions committed by this process, per store file (Database.generation).
_generations: dict[Path, int] = {}


class Database:
    """One DuckDB file under `SML_HOME`; each `connect()` is one short operation."""

    def __init__(self, path: Path, lock_timeout: float = 60.0) -> None:
        self.path = Path(path)
        self._key = self.path.absolute()
        self.lock_timeout = lock_timeout
        self._checked = False

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Open the file (waiting while another process holds it), yield, close."""
        con = self._open()
        try:
            if not self._checked:
                self._check_format(con)
                self._checked = True
            yield con
        finally:
            con.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One atomic unit of work: committed whole or not at all."""
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
        _generations[self._key] = _generations.get(self._key, 0) + 1

    @property
    def generation(self) -> int:
        """How many transactions this process has committed to the file: what a cache of it compares to see
        its own process's writes at once (another process's writes show only in the file's stat)."""
        return _generations.get(self._key, 0)

    def _open(self) -> duckdb.DuckDBPyConnection:
        parent = self.path.parent
        if parent.exists() and not parent.is_dir():
            raise StoreError(f"SML_HOME {parent} is a file, expected a folder for the local store")
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:  # read-only, missing or forbidden: one line naming the folder
            raise StoreError(f"cannot create the local store's folder {parent}: {error.strerror}") from None
        deadline = time.monotonic() + self.lock_timeout
        delay = 0.005
        while True:
            try:
                return duckdb.connect(str(self.path))
            except duckdb.Error as error:
                if not _is_lock_error(error):
                    raise StoreError(
                        f"cannot open the local store {self.path}: {error}. "
                        "Move the file away (or point SML_HOME elsewhere) to start a new store."
                    ) from None
                if time.monotonic() >= deadline:
                    raise StoreBusyError(
                        f"the local store {self.path} is held by another process for more "
                        f"than {self.lock_timeout:g} s (set SML_LOCK_TIMEOUT to wait longer)"
                    ) from None
            time.sleep(delay)
            delay = min(delay * 2, 0.2)

    def _check_format(self, con: duckdb.DuckDBPyConnection) -> None:
        tables = {row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        if tables and "_sml_meta" not in tables:
            raise StoreError(
                f"{self.path} is a DuckDB file but not a serverless-ml store "
                f"(it has tables {sorted(tables)[:5]} and no _sml_meta)"
            )
        if "_sml_meta" in tables:
            rows = con.execute("SELECT value FROM _sml_meta WHERE key = 'format'").fetchall()
            if rows != [(FORMAT,)]:
                raise StoreError(f"{self.path} has store format {rows}, expected {FORMAT!r}")
            columns = {
                row[0]
                for row in con.execute(
                    "SELECT column_name FROM duckdb_columns() WHERE table_name = '_sml_feature_groups'"
                ).fetchall()
            }
            if not tables >= _UPGRADED or "options" not in columns:
                con.execute(_UPGRADE)
            return
        con.execute("BEGIN TRANSACTION")
        con.execute(_META)
        con.execute(_UPGRADE)
        con.execute("INSERT INTO _sml_meta VALUES ('format', ?)", [FORMAT])
        con.execute("COMMIT")
