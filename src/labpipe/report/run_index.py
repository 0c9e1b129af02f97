"""The run's ``index.html``: every sample's status, QC verdict and (if reportable) tier counts,
from the samples' ``<sample>.summary.json``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path

from labpipe import __version__
from labpipe.config.lab import LabConfig
from labpipe.config.settings import config_sha256
from labpipe.core.atomic import write_text_atomic
from labpipe.core.errors import InputFormatError
from labpipe.core.i18n import ENGLISH, choose_language
from labpipe.core.layout import family_report
from labpipe.qc.gene_coverage import (
    REPORT_DEPTH,
)
from labpipe.report.build import read_json_object, report_time
from labpipe.report.contents import (
    NO_RESULT,
    NOT_INTERPRETED,
    NOT_REPORTABLE,
    REPORTABLE,
    SampleSummary,
)
from labpipe.report.html import templates


def read_summary(path: Path) -> SampleSummary:
    """A summary written by :func:`write_sample_report`."""
    data = read_json_object(path)
    try:
        # Counts only where there is a result to count (a NO_RESULT summary writes {}).
        tiers = data.get("tiers") if data.get("status", REPORTABLE) == REPORTABLE else None
        data["tiers"] = {int(k): v for k, v in tiers.items()} if tiers is not None else None
        # Fields a newer or other writer adds are not the index's concern.
        known = {f.name for f in fields(SampleSummary)}
        return SampleSummary(**{k: v for k, v in data.items() if k in known})
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputFormatError(f"{path}: not a labpipe report summary ({exc})") from exc


def render_index(
    lab_name: str,
    summaries: Sequence[SampleSummary],
    multiqc: str,
    generated: str,
    config_hash: str,
    families: Sequence[str] = (),
    language: str = ENGLISH,
) -> str:
    """The run's ``index.html``: every sample's status, verdict and (if reportable) tiers."""
    by_status = {
        status: [s for s in summaries if s.status == status]
        for status in (REPORTABLE, NOT_REPORTABLE, NOT_INTERPRETED, NO_RESULT)
    }
    template = templates(language).get_template("index.html")
    return template.render(
        lab_name=lab_name,
        summaries=summaries,
        by_status=by_status,
        not_interpreted_reasons=list(
            dict.fromkeys(
                r
                for s in by_status[NOT_INTERPRETED]
                for r in s.status_reasons  # a missing source's (QC passed)
            )
        ),
        multiqc=multiqc,
        generated=generated,
        config_hash=config_hash,
        version=__version__,
        report_depth=REPORT_DEPTH,
        families=[(f, Path(family_report(f)).name) for f in families],
    )


def write_run_index(
    config: LabConfig,
    summaries: Sequence[Path],
    multiqc: str,
    out_html: Path,
    families: Sequence[str] = (),
) -> None:
    """Write ``index.html`` from the samples' report summaries.

    Args:
        config: The resolved lab config.
        summaries: ``<sample>.summary.json`` files, in sample-sheet order.
        multiqc: Link to the MultiQC report, relative to ``out_html``.
        out_html: ``results/report/index.html``.
        families: Families with a page (``family-<family>.html``), linked from the index.
    """
    language = choose_language(config.report.language)
    text = render_index(
        config.lab.name,
        [read_summary(path) for path in summaries],
        multiqc,
        report_time(config, language=language),
        config_sha256(config),
        families,
        language,
    )
    write_text_atomic(out_html, text)
