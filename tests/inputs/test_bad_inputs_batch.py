"""Classes found by the independent batch of bad inputs (benchmarks/bad_inputs_batch.md).

Each test drives the real CLI on a small lab and asserts what the user reads: the exit code,
the message, and that no traceback is printed.
"""

from __future__ import annotations

import fcntl
import gzip
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from labpipe.config.samplesheet import patient_fields
from labpipe.core.errors import RunError
from labpipe.run.runner import _exclusive
from tests.builders import run_cli as cli

needs_tools = pytest.mark.skipif(
    not (shutil.which("bwa") and shutil.which("samtools")),
    reason="needs bwa and samtools",
)


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code, out, err = cli(args, capsys)
    assert "Traceback" not in out + err
    return code, out, err


def with_config_lines(lab: Path, lines: str) -> Path:
    """The lab's config with ``lines`` added at its end."""
    config = lab / "lab.yaml"
    config.write_text(config.read_text() + lines)
    return config


@needs_tools
@pytest.mark.parametrize("index", [".bwt", ".fai", ".sa"])
def test_index_cut_short_after_prepare_is_refused_then_rebuilt(
    lab: Path, capsys: pytest.CaptureFixture[str], index: str
) -> None:
    """A killed copy or prepare leaves an index file shorter than the one stamped."""
    fasta = lab / "ref.fa"
    assert run_cli(["reference", "prepare", str(fasta)], capsys)[0] == 0
    damaged = Path(f"{fasta}{index}")
    whole = damaged.read_bytes()
    damaged.write_bytes(whole[: len(whole) // 3])
    code, _, err = run_cli(["validate", str(lab / "lab.yaml")], capsys)
    assert code == 1
    assert f"ref.fa{index} is {len(whole) // 3} bytes, {len(whole)} when it was built" in err
    assert f"rerun `labpipe reference prepare {fasta}`" in err
    code, out, _ = run_cli(["reference", "prepare", str(fasta)], capsys)
    assert code == 0
    assert f"indexes rebuilt: ref.fa{index} is" in out
    assert damaged.read_bytes() == whole
    assert run_cli(["validate", str(lab / "lab.yaml")], capsys)[0] == 0


@pytest.mark.parametrize(
    ("name", "said"),
    [("chr3,alt<1>", "',', '<', '>'"), ("*chrUn", "'*' first"), ("HLA[A]", "'[', ']'")],
)
def test_contig_name_sam_and_vcf_cannot_hold_is_refused(
    lab: Path, capsys: pytest.CaptureFixture[str], name: str, said: str
) -> None:
    """Refused by prepare (nothing built) and by validate, naming the characters."""
    fasta = lab / "ref.fa"
    fasta.write_text(fasta.read_text() + f">{name}\nACGTACGT\n")
    expected = f"contig name '{name}' has {said}, which SAM and VCF do not allow"
    code, _, err = run_cli(["reference", "prepare", str(fasta)], capsys)
    assert code == 1
    assert expected in err
    assert not Path(f"{fasta}.fai").exists()
    code, _, err = run_cli(["validate", str(lab / "lab.yaml")], capsys)
    assert code == 1
    assert expected in err


@pytest.mark.parametrize(
    ("mate1", "mate2", "said"),
    [
        ("@V350012345L1C001R0010000001/2", "@V350012345L1C001R0010000001/1", "holds read 2"),
        ("@A00123:8:H7K:1:1101:1:2 2:N:0:ACGT", "@A00123:8:H7K:1:1101:1:2 1:N:0:ACGT", "read 2"),
        ("@A00123:8:H7K:1:1101:1:2 1:N:0:ACGT", "@A00123:8:H7K:1:1101:1:2 1:N:0:ACGT", "both"),
    ],
    ids=["mgi-swapped", "illumina-swapped", "illumina-both-read-1"],
)
def test_read_names_that_contradict_the_columns_are_named(
    lab: Path, capsys: pytest.CaptureFixture[str], mate1: str, mate2: str, said: str
) -> None:
    for path, name, bases in (
        (lab / "S1_R1.fastq.gz", mate1, "ACGT"),
        (lab / "S1_R2.fastq.gz", mate2, "TTGA"),
    ):
        with gzip.open(path, "wt") as handle:
            handle.write(f"{name}\n{bases}\n+\nIIII\n")
    code, _, err = run_cli(["validate", str(lab / "lab.yaml")], capsys)
    assert code == 1
    assert "sample S1 unit L1 (sheet line 2)" in err
    assert said in err
    assert f"'{mate1}' in fq1, '{mate2}' in fq2" in err


def test_sheet_from_a_spreadsheet_trailing_tabs_bom_and_patient_fields(
    lab: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Trailing empty cells are no extra column; the patient reader reads a BOM sheet too."""

    sheet = lab / "samples.tsv"
    sheet.write_text(
        "\ufeffsample\tunit\tfq1\tfq2\treferral_reason\t\t\r\n"
        "S1\tL1\tS1_R1.fastq.gz\tS1_R2.fastq.gz\tdeafness\t\t\r\n\t\t\r\n",
        newline="",
    )
    code, out, _ = run_cli(["validate", str(lab / "lab.yaml")], capsys)
    assert code == 0, out
    assert patient_fields(sheet) == {"S1": {"referral_reason": "deafness"}}
    sheet.write_text("sample\tunit\tfq1\tfq2\nS1\tL1\tS1_R1.fastq.gz\tS1_R2.fastq.gz\tdeafness\n")
    code, _, err = run_cli(["validate", str(lab / "lab.yaml")], capsys)
    assert code == 2
    assert "line 2: 5 columns, the header has 4" in err  # a filled extra cell still is one


def test_config_tab_says_it_is_a_tab(lab: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = lab / "lab.yaml"
    config.write_text(config.read_text().replace("  name: Test", "\tname: Test"))
    code, _, err = run_cli(["validate", str(config)], capsys)
    assert code == 2
    assert f"{config} line 2: not valid YAML" in err
    assert "that is a tab character: YAML needs spaces there" in err


def test_bed_header_line_and_space_separated_bed(
    lab: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bed = lab / "targets.bed"
    config = with_config_lines(lab, "targets: targets.bed\n")
    bed.write_text("track name=panel\nchrom\tstart\tend\nchr1\t10\t50\n")
    code, _, err = run_cli(["validate", str(config)], capsys)
    assert code == 1
    assert f"{bed}: line 2: 'chrom\\tstart\\tend' looks like a column header" in err
    assert "remove the line or start it with '#'" in err
    bed.write_text("".join(f"chr1 {i} {i + 5}\n" for i in range(100)))
    code, _, err = run_cli(["validate", str(config)], capsys)
    assert code == 1
    assert f"{bed}: line 1: 1 column(s)" in err
    assert "separated by tabs (this one uses spaces)" in err
    assert "... and 80 more" in err  # a whole exome written with spaces is not listed whole
    assert f"{bed}: line 21:" not in err


@pytest.mark.skipif(not shutil.which("bcftools"), reason="needs bcftools")
def test_evaluate_folder_given_and_contigs_named_another_way(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fasta = tmp_path / "ref.fa"
    fasta.write_text(">chr1\n" + "ACGT" * 50 + "\n")
    vcf = (
        "##fileformat=VCFv4.2\n##contig=<ID={c},length=200>\n"
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n"
        "{c}\t2\t.\tC\tT\t50\tPASS\t.\tGT\t0/1\n"
    )
    calls, truth = tmp_path / "calls.vcf", tmp_path / "truth.vcf"
    calls.write_text(vcf.format(c="chr1"))
    truth.write_text(vcf.format(c="1"))
    args = ["evaluate", "-r", str(fasta), "-o", str(tmp_path / "ev")]
    code, _, err = run_cli([*args, "-t", str(calls), "--calls", str(tmp_path)], capsys)
    assert code == 1
    assert f"{tmp_path}: is a folder; give the calls VCF file itself" in err
    code, _, err = run_cli([*args, "-t", str(truth), "--calls", str(calls)], capsys)
    assert code == 1
    assert f"{truth}: the truth VCF names contigs that {fasta} does not have" in err
    assert "its records use '1', the reference uses 'chr1'" in err


def test_lock_held_by_the_steps_of_a_killed_labpipe_says_so(tmp_path: Path) -> None:
    """labpipe killed with SIGKILL: its Snakemake (own session) goes on holding the lock."""

    lock = tmp_path / ".labpipe.lock"
    dead = subprocess.Popen(["true"])  # a pid that has ended
    dead.wait()
    lock.write_text(f"pid {dead.pid}, started 2026-12-07 10:00:00\n")
    with open(lock) as holder:  # the steps still running hold the lock
        fcntl.flock(holder, fcntl.LOCK_EX)
        with pytest.raises(RunError) as raised, _exclusive(lock, tmp_path):
            pass
    message = str(raised.value)
    assert f"already using {tmp_path} (pid {dead.pid}, started 2026-12-07 10:00:00)" in message
    assert "that labpipe has ended, but the steps it started are still running" in message


def test_gff3_with_a_byte_order_mark_is_named_with_a_fix_that_works(
    lab: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """CRLF alone is read by bcftools csq and labpipe alike; a BOM breaks the first line."""

    gff3 = lab / "genes.gff3"
    text = "##gff-version 3\nchr1\t.\tgene\t1\t100\t.\t+\t.\tID=gene:G1;Name=G1\n"
    gff3.write_text("\ufeff" + text.replace("\n", "\r\n"), newline="")
    config = with_config_lines(lab, "annotation:\n  gff3: genes.gff3\n")
    code, _, err = run_cli(["validate", str(config)], capsys)
    assert code == 1
    assert f"{gff3}: starts with a byte-order mark" in err
    command = re.search(r"`([^`]*nobom[^`]*)`", err)
    assert command is not None
    subprocess.run(["bash", "-c", command.group(1)], check=True)
    config.write_text(config.read_text().replace("genes.gff3", "genes.nobom.gff3"))
    code, out, _ = run_cli(["validate", str(config)], capsys)
    assert code == 0, out
    gff3.write_text(text.replace("\n", "\r\n"), newline="")  # CRLF without a BOM: accepted
    config.write_text(config.read_text().replace("genes.nobom.gff3", "genes.gff3"))
    assert run_cli(["validate", str(config)], capsys)[0] == 0
