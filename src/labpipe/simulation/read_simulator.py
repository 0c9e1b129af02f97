"""Paired-end reads from a diploid genome, as a library prep and a sequencer would make them.

What is modelled, and why it matters to a germline pipeline:

- **Library**: fragments drawn uniformly along each haplotype (so a heterozygote sits near
  50% allele fraction), insert sizes from a normal distribution, plus a chosen share of
  inserts shorter than the read, which makes the sequencer read on into the platform's
  real adapter (the trimmer has to find it, or the aligner soft-clips it); PCR duplicates
  re-read a fragment with fresh errors, and on Illumina a third of them are optical
  (a neighbouring cluster, named next to the original).
- **Sequencer** (:mod:`labpipe.simulation.sequencer`): errors and binned qualities as the
  platform reports them; here, Illumina or DNBSEQ read names.

All randomness comes from the generators passed in: the same seeds give the same reads.

This is labpipe's one read simulator: ``labpipe simulate --reference`` and the embedded
demo data (:mod:`labpipe.simulation.demo_data`) both draw their reading order with
:func:`reading_order`, read with :func:`read_pairs` and write with :func:`write_fastq_pair`.
Two error models plug into :func:`read_pairs`: :class:`SequencingConfig` (the general one)
and :class:`DemoErrorModel`, kept only because the committed demo data's bytes were made
with it.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from labpipe.core.sequence import reverse_complement
from labpipe.simulation.sequencer import Platform, Sequencer, SequencingConfig


@dataclass(frozen=True)
class Emission:
    """One read pair as the instrument reports it.

    Attributes:
        fragment: Fragment sequence in R1 orientation.
        optical: An optical duplicate of the previous emission (neighbouring cluster).
    """

    fragment: str
    optical: bool


def read_template(frag: str, adapter: str, length: int, rng: np.random.Generator) -> str:
    """The first ``length`` bases an instrument reads from ``frag``: past a short
    fragment's end it reads the adapter, then unrelated sequence."""
    t = frag[:length] if len(frag) >= length else frag + adapter
    if len(t) < length:
        t += "".join("ACGT"[int(i)] for i in rng.integers(4, size=length - len(t)))
    return t


ILLUMINA_RUN = "A00123:8:H7KJ2DSXY"
ILLUMINA_INDEX = "ACGTACGT+TTGACCAA"
MGI_FLOWCELL = "V350012345"


def illumina_names(emissions: Sequence[Emission], lane: int, rng: np.random.Generator) -> list[str]:
    """NovaSeq-style names ``A00123:8:H7KJ2DSXY:<lane>:<tile>:<x>:<y>``, tiles in order,
    y increasing within a tile; optical duplicates sit next to their original."""
    names: list[str] = []
    tile_index, in_tile, x, y = 0, 0, 0, 1_000
    for e in emissions:
        tile = (1101, 2101)[tile_index // 78 % 2] + tile_index % 78
        if e.optical and names:
            ox = max(1_000, x + int(rng.integers(-40, 41)))
            names.append(f"{ILLUMINA_RUN}:{lane}:{tile}:{ox}:{y + int(rng.integers(1, 20))}")
            continue
        if in_tile == 500:
            tile_index, in_tile, y = tile_index + 1, 0, 1_000
            tile = (1101, 2101)[tile_index // 78 % 2] + tile_index % 78
        in_tile += 1
        y += int(rng.integers(40, 71))
        x = int(rng.integers(1_000, 32_001))
        names.append(f"{ILLUMINA_RUN}:{lane}:{tile}:{x}:{y}")
    return names


def mgi_names(n: int, lane: int, rng: np.random.Generator) -> list[str]:
    """DNBSEQ-style names ``V350012345L2C001R0010000123``: field of view (column,
    row) then an increasing DNB index within it."""
    names = []
    fov, index = 0, 0
    for k in range(n):
        if k and k % 2_000 == 0:
            fov, index = fov + 1, 0
        index += int(rng.integers(1, 31))
        names.append(f"{MGI_FLOWCELL}L{lane}C{fov // 10 + 1:03d}R{fov % 10 + 1:03d}{index:07d}")
    return names


def write_fastq_pair(
    fq1: Path,
    fq2: Path,
    names: Iterable[str],
    pairs: Iterable[tuple[str, str, str, str]],
    suffixes: tuple[str, str],
    level: int,
) -> int:
    """Write read pairs as two gzipped FASTQ files with no name and mtime 0 in the gzip
    header, so the same reads give the same bytes.

    Args:
        fq1: Read 1 file.
        fq2: Read 2 file.
        names: Read names, one per pair, without ``@``.
        pairs: (R1 seq, R1 qual, R2 seq, R2 qual) of each pair.
        suffixes: What follows the name on R1's and R2's header lines.
        level: gzip level.

    Returns:
        Pairs written.
    """
    fq1.parent.mkdir(parents=True, exist_ok=True)
    fq2.parent.mkdir(parents=True, exist_ok=True)
    with (
        fq1.open("wb") as raw1,
        fq2.open("wb") as raw2,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw1, mtime=0, compresslevel=level) as gz1,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw2, mtime=0, compresslevel=level) as gz2,
    ):
        written = 0
        block1: list[str] = []
        block2: list[str] = []
        for name, (s1, q1, s2, q2) in zip(names, pairs, strict=True):
            block1.append(f"@{name}{suffixes[0]}\n{s1}\n+\n{q1}\n")
            block2.append(f"@{name}{suffixes[1]}\n{s2}\n+\n{q2}\n")
            written += 1
            if len(block1) == 10_000:
                gz1.write("".join(block1).encode())
                gz2.write("".join(block2).encode())
                block1, block2 = [], []
        gz1.write("".join(block1).encode())
        gz2.write("".join(block2).encode())
    return written


def reading_order(
    fragments: Sequence[str],
    rank: np.ndarray,
    originals: Iterable[int],
    platform: Platform,
    rng: np.random.Generator,
) -> tuple[list[Emission], int]:
    """The order the instrument reads a library in, duplicates included.

    Unique fragments come in ``rank`` order; each duplicate (one per entry of
    ``originals``) is optical with the platform's share, read right after its original
    (rank + 0.5), or else a PCR duplicate read anywhere (a random rank + 0.75: never
    between an original and its optical twin).

    Args:
        fragments: Fragment sequences in R1 orientation.
        rank: A permutation of ``range(len(fragments))``.
        originals: Index of the fragment each duplicate copies.
        platform: Whose duplicates can be optical.
        rng: Randomness.

    Returns:
        The emissions in reading order, and how many duplicates are optical.
    """
    n = len(fragments)
    keyed = [(float(rank[i]), i, False) for i in range(n)]
    optical = 0
    for i in originals:
        if rng.random() < platform.optical_share:
            keyed.append((rank[i] + 0.5, int(i), True))
            optical += 1
        else:
            keyed.append((int(rng.integers(n)) + 0.75, int(i), False))
    keyed.sort(key=lambda k: k[0])
    return [Emission(fragments[i], is_optical) for _, i, is_optical in keyed], optical


# --- library -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LibraryConfig:
    """The sequencing library and how deeply it is read.

    Attributes:
        depth: Nominal depth: unique read pairs × 2 × read length / bases simulated.
            Duplicates come on top; short inserts make the usable depth lower.
        read_length: Bases per read.
        insert_mean: Mean insert (fragment) length of the normal part of the library.
        insert_sd: Its standard deviation.
        short_insert_fraction: Share of inserts drawn shorter than the read length
            (uniform from ``min_insert`` to read length - 1): the read runs into the adapter.
        min_insert: Shortest insert made.
        duplicate_rate: Share of read pairs that are duplicates of another pair.
    """

    depth: float = 30.0
    read_length: int = 150
    insert_mean: float = 350.0
    insert_sd: float = 60.0
    short_insert_fraction: float = 0.0
    min_insert: int = 40
    duplicate_rate: float = 0.0


@dataclass(frozen=True)
class LibraryStats:
    """What was drawn, for the simulation report.

    Attributes:
        unique_pairs: Distinct fragments sequenced.
        duplicate_pairs: Extra reads of a fragment (PCR or optical).
        optical_duplicates: Of those, optical ones.
        short_inserts: Unique fragments shorter than the read length.
        mean_insert: Mean insert length of the unique fragments.
    """

    unique_pairs: int
    duplicate_pairs: int
    optical_duplicates: int
    short_inserts: int
    mean_insert: float


def draw_library(
    haplotypes: Sequence[Sequence[str]],
    library: LibraryConfig,
    platform: Platform,
    rng: np.random.Generator,
) -> tuple[list[Emission], LibraryStats]:
    """Draw the fragments of a diploid sample and the order the instrument reads them in.

    Args:
        haplotypes: For each of the two haplotypes, the sequence of every segment (same
            segments, same order).
        library: Depth, read length, inserts and duplicates.
        platform: Whose duplicates can be optical.
        rng: Randomness.

    Returns:
        Every emission (unique fragments and their duplicates, in reading order) and the
        figures of what was drawn.
    """
    ref_lengths = np.array([len(s) for s in haplotypes[0]], dtype=float)
    total = ref_lengths.sum()
    n = round(library.depth * total / (2 * library.read_length))
    segment = rng.choice(len(ref_lengths), size=n, p=ref_lengths / total)
    which = rng.integers(2, size=n)
    sizes = np.rint(rng.normal(library.insert_mean, library.insert_sd, n)).astype(np.int64)
    short = rng.random(n) < library.short_insert_fraction
    top = max(library.min_insert + 1, library.read_length)
    sizes[short] = rng.integers(library.min_insert, top, size=int(short.sum()))
    sizes = np.maximum(sizes, library.min_insert)
    where = rng.random(n)
    flip = rng.random(n) < 0.5
    fragments: list[str] = []
    kept_sizes: list[int] = []
    for k, h, size, u, rev in zip(segment, which, sizes, where, flip, strict=True):
        seq = haplotypes[int(h)][int(k)]
        size = min(int(size), len(seq))
        start = int(u * (len(seq) - size + 1))
        frag = seq[start : start + size]
        fragments.append(reverse_complement(frag) if rev else frag)
        kept_sizes.append(size)
    rank = rng.permutation(n)
    rate = min(max(library.duplicate_rate, 0.0), 0.95)
    n_dup = round(rate / (1 - rate) * n) if n else 0
    originals = rng.integers(n, size=n_dup) if n else np.zeros(0, dtype=np.int64)
    emissions, optical = reading_order(fragments, rank, originals, platform, rng)
    stats = LibraryStats(
        unique_pairs=n,
        duplicate_pairs=n_dup,
        optical_duplicates=optical,
        short_inserts=sum(s < library.read_length for s in kept_sizes),
        mean_insert=float(np.mean(kept_sizes)) if kept_sizes else 0.0,
    )
    return emissions, stats


def read_pairs(
    emissions: Sequence[Emission],
    platform: Platform,
    read_length: int,
    sequencer: Sequencer,
    rng: np.random.Generator,
    chunk: int | None = 20_000,
) -> Iterator[tuple[str, str, str, str]]:
    """(R1 seq, R1 qual, R2 seq, R2 qual) of each emission, R2 reading the other end.

    Works in chunks of ``chunk`` pairs to bound memory (None: all at once); the chunk size
    is part of what fixes the output for a seed.
    """
    extra = read_length + sequencer.extra_bases
    step = chunk or max(len(emissions), 1)
    for lo in range(0, len(emissions), step):
        part = emissions[lo : lo + step]
        r1 = [read_template(e.fragment, platform.adapter_r1, extra, rng) for e in part]
        r2 = [
            read_template(reverse_complement(e.fragment), platform.adapter_r2, extra, rng)
            for e in part
        ]
        s1 = sequencer.sequence(r1, platform, read_length, rng)
        s2 = sequencer.sequence(r2, platform, read_length, rng)
        for a, b in zip(s1, s2, strict=True):
            yield a[0], a[1], b[0], b[1]


@dataclass(frozen=True)
class FastqPair:
    """Where a sample's reads were written.

    Attributes:
        unit: Sample-sheet unit (lane) name.
        fq1: Read 1 FASTQ.
        fq2: Read 2 FASTQ.
        pairs: Read pairs written.
    """

    unit: str
    fq1: Path
    fq2: Path
    pairs: int


def write_reads(
    outdir: Path,
    sample: str,
    emissions: Sequence[Emission],
    platform: Platform,
    read_length: int,
    sequencing: SequencingConfig,
    sequencer_rng: np.random.Generator,
    names_rng: np.random.Generator,
    lane: int = 1,
) -> FastqPair:
    """Sequence the emissions and write them as a gzipped FASTQ pair named as the platform
    names its files (``<sample>_S1_L001_R1_001.fastq.gz`` or
    ``V350012345_L01_<sample>_1.fq.gz``).

    Args:
        outdir: Folder for the FASTQ files.
        sample: Sample name, used in the file names.
        emissions: The library in reading order.
        platform: Names, adapters, quality bins.
        read_length: Bases per read.
        sequencing: Error model.
        sequencer_rng: Randomness for errors and read-through.
        names_rng: Randomness for read names.
        lane: Lane number in names and file names.
    """
    if platform.name == "ILLUMINA":
        names = illumina_names(emissions, lane, names_rng)
        unit = f"L{lane:03d}"
        fq1 = outdir / f"{sample}_S1_{unit}_R1_001.fastq.gz"
        fq2 = outdir / f"{sample}_S1_{unit}_R2_001.fastq.gz"
        suffixes = (f" 1:N:0:{ILLUMINA_INDEX}", f" 2:N:0:{ILLUMINA_INDEX}")
    else:
        names = mgi_names(len(emissions), lane, names_rng)
        unit = f"L{lane:02d}"
        fq1 = outdir / f"{MGI_FLOWCELL}_{unit}_{sample}_1.fq.gz"
        fq2 = outdir / f"{MGI_FLOWCELL}_{unit}_{sample}_2.fq.gz"
        suffixes = ("/1", "/2")
    pairs = read_pairs(emissions, platform, read_length, sequencing, sequencer_rng)
    # Level 4: several times faster than 9 on ~100 MB of FASTQ, a little larger.
    written = write_fastq_pair(fq1, fq2, names, pairs, suffixes, level=4)
    return FastqPair(unit, fq1, fq2, written)
