"""Atomic file writes: a reader sees the old file or the whole new one, never a part."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


def write_atomic(path: Path, write: Callable[[Path], Any], mode: int = 0o644) -> Path:
    """Call `write(tmp)` on a temporary file beside `path`, then rename it to `path` with permissions `mode`.

    The temporary file is created owner-only (`tempfile.mkstemp`) and given `mode` before the rename,
    so a file meant to be private (`mode=0o600`) is never readable by others, not even for a moment.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def copy_atomic(source: Path, target: Path) -> Path:
    """Copy the file `source` to `target` atomically."""
    return write_atomic(target, lambda tmp: shutil.copyfile(source, tmp))
