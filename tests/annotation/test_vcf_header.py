"""The VCF header type both readers of a source share (bcftools' text, pysam's header)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pysam
import pytest

from labpipe.annotation.vcf_header import InfoField, VcfHeader
from tests.paths import SHARED_DATA, TEST_DATA


def test_header_lines_are_read() -> None:
    header = VcfHeader.parse(
        "##fileformat=VCFv4.2\n"
        "##fileDate=\n"
        "##reference=file:///data/GRCh38.fa\n"
        "##reference=GRCh37\n"
        '##INFO=<ID=AF_sas,Number=A,Type=Float,Description="AF, South Asian \\"sas\\"">\n'
        '##INFO=<ID=CLNSIG,Number=.,Type=String,Description="x=y, z">\n'
        "##INFO=<Number=1,Type=Integer>\n"
        "##contig=<ID=chr1,length=248956422,assembly=GRCh38>\n"
        "##contig=<ID=chrUn>\n"
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
    )
    assert header.info == {
        "AF_sas": InfoField("A", "Float"),
        "CLNSIG": InfoField(".", "String"),
    }
    assert header.contigs == {"chr1": 248_956_422, "chrUn": None}
    assert header.value("reference") == "file:///data/GRCh38.fa"  # the first one, as htslib
    assert header.value("fileDate") is None  # empty
    assert header.value("source") is None


def shared_vcfs() -> list[Path]:
    found = sorted(TEST_DATA.glob("*.vcf.gz"))
    bad = SHARED_DATA / "bad-inputs"
    return found + sorted(bad.glob("*/*.vcf")) + sorted(bad.glob("*/*.vcf.gz"))


@pytest.mark.parametrize("path", shared_vcfs(), ids=lambda path: path.name)
def test_bcftools_text_and_pysam_header_read_the_same(path: Path, tmp_path: Path) -> None:
    # validate reads the header bcftools prints; the annotation step the one pysam opened.
    # One parse serves both, so they must agree with htslib's own reading of every file
    # both can open.
    done = subprocess.run(["bcftools", "view", "-h", str(path)], capture_output=True, text=True)
    try:
        opened = pysam.VariantFile(str(path))
    except (OSError, ValueError):
        pytest.skip("not a VCF htslib opens")
    if done.returncode != 0:
        pytest.skip("not a VCF bcftools 1.16 opens")
    with opened:
        expected_info = {k: str(v.type) for k, v in opened.header.info.items()}
        expected_contigs = {k: v.length for k, v in opened.header.contigs.items()}
        from_pysam = VcfHeader.parse(str(opened.header))
    from_bcftools = VcfHeader.parse(done.stdout)
    for parsed in (from_bcftools, from_pysam):
        assert {k: v.type for k, v in parsed.info.items()} == expected_info
        assert dict(parsed.contigs) == expected_contigs
