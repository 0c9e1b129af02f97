"""Load, validate and resolve a lab's YAML config.

One strict JSON schema (``schemas/config.schema.json``) serves ``labpipe
validate``, ``labpipe run`` and the Snakefile. Problems are collected and
reported together, each with the line of the config it concerns; an unknown
key suggests the nearest valid one.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from labpipe.config.platform import PLATFORMS, canonical_platform
from labpipe.core.errors import ConfigError
from labpipe.core.suggest import unknown_name

DEFAULTS: dict[str, Any] = {
    "targets": None,
    "platform": "ILLUMINA",
    "output_dir": "labpipe-output",
    "threads": 2,
    # poly_g "auto": per unit from the instrument in the read names (labpipe.config.platform).
    # Measured (benchmarks/RESULTS.md, "Read filters"): fastp's N limit of 5 removed the
    # 40% of pairs an N fault touched and cost 12% of the true SNVs at 15x; its quality
    # filter never helped calling (F1 equal or lower with it, on every set measured), as
    # the caller already weighs each base by its quality. Both off; 50 N if turned on.
    "trimming": {"min_length": 36, "poly_g": "auto", "quality_filter": False, "max_n_bases": 50},
    # bwa until minimap2 is measured at least as accurate (benchmarks/RESULTS.md, Aligners).
    "alignment": {"aligner": "bwa"},
    "qc": {
        "min_reads": 10000,
        "min_mapped_pct": 95.0,
        "max_duplicate_pct": 30.0,
        "min_mean_target_depth": 50.0,
        "min_pct_target_20x": 95.0,
        "min_insert_size": 100.0,
        "depth_thresholds": [10, 20, 30],
        "min_variants_for_ratios": 100,
        "max_pairs_lost_fraction": 0.9,
        "warn": {
            "max_pairs_lost_fraction": 0.2,
            "min_reads": None,
            "min_mapped_pct": 98.0,
            "max_duplicate_pct": 20.0,
            "min_mean_target_depth": None,
            "min_pct_target_20x": 98.0,
            "min_insert_size": 150.0,
            "max_insert_size": 600.0,
            "min_ts_tv": 1.8,
            "max_ts_tv": 3.6,
            "min_het_hom_ratio": 1.0,
            "max_het_hom_ratio": 4.0,
        },
    },
    "calling": {
        "caller": "bcftools",
        "target_padding": 100,
        "min_mapq": 20,
        # Measured choices (benchmarks/RESULTS.md): bcftools' own base-quality floor,
        # a call prior and indel bias that recover low-depth variants, and filters
        # that remove what those add without costing true calls.
        "min_baseq": 1,
        "max_depth": 2000,
        "prior": 0.003,
        "indel_bias": 5.0,
        "min_qual": None,  # the caller's own, see CALLER_MIN_QUAL
        "min_depth": 3,
        "indel_artefact_filter": True,
        # freebayes' opinion on bcftools' indels, in windows around indel candidates.
        "indel_second_opinion": True,
        "scatter": 4,
    },
    "annotation": {
        "gff3": None,
        "clinvar": None,
        "population_af": [],
        "panels": [],
        "tiers": {
            "max_af": 0.01,
            "clinvar_min_stars": 0,
            "lof_consequences": [
                "stop_gained",
                "frameshift",
                "splice_donor",
                "splice_acceptor",
                "start_lost",
            ],
            "other_coding_consequences": [
                "inframe_insertion",
                "inframe_deletion",
                "inframe_altering",
                "stop_lost",
                "coding_sequence",
                "feature_elongation",
                "splice_region",
            ],
        },
        "roh": {"enabled": True, "af_default": 0.4, "min_length_bp": 1000000, "min_markers": 10},
        "confidence": {"min_depth": 15, "het_af_min": 0.25, "het_af_max": 0.75, "hom_af_min": 0.85},
    },
    # Where steps run: never part of what they compute (see config_sha256).
    "cluster": {
        "partition": None,
        "account": None,
        "max_jobs": 50,
        "samples_per_job": 8,
        "latency_wait": 60,
        "steps": {},
    },
    "report": {
        "enabled": True,
        "sign_off": ["Analysed by", "Reviewed and authorised by"],
        "disclaimer": (
            "Variants are reported in the regions the assay covers (see Coverage); regions "
            "below 20x may hide variants. Classifications are from the annotation sources "
            "listed under Methods and are to be interpreted by a qualified clinical scientist "
            "together with the patient's clinical findings."
        ),
        "max_tier4_rows": 200,
        "incidental_in_tier1": False,
        "timezone": None,
        "limitations": [
            "Copy-number variants (deletions or duplications of whole exons or genes) and "
            "structural variants are not detected.",
            "Repeat expansions (e.g. FMR1, HTT) are not detected.",
            "Low-level mosaic variants (allele fraction well below 25%) may be missed.",
            "Variants in regions covered below the depth threshold (see Coverage) may be missed.",
            "Genes with close paralogues or segmental duplications (e.g. HBA1/HBA2, SMN1/SMN2, "
            "PMS2) are not reliably assessed: reads that map equally well to both copies are "
            "dropped by the mapping-quality filter.",
            "Variants outside the targeted regions (deep intronic, regulatory) are not assessed.",
        ],
        "max_low_regions": 30,
    },
}

#: Default LowQual thresholds (QUAL below: filtered) per caller and variant type. bcftools
#: needs none once its other filters apply; freebayes reports hundreds of QUAL < 1 false
#: SNVs at low depth, while its true indels there also have low QUAL.
CALLER_MIN_QUAL: dict[str, dict[str, float]] = {
    "bcftools": {"snv": 0.0, "indel": 0.0},
    "freebayes": {"snv": 1.0, "indel": 0.0},
}

# Keys whose values are file paths, resolved against the config's directory.
_PATH_KEYS: tuple[tuple[str, ...], ...] = (
    ("reference", "fasta"),
    ("reference", "par_regions"),
    ("targets",),
    ("samples",),
    ("output_dir",),
    ("annotation", "gff3"),
)


def config_schema() -> dict[str, Any]:
    """The config JSON schema shipped in the package."""
    text = resources.files("labpipe").joinpath("schemas/config.schema.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


def load_config(path: Path, check_files: bool = True) -> dict[str, Any]:
    """Read, validate and resolve a lab config.

    Args:
        path: The YAML file.
        check_files: Also check that the files it names exist.

    Returns:
        The config with defaults filled in and every path absolute.

    Raises:
        ConfigError: Listing every problem found, each with its line.
    """
    path = Path(path)
    raw, root = _read_yaml(path)
    if isinstance(raw.get("platform"), str) and canonical_platform(raw["platform"]) in PLATFORMS:
        raw["platform"] = canonical_platform(raw["platform"])  # mgi, BGISEQ → DNBSEQ
    problems = schema_problems(raw, root)
    if problems:
        raise ConfigError(f"{path}: the config is not valid", problems)
    resolved = _merge(DEFAULTS, raw)
    resolved["calling"]["min_qual"] = min_qual_of(resolved["calling"])
    _resolve_paths(resolved, path.resolve().parent)
    if check_files:
        problems = _file_problems(resolved, root)
        if problems:
            raise ConfigError(f"{path}: the config names files that cannot be used", problems)
    return resolved


def config_sha256(config: Mapping[str, Any]) -> str:
    """A stable hash of the analysis a resolved config asks for.

    Key order does not matter, and neither does ``output_dir``: the same
    analysis written elsewhere has the same hash.
    """
    return _sha256_json({k: v for k, v in config.items() if k not in ("output_dir", "cluster")})


def _sha256_json(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


# The config sections each stage's outputs depend on: a stage reruns when its own
# sections change and no other, so a QC threshold or tier rule never re-calls
# variants. Dotted names pick one key of a section (the lab's id is in every VCF
# header; its name is only printed on reports).
STAGE_SECTIONS: dict[str, tuple[str, ...]] = {
    "trimming": ("trimming",),
    "alignment": ("alignment",),
    "calling": ("lab.id", "reference", "targets", "calling"),
    # The variant table marks incidental findings as the report lists them.
    "annotation": ("reference", "annotation", "report.incidental_in_tier1"),
    # The sex check reads the build and PAR table (and the sheet's sex, a rule param).
    "sex": ("reference",),
}


def stage_config_sha256(config: Mapping[str, Any], stage: str) -> str:
    """A stable hash of only the config sections one stage depends on.

    Stages are the keys of :data:`STAGE_SECTIONS`. Reports and the manifest show
    the whole config's hash (:func:`config_sha256`), so they take that instead.
    """
    picked: dict[str, Any] = {}
    for name in STAGE_SECTIONS[stage]:
        section, _, key = name.partition(".")
        value = config.get(section)
        picked[name] = value.get(key) if key and isinstance(value, Mapping) else value
    return _sha256_json(picked)


def schema_problems(raw: Any, root: yaml.Node | None = None) -> list[str]:
    """Every schema violation of a parsed config, as readable lines.

    Args:
        raw: The parsed YAML document.
        root: Its YAML node tree, used to name lines; optional.
    """
    import jsonschema  # deferred: only validation needs it

    schema = config_schema()
    validator = jsonschema.Draft202012Validator(schema)
    problems: list[str] = []
    for error in sorted(validator.iter_errors(raw), key=lambda e: list(map(str, e.path))):
        where = ".".join(str(p) for p in error.path) or "(top level)"
        line = _line_of(root, list(error.path))
        prefix = f"line {line}: " if line else ""
        if error.validator == "additionalProperties":
            allowed = sorted(_subschema(schema, list(error.path)).get("properties", {}))
            for key in sorted(set(error.instance) - set(allowed)):
                key_line = _line_of(root, [*error.path, key], key_itself=True) or line
                scope = f" in '{where}'" if error.path else ""
                prefix_k = f"line {key_line}: " if key_line else ""
                message = unknown_name(
                    "key", str(key), allowed, listed_as="valid keys", scope=scope
                )
                problems.append(f"{prefix_k}{message}")
        elif error.validator == "required":
            problems.append(f"{prefix}'{where}': {error.message}")
        elif error.validator == "enum":
            options = ", ".join(map(str, error.validator_value))
            problems.append(f"{prefix}'{where}': {error.instance!r} is not one of {options}")
        elif error.validator == "pattern" and where == "lab.id":
            problems.append(
                f"{prefix}'lab.id': {error.instance!r} may only use letters, digits, '-', '_', '.'"
            )
        else:
            problems.append(f"{prefix}'{where}': {error.message}")
    return problems + _timezone_problems(raw, root)


def _timezone_problems(raw: Any, root: yaml.Node | None) -> list[str]:
    """report.timezone must be a zone zoneinfo knows (found now, not after the run)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    report = raw.get("report") if isinstance(raw, dict) else None
    name = report.get("timezone") if isinstance(report, dict) else None
    if not isinstance(name, str) or not name:
        return []
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        line = _line_of(root, ["report", "timezone"])
        prefix = f"line {line}: " if line else ""
        return [
            f"{prefix}'report.timezone': unknown time zone {name!r}; use an IANA name such as "
            "'Asia/Karachi' or 'UTC'"
        ]
    return []


def _read_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    try:
        # utf-8-sig: editors on Windows save UTF-8 with a byte-order mark.
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(
            f"config file {path} does not exist; copy config/labs/example-lab.yaml and edit it"
        ) from None
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"config file {path} is not UTF-8 text (byte {exc.start}): save it as UTF-8"
        ) from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        if "'\\t'" in problem:  # PyYAML's words for a tab do not say what to do
            problem += "; that is a tab character: YAML needs spaces there, replace it with spaces"
        raise ConfigError(f"{path}{where}: not valid YAML ({problem})") from None
    repeated = duplicate_key_problems(root)
    if repeated:
        raise ConfigError(f"{path}: a key is given twice", repeated)
    if raw is None:
        raise ConfigError(f"{path}: the config is empty")
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the config must be a mapping of keys to values")
    return raw, root


def duplicate_key_problems(root: yaml.Node | None) -> list[str]:
    """Keys given twice in one mapping of a YAML document, with both lines.

    YAML loaders keep the last value silently; a lab that pasted a block twice
    would run with settings it did not mean.
    """
    problems: list[str] = []
    nodes = [root] if root is not None else []
    seen: set[int] = set()  # an alias repeats a node: check it once
    while nodes:
        node = nodes.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict[str, int] = {}
            for key_node, value_node in node.value:
                line = key_node.start_mark.line + 1
                key = str(key_node.value)
                if key in first:
                    problems.append(
                        f"line {line}: key '{key}' is given again (first on line {first[key]});"
                        " only one value can hold: remove one of them"
                    )
                else:
                    first[key] = line
                nodes.append(value_node)
        elif isinstance(node, yaml.SequenceNode):
            nodes.extend(node.value)
    return sorted(problems, key=lambda p: int(p.split()[1].rstrip(":")))


def _line_of(root: yaml.Node | None, keys: list[Any], key_itself: bool = False) -> int | None:
    """The 1-based line of the value (or key) at ``keys`` in a YAML node tree."""
    node = root
    line = None
    for i, key in enumerate(keys):
        if isinstance(node, yaml.MappingNode):
            for k_node, v_node in node.value:
                if k_node.value == str(key):
                    last = i == len(keys) - 1
                    line = (k_node if key_itself and last else v_node).start_mark.line + 1
                    node = v_node
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            return line
    if not keys and node is not None:
        return None
    return line


def _subschema(schema: dict[str, Any], path: list[Any]) -> dict[str, Any]:
    node = schema
    for key in path:
        if isinstance(key, int):
            node = node.get("items", {})
        else:
            node = node.get("properties", {}).get(key, {})
    return node


def min_qual_of(calling: Mapping[str, Any]) -> dict[str, float]:
    """``calling.min_qual`` as ``{snv, indel}``: the caller's default when unset, one
    number for both, or the keys given with the caller's default for the other."""
    value = calling.get("min_qual")
    defaults = CALLER_MIN_QUAL[calling.get("caller", "bcftools")]
    if value is None:
        return dict(defaults)
    if isinstance(value, int | float):
        return {"snv": float(value), "indel": float(value)}
    return {kind: float(value.get(kind, defaults[kind])) for kind in defaults}


def _merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _resolve_paths(config: dict[str, Any], base: Path) -> None:
    for keys in _PATH_KEYS:
        holder = config
        for key in keys[:-1]:
            holder = holder.setdefault(key, {})
        value = holder.get(keys[-1])
        if value:
            holder[keys[-1]] = str((base / Path(value).expanduser()).resolve())


def _file_problems(config: dict[str, Any], root: yaml.Node | None) -> list[str]:
    problems = []
    checks = [
        (("reference", "fasta"), "reference FASTA"),
        (("reference", "par_regions"), "PAR table"),
        (("targets",), "targets BED"),
        (("samples",), "sample sheet"),
        (("annotation", "gff3"), "annotation GFF3"),
    ]
    for keys, what in checks:
        value: Any = config
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        if not value:
            continue
        path = Path(value)
        line = _line_of(root, list(keys))
        prefix = f"line {line}: " if line else ""
        dotted = ".".join(keys)
        if not path.exists():
            problems.append(f"{prefix}'{dotted}': {what} {path} does not exist")
        elif not path.is_file():
            problems.append(f"{prefix}'{dotted}': {what} {path} is not a file")
        else:
            try:
                with path.open("rb") as handle:
                    handle.read(1)
            except OSError as exc:
                problems.append(
                    f"{prefix}'{dotted}': {what} {path} cannot be read ({exc.strerror})"
                )
    return problems
