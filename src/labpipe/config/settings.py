"""Load, validate and resolve a lab's YAML config.

One strict JSON schema (``schemas/config.schema.json``) serves ``labpipe
validate``, ``labpipe run`` and the Snakefile, and holds every key and default.
Problems are collected and reported together, each with the line of the config
it concerns; an unknown key suggests the nearest valid one. :func:`load_config`
is the one loader: it returns the typed, frozen :class:`labpipe.config.lab.LabConfig`
with every path resolved, which the package and the workflow read.

A new key: add it to the schema with its ``default`` and a field of the same name
to its section in :mod:`labpipe.config.lab` (a test fails until both exist). Over 400 lines
because loading and its checks (schema, YAML lines, duplicate keys, files) feed one list of
problems, reported together.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from labpipe.config.lab import LabConfig, build_lab_config
from labpipe.config.platform import PLATFORMS, canonical_platform
from labpipe.core.errors import ConfigError
from labpipe.core.i18n import _
from labpipe.core.suggest import unknown_name

#: Default LowQual thresholds (QUAL below: filtered) per caller and variant type. bcftools
#: needs none once its other filters apply; freebayes reports hundreds of QUAL < 1 false
#: SNVs at low depth, while its true indels there also have low QUAL.
CALLER_MIN_QUAL: dict[str, dict[str, float]] = {
    "bcftools": {"snv": 0.0, "indel": 0.0},
    "freebayes": {"snv": 1.0, "indel": 0.0},
}

# Paths the config hashes hold resolved, as they always have (annotation sources are
# hashed as written): the same config keeps the same hashes, so nothing re-runs.
_HASHED_PATHS: tuple[tuple[str, ...], ...] = (
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


def schema_defaults(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The ``default`` of every key of an object schema, sections nested; keys without
    one are left out (required, or absent until a lab sets them)."""
    defaults: dict[str, Any] = {}
    for key, node in schema.get("properties", {}).items():
        if "default" in node:
            defaults[key] = copy.deepcopy(node["default"])
        elif "properties" in node:
            section = schema_defaults(node)
            if section:
                defaults[key] = section
    return defaults


#: Every key's default: the schema is their one source (``"default"`` on each key).
DEFAULTS: dict[str, Any] = schema_defaults(config_schema())


def load_config(path: Path, check_files: bool = True, output_dir: Path | None = None) -> LabConfig:
    """Read, validate and resolve a lab config: the one loader.

    Args:
        path: The YAML file.
        check_files: Also check that the files it names exist.
        output_dir: Where results go instead of the config's ``output_dir``.

    Returns:
        The typed config, defaults filled in and every path absolute.

    Raises:
        ConfigError: Listing every problem found, each with its line.
    """
    path = Path(path)
    raw, root = _read_yaml(path)
    lab = config_from_mapping(raw, path, root)
    if output_dir is not None:
        folder = Path(output_dir).resolve()
        lab = replace(lab, output_dir=folder, document={**lab.document, "output_dir": str(folder)})
    if check_files:
        problems = _file_problems(lab, root)
        if problems:
            raise ConfigError(
                _("%(path)s: the config names files that cannot be used") % {"path": path}, problems
            )
    return lab


def config_from_mapping(
    raw: Mapping[str, Any], path: Path, root: yaml.Node | None = None
) -> LabConfig:
    """The typed config of a parsed YAML document (files are not checked).

    Args:
        raw: The parsed document.
        path: The config file it stands for; relative paths are taken from its folder.
        root: Its YAML node tree, to name lines in problems; optional.

    Raises:
        ConfigError: Listing every schema problem.
    """
    raw = dict(raw)
    if isinstance(raw.get("platform"), str) and canonical_platform(raw["platform"]) in PLATFORMS:
        raw["platform"] = canonical_platform(raw["platform"])  # mgi, BGISEQ → DNBSEQ
    problems = schema_problems(raw, root)
    if problems:
        raise ConfigError(_("%(path)s: the config is not valid") % {"path": path}, problems)
    document = _merge(DEFAULTS, raw)
    document["calling"]["min_qual"] = min_qual_of(document["calling"])
    lab = build_lab_config(document, path)
    for keys in _HASHED_PATHS:
        value: Any = lab
        for key in keys:
            value = getattr(value, key)
        if value is not None:
            holder = document
            for key in keys[:-1]:
                holder = holder[key]
            holder[keys[-1]] = str(value)
    return lab


def config_sha256(lab: LabConfig) -> str:
    """A stable hash of the analysis a config asks for.

    Key order does not matter, and neither does ``output_dir``: the same
    analysis written elsewhere has the same hash. Nor does a key added since that is
    left at its null default (:data:`_NEW_NULL_KEYS`): an unchanged config keeps its hash.
    """
    document = lab.document
    return _sha256_json(
        {
            k: v
            for k, v in document.items()
            if k not in ("output_dir", "cluster") and not (k in _NEW_NULL_KEYS and v is None)
        }
    )


#: Top-level keys added after configs were in use whose null default asks for nothing new.
_NEW_NULL_KEYS = ("pedigree",)


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


def stage_config_sha256(lab: LabConfig, stage: str) -> str:
    """A stable hash of only the config sections one stage depends on.

    Stages are the keys of :data:`STAGE_SECTIONS`. Reports and the manifest show
    the whole config's hash (:func:`config_sha256`), so they take that instead.
    """
    picked: dict[str, Any] = {}
    for name in STAGE_SECTIONS[stage]:
        section, _, key = name.partition(".")
        value = lab.document.get(section)
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
            _("config file %(path)s does not exist; copy config/labs/example-lab.yaml and edit it")
            % {"path": path}
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


def _file_problems(lab: LabConfig, root: yaml.Node | None) -> list[str]:
    problems = []
    checks = [
        (("reference", "fasta"), lab.reference.fasta, "reference FASTA"),
        (("reference", "par_regions"), lab.reference.par_regions, "PAR table"),
        (("targets",), lab.targets, "targets BED"),
        (("samples",), lab.samples, "sample sheet"),
        (("pedigree",), lab.pedigree, "PED file"),
        (("annotation", "gff3"), lab.annotation.gff3, "annotation GFF3"),
    ]
    for keys, path, what in checks:
        if path is None:
            continue
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
