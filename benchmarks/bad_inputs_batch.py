"""An independent batch of bad inputs and faults (issue 11), driven through the real CLI.

Each case builds a lab from the demo data (test_data/) or the shared bad-input files, breaks it
in one way (sometimes two), runs ``labpipe …`` as a user would and records the exit code, the
message, whether a traceback was printed and what was left in the output folder. The table it
writes (benchmarks/bad_inputs_batch.md) is the measured record.

    .venv/bin/python benchmarks/bad_inputs_batch.py --work /tmp/adv11-batch [--only ID ...]
        [--no-runs]

``--no-runs`` leaves out the cases that run the whole workflow (about 30-60 s each).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LABPIPE = os.environ.get("LABPIPE_BIN", str(Path(sys.executable).parent / "labpipe"))
DEMO = REPO / "test_data"
SHARED = REPO.parent / "shared" / "data" / "bad-inputs"
if not SHARED.exists():
    SHARED = Path("/work/shared/data/bad-inputs")

CONFIG = """lab:
  name: {lab_name}
  id: batch
reference:
  fasta: data/reference.fa
  build: synthetic-demo
targets: data/targets.bed
samples: data/samples.tsv
output_dir: out
threads: 2
annotation:
  gff3: data/genes.gff3
  clinvar: data/clinvar.vcf.gz
  population_af:
    - id: popaf
      name: Demo population AFs
      vcf: data/population_af.vcf.gz
      population: South Asian
      population_field: AF_sas
      global_field: AF
  panels:
    - name: Demo panel
      file: data/panel_genes.txt
"""


@dataclass
class Outcome:
    rc: int
    text: str
    traceback: bool
    leftovers: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Case:
    """One bad input: how to build it, the command, what a clean answer looks like."""

    id: str
    klass: str
    what: str
    build: Callable[[Path], list[str]]
    expected: str
    rc: str  # "0", "nonzero"
    message: str = ""  # regex the output must match
    check: Callable[[Path, Outcome], list[str]] | None = None
    run: bool = False  # runs the whole workflow (slow)


def lab(d: Path, lab_name: str = "Batch lab") -> Path:
    """The demo lab copied into d (data/ + config.yaml)."""
    d.mkdir(parents=True, exist_ok=True)
    shutil.copytree(DEMO, d / "data", dirs_exist_ok=True)
    (d / "config.yaml").write_text(CONFIG.format(lab_name=lab_name))
    return d / "config.yaml"


def sheet(d: Path) -> Path:
    return d / "data" / "samples.tsv"


def fq_records(path: Path) -> list[list[bytes]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        lines = handle.read().splitlines(keepends=True)
    return [lines[i : i + 4] for i in range(0, len(lines), 4)]


def write_fq(path: Path, records: list[list[bytes]], gz: bool = True) -> None:
    data = b"".join(b"".join(r) for r in records)
    if gz:
        with gzip.open(path, "wb") as handle:
            handle.write(data)
    else:
        path.write_bytes(data)


def reads(d: Path, name: str) -> Path:
    return d / "data" / "reads" / name


PK1_R1 = "PK001_S1_L001_R1_001.fastq.gz"
PK1_R2 = "PK001_S1_L001_R2_001.fastq.gz"
PK1B_R1 = "PK001_S1_L002_R1_001.fastq.gz"
PK1B_R2 = "PK001_S1_L002_R2_001.fastq.gz"
PK2_R1 = "V350012345_L02_PK002_1.fq.gz"
PK2_R2 = "V350012345_L02_PK002_2.fq.gz"


def evaluate_cmd(truth: str, calls: str, reference: str, out: str) -> list[str]:
    return [LABPIPE, "evaluate", "-t", truth, "--calls", calls, "-r", reference, "-o", out]


def init_cmd(run: str, reference: str, out: str, extra: list[str] | None = None) -> list[str]:
    return [LABPIPE, "init", "--fastq-dir", run, "--reference", reference, "--outdir", out] + (
        extra or []
    )


def validate(config: Path) -> list[str]:
    return [LABPIPE, "validate", str(config)]


def run_cmd(config: Path) -> list[str]:
    return [LABPIPE, "run", str(config), "--cores", "2"]


def edit_sheet(d: Path, old: str, new: str) -> None:
    text = sheet(d).read_text()
    assert old in text, old
    sheet(d).write_text(text.replace(old, new))


def edit_config(d: Path, old: str, new: str) -> None:
    text = (d / "config.yaml").read_text()
    assert old in text, old
    (d / "config.yaml").write_text(text.replace(old, new))


def bgzip_vcf(text: str, path: Path) -> None:
    plain = path.with_suffix("")
    plain.write_text(text)
    subprocess.run(["bgzip", "-f", str(plain)], check=True)
    subprocess.run(["tabix", "-f", "-p", "vcf", str(path)], check=True)


def vcf_text(path: Path) -> str:
    with gzip.open(path, "rt") as handle:
        return handle.read()


# ---------------------------------------------------------------- class 1: read pairs


def sheet_edited(*edits: tuple[str, str]) -> Callable[[Path], list[str]]:
    """A case: the demo lab with its sample sheet edited (old, new), then validated."""

    def build(d: Path) -> list[str]:
        config = lab(d)
        for old, new in edits:
            edit_sheet(d, old, new)
        return validate(config)

    return build


c_same_fastq_two_units = sheet_edited(
    ("reads/PK001_S1_L002_R1_001", "reads/PK001_S1_L001_R1_001"),
    ("reads/PK001_S1_L002_R2_001", "reads/PK001_S1_L001_R2_001"),
)
# fq2 names the R1 file of another lane (R1 given as R2).
c_r1_as_r2 = sheet_edited(("reads/PK001_S1_L002_R2_001", "reads/PK001_S1_L001_R1_001"))
c_swapped_columns = sheet_edited(
    (
        "reads/V350012345_L02_PK002_1.fq.gz\treads/V350012345_L02_PK002_2.fq.gz",
        "reads/V350012345_L02_PK002_2.fq.gz\treads/V350012345_L02_PK002_1.fq.gz",
    )
)
c_mgi_names_said_illumina = sheet_edited(("DNBSEQ", "ILLUMINA"))
c_platform_lowercase_alias = sheet_edited(("\tDNBSEQ\t", "\tbgiseq-500\t"))
c_sample_name_unicode = sheet_edited(("PK002\tL02", "PK\u00e9002\tL02"))


def c_same_fastq_two_samples(d: Path) -> list[str]:
    config = lab(d)
    text = sheet(d).read_text() + (
        "PK003\tL001\treads/PK001_S1_L001_R1_001.fastq.gz\treads/PK001_S1_L001_R2_001.fastq.gz"
        "\tILLUMINA\tPK003-lib1\n"
    )
    sheet(d).write_text(text)
    return validate(config)


def c_r2_fasta_gz(d: Path) -> list[str]:
    config = lab(d)
    records = fq_records(reads(d, PK2_R2))
    fasta = b"".join(b">" + r[0][1:] + r[1] for r in records)
    with gzip.open(reads(d, PK2_R2), "wb") as handle:
        handle.write(fasta)
    return validate(config)


def c_mixed_plain_gz(d: Path) -> list[str]:
    config = lab(d)
    records = fq_records(reads(d, PK2_R1))
    write_fq(reads(d, "V350012345_L02_PK002_1.fq"), records, gz=False)
    edit_sheet(d, "V350012345_L02_PK002_1.fq.gz", "V350012345_L02_PK002_1.fq")
    return validate(config)


def c_one_unit_empty(d: Path) -> list[str]:
    config = lab(d)
    for name in (PK1B_R1, PK1B_R2):
        write_fq(reads(d, name), [])
    return validate(config)


def c_r2_symlink_to_r1(d: Path) -> list[str]:
    config = lab(d)
    reads(d, PK2_R2).unlink()
    reads(d, PK2_R2).symlink_to(PK2_R1)
    return validate(config)


def c_paths_with_spaces(d: Path) -> list[str]:
    config = lab(d)
    (d / "data" / "reads").rename(d / "data" / "run 1 reads")
    text = sheet(d).read_text().replace("reads/", "run 1 reads/")
    sheet(d).write_text(text)
    return validate(config)


def c_r2_crlf_only(d: Path) -> list[str]:
    config = lab(d)
    records = fq_records(reads(d, PK2_R2))
    write_fq(reads(d, PK2_R2), [[line.rstrip(b"\n") + b"\r\n" for line in r] for r in records])
    return validate(config)


def c_interleaved_in_r1_r2_empty(d: Path) -> list[str]:
    """Two problems at once: R1 holds both mates interleaved (plain), R2 is an empty gzip."""
    config = lab(d)
    one, two = fq_records(reads(d, PK1_R1)), fq_records(reads(d, PK1_R2))
    inter = [r for pair in zip(one, two, strict=True) for r in pair]
    write_fq(reads(d, PK1_R1), inter)
    write_fq(reads(d, PK1_R2), [])
    return validate(config)


def c_names_diverge_late(d: Path) -> list[str]:
    """R2 of PK001 L002: the last 2000 records shuffled (beyond what validate reads)."""
    config = lab(d)
    records = fq_records(reads(d, PK1B_R2))
    head, tail = records[:-2000], records[-2000:]
    tail = tail[1000:] + tail[:1000]
    write_fq(reads(d, PK1B_R2), head + tail)
    return run_cmd(config)


def c_lengths_differ_late_and_lowq(d: Path) -> list[str]:
    """Two samples broken two ways: PK001 L001 R1 loses its last 500 reads (cleanly, a
    whole-record cut), PK002 every quality is Q2 (the filter removes nearly all)."""
    config = lab(d)
    records = fq_records(reads(d, PK1_R1))
    write_fq(reads(d, PK1_R1), records[:-500])
    edit_config(d, "threads: 2", "threads: 2\ntrimming:\n  quality_filter: true")
    for name in (PK2_R1, PK2_R2):
        rec = fq_records(reads(d, name))
        write_fq(reads(d, name), [[r[0], r[1], r[2], b"#" * (len(r[3]) - 1) + b"\n"] for r in rec])
    return run_cmd(config)


# ------------------------------------------------------- class 2: tracebacks / sources


def c_clinvar_plain_named_vcf(d: Path) -> list[str]:
    config = lab(d)
    (d / "data" / "clinvar.vcf").write_text(vcf_text(d / "data" / "clinvar.vcf.gz"))
    edit_config(d, "clinvar: data/clinvar.vcf.gz", "clinvar: data/clinvar.vcf")
    return validate(config)


def c_clinvar_headerless_gz(d: Path) -> list[str]:
    config = lab(d)
    body = "".join(
        line
        for line in vcf_text(d / "data" / "clinvar.vcf.gz").splitlines(True)
        if not line.startswith("#")
    )
    path = d / "data" / "clinvar.vcf.gz"
    path.unlink()
    (d / "data" / "clinvar.vcf.gz.tbi").unlink()
    plain = d / "data" / "clinvar.vcf"
    plain.write_text(body)
    subprocess.run(["bgzip", "-f", str(plain)], check=True)
    return validate(config)


def c_pop_field_string_and_no_index(d: Path) -> list[str]:
    """Two problems in one source: AF_sas declared Type=String, and no .tbi."""
    config = lab(d)
    path = d / "data" / "population_af.vcf.gz"
    text = vcf_text(path)
    text = re.sub(r"(ID=AF_sas,Number=A,Type=)Float", r"\1String", text)
    assert "Type=String" in text
    path.with_suffix("").write_text(text)
    path.unlink()
    subprocess.run(["bgzip", "-f", str(path.with_suffix(""))], check=True)
    (d / "data" / "population_af.vcf.gz.tbi").unlink()
    return validate(config)


def c_pop_crlf_vcf(d: Path) -> list[str]:
    config = lab(d)
    path = d / "data" / "population_af.vcf.gz"
    text = vcf_text(path).replace("\n", "\r\n")
    path.unlink()
    bgzip_vcf(text, path)
    return validate(config)


def c_clinvar_is_gff3(d: Path) -> list[str]:
    config = lab(d)
    shutil.copy(d / "data" / "genes.gff3", d / "data" / "clinvar.vcf.gz")
    return validate(config)


def c_evaluate_bam_calls(d: Path) -> list[str]:
    d.mkdir(parents=True)
    shutil.copy(DEMO / "reference.fa", d / "reference.fa")
    subprocess.run(["samtools", "faidx", str(d / "reference.fa")], check=True)
    sam = d / "x.sam"
    sam.write_text("@SQ\tSN:chr1\tLN:120000\nr1\t4\t*\t0\t0\t*\t*\t0\t0\tACGT\tIIII\n")
    subprocess.run(["samtools", "view", "-b", "-o", str(d / "calls.vcf.gz"), str(sam)], check=True)
    shutil.copy(DEMO.parent / "test_data" / "clinvar.vcf.gz", d / "truth.vcf.gz")
    return evaluate_cmd(
        str(d / "truth.vcf.gz"), str(d / "calls.vcf.gz"), str(d / "reference.fa"), str(d / "eval")
    )


def c_evaluate_fastq_truth_dir_calls(d: Path) -> list[str]:
    d.mkdir(parents=True)
    shutil.copy(DEMO / "reference.fa", d / "reference.fa")
    subprocess.run(["samtools", "faidx", str(d / "reference.fa")], check=True)
    (d / "calls").mkdir()
    return evaluate_cmd(
        str(DEMO / "reads" / PK1_R1), str(d / "calls"), str(d / "reference.fa"), str(d / "eval")
    )


def small_vcf(d: Path) -> Path:
    """An indexed copy of the demo reference in d and a one-SNV VCF against it."""
    d.mkdir(parents=True, exist_ok=True)
    shutil.copy(DEMO / "reference.fa", d / "reference.fa")
    subprocess.run(["samtools", "faidx", str(d / "reference.fa")], check=True)
    ref = (d / "reference.fa").read_text().split("\n")[1][29]
    alt = "C" if ref != "C" else "G"
    (d / "truth.vcf").write_text(
        "##fileformat=VCFv4.2\n##contig=<ID=chr1,length=120000>\n"
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n"
        f"chr1\t30\t.\t{ref}\t{alt}\t50\tPASS\t.\tGT\t0/1\n"
    )
    return d / "truth.vcf"


def c_evaluate_out_is_file(d: Path) -> list[str]:
    truth = small_vcf(d)
    (d / "eval").write_text("a file, not a folder\n")
    return evaluate_cmd(str(truth), str(truth), str(d / "reference.fa"), str(d / "eval"))


def c_evaluate_shared_empty_vcf(d: Path) -> list[str]:
    d.mkdir(parents=True)
    shutil.copy(DEMO / "reference.fa", d / "reference.fa")
    subprocess.run(["samtools", "faidx", str(d / "reference.fa")], check=True)
    return evaluate_cmd(
        str(SHARED / "cyvcf2" / "empty.vcf"),
        str(SHARED / "htslib" / "formatmissing.vcf"),
        str(d / "reference.fa"),
        str(d / "eval"),
    )


def c_outdir_under_a_file(d: Path) -> list[str]:
    config = lab(d)
    (d / "blocker").write_text("x\n")
    edit_config(d, "output_dir: out", "output_dir: blocker/out")
    return run_cmd(config)


def c_run_outdir_flag_is_file(d: Path) -> list[str]:
    config = lab(d)
    (d / "results.txt").write_text("x\n")
    return [LABPIPE, "run", str(config), "--cores", "2", "-o", str(d / "results.txt")]


def c_config_is_directory(d: Path) -> list[str]:
    lab(d)
    return validate(d / "data")


def c_config_is_gzip(d: Path) -> list[str]:
    config = lab(d)
    data = config.read_bytes()
    config.write_bytes(gzip.compress(data))
    return validate(config)


MOUNTS: list[Path] = []


def tmpfs(where: Path, size: str, read_only: bool = False) -> Path:
    """A small file system at ``where`` (needs root); unmounted after the case."""
    where.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if read_only else "")
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], check=True)
    MOUNTS.append(where)
    return where


def c_full_disk_reference_prepare(d: Path) -> list[str]:
    """The FASTA's folder has room for the FASTA and little more: bwa index fills it."""
    folder = tmpfs(d / "small", "400k")
    shutil.copy(DEMO / "reference.fa", folder / "ref.fa")
    return [LABPIPE, "reference", "prepare", str(folder / "ref.fa")]


def c_read_only_init_out(d: Path) -> list[str]:
    folder = tmpfs(d / "ro", "64k", read_only=True)
    (d / "run").mkdir()
    for name in (PK2_R1, PK2_R2):
        shutil.copy(DEMO / "reads" / name, d / "run" / name)
    return init_cmd(str(d / "run"), str(DEMO / "reference.fa"), str(folder / "lab"))


def c_full_disk_evaluate_out(d: Path) -> list[str]:
    folder = tmpfs(d / "full", "16k")
    with open(folder / "filler", "wb") as handle, contextlib.suppress(OSError):
        handle.write(b"x" * 40000)
    truth = small_vcf(d)
    return evaluate_cmd(str(truth), str(truth), str(d / "reference.fa"), str(folder / "eval"))


def c_validate_output_on_read_only(d: Path) -> list[str]:
    config = lab(d)
    tmpfs(d / "ro", "64k", read_only=True)
    edit_config(d, "output_dir: out", "output_dir: ro/out")
    return validate(config)


def simulate_cmd(out: Path, reference: Path) -> list[str]:
    return [LABPIPE, "simulate", "-o", str(out), "-r", str(reference), "--depth", "1"]


def c_simulate_outdir_is_file(d: Path) -> list[str]:
    d.mkdir(parents=True)
    (d / "sim").write_text("x\n")
    return simulate_cmd(d / "sim", DEMO / "reference.fa")


def c_simulate_reference_not_fasta(d: Path) -> list[str]:
    d.mkdir(parents=True)
    return simulate_cmd(d / "sim", DEMO / "genes.gff3")


# ---------------------------------------------------------- class 5: almost right


def c_ref_dup_contig_bgzip(d: Path) -> list[str]:
    d.mkdir(parents=True)
    text = (DEMO / "reference.fa").read_text()
    chr3 = text[text.index(">chr3") :]
    (d / "ref.fa").write_text(text + chr3.replace(">chr3", ">chr3 duplicate"))
    subprocess.run(["bgzip", "-f", str(d / "ref.fa")], check=True)
    return [LABPIPE, "reference", "prepare", str(d / "ref.fa.gz")]


def c_ref_lowercase_iupac(d: Path) -> list[str]:
    config = lab(d)
    fasta = d / "data" / "reference.fa"
    lines = fasta.read_text().splitlines()
    lines = [
        ln.lower() if i % 7 == 3 and not ln.startswith(">") else ln for i, ln in enumerate(lines)
    ]
    lines = [ln[:10] + "RYKM" + ln[14:] if i == 1500 else ln for i, ln in enumerate(lines)]
    fasta.write_text("\n".join(lines) + "\n")
    subprocess.run([LABPIPE, "reference", "prepare", str(fasta)], check=True, capture_output=True)
    return validate(config)


def c_ref_long_contig_name(d: Path) -> list[str]:
    d.mkdir(parents=True)
    text = (DEMO / "reference.fa").read_text()
    long_name = "chr3_" + "x" * 300
    (d / "ref.fa").write_text(text.replace(">chr3", ">" + long_name))
    return [LABPIPE, "reference", "prepare", str(d / "ref.fa")]


def c_ref_contig_illegal_chars(d: Path) -> list[str]:
    d.mkdir(parents=True)
    text = (DEMO / "reference.fa").read_text()
    (d / "ref.fa").write_text(text.replace(">chr3", ">chr3,alt<1>"))
    return [LABPIPE, "reference", "prepare", str(d / "ref.fa")]


def c_ref_crlf(d: Path) -> list[str]:
    d.mkdir(parents=True)
    text = (DEMO / "reference.fa").read_text().replace("\n", "\r\n")
    (d / "ref.fa").write_text(text)
    return [LABPIPE, "reference", "prepare", str(d / "ref.fa")]


def c_yaml_nested_duplicate(d: Path) -> list[str]:
    config = lab(d)
    edit_config(
        d,
        "      population: South Asian\n",
        "      population: South Asian\n      population: Punjabi\n",
    )
    return validate(config)


def c_yaml_tab(d: Path) -> list[str]:
    config = lab(d)
    edit_config(d, "  name: Batch lab", "\tname: Batch lab")
    return validate(config)


def c_config_relative_elsewhere(d: Path) -> list[str]:
    """The config copied to another folder: its relative paths now point nowhere."""
    lab(d)
    (d / "other").mkdir()
    shutil.copy(d / "config.yaml", d / "other" / "config.yaml")
    return validate(d / "other" / "config.yaml")


def c_sheet_bom_crlf_trailing_blank_and_tabs(d: Path) -> list[str]:
    config = lab(d)
    lines = sheet(d).read_text().splitlines()
    text = "\ufeff" + "\r\n".join(ln + "\t" if i else ln for i, ln in enumerate(lines))
    sheet(d).write_text(text + "\r\n\r\n\t\t\r\n", newline="")
    return validate(config)


def c_sheet_commas(d: Path) -> list[str]:
    config = lab(d)
    sheet(d).write_text(sheet(d).read_text().replace("\t", ","))
    return validate(config)


def c_bed_track_and_header(d: Path) -> list[str]:
    config = lab(d)
    bed = d / "data" / "targets.bed"
    bed.write_text(
        'track name="panel v2" description="x"\nchrom\tstart\tend\tname\n' + bed.read_text()
    )
    return validate(config)


def c_bed_end_before_start(d: Path) -> list[str]:
    config = lab(d)
    bed = d / "data" / "targets.bed"
    lines = bed.read_text().splitlines()
    c, s, e, n = lines[4].split("\t")
    lines[4] = "\t".join([c, e, s, n])
    bed.write_text("\n".join(lines) + "\n")
    return validate(config)


def c_bed_spaces(d: Path) -> list[str]:
    config = lab(d)
    bed = d / "data" / "targets.bed"
    bed.write_text(bed.read_text().replace("\t", " "))
    return validate(config)


def c_bed_gz(d: Path) -> list[str]:
    config = lab(d)
    bed = d / "data" / "targets.bed"
    subprocess.run(["bgzip", "-f", str(bed)], check=True)
    edit_config(d, "targets: data/targets.bed", "targets: data/targets.bed.gz")
    return validate(config)


def c_panel_bom_crlf_unknown_gene(d: Path) -> list[str]:
    config = lab(d)
    panel = d / "data" / "panel_genes.txt"
    text = "\ufeff" + panel.read_text().replace("\n", "\r\n") + "NOTAGENE1\r\n"
    panel.write_text(text, newline="")
    return validate(config)


def c_gff3_no_genes_on_contigs(d: Path) -> list[str]:
    config = lab(d)
    gff = d / "data" / "genes.gff3"
    gff.write_text(
        re.sub(r"^chr", "NC_00000", gff.read_text(), flags=re.M).replace(
            "sequence-region   chr", "sequence-region   NC_00000"
        )
    )
    return validate(config)


def c_gff3_crlf_bom(d: Path) -> list[str]:
    config = lab(d)
    gff = d / "data" / "genes.gff3"
    gff.write_text("\ufeff" + gff.read_text().replace("\n", "\r\n"), newline="")
    return validate(config)


def c_init_barcodes_crlf_bom_duplicate(d: Path) -> list[str]:
    d.mkdir(parents=True)
    run = d / "run"
    (run / "L01").mkdir(parents=True)
    for bc, source in (("1", (PK2_R1, PK2_R2)), ("2", (PK1_R1, PK1_R2))):
        for mate, name in zip(("1", "2"), source, strict=True):
            shutil.copy(DEMO / "reads" / name, run / "L01" / f"V350099999_L01_{bc}_{mate}.fq.gz")
    (d / "barcodes.tsv").write_text("\ufeffbarcode\tsample\r\n1\tPK010\r\n2\tPK010\r\n", newline="")
    return init_cmd(
        str(run),
        str(DEMO / "reference.fa"),
        str(d / "lab"),
        ["--barcodes", str(d / "barcodes.tsv")],
    )


def c_init_no_fastq(d: Path) -> list[str]:
    (d / "run").mkdir(parents=True)
    (d / "run" / "notes.txt").write_text("x\n")
    return init_cmd(str(d / "run"), str(DEMO / "reference.fa"), str(d / "lab"))


def c_truth_plain_chr_mismatch(d: Path) -> list[str]:
    """Truth names contig '1' where the reference (and the calls) say 'chr1'."""
    calls = small_vcf(d)
    truth = d / "truth-b37.vcf"
    truth.write_text(calls.read_text().replace("ID=chr1,", "ID=1,").replace("\nchr1\t", "\n1\t"))
    return evaluate_cmd(str(truth), str(calls), str(d / "reference.fa"), str(d / "eval"))


# -------------------------------------------------------- class 6: results follow inputs


def c_fasta_touched_not_changed(d: Path) -> list[str]:
    config = lab(d)
    fasta = d / "data" / "reference.fa"
    subprocess.run([LABPIPE, "reference", "prepare", str(fasta)], check=True, capture_output=True)
    time.sleep(1.1)
    os.utime(fasta)
    return validate(config)


def c_killed_prepare_truncated_bwt(d: Path) -> list[str]:
    config = lab(d)
    fasta = d / "data" / "reference.fa"
    subprocess.run([LABPIPE, "reference", "prepare", str(fasta)], check=True, capture_output=True)
    bwt = fasta.with_name("reference.fa.bwt")
    bwt.write_bytes(bwt.read_bytes()[: bwt.stat().st_size // 3])
    return validate(config)


def c_killed_prepare_no_stamp(d: Path) -> list[str]:
    """prepare killed between the bwa index and its stamp: .sa missing, stamp absent."""
    config = lab(d)
    fasta = d / "data" / "reference.fa"
    subprocess.run([LABPIPE, "reference", "prepare", str(fasta)], check=True, capture_output=True)
    fasta.with_name("reference.fa.sa").unlink()
    for stamp in d.glob("data/*labpipe*"):
        stamp.unlink()
    return [LABPIPE, "run", "-n", str(config), "--cores", "1"]


def c_fasta_symlink_swapped(d: Path) -> list[str]:
    """reference.fa is a link; after prepare it is pointed at an edited copy."""
    config = lab(d)
    real = d / "data" / "reference.fa"
    real.rename(d / "data" / "ref-v1.fa")
    real.symlink_to("ref-v1.fa")
    subprocess.run([LABPIPE, "reference", "prepare", str(real)], check=True, capture_output=True)
    text = (d / "data" / "ref-v1.fa").read_text()
    (d / "data" / "ref-v2.fa").write_text(text.replace("ACGT", "ACGA", 1))
    real.unlink()
    real.symlink_to("ref-v2.fa")
    return [LABPIPE, "run", "-n", str(config), "--cores", "1"]


# ------------------------------------------- runs: 4 half-written, 6, 7 and 8 together


def c_html_injection_run(d: Path) -> list[str]:
    """Markup in the lab name, library, patient fields, GFF3 Name, ClinVar and population
    values; also the 0/0-as-PASS and umask checks, on one run."""
    config = lab(d, lab_name='"<script>alert(1)</script> Lab & Co"')
    text = sheet(d).read_text().splitlines()
    text[0] += "\treferral_reason\treferring_clinician"
    text = [text[0]] + [ln + "\t<img src=x onerror=alert(2)>\tDr <i>X</i>" for ln in text[1:]]
    sheet(d).write_text("\n".join(text) + "\n")
    gff = d / "data" / "genes.gff3"
    gff.write_text(gff.read_text().replace("Name=LPG1;", "Name=LPG1<svg onload=alert(3)>;"))
    clin = d / "data" / "clinvar.vcf.gz"
    ctext = vcf_text(clin)
    ctext = re.sub(r"CLNDN=([^;\t]+)", r"CLNDN=\1_<script>alert(4)</script>", ctext)
    clin.unlink()
    bgzip_vcf(ctext, clin)
    return ["sh", "-c", f"umask 027 && exec {LABPIPE} run {config} --cores 2"]


def check_html_run(d: Path, outcome: Outcome) -> list[str]:
    problems: list[str] = []
    out = d / "out"
    for html in list(out.rglob("*.html")):
        text = html.read_text(errors="replace")
        for bad in ("<script>alert", "<img src=x", "<svg onload", "<i>X</i>"):
            if bad in text:
                problems.append(f"{html.relative_to(d)} holds raw {bad!r}")
    for path in out.rglob("*"):
        if ".snakemake" in path.parts:
            continue  # Snakemake's own bookkeeping (it sets group-write itself), not results
        mode = path.stat().st_mode & 0o777 if path.is_file() and not path.is_symlink() else None
        if mode is not None and mode & 0o111 == 0 and mode != 0o640:
            problems.append(f"{path.relative_to(d)} has mode {mode:o}, not 640 (umask 027)")
    for vcf in out.rglob("*.vcf.gz"):
        res = subprocess.run(
            ["bcftools", "view", "-H", "-f", "PASS", "-i", 'GT="RR"', str(vcf)],
            capture_output=True,
            text=True,
        )
        count = len(res.stdout.splitlines())
        if count:
            problems.append(f"{vcf.relative_to(d)}: {count} 0/0 records with FILTER PASS")
    return problems


CASES: list[Case] = []


def add(
    id: str,
    klass: str,
    what: str,
    build: Callable[[Path], list[str]],
    expected: str,
    rc: str,
    message: str = "",
    check: Callable[[Path, Outcome], list[str]] | None = None,
    run: bool = False,
) -> None:
    CASES.append(Case(id, klass, what, build, expected, rc, message, check, run))


add(
    "1a",
    "1",
    "same FASTQ pair listed for two units of a sample",
    c_same_fastq_two_units,
    "error: the same files twice (reads counted twice)",
    "nonzero",
    r"already used on line 2",
)
add(
    "1b",
    "1",
    "one FASTQ pair listed for two samples",
    c_same_fastq_two_samples,
    "error: one pair for two samples",
    "nonzero",
    r"already used on line 2",
)
add(
    "1c",
    "1",
    "R1 of lane 1 given as R2 of lane 2",
    c_r1_as_r2,
    "error: fq2 is an R1 file / names mismatch",
    "nonzero",
    r"(?i)R1|mate|pair|name",
)
add(
    "1d",
    "1",
    "fq1/fq2 columns swapped (R2 in fq1)",
    c_swapped_columns,
    "error or warning naming the swap",
    "any",
    r"(?i)swap|R2|mate|order|/2|_2",
)
add(
    "1e",
    "1",
    "R2 is FASTA (gzipped, .fq.gz name)",
    c_r2_fasta_gz,
    "error: R2 is FASTA, not FASTQ",
    "nonzero",
    r"(?i)fasta",
)
add("1f", "1", "R1 plain .fq, R2 .fq.gz (legal mix)", c_mixed_plain_gz, "accepted", "0", r"valid")
add(
    "1g",
    "1",
    "one lane of a sample has two empty gzip files",
    c_one_unit_empty,
    "error naming the empty unit",
    "nonzero",
    r"(?i)(no reads|empty).*|L002",
)
add(
    "1h",
    "1",
    "R2 is a symlink to R1",
    c_r2_symlink_to_r1,
    "error: same file",
    "nonzero",
    r"(?i)same",
)
add(
    "1i",
    "1",
    "FASTQ paths with spaces in the folder name",
    c_paths_with_spaces,
    "accepted (or clear refusal)",
    "any",
    r"valid|space",
)
add(
    "1j",
    "1",
    "only R2 has CRLF line ends (gz)",
    c_r2_crlf_only,
    "error naming R2 and CRLF, or accepted",
    "any",
    r"(?i)windows|CRLF|\\r|valid",
)
add(
    "1k",
    "1",
    "R1 interleaved (both mates) and R2 empty: two problems",
    c_interleaved_in_r1_r2_empty,
    "error naming interleaving and the empty R2",
    "nonzero",
    r"(?i)interleav",
)
add(
    "1l",
    "1",
    "R2 names diverge in its last 2000 records (past validate's look)",
    c_names_diverge_late,
    "run: that sample NO RESULT with record named; PK002 reported",
    "nonzero",
    r"(?i)PK001",
    run=True,
)
add(
    "1m",
    "1",
    "PK001 R1 500 reads short at the end + PK002 all Q2 with quality filter",
    c_lengths_differ_late_and_lowq,
    "run: PK001 count mismatch named, PK002 filter removed all named",
    "nonzero",
    r"(?i)PK001.*|PK002",
    run=True,
)

add(
    "2a",
    "2",
    "ClinVar plain uncompressed .vcf",
    c_clinvar_plain_named_vcf,
    "error: bgzip + index, with command",
    "nonzero",
    r"(?i)bgzip",
)
add(
    "2b",
    "2",
    "ClinVar bgzipped without any header",
    c_clinvar_headerless_gz,
    "error: no VCF header",
    "nonzero",
    r"(?i)header|not a (readable )?VCF",
)
add(
    "2c",
    "2",
    "population AF_sas Type=String and no .tbi: two problems",
    c_pop_field_string_and_no_index,
    "error listing both",
    "nonzero",
    r"(?is)(?=.*(String|Float|type))(?=.*(index|tbi))",
)
add(
    "2d",
    "2",
    "population VCF with CRLF line ends (bgzip+tabix)",
    c_pop_crlf_vcf,
    "error or accepted, no traceback",
    "any",
    r".",
)
add(
    "2e",
    "2",
    "ClinVar path holds a GFF3 text",
    c_clinvar_is_gff3,
    "error: not bgzip/VCF",
    "nonzero",
    r"(?i)clinvar",
)
add(
    "2f",
    "2",
    "evaluate: calls is a BAM renamed .vcf.gz",
    c_evaluate_bam_calls,
    "error: BAM, not VCF",
    "nonzero",
    r"(?i)BAM|not a (readable )?VCF",
)
add(
    "2g",
    "2",
    "evaluate: truth is a FASTQ, calls a folder",
    c_evaluate_fastq_truth_dir_calls,
    "error naming both",
    "nonzero",
    r"(?i)(folder|directory)",
)
add(
    "2h",
    "2",
    "evaluate: -o is an existing file",
    c_evaluate_out_is_file,
    "error: not a folder",
    "nonzero",
    r"(?i)eval",
)
add(
    "2i",
    "2",
    "evaluate: shared empty.vcf truth vs formatmissing calls",
    c_evaluate_shared_empty_vcf,
    "error: empty truth",
    "nonzero",
    r"(?i)empty|no header|header",
)
add(
    "2j",
    "2",
    "run: output_dir below a regular file",
    c_outdir_under_a_file,
    "error: cannot create output folder",
    "nonzero",
    r"(?i)blocker",
)
add(
    "2k",
    "2",
    "run -o names an existing file",
    c_run_outdir_flag_is_file,
    "error: not a folder",
    "nonzero",
    r"(?i)results.txt",
)
add(
    "2l",
    "2",
    "validate a folder as CONFIG",
    c_config_is_directory,
    "error: a folder",
    "nonzero",
    r"(?i)folder|directory",
)
add(
    "2m",
    "2",
    "config.yaml gzipped",
    c_config_is_gzip,
    "error: not YAML text",
    "nonzero",
    r"(?i)config",
)
add(
    "3a",
    "3",
    "reference prepare on a nearly full disk (400k tmpfs)",
    c_full_disk_reference_prepare,
    "error: no space; no index left that looks finished",
    "nonzero",
    r"(?i)space",
)
add(
    "3b",
    "2",
    "init --outdir on a read-only file system",
    c_read_only_init_out,
    "error: cannot write there",
    "nonzero",
    r"(?i)read-only|writ",
)
add(
    "3c",
    "3",
    "evaluate -o on a full file system",
    c_full_disk_evaluate_out,
    "error: no space, names the folder",
    "nonzero",
    r"(?i)space",
)
add(
    "3d",
    "2",
    "validate: output_dir on a read-only file system",
    c_validate_output_on_read_only,
    "error: output folder cannot be written",
    "nonzero",
    r"(?i)read-only|writ",
)
add(
    "2n",
    "2",
    "simulate -o is an existing file",
    c_simulate_outdir_is_file,
    "error: not a folder",
    "nonzero",
    r"(?i)sim",
)
add(
    "2o",
    "2",
    "simulate -r is a GFF3",
    c_simulate_reference_not_fasta,
    "error: not FASTA",
    "nonzero",
    r"(?i)fasta",
)

add(
    "5a",
    "5",
    "reference prepare: bgzipped FASTA with a duplicate contig",
    c_ref_dup_contig_bgzip,
    "error: duplicate chr3, nothing indexed",
    "nonzero",
    r"(?i)chr3",
)
add(
    "5b",
    "5",
    "reference lowercase (soft-masked) lines and IUPAC codes",
    c_ref_lowercase_iupac,
    "accepted",
    "0",
    r"valid",
)
add(
    "5c",
    "5",
    "reference prepare: 305-character contig name",
    c_ref_long_contig_name,
    "accepted or clear refusal",
    "any",
    r".",
)
add(
    "5d",
    "5",
    "reference prepare: contig name with , < >",
    c_ref_contig_illegal_chars,
    "error: name illegal in SAM/VCF",
    "nonzero",
    r"(?i)chr3,alt",
)
add(
    "5e",
    "5",
    "reference prepare: FASTA with CRLF line ends",
    c_ref_crlf,
    "error or accepted (bwa/samtools reads CRLF?)",
    "any",
    r".",
)
add(
    "5f",
    "5",
    "duplicate key inside a population_af item",
    c_yaml_nested_duplicate,
    "error naming both lines",
    "nonzero",
    r"(?i)population.*(twice|duplicate)|line",
)
add(
    "5g",
    "5",
    "config with a tab for indentation",
    c_yaml_tab,
    "error: line, tab",
    "nonzero",
    r"(?i)tab",
)
add(
    "5h",
    "5",
    "config copied to another folder (relative paths)",
    c_config_relative_elsewhere,
    "error naming the resolved paths",
    "nonzero",
    r"(?i)other",
)
add(
    "5i",
    "5",
    "sheet: BOM, CRLF, trailing tab and blank lines",
    c_sheet_bom_crlf_trailing_blank_and_tabs,
    "accepted",
    "0",
    r"valid",
)
add(
    "5j",
    "5",
    "sheet written with commas (CSV)",
    c_sheet_commas,
    "error: comma, not tab",
    "nonzero",
    r"(?i)comma|tab",
)
add(
    "5k",
    "5",
    "BED with a track line and a header line",
    c_bed_track_and_header,
    "accepted, or the header line named with the fix",
    "any",
    r"valid|header",
)
add(
    "5l",
    "5",
    "BED row with end < start",
    c_bed_end_before_start,
    "error naming the line",
    "nonzero",
    r"(?i)line 5",
)
add(
    "5m",
    "5",
    "BED with spaces instead of tabs",
    c_bed_spaces,
    "error or accepted, named",
    "any",
    r"(?i)valid|tab|space",
)
add(
    "5n",
    "5",
    "targets BED bgzipped",
    c_bed_gz,
    "accepted or clear refusal",
    "any",
    r"(?i)valid|gzip|compress",
)
add(
    "5o",
    "5",
    "panel with BOM, CRLF and a gene not in the GFF3",
    c_panel_bom_crlf_unknown_gene,
    "error/warning naming NOTAGENE1",
    "any",
    r"NOTAGENE1",
)
add(
    "5p",
    "5",
    "GFF3 with no genes on the reference's contigs (NC_ names)",
    c_gff3_no_genes_on_contigs,
    "error: contigs do not match",
    "nonzero",
    r"(?i)NC_0000",
)
add(
    "5q",
    "5",
    "GFF3 with BOM and CRLF",
    c_gff3_crlf_bom,
    "error naming the byte-order mark, with a fix (CRLF alone is read by csq)",
    "nonzero",
    r"byte-order mark",
)
add(
    "5r",
    "5",
    "MGI read names declared ILLUMINA",
    c_mgi_names_said_illumina,
    "warning naming PK002",
    "0",
    r"(?i)warning.*(MGI|DNBSEQ)",
)
add(
    "5s",
    "5",
    "platform 'bgiseq-500' (lowercase, model suffix)",
    c_platform_lowercase_alias,
    "accepted as DNBSEQ or named",
    "any",
    r"(?i)valid|bgiseq",
)
add(
    "5t",
    "5",
    "sample name with é",
    c_sample_name_unicode,
    "error: letters, digits, -_.",
    "nonzero",
    r"(?i)PK.002",
)
add(
    "5u",
    "5",
    "init: barcode table BOM+CRLF, one sample name for two barcodes",
    c_init_barcodes_crlf_bom_duplicate,
    "error or merge as two units, named",
    "any",
    r"(?i)PK010",
)
add(
    "5v",
    "5",
    "init: folder with no FASTQ",
    c_init_no_fastq,
    "error: no FASTQ found",
    "nonzero",
    r"(?i)fastq",
)
add(
    "5w",
    "5",
    "evaluate: plain truth with contigs 1,2,3 against chr reference",
    c_truth_plain_chr_mismatch,
    "error naming contig names",
    "nonzero",
    r"(?i)chr|contig",
)

add(
    "6a",
    "6",
    "FASTA touched (mtime) but not changed after prepare",
    c_fasta_touched_not_changed,
    "accepted, nothing rebuilt",
    "0",
    r"valid",
)
add(
    "6b",
    "6",
    "killed reference prepare: .bwt cut to a third",
    c_killed_prepare_truncated_bwt,
    "error: index incomplete, rerun prepare",
    "nonzero",
    r"(?i)prepare",
)
add(
    "6c",
    "6",
    "killed reference prepare: .sa and stamp missing",
    c_killed_prepare_no_stamp,
    "the run (dry run shown) rebuilds the bwa index first",
    "0",
    r"reference_index",
)
add(
    "6d",
    "6",
    "reference symlink re-pointed at an edited FASTA after prepare",
    c_fasta_symlink_swapped,
    "error, or the run (dry run shown) indexes the new target first",
    "any",
    r"(?i)changed|reference_index",
)

add(
    "8a",
    "4/7/8",
    "markup in lab name, patient fields, GFF3 Name, ClinVar CLNDN; umask 027; 0/0 PASS",
    c_html_injection_run,
    "run ok; no raw markup; result files 640; no 0/0 PASS",
    "0",
    r".",
    check=check_html_run,
    run=True,
)


def leftovers(d: Path) -> list[str]:
    """Files that look half-written: temp names, zero-byte results, BGZF without EOF."""
    found = []
    for path in d.rglob("*"):
        if not path.is_file() or path.is_symlink() or "data" in path.relative_to(d).parts[:1]:
            continue
        name = path.name
        if re.search(r"(\.tmp|\.partial|~)$|^\.|\.tmp\.", name) and ".snakemake" not in str(path):
            found.append(f"temp file {path.relative_to(d)}")
        if name.endswith((".bam", ".vcf.gz", ".bcf")):
            with open(path, "rb") as handle:
                handle.seek(max(0, path.stat().st_size - 28))
                if not handle.read().endswith(
                    bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")
                ):
                    found.append(f"no BGZF EOF {path.relative_to(d)}")
    return found


def drive(case: Case, work: Path) -> tuple[Outcome, str]:
    """Build the case in work/<id>, run its command; the outcome and the command as shown."""
    d = work / case.id
    if d.exists():
        shutil.rmtree(d)
    cmd = case.build(d)
    shown = " ".join(cmd).replace(str(d), "$CASE").replace(LABPIPE, "labpipe")
    shown = shown.replace(str(DEMO), "test_data").replace(str(SHARED), "bad-inputs")
    res = subprocess.run(
        cmd, capture_output=True, text=True, cwd=d if d.exists() else work, check=False
    )
    text = (res.stdout + res.stderr).strip()
    (work / f"{case.id}.output.txt").write_text(text + "\n")
    out = Outcome(res.returncode, text, "Traceback" in text)
    out.leftovers = leftovers(d)
    if case.check:
        out.notes = case.check(d, out)
    while MOUNTS:
        subprocess.run(["umount", "-l", str(MOUNTS.pop())], capture_output=True, check=False)
    return out, shown


def descendants(root: int) -> list[int]:
    """Every process below ``root`` (from /proc), children before their own children."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [root]
    while todo:
        children = parents.get(todo.pop(), [])
        found += children
        todo += children
    return found


def drive_kill(work: Path) -> Outcome:
    """Kill a run (SIGKILL, whole process group) once it has written its first BAM, then run
    the same command again: nothing half-written may be left, and the rerun must finish."""
    d = work / "4a"
    if d.exists():
        shutil.rmtree(d)
    config = lab(d)
    proc = subprocess.Popen(
        run_cmd(config),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=d,
        start_new_session=True,
    )
    deadline = time.time() + 300
    while time.time() < deadline and not any((d / "out").rglob("*.bam*")):
        time.sleep(0.2)
    time.sleep(1.0)
    # As a power cut or a cgroup kill would: labpipe and every process under it (Snakemake
    # runs in a session of its own), by id, all at once.
    tree = descendants(proc.pid)
    for pid in [proc.pid, *tree]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    proc.wait()
    # A .partial name marks a file as unfinished (the rerun must remove or replace it).
    after_kill = [x for x in leftovers(d) if not x.endswith(".partial")]
    marked = sum(1 for x in leftovers(d) if x.endswith(".partial"))
    res = subprocess.run(run_cmd(config), capture_output=True, text=True, cwd=d, check=False)
    text = f"(after the kill: {marked} .partial file(s))\n" + (res.stdout + res.stderr).strip()
    (work / "4a.output.txt").write_text(text + "\n")
    out = Outcome(res.returncode, text, "Traceback" in text, leftovers(d))
    out.notes = [f"after the kill: {x}" for x in after_kill]
    return out


KILL = Case(
    "4a",
    "4",
    "run killed with SIGKILL after its first BAM, then run again",
    lambda d: [],
    "rerun finishes; nothing half-written after the kill or the rerun",
    "0",
    r"(?i)report",
    run=True,
)


def short(text: str, width: int = 260) -> str:
    """The message as the user reads it, from labpipe's first line, on one line."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    errors = [i for i, ln in enumerate(lines) if "labpipe: error" in ln or "Traceback" in ln]
    errors = errors or [i for i, ln in enumerate(lines) if ln.startswith("Run summary")]
    start = (
        errors[0]
        if errors
        else next((i for i, ln in enumerate(lines) if "labpipe: " in ln), max(0, len(lines) - 3))
    )
    flat = " / ".join(ln.strip() for ln in lines[start:])
    flat = flat.replace("|", "\\|")
    return flat[:width] + ("…" if len(flat) > width else "")


def clean(case: Case, out: Outcome) -> bool:
    if out.traceback or out.leftovers or out.notes:
        return False
    if case.rc == "0" and out.rc != 0:
        return False
    if case.rc == "nonzero" and out.rc == 0:
        return False
    return bool(re.search(case.message, out.text)) if case.message else True


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", type=Path, default=Path("/tmp/adv11-batch"))
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--no-runs", action="store_true")
    parser.add_argument("--json", type=Path, help="write the outcomes here")
    parser.add_argument(
        "--table",
        nargs=2,
        type=Path,
        metavar=("BEFORE_JSON", "AFTER_JSON"),
        help="write benchmarks/bad_inputs_batch.md from two outcome files",
    )
    args = parser.parse_args()
    if args.table:
        write_table(REPO / "benchmarks" / "bad_inputs_batch.md", *args.table)
        return
    args.work.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[str, object]] = {}
    for case in [*CASES, KILL]:
        if (args.only and case.id not in args.only) or (args.no_runs and case.run):
            continue
        if case is KILL:
            out, shown = drive_kill(args.work), "labpipe run config.yaml --cores 2 (killed), again"
        else:
            out, shown = drive(case, args.work)
        ok = clean(case, out)
        print(
            f"{case.id}\trc={out.rc}\ttb={out.traceback}\tclean={ok}\t{short(out.text, 400)}"
            f"\t{out.leftovers}\t{out.notes}",
            flush=True,
        )
        results[case.id] = {
            "rc": out.rc,
            "message": short(out.text),
            "traceback": out.traceback,
            "left": out.leftovers + out.notes,
            "clean": ok,
            "command": shown,
        }
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")


NOTES = "\n## Notes (written by hand, kept when the table is written again)\n"


def write_table(path: Path, before_json: Path, after_json: Path) -> None:
    before = json.loads(before_json.read_text())
    after = json.loads(after_json.read_text())
    lines = [
        "# An independent batch of bad inputs (issue 11), before and after its fixes",
        "",
        "Written by `benchmarks/bad_inputs_batch.py --table BEFORE.json AFTER.json`; each case",
        "is built from the demo data (or the shared bad-input files) and run through the real",
        "CLI (`labpipe validate|run|init|reference prepare|evaluate|simulate`). *before*: main",
        "at 9f68e65 (before the fault-handling work landed and before this batch's fixes);",
        "*after*: this branch. *clean*: exit code as expected, the message says what and where,",
        "no traceback, nothing half-written left (temporary files, BGZF without EOF block), and",
        "for the run with markup: no raw markup in any HTML, files following umask 027, no 0/0",
        "call with FILTER PASS. `$CASE` is the case's folder.",
        "",
        "| case | class | input | command | expected | before: exit, clean | after: exit |"
        " after: message (start) | traceback | left behind | clean |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    counts = [0, 0]
    for case in [*CASES, KILL]:
        b, a = before.get(case.id), after.get(case.id)
        if a is None:
            continue
        counts[0] += bool(b and b["clean"])
        counts[1] += bool(a["clean"])
        was = f"{b['rc']}, {'yes' if b['clean'] else 'NO'}" if b else "not run"
        left = "; ".join(a["left"]) or "—"
        message = re.sub(rf"/tmp/[^/ ]+/{case.id}\b", "$CASE", a["message"])
        lines.append(
            f"| {case.id} | {case.klass} | {case.what} | `{a['command']}` | {case.expected} |"
            f" {was} | {a['rc']} | {message} | {'yes' if a['traceback'] else 'no'} |"
            f" {left} | {'yes' if a['clean'] else 'NO'} |"
        )
    total = sum(1 for c in [*CASES, KILL] if c.id in after)
    lines += ["", f"Clean: {counts[0]} of {total} before, {counts[1]} of {total} after."]
    notes = (
        path.read_text().split(NOTES, 1)[1] if path.exists() and NOTES in path.read_text() else ""
    )
    path.write_text("\n".join(lines) + "\n" + (NOTES + notes if notes else ""))


if __name__ == "__main__":
    main()
