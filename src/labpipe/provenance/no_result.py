"""Samples a run could not analyse, so that the others' reports, QC and index still finish.

When a sample's step fails, Snakemake (``--keep-going``) finishes every other
sample's own steps but cannot build the run-level outputs (QC table, MultiQC,
reports, index, manifest), which need every sample. ``labpipe run`` then records
the failed samples here and runs the workflow once more without them: the
run-level outputs are built from the samples that have results, each failed
sample gets a ``<sample>.summary.json`` with status ``NO_RESULT`` naming the step
and its log (the index shows it as "NO RESULT"), and the run still exits non-zero.
The record is cleared at the start of every run, so a fixed sample rejoins.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from labpipe.config.samplesheet import Unit
from labpipe.core import layout
from labpipe.core.atomic import write_text_atomic
from labpipe.core.i18n import _

#: Relative to the output folder.
NO_RESULT_FILE = Path(layout.NO_RESULT)
NO_RESULT_STATUS = "NO_RESULT"


def summary_path(outdir: Path, sample: str) -> Path:
    """Where a sample's report summary lives (the run index reads these)."""
    return layout.in_outdir(outdir, layout.REPORT_SUMMARY, sample=sample)


def read_no_result(outdir: Path) -> dict[str, str]:
    """Samples left out of this run's run-level outputs, with why (empty: none)."""
    try:
        data = json.loads((outdir / NO_RESULT_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def analysable(units: Sequence[Unit], outdir: Path = Path(".")) -> list[Unit]:
    """The units of samples that have not failed in this run."""
    left_out = read_no_result(outdir)
    return [u for u in units if u.sample not in left_out]


def record_no_result(outdir: Path, reasons: Mapping[str, str]) -> None:
    """Record the failed samples and write each one's NO_RESULT summary."""
    write_text_atomic(outdir / NO_RESULT_FILE, json.dumps(dict(reasons), indent=2) + "\n")
    for sample, reason in reasons.items():
        summary: dict[str, Any] = {
            "sample": sample,
            "status": NO_RESULT_STATUS,
            "verdict": "no result",
            # In the run's language, as the index shows them (labpipe run sets it).
            "problems": [_("NO RESULT: %(reason)s") % {"reason": reason}],
            "not_checked": [_("everything: the sample was not analysed")],
            "tiers": {},
            "roh_segments": None,
            "low_regions": None,
            "report": "",
            "files": {},
        }
        write_text_atomic(summary_path(outdir, sample), json.dumps(summary, indent=2) + "\n")


def clear_no_result(outdir: Path) -> None:
    """Forget an earlier run's failed samples and their NO_RESULT summaries."""
    for sample in read_no_result(outdir):
        path = summary_path(outdir, sample)
        try:
            if json.loads(path.read_text()).get("status") == NO_RESULT_STATUS:
                path.unlink()
        except (OSError, ValueError, AttributeError):
            pass
    (outdir / NO_RESULT_FILE).unlink(missing_ok=True)
