"""labpipe's General Statistics table for MultiQC: one row per sample with its verdict."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from labpipe.core.errors import InputFormatError
from labpipe.qc.metrics import SampleQC, write_qc_table
from labpipe.report.multiqc_table import general_stats_table, write_general_stats
from tests.builders import lab_config


def sample_qc(sample: str, reads: int) -> SampleQC:
    return SampleQC(
        sample=sample,
        reads_total=reads,
        reads_after_filter=reads,
        q30_pct=91.234,
        adapter_trimmed_reads=12,
        mapped_pct=99.0,
        properly_paired_pct=98.0,
        duplicate_pct=3.0,
        mean_insert_size=300.0,
        mean_target_depth=100.0,
        pct_target_10x=100.0,
        pct_target_20x=99.0,
        pct_target_30x=98.0,
        estimated_library_size=None,
    )


def test_one_line_per_sample_with_the_verdict_and_a_config_multiqc_reads() -> None:
    text = general_stats_table(
        [sample_qc("PK001", 26862), sample_qc("PK.002", 100)], {"PK001": "pass", "PK.002": "fail"}
    )
    lines = text.splitlines()
    config = yaml.safe_load("\n".join(line[2:] for line in lines if line.startswith("# ")))
    assert config["plot_type"] == "generalstats"
    assert next(iter(config["pconfig"][0])) == "qc_verdict"
    table = [line.split("\t") for line in lines if not line.startswith("#")]
    assert table == [
        ["Sample", "qc_verdict", "reads_total", "q30_pct", "adapter_trimmed_reads"],
        ["PK001", "PASS", "26862", "91.23", "12"],
        ["PK.002", "FAIL", "100", "91.23", "12"],
    ]


def test_a_sample_missing_from_the_qc_table_is_named(tmp_path: Path) -> None:
    qc = tmp_path / "qc_summary.tsv"
    write_qc_table([sample_qc("PK001", 10)], qc)
    with pytest.raises(InputFormatError, match=r"qc_summary.tsv: no row for sample\(s\) PK009"):
        write_general_stats(
            qc, {"PK009": tmp_path / "PK009.tsv"}, lab_config().qc, tmp_path / "out_mqc.tsv"
        )
