"""The soft filters a call gets: one FILTER name, a bcftools expression and what it means.

The workflow applies them with ``bcftools filter -s`` and the report's Methods list them, so
both read this one list.
"""

from __future__ import annotations

from dataclasses import dataclass

from labpipe.config.lab import CallingConfig


@dataclass(frozen=True)
class SoftFilter:
    """One FILTER a call gets when ``expression`` (bcftools filter syntax) is true."""

    name: str
    expression: str
    meaning: str


def soft_filters(calling: CallingConfig) -> list[SoftFilter]:
    """The soft filters of the config's ``calling`` section, in the order they are applied.

    Records are split (one ALT each) before filtering, so ``AD[0:1]`` is the read
    count of the record's own allele.
    """
    filters = []
    snv, indel = calling.min_qual.snv, calling.min_qual.indel
    if snv > 0 or indel > 0:
        filters.append(
            SoftFilter(
                "LowQual",
                f'(TYPE="snp" && QUAL<{snv:g}) || (TYPE!="snp" && QUAL<{indel:g})',
                f"QUAL below {snv:g} (SNV) or {indel:g} (indel)",
            )
        )
    if calling.min_depth > 0:
        filters.append(
            SoftFilter(
                "LowDepth",
                f"FORMAT/DP<{calling.min_depth}",
                f"read depth below {calling.min_depth}",
            )
        )
    if calling.indel_artefact_filter:
        few_reads = 'TYPE="indel" && FORMAT/AD[0:1]<2'
        if calling.caller == "bcftools":
            # IMF: the fraction of reads with the indel; a homozygous call from a
            # minority of them is bcftools' typical error beside a real indel.
            filters.append(
                SoftFilter(
                    "IndelArtefact",
                    f'({few_reads}) || (TYPE="indel" && GT="AA" && INFO/IMF<0.3)',
                    "indel allele in fewer than 2 reads, or called homozygous from under "
                    "30% of the reads",
                )
            )
        else:
            filters.append(
                SoftFilter("IndelArtefact", few_reads, "indel allele in fewer than 2 reads")
            )
    return filters
