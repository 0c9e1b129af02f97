"""Runs of homozygosity: bcftools roh output read, filtered and looked up."""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import pysam
import pytest

from labpipe.annotation.roh import (
    AssessedContig,
    RohSegment,
    RohSettings,
    SegmentIndex,
    autozygosity,
    read_roh,
    read_roh_sites,
    reported_segments,
    write_roh_af_file,
)
from labpipe.annotation.sources import PopulationSource
from labpipe.core.errors import InputFormatError
from tests.builders import write_fasta

ROH_OUTPUT = """\
# This file was produced by: bcftools roh(1.16+htslib-1.16)
# RG\t[2]Sample\t[3]Chromosome\t[4]Start\t[5]End\t[6]Length (bp)\t[7]Number of markers\t[8]Quality
RG\tPK001\tchr3\t20000000\t23500000\t3500001\t180\t88.2
RG\tPK001\tchr1\t1000\t50000\t49001\t4\t30.0
RG\tPK002\tchr3\t1\t2000000\t2000000\t50\t70.0
"""


def test_read_roh_keeps_the_sample_and_sorts(tmp_path: Path) -> None:
    path = tmp_path / "roh.txt"
    path.write_text(ROH_OUTPUT)
    segments = read_roh(path, "PK001")
    assert segments == [
        RohSegment("chr1", 1000, 50000, 4, 30.0),
        RohSegment("chr3", 20000000, 23500000, 180, 88.2),
    ]
    assert segments[1].length == 3_500_001
    assert len(read_roh(path)) == 3


def test_short_or_sparse_runs_are_not_reported(tmp_path: Path) -> None:
    path = tmp_path / "roh.txt"
    path.write_text(ROH_OUTPUT)
    settings = RohSettings(min_length_bp=1_000_000, min_markers=10)
    assert reported_segments(read_roh(path, "PK001"), settings) == [
        RohSegment("chr3", 20000000, 23500000, 180, 88.2)
    ]


def test_malformed_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "roh.txt"
    path.write_text("RG\tS\tchr1\tten\t20\t11\t3\t5\n")
    with pytest.raises(InputFormatError, match=r"roh\.txt line 1"):
        read_roh(path)


def test_segment_index_finds_positions_inside_runs() -> None:
    index = SegmentIndex(
        [RohSegment("chr3", 100, 200, 5, 1.0), RohSegment("chr3", 500, 900, 5, 1.0)]
    )
    assert index.find("chr3", 100) == RohSegment("chr3", 100, 200, 5, 1.0)
    assert index.find("chr3", 900) is not None
    assert index.find("chr3", 300) is None
    assert index.find("chr3", 99) is None
    assert index.find("chr1", 150) is None


def write_calls(path: Path, run: tuple[int, int], seed: int = 3) -> Path:
    """One sample, a marker every 50 kb over 40 Mb; homozygous throughout ``run``."""
    rng = random.Random(seed)
    lines = [
        "##fileformat=VCFv4.2",
        "##contig=<ID=chr9,length=40000000>",
        '##FILTER=<ID=PASS,Description="All filters passed">',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1",
    ]
    for pos in range(25_000, 40_000_000, 50_000):
        inside = run[0] <= pos <= run[1]
        gt = "1/1" if inside else rng.choice(["0/1", "0/1", "1/1", "0/1"])
        lines.append(f"chr9\t{pos}\t.\tA\tG\t50\tPASS\t.\tGT\t{gt}")
    path.write_text("\n".join(lines) + "\n")
    return Path(pysam.tabix_index(str(path), preset="vcf", force=True))


@pytest.mark.skipif(shutil.which("bcftools") is None, reason="needs bcftools")
def test_real_bcftools_roh_output_is_read(tmp_path: Path) -> None:
    vcf = write_calls(tmp_path / "calls.vcf", run=(10_000_000, 22_000_000))
    out = tmp_path / "roh.txt"
    subprocess.run(
        ["bcftools", "roh", "--AF-dflt", "0.4", "-G", "30", "-s", "S1", "-O", "r",
         "-o", str(out), str(vcf)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    segments = reported_segments(read_roh(out, "S1"), RohSettings())
    longest = max(segments, key=lambda s: s.length)
    # The planted 12 Mb run is found (its edges within a marker or two).
    assert longest.chrom == "chr9"
    assert abs(longest.start - 10_000_000) < 200_000 and abs(longest.end - 22_000_000) < 200_000
    assert SegmentIndex(segments).find("chr9", 15_000_000) == longest


def test_af_file_holds_the_highest_population_af(tmp_path: Path) -> None:
    reference = write_fasta(tmp_path / "ref.fa", {"chr1": "ACGT" * 50})
    calls = tmp_path / "calls.vcf"
    calls.write_text(
        "##fileformat=VCFv4.2\n##contig=<ID=chr1,length=200>\n"
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n"
        "chr1\t2\t.\tC\tT\t50\tPASS\t.\tGT\t1/1\n"
        "chr1\t6\t.\tC\tA\t50\tPASS\t.\tGT\t0/1\n"
    )
    source_plain = tmp_path / "af.vcf"
    source_plain.write_text(
        "##fileformat=VCFv4.2\n##contig=<ID=1,length=200>\n"
        '##INFO=<ID=AF,Number=A,Type=Float,Description="AF">\n'
        '##INFO=<ID=AF_sas,Number=A,Type=Float,Description="AF">\n'
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
        "1\t2\t.\tC\tT\t.\tPASS\tAF=0.01;AF_sas=0.03\n"
    )
    source = Path(pysam.tabix_index(str(source_plain), preset="vcf", force=True))
    out = tmp_path / "roh" / "S1.af.tsv.gz"
    population = [PopulationSource("g", "g", source, "", "AF_sas", "AF")]
    assert write_roh_af_file(calls, reference, population, out) == 1
    with pysam.TabixFile(str(out)) as tabix:
        assert list(tabix.fetch("chr1")) == ["chr1\t2\tC,T\t0.03"]


# --- autozygosity --------------------------------------------------------------------------


def test_autozygosity_is_the_share_of_the_assessed_autosomes_in_reported_runs() -> None:
    settings = RohSettings(
        min_length_bp=1_000_000,
        min_markers=10,
        autozygosity_min_markers=100,
        autozygosity_min_assessed_bp=100_000_000,
    )
    assessed = [
        AssessedContig("chr1", 1_000_001, 101_000_000, 3000),  # 100 Mb
        AssessedContig("chr2", 1, 100_000_000, 2000),  # 100 Mb
        AssessedContig("chrX", 1, 150_000_000, 900),  # left out: hemizygous in a male
    ]
    segments = [
        RohSegment("chr1", 10_000_001, 20_000_000, 400, 80.0),  # 10 Mb
        RohSegment("chr2", 50_000_001, 60_000_000, 300, 80.0),  # 10 Mb
        RohSegment("chr2", 70_000_001, 70_500_000, 30, 80.0),  # too short to report
        RohSegment("chrX", 1, 100_000_000, 500, 80.0),
    ]
    found = autozygosity(segments, assessed, settings)
    assert (found.sites, found.assessed_bp, found.in_roh_bp) == (5000, 200_000_000, 20_000_000)
    assert found.f_roh == pytest.approx(0.1)
    assert found.text().startswith("F_ROH 0.100: 10.0% of the assessed autosomes")


def test_a_panel_is_too_small_for_an_estimate_and_says_so() -> None:
    found = autozygosity(
        [RohSegment("chr1", 1, 2_000_000, 40, 80.0)],
        [AssessedContig("chr1", 1, 3_000_000, 250)],
        RohSettings(),
    )
    assert found.f_roh is None
    assert found.text() == (
        "Not estimated: 250 autosomal sites spanning 3.0 Mb assessed; a meaningful estimate "
        "needs at least 2,000 sites spanning 1,000 Mb (an exome or genome; a gene panel is "
        "too small)."
    )


@pytest.mark.skipif(shutil.which("bcftools") is None, reason="bcftools not installed")
def test_sites_of_a_real_bcftools_roh_output(tmp_path: Path) -> None:
    """bcftools roh -O sr on 200 sites: the first 100 homozygous ALT, then heterozygous."""
    vcf = tmp_path / "s.vcf"
    lines = [
        "##fileformat=VCFv4.2",
        "##contig=<ID=chr1,length=100000000>",
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1",
    ]
    for i in range(1, 201):
        lines.append(
            f"chr1\t{i * 100_000}\t.\tA\tG\t50\tPASS\t.\tGT\t{'1/1' if i <= 100 else '0/1'}"
        )
    vcf.write_text("\n".join(lines) + "\n")
    out = tmp_path / "s.roh.txt"
    subprocess.run(
        ["bcftools", "roh", "-G", "30", "--AF-dflt", "0.4", "-O", "sr", "-o", str(out), str(vcf)],
        check=True,
        capture_output=True,
    )
    assert read_roh_sites(out, "S1") == [AssessedContig("chr1", 100_000, 20_000_000, 200)]
    (run,) = read_roh(out, "S1")
    assert run.chrom == "chr1" and run.start == 100_000 and 9_000_000 < run.end < 11_000_000
    found = autozygosity(
        [run],
        read_roh_sites(out, "S1"),
        RohSettings(autozygosity_min_markers=100, autozygosity_min_assessed_bp=10_000_000),
    )
    assert found.f_roh == pytest.approx(run.length / 19_900_001)
