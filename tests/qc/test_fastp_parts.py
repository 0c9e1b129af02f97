"""fastp in parts: the same trimmed reads and the same report figures as one fastp."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from labpipe.qc.fastp_parts import FastpInParts
from labpipe.qc.read_pairs import count_pairs
from tests.paths import TEST_DATA

pytestmark = pytest.mark.skipif(shutil.which("fastp") is None, reason="fastp is not installed")

R1 = TEST_DATA / "reads" / "PK001_S1_L001_R1_001.fastq.gz"
R2 = TEST_DATA / "reads" / "PK001_S1_L001_R2_001.fastq.gz"
# One thread: fastp then writes the reads in their input order.
FASTP = (
    "fastp --stdin --interleaved_in --stdout --thread 1 --dont_eval_duplication"
    " --adapter_sequence AGATCGGAAGAGCACACGTCTGAACTCCAGTCA"
    " --adapter_sequence_r2 AGATCGGAAGAGCGTCGTGTAGGGAAAGAGTGT --length_required 50"
)


def trimmed(tmp_path: Path, name: str, pairs_per_part: int) -> tuple[bytes, dict, Path]:
    """Run check-pairs' trimming the way the align rule does: (reads out, report, html)."""
    folder = tmp_path / name
    folder.mkdir()
    script = (
        "import sys; from pathlib import Path\n"
        "from labpipe.qc.fastp_parts import FastpInParts\n"
        "from labpipe.qc.read_pairs import count_pairs\n"
        f"trimmer = FastpInParts({FASTP!r}, Path({str(folder / 'r.json')!r}),"
        f" Path({str(folder / 'r.html')!r}), Path({str(folder / 'fastp.log')!r}),"
        f" pairs_per_part={pairs_per_part})\n"
        f"count_pairs('PK001', 'L001', Path({str(R1)!r}), Path({str(R2)!r}),"
        " interleave_to=trimmer)\n"
        "trimmer.close()\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, check=True)
    return done.stdout, json.loads((folder / "r.json").read_text()), folder / "r.html"


def test_parts_give_the_reads_and_figures_of_one_fastp(tmp_path: Path) -> None:
    reads_one, one, html_one = trimmed(tmp_path, "one", pairs_per_part=10**9)
    reads_parts, parts, html_parts = trimmed(tmp_path, "parts", pairs_per_part=1_000)
    pairs = count_pairs("PK001", "L001", R1, R2).pairs
    assert pairs > 3_000  # so that there were several parts
    assert reads_parts == reads_one and reads_one.count(b"\n") > 0
    for stage in ("before_filtering", "after_filtering"):
        for key in ("total_reads", "total_bases", "q20_bases", "q30_bases", "q30_rate"):
            assert parts["summary"][stage][key] == one["summary"][stage][key], (stage, key)
        assert parts["summary"][stage]["gc_content"] == pytest.approx(
            one["summary"][stage]["gc_content"], abs=1e-5
        )
    assert parts["filtering_result"] == one["filtering_result"]
    assert (
        parts["adapter_cutting"]["adapter_trimmed_reads"]
        == (one["adapter_cutting"]["adapter_trimmed_reads"])
    )
    assert (
        parts["adapter_cutting"]["read1_adapter_counts"]
        == (one["adapter_cutting"]["read1_adapter_counts"])
    )
    assert parts["insert_size"]["histogram"] == one["insert_size"]["histogram"]
    assert parts["insert_size"]["peak"] == one["insert_size"]["peak"]
    assert (
        parts["read1_before_filtering"]["kmer_count"] == one["read1_before_filtering"]["kmer_count"]
    )
    # Before trimming every read is as long: the weighted curves are exact.
    assert parts["read1_before_filtering"]["quality_curves"]["mean"] == pytest.approx(
        one["read1_before_filtering"]["quality_curves"]["mean"], abs=1e-3
    )
    # One part keeps fastp's own page; several get labpipe's, which says so.
    assert "fastp report" in html_one.read_text() and "in parts" not in html_one.read_text()
    text = html_parts.read_text()
    assert f"trimmed by fastp in {-(-pairs // 1_000)} parts" in text
    assert f"{one['summary']['before_filtering']['total_reads']:,}" in text
    assert not list((tmp_path / "parts").glob("*.part*"))


def test_a_failing_fastp_part_stops_with_its_status_and_log(tmp_path: Path) -> None:
    trimmer = FastpInParts(
        "fastp --stdin --interleaved_in --stdout --no-such-option",
        tmp_path / "r.json",
        tmp_path / "r.html",
        tmp_path / "fastp.log",
    )
    from labpipe.core.errors import RunError

    with pytest.raises((RunError, BrokenPipeError)) as stop:
        count_pairs("PK001", "L001", R1, R2, interleave_to=trimmer)
        trimmer.close()
    if isinstance(stop.value, RunError):
        assert "fastp stopped with status" in str(stop.value)
        assert str(tmp_path / "fastp.log") in str(stop.value)
    assert (tmp_path / "fastp.log").read_text()
    assert not (tmp_path / "r.json").exists()
