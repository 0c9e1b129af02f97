"""Coverage per target region and per panel gene, from mosdepth's per-region output.

The workflow runs ``mosdepth --by targets.bed --thresholds 10,20,30``, which
writes per target region its mean depth (``regions.bed.gz``) and how many of
its bases reach each depth (``thresholds.bed.gz``). The report shows, per
panel gene, the share of its targeted bases at >= 20x, and lists every target
region with any base below 20x: a variant there may have been missed.

A target belongs to every gene whose transcripts overlap it (GFF3); without a
GFF3, to the gene named in the BED's fourth column.
"""

from __future__ import annotations

import bisect
import gzip
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from labpipe.annotation.transcripts import TranscriptModel
from labpipe.core.errors import InputFormatError

#: The depth the report judges coverage at (clinical panels' usual minimum).
REPORT_DEPTH = 20


@dataclass(frozen=True)
class TargetCoverage:
    """One target region's coverage.

    Attributes:
        chrom: Contig.
        start: 0-based start (BED).
        end: End (BED, exclusive).
        name: The BED name column ('' when absent).
        mean_depth: mosdepth's mean depth (rounded to 2 decimals by mosdepth).
        bases_at_depth: Bases at >= :data:`REPORT_DEPTH`.
        genes: Genes the region overlaps.
    """

    chrom: str
    start: int
    end: int
    name: str
    mean_depth: float
    bases_at_depth: int
    genes: tuple[str, ...] = ()

    @property
    def length(self) -> int:
        """Bases in the region."""
        return self.end - self.start

    @property
    def bases_below(self) -> int:
        """Bases below the report depth."""
        return self.length - self.bases_at_depth

    @property
    def pct_at_depth(self) -> float:
        """Percentage of bases at the report depth."""
        return 100.0 * self.bases_at_depth / self.length if self.length else 0.0


@dataclass(frozen=True)
class GeneCoverage:
    """A gene's coverage over the targets that overlap it.

    Attributes:
        gene: Gene symbol.
        regions: Target regions overlapping it (0: the assay does not target it).
        target_bases: Bases in those regions.
        bases_at_depth: Of those, bases at >= :data:`REPORT_DEPTH`.
        mean_depth: Length-weighted mean depth; None when not targeted.
        regions_below: Regions with any base below the report depth.
    """

    gene: str
    regions: int
    target_bases: int
    bases_at_depth: int
    mean_depth: float | None
    regions_below: int

    @property
    def pct_at_depth(self) -> float | None:
        """Percentage of targeted bases at the report depth; None when not targeted."""
        return 100.0 * self.bases_at_depth / self.target_bases if self.target_bases else None


def _read_lines(path: Path) -> list[str]:
    try:
        with gzip.open(path, "rt") as handle:
            return [line.rstrip("\r\n") for line in handle]
    except (OSError, EOFError) as exc:
        raise InputFormatError(f"{path}: cannot read mosdepth output: {exc}") from exc


def read_target_coverage(
    mosdepth_prefix: Path, models: Mapping[str, TranscriptModel] | None = None
) -> list[TargetCoverage]:
    """Every target region's coverage from mosdepth's thresholds and regions files.

    Args:
        mosdepth_prefix: The PREFIX given to mosdepth.
        models: GFF3 transcripts, to name the genes each region overlaps.

    Raises:
        InputFormatError: A file is missing or malformed, or mosdepth did not
            count bases at 20x (``qc.depth_thresholds`` must include 20).
    """
    thresholds_path = Path(f"{mosdepth_prefix}.thresholds.bed.gz")
    regions_path = Path(f"{mosdepth_prefix}.regions.bed.gz")
    threshold_lines = _read_lines(thresholds_path)
    header = threshold_lines[0].split("\t") if threshold_lines else []
    column = f"{REPORT_DEPTH}X"
    if header[:4] != ["#chrom", "start", "end", "region"] or column not in header:
        raise InputFormatError(
            f"{thresholds_path} line 1: expected a '#chrom start end region ... {column}' header; "
            f"add {REPORT_DEPTH} to qc.depth_thresholds in the config"
        )
    at = header.index(column)
    means = []
    for number, line in enumerate(_read_lines(regions_path), start=1):
        fields = line.split("\t")
        try:
            means.append(float(fields[-1]))
        except (ValueError, IndexError):
            raise InputFormatError(
                f"{regions_path} line {number}: the last column should be the mean depth"
            ) from None
    body = [line for line in threshold_lines[1:] if line]
    if len(body) != len(means):
        raise InputFormatError(
            f"{thresholds_path} has {len(body)} regions but {regions_path} has {len(means)}; "
            "were they written by the same mosdepth run?"
        )
    finder = _GeneFinder(models) if models else None
    targets = []
    for number, (line, mean) in enumerate(zip(body, means, strict=True), start=2):
        fields = line.split("\t")
        try:
            chrom, start, end, name = fields[0], int(fields[1]), int(fields[2]), fields[3]
            bases = int(fields[at])
        except (ValueError, IndexError):
            raise InputFormatError(
                f"{thresholds_path} line {number}: expected whole numbers, got {line!r}"
            ) from None
        name = "" if name == "unknown" else name
        genes = finder.genes(chrom, start, end) if finder else ((name,) if name else ())
        targets.append(TargetCoverage(chrom, start, end, name, mean, bases, genes))
    return targets


class _GeneFinder:
    """Genes overlapping an interval, from the transcripts' spans."""

    def __init__(self, models: Mapping[str, TranscriptModel]) -> None:
        spans: dict[tuple[str, str], tuple[int, int]] = {}
        for model in models.values():
            key = (model.chrom.removeprefix("chr"), model.gene_name)
            low, high = spans.get(key, (model.start, model.end))
            spans[key] = (min(low, model.start), max(high, model.end))
        self._by_chrom: dict[str, list[tuple[int, int, str]]] = {}
        for (chrom, gene), (start, end) in spans.items():
            self._by_chrom.setdefault(chrom, []).append((start, end, gene))
        self._starts: dict[str, list[int]] = {}
        self._longest: dict[str, int] = {}
        for chrom, genes in self._by_chrom.items():
            genes.sort()
            self._starts[chrom] = [g[0] for g in genes]
            self._longest[chrom] = max(g[1] - g[0] + 1 for g in genes)

    def genes(self, chrom: str, start: int, end: int) -> tuple[str, ...]:
        """Genes overlapping the BED interval ``start..end`` (0-based, half-open)."""
        key = chrom.removeprefix("chr")
        genes = self._by_chrom.get(key)
        if not genes:
            return ()
        starts = self._starts[key]
        first = bisect.bisect_left(starts, start + 1 - self._longest[key])
        last = bisect.bisect_right(starts, end)
        found = [g for s, e, g in genes[first:last] if s <= end and e >= start + 1]
        return tuple(dict.fromkeys(found))


def gene_coverage(targets: Sequence[TargetCoverage], genes: Iterable[str]) -> list[GeneCoverage]:
    """Coverage of each gene over the targets overlapping it, in the order given.

    A gene no target overlaps gets ``regions == 0``: the assay does not cover it.
    """
    by_gene: dict[str, list[TargetCoverage]] = {}
    for target in targets:
        for gene in target.genes:
            by_gene.setdefault(gene, []).append(target)
    result = []
    for gene in genes:
        mine = by_gene.get(gene, [])
        bases = sum(t.length for t in mine)
        result.append(
            GeneCoverage(
                gene=gene,
                regions=len(mine),
                target_bases=bases,
                bases_at_depth=sum(t.bases_at_depth for t in mine),
                mean_depth=(sum(t.mean_depth * t.length for t in mine) / bases) if bases else None,
                regions_below=sum(1 for t in mine if t.bases_below),
            )
        )
    return result


def targeted_genes(targets: Iterable[TargetCoverage]) -> list[str]:
    """Every gene the targets overlap, in genome order."""
    return list(dict.fromkeys(gene for target in targets for gene in target.genes))


def regions_below(targets: Iterable[TargetCoverage]) -> list[TargetCoverage]:
    """Target regions with any base below the report depth, in genome order."""
    return [t for t in targets if t.bases_below > 0]
