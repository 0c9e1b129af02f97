"""What ``bcftools csq -l`` and an HGVS-speaking lab report should say of a planted coding
variant: the expected answers written into ``test_data/expected_consequences.tsv``.

A deliberate second implementation of HGVS p. notation, independent of
:mod:`labpipe.annotation.hgvs`: the end-to-end tests compare labpipe's report with what
is predicted here (and ``labpipe simulate --check`` compares it with ``bcftools csq``),
so a mistake in either shows as a disagreement. Only the codon table
(:mod:`labpipe.core.sequence`) is shared.
"""

from __future__ import annotations

from dataclasses import dataclass

from labpipe.core.sequence import (
    THREE_LETTER,
    reverse_complement,
    translate,
)
from labpipe.simulation.genome_model import Transcript


@dataclass(frozen=True)
class CodingEffect:
    """How a variant reads on one transcript.

    Attributes:
        consequence: First consequence term ``bcftools csq`` prints.
        protein_change: ``bcftools csq``'s amino-acid field (``42R>42W``), or empty.
        hgvs_p: HGVS protein notation with 3-letter codes (``p.Arg42Trp``), or empty.
    """

    consequence: str
    protein_change: str
    hgvs_p: str


def _protein_to_stop(cds: str, start: int = 0) -> str:
    """Translate from ``start`` up to and including the first stop (or the last whole codon)."""
    aa = translate(cds[start:])
    return aa[: aa.index("*") + 1] if "*" in aa else aa


def _hgvs_p(ref_prot: str, alt_prot: str, frameshift: bool) -> str:
    """HGVS p. of a change between two proteins (both ending at their first stop)."""
    three = THREE_LETTER
    n = next((i for i, (a, b) in enumerate(zip(ref_prot, alt_prot, strict=False)) if a != b), None)
    if frameshift:
        assert n is not None
        return f"p.{three[ref_prot[n]]}{n + 1}fs"
    if len(ref_prot) == len(alt_prot):
        if n is None:
            raise ValueError("protein unchanged; synonymous variants need the codon")
        return f"p.{three[ref_prot[n]]}{n + 1}{three[alt_prot[n]]}"
    # HGVS places deletions and insertions at the most C-terminal position possible.
    pre = 0
    while pre < min(len(ref_prot), len(alt_prot)) and ref_prot[pre] == alt_prot[pre]:
        pre += 1
    k = abs(len(ref_prot) - len(alt_prot))
    if len(alt_prot) < len(ref_prot):
        if ref_prot[:pre] + ref_prot[pre + k :] != alt_prot:
            raise ValueError("not a pure in-frame deletion")
        lo, hi = pre, pre + k - 1
        span = f"{three[ref_prot[lo]]}{lo + 1}" + (
            f"_{three[ref_prot[hi]]}{hi + 1}" if hi > lo else ""
        )
        return f"p.{span}del"
    inserted = alt_prot[pre : pre + k]
    if alt_prot[:pre] + alt_prot[pre + k :] != ref_prot:
        raise ValueError("not a pure in-frame insertion")
    if pre >= k and ref_prot[pre - k : pre] == inserted:
        lo, hi = pre - k, pre - 1
        span = f"{three[ref_prot[lo]]}{lo + 1}" + (
            f"_{three[ref_prot[hi]]}{hi + 1}" if hi > lo else ""
        )
        return f"p.{span}dup"
    ins = "".join(three[a] for a in inserted)
    return f"p.{three[ref_prot[pre - 1]]}{pre}_{three[ref_prot[pre]]}{pre + 1}ins{ins}"


def predict_effect(
    transcript: Transcript, contig_seq: str, pos: int, ref: str, alt: str
) -> CodingEffect | None:
    """Predict ``bcftools csq -l`` output and HGVS p. for a normalised variant.

    Only the variant kinds the demo plants are modelled: substitutions and
    indels lying inside one CDS segment at least 5 bp from its ends, and SNVs
    at essential splice sites or in the intronic splice region (+3..+8/-3..-8).

    Args:
        transcript: The transcript to annotate against.
        contig_seq: Reference sequence of its contig.
        pos: 0-based position of the first REF base (VCF POS - 1).
        ref: REF allele.
        alt: ALT allele.

    Returns:
        The effect, or None when the variant is none of the modelled kinds.
    """
    if len(ref) == 1 and len(alt) == 1:
        for kind, _offset, site in transcript.splice_sites():
            if site == pos:
                # HGVS: the protein effect of a broken splice site cannot be predicted.
                return CodingEffect(f"splice_{kind}", "", "p.?")
        for a, b in transcript.introns():
            if a + 2 <= pos < a + 8 or b - 8 <= pos < b - 2:
                return CodingEffect("splice_region", "", "")
    end = pos + len(ref)
    seg = next(
        ((s, e) for s, e in transcript.cds_segments() if s + 5 <= pos and end <= e - 5), None
    )
    if seg is None:
        return None
    plus = transcript.strand == "+"
    cds = transcript.cds_sequence(contig_seq)
    positions = transcript.cds_positions()
    index = {g: i for i, g in enumerate(positions)}
    # bcftools csq works on the whole VCF REF span, anchor base included.
    lo = index[pos] if plus else index[end - 1]
    hi = index[end - 1] if plus else index[pos]
    alt_t = alt if plus else reverse_complement(alt)
    alt_cds = cds[:lo] + alt_t + cds[hi + 1 :]
    first = lo // 3
    ref_prot, alt_prot = _protein_to_stop(cds), _protein_to_stop(alt_cds)
    dlen = len(alt) - len(ref)
    if dlen % 3:
        ref_aa = _protein_to_stop(cds, 3 * first)
        alt_aa = _protein_to_stop(alt_cds, 3 * first)
        return CodingEffect(
            "frameshift",
            f"{first + 1}{ref_aa}>{first + 1}{alt_aa}",
            _hgvs_p(ref_prot, alt_prot, True),
        )
    ref_aa = translate(cds[3 * first : 3 * (hi // 3 + 1)])
    alt_aa = translate(alt_cds[3 * first : 3 * ((lo + len(alt_t) - 1) // 3 + 1)])
    if "*" in ref_aa:
        return None
    if dlen == 0:
        n, three = first + 1, THREE_LETTER
        if ref_aa == alt_aa:
            return CodingEffect("synonymous", f"{n}{ref_aa}", f"p.{three[ref_aa]}{n}=")
        kind = "stop_gained" if alt_aa == "*" else "missense"
        return CodingEffect(
            kind, f"{n}{ref_aa}>{n}{alt_aa}", f"p.{three[ref_aa]}{n}{three[alt_aa]}"
        )
    if "*" in alt_aa:
        return None
    kind = "inframe_deletion" if dlen < 0 else "inframe_insertion"
    change = f"{first + 1}{ref_aa}>{first + 1}{alt_aa}"
    try:
        return CodingEffect(kind, change, _hgvs_p(ref_prot, alt_prot, False))
    except ValueError:
        return None
