"""The per-sample variant table: one row per ALT allele of a ``bcftools csq`` VCF.

``results/variants/<sample>.tsv`` is what a lab scientist filters and what the
report is built from, so every row carries the call (genotype, depths, allele
fraction) and one chosen annotation in HGVS, with the other transcripts'
consequences kept compactly beside it.

This module holds the row (:class:`VariantRow`, :data:`COLUMNS`) and how cells are written;
:mod:`labpipe.annotation.variant_reader` reads the VCF into rows, choosing each row's
annotation with :mod:`labpipe.annotation.csq_choice`; :mod:`labpipe.annotation.annotated_table`
adds the clinical columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

from labpipe.core.atomic import atomic_path


@dataclass(frozen=True)
class VariantRow:
    """One row of the variant table; field order is the column order.

    Attributes:
        sample: Sample the genotype columns describe.
        chrom, pos, ref, alt: The VCF record, one ALT allele per row.
        filter: ``PASS``, soft filters joined by ``;`` (``LowQual;LowDepth``), or ``.``.
        qual: VCF QUAL, None when missing.
        genotype: The sample's GT as written (``0/1``, ``1|1``, ``./.``); empty without GT.
        zygosity: ``het``, ``hom_alt``, ``hemizygous`` (haploid call of this ALT), ``hom_ref``,
            ``other_alt`` (carries another ALT only), ``partial`` (some alleles missing),
            ``no_call``, or empty without GT.
        depth: FORMAT/DP.
        ref_depth, alt_depth: FORMAT/AD for REF and this ALT.
        allele_fraction: alt_depth / (ref_depth + alt_depth), written with 3 decimals.
        gene, transcript, strand, biotype, consequence: The chosen csq annotation
            (``consequence`` as csq spells it, e.g. ``missense``, ``5_prime_utr``).
        hgvs_c: c. (n. on non-coding transcripts), 3'-shifted, e.g. ``c.26del``.
        hgvs_p: p. in three-letter code, e.g. ``p.Lys9del``.
        protein_change: csq's raw amino-acid field, e.g. ``7EK>7E``.
        other_consequences: The other transcripts' annotations, best first, as
            ``gene:transcript:consequence`` joined by ``,``; for csq's transcript-less
            ``intron``/``non_coding`` entries, the transcript the table resolved.
        callers: For an indel with freebayes' second opinion (INFO/CALLERS):
            ``bcftools``, ``freebayes`` or ``bcftools+freebayes``; else empty.
    """

    sample: str
    chrom: str
    pos: int
    ref: str
    alt: str
    filter: str
    qual: float | None
    genotype: str
    zygosity: str
    depth: int | None
    ref_depth: int | None
    alt_depth: int | None
    allele_fraction: float | None
    gene: str = ""
    transcript: str = ""
    strand: str = ""
    biotype: str = ""
    consequence: str = ""
    hgvs_c: str = ""
    hgvs_p: str = ""
    protein_change: str = ""
    other_consequences: str = ""
    callers: str = ""

    def tsv_fields(self) -> list[str]:
        """The row as text, in :data:`COLUMNS` order; missing values are empty."""
        values: list[str] = []
        for column in COLUMNS:
            value = getattr(self, column)
            if value is None:
                values.append("")
            elif column == "allele_fraction":
                values.append(f"{value:.3f}")
            elif column == "qual":
                values.append(_format_qual(value))
            else:
                values.append(str(value))
        return values


COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(VariantRow))


def format_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def write_table_atomically(
    out_tsv: Path, columns: Sequence[str], lines: Iterable[Sequence[str]]
) -> int:
    count = 0
    with atomic_path(out_tsv) as temporary, open(temporary, "w") as handle:
        handle.write("\t".join(columns) + "\n")
        for line in lines:
            handle.write("\t".join(line) + "\n")
            count += 1
    return count


def _format_qual(qual: float) -> str:
    """QUAL as the VCF writes it: at most 3 decimals, no trailing zeros."""
    text = f"{round(qual, 3):f}".rstrip("0").rstrip(".")
    return text or "0"


def same_contig(a: str, b: str) -> bool:
    return a.removeprefix("chr") == b.removeprefix("chr")
