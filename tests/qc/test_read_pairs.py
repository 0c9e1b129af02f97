"""R1 and R2 read side by side: counts, names, records (labpipe.qc.read_pairs)."""

from __future__ import annotations

import gzip
import io
import re
from pathlib import Path

import pytest

from labpipe.core.errors import InputFormatError
from labpipe.qc.read_pairs import count_pairs, read_pair_count, write_pair_count


def record(name: str, mate: int, style: str = "illumina") -> str:
    header = f"@{name} {mate}:N:0:ACGT" if style == "illumina" else f"@{name}/{mate}"
    return f"{header}\nACGTACGTAC\n+\nIIIIIIIIII\n"


def write_fastq(path: Path, names: list[str], mate: int, style: str = "illumina") -> Path:
    text = "".join(record(name, mate, style) for name in names)
    if path.name.endswith(".gz"):
        with gzip.open(path, "wt") as handle:
            handle.write(text)
    else:
        path.write_text(text)
    return path


NAMES = [f"A00123:8:HXXXXDSXX:1:1101:{i}:1000" for i in range(1, 201)]


def test_pairs_are_counted_from_the_files(tmp_path: Path) -> None:
    fq1 = write_fastq(tmp_path / "r1.fq.gz", NAMES, 1)
    fq2 = write_fastq(tmp_path / "r2.fq.gz", NAMES, 2)
    count = count_pairs("S1", "L1", fq1, fq2)
    assert count.pairs == 200
    out = tmp_path / "S1.L1.pairs.json"
    write_pair_count(count, out)
    assert read_pair_count(out) == count


def test_mgi_mate_suffixes_are_not_a_difference(tmp_path: Path) -> None:
    names = [f"V350012345L2C001R00100000{i:02d}" for i in range(20)]
    fq1 = write_fastq(tmp_path / "a_1.fq", names, 1, style="mgi")
    fq2 = write_fastq(tmp_path / "a_2.fq", names, 2, style="mgi")
    assert count_pairs("S1", "L1", fq1, fq2).pairs == 20


def test_sra_read_ids_with_mate_numbers_are_pairs(tmp_path: Path) -> None:
    fq1 = tmp_path / "r1.fq"
    fq2 = tmp_path / "r2.fq"
    fq1.write_text("@SRR1.7.1 7 length=4\nACGT\n+\nIIII\n")
    fq2.write_text("@SRR1.7.2 7 length=4\nACGT\n+\nIIII\n")
    assert count_pairs("S1", "L1", fq1, fq2).pairs == 1
    fq2.write_text("@SRR1.8.2 8 length=4\nACGT\n+\nIIII\n")
    with pytest.raises(InputFormatError, match="disagree from record 1 on"):
        count_pairs("S1", "L1", fq1, fq2)


@pytest.mark.parametrize("shorter", [1, 2])
def test_different_read_counts_name_both(tmp_path: Path, shorter: int) -> None:
    """fastp 0.23 stops at the shorter file and says so only in a misspelt warning."""
    fq1 = write_fastq(tmp_path / "r1.fq.gz", NAMES[:150] if shorter == 1 else NAMES, 1)
    fq2 = write_fastq(tmp_path / "r2.fq.gz", NAMES[:150] if shorter == 2 else NAMES, 2)
    counts = ("150", "200") if shorter == 1 else ("200", "150")
    with pytest.raises(InputFormatError) as raised:
        count_pairs("S1", "L1", fq1, fq2)
    message = str(raised.value)
    assert f"sample 'S1' unit 'L1': R1 has {counts[0]} reads but R2 has {counts[1]}" in message
    assert str(fq1) in message and str(fq2) in message


def test_names_that_stop_matching_part_way_name_the_first_record(tmp_path: Path) -> None:
    shuffled = NAMES[:120] + NAMES[121:] + NAMES[120:121]
    fq1 = write_fastq(tmp_path / "r1.fq", NAMES, 1)
    fq2 = write_fastq(tmp_path / "r2.fq", shuffled, 2)
    with pytest.raises(InputFormatError) as raised:
        count_pairs("S1", "L1", fq1, fq2)
    message = str(raised.value)
    assert "sample 'S1' unit 'L1': read names of R1 and R2 disagree from record 121 on" in message
    assert NAMES[120] in message and NAMES[121] in message
    assert str(fq1) in message and str(fq2) in message


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("@r1 1:N:0:A\nACGT\n+\nIII\n", "record 1 (line 1): the sequence and quality lines differ"),
        ("@r1 1:N:0:A\nACGT\nIIII\nIIII\n", "record 1 (line 1): expected a '+' separator line"),
        ("@r1 1:N:0:A\nACGT\n+\n", "record 1 (line 1): the record is cut short"),
        ("@r1 1:N:0:A\nACGT\n+\nIIII\nr2\nACGT\n+\nIIII\n", "record 2 (line 5): expected a header"),
    ],
)
def test_malformed_records_name_file_and_line(tmp_path: Path, text: str, problem: str) -> None:
    fq1 = tmp_path / "r1.fq"
    fq1.write_text(text)
    fq2 = write_fastq(tmp_path / "r2.fq", ["r1", "r2"], 2)
    with pytest.raises(InputFormatError, match=re.escape(problem)):
        count_pairs("S1", "L1", fq1, fq2)


def test_a_cut_short_gzip_is_named(tmp_path: Path) -> None:
    fq1 = write_fastq(tmp_path / "r1.fq.gz", NAMES, 1)
    fq2 = write_fastq(tmp_path / "r2.fq.gz", NAMES, 2)
    fq1.write_bytes(fq1.read_bytes()[:-40])
    with pytest.raises(
        InputFormatError, match=r"r1\.fq\.gz: the gzip stream is damaged or cut short"
    ):
        count_pairs("S1", "L1", fq1, fq2)


MANY = [f"A00123:8:HXXXXDSXX:1:1101:{i}:2000" for i in range(10_000)]  # several blocks


def test_interleaved_pairs_are_passed_on_whole_and_in_order(tmp_path: Path) -> None:
    fq1 = write_fastq(tmp_path / "r1.fq.gz", MANY, 1)
    fq2 = write_fastq(tmp_path / "r2.fq.gz", MANY, 2)
    out = io.BytesIO()
    assert count_pairs("S1", "L1", fq1, fq2, interleave_to=out).pairs == 10_000
    expected = "".join(record(name, 1) + record(name, 2) for name in MANY)
    assert out.getvalue().decode() == expected


@pytest.mark.parametrize("where", [7, 4095, 4096, 9_999])
def test_a_problem_past_the_first_block_names_its_record(tmp_path: Path, where: int) -> None:
    """Blocks are checked whole; the record named is the exact one, wherever it falls."""
    fq1 = write_fastq(tmp_path / "r1.fq", MANY, 1)
    lines = fq1.read_text().splitlines(keepends=True)
    lines[4 * where + 3] = "II\n"  # quality shorter than the sequence
    fq1.write_text("".join(lines))
    fq2 = write_fastq(tmp_path / "r2.fq", MANY, 2)
    out = io.BytesIO()
    with pytest.raises(InputFormatError) as raised:
        count_pairs("S1", "L1", fq1, fq2, interleave_to=out)
    assert f"record {where + 1:,} (line {4 * where + 1:,}): the sequence and quality" in str(
        raised.value
    )
    # Nothing from the block holding the bad record was passed on.
    assert out.getvalue().count(b"\n@A00123") < 2 * where + 1


def test_windows_line_ends_and_sra_mate_numbers_pass(tmp_path: Path) -> None:
    fq1 = tmp_path / "r1.fq"
    fq2 = tmp_path / "r2.fq"
    fq1.write_bytes(b"@SRR1.7.1 7\r\nACGT\r\n+\r\nIIII\r\n@SRR1.8.1 8\r\nAC\r\n+\r\nII\r\n")
    fq2.write_bytes(b"@SRR1.7.2 7\r\nACGT\r\n+\r\nIIII\r\n@SRR1.8.2 8\r\nAC\r\n+\r\nII\r\n")
    assert count_pairs("S1", "L1", fq1, fq2, interleave_to=io.BytesIO()).pairs == 2


def test_no_final_newline_and_empty_files(tmp_path: Path) -> None:
    fq1 = write_fastq(tmp_path / "r1.fq", NAMES, 1)
    fq2 = write_fastq(tmp_path / "r2.fq", NAMES, 2)
    fq2.write_text(fq2.read_text().rstrip("\n"))
    assert count_pairs("S1", "L1", fq1, fq2).pairs == 200
    fq1.write_text("")
    fq2.write_text("")
    assert count_pairs("S1", "L1", fq1, fq2).pairs == 0
