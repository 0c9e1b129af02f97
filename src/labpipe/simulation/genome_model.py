"""The synthetic world behind labpipe's embedded demo data: genome, genes, truth variants.

Everything here is invented: three contigs of random sequence with the features
that make real panels hard (GC variation, homopolymers, tandem repeats, a few
near-identical segment copies); six protein-coding genes written into that
sequence with valid open reading frames and canonical splice sites; the truth
variants planted in them; and the arithmetic that predicts how ``bcftools csq
-l`` and an HGVS-speaking lab report describe each coding variant.
:mod:`labpipe.simulation.simulate` turns this into reads and files.

Coordinates are 0-based half-open throughout, as in BED; conversion to the
1-based VCF/GFF3 convention happens only where those files are written.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from itertools import count, pairwise

import numpy as np

from labpipe.core.errors import RunError

CONTIG_LENGTHS: dict[str, int] = {"chr1": 120_000, "chr2": 100_000, "chr3": 80_000}

_BASES = np.frombuffer(b"ACGT", dtype=np.uint8)
_COMPLEMENT = str.maketrans("ACGTN", "TGCAN")

# The standard genetic code, codons in TCAG order as textbooks print it.
_AA_BY_CODON = "FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG"
CODON_TABLE: dict[str, str] = {
    a + b + c: _AA_BY_CODON[16 * i + 4 * j + k]
    for i, a in enumerate("TCAG")
    for j, b in enumerate("TCAG")
    for k, c in enumerate("TCAG")
}
SENSE_CODONS: tuple[str, ...] = tuple(c for c in sorted(CODON_TABLE) if CODON_TABLE[c] != "*")
STOP_CODONS: tuple[str, ...] = ("TAA", "TAG", "TGA")

AA_THREE_LETTER: dict[str, str] = {
    "A": "Ala",
    "R": "Arg",
    "N": "Asn",
    "D": "Asp",
    "C": "Cys",
    "Q": "Gln",
    "E": "Glu",
    "G": "Gly",
    "H": "His",
    "I": "Ile",
    "L": "Leu",
    "K": "Lys",
    "M": "Met",
    "F": "Phe",
    "P": "Pro",
    "S": "Ser",
    "T": "Thr",
    "W": "Trp",
    "Y": "Tyr",
    "V": "Val",
    "*": "Ter",
}

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


def reverse_complement(seq: str) -> str:
    """Reverse complement of an uppercase DNA string (N stays N)."""
    return seq.translate(_COMPLEMENT)[::-1]


def translate(cds: str) -> str:
    """Translate a CDS codon by codon, stop codons as ``*``; a trailing partial codon is dropped."""
    return "".join(CODON_TABLE[cds[i : i + 3]] for i in range(0, len(cds) - len(cds) % 3, 3))


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


def _random_bases(rng: np.random.Generator, n: int, gc: float) -> str:
    probs = np.array([(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2])
    return _BASES[rng.choice(4, size=n, p=probs)].tobytes().decode()


def _background(rng: np.random.Generator, length: int) -> bytearray:
    """Random sequence whose GC content changes every 1-5 kb (35-60%), with
    homopolymers and short tandem repeats sprinkled in as in real genomes."""
    parts: list[str] = []
    total = 0
    while total < length:
        width = int(rng.integers(1_000, 5_001))
        parts.append(_random_bases(rng, width, float(rng.uniform(0.35, 0.60))))
        total += width
    seq = bytearray("".join(parts)[:length].encode())
    for _ in range(length // 1_500):
        run = int(rng.integers(6, 16))
        pos = int(rng.integers(0, length - run))
        seq[pos : pos + run] = (b"A" if rng.random() < 0.5 else b"T") * run
    str_units = ("AC", "AG", "AT", "TG", "CA", "CAG", "GCC", "AAT", "TTC", "GGA")
    for _ in range(length // 2_500):
        unit = str_units[int(rng.integers(len(str_units)))]
        copies = int(rng.integers(6, 13)) if len(unit) == 2 else int(rng.integers(4, 9))
        tract = (unit * copies).encode()
        pos = int(rng.integers(0, length - len(tract)))
        seq[pos : pos + len(tract)] = tract
    return seq


def _exon_layout(
    rng: np.random.Generator, spec: GeneSpec
) -> tuple[list[int], list[int], int, int, int | None]:
    """Exon and intron lengths, UTR lengths and the exon an isoform may skip.

    Returns:
        (exon lengths, intron lengths, 5'UTR length, 3'UTR length, skipped exon
        index or None), all in transcript order.
    """
    exons = [int(x) for x in rng.integers(80, 251, size=spec.n_exons)]
    introns = [int(x) for x in rng.integers(300, 2001, size=spec.n_exons - 1)]
    exons[-1] = int(rng.integers(160, 251))  # the last exon also holds the 3'UTR
    first_coding = 1 if spec.noncoding_first_exon else 0
    if spec.noncoding_first_exon:
        exons[1] = max(exons[1], 150)
        utr5 = exons[0] + int(rng.integers(15, 40))
    else:
        exons[0] = max(exons[0], 110)
        utr5 = int(rng.integers(20, 60))
    skipped = None
    if spec.skip_isoform:
        # An in-frame (3n) fully coding internal exon: skipping it keeps the frame.
        skipped = first_coding + 2
        exons[skipped] = 3 * int(rng.integers(30, 80))
    utr3 = int(rng.integers(50, 120))
    utr3 += (sum(exons) - utr5 - utr3) % 3
    return exons, introns, utr5, utr3, skipped


def _coding_sequence(
    rng: np.random.Generator, n_codons: int, motif: str | None, motif_codon: int
) -> str:
    """ATG, random sense codons with an optional coding repeat, then a stop codon."""
    codons = ["ATG"] + [
        SENSE_CODONS[int(i)] for i in rng.integers(len(SENSE_CODONS), size=n_codons - 2)
    ]
    codons.append(STOP_CODONS[int(rng.integers(3))])
    if motif is not None:
        block = CODING_MOTIFS[motif]
        codons[motif_codon : motif_codon + len(block)] = block
    return "".join(codons)


def _motif_codon(
    rng: np.random.Generator, exons: list[int], utr5: int, cds_len: int, motif: str
) -> int:
    """A codon index where the motif sits inside one exon, ≥20 bp from its edges."""
    span = 3 * len(CODING_MOTIFS[motif])
    edges = np.cumsum([0, *exons])
    candidates = []
    for codon in range(2, cds_len // 3 - len(CODING_MOTIFS[motif]) - 2):
        tx_lo = utr5 + 3 * codon
        tx_hi = tx_lo + span
        k = int(np.searchsorted(edges, tx_lo, side="right")) - 1
        if edges[k] + 20 <= tx_lo and tx_hi + 20 <= edges[k + 1]:
            candidates.append(codon)
    return candidates[int(rng.integers(len(candidates)))]


def _splice_consensus(rng: np.random.Generator, intron: str) -> str:
    """Give an intron a GT donor (GTRAGT) and a polypyrimidine tract plus YAG acceptor."""
    donor = "GTAAGT" if rng.random() < 0.5 else "GTGAGT"
    tract = "".join("CT"[int(i)] for i in rng.integers(2, size=13))
    return donor + intron[6:-15] + tract + "AG"


def _build_gene(
    rng: np.random.Generator,
    spec: GeneSpec,
    seq: bytearray,
    number: int,
    exon_numbers: Iterator[int],
) -> Gene:
    """Write one gene into ``seq`` and return its model."""
    for _attempt in range(100):
        exons, introns, utr5, utr3, skipped = _exon_layout(rng, spec)
        total = sum(exons)
        cds_len = total - utr5 - utr3
        motif_codon = _motif_codon(rng, exons, utr5, cds_len, spec.motif) if spec.motif else 0
        cds = _coding_sequence(rng, cds_len // 3, spec.motif, motif_codon)
        mrna = _random_bases(rng, utr5, 0.5) + cds + _random_bases(rng, utr3, 0.45)
        if skipped is None:
            break
        # The skipping isoform must stay an ORF: no stop at the new junction.
        edges = np.cumsum([0, *exons])
        alt = mrna[utr5 : edges[skipped]] + mrna[edges[skipped + 1] : total - utr3]
        if "*" not in translate(alt)[:-1]:
            break
    else:
        raise RunError(f"{spec.name}: no exon-skipping isoform without a premature stop")
    span = total + sum(introns)
    pre = seq[spec.start : spec.start + span].decode()
    if spec.strand == "-":
        pre = reverse_complement(pre)
    # Assemble the pre-mRNA in transcript orientation, keeping background intron sequence.
    parts, tx_exons, cursor, mpos = [], [], 0, 0
    for i, elen in enumerate(exons):
        parts.append(mrna[mpos : mpos + elen])
        tx_exons.append((cursor, cursor + elen))
        cursor += elen
        mpos += elen
        if i < len(introns):
            parts.append(_splice_consensus(rng, pre[cursor : cursor + introns[i]]))
            cursor += introns[i]
    pre = "".join(parts)
    if spec.strand == "-":
        pre = reverse_complement(pre)
    seq[spec.start : spec.start + span] = pre.encode()

    def to_genome(lo: int, hi: int) -> tuple[int, int]:
        if spec.strand == "+":
            return spec.start + lo, spec.start + hi
        return spec.start + span - hi, spec.start + span - lo

    # CDS extent in transcript coordinates, then in genomic ones.
    edges = np.cumsum([0, *exons])

    def tx_to_pre(t: int) -> int:
        k = int(np.searchsorted(edges, t, side="right")) - 1
        return tx_exons[k][0] + (t - int(edges[k]))

    cds_lo, cds_hi = to_genome(tx_to_pre(utr5), tx_to_pre(total - utr3 - 1) + 1)
    genomic_exons = sorted(to_genome(s, e) for s, e in tx_exons)
    gene_id = f"ENSG9{number:010d}"
    # Exon ids follow transcript order (rank 1 first), as Ensembl numbers them.
    ranked = genomic_exons if spec.strand == "+" else genomic_exons[::-1]
    ids = {iv: f"ENSE9{next(exon_numbers):010d}" for iv in ranked}
    transcripts = [
        Transcript(
            f"ENST9{number:010d}",
            f"ENSP9{number:010d}",
            f"{spec.name}-201",
            spec.strand,
            tuple(genomic_exons),
            cds_lo,
            cds_hi,
            canonical=True,
        )
    ]
    if skipped is not None:
        skip_iv = to_genome(*tx_exons[skipped])
        alt_number = number + len(GENE_SPECS)
        transcripts.append(
            Transcript(
                f"ENST9{alt_number:010d}",
                f"ENSP9{alt_number:010d}",
                f"{spec.name}-202",
                spec.strand,
                tuple(iv for iv in genomic_exons if iv != skip_iv),
                cds_lo,
                cds_hi,
                canonical=False,
            )
        )
    motif = (spec.motif, 3 * motif_codon) if spec.motif else None
    return Gene(gene_id, spec.name, spec.contig, spec.strand, tuple(transcripts), ids, motif)


def _free_intervals(
    contig: str, length: int, busy: list[Segment], margin: int
) -> list[tuple[int, int]]:
    """Stretches of a contig at least ``margin`` away from every busy segment and the ends."""
    blocks = sorted((s.start - margin, s.end + margin) for s in busy if s.contig == contig)
    free, cursor = [], margin
    for lo, hi in blocks:
        if lo > cursor:
            free.append((cursor, lo))
        cursor = max(cursor, hi)
    if length - margin > cursor:
        free.append((cursor, length - margin))
    return free


def _place(
    rng: np.random.Generator, contig: str, length: int, size: int, busy: list[Segment], margin: int
) -> int:
    """A random start for a ``size``-bp feature that keeps ``margin`` from busy segments."""
    free = [
        (lo, hi - size)
        for lo, hi in _free_intervals(contig, length, busy, margin)
        if hi - lo > size
    ]
    weights = np.array([hi - lo for lo, hi in free], dtype=float)
    lo, hi = free[int(rng.choice(len(free), p=weights / weights.sum()))]
    return int(rng.integers(lo, hi))


def _mutate(rng: np.random.Generator, seq: str, rate: float) -> str:
    """Substitute each base with probability ``rate`` (the divergence of a segment copy)."""
    out = bytearray(seq.encode())
    for i in np.flatnonzero(rng.random(len(out)) < rate):
        out[i] = _BASES[(int(np.searchsorted(_BASES, out[i])) + int(rng.integers(1, 4))) % 4]
    return out.decode()


def build_genome(rng: np.random.Generator) -> GenomeModel:
    """Build the synthetic reference, its genes and its duplicated segments.

    Args:
        rng: Source of all randomness; the same seed gives the same genome.

    Returns:
        The genome model.
    """
    seqs = {name: _background(rng, length) for name, length in CONTIG_LENGTHS.items()}
    exon_numbers = count(1)
    genes = [
        _build_gene(rng, spec, seqs[spec.contig], n, exon_numbers)
        for n, spec in enumerate(GENE_SPECS, start=1)
    ]
    busy = [Segment(g.contig, g.start, g.end, g.name) for g in genes]
    repeats: list[Segment] = []
    # Near-identical copies (2% divergence) kept ≥3 kb from genes: they make
    # MAPQ drop off target, as segmental duplications do, without making any
    # targeted read ambiguous.
    pairs = (("chr1", "chr1"), ("chr2", "chr3"), ("chr3", "chr2"))
    for n, (src_contig, dst_contig) in enumerate(pairs, start=1):
        size = int(rng.integers(1_200, 2_001))
        src = _place(rng, src_contig, CONTIG_LENGTHS[src_contig], size, busy + repeats, 3_000)
        repeats.append(Segment(src_contig, src, src + size, f"segdup{n}_source"))
        dst = _place(rng, dst_contig, CONTIG_LENGTHS[dst_contig], size, busy + repeats, 3_000)
        copy = _mutate(rng, seqs[src_contig][src : src + size].decode(), 0.02)
        seqs[dst_contig][dst : dst + size] = copy.encode()
        repeats.append(Segment(dst_contig, dst, dst + size, f"segdup{n}_copy"))
    contigs = {name: seq.decode() for name, seq in seqs.items()}
    return GenomeModel(contigs, genes, sorted(repeats, key=lambda r: (r.contig, r.start)))


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


def left_normalise(contig_seq: str, pos: int, ref: str, alt: str) -> tuple[int, str, str]:
    """Trim and left-align a simple variant as ``bcftools norm`` does.

    Args:
        contig_seq: The contig's reference sequence.
        pos: 0-based position of the first REF base.
        ref: REF allele.
        alt: ALT allele.

    Returns:
        (0-based position, REF, ALT), indels keeping one anchor base on the left.
    """
    while len(ref) > 1 and len(alt) > 1 and ref[-1] == alt[-1]:
        ref, alt = ref[:-1], alt[:-1]
    while len(ref) > 1 and len(alt) > 1 and ref[0] == alt[0]:
        ref, alt, pos = ref[1:], alt[1:], pos + 1
    if len(ref) == len(alt):
        return pos, ref, alt
    # Shift the indel left while its last base equals the base before it.
    while pos > 0 and ref[-1] == alt[-1]:
        pos -= 1
        ref, alt = contig_seq[pos] + ref[:-1], contig_seq[pos] + alt[:-1]
    while len(ref) > 1 and len(alt) > 1 and ref[0] == alt[0] and ref[1] == alt[1]:
        ref, alt, pos = ref[1:], alt[1:], pos + 1
    return pos, ref, alt


@dataclass(frozen=True)
class CodingEffect:
    """How a variant reads on one transcript.

    Attributes:
        consequence: First consequence term ``bcftools csq`` prints.
        protein_change: ``bcftools csq``'s amino-acid field (``42R>42W``), or empty.
        hgvs_p: HGVS protein notation with 3-letter codes (``p.Arg42Trp``), or empty.
    """

    consequence: str
    protein_change: str
    hgvs_p: str


def _protein_to_stop(cds: str, start: int = 0) -> str:
    """Translate from ``start`` up to and including the first stop (or the last whole codon)."""
    aa = translate(cds[start:])
    return aa[: aa.index("*") + 1] if "*" in aa else aa


def _hgvs_p(ref_prot: str, alt_prot: str, frameshift: bool) -> str:
    """HGVS p. of a change between two proteins (both ending at their first stop)."""
    three = AA_THREE_LETTER
    n = next((i for i, (a, b) in enumerate(zip(ref_prot, alt_prot, strict=False)) if a != b), None)
    if frameshift:
        assert n is not None
        return f"p.{three[ref_prot[n]]}{n + 1}fs"
    if len(ref_prot) == len(alt_prot):
        if n is None:
            raise ValueError("protein unchanged; synonymous variants need the codon")
        return f"p.{three[ref_prot[n]]}{n + 1}{three[alt_prot[n]]}"
    # HGVS places deletions and insertions at the most C-terminal position possible.
    pre = 0
    while pre < min(len(ref_prot), len(alt_prot)) and ref_prot[pre] == alt_prot[pre]:
        pre += 1
    k = abs(len(ref_prot) - len(alt_prot))
    if len(alt_prot) < len(ref_prot):
        if ref_prot[:pre] + ref_prot[pre + k :] != alt_prot:
            raise ValueError("not a pure in-frame deletion")
        lo, hi = pre, pre + k - 1
        span = f"{three[ref_prot[lo]]}{lo + 1}" + (
            f"_{three[ref_prot[hi]]}{hi + 1}" if hi > lo else ""
        )
        return f"p.{span}del"
    inserted = alt_prot[pre : pre + k]
    if alt_prot[:pre] + alt_prot[pre + k :] != ref_prot:
        raise ValueError("not a pure in-frame insertion")
    if pre >= k and ref_prot[pre - k : pre] == inserted:
        lo, hi = pre - k, pre - 1
        span = f"{three[ref_prot[lo]]}{lo + 1}" + (
            f"_{three[ref_prot[hi]]}{hi + 1}" if hi > lo else ""
        )
        return f"p.{span}dup"
    ins = "".join(three[a] for a in inserted)
    return f"p.{three[ref_prot[pre - 1]]}{pre}_{three[ref_prot[pre]]}{pre + 1}ins{ins}"


def predict_effect(
    transcript: Transcript, contig_seq: str, pos: int, ref: str, alt: str
) -> CodingEffect | None:
    """Predict ``bcftools csq -l`` output and HGVS p. for a normalised variant.

    Only the variant kinds the demo plants are modelled: substitutions and
    indels lying inside one CDS segment at least 5 bp from its ends, and SNVs
    at essential splice sites or in the intronic splice region (+3..+8/-3..-8).

    Args:
        transcript: The transcript to annotate against.
        contig_seq: Reference sequence of its contig.
        pos: 0-based position of the first REF base (VCF POS - 1).
        ref: REF allele.
        alt: ALT allele.

    Returns:
        The effect, or None when the variant is none of the modelled kinds.
    """
    if len(ref) == 1 and len(alt) == 1:
        for kind, _offset, site in transcript.splice_sites():
            if site == pos:
                # HGVS: the protein effect of a broken splice site cannot be predicted.
                return CodingEffect(f"splice_{kind}", "", "p.?")
        for a, b in transcript.introns():
            if a + 2 <= pos < a + 8 or b - 8 <= pos < b - 2:
                return CodingEffect("splice_region", "", "")
    end = pos + len(ref)
    seg = next(
        ((s, e) for s, e in transcript.cds_segments() if s + 5 <= pos and end <= e - 5), None
    )
    if seg is None:
        return None
    plus = transcript.strand == "+"
    cds = transcript.cds_sequence(contig_seq)
    positions = transcript.cds_positions()
    index = {g: i for i, g in enumerate(positions)}
    # bcftools csq works on the whole VCF REF span, anchor base included.
    lo = index[pos] if plus else index[end - 1]
    hi = index[end - 1] if plus else index[pos]
    alt_t = alt if plus else reverse_complement(alt)
    alt_cds = cds[:lo] + alt_t + cds[hi + 1 :]
    first = lo // 3
    ref_prot, alt_prot = _protein_to_stop(cds), _protein_to_stop(alt_cds)
    dlen = len(alt) - len(ref)
    if dlen % 3:
        ref_aa = _protein_to_stop(cds, 3 * first)
        alt_aa = _protein_to_stop(alt_cds, 3 * first)
        return CodingEffect(
            "frameshift",
            f"{first + 1}{ref_aa}>{first + 1}{alt_aa}",
            _hgvs_p(ref_prot, alt_prot, True),
        )
    ref_aa = translate(cds[3 * first : 3 * (hi // 3 + 1)])
    alt_aa = translate(alt_cds[3 * first : 3 * ((lo + len(alt_t) - 1) // 3 + 1)])
    if "*" in ref_aa:
        return None
    if dlen == 0:
        n, three = first + 1, AA_THREE_LETTER
        if ref_aa == alt_aa:
            return CodingEffect("synonymous", f"{n}{ref_aa}", f"p.{three[ref_aa]}{n}=")
        kind = "stop_gained" if alt_aa == "*" else "missense"
        return CodingEffect(
            kind, f"{n}{ref_aa}>{n}{alt_aa}", f"p.{three[ref_aa]}{n}{three[alt_aa]}"
        )
    if "*" in alt_aa:
        return None
    kind = "inframe_deletion" if dlen < 0 else "inframe_insertion"
    change = f"{first + 1}{ref_aa}>{first + 1}{alt_aa}"
    try:
        return CodingEffect(kind, change, _hgvs_p(ref_prot, alt_prot, False))
    except ValueError:
        return None


# Planted coding variants by the consequence they are built to have; indel
# classes take their length changes from _INDEL_SIZES in turn.
CODING_PLAN: tuple[tuple[str, int], ...] = (
    ("missense", 12),
    ("synonymous", 8),
    ("stop_gained", 3),
    ("splice_donor", 3),
    ("splice_acceptor", 3),
    ("splice_region", 2),
    ("frameshift", 5),
    ("inframe_deletion", 3),
    ("inframe_insertion", 1),
)
_INDEL_SIZES: dict[str, tuple[int, ...]] = {
    "frameshift": (-1, -2, -10, 1, 2),
    "inframe_deletion": (-3, -6, -9),
    "inframe_insertion": (3,),
}
# Length change planted in each gene's coding repeat (see CODING_MOTIFS).
MOTIF_EDITS: dict[str, int] = {"LPG1": -1, "LPG2": -3, "LPG3": 1, "LPG4": 3, "LPG5": -2, "LPG6": 1}
MIN_SPACING = 30


@dataclass(frozen=True)
class PlantedVariant:
    """One truth variant.

    Attributes:
        contig: Contig name.
        pos: 0-based position of the first REF base.
        ref: REF allele (normalised).
        alt: ALT allele (normalised).
        planted_as: The class it was built as (a csq consequence or ``intergenic``).
        tract: Coding repeat the indel lies in, e.g. ``polyA7``, or empty.
        gene: The gene it was planted in, or None.
        effect: Predicted effect on the gene's canonical transcript, or None.
        haplotypes: For each sample, whether haplotype 1 and 2 carry it.
    """

    contig: str
    pos: int
    ref: str
    alt: str
    planted_as: str
    tract: str
    gene: Gene | None
    effect: CodingEffect | None
    haplotypes: tuple[tuple[bool, bool], ...] = ()

    @property
    def end(self) -> int:
        """0-based exclusive end of the REF allele."""
        return self.pos + len(self.ref)

    def genotype(self, sample_index: int) -> str:
        """Unphased VCF genotype of one sample."""
        return {0: "0/0", 1: "0/1", 2: "1/1"}[sum(self.haplotypes[sample_index])]


def in_segments(segments: Sequence[Segment], contig: str, lo: int, hi: int) -> bool:
    """True when [lo, hi) on ``contig`` lies wholly inside one of ``segments``."""
    return any(s.contig == contig and s.start <= lo and hi <= s.end for s in segments)


def _spaced(variants: Sequence[PlantedVariant], contig: str, lo: int, hi: int) -> bool:
    return all(
        v.contig != contig or lo - v.end >= MIN_SPACING or v.pos - hi >= MIN_SPACING
        for v in variants
    )


def _indel_at(
    seq: str, positions: Sequence[int], index: int, deleted: int = 0, inserted: str = ""
) -> tuple[int, str, str]:
    """Delete ``deleted`` CDS bases from ``index`` on, or insert ``inserted`` before it.

    Both are given in transcript orientation; the result is a genomic VCF-style
    (position, REF, ALT), not yet normalised.
    """
    if deleted:
        span = [positions[index + k] for k in range(deleted)]
        lo, hi = min(span), max(span) + 1
        return lo - 1, seq[lo - 1 : hi], seq[lo - 1]
    g = positions[index]
    if positions[0] < positions[-1]:
        return g - 1, seq[g - 1], seq[g - 1] + inserted
    # Minus strand: "before" in the transcript is after the base in the genome.
    return g, seq[g], seq[g] + reverse_complement(inserted)


def _propose(
    gene: Gene, kind: str, size: int, seq: str, rng: np.random.Generator
) -> tuple[int, str, str]:
    """A random candidate for ``kind`` in ``gene`` (checked by the caller); indel classes
    delete ``-size`` or insert ``size`` bases."""
    tx = gene.canonical
    if kind in ("splice_donor", "splice_acceptor"):
        sites = [p for k, _o, p in tx.splice_sites() if f"splice_{k}" == kind]
        pos = sites[int(rng.integers(len(sites)))]
        return pos, seq[pos], "ACGT".replace(seq[pos], "")[int(rng.integers(3))]
    if kind == "splice_region":
        a, b = tx.introns()[int(rng.integers(len(tx.introns())))]
        pos = int(rng.choice([a + int(rng.integers(2, 8)), b - 1 - int(rng.integers(2, 8))]))
        return pos, seq[pos], "ACGT".replace(seq[pos], "")[int(rng.integers(3))]
    positions = tx.cds_positions()
    index = int(rng.integers(6, len(positions) - 16))
    if size:
        if size < 0:
            return _indel_at(seq, positions, index, deleted=-size)
        return _indel_at(seq, positions, index, inserted=_random_bases(rng, size, 0.5))
    pos = positions[index]
    return pos, seq[pos], "ACGT".replace(seq[pos], "")[int(rng.integers(3))]


def _motif_variant(gene: Gene, seq: str) -> tuple[int, str, str, str]:
    """The indel planted in a gene's coding repeat: one unit more or less."""
    assert gene.motif is not None
    name, block_start = gene.motif
    edit = MOTIF_EDITS[gene.name]
    tract_start = block_start + 3  # the first codon of each motif block is a guard
    unit = CODING_MOTIFS[name][1][: abs(edit)]
    positions = gene.canonical.cds_positions()
    if edit < 0:
        pos, ref, alt = _indel_at(seq, positions, tract_start, deleted=-edit)
    else:
        pos, ref, alt = _indel_at(seq, positions, tract_start, inserted=unit)
    return pos, ref, alt, name


def plant_variants(model: GenomeModel, rng: np.random.Generator) -> list[PlantedVariant]:
    """Plant the truth variants: coding classes from :data:`CODING_PLAN`, one indel per
    coding repeat, and a few intergenic ones outside the targets.

    Args:
        model: The genome.
        rng: Randomness for positions, alleles and genotypes.

    Returns:
        Normalised variants sorted by contig and position, genotypes assigned.

    Raises:
        RunError: If a class cannot be placed (the layout leaves no room).
    """
    targets = model.targets()
    variants: list[PlantedVariant] = []
    for gene in model.genes:
        seq = model.contigs[gene.contig]
        pos, ref, alt, tract = _motif_variant(gene, seq)
        pos, ref, alt = left_normalise(seq, pos, ref, alt)
        effect = predict_effect(gene.canonical, seq, pos, ref, alt)
        if effect is None:
            raise RunError(f"{gene.name}: the indel in its {tract} repeat is not a coding variant")
        v = PlantedVariant(gene.contig, pos, ref, alt, effect.consequence, tract, gene, effect)
        variants.append(v)
    # Alternate strands so every class with ≥2 members lands on both.
    by_strand = sorted(model.genes, key=lambda g: g.strand)
    order = [
        g
        for pair in zip(
            by_strand[: len(by_strand) // 2], by_strand[len(by_strand) // 2 :], strict=True
        )
        for g in pair
    ]
    turn = 0
    for kind, how_many in CODING_PLAN:
        for i in range(how_many):
            sizes = _INDEL_SIZES.get(kind, (0,))
            size = sizes[i % len(sizes)]
            # Next gene in turn; if it has no room left for this class, the one after.
            for k in range(len(order)):
                placed = _place_coding(
                    model, order[(turn + k) % len(order)], kind, size, variants, targets, rng
                )
                if placed is not None:
                    variants.append(placed)
                    break
            else:
                raise RunError(f"no gene has room for another {kind} variant")
            turn += 1
    for k in range(4):
        variants.append(_place_intergenic(model, k, variants, rng))
    order_of = {c: i for i, c in enumerate(model.contigs)}
    variants.sort(key=lambda v: (order_of[v.contig], v.pos))
    return [replace(v, haplotypes=_haplotypes(rng)) for v in variants]


def _place_coding(
    model: GenomeModel,
    gene: Gene,
    kind: str,
    size: int,
    placed: list[PlantedVariant],
    targets: list[Segment],
    rng: np.random.Generator,
) -> PlantedVariant | None:
    """A ``kind`` variant in ``gene``'s targets, spaced from ``placed``; None after 2,000 tries."""
    seq = model.contigs[gene.contig]
    for _ in range(2_000):
        pos, ref, alt = left_normalise(seq, *_propose(gene, kind, size, seq, rng))
        if not in_segments(targets, gene.contig, pos, pos + len(ref)):
            continue
        if not _spaced(placed, gene.contig, pos, pos + len(ref)):
            continue
        effect = predict_effect(gene.canonical, seq, pos, ref, alt)
        if effect is None or effect.consequence != kind:
            continue
        if kind == "frameshift" and not effect.hgvs_p.endswith("fs"):
            continue  # a frameshift that stops at once reads as nonsense in HGVS
        return PlantedVariant(gene.contig, pos, ref, alt, kind, "", gene, effect)
    return None


def _place_intergenic(
    model: GenomeModel, k: int, placed: list[PlantedVariant], rng: np.random.Generator
) -> PlantedVariant:
    """An SNV or short indel ≥2 kb from genes and ≥1 kb from duplicated segments."""
    contig = list(model.contigs)[k % len(model.contigs)]
    seq = model.contigs[contig]
    keep_out = [Segment(g.contig, g.start - 2_000, g.end + 2_000, g.name) for g in model.genes]
    keep_out += [Segment(r.contig, r.start - 1_000, r.end + 1_000, r.label) for r in model.repeats]
    for _ in range(1_000):
        p = int(rng.integers(1_000, len(seq) - 1_000))
        if any(s.contig == contig and s.start <= p < s.end for s in keep_out):
            continue
        if k % 2 == 0:
            cand = (p, seq[p], "ACGT".replace(seq[p], "")[int(rng.integers(3))])
        elif k == 1:
            cand = (p - 1, seq[p - 1 : p + 3], seq[p - 1])
        else:
            cand = (
                p - 1,
                seq[p - 1],
                seq[p - 1] + "".join("ACGT"[int(i)] for i in rng.integers(4, size=2)),
            )
        pos, ref, alt = left_normalise(seq, *cand)
        if _spaced(placed, contig, pos, pos + len(ref)):
            return PlantedVariant(contig, pos, ref, alt, "intergenic", "", None, None)
    raise RunError(f"could not place an intergenic variant on {contig}")


def _haplotypes(rng: np.random.Generator) -> tuple[tuple[bool, bool], ...]:
    """Which haplotypes of each sample carry a variant: shared 40%, private 30% each,
    heterozygous 70% (on a random haplotype), homozygous 30%."""
    r = rng.random()
    carriers = (True, True) if r < 0.4 else (True, False) if r < 0.7 else (False, True)
    out = []
    for carries in carriers:
        if not carries:
            out.append((False, False))
        elif rng.random() < 0.3:
            out.append((True, True))
        else:
            first = bool(rng.random() < 0.5)
            out.append((first, not first))
    return tuple(out)
