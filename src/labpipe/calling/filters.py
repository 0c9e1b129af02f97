"""The soft filters a call gets: one FILTER name, a bcftools expression and what it means.

The workflow applies them with ``bcftools filter -s`` and the report's Methods list them, so
both read this one list.
"""

from __future__ import annotations

from dataclasses import dataclass

from labpipe.config.lab import CallingConfig
from labpipe.core.i18n import N_, translate_written

# What each filter means: English in the VCF header, translated in the report
# (meaning_in_words).
_LOW_QUAL = N_("QUAL below %(snv)s (SNV) or %(indel)s (indel)")
_LOW_DEPTH = N_("read depth below %(depth)s")
_INDEL_ARTEFACT = N_("indel allele in fewer than 2 reads")
_INDEL_ARTEFACT_IMF = N_(
    "indel allele in fewer than 2 reads, or called homozygous from under 30% of the reads"
)


#: The meanings with fields (the others are whole messages).
MEANING_MESSAGES = (_LOW_QUAL, _LOW_DEPTH)


def meaning_in_words(meaning: str) -> str:
    """A filter's meaning in the current language."""
    return translate_written(meaning, MEANING_MESSAGES, separator="\n")


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
                _LOW_QUAL % {"snv": f"{snv:g}", "indel": f"{indel:g}"},
            )
        )
    if calling.min_depth > 0:
        filters.append(
            SoftFilter(
                "LowDepth",
                f"FORMAT/DP<{calling.min_depth}",
                _LOW_DEPTH % {"depth": calling.min_depth},
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
                    _INDEL_ARTEFACT_IMF,
                )
            )
        else:
            filters.append(SoftFilter("IndelArtefact", few_reads, _INDEL_ARTEFACT))
    return filters
