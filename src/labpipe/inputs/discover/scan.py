"""Find a run's FASTQ files and pair them into units (``labpipe init``'s scan).

It walks the folder a sequencer or its demultiplexer wrote, recognises the naming
schemes labs meet (:mod:`labpipe.inputs.discover.names`), pairs read 1 with read 2
and names each sample's units (:mod:`labpipe.inputs.discover.pairs`).

Nothing is dropped silently: every FASTQ that does not reach the sheet is listed
with the reason (``skipped``: not sample reads by design; ``unpaired``: a read 1
without its read 2 or the reverse; ``problems``: sample reads the lab must act on
first), and the sheet repeats that list in its comment lines.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from labpipe.core import layout
from labpipe.core.errors import UsageError
from labpipe.inputs.discover.barcodes import BarcodeTable
from labpipe.inputs.discover.discovery import Discovery, FileNote, absolute_path
from labpipe.inputs.discover.names import (
    OTHER_COMPRESSION,
    FileName,
    natural_sort_key,
    parse_file_name,
    split_fastq_suffix,
)
from labpipe.inputs.discover.pairs import Pair, make_pair, name_units


def discover_fastqs(fastq_dir: Path, barcodes: Mapping[str, str] | None = None) -> Discovery:
    """Find the FASTQ files under a folder and pair them into units.

    Sample names come from the file names, except for MGI barcode files
    (``<flowcell>_L0<lane>_<barcode>_1.fq.gz``), where the barcode stands for the
    sample:

    * with ``barcodes``, the table decides: barcode ``59`` (or ``<flowcell>:59``) →
      its sample; barcodes not in the table are skipped, so stray barcodes of a
      96-barcode list are not analysed;
    * without it, a barcode that is a name (``PK002``) is the sample name, and a
      numeric barcode becomes ``<flowcell>_bc<barcode>`` (``V350012345_bc59``).
      Barcode numbers are reused by every run, so ``59`` alone could merge two
      patients' reads from two flowcells into one sample; with the flowcell in the
      name they stay apart, and a warning says to pass a barcode table.

    Units are named after the lane in the file name (``L001`` for Illumina, ``L01``
    for MGI); a sample whose units come from more than one flowcell gets
    ``<flowcell>.<lane>`` (``V350012345.L01``) for all of them. Files without a lane
    in their name are named after the flowcell in their reads (``H7KJ2DSXY``), or
    numbered (``1``, ``2``) when the reads do not say either. Two pairs of one sample
    that are the same lane of the same flowcell (or begin with the same read) are
    copies or two samples under one name: both are listed as problems, neither is used.

    Args:
        fastq_dir: The folder to walk (recursively; hidden folders are not entered).
        barcodes: Optional MGI barcode → sample name table.

    Returns:
        The units, and every file left out with the reason.

    Raises:
        UsageError: The folder does not exist.
    """
    root = absolute_path(fastq_dir)
    if not root.exists():
        raise UsageError(f"FASTQ folder {fastq_dir} does not exist")
    if not root.is_dir():
        raise UsageError(f"{fastq_dir} is not a folder; give the folder holding the FASTQ files")
    found = Discovery(root)
    table = BarcodeTable(barcodes) if barcodes is not None else None

    by_pair_key: dict[tuple[Path, str], dict[int, tuple[Path, FileName]]] = {}
    for path in _fastq_files(root, found):
        parsed = parse_file_name(path.name)
        if isinstance(parsed, str):
            found.skipped.append(FileNote(path, parsed))
            continue
        by_pair_key.setdefault((path.parent, parsed.pair_key), {})[parsed.read_number] = (
            path,
            parsed,
        )

    pairs: list[Pair] = []
    numbered_mgi_samples: set[str] = set()
    for members in by_pair_key.values():
        if set(members) != {1, 2}:
            for number, (path, parsed) in members.items():
                other = 2 if number == 1 else 1
                found.unpaired.append(
                    FileNote(
                        path,
                        f"read {number} without read {other}: no {parsed.mate_name} beside it;"
                        " labpipe needs paired-end reads",
                    )
                )
            continue
        (fq1, name1), (fq2, _) = members[1], members[2]
        pair = make_pair(found, fq1, fq2, name1, table, numbered_mgi_samples)
        if pair is not None:
            pairs.append(pair)

    by_sample: dict[str, list[Pair]] = {}
    for pair in pairs:
        by_sample.setdefault(pair.sample, []).append(pair)
    for sample in sorted(by_sample, key=natural_sort_key):
        found.units.extend(name_units(found, sample, by_sample[sample]))

    if numbered_mgi_samples:
        examples = ", ".join(sorted(numbered_mgi_samples, key=natural_sort_key)[:3])
        found.warnings.append(
            f"{len(numbered_mgi_samples)} sample(s) named after flowcell and barcode number"
            f" ({examples}{', ...' if len(numbered_mgi_samples) > 3 else ''}): pass a barcode"
            " table (barcode → sample) to use the lab's sample names"
        )
    if table is not None:
        found.warnings.extend(table.warnings())
    for notes in (found.skipped, found.unpaired, found.problems):
        notes.sort(key=lambda note: natural_sort_key(str(note.path)))
    return found


def _fastq_files(root: Path, found: Discovery) -> list[Path]:
    """FASTQ files under root in a stable order; notes what else was seen."""
    files = []
    seen: set[str] = set()

    def unreadable(error: OSError) -> None:
        # os.walk would otherwise pass over a folder it cannot list without a word.
        found.skipped.append(
            FileNote(
                Path(error.filename or root),
                f"cannot be read ({error.strerror}): check its permissions",
            )
        )

    for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable, followlinks=True):
        here = Path(dirpath)
        real = os.path.realpath(here)
        # Followed symlinks can lead back up the tree.
        if real in seen:
            dirnames[:] = []
            continue
        seen.add(real)
        if (here / layout.STATE_DIR).is_dir():
            found.skipped.append(
                FileNote(
                    here,
                    "a labpipe output folder (it holds .labpipe): its FASTQs are labpipe's own"
                    " intermediate files, not the run's",
                )
            )
            dirnames[:] = []
            continue
        found.ignored.extend(here / d for d in sorted(dirnames) if d.startswith("."))
        dirnames[:] = sorted((d for d in dirnames if not d.startswith(".")), key=natural_sort_key)
        for name in sorted(filenames, key=natural_sort_key):
            path = here / name
            if name.startswith("."):
                # e.g. macOS's ._S1_R1_001.fastq.gz beside every file copied from a Mac
                found.ignored.append(path)
            elif split_fastq_suffix(name)[1]:
                files.append(path)
            elif match := OTHER_COMPRESSION.search(name):
                ext = match["ext"]
                how = "orad" if ext.lower() == "ora" else "its tool"
                found.skipped.append(
                    FileNote(
                        path,
                        f"compressed as .{ext}, which fastp cannot read: decompress it with"
                        f" {how} and gzip it",
                    )
                )
            else:
                found.ignored.append(path)
    return files
