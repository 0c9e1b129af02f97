"""Families of a batch: who is whose parent, each member's sex and affected status.

The pedigree comes from the sample sheet's optional family columns or a PED file named in
the config (see the reader in this module once written); every sample not in a family is a
singleton. Samples are named as in the sample sheet; a parent who was not sequenced is a
member with ``sequenced=False``.
"""

from __future__ import annotations

from dataclasses import dataclass

from labpipe.config.samplesheet import FEMALE, MALE


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
