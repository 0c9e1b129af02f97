"""The batch's SNV sites: which calls become sites, and the targets file bcftools reads."""

from __future__ import annotations

from pathlib import Path

import pysam
import pytest

from labpipe.core.errors import InputFormatError
from labpipe.qc.batch_genotypes import (
    Site,
    is_autosome,
    read_batch_genotypes,
    read_sites,
    select_sites,
    write_sites,
)

HEADER = """##fileformat=VCFv4.2
##contig=<ID=chr1,length=1000>
##contig=<ID=chrX,length=1000>
##FILTER=<ID=PASS,Description="All filters passed">
##FILTER=<ID=LowQual,Description="Low quality">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">
"""


def write_vcf(path: Path, samples: list[str], rows: list[str]) -> Path:
    columns = "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT"])
    text = HEADER + "\t".join([columns, *samples]) + "\n" + "".join(r + "\n" for r in rows)
    plain = path.with_suffix("")
    plain.write_text(text)
    pysam.tabix_compress(str(plain), str(path), force=True)
    return path


def test_sites_are_pass_biallelic_autosomal_snvs_inside_the_targets(tmp_path: Path) -> None:
    targets = tmp_path / "targets.bed"
    targets.write_text("chr1\t99\t300\nchrX\t0\t1000\n")
    one = write_vcf(tmp_path / "a.vcf.gz", ["A"], [
        "chr1\t100\t.\tA\tG\t50\tPASS\t.\tGT\t0/1",  # first base of the target
        "chr1\t150\t.\tC\tT\t50\tLowQual\t.\tGT\t0/1",  # filtered
        "chr1\t160\t.\tCA\tC\t50\tPASS\t.\tGT\t0/1",  # indel
        "chr1\t400\t.\tG\tA\t50\tPASS\t.\tGT\t1/1",  # outside the targets
        "chrX\t50\t.\tG\tA\t50\tPASS\t.\tGT\t1/1",  # sex chromosome
    ])  # fmt: skip
    two = write_vcf(tmp_path / "b.vcf.gz", ["B"], [
        "chr1\t100\t.\tA\tG\t50\tPASS\t.\tGT\t1/1",  # the same site from another sample
        "chr1\t300\t.\tT\tC\t50\tPASS\t.\tGT\t0/1",  # last base of the target
    ])  # fmt: skip
    sites = select_sites([one, two], targets)
    assert sites == [Site("chr1", 100, "A", "G"), Site("chr1", 300, "T", "C")]
    write_sites(sites, tmp_path / "sites.tsv.gz")
    assert (tmp_path / "sites.tsv.gz.tbi").exists()
    assert read_sites(tmp_path / "sites.tsv.gz") == sites
    assert not is_autosome("X") and not is_autosome("chrM") and is_autosome("chr10")


def test_genotypes_below_ten_reads_are_missing_and_other_alleles_ignored(tmp_path: Path) -> None:
    sites = [Site("chr1", 100, "A", "G", 0.3), Site("chr1", 200, "C", "T")]
    vcf = write_vcf(tmp_path / "g.vcf.gz", ["A", "B"], [
        "chr1\t100\t.\tA\tG\t50\t.\t.\tGT:AD\t0/0:30,0\t0/1:4,3",
        "chr1\t200\t.\tC\tA\t50\t.\t.\tGT:AD\t0/1:15,15\t0/0:30,0",  # not the site's allele
    ])  # fmt: skip
    batch = read_batch_genotypes(vcf, sites)
    assert batch.samples == ("A", "B")
    assert batch.genotypes.tolist() == [[0, -1], [-1, -1]]
    assert batch.ref_reads[0].tolist() == [30, 4] and batch.alt_reads[0].tolist() == [0, 3]
    assert batch.sites[0].population_af == 0.3


def test_a_damaged_sites_file_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "sites.tsv.gz"
    bad.write_bytes(b"not gzip")
    with pytest.raises(
        InputFormatError, match=r"sites\.tsv\.gz: not a labpipe identity sites file"
    ):
        read_sites(bad)
