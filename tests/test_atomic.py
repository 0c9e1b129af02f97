"""Output files appear complete or not at all, readable like any file the user makes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from labpipe.atomic import atomic_path, write_text_atomic


def test_write_replaces_whole_file_with_umask_permissions(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "table.tsv"
    write_text_atomic(target, "a\tb\n")
    write_text_atomic(target, "c\n")
    assert target.read_text() == "c\n"
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask
    assert [p.name for p in target.parent.iterdir()] == ["table.tsv"]


def test_failure_leaves_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as temporary:
        temporary.write_text("half")
        raise RuntimeError("killed")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]
