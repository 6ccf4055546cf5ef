"""The daily job on Modal, for those who would rather not use GitHub Actions.

Deploy once with `modal deploy serverless_ml/modal_app.py` (`pip install modal`, then `modal setup`).
It needs a Modal secret named `hopsworks` holding `HOPSWORKS_API_KEY`: a container keeps no files
between runs, so the history lives in Hopsworks.
"""

from __future__ import annotations

import modal

from serverless_ml.settings import REPO_ROOT

SCHEDULE = "0 6 * * *"  # every day at 06:00 UTC, as the GitHub Actions workflow
REMOTE_ROOT = "/root"

image = (
    modal.Image.debian_slim(python_version="3.11")
    .pip_install_from_requirements(str(REPO_ROOT / "requirements.txt"))
    .add_local_dir(str(REPO_ROOT / "notebooks"), f"{REMOTE_ROOT}/notebooks")
    .add_local_dir(str(REPO_ROOT / "assets"), f"{REMOTE_ROOT}/assets")
    .add_local_python_source("serverless_ml")
)
app = modal.App("serverless-ml-daily", image=image)


@app.function(schedule=modal.Cron(SCHEDULE), secrets=[modal.Secret.from_name("hopsworks")], timeout=3600)
def daily() -> int:
    """The same entry point as `python -m serverless_ml daily`, on the Hopsworks backend."""
    import os

    from serverless_ml.cli import main

    os.environ.setdefault("SML_BACKEND", "hopsworks")
    os.environ.setdefault("SML_DOCS", "/tmp/docs")
    return main(["daily"])
