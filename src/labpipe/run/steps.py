"""``labpipe step …``: the workflow's own Python steps, one command each.

The rules call these from ``shell:`` rather than Snakemake ``run:`` blocks: a
``run:`` job makes Snakemake start again and re-read the whole workflow (seconds
per job), while a command only imports what it uses. Each command is thin: it
reads the lab config when it needs it and calls one function of the package.
Errors come out as ``labpipe: error: …`` on stderr, which the rule sends to its
log, where ``labpipe run`` points the user. The family and identity steps are in
:mod:`labpipe.run.family_steps`, on the same group. Over 400 lines: the rest of the catalogue
reads best in one place, and each command is a few lines that call into the package.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:  # imported where used: a step loads only what it needs
    from labpipe.annotation.annotate import AnnotationSettings
    from labpipe.config.lab import LabConfig
    from labpipe.qc.sex import SexChromosomes

_FILE = click.Path(path_type=Path)


def _lab_config(config: Path, outdir: Path | None) -> LabConfig:
    from labpipe.config.settings import load_config

    return load_config(config, output_dir=outdir)


def _annotation(lab: LabConfig) -> AnnotationSettings:
    from labpipe.annotation.annotate import AnnotationSettings

    return AnnotationSettings.from_config(lab)


@click.group(hidden=True)
def step() -> None:
    """Steps the workflow runs (not for direct use)."""


@step.command()
@click.option("--fai", required=True, type=_FILE)
@click.option("--targets", type=_FILE, default=None)
@click.option("--padding", required=True, type=int)
@click.option("--targets-out", required=True, type=_FILE)
@click.option("--calling-out", required=True, type=_FILE)
@click.option("--chunks", required=True, type=int)
@click.option("--chunks-dir", required=True, type=_FILE)
def regions(
    fai: Path,
    targets: Path | None,
    padding: int,
    targets_out: Path,
    calling_out: Path,
    chunks: int,
    chunks_dir: Path,
) -> None:
    """Checked targets, padded calling regions, and those cut into calling chunks."""
    from labpipe.core.regions import prepare_regions, write_calling_chunks

    prepare_regions(fai, targets, padding, targets_out, calling_out)
    write_calling_chunks(calling_out, chunks, chunks_dir)


@step.command("vcf-header")
@click.option("--config", required=True, type=_FILE)
@click.option("--out", required=True, type=_FILE)
def vcf_header(config: Path, out: Path) -> None:
    """The ``##labpipe…`` header lines of every VCF the run writes."""
    from labpipe.core.atomic import write_text_atomic
    from labpipe.run.workflow_support import labpipe_header_lines

    write_text_atomic(out, labpipe_header_lines(_lab_config(config, None)))


@step.command("annotation-sources")
@click.option("--config", required=True, type=_FILE)
@click.option("--out", required=True, type=_FILE)
def annotation_sources(config: Path, out: Path) -> None:
    """Open every annotation source once and describe it for the reports."""
    from labpipe.annotation.annotation_inputs import check_annotation_inputs
    from labpipe.config.samplesheet import load_sample_sheet, samples_of

    lab = _lab_config(config, None)
    units = load_sample_sheet(lab.samples, lab.platform)
    check_annotation_inputs(
        _annotation(lab),
        lab.reference.fasta,
        samples_of(units),
        out,
        lab.reference.build,
    )


@step.command("roh-af")
@click.option("--config", required=True, type=_FILE)
@click.option("--vcf", required=True, type=_FILE)
@click.option("--out", required=True, type=_FILE)
def roh_af(config: Path, vcf: Path, out: Path) -> None:
    """Population allele frequencies at a sample's sites, for bcftools roh."""
    from labpipe.annotation.roh import write_roh_af_file

    lab = _lab_config(config, None)
    write_roh_af_file(vcf, lab.reference.fasta, _annotation(lab).population, out)


@step.command()
@click.option("--config", required=True, type=_FILE)
@click.option("--sample", required=True)
@click.option("--vcf", required=True, type=_FILE)
@click.option("--roh", type=_FILE, default=None)
@click.option("--inheritance", "inheritance_table", type=_FILE, default=None)
@click.option("--out-vcf", required=True, type=_FILE)
@click.option("--out-tsv", required=True, type=_FILE)
@click.option("--out-xlsx", required=True, type=_FILE)
def annotate(
    config: Path,
    sample: str,
    vcf: Path,
    roh: Path | None,
    inheritance_table: Path | None,
    out_vcf: Path,
    out_tsv: Path,
    out_xlsx: Path,
) -> None:
    """ClinVar, population AFs, panels, tiers, ROH flags and inheritance for one sample
    (--inheritance: its family's table, for an affected child with both parents sequenced)."""
    from labpipe.annotation.annotate import annotate_sample
    from labpipe.annotation.inheritance import read_inheritance_table
    from labpipe.core.i18n import choose_language, set_language

    lab = _lab_config(config, None)
    set_language(choose_language(lab.report.language))  # the workbook's sheets and headers
    family = (
        [c for c in read_inheritance_table(inheritance_table) if c.sample == sample]
        if inheritance_table is not None
        else None
    )
    summary = annotate_sample(
        vcf,
        sample,
        lab.reference.fasta,
        _annotation(lab),
        out_vcf,
        out_tsv,
        out_xlsx,
        roh_output=roh,
        inheritance=family,
    )
    click.echo("\n".join(summary.lines()))


@step.command("qc-summary")
@click.option("--config", required=True, type=_FILE)
@click.option("--outdir", required=True, type=_FILE)
@click.option("--out", required=True, type=_FILE)
@click.option("--ledger-mqc", type=_FILE, default=None)
def qc_summary(config: Path, outdir: Path, out: Path, ledger_mqc: Path | None) -> None:
    """Every sample's QC figures in one table."""
    from labpipe.config.samplesheet import load_sample_sheet
    from labpipe.provenance.no_result import analysable
    from labpipe.run.workflow_support import write_qc_summary

    lab = _lab_config(config, None)
    units = analysable(load_sample_sheet(lab.samples, lab.platform))
    write_qc_summary(units, outdir, out, ledger_mqc)


@step.command("multiqc-general-stats")
@click.option("--config", required=True, type=_FILE)
@click.option("--qc", required=True, type=_FILE)
@click.option("--identity", type=_FILE, default=None, help="The batch's identity.json.")
@click.option("--out", required=True, type=_FILE)
@click.argument("variants", nargs=-1, type=_FILE)
def multiqc_general_stats(
    config: Path, qc: Path, identity: Path | None, out: Path, variants: tuple[Path, ...]
) -> None:
    """labpipe's General Statistics columns for MultiQC (VARIANTS: <sample>.tsv tables)."""
    from labpipe.report.multiqc_table import write_general_stats

    lab = _lab_config(config, None)
    by_sample = {path.name.removesuffix(".tsv"): path for path in variants}
    write_general_stats(qc, by_sample, lab.qc, out, identity)


@step.command("sample-report")
@click.option("--config", required=True, type=_FILE)
@click.option("--outdir", required=True, type=_FILE)
@click.option("--sample", required=True)
@click.option("--qc", required=True, type=_FILE)
@click.option("--variants", required=True, type=_FILE)
@click.option("--mosdepth-prefix", required=True, type=_FILE)
@click.option("--sources", required=True, type=_FILE)
@click.option("--roh", type=_FILE, default=None)
@click.option("--identity", type=_FILE, default=None, help="The batch's identity.json.")
@click.option("--fai", required=True, type=_FILE)
@click.option("--family", default=None, help="The family of an affected trio child.")
@click.option("--joint-family", default=None, help="The family the sample was called with.")
@click.option(
    "--member", "members", multiple=True, type=_FILE, help="That family's <sample>.tsv (repeat)."
)
@click.option("--out-html", required=True, type=_FILE)
@click.option("--out-summary", required=True, type=_FILE)
def sample_report(
    config: Path,
    outdir: Path,
    sample: str,
    qc: Path,
    variants: Path,
    mosdepth_prefix: Path,
    sources: Path,
    roh: Path | None,
    identity: Path | None,
    fai: Path,
    family: str | None,
    joint_family: str | None,
    members: tuple[Path, ...],
    out_html: Path,
    out_summary: Path,
) -> None:
    """One sample's self-contained HTML report."""
    from labpipe.report.contents import ReportInputs
    from labpipe.report.html import write_sample_report

    lab = _lab_config(config, outdir)
    family_qc = None
    if joint_family:
        from labpipe.config.pedigree_reader import batch_pedigree
        from labpipe.report.family_trust import read_family_qc

        pedigree = batch_pedigree(lab)
        family_qc = read_family_qc(pedigree, joint_family, qc, identity, members, lab.qc)
    inputs = ReportInputs(
        sample=sample,
        qc_table=qc,
        variants_tsv=variants,
        mosdepth_prefix=mosdepth_prefix,
        sources_json=sources,
        roh_output=roh,
        reference_fai=fai,
        sample_sheet=lab.samples,
        family=family,
        identity_json=identity,
        family_qc=family_qc,
    )
    write_sample_report(lab, _annotation(lab), inputs, out_html, out_summary)


@step.command("report-index")
@click.option("--config", required=True, type=_FILE)
@click.option("--outdir", required=True, type=_FILE)
@click.option("--multiqc-link", required=True)
@click.option("--family", "families", multiple=True, help="A family with a family page.")
@click.option("--out", required=True, type=_FILE)
@click.argument("summaries", nargs=-1, type=_FILE)
def report_index(
    config: Path,
    outdir: Path,
    multiqc_link: str,
    families: tuple[str, ...],
    out: Path,
    summaries: tuple[Path, ...],
) -> None:
    """The run's index.html linking every sample report, family page and the MultiQC report."""
    from labpipe.report.run_index import write_run_index

    lab = _lab_config(config, outdir)
    write_run_index(lab, list(summaries), multiqc_link, out, families)


@step.command("input-checksums")
@click.option("--config", required=True, type=_FILE)
@click.option("--outdir", required=True, type=_FILE)
@click.option("--out", required=True, type=_FILE)
def input_checksums(config: Path, outdir: Path, out: Path) -> None:
    """Hash every input file early, so the manifest at the end only looks them up."""
    import json

    from labpipe.config.samplesheet import load_sample_sheet
    from labpipe.core.atomic import write_text_atomic
    from labpipe.provenance.manifest import input_checksums as checksums
    from labpipe.provenance.no_result import analysable

    lab = _lab_config(config, outdir)
    units = analysable(load_sample_sheet(lab.samples, lab.platform))
    write_text_atomic(out, json.dumps(checksums(config, lab, units, outdir), indent=2) + "\n")


@step.command()
@click.option("--config", required=True, type=_FILE)
@click.option("--outdir", required=True, type=_FILE)
@click.option("--out", required=True, type=_FILE)
def manifest(config: Path, outdir: Path, out: Path) -> None:
    """The run manifest: versions, parameters, checksums, times."""
    from labpipe.config.pedigree_reader import load_pedigree
    from labpipe.config.samplesheet import load_sample_sheet, samples_of
    from labpipe.provenance.manifest import write_manifest
    from labpipe.provenance.no_result import analysable

    lab = _lab_config(config, outdir)
    sheet = load_sample_sheet(lab.samples, lab.platform)
    units = analysable(sheet)
    families = load_pedigree(sheet, lab.samples, lab.pedigree).joint_families(samples_of(units))
    write_manifest(config, lab, units, outdir, out, families)


@step.command("indel-windows")
@click.option("--calling", required=True, type=_FILE)
@click.option("--out", required=True, type=_FILE)
@click.argument("candidates", nargs=-1, type=_FILE)
def indel_windows(calling: Path, out: Path, candidates: tuple[Path, ...]) -> None:
    """Where freebayes gives its second opinion: windows around indel candidates."""
    from labpipe.calling.indel_windows import write_windows

    write_windows(candidates, calling, out)


@step.command("second-opinion")
@click.option("--calls", required=True, help="bcftools' filtered calls, or - for stdin")
@click.option("--freebayes", required=True, type=_FILE)
@click.option("--out", default="-", show_default=True)
def second_opinion(calls: str, freebayes: Path, out: str) -> None:
    """Merge freebayes' indels in the windows into bcftools' calls."""
    from labpipe.calling.second_opinion import apply_second_opinion, main_report

    main_report(apply_second_opinion(calls, freebayes, out))


def _sex_chromosomes(lab: LabConfig, fai: Path) -> SexChromosomes:
    from labpipe.core.regions import read_fai
    from labpipe.qc.sex_chromosomes import sex_chromosomes

    return sex_chromosomes(read_fai(fai), lab.reference.build, lab.reference.par_regions)


# The sheet's sex of the sample comes from the workflow (which read the sheet once), not
# from the sheet again: each sample's step re-reading the whole sheet (and every FASTQ's
# first read name) made a batch's cost grow with the square of its samples.
# labpipe.config.samplesheet's MALE, FEMALE and UNKNOWN, written out: importing that module
# here would slow the start of every step (`finish` ends each rule).
_SEX = click.Choice(["male", "female", "unknown"])


@step.command()
@click.option("--config", required=True, type=_FILE)
@click.option("--fai", required=True, type=_FILE)
@click.option("--sample", required=True)
@click.option("--sex", required=True, type=_SEX, help="The sample sheet's sex of the sample.")
@click.option("--ploidy-out", required=True, type=_FILE)
@click.option("--samples-out", required=True, type=_FILE)
@click.option("--cnv-map-out", required=True, type=_FILE)
def ploidy(
    config: Path,
    fai: Path,
    sample: str,
    sex: str,
    ploidy_out: Path,
    samples_out: Path,
    cnv_map_out: Path,
) -> None:
    """One sample's ploidy files for bcftools and freebayes (haploid chrX/chrY in a male)."""
    from labpipe.qc.sex_chromosomes import write_ploidy_files

    lab = _lab_config(config, None)
    write_ploidy_files(
        sample,
        sex,
        _sex_chromosomes(lab, fai),
        ploidy_out,
        samples_out,
        cnv_map_out,
    )


@step.command("sex-check")
@click.option("--config", required=True, type=_FILE)
@click.option("--fai", required=True, type=_FILE)
@click.option("--sample", required=True)
@click.option("--sex", required=True, type=_SEX, help="The sample sheet's sex of the sample.")
@click.option("--regions", required=True, type=_FILE)
@click.option("--depth-summary", required=True, type=_FILE)
@click.option("--vcf", required=True, type=_FILE)
@click.option("--out", required=True, type=_FILE)
def sex_check(
    config: Path,
    fai: Path,
    sample: str,
    sex: str,
    regions: Path,
    depth_summary: Path,
    vcf: Path,
    out: Path,
) -> None:
    """Infer a sample's sex from depth and chrX heterozygosity; compare with the sheet."""
    from labpipe.qc.sex import check_sex, write_sex_check

    lab = _lab_config(config, None)
    check = check_sex(
        sample,
        sex,
        _sex_chromosomes(lab, fai),
        regions,
        depth_summary,
        vcf,
    )
    write_sex_check(check, out)
    click.echo(f"{sample}: sheet {check.sex_declared}, data {check.sex_inferred}: {check.note}")


@step.command("sex-regions")
@click.option("--config", required=True, type=_FILE)
@click.option("--fai", required=True, type=_FILE)
@click.option("--targets", required=True, type=_FILE)
@click.option("--out", required=True, type=_FILE)
def sex_regions(config: Path, fai: Path, targets: Path, out: Path) -> None:
    """Autosomal targets and chrX/chrY targets outside the PARs, for the sex depths."""
    from labpipe.core.regions import read_bed, write_bed
    from labpipe.qc.sex import sex_depth_regions

    chromosomes = _sex_chromosomes(_lab_config(config, None), fai)
    write_bed(sex_depth_regions(read_bed(targets), chromosomes), out)


@step.command("check-pairs")
@click.option("--sample", required=True)
@click.option("--unit", required=True)
@click.option("--fq1", required=True, type=_FILE)
@click.option("--fq2", required=True, type=_FILE)
@click.option("--out", required=True, type=_FILE)
@click.option(
    "--interleave",
    is_flag=True,
    help="Also write the pairs to standard output, interleaved, as they are checked.",
)
@click.option(
    "--trim",
    "trim_command",
    default=None,
    help="A fastp command reading interleaved pairs on standard input: the pairs go through"
    " it, in parts of bounded memory (labpipe.qc.fastp_parts), to standard output.",
)
@click.option("--trim-json", type=_FILE, default=None, help="fastp's --json report.")
@click.option("--trim-html", type=_FILE, default=None, help="fastp's --html report.")
@click.option("--trim-log", type=_FILE, default=None, help="fastp's messages, appended.")
def check_pairs(
    sample: str,
    unit: str,
    fq1: Path,
    fq2: Path,
    out: Path,
    interleave: bool,
    trim_command: str | None,
    trim_json: Path | None,
    trim_html: Path | None,
    trim_log: Path | None,
) -> None:
    """R1 and R2 hold the same reads in the same order: count the pairs."""
    from labpipe.core.errors import RunError
    from labpipe.qc.fastp_parts import FastpInParts
    from labpipe.qc.read_pairs import count_pairs, write_pair_count

    trimmer = None
    if trim_command is not None:
        if trim_json is None or trim_html is None or trim_log is None:
            raise click.UsageError("--trim needs --trim-json, --trim-html and --trim-log")
        trimmer = FastpInParts(trim_command, trim_json, trim_html, trim_log)
    stdout = trimmer or (sys.stdout.buffer if interleave else None)
    try:
        try:
            count = count_pairs(sample, unit, fq1, fq2, interleave_to=stdout)
        except BaseException:
            if trimmer is not None:
                trimmer.abort()
            raise
        if trimmer is not None:
            trimmer.close()
        elif stdout is not None:
            stdout.flush()
    except BrokenPipeError:
        # The reader (fastp) stopped first; its own message says why. Standard output
        # goes nowhere from here, so that Python's exit does not complain about it again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
        raise RunError(f"sample {sample} unit {unit}: the reads' reader stopped early") from None
    write_pair_count(count, out)
    click.echo(f"sample {sample} unit {unit}: {count.pairs:,} read pairs, names agree", err=True)


@step.command()
@click.option(
    "--prefix",
    nargs=2,
    default=None,
    help="TEMPORARY FINAL: move every file named from TEMPORARY to the FINAL prefix.",
)
@click.option("--empty-ok", is_flag=True, help="Accept an empty placeholder as a BGZF output.")
@click.option("--rule", default=None, help="The rule that ran, whose --tools are recorded.")
@click.option("--tools", default="", help="TOOL,TOOL…: the tools the rule ran.")
@click.argument("outputs", nargs=-1, required=True, type=_FILE)
def finish(
    prefix: tuple[str, str] | None,
    empty_ok: bool,
    rule: str | None,
    tools: str,
    outputs: tuple[Path, ...],
) -> None:
    """Move each OUTPUT.partial into place once all are complete (BGZF: with their EOF block).

    With ``--rule`` and ``--tools``, also record the tools' versions as this job's
    environment has them (the run manifest lists them).
    """
    from labpipe.core.atomic import finish_outputs

    finish_outputs(list(outputs), prefix or None, empty_ok)
    if rule and tools:
        _record_tools(rule, tools.split(","))


@step.command("tool-versions")
@click.option("--rule", required=True, help="The rule that ran the tools.")
@click.argument("tools", nargs=-1, required=True)
def tool_versions(rule: str, tools: tuple[str, ...]) -> None:
    """Record the versions of the TOOLS a rule ran, as its environment has them."""
    _record_tools(rule, list(tools))


def _record_tools(rule: str, tools: list[str]) -> None:
    # Jobs run in the output folder (Snakemake's --directory).
    from labpipe.core.tools import record_tool_versions

    try:
        record_tool_versions(Path.cwd(), rule, tools)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
