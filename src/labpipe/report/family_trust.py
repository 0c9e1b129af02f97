"""Whose QC a family's results rest on: each sequenced member's QC verdict, named beside the
results that depend on that member's sample.

A child's inheritance labels are read from the parents' genotypes as much as from the
child's own (:mod:`labpipe.annotation.trio_rules`): a contaminated mother's reads can show
the child's allele (hiding a de novo variant) or lose it (making one). And every member of a
family called jointly shares the family's site-level figures (QUAL, INFO). So a member whose
sample failed or warned QC weakens results that are not its own; :class:`FamilyQc` says
which, for the family page (:mod:`labpipe.report.family`) and each member's report.

The texts are translated when shown (:func:`labpipe.core.i18n._` at call time).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from labpipe.annotation.trio_rules import (
    COMP_HET,
    DE_NOVO,
    FATHER,
    HOM_RECESSIVE,
    INHERITED,
    MENDELIAN_ERROR,
    MOTHER,
    X_LINKED,
)
from labpipe.config.lab import QcThresholds
from labpipe.config.pedigree import Pedigree
from labpipe.core.i18n import N_, _
from labpipe.qc.check import FAIL, WARN, QcCheck
from labpipe.qc.run_verdicts import run_verdicts

CHILD = "child"

#: The labels that claim an inheritance, and the parents whose genotypes each rests on
#: besides the child's own. A son's chrX allele comes from his mother: ``x_linked`` reads
#: only her call (a chrX ``de_novo`` may too, but the label alone does not say where it is,
#: so both parents are named).
RESTS_ON: dict[str, tuple[str, ...]] = {
    DE_NOVO: (FATHER, MOTHER),
    HOM_RECESSIVE: (FATHER, MOTHER),
    COMP_HET: (FATHER, MOTHER),
    X_LINKED: (MOTHER,),
    MENDELIAN_ERROR: (FATHER, MOTHER),
    INHERITED: (FATHER, MOTHER),
}

#: The labels in words, as the sentences below list them.
LABEL_WORDS: dict[str, str] = {
    DE_NOVO: N_("de novo"),
    HOM_RECESSIVE: N_("homozygous recessive"),
    COMP_HET: N_("compound heterozygous"),
    X_LINKED: N_("X-linked"),
    MENDELIAN_ERROR: N_("Mendelian error"),
    INHERITED: N_("inherited"),
}

#: Whose sample, by role.
_WHOSE: dict[str, str] = {
    FATHER: N_("the father's sample"),
    MOTHER: N_("the mother's sample"),
    CHILD: N_("the child's own sample"),
}

#: A role said of a member at the top of the family page.
ROLE_WORDS: dict[str, str] = {FATHER: N_("father"), MOTHER: N_("mother"), CHILD: N_("child")}


@dataclass(frozen=True)
class MemberQc:
    """One sequenced member's QC verdict.

    Attributes:
        sample: Sample name.
        status: ``pass``, ``warn`` or ``fail`` (:mod:`labpipe.qc.check`).
        problems: The checks that failed or warned.
    """

    sample: str
    status: str
    problems: tuple[QcCheck, ...] = ()

    @property
    def doubtful(self) -> bool:
        """Failed or warned QC."""
        return self.status in (FAIL, WARN)

    def checks(self) -> str:
        """``Contamination 10.1%``: each failed or warned metric with its value."""
        return "; ".join(_shown(c) for c in self.problems)

    def reasons(self) -> str:
        """Each failed or warned metric with its value and why."""
        return "; ".join(f"{_shown(c)}: {c.note}" if c.note else _shown(c) for c in self.problems)


@dataclass(frozen=True)
class FamilyQc:
    """A family called jointly: its sequenced members' QC and who is whose parent.

    Attributes:
        family: Family ID.
        members: Every member called jointly, in pedigree order.
        parents: Child -> (father, mother) for each child with both parents among them.
    """

    family: str
    members: tuple[MemberQc, ...]
    parents: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def member(self, sample: str) -> MemberQc | None:
        """The member named ``sample``."""
        return next((m for m in self.members if m.sample == sample), None)

    def doubtful(self) -> list[MemberQc]:
        """The members that failed or warned QC."""
        return [m for m in self.members if m.doubtful]

    def role(self, sample: str) -> str:
        """``father``, ``mother`` or ``child`` of a trio of the family; empty otherwise."""
        for child, (father, mother) in self.parents.items():
            if sample == father:
                return FATHER
            if sample == mother:
                return MOTHER
            if sample == child:
                return CHILD
        return ""

    def resting_on(self, child: str, label: str, own: bool = True) -> list[tuple[str, MemberQc]]:
        """(role, member) of each failed or warned member whose genotypes ``child``'s
        ``label`` rests on: its parents (:data:`RESTS_ON`) and, with ``own``, the child."""
        if label not in RESTS_ON or child not in self.parents:
            return []
        father, mother = self.parents[child]
        samples = {FATHER: father, MOTHER: mother}
        roles = ([CHILD] if own else []) + list(RESTS_ON[label])
        found = []
        for role in roles:
            member = self.member(child if role == CHILD else samples[role])
            if member is not None and member.doubtful:
                found.append((role, member))
        return found

    def caution(self, child: str, label: str, own: bool = True) -> str:
        """Beside a label: ``rests on the mother's sample FAM1-mother, which failed QC
        (Contamination 10.1%)``; empty when every sample it rests on passed."""
        return "; ".join(
            _caution(role, member) for role, member in self.resting_on(child, label, own)
        )

    def not_checked(self, sample: str) -> list[str]:
        """The items of ``sample``'s "not checked" list: labels resting on a parent that
        failed or warned QC (for a child of a trio), and the joint call."""
        items = []
        if sample in self.parents:
            for role, parent in zip((FATHER, MOTHER), self.parents[sample], strict=True):
                member = self.member(parent)
                if member is not None and member.doubtful:
                    items.append(label_warning(role, member))
        items.append(self.joint_call_note(sample))
        return items

    def page_not_checked(self) -> list[str]:
        """The family page's "not checked" items: each member that failed or warned QC, with
        what rests on it, and what the joint call means."""
        items = []
        for member in self.doubtful():
            role = self.role(member.sample)
            if role:
                items.append(label_warning(role, member))
            else:
                items.append(
                    _(
                        "%(sample)s, called jointly with the family, failed or warned QC: "
                        "%(reasons)s. No inheritance label reads its genotypes, but its reads "
                        "are part of the family's site-level QUAL."
                    )
                    % {"sample": member.sample, "reasons": member.reasons()}
                )
        items.append(
            _(
                "The members were called jointly (one multi-sample call over their reads): the "
                "variant sites, QUAL (and the LowQual filter) and INFO values such as IMF are "
                "the family's, site-level; each member's genotype, depth and read counts are "
                "its own."
            )
        )
        return items

    def unlabelled_note(self) -> str:
        """The "not checked" item of a member whose variants carry no inheritance label."""
        return _(
            "Inheritance: this sample's variants carry no label: labels are given to the "
            "affected members of family %(family)s whose parents were both sequenced (see "
            "their reports and the family page); only homozygous candidates inside a run of "
            "homozygosity are marked."
        ) % {"family": self.family}

    def joint_call_note(self, sample: str) -> str:
        """What calling ``sample`` jointly with its family means for its calls."""
        others = [m.sample for m in self.members if m.sample != sample]
        text = _(
            "Called jointly with family %(family)s (%(others)s): one multi-sample call over "
            "their reads, so the variant sites, QUAL (and the LowQual filter) and INFO values "
            "such as IMF are the family's, site-level, not this sample's alone; the genotype, "
            "depth and read counts (and the filters on them) are this sample's own."
        ) % {"family": self.family, "others": ", ".join(others)}
        doubtful = [m for m in self.doubtful() if m.sample != sample]
        if doubtful:
            text += " " + _(
                "The joint call includes samples that failed or warned QC: %(samples)s."
            ) % {"samples": "; ".join(f"{m.sample} ({m.checks()})" for m in doubtful)}
        return text


def _shown(check: QcCheck) -> str:
    """``Contamination 10.1%``: the metric (in the report's language) and its value."""
    return " ".join((_(check.metric), check.shown))


def _caution(role: str, member: MemberQc) -> str:
    if member.status == FAIL:
        text = _("rests on %(whose)s %(sample)s, which failed QC (%(checks)s)")
    else:
        text = _("rests on %(whose)s %(sample)s, which has a QC warning (%(checks)s)")
    return text % {"whose": _(_WHOSE[role]), "sample": member.sample, "checks": member.checks()}


def label_warning(role: str, member: MemberQc) -> str:
    """The "not checked" item of a child whose parent ``member`` failed or warned QC."""
    labels = ", ".join(
        _(LABEL_WORDS[label]) for label, on in RESTS_ON.items() if role == CHILD or role in on
    )
    if member.status == FAIL:
        text = _(
            "Inheritance (%(labels)s) rests on %(whose)s %(sample)s, which failed QC: "
            "%(reasons)s. A contaminated or poor sample can hide a de novo variant or make one: "
            "these labels are not confirmed."
        )
    else:
        text = _(
            "Inheritance (%(labels)s) rests on %(whose)s %(sample)s, which has a QC warning: "
            "%(reasons)s. Check the labels on the family page before using them."
        )
    return text % {
        "labels": labels,
        "whose": _(_WHOSE[role]),
        "sample": member.sample,
        "reasons": member.reasons(),
    }


def read_family_qc(
    pedigree: Pedigree,
    family: str,
    qc_table: Path,
    identity: Path | None,
    variant_tables: Sequence[Path],
    thresholds: QcThresholds,
) -> FamilyQc:
    """A family's QC from the run's files.

    Args:
        pedigree: The batch's pedigree.
        family: The family called jointly.
        qc_table: ``results/qc/qc_summary.tsv``.
        identity: The batch's ``identity.json`` (contamination and relatedness); None
            leaves those checks out.
        variant_tables: The members' annotated tables (``<sample>.tsv``).
        thresholds: The config's ``qc`` section.

    Raises:
        InputFormatError: A file cannot be read or lacks a member.
    """
    tables = {path.name.removesuffix(".tsv"): path for path in variant_tables}
    _rows, verdicts = run_verdicts(qc_table, tables, thresholds, identity)
    members = tuple(
        MemberQc(sample, verdicts[sample].overall, tuple(verdicts[sample].problems()))
        for sample in pedigree.sequenced_family_members(family)
        if sample in verdicts
    )
    parents = {
        t.child.sample: (t.father.sample, t.mother.sample)
        for t in pedigree.trios()
        if t.child.family == family
        and {t.child.sample, t.father.sample, t.mother.sample} <= set(verdicts)
    }
    return FamilyQc(family, members, parents)
