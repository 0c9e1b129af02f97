"""labpipe's own columns in MultiQC's General Statistics: one row per sample.

fastp reports each lane (unit) on its own, which made MultiQC's General
Statistics show one row per lane beside each sample's row. The workflow turns
fastp's columns off there (``workflow/multiqc_config.yaml``) and gives MultiQC
this custom-content table instead: the read figures summed over the sample's
lanes (as in ``qc_summary.tsv``) and the sample's QC verdict, computed exactly
as the sample's report computes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from labpipe.config.lab import QcThresholds
from labpipe.core.atomic import write_text_atomic
from labpipe.qc.metrics import SampleQC
from labpipe.qc.run_verdicts import run_verdicts

# MultiQC reads the lines starting with '#' as the table's configuration (YAML).
_HEADER = """\
# id: "labpipe"
# section_name: "labpipe"
# plot_type: "generalstats"
# pconfig:
#     - qc_verdict:
#         title: "QC verdict"
#         description: "labpipe's QC verdict against the lab's thresholds (see the report)"
#         scale: false
#         cond_formatting_rules:
#             pass: [{s_eq: "PASS"}]
#             warn: [{s_eq: "WARN"}]
#             fail: [{s_eq: "FAIL"}]
#     - reads_total:
#         title: "Reads"
#         description: "Reads entering trimming (mates counted separately), summed over lanes"
#         format: "{:,.0f}"
#         scale: "Blues"
#     - q30_pct:
#         title: "% Q30"
#         description: "Raw bases with quality >= 30, over all lanes"
#         suffix: "%"
#         max: 100
#         min: 0
#         scale: "RdYlGn"
#     - adapter_trimmed_reads:
#         title: "Adapter reads"
#         description: "Reads in which fastp trimmed adapter, summed over lanes"
#         format: "{:,.0f}"
#         scale: "Purples"
"""


def general_stats_table(rows: list[SampleQC], verdicts: Mapping[str, str]) -> str:
    """The custom-content TSV: one line per sample, in the order of ``rows``."""
    lines = ["Sample\tqc_verdict\treads_total\tq30_pct\tadapter_trimmed_reads"]
    for row in rows:
        lines.append(
            f"{row.sample}\t{verdicts[row.sample].upper()}\t{row.reads_total}"
            f"\t{row.q30_pct:.2f}\t{row.adapter_trimmed_reads}"
        )
    return _HEADER + "\n".join(lines) + "\n"


def write_general_stats(
    qc_table: Path,
    variants: Mapping[str, Path],
    thresholds: QcThresholds,
    out: Path,
    identity: Path | None = None,
) -> None:
    """Write the table for the samples of ``variants`` (sample -> its variant table).

    ``identity``: the batch's identity checks (``identity.json``), which the verdict counts.

    Raises:
        InputFormatError: The QC table has no row for a sample, or a table cannot be read.
    """
    rows, verdicts = run_verdicts(qc_table, variants, thresholds, identity)
    overall = {sample: verdict.overall for sample, verdict in verdicts.items()}
    write_text_atomic(out, general_stats_table([rows[s] for s in variants], overall))
