"""The input checks on malformed files from other projects' test suites.

The files live in shared/data/bad-inputs (htslib, bcftools, pysam, cyvcf2 test
data; see its PROVENANCE.md) and are not copied here; without that folder the
module is skipped. Each file is run through the check a lab could put it
through by mistake, and must get a specific message, or none where
PROVENANCE.md calls it valid.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from labpipe.inputs.checks.fasta import check_reference, reference_contigs
from labpipe.inputs.checks.fastq import check_fastq
from labpipe.inputs.checks.fastq_pair import check_fastq_pair
from labpipe.inputs.checks.gff3 import check_gff3_contigs
from labpipe.inputs.checks.targets import check_targets
from tests.paths import SHARED_DATA

SHARED = SHARED_DATA
BAD = SHARED / "bad-inputs"
GIAB = SHARED / "giab-na12878-chr20-b37-nucleus"

pytestmark = pytest.mark.shared_data("bad-inputs/PROVENANCE.md")

VCF = "the file is a VCF, not FASTQ reads; check the sample sheet's fq1/fq2 columns"
# {path}, {dir} and {stem} stand for the file, its folder and its name without suffixes.
SAM = (
    "the file is SAM alignments, not FASTQ: convert it with `samtools collate -u -O {path} |"
    " samtools fastq -1 {dir}/{stem}.R1.fastq.gz -2 {dir}/{stem}.R2.fastq.gz -0 /dev/null -s"
    " /dev/null -`, then give those two files in the sample sheet (the SAM holds the reads once"
    " aligned; the sequencer's FASTQ is better)"
)
EMPTY = "the file is empty (0 bytes); copy it again from the run"
INTERLEAVED = (
    "looks interleaved (reads 1 and 2 are both 'HS25_09827:2:1201:1505:59795#49'): labpipe"
    " needs R1 and R2 in separate files; split it with `zcat -f {path} | awk 'NR % 8 >= 1 &&"
    " NR % 8 <= 4' | gzip -c > {dir}/{stem}.R1.fastq.gz` and `zcat -f {path} | awk 'NR % 8 =="
    " 0 || NR % 8 >= 5' | gzip -c > {dir}/{stem}.R2.fastq.gz`, then give the two files in the"
    " sample sheet"
)
MULTI_LINE = (
    "the sequence continues on the next line (multi-line FASTQ); fastp reads exactly 4 lines"
    " per read and would silently drop reads: make a copy with one line per sequence with"
    " `samtools import -0 {path} -o - | samtools fastq -o {dir}/{stem}.unwrapped.fastq.gz -`,"
    " then give the new file in the sample sheet"
)
GTF = (
    'line 1: this is GTF (attributes written gene_id "..."), not GFF3: give the GFF3 file of'
    " the same annotation release"
)

Check = Callable[[Path], list[str]]


def as_fastq(path: Path) -> list[str]:
    return check_fastq(path)


def as_reference(path: Path) -> list[str]:
    return check_reference(path)


def as_gff3(path: Path) -> list[str]:
    return check_gff3_contigs(path, {"chr1": 248_956_422})


def as_targets(path: Path) -> list[str]:
    return check_targets(path, None)


# (file, the check a lab could put it through, what PROVENANCE.md says, messages after "<path>: ").
CASES: list[tuple[str, Check, str, list[str]]] = [
    ("htslib/longline.fq", as_fastq, "valid, very long line", []),
    ("htslib/minimal.fq", as_fastq, "valid, minimal record", []),
    ("htslib/UMI.fq", as_fastq, "valid, UMI read names", []),
    ("pysam/faidx_empty_seq.fq", as_fastq, "FASTQ with an empty read", []),
    # PROVENANCE calls multi-line FASTQ valid, and it is; but fastp 0.23 reads 4 lines per
    # record and exits 0 having dropped the reads, so labpipe must refuse it.
    (
        "htslib/multiline.fq",
        as_fastq,
        "valid, multi-line records",
        [f"line 1 (read 1): {MULTI_LINE}"],
    ),
    (
        "htslib/fastqs.fq",
        as_fastq,
        "mixed encodings, wrapped 454 reads",
        [f"line 153 (read 39): {MULTI_LINE}"],
    ),
    ("htslib/interleaved_casava.fq", as_fastq, "CASAVA names, R1/R2 interleaved", [INTERLEAVED]),
    (
        "htslib/filter_casava.fq",
        as_fastq,
        "CASAVA names with the filter flag, interleaved",
        [INTERLEAVED],
    ),
    ("htslib/emptyfile", as_fastq, "0-byte file", [EMPTY]),
    ("cyvcf2/empty.vcf", as_fastq, "0-byte file", [EMPTY]),
    ("pysam/example_empty.vcf", as_fastq, "0-byte file", [EMPTY]),
    ("pysam/ex9_fail.sam", as_fastq, "SAM with a QC-fail read", [SAM]),
    ("pysam/example_empty_header.sam", as_fastq, "SAM without header", [SAM]),
    ("pysam/example_empty_with_header.sam", as_fastq, "SAM header, no reads", [SAM]),
    ("bcftools/empty.vcf", as_fastq, "valid VCF without records", [VCF]),
    ("cyvcf2/test-invalid-header.vcf", as_fastq, "VCF with an empty sample name", [VCF]),
    ("bcftools/weird-chr-names.vcf", as_fastq, "VCF, odd contig names", [VCF]),
    ("htslib/weird-chr-names.vcf", as_fastq, "VCF, odd contig names", [VCF]),
    ("bcftools/merge.broken-gvcf.a.vcf", as_fastq, "broken gVCF blocks", [VCF]),
    ("bcftools/split-vep.broken-LoF.vcf", as_fastq, "broken VEP CSQ", [VCF]),
    ("bcftools/missing.vcf", as_fastq, "missing values", [VCF]),
    ("bcftools/filter-missing-floats.vcf", as_fastq, "missing values", [VCF]),
    ("bcftools/norm.join-missing-ploidy.vcf", as_fastq, "missing values", [VCF]),
    ("htslib/formatmissing.vcf", as_fastq, "missing values", [VCF]),
    ("pysam/missing_genotypes.vcf", as_fastq, "missing values", [VCF]),
    ("bcftools/reheader.empty.hdr", as_fastq, "a VCF header for reheader", [VCF]),
    (
        "pysam/example_badcomments.vcf.gz",
        as_fastq,
        "bad comment lines, for tabix",
        ["the gzip data holds a VCF, not FASTQ reads; check the sample sheet's fq1/fq2 columns"],
    ),
    (
        "pysam/empty.bed.gz",
        as_fastq,
        "bgzip with no data",
        ["the file holds no reads (the gzip data decompresses to nothing)"],
    ),
    (
        "htslib/faidx.fa",
        as_fastq,
        "a FASTA",
        [
            "the file is FASTA, not FASTQ (line 1 starts with '>'): reads need base qualities;"
            " give the sequencer's FASTQ files"
        ],
    ),
    (
        "htslib/faidx.fa",
        as_reference,
        "FASTA edge cases for faidx",
        [
            "line 1: a sequence has no name after '>'; name it",
            "line 17: the name 'foo' follows a space after '>'; bwa and samtools would name it"
            " differently: remove the space",
            "line 20: the name 'bar' follows a space after '>'; bwa and samtools would name it"
            " differently: remove the space",
        ],
    ),
    ("pysam/gtf_wrong_fields.gtf.gz", as_gff3, "GTF, wrong column count", [GTF]),
    ("pysam/empty.bed.gz", as_targets, "bgzip with no data", ["the BED file has no regions"]),
]


@pytest.mark.parametrize(
    ("name", "check", "provenance", "messages"),
    CASES,
    ids=[f"{name}:{check.__name__}" for name, check, _, _ in CASES],
)
def test_bad_input(name: str, check: Check, provenance: str, messages: list[str]) -> None:
    path = BAD / name
    stem = path.name.removesuffix(".fq").removesuffix(".sam")
    expected = [m.replace("{path}", str(path)) for m in messages]
    expected = [m.replace("{dir}", str(path.parent)).replace("{stem}", stem) for m in expected]
    assert check(path) == [f"{path}: {m}" for m in expected], provenance


def test_every_shared_file_is_in_the_table() -> None:
    listed = {name for name, *_ in CASES}
    present = {str(p.relative_to(BAD)) for p in BAD.rglob("*") if p.is_file() and p.suffix != ".md"}
    assert present - listed == set()


@pytest.mark.shared_data("giab-na12878-chr20-b37-nucleus")
def test_real_illumina_pair_and_bgzip_reference_pass() -> None:
    fasta = GIAB / "ucsc.hg19.chr20.unittest.fasta.gz"
    assert (
        check_fastq_pair(GIAB / "NA12878_small_R1.fastq.gz", GIAB / "NA12878_small_R2.fastq.gz")
        == []
    )
    assert check_reference(fasta) == []
    contigs = reference_contigs(fasta)
    assert contigs == {"chr20": 63_025_520}
    bed = GIAB / "test_nist.b37_chr20_100kbp_at_10mb.bed"
    assert check_targets(bed, contigs) == []
