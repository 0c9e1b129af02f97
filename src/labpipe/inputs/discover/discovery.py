"""What a scan of a FASTQ folder found: the units for the sheet, every file left out and why."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from labpipe.config.platform import (
    PLATFORMS,
)

NO_READS = "no reads: the file is empty, unreadable or not FASTQ"


@dataclass(frozen=True)
class FileNote:
    """A file labpipe init did not put in the sample sheet, or has a doubt about.

    Attributes:
        path: The file, absolute.
        reason: Why, and what to do about it.
    """

    path: Path
    reason: str


@dataclass(frozen=True)
class DiscoveredUnit:
    """One row of the sample sheet to be: a read pair of one lane of one sample.

    Attributes:
        sample: Sample name (safe: letters, digits, '-', '_', '.').
        unit: Unit name, unique within the sample.
        fq1: Read 1 FASTQ, absolute.
        fq2: Read 2 FASTQ, absolute.
        platform: ILLUMINA or DNBSEQ from the first read name, else from the naming
            scheme; None when neither tells (the config's default platform applies).
    """

    sample: str
    unit: str
    fq1: Path
    fq2: Path
    platform: str | None


@dataclass
class Discovery:
    """What a scan of a FASTQ folder found.

    Attributes:
        fastq_dir: The folder scanned, absolute.
        units: The usable read pairs, sorted by sample then unit.
        skipped: FASTQ files that are not sample reads by design (Undetermined,
            index reads, unknown names, empty files, barcodes not in the table).
        unpaired: Read 1 files without their read 2, and the reverse.
        problems: Sample reads the lab must act on before they can be used (an
            unsafe sample name, two copies of the same reads).
        warnings: Doubts about units that are used (file name and reads disagree).
        ignored: Other files (reports, checksums, hidden files), not listed to the user.
    """

    fastq_dir: Path
    units: list[DiscoveredUnit] = field(default_factory=list)
    skipped: list[FileNote] = field(default_factory=list)
    unpaired: list[FileNote] = field(default_factory=list)
    problems: list[FileNote] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    ignored: list[Path] = field(default_factory=list)
    #: Barcodes of the run that the barcode table lacks, with their files (also in ``skipped``).
    unlisted_barcodes: dict[str, list[Path]] = field(default_factory=dict)

    @property
    def samples(self) -> list[str]:
        """Sample names in sheet order."""
        return list(dict.fromkeys(u.sample for u in self.units))

    def main_platform(self) -> str | None:
        """The platform of most units (ties: ILLUMINA first), or None if none is known."""
        counts = Counter(u.platform for u in self.units if u.platform)
        if not counts:
            return None
        return max(PLATFORMS, key=lambda p: (counts[p], -PLATFORMS.index(p)))

    def relative(self, path: Path) -> str:
        """A path as the user knows it: relative to the scanned folder when inside it."""
        return path_relative_to(path, self.fastq_dir)

    def left_out(self) -> list[tuple[str, FileNote]]:
        """Every FASTQ not in the sheet, as (problem|unpaired|skipped, note)."""
        return [
            *(("problem", n) for n in self.problems),
            *(("unpaired", n) for n in self.unpaired),
            *(("skipped", n) for n in self.skipped),
        ]


def absolute_path(path: Path) -> Path:
    # abspath, not resolve(): keep the symlinked paths the lab knows.
    return Path(os.path.abspath(path))


def path_relative_to(path: Path, base: Path) -> str:
    """Relative to base (POSIX) when under it, else absolute."""
    path = absolute_path(path)
    return path.relative_to(base).as_posix() if path.is_relative_to(base) else str(path)
