"""HGVS notation for the variant table: c./n. and g. from the genome.

``bcftools csq`` names consequences but prints the DNA change genomically
(``84GA>G``). A lab report needs HGVS: ``c.26del``. One rule makes this more than a
format change:

* The 3' rule. HGVS places an indel in a repeat at its most 3' position in
  *transcript* orientation, while our VCFs are left-aligned genomically. On a
  plus-strand gene every indel in a repeat must be shifted right; on a minus
  strand gene the left-aligned position already is the 3'-most one. We shift in
  the genome (introns included), never past the transcript's ends. An
  insertion that, once shifted, copies the bases just 5' of it is a ``dup``.

Positions follow HGVS: ``c.1`` is the A of the start codon, ``c.-1`` the base
before it, ``c.*1`` the base after the stop codon, ``c.88+1``/``c.89-1`` intron
bases counted from the nearer exon (the middle base of an odd-length intron
counts from the 5' exon). Non-coding transcripts get ``n.`` positions.

The protein change (p.) is :mod:`labpipe.annotation.hgvs_protein`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from labpipe.annotation.transcripts import Exon, TranscriptModel
from labpipe.core.errors import InputFormatError
from labpipe.core.sequence import reverse_complement

if TYPE_CHECKING:  # callers open the FASTA: `labpipe validate` imports this without pysam
    import pysam

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
