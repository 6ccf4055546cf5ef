"""The command line (serverless_ml/cli.py): its arguments and its one-line errors."""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
from pathlib import Path

import pytest

from serverless_ml import cli, daily
from serverless_ml.runner import timed
from tests.conftest import PYTHON


def test_every_command_is_there():
    commands = cli.build_parser()._subparsers._group_actions[0].choices
    assert {"daily", "simulate", "backfill", "train", "dashboard", "apps", "app", "spaces"} <= set(commands)


def test_dataset_choice_comes_from_the_registry():
    assert cli._datasets("all") == ["iris", "titanic"] and cli._datasets("titanic") == ["titanic"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["daily", "--dataset", "wine"], "unknown dataset 'wine': expected one of iris, titanic"),
        (["daily", "--date", "2026-02-30"], "--date='2026-02-30' is not a date"),
        (["simulate", "--days", "0"], "--days must be at least 1"),
        (["spaces", "deploy", "--all"], "--all needs --owner or SML_SPACES_OWNER"),
        (["spaces", "deploy", "iris"], "--repo OWNER/NAME is needed to deploy iris"),
        (["spaces", "deploy", "iris", "--all", "--owner", "me"], "give one APP with --repo OWNER/NAME, or --all"),
        (["spaces", "build", "wine", "/tmp/x"], "unknown app 'wine'"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(sml_env, monkeypatch, capsys, argv, message):
    monkeypatch.delenv("SML_SPACES_OWNER", raising=False)
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_deploy_all_dry_run_lists_every_app(sml_env, capsys, monkeypatch, tmp_path):
    monkeypatch.setattr("serverless_ml.spaces.deploy", lambda app, repo, dry_run: [f"{app}/app.py"])
    assert cli.main(["spaces", "deploy", "--all", "--owner", "me", "--dry-run"]) == 0
    out = capsys.readouterr().out
    for app in ("iris", "titanic", "iris-monitoring", "titanic-monitoring"):
        assert f"Would upload 1 files to the Space me/{app}:" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["daily", "--date", "1999-12-31"],
        ["daily", "--date", "2999-01-01"],
        ["simulate", "--days", "3", "--end", "2000-01-02"],
    ],
)
def test_dates_outside_the_daily_samples_are_refused(sml_env, capsys, argv):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "is outside the daily samples' dates: expected 2000-01-01 to " in err and err.count("\n") == 1


def _store_file(sml_env) -> Path:
    home = Path(sml_env["SML_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    return home / "store.duckdb"


@pytest.mark.parametrize("command", [["daily"], ["backfill"], ["train"], ["simulate", "--days", "2"]])
def test_a_store_that_cannot_be_opened_stops_everything(sml_env, capsys, command):
    store = _store_file(sml_env)
    store.write_bytes(b"not a database" * 300)
    assert cli.main(command) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot open the local store {store}") and err.count("\n") == 1
    assert store.read_bytes() == b"not a database" * 300
    assert not (Path(sml_env["SML_HOME"]) / "runs").exists()  # no step was attempted


def test_a_store_folder_that_cannot_be_made(sml_env, capsys, monkeypatch):
    monkeypatch.setenv("SML_HOME", "/proc/no-store-here/home")  # read-only even for root
    assert cli.main(["daily"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot create the local store's folder /proc/no-store-here/home")
    assert err.count("\n") == 1


def test_a_store_held_by_another_process(sml_env, capsys, monkeypatch):
    store = _store_file(sml_env)
    hold = f"import duckdb, time; c = duckdb.connect({str(store)!r}); print('held', flush=True); time.sleep(60)"
    holder = subprocess.Popen([PYTHON, "-c", hold], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        monkeypatch.setenv("SML_LOCK_TIMEOUT", "0.5")
        assert cli.main(["daily"]) == 2
        err = capsys.readouterr().err
        assert f"the local store {store} is held by another process" in err and err.count("\n") == 1
    finally:
        holder.kill()
        holder.wait()
    assert not (Path(sml_env["SML_HOME"]) / "runs").exists()


def _arguments(parser: argparse.ArgumentParser, command: tuple[str, ...] = ()):
    """(command, argument, its help) for every argument of every command, nested commands too."""
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for name, subparser in action.choices.items():
                yield command, name, helps.get(name)
                yield from _arguments(subparser, (*command, name))
        else:
            yield command, "/".join(action.option_strings) or action.dest, action.help


def test_every_command_and_argument_has_help():
    arguments = list(_arguments(cli.build_parser()))
    assert len(arguments) > 40  # the walk reached the nested commands
    missing = [f"{' '.join(command) or 'serverless-ml'} {name}" for command, name, text in arguments if not text]
    assert not missing, f"no help for: {', '.join(missing)}"


def _subparsers(parser: argparse.ArgumentParser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for subparser in action.choices.values():
                yield subparser
                yield from _subparsers(subparser)


def test_help_lists_the_registered_names(sml_env, monkeypatch, tmp_path):
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "wine.py").write_text(
        "import dataclasses\nfrom serverless_ml import iris\nDATASET = dataclasses.replace(iris.DATASET, name='wine')\n"
    )
    monkeypatch.setenv("SML_DATASETS", "serverless_ml.iris,wine")
    parser = cli.build_parser()
    pages = {subparser.prog: subparser.format_help() for subparser in _subparsers(parser)}
    assert not [prog for prog, page in pages.items() if "{datasets}" in page or "{apps}" in page]
    assert "--dataset DATASET  iris, wine, or all (the default)" in pages["serverless-ml simulate"]
    for prog in ("serverless-ml app", "serverless-ml spaces build", "serverless-ml spaces deploy"):
        assert "iris, wine, iris-monitoring, wine-monitoring" in pages[prog], prog
    assert "run the daily job for the past N days" in pages["serverless-ml simulate"]  # its own page says what


@pytest.mark.parametrize("terminal", [True, False])
def test_simulate_draws_a_progress_bar_only_on_a_terminal(sml_env, monkeypatch, terminal):
    class Output(io.StringIO):
        def isatty(self) -> bool:
            return terminal

    def step(dataset, stage, parameters, runs):
        with timed(f"{dataset}: {stage}"):
            pass

    output = Output()
    monkeypatch.setattr(sys, "stdout", output)
    monkeypatch.setattr(
        cli, "_prepare", lambda choice: [choice]
    )  # no store, kernels or dashboard: only the output is tested
    monkeypatch.setattr(cli, "_show_dashboard", lambda: print("Dashboard: built"))
    monkeypatch.setattr(daily, "bootstrap", lambda dataset, runs: None)
    monkeypatch.setattr(daily, "step", step)
    monkeypatch.setattr(daily, "write_status", lambda *args, **kwargs: None)
    assert cli.main(["simulate", "--days", "2", "--dataset", "iris", "--end", "2026-02-10"]) == 0
    text = output.getvalue()
    assert ("\r" in text and "3/3" in text) == terminal
    lines = [line for line in text.replace("\r", "\n").splitlines() if line.strip() and "%|" not in line]
    assert [line.split()[:3] for line in lines] == [["iris:", "feature", "ok"], ["iris:", "inference", "ok"],
                                                    ["Dashboard:", "built"]]  # fmt: skip
