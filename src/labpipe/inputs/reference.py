"""Reference genome indexes: what exists, what is missing, building them, and which FASTA
they were built from.

Indexes are tied to their FASTA by a stamp file beside it
(``<fasta>.labpipe-index.json``): the FASTA's size, mtime and sha256 when the
indexes were built, and each index file's size. A FASTA edited afterwards, or an
index file cut short or replaced (a killed copy), no longer matches, and ``validate``
and ``run`` refuse it until ``labpipe reference prepare`` rebuilds. Indexes are
built in a temporary folder and moved into place, then the stamp is written, so a
killed ``prepare`` leaves nothing that counts as a finished index.

The aligner's index is bwa's (five files) or minimap2's (``<fasta>.mmi``, built with the
short-read preset), as ``alignment.aligner`` says; the stamp records whichever exist.

Before building, ``prepare`` says what the build needs and stops when this computer has
too little, and warns about ALT contigs (:mod:`labpipe.inputs.reference_needs`).

References indexed by labpipe before stamps existed (indexes present, no stamp)
are accepted with a warning: ``reference prepare`` checks such indexes against
the FASTA (the ``.fai`` layout and the bwa index's contig names and lengths) and
stamps them, or rebuilds them when they do not match.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labpipe import __version__
from labpipe.core.atomic import write_text_atomic
from labpipe.core.errors import InputFormatError, MissingToolError
from labpipe.inputs.reference_needs import (
    alt_contig_warning,
    build_needs,
    require_build_resources,
)

if TYPE_CHECKING:
    import pysam

BWA_SUFFIXES = (".amb", ".ann", ".bwt", ".pac", ".sa")
MINIMAP2_SUFFIX = ".mmi"
ALIGNERS = ("bwa", "minimap2")
STAMP_SUFFIX = ".labpipe-index.json"
_STAMP_VERSION = 1


def index_files(fasta: Path, aligner: str = "bwa") -> dict[str, list[Path]]:
    """The index files ``aligner`` needs beside a FASTA, by the tool that builds them."""
    files = {"samtools faidx": [Path(f"{fasta}.fai")]}
    if aligner == "minimap2":
        files["minimap2 index"] = [Path(f"{fasta}{MINIMAP2_SUFFIX}")]
    else:
        files["bwa index"] = [Path(f"{fasta}{suffix}") for suffix in BWA_SUFFIXES]
    return files


def _known_index_files(fasta: Path) -> list[Path]:
    """Every index file labpipe builds beside a FASTA, for any aligner."""
    return [
        Path(f"{fasta}.fai"),
        *(Path(f"{fasta}{suffix}") for suffix in BWA_SUFFIXES),
        Path(f"{fasta}{MINIMAP2_SUFFIX}"),
    ]


def stamp_path(fasta: Path) -> Path:
    """The stamp file that ties the indexes to the FASTA they were built from."""
    return Path(f"{fasta}{STAMP_SUFFIX}")


def missing_indexes(fasta: Path, aligner: str = "bwa") -> list[Path]:
    """Index files ``aligner`` needs that are not present beside ``fasta``."""
    return [p for files in index_files(fasta, aligner).values() for p in files if not p.exists()]


def index_problems(fasta: Path, aligner: str = "bwa") -> list[str]:
    """Why the reference's indexes can neither be used nor built, if so."""
    missing = missing_indexes(fasta, aligner)
    if missing and not os.access(fasta.parent, os.W_OK):
        names = ", ".join(p.name for p in missing)
        return [
            f"reference {fasta} has no {names} and its folder is not writable: run "
            f"`labpipe reference prepare{_aligner_option(aligner)} {fasta}` as a user who can"
            " write there, "
            "or copy the FASTA to a writable folder"
        ]
    return []


@dataclass(frozen=True)
class IndexState:
    """Whether a reference's indexes belong to its FASTA.

    Attributes:
        problems: Reasons the indexes must not be used (the FASTA changed).
        warnings: Reasons they are used unchecked (no stamp: an earlier labpipe built them).
    """

    problems: list[str]
    warnings: list[str]


def _aligner_option(aligner: str) -> str:
    """The ``prepare`` option that builds ``aligner``'s index ('' for the default, bwa)."""
    return "" if aligner == "bwa" else f" --aligner {aligner}"


def index_state(fasta: Path, aligner: str = "bwa") -> IndexState:
    """Check the stamp beside ``fasta`` against the FASTA, cheaply first.

    Size and mtime equal to the stamp's: current. Otherwise the FASTA is hashed
    and compared with the stamp's sha256 (a copy or ``touch`` keeps the content).
    Indexes missing altogether are not this function's business (the workflow
    builds them).
    """
    fasta = Path(fasta)
    if missing_indexes(fasta, aligner) or not fasta.is_file():
        return IndexState([], [])
    stamp = stamp_path(fasta)
    prepare = f"rerun `labpipe reference prepare{_aligner_option(aligner)} {fasta}`"
    if not stamp.exists():
        return IndexState(
            [],
            [
                f"reference {fasta}: its indexes have no {stamp.name} (built by an earlier"
                f" labpipe or by hand), so they are not checked against the FASTA; {prepare}"
                " to check and stamp them"
            ],
        )
    recorded = _read_stamp(stamp)
    if recorded is None:
        return IndexState([f"{stamp}: unreadable index stamp; {prepare}"], [])
    if _same_content(fasta, recorded):
        return IndexState(
            [
                f"reference {fasta}: {change}; the index is damaged or from another FASTA"
                f" (a killed prepare or copy?): {prepare} to rebuild it"
                for change in _index_size_changes(fasta, recorded)
            ],
            [],
        )
    return IndexState(
        [
            f"reference {fasta} changed after its indexes were built (its content differs"
            f" from the one recorded in {stamp.name}): the .fai and {aligner} index describe"
            f" the old file; {prepare} to rebuild them"
        ],
        [],
    )


def _read_stamp(stamp: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(stamp.read_text())
    except (OSError, ValueError):
        return None
    keys = ("size", "mtime_ns", "sha256")
    return data if isinstance(data, dict) and all(k in data for k in keys) else None


def _index_sizes(fasta: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in _known_index_files(fasta) if p.exists()}


def _index_size_changes(fasta: Path, recorded: dict[str, Any]) -> list[str]:
    """Index files whose size is not the one ``prepare`` stamped (cut short, replaced).

    Stamps written before sizes were recorded have none to compare: nothing is said.
    """
    sizes = recorded.get("index_sizes")
    if not isinstance(sizes, dict):
        return []
    changes = []
    for name, size in _index_sizes(fasta).items():
        if name in sizes and sizes[name] != size:
            changes.append(f"{name} is {size} bytes, {sizes[name]} when it was built")
    return changes


def _same_content(fasta: Path, recorded: dict[str, Any]) -> bool:
    from labpipe.core.checksums import sha256_file

    stat = fasta.stat()
    if stat.st_size == recorded["size"] and stat.st_mtime_ns == recorded["mtime_ns"]:
        return True
    if stat.st_size != recorded["size"] or sha256_file(fasta) != recorded["sha256"]:
        return False
    # Same content, new mtime (copied, touched): remember it, so the next check is cheap.
    with contextlib.suppress(OSError):
        write_text_atomic(
            stamp_path(fasta), json.dumps({**recorded, "mtime_ns": stat.st_mtime_ns}, indent=2)
        )
    return True


def _write_stamp(fasta: Path) -> None:
    from labpipe.core.checksums import sha256_file

    stat = fasta.stat()
    record = {
        "stamp_version": _STAMP_VERSION,
        "fasta": fasta.name,
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "sha256": sha256_file(fasta),
        "labpipe_version": __version__,
        "indexes": [p.name for p in _known_index_files(fasta) if p.exists()],
        # A later check finds an index cut short or replaced after it was built.
        "index_sizes": _index_sizes(fasta),
    }
    write_text_atomic(stamp_path(fasta), json.dumps(record, indent=2) + "\n")


def prepare_reference(fasta: Path, aligner: str = "bwa") -> list[str]:
    """Check a FASTA as ``validate`` does, then build (or rebuild) its indexes beside it.

    Indexes are rebuilt when the FASTA changed since they were built, or when
    unstamped indexes do not match it. Before anything is built, the memory and disk
    the builds need are compared with what this computer has.

    Args:
        fasta: The reference FASTA.
        aligner: Whose index to build beside the ``.fai``: ``bwa`` or ``minimap2``.

    Returns:
        One line per index saying what was done (and what a build needed), then a
        warning line when the reference has ALT contigs.

    Raises:
        InputFormatError: The FASTA fails a check (every problem listed) or an
            indexer rejects it.
        ResourceError: Too little free memory or disk for a build.
    """
    from labpipe.inputs.checks.fasta import check_fasta_content

    fasta = Path(fasta)
    if not fasta.is_file():
        raise InputFormatError(f"reference FASTA {fasta} does not exist")
    problems = index_problems(fasta)
    if problems:
        raise InputFormatError(problems[0])
    # The same checks as `labpipe validate`, on the FASTA itself (an old .fai may be stale).
    problems = check_fasta_content(fasta)
    if problems:
        raise InputFormatError(f"{fasta}: the reference cannot be indexed", problems)
    for leftover in fasta.parent.glob(f".{fasta.name}.index-*"):
        shutil.rmtree(leftover, ignore_errors=True)  # from a prepare that was killed
    stale = _stale_reason(fasta)
    report = []
    wanted = index_files(fasta, aligner)
    to_build = [tool for tool, files in wanted.items() if stale or not all(map(Path.exists, files))]
    needs = build_needs(fasta, to_build)
    require_build_resources(fasta, needs)
    if stale:
        report.append(f"indexes rebuilt: {stale}")
        stamp_path(fasta).unlink(missing_ok=True)
        for path in _known_index_files(fasta):
            path.unlink(missing_ok=True)
    built = False
    for tool, files in wanted.items():
        if all(p.exists() for p in files):
            report.append(f"{tool}: present ({', '.join(p.name for p in files)})")
            continue
        _build(tool, fasta, files)
        built = True
        report.append(f"{tool}: built ({', '.join(p.name for p in files)}; {needs.describe()})")
    if built or not stamp_path(fasta).exists():  # the stamp records the new files' sizes
        _write_stamp(fasta)
        report.append(f"stamp: {stamp_path(fasta).name} ties the indexes to this FASTA")
    from labpipe.inputs.checks.fasta import reference_contigs

    alt = alt_contig_warning(fasta, list(reference_contigs(fasta)))
    if alt:
        report.append(f"WARNING: {alt}")
    return report


# What building each index takes, per byte of FASTA (bases and newlines): memory, disk,
def _stale_reason(fasta: Path) -> str | None:
    """Why existing indexes must be rebuilt, or None when they can stay."""
    if not any(p.exists() for p in _known_index_files(fasta)):
        return None  # nothing there yet
    stamp = stamp_path(fasta)
    if stamp.exists():
        recorded = _read_stamp(stamp)
        if recorded is None:
            return f"{stamp.name} is unreadable"
        if not _same_content(fasta, recorded):
            return "the FASTA changed since they were built"
        changes = _index_size_changes(fasta, recorded)
        return f"{changes[0]} (damaged or replaced)" if changes else None
    from labpipe.inputs.checks.fasta import check_reference

    if check_reference(fasta):
        return f"{fasta.name}.fai does not match the FASTA"
    return _bwa_mismatch(fasta)


def _bwa_mismatch(fasta: Path) -> str | None:
    """Why an unstamped bwa index does not describe the FASTA (contig names and lengths)."""
    from labpipe.inputs.checks.fasta import reference_contigs

    ann = Path(f"{fasta}.ann")
    if not ann.exists():
        return None
    try:
        lines = ann.read_text().splitlines()
        names = [line.split()[1] for line in lines[1::2]]
        lengths = [int(line.split()[1]) for line in lines[2::2]]
    except (OSError, ValueError, IndexError):
        return f"{ann.name} cannot be read"
    if dict(zip(names, lengths, strict=False)) != reference_contigs(fasta):
        return f"{ann.name} lists other contigs or lengths than the FASTA"
    return None


def _build(tool: str, fasta: Path, files: list[Path]) -> None:
    """Run one indexer into a temporary folder beside the FASTA, then move its files in."""
    work = Path(tempfile.mkdtemp(dir=fasta.parent, prefix=f".{fasta.name}.index-"))
    try:
        target = work / fasta.name
        if tool == "samtools faidx":
            command = ["samtools", "faidx", "--fai-idx", f"{target}.fai"]
            if fasta.name.endswith(".gz"):
                command += ["--gzi-idx", f"{target}.gzi"]
            command.append(str(fasta))
        elif tool == "minimap2 index":
            # The short-read preset's k-mer and window sizes are fixed in the index.
            command = ["minimap2", "-x", "sr", "-d", f"{target}{MINIMAP2_SUFFIX}", str(fasta)]
        else:
            command = ["bwa", "index", "-p", str(target), str(fasta)]
        try:
            result = subprocess.run(command, capture_output=True, text=True, check=False)
        except FileNotFoundError:
            raise MissingToolError(f"{command[0]} is not installed; run `labpipe doctor`") from None
        if result.returncode != 0:
            said = result.stderr.strip().splitlines()[-3:]
            raise InputFormatError(f"{tool} failed on {fasta}", said)
        for built in sorted(work.iterdir()):
            os.replace(built, fasta.parent / built.name)
        absent = [p.name for p in files if not p.exists()]
        if absent:
            raise InputFormatError(f"{tool} on {fasta} did not write {', '.join(absent)}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def open_fasta(fasta: Path) -> pysam.FastaFile:
    """Open an indexed FASTA (plain, or bgzip with its .gzi) for random access.

    Raises:
        InputFormatError: It is not a FASTA, or its index is missing and cannot be made.
    """
    import pysam

    try:
        return pysam.FastaFile(str(fasta))
    except (OSError, ValueError) as exc:
        raise InputFormatError(
            f"{fasta}: cannot be read as an indexed FASTA ({exc}); index it with "
            "`samtools faidx` (bgzip-compressed FASTA also needs its .gzi)"
        ) from None
