"""The benchmark data sets and the reference they share.

- (a) ``giab``: the real NA12878 reads in ``../shared/data/giab-na12878-chr20-b37-nucleus/``
  against GIAB's truth, scored inside the confident BED ∩ the span the reads cover;
- (b) ``easy``: simulated by ``labpipe simulate`` on the real 1.1 Mb of chr20 in that
  folder's reference: ~1,100 variants, 40x, 2x150, Illumina;
- (c) ``hard``: the same sequence at 15x, 1% errors, 15% duplicates, a third of the
  inserts shorter than the read, DNBSEQ names.

Nothing here is copied into the repository: the reference is unpacked, indexed and the
simulated sets are written into a scratch folder (default ``/tmp/labpipe-bench``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pysam

REPO = Path(__file__).resolve().parents[1]
#: ``../shared/data`` beside the repository; LABPIPE_SHARED_DATA names it when the checkout
#: lives elsewhere (a git worktree, a CI cache).
SHARED = (
    Path(os.environ.get("LABPIPE_SHARED_DATA", REPO.parent / "shared" / "data"))
    / "giab-na12878-chr20-b37-nucleus"
)
GIAB_FASTA = SHARED / "ucsc.hg19.chr20.unittest.fasta.gz"
GIAB_TRUTH = SHARED / "test_nist.b37_chr20_100kbp_at_10mb.vcf.gz"
GIAB_BED = SHARED / "test_nist.b37_chr20_100kbp_at_10mb.bed"
GIAB_BAM = SHARED / "NA12878_small.bam"
GIAB_R1 = SHARED / "NA12878_small_R1.fastq.gz"
GIAB_R2 = SHARED / "NA12878_small_R2.fastq.gz"
DEFAULT_SCRATCH = Path("/tmp/labpipe-bench")
#: The only real sequence in the reference (PROVENANCE.md): chr20:9,995,001-11,095,000.
REAL_SPAN = ("chr20", 9_995_000, 11_095_000)
#: Seeds of the simulated sets unless --seed is given (hard uses seed + 1).
DEFAULT_SEED = 20261201
PYTHON = Path(sys.executable)


@dataclass(frozen=True)
class Dataset:
    """One benchmark data set, ready for ``labpipe run``.

    Attributes:
        name: ``giab``, ``easy`` or ``hard``.
        title: One line saying what it is.
        samples_tsv: labpipe sample sheet of its reads.
        sample: The sample name in that sheet.
        platform: ILLUMINA or DNBSEQ.
        truth_vcf: The truth.
        truth_sample: Truth sample column.
        regions_bed: Where calls are scored.
    """

    name: str
    title: str
    samples_tsv: Path
    sample: str
    platform: str
    truth_vcf: Path
    truth_sample: str
    regions_bed: Path


class MissingSharedData(Exception):
    """The shared data folder is not there: benchmarks skip with this message."""


def require_shared_data() -> None:
    """Raise :class:`MissingSharedData` naming the folder when it is absent."""
    needed = [GIAB_FASTA, GIAB_TRUTH, GIAB_BED, GIAB_BAM, GIAB_R1, GIAB_R2]
    missing = [p.name for p in needed if not p.exists()]
    if missing:
        raise MissingSharedData(
            f"skipped: the shared benchmark data is not at {SHARED} "
            f"(missing {', '.join(missing)}); it lives outside the repository in "
            "../shared/data/giab-na12878-chr20-b37-nucleus/"
        )


def shared_reference(scratch: Path) -> tuple[Path, Path] | None:
    """(reference, targets BED) ready in the scratch folder, or None after printing why
    the benchmark is skipped (no shared data)."""
    try:
        require_shared_data()
    except MissingSharedData as skip:
        print(skip)
        return None
    return prepare_reference(scratch), real_span_bed(scratch)


def log(message: str) -> None:
    """Progress to stderr, so stdout holds only the figures."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def write_figures(figures: object, path: Path, extra: Path | None = None) -> None:
    """A benchmark's figures as JSON in its scratch folder (and in ``extra``, --json)."""
    for target in [path, *([extra] if extra else [])]:
        target.write_text(json.dumps(figures, indent=2) + "\n")
    log(f"figures written to {path}")


def run(command: list[str], cwd: Path | None = None, quiet: bool = True) -> None:
    """Run a command; on failure show its output and stop."""
    done = subprocess.run(command, cwd=cwd, capture_output=quiet, text=True, check=False)
    if done.returncode != 0:
        tail = ((done.stdout or "") + (done.stderr or ""))[-3000:]
        raise SystemExit(f"command failed ({done.returncode}): {' '.join(command)}\n{tail}")


def labpipe_bin() -> Path:
    """The labpipe entry point of the interpreter running the benchmark."""
    return PYTHON.parent / "labpipe"


def prepare_reference(scratch: Path) -> Path:
    """Unpack the chr20 reference into the scratch folder and build its indexes once.

    The bwa index of the 63 Mb contig takes ~3 minutes the first time; later runs reuse it.
    """
    folder = scratch / "reference"
    fasta = folder / "chr20.fa"
    done = folder / ".complete"
    if done.exists():
        return fasta
    folder.mkdir(parents=True, exist_ok=True)
    log(f"unpacking {GIAB_FASTA.name} into {folder}")
    with pysam.FastxFile(str(GIAB_FASTA)) as reads, fasta.open("w") as out:
        for record in reads:
            seq = record.sequence or ""
            out.write(f">{record.name}\n")
            out.writelines(seq[i : i + 60] + "\n" for i in range(0, len(seq), 60))
    log("indexing the reference (samtools faidx, bwa index: about 3 minutes, once)")
    run([str(labpipe_bin()), "reference", "prepare", str(fasta)])
    done.write_text("ok\n")
    return fasta


def real_span_bed(scratch: Path) -> Path:
    """BED of the 1.1 Mb of real sequence: the targets of every labpipe run here."""
    bed = scratch / "reference" / "chr20_real_span.bed"
    contig, start, end = REAL_SPAN
    bed.write_text(f"{contig}\t{start}\t{end}\n")
    return bed


def read_span(bam: Path) -> tuple[str, int, int]:
    """(contig, start, end) from the first to the last aligned base of the mapped reads."""
    with pysam.AlignmentFile(str(bam)) as handle:
        spans = [
            (r.reference_name, r.reference_start, r.reference_end)
            for r in handle
            if not r.is_unmapped and r.reference_end is not None
        ]
    contigs = {c for c, _, _ in spans}
    if len(contigs) != 1:
        raise SystemExit(f"{bam}: reads on {len(contigs)} contigs; expected one")
    return spans[0][0] or "", min(s for _, s, _ in spans), max(e for _, _, e in spans)


def giab_dataset(scratch: Path) -> Dataset:
    """(a): real reads, GIAB truth, confident BED ∩ read span."""
    folder = scratch / "giab"
    folder.mkdir(parents=True, exist_ok=True)
    contig, start, end = read_span(GIAB_BAM)
    regions = folder / "confident_under_reads.bed"
    lines = []
    for line in GIAB_BED.read_text().splitlines():
        c, s, e = line.split("\t")[:3]
        lo, hi = max(int(s), start), min(int(e), end)
        if c == contig and lo < hi:
            lines.append(f"{c}\t{lo}\t{hi}\n")
    regions.write_text("".join(lines))
    # Also the whole span, confident or not, for an extra look at "every variant under the
    # reads" (PROVENANCE.md counts 14 truth variants there).
    (folder / "read_span.bed").write_text(f"{contig}\t{start}\t{end}\n")
    sheet = folder / "samples.tsv"
    sheet.write_text(
        "sample\tunit\tfq1\tfq2\tplatform\tlibrary\n"
        f"NA12878\tL004\t{GIAB_R1}\t{GIAB_R2}\tILLUMINA\tNA12878-lib1\n"
    )
    return Dataset(
        "giab",
        f"(a) real NA12878 2x101 reads, GIAB v3 truth, confident BED ∩ reads "
        f"{contig}:{start + 1}-{end}",
        sheet,
        "NA12878",
        "ILLUMINA",
        GIAB_TRUTH,
        "INTEGRATION",
        regions,
    )


#: ``labpipe simulate`` options of the two simulated sets.
SIMULATED: dict[str, tuple[str, list[str]]] = {
    "easy": (
        "(b) simulated on real chr20 1.1 Mb: 40x, 2x150, 0.2% errors, Illumina",
        ["--depth", "40", "--read-length", "150", "--platform", "ILLUMINA", "--sample", "EASY"],
    ),
    "hard": (
        "(c) simulated on real chr20 1.1 Mb: 15x, 2x150, 1% errors, 15% duplicates, "
        "1/3 inserts < read length, DNBSEQ",
        [
            "--depth",
            "15",
            "--read-length",
            "150",
            "--error-rate",
            "0.01",
            "--duplicate-rate",
            "0.15",
            "--short-insert-fraction",
            "0.333",
            "--platform",
            "DNBSEQ",
            "--sample",
            "HARD",
        ],
    ),
}


def simulated_dataset(scratch: Path, name: str, seed: int, depth: float | None = None) -> Dataset:
    """(b) or (c), made by ``labpipe simulate`` now (kept per seed in the scratch folder).

    ``depth`` replaces the set's nominal depth (the reads scale with it; the folder's
    name says the depth).
    """
    title, options = SIMULATED[name]
    folder = scratch / f"{name}-seed{seed}"
    if depth is not None:
        at = options.index("--depth") + 1
        title = title.replace(f" {options[at]}x,", f" {depth:g}x,")
        options = [*options[:at], f"{depth:g}", *options[at + 1 :]]
        folder = folder.with_name(f"{folder.name}-depth{depth:g}")
    sample = options[options.index("--sample") + 1]
    platform = options[options.index("--platform") + 1]
    if not (folder / "simulation.json").exists():
        log(f"simulating {name} (seed {seed}) into {folder}")
        if folder.exists():
            shutil.rmtree(folder)
        command = [
            str(labpipe_bin()),
            "simulate",
            "--reference",
            str(GIAB_FASTA),
            "--outdir",
            str(folder),
            "--seed",
            str(seed),
            *options,
        ]
        run(command)
    return Dataset(
        name,
        f"{title}; seed {seed}",
        folder / "samples.tsv",
        sample,
        platform,
        folder / "truth.vcf.gz",
        sample,
        folder / "regions.bed",
    )


def datasets(scratch: Path, names: list[str], seed: int) -> list[Dataset]:
    """The requested data sets, made if needed."""
    out = []
    for name in names:
        if name == "giab":
            out.append(giab_dataset(scratch))
        else:
            out.append(simulated_dataset(scratch, name, seed + (1 if name == "hard" else 0)))
    return out
