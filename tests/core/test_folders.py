"""Output folders: new or empty unless --overwrite, and the message says what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from labpipe.core.errors import UsageError
from labpipe.core.folders import claim_output_folder, output_folder_problem


def test_a_new_or_empty_folder_is_taken(tmp_path: Path) -> None:
    claim_output_folder(tmp_path / "new" / "deeper", False, "labpipe x")
    assert (tmp_path / "new" / "deeper").is_dir()
    assert output_folder_problem(tmp_path / "new" / "deeper", False) is None


def test_a_folder_with_files_needs_overwrite(tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_text("")
    with pytest.raises(UsageError) as raised:
        claim_output_folder(tmp_path, False, "labpipe x")
    assert str(raised.value) == (
        f"labpipe x: --outdir {tmp_path} is not empty; choose a fresh --outdir or add "
        "--overwrite (files of the same name are then replaced, others left alone)"
    )
    assert raised.value.exit_code == 2
    claim_output_folder(tmp_path, True, "labpipe x")
    assert (tmp_path / "old.txt").exists()


def test_a_file_is_not_a_folder_even_with_overwrite(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert output_folder_problem(blocker, True) == (
        f"--outdir {blocker} exists and is not a folder; choose another --outdir"
    )
