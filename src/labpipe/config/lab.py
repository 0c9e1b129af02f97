"""The lab config as typed, frozen objects, built once from the validated YAML.

:func:`labpipe.config.settings.load_config` checks the YAML against the schema
(``schemas/config.schema.json``, which holds every key and every default) and
hands the result to :func:`build_lab_config`. Each schema key is a field of the
same name here (a test walks the schema, so a key without a field fails), and
every path is resolved against the config's folder in :func:`_converted`, the
one place that does it. Modules read ``lab.calling.min_depth``, never a dict.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from types import MappingProxyType, UnionType
from typing import Any

#: Field metadata marking a field that is not a schema key (filled in by the loader).
NOT_IN_SCHEMA = {"schema": False}


@dataclass(frozen=True)
class LabInfo:
    """``lab``: who runs the analysis."""

    name: str
    id: str


@dataclass(frozen=True)
class ReferenceConfig:
    """``reference``: the genome, its build label and a lab's own PAR table."""

    fasta: Path
    build: str | None
    par_regions: Path | None


@dataclass(frozen=True)
class AdapterPair:
    """One platform's adapters (``trimming.adapters.<PLATFORM>``)."""

    r1: str
    r2: str


@dataclass(frozen=True)
class TrimmingConfig:
    """``trimming``: fastp's settings."""

    min_length: int
    poly_g: bool | str
    quality_filter: bool
    max_n_bases: int
    adapters: Mapping[str, AdapterPair]


@dataclass(frozen=True)
class AlignmentConfig:
    """``alignment``: which short-read aligner maps the reads."""

    aligner: str


@dataclass(frozen=True)
class QcWarnLevels:
    """``qc.warn``: beyond these (but within the fail limits) a sample gets a warning."""

    max_pairs_lost_fraction: float | None
    min_reads: int | None
    min_mapped_pct: float | None
    max_duplicate_pct: float | None
    min_mean_target_depth: float | None
    min_pct_target_20x: float | None
    min_insert_size: float | None
    max_insert_size: float | None
    min_ts_tv: float | None
    max_ts_tv: float | None
    min_het_hom_ratio: float | None
    max_het_hom_ratio: float | None
    max_contamination: float | None


@dataclass(frozen=True)
class QcThresholds:
    """``qc``: the limits beyond which a sample fails, and its warning levels."""

    min_reads: int
    min_mapped_pct: float
    max_duplicate_pct: float
    min_mean_target_depth: float
    min_pct_target_20x: float
    min_insert_size: float | None
    depth_thresholds: tuple[int, ...]
    max_pairs_lost_fraction: float
    min_variants_for_ratios: int
    max_contamination: float
    min_contamination_sites: int
    min_kinship_sites: int
    warn: QcWarnLevels


@dataclass(frozen=True)
class MinQual:
    """``calling.min_qual`` resolved: the LowQual limit per variant type."""

    snv: float
    indel: float


@dataclass(frozen=True)
class CallingConfig:
    """``calling``: the caller and its settings."""

    caller: str
    target_padding: int
    min_mapq: int
    min_baseq: int
    max_depth: int
    prior: float
    indel_bias: float
    min_qual: MinQual
    min_depth: int
    indel_artefact_filter: bool
    indel_second_opinion: bool
    scatter: int

    @property
    def second_opinion(self) -> bool:
        """Whether freebayes gives its second opinion on bcftools' indels."""
        return self.caller == "bcftools" and self.indel_second_opinion


@dataclass(frozen=True)
class PopulationAfConfig:
    """One entry of ``annotation.population_af``."""

    id: str
    name: str | None
    vcf: Path
    population: str | None
    population_field: str | None
    global_field: str | None


@dataclass(frozen=True)
class PanelConfig:
    """One entry of ``annotation.panels``."""

    name: str
    file: Path
    samples: tuple[str, ...]


@dataclass(frozen=True)
class TiersConfig:
    """``annotation.tiers``."""

    max_af: float
    clinvar_min_stars: int
    lof_consequences: tuple[str, ...]
    other_coding_consequences: tuple[str, ...]
    require_inheritance: bool


@dataclass(frozen=True)
class ConfidenceConfig:
    """``annotation.confidence``."""

    min_depth: int
    het_af_min: float
    het_af_max: float
    hom_af_min: float


@dataclass(frozen=True)
class RohConfig:
    """``annotation.roh``."""

    enabled: bool
    af_default: float
    min_length_bp: int
    min_markers: int
    autozygosity_min_markers: int
    autozygosity_min_assessed_bp: int


@dataclass(frozen=True)
class InheritanceConfig:
    """``annotation.inheritance``."""

    min_parent_depth: int
    max_parent_alt_reads: int
    max_parent_alt_fraction: float
    min_parent_gq: int


@dataclass(frozen=True)
class AnnotationConfig:
    """``annotation``: local annotation sources and interpretation rules."""

    gff3: Path | None
    clinvar: Path | None
    population_af: tuple[PopulationAfConfig, ...]
    panels: tuple[PanelConfig, ...]
    tiers: TiersConfig
    confidence: ConfidenceConfig
    roh: RohConfig
    inheritance: InheritanceConfig


@dataclass(frozen=True)
class StepLimits:
    """One step's entry of ``cluster.steps``: what overrides the sized limits."""

    mem_mb: int | None
    runtime: int | None
    partition: str | None


@dataclass(frozen=True)
class ClusterConfig:
    """``cluster``: where steps run under ``--executor slurm``."""

    partition: str | None
    account: str | None
    max_jobs: int
    samples_per_job: int
    latency_wait: int
    steps: Mapping[str, StepLimits]


@dataclass(frozen=True)
class ReportConfig:
    """``report``: the per-sample report and the run index."""

    enabled: bool
    language: str
    sign_off: tuple[str, ...]
    disclaimer: str
    max_tier4_rows: int
    incidental_in_tier1: bool
    timezone: str | None
    limitations: tuple[str, ...]
    max_low_regions: int


@dataclass(frozen=True)
class LabConfig:
    """A lab's whole config, defaults filled in and every path absolute.

    Attributes:
        path: The YAML file it was read from.
        document: The validated config as a plain mapping, defaults filled in: what the
            config hashes (:func:`labpipe.config.settings.config_sha256`) are taken of.
            Read the typed fields instead.
    """

    path: Path = field(metadata=NOT_IN_SCHEMA)
    lab: LabInfo
    reference: ReferenceConfig
    targets: Path | None
    samples: Path
    pedigree: Path | None
    platform: str
    output_dir: Path
    threads: int
    trimming: TrimmingConfig
    alignment: AlignmentConfig
    qc: QcThresholds
    calling: CallingConfig
    annotation: AnnotationConfig
    cluster: ClusterConfig
    report: ReportConfig
    document: Mapping[str, Any] = field(metadata=NOT_IN_SCHEMA, repr=False, compare=False)

    @property
    def folder(self) -> Path:
        """The config file's folder, against which its relative paths were resolved."""
        return self.path.resolve().parent


def build_lab_config(document: Mapping[str, Any], path: Path) -> LabConfig:
    """The typed config of a validated document (defaults filled in).

    Args:
        document: The config after schema validation and defaults.
        path: The config file; relative paths are resolved against its folder.
    """
    folder = Path(path).resolve().parent
    values = _section(LabConfig, document, folder)
    return LabConfig(path=Path(path), document=document, **values)


def _section(kind: type, values: Mapping[str, Any], folder: Path) -> dict[str, Any]:
    """The constructor arguments of dataclass ``kind`` from one mapping of the config."""
    hints = typing.get_type_hints(kind)
    return {
        item.name: _converted(hints[item.name], values.get(item.name), folder)
        for item in fields(kind)
        if item.metadata.get("schema", True)
    }


def _converted(kind: Any, value: Any, folder: Path) -> Any:
    """A config value as the field type ``kind`` asks: paths resolved here, and only here."""
    origin = typing.get_origin(kind)
    if origin is UnionType or origin is typing.Union:
        options = [a for a in typing.get_args(kind) if a is not type(None)]
        if value is None or (value == "" and Path in options):
            return None
        # Scalar unions (poly_g: bool | str) hold their value as the schema allows it.
        return _converted(options[0], value, folder) if len(options) == 1 else value
    if kind is Path:
        return (folder / Path(value).expanduser()).resolve()
    if origin is tuple:
        item = typing.get_args(kind)[0]
        return tuple(_converted(item, v, folder) for v in value or ())
    if origin is Mapping:
        item = typing.get_args(kind)[1]
        return MappingProxyType({k: _converted(item, v, folder) for k, v in (value or {}).items()})
    if isinstance(kind, type) and is_dataclass(kind):
        return kind(**_section(kind, value or {}, folder))
    return value
