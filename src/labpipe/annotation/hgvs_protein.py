"""HGVS p. for the variant table, from ``bcftools csq``'s amino-acid change.

csq prints the protein change in its own one-letter form (``9KL>9KKL``); a lab report
needs ``p.Lys9dup``. The 3' rule holds for proteins too: ``p.Lys8del`` in ``Lys8Lys9`` is written
``p.Lys9del``. csq's window covers only the codons the variant touches, so
shifting uses the reference protein translated from the transcript model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from labpipe.annotation.hgvs import fasta_contig
from labpipe.annotation.transcripts import TranscriptModel
from labpipe.core.errors import InputFormatError
from labpipe.core.sequence import reverse_complement, three_letter, translate

if TYPE_CHECKING:  # callers open the FASTA: `labpipe validate` imports this without pysam
    import pysam

# Consequence terms (csq spelling) that change the protein; without an amino-acid
# field from csq their protein effect is unknown, written p.?.
PROTEIN_ALTERING_TERMS = frozenset(
    {
        "splice_acceptor", "splice_donor", "stop_gained", "frameshift", "stop_lost",
        "start_lost", "inframe_altering", "inframe_insertion", "inframe_deletion",
        "missense", "coding_sequence", "feature_elongation",
    }
)  # fmt: skip

# csq's amino-acid field: "42R>42W", "10L", "7EKK..21>7EKS..19" (with --trim-protein-seq).
_AA_CHANGE = re.compile(
    r"^(?P<rpos>\d+)(?P<ref>[A-Z*]+)(?:\.\.\d+)?(?:>(?P<apos>\d+)(?P<alt>[A-Z*]*)(?:\.\.\d+)?)?$"
)


@dataclass(frozen=True)
class ProteinReference:
    """A transcript's reference protein, for placing protein changes by the 3' rule.

    Attributes:
        sequence: Translation of the whole CDS, one letter per codon, the stop as ``*``.
        extension: Translation of the in-frame codons after the stop codon (the
            3'UTR), up to and including the next stop if there is one; counts the
            new C-terminus of a stop-loss (``extTer5``).
    """

    sequence: str
    extension: str = ""


def protein_reference(
    model: TranscriptModel, fasta: pysam.FastaFile, chrom: str | None = None
) -> ProteinReference | None:
    """Translate a transcript's CDS from the reference.

    Args:
        model: The transcript.
        fasta: The reference FASTA.
        chrom: Sequence name when spelt differently from the GFF3's.

    Returns:
        The protein, or None for a non-coding transcript.
    """
    if not model.is_coding:
        return None
    contig = fasta_contig(fasta, chrom or model.chrom)

    def spliced(segments: list[tuple[int, int]]) -> str:
        parts = [fasta.fetch(contig, start - 1, end).upper() for start, end in segments]
        joined = "".join(parts)
        return joined if model.strand == "+" else reverse_complement(joined)

    cds = spliced([(s.start, s.end) for s in model.cds])
    # A 5'-incomplete CDS starts mid-codon: its phase says how many bases to skip.
    cds = cds[model.cds_5_to_3()[0].phase :]
    if model.strand == "+":
        after = [
            (max(e.start, model.cds_end + 1), e.end) for e in model.exons if e.end > model.cds_end
        ]
    else:
        after = [
            (e.start, min(e.end, model.cds_start - 1))
            for e in model.exons
            if e.start < model.cds_start
        ]
    extension = ""
    if len(cds) % 3 == 0:
        tail = translate(spliced(after))
        extension = tail[: tail.index("*") + 1] if "*" in tail else tail
    return ProteinReference(translate(cds), extension)


@dataclass(frozen=True)
class _AminoAcidChange:
    """csq's amino-acid field, parsed: reference residues from ``position``, then the variant's."""

    position: int
    ref: str
    alt: str | None  # None when csq printed no '>' (synonymous, stop/start retained)
    truncated: bool  # csq --trim-protein-seq shortened a side


def _parse_amino_acid_change(text: str) -> _AminoAcidChange:
    match = _AA_CHANGE.match(text)
    if match is None:
        raise InputFormatError(f"cannot read the bcftools csq amino-acid change '{text}'")
    return _AminoAcidChange(int(match["rpos"]), match["ref"], match["alt"], truncated=".." in text)


def hgvs_p(
    consequence: str, amino_acid_change: str, protein: ProteinReference | None = None
) -> str:
    """HGVS p. (three-letter codes) from one ``bcftools csq`` consequence.

    Args:
        consequence: csq's consequence, e.g. ``missense`` or ``stop_gained&inframe_insertion``.
        amino_acid_change: csq's amino-acid field (``42R>42W``, ``10L``), possibly empty.
        protein: The transcript's reference protein; when given, deletions,
            insertions and duplications in repeats move to their most C-terminal
            position and a stop-loss gets its new length.

    Returns:
        ``p.Arg42Trp``, ``p.Leu10=``, ``p.Gln17Ter``, ``p.Lys20fs`` (``p.Lys20Ter``
        when the first changed residue is a stop), ``p.Glu5del``,
        ``p.Glu5_Lys6del``, ``p.Lys5_Glu6insGlnSer``, ``p.Lys5dup``,
        ``p.Leu10_Gly11delinsArg``, ``p.Ter22GlnextTer5``, ``p.Met1?``;
        ``p.?`` when the consequence alters the protein but csq gave no
        amino-acid change (splice sites, indels across an exon edge); empty
        when the protein is untouched (UTR, intron, splice region only).

    Raises:
        InputFormatError: The amino-acid field is not in csq's format.
    """
    terms = set(consequence.lstrip("*").split("&"))
    if "start_lost" in terms:
        return "p.Met1?"
    if not amino_acid_change:
        return "p.?" if terms & PROTEIN_ALTERING_TERMS else ""
    change = _parse_amino_acid_change(amino_acid_change)
    try:
        if change.alt is None:
            return _unchanged(change)
        if "frameshift" in terms:
            return _frameshift(change)
        if change.truncated:
            return "p.?"
        return _inframe(change, _context(change, protein))
    except ValueError as exc:
        raise InputFormatError(
            f"cannot read the bcftools csq amino-acid change '{amino_acid_change}': {exc}"
        ) from None


def _unchanged(change: _AminoAcidChange) -> str:
    first = f"{three_letter(change.ref[0])}{change.position}"
    if len(change.ref) == 1:
        return f"p.{first}="
    last = change.position + len(change.ref) - 1
    return f"p.{first}_{three_letter(change.ref[-1])}{last}="


def _frameshift(change: _AminoAcidChange) -> str:
    ref, alt = change.ref, change.alt or ""
    k = next((i for i, (a, b) in enumerate(zip(ref, alt, strict=False)) if a != b), len(alt))
    if k >= len(ref):
        return "p.?"
    residue = f"{three_letter(ref[k])}{change.position + k}"
    # A frameshift whose first changed residue is a stop ends the protein right there.
    if k < len(alt) and alt[k] == "*":
        return f"p.{residue}Ter"
    return f"p.{residue}fs"


class _Residues:
    """Reference residues by 1-based position: the whole protein, else csq's window."""

    def __init__(self, change: _AminoAcidChange, protein: ProteinReference | None) -> None:
        self.protein = protein
        self._window = {change.position + i: aa for i, aa in enumerate(change.ref)}

    def at(self, position: int) -> str | None:
        if self.protein is not None:
            if 1 <= position <= len(self.protein.sequence):
                return self.protein.sequence[position - 1]
            return None
        return self._window.get(position)


def _context(change: _AminoAcidChange, protein: ProteinReference | None) -> _Residues:
    """Use the reference protein only if it agrees with csq's reference residues."""
    if protein is not None:
        start = change.position - 1
        if protein.sequence[start : start + len(change.ref)] != change.ref:
            protein = None  # GFF3 or FASTA differ from what csq used: trust csq alone
    return _Residues(change, protein)


def _named(residues: _Residues, position: int) -> str:
    aa = residues.at(position)
    if aa is None:
        raise LookupError(position)
    return f"{three_letter(aa)}{position}"


def _range(residues: _Residues, first: int, last: int) -> str:
    if first == last:
        return _named(residues, first)
    return f"{_named(residues, first)}_{_named(residues, last)}"


def _inframe(change: _AminoAcidChange, residues: _Residues) -> str:
    ref, alt, pos = change.ref, change.alt or "", change.position
    while ref and alt and ref[0] == alt[0]:
        ref, alt, pos = ref[1:], alt[1:], pos + 1
    while ref and alt and ref[-1] == alt[-1]:
        ref, alt = ref[:-1], alt[:-1]
    try:
        if not ref and not alt:
            return _unchanged(change)
        if ref[:1] == "*":
            return _stop_loss(pos, alt, residues)
        if alt[:1] == "*":
            return f"p.{_named(residues, pos)}Ter"
        if len(ref) == 1 and len(alt) == 1:
            return f"p.{_named(residues, pos)}{three_letter(alt)}"
        if not alt:
            return _deletion(pos, ref, residues)
        if not ref:
            return _insertion(pos, alt, residues)
        return f"p.{_range(residues, pos, pos + len(ref) - 1)}delins{three_letter(alt)}"
    except LookupError:
        # A flanking residue lies outside csq's window and no protein was given:
        # describe the whole window, which HGVS allows though it is not the shortest form.
        return (
            f"p.{_range(residues, change.position, change.position + len(change.ref) - 1)}"
            f"delins{three_letter(change.alt or '')}"
        )


def _stop_loss(pos: int, alt: str, residues: _Residues) -> str:
    new = three_letter(alt[0]) if alt else ""
    tail = "?"
    protein = residues.protein
    if protein is not None and len(alt) == 1 and "*" in protein.extension:
        tail = str(protein.extension.index("*") + 1)
    return f"p.Ter{pos}{new}extTer{tail}"


def _deletion(pos: int, deleted: str, residues: _Residues) -> str:
    size = len(deleted)
    if residues.protein is not None:
        while (after := residues.at(pos + size)) is not None and after == residues.at(pos):
            pos += 1
    return f"p.{_range(residues, pos, pos + size - 1)}del"


def _insertion(pos: int, inserted: str, residues: _Residues) -> str:
    """Insertion between residues ``pos - 1`` and ``pos``."""
    size = len(inserted)
    if residues.protein is not None:
        while (after := residues.at(pos)) is not None and after == inserted[0]:
            inserted, pos = inserted[1:] + inserted[0], pos + 1
    before = "".join(residues.at(p) or "" for p in range(pos - size, pos))
    if before == inserted:
        return f"p.{_range(residues, pos - size, pos - 1)}dup"
    return f"p.{_named(residues, pos - 1)}_{_named(residues, pos)}ins{three_letter(inserted)}"
