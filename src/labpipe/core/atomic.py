"""Writing output files complete or not at all.

Every file labpipe writes itself goes through here: it is written under a
temporary name in the same folder and renamed into place only when complete,
so a killed run never leaves a half-written file that looks finished. The
workflow's shell rules do the same with ``labpipe step finish`` (see
:func:`finish_outputs`), which also refuses a BGZF file (BAM, BCF, .vcf.gz)
that lacks its end-of-file block: the mark of a tool cut short.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from labpipe.core.errors import RunError

# The empty BGZF block every complete BGZF file ends with (SAM/BAM specification, 4.1.2).
BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")
# Endings of the files that must be BGZF: a BAM, a BCF, or a bgzipped VCF/BED/TSV.
BGZF_ENDINGS = (".bam", ".bcf", ".gz")
# What a shell rule calls its output before it is complete (see finish_outputs).
PARTIAL = ".partial"


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _named(exc: OSError, path: Path) -> OSError:
    """The same error, naming the file being written (a failed write() names none)."""
    if exc.filename is not None:
        return exc
    return type(exc)(exc.errno, exc.strerror or str(exc), str(path))


@contextmanager
def atomic_path(path: Path, suffix: str = ".tmp", companions: Sequence[str] = ()) -> Iterator[Path]:
    """A temporary path to write; renamed to ``path`` if the block succeeds, else removed.

    Args:
        path: The final file.
        suffix: Ending of the temporary name (some writers choose the format by it).
        companions: Endings of files written beside the temporary one (e.g. ``.tbi`` of
            a tabix index), moved into place beside ``path`` first.

    Raises:
        OSError: A failed write, naming ``path`` (so a full disk says which file).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Same folder, so the rename is atomic on one file system.
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(fd)
    temporary = Path(name)
    extras = [(Path(name + ending), Path(str(path) + ending)) for ending in companions]
    mode = 0o666 & ~_umask()
    try:
        try:
            yield temporary
        except OSError as exc:
            raise _named(exc, path) from exc
        # mkstemp creates 0600; results must be readable as any file the user makes.
        for written, final in [*extras, (temporary, path)]:
            written.chmod(mode)
            os.replace(written, final)
    finally:
        for leftover in [temporary, *(written for written, _ in extras)]:
            leftover.unlink(missing_ok=True)


def write_text_atomic(path: Path, text: str) -> None:
    """Write a text file (UTF-8) complete or not at all."""
    with atomic_path(path) as temporary:
        temporary.write_text(text, encoding="utf-8")


def bgzf_complete(path: Path) -> bool:
    """Whether a BGZF file ends with the end-of-file block (an empty file does not)."""
    size = path.stat().st_size
    if size < len(BGZF_EOF):
        return False
    with open(path, "rb") as handle:
        handle.seek(size - len(BGZF_EOF))
        return handle.read() == BGZF_EOF


def finish_outputs(
    outputs: Sequence[Path], prefix: tuple[str, str] | None = None, empty_ok: bool = False
) -> None:
    """Move the files a shell rule wrote under temporary names into place, once all are complete.

    By default each output was written as ``<output>.partial``. A tool that names its
    files from a prefix (mosdepth, MultiQC) is given a temporary prefix instead:
    ``prefix=(TEMPORARY, FINAL)`` then moves every file or folder whose path starts
    with TEMPORARY to the same path with FINAL, the outputs among them.

    Nothing is moved unless every output is there and every BGZF one (by its final
    name's ending) ends with the end-of-file block, so a tool that exited 0 after
    being cut short, or a kill between two moves, never leaves a finished-looking result.

    Args:
        outputs: The rule's outputs, by their final names.
        prefix: Temporary and final prefix, for tools that name their files themselves.
        empty_ok: Accept an empty file as a BGZF output (a placeholder the rule wrote).

    Raises:
        RunError: An output is missing or cut short.
    """
    moves: dict[Path, Path] = {}
    if prefix is not None:
        temporary, final = prefix
        folder = Path(temporary).parent
        for written in sorted(folder.glob(Path(temporary).name + "*")):
            moves[written] = Path(final + str(written)[len(str(folder / Path(temporary).name)) :])
    written_as = {final: partial for partial, final in moves.items()}
    problems = []
    for output in map(Path, outputs):
        partial = written_as.get(output, Path(f"{output}{PARTIAL}"))
        moves.setdefault(partial, output)
        if not partial.is_file():
            problems.append(f"{partial}: not written")
        elif (
            str(output).endswith(BGZF_ENDINGS)
            and not (empty_ok and partial.stat().st_size == 0)
            and not bgzf_complete(partial)
        ):
            problems.append(
                f"{partial}: cut short (no BGZF end-of-file block); the tool that wrote "
                "it stopped early, often for lack of disk space: read the step's log"
            )
    if problems:
        raise RunError("outputs incomplete, not moved into place", problems)
    mode = 0o666 & ~_umask()
    for partial, output in moves.items():
        if partial.is_dir():
            # A tool's folder (MultiQC's data) replaces the earlier run's whole.
            shutil.rmtree(output, ignore_errors=True)
        else:
            partial.chmod(mode)
        os.replace(partial, output)
    if prefix is not None and Path(prefix[0]).parent != Path(prefix[1]).parent:
        # The tool's own scratch folder, now empty.
        with contextlib.suppress(OSError):
            Path(prefix[0]).parent.rmdir()


def remove_partials(folder: Path) -> list[Path]:
    """Delete the ``*.partial`` files and folders failed steps left under ``folder``.

    Snakemake removes a failed step's declared outputs, not the temporary names the
    step wrote: without this a full disk would stay full of them.

    Returns:
        What was removed.
    """
    removed = sorted(Path(folder).rglob(f"*{PARTIAL}"))
    for partial in removed:
        if partial.is_dir():
            shutil.rmtree(partial, ignore_errors=True)
        else:
            partial.unlink(missing_ok=True)
    return removed
