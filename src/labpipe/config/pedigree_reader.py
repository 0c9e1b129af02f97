"""Reading and checking a batch's pedigree: the sample sheet's family columns and/or a PED file.

:func:`load_pedigree` gives the :class:`labpipe.config.pedigree.Pedigree` (the model, and what
the columns mean, are described there), with every problem of the sheet and the PED file at
once: names, unknown values, sheet and PED disagreeing, parents of the wrong sex, cycles.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from labpipe.config.pedigree import Member, Pedigree
from labpipe.config.samplesheet import FEMALE, MALE, SAFE_NAME, UNKNOWN, Unit
from labpipe.core.errors import SampleSheetError
from labpipe.core.i18n import _

if TYPE_CHECKING:
    from labpipe.config.lab import LabConfig

# What a PED file's sex and phenotype columns, and the sheet's `affected`, may say.
_PED_SEX = {"1": MALE, "2": FEMALE, "0": UNKNOWN}
_AFFECTED: dict[str, bool | None] = {
    "yes": True,
    "2": True,
    "no": False,
    "1": False,
    "unknown": None,
    "0": None,
    "-9": None,
    "": None,
}
_NOT_GIVEN = ("", "0")


def parse_affected(text: str) -> tuple[bool | None, bool]:
    """(affected, known value) for a sheet's ``affected`` or a PED phenotype.

    ``yes``/``2`` affected, ``no``/``1`` unaffected, ``unknown``/``0``/``-9``/empty unknown
    (any case).
    """
    key = text.strip().lower()
    return _AFFECTED.get(key), key in _AFFECTED


def load_pedigree(units: list[Unit], sample_sheet: Path, ped: Path | None = None) -> Pedigree:
    """The batch's pedigree from the sample sheet's family columns and/or a PED file.

    Args:
        units: The sample sheet's units (:func:`labpipe.config.samplesheet.load_sample_sheet`).
        sample_sheet: The sheet they came from (named in the messages).
        ped: The config's ``pedigree:`` PED file, or None.

    Returns:
        Every member of every family; samples in no family are singletons.

    Raises:
        SampleSheetError: Every problem of both files at once, each with its file and line.
    """
    problems: list[str] = []
    sheet_members = _sheet_members(units, Path(sample_sheet), problems)
    sex = {u.sample: u.sex for u in units}
    if ped is None:
        members = sheet_members
    else:
        ped_members = _ped_members(Path(ped), set(sex), problems)
        members = _merged(
            sheet_members, ped_members, sex, (Path(sample_sheet), Path(ped)), problems
        )
    members = [
        replace(m, sex=sex[m.sample]) if sex.get(m.sample, UNKNOWN) != UNKNOWN else m
        for m in members
    ]
    pedigree = Pedigree(tuple(members))
    where = {m.sample: _place(ped if m.line < 0 else sample_sheet, m.line) for m in members}
    problems += _relation_problems(pedigree, where, set(sex))
    if problems:
        files = _("%(sheet)s and %(ped)s") % {"sheet": sample_sheet, "ped": ped} if ped else ""
        raise SampleSheetError(
            _("%(files)s: %(count)s problem(s) in the pedigree")
            % {"files": files or sample_sheet, "count": len(problems)},
            problems,
        )
    return Pedigree(tuple(replace(m, line=abs(m.line)) for m in members))


def batch_pedigree(lab: LabConfig) -> Pedigree:
    """The pedigree of the batch a lab config names (its sample sheet, and PED file if any)."""
    # Looked up when called, so that a test can stand in for the sheet's reader.
    from labpipe.config import samplesheet

    units = samplesheet.load_sample_sheet(lab.samples, lab.platform)
    return load_pedigree(units, lab.samples, lab.pedigree)


def _place(path: Path | None, line: int) -> str:
    return _("%(file)s line %(line)s") % {"file": Path(path or "").name, "line": abs(line)}


def _name_problem(place: str, what: str, value: str) -> str | None:
    if value in _NOT_GIVEN or SAFE_NAME.match(value):
        return None
    unsafe = _(
        "%(column)s %(value)s may only contain letters, digits, '-', '_' and '.'"
        " (and must not start with '-', '_' or '.'); rename it"
    )
    return f"{place}: " + unsafe % {"column": what, "value": repr(value)}


def _sheet_members(units: list[Unit], sheet: Path, problems: list[str]) -> list[Member]:
    """The members the sheet's columns declare (lines positive: the sheet's)."""
    first: dict[str, Unit] = {}
    for unit in units:
        first.setdefault(unit.sample, unit)
    members = []
    for sample, unit in first.items():
        place = _place(sheet, unit.line)
        # A name that cannot be used is not followed: its relations would only add echoes.
        unusable = set(_NOT_GIVEN)
        for what, value in (
            ("family", unit.family),
            ("father", unit.father),
            ("mother", unit.mother),
        ):
            problem = _name_problem(place, what, value)
            if problem:
                problems.append(problem)
                unusable.add(value)
        affected, known = parse_affected(unit.affected)
        if not known:
            wrong = _("affected %(value)s is not one of yes, no, unknown (or PED's 2, 1, 0, -9)")
            problems.append(f"{place}: " + wrong % {"value": repr(unit.affected)})
        if not unit.family:
            given = [c for c in ("father", "mother") if getattr(unit, c) not in _NOT_GIVEN]
            if given or unit.affected:
                no_family = _(
                    "sample '%(sample)s' has %(columns)s but no family; give its family in the"
                    " 'family' column"
                )
                columns = ", ".join(given or ["affected"])
                problems.append(f"{place}: " + no_family % {"sample": sample, "columns": columns})
            continue
        members.append(
            Member(
                sample,
                unit.family,
                father=None if unit.father in unusable else unit.father,
                mother=None if unit.mother in unusable else unit.mother,
                sex=unit.sex,
                affected=affected,
                line=unit.line,
            )
        )
    return members


def _ped_members(ped: Path, samples: set[str], problems: list[str]) -> list[Member]:
    """The members a PED file declares (lines negative: the PED file's)."""
    try:
        text = ped.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        unreadable = _("PED file %(path)s cannot be read (%(why)s); give a 6-column text file")
        problems.append(unreadable % {"path": ped, "why": exc})
        return []
    members: list[Member] = []
    seen: dict[str, Member] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        place = _place(ped, number)
        cells = line.split()
        if len(cells) != 6:
            columns = _(
                "%(count)s columns; a PED line has 6: family, individual, father, mother, sex"
                " (1/2/0), phenotype (2/1/0/-9)"
            )
            problems.append(f"{place}: " + columns % {"count": len(cells)})
            continue
        family, individual, father, mother, sex_code, phenotype = cells
        before = len(problems)
        for what, value in (
            ("family", family),
            ("individual", individual),
            ("father", father),
            ("mother", mother),
        ):
            problem = _name_problem(place, what, value)
            if problem:
                problems.append(problem)
        if individual in _NOT_GIVEN:
            unnamed = _("the individual (column 2) is %(value)s; name them")
            problems.append(f"{place}: " + unnamed % {"value": repr(individual)})
        if len(problems) > before:
            continue  # a name that cannot be used: its relations would only add echoes
        if sex_code not in _PED_SEX:
            wrong = _("sex %(value)s is not one of 1 (male), 2 (female), 0")
            problems.append(f"{place}: " + wrong % {"value": repr(sex_code)})
        affected, known = parse_affected(phenotype)
        if not known:
            wrong = _(
                "phenotype %(value)s is not one of 2 (affected), 1 (unaffected), 0 or -9 (unknown)"
            )
            problems.append(f"{place}: " + wrong % {"value": repr(phenotype)})
        if individual in seen:
            other = seen[individual]
            twice = _(
                "'%(name)s' is already on line %(line)s (family '%(family)s'); a person is in one"
                " family, on one line"
            )
            values = {"name": individual, "line": -other.line, "family": other.family}
            problems.append(f"{place}: " + twice % values)
            continue
        member = Member(
            individual,
            family,
            father=None if father in _NOT_GIVEN else father,
            mother=None if mother in _NOT_GIVEN else mother,
            sex=_PED_SEX.get(sex_code, UNKNOWN),
            affected=affected,
            sequenced=individual in samples,
            line=-number,
        )
        seen[individual] = member
        members.append(member)
    for family in dict.fromkeys(m.family for m in members):
        if not any(m.sequenced for m in members if m.family == family):
            first = next(m.line for m in members if m.family == family)
            unsequenced = _(
                "no individual of family '%(family)s' is a sample of the sample sheet; check the"
                " names, or remove the family from the PED file"
            )
            problems.append(f"{_place(ped, first)}: " + unsequenced % {"family": family})
    return members


def _merged(
    sheet: list[Member],
    ped: list[Member],
    sex: dict[str, str],
    paths: tuple[Path, Path],
    problems: list[str],
) -> list[Member]:
    """The PED file's members, checked against what the sheet says of the same samples
    (its family columns, and ``sex``: each sample's sheet sex)."""
    sheet_path, ped_path = paths
    by_name = {m.sample: m for m in ped}
    for member in ped:
        declared = sex.get(member.sample, UNKNOWN)
        if UNKNOWN not in (declared, member.sex) and declared != member.sex:
            differs = _(
                "'%(sample)s' is %(sex)s here but %(declared)s in the sample sheet %(sheet)s;"
                " give one sex"
            )
            values = {"sample": member.sample, "sex": member.sex, "declared": declared}
            problems.append(
                f"{_place(ped_path, member.line)}: "
                + differs % {**values, "sheet": sheet_path.name}
            )
    for member in sheet:
        place = _place(sheet_path, member.line)
        other = by_name.get(member.sample)
        if other is None:
            absent = _(
                "sample '%(sample)s' is in family '%(family)s' in the sheet but has no line in the"
                " PED file %(ped)s; add it there"
            )
            values = {"sample": member.sample, "family": member.family, "ped": ped_path.name}
            problems.append(f"{place}: " + absent % values)
            continue
        for field in ("family", "father", "mother", "affected"):
            mine, theirs = getattr(member, field), getattr(other, field)
            # What the sheet leaves empty it does not say; an unknown status says nothing.
            if mine is None or (field == "affected" and theirs is None):
                continue
            if mine != theirs:
                differs = _(
                    "%(column)s of '%(sample)s' is %(here)s here but %(there)s in %(place)s;"
                    " give one value"
                )
                values = {"column": field, "sample": member.sample, "here": _shown(mine)}
                there = {"there": _shown(theirs), "place": _place(ped_path, other.line)}
                problems.append(f"{place}: " + differs % {**values, **there})
    return ped


def _shown(value: str | bool | None) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"  # the values to write in the column
    return _("not given") if value is None else f"'{value}'"


def _relation_problems(pedigree: Pedigree, where: dict[str, str], samples: set[str]) -> list[str]:
    """Parents that exist, are in the child's family and of the right sex; no cycles."""
    problems = []
    for member in pedigree.members:
        place = where[member.sample]
        if member.father and member.father == member.mother:
            both = _("'%(sample)s' has '%(parent)s' as both father and mother")
            problems.append(
                f"{place}: " + both % {"sample": member.sample, "parent": member.father}
            )
        for role, name, sex in (("father", member.father, MALE), ("mother", member.mother, FEMALE)):
            if not name:
                continue
            parent = pedigree.member(name)
            values = {"role": role, "name": name, "sample": member.sample}
            family = {"family": member.family}
            if parent is None and name in samples:
                lone = _(
                    "%(role)s '%(name)s' of '%(sample)s' is a sample of the sheet in no family;"
                    " give it family '%(family)s'"
                )
                problems.append(f"{place}: " + lone % {**values, **family})
                continue
            if parent is None:
                unknown = _(
                    "%(role)s '%(name)s' of '%(sample)s' is not a sample of the sheet nor a line"
                    " of the PED file; write 0 if the parent was not sequenced, or give them a"
                    " line of their own in a PED file (config 'pedigree:')"
                )
                problems.append(f"{place}: " + unknown % values)
                continue
            theirs = {"theirs": parent.family, "where": where[name]}
            if parent.family != member.family:
                elsewhere = _(
                    "%(role)s '%(name)s' of '%(sample)s' is in family '%(theirs)s' (%(where)s),"
                    " not '%(family)s'; a parent is in the child's family"
                )
                problems.append(f"{place}: " + elsewhere % {**values, **family, **theirs})
            if parent.sex not in (sex, UNKNOWN):
                wrong_sex = _(
                    "%(role)s '%(name)s' of '%(sample)s' is %(sex)s (%(where)s); a %(role)s is"
                    " %(expected)s: correct the sex or swap father and mother"
                )
                sexes = {"sex": parent.sex, "where": where[name], "expected": sex}
                problems.append(f"{place}: " + wrong_sex % {**values, **sexes})
    problems += _cycle_problems(pedigree, where)
    return problems


def _cycle_problems(pedigree: Pedigree, where: dict[str, str]) -> list[str]:
    """Every person who is their own ancestor, once per cycle."""
    problems = []
    reported: set[str] = set()
    for member in pedigree.members:
        path = _ancestry_cycle(pedigree, member.sample)
        if path and not reported.intersection(path):
            reported.update(path)
            chain = " -> ".join([*path, path[0]])
            cycle = _(
                "'%(sample)s' is their own ancestor (%(chain)s, each a child of the next); correct"
                " the father/mother columns"
            )
            problems.append(
                f"{where[member.sample]}: " + cycle % {"sample": member.sample, "chain": chain}
            )
    return problems


def _ancestry_cycle(pedigree: Pedigree, start: str) -> list[str] | None:
    """The chain of ancestors leading from ``start`` back to itself, or None."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        name, path = stack.pop()
        member = pedigree.member(name)
        for parent in (member.father, member.mother) if member else ():
            if parent == start:
                return path
            if parent and parent not in seen and pedigree.member(parent):
                seen.add(parent)
                stack.append((parent, [*path, parent]))
    return None
