"""The demo's synthetic annotation sources: deterministic, and every tier they promise."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pysam
import pytest

from labpipe.annotation.source_matcher import SourceMatcher
from labpipe.core.resources import demo_data_dir
from labpipe.simulation.demo_annotation import (
    CLINVAR_NAME,
    PANEL_NAME,
    POPULATION_NAME,
    write_demo_annotation,
)

DATA = demo_data_dir()
FILES = (CLINVAR_NAME, f"{CLINVAR_NAME}.tbi", POPULATION_NAME, f"{POPULATION_NAME}.tbi", PANEL_NAME)


def digests(directory: Path) -> dict[str, str]:
    return {name: hashlib.sha256((directory / name).read_bytes()).hexdigest() for name in FILES}


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("demo_annotation")
    result = write_demo_annotation(
        DATA / "truth.vcf.gz", DATA / "genes.gff3", DATA / "reference.fa", out
    )
    return out, result


def test_same_bytes_every_run_and_as_shipped(written: tuple[Path, object], tmp_path: Path) -> None:
    out, _ = written
    write_demo_annotation(
        DATA / "truth.vcf.gz", DATA / "genes.gff3", DATA / "reference.fa", tmp_path
    )
    assert digests(tmp_path) == digests(out)
    if all((DATA / name).exists() for name in FILES):
        assert digests(DATA) == digests(out), "test_data is stale: run `make test-data`"


def test_clinvar_names_contigs_without_chr(written: tuple[Path, object]) -> None:
    out, _ = written
    with pysam.VariantFile(str(out / CLINVAR_NAME)) as vcf:
        assert {record.chrom for record in vcf} <= {"1", "2", "3"}


def test_planted_pathogenic_records_match_and_the_decoy_does_not(
    written: tuple[Path, object],
) -> None:
    out, result = written
    entries = result.clinvar  # type: ignore[attr-defined]
    assert sum(e.pathogenic for e in entries) == 5
    assert sum(not e.same_allele for e in entries) == 1
    written_differently = [e for e in entries if (e.pos, e.ref) != (e.planted.pos, e.planted.ref)]
    assert len(written_differently) == 2  # one right-shifted, one padded
    matcher = SourceMatcher(DATA / "reference.fa", out / CLINVAR_NAME, [])
    try:
        for entry in entries:
            planted = entry.planted
            match = matcher.lookup(planted.chrom, planted.pos, planted.ref, planted.alt)
            if entry.same_allele:
                assert match.clinvar is not None, planted
                assert match.clinvar.significance == entry.fields["CLNSIG"]
            else:
                assert match.clinvar is None, planted
    finally:
        matcher.close()


def test_every_sample_has_a_tier1_variant(written: tuple[Path, object]) -> None:
    _, result = written
    for index in (0, 1):
        carried = [
            e
            for e in result.clinvar
            if e.pathogenic and "1" in e.planted.genotypes[index]  # type: ignore[attr-defined]
        ]
        assert carried, f"sample {index} has no pathogenic planted variant"


def test_panel_leaves_out_the_last_gene(written: tuple[Path, object]) -> None:
    out, result = written
    genes = [
        line for line in (out / PANEL_NAME).read_text().splitlines() if not line.startswith("#")
    ]
    assert genes == result.panel  # type: ignore[attr-defined]
    assert "LPG6" not in genes and "LPG1" in genes
