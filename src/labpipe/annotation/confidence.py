"""Call confidence: which calls the lab wants confirmed by another method before reporting.

A call is flagged "confirm orthogonally" (e.g. by Sanger sequencing) when its
read depth is below ``min_depth``, or its allele fraction does not fit its
genotype: a heterozygous call outside ``het_af_min``-``het_af_max``, a
homozygous or hemizygous one below ``hom_af_min``. The thresholds are the
lab's (config ``annotation.confidence``); the defaults follow common
laboratory practice for germline panels (depth 15, het 0.25-0.75, hom 0.85).
"""

from __future__ import annotations

from dataclasses import dataclass

from labpipe.config.lab import ConfidenceConfig
from labpipe.core.i18n import N_, _, translate_written

CONFIRM = N_("confirm orthogonally")
# The pieces of the table's ``confidence`` text (English in the table, translated where shown:
# :func:`flag_in_words`).
_FLAG = N_("confirm orthogonally: %(reason)s")
_DEPTH_UNKNOWN = N_("depth unknown")
_AF_UNKNOWN = N_("allele fraction unknown")
_LOW_DEPTH = N_("depth %(depth)s < %(min_depth)s")
_HET_AF = N_("het allele fraction %(af)s outside %(low)s-%(high)s")
_HOM_AF = N_("hom allele fraction %(af)s < %(low)s")
FLAG_MESSAGES = (_FLAG, _LOW_DEPTH, _HET_AF, _HOM_AF)


def flag_in_words(flag: str) -> str:
    """A table's ``confidence`` text in the current language (English stays as it is)."""
    return translate_written(flag, FLAG_MESSAGES)


@dataclass(frozen=True)
class ConfidenceRules:
    """The lab's thresholds for a call it reports without confirmation."""

    min_depth: int = 15
    het_af_min: float = 0.25
    het_af_max: float = 0.75
    hom_af_min: float = 0.85

    @classmethod
    def from_config(cls, section: ConfidenceConfig) -> ConfidenceRules:
        """Rules from the config's ``annotation.confidence`` (defaults filled in)."""
        return cls(
            min_depth=section.min_depth,
            het_af_min=section.het_af_min,
            het_af_max=section.het_af_max,
            hom_af_min=section.hom_af_min,
        )

    def describe(self) -> str:
        """The rule in words, for the report's methods."""
        return _(
            "A call is flagged '%(flag)s' when its depth is below %(depth)s reads, or its "
            "allele fraction is outside %(low)s-%(high)s (heterozygous) or below %(hom)s "
            "(homozygous or hemizygous)."
        ) % {
            "flag": _(CONFIRM),
            "depth": self.min_depth,
            "low": f"{self.het_af_min:g}",
            "high": f"{self.het_af_max:g}",
            "hom": f"{self.hom_af_min:g}",
        }


def confidence_flag(
    zygosity: str, depth: int | None, allele_fraction: float | None, rules: ConfidenceRules
) -> str:
    """Empty when the call meets the lab's thresholds, else why it needs confirming.

    Args:
        zygosity: The table's zygosity (``het``, ``hom_alt``, ``hemizygous``, ...).
        depth: FORMAT/DP, None when missing.
        allele_fraction: ALT reads / (REF + ALT reads), None when missing.
        rules: The lab's thresholds.

    Returns:
        E.g. ``confirm orthogonally: depth 9 < 15; het allele fraction 0.18``.
    """
    # English: the table's column (translated where shown, flag_in_words).
    reasons = []
    if depth is None:
        reasons.append(_DEPTH_UNKNOWN)
    elif depth < rules.min_depth:
        reasons.append(_LOW_DEPTH % {"depth": depth, "min_depth": rules.min_depth})
    if allele_fraction is None:
        reasons.append(_AF_UNKNOWN)
    elif zygosity == "het" and not rules.het_af_min <= allele_fraction <= rules.het_af_max:
        reasons.append(
            _HET_AF
            % {
                "af": f"{allele_fraction:.2f}",
                "low": f"{rules.het_af_min:g}",
                "high": f"{rules.het_af_max:g}",
            }
        )
    elif zygosity in ("hom_alt", "hemizygous") and allele_fraction < rules.hom_af_min:
        reasons.append(_HOM_AF % {"af": f"{allele_fraction:.2f}", "low": f"{rules.hom_af_min:g}"})
    return _FLAG % {"reason": "; ".join(reasons)} if reasons else ""
