"""The variant table as an Excel workbook, one sheet per tier.

Many partner labs review variants in a spreadsheet. The workbook holds the
same rows and columns as ``results/variants/<sample>.tsv``, split into the
sheets ``Tier 1`` to ``Tier 4`` and ``Incidental`` (incidental findings, apart
from tier 1 as in the report; each sheet with a frozen header row and filters),
plus ``About``: the sample, the tier rules and what each column means.
Numbers are stored as numbers, so a lab can sort and filter on them.

Sheet names, the About sheet and the header row are in the current language
(:mod:`labpipe.core.i18n`; the ``annotate`` step sets the lab's): in English the
header row is the TSV's column names; in another language each header is the
column's translated label, with the TSV column name as the cell's comment, and the values
that are labpipe's words (tier reasons, confidence flags, zygosity, frequency class,
incidental) are in that language too; numbers, IDs, names and terms stay as in the TSV.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from labpipe import __version__
from labpipe.annotation.annotated_table import AnnotatedVariant, annotated_columns
from labpipe.annotation.confidence import flag_in_words
from labpipe.annotation.tiers import INCIDENTAL_MARK, TIER_TITLES, reason_in_words
from labpipe.core.atomic import atomic_path
from labpipe.core.i18n import ENGLISH, N_, _, current_language

INCIDENTAL_SHEET = "Incidental"

# Each TSV column as a person reads it (the header of a translated workbook).
COLUMN_LABELS = {
    "sample": N_("Sample"),
    "chrom": N_("Chromosome"),
    "pos": N_("Position"),
    "ref": N_("Reference allele"),
    "alt": N_("Alternative allele"),
    "filter": N_("Filter"),
    "qual": N_("Quality"),
    "genotype": N_("Genotype"),
    "zygosity": N_("Zygosity"),
    "depth": N_("Depth"),
    "ref_depth": N_("Reference reads"),
    "alt_depth": N_("Alternative reads"),
    "allele_fraction": N_("Allele fraction"),
    "gene": N_("Gene"),
    "transcript": N_("Transcript"),
    "strand": N_("Strand"),
    "biotype": N_("Biotype"),
    "consequence": N_("Consequence"),
    "hgvs_c": N_("HGVS c."),
    "hgvs_p": N_("HGVS p."),
    "protein_change": N_("Protein change"),
    "other_consequences": N_("Other consequences"),
    "callers": N_("Callers"),
    "tier": N_("Tier"),
    "tier_reason": N_("Tier reason"),
    "in_panel": N_("In panel"),
    "clinvar_significance": N_("ClinVar significance"),
    "clinvar_review_status": N_("ClinVar review status"),
    "clinvar_stars": N_("ClinVar stars"),
    "clinvar_condition": N_("ClinVar condition"),
    "clinvar_id": N_("ClinVar ID"),
    "max_af": N_("Highest population AF"),
    "roh_segment": N_("Run of homozygosity"),
    "frequency": N_("Frequency"),
    "confidence": N_("Confidence"),
    "incidental": N_("Incidental finding"),
}


def sheet_name(sheet: str) -> str:
    """A sheet's name in the current language (``Tier 2`` -> ``درجہ 2``)."""
    if sheet.startswith("Tier "):
        return _("Tier %(tier)s") % {"tier": sheet.removeprefix("Tier ")}
    return _(sheet)


def column_header(column: str) -> str:
    """A column's header: its TSV name in English, else its label in the current language."""
    if current_language() == ENGLISH:
        return column
    return _(COLUMN_LABELS[column]) if column in COLUMN_LABELS else column


# Widths (characters) for columns whose content is long; others fit their header.
_WIDTHS = {
    "other_consequences": 40,
    "clinvar_condition": 40,
    "clinvar_review_status": 30,
    "tier_reason": 36,
    "protein_change": 24,
    "hgvs_c": 22,
    "hgvs_p": 22,
    "callers": 18,
    "confidence": 40,
    "inheritance": 18,
    "inheritance_note": 60,
}


def write_variant_workbook(
    out: Path, sample: str, af_columns: Sequence[str], variants: Sequence[AnnotatedVariant]
) -> None:
    """Write the workbook atomically.

    Args:
        out: ``<sample>.xlsx``.
        sample: The sample, named on the About sheet.
        af_columns: The table's AF column names.
        variants: The annotated rows, in table order.
    """
    from openpyxl import Workbook  # deferred: only this step needs it
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    columns = annotated_columns(af_columns)
    workbook = Workbook()
    # A fixed creation time keeps the file the same for the same input.
    workbook.properties.created = datetime(2000, 1, 1)
    workbook.properties.modified = datetime(2000, 1, 1)
    workbook.properties.creator = f"labpipe {__version__}"
    about = workbook.active
    assert about is not None  # a new workbook always has one sheet
    about.title = sheet_name(N_("About"))
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDE4EE")
    about.append([_("labpipe variant table"), sample])
    about.append([_("labpipe version"), __version__])
    about.append([])
    sheets = _sheets(variants)
    variants_word = _("%(count)s variants")
    for tier, title in TIER_TITLES.items():
        count = variants_word % {"count": len(sheets[f"Tier {tier}"])}
        about.append([sheet_name(f"Tier {tier}"), _(title) + f" ({count})"])
    incidental = variants_word % {"count": len(sheets[INCIDENTAL_SHEET])}
    about.append(
        [
            sheet_name(INCIDENTAL_SHEET),
            _("ClinVar P/LP in a gene outside the ordered panel, not part of tier 1")
            + f" ({incidental})",
        ]
    )
    about.append([])
    about.append([_("Each tier sheet has the columns of the TSV variant table.")])
    about.append([_("Only FILTER = PASS calls should be reported without confirmation.")])
    about.append(
        [_("Column 'confidence': calls below the lab's depth or allele-fraction thresholds.")]
    )
    about.append(
        [
            _(
                "Column 'frequency': '%(unknown)s' when the run had no population source"
                " (never '%(rare)s')."
            )
            % {
                "unknown": value_word("frequency", "unknown"),
                "rare": value_word("frequency", "rare"),
            }
        ]
    )
    about.append(
        [
            _(
                "Column 'inheritance': the trio's model for an affected child with both parents"
                " sequenced (de_novo, hom_recessive, comp_het, x_linked, mendelian_error,"
                " inherited, not_assessable); otherwise empty, or homozygous_in_roh."
            )
        ]
    )
    about["A1"].font = bold
    about.column_dimensions["A"].width = 22
    about.column_dimensions["B"].width = 70

    for name, rows in sheets.items():
        sheet = workbook.create_sheet(sheet_name(name))
        sheet.append([column_header(column) for column in columns])
        for cell, column in zip(sheet[1], columns, strict=True):
            cell.font = bold
            cell.fill = header_fill
            if cell.value != column:  # a translated header names its TSV column
                cell.comment = Comment(column, "labpipe")
        for variant in rows:
            sheet.append(_cells(variant, columns))
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = sheet.dimensions
        for index, name in enumerate(columns, start=1):
            letter = sheet.cell(row=1, column=index).column_letter
            header = column_header(name)
            sheet.column_dimensions[letter].width = max(_WIDTHS.get(name, 0), len(header) + 2)

    with atomic_path(out, suffix=".xlsx") as temporary:
        workbook.save(temporary)


def _sheets(variants: Sequence[AnnotatedVariant]) -> dict[str, list[AnnotatedVariant]]:
    """The rows of each sheet, in sheet order: the tiers, then the incidental findings."""
    sheets: dict[str, list[AnnotatedVariant]] = {f"Tier {tier}": [] for tier in TIER_TITLES}
    sheets[INCIDENTAL_SHEET] = []
    for variant in variants:
        incidental = variant.clinical.incidental == INCIDENTAL_MARK
        sheets[INCIDENTAL_SHEET if incidental else f"Tier {variant.clinical.tier}"].append(variant)
    return sheets


# Columns whose values are labpipe's sentences, shown in the current language (the TSV's
# stay English).
_WORDS = {"tier_reason": reason_in_words, "confidence": flag_in_words}
# The words of the table's fixed vocabularies, as a translated workbook shows them.
_VALUE_WORDS = {
    "zygosity": {
        "het": N_("heterozygous"),
        "hom_alt": N_("homozygous"),
        "hemizygous": N_("hemizygous"),
        "hom_ref": N_("homozygous reference"),
        "other_alt": N_("another allele"),
        "partial": N_("partial call"),
        "no_call": N_("no call"),
    },
    "frequency": {
        "unknown": N_("unknown"),
        "absent": N_("absent"),
        "rare": N_("rare"),
        "common": N_("common"),
    },
    "incidental": {INCIDENTAL_MARK: N_("yes")},
}


def value_word(column: str, value: str) -> str:
    """A value of a fixed vocabulary (``het``, ``rare``) as the current language's word; in
    English the TSV's own value, so that the English workbook holds the table's values."""
    word = _VALUE_WORDS.get(column, {}).get(value)
    if word is None or current_language() == ENGLISH:
        return value
    return _(word)


def _cells(variant: AnnotatedVariant, columns: Sequence[str]) -> list[object]:
    """The row's values: numbers as numbers, missing values as empty cells."""
    texts = variant.tsv_fields()
    values: list[object] = []
    for name, text in zip(columns, texts, strict=True):
        if text == "":
            values.append(None)
            continue
        value: object = _WORDS[name](text) if name in _WORDS else value_word(name, text)
        if name in ("pos", "depth", "ref_depth", "alt_depth", "tier", "clinvar_stars"):
            value = int(text)
        elif name in ("qual", "allele_fraction", "max_af") or name.endswith("_af"):
            value = float(text)
        values.append(value)
    return values
