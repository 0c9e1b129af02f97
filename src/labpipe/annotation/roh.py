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

**Autozygosity** (:func:`autozygosity`): the share of the assessed autosomes inside reported
runs, F_ROH = (length in runs) / (length assessed). *Assessed* is, per autosome, the span from
the first to the last site bcftools roh saw (its ``ST`` lines: the workflow writes ``-O sr``),
summed: the targets and the gaps between them that the markers bracket, not the whole genome;
chrX is left out (a male has one copy). An estimate needs enough sites over enough length
(``annotation.roh.autozygosity_min_markers``, default 2,000 sites, and
``autozygosity_min_assessed_bp``, default 1,000 Mb): an exome or genome has them, a gene panel
(tens to hundreds of sites) does not, and then the report says "not estimated" with the
figures instead of a number.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from labpipe.annotation.source_matcher import SourceMatcher
from labpipe.annotation.sources import PopulationSource
from labpipe.config.lab import RohConfig
from labpipe.core.atomic import atomic_path
from labpipe.core.errors import InputFormatError
from labpipe.core.i18n import _
from labpipe.core.regions import is_autosome


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
    autozygosity_min_markers: int = 2000
    autozygosity_min_assessed_bp: int = 1_000_000_000

    @classmethod
    def from_config(cls, section: RohConfig) -> RohSettings:
        """Settings from the config's ``annotation.roh`` (defaults filled in)."""
        return cls(
            enabled=section.enabled,
            af_default=section.af_default,
            min_length_bp=section.min_length_bp,
            min_markers=section.min_markers,
            autozygosity_min_markers=section.autozygosity_min_markers,
            autozygosity_min_assessed_bp=section.autozygosity_min_assessed_bp,
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


def _roh_lines(path: Path, kind: str, sample: str | None) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of the ``kind`` lines (``RG``, ``ST``) of one sample (or all)."""
    try:
        with open(path) as handle:
            lines = handle.readlines()
    except OSError as exc:
        raise InputFormatError(f"{path}: cannot read bcftools roh output: {exc}") from exc
    for number, line in enumerate(lines, start=1):
        if line.startswith(f"{kind}\t"):
            fields = line.rstrip("\r\n").split("\t")
            if sample is None or (len(fields) > 1 and fields[1] == sample):
                yield number, fields


def read_roh(path: Path, sample: str | None = None) -> list[RohSegment]:
    """Every run in a ``bcftools roh`` output (``-O r`` or ``-O sr``).

    Args:
        path: The output file, plain text.
        sample: Keep this sample's runs only; None keeps all.

    Raises:
        InputFormatError: Naming the line of a malformed ``RG`` line.
    """
    segments = []
    for number, fields in _roh_lines(path, "RG", sample):
        try:
            _, _name, chrom, start, end, _length, markers, quality = fields[:8]
            segments.append(RohSegment(chrom, int(start), int(end), int(markers), float(quality)))
        except ValueError:
            raise InputFormatError(
                f"{path} line {number}: expected 'RG sample chrom start end length markers "
                f"quality', got {' '.join(fields)!r}"
            ) from None
    return sorted(segments)


def reported_segments(segments: Iterable[RohSegment], settings: RohSettings) -> list[RohSegment]:
    """The runs long enough, and with markers enough, to report."""
    return [
        s
        for s in segments
        if s.length >= settings.min_length_bp and s.markers >= settings.min_markers
    ]


@dataclass(frozen=True)
class AssessedContig:
    """The sites bcftools roh assessed on one contig (its ``ST`` lines).

    Attributes:
        chrom: Contig.
        first, last: First and last site (1-based).
        sites: Number of sites.
    """

    chrom: str
    first: int
    last: int
    sites: int

    @property
    def span(self) -> int:
        """Bases from the first to the last site."""
        return self.last - self.first + 1


def read_roh_sites(path: Path, sample: str | None = None) -> list[AssessedContig]:
    """Per contig, the sites of a ``bcftools roh -O sr`` output (none for ``-O r``).

    Raises:
        InputFormatError: Naming the line of a malformed ``ST`` line.
    """
    found: dict[str, list[int]] = {}
    for number, fields in _roh_lines(path, "ST", sample):
        try:
            chrom, pos = fields[2], int(fields[3])
        except (IndexError, ValueError):
            raise InputFormatError(
                f"{path} line {number}: expected 'ST sample chrom position state quality', "
                f"got {' '.join(fields)!r}"
            ) from None
        entry = found.setdefault(chrom, [pos, pos, 0])
        entry[0], entry[1], entry[2] = min(entry[0], pos), max(entry[1], pos), entry[2] + 1
    return [AssessedContig(c, first, last, n) for c, (first, last, n) in found.items()]


@dataclass(frozen=True)
class Autozygosity:
    """A sample's autozygosity over the assessed autosomes (see the module's docstring).

    Attributes:
        sites: Autosomal sites bcftools roh assessed.
        assessed_bp: Autosomal length they span (per autosome first to last site, summed).
        in_roh_bp: Length of the reported runs on autosomes.
        min_sites, min_assessed_bp: What an estimate needs.
        contigs: Every contig with an assessed site (chrX too), for the ideogram.
    """

    sites: int
    assessed_bp: int
    in_roh_bp: int
    min_sites: int
    min_assessed_bp: int
    contigs: tuple[str, ...] = ()

    @property
    def estimated(self) -> bool:
        """Whether there is data enough for F_ROH."""
        return self.sites >= self.min_sites and self.assessed_bp >= self.min_assessed_bp

    @property
    def f_roh(self) -> float | None:
        """F_ROH = in_roh_bp / assessed_bp; None when not estimated."""
        if not self.estimated or not self.assessed_bp:
            return None
        return self.in_roh_bp / self.assessed_bp

    def text(self) -> str:
        """One sentence for the report: the estimate, or why there is none, with the figures."""
        figures = _("%(sites)s autosomal sites spanning %(mb)s Mb assessed") % {
            "sites": f"{self.sites:,}",
            "mb": f"{self.assessed_bp / 1e6:,.1f}",
        }
        f_roh = self.f_roh
        if f_roh is None:
            return _(
                "Not estimated: %(figures)s; a meaningful estimate needs at least %(sites)s"
                " sites spanning %(mb)s Mb (an exome or genome; a gene panel is too small)."
            ) % {
                "figures": figures,
                "sites": f"{self.min_sites:,}",
                "mb": f"{self.min_assessed_bp / 1e6:,.0f}",
            }
        return _(
            "F_ROH %(f_roh)s: %(pct)s of the assessed autosomes (%(mb)s Mb in runs of"
            " %(figures)s). For scale: offspring of first cousins have an expected F of 0.0625."
        ) % {
            "f_roh": f"{f_roh:.3f}",
            "pct": f"{f_roh:.1%}",
            "mb": f"{self.in_roh_bp / 1e6:,.1f}",
            "figures": figures,
        }


def autozygosity(
    segments: Iterable[RohSegment], assessed: Iterable[AssessedContig], settings: RohSettings
) -> Autozygosity:
    """F_ROH from the reported runs and the assessed sites (autosomes only)."""
    assessed = list(assessed)
    contigs = [c for c in assessed if is_autosome(c.chrom)]
    return Autozygosity(
        sites=sum(c.sites for c in contigs),
        assessed_bp=sum(c.span for c in contigs),
        in_roh_bp=sum(
            s.length for s in reported_segments(segments, settings) if is_autosome(s.chrom)
        ),
        min_sites=settings.autozygosity_min_markers,
        min_assessed_bp=settings.autozygosity_min_assessed_bp,
        contigs=tuple(c.chrom for c in assessed),
    )


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
