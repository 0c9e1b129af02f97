"""The one error hierarchy of labpipe.

Library code raises these; only :mod:`labpipe.cli` turns them into
``labpipe: error: ...`` and an exit code. Each message names the place (file,
line, sample) and what the user should do.
"""

from __future__ import annotations

import errno
import gzip
import zlib
from collections.abc import Iterable
from types import TracebackType

from labpipe.core.i18n import _


class LabpipeError(Exception):
    """Base of every error labpipe reports to the user.

    Attributes:
        exit_code: 2 for usage/config problems, 1 for data/run problems.
    """

    exit_code: int = 1

    def __init__(self, message: str, problems: Iterable[str] = ()) -> None:
        self.problems = list(problems)
        super().__init__(message)

    def render(self) -> str:
        """The full message: the headline, then one line per problem."""
        lines = [str(self)]
        lines.extend(f"  - {p}" for p in self.problems)
        return "\n".join(lines)


def on_line(line: int | None, problem: str) -> str:
    """``line N: problem`` in the current language; just ``problem`` without a line."""
    if not line:
        return problem
    return _("line %(line)s: %(problem)s") % {"line": line, "problem": problem}


class UsageError(LabpipeError):
    """The command line itself is wrong."""

    exit_code = 2


class ConfigError(LabpipeError):
    """The lab config is missing, unreadable or fails the schema."""

    exit_code = 2


class SampleSheetError(LabpipeError):
    """The sample sheet is malformed or names unusable samples or files."""

    exit_code = 2


class InputFormatError(LabpipeError):
    """An input data file (FASTQ, FASTA, BED, GFF3, VCF) is malformed."""

    exit_code = 1


class MissingToolError(LabpipeError):
    """An external tool is missing or older than labpipe needs."""

    exit_code = 1


class InstallError(LabpipeError):
    """labpipe's own installation is incomplete (e.g. its Python lock is missing)."""

    exit_code = 1


class RunError(LabpipeError):
    """A workflow step failed while running."""

    exit_code = 1


# Where a ValueError means "this file is not what it should be" rather than a bug:
# pysam and cyvcf2 raise it for a file that is not VCF/BAM/FASTA.
_FORMAT_VALUE_ERROR_MODULES = ("pysam", "cyvcf2")


def _raised_in(traceback: TracebackType | None, modules: tuple[str, ...]) -> bool:
    while traceback is not None:
        if traceback.tb_next is None:
            name = traceback.tb_frame.f_globals.get("__name__", "")
            filename = traceback.tb_frame.f_code.co_filename
            return any(m in name.split(".")[0] or f"/{m}/" in filename for m in modules)
        traceback = traceback.tb_next
    return False


def from_os_or_format_error(exc: BaseException) -> LabpipeError | None:
    """The user's message for an expected OS or file-format error, or None for a bug.

    Library code names the file where it can; this is the net under it, so that a
    full disk, a read-only folder or a file of the wrong type anywhere ends as
    ``labpipe: error: …`` and not as a traceback.
    """
    if isinstance(exc, OSError) and exc.errno is not None:
        where = f" {exc.filename}" if exc.filename else ""
        if exc.errno == errno.ENOSPC:
            writing = f" while writing {exc.filename}" if exc.filename else ""
            return RunError(
                f"no space left on device{writing}; free space and run the same command again"
            )
        if exc.errno == errno.EDQUOT:
            return RunError(
                f"disk quota exceeded{' while writing' + where if where else ''}; "
                "free space and run the same command again"
            )
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return RunError(
                f"cannot write{where or ' a file'}: {exc.strerror}; choose a folder you can "
                "write to, or fix its permissions"
            )
        if exc.errno in (errno.ENOENT, errno.ENOTDIR, errno.EISDIR):
            return InputFormatError(f"{exc.filename or 'a file'}: {exc.strerror}")
        return RunError(f"{exc.filename or 'a file'}: {exc.strerror or exc}")
    if isinstance(exc, OSError) and not isinstance(exc, gzip.BadGzipFile):
        # htslib's "error when opening file" and the like: an OSError without errno.
        return InputFormatError(
            f"a file could not be read ({exc}); check that it is the kind of file asked for"
        )
    if isinstance(exc, (OSError, EOFError, zlib.error)):
        # gzip.BadGzipFile, a truncated gzip, a bad deflate stream.
        return InputFormatError(
            f"a compressed input is corrupt or cut short ({exc}); "
            "run again with --debug to see which file"
        )
    if isinstance(exc, UnicodeDecodeError):
        return InputFormatError(
            f"an input file is not text (byte {exc.start}: {exc.reason}); "
            "run again with --debug to see which file"
        )
    if isinstance(exc, ValueError) and _raised_in(exc.__traceback__, _FORMAT_VALUE_ERROR_MODULES):
        return InputFormatError(f"a file could not be read: {exc}")
    return None
