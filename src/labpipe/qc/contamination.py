"""Each sample's contamination: the share of its reads that come from another person.

Method. At the batch's SNV sites (:mod:`labpipe.qc.batch_genotypes`) a clean sample's
homozygous sites carry the other allele only by sequencing error. If a fraction ``a`` of
the reads comes from a contaminating person who carries the other allele d times (0, 1 or
2), the share of "foreign" reads is ``e + a * d / 2`` (``e``: the error rate for one given
base, :data:`ERROR_RATE`). The sample's homozygous sites are those whose minor read
fraction is below :data:`HOMOZYGOUS_BELOW` (so contamination up to about that share is
measurable; more reads as heterozygous and the sample fails anyway on its other figures).
The fraction ``a`` is the maximum-likelihood value of the binomial mixture over d, on a
grid from 0 to 50% (1% steps, then 0.1% around the best), for each of two kinds of contaminant:

- *unknown person*: d follows Hardy-Weinberg at the site's population allele frequency when
  a population source gives one, else at the frequency among the batch's other samples
  (contamination most often comes from a sample handled alongside); at a rare variant this
  reduces to the reference-read fraction at the sample's homozygous-alternate sites;
- *another sample of the batch*: d is that sample's own genotype.

The model that fits best is reported (a batch sample is named as the likely source only when
it fits clearly better than an unknown person: log-likelihood ahead by
:data:`SOURCE_MARGIN`).

Heterozygous sites are not used in the fit: reference bias in alignment shifts their allele
fractions by a few percent, which would read as contamination. Their mean allele fraction and
its spread are reported beside the estimate, for a person to look at.

Minimum and floor: an estimate needs ``qc.min_contamination_sites`` homozygous sites with
:data:`MIN_SITE_DEPTH` reads or more (default 20; fewer and one artefactual site moves the
estimate by percents), else "not estimated: N sites". Estimates below :data:`FLOOR` (1%)
are not told apart from sequencing error and alignment artefacts and are shown as ``< 1%``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from labpipe.core.i18n import _
from labpipe.qc.batch_genotypes import MISSING, BatchGenotypes

#: Error rate towards one given other base after the base-quality filter.
ERROR_RATE = 0.002
#: A site whose minor read fraction is below this is homozygous for the fit.
HOMOZYGOUS_BELOW = 0.25
#: Reads a site needs to enter the fit.
MIN_SITE_DEPTH = 10
#: Below this an estimate is not told apart from error.
FLOOR = 0.01
#: Log-likelihood by which a batch sample must beat an unknown person to be named as source.
SOURCE_MARGIN = 3.0

#: Other samples of the batch fitted as the source, those whose genotypes fit best first.
SOURCE_CANDIDATES = 3


@dataclass(frozen=True)
class ContaminationEstimate:
    """One sample's contamination estimate.

    Attributes:
        sample: Sample id.
        fraction: Estimated share of foreign reads (0-0.5); None when not estimated.
        sites: Homozygous sites with enough reads that entered the fit.
        min_sites: Fewest sites asked for an estimate.
        source: The batch sample whose genotypes fit the foreign reads best, when one fits
            clearly better than an unknown person; else None.
        het_sites: Heterozygous sites seen (not used in the fit).
        het_alt_fraction_mean: Mean alternate-read fraction at those.
        het_alt_fraction_sd: Its standard deviation.
    """

    sample: str
    fraction: float | None
    sites: int
    min_sites: int
    source: str | None = None
    het_sites: int = 0
    het_alt_fraction_mean: float | None = None
    het_alt_fraction_sd: float | None = None

    @property
    def shown(self) -> str:
        """``3.2%``, ``< 1%`` or ``not estimated: N sites (needs M)``."""
        if self.fraction is None:
            return _("not estimated: %(sites)s sites (needs %(needed)s)") % {
                "sites": self.sites,
                "needed": self.min_sites,
            }
        if self.fraction < FLOOR:
            return f"< {100 * FLOOR:.0f}%"
        return f"{100 * self.fraction:.1f}%"


def _log_likelihood(
    grid: npt.NDArray[np.float64],
    foreign: npt.NDArray[np.float64],
    depth: npt.NDArray[np.float64],
    carried: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """Log-likelihood of each fraction of ``grid`` (binomial constants left out).

    Args:
        grid: The fractions to evaluate.
        foreign: Foreign-allele reads per site.
        depth: Reads per site.
        carried: Per site, the probability that the contaminant carries the foreign allele
            0, 1 or 2 times (sites x 3).
    """
    total = np.zeros_like(grid)
    for copies in range(3):
        share = ERROR_RATE + grid[None, :] * copies / 2  # sites x grid
        per_site = foreign[:, None] * np.log(share) + (depth - foreign)[:, None] * np.log1p(-share)
        with np.errstate(divide="ignore"):
            weighted = per_site + np.log(carried[:, copies])[:, None]
        total = weighted if copies == 0 else np.logaddexp(total, weighted)
    summed: npt.NDArray[np.float64] = total.sum(axis=0)
    return summed


def _fit(
    foreign: npt.NDArray[np.float64],
    depth: npt.NDArray[np.float64],
    carried: npt.NDArray[np.float64],
) -> tuple[float, float]:
    """(fraction, log-likelihood) at the maximum: 1% steps over 0-50%, then 0.1% around it."""
    coarse = np.linspace(0.0, 0.5, 51)
    centre = float(coarse[_log_likelihood(coarse, foreign, depth, carried).argmax()])
    fine = np.linspace(max(0.0, centre - 0.01), min(0.5, centre + 0.01), 21)
    scores = _log_likelihood(fine, foreign, depth, carried)
    return float(fine[scores.argmax()]), float(scores.max())


def _hardy_weinberg(frequency: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """P(0, 1, 2 copies) of an allele at ``frequency`` (sites x 3)."""
    p = np.clip(frequency, 0.0, 1.0)
    return np.stack([(1 - p) ** 2, 2 * p * (1 - p), p**2], axis=1)


def estimate_contamination(
    batch: BatchGenotypes, sample: str, min_sites: int
) -> ContaminationEstimate:
    """Estimate one sample's contamination from its reads at the batch's sites.

    Args:
        batch: The joint genotypes and read counts.
        sample: The sample to estimate.
        min_sites: Fewest homozygous sites with enough reads for an estimate.
    """
    column = batch.column(sample)
    ref = batch.ref_reads[:, column].astype(np.float64)
    alt = batch.alt_reads[:, column].astype(np.float64)
    depth = ref + alt
    deep = depth >= MIN_SITE_DEPTH
    alt_fraction = np.divide(alt, depth, out=np.zeros_like(alt), where=depth > 0)
    hom_ref = deep & (alt_fraction < HOMOZYGOUS_BELOW)
    hom_alt = deep & (alt_fraction > 1 - HOMOZYGOUS_BELOW)
    het = deep & ~hom_ref & ~hom_alt
    het_fractions = alt_fraction[het]
    het_mean = round(float(het_fractions.mean()), 4) if het_fractions.size else None
    het_sd = round(float(het_fractions.std()), 4) if het_fractions.size > 1 else None
    used = hom_ref | hom_alt
    sites = int(used.sum())
    not_estimated = ContaminationEstimate(
        sample, None, sites, min_sites, None, int(het.sum()), het_mean, het_sd
    )
    if sites < min_sites:
        return not_estimated
    foreign = np.where(hom_alt, ref, alt)[used]
    reads = depth[used]
    is_alt = hom_alt[used]
    # An unknown person: the population's allele frequency, else the batch's other samples'.
    frequency = _batch_frequency(batch.genotypes, column)
    population = np.array(
        [np.nan if s.population_af is None else s.population_af for s in batch.sites]
    )
    frequency = np.where(np.isnan(population), frequency, population)[used]
    foreign_frequency = np.where(is_alt, 1 - frequency, frequency)
    unknown = _hardy_weinberg(foreign_frequency)
    fraction, score = _fit(foreign, reads, unknown)
    source = None
    # Another sample as the source: only when there are foreign reads to explain, and only
    # the few whose foreign alleles match best (a batch of 96 would otherwise fit 95 models
    # for each sample).
    if fraction >= FLOOR / 2:
        for other in _likely_sources(batch.genotypes[used], column, is_alt, foreign / reads):
            genotype = batch.genotypes[used, other].astype(np.float64)
            copies = np.where(is_alt, 2 - genotype, genotype)
            known = np.zeros((len(copies), 3))
            called = genotype != MISSING
            known[called, copies[called].astype(int)] = 1.0
            known[~called] = unknown[~called]
            fitted, fitted_score = _fit(foreign, reads, known)
            if fitted_score > score + SOURCE_MARGIN:
                fraction, score, source = fitted, fitted_score, batch.samples[other]
    return replace(
        not_estimated,
        fraction=round(fraction, 4),
        source=source if fraction >= FLOOR else None,
    )


def _likely_sources(
    genotypes: npt.NDArray[np.int8],
    column: int,
    is_alt: npt.NDArray[np.bool_],
    foreign_share: npt.NDArray[np.float64],
) -> list[int]:
    """The other samples whose foreign-allele copies go with the sample's foreign reads.

    Scored by the mean foreign-read share where the other carries the foreign allele,
    less where it does not; the :data:`SOURCE_CANDIDATES` best, best first.
    """
    scores = []
    for other in range(genotypes.shape[1]):
        if other == column:
            continue
        genotype = genotypes[:, other]
        called = genotype != MISSING
        carries = called & (np.where(is_alt, 2 - genotype, genotype) > 0)
        lacks = called & ~carries
        if not carries.any():
            continue
        # A source may carry the foreign allele at every site (the sample's own variants
        # are rare): then nothing to subtract.
        baseline = float(foreign_share[lacks].mean()) if lacks.any() else 0.0
        scores.append((float(foreign_share[carries].mean()) - baseline, other))
    return [other for _, other in sorted(scores, reverse=True)[:SOURCE_CANDIDATES]]


def _batch_frequency(genotypes: npt.NDArray[np.int8], column: int) -> npt.NDArray[np.float64]:
    """Per site, the alternate allele's frequency among the other samples (0 when none)."""
    others = np.delete(genotypes, column, axis=1).astype(np.float64)
    called = others != MISSING
    alleles = np.where(called, others, 0.0).sum(axis=1)
    chromosomes = 2 * called.sum(axis=1)
    return np.divide(alleles, chromosomes, out=np.zeros_like(alleles), where=chromosomes > 0)


def estimate_batch(batch: BatchGenotypes, min_sites: int) -> list[ContaminationEstimate]:
    """Every sample's estimate, in the batch's order."""
    return [estimate_contamination(batch, sample, min_sites) for sample in batch.samples]
