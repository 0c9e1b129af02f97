"""Output files appear complete or not at all, readable like any file the user makes."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from labpipe.core.atomic import (
    BGZF_EOF,
    PARTIAL,
    atomic_path,
    bgzf_complete,
    finish_outputs,
    remove_partials,
    write_text_atomic,
)
from labpipe.core.errors import RunError


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


def _bgzf(path: Path, text: str) -> Path:
    import pysam

    plain = path.with_name(path.name + ".txt")
    plain.write_text(text)
    pysam.tabix_compress(str(plain), str(path), force=True)
    plain.unlink()
    return path


def test_companions_move_with_the_file_and_follow_the_umask(tmp_path: Path) -> None:
    target = tmp_path / "calls.vcf.gz"
    with atomic_path(target, suffix=".vcf.gz", companions=(".tbi",)) as temporary:
        temporary.write_text("vcf")
        Path(f"{temporary}.tbi").write_text("index")
    umask = os.umask(0)
    os.umask(umask)
    for path in (target, tmp_path / "calls.vcf.gz.tbi"):
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calls.vcf.gz", "calls.vcf.gz.tbi"]


def test_a_failed_write_names_the_file(tmp_path: Path) -> None:
    target = tmp_path / "table.tsv"
    with pytest.raises(OSError) as raised, atomic_path(target):
        raise OSError(errno.ENOSPC, "No space left on device")
    assert raised.value.errno == errno.ENOSPC
    assert raised.value.filename == str(target)
    assert list(tmp_path.iterdir()) == []


def test_finish_moves_complete_outputs_only(tmp_path: Path) -> None:
    bam, stats = tmp_path / "s.bam", tmp_path / "s.stats.txt"
    _bgzf(Path(f"{bam}{PARTIAL}"), "reads\n")
    Path(f"{stats}{PARTIAL}").write_text("stats\n")
    finish_outputs([bam, stats])
    assert bgzf_complete(bam) and stats.read_text() == "stats\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.bam", "s.stats.txt"]


def test_finish_refuses_a_bgzf_output_cut_short_and_moves_nothing(tmp_path: Path) -> None:
    vcf, tbi = tmp_path / "s.vcf.gz", tmp_path / "s.vcf.gz.tbi"
    whole = _bgzf(tmp_path / "whole.gz", "x" * 100_000).read_bytes()
    Path(f"{vcf}{PARTIAL}").write_bytes(whole[: len(whole) - len(BGZF_EOF)])
    Path(f"{tbi}{PARTIAL}").write_text("index")
    with pytest.raises(RunError) as raised:
        finish_outputs([vcf, tbi])
    assert f"{vcf}{PARTIAL}: cut short (no BGZF end-of-file block)" in raised.value.render()
    assert not vcf.exists() and not tbi.exists()


def test_finish_missing_output_and_empty_placeholder(tmp_path: Path) -> None:
    bcf = tmp_path / "s.bcf"
    with pytest.raises(RunError) as missing:
        finish_outputs([bcf])
    assert f"{bcf}{PARTIAL}: not written" in missing.value.render()
    Path(f"{bcf}{PARTIAL}").write_bytes(b"")
    with pytest.raises(RunError) as empty:
        finish_outputs([bcf])
    assert "cut short" in empty.value.render()
    finish_outputs([bcf], empty_ok=True)
    assert bcf.stat().st_size == 0


def test_finish_with_a_prefix_moves_every_file_and_folder_named_from_it(tmp_path: Path) -> None:
    scratch = tmp_path / "qc" / "multiqc.partial"
    (scratch / "multiqc_report_data").mkdir(parents=True)
    (scratch / "multiqc_report.html").write_text("report")
    (scratch / "multiqc_report_data" / "general.txt").write_text("new")
    (tmp_path / "qc" / "multiqc_report_data").mkdir()
    (tmp_path / "qc" / "multiqc_report_data" / "old.txt").write_text("old")
    final = tmp_path / "qc" / "multiqc_report"
    finish_outputs([Path(f"{final}.html")], prefix=(str(scratch / "multiqc_report"), str(final)))
    assert Path(f"{final}.html").read_text() == "report"
    assert [p.name for p in Path(f"{final}_data").iterdir()] == ["general.txt"]
    assert not scratch.exists()


def test_remove_partials(tmp_path: Path) -> None:
    (tmp_path / "bam").mkdir()
    (tmp_path / "bam" / "s.bam.partial").write_text("half")
    (tmp_path / "bam" / "s.bam").write_text("whole")
    (tmp_path / "multiqc.partial").mkdir()
    (tmp_path / "multiqc.partial" / "report.html").write_text("half")
    removed = remove_partials(tmp_path)
    assert {p.name for p in removed} == {"s.bam.partial", "multiqc.partial"}
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == ["bam", "bam/s.bam"]


def test_finish_step_through_the_cli(tmp_path: Path) -> None:
    import subprocess
    import sys

    bam = tmp_path / "s.bam"
    Path(f"{bam}{PARTIAL}").write_bytes(b"\x1f\x8b\x08\x04 not the end")
    result = subprocess.run(
        [sys.executable, "-m", "labpipe.cli", "step", "finish", str(bam)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "labpipe: error: outputs incomplete, not moved into place" in result.stderr
    assert f"{bam}{PARTIAL}: cut short (no BGZF end-of-file block)" in result.stderr
    assert "Traceback" not in result.stderr and not bam.exists()
