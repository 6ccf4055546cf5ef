"""`python -m serverless_ml`: the daily run and its helpers, each step a papermill notebook run."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from serverless_ml.errors import ServerlessMLError
from serverless_ml.pipelines import parse_run_date
from serverless_ml.runner import NotebookError, render_html, run_notebook, timed
from serverless_ml.settings import get_settings

DATASETS = ("iris", "titanic")


def _datasets(choice: str) -> list[str]:
    return list(DATASETS) if choice == "all" else [choice]


def _runs_dir(run_date: date) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return get_settings().home / "runs" / f"{run_date.isoformat()}_{stamp}"


def _step(dataset: str, stage: str, parameters: dict, runs: Path, publish: bool = True) -> Path:
    """Run one notebook with a timed line; publish its HTML for the dashboard."""
    label = f"{dataset}: {stage}" + (f" {parameters['RUN_DATE']}" if "RUN_DATE" in parameters else "")
    with timed(label):
        executed = run_notebook(dataset, stage, parameters, runs)
    if publish:
        render_html(executed, get_settings().docs / "runs" / dataset / executed.with_suffix(".html").name)
    return executed


def _needs_backfill(dataset: str) -> bool:
    import serverless_ml

    # both backends return None for a feature group that does not exist (hsfs FeatureStore.get_feature_group)
    feature_group = serverless_ml.login().get_feature_store().get_feature_group(dataset, version=1)
    return feature_group is None or not feature_group.features


def _needs_training(dataset: str) -> bool:
    import serverless_ml

    return serverless_ml.login().get_model_registry().get_best_model(dataset, "accuracy", "max") is None


def bootstrap(dataset: str, runs: Path) -> None:
    """Backfill and train when the feature group or the model is missing."""
    if _needs_backfill(dataset):
        _step(dataset, "feature", {"BACKFILL": True}, runs)
    if _needs_training(dataset):
        _step(dataset, "training", {}, runs)


def daily_one(dataset: str, run_date: date, runs: Path) -> None:
    """One dataset's day: bootstrap if needed, then the feature and batch inference notebooks."""
    bootstrap(dataset, runs)
    _step(dataset, "feature", {"BACKFILL": False, "RUN_DATE": run_date.isoformat()}, runs)
    _step(dataset, "inference", {"RUN_DATE": run_date.isoformat()}, runs)
    status = {"last_run": datetime.now(UTC).isoformat(timespec="seconds"), "run_date": run_date.isoformat()}
    status_path = get_settings().docs / dataset / "status.json"
    status_path.parent.mkdir(parents=True, exist_ok=True)
    status_path.write_text(json.dumps(status))


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


def _dashboard() -> Path:
    from serverless_ml.dashboard import build_dashboard

    with timed("dashboard"):
        return build_dashboard()


def cmd_daily(args: argparse.Namespace) -> int:
    run_date = parse_run_date(args.date, "--date")
    runs = _runs_dir(run_date)
    failed = _each(_datasets(args.dataset), lambda d: daily_one(d, run_date, runs))
    index = _dashboard()
    print(f"Dashboard: {index}")
    print(f"  view it: python -m http.server --directory {index.parent} 8000, then http://127.0.0.1:8000/")
    print("  try the models: make apps (Gradio on http://127.0.0.1:7860-7863)")
    return _report(failed)


def cmd_simulate(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    if args.days < 1:
        raise SystemExit("--days must be at least 1")
    end = parse_run_date(args.end, "--end")
    days = [end - timedelta(days=n) for n in range(args.days - 1, -1, -1)]
    runs = _runs_dir(end)
    failed: set[str] = set()
    for dataset in _datasets(args.dataset):
        for day in tqdm(days, desc=dataset, unit="day", file=sys.stdout):
            if _each([dataset], lambda d, day=day: daily_one(d, day, runs)):
                failed.add(dataset)
                break
    _dashboard()
    return _report(sorted(failed))


def cmd_backfill(args: argparse.Namespace) -> int:
    runs = _runs_dir(datetime.now(UTC).date())
    return _report(_each(_datasets(args.dataset), lambda d: _step(d, "feature", {"BACKFILL": True}, runs)))


def cmd_train(args: argparse.Namespace) -> int:
    runs = _runs_dir(datetime.now(UTC).date())
    return _report(_each(_datasets(args.dataset), lambda d: _step(d, "training", {}, runs)))


def cmd_dashboard(args: argparse.Namespace) -> int:
    print(f"Dashboard: {_dashboard()}")
    return 0


APP_PORTS = {"iris": 7860, "titanic": 7861, "iris-monitoring": 7862, "titanic-monitoring": 7863}


def cmd_apps(args: argparse.Namespace) -> int:
    """Start the four apps as their own processes and wait; Ctrl-C stops them all."""
    import os
    import subprocess

    from serverless_ml.settings import REPO_ROOT

    processes = []
    for app, port in APP_PORTS.items():
        env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port), "MPLBACKEND": "Agg"}
        processes.append(subprocess.Popen([sys.executable, str(REPO_ROOT / "apps" / app / "app.py")], env=env))
        print(f"{app:<20} http://127.0.0.1:{port}/", flush=True)
    try:
        codes = [p.wait() for p in processes]
    except KeyboardInterrupt:
        codes = [0]
    finally:
        for p in processes:
            p.terminate()
    return max(codes)


def cmd_spaces_build(args: argparse.Namespace) -> int:
    from serverless_ml import spaces

    files = spaces.build(args.app, Path(args.dir))
    print(f"Built the {args.app} Space in {args.dir} ({len(files)} files): cd there and run `python app.py`.")
    return 0


def cmd_spaces_deploy(args: argparse.Namespace) -> int:
    from serverless_ml import spaces

    files = spaces.deploy(args.app, args.repo, dry_run=args.dry_run)
    if args.dry_run:
        print(f"Would upload {len(files)} files to the Space {args.repo}:")
        print("\n".join(f"  {f}" for f in files))
    else:
        print(f"Deployed {args.app} to https://huggingface.co/spaces/{args.repo}")
    return 0


def _report(failed: list[str]) -> int:
    if failed:
        print(f"Failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="serverless-ml", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    def with_dataset(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--dataset", choices=[*DATASETS, "all"], default="all")
        return p

    daily = with_dataset(commands.add_parser("daily", help="the day's feature + inference runs, then the dashboard"))
    daily.add_argument("--date", help="YYYY-MM-DD (default: today, UTC)")
    daily.set_defaults(func=cmd_daily)
    simulate = with_dataset(commands.add_parser("simulate", help="run the daily job for the past N days"))
    simulate.add_argument("--days", type=int, required=True)
    simulate.add_argument("--end", help="the last day, YYYY-MM-DD (default: today, UTC)")
    simulate.set_defaults(func=cmd_simulate)
    with_dataset(commands.add_parser("backfill", help="load the whole data set")).set_defaults(func=cmd_backfill)
    with_dataset(commands.add_parser("train", help="train and register a new model")).set_defaults(func=cmd_train)
    commands.add_parser("dashboard", help="rebuild the dashboard in SML_DOCS").set_defaults(func=cmd_dashboard)
    commands.add_parser("apps", help="start the four Gradio apps on ports 7860-7863").set_defaults(func=cmd_apps)
    spaces = commands.add_parser("spaces", help="Hugging Face Space bundles").add_subparsers(
        dest="action", required=True
    )
    build = spaces.add_parser("build", help="write APP's Space bundle into DIR")
    build.add_argument("app", choices=list(APP_PORTS))
    build.add_argument("dir")
    build.set_defaults(func=cmd_spaces_build)
    deploy = spaces.add_parser("deploy", help="build APP and upload it to a Space (token from HF_TOKEN)")
    deploy.add_argument("app", choices=list(APP_PORTS))
    deploy.add_argument("--repo", required=True, help="OWNER/NAME of the Space")
    deploy.add_argument("--dry-run", action="store_true", help="list what would be uploaded")
    deploy.set_defaults(func=cmd_spaces_deploy)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m serverless_ml` and the `serverless-ml` script."""
    import matplotlib

    # This process only writes image files. matplotlib.use, not MPLBACKEND: the notebook kernels
    # it starts inherit the environment and must keep their inline backend for the run pages.
    matplotlib.use("Agg")
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, ServerlessMLError) as error:  # bad --date and similar: one clear line, no traceback
        print(f"error: {error}", file=sys.stderr)
        return 2
