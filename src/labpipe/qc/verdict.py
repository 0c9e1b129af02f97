"""Each sample's QC verdict against the lab's thresholds: pass, warn or fail.

Every metric is compared with two limits from the config: ``qc.<key>`` (beyond
it the sample fails) and ``qc.warn.<key>`` (beyond it, but within the fail
limit, the sample gets a warning). Ts/Tv and the het/hom ratio have warning
limits only: they depend on the assay's size and on the patient's ancestry (a
child of related parents has a low het/hom ratio), so they prompt a look, not
a repeat. A metric that cannot be measured (insert size of single-end reads,
ratios from too few variants) is *not assessed* and does not change the verdict.
The sample's verdict is its worst metric's.

The batch's identity checks (:mod:`labpipe.qc.identity`) add two
(:mod:`labpipe.qc.identity_verdict`): the sample's contamination estimate against
``qc.max_contamination`` / ``qc.warn.max_contamination``, and its relatedness to the other
samples against the pedigree (a declared parent who is not related fails; a duplicate of
another sample or an undeclared close relative warns).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from labpipe.annotation.variant_table import VariantRow
from labpipe.config.lab import QcThresholds
from labpipe.core.i18n import N_, _, translate_written
from labpipe.qc.check import FAIL, NOT_ASSESSED, PASS, WARN, QcCheck
from labpipe.qc.identity_verdict import identity_checks
from labpipe.qc.metrics import LEDGER_FILTER_NAMES, LEDGER_FILTER_SHORT, SampleQC
from labpipe.qc.sex import NOTE_MESSAGES

if TYPE_CHECKING:  # the identity modules need numpy, which `labpipe validate` must not load
    from labpipe.qc.identity import BatchIdentity

_RANK = {PASS: 0, NOT_ASSESSED: 0, WARN: 1, FAIL: 2}

_TRANSITIONS = frozenset({("A", "G"), ("G", "A"), ("C", "T"), ("T", "C")})


@dataclass(frozen=True)
class VariantCounts:
    """Counts behind the Ts/Tv and het/hom ratios, over PASS calls.

    Attributes:
        snvs: PASS single-base substitutions.
        transitions: Of those, A<->G and C<->T.
        hets: PASS calls the sample carries heterozygous.
        hom_alts: PASS calls the sample carries homozygous.
    """

    snvs: int = 0
    transitions: int = 0
    hets: int = 0
    hom_alts: int = 0

    @property
    def transversions(self) -> int:
        """SNVs that are not transitions."""
        return self.snvs - self.transitions

    @property
    def ts_tv(self) -> float | None:
        """Transitions / transversions; None without transversions."""
        return self.transitions / self.transversions if self.transversions else None

    @property
    def het_hom(self) -> float | None:
        """Heterozygous / homozygous-alt calls; None without homozygous calls."""
        return self.hets / self.hom_alts if self.hom_alts else None


def variant_counts(rows: Iterable[VariantRow]) -> VariantCounts:
    """Count the PASS calls of a sample's variant table."""
    snvs = transitions = hets = homs = 0
    for row in rows:
        if row.filter != "PASS":
            continue
        if len(row.ref) == 1 and len(row.alt) == 1:
            snvs += 1
            transitions += (row.ref.upper(), row.alt.upper()) in _TRANSITIONS
        if row.zygosity == "het":
            hets += 1
        elif row.zygosity == "hom_alt":
            homs += 1
    return VariantCounts(snvs, transitions, hets, homs)


@dataclass(frozen=True)
class QcVerdict:
    """A sample's QC verdict.

    Attributes:
        sample: Sample id.
        checks: One per metric, in report order.
    """

    sample: str
    checks: tuple[QcCheck, ...]

    @property
    def overall(self) -> str:
        """``fail`` if any metric fails, else ``warn`` if any warns, else ``pass``."""
        worst = max((_RANK[c.status] for c in self.checks), default=0)
        return {0: PASS, 1: WARN, 2: FAIL}[worst]

    def problems(self) -> list[QcCheck]:
        """The metrics that failed or warned."""
        return [c for c in self.checks if c.status in (WARN, FAIL)]


@dataclass(frozen=True)
class _Metric:
    key: str
    label: str
    unit: str
    digits: int
    value: Callable[[SampleQC, VariantCounts], float | None]
    note_low: str = ""
    note_high: str = ""


_METRICS: tuple[_Metric, ...] = (
    _Metric("reads", "Reads", "", 0, lambda q, _: float(q.reads_total)),
    _Metric("mapped_pct", "Mapped", "%", 2, lambda q, _: q.mapped_pct),
    _Metric("duplicate_pct", "Duplicates", "%", 2, lambda q, _: q.duplicate_pct),
    _Metric("insert_size", "Mean insert size", " bp", 0, lambda q, _: q.mean_insert_size),
    _Metric("mean_target_depth", "Mean target depth", "x", 1, lambda q, _: q.mean_target_depth),
    _Metric("pct_target_20x", "Target bases >= 20x", "%", 2, lambda q, _: q.pct_target_20x),
    _Metric(
        "ts_tv",
        "Ts/Tv (PASS SNVs)",
        "",
        2,
        lambda _, c: c.ts_tv,
        note_low=N_("low Ts/Tv suggests false-positive SNVs"),
        note_high=N_("high Ts/Tv: check the target design"),
    ),
    _Metric(
        "het_hom_ratio",
        "Het/hom ratio (PASS)",
        "",
        2,
        lambda _, c: c.het_hom,
        note_low=N_("low: related parents (see runs of homozygosity) or loss of heterozygosity"),
        note_high=N_("high: possible sample contamination"),
    ),
)


def _format(value: float, metric: _Metric) -> str:
    if metric.key == "reads":
        return f"{value:,.0f}"
    return f"{value:,.{metric.digits}f}{metric.unit}"


def _limit_key(metric: _Metric, side: str) -> str:
    return f"{side}_{metric.key}"


def qc_verdict(
    sample: str,
    qc: SampleQC,
    counts: VariantCounts,
    thresholds: QcThresholds,
    identity: BatchIdentity | None = None,
) -> QcVerdict:
    """Compare one sample's metrics with the lab's ``qc`` thresholds.

    Args:
        sample: Sample id.
        qc: Its row of ``qc_summary.tsv``.
        counts: Its PASS-call counts (see :func:`variant_counts`).
        thresholds: The config's ``qc`` section.
        identity: The batch's identity checks; None leaves them out (outside a run).

    Returns:
        The verdict with one check per metric. Metric names are English (translated where
        shown); the limits, notes and shown values are in the current language.
    """
    warn = thresholds.warn
    minimum_variants = thresholds.min_variants_for_ratios
    checks = []
    for metric in _METRICS:
        # Not every metric has every limit: the config names only those it has.
        fail_min = getattr(thresholds, _limit_key(metric, "min"), None)
        fail_max = getattr(thresholds, _limit_key(metric, "max"), None)
        warn_min = getattr(warn, _limit_key(metric, "min"), None)
        warn_max = getattr(warn, _limit_key(metric, "max"), None)
        limits = _limits_text(metric, fail_min, fail_max, warn_min, warn_max)
        value = metric.value(qc, counts)
        if qc.pairs_aligned == 0 and metric.key in _NEEDS_ALIGNED_READS:
            # "Mapped 0.00%" would blame the aligner for what a filter did.
            note = _("no read pairs were aligned: %(reason)s") % {"reason": _biggest_filter(qc)}
            checks.append(QcCheck(metric.label, None, "-", limits, NOT_ASSESSED, note))
            continue
        too_few = _too_few(metric, counts, minimum_variants)
        if too_few:
            shown = _format(value, metric) if value is not None else "-"
            checks.append(QcCheck(metric.label, value, shown, limits, NOT_ASSESSED, too_few))
            continue
        if value is None:
            note = (
                _("no paired reads") if metric.key == "insert_size" else _("could not be measured")
            )
            checks.append(QcCheck(metric.label, None, "-", limits, NOT_ASSESSED, note))
            continue
        status, note = PASS, ""
        if (fail_min is not None and value < fail_min) or (
            fail_max is not None and value > fail_max
        ):
            status = FAIL
        elif (warn_min is not None and value < warn_min) or (
            warn_max is not None and value > warn_max
        ):
            status = WARN
        if status != PASS:
            low = (fail_min is not None and value < fail_min) or (
                warn_min is not None and value < warn_min
            )
            note = _(metric.note_low if low else metric.note_high)
        checks.append(QcCheck(metric.label, value, _format(value, metric), limits, status, note))
    checks += read_ledger_checks(qc, thresholds)
    checks.append(sex_check(qc))
    if identity is not None:
        checks += identity_checks(sample, identity, thresholds)
    return QcVerdict(sample, tuple(checks))


def sex_check(qc: SampleQC) -> QcCheck:
    """The sample sheet's sex against the sex the data show (:mod:`labpipe.qc.sex`).

    A disagreement fails the sample (a swapped sample or a wrong sheet); data that cannot
    tell leave it not assessed, with the reason; a male the sheet gives no sex for is a
    warning, because his chrX was called diploid.
    """
    label, limits = N_("Sex (sample sheet vs data)"), _("fail when they disagree")
    declared, inferred = qc.sex_declared, qc.sex_inferred
    note = sex_note_in_words(qc.sex_note)
    if inferred not in ("male", "female"):
        return QcCheck(
            label, None, "-", limits, NOT_ASSESSED, _("sex not inferred: %(note)s") % {"note": note}
        )
    shown = _("%(inferred)s (sheet: %(declared)s)") % {
        "inferred": _(inferred),
        "declared": _(declared),
    }
    if declared == "unknown":
        if inferred == "male":
            return QcCheck(
                label,
                None,
                shown,
                limits,
                WARN,
                _(
                    "sex not in the sample sheet; data say male (%(note)s): chrX outside the "
                    "pseudoautosomal regions was called diploid, so X variants read homozygous, "
                    "not hemizygous; add the sex to the sheet and re-run"
                )
                % {"note": note},
            )
        return QcCheck(
            label,
            None,
            shown,
            limits,
            PASS,
            _("sex not in the sample sheet; data say female (%(note)s); called diploid")
            % {"note": note},
        )
    if declared != inferred:
        return QcCheck(
            label,
            None,
            shown,
            limits,
            FAIL,
            _("sex mismatch: sample sheet says %(declared)s, data say %(inferred)s (%(note)s)")
            % {"declared": _(declared), "inferred": _(inferred), "note": note},
        )
    return QcCheck(label, None, shown, limits, PASS, note)


LEDGER = N_("Read ledger")
# The sex and its check's note as qc_summary.tsv writes them (labpipe.qc.sex), for the report.
_SEX_WORDS = (N_("male"), N_("female"), N_("unknown"))


def sex_note_in_words(note: str) -> str:
    """qc_summary.tsv's ``sex_note`` in the current language (a note it lacks stays)."""
    # A note is one message (its figures inside), or the figures alone (joined by ", ").
    whole = translate_written(note, NOTE_MESSAGES, separator="\n")
    return whole if whole != note else translate_written(note, NOTE_MESSAGES, separator=", ")


_NEEDS_ALIGNED_READS = frozenset({"mapped_pct", "duplicate_pct", "insert_size"})


def _biggest_filter(qc: SampleQC) -> str:
    """Which fastp filter removed most pairs, with every filter's share."""
    removed = {name: n for name, n in qc.pairs_removed().items() if n}
    if not removed or not qc.pairs_in:
        return _("no filter removed pairs")
    biggest = max(removed, key=lambda name: removed[name])
    shares = ", ".join(
        _(LEDGER_FILTER_SHORT[name]) + f" {100 * n / qc.pairs_in:.1f}%"
        for name, n in removed.items()
    )
    return _("mostly %(filter)s (%(shares)s of the pairs)") % {
        "filter": _(LEDGER_FILTER_NAMES[biggest]),
        "shares": shares,
    }


def read_ledger_checks(qc: SampleQC, thresholds: QcThresholds) -> list[QcCheck]:
    """The read ledger: every pair accounted for, and not too many lost to the filters.

    Fails when the pairs counted in the FASTQs are not all either aligned or removed by a
    named filter (a tool stopped early or lost reads); warns or fails when the filters
    removed more than ``qc.warn.max_pairs_lost_fraction`` / ``qc.max_pairs_lost_fraction``
    of the pairs, naming the filter that removed most.
    """
    if qc.pairs_in is None or qc.pairs_aligned is None:
        note = _("the pair counts were not given")
        return [QcCheck(LEDGER, None, "-", _("adds up"), NOT_ASSESSED, note)]
    unaccounted = qc.pairs_unaccounted() or 0
    removed = sum(qc.pairs_removed().values())
    shown = _("%(pairs)s in = %(aligned)s aligned + %(removed)s removed") % {
        "pairs": f"{qc.pairs_in:,}",
        "aligned": f"{qc.pairs_aligned:,}",
        "removed": f"{removed:,}",
    }
    ledger = QcCheck(LEDGER, float(unaccounted), shown, _("fail unless it adds up"), PASS)
    if unaccounted:
        ledger = QcCheck(
            LEDGER,
            float(unaccounted),
            _("%(shown)s; %(count)s unaccounted") % {"shown": shown, "count": f"{unaccounted:,}"},
            ledger.limits,
            FAIL,
            _(
                "%(count)s read pairs counted in the FASTQs were neither aligned nor removed"
                " by a filter: trimming or alignment stopped early (see the fastp and aligner"
                " logs)"
            )
            % {"count": f"{unaccounted:,}"},
        )
    fail: float | None = thresholds.max_pairs_lost_fraction
    warn = thresholds.warn.max_pairs_lost_fraction
    lost = qc.pairs_lost_fraction or 0.0
    limits = "; ".join(
        _(word) + f" > {100 * limit:.0f}%" for word, limit in ((FAIL, fail), (WARN, warn)) if limit
    )
    status = FAIL if fail is not None and lost > fail else PASS
    if status == PASS and warn is not None and lost > warn:
        status = WARN
    note = ""
    if status != PASS:
        # The value beside it gives the share; a reason quoting the check (report banner,
        # summary.json) reads "<metric> <value>: <note>".
        note = _biggest_filter(qc)
    filtered = QcCheck(
        N_("Read pairs removed before alignment"),
        lost,
        f"{100 * lost:.2f}%",
        limits or _("none set"),
        status,
        note,
    )
    return [ledger, filtered]


def _too_few(metric: _Metric, counts: VariantCounts, minimum: int) -> str:
    if metric.key == "ts_tv" and counts.snvs < minimum:
        return _("%(count)s PASS SNVs; a stable ratio needs %(minimum)s") % {
            "count": counts.snvs,
            "minimum": minimum,
        }
    if metric.key == "het_hom_ratio" and counts.hets + counts.hom_alts < minimum:
        return _("%(count)s PASS calls; a stable ratio needs %(minimum)s") % {
            "count": counts.hets + counts.hom_alts,
            "minimum": minimum,
        }
    return ""


def _limits_text(
    metric: _Metric,
    fail_min: float | None,
    fail_max: float | None,
    warn_min: float | None,
    warn_max: float | None,
) -> str:
    parts = []
    either = _(" or ")
    for word, low, high in ((FAIL, fail_min, fail_max), (WARN, warn_min, warn_max)):
        bounds = []
        if low is not None:
            bounds.append(f"< {_format(float(low), metric)}")
        if high is not None:
            bounds.append(f"> {_format(float(high), metric)}")
        if bounds:
            parts.append(_(word) + " " + either.join(bounds))
    return "; ".join(parts) or _("none set")
