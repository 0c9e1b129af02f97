"""What a FASTQ file's name says: scheme, sample, lane, read.

Naming schemes, tried in this order on the name without its FASTQ suffix
(``.fastq.gz``, ``.fq.gz``, ``.fastq``, ``.fq``):

* Illumina bcl2fastq / BCL Convert: ``<sample>_S<n>_L00<lane>_R1_001`` and, with
  lanes merged, ``<sample>_S<n>_R1_001``. ``Undetermined*``, index reads
  (``_I1_``, ``_I2_``) and third reads (``_R3_``) are skipped.
* MGI/DNBSEQ splitBarcode: ``<flowcell>_L0<lane>_<barcode>_1``. The ``undecoded``
  barcode is skipped like Illumina's Undetermined, and so is ``read`` (a whole
  lane not split by barcode: it may hold a pool, and one sample's name cannot be
  guessed for it).
* Plain: ``<sample>_R1``, ``<sample>.R1``, ``<sample>_L001_R1[_001]``,
  ``<sample>_1``, ``<sample>.1``, ``<sample>_L01_1``.

Anything else is skipped as an unknown name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from labpipe.config.platform import (
    MGI_FILE_STEM,
)

FASTQ_SUFFIXES = (".fastq.gz", ".fq.gz", ".fastq", ".fq")

# bcl2fastq / BCL Convert; the chunk is 001 unless the run split files by size.
_ILLUMINA_NAME = re.compile(
    r"^(?P<sample>.+)_S(?P<number>\d+)(?:_(?P<lane>L\d{3}))?_(?P<read>[RI]\d)_(?P<chunk>\d{3})$"
)
# Non-greedy sample so that an optional lane is taken out of it, not left inside.
_PLAIN_NAMES = (
    re.compile(r"^(?P<sample>.+?)(?:_(?P<lane>L\d{3}))?[._](?P<read>R[12])(?:_(?P<chunk>\d{3}))?$"),
    re.compile(r"^(?P<sample>.+?)(?:_(?P<lane>L\d{1,2}))?[._](?P<read>[12])$"),
)
# Compressions fastp cannot read; worth naming because the lab can fix them in a minute.
OTHER_COMPRESSION = re.compile(r"\.(?:fastq|fq)\.(?P<ext>ora|bz2|xz|zst|zip)$", re.IGNORECASE)
_OTHER_MATE = {"R1": "R2", "R2": "R1", "1": "2", "2": "1"}

UNDETERMINED = "undetermined reads (no sample barcode matched them): not a sample"
UNKNOWN_NAME = (
    "file name follows no known FASTQ naming scheme (<sample>_S1_L001_R1_001.fastq.gz,"
    " <flowcell>_L01_<barcode>_1.fq.gz, <sample>_R1.fastq.gz, <sample>_1.fq.gz):"
    " rename it, or add it to the sample sheet by hand"
)
WHOLE_LANE = (
    "a whole lane not split by barcode: demultiplex it first, or if the lane holds one"
    " sample rename the pair to <sample>_1.fq.gz and <sample>_2.fq.gz"
)


@dataclass(frozen=True)
class FileName:
    """What a FASTQ's name says.

    Attributes:
        scheme: illumina, mgi or plain.
        read: The read token as written (R1, R2, 1, 2).
        pair_key: The name with the read token blanked: a pair's two files share it.
        mate_name: The name the other read's file would have.
        sample: Sample name from the name (None for MGI: it comes from the barcode).
        lane: Lane as written (L001, L01), if the name has one.
        flowcell: Flowcell (MGI names carry it).
        barcode: MGI barcode id.
        chunk: bcl2fastq file chunk (001, 002, ...).
    """

    scheme: str
    read: str
    pair_key: str
    mate_name: str
    sample: str | None
    lane: str | None
    flowcell: str | None = None
    barcode: str | None = None
    chunk: str | None = None

    @property
    def read_number(self) -> int:
        return int(self.read[-1])

    @property
    def lane_number(self) -> int | None:
        return int(self.lane[1:]) if self.lane else None


def parse_file_name(name: str) -> FileName | str:
    """What a FASTQ's name says, or the reason the file is skipped."""
    stem, suffix = split_fastq_suffix(name)
    if stem.lower().startswith("undetermined"):
        return UNDETERMINED
    match = _ILLUMINA_NAME.match(stem)
    if match:
        read = match["read"]
        if read.startswith("I"):
            return f"index read ({read}): labpipe uses only R1 and R2"
        if read not in ("R1", "R2"):
            return (
                f"read {read[1:]} ({read}): labpipe pairs R1 with R2; if this run wrote UMIs or"
                " an index as R2, that pairing is wrong: check the run's read structure"
            )
        return _file_name("illumina", match, stem, suffix)
    match = MGI_FILE_STEM.match(stem)
    if match:
        if match["barcode"] == "undecoded":
            return UNDETERMINED
        if match["barcode"] == "read":
            return WHOLE_LANE
        return _file_name("mgi", match, stem, suffix)
    for pattern in _PLAIN_NAMES:
        match = pattern.match(stem)
        if match:
            return _file_name("plain", match, stem, suffix)
    return UNKNOWN_NAME


def _file_name(scheme: str, match: re.Match[str], stem: str, suffix: str) -> FileName:
    groups = match.groupdict()
    read = match["read"]
    start, end = match.span("read")
    return FileName(
        scheme=scheme,
        read=read,
        pair_key=f"{stem[:start]}*{stem[end:]}{suffix}",
        mate_name=f"{stem[:start]}{_OTHER_MATE[read]}{stem[end:]}{suffix}",
        sample=groups.get("sample"),
        lane=groups.get("lane"),
        flowcell=groups.get("flowcell"),
        barcode=groups.get("barcode"),
        chunk=groups.get("chunk"),
    )


def split_fastq_suffix(name: str) -> tuple[str, str]:
    """(stem, suffix) for a FASTQ name; suffix is '' when the name is not a FASTQ's."""
    lower = name.lower()
    for suffix in FASTQ_SUFFIXES:
        if lower.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)], name[-len(suffix) :]
    return name, ""


def safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).lstrip("_.-") or "sample1"


def natural_sort_key(text: str) -> list[object]:
    """Sort key putting S2 before S10."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", text)]
