"""The per-sample variant table: one row per ALT allele of a ``bcftools csq`` VCF.

``results/variants/<sample>.tsv`` is what a lab scientist filters and what the
report is built from, so every row carries the call (genotype, depths, allele
fraction) and one chosen annotation in HGVS, with the other transcripts'
consequences kept compactly beside it.

Choosing the annotation. csq (run with ``-l``) writes every transcript's
consequence into INFO/BCSQ as ``consequence|gene|transcript|biotype|strand|
amino_acid_change|dna_change``. We report the transcript tagged
``MANE_Select``, else ``Ensembl_canonical``, else the one with the most severe
consequence, then the longest CDS. Two csq habits shape this code:

* It can print one transcript twice for one allele, e.g.
  ``splice_region|G|T1|protein_coding`` and ``stop_gained|G|T1|...|6Q>6*|81C>T``;
  such entries are merged into ``stop_gained&splice_region``.
* ``intron`` and ``non_coding`` entries carry no transcript ID (and csq merges
  all transcripts of one biotype into one entry). The table names the best
  transcript of that gene that has the variant in an intron (or, for
  non_coding, that overlaps it), so intronic variants still get ``c.88+5G>A``.
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labpipe.annotation.hgvs import ProteinReference, hgvs_c, hgvs_p, protein_reference
from labpipe.annotation.transcripts import (
    CANONICAL_TAGS,
    TranscriptModel,
    load_transcripts,
    transcripts_by_gene,
)
from labpipe.core.atomic import atomic_path
from labpipe.core.errors import InputFormatError

if TYPE_CHECKING:  # imported where used: `labpipe validate` needs neither
    import cyvcf2
    import pysam

# csq's consequence terms, most severe first (the order csq.c documents).
SEVERITY: tuple[str, ...] = (
    "splice_acceptor", "splice_donor", "stop_gained", "frameshift", "stop_lost", "start_lost",
    "inframe_altering", "inframe_insertion", "inframe_deletion", "missense", "splice_region",
    "synonymous", "stop_retained", "start_retained", "coding_sequence", "feature_elongation",
    "non_coding", "5_prime_utr", "3_prime_utr", "intron", "NMD_transcript",
)  # fmt: skip
_SEVERITY_RANK = {term: rank for rank, term in enumerate(SEVERITY)}

# GFF3 biotypes that csq prints under another name.
_CSQ_BIOTYPE = {"nonsense_mediated_decay": "NMD"}

# ALT alleles that are not variants of their own: csq skips them, and so do we.
_NOT_A_VARIANT = frozenset({"*", "<*>", "<NON_REF>", "."})


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


@dataclass(frozen=True)
class CsqEntry:
    """One comma-separated item of INFO/BCSQ.

    Attributes:
        consequence: ``missense``, ``stop_gained&inframe_insertion``, or ``@123``
            (csq points at the record that carries a compound consequence).
        gene, transcript, biotype, strand: As csq prints them; transcript is empty
            for ``intron`` and ``non_coding``.
        amino_acid_change: E.g. ``42R>42W``; empty when csq gives none.
        dna_change: E.g. ``84GA>G``; compound changes are joined by ``+``.
    """

    consequence: str
    gene: str = ""
    transcript: str = ""
    biotype: str = ""
    strand: str = ""
    amino_acid_change: str = ""
    dna_change: str = ""

    @classmethod
    def parse(cls, text: str) -> CsqEntry:
        """Split one BCSQ item; missing trailing fields are empty."""
        parts = text.split("|")[:7]
        parts += [""] * (7 - len(parts))
        return cls(*parts)

    @property
    def terms(self) -> list[str]:
        """The consequence terms without csq's leading ``*`` (downstream of a new stop)."""
        return self.consequence.lstrip("*").split("&")

    @property
    def severity(self) -> int:
        """Rank of the most severe term; lower is more severe, unknown terms last."""
        return min(
            (_SEVERITY_RANK.get(t, len(SEVERITY)) for t in self.terms), default=len(SEVERITY)
        )


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


# Columns before and after the per-source AF columns, which sit after max_af.
_CLINICAL_TAIL: tuple[str, ...] = ("roh_segment", "frequency", "confidence", "incidental")
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
        head = [_format_value(getattr(c, name)) for name in _CLINICAL_HEAD]
        afs = [_format_value(af) for af in c.population_afs]
        tail = [_format_value(getattr(c, name)) for name in _CLINICAL_TAIL]
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


def _format_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def write_annotated_table(
    out_tsv: Path, af_columns: Sequence[str], variants: Iterable[AnnotatedVariant]
) -> int:
    """Write the annotated variant table atomically.

    Returns:
        The number of rows written.
    """
    return _write_atomically(
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
    # Tables written before the later tail columns (frequency, confidence, incidental)
    # end earlier in the tail.
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

        self._annotator = _Annotator(models, reference if gff3 is not None else None)
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
        return _write_atomically(out_tsv, COLUMNS, (row.tsv_fields() for row in reader.rows()))


def _header_has_info(reader: cyvcf2.VCF, tag: str) -> bool:
    # csq -l declares BCSQ twice (INFO and FORMAT), so ask for the INFO line itself.
    return any(h.type == "INFO" and h["ID"] == tag for h in reader.header_iter())


def _write_atomically(out_tsv: Path, columns: Sequence[str], lines: Iterable[Sequence[str]]) -> int:
    count = 0
    with atomic_path(out_tsv) as temporary, open(temporary, "w") as handle:
        handle.write("\t".join(columns) + "\n")
        for line in lines:
            handle.write("\t".join(line) + "\n")
            count += 1
    return count


def _record_rows(
    vcf: Path,
    record: cyvcf2.Variant,
    index: int | None,
    sample: str,
    annotator: _Annotator | None,
) -> Iterator[VariantRow]:
    chrom, pos, ref = record.CHROM, record.POS, record.REF
    alts: list[str] = list(record.ALT)
    genotype = _genotype(record, index)
    if genotype[0] and not any(a > 0 for a in genotype[1]):
        return  # 0/0 or ./.: the sample carries no ALT here, so this is not its variant
    depth = _format_int(record, "DP", index, 0)
    entries = _bcsq_entries(record) if annotator is not None else []
    for allele, alt in enumerate(alts, start=1):
        if alt in _NOT_A_VARIANT:
            continue
        ref_depth = _format_int(record, "AD", index, 0)
        alt_depth = _format_int(record, "AD", index, allele)
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
            zygosity=_zygosity(genotype[1], allele) if genotype[0] else "",
            depth=depth,
            ref_depth=ref_depth,
            alt_depth=alt_depth,
            allele_fraction=fraction,
            callers=str(record.INFO.get("CALLERS") or ""),
        )
        if annotator is not None:
            mine = _entries_for_allele(entries, pos, ref, alts, alt)
            try:
                row = annotator.annotate(row, mine)
            except InputFormatError as exc:
                raise InputFormatError(f"{vcf} {chrom}:{pos} {ref}>{alt}: {exc}") from exc
        yield row


def _bcsq_entries(record: cyvcf2.Variant) -> list[CsqEntry]:
    value = record.INFO.get("BCSQ")
    if value is None:
        return []
    text = value if isinstance(value, str) else ",".join(value)
    return [CsqEntry.parse(item) for item in text.split(",") if item]


def _entries_for_allele(
    entries: list[CsqEntry], pos: int, ref: str, alts: list[str], alt: str
) -> list[CsqEntry]:
    """The entries describing one ALT: csq's DNA field (``84GA>G``) names the allele.

    Entries without a DNA field (UTR, intron, splice) cannot be told apart on a
    multi-allelic record and go to every allele; records split by ``bcftools norm
    -m -any`` never need this.
    """
    labels = {f"{pos}{ref}>{a}": a for a in alts}
    mine = []
    for entry in entries:
        if entry.consequence.startswith("@"):
            continue  # the consequence is reported at another record
        named = {labels[p] for p in entry.dna_change.split("+") if p in labels}
        if not named or alt in named:
            mine.append(entry)
    return mine


def _genotype(record: cyvcf2.Variant, index: int | None) -> tuple[str, list[int]]:
    """(GT as text, allele indexes with -1 for missing); empty text without GT."""
    if index is None or "GT" not in record.FORMAT:
        return "", []
    call = record.genotypes[index]
    alleles: list[int] = list(call[:-1])
    separator = "|" if call[-1] and len(alleles) > 1 else "/"
    return separator.join("." if a < 0 else str(a) for a in alleles), alleles


def _zygosity(alleles: list[int], allele: int) -> str:
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


def _format_int(record: cyvcf2.Variant, tag: str, index: int | None, position: int) -> int | None:
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


def _format_qual(qual: float) -> str:
    """QUAL as the VCF writes it: at most 3 decimals, no trailing zeros."""
    text = f"{round(qual, 3):f}".rstrip("0").rstrip(".")
    return text or "0"


def _same_contig(a: str, b: str) -> bool:
    return a.removeprefix("chr") == b.removeprefix("chr")


class _Annotator:
    """Chooses one csq entry per allele and writes it in HGVS."""

    def __init__(self, models: dict[str, TranscriptModel], reference: Path | None) -> None:
        self._models = models
        self._by_gene = transcripts_by_gene(models)
        self._reference = reference
        self._fasta: pysam.FastaFile | None = None
        self._proteins: dict[str, ProteinReference | None] = {}

    def close(self) -> None:
        if self._fasta is not None:
            self._fasta.close()

    def _open_fasta(self) -> pysam.FastaFile:
        import pysam

        if self._fasta is None:
            assert self._reference is not None  # only called when a GFF3 gave models
            try:
                self._fasta = pysam.FastaFile(str(self._reference))
            except (OSError, ValueError) as exc:
                raise InputFormatError(f"{self._reference}: cannot read FASTA: {exc}") from exc
        return self._fasta

    def annotate(self, row: VariantRow, entries: list[CsqEntry]) -> VariantRow:
        groups = [(self._model_for(group, row), group) for group in _merge_by_transcript(entries)]
        if not groups:
            return row
        groups.sort(key=lambda pair: _preference(pair[0], pair[1]))
        model, chosen = groups[0]
        others = ",".join(
            f"{entry.gene}:{entry.transcript or (other.transcript_id if other else '')}:"
            f"{entry.consequence}"
            for other, entry in groups[1:]
        )
        change_c = change_p = ""
        if model is not None:
            fasta = self._open_fasta()
            change_c = hgvs_c(model, fasta, row.pos, row.ref, row.alt, chrom=row.chrom)
            if model.transcript_id not in self._proteins:
                self._proteins[model.transcript_id] = protein_reference(model, fasta, row.chrom)
            protein = self._proteins[model.transcript_id]
            change_p = hgvs_p(chosen.consequence, chosen.amino_acid_change, protein)
        else:
            change_p = hgvs_p(chosen.consequence, chosen.amino_acid_change)
        return replace(
            row,
            gene=chosen.gene,
            transcript=chosen.transcript or (model.transcript_id if model else ""),
            strand=model.strand if model is not None else chosen.strand,
            biotype=chosen.biotype,
            consequence=chosen.consequence,
            hgvs_c=change_c,
            hgvs_p=change_p,
            protein_change=chosen.amino_acid_change,
            other_consequences=others,
        )

    def _model_for(self, entry: CsqEntry, row: VariantRow) -> TranscriptModel | None:
        if entry.transcript:
            return self._models.get(entry.transcript)
        # intron / non_coding: csq names only the gene; pick the transcript it means.
        intronic = "intron" in entry.terms
        candidates = [
            m
            for m in self._by_gene.get(entry.gene, [])
            if _same_contig(m.chrom, row.chrom)
            and m.contains(row.pos)
            and (not intronic or not any(e.start <= row.pos <= e.end for e in m.exons))
        ]
        same_biotype = [
            m for m in candidates if _CSQ_BIOTYPE.get(m.biotype, m.biotype) == entry.biotype
        ]
        if same_biotype:
            candidates = same_biotype
        elif entry.biotype == "protein_coding" and any(m.is_coding for m in candidates):
            candidates = [m for m in candidates if m.is_coding]
        if not candidates:
            return None
        return min(candidates, key=_transcript_preference)


def _transcript_preference(model: TranscriptModel) -> tuple[int, int, int, str]:
    return (model.canonical_rank, -model.cds_length, -model.length, model.transcript_id)


def _preference(model: TranscriptModel | None, entry: CsqEntry) -> tuple[int, int, int, int, str]:
    """Sort key: canonical tags, then consequence severity, then CDS and transcript length."""
    if model is None:
        # After every transcript the GFF3 knows (whose ranks run 0..len(CANONICAL_TAGS)).
        return (len(CANONICAL_TAGS) + 1, entry.severity, 0, 0, entry.transcript)
    rank, cds, length, tid = _transcript_preference(model)
    return (rank, entry.severity, cds, length, tid)


def _merge_by_transcript(entries: list[CsqEntry]) -> list[CsqEntry]:
    """One entry per (gene, transcript, biotype); consequences joined most severe first."""
    groups: dict[tuple[str, str, str], list[CsqEntry]] = {}
    for entry in entries:
        groups.setdefault((entry.gene, entry.transcript, entry.biotype), []).append(entry)
    merged = []
    for members in groups.values():
        if len(members) == 1:
            merged.append(members[0])
            continue
        members = sorted(members, key=lambda e: e.severity)
        terms: list[str] = []
        for member in members:
            terms += [t for t in member.terms if t not in terms]
        upstream_stop = "*" if any(m.consequence.startswith("*") for m in members) else ""
        carrier = next((m for m in members if m.amino_acid_change or m.dna_change), members[0])
        merged.append(
            CsqEntry(
                consequence=upstream_stop + "&".join(terms),
                gene=members[0].gene,
                transcript=members[0].transcript,
                biotype=members[0].biotype,
                strand=next((m.strand for m in members if m.strand), ""),
                amino_acid_change=carrier.amino_acid_change,
                dna_change=carrier.dna_change,
            )
        )
    return merged
