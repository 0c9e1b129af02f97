"""A FASTQ pair checked: each file alone, then that R1 and R2 are mates.

Not the same file or a copy, not swapped, the same read names in the same order.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from labpipe.core.i18n import _
from labpipe.inputs.checks.fastq import FULL_CHECK_BYTES, HEAD_RECORDS, scan_fastq
from labpipe.inputs.checks.fastq_records import FastqScan
from labpipe.inputs.checks.files import excerpt


def check_fastq_pair(
    fq1: Path,
    fq2: Path,
    records: int = HEAD_RECORDS,
    *,
    full_check_bytes: int = FULL_CHECK_BYTES,
) -> list[str]:
    """Check R1 and R2 of a read pair, each alone and against each other.

    Beyond :func:`check_fastq` for each file: the two must not be the same file
    or the same reads, their read names must pair one to one in order within the
    first ``records`` reads, and neither may end before the other there.

    Args:
        fq1: Read 1 FASTQ.
        fq2: Read 2 FASTQ.
        records: Reads compared from the start of the files.
        full_check_bytes: As for :func:`check_fastq`.

    Returns:
        One message per problem; empty when the pair is usable.
    """
    fq1, fq2 = Path(fq1), Path(fq2)
    scan1 = scan_fastq(fq1, records, full_check_bytes)
    if _same_file(fq1, fq2):
        same = _("%(fq1)s and %(fq2)s are the same file: give R2 as fq2")
        return [*scan1.problems, same % {"fq1": fq1, "fq2": fq2}]
    scan2 = scan_fastq(fq2, records, full_check_bytes)
    problems = scan1.problems + scan2.problems
    if scan1.first_record is not None and scan1.first_record == scan2.first_record:
        copy = _(
            "%(fq1)s and %(fq2)s start with the same read: R2 is a copy of R1; give the R2 file"
            " as fq2"
        )
        problems.append(copy % {"fq1": fq1, "fq2": fq2})
        return problems
    pairing = _pairing_problems(fq1, fq2, scan1, scan2)
    problems.extend(pairing or _mate_problems(fq1, fq2, scan1, scan2))
    return problems


def _mate_number(scan: FastqScan) -> int | None:
    """The mate the first read's name declares: ``name/2`` or Illumina's ``name 2:N:0:…``."""
    if scan.first_record is None:
        return None
    words = scan.first_record[0][1:].split(maxsplit=1)
    if words and words[0][-2:] in (b"/1", b"/2"):
        return int(words[0][-1:])
    match = re.match(rb"([12]):[YN]:", words[1]) if len(words) > 1 else None
    return int(match.group(1)) if match else None


def _mate_problems(fq1: Path, fq2: Path, scan1: FastqScan, scan2: FastqScan) -> list[str]:
    """R1 and R2 whose read names say they are the other mate (columns swapped) or both one."""
    mate1, mate2 = _mate_number(scan1), _mate_number(scan2)
    if mate1 is None or mate2 is None or (mate1, mate2) == (1, 2):
        return []
    assert scan1.first_record is not None and scan2.first_record is not None
    said = _("read names say so: '%(name1)s' in fq1, '%(name2)s' in fq2") % {
        "name1": excerpt(scan1.first_record[0], 60),
        "name2": excerpt(scan2.first_record[0], 60),
    }
    values = {"fq1": fq1, "fq2": fq2, "said": said, "mate": mate1}
    if (mate1, mate2) == (2, 1):
        swapped = _(
            "%(fq1)s holds read 2 and %(fq2)s read 1 (%(said)s): swap fq1 and fq2 in the sample"
            " sheet (adapters and quality trimming differ between R1 and R2)"
        )
        return [swapped % values]
    both = _(
        "%(fq1)s and %(fq2)s both hold read %(mate)s (%(said)s): give the read 1 file as fq1"
        " and the read 2 file as fq2"
    )
    return [both % values]


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _pairing_problems(fq1: Path, fq2: Path, scan1: FastqScan, scan2: FastqScan) -> list[str]:
    shared = min(len(scan1.names), len(scan2.names))
    for index in range(shared):
        name1, shown1, line1 = scan1.names[index]
        name2, shown2, line2 = scan2.names[index]
        if name1 == name2:
            continue
        if sorted(n for n, _, _ in scan1.names[:shared]) == sorted(
            n for n, _, _ in scan2.names[:shared]
        ):
            why = _(
                "R2 holds the same reads in another order (sorted or shuffled?); re-pair them,"
                " e.g. with BBTools repair.sh"
            )
        else:
            why = _(
                "the files hold different reads (filtered separately, or from different runs"
                " or samples?); check the sample sheet"
            )
        unpaired = _(
            "%(fq1)s and %(fq2)s: read %(read)s does not pair: R1 line %(line1)s is"
            " '%(name1)s', R2 line %(line2)s is '%(name2)s'; %(why)s"
        )
        values = {"fq1": fq1, "fq2": fq2, "read": index + 1, "line1": line1, "line2": line2}
        names = {
            "name1": shown1.decode(errors="replace"),
            "name2": shown2.decode(errors="replace"),
        }
        return [unpaired % {**values, **names, "why": why}]
    if not (scan1.complete_window and scan2.complete_window):
        return []
    count1, count2 = len(scan1.names), len(scan2.names)
    if count1 != count2 and (scan1.reached_end or scan2.reached_end):
        short, long_, few = (fq1, fq2, count1) if count1 < count2 else (fq2, fq1, count2)
        ends = _(
            "%(short)s ends after %(reads)s reads but %(long)s has more: R1 and R2 must hold"
            " the same reads (is one of them cut short, or from another run?)"
        )
        return [ends % {"short": short, "reads": few, "long": long_}]
    return []


__all__ = [
    "check_fastq_pair",
]
