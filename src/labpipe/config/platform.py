"""Sequencing platform and run facts from FASTQ read names.

Read names carry the flowcell and lane, which go into the read group's PU so
that duplicate marking and base-quality models can tell lanes apart.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from pathlib import Path

from labpipe.core.i18n import _

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


# Illumina instrument ids start with a prefix naming the model. Two-colour (two-channel
# SBS) instruments read "no signal" as G, so a read that runs past its insert ends in a
# run of G: a poly-G tail is an artefact there and nowhere else.
_TWO_COLOUR_INSTRUMENTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^A\d{5}"), "NovaSeq 6000"),
    (re.compile(r"^LH\d{5}"), "NovaSeq X"),
    (re.compile(r"^N[BS]\d{6}"), "NextSeq 500/550"),
    (re.compile(r"^V[HL]\d{5}"), "NextSeq 1000/2000"),
    (re.compile(r"^MN\d{5}"), "MiniSeq"),
    (re.compile(r"^FS\d{8}"), "iSeq 100"),
)
_FOUR_COLOUR_INSTRUMENTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^M\d{5}"), "MiSeq"),
    (re.compile(r"^(?:HWI-|SN\d|[DJKE]\d)"), "HiSeq/HiSeq X"),
)


def illumina_instrument(name: str) -> tuple[str, bool] | None:
    """The instrument model an Illumina read name shows, and whether it is two-colour.

    Returns:
        (model, two_colour), or None when the name is not Illumina-style or its
        instrument id has no known prefix.
    """
    match = _ILLUMINA.match(name)
    if match is None or _DNBSEQ.match(name):
        return None
    instrument = match["instrument"]
    for pattern, model in _TWO_COLOUR_INSTRUMENTS:
        if pattern.match(instrument):
            return model, True
    for pattern, model in _FOUR_COLOUR_INSTRUMENTS:
        if pattern.match(instrument):
            return model, False
    return None


@dataclass(frozen=True)
class PolyGDecision:
    """Whether fastp trims poly-G tails in one unit, and why (for the log).

    Attributes:
        trim: Trim poly-G tails.
        reason: One sentence a lab can check against its run sheet.
    """

    trim: bool
    reason: str

    @property
    def fastp_option(self) -> str:
        """``--trim_poly_g`` or ``--disable_trim_poly_g``."""
        return "--trim_poly_g" if self.trim else "--disable_trim_poly_g"


def poly_g_decision(setting: bool | str, first_name: str | None) -> PolyGDecision:
    """Decide poly-G trimming for a unit from ``trimming.poly_g`` and its first read name.

    Args:
        setting: ``True``/``False`` (the lab forces it) or ``"auto"`` (from the instrument).
        first_name: The unit's first R1 header line, or None when unreadable.
    """
    if setting is True or setting is False:
        return PolyGDecision(
            setting, f"trimming.poly_g is {str(setting).lower()} in the config (forced)"
        )
    name = first_name or ""
    instrument = illumina_instrument(name)
    if instrument is not None:
        model, two_colour = instrument
        if two_colour:
            return PolyGDecision(
                True,
                f"auto: the read names show a two-colour {model} instrument ({name.split()[0]}),"
                " where poly-G tails are an artefact",
            )
        return PolyGDecision(
            False,
            f"auto: the read names show a four-colour {model} instrument, where a poly-G tail"
            " is real sequence",
        )
    facts = parse_read_name(name)
    if facts is not None and facts.platform == "DNBSEQ":
        return PolyGDecision(
            False, "auto: DNBSEQ read names; set trimming.poly_g: true for a two-colour instrument"
        )
    return PolyGDecision(
        False,
        "auto: the read names do not show the instrument; set trimming.poly_g: true if it is "
        "a two-colour one (NovaSeq, NextSeq, MiniSeq, iSeq)",
    )


# bcl2fastq/BCL Convert file names: <sample>_S<n>[_L00<lane>]_R<read>_001.fastq.gz
_ILLUMINA_FILE_STEM = re.compile(r"_S\d+(?:_L\d{3})?_R[12]_001$")


def name_style_mismatch(file_name: str, read_name: str | None) -> str | None:
    """A warning when a FASTQ's file name and its read names come from different platforms.

    An MGI-style file name holding Illumina read names (or the reverse) means files were
    renamed or mixed up; the adapters follow the unit's platform, so the lab must check it.

    Returns:
        What disagrees, or None when they agree or either says nothing.
    """
    facts = parse_read_name(read_name or "")
    if facts is None:
        return None
    stem = _FASTQ_SUFFIX.sub("", file_name)
    if MGI_FILE_STEM.match(stem) and facts.platform == "ILLUMINA":
        return _("%(file)s is named like an MGI file but holds Illumina-style read names") % {
            "file": file_name
        }
    if _ILLUMINA_FILE_STEM.search(stem) and facts.platform == "DNBSEQ":
        return _("%(file)s is named like an Illumina file but holds DNBSEQ-style read names") % {
            "file": file_name
        }
    return None
