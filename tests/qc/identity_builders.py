"""Batches of genotypes and reads built in code for the identity checks' tests.

Genotypes follow Hardy-Weinberg at allele frequencies drawn per site; relatives inherit
alleles the way people do (a child takes one of each parent's two); reads are drawn from
the allele fractions a sample (mixed, when contaminated, with another person) gives.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from labpipe.qc.batch_genotypes import BatchGenotypes, Site

Haplotypes = npt.NDArray[np.int8]  # sites x 2, alleles 0/1


class People:
    """Random people at the same sites, with a seeded generator."""

    def __init__(self, sites: int, seed: int = 1, low: float = 0.05, high: float = 0.5) -> None:
        self.rng = np.random.default_rng(seed)
        self.frequencies = self.rng.uniform(low, high, sites)

    def unrelated(self) -> Haplotypes:
        draws = self.rng.random((len(self.frequencies), 2)) < self.frequencies[:, None]
        return draws.astype(np.int8)

    def child(self, father: Haplotypes, mother: Haplotypes) -> Haplotypes:
        rows = np.arange(len(father))
        from_father = father[rows, self.rng.integers(0, 2, len(rows))]
        from_mother = mother[rows, self.rng.integers(0, 2, len(rows))]
        return np.stack([from_father, from_mother], axis=1).astype(np.int8)

    def reads(
        self,
        person: Haplotypes,
        depth: int = 60,
        contaminant: Haplotypes | None = None,
        fraction: float = 0.0,
        error: float = 0.002,
    ) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
        """(ref reads, alt reads) per site, a ``fraction`` of them from ``contaminant``."""
        share = person.sum(axis=1) / 2
        if contaminant is not None:
            share = (1 - fraction) * share + fraction * contaminant.sum(axis=1) / 2
        share = error + (1 - 2 * error) * share
        alt = self.rng.binomial(depth, share).astype(np.int32)
        return (depth - alt).astype(np.int32), alt


def batch(
    people: Mapping[str, Haplotypes],
    reads: Mapping[str, tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]] | None = None,
    population_af: Sequence[float | None] | None = None,
) -> BatchGenotypes:
    """A batch from each sample's haplotypes (its genotypes) and, optionally, reads."""
    names = tuple(people)
    count = len(next(iter(people.values())))
    sites = tuple(
        Site("chr1", 1000 + 10 * i, "A", "G", None if population_af is None else population_af[i])
        for i in range(count)
    )
    genotypes = np.stack([people[n].sum(axis=1) for n in names], axis=1).astype(np.int8)
    ref = np.zeros(genotypes.shape, dtype=np.int32)
    alt = np.zeros(genotypes.shape, dtype=np.int32)
    for column, name in enumerate(names):
        if reads and name in reads:
            ref[:, column], alt[:, column] = reads[name]
        else:
            alt[:, column] = 30 * genotypes[:, column]
            ref[:, column] = 60 - alt[:, column]
    return BatchGenotypes(names, sites, genotypes, ref, alt)
