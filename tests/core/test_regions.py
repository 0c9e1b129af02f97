"""Target BED reading, contig checks, padding and merging."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from labpipe.core.errors import InputFormatError
from labpipe.core.regions import (
    MIN_CHUNK_BASES,
    Interval,
    calling_chunk_count,
    merge,
    pad,
    prepare_regions,
    read_bed,
    split_regions,
)

CONTIGS = {"1": 1000, "2": 500}


def bed(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "t.bed"
    path.write_text(text)
    return path


def test_bad_lines_reported_together(tmp_path: Path) -> None:
    path = bed(tmp_path, "track name=x\n1\t10\t20\tG1\n1\t30\n1\tx\t5\n2\t50\t40\n2\t10\t600\n")
    with pytest.raises(InputFormatError) as err:
        read_bed(path, CONTIGS)
    assert err.value.problems == [
        "line 3: 2 column(s); a BED line needs contig, start, end separated by tabs",
        "line 4: start 'x' and end '5' must be whole numbers",
        "line 5: end 40 is not after start 50",
        "line 6: end 600 is past the end of 2 (500 bp in the reference)",
    ]


def test_chr_prefix_mismatch_is_named(tmp_path: Path) -> None:
    path = bed(tmp_path, "chr1\t10\t20\nchrUn\t1\t5\n")
    with pytest.raises(InputFormatError) as err:
        read_bed(path, CONTIGS)
    assert err.value.problems == [
        "line 1: targets use 'chr1', the reference uses '1':"
        " rename the contigs (chr-prefix mismatch)",
        "line 2: contig 'chrUn' is not in the reference",
    ]


def test_pad_clips_and_merge_joins_in_reference_order() -> None:
    intervals = [
        Interval("2", 10, 20),
        Interval("1", 990, 1000),
        Interval("1", 100, 200),
        Interval("1", 150, 300),
    ]
    padded = pad(intervals, 20, CONTIGS)
    assert Interval("1", 970, 1000) in padded
    assert merge(padded, ["1", "2"]) == [
        Interval("1", 80, 320),
        Interval("1", 970, 1000),
        Interval("2", 0, 40),
    ]


def test_prepare_regions_whole_reference_without_targets(tmp_path: Path) -> None:
    fai = tmp_path / "ref.fa.fai"
    fai.write_text("1\t1000\t3\t60\t61\n2\t500\t1100\t60\t61\n")
    prepare_regions(fai, None, 100, tmp_path / "targets.bed", tmp_path / "calling.bed")
    assert (tmp_path / "targets.bed").read_text() == "1\t0\t1000\t1\n2\t0\t500\t2\n"
    assert (tmp_path / "calling.bed").read_text() == "1\t0\t1000\n2\t0\t500\n"


def test_split_regions_balances_to_a_base_and_keeps_order() -> None:
    intervals = [Interval("1", 0, 400)] + [
        Interval("1", i * 100, i * 100 + 50) for i in range(5, 10)
    ]  # 400 + 5 x 50 = 650 bases
    groups = split_regions(intervals, 3)
    assert [sum(iv.length for iv in g) for g in groups] == [217, 217, 216]
    assert groups[0] == [Interval("1", 0, 217)]
    assert groups[1] == [Interval("1", 217, 400), Interval("1", 500, 534)]
    # Nothing lost, nothing doubled, order kept.
    pieces = [iv for g in groups for iv in g]
    assert sorted(pieces) == pieces
    covered = [(iv.start, iv.end) for iv in pieces]
    assert sum(e - s for s, e in covered) == 650
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(covered))


def test_split_regions_cuts_one_long_region() -> None:
    groups = split_regions([Interval("chr20", 9_995_000, 11_095_000)], 4)
    assert groups == [
        [Interval("chr20", 9_995_000, 10_270_000)],
        [Interval("chr20", 10_270_000, 10_545_000)],
        [Interval("chr20", 10_545_000, 10_820_000)],
        [Interval("chr20", 10_820_000, 11_095_000)],
    ]
    with pytest.raises(ValueError, match="3 bases cannot make 4 chunks"):
        split_regions([Interval("1", 0, 3)], 4)


def test_split_regions_crosses_contigs() -> None:
    groups = split_regions([Interval("1", 0, 100), Interval("2", 0, 100)], 4)
    assert groups == [
        [Interval("1", 0, 50)],
        [Interval("1", 50, 100)],
        [Interval("2", 0, 50)],
        [Interval("2", 50, 100)],
    ]
    assert split_regions([Interval("1", 0, 10), Interval("2", 0, 10)], 1) == [
        [Interval("1", 0, 10), Interval("2", 0, 10)]
    ]


def test_calling_chunk_count_follows_regions_and_bases_not_cores(tmp_path: Path) -> None:
    path = bed(tmp_path, "1\t100\t200\n1\t250\t300\n1\t900\t950\n2\t10\t20\n")
    # Small panels: one chunk per region at most.
    assert calling_chunk_count(path, {}, padding=100, wanted=8) == 3
    assert calling_chunk_count(path, {}, padding=0, wanted=8) == 4
    assert calling_chunk_count(path, {}, padding=0, wanted=2) == 2
    assert calling_chunk_count(None, {"1": 1000, "2": 500}, padding=0, wanted=8) == 2
    # One long region is cut into chunks of at least MIN_CHUNK_BASES.
    long_bed = bed(tmp_path, "chr20\t9995000\t11095000\n")
    assert calling_chunk_count(long_bed, {}, padding=0, wanted=4) == 4
    assert calling_chunk_count(long_bed, {}, padding=0, wanted=64) == 1_100_000 // MIN_CHUNK_BASES
    assert calling_chunk_count(None, {"chr1": 248_956_422}, padding=0, wanted=4) == 4


def decoy_genome(contigs: int) -> dict[str, int]:
    """A genome like hs38DH's tail: a few chromosomes, then thousands of small contigs."""
    lengths = {"chr1": 248_956_422, "chr2": 242_193_529}
    lengths |= {f"chrUn_JTFH{i:07d}v1_decoy": 1_000 + 37 * i for i in range(contigs)}
    return lengths


def test_thousands_of_small_contigs_share_a_few_chunks() -> None:
    """Calling jobs are bounded by calling.scatter, not by the number of contigs."""
    genome = decoy_genome(3_000)
    for wanted in (1, 4, 256):
        assert calling_chunk_count(None, genome, padding=0, wanted=wanted) == wanted
    groups = split_regions([Interval(c, 0, n) for c, n in genome.items()], 4)
    assert len(groups) == 4
    # Every contig is called, once, in reference order; small ones travel together.
    pieces = [iv for group in groups for iv in group]
    assert [iv.contig for iv in pieces if iv.start == 0] == list(genome)
    assert sum(iv.length for iv in pieces) == sum(genome.values())
    assert max(len(group) for group in groups) > 1_000


def test_a_dry_run_on_3000_contigs_plans_scatter_calling_jobs(
    lab: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from labpipe.cli import main

    fasta = lab / "ref.fa"
    with fasta.open("w") as out:
        out.write(">chr1\n" + "ACGT" * 500 + "\n")
        for i in range(3_000):
            out.write(f">chrUn_decoy{i}_decoy\n" + "ACGTTGCA" * 25 + "\n")
    code = main(["run", str(lab / "lab.yaml"), "--dry-run", "--cores", "2", "--outdir", str(lab)])
    out = capsys.readouterr().out
    assert not code
    counts = dict(
        (fields[0], int(fields[1]))
        for fields in (line.split() for line in out.splitlines())
        if len(fields) == 2 and fields[1].isdigit()
    )
    assert counts["call_chunk"] == 4  # calling.scatter's default, whatever the contig count
    assert counts["total"] < 40
