"""Tests of the demo-data generator: files, reads, determinism and the bcftools checks."""

from __future__ import annotations

import csv
import gzip
import re
import shutil
from pathlib import Path

import numpy as np
import pysam
import pytest

from labpipe.cli import main
from labpipe.simulation.demo_check import verify_demo_data
from labpipe.simulation.demo_data import (
    EXPECTED_COLUMNS,
    SimulationConfig,
    build_haplotypes,
    generate_demo_data,
)
from labpipe.simulation.demo_variants import plant_variants
from labpipe.simulation.genome_build import build_genome
from labpipe.simulation.sequencer import DNBSEQ, ILLUMINA, DemoErrorModel

SMALL = SimulationConfig(target_depth=3)
ILLUMINA_NAME = re.compile(
    r"^@A00123:8:H7KJ2DSXY:(?P<lane>[12]):(?P<tile>[12]1\d\d):(?P<x>\d+):(?P<y>\d+) "
    r"(?P<read>[12]):N:0:ACGTACGT\+TTGACCAA$"
)
MGI_NAME = re.compile(r"^@V350012345L(?P<lane>2)C\d{3}R\d{3}\d{7}/(?P<read>[12])$")
needs_bcftools = pytest.mark.skipif(shutil.which("bcftools") is None, reason="needs bcftools")


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    generate_demo_data(out, seed=7, config=SMALL)
    return out


def _fastq(path: Path) -> list[tuple[str, str, str]]:
    with gzip.open(path, "rt") as fh:
        lines = fh.read().splitlines()
    assert len(lines) % 4 == 0 and all(p == "+" for p in lines[2::4])
    return list(zip(lines[0::4], lines[1::4], lines[3::4], strict=True))


def _sheet(folder: Path) -> list[dict[str, str]]:
    with open(folder / "samples.tsv") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def _all_bytes(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_writes_every_demo_file(small: Path) -> None:
    names = {str(p.relative_to(small)) for p in small.rglob("*") if p.is_file()}
    assert names == {
        "README.md",
        "reference.fa",
        "genes.gff3",
        "targets.bed",
        "truth.vcf.gz",
        "truth.vcf.gz.tbi",
        "expected_consequences.tsv",
        "samples.tsv",
        "reads/PK001_S1_L001_R1_001.fastq.gz",
        "reads/PK001_S1_L001_R2_001.fastq.gz",
        "reads/PK001_S1_L002_R1_001.fastq.gz",
        "reads/PK001_S1_L002_R2_001.fastq.gz",
        "reads/V350012345_L02_PK002_1.fq.gz",
        "reads/V350012345_L02_PK002_2.fq.gz",
    }
    ref = (small / "reference.fa").read_text().splitlines()
    assert [h for h in ref if h.startswith(">")] == [">chr1", ">chr2", ">chr3"]
    assert max(len(line) for line in ref) == 60


def test_same_seed_gives_identical_bytes(small: Path, tmp_path: Path) -> None:
    generate_demo_data(tmp_path, seed=7, config=SMALL)
    assert _all_bytes(tmp_path) == _all_bytes(small)


def test_other_seed_gives_other_data(small: Path, tmp_path: Path) -> None:
    generate_demo_data(tmp_path, seed=8, config=SMALL)
    assert (tmp_path / "reference.fa").read_bytes() != (small / "reference.fa").read_bytes()


def test_sample_sheet_lists_both_platforms(small: Path) -> None:
    rows = _sheet(small)
    assert list(rows[0]) == ["sample", "unit", "fq1", "fq2", "platform", "library"]
    assert [(r["sample"], r["unit"], r["platform"], r["library"]) for r in rows] == [
        ("PK001", "L001", "ILLUMINA", "PK001-lib1"),
        ("PK001", "L002", "ILLUMINA", "PK001-lib1"),
        ("PK002", "L02", "DNBSEQ", "PK002-lib1"),
    ]
    for r in rows:
        assert (small / r["fq1"]).is_file() and (small / r["fq2"]).is_file()


def test_read_names_follow_each_platform_and_pair_up(small: Path) -> None:
    for row in _sheet(small):
        r1, r2 = _fastq(small / row["fq1"]), _fastq(small / row["fq2"])
        assert len(r1) == len(r2) > 0
        pattern = ILLUMINA_NAME if row["platform"] == "ILLUMINA" else MGI_NAME
        lane = row["unit"].lstrip("L").lstrip("0")
        for mate, records in (("1", r1), ("2", r2)):
            for name, seq, qual in records:
                m = pattern.match(name)
                assert m, name
                assert m["lane"] == lane and m["read"] == mate, name
                assert len(seq) == len(qual) == 100
        stems = [re.split(r"[ /]", n)[0] for n, _, _ in r1]
        assert stems == [re.split(r"[ /]", n)[0] for n, _, _ in r2]
        assert len(set(stems)) == len(stems)


def test_qualities_use_the_platform_bins(small: Path) -> None:
    for row in _sheet(small):
        quals = {q for _, _, qual in _fastq(small / row["fq1"]) for q in qual}
        bins = ILLUMINA.quality_bins if row["platform"] == "ILLUMINA" else DNBSEQ.quality_bins
        assert {ord(q) - 33 for q in quals} <= set(bins)


def test_truth_vcf_has_both_samples_and_contig_lengths(small: Path) -> None:
    with pysam.VariantFile(str(small / "truth.vcf.gz")) as vcf:
        assert list(vcf.header.samples) == ["PK001", "PK002"]
        assert {c: vcf.header.contigs[c].length for c in vcf.header.contigs} == {
            "chr1": 120_000,
            "chr2": 100_000,
            "chr3": 80_000,
        }
        records = list(vcf.fetch("chr2"))  # the index works
    assert records and all(r.pos > 0 for r in records)


def test_expected_consequences_table(small: Path) -> None:
    with open(small / "expected_consequences.tsv") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    assert tuple(rows[0]) == EXPECTED_COLUMNS
    hgvs = re.compile(
        r"^p\.([A-Z][a-z]{2}\d+(_[A-Z][a-z]{2}\d+)?([A-Z][a-z]{2}|=|fs|del|dup|ins\w+))$"
    )
    for r in rows:
        if r["consequence"].startswith("splice"):
            assert r["protein_change"] == ""
            assert r["hgvs_p"] == ("" if r["consequence"] == "splice_region" else "p.?")
        else:
            assert hgvs.match(r["hgvs_p"]), r
            assert "*" not in r["hgvs_p"]
        assert re.fullmatch(r"ENST9\d{10}", r["transcript"])


def test_haplotypes_apply_genotypes() -> None:
    model = build_genome(np.random.default_rng(3))
    variants = plant_variants(model, np.random.default_rng(4))
    for sample in (0, 1):
        haps = build_haplotypes(model, variants, sample)
        for v in variants:
            for h, hap in enumerate(haps):
                start = hap.to_haplotype(v.contig, v.pos)
                allele = hap.seqs[v.contig][start : start + len(v.alt)]
                has_alt = v.haplotypes[sample][h]
                if has_alt:
                    assert allele == v.alt
                elif len(v.ref) <= len(v.alt):
                    assert hap.seqs[v.contig][start : start + len(v.ref)] == v.ref


def test_error_rate_rises_along_the_read_and_qualities_track_errors() -> None:
    rng = np.random.default_rng(1)
    templates = ["".join("ACGT"[i] for i in rng.integers(4, size=101)) for _ in range(20_000)]
    errors = DemoErrorModel(indel_rate=0, n_rate=0)
    reads = errors.sequence(templates, ILLUMINA, 100, rng)
    wrong = np.array(
        [
            [a != b for a, b in zip(t, r, strict=False)]
            for t, (r, _) in zip(templates, reads, strict=True)
        ]
    )
    quals = np.array([[ord(c) - 33 for c in q] for _, q in reads])
    per_cycle = wrong.mean(axis=0)
    assert per_cycle[:10].mean() < 0.003
    assert 0.007 < per_cycle[-10:].mean() < 0.013
    assert np.polyfit(np.arange(100), per_cycle, 1)[0] > 0
    assert quals[wrong].mean() < 20 < quals[~wrong].mean()


def run_simulate(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``labpipe simulate ARGS`` through the one CLI: exit code, stdout, stderr."""
    try:
        code = main(["simulate", *args])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return int(code or 0), out, err


def test_simulate_writes_the_demo_data_and_refuses_a_used_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code, said, _ = run_simulate(["--outdir", str(out), "--seed", "9", "--depth", "1"], capsys)
    assert code == 0 and "demo data written to" in said
    written = _all_bytes(out)
    assert "truth.vcf.gz.tbi" in written
    # Again into the same folder: refused, nothing touched, the error says what to do.
    code, _, err = run_simulate(["--outdir", str(out), "--seed", "8", "--depth", "1"], capsys)
    assert code == 2
    assert err.startswith(f"labpipe: error: labpipe simulate: --outdir {out} is not empty; ")
    assert "choose a fresh --outdir or add --overwrite" in err
    assert _all_bytes(out) == written
    # With --overwrite the files are replaced, and a file of the user's is left alone.
    (out / "notes.txt").write_text("mine")
    code, _, _ = run_simulate(
        ["--outdir", str(out), "--seed", "9", "--depth", "1", "--overwrite"], capsys
    )
    assert code == 0
    assert _all_bytes(out) == {**written, "notes.txt": b"mine"}
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, _, err = run_simulate(["--outdir", str(blocker), "--depth", "1"], capsys)
    assert code == 2
    assert err.startswith("labpipe: error: ") and f"{blocker} exists and is not a folder" in err


@needs_bcftools
def test_truth_is_normalised_and_consequences_match_bcftools_csq(small: Path) -> None:
    assert verify_demo_data(small) == []


@needs_bcftools
def test_verify_reports_a_wrong_expected_row(small: Path, tmp_path: Path) -> None:
    for p in small.iterdir():
        if p.is_file():
            shutil.copy(p, tmp_path / p.name)
    table = tmp_path / "expected_consequences.tsv"
    text = table.read_text()
    table.write_text(text.replace("\tmissense\t", "\tsynonymous\t", 1))
    problems = verify_demo_data(tmp_path)
    assert len(problems) == 1 and "expected synonymous" in problems[0]
