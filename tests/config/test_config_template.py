"""Every key the schema has is visible in example-lab.yaml and in the config init writes.

The class of problem: a setting a lab cannot discover (issue 10: an init-written
config with no annotation section gave reports without ClinVar and nothing
looked wrong). Each schema key must appear, either set or as a commented line
that, uncommented, is a valid setting; and the init-written config must validate.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from labpipe.config.settings import config_schema, schema_problems
from labpipe.config.template import example_config
from tests.builders import run_cli
from tests.paths import REPO

EXAMPLE = REPO / "config" / "labs" / "example-lab.yaml"


def schema_paths(
    node: Mapping[str, Any], prefix: tuple[str, ...] = ()
) -> Iterator[tuple[str, ...]]:
    """Every key path of the schema; ``[]`` stands for the items of a list."""
    for key, sub in node.get("properties", {}).items():
        path = (*prefix, key)
        yield path
        yield from schema_paths(sub, path)
        items = sub.get("items", {})
        if "properties" in items:
            yield from schema_paths(items, (*path, "[]"))


ALL_KEYS = {part for path in schema_paths(config_schema()) for part in path if part != "[]"}
# A commented-out setting: '# ' then (after indentation) a schema key and ':'.
OFF = re.compile(
    r"^(?P<indent>\s*)# (?P<setting>\s*(?:- )?(?P<key>[A-Za-z_][A-Za-z0-9_]*):(?: |$).*)$"
)


def switch_everything_on(text: str) -> str:
    """Remove the first '# ' of each commented-out setting, as a lab would to set it."""
    lines = []
    for line in text.splitlines():
        match = OFF.match(line)
        if match and match["key"] in ALL_KEYS:
            line = match["indent"] + match["setting"]
        lines.append(line)
    return "\n".join(lines) + "\n"


def has_path(document: Any, path: tuple[str, ...]) -> bool:
    node = document
    for part in path:
        if part == "[]":
            if not isinstance(node, list) or not node:
                return False
            node = node[0]
        elif isinstance(node, Mapping) and part in node:
            node = node[part]
        else:
            return False
    return True


def assert_every_key_discoverable(text: str) -> None:
    assert schema_problems(yaml.safe_load(text)) == []
    switched = yaml.safe_load(switch_everything_on(text))
    assert schema_problems(switched) == [], "uncommented settings must be valid"
    missing = [".".join(p) for p in schema_paths(config_schema()) if not has_path(switched, p)]
    assert missing == []


def test_example_lab_is_the_template_output() -> None:
    assert EXAMPLE.read_text() == example_config(), (
        "the schema changed: regenerate the example with"
        " `python -m labpipe.config.template > config/labs/example-lab.yaml`"
    )


def test_example_lab_shows_every_key() -> None:
    assert_every_key_discoverable(EXAMPLE.read_text())


def test_every_key_has_a_default_or_an_example(monkeypatch: pytest.MonkeyPatch) -> None:
    import labpipe.config.template as template

    assert template.keys_without_value() == []
    # A key added to the schema without one is named here, and still shown in the config.
    schema = config_schema()
    schema["properties"]["reference"]["properties"]["checksum"] = {"type": "string"}
    monkeypatch.setattr(template, "config_schema", lambda: schema)
    assert template.keys_without_value() == ["reference.checksum"]
    assert "  # checksum: null\n" in template.example_config()


@pytest.fixture
def run_folder(tmp_path: Path) -> Path:
    from labpipe.core.resources import demo_data_dir

    run = tmp_path / "V350012345" / "L02"
    run.mkdir(parents=True)
    for name in sorted((demo_data_dir() / "reads").glob("V350*")):
        (run / name.name).write_bytes(name.read_bytes())
    return tmp_path / "V350012345"


def test_init_with_annotation_flags_writes_every_key_and_validates(
    tmp_path: Path, run_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from labpipe.core.resources import demo_data_dir

    data = demo_data_dir()
    out = tmp_path / "lab"
    code, stdout, err = run_cli(
        [
            "init",
            "--fastq-dir", str(run_folder),
            "--reference", str(data / "reference.fa"),
            "--targets", str(data / "targets.bed"),
            "--lab", "Demo Hospital Lab",
            "--outdir", str(out),
            "--build", "synthetic-demo",
            "--gff3", str(data / "genes.gff3"),
            "--clinvar", str(data / "clinvar.vcf.gz"),
            "--population-af", str(data / "population_af.vcf.gz"),
            "--population-af-field", "AF",
            "--population-af-population-field", "AF_sas",
            "--population-af-population", "South Asian",
            "--population-af-name", "Demo AFs",
            "--panel", str(data / "panel_genes.txt"),
        ],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    text = (out / "config.yaml").read_text()
    assert_every_key_discoverable(text)
    written = yaml.safe_load(text)
    assert written["reference"]["build"] == "synthetic-demo"
    assert written["annotation"] == {
        "gff3": str(data / "genes.gff3"),
        "clinvar": str(data / "clinvar.vcf.gz"),
        "population_af": [
            {
                "id": "population",
                "name": "Demo AFs",
                "vcf": str(data / "population_af.vcf.gz"),
                "population": "South Asian",
                "population_field": "AF_sas",
                "global_field": "AF",
            }
        ],
        "panels": [{"name": "panel_genes", "file": str(data / "panel_genes.txt")}],
    }
    code, stdout, err = run_cli(["validate", str(out / "config.yaml")], capsys)
    assert code == 0, err
    assert "valid — 1 sample(s), 1 unit(s)" in stdout


def test_init_without_annotation_still_shows_every_key(
    tmp_path: Path, run_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from labpipe.core.resources import demo_data_dir

    data = demo_data_dir()
    args = ["init", "--fastq-dir", str(run_folder), "--reference", str(data / "reference.fa")]
    code, _, err = run_cli([*args, "--outdir", str(tmp_path / "lab")], capsys)
    assert code == 0, err
    text = (tmp_path / "lab" / "config.yaml").read_text()
    assert_every_key_discoverable(text)
    assert "annotation" not in yaml.safe_load(text)  # shown, but off
    assert "# annotation:" in text


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--population-af", "{data}/population_af.vcf.gz"],
            "--population-af needs the INFO field(s) to read: --population-af-field (global,"
            " e.g. AF) and/or --population-af-population-field (e.g. AF_sas)",
        ),
        (["--population-af-field", "AF"], "--population-af-* options need --population-af FILE"),
        (["--clinvar", "{data}/nowhere.vcf.gz"], "--clinvar {data}/nowhere.vcf.gz does not exist"),
    ],
)
def test_init_annotation_flag_mistakes(
    tmp_path: Path,
    run_folder: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    from labpipe.core.resources import demo_data_dir

    data = demo_data_dir()
    args = ["init", "--fastq-dir", str(run_folder), "--reference", str(data / "reference.fa")]
    extra = [e.format(data=data) for e in extra]
    code, _, err = run_cli([*args, "--outdir", str(tmp_path / "lab"), *extra], capsys)
    assert code == 2
    assert f"  - {message.format(data=data)}" in err.splitlines()
    assert not (tmp_path / "lab" / "config.yaml").exists()
