"""Fault injection through the real command line: what a user sees when things go wrong.

Every case runs ``labpipe`` as a user would (a child process) and asserts the
``labpipe: error: …`` text, the exit code and that no traceback escaped:

* files of the wrong type given to ``evaluate``, and metrics with nothing to score;
* malformed inputs given to ``validate`` and ``run`` (FASTQ cut short, a FASTA that
  is not FASTA, a BED with bad lines, sample sheet rows);
* an output folder on a read-only file system, and a full disk (small tmpfs mounts:
  these need root and a kernel that lets the test mount, else they are skipped with
  the reason), including the space check before a run and a resumed run afterwards;
* kill -9 of labpipe at several points, and of an aligner process it started.
"""

from __future__ import annotations

import gzip
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from labpipe.core.atomic import BGZF_ENDINGS, PARTIAL, bgzf_complete
from labpipe.core.resources import demo_data_dir
from labpipe.demo import prepare_demo
from tests.builders import LABPIPE, DemoRun, lock_is_free, vcf_records

SAMPLES = ("PK001", "PK002")


def labpipe(*args: object, umask: int | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real command line; umask, when given, is the child's."""

    def set_umask() -> None:
        if umask is not None:
            os.umask(umask)

    return subprocess.run(
        [*LABPIPE, *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=set_umask,
    )


def assert_error(result: subprocess.CompletedProcess[str], code: int, *texts: str) -> None:
    """Failed with ``code``, said each text after ``labpipe: error:``, no traceback."""
    output = result.stdout + result.stderr
    assert result.returncode == code, output[-3000:]
    assert "labpipe: error: " in result.stderr, output[-3000:]
    for text in texts:
        assert text in result.stderr, result.stderr[-3000:]
    assert "Traceback" not in output


def unfinished_results(outdir: Path, partials_allowed: bool = False) -> list[str]:
    """Result files that would look finished but are not: cut-short BGZF, leftover partials.

    A kill -9 may leave ``.partial`` files (they do not look finished; the next run
    removes them); a run that ended by itself must not.
    """
    problems = []
    for path in sorted((outdir / "results").rglob("*")):
        if path.name.endswith(PARTIAL):
            if not partials_allowed:
                problems.append(f"{path}: left behind")
        elif path.is_file() and path.name.endswith(BGZF_ENDINGS) and not bgzf_complete(path):
            problems.append(f"{path}: no BGZF end-of-file block")
    return problems


def modes_not_from_umask_022(outdir: Path) -> dict[str, str]:
    """Results whose mode is not what umask 022 gives (0644 files, 0755 folders)."""
    wrong = {}
    for path in (outdir / "results").rglob("*"):
        mode = path.stat().st_mode & 0o777
        if mode != (0o755 if path.is_dir() else 0o644):
            wrong[str(path.relative_to(outdir))] = oct(mode)
    return wrong


@pytest.mark.e2e  # runs the real workflow
def test_results_follow_the_umask(demo_run: DemoRun) -> None:
    # Run under umask 022: whichever tool or labpipe step wrote a result, it is 0644
    # (the annotated VCF once came out 0600).
    assert (demo_run.outdir / "results" / "vcf" / "PK001.annotated.vcf.gz").is_file()
    assert modes_not_from_umask_022(demo_run.outdir) == {}


@contextmanager
def tmpfs(where: Path, size: str, read_only: bool = False) -> Iterator[Path]:
    """A small file system mounted at ``where`` for the duration; skips when not possible."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    where.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if read_only else "")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo config whose reference is indexed (so runs elsewhere only read it)."""
    folder = tmp_path_factory.mktemp("demo")
    config = prepare_demo(folder / "setup", overwrite=False)
    prepared = labpipe("reference", "prepare", folder / "setup" / "reference" / "demo_reference.fa")
    assert prepared.returncode == 0, prepared.stderr
    return config


# --- evaluate: files of the wrong type, nothing to score ------------------------------------


def _vcf(path: Path, records: list[str]) -> Path:
    header = [
        "##fileformat=VCFv4.2",
        "##contig=<ID=chr1,length=120000>",
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1",
    ]
    path.write_text("\n".join([*header, *records]) + "\n")
    return path


@pytest.mark.parametrize("side", ["truth", "calls"])
@pytest.mark.parametrize(
    "content",
    [
        "this is a text file, not a VCF\n",
        "chr1\t100\t.\tA\tG\t50\tPASS\t.\tGT\t0/1\n",  # records without a header
        "",
    ],
    ids=["text", "no-header", "empty"],
)
def test_evaluate_names_a_file_that_is_not_vcf(tmp_path: Path, side: str, content: str) -> None:
    reference = demo_data_dir() / "reference.fa"
    good = _vcf(tmp_path / "good.vcf", ["chr1\t100\t.\tA\tG\t50\tPASS\t.\tGT\t0/1"])
    bad = tmp_path / "bad.vcf"
    bad.write_text(content)
    truth, calls = (bad, good) if side == "truth" else (good, bad)
    result = labpipe("evaluate", "-t", truth, "--calls", calls, "-r", reference)
    assert_error(result, 1, f"{bad}: the {side} file is not a readable VCF")


def test_evaluate_gzip_that_is_not_vcf(tmp_path: Path) -> None:
    reference = demo_data_dir() / "reference.fa"
    bad = tmp_path / "calls.vcf.gz"
    with gzip.open(bad, "wt") as handle:
        handle.write("@read1\nACGT\n+\nIIII\n")
    good = _vcf(tmp_path / "truth.vcf", [])
    result = labpipe("evaluate", "-t", good, "--calls", bad, "-r", reference)
    assert_error(result, 1, f"{bad}: the calls file is not a readable VCF")


def test_evaluate_reference_that_is_not_fasta(tmp_path: Path) -> None:
    vcf = _vcf(tmp_path / "calls.vcf", [])
    fasta = tmp_path / "genome.fa"
    fasta.write_text("not a FASTA\n")
    result = labpipe("evaluate", "-t", vcf, "--calls", vcf, "-r", fasta)
    assert_error(result, 1, f"{fasta}: cannot be read as an indexed FASTA")


def test_config_that_is_not_text(tmp_path: Path) -> None:
    config = tmp_path / "lab.yaml"
    config.write_bytes(bytes(range(128, 256)) * 4)
    assert_error(labpipe("validate", config), 2, f"config file {config} is not UTF-8 text")


def test_evaluate_prints_na_where_there_is_nothing_to_score(tmp_path: Path) -> None:
    reference = demo_data_dir() / "reference.fa"
    base = {1000 + i: b for i, b in enumerate(_bases(reference, "chr1", 1000, 2))}
    snv = f"chr1\t1000\t.\t{base[1000]}\t{'A' if base[1000] != 'A' else 'C'}\t50\tPASS\t.\tGT\t0/1"
    truth = _vcf(tmp_path / "truth.vcf", [snv])
    calls = _vcf(tmp_path / "calls.vcf", [snv])
    result = labpipe("evaluate", "-t", truth, "--calls", calls, "-r", reference)
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines() if line}
    # class TP FP FN precision recall F1 concordance
    assert rows["snv"][1:7] == ["1", "0", "0", "1.0000", "1.0000", "1.0000"]
    assert rows["indel"][1:7] == ["0", "0", "0", "n/a", "n/a", "n/a"]
    assert "Traceback" not in result.stdout + result.stderr


def _bases(fasta: Path, contig: str, start: int, count: int) -> str:
    import pysam

    with pysam.FastaFile(str(fasta)) as handle:
        return handle.fetch(contig, start - 1, start - 1 + count).upper()


# --- malformed inputs through validate and run ----------------------------------------------


def _variant_config(demo: Path, tmp_path: Path, **changes: object) -> Path:
    config = yaml.safe_load(demo.read_text())
    config["output_dir"] = str(tmp_path / "out")
    for key, value in changes.items():
        if key == "fasta":
            config["reference"]["fasta"] = str(value)
        else:
            config[key] = str(value)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def _sheet(tmp_path: Path, rows: list[str]) -> Path:
    sheet = tmp_path / "samples.tsv"
    sheet.write_text("sample\tunit\tfq1\tfq2\tplatform\tlibrary\n" + "".join(rows))
    return sheet


def test_fastq_cut_short(demo: Path, tmp_path: Path) -> None:
    reads = demo_data_dir() / "reads"
    cut = tmp_path / "PK001_R1.fq.gz"
    cut.write_bytes((reads / "PK001_S1_L001_R1_001.fastq.gz").read_bytes()[:200_000])
    sheet = _sheet(
        tmp_path, [f"PK001\tL001\t{cut}\t{reads / 'PK001_S1_L001_R2_001.fastq.gz'}\tILLUMINA\t\n"]
    )
    config = _variant_config(demo, tmp_path, samples=sheet)
    for command in ("validate", "run"):
        assert_error(
            labpipe(command, config),
            1,
            f"sample PK001 unit L001 (sheet line 2): {cut}: the gzip data is truncated",
        )
    assert not (tmp_path / "out" / "results").exists()


def test_fasta_that_is_not_fasta(demo: Path, tmp_path: Path) -> None:
    fasta = tmp_path / "genome.fa"
    fasta.write_text("this is not a fasta\njust text\n")
    config = _variant_config(demo, tmp_path, fasta=fasta)
    assert_error(
        labpipe("validate", config),
        1,
        f"{fasta}: not a FASTA file: line 1 should start with '>' but is 'this is not a fasta'",
    )


def test_bed_with_bad_lines(demo: Path, tmp_path: Path) -> None:
    bed = tmp_path / "targets.bed"
    bed.write_text("chr1\t100\t50\nchr1\tabc\t200\nnot a bed line\n")
    config = _variant_config(demo, tmp_path, targets=bed)
    assert_error(
        labpipe("validate", config),
        1,
        f"{bed}: line 1: end 50 is not after start 100",
        f"{bed}: line 2: start 'abc' and end '200' must be whole numbers",
        f"{bed}: line 3: 1 column(s); a BED line needs contig, start, end",
    )


def test_sample_sheet_bad_rows(demo: Path, tmp_path: Path) -> None:
    reads = demo_data_dir() / "reads"
    r1, r2 = reads / "PK001_S1_L001_R1_001.fastq.gz", reads / "PK001_S1_L001_R2_001.fastq.gz"
    sheet = _sheet(
        tmp_path,
        [f"PK 001\tL001\t{r1}\t{r2}\tILUMINA\t\n", f"PK002\tL001\t{r1}\n"],
    )
    config = _variant_config(demo, tmp_path, samples=sheet)
    assert_error(
        labpipe("validate", config),
        2,
        f"{sheet}: 3 problem(s) in the sample sheet",
        "line 2: sample name 'PK 001' may only contain",
        "line 2: platform 'ILUMINA' is not one of ILLUMINA, DNBSEQ",
        "line 3: 3 columns, the header has 6",
    )


# --- the output folder: read-only, full ------------------------------------------------------


def test_read_only_output_folder(demo: Path, tmp_path: Path) -> None:
    with tmpfs(tmp_path / "ro", "1m", read_only=True) as folder:
        inside = _variant_config(demo, tmp_path, output_dir=folder / "new")
        assert_error(
            labpipe("validate", inside),
            1,
            f"output folder {folder / 'new'} cannot be created: {folder} is not writable "
            "(read-only file system)",
        )
        result = labpipe("run", demo, "--outdir", folder)
        assert_error(result, 1, f"output folder {folder} cannot be written (Read-only file system)")
        assert "[1/" not in result.stdout  # no step ran
        assert_error(
            labpipe("simulate", "--outdir", folder / "sim"),
            1,
            f"cannot write {folder / 'sim'}: Read-only file system",
        )


def test_python_write_on_a_full_disk_names_the_file(tmp_path: Path) -> None:
    truth = demo_data_dir() / "truth.vcf.gz"
    with tmpfs(tmp_path / "full", "256k") as folder:
        (folder / "out").mkdir()
        filler = subprocess.run(
            ["dd", "if=/dev/zero", f"of={folder / 'filler'}", "bs=4k"],
            capture_output=True,
            check=False,
        )
        assert filler.returncode != 0  # stopped by the full disk
        result = labpipe(
            "evaluate", "-t", truth, "--calls", truth, "-r", demo_data_dir() / "reference.fa",
            "--truth-sample", "PK001", "--calls-sample", "PK001", "-o", folder / "out",
        )  # fmt: skip
        assert_error(
            result,
            1,
            f"no space left on device while writing {folder / 'out'}/",
            "free space and run the same command again",
        )
        assert not [p for p in (folder / "out").iterdir() if p.name.startswith(".")]


@pytest.mark.e2e  # runs the real workflow
def test_full_disk_run_refused_then_failed_then_resumed(demo: Path, tmp_path: Path) -> None:
    with tmpfs(tmp_path / "small", "5m") as outdir:
        refused = labpipe("run", demo, "--outdir", outdir, "--cores", "2")
        assert_error(
            refused,
            1,
            f"not enough disk space for this run in {outdir}: it needs about ",
            f"and the file system mounted at {outdir} has ",
            "of gzipped FASTQ of 2 sample(s) still to align",
            "to run anyway, add --no-space-check",
        )
        assert not (outdir / "results").exists()

        failed = labpipe("run", demo, "--outdir", outdir, "--cores", "2", "--no-space-check")
        assert_error(
            failed,
            1,
            "labpipe: error: the run failed",
            "no space left on device",
            f"the file system mounted at {outdir} has ",
            "free space and run the same command again",
        )
        assert "failed for sample" in failed.stderr
        assert unfinished_results(outdir) == []

        grown = subprocess.run(
            ["mount", "-o", "remount,size=64m", str(outdir)], capture_output=True, check=False
        )
        assert grown.returncode == 0, grown.stderr
        resumed = labpipe("run", demo, "--outdir", outdir, "--cores", "2", umask=0o022)
        assert resumed.returncode == 0, resumed.stdout[-2000:] + resumed.stderr[-2000:]
        assert unfinished_results(outdir) == []
        for sample in SAMPLES:
            assert (outdir / "results" / "vcf" / f"{sample}.annotated.vcf.gz").is_file()
        assert modes_not_from_umask_022(outdir) == {}


# --- kill -9: of labpipe at several points, of a tool it runs ---------------------------------


def _state_and_parent(pid: int) -> tuple[str, int]:
    stat = Path(f"/proc/{pid}/stat").read_text()
    state, parent = stat[stat.rindex(")") + 2 :].split()[:2]
    return state, int(parent)


def _parent(pid: int) -> int:
    return _state_and_parent(pid)[1]


def _kill_descendant(root: int, name: str) -> bool:
    """kill -9 one running process called ``name`` below ``root``; whether one was."""
    for entry in os.listdir("/proc"):
        try:
            if not entry.isdigit() or Path(f"/proc/{entry}/comm").read_text().strip() != name:
                continue
            state, ancestor = _state_and_parent(int(entry))
            if state in "ZXx":
                continue  # already ended: a kill would change nothing
            while ancestor > 1 and ancestor != root:
                ancestor = _parent(ancestor)
            if ancestor == root:
                os.kill(int(entry), signal.SIGKILL)
                return True
        except (OSError, ValueError):
            continue  # the process ended meanwhile
    return False


def _run_killing(config: Path, outdir: Path, tool: str) -> subprocess.CompletedProcess[str]:
    """Run, kill -9 the first ``tool`` process the run starts, and let the run end."""
    run = subprocess.Popen(
        [*LABPIPE, "run", str(config), "--outdir", str(outdir), "--cores", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    killed = False
    while not killed and run.poll() is None:
        killed = _kill_descendant(run.pid, tool)
        time.sleep(0.002)
    assert killed, f"no {tool} process was seen to kill"
    stdout, stderr = run.communicate(timeout=600)
    return subprocess.CompletedProcess(run.args, run.returncode, stdout, stderr)


def _wait_for_lock(outdir: Path) -> None:
    deadline = time.monotonic() + 60
    while not lock_is_free(outdir):
        assert time.monotonic() < deadline, "Snakemake outlived a killed labpipe"
        time.sleep(0.2)


def _run_until(config: Path, outdir: Path, marker: str) -> bool:
    """Run, kill -9 labpipe once a progress line has ``marker``; whether it was killed."""
    run = subprocess.Popen(
        [*LABPIPE, "run", str(config), "--outdir", str(outdir), "--cores", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert run.stdout is not None
    killed = False
    for line in run.stdout:
        assert "Traceback" not in line
        if marker in line:
            os.kill(run.pid, signal.SIGKILL)
            killed = True
            break
    run.wait()
    _wait_for_lock(outdir)
    return killed


@pytest.mark.e2e  # runs the real workflow
def test_killed_tool_then_kill_9_at_several_points_resume_to_the_same_calls(
    demo: Path, tmp_path: Path, demo_run: DemoRun
) -> None:
    reference = demo_run.outdir

    outdir = tmp_path / "faults"
    # An aligner killed under labpipe: the step fails by name, the other sample goes on.
    # (A bwa that ends between being found and being killed is not hurt, and one killed
    # while labpipe reads its version is not the aligner: try again.)
    for _attempt in range(3):
        shutil.rmtree(outdir, ignore_errors=True)
        failed = _run_killing(demo, outdir, "bwa")
        if failed.returncode != 0 and "cannot read its version" not in failed.stderr:
            break
    assert_error(failed, 1, "labpipe: error: the run failed", "step 'align' failed for sample")
    assert "no space left on device" not in failed.stderr
    assert unfinished_results(outdir) == []

    # kill -9 of labpipe itself, at later and later steps, each time resumed.
    killed_at = [m for m in ("done  call_chunk", "done  annotate") if _run_until(demo, outdir, m)]
    assert killed_at, "no run was killed"
    assert unfinished_results(outdir, partials_allowed=True) == []

    resumed = labpipe("run", demo, "--outdir", outdir, "--cores", "2")
    assert resumed.returncode == 0, resumed.stdout[-2000:] + resumed.stderr[-2000:]
    assert unfinished_results(outdir) == []
    for sample in SAMPLES:
        for name in (f"{sample}.vcf.gz", f"{sample}.annotated.vcf.gz"):
            vcf = Path("results") / "vcf" / name
            assert vcf_records(outdir / vcf) == vcf_records(reference / vcf), vcf
