"""The batch's identity checks in each sample's QC verdict, with the reason in words."""

from __future__ import annotations

from pathlib import Path

from labpipe.config.pedigree import Member, Pedigree
from labpipe.qc.check import FAIL, NOT_ASSESSED, PASS, WARN, QcCheck
from labpipe.qc.identity import BatchIdentity, assess_batch, read_identity, write_identity
from labpipe.qc.identity_verdict import CONTAMINATION, RELATEDNESS
from labpipe.qc.verdict import VariantCounts, qc_verdict
from tests.builders import GOOD, lab_config
from tests.qc.identity_builders import People, batch

THRESHOLDS = lab_config().qc
COUNTS = VariantCounts(snvs=400, transitions=280, hets=300, hom_alts=150)


def checks(identity: BatchIdentity, sample: str) -> dict[str, QcCheck]:
    verdict = qc_verdict(sample, GOOD, COUNTS, THRESHOLDS, identity)
    return {c.metric: c for c in verdict.checks}


def test_the_defaults_are_documented_figures() -> None:
    assert THRESHOLDS.max_contamination == 0.03
    assert THRESHOLDS.warn.max_contamination == 0.02
    assert THRESHOLDS.min_contamination_sites == 20
    assert THRESHOLDS.min_kinship_sites == 100


def test_a_ten_percent_contaminated_sample_fails_with_the_figure_and_the_source() -> None:
    people = People(2000, seed=31)
    a, b = people.unrelated(), people.unrelated()
    reads = {"PK001": people.reads(a, contaminant=b, fraction=0.10), "PK002": people.reads(b)}
    identity = assess_batch(batch({"PK001": a, "PK002": b}, reads), Pedigree(), THRESHOLDS)
    found = checks(identity, "PK001")
    contamination = found[CONTAMINATION]
    assert contamination.status == FAIL
    assert contamination.limits == "fail > 3%; warn > 2%"
    assert contamination.note.startswith("contamination estimated 10.")
    assert "(limit 3%) from " in contamination.note
    assert "the foreign reads fit PK002's genotypes" in contamination.note
    assert qc_verdict("PK001", GOOD, COUNTS, THRESHOLDS, identity).overall == FAIL
    assert checks(identity, "PK002")[CONTAMINATION].status == PASS


def test_a_swapped_parent_fails_the_verdict_of_both() -> None:
    people = People(3000, seed=32)
    father, mother, someone = people.unrelated(), people.unrelated(), people.unrelated()
    child = people.child(father, mother)
    pedigree = Pedigree(
        (
            Member("F", "FAM", sex="male"),
            Member("M", "FAM", sex="female"),
            Member("C", "FAM", father="F", mother="M"),
        )
    )
    identity = assess_batch(batch({"F": someone, "M": mother, "C": child}), pedigree, THRESHOLDS)
    for sample in ("F", "C"):
        related = checks(identity, sample)[RELATEDNESS]
        assert related.status == FAIL
        assert "F, declared the father of C, is unrelated to C" in related.note
    assert checks(identity, "M")[RELATEDNESS].status == PASS
    assert checks(identity, "M")[RELATEDNESS].shown == "as declared (2 pair(s) estimated)"


def test_a_duplicate_warns() -> None:
    people = People(3000, seed=33)
    a = people.unrelated()
    identity = assess_batch(batch({"PK001": a, "PK007": a.copy()}), Pedigree(), THRESHOLDS)
    related = checks(identity, "PK007")[RELATEDNESS]
    assert related.status == WARN
    assert related.note == (
        "PK001 and PK007 are the same individual (kinship 0.50): sample swap or duplicate?"
    )


def test_a_panel_too_small_says_not_estimated_and_changes_nothing() -> None:
    people = People(40, seed=34)
    samples = {"PK001": people.unrelated(), "PK002": people.unrelated()}
    identity = assess_batch(batch(samples), Pedigree(), THRESHOLDS)
    found = checks(identity, "PK001")
    assert found[RELATEDNESS].status == NOT_ASSESSED
    assert found[RELATEDNESS].note.startswith("kinship not estimated: ")
    assert "(needs 100)" in found[RELATEDNESS].note
    assert found[CONTAMINATION].status in (PASS, NOT_ASSESSED)
    assert qc_verdict("PK001", GOOD, COUNTS, THRESHOLDS, identity).overall == PASS


def test_a_batch_of_one_has_nothing_to_compare_with() -> None:
    people = People(200, seed=35)
    identity = assess_batch(batch({"PK001": people.unrelated()}), Pedigree(), THRESHOLDS)
    related = checks(identity, "PK001")[RELATEDNESS]
    assert related.status == NOT_ASSESSED
    assert related.note == "the only sample of the batch: nothing to compare with"


def test_the_record_reads_back_as_written(tmp_path: Path) -> None:
    people = People(3000, seed=36)
    a = people.unrelated()
    identity = assess_batch(batch({"A": a, "B": a.copy()}), Pedigree(), THRESHOLDS)
    write_identity(identity, tmp_path / "identity.json")
    assert read_identity(tmp_path / "identity.json") == identity
