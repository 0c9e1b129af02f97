"""A source's first records per contig, found through its index without pysam.

pysam's ``fetch`` (htslib reading the same index) is the independent oracle.
"""

from __future__ import annotations

import itertools
import subprocess
from pathlib import Path

import pysam
import pytest

from labpipe.annotation.source_reading import SourceRecord, first_records
from labpipe.annotation.tabix_index import first_offsets

CONTIGS = {"chr1": 300_000, "chr2": 200_000, "chrM": 16_569}


def write_indexed(folder: Path, index: str) -> Path:
    """A bgzipped VCF spanning many BGZF blocks, with a .tbi, a .csi, or as BCF with a .csi."""
    header = "##fileformat=VCFv4.2\n" + "".join(
        f"##contig=<ID={name},length={length}>\n" for name, length in CONTIGS.items()
    )
    header += '##INFO=<ID=PAD,Number=1,Type=String,Description="filler">\n'
    header += "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
    lines = [
        f"{name}\t{pos}\t.\t{'ACGT'[pos % 4]}{'T' * (pos % 3)}\tG\t.\tPASS\tPAD={'Q' * 50}\n"
        for name, length in CONTIGS.items()
        if name != "chr2" or index != "tbi"  # a contig of the header without records too
        for pos in range(length // 3 + 7, length, 97)
    ]
    plain = folder / "source.vcf"
    plain.write_text(header + "".join(lines))
    if index == "bcf":
        out = folder / "source.bcf"
        subprocess.run(["bcftools", "view", "-Ob", "-o", str(out), str(plain)], check=True)
        subprocess.run(["bcftools", "index", "-c", str(out)], check=True)
        return out
    out = Path(pysam.tabix_compress(str(plain), f"{plain}.gz") or f"{plain}.gz")
    flag = "-t" if index == "tbi" else "-c"
    subprocess.run(["bcftools", "index", flag, str(out)], check=True)
    return out


def fetched(path: Path, contig: str, count: int) -> list[SourceRecord]:
    with pysam.VariantFile(str(path)) as vcf:
        if contig not in vcf.index:
            return []
        return [
            SourceRecord(r.chrom, r.pos, r.ref or "")
            for r in itertools.islice(vcf.fetch(contig), count)
        ]


@pytest.mark.parametrize("index", ["tbi", "csi", "bcf"])
def test_first_records_of_each_contig_are_htslibs(index: str, tmp_path: Path) -> None:
    path = write_indexed(tmp_path, index)
    # A BCF's .csi names no contigs (its header numbers them): bcftools is asked instead.
    assert (first_offsets(path) is None) == (index == "bcf")
    read = first_records(path, ["chrM", "chr2", "chr1"], 20, 400)
    assert read.failure is None
    expected = {name: fetched(path, name, 20) for name in CONTIGS}
    assert read.first == {name: kept for name, kept in expected.items() if kept}
    assert read.records == sum(len(kept) for kept in expected.values())
    # It stops once it has enough: the first contig's 20 records, then no more.
    assert list(first_records(path, ["chr1", "chrM"], 20, 20).first) == ["chr1"]


def test_damage_at_a_contigs_start_is_said(tmp_path: Path) -> None:
    path = write_indexed(tmp_path, "tbi")
    offsets = first_offsets(path)
    assert offsets is not None
    data = bytearray(path.read_bytes())
    block = offsets["chrM"] >> 16
    data[block + 40 : block + 104] = bytes(64)
    path.write_bytes(bytes(data))
    read = first_records(path, ["chr1", "chrM"], 20, 400)
    assert (read.failure, read.where) == ("corrupt compressed data", "in chrM")
    assert list(read.first) == ["chr1"]
