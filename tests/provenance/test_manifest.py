"""The run manifest reads the output folder it is given, whatever the working directory."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from labpipe.config.samplesheet import load_sample_sheet
from labpipe.config.settings import load_config
from labpipe.core import layout
from labpipe.provenance.manifest import write_manifest


def test_manifest_does_not_depend_on_the_working_directory(
    lab: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    outdir = tmp_path_factory.mktemp("run")
    vcf = layout.in_outdir(outdir, layout.VCF, sample="S1")
    vcf.parent.mkdir(parents=True)
    vcf.write_bytes(b"calls")
    (outdir / layout.STATE_DIR).mkdir()
    (outdir / layout.RUN_STATE).write_text(json.dumps({"started": "2026-12-07T10:00:00+00:00"}))
    versions = outdir / layout.TOOL_VERSIONS_DIR / "bcftools_stats.json"
    versions.parent.mkdir()
    versions.write_text(json.dumps({"bcftools": {"version": "1.21", "path": "/env/bcftools"}}))
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    monkeypatch.chdir(elsewhere)

    config = load_config(lab / "lab.yaml")
    units = load_sample_sheet(config.samples, config.platform)
    manifest = write_manifest(lab / "lab.yaml", config, units, outdir, outdir / layout.MANIFEST)

    assert manifest["outputs"] == {"results/vcf/S1.vcf.gz": hashlib.sha256(b"calls").hexdigest()}
    assert manifest["started"] == "2026-12-07T10:00:00+00:00"
    assert manifest["tools"]["bcftools"]["version"] == "1.21"
    assert manifest["tools"]["bcftools"]["runs"][0]["rules"] == ["bcftools_stats"]
    # The Python side is recorded beside the tools: every package, compared with the lock.
    assert "pyyaml" in {name.lower() for name in manifest["python_packages"]}
    assert "matches" in manifest["python_lock"]
    assert json.loads((outdir / layout.MANIFEST).read_text()) == manifest
    # The checksum cache is the run's, not the working directory's.
    assert (outdir / layout.CHECKSUM_CACHE).exists()
    assert list(elsewhere.iterdir()) == []
