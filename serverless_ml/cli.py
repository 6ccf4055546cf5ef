"""`python -m serverless_ml`: the daily run and its helpers, each step a papermill notebook run."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

from serverless_ml import datasets, kernels
from serverless_ml.daily import check_date, check_store, run_days, runs_dir, step
from serverless_ml.errors import NotFoundError, ParameterError, ServerlessMLError
from serverless_ml.parameters import parse_run_date
from serverless_ml.runner import NotebookError, timed


def _datasets(choice: str) -> list[str]:
    return list(datasets.registered()) if choice == "all" else [datasets.get(choice).name]


def _each(datasets: list[str], work: Callable[[str], None]) -> list[str]:
    """Run `work` for every dataset; a failure is reported and the others still run."""
    failed = []
    for dataset in datasets:
        try:
            work(dataset)
        except NotebookError as error:
            print(f"FAILED {dataset}: {error}", file=sys.stderr, flush=True)
            failed.append(dataset)
    return failed


def _prepare(choice: str) -> list[str]:
    """Before the first notebook: start the kernels' imports, then the datasets `choice` names, after this
    process has stopped here if the store cannot be opened.

    The zygote imports the pipelines' libraries (kernels.py) while this process loads the datasets' modules
    (they import scikit-learn, 1.4 s) and opens the store; if either fails, the zygote ends with the command.
    """
    kernels.start()
    chosen = _datasets(choice)
    check_store()
    return chosen


def _dashboard() -> Path:
    from serverless_ml.dashboard import build_dashboard

    with timed("dashboard"):
        return build_dashboard()


def cmd_daily(args: argparse.Namespace) -> int:
    run_date = check_date(parse_run_date(args.date, "--date"), "--date")
    chosen = _prepare(args.dataset)
    runs = runs_dir(run_date)
    failed = _each(chosen, lambda d: run_days(d, run_date, run_date, runs))
    if args.history:  # before the dashboard, which links the export it finds beside it
        _export_history(Path(args.history))
    _show_dashboard()
    return _report(failed)


def _show_dashboard() -> None:
    """Build the dashboard and say how to look at it."""
    index = _dashboard()
    print(f"Dashboard: {index}")
    print(f"  view it: python -m http.server --directory {index.parent} 8000, then http://127.0.0.1:8000/")
    ports = datasets.app_ports()
    print(f"  try the models: make apps (Gradio on http://127.0.0.1:{min(ports.values())}-{max(ports.values())})")


def cmd_simulate(args: argparse.Namespace) -> int:
    if args.days < 1:
        raise ParameterError("--days must be at least 1")
    end = check_date(parse_run_date(args.end, "--end"), "--end")
    start = end - timedelta(days=args.days - 1)
    check_date(start, f"--days {args.days} before --end: the first day,")
    chosen = _prepare(args.dataset)
    runs = runs_dir(end)
    # a progress bar only on a terminal: piped (a CI log, a file) it would interleave with the step lines
    progress = sys.stdout.isatty()
    failed = _each(chosen, lambda d: run_days(d, start, end, runs, progress=progress))
    _show_dashboard()
    return _report(failed)


def cmd_backfill(args: argparse.Namespace) -> int:
    chosen = _prepare(args.dataset)
    runs = runs_dir(datetime.now(UTC).date())
    return _report(_each(chosen, lambda d: step(d, "feature", {"BACKFILL": True}, runs)))


def cmd_train(args: argparse.Namespace) -> int:
    chosen = _prepare(args.dataset)
    runs = runs_dir(datetime.now(UTC).date())
    return _report(_each(chosen, lambda d: step(d, "training", {}, runs)))


def cmd_dashboard(args: argparse.Namespace) -> int:
    print(f"Dashboard: {_dashboard()}")
    return 0


def cmd_apps(args: argparse.Namespace) -> int:
    """Start every registered app as its own process and wait; Ctrl-C stops them all."""
    from serverless_ml.apps import serve

    return serve(datasets.app_ports())


def cmd_app(args: argparse.Namespace) -> int:
    """Run one app in this process (`make apps` starts each this way)."""
    from serverless_ml.apps import app

    app(args.app).launch()  # honours GRADIO_SERVER_NAME and GRADIO_SERVER_PORT
    return 0


def cmd_spaces_build(args: argparse.Namespace) -> int:
    from serverless_ml import spaces

    files = spaces.build(args.app, Path(args.dir))
    print(f"Built the {args.app} Space in {args.dir} ({len(files)} files). To run it, in a new virtual environment:")
    print(f"  cd {args.dir}\n" + "\n".join(f"  {line}" for line in spaces.RUN_STEPS.splitlines()))
    return 0


def cmd_spaces_deploy(args: argparse.Namespace) -> int:
    from serverless_ml import spaces
    from serverless_ml.settings import get_settings

    if args.all == bool(args.app):
        raise ParameterError("give one APP with --repo OWNER/NAME, or --all (the Spaces are OWNER/<app>)")
    if args.all:
        owner = args.owner or get_settings().spaces_owner
        if not owner:
            raise ParameterError("--all needs --owner or SML_SPACES_OWNER: your Hugging Face user")
        targets = {app: f"{owner}/{app}" for app in datasets.app_ports()}
    else:
        if not args.repo:
            raise ParameterError(f"--repo OWNER/NAME is needed to deploy {args.app}")
        targets = {args.app: args.repo}
    for app, repo in targets.items():
        files = spaces.deploy(app, repo, dry_run=args.dry_run)
        if args.dry_run:
            print(f"Would upload {len(files)} files to the Space {repo}:")
            print("\n".join(f"  {f}" for f in files))
        else:
            print(f"Deployed {app} to https://huggingface.co/spaces/{repo}")
    return 0


def _secrets_api() -> Any:
    """The project's secrets, on either backend: `hopsworks.get_secrets_api()` after `serverless_ml.login()`."""
    import hopsworks

    import serverless_ml

    serverless_ml.login()
    return hopsworks.get_secrets_api()


def _secret_value(name: str) -> str:
    """A secret's value from a hidden prompt on a terminal, else from stdin: never from the command line,
    which the shell's history would keep. One trailing newline (`echo` adds it) is dropped."""
    if sys.stdin.isatty():
        value = getpass.getpass(f"Value of secret {name} (typing is hidden): ")
    else:
        value = sys.stdin.read().removesuffix("\n").removesuffix("\r")
    if not value:
        raise ParameterError(f"no value for secret {name}: type it at the prompt, or pipe it in on stdin")
    return value


def cmd_secrets_set(args: argparse.Namespace) -> int:
    api = _secrets_api()
    existing = api.get_secret(args.name)
    if existing is not None and not args.replace:
        raise ParameterError(f"secret {args.name} already exists: add --replace to overwrite it")
    value = _secret_value(args.name)
    if existing is not None:
        existing.delete()  # Hopsworks has no update: SecretsApi.create_secret refuses an existing name
    api.create_secret(args.name, value)  # prints where the secret is, never its value
    return 0


def cmd_secrets_list(args: argparse.Namespace) -> int:
    names = [secret.name for secret in _secrets_api().get_secrets()]
    for name in names:
        print(name)
    if not names:
        print("No secrets yet: python -m serverless_ml secrets set NAME", file=sys.stderr)
    return 0


def cmd_secrets_delete(args: argparse.Namespace) -> int:
    secret = _secrets_api().get_secret(args.name)
    if secret is None:  # SecretsApi.get_secret: None for a name that does not exist
        raise NotFoundError(f"secret {args.name} does not exist: `python -m serverless_ml secrets list` shows them")
    secret.delete()
    print(f"Deleted secret {args.name}")
    return 0


def cmd_lab_starter(args: argparse.Namespace) -> int:
    from serverless_ml import lab

    written = lab.write_starter(args.dataset, Path(args.dir), force=args.force)
    print(f"Wrote {len(written)} starter notebook(s) to {args.dir}: {', '.join(p.name for p in written)}")
    return 0


def cmd_lab_guide(args: argparse.Namespace) -> int:
    from serverless_ml import lab

    print(f"Lab guide: {lab.write_guide(Path(args.out) if args.out else None)}")
    return 0


def cmd_lab_check(args: argparse.Namespace) -> int:
    """One line per requirement; exit code 0 only when all are met (an unknown dataset is one unmet line)."""
    from serverless_ml import lab

    print(f"Lab check of {args.dataset} on {lab.backend_line()}:", flush=True)
    results = lab.check(args.dataset, app_url=args.app_url)
    print(lab.report(args.dataset, results))
    if args.summary:
        with Path(args.summary).open("a", encoding="utf-8") as summary:
            summary.write(lab.markdown(args.dataset, results) + "\n")
    return 0 if all(r.met for r in results) else 1


def cmd_history_export(args: argparse.Namespace) -> int:
    _export_history(Path(args.folder))
    return 0


def _export_history(folder: Path) -> None:
    """The local store's history as open files (serverless_ml/history.py); on Hopsworks, a line and nothing."""
    from serverless_ml import history
    from serverless_ml.settings import get_settings

    settings = get_settings()
    if settings.backend != "local":  # the daily workflow exports on both backends
        print("The Hopsworks backend keeps the history in your Hopsworks project: nothing to export.")
        return
    print(f"Exported the {history.export_history(settings.home, folder, settings.lock_timeout)} to {folder}")


def cmd_history_restore(args: argparse.Namespace) -> int:
    """Rebuild the local store from an export; on Hopsworks, with --if-empty, a line and nothing."""
    from serverless_ml import history
    from serverless_ml.settings import get_settings

    settings = get_settings()
    if settings.backend != "local":
        if not args.if_empty:
            raise ParameterError("history restore rebuilds the local store, and the backend is hopsworks")
        print("The Hopsworks backend keeps the history in your Hopsworks project: nothing to restore.")
        return 0
    when = {"replace": args.replace, "if_empty": args.if_empty, "lock_timeout": settings.lock_timeout}
    print(history.restore_history(settings.home, args.source, **when))
    return 0


def _report(failed: list[str]) -> int:
    if failed:
        print(f"Failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


#: Placeholders in help texts, filled in only when help is shown: naming the registered datasets imports
#: their modules (and scikit-learn), which no other command needs just to parse its arguments.
_NAMES: dict[str, Callable[[], list[str]]] = {
    "{datasets}": lambda: list(datasets.registered()),
    "{apps}": lambda: list(datasets.app_ports()),
}


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's help, with the registry's names in place of `{datasets}` and `{apps}`."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = super()._get_help_string(action)
        for placeholder, names in _NAMES.items():
            if text and placeholder in text:
                try:
                    shown = ", ".join(names())
                except ServerlessMLError as error:  # a broken SML_DATASETS: still show the help, and why
                    shown = f"(none listed: {error})"
                text = text.replace(placeholder, shown.replace("%", "%%"))
        return text


class _Commands(argparse._SubParsersAction):
    """Subcommands whose own `--help` starts with the line the command list shows for them."""

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        kwargs.setdefault("description", kwargs.get("help"))
        return super().add_parser(name, **kwargs)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose subcommands' parsers (its own class, as argparse makes them) share its help."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)
        self.register("action", "parsers", _Commands)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="serverless-ml", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    def with_dataset(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--dataset", default="all", help="{datasets}, or all (the default)")
        return p

    daily = with_dataset(commands.add_parser("daily", help="the day's feature + inference runs, then the dashboard"))
    daily.add_argument("--date", help="YYYY-MM-DD (default: today, UTC)")
    daily.add_argument(
        "--history", metavar="FOLDER", help="also export the store's history to FOLDER, which the dashboard links"
    )
    daily.set_defaults(func=cmd_daily)
    simulate = with_dataset(commands.add_parser("simulate", help="run the daily job for the past N days"))
    simulate.add_argument(
        "--days", type=int, required=True, metavar="N", help="how many days, the last one --end (at least 1)"
    )
    simulate.add_argument("--end", help="the last day, YYYY-MM-DD (default: today, UTC)")
    simulate.set_defaults(func=cmd_simulate)
    with_dataset(commands.add_parser("backfill", help="load the whole data set")).set_defaults(func=cmd_backfill)
    with_dataset(commands.add_parser("train", help="train and register a new model")).set_defaults(func=cmd_train)
    commands.add_parser("dashboard", help="rebuild the dashboard in SML_DOCS").set_defaults(func=cmd_dashboard)
    commands.add_parser("apps", help="start every app, each on its port from 7860").set_defaults(func=cmd_apps)
    one = commands.add_parser("app", help="run one app (a dataset, or <dataset>-monitoring) in this process")
    one.add_argument("app", help="{apps}")
    one.set_defaults(func=cmd_app)
    spaces = commands.add_parser("spaces", help="Hugging Face Space bundles").add_subparsers(
        dest="action", required=True
    )
    build = spaces.add_parser("build", help="write APP's Space bundle into DIR")
    build.add_argument("app", help="{apps}")
    build.add_argument("dir", help="a new or empty folder for the bundle")
    build.set_defaults(func=cmd_spaces_build)
    deploy = spaces.add_parser("deploy", help="build APP (or --all) and upload it to a Space (token from HF_TOKEN)")
    deploy.add_argument("app", nargs="?", help="{apps}")
    deploy.add_argument("--repo", help="OWNER/NAME of the Space")
    deploy.add_argument("--all", action="store_true", help="every registered app, each to OWNER/<app>")
    deploy.add_argument("--owner", help="your Hugging Face user, for --all (default: SML_SPACES_OWNER)")
    deploy.add_argument("--dry-run", action="store_true", help="list what would be uploaded")
    deploy.set_defaults(func=cmd_spaces_deploy)
    secrets = commands.add_parser(
        "secrets", help="the project's secrets, as hopsworks.get_secrets_api() (locally: SML_HOME/secrets.json)"
    ).add_subparsers(dest="action", required=True)
    put = secrets.add_parser("set", help="store NAME: its value is prompted for (hidden), or read from stdin")
    put.add_argument("name", help="the secret's name, as get_secret(NAME) reads it")
    put.add_argument("--replace", action="store_true", help="overwrite the secret if NAME already exists")
    put.set_defaults(func=cmd_secrets_set)
    secrets.add_parser("list", help="the secrets' names (never their values)").set_defaults(func=cmd_secrets_list)
    remove = secrets.add_parser("delete", help="delete the secret NAME")
    remove.add_argument("name", help="the secret's name")
    remove.set_defaults(func=cmd_secrets_delete)
    lab = commands.add_parser("lab", help="the lab: starter notebooks and the self-check (docs/lab.md)")
    lab_commands = lab.add_subparsers(dest="action", required=True)
    guide = lab_commands.add_parser("guide", help="render docs/lab.md as lab.html in SML_DOCS, beside the dashboard")
    guide.add_argument("--out", help="write the page here instead")
    guide.set_defaults(func=cmd_lab_guide)
    starter = lab_commands.add_parser("starter", help="write DATASET's starter notebooks into DIR")
    starter.add_argument("dataset", help="{datasets}")
    starter.add_argument("dir", help="the folder for the starter notebooks (created if missing)")
    starter.add_argument("--force", action="store_true", help="overwrite notebooks of the same names in DIR")
    starter.set_defaults(func=cmd_lab_starter)
    checks = lab_commands.add_parser("check", help="check the learner's DATASET system, one line per requirement")
    checks.add_argument("dataset", help="the dataset the learner built: {datasets}")
    checks.add_argument(
        "--app-url", help="check this running app (a URL, or a Space as OWNER/NAME) instead of starting it here"
    )
    checks.add_argument("--summary", help="also append a Markdown table to this file (e.g. $GITHUB_STEP_SUMMARY)")
    checks.set_defaults(func=cmd_lab_check)
    history = commands.add_parser("history", help="the local store's history as open files, to outlive the store")
    history_commands = history.add_subparsers(dest="action", required=True)
    export = history_commands.add_parser("export", help="write the history (Parquet, model files, manifest.json)")
    export.add_argument("folder", metavar="FOLDER", help="a new or empty folder, or an earlier export (replaced)")
    restore = history_commands.add_parser("restore", help="rebuild the local store from an export")
    restore.add_argument("source", metavar="FOLDER_OR_URL", help="an export's folder, or its http(s):// or file:// URL")
    when = restore.add_mutually_exclusive_group()
    when.add_argument("--replace", action="store_true", help="replace a store that already holds a history")
    when.add_argument(
        "--if-empty", action="store_true", help="only into an empty store, and say so if nothing is published"
    )
    export.set_defaults(func=cmd_history_export)
    restore.set_defaults(func=cmd_history_restore)
    return parser


def main(argv: list[str] | None = None) -> int:
    """The command line: its exit code (`run` is the entry point of `python -m serverless_ml` and the script).

    No matplotlib backend is chosen here: this process draws nothing (the notebooks draw, in their
    kernels, on `Figure` objects that need no backend), and the kernels it starts keep their inline one.
    """
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, ServerlessMLError) as error:  # bad --date and similar: one clear line, no traceback
        print(f"error: {error}", file=sys.stderr)
        return 2


def run() -> NoReturn:
    """Entry point of `python -m serverless_ml` and the `serverless-ml` script: `main`, then the exit
    without module teardown (`kernels.end_process`), a second and a half less per command."""
    kernels.end_process(main())
