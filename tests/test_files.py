"""Atomic writes (serverless_ml/files.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from serverless_ml.files import copy_atomic, write_atomic


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path: Path):
    target = tmp_path / "a.png"
    target.write_bytes(b"old")

    def broken(tmp: Path) -> None:
        tmp.write_bytes(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, broken)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.png"]


def test_copy_atomic(tmp_path: Path):
    source = tmp_path / "a.bin"
    source.write_bytes(b"data")
    assert copy_atomic(source, tmp_path / "sub" / "b.bin").read_bytes() == b"data"
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["b.bin"]
