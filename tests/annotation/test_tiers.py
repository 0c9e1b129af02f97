"""Every tier rule, its thresholds, and the order in which the rules apply."""

from __future__ import annotations

import pytest

from labpipe.annotation.tiers import (
    DEFAULT_LOF,
    DEFAULT_OTHER_CODING,
    INCIDENTAL_REASON,
    TierRules,
    assign_tier,
    frequency_class,
)

RULES = TierRules()


def tier(
    consequence: str = "missense",
    in_panel: bool = True,
    clinvar: str = "",
    stars: int | None = None,
    max_af: float | None = None,
    rules: TierRules = RULES,
) -> int:
    return assign_tier(consequence, in_panel, clinvar, stars, max_af, rules).tier


@pytest.mark.parametrize(
    "significance",
    ["Pathogenic", "Likely_pathogenic", "Pathogenic/Likely_pathogenic", "Pathogenic|risk_factor"],
)
def test_tier1_clinvar_pathogenic_wins_over_everything(significance: str) -> None:
    # Common, outside the panel, synonymous: still tier 1.
    call = assign_tier("synonymous", False, significance, 0, 0.3, RULES)
    assert call.tier == 1
    assert call.reason.startswith("ClinVar ")


@pytest.mark.parametrize(
    "significance",
    ["Conflicting_classifications_of_pathogenicity", "Uncertain_significance", "Benign"],
)
def test_other_clinvar_classes_do_not_make_tier1(significance: str) -> None:
    assert tier("missense", clinvar=significance, stars=2) == 2


def test_tier1_needs_the_configured_review_stars() -> None:
    strict = TierRules(clinvar_min_stars=2)
    assert tier("synonymous", clinvar="Pathogenic", stars=3, rules=strict) == 1
    assert tier("synonymous", clinvar="Pathogenic", stars=2, rules=strict) == 1
    weak = assign_tier("stop_gained", True, "Pathogenic", 1, None, strict)
    assert weak.tier == 2  # falls through to the next rule that fits
    assert "1 star(s), below 2" in weak.reason
    assert tier("synonymous", clinvar="Pathogenic", stars=None, rules=strict) == 4


@pytest.mark.parametrize("term", [*DEFAULT_LOF, "missense"])
def test_tier2_rare_lof_or_missense_in_panel(term: str) -> None:
    assert tier(term) == 2
    assert tier(term, max_af=0.0099) == 2


def test_tier2_reason_names_the_consequence() -> None:
    call = assign_tier("splice_acceptor", True, "", None, 1e-5, RULES)
    assert call.reason == "rare splice_acceptor in panel gene"


def test_compound_consequence_uses_its_most_damaging_term() -> None:
    assert tier("stop_gained&splice_region") == 2
    assert tier("*missense") == 2  # csq's downstream-of-a-new-stop marker is ignored
    assert tier("inframe_deletion&splice_region") == 3


@pytest.mark.parametrize("term", DEFAULT_OTHER_CODING)
def test_tier3_other_rare_coding_change_in_panel(term: str) -> None:
    assert tier(term) == 3


def test_af_threshold_is_strictly_below() -> None:
    assert tier("frameshift", max_af=0.01) == 4
    assert tier("frameshift", max_af=0.009999) == 2
    call = assign_tier("frameshift", True, "", None, 0.05, RULES)
    assert call.reason == "frameshift, common (AF 0.05 >= 0.01)"


def test_absent_from_every_source_counts_as_rare() -> None:
    assert tier("missense", max_af=None) == 2


def test_outside_the_panel_is_tier4() -> None:
    assert tier("stop_gained", in_panel=False) == 4
    assert tier("inframe_insertion", in_panel=False) == 4


@pytest.mark.parametrize("consequence", ["synonymous", "intron", "3_prime_utr", "non_coding", ""])
def test_non_coding_or_silent_is_tier4(consequence: str) -> None:
    assert tier(consequence) == 4


def test_thresholds_are_configurable() -> None:
    lenient = TierRules(
        max_af=0.05,
        lof_consequences=frozenset({"stop_gained"}),
        other_coding_consequences=frozenset({"synonymous"}),
    )
    assert tier("frameshift", max_af=0.02, rules=lenient) == 4  # no longer LoF, not "other"
    assert tier("stop_gained", max_af=0.02, rules=lenient) == 2
    assert tier("synonymous", rules=lenient) == 3


def test_describe_states_the_thresholds() -> None:
    text = " ".join(TierRules(max_af=0.005, clinvar_min_stars=1).describe())
    assert "AF < 0.005" in text and "at least 1 review star" in text


@pytest.mark.parametrize("consequence", ["stop_gained", "missense", "inframe_deletion"])
def test_unknown_frequency_is_never_rare(consequence: str) -> None:
    """Without a population source, no rule that needs rarity fires."""
    call = assign_tier(consequence, True, "", None, None, RULES, frequency_known=False)
    assert call.tier == 4 and call.reason.endswith("frequency unknown")
    # The same allele absent from a configured source is rare.
    assert assign_tier(consequence, True, "", None, None, RULES).tier in (2, 3)


def test_frequency_classes() -> None:
    assert frequency_class(None, False, RULES) == "unknown"
    assert frequency_class(0.5, False, RULES) == "unknown"
    assert frequency_class(None, True, RULES) == "absent"
    assert frequency_class(0.001, True, RULES) == "rare"
    assert frequency_class(0.01, True, RULES) == "common"


def test_pathogenic_outside_the_panel_is_marked_incidental() -> None:
    off = assign_tier("missense", False, "Pathogenic", 2, None, RULES)
    assert off.tier == 1 and off.reason.endswith(INCIDENTAL_REASON)
    assert "incidental" not in assign_tier("missense", True, "Pathogenic", 2, None, RULES).reason


def test_without_a_gene_model_the_consequence_is_unknown() -> None:
    call = assign_tier("", True, "", None, None, RULES, consequence_known=False)
    assert (call.tier, call.reason) == (4, "consequence unknown (no gene model)")
    assert assign_tier("", True, "", None, None, RULES).reason == "no coding consequence"
