"""Input checks before any tool runs: every bad input is built here, in the test."""

from __future__ import annotations

import functools
import gzip
import io
import os
import random
import shutil
import struct
import zlib
from pathlib import Path

import pysam
import pytest

from labpipe.config.samplesheet import load_sample_sheet
from labpipe.inputs.checks import all_inputs
from labpipe.inputs.checks import files as check_files
from labpipe.inputs.checks.all_inputs import check_inputs
from labpipe.inputs.checks.fasta import check_reference, reference_contigs
from labpipe.inputs.checks.fastq import check_fastq
from labpipe.inputs.checks.fastq_pair import check_fastq_pair
from labpipe.inputs.checks.gff3 import check_gff3_contigs
from labpipe.inputs.checks.targets import check_targets
from tests.paths import TEST_DATA

TRUNCATED = (
    "the gzip data is truncated: the file ends before its compressed data does"
    " (an interrupted copy or a full disk?); copy the file again from the run"
)
CRC_FAILED = (
    "the gzip data is corrupt (CRC check failed); copy the file again and compare its"
    " checksum (md5sum) with the original"
)
INVALID_DEFLATE = (
    "the gzip data is corrupt (invalid deflate data); copy the file again and compare its"
    " checksum (md5sum) with the original"
)
LAST_READ_CUT = (
    "the last read at the end of the file is incomplete: the FASTQ was cut short"
    " (an interrupted copy or export?); copy or export it again"
)


# ------------------------------------------------------------------------- builders


def record(name: str, sequence: str = "ACGTACGTAC", quality: str | None = None) -> str:
    """One 4-line FASTQ read (Q40 qualities unless given)."""
    return f"@{name}\n{sequence}\n+\n{quality if quality is not None else 'I' * len(sequence)}\n"


def illumina_reads(count: int, mate: int = 1, seed: int = 1, length: int = 100) -> str:
    """Reads named like an Illumina run, random bases, NovaSeq-style binned qualities."""
    rng = random.Random(seed)
    reads = []
    for i in range(count):
        sequence = "".join(rng.choices("ACGT", k=length))
        quality = "".join(rng.choices("#,:F", weights=[1, 2, 5, 40], k=length))
        reads.append(
            record(f"A00123:8:HXXXX:1:1101:{1000 + i}:2000 {mate}:N:0:ACGT", sequence, quality)
        )
    return "".join(reads)


def write(path: Path, data: bytes | str) -> Path:
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


@functools.cache  # the large test files are compressed once
def gzip_bytes(text: str, level: int = 6, strategy: int = zlib.Z_DEFAULT_STRATEGY) -> bytes:
    """One gzip member, as gzip/pigz/zlib write it."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, 31, 8, strategy)
    return compressor.compress(text.encode()) + compressor.flush()


def bgzf_block(data: bytes) -> bytes:
    """One BGZF block: a gzip member whose extra field gives its size (SAM spec 4.1)."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    deflated = compressor.compress(data) + compressor.flush()
    header = b"\x1f\x8b\x08\x04\0\0\0\0\0\xff\x06\0BC\x02\0"
    size = struct.pack("<H", len(header) + 2 + len(deflated) + 8 - 1)
    return header + size + deflated + struct.pack("<II", zlib.crc32(data), len(data))


@functools.cache
def bgzf_bytes(text: str, block: int = 60000) -> bytes:
    """What bgzip writes: blocks of at most 64 KiB, then the empty end-of-file block."""
    data = text.encode()
    blocks = [bgzf_block(data[i : i + block]) for i in range(0, len(data), block)]
    return b"".join(blocks) + bgzf_block(b"")


@pytest.fixture(scope="module")
def big_reads() -> str:
    """~1.5 MB of reads: compressed, larger than the 256 KiB the tail checks look at."""
    return illumina_reads(6000)


def tail_only(path: Path) -> list[str]:
    """check_fastq with the end checked from the tail only (no whole-file decompression)."""
    return check_fastq(path, full_check_bytes=0)


# ------------------------------------------------------------------ FASTQ: good files


def test_usable_fastq_plain_gzip_and_bgzip(tmp_path: Path) -> None:
    text = illumina_reads(50)
    for name, data in (
        ("a.fastq", text.encode()),
        ("a.fastq.gz", gzip_bytes(text)),
        ("b.fastq.gz", bgzf_bytes(text)),
        ("m.fastq.gz", gzip_bytes(text[:4000]) + gzip_bytes(text[4000:])),
    ):
        assert check_fastq(write(tmp_path / name, data)) == [], name


def test_shipped_test_data_passes() -> None:
    units = load_sample_sheet(TEST_DATA / "samples.tsv")
    fasta = TEST_DATA / "reference.fa"
    gff3 = TEST_DATA / "genes.gff3"
    assert check_inputs(units, fasta, TEST_DATA / "targets.bed", gff3) == []


def test_a_batch_is_checked_in_parallel_with_every_problem_in_sheet_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = ["sample\tunit\tfq1\tfq2"]
    for i in range(1, 7):
        for mate in (1, 2):
            text = illumina_reads(20, mate=mate, seed=i)
            write(tmp_path / f"S{i}_R{mate}.fastq.gz", gzip_bytes(text))
        lines.append(f"S{i}\tL1\tS{i}_R1.fastq.gz\tS{i}_R2.fastq.gz")
    write(tmp_path / "samples.tsv", "\n".join(lines) + "\n")
    units = load_sample_sheet(tmp_path / "samples.tsv")
    (tmp_path / "S2_R2.fastq.gz").unlink()
    data = (tmp_path / "S5_R1.fastq.gz").read_bytes()
    write(tmp_path / "S5_R1.fastq.gz", data[: len(data) // 2])
    fasta = write(tmp_path / "ref.fa", ">chr1\n" + "ACGT" * 50 + "\n")
    pysam.faidx(str(fasta))
    assert len(units) >= all_inputs.PARALLEL_PAIRS
    parallel = check_inputs(units, fasta)
    monkeypatch.setattr(all_inputs, "PARALLEL_PAIRS", 1000)
    assert parallel == check_inputs(units, fasta)
    assert [p.split(":")[0] for p in parallel] == [
        "sample S2 unit L1 (sheet line 3)",
        "sample S5 unit L1 (sheet line 6)",
    ]
    assert "S2_R2.fastq.gz: the file does not exist" in parallel[0]
    assert TRUNCATED in parallel[1]


def test_empty_reads_and_odd_but_valid_records_are_accepted(tmp_path: Path) -> None:
    text = record("r1", "", "") + record("r2", "N", "#") + record("r3", "acgtRYKMN", "!!!!+++II")
    assert check_fastq(write(tmp_path / "odd.fq", text)) == []


# ------------------------------------------------------------ FASTQ: missing or empty


def test_missing_empty_and_folder(tmp_path: Path) -> None:
    missing = tmp_path / "nope.fastq.gz"
    empty = write(tmp_path / "empty.fastq.gz", b"")
    assert check_fastq(missing) == [f"{missing}: the file does not exist"]
    assert check_fastq(empty) == [
        f"{empty}: the file is empty (0 bytes); copy it again from the run"
    ]
    assert check_fastq(tmp_path) == [f"{tmp_path}: is a folder, not a FASTQ file"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_unreadable(tmp_path: Path) -> None:
    path = write(tmp_path / "r1.fq", record("r1"))
    path.chmod(0)
    assert check_fastq(path) == [
        f"{path}: cannot be read (Permission denied); check its permissions"
    ]


def test_gzip_and_bgzip_without_reads(tmp_path: Path) -> None:
    empty_gzip = write(tmp_path / "e.fastq.gz", gzip.compress(b""))
    eof_only = write(tmp_path / "eof.fastq.gz", bgzf_block(b""))
    blank = write(tmp_path / "blank.fastq", "\n\n")
    for path in (empty_gzip, eof_only):
        assert check_fastq(path) == [
            f"{path}: the file holds no reads (the gzip data decompresses to nothing)"
        ]
    assert check_fastq(blank) == [f"{blank}: the file holds no reads (only blank lines)"]


# --------------------------------------------------------------- FASTQ: not FASTQ


def test_fasta_given_as_fastq(tmp_path: Path) -> None:
    path = write(tmp_path / "reads.fastq", ">chr1\nACGT\n")
    assert check_fastq(path) == [
        f"{path}: the file is FASTA, not FASTQ (line 1 starts with '>'): reads need base"
        " qualities; give the sequencer's FASTQ files"
    ]


def test_bam_renamed_fastq_gz(tmp_path: Path) -> None:
    bam = tmp_path / "x.bam"
    header = {"HD": {"VN": "1.6"}, "SQ": [{"SN": "chr1", "LN": 1000}]}
    with pysam.AlignmentFile(str(bam), "wb", header=header):
        pass
    path = tmp_path / "S1_R1.fastq.gz"
    bam.rename(path)
    assert check_fastq(path) == [
        f"{path}: this is a BAM file, not FASTQ: give the sequencer's FASTQ files, or convert it"
        f" with `samtools collate -u -O {path} | samtools fastq -1 {tmp_path}/S1_R1.R1.fastq.gz"
        f" -2 {tmp_path}/S1_R1.R2.fastq.gz -0 /dev/null -s /dev/null -`, then give those two"
        " files in the sample sheet"
    ]


def test_sam_with_and_without_header(tmp_path: Path) -> None:
    line = "r1\t0\tchr1\t100\t60\t4M\t*\t0\t0\tACGT\tIIII\n"
    with_header = write(tmp_path / "a.fq", "@HD\tVN:1.6\n" + line)
    without = write(tmp_path / "b.fq", line)
    for path in (with_header, without):
        stem = path.name.removesuffix(".fq")
        assert check_fastq(path) == [
            f"{path}: the file is SAM alignments, not FASTQ: convert it with `samtools collate"
            f" -u -O {path} | samtools fastq -1 {tmp_path}/{stem}.R1.fastq.gz -2"
            f" {tmp_path}/{stem}.R2.fastq.gz -0 /dev/null -s /dev/null -`, then give those two"
            " files in the sample sheet (the SAM holds the reads once aligned; the sequencer's"
            " FASTQ is better)"
        ]


def test_gzip_holding_something_else(tmp_path: Path) -> None:
    path = write(tmp_path / "r1.fastq.gz", gzip_bytes("chr1\t10\t20\n"))
    assert check_fastq(path) == [
        f"{path}: the gzip data holds no FASTQ: its line 1 is 'chr1\\t10\\t20', not a read header"
    ]


def test_plain_text_that_is_not_fastq(tmp_path: Path) -> None:
    path = write(tmp_path / "r1.fq", "sample\tfq1\n")
    assert check_fastq(path) == [
        f"{path}: not a FASTQ file: line 1 should start with '@' but is 'sample\\tfq1'"
    ]


def test_other_compressions(tmp_path: Path) -> None:
    path = write(tmp_path / "r1.fastq.bz2", b"BZh91AY&SY" + bytes(20))
    assert check_fastq(path) == [
        f"{path}: compressed with bzip2; labpipe reads plain or gzip FASTQ: make a gzip copy with"
        f" `bzcat {path} | bgzip -c > {tmp_path}/r1.recompressed.fastq.gz`, then give the new"
        " file in the sample sheet"
    ]


def test_gzip_name_and_content_disagree(tmp_path: Path) -> None:
    text = record("r1")
    plain_named_gz = write(tmp_path / "a.fastq.gz", text)
    gzip_named_plain = write(tmp_path / "b.fastq", gzip_bytes(text))
    assert check_fastq(plain_named_gz) == [
        f"{plain_named_gz}: the name ends in .gz but the file is not gzip-compressed"
        " (fastp refuses it): make a compressed copy with"
        f" `bgzip -c {plain_named_gz} > {tmp_path}/a.bgzip.fastq.gz`, then give the new file in"
        " the sample sheet"
    ]
    assert check_fastq(gzip_named_plain) == [
        f"{gzip_named_plain}: the file is gzip-compressed but its name does not end in .gz;"
        " fastp would read it as plain text and find no reads: rename it to end in .fastq.gz"
    ]


# ------------------------------------------------------------ FASTQ: broken records


def test_missing_separator_line(tmp_path: Path) -> None:
    path = write(tmp_path / "r.fq", record("r1") + "@r2\nACGT\nIIII\n@r3\n")
    assert check_fastq(path) == [
        f"{path}: line 7 (read 2): expected the '+' separator line, found 'IIII'"
    ]


def test_multi_line_fastq(tmp_path: Path) -> None:
    path = write(tmp_path / "r.fq", "@r1\nACGTACGT\nACGT\n+\nIIIIIIII\nIIII\n")
    assert check_fastq(path) == [
        f"{path}: line 1 (read 1): the sequence continues on the next line (multi-line FASTQ);"
        " fastp reads exactly 4 lines per read and would silently drop reads: make a copy with"
        f" one line per sequence with `samtools import -0 {path} -o - | samtools fastq -o"
        f" {tmp_path}/r.unwrapped.fastq.gz -`, then give the new file in the sample sheet"
    ]


def test_sequence_and_quality_lengths_differ(tmp_path: Path) -> None:
    reads = record("r1") + record("r2", "ACGT", "III") + record("r3", "ACGT", "IIIII")
    path = write(tmp_path / "r.fq", reads)
    assert check_fastq(path) == [
        f"{path}: line 8 (read 2): the quality has 3 characters but the sequence has 4 bases"
        " (and 1 more in the reads checked)"
    ]


def test_non_iupac_bases(tmp_path: Path) -> None:
    path = write(tmp_path / "r.fq", record("r1", "ACGT.ACGT") + record("r2", "ACXT"))
    assert check_fastq(path) == [
        f"{path}: line 2 (read 1): the sequence has '.', which is not an IUPAC base code"
        " (and 1 more in the reads checked)"
    ]


def test_quality_below_phred33(tmp_path: Path) -> None:
    path = write(tmp_path / "r.fq", record("r1", "ACGT", "II I"))
    assert check_fastq(path) == [
        f"{path}: line 4 (read 1): quality character ' ' is outside the Phred+33 range '!'..'~'"
    ]


def test_phred64_qualities(tmp_path: Path) -> None:
    # Illumina 1.5 style: 'B' (Q2) to 'h' (Q40), offset 64.
    reads = record("r1", "ACGTACGT", "hhhhggfB") + record("r2", "ACGTACGT", "hhhh^^YB")
    path = write(tmp_path / "old.fq", reads)
    assert check_fastq(path) == [
        f"{path}: quality scores look like Phred+64 (old Illumina 1.3-1.7): in the first 2 reads"
        " the lowest is 'B' and the highest 'h'; write a Phred+33 copy with"
        f" `zcat -f {path} | perl -pe 'tr/\\x40-\\x7e/\\x21-\\x5f/ if $. % 4 == 0' | gzip -c >"
        f" {tmp_path}/old.phred33.fastq.gz`, then give the new file in the sample sheet"
    ]


def test_high_phred33_qualities_are_not_phred64(tmp_path: Path) -> None:
    path = write(tmp_path / "r.fq", record("r1", "ACGT", "IIJK") + record("r2", "ACGT", "FFFF"))
    assert check_fastq(path) == []


def test_windows_line_endings(tmp_path: Path) -> None:
    path = write(tmp_path / "r.fq", record("r1").replace("\n", "\r\n"))
    assert check_fastq(path) == [
        f"{path}: lines end with CR LF (Windows line endings); write a copy with Unix line"
        f" endings with `zcat -f {path} | tr -d '\\r' | gzip -c > {tmp_path}/r.unix.fastq.gz`,"
        " then give the new file in the sample sheet"
    ]


def test_interleaved_file(tmp_path: Path) -> None:
    reads = record("q1/1") + record("q1/2") + record("q2/1") + record("q2/2")
    path = write(tmp_path / "r.fq", reads)
    assert check_fastq(path) == [
        f"{path}: looks interleaved (reads 1 and 2 are both 'q1/1'): labpipe needs R1 and R2"
        f" in separate files; split it with `zcat -f {path} | awk 'NR % 8 >= 1 && NR % 8 <= 4'"
        f" | gzip -c > {tmp_path}/r.R1.fastq.gz` and `zcat -f {path} | awk 'NR % 8 == 0 ||"
        f" NR % 8 >= 5' | gzip -c > {tmp_path}/r.R2.fastq.gz`, then give the two files in the"
        " sample sheet"
    ]


def test_blank_line_between_reads(tmp_path: Path) -> None:
    path = write(tmp_path / "r.fq", record("r1") + "\n" + record("r2"))
    assert check_fastq(path) == [
        f"{path}: line 5: blank line between reads; fastp reads exactly 4 lines per read:"
        " remove blank lines"
    ]


def test_file_ending_inside_the_first_reads(tmp_path: Path) -> None:
    path = write(tmp_path / "r.fq", record("r1") + "@r2\nACGT\n")
    assert check_fastq(path) == [
        f"{path}: line 5 (read 2): the file ends in the middle of this read; it was cut short:"
        " copy it again"
    ]


@pytest.mark.parametrize("cut", [2, 5, 60, 150, 201])
def test_plain_fastq_cut_short_after_the_checked_reads(tmp_path: Path, cut: int) -> None:
    text = illumina_reads(30)
    path = write(tmp_path / "r.fq", text[:-cut])
    assert check_fastq(path, records=10) == [f"{path}: {LAST_READ_CUT}"]


def test_missing_final_newline_is_harmless(tmp_path: Path) -> None:
    path = write(tmp_path / "r.fq", illumina_reads(30)[:-1])
    assert check_fastq(path, records=10) == []


def test_fastq_cut_short_before_it_was_compressed(tmp_path: Path, big_reads: str) -> None:
    # Judged where the last read's text is known: whole decompression, BGZF's last
    # block, a last member. (Decoded from a deflate tail, it is mostly copies of unknown
    # earlier bytes.)
    cut = big_reads[:-7]
    gzipped = write(tmp_path / "r.fq.gz", gzip_bytes(cut))
    bgzipped = write(tmp_path / "b.fq.gz", bgzf_bytes(cut))
    members = write(tmp_path / "m.fq.gz", gzip_bytes(cut[:-9000]) + gzip_bytes(cut[-9000:]))
    assert check_fastq(gzipped) == [f"{gzipped}: {LAST_READ_CUT}"]
    assert tail_only(bgzipped) == [f"{bgzipped}: {LAST_READ_CUT}"]
    assert tail_only(members) == [f"{members}: {LAST_READ_CUT}"]


def test_last_read_cut_within_the_checked_reads(tmp_path: Path) -> None:
    path = write(tmp_path / "r.fq", illumina_reads(5)[:-3])
    assert check_fastq(path) == [
        f"{path}: line 17 (read 5): the file ends in the middle of this read; it was cut short:"
        " copy it again"
    ]


# ------------------------------------------------------------- gzip integrity


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, 0.99])
def test_truncated_gzip_small_file(tmp_path: Path, keep: float) -> None:
    data = gzip_bytes(illumina_reads(400))
    path = write(tmp_path / "r.fq.gz", data[: int(len(data) * keep)])
    assert check_fastq(path) == [f"{path}: {TRUNCATED}"]


@pytest.mark.parametrize("cut", [1, 4, 8, 9, 12, 100, 5000, 100_000, 300_000])
def test_truncated_gzip_large_file(tmp_path: Path, big_reads: str, cut: int) -> None:
    data = gzip_bytes(big_reads)
    path = write(tmp_path / "r.fq.gz", data[:-cut])
    assert tail_only(path) == [f"{path}: {TRUNCATED}"]


@pytest.mark.parametrize(
    ("level", "strategy"),
    [
        (1, zlib.Z_DEFAULT_STRATEGY),
        (6, zlib.Z_DEFAULT_STRATEGY),
        (6, zlib.Z_FILTERED),
        (6, zlib.Z_HUFFMAN_ONLY),
        (6, zlib.Z_RLE),
        (6, zlib.Z_FIXED),  # no block header to find: decompressed whole, still right
        (0, zlib.Z_DEFAULT_STRATEGY),  # stored blocks, likewise
    ],
)
def test_gzip_writers_large_file_valid_and_truncated(
    tmp_path: Path, big_reads: str, level: int, strategy: int
) -> None:
    data = gzip_bytes(big_reads, level, strategy)
    good = write(tmp_path / "good.fq.gz", data)
    cut = write(tmp_path / "cut.fq.gz", data[:-20])
    assert tail_only(good) == []
    assert tail_only(cut) == [f"{cut}: {TRUNCATED}"]


def test_large_gzip_end_is_checked_without_reading_it_all(
    tmp_path: Path, big_reads: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_whole_read(self: object) -> None:
        raise AssertionError("decompressed the whole file")

    monkeypatch.setattr(check_files.TextStream, "drain", no_whole_read)
    python_text_mode = io.BytesIO()
    with gzip.open(python_text_mode, "wt") as handle:  # flushes, then closes: ends 0000ffff0300
        handle.write(big_reads)
    for name, data in (
        ("zlib.fq.gz", gzip_bytes(big_reads)),
        ("fast.fq.gz", gzip_bytes(big_reads, 1)),
        ("bgzf.fq.gz", bgzf_bytes(big_reads)),
        ("members.fq.gz", gzip_bytes(big_reads) + gzip_bytes(illumina_reads(20, seed=2))),
        ("text_mode.fq.gz", python_text_mode.getvalue()),
    ):
        assert tail_only(write(tmp_path / name, data)) == [], name


def test_flipped_bytes_small_file(tmp_path: Path) -> None:
    data = bytearray(gzip_bytes(illumina_reads(400)))
    middle = bytearray(data)
    middle[len(data) // 2] ^= 0xFF
    crc = bytearray(data)
    crc[-8] ^= 0x01  # the stored CRC itself
    path_middle = write(tmp_path / "m.fq.gz", bytes(middle))
    path_crc = write(tmp_path / "c.fq.gz", bytes(crc))
    assert check_fastq(path_middle) == [f"{path_middle}: {CRC_FAILED}"]
    assert check_fastq(path_crc) == [f"{path_crc}: {CRC_FAILED}"]


def test_flipped_byte_in_the_first_reads_of_a_large_file(tmp_path: Path, big_reads: str) -> None:
    data = bytearray(gzip_bytes(big_reads))
    data[2000] ^= 0xFF
    path = write(tmp_path / "r.fq.gz", bytes(data))
    assert tail_only(path) == [f"{path}: {INVALID_DEFLATE}"]


def test_flipped_byte_mid_large_file_is_not_seen_from_the_tail(
    tmp_path: Path, big_reads: str
) -> None:
    # The documented limit: between the first reads and the last blocks of a large
    # single-member gzip only fastp's own decompression (which stops with an error) sees damage.
    data = bytearray(gzip_bytes(big_reads))
    data[len(data) // 2] ^= 0xFF
    path = write(tmp_path / "r.fq.gz", bytes(data))
    assert tail_only(path) == []
    assert check_fastq(path, full_check_bytes=len(data)) == [f"{path}: {CRC_FAILED}"]


def test_bgzf_truncated_and_damaged(tmp_path: Path, big_reads: str) -> None:
    data = bgzf_bytes(big_reads)
    no_eof = write(tmp_path / "a.fq.gz", data[:-28])  # cut at a block boundary
    mid_block = write(tmp_path / "b.fq.gz", data[:-5000])
    damaged = bytearray(data)
    damaged[-28 - 100] ^= 0xFF  # inside the last data block
    last_block = write(tmp_path / "c.fq.gz", bytes(damaged))
    missing_eof = (
        "the file is truncated: the BGZF end-of-file marker is missing (an interrupted copy or"
        " a full disk?); copy the file again from the run"
    )
    assert tail_only(no_eof) == [f"{no_eof}: {missing_eof}"]
    assert tail_only(mid_block) == [f"{mid_block}: {missing_eof}"]
    assert tail_only(last_block) == [
        f"{last_block}: the gzip data is corrupt (CRC check failed in its last BGZF block); copy"
        " the file again and compare its checksum (md5sum) with the original"
    ]


def test_multi_member_last_member_damaged_or_cut(tmp_path: Path, big_reads: str) -> None:
    last = gzip_bytes(illumina_reads(300, seed=3))
    data = gzip_bytes(big_reads) + last
    cut = write(tmp_path / "cut.fq.gz", data[: -len(last) // 2])
    crc = bytearray(data)
    crc[-7] ^= 0x01
    bad_crc = write(tmp_path / "crc.fq.gz", bytes(crc))
    assert tail_only(cut) == [f"{cut}: {TRUNCATED}"]
    assert tail_only(bad_crc) == [f"{bad_crc}: {CRC_FAILED}"]


def test_small_last_member_damaged_or_cut_after_a_good_one(tmp_path: Path) -> None:
    first, last = gzip_bytes(illumina_reads(100)), gzip_bytes(illumina_reads(100, seed=4))
    damaged = bytearray(last)
    damaged[len(last) // 2] ^= 0xFF
    bad = write(tmp_path / "bad.fq.gz", first + bytes(damaged))
    cut = write(tmp_path / "cut.fq.gz", first + last[:-100])
    # records=10: the first reads do not reach the second member; the tail check must.
    assert check_fastq(bad, records=10, full_check_bytes=0) == [f"{bad}: {INVALID_DEFLATE}"]
    assert check_fastq(cut, records=10, full_check_bytes=0) == [f"{cut}: {TRUNCATED}"]


def test_bytes_after_the_gzip_data(tmp_path: Path, big_reads: str) -> None:
    small = write(tmp_path / "s.fq.gz", gzip_bytes(illumina_reads(50)) + bytes(10))
    large = write(tmp_path / "l.fq.gz", gzip_bytes(big_reads) + gzip_bytes("@x\n") + b"junk")

    def fix(path: Path) -> str:
        copy = path.with_name(path.name.replace(".fq.gz", ".recompressed.fq.gz"))
        return (
            f"(fastp stops at them): recompress it into a new file with `zcat {path} | bgzip -c"
            f" > {copy}`, then give the new file in the sample sheet"
        )

    assert check_fastq(small) == [
        f"{small}: 10 bytes after the end of the gzip data are not gzip {fix(small)}"
    ]
    assert tail_only(large) == [
        f"{large}: 4 bytes after the end of the gzip data are not gzip {fix(large)}"
    ]


# ------------------------------------------------------------------- FASTQ pairs


def test_good_pairs_illumina_and_dnbseq(tmp_path: Path) -> None:
    r1 = write(tmp_path / "a_R1.fq", illumina_reads(20, mate=1))
    r2 = write(tmp_path / "a_R2.fq", illumina_reads(20, mate=2, seed=2))
    d1 = write(
        tmp_path / "d_1.fq",
        "".join(record(f"V350012345L2C001R00100000{i:02d}/1") for i in range(9)),
    )
    d2 = write(
        tmp_path / "d_2.fq",
        "".join(record(f"V350012345L2C001R00100000{i:02d}/2", "TTTT") for i in range(9)),
    )
    assert check_fastq_pair(r1, r2) == []
    assert check_fastq_pair(d1, d2) == []


def test_pair_is_the_same_file(tmp_path: Path) -> None:
    r1 = write(tmp_path / "r1.fq", record("x"))
    link = tmp_path / "r2.fq"
    link.symlink_to(r1)
    assert check_fastq_pair(r1, link) == [f"{r1} and {link} are the same file: give R2 as fq2"]


def test_pair_with_identical_content(tmp_path: Path) -> None:
    r1 = write(tmp_path / "r1.fq.gz", gzip_bytes(illumina_reads(10)))
    r2 = tmp_path / "r2.fq.gz"
    shutil.copy(r1, r2)
    assert check_fastq_pair(r1, r2) == [
        f"{r1} and {r2} start with the same read: R2 is a copy of R1; give the R2 file as fq2"
    ]


def test_pair_in_another_order(tmp_path: Path) -> None:
    names = [f"q{i}" for i in range(6)]
    r1 = write(tmp_path / "r1.fq", "".join(record(f"{n}/1") for n in names))
    swapped = [*names[:2], names[3], names[2], *names[4:]]
    r2 = write(tmp_path / "r2.fq", "".join(record(f"{n}/2", "TTTT") for n in swapped))
    assert check_fastq_pair(r1, r2) == [
        f"{r1} and {r2}: read 3 does not pair: R1 line 9 is 'q2/1', R2 line 9 is 'q3/2';"
        " R2 holds the same reads in another order (sorted or shuffled?); re-pair them,"
        " e.g. with BBTools repair.sh"
    ]


def test_pair_from_different_runs(tmp_path: Path) -> None:
    r1 = write(tmp_path / "r1.fq", record("runA:1 1:N:0:1") + record("runA:2 1:N:0:1"))
    r2 = write(tmp_path / "r2.fq", record("runA:1 2:N:0:1", "TT") + record("runB:7 2:N:0:1"))
    assert check_fastq_pair(r1, r2) == [
        f"{r1} and {r2}: read 2 does not pair: R1 line 5 is 'runA:2', R2 line 5 is 'runB:7';"
        " the files hold different reads (filtered separately, or from different runs or"
        " samples?); check the sample sheet"
    ]


def test_pair_where_one_file_ends_early(tmp_path: Path) -> None:
    r1 = write(tmp_path / "r1.fq", illumina_reads(10, mate=1))
    r2 = write(tmp_path / "r2.fq", illumina_reads(7, mate=2, seed=2))
    assert check_fastq_pair(r1, r2) == [
        f"{r2} ends after 7 reads but {r1} has more: R1 and R2 must hold the same reads"
        " (is one of them cut short, or from another run?)"
    ]


def test_pair_problems_of_each_file_are_kept(tmp_path: Path) -> None:
    r1 = write(tmp_path / "r1.fq", illumina_reads(3))
    r2 = tmp_path / "missing_R2.fq"
    assert check_fastq_pair(r1, r2) == [f"{r2}: the file does not exist"]


# --------------------------------------------------------------------- reference


def fasta(path: Path, text: str) -> Path:
    return write(path, text)


def test_reference_missing_empty_and_not_fasta(tmp_path: Path) -> None:
    missing = tmp_path / "ref.fa"
    empty = write(tmp_path / "empty.fa", b"")
    reads = write(tmp_path / "reads.fa", record("r1"))
    other = write(tmp_path / "other.fa", "chr1\t100\n")
    assert check_reference(missing) == [f"reference FASTA {missing} does not exist"]
    assert check_reference(empty) == [f"{empty}: the reference FASTA is empty (0 bytes)"]
    assert check_reference(reads) == [
        f"{reads}: looks like FASTQ reads (line 1 starts with '@'), not a reference FASTA"
    ]
    assert check_reference(other) == [
        f"{other}: not a FASTA file: line 1 should start with '>' but is 'chr1\\t100'"
    ]


def test_reference_compressed_with_plain_gzip(tmp_path: Path) -> None:
    path = write(tmp_path / "ref.fa.gz", gzip_bytes(">1\nACGT\n"))
    assert check_reference(path) == [
        f"{path}: compressed with plain gzip; samtools and bcftools need the reference"
        " uncompressed or compressed with bgzip: make a bgzip copy with"
        f" `zcat {path} | bgzip -c > {tmp_path}/ref.bgzip.fa.gz`, then set reference.fasta to it"
        " and run `labpipe reference prepare` on it"
    ]


def test_duplicate_and_unnamed_contigs_without_index(tmp_path: Path) -> None:
    path = fasta(tmp_path / "ref.fa", ">1 first\nACGT\nAC\n>2\nGG\n>\nTT\n> 3\nA\n>1\nCCCC\n")
    assert check_reference(path) == [
        f"{path}: line 6: a sequence has no name after '>'; name it",
        f"{path}: line 8: the name '3' follows a space after '>'; bwa and samtools would name"
        " it differently: remove the space",
        f"{path}: line 10: contig name '1' is used again (first on line 1); samtools would"
        " silently drop this sequence: rename or remove it",
    ]


def test_duplicate_contig_hidden_by_samtools_index(tmp_path: Path) -> None:
    path = fasta(tmp_path / "ref.fa", ">a\nACGT\n>b\nAC\n>a\nGGGG\n>c\nTT\n")
    pysam.faidx(str(path))  # warns "Ignoring duplicate sequence" and leaves it out
    assert check_reference(path) == [
        f"{path}: the sequence 'a' at byte 14 is not in ref.fa.fai (a duplicate name that"
        f" samtools dropped?); rename or remove it, then delete ref.fa.fai and run"
        f" `labpipe reference prepare {path}`"
    ]


def test_index_out_of_date(tmp_path: Path) -> None:
    path = fasta(tmp_path / "ref.fa", ">chr1\nACGTACGT\n>chr2\nACGT\n")
    pysam.faidx(str(path))
    path.write_text(">chr1\nACGTACGTACGT\n>chr2\nACGT\n")
    assert check_reference(path) == [
        f"{path}.fai does not match {path}: the index puts 'chr2' at byte 21, where the FASTA"
        " has no header line (the FASTA changed after it was indexed?); delete ref.fa.fai and"
        f" run `labpipe reference prepare {path}` (and rebuild the bwa index)"
    ]


def test_index_short_of_the_last_sequence(tmp_path: Path) -> None:
    path = fasta(tmp_path / "ref.fa", ">chr1\nACGT\n")
    pysam.faidx(str(path))
    path.write_text(">chr1\nACGT\nACGT\n")
    assert check_reference(path) == [
        f"{path}.fai does not match {path}: the FASTA has bases at byte 11 that the index does"
        f" not count (the FASTA changed after it was indexed?); delete ref.fa.fai and run"
        f" `labpipe reference prepare {path}` (and rebuild the bwa index)"
    ]


def test_indexed_reference_with_unnamed_spaced_and_long_headers(tmp_path: Path) -> None:
    description = "x" * 10_000  # longer than one look back from a .fai offset
    path = fasta(tmp_path / "ref.fa", f">\nACGT\n> foo\nAC\n>chr1 {description}\nACGT\n")
    pysam.faidx(str(path))
    assert check_reference(path) == [
        f"{path}: byte 0: a sequence has no name after '>'; name it",
        f"{path}: byte 7: the name 'foo' follows a space after '>'; bwa and samtools would name"
        " it differently: remove the space",
    ]


def test_malformed_index(tmp_path: Path) -> None:
    path = fasta(tmp_path / "ref.fa", ">chr1\nACGT\n")
    write(tmp_path / "ref.fa.fai", "chr1\t4\n")
    assert check_reference(path) == [
        f"{path}.fai: line 1 is not a FASTA index line; delete ref.fa.fai and run"
        f" `labpipe reference prepare {path}`"
    ]


def test_reference_with_good_index_plain_and_bgzip(tmp_path: Path) -> None:
    text = ">chr1 desc\n" + "ACGT" * 40 + "\n\n>chr2\r\nAC\r\nG\r\n>chrM\n" + "A" * 61 + "\n"
    plain = fasta(tmp_path / "ref.fa", text)
    packed = write(tmp_path / "ref.fa.gz", bgzf_bytes(text, block=50))
    assert check_reference(plain) == []
    assert check_reference(packed) == []
    expected = {"chr1": 160, "chr2": 3, "chrM": 61}
    assert reference_contigs(plain) == expected  # read from the FASTA
    assert reference_contigs(packed) == expected
    pysam.faidx(str(plain))
    pysam.faidx(str(packed))
    assert check_reference(plain) == []
    assert check_reference(packed) == []
    assert reference_contigs(plain) == expected  # read from the .fai
    assert reference_contigs(packed) == expected


# ---------------------------------------------------------------- GFF3 and targets


GFF3_HEADER = "##gff-version 3\n##sequence-region chr1 1 1000\n"


def gff3_line(contig: str, kind: str = "gene", start: int = 10, end: int = 90) -> str:
    return f"{contig}\ttest\t{kind}\t{start}\t{end}\t.\t+\t.\tID={kind}:{contig}{start}\n"


def test_gff3_with_reference_contigs(tmp_path: Path) -> None:
    text = GFF3_HEADER + gff3_line("1") + "###\n" + gff3_line("2") + "##FASTA\n>x\nACGT\n"
    plain = write(tmp_path / "a.gff3", text)
    packed = write(tmp_path / "a.gff3.gz", bgzf_bytes(text))
    assert check_gff3_contigs(plain, {"1": 1000, "2": 1000}) == []
    assert check_gff3_contigs(packed, {"1": 1000, "2": 1000}) == []


def test_gff3_chr_prefix_mitochondrion_and_unknown_contigs(tmp_path: Path) -> None:
    text = GFF3_HEADER + gff3_line("chr1") + gff3_line("chr1", "exon") + gff3_line("chrM")
    text += gff3_line("KI270728.1")
    path = write(tmp_path / "a.gff3", text)
    problems = check_gff3_contigs(path, {"1": 1000, "MT": 16569})
    assert problems[-1].startswith(
        f"{path}: bcftools csq needs the GFF3's contig names to be the reference's"
    )
    assert problems[:-1] == [
        f"{path}: line 3: the GFF3 features use 'chr1', the reference uses '1': rename the"
        " contigs (chr-prefix mismatch)",
        f"{path}: line 5: the GFF3 features use 'chrM', the reference uses 'MT': rename the"
        " contigs (mitochondrion naming mismatch)",
        f"{path}: line 6: contig 'KI270728.1' is not in the reference",
    ]


def test_gtf_given_as_gff3(tmp_path: Path) -> None:
    line = '1\tensembl\tgene\t10\t90\t.\t+\t.\tgene_id "G1"; gene_name "A";\n'
    path = write(tmp_path / "a.gtf", "#!genome-build GRCh38\n" + line)
    assert check_gff3_contigs(path, {"1": 1000}) == [
        f'{path}: line 2: this is GTF (attributes written gene_id "..."), not GFF3: give the'
        " GFF3 file of the same annotation release"
    ]


def test_gff3_malformed_lines(tmp_path: Path) -> None:
    text = GFF3_HEADER + gff3_line("1") + "1 test gene 10 20 . + . ID=x\n" + "1\ttest\tgene\n"
    path = write(tmp_path / "a.gff3", text)
    assert check_gff3_contigs(path, {"1": 1000}) == [
        f"{path}: line 4: expected 9 tab-separated columns, found 1",
        f"{path}: line 5: expected 9 tab-separated columns, found 3",
    ]


def test_gff3_missing_empty_and_truncated(tmp_path: Path) -> None:
    missing = tmp_path / "none.gff3"
    empty = write(tmp_path / "empty.gff3", GFF3_HEADER)
    data = gzip_bytes(GFF3_HEADER + gff3_line("1") * 500)
    cut = write(tmp_path / "cut.gff3.gz", data[:-30])
    assert check_gff3_contigs(missing, {}) == [f"{missing}: the GFF3 file does not exist"]
    assert check_gff3_contigs(empty, {}) == [f"{empty}: the GFF3 file has no feature lines"]
    assert check_gff3_contigs(cut, {"1": 100}) == [f"{cut}: {TRUNCATED}"]


def test_targets_chr_prefix_mismatch_and_bad_lines(tmp_path: Path) -> None:
    bed = write(tmp_path / "t.bed", "chr1\t10\t20\n1\t30\n")
    assert check_targets(bed, {"1": 1000}) == [
        f"{bed}: line 2: 2 column(s); a BED line needs contig, start, end separated by tabs",
        f"{bed}: line 1: targets use 'chr1', the reference uses '1': rename the contigs"
        " (chr-prefix mismatch)",
    ]


def test_targets_missing_empty_and_misnamed(tmp_path: Path) -> None:
    missing = tmp_path / "none.bed"
    empty = write(tmp_path / "e.bed.gz", bgzf_block(b""))
    misnamed = write(tmp_path / "t.bed", gzip_bytes("1\t1\t5\n"))
    assert check_targets(missing, None) == [f"{missing}: the targets BED does not exist"]
    assert check_targets(empty, None) == [f"{empty}: the BED file has no regions"]
    assert check_targets(misnamed, None) == [
        f"{misnamed}: the file is gzip-compressed but its name does not end in .gz"
    ]


# ------------------------------------------------------------------------ together


def test_check_inputs_names_the_sample_of_each_fastq_problem(tmp_path: Path) -> None:
    for name in ("a_R1.fq", "a_R2.fq"):
        write(tmp_path / name, illumina_reads(5, mate=1 if "R1" in name else 2))
    write(tmp_path / "b_R1.fq", illumina_reads(5))
    write(tmp_path / "b_R2.fq", illumina_reads(5, mate=2)[:-3])
    sheet = write(
        tmp_path / "samples.tsv",
        "sample\tunit\tfq1\tfq2\nA\tL1\ta_R1.fq\ta_R2.fq\nB\tL1\tb_R1.fq\tb_R2.fq\n",
    )
    reference = fasta(tmp_path / "ref.fa", ">1\nACGT\n")
    units = load_sample_sheet(sheet)
    assert check_inputs(units, reference) == [
        f"sample B unit L1 (sheet line 3): {tmp_path / 'b_R2.fq'}: line 17 (read 5): the file"
        " ends in the middle of this read; it was cut short: copy it again"
    ]
