"""The targets BED checked: readable text, tab-separated, on the reference's contigs."""

from __future__ import annotations

import zlib
from pathlib import Path

from labpipe.core.errors import InputFormatError
from labpipe.core.i18n import _
from labpipe.core.regions import read_bed
from labpipe.inputs.checks.files import GZIP_MAGIC, ListedProblems


def check_targets(bed: Path, contigs: dict[str, int] | None) -> list[str]:
    """Check a targets BED against the reference, every problem as a list.

    Args:
        bed: The BED (plain or gzip).
        contigs: Reference contig lengths, or None to check the BED's own format only.

    Returns:
        One message per problem, each naming the file; empty when the BED is usable.
    """
    bed = Path(bed)
    try:
        with open(bed, "rb") as handle:
            gzipped = handle.read(2) == GZIP_MAGIC
    except FileNotFoundError:
        return [_("%(path)s: the targets BED does not exist") % {"path": bed}]
    except OSError as exc:
        return [_("%(path)s: cannot be read (%(why)s)") % {"path": bed, "why": exc.strerror}]
    if gzipped != bed.name.endswith(".gz"):
        if gzipped:
            named = _("%(path)s: the file is gzip-compressed but its name does not end in .gz")
        else:
            named = _("%(path)s: the name ends in .gz but the file is not gzip-compressed")
        return [named % {"path": bed}]
    try:
        read_bed(bed, contigs)
    except InputFormatError as exc:
        listed = ListedProblems()  # a whole exome BED written with spaces: not 20,000 lines
        for problem in exc.problems:
            listed.add(f"{bed}: {problem}")
        return listed.shown() or [str(exc)]
    except UnicodeDecodeError:
        return [_("%(path)s: not a text file; a BED has tab-separated text lines") % {"path": bed}]
    except (OSError, EOFError, zlib.error) as exc:
        unreadable = _("%(path)s: cannot be read (%(why)s); copy the file again")
        return [unreadable % {"path": bed, "why": exc}]
    return []


__all__ = [
    "check_targets",
]
