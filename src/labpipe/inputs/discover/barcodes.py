"""A lab's MGI barcode → sample table: read from its file, matched to MGI file names."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from labpipe.config.samplesheet import SAFE_NAME
from labpipe.core.errors import SampleSheetError
from labpipe.inputs.discover.names import safe_name


class BarcodeTable:
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
            space = f" (it holds a space: write e.g. {safe_name(sample)})"
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
        joined = safe_name("_".join(cells[1:]))
        return (
            f"line {number}: {line!r} has {len(cells)} space-separated fields; a sample name"
            f" cannot hold a space ({' '.join(cells[1:])!r}): write it as {joined!r}, or"
            " separate barcode and sample with a tab"
        )
    return (
        f"line {number}: {len(cells)} column(s) in {line!r}; each line needs a barcode and a sample"
    )


def _normal_barcode(barcode: str) -> str:
    # MGI writes barcode 5 as "5" in one software version and "05" in a lab's table.
    return str(int(barcode)) if barcode.isdigit() else barcode
