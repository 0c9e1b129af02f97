"""The synthetic genome behind labpipe's embedded demo data: contigs, genes, transcripts.

Everything here is invented: three contigs of random sequence with the features
that make real panels hard (GC variation, homopolymers, tandem repeats, a few
near-identical segment copies) and six protein-coding genes written into that
sequence with valid open reading frames and canonical splice sites. This module holds
the model and its GFF3; :mod:`labpipe.simulation.genome_build` draws it,
:mod:`labpipe.simulation.demo_variants` plants the truth variants in it and
:mod:`labpipe.simulation.demo_data` turns it into reads and files.

Coordinates are 0-based half-open throughout, as in BED; conversion to the
1-based VCF/GFF3 convention happens only where those files are written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from labpipe.core.sequence import (
    reverse_complement,
)

CONTIG_LENGTHS: dict[str, int] = {"chr1": 120_000, "chr2": 100_000, "chr3": 80_000}


# Coding repeats written into CDSs so that the demo has indels in homopolymers
# and STRs. Each is a run of whole codons; the flanking codons end/start with a
# base that stops the repeat, so the tract length is exactly what the name says.
CODING_MOTIFS: dict[str, tuple[str, ...]] = {
    "polyA7": ("GCC", "AAA", "AAA", "ACC"),
    "polyT8": ("GAC", "TTT", "TTT", "TTC", "GCC"),
    "CAGx5": ("GCC", "CAG", "CAG", "CAG", "CAG", "CAG", "GCC"),
    "GAGx4": ("TCC", "GAG", "GAG", "GAG", "GAG", "TCC"),
    "CAx6": ("CTG", "CAC", "ACA", "CAC", "ACA", "GGC"),
}


@dataclass(frozen=True)
class GeneSpec:
    """Where and how to build one synthetic gene.

    Attributes:
        name: Gene symbol, e.g. ``LPG1``.
        contig: Contig the gene lies on.
        start: 0-based genomic start of the gene (its lowest coordinate).
        strand: ``+`` or ``-``.
        n_exons: Exons of the canonical transcript.
        noncoding_first_exon: The first exon is all 5'UTR, so targets skip it.
        skip_isoform: Also build a non-canonical transcript skipping one
            in-frame internal exon, so annotation must pick the canonical one.
        motif: Key of :data:`CODING_MOTIFS` written into the CDS, or None.
    """

    name: str
    contig: str
    start: int
    strand: str
    n_exons: int
    noncoding_first_exon: bool = False
    skip_isoform: bool = False
    motif: str | None = None


GENE_SPECS: tuple[GeneSpec, ...] = (
    GeneSpec("LPG1", "chr1", 12_000, "+", 7, motif="polyA7"),
    GeneSpec("LPG2", "chr1", 64_000, "-", 5, noncoding_first_exon=True, motif="CAGx5"),
    GeneSpec("LPG3", "chr2", 9_000, "+", 9, skip_isoform=True, motif="polyT8"),
    GeneSpec("LPG4", "chr2", 58_000, "-", 4, motif="GAGx4"),
    GeneSpec("LPG5", "chr3", 7_000, "-", 6, skip_isoform=True, motif="CAx6"),
    GeneSpec("LPG6", "chr3", 44_000, "+", 8, noncoding_first_exon=True, motif="polyA7"),
)


@dataclass(frozen=True)
class Transcript:
    """One protein-coding transcript.

    Attributes:
        transcript_id: Ensembl-style id without the ``transcript:`` prefix.
        protein_id: Id of its CDS features.
        name: Display name, ``<gene>-201``.
        strand: ``+`` or ``-``.
        exons: Genomic exon intervals, ascending.
        cds_start: Genomic start of the CDS (lowest coordinate, stop codon included).
        cds_end: Genomic end of the CDS (exclusive).
        canonical: Carries ``tag=Ensembl_canonical``.
    """

    transcript_id: str
    protein_id: str
    name: str
    strand: str
    exons: tuple[tuple[int, int], ...]
    cds_start: int
    cds_end: int
    canonical: bool

    @property
    def start(self) -> int:
        """Lowest genomic coordinate."""
        return self.exons[0][0]

    @property
    def end(self) -> int:
        """Highest genomic coordinate (exclusive)."""
        return self.exons[-1][1]

    def cds_segments(self) -> list[tuple[int, int]]:
        """Coding part of each coding exon, ascending genomic order."""
        segs = []
        for s, e in self.exons:
            lo, hi = max(s, self.cds_start), min(e, self.cds_end)
            if lo < hi:
                segs.append((lo, hi))
        return segs

    def cds_positions(self) -> list[int]:
        """Genomic position of every CDS base, in transcript (5'->3') order."""
        pos = [p for s, e in self.cds_segments() for p in range(s, e)]
        return pos if self.strand == "+" else pos[::-1]

    def cds_sequence(self, contig_seq: str) -> str:
        """Spliced CDS in transcript orientation, start codon to stop codon."""
        seq = "".join(contig_seq[s:e] for s, e in self.cds_segments())
        return seq if self.strand == "+" else reverse_complement(seq)

    def introns(self) -> list[tuple[int, int]]:
        """Genomic intron intervals, ascending."""
        return [(a[1], b[0]) for a, b in pairwise(self.exons)]

    def splice_sites(self) -> list[tuple[str, int, int]]:
        """Essential splice-site bases as (``donor``/``acceptor``, offset, genomic pos).

        Offset is +1/+2 for donors and -1/-2 for acceptors, counted in transcript
        orientation from the exon edge, as HGVS c. notation would.
        """
        sites = []
        for a, b in self.introns():
            if self.strand == "+":
                sites += [("donor", 1, a), ("donor", 2, a + 1)]
                sites += [("acceptor", -1, b - 1), ("acceptor", -2, b - 2)]
            else:
                sites += [("donor", 1, b - 1), ("donor", 2, b - 2)]
                sites += [("acceptor", -1, a), ("acceptor", -2, a + 1)]
        return sites


@dataclass(frozen=True)
class Gene:
    """A protein-coding gene with its canonical transcript first.

    Attributes:
        gene_id: Ensembl-style id without the ``gene:`` prefix.
        name: Symbol, e.g. ``LPG1``.
        contig: Contig name.
        strand: ``+`` or ``-``.
        transcripts: Canonical transcript first.
        exon_ids: Stable exon id for each genomic exon interval.
        motif: The coding repeat written into the CDS and where it starts in
            CDS coordinates (0-based), or None.
    """

    gene_id: str
    name: str
    contig: str
    strand: str
    transcripts: tuple[Transcript, ...]
    exon_ids: dict[tuple[int, int], str] = field(default_factory=dict)
    motif: tuple[str, int] | None = None

    @property
    def canonical(self) -> Transcript:
        """The transcript tagged ``Ensembl_canonical``."""
        return self.transcripts[0]

    @property
    def start(self) -> int:
        """Lowest genomic coordinate over all transcripts."""
        return min(t.start for t in self.transcripts)

    @property
    def end(self) -> int:
        """Highest genomic coordinate over all transcripts (exclusive)."""
        return max(t.end for t in self.transcripts)


@dataclass(frozen=True)
class Segment:
    """A genomic interval with a label, used for features that variants must avoid."""

    contig: str
    start: int
    end: int
    label: str


@dataclass
class GenomeModel:
    """The synthetic reference with its genes and special regions.

    Attributes:
        contigs: Sequence of each contig, uppercase, in output order.
        genes: Genes in contig order.
        repeats: Both copies of every duplicated segment, labelled
            ``segdup<n>_source`` and ``segdup<n>_copy``.
    """

    contigs: dict[str, str]
    genes: list[Gene]
    repeats: list[Segment]

    def targets(self, flank: int = 10) -> list[Segment]:
        """Panel targets: every CDS segment of every transcript ±flank, sorted and merged.

        Args:
            flank: Intronic/UTR bases added on each side (captures splice sites).

        Returns:
            Intervals labelled with their gene name.
        """
        out: list[Segment] = []
        order = {c: i for i, c in enumerate(self.contigs)}
        raw = sorted(
            (
                (order[g.contig], s - flank, e + flank, g)
                for g in self.genes
                for t in g.transcripts
                for s, e in t.cds_segments()
            ),
            key=lambda r: (r[0], r[1], r[2]),
        )
        for _, s, e, g in raw:
            if out and out[-1].contig == g.contig and s <= out[-1].end:
                prev = out[-1]
                out[-1] = Segment(prev.contig, prev.start, max(prev.end, e), prev.label)
            else:
                out.append(Segment(g.contig, s, e, g.name))
        return out


def in_segments(segments: Sequence[Segment], contig: str, lo: int, hi: int) -> bool:
    """True when [lo, hi) on ``contig`` lies wholly inside one of ``segments``."""
    return any(s.contig == contig and s.start <= lo and hi <= s.end for s in segments)


def gff3_lines(model: GenomeModel) -> list[str]:
    """The genes as Ensembl-style GFF3 that ``bcftools csq`` reads (1-based, inclusive).

    Args:
        model: The genome model.

    Returns:
        Lines without newlines, header first.
    """
    src = "labpipe_sim"
    lines = ["##gff-version 3"]
    lines += [f"##sequence-region   {c} 1 {len(s)}" for c, s in model.contigs.items()]
    for g in model.genes:
        lines.append(
            f"{g.contig}\t{src}\tgene\t{g.start + 1}\t{g.end}\t.\t{g.strand}\t.\t"
            f"ID=gene:{g.gene_id};Name={g.name};biotype=protein_coding;"
            f"description=synthetic demo gene {g.name} (not a human gene);"
            f"gene_id={g.gene_id};version=1"
        )
        for t in g.transcripts:
            tag = "tag=basic,Ensembl_canonical;" if t.canonical else "tag=basic;"
            lines.append(
                f"{g.contig}\t{src}\ttranscript\t{t.start + 1}\t{t.end}\t.\t{g.strand}\t.\t"
                f"ID=transcript:{t.transcript_id};Parent=gene:{g.gene_id};Name={t.name};"
                f"biotype=protein_coding;{tag}transcript_id={t.transcript_id};version=1"
            )
            lines += _transcript_feature_lines(g, t, src)
    lines.append("###")
    return lines


def _transcript_feature_lines(g: Gene, t: Transcript, src: str) -> list[str]:
    """exon, CDS and UTR lines of one transcript, in genomic order."""
    parent = f"Parent=transcript:{t.transcript_id}"
    # (start, sort order at equal start, end, type, phase, attributes)
    features: list[tuple[int, int, int, str, str, str]] = []
    ranked = list(t.exons) if t.strand == "+" else list(t.exons)[::-1]
    for rank, (s, e) in enumerate(ranked, start=1):
        eid = g.exon_ids[(s, e)]
        attrs = f"{parent};Name={eid};exon_id={eid};rank={rank};version=1"
        features.append((s, 1, e, "exon", ".", attrs))
    segs = t.cds_segments()
    done = 0
    for s, e in segs if t.strand == "+" else segs[::-1]:
        # GFF3 phase: bases to skip at this feature's 5' end to reach a codon start.
        phase = (3 - done % 3) % 3
        done += e - s
        attrs = f"ID=CDS:{t.protein_id};{parent};protein_id={t.protein_id}"
        features.append((s, 2, e, "CDS", str(phase), attrs))
    five_is_low = t.strand == "+"
    for s, e in t.exons:
        for lo, hi, low_side in ((s, min(e, t.cds_start), True), (max(s, t.cds_end), e, False)):
            if lo < hi:
                kind = "five_prime_UTR" if low_side == five_is_low else "three_prime_UTR"
                features.append((lo, 0, hi, kind, ".", parent))
    return [
        f"{g.contig}\t{src}\t{kind}\t{s + 1}\t{e}\t.\t{t.strand}\t{phase}\t{attrs}"
        for s, _, e, kind, phase, attrs in sorted(features)
    ]
