"""The lab config ``labpipe init`` writes: every key of the schema, the ones that apply set."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labpipe.config.platform import (
    PLATFORMS,
    canonical_platform,
)
from labpipe.core.atomic import write_text_atomic
from labpipe.core.errors import UsageError
from labpipe.inputs.discover.discovery import absolute_path, path_relative_to


@dataclass(frozen=True)
class InitSources:
    """Genome build and annotation files ``labpipe init`` writes into the config.

    Attributes:
        build: ``reference.build``; None: told from the reference's contig lengths when it can be.
        gff3: Ensembl GFF3 for consequences.
        clinvar: ClinVar VCF (bgzip + index).
        population_af: A population allele-frequency VCF (e.g. a gnomAD extract).
        global_field: Its INFO field of the global frequency (``AF``).
        population_field: Its INFO field of the lab's population (``AF_sas``).
        population: Label of that population (``South Asian``).
        population_name: Display name of the source (``gnomAD v4.1 exomes``).
        panels: Gene panel files (gene list or BED); each is named after its file.
    """

    build: str | None = None
    gff3: Path | None = None
    clinvar: Path | None = None
    population_af: Path | None = None
    global_field: str | None = None
    population_field: str | None = None
    population: str | None = None
    population_name: str | None = None
    panels: tuple[Path, ...] = ()

    def files(self) -> list[tuple[str, Path]]:
        """(option, path) of every file given, to check before anything is written."""
        named = [("--gff3", self.gff3), ("--clinvar", self.clinvar)]
        named.append(("--population-af", self.population_af))
        return [(o, p) for o, p in named if p is not None] + [("--panel", p) for p in self.panels]

    def problems(self) -> list[str]:
        """Options that do not fit together."""
        fields = (self.global_field, self.population_field, self.population, self.population_name)
        if self.population_af is None and any(fields):
            return ["--population-af-* options need --population-af FILE"]
        if self.population_af is not None and not (self.global_field or self.population_field):
            return [
                "--population-af needs the INFO field(s) to read: --population-af-field"
                " (global, e.g. AF) and/or --population-af-population-field (e.g. AF_sas)"
            ]
        return []

    def annotation(self, base: Path) -> dict[str, Any]:
        """The config's ``annotation`` values, paths written relative to ``base`` when under it."""
        section: dict[str, Any] = {}
        if self.gff3 is not None:
            section["gff3"] = path_relative_to(self.gff3, base)
        if self.clinvar is not None:
            section["clinvar"] = path_relative_to(self.clinvar, base)
        if self.population_af is not None:
            source_id = "gnomad" if "gnomad" in self.population_af.name.lower() else "population"
            entry: dict[str, Any] = {"id": source_id}
            if self.population_name:
                entry["name"] = self.population_name
            entry["vcf"] = path_relative_to(self.population_af, base)
            if self.population:
                entry["population"] = self.population
            if self.population_field:
                entry["population_field"] = self.population_field
            if self.global_field:
                entry["global_field"] = self.global_field
            section["population_af"] = [entry]
        if self.panels:
            section["panels"] = [
                {"name": _panel_name(panel), "file": path_relative_to(panel, base)}
                for panel in self.panels
            ]
        return section


def _panel_name(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".txt", ".tsv", ".bed", ".list"):
        name = name.removesuffix(suffix)
    return name


def write_lab_config(
    path: Path,
    *,
    lab_name: str,
    reference: Path,
    targets: Path | None,
    samples_path: Path,
    platform: str,
    sources: InitSources | None = None,
) -> Path:
    """Write a lab config showing every key labpipe knows, atomically.

    The keys that apply are values; every other key of the schema is a
    commented line with its default (:mod:`labpipe.config.template`), so a lab
    sees what it can set. ``lab.id`` is derived from the name
    (:func:`lab_id_from_name`). Paths under the config's folder are written
    relative to it, others absolute.

    Returns:
        The config's path.

    Raises:
        UsageError: ``platform`` is not ILLUMINA or DNBSEQ, or the lab name is empty.
    """
    from labpipe.config.template import render_config

    path = absolute_path(path)
    platform = canonical_platform(platform)
    if platform not in PLATFORMS:
        raise UsageError(f"platform {platform!r} is not one of {', '.join(PLATFORMS)}")
    if not lab_name.strip():
        raise UsageError("the lab name is empty; give one with --lab")
    sources = sources or InitSources()
    base = path.parent
    values: dict[str, Any] = {
        "lab": {"name": lab_name.strip(), "id": lab_id_from_name(lab_name)},
        "reference": {"fasta": path_relative_to(absolute_path(reference), base)},
    }
    if sources.build:
        values["reference"]["build"] = sources.build
    if targets is not None:
        values["targets"] = path_relative_to(absolute_path(targets), base)
    values["samples"] = path_relative_to(absolute_path(samples_path), base)
    values["platform"] = platform
    annotation = sources.annotation(base)
    if annotation:
        values["annotation"] = annotation
    header = [
        "Lab config written by `labpipe init`. Check it with:",
        f"  labpipe validate {one_line(str(path))}",
        "Relative paths are resolved against the folder holding this file.",
        "Every key labpipe knows is here: a line starting '# key:' is off and shows the",
        "default (or an example); remove its '# ' to set it. Leave targets out for whole",
        "genomes. docs/offline-annotation.md says how to get the annotation files offline.",
    ]
    write_text_atomic(path, render_config(values, header))
    return path


def lab_id_from_name(name: str) -> str:
    """A lab id safe for the schema from a lab's name.

    Accents are dropped, apostrophes removed, every other run of characters that
    are not letters or digits becomes ``-``; lower case, at most 40 characters.
    ``"St Mary's Hospital – Genetics"`` → ``"st-marys-hospital-genetics"``. A name
    with no Latin letters or digits gives ``"lab"``.
    """
    return name_slug(name) or "lab"


def with_build_of_reference(sources: InitSources, reference: Path) -> tuple[InitSources, list[str]]:
    """The build told from the reference's contig lengths when none is given; a warning on
    a given build the lengths contradict."""
    from dataclasses import replace

    from labpipe.core.errors import LabpipeError
    from labpipe.core.genome_builds import build_label, build_of_lengths, describe_length
    from labpipe.inputs.checks.fasta import reference_contigs

    try:
        told = build_of_lengths(reference_contigs(absolute_path(reference)))
    except LabpipeError:
        told = None  # `labpipe validate` says what is wrong with the reference
    if told is None:
        if sources.build is not None:
            return sources, []
        # Said now: otherwise the first sign is a report whose reference names no build.
        return sources, [
            f"the genome build could not be told from the contig lengths of {reference}:"
            " set reference.build in the config (or pass --build), so that reports and"
            " HGVS g. names state it"
        ]
    build, contig, length = told
    if sources.build is None:
        return replace(sources, build=build), []
    stated = build_label(sources.build)
    if stated is not None and stated != build:
        return sources, [
            f"--build {sources.build} is {stated}, but in {reference}"
            f" {describe_length(contig, length)}: check which FASTA and which build you mean"
            " (labpipe validate will refuse the pair)"
        ]
    return sources, []


def name_slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_name.replace("'", "")).strip("-").lower()
    return slug[:40].rstrip("-")


def one_line(text: str) -> str:
    return re.sub(r"[\t\r\n]", " ", text)


def _yaml_string(value: str) -> str:
    # A JSON string is a valid YAML double-quoted scalar: safe for ':', '#', quotes.
    return json.dumps(value, ensure_ascii=False)
