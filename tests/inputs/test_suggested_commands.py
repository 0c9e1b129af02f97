"""Every shell command labpipe suggests is safe to run as printed.

Issue 10: for a plain-gzip FASTA, validate suggested ``zcat X.fa.gz | bgzip >
X.fa.gz``, which empties the reference. Each case below makes a real small bad
input, takes the commands from the message labpipe prints (between backticks),
runs them in a shell in the input's folder, and checks that the input is
byte-for-byte unchanged and that the new file passes the same check.
"""

from __future__ import annotations

import ast
import gzip
import hashlib
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pysam
import pytest

from labpipe.annotation.source_checks import check_source
from labpipe.annotation.source_content import SourceCheck
from labpipe.inputs.checks.fasta import check_reference
from labpipe.inputs.checks.fastq import check_fastq
from labpipe.inputs.checks.fastq_pair import check_fastq_pair
from labpipe.inputs.checks.gff3 import check_gff3_contigs
from tests.builders import write_fasta
from tests.paths import REPO

TOOLS = ("bgzip", "tabix", "samtools", "bcftools", "bzip2", "xz", "zstd", "perl", "awk")
pytestmark = pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in TOOLS), reason="a command-line tool is missing"
)

SRC = REPO / "src" / "labpipe"
COMMAND = re.compile(r"`([^`]+)`")
# Written by labpipe itself or tools that only read: not run here.
NOT_RUN = ("labpipe ",)


def commands(message: str) -> list[str]:
    return [c for c in COMMAND.findall(message) if not c.startswith(NOT_RUN)]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_suggestions(messages: list[str], inputs: list[Path], folder: Path) -> list[Path]:
    """Run every suggested command; return the files it made. Inputs must survive."""
    before = {p: digest(p) for p in inputs}
    existing = set(folder.iterdir())
    found = [c for m in messages for c in commands(m)]
    assert found, f"no command in {messages}"
    for command in found:
        done = subprocess.run(["bash", "-c", command], cwd=folder, capture_output=True, text=True)
        assert done.returncode == 0, f"{command}: {done.stderr}"
    assert {p: digest(p) for p in inputs} == before, "a suggested command changed its input"
    return sorted(set(folder.iterdir()) - existing)


def record(name: str, seq: str = "ACGTACGTAC", qual: str = "IIIIIIIIII") -> str:
    return f"@{name}\n{seq}\n+\n{qual}\n"


def reads(mate: int, n: int = 5) -> str:
    return "".join(record(f"r{i}/{mate}") for i in range(n))


# ---------------------------------------------------------------------------- FASTQ


def compressed_with(tool: str) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        plain = folder / "S1_R1.fastq"
        plain.write_text(reads(1))
        subprocess.run([tool, plain.name], cwd=folder, check=True)
        return next(folder.glob("S1_R1.fastq.*"))

    return make


def plain_named_gz(folder: Path) -> Path:
    path = folder / "S1_R1.fastq.gz"
    path.write_text(reads(1))
    return path


def phred64(folder: Path) -> Path:
    path = folder / "old.fq"
    path.write_text(record("r1/1", "ACGTACGT", "hhhhggfB") + record("r2/1", "ACGTACGT", "hhhh^^YB"))
    return path


def windows_endings(folder: Path) -> Path:
    path = folder / "S1_R1.fq"
    path.write_text(reads(1).replace("\n", "\r\n"))
    return path


def multi_line(folder: Path) -> Path:
    path = folder / "S1_R1.fq"
    path.write_text("@r1/1\nACGTACGT\nACGT\n+\nIIIIIIII\nIIII\n@r2/1\nACGT\nAC\n+\nIIII\nII\n")
    return path


def trailing_bytes(folder: Path) -> Path:
    path = folder / "S1_R1.fq.gz"
    path.write_bytes(gzip.compress(reads(1).encode()) + bytes(10))
    return path


FASTQ_CASES: list[tuple[str, Callable[[Path], Path]]] = [
    ("bzip2", compressed_with("bzip2")),
    ("xz", compressed_with("xz")),
    ("zstd", compressed_with("zstd")),
    ("plain named .gz", plain_named_gz),
    ("Phred+64", phred64),
    ("CR LF", windows_endings),
    ("multi-line", multi_line),
    ("bytes after the gzip data", trailing_bytes),
]


@pytest.mark.parametrize("make", [m for _, m in FASTQ_CASES], ids=[n for n, _ in FASTQ_CASES])
def test_fastq_fixes_write_a_new_good_file(make: Callable[[Path], Path], tmp_path: Path) -> None:
    bad = make(tmp_path)
    messages = check_fastq(bad)
    assert messages and all("give the new file in the sample sheet" in m for m in messages)
    made = [p for p in run_suggestions(messages, [bad], tmp_path) if p.name.endswith(".gz")]
    assert len(made) == 1
    assert check_fastq(made[0]) == []


def test_phred64_copy_has_phred33_qualities(tmp_path: Path) -> None:
    bad = phred64(tmp_path)
    (made,) = run_suggestions(check_fastq(bad), [bad], tmp_path)
    qualities = gzip.decompress(made.read_bytes()).decode().splitlines()[3::4]
    assert qualities == ["IIIIHHG#", "IIII??:#"]  # 'h' (Q40) -> 'I', 'B' (Q2) -> '#'


def interleaved(folder: Path) -> Path:
    path = folder / "S1.fq"
    path.write_text("".join(record(f"q{i}/1") + record(f"q{i}/2", "TTTTTTTTTT") for i in range(4)))
    return path


def alignments(kind: str) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        header = {"HD": {"VN": "1.6"}, "SQ": [{"SN": "chr1", "LN": 1000}]}
        path = folder / f"S1.{kind}"
        with pysam.AlignmentFile(str(path), "wb" if kind == "bam" else "w", header=header) as out:
            for i in range(4):
                for mate, flag in ((1, 77), (2, 141)):  # paired, unmapped, first/second
                    read = pysam.AlignedSegment(out.header)
                    read.query_name = f"q{i}"
                    read.flag = flag
                    read.query_sequence = "ACGTACGTAC" if mate == 1 else "TTTTTTTTTT"
                    read.query_qualities = pysam.qualitystring_to_array("IIIIIIIIII")
                    out.write(read)
        return path

    return make


@pytest.mark.parametrize(
    "make", [interleaved, alignments("bam"), alignments("sam")], ids=["interleaved", "BAM", "SAM"]
)
def test_fixes_that_write_two_files_give_a_good_pair(
    make: Callable[[Path], Path], tmp_path: Path
) -> None:
    bad = make(tmp_path)
    messages = check_fastq(bad)
    r1, r2 = run_suggestions(messages, [bad], tmp_path)
    assert (r1.name, r2.name) == (f"{bad.stem}.R1.fastq.gz", f"{bad.stem}.R2.fastq.gz")
    assert check_fastq_pair(r1, r2) == []


# ------------------------------------------------------------------------ reference


def test_plain_gzip_reference_keeps_the_reference(tmp_path: Path) -> None:
    # The command of issue 10 emptied this file.
    plain = write_fasta(tmp_path / "genome.fa", {"chr1": "ACGT" * 5000})
    reference = tmp_path / "genome.fa.gz"
    reference.write_bytes(gzip.compress(plain.read_bytes()))
    plain.unlink()
    messages = check_reference(reference)
    assert "set reference.fasta to it" in messages[0]
    (made,) = run_suggestions(messages, [reference], tmp_path)
    assert made.name == "genome.bgzip.fa.gz"
    assert check_reference(made) == []
    assert pysam.FastaFile(str(made)).fetch("chr1") == "ACGT" * 5000


# ------------------------------------------------------------------ annotation files

CHR1 = "ACGTTGCAAC" * 200
HEADER = (
    "##fileformat=VCFv4.2\n##contig=<ID={contig},length=2000>\n"
    '##INFO=<ID=AF,Number=A,Type=Float,Description="AF">\n'
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
)


def source_text(contig: str = "chr1") -> str:
    records = [f"{contig}\t{p}\t.\t{CHR1[p - 1]}\tG\t.\tPASS\tAF=0.1\n" for p in (2, 11, 21)]
    return HEADER.format(contig=contig) + "".join(records)


def source_problems(path: Path, fasta: Path) -> list[str]:
    spec = SourceCheck(
        path, "population AF VCF 'g'", "annotation.population_af[0].vcf", (("k", "AF"),)
    )
    return check_source(spec, {"chr1": len(CHR1)}, fasta, None).problems


@pytest.fixture
def fasta(tmp_path: Path) -> Path:
    folder = tmp_path / "ref"
    folder.mkdir()
    path = write_fasta(folder / "ref.fa", {"chr1": CHR1})
    pysam.faidx(str(path))
    return path


def plain_vcf(folder: Path) -> list[Path]:
    path = folder / "gnomad.vcf"
    path.write_text(source_text())
    return [path]


def gzip_vcf(folder: Path) -> list[Path]:
    path = folder / "gnomad.vcf.gz"
    path.write_bytes(gzip.compress(source_text().encode()))
    return [path]


def unindexed_vcf(folder: Path) -> list[Path]:
    path = folder / "gnomad.vcf.gz"
    pysam.tabix_compress(str(plain_vcf(folder)[0]), str(path))
    (folder / "gnomad.vcf").unlink()
    return [path]


def stale_index(folder: Path) -> list[Path]:
    (path,) = unindexed_vcf(folder)
    pysam.tabix_index(str(path), preset="vcf")
    os.utime(f"{path}.tbi", (path.stat().st_mtime - 600,) * 2)
    return [path, Path(f"{path}.tbi")]


def stale_csi(folder: Path) -> list[Path]:
    (path,) = unindexed_vcf(folder)
    pysam.tabix_index(str(path), preset="vcf", csi=True)
    os.utime(f"{path}.csi", (path.stat().st_mtime - 600,) * 2)
    return [path, Path(f"{path}.csi")]


def other_names(folder: Path) -> list[Path]:
    path = folder / "gnomad.vcf.gz"
    (folder / "plain.vcf").write_text(source_text("NC_000001.11"))
    pysam.tabix_compress(str(folder / "plain.vcf"), str(path))
    (folder / "plain.vcf").unlink()
    pysam.tabix_index(str(path), preset="vcf")
    # The names file the message asks the lab to write.
    (folder / "names.txt").write_text("NC_000001.11 chr1\n")
    return [path]


VCF_CASES = [plain_vcf, gzip_vcf, unindexed_vcf, stale_index, stale_csi, other_names]


@pytest.mark.parametrize("make", VCF_CASES, ids=[m.__name__ for m in VCF_CASES])
def test_source_vcf_fixes(make: Callable[[Path], list[Path]], tmp_path: Path, fasta: Path) -> None:
    folder = tmp_path / "sources"
    folder.mkdir()
    inputs = make(folder)
    messages = source_problems(inputs[0], fasta)
    assert len(messages) == 1
    vcf_inputs = [p for p in inputs if p.suffix not in (".tbi", ".csi")]  # stale: to be remade
    made = run_suggestions(messages, vcf_inputs, folder)
    new = [p for p in made if p.name.endswith(".vcf.gz")] or inputs[:1]
    if made and new != inputs[:1]:
        assert "then set annotation.population_af[0].vcf to" in messages[0]
    assert source_problems(new[0], fasta) == []


def test_gff3_rename_fix(tmp_path: Path) -> None:
    gff3 = tmp_path / "genes.gff3.gz"
    text = (
        "##gff-version 3\n##sequence-region 1 1 2000\n"
        "1\tens\tgene\t100\t900\t.\t+\t.\tID=gene:G1;Name=G1\n"
        "MT\tens\tgene\t10\t90\t.\t+\t.\tID=gene:G2;Name=G2\n"
    )
    gff3.write_bytes(gzip.compress(text.encode()))
    contigs = {"chr1": 2000, "chrM": 16569}
    messages = check_gff3_contigs(gff3, contigs)
    assert "then set annotation.gff3 to" in messages[-1]
    (made,) = run_suggestions(messages, [gff3], tmp_path)
    assert check_gff3_contigs(made, contigs) == []
    names = [
        line.split("\t")[0] for line in gzip.decompress(made.read_bytes()).decode().splitlines()
    ]
    assert [n for n in names if not n.startswith("#")] == ["chr1", "chrM"]


# ------------------------------------------------------------------- the whole class


def _text(node: ast.expr) -> str | None:
    """A string literal's text (an f-string's fields as {}); None for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "{}"
            for v in node.values
        )
    return None


def suggested_in_source() -> list[tuple[str, str]]:
    """Every backquoted command in a string of labpipe's code (file, command), docstrings aside."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text())
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
        }
        for node in ast.walk(tree):
            text = _text(node) if isinstance(node, ast.expr) else None
            if text is None or id(node) in docstrings or "``" in text:
                continue
            found += [(path.name, c) for c in COMMAND.findall(text)]
    return found


def test_no_message_suggests_an_in_place_or_unavailable_command() -> None:
    # Tools that overwrite or delete their input, placeholders instead of names, and tools a
    # lab's workstation need not have (labpipe needs samtools, bcftools, htslib; perl, awk, tr
    # are part of every Linux).
    forbidden = re.compile(
        r"\bmv\b|\brm\b|sed -i|\bseqtk\b|\bdos2unix\b|\bFILE\b|\bnew\.|bgzip (?!-c)[^|]*$"
    )
    suggested = suggested_in_source()
    assert ("files.py", "zcat {} | bgzip -c > {}") in suggested  # the scan sees them
    bad = [(name, c) for name, c in suggested if forbidden.search(c)]
    assert bad == []
