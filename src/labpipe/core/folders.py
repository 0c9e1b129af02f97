"""Output folders: a command writes into a fresh one unless told to overwrite."""

from __future__ import annotations

from pathlib import Path

from labpipe.core.errors import UsageError


def output_folder_problem(outdir: Path, overwrite: bool) -> str | None:
    """Why ``outdir`` cannot take a command's output, or None when it can.

    Files of an earlier run left beside new ones could pass for part of the new
    output, so a command writes into a new or empty folder unless ``overwrite``.

    Args:
        outdir: The ``--outdir`` given.
        overwrite: ``--overwrite`` was given: write into the folder anyway, replacing
            files of the same name (other files are left alone).
    """
    if outdir.exists() and not outdir.is_dir():
        return f"--outdir {outdir} exists and is not a folder; choose another --outdir"
    if outdir.is_dir() and not overwrite and any(outdir.iterdir()):
        return (
            f"--outdir {outdir} is not empty; choose a fresh --outdir or add --overwrite "
            "(files of the same name are then replaced, others left alone)"
        )
    return None


def claim_output_folder(outdir: Path, overwrite: bool, command: str) -> None:
    """Check ``outdir`` with :func:`output_folder_problem` and create it.

    Args:
        outdir: The ``--outdir`` given.
        overwrite: ``--overwrite`` was given.
        command: The command, for the message (``labpipe simulate``).

    Raises:
        UsageError: ``outdir`` is a file, or a non-empty folder without ``overwrite``.
    """
    problem = output_folder_problem(outdir, overwrite)
    if problem is not None:
        raise UsageError(f"{command}: {problem}")
    outdir.mkdir(parents=True, exist_ok=True)
