"""Inputs that are almost right, and results that follow their inputs (issue 11, items 5-6).

Each case goes through the real CLI (``labpipe.cli.main``, or a subprocess for
workflow runs) and asserts what the user reads: the exit code, the message, and
that no traceback is printed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from labpipe.core.resources import demo_data_dir
from labpipe.demo import prepare_demo
from tests.builders import LABPIPE, mgi_run
from tests.builders import run_cli as cli

needs_tools = pytest.mark.skipif(
    not (shutil.which("bwa") and shutil.which("samtools") and shutil.which("bcftools")),
    reason="needs bwa, samtools and bcftools",
)


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code, out, err = cli(args, capsys)
    assert "Traceback" not in out + err
    return code, out, err


SEQUENCE = "ACGT" * 50  # as long as the reference of test_cli's `lab`


# --- reference prepare: the checks validate makes, indexes tied to their FASTA -------------------


@needs_tools
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            f">chr1\n{SEQUENCE}\n>chr2\n{SEQUENCE}\n>chr1 again\nACGT\n",
            [
                "line 5: contig name 'chr1' is used again (first on line 1); samtools would"
                " silently drop this sequence: rename or remove it"
            ],
        ),
        (
            f"> chr1\n{SEQUENCE}\n>\n{SEQUENCE}\n",
            [
                "line 1: the name 'chr1' follows a space after '>'",
                "line 3: a sequence has no name after '>'; name it",
            ],
        ),
    ],
    ids=["duplicate-contigs", "unnamed-and-spaced"],
)
def test_reference_prepare_refuses_what_validate_refuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, expected: list[str]
) -> None:
    fasta = tmp_path / "ref.fa"
    fasta.write_text(text)
    code, out, err = run_cli(["reference", "prepare", str(fasta)], capsys)
    assert code == 1
    assert "built" not in out
    for message in expected:
        assert f"{fasta}: {message}" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ref.fa"]  # nothing half-built


@needs_tools
def test_fasta_edited_after_prepare_is_refused_by_validate_and_run(
    lab: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fasta = lab / "ref.fa"
    code, out, _ = run_cli(["reference", "prepare", str(fasta)], capsys)
    assert code == 0
    assert "stamp: ref.fa.labpipe-index.json ties the indexes to this FASTA" in out
    assert run_cli(["validate", str(lab / "lab.yaml")], capsys)[0] == 0

    # Same size, same names, other bases: the .fai still matches, the calls would not.
    fasta.write_text(f">chr1\n{SEQUENCE[::-1]}\n")
    expected = (
        f"reference {fasta} changed after its indexes were built (its content differs from the"
        " one recorded in ref.fa.labpipe-index.json): the .fai and bwa index describe the old"
        f" file; rerun `labpipe reference prepare {fasta}` to rebuild them"
    )
    code, _, err = run_cli(["validate", str(lab / "lab.yaml")], capsys)
    assert code == 1
    assert expected in err
    code, _, err = run_cli(["run", str(lab / "lab.yaml"), "--dry-run"], capsys)
    assert code == 1
    assert expected in err

    # A copy or `touch` keeps the content: the checksum, not the mtime, decides.
    code, out, _ = run_cli(["reference", "prepare", str(fasta)], capsys)
    assert "indexes rebuilt: the FASTA changed since they were built" in out
    os.utime(fasta, ns=(1, 1))
    assert run_cli(["validate", str(lab / "lab.yaml")], capsys)[0] == 0


@needs_tools
def test_rebuilt_fai_does_not_keep_a_stale_bwa_index(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fasta = tmp_path / "ref.fa"
    fasta.write_text(f">chr1\n{SEQUENCE}\n")
    assert run_cli(["reference", "prepare", str(fasta)], capsys)[0] == 0
    killed = tmp_path / ".ref.fa.index-abc123"  # what a prepare killed mid-index leaves
    killed.mkdir()
    (killed / "ref.fa.bwt").write_text("half")
    fasta.write_text(f">chr1\n{SEQUENCE}\n>chr9\n{SEQUENCE}\n")
    Path(f"{fasta}.fai").unlink()
    code, out, _ = run_cli(["reference", "prepare", str(fasta)], capsys)
    assert code == 0
    assert "bwa index: built" in out
    assert "chr9" in Path(f"{fasta}.ann").read_text()
    assert not [p for p in tmp_path.iterdir() if ".index-" in p.name]  # no temporary left


@needs_tools
def test_reference_indexed_by_an_earlier_labpipe_is_accepted_with_a_warning(
    lab: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fasta = lab / "ref.fa"
    assert run_cli(["reference", "prepare", str(fasta)], capsys)[0] == 0
    Path(f"{fasta}.labpipe-index.json").unlink()
    bwt_mtime = Path(f"{fasta}.bwt").stat().st_mtime_ns
    code, out, err = run_cli(["validate", str(lab / "lab.yaml")], capsys)
    assert code == 0
    assert (
        f"reference {fasta}: its indexes have no ref.fa.labpipe-index.json (built by an earlier"
        " labpipe or by hand), so they are not checked against the FASTA" in out + err
    )
    # prepare checks them against the FASTA and stamps them, without rebuilding.
    code, out, _ = run_cli(["reference", "prepare", str(fasta)], capsys)
    assert code == 0
    assert "bwa index: present" in out
    assert Path(f"{fasta}.bwt").stat().st_mtime_ns == bwt_mtime
    assert Path(f"{fasta}.labpipe-index.json").exists()


# --- YAML, byte-order marks, CRLF, invisible characters -----------------------------------------


def test_config_key_given_twice_names_both_lines(
    lab: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = lab / "lab.yaml"
    config.write_text(config.read_text() + "calling:\n  min_depth: 5\n  min_depth: 8\n")
    code, _, err = run_cli(["validate", str(config)], capsys)
    assert code == 2
    assert "line 10: key 'min_depth' is given again (first on line 9)" in err


def test_excel_sheet_with_bom_and_crlf_is_accepted(
    lab: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = lab / "samples.tsv"
    sheet.write_bytes(b"\xef\xbb\xbf" + sheet.read_bytes().replace(b"\n", b"\r\n"))
    code, out, _ = run_cli(["validate", str(lab / "lab.yaml")], capsys)
    assert code == 0
    assert "1 sample(s)" in out


def test_did_you_mean_never_repeats_the_same_visible_text(
    lab: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = lab / "samples.tsv"
    sheet.write_text(sheet.read_text().replace("sample\t", "sample\u200b\t", 1))
    code, _, err = run_cli(["validate", str(lab / "lab.yaml")], capsys)
    assert code == 2
    assert "unknown column 'sample\\u200b'; did you mean 'sample'?" in err
    assert "zero width space (U+200B)" in err
    assert "unknown column 'sample'; did you mean 'sample'" not in err


def test_config_bom_and_bed_bom_crlf_are_accepted(
    lab: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (lab / "targets.bed").write_bytes(b"\xef\xbb\xbfchr1\t10\t90\r\nchr1\t100\t150\r\n")
    config = lab / "lab.yaml"
    config.write_bytes(b"\xef\xbb\xbf" + config.read_bytes() + b"targets: targets.bed\n")
    code, out, err = run_cli(["validate", str(config)], capsys)
    assert code == 0, err
    assert "valid" in out


def test_platform_aliases(lab: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = lab / "lab.yaml"
    config.write_text(config.read_text().replace("platform: DNBSEQ", "platform: bgiseq"))
    sheet = lab / "samples.tsv"
    sheet.write_text(
        "sample\tunit\tfq1\tfq2\tplatform\nS1\tL1\tS1_R1.fastq.gz\tS1_R2.fastq.gz\tMGI\n"
    )
    code, out, err = run_cli(["validate", str(config)], capsys)
    assert code == 0, err
    assert "the sheet says" not in out + err  # MGI is DNBSEQ, as the read names say
    from labpipe.config.samplesheet import load_sample_sheet
    from labpipe.config.settings import load_config

    assert load_config(config).platform == "DNBSEQ"
    assert [u.platform for u in load_sample_sheet(sheet)] == ["DNBSEQ"]


# --- evaluate: a truth VCF without ##contig lines ------------------------------------------------


@needs_tools
def test_truth_without_contig_lines_names_the_cause(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fasta = tmp_path / "ref.fa"
    fasta.write_text(f">chr1\n{SEQUENCE}\n")
    subprocess.run(["samtools", "faidx", str(fasta)], check=True)
    header = "##fileformat=VCFv4.2\n"
    columns = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS\n"
    record = f"chr1\t5\t.\t{SEQUENCE[4]}\tG\t50\tPASS\t.\tGT\t0/1\n"
    calls = tmp_path / "calls.vcf"
    calls.write_text(header + "##contig=<ID=chr1,length=200>\n" + columns + record)
    gt = '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
    untagged = tmp_path / "untagged.vcf"
    untagged.write_text(header + "##contig=<ID=chr1,length=200>\n" + columns + record)
    code, _, err = run_cli(
        ["evaluate", "-t", str(untagged), "--calls", str(calls), "-r", str(fasta)], capsys
    )
    assert code == 1
    assert "the truth VCF uses tags its header does not define (FORMAT 'GT')" in err
    header += gt
    calls.write_text(header + "##contig=<ID=chr1,length=200>\n" + columns + record)
    truth = tmp_path / "truth.vcf"
    truth.write_text(header + columns + record)
    code, _, err = run_cli(
        ["evaluate", "-t", str(truth), "--calls", str(calls), "-r", str(fasta)], capsys
    )
    assert code == 1
    assert f"{truth}: the truth VCF has no ##contig lines in its header" in err
    fixed = tmp_path / "truth.with-contigs.vcf"
    assert f"`bcftools reheader --fai {fasta}.fai -o {fixed} {truth}`" in err
    assert "same reference build" not in err
    # The suggested command works and leaves the original as it was.
    subprocess.run(
        ["bcftools", "reheader", "--fai", f"{fasta}.fai", "-o", str(fixed), str(truth)],
        check=True,
    )
    code, _, _ = run_cli(
        ["evaluate", "-t", str(fixed), "--calls", str(calls), "-r", str(fasta)], capsys
    )
    assert code == 0
    assert "##contig" not in truth.read_text()


# --- init: barcodes the table lacks, spaces in names ----------------------------------------------


def test_init_stops_on_a_barcode_missing_from_the_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = mgi_run(tmp_path / "run", barcodes=("59", "60", "61"))
    (tmp_path / "ref.fa").write_text(f">chr1\n{SEQUENCE}\n")
    table = tmp_path / "barcodes.tsv"
    table.write_text("59\tPatientA\n60\tPatientB\n")
    args = ["init", "--fastq-dir", str(run), "--reference", str(tmp_path / "ref.fa")]
    args += ["--barcodes", str(table), "--lab", "Lab", "--outdir", str(tmp_path / "out")]
    code, _, err = run_cli(args, capsys)
    assert code == 1
    assert "1 barcode(s) of the run" in err
    assert "pass --skip-unlisted-barcodes to leave them out on purpose" in err
    assert (
        "barcode 61: V350012345/L01/V350012345_L01_61_1.fq.gz,"
        " V350012345/L01/V350012345_L01_61_2.fq.gz, V350012345/L02/V350012345_L02_61_1.fq.gz"
    ) in err
    assert not (tmp_path / "out" / "samples.tsv").exists()

    code, out, err = run_cli([*args, "--skip-unlisted-barcodes"], capsys)
    assert code == 0, err
    assert "left out on request (--skip-unlisted-barcodes): 1 barcode(s)" in out
    sheet = (tmp_path / "out" / "samples.tsv").read_text()
    assert "barcode 61 is not in the barcode table" in sheet  # listed in the sheet's comments
    assert "PatientA" in sheet and "PatientB" in sheet


def test_barcode_table_space_in_a_sample_name_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = mgi_run(tmp_path / "run", barcodes=("59",))
    (tmp_path / "ref.fa").write_text(f">chr1\n{SEQUENCE}\n")
    table = tmp_path / "barcodes.txt"
    table.write_text("59 Ali Khan\n")
    code, _, err = run_cli(
        ["init", "--fastq-dir", str(run), "--reference", str(tmp_path / "ref.fa"),
         "--barcodes", str(table), "--outdir", str(tmp_path / "out")],
        capsys,
    )  # fmt: skip
    assert code == 2
    assert (
        "line 1: '59 Ali Khan' has 3 space-separated fields; a sample name cannot hold a space"
        " ('Ali Khan'): write it as 'Ali_Khan'"
    ) in err
    assert "3 column(s)" not in err


# --- workflow: reruns follow content; one broken sample does not block the others ----------------


def demo_config(outdir: Path, targets: Path) -> Path:
    config = prepare_demo(outdir, overwrite=False)
    text = config.read_text()
    original = str(demo_data_dir() / "targets.bed")
    assert original in text
    config.write_text(text.replace(original, str(targets)))
    return config


def labpipe(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*LABPIPE, *args], capture_output=True, text=True, check=False)


@pytest.mark.e2e
def test_replaced_targets_bed_reruns_what_it_affects_not_alignment(tmp_path: Path) -> None:
    targets = tmp_path / "targets.bed"
    shutil.copy(demo_data_dir() / "targets.bed", targets)
    config = demo_config(tmp_path / "run", targets)
    first = labpipe("run", str(config), "--cores", "2")
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-2000:]

    os.utime(targets)  # touched, same content: nothing to redo
    touched = labpipe("run", str(config), "--cores", "2", "--dry-run")
    assert touched.returncode == 0
    assert "Nothing to be done" in touched.stdout + touched.stderr

    lines = targets.read_text().splitlines(keepends=True)
    targets.write_text("".join(lines[:-1]))  # the same path, one target fewer
    replaced = labpipe("run", str(config), "--cores", "2", "--dry-run")
    text = replaced.stdout + replaced.stderr
    assert replaced.returncode == 0, text
    assert "params have changed since last execution:\n        regions" in text
    jobs = {line.split()[0] for line in text.splitlines() if line[:1].isalpha() and " " in line}
    assert {"regions", "mosdepth", "call_chunk", "annotate", "sample_report"} <= jobs
    assert not {"align", "merge_units", "markdup"} & jobs
    assert "Traceback" not in text


def test_vcf_replaced_after_indexing_gets_a_message(
    lab: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clinvar = lab / "clinvar.vcf.gz"
    shutil.copy(demo_data_dir() / "clinvar.vcf.gz", clinvar)
    shutil.copy(demo_data_dir() / "clinvar.vcf.gz.tbi", f"{clinvar}.tbi")
    os.utime(f"{clinvar}.tbi", (1_000_000, 1_000_000))  # indexed long before the file
    config = lab / "lab.yaml"
    config.write_text(config.read_text() + "annotation:\n  clinvar: clinvar.vcf.gz\n")
    code, _, err = run_cli(["validate", str(config)], capsys)
    assert code == 1
    assert (
        f"'annotation.clinvar': {clinvar}.tbi is older than clinvar.vcf.gz (the VCF was replaced"
        " after it was indexed?), so lookups would read the wrong places: rebuild it with"
        f" `tabix -f -p vcf {clinvar}` (the VCF itself is not changed)"
    ) in err
