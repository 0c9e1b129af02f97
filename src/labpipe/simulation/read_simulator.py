"""Paired-end reads from a diploid genome, as a library prep and a sequencer would make them.

What is modelled, and why it matters to a germline pipeline:

- **Library**: fragments drawn uniformly along each haplotype (so a heterozygote sits near
  50% allele fraction), insert sizes from a normal distribution, plus a chosen share of
  inserts shorter than the read, which makes the sequencer read on into the platform's
  real adapter (the trimmer has to find it, or the aligner soft-clips it); PCR duplicates
  re-read a fragment with fresh errors, and on Illumina a third of them are optical
  (a neighbouring cluster, named next to the original).
- **Sequencer**: per-base error probabilities that rise along the read, vary from read to
  read and base to base, and are reported as the platform's binned qualities (Illumina
  2/12/23/37, DNBSEQ 10/20/30/40), so that the quality of a base says how likely it is to
  be wrong; a small share of errors are 1-bp insertions or deletions; Illumina or DNBSEQ
  read names.

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
from typing import Protocol

import numpy as np

from labpipe.core.sequence import reverse_complement


@dataclass(frozen=True)
class Platform:
    """What differs between the sequencers simulated.

    Attributes:
        name: Sample-sheet platform value.
        adapter_r1: Adapter read through after a short fragment in R1.
        adapter_r2: The same for R2.
        quality_bins: Phred values the instrument emits, lowest first.
        short_fragment_fraction: Fragments of 60-95 bp (shorter than a read) in the demo
            data; :class:`LibraryConfig` sets this for other simulations.
        optical_share: Share of duplicates that are optical (a neighbouring
            cluster on the same tile); zero on DNBSEQ's patterned arrays here.
        no_calls: Whether the instrument writes ``N`` (with the lowest bin).
    """

    name: str
    adapter_r1: str
    adapter_r2: str
    quality_bins: tuple[int, int, int, int]
    short_fragment_fraction: float
    optical_share: float
    no_calls: bool


ILLUMINA = Platform(
    "ILLUMINA",
    "AGATCGGAAGAGCACACGTCTGAACTCCAGTCA",
    "AGATCGGAAGAGCGTCGTGTAGGGAAAGAGTGT",
    (2, 12, 23, 37),
    0.0,
    1 / 3,
    True,
)
DNBSEQ = Platform(
    "DNBSEQ",
    "AAGTCGGAGGCCAAGCGGTCTTAGGAAGACAA",
    "AAGTCGGATCGTAGCCATGTCGTTCTGTGAGCCAAGGAGTTG",
    (10, 20, 30, 40),
    0.08,
    0.0,
    False,
)
PLATFORMS: dict[str, Platform] = {p.name: p for p in (ILLUMINA, DNBSEQ)}


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
class SequencingConfig:
    """The sequencer's errors.

    Attributes:
        error_rate: Mean error probability per base over the read (substitutions and
            indels together).
        error_ramp: Error probability at the last cycle over that at the first.
        indel_share: Share of errors that are 1-bp insertions or deletions.
        read_spread: Log-normal sigma of a read's error multiplier (some reads are worse).
        base_spread: Log-normal sigma of a base's error multiplier within its read.
    """

    error_rate: float = 0.002
    error_ramp: float = 4.0
    indel_share: float = 0.02
    read_spread: float = 0.6
    base_spread: float = 0.5

    @property
    def extra_bases(self) -> int:
        """Template bases read beyond the read length (they feed deletion errors)."""
        return 5

    def sequence(
        self,
        templates: Sequence[str],
        platform: Platform,
        read_length: int,
        rng: np.random.Generator,
    ) -> list[tuple[str, str]]:
        """:func:`sequence` with this error model."""
        return sequence(templates, platform, read_length, self, rng)


@dataclass(frozen=True)
class DemoErrorModel:
    """The embedded demo data's sequencer: substitutions rising linearly along the read,
    rare 1-bp indels, qualities drawn to track the errors.

    :class:`SequencingConfig` models errors more closely (qualities honest up to the
    platform's bins); this one stays because the committed ``test_data/`` reads were made
    with it, byte for byte.

    Attributes:
        substitution_first: Substitution rate at the first cycle.
        substitution_last: Substitution rate at the last cycle.
        indel_rate: 1-bp insertion/deletion errors per base.
        n_rate: No-calls per base, on platforms that write them.
    """

    substitution_first: float = 0.001
    substitution_last: float = 0.01
    indel_rate: float = 1e-5
    n_rate: float = 1e-4

    @property
    def extra_bases(self) -> int:
        """Template bases read beyond the read length (they feed deletion errors)."""
        return 1

    def sequence(
        self,
        templates: Sequence[str],
        platform: Platform,
        read_length: int,
        rng: np.random.Generator,
    ) -> list[tuple[str, str]]:
        """Turn read templates into (sequence, Phred+33 quality) pairs.

        Args:
            templates: What the instrument would read without errors, each at least
                ``read_length + 1`` bases.
            platform: Quality bins and whether no-calls occur.
            read_length: Bases per read.
            rng: Randomness.
        """
        cut = []
        for t in templates:
            if rng.random() < self.indel_rate * read_length:
                p = int(rng.integers(1, read_length - 1))
                t = (
                    t[:p] + t[p + 1 :]
                    if rng.random() < 0.5
                    else t[:p] + "ACGT"[int(rng.integers(4))] + t[p:]
                )
            cut.append(t[:read_length])
        n = len(cut)
        codes = _CODES[np.frombuffer("".join(cut).encode(), dtype=np.uint8)].reshape(n, read_length)
        frac = np.linspace(0.0, 1.0, read_length)
        first, last = self.substitution_first, self.substitution_last
        wrong = rng.random((n, read_length)) < first + (last - first) * frac
        codes = np.where(wrong, (codes + rng.integers(1, 4, size=codes.shape)) % 4, codes).astype(
            np.uint8
        )
        # Binned qualities that track the errors: correct bases mostly get the top
        # bin (less so late in the read), wrong bases mostly the low ones.
        p_ok = np.stack([np.zeros_like(frac), 0.015 + 0.04 * frac, 0.045 + 0.08 * frac], axis=1)
        cum_ok = np.cumsum(p_ok, axis=1)  # per cycle: P(bin<=0), P(bin<=1), P(bin<=2)
        cum_bad = np.cumsum(np.array([0.15, 0.45, 0.30]))
        u = rng.random((n, read_length))
        thresholds = np.where(wrong[..., None], cum_bad[None, None, :], cum_ok[None, :, :])
        bins = (u[..., None] >= thresholds).sum(axis=2)
        if platform.no_calls and self.n_rate > 0:
            no_call = rng.random((n, read_length)) < self.n_rate
            codes[no_call] = 4
            bins[no_call] = 0
        quals = (np.array(platform.quality_bins, dtype=np.uint8)[bins] + 33).astype(np.uint8)
        return _reads(codes, quals, n, read_length)


class Sequencer(Protocol):
    """An error model :func:`read_pairs` can read with."""

    @property
    def extra_bases(self) -> int:
        """Template bases read beyond the read length (they feed deletion errors)."""

    def sequence(
        self,
        templates: Sequence[str],
        platform: Platform,
        read_length: int,
        rng: np.random.Generator,
    ) -> list[tuple[str, str]]:
        """(sequence, Phred+33 quality) of each template, errors included."""


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


# --- sequencer -----------------------------------------------------------------------------

_CODES = np.full(256, 4, dtype=np.uint8)
_CODES[np.frombuffer(b"ACGT", dtype=np.uint8)] = np.arange(4, dtype=np.uint8)
_LETTERS = np.frombuffer(b"ACGTN", dtype=np.uint8)


def cycle_error_rates(read_length: int, sequencing: SequencingConfig) -> np.ndarray:
    """Error probability at each cycle: a straight rise whose mean is ``error_rate``."""
    first = 2 * sequencing.error_rate / (1 + sequencing.error_ramp)
    return np.asarray(np.linspace(first, first * sequencing.error_ramp, read_length))


def quality_bin(probabilities: np.ndarray, bins: Sequence[int]) -> np.ndarray:
    """The platform bin nearest to each error probability's Phred value."""
    phred = -10 * np.log10(probabilities)
    values = np.asarray(bins, dtype=float)
    cut = (values[1:] + values[:-1]) / 2
    return np.asarray(np.searchsorted(cut, phred), dtype=np.int64)


def sequence(
    templates: Sequence[str],
    platform: Platform,
    read_length: int,
    sequencing: SequencingConfig,
    rng: np.random.Generator,
) -> list[tuple[str, str]]:
    """Read templates with errors; return (sequence, Phred+33 quality) pairs.

    Each base gets an error probability (the cycle's rate × a per-read and a per-base
    log-normal factor, both of mean 1); the base is wrong with that probability and its
    quality is the platform bin nearest that probability, so qualities are honest up to
    binning. Indel errors (``indel_share`` of all errors) delete a base or insert a random
    one.

    Args:
        templates: What the instrument would read without errors; each at least
            ``read_length + 5`` bases long (the extra bases feed deletion errors).
        platform: Quality bins and whether no-calls occur.
        read_length: Bases per read.
        sequencing: Error model.
        rng: Randomness.
    """
    n = len(templates)
    if n == 0:
        return []
    indel_rate = sequencing.error_rate * sequencing.indel_share
    edits = rng.binomial(read_length, indel_rate, size=n)
    cut: list[str] = []
    for t, k in zip(templates, edits, strict=True):
        for _ in range(int(k)):
            p = int(rng.integers(1, read_length - 1))
            if rng.random() < 0.5:
                t = t[:p] + t[p + 1 :]
            else:
                t = t[:p] + "ACGT"[int(rng.integers(4))] + t[p:]
        cut.append(t[:read_length])
    codes = _CODES[np.frombuffer("".join(cut).encode(), dtype=np.uint8)].reshape(n, read_length)
    substitution = cycle_error_rates(read_length, sequencing) * (1 - sequencing.indel_share)
    s_read, s_base = sequencing.read_spread, sequencing.base_spread
    read_factor = rng.lognormal(-(s_read**2) / 2, s_read, size=(n, 1))
    base_factor = rng.lognormal(-(s_base**2) / 2, s_base, size=(n, read_length))
    p_error = np.clip(substitution[None, :] * read_factor * base_factor, 1e-5, 0.75)
    wrong = rng.random((n, read_length)) < p_error
    shifted = (codes + rng.integers(1, 4, size=codes.shape)) % 4
    codes = np.where(wrong & (codes < 4), shifted, codes).astype(np.uint8)
    bins = quality_bin(p_error, platform.quality_bins)
    if platform.no_calls:
        # The instrument gives up on the worst bases: N with the lowest quality.
        no_call = p_error > 0.5
        codes[no_call] = 4
        bins[no_call] = 0
    quals = (np.asarray(platform.quality_bins, dtype=np.uint8)[bins] + 33).astype(np.uint8)
    return _reads(codes, quals, n, read_length)


def _reads(codes: np.ndarray, quals: np.ndarray, n: int, read_length: int) -> list[tuple[str, str]]:
    """(sequence, quality) text of ``n`` reads from base codes (ACGTN = 0-4) and Phred+33."""
    seq_text = _LETTERS[codes].tobytes().decode()
    qual_text = quals.astype(np.uint8).tobytes().decode()
    return [
        (
            seq_text[i * read_length : (i + 1) * read_length],
            qual_text[i * read_length : (i + 1) * read_length],
        )
        for i in range(n)
    ]


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
