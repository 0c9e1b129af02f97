"""The two QC checks of a sample from the batch's identity record (:mod:`labpipe.qc.identity`).

Its contamination estimate against ``qc.max_contamination`` / ``qc.warn.max_contamination``, and
its relatedness to the other samples against the pedigree (a declared parent who is not related
fails; a duplicate of another sample or an undeclared close relative warns). Part of the
sample's verdict (:func:`labpipe.qc.verdict.qc_verdict`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from labpipe.config.lab import QcThresholds
from labpipe.core.i18n import N_, _
from labpipe.qc.check import FAIL, NOT_ASSESSED, PASS, WARN, QcCheck

if TYPE_CHECKING:  # the identity modules need numpy, which `labpipe validate` must not load
    from labpipe.qc.identity import BatchIdentity


CONTAMINATION, RELATEDNESS = N_("Contamination"), N_("Relatedness to the batch")


def identity_checks(
    sample: str, identity: BatchIdentity, thresholds: QcThresholds
) -> list[QcCheck]:
    """The sample's contamination and relatedness checks from the batch's identity record."""
    return [
        contamination_check(sample, identity, thresholds),
        relatedness_check(sample, identity),
    ]


def contamination_check(sample: str, identity: BatchIdentity, thresholds: QcThresholds) -> QcCheck:
    """Fail above ``qc.max_contamination``, warn above ``qc.warn.max_contamination``."""
    fail, warn = thresholds.max_contamination, thresholds.warn.max_contamination
    limits = "; ".join(
        _(word) + f" > {100 * limit:g}%" for word, limit in ((FAIL, fail), (WARN, warn)) if limit
    )
    estimate = identity.estimate(sample)
    if estimate is None:
        note = _("not in the batch's identity check")
        return QcCheck(CONTAMINATION, None, "-", limits, NOT_ASSESSED, note)
    if estimate.fraction is None:
        note = _(
            "%(estimate)s: too few homozygous SNV sites with 10 or more reads"
            " (qc.min_contamination_sites)"
        ) % {"estimate": estimate.shown}
        return QcCheck(CONTAMINATION, None, "-", limits, NOT_ASSESSED, note)
    value = estimate.fraction
    status = FAIL if value > fail else WARN if warn is not None and value > warn else PASS
    note = ""
    if status != PASS:
        limit = fail if status == FAIL else warn
        figures = {
            "value": f"{100 * value:.1f}",
            "limit": f"{100 * (limit or 0):g}",
            "sites": estimate.sites,
            "source": estimate.source,
        }
        note = (
            _(
                "contamination estimated %(value)s%% (limit %(limit)s%%) from %(sites)s"
                " homozygous sites; the foreign reads fit %(source)s's genotypes: a mixed or"
                " contaminated sample; its heterozygous calls and their allele fractions are"
                " not reliable"
            )
            if estimate.source
            else _(
                "contamination estimated %(value)s%% (limit %(limit)s%%) from %(sites)s"
                " homozygous sites: a mixed or contaminated sample; its heterozygous calls and"
                " their allele fractions are not reliable"
            )
        ) % figures
    return QcCheck(CONTAMINATION, value, estimate.shown, limits, status, note)


def relatedness_check(sample: str, identity: BatchIdentity) -> QcCheck:
    """A declared parent not related fails; a duplicate or an undeclared relative warns."""
    from labpipe.qc.kinship import DUPLICATE, PARENT_NOT_RELATED

    limits = _("fail: declared parent not related; warn: duplicate or undeclared relative")
    pairs = identity.pairs_of(sample)
    if not pairs:
        note = _("the only sample of the batch: nothing to compare with")
        return QcCheck(RELATEDNESS, None, "-", limits, NOT_ASSESSED, note)
    estimated = [p for p in pairs if p.kinship is not None]
    if not estimated:
        fewest = min(pairs, key=lambda p: p.informative)
        note = _(
            "kinship %(estimate)s: too few heterozygous SNV sites in the batch"
            " (qc.min_kinship_sites); sample identity was not checked"
        ) % {"estimate": fewest.shown}
        return QcCheck(RELATEDNESS, None, "-", limits, NOT_ASSESSED, note)
    flags = [f for f in identity.flags if f.involves(sample)]
    if not flags:
        skipped = len(pairs) - len(estimated)
        unestimated = (
            _("%(count)s pair(s) not estimated (too few sites)") % {"count": skipped}
            if skipped
            else ""
        )
        shown = _("as declared (%(count)s pair(s) estimated)") % {"count": len(estimated)}
        return QcCheck(RELATEDNESS, None, shown, limits, PASS, unestimated)
    worst = FAIL if any(f.kind == PARENT_NOT_RELATED for f in flags) else WARN
    kinds = sorted({f.kind for f in flags}, key=lambda k: (k != DUPLICATE, k))
    # Each flag worded in the language being shown (its record keeps the English).
    shown = ", ".join(_(kind) for kind in kinds)
    return QcCheck(RELATEDNESS, None, shown, limits, worst, "; ".join(f.text() for f in flags))
