"""Variant tiers: the order in which a lab scientist reads a patient's variants.

The rules, first match wins (thresholds from ``annotation.tiers`` in the config):

1. ClinVar classifies the allele Pathogenic or Likely pathogenic (with at least
   ``clinvar_min_stars`` review stars) - whatever the frequency or consequence. In a
   gene outside the sample's panel the reason says "incidental finding", and the
   report lists it apart from tier 1 unless the lab opts in.
2. Rare, in a panel gene, and predicted loss of function (``lof_consequences``:
   stop_gained, frameshift, splice_donor, splice_acceptor, start_lost) or missense.
3. Rare, in a panel gene, and another coding or splice-region change
   (``other_coding_consequences``).
4. Everything else: common, outside the panel, synonymous, intronic, intergenic.

*Rare* means the highest allele frequency over every configured population
source and field is below ``max_af``; an allele absent from every source is
rare. Without any population source the frequency is *unknown*, never rare:
rules 2 and 3 need rarity, so they do not fire and such a variant stays in
tier 4 with "frequency unknown" as its reason. When no panel applies to a
sample, every gene counts as a panel gene.
The consequence is the one reported for the chosen transcript (MANE Select,
else Ensembl canonical, else the most severe), as ``bcftools csq`` spells it;
every ``&``-joined term counts.
"""

from __future__ import annotations

from dataclasses import dataclass

from labpipe.annotation.source_fields import is_pathogenic
from labpipe.config.lab import TiersConfig
from labpipe.config.settings import DEFAULTS
from labpipe.core.i18n import N_, translate_written

# The lab config's defaults are the one list of tier consequences (and thresholds);
# TierRules() without arguments is the rules a config that leaves them out gets.
_DEFAULT_TIERS = DEFAULTS["annotation"]["tiers"]
DEFAULT_LOF: tuple[str, ...] = tuple(_DEFAULT_TIERS["lof_consequences"])
DEFAULT_OTHER_CODING: tuple[str, ...] = tuple(_DEFAULT_TIERS["other_coding_consequences"])

TIER_TITLES: dict[int, str] = {
    1: "ClinVar pathogenic / likely pathogenic",
    2: "Rare loss-of-function or missense in a panel gene",
    3: "Other rare coding change in a panel gene",
    4: "Everything else",
}

# The pieces of a tier reason (the table's ``tier_reason``, joined by "; "): written in
# English into the table, VCF and answer keys, translated where people read them
# (:func:`reason_in_words`). Field values (ClinVar's and csq's terms, numbers) stay as written.
INCIDENTAL_REASON = N_("gene outside the ordered panel: incidental finding")
_CLINVAR = N_("ClinVar %(significance)s")
_CLINVAR_WEAK = N_("ClinVar %(significance)s with %(stars)s star(s), below %(min_stars)s")
_NO_GENE_MODEL = N_("consequence unknown (no gene model)")
_NO_CODING = N_("no coding consequence")
_NOT_CODING = N_("%(consequence)s: not a coding change")
_OUTSIDE_PANEL = N_("%(consequence)s outside the panel")
_FREQUENCY_UNKNOWN = N_("%(consequence)s in panel gene, frequency unknown")
_COMMON = N_("%(consequence)s, common (AF %(af)s >= %(max_af)s)")
_RARE = N_("rare %(consequence)s in panel gene")
#: A reason whose tier a later rule changed (the trio's inheritance check).
MOVED_REASON = N_("%(reason)s (was tier %(tier)s)")
REASON_MESSAGES = (
    _CLINVAR,
    _CLINVAR_WEAK,
    _NOT_CODING,
    _OUTSIDE_PANEL,
    _FREQUENCY_UNKNOWN,
    _COMMON,
    _RARE,
    MOVED_REASON,
)

# The rules in words (:meth:`TierRules.describe`), each after "Tier N: ".
_RULE_1 = N_(
    "ClinVar Pathogenic or Likely pathogenic, whatever the frequency or consequence "
    "(outside the sample's panel: an incidental finding)."
)
_RULE_1_STARS = N_(
    "ClinVar Pathogenic or Likely pathogenic with at least %(stars)s review star(s), whatever "
    "the frequency or consequence (outside the sample's panel: an incidental finding)."
)
_RULE_2 = N_(
    "rare (highest population AF < %(max_af)s, or absent from every source) in a panel gene, "
    "and predicted loss of function (%(consequences)s) or missense."
)
_RULE_3 = N_("rare in a panel gene, and another coding change (%(consequences)s).")
_RULE_4 = N_("everything else (common, outside the panel, synonymous, non-coding).")
_RULE_INHERITANCE = N_(
    "With both parents sequenced, an affected member's tier 2 candidate that fits no "
    "inheritance mode (de novo, homozygous recessive, compound heterozygous, X-linked, "
    "inherited from an affected parent) moves to tier 3; a tier 1 one keeps its tier and "
    "says so."
)
RULE_MESSAGES = (_RULE_1_STARS, _RULE_2, _RULE_3)


def reason_in_words(reason: str) -> str:
    """A table's ``tier_reason`` in the current language (English stays byte for byte)."""
    return translate_written(reason, REASON_MESSAGES)


def rule_in_words(rule: str) -> str:
    """A rule of :meth:`TierRules.describe` (after its ``Tier N: ``) in the current language."""
    return translate_written(rule, RULE_MESSAGES, separator="\n")


#: The variant table's ``incidental`` column for an incidental finding (empty otherwise).
INCIDENTAL_MARK = "yes"


def is_incidental(tier: int, in_panel: bool, in_tier1: bool) -> bool:
    """Whether a call is an incidental finding, listed apart from tier 1 (report, table and
    workbook alike).

    Args:
        tier: Its tier.
        in_panel: As :func:`assign_tier` took it: the gene is in a panel of the sample, or
            no panel applies, or the gene is unknown (no gene model).
        in_tier1: The lab reports such findings in tier 1 (``report.incidental_in_tier1``).
    """
    return tier == 1 and not in_panel and not in_tier1


# What the table's ``frequency`` column says of an allele (see :func:`frequency_class`).
FREQUENCY_UNKNOWN = "unknown"
FREQUENCY_ABSENT = "absent"
FREQUENCY_RARE = "rare"
FREQUENCY_COMMON = "common"


@dataclass(frozen=True)
class TierRules:
    """The lab's tier thresholds.

    Attributes:
        max_af: An allele is rare when its highest population AF is below this.
        clinvar_min_stars: Review stars a ClinVar P/LP assertion needs for tier 1.
        lof_consequences: csq terms counted as predicted loss of function.
        other_coding_consequences: csq terms that make a rare panel-gene variant tier 3.
        require_inheritance: In an affected member with both parents sequenced, a tier 2
            candidate that fits no inheritance mode moves to tier 3 (tier 1 says so);
            applied by :func:`labpipe.annotation.inheritance_column.apply_inheritance`.
    """

    max_af: float = float(_DEFAULT_TIERS["max_af"])
    clinvar_min_stars: int = int(_DEFAULT_TIERS["clinvar_min_stars"])
    lof_consequences: frozenset[str] = frozenset(DEFAULT_LOF)
    other_coding_consequences: frozenset[str] = frozenset(DEFAULT_OTHER_CODING)
    require_inheritance: bool = bool(_DEFAULT_TIERS["require_inheritance"])

    @classmethod
    def from_config(cls, section: TiersConfig) -> TierRules:
        """Rules from the config's ``annotation.tiers`` (defaults filled in)."""
        return cls(
            max_af=section.max_af,
            clinvar_min_stars=section.clinvar_min_stars,
            lof_consequences=frozenset(section.lof_consequences),
            other_coding_consequences=frozenset(section.other_coding_consequences),
            require_inheritance=section.require_inheritance,
        )

    def describe(self) -> list[str]:
        """The rules in words, thresholds included, for the report's methods."""
        # English: the annotate step writes them into sources.json (rule_in_words shows them).
        stars = self.clinvar_min_stars
        return [
            "Tier 1: " + (_RULE_1_STARS % {"stars": stars} if stars else _RULE_1),
            "Tier 2: "
            + _RULE_2
            % {
                "max_af": f"{self.max_af:g}",
                "consequences": ", ".join(sorted(self.lof_consequences)),
            },
            "Tier 3: "
            + _RULE_3 % {"consequences": ", ".join(sorted(self.other_coding_consequences))},
            "Tier 4: " + _RULE_4,
            *([_RULE_INHERITANCE] if self.require_inheritance else []),
        ]


@dataclass(frozen=True)
class TierCall:
    """A tier and why.

    Attributes:
        tier: 1-4.
        reason: Short text, e.g. ``rare frameshift in panel gene``.
    """

    tier: int
    reason: str


def consequence_terms(consequence: str) -> list[str]:
    """csq terms of a consequence string (``*`` marks and ``&`` joins removed)."""
    return [t for t in consequence.lstrip("*").split("&") if t]


def frequency_class(max_af: float | None, frequency_known: bool, rules: TierRules) -> str:
    """``unknown`` (no population source), ``absent`` (in none), ``rare`` or ``common``."""
    if not frequency_known:
        return FREQUENCY_UNKNOWN
    if max_af is None:
        return FREQUENCY_ABSENT
    return FREQUENCY_RARE if max_af < rules.max_af else FREQUENCY_COMMON


def assign_tier(
    consequence: str,
    in_panel: bool,
    clinvar_significance: str,
    clinvar_stars: int | None,
    max_af: float | None,
    rules: TierRules,
    frequency_known: bool = True,
    consequence_known: bool = True,
) -> TierCall:
    """The tier of one allele.

    Args:
        consequence: csq consequence of the reported transcript, e.g.
            ``stop_gained&splice_region``; empty when none.
        in_panel: The gene is in a panel that applies to the sample (or no panel does).
        clinvar_significance: ClinVar CLNSIG, empty when not in ClinVar.
        clinvar_stars: Review stars of that assertion; None when unknown.
        max_af: Highest population AF, None when absent from every source.
        rules: The lab's thresholds.
        frequency_known: False when the run has no population source: then no
            allele is rare, and the rules that need rarity do not fire.
        consequence_known: False when the run has no gene model: an empty consequence
            then means "not annotated", not "no coding consequence".

    Returns:
        The tier with a one-line reason a reviewer can check.
    """
    if clinvar_significance and is_pathogenic(clinvar_significance):
        stars = clinvar_stars or 0
        shown = clinvar_significance.replace("_", " ")
        if stars >= rules.clinvar_min_stars:
            # Outside the ordered panel it is an incidental finding; the report lists it apart.
            where = "" if in_panel else f"; {INCIDENTAL_REASON}"
            return TierCall(1, _CLINVAR % {"significance": shown} + where)
        weak = _CLINVAR_WEAK % {
            "significance": shown,
            "stars": stars,
            "min_stars": rules.clinvar_min_stars,
        }
    else:
        weak = ""
    terms = consequence_terms(consequence)
    frequency = frequency_class(max_af, frequency_known, rules)
    lof = [t for t in terms if t in rules.lof_consequences]
    missense = "missense" in terms
    other = [t for t in terms if t in rules.other_coding_consequences]
    prefix = f"{weak}; " if weak else ""
    if not terms:
        if not consequence_known:
            return TierCall(4, prefix + _NO_GENE_MODEL)
        return TierCall(4, prefix + _NO_CODING)
    described = {"consequence": "&".join(terms)}
    if not (lof or missense or other):
        return TierCall(4, prefix + _NOT_CODING % described)
    if not in_panel:
        return TierCall(4, prefix + _OUTSIDE_PANEL % described)
    if frequency == FREQUENCY_UNKNOWN:
        return TierCall(4, prefix + _FREQUENCY_UNKNOWN % described)
    if frequency == FREQUENCY_COMMON:
        common = {"af": f"{max_af:.3g}", "max_af": f"{rules.max_af:g}"}
        return TierCall(4, prefix + _COMMON % (described | common))
    if lof or missense:
        return TierCall(2, prefix + _RARE % {"consequence": lof[0] if lof else "missense"})
    return TierCall(3, prefix + _RARE % {"consequence": other[0]})
