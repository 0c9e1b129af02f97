"""What a user reads from the CLI: messages, exit codes, no tracebacks."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from labpipe import __version__
from tests.builders import run_cli


def test_validate_ok(lab: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(["validate", str(lab / "lab.yaml")], capsys)
    assert code == 0
    assert "valid — 1 sample(s), 1 unit(s)" in out
    # A config without annotation sources is valid, but says before any run what its
    # reports will be (issue 10: validate said valid, the report read as a negative).
    assert (
        "labpipe: warning: no gene model (annotation.gff3), ClinVar (annotation.clinvar),"
        " population frequency (annotation.population_af) source: every report will say"
        " NOT INTERPRETED"
    ) in err


def test_missing_config_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["validate", str(tmp_path / "none.yaml")], capsys)
    assert code == 2
    assert err.startswith(f"labpipe: error: config file {tmp_path / 'none.yaml'} does not exist")
    assert "Traceback" not in err


def test_unknown_key(lab: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = lab / "lab.yaml"
    config.write_text(config.read_text() + "sampels: x.tsv\n")
    code, _, err = run_cli(["validate", str(config)], capsys)
    assert code == 2
    assert "line 8: unknown key 'sampels'; did you mean 'samples'?" in err


def test_duplicate_sample_and_unsafe_name(lab: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (lab / "samples.tsv").write_text(
        "sample\tunit\tfq1\tfq2\n"
        "S1\tL1\tS1_R1.fastq.gz\tS1_R2.fastq.gz\n"
        "S1\tL1\tS1_R1.fastq.gz\tS1_R2.fastq.gz\n"
        "$(reboot)\tL1\tx_1.fq.gz\tx_2.fq.gz\n"
    )
    code, _, err = run_cli(["validate", str(lab / "lab.yaml")], capsys)
    assert code == 2
    assert "line 3: sample 'S1' unit 'L1' appears more than once" in err
    assert "line 4: sample name '$(reboot)' may only contain letters, digits" in err
    assert "line 4: fq1 x_1.fq.gz does not exist" in err


def test_r1_without_r2(lab: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (lab / "samples.tsv").write_text("sample\tunit\tfq1\tfq2\nS1\tL1\tS1_R1.fastq.gz\t\n")
    code, _, err = run_cli(["validate", str(lab / "lab.yaml")], capsys)
    assert code == 2
    assert "line 2: sample 'S1' has fq1 but no fq2" in err


def test_debug_shows_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "labpipe.cli", "--debug", "validate", str(tmp_path / "x.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "Traceback" in result.stderr and "ConfigError" in result.stderr


def test_version_and_help_stay_light() -> None:
    code = (
        "import sys; from labpipe.cli import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('snakemake', 'pysam', 'cyvcf2', 'jsonschema') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert f"labpipe, version {__version__}" in result.stdout
    assert "HEAVY []" in result.stdout


def test_dry_run_lists_every_stage(lab: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(
        ["run", str(lab / "lab.yaml"), "--dry-run", "--cores", "1", "--outdir", str(lab / "out")],
        capsys,
    )
    assert code == 0, err
    for rule in ("align", "markdup", "mosdepth", "call_variants", "multiqc", "manifest"):
        assert rule in out
    assert not (lab / "out" / "results").exists()


def test_init_then_validate_on_run_folders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from labpipe.core.resources import demo_data_dir

    data = demo_data_dir()
    run = tmp_path / "run"
    illumina = run / "BCLConvert" / "Fastq"
    mgi = run / "V350012345" / "L02"
    illumina.mkdir(parents=True)
    mgi.mkdir(parents=True)
    for name in sorted((data / "reads").iterdir()):
        target = mgi if name.name.startswith("V350") else illumina
        (target / name.name).write_bytes(name.read_bytes())
    (mgi / "V350012345_L02.summaryReport.html").write_text("<html></html>")
    (illumina / "Undetermined_S0_L001_R1_001.fastq.gz").write_bytes(b"")
    code, out, err = run_cli(
        [
            "init",
            "--fastq-dir",
            str(run),
            "--reference",
            str(data / "reference.fa"),
            "--targets",
            str(data / "targets.bed"),
            "--lab",
            "Demo Hospital Lab",
            "--outdir",
            str(tmp_path / "lab"),
        ],
        capsys,
    )
    assert code == 0, err
    assert "Undetermined_S0_L001_R1_001.fastq.gz" in out + err
    # The demo's synthetic genome is no known build: init says so instead of staying silent.
    assert "the genome build could not be told from the contig lengths" in out + err
    sheet = (tmp_path / "lab" / "samples.tsv").read_text().splitlines()
    rows = [line.split("\t")[:2] for line in sheet if not line.startswith("#")][1:]
    assert rows == [["PK001", "L001"], ["PK001", "L002"], ["PK002", "L02"]]
    code, out, err = run_cli(["validate", str(tmp_path / "lab" / "config.yaml")], capsys)
    assert code == 0, err
    assert "valid — 2 sample(s), 3 unit(s)" in out
    assert "every report will say NOT INTERPRETED" in err  # init was given no sources


def test_per_sample_steps_take_the_sex_from_the_workflow_not_the_sheet(
    lab: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A per-sample step that reads the whole sample sheet (and so every FASTQ's first
    read) makes a batch cost grow with the square of its samples (benchmarks/batch.py)."""

    def no_sheet(*_: object, **__: object) -> None:
        raise AssertionError("a per-sample step read the sample sheet")

    monkeypatch.setattr("labpipe.config.samplesheet.load_sample_sheet", no_sheet)
    fai = lab / "ref.fa.fai"
    fai.write_text("chr1\t200\t6\t200\t201\nchrX\t2000\t300\t60\t61\n")
    (lab / "par.tsv").write_text("chrX\t1\t500\tPAR1\n")
    config = lab / "lab.yaml"
    config.write_text(
        config.read_text().replace(
            "  fasta: ref.fa\n", f"  fasta: ref.fa\n  par_regions: {lab}/par.tsv\n"
        )
    )

    def ploidy(sex: str) -> tuple[int, str, Path]:
        out = [lab / f"{sex}.{name}" for name in ("ploidy.txt", "sex.txt", "cnv.bed")]
        code, _, err = run_cli(
            [
                *("step", "ploidy", "--config", str(config), "--fai", str(fai)),
                *("--sample", "S1", "--sex", sex, "--ploidy-out", str(out[0])),
                *("--samples-out", str(out[1]), "--cnv-map-out", str(out[2])),
            ],
            capsys,
        )
        return code, err, out[1]

    for sex, ploidy_code in (("male", "M"), ("female", "F")):
        code, err, samples = ploidy(sex)
        assert code == 0, err
        assert samples.read_text() == f"S1\t{ploidy_code}\n"
    code, err, _ = ploidy("man")
    assert code == 2 and "'man' is not one of 'male', 'female', 'unknown'" in err


def test_workflow_steps_run_as_commands(lab: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (lab / "ref.fa.fai").write_text("chr1\t200\t6\t200\t201\n")
    (lab / "t.bed").write_text("chr1\t10\t20\tG1\nchr1\t15\t40\tG1\n")
    code, _, err = run_cli(
        [
            "step",
            "regions",
            "--fai",
            str(lab / "ref.fa.fai"),
            "--targets",
            str(lab / "t.bed"),
            "--padding",
            "5",
            "--targets-out",
            str(lab / "targets.bed"),
            "--calling-out",
            str(lab / "calling.bed"),
            "--chunks",
            "2",
            "--chunks-dir",
            str(lab),
        ],
        capsys,
    )
    assert code == 0, err
    assert (lab / "targets.bed").read_text() == "chr1\t10\t40\tG1\n"
    assert (lab / "calling.bed").read_text() == "chr1\t5\t45\n"
    assert (lab / "chunk0.bed").read_text() == "chr1\t5\t25\n"
    assert (lab / "chunk1.bed").read_text() == "chr1\t25\t45\n"
    code, _, err = run_cli(
        ["step", "vcf-header", "--config", str(lab / "lab.yaml"), "--out", str(lab / "h.txt")],
        capsys,
    )
    assert code == 0, err
    assert (lab / "h.txt").read_text().startswith(f"##labpipe_version={__version__}\n")
    (lab / "bad.bed").write_text("chr1\t30\t20\n")
    code, _, err = run_cli(
        [
            "step",
            "regions",
            "--fai",
            str(lab / "ref.fa.fai"),
            "--targets",
            str(lab / "bad.bed"),
            "--padding",
            "5",
            "--targets-out",
            str(lab / "x.bed"),
            "--calling-out",
            str(lab / "y.bed"),
            "--chunks",
            "1",
            "--chunks-dir",
            str(lab),
        ],
        capsys,
    )
    assert code == 1
    assert "line 1: end 20 is not after start 30" in err
    _, help_text, _ = run_cli(["--help"], capsys)
    assert "  validate " in help_text and "  step " not in help_text


def test_run_refuses_truncated_fastq_before_any_tool(
    lab: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with gzip.open(lab / "S1_R1.fastq.gz", "wt") as handle:
        for i in range(3000):
            handle.write(f"@V350012345L1C001R001{i:07d}/1\n{'ACGT' * 25}\n+\n{'I' * 100}\n")
    data = (lab / "S1_R1.fastq.gz").read_bytes()
    (lab / "S1_R1.fastq.gz").write_bytes(data[: len(data) // 2])
    code, _, err = run_cli(
        ["run", str(lab / "lab.yaml"), "--cores", "1", "--outdir", str(lab / "out")], capsys
    )
    assert code == 1
    assert "labpipe: error:" in err and "inputs cannot be used" in err
    assert "sample S1 unit L1 (sheet line 2)" in err
    assert "S1_R1.fastq.gz" in err and "truncated" in err
    assert not (lab / "out" / "results").exists()


def test_evaluate_command_scores_and_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from labpipe.core.resources import demo_data_dir

    data = demo_data_dir()
    reference = tmp_path / "ref.fa"
    reference.write_bytes((data / "reference.fa").read_bytes())
    truth = str(data / "truth.vcf.gz")
    code, out, err = run_cli(
        [
            "evaluate",
            "--truth",
            truth,
            "--calls",
            truth,
            "--reference",
            str(reference),
            "--truth-sample",
            "PK001",
            "--calls-sample",
            "PK001",
            "--outdir",
            str(tmp_path / "ev"),
        ],
        capsys,
    )
    assert code == 0, err
    report = json.loads((tmp_path / "ev" / "evaluation.json").read_text())
    assert report["schema_version"] == 1
    assert report["metrics"]["all"]["fn"] == report["metrics"]["all"]["fp"] == 0
    assert report["metrics"]["all"]["tp"] > 20
    assert "false_negatives.vcf.gz" in out
