"""The annotation files checked before a run, and described for the reports.

``labpipe validate`` (:func:`annotation_file_problems`) and the run's first annotation step
(:func:`check_annotation_inputs`) share :func:`source_problems`: the reference's build and
every source VCF read through, all problems at once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from labpipe.annotation.annotate import AnnotationSettings
from labpipe.annotation.panels import load_panel
from labpipe.annotation.source_checks import check_source, source_checks
from labpipe.annotation.source_content import SourceReport
from labpipe.annotation.source_matcher import SourceMatcher
from labpipe.annotation.sources import describe_source
from labpipe.annotation.transcripts import load_transcripts
from labpipe.config.lab import LabConfig
from labpipe.core.atomic import write_text_atomic
from labpipe.core.errors import InputFormatError

# Files larger than this are identified by size and time rather than hashed:
# hashing a whole gnomAD release would take longer than the analysis.
HASH_LIMIT_BYTES = 4 * 1024**3


def _file_facts(path: Path) -> dict[str, Any]:
    from labpipe.core.checksums import sha256_file

    stat = path.stat()
    return {
        "path": str(path),
        "bytes": stat.st_size,
        "modified": datetime.fromtimestamp(stat.st_mtime, UTC).isoformat(timespec="seconds"),
        "sha256": sha256_file(path) if stat.st_size <= HASH_LIMIT_BYTES else None,
    }


def check_annotation_inputs(
    settings: AnnotationSettings,
    reference: Path,
    samples: Sequence[str],
    out_json: Path,
    build: str | None = None,
) -> dict[str, Any]:
    """Check every annotation source once per run and describe it for the reports.

    The same checks as ``labpipe validate`` (:func:`source_problems`: index,
    contigs, configured INFO fields, build, every record read), and each panel
    (genes the GFF3 lacks), so that a problem stops the run before any sample
    is annotated, with one message listing them all. The description (paths,
    sizes, sha256, file dates) becomes the report's provenance.

    Args:
        settings: The lab's annotation settings.
        reference: The reference FASTA.
        samples: The sample sheet's samples (panels may name some).
        out_json: ``results/annotation/sources.json``.
        build: ``reference.build`` from the config, or None.

    Returns:
        The description written.

    Raises:
        ConfigError, InputFormatError: A source or panel cannot be used.
    """
    from labpipe.annotation.panels import check_panels

    check_panels(settings.panels, samples)
    problems, reports = source_problems(settings, reference, build)
    if problems:
        raise InputFormatError("the annotation sources cannot be used", problems)
    description: dict[str, Any] = {"sources": [], "panels": []}
    matcher = SourceMatcher(reference, settings.clinvar, settings.population)
    try:
        names = ["clinvar"] * (settings.clinvar is not None) + [s.id for s in settings.population]
        for name, source, report in zip(names, matcher.sources(), reports, strict=True):
            entry = {
                "id": name,
                "role": source.role,
                **_file_facts(source.path),
                **describe_source(source),
                "records_read": report.records,
                "read_to_end": report.read_whole,
                "not_checked": report.notes,
                "ref_checked": report.ref_checked,
                "ref_agree": report.ref_agree,
            }
            population = next((s for s in settings.population if s.id == name), None)
            if population is not None:
                entry["name"] = population.name
                entry["fields"] = [c.label for c in population.af_columns]
            description["sources"].append(entry)
    finally:
        matcher.close()
    models = load_transcripts(settings.gff3) if settings.gff3 is not None else None
    if settings.gff3 is not None:
        description["gff3"] = _file_facts(settings.gff3)
    for spec in settings.panels:
        panel = load_panel(spec, models)
        description["panels"].append(
            {
                "name": panel.name,
                **_file_facts(panel.file),
                "genes": sorted(panel.genes),
                "unknown_genes": list(panel.unknown_genes),
                "samples": list(spec.samples),
            }
        )
    description["tiers"] = settings.tiers.describe()
    write_text_atomic(out_json, json.dumps(description, indent=2) + "\n")
    return description


def annotation_file_problems(
    lab: LabConfig,
    samples: Sequence[str] | None = None,
    warnings: list[str] | None = None,
) -> list[str]:
    """Every annotation problem ``labpipe run`` would meet, for ``labpipe validate``.

    The reference build against ``reference.build``, each source VCF read
    through (:func:`labpipe.annotation.source_checks.check_source`), the GFF3 and
    panel files present, panels readable and naming known samples. The GFF3's
    contigs and lengths are checked with the other inputs
    (:func:`labpipe.inputs.checks.gff3.check_gff3_contigs`).

    Args:
        lab: The lab's config.
        samples: The sample sheet's samples (panels may name some); None skips that check.
        warnings: Given, what could not be checked is added to it.

    Returns:
        One line per problem, naming the config key and the fix.
    """
    from labpipe.annotation.panels import panel_problems

    settings = AnnotationSettings.from_config(lab)
    problems, reports = source_problems(settings, lab.reference.fasta, lab.reference.build)
    if warnings is not None:
        warnings += [note for report in reports for note in report.notes]
    if settings.gff3 is not None and not settings.gff3.is_file():
        problems.append(f"'annotation.gff3': {settings.gff3} does not exist")
    if samples is not None:
        problems += panel_problems(settings.panels, samples)
    else:
        problems += [
            f"'annotation.panels[{index}]': panel file {spec.file} does not exist"
            for index, spec in enumerate(settings.panels)
            if not spec.file.is_file()
        ]
    for spec in settings.panels:
        if spec.file.is_file():
            try:
                load_panel(spec, None)
            except InputFormatError as exc:
                # A BED panel without gene names gets its genes from the GFF3 at run time.
                if settings.gff3 is None or "lists no gene" not in str(exc):
                    problems.append(str(exc))
    return problems


def source_problems(
    settings: AnnotationSettings, reference: Path, config_build: str | None
) -> tuple[list[str], list[SourceReport]]:
    """The reference's build and every source VCF checked; all problems at once.

    Args:
        settings: The lab's annotation settings.
        reference: The reference FASTA.
        config_build: ``reference.build`` from the config, or None.

    Returns:
        The problems, and one report per source (ClinVar first, then population sources).
    """
    from labpipe.core.genome_builds import build_label, build_of_lengths, describe_length
    from labpipe.inputs.checks.fasta import reference_contigs
    from labpipe.inputs.checks.files import compression_of

    checks = source_checks(settings.clinvar, settings.population)
    try:
        contigs = reference_contigs(reference)
    except InputFormatError:
        contigs = None  # the reference's own checks say why
    problems: list[str] = []
    told = build_of_lengths(contigs) if contigs else None
    stated = build_label(config_build)
    if told is not None and stated is not None and told[0] != stated:
        build, name, length = told
        problems.append(
            f"'reference.build' is {config_build!r} ({stated}) but in {reference}"
            f" {describe_length(name, length)}: set reference.build to {build}, or give the"
            f" {stated} FASTA"
        )
    if contigs is None:
        return problems + [
            f"'{c.key}': {c.path} does not exist" for c in checks if not c.path.is_file()
        ], []
    fai_ready = Path(f"{reference}.fai").is_file()
    try:
        if fai_ready and compression_of(reference) == "bgzf":
            fai_ready = Path(f"{reference}.gzi").is_file()
    except OSError:
        fai_ready = False
    reports = [
        check_source(
            check,
            contigs,
            reference if fai_ready else None,
            told[0] if told is not None else stated,
        )
        for check in checks
    ]
    for report in reports:
        problems += report.problems
    return problems, reports
