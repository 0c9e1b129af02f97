"""English that a step writes into its files (tier reasons, confidence flags, sex notes, filter
meanings, source facts) stays English there, for programs and answer keys, and is translated
where people read it (report, index, workbook): :func:`labpipe.core.i18n.translate_written`."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from labpipe.annotation import confidence, sources, tiers
from labpipe.annotation.annotated_table import AnnotatedVariant, ClinicalAnnotation
from labpipe.annotation.inheritance_column import MISFIT_REASON
from labpipe.annotation.tiers import TierRules, assign_tier, reason_in_words
from labpipe.annotation.variant_table import VariantRow
from labpipe.calling import filters
from labpipe.core.i18n import CHINESE, ENGLISH, URDU, _, translate_written, using_language
from labpipe.qc import sex
from labpipe.qc.verdict import sex_note_in_words

FIELD = re.compile(r"%\((\w+)\)s")

# Each kind of written text: the messages it is written from, and what shows it translated.
FAMILIES: dict[str, tuple[tuple[str, ...], Callable[[str], str]]] = {
    "tier reason": (tiers.REASON_MESSAGES, tiers.reason_in_words),
    "tier rule": (tiers.RULE_MESSAGES, tiers.rule_in_words),
    "confidence flag": (confidence.FLAG_MESSAGES, confidence.flag_in_words),
    "sex note": (sex.NOTE_MESSAGES, sex_note_in_words),
    "filter meaning": (filters.MEANING_MESSAGES, filters.meaning_in_words),
    "source fact": (sources.FACT_MESSAGES, sources.facts_in_words),
}


def filled(message: str) -> tuple[str, dict[str, str]]:
    """The message in English with a made-up value in each field, and those values."""
    values = {name: f"V{index}" for index, name in enumerate(FIELD.findall(message))}
    return message % values, values


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("language", [URDU, CHINESE])
def test_every_written_message_is_read_back_and_translated(family: str, language: str) -> None:
    messages, words = FAMILIES[family]
    for message in messages:
        english, values = filled(message)
        with using_language(language):
            expected = _(message) % values
            if len(re.findall(r"\b[a-z]{3,}\b", FIELD.sub("", message))) >= 2:  # words
                assert expected != english, f"{family}: untranslated in {language}: {message!r}"
            assert words(english) == expected, (family, message)
        with using_language(ENGLISH):
            assert words(english) == english  # English stays byte for byte


def _reasons() -> list[str]:
    """A reason of every kind assign_tier gives, and the trio's additions."""
    rules = TierRules(clinvar_min_stars=2)
    calls = [
        assign_tier("stop_gained", True, "Pathogenic", 2, None, rules),
        assign_tier("stop_gained", False, "Likely_pathogenic", 3, None, rules),
        assign_tier("missense", True, "Pathogenic", 1, None, rules),
        assign_tier("", True, "", None, None, rules, consequence_known=False),
        assign_tier("", True, "", None, None, rules),
        assign_tier("synonymous", True, "", None, None, rules),
        assign_tier("frameshift", False, "", None, None, rules),
        assign_tier("frameshift", True, "", None, None, rules, frequency_known=False),
        assign_tier("missense&splice_region", True, "", None, 0.2, rules),
        assign_tier("frameshift", True, "", None, None, rules),
        assign_tier("inframe_deletion", True, "", None, 0.0001, rules),
    ]
    reasons = [call.reason for call in calls]
    assert len({call.tier for call in calls}) == 4 and len(set(reasons)) == len(reasons)
    # As labpipe.annotation.inheritance_column writes a trio's misfit.
    return [*reasons, f"{reasons[-2]}; {MISFIT_REASON} (was tier 2)"]


@pytest.mark.parametrize("language", [URDU, CHINESE])
def test_each_tier_reason_reads_in_the_language_with_its_terms_kept(language: str) -> None:
    for reason in _reasons():
        with using_language(language):
            shown = reason_in_words(reason)
        # What is left in Latin script: ClinVar's and csq's terms, AF figures, "ClinVar".
        left = re.sub(
            r"ClinVar|Likely pathogenic|Pathogenic|Likely_pathogenic|[a-z_&]*(stop_gained|"
            r"missense|frameshift|synonymous|inframe_deletion|splice_region)[a-z_&]*|AF|panel",
            "",
            shown,
        )
        assert not re.search(r"[A-Za-z]{2,}", left), (reason, shown)
        with using_language(ENGLISH):
            assert reason_in_words(reason) == reason


def test_text_from_elsewhere_is_left_as_it_is() -> None:
    """A reason another version wrote, or a lab's own text, is shown unchanged, never half
    read (an unknown piece stays as it is; the known pieces beside it are translated)."""
    with using_language(URDU):
        assert translate_written("a note of the lab's", tiers.REASON_MESSAGES) == (
            "a note of the lab's"
        )
        mixed = reason_in_words("a note of the lab's; no coding consequence")
    assert mixed.startswith("a note of the lab's; ") and "no coding" not in mixed


def test_the_workbook_shows_reasons_flags_and_words_in_the_language(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from labpipe.annotation.xlsx_table import sheet_name, write_variant_workbook

    row = VariantRow("S", "chr1", 5, "A", "G", "PASS", 30.0, "0/1", "het", 9, 6, 3, 0.33)
    reason = "rare frameshift in panel gene"
    flag = "confirm orthogonally: depth 9 < 15"
    clinical = ClinicalAnnotation(tier=2, tier_reason=reason, confidence=flag)
    for language in (ENGLISH, URDU):
        out = tmp_path / f"{language}.xlsx"
        with using_language(language):
            write_variant_workbook(out, "S", [], [AnnotatedVariant(row, clinical)])
            sheet = load_workbook(out)[sheet_name("Tier 2")]
            values = [cell.value for cell in sheet[2]]
            expected = (reason_in_words(reason), confidence.flag_in_words(flag))
        assert expected[0] in values and expected[1] in values
        assert (reason in values) == (language == ENGLISH)
        # The table's vocabularies read as words; the English workbook keeps the TSV's values.
        assert ("het" in values) == (language == ENGLISH)
        assert (language == ENGLISH) or "ہیٹروزائیگس" in values


def test_an_empty_text_stays_empty_never_the_catalogs_header(tmp_path: Path) -> None:
    """gettext translates "" into the catalog's header (Project-Id-Version: ...): an empty
    note or a lab's empty disclaimer must show as nothing."""
    from labpipe.report.html import templates

    with using_language(URDU):
        assert _("") == "" and reason_in_words("") == ""
    assert templates(URDU).from_string("[{{ '' | tr }}]").render() == "[]"
