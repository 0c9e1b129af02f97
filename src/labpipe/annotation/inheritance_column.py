"""The annotated rows' ``inheritance`` column, from the sample's rows of its family's table.

The table itself is made by :mod:`labpipe.annotation.inheritance`; compound heterozygosity is
decided here, where the genes and the candidates are known.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from labpipe.annotation.annotated_table import AnnotatedVariant
from labpipe.annotation.inheritance import InheritanceCall
from labpipe.annotation.trio_rules import (
    COMP_HET,
    HOMOZYGOUS_IN_ROH,
    INHERITED,
    MENDELIAN_ERROR,
    NOT_ASSESSABLE,
    HetCandidate,
    compound_heterozygous,
)
from labpipe.core.i18n import N_

#: Tiers of a candidate: what compound heterozygosity, the ROH mark and the tier rule look at.
CANDIDATE_TIERS = (1, 2, 3)

MISFIT_REASON = N_("fits no inheritance mode in the trio")  # a tier reason piece (tiers.py)


def apply_inheritance(
    variants: Sequence[AnnotatedVariant],
    family: Sequence[InheritanceCall] | None,
    require_inheritance: bool = False,
) -> list[AnnotatedVariant]:
    """The sample's annotated rows with their ``inheritance`` column (and tier rule) filled in.

    Args:
        variants: The sample's rows, tiers assigned.
        family: The sample's rows of its family's inheritance table when it is an affected
            member with both parents sequenced; None otherwise (a singleton: only the
            homozygous candidates inside a run of homozygosity are marked).
        require_inheritance: ``annotation.tiers.require_inheritance``: with ``family``, a tier 2
            candidate that fits no mode moves to tier 3 and a tier 1 one says so in its reason
            (labels ``inherited`` from an unaffected parent and ``mendelian_error``; a
            ``not_assessable`` one is not moved).

    Returns:
        The rows in the same order.
    """
    if family is None:
        return [
            _labelled(
                v, HOMOZYGOUS_IN_ROH, f"inside the run of homozygosity {v.clinical.roh_segment}"
            )
            if v.row.zygosity == "hom_alt"
            and v.clinical.roh_segment
            and v.clinical.tier in CANDIDATE_TIERS
            else v
            for v in variants
        ]
    by_key = {c.key: c for c in family}
    paired = compound_heterozygous(
        HetCandidate(key, v.row.gene, by_key[key].origin)
        for v in variants
        if (key := _key(v)) in by_key
        and by_key[key].label == INHERITED
        and v.row.filter == "PASS"
        and v.clinical.tier in CANDIDATE_TIERS
    )
    labelled = []
    for v in variants:
        call = by_key.get(_key(v))
        if call is None:
            v = _labelled(v, NOT_ASSESSABLE, "not in the family's joint calls")
        elif call.key in paired:
            partners = sorted(
                f"{w.row.chrom}:{w.row.pos}{w.row.ref}>{w.row.alt} from {by_key[_key(w)].origin}"
                for w in variants
                if _key(w) in paired and _key(w) != call.key and w.row.gene == v.row.gene
            )
            note = f"from {call.origin}; with {', '.join(partners)}; {call.members}"
            v = _labelled(v, COMP_HET, note)
        else:
            note = "; ".join(
                p
                for p in (call.note, f"from {call.origin}" if call.origin else "", call.members)
                if p
            )
            v = _labelled(v, call.label, note)
            if require_inheritance and not call.fits and call.label in (INHERITED, MENDELIAN_ERROR):
                v = _misfit(v)
        labelled.append(v)
    return labelled


def _key(v: AnnotatedVariant) -> tuple[str, int, str, str]:
    return (v.row.chrom, v.row.pos, v.row.ref, v.row.alt)


def _labelled(v: AnnotatedVariant, label: str, note: str) -> AnnotatedVariant:
    return replace(v, clinical=replace(v.clinical, inheritance=label, inheritance_note=note))


def _misfit(v: AnnotatedVariant) -> AnnotatedVariant:
    """The tier rule ``require_inheritance``: tier 2 moves to 3; tier 1 stays, said."""
    c = v.clinical
    if c.tier == 2:
        clinical = replace(c, tier=3, tier_reason=f"{c.tier_reason}; {MISFIT_REASON} (was tier 2)")
    elif c.tier == 1:
        clinical = replace(c, tier_reason=f"{c.tier_reason}; {MISFIT_REASON}")
    else:
        return v
    return replace(v, clinical=clinical)
