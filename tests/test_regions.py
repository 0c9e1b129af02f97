"""Target BED reading, contig checks, padding and merging."""

from __future__ import annotations

from pathlib import Path

import pytest

from labpipe.errors import InputFormatError
from labpipe.regions import Interval, merge, pad, prepare_regions, read_bed

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
