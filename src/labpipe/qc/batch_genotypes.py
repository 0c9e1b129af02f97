"""Every sample of a batch genotyped at the same SNV sites: the identity checks' input.

Relatedness (:mod:`labpipe.qc.kinship`) and contamination (:mod:`labpipe.qc.contamination`)
compare samples site by site, so a sample's reference genotype must be a call with read
depth, not a site missing from its VCF. The workflow therefore takes the union of the
biallelic SNVs the batch called (PASS, inside the targets, on the autosomes:
:func:`select_sites`), writes them as a bcftools targets file (:func:`write_sites`), and
genotypes every BAM at exactly those alleles in one ``bcftools mpileup -a AD,DP -R sites |
bcftools call -m -C alleles -T sites`` (rule ``identity_genotypes``); :func:`read_batch_genotypes`
reads the result back.

Sites on chrX, chrY and the mitochondrion are left out: a male's chrX is hemizygous, which
the kinship estimator would read as homozygosity.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from labpipe.core.atomic import atomic_path
from labpipe.core.errors import InputFormatError

if TYPE_CHECKING:
    from labpipe.annotation.sources import PopulationSource

#: A sample's genotype at a site where it has fewer reads is treated as missing.
MIN_GENOTYPE_DEPTH = 10

#: Contigs that are not autosomes, by name without a ``chr`` prefix.
_NOT_AUTOSOMES = frozenset({"X", "Y", "M", "MT"})

MISSING = -1

#: The joint genotyping of rule ``identity_genotypes`` (Snakemake placeholders): one mpileup
#: over every BAM at the same sites and alleles (``-C alleles``), so that a sample's
#: reference genotype is a call with its read counts, not a missing site.
GENOTYPE_COMMAND = (
    "bcftools mpileup -f {input.ref:q} -a AD,DP -R {input.sites:q} -q {params.mapq}"
    " -Q {params.baseq} -d {params.max_depth} -Ou {input.bams:q}"
    " | bcftools call -m -C alleles -T {input.sites:q} -Oz -o {output}.partial"
)


def is_autosome(chrom: str) -> bool:
    """Whether a contig is neither a sex chromosome nor the mitochondrion, by name."""
    return chrom.removeprefix("chr").upper() not in _NOT_AUTOSOMES


@dataclass(frozen=True, order=True)
class Site:
    """One biallelic SNV site of the batch.

    Attributes:
        chrom: Contig.
        pos: 1-based position.
        ref: Reference base.
        alt: Alternate base.
        population_af: The highest population allele frequency the annotation sources give
            the alternate allele; None when no source knows it (or none is configured).
    """

    chrom: str
    pos: int
    ref: str
    alt: str
    population_af: float | None = None


@dataclass(frozen=True, eq=False)
class BatchGenotypes:
    """Genotypes and read counts of every sample at every site (rows: sites, columns: samples).

    Attributes:
        samples: Sample names, in the VCF's order.
        sites: The sites, in the VCF's order.
        genotypes: Alternate-allele count 0, 1 or 2; ``MISSING`` (-1) when not called or
            below :data:`MIN_GENOTYPE_DEPTH` reads.
        ref_reads: Reads with the reference base (AD).
        alt_reads: Reads with the alternate base (AD).
    """

    samples: tuple[str, ...]
    sites: tuple[Site, ...]
    genotypes: npt.NDArray[np.int8] = field(repr=False)
    ref_reads: npt.NDArray[np.int32] = field(repr=False)
    alt_reads: npt.NDArray[np.int32] = field(repr=False)

    def column(self, sample: str) -> int:
        """The column of ``sample``."""
        return self.samples.index(sample)


def select_sites(vcfs: Iterable[Path], targets: Path | None) -> list[Site]:
    """The union of the PASS biallelic autosomal SNVs of the batch's VCFs, inside the targets.

    Args:
        vcfs: Each sample's calls (``results/vcf/<sample>.vcf.gz``).
        targets: The assay's target BED; None for the whole genome.

    Raises:
        InputFormatError: A VCF cannot be read.
    """
    import cyvcf2

    from labpipe.core.regions import read_bed

    inside = (
        _Intervals((i.contig, i.start, i.end) for i in read_bed(targets))
        if targets is not None
        else None
    )
    found: set[Site] = set()
    for vcf in vcfs:
        try:
            reader = cyvcf2.VCF(str(vcf))
        except (OSError, ValueError) as exc:
            raise InputFormatError(f"{vcf}: cannot read VCF: {exc}") from exc
        try:
            for record in reader:
                if record.FILTER is not None or len(record.ALT) != 1:
                    continue  # cyvcf2 gives FILTER None for PASS
                ref, alt = record.REF.upper(), record.ALT[0].upper()
                if len(ref) != 1 or len(alt) != 1 or alt not in "ACGT" or ref not in "ACGT":
                    continue
                if not is_autosome(record.CHROM):
                    continue
                if inside is not None and not inside.contains(record.CHROM, record.POS):
                    continue
                found.add(Site(record.CHROM, record.POS, ref, alt))
        except OSError as exc:
            raise InputFormatError(f"{vcf}: cannot be read to the end ({exc})") from None
        finally:
            reader.close()
    return sorted(found, key=lambda s: (s.chrom, s.pos, s.alt))


class _Intervals:
    """BED intervals, looked up by position."""

    def __init__(self, regions: Iterable[tuple[str, int, int]]) -> None:
        import bisect

        self._bisect = bisect
        by_chrom: dict[str, list[tuple[int, int]]] = {}
        for chrom, start, end in regions:
            by_chrom.setdefault(chrom, []).append((start, end))
        self._by_chrom = {chrom: sorted(spans) for chrom, spans in by_chrom.items()}

    def contains(self, chrom: str, pos: int) -> bool:
        spans = self._by_chrom.get(chrom, [])
        index = self._bisect.bisect_right(spans, (pos - 1, 1 << 62)) - 1
        return index >= 0 and spans[index][0] <= pos - 1 < spans[index][1]


def with_population_af(
    sites: Sequence[Site], reference: Path, population: Sequence[PopulationSource]
) -> list[Site]:
    """The sites with the highest population AF the sources give each (none: unchanged)."""
    if not population:
        return list(sites)
    from dataclasses import replace

    from labpipe.annotation.source_matcher import SourceMatcher

    matcher = SourceMatcher(reference, None, population)
    try:
        return [
            replace(s, population_af=matcher.lookup(s.chrom, s.pos, s.ref, s.alt).max_af)
            for s in sites
        ]
    finally:
        matcher.close()


def write_sites(sites: Sequence[Site], out: Path) -> None:
    """The sites as bcftools' targets file for ``call -C alleles``: ``CHROM POS REF,ALT``.

    Written bgzip-compressed and tabix-indexed (``out`` ends ``.tsv.gz``). No further column:
    ``call -C alleles`` then no longer reads the alleles. An empty batch gives an empty file.
    """
    import pysam

    ordered = sorted(sites, key=lambda s: (s.chrom, s.pos))
    with atomic_path(out, suffix=".gz", companions=(".tbi",)) as temporary:
        plain = temporary.with_suffix("")
        try:
            with open(plain, "w") as handle:
                for s in ordered:
                    handle.write(f"{s.chrom}\t{s.pos}\t{s.ref},{s.alt}\n")
            pysam.tabix_index(
                str(plain), seq_col=0, start_col=1, end_col=1, force=True, keep_original=False
            )
        finally:
            plain.unlink(missing_ok=True)


def read_sites(path: Path) -> list[Site]:
    """Sites written by :func:`write_sites` (without population AFs)."""
    import gzip

    sites = []
    try:
        with gzip.open(path, "rt") as handle:
            for line in handle:
                chrom, pos, alleles = line.rstrip("\n").split("\t")
                ref, alt = alleles.split(",")
                sites.append(Site(chrom, int(pos), ref, alt))
    except (OSError, ValueError, EOFError) as exc:
        raise InputFormatError(f"{path}: not a labpipe identity sites file ({exc})") from None
    return sites


def read_batch_genotypes(
    vcf: Path, sites: Sequence[Site], samples: Sequence[str] = ()
) -> BatchGenotypes:
    """The joint genotypes of the batch at ``sites`` (records at other alleles are ignored).

    Args:
        vcf: ``bcftools call -m -C alleles`` output over every BAM of the batch; an empty
            file when the batch has no site (nothing to genotype).
        sites: The sites it was asked for (their population AFs are kept).
        samples: The batch's samples, for an empty ``vcf``.

    Raises:
        InputFormatError: The VCF cannot be read or lacks FORMAT/AD.
    """
    import cyvcf2

    if vcf.exists() and vcf.stat().st_size == 0:
        empty = (0, len(samples))
        return BatchGenotypes(
            tuple(samples),
            (),
            np.full(empty, MISSING, dtype=np.int8),
            np.zeros(empty, dtype=np.int32),
            np.zeros(empty, dtype=np.int32),
        )
    wanted = {(s.chrom, s.pos, s.ref, s.alt): index for index, s in enumerate(sites)}
    try:
        reader = cyvcf2.VCF(str(vcf))
    except (OSError, ValueError) as exc:
        raise InputFormatError(f"{vcf}: cannot read VCF: {exc}") from exc
    samples = tuple(reader.samples)
    shape = (len(sites), len(samples))
    genotypes = np.full(shape, MISSING, dtype=np.int8)
    ref_reads = np.zeros(shape, dtype=np.int32)
    alt_reads = np.zeros(shape, dtype=np.int32)
    try:
        if samples and not reader.contains("AD"):
            raise InputFormatError(f"{vcf}: no FORMAT/AD; genotype with mpileup -a AD,DP")
        for record in reader:
            if len(record.ALT) != 1:
                continue
            index = wanted.get((record.CHROM, record.POS, record.REF, record.ALT[0]))
            if index is None:
                continue
            depths = record.format("AD")
            for column, call in enumerate(record.genotypes):
                ref_count, alt_count = (max(int(x), 0) for x in depths[column][:2])
                ref_reads[index, column] = ref_count
                alt_reads[index, column] = alt_count
                alleles = call[:2]
                if ref_count + alt_count < MIN_GENOTYPE_DEPTH or any(a < 0 for a in alleles):
                    continue
                genotypes[index, column] = sum(1 for a in alleles if a > 0)
    except OSError as exc:
        raise InputFormatError(f"{vcf}: cannot be read to the end ({exc})") from None
    finally:
        reader.close()
    return BatchGenotypes(samples, tuple(sites), genotypes, ref_reads, alt_reads)
