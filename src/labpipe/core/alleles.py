"""Allele normalisation, so that one variant written two ways is recognised as one.

Annotation sources and our calls may describe the same indel differently: a
deletion in a poly-A run can be written at any A of the run, with extra
padding bases, or as one ALT of a multi-allelic record. Matching on position
alone would also pair different alleles at one site. We therefore compare
``(contig, pos, ref, alt)`` after the normalisation ``bcftools norm -f``
applies (Tan et al. 2015): trim bases shared at the right end, extending to
the left whenever an allele would become empty, then trim bases shared at the
left end while both alleles keep at least one base. The result is parsimonious
and left-aligned, the form our calls are written in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

#: Fetches reference bases: (start, end) 0-based half-open on one contig.
Fetch = Callable[[int, int], str]

# Alleles that are not sequences; such records are never normalised or matched.
_SYMBOLIC_START = ("<", "*", ".")


@dataclass(frozen=True, order=True)
class AlleleKey:
    """One ALT allele in normalised form.

    Attributes:
        chrom: Contig name as the *reference* spells it.
        pos: 1-based position of the first REF base.
        ref: Upper-case REF bases.
        alt: Upper-case ALT bases.
    """

    chrom: str
    pos: int
    ref: str
    alt: str

    def __str__(self) -> str:
        return f"{self.chrom}:{self.pos} {self.ref}>{self.alt}"


def is_sequence_allele(allele: str) -> bool:
    """True for an allele made of bases (not ``<DEL>``, ``*``, ``.`` or a breakend)."""
    if not allele or allele.startswith(_SYMBOLIC_START):
        return False
    return "[" not in allele and "]" not in allele


def normalise(chrom: str, pos: int, ref: str, alt: str, fetch: Fetch) -> AlleleKey:
    """Left-align and trim one REF/ALT pair against the reference.

    Args:
        chrom: Contig (reference naming), copied into the key.
        pos: 1-based position of ``ref``.
        ref: REF as written (any case).
        alt: One ALT as written (a sequence allele).
        fetch: Reference bases of ``chrom``; called only for indels that need
            shifting or padding.

    Returns:
        The normalised allele. An ALT equal to REF (not a variant) is returned
        upper-cased but otherwise unchanged.
    """
    ref, alt = ref.upper(), alt.upper()
    if ref == alt or (len(ref) == 1 and len(alt) == 1):
        return AlleleKey(chrom, pos, ref, alt)
    # Right trim; when an allele would run out, take one more reference base on
    # the left first. Each such round moves the pair one base left, so this
    # stops at the start of a repeat, or at the contig's first base (no allele
    # is ever left empty).
    while ref[-1] == alt[-1]:
        if min(len(ref), len(alt)) == 1:
            if pos == 1:
                break
            base = fetch(pos - 2, pos - 1).upper()
            ref, alt, pos = base + ref, base + alt, pos - 1
        ref, alt = ref[:-1], alt[:-1]
    # Left trim, keeping one base in each allele (VCF's anchor base).
    while len(ref) > 1 and len(alt) > 1 and ref[0] == alt[0]:
        ref, alt, pos = ref[1:], alt[1:], pos + 1
    return AlleleKey(chrom, pos, ref, alt)


def normalise_in(sequence: str, pos: int, ref: str, alt: str) -> tuple[int, str, str]:
    """:func:`normalise` against a sequence held in memory, positions 0-based.

    For code that builds its own sequences (the simulator) and counts from 0
    as Python slices do.

    Args:
        sequence: The reference the alleles lie on (a contig, or a stretch of one:
            an indel is then never shifted past its start).
        pos: 0-based position of ``ref`` in ``sequence``.
        ref: REF allele.
        alt: One ALT allele (a sequence allele).

    Returns:
        (0-based position, REF, ALT), normalised.
    """
    key = normalise("", pos + 1, ref, alt, lambda start, end: sequence[start:end])
    return key.pos - 1, key.ref, key.alt


def rightmost_end(pos: int, ref: str, alt: str, fetch: Fetch, limit: int = 10_000) -> int:
    """The last reference base a normalised indel could be written over, shifted right.

    A source may write the indel at the 3' end of its repeat (as HGVS does);
    looking up source records over ``pos..rightmost_end`` finds it wherever
    it sits in the repeat.

    Args:
        pos, ref, alt: A normalised allele (see :func:`normalise`).
        fetch: Reference bases of its contig.
        limit: Bases to scan at most; a repeat longer than this is cut there.

    Returns:
        1-based inclusive end; ``pos + len(ref) - 1`` for substitutions.
    """
    end = pos + len(ref) - 1
    if len(ref) == len(alt) or (len(ref) > 1 and len(alt) > 1):
        return end
    inserted_or_deleted = ref[1:] if len(ref) > len(alt) else alt[1:]
    # Shifting right by one keeps the variant while the next reference base
    # equals the first base of the rotating indel sequence.
    unit = inserted_or_deleted
    chunk_start = end  # 0-based index of the base after the REF allele
    chunk = fetch(chunk_start, chunk_start + 256).upper()
    shifted = 0
    while shifted < limit:
        offset = shifted
        if offset >= len(chunk):
            more = fetch(chunk_start + len(chunk), chunk_start + len(chunk) + 256).upper()
            if not more:
                break
            chunk += more
        if chunk[offset] != unit[0]:
            break
        unit = unit[1:] + unit[0]
        shifted += 1
    return end + shifted


def right_align(pos: int, ref: str, alt: str, fetch: Fetch) -> tuple[int, str, str]:
    """A normalised indel written at the 3' end of its repeat instead (as HGVS places it,
    and as some sources write it); anything else is returned unchanged.

    Args:
        pos, ref, alt: A normalised allele (see :func:`normalise`), 1-based.
        fetch: Reference bases of its contig.

    Returns:
        (1-based position, REF, ALT), anchored on the base before the shifted indel.
    """
    shift = rightmost_end(pos, ref, alt, fetch) - (pos + len(ref) - 1)
    if not shift:
        return pos, ref, alt
    changed = ref[1:] if len(ref) > len(alt) else alt[1:]
    turn = shift % len(changed)
    changed = changed[turn:] + changed[:turn]
    pos += shift
    anchor = fetch(pos - 1, pos).upper()
    if len(ref) > len(alt):
        return pos, anchor + changed, anchor
    return pos, anchor, anchor + changed
