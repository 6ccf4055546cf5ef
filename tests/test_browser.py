"""How `make test` gets its browser tests a Chromium (tests/browser.py): found, or installed the machine's way.

The installs themselves need the network; here the commands are recorded instead of run, and whether a
Chromium is there is the answer of a fake `find`.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests import browser


@pytest.mark.parametrize(
    ("installed", "found"),
    [
        ({"/usr/bin/chromium", "/usr/bin/google-chrome"}, "/usr/bin/chromium"),
        ({"/usr/bin/google-chrome"}, "/usr/bin/google-chrome"),
        (set(), None),
    ],
)
def test_the_system_chromium_is_looked_for_where_distributions_put_it(monkeypatch, installed, found):
    monkeypatch.setattr(browser.shutil, "which", lambda path: path if path in installed else None)
    assert browser.system_chromium() == found


@pytest.mark.parametrize(
    ("uid", "apt", "expected"),
    [
        (0, True, [browser.APT, browser.PLAYWRIGHT]),  # a container or CI image: its own package first
        (0, False, [browser.PLAYWRIGHT]),
        (1000, True, [browser.PLAYWRIGHT]),  # a person's machine: no sudo asked for
    ],
)
def test_the_installer_fits_the_machine(monkeypatch, uid, apt, expected):
    monkeypatch.setattr(browser.os, "geteuid", lambda: uid)
    monkeypatch.setattr(browser.shutil, "which", lambda name: "/usr/bin/apt-get" if apt and name == "apt-get" else None)
    assert browser.installers() == expected


def _machine(monkeypatch, installers, works: set[str], present: str | None = None) -> list[list[str]]:
    """A machine with no Chromium (or `present`) where the commands of the installers in `works` succeed."""
    ran: list[list[str]] = []
    state = {"chromium": present}

    def run(command, stdout=None):
        ran.append(command)
        ok = any(command in commands for what, commands in installers if what in works)
        if ok and command[-1] == "chromium":
            state["chromium"] = "/usr/bin/chromium" if command[0] == "apt-get" else "/root/.cache/ms-playwright/chrome"
        return subprocess.CompletedProcess(command, 0 if ok else 100)

    monkeypatch.setattr(browser, "installers", lambda: installers)
    monkeypatch.setattr(browser, "find", lambda: state["chromium"])
    monkeypatch.setattr(browser.subprocess, "run", run)
    return ran


def test_a_chromium_found_is_used_as_it_is(monkeypatch, capsys):
    ran = _machine(monkeypatch, [browser.APT, browser.PLAYWRIGHT], works=set(), present="/usr/bin/chromium")
    assert browser.ensure() == "/usr/bin/chromium" and ran == []
    assert capsys.readouterr().out == "Browser tests: /usr/bin/chromium\n"


def test_the_system_package_as_root(monkeypatch, capsys):
    ran = _machine(monkeypatch, [browser.APT, browser.PLAYWRIGHT], works={browser.APT[0]})
    assert browser.ensure() == "/usr/bin/chromium"
    assert ran == browser.APT[1]
    assert capsys.readouterr().out.splitlines() == [
        "No Chromium for the browser tests: installing the system's chromium package (apt-get install chromium)",
        "Browser tests: /usr/bin/chromium",
    ]


def test_playwrights_download_when_apt_cannot(monkeypatch, capsys):
    ran = _machine(monkeypatch, [browser.APT, browser.PLAYWRIGHT], works={browser.PLAYWRIGHT[0]})
    assert browser.ensure() == "/root/.cache/ms-playwright/chrome"
    assert ran == [browser.APT[1][0], *browser.PLAYWRIGHT[1]]  # apt-get update failed: no install after it
    assert capsys.readouterr().out.splitlines()[1:] == [
        "No Chromium for the browser tests: installing Playwright's Chromium (python -m playwright install chromium)",
        "Browser tests: /root/.cache/ms-playwright/chrome",
    ]


def test_no_chromium_at_all_stops_make_test_with_one_line(monkeypatch):
    _machine(monkeypatch, [browser.PLAYWRIGHT], works=set())
    with pytest.raises(SystemExit) as stopped:
        browser.ensure()
    message = str(stopped.value)
    assert message.startswith("error: no Chromium for the browser tests: expected one at /usr/bin/chromium")
    assert message.endswith("installing Playwright's Chromium (python -m playwright install chromium) did not give one")
    assert "\n" not in message


@pytest.mark.slow  # starts a browser
def test_without_a_system_chromium_playwrights_own_is_driven(monkeypatch, tmp_path):
    """The other way the tests find their browser. Where a system Chromium is installed, it stands in for a
    Playwright download: Playwright's own folder layout under PLAYWRIGHT_BROWSERS_PATH, the system's binary."""
    from playwright.sync_api import sync_playwright

    system = browser.system_chromium()
    if system:
        monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path))
        with sync_playwright() as playwright:
            own = Path(playwright.chromium.executable_path)
        own.parent.mkdir(parents=True)
        own.symlink_to(system)
        monkeypatch.setattr(browser, "system_chromium", lambda: None)
    found = browser.find()
    assert found and (not system or found == str(own))
    with sync_playwright() as playwright:
        chromium = browser.launch(playwright)
        page = chromium.new_page()
        page.set_content("<h1>Playwright's own</h1>")
        assert page.inner_text("h1") == "Playwright's own"
        chromium.close()
