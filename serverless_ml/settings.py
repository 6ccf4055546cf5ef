"""Every setting the project reads from the environment, in one place, read when asked for."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from serverless_ml.errors import ParameterError

REPO_ROOT = Path(__file__).resolve().parent.parent
TITANIC_URL = "https://raw.githubusercontent.com/ID2223KTH/id2223kth.github.io/master/assignments/2023/lab1/titanic.csv"
BACKENDS = ("local", "hopsworks")
#: The dataset modules, each defining `DATASET`; `SML_DATASETS` (comma-separated) replaces the list.
DATASET_MODULES = ("serverless_ml.iris", "serverless_ml.titanic")


@dataclass(frozen=True)
class Settings:
    """A snapshot of the environment variables the project understands."""

    home: Path
    docs: Path
    backend: str
    titanic_csv: str
    hopsworks_api_key: str | None
    lock_timeout: float
    spaces_owner: str | None = None
    pages_url: str | None = None
    hf_token: str | None = None
    datasets: tuple[str, ...] = DATASET_MODULES
    #: Where `hopsworks.login()` connects, as it reads them (None: its defaults, the SaaS host and port 443)
    hopsworks_host: str | None = None
    hopsworks_port: str | None = None
    hopsworks_project: str | None = None

    def __repr__(self) -> str:  # never print the key
        key = "set" if self.hopsworks_api_key else "unset"
        token = "set" if self.hf_token else "unset"
        return (
            f"Settings(home={self.home}, docs={self.docs}, backend={self.backend!r}, "
            f"titanic_csv={self.titanic_csv!r}, hopsworks_api_key={key}, hf_token={token})"
        )


def get_settings() -> Settings:
    """Read `SML_HOME`, `SML_DOCS`, `SML_BACKEND`, `SML_TITANIC_CSV`, `HOPSWORKS_API_KEY` and friends now."""
    env = os.environ
    key = env.get("HOPSWORKS_API_KEY") or None
    backend = (env.get("SML_BACKEND") or "").strip().lower()
    if not backend:
        backend = "hopsworks" if key else "local"
    if backend not in BACKENDS:
        raise ParameterError(f"SML_BACKEND={backend!r} is not one of {', '.join(BACKENDS)}")
    timeout = env.get("SML_LOCK_TIMEOUT", "60")
    try:
        lock_timeout = float(timeout)
    except ValueError:
        raise ParameterError(f"SML_LOCK_TIMEOUT={timeout!r} is not a number of seconds") from None
    return Settings(
        home=Path(env.get("SML_HOME") or REPO_ROOT / ".sml").expanduser().resolve(),
        docs=Path(env.get("SML_DOCS") or REPO_ROOT / "docs").expanduser().resolve(),
        backend=backend,
        titanic_csv=env.get("SML_TITANIC_CSV") or TITANIC_URL,
        hopsworks_api_key=key,
        lock_timeout=lock_timeout,
        spaces_owner=env.get("SML_SPACES_OWNER") or None,
        pages_url=(env.get("SML_PAGES_URL") or "").rstrip("/") or None,
        hf_token=env.get("HF_TOKEN") or None,
        datasets=tuple(m.strip() for m in (env.get("SML_DATASETS") or "").split(",") if m.strip()) or DATASET_MODULES,
        hopsworks_host=env.get("HOPSWORKS_HOST") or None,
        hopsworks_port=env.get("HOPSWORKS_PORT") or None,
        hopsworks_project=env.get("HOPSWORKS_PROJECT") or None,
    )
