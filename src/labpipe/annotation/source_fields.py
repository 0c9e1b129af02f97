"""Values read from a source record: an allele's frequency (an INFO field or an AC/AN ratio)
and ClinVar's assertion (significance, review stars, conditions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported where used: a config without sources is checked without it
    import pysam

# An INFO field, or a ratio of two (ExAC writes AC_SAS and AN_SAS, no AF_SAS).
INFO_FIELD = re.compile(r"^(?P<num>[A-Za-z_][A-Za-z0-9_.]*)(?:/(?P<den>[A-Za-z_][A-Za-z0-9_.]*))?$")

# ClinVar's CLNREVSTAT values and the review stars ClinVar shows for them.
REVIEW_STARS: dict[str, int] = {
    "practice_guideline": 4,
    "reviewed_by_expert_panel": 3,
    "criteria_provided,_multiple_submitters,_no_conflicts": 2,
    "criteria_provided,_conflicting_classifications": 1,
    "criteria_provided,_conflicting_interpretations": 1,
    "criteria_provided,_single_submitter": 1,
    "no_assertion_criteria_provided": 0,
    "no_assertion_provided": 0,
    "no_classification_provided": 0,
    "no_classifications_from_unflagged_records": 0,
    "no_interpretation_for_the_single_variant": 0,
}

_PATHOGENIC_TERMS = frozenset({"pathogenic", "likely_pathogenic"})


@dataclass(frozen=True)
class ClinVarAssertion:
    """ClinVar's aggregate classification of one allele.

    Attributes:
        variation_id: ClinVar's VariationID (the VCF's ID column).
        significance: CLNSIG as written, e.g. ``Pathogenic/Likely_pathogenic``.
        review_status: CLNREVSTAT as written, e.g. ``criteria_provided,_single_submitter``.
        stars: Review stars (0-4) for the status; None for a status ClinVar does not rate.
        condition: CLNDN, conditions joined by ``|``.
    """

    variation_id: str
    significance: str
    review_status: str
    stars: int | None
    condition: str

    @property
    def pathogenic(self) -> bool:
        """True when ClinVar calls the allele pathogenic or likely pathogenic."""
        return is_pathogenic(self.significance)


def is_pathogenic(significance: str) -> bool:
    """True when a CLNSIG value includes Pathogenic or Likely_pathogenic.

    ClinVar joins terms with ``/`` (``Pathogenic/Likely_pathogenic``), ``|``
    (``Pathogenic|risk_factor``) and ``,_`` (``Likely_pathogenic,_low_penetrance``);
    ``Conflicting_classifications_of_pathogenicity`` is not pathogenic.
    """
    terms = re.split(r"[|/,]", significance)
    return any(term.strip(" _").lower() in _PATHOGENIC_TERMS for term in terms)


def review_stars(review_status: str) -> int | None:
    """ClinVar's review stars for a CLNREVSTAT value; None when unknown."""
    return REVIEW_STARS.get(review_status.strip().lower())


def _values(record: pysam.VariantRecord, field: str) -> Any:
    try:
        return record.info[field]
    except (KeyError, ValueError):
        return None


def _allele_value(
    record: pysam.VariantRecord, field: str, number: Any, alt_index: int
) -> float | None:
    """One ALT allele's value of a numeric INFO field, by the field's declared Number."""
    value = _values(record, field)
    if value is None:
        return None
    if isinstance(value, tuple):
        n_alts = len(record.alts or ())
        if number == "A" or (number not in ("R",) and len(value) == n_alts and n_alts > 1):
            item = value[alt_index] if alt_index < len(value) else None
        elif number == "R":
            item = value[alt_index + 1] if alt_index + 1 < len(value) else None
        else:
            item = value[0] if value else None
    else:
        item = value
    # pysam hands back Float fields as single precision (0.05 -> 0.0500000007);
    # 7 significant digits is what the file held.
    return None if item is None else float(f"{float(item):.7g}")


def allele_frequency(
    record: pysam.VariantRecord, header: pysam.VariantHeader, field: str, alt_index: int
) -> float | None:
    """The frequency a configured field gives one ALT of a record.

    Args:
        record: The source record.
        header: Its header (for each field's Number).
        field: ``AF_sas``, or ``AC_SAS/AN_SAS`` for a ratio computed here.
        alt_index: 0-based index of the ALT in ``record.alts``.

    Returns:
        The frequency, or None when the record has no value (or AN is 0).
    """
    match = INFO_FIELD.match(field)
    if match is None:
        return None
    numerator = _allele_value(record, match["num"], header.info[match["num"]].number, alt_index)
    if match["den"] is None or numerator is None:
        return numerator
    denominator = _allele_value(record, match["den"], header.info[match["den"]].number, alt_index)
    if not denominator:
        return None
    return numerator / denominator


def _joined(value: Any) -> str:
    """An INFO value as text: pysam splits Number=. strings on commas; join them back."""
    if value is None:
        return ""
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value if v is not None)
    return str(value)


def clinvar_assertion(record: pysam.VariantRecord) -> ClinVarAssertion | None:
    """ClinVar's assertion from one ClinVar VCF record; None without CLNSIG."""
    significance = _joined(_values(record, "CLNSIG"))
    if not significance:
        return None
    review_status = _joined(_values(record, "CLNREVSTAT"))
    return ClinVarAssertion(
        variation_id=record.id or "",
        significance=significance,
        review_status=review_status,
        stars=review_stars(review_status),
        condition=_joined(_values(record, "CLNDN")),
    )
