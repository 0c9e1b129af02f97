"""The table a run ends with: each sample's QC verdict and what its report says.

Read from ``results/report/<sample>.summary.json`` (written by the report step).
A sample without a readable summary has NO RESULT; one whose report is not
interpreted or not reportable says so instead of showing tier counts, so that
no count of zero reads as a negative result.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labpipe.core import layout
from labpipe.core.i18n import _, display_width, padded
from labpipe.provenance.no_result import NO_RESULT_STATUS, summary_path

NO_RESULT = "NO RESULT"
NOT_INTERPRETED = "NOT INTERPRETED"
NOT_REPORTABLE = "NOT REPORTABLE"
_TIERS = ("1", "2", "3")
_STATUS_WORDS = {
    "NOT_INTERPRETED": NOT_INTERPRETED,
    "NOT_REPORTABLE": NOT_REPORTABLE,
    NO_RESULT_STATUS: NO_RESULT,
}


@dataclass(frozen=True)
class SampleOutcome:
    """One line of the run summary.

    Attributes:
        sample: The sample's name.
        verdict: Its QC verdict in capitals, or '-' without a report.
        tiers: Tier 1-3 counts of PASS calls when the report is reportable, else None
            (incidental findings are not in tier 1, as in the report).
        status: NO RESULT, NOT INTERPRETED or NOT REPORTABLE when there are no counts.
        incidental: PASS incidental findings (ClinVar P/LP outside the ordered panel)
            when the report counts them.
        reasons: Why there are no counts, as the report's banner says (its summary's
            ``status_reasons``, or ``problems`` of a sample without a result).
    """

    sample: str
    verdict: str
    tiers: tuple[int, int, int] | None
    status: str = ""
    incidental: int | None = None
    reasons: tuple[str, ...] = ()


def sample_outcome(sample: str, summary: Mapping[str, Any] | None) -> SampleOutcome:
    """What a sample's report summary says, from the fields it has.

    ``status``, ``qc_verdict`` and nullable tier counts are read when the report
    step writes them; without ``status``, a QC fail is taken as not reportable
    and absent counts as not interpreted.
    """
    if summary is None:
        return SampleOutcome(sample, "-", None, NO_RESULT)
    if summary.get("status") == NO_RESULT_STATUS:
        return SampleOutcome(sample, "-", None, NO_RESULT, reasons=_texts(summary, "problems"))
    verdict = str(summary.get("qc_verdict") or summary.get("verdict") or "-").upper()
    status = summary.get("status")
    if status is None:
        status = "NOT_REPORTABLE" if verdict == "FAIL" else "REPORTABLE"
    counts = summary.get("tiers")
    if status in _STATUS_WORDS:
        reasons = _texts(summary, "status_reasons")
        return SampleOutcome(sample, verdict, None, _STATUS_WORDS[status], reasons=reasons)
    if not isinstance(counts, Mapping) or any(counts.get(t) is None for t in _TIERS):
        return SampleOutcome(sample, verdict, None, NOT_INTERPRETED)
    first, second, third = (int(counts[t]) for t in _TIERS)
    incidental = summary.get("incidental")
    return SampleOutcome(
        sample,
        verdict,
        (first, second, third),
        incidental=int(incidental) if isinstance(incidental, int) else None,
    )


def _texts(summary: Mapping[str, Any], key: str) -> tuple[str, ...]:
    values = summary.get(key)
    return tuple(str(v) for v in values) if isinstance(values, list) else ()


def read_outcomes(outdir: Path, samples: list[str]) -> list[SampleOutcome]:
    """Every sample's outcome, from the summaries under ``outdir``."""
    return [
        sample_outcome(sample, _read_summary(summary_path(outdir, sample))) for sample in samples
    ]


def _read_summary(path: Path) -> Mapping[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    # JSON object keys are strings; older summaries wrote tier keys as numbers.
    tiers = data.get("tiers")
    if isinstance(tiers, dict):
        data["tiers"] = {str(k): v for k, v in tiers.items()}
    return data


def format_run_summary(outcomes: list[SampleOutcome], index_html: Path | None) -> str:
    """The run's closing table, and where its reports are."""
    sample = _("sample")
    # Widths in terminal columns: a Chinese heading takes two a character.
    width = max([display_width(sample), *(len(o.sample) for o in outcomes)])
    tier_words = [_("Tier %(tier)s") % {"tier": t} for t in _TIERS]
    tier_width = max(6, *map(display_width, tier_words))
    tiers = "  ".join(padded(word, tier_width) for word in tier_words)
    incidental_word = _("Incidental")
    incidental_width = max(10, display_width(incidental_word))
    lines = [
        _("Run summary (QC verdict; tier counts are of PASS calls):"),
        f"{padded(sample, width, left=True)}  {'QC':<5}  {tiers}"
        f"  {padded(incidental_word, incidental_width)}",
    ]
    for o in outcomes:
        # The verdict and status words as the reports show them (PASS, NOT REPORTABLE).
        verdict = padded(_(o.verdict), 5, left=True)
        if o.tiers is None:
            result = _(o.status)
        else:
            incidental = "-" if o.incidental is None else str(o.incidental)
            counts = "  ".join(f"{count:>{tier_width}}" for count in o.tiers)
            result = f"{counts}  {incidental:>{incidental_width}}"
        lines.append(f"{o.sample:<{width}}  {verdict}  {result}")
    # Why a sample has no counts, as its report's banner says it (a bare NOT REPORTABLE
    # sends the user into the report to learn whether to repeat the sample).
    lines += [f"  {o.sample}: {reason}" for o in outcomes for reason in o.reasons]
    if index_html is not None:
        lines.append(_("Reports: %(index)s") % {"index": index_html})
    else:
        lines.append(_("Reports: no index.html was written (see the messages above)"))
    return "\n".join(lines)


def run_summary(outdir: Path, samples: list[str]) -> str:
    """The closing table of a run into ``outdir``."""
    index = outdir / layout.REPORT_INDEX
    return format_run_summary(read_outcomes(outdir, samples), index if index.exists() else None)
