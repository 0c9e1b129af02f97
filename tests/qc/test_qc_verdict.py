"""The QC verdict: each metric against the lab's fail and warn limits."""

from __future__ import annotations

from dataclasses import replace

import pytest

from labpipe.annotation.variant_table import VariantRow
from labpipe.config.lab import QcThresholds
from labpipe.qc.check import FAIL, NOT_ASSESSED, PASS, WARN
from labpipe.qc.metrics import SampleQC
from labpipe.qc.verdict import VariantCounts, qc_verdict, sex_check, variant_counts
from tests.builders import GOOD, lab_config

COUNTS = VariantCounts(snvs=400, transitions=280, hets=300, hom_alts=150)
THRESHOLDS = lab_config().qc


def statuses(
    qc: SampleQC, counts: VariantCounts = COUNTS, thresholds: QcThresholds = THRESHOLDS
) -> dict:
    verdict = qc_verdict(qc.sample, qc, counts, thresholds)
    return {c.metric: c.status for c in verdict.checks} | {"overall": verdict.overall}


def test_good_sample_passes_every_metric() -> None:
    result = statuses(GOOD)
    assert result["overall"] == PASS
    assert set(result.values()) == {PASS}
    assert len(result) == 12  # eight metrics, the read ledger's two, the sex check, the verdict


def test_below_the_fail_limit_fails() -> None:
    result = statuses(replace(GOOD, mean_target_depth=30.0))
    assert result["Mean target depth"] == FAIL and result["overall"] == FAIL


def test_between_warn_and_fail_limits_warns() -> None:
    result = statuses(replace(GOOD, mapped_pct=96.5, duplicate_pct=25.0))
    assert result["Mapped"] == WARN and result["Duplicates"] == WARN
    assert result["overall"] == WARN


def test_fail_outranks_warn() -> None:
    result = statuses(replace(GOOD, mapped_pct=96.5, reads_total=5000))
    assert result["Reads"] == FAIL and result["overall"] == FAIL


def test_ratios_only_warn_and_name_a_cause() -> None:
    low = VariantCounts(snvs=400, transitions=100, hets=100, hom_alts=150)
    verdict = qc_verdict("PK001", GOOD, low, THRESHOLDS)
    checks = {c.metric: c for c in verdict.checks}
    assert checks["Ts/Tv (PASS SNVs)"].status == WARN
    assert checks["Het/hom ratio (PASS)"].status == WARN
    assert "related parents" in checks["Het/hom ratio (PASS)"].note
    assert verdict.overall == WARN


def test_too_few_variants_for_a_ratio_is_not_assessed() -> None:
    few = VariantCounts(snvs=16, transitions=2, hets=10, hom_alts=10)
    verdict = qc_verdict("PK001", GOOD, few, THRESHOLDS)
    checks = {c.metric: c for c in verdict.checks}
    assert checks["Ts/Tv (PASS SNVs)"].status == NOT_ASSESSED
    assert "16 PASS SNVs" in checks["Ts/Tv (PASS SNVs)"].note
    assert verdict.overall == PASS


def test_single_end_insert_size_is_not_assessed() -> None:
    verdict = qc_verdict("S", replace(GOOD, mean_insert_size=None), COUNTS, THRESHOLDS)
    insert = next(c for c in verdict.checks if c.metric == "Mean insert size")
    assert (insert.status, insert.note) == (NOT_ASSESSED, "no paired reads")


def test_limits_are_written_for_people() -> None:
    verdict = qc_verdict("S", GOOD, COUNTS, THRESHOLDS)
    depth = next(c for c in verdict.checks if c.metric == "Mean target depth")
    assert depth.shown == "120.0x" and depth.limits == "fail < 50.0x"
    insert = next(c for c in verdict.checks if c.metric == "Mean insert size")
    assert insert.limits == "fail < 100 bp; warn < 150 bp or > 600 bp"


def test_unset_warn_level_does_not_warn() -> None:
    thresholds = lab_config(qc={"warn": {"min_mapped_pct": None}}).qc
    assert statuses(replace(GOOD, mapped_pct=96.0), thresholds=thresholds)["Mapped"] == PASS


def test_variant_counts_use_pass_calls_only() -> None:
    def row(ref: str, alt: str, zygosity: str, flt: str = "PASS") -> VariantRow:
        return VariantRow("S", "chr1", 1, ref, alt, flt, 50.0, "0/1", zygosity, 30, 15, 15, 0.5)

    counts = variant_counts(
        [
            row("A", "G", "het"),
            row("C", "A", "hom_alt"),
            row("CA", "C", "het"),
            row("T", "C", "het", "LowQual"),
        ]
    )
    assert counts == VariantCounts(snvs=2, transitions=1, hets=2, hom_alts=1)
    assert counts.ts_tv == 1.0 and counts.het_hom == 2.0


FIGURES = "chrX depth 0.51× autosomes, chrY 0.48×, 0 of 23 chrX SNVs heterozygous"


@pytest.mark.parametrize(
    ("declared", "inferred", "status", "note"),
    [
        ("male", "male", PASS, FIGURES),
        (
            "female",
            "male",
            FAIL,
            f"sex mismatch: sample sheet says female, data say male ({FIGURES})",
        ),
        ("male", "not inferred", NOT_ASSESSED, f"sex not inferred: {FIGURES}"),
        ("unknown", "male", WARN, "sex not in the sample sheet; data say male"),
        ("unknown", "female", PASS, "sex not in the sample sheet; data say female"),
    ],
)
def test_sex_check_against_the_sheet(declared: str, inferred: str, status: str, note: str) -> None:
    qc = replace(GOOD, sex_declared=declared, sex_inferred=inferred, sex_note=FIGURES)
    check = sex_check(qc)
    assert check.status == status
    assert check.note.startswith(note)
    overall = PASS if status == NOT_ASSESSED else status
    assert qc_verdict("PK001", qc, COUNTS, THRESHOLDS).overall == overall


def checks(qc: SampleQC) -> dict:
    return {c.metric: c for c in qc_verdict(qc.sample, qc, COUNTS, THRESHOLDS).checks}


def test_a_ledger_that_does_not_add_up_fails() -> None:
    """fastp stopping early (0.23 only warns, misspelt) leaves pairs in no column."""
    short = replace(GOOD, pairs_aligned=900_000, pairs_lost_fraction=0.1)
    ledger = checks(short)["Read ledger"]
    assert ledger.status == FAIL
    assert ledger.shown.endswith("95,000 unaccounted")
    assert "neither aligned nor removed by a filter" in ledger.note
    assert checks(GOOD)["Read ledger"].shown == "1,000,000 in = 995,000 aligned + 5,000 removed"


def test_losing_many_pairs_warns_and_names_the_filter() -> None:
    lossy = replace(
        GOOD, pairs_removed_too_many_n=410_000, pairs_aligned=586_000, pairs_lost_fraction=0.414
    )
    check = checks(lossy)["Read pairs removed before alignment"]
    assert check.status == WARN and check.shown == "41.40%"
    assert check.limits == "fail > 90%; warn > 20%"
    assert check.note.startswith("mostly the N filter (too many N bases) (")
    assert "too many n 41.0%" in check.note and "low quality 0.3%" in check.note


def test_a_filter_removing_every_pair_is_named_instead_of_mapped_0_pct() -> None:
    emptied = replace(
        GOOD,
        pairs_removed_low_quality=1_000_000,
        pairs_removed_too_many_n=0,
        pairs_removed_too_short=0,
        pairs_aligned=0,
        pairs_lost_fraction=1.0,
        mapped_pct=0.0,
        duplicate_pct=0.0,
        mean_insert_size=None,
    )
    found = checks(emptied)
    for metric in ("Mapped", "Duplicates", "Mean insert size"):
        assert found[metric].status == NOT_ASSESSED and found[metric].shown == "-"
        assert found[metric].note.startswith(
            "no read pairs were aligned: mostly the low-quality filter"
        )
    removed = found["Read pairs removed before alignment"]
    assert removed.status == FAIL and "mostly the low-quality filter" in removed.note
    assert qc_verdict("PK001", emptied, COUNTS, THRESHOLDS).overall == FAIL


def test_without_pair_counts_the_ledger_is_not_assessed() -> None:
    bare = replace(GOOD, pairs_in=None, pairs_aligned=None)
    ledger = checks(bare)["Read ledger"]
    assert ledger.status == NOT_ASSESSED and "not given" in ledger.note
