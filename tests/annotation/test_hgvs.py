"""HGVS c./n. positions and alleles (3' rule on both strands) and p. from bcftools csq strings.

The toy genome below is designed base by base, so every expected string can be
checked by hand. Each gene has three exons, an ATG, a stop codon and GT...AG introns.

PLUS1 on contig ``t1`` (+ strand), 1-based genomic coordinates::

    1-20 upstream | 21-35 5'UTR | 36-50 CDS c.1-15 | 51-80 intron 1 (30 bp)
    81-110 CDS c.16-45 | 111-140 intron 2 | 141-161 CDS c.46-66 (TAA at 159-161)
    162-190 3'UTR c.*1-*29 | 191-220 downstream

    protein MAERWQEKKLGSSQTFQCGDP*; c.19-27 is GAA AAA AAG (Glu7 Lys8 Lys9), an A7 run
    at c.20-26 (genomic 85-91); the 3'UTR reads on in frame as Ala Ser Leu Asp Ter.

MINUS1 on contig ``t2`` (- strand), designed 5'->3' on the mRNA and reverse-complemented::

    154-173 upstream | 142-153 5'UTR c.-1..-12 | 130-141 CDS c.1-12 (ATG at 139-141)
    105-129 intron 1 (25 bp) | 81-104 CDS c.13-36 | 59-80 intron 2 (22 bp)
    41-58 CDS c.37-54 (TGA at 41-43) | 21-40 3'UTR c.*1-*20 | 1-20 downstream

    protein MSALDSPSFGAKRWQLI*; c.16-22 is TCCCCCA (a C5 run at c.17-21 = a G5 run
    at genomic 96-100).
"""

from __future__ import annotations

from pathlib import Path

import pysam
import pytest

from labpipe.annotation.hgvs import hgvs_c, transcript_position
from labpipe.annotation.hgvs_protein import ProteinReference, hgvs_p, protein_reference
from labpipe.annotation.transcripts import CdsSegment, Exon, TranscriptModel, load_transcripts
from labpipe.core.errors import InputFormatError
from labpipe.core.sequence import reverse_complement, translate
from tests.paths import SHARED_DATA

CSQ_CASES = SHARED_DATA / "annotation-af-subsets" / "bcftools-csq-cases"

PLUS_PARTS = [
    ("upstream", "TTGACCTGTCCGATCTGCAT"),
    ("utr5", "CTTCGCAGCTCCACC"),
    ("cds1", "ATGGCTGAACGTTGG"),  # M A E R W
    ("intron1", "GTAAGTCTCGCTTCCTGCTTTCTTCCCCAG"),
    ("cds2", "CAGGAAAAAAAGCTGGGCTCTTCTCAGACC"),  # Q E K K L G S S Q T
    ("intron2", "GTGAGTCCTGACTGGTCCTTTCTCTTGCAG"),
    ("cds3", "TTCCAGTGCGGAGACCCTTAA"),  # F Q C G D P *
    ("utr3", "GCCTCACTGGACTGACGTTCCTCTGTCAC"),  # in frame: A S L D *
    ("downstream", "CAGTGGTCCCAGGTTCACCAGGCTGACTTC"),
]
MINUS_MRNA_PARTS = [
    ("upstream", "CTGCTGACCTCGGTACTTCG"),
    ("utr5", "GCAGTCTTCGCC"),
    ("cds1", "ATGTCTGCCCTG"),  # M S A L
    ("intron1", "GTAAGGCTTCTCTCCTGTTCCCTAG"),
    ("cds2", "GATTCCCCCAGCTTTGGAGCTAAG"),  # D S P S F G A K
    ("intron2", "GTGAGCTGTCTTCTCTCCACAG"),
    ("cds3", "CGGTGGCAGCTCATCTGA"),  # R W Q L I *
    ("utr3", "GTCCTCGCACCTCTGTGCCC"),
    ("downstream", "ACTCGTCTGGACTCGTGCTT"),
]
PLUS_CONTIG = "".join(seq for _, seq in PLUS_PARTS)
MINUS_CONTIG = reverse_complement("".join(seq for _, seq in MINUS_MRNA_PARTS))

PLUS1 = TranscriptModel(
    transcript_id="TP0001",
    gene_id="GP0001",
    gene_name="PLUS1",
    chrom="t1",
    start=21,
    end=190,
    strand="+",
    biotype="protein_coding",
    tags=frozenset({"Ensembl_canonical"}),
    exons=(Exon(21, 50), Exon(81, 110), Exon(141, 190)),
    cds=(CdsSegment(36, 50, 0), CdsSegment(81, 110, 0), CdsSegment(141, 161, 0)),
)
MINUS1 = TranscriptModel(
    transcript_id="TM0001",
    gene_id="GM0001",
    gene_name="MINUS1",
    chrom="t2",
    start=21,
    end=153,
    strand="-",
    biotype="protein_coding",
    tags=frozenset(),
    exons=(Exon(21, 58), Exon(81, 104), Exon(130, 153)),
    cds=(CdsSegment(41, 58, 0), CdsSegment(81, 104, 0), CdsSegment(130, 141, 0)),
)
PLUS_PROTEIN = ProteinReference("MAERWQEKKLGSSQTFQCGDP*", "ASLD*")
MINUS_PROTEIN = ProteinReference("MSALDSPSFGAKRWQLI*", "VLAPLC")


@pytest.fixture(scope="module")
def fasta(tmp_path_factory: pytest.TempPathFactory) -> pysam.FastaFile:
    path = tmp_path_factory.mktemp("toy_genome") / "toy.fa"
    path.write_text(f">t1\n{PLUS_CONTIG}\n>t2\n{MINUS_CONTIG}\n")
    pysam.faidx(str(path))
    return pysam.FastaFile(str(path))


def test_toy_genome_is_what_the_docstring_says() -> None:
    assert [len(seq) for _, seq in PLUS_PARTS] == [20, 15, 15, 30, 30, 30, 21, 29, 30]
    assert [len(seq) for _, seq in MINUS_MRNA_PARTS] == [20, 12, 12, 25, 24, 22, 18, 20, 20]
    parts = dict(PLUS_PARTS)
    assert translate(parts["cds1"] + parts["cds2"] + parts["cds3"]) == PLUS_PROTEIN.sequence
    mrna = dict(MINUS_MRNA_PARTS)
    assert translate(mrna["cds1"] + mrna["cds2"] + mrna["cds3"]) == MINUS_PROTEIN.sequence
    for parts_ in (PLUS_PARTS, MINUS_MRNA_PARTS):
        introns = [seq for name, seq in parts_ if name.startswith("intron")]
        assert all(i.startswith("GT") and i.endswith("AG") for i in introns)
    assert PLUS_CONTIG[84:91] == "AAAAAAA" and MINUS_CONTIG[95:100] == "GGGGG"


def test_protein_reference_translates_the_cds_and_the_tail(fasta: pysam.FastaFile) -> None:
    assert protein_reference(PLUS1, fasta) == PLUS_PROTEIN
    # No in-frame stop in MINUS1's 3'UTR: the tail just ends with the transcript.
    assert protein_reference(MINUS1, fasta) == MINUS_PROTEIN
    lnc = TranscriptModel("TL1", "", "LNC", "t1", 1, 30, "+", "lncRNA", frozenset(), (Exon(1, 30),))
    assert protein_reference(lnc, fasta) is None


@pytest.mark.parametrize(
    ("model", "pos", "expected"),
    [
        (PLUS1, 36, "1"),
        (PLUS1, 50, "15"),
        (PLUS1, 81, "16"),
        (PLUS1, 161, "66"),
        (PLUS1, 35, "-1"),
        (PLUS1, 21, "-15"),
        (PLUS1, 5, "-31"),  # upstream of the transcript: counting goes on
        (PLUS1, 162, "*1"),
        (PLUS1, 190, "*29"),
        (PLUS1, 200, "*39"),
        (PLUS1, 51, "15+1"),
        (PLUS1, 65, "15+15"),  # even 30-bp intron: 15 bases belong to each side
        (PLUS1, 66, "16-15"),
        (PLUS1, 80, "16-1"),
        (MINUS1, 141, "1"),
        (MINUS1, 130, "12"),
        (MINUS1, 104, "13"),
        (MINUS1, 41, "54"),
        (MINUS1, 142, "-1"),
        (MINUS1, 153, "-12"),
        (MINUS1, 160, "-19"),
        (MINUS1, 40, "*1"),
        (MINUS1, 21, "*20"),
        (MINUS1, 129, "12+1"),
        (MINUS1, 117, "12+13"),  # middle base of the odd 25-bp intron counts from the 5' exon
        (MINUS1, 116, "13-12"),
        (MINUS1, 105, "13-1"),
        (MINUS1, 80, "36+1"),
        (MINUS1, 59, "37-1"),
    ],
)
def test_transcript_position(model: TranscriptModel, pos: int, expected: str) -> None:
    assert transcript_position(model, pos) == expected


def test_positions_in_utr_introns_and_non_coding_transcripts() -> None:
    # Exon 1 is all 5'UTR, exon 3 all 3'UTR: intron positions hang off c.-N and c.*N.
    utr_introns = TranscriptModel(
        "T", "G", "G", "c", 1, 80, "+", "protein_coding", frozenset(),
        exons=(Exon(1, 10), Exon(21, 40), Exon(61, 80)),
        cds=(CdsSegment(25, 30, 0),),
    )  # fmt: skip
    assert transcript_position(utr_introns, 12) == "-5+2"
    assert transcript_position(utr_introns, 19) == "-4-2"
    assert transcript_position(utr_introns, 45) == "*10+5"
    assert transcript_position(utr_introns, 61) == "*11"
    lnc = TranscriptModel(
        "L", "G", "G", "c", 100, 130, "-", "lncRNA", frozenset(),
        exons=(Exon(100, 110), Exon(121, 130)),
    )  # fmt: skip
    assert [transcript_position(lnc, p) for p in (130, 121, 120, 115, 110, 100, 95, 133)] == [
        "1", "10", "10+1", "11-5", "11", "21", "*5", "-3",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("chrom", "pos", "ref", "alt", "expected"),
    [
        # plus strand: substitutions in the CDS, UTRs, introns and beyond the transcript
        ("t1", 39, "G", "A", "c.4G>A"),
        ("t1", 41, "T", "C", "c.6T>C"),
        ("t1", 36, "A", "G", "c.1A>G"),
        ("t1", 25, "G", "A", "c.-11G>A"),
        ("t1", 170, "G", "A", "c.*9G>A"),
        ("t1", 51, "G", "A", "c.15+1G>A"),
        ("t1", 52, "T", "C", "c.15+2T>C"),
        ("t1", 80, "G", "A", "c.16-1G>A"),
        ("t1", 79, "A", "G", "c.16-2A>G"),
        ("t1", 5, "C", "G", "c.-31C>G"),
        # plus strand: left-aligned indels in the A7 run move to its 3' end
        ("t1", 84, "GA", "G", "c.26del"),
        ("t1", 84, "GAAA", "G", "c.24_26del"),
        ("t1", 84, "G", "GA", "c.26dup"),
        ("t1", 84, "G", "GAA", "c.25_26dup"),
        ("t1", 88, "AA", "A", "c.26del"),  # not left-aligned: same answer
        ("t1", 92, "G", "GAAG", "c.25_27dup"),
        ("t1", 95, "G", "GTGG", "c.30_31insTGG"),
        ("t1", 38, "G", "GCTA", "c.3_4insCTA"),
        ("t1", 39, "GC", "TT", "c.4_5delinsTT"),
        ("t1", 39, "G", "TT", "c.4delinsTT"),
        ("t1", 39, "GCT", "A", "c.4_6delinsA"),
        # a 3' shift may cross an exon edge, and a dup left-aligned into the intron
        # (csq calls it splice_region) lands on the exon's CAG codon
        ("t1", 48, "TGG", "T", "c.15_15+1del"),
        ("t1", 77, "C", "CCAG", "c.16_18dup"),
        # but never past the transcript's end: 189-191 is ACC, the CC run crosses it
        ("t1", 189, "AC", "A", "c.*29del"),
        ("t1", 189, "A", "AC", "c.*29dup"),
        # minus strand: bases complemented, positions counted down the genome
        ("t2", 137, "G", "A", "c.5C>T"),
        ("t2", 136, "A", "G", "c.6T>C"),
        ("t2", 141, "T", "C", "c.1A>G"),
        ("t2", 129, "C", "T", "c.12+1G>A"),
        ("t2", 128, "A", "G", "c.12+2T>C"),
        ("t2", 105, "C", "T", "c.13-1G>A"),
        ("t2", 106, "T", "C", "c.13-2A>G"),
        ("t2", 117, "A", "G", "c.12+13T>C"),
        ("t2", 146, "A", "G", "c.-5T>C"),
        ("t2", 38, "G", "A", "c.*3C>T"),
        # minus strand: genomic left-alignment already is the transcript's 3' end
        ("t2", 95, "TG", "T", "c.21del"),
        ("t2", 95, "T", "TG", "c.21dup"),
        ("t2", 95, "T", "TGGG", "c.19_21dup"),
        ("t2", 99, "GG", "G", "c.21del"),  # right-aligned input is shifted to it
        ("t2", 92, "AGCT", "A", "c.22_24del"),
        ("t2", 137, "G", "GC", "c.4_5insG"),
        ("t2", 137, "GA", "AT", "c.4_5delinsAT"),
    ],
)
def test_hgvs_c(
    fasta: pysam.FastaFile, chrom: str, pos: int, ref: str, alt: str, expected: str
) -> None:
    model = PLUS1 if chrom == "t1" else MINUS1
    assert hgvs_c(model, fasta, pos, ref, alt) == expected


def test_hgvs_c_non_coding_uses_n(fasta: pysam.FastaFile) -> None:
    lnc = TranscriptModel(
        "TL1", "", "LNC", "t1", 81, 140, "-", "lncRNA", frozenset(),
        exons=(Exon(81, 95), Exon(121, 140)),
    )  # fmt: skip
    assert hgvs_c(lnc, fasta, 139, "A", "G", chrom="t1") == "n.2T>C"
    assert hgvs_c(lnc, fasta, 110, "C", "T", chrom="t1") == "n.20+11G>A"


def test_hgvs_c_tolerates_chr_prefix_and_skips_symbolic_alleles(fasta: pysam.FastaFile) -> None:
    # bcftools csq matches chr1 with 1; so must we.
    assert hgvs_c(PLUS1, fasta, 39, "G", "A", chrom="chrt1") == "c.4G>A"
    assert hgvs_c(PLUS1, fasta, 39, "G", "<DEL>") == ""
    assert hgvs_c(PLUS1, fasta, 39, "G", "*") == ""
    assert hgvs_c(PLUS1, fasta, 39, "g", "a") == "c.4G>A"


def test_hgvs_c_rejects_a_ref_that_is_not_the_reference(fasta: pysam.FastaFile) -> None:
    with pytest.raises(InputFormatError, match=r"t1:39: VCF REF 'T' does not match .*\('G'\)"):
        hgvs_c(PLUS1, fasta, 39, "T", "A")
    with pytest.raises(InputFormatError, match="'t9' is not in the reference FASTA"):
        hgvs_c(PLUS1, fasta, 39, "G", "A", chrom="t9")


@pytest.mark.parametrize(
    ("consequence", "aa", "expected"),
    [
        # bcftools csq 1.16 strings, as it printed them for the toy genome
        ("missense", "2A>2T", "p.Ala2Thr"),
        ("missense&splice_region", "5W>5S", "p.Trp5Ser"),
        ("synonymous", "2A", "p.Ala2="),
        ("stop_gained", "6Q>6*", "p.Gln6Ter"),
        ("stop_gained", "19G>19*", "p.Gly19Ter"),
        ("stop_lost", "22*>22Q", "p.Ter22GlnextTer5"),
        ("stop_retained", "22*", "p.Ter22="),
        ("start_lost", "", "p.Met1?"),
        ("start_lost&splice_region", "1M>1V", "p.Met1?"),
        ("inframe_deletion&start_lost&splice_region", "", "p.Met1?"),
        ("frameshift", "7EKKLGSSQTFQCGDP*>7EKSWALLRPSSAETL", "p.Lys9fs"),
        ("frameshift", "7EKKLGSSQTFQCGDP*>7EKKAGLFSDLPVRRPL", "p.Leu10fs"),
        ("frameshift", "11GSSQTFQCGDP*>11VLFSDLPVRRPL", "p.Gly11fs"),
        ("frameshift", "11GSSQTFQCGDP*>11G*", "p.Ser12Ter"),
        ("inframe_deletion", "7EK>7E", "p.Lys9del"),  # Lys8 in csq's window, Lys9 by the 3' rule
        ("inframe_deletion", "12SSQ>12Q", "p.Ser12_Ser13del"),
        ("inframe_deletion", "10LG>10R", "p.Leu10_Gly11delinsArg"),
        ("inframe_insertion", "9KL>9KKL", "p.Lys9dup"),
        ("inframe_insertion", "8K>8KK", "p.Lys9dup"),
        ("inframe_insertion", "10LG>10LWG", "p.Leu10_Gly11insTrp"),
        ("inframe_insertion", "10LG>10LWQG", "p.Leu10_Gly11insTrpGln"),
        ("stop_gained&inframe_insertion", "10L>10L*", "p.Gly11Ter"),
        ("inframe_altering", "5WQ>5SR", "p.Trp5_Gln6delinsSerArg"),
        ("synonymous", "5WQ", "p.Trp5_Gln6="),
        ("*missense", "2A>2T", "p.Ala2Thr"),  # csq's mark for "after an upstream stop"
        # no amino-acid field: unknown effect on the protein, or none at all
        ("splice_donor", "", "p.?"),
        ("splice_acceptor", "", "p.?"),
        ("frameshift&splice_region", "", "p.?"),
        ("stop_lost&inframe_deletion", "", "p.?"),
        ("splice_region", "", ""),
        ("intron", "", ""),
        ("5_prime_utr", "", ""),
        ("3_prime_utr", "", ""),
        ("non_coding", "", ""),
        # --trim-protein-seq output: enough for a frameshift, not for an in-frame change
        ("frameshift", "7EKKLG..22>7EKSWA..21", "p.Lys9fs"),
        ("inframe_deletion", "7EKKLG..22>7EKLG..21", "p.?"),
    ],
)
def test_hgvs_p_plus_strand(consequence: str, aa: str, expected: str) -> None:
    assert hgvs_p(consequence, aa, PLUS_PROTEIN) == expected


@pytest.mark.parametrize(
    ("consequence", "aa", "expected"),
    [
        ("missense", "2S>2F", "p.Ser2Phe"),
        ("missense", "2S>2I", "p.Ser2Ile"),
        ("stop_gained", "14W>14*", "p.Trp14Ter"),
        ("frameshift", "14WQLI*>14GSSS", "p.Trp14fs"),
        ("frameshift", "7PSFGAKRWQLI*>7PALELSGGSSS", "p.Ser8fs"),
        ("frameshift", "8SFGAKRWQLI*>8QLWS*", "p.Ser8fs"),
        ("inframe_deletion", "8SF>8F", "p.Ser8del"),
        ("inframe_insertion", "8S>8PS", "p.Pro7dup"),
        ("stop_lost", "18*>18W", "p.Ter18TrpextTer?"),  # no stop in the 3'UTR's frame
    ],
)
def test_hgvs_p_minus_strand(consequence: str, aa: str, expected: str) -> None:
    assert hgvs_p(consequence, aa, MINUS_PROTEIN) == expected


def test_hgvs_p_without_the_protein_stays_in_csqs_window() -> None:
    assert hgvs_p("inframe_deletion", "7EK>7E") == "p.Lys8del"
    assert hgvs_p("stop_lost", "22*>22Q") == "p.Ter22GlnextTer?"
    # The residue after the insertion is outside the window: describe the window.
    assert hgvs_p("stop_gained&inframe_insertion", "10L>10L*") == "p.Leu10delinsLeuTer"
    # A protein that disagrees with csq (another GFF3 or FASTA) is not trusted.
    other = ProteinReference("MAERWQEAKLGSSQTFQCGDP*")
    assert hgvs_p("inframe_deletion", "7EK>7E", other) == "p.Lys8del"


def test_hgvs_p_rejects_what_csq_never_prints() -> None:
    with pytest.raises(InputFormatError, match="amino-acid change 'R42W'"):
        hgvs_p("missense", "R42W")
    with pytest.raises(InputFormatError, match="amino-acid change '42R>42#'"):
        hgvs_p("missense", "42R>42#")


def bundle_expectations(case: str, name: str) -> list[tuple[int, str, str, list[list[str]]]]:
    """The csq test's expected output: (pos, ref, alt, [BCSQ fields per transcript])."""
    rows = []
    for line in (CSQ_CASES / case / name).read_text().splitlines():
        if line.strip():
            pos, ref, alt, bcsq = line.split("\t")
            rows.append((int(pos), ref, alt, [entry.split("|") for entry in bcsq.split(",")]))
    return rows


@pytest.mark.shared_data("annotation-af-subsets/bcftools-csq-cases")
@pytest.mark.parametrize(
    ("case", "expected_file", "expected"),
    [
        # NDNF, minus strand, two transcripts; csq expects a synonymous Leu145 on both.
        (
            "ENSG00000173376",
            "synon.txt",
            {
                (1944, "ENST00000379692"): ("c.435A>G", "p.Leu145="),
                (1944, "ENST00000515757"): ("c.435A>G", "p.Leu145="),
            },
        ),
        # TLR8, plus strand, the start codon alone in exon 1.
        ("ENST00000218032", "start-lost.txt", {(108, "ENST00000218032"): ("c.1A>G", "p.Met1?")}),
        (
            "ENST00000218032",
            "start-lost-del.txt",
            {
                (107, "ENST00000218032"): ("c.1_3del", "p.Met1?"),
                (12455, "ENST00000218032"): ("c.14T>G", "p.Phe5Cys"),
            },
        ),
    ],
)
def test_real_csq_bundles(
    case: str, expected_file: str, expected: dict[tuple[int, str], tuple[str, str]]
) -> None:
    models = load_transcripts(CSQ_CASES / case / f"{case}.gff")
    fasta = pysam.FastaFile(str(CSQ_CASES / case / f"{case}.fa"))
    seen = {}
    for pos, ref, alt, entries in bundle_expectations(case, expected_file):
        chrom = fasta.references[0]
        for fields in entries:
            consequence, _gene, transcript, *rest = fields
            aa = rest[2] if len(rest) > 2 else ""
            model = models[transcript]
            protein = protein_reference(model, fasta)
            if aa:
                # csq's reference residue is ours too: same CDS, same frame.
                position, residue = int(aa.split(">")[0][:-1]), aa.split(">")[0][-1]
                assert protein is not None and protein.sequence[position - 1] == residue
            seen[(pos, transcript)] = (
                hgvs_c(model, fasta, pos, ref, alt, chrom=chrom),
                hgvs_p(consequence, aa, protein),
            )
    assert seen == expected


def test_hgvs_g_shifts_3_prime_on_the_forward_strand(tmp_path: Path) -> None:
    from labpipe.annotation.hgvs import hgvs_g

    #                 1234567890123
    genome = {"chrG": "GATTACAGGGCAT"}
    fasta_path = tmp_path / "g.fa"
    fasta_path.write_text(">chrG\n" + genome["chrG"] + "\n")
    pysam.faidx(str(fasta_path))
    with pysam.FastaFile(str(fasta_path)) as fasta:
        assert hgvs_g(fasta, "chrG", 5, "A", "G") == "g.5A>G"
        assert hgvs_g(fasta, "chrG", 7, "AG", "A") == "g.10del"  # G of GGG, shifted 3'
        assert hgvs_g(fasta, "chrG", 2, "A", "AT") == "g.4dup"  # T of TT, shifted 3'
        assert hgvs_g(fasta, "chrG", 11, "C", "CTT") == "g.11_12insTT"
        assert hgvs_g(fasta, "chrG", 1, "GA", "CT") == "g.1_2delinsCT"
