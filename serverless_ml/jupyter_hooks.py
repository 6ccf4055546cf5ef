"""What `make lab` adds to JupyterLab: after a notebook is saved, git's view of it is refreshed.

`make install` sets nbstripout as git's clean filter, so git compares notebooks without their outputs
(`git diff` shows nothing after a Run All). `git status` still lists the file: git takes a file whose
size differs from the size its index recorded as modified without reading it through the filter. So,
after each save, a notebook that git tracks and whose stripped content equals the index is re-added:
that stages nothing (the same blob) and records the new size, and `git status` is clean again. A real
change of the lesson (stripped content differs) is left alone, and shows as modified.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any


def _git(folder: Path, *args: str) -> int:
    return subprocess.run(["git", "-C", str(folder), *args], capture_output=True, check=False).returncode


def refresh_git_after_save(model: dict[str, Any], os_path: str, **_: Any) -> None:
    """`ContentsManager.post_save_hook` (jupyter_server): re-add a saved, tracked notebook whose stripped
    content git already has. Outside a git work tree, for files git does not track, or without the
    filter (the outputs then differ), nothing is done."""
    if model.get("type") != "notebook":
        return
    path = Path(os_path)
    folder, name = path.parent, path.name
    tracked = _git(folder, "ls-files", "--error-unmatch", "--", name) == 0
    filtered = (
        subprocess.run(
            ["git", "-C", str(folder), "check-attr", "filter", "--", name], capture_output=True, text=True, check=False
        )
        .stdout.strip()
        .endswith("nbstripout")
    )
    if tracked and filtered and _git(folder, "diff", "--quiet", "--", name) == 0:
        _git(folder, "add", "--", name)
