"""The per-sample variant table, built from real ``bcftools csq -l -p a`` output.

The toy genome is one 321-bp contig ``chrV`` with two genes designed so the
transcript choice is visible::

    ALPHA (+)  exon 1 31-58 (5'UTR 31-40, CDS 41-58 = c.1-18), intron 59-88,
               exon 2 89-103 (CDS), intron 104-133, exon 3 134-175 (CDS 134-145, 3'UTR)
      ALPHA-201  Ensembl_canonical, skips exon 2: MPEKAYGFQ*       (CDS 30 bp)
      ALPHA-202  untagged, all three exons:      MPEKAYWLSQIGFQ*  (CDS 45 bp)
      c.7-13 is GAAAAAG: an A5 run at genomic 48-52.
    BETA (-)   exon 1 264-296, intron 239-263, exon 2 206-238; no tags
      BETA-202   starts at the first ATG (284-282): MSAMELKDFRWQ*  (CDS 39 bp)
      BETA-201   starts at the second (275-273):    MELKDFRWQ*     (CDS 30 bp)
"""

from __future__ import annotations

import csv
import shutil
from dataclasses import replace
from pathlib import Path

import pysam
import pytest

from labpipe.annotation.csq_choice import CsqEntry
from labpipe.annotation.variant_reader import write_variant_table
from labpipe.annotation.variant_table import COLUMNS, VariantRow
from labpipe.core.errors import InputFormatError
from labpipe.core.sequence import reverse_complement, translate
from tests.builders import (
    ALPHA_PARTS,
    BETA_MRNA_PARTS,
    CONTIG,
    GFF3,
    VCF_HEADER,
    VCF_RECORDS,
    run_csq,
    write_genome,
)
from tests.paths import SHARED_DATA

CSQ_CASES = SHARED_DATA / "annotation-af-subsets" / "bcftools-csq-cases"
needs_bcftools = pytest.mark.skipif(shutil.which("bcftools") is None, reason="needs bcftools")


ANNOTATION = ("gene", "transcript", "strand", "consequence", "hgvs_c", "hgvs_p", "protein_change")
# (pos, alt) -> annotation columns, then other_consequences
EXPECTED_ANNOTATION: dict[tuple[str, str], tuple[tuple[str, ...], str]] = {
    ("20", "T"): (("", "", "", "", "", "", ""), ""),  # intergenic: csq writes no BCSQ
    # Both ALPHA transcripts hit: the canonical one wins although its CDS is shorter.
    ("44", "T"): (
        ("ALPHA", "ALPHA-201", "+", "missense", "c.4C>T", "p.Pro2Ser", "2P>2S"),
        "ALPHA:ALPHA-202:missense",
    ),
    ("44", "A"): (
        ("ALPHA", "ALPHA-201", "+", "missense", "c.4C>A", "p.Pro2Thr", "2P>2T"),
        "ALPHA:ALPHA-202:missense",
    ),
    # Left-aligned deletion in the A5 run: HGVS moves it to the run's 3' end.
    ("47", "G"): (
        (
            "ALPHA", "ALPHA-201", "+", "frameshift", "c.12del", "p.Ala5fs",
            "3EKAYGFQ*>3EKRTASS",
        ),
        "ALPHA:ALPHA-202:frameshift",
    ),
    # csq prints splice_region and stop_gained as two entries of one transcript.
    ("58", "G"): (
        (
            "ALPHA", "ALPHA-201", "+", "stop_gained&splice_region", "c.18C>G", "p.Tyr6Ter",
            "6Y>6*",
        ),
        "ALPHA:ALPHA-202:stop_gained&splice_region",
    ),
    ("65", "T"): (
        ("ALPHA", "ALPHA-201", "+", "splice_region", "c.18+7C>T", "", ""),
        "ALPHA:ALPHA-202:splice_region",
    ),
    # Exon 2 exists only in ALPHA-202; csq reports no intron for ALPHA-201 then.
    ("98", "G"): (("ALPHA", "ALPHA-202", "+", "missense", "c.28C>G", "p.Gln10Glu", "10Q>10E"), ""),
    # csq names no transcript for introns; the table resolves the canonical one.
    ("120", "T"): (("ALPHA", "ALPHA-201", "+", "intron", "c.19-14C>T", "", ""), ""),
    ("150", "T"): (
        ("ALPHA", "ALPHA-201", "+", "3_prime_utr", "c.*5C>T", "", ""),
        "ALPHA:ALPHA-202:3_prime_utr",
    ),
    # No tags on BETA: the longest CDS wins; minus strand bases are complemented.
    ("231", "G"): (
        ("BETA", "BETA-202", "-", "missense", "c.29G>C", "p.Arg10Pro", "10R>10P"),
        "BETA:BETA-201:missense",
    ),
    ("280", "A"): (
        ("BETA", "BETA-202", "-", "missense", "c.5C>T", "p.Ser2Phe", "2S>2F"),
        "BETA:BETA-201:5_prime_utr",
    ),
    ("290", "G"): (
        ("BETA", "BETA-202", "-", "5_prime_utr", "c.-6T>C", "", ""),
        "BETA:BETA-201:5_prime_utr",
    ),
}  # fmt: skip


def read_table(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        assert tuple(reader.fieldnames or ()) == COLUMNS
        return list(reader)


class Toy:
    """The toy genome and its csq-annotated VCF, shared by the tests of this module."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.fasta, self.gff3 = write_genome(directory)
        self.vcf = directory / "calls.vcf"
        self.vcf.write_text(VCF_HEADER + VCF_RECORDS)
        self.annotated = run_csq(self.vcf, self.fasta, self.gff3, directory / "calls.csq.vcf.gz")


@pytest.fixture(scope="module")
def toy(tmp_path_factory: pytest.TempPathFactory) -> Toy:
    if shutil.which("bcftools") is None:
        pytest.skip("needs bcftools")
    return Toy(tmp_path_factory.mktemp("variant_table"))


@pytest.fixture(scope="module")
def s2_rows(toy: Toy, tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], dict]:
    out = tmp_path_factory.mktemp("tables") / "S2.tsv"
    # 11 of the 12 records: S2's ./. at 120 is no call, so not one of its variants.
    assert write_variant_table(toy.annotated, toy.gff3, toy.fasta, out, sample="S2") == 11
    return {(row["pos"], row["alt"]): row for row in read_table(out)}


@pytest.fixture(scope="module")
def s1_rows(toy: Toy, tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], dict]:
    out = tmp_path_factory.mktemp("tables") / "S1.tsv"
    write_variant_table(toy.annotated, toy.gff3, toy.fasta, out, sample="S1")
    return {(row["pos"], row["alt"]): row for row in read_table(out)}


def test_toy_genome_is_what_the_docstring_says() -> None:
    alpha, beta = dict(ALPHA_PARTS), dict(BETA_MRNA_PARTS)
    assert translate(alpha["cds1"] + alpha["cds3"]) == "MPEKAYGFQ*"
    assert translate(alpha["cds1"] + alpha["cds2"] + alpha["cds3"]) == "MPEKAYWLSQIGFQ*"
    assert translate(beta["cds1"] + beta["cds2"]) == "MSAMELKDFRWQ*"
    assert translate(beta["cds1"][9:] + beta["cds2"]) == "MELKDFRWQ*"
    assert len(CONTIG) == 321 and CONTIG[47:52] == "AAAAA"
    assert CONTIG[30:58].endswith("TAC") and CONTIG[263:296] == reverse_complement(
        beta["utr5"] + beta["cds1"]
    )


def test_columns_are_the_documented_contract() -> None:
    assert COLUMNS == (
        "sample", "chrom", "pos", "ref", "alt", "filter", "qual", "genotype", "zygosity",
        "depth", "ref_depth", "alt_depth", "allele_fraction", "gene", "transcript", "strand",
        "biotype", "consequence", "hgvs_c", "hgvs_p", "protein_change", "other_consequences",
        "callers",
    )  # fmt: skip


@pytest.mark.parametrize("key", list(EXPECTED_ANNOTATION))
def test_annotation_from_real_csq(
    s1_rows: dict[tuple[str, str], dict],
    s2_rows: dict[tuple[str, str], dict],
    key: tuple[str, str],
) -> None:
    row = s2_rows[key] if key in s2_rows else s1_rows[key]
    annotation, others = EXPECTED_ANNOTATION[key]
    assert tuple(row[c] for c in ANNOTATION) == annotation
    assert row["other_consequences"] == others
    assert row["biotype"] == ("protein_coding" if annotation[0] else "")


def test_call_columns(s2_rows: dict[tuple[str, str], dict]) -> None:
    def calls(pos: str, alt: str) -> tuple[str, ...]:
        row = s2_rows[(pos, alt)]
        columns = ("sample", "filter", "qual", "genotype", "zygosity", "depth", "ref_depth")
        return tuple(row[c] for c in (*columns, "alt_depth", "allele_fraction"))

    assert calls("20", "T") == ("S2", "PASS", "50", "0/1", "het", "40", "22", "18", "0.450")
    # A multi-allelic record: one row per ALT, AD read for each ALT in turn.
    assert calls("44", "T") == ("S2", "PASS", "228.407", "1/2", "het", "41", "1", "20", "0.952")
    assert calls("44", "A") == ("S2", "PASS", "228.407", "1/2", "het", "41", "1", "20", "0.952")
    assert calls("47", "G") == ("S2", "PASS", "60", "1/1", "hom_alt", "25", "0", "25", "1.000")
    assert calls("58", "G") == (
        "S2",
        "LowQual;LowDepth",
        "12.5",
        "0/1",
        "het",
        "6",
        "3",
        "3",
        "0.500",
    )
    assert calls("65", "T") == ("S2", "PASS", "99", "0/1", "het", "30", "", "", "")  # no AD
    assert calls("98", "G") == ("S2", "PASS", "99", "0/1", "het", "", "", "", "")  # GT only
    assert ("120", "T") not in s2_rows, "./. is no call: not listed as a variant"
    assert calls("150", "T") == ("S2", "PASS", "99", "0|1", "het", "30", "10", "20", "0.667")
    assert calls("231", "G") == ("S2", "PASS", "99", "0/1", "het", "30", "0", "0", "")  # AD 0,0


def test_first_sample_by_default(toy: Toy, tmp_path: Path) -> None:
    out = tmp_path / "first.tsv"
    write_variant_table(toy.annotated, toy.gff3, toy.fasta, out)
    rows = {(r["pos"], r["alt"]): r for r in read_table(out)}
    assert {r["sample"] for r in rows.values()} == {"S1"}
    # S1 is 0/0 at 20 and ./. at 58: records of another sample's variants, not S1's.
    assert ("20", "T") not in rows and ("58", "G") not in rows
    assert not {r["zygosity"] for r in rows.values()} & {"hom_ref", "no_call"}
    assert rows[("44", "A")]["zygosity"] == "other_alt"  # 0/1 carries T, not A


def test_mane_select_beats_ensembl_canonical(toy: Toy, tmp_path: Path) -> None:
    gff3 = tmp_path / "mane.gff3"
    alpha_202 = "ID=transcript:ALPHA-202;Parent=gene:GA;biotype=protein_coding;tag=basic"
    assert alpha_202 in GFF3
    gff3.write_text(GFF3.replace(alpha_202, alpha_202 + ",MANE_Select"))
    out = tmp_path / "mane.tsv"
    write_variant_table(toy.annotated, gff3, toy.fasta, out, sample="S2")
    rows = {(r["pos"], r["alt"]): r for r in read_table(out)}
    write_variant_table(toy.annotated, gff3, toy.fasta, out, sample="S1")  # S1 carries 120 T
    rows[("120", "T")] = {(r["pos"], r["alt"]): r for r in read_table(out)}[("120", "T")]
    assert (rows[("44", "T")]["transcript"], rows[("44", "T")]["hgvs_c"]) == ("ALPHA-202", "c.4C>T")
    assert rows[("44", "T")]["other_consequences"] == "ALPHA:ALPHA-201:missense"
    # In ALPHA-202's numbering the intronic variant sits before exon 3 (c.34).
    assert (rows[("120", "T")]["transcript"], rows[("120", "T")]["hgvs_c"]) == (
        "ALPHA-202",
        "c.34-14C>T",
    )


def test_unknown_sample_is_named(toy: Toy, tmp_path: Path) -> None:
    with pytest.raises(
        InputFormatError, match=r"sample 'S9' is not in the VCF \(samples: S1, S2\)"
    ):
        write_variant_table(toy.annotated, toy.gff3, toy.fasta, tmp_path / "x.tsv", sample="S9")
    assert not (tmp_path / "x.tsv").exists()


@needs_bcftools
def test_zero_records_give_a_header_only_table(tmp_path: Path) -> None:
    fasta, gff3 = write_genome(tmp_path)
    vcf = tmp_path / "empty.vcf"
    vcf.write_text(VCF_HEADER)
    annotated = run_csq(vcf, fasta, gff3, tmp_path / "empty.csq.vcf.gz")
    out = tmp_path / "empty.tsv"
    assert write_variant_table(annotated, gff3, fasta, out, sample="S2") == 0
    assert out.read_text() == "\t".join(COLUMNS) + "\n"


def test_without_gff3_only_the_calls_are_written(tmp_path: Path) -> None:
    fasta, _ = write_genome(tmp_path)
    vcf = tmp_path / "calls.vcf"
    vcf.write_text(VCF_HEADER + VCF_RECORDS)
    out = tmp_path / "calls.tsv"
    # 11 of the 12 records: S2's ./. record is no call.
    assert write_variant_table(vcf, None, fasta, out, sample="S2") == 11
    rows = read_table(out)
    assert rows[0]["genotype"] == "0/1" and rows[0]["allele_fraction"] == "0.450"
    assert all(r[c] == "" for r in rows for c in (*ANNOTATION, "other_consequences"))


def test_gff3_without_csq_output_is_refused(tmp_path: Path) -> None:
    fasta, gff3 = write_genome(tmp_path)
    vcf = tmp_path / "calls.vcf"
    vcf.write_text(VCF_HEADER + VCF_RECORDS)
    with pytest.raises(InputFormatError, match="no INFO/BCSQ in the header"):
        write_variant_table(vcf, gff3, fasta, tmp_path / "calls.tsv")


def test_failed_run_leaves_the_old_table_and_no_temporary_file(toy: Toy, tmp_path: Path) -> None:
    # A reference that disagrees with the VCF (another build) fails on the first variant.
    other = tmp_path / "other.fa"
    other.write_text(f">chrV\n{CONTIG.replace('C', 'T')}\n")
    pysam.faidx(str(other))
    out = tmp_path / "S2.tsv"
    out.write_text("previous table\n")
    with pytest.raises(InputFormatError, match=r"calls.csq.vcf.gz chrV:44 C>T: chrV:44: VCF REF"):
        write_variant_table(toy.annotated, toy.gff3, other, out, sample="S2")
    assert out.read_text() == "previous table\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_hand_written_bcsq_entries(tmp_path: Path) -> None:
    # What csq writes without -l (a compound "@pos" pointer, a "*" prefix) and an
    # unannotated VCF whose GFF3 lacks the transcript, checked without running csq.
    fasta, _ = write_genome(tmp_path)
    gff3 = tmp_path / "none.gff3"
    gff3.write_text("##gff-version 3\n")
    vcf = tmp_path / "hand.vcf"
    vcf.write_text(
        VCF_HEADER.replace(
            "##FORMAT=<ID=GT",
            '##INFO=<ID=BCSQ,Number=.,Type=String,Description="csq">\n##FORMAT=<ID=GT',
        )
        + "chrV\t44\t.\tC\tT\t50\tPASS\tBCSQ=@47,*missense|ALPHA|X-1|protein_coding|+|2P>2S|44C>T,"
        "intron|ALPHA||protein_coding\tGT\t0/1\t0/1\n"
    )
    out = tmp_path / "hand.tsv"
    assert write_variant_table(vcf, gff3, fasta, out) == 1
    (row,) = read_table(out)
    assert (row["transcript"], row["consequence"], row["hgvs_c"], row["hgvs_p"]) == (
        "X-1",
        "*missense",
        "",
        "p.Pro2Ser",
    )
    assert row["other_consequences"] == "ALPHA::intron"


def test_csq_entry_parse() -> None:
    entry = CsqEntry.parse("stop_gained&inframe_insertion|G|T1|protein_coding|+|10L>10L*|95G>GTAA")
    assert entry.terms == ["stop_gained", "inframe_insertion"]
    assert (entry.amino_acid_change, entry.dna_change) == ("10L>10L*", "95G>GTAA")
    short = CsqEntry.parse("intron|G||protein_coding")
    assert (short.transcript, short.strand, short.amino_acid_change) == ("", "", "")
    assert short.severity > entry.severity


def test_row_formatting() -> None:
    row = VariantRow("S", "1", 5, "A", "G", "PASS", 30.0, "0/1", "het", None, 3, 1, 0.25)
    assert row.tsv_fields()[:13] == [
        "S", "1", "5", "A", "G", "PASS", "30", "0/1", "het", "", "3", "1", "0.250",
    ]  # fmt: skip


@needs_bcftools
@pytest.mark.shared_data("annotation-af-subsets/bcftools-csq-cases")
def test_real_bundle_sites_only_vcf(tmp_path: Path) -> None:
    case = CSQ_CASES / "ENST00000218032"
    annotated = run_csq(
        case / "start-lost-del.vcf",
        case / "ENST00000218032.fa",
        case / "ENST00000218032.gff",
        tmp_path / "tlr8.vcf.gz",
    )
    out = tmp_path / "tlr8.tsv"
    fasta = case / "ENST00000218032.fa"
    assert write_variant_table(annotated, case / "ENST00000218032.gff", fasta, out) == 2
    first, second = read_table(out)
    # A sites-only VCF: no sample, no genotype columns.
    assert (first["sample"], first["genotype"], first["zygosity"], first["depth"]) == (
        "",
        "",
        "",
        "",
    )
    assert (first["consequence"], first["hgvs_c"], first["hgvs_p"]) == (
        "inframe_deletion&start_lost&splice_region",
        "c.1_3del",
        "p.Met1?",
    )
    assert (second["gene"], second["strand"], second["hgvs_c"], second["hgvs_p"]) == (
        "TLR8",
        "+",
        "c.14T>G",
        "p.Phe5Cys",
    )


def test_annotated_table_round_trip(tmp_path: Path) -> None:
    from labpipe.annotation.annotated_table import (
        AnnotatedVariant,
        ClinicalAnnotation,
        annotated_columns,
        read_annotated_table,
        write_annotated_table,
    )

    row = VariantRow("S", "chr1", 5, "A", "G", "PASS", 30.0, "0/1", "het", None, 3, 1, 0.25)
    clinical = ClinicalAnnotation(
        tier=1,
        tier_reason="ClinVar Pathogenic",
        in_panel="Thal,Deaf",
        clinvar_significance="Pathogenic",
        clinvar_review_status="criteria_provided,_single_submitter",
        clinvar_stars=1,
        clinvar_condition="a|b",
        clinvar_id="77",
        max_af=0.0003,
        population_afs=(0.0003, None),
        roh_segment="chr1:1-100",
        frequency="rare",
        confidence="confirm orthogonally: depth unknown",
        incidental="yes",
        inheritance="comp_het",
        inheritance_note="from father; with chr1:5A>G from mother",
    )
    out = tmp_path / "t.tsv"
    assert (
        write_annotated_table(
            out, ["g_population_af", "g_global_af"], [AnnotatedVariant(row, clinical)]
        )
        == 1
    )
    header = out.read_text().splitlines()[0].split("\t")
    assert tuple(header) == annotated_columns(["g_population_af", "g_global_af"])
    assert header[len(COLUMNS) :] == [
        "tier", "tier_reason", "in_panel", "clinvar_significance", "clinvar_review_status",
        "clinvar_stars", "clinvar_condition", "clinvar_id", "max_af", "g_population_af",
        "g_global_af", "roh_segment", "frequency", "confidence", "incidental", "inheritance",
        "inheritance_note",
    ]  # fmt: skip
    table = read_annotated_table(out)
    assert table.af_columns == ("g_population_af", "g_global_af")
    assert table.variants == [AnnotatedVariant(row, clinical)]
    # Tables written before the later tail columns still read.
    lines = out.read_text().splitlines()
    incidental = {"incidental": ""}
    for dropped, blank in (
        (2, {}),
        (3, incidental),
        (5, {**incidental, "frequency": "", "confidence": ""}),
    ):
        old = [line.split("\t")[:-dropped] for line in lines]
        out.write_text("".join("\t".join(cells) + "\n" for cells in old))
        expected = replace(clinical, inheritance="", inheritance_note="", **blank)
        assert read_annotated_table(out).variants == [AnnotatedVariant(row, expected)]


def test_plain_table_is_not_an_annotated_one(tmp_path: Path) -> None:
    from labpipe.annotation.annotated_table import read_annotated_table

    out = tmp_path / "plain.tsv"
    out.write_text("\t".join(COLUMNS) + "\n")
    with pytest.raises(InputFormatError, match="not an annotated variant table"):
        read_annotated_table(out)
