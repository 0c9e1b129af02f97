"""Read 1 paired with read 2 into units: reads checked against names, units named per sample."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from labpipe.config.platform import (
    ReadNameFacts,
    first_read_name,
    parse_read_name,
)
from labpipe.config.samplesheet import SAFE_NAME
from labpipe.inputs.discover.barcodes import BarcodeTable
from labpipe.inputs.discover.discovery import NO_READS, DiscoveredUnit, Discovery, FileNote
from labpipe.inputs.discover.names import FileName, natural_sort_key, safe_name

_SCHEME_PLATFORM = {"illumina": "ILLUMINA", "mgi": "DNBSEQ", "plain": None}
# A sample sheet is tab-separated and read with csv: these cannot appear in a path cell.
_SHEET_UNSAFE = re.compile(r'[\t\r\n"]')


@dataclass
class Pair:
    """A read pair on its way to becoming a unit."""

    sample: str
    fq1: Path
    fq2: Path
    name: FileName
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
            natural_sort_key(self.name.barcode or ""),
            str(self.fq1),
        )


def make_pair(
    found: Discovery,
    fq1: Path,
    fq2: Path,
    name: FileName,
    table: BarcodeTable | None,
    numbered_mgi_samples: set[str],
) -> Pair | None:
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
            else f"rename the pair (e.g. to {safe_name(sample)}) and run labpipe init again"
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
    return Pair(sample, fq1, fq2, name, headers[fq1], facts, platform)


def _check_pair(
    found: Discovery,
    fq1: Path,
    fq2: Path,
    name: FileName,
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


def name_units(found: Discovery, sample: str, pairs: list[Pair]) -> list[DiscoveredUnit]:
    """Name a sample's units uniquely, leaving out copies and clashes as problems."""
    pairs = sorted(pairs, key=Pair.sort_key)
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


def _without_clashes(found: Discovery, sample: str, pairs: list[Pair]) -> list[Pair]:
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
