"""Contamination estimates recovered from reads mixed at a known fraction."""

from __future__ import annotations

import pytest

from labpipe.qc.contamination import estimate_batch, estimate_contamination
from tests.qc.identity_builders import People, batch


@pytest.mark.parametrize("fraction", [0.02, 0.05, 0.10, 0.20])
def test_a_mixed_sample_s_fraction_is_recovered_and_the_source_named(fraction: float) -> None:
    people = People(400, seed=21)
    a, b, c = people.unrelated(), people.unrelated(), people.unrelated()
    reads = {"A": people.reads(a, contaminant=b, fraction=fraction), "B": people.reads(b)}
    estimate = estimate_contamination(batch({"A": a, "B": b, "C": c}, reads), "A", 20)
    assert estimate.fraction == pytest.approx(fraction, abs=0.01 + 0.1 * fraction)
    assert estimate.source == "B"


def test_a_contaminant_from_outside_the_batch_is_measured_from_population_frequencies() -> None:
    people = People(500, seed=22)
    a, b, outsider = people.unrelated(), people.unrelated(), people.unrelated()
    reads = {"A": people.reads(a, contaminant=outsider, fraction=0.10), "B": people.reads(b)}
    population = [float(f) for f in people.frequencies]
    estimate = estimate_contamination(batch({"A": a, "B": b}, reads, population), "A", 20)
    assert estimate.fraction == pytest.approx(0.10, abs=0.02)
    assert estimate.source is None  # B does not fit better than an unknown person
    assert estimate.shown == f"{100 * (estimate.fraction or 0):.1f}%"


def test_clean_samples_stay_below_the_floor() -> None:
    people = People(400, seed=23)
    a, b = people.unrelated(), people.unrelated()
    reads = {"A": people.reads(a), "B": people.reads(b)}
    for estimate in estimate_batch(batch({"A": a, "B": b}, reads), 20):
        assert estimate.fraction is not None and estimate.fraction < 0.01
        assert estimate.shown == "< 1%"
        assert estimate.source is None


def test_rare_variants_alone_give_the_reference_fraction_at_homozygous_alternate_sites() -> None:
    # One sample, no population source, every variant private: the hom-alt sites carry it.
    people = People(300, seed=24, low=0.6, high=0.9)
    a, outsider = people.unrelated(), people.unrelated()
    outsider[:] = 0  # a contaminant carrying none of A's alleles
    reads = {"A": people.reads(a, contaminant=outsider, fraction=0.08)}
    estimate = estimate_contamination(batch({"A": a}, reads), "A", 20)
    assert estimate.fraction == pytest.approx(0.08, abs=0.015)


def test_too_few_homozygous_sites_say_not_estimated() -> None:
    people = People(12, seed=25)
    a = people.unrelated()
    estimate = estimate_contamination(batch({"A": a}, {"A": people.reads(a)}), "A", 20)
    assert estimate.fraction is None
    assert estimate.shown == f"not estimated: {estimate.sites} sites (needs 20)"
    assert estimate.sites < 20


def test_heterozygous_sites_are_described_not_fitted() -> None:
    # Reference bias (het allele fractions a little below 0.5) must not read as contamination.
    people = People(400, seed=26)
    a = people.unrelated()
    ref, alt = people.reads(a)
    biased = alt.copy()
    het = a.sum(axis=1) == 1
    biased[het] = (alt[het] * 0.9).astype(alt.dtype)
    plain = estimate_contamination(batch({"A": a}, {"A": (ref, alt)}), "A", 20)
    shifted = estimate_contamination(batch({"A": a}, {"A": (ref, biased)}), "A", 20)
    assert plain.het_sites > 50
    assert (shifted.het_alt_fraction_mean or 0) < (plain.het_alt_fraction_mean or 0) - 0.03
    assert shifted.fraction == plain.fraction


def test_a_source_carrying_the_foreign_allele_at_every_site_is_named() -> None:
    # As in a panel batch: A's sites are its own homozygous variants and B's private ones.
    import numpy as np

    people = People(60, seed=27)
    a = np.zeros((60, 2), dtype=np.int8)
    a[:30] = 1  # A homozygous alternate, B homozygous reference: B carries the ref allele
    b = np.zeros((60, 2), dtype=np.int8)
    b[30:, 0] = 1  # B heterozygous where A is homozygous reference
    reads = {"A": people.reads(a, contaminant=b, fraction=0.10), "B": people.reads(b)}
    estimate = estimate_contamination(batch({"A": a, "B": b}, reads), "A", 20)
    assert estimate.source == "B"
    assert estimate.fraction == pytest.approx(0.10, abs=0.02)
