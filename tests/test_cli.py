"""The command line (serverless_ml/cli.py): its arguments and its one-line errors."""

from __future__ import annotations

import pytest

from serverless_ml import cli


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
