# Load and validate the lab config and sample sheet before any job is planned.
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
from labpipe.inputs.checks.fasta import reference_contigs
from labpipe.provenance.manifest import content_sha256
from labpipe.provenance.no_result import analysable, read_no_result
from labpipe.core.regions import calling_chunk_count
from labpipe.core.resources import envs_dir
from labpipe.config.samplesheet import load_sample_sheet, samples_of
from labpipe.inputs.reference import index_files
from labpipe.run.workflow_support import (
    CARRIES_ALT_STAGE,
    aligner_command,
    fastp_plan,
    caller_command,
    filter_command,
    final_output_paths,
    labpipe_command,
    labpipe_step_command,
    name_pattern,
    second_opinion_command,
    second_opinion_filters,
    unit_table,
)

if "labpipe_config" not in config:
    raise ValueError("run this workflow through `labpipe run CONFIG` (it passes labpipe_config)")

# The typed config (labpipe.config.lab): loaded once, every path resolved.
LP = load_config(
    Path(config["labpipe_config"]),
    output_dir=Path(config["labpipe_outdir"]) if config.get("labpipe_outdir") else None,
)
SHEET_UNITS = load_sample_sheet(LP.samples, LP.platform)
# Samples that failed earlier in this `labpipe run` are left out (see labpipe.provenance.no_result):
# the run-level outputs are built from the others, the index shows these as NO RESULT.
NO_RESULT = read_no_result()
UNITS = unit_table(analysable(SHEET_UNITS))
SAMPLES = samples_of(list(UNITS.values()))
SHEET_SAMPLES = samples_of(SHEET_UNITS)
# The sample sheet's sex of each sample (labpipe.qc.sex): it sets the ploidy of chrX/chrY.
SEX = {u.sample: u.sex for u in UNITS.values()}
PAR_FILE = str(LP.reference.par_regions) if LP.reference.par_regions else None
# Quoted once here: user paths may hold spaces and must reach the shell intact.
CONFIG_FILE = shlex.quote(str(Path(config["labpipe_config"]).resolve()))
OUTDIR = shlex.quote(str(LP.output_dir))
# Python steps run as `labpipe step …` commands, not `run:` blocks (see labpipe.run.steps).
STEP = labpipe_step_command()
LABPIPE = labpipe_command()
# Shell commands name LABPIPE, STEP, CONFIG_FILE and OUTDIR as {placeholders}, not as joined
# text: Snakemake's "code changed" rerun trigger compares a rule's shell command
# before placeholders are filled in, so another config file name, output folder or
# installation path does not rerun every step (the params' config hashes do that).
# Shell rules write `<output>.partial` and finish with this: checked, then moved into
# place (labpipe.core.atomic.finish_outputs), so a cut-short tool leaves nothing finished-looking.
FINISH = "{STEP} finish"
REF = str(LP.reference.fasta)
GFF3 = str(LP.annotation.gff3) if LP.annotation.gff3 else None
TARGETS = str(LP.targets) if LP.targets else None
ENVS = envs_dir()
THREADS = LP.threads
# The aligner (alignment.aligner), its index beside the FASTA, its command and log folder.
ALIGNER = LP.alignment.aligner
ALIGNER_INDEX = [str(p) for p in index_files(Path(REF), ALIGNER)[f"{ALIGNER} index"]]
ALIGNER_COMMAND = aligner_command(ALIGNER)
ALIGNER_LOG = "bwa_mem" if ALIGNER == "bwa" else ALIGNER
CALLING = LP.calling
# Rules that read the config take the hash of only the sections they depend on as a
# param (Snakemake reruns a job when its params change), so that a report setting
# does not re-call variants; reports show the whole config's hash, so they take it.
STAGE_SHA = {stage: stage_config_sha256(LP, stage) for stage in STAGE_SECTIONS}
CONFIG_SHA = config_sha256(LP)
SECOND_OPINION = CALLING.second_opinion
CHUNKS = calling_chunk_count(
    LP.targets,
    {} if LP.targets else reference_contigs(LP.reference.fasta),
    CALLING.target_padding,
    CALLING.scatter,
)

# Names may contain '.', so wildcards match only the sheet's own names.
wildcard_constraints:
    sample=name_pattern(SAMPLES),
    unit=name_pattern([u.unit for u in UNITS.values()]),
    chunk=r"\d+",


def unit_of(wildcards):
    return UNITS[(wildcards.sample, wildcards.unit)]


def units_of_sample(sample):
    return [u for u in UNITS.values() if u.sample == sample]


def final_outputs():
    return final_output_paths(SAMPLES, annotate=GFF3 is not None)


def sample_fastqs(sample):
    """The FASTQs of a sample: what sizes its cluster jobs (labpipe.run.cluster)."""
    return [fq for u in units_of_sample(sample) for fq in (u.fq1, u.fq2)]


def unit_fastqs(wildcards):
    u = unit_of(wildcards)
    return [u.fq1, u.fq2]
