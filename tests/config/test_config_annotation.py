"""The config's annotation, qc and report sections: defaults and strict validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from labpipe.config.lab import RohConfig
from labpipe.config.settings import load_config
from labpipe.core.errors import ConfigError
from tests.builders import MINIMAL, write_config

SOURCES = """\
annotation:
  clinvar: clinvar.vcf.gz
  population_af:
    - id: gnomad
      name: gnomAD v4.1 exomes
      vcf: gnomad.vcf.bgz
      population: South Asian
      population_field: AF_sas
      global_field: AF
    - id: exac
      vcf: exac.vcf.gz
      population_field: AC_SAS/AN_SAS
  panels:
    - name: Thalassaemia v2
      file: thal.txt
      samples: [PK001]
  tiers:
    max_af: 0.005
    clinvar_min_stars: 1
  roh:
    min_length_bp: 2000000
qc:
  warn:
    min_mean_target_depth: 100
report:
  sign_off: [Scientist, Consultant]
"""


def test_sources_tiers_and_report_settings_load(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, MINIMAL + SOURCES), check_files=False)
    annotation = config.annotation
    assert annotation.population_af[1].population_field == "AC_SAS/AN_SAS"
    assert annotation.population_af[1].name is None  # the report shows the id then
    assert annotation.tiers.max_af == 0.005
    # Unset keys keep their defaults.
    assert "frameshift" in annotation.tiers.lof_consequences
    assert annotation.roh == RohConfig(
        enabled=True,
        af_default=0.4,
        min_length_bp=2000000,
        min_markers=10,
        autozygosity_min_markers=2000,
        autozygosity_min_assessed_bp=1_000_000_000,
    )
    assert config.qc.warn.min_mean_target_depth == 100
    assert config.qc.warn.min_mapped_pct == 98.0
    assert config.report.sign_off == ("Scientist", "Consultant")
    assert config.report.max_tier4_rows == 200
    # Every source path is resolved against the config's folder, here and only here.
    assert annotation.clinvar == tmp_path / "clinvar.vcf.gz"
    assert [s.vcf for s in annotation.population_af] == [
        tmp_path / "gnomad.vcf.bgz",
        tmp_path / "exac.vcf.gz",
    ]
    assert annotation.panels[0].file == tmp_path / "thal.txt"
    assert annotation.panels[0].samples == ("PK001",)


@pytest.mark.parametrize(
    ("snippet", "problem"),
    [
        (
            "annotation:\n  population_af:\n    - id: g\n      vcf: g.vcf.gz\n",
            "is not valid under any",
        ),
        (
            "annotation:\n  population_af:\n    - id: 1bad\n      vcf: g\n      global_field: AF\n",
            "does not match",
        ),
        (
            "annotation:\n  population_af:\n    - id: g\n      vcf: g\n"
            "      global_field: 'AF sas'\n",
            "does not match",
        ),
        ("annotation:\n  tiers:\n    max_af: 2\n", "is greater than the maximum"),
        ("annotation:\n  tiers:\n    lof_consequences: [stop_gain]\n", "is not one of"),
        ("annotation:\n  panels:\n    - name: P\n", "'file' is a required property"),
        ("qc:\n  warn:\n    min_tstv: 2\n", "did you mean 'min_ts_tv'"),
        ("report:\n  signoff: [A]\n", "did you mean 'sign_off'"),
    ],
)
def test_mistakes_are_named(tmp_path: Path, snippet: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(tmp_path, MINIMAL + snippet), check_files=False)
    assert problem in caught.value.render()
