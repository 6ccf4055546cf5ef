"""The Chromium the browser tests drive: the system's where it is installed, else Playwright's own.

`make test` first runs `python -m tests.browser`, which installs one when neither is found: as root
with apt-get (containers, CI images) the system's chromium package, otherwise, or if that fails,
Playwright's own download. One line says which browser the tests use, or what is being installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

#: Where a system Chromium is, as Debian, Ubuntu and Google install it.
SYSTEM_CHROMIUMS = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
#: Root in a container needs no sandbox; the rest keeps the browser from calling out while it is tested.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync"]  # fmt: skip
PLAYWRIGHT = (
    "Playwright's Chromium (python -m playwright install chromium)",
    [[sys.executable, "-m", "playwright", "install", "--no-shell", "chromium"]],  # launch() needs no headless shell
)
APT = (
    "the system's chromium package (apt-get install chromium)",
    [["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "-o", "DPkg::Lock::Timeout=600", "chromium"]],
)


def system_chromium() -> str | None:
    """The first system Chromium installed, if any."""
    return next((path for path in SYSTEM_CHROMIUMS if shutil.which(path)), None)


def playwright_chromium() -> str | None:
    """Playwright's own Chromium (under PLAYWRIGHT_BROWSERS_PATH, or its cache folder), if it has been downloaded."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        path = playwright.chromium.executable_path
    return path if Path(path).is_file() else None


def find() -> str | None:
    """The Chromium the tests will drive, or None."""
    return system_chromium() or playwright_chromium()


def launch(playwright: Any) -> Any:
    """Start Chromium headless through Playwright: the system's where installed, else Playwright's own."""
    path = system_chromium()
    if path is None and not Path(playwright.chromium.executable_path).is_file():
        raise RuntimeError(
            f"no Chromium for the browser tests: expected one at {', '.join(SYSTEM_CHROMIUMS)} or Playwright's own "
            "(make test installs one: python -m tests.browser)"
        )
    if path:
        return playwright.chromium.launch(executable_path=path, args=FLAGS)
    # Playwright's full Chromium (the `executable_path` checked above), not its separate headless shell
    return playwright.chromium.launch(channel="chromium", args=FLAGS)


def installers() -> list[tuple[str, list[list[str]]]]:
    """How a Chromium can be installed on this machine, in the order to try: (what it is, its commands)."""
    root = getattr(os, "geteuid", lambda: 1)() == 0
    return [APT, PLAYWRIGHT] if root and shutil.which("apt-get") else [PLAYWRIGHT]


def ensure() -> str:
    """The Chromium found, else one installed; one line says which. Exits naming what was tried when none is."""
    found = find()
    tried = []
    for what, commands in [] if found else installers():
        print(f"No Chromium for the browser tests: installing {what}", flush=True)
        tried.append(what)
        # apt-get's own lines are noise here (its errors still show); Playwright's say how the download goes
        quiet = subprocess.DEVNULL if commands[0][0] == "apt-get" else None
        if all(subprocess.run(command, stdout=quiet).returncode == 0 for command in commands):
            found = find()
            if found:
                break
    if not found:
        raise SystemExit(
            f"error: no Chromium for the browser tests: expected one at {', '.join(SYSTEM_CHROMIUMS)} or "
            f"Playwright's own, and installing {' then '.join(tried)} did not give one"
        )
    print(f"Browser tests: {found}")
    return found


if __name__ == "__main__":
    ensure()
