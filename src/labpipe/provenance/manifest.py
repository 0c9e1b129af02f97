"""The run manifest: everything needed to say where a result came from.

``results/run_manifest.json`` records the labpipe version, the resolved config
and its hash, the version of every tool the workflow ran (as each rule's own
environment had it, :func:`labpipe.core.tools.recorded_tool_versions`), every Python
package's version and whether they are the set pinned in ``requirements.lock``, the
sha256 of every input file and of the main outputs, and when the run started and
ended. Every path is taken from the output folder it is given, never from the
working directory.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import platform
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from labpipe import __version__
from labpipe.config.lab import LabConfig
from labpipe.config.samplesheet import Unit
from labpipe.config.settings import STAGE_SECTIONS, config_sha256, stage_config_sha256
from labpipe.core import layout
from labpipe.core.atomic import write_text_atomic
from labpipe.core.checksums import sha256_file
from labpipe.core.errors import InstallError
from labpipe.core.tools import recorded_tool_versions
from labpipe.provenance.lockcheck import compare, installed_distributions, read_lock
from labpipe.provenance.no_result import read_no_result

# 2: "tools" lists the tools the rules ran, each with the rules and paths ("runs").
MANIFEST_SCHEMA_VERSION = 2
_HASHED_OUTPUT_SUFFIXES = (".vcf.gz", ".tsv", ".html", ".txt", ".json", ".bed")


def content_sha256(paths: list[Path], outdir: Path) -> str:
    """One sha256 over the contents of ``paths``, for a rule param that changes with them.

    The workflow reads inputs such as the targets BED through ``ancient()``, so a
    touched file reruns nothing; a rule also taking this digest as a param reruns
    when the content changes (Snakemake's ``params`` trigger), and only then. Hashes
    are cached by size and mtime in the checksum cache of the run in ``outdir``,
    shared with the manifest.
    """
    cache_path = outdir / layout.CHECKSUM_CACHE
    cache = _read_cache(cache_path)
    digests = [sha256_file(Path(p), cache) for p in paths]
    with contextlib.suppress(OSError):  # only a cache: a read-only outdir is reported elsewhere
        _write_json(cache_path, cache)
    return hashlib.sha256("".join(digests).encode()).hexdigest() if digests else ""


def input_files(config_path: Path, config: LabConfig, units: list[Unit]) -> dict[str, Path]:
    """Every input file of a run, keyed by the role it plays."""
    files: dict[str, Path] = {
        "config": config_path.resolve(),
        "sample_sheet": config.samples,
    }
    files["reference_fasta"] = config.reference.fasta
    if config.targets is not None:
        files["targets_bed"] = config.targets
    from labpipe.annotation.annotate import AnnotationSettings

    settings = AnnotationSettings.from_config(config)
    for role, path in settings.source_files().items():
        files[f"annotation:{role}"] = path
    for unit in units:
        files[f"fastq:{unit.sample}.{unit.unit}.R1"] = unit.fq1
        files[f"fastq:{unit.sample}.{unit.unit}.R2"] = unit.fq2
    return files


def _read_cache(path: Path) -> dict[str, Any]:
    try:
        cache = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return {}
    return cache if isinstance(cache, dict) else {}


def input_checksums(
    config_path: Path, config: LabConfig, units: list[Unit], outdir: Path
) -> dict[str, dict[str, Any]]:
    """Path, sha256 and size of every input file, by role.

    Checksums are cached in the run's ``.labpipe/checksums.json`` by size and mtime,
    so the workflow can hash the inputs early, while alignment runs, and the
    manifest at the end of the run only looks them up.
    """
    cache_path = outdir / layout.CHECKSUM_CACHE
    cache = _read_cache(cache_path)
    inputs = {
        role: {"path": str(path), "sha256": sha256_file(path, cache), "bytes": path.stat().st_size}
        for role, path in input_files(config_path, config, units).items()
    }
    _write_json(cache_path, cache)
    return inputs


def write_manifest(
    config_path: Path,
    config: LabConfig,
    units: list[Unit],
    outdir: Path,
    out: Path,
    families: Mapping[str, tuple[str, ...]] | None = None,
) -> dict[str, Any]:
    """Write the run manifest atomically and return it.

    Args:
        config_path: The lab config file the run was started with.
        config: The resolved config.
        units: The sample sheet's units.
        outdir: The run's output folder: outputs are listed relative to it.
        out: Where to write, normally ``results/run_manifest.json`` in ``outdir``.
        families: The families called jointly and their members
            (:meth:`labpipe.config.pedigree.Pedigree.joint_families`).
    """
    inputs = input_checksums(config_path, config, units, outdir)
    outputs = {
        path.relative_to(outdir).as_posix(): sha256_file(path)
        for path in sorted((outdir / layout.RESULTS).rglob("*"))
        if path.is_file()
        and path.resolve() != out.resolve()
        and path.name.endswith(_HASHED_OUTPUT_SUFFIXES)
    }
    packages = installed_distributions()
    state: dict[str, Any] = {}
    run_state = outdir / layout.RUN_STATE
    if run_state.exists():
        state = json.loads(run_state.read_text())
    manifest = {
        "schema_version": MANIFEST_SCHEMA_VERSION,
        "labpipe_version": __version__,
        "started": state.get("started"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": state.get("command"),
        "cores": state.get("cores"),
        "config_file": str(config_path.resolve()),
        "config_sha256": config_sha256(config),
        # What each stage's outputs depend on, as VCF headers record it for calling.
        "stage_config_sha256": {
            stage: stage_config_sha256(config, stage) for stage in STAGE_SECTIONS
        },
        "config": config.document,
        "samples": sorted({u.sample for u in units}),
        # Samples of the sheet that failed in this run, with the step and log (no results).
        "no_result": read_no_result(outdir),
        # Families called jointly: their VCF (a multi-sample call of the members, in this
        # order) and the members, whose own VCFs are cut from it.
        "families": {
            family: {"vcf": layout.family_vcf(family), "samples": list(members)}
            for family, members in (families or {}).items()
        },
        "read_groups": [u.read_group().replace("\\t", "\t") for u in units],
        # The tools the rules ran, as each rule's own environment had them: under
        # --use-conda the conda environments' tools, not those on labpipe's PATH.
        "tools": recorded_tool_versions(outdir),
        "python": {"version": platform.python_version(), "executable": sys.executable},
        # Every distribution this Python imports from, and how it compares with the lock.
        "python_packages": packages,
        "python_lock": _python_lock_summary(packages),
        "inputs": inputs,
        "outputs": outputs,
    }
    _write_json(out, manifest)
    return manifest


def _python_lock_summary(packages: dict[str, str]) -> dict[str, Any]:
    try:
        return compare(read_lock(), packages, platform.python_version()).summary()
    except InstallError as exc:
        return {"file": None, "matches": None, "problem": exc.render()}


def _write_json(path: Path, data: Any) -> None:
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=False) + "\n")
