# Load and validate the lab config and sample sheet before any job is planned.
import os
import shlex
from pathlib import Path

from labpipe.run.cluster import (
    LOCAL_RULES,
    SMALL_MEM_MB,
    SMALL_RUNTIME_MIN,
    align_resources,
    depth_resources,
    markdup_resources,
    reads_resources,
    reference_index_resources,
)
from labpipe.config.settings import STAGE_SECTIONS, config_sha256, load_config, stage_config_sha256
from labpipe.calling.commands import (
    CARRIES_ALT_STAGE,
    caller_command,
    filter_command,
    sample_columns_stage,
    second_opinion_command,
    second_opinion_filters,
)
from labpipe.core import layout
from labpipe.core.i18n import choose_language
from labpipe.provenance.manifest import content_sha256
from labpipe.provenance.no_result import analysable, read_no_result
from labpipe.core.resources import envs_dir
from labpipe.config.samplesheet import load_sample_sheet, samples_of
from labpipe.config.pedigree import pedigree_sexes
from labpipe.config.pedigree_reader import load_pedigree
from labpipe.inputs.reference import index_files
from labpipe.run.workflow_support import (
    aligner_command,
    calling_chunks,
    fastp_plan,
    labpipe_environment,
    name_pattern,
    unit_table,
)

if "labpipe_config" not in config:
    raise ValueError("run this workflow through `labpipe run CONFIG` (it passes labpipe_config)")

# The typed config (labpipe.config.lab): loaded once, every path resolved.
LP = load_config(
    Path(config["labpipe_config"]),
    output_dir=Path(config["labpipe_outdir"]) if config.get("labpipe_outdir") else None,
)
OUTDIR = Path(LP.output_dir)
SHEET_UNITS = load_sample_sheet(LP.samples, LP.platform)
# Samples that failed earlier in this `labpipe run` are left out (see labpipe.provenance.no_result):
# the run-level outputs are built from the others, the index shows these as NO RESULT.
NO_RESULT = read_no_result(OUTDIR)
UNITS = unit_table(analysable(SHEET_UNITS))
SAMPLES = samples_of(list(UNITS.values()))
SHEET_SAMPLES = samples_of(SHEET_UNITS)
PEDIGREE = load_pedigree(SHEET_UNITS, LP.samples, LP.pedigree)
# The sample sheet's sex of each sample (labpipe.qc.sex), or the PED file's where the sheet
# gives none: it sets the ploidy of chrX/chrY.
SEX = {s: sex for s, sex in pedigree_sexes(SHEET_UNITS, PEDIGREE).items() if s in SAMPLES}
# Families called jointly (rules/call_family.smk): family -> its sequenced members still
# analysable, in pedigree order; a family with one such member is called as a singleton.
FAMILIES = PEDIGREE.joint_families(SAMPLES)
FAMILY_OF = {sample: family for family, members in FAMILIES.items() for sample in members}
PAR_FILE = str(LP.reference.par_regions) if LP.reference.par_regions else None
# Rules run `labpipe …` by name, and name the config file and output folder as
# "$LABPIPE_CONFIG" and "$LABPIPE_OUTDIR": the environment of every job (set here, so
# also in a cluster job's Snakemake, which reads this file again with the same
# --config). Not params: Snakemake reruns a job whose params change, and another
# config file name, output folder or installation path must not rerun every step
# (the params' config hashes do that when the config's content changes).
os.environ.update(labpipe_environment(Path(config["labpipe_config"]), OUTDIR))
# Shell rules write `<output>.partial` and finish with `labpipe step finish`: checked,
# then moved into place (labpipe.core.atomic.finish_outputs), so a cut-short tool
# leaves nothing finished-looking. `--tools` records the versions of the tools the
# step ran, as its own environment has them (labpipe.core.tools.record_tool_versions).
REF = str(LP.reference.fasta)
FAI = f"{REF}.fai"
GFF3 = str(LP.annotation.gff3) if LP.annotation.gff3 else None
TARGETS = str(LP.targets) if LP.targets else None
ENVS = envs_dir()
THREADS = LP.threads
# The aligner (alignment.aligner), its index beside the FASTA, its command and log folder.
ALIGNER = LP.alignment.aligner
ALIGNER_INDEX = [str(p) for p in index_files(Path(REF), ALIGNER)[f"{ALIGNER} index"]]
ALIGNER_COMMAND = aligner_command(ALIGNER)
ALIGNER_LOG = "bwa_mem" if ALIGNER == "bwa" else ALIGNER
# The tools the align rule runs, whose versions it records.
ALIGN_TOOLS = f"fastp,{ALIGNER},samtools"
CALLING = LP.calling
# Rules that read the config take the hash of only the sections they depend on as a
# param (Snakemake reruns a job when its params change), so that a report setting
# does not re-call variants; reports show the whole config's hash, so they take it.
STAGE_SHA = {stage: stage_config_sha256(LP, stage) for stage in STAGE_SECTIONS}
CONFIG_SHA = config_sha256(LP)
# The reports' and workbooks' language (`--lang` reaches here as LABPIPE_LANG): a param, so
# that asking for another language rewrites them.
LANGUAGE = choose_language(LP.report.language)
SECOND_OPINION = CALLING.second_opinion
# The caller's command and the tools it runs (its shape follows calling.caller).
CALLER_COMMAND = caller_command(CALLING.caller, SECOND_OPINION)
CALLER_TOOLS = "bcftools" if CALLING.caller == "bcftools" else "freebayes,bcftools"
SECOND_OPINION_COMMAND = second_opinion_command()
CHUNKS = calling_chunks(LP)

# Names may contain '.', so wildcards match only the sheet's own names.
wildcard_constraints:
    sample=name_pattern(SAMPLES),
    unit=name_pattern([u.unit for u in UNITS.values()]),
    chunk=r"\d+",
    family=name_pattern(list(FAMILIES) or ["no-family"]),


def unit_of(wildcards):
    return UNITS[(wildcards.sample, wildcards.unit)]


def units_of_sample(sample):
    return [u for u in UNITS.values() if u.sample == sample]


def final_outputs():
    return layout.final_outputs(SAMPLES, annotate=GFF3 is not None, families=tuple(FAMILIES))


def clinical_outputs():
    """Reports and workbooks; the manifest waits for them, so `rule all` builds them."""
    # LABELLED_FAMILIES: families with an affected trio child (annotate.smk) have a page.
    return layout.clinical_outputs(
        SAMPLES, reports=LP.report.enabled, families=LABELLED_FAMILIES
    )


def sample_fastqs(sample):
    """The FASTQs of a sample: what sizes its cluster jobs (labpipe.run.cluster)."""
    return [fq for u in units_of_sample(sample) for fq in (u.fq1, u.fq2)]


def family_fastqs(family):
    """The FASTQs of a family's members: what sizes its joint calling jobs."""
    return [fq for sample in FAMILIES[family] for fq in sample_fastqs(sample)]


def family_files(template):
    """An input function: ``template`` (with ``{sample}``) for each member of the family."""
    return lambda wc: [layout.path(template, sample=s) for s in FAMILIES[wc.family]]


def unit_fastqs(wildcards):
    u = unit_of(wildcards)
    return [u.fq1, u.fq2]


def member_subset(sample):
    """The stage keeping a family member's own column of its family's calls (none for a
    singleton: its calls are its own)."""
    return sample_columns_stage([sample] if sample in FAMILY_OF else [])
