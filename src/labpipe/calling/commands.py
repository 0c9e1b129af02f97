"""The calling commands of the workflow's rules: caller, second opinion, soft filters.

Each returns a piece of a rule's shell pipeline, with Snakemake placeholders
(``{input.bam}``, ``{params.mapq}``…) that the rule fills in. They are built here,
not written out in the rule, where the config decides their shape: which caller
runs, whether mpileup's indel sites are kept for the second opinion, and how many
soft filters there are.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import replace

from labpipe.calling.filters import SoftFilter, soft_filters
from labpipe.config.lab import CallingConfig


def caller_command(caller: str, indel_candidates: bool = False) -> str:
    """The calling part of the variant pipeline (Snakemake placeholders), before ``norm``.

    Both callers see the same padded regions, quality floors, depth cap and ploidy (the
    rule's ``ploidy``/``ploidy_samples`` inputs for bcftools, ``cnv_map`` for freebayes),
    so switching caller changes only the caller.

    Args:
        caller: ``bcftools`` or ``freebayes``.
        indel_candidates: With bcftools, also write the sites where mpileup saw indel
            candidates to ``{output.candidates}`` (where freebayes gives its second
            opinion, :mod:`labpipe.calling.second_opinion`).
    """
    if caller == "freebayes":
        # --limit-coverage downsamples like mpileup's -d; freebayes' -g would
        # instead skip deep sites entirely and lose their variants.
        return (
            "freebayes -f {input.ref:q} -t {input.regions} -m {params.mapq} -q {params.baseq}"
            " --limit-coverage {params.max_depth} --genotype-qualities"
            " --cnv-map {input.cnv_map} {input.bam}"
        )
    if caller == "bcftools":
        mpileup = (
            "bcftools mpileup -f {input.ref:q} -R {input.regions} -q {params.mapq}"
            " -Q {params.baseq} -d {params.max_depth} --indel-bias {params.indel_bias}"
            " -a FORMAT/AD,FORMAT/DP -Ou {input.bam}"
        )
        if indel_candidates:
            # tee's process substitution is waited for ($! is its pid), so the
            # candidates are complete, and its failure fails the pipe. ({{ }} is
            # Snakemake's escape for a brace.)
            mpileup += (
                " | {{ tee >(bcftools query -i 'INFO/INDEL=1' -f '%CHROM\\t%POS0\\t%END\\n'"
                " > {output.candidates}.partial); wait $!; }}"
            )
        # Ploidy by position and the sample's sheet sex (labpipe.qc.sex): a male's chrX
        # outside the PARs is haploid.
        return mpileup + (
            " | bcftools call -m -v -a GQ -P {params.prior}"
            " --ploidy-file {input.ploidy} --samples-file {input.ploidy_samples} -Ou"
        )
    raise ValueError(f"unknown caller {caller!r}")


#: The ``bcftools view`` stage (ending ``| ``) that keeps only records whose sample carries
#: an ALT allele. Splitting a multi-allelic site leaves a 0/0 record for the allele the
#: sample does not have, and a caller may write 0/0 or ./. records: none is a variant,
#: and none may reach the VCF to pass the filters and be listed or counted as one.
CARRIES_ALT_STAGE = "bcftools view -i 'GT~\"[1-9]\"' -Ou | "


def sample_columns_stage(samples: Sequence[str]) -> str:
    """The ``bcftools view`` stage (ending ``| ``) that keeps these samples' columns of a
    family's calls, in this order, and only the ALT alleles they carry; nothing for none.

    With one family member, what follows (norm, :data:`CARRIES_ALT_STAGE`, the soft
    filters, the second opinion) is a singleton's pipeline: it judges the member's own
    genotype, depth and reads. With every member it puts the family VCF's columns in
    pedigree order (freebayes writes them in its own).
    """
    if not samples:
        return ""
    return f"bcftools view -s {shlex.quote(','.join(samples))} -a -Ou | "


def second_opinion_command() -> str:
    """freebayes for the second opinion: the caller's own command, in ``{output.windows}``."""
    return caller_command("freebayes").replace("{input.regions}", "{output.windows}")


def second_opinion_filters(calling: CallingConfig) -> list[SoftFilter]:
    """The soft filters freebayes' indels must pass to count as its opinion."""
    return soft_filters(replace(calling, caller="freebayes"))


def filter_command(calling: CallingConfig, filters: list[SoftFilter] | None = None) -> str:
    """The ``bcftools filter`` stages (each ending ``| ``) that apply :func:`soft_filters`
    (or ``filters``)."""
    return "".join(
        f"bcftools filter -m + -s {f.name} -e {shlex.quote(f.expression)} -Ou | "
        for f in (soft_filters(calling) if filters is None else filters)
    )
