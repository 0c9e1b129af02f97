"""Builders shared by several test files: small inputs made in code, so a test shows its data.

Fixtures live in tests/conftest.py; a builder used by one test file stays in that file.
"""

from __future__ import annotations

import fcntl
import gzip
import random
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import pysam
import pytest

from labpipe.cli import main
from labpipe.config.lab import LabConfig
from labpipe.config.settings import config_from_mapping
from labpipe.qc.metrics import SampleQC

# ---- Reads and references ------------------------------------------------------------------

_COMPLEMENT = str.maketrans("ACGT", "TGCA")


# Illumina TruSeq adapters as they read through past a short insert (R1 and R2 sides).
ADAPTER_R1 = "AGATCGGAAGAGCACACGTCTGAACTCCAGTCACATCTCGTATGCCGTCTTCTGCTTG"
ADAPTER_R2 = "AGATCGGAAGAGCGTCGTGTAGGGAAAGAGTGTAGATCTCGGTGGTCGCCGTATCATT"

HIGH_QUALITY = "I"  # Q40
LOW_QUALITY = "+"  # Q10: below Q30, but fastp keeps reads with a few of these
FAILING_QUALITY = "#"  # Q2: a read made only of these fails fastp's quality filter


def reverse_complement(sequence: str) -> str:
    """Reverse complement of an ACGT string."""
    return sequence.translate(_COMPLEMENT)[::-1]


def write_fasta(path: Path, contigs: dict[str, str]) -> Path:
    """Write a FASTA (60 bases a line) and index it with samtools faidx."""
    with open(path, "w") as handle:
        for name, sequence in contigs.items():
            handle.write(f">{name}\n")
            for start in range(0, len(sequence), 60):
                handle.write(sequence[start : start + 60] + "\n")
    pysam.faidx(str(path))
    return path


def random_sequence(rng: random.Random, length: int) -> str:
    """A uniformly random ACGT sequence."""
    return "".join(rng.choice("ACGT") for _ in range(length))


@dataclass(frozen=True)
class SimulatedPair:
    """One simulated read pair and what it is meant to test.

    Attributes:
        read1, read2: Sequences as sequenced.
        quality1, quality2: Phred+33 qualities.
        kind: ``unique``, ``duplicate`` (an exact copy of a unique pair), ``adapter``
            (insert shorter than the reads), ``unmappable`` (random sequence) or ``low_quality``
            (fails fastp's quality filter).
        fragment_length: Insert size on the reference (0 for unmappable pairs).
    """

    read1: str
    quality1: str
    read2: str
    quality2: str
    kind: str
    fragment_length: int


@dataclass(frozen=True)
class TinyDataset:
    """A random reference, paired FASTQ units simulated from it, and a targets BED.

    Attributes:
        reference: FASTA with its .fai.
        contig: The one contig's name.
        sequence: The contig's sequence.
        targets_bed: Three targets: two in the middle, one running to the contig's end
            (where depth falls off, so the 10x/20x/30x fractions differ).
        units: (R1, R2) gzipped FASTQ paths, one pair per lane.
        pairs: Every simulated pair, in the order written (unit 1 first).
        read_length: Length of every read.
    """

    reference: Path
    contig: str
    sequence: str
    targets_bed: Path
    units: list[tuple[Path, Path]]
    pairs: list[SimulatedPair]
    read_length: int

    def count(self, kind: str) -> int:
        """Number of simulated pairs of one kind."""
        return sum(1 for pair in self.pairs if pair.kind == kind)

    @property
    def raw_reads(self) -> int:
        """Reads written (both mates)."""
        return 2 * len(self.pairs)

    @property
    def raw_bases(self) -> int:
        """Bases written."""
        return sum(len(p.read1) + len(p.read2) for p in self.pairs)

    @property
    def raw_q30_bases(self) -> int:
        """Bases written with quality >= 30."""
        return sum(sum(1 for q in p.quality1 + p.quality2 if ord(q) - 33 >= 30) for p in self.pairs)


def simulate_tiny_dataset(
    directory: Path,
    seed: int = 20240611,
    reference_length: int = 20_000,
    unique_pairs: int = 3000,
    duplicate_pairs: int = 150,
    adapter_pairs: int = 40,
    unmappable_pairs: int = 50,
    low_quality_pairs: int = 20,
    read_length: int = 100,
) -> TinyDataset:
    """Write a random reference and two FASTQ units of pairs simulated from it.

    Unique pairs have fragments of 250-500 bp (so mates never overlap) with 0.5% substitution
    errors and 10% Q10 bases; no two share a start and length, so the only duplicates are the
    planted exact copies. Pairs are shuffled, then split into two units.
    """
    rng = random.Random(seed)
    contig = "chrT"
    sequence = random_sequence(rng, reference_length)
    reference = write_fasta(directory / "tiny.fa", {contig: sequence})

    def qualities() -> str:
        return "".join(
            LOW_QUALITY if rng.random() < 0.1 else HIGH_QUALITY for _ in range(read_length)
        )

    def sequencing_errors(read: str) -> str:
        return "".join(
            rng.choice("ACGT".replace(base, "")) if rng.random() < 0.005 else base for base in read
        )

    pairs: list[SimulatedPair] = []
    # Keyed on (start, length) only: markdup treats both orientations of a fragment as one.
    fragments_seen: set[tuple[int, int]] = set()
    while len(pairs) < unique_pairs:
        length = max(250, min(500, round(rng.gauss(350, 40))))
        start = rng.randrange(0, reference_length - length + 1)
        if (start, length) in fragments_seen:
            continue
        fragments_seen.add((start, length))
        fragment = sequence[start : start + length]
        if rng.random() < 0.5:
            fragment = reverse_complement(fragment)
        pairs.append(
            SimulatedPair(
                sequencing_errors(fragment[:read_length]),
                qualities(),
                sequencing_errors(reverse_complement(fragment)[:read_length]),
                qualities(),
                "unique",
                length,
            )
        )
    for original in rng.sample(pairs, duplicate_pairs):
        pairs.append(
            SimulatedPair(
                original.read1,
                original.quality1,
                original.read2,
                original.quality2,
                "duplicate",
                original.fragment_length,
            )
        )
    for _ in range(adapter_pairs):
        length = 60
        start = rng.randrange(0, reference_length - length)
        insert = sequence[start : start + length]
        pairs.append(
            SimulatedPair(
                (insert + ADAPTER_R1)[:read_length],
                qualities(),
                (reverse_complement(insert) + ADAPTER_R2)[:read_length],
                qualities(),
                "adapter",
                length,
            )
        )
    for _ in range(unmappable_pairs):
        pairs.append(
            SimulatedPair(
                random_sequence(rng, read_length),
                qualities(),
                random_sequence(rng, read_length),
                qualities(),
                "unmappable",
                0,
            )
        )
    for _ in range(low_quality_pairs):
        length = 350
        start = rng.randrange(0, reference_length - length)
        fragment = sequence[start : start + length]
        pairs.append(
            SimulatedPair(
                fragment[:read_length],
                FAILING_QUALITY * read_length,
                reverse_complement(fragment)[:read_length],
                FAILING_QUALITY * read_length,
                "low_quality",
                length,
            )
        )
    rng.shuffle(pairs)

    units: list[tuple[Path, Path]] = []
    half = len(pairs) // 2
    for lane, chunk in enumerate((pairs[:half], pairs[half:]), start=1):
        r1 = directory / f"tiny_L00{lane}_R1.fastq.gz"
        r2 = directory / f"tiny_L00{lane}_R2.fastq.gz"
        with gzip.open(r1, "wt") as out1, gzip.open(r2, "wt") as out2:
            for number, pair in enumerate(chunk):
                name = f"L{lane}:{number}"
                out1.write(f"@{name}/1\n{pair.read1}\n+\n{pair.quality1}\n")
                out2.write(f"@{name}/2\n{pair.read2}\n+\n{pair.quality2}\n")
        units.append((r1, r2))

    targets_bed = directory / "tiny_targets.bed"
    targets_bed.write_text(
        f"{contig}\t2000\t3000\tT1\n"
        f"{contig}\t8000\t9500\tT2\n"
        f"{contig}\t{reference_length - 300}\t{reference_length}\tT3_contig_end\n"
    )
    return TinyDataset(reference, contig, sequence, targets_bed, units, pairs, read_length)


def one_read_fastq(path: Path, name: str) -> None:
    """A gzipped FASTQ of one 4-base read."""
    with gzip.open(path, "wt") as handle:
        handle.write(f"{name}\nACGT\n+\nIIII\n")


# ---- Running labpipe --------------------------------------------------------------------------

# labpipe in a fresh interpreter, as the workflow's rules call it.
LABPIPE = [sys.executable, "-m", "labpipe.cli"]


def run_labpipe_run(config: Path, cores: int) -> None:
    """`labpipe run CONFIG --cores N` in a fresh interpreter; fail with its output's end."""
    result = subprocess.run(
        [sys.executable, "-m", "labpipe.cli", "run", str(config), "--cores", str(cores)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def vcf_records(vcf: Path) -> list[str]:
    """Every record of a VCF as text, for comparing two runs' calls."""
    pysam.set_verbosity(0)
    with pysam.VariantFile(str(vcf)) as handle:
        return [str(r) for r in handle]


def lock_is_free(outdir: Path) -> bool:
    """Whether no labpipe run (or Snakemake it left behind) holds ``outdir``."""
    with open(outdir / ".labpipe" / "lock", "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
        return True


class DemoRun(NamedTuple):
    """The session's one `labpipe demo` run: its output folder and what it printed."""

    outdir: Path
    stdout: str


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run ``labpipe ARGS`` in this process: (exit code, stdout, stderr)."""
    try:
        code = main(args)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return int(code or 0), out, err


# ---- Lab configs
def write_config(tmp_path: Path, body: str) -> Path:
    (tmp_path / "ref.fa").write_text(">chr1\nACGT\n")
    (tmp_path / "samples.tsv").write_text("sample\tunit\tfq1\tfq2\n")
    path = tmp_path / "lab.yaml"
    path.write_text(body)
    return path


MINIMAL = """\
lab:
  name: Test Lab
  id: test-lab
reference:
  fasta: ref.fa
samples: samples.tsv
"""


# ---- QC
def write_mosdepth(prefix: Path, rows: list[tuple[str, int, int, str, float, int]]) -> Path:
    """``PREFIX.regions.bed.gz`` and ``PREFIX.thresholds.bed.gz`` as mosdepth writes them."""
    with gzip.open(f"{prefix}.regions.bed.gz", "wt") as handle:
        for chrom, start, end, name, mean, _ in rows:
            handle.write(f"{chrom}\t{start}\t{end}\t{name}\t{mean:.2f}\n")
    with gzip.open(f"{prefix}.thresholds.bed.gz", "wt") as handle:
        handle.write("#chrom\tstart\tend\tregion\t10X\t20X\t30X\n")
        for chrom, start, end, name, _, at20 in rows:
            handle.write(f"{chrom}\t{start}\t{end}\t{name}\t{end - start}\t{at20}\t{at20}\n")
    return prefix


GOOD = SampleQC(
    sample="PK001",
    reads_total=2_000_000,
    reads_after_filter=1_990_000,
    q30_pct=93.0,
    adapter_trimmed_reads=1000,
    mapped_pct=99.5,
    properly_paired_pct=98.0,
    duplicate_pct=8.0,
    mean_insert_size=310.0,
    mean_target_depth=120.0,
    pct_target_10x=99.9,
    pct_target_20x=99.5,
    pct_target_30x=99.0,
    sex_declared="female",
    sex_inferred="female",
    x_autosome_depth_ratio=1.01,
    y_autosome_depth_ratio=0.0,
    x_het_fraction=0.6,
    x_snvs=25,
    x_het_snvs=15,
    sex_note="chrX depth 1.01× autosomes, chrY 0.00×, 15 of 25 chrX SNVs heterozygous",
    pairs_in=1_000_000,
    pairs_removed_low_quality=3000,
    pairs_removed_too_many_n=1000,
    pairs_removed_too_short=1000,
    pairs_removed_other=0,
    pairs_aligned=995_000,
    pairs_lost_fraction=0.005,
)


# ---- Reports
# Anything a browser would fetch: a URL in src/href/url(), an @import, a script.
EXTERNAL = re.compile(
    r"""(?:src|href)\s*=\s*["']?\s*(?:https?:|//)|url\(\s*["']?(?:https?:|//)|@import|<script|<link|<img|<iframe""",
    re.IGNORECASE,
)


# ---- Sequencer run folders as the instruments write them (labpipe init)
IL_FLOWCELL = "H7KJ2DSXY"


MGI_FLOWCELL = "V350012345"


def illumina_read(lane: int, read: int, flowcell: str = IL_FLOWCELL, x: int = 1000) -> str:
    """A NovaSeq read name as BCL Convert writes it."""
    return f"@A00123:8:{flowcell}:{lane}:1101:{x}:1000 {read}:N:0:ACGTACGT+TTGACCAA"


def dnbseq_read(lane: int, read: int, flowcell: str = MGI_FLOWCELL, number: int = 1) -> str:
    """A DNBSEQ-G400 read name: flowcell, lane, column, row, read number, mate."""
    return f"@{flowcell}L{lane}C001R001{number:07d}/{read}"


def sra_read(read: int, run: str = "SRR1234567") -> str:
    """A read renamed by SRA: no platform, flowcell or lane left in it."""
    return f"@{run}.1 1 length=8"


def fastq(path: Path, header: str) -> Path:
    """Write a one-read FASTQ, gzipped when the name says so."""
    path.parent.mkdir(parents=True, exist_ok=True)
    record = f"{header}\nACGTACGT\n+\nIIIIIIII\n"
    if path.name.endswith(".gz"):
        with gzip.open(path, "wt") as handle:
            handle.write(record)
    else:
        path.write_text(record)
    return path


def pair(folder: Path, r1: str, r2: str, header: str) -> tuple[Path, Path]:
    """Write R1 and R2 whose reads are mates (header given for read 1)."""
    mate = header.replace(" 1:N:", " 2:N:").replace("/1", "/2")
    return fastq(folder / r1, header), fastq(folder / r2, mate)


def bcl_convert_run(root: Path) -> Path:
    """Two samples on two lanes, with index reads, Undetermined and the report folders."""
    for number, sample in enumerate(("PatientA", "PatientB"), start=1):
        for lane in (1, 2):
            stem = f"{sample}_S{number}_L00{lane}"
            pair(
                root,
                f"{stem}_R1_001.fastq.gz",
                f"{stem}_R2_001.fastq.gz",
                illumina_read(lane, 1, x=1000 * number),
            )
            if sample == "PatientA":
                fastq(root / f"{stem}_I1_001.fastq.gz", illumina_read(lane, 3))
    for lane in (1, 2):
        stem = f"Undetermined_S0_L00{lane}"
        pair(
            root, f"{stem}_R1_001.fastq.gz", f"{stem}_R2_001.fastq.gz", illumina_read(lane, 1, x=9)
        )
    (root / "Reports").mkdir()
    (root / "Reports" / "Demultiplex_Stats.csv").write_text("Lane,SampleID\n")
    (root / "SampleSheet.csv").write_text("[Header]\n")
    (root / "PatientA_S1_L001_R1_001.fastq.gz.md5").write_text("0" * 32 + "\n")
    # macOS writes these beside every file copied from a Mac; they are not reads.
    (root / "._PatientA_S1_L001_R1_001.fastq.gz").write_bytes(b"\x00\x05\x16\x07")
    fastq(root / ".trash" / "Old_S9_L001_R1_001.fastq.gz", illumina_read(1, 1))
    return root


def mgi_run(
    root: Path, flowcell: str = MGI_FLOWCELL, barcodes: tuple[str, ...] = ("59", "60")
) -> Path:
    """An MGI splitBarcode output: <flowcell>/L0<lane>/<flowcell>_L0<lane>_<barcode>_1.fq.gz."""
    for lane in (1, 2):
        lane_dir = root / flowcell / f"L0{lane}"
        for number, barcode in enumerate((*barcodes, "undecoded"), start=1):
            prefix = f"{flowcell}_L0{lane}_{barcode}"
            pair(
                lane_dir,
                f"{prefix}_1.fq.gz",
                f"{prefix}_2.fq.gz",
                dnbseq_read(lane, 1, flowcell, number),
            )
            (lane_dir / f"{prefix}_1.fq.fqStat.txt").write_text("#Name\t...\n")
        (lane_dir / f"{flowcell}_L0{lane}.summaryReport.html").write_text("<html></html>\n")
        (lane_dir / f"{flowcell}_L0{lane}.heatmapReport.html").write_text("<html></html>\n")
        (lane_dir / "BarcodeStat.txt").write_text("#SpeciesNO\tCorrect\n")
    return root


# ---- A toy genome for bcftools csq: one 321-bp contig chrV, genes ALPHA (+) and BETA (-),
# drawn in tests/annotation/test_variant_table.py's docstring
ALPHA_PARTS = [
    ("upstream", "GATCCTTGCAGTCCGTCAGGTCTCCAGCTC"),
    ("utr5", "CGCAGCCACC"),
    ("cds1", "ATGCCTGAAAAAGCGTAC"),  # M P E K A Y
    ("intron1", "GTAAGGCCTTCTCCTGCTCTCTTCCCGCAG"),
    ("cds2", "TGGCTCAGCCAGATT"),  # W L S Q I (ALPHA-202 only)
    ("intron2", "GTGAGTCCTGACTGGTCCTTTCTCTTGCAG"),
    ("cds3", "GGCTTCCAGTGA"),  # G F Q *
    ("utr3", "GCCTCACTGGACCTGCGTTCCTCTGTCACC"),
    ("intergenic", "CAGTGGTCCCAGGTTCACCAGGCTGACTTC"),
]


BETA_MRNA_PARTS = [  # 5'->3' on the mRNA; the genome holds the reverse complement
    ("utr5", "GCAGTCTTCGCC"),
    ("cds1", "ATGTCTGCCATGGAGCTGAAG"),  # M S A M E L K
    ("intron1", "GTAAGGCTTCTCTCCTGTTCCCTAG"),
    ("cds2", "GATTTCCGATGGCAGTAA"),  # D F R W Q *
    ("utr3", "GTCCTCGCACCTCTG"),
]


DOWNSTREAM_OF_BETA = "ACTCGTCTGGACTCGTGCTTAGTCA"


CONTIG = (
    "".join(seq for _, seq in ALPHA_PARTS)
    + reverse_complement("".join(seq for _, seq in BETA_MRNA_PARTS))
    + reverse_complement(DOWNSTREAM_OF_BETA)
)


GFF3 = """\
##gff-version 3
chrV\tt\tgene\t31\t175\t.\t+\t.\tID=gene:GA;Name=ALPHA;biotype=protein_coding
chrV\tt\tmRNA\t31\t175\t.\t+\t.\tID=transcript:ALPHA-201;Parent=gene:GA;\
biotype=protein_coding;tag=basic,Ensembl_canonical
chrV\tt\tfive_prime_UTR\t31\t40\t.\t+\t.\tParent=transcript:ALPHA-201
chrV\tt\texon\t31\t58\t.\t+\t.\tParent=transcript:ALPHA-201
chrV\tt\tCDS\t41\t58\t.\t+\t0\tID=CDS:PA1;Parent=transcript:ALPHA-201
chrV\tt\texon\t134\t175\t.\t+\t.\tParent=transcript:ALPHA-201
chrV\tt\tCDS\t134\t145\t.\t+\t0\tID=CDS:PA1;Parent=transcript:ALPHA-201
chrV\tt\tthree_prime_UTR\t146\t175\t.\t+\t.\tParent=transcript:ALPHA-201
chrV\tt\tmRNA\t31\t175\t.\t+\t.\tID=transcript:ALPHA-202;Parent=gene:GA;\
biotype=protein_coding;tag=basic
chrV\tt\tfive_prime_UTR\t31\t40\t.\t+\t.\tParent=transcript:ALPHA-202
chrV\tt\texon\t31\t58\t.\t+\t.\tParent=transcript:ALPHA-202
chrV\tt\tCDS\t41\t58\t.\t+\t0\tID=CDS:PA2;Parent=transcript:ALPHA-202
chrV\tt\texon\t89\t103\t.\t+\t.\tParent=transcript:ALPHA-202
chrV\tt\tCDS\t89\t103\t.\t+\t0\tID=CDS:PA2;Parent=transcript:ALPHA-202
chrV\tt\texon\t134\t175\t.\t+\t.\tParent=transcript:ALPHA-202
chrV\tt\tCDS\t134\t145\t.\t+\t0\tID=CDS:PA2;Parent=transcript:ALPHA-202
chrV\tt\tthree_prime_UTR\t146\t175\t.\t+\t.\tParent=transcript:ALPHA-202
chrV\tt\tgene\t206\t296\t.\t-\t.\tID=gene:GB;Name=BETA;biotype=protein_coding
chrV\tt\tmRNA\t206\t296\t.\t-\t.\tID=transcript:BETA-201;Parent=gene:GB;\
biotype=protein_coding;tag=basic
chrV\tt\tfive_prime_UTR\t276\t296\t.\t-\t.\tParent=transcript:BETA-201
chrV\tt\texon\t264\t296\t.\t-\t.\tParent=transcript:BETA-201
chrV\tt\tCDS\t264\t275\t.\t-\t0\tID=CDS:PB1;Parent=transcript:BETA-201
chrV\tt\texon\t206\t238\t.\t-\t.\tParent=transcript:BETA-201
chrV\tt\tCDS\t221\t238\t.\t-\t0\tID=CDS:PB1;Parent=transcript:BETA-201
chrV\tt\tthree_prime_UTR\t206\t220\t.\t-\t.\tParent=transcript:BETA-201
chrV\tt\tmRNA\t206\t296\t.\t-\t.\tID=transcript:BETA-202;Parent=gene:GB;\
biotype=protein_coding;tag=basic
chrV\tt\tfive_prime_UTR\t285\t296\t.\t-\t.\tParent=transcript:BETA-202
chrV\tt\texon\t264\t296\t.\t-\t.\tParent=transcript:BETA-202
chrV\tt\tCDS\t264\t284\t.\t-\t0\tID=CDS:PB2;Parent=transcript:BETA-202
chrV\tt\texon\t206\t238\t.\t-\t.\tParent=transcript:BETA-202
chrV\tt\tCDS\t221\t238\t.\t-\t0\tID=CDS:PB2;Parent=transcript:BETA-202
chrV\tt\tthree_prime_UTR\t206\t220\t.\t-\t.\tParent=transcript:BETA-202
"""


VCF_HEADER = """\
##fileformat=VCFv4.2
##contig=<ID=chrV,length=321>
##FILTER=<ID=LowQual,Description="QUAL below the lab's threshold">
##FILTER=<ID=LowDepth,Description="DP below the lab's threshold">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">
##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\tS2
"""


# One record per case; S2 is the sample under test, S1 shows the default choice.
VCF_RECORDS = """\
chrV\t20\t.\tG\tT\t50\tPASS\t.\tGT:DP:AD\t0/0:30:30,0\t0/1:40:22,18
chrV\t44\t.\tC\tT,A\t228.407\tPASS\t.\tGT:DP:AD\t0/1:30:15,15,0\t1/2:41:1,20,20
chrV\t47\t.\tGA\tG\t60\tPASS\t.\tGT:DP:AD\t0/0:30:30,0\t1/1:25:0,25
chrV\t58\t.\tC\tG\t12.5\tLowQual;LowDepth\t.\tGT:DP:AD\t./.:.:.\t0/1:6:3,3
chrV\t65\t.\tC\tT\t99\tPASS\t.\tGT:DP\t0/1:30\t0/1:30
chrV\t98\t.\tC\tG\t99\tPASS\t.\tGT\t0/1\t0/1
chrV\t120\t.\tC\tT\t.\t.\t.\tGT:DP:AD\t0/1:30:15,15\t./.:.:.
chrV\t150\t.\tC\tT\t99\tPASS\t.\tGT:DP:AD\t0/1:30:15,15\t0|1:30:10,20
chrV\t231\t.\tC\tG\t99\tPASS\t.\tGT:DP:AD\t0/1:30:15,15\t0/1:30:0,0
chrV\t280\t.\tG\tA\t99\tPASS\t.\tGT:DP:AD\t0/1:30:15,15\t0/1:33:11,22
chrV\t290\t.\tA\tG\t99\tPASS\t.\tGT:DP:AD\t0/1:30:15,15\t0/1:30:16,14
"""


def write_genome(directory: Path) -> tuple[Path, Path]:
    fasta = directory / "toy.fa"
    fasta.write_text(f">chrV\n{CONTIG}\n")
    pysam.faidx(str(fasta))
    gff3 = directory / "genes.gff3"
    gff3.write_text(GFF3)
    return fasta, gff3


def run_csq(vcf: Path, fasta: Path, gff3: Path, out: Path) -> Path:
    """The workflow's bcftools_csq rule, minus the index."""
    command = ["bcftools", "csq", "-f", str(fasta), "-g", str(gff3), "-l", "-p", "a"]
    subprocess.run(
        [*command, "-Oz", "-o", str(out), str(vcf)],
        check=True,
        capture_output=True,
    )
    return out


def lab_config(folder: Path = Path("/labs/test"), **sections: Any) -> LabConfig:
    """A lab config read by the real loader (schema, defaults) with ``sections`` set.

    Its file is ``folder/config.yaml``: relative paths resolve under ``folder``.
    """
    raw = {
        "lab": {"name": "Test lab", "id": "test-lab"},
        "reference": {"fasta": "ref.fa"},
        "samples": "samples.tsv",
        **sections,
    }
    return config_from_mapping(raw, folder / "config.yaml")
