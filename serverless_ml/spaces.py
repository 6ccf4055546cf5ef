"""Hugging Face Space bundles of the apps: a folder that starts on its own, and its upload."""

from __future__ import annotations

import json
import shutil
import sys
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from serverless_ml import datasets
from serverless_ml.errors import ParameterError, RunFirstError
from serverless_ml.settings import REPO_ROOT, get_settings

#: What every bundle imports (apps.py and the modules it reaches), pinned as in requirements.txt.
BASE_REQUIREMENTS = ["gradio", "pandas", "numpy", "scikit-learn", "joblib"]
#: The app.py of a dataset without its own under apps/.
_GENERIC_APP = """\"\"\"{title}: Gradio, locally or as a Hugging Face Space.\"\"\"

from serverless_ml.apps import app

demo = app({name!r})

if __name__ == "__main__":
    demo.launch()
"""
#: Beside a monitoring bundle's images: when they were drawn and bundled, for the app to say how old they are.
BUNDLED_IMAGES = "bundled.json"
_PACKAGE_SKIP = shutil.ignore_patterns(
    "__pycache__", "*.pyc", "*.pyi", "cli.py", "__main__.py", "modal_app.py", "templates"
)


def _pinned(names: list[str]) -> list[str]:
    return [f"{name}=={version(name)}" for name in names]


def _title(app: str) -> tuple[str, str]:
    dataset = datasets.for_app(app)
    if app.endswith("-monitoring"):
        return "📈", f"{dataset.name.capitalize()} model monitoring"
    return dataset.app_emoji, dataset.app_title


#: How a built bundle runs on a machine: its own requirements in a new virtual environment, then its app.
RUN_STEPS = "python -m venv .venv && . .venv/bin/activate\npip install -r requirements.txt\npython app.py"


def _front_matter(app: str) -> str:
    """The bundle's README.md: the Spaces configuration (its YAML front matter), then how to run it elsewhere."""
    emoji, title = _title(app)
    dataset = datasets.for_app(app).name
    if app.endswith("-monitoring"):
        summary = f"How the {dataset} model does, day by day"
        reads = (
            "It shows the newest monitoring images, refreshed every minute: from Hopsworks with `HOPSWORKS_API_KEY`, "
            "else from `SML_PAGES_URL` (your published dashboard); when that is unset or cannot be reached, the "
            "images bundled in `docs/`, saying how old they are."
        )
    else:
        summary = f"Try the best registered {dataset} model"
        reads = "It answers with the model bundled in `model/` (with `HOPSWORKS_API_KEY`, the best one on Hopsworks)."
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    return (
        f"---\ntitle: {title}\nemoji: {emoji}\ncolorFrom: indigo\ncolorTo: blue\nsdk: gradio\n"
        f'sdk_version: {version("gradio")}\npython_version: "{python}"\napp_file: app.py\n'
        f"short_description: {summary}\npinned: false\n---\n\n"
        f"# {title}\n\n{summary}. {reads}\n\n"
        f"Part of the serverless-ml course repository; built by `python -m serverless_ml spaces build {app} DIR`.\n\n"
        f"## Run it on your machine\n\nWith Python {python} or newer, in this folder:\n\n"
        f"```bash\n{RUN_STEPS}\n```\n\nthen open http://127.0.0.1:7860/.\n"
    )


def build(app: str, target: Path) -> list[Path]:
    """Write the Space bundle of `app` into `target`; return the files written."""
    dataset = datasets.for_app(app).name
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise ParameterError(f"{target} is not empty: give a new or empty folder for the bundle")
    target.mkdir(parents=True, exist_ok=True)
    script = REPO_ROOT / "apps" / app / "app.py"
    if script.is_file():
        shutil.copy2(script, target / "app.py")
    else:
        (target / "app.py").write_text(_GENERIC_APP.format(title=_title(app)[1], name=app))
    shutil.copytree(REPO_ROOT / "serverless_ml", target / "serverless_ml", ignore=_PACKAGE_SKIP)
    shutil.copytree(REPO_ROOT / "assets", target / "assets", ignore=shutil.ignore_patterns("*.py"))
    requirements = list(BASE_REQUIREMENTS)
    settings = get_settings()
    if settings.backend == "hopsworks":
        requirements.append("hopsworks")  # the app reads the model or the images from Hopsworks
    elif app.endswith("monitoring"):
        source = settings.docs / dataset
        if source.is_dir():  # a snapshot to show until SML_PAGES_URL (or a key) gives newer ones
            _bundle_images(source, target / "docs" / dataset)
    else:
        _bundle_model(dataset, target / "model")
    (target / "requirements.txt").write_text("\n".join(_pinned(requirements)) + "\n")
    (target / "README.md").write_text(_front_matter(app))
    return sorted(p for p in target.rglob("*") if p.is_file())


def _bundle_images(source: Path, folder: Path) -> None:
    """The monitoring images of `source`, with when they were drawn (the newest image) and bundled (now)."""
    shutil.copytree(source, folder, ignore=shutil.ignore_patterns(".*", "*.json"))
    drawn = [(source / name).stat().st_mtime for name in datasets.IMAGES if (source / name).is_file()]
    record = {"bundled": datetime.now(UTC).isoformat(timespec="seconds")}
    if drawn:
        record["drawn"] = datetime.fromtimestamp(max(drawn), UTC).isoformat(timespec="seconds")
    (folder / BUNDLED_IMAGES).write_text(json.dumps(record))


def _bundle_model(dataset: str, folder: Path) -> None:
    import serverless_ml

    model = datasets.get(dataset).best_model(serverless_ml.login().get_model_registry())
    if model is None:
        raise RunFirstError(f"no {dataset} model is registered: run `make run` before building the Space")
    model.download(str(folder))


def deploy(app: str, repo: str, dry_run: bool = False) -> list[str]:
    """Build `app` and upload it to the Space `repo` (OWNER/NAME); return the bundle's files."""
    import tempfile

    if repo.count("/") != 1:
        raise ParameterError(f"--repo {repo!r} must be OWNER/NAME")
    with tempfile.TemporaryDirectory(prefix=f"space-{app}-") as folder:
        bundle = Path(folder) / "bundle"
        files = [str(p.relative_to(bundle)) for p in build(app, bundle)]
        if dry_run:
            return files
        settings = get_settings()
        token = settings.hf_token
        if not token:
            raise ParameterError("HF_TOKEN is not set: create a write token on huggingface.co and export it")
        from huggingface_hub import HfApi

        api = HfApi(token=token)
        api.create_repo(repo, repo_type="space", space_sdk="gradio", exist_ok=True)
        api.upload_folder(repo_id=repo, folder_path=str(bundle), repo_type="space",
                          commit_message=f"Deploy {app} from serverless-ml")  # fmt: skip
        if settings.hopsworks_api_key:
            api.add_space_secret(repo, "HOPSWORKS_API_KEY", settings.hopsworks_api_key)
        if settings.pages_url and app.endswith("monitoring"):
            api.add_space_variable(repo, "SML_PAGES_URL", settings.pages_url)  # where the monitoring app reads images
        return files
