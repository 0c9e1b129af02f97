"""Where a run writes what: every output path, relative to the output folder.

The one place output names are spelled. Each name is a template with Snakemake
wildcards (``{sample}``, ``{unit}``, ``{chunk}``): the rule files use the templates
as they are (in ``output:``/``input:`` and in ``expand``), Python code fills them in
with :func:`path` or the helpers below. Renaming an output here renames it for the
workflow, the QC table, the manifest, the reports and what ``labpipe run`` prints.

Kept in ``core``: the layers below ``run`` (the manifest, the no-result record, the
disk estimate) read these files too.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

#: Every result lives under this folder of the output directory.
RESULTS = "results"

# Reference regions (one set per run).
TARGETS_BED = "results/reference/targets.bed"
CALLING_BED = "results/reference/calling_regions.bed"
CHUNKS_DIR = "results/reference/chunks"
CHUNK_BED = "results/reference/chunks/chunk{chunk}.bed"
SEX_REGIONS_BED = "results/reference/sex_regions.bed"

# Alignment, per unit (lane) and then per sample.
UNIT_BAM = "results/bam/units/{sample}.{unit}.bam"
UNIT_SORT_PREFIX = "results/bam/units/{sample}.{unit}.sort"
BAM = "results/bam/{sample}.bam"
BAI = "results/bam/{sample}.bam.bai"
MARKDUP_PREFIX = "results/bam/{sample}.markdup"

# QC files MultiQC and labpipe's QC table read.
QC_DIR = "results/qc"
FASTP_DIR = "results/qc/fastp"
FASTP_JSON = "results/qc/fastp/{sample}.{unit}.fastp.json"
FASTP_HTML = "results/qc/fastp/{sample}.{unit}.fastp.html"
PAIRS_JSON = "results/qc/pairs/{sample}.{unit}.pairs.json"
SAMTOOLS_DIR = "results/qc/samtools"
MARKDUP_STATS = "results/qc/samtools/{sample}.markdup.txt"
SAMTOOLS_STATS = "results/qc/samtools/{sample}.stats.txt"
FLAGSTAT_JSON = "results/qc/samtools/{sample}.flagstat.json"
MOSDEPTH_DIR = "results/qc/mosdepth"
#: mosdepth's own prefix: it adds the suffixes below.
MOSDEPTH_PREFIX = "results/qc/mosdepth/{sample}"
MOSDEPTH_SUMMARY = "results/qc/mosdepth/{sample}.mosdepth.summary.txt"
MOSDEPTH_DIST = "results/qc/mosdepth/{sample}.mosdepth.region.dist.txt"
MOSDEPTH_REGIONS = "results/qc/mosdepth/{sample}.regions.bed.gz"
MOSDEPTH_THRESHOLDS = "results/qc/mosdepth/{sample}.thresholds.bed.gz"
SEX_DEPTH_PREFIX = "results/qc/sex/{sample}.depth"
SEX_DEPTH_SUMMARY = "results/qc/sex/{sample}.depth.mosdepth.summary.txt"
SEX_JSON = "results/qc/sex/{sample}.sex.json"
BCFTOOLS_DIR = "results/qc/bcftools"
BCFTOOLS_STATS = "results/qc/bcftools/{sample}.bcftools_stats.txt"
QC_SUMMARY = "results/qc/qc_summary.tsv"
# The batch's identity checks (labpipe.qc.identity): every sample genotyped at the batch's
# SNV sites, then kinship of every pair and each sample's contamination.
IDENTITY_SITES = "results/qc/identity/sites.tsv.gz"
IDENTITY_SITES_TBI = "results/qc/identity/sites.tsv.gz.tbi"
IDENTITY_GENOTYPES = "results/qc/identity/genotypes.vcf.gz"
IDENTITY_JSON = "results/qc/identity/identity.json"
READ_LEDGER_MQC = "results/qc/read_ledger_mqc.tsv"
GENERAL_STATS_MQC = "results/qc/labpipe/labpipe_general_stats_mqc.tsv"
MULTIQC_PARTIAL_DIR = "results/qc/multiqc.partial"
MULTIQC_HTML = "results/qc/multiqc_report.html"

# Calling.
VCF_HEADER = "results/vcf/labpipe_header.txt"
PLOIDY = "results/vcf/ploidy/{sample}.ploidy.txt"
PLOIDY_SAMPLES = "results/vcf/ploidy/{sample}.sex.txt"
CNV_MAP = "results/vcf/ploidy/{sample}.cnv_map.bed"
CHUNK_BCF = "results/vcf/chunks/{sample}.{chunk}.bcf"
CHUNK_INDEL_SITES = "results/vcf/chunks/{sample}.{chunk}.indel_sites.txt"
SECOND_OPINION_WINDOWS = "results/vcf/second_opinion/{sample}.windows.bed"
SECOND_OPINION_BCF = "results/vcf/second_opinion/{sample}.freebayes.bcf"
VCF = "results/vcf/{sample}.vcf.gz"
TBI = "results/vcf/{sample}.vcf.gz.tbi"

# Joint calling of a family's sequenced members (workflow/rules/call_family.smk): the
# family VCF, and each member's VCF above derived from the same calls.
FAMILY_PLOIDY = "results/family/ploidy/{family}.ploidy.txt"
FAMILY_PLOIDY_SAMPLES = "results/family/ploidy/{family}.sex.txt"
FAMILY_CNV_MAP = "results/family/ploidy/{family}.cnv_map.bed"
FAMILY_CHUNK_BCF = "results/family/chunks/{family}.{chunk}.bcf"
FAMILY_CHUNK_INDEL_SITES = "results/family/chunks/{family}.{chunk}.indel_sites.txt"
FAMILY_SECOND_OPINION_WINDOWS = "results/family/second_opinion/{family}.windows.bed"
#: freebayes' calls for the whole family, as it wrote them (before norm and filters).
FAMILY_FREEBAYES_BCF = "results/family/second_opinion/{family}.freebayes.bcf"
#: Its opinion on the family's calls, and on one member's (normalised, soft-filtered).
FAMILY_OPINION_BCF = "results/family/second_opinion/{family}.opinion.bcf"
MEMBER_OPINION_BCF = "results/family/second_opinion/{family}.{sample}.opinion.bcf"
FAMILY_VCF = "results/family/{family}.vcf.gz"
FAMILY_TBI = "results/family/{family}.vcf.gz.tbi"
FAMILY_INHERITANCE = "results/family/{family}.inheritance.tsv"

# Annotation.
ANNOTATION_SOURCES = "results/annotation/sources.json"
CSQ_VCF = "results/vcf/{sample}.csq.vcf.gz"
ROH_AF = "results/roh/{sample}.af.tsv.gz"
ROH_AF_TBI = "results/roh/{sample}.af.tsv.gz.tbi"
ROH = "results/roh/{sample}.roh.txt"
ANNOTATED_VCF = "results/vcf/{sample}.annotated.vcf.gz"
ANNOTATED_TBI = "results/vcf/{sample}.annotated.vcf.gz.tbi"
VARIANTS_TSV = "results/variants/{sample}.tsv"
VARIANTS_XLSX = "results/variants/{sample}.xlsx"

# Reports and provenance.
REPORT_HTML = "results/report/{sample}.html"
REPORT_SUMMARY = "results/report/{sample}.summary.json"
REPORT_LOW_REGIONS = "results/report/{sample}.low_regions.tsv"
REPORT_INDEX = "results/report/index.html"
FAMILY_REPORT = "results/report/family-{family}.html"
#: The batch page: kinship heat map, flagged pairs, contamination (linked from the index).
REPORT_BATCH = "results/report/batch.html"
#: How the run index (in ``results/report/``) links the MultiQC report.
MULTIQC_FROM_REPORTS = "../qc/multiqc_report.html"
INPUT_CHECKSUMS = "results/provenance/input_checksums.json"
MANIFEST = "results/run_manifest.json"

# labpipe's own state beside the results (not results themselves).
STATE_DIR = ".labpipe"
RUN_STATE = ".labpipe/run.json"
#: Present while a `labpipe demo` (a lesson too) has not finished: a re-run resumes it.
DEMO_UNFINISHED = ".labpipe/demo_unfinished"
CHECKSUM_CACHE = ".labpipe/checksums.json"
NO_RESULT = ".labpipe/no_result.json"
#: Each tool's version as the step that ran it reported it (labpipe.provenance.manifest).
TOOL_VERSIONS_DIR = ".labpipe/tool_versions"


def path(template: str, **wildcards: str) -> str:
    """A template with its wildcards filled in, e.g. ``path(BAM, sample="S1")``."""
    return template.format(**wildcards)


def family_vcf(family: str) -> str:
    """A family's joint VCF: every sequenced member, in pedigree order."""
    return path(FAMILY_VCF, family=family)


def sample_outputs(sample: str, annotate: bool) -> list[str]:
    """The final files of one sample."""
    templates = [BAM, BAI, VCF, TBI, VARIANTS_TSV, MOSDEPTH_SUMMARY, BCFTOOLS_STATS]
    if annotate:
        templates += [ANNOTATED_VCF, ANNOTATED_TBI]
    return [path(t, sample=sample) for t in templates]


def final_outputs(samples: list[str], annotate: bool, families: tuple[str, ...] = ()) -> list[str]:
    """Everything ``rule all`` asks for besides the clinical outputs, the manifest last.

    ``families``: the families called jointly, whose VCFs are outputs too.
    """
    paths = [p for sample in samples for p in sample_outputs(sample, annotate)]
    paths += [p for f in families for p in (family_vcf(f), path(FAMILY_TBI, family=f))]
    return [*paths, QC_SUMMARY, IDENTITY_JSON, MULTIQC_HTML, MANIFEST]


def clinical_outputs(samples: list[str], reports: bool, families: Sequence[str] = ()) -> list[str]:
    """Workbooks, and with ``report.enabled`` each sample's report, each family's page (of
    the ``families`` with an affected trio child) and the run index."""
    paths = [path(VARIANTS_XLSX, sample=s) for s in samples]
    if reports:
        paths += [path(REPORT_HTML, sample=s) for s in samples]
        paths += [family_report(f) for f in families]
        paths += [REPORT_BATCH, REPORT_INDEX]
    return paths


def family_inheritance(family: str) -> str:
    """A family's inheritance table (:mod:`labpipe.annotation.inheritance`)."""
    return path(FAMILY_INHERITANCE, family=family)


def family_report(family: str) -> str:
    """A family's page in the report."""
    return path(FAMILY_REPORT, family=family)


def in_outdir(outdir: Path, template: str, **wildcards: str) -> Path:
    """A result's path inside ``outdir``."""
    return outdir / path(template, **wildcards)
