"""Output folders: a command writes into a fresh one unless told to overwrite."""

from __future__ import annotations

from pathlib import Path

from labpipe.core.errors import UsageError


def claim_output_folder(outdir: Path, overwrite: bool, command: str) -> None:
    """Refuse a folder that already holds files unless ``overwrite`` is set; create it.

    Files of an earlier run left beside new ones could pass for part of the new
    output, so a command writes into an empty or new folder by default.

    Args:
        outdir: The ``--outdir`` given.
        overwrite: ``--overwrite`` was given: write into the folder anyway, replacing
            files of the same name (other files are left alone).
        command: The command, for the message (``labpipe simulate``).

    Raises:
        UsageError: ``outdir`` is a file, or a non-empty folder without ``overwrite``.
    """
    if outdir.exists() and not outdir.is_dir():
        raise UsageError(
            f"{command}: --outdir {outdir} exists and is not a folder; choose another --outdir"
        )
    if outdir.is_dir() and not overwrite and any(outdir.iterdir()):
        raise UsageError(
            f"{command}: --outdir {outdir} is not empty; choose a fresh --outdir or add "
            "--overwrite (files of the same name are then replaced, others left alone)"
        )
    outdir.mkdir(parents=True, exist_ok=True)
