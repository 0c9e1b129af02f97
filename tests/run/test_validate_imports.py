"""`labpipe validate` and `--help` stay quick: no VCF library and no Snakemake loaded."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.paths import REPO, TEST_DATA

# cyvcf2 alone takes about 0.3 s to import; Snakemake longer.
HEAVY = ("cyvcf2", "pysam", "snakemake", "numpy")

_RUN = """
import json, sys
from labpipe.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


def loaded_after(*args: str) -> tuple[list[str], str]:
    """The heavy modules a fresh Python loaded running ``labpipe ARGS``; its stdout + stderr."""
    done = subprocess.run(
        [sys.executable, "-c", _RUN.format(heavy=HEAVY), *args],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    *output, last = done.stdout.splitlines()
    loaded: list[str] = json.loads(last)
    return loaded, "\n".join([*output, done.stderr])


def plain_config(tmp_path: Path) -> Path:
    """The demo's inputs without annotation sources."""
    config = tmp_path / "lab.yaml"
    config.write_text(
        "lab: {name: Lab, id: lab}\n"
        f"reference: {{fasta: {TEST_DATA / 'reference.fa'}}}\n"
        f"targets: {TEST_DATA / 'targets.bed'}\n"
        f"samples: {TEST_DATA / 'samples.tsv'}\n"
        f"output_dir: {tmp_path / 'out'}\n"
    )
    return config


def test_help_loads_nothing_heavy() -> None:
    loaded, output = loaded_after("--help")
    assert loaded == [] and "validate" in output


def test_validate_loads_no_vcf_library_or_snakemake(tmp_path: Path) -> None:
    loaded, output = loaded_after("validate", str(plain_config(tmp_path)))
    assert loaded == [] and ": valid — 2 sample(s)" in output


def sources_config(tmp_path: Path, population_field: str = "AF_sas") -> Path:
    """The demo's config (a ClinVar and a population AF source) with absolute paths."""
    text = (REPO / "config" / "demo.yaml").read_text()
    text = text.replace("../test_data/", f"{TEST_DATA}/").replace("../demo-run", str(tmp_path))
    config = tmp_path / "demo.yaml"
    config.write_text(
        text.replace("population_field: AF_sas", f"population_field: {population_field}")
    )
    return config


def test_validate_reads_annotation_sources_without_a_vcf_library(tmp_path: Path) -> None:
    # ClinVar and population VCFs are read through with bcftools, not pysam or cyvcf2.
    loaded, output = loaded_after("validate", str(sources_config(tmp_path)))
    assert loaded == [] and ": valid — 2 sample(s)" in output


def test_a_source_problem_is_found_without_a_vcf_library(tmp_path: Path) -> None:
    # The header really was read (by bcftools): a misspelt field is named, with the fix.
    loaded, output = loaded_after("validate", str(sources_config(tmp_path, "AF_SAS")))
    assert loaded == []
    assert (
        f"'annotation.population_af[0].population_field': {TEST_DATA / 'population_af.vcf.gz'}"
        " has no INFO/AF_SAS; did you mean AF_sas" in output
    )
