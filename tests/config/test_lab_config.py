"""The typed config: one field per schema key, frozen, and the same hashes as before it."""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from pathlib import Path
from types import UnionType
from typing import Any

import pytest

from labpipe import __version__
from labpipe.config.lab import LabConfig, StepLimits
from labpipe.config.settings import (
    STAGE_SECTIONS,
    config_from_mapping,
    config_schema,
    config_sha256,
    load_config,
    stage_config_sha256,
)
from labpipe.run.workflow_support import labpipe_header_lines
from tests.paths import REPO

# Every kind of key the schema has, set to something other than its default, with
# absolute paths so that the hashes do not depend on where the test runs.
RICH = """\
lab: {name: "Rich Lab", id: rich.lab}
reference: {fasta: /data/ref/hg19.fa, build: hg19, par_regions: /data/ref/par.tsv}
targets: null
samples: /data/run/samples.tsv
platform: mgi
output_dir: /data/out
threads: 4
trimming:
  min_length: 50
  poly_g: true
  quality_filter: true
  max_n_bases: 10
  adapters:
    ILLUMINA: {r1: ACGTACGTAC, r2: TTTTGGGGCC}
qc:
  min_reads: 5
  depth_thresholds: [20, 50]
  warn: {min_ts_tv: null, max_insert_size: 700}
calling:
  caller: freebayes
  min_qual: {indel: 5}
  scatter: 8
  prior: 0.01
annotation:
  gff3: /data/ann/genes.gff3.gz
  clinvar: /data/ann/clinvar.vcf.gz
  population_af:
    - {id: exac, vcf: /data/ann/exac.vcf.gz, population_field: AC_SAS/AN_SAS}
  panels:
    - {name: Deafness, file: /data/panels/deaf.bed}
  tiers: {max_af: 0.005, lof_consequences: [stop_gained, frameshift]}
  roh: {enabled: false}
  confidence: {min_depth: 10}
cluster:
  partition: main
  steps: {align: {mem_mb: 16000}}
report:
  incidental_in_tier1: true
  timezone: Asia/Karachi
  sign_off: [A]
"""

# The hashes the untyped config code gave these configs (main at f2db2ec, with the
# alignment section; annotation and whole-config hashes since issue 13 added
# annotation.inheritance, tiers.require_inheritance, the ROH autozygosity minimums and the
# qc identity keys): a run started before the change must not re-call, re-trim or
# re-annotate after it.
BEFORE: dict[str, dict[str, str]] = {
    "example": {
        "trimming": "89145f28d63fab1e9f108a3e32e58d6cb6f6fb7e97a4a992d1001c24583d778b",
        "alignment": "0a345ce0250864f2fba995e6f3daec15c1e8fdf86f4bbe5bca0b0232fbc38e72",
        "calling": "00a7e2718b702a05d156b856fca74207a1090ffa7fee84b69b77b4235bb8f3b9",
        "annotation": "2988bc7b725ec39685f9af528a8eb1247ad7a2743c4c5de9fc5c093f73be4cf7",
        "sex": "074ceffa4a147c54e367e7bed6ff338cd76374ff6c062735b8b1af1191c52161",
        "config": "709ec88953187cf239bdf8024a948ba7937f57165c06952d3b6f0ac72afe99e4",
    },
    "rich": {
        "trimming": "f71d736d4e6de08bf5db461024a7078972b0c1ce393f0c7473b9199c0778e225",
        "alignment": "0a345ce0250864f2fba995e6f3daec15c1e8fdf86f4bbe5bca0b0232fbc38e72",
        "calling": "c2e52efe0c8ff009fc35fc93f326476a2ee6d46dd1448509ecfa772ca49c68ba",
        "annotation": "a7af00a3fa1c7436a6541082cd10d95714a41910288f98e435cb893a7f71f762",
        "sex": "a94b80f0d64fd5ce2f884710f700e572282f5a43071bc4592380b91e0c575c15",
        "config": "7d0c0c57e24b4c3c8503f7c67ea22d4a777299ef41801a7d59383f0fb587c1b8",
    },
}
HEADER_BEFORE = {
    "example": (
        "##labpipe_lab=example-lab\n"
        "##labpipe_reference=/data/reference/GRCh38/Homo_sapiens.GRCh38.dna.primary_assembly.fa\n"
        "##labpipe_calling=caller:bcftools,min_mapq:20,min_baseq:1,max_depth:2000,prior:0.003,"
        "indel_bias:5.0,target_padding:100,min_qual_snv:0,min_qual_indel:0,min_depth:3,"
        "indel_artefact_filter:True,indel_second_opinion:True\n"
    ),
    "rich": (
        "##labpipe_lab=rich.lab\n"
        "##labpipe_reference=/data/ref/hg19.fa\n"
        "##labpipe_calling=caller:freebayes,min_mapq:20,min_baseq:1,max_depth:2000,prior:0.01,"
        "indel_bias:5.0,target_padding:100,min_qual_snv:1,min_qual_indel:5,min_depth:3,"
        "indel_artefact_filter:True,indel_second_opinion:False\n"
    ),
}


def _configs(tmp_path: Path) -> dict[str, LabConfig]:
    rich = tmp_path / "rich.yaml"
    rich.write_text(RICH)
    return {
        "example": load_config(REPO / "config" / "labs" / "example-lab.yaml", check_files=False),
        "rich": load_config(rich, check_files=False),
    }


def test_hashes_and_vcf_headers_are_those_from_before_the_typed_config(tmp_path: Path) -> None:
    for name, config in _configs(tmp_path).items():
        hashes = {stage: stage_config_sha256(config, stage) for stage in STAGE_SECTIONS}
        assert {**hashes, "config": config_sha256(config)} == BEFORE[name], name
        assert labpipe_header_lines(config) == (
            f"##labpipe_version={__version__}\n"
            f"##labpipe_calling_config_sha256={BEFORE[name]['calling']}\n" + HEADER_BEFORE[name]
        )


def test_rich_config_reads_as_typed_values(tmp_path: Path) -> None:
    config = _configs(tmp_path)["rich"]
    assert config.platform == "DNBSEQ"  # mgi, canonical
    assert config.trimming.adapters["ILLUMINA"].r2 == "TTTTGGGGCC"
    assert config.qc.warn.min_ts_tv is None and config.qc.warn.max_insert_size == 700
    assert config.calling.min_qual.snv == 1.0 and config.calling.min_qual.indel == 5.0
    assert not config.calling.second_opinion  # freebayes gives no opinion on itself
    assert config.annotation.population_af[0].global_field is None
    assert config.annotation.panels[0].samples == ()
    assert config.cluster.steps["align"].mem_mb == 16000
    assert config.cluster.steps["align"].runtime is None
    assert config.report.sign_off == ("A",)
    assert config.reference.par_regions == Path("/data/ref/par.tsv")


def test_config_is_frozen() -> None:
    config = load_config(REPO / "config" / "labs" / "example-lab.yaml", check_files=False)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.threads = 3
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.calling.min_depth = 0
    with pytest.raises(TypeError):
        config.cluster.steps["align"] = StepLimits(1000, None, None)


def test_relative_paths_resolve_against_the_config_folder_only(tmp_path: Path) -> None:
    raw = {
        "lab": {"name": "L", "id": "l"},
        "reference": {"fasta": "ref/genome.fa", "par_regions": "~/par.tsv"},
        "samples": "samples.tsv",
        "annotation": {
            "gff3": "ann/genes.gff3",
            "clinvar": "ann/clinvar.vcf.gz",
            "population_af": [{"id": "g", "vcf": "ann/g.vcf.gz", "global_field": "AF"}],
            "panels": [{"name": "P", "file": "../panels/p.txt"}],
        },
    }
    config = config_from_mapping(raw, tmp_path / "labs" / "lab.yaml")
    folder = tmp_path / "labs"
    assert config.folder == folder
    assert config.reference.fasta == folder / "ref" / "genome.fa"
    assert config.reference.par_regions == Path("~/par.tsv").expanduser()
    assert config.output_dir == folder / "labpipe-output"
    annotation = config.annotation
    assert (annotation.gff3, annotation.clinvar) == (
        folder / "ann" / "genes.gff3",
        folder / "ann" / "clinvar.vcf.gz",
    )
    assert annotation.population_af[0].vcf == folder / "ann" / "g.vcf.gz"
    assert annotation.panels[0].file == tmp_path / "panels" / "p.txt"


def test_output_dir_given_on_the_command_line_wins(tmp_path: Path) -> None:
    rich = tmp_path / "rich.yaml"
    rich.write_text(RICH)
    config = load_config(rich, check_files=False, output_dir=tmp_path / "out")
    assert config.output_dir == tmp_path / "out"
    assert config.document["output_dir"] == str(tmp_path / "out")  # the manifest records it
    assert config_sha256(config) == BEFORE["rich"]["config"]


# --- the schema is the one source of keys and defaults -------------------------------------


def _dataclass_of(kind: Any) -> type | None:
    """The dataclass a field holds, itself or as items (tuple/Mapping) or optionally."""
    origin = typing.get_origin(kind)
    if origin is UnionType or origin is typing.Union:
        options = [a for a in typing.get_args(kind) if a is not type(None)]
        return _dataclass_of(options[0]) if len(options) == 1 else None
    if origin is tuple:
        return _dataclass_of(typing.get_args(kind)[0])
    if origin is Mapping:
        return _dataclass_of(typing.get_args(kind)[1])
    return kind if isinstance(kind, type) and dataclasses.is_dataclass(kind) else None


def _accepts_absence(kind: Any) -> bool:
    """A field the loader can fill without a value: optional, a collection or a section."""
    origin = typing.get_origin(kind)
    optional = (origin is UnionType or origin is typing.Union) and type(None) in typing.get_args(
        kind
    )
    return optional or origin in (tuple, Mapping) or _dataclass_of(kind) is not None


def _object_schemas(schema: Mapping[str, Any], kind: Any) -> list[Mapping[str, Any]]:
    """The object schemas a field's dataclass stands for: the property itself, its array
    items, one per key of a mapping field, or the object one of a ``oneOf``."""
    if typing.get_origin(kind) is Mapping:  # keys are data (platforms, step names)
        values = schema.get("properties") or {"*": schema.get("additionalProperties", {})}
        return list(values.values())
    nodes = [schema, schema.get("items", {}), *schema.get("oneOf", ())]
    return [node for node in nodes if isinstance(node, Mapping) and "properties" in node][:1]


# Filled by the loader from another key: the caller's own LowQual limits.
COMPUTED_DEFAULTS = {"calling.min_qual.snv", "calling.min_qual.indel"}


def _mismatches(kind: type, schema: Mapping[str, Any], where: str) -> list[str]:
    hints = typing.get_type_hints(kind)
    fields = {f.name for f in dataclasses.fields(kind) if f.metadata.get("schema", True)}
    properties: Mapping[str, Any] = schema.get("properties", {})
    problems = [f"{where}{key}: schema key without a field" for key in set(properties) - fields]
    problems += [f"{where}{name}: field without a schema key" for name in fields - set(properties)]
    required = set(schema.get("required", ()))
    for key in sorted(set(properties) & fields):
        node, hint, dotted = properties[key], hints[key], f"{where}{key}"
        known = "default" in node or key in required or dotted in COMPUTED_DEFAULTS
        if not (known or _accepts_absence(hint)):
            # The loader would fill None into a field typed without it.
            problems.append(f"{dotted}: neither required, defaulted nor optional")
        inner, subs = _dataclass_of(hint), _object_schemas(node, hint)
        if (inner is None) != (not subs):
            problems.append(f"{dotted}: section in only one of schema and fields")
        elif inner is not None:
            for sub in subs:
                problems += _mismatches(inner, sub, f"{dotted}.")
    return problems


def test_every_schema_key_is_a_field_and_every_field_a_schema_key() -> None:
    assert _mismatches(LabConfig, config_schema(), "") == []


def test_a_schema_key_without_a_field_is_caught() -> None:
    schema = config_schema()
    schema["properties"]["calling"]["properties"]["new_knob"] = {"type": "integer"}
    assert _mismatches(LabConfig, schema, "") == ["calling.new_knob: schema key without a field"]
