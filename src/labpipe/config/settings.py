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
from labpipe.core.errors import ConfigError, on_line
from labpipe.core.i18n import N_, _
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
        where = ".".join(str(p) for p in error.path) or _("(top level)")
        line = _line_of(root, list(error.path))
        if error.validator == "additionalProperties":
            allowed = sorted(_subschema(schema, list(error.path)).get("properties", {}))
            for key in sorted(set(error.instance) - set(allowed)):
                key_line = _line_of(root, [*error.path, key], key_itself=True) or line
                scope = _(" in '%(section)s'") % {"section": where} if error.path else ""
                message = unknown_name(
                    _("key"), str(key), allowed, listed_as=_("valid keys"), scope=scope
                )
                problems.append(on_line(key_line, message))
        else:
            problems.append(on_line(line, f"'{where}': {_schema_message(error)}"))
    return problems + _timezone_problems(raw, root)


#: JSON schema types as a problem names them (the English is jsonschema's own word).
_TYPE_WORDS = {
    "integer": N_("'integer'"),
    "number": N_("'number'"),
    "string": N_("'string'"),
    "boolean": N_("'boolean'"),
    "array": N_("'array'"),
    "object": N_("'object'"),
    "null": N_("'null'"),
}


def _schema_message(error: Any) -> str:
    """What a schema violation means, in the current language (English: jsonschema's words).

    The validators a lab's config meets are worded here; any other keeps jsonschema's
    English message.
    """
    value = repr(error.instance)
    limit = error.validator_value
    if error.validator == "required":
        missing = [k for k in limit if k not in error.instance]
        key = next((k for k in missing if repr(k) in error.message), missing[0])
        return _("%(key)s is a required property") % {"key": repr(key)}
    if error.validator == "enum":
        options = ", ".join(map(str, limit))
        return _("%(value)s is not one of %(options)s") % {"value": value, "options": options}
    if error.validator == "pattern" and list(error.path) == ["lab", "id"]:
        return _("%(value)s may only use letters, digits, '-', '_', '.'") % {"value": value}
    if error.validator == "type":
        kinds = [limit] if isinstance(limit, str) else list(limit)
        words = ", ".join(_(_TYPE_WORDS[k]) if k in _TYPE_WORDS else repr(k) for k in kinds)
        return _("%(value)s is not of type %(kind)s") % {"value": value, "kind": words}
    bounds = {
        "minimum": N_("%(value)s is less than the minimum of %(limit)s"),
        "maximum": N_("%(value)s is greater than the maximum of %(limit)s"),
        "exclusiveMinimum": N_("%(value)s is less than or equal to the minimum of %(limit)s"),
        "exclusiveMaximum": N_("%(value)s is greater than or equal to the maximum of %(limit)s"),
    }
    if error.validator in bounds:
        return _(bounds[error.validator]) % {"value": value, "limit": limit}
    if error.validator in ("minLength", "minItems") and limit == 1:
        return _("%(value)s should be non-empty") % {"value": value}
    if error.validator == "uniqueItems":
        return _("%(value)s has non-unique elements") % {"value": value}
    return str(error.message)


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
        message = _(
            "%(key)s: unknown time zone %(name)s; use an IANA name such as 'Asia/Karachi' or 'UTC'"
        )
        return [on_line(line, message % {"key": "'report.timezone'", "name": repr(name)})]
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
        raise ConfigError(
            _("config file %(path)s cannot be read: %(why)s") % {"path": path, "why": exc.strerror}
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            _("config file %(path)s is not UTF-8 text (byte %(byte)s): save it as UTF-8")
            % {"path": path, "byte": exc.start}
        ) from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)  # PyYAML's own words (English)
        if "'\\t'" in problem:  # PyYAML's words for a tab do not say what to do
            problem += _(
                "; that is a tab character: YAML needs spaces there, replace it with spaces"
            )
        values = {"path": path, "problem": problem}
        if mark is not None:
            message = _("%(path)s line %(line)s: not valid YAML (%(problem)s)")
            values["line"] = mark.line + 1
        else:
            message = _("%(path)s: not valid YAML (%(problem)s)")
        raise ConfigError(message % values) from None
    repeated = duplicate_key_problems(root)
    if repeated:
        raise ConfigError(_("%(path)s: a key is given twice") % {"path": path}, repeated)
    if raw is None:
        raise ConfigError(_("%(path)s: the config is empty") % {"path": path})
    if not isinstance(raw, dict):
        raise ConfigError(
            _("%(path)s: the config must be a mapping of keys to values") % {"path": path}
        )
    return raw, root


def duplicate_key_problems(root: yaml.Node | None) -> list[str]:
    """Keys given twice in one mapping of a YAML document, with both lines.

    YAML loaders keep the last value silently; a lab that pasted a block twice
    would run with settings it did not mean.
    """
    problems: list[tuple[int, str]] = []
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
                    again = _(
                        "key '%(key)s' is given again (first on line %(first)s); only one value"
                        " can hold: remove one of them"
                    )
                    problems.append(
                        (line, on_line(line, again % {"key": key, "first": first[key]}))
                    )
                else:
                    first[key] = line
                nodes.append(value_node)
        elif isinstance(node, yaml.SequenceNode):
            nodes.extend(node.value)
    return [problem for _line, problem in sorted(problems, key=lambda p: p[0])]


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
        (("reference", "fasta"), lab.reference.fasta, N_("reference FASTA")),
        (("reference", "par_regions"), lab.reference.par_regions, N_("PAR table")),
        (("targets",), lab.targets, N_("targets BED")),
        (("samples",), lab.samples, N_("sample sheet")),
        (("pedigree",), lab.pedigree, N_("PED file")),
        (("annotation", "gff3"), lab.annotation.gff3, N_("annotation GFF3")),
    ]
    for keys, path, what in checks:
        if path is None:
            continue
        values = {"key": ".".join(keys), "what": _(what), "path": path}
        if not path.exists():
            message = _("'%(key)s': %(what)s %(path)s does not exist") % values
        elif not path.is_file():
            message = _("'%(key)s': %(what)s %(path)s is not a file") % values
        else:
            try:
                with path.open("rb") as handle:
                    handle.read(1)
                continue
            except OSError as exc:
                message = _("'%(key)s': %(what)s %(path)s cannot be read (%(why)s)") % {
                    **values,
                    "why": exc.strerror,
                }
        problems.append(on_line(_line_of(root, list(keys)), message))
    return problems
