"""Every input file of a run checked before any tool runs, all problems at once.

FASTQ pairs (:mod:`~labpipe.inputs.checks.fastq_pair`), the reference
(:mod:`~labpipe.inputs.checks.fasta`), the targets BED and the annotation GFF3;
:func:`labpipe.run.pipeline.validate_inputs` reports the problems in one error.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from pathlib import Path

from labpipe.config.samplesheet import Unit
from labpipe.core.errors import InputFormatError
from labpipe.core.i18n import _
from labpipe.inputs.checks.fasta import check_reference_and_contigs, reference_contigs
from labpipe.inputs.checks.fastq import HEAD_RECORDS
from labpipe.inputs.checks.fastq_pair import check_fastq_pair
from labpipe.inputs.checks.gff3 import check_gff3_contigs
from labpipe.inputs.checks.targets import check_targets

#: From this many FASTQ pairs on, they are checked in parallel processes.
PARALLEL_PAIRS = 4


def _check_pair(pair: tuple[Path, Path], records: int) -> list[str]:
    return check_fastq_pair(pair[0], pair[1], records)


def _check_pairs(pairs: Sequence[tuple[Path, Path]], records: int) -> list[list[str]]:
    """:func:`check_fastq_pair` of each pair, in order.

    The check is Python work of about 50 ms a pair, so a batch of 48 samples took seconds
    before every run; a batch's pairs are checked by one process per available core.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    workers = min(len(pairs), cores or 1)
    if len(pairs) < PARALLEL_PAIRS or workers < 2:
        return [_check_pair(pair, records) for pair in pairs]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # fork: the workers need nothing but this module, already loaded (no re-import).
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        return list(pool.map(_check_pair, pairs, itertools.repeat(records)))


def check_inputs(
    units: Sequence[Unit],
    fasta: Path,
    targets: Path | None = None,
    gff3: Path | None = None,
    records: int = HEAD_RECORDS,
) -> list[str]:
    """Every input file of a run checked, all problems at once.

    Args:
        units: The sample sheet's units (their FASTQ pairs are checked).
        fasta: The reference FASTA.
        targets: The targets BED, if the config names one.
        gff3: The annotation GFF3, if the config names one.
        records: Reads checked at the start of each FASTQ.

    Returns:
        One message per problem; FASTQ problems start with the sample, unit and
        sample-sheet line they belong to.
    """
    problems: list[str] = []
    pairs = [(unit.fq1, unit.fq2) for unit in units]
    for unit, found in zip(units, _check_pairs(pairs, records), strict=True):
        where = _("sample %(sample)s unit %(unit)s (sheet line %(line)s)") % {
            "sample": unit.sample,
            "unit": unit.unit,
            "line": unit.line,
        }
        problems.extend(f"{where}: {p}" for p in found)
    reference, contigs = check_reference_and_contigs(Path(fasta))
    problems.extend(reference)
    if reference:
        contigs = None
    elif contigs is None:
        try:
            contigs = reference_contigs(fasta)
        except InputFormatError as exc:
            problems.append(str(exc))
    if targets is not None:
        problems.extend(check_targets(targets, contigs))
    if gff3 is not None and contigs is not None:
        problems.extend(check_gff3_contigs(gff3, contigs))
    return problems


__all__ = [
    "check_inputs",
]
