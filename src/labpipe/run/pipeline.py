"""Checking a lab's inputs and running the workflow on them."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from labpipe.config.lab import LabConfig
from labpipe.config.pedigree import Pedigree
from labpipe.config.pedigree_reader import load_pedigree
from labpipe.config.samplesheet import Unit, load_sample_sheet, platform_warnings, samples_of
from labpipe.config.settings import load_config
from labpipe.core.errors import InputFormatError, LabpipeError
from labpipe.core.i18n import _, choose_language, padded, set_language

if TYPE_CHECKING:
    from labpipe.run.progress import RunOutcome

Echo = Callable[[str], None]


@dataclass(frozen=True)
class CheckedInputs:
    """A config and sample sheet that passed validation."""

    config: LabConfig
    units: list[Unit]
    warnings: list[str]
    #: The families (labpipe.config.pedigree); empty when every sample is a singleton.
    pedigree: Pedigree = field(default_factory=Pedigree)

    @property
    def samples(self) -> list[str]:
        """Sample names in sheet order."""
        return samples_of(self.units)


def validate_inputs(config_path: Path, outdir: Path | None = None) -> CheckedInputs:
    """Validate the config, the sample sheet and the input files, all before any tool runs.

    Raises:
        LabpipeError: A subclass naming every problem found.
    """
    from labpipe.annotation.annotation_inputs import annotation_file_problems
    from labpipe.inputs.checks.all_inputs import check_inputs
    from labpipe.inputs.disk import output_folder_problems
    from labpipe.inputs.reference import index_problems, index_state

    config = load_config(config_path, output_dir=outdir)
    # From here on, messages are in the lab's language (--lang, report.language, LANG).
    set_language(choose_language(config.report.language))
    units = load_sample_sheet(config.samples, config.platform)
    pedigree = load_pedigree(units, config.samples, config.pedigree)
    fasta = config.reference.fasta
    aligner = config.alignment.aligner
    problems = index_problems(fasta, aligner)
    indexes = index_state(fasta, aligner)
    problems += indexes.problems
    warnings = indexes.warnings + platform_warnings(units) + _alt_warnings(fasta)
    problems += annotation_file_problems(config, samples_of(units), warnings)
    # FASTQ heads and tails, reference, targets and GFF3 contigs: every problem at once.
    problems += check_inputs(units, fasta, targets=config.targets, gff3=config.annotation.gff3)
    # A read-only or forbidden output folder is found now, not by the first step.
    problems += output_folder_problems(config.output_dir)
    if problems:
        raise InputFormatError(
            _("%(config)s: inputs cannot be used") % {"config": config_path}, problems
        )
    warnings += _interpretation_warnings(config)
    warnings += _sex_warnings(config, units) + _install_warnings()
    return CheckedInputs(config, units, warnings, pedigree)


def _install_warnings() -> list[str]:
    """Said before a run: Python packages other than the locked, validated set.

    The manifest records the comparison too, but a lab reads the terminal and the
    report, so an install that drifted from the lock must not pass unseen.
    """
    from labpipe.core.errors import LabpipeError
    from labpipe.provenance.lockcheck import check_environment

    try:
        compared = check_environment()
    except LabpipeError as exc:
        return [f"Python packages not checked against the lock: {exc.render()}"]
    if compared.matches:
        return []
    found = [d.describe() for d in compared.differences]
    if not compared.python_matches:
        found.insert(0, compared.python_problem())
    shown = "; ".join(found[:3]) + (f"; and {len(found) - 3} more" if len(found) > 3 else "")
    return [
        f"this install differs from {compared.lock.path.name} ({shown}): results do not come "
        "from the validated set of packages; `labpipe doctor` lists every difference and "
        "`make setup` installs the locked set"
    ]


def _alt_warnings(fasta: Path) -> list[str]:
    """ALT contigs in the reference (:func:`labpipe.inputs.reference_needs.alt_contig_warning`)."""
    from labpipe.inputs.checks.fasta import reference_contigs
    from labpipe.inputs.reference_needs import alt_contig_warning

    try:
        contigs = list(reference_contigs(fasta))
    except LabpipeError:
        return []  # an unreadable reference is check_inputs' to report
    warning = alt_contig_warning(fasta, contigs)
    return [warning] if warning else []


def _interpretation_warnings(config: LabConfig) -> list[str]:
    """Said before a run, not first in its reports: sources whose absence leaves every
    report NOT INTERPRETED."""
    from labpipe.annotation.annotate import AnnotationSettings
    from labpipe.report.contents import missing_sources

    missing = missing_sources(AnnotationSettings.from_config(config))
    if not missing:
        return []
    # The names come in the current language from report.contents.missing_sources.
    named = ", ".join(f"{m.name} ({m.key})" for m in missing)
    warning = _(
        "no %(sources)s source: every report will say NOT INTERPRETED and give no tier counts"
        " (a run without them cannot rule a finding in or out); docs/offline-annotation.md"
        " says how to build them offline"
    )
    return [warning % {"sources": named}]


def _sex_warnings(config: LabConfig, units: list[Unit]) -> list[str]:
    """chrX ploidy the sheet and config imply (:mod:`labpipe.qc.sex_chromosomes`)."""
    from labpipe.core.regions import read_bed
    from labpipe.inputs.checks.fasta import reference_contigs
    from labpipe.qc.sex_chromosomes import ploidy_warnings

    reference = config.reference
    return ploidy_warnings(
        reference_contigs(reference.fasta),
        reference.build,
        reference.par_regions,
        {u.sample: u.sex for u in units},
        read_bed(config.targets) if config.targets else None,
    )


def run_pipeline(
    config_path: Path,
    outdir: Path | None,
    cores: int,
    dry_run: bool,
    use_conda: bool,
    echo: Echo,
    space_check: bool = True,
    executor: str = "local",
    profile: Path | None = None,
) -> Path:
    """Validate, then run the workflow; print where each sample's results are.

    Args:
        space_check: Refuse to start when the output file system has less free space
            than the run is estimated to need (:mod:`labpipe.inputs.disk`).
        executor: ``slurm`` runs the heavy steps as SLURM jobs (:mod:`labpipe.run.cluster`).
        profile: A Snakemake profile to run the steps as it says.

    Returns:
        The output directory.

    Raises:
        LabpipeError: Validation problems, missing tools, too little space, or a failed step.
    """
    from labpipe.core.tools import require_tools
    from labpipe.inputs.disk import estimate_space, require_space
    from labpipe.provenance.no_result import clear_no_result
    from labpipe.run.cluster import executor_arguments
    from labpipe.run.failures import failure_message
    from labpipe.run.runner import run_workflow

    checked = validate_inputs(config_path, outdir)
    if not use_conda:
        calling = checked.config.calling
        require_tools(calling.caller, calling.second_opinion, checked.config.alignment.aligner)
    target = checked.config.output_dir
    executor_args = executor_arguments(executor, profile, checked.config.cluster)
    if executor_args:
        # Snakemake caps every job's threads at --cores, a cluster job's too: the login
        # node's few cores must not shrink what the jobs ask for.
        cores = max(cores, checked.config.threads)
    for warning in checked.warnings:
        echo(f"labpipe: warning: {warning}")
    echo(
        "labpipe: "
        + _("%(count)s sample(s) (%(samples)s), %(cores)s core(s), output in %(outdir)s")
        % {
            "count": len(checked.samples),
            "samples": ", ".join(checked.samples),
            "cores": cores,
            "outdir": target,
        }
        + (
            _(", steps run by %(executor)s")
            % {"executor": f"profile {profile}" if profile else executor}
            if executor_args
            else ""
        )
    )
    if space_check and not dry_run:
        estimate = estimate_space(checked.units, target, cores, checked.config.threads)
        require_space(estimate, target)
    if not dry_run:
        clear_no_result(target)
    outcome = run_workflow(config_path, target, cores, dry_run, use_conda, echo, executor_args)
    if outcome.returncode != 0:
        failure: LabpipeError = failure_message(outcome, target)
        if not dry_run:
            again = functools.partial(
                run_workflow, config_path, target, cores, False, use_conda, echo, executor_args
            )
            failure = _finish_without_failed(
                outcome,
                target,
                checked.samples,
                failure,
                again,
                echo,
                checked.pedigree.joint_families(checked.samples),
            )
            _echo_run_summary(target, checked.samples, echo)
        raise failure
    if not dry_run:
        echo("")
        echo(results_overview(target, checked.samples))
        _echo_run_summary(target, checked.samples, echo)
    return target


def _finish_without_failed(
    outcome: RunOutcome,
    outdir: Path,
    samples: list[str],
    failure: LabpipeError,
    run_again: Callable[[], RunOutcome],
    echo: Echo,
    families: Mapping[str, tuple[str, ...]] | None = None,
) -> LabpipeError:
    """After samples failed: build the others' reports, QC and index without them.

    Returns:
        The error to raise: the first run's, naming each sample without a result.
    """
    from labpipe.provenance.no_result import record_no_result

    reasons = failed_samples(outcome, families)
    if not reasons or not set(reasons) < set(samples):
        return failure  # nothing per sample failed, or nothing is left to report
    record_no_result(outdir, reasons)
    echo(
        "labpipe: "
        + _(
            "%(count)s sample(s) have no result (%(samples)s); finishing the run-level outputs"
            " (QC table, MultiQC, reports, index, manifest) for the others"
        )
        % {"count": len(reasons), "samples": ", ".join(reasons)}
    )
    second = run_again()
    failure.problems.extend(f"{sample}: NO RESULT: {why}" for sample, why in reasons.items())
    if second.returncode == 0:
        failure.problems.append(
            f"the other samples' reports, QC and index are complete; the index marks"
            f" {', '.join(reasons)} as NO RESULT"
        )
    else:
        failure.problems.append(f"finishing the other samples failed too; see {second.log_path}")
    return failure


def failed_samples(
    outcome: RunOutcome, families: Mapping[str, tuple[str, ...]] | None = None
) -> dict[str, str]:
    """Samples whose own steps failed, each with the first failed step and its log.

    A failed step of a family called jointly (``families``: family -> members) fails
    every member of it.
    """
    reasons: dict[str, str] = {}
    for job in outcome.failed:
        family = job.wildcards.get("family")
        sample = job.wildcards.get("sample")
        members = (families or {}).get(family, ()) if family else ()
        for name in [sample] if sample else members:
            if name not in reasons:
                logs = " and ".join(job.logs) or str(outcome.log_path)
                reasons[name] = f"step '{job.rule}' failed, see {logs}"
    return reasons


def _echo_run_summary(outdir: Path, samples: list[str], echo: Echo) -> None:
    """Each sample's verdict and result, last, where the user looks."""
    from labpipe.run.run_summary import run_summary

    echo("")
    echo(run_summary(outdir, samples))


def results_overview(outdir: Path, samples: list[str]) -> str:
    """Where each sample's results are, for the end of a run."""
    from labpipe.core import layout

    lines = [_("Results:")]
    for sample in samples:
        lines.append(f"  {sample}:")
        for label, template in (
            (_("variants"), layout.VARIANTS_TSV),
            ("VCF", layout.VCF),
            ("BAM", layout.BAM),
        ):
            path = layout.in_outdir(outdir, template, sample=sample)
            lines.append(f"    {padded(label, 9, left=True)} {path}")
    report_index = outdir / layout.REPORT_INDEX
    if report_index.exists():
        reports, one_page = _("reports"), _("(one page per sample)")
        lines.append(f"  {padded(reports, 10, left=True)} {report_index}  {one_page}")
    for label, template in (
        (_("QC report"), layout.MULTIQC_HTML),
        (_("QC table"), layout.QC_SUMMARY),
        (_("manifest"), layout.MANIFEST),
    ):
        lines.append(f"  {padded(label, 10, left=True)} {outdir / template}")
    return "\n".join(lines)


__all__ = ["CheckedInputs", "LabpipeError", "results_overview", "run_pipeline", "validate_inputs"]
