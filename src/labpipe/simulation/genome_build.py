"""Drawing the demo genome: random background, genes with valid reading frames and splice
sites, coding repeats, segment copies (the model is :mod:`labpipe.simulation.genome_model`)."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import count

import numpy as np

from labpipe.core.errors import RunError
from labpipe.core.sequence import (
    CODON_TABLE,
    STOP_CODONS,
    reverse_complement,
    translate,
)
from labpipe.simulation.genome_model import (
    CODING_MOTIFS,
    CONTIG_LENGTHS,
    GENE_SPECS,
    Gene,
    GeneSpec,
    GenomeModel,
    Segment,
    Transcript,
)

_BASES = np.frombuffer(b"ACGT", dtype=np.uint8)
SENSE_CODONS: tuple[str, ...] = tuple(c for c in sorted(CODON_TABLE) if CODON_TABLE[c] != "*")


def random_bases(rng: np.random.Generator, n: int, gc: float) -> str:
    probs = np.array([(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2])
    return _BASES[rng.choice(4, size=n, p=probs)].tobytes().decode()


def _background(rng: np.random.Generator, length: int) -> bytearray:
    """Random sequence whose GC content changes every 1-5 kb (35-60%), with
    homopolymers and short tandem repeats sprinkled in as in real genomes."""
    parts: list[str] = []
    total = 0
    while total < length:
        width = int(rng.integers(1_000, 5_001))
        parts.append(random_bases(rng, width, float(rng.uniform(0.35, 0.60))))
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
        mrna = random_bases(rng, utr5, 0.5) + cds + random_bases(rng, utr3, 0.45)
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


def add_contig(
    model: GenomeModel,
    rng: np.random.Generator,
    name: str,
    length: int,
    specs: tuple[GeneSpec, ...],
) -> GenomeModel:
    """The genome with one more contig of random background holding the genes ``specs``.

    The simulated families add a chrX this way; :func:`build_genome` (the demo's genome)
    stays as it is. Gene and exon ids continue after the model's, so none repeats.
    """
    seq = _background(rng, length)
    exon_numbers = count(1 + sum(len(g.exon_ids) for g in model.genes))
    first = 1 + 2 * len(model.genes)  # above every id of the model, isoforms included
    genes = [
        _build_gene(rng, spec, seq, n, exon_numbers) for n, spec in enumerate(specs, start=first)
    ]
    return GenomeModel({**model.contigs, name: seq.decode()}, [*model.genes, *genes], model.repeats)
