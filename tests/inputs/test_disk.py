"""Disk space estimate, output folder checks, and the messages for OS and format errors."""

from __future__ import annotations

import errno
import gzip
from pathlib import Path
from types import SimpleNamespace

import pysam
import pytest

from labpipe.config.samplesheet import Unit
from labpipe.core.errors import InputFormatError, RunError, from_os_or_format_error
from labpipe.inputs.disk import (
    FINAL_BAM_PER_FASTQ_GZ,
    FIXED_BYTES,
    IN_FLIGHT_PER_FASTQ_GZ,
    PER_SAMPLE_BYTES,
    SpaceEstimate,
    estimate_space,
    human,
    mount_point,
    out_of_space_problems,
    output_folder_problems,
    require_space,
)


def _unit(tmp_path: Path, sample: str, unit: str, size: int) -> Unit:
    """A unit with only what the estimate reads (the sheet's other columns do not matter)."""
    fq1, fq2 = tmp_path / f"{sample}.{unit}_1.fq.gz", tmp_path / f"{sample}.{unit}_2.fq.gz"
    for fq in (fq1, fq2):
        fq.write_bytes(b"\0" * size)
    return SimpleNamespace(sample=sample, unit=unit, fq1=fq1, fq2=fq2)  # type: ignore[return-value]


def test_estimate_counts_final_bams_and_the_samples_aligned_at_once(tmp_path: Path) -> None:
    units = [
        _unit(tmp_path, "A", "L1", 1000),
        _unit(tmp_path, "A", "L2", 1000),
        _unit(tmp_path, "B", "L1", 3000),
        _unit(tmp_path, "C", "L1", 500),
    ]
    # 8 cores, 4 threads a job: two samples align side by side (the largest two count).
    estimate = estimate_space(units, tmp_path / "out", cores=8, threads=4)
    fastq = {"A": 4000, "B": 6000, "C": 1000}
    expected = (
        FINAL_BAM_PER_FASTQ_GZ * 11000
        + IN_FLIGHT_PER_FASTQ_GZ * (fastq["B"] + fastq["A"])
        + 3 * PER_SAMPLE_BYTES
        + FIXED_BYTES
    )
    assert estimate.needed == pytest.approx(expected, abs=1)
    assert (estimate.fastq_bytes, estimate.samples_to_align) == (11000, 3)
    assert estimate.folder == tmp_path  # the output folder is yet to be made
    assert estimate.mount == mount_point(tmp_path)


def test_estimate_leaves_out_samples_already_aligned(tmp_path: Path) -> None:
    units = [_unit(tmp_path, "A", "L1", 1000), _unit(tmp_path, "B", "L1", 1000)]
    (tmp_path / "out" / "results" / "bam").mkdir(parents=True)
    (tmp_path / "out" / "results" / "bam" / "A.bam").write_bytes(b"x")
    estimate = estimate_space(units, tmp_path / "out", cores=2, threads=2)
    assert (estimate.fastq_bytes, estimate.samples_to_align) == (2000, 1)


def test_too_little_space_says_the_numbers_and_the_override(tmp_path: Path) -> None:
    estimate = SpaceEstimate(
        needed=250_000_000_000,
        free=12_300_000_000,
        fastq_bytes=100_000_000_000,
        folder=tmp_path,
        mount=Path("/data"),
        samples_to_align=8,
    )
    with pytest.raises(RunError) as raised:
        require_space(estimate, tmp_path / "run1")
    message = raised.value.render()
    assert (
        f"not enough disk space for this run in {tmp_path / 'run1'}: it needs about 250.0 GB, "
        "and the file system mounted at /data has 12.3 GB free"
    ) in message
    assert "100.0 GB of gzipped FASTQ of 8 sample(s) still to align" in message
    assert "--no-space-check" in message
    require_space(SpaceEstimate(10, 10, 0, tmp_path, tmp_path, 0), tmp_path)


def test_human_sizes() -> None:
    assert [human(n) for n in (512, 1500, 2_500_000, 7_100_000_000)] == [
        "512 B",
        "1.5 kB",
        "2.5 MB",
        "7.1 GB",
    ]


def test_output_folder_problems(tmp_path: Path) -> None:
    assert output_folder_problems(tmp_path) == []
    assert output_folder_problems(tmp_path / "new" / "deeper") == []
    (tmp_path / "file").write_text("x")
    assert output_folder_problems(tmp_path / "file" / "out") == [
        f"output folder {tmp_path / 'file' / 'out'}: {tmp_path / 'file'} is a file, not a folder"
    ]


def test_out_of_space_found_in_a_log(tmp_path: Path) -> None:
    quiet, telling = tmp_path / "a.log", tmp_path / "b.log"
    quiet.write_text("[bam_sort_core] merging\n")
    telling.write_text("[E::bgzf_flush] File write failed: No space left on device\n")
    assert out_of_space_problems(tmp_path, [quiet]) == []  # /tmp is not full
    (problem,) = out_of_space_problems(tmp_path, [quiet, telling, tmp_path / "missing.log"])
    assert problem.startswith(f"no space left on device ({telling} says so): the file system")


@pytest.mark.parametrize(
    ("error", "kind", "text"),
    [
        (
            OSError(errno.ENOSPC, "No space left on device", "/r/x.tsv"),
            RunError,
            "no space left on device while writing /r/x.tsv; free space and run the same "
            "command again",
        ),
        (
            OSError(errno.ENOSPC, "No space left on device"),
            RunError,
            "no space left on device; free space",
        ),
        (
            OSError(errno.EROFS, "Read-only file system", "/r"),
            RunError,
            "cannot write /r: Read-only file system; choose a folder you can write to",
        ),
        (
            PermissionError(errno.EACCES, "Permission denied", "/r"),
            RunError,
            "cannot write /r: Permission denied",
        ),
        (
            FileNotFoundError(errno.ENOENT, "No such file or directory", "/in.vcf"),
            InputFormatError,
            "/in.vcf: No such file or directory",
        ),
        (
            OSError("error when opening file `genome.fa`"),
            InputFormatError,
            "a file could not be read (error when opening file `genome.fa`)",
        ),
        (
            gzip.BadGzipFile("Not a gzipped file (b'ab')"),
            InputFormatError,
            "a compressed input is corrupt or cut short (Not a gzipped file (b'ab'))",
        ),
        (
            EOFError("Compressed file ended before the end-of-stream marker was reached"),
            InputFormatError,
            "a compressed input is corrupt or cut short",
        ),
    ],
)
def test_expected_os_and_format_errors_become_messages(
    error: BaseException, kind: type, text: str
) -> None:
    message = from_os_or_format_error(error)
    assert isinstance(message, kind)
    assert text in message.render()


def test_not_text_becomes_a_message() -> None:
    try:
        b"\xff\xfe".decode("utf-8")
    except UnicodeDecodeError as error:
        message = from_os_or_format_error(error)
    assert isinstance(message, InputFormatError)
    assert "an input file is not text (byte 0: invalid start byte)" in message.render()


def test_value_error_from_pysam_is_a_message_others_are_bugs(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a VCF\n")
    pysam.set_verbosity(0)
    with pytest.raises(ValueError) as from_pysam:
        pysam.VariantFile(str(text))
    message = from_os_or_format_error(from_pysam.value)
    assert isinstance(message, InputFormatError)
    assert str(text) in message.render()
    with pytest.raises(ValueError) as ours:
        int("x")
    assert from_os_or_format_error(ours.value) is None
    assert from_os_or_format_error(KeyError("bug")) is None
