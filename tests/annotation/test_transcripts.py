"""GFF3 transcript models: structure, tags, tolerated quirks, and errors that name the line."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from labpipe.annotation.transcripts import (
    CdsSegment,
    Exon,
    TranscriptModel,
    load_transcripts,
    transcripts_by_gene,
)
from labpipe.core.errors import InputFormatError
from tests.paths import SHARED_DATA

DATA = SHARED_DATA / "annotation-af-subsets"
CSQ_CASES = DATA / "bcftools-csq-cases"
CHR21_GFF = DATA / "vep-chr21-grch38" / "test.gff.gz"

# A plus-strand gene with a canonical and a skipping transcript, a minus-strand gene,
# and a lncRNA, written children-first as Ensembl does within a locus.
GFF3 = """\
##gff-version 3
##sequence-region   t1 1 220
t1\t.\tchromosome\t1\t220\t.\t.\t.\tID=chromosome:t1
t1\ttest\tfive_prime_UTR\t21\t35\t.\t+\t.\tParent=transcript:TP0001
t1\ttest\texon\t21\t50\t.\t+\t.\tParent=transcript:TP0001,transcript:TP0002
t1\ttest\tCDS\t36\t50\t.\t+\t0\tID=CDS:PP0001;Parent=transcript:TP0001
t1\ttest\tgene\t21\t190\t.\t+\t.\tID=gene:GP0001;Name=PLUS1;biotype=protein_coding
t1\ttest\tmRNA\t21\t190\t.\t+\t.\tID=transcript:TP0001;Parent=gene:GP0001;Name=PLUS1-201;\
biotype=protein_coding;tag=basic,Ensembl_canonical,MANE_Select
t1\ttest\texon\t81\t110\t.\t+\t.\tParent=transcript:TP0001
t1\ttest\tCDS\t81\t110\t.\t+\t0\tID=CDS:PP0001;Parent=transcript:TP0001
t1\ttest\texon\t141\t190\t.\t+\t.\tParent=transcript:TP0001
t1\ttest\tCDS\t141\t161\t.\t+\t0\tID=CDS:PP0001;Parent=transcript:TP0001
t1\ttest\tthree_prime_UTR\t162\t190\t.\t+\t.\tParent=transcript:TP0001
t1\ttest\tmRNA\t21\t190\t.\t+\t.\tID=transcript:TP0002;Parent=gene:GP0001;Name=PLUS1-202;\
biotype=protein_coding;tag=basic
t1\ttest\tCDS\t36\t50\t.\t+\t0\tID=CDS:PP0002;Parent=transcript:TP0002
t1\ttest\texon\t141\t190\t.\t+\t.\tParent=transcript:TP0002
t1\ttest\tCDS\t141\t161\t.\t+\t0\tID=CDS:PP0002;Parent=transcript:TP0002
###
t2\ttest\tgene\t21\t153\t.\t-\t.\tID=gene:GM0001;Name=MINUS%3B1;biotype=protein_coding
t2\ttest\tmRNA\t21\t153\t.\t-\t.\tID=transcript:TM0001;Parent=gene:GM0001;\
biotype=protein_coding
t2\ttest\texon\t130\t153\t.\t-\t.\tParent=transcript:TM0001
t2\ttest\tCDS\t130\t141\t.\t-\t0\tID=CDS:PM0001;Parent=transcript:TM0001
t2\ttest\texon\t81\t104\t.\t-\t.\tParent=transcript:TM0001
t2\ttest\tCDS\t81\t104\t.\t-\t0\tID=CDS:PM0001;Parent=transcript:TM0001
t2\ttest\texon\t21\t58\t.\t-\t.\tParent=transcript:TM0001
t2\ttest\tCDS\t41\t58\t.\t-\t0\tID=CDS:PM0001;Parent=transcript:TM0001
t2\ttest\tncRNA_gene\t160\t170\t.\t+\t.\tID=gene:GL0001;Name=LNC1;biotype=lncRNA
t2\ttest\tlnc_RNA\t160\t170\t.\t+\t.\tID=transcript:TL0001;Parent=gene:GL0001;biotype=lncRNA
t2\ttest\texon\t160\t162\t.\t+\t.\tParent=transcript:TL0001
t2\ttest\texon\t166\t170\t.\t+\t.\tParent=transcript:TL0001
t2\t.\tbiological_region\t1\t5\t0.99\t.\t.\tlogic_name=eponine
"""


def gff(tmp_path: Path, text: str, name: str = "genes.gff3") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.fixture
def models(tmp_path: Path) -> dict[str, TranscriptModel]:
    return load_transcripts(gff(tmp_path, GFF3))


def test_plus_strand_transcript_structure(models: dict[str, TranscriptModel]) -> None:
    tp1 = models["TP0001"]
    assert (tp1.gene_id, tp1.gene_name, tp1.name) == ("GP0001", "PLUS1", "PLUS1-201")
    assert (tp1.chrom, tp1.start, tp1.end, tp1.strand) == ("t1", 21, 190, "+")
    assert tp1.biotype == "protein_coding"
    assert tp1.tags == {"basic", "Ensembl_canonical", "MANE_Select"}
    assert tp1.exons == (Exon(21, 50), Exon(81, 110), Exon(141, 190))
    assert tp1.cds == (CdsSegment(36, 50, 0), CdsSegment(81, 110, 0), CdsSegment(141, 161, 0))
    assert (tp1.cds_start, tp1.cds_end, tp1.cds_length, tp1.length) == (36, 161, 66, 110)
    assert tp1.exons_5_to_3() == tp1.exons
    assert tp1.canonical_rank == 0


def test_minus_strand_transcript_is_ordered_5_to_3_on_request(
    models: dict[str, TranscriptModel],
) -> None:
    tm1 = models["TM0001"]
    # Genomic order is kept in the fields; transcript order is a method away.
    assert tm1.exons == (Exon(21, 58), Exon(81, 104), Exon(130, 153))
    assert tm1.exons_5_to_3() == (Exon(130, 153), Exon(81, 104), Exon(21, 58))
    assert [c.start for c in tm1.cds_5_to_3()] == [130, 81, 41]
    assert tm1.gene_name == "MINUS;1"  # %3B decoded
    assert tm1.tags == frozenset() and tm1.canonical_rank == 2


def test_shared_exon_lines_and_ranks(models: dict[str, TranscriptModel]) -> None:
    # One exon line with two parents belongs to both transcripts.
    assert models["TP0002"].exons == (Exon(21, 50), Exon(141, 190))
    assert models["TP0002"].cds_length == 36
    assert models["TP0002"].canonical_rank == 2


def test_non_coding_transcripts_are_kept(models: dict[str, TranscriptModel]) -> None:
    lnc = models["TL0001"]
    assert not lnc.is_coding and lnc.biotype == "lncRNA" and lnc.gene_name == "LNC1"
    assert lnc.exons == (Exon(160, 162), Exon(166, 170))
    assert lnc.cds_length == 0
    with pytest.raises(ValueError, match="non-coding"):
        _ = lnc.cds_start


def test_transcripts_by_gene(models: dict[str, TranscriptModel]) -> None:
    genes = transcripts_by_gene(models)
    assert [m.transcript_id for m in genes["PLUS1"]] == ["TP0001", "TP0002"]
    assert set(genes) == {"PLUS1", "MINUS;1", "LNC1"}


def test_gzip_is_recognised_by_content(tmp_path: Path) -> None:
    path = tmp_path / "genes.gff3.bgz"
    with gzip.open(path, "wt") as handle:
        handle.write(GFF3)
    assert set(load_transcripts(path)) == {"TP0001", "TP0002", "TM0001", "TL0001"}


def test_exons_derived_from_cds_and_utr_when_absent(tmp_path: Path) -> None:
    text = (
        "c\t.\tgene\t1\t100\t.\t+\t.\tID=g1;Name=G\n"
        "c\t.\tmRNA\t1\t100\t.\t+\t.\tID=t1;Parent=g1\n"
        "c\t.\tfive_prime_UTR\t1\t9\t.\t+\t.\tParent=t1\n"
        "c\t.\tCDS\t10\t30\t.\t+\t0\tParent=t1\n"
        "c\t.\tCDS\t60\t80\t.\t+\t0\tParent=t1\n"
        "c\t.\tthree_prime_UTR\t81\t100\t.\t+\t.\tParent=t1\n"
    )
    model = load_transcripts(gff(tmp_path, text))["t1"]
    assert model.exons == (Exon(1, 30), Exon(60, 100))
    # Without a biotype attribute the feature type stands in.
    assert (model.biotype, model.gene_id, model.gene_name) == ("mRNA", "g1", "G")


def test_fasta_section_and_orphans_are_ignored(tmp_path: Path) -> None:
    text = (
        GFF3
        + "t1\ttest\texon\t1\t5\t.\t+\t.\tParent=transcript:CUT_AWAY\n"
        + "##FASTA\n>t1\nACGT\n"
    )
    assert len(load_transcripts(gff(tmp_path, text))) == 4


def test_discontinuous_feature_lines_share_an_id(tmp_path: Path) -> None:
    text = (
        "c\t.\tcDNA_match\t1\t10\t.\t+\t.\tID=m1\n"
        "c\t.\tcDNA_match\t20\t30\t.\t+\t.\tID=m1\n"
        "c\t.\tmRNA\t1\t30\t.\t+\t.\tID=t1\n"
        "c\t.\texon\t1\t30\t.\t+\t.\tParent=t1\n"
    )
    assert list(load_transcripts(gff(tmp_path, text))) == ["t1"]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("t1\ttest\texon\t1\t5\t.\t+\t.", "expected 9 tab-separated columns, found 8"),
        ("t1\ttest\texon\tone\t5\t.\t+\t.\tParent=x", "start 'one' and end '5' must be integers"),
        ("t1\ttest\texon\t9\t5\t.\t+\t.\tParent=x", "coordinates 9-5 are not 1 <= start <= end"),
        ("t1\ttest\texon\t1\t5\t.\tplus\t.\tParent=x", "strand 'plus' is not one of +, -, ., ?"),
        ("t1\ttest\tCDS\t1\t5\t.\t+\t.\tParent=x", "CDS phase '.' is not 0, 1 or 2"),
        ("t1\ttest\texon\t1\t5\t.\t+\t.\tParent x", "attribute 'Parent x' is not key=value"),
        (
            "t2\ttest\tgene\t1\t5\t.\t+\t.\tID=gene:GP0001",
            "ID 'gene:GP0001' is already used on line 7 by a gene on t1",
        ),
    ],
)
def test_malformed_line_is_named(tmp_path: Path, line: str, problem: str) -> None:
    path = gff(tmp_path, GFF3 + line + "\n")
    bad_line = GFF3.count("\n") + 1
    with pytest.raises(InputFormatError) as err:
        load_transcripts(path)
    assert str(err.value) == f"{path}: the GFF3 file has problems"
    assert err.value.problems == [f"line {bad_line}: {problem}"]


def test_structure_conflicts_are_named(tmp_path: Path) -> None:
    text = (
        "c\t.\tmRNA\t1\t100\t.\t.\t.\tID=t1\n"
        "c\t.\texon\t1\t100\t.\t.\t.\tParent=t1\n"
        "c\t.\tmRNA\t1\t100\t.\t+\t.\tID=t2\n"
        "c\t.\texon\t1\t50\t.\t-\t.\tParent=t2\n"
        "c\t.\tmRNA\t1\t100\t.\t+\t.\tID=t3\n"
        "c\t.\texon\t1\t50\t.\t+\t.\tParent=t3\n"
        "c\t.\tCDS\t40\t60\t.\t+\t0\tParent=t3\n"
    )
    with pytest.raises(InputFormatError) as err:
        load_transcripts(gff(tmp_path, text))
    assert err.value.problems == [
        "line 1: transcript 't1' has strand '.'; it needs '+' or '-'",
        "line 4: exon on c strand -, but its transcript 't2' (line 3) is on c strand +",
        "line 7: CDS 40-60 of transcript 't3' lies outside its exons",
    ]


def test_many_problems_are_capped(tmp_path: Path) -> None:
    path = gff(tmp_path, "bad line\n" * 25)
    with pytest.raises(InputFormatError) as err:
        load_transcripts(path)
    assert len(err.value.problems) == 21
    assert err.value.problems[-1] == "... and 5 more"


def test_unreadable_file_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.gff3.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(InputFormatError, match="cannot read GFF3"):
        load_transcripts(path)


@pytest.mark.shared_data("annotation-af-subsets/bcftools-csq-cases")
def test_bcftools_csq_bundles_parse_as_csq_sees_them() -> None:
    tlr8 = load_transcripts(CSQ_CASES / "ENST00000218032" / "ENST00000218032.gff")
    model = tlr8["ENST00000218032"]
    # A 3-base first coding exon (just the ATG) then one long exon.
    assert (model.gene_name, model.strand, model.tags) == ("TLR8", "+", {"basic"})
    assert model.exons == (Exon(21, 110), Exon(12445, 16570))
    assert model.cds == (CdsSegment(108, 110, 0), CdsSegment(12445, 15567, 0))
    assert model.cds_length % 3 == 0

    ndnf = load_transcripts(CSQ_CASES / "ENSG00000173376" / "ENSG00000173376.gff")
    assert set(ndnf) == {"ENST00000379692", "ENST00000515757"}
    full = ndnf["ENST00000379692"]
    assert full.strand == "-" and full.cds_length == 1707
    assert [(c.start, c.phase) for c in full.cds_5_to_3()] == [(10058, 0), (4338, 1), (672, 2)]
    # ENST00000515757 stops at 1944 with no stop codon: a 3'-incomplete CDS.
    partial = ndnf["ENST00000515757"]
    assert partial.cds_start == 1944 and partial.exons[0] == Exon(1944, 2065)


@pytest.mark.shared_data("annotation-af-subsets/vep-chr21-grch38/test.gff.gz")
def test_real_ensembl_chr21_gff3() -> None:
    models = load_transcripts(CHR21_GFF)
    assert len(models) == 2414
    assert sum(m.is_coding for m in models.values()) == 935
    biotypes = {m.biotype for m in models.values()}
    assert {"protein_coding", "nonsense_mediated_decay", "lincRNA", "miRNA"} <= biotypes
    model = models["ENST00000624081"]
    assert (model.gene_id, model.gene_name, model.strand) == ("ENSG00000279493", "CH507-9B2.2", "+")
    assert [c.phase for c in model.cds] == [0, 2, 0, 1]
    assert len(model.exons) == 4 and model.cds[-1].end == 5017100
    # Read in transcript order, every CDS segment's phase continues the codons of the
    # ones before it: the segments were attached to the right transcripts and ordered.
    for coding in (m for m in models.values() if m.is_coding):
        segments = coding.cds_5_to_3()
        done = segments[0].length - segments[0].phase
        for segment in segments[1:]:
            assert segment.phase == (3 - done % 3) % 3, coding.transcript_id
            done += segment.length
