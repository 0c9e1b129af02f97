"""Sequencing platform and run facts from FASTQ read names.

Read names carry the flowcell and lane, which go into the read group's PU so
that duplicate marking and base-quality models can tell lanes apart.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from pathlib import Path

# @<instrument>:<run>:<flowcell>:<lane>:<tile>:<x>:<y>[:<UMI>] <read>:<filtered>:<control>:<index>
_ILLUMINA = re.compile(
    r"^@(?P<instrument>[^:\s]+):(?P<run>\d+):(?P<flowcell>[^:\s]+):(?P<lane>\d+):\d+:\d+:\d+"
    r"(?::[^\s]+)?(?:\s+[12]:[YN]:\d+:(?P<index>[^\s]*))?"
)
# @<flowcell>L<lane>C<col>R<row><index>/1 e.g. @V350012345L2C001R0010000001/1
_DNBSEQ = re.compile(
    r"^@(?P<flowcell>[A-Z]{1,3}\d{6,})L(?P<lane>\d)C\d{3}R\d{3}\d+(?:/[12])?(?:\s|$)"
)

PLATFORMS = ("ILLUMINA", "DNBSEQ")
#: Other names labs use for DNBSEQ instruments, accepted wherever a platform is read.
PLATFORM_ALIASES = {"MGI": "DNBSEQ", "MGISEQ": "DNBSEQ", "BGISEQ": "DNBSEQ"}


def canonical_platform(name: str) -> str:
    """A platform as labpipe names it: upper case, MGI/BGISEQ → DNBSEQ; unknown names as given."""
    upper = name.strip().upper()
    return PLATFORM_ALIASES.get(upper, upper)


@dataclass(frozen=True)
class ReadNameFacts:
    """What a read name tells about the run.

    Attributes:
        platform: ILLUMINA or DNBSEQ.
        flowcell: Flowcell id.
        lane: Lane number as written in the name.
        barcode: Sample index (Illumina), if the name has one.
    """

    platform: str
    flowcell: str
    lane: str
    barcode: str | None = None

    @property
    def platform_unit(self) -> str:
        """SAM PU: flowcell.lane, plus .barcode when known."""
        unit = f"{self.flowcell}.{self.lane}"
        return f"{unit}.{self.barcode}" if self.barcode else unit


def parse_read_name(name: str) -> ReadNameFacts | None:
    """Recognise an Illumina or DNBSEQ read name (the FASTQ header line).

    Returns:
        The facts, or None for a name in neither format (e.g. SRA-renamed reads).
    """
    match = _DNBSEQ.match(name)
    if match:
        return ReadNameFacts("DNBSEQ", match["flowcell"], match["lane"])
    match = _ILLUMINA.match(name)
    if match:
        index = match["index"] or None
        if index and not re.fullmatch(r"[ACGTN+]+", index):
            index = None
        return ReadNameFacts("ILLUMINA", match["flowcell"], match["lane"], index)
    return None


# MGI splitBarcode file stems: V350012345_L01_59_1, E100001234_L02_PK002_2, FT100037069_L01_read_1.
MGI_FILE_STEM = re.compile(
    r"^(?P<flowcell>[A-Z]{1,3}\d{5,})_(?P<lane>L\d{1,2})"
    r"_(?P<barcode>[A-Za-z0-9][A-Za-z0-9-]*)_(?P<read>[12])$"
)
_FASTQ_SUFFIX = re.compile(r"\.f(?:ast)?q(?:\.gz)?$")


def mgi_barcode_from_filename(name: str, facts: ReadNameFacts) -> str | None:
    """The barcode in an MGI file name ``<flowcell>_L0<lane>_<barcode>_1.fq.gz``.

    DNBSEQ read names carry no barcode, so the file name is the only place it is
    written. Only trusted when the file name's flowcell and lane match the reads'.
    """
    match = MGI_FILE_STEM.match(_FASTQ_SUFFIX.sub("", name))
    if facts.platform != "DNBSEQ" or match is None:
        return None
    if match["flowcell"] != facts.flowcell or int(match["lane"][1:]) != int(facts.lane):
        return None
    return match["barcode"]


def first_read_name(fastq: Path) -> str | None:
    """The first header line of a FASTQ (plain or gzip), or None if unreadable/empty."""
    opener = gzip.open if _is_gzip(fastq) else open
    try:
        with opener(fastq, "rt") as handle:
            line = handle.readline()
    except (OSError, EOFError, UnicodeDecodeError):
        return None
    return line.rstrip("\r\n") or None


def _is_gzip(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(2) == b"\x1f\x8b"
    except OSError:
        return False
