"""The history export and restore (serverless_ml/history.py), on real DuckDB files and through the CLI."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import duckdb
import hopsworks
import numpy as np
import pandas as pd
import pytest

import serverless_ml
from serverless_ml import history, iris
from serverless_ml.errors import StoreError
from serverless_ml.store.database import STORE_FILE
from tests.conftest import PYTHON, free_port, local_env
from tests.e2e import cli

SECRET = "aqicn-h1st0ry-s3cr3t-7d2e"
#: How many requests the `served` site answers with 503 before it serves again.
_UNAVAILABLE = {"left": 0}
STARTS = re.compile(r'History starts on <time datetime="(\d{4}-\d{2}-\d{2})">')


def _fill(project, scratch: Path) -> None:
    """A small store with what a daily run leaves, plus the kinds of columns a feature group can hold."""
    import great_expectations as ge

    fs = project.get_feature_store()
    flowers = iris.backfill_frame().head(40)
    suite = ge.core.ExpectationSuite(
        name="iris_flowers",
        expectations=[
            ge.expectations.ExpectColumnValuesToBeBetween(column="petal_length", min_value=0, max_value=10),
            ge.expectations.ExpectColumnValuesToNotBeNull(column="variety"),
        ],
    )
    fg = fs.get_or_create_feature_group(
        "iris", version=1, primary_key=["id"], event_time="event_time", description="flowers", expectation_suite=suite
    )
    fg.insert(flowers)
    fg.insert(flowers.head(3).assign(petal_length=2.0))  # an upsert: the rows written last come back last
    stamp = pd.Timestamp("2026-05-01 06:00")
    predictions = pd.DataFrame(
        {
            "id": [10_001, 10_002],
            "event_time": [stamp, stamp + pd.Timedelta(days=1)],
            "predicted": ["Setosa", "Virginica"],
            "label": ["Setosa", "Versicolor"],
            "model_version": [2, 2],
            "predicted_at": [stamp, stamp + pd.Timedelta(days=1)],
            "run_date": [stamp, stamp + pd.Timedelta(days=1)],
        }
    )
    fs.get_or_create_feature_group("iris_predictions", version=1, primary_key=["id"], event_time="event_time").insert(
        predictions
    )
    kinds = pd.DataFrame(
        {
            "key": [1, 2, 3],
            "ratio": [0.5, np.nan, 1.5],
            "name": ["a", None, "c"],
            "flag": [True, False, True],
            "seen": pd.to_datetime(["2026-01-01 12:00:00.123456", "2026-01-02", "2026-01-03"], format="ISO8601"),
            "tags": [[1, 2], [], [3]],
        }
    )
    fs.get_or_create_feature_group("kinds", version=2, primary_key=["key"]).insert(kinds)
    fv = fs.get_or_create_feature_view(
        "iris", version=1, query=fg.select_except(["id", "event_time"]), labels=["variety"]
    )
    fv.training_data(description="all flowers")
    registry = project.get_model_registry()
    for version, accuracy in ((1, 0.9), (2, 0.95)):
        folder = scratch / f"model-{version}"
        (folder / "extra").mkdir(parents=True)
        (folder / "model.bin").write_bytes(np.random.default_rng(version).bytes(256))
        (folder / "extra" / "notes.txt").write_text(f"version {version}\n")
        model = registry.python.create_model(
            name="iris",
            metrics={"accuracy": accuracy, "cv_std": 1 - accuracy},
            description=f"model {version}",
            input_example=flowers.head(1),
            feature_view=fv,
            training_dataset_version=1,
        )
        model.save(str(folder))
    hopsworks.get_secrets_api().create_secret("AQICN_API_KEY", SECRET)


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Iterator[SimpleNamespace]:
    """A filled store, exported once by the CLI, and the environment that points at it."""
    root = tmp_path_factory.mktemp("history")
    with pytest.MonkeyPatch.context() as mp:
        local_env(mp, root)
        _fill(serverless_ml.login(), root / "scratch")
        hopsworks.logout()
        (root / "home" / "runs" / "old-run").mkdir(parents=True)  # executed notebooks: kept, never exported
        (root / "home" / "runs" / "old-run" / "out.ipynb").write_text(f"printed {SECRET} by mistake")
        env = _env(root / "home", root / "docs")
        exported = cli(env, "history", "export", str(root / "export"))
        assert exported.returncode == 0, exported.stderr
        yield SimpleNamespace(root=root, home=root / "home", export=root / "export", env=env, exported=exported)


def _env(home: Path, docs: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SML_", "HOPSWORKS_"))}
    return {**base, "SML_BACKEND": "local", "SML_HOME": str(home), "SML_DOCS": str(docs)}


def _tables(home: Path) -> dict[str, tuple[list, list]]:
    """Every table of the store: its columns and types, and its rows in the order they are read."""
    con = duckdb.connect(str(home / STORE_FILE), read_only=True)
    try:
        names = [n for (n,) in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        tables = {
            n: (con.execute(f'DESCRIBE "{n}"').fetchall(), con.execute(f'SELECT * FROM "{n}"').fetchall())
            for n in names
        }
        tables["(sequences)"] = (con.execute("SELECT sql FROM duckdb_sequences()").fetchall(), [])
        return tables
    finally:
        con.close()


def _files(folder: Path) -> dict[str, str]:
    """Every file below `folder` by its path, with its sha256: what "untouched" compares."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _restored(store, tmp_path: Path, *args: str, source: str | None = None):
    home = tmp_path / "restored"
    result = cli(_env(home, tmp_path / "docs"), "history", "restore", source or str(store.export), *args)
    return home, result


@pytest.fixture(scope="module")
def restored(store, tmp_path_factory) -> SimpleNamespace:
    """The export restored by the CLI into a new SML_HOME (read only: a test that writes copies it first)."""
    root = tmp_path_factory.mktemp("restored")
    home, result = _restored(store, root)
    return SimpleNamespace(root=root, home=home, result=result)


def _main(monkeypatch, capsys, home: Path, *argv: str) -> SimpleNamespace:
    """`python -m serverless_ml ARGV` in this process (cli.main: its exit code and its two streams)."""
    from serverless_ml import cli as commands

    monkeypatch.setenv("SML_HOME", str(home))
    monkeypatch.setenv("SML_DOCS", str(home.parent / "docs"))
    capsys.readouterr()
    code = commands.main(list(argv))
    out = capsys.readouterr()
    return SimpleNamespace(returncode=code, stdout=out.out, stderr=out.err)


@pytest.fixture
def served(store) -> Iterator[str]:
    """The export's parent folder on a local `http.server`, as GitHub Pages serves the site."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            if _UNAVAILABLE["left"] > 0:  # a site's passing hiccup
                _UNAVAILABLE["left"] -= 1
                self.send_error(503, "Service Unavailable")
                return
            super().do_GET()

    _UNAVAILABLE["left"] = 0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(store.root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def _logged_out() -> Iterator[None]:
    """Leave the `hopsworks` module logged out, as `hopsworks.logout()` does, for the next test."""
    yield
    hopsworks.logout()


# --- lossless ----------------------------------------------------------------------------------------------


def test_export_writes_open_files_and_a_manifest(store):
    assert store.exported.stdout.startswith("Exported the history since ")
    manifest = json.loads((store.export / "manifest.json").read_text())
    assert manifest["format"] == "serverless-ml-history" and manifest["schema_version"] == history.SCHEMA_VERSION
    listed = {f["path"]: f for f in manifest["files"]}
    on_disk = {str(p.relative_to(store.export)) for p in store.export.rglob("*") if p.is_file()} - {"manifest.json"}
    assert set(listed) == on_disk
    for path, entry in listed.items():
        data = (store.export / path).read_bytes()
        assert len(data) == entry["bytes"] and hashlib.sha256(data).hexdigest() == entry["sha256"], path
    groups = {t["path"]: t["rows"] for t in manifest["tables"] if "feature_group" in t}
    assert groups == {"feature_groups/iris_1.parquet": 40, "feature_groups/iris_predictions_1.parquet": 2,
                      "feature_groups/kinds_2.parquet": 3}  # fmt: skip
    # Parquet anyone can read: the rows as the store holds them, in the order written
    flowers = pd.read_parquet(store.export / "feature_groups" / "iris_1.parquet")
    assert list(flowers["id"][-3:]) == [0, 1, 2] and (flowers["petal_length"][-3:] == 2.0).all()
    assert {"models/iris/1/model.bin", "models/iris/2/extra/notes.txt"} <= set(listed)


def test_restore_gives_the_same_store(store, restored):
    assert restored.result.returncode == 0, restored.result.stderr
    assert restored.result.stdout.startswith("Restored the history since ")
    home = restored.home
    assert _tables(home) == _tables(store.home)  # every table, column type, row and its order; the sequence
    for version in (1, 2):
        assert _files(home / "models" / "iris" / str(version)) == _files(store.home / "models" / "iris" / str(version))
    assert not (home / "secrets.json").exists() and not (home / "runs").exists()  # not history: not restored
    assert not [p for p in restored.root.iterdir() if p.name.startswith(".")]  # no staging folder left


def test_restored_store_reads_the_same_through_the_api(store, restored, tmp_path, monkeypatch):
    def read(where: Path) -> dict:
        monkeypatch.setenv("SML_HOME", str(where))
        project = serverless_ml.login()
        fs, registry = project.get_feature_store(), project.get_model_registry()
        fg = fs.get_feature_group("iris", version=1)
        fv = fs.get_feature_view("iris", version=1)
        models = registry.get_models("iris")
        return {
            "groups": {(g.name, g.version): g.read() for g in fs.get_feature_groups()},
            "suite": fg.get_expectation_suite(ge_type=False).json(),
            "report": fg.get_latest_validation_report(ge_type=False).json(),
            "view": (fv.labels, [f.name for f in fv.features]),
            "training": fv.get_training_data(1)[0],
            "models": [(m.version, m.training_metrics, m.description, m.input_example, m.created) for m in models],
            "best": registry.get_best_model("iris", "accuracy", "max").version,
        }

    original, copy = read(store.home), read(restored.home)
    assert original["groups"].keys() == copy["groups"].keys() == {("iris", 1), ("iris_predictions", 1), ("kinds", 2)}
    for key, frame in original["groups"].items():
        pd.testing.assert_frame_equal(copy["groups"][key], frame)
    pd.testing.assert_frame_equal(copy["training"], original["training"])
    assert {k: v for k, v in copy.items() if k not in ("groups", "training")} == {
        k: v for k, v in original.items() if k not in ("groups", "training")
    }
    assert [m[0] for m in copy["models"]] == [1, 2] and copy["best"] == 2
    # a new id after a restore follows the exported ones: no suite or report id is handed out twice
    shutil.copytree(restored.home, tmp_path / "home")
    monkeypatch.setenv("SML_HOME", str(tmp_path / "home"))
    fs = serverless_ml.login().get_feature_store()
    fs.get_feature_group("iris", version=1).insert(iris.backfill_frame().head(1))
    ids = [r.id for r in fs.get_feature_group("iris", version=1).get_all_validation_reports(ge_type=False)]
    assert len(ids) == len(set(ids)) == 3


def test_restored_store_gives_the_same_dashboard(store, restored, tmp_path, monkeypatch):
    from serverless_ml.dashboard import build_dashboard

    pages = []
    for where in (store.home, restored.home):
        monkeypatch.setenv("SML_HOME", str(where))
        page = build_dashboard(tmp_path / "docs").read_text()
        pages.append(re.sub(r"Built [^(]*\(", "Built (", page))
    assert pages[0] == pages[1]
    assert STARTS.search(pages[0]).group(1) == str(history.started(store.home))
    assert "v2</td>" in pages[0] and "model 2" in pages[0]  # the best model and the predictions were shown


def test_restore_from_a_url(store, tmp_path, served):
    # as the workflow builds it, `${{ base_url }}/history/`: one slash too many or too few is the same site
    home, result = _restored(store, tmp_path, source=f"{served}//export")
    assert result.returncode == 0, result.stderr
    assert _tables(home) == _tables(store.home)
    assert _files(home / "models") == _files(store.home / "models")


def test_restore_from_a_file_url(store, tmp_path, monkeypatch, capsys):
    result = _main(monkeypatch, capsys, tmp_path / "home", "history", "restore", store.export.as_uri())
    assert result.returncode == 0, result.stderr
    assert _tables(tmp_path / "home") == _tables(store.home)


# --- secrets and what else stays out ----------------------------------------------------------------------------


def test_no_secret_and_nothing_private_in_an_export(store):
    assert (store.home / "secrets.json").is_file() and SECRET.encode() in (store.home / "secrets.json").read_bytes()
    for path in store.export.rglob("*"):
        assert path.name != "secrets.json" and "runs" not in path.parts and "cache" not in path.parts, path
        if path.is_file():
            data = path.read_bytes()
            assert SECRET.encode() not in data, path
            assert str(store.root).encode() not in data, f"{path} names the local folder"  # no paths of this machine
    assert SECRET not in store.exported.stdout + store.exported.stderr


def test_replace_keeps_the_secrets_and_runs_of_the_store_it_replaces(store, tmp_path, monkeypatch, capsys):
    home = tmp_path / "home"
    shutil.copytree(store.home, home)
    before = _files(home)
    result = _main(monkeypatch, capsys, home, "history", "restore", "--replace", str(store.export))
    assert result.returncode == 0, result.stderr
    after = _files(home)
    assert after["secrets.json"] == before["secrets.json"] and (home / "secrets.json").stat().st_mode & 0o077 == 0
    assert after["runs/old-run/out.ipynb"] == before["runs/old-run/out.ipynb"]
    assert _tables(home) == _tables(store.home)


# --- refusals and bad input -------------------------------------------------------------------------------


def _one_line_error(result, *names: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for name in names:
        assert name in lines[0], lines[0]


def test_restore_refuses_a_store_with_a_history(store, tmp_path, monkeypatch, capsys):
    home = tmp_path / "home"
    shutil.copytree(store.home, home)
    before = _files(home)
    result = cli(_env(home, tmp_path / "docs"), "history", "restore", str(store.export))
    _one_line_error(result, str(home), "--replace")
    assert _files(home) == before
    result = _main(monkeypatch, capsys, home, "history", "restore", "--if-empty", str(store.export))
    assert result.returncode == 0 and "already holds a history" in result.stdout and "nothing restored" in result.stdout
    assert _files(home) == before


def _not_an_export(export: Path) -> str:
    (export / "manifest.json").unlink()
    return str(export)


def _other_version(export: Path) -> str:
    manifest = json.loads((export / "manifest.json").read_text())
    (export / "manifest.json").write_text(json.dumps({**manifest, "schema_version": 99}))
    return str(export / "manifest.json")


def _truncated(export: Path) -> str:
    path = export / "feature_groups" / "iris_1.parquet"
    path.write_bytes(path.read_bytes()[:-100])
    return str(path)


def _corrupt(export: Path) -> str:
    path = export / "models" / "iris" / "2" / "model.bin"
    data = bytearray(path.read_bytes())
    data[10] ^= 0xFF  # same size, one byte changed
    path.write_bytes(bytes(data))
    return str(path)


def _bad_manifest(export: Path) -> str:
    (export / "manifest.json").write_text('{"format": "serverless-ml-history", "schema_version": 1, "files": [')
    return str(export / "manifest.json")


def _escaping_path(export: Path) -> str:
    manifest = json.loads((export / "manifest.json").read_text())
    manifest["files"][0]["path"] = "../../outside.txt"
    (export / "manifest.json").write_text(json.dumps(manifest))
    return str(export / "manifest.json")


@pytest.mark.parametrize(
    ("damage", "cause"),
    [
        (_not_an_export, "is not a history export"),
        (_other_version, "schema version 99"),
        (_truncated, "truncated or corrupt"),
        (_corrupt, "sha256 differs"),
        (_bad_manifest, "not JSON"),
        (_escaping_path, "leads outside"),
    ],
)
def test_bad_export_is_one_line_and_the_store_untouched(store, tmp_path, monkeypatch, capsys, damage, cause):
    export = tmp_path / "export"
    shutil.copytree(store.export, export)
    named = damage(export)
    home = tmp_path / "home"
    shutil.copytree(store.home, home)
    before = _files(home)
    result = _main(monkeypatch, capsys, home, "history", "restore", "--replace", str(export))
    _one_line_error(result, named, cause)
    assert _files(home) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export", "home"]  # no staging folder left
    assert not (tmp_path / "outside.txt").exists()


def test_unreachable_and_missing_urls(store, tmp_path, served, monkeypatch, capsys):
    home = tmp_path / "home"
    shutil.copytree(store.home, home)
    before = _files(home)
    nobody = f"http://127.0.0.1:{free_port()}/history/"
    result = cli(_env(home, tmp_path / "docs"), "history", "restore", "--replace", nobody)
    _one_line_error(result, f"{nobody}manifest.json", "Connection refused")
    result = _main(monkeypatch, capsys, home, "history", "restore", "--replace", f"{served}/nothing-here/")
    _one_line_error(result, f"{served}/nothing-here/manifest.json", "404")
    assert _files(home) == before


@pytest.mark.parametrize(("failures", "restored"), [(2, True), (3, False)])
def test_a_site_that_fails_now_and_then_is_tried_three_times(
    store, tmp_path, served, monkeypatch, capsys, failures, restored
):
    monkeypatch.setattr(history, "RETRY_DELAYS", (0.01, 0.01))
    _UNAVAILABLE["left"] = failures
    result = _main(monkeypatch, capsys, tmp_path / "home", "history", "restore", "--if-empty", f"{served}/export/")
    if restored:
        assert result.returncode == 0 and result.stdout.startswith("Restored the history"), result.stderr
    else:  # not "nothing published": a run must not start a new history because the site was down
        _one_line_error(result, f"{served}/export/manifest.json", "HTTP 503")
        assert not (tmp_path / "home").exists()


def test_if_empty_with_nothing_published_starts_the_history(store, tmp_path, served, monkeypatch, capsys):
    home = tmp_path / "home"
    result = _main(monkeypatch, capsys, home, "history", "restore", "--if-empty", f"{served}/nothing-here/")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Nothing published at {served}/nothing-here/")
    assert "starts with this run" in result.stdout and not home.exists()


def test_no_site_address_says_pages_gave_none(store, tmp_path, monkeypatch, capsys):
    """daily.yml passes "" where configure-pages gave no base_url (a private repository on GitHub Free):
    the line says there is no site, not "nothing published at /history/"; without --if-empty it is refused."""
    home = tmp_path / "home"
    result = _main(monkeypatch, capsys, home, "history", "restore", "--if-empty", "")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("No published site to restore a history from (no address given: GitHub Pages")
    assert "starts with this run" in result.stdout and not home.exists()
    shutil.copytree(store.home, home)  # a store the cache restored: said as before, the address never read
    result = _main(monkeypatch, capsys, home, "history", "restore", "--if-empty", "")
    assert result.stdout.startswith(f"The local store {home.resolve()} already holds a history")
    _one_line_error(_main(monkeypatch, capsys, home, "history", "restore", ""), "needs the folder or URL")


def test_a_failure_at_the_swap_leaves_the_store_as_it_was(store, tmp_path, monkeypatch):
    home = tmp_path / "home"
    shutil.copytree(store.home, home)
    before = _files(home)

    def fail(*args) -> None:
        raise StoreError("the disk is full")

    monkeypatch.setattr(history, "_carry_over", fail)
    with pytest.raises(StoreError, match="the disk is full"):
        history.restore_history(home, str(store.export), replace=True)
    assert _files(home) == before and sorted(p.name for p in tmp_path.iterdir()) == ["home"]


def test_export_refuses_a_folder_that_is_not_an_export(store, tmp_path, monkeypatch, capsys):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    result = _main(monkeypatch, capsys, store.home, "history", "export", str(folder))
    _one_line_error(result, str(folder), "not a history export")
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]


def test_export_replaces_an_earlier_export_whole(store, tmp_path, monkeypatch, capsys):
    folder = tmp_path / "export"
    shutil.copytree(store.export, folder)
    (folder / "models" / "iris" / "9").mkdir()  # what the earlier export had and this store has not
    result = _main(monkeypatch, capsys, store.home, "history", "export", str(folder))
    assert result.returncode == 0, result.stderr
    assert not (folder / "models" / "iris" / "9").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"]


def test_started_is_the_day_of_the_first_record(store):
    con = duckdb.connect(str(store.home / STORE_FILE), read_only=True)
    [(first,)] = con.execute("SELECT min(created_at) FROM _sml_feature_groups").fetchall()
    con.close()
    assert history.started(store.home) == first.date()
    assert history.started(store.root / "nowhere") is None


def test_replace_restores_over_a_store_that_cannot_be_opened(store, tmp_path, monkeypatch, capsys):
    home = tmp_path / "home"
    home.mkdir()
    (home / STORE_FILE).write_bytes(b"not a database" * 100)
    result = _main(monkeypatch, capsys, home, "history", "restore", str(store.export))
    _one_line_error(result, str(home / STORE_FILE), "--replace")
    result = _main(monkeypatch, capsys, home, "history", "restore", "--replace", str(store.export))
    assert result.returncode == 0, result.stderr
    assert _tables(home) == _tables(store.home)


def test_on_hopsworks_there_is_nothing_to_export_or_restore(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SML_BACKEND", "hopsworks")
    result = _main(monkeypatch, capsys, tmp_path / "home", "history", "export", str(tmp_path / "export"))
    assert result.returncode == 0 and "nothing to export" in result.stdout and not (tmp_path / "export").exists()
    result = _main(monkeypatch, capsys, tmp_path / "home", "history", "restore", "--if-empty", "https://x.invalid/")
    assert result.returncode == 0 and "nothing to restore" in result.stdout
    result = _main(monkeypatch, capsys, tmp_path / "home", "history", "restore", "https://x.invalid/")
    _one_line_error(result, "the backend is hopsworks")


def test_a_store_held_by_another_process_is_waited_for_then_left_alone(store, tmp_path, monkeypatch, capsys):
    home = tmp_path / "home"
    shutil.copytree(store.home, home)
    before = _files(home)
    path = str(home / STORE_FILE)
    hold = f"import duckdb, time; c = duckdb.connect({path!r}); print('held', flush=True); time.sleep(60)"
    holder = subprocess.Popen([PYTHON, "-c", hold], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        monkeypatch.setenv("SML_LOCK_TIMEOUT", "0.5")  # how long a command waits for the store (settings.py)
        result = _main(monkeypatch, capsys, home, "history", "restore", "--replace", str(store.export))
        _one_line_error(result, path, "held by another process for more than 0.5 s")
    finally:
        holder.kill()
        holder.wait()
    assert _files(home) == before and sorted(p.name for p in tmp_path.iterdir()) == ["home"]
