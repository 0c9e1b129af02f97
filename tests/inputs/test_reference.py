"""Genome-sized references: what an index build needs, ALT contigs, minimap2's index
(labpipe.inputs.reference, reference_needs)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from labpipe.core.errors import RunError
from labpipe.inputs import reference_needs
from labpipe.inputs.reference import index_files, prepare_reference
from labpipe.inputs.reference_needs import (
    alt_contig_warning,
    build_needs,
    require_build_resources,
)
from tests.builders import run_cli

GB = 10**9


def sparse_fasta(path: Path, size: int) -> Path:
    """A file of ``size`` bytes that takes no disk: what build_needs reads is its size."""
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


def test_build_needs_scale_from_the_fasta_size(tmp_path: Path) -> None:
    grch38 = sparse_fasta(tmp_path / "GRCh38.fa", 3_100_000_000)
    bwa = build_needs(grch38, ["samtools faidx", "bwa index"])
    # The figures for GRCh38: about 5 GB of memory and about an hour.
    assert 4.5 * GB < bwa.memory < 5.5 * GB
    assert 50 <= bwa.minutes <= 75
    assert 5 * GB < bwa.disk < 6 * GB  # .bwt + .sa + .pac: 1.72 x the FASTA, measured
    assert bwa.describe() == "about 5.0 GB of memory, 5.4 GB of disk and 65 min"
    small = build_needs(sparse_fasta(tmp_path / "panel.fa", 1_000_000), ["bwa index"])
    assert small.memory == 200 * 10**6  # a floor, not 1.6 MB
    assert small.describe().endswith("and under a minute")
    assert build_needs(grch38, []).memory == 0


def test_too_little_memory_or_disk_stops_before_anything_is_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fasta = sparse_fasta(tmp_path / "GRCh38.fa", 3_100_000_000)
    monkeypatch.setattr(reference_needs, "available_memory", lambda: 2 * GB)
    monkeypatch.setattr("labpipe.inputs.disk.free_bytes", lambda path: 1 * GB)
    needs = build_needs(fasta, ["samtools faidx", "bwa index"])
    with pytest.raises(RunError) as raised:
        require_build_resources(fasta, needs)
    message = raised.value.render()
    assert f"{fasta}: cannot build the samtools faidx and bwa index" in message
    assert "it needs about 5.0 GB of memory and 2.0 GB is available" in message
    assert f"its files take about 5.4 GB and {tmp_path} has 1.0 GB free" in message
    # Enough of both (or memory not known): no objection.
    monkeypatch.setattr(reference_needs, "available_memory", lambda: None)
    monkeypatch.setattr("labpipe.inputs.disk.free_bytes", lambda path: 100 * GB)
    require_build_resources(fasta, needs)


def test_prepare_checks_resources_before_building(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fasta = tmp_path / "ref.fa"
    fasta.write_text(">chr1\n" + "ACGT" * 50 + "\n")
    monkeypatch.setattr(reference_needs, "available_memory", lambda: 1000)
    code, _, err = run_cli(["reference", "prepare", str(fasta)], capsys)
    assert code == 1
    assert "cannot build the samtools faidx and bwa index" in err
    assert "of memory and 1.0 kB is available" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ref.fa"]


@pytest.mark.parametrize(
    ("contigs", "alt_file", "said"),
    [
        (["chr1", "chr2"], False, None),
        (["chr1", "chrUn_JTFH01000001v1_decoy", "chrEBV"], False, None),  # decoys are fine
        (
            ["chr1", "chr1_KI270762v1_alt", "chr6_GL000250v2_alt", "chr19_KI270938v1_alt", "y_alt"],
            False,
            "has 4 ALT contig(s) (chr1_KI270762v1_alt, chr6_GL000250v2_alt,"
            " chr19_KI270938v1_alt, …)",
        ),
        (["chr6", "HLA-A*01:01:01:01"], False, "has 1 HLA contig(s) (HLA-A*01:01:01:01)"),
        (["chr1"], True, "has an ALT list beside it (ref.fa.alt)"),
    ],
)
def test_alt_contigs_are_warned_about_with_the_reason_and_the_fix(
    tmp_path: Path, contigs: list[str], alt_file: bool, said: str | None
) -> None:
    fasta = tmp_path / "ref.fa"
    if alt_file:
        (tmp_path / "ref.fa.alt").write_text("@SQ\tSN:chr1_KI270762v1_alt\n")
    warning = alt_contig_warning(fasta, contigs)
    if said is None:
        assert warning is None
        return
    assert warning is not None
    assert f"reference {fasta} {said}" in warning
    assert "get mapping quality 0 and are not called (calling.min_mapq)" in warning
    assert "GRCh38 no-ALT analysis set" in warning and "primary assembly" in warning


def test_validate_warns_about_alt_contigs(lab: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fasta = lab / "ref.fa"
    fasta.write_text(fasta.read_text() + ">chr1_KI270762v1_alt\n" + "ACGT" * 50 + "\n")
    code, _, err = run_cli(["validate", str(lab / "lab.yaml")], capsys)
    assert code == 0
    assert f"labpipe: warning: reference {fasta} has 1 ALT contig(s) (chr1_KI270762v1_alt)" in err


@pytest.mark.skipif(
    not (shutil.which("minimap2") and shutil.which("samtools")), reason="needs minimap2"
)
def test_minimap2_index_is_built_stamped_and_checked(
    lab: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fasta = lab / "ref.fa"
    code, out, _ = run_cli(["reference", "prepare", "--aligner", "minimap2", str(fasta)], capsys)
    assert code == 0, out
    assert "minimap2 index: built (ref.fa.mmi; about" in out
    assert [p.name for p in index_files(fasta, "minimap2")["minimap2 index"]] == ["ref.fa.mmi"]
    assert not (lab / "ref.fa.bwt").exists()  # bwa's index only when bwa is the aligner
    stamp = json.loads((lab / "ref.fa.labpipe-index.json").read_text())
    assert stamp["indexes"] == ["ref.fa.fai", "ref.fa.mmi"]
    # A config that chooses minimap2 is checked against its index.
    config = lab / "lab.yaml"
    config.write_text(config.read_text() + "alignment:\n  aligner: minimap2\n")
    assert run_cli(["validate", str(config)], capsys)[0] == 0
    (lab / "ref.fa.mmi").write_bytes(b"cut short")
    code, _, err = run_cli(["validate", str(config)], capsys)
    assert code == 1
    assert "ref.fa.mmi is 9 bytes" in err
    assert f"rerun `labpipe reference prepare --aligner minimap2 {fasta}`" in err
    # Prepared again, it is rebuilt; bwa's index added beside it keeps both in the stamp.
    assert run_cli(["reference", "prepare", "--aligner", "minimap2", str(fasta)], capsys)[0] == 0
    assert run_cli(["reference", "prepare", str(fasta)], capsys)[0] == 0
    stamp = json.loads((lab / "ref.fa.labpipe-index.json").read_text())
    assert "ref.fa.mmi" in stamp["indexes"] and "ref.fa.bwt" in stamp["indexes"]
    assert run_cli(["validate", str(config)], capsys)[0] == 0


def test_prepare_reference_reports_alt_contigs(tmp_path: Path) -> None:
    fasta = tmp_path / "ref.fa"
    fasta.write_text(">chr1\n" + "ACGT" * 50 + "\n>HLA-A*01:01:01:01\n" + "ACGT" * 50 + "\n")
    if not (shutil.which("bwa") and shutil.which("samtools")):
        pytest.skip("needs bwa and samtools")
    lines = prepare_reference(fasta)
    assert lines[-1].startswith(f"WARNING: reference {fasta} has 1 HLA contig(s)")
