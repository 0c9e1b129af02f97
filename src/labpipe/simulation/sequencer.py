"""The sequencer: platforms and their error models (which base is read wrong, what quality
it gets).

- :class:`SequencingConfig`: per-base error probabilities that rise along the read, vary
  from read to read and base to base, and are reported as the platform's binned
  qualities (Illumina 2/12/23/37, DNBSEQ 10/20/30/40), so that the quality of a base says
  how likely it is to be wrong; a small share of errors are 1-bp insertions or deletions.
- :class:`DemoErrorModel`: the embedded demo data's simpler model, kept only because the
  committed ``test_data/`` reads were made with it.

:mod:`labpipe.simulation.read_simulator` reads a library with either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


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


#: An error model :func:`~labpipe.simulation.read_simulator.read_pairs` can read with.
Sequencer = SequencingConfig | DemoErrorModel


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
