"""The ``LP_*`` INFO fields ``labpipe annotate`` writes into a sample's VCF: their header
lines and their values, one per ALT allele, percent-encoded as VCF requires.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from labpipe.annotation.annotated_table import (
    AnnotatedVariant,
)
from labpipe.annotation.sources import AfColumn

if TYPE_CHECKING:  # imported where used: `labpipe validate` needs neither
    import cyvcf2


@dataclass(frozen=True)
class _Info:
    id: str
    type: str
    description: str


_INFO_FIELDS: tuple[_Info, ...] = (
    _Info("LP_GENE", "String", "Gene of the reported transcript"),
    _Info("LP_TRANSCRIPT", "String", "Reported transcript (MANE Select, canonical, or longest)"),
    _Info("LP_CONSEQUENCE", "String", "bcftools csq consequence on the reported transcript"),
    _Info("LP_HGVSC", "String", "HGVS c. (n.) on the reported transcript, 3'-shifted"),
    _Info("LP_HGVSP", "String", "HGVS p. on the reported transcript"),
    _Info("LP_CLNSIG", "String", "ClinVar clinical significance (CLNSIG)"),
    _Info("LP_CLNREVSTAT", "String", "ClinVar review status (CLNREVSTAT)"),
    _Info("LP_CLNSTARS", "Integer", "ClinVar review stars (0-4)"),
    _Info("LP_CLNDN", "String", "ClinVar condition names (CLNDN)"),
    _Info("LP_CLNID", "String", "ClinVar VariationID"),
)
_TRAILING_FIELDS: tuple[_Info, ...] = (
    _Info("LP_MAX_AF", "Float", "Highest population allele frequency over every source and field"),
    _Info("LP_PANEL", "String", "Gene panels of this sample that hold the gene, joined by |"),
    _Info(
        "LP_TIER",
        "Integer",
        "labpipe tier: 1 ClinVar P/LP; 2 rare LoF/missense in panel gene; "
        "3 other rare coding change in panel gene; 4 other",
    ),
    _Info("LP_TIER_REASON", "String", "Why the tier was assigned"),
    _Info("LP_ROH", "String", "Run of homozygosity (chrom:start-end) holding this homozygous call"),
    _Info(
        "LP_INCIDENTAL",
        "String",
        "yes: incidental finding (ClinVar P/LP outside the sample's panels), apart from tier 1",
    ),
)

# Characters VCF does not allow unescaped in an INFO value (VCF 4.3, section 1.2).
_ESCAPES = {"%": "%25", ",": "%2C", ";": "%3B", "=": "%3D", " ": "%20", "\t": "%09", "\n": "%0A"}


def vcf_escape(text: str) -> str:
    """Percent-encode the characters VCF reserves in INFO values."""
    return "".join(_ESCAPES.get(char, char) for char in text)


def _info_value(value: object) -> str:
    if value is None or value == "":
        return "."
    if isinstance(value, float):
        return f"{value:.6g}"
    return vcf_escape(str(value))


def _info_values(variant: AnnotatedVariant, af_columns: Sequence[AfColumn]) -> dict[str, object]:
    row, clinical = variant.row, variant.clinical
    values: dict[str, object] = {
        "LP_GENE": row.gene,
        "LP_TRANSCRIPT": row.transcript,
        "LP_CONSEQUENCE": row.consequence,
        "LP_HGVSC": row.hgvs_c,
        "LP_HGVSP": row.hgvs_p,
        "LP_CLNSIG": clinical.clinvar_significance,
        "LP_CLNREVSTAT": clinical.clinvar_review_status,
        "LP_CLNSTARS": clinical.clinvar_stars,
        "LP_CLNDN": clinical.clinvar_condition,
        "LP_CLNID": clinical.clinvar_id,
    }
    for column, af in zip(af_columns, clinical.population_afs, strict=True):
        values[column.info_id] = af
    values.update(
        {
            "LP_MAX_AF": clinical.max_af,
            "LP_PANEL": clinical.in_panel.replace(",", "|"),
            "LP_TIER": clinical.tier,
            "LP_TIER_REASON": clinical.tier_reason,
            "LP_ROH": clinical.roh_segment,
            "LP_INCIDENTAL": clinical.incidental,
        }
    )
    return values


def header_infos(af_columns: Sequence[AfColumn]) -> list[_Info]:
    afs = [_Info(c.info_id, "Float", f"Allele frequency: {c.label}") for c in af_columns]
    return [*_INFO_FIELDS, *afs, *_TRAILING_FIELDS]


def set_info_fields(
    record: cyvcf2.Variant, annotated: list[AnnotatedVariant], af_columns: Sequence[AfColumn]
) -> None:
    """Set the LP_* INFO fields, one value per ALT (``.`` for ``*`` alleles)."""
    if not annotated:
        return
    by_alt = {variant.row.alt: _info_values(variant, af_columns) for variant in annotated}
    keys = next(iter(by_alt.values())).keys()
    for key in keys:
        values = [_info_value(by_alt[alt][key]) if alt in by_alt else "." for alt in record.ALT]
        if all(value == "." for value in values):
            continue
        # Written as text: cyvcf2 cannot set a list, and the header gives the type.
        record.INFO[key] = ",".join(values)
