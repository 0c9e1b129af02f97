"""freebayes' second opinion on bcftools' indels: windows, and the merge rules."""

from __future__ import annotations

from pathlib import Path

import pysam
import pytest

from labpipe.calling.indel_windows import indel_windows, write_windows
from labpipe.calling.second_opinion import SHADOW_FILTER, apply_second_opinion
from labpipe.core.errors import InputFormatError
from labpipe.core.regions import Interval

CONTIGS = "##contig=<ID=chr1,length=100000>\n##contig=<ID=chr2,length=100000>\n"

BCFTOOLS_HEADER = (
    "##fileformat=VCFv4.2\n" + CONTIGS + '##FILTER=<ID=PASS,Description="All filters passed">\n'
    '##FILTER=<ID=LowDepth,Description="read depth below 3">\n'
    '##FILTER=<ID=IndelArtefact,Description="indel allele in fewer than 2 reads">\n'
    '##INFO=<ID=INDEL,Number=0,Type=Flag,Description="indel">\n'
    '##INFO=<ID=DP,Number=1,Type=Integer,Description="depth">\n'
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="genotype">\n'
    '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="depth">\n'
    '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="allele depths">\n'
    '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="genotype quality">\n'
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n"
)

FREEBAYES_HEADER = (
    "##fileformat=VCFv4.2\n" + CONTIGS + '##FILTER=<ID=LowDepth,Description="read depth below 3">\n'
    '##INFO=<ID=DP,Number=1,Type=Integer,Description="depth">\n'
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="genotype">\n'
    '##FORMAT=<ID=GQ,Number=1,Type=Float,Description="genotype quality">\n'
    '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="depth">\n'
    '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="allele depths">\n'
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n"
)


def write_vcf(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text(header + "".join(row.replace(" ", "\t") + "\n" for row in rows))
    return path


def merged(tmp_path: Path, bcftools: list[str], freebayes: list[str] | None):  # type: ignore[no-untyped-def]
    calls = write_vcf(tmp_path / "calls.vcf", BCFTOOLS_HEADER, bcftools)
    opinion = None
    if freebayes is not None:
        opinion = write_vcf(tmp_path / "freebayes.vcf", FREEBAYES_HEADER, freebayes)
    out = tmp_path / "merged.vcf"
    counts = apply_second_opinion(str(calls), opinion, str(out))
    with pysam.VariantFile(str(out)) as handle:
        records = {(r.chrom, r.pos, r.ref, r.alts[0]): r for r in handle}
    return counts, records, out


def filters(record) -> list[str]:  # type: ignore[no-untyped-def]
    return list(record.filter.keys())


def test_windows_pad_merge_and_stay_inside_the_calling_regions() -> None:
    calling = [Interval("chr1", 1000, 2000), Interval("chr1", 5000, 6000), Interval("chr2", 0, 500)]
    candidates = [
        Interval("chr1", 1500, 1502),
        Interval("chr1", 1540, 1541),  # 38 bp on: its window overlaps the first
        Interval("chr1", 1990, 1991),  # window runs past the region's end
        Interval("chr1", 3000, 3001),  # outside every calling region
        Interval("chr2", 10, 14),  # window would start before 0
        Interval("chrUn", 10, 11),  # contig not called
    ]
    assert indel_windows(candidates, calling, padding=30) == [
        Interval("chr1", 1470, 1571),
        Interval("chr1", 1960, 2000),
        Interval("chr2", 0, 44),
    ]


def test_windows_do_not_depend_on_how_candidates_are_split(tmp_path: Path) -> None:
    calling = tmp_path / "calling.bed"
    calling.write_text("chr1\t0\t10000\n")
    first = tmp_path / "a.txt"
    second = tmp_path / "b.txt"
    first.write_text("chr1\t100\t101\nchr1\t4990\t4992\n")
    second.write_text("chr1\t5010\t5011\n")
    whole = tmp_path / "whole.txt"
    whole.write_text(first.read_text() + second.read_text())
    out_split, out_whole = tmp_path / "split.bed", tmp_path / "whole.bed"
    assert write_windows([first, second], calling, out_split) == 2
    write_windows([whole], calling, out_whole)
    assert out_split.read_text() == out_whole.read_text() == ("chr1\t70\t131\nchr1\t4960\t5041\n")


def test_merge_rules(tmp_path: Path) -> None:
    bcftools = [
        "chr1 100 . A G 50 PASS DP=20 GT:DP:AD:GQ 0/1:20:10,10:50",  # SNV: untouched
        "chr1 200 . CA C 60 PASS INDEL;DP=15 GT:DP:AD:GQ 0/1:15:8,7:60",  # both call it
        "chr1 300 . GT G 20 IndelArtefact INDEL;DP=6 GT:DP:AD:GQ 0/1:6:5,1:20",  # rescued
        "chr1 400 . TAA T 80 PASS INDEL;DP=20 GT:DP:AD:GQ 0/1:20:10,10:80",  # strong, confirmed
        "chr1 403 . A AT 10 PASS INDEL;DP=20 GT:DP:AD:GQ 0/1:20:17,3:10",  # its shadow
        "chr1 900 . C CT 15 PASS INDEL;DP=12 GT:DP:AD:GQ 0/1:12:9,3:15",  # bcftools only, alone
    ]
    freebayes = [
        "chr1 200 . CA C 70 PASS DP=15 GT:GQ:DP:AD 0/1:65.2:15:8,7",
        "chr1 300 . GT G 30 PASS DP=6 GT:GQ:DP:AD 0/1:28.7:6:3,3",
        "chr1 400 . TAA T 90 PASS DP=20 GT:GQ:DP:AD 0/1:80:20:10,10",
        "chr1 600 . G GA 40 PASS DP=14 GT:GQ:DP:AD 1/1:33.6:14:1,13",  # freebayes only
        "chr1 700 . T TC 5 LowDepth DP=2 GT:GQ:DP:AD 0/1:5:2:0,2",  # filtered: not its opinion
        "chr1 800 . A C 50 PASS DP=10 GT:GQ:DP:AD 0/1:50:10:5,5",  # SNV: ignored
        "chr1 850 . ATG CA 50 PASS DP=10 GT:GQ:DP:AD 0/1:50:10:5,5",  # complex: ignored
    ]
    counts, records, out = merged(tmp_path, bcftools, freebayes)

    snv = records[("chr1", 100, "A", "G")]
    assert "CALLERS" not in snv.info and filters(snv) == ["PASS"]
    both = records[("chr1", 200, "CA", "C")]
    assert both.info["CALLERS"] == "bcftools+freebayes" and filters(both) == ["PASS"]
    assert both.qual == 60, "bcftools' record is kept"
    rescued = records[("chr1", 300, "GT", "G")]
    assert rescued.info["CALLERS"] == "bcftools+freebayes" and filters(rescued) == ["PASS"]
    assert filters(records[("chr1", 403, "A", "AT")]) == [SHADOW_FILTER]
    assert filters(records[("chr1", 400, "TAA", "T")]) == ["PASS"]
    alone = records[("chr1", 900, "C", "CT")]
    assert alone.info["CALLERS"] == "bcftools" and filters(alone) == ["PASS"]

    added = records[("chr1", 600, "G", "GA")]
    assert added.info["CALLERS"] == "freebayes" and filters(added) == ["PASS"]
    assert added.qual == 40 and added.info["INDEL"] is True
    sample = added.samples["S1"]
    assert sample["GT"] == (1, 1) and sample["AD"] == (1, 13)
    assert sample["DP"] == 14 and sample["GQ"] == 34
    assert ("chr1", 700, "T", "TC") not in records
    assert ("chr1", 800, "A", "C") not in records
    assert ("chr1", 850, "ATG", "CA") not in records

    assert (counts.confirmed, counts.rescued_from_filter, counts.added, counts.shadowed) == (
        2,
        1,
        1,
        1,
    )
    positions = [r.pos for r in pysam.VariantFile(str(out))]
    assert positions == sorted(positions)
    header = str(pysam.VariantFile(str(out)).header)
    assert "##INFO=<ID=CALLERS" in header and f"##FILTER=<ID={SHADOW_FILTER}" in header


def test_a_stronger_neighbour_from_freebayes_also_casts_a_shadow(tmp_path: Path) -> None:
    bcftools = ["chr2 1000 . ATG A 12 PASS INDEL;DP=15 GT:DP:AD:GQ 0/1:15:12,3:12"]
    freebayes = ["chr2 1003 . C CA 45 PASS DP=15 GT:GQ:DP:AD 0/1:40:15:7,8"]
    counts, records, _ = merged(tmp_path, bcftools, freebayes)
    assert filters(records[("chr2", 1000, "ATG", "A")]) == [SHADOW_FILTER]
    assert filters(records[("chr2", 1003, "C", "CA")]) == ["PASS"]
    assert counts.added == 1 and counts.shadowed == 1


def test_no_candidates_leaves_bcftools_calls_as_they_are(tmp_path: Path) -> None:
    bcftools = [
        "chr1 100 . A G 50 PASS DP=20 GT:DP:AD:GQ 0/1:20:10,10:50",
        "chr1 200 . CA C 60 PASS INDEL;DP=15 GT:DP:AD:GQ 0/1:15:8,7:60",
    ]
    empty = tmp_path / "empty.bcf"
    empty.write_bytes(b"")
    calls = write_vcf(tmp_path / "calls.vcf", BCFTOOLS_HEADER, bcftools)
    out = tmp_path / "out.vcf"
    counts = apply_second_opinion(str(calls), empty, str(out))
    records = list(pysam.VariantFile(str(out)))
    assert [(r.pos, filters(r)) for r in records] == [(100, ["PASS"]), (200, ["PASS"])]
    assert records[1].info["CALLERS"] == "bcftools"
    assert (counts.added, counts.shadowed) == (0, 0)


def test_streamed_merge_matches_the_rules_over_many_records(tmp_path: Path) -> None:
    """Thousands of records on two contigs (the merge keeps only a short window in
    memory): every ShadowIndel and every added indel is where the rules put them."""
    bcftools, freebayes = [], []
    expected_shadow, expected_added = set(), set()
    for contig in ("chr1", "chr2"):
        for n in range(1500):
            pos = 100 + n * 20
            kind = n % 5
            if kind == 0:
                bcftools.append(f"{contig} {pos} . A G 50 PASS DP=20 GT:DP:AD:GQ 0/1:20:10,10:50")
            elif kind == 1:  # a strong confirmed indel with a weak bcftools-only one 3 bp on
                bcftools.append(f"{contig} {pos} . CA C 80 PASS INDEL GT:DP:AD:GQ 0/1:20:10,10:80")
                freebayes.append(f"{contig} {pos} . CA C 70 PASS DP=20 GT:GQ:DP:AD 0/1:60:20:10,10")
                bcftools.append(f"{contig} {pos + 3} . A AT 9 PASS INDEL GT:DP:AD:GQ 0/1:20:17,3:9")
                expected_shadow.add((contig, pos + 3))
            elif kind == 2:  # bcftools alone, no neighbour
                bcftools.append(f"{contig} {pos} . GT G 30 PASS INDEL GT:DP:AD:GQ 0/1:12:9,3:30")
            elif kind == 3:  # freebayes alone
                freebayes.append(f"{contig} {pos} . T TC 40 PASS DP=14 GT:GQ:DP:AD 0/1:30:14:7,7")
                expected_added.add((contig, pos))
    counts, records, out = merged(tmp_path, bcftools, freebayes)
    shadowed = {(c, p) for (c, p, _, _), r in records.items() if filters(r) == [SHADOW_FILTER]}
    added = {(c, p) for (c, p, _, _), r in records.items() if r.info.get("CALLERS") == "freebayes"}
    assert shadowed == expected_shadow and added == expected_added
    assert counts.shadowed == 600 and counts.added == 600 and counts.confirmed == 600
    order = [(r.chrom, r.pos) for r in pysam.VariantFile(str(out))]
    assert order == sorted(order) and len(order) == len(bcftools) + len(freebayes) - 600


def test_unsorted_calls_are_refused(tmp_path: Path) -> None:
    bcftools = [
        "chr1 300 . A G 50 PASS DP=20 GT:DP:AD:GQ 0/1:20:10,10:50",
        "chr1 100 . A G 50 PASS DP=20 GT:DP:AD:GQ 0/1:20:10,10:50",
    ]
    with pytest.raises(InputFormatError, match="not sorted: chr1:100"):
        merged(tmp_path, bcftools, [])


def test_reference_only_genotypes_never_come_out_as_variants(tmp_path: Path) -> None:
    """freebayes' 0/0 PASS indel on real reads became a hom_ref 'variant' (issue 11 item 7)."""
    bcftools = [
        "chr1 100 . A G 50 PASS DP=20 GT:DP:AD:GQ 0/1:20:10,10:50",
        # What splitting a 2/2 site leaves for the allele the sample does not carry.
        "chr1 150 . A C 50 PASS DP=20 GT:DP:AD:GQ 0/0:20:10,0:50",
        "chr1 160 . A T 50 PASS DP=20 GT:DP:AD:GQ ./.:20:10,0:50",
        "chr1 300 . GT G 20 IndelArtefact INDEL;DP=6 GT:DP:AD:GQ 0/1:6:5,1:20",
    ]
    freebayes = [
        "chr1 200 . CA C 70 PASS DP=15 GT:GQ:DP:AD 0/0:65.2:15:15,0",  # not an opinion
        "chr1 250 . CA C 70 PASS DP=15 GT:GQ:DP:AD ./.:65.2:15:15,0",
        "chr1 300 . GT G 30 PASS DP=6 GT:GQ:DP:AD 0/0:28.7:6:6,0",  # must not rescue
        "chr1 400 . G GA 40 PASS DP=14 GT:GQ:DP:AD 0/1:33.6:14:7,7",  # a real opinion
    ]
    counts, records, out = merged(tmp_path, bcftools, freebayes)
    assert sorted(key[1] for key in records) == [100, 300, 400]
    assert filters(records[("chr1", 300, "GT", "G")]) == ["IndelArtefact"]
    assert records[("chr1", 300, "GT", "G")].info["CALLERS"] == "bcftools"
    assert (counts.added, counts.rescued_from_filter, counts.not_variants) == (1, 0, 2)
    for record in pysam.VariantFile(str(out)):
        genotype = record.samples["S1"]["GT"]
        assert any(a is not None and a > 0 for a in genotype), (record.pos, genotype)


def test_a_family_record_counts_when_any_member_carries_it_and_added_indels_keep_each_member(
    tmp_path: Path,
) -> None:
    """A family's calls (two members): the freebayes columns are matched by name, in any order."""
    bcftools_header = BCFTOOLS_HEADER.replace("\tS1\n", "\tMUM\tKID\n")
    freebayes_header = FREEBAYES_HEADER.replace("\tS1\n", "\tKID\tMUM\n")
    calls = write_vcf(
        tmp_path / "calls.vcf",
        bcftools_header,
        [
            "chr1 100 . A G 50 PASS DP=60 GT:DP:AD:GQ 0/0:30:30,0:60 0/1:30:15,15:60",
            "chr1 300 . C T 50 PASS DP=60 GT:DP:AD:GQ 0/0:30:30,0:60 0/0:30:30,0:60",
        ],
    )
    opinion = write_vcf(
        tmp_path / "freebayes.vcf",
        freebayes_header,
        ["chr1 200 . AT A 80 PASS DP=50 GT:GQ:DP:AD 0/1:40.4:24:12,12 0/0:50.2:26:26,0"],
    )
    out = tmp_path / "merged.vcf"
    counts = apply_second_opinion(str(calls), opinion, str(out))
    assert (counts.added, counts.not_variants) == (1, 1)
    with pysam.VariantFile(str(out)) as handle:
        found = {r.pos: r for r in handle}
    assert sorted(found) == [100, 200]
    added = found[200].samples
    assert (added["KID"]["GT"], added["KID"]["DP"], added["KID"]["AD"]) == ((0, 1), 24, (12, 12))
    assert (added["MUM"]["GT"], added["MUM"]["DP"], added["MUM"]["GQ"]) == ((0, 0), 26, 50)
