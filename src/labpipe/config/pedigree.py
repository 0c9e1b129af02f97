"""Families of a batch: who is whose parent, each member's sex and affected status.

The pedigree comes from the sample sheet's optional columns ``family``, ``father``,
``mother``, ``affected`` (with ``sex``), or from a standard 6-column PED file named by the
config's ``pedigree:`` key, or from both (they must then agree);
:func:`labpipe.config.pedigree_reader.load_pedigree` reads and checks it. Every sample not in a
family is a singleton. Samples are named as in the sample sheet.

A parent who was not sequenced is either not given (``0`` or empty in ``father``/
``mother``) or, to keep them in the family (their sex, their affected status), a PED line
for a person who is not in the sample sheet: a member with ``sequenced=False``. In the
sheet alone a parent named in ``father``/``mother`` must be a sample of the sheet.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from labpipe.config.samplesheet import FEMALE, MALE, UNKNOWN, Unit
from labpipe.core.i18n import _, ngettext


@dataclass(frozen=True)
class Member:
    """One person of a family.

    Attributes:
        sample: The sample name (for a parent who was not sequenced: the name the pedigree
            gives them).
        family: Family ID.
        father: The father's sample name; None when unknown or not given.
        mother: The mother's sample name; None when unknown or not given.
        sex: ``male``, ``female`` or ``unknown`` (labpipe.config.samplesheet).
        affected: True affected, False unaffected, None unknown.
        sequenced: Whether the batch holds this person's reads.
        line: Line of the sample sheet or PED file that declared the member (0 if none).
    """

    sample: str
    family: str
    father: str | None = None
    mother: str | None = None
    sex: str = "unknown"
    affected: bool | None = None
    sequenced: bool = True
    line: int = 0

    @property
    def is_male(self) -> bool:
        return self.sex == MALE

    @property
    def is_female(self) -> bool:
        return self.sex == FEMALE


@dataclass(frozen=True)
class Trio:
    """A sequenced child with both parents sequenced."""

    child: Member
    father: Member
    mother: Member


@dataclass(frozen=True)
class Pedigree:
    """Every declared family member of a batch; samples not named here are singletons."""

    members: tuple[Member, ...] = ()

    def member(self, sample: str) -> Member | None:
        """The member named ``sample``, or None for a singleton."""
        return next((m for m in self.members if m.sample == sample), None)

    def families(self) -> dict[str, tuple[Member, ...]]:
        """Family ID -> its members, in declaration order."""
        found: dict[str, list[Member]] = {}
        for member in self.members:
            found.setdefault(member.family, []).append(member)
        return {family: tuple(members) for family, members in found.items()}

    def sequenced_family_members(self, family: str) -> tuple[str, ...]:
        """The sample names of a family that have reads in the batch."""
        return tuple(m.sample for m in self.members if m.family == family and m.sequenced)

    def parents(self, sample: str) -> tuple[Member | None, Member | None]:
        """(father, mother) of ``sample`` as members; None for a parent not declared."""
        child = self.member(sample)
        if child is None:
            return None, None
        father = self.member(child.father) if child.father else None
        mother = self.member(child.mother) if child.mother else None
        return father, mother

    def trios(self) -> list[Trio]:
        """Every sequenced child whose father and mother are both sequenced."""
        found = []
        for child in self.members:
            father, mother = self.parents(child.sample)
            if child.sequenced and father and mother and father.sequenced and mother.sequenced:
                found.append(Trio(child, father, mother))
        return found

    def is_family_sample(self, sample: str) -> bool:
        """Whether ``sample`` is called together with other sequenced members of its family."""
        member = self.member(sample)
        return member is not None and len(self.sequenced_family_members(member.family)) > 1

    def joint_families(self, samples: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """Families called jointly: family -> its sequenced members among ``samples``, in
        pedigree order; a family with fewer than two of them is called as singletons."""
        present = set(samples)
        found = {
            family: tuple(s for s in self.sequenced_family_members(family) if s in present)
            for family in self.families()
        }
        return {family: members for family, members in found.items() if len(members) > 1}

    def summary(self, samples: Iterable[str]) -> str:
        """One line for ``labpipe validate``: families, trios, singletons of ``samples``."""
        samples = list(samples)
        families = self.families()
        joint = self.joint_families(samples)
        singletons = [s for s in samples if not any(s in m for m in joint.values())]
        of = _("%(family)s (%(sequenced)s sequenced of %(members)s)")
        named = ", ".join(
            of
            % {
                "family": f,
                "sequenced": len(self.sequenced_family_members(f)),
                "members": len(members),
            }
            for f, members in families.items()
        )
        count = ngettext("%(count)s family", "%(count)s families", len(families))
        counts = {"joint": len(joint), "trios": len(self.trios()), "alone": len(singletons)}
        return (
            count % {"count": len(families)}
            + (": " + named if named else "")
            + _("; %(joint)s called jointly, %(trios)s trio(s); %(alone)s sample(s) called alone")
            % counts
        )


def pedigree_sexes(units: list[Unit], pedigree: Pedigree) -> dict[str, str]:
    """Each sample's sex: the sheet's, or the PED file's where the sheet gives none."""
    sexes = {u.sample: u.sex for u in units}
    for sample, sex in sexes.items():
        member = pedigree.member(sample)
        if sex == UNKNOWN and member is not None:
            sexes[sample] = member.sex
    return sexes
