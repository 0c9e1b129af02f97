"""Caller configurations the accuracy benchmark compares.

Two kinds:

- ``pipeline``: a whole ``labpipe run`` with some ``calling:`` settings; its
  ``results/vcf/<sample>.vcf.gz`` is scored (PASS calls only);
- ``bam``: a calling command line run on the BAM of the default labpipe run of the same
  data set (same trimming, alignment and duplicate marking), its VCF normalised with
  ``bcftools norm -m -any`` and, when the configuration has a filter, soft-filtered with
  ``bcftools filter -e``; PASS calls are scored. The ``*-bare`` rows are the tools with
  their own defaults and no filter at all.

Commands use ``{ref}``, ``{bam}`` and ``{regions}`` (a BED of the data set's real
sequence) and write VCF to stdout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

BCFTOOLS_LABPIPE = (
    "bcftools mpileup -f {ref} -R {regions} -q 20 -Q 20 -d 2000 -a FORMAT/AD,FORMAT/DP -Ou {bam}"
    " | bcftools call -m -v -a GQ"
)


@dataclass(frozen=True)
class CallerConfig:
    """One way of calling.

    Attributes:
        name: Short name used on the command line and in tables.
        kind: ``pipeline`` or ``bam``.
        description: What it is.
        calling: ``calling:`` settings of a pipeline run (merged over labpipe's defaults).
        alignment: ``alignment:`` settings of a pipeline run.
        command: Calling command of a ``bam`` configuration.
        exclude: ``bcftools filter -e`` expression; matching calls are filtered out.
    """

    name: str
    kind: str
    description: str
    calling: dict[str, Any] = field(default_factory=dict)
    alignment: dict[str, Any] = field(default_factory=dict)
    command: str = ""
    exclude: str = ""


def _bcftools(
    name: str, description: str, mpileup: str, call: str = "", exclude: str = ""
) -> CallerConfig:
    command = (
        f"bcftools mpileup -f {{ref}} -R {{regions}} -a FORMAT/AD,FORMAT/DP {mpileup} -Ou {{bam}}"
        f" | bcftools call -m -v -a GQ {call}"
    )
    return CallerConfig(name, "bam", description, command=command, exclude=exclude)


def _freebayes(name: str, description: str, options: str = "", exclude: str = "") -> CallerConfig:
    command = f"freebayes -f {{ref}} -t {{regions}} {options} {{bam}}"
    return CallerConfig(name, "bam", description, command=command, exclude=exclude)


# Soft filters tried on top of a caller; each removes calls matching the expression.
QUAL30_DP10 = "QUAL<30 || FORMAT/DP<10"
# A homozygous indel that fewer than 30% of the reads show (INFO/IMF) is bcftools' indel
# realigner giving all reads to a second, wrong allele next to a true indel; an indel
# allele seen in fewer than 2 reads is mostly the spare allele of a split 1/2 call.
INDEL_ARTEFACTS = '(TYPE="indel" && GT="AA" && INFO/IMF<0.3) || (TYPE="indel" && FORMAT/AD[0:1]<2)'
TUNED_FILTER = f"FORMAT/DP<3 || {INDEL_ARTEFACTS}"

CONFIGS: list[CallerConfig] = [
    CallerConfig("labpipe", "pipeline", "labpipe run, default config"),
    CallerConfig(
        "labpipe-freebayes",
        "pipeline",
        "labpipe run with calling.caller: freebayes",
        calling={"caller": "freebayes"},
    ),
    CallerConfig(
        "labpipe-minimap2",
        "pipeline",
        "labpipe run with alignment.aligner: minimap2 (minimap2 -ax sr instead of bwa mem)",
        alignment={"aligner": "minimap2"},
    ),
    CallerConfig(
        "bcftools-bare",
        "bam",
        "bcftools mpileup -f REF | bcftools call -mv, tool defaults, no filter",
        command="bcftools mpileup -f {ref} -R {regions} -Ou {bam} | bcftools call -m -v",
    ),
    CallerConfig(
        "freebayes-bare",
        "bam",
        "freebayes -f REF, tool defaults, no filter",
        command="freebayes -f {ref} -t {regions} {bam}",
    ),
    # --- tuning: bcftools ---------------------------------------------------------------
    _bcftools("bcf-lp", "labpipe's mpileup/call options, no filter", "-q 20 -Q 20 -d 2000"),
    _bcftools(
        "bcf-lp-q30dp10",
        "labpipe's options + QUAL>=30, DP>=10 (labpipe's filters)",
        "-q 20 -Q 20 -d 2000",
        exclude=QUAL30_DP10,
    ),
    _bcftools("bcf-Q13", "min base quality 13", "-q 20 -Q 13 -d 2000"),
    _bcftools("bcf-noBAQ", "BAQ off (-B)", "-q 20 -Q 20 -d 2000 -B"),
    _bcftools("bcf-fullBAQ", "BAQ everywhere (-D)", "-q 20 -Q 20 -d 2000 -D"),
    _bcftools("bcf-redoBAQ", "BAQ recomputed (-E)", "-q 20 -Q 20 -d 2000 -E"),
    _bcftools("bcf-d250", "max depth 250 (tool default)", "-q 20 -Q 20 -d 250"),
    _bcftools("bcf-m3", "indel candidates need 3 gapped reads (-m 3)", "-q 20 -Q 20 -d 2000 -m 3"),
    _bcftools(
        "bcf-h500",
        "homopolymer error coefficient 500 (-h)",
        "-q 20 -Q 20 -d 2000 -h 500",
    ),
    _bcftools("bcf-o20", "gap open 20 (-o, default 40)", "-q 20 -Q 20 -d 2000 -o 20"),
    _bcftools(
        "bcf-indelbias2",
        "--indel-bias 2 (favour indel recall)",
        "-q 20 -Q 20 -d 2000 --indel-bias 2",
    ),
    _bcftools(
        "bcf-indelbias0.75",
        "--indel-bias 0.75 (favour indel precision)",
        "-q 20 -Q 20 -d 2000 --indel-bias 0.75",
    ),
    _bcftools("bcf-P1e-2", "call prior -P 0.01", "-q 20 -Q 20 -d 2000", call="-P 0.01"),
    _bcftools("bcf-P1e-4", "call prior -P 1e-4", "-q 20 -Q 20 -d 2000", call="-P 1e-4"),
    _bcftools(
        "bcf-q20",
        "labpipe's options + QUAL>=20",
        "-q 20 -Q 20 -d 2000",
        exclude="QUAL<20",
    ),
    _bcftools(
        "bcf-q50",
        "labpipe's options + QUAL>=50",
        "-q 20 -Q 20 -d 2000",
        exclude="QUAL<50",
    ),
    _bcftools(
        "bcf-q30dp10-ab",
        "labpipe's filters + het allele balance 0.2-0.8 (FORMAT/AD)",
        "-q 20 -Q 20 -d 2000",
        exclude=QUAL30_DP10
        + ' || (GT="het" && (FORMAT/AD[0:1] / (FORMAT/AD[0:0] + FORMAT/AD[0:1])) < 0.2)',
    ),
    _bcftools(
        "bcf-q30dp10-sp",
        "labpipe's filters + strand bias SP<=60 (Phred)",
        "-q 20 -Q 20 -d 2000 -a FORMAT/SP",
        exclude=QUAL30_DP10 + " || FORMAT/SP>60",
    ),
    _bcftools(
        "bcf-q30dp5",
        "QUAL>=30, DP>=5",
        "-q 20 -Q 20 -d 2000",
        exclude="QUAL<30 || FORMAT/DP<5",
    ),
    _bcftools(
        "bcf-q20dp5",
        "QUAL>=20, DP>=5",
        "-q 20 -Q 20 -d 2000",
        exclude="QUAL<20 || FORMAT/DP<5",
    ),
    # --- second round: call prior, base-quality floor, depth and artefact filters ---
    _bcftools("bcf-P3e-3", "labpipe's options + call -P 3e-3", "-q 20 -Q 20 -d 2000", "-P 3e-3"),
    _bcftools(
        "bcf-P3e-3-dp3",
        "labpipe's options + call -P 3e-3 + DP>=3",
        "-q 20 -Q 20 -d 2000",
        "-P 3e-3",
        exclude="FORMAT/DP<3",
    ),
    _bcftools(
        "bcf-P1e-2-dp3",
        "labpipe's options + call -P 0.01 + DP>=3",
        "-q 20 -Q 20 -d 2000",
        "-P 1e-2",
        exclude="FORMAT/DP<3",
    ),
    _bcftools(
        "bcf-Q1-P3e-3-dp3",
        "-q 20 -Q 1 + call -P 3e-3 + DP>=3",
        "-q 20 -Q 1 -d 2000",
        "-P 3e-3",
        exclude="FORMAT/DP<3",
    ),
    _bcftools(
        "bcf-tuned",
        "-q 20 -Q 1, call -P 3e-3; filters DP>=3 and the two indel artefacts",
        "-q 20 -Q 1 -d 2000",
        "-P 3e-3",
        exclude=TUNED_FILTER,
    ),
    _bcftools(
        "bcf-tuned-Q13",
        "as bcf-tuned with -Q 13",
        "-q 20 -Q 13 -d 2000",
        "-P 3e-3",
        exclude=TUNED_FILTER,
    ),
    _bcftools(
        "bcf-tuned-Q20",
        "as bcf-tuned with -Q 20 (labpipe's min_baseq)",
        "-q 20 -Q 20 -d 2000",
        "-P 3e-3",
        exclude=TUNED_FILTER,
    ),
    # --- third round: indel bias (see RESULTS.md; bcf-ib5 is labpipe's default) ---------
    _bcftools(
        "bcf-ib1.5",
        "as bcf-tuned with mpileup --indel-bias 1.5",
        "-q 20 -Q 1 -d 2000 --indel-bias 1.5",
        "-P 3e-3",
        exclude=TUNED_FILTER,
    ),
    _bcftools(
        "bcf-ib3",
        "as bcf-tuned with mpileup --indel-bias 3",
        "-q 20 -Q 1 -d 2000 --indel-bias 3",
        "-P 3e-3",
        exclude=TUNED_FILTER,
    ),
    _bcftools(
        "bcf-ib5",
        "as bcf-tuned with mpileup --indel-bias 5 (labpipe's calling)",
        "-q 20 -Q 1 -d 2000 --indel-bias 5",
        "-P 3e-3",
        exclude=TUNED_FILTER,
    ),
    # --- tuning: freebayes --------------------------------------------------------------
    _freebayes("fb-q20", "freebayes + QUAL>=20", exclude="QUAL<20"),
    _freebayes("fb-q30dp10", "freebayes + QUAL>=30, DP>=10", exclude="QUAL<30 || INFO/DP<10"),
    _freebayes(
        "fb-lp",
        "freebayes with labpipe's input floors (-m 20 -q 20, --limit-coverage 2000)",
        "-m 20 -q 20 --limit-coverage 2000",
    ),
    _freebayes(
        "fb-lp-q20",
        "freebayes with labpipe's floors + QUAL>=20",
        "-m 20 -q 20 --limit-coverage 2000",
        exclude="QUAL<20",
    ),
    _freebayes("fb-C3", "freebayes -C 3 (min alternate count 3)", "-C 3"),
    _freebayes("fb-n4", "freebayes --use-best-n-alleles 4", "-n 4"),
    _freebayes(
        "fb-labpipe",
        "freebayes as labpipe runs it: -m 20 -q 1, SNVs QUAL>=1, DP>=3, indel in >=2 reads",
        "-m 20 -q 1 --limit-coverage 2000",
        exclude='FORMAT/DP<3 || (TYPE="snp" && QUAL<1) || (TYPE="indel" && FORMAT/AD[0:1]<2)',
    ),
]
BY_NAME: dict[str, CallerConfig] = {c.name: c for c in CONFIGS}
DEFAULT_CALLERS = ("labpipe", "labpipe-freebayes", "bcftools-bare", "freebayes-bare")
#: The configurations of RESULTS.md's multi-seed tables.
MAIN_CALLERS = (*DEFAULT_CALLERS, "bcf-tuned", "bcf-ib1.5", "bcf-ib3", "bcf-ib5")
