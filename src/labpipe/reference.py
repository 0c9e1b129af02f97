"""Reference genome indexes: what exists, what is missing, building them."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from labpipe.errors import InputFormatError, MissingToolError

BWA_SUFFIXES = (".amb", ".ann", ".bwt", ".pac", ".sa")


def index_files(fasta: Path) -> dict[str, list[Path]]:
    """The index files labpipe needs beside a FASTA, by the tool that builds them."""
    return {
        "samtools faidx": [Path(f"{fasta}.fai")],
        "bwa index": [Path(f"{fasta}{suffix}") for suffix in BWA_SUFFIXES],
    }


def missing_indexes(fasta: Path) -> list[Path]:
    """Index files not present beside ``fasta``."""
    return [p for files in index_files(fasta).values() for p in files if not p.exists()]


def index_problems(fasta: Path) -> list[str]:
    """Why the reference's indexes can neither be used nor built, if so."""
    missing = missing_indexes(fasta)
    if missing and not os.access(fasta.parent, os.W_OK):
        names = ", ".join(p.name for p in missing)
        return [
            f"reference {fasta} has no {names} and its folder is not writable: run "
            f"`labpipe reference prepare {fasta}` as a user who can write there, "
            "or copy the FASTA to a writable folder"
        ]
    return []


def prepare_reference(fasta: Path) -> list[str]:
    """Build the missing indexes of a FASTA beside it.

    Returns:
        One line per index saying what was done.

    Raises:
        InputFormatError: The FASTA is missing or an indexer rejects it.
    """
    fasta = Path(fasta)
    if not fasta.is_file():
        raise InputFormatError(f"reference FASTA {fasta} does not exist")
    problems = index_problems(fasta)
    if problems:
        raise InputFormatError(problems[0])
    report = []
    for tool, files in index_files(fasta).items():
        if all(p.exists() for p in files):
            report.append(f"{tool}: present ({', '.join(p.name for p in files)})")
            continue
        command = [*tool.split(), str(fasta)]
        try:
            result = subprocess.run(command, capture_output=True, text=True, check=False)
        except FileNotFoundError:
            raise MissingToolError(f"{command[0]} is not installed; run `labpipe doctor`") from None
        if result.returncode != 0:
            said = result.stderr.strip().splitlines()[-3:]
            raise InputFormatError(f"{tool} failed on {fasta}", said)
        report.append(f"{tool}: built ({', '.join(p.name for p in files)})")
    return report
