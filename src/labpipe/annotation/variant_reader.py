"""The variant table written from a ``bcftools csq`` VCF: genotype, depths and allele
fraction of every ALT allele the sample carries, and its chosen annotation in HGVS.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from labpipe.annotation.csq_choice import CsqAnnotator, bcsq_entries, entries_for_allele
from labpipe.annotation.transcripts import (
    TranscriptModel,
    load_transcripts,
)
from labpipe.annotation.variant_table import COLUMNS, VariantRow, write_table_atomically
from labpipe.core.errors import InputFormatError

if TYPE_CHECKING:  # imported where used: `labpipe validate` needs neither
    import cyvcf2

# ALT alleles that are not variants of their own: csq skips them, and so do we.
_NOT_A_VARIANT = frozenset({"*", "<*>", "<NON_REF>", "."})


class VariantReader:
    """A sample's VCF, read record by record into variant-table rows.

    Use as a context manager; :meth:`records` yields each VCF record with its
    rows, so a caller can write the record back out with more INFO.

    Args:
        vcf: VCF/BCF, normalised (one ALT per record expected, more handled),
            annotated by ``bcftools csq -l`` when ``gff3`` is given.
        gff3: The GFF3 given to csq; it supplies the canonical tags, strands and
            exon structure for HGVS. None reads the call columns only (and any
            BCSQ the VCF has, without HGVS).
        reference: The indexed FASTA the VCF was called against.
        sample: The sample whose genotype to report; default the VCF's first.
        models: The GFF3's transcripts, when the caller has already read them.

    Raises:
        InputFormatError: The VCF cannot be read, lacks the sample, or lacks
            INFO/BCSQ although a GFF3 was given; the GFF3 is malformed.
    """

    def __init__(
        self,
        vcf: Path,
        gff3: Path | None,
        reference: Path,
        sample: str | None = None,
        models: dict[str, TranscriptModel] | None = None,
    ) -> None:
        self.path = vcf
        if models is None:
            models = load_transcripts(gff3) if gff3 is not None else {}
        import cyvcf2

        self._annotator = CsqAnnotator(models, reference if gff3 is not None else None)
        try:
            self.vcf = cyvcf2.VCF(str(vcf))
        except (OSError, ValueError) as exc:
            self._annotator.close()
            raise InputFormatError(f"{vcf}: cannot read VCF: {exc}") from exc
        try:
            self._has_bcsq = _header_has_info(self.vcf, "BCSQ")
            if gff3 is not None and not self._has_bcsq:
                raise InputFormatError(
                    f"{vcf}: no INFO/BCSQ in the header; the table expects the output of "
                    "bcftools csq"
                )
            samples = list(self.vcf.samples)
            if sample is not None and sample not in samples:
                found = ", ".join(samples) if samples else "none"
                raise InputFormatError(
                    f"{vcf}: sample '{sample}' is not in the VCF (samples: {found}); "
                    "check that the sample sheet ID matches the read group SM"
                )
        except BaseException:
            self.close()
            raise
        self._index = samples.index(sample) if sample is not None else (0 if samples else None)
        self.sample = sample if sample is not None else (samples[0] if samples else "")

    def __enter__(self) -> VariantReader:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the VCF and FASTA."""
        self.vcf.close()
        self._annotator.close()

    def records(self) -> Iterator[tuple[cyvcf2.Variant, list[VariantRow]]]:
        """Each VCF record with one row per ALT allele (``*`` alleles have none).

        Raises:
            InputFormatError: A REF disagrees with the FASTA, or a BCSQ field is
                one csq could not have written; the message names the record.
        """
        annotator = self._annotator if self._has_bcsq else None
        for record in self.vcf:
            yield record, list(_record_rows(self.path, record, self._index, self.sample, annotator))

    def rows(self) -> Iterator[VariantRow]:
        """Every row, in VCF order."""
        for _, rows in self.records():
            yield from rows


def write_variant_table(
    vcf: Path,
    gff3: Path | None,
    reference: Path,
    out_tsv: Path,
    sample: str | None = None,
) -> int:
    """Write the variant table of one sample (call and consequence columns).

    Args:
        vcf, gff3, reference, sample: As for :class:`VariantReader`.
        out_tsv: The table; written to a temporary file beside it, then renamed,
            so a failed run never leaves a half-written table.

    Returns:
        The number of rows written (header excluded).

    Raises:
        InputFormatError: As :class:`VariantReader` and :meth:`VariantReader.records`.
    """
    with VariantReader(vcf, gff3, reference, sample) as reader:
        return write_table_atomically(out_tsv, COLUMNS, (row.tsv_fields() for row in reader.rows()))


def _header_has_info(reader: cyvcf2.VCF, tag: str) -> bool:
    # csq -l declares BCSQ twice (INFO and FORMAT), so ask for the INFO line itself.
    return any(h.type == "INFO" and h["ID"] == tag for h in reader.header_iter())


def _record_rows(
    vcf: Path,
    record: cyvcf2.Variant,
    index: int | None,
    sample: str,
    annotator: CsqAnnotator | None,
) -> Iterator[VariantRow]:
    chrom, pos, ref = record.CHROM, record.POS, record.REF
    alts: list[str] = list(record.ALT)
    genotype = genotype_text(record, index)
    if genotype[0] and not any(a > 0 for a in genotype[1]):
        return  # 0/0 or ./.: the sample carries no ALT here, so this is not its variant
    depth = format_int(record, "DP", index, 0)
    entries = bcsq_entries(record) if annotator is not None else []
    for allele, alt in enumerate(alts, start=1):
        if alt in _NOT_A_VARIANT:
            continue
        ref_depth = format_int(record, "AD", index, 0)
        alt_depth = format_int(record, "AD", index, allele)
        called = (ref_depth or 0) + (alt_depth or 0)
        fraction = (
            alt_depth / called
            if ref_depth is not None and alt_depth is not None and called
            else None
        )
        row = VariantRow(
            sample=sample,
            chrom=chrom,
            pos=pos,
            ref=ref,
            alt=alt,
            filter=";".join(record.FILTERS) or ".",
            qual=record.QUAL,
            genotype=genotype[0],
            zygosity=zygosity_of(genotype[1], allele) if genotype[0] else "",
            depth=depth,
            ref_depth=ref_depth,
            alt_depth=alt_depth,
            allele_fraction=fraction,
            callers=str(record.INFO.get("CALLERS") or ""),
        )
        if annotator is not None:
            mine = entries_for_allele(entries, pos, ref, alts, alt)
            try:
                row = annotator.annotate(row, mine)
            except InputFormatError as exc:
                raise InputFormatError(f"{vcf} {chrom}:{pos} {ref}>{alt}: {exc}") from exc
        yield row


def genotype_text(record: cyvcf2.Variant, index: int | None) -> tuple[str, list[int]]:
    """(GT as text, allele indexes with -1 for missing); empty text without GT."""
    if index is None or "GT" not in record.FORMAT:
        return "", []
    call = record.genotypes[index]
    alleles: list[int] = list(call[:-1])
    separator = "|" if call[-1] and len(alleles) > 1 else "/"
    return separator.join("." if a < 0 else str(a) for a in alleles), alleles


def zygosity_of(alleles: list[int], allele: int) -> str:
    """The zygosity words of :class:`VariantRow` for one ALT allele of a call."""
    called = [a for a in alleles if a >= 0]
    if not called:
        return "no_call"
    copies = called.count(allele)
    if len(called) < len(alleles):
        return "partial"
    if copies == 0:
        return "hom_ref" if all(a == 0 for a in called) else "other_alt"
    if len(alleles) == 1:
        return "hemizygous"
    return "hom_alt" if copies == len(alleles) else "het"


def format_int(record: cyvcf2.Variant, tag: str, index: int | None, position: int) -> int | None:
    """One value of an integer FORMAT field for the sample, None when absent or missing."""
    if index is None or tag not in record.FORMAT:
        return None
    values = record.format(tag)
    if values is None:
        return None
    row = values[index]
    if position >= len(row):
        return None
    value = row[position]
    import numpy as np  # loaded with cyvcf2 already, which gives the values

    if np.issubdtype(type(value), np.floating):  # a caller that declares DP as Float
        return None if np.isnan(value) else round(float(value))
    # htslib's missing and vector-end sentinels are the two most negative int32s.
    return None if value < 0 else int(value)
