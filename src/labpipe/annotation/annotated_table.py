"""The annotated variant table: the variant table's columns, then the clinical ones
(ClinVar, population frequencies, tier, confidence); written and read back for the report.
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from labpipe.annotation.variant_table import (
    COLUMNS,
    VariantRow,
    format_cell,
    write_table_atomically,
)
from labpipe.core.errors import InputFormatError


@dataclass(frozen=True)
class ClinicalAnnotation:
    """The clinical columns ``labpipe annotate`` adds to a row; field order is column order.

    Attributes:
        tier: 1-4 (see :mod:`labpipe.annotation.tiers`).
        tier_reason: Why, e.g. ``rare frameshift in panel gene``.
        in_panel: Names of the sample's panels that hold the gene, joined by ``,``.
        clinvar_significance: ClinVar CLNSIG, e.g. ``Pathogenic/Likely_pathogenic``.
        clinvar_review_status: ClinVar CLNREVSTAT.
        clinvar_stars: Review stars 0-4 for that status.
        clinvar_condition: ClinVar CLNDN (conditions joined by ``|``).
        clinvar_id: ClinVar VariationID.
        max_af: Highest population AF over every source and field; empty when absent.
        population_afs: One value per AF column of the table (``<id>_population_af``,
            ``<id>_global_af`` per source, in config order).
        roh_segment: For a homozygous call inside a reported run of homozygosity,
            the run as ``chrom:start-end``; empty otherwise.
        frequency: ``unknown`` (the run has no population source), ``absent`` (in no
            source), ``rare`` or ``common`` (see :func:`labpipe.annotation.tiers.frequency_class`).
        confidence: Empty, or why the call needs orthogonal confirmation
            (:mod:`labpipe.annotation.confidence`).
        incidental: ``yes`` for an incidental finding (ClinVar P/LP in a gene outside the
            sample's panels, listed apart from tier 1 as in the report), else empty.
        inheritance: The inheritance label (:mod:`labpipe.annotation.inheritance`): for an
            affected member with both parents sequenced, what the trio says; otherwise empty,
            or ``homozygous_in_roh`` for a homozygous candidate inside a run of homozygosity.
        inheritance_note: Why, with each family member's genotype and depth.
    """

    tier: int
    tier_reason: str = ""
    in_panel: str = ""
    clinvar_significance: str = ""
    clinvar_review_status: str = ""
    clinvar_stars: int | None = None
    clinvar_condition: str = ""
    clinvar_id: str = ""
    max_af: float | None = None
    population_afs: tuple[float | None, ...] = ()
    roh_segment: str = ""
    frequency: str = ""
    confidence: str = ""
    incidental: str = ""
    inheritance: str = ""
    inheritance_note: str = ""


# Columns before and after the per-source AF columns, which sit after max_af.
_CLINICAL_TAIL: tuple[str, ...] = (
    "roh_segment",
    "frequency",
    "confidence",
    "incidental",
    "inheritance",
    "inheritance_note",
)
_CLINICAL_HEAD: tuple[str, ...] = tuple(
    f.name
    for f in fields(ClinicalAnnotation)
    if f.name != "population_afs" and f.name not in _CLINICAL_TAIL
)


def annotated_columns(af_columns: Sequence[str]) -> tuple[str, ...]:
    """Columns of the annotated table: the call and csq columns, then the clinical ones."""
    return (*COLUMNS, *_CLINICAL_HEAD, *af_columns, *_CLINICAL_TAIL)


@dataclass(frozen=True)
class AnnotatedVariant:
    """One row of the annotated variant table."""

    row: VariantRow
    clinical: ClinicalAnnotation

    def tsv_fields(self) -> list[str]:
        """The row as text in :func:`annotated_columns` order."""
        c = self.clinical
        head = [format_cell(getattr(c, name)) for name in _CLINICAL_HEAD]
        afs = [format_cell(af) for af in c.population_afs]
        tail = [format_cell(getattr(c, name)) for name in _CLINICAL_TAIL]
        return [*self.row.tsv_fields(), *head, *afs, *tail]


@dataclass(frozen=True)
class AnnotatedTable:
    """An annotated variant table as read back.

    Attributes:
        af_columns: Names of its per-source AF columns.
        variants: Its rows, in file order.
    """

    af_columns: tuple[str, ...]
    variants: list[AnnotatedVariant]


def write_annotated_table(
    out_tsv: Path, af_columns: Sequence[str], variants: Iterable[AnnotatedVariant]
) -> int:
    """Write the annotated variant table atomically.

    Returns:
        The number of rows written.
    """
    return write_table_atomically(
        out_tsv, annotated_columns(af_columns), (v.tsv_fields() for v in variants)
    )


def read_annotated_table(path: Path) -> AnnotatedTable:
    """Read a table written by :func:`write_annotated_table`.

    Raises:
        InputFormatError: Naming the line and column of anything that does not parse.
    """
    try:
        with open(path, newline="") as handle:
            lines = handle.readlines()
    except OSError as exc:
        raise InputFormatError(f"{path}: cannot read the variant table: {exc}") from exc
    header = (lines[0] if lines else "").rstrip("\r\n").split("\t")
    fixed = len(COLUMNS) + len(_CLINICAL_HEAD)
    # Tables written before the later tail columns (frequency, confidence, incidental,
    # inheritance) end earlier in the tail.
    tail = next(
        (
            _CLINICAL_TAIL[:n]
            for n in range(len(_CLINICAL_TAIL), 0, -1)
            if header[-1:] == [_CLINICAL_TAIL[n - 1]]
        ),
        _CLINICAL_TAIL,
    )
    if (
        tuple(header[: len(COLUMNS)]) != COLUMNS
        or tuple(header[len(COLUMNS) : fixed]) != _CLINICAL_HEAD
        or tuple(header[-len(tail) :]) != tail
    ):
        raise InputFormatError(
            f"{path} line 1: not an annotated variant table (expected the columns "
            f"{', '.join(annotated_columns(['<af columns>']))})"
        )
    af_columns = tuple(header[fixed : len(header) - len(tail)])
    variants = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cells = line.rstrip("\r\n").split("\t")
        if len(cells) != len(header):
            raise InputFormatError(
                f"{path} line {number}: {len(cells)} columns, expected {len(header)}"
            )
        try:
            row = VariantRow(**_parsed(VariantRow, COLUMNS, cells[: len(COLUMNS)]))
            head = _parsed(ClinicalAnnotation, _CLINICAL_HEAD, cells[len(COLUMNS) : fixed])
            afs = tuple(
                float(cell) if cell else None for cell in cells[fixed : fixed + len(af_columns)]
            )
        except ValueError as exc:
            raise InputFormatError(f"{path} line {number}: {exc}") from None
        ends: dict[str, Any] = dict(zip(tail, cells[len(header) - len(tail) :], strict=True))
        clinical = ClinicalAnnotation(**head, population_afs=afs, **ends)
        variants.append(AnnotatedVariant(row, clinical))
    return AnnotatedTable(af_columns, variants)


@functools.cache
def _field_types(kind: type) -> dict[str, Any]:
    """A dataclass's resolved field types (resolving them costs more than parsing a row)."""
    return typing.get_type_hints(kind)


def _parsed(kind: type, names: Sequence[str], cells: Sequence[str]) -> dict[str, Any]:
    """Cells converted to the dataclass field types (``int | None`` etc.)."""
    hints = _field_types(kind)
    values: dict[str, Any] = {}
    for name, cell in zip(names, cells, strict=True):
        hint = hints[name]
        optional = isinstance(hint, types.UnionType)
        base = next(a for a in typing.get_args(hint) if a is not type(None)) if optional else hint
        if cell == "" and (optional or base is not str):
            values[name] = None
        elif base is int:
            try:
                values[name] = int(cell)
            except ValueError:
                raise ValueError(f"{name} is {cell!r}, expected a whole number") from None
        elif base is float:
            try:
                values[name] = float(cell)
            except ValueError:
                raise ValueError(f"{name} is {cell!r}, expected a number") from None
        else:
            values[name] = cell
    return values
