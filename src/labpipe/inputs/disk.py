"""Disk space and writability of the output folder: checked before a run, named after one.

How much a run needs is estimated from the gzipped FASTQ sizes, since the BAMs
dominate (VCFs, tables and reports are small by comparison):

* each sample's final BAM stays: ``FINAL_BAM_PER_FASTQ_GZ`` × its FASTQ bytes;
* while a sample is aligned and its duplicates marked, its lane BAMs (written at
  compression level 1) or ``samtools sort``'s temporary files are there as well:
  ``IN_FLIGHT_PER_FASTQ_GZ`` × its FASTQ bytes, for as many samples at once as
  the cores let alignment jobs run side by side;
* QC, reports and logs: ``PER_SAMPLE_BYTES`` a sample plus ``FIXED_BYTES``.

The factors are the largest ratios measured (2026-12-07, see ``docs/disk-space.md``
for the commands): final BAM / FASTQ.gz 0.97 on the demo data (both samples) and
0.64 on a 200,000-pair simulated sample (``labpipe simulate --depth 200``); a
lane's level-1 BAM / its FASTQ.gz 1.10-1.13 on the demo lanes and 0.72 on the
simulated sample, whose ``samtools sort`` with spills peaked at the same size.
Real libraries compress differently (quality binning, duplicates), so each factor
is rounded up; ``labpipe run --no-space-check`` skips the check when a lab knows better.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from labpipe.config.samplesheet import Unit
from labpipe.core import layout
from labpipe.core.errors import RunError

FINAL_BAM_PER_FASTQ_GZ = 1.0
IN_FLIGHT_PER_FASTQ_GZ = 1.2
PER_SAMPLE_BYTES = 4 << 20
FIXED_BYTES = 8 << 20
NO_SPACE = "no space left on device"


def existing_folder(path: Path) -> Path:
    """``path`` or the nearest folder above it that exists (where it would be made)."""
    path = Path(path).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def mount_point(path: Path) -> Path:
    """The mount point of the file system holding ``path`` (which must exist)."""
    path = Path(path).resolve()
    device = path.stat().st_dev
    while path != path.parent and path.parent.stat().st_dev == device:
        path = path.parent
    return path


def free_bytes(path: Path) -> int:
    """Bytes an unprivileged writer may still use on the file system of ``path``."""
    return shutil.disk_usage(existing_folder(path)).free


def human(size: float) -> str:
    """Bytes as '1.2 GB' (powers of 1000, as df -H and file managers show them)."""
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(size) < 1000 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError("unreachable")


def output_folder_problems(outdir: Path) -> list[str]:
    """Why the run could not write into ``outdir`` (nothing when it can).

    An existing folder is tried with a real file (a read-only mount, permissions,
    ACLs all show); a folder yet to be made is judged by the nearest one above it.
    """
    folder = existing_folder(outdir)
    if not folder.is_dir():
        return [f"output folder {outdir}: {folder} is a file, not a folder"]
    if folder == Path(outdir).absolute():
        try:
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".labpipe-write-test-"):
                pass
        except OSError as exc:
            return [
                f"output folder {outdir} cannot be written ({exc.strerror}); choose another "
                "(--outdir), or make it writable"
            ]
        return []
    if not os.access(folder, os.W_OK | os.X_OK):
        why = "read-only file system" if _read_only(folder) else "permission denied"
        return [
            f"output folder {outdir} cannot be created: {folder} is not writable ({why}); "
            "choose another (--outdir)"
        ]
    return []


def _read_only(folder: Path) -> bool:
    return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)


@dataclass(frozen=True)
class SpaceEstimate:
    """What a run is expected to need on the output file system, and what it has."""

    needed: int
    free: int
    fastq_bytes: int
    folder: Path
    mount: Path
    samples_to_align: int

    @property
    def enough(self) -> bool:
        """Whether the free space covers the estimate."""
        return self.free >= self.needed


def estimate_space(units: Sequence[Unit], outdir: Path, cores: int, threads: int) -> SpaceEstimate:
    """The space a run of ``units`` into ``outdir`` needs, by the module's factors.

    Samples whose final BAM is already there (a resumed run) are not aligned again
    and count only for their reports.
    """
    fastq: dict[str, int] = {}
    for unit in units:
        size = sum(p.stat().st_size for p in (Path(unit.fq1), Path(unit.fq2)) if p.is_file())
        fastq[unit.sample] = fastq.get(unit.sample, 0) + size
    to_align = {
        sample: size
        for sample, size in fastq.items()
        if not layout.in_outdir(outdir, layout.BAM, sample=sample).is_file()
    }
    side_by_side = max(1, cores // max(1, threads))
    largest = sorted(to_align.values(), reverse=True)[:side_by_side]
    needed = (
        FINAL_BAM_PER_FASTQ_GZ * sum(to_align.values())
        + IN_FLIGHT_PER_FASTQ_GZ * sum(largest)
        + PER_SAMPLE_BYTES * len(fastq)
        + FIXED_BYTES
    )
    folder = existing_folder(outdir)
    return SpaceEstimate(
        needed=math.ceil(needed),
        free=free_bytes(folder),
        fastq_bytes=sum(to_align.values()),
        folder=folder,
        mount=mount_point(folder),
        samples_to_align=len(to_align),
    )


def require_space(estimate: SpaceEstimate, outdir: Path) -> None:
    """Refuse a run the output file system cannot hold, with the numbers.

    Raises:
        RunError: Less free space than the estimate.
    """
    if estimate.enough:
        return
    raise RunError(
        f"not enough disk space for this run in {outdir}: it needs about "
        f"{human(estimate.needed)}, and the file system mounted at {estimate.mount} has "
        f"{human(estimate.free)} free",
        [
            f"estimate: {FINAL_BAM_PER_FASTQ_GZ:g} x the {human(estimate.fastq_bytes)} of "
            f"gzipped FASTQ of {estimate.samples_to_align} sample(s) still to align (final "
            f"BAMs), {IN_FLIGHT_PER_FASTQ_GZ:g} x the FASTQ of those aligned at once (lane "
            "BAMs, sort files), plus QC and reports",
            "free space there, or choose another output folder (--outdir); to run anyway, "
            "add --no-space-check",
        ],
    )


# After a failed step: this little free space means the disk was (nearly) full.
_LOW_FREE_BYTES = 64 << 20
_LOW_FREE_FRACTION = 0.02
_ENOSPC_TEXT = ("no space left on device", "enospc", "disk quota exceeded")


def out_of_space_problems(outdir: Path, logs: Sequence[Path]) -> list[str]:
    """Why a failed run was probably out of disk space, or nothing.

    A tool cut short by a full disk may say so in its log, or report a misleading
    error ("Illegal seek"), or nothing at all; so the output file system's free space
    is looked at too.
    """
    said = [log for log in logs if _says_no_space(log)]
    folder = existing_folder(outdir)
    usage = shutil.disk_usage(folder)
    low = usage.free < min(_LOW_FREE_BYTES, _LOW_FREE_FRACTION * usage.total)
    if not said and not low:
        return []
    where = f"the file system mounted at {mount_point(folder)} has {human(usage.free)} free"
    evidence = f" ({', '.join(map(str, said))} says so)" if said else ""
    return [
        f"{NO_SPACE}{evidence}: {where}; free space and run the same command again "
        "(it resumes where it stopped)"
    ]


def _says_no_space(log: Path) -> bool:
    try:
        with open(log, errors="replace") as handle:
            return any(text in line.lower() for line in handle for text in _ENOSPC_TEXT)
    except OSError:
        return False
