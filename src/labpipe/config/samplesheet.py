"""The sample sheet: which FASTQ files make up which sample.

A tab-separated file with a header row. Required columns: ``sample``, ``unit``
(lane or run unit), ``fq1``, ``fq2``; optional: ``platform`` (ILLUMINA or
DNBSEQ), ``library`` and ``sex`` (male, female or unknown; M/F; any case: see
:mod:`labpipe.qc.sex`), and the pedigree columns ``family``, ``father``, ``mother`` and
``affected`` (read and checked by :mod:`labpipe.config.pedigree_reader`). Relative FASTQ
paths are resolved against the sheet's directory. Every problem is reported with its line
number, all at once. Over 400 lines because reading a row and checking its columns are one
pass that collects every problem with its line.
"""

from __future__ import annotations

import csv
import difflib
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from labpipe.config.platform import (
    PLATFORMS,
    ReadNameFacts,
    canonical_platform,
    first_read_name,
    mgi_barcode_from_filename,
    name_style_mismatch,
    parse_read_name,
)
from labpipe.core.errors import SampleSheetError, on_line
from labpipe.core.i18n import _
from labpipe.core.suggest import unknown_name

# The sexes a sample sheet may declare (the sex check in labpipe.qc.sex uses the same words).
MALE, FEMALE, UNKNOWN = "male", "female", "unknown"
_SHEET_SEX = {
    "male": MALE,
    "m": MALE,
    "female": FEMALE,
    "f": FEMALE,
    "unknown": UNKNOWN,
    "": UNKNOWN,
}


def parse_sex(text: str) -> str | None:
    """``male``, ``female`` or ``unknown`` for a sample-sheet value; None when not one of them.

    Accepted (any case): male/M, female/F, unknown, or empty.
    """
    return _SHEET_SEX.get(text.strip().lower())


REQUIRED_COLUMNS = ("sample", "unit", "fq1", "fq2")
#: The pedigree's columns (labpipe.config.pedigree reads and checks their values).
FAMILY_COLUMNS = ("family", "father", "mother", "affected")
OPTIONAL_COLUMNS = ("platform", "library", "sex", *FAMILY_COLUMNS)
# Patient and specimen facts for the report's header; never used by the analysis.
PATIENT_COLUMNS = (
    "patient_id",
    "date_of_birth",
    "referral_reason",
    "specimen_type",
    "date_received",
    "referring_clinician",
)
# Names reach file paths and shell commands: keep them to a safe alphabet.
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class Unit:
    """One sequencing unit (a lane of a library) of one sample.

    Attributes:
        sample: Sample name (SM).
        unit: Unit name, unique within the sample.
        fq1: Read 1 FASTQ, absolute.
        fq2: Read 2 FASTQ, absolute.
        platform: ILLUMINA or DNBSEQ.
        library: Library name (LB).
        platform_unit: SAM PU (flowcell.lane[.barcode]) from the read names.
        line: Line of the sample sheet it came from.
    """

    sample: str
    unit: str
    fq1: Path
    fq2: Path
    platform: str
    library: str
    platform_unit: str
    line: int
    detected_platform: str | None = None
    # From the optional `sex` column (labpipe.qc.sex): male, female or unknown.
    sex: str = "unknown"
    # The pedigree columns as written (labpipe.config.pedigree checks them); "" when absent.
    family: str = ""
    father: str = ""
    mother: str = ""
    affected: str = ""

    @property
    def read_group_id(self) -> str:
        """Read group ID, unique per unit."""
        return f"{self.sample}.{self.unit}"

    def read_group(self) -> str:
        """The complete @RG line for ``bwa mem -R`` (tabs written as ``\\t``)."""
        fields = [
            "@RG",
            f"ID:{self.read_group_id}",
            f"SM:{self.sample}",
            f"LB:{self.library}",
            f"PL:{self.platform}",
            f"PU:{self.platform_unit}",
        ]
        return "\\t".join(fields)


def load_sample_sheet(path: Path, default_platform: str = "ILLUMINA") -> list[Unit]:
    """Read and validate a sample sheet.

    Args:
        path: The TSV file.
        default_platform: Platform for rows that name none.

    Returns:
        The units, in sheet order.

    Raises:
        SampleSheetError: Listing every problem, each with its line.
    """
    path = Path(path)
    try:
        # utf-8-sig: Excel's "CSV UTF-8" (and other Windows editors) start with a byte-order
        # mark; splitlines() below takes CRLF line ends as well.
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SampleSheetError(_("sample sheet %(path)s does not exist") % {"path": path}) from None
    except UnicodeDecodeError as exc:
        raise SampleSheetError(
            _(
                "sample sheet %(path)s is not UTF-8 text (byte %(byte)s): save it as UTF-8"
                " (in Excel: 'Text (Tab delimited)' or 'CSV UTF-8')"
            )
            % {"path": path, "byte": exc.start}
        ) from None
    except OSError as exc:
        raise SampleSheetError(
            _("sample sheet %(path)s cannot be read: %(why)s") % {"path": path, "why": exc.strerror}
        ) from None

    rows = _rows(text)
    if not rows:
        raise SampleSheetError(
            _(
                "%(path)s: the sample sheet is empty; it needs a header row (%(columns)s) and"
                " one row per unit"
            )
            % {"path": path, "columns": ", ".join(REQUIRED_COLUMNS)}
        )
    header_line = rows[0][0]
    header = _cells(rows[0][1])
    problems = _header_problems(header, header_line)
    if problems:
        raise SampleSheetError(
            _("%(path)s: the sample sheet header is not valid") % {"path": path}, problems
        )

    base = path.resolve().parent
    units: list[Unit] = []
    seen_units: Counter[tuple[str, str]] = Counter()
    seen_files: dict[Path, int] = {}
    parsed: list[tuple[int, dict[str, str]]] = []
    for number, line in rows[1:]:
        cells = _cells(line, len(header))
        if len(cells) != len(header):
            columns = _(
                "%(found)s columns, the header has %(header)s (columns must be separated by tabs)"
            )
            problems.append(on_line(number, columns % {"found": len(cells), "header": len(header)}))
            continue
        row = dict(zip(header, cells, strict=True))
        parsed.append((number, row))
        unit = _check_row(row, number, base, default_platform, problems)
        key = (row["sample"], row["unit"])
        seen_units[key] += 1
        if seen_units[key] == 2:
            twice = _(
                "sample '%(sample)s' unit '%(unit)s' appears more than once; give each lane of"
                " a sample its own unit name"
            )
            problems.append(on_line(number, twice % {"sample": key[0], "unit": key[1]}))
        for column in ("fq1", "fq2"):
            if not row[column]:
                continue
            fq = (base / row[column]).resolve()
            if fq in seen_files and seen_files[fq] != number:
                used = _("%(column)s %(file)s is already used on line %(first)s")
                values = {"column": column, "file": row[column], "first": seen_files[fq]}
                problems.append(on_line(number, used % values))
            seen_files.setdefault(fq, number)
        if unit is not None:
            units.append(unit)
    problems += _sex_problems(units)
    # Caught here (validate), not first when a report is written: one sample's
    # disagreeing lines would otherwise stop every sample's report at the end of the run.
    problems += _patient_values(parsed, (*PATIENT_COLUMNS, *FAMILY_COLUMNS))[1]
    if not rows[1:]:
        problems.append(_("the sample sheet has a header but no rows"))
    if problems:
        raise SampleSheetError(
            _("%(path)s: %(count)s problem(s) in the sample sheet")
            % {"path": path, "count": len(problems)},
            problems,
        )
    return units


def patient_fields(path: Path) -> dict[str, dict[str, str]]:
    """Each sample's patient and specimen columns (and ``sex``), as written; empty ones left out.

    Read from a sheet :func:`load_sample_sheet` has accepted. The units of one
    sample must agree.

    Raises:
        SampleSheetError: Two units of a sample give different values, naming both lines.
    """
    rows = _rows(Path(path).read_text(encoding="utf-8-sig"))
    if not rows:
        return {}
    header = _cells(rows[0][1])
    parsed = [
        (number, dict(zip(header, _cells(line, len(header)), strict=False)))
        for number, line in rows[1:]
    ]
    found, problems = _patient_values(parsed, (*PATIENT_COLUMNS, "sex"))
    if problems:
        raise SampleSheetError(_("%(path)s: patient columns disagree") % {"path": path}, problems)
    return {name: {k: v for k, (v, _) in values.items()} for name, values in found.items()}


def _patient_values(
    rows: list[tuple[int, dict[str, str]]], columns: tuple[str, ...]
) -> tuple[dict[str, dict[str, tuple[str, int]]], list[str]]:
    """Each sample's non-empty values of ``columns`` with the line first giving each, and a
    problem for every line whose value differs from that first one."""
    found: dict[str, dict[str, tuple[str, int]]] = {}
    problems = []
    for number, row in rows:
        sample = found.setdefault(row.get("sample", ""), {})
        for column in columns:
            value = row.get(column, "")
            if not value:
                continue
            if column in sample and sample[column][0] != value:
                differs = _(
                    "%(column)s %(value)s differs from %(first)s on line %(line)s for the same"
                    " sample; give one value"
                )
                first, first_line = sample[column]
                values = {"column": column, "value": repr(value), "first": repr(first)}
                problems.append(on_line(number, differs % {**values, "line": first_line}))
            sample.setdefault(column, (value, number))
    return found, problems


def _rows(text: str) -> list[tuple[int, str]]:
    """The sheet's lines with their numbers, blank and '#' lines left out."""
    return [
        (n, line)
        for n, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.startswith("#")
    ]


def _cells(line: str, width: int = 0) -> list[str]:
    """A line's tab-separated cells, stripped; empty cells past ``width`` dropped (a
    spreadsheet saves trailing tabs after a column that was once used)."""
    cells = [cell.strip() for cell in next(csv.reader([line], delimiter="\t"))]
    while len(cells) > width and not cells[-1]:
        cells.pop()
    return cells


def samples_of(units: list[Unit]) -> list[str]:
    """Sample names in first-seen order."""
    return list(dict.fromkeys(u.sample for u in units))


def _header_problems(header: list[str], line: int) -> list[str]:
    problems = []
    known = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS, *PATIENT_COLUMNS)
    for column in REQUIRED_COLUMNS:
        if column not in header:
            problems.append(on_line(line, _("missing column '%(column)s'") % {"column": column}))
    for column in header:
        if column not in known:
            message = unknown_name(_("column"), column, known, listed_as=_("known columns"))
            problems.append(on_line(line, message))
    duplicated = sorted(c for c, n in Counter(header).items() if n > 1)
    for column in duplicated:
        twice = _("column '%(column)s' appears more than once") % {"column": column}
        problems.append(on_line(line, twice))
    if problems and len(header) == 1 and "," in header[0]:
        comma = _("the sheet looks comma-separated; it must be tab-separated")
        problems.append(on_line(line, comma))
    return problems


def _check_row(
    row: dict[str, str], number: int, base: Path, default_platform: str, problems: list[str]
) -> Unit | None:
    before = len(problems)
    sample, unit = row["sample"], row["unit"]
    for column, value in (("sample", sample), ("unit", unit)):
        if not value:
            problems.append(on_line(number, _("%(column)s is empty") % {"column": column}))
        elif not SAFE_NAME.match(value):
            unsafe = _(
                "%(column)s name %(value)s may only contain letters, digits, '-', '_' and '.'"
                " (and must not start with '-', '_' or '.'); rename it"
            )
            problems.append(on_line(number, unsafe % {"column": column, "value": repr(value)}))
    fq1, fq2 = row["fq1"], row["fq2"]
    if not fq1:
        problems.append(on_line(number, _("%(column)s is empty") % {"column": "fq1"}))
    if fq1 and not fq2:
        single = _(
            "sample '%(sample)s' has fq1 but no fq2; labpipe needs paired-end reads: add the"
            " R2 file"
        )
        problems.append(on_line(number, single % {"sample": sample}))
    if fq1 and fq2 and fq1 == fq2:
        same = _("fq1 and fq2 are the same file %(file)s") % {"file": fq1}
        problems.append(on_line(number, same))
    paths = {}
    for column, value in (("fq1", fq1), ("fq2", fq2)):
        if not value:
            continue
        path = (base / value).resolve()
        paths[column] = path
        values = {"column": column, "file": value, "path": path}
        if not path.exists():
            missing = _("%(column)s %(file)s does not exist (looked for %(path)s)")
            problems.append(on_line(number, missing % values))
        elif not path.is_file():
            problems.append(on_line(number, _("%(column)s %(file)s is not a file") % values))
    named_platform = canonical_platform(row.get("platform", ""))
    platform = named_platform or canonical_platform(default_platform)
    if platform not in PLATFORMS:
        hint = difflib.get_close_matches(platform, PLATFORMS, n=1, cutoff=0.5)
        fix = _(" (did you mean %(hint)s?)") % {"hint": hint[0]} if hint else ""
        wrong = _("platform %(value)s is not one of %(options)s") % {
            "value": repr(row.get("platform")),
            "options": ", ".join(PLATFORMS),
        }
        problems.append(on_line(number, wrong + fix))
    library = row.get("library", "")
    if library and not SAFE_NAME.match(library):
        unsafe = _("library name %(value)s may only contain letters, digits, '-', '_', '.'")
        problems.append(on_line(number, unsafe % {"value": repr(library)}))
    sex = parse_sex(row.get("sex", ""))
    if sex is None:
        wrong = _("sex %(value)s is not one of male, female, unknown (or M, F)")
        problems.append(on_line(number, wrong % {"value": repr(row["sex"])}))
    if len(problems) > before:
        return None
    facts = parse_read_name(first_read_name(paths["fq1"]) or "")
    if facts and not named_platform:
        # The sheet wins; then what the reads say; then the config's default.
        platform = facts.platform
    platform_unit = f"{sample}.{unit}"
    if facts:
        barcode = facts.barcode or mgi_barcode_from_filename(paths["fq1"].name, facts)
        platform_unit = ReadNameFacts(
            facts.platform, facts.flowcell, facts.lane, barcode
        ).platform_unit
    return Unit(
        sample=sample,
        unit=unit,
        fq1=paths["fq1"],
        fq2=paths["fq2"],
        platform=platform,
        library=library or sample,
        platform_unit=platform_unit,
        line=number,
        detected_platform=facts.platform if facts else None,
        sex=sex or "unknown",
        family=row.get("family", ""),
        father=row.get("father", ""),
        mother=row.get("mother", ""),
        affected=row.get("affected", ""),
    )


def _sex_problems(units: list[Unit]) -> list[str]:
    """Units of one sample that name different sexes."""
    first: dict[str, Unit] = {}
    problems = []
    for unit in units:
        seen = first.setdefault(unit.sample, unit)
        if unit.sex != seen.sex:
            differs = _(
                "sample '%(sample)s' is %(sex)s here but %(first)s on line %(line)s; give every"
                " line of a sample the same sex"
            )
            values = {"sample": unit.sample, "sex": unit.sex, "first": seen.sex}
            problems.append(on_line(unit.line, differs % {**values, "line": seen.line}))
    return problems


def platform_warnings(units: list[Unit]) -> list[str]:
    """Units whose sheet platform disagrees with what their read names say, and FASTQs
    named like one platform's files holding the other's reads."""
    says = _(
        "sample '%(sample)s' unit '%(unit)s': the sheet says %(platform)s but the read names in"
        " %(file)s look like %(detected)s; using %(platform)s (the sheet wins — correct it if"
        " it is wrong)"
    )
    renamed = _(
        "sample '%(sample)s' unit '%(unit)s': %(mismatch)s; trimming uses the %(platform)s"
        " adapters (the unit's platform): check the files were not renamed or mixed up"
    )
    warnings = []
    for u in units:
        values = {"sample": u.sample, "unit": u.unit, "platform": u.platform}
        if u.detected_platform and u.detected_platform != u.platform:
            detected = {"file": u.fq1.name, "detected": u.detected_platform}
            warnings.append(on_line(u.line, says % {**values, **detected}))
    for u in units:
        mismatch = name_style_mismatch(u.fq1.name, first_read_name(u.fq1))
        if mismatch:
            values = {"sample": u.sample, "unit": u.unit, "platform": u.platform}
            warnings.append(on_line(u.line, renamed % {**values, "mismatch": mismatch}))
    return warnings
