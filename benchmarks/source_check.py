#!/usr/bin/env python
"""Time ``labpipe validate``'s check of one large annotation source, before and after a change.

Writes a ClinVar-like VCF (default 3.5 million records, ClinVar's INFO fields, GRCh38
contigs; about 130 MB bgzip) to the scratch folder once, then times
:func:`labpipe.annotation.source_checks.check_source` on it in a fresh Python for the
current checkout and, with ``--baseline REV``, for the ``src/`` of another git revision
(exported with ``git archive`` into the scratch folder). CPU is the process's own plus its
children's (the bcftools processes of the new check), so the two are comparable.

    .venv/bin/python benchmarks/source_check.py                      # this checkout
    .venv/bin/python benchmarks/source_check.py --baseline 04de9fd   # and the pysam check
    .venv/bin/python benchmarks/source_check.py --repeat 3 --records 500000
    .venv/bin/python benchmarks/source_check.py --full-read-bytes 0   # a file too large to read

No FASTA is given (GRCh38's would be 3 GB), so the REF comparison of at most 400 records
is not timed; everything else the check does is.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SCRATCH = Path("/tmp/labpipe-bench/source-check")

# GRCh38 primary chromosomes, ClinVar's naming.
LENGTHS = {
    "1": 248_956_422, "2": 242_193_529, "3": 198_295_559, "4": 190_214_555,
    "5": 181_538_259, "6": 170_805_979, "7": 159_345_973, "8": 145_138_636,
    "9": 138_394_717, "10": 133_797_422, "11": 135_086_622, "12": 133_275_309,
    "13": 114_364_328, "14": 107_043_718, "15": 101_991_189, "16": 90_338_345,
    "17": 83_257_441, "18": 80_373_285, "19": 58_617_616, "20": 64_444_167,
    "21": 46_709_983, "22": 50_818_468, "X": 156_040_895, "Y": 57_227_415, "MT": 16_569,
}  # fmt: skip

INFO_HEADER = "".join(
    f'##INFO=<ID={name},Number={number},Type={kind},Description="{name}">\n'
    for name, number, kind in (
        ("AF_ESP", "1", "Float"),
        ("AF_EXAC", "1", "Float"),
        ("AF_TGP", "1", "Float"),
        ("ALLELEID", "1", "Integer"),
        ("CLNDN", ".", "String"),
        ("CLNDISDB", ".", "String"),
        ("CLNHGVS", ".", "String"),
        ("CLNREVSTAT", ".", "String"),
        ("CLNSIG", ".", "String"),
        ("CLNVC", "1", "String"),
        ("CLNVCSO", "1", "String"),
        ("GENEINFO", "1", "String"),
        ("MC", ".", "String"),
        ("ORIGIN", ".", "String"),
        ("RS", ".", "String"),
    )
)
SIGNIFICANCE = (
    "Uncertain_significance", "Likely_benign", "Benign", "Pathogenic", "Likely_pathogenic",
    "Conflicting_classifications_of_pathogenicity", "Benign/Likely_benign",
)  # fmt: skip
REVIEW = (
    "criteria_provided,_single_submitter",
    "criteria_provided,_multiple_submitters,_no_conflicts",
    "no_assertion_criteria_provided",
    "reviewed_by_expert_panel",
)
CONSEQUENCE = (
    "SO:0001583|missense_variant", "SO:0001819|synonymous_variant", "SO:0001627|intron_variant",
    "SO:0001587|nonsense", "SO:0001589|frameshift_variant", "SO:0001624|3_prime_UTR_variant",
)  # fmt: skip


def write_source(path: Path, records: int, seed: int) -> None:
    """A bgzipped, tabix-indexed ClinVar-like VCF of ``records`` records."""
    rng = random.Random(seed)
    genes = [(f"G{rng.randrange(10**5)}", rng.randrange(10**6)) for _ in range(5000)]
    diseases = [
        (f"Disease_{rng.randrange(10**6)}_type_{i % 9}", f"MedGen:C{rng.randrange(10**7):07d}")
        for i in range(3000)
    ]
    total = sum(LENGTHS.values())
    header = "##fileformat=VCFv4.1\n##fileDate=2024-05-01\n##source=ClinVar\n"
    header += "##reference=GRCh38\n" + INFO_HEADER
    header += "".join(f"##contig=<ID={c},length={n}>\n" for c, n in LENGTHS.items())
    header += "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    with open(partial, "wb") as out:
        bgzip = subprocess.Popen(["bgzip", "-c"], stdin=subprocess.PIPE, stdout=out)
        assert bgzip.stdin is not None
        bgzip.stdin.write(header.encode())
        allele_id = 15000
        for chrom, length in LENGTHS.items():
            count = max(1, records * length // total)
            step = max(1, length // (count + 1))
            lines = []
            pos = 10_000
            for _ in range(count):
                pos += rng.randrange(1, 2 * step)
                if pos >= length:
                    break
                allele_id += rng.randrange(1, 4)
                ref, alt = rng.choice("ACGT"), rng.choice("ACGT")
                gene, gene_id = rng.choice(genes)
                disease, medgen = rng.choice(diseases)
                af = f"AF_EXAC={rng.random() / 100:.5f};" if rng.random() < 0.3 else ""
                lines.append(
                    f"{chrom}\t{pos}\t{allele_id + 1000}\t{ref}\t{alt}\t.\t.\t{af}"
                    f"ALLELEID={allele_id};CLNDISDB={medgen};CLNDN={disease};"
                    f"CLNHGVS=NC_0000{chrom}.11:g.{pos}{ref}>{alt};"
                    f"CLNREVSTAT={rng.choice(REVIEW)};CLNSIG={rng.choice(SIGNIFICANCE)};"
                    "CLNVC=single_nucleotide_variant;CLNVCSO=SO:0001483;"
                    f"GENEINFO={gene}:{gene_id};MC={rng.choice(CONSEQUENCE)};ORIGIN=1;"
                    f"RS={allele_id * 7 + 11}\n"
                )
                if len(lines) >= 50_000:
                    bgzip.stdin.write("".join(lines).encode())
                    lines = []
            bgzip.stdin.write("".join(lines).encode())
        bgzip.stdin.close()
        if bgzip.wait() != 0:
            sys.exit("bgzip failed")
    partial.rename(path)
    subprocess.run(["tabix", "-f", "-p", "vcf", str(path)], check=True)


_TIMED = """
import json, resource, sys, time
from pathlib import Path
from labpipe.annotation.source_checks import check_source
from labpipe.annotation.source_content import SourceCheck

path, contigs, limit = Path(sys.argv[1]), json.loads(sys.argv[2]), int(sys.argv[3])
check = SourceCheck(path, "ClinVar VCF", "annotation.clinvar", (), ("CLNSIG",))
wall, cpu = time.perf_counter(), time.process_time()
report = check_source(check, contigs, None, "GRCh38", full_read_bytes=limit)
children = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({
    "wall_s": time.perf_counter() - wall,
    "cpu_s": time.process_time() - cpu + children.ru_utime + children.ru_stime,
    "records": report.records, "read_whole": report.read_whole, "problems": report.problems,
}))
"""


def timed_check(src: Path, path: Path, full_read_bytes: int) -> dict[str, object]:
    """check_source on ``path`` in a fresh Python importing labpipe from ``src``."""
    contigs = {f"chr{c}" if c != "MT" else "chrM": n for c, n in LENGTHS.items()}
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run(
        [sys.executable, "-c", _TIMED, str(path), json.dumps(contigs), str(full_read_bytes)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    figures: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return figures


def export_revision(revision: str, scratch: Path) -> Path:
    """``src/`` of a git revision, exported under the scratch folder."""
    target = scratch / f"src-{revision}"
    if not (target / "src").is_dir():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "archive", revision, "src"], cwd=REPO, capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target / "src"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scratch", type=Path, default=DEFAULT_SCRATCH)
    parser.add_argument("--records", type=int, default=3_500_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=2, help="timings per code (best kept)")
    parser.add_argument("--baseline", help="a git revision to time too (e.g. the pysam check)")
    parser.add_argument(
        "--full-read-bytes",
        type=int,
        default=1 << 30,
        help="read files up to this size to the end (0: time the large-file path instead)",
    )
    args = parser.parse_args()
    path = args.scratch / f"clinvar-like-{args.records}-{args.seed}.vcf.gz"
    if not path.exists():
        print(f"writing {path} ...", file=sys.stderr)
        start = time.perf_counter()
        write_source(path, args.records, args.seed)
        print(f"  written in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    print(f"{path}: {path.stat().st_size / 1e6:.0f} MB bgzip")
    codes = [("this checkout", REPO / "src")]
    if args.baseline:
        codes.insert(0, (f"baseline {args.baseline}", export_revision(args.baseline, args.scratch)))
    for name, src in codes:
        runs = [timed_check(src, path, args.full_read_bytes) for _ in range(args.repeat)]
        best = min(runs, key=lambda run: float(str(run["cpu_s"])))
        walls = ", ".join(f"{float(str(run['wall_s'])):.1f}" for run in runs)
        cpu = float(str(best["cpu_s"]))
        print(
            f"{name}: CPU {cpu:.2f} s (best of {args.repeat}); wall {walls} s;"
            f" {best['records']:,} records read, to the end: {best['read_whole']};"
            f" problems: {best['problems'] or 'none'}"
        )


if __name__ == "__main__":
    main()
