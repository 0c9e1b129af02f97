"""A lab config showing every key the schema has, for ``labpipe init`` and the example.

A key a lab cannot see is a key it cannot set: the issue that led here was a
lab whose config, written by ``labpipe init``, had no annotation section, so
its reports said nothing about ClinVar without anything looking wrong. So the
config written here walks the whole schema: keys the lab gave are values,
every other key is a commented line holding labpipe's default (or, with no
default, an example), under its description from the schema. Uncommenting a
line (removing its first ``# ``) gives a valid setting.

``config/labs/example-lab.yaml`` is this module's output for the example lab
(:func:`example_config`); a test keeps the two the same.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from labpipe.config.settings import DEFAULTS, config_schema

_WIDTH = 96

# Values shown for keys that have no default, and for the items of lists that are empty by default.
EXAMPLE_VALUES: dict[str, Any] = {
    "cluster.partition": "main",
    "cluster.steps": {"align": {"mem_mb": 16000, "runtime": 240}},
    "reference.build": "GRCh38",
    "reference.par_regions": "/data/reference/par_regions.tsv",
    "trimming.adapters": {
        "ILLUMINA": {
            "r1": "AGATCGGAAGAGCACACGTCTGAACTCCAGTCA",
            "r2": "AGATCGGAAGAGCGTCGTGTAGGGAAAGAGTGT",
        },
        "DNBSEQ": {
            "r1": "AAGTCGGAGGCCAAGCGGTCTTAGGAAGACAA",
            "r2": "AAGTCGGATCGTAGCCATGTCGTTCTGTGAGCCAAGGAGTTG",
        },
    },
    "annotation.gff3": "/data/annotation/Homo_sapiens.GRCh38.113.gff3.gz",
    "annotation.clinvar": "/data/annotation/clinvar_20261130.GRCh38.vcf.gz",
    "annotation.population_af": [
        {
            "id": "gnomad",
            "name": "gnomAD v4.1 exomes",
            "vcf": "/data/annotation/gnomad.exomes.v4.1.targets.vcf.gz",
            "population": "South Asian",
            "population_field": "AF_sas",
            "global_field": "AF",
        }
    ],
    "annotation.panels": [
        {
            "name": "Thalassaemia v2",
            "file": "/data/panels/thalassaemia-v2.txt",
            "samples": ["PK001", "PK002"],
        }
    ],
}

# Where a lab gets each file, written above the key (schema descriptions say what it is).
NOTES: dict[str, tuple[str, ...]] = {
    "reference.fasta": (
        "Index it once with `labpipe reference prepare FASTA` (samtools, bwa indexes beside it).",
    ),
    "reference.build": (
        "Checked against the FASTA's chromosome lengths and each annotation source's build.",
    ),
    "annotation": (
        "Without gff3 and clinvar, variants are listed but not interpreted (no consequences, no",
        "ClinVar). docs/offline-annotation.md says how to get and cut each file on a connected",
        "computer, copy it to the workstation, and check it with `labpipe validate`.",
    ),
    "annotation.gff3": (
        "Ensembl, same build and release as the FASTA: ftp.ensembl.org/pub/release-113/gff3/",
        "homo_sapiens/Homo_sapiens.GRCh38.113.gff3.gz (contig names must be the FASTA's).",
    ),
    "annotation.clinvar": (
        "ftp.ncbi.nlm.nih.gov/pub/clinvar/vcf_GRCh38/clinvar.vcf.gz and its .tbi (vcf_GRCh37/",
        "for GRCh37); keep the dated file name so reports say which release was used.",
    ),
    "annotation.population_af": (
        "gnomAD (gnomad.broadinstitute.org/downloads) cut to the targets with only the fields",
        "named here, for each per-chromosome file (docs/offline-annotation.md has the script):",
        "  bcftools view --no-version -R targets.bed -Ou gnomad.exomes.v4.1.sites.chr1.vcf.bgz |",
        "    bcftools annotate --no-version -x '^INFO/AF,INFO/AF_sas' -Oz -o part.chr1.vcf.gz",
        "then `bcftools concat --no-version -Oz -o OUT part.chr1.vcf.gz ... part.chrY.vcf.gz`",
        "and `tabix -p vcf OUT`.",
    ),
}


@dataclass(frozen=True)
class _Line:
    """One line of the rendered config.

    Attributes:
        indent: Column of the key (or comment) text.
        text: The key line or the comment text.
        comment: The text is prose (written after ``# ``).
        off_at: Column of the ``# `` that turns the setting off, None when it is on.
    """

    indent: int
    text: str
    comment: bool = False
    off_at: int | None = None

    def render(self) -> str:
        text = f"# {self.text}" if self.comment else self.text
        if self.off_at is None:
            return " " * self.indent + text
        return " " * self.off_at + "# " + " " * (self.indent - self.off_at) + text


def _scalar(value: Any) -> str:
    """A value as YAML (JSON is valid YAML: quoted strings are safe for ':' and '#')."""
    return json.dumps(value, ensure_ascii=False)


_MISSING = object()


def _lookup(node: Any, parts: Sequence[str]) -> Any:
    """The value at ``parts`` under ``node`` (a list stands for its first item), or _MISSING."""
    for part in parts:
        if isinstance(node, list) and node:
            node = node[0]
        if not isinstance(node, Mapping) or part not in node:
            return _MISSING
        node = node[part]
    return node


def _default(path: str) -> tuple[bool, Any]:
    """(found, value) for a dotted key: labpipe's default; an example where the default is
    empty (null, an empty list) and one is known, so that the line shows what to write."""
    parts = path.split(".")
    default = _lookup(DEFAULTS, parts)
    if default is not _MISSING and default not in (None, []):
        return True, default
    for cut in range(len(parts), 0, -1):
        prefix = ".".join(parts[:cut])
        if prefix in EXAMPLE_VALUES:
            example = _lookup(EXAMPLE_VALUES[prefix], parts[cut:])
            if example is not _MISSING:
                return True, example
    return (True, default) if default is not _MISSING else (False, None)


def _describe(schema: Mapping[str, Any], path: str, indent: int, off_at: int | None) -> list[_Line]:
    texts = list(NOTES.get(path, ()))
    description = schema.get("description")
    if description:
        texts = textwrap.wrap(description, _WIDTH - indent) + texts
    # Inside a block that is off, the prose keeps a second '#', so that removing the first
    # '# ' of every line of the block turns it on; a single key that is off needs no such care.
    inside = off_at if off_at is not None and off_at < indent else None
    return [_Line(indent, text, comment=True, off_at=inside) for text in texts]


def _node(
    key: str,
    schema: Mapping[str, Any],
    value: Any,
    given: bool,
    path: str,
    indent: int,
    off_at: int | None,
    dash: bool = False,
) -> list[_Line]:
    """Lines for one key: its description, then its value or (given=False) its default, off."""
    missing = False
    if not given:
        found, value = _default(path)
        # A key added to the schema without a default or example is still shown (a test
        # asks for an example: keys_without_value); null is what such a key most often takes.
        missing = not found
        if off_at is None:
            off_at = indent
    lines = _describe(schema, path, indent, off_at)
    if missing:
        lines.append(_Line(indent, "(no default: see the schema)", comment=True, off_at=off_at))
    lead = "- " if dash else ""
    properties = schema.get("properties")
    if properties and isinstance(value, Mapping):
        lines.append(_Line(indent, f"{lead}{key}:", off_at=off_at))
        lines += _object(properties, value, path, indent + 2, off_at, given)
    elif schema.get("type") == "array" and "properties" in schema.get("items", {}):
        lines.append(_Line(indent, f"{lead}{key}:", off_at=off_at))
        for entry in value:
            properties = schema["items"]["properties"]
            lines += _object(properties, entry, path, indent + 2, off_at, True, item=True)
    else:
        lines.append(_Line(indent, f"{lead}{key}: {_scalar(value)}", off_at=off_at))
    return lines


def _object(
    properties: Mapping[str, Any],
    values: Mapping[str, Any],
    path: str,
    indent: int,
    off_at: int | None,
    user: bool,
    item: bool = False,
) -> list[_Line]:
    """Every property of an object; those the lab did not give commented out.

    ``user`` False: ``values`` is a default, each key shows its own default (or example).
    ``item``: a list item, whose first key carries the ``- `` and the others line up after it.
    """
    lines: list[_Line] = []
    for number, (key, schema) in enumerate(properties.items()):
        present = user and key in values
        at = indent + 2 if item and number else indent
        child = f"{path}.{key}"
        lines += _node(
            key, schema, values.get(key), present, child, at, off_at, item and not number
        )
    return lines


def render_config(values: Mapping[str, Any], header: Sequence[str]) -> str:
    """The config text: ``values`` (nested like the YAML) set, every other schema key commented.

    Args:
        values: The settings to write as values; paths as the lab wants them written.
        header: Comment lines for the top of the file (without ``# ``).

    """
    lines = [_Line(0, text, comment=True) for text in header]
    schema = config_schema()
    for key, sub in schema["properties"].items():
        lines.append(_Line(0, ""))
        lines += _node(key, sub, values.get(key), key in values, key, 0, None)
    return "\n".join(line.render().rstrip() for line in lines) + "\n"


EXAMPLE_LAB: dict[str, Any] = {
    "lab": {"name": "Example Hospital Molecular Genetics Laboratory", "id": "example-lab"},
    "reference": {
        "fasta": "/data/reference/GRCh38/Homo_sapiens.GRCh38.dna.primary_assembly.fa",
        "build": "GRCh38",
    },
    "targets": "/data/panels/thalassaemia-v2.bed",
    "samples": "/data/runs/2026-11-20/samples.tsv",
    "platform": "DNBSEQ",
    "output_dir": "/data/results/2026-11-20",
    "threads": 8,
    "trimming": {"min_length": 36, "poly_g": "auto"},
    "qc": {
        "min_reads": 1_000_000,
        "min_mapped_pct": 95,
        "max_duplicate_pct": 30,
        "min_mean_target_depth": 80,
        "min_pct_target_20x": 95,
        "depth_thresholds": [10, 20, 30],
    },
    "calling": {"caller": "bcftools", "target_padding": 100},
    "annotation": {
        "gff3": EXAMPLE_VALUES["annotation.gff3"],
        "clinvar": EXAMPLE_VALUES["annotation.clinvar"],
        "population_af": EXAMPLE_VALUES["annotation.population_af"],
        "panels": EXAMPLE_VALUES["annotation.panels"],
    },
}

EXAMPLE_HEADER = (
    "Example lab config: copy it to config/labs/<your-lab>.yaml and edit it, or let",
    "`labpipe init --fastq-dir RUN_FOLDER --reference FASTA ...` write one for a run.",
    "Relative paths are resolved against the folder holding this file.",
    "Every key labpipe knows is here: a line starting '# key:' is off and shows the default",
    "(or an example); remove its '# ' to set it. Check the result with:",
    "  labpipe validate config/labs/<your-lab>.yaml",
    "This file is written by `python -m labpipe.config.template` (a test keeps it current).",
)


def keys_without_value() -> list[str]:
    """Schema keys with neither a default nor an example: each needs an EXAMPLE_VALUES entry."""
    missing = []

    def walk(properties: Mapping[str, Any], prefix: str) -> None:
        for key, schema in properties.items():
            path = f"{prefix}{key}"
            if not _default(path)[0] and _lookup(EXAMPLE_LAB, path.split(".")) is _MISSING:
                missing.append(path)
            walk(schema.get("properties", {}), f"{path}.")
            walk(schema.get("items", {}).get("properties", {}), f"{path}.")

    walk(config_schema()["properties"], "")
    return missing


def example_config() -> str:
    """The text of ``config/labs/example-lab.yaml``."""
    return render_config(EXAMPLE_LAB, EXAMPLE_HEADER)


if __name__ == "__main__":
    print(example_config(), end="")


__all__ = [
    "EXAMPLE_LAB",
    "EXAMPLE_VALUES",
    "NOTES",
    "example_config",
    "keys_without_value",
    "render_config",
]
