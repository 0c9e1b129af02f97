"""Runs of homozygosity (ROH) from ``bcftools roh``, and the variants inside them.

In families where parents are related (common among the labs' patients), a
recessive disease allele is often homozygous because both copies descend from
one ancestor, inside a long run of homozygosity. The report lists each
sample's runs and flags the homozygous variants that lie in one.

``bcftools roh`` is an HMM over the called sites; it needs each site's allele
frequency. The workflow gives it the highest population AF the annotation
sources have for the site (``--AF-file``, written by :func:`write_roh_af_file`)
and ``annotation.roh.af_default`` for sites they lack. Runs are called from
variant sites only (no gVCF), so short runs, and any run on a small panel,
are approximate; ``annotation.roh.min_length_bp`` and ``min_markers`` set
which runs are reported.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from labpipe.annotation.source_matcher import SourceMatcher
from labpipe.annotation.sources import PopulationSource
from labpipe.config.lab import RohConfig
from labpipe.core.atomic import atomic_path
from labpipe.core.errors import InputFormatError


@dataclass(frozen=True)
class RohSettings:
    """The lab's ROH settings (``annotation.roh``).

    Attributes:
        enabled: Run ``bcftools roh`` at all.
        af_default: AF for sites the population sources lack.
        min_length_bp: Shortest run reported.
        min_markers: Fewest variant sites a reported run must span.
    """

    enabled: bool = True
    af_default: float = 0.4
    min_length_bp: int = 1_000_000
    min_markers: int = 10

    @classmethod
    def from_config(cls, section: RohConfig) -> RohSettings:
        """Settings from the config's ``annotation.roh`` (defaults filled in)."""
        return cls(
            enabled=section.enabled,
            af_default=section.af_default,
            min_length_bp=section.min_length_bp,
            min_markers=section.min_markers,
        )


@dataclass(frozen=True, order=True)
class RohSegment:
    """One run of homozygosity (an ``RG`` line of ``bcftools roh -O r``).

    Attributes:
        chrom: Contig.
        start: First marker's position (1-based).
        end: Last marker's position (inclusive).
        markers: Variant sites in the run.
        quality: bcftools' average forward-backward phred score.
    """

    chrom: str
    start: int
    end: int
    markers: int
    quality: float

    @property
    def length(self) -> int:
        """Length in bases."""
        return self.end - self.start + 1


def read_roh(path: Path, sample: str | None = None) -> list[RohSegment]:
    """Every run in a ``bcftools roh`` output (``-O r`` or ``-O sr``).

    Args:
        path: The output file, plain text.
        sample: Keep this sample's runs only; None keeps all.

    Raises:
        InputFormatError: Naming the line of a malformed ``RG`` line.
    """
    segments = []
    try:
        with open(path) as handle:
            lines = handle.readlines()
    except OSError as exc:
        raise InputFormatError(f"{path}: cannot read bcftools roh output: {exc}") from exc
    for number, line in enumerate(lines, start=1):
        if not line.startswith("RG\t"):
            continue
        fields = line.rstrip("\r\n").split("\t")
        try:
            _, name, chrom, start, end, _length, markers, quality = fields[:8]
            segment = RohSegment(chrom, int(start), int(end), int(markers), float(quality))
        except ValueError:
            raise InputFormatError(
                f"{path} line {number}: expected 'RG sample chrom start end length markers "
                f"quality', got {line.rstrip()!r}"
            ) from None
        if sample is None or name == sample:
            segments.append(segment)
    return sorted(segments)


def reported_segments(segments: Iterable[RohSegment], settings: RohSettings) -> list[RohSegment]:
    """The runs long enough, and with markers enough, to report."""
    return [
        s
        for s in segments
        if s.length >= settings.min_length_bp and s.markers >= settings.min_markers
    ]


class SegmentIndex:
    """Answers "is this position inside a run?" for sorted, non-overlapping runs."""

    def __init__(self, segments: Sequence[RohSegment]) -> None:
        self._by_chrom: dict[str, list[RohSegment]] = {}
        for segment in sorted(segments):
            self._by_chrom.setdefault(segment.chrom, []).append(segment)
        self._starts = {c: [s.start for s in segs] for c, segs in self._by_chrom.items()}

    def find(self, chrom: str, pos: int) -> RohSegment | None:
        """The run holding ``pos``, or None."""
        starts = self._starts.get(chrom)
        if not starts:
            return None
        index = bisect.bisect_right(starts, pos) - 1
        if index < 0:
            return None
        segment = self._by_chrom[chrom][index]
        return segment if pos <= segment.end else None


def write_roh_af_file(
    vcf: Path,
    reference: Path,
    population: Sequence[PopulationSource],
    out: Path,
) -> int:
    """Write the ``--AF-file`` bcftools roh reads: each called site's highest population AF.

    Sites no source knows are left out; roh then uses ``--AF-dflt``.

    Args:
        vcf: The sample's calls.
        reference: The FASTA they were called against.
        population: The population sources.
        out: ``<name>.tsv.gz``; bgzip-compressed and tabix-indexed beside it.

    Returns:
        The number of sites written.
    """
    import cyvcf2
    import pysam

    matcher = SourceMatcher(reference, None, population)
    rows: list[tuple[str, int, str, float]] = []
    try:
        reader = cyvcf2.VCF(str(vcf))
    except (OSError, ValueError) as exc:
        matcher.close()
        raise InputFormatError(f"{vcf}: cannot read VCF: {exc}") from exc
    try:
        for record in reader:
            for alt in record.ALT:
                af = matcher.lookup(record.CHROM, record.POS, record.REF, alt).max_af
                # roh skips sites with AF 0; an allele seen nowhere is better left to --AF-dflt.
                if af:
                    rows.append((record.CHROM, record.POS, f"{record.REF},{alt}", af))
    except OSError as exc:  # htslib's "truncated file"; the sources raise their own message
        raise InputFormatError(
            f"{vcf}: cannot be read to the end ({exc}); the calls file is damaged: delete it and"
            " run again to remake it"
        ) from None
    finally:
        reader.close()
        matcher.close()
    # tabix_index compresses PLAIN to PLAIN.gz (the temporary name) and indexes it.
    with atomic_path(out, suffix=".gz", companions=(".tbi",)) as temporary:
        plain = temporary.with_suffix("")
        try:
            with open(plain, "w") as handle:
                for chrom, pos, alleles, af in rows:
                    handle.write(f"{chrom}\t{pos}\t{alleles}\t{af:.6g}\n")
            pysam.tabix_index(
                str(plain), seq_col=0, start_col=1, end_col=1, force=True, keep_original=False
            )
        finally:
            plain.unlink(missing_ok=True)
    return len(rows)
