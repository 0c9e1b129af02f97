"""Shared test builders: small data sets made in code, so a test shows where its data comes from."""

from __future__ import annotations

import fcntl
import gzip
import os
import random
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pysam
import pytest

from labpipe.config.lab import LabConfig
from labpipe.config.settings import config_from_mapping

_COMPLEMENT = str.maketrans("ACGT", "TGCA")

# Illumina TruSeq adapters as they read through past a short insert (R1 and R2 sides).
ADAPTER_R1 = "AGATCGGAAGAGCACACGTCTGAACTCCAGTCACATCTCGTATGCCGTCTTCTGCTTG"
ADAPTER_R2 = "AGATCGGAAGAGCGTCGTGTAGGGAAAGAGTGTAGATCTCGGTGGTCGCCGTATCATT"

HIGH_QUALITY = "I"  # Q40
LOW_QUALITY = "+"  # Q10: below Q30, but fastp keeps reads with a few of these
FAILING_QUALITY = "#"  # Q2: a read made only of these fails fastp's quality filter


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


def run_labpipe_run(config: Path, cores: int) -> None:
    """`labpipe run CONFIG --cores N` in a fresh interpreter; fail with its output's end."""
    result = subprocess.run(
        [sys.executable, "-m", "labpipe.cli", "run", str(config), "--cores", str(cores)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


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


@pytest.fixture(scope="session")
def tiny_reference_and_reads(tmp_path_factory: pytest.TempPathFactory) -> TinyDataset:
    """A 20 kb random reference with ~3,260 simulated read pairs in two lanes (read-only).

    Session-scoped so that slow consumers (tool runs) can share one copy; tests must not
    modify its files.
    """
    return simulate_tiny_dataset(tmp_path_factory.mktemp("tiny_dataset"))


def one_read_fastq(path: Path, name: str) -> None:
    """A gzipped FASTQ of one 4-base read."""
    with gzip.open(path, "wt") as handle:
        handle.write(f"{name}\nACGT\n+\nIIII\n")


@pytest.fixture
def lab(tmp_path: Path) -> Path:
    """A valid lab folder: config, reference, sample sheet and reads."""
    (tmp_path / "ref.fa").write_text(">chr1\n" + "ACGT" * 50 + "\n")
    one_read_fastq(tmp_path / "S1_R1.fastq.gz", "@V350012345L1C001R0010000001/1")
    one_read_fastq(tmp_path / "S1_R2.fastq.gz", "@V350012345L1C001R0010000001/2")
    (tmp_path / "samples.tsv").write_text(
        "sample\tunit\tfq1\tfq2\nS1\tL1\tS1_R1.fastq.gz\tS1_R2.fastq.gz\n"
    )
    (tmp_path / "lab.yaml").write_text(
        "lab:\n  name: Test\n  id: test\nreference:\n  fasta: ref.fa\nsamples: samples.tsv\n"
        "platform: DNBSEQ\n"
    )
    return tmp_path


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


@pytest.fixture(scope="session")
def uninterrupted_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo run once, start to end, uninterrupted: what a resumed run must equal."""
    import subprocess
    import sys

    from labpipe.demo import prepare_demo

    outdir = tmp_path_factory.mktemp("uninterrupted") / "run"
    config = prepare_demo(outdir, overwrite=False)
    # Under the usual umask: results must come out 0644 (tests/run/test_faults.py).
    done = subprocess.run(
        [sys.executable, "-m", "labpipe.cli", "run", str(config), "--cores", "2"],
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=lambda: os.umask(0o022),
    )
    assert done.returncode == 0, done.stderr
    return outdir
