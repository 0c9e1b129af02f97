"""The commands in docs/offline-annotation.md run as written (bcftools/htslib 1.16).

The gnomAD block is run on two small per-chromosome files built here (gnomAD-
like: many INFO fields, records in and out of the targets), with the block's
variables pointed at them; the result must hold only the target records and
the named fields, and pass labpipe's own source check. The GFF3 renaming block
is run on a small Ensembl-style GFF3.
"""

from __future__ import annotations

import gzip
import random
import re
import shutil
import subprocess
from pathlib import Path

import pysam
import pytest

from labpipe.annotation.source_checks import check_source
from labpipe.annotation.source_content import SourceCheck
from labpipe.inputs.checks.gff3 import check_gff3_contigs
from tests.builders import write_fasta
from tests.paths import REPO

DOC = REPO / "docs" / "offline-annotation.md"
pytestmark = pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in ("bcftools", "tabix", "awk")),
    reason="bcftools, tabix or awk missing",
)

rng = random.Random(5)
CONTIGS = {"chr1": "".join(rng.choice("ACGT") for _ in range(3000)),
           "chr2": "".join(rng.choice("ACGT") for _ in range(3000))}  # fmt: skip
INFO = "".join(
    f'##INFO=<ID={name},Number={number},Type={kind},Description="{name}">\n'
    for name, number, kind in (
        ("AC", "A", "Integer"),
        ("AN", "1", "Integer"),
        ("AF", "A", "Float"),
        ("AF_sas", "A", "Float"),
        ("AF_nfe", "A", "Float"),
        ("vep", ".", "String"),
    )
)


def blocks() -> list[str]:
    return re.findall(r"```bash\n(.*?)```", DOC.read_text(), re.DOTALL)


def with_values(block: str, values: dict[str, str]) -> str:
    """The block with its NAME=value lines set to ``values``."""
    for name, value in values.items():
        block, count = re.subn(rf"^{name}=.*$", f"{name}={value}", block, flags=re.MULTILINE)
        assert count == 1, name
    return block


def gnomad_chromosome(folder: Path, contig: str) -> Path:
    sequence = CONTIGS[contig]
    header = f"##fileformat=VCFv4.2\n##contig=<ID={contig},length={len(sequence)}>\n" + INFO
    header += "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
    lines = [
        f"{contig}\t{pos}\t.\t{sequence[pos - 1]}\t{'T' if sequence[pos - 1] != 'T' else 'C'}\t.\t"
        f"PASS\tAC=3;AN=1000;AF=0.003;AF_sas=0.01;AF_nfe=0.001;vep=A|missense|GENE{pos}"
        for pos in range(50, 3000, 50)
    ]
    plain = folder / f"gnomad.sites.{contig}.vcf"
    plain.write_text(header + "\n".join(lines) + "\n")
    bgz = folder / f"gnomad.sites.{contig}.vcf.bgz"
    pysam.tabix_compress(str(plain), str(bgz))
    pysam.tabix_index(str(bgz), preset="vcf")
    plain.unlink()
    return bgz


def test_gnomad_cut_to_targets(tmp_path: Path) -> None:
    (block,) = [b for b in blocks() if "bcftools concat" in b]
    for contig in CONTIGS:
        gnomad_chromosome(tmp_path, contig)
    # Overlapping lines, as a panel BED may have: records must not come out twice.
    (tmp_path / "panel.bed").write_text("chr1\t0\t500\nchr1\t400\t1000\nchr2\t2000\t2600\n")
    script = with_values(
        block,
        {
            "TARGETS": "panel.bed",
            "RELEASE": "gnomad.sites",
            "CHROMS": '"1 2"',
            "OUT": "gnomad.panel.vcf.gz",
        },
    )
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    out = tmp_path / "gnomad.panel.vcf.gz"
    with pysam.VariantFile(str(out)) as vcf:
        assert sorted(vcf.header.info) == ["AF", "AF_sas"]
        positions = [(r.chrom, r.pos) for r in vcf]
    expected = [("chr1", p) for p in range(50, 1001, 50)] + [
        ("chr2", p) for p in range(2050, 2601, 50)
    ]
    assert positions == expected
    assert not list(tmp_path.glob("part.*"))
    fasta = write_fasta(tmp_path / "ref.fa", CONTIGS)
    pysam.faidx(str(fasta))
    fields = (
        ("annotation.population_af[0].population_field", "AF_sas"),
        ("annotation.population_af[0].global_field", "AF"),
    )
    spec = SourceCheck(out, "population AF VCF 'gnomad'", "annotation.population_af[0].vcf", fields)
    report = check_source(spec, {c: len(s) for c, s in CONTIGS.items()}, fasta, None)
    assert report.problems == []
    assert report.read_whole and report.records == len(expected)


def test_gff3_renaming_block(tmp_path: Path) -> None:
    (block,) = [b for b in blocks() if "awk" in b]
    text = (
        "##gff-version 3\n##sequence-region   1 1 3000\n"
        "1\tensembl\tgene\t100\t900\t.\t+\t.\tID=gene:G1;Name=G1\n###\n"
        "MT\tensembl\tgene\t10\t90\t.\t+\t.\tID=gene:G2;Name=G2\n"
    )
    (tmp_path / "Homo_sapiens.GRCh38.113.gff3.gz").write_bytes(gzip.compress(text.encode()))
    done = subprocess.run(["bash", "-c", block], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    renamed = tmp_path / "Homo_sapiens.GRCh38.113.renamed.gff3.gz"
    contigs = {"chr1": 3000, "chrM": 16569}
    assert check_gff3_contigs(renamed, contigs) == []
    lines = gzip.decompress(renamed.read_bytes()).decode().splitlines()
    assert [line.split("\t")[0] for line in lines if not line.startswith("#")] == ["chr1", "chrM"]
