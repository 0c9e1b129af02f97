"""Find a run's FASTQ files and write the sample sheet and lab config for them.

This is the logic behind ``labpipe init``. It walks the folder a sequencer or its
demultiplexer wrote, recognises the naming schemes labs meet, pairs read 1 with
read 2, names each sample's units (lanes), and writes a sample sheet and a lab
config that ``labpipe validate`` accepts.

Nothing is dropped silently: every FASTQ that does not reach the sheet is listed
with the reason (``skipped``: not sample reads by design; ``unpaired``: a read 1
without its read 2 or the reverse; ``problems``: sample reads the lab must act on
first), and the sheet repeats that list in its comment lines.

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

import json
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labpipe.config.platform import (
    MGI_FILE_STEM,
    PLATFORMS,
    ReadNameFacts,
    canonical_platform,
    first_read_name,
    parse_read_name,
)
from labpipe.config.samplesheet import SAFE_NAME
from labpipe.core.atomic import write_text_atomic
from labpipe.core.errors import InputFormatError, SampleSheetError, UsageError

SAMPLE_SHEET_NAME = "samples.tsv"
CONFIG_NAME = "config.yaml"
SHEET_COLUMNS = ("sample", "unit", "fq1", "fq2", "platform", "library")
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
_OTHER_COMPRESSION = re.compile(r"\.(?:fastq|fq)\.(?P<ext>ora|bz2|xz|zst|zip)$", re.IGNORECASE)
_SCHEME_PLATFORM = {"illumina": "ILLUMINA", "mgi": "DNBSEQ", "plain": None}
_OTHER_MATE = {"R1": "R2", "R2": "R1", "1": "2", "2": "1"}
# A sample sheet is tab-separated and read with csv: these cannot appear in a path cell.
_SHEET_UNSAFE = re.compile(r'[\t\r\n"]')

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
        return _path_for(path, self.fastq_dir)

    def left_out(self) -> list[tuple[str, FileNote]]:
        """Every FASTQ not in the sheet, as (problem|unpaired|skipped, note)."""
        return [
            *(("problem", n) for n in self.problems),
            *(("unpaired", n) for n in self.unpaired),
            *(("skipped", n) for n in self.skipped),
        ]


@dataclass(frozen=True)
class InitResult:
    """What ``labpipe init`` wrote and what it found on the way.

    Attributes:
        sample_sheet: The sample sheet written.
        config: The lab config written.
        discovery: The scan, with every file left out and why.
        warnings: The scan's warnings plus those about the config (no lab name, an
            unindexed reference, units of unknown platform).
    """

    sample_sheet: Path
    config: Path
    discovery: Discovery
    warnings: list[str]

    def report(self, examples: int = 3) -> str:
        """A summary for the terminal: samples found, files left out, warnings, next step.

        Problems and unpaired files are listed one by one (the lab must act on each);
        skipped files are grouped by reason with a few examples, since a run has one
        index-read file per lane of every sample. The sheet's comments list them all.
        """
        found = self.discovery
        lines = [
            f"Found {len(found.units)} unit(s) of {len(found.samples)} sample(s)"
            f" in {found.fastq_dir}:"
        ]
        width = max(len(s) for s in found.samples)
        for sample in found.samples:
            units = [u for u in found.units if u.sample == sample]
            platforms = sorted({u.platform or "default platform" for u in units})
            lines.append(
                f"  {sample:<{width}}  {', '.join(platforms)}  {', '.join(u.unit for u in units)}"
            )
        lines.append(f"Wrote {self.sample_sheet} and {self.config}")
        for title, notes in (
            ("Not used until you act", found.problems),
            ("Not paired", found.unpaired),
        ):
            if notes:
                lines.append(f"{title} ({len(notes)}):")
                lines.extend(f"  {found.relative(n.path)}: {n.reason}" for n in notes)
        if found.skipped:
            lines.append(f"Skipped ({len(found.skipped)}):")
            by_reason: dict[str, list[str]] = {}
            for note in found.skipped:
                by_reason.setdefault(note.reason, []).append(found.relative(note.path))
            for reason, paths in by_reason.items():
                if len(paths) == 1:
                    lines.append(f"  {paths[0]}: {reason}")
                else:
                    more = f", ... ({len(paths)} files)" if len(paths) > examples else ""
                    lines.append(f"  {', '.join(paths[:examples])}{more}: {reason}")
        if self.warnings:
            lines.append(f"Warnings ({len(self.warnings)}):")
            lines.extend(f"  {w}" for w in self.warnings)
        lines.append(f"Next: check the sheet, then run `labpipe validate {self.config}`")
        return "\n".join(lines)


@dataclass(frozen=True)
class _FileName:
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


@dataclass
class _Pair:
    """A read pair on its way to becoming a unit."""

    sample: str
    fq1: Path
    fq2: Path
    name: _FileName
    first_read: str
    facts: ReadNameFacts | None
    platform: str | None

    @property
    def flowcell(self) -> str | None:
        if self.facts and SAFE_NAME.match(self.facts.flowcell):
            return self.facts.flowcell
        return self.name.flowcell

    def sort_key(self) -> tuple[object, ...]:
        return (
            self.flowcell or "",
            self.name.lane_number or 0,
            self.name.chunk or "",
            _natural(self.name.barcode or ""),
            str(self.fq1),
        )


class _BarcodeTable:
    """A lab's barcode → sample table, matched to MGI file names.

    Keys are barcode ids as MGI writes them (``59``, ``PK002``) or, when one folder
    holds several flowcells that reuse barcodes, ``<flowcell>:<barcode>``, which wins
    over a plain key. Numeric barcodes match with or without leading zeros.
    """

    def __init__(self, mapping: Mapping[str, str]) -> None:
        self.entries: dict[tuple[str | None, str], tuple[str, str]] = {}
        for key, sample in mapping.items():
            flowcell, _, barcode = key.rpartition(":")
            self.entries[(flowcell or None, _normal_barcode(barcode))] = (key, sample)
        self.flowcells_by_key: dict[tuple[str | None, str], set[str]] = {}

    def sample_for(self, flowcell: str, barcode: str) -> tuple[str, str] | None:
        """(table key, sample) for a file's barcode, or None if the table lacks it."""
        for key in ((flowcell, _normal_barcode(barcode)), (None, _normal_barcode(barcode))):
            if key in self.entries:
                self.flowcells_by_key.setdefault(key, set()).add(flowcell)
                return self.entries[key]
        return None

    def warnings(self) -> list[str]:
        """Entries that matched nothing, and plain entries that matched several flowcells."""
        warnings = []
        unused = [key for key in self.entries if key not in self.flowcells_by_key]
        if unused:
            names = ", ".join(f"{self.entries[k][0]} → {self.entries[k][1]}" for k in unused)
            warnings.append(
                f"barcode table entries matched no file: {names}; check the barcodes"
                " (a typo, or the wrong run folder?)"
            )
        for key, flowcells in self.flowcells_by_key.items():
            if key[0] is None and len(flowcells) > 1:
                raw, sample = self.entries[key]
                qualified = " and ".join(f"{fc}:{raw}" for fc in sorted(flowcells))
                warnings.append(
                    f"barcode table entry {raw} → {sample} matched files of"
                    f" {len(flowcells)} flowcells ({', '.join(sorted(flowcells))}); barcodes"
                    f" are reused from run to run: if these are different samples, write"
                    f" the entries as {qualified}"
                )
        return warnings


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
    root = _absolute(fastq_dir)
    if not root.exists():
        raise UsageError(f"FASTQ folder {fastq_dir} does not exist")
    if not root.is_dir():
        raise UsageError(f"{fastq_dir} is not a folder; give the folder holding the FASTQ files")
    found = Discovery(root)
    table = _BarcodeTable(barcodes) if barcodes is not None else None

    by_pair_key: dict[tuple[Path, str], dict[int, tuple[Path, _FileName]]] = {}
    for path in _fastq_files(root, found):
        parsed = _parse_file_name(path.name)
        if isinstance(parsed, str):
            found.skipped.append(FileNote(path, parsed))
            continue
        by_pair_key.setdefault((path.parent, parsed.pair_key), {})[parsed.read_number] = (
            path,
            parsed,
        )

    pairs: list[_Pair] = []
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
        pair = _make_pair(found, fq1, fq2, name1, table, numbered_mgi_samples)
        if pair is not None:
            pairs.append(pair)

    by_sample: dict[str, list[_Pair]] = {}
    for pair in pairs:
        by_sample.setdefault(pair.sample, []).append(pair)
    for sample in sorted(by_sample, key=_natural):
        found.units.extend(_name_units(found, sample, by_sample[sample]))

    if numbered_mgi_samples:
        examples = ", ".join(sorted(numbered_mgi_samples, key=_natural)[:3])
        found.warnings.append(
            f"{len(numbered_mgi_samples)} sample(s) named after flowcell and barcode number"
            f" ({examples}{', ...' if len(numbered_mgi_samples) > 3 else ''}): pass a barcode"
            " table (barcode → sample) to use the lab's sample names"
        )
    if table is not None:
        found.warnings.extend(table.warnings())
    for notes in (found.skipped, found.unpaired, found.problems):
        notes.sort(key=lambda note: _natural(str(note.path)))
    return found


def load_barcode_table(path: Path) -> dict[str, str]:
    """Read a barcode → sample table: two columns, tab-, comma- or space-separated.

    Lines starting with ``#`` and a first line starting with ``barcode`` (a header)
    are ignored. A barcode may be written ``<flowcell>:<barcode>`` to tell apart
    flowcells that reuse barcodes. Several barcodes may name one sample.

    Raises:
        SampleSheetError: Listing every bad line.
    """
    path = Path(path)
    try:
        # utf-8-sig: spreadsheets save CSV with a byte-order mark.
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SampleSheetError(f"barcode table {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SampleSheetError(f"barcode table {path} cannot be read: {exc}") from None
    table: dict[str, str] = {}
    lines: dict[str, int] = {}
    problems: list[str] = []
    content = [
        (n, line.strip())
        for n, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if content and content[0][1].lower().startswith("barcode"):
        content = content[1:]
    for number, line in content:
        cells = [c.strip() for c in re.split(r"[\t,;]", line) if c.strip()]
        if len(cells) == 1:  # no tab, comma or semicolon: spaces separate the columns
            cells = line.split()
        if len(cells) != 2:
            problems.append(_barcode_line_problem(number, line, cells))
            continue
        barcode, sample = cells
        if not SAFE_NAME.match(sample):
            space = f" (it holds a space: write e.g. {_safe_suggestion(sample)})"
            problems.append(
                f"line {number}: sample name {sample!r} may only contain letters, digits,"
                " '-', '_' and '.' (and must start with a letter or digit)"
                + (space if " " in sample else "")
            )
        flowcell, _, bare = barcode.rpartition(":")
        key = f"{flowcell}:{_normal_barcode(bare)}" if flowcell else _normal_barcode(bare)
        if key in lines and table[key] != sample:
            problems.append(
                f"line {number}: barcode {barcode} is already given to sample {table[key]}"
                f" on line {lines[key]}"
            )
            continue
        table[key] = sample
        lines.setdefault(key, number)
    if not content and not problems:
        problems.append("the table is empty; write one line per barcode: <barcode> <sample>")
    if problems:
        raise SampleSheetError(f"{path}: {len(problems)} problem(s) in the barcode table", problems)
    return table


def _barcode_line_problem(number: int, line: str, cells: list[str]) -> str:
    """Why a barcode-table line is not two columns; a space inside a name is named."""
    if len(cells) > 2 and not re.search(r"[\t,;]", line):
        joined = _safe_suggestion("_".join(cells[1:]))
        return (
            f"line {number}: {line!r} has {len(cells)} space-separated fields; a sample name"
            f" cannot hold a space ({' '.join(cells[1:])!r}): write it as {joined!r}, or"
            " separate barcode and sample with a tab"
        )
    return (
        f"line {number}: {len(cells)} column(s) in {line!r}; each line needs a barcode and a sample"
    )


def write_sample_sheet(discovery: Discovery, path: Path) -> Path:
    """Write the units of a scan as a sample sheet, atomically.

    FASTQ paths are written relative to the sheet's folder when they lie under it,
    else absolute. Comment lines say where the sheet came from and list every FASTQ
    left out with the reason; the sheet loader skips them.

    Returns:
        The sheet's path.

    Raises:
        SampleSheetError: The scan found no units (the sheet would not load).
    """
    path = _absolute(path)
    if not discovery.units:
        raise SampleSheetError(
            f"no units to write to {path}: no FASTQ pairs were found in {discovery.fastq_dir}"
        )
    base = path.parent
    lines = [
        f"# Sample sheet written by labpipe init from {_one_line(str(discovery.fastq_dir))}",
        "# One row per unit (lane) of a sample: check the sample names before running.",
    ]
    left_out = discovery.left_out()
    if left_out:
        lines.append(f"# {len(left_out)} FASTQ file(s) found but not in this sheet:")
        lines.extend(
            f"#   {kind}: {_one_line(discovery.relative(note.path))}: {_one_line(note.reason)}"
            for kind, note in left_out
        )
    lines.append("\t".join(SHEET_COLUMNS))
    for unit in discovery.units:
        cells = [
            unit.sample,
            unit.unit,
            _path_for(unit.fq1, base),
            _path_for(unit.fq2, base),
            unit.platform or "",
            "",
        ]
        lines.append("\t".join(cells))
    write_text_atomic(path, "\n".join(lines) + "\n")
    return path


@dataclass(frozen=True)
class InitSources:
    """Genome build and annotation files ``labpipe init`` writes into the config.

    Attributes:
        build: ``reference.build``; None: told from the reference's contig lengths when it can be.
        gff3: Ensembl GFF3 for consequences.
        clinvar: ClinVar VCF (bgzip + index).
        population_af: A population allele-frequency VCF (e.g. a gnomAD extract).
        global_field: Its INFO field of the global frequency (``AF``).
        population_field: Its INFO field of the lab's population (``AF_sas``).
        population: Label of that population (``South Asian``).
        population_name: Display name of the source (``gnomAD v4.1 exomes``).
        panels: Gene panel files (gene list or BED); each is named after its file.
    """

    build: str | None = None
    gff3: Path | None = None
    clinvar: Path | None = None
    population_af: Path | None = None
    global_field: str | None = None
    population_field: str | None = None
    population: str | None = None
    population_name: str | None = None
    panels: tuple[Path, ...] = ()

    def files(self) -> list[tuple[str, Path]]:
        """(option, path) of every file given, to check before anything is written."""
        named = [("--gff3", self.gff3), ("--clinvar", self.clinvar)]
        named.append(("--population-af", self.population_af))
        return [(o, p) for o, p in named if p is not None] + [("--panel", p) for p in self.panels]

    def problems(self) -> list[str]:
        """Options that do not fit together."""
        fields = (self.global_field, self.population_field, self.population, self.population_name)
        if self.population_af is None and any(fields):
            return ["--population-af-* options need --population-af FILE"]
        if self.population_af is not None and not (self.global_field or self.population_field):
            return [
                "--population-af needs the INFO field(s) to read: --population-af-field"
                " (global, e.g. AF) and/or --population-af-population-field (e.g. AF_sas)"
            ]
        return []

    def annotation(self, base: Path) -> dict[str, Any]:
        """The config's ``annotation`` values, paths written relative to ``base`` when under it."""
        section: dict[str, Any] = {}
        if self.gff3 is not None:
            section["gff3"] = _path_for(self.gff3, base)
        if self.clinvar is not None:
            section["clinvar"] = _path_for(self.clinvar, base)
        if self.population_af is not None:
            source_id = "gnomad" if "gnomad" in self.population_af.name.lower() else "population"
            entry: dict[str, Any] = {"id": source_id}
            if self.population_name:
                entry["name"] = self.population_name
            entry["vcf"] = _path_for(self.population_af, base)
            if self.population:
                entry["population"] = self.population
            if self.population_field:
                entry["population_field"] = self.population_field
            if self.global_field:
                entry["global_field"] = self.global_field
            section["population_af"] = [entry]
        if self.panels:
            section["panels"] = [
                {"name": _panel_name(panel), "file": _path_for(panel, base)}
                for panel in self.panels
            ]
        return section


def _panel_name(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".txt", ".tsv", ".bed", ".list"):
        name = name.removesuffix(suffix)
    return name


def write_lab_config(
    path: Path,
    *,
    lab_name: str,
    reference: Path,
    targets: Path | None,
    samples_path: Path,
    platform: str,
    sources: InitSources | None = None,
) -> Path:
    """Write a lab config showing every key labpipe knows, atomically.

    The keys that apply are values; every other key of the schema is a
    commented line with its default (:mod:`labpipe.config.template`), so a lab
    sees what it can set. ``lab.id`` is derived from the name
    (:func:`lab_id_from_name`). Paths under the config's folder are written
    relative to it, others absolute.

    Returns:
        The config's path.

    Raises:
        UsageError: ``platform`` is not ILLUMINA or DNBSEQ, or the lab name is empty.
    """
    from labpipe.config.template import render_config

    path = _absolute(path)
    platform = canonical_platform(platform)
    if platform not in PLATFORMS:
        raise UsageError(f"platform {platform!r} is not one of {', '.join(PLATFORMS)}")
    if not lab_name.strip():
        raise UsageError("the lab name is empty; give one with --lab")
    sources = sources or InitSources()
    base = path.parent
    values: dict[str, Any] = {
        "lab": {"name": lab_name.strip(), "id": lab_id_from_name(lab_name)},
        "reference": {"fasta": _path_for(_absolute(reference), base)},
    }
    if sources.build:
        values["reference"]["build"] = sources.build
    if targets is not None:
        values["targets"] = _path_for(_absolute(targets), base)
    values["samples"] = _path_for(_absolute(samples_path), base)
    values["platform"] = platform
    annotation = sources.annotation(base)
    if annotation:
        values["annotation"] = annotation
    header = [
        "Lab config written by `labpipe init`. Check it with:",
        f"  labpipe validate {_one_line(str(path))}",
        "Relative paths are resolved against the folder holding this file.",
        "Every key labpipe knows is here: a line starting '# key:' is off and shows the",
        "default (or an example); remove its '# ' to set it. Leave targets out for whole",
        "genomes. docs/offline-annotation.md says how to get the annotation files offline.",
    ]
    write_text_atomic(path, render_config(values, header))
    return path


def lab_id_from_name(name: str) -> str:
    """A lab id safe for the schema from a lab's name.

    Accents are dropped, apostrophes removed, every other run of characters that
    are not letters or digits becomes ``-``; lower case, at most 40 characters.
    ``"St Mary's Hospital – Genetics"`` → ``"st-marys-hospital-genetics"``. A name
    with no Latin letters or digits gives ``"lab"``.
    """
    return _slug(name) or "lab"


def init_lab(
    fastq_dir: Path,
    reference: Path,
    targets: Path | None,
    lab_name: str | None,
    out_dir: Path,
    barcodes: Mapping[str, str] | None = None,
    *,
    overwrite: bool = False,
    skip_unlisted_barcodes: bool = False,
    sources: InitSources | None = None,
) -> InitResult:
    """Scan a run folder and write ``samples.tsv`` and ``config.yaml`` into ``out_dir``.

    Units with problems, unpaired and skipped files are left out of the sheet and
    listed in the result (and in the sheet's comments); the sheet is written as
    long as one unit is usable.

    Args:
        fastq_dir: The sequencer's (or demultiplexer's) output folder.
        reference: Reference FASTA.
        targets: Targets BED, or None for whole-genome data.
        lab_name: The lab's name for reports; None writes a placeholder and a warning.
        out_dir: Where to write the two files (created if missing).
        barcodes: Optional MGI barcode → sample table (see :func:`discover_fastqs`).
        overwrite: Replace the two files if they exist.
        skip_unlisted_barcodes: Leave out (and list) files whose barcode the table lacks;
            without it such files stop ``init``, since a patient would be missed silently.
        sources: Genome build and annotation files for the config.

    Returns:
        The paths written, the scan, and warnings for the user.

    Raises:
        UsageError: A named file or folder is missing, or the output files exist.
        InputFormatError: No usable read pair was found, or a barcode of the run is not in
            the barcode table (without ``skip_unlisted_barcodes``); the problems say why.
    """
    out_dir = _absolute(out_dir)
    sheet_path = out_dir / SAMPLE_SHEET_NAME
    config_path = out_dir / CONFIG_NAME
    sources = sources or InitSources()
    missing = sources.problems()
    named = [("--reference", reference), ("--targets", targets), *sources.files()]
    for option, given in named:
        if given is None or Path(given).is_file():
            continue
        state = "is not a file" if Path(given).exists() else "does not exist"
        missing.append(f"{option} {given} {state}")
    if missing:
        raise UsageError("labpipe init cannot start", missing)
    existing = [str(p) for p in (sheet_path, config_path) if p.exists()]
    if existing and not overwrite:
        raise UsageError(
            f"{' and '.join(existing)} already exist{'s' if len(existing) == 1 else ''};"
            " pass --overwrite to replace them, or choose another --outdir folder"
        )

    found = discover_fastqs(fastq_dir, barcodes)
    unlisted = _unlisted_barcode_lines(found)
    if unlisted and not skip_unlisted_barcodes:
        raise InputFormatError(
            f"{len(found.unlisted_barcodes)} barcode(s) of the run in {found.fastq_dir} are not in"
            " the barcode table, so their patients would be missing from the sample sheet: add"
            " them to the table (barcode → sample), or pass --skip-unlisted-barcodes to leave"
            " them out on purpose",
            unlisted,
        )
    if not found.units:
        notes = [
            f"{kind}: {found.relative(note.path)}: {note.reason}" for kind, note in found.left_out()
        ]
        raise InputFormatError(
            f"no usable FASTQ pairs in {found.fastq_dir}",
            notes or [f"it holds no FASTQ files (names ending {', '.join(FASTQ_SUFFIXES)})"],
        )

    warnings = list(found.warnings)
    if unlisted:
        warnings.append(
            f"left out on request (--skip-unlisted-barcodes): {len(found.unlisted_barcodes)}"
            " barcode(s) not in the barcode table: " + "; ".join(unlisted)
        )
    name = (lab_name or "").strip()
    if not name:
        name = "Unnamed lab"
        warnings.append(
            f"no lab name given: {config_path} calls the lab 'Unnamed lab'; edit lab.name"
            " and lab.id there (the name is printed on reports)"
        )
    elif not _slug(name):
        warnings.append(
            f"lab.id in {config_path} is 'lab' (the name has no Latin letters or digits);"
            " edit it to a short id of your lab"
        )
    platform = found.main_platform() or "ILLUMINA"
    unknown = [u for u in found.units if u.platform is None]
    if unknown:
        warnings.append(
            f"{len(unknown)} unit(s) have reads that name no platform and files named in no"
            f" platform's scheme: they take the config's default platform {platform}; set the"
            f" platform column of {sheet_path} if that is wrong"
        )

    sources, build_warnings = _with_build(sources, reference)
    warnings += build_warnings
    out_dir.mkdir(parents=True, exist_ok=True)
    write_sample_sheet(found, sheet_path)
    write_lab_config(
        config_path,
        lab_name=name,
        reference=reference,
        targets=targets,
        samples_path=sheet_path,
        platform=platform,
        sources=sources,
    )
    from labpipe.inputs.reference import missing_indexes

    if missing_indexes(_absolute(reference)):
        warnings.append(
            f"reference {reference} is not indexed yet: run"
            f" `labpipe reference prepare {reference}` before `labpipe run`"
        )
    return InitResult(sheet_path, config_path, found, warnings)


def _unlisted_barcode_lines(found: Discovery) -> list[str]:
    """One line per barcode the table lacks, naming its files."""
    return [
        f"barcode {barcode}: {', '.join(found.relative(p) for p in paths)}"
        for barcode, paths in sorted(found.unlisted_barcodes.items(), key=lambda i: _natural(i[0]))
    ]


def _with_build(sources: InitSources, reference: Path) -> tuple[InitSources, list[str]]:
    """The build told from the reference's contig lengths when none is given; a warning on
    a given build the lengths contradict."""
    from dataclasses import replace

    from labpipe.core.errors import LabpipeError
    from labpipe.core.genome_builds import build_label, build_of_lengths, describe_length
    from labpipe.inputs.checks import reference_contigs

    try:
        told = build_of_lengths(reference_contigs(_absolute(reference)))
    except LabpipeError:
        told = None  # `labpipe validate` says what is wrong with the reference
    if told is None:
        if sources.build is not None:
            return sources, []
        # Said now: otherwise the first sign is a report whose reference names no build.
        return sources, [
            f"the genome build could not be told from the contig lengths of {reference}:"
            " set reference.build in the config (or pass --build), so that reports and"
            " HGVS g. names state it"
        ]
    build, contig, length = told
    if sources.build is None:
        return replace(sources, build=build), []
    stated = build_label(sources.build)
    if stated is not None and stated != build:
        return sources, [
            f"--build {sources.build} is {stated}, but in {reference}"
            f" {describe_length(contig, length)}: check which FASTA and which build you mean"
            " (labpipe validate will refuse the pair)"
        ]
    return sources, []


def _make_pair(
    found: Discovery,
    fq1: Path,
    fq2: Path,
    name: _FileName,
    table: _BarcodeTable | None,
    numbered_mgi_samples: set[str],
) -> _Pair | None:
    """Check one read pair and work out its sample and platform; None if it is left out."""
    headers = {path: first_read_name(path) or "" for path in (fq1, fq2)}
    empty = [path for path, header in headers.items() if not header.startswith("@")]
    if empty:
        found.skipped.extend(FileNote(path, NO_READS) for path in empty)
        if len(empty) == 1:
            mate = fq2 if empty[0] == fq1 else fq1
            found.unpaired.append(FileNote(mate, f"its mate {empty[0].name} has no reads"))
        return None

    origin = "from the file name"
    if name.flowcell and name.barcode:  # MGI: the barcode stands for the sample
        if table is None:
            if name.barcode.isdigit():
                sample = f"{name.flowcell}_bc{name.barcode}"
                numbered_mgi_samples.add(sample)
            else:
                sample = name.barcode
        else:
            entry = table.sample_for(name.flowcell, name.barcode)
            if entry is None:
                found.unlisted_barcodes.setdefault(name.barcode, []).extend((fq1, fq2))
                for path in (fq1, fq2):
                    found.skipped.append(
                        FileNote(
                            path,
                            f"barcode {name.barcode} is not in the barcode table: add it"
                            " (barcode → sample) if it is a sample",
                        )
                    )
                return None
            sample = entry[1]
            origin = f"given to barcode {entry[0]} by the barcode table"
    else:
        sample = name.sample or ""

    if not SAFE_NAME.match(sample):
        fix = (
            "fix the barcode table"
            if name.barcode and table is not None
            else f"rename the pair (e.g. to {_safe_suggestion(sample)}) and run labpipe init again"
        )
        found.problems.append(
            FileNote(
                fq1,
                f"sample name {sample!r} ({origin}) may only contain letters, digits, '-', '_'"
                f" and '.' and must start with a letter or digit: {fix}; its mate is {fq2.name}",
            )
        )
        return None
    for path in (fq1, fq2):
        if _SHEET_UNSAFE.search(str(path)):
            found.problems.append(
                FileNote(
                    path,
                    "its path holds a tab, line break or '\"', which a tab-separated sample"
                    " sheet cannot hold: rename it",
                )
            )
            return None

    facts = parse_read_name(headers[fq1])
    named_platform = _SCHEME_PLATFORM[name.scheme]
    platform = facts.platform if facts else named_platform
    _check_pair(found, fq1, fq2, name, headers[fq1], headers[fq2], facts, named_platform)
    return _Pair(sample, fq1, fq2, name, headers[fq1], facts, platform)


def _check_pair(
    found: Discovery,
    fq1: Path,
    fq2: Path,
    name: _FileName,
    header1: str,
    header2: str,
    facts: ReadNameFacts | None,
    named_platform: str | None,
) -> None:
    """Warn where the file names and the reads in them disagree."""
    warnings = found.warnings
    where = found.relative(fq1)
    if facts and named_platform and facts.platform != named_platform:
        warnings.append(
            f"{where}: named like {named_platform} output but its reads are {facts.platform}"
            f" ({header1}); the sheet says {facts.platform}"
        )
    if facts and name.lane_number is not None and int(facts.lane) != name.lane_number:
        warnings.append(
            f"{where}: the file name says lane {name.lane_number} but its reads are from lane"
            f" {facts.lane} ({header1}); was the file renamed? The unit is named after the file,"
            " the read group after the reads"
        )
    if facts and name.flowcell and facts.flowcell != name.flowcell:
        warnings.append(
            f"{where}: the file name says flowcell {name.flowcell} but its reads are from"
            f" {facts.flowcell} ({header1}); was the file renamed?"
        )
    id1, mate1 = _read_id(header1)
    id2, mate2 = _read_id(header2)
    if id1 != id2:
        warnings.append(
            f"{where} and {fq2.name} begin with different reads ({id1} and {id2}):"
            " are they mates from the same run?"
        )
    elif (mate1, mate2) == (2, 1):
        warnings.append(f"{where} holds read 2 and {fq2.name} read 1: are R1 and R2 swapped?")


def _name_units(found: Discovery, sample: str, pairs: list[_Pair]) -> list[DiscoveredUnit]:
    """Name a sample's units uniquely, leaving out copies and clashes as problems."""
    pairs = sorted(pairs, key=_Pair.sort_key)
    pairs = _without_clashes(found, sample, pairs)
    flowcells = sorted({p.flowcell for p in pairs if p.flowcell})
    several = len(flowcells) > 1
    if several:
        found.warnings.append(
            f"sample {sample}: units from {len(flowcells)} flowcells ({', '.join(flowcells)})"
            " are analysed as one sample; check that they are the same sample"
        )
    names = []
    for p in pairs:
        parts = [p.flowcell] if p.flowcell and (several or not p.name.lane) else []
        if p.name.lane:
            parts.append(p.name.lane)
        names.append(".".join(parts))
    # Same lane of the same flowcell: bcl2fastq chunks, or two barcodes of one sample.
    counts = Counter(names)
    for i, p in enumerate(pairs):
        extra = p.name.chunk or p.name.barcode
        if names[i] and counts[names[i]] > 1 and extra:
            names[i] = f"{names[i]}.{extra}"
    unknown = [i for i, n in enumerate(names) if not n]
    if len(unknown) > 1:
        files = ", ".join(found.relative(pairs[i].fq1) for i in unknown)
        found.warnings.append(
            f"sample {sample}: {len(unknown)} read pairs whose names and reads carry no lane or"
            f" flowcell ({files}) are numbered and analysed as one sample; check that they are"
        )
    for number, i in enumerate(unknown, start=1):
        names[i] = str(number)
    names = _unique(names)
    return [
        DiscoveredUnit(sample, n, p.fq1, p.fq2, p.platform)
        for n, p in zip(names, pairs, strict=True)
    ]


def _without_clashes(found: Discovery, sample: str, pairs: list[_Pair]) -> list[_Pair]:
    """Drop pairs that are copies of each other or the same lane twice, listing them.

    Neither copy is kept: raw and trimmed copies, or two samples under one name,
    look alike from here, and only the lab knows which one is meant.
    """
    clashing: dict[int, str] = {}
    groups: dict[tuple[object, ...], list[int]] = {}
    for i, p in enumerate(pairs):
        # Recognised read names (flowcell, lane, tile, position) are unique per read.
        if p.facts:
            groups.setdefault(("read", _read_id(p.first_read)[0]), []).append(i)
        if p.flowcell or p.name.lane:
            lane_key = ("lane", p.flowcell, p.name.lane, p.name.chunk, p.name.barcode)
            groups.setdefault(lane_key, []).append(i)
    for key, members in groups.items():
        if len(members) < 2:
            continue
        for i in members:
            if i in clashing:
                continue
            others = ", ".join(found.relative(pairs[j].fq1) for j in members if j != i)
            if key[0] == "read":
                clashing[i] = (
                    f"begins with the same read as {others}: copies of the same reads (raw and"
                    " trimmed, or copied twice)? Keep one copy in the folder and run labpipe init"
                    " again"
                )
            else:
                flowcell, lane = key[1], key[2]
                what = " ".join(
                    [
                        *([f"flowcell {flowcell}"] if flowcell else []),
                        *([f"lane {lane}"] if lane else []),
                    ]
                )
                clashing[i] = (
                    f"sample {sample} {what} also comes from {others}: a copy, or two samples"
                    " with one name? Keep one in the folder (or rename one) and run labpipe init"
                    " again"
                )
    for i in sorted(clashing):
        found.problems.append(FileNote(pairs[i].fq1, clashing[i]))
    return [p for i, p in enumerate(pairs) if i not in clashing]


def _parse_file_name(name: str) -> _FileName | str:
    """What a FASTQ's name says, or the reason the file is skipped."""
    stem, suffix = _split_fastq_suffix(name)
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


def _file_name(scheme: str, match: re.Match[str], stem: str, suffix: str) -> _FileName:
    groups = match.groupdict()
    read = match["read"]
    start, end = match.span("read")
    return _FileName(
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
        if (here / ".labpipe").is_dir():
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
        dirnames[:] = sorted((d for d in dirnames if not d.startswith(".")), key=_natural)
        for name in sorted(filenames, key=_natural):
            path = here / name
            if name.startswith("."):
                # e.g. macOS's ._S1_R1_001.fastq.gz beside every file copied from a Mac
                found.ignored.append(path)
            elif _split_fastq_suffix(name)[1]:
                files.append(path)
            elif match := _OTHER_COMPRESSION.search(name):
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


def _split_fastq_suffix(name: str) -> tuple[str, str]:
    """(stem, suffix) for a FASTQ name; suffix is '' when the name is not a FASTQ's."""
    lower = name.lower()
    for suffix in FASTQ_SUFFIXES:
        if lower.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)], name[-len(suffix) :]
    return name, ""


def _read_id(header: str) -> tuple[str, int | None]:
    """(read id without /1 or /2, mate number if the header says) of a FASTQ header."""
    fields = header[1:].split(maxsplit=1)
    read_id = fields[0] if fields else ""
    if re.search(r"/[12]$", read_id):
        return read_id[:-2], int(read_id[-1])
    comment = re.match(r"([12]):[YN]:", fields[1]) if len(fields) > 1 else None
    return read_id, int(comment[1]) if comment else None


def _unique(names: list[str]) -> list[str]:
    """Names made unique and safe by numbering the ones that are not."""
    counts = Counter(names)
    result = []
    taken = set(names)
    for name in names:
        if counts[name] == 1 and SAFE_NAME.match(name):
            result.append(name)
            continue
        base = name if SAFE_NAME.match(name) else "unit"
        number = 1
        while f"{base}.{number}" in taken:
            number += 1
        taken.add(f"{base}.{number}")
        result.append(f"{base}.{number}")
    return result


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_name.replace("'", "")).strip("-").lower()
    return slug[:40].rstrip("-")


def _normal_barcode(barcode: str) -> str:
    # MGI writes barcode 5 as "5" in one software version and "05" in a lab's table.
    return str(int(barcode)) if barcode.isdigit() else barcode


def _safe_suggestion(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).lstrip("_.-") or "sample1"


def _natural(text: str) -> list[object]:
    """Sort key putting S2 before S10."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", text)]


def _absolute(path: Path) -> Path:
    # abspath, not resolve(): keep the symlinked paths the lab knows.
    return Path(os.path.abspath(path))


def _path_for(path: Path, base: Path) -> str:
    """Relative to base (POSIX) when under it, else absolute."""
    path = _absolute(path)
    return path.relative_to(base).as_posix() if path.is_relative_to(base) else str(path)


def _one_line(text: str) -> str:
    return re.sub(r"[\t\r\n]", " ", text)


def _yaml_string(value: str) -> str:
    # A JSON string is a valid YAML double-quoted scalar: safe for ':', '#', quotes.
    return json.dumps(value, ensure_ascii=False)
