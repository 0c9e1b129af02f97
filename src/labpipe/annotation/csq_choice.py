"""The one annotation a variant table row reports, chosen from ``bcftools csq``'s INFO/BCSQ.

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

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from labpipe.annotation.hgvs import hgvs_c
from labpipe.annotation.hgvs_protein import ProteinReference, hgvs_p, protein_reference
from labpipe.annotation.transcripts import (
    CANONICAL_TAGS,
    TranscriptModel,
    transcripts_by_gene,
)
from labpipe.annotation.variant_table import VariantRow, same_contig
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


def bcsq_entries(record: cyvcf2.Variant) -> list[CsqEntry]:
    value = record.INFO.get("BCSQ")
    if value is None:
        return []
    text = value if isinstance(value, str) else ",".join(value)
    return [CsqEntry.parse(item) for item in text.split(",") if item]


def entries_for_allele(
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


class CsqAnnotator:
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
            if same_contig(m.chrom, row.chrom)
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
