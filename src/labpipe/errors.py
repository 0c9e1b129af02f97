"""The one error hierarchy of labpipe.

Library code raises these; only :mod:`labpipe.cli` turns them into
``labpipe: error: ...`` and an exit code. Each message names the place (file,
line, sample) and what the user should do.
"""

from __future__ import annotations

from collections.abc import Iterable


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


class RunError(LabpipeError):
    """A workflow step failed while running."""

    exit_code = 1
