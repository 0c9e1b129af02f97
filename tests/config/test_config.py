"""Lab config loading: schema errors name the line and suggest the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from labpipe.config.lab import MinQual
from labpipe.config.settings import (
    DEFAULTS,
    config_from_mapping,
    config_sha256,
    load_config,
    stage_config_sha256,
)
from labpipe.core.errors import ConfigError
from tests.builders import MINIMAL, write_config
from tests.paths import REPO


def test_minimal_config_gets_defaults_and_absolute_paths(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, MINIMAL))
    assert config.reference.fasta == tmp_path / "ref.fa"
    assert config.samples == tmp_path / "samples.tsv"
    assert config.output_dir == tmp_path / "labpipe-output"
    assert config.document["calling"] == {
        **DEFAULTS["calling"],
        "min_qual": {"snv": 0.0, "indel": 0.0},
    }
    assert config.calling.min_depth == DEFAULTS["calling"]["min_depth"]
    assert config.targets is None


def test_unknown_key_names_line_and_nearest_key(tmp_path: Path) -> None:
    path = write_config(tmp_path, MINIMAL + "trheads: 4\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.problems == ["line 7: unknown key 'trheads'; did you mean 'threads'?"]


def test_unknown_nested_key_names_its_section(tmp_path: Path) -> None:
    path = write_config(tmp_path, MINIMAL + "calling:\n  min_qaul: 20\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.problems == [
        "line 8: unknown key 'min_qaul' in 'calling'; did you mean 'min_qual'?"
    ]


def test_all_problems_reported_together(tmp_path: Path) -> None:
    body = MINIMAL.replace("id: test-lab", "id: 'bad id'") + "platform: ilumina\nthreads: 0\n"
    with pytest.raises(ConfigError) as err:
        load_config(write_config(tmp_path, body))
    text = err.value.render()
    assert "'lab.id': 'bad id' may only use letters, digits" in text
    assert "'platform': 'ilumina' is not one of ILLUMINA, DNBSEQ" in text
    assert "'threads': 0 is less than the minimum of 1" in text
    assert len(err.value.problems) == 3


def test_missing_required_section(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(write_config(tmp_path, "lab:\n  name: X\n  id: x\nsamples: samples.tsv\n"))
    assert any("'reference' is a required property" in p for p in err.value.problems)


def test_missing_files_are_named_with_their_line(tmp_path: Path) -> None:
    body = MINIMAL + "targets: panel.bed\n"
    with pytest.raises(ConfigError) as err:
        load_config(write_config(tmp_path, body))
    assert err.value.problems == [
        f"line 7: 'targets': targets BED {tmp_path / 'panel.bed'} does not exist"
    ]


def test_config_file_missing_or_not_yaml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"does not exist; copy config/labs/example-lab\.yaml"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("lab: [unclosed\n")
    with pytest.raises(ConfigError, match=r"bad.yaml line \d+: not valid YAML"):
        load_config(bad)


def test_hash_ignores_output_dir_and_key_order(tmp_path: Path) -> None:
    path = write_config(tmp_path, MINIMAL)
    config, raw = load_config(path), yaml.safe_load(MINIMAL)
    moved = config_from_mapping(dict(reversed(list(raw.items())), output_dir="/elsewhere"), path)
    assert config_sha256(config) == config_sha256(moved)
    changed = config_from_mapping(dict(raw, threads=7), path)
    assert config_sha256(config) != config_sha256(changed)


def test_each_stage_hash_changes_only_with_its_own_sections(tmp_path: Path) -> None:
    path = write_config(tmp_path, MINIMAL)
    config, raw = load_config(path), yaml.safe_load(MINIMAL)
    stages = ("trimming", "alignment", "calling", "annotation", "sex")
    before = {stage: stage_config_sha256(config, stage) for stage in stages}

    def changed(section: str, key: str, value: object) -> set[str]:
        edited = config_from_mapping(
            dict(raw, **{section: {**raw.get(section, {}), key: value}}), path
        )
        return {s for s in stages if stage_config_sha256(edited, s) != before[s]}

    assert changed("qc", "min_reads", 1) == set()
    assert changed("report", "max_tier4_rows", 3) == set()
    assert changed("lab", "name", "Another name on the reports") == set()
    assert changed("lab", "id", "other") == {"calling"}  # in every VCF header
    assert changed("calling", "min_baseq", 30) == {"calling"}
    assert changed("trimming", "min_length", 50) == {"trimming"}
    assert changed("alignment", "aligner", "minimap2") == {"alignment"}
    assert changed("annotation", "tiers", {"max_af": 0.001}) == {"annotation"}
    # The table marks incidental findings as the report lists them.
    assert changed("report", "incidental_in_tier1", True) == {"annotation"}
    assert changed("reference", "build", "GRCh38") == {"calling", "annotation", "sex"}
    assert changed("reference", "par_regions", "par.tsv") == {"calling", "annotation", "sex"}


def test_shipped_example_and_demo_configs_pass_the_schema() -> None:
    root = REPO
    for name in ("config/labs/example-lab.yaml", "config/demo.yaml"):
        load_config(root / name, check_files=False)


@pytest.mark.parametrize(
    ("calling", "expected"),
    [
        ("", {"snv": 0.0, "indel": 0.0}),
        ("  caller: freebayes\n", {"snv": 1.0, "indel": 0.0}),
        ("  min_qual: 30\n", {"snv": 30.0, "indel": 30.0}),
        ("  caller: freebayes\n  min_qual: {indel: 5}\n", {"snv": 1.0, "indel": 5.0}),
    ],
)
def test_min_qual_is_per_caller_and_per_type(
    tmp_path: Path, calling: str, expected: dict[str, float]
) -> None:
    text = MINIMAL + ("calling:\n" + calling if calling else "")
    config = load_config(write_config(tmp_path, text))
    assert config.calling.min_qual == MinQual(**expected)
    assert config.document["calling"]["min_qual"] == expected  # what the hashes take


def test_min_qual_rejects_unknown_types(tmp_path: Path) -> None:
    path = write_config(tmp_path, MINIMAL + "calling:\n  min_qual: {snp: 5}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert any("min_qual" in p for p in caught.value.problems), caught.value.problems


def test_report_time_zone_is_checked_before_the_run(tmp_path: Path) -> None:
    path = write_config(tmp_path, MINIMAL + "report:\n  timezone: Asia/Lahore\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.problems == [
        "line 8: 'report.timezone': unknown time zone 'Asia/Lahore'; use an IANA name such as "
        "'Asia/Karachi' or 'UTC'"
    ]
    path = write_config(tmp_path, MINIMAL + "report:\n  timezone: Asia/Karachi\n")
    assert load_config(path).report.timezone == "Asia/Karachi"
