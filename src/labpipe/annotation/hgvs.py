"""HGVS notation for the variant table: c./n. from the genome, p. from ``bcftools csq``.

``bcftools csq`` names consequences but prints the DNA change genomically
(``84GA>G``) and the protein change in its own one-letter form (``9KL>9KKL``).
A lab report needs HGVS: ``c.26del`` and ``p.Lys9dup``. Two rules make this
more than a format change:

* The 3' rule. HGVS places an indel in a repeat at its most 3' position in
  *transcript* orientation, while our VCFs are left-aligned genomically. On a
  plus-strand gene every indel in a repeat must be shifted right; on a minus
  strand gene the left-aligned position already is the 3'-most one. We shift in
  the genome (introns included), never past the transcript's ends. An
  insertion that, once shifted, copies the bases just 5' of it is a ``dup``.
* The same rule for proteins: ``p.Lys8del`` in ``Lys8Lys9`` is written
  ``p.Lys9del``. csq's window covers only the codons the variant touches, so
  shifting uses the reference protein translated from the transcript model.

Positions follow HGVS: ``c.1`` is the A of the start codon, ``c.-1`` the base
before it, ``c.*1`` the base after the stop codon, ``c.88+1``/``c.89-1`` intron
bases counted from the nearer exon (the middle base of an odd-length intron
counts from the 5' exon). Non-coding transcripts get ``n.`` positions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from labpipe.annotation.transcripts import Exon, TranscriptModel
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
# Bases fetched per read from the FASTA while shifting; any repeat longer than
# this just costs another read.
_CHUNK = 512


def fasta_contig(fasta: pysam.FastaFile, chrom: str) -> str:
    """The FASTA's name for ``chrom``, tolerating a ``chr`` prefix on one side only.

    bcftools csq matches ``chr1`` with ``1`` this way, so a table built from its
    output must too.

    Raises:
        InputFormatError: Neither name is in the FASTA.
    """
    if chrom in fasta.references:
        return chrom
    other = chrom[3:] if chrom.startswith("chr") else f"chr{chrom}"
    if other in fasta.references:
        return other
    raise InputFormatError(f"{fasta.filename!r}: sequence '{chrom}' is not in the reference FASTA")


class _Sequence:
    """Random access to one contig, 1-based, read in chunks and kept."""

    def __init__(self, fasta: pysam.FastaFile, contig: str) -> None:
        self._fasta = fasta
        self._contig = contig
        self.length = fasta.get_reference_length(contig)
        self._chunks: dict[int, str] = {}

    def base(self, pos: int) -> str:
        index = (pos - 1) // _CHUNK
        chunk = self._chunks.get(index)
        if chunk is None:
            start = index * _CHUNK
            chunk = self._fasta.fetch(self._contig, start, min(start + _CHUNK, self.length)).upper()
            self._chunks[index] = chunk
        return chunk[(pos - 1) % _CHUNK]

    def fetch(self, start: int, end: int) -> str:
        """Bases ``start``..``end`` inclusive; empty when the range leaves the contig."""
        if start < 1 or end > self.length or end < start:
            return ""
        return "".join(self.base(p) for p in range(start, end + 1))


def _cds_bounds(model: TranscriptModel) -> tuple[int, int]:
    """Transcript coordinates (1-based, spliced) of the first and last CDS base."""
    segments = model.cds_5_to_3()
    first = segments[0].start if model.strand == "+" else segments[0].end
    last = segments[-1].end if model.strand == "+" else segments[-1].start
    return _exonic_coordinate(model, first), _exonic_coordinate(model, last)


def _exonic_coordinate(model: TranscriptModel, pos: int) -> int:
    """Spliced transcript coordinate of a genomic position inside an exon, else 0."""
    done = 0
    for exon in model.exons_5_to_3():
        if exon.start <= pos <= exon.end:
            inside = pos - exon.start if model.strand == "+" else exon.end - pos
            return done + inside + 1
        done += exon.length
    return 0


def _label(model: TranscriptModel, coordinate: int, cds: tuple[int, int] | None) -> str:
    """A spliced coordinate (may lie beyond either end) as an HGVS c./n. position."""
    if cds is None:
        if coordinate < 1:
            return f"-{1 - coordinate}"
        if coordinate > model.length:
            return f"*{coordinate - model.length}"
        return str(coordinate)
    first, last = cds
    if coordinate < first:
        return f"-{first - coordinate}"
    if coordinate > last:
        return f"*{coordinate - last}"
    return str(coordinate - first + 1)


def transcript_position(model: TranscriptModel, pos: int) -> str:
    """HGVS position of one genomic base on a transcript, without the ``c.``/``n.`` prefix.

    Args:
        model: The transcript.
        pos: 1-based genomic position on the transcript's sequence.

    Returns:
        ``123``, ``-15``, ``*20``, ``123+1``, ``124-2``, ``-15+3``; positions before
        the transcript count on from its first base (``c.-40``), after it from its
        last (``c.*350``).
    """
    cds = _cds_bounds(model) if model.is_coding else None
    exons = model.exons_5_to_3()
    plus = model.strand == "+"
    done = 0
    for index, exon in enumerate(exons):
        if exon.start <= pos <= exon.end:
            inside = pos - exon.start if plus else exon.end - pos
            return _label(model, done + inside + 1, cds)
        done += exon.length
        if index + 1 < len(exons):
            following = exons[index + 1]
            in_intron = (
                exon.end < pos < following.start if plus else following.end < pos < exon.start
            )
            if in_intron:
                after_5 = pos - exon.end if plus else exon.start - pos
                before_3 = following.start - pos if plus else pos - following.end
                # HGVS: the middle base of an odd-length intron counts from the 5' exon.
                if after_5 <= before_3:
                    return f"{_label(model, done, cds)}+{after_5}"
                return f"{_label(model, done + 1, cds)}-{before_3}"
    upstream = (exons[0].start - pos) if plus else (pos - exons[0].end)
    if upstream > 0:
        return _label(model, 1 - upstream, cds)
    downstream = (pos - exons[-1].end) if plus else (exons[-1].start - pos)
    return _label(model, model.length + downstream, cds)


def _trim(pos: int, ref: str, alt: str) -> tuple[int, str, str]:
    """Drop bases shared by REF and ALT, suffix first, then prefix.

    Returns:
        (start, deleted, inserted); for a pure insertion ``start`` is the base
        after the insertion point.
    """
    while ref and alt and ref[-1] == alt[-1]:
        ref, alt = ref[:-1], alt[:-1]
    while ref and alt and ref[0] == alt[0]:
        ref, alt, pos = ref[1:], alt[1:], pos + 1
    return pos, ref, alt


def hgvs_c(
    model: TranscriptModel,
    fasta: pysam.FastaFile,
    pos: int,
    ref: str,
    alt: str,
    chrom: str | None = None,
) -> str:
    """HGVS c. (or n. for non-coding transcripts) of one VCF allele, 3'-shifted.

    Args:
        model: The transcript to describe the variant on.
        fasta: The reference the VCF was called against (indexed).
        pos: VCF POS.
        ref: VCF REF.
        alt: One VCF ALT allele.
        chrom: VCF CHROM, when it is spelt differently from the GFF3's.

    Returns:
        E.g. ``c.123C>T``, ``c.123+1G>A``, ``c.10_12del``, ``c.10dup``,
        ``c.10_11insAG``, ``c.4_5delinsTT``; empty for symbolic, ``*`` or
        unchanged alleles.

    Raises:
        InputFormatError: REF does not match the FASTA, or the sequence is not in it.
    """
    ref, alt = ref.upper(), alt.upper()
    if not alt or alt in ("*", ".") or alt.startswith("<") or not re.fullmatch(r"[ACGTN]+", alt):
        return ""
    sequence = _Sequence(fasta, fasta_contig(fasta, chrom or model.chrom))
    found = sequence.fetch(pos, pos + len(ref) - 1)
    if found != ref:
        raise InputFormatError(
            f"{chrom or model.chrom}:{pos}: VCF REF '{ref}' does not match the reference "
            f"FASTA ('{found}'); was the VCF called against another reference?"
        )
    prefix = "c." if model.is_coding else "n."
    start, deleted, inserted = _trim(pos, ref, alt)
    plus = model.strand == "+"

    def where(pos: int) -> str:
        return transcript_position(model, pos)

    def span(first: int, last: int) -> str:
        """A genomic range in transcript order: 5' end first."""
        lo, hi = (first, last) if plus else (last, first)
        return where(lo) if lo == hi else f"{where(lo)}_{where(hi)}"

    def oriented(bases: str) -> str:
        return bases if plus else reverse_complement(bases)

    if deleted and inserted:
        if len(deleted) == 1 and len(inserted) == 1:
            return f"{prefix}{where(start)}{oriented(deleted)}>{oriented(inserted)}"
        return f"{prefix}{span(start, start + len(deleted) - 1)}delins{oriented(inserted)}"
    if not deleted and not inserted:
        return ""
    # Shift inside the transcript when the variant touches it, else inside the contig.
    touches = model.start <= start + len(deleted) and start - 1 <= model.end
    low, high = (model.start, model.end) if touches else (1, sequence.length)
    if deleted:
        first, last = start, start + len(deleted) - 1
        if plus:
            while last + 1 <= high and sequence.base(last + 1) == sequence.base(first):
                first, last = first + 1, last + 1
        else:
            while first - 1 >= low and sequence.base(first - 1) == sequence.base(last):
                first, last = first - 1, last - 1
        return f"{prefix}{span(first, last)}del"
    # Insertion between start-1 and start; rotate the inserted bases as it moves. It
    # may end just past the transcript's last base: that is where a copy of it goes.
    size = len(inserted)
    if plus:
        while start <= high and sequence.base(start) == inserted[0]:
            inserted, start = inserted[1:] + inserted[0], start + 1
        if sequence.fetch(start - size, start - 1) == inserted:
            return f"{prefix}{span(start - size, start - 1)}dup"
        return f"{prefix}{where(start - 1)}_{where(start)}ins{inserted}"
    while start - 1 >= low and sequence.base(start - 1) == inserted[-1]:
        inserted, start = inserted[-1] + inserted[:-1], start - 1
    if sequence.fetch(start, start + size - 1) == inserted:
        return f"{prefix}{span(start, start + size - 1)}dup"
    return f"{prefix}{where(start)}_{where(start - 1)}ins{reverse_complement(inserted)}"


def hgvs_g(fasta: pysam.FastaFile, chrom: str, pos: int, ref: str, alt: str) -> str:
    """HGVS g. of one VCF allele on the reference contig, 3'-shifted on the forward strand.

    The contig is described as one non-coding "transcript" spanning it, so that the
    c./n. rules (and code) of :func:`hgvs_c` apply unchanged: ``g.1100C>T``,
    ``g.105_106del``, ``g.88dup``, ``g.40_41insTT``.

    Raises:
        InputFormatError: REF does not match the FASTA, or the contig is not in it.
    """
    contig = fasta_contig(fasta, chrom)
    length = fasta.get_reference_length(contig)
    whole = TranscriptModel(
        transcript_id=contig, gene_id="", gene_name="", chrom=contig, start=1, end=length,
        strand="+", biotype="contig", tags=frozenset(), exons=(Exon(1, length),),
    )  # fmt: skip
    named = hgvs_c(whole, fasta, pos, ref, alt, chrom)
    return "g." + named.removeprefix("n.") if named else ""


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
