"""Several samples' QC verdicts from the run's files: ``qc_summary.tsv``, each sample's
annotated variant table (the PASS-call ratios) and the batch's ``identity.json``.

The one place these files are turned into verdicts for more than one sample: MultiQC's
General Statistics column (:mod:`labpipe.report.multiqc_table`) and the family's QC
(:mod:`labpipe.report.family_trust`) read them here, computed exactly as each sample's own
report computes its verdict (:func:`labpipe.qc.verdict.qc_verdict`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from labpipe.annotation.annotated_table import read_annotated_table
from labpipe.config.lab import QcThresholds
from labpipe.core.errors import InputFormatError
from labpipe.qc.metrics import SampleQC, read_qc_table
from labpipe.qc.verdict import QcVerdict, qc_verdict, variant_counts


def run_verdicts(
    qc_table: Path,
    variants: Mapping[str, Path],
    thresholds: QcThresholds,
    identity: Path | None = None,
) -> tuple[dict[str, SampleQC], dict[str, QcVerdict]]:
    """The QC rows and verdicts of the samples of ``variants`` (sample -> its variant table).

    Args:
        qc_table: ``results/qc/qc_summary.tsv``.
        variants: Each sample's annotated variant table (``<sample>.tsv``).
        thresholds: The config's ``qc`` section.
        identity: The batch's ``identity.json`` (kinship and contamination count in the
            verdict); None leaves those checks out.

    Returns:
        (every row of the QC table by sample, the verdict of each sample of ``variants``).

    Raises:
        InputFormatError: The QC table has no row for a sample, or a table cannot be read.
    """
    from labpipe.qc.identity import read_identity  # numpy: only when there is a record

    rows = {row.sample: row for row in read_qc_table(qc_table)}
    missing = [sample for sample in variants if sample not in rows]
    if missing:
        raise InputFormatError(f"{qc_table}: no row for sample(s) {', '.join(missing)}")
    checked = read_identity(identity) if identity is not None else None
    verdicts = {}
    for sample, path in variants.items():
        counts = variant_counts(v.row for v in read_annotated_table(path).variants)
        verdicts[sample] = qc_verdict(sample, rows[sample], counts, thresholds, checked)
    return rows, verdicts
