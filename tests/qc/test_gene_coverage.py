"""Coverage per target and per panel gene from mosdepth's per-region files."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from labpipe.annotation.transcripts import Exon, TranscriptModel
from labpipe.core.errors import InputFormatError
from labpipe.qc.gene_coverage import (
    gene_coverage,
    read_target_coverage,
    regions_below,
    targeted_genes,
)
from tests.builders import write_mosdepth


def model(gene: str, start: int, end: int) -> TranscriptModel:
    return TranscriptModel(f"T{gene}", f"G{gene}", gene, "chr1", start, end, "+",
                           "protein_coding", frozenset(), (Exon(start, end),))  # fmt: skip


MODELS = {m.transcript_id: m for m in (model("AAA", 1001, 2000), model("BBB", 1901, 3000))}
ROWS = [
    ("chr1", 1000, 1100, "ex1", 80.0, 100),  # AAA only
    ("chr1", 1950, 2050, "ex2", 30.0, 60),  # both genes; 40 bases below 20x
    ("chr1", 2900, 3000, "unknown", 50.0, 100),  # BBB; mosdepth's name for "no name"
    ("chr1", 9000, 9100, "ex9", 10.0, 0),  # no gene
]


def test_targets_are_read_and_assigned_to_overlapping_genes(tmp_path: Path) -> None:
    targets = read_target_coverage(write_mosdepth(tmp_path / "S", ROWS), MODELS)
    assert [t.genes for t in targets] == [("AAA",), ("AAA", "BBB"), ("BBB",), ()]
    assert targets[2].name == ""
    assert targets[1].bases_below == 40 and targets[1].pct_at_depth == 60.0
    assert targeted_genes(targets) == ["AAA", "BBB"]
    assert [(t.start, t.end) for t in regions_below(targets)] == [(1950, 2050), (9000, 9100)]


def test_gene_coverage_is_length_weighted_and_flags_untargeted_genes(tmp_path: Path) -> None:
    targets = read_target_coverage(write_mosdepth(tmp_path / "S", ROWS), MODELS)
    aaa, bbb, ccc = gene_coverage(targets, ["AAA", "BBB", "CCC"])
    assert (aaa.regions, aaa.target_bases, aaa.bases_at_depth) == (2, 200, 160)
    assert aaa.mean_depth == pytest.approx(55.0) and aaa.pct_at_depth == 80.0
    assert aaa.regions_below == 1
    assert bbb.pct_at_depth == 80.0
    assert (ccc.regions, ccc.pct_at_depth, ccc.mean_depth) == (0, None, None)


def test_without_gff3_the_bed_name_is_the_gene(tmp_path: Path) -> None:
    targets = read_target_coverage(write_mosdepth(tmp_path / "S", ROWS))
    assert [t.genes for t in targets] == [("ex1",), ("ex2",), (), ("ex9",)]


def test_missing_20x_column_names_the_config_fix(tmp_path: Path) -> None:
    prefix = write_mosdepth(tmp_path / "S", ROWS)
    with gzip.open(f"{prefix}.thresholds.bed.gz", "wt") as handle:
        handle.write("#chrom\tstart\tend\tregion\t10X\t30X\n")
    with pytest.raises(InputFormatError, match=r"add 20 to qc\.depth_thresholds"):
        read_target_coverage(prefix)
