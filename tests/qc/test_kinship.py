"""Kinship of every pair (KING-robust) and the flags it raises against the pedigree."""

from __future__ import annotations

import numpy as np
import pytest

from labpipe.config.pedigree import Member, Pedigree
from labpipe.qc.batch_genotypes import MISSING
from labpipe.qc.kinship import (
    DUPLICATE,
    FIRST,
    PARENT_NOT_RELATED,
    SAME,
    SECOND,
    UNDECLARED,
    UNRELATED,
    PairKinship,
    king_robust,
    pair_kinships,
    relatedness_flags,
    relationship,
)
from tests.qc.identity_builders import People, batch


def kinships(samples: dict, min_sites: int = 100) -> dict[tuple[str, str], float | None]:
    return {(p.first, p.second): p.kinship for p in pair_kinships(batch(samples), min_sites)}


def test_a_sample_with_itself_is_one_half_and_unrelated_people_about_zero() -> None:
    people = People(3000)
    a, b = people.unrelated(), people.unrelated()
    found = kinships({"A": a, "A_again": a.copy(), "B": b})
    assert found["A", "A_again"] == pytest.approx(0.5)
    assert found["A", "B"] == pytest.approx(0.0, abs=0.03)
    assert found["A_again", "B"] == found["A", "B"]


def test_relatives_come_out_at_their_degree() -> None:
    people = People(4000, seed=7)
    father, mother, stranger = people.unrelated(), people.unrelated(), people.unrelated()
    child, sibling = people.child(father, mother), people.child(father, mother)
    grandchild = people.child(child, stranger)
    found = kinships(
        {"F": father, "M": mother, "C": child, "S": sibling, "G": grandchild, "X": stranger}
    )
    assert found["F", "C"] == pytest.approx(0.25, abs=0.03)
    assert found["M", "C"] == pytest.approx(0.25, abs=0.03)
    assert found["C", "S"] == pytest.approx(0.25, abs=0.04)
    assert found["F", "G"] == pytest.approx(0.125, abs=0.03)
    assert found["F", "M"] == pytest.approx(0.0, abs=0.03)
    assert relationship(found["F", "C"] or 0) == FIRST
    assert relationship(found["F", "G"] or 0) == SECOND
    assert relationship(found["F", "M"] or 0) == UNRELATED


def test_counts_are_over_sites_both_are_genotyped_at() -> None:
    first = np.array([1, 1, 2, 0, MISSING, 1], dtype=np.int8)
    second = np.array([1, 0, 0, 0, 2, MISSING], dtype=np.int8)
    sites, het_first, het_second, het_both, ibs0, kinship = king_robust(first, second)
    assert (sites, het_first, het_second, het_both, ibs0) == (4, 2, 1, 1, 1)
    # 1/2 + (2*1 - 4*1 - 2 - 1) / (4*1)
    assert kinship == pytest.approx(-0.75)


def test_below_the_minimum_the_pair_is_not_estimated_and_says_why() -> None:
    people = People(60, seed=3)
    pair = pair_kinships(batch({"A": people.unrelated(), "B": people.unrelated()}), 100)[0]
    assert pair.kinship is None
    assert pair.relationship is None
    assert pair.shown == f"not estimated: {pair.informative} sites (needs 100)"
    assert 0 < pair.informative < 100


def flags_of(samples: dict, pedigree: Pedigree) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for flag in relatedness_flags(pair_kinships(batch(samples), 100), pedigree):
        found.setdefault(flag.kind, []).append(flag.message)
    return found


def trio(child: str = "C", father: str = "F", mother: str = "M") -> Pedigree:
    return Pedigree(
        (
            Member(father, "FAM1", sex="male"),
            Member(mother, "FAM1", sex="female"),
            Member(child, "FAM1", father=father, mother=mother),
        )
    )


def test_a_true_trio_raises_nothing() -> None:
    people = People(3000, seed=11)
    father, mother = people.unrelated(), people.unrelated()
    samples = {"F": father, "M": mother, "C": people.child(father, mother)}
    assert flags_of(samples, trio()) == {}


def test_a_child_of_related_parents_is_not_flagged_against_them() -> None:
    """Kinship reads low (second degree) for an autozygous child; sharing an allele at every
    site settles it. Figures of a simulated consanguineous trio with a 10% contaminated
    mother (labpipe simulate --family trio --consanguineous --contaminate mother:0.10)."""
    pairs = [
        PairKinship("F", "C", 450, 140, 90, 73, 0, 0.1221, 100),
        PairKinship("M", "C", 450, 150, 90, 63, 0, 0.1088, 100),
        PairKinship("F", "M", 450, 140, 150, 99, 23, 0.1163, 100),
    ]
    assert relatedness_flags(pairs, trio()) == []
    # The same kinship with opposite homozygotes at 5% of sites: not the parent.
    swapped = [PairKinship("F", "C", 450, 140, 90, 40, 23, 0.1221, 100)]
    (flag,) = relatedness_flags(swapped, trio())
    assert flag.kind == PARENT_NOT_RELATED
    assert "shares no allele with C at 23 of 450 sites" in flag.message


def test_a_swapped_parent_is_flagged_as_not_related() -> None:
    people = People(3000, seed=12)
    father, mother, someone = people.unrelated(), people.unrelated(), people.unrelated()
    # The tube labelled F holds someone else's DNA.
    samples = {"F": someone, "M": mother, "C": people.child(father, mother)}
    found = flags_of(samples, trio())
    assert list(found) == [PARENT_NOT_RELATED]
    (message,) = found[PARENT_NOT_RELATED]
    assert message.startswith("F, declared the father of C, is unrelated to C (kinship ")
    assert "expected about 0.25) and shares no allele with C at " in message
    assert "(a parent shares one everywhere): sample swap or wrong pedigree?" in message


def test_an_unexpected_duplicate_is_flagged_with_both_names() -> None:
    people = People(3000, seed=13)
    a = people.unrelated()
    found = flags_of({"PK001": a, "PK002": people.unrelated(), "PK007": a.copy()}, Pedigree())
    assert found == {
        DUPLICATE: [
            "PK001 and PK007 are the same individual (kinship 0.50): sample swap or duplicate?"
        ]
    }
    assert SAME == "same individual"


def test_undeclared_close_relatives_are_flagged_but_declared_ones_are_not() -> None:
    people = People(3000, seed=14)
    father, mother = people.unrelated(), people.unrelated()
    samples = {"F": father, "M": mother, "C": people.child(father, mother)}
    found = flags_of(samples, Pedigree())
    assert sorted(found) == [UNDECLARED]
    assert len(found[UNDECLARED]) == 2  # F-C and M-C; F and M are unrelated
    assert any(
        m.startswith("F and C are first degree relatives (kinship 0.2") for m in found[UNDECLARED]
    )
