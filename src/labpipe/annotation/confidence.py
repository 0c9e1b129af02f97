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

CONFIRM = "confirm orthogonally"


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
        return (
            f"A call is flagged '{CONFIRM}' when its depth is below {self.min_depth} reads, "
            f"or its allele fraction is outside {self.het_af_min:g}-{self.het_af_max:g} "
            f"(heterozygous) or below {self.hom_af_min:g} (homozygous or hemizygous)."
        )


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
    reasons = []
    if depth is None:
        reasons.append("depth unknown")
    elif depth < rules.min_depth:
        reasons.append(f"depth {depth} < {rules.min_depth}")
    if allele_fraction is None:
        reasons.append("allele fraction unknown")
    elif zygosity == "het" and not rules.het_af_min <= allele_fraction <= rules.het_af_max:
        reasons.append(
            f"het allele fraction {allele_fraction:.2f} outside "
            f"{rules.het_af_min:g}-{rules.het_af_max:g}"
        )
    elif zygosity in ("hom_alt", "hemizygous") and allele_fraction < rules.hom_af_min:
        reasons.append(f"hom allele fraction {allele_fraction:.2f} < {rules.hom_af_min:g}")
    return f"{CONFIRM}: {'; '.join(reasons)}" if reasons else ""
